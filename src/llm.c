/*
 * llm: the optional LLM judge (see llm.h).
 *
 * The one design decision: a verdict is stored before it is used. After
 * each request the spend file and the profile's cache file are rewritten
 * (util_write_atomic) before the scores go into the digest, so a crash
 * after a paid request never pays for it again, and a run that cannot
 * record its spending stops asking.
 *
 * jansson builds the request and reads the response (hfpapers.c is the
 * other user); libcurl is reached only through fetch.c (fetch_post).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "llm.h"
#include "llmreply.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Hex digits of the profile hash kept in file names (128 bits). */
#define LLM_HASH_HEX 32
/* A cache or spend file larger than this is refused: a day's cache for
 * one profile is one line per candidate paper. */
#define LLM_MAX_STATE_FILE ((size_t)8 << 20)
/* Prompt bytes: criteria + batch x (title + abstract) with room. */
#define LLM_MAX_PROMPT ((size_t)1 << 20)
/* Chat completions request body: the prompt JSON-escaped. */
#define LLM_MAX_REQUEST (LLM_MAX_PROMPT * 6 + 4096)
/* Without usage in the response, tokens are estimated as bytes / this. */
#define LLM_BYTES_PER_TOKEN 4

static const char system_prompt[] =
	"You are a helpful paper reading assistant whose job is to read "
	"daily posts from ArXiv and identify a few papers that your friend "
	"will enjoy reading. Your job is to carefully read the paper titles "
	"and abstracts below and find the ones that match the criteria "
	"below.";

static const char instructions[] =
	"## Instructions\n\n"
	"Write the response in JSONL format with {ARXIVID, COMMENT, "
	"RELEVANCE, NOVELTY} on each line, one for each paper.\n\n"
	"- ARXIVID: should be the ArXiv ID.\n"
	"- COMMENT: should identify whether there is a criteria that match "
	"the paper very closely. These matches should not be based on "
	"general terms like \"language modeling\" or \"advancements\" and "
	"should specifically refer to a criterion. No need to mention the "
	"non-matching criteria.\n"
	"- RELEVANCE: should be a score from 1-10.\n"
	"- NOVELTY: should be a score from 1-10.\n\n"
	"## Scoring Criteria\n\n"
	"The \"Relevance\" score measures how closely the paper aligns with "
	"the core topics of the prompt. The \"Novelty\" score assesses the "
	"originality and impact of the paper. They are two ORTHONORMAL axes "
	"and SHOULD NOT be confused with each other.\n\n"
	"Relevance: 9-10 fully aligned with the core topics; 7-8 a solid "
	"link to the main research area; 5-6 borderline, extends into "
	"another domain; 3-4 largely outside our interests; 1-2 unrelated. "
	"A paper that hints at a radically new direction that could "
	"transform the primary domain may score 9-10 despite appearances.\n"
	"Novelty: 9-10 breakthrough; 7-8 substantial improvements; 5-6 "
	"incremental; 3-4 minor or purely engineering (a new benchmark or "
	"dataset); 1-2 applying standard approaches without new insight.\n\n";

struct verdict {
	char *id;
	int version;
	int relevance;
	int novelty;
	char *comment;
};

struct cache {
	char *path;
	struct verdict *v;
	size_t n, alloc;
	int dirty;
};

struct llm_judge {
	struct llm_judge_config cfg;
	char *endpoint, *model, *api_key, *state_dir, *date, *today;
	char *spend_path;
	struct fetcher *fetcher;
	struct llm_judge_totals t;
	int failed;             /* a request failed: no more this run */
	char *failure;          /* why, said once per digest */
};

/* ---- request and response ---- */

char *llm_request_json(const char *model, const char *system,
		       const char *user)
{
	json_t *req = json_object(), *msgs = json_array();
	char *s = NULL;

	/* jansson refuses invalid UTF-8: then there is no request. */
	if (json_object_set_new(req, "model", json_string(model)) < 0 ||
	    json_object_set_new(req, "temperature", json_integer(0)) < 0 ||
	    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
						  "system", "content",
						  system)) < 0 ||
	    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
						  "user", "content",
						  user)) < 0 ||
	    json_object_set(req, "messages", msgs) < 0)
		goto out;
	s = json_dumps(req, JSON_COMPACT);
