/*
 * util: file, UTF-8 and date helpers (see util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"
#include "banned.h"

int util_read_file(const char *path, struct buf *out, struct errbuf *eb)
{
	char chunk[65536];
	struct stat st;
	int fd, ret = -1;
	ssize_t n;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer
	 * forever; it is refused below like any other non-regular file. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errbuf_set(eb, "%s: not a regular file", path);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			errbuf_set(eb, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_add(out, chunk, (size_t)n) < 0) {
			errbuf_set(eb, "%s: file is larger than the limit of "
				       "%zu bytes", path, out->limit);
			goto out;
		}
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

int util_read_secret(const char *path, struct buf *out, struct errbuf *eb)
{
	struct stat st;
	int ret = -1;

	if (lstat(path, &st) < 0)
		return errbuf_set(eb, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errbuf_set(eb, "%s: not a regular file", path);
	if (st.st_uid != geteuid())
		return errbuf_set(eb, "%s: must be owned by the user running "
				      "paperboy (uid %ld)", path,
				  (long)geteuid());
	if (st.st_mode & 077)
		return errbuf_set(eb, "%s: readable by others (mode %04o); "
				      "run chmod 600 %s", path,
				  (unsigned)(st.st_mode & 07777), path);
	if (util_read_file(path, out, eb) < 0)
		goto out;
	while (out->len && (out->data[out->len - 1] == '\n' ||
			    out->data[out->len - 1] == '\r'))
		buf_truncate(out, out->len - 1);
	ret = 0;
out:
	return ret;
}

int util_write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_fsync_dir(const char *dir, struct errbuf *eb)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errbuf_set(eb, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		errbuf_set(eb, "%s: fsync: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int util_write_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct errbuf *eb)
{
	struct buf tmp = BUF_INIT;
	char *dir = NULL;
	int fd = -1, ret = -1;

	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  (mode_t)mode);
	if (fd < 0) {
		errbuf_set(eb, "%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	if (util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		errbuf_set(eb, "%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		errbuf_set(eb, "%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(buf_str(&tmp), path) < 0) {
		errbuf_set(eb, "%s: rename: %s", path, strerror(errno));
		goto out;
	}
	dir = util_dirname(path);
	if (util_fsync_dir(dir, eb) < 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(buf_str(&tmp));
	free(dir);
	buf_release(&tmp);
	return ret;
}

int util_mkdir_p(const char *path, unsigned mode, struct errbuf *eb)
{
	char *copy = xstrdup(path);
	char *p;
	int ret = -1;

	if (!copy[0]) {
		errbuf_set(eb, "empty folder name");
		goto out;
	}
	for (p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
				errbuf_set(eb, "%s: %s", copy,
					   strerror(errno));
				goto out;
			}
			*p = saved;
			if (!saved)
				break;
		}
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

int util_private_dir(const char *path, struct errbuf *eb)
{
	struct stat st;

	if (util_mkdir_p(path, 0700, eb) < 0)
		return -1;
	if (lstat(path, &st) < 0)
		return errbuf_set(eb, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errbuf_set(eb, "%s: not a folder", path);
	if (!(st.st_mode & 077))
		return 0;
	if (st.st_uid != geteuid())
		return errbuf_set(eb, "%s: open to others (mode %04o) and not "
				      "ours to tighten; run chmod 700 %s",
				  path, (unsigned)(st.st_mode & 07777), path);
	if (chmod(path, (st.st_mode & 07777 & ~077u) | 0700) < 0)
		return errbuf_set(eb, "%s: chmod: %s", path, strerror(errno));
	return 0;
}

int32_t util_utf8_next(const char **pp, const char *end)
{
	const unsigned char *p = (const unsigned char *)*pp;
	const unsigned char *e = (const unsigned char *)end;
	int32_t cp, min;
	int n, i;

	if (p >= e)
		return -1;
	if (p[0] < 0x80) {
		*pp += 1;
		return p[0];
	} else if ((p[0] & 0xE0) == 0xC0) {
		n = 2;
		cp = p[0] & 0x1F;
		min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3;
		cp = p[0] & 0x0F;
		min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		*pp += 1;
		return -1;
	}
	if (e - p < n) {
		*pp += 1;
		return -1;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*pp += 1;
			return -1;
		}
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		*pp += 1;
		return -1;
	}
	*pp += n;
	return cp;
}

int util_utf8_put(struct buf *out, int32_t cp)
{
	char s[4];

	if (cp < 0x80) {
		s[0] = (char)cp;
		return buf_add(out, s, 1);
	} else if (cp < 0x800) {
		s[0] = (char)(0xC0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3F));
		return buf_add(out, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char)(0xE0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[2] = (char)(0x80 | (cp & 0x3F));
		return buf_add(out, s, 3);
	}
	s[0] = (char)(0xF0 | (cp >> 18));
	s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	s[3] = (char)(0x80 | (cp & 0x3F));
	return buf_add(out, s, 4);
}

int util_utf8_valid(const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end) {
		int32_t cp = util_utf8_next(&s, end);
		if (cp <= 0)
			return 0;
	}
	return 1;
}

void util_strip_bidi(char *s)
{
	const char *p = s, *end = s + strlen(s);
	char *w = s;

	while (p < end) {
		const char *q = p;
		int32_t cp = util_utf8_next(&p, end);

		if (util_is_bidi_control(cp))
			continue;
		memmove(w, q, (size_t)(p - q));
		w += p - q;
	}
	*w = '\0';
}

size_t util_utf8_width(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

int util_check_date(const char *s, time_t *day, struct errbuf *eb)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	struct tm tm;
	int y, m, d, i;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				break;
		} else if (s[i] < '0' || s[i] > '9') {
			break;
		}
	}
	if (i < 10 || s[10] != '\0')
		return errbuf_set(eb, "'%.64s' is not a date in the form "
				      "YYYY-MM-DD", s);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 &&
	     !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return errbuf_set(eb, "'%s' is not a day of the calendar "
				      "(YYYY-MM-DD)", s);
	if (y < UTIL_FIRST_YEAR)
		return errbuf_set(eb, "'%s' is out of range: dates from "
				      "%d-01-01 to 9999-12-31 are supported",
				  s, UTIL_FIRST_YEAR);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*day = timegm(&tm);
	return 0;
}

int util_parse_date(const char *s, time_t *day)
{
	return util_check_date(s, day, NULL);
}

void util_format_date(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

const char *util_weekday(time_t t)
{
	static const char *const names[] = { "Sunday",	 "Monday",
					      "Tuesday",  "Wednesday",
					      "Thursday", "Friday",
					      "Saturday" };
	struct tm tm;

	gmtime_r(&t, &tm);
	return names[tm.tm_wday];
}

char *util_path_join(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;

	if (name[0] == '/' || !dir || !dir[0] || !strcmp(dir, "."))
		buf_addstr(&b, name);
	else
		buf_addf(&b, "%s%s%s", dir,
			 util_ends_with(dir, "/") ? "" : "/", name);
	return buf_detach(&b, NULL);
}

char *util_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int util_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

uint64_t util_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

char *util_ulong_dec(unsigned long n, char buf[UTIL_ULONG_DEC])
{
	char *p = buf + UTIL_ULONG_DEC;

	*--p = '\0';
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	return p;
}
