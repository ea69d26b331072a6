/*
 * errbuf: the error context every fallible function fills.
 *
 * Modules return 0 or -1 and describe a failure here ("file:line: what");
 * only main.c and cmd_*.c print it, once. Messages are truncated rather than
 * allocated so that reporting an error can never fail.
 */
#ifndef PAPERBOY_ERRBUF_H
#define PAPERBOY_ERRBUF_H

/* Long enough for a path, a line number and a sentence of context. */
#define ERRBUF_SIZE 1024

struct errbuf {
	char msg[ERRBUF_SIZE];
};

#define ERRBUF_INIT { { 0 } }

/* Replaces the message. Always returns -1, so `return errbuf_set(...)`. */
int errbuf_set(struct errbuf *eb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Puts "PREFIX: " in front of the current message. Returns -1. */
int errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears the message. */
void errbuf_clear(struct errbuf *eb);

#endif