out:
	json_decref(msgs);
	json_decref(req);
	if (!s)
		return NULL;
	{
		char *copy = xstrdup(s); /* ours to free with free() */
		free(s);
		return copy;
	}
}

static long usage_count(json_t *usage, const char *name)
{
	json_t *v = json_object_get(usage, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 1000000000)
		return -1;
	return (long)json_integer_value(v);
}

int llm_response_parse(const char *body, size_t len, char **content,
		       long *prompt_tokens, long *completion_tokens,
		       struct errbuf *eb)
{
	json_error_t err;
	json_t *doc, *choice, *text, *usage;
	int ret = -1;

	*content = NULL;
	*prompt_tokens = *completion_tokens = -1;
	doc = json_loadb(body, len, 0, &err);
	if (!doc)
		return errbuf_set(eb, "the response is not JSON: %s (line %d)",
				  err.text, err.line);
	choice = json_array_get(json_object_get(doc, "choices"), 0);
	text = json_object_get(json_object_get(choice, "message"),
			       "content");
	if (!json_is_string(text)) {
		json_t *e = json_object_get(json_object_get(doc, "error"),
					    "message");
		errbuf_set(eb, "the response has no choices[0].message."
			       "content%s%s", json_is_string(e) ? ": " : "",
			   json_is_string(e) ? json_string_value(e) : "");
		goto out;
	}
	*content = xstrdup(json_string_value(text));
	usage = json_object_get(doc, "usage");
	*prompt_tokens = usage_count(usage, "prompt_tokens");
	*completion_tokens = usage_count(usage, "completion_tokens");
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

/* ---- prompt ---- */

/* Appends at most max bytes of s, cut at a UTF-8 boundary, one line. */
static void add_trimmed(struct buf *b, const char *s, size_t max)
{
	const char *p = s, *end = s + strlen(s);
	size_t used = 0;

	while (p < end) {
		const char *start = p;
		int32_t cp = util_utf8_next(&p, end);
		size_t n = (size_t)(p - start);

		if (cp < 0)
			continue;
		if (used + n > max) {
			buf_addstr(b, "...");
			return;
		}
		if (cp == '\n' || cp == '\r' || cp == '\t')
			buf_addch(b, ' ');
		else
			buf_add(b, start, n);
		used += n;
	}
}

static char *build_prompt(const char *criteria, const struct listing *l,
			  const size_t *papers, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, LLM_MAX_PROMPT);
	buf_addstr(&b, instructions);
	buf_addstr(&b, "## Papers\n\n");
	for (i = 0; i < n; i++) {
		const struct paper *p = &l->papers[papers[i]];

		buf_addf(&b, "ArXiv ID: %s\nTitle: ", p->id);
		add_trimmed(&b, p->title, LLM_MAX_TITLE);
		buf_addstr(&b, "\nAbstract: ");
		add_trimmed(&b, p->abstract ? p->abstract : "",
			    LLM_MAX_ABSTRACT);
		buf_addstr(&b, "\n\n");
	}
	buf_addstr(&b, "## Relevant Topics\n\n");
	buf_add(&b, criteria, strnlen(criteria, LLM_MAX_CRITERIA));
	buf_addch(&b, '\n');
	return buf_detach(&b, NULL);
}

/* ---- state: spend and cache ---- */

static int load_spend(struct llm_judge *j, struct errbuf *eb)
{
	struct buf text;
	int ret = 0;

	if (access(j->spend_path, F_OK) < 0)
		return 0;
	buf_init(&text, LLM_MAX_STATE_FILE);
	if (util_read_file(j->spend_path, &text, eb) < 0) {
		ret = -1;
	} else if (sscanf(buf_str(&text), "usd %lf", &j->t.spent_today) != 1 ||
		   !(j->t.spent_today >= 0)) {
		ret = errbuf_set(eb, "%s: not a spend record (\"usd N\")",
				 j->spend_path);
	}
	buf_release(&text);
	return ret;
}

