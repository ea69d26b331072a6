/*
 * subs_status: unsubscribing and resubscribing by editing a profile in
 * place (see subs.h), and the unsubscribe log.
 *
 * Design decision: libconfig's writer would drop every comment, so the
 * profile is edited as text. A small lexer finds the setting's span
 * (name, '=' or ':', its string, its ';'), cross-checked against the line
 * libconfig reports, and only that span changes. Whatever the edit, the
 * result is loaded with subs_load_file() before it replaces the profile:
 * a file paperboy cannot read back is never installed.
 *
 * A change and its line in STATE/unsubscribe.log cannot be written at
 * once, so under the profile's lock the line is first made durable as an
 * intent in the stage folder DIR/.ID.edit, then the profile is renamed
 * into place, then the line is appended and the stage removed. A kill
 * anywhere leaves either no change (the intent is dropped) or a change
 * whose line the log may lack; subs_recover (at the start of serve,
 * unsubscribe and inbound) and the next change of that profile append it
 * then, so the two never disagree once paperboy has started again. The
 * lock file is removed by its holder, so nothing is left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "strv.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* A date longer than this is no ISO date; refusing it keeps the line short. */
#define MAX_WHEN 64
/* Bytes kept of one log field: an address is at most 254 (RFC 5321). */
#define LOG_MAX_FIELD 256
/* One log line: five fields and their tabs, well under PIPE_BUF, so a
 * single write() is never interleaved with another process's line. */
#define LOG_MAX_LINE 2048
/* The log's name inside the state folder. */
#define LOG_NAME "unsubscribe.log"
/* In DIR/.ID.edit: the log line of a change on its way (see the top). */
#define INTENT_NAME "intent"

/* Where a setting is in the text: [start, end) and the line of its name. */
struct span {
	size_t start;
	size_t end;
	int line;
};

/* A replacement of [start, end) by text ("" deletes). */
struct edit {
	size_t start;
	size_t end;
	const char *text;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

static int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

static size_t skip_space(const char *s, size_t len, size_t i, int *line)
{
	for (; i < len && is_space(s[i]); i++)
		if (s[i] == '\n')
			++*line;
	return i;
}

/* s[i] is the opening quote; returns the index after the closing one, or
 * len + 1 when the string never ends. */
static size_t skip_string(const char *s, size_t len, size_t i, int *line)
{
	for (i++; i < len; i++) {
		if (s[i] == '\n')
			++*line;
		else if (s[i] == '\\' && i + 1 < len && s[i + 1] != '\n')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len + 1;
}

/* s[i] starts a comment: the index after it. */
static size_t skip_comment(const char *s, size_t len, size_t i, int *line)
{
	if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
		for (i += 2; i < len; i++) {
			if (s[i] == '\n')
				++*line;
			else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/')
				return i + 2;
		}
		return len;
	}
	while (i < len && s[i] != '\n')
		i++;
	return i;
}

static int is_comment(const char *s, size_t len, size_t i)
{
	return s[i] == '#' ||
	       (s[i] == '/' && i + 1 < len && (s[i + 1] == '/' ||
					       s[i + 1] == '*'));
}

/*
 * A value that is not a string, from s[i]: a list, array or group (to its
 * matching bracket, over strings and comments) or a scalar (to the ';',
 * ',' or end of line), and an optional ';' or ','. Returns 0 and *sp, or
 * -1 when the brackets do not close.
 */
static int value_span(const char *s, size_t len, size_t start, size_t i,
		      int line, struct span *sp)
{
	int l = line, depth = 0;

	if (s[i] == '[' || s[i] == '(' || s[i] == '{') {
		while (i < len) {
			if (s[i] == '"') {
				i = skip_string(s, len, i, &l);
				if (i > len)
					return -1;
				continue;
			}
			if (is_comment(s, len, i)) {
				i = skip_comment(s, len, i, &l);
				continue;
			}
			if (s[i] == '[' || s[i] == '(' || s[i] == '{')
				depth++;
			else if (s[i] == ']' || s[i] == ')' || s[i] == '}')
				depth--;
			i++;
			if (!depth)
				break;
		}
		if (depth)
			return -1;
	} else {
		while (i < len && s[i] != ';' && s[i] != ',' && s[i] != '\n' &&
		       !is_comment(s, len, i))
			i++;
	}
	{
		size_t j = i;

		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j < len && (s[j] == ';' || s[j] == ','))
			i = j + 1;
	}
	sp->start = start;
	sp->end = i;
	sp->line = line;
	return 0;
}

/*
 * After the name at [start, i): '=' or ':', one or more adjacent strings
 * (libconfig joins them) and an optional ';' or ','. Returns 0 and *sp, or
 * -1 when the value is not written that way.
 */
