/*
 * llm: the optional LLM judge: an OpenAI-compatible chat completions
 * client (OpenAI, vLLM, llama.cpp's server, Ollama) that re-scores the
 * papers the lexical scorer found, within a daily budget.
 *
 * For one subscriber, the papers at or above llm.min_lexical are sent with
 * the subscriber's `criteria` text in batches of llm.batch_size, with the
 * seed digest's prompt; the reply's {ARXIVID, COMMENT, RELEVANCE, NOVELTY}
 * objects (read by llmreply) replace relevance and comment. Papers a reply
 * skipped are asked about once more; a garbage reply, a failed request or
 * a reached budget leaves the lexical scores in place.
 *
 * Design decision: nothing is paid for twice, and nothing but `run` pays.
 * Every verdict is cached under STATE/llm/cache/DATE/PROFILE.tsv, PROFILE
 * being a hash of (criteria, model, prompt version), keyed by paper ID and
 * version, so a rerun, `send-test`, `render` and `score` read the cache;
 * a judge made `offline` (every command but a real run) never sends a
 * request at all. Spending is kept in STATE/llm/spend-DAY (the UTC day
 * of the run), rewritten atomically after each request, and checked
 * before each one: once it reaches llm.daily_budget_usd no request is
 * sent that day (one request in flight may take it past by its cost).
 */
#ifndef PAPERBOY_LLM_H
#define PAPERBOY_LLM_H

#include <stddef.h>

#include "digest.h"
#include "errbuf.h"
#include "fetch.h"
#include "listing.h"
#include "score.h"
#include "strv.h"
#include "subs.h"

/* Bumped whenever the prompt changes: old cached verdicts then no longer
 * apply (it is part of the profile hash). */
#define LLM_PROMPT_VERSION "1"
/* An abstract is cut to this many bytes (at a UTF-8 boundary) in the
 * prompt: the seed's longest is ~2 KB; this keeps a batch of 20 papers
 * near 10k prompt tokens. */
#define LLM_MAX_ABSTRACT 1500
/* A title is cut to this many bytes in the prompt. */
#define LLM_MAX_TITLE 300
/* The criteria text is cut to this many bytes in the prompt. */
#define LLM_MAX_CRITERIA 8192
/* Largest chat completions response accepted: a batch's JSONL is a few
 * KB; reasoning models add some. */
#define LLM_MAX_RESPONSE ((size_t)4 << 20)
/* Cached verdicts older than this many days are removed. */
#define LLM_CACHE_KEEP_DAYS 14
/* Environment variable holding the API key (wins over llm.api_key_file). */
#define LLM_API_KEY_ENV "PAPERBOY_LLM_API_KEY"

struct llm_judge_config {
	const char *endpoint;    /* .../v1/chat/completions */
	const char *model;
	const char *api_key;     /* NULL or "": no Authorization header */
	const char *state_dir;   /* STATE: llm/ lives under it */
	const char *date;        /* the listing's day: the cache folder */
	const char *today;       /* the UTC day of the run: the spend file */
	double prompt_per_mtok;  /* USD per million prompt tokens */
	double completion_per_mtok;
	double daily_budget_usd;
	long batch_size;
	long min_lexical;
	int offline;             /* 1: cached verdicts only, no request */
	const struct fetch_config *fetch; /* unused when offline */
};

struct llm_judge;

/*
 * Makes a judge: copies cfg, reads today's spending and, unless offline,
 * creates the HTTP client and prunes old cache folders. Returns 0 with
 * *out, or -1 with eb filled (a bad spend file, the fetcher).
 */
int llm_judge_new(const struct llm_judge_config *cfg, struct llm_judge **out,
		  struct errbuf *eb);
void llm_judge_free(struct llm_judge *j);

/*
 * Judges subscriber s's papers in r (scores of listing l) when s has
 * criteria: papers with relevance >= min_lexical and not dropped get the
 * model's relevance, novelty and comment (score_entry.judged = 1), from
 * the cache or from requests. cost gets this digest's tokens and USD,
 * judged, budget_reached, model (borrowed from j). Fallbacks to lexical
 * scores are not errors: their reasons are appended to warnings. Returns
 * 0, or -1 with eb filled only when state cannot be written (the cache,
 * the spend file: spending that cannot be recorded must not go on).
 */
int llm_judge_digest(struct llm_judge *j, const struct listing *l,
		     const struct subscriber *s, struct score_result *r,
		     struct digest_cost *cost, struct strv *warnings,
		     struct errbuf *eb);

/* What the judge has seen so far in this process. */
struct llm_judge_totals {
	long requests;          /* chat completions sent by this process */
	long prompt_tokens;     /* of those requests */
	long completion_tokens;
	double usd;
	double spent_today;     /* today's spending, earlier runs included */
	int budget_reached;     /* 1: a request was held back by the budget */
};
void llm_judge_totals(const struct llm_judge *j, struct llm_judge_totals *t);

/*
 * The chat completions request body for (system, user) with model, at
 * temperature 0. Exposed for tests. Caller frees.
 */
char *llm_request_json(const char *model, const char *system,
		       const char *user);

/*
 * Reads a chat completions response: choices[0].message.content into
 * *content (caller frees) and usage.prompt_tokens / completion_tokens
 * (-1 when the server did not say). Returns 0 or -1 with eb filled.
 */
int llm_response_parse(const char *body, size_t len, char **content,
		       long *prompt_tokens, long *completion_tokens,
		       struct errbuf *eb);

#endif
