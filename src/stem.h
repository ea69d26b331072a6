/*
 * stem: the words of a text as paperboy matches and learns them.
 *
 * Text is folded to ASCII lower case where Latin accents allow, math
 * ($...$) is removed, it is split into words at punctuation and hyphens,
 * and each word is reduced to its Snowball (Porter 2) English stem, so
 * "Efficient", "efficiency" and "efficiently" are one word and
 * "Mixture-of-Experts" and "mixtures of experts" one phrase.
 *
 * Design decision: this module is the only user of libstemmer. Stemming is
 * the hot path of scoring (every word of every paper), so each thread
 * keeps one stemmer and a bounded cache of word -> stem, created on first
 * use and freed by stem_cleanup().
 */
#ifndef PAPERBOY_STEM_H
#define PAPERBOY_STEM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Called with each normalized word (not NUL-terminated). */
typedef void (*stem_word_fn)(void *ctx, const char *w, size_t len);

/*
 * Hands each normalized, stemmed word of text (UTF-8) to fn, in order,
 * skipping $math$.
 */
void stem_each_word(const char *text, stem_word_fn fn, void *ctx);

/* Called with each stem and the folded word it came from. */
typedef void (*stem_pair_fn)(void *ctx, const char *stem, size_t len,
			     const char *word, size_t wlen);
/* The same, also handing over each word before stemming ("efficient"
 * with "effici"), for showing stems in words. */
void stem_each_pair(const char *text, stem_pair_fn fn, void *ctx);

/*
 * Appends the folded form of code point cp to out (lower case ASCII for
 * Latin letters, other scripts as they are). Returns 1, or 0 (appending
 * nothing) when cp separates words (space, punctuation, dashes).
 */
int stem_fold_char(struct buf *out, int32_t cp);

/* Replaces the lower-case word in w by its Snowball English stem. */
void stem_word(struct buf *w);

/* 1 if the stemmed word is an English function word ("the", "of", "we",
 * ...) that says nothing about a paper's topic. */
int stem_is_stopword(const char *w, size_t len);

/* Frees this thread's stemmer and cache (they are re-created on use). */
void stem_cleanup(void);

#endif