static int setting_span(const char *s, size_t len, size_t start, size_t i,
			int line, int any, struct span *sp)
{
	int l = line;
	size_t end;

	i = skip_space(s, len, i, &l);
	if (i >= len || (s[i] != '=' && s[i] != ':'))
		return -1;
	i = skip_space(s, len, i + 1, &l);
	if (any && i < len && s[i] != '"')
		return value_span(s, len, start, i, line, sp);
	if (i >= len || s[i] != '"')
		return -1;
	for (;;) {
		i = skip_string(s, len, i, &l);
		if (i > len)
			return -1;
		end = i;
		i = skip_space(s, len, i, &l);
		if (i >= len || s[i] != '"')
			break;
	}
	if (i < len && (s[i] == ';' || s[i] == ','))
		end = i + 1;
	sp->start = start;
	sp->end = end;
	sp->line = line;
	return 0;
}

/*
 * Finds the top-level setting `name` in the text, skipping strings,
 * comments and everything inside groups, lists and arrays. Returns 1 and
 * *sp, 0 when there is none, -1 (sp->line set) when it is there but not
 * as `name = "string";` (unless any: then any value will do).
 */
static int find_setting(const char *s, size_t len, const char *name,
			int any, struct span *sp)
{
	size_t i = 0, nlen = strlen(name);
	int line = 1, depth = 0;

	while (i < len) {
		char c = s[i];

		if (c == '\n') {
			line++;
			i++;
		} else if (c == '#' ||
			   (c == '/' && i + 1 < len && s[i + 1] == '/')) {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			for (i += 2; i < len; i++) {
				if (s[i] == '\n')
					line++;
				else if (s[i] == '*' && i + 1 < len &&
					 s[i + 1] == '/')
					break;
			}
			i += 2;
		} else if (c == '"') {
			i = skip_string(s, len, i, &line);
		} else if (c == '{' || c == '(' || c == '[') {
			depth++;
			i++;
		} else if (c == '}' || c == ')' || c == ']') {
			depth--;
			i++;
		} else if (is_name_start(c)) {
			size_t b = i;

			while (i < len && is_name_char(s[i]))
				i++;
			if (depth || i - b != nlen || memcmp(s + b, name, nlen))
				continue;
			sp->line = line;
			if (setting_span(s, len, b, i, line, any, sp) < 0)
				return -1;
			return 1;
		} else if (c >= '0' && c <= '9') {
			/* A number ("1e5", "0x1F") is not a name. */
			while (i < len && (is_name_char(s[i]) || s[i] == '.') &&
			       s[i] != '-')
				i++;
		} else {
			i++;
		}
	}
	return 0;
}

/*
 * Locates `name` in the text and checks the lexer agrees with libconfig
 * about where it is (both found, on the same line, or both absent).
 * Returns 1 found, 0 absent, -1 with eb filled.
 */
static int locate_any(const char *path, const struct buf *text,
		      const struct conf_doc *doc, const char *name, int any,
		      struct span *sp, struct errbuf *eb)
{
	int want = conf_line_of(conf_doc_root(doc), name);
	int r;

	memset(sp, 0, sizeof(*sp));
	r = find_setting(buf_str(text), text->len, name, any, sp);
	if (r < 0)
		return errbuf_set(eb, "%s:%d: cannot edit '%s': write it as "
				      "%s = \"...\"; to let paperboy change it",
				  path, sp->line, name, name);
	if (r == 1 && sp->line == want)
		return 1;
	if (r == 0 && !want)
		return 0;
	return errbuf_set(eb, "%s:%d: cannot find '%s' in the text where "
			      "libconfig reads it; the file was not changed",
			  path, want ? want : sp->line, name);
}

static int locate(const char *path, const struct buf *text,
		  const struct conf_doc *doc, const char *name,
		  struct span *sp, struct errbuf *eb)
{
	return locate_any(path, text, doc, name, 0, sp, eb);
}

/*
 * The range to delete for a setting that goes away: the whole line when
 * nothing else is on it, else the span and the blanks that would be left
 * dangling, so the neighbours keep their layout.
 */
static void deletion(const char *s, size_t len, const struct span *sp,
		     struct edit *e)
{
	size_t a = sp->start, b = sp->end;
	int bol, eol;

	while (a > 0 && (s[a - 1] == ' ' || s[a - 1] == '\t'))
		a--;
	while (b < len && (s[b] == ' ' || s[b] == '\t'))
		b++;
	bol = a == 0 || s[a - 1] == '\n';
	eol = b == len || s[b] == '\n' ||
	      (s[b] == '\r' && b + 1 < len && s[b + 1] == '\n');
	e->text = "";
	if (bol && eol) {
		while (b < len && s[b] != '\n')
			b++;
		e->start = a;
		e->end = b < len ? b + 1 : b;
	} else if (eol) {
		e->start = a;
		e->end = b;
	} else {
		e->start = sp->start;
		e->end = b;
	}
}

/* Applies edits (sorted, not overlapping) to text, then appends tail on
 * a line of its own (nl ends lines). */
static int apply_sorted(const struct buf *text, const struct edit *edits,
			size_t n, const char *tail, const char *nl,
			struct buf *out)
{
	const char *s = buf_str(text);
	size_t i, at = 0;
	int r = 0;

	for (i = 0; i < n; i++) {
		r |= buf_add(out, s + at, edits[i].start - at);
		r |= buf_addstr(out, edits[i].text);
		at = edits[i].end;
	}
	r |= buf_add(out, s + at, text->len - at);
	if (*tail && out->len && out->data[out->len - 1] != '\n')
		r |= buf_addstr(out, nl);
	r |= buf_addstr(out, tail);
	return r ? -1 : 0;
}