static int save_spend(struct llm_judge *j, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char *dir = util_dirname(j->spend_path);
	int ret;

	buf_addf(&b, "usd %.8f\n# spent on %s through the LLM judge "
		     "(llm.daily_budget_usd %.4f)\n", j->t.spent_today,
		 j->today, j->cfg.daily_budget_usd);
	ret = util_mkdir_p(dir, 0700, eb);
	if (!ret)
		ret = util_write_atomic(j->spend_path, b.data, b.len, 0600, eb);
	buf_release(&b);
	free(dir);
	return ret;
}

static void cache_release(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].id);
		free(c->v[i].comment);
	}
	free(c->v);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static struct verdict *cache_find(const struct cache *c, const char *id,
				  int version)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].version == version && !strcmp(c->v[i].id, id))
			return &c->v[i];
	return NULL;
}

static void cache_add(struct cache *c, const char *id, int version,
		      int relevance, int novelty, const char *comment)
{
	struct verdict *v;

	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 32;
		c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	v = &c->v[c->n++];
	v->id = xstrdup(id);
	v->version = version;
	v->relevance = relevance;
	v->novelty = novelty;
	v->comment = xstrdup(comment);
	c->dirty = 1;
}

/* Reads "ID<TAB>VERSION<TAB>RELEVANCE<TAB>NOVELTY<TAB>COMMENT" lines;
 * a line that is not one is skipped (it is only a cache). Relevance and
 * novelty 0 record a paper the model was asked about and did not score
 * (garbage, or skipped twice): at temperature 0 asking again would pay
 * for the same answer, so it keeps its lexical score for the day. */
static int cache_load(struct cache *c, struct errbuf *eb)
{
	struct buf text;
	char *line, *next;
	int ret = 0;

	if (access(c->path, F_OK) < 0)
		return 0;
	buf_init(&text, LLM_MAX_STATE_FILE);
	if (util_read_file(c->path, &text, eb) < 0) {
		ret = -1;
		goto out;
	}
	for (line = text.data; line && *line; line = next) {
		char *f[5], *end;
		long ver, rel, nov;
		int k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (k = 0, f[0] = line; k < 4; k++) {
			char *tab = strchr(f[k], '\t');
			if (!tab)
				break;
			*tab = '\0';
			f[k + 1] = tab + 1;
		}
		if (k < 4)
			continue;
		ver = strtol(f[1], &end, 10);
		if (*end || ver < 0)
			continue;
		rel = strtol(f[2], &end, 10);
		if (*end || rel < 0 || rel > LLMREPLY_MAX_SCORE)
			continue;
		nov = strtol(f[3], &end, 10);
		if (*end || nov < 0 || nov > LLMREPLY_MAX_SCORE ||
		    (!rel) != (!nov))
			continue;
		if (!*f[0] || !util_utf8_valid(f[4], strlen(f[4])))
			continue;
		cache_add(c, f[0], (int)ver, (int)rel, (int)nov, f[4]);
	}
	c->dirty = 0;
out:
	buf_release(&text);
	return ret;
}

static int cache_save(struct cache *c, struct errbuf *eb)
{
	struct buf b;
	char *dir;
	size_t i;
	int ret;

	if (!c->dirty)
		return 0;
	buf_init(&b, LLM_MAX_STATE_FILE);
	for (i = 0; i < c->n; i++)
		buf_addf(&b, "%s\t%d\t%d\t%d\t%s\n", c->v[i].id,
			 c->v[i].version, c->v[i].relevance, c->v[i].novelty,
			 c->v[i].comment);
	dir = util_dirname(c->path);
	ret = util_mkdir_p(dir, 0700, eb);
	if (!ret)
		ret = util_write_atomic(c->path, b.data ? b.data : "", b.len,
					0600, eb);
	if (!ret)
		c->dirty = 0;
	free(dir);
	buf_release(&b);
	return ret;
}

/* Hex SHA-256 (first LLM_HASH_HEX digits) of criteria, model and the
 * prompt's version: two subscribers with the same criteria share it. */
