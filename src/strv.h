/*
 * strv: an owned, growable array of owned strings.
 *
 * Profiles, papers and configs are full of string lists (authors, keywords,
 * categories); this is the one type for all of them. The array is kept
 * NULL-terminated so it can be walked without the count.
 */
#ifndef PAPERBOY_STRV_H
#define PAPERBOY_STRV_H

#include <stddef.h>

struct strv {
	char **v;
	size_t n;
	size_t alloc;
};

#define STRV_INIT { NULL, 0, 0 }

/* Appends a copy of s. */
void strv_push(struct strv *sv, const char *s);
/* Appends s itself; sv now owns it. */
void strv_push_owned(struct strv *sv, char *s);
/* Frees every string and the array. */
void strv_release(struct strv *sv);
/* 1 if an element equals s (case-sensitive). */
int strv_contains(const struct strv *sv, const char *s);
/* Joins the elements with sep; caller frees. "" for an empty list. */
char *strv_join(const struct strv *sv, const char *sep);

#endif