/* apply_sorted for up to two edits in any order. */
static int apply(const struct buf *text, struct edit *edits, size_t n,
		 const char *tail, const char *nl, struct buf *out)
{
	if (n == 2 && edits[1].start < edits[0].start) {
		struct edit t = edits[0];
		edits[0] = edits[1];
		edits[1] = t;
	}
	return apply_sorted(text, edits, n, tail, nl, out);
}

static int valid_when(const char *when)
{
	size_t i, n = when ? strlen(when) : 0;

	if (!n || n > MAX_WHEN)
		return 0;
	for (i = 0; i < n; i++)
		if (when[i] < 0x20 || when[i] > 0x7e || when[i] == '"' ||
		    when[i] == '\\')
			return 0;
	return 1;
}

/* The file name without ".cfg", as subs.c derives the id. */
static char *base_id(const char *path, const char **base)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (util_ends_with(b, ".cfg"))
		n -= 4;
	*base = b;
	return xstrndup(b, n);
}

/* DIR/.ID.SUFFIX (caller frees). */
static char *side_path(const char *dir, const char *id, const char *suffix)
{
	struct buf name = BUF_INIT;
	char *p;

	buf_addf(&name, ".%s.%s", id, suffix);
	p = util_path_join(dir, buf_str(&name));
	buf_release(&name);
	return p;
}

/*
 * Opens and exclusively locks the lock file `lock` (DIR/.ID.lock). The
 * lock is on a file of its own because the profile itself is replaced by
 * rename: a lock on it would be on a file nobody opens any more. The
 * holder removes the file before it lets go (unlock_profile), so no lock
 * file outlives its edit; a process that was waiting then holds a lock on
 * a file that is gone, sees that the path no longer names it, and starts
 * over. Returns the fd or -1.
 */
