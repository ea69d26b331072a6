/*
 * errbuf: the error context every fallible function fills.
 *
 * Modules return 0 or -1 and describe a failure here ("file:line: what");
 * only main.c and cmd_*.c print it, once. Messages are truncated rather than
 * allocated so that reporting an error can never fail.
 *
 * The errbuf also carries what kind of failure it was (a usage error, bad
 * data, a temporary network fault, ...), set where that fact is known, so
 * that one function in the command layer (cmd_exit_code) maps every
 * failure to its exit code, as msmtp's exitcode_smtp() does.
 */
#ifndef PAPERBOY_ERRBUF_H
#define PAPERBOY_ERRBUF_H

/* Long enough for a path, a line number and a sentence of context. */
#define ERRBUF_SIZE 1024

/* What kind of failure; ERRBUF_UNKNOWN leaves the choice to the caller. */
enum errbuf_kind {
	ERRBUF_UNKNOWN = 0,
	ERRBUF_USAGE,    /* the command line is wrong */
	ERRBUF_CONFIG,   /* paperboy.cfg, a profile, a template, a secret */
	ERRBUF_NOINPUT,  /* a named input file cannot be opened */
	ERRBUF_DATA,     /* an input (listing, journal, mail) is malformed */
	ERRBUF_TEMP,     /* may pass by itself: network, server busy, 4xx */
	ERRBUF_AUTH,     /* the server refused our credentials */
	ERRBUF_PROTOCOL, /* the session failed for good (TLS, 5xx to MAIL) */
	ERRBUF_REFUSED,  /* the server refused this message for good (5xx) */
	ERRBUF_IO,       /* reading or writing our own files failed */
	ERRBUF_SOFTWARE, /* a bug or an impossible state */
};

struct errbuf {
	char msg[ERRBUF_SIZE];
	enum errbuf_kind kind;
};

#define ERRBUF_INIT { { 0 }, ERRBUF_UNKNOWN }

/* Replaces the message. Always returns -1, so `return errbuf_set(...)`. */
int errbuf_set(struct errbuf *eb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Puts "PREFIX: " in front of the current message. Returns -1. */
int errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the kind of failure (the message is kept). Returns -1. */
int errbuf_kind(struct errbuf *eb, enum errbuf_kind kind);

/* errbuf_set and errbuf_kind in one. Returns -1. */
int errbuf_setk(struct errbuf *eb, enum errbuf_kind kind, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

/* Clears the message and the kind. */
void errbuf_clear(struct errbuf *eb);

#endif
