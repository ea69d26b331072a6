/*
 * subs: loading and validating subscriber profiles (see subs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf.h"
#include "mime.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

static const char *const profile_keys[] = {
	"name",	   "email",   "status",	       "categories", "authors",
	"topics",  "exclude", "min_relevance", "max_papers", "criteria",
	"archive", "unsubscribed_at", "min_upvotes", "sort", "primary_only",
	"announce_types", "never", NULL
};
static const char *const topic_keys[] = { "name",    "keywords", "weight",
					  "require", "exclude",	 NULL };
/* The announce types a profile may ask for (as in paperboy.cfg). */
static const char *const announce_names[] = { "new", "cross", "replace",
					      "replace-cross", NULL };

/* The line of list `what` in group at (the group's own when unknown). */
static int term_line(const struct conf_node *at, const char *what)
{
	int line = conf_line_of(at, what);

	return line > 0 ? line : conf_node_line(at);
}

static int check_terms(const struct conf_doc *doc, const struct conf_node *at,
		       const char *what, const struct strv *sv,
		       struct errbuf *eb)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		size_t len = strlen(sv->v[i]);
		if (!len)
			return errbuf_set(eb, "%s:%d: empty entry in '%s'",
					  conf_doc_path(doc), term_line(at, what),
					  what);
		if (len > SUBS_MAX_TERM)
			return errbuf_set(eb, "%s:%d: an entry in '%s' is "
					      "longer than %d characters",
					  conf_doc_path(doc),
					  term_line(at, what), what,
					  SUBS_MAX_TERM);
	}
	return 0;
}

static int check_announce_types(const struct conf_doc *doc,
				const struct conf_node *root,
				const struct strv *sv, struct errbuf *eb)
{
	size_t i, j;

	for (i = 0; i < sv->n; i++) {
		for (j = 0; announce_names[j]; j++)
			if (!strcmp(sv->v[i], announce_names[j]))
				break;
		if (!announce_names[j])
			return errbuf_set(eb, "%s:%d: 'announce_types': \"%s\" "
					      "is not one of new, cross, "
					      "replace, replace-cross",
					  conf_doc_path(doc),
					  conf_line_of(root, "announce_types"),
					  sv->v[i]);
	}
	return 0;
}

static int load_topics(const struct conf_doc *doc, struct subscriber *s,
		       struct errbuf *eb)
{
	const struct conf_node *root = conf_doc_root(doc);
	const struct conf_node *list;
	size_t i, n;
	int r;

	r = conf_get_list(doc, root, "topics", &list, &n, eb);
	if (r)
		return r < 0 ? -1 : 0;
	if (n > SUBS_MAX_TOPICS)
		return errbuf_set(eb, "%s:%d: more than %d topics",
				  conf_doc_path(doc), conf_node_line(list),
				  SUBS_MAX_TOPICS);
	s->topics = xcalloc(n, sizeof(*s->topics));
	for (i = 0; i < n; i++) {
		const struct conf_node *t = conf_list_elem(list, i);
		struct subs_topic *topic = &s->topics[i];

		s->ntopics++;
		topic->weight = 1.0;
		if (!t)
			return errbuf_set(eb, "%s:%d: topic %zu must be a "
					      "group { name = ...; keywords = "
					      "[...]; }", conf_doc_path(doc),
					  conf_node_line(list), i + 1);
		if (conf_check_keys(doc, t, topic_keys, eb) < 0 ||
		    conf_get_string(doc, t, "name", 1, &topic->name, eb) < 0 ||
		    conf_get_strv(doc, t, "keywords", &topic->keywords, eb) < 0 ||
		    conf_get_strv(doc, t, "require", &topic->require, eb) < 0 ||
		    conf_get_strv(doc, t, "exclude", &topic->exclude, eb) < 0 ||
		    conf_get_float(doc, t, "weight", 0.1, 10.0, &topic->weight,
				   eb) < 0)
			return -1;
		if (!topic->name || !topic->name[0])
			return errbuf_set(eb, "%s:%d: topic %zu has no name",
					  conf_doc_path(doc),
					  conf_node_line(t), i + 1);
		if (!topic->keywords.n)
			return errbuf_set(eb, "%s:%d: topic '%s' has no "
					      "keywords", conf_doc_path(doc),
					  conf_node_line(t), topic->name);
		if (check_terms(doc, t, "keywords", &topic->keywords, eb) < 0 ||
		    check_terms(doc, t, "require", &topic->require, eb) < 0 ||
		    check_terms(doc, t, "exclude", &topic->exclude, eb) < 0)
			return -1;
	}
	return 0;
}

