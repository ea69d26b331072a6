/*
 * hfpapers: the Hugging Face daily papers list
 * (https://huggingface.co/api/daily_papers?date=YYYY-MM-DD), read with
 * jansson and merged into a day's listing by arXiv ID.
 *
 * Hugging Face lists arXiv papers that readers upvoted. A paper that is
 * already in the listing (from an arXiv feed) keeps every arXiv field and
 * gains the Hugging Face values (upvotes, GitHub repository, project page);
 * a paper only Hugging Face lists is added with the fields Hugging Face
 * gives. The one design decision: a document is validated completely before
 * the listing is touched, so a bad answer from the server changes nothing.
 *
 * Until struct paper carries the Hugging Face values, they are returned in
 * a side array, struct hfpapers_extras, one entry per paper ID.
 */
#ifndef PAPERBOY_HFPAPERS_H
#define PAPERBOY_HFPAPERS_H

#include <stddef.h>

#include "errbuf.h"
#include "listing.h"

/* A document larger than this is refused before parsing: a real day is
 * under 1 MB (about 50 papers of about 10 KB each). */
#define HFPAPERS_MAX_DOCUMENT ((size_t)16 << 20)
/* jansson may hold at most this much memory at once: a document of empty
 * arrays costs jansson about 75 times its size, strings about 3 times. */
#define HFPAPERS_MAX_JSON_MEMORY ((size_t)256 << 20)
/* A day with more papers than this is refused: real days list 10 to 80. */
#define HFPAPERS_MAX_PAPERS 1000
/* One string (title, summary, name) longer than this is an error: real
 * abstracts are under 2 KB (arXiv caps them at 1,920 characters). */
#define HFPAPERS_MAX_FIELD ((size_t)1 << 20)
/* A paper with more authors than this is refused (largest real: ~5,200). */
#define HFPAPERS_MAX_AUTHORS 10000
/* A GitHub or project URL longer than this is dropped: they go into
 * links in mail, and real ones are under 200 bytes. */
#define HFPAPERS_MAX_URL 2048

/* The Hugging Face values of one paper. */
struct hfpapers_extra {
	char *id;               /* versionless arXiv ID, never NULL */
	long upvotes;           /* -1 when Hugging Face did not say */
	char *github_repo;      /* an http(s) URL, or NULL */
	char *project_page;     /* an http(s) URL, or NULL */
};

/* One entry per paper ID, in the order they were first seen. */
struct hfpapers_extras {
	struct hfpapers_extra *v;
	size_t n;
	size_t alloc;
};

#define HFPAPERS_EXTRAS_INIT { NULL, 0, 0 }

/* Frees every entry; x may be reused after that. */
void hfpapers_extras_release(struct hfpapers_extras *x);

/* The entry for versionless ID id, or NULL. */
const struct hfpapers_extra *
hfpapers_extras_find(const struct hfpapers_extras *x, const char *id);

/*
 * Parses the daily papers document json[0..len) and merges its papers into
 * *out and their Hugging Face values into *extras. `name` (a file name or
 * URL) is used in messages.
 *
 * The document must be a JSON array of objects, each with a "paper" object
 * whose "id" is a string holding an arXiv ID, and a title (the paper's
 * "title", or else the element's). Missing or wrongly typed optional fields
 * (summary, authors, upvotes, githubRepo, projectPage) are ignored and the
 * paper is kept; URLs that are not http(s) are dropped. Titles, summaries and
 * author names are TeX-decoded and whitespace-folded like arXiv's.
 *
 * A paper already in *out keeps its fields; one that is not is added with
 * Hugging Face's (summary as abstract, no categories, announce type
 * unknown). Either way its entry in *extras is set, replacing an older
 * entry for the same ID. A paper listed twice in the document counts once,
 * the first time.
 *
 * Returns the number of elements in the array (0 for an empty day). On
 * error returns -1 with "NAME: what", "NAME:LINE:COLUMN: what" (syntax) or
 * "NAME: paper N: what" (N counts from 0, as jq's .[N] does) in eb, and
 * leaves *out and *extras unchanged.
 *
 * Not thread-safe with other users of jansson: for the duration of the
 * call, jansson's (process-wide) allocator is one that enforces
 * HFPAPERS_MAX_JSON_MEMORY.
 */
int hfpapers_parse(const char *json, size_t len, const char *name,
		   struct listing *out, struct hfpapers_extras *extras,
		   struct errbuf *eb);

/* Reads the file at path (up to HFPAPERS_MAX_DOCUMENT) and parses it. */
int hfpapers_parse_file(const char *path, struct listing *out,
			struct hfpapers_extras *extras, struct errbuf *eb);

#endif
