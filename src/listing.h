/*
 * listing: one day's papers, the data every later stage reads.
 *
 * A listing owns its papers and every string in them. Papers are kept in
 * feed order and identified by their versionless arXiv ID ("2512.21852");
 * adding an ID that is already present is refused, so a listing merged from
 * several feeds never shows a paper twice.
 */
#ifndef PAPERBOY_LISTING_H
#define PAPERBOY_LISTING_H

#include <stddef.h>

#include "strv.h"

/* A day's listing beyond this many papers is refused: arXiv's busiest day
 * is under 2,000 new papers per archive, so this leaves a wide margin. */
#define LISTING_MAX_PAPERS 50000

enum listing_announce {
	LISTING_ANNOUNCE_UNKNOWN = 0,
	LISTING_ANNOUNCE_NEW,
	LISTING_ANNOUNCE_CROSS,
	LISTING_ANNOUNCE_REPLACE,
	LISTING_ANNOUNCE_REPLACE_CROSS,
};

/* Where a paper's data came from (struct paper.sources). */
#define LISTING_SOURCE_ARXIV 0x1u
#define LISTING_SOURCE_HF 0x2u

struct paper {
	char *id;               /* versionless arXiv ID, never NULL */
	int version;            /* 1, 2, ...; 0 when the feed did not say */
	char *title;            /* UTF-8, TeX accents decoded, folded */
	struct strv authors;    /* one name each, decoded */
	char *abstract;         /* UTF-8, without arXiv's "Abstract:" prefix */
	struct strv categories; /* primary first */
	enum listing_announce announce;
	char *doi;              /* NULL when absent; likewise below */
	char *journal_ref;
	char *comments;
	unsigned sources;       /* LISTING_SOURCE_* bits; 0: arXiv */
	long upvotes;           /* Hugging Face upvotes; only with _HF */
	char *github_repo;      /* from Hugging Face; NULL when absent */
	char *project_page;
};

struct listing {
	struct paper *papers;
	size_t n;
	size_t alloc;
	char *source;           /* where it came from, for messages */
	char date[16];          /* the day the feed says it announces
				 * (YYYY-MM-DD), or "" when it does not say */
	size_t *slots;          /* open-addressing index by ID: paper + 1 */
	size_t nslots;          /* a power of two, at least 2 * n */
};

void listing_init(struct listing *l);
/* Frees every paper and string; l may be reused after listing_init(). */
void listing_release(struct listing *l);

/* Frees the strings of one paper (not the struct itself). */
void listing_paper_release(struct paper *p);

/*
 * Moves *p into the listing (amortized constant time: IDs are hashed) (the listing owns its strings afterwards and *p
 * is zeroed). Returns 0 if added, 1 if a paper with the same ID was already
 * there (then *p is released), -1 when the listing is full (LISTING_MAX_PAPERS;
 * *p is released).
 */
int listing_add(struct listing *l, struct paper *p);

/* The paper with versionless ID id, or NULL. */
const struct paper *listing_find(const struct listing *l, const char *id);
/* The same, for a caller that adds to the paper (a second source). */
struct paper *listing_lookup(struct listing *l, const char *id);

/* "new", "cross", "replace", "replace-cross" or "unknown". */
const char *listing_announce_name(enum listing_announce a);
/* Parses the names above; LISTING_ANNOUNCE_UNKNOWN for anything else. */
enum listing_announce listing_announce_parse(const char *s);

/*
 * Splits "2512.21852v2" (or "arXiv:2512.21852v2", an abs/pdf URL, or an
 * old-style "hep-th/9901001v1") into a versionless ID (caller frees) and a
 * version (0 when none). Returns the ID, or NULL when s holds no arXiv ID.
 */
char *listing_parse_id(const char *s, int *version);

#endif