static void profile_hash(const char *criteria, const char *model,
			 char out[LLM_HASH_HEX + 1])
{
	unsigned char md[TOKEN_SHA256_BYTES];
	unsigned int i;
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s%c%s%c%s", LLM_PROMPT_VERSION, 0, model, 0, criteria);
	token_sha256(b.data, b.len, md);
	for (i = 0; i < LLM_HASH_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[LLM_HASH_HEX] = '\0';
	buf_release(&b);
}

/* Removes STATE/llm/cache/DAY folders older than LLM_CACHE_KEEP_DAYS. */
static void prune_cache(struct llm_judge *j)
{
	char *root = util_path_join(j->state_dir, "llm/cache");
	DIR *d = opendir(root);
	struct dirent *e;
	time_t today, day;

	if (!d || util_parse_date(j->today, &today) < 0)
		goto out;
	while ((e = readdir(d))) {
		char *sub;
		DIR *sd;
		struct dirent *f;

		if (util_parse_date(e->d_name, &day) < 0 ||
		    today - day <= (time_t)LLM_CACHE_KEEP_DAYS * 86400)
			continue;
		sub = util_path_join(root, e->d_name);
		sd = opendir(sub);
		while (sd && (f = readdir(sd))) {
			char *file;
			if (f->d_name[0] == '.')
				continue;
			file = util_path_join(sub, f->d_name);
			unlink(file);
			free(file);
		}
		if (sd)
			closedir(sd);
		rmdir(sub);
		free(sub);
	}
out:
	if (d)
		closedir(d);
	free(root);
}

/* ---- the judge ---- */

int llm_judge_new(const struct llm_judge_config *cfg, struct llm_judge **out,
		  struct errbuf *eb)
{
	struct llm_judge *j = xcalloc(1, sizeof(*j));
	struct buf path = BUF_INIT;

	*out = NULL;
	j->cfg = *cfg;
	j->endpoint = xstrdup(cfg->endpoint);
	j->model = xstrdup(cfg->model);
	j->api_key = xstrdup(cfg->api_key ? cfg->api_key : "");
	j->state_dir = xstrdup(cfg->state_dir);
	j->date = xstrdup(cfg->date);
	j->today = xstrdup(cfg->today);
	j->cfg.endpoint = j->endpoint;
	j->cfg.model = j->model;
	j->cfg.api_key = j->api_key;
	j->cfg.state_dir = j->state_dir;
	j->cfg.date = j->date;
	j->cfg.today = j->today;
	j->cfg.fetch = NULL;
	if (j->cfg.batch_size < 1)
		j->cfg.batch_size = 1;
	buf_addf(&path, "llm/spend-%s", j->today);
	j->spend_path = util_path_join(j->state_dir, buf_str(&path));
	buf_release(&path);
	if (load_spend(j, eb) < 0)
		goto fail;
	if (!cfg->offline) {
		if (fetch_new(cfg->fetch, &j->fetcher, eb) < 0)
			goto fail;
		prune_cache(j);
	}
	*out = j;
	return 0;
fail:
	llm_judge_free(j);
	return -1;
}

void llm_judge_free(struct llm_judge *j)
{
	if (!j)
		return;
	fetch_free(j->fetcher);
	if (j->api_key)
		memset(j->api_key, 0, strlen(j->api_key));
	free(j->endpoint);
	free(j->model);
	free(j->api_key);
	free(j->state_dir);
	free(j->date);
	free(j->today);
	free(j->spend_path);
	free(j->failure);
	free(j);
}

void llm_judge_totals(const struct llm_judge *j, struct llm_judge_totals *t)
{
	*t = j->t;
}

static double cost_of(const struct llm_judge *j, long prompt,
		      long completion)
{
	return (double)prompt * j->cfg.prompt_per_mtok / 1e6 +
	       (double)completion * j->cfg.completion_per_mtok / 1e6;
}

/* Where one batch stands after asking. */
enum ask_result {
	ASK_DONE,    /* the reply was read; some papers may be unscored */
	ASK_GARBAGE, /* the reply held no object at all */
	ASK_SKIPPED, /* no request: offline, budget, or an earlier failure */
};

struct job {
	struct llm_judge *j;
	const struct listing *l;
	const struct subscriber *s;
	struct score_result *r;
	struct digest_cost *cost;
	struct strv *warnings;
	struct cache cache;
};

static void apply(struct job *jb, size_t entry, int relevance, int novelty,
		  const char *comment)
{
	struct score_entry *e = &jb->r->entries[entry];

	e->relevance = relevance;
	e->novelty = novelty;
	e->judged = 1;
	if (comment && *comment) {
		free(e->comment);
		e->comment = xstrdup(comment);
	}
	jb->cost->judged = 1;
}

static void warnf(struct strv *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warnf(struct strv *w, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strv_push_owned(w, buf_detach(&b, NULL));
}

/* Remembers that the model gave no verdict on entries batch[0..n). */
static int decline(struct job *jb, const size_t *batch, size_t n,
		   struct errbuf *eb)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct paper *p =
			&jb->l->papers[jb->r->entries[batch[i]].paper];
		cache_add(&jb->cache, p->id, p->version, 0, 0, "");
	}
	return cache_save(&jb->cache, eb);
}

