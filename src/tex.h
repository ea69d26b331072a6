/*
 * tex: decoding the bits of TeX that arXiv leaves in titles, names and
 * abstracts, and folding whitespace.
 *
 * arXiv metadata is typed by authors in TeX: "R{\o}d", "Jos\'e",
 * "J\"urgen", "{\em text}". We decode accents and special letters to UTF-8
 * and leave everything else, in particular $math$, exactly as written: a
 * reader can read "$x<y$", but a wrong guess at rendering it would mislead.
 */
#ifndef PAPERBOY_TEX_H
#define PAPERBOY_TEX_H

#include <stddef.h>

/*
 * Returns a newly allocated UTF-8 copy of s[0..len) with TeX accent
 * commands (\' \` \^ \" \~ \= \. \u \v \H \c \k \r and the letters \o \O \l
 * \L \ss \ae \AE \oe \OE \aa \AA \i \j), in their braced and unbraced forms,
 * decoded; "--" and "---" outside math kept as is; text inside $...$ left
 * untouched; runs of whitespace (including newlines) folded to one space and
 * leading/trailing whitespace removed. Invalid UTF-8 input bytes are
 * replaced by U+FFFD, and the bidirectional embeddings, overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069) are dropped. Never fails; the
 * caller frees.
 */
char *tex_decode(const char *s, size_t len);

/* Folds whitespace only (no TeX decoding); same contract as tex_decode. */
char *tex_fold_space(const char *s, size_t len);

#endif