static char *id_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (util_ends_with(base, ".cfg"))
		len -= 4;
	return xstrndup(base, len);
}

static int valid_id(const char *id)
{
	size_t i, n = strlen(id);

	if (!n || n > SUBS_MAX_ID || id[0] == '.' || id[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

static int load_profile(const struct conf_doc *doc, struct subscriber *s,
			struct errbuf *eb)
{
	const struct conf_node *root = conf_doc_root(doc);
	const char *path = conf_doc_path(doc);
	char *status = xstrdup("active");
	char *sort = xstrdup("relevance");
	int ret = -1, r;

	if (conf_check_keys(doc, root, profile_keys, eb) < 0 ||
	    conf_get_string(doc, root, "name", 1, &s->name, eb) < 0 ||
	    conf_get_string(doc, root, "status", 1, &status, eb) < 0 ||
	    conf_get_strv(doc, root, "categories", &s->categories, eb) < 0 ||
	    conf_get_strv(doc, root, "authors", &s->authors, eb) < 0 ||
	    conf_get_strv(doc, root, "exclude", &s->exclude, eb) < 0 ||
	    conf_get_strv(doc, root, "never", &s->never, eb) < 0 ||
	    conf_get_int(doc, root, "min_relevance", 1, 10, &s->min_relevance,
			 eb) < 0 ||
	    conf_get_int(doc, root, "max_papers", 1, SUBS_MAX_PAPERS,
			 &s->max_papers, eb) < 0 ||
	    conf_get_string(doc, root, "criteria", 0, &s->criteria, eb) < 0 ||
	    conf_get_int(doc, root, "min_upvotes", 0, 1000000, &s->min_upvotes,
			 eb) < 0 ||
	    conf_get_string(doc, root, "sort", 1, &sort, eb) < 0 ||
	    conf_get_bool(doc, root, "primary_only", &s->primary_only, eb) < 0 ||
	    conf_get_bool(doc, root, "archive", &s->archive, eb) < 0 ||
	    conf_get_strv(doc, root, "announce_types", &s->announce_types,
			  eb) < 0)
		goto out;
	if (check_announce_types(doc, root, &s->announce_types, eb) < 0)
		goto out;
	if (s->primary_only && !s->categories.n) {
		errbuf_set(eb, "%s:%d: 'primary_only' needs 'categories' (the "
			       "primary categories to keep)", path,
			   conf_line_of(root, "primary_only"));
		goto out;
	}
	if (!strcmp(sort, "upvotes")) {
		s->sort_by_upvotes = 1;
	} else if (strcmp(sort, "relevance")) {
		errbuf_set(eb, "%s:%d: 'sort' must be \"relevance\" or "
			       "\"upvotes\" (got \"%s\")", path,
			   conf_line_of(root, "sort"), sort);
		goto out;
	}
	r = conf_get_string(doc, root, "email", 1, &s->email, eb);
	if (r < 0)
		goto out;
	if (r > 0) {
		errbuf_set(eb, "%s:1: 'email' is missing", path);
		goto out;
	}
	if (!mime_address_valid(s->email)) {
		errbuf_set(eb, "%s:%d: 'email' is not a valid address: "
			       "\"%s\"", path, conf_line_of(root, "email"),
			   s->email);
		goto out;
	}
	/* Invisible reordering (U+202E) has no place in a name that is
	 * shown in a greeting and a To header. */
	util_strip_bidi(s->name);
	if (strlen(s->name) > SUBS_MAX_NAME) {
		errbuf_set(eb, "%s:%d: 'name' is longer than %d characters",
			   path, conf_line_of(root, "name"), SUBS_MAX_NAME);
		goto out;
	}
	if (!strcmp(status, "active")) {
		s->status = SUBS_ACTIVE;
	} else if (!strcmp(status, "unsubscribed")) {
		s->status = SUBS_UNSUBSCRIBED;
	} else if (!strcmp(status, "bouncing")) {
		s->status = SUBS_BOUNCING;
	} else {
		errbuf_set(eb, "%s:%d: 'status' must be \"active\", "
			       "\"unsubscribed\" or \"bouncing\" (got \"%s\")",
			   path,
			   conf_line_of(root, "status"), status);
		goto out;
	}
	if (check_terms(doc, root, "authors", &s->authors, eb) < 0 ||
	    check_terms(doc, root, "exclude", &s->exclude, eb) < 0 ||
	    check_terms(doc, root, "never", &s->never, eb) < 0 ||
	    check_terms(doc, root, "categories", &s->categories, eb) < 0 ||
	    load_topics(doc, s, eb) < 0)
		goto out;
	if (!s->ntopics && !s->authors.n) {
		errbuf_set(eb, "%s: the profile has neither topics nor "
			       "authors, so no paper could ever match", path);
		goto out;
	}
	ret = 0;
out:
	free(status);
	free(sort);
	return ret;
}

/* Sets the defaults and the id of s; -1 if the file name is no id. */
static int subs_init(struct subscriber *s, const char *path,
		     struct errbuf *eb)
{
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	s->id = id_from_path(path);
	s->name = xstrdup("");
	s->criteria = xstrdup("");
	s->min_relevance = 5;
	s->max_papers = 30;
	if (!valid_id(s->id))
		return errbuf_set(eb, "%s: the file name must be ID.cfg with "
				      "ID made of letters, digits, '-', '_' "
				      "or '.' (at most %d)", path, SUBS_MAX_ID);
	return 0;
}

/*
 * A profile may be a symbolic link only to a file in its own folder: a
 * link elsewhere would make paperboy read, and on unsubscribe rewrite, a
 * file outside subscribers/. Returns 0 or -1 with eb filled.
 */
static int check_link(const char *path, struct errbuf *eb)
{
	char *dir = NULL, *real_dir = NULL, *real = NULL;
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t n;
	int ret = -1;

	if (lstat(path, &st) < 0)
		return errbuf_set(eb, "%s: %s", path, strerror(errno));
	if (!S_ISLNK(st.st_mode))
		return 0;
	dir = slash ? xstrndup(path, (size_t)(slash - path) + 1)
		    : xstrdup(".");
	real_dir = realpath(dir, NULL);
	real = realpath(path, NULL);
	if (!real_dir || !real) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	n = strlen(real_dir);
	if (strncmp(real, real_dir, n) || real[n] != '/' ||
	    strchr(real + n + 1, '/')) {
		errbuf_set(eb, "%s: a symbolic link out of its folder (to %s) "
			       "is refused", path, real);
		goto out;
	}
	ret = 0;
out:
	free(dir);
	free(real_dir);
	free(real);
	return ret;
}

/* The file's identity as stat() sees it; 0 or -1 (errno set). */
static int file_id(const char *path, unsigned long long *dev,
		   unsigned long long *ino, long long *mtime_ns,
		   long long *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	*dev = (unsigned long long)st.st_dev;
	*ino = (unsigned long long)st.st_ino;
	*mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL +
		    st.st_mtim.tv_nsec;
	*size = (long long)st.st_size;
	return 0;
}

int subs_load_file(const char *path, struct subscriber *s,
		   struct errbuf *eb)
{
	struct conf_doc *doc = NULL;
	unsigned long long dev = 0, ino = 0;
	long long mtime = 0, size = 0;
	int ret = -1;

	/* Before the read: a change after it then shows as a difference. */
	if (file_id(path, &dev, &ino, &mtime, &size) < 0)
		dev = ino = 0;
	if (subs_init(s, path, eb) < 0 || check_link(path, eb) < 0 ||
	    conf_doc_read(path, &doc, eb) < 0 || load_profile(doc, s, eb) < 0)
		goto out;
	s->file_dev = dev;
	s->file_ino = ino;
	s->file_mtime_ns = mtime;
	s->file_size = size;
	ret = 0;
out:
	conf_doc_free(doc);
	if (ret < 0)
		subs_release(s);
	return ret;
}

int subs_still_active(const struct subscriber *s, struct errbuf *eb)
{
	struct subscriber now;
	unsigned long long dev, ino;
	long long mtime, size;
	int active;

	if (file_id(s->path, &dev, &ino, &mtime, &size) < 0)
		return errno == ENOENT ? 0
				       : errbuf_set(eb, "%s: %s", s->path,
						    strerror(errno));
	if (s->file_ino && dev == s->file_dev && ino == s->file_ino &&
	    mtime == s->file_mtime_ns && size == s->file_size)
		return s->status == SUBS_ACTIVE;
	if (subs_load_file(s->path, &now, eb) < 0)
		return -1;
	active = now.status == SUBS_ACTIVE && !strcmp(now.email, s->email);
	subs_release(&now);
	return active;
}

int subs_load_string(const char *path, const char *data, size_t len,
		     struct subscriber *s, struct errbuf *eb)
{
	struct conf_doc *doc = NULL;
	int ret = -1;

	if (subs_init(s, path, eb) < 0 ||
	    conf_doc_parse(path, data, len, &doc, eb) < 0 ||
	    load_profile(doc, s, eb) < 0)
		goto out;
	ret = 0;
out:
	conf_doc_free(doc);
	if (ret < 0)
		subs_release(s);
	return ret;
}

void subs_release(struct subscriber *s)
{
	size_t i;

	free(s->id);
	free(s->path);
	free(s->name);
	free(s->email);
	strv_release(&s->categories);
	strv_release(&s->authors);
	for (i = 0; i < s->ntopics; i++) {
		free(s->topics[i].name);
		strv_release(&s->topics[i].keywords);
		strv_release(&s->topics[i].require);
		strv_release(&s->topics[i].exclude);
	}
	free(s->topics);
	strv_release(&s->exclude);
	strv_release(&s->never);
	strv_release(&s->announce_types);
	free(s->criteria);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FNV-1a of the address, case-folded (ASCII: addresses are compared
 * with strcasecmp). */
static size_t email_hash(const char *email)
{
	size_t h = 2166136261u;

	for (; *email; email++) {
		unsigned char c = (unsigned char)*email;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* Slots of an empty subs_seen (a power of two). */
#define SUBS_SEEN_SLOTS 64
/* Folders a subs_seen names by number (a run reads one); a path in a
 * folder past these is kept whole. A record's first byte numbers it. */
#define SUBS_SEEN_DIRS 255

/*
 * Every address loaded so far with the path of its profile, as records
 * "D EMAIL\0REST\0" in an arena, found through an open-addressing table of
 * record pointers (a power of two at least twice the records): a folder
 * of 100,000 profiles is checked for duplicates in linear time, and the
 * profiles themselves need not stay in memory. The profiles of a run
 * share their folder, so a record keeps it as a number: D, one byte, is 0
 * when REST is the whole path, else the path is dirs[D - 1] "/" REST
 * (about 35 bytes a profile instead of twice that).
 */
struct subs_seen {
	struct arena text;
	const char **slot;
	size_t nslots, n;
	const char *dirs[SUBS_SEEN_DIRS]; /* in text */
	size_t ndirs;
};

struct subs_seen *subs_seen_new(void)
{
	struct subs_seen *seen = xcalloc(1, sizeof(*seen));

	seen->nslots = SUBS_SEEN_SLOTS;
	seen->slot = xcalloc(seen->nslots, sizeof(*seen->slot));
	return seen;
}

void subs_seen_free(struct subs_seen *seen)
{
	if (!seen)
		return;
	arena_release(&seen->text);
	free(seen->slot);
	free(seen);
}

static const char *rec_email(const char *rec)
{
	return rec + 1;
}

static const char *rec_rest(const char *rec)
{
	return rec + 2 + strlen(rec + 1);
}

/* The slot holding email (case-insensitively), or the empty one where it
 * goes. */
static const char **seen_slot(const struct subs_seen *seen, const char *email)
{
	size_t mask = seen->nslots - 1, i = email_hash(email) & mask;

	while (seen->slot[i] && strcasecmp(rec_email(seen->slot[i]), email))
		i = (i + 1) & mask;
	return &seen->slot[i];
}

/* The record of email, or NULL. */
static const char *seen_find(const struct subs_seen *seen, const char *email)
{
	return *seen_slot(seen, email);
}

/* Whether path is the path of rec's profile. */
static int seen_path_is(const struct subs_seen *seen, const char *rec,
			const char *path)
{
	unsigned char d = (unsigned char)rec[0];

	if (d) {
		size_t len = strlen(seen->dirs[d - 1]);

		if (strncmp(path, seen->dirs[d - 1], len) || path[len] != '/')
			return 0;
		path += len + 1;
	}
	return !strcmp(path, rec_rest(rec));
}

/* Appends the path of rec's profile to out. */
static void seen_path(const struct subs_seen *seen, const char *rec,
		      struct buf *out)
{
	unsigned char d = (unsigned char)rec[0];

	if (d)
		buf_addf(out, "%s/", seen->dirs[d - 1]);
	buf_addstr(out, rec_rest(rec));
}

/* D for the folder of path (its part before the last '/'), numbering it
 * if it is new; *rest receives what follows. 0 and path: kept whole. */
static unsigned char seen_dir(struct subs_seen *seen, const char *path,
			      const char **rest)
{
	const char *slash = strrchr(path, '/');
	size_t len, i;

	*rest = path;
	if (!slash)
		return 0;
	len = (size_t)(slash - path);
	/* The latest first: a run's profiles come one folder at a time. */
	for (i = seen->ndirs; i > 0; i--)
		if (!strncmp(seen->dirs[i - 1], path, len) &&
		    !seen->dirs[i - 1][len])
			break;
	if (!i) {
		if (seen->ndirs == SUBS_SEEN_DIRS)
			return 0;
		seen->dirs[seen->ndirs] = arena_strndup(&seen->text, path, len);
		i = ++seen->ndirs;
	}
	*rest = slash + 1;
	return (unsigned char)i;
}

static void seen_add(struct subs_seen *seen, const char *email,
		     const char *path)
{
	const char *rest;
	unsigned char d = seen_dir(seen, path, &rest);
	size_t le = strlen(email) + 1, lr = strlen(rest) + 1, i;
	char *rec;

	if (2 * (seen->n + 1) > seen->nslots) {
		const char **old = seen->slot;
		size_t nold = seen->nslots;

		seen->nslots *= 2;
		seen->slot = xcalloc(seen->nslots, sizeof(*seen->slot));
		for (i = 0; i < nold; i++)
			if (old[i])
				*seen_slot(seen, rec_email(old[i])) = old[i];
		free(old);
	}
	rec = arena_alloc(&seen->text, 1 + le + lr);
	rec[0] = (char)d;
	memcpy(rec + 1, email, le);
	memcpy(rec + 1 + le, rest, lr);
	*seen_slot(seen, email) = rec;
	seen->n++;
}

void subs_names_release(struct subs_names *names)
{
	free(names->v);
	arena_release(&names->arena);
	memset(names, 0, sizeof(*names));
}

int subs_list_names(const char *dir, struct subs_names *names,
		    struct errbuf *eb)
{
	struct dirent *de;
	size_t first = names->n;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errbuf_set(eb, "%s: cannot open the subscribers "
				      "folder: %m", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !util_ends_with(de->d_name, ".cfg"))
			continue;
		if (names->n - first >= SUBS_MAX_SUBSCRIBERS) {
			closedir(d);
			return errbuf_set(eb, "%s: more than %d profiles", dir,
					  SUBS_MAX_SUBSCRIBERS);
		}
		ALLOC_GROW(names->v, names->n + 1, names->alloc);
		names->v[names->n++] = arena_strdup(&names->arena, de->d_name);
	}
	closedir(d);
	if (names->n > first)
		qsort(names->v + first, names->n - first, sizeof(*names->v),
		      cmp_str);
	return 0;
}

void subs_load_names(const char *dir, char *const *names, size_t n,
		     struct subs_seen *seen, struct subs_list *out,
		     long *index, struct strv *errors)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct errbuf err = ERRBUF_INIT;
		struct subscriber s;
		char *path = util_path_join(dir, names[i]);
		const char *first;

		struct stat st;

		if (index)
			index[i] = SUBS_NAME_SKIPPED;
		if (subs_load_file(path, &s, &err) < 0) {
			if (lstat(path, &st) < 0 && errno == ENOENT) {
				/* Removed since it was listed: gone, not
				 * broken. */
				if (index)
					index[i] = SUBS_NAME_GONE;
			} else if (errors) {
				strv_push(errors, err.msg);
			}
			free(path);
			continue;
		}
		free(path);
		/* An address's first profile in name order keeps it; seen
		 * may already hold this very profile (a shard's pass). */
		first = seen_find(seen, s.email);
		if (first && seen_path_is(seen, first, s.path))
			first = NULL;
		else if (!first)
			seen_add(seen, s.email, s.path);
		if (first) {
			struct buf m = BUF_INIT;
			buf_addf(&m, "%s: email %s is already used by ",
				 s.path, s.email);
			seen_path(seen, first, &m);
			buf_addstr(&m, "; skipped");
			if (errors)
				strv_push_owned(errors, buf_detach(&m, NULL));
			else
				buf_release(&m);
			subs_release(&s);
			continue;
		}
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		if (index)
			index[i] = (long)out->n;
		out->v[out->n++] = s;
	}
}

int subs_load_dir(const char *dir, struct subs_list *out,
		  struct strv *errors, struct errbuf *eb)
{
	struct subs_names names = SUBS_NAMES_INIT;
	struct subs_seen *seen;
	size_t i;

	if (subs_list_names(dir, &names, eb) < 0) {
		subs_names_release(&names);
		return -1;
	}
	seen = subs_seen_new();
	for (i = 0; i < out->n; i++)
		seen_add(seen, out->v[i].email, out->v[i].path);
	subs_load_names(dir, names.v, names.n, seen, out, NULL, errors);
	subs_seen_free(seen);
	subs_names_release(&names);
	return 0;
}

void subs_list_release(struct subs_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		subs_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct subscriber *subs_find(const struct subs_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
}

const char *subs_status_name(enum subs_status s)
{
	switch (s) {
	case SUBS_ACTIVE:
		return "active";
	case SUBS_BOUNCING:
		return "bouncing";
	default:
		return "unsubscribed";
	}
}