/*
 * Asks the model about the entries batch[0..n); the ones it scored are
 * applied, cached and removed, the rest are left in batch (*n updated).
 * Returns the ask_result, or -1 when state could not be written.
 */
static int ask(struct job *jb, size_t *batch, size_t *n, struct errbuf *eb)
{
	struct llm_judge *j = jb->j;
	struct fetch_response res;
	struct errbuf why = ERRBUF_INIT;
	struct llmreply_score *sc = NULL;
	const char **ids = xcalloc(*n, sizeof(*ids));
	size_t *papers = xcalloc(*n, sizeof(*papers));
	char *prompt = NULL, *body = NULL, *content = NULL;
	long pt, ct;
	size_t i, k, objects = 0, asked = *n;
	int ret = ASK_SKIPPED;

	memset(&res, 0, sizeof(res));
	if (j->cfg.offline || j->failed)
		goto out;
	if (j->t.spent_today >= j->cfg.daily_budget_usd) {
		j->t.budget_reached = 1;
		jb->cost->budget_reached = 1;
		goto out;
	}
	for (i = 0; i < *n; i++) {
		papers[i] = jb->r->entries[batch[i]].paper;
		ids[i] = jb->l->papers[papers[i]].id;
	}
	prompt = build_prompt(jb->s->criteria, jb->l, papers, *n);
	body = llm_request_json(j->model, system_prompt, prompt);
	if (!body || strlen(body) > LLM_MAX_REQUEST) {
		errbuf_set(&why, "the request could not be built");
		goto failed;
	}
	j->t.requests++;
	if (fetch_post(j->fetcher, j->endpoint, j->api_key, body,
		       strlen(body), &res, &why) < 0 ||
	    llm_response_parse(res.body.data ? res.body.data : "",
			       res.body.len, &content, &pt, &ct, &why) < 0)
		goto failed;
	/* A server that does not report usage is charged by estimate. */
	if (pt < 0)
		pt = (long)(strlen(body) / LLM_BYTES_PER_TOKEN);
	if (ct < 0)
		ct = (long)(strlen(content) / LLM_BYTES_PER_TOKEN);
	j->t.prompt_tokens += pt;
	j->t.completion_tokens += ct;
	j->t.usd += cost_of(j, pt, ct);
	j->t.spent_today += cost_of(j, pt, ct);
	jb->cost->prompt_tokens += pt;
	jb->cost->completion_tokens += ct;
	jb->cost->usd += cost_of(j, pt, ct);
	if (save_spend(j, eb) < 0) {
		ret = -1;
		goto out;
	}

	sc = xcalloc(*n, sizeof(*sc));
	llmreply_parse(content, strlen(content), ids, *n, sc, &objects);
	for (i = 0, k = 0; i < *n; i++) {
		const struct paper *p = &jb->l->papers[papers[i]];

		if (!sc[i].scored) {
			batch[k++] = batch[i];
			continue;
		}
		cache_add(&jb->cache, p->id, p->version, sc[i].relevance,
			  sc[i].novelty, sc[i].comment);
		apply(jb, batch[i], sc[i].relevance, sc[i].novelty,
		      sc[i].comment);
	}
	*n = k;
	if (cache_save(&jb->cache, eb) < 0) {
		ret = -1;
		goto out;
	}
	ret = objects ? ASK_DONE : ASK_GARBAGE;
	if (!objects && decline(jb, batch, *n, eb) < 0)
		ret = -1;
	goto out;
failed:
	/* An endpoint that failed after fetch's retries is not asked again
	 * in this run: every digest would wait out the same timeouts. */
	j->failed = 1;
	free(j->failure);
	j->failure = xstrdup(why.msg);
	warnf(jb->warnings, "LLM request failed, lexical scores used: %s "
	      "(no more LLM requests in this run)", why.msg);
out:
	if (sc)
		llmreply_release(sc, asked);
	free(sc);
	free(content);
	free(body);
	free(prompt);
	free(ids);
	free(papers);
	fetch_response_release(&res);
	return ret;
}

