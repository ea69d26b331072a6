/*
 * feedback: the append-only vote file of each subscriber (see feedback.h).
 *
 * Resolving keeps, per arXiv ID, the position of its vote in a small
 * open-addressing table, so loading is linear in the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "feedback.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Fields of a vote line. */
#define FEEDBACK_FIELDS 9

char *feedback_path(const char *state_dir, const char *sub_id)
{
	struct buf b = BUF_INIT;
	char *path;

	buf_addf(&b, "feedback/%s", sub_id);
	path = util_path_join(state_dir, buf_str(&b));
	buf_release(&b);
	return path;
}

static void add_escaped(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\t')
			buf_addstr(b, "\\t");
		else if (*s == '\n')
			buf_addstr(b, "\\n");
		else if (*s == '\r')
			buf_addstr(b, "\\r");
		else if (*s == '\\')
			buf_addstr(b, "\\\\");
		else
			buf_addch(b, *s);
	}
}

/* Unescapes s in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't'   ? '\t'
			       : *s == 'n' ? '\n'
			       : *s == 'r' ? '\r'
					   : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void now_iso(char *out, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int feedback_append(const char *state_dir, const char *sub_id,
		    const struct feedback_vote *votes, size_t n,
		    struct errbuf *eb)
{
	char *path = feedback_path(state_dir, sub_id);
	char *dir = util_dirname(path);
	struct buf b = BUF_INIT;
	char now[32];
	struct stat st;
	size_t i;
	int fd = -1, ret = -1;

	if (!n) {
		ret = 0;
		goto out;
	}
	now_iso(now, sizeof(now));
	for (i = 0; i < n; i++) {
		const struct feedback_vote *v = &votes[i];

		add_escaped(&b, v->when ? v->when : now);
		buf_addstr(&b, v->up ? "\tup\t" : "\tdown\t");
		add_escaped(&b, v->via ? v->via : "");
		buf_addch(&b, '\t');
		add_escaped(&b, v->date);
		buf_addch(&b, '\t');
		add_escaped(&b, v->id);
		buf_addch(&b, '\t');
		add_escaped(&b, v->title);
		buf_addch(&b, '\t');
		add_escaped(&b, v->abstract);
		buf_addch(&b, '\t');
		add_escaped(&b, v->authors);
		buf_addch(&b, '\t');
		add_escaped(&b, v->categories);
		buf_addch(&b, '\n');
	}
	if (util_mkdir_p(dir, 0755, eb) < 0)
		goto out;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			errbuf_set(eb, "%s: lock: %s", path, strerror(errno));
			goto out;
		}
	}
	/* Under the lock: the first writer writes the version line. */
	if (fstat(fd, &st) < 0) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size == 0) {
		struct buf all = BUF_INIT;

		buf_addf(&all, "%s %d\n", FEEDBACK_MAGIC, FEEDBACK_VERSION);
		buf_add(&all, b.data, b.len);
		buf_release(&b);
		b = all;
	}
	if (util_write_all(fd, b.data, b.len) < 0 || fsync(fd) < 0) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size == 0 && util_fsync_dir(dir, eb) < 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	buf_release(&b);
	free(path);
	free(dir);
	return ret;
}

int feedback_vote_ids(const char *state_dir, const char *sub_id,
		      const struct listing *l, const char *date,
		      const char *const *ids, size_t nids, int up,
		      const char *via, struct errbuf *eb)
{
	struct feedback_vote *v = xcalloc(nids ? nids : 1, sizeof(*v));
	char **owned = xcalloc(nids ? nids : 1, sizeof(*owned));
	size_t i;
	int ret = -1;

	for (i = 0; i < nids; i++) {
		int version;
		const struct paper *p;

		owned[i] = listing_parse_id(ids[i], &version);
		p = owned[i] ? listing_find(l, owned[i]) : NULL;
		if (!p) {
			errbuf_set(eb, "no paper %s in the listing of %s",
				   ids[i], date);
			goto out;
		}
		v[i].up = up ? 1 : 0;
		v[i].via = (char *)via;
		v[i].date = (char *)date;
		v[i].id = p->id;
		v[i].title = p->title;
		v[i].abstract = p->abstract ? p->abstract : "";
		v[i].authors = strv_join(&p->authors, "; ");
		v[i].categories = strv_join(&p->categories, " ");
	}
	ret = feedback_append(state_dir, sub_id, v, nids, eb);
out:
	for (i = 0; i < nids; i++) {
		free(owned[i]);
		free(v[i].authors);
		free(v[i].categories);
	}
	free(owned);
	free(v);
	return ret;
}

int feedback_record_judged(const char *state_dir, const char *sub_id,
			   const struct listing *l, const char *date,
			   const struct feedback_judged *j, size_t nj,
			   size_t *recorded, struct errbuf *eb)
{
	struct feedback_vote *v = xcalloc(nj ? nj : 1, sizeof(*v));
	size_t i, n = 0;
	int ret;

	for (i = 0; i < nj; i++) {
		const struct feedback_judged *e = &j[i];
		const struct paper *p;

		if (e->paper >= l->n || (e->relevance < FEEDBACK_JUDGE_UP &&
					 e->relevance > FEEDBACK_JUDGE_DOWN))
			continue;
		p = &l->papers[e->paper];
		v[n].up = e->relevance >= FEEDBACK_JUDGE_UP;
		v[n].via = FEEDBACK_VIA_JUDGE;
		v[n].date = (char *)date;
		v[n].id = p->id;
		v[n].title = p->title;
		v[n].abstract = p->abstract ? p->abstract : "";
		v[n].authors = strv_join(&p->authors, "; ");
		v[n].categories = strv_join(&p->categories, " ");
		n++;
	}
	ret = feedback_append(state_dir, sub_id, v, n, eb);
	if (recorded)
		*recorded = ret < 0 ? 0 : n;
	for (i = 0; i < n; i++) {
		free(v[i].authors);
		free(v[i].categories);
	}
	free(v);
	return ret;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	static const unsigned char sep = 0xff; /* field separator */

	return util_fnv1a(util_fnv1a(h, s, strlen(s)), &sep, 1);
}

