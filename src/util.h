/*
 * util: small helpers shared by every module: whole-file reads with a size
 * limit, crash-safe file replacement, UTF-8 walking, dates.
 *
 * The one design decision: nothing is ever written in place. Every file
 * paperboy produces goes through util_write_atomic() (temp file in the same
 * folder, fsync, rename, fsync of the folder), so a crash leaves either the
 * old file or the new one, never half of either.
 */
#ifndef PAPERBOY_UTIL_H
#define PAPERBOY_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "errbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Reads the whole file at `path` into `out` (which must be initialised; its
 * limit applies). Returns 0, or -1 with "PATH: reason" in eb, also when the
 * file is larger than out->limit, and "PATH: not a regular file" for a
 * folder, a FIFO or a device (checked before reading: a FIFO never hangs).
 */
int util_read_file(const char *path, struct buf *out, struct errbuf *eb);

/*
 * Reads a secret (a password, a key) from path into out, refusing a file
 * that is not a regular file owned by the current user with mode 0600 or
 * stricter (msmtp's rule: a secret others can read is no longer one).
 * Trailing newlines are removed. Returns 0 or -1 with eb filled; the
 * message never contains the secret.
 */
int util_read_secret(const char *path, struct buf *out, struct errbuf *eb);

/*
 * Replaces `path` with `len` bytes of `data`, created with `mode`: written to
 * a temporary file beside it, fsynced, renamed over `path`, and the folder
 * fsynced. On failure nothing at `path` has changed and the temporary file
 * is removed. Returns 0 or -1 with eb filled.
 */
int util_write_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct errbuf *eb);

/* Writes all len bytes to fd, retrying on EINTR. Returns 0 or -1 (errno). */
int util_write_all(int fd, const char *data, size_t len);

/* fsyncs a folder, so that a rename or create in it is durable. */
int util_fsync_dir(const char *dir, struct errbuf *eb);

/* Creates a folder and its parents (mode 0755 / `mode`); existing is fine. */
int util_mkdir_p(const char *path, unsigned mode, struct errbuf *eb);

/*
 * Creates the folder path (and its parents, mode 0700) if needed and
 * makes it private: an existing folder of ours that others may enter is
 * tightened to 0700 (the state folder names subscribers). Returns 0 or -1
 * with eb filled (also when it is someone else's and open to others).
 */
int util_private_dir(const char *path, struct errbuf *eb);

/*
 * Decodes one UTF-8 code point at *p (not past end), advancing *p.
 * Returns the code point, or -1 for an invalid or overlong sequence (then
 * *p advances by one byte).
 */
int32_t util_utf8_next(const char **p, const char *end);
/* Appends code point cp as UTF-8. Returns 0 or -1 (limit). */
int util_utf8_put(struct buf *out, int32_t cp);
/* 1 if s[0..len) is valid UTF-8 with no NUL byte. */
int util_utf8_valid(const char *s, size_t len);
/*
 * 1 if cp is a bidirectional embedding, override or isolate (U+202A to
 * U+202E, U+2066 to U+2069): invisible, they reorder the text after them,
 * so a title or a name can show something else than it says.
 */
static inline int util_is_bidi_control(int32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}
/* Removes those characters from the UTF-8 string s, in place. */
void util_strip_bidi(char *s);
/* Number of code points in the valid UTF-8 string s[0..len). */
size_t util_utf8_width(const char *s, size_t len);

/* The first year a date may have: arXiv opened in August 1991. */
#define UTIL_FIRST_YEAR 1991

/*
 * Parses "YYYY-MM-DD" strictly into *day (midnight UTC), from
 * UTIL_FIRST_YEAR-01-01 to 9999-12-31. Returns 0 or -1.
 */
int util_parse_date(const char *s, time_t *day);
/*
 * util_parse_date, saying why not in eb (NULL: not said): "'S' is not a
 * date in the form YYYY-MM-DD", "... is not a day of the calendar
 * (YYYY-MM-DD)", or "... is out of range: dates from 1991-01-01 to
 * 9999-12-31 are supported".
 */
int util_check_date(const char *s, time_t *day, struct errbuf *eb);
/* Formats t (UTC) as "YYYY-MM-DD" into out (at least 11 bytes). */
void util_format_date(time_t t, char *out, size_t size);
/* The English weekday name of the UTC day t ("Monday"). */
const char *util_weekday(time_t t);

/* Joins a folder and a relative name; absolute names are kept as is. */
char *util_path_join(const char *dir, const char *name);
/* The folder part of path ("." if none); caller frees. */
char *util_dirname(const char *path);

/* 1 if s ends with suffix. */
int util_ends_with(const char *s, const char *suffix);
/* ASCII lower-case of c. */
static inline char util_tolower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* FNV-1a (64-bit): its offset basis, and the hash of len bytes at data
 * continued from h (UTIL_FNV_BASIS to start). For hash tables, feature
 * buckets and shards: fast and the same on every host, not a defence
 * against keys chosen to collide. */
#define UTIL_FNV_BASIS 14695981039346656037ULL
uint64_t util_fnv1a(uint64_t h, const void *data, size_t len);

/* Bytes util_ulong_dec writes at most: the digits of any unsigned long
 * (fewer than 3 per byte) and the NUL. */
#define UTIL_ULONG_DEC (3 * sizeof(unsigned long) + 1)
/*
 * n in decimal without printf's machinery (for values set by the
 * thousand): written to the end of buf, NUL-terminated; returns where
 * the digits start, so that a caller may put a prefix before them.
 */
char *util_ulong_dec(unsigned long n, char buf[UTIL_ULONG_DEC]);

#endif