/*
 * Asks about the papers ids[0..n) in batches of llm.batch_size. Appends
 * the ones a reply skipped to skipped[*nskipped...] and adds those of
 * replies with no score at all to *garbage. Returns 0 or -1 (eb).
 */
static int ask_batches(struct job *jb, size_t *ids, size_t n,
		       size_t *skipped, size_t *nskipped, size_t *garbage,
		       struct errbuf *eb)
{
	size_t i, len, k;
	int a;

	for (i = 0; i < n; i += len) {
		len = n - i;
		if (len > (size_t)jb->j->cfg.batch_size)
			len = (size_t)jb->j->cfg.batch_size;
		k = len;
		a = ask(jb, ids + i, &k, eb);
		if (a < 0)
			return -1;
		if (a == ASK_DONE) {
			memcpy(skipped + *nskipped, ids + i, k * sizeof(*ids));
			*nskipped += k;
		} else if (a == ASK_GARBAGE) {
			*garbage += k;
		}
	}
	return 0;
}

int llm_judge_digest(struct llm_judge *j, const struct listing *l,
		     const struct subscriber *s, struct score_result *r,
		     struct digest_cost *cost, struct strv *warnings,
		     struct errbuf *eb)
{
	struct job jb;
	char hash[LLM_HASH_HEX + 1];
	struct buf path = BUF_INIT;
	size_t *todo = NULL, *retry = NULL, ntodo = 0, nretry = 0;
	size_t i, garbage = 0, unscored = 0;
	int ret = -1;

	memset(&jb, 0, sizeof(jb));
	jb.j = j;
	jb.l = l;
	jb.s = s;
	jb.r = r;
	jb.cost = cost;
	jb.warnings = warnings;
	cost->model = j->model;
	if (!s->criteria || !s->criteria[0])
		return 0;
	profile_hash(s->criteria, j->model, hash);
	buf_addf(&path, "llm/cache/%s/%s.tsv", j->date, hash);
	jb.cache.path = util_path_join(j->state_dir, buf_str(&path));
	if (cache_load(&jb.cache, eb) < 0)
		goto out;

	todo = xcalloc(r->n ? r->n : 1, sizeof(*todo));
	retry = xcalloc(r->n ? r->n : 1, sizeof(*retry));
	for (i = 0; i < r->n; i++) {
		struct score_entry *e = &r->entries[i];
		const struct paper *p = &l->papers[e->paper];
		const struct verdict *v;

		if (e->relevance < 1 || e->relevance < j->cfg.min_lexical ||
		    e->dropped)
			continue;
		v = cache_find(&jb.cache, p->id, p->version);
		if (!v)
			todo[ntodo++] = i;
		else if (v->relevance)
			apply(&jb, i, v->relevance, v->novelty, v->comment);
	}

	/* What a reply skipped is asked once more; what the second reply
	 * skipped too is remembered as declined. */
	if (ask_batches(&jb, todo, ntodo, retry, &nretry, &garbage, eb) < 0 ||
	    ask_batches(&jb, retry, nretry, todo, &unscored, &garbage, eb) <
		    0 ||
	    (unscored && decline(&jb, todo, unscored, eb) < 0))
		goto out;
	if (garbage)
		warnf(warnings, "the LLM's reply held no scores; lexical "
			"scores kept for %zu paper%s", garbage,
		      garbage == 1 ? "" : "s");
	if (unscored)
		warnf(warnings, "the LLM skipped %zu paper%s twice; lexical "
			"scores kept for %s", unscored,
		      unscored == 1 ? "" : "s", unscored == 1 ? "it" : "them");
	if (cost->budget_reached)
		warnf(warnings, "daily LLM budget of $%g reached; lexical "
			"scores used", j->cfg.daily_budget_usd);
	ret = 0;
out:
	cache_release(&jb.cache);
	buf_release(&path);
	free(todo);
	free(retry);
	return ret;
}