static void vote_release(struct feedback_vote *v)
{
	free(v->when);
	free(v->via);
	free(v->date);
	free(v->id);
	free(v->title);
	free(v->abstract);
	free(v->authors);
	free(v->categories);
}

/* Index of the vote for id among f's, or -1 (linear probing on ids). */
struct id_table {
	long *slot; /* vote index + 1, 0: empty */
	size_t n;   /* a power of two */
};

static size_t id_slot(const struct id_table *t, const struct feedback *f,
		      const char *id)
{
	size_t i = (size_t)fnv(UTIL_FNV_BASIS, id) & (t->n - 1);

	while (t->slot[i] && strcmp(f->v[t->slot[i] - 1].id, id))
		i = (i + 1) & (t->n - 1);
	return i;
}

/* Counts f's votes and hashes them (what a model was trained on). */
static void summarize(struct feedback *f)
{
	size_t i;

	f->up = f->down = 0;
	f->hash = UTIL_FNV_BASIS;
	for (i = 0; i < f->n; i++) {
		const struct feedback_vote *v = &f->v[i];

		f->up += v->up;
		f->down += !v->up;
		f->hash = fnv(f->hash, v->up ? "up" : "down");
		f->hash = fnv(f->hash, v->date);
		f->hash = fnv(f->hash, v->id);
		f->hash = fnv(f->hash, v->title);
		f->hash = fnv(f->hash, v->abstract);
		f->hash = fnv(f->hash, v->authors);
		f->hash = fnv(f->hash, v->categories);
	}
}

void feedback_keep_before(struct feedback *f, const char *date)
{
	size_t i, k = 0;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].date, date) < 0)
			f->v[k++] = f->v[i];
		else
			vote_release(&f->v[i]);
	}
	f->n = k;
	summarize(f);
}

int feedback_load(const char *state_dir, const char *sub_id,
		  struct feedback *out, struct errbuf *eb)
{
	char *path = feedback_path(state_dir, sub_id);
	struct buf text;
	struct id_table t = {NULL, 0};
	char *line, *next;
	size_t i, k, lines = 0;
	long lineno = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&text, FEEDBACK_MAX_BYTES);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		ret = 0;
		goto done;
	}
	if (util_read_file(path, &text, eb) < 0)
		goto out;
	for (i = 0; i < text.len; i++)
		lines += text.data[i] == '\n';
	for (t.n = 16; t.n < 2 * lines + 2; t.n *= 2)
		;
	t.slot = xcalloc(t.n, sizeof(*t.slot));
	for (line = text.data; line && *line; line = next) {
		char *f[FEEDBACK_FIELDS], *p = line;
		struct feedback_vote v;
		size_t s;

		lineno++;
		next = strchr(line, '\n');
		if (!next) {
			/* A line without its newline: a writer died in the
			 * middle of it; every full line before it counts. */
			break;
		}
		*next++ = '\0';
		if (lineno == 1) {
			int version;
			if (sscanf(line, FEEDBACK_MAGIC " %d", &version) != 1) {
				errbuf_set(eb, "%s:1: not a feedback file",
					   path);
				goto out;
			}
			if (version != FEEDBACK_VERSION) {
				errbuf_set(eb,
					   "%s:1: feedback format %d, this "
					   "paperboy reads %d",
					   path, version, FEEDBACK_VERSION);
				goto out;
			}
			continue;
		}
		for (k = 0; k < FEEDBACK_FIELDS && p; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (k != FEEDBACK_FIELDS || p ||
		    (strcmp(f[1], "up") && strcmp(f[1], "down")) || !*f[4]) {
			errbuf_set(eb, "%s:%ld: malformed vote", path, lineno);
			goto out;
		}
		for (k = 0; k < FEEDBACK_FIELDS; k++)
			unescape(f[k]);
		v.when = xstrdup(f[0]);
		v.up = !strcmp(f[1], "up");
		v.via = xstrdup(f[2]);
		v.date = xstrdup(f[3]);
		v.id = xstrdup(f[4]);
		v.title = xstrdup(f[5]);
		v.abstract = xstrdup(f[6]);
		v.authors = xstrdup(f[7]);
		v.categories = xstrdup(f[8]);
		s = id_slot(&t, out, v.id);
		if (t.slot[s]) {
			struct feedback_vote *old = &out->v[t.slot[s] - 1];
			int keep_old = !strcmp(v.via, FEEDBACK_VIA_JUDGE) &&
				       strcmp(old->via, FEEDBACK_VIA_JUDGE);
			if (keep_old) {
				vote_release(&v);
			} else {
				vote_release(old);
				*old = v;
			}
			continue;
		}
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		out->v[out->n++] = v;
		t.slot[s] = (long)out->n;
	}
done:
	summarize(out);
	ret = 0;
out:
	if (ret < 0)
		feedback_release(out);
	free(t.slot);
	buf_release(&text);
	free(path);
	return ret;
}

void feedback_release(struct feedback *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		vote_release(&f->v[i]);
	free(f->v);
	memset(f, 0, sizeof(*f));
}