static int lock_profile(const char *lock, struct errbuf *eb)
{
	for (;;) {
		struct stat held, named;
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			      0600);

		if (fd < 0)
			return errbuf_set(eb, "%s: %s", lock, strerror(errno));
		while (flock(fd, LOCK_EX) < 0) {
			if (errno == EINTR)
				continue;
			errbuf_set(eb, "%s: flock: %s", lock, strerror(errno));
			close(fd);
			return -1;
		}
		if (fstat(fd, &held) == 0 && lstat(lock, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			return fd;
		close(fd);
	}
}

/* Removes the lock file, then lets go of the lock (see lock_profile). */
static void unlock_profile(const char *lock, int fd)
{
	if (fd < 0)
		return;
	unlink(lock);
	close(fd);
}

/*
 * Makes an empty private folder DIR/.ID.edit for the new file: staged
 * under its final name so that subs_load_file() judges it exactly as it
 * will judge the profile. A folder left by a crash is emptied and reused
 * (we hold the lock, so nobody else is using it).
 */
/* Empties the stage folder (files only: nothing else is ever put there). */
static int clear_stage(const char *stage, struct errbuf *eb)
{
	struct dirent *de;
	DIR *d = opendir(stage);

	if (!d)
		return errbuf_set(eb, "%s: %s", stage, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			errbuf_set(eb, "%s/%s: %s", stage, de->d_name,
				   strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* Removes the stage folder and what is in it; gone already is fine. */
static int remove_stage(const char *stage, struct errbuf *eb)
{
	struct stat st;

	if (lstat(stage, &st) < 0)
		return errno == ENOENT ? 0
				       : errbuf_set(eb, "%s: %s", stage,
						    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errbuf_set(eb, "%s: exists and is not a folder", stage);
	if (clear_stage(stage, eb) < 0)
		return -1;
	if (rmdir(stage) < 0 && errno != ENOENT)
		return errbuf_set(eb, "%s: %s", stage, strerror(errno));
	return 0;
}

static int make_stage(const char *stage, struct errbuf *eb)
{
	struct stat st;

	if (!mkdir(stage, 0700))
		return 0;
	if (errno != EEXIST)
		return errbuf_set(eb, "%s: %s", stage, strerror(errno));
	if (lstat(stage, &st) < 0 || !S_ISDIR(st.st_mode))
		return errbuf_set(eb, "%s: exists and is not a folder", stage);
	return clear_stage(stage, eb);
}

/* Rewrites "STAGED..." in eb as "PATH..." with a note: the message is
 * about the edit of the user's file, not about our scratch copy. */
static int blame_edit(const char *staged, const char *path,
		      struct errbuf *eb)
{
	struct errbuf copy = *eb;
	size_t n = strlen(staged);
	const char *rest = copy.msg;

	if (!strncmp(rest, staged, n))
		rest += n;
	else
		return errbuf_set(eb, "%s: %s (after the edit; the "
				      "file was not changed)", path, copy.msg);
	return errbuf_set(eb, "%s%s (after the edit; the file was not "
			      "changed)", path, rest);
}

/*
 * Loads the staged file the way a run will: it must be a valid profile
 * with the wanted status and unsubscribed_at (absent when active).
 */
static int check_staged(const char *staged, const char *path,
			enum subs_status status, const char *when,
			struct errbuf *eb)
{
	struct subscriber s;
	struct conf_doc *doc = NULL;
	char *at = NULL;
	int r, ret = -1;

	if (subs_load_file(staged, &s, eb) < 0)
		return blame_edit(staged, path, eb);
	r = s.status == status ? 0 : -1;
	subs_release(&s);
	if (r < 0) {
		errbuf_set(eb, "%s: the edited profile does not say \"%s\"; "
			       "the file was not changed", path,
			   subs_status_name(status));
		goto out;
	}
	/* No date to check: a new profile, or an edit of other settings. */
	if (!when) {
		ret = 0;
		goto out;
	}
	if (conf_doc_read(staged, &doc, eb) < 0) {
		blame_edit(staged, path, eb);
		goto out;
	}
	r = conf_get_string(doc, conf_doc_root(doc), "unsubscribed_at", 1, &at,
			    eb);
	if (r < 0) {
		blame_edit(staged, path, eb);
		goto out;
	}
	/* Unsubscribed: this date; active: none; bouncing: as it was. */
	if (status == SUBS_UNSUBSCRIBED ? (r || strcmp(at, when))
					: (status == SUBS_ACTIVE && !r)) {
		errbuf_set(eb, "%s: the edited profile has the wrong "
			       "unsubscribed_at; the file was not changed",
			   path);
		goto out;
	}
	ret = 0;
out:
	free(at);
	conf_doc_free(doc);
	return ret;
}

/*
 * Writes the new text through the stage (util_write_atomic: temp file,
 * fsync, rename), gives it the profile's exact mode, checks it, and
 * renames it over the profile (or, with no_clobber, links it to a path
 * that must not exist yet), then fsyncs the profile's folder. With an
 * intent (the log line of the change), it is made durable in the stage
 * as INTENT_NAME before the rename, and the stage is left holding it for
 * the caller to finish (*committed: the rename was made).
 */
static int install(const char *path, const char *dir, const char *id,
		   const char *base, const struct buf *text, mode_t mode,
		   enum subs_status status, const char *when,
		   const struct buf *intent, int no_clobber, int *committed,
		   struct errbuf *eb)
{
	char *stage, *staged = NULL, *intent_path = NULL;
	int ret = -1;

	*committed = 0;
	stage = side_path(dir, id, "edit");
	if (make_stage(stage, eb) < 0)
		goto out;
	staged = util_path_join(stage, base);
	if (util_write_atomic(staged, buf_str(text), text->len, mode,
			      eb) < 0) {
		errbuf_prefix(eb, "%s: not changed, the new version could not "
			      "be written", path);
		goto out;
	}
	/* open() applied the umask; the profile keeps the mode it had. */
	if (chmod(staged, mode) < 0) {
		errbuf_set(eb, "%s: chmod: %s", staged, strerror(errno));
		goto out;
	}
	if (check_staged(staged, path, status, when, eb) < 0)
		goto out;
	if (intent) {
		intent_path = util_path_join(stage, INTENT_NAME);
		if (util_write_atomic(intent_path, intent->data, intent->len,
				      0600, eb) < 0) {
			errbuf_prefix(eb, "%s: not changed", path);
			goto out;
		}
	}
	if (no_clobber ? link(staged, path) : rename(staged, path)) {
		errbuf_set(eb, "%s: %s: %s", path,
			   no_clobber ? "link" : "rename", strerror(errno));
		goto out;
	}
	*committed = 1;
	if (util_fsync_dir(dir, eb) < 0)
		goto out;
	ret = 0;
out:
	if (staged)
		unlink(staged);
	/* Not committed: the intent goes with the stage (nothing changed).
	 * Committed: it stays until the log has the line. */
	if (!*committed || !intent)
		remove_stage(stage, NULL);
	free(intent_path);
	free(staged);
	free(stage);
	return ret;
}

/* Builds the edited text for the wanted status into out. */
static int edit_text(const char *path, const struct buf *text,
		     const struct conf_doc *doc, enum subs_status status,
		     const char *when, struct buf *out, struct errbuf *eb)
{
	struct buf tail = BUF_INIT, set_status = BUF_INIT, set_at = BUF_INIT;
	struct edit edits[2];
	struct span st, at;
	/* Added lines end the way the file's lines do. */
	const char *nl = strstr(buf_str(text), "\r\n") ? "\r\n" : "\n";
	size_t n = 0;
	int has_st, has_at, ret = -1;

	has_st = locate(path, text, doc, "status", &st, eb);
	if (has_st < 0)
		goto out;
	has_at = locate(path, text, doc, "unsubscribed_at", &at, eb);
	if (has_at < 0)
		goto out;
	buf_addf(&set_status, "status = \"%s\";", subs_status_name(status));
	if (has_st) {
		edits[n].start = st.start;
		edits[n].end = st.end;
		edits[n++].text = buf_str(&set_status);
	} else {
		buf_addf(&tail, "%s%s", buf_str(&set_status), nl);
	}
	if (status == SUBS_UNSUBSCRIBED) {
		buf_addf(&set_at, "unsubscribed_at = \"%s\";", when);
		if (has_at) {
			edits[n].start = at.start;
			edits[n].end = at.end;
			edits[n++].text = buf_str(&set_at);
		} else {
			buf_addf(&tail, "%s%s", buf_str(&set_at), nl);
		}
	} else if (status == SUBS_ACTIVE && has_at) {
		deletion(buf_str(text), text->len, &at, &edits[n++]);
	}
	if (apply(text, edits, n, buf_str(&tail), nl, out) < 0) {
		errbuf_set(eb, "%s: the edited profile would be larger than "
			       "%zu bytes", path, CONF_MAX_FILE_SIZE);
		goto out;
	}
	ret = 0;
out:
	buf_release(&tail);
	buf_release(&set_status);
	buf_release(&set_at);
	return ret;
}

/* rename() would replace a symlink by a copy of its target: refused. */
static int regular_file(const char *path, struct stat *st, struct errbuf *eb)
{
	if (lstat(path, st) < 0)
		return errbuf_set(eb, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return errbuf_set(eb, "%s: not a regular file", path);
	return 0;
}

int subs_create(const char *dir, const char *id, const char *text,
		size_t len, struct errbuf *eb)
{
	struct buf name = BUF_INIT, data;
	struct stat st;
	char *path, *lock_file = NULL;
	int lock, ret = -1, committed = 0;

	buf_init(&data, CONF_MAX_FILE_SIZE);
	buf_addf(&name, "%s.cfg", id);
	path = util_path_join(dir, buf_str(&name));
	if (buf_add(&data, text, len) < 0) {
		errbuf_set(eb, "%s: the new profile would be larger than %zu "
			       "bytes", path, CONF_MAX_FILE_SIZE);
		goto out_nolock;
	}
	lock_file = side_path(dir, id, "lock");
	lock = lock_profile(lock_file, eb);
	if (lock < 0)
		goto out_nolock;
	if (lstat(path, &st) == 0) {
		ret = 1;
		goto out;
	}
	if (install(path, dir, id, buf_str(&name), &data, SUBS_NEW_MODE,
		    SUBS_ACTIVE, NULL, NULL, 1, &committed, eb) < 0)
		goto out;
	ret = 0;
out:
	unlock_profile(lock_file, lock);
out_nolock:
	free(lock_file);
	buf_release(&name);
	buf_release(&data);
	free(path);
	return ret;
}

int subs_rewrite(const char *path, subs_edit_fn *edit, void *ctx,
		 struct errbuf *eb)
{
	struct subscriber cur;
	struct buf text, out;
	struct stat st;
	const char *base;
	char *id, *dir = util_dirname(path), *lock_file;
	int lock = -1, loaded = 0, ret = -1, committed = 0;

	buf_init(&text, CONF_MAX_FILE_SIZE);
	buf_init(&out, CONF_MAX_FILE_SIZE);
	id = base_id(path, &base);
	lock_file = side_path(dir, id, "lock");
	if (regular_file(path, &st, eb) < 0)
		goto out;
	lock = lock_profile(lock_file, eb);
	if (lock < 0 || regular_file(path, &st, eb) < 0)
		goto out;
	if (subs_load_file(path, &cur, eb) < 0)
		goto out;
	loaded = 1;
	if (util_read_file(path, &text, eb) < 0 ||
	    edit(path, &text, &out, ctx, eb) < 0)
		goto out;
	if (buf_failed(&out)) {
		errbuf_set(eb, "%s: the edited profile would be larger than "
			       "%zu bytes", path, CONF_MAX_FILE_SIZE);
		goto out;
	}
	if (install(path, dir, id, base, &out, st.st_mode & 07777,
		    cur.status, NULL, NULL, 0, &committed, eb) < 0)
		goto out;
	ret = 0;
out:
	if (loaded)
		subs_release(&cur);
	unlock_profile(lock_file, lock);
	free(lock_file);
	buf_release(&text);
	buf_release(&out);
	free(dir);
	free(id);
	return ret;
}

/* Appends v as a libconfig string ("..." with " and \ escaped). */
static void add_quoted(struct buf *b, const char *v)
{
	buf_addch(b, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_addch(b, '\\');
		buf_addch(b, *v);
	}
	buf_addch(b, '"');
}

/* ["a", "b"] */
static void add_array(struct buf *b, const struct strv *v)
{
	size_t i;

	buf_addch(b, '[');
	for (i = 0; v && i < v->n; i++) {
		if (i)
			buf_addstr(b, ", ");
		add_quoted(b, v->v[i]);
	}
	buf_addch(b, ']');
}

/* The topics setting, one group per topic, in the layout of the
 * example profiles. */
static void add_topics(struct buf *b, const struct subs_lists *l,
		       const char *nl)
{
	size_t i;

	buf_addstr(b, "topics = (");
	for (i = 0; i < l->ntopics; i++) {
		const struct subs_topic *t = &l->topics[i];

		if (i)
			buf_addf(b, ",%s           ", nl);
		else
			buf_addch(b, ' ');
		buf_addstr(b, "{ name = ");
		add_quoted(b, t->name);
		buf_addf(b, ";%s             keywords = ", nl);
		add_array(b, &t->keywords);
		buf_addch(b, ';');
		if (t->require.n) {
			buf_addf(b, "%s             require = ", nl);
			add_array(b, &t->require);
			buf_addch(b, ';');
		}
		if (t->exclude.n) {
			buf_addf(b, "%s             exclude = ", nl);
			add_array(b, &t->exclude);
			buf_addch(b, ';');
		}
		if (t->weight != 1.0) {
			char w[32];

			snprintf(w, sizeof(w), "%.6g", t->weight);
			buf_addf(b, "%s             weight = %s%s;", nl, w,
				 strpbrk(w, ".e") ? "" : ".0");
		}
		buf_addstr(b, " }");
	}
	buf_addstr(b, " );");
}

/* subs_rewrite's edit for subs_set_lists: replaces the spans of topics,
 * authors, exclude, never and criteria (or appends the ones that are not
 * empty), nothing else. */
static int edit_lists(const char *path, const struct buf *text,
		      struct buf *out, void *ctx, struct errbuf *eb)
{
	const struct subs_lists *l = ctx;
	enum { NLISTS = 4, CRITERIA = NLISTS, NEDITS };
	static const char *const names[NEDITS] = { "topics", "authors",
						   "exclude", "never",
						   "criteria" };
	const struct strv *lists[NLISTS] = { NULL, l->authors, l->exclude,
					     l->never };
	/* value[i] stays empty for a setting left as the file has it. */
	struct buf value[NEDITS] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
				     BUF_INIT };
	int empty[NEDITS]; /* an empty list or text: not added if missing */
	struct buf tail = BUF_INIT;
	struct conf_doc *doc = NULL;
	struct edit edits[NEDITS];
	const char *nl = strstr(buf_str(text), "\r\n") ? "\r\n" : "\n";
	size_t i, j, n = 0;
	int ret = -1;

	if (conf_doc_parse(path, buf_str(text), text->len, &doc, eb) < 0)
		goto out;
	add_topics(&value[0], l, nl);
	empty[0] = !l->ntopics;
	for (i = 1; i < NLISTS; i++) {
		empty[i] = !lists[i] || !lists[i]->n;
		if (!lists[i])
			continue;
		buf_addf(&value[i], "%s = ", names[i]);
		add_array(&value[i], lists[i]);
		buf_addch(&value[i], ';');
	}
	empty[CRITERIA] = !l->criteria || !*l->criteria;
	if (l->criteria) {
		buf_addstr(&value[CRITERIA], "criteria = ");
		add_quoted(&value[CRITERIA], l->criteria);
		buf_addch(&value[CRITERIA], ';');
	}
	for (i = 0; i < NEDITS; i++) {
		struct span sp;
		int r;

		if (!value[i].len)
			continue;
		r = locate_any(path, text, doc, names[i], 1, &sp, eb);
		if (r < 0)
			goto out;
		if (!r) {
			if (!empty[i])
				buf_addf(&tail, "%s%s", buf_str(&value[i]),
					 nl);
			continue;
		}
		/* Sorted by position, for apply(). */
		for (j = n; j > 0 && edits[j - 1].start > sp.start; j--)
			edits[j] = edits[j - 1];
		edits[j].start = sp.start;
		edits[j].end = sp.end;
		edits[j].text = buf_str(&value[i]);
		n++;
	}
	if (apply_sorted(text, edits, n, buf_str(&tail), nl, out) < 0) {
		errbuf_set(eb, "%s: the edited profile would be larger than "
			       "%zu bytes", path, CONF_MAX_FILE_SIZE);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < NEDITS; i++)
		buf_release(&value[i]);
	buf_release(&tail);
	conf_doc_free(doc);
	return ret;
}

int subs_set_lists(const char *path, const struct subs_lists *l,
		   struct errbuf *eb)
{
	return subs_rewrite(path, edit_lists, (void *)l, eb);
}

/* Appends s to b with every control character, tab and invalid UTF-8 byte
 * as '?', cut to LOG_MAX_FIELD bytes on a character boundary; "-" for
 * nothing, so the columns stay countable. */
static void add_field(struct buf *b, const char *s)
{
	const char *p = s ? s : "", *end = p + strlen(p);
	size_t start = b->len;

	if (p == end) {
		buf_addch(b, '-');
		return;
	}
	while (p < end) {
		const char *q = p;
		int32_t cp = util_utf8_next(&p, end);
		size_t n = (size_t)(p - q);

		if (b->len - start + n > LOG_MAX_FIELD)
			break;
		if (cp < 0x20 || cp == 0x7f)
			buf_addch(b, '?');
		else
			buf_add(b, q, n);
	}
}

/* The log line of a change, '\n' included. */
static void log_line(struct buf *line, const char *when, const char *action,
		     const char *id, const char *email, const char *via)
{
	const char *fields[] = { when, action, id, email, via };
	size_t i;

	buf_init(line, LOG_MAX_LINE);
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (i)
			buf_addch(line, '\t');
		add_field(line, fields[i]);
	}
	buf_addch(line, '\n');
}

/* Appends a line to STATE/unsubscribe.log with one write, fsynced. */
static int log_append(const char *state_dir, const struct buf *line,
		      struct errbuf *eb)
{
	char *path = util_path_join(state_dir, LOG_NAME);
	ssize_t n;
	int fd = -1, created = 0, ret = -1;

	if (util_private_dir(state_dir, eb) < 0)
		goto out;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
					O_NOFOLLOW, 0600);
		created = 1;
	}
	if (fd < 0) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* One write: with O_APPEND concurrent lines never interleave. */
	do
		n = write(fd, line->data, line->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != line->len) {
		errbuf_set(eb, "%s: write failed: %s", path,
			   n < 0 ? strerror(errno) : "short write");
		/* A part of a line must not glue onto the next one. */
		if (n > 0 && ftruncate(fd, lseek(fd, 0, SEEK_END) - n) < 0)
			errbuf_set(eb, "%s: a part of a line could not be "
				       "removed: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(fd) < 0) {
		errbuf_set(eb, "%s: fsync: %s", path, strerror(errno));
		goto out;
	}
	if (created && util_fsync_dir(state_dir, eb) < 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

int subs_log_change(const char *state_dir, const char *when,
		    const char *action, const char *id, const char *email,
		    const char *via, struct errbuf *eb)
{
	struct buf line;
	int ret;

	log_line(&line, when, action, id, email, via);
	ret = log_append(state_dir, &line, eb);
	buf_release(&line);
	return ret;
}

/*
 * 1 if the last line about id in STATE/unsubscribe.log is exactly line:
 * under the profile's lock, a change's line, once written, is the last
 * one about its subscriber.
 */
static int log_has_last(const char *state_dir, const char *id,
			const struct buf *line)
{
	char *path = util_path_join(state_dir, LOG_NAME);
	char l[LOG_MAX_LINE + 2];
	FILE *f = fopen(path, "re");
	size_t idlen = strlen(id);
	int last = 0, whole = 1;

	free(path);
	if (!f)
		return 0;
	while (fgets(l, sizeof(l), f)) {
		size_t n = strlen(l);
		const char *t1, *t2;
		int starts = whole;

		whole = n && l[n - 1] == '\n';
		/* A line longer than ours: none of ours, and neither is the
		 * rest of it. */
		if (!starts)
			continue;
		t1 = strchr(l, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2 || strncmp(t2 + 1, id, idlen) || t2[1 + idlen] != '\t')
			continue;
		last = whole && n == line->len && !memcmp(l, line->data, n);
	}
	fclose(f);
	return last;
}

/* 1 if the profile at path says status (and, unsubscribed, since when). */
static int profile_says(const char *path, enum subs_status status,
			const char *when)
{
	struct errbuf eb = ERRBUF_INIT;
	struct conf_doc *doc = NULL;
	char *cur = xstrdup("active"), *at = NULL;
	int r = 0;

	if (conf_doc_read(path, &doc, &eb) < 0 ||
	    conf_get_string(doc, conf_doc_root(doc), "status", 1, &cur,
			    &eb) < 0)
		goto out;
	if (strcmp(cur, subs_status_name(status)))
		goto out;
	if (status == SUBS_ACTIVE) {
		r = 1;
		goto out;
	}
	r = conf_get_string(doc, conf_doc_root(doc), "unsubscribed_at", 1,
			    &at, &eb) == 0 &&
	    !strcmp(at, when);
out:
	free(cur);
	free(at);
	conf_doc_free(doc);
	return r;
}

/*
 * Settles what a change killed midway left in DIR/.ID.edit (we hold the
 * lock). An intent whose change reached the profile gets its log line
 * if the log does not end with it for this subscriber; one whose change
 * did not is dropped, as nothing happened. Then the stage goes. Without
 * state_dir, an intent is left alone (nothing to settle it with).
 */
static int recover_locked(const char *path, const char *stage,
			  const char *id, const char *state_dir,
			  struct errbuf *eb)
{
	struct errbuf ignored = ERRBUF_INIT;
	char *intent_path = util_path_join(stage, INTENT_NAME);
	struct buf line;
	int ret = -1;

	buf_init(&line, LOG_MAX_LINE);
	if (access(stage, F_OK) < 0) {
		ret = 0;
		goto out;
	}
	if (util_read_file(intent_path, &line, &ignored) == 0) {
		char *copy = xstrdup(buf_str(&line));
		char *action = strchr(copy, '\t'), *end;
		int status = -1;

		if (!state_dir) {
			free(copy);
			ret = 0;
			goto out;
		}
		if (action) {
			*action++ = '\0';
			end = strchr(action, '\t');
			if (end)
				*end = '\0';
			if (!strcmp(action, "unsubscribe"))
				status = SUBS_UNSUBSCRIBED;
			else if (!strcmp(action, "resubscribe"))
				status = SUBS_ACTIVE;
		}
		if (status >= 0 && line.len &&
		    line.data[line.len - 1] == '\n' &&
		    profile_says(path, (enum subs_status)status, copy) &&
		    !log_has_last(state_dir, id, &line) &&
		    log_append(state_dir, &line, eb) < 0) {
			free(copy);
			goto out;
		}
		free(copy);
	}
	ret = remove_stage(stage, eb);
out:
	buf_release(&line);
	free(intent_path);
	return ret;
}

/*
 * The change itself, under the lock. With state_dir, the log line is
 * made durable as an intent before the profile changes and appended
 * after; a kill between the two is settled by recover_locked.
 */
static int change(const char *path, const char *state_dir,
		  enum subs_status status, const char *when, const char *email,
		  const char *via, int *changed, struct errbuf *eb)
{
	struct conf_doc *doc = NULL;
	struct buf text, out, line = BUF_INIT;
	struct stat st;
	const char *base;
	char *id, *dir = util_dirname(path), *cur = xstrdup("active");
	char *lock_file, *stage;
	int lock = -1, ret = -1, committed = 0;

	buf_init(&text, CONF_MAX_FILE_SIZE);
	buf_init(&out, CONF_MAX_FILE_SIZE);
	id = base_id(path, &base);
	lock_file = side_path(dir, id, "lock");
	stage = side_path(dir, id, "edit");
	if (changed)
		*changed = 0;
	if (status == SUBS_UNSUBSCRIBED && !valid_when(when)) {
		errbuf_set(eb, "%s: invalid unsubscribe date", path);
		goto out;
	}
	/* Checked before locking too: a mistyped path must not make a lock
	 * file for nobody. */
	if (regular_file(path, &st, eb) < 0)
		goto out;
	lock = lock_profile(lock_file, eb);
	if (lock < 0 || recover_locked(path, stage, id, state_dir, eb) < 0 ||
	    regular_file(path, &st, eb) < 0)
		goto out;
	if (util_read_file(path, &text, eb) < 0 ||
	    conf_doc_read(path, &doc, eb) < 0 ||
	    conf_get_string(doc, conf_doc_root(doc), "status", 1, &cur,
			    eb) < 0)
		goto out;
	if (!strcmp(cur, subs_status_name(status))) {
		ret = 0;
		goto out;
	}
	if (state_dir)
		log_line(&line, when,
			 status == SUBS_UNSUBSCRIBED ? "unsubscribe"
						     : "resubscribe",
			 id, email, via);
	if (edit_text(path, &text, doc, status, when, &out, eb) < 0)
		goto out;
	ret = install(path, dir, id, base, &out, st.st_mode & 07777, status,
		      when, state_dir ? &line : NULL, 0, &committed, eb);
	if (committed && changed)
		*changed = 1;
	if (!committed || !state_dir)
		goto out;
	if (log_append(state_dir, &line, eb) < 0) {
		errbuf_prefix(eb, "%s: changed, but not logged yet (it will "
				  "be when serve, unsubscribe or inbound next "
				  "starts)", path);
		ret = 1;
		goto out;
	}
	if (remove_stage(stage, eb) < 0)
		ret = 1;
out:
	unlock_profile(lock_file, lock);
	conf_doc_free(doc);
	buf_release(&text);
	buf_release(&out);
	buf_release(&line);
	free(lock_file);
	free(stage);
	free(cur);
	free(dir);
	free(id);
	return ret;
}

int subs_set_status(const char *path, enum subs_status status,
		    const char *when, int *changed, struct errbuf *eb)
{
	return change(path, NULL, status, when, NULL, NULL, changed, eb) < 0
		       ? -1
		       : 0;
}

int subs_change_status(const char *path, const char *state_dir,
		       enum subs_status status, const char *when,
		       const char *email, const char *via, int *changed,
		       struct errbuf *eb)
{
	return change(path, state_dir, status, when, email, via, changed, eb);
}

/* What ids and so lock and stage names are made of (subs.c). */
static int valid_id(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

int subs_recover(const char *subs_dir, const char *state_dir,
		 struct errbuf *eb)
{
	struct strv ids = STRV_INIT;
	struct dirent *de;
	DIR *d = opendir(subs_dir);
	size_t i;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0
				       : errbuf_set(eb, "%s: %s", subs_dir,
						    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t n = strlen(name);

		if (name[0] != '.' || n < 6)
			continue;
		if (!util_ends_with(name, ".lock") &&
		    !util_ends_with(name, ".edit"))
			continue;
		if (valid_id(name + 1, n - 6))
			strv_push_owned(&ids, xstrndup(name + 1, n - 6));
	}
	closedir(d);
	for (i = 0; i < ids.n; i++) {
		struct errbuf e = ERRBUF_INIT;
		struct buf cfg = BUF_INIT;
		char *path, *lock_file = side_path(subs_dir, ids.v[i], "lock");
		char *stage = side_path(subs_dir, ids.v[i], "edit");
		int fd;

		buf_addf(&cfg, "%s.cfg", ids.v[i]);
		path = util_path_join(subs_dir, buf_str(&cfg));
		fd = lock_profile(lock_file, &e);
		if (fd < 0 ||
		    recover_locked(path, stage, ids.v[i], state_dir, &e) < 0) {
			if (!ret)
				errbuf_set(eb, "%s", e.msg);
			ret = -1;
		}
		unlock_profile(lock_file, fd);
		buf_release(&cfg);
		free(path);
		free(lock_file);
		free(stage);
	}
	strv_release(&ids);
	return ret;
}
