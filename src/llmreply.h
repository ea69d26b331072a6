/*
 * llmreply: reads the scores out of an LLM's reply to the judge's prompt.
 *
 * The prompt asks for one JSON object per line, {"ARXIVID", "COMMENT",
 * "RELEVANCE", "NOVELTY"}; models answer with that wrapped in a code
 * fence, with prose around it, numbered ("1. {...}"), with trailing
 * commas, scores as strings ("8", "8/10"), versioned IDs
 * ("2512.01234v2", "arXiv:2512.01234"), or as one JSON array or object
 * holding the objects. Design decision: we never parse JSON ourselves:
 * we only find the balanced {...} / [...] spans in the text (quotes
 * respected), drop trailing commas, hand each span to jansson and walk
 * what it returns. A score is kept only for an ID that was asked about,
 * only when RELEVANCE and NOVELTY are both whole numbers from 1 to 10;
 * anything else is left unscored, never guessed.
 *
 * Pure: no I/O, no global state; safe on any bytes (fuzzed).
 */
#ifndef PAPERBOY_LLMREPLY_H
#define PAPERBOY_LLMREPLY_H

#include <stddef.h>

/* Lowest and highest score the prompt allows. */
#define LLMREPLY_MIN_SCORE 1
#define LLMREPLY_MAX_SCORE 10
/* A comment longer than this is cut (at a UTF-8 boundary): it is one
 * sentence in the digest, not an essay. */
#define LLMREPLY_MAX_COMMENT 1000
/* One JSON span longer than this is skipped: one paper's object is a few
 * hundred bytes, a wrapper holding a whole batch a few tens of KB; jansson
 * needs many times a span's size in memory. */
#define LLMREPLY_MAX_SPAN ((size_t)256 << 10)
/* Bytes scanned in all, as a multiple of the reply's length: bounds the
 * work that unbalanced braces in prose can cause (each failed span makes
 * the scan restart one brace later). */
#define LLMREPLY_WORK_FACTOR 8

struct llmreply_score {
	int scored;     /* 1 if the reply scored this paper */
	int relevance;  /* LLMREPLY_MIN_SCORE..LLMREPLY_MAX_SCORE */
	int novelty;    /* likewise */
	char *comment;  /* owned; valid UTF-8, one line; "" when none */
};

/*
 * Parses reply[0..len) for the papers ids[0..n) (versionless arXiv IDs,
 * as in struct paper). out must hold n entries; they are zeroed first and
 * out[i] is filled when the reply scored ids[i] (the first valid object
 * for an ID wins). *objects, when not NULL, receives how many JSON objects
 * were read at all (0: the reply was garbage). Returns the number of
 * papers scored (0..n). Free the comments with llmreply_release.
 */
size_t llmreply_parse(const char *reply, size_t len, const char *const *ids,
		      size_t n, struct llmreply_score *out, size_t *objects);
void llmreply_release(struct llmreply_score *out, size_t n);

/*
 * The versionless arXiv ID in s ("arXiv:2512.01234v2", an abs/ URL,
 * "hep-th/9901001v1") copied into out (size bytes), or -1 when s does not
 * look like one. Exposed for tests.
 */
int llmreply_clean_id(const char *s, char *out, size_t size);

#endif
