/*
 * history: per-subscriber record of papers sent (see history.h).
 *
 * The files name subscribers, so they are private: STATE and
 * STATE/history mode 0700, each file 0600. Design decision: a run appends
 * to thousands of files, so the folders are made (and made private) once
 * per process, not once per append, and an append costs an open, an
 * fstat, a write and a close; the file is read back (to count its lines)
 * only when it may have grown past HISTORY_MAX_LINES.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "history.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* A history file larger than this is not read (HISTORY_MAX_LINES lines of
 * ~30 bytes, with room to spare). */
#define HISTORY_MAX_FILE ((size_t)1 << 20)
/* The shortest line an append writes: "YYYY-MM-DD " and the shortest
 * arXiv id ("0704.0001"), and its '\n'. A file no larger than
 * HISTORY_MAX_LINES of these is not read back to count its lines. */
#define HISTORY_MIN_LINE 21

/* The state folder whose STATE and STATE/history were last made private
 * by this process (a run appends for every subscriber into the same). */
static pthread_mutex_t private_mu = PTHREAD_MUTEX_INITIALIZER;
static char *private_state;

static char *history_path(const char *state_dir, const char *id)
{
	struct buf b = BUF_INIT;
	char *p;

	buf_addf(&b, "history/%s", id);
	p = util_path_join(state_dir, buf_str(&b));
	buf_release(&b);
	return p;
}

int history_load(const char *state_dir, const char *id, struct history *h,
		 struct errbuf *eb)
{
	char *path = history_path(state_dir, id);
	struct buf text;
	char *line, *next;
	int ret = -1;

	listing_init(&h->seen);
	buf_init(&text, HISTORY_MAX_FILE);
	if (util_read_file(path, &text, eb) < 0) {
		ret = errno == ENOENT || access(path, F_OK) ? 0 : -1;
		errbuf_kind(eb, ERRBUF_IO);
		goto out;
	}
	for (line = text.data; line && *line; line = next) {
		struct paper p;
		char *sp, *nl = strchr(line, '\n');
		int version;

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		sp = strchr(line, ' ');
		memset(&p, 0, sizeof(p));
		p.id = sp ? listing_parse_id(sp + 1, &version) : NULL;
		if (!p.id)
			continue; /* not ours to judge: skip the line */
		if (listing_add(&h->seen, &p) < 0)
			break;
	}
	ret = 0;
out:
	buf_release(&text);
	free(path);
	return ret;
}

void history_release(struct history *h)
{
	listing_release(&h->seen);
}

int history_contains(const struct history *h, const char *paper_id)
{
	return listing_find(&h->seen, paper_id) != NULL;
}

/* Keeps the newer half of an over-long history. */
static int trim(const char *path, struct errbuf *eb)
{
	struct buf text;
	size_t lines = 0, i, drop;
	const char *p;
	int ret = -1;

	buf_init(&text, HISTORY_MAX_FILE * 2);
	if (util_read_file(path, &text, eb) < 0)
		goto out;
	for (i = 0; i < text.len; i++)
		lines += text.data[i] == '\n';
	ret = 0;
	if (lines <= HISTORY_MAX_LINES)
		goto out;
	drop = lines - HISTORY_MAX_LINES / 2;
	for (p = text.data; drop && p; drop--) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p)
		ret = util_write_atomic(path, p, text.len - (size_t)(p - text.data),
					0600, eb);
out:
	buf_release(&text);
	return ret;
}

/* path opened for appending, created 0600; never through a link. */
static int open_append(const char *path)
{
	return open(
	    path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/*
 * Makes STATE and STATE/history private (made if missing, tightened if
 * an older version left them open), once per process and state folder;
 * again = 1 does it even if done (the folder went away meanwhile).
 */
static int private_dirs(const char *state_dir, const char *dir, int again,
			struct errbuf *eb)
{
	int ret = 0;

	pthread_mutex_lock(&private_mu);
	if (again || !private_state || strcmp(private_state, state_dir)) {
		free(private_state);
		private_state = NULL;
		ret = util_private_dir(state_dir, eb) < 0 ||
			      util_private_dir(dir, eb) < 0
			  ? -1
			  : 0;
		if (!ret)
			private_state = xstrdup(state_dir);
	}
	pthread_mutex_unlock(&private_mu);
	return ret;
}

int history_append(const char *state_dir, const char *id, const char *date,
		   const struct strv *paper_ids, struct errbuf *eb)
{
	char *dir = util_path_join(state_dir, "history");
	char *path = history_path(state_dir, id);
	struct buf lines = BUF_INIT;
	struct stat st;
	size_t i;
	int fd = -1, ret = -1;

	for (i = 0; i < paper_ids->n; i++)
		buf_addf(&lines, "%s %s\n", date, paper_ids->v[i]);
	/* The state folder is private: these files name subscribers and
	 * what they read. Folders and files made by older versions are
	 * tightened too. */
	if (private_dirs(state_dir, dir, 0, eb) < 0)
		goto out;
	fd = open_append(path);
	if (fd < 0 && errno == ENOENT) {
		if (private_dirs(state_dir, dir, 1, eb) < 0)
			goto out;
		fd = open_append(path);
	}
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) ||
	    util_write_all(fd, buf_str(&lines), lines.len) < 0) {
		errbuf_setk(eb, ERRBUF_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
	/* Each line is at least HISTORY_MIN_LINE bytes: a file this small
	 * cannot have too many. */
	if ((size_t)st.st_size + lines.len >
	    (size_t)HISTORY_MAX_LINES * HISTORY_MIN_LINE)
		ret = trim(path, eb);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&lines);
	free(dir);
	free(path);
	return ret;
}
