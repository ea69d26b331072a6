/*
 * arxiv: parsing arXiv listings with expat.
 *
 * Three formats carry a day's papers: the RSS 2.0 feed and the Atom feed of
 * rss.arxiv.org (one item per announced paper, with "Announce Type"), and the
 * Atom of the arXiv API (export.arxiv.org/api/query). The parser detects
 * which one it reads from the document itself. It is a streaming parser with
 * a size limit per text field, so a hostile feed cannot make it allocate
 * without bound, and expat's entity-amplification protection stays on.
 */
#ifndef PAPERBOY_ARXIV_H
#define PAPERBOY_ARXIV_H

#include <stddef.h>

#include "errbuf.h"
#include "listing.h"

/* A listing file larger than this is refused: a full day of every arXiv
 * category as RSS is about 30 MB. */
#define ARXIV_MAX_DOCUMENT ((size_t)64 << 20)
/* One text field (abstract, author list...) larger than this is an error:
 * real abstracts are under 2 KB, the longest author lists under 400 KB. */
#define ARXIV_MAX_FIELD ((size_t)1 << 20)
/* A paper with more authors than this is refused (largest real: ~5,200). */
#define ARXIV_MAX_AUTHORS 10000

/*
 * Parses the document data[0..len) and appends its papers to *out (papers
 * already present by ID are dropped). `name` (a file name or URL) is used in
 * messages. On success returns the number of items the feed held (0 means
 * "no announcement that day"). On error returns -1 with
 * "NAME:LINE: what" in eb; *out is then unchanged: the papers of a broken
 * feed are never half-added.
 */
int arxiv_parse(const char *data, size_t len, const char *name,
		struct listing *out, struct errbuf *eb);

/* Reads the file at path (up to ARXIV_MAX_DOCUMENT) and parses it. */
int arxiv_parse_file(const char *path, struct listing *out,
		     struct errbuf *eb);

#endif
