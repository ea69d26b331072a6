/*
 * score: the one-pass lexical matcher and the relevance formula, with
 * explanations (see score.h for the formula and the design).
 *
 * Build: every distinct term (as written) is normalized once into word
 * ids and inserted into a trie whose edges live in one hash table; each
 * paper is tokenized once, its words mapped to ids (0 for a word no term
 * uses), and from each word position the trie is walked as far as it
 * goes, so each hit (term, paper, title or abstract) is found once and
 * stored once, grouped by term. Scoring a subscriber walks the hit lists
 * of its own terms, chains the hits per paper and evaluates only the
 * papers that have any.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "score.h"
#include "latent.h"
#include "learn.h"
#include "stem.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

typedef stem_word_fn word_fn;

/* Hands each normalized word of text to fn (stem.h). */
static void each_word(const char *text, word_fn fn, void *ctx)
{
	stem_each_word(text, fn, ctx);
}

static void push_word(void *ctx, const char *w, size_t len)
{
	strv_push_owned(ctx, xstrndup(w, len));
}

/* Splits text into normalized words. */
static void split_words(const char *text, struct strv *words)
{
	each_word(text, push_word, words);
}

char *score_normalize(const char *text)
{
	struct strv words = STRV_INIT;
	char *s;

	split_words(text, &words);
	s = strv_join(&words, " ");
	strv_release(&words);
	return s;
}

/* ---- author names ---- */

struct name_parts {
	struct strv given; /* given names and initials, folded */
	char *surname;     /* folded; multi-word surnames joined by ' ' */
};

static int is_suffix(const char *w)
{
	return !strcmp(w, "jr") || !strcmp(w, "sr") || !strcmp(w, "ii") ||
	       !strcmp(w, "iii") || !strcmp(w, "iv");
}

/* Splits a name into folded words without stemming. */
static void name_words(const char *s, struct strv *out)
{
	const char *p = s, *end = s + strlen(s);
	struct buf w = BUF_INIT;

	while (p < end) {
		int32_t cp = util_utf8_next(&p, end);
		if (cp < 0 || !stem_fold_char(&w, cp)) {
			if (w.len)
				strv_push(out, buf_str(&w));
			buf_reset(&w);
		}
	}
	if (w.len)
		strv_push(out, buf_str(&w));
	buf_release(&w);
}

static void parse_name(const char *name, struct name_parts *np)
{
	const char *comma = strchr(name, ',');
	struct strv words = STRV_INIT;
	size_t i;

	memset(np, 0, sizeof(*np));
	if (comma) {
		/* "Bengio, Yoshua": surname first. */
		char *sur = xstrndup(name, (size_t)(comma - name));
		struct strv sw = STRV_INIT;

		name_words(sur, &sw);
		np->surname = strv_join(&sw, " ");
		name_words(comma + 1, &np->given);
		strv_release(&sw);
		free(sur);
		return;
	}
	name_words(name, &words);
	while (words.n > 1 && is_suffix(words.v[words.n - 1])) {
		free(words.v[--words.n]);
		words.v[words.n] = NULL;
	}
	if (!words.n) {
		np->surname = xstrdup("");
		strv_release(&words);
		return;
	}
	np->surname = xstrdup(words.v[words.n - 1]);
	for (i = 0; i + 1 < words.n; i++)
		strv_push(&np->given, words.v[i]);
	strv_release(&words);
}

static void name_release(struct name_parts *np)
{
	strv_release(&np->given);
	free(np->surname);
}

int score_author_matches(const char *followed, const char *paper_author)
{
	struct name_parts a, b;
	int match = 0;

	parse_name(followed, &a);
	parse_name(paper_author, &b);
	if (a.surname[0] && !strcmp(a.surname, b.surname) && a.given.n &&
	    b.given.n) {
		const char *ga = a.given.v[0], *gb = b.given.v[0];
		/* First given names equal, or one is the other's initial. */
		if (!strcmp(ga, gb) ||
		    (strlen(ga) == 1 && ga[0] == gb[0]) ||
		    (strlen(gb) == 1 && gb[0] == ga[0]))
			match = 1;
	}
	name_release(&a);
	name_release(&b);
	return match;
}

static char *author_key(const char *name)
{
	struct name_parts np;
	struct buf b = BUF_INIT;
	char *key = NULL;

	parse_name(name, &np);
	if (np.surname[0] && np.given.n) {
		buf_addf(&b, "%s\001%c", np.surname, np.given.v[0][0]);
		key = buf_detach(&b, NULL);
	}
	name_release(&np);
	buf_release(&b);
	return key;
}

/* ---- hash tables ---- */

/* Slots of a hash table are kept at most half full. */
#define SCORE_HASH_LOAD 2
/* Marks "none" in the uint32_t links below. */
#define NONE UINT32_MAX

/* Interned strings -> ids 1..n, each with a uint32_t value. */
struct dict {
	char **keys;     /* by id - 1 */
	size_t *lens;
	uint32_t *vals;
	size_t n, alloc;
	uint32_t *slots; /* 0: empty, else id */
	size_t nslots;   /* a power of two */
};

static size_t dict_slot(const struct dict *d, const char *s, size_t len)
{
	size_t mask = d->nslots - 1,
	       i = (size_t)util_fnv1a(UTIL_FNV_BASIS, s, len) & mask;

	while (d->slots[i]) {
		uint32_t id = d->slots[i];
		if (d->lens[id - 1] == len && !memcmp(d->keys[id - 1], s, len))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* The id of s, or 0. */
static uint32_t dict_find(const struct dict *d, const char *s, size_t len)
{
	if (!d->nslots)
		return 0;
	return d->slots[dict_slot(d, s, len)];
}

static void dict_grow(struct dict *d)
{
	size_t i;

	free(d->slots);
	d->nslots = d->nslots ? d->nslots * 2 : 64;
	d->slots = xcalloc(d->nslots, sizeof(*d->slots));
	for (i = 0; i < d->n; i++)
		d->slots[dict_slot(d, d->keys[i], d->lens[i])] =
			(uint32_t)i + 1;
}

/* The id of s, added (with value 0) when new; *added says which. */
static uint32_t dict_add(struct dict *d, const char *s, size_t len,
			 int *added)
{
	size_t i;

	*added = 0;
	if ((d->n + 1) * SCORE_HASH_LOAD > d->nslots)
		dict_grow(d);
	i = dict_slot(d, s, len);
	if (d->slots[i])
		return d->slots[i];
	if (d->n + 1 > d->alloc) {
		ALLOC_GROW(d->keys, d->n + 1, d->alloc);
		d->lens = xreallocarray(d->lens, d->alloc, sizeof(*d->lens));
		d->vals = xreallocarray(d->vals, d->alloc, sizeof(*d->vals));
	}
	d->keys[d->n] = xstrndup(s, len);
	d->lens[d->n] = len;
	d->vals[d->n] = 0;
	d->slots[i] = (uint32_t)++d->n;
	*added = 1;
	return (uint32_t)d->n;
}

static void dict_release(struct dict *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->keys[i]);
	free(d->keys);
	free(d->lens);
	free(d->vals);
	free(d->slots);
	memset(d, 0, sizeof(*d));
}

/* The trie's edges: (node, word id) -> child node. */
struct edges {
	uint64_t *keys; /* node << 32 | word; 0: empty (word ids are >= 1) */
	uint32_t *child;
	size_t n, nslots;
};

static size_t edge_slot(const struct edges *e, uint64_t key)
{
	size_t mask = e->nslots - 1;
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 17) & mask;

	while (e->keys[i] && e->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static uint32_t edge_find(const struct edges *e, uint32_t node, uint32_t w)
{
	uint64_t key = (uint64_t)node << 32 | w;
	size_t i;

	if (!e->nslots)
		return 0;
	i = edge_slot(e, key);
	return e->keys[i] ? e->child[i] : 0;
}

static void edge_add(struct edges *e, uint32_t node, uint32_t w,
		     uint32_t child)
{
	uint64_t key = (uint64_t)node << 32 | w;
	size_t i;

	if ((e->n + 1) * SCORE_HASH_LOAD > e->nslots) {
		uint64_t *keys = e->keys;
		uint32_t *kids = e->child;
		size_t j, old = e->nslots;

		e->nslots = old ? old * 2 : 256;
		e->keys = xcalloc(e->nslots, sizeof(*e->keys));
		e->child = xcalloc(e->nslots, sizeof(*e->child));
		for (j = 0; j < old; j++) {
			if (!keys[j])
				continue;
			i = edge_slot(e, keys[j]);
			e->keys[i] = keys[j];
			e->child[i] = kids[j];
		}
		free(keys);
		free(kids);
	}
	i = edge_slot(e, key);
	e->keys[i] = key;
	e->child[i] = child;
	e->n++;
}

/* ---- the compiled profiles ---- */

/* Categories are compared as bits of a uint64_t; beyond 64 distinct
 * categories in a listing, as strings. */
#define SCORE_CAT_BITS 64

enum slot_role {
	ROLE_KEYWORD,       /* a topic's keyword */
	ROLE_REQUIRE,       /* a topic's require term */
	ROLE_TOPIC_EXCLUDE, /* a topic's own exclude term */
	ROLE_EXCLUDE,       /* the profile's exclude term */
	ROLE_NEVER,         /* the profile's never term */
	ROLE_CRITERIA,      /* a word of the profile's criteria */
};

#define WHERE_TITLE 1u
#define WHERE_ABSTRACT 2u

/* One term of one profile. */
struct cslot {
	uint32_t term;  /* trie node; 0: can never match */
	uint32_t index; /* index in its list (keywords, require, exclude;
			 * ROLE_CRITERIA: in idx->crit_words) */
	uint16_t topic; /* index in s->topics (profile-wide roles: 0) */
	uint8_t role;
};

/* One compiled profile: its slots and followed authors. */
struct csub {
	const struct subscriber *s;
	uint32_t first_slot, nslots;
	uint32_t first_author;  /* in idx->authors: key of each s->authors */
	unsigned announce_mask; /* bit per enum listing_announce; 0: config */
	uint64_t cat_mask;      /* bit id - 1 of each category, ids <= 64 */
	int cat_slow;           /* a category id > 64: compare strings */
	const struct learn_model *model; /* score_index_set_model, or NULL */
	const double *q_want;   /* criteria folded into idx->lat, or NULL */
	const double *q_away;   /* exclude terms folded into it, or NULL */
};

/* A term's hit in one paper. */
struct term_hit {
	uint32_t paper;
	uint8_t where;
	uint8_t tf; /* occurrences in title and abstract, at most 255 */
};

/* A followed-author key's candidate in one paper. */
struct author_hit {
	uint32_t paper;
	uint32_t author; /* index in the paper's authors */
};

/* One subscriber's term hit in one paper, chained per paper (kept only
 * for comments and explanations: which keyword hit where). */
struct sub_hit {
	uint32_t slot;  /* the subscriber's slot */
	uint32_t next;  /* next hit in this paper, or NONE */
	uint8_t where;
};

struct topic_eval {
	int title, abstract; /* keywords found in the title / only abstract */
	int required;        /* require terms found */
	int excl_slot;       /* a topic exclude term that hit, or -1 */
	int counted;
	double idf;          /* sum of 3 x idf per title keyword, idf per
			      * abstract keyword */
	double points;       /* weight x idf */
};

enum eval_stage {
	STAGE_ANNOUNCE, /* stopped: announce type not wanted */
	STAGE_CATEGORY, /* stopped: outside the categories */
	STAGE_UPVOTES,  /* stopped: too few upvotes */
	STAGE_NEVER,    /* stopped: a never term hit */
	STAGE_EXCLUDED, /* stopped: a profile exclusion is central */
	STAGE_SCORED,
};

/* The whole reasoning for one (subscriber, paper). */
struct eval {
	enum eval_stage stage;
	int excl_slot;           /* the central profile exclusion, or -1 */
	int never_slot;          /* the never term that hit, or -1 */
	int pen_slot, npen;      /* first exclusion in passing, how many */
	int author, paper_author; /* followed / paper author index, or -1 */
	int matched;             /* topics counted */
	double points;           /* keyword points (sum over topics) */
	double crit;             /* BM25 of the criteria */
	double model;            /* the learned model's decision value */
	double sem, away;        /* latent cosine to criteria, exclusions */
	double z_kw, z_crit, z_model, z; /* standardized, and combined */
	double z_sem, z_away;
	double scale;            /* brings the profile's signals to its
				  * own spread (1 without latent ones) */
	double score;            /* z after penalties (orders papers) */
	int relevance;
	struct topic_eval *topic; /* the paper's row, one per topic */
};

/* What one subscriber's hits add up to in one paper. */
struct paper_row {
	int excl_slot;            /* first central profile exclusion, or -1 */
	int never_slot;           /* first never term hit, or -1 */
	int pen_slot, npen;       /* exclusions in passing */
	int author, paper_author; /* first author match, or -1 */
	double crit;              /* BM25 of the criteria so far */
};

/* Mean and standard deviation of one signal over the day's papers. */
struct score_stat {
	double mean, sd;
};

struct score_index {
	const struct listing *l;
	unsigned char *wanted; /* per paper: the config's announce types */
	struct dict cats;      /* the listing's categories -> ids */
	uint64_t *cat_mask;    /* per paper: bit id - 1 of ids <= 64 */
	uint32_t *cat_primary; /* per paper: id of its primary, 0: none */
	unsigned char *cat_slow; /* per paper: a category id > 64 */

	struct dict words;     /* term words -> ids */
	struct dict raw;       /* a term as written -> its trie node */
	struct edges edges;
	uint8_t *is_term;      /* per trie node */
	uint32_t nnodes, anodes;
	uint32_t *term_off;    /* per node: its hits in term_hits */
	struct term_hit *term_hits;

	struct dict akeys;     /* "surname\\1initial" -> id */
	uint32_t *akey_off;    /* per key id: its hits in author_hits */
	struct author_hit *author_hits;

	const struct subs_list *subs;
	struct csub *csubs;    /* one per subs->v */
	struct cslot *slots;
	size_t nslots, aslots;
	uint32_t *authors;     /* followed authors' keys (0: never) */
	size_t nauthors, aauthors;

	/* Scratch for scoring one subscriber (hence one thread). */
	uint32_t *stamp, gen;  /* per paper: gen when it has hits */
	uint32_t *row;         /* per paper: its row when stamped */
	uint32_t *head;        /* per paper: first hit */
	uint32_t *touched;     /* per row: its paper */
	size_t ntouched;
	struct paper_row *rows;
	struct topic_eval *row_topics; /* per row: max_topics entries */
	struct topic_eval *no_topics;  /* the row of a paper without hits */
	size_t max_topics;
	struct sub_hit *hits;
	size_t nhits, ahits;
	uint8_t *slot_where;   /* per slot of the subscriber scored */
	size_t nslot_where;
	struct score_rel *rels;
	struct eval ev;

	uint32_t *doclen;      /* per paper: words in title and abstract */
	double avgdl;
	struct strv crit_words; /* ROLE_CRITERIA stems, by slot index */
	double *slot_idf;      /* per slot of the subscriber scored */
	struct score_day *sd;  /* the listing's side, maybe shared */
	int own_sd;
	double *mscore;        /* per paper: the model's decision value */
	struct score_stat st_kw, st_crit, st_model;
	const struct latent_day *lat; /* the day's latent space, when a profile
				  * has criteria (the score_day's) */
	double *latq;          /* per csub: q_want, q_away (LATENT_DIMS) */
	struct score_stat st_sem, st_away;
};

/* ---- building ---- */

struct ids_ctx {
	struct dict *d;
	int add;        /* add unknown words (terms) or map them to 0 */
	uint32_t *v;
	size_t n, alloc;
};

static void push_id(void *ctx, const char *w, size_t len)
{
	struct ids_ctx *c = ctx;
	uint32_t id;
	int added;

	id = c->add ? dict_add(c->d, w, len, &added)
		    : dict_find(c->d, w, len);
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	c->v[c->n++] = id;
}

static uint32_t new_node(struct score_index *idx)
{
	ALLOC_GROW(idx->is_term, idx->nnodes + 1, idx->anodes);
	idx->is_term[idx->nnodes] = 0;
	return idx->nnodes++;
}

/* The trie node of term (added when new), or 0 when it can never match. */
static uint32_t compile_term(struct score_index *idx, const char *term,
			     struct ids_ctx *ids)
{
	uint32_t node = 0;
	size_t i, len = strlen(term);
	int added;
	uint32_t rid = dict_add(&idx->raw, term, len, &added);

	if (!added)
		return idx->raw.vals[rid - 1];
	ids->d = &idx->words;
	ids->add = 1;
	ids->n = 0;
	each_word(term, push_id, ids);
	if (ids->n && ids->n <= SCORE_MAX_PHRASE_WORDS) {
		for (i = 0; i < ids->n; i++) {
			uint32_t next = edge_find(&idx->edges, node,
						  ids->v[i]);
			if (!next) {
				next = new_node(idx);
				edge_add(&idx->edges, node, ids->v[i], next);
			}
			node = next;
		}
		idx->is_term[node] = 1;
	}
	idx->raw.vals[rid - 1] = node;
	return node;
}

/* The trie node of one word already normalized and stemmed (a criteria
 * word), added when new. */
static uint32_t compile_stem(struct score_index *idx, const char *w,
			     size_t len)
{
	struct buf key = BUF_INIT;
	uint32_t rid, node = 0, wid;
	const char *p = w, *end = w + len;
	int added;

	buf_addch(&key, '\001'); /* never the start of a term as written */
	buf_add(&key, w, len);
	rid = dict_add(&idx->raw, key.data, key.len, &added);
	buf_release(&key);
	if (!added)
		return idx->raw.vals[rid - 1];
	/* One word, or two joined by a space (a criteria bigram). */
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t wl = sp ? (size_t)(sp - p) : (size_t)(end - p);
		uint32_t next;

		wid = dict_add(&idx->words, p, wl, &added);
		next = edge_find(&idx->edges, node, wid);
		if (!next) {
			next = new_node(idx);
			edge_add(&idx->edges, node, wid, next);
		}
		node = next;
		p += wl + (sp != NULL);
	}
	idx->is_term[node] = 1;
	idx->raw.vals[rid - 1] = node;
	return node;
}

struct crit_ctx {
	struct score_index *idx;
	struct strv seen; /* this profile's criteria words so far */
	char prev[64];    /* the previous content word, "" after a stop */
};

/* Adds the criteria term word (owned) unless this profile has it. */
static void add_crit_term(struct crit_ctx *c, char *word)
{
	struct score_index *idx = c->idx;
	struct cslot *sl;

	if (strv_contains(&c->seen, word)) {
		free(word);
		return;
	}
	strv_push(&c->seen, word);
	ALLOC_GROW(idx->slots, idx->nslots + 1, idx->aslots);
	sl = &idx->slots[idx->nslots++];
	sl->term = compile_stem(idx, word, strlen(word));
	sl->topic = 0;
	sl->index = (uint32_t)idx->crit_words.n;
	sl->role = ROLE_CRITERIA;
	strv_push_owned(&idx->crit_words, word);
}

static void add_crit_word(void *ctx, const char *w, size_t len)
{
	struct crit_ctx *c = ctx;
	struct score_index *idx = c->idx;
	struct cslot *sl;
	char *word;

	if (len < 2 || len >= sizeof(c->prev) || stem_is_stopword(w, len) ||
	    strspn(w, "0123456789") >= len) {
		c->prev[0] = '\0';
		return;
	}
	if (c->prev[0]) {
		struct buf bi = BUF_INIT;

		buf_addf(&bi, "%s %.*s", c->prev, (int)len, w);
		memcpy(c->prev, w, len);
		c->prev[len] = '\0';
		add_crit_term(c, buf_detach(&bi, NULL));
	} else {
		memcpy(c->prev, w, len);
		c->prev[len] = '\0';
	}
	word = xstrndup(w, len);
	if (strv_contains(&c->seen, word)) {
		free(word);
		return;
	}
	strv_push(&c->seen, word);
	ALLOC_GROW(idx->slots, idx->nslots + 1, idx->aslots);
	sl = &idx->slots[idx->nslots++];
	sl->term = compile_stem(idx, w, len);
	sl->topic = 0;
	sl->index = (uint32_t)idx->crit_words.n;
	sl->role = ROLE_CRITERIA;
	strv_push_owned(&idx->crit_words, word);
}

/* The matching key of a name: "surname\1" + the first given name's
 * first byte; NULL for a bare surname (which never matches). */
static char *author_key(const char *name);

static void add_slot(struct score_index *idx, struct ids_ctx *ids,
		     const char *term, enum slot_role role, size_t topic,
		     size_t index)
{
	struct cslot *c;

	ALLOC_GROW(idx->slots, idx->nslots + 1, idx->aslots);
	c = &idx->slots[idx->nslots++];
	c->term = compile_term(idx, term, ids);
	c->topic = (uint16_t)topic;
	c->index = (uint32_t)index;
	c->role = (uint8_t)role;
}

static void compile_sub(struct score_index *idx, struct csub *cs,
			const struct subscriber *s, struct ids_ctx *ids)
{
	size_t t, i;

	cs->s = s;
	cs->first_slot = (uint32_t)idx->nslots;
	for (t = 0; t < s->ntopics; t++) {
		const struct subs_topic *tp = &s->topics[t];
		for (i = 0; i < tp->keywords.n; i++)
			add_slot(idx, ids, tp->keywords.v[i], ROLE_KEYWORD, t,
				 i);
		for (i = 0; i < tp->require.n; i++)
			add_slot(idx, ids, tp->require.v[i], ROLE_REQUIRE, t,
				 i);
		for (i = 0; i < tp->exclude.n; i++)
			add_slot(idx, ids, tp->exclude.v[i],
				 ROLE_TOPIC_EXCLUDE, t, i);
	}
	for (i = 0; i < s->exclude.n; i++)
		add_slot(idx, ids, s->exclude.v[i], ROLE_EXCLUDE, 0, i);
	for (i = 0; i < s->never.n; i++)
		add_slot(idx, ids, s->never.v[i], ROLE_NEVER, 0, i);
	if (s->criteria && s->criteria[0]) {
		struct crit_ctx cc = { idx, STRV_INIT, "" };

		each_word(s->criteria, add_crit_word, &cc);
		strv_release(&cc.seen);
	}
	cs->nslots = (uint32_t)(idx->nslots - cs->first_slot);
	if (s->ntopics > idx->max_topics)
		idx->max_topics = s->ntopics;
	if (cs->nslots > idx->nslot_where)
		idx->nslot_where = cs->nslots;

	cs->first_author = (uint32_t)idx->nauthors;
	for (i = 0; i < s->authors.n; i++) {
		char *key = author_key(s->authors.v[i]);
		uint32_t id = 0;
		int added;

		if (key)
			id = dict_add(&idx->akeys, key, strlen(key), &added);
		free(key);
		ALLOC_GROW(idx->authors, idx->nauthors + 1, idx->aauthors);
		idx->authors[idx->nauthors++] = id;
	}
	for (i = 0; i < s->categories.n; i++) {
		uint32_t id = dict_find(&idx->cats, s->categories.v[i],
					strlen(s->categories.v[i]));
		if (id > SCORE_CAT_BITS)
			cs->cat_slow = 1;
		else if (id)
			cs->cat_mask |= (uint64_t)1 << (id - 1);
	}
	cs->announce_mask = 0;
	for (i = 0; i < s->announce_types.n; i++)
		cs->announce_mask |= 1u << listing_announce_parse(
					     s->announce_types.v[i]);
}

/* Hits per paper while scanning, before they are grouped by term. */
struct scan {
	struct term_hit *v;
	uint32_t *term;
	size_t n, alloc;
	uint32_t *mark;        /* per node: paper + 1 when seen in it */
	uint8_t *where;        /* per node: where it was seen */
	uint8_t *count;        /* per node: how often, at most 255 */
	uint32_t *seen;        /* nodes seen in the current paper */
	size_t nseen, aseen;
};

static void scan_text(struct score_index *idx, struct scan *sc,
		      const uint32_t *w, size_t n, uint32_t paper,
		      uint8_t where)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		uint32_t node = 0;

		for (j = i; j < n && j - i < SCORE_MAX_PHRASE_WORDS; j++) {
			if (!w[j])
				break;
			node = edge_find(&idx->edges, node, w[j]);
			if (!node)
				break;
			if (!idx->is_term[node])
				continue;
			if (sc->mark[node] != paper + 1) {
				sc->mark[node] = paper + 1;
				sc->where[node] = 0;
				sc->count[node] = 0;
				ALLOC_GROW(sc->seen, sc->nseen + 1,
					   sc->aseen);
				sc->seen[sc->nseen++] = node;
			}
			sc->where[node] |= where;
			if (sc->count[node] < UINT8_MAX)
				sc->count[node]++;
		}
	}
}

/* Groups pairs (key[i], v[i]) by key into off[0..nkeys] (CSR). */
#define GROUP_BY(off, nkeys, key, v, n, out)                                \
	do {                                                                \
		size_t g_i_;                                                \
		(off) = xcalloc((size_t)(nkeys) + 2, sizeof(*(off)));       \
		for (g_i_ = 0; g_i_ < (n); g_i_++)                          \
			(off)[(key)[g_i_] + 2]++;                           \
		for (g_i_ = 2; g_i_ < (size_t)(nkeys) + 2; g_i_++)          \
			(off)[g_i_] += (off)[g_i_ - 1];                     \
		(out) = xcalloc((n) ? (n) : 1, sizeof(*(out)));             \
		for (g_i_ = 0; g_i_ < (n); g_i_++)                          \
			(out)[(off)[(key)[g_i_] + 1]++] = (v)[g_i_];        \
	} while (0)

static void scan_papers(struct score_index *idx)
{
	const struct listing *l = idx->l;
	struct scan sc;
	struct ids_ctx ids;
	struct author_hit *ah = NULL;
	uint32_t *akey = NULL;
	size_t nah = 0, aah = 0, i, j, k;
	double total = 0;

	memset(&sc, 0, sizeof(sc));
	memset(&ids, 0, sizeof(ids));
	sc.mark = xcalloc(idx->nnodes, sizeof(*sc.mark));
	sc.where = xcalloc(idx->nnodes, sizeof(*sc.where));
	sc.count = xcalloc(idx->nnodes, sizeof(*sc.count));
	ids.d = &idx->words;
	for (i = 0; i < l->n; i++) {
		const struct paper *p = &l->papers[i];

		sc.nseen = 0;
		if (idx->words.n) {
			ids.n = 0;
			each_word(p->title, push_id, &ids);
			scan_text(idx, &sc, ids.v, ids.n, (uint32_t)i,
				  WHERE_TITLE);
			idx->doclen[i] = (uint32_t)ids.n;
			ids.n = 0;
			each_word(p->abstract ? p->abstract : "", push_id,
				  &ids);
			scan_text(idx, &sc, ids.v, ids.n, (uint32_t)i,
				  WHERE_ABSTRACT);
			idx->doclen[i] += (uint32_t)ids.n;
			total += idx->doclen[i];
		}
		for (j = 0; j < sc.nseen; j++) {
			uint32_t node = sc.seen[j];

			if (sc.n + 1 > sc.alloc) {
				ALLOC_GROW(sc.v, sc.n + 1, sc.alloc);
				sc.term = xreallocarray(sc.term, sc.alloc,
							sizeof(*sc.term));
			}
			sc.v[sc.n].paper = (uint32_t)i;
			sc.v[sc.n].where = sc.where[node];
			sc.v[sc.n].tf = sc.count[node];
			sc.term[sc.n++] = node;
		}
		for (k = 0; idx->akeys.n && k < p->authors.n; k++) {
			char *key = author_key(p->authors.v[k]);
			uint32_t id = key ? dict_find(&idx->akeys, key,
						      strlen(key))
					  : 0;
			free(key);
			if (!id)
				continue;
			if (nah + 1 > aah) {
				ALLOC_GROW(ah, nah + 1, aah);
				akey = xreallocarray(akey, aah, sizeof(*akey));
			}
			ah[nah].paper = (uint32_t)i;
			ah[nah].author = (uint32_t)k;
			akey[nah++] = id;
		}
	}
	idx->avgdl = l->n && total > 0 ? total / (double)l->n : 1;
	GROUP_BY(idx->term_off, idx->nnodes, sc.term, sc.v, sc.n,
		 idx->term_hits);
	GROUP_BY(idx->akey_off, idx->akeys.n + 1, akey, ah, nah,
		 idx->author_hits);
	free(sc.v);
	free(sc.term);
	free(sc.mark);
	free(sc.where);
	free(sc.count);
	free(sc.seen);
	free(ids.v);
	free(ah);
	free(akey);
}

/*
 * What every index of a listing shares, built once on first need (the
 * indexes of one day are built one at a time: see score.h).
 */
struct score_day {
	const struct listing *l;
	struct learn_day *lday; /* features for models */
	struct latent_day *lat; /* the latent space (latent.h) */
	int lat_built;          /* tried (lat may be NULL: too small) */
};

struct score_day *score_day_new(const struct listing *l)
{
	struct score_day *sd = xcalloc(1, sizeof(*sd));

	sd->l = l;
	return sd;
}

void score_day_free(struct score_day *sd)
{
	if (!sd)
		return;
	learn_day_free(sd->lday);
	latent_day_free(sd->lat);
	free(sd);
}

static const struct learn_day *day_features(struct score_day *sd)
{
	if (!sd->lday)
		sd->lday = learn_day_build(sd->l);
	return sd->lday;
}

static const struct latent_day *day_latent(struct score_day *sd)
{
	if (!sd->lat_built) {
		sd->lat = latent_day_build(sd->l);
		sd->lat_built = 1;
	}
	return sd->lat;
}

/*
 * When a profile has criteria, builds the day's latent space and folds
 * into it each such profile's criteria and, as their opposite, its
 * exclude terms (see score.h).
 */
static void fold_profiles(struct score_index *idx)
{
	size_t i, want = 0;

	for (i = 0; idx->subs && i < idx->subs->n; i++) {
		const char *c = idx->subs->v[i].criteria;
		want += c && c[0];
	}
	if (!want)
		return;
	idx->lat = day_latent(idx->sd);
	if (!idx->lat)
		return;
	idx->latq = xcalloc(idx->subs->n * 2 * LATENT_DIMS,
			    sizeof(*idx->latq));
	for (i = 0; i < idx->subs->n; i++) {
		const struct subscriber *s = &idx->subs->v[i];
		struct csub *cs = &idx->csubs[i];
		double *q = idx->latq + i * 2 * LATENT_DIMS;

		if (!s->criteria || !s->criteria[0])
			continue;
		if (!latent_fold(idx->lat, s->criteria, q))
			cs->q_want = q;
		if (s->exclude.n) {
			char *away = strv_join(&s->exclude, ". ");

			if (!latent_fold(idx->lat, away, q + LATENT_DIMS))
				cs->q_away = q + LATENT_DIMS;
			free(away);
		}
	}
}

struct score_index *score_index_build(const struct listing *l,
				      const struct strv *announce_types,
				      const struct subs_list *subs)
{
	struct score_index *idx =
		score_index_build_day(score_day_new(l), announce_types, subs);

	idx->own_sd = 1;
	return idx;
}

struct score_index *score_index_build_day(struct score_day *sd,
					  const struct strv *announce_types,
					  const struct subs_list *subs)
{
	struct score_index *idx = xcalloc(1, sizeof(*idx));
	const struct listing *l = sd->l;
	struct ids_ctx ids;
	size_t i, np = l->n ? l->n : 1;

	memset(&ids, 0, sizeof(ids));
	idx->sd = sd;
	idx->l = l;
	idx->subs = subs;
	idx->wanted = xcalloc(np, 1);
	for (i = 0; i < l->n; i++) {
		const char *type = listing_announce_name(l->papers[i].announce);
		idx->wanted[i] = !announce_types || !announce_types->n ||
				 l->papers[i].announce ==
					 LISTING_ANNOUNCE_UNKNOWN ||
				 strv_contains(announce_types, type);
	}
	idx->cat_mask = xcalloc(np, sizeof(*idx->cat_mask));
	idx->cat_primary = xcalloc(np, sizeof(*idx->cat_primary));
	idx->cat_slow = xcalloc(np, 1);
	for (i = 0; i < l->n; i++) {
		const struct strv *c = &l->papers[i].categories;
		size_t k;

		for (k = 0; k < c->n; k++) {
			int added;
			uint32_t id = dict_add(&idx->cats, c->v[k],
					       strlen(c->v[k]), &added);
			if (!k)
				idx->cat_primary[i] = id;
			if (id > SCORE_CAT_BITS)
				idx->cat_slow[i] = 1;
			else
				idx->cat_mask[i] |= (uint64_t)1 << (id - 1);
		}
	}
	new_node(idx); /* the root */
	if (subs && subs->n) {
		idx->csubs = xcalloc(subs->n, sizeof(*idx->csubs));
		for (i = 0; i < subs->n; i++)
			compile_sub(idx, &idx->csubs[i], &subs->v[i], &ids);
	}
	free(ids.v);
	idx->doclen = xcalloc(np, sizeof(*idx->doclen));
	scan_papers(idx);
	fold_profiles(idx);
	idx->stamp = xcalloc(np, sizeof(*idx->stamp));
	idx->head = xcalloc(np, sizeof(*idx->head));
	idx->row = xcalloc(np, sizeof(*idx->row));
	idx->rows = xcalloc(np, sizeof(*idx->rows));
	idx->row_topics = xcalloc(np * (idx->max_topics + 1),
				  sizeof(*idx->row_topics));
	idx->no_topics = xcalloc(idx->max_topics + 1,
				 sizeof(*idx->no_topics));
	for (i = 0; i <= idx->max_topics; i++)
		idx->no_topics[i].excl_slot = -1;
	idx->touched = xcalloc(np, sizeof(*idx->touched));
	idx->rels = xcalloc(np, sizeof(*idx->rels));
	idx->slot_where = xcalloc(idx->nslot_where + 1,
				  sizeof(*idx->slot_where));
	idx->slot_idf = xcalloc(idx->nslot_where + 1, sizeof(*idx->slot_idf));
	idx->mscore = xcalloc(np, sizeof(*idx->mscore));
	return idx;
}

void score_index_free(struct score_index *idx)
{
	if (!idx)
		return;
	free(idx->wanted);
	dict_release(&idx->cats);
	free(idx->cat_mask);
	free(idx->cat_primary);
	free(idx->cat_slow);
	dict_release(&idx->words);
	dict_release(&idx->raw);
	free(idx->edges.keys);
	free(idx->edges.child);
	free(idx->is_term);
	free(idx->term_off);
	free(idx->term_hits);
	dict_release(&idx->akeys);
	free(idx->akey_off);
	free(idx->author_hits);
	free(idx->csubs);
	free(idx->slots);
	free(idx->authors);
	free(idx->stamp);
	free(idx->head);
	free(idx->row);
	free(idx->rows);
	free(idx->row_topics);
	free(idx->no_topics);
	free(idx->touched);
	free(idx->hits);
	free(idx->slot_where);
	free(idx->rels);
	free(idx->doclen);
	strv_release(&idx->crit_words);
	free(idx->slot_idf);
	if (idx->own_sd)
		score_day_free(idx->sd);
	free(idx->mscore);
	free(idx->latq);
	free(idx);
}
/* ---- scoring one subscriber ---- */

static const struct csub *find_csub(const struct score_index *idx,
				    const struct subscriber *s)
{
	uintptr_t a, b, x = (uintptr_t)s;

	if (!idx->subs || !idx->subs->n)
		return NULL;
	a = (uintptr_t)idx->subs->v;
	b = (uintptr_t)(idx->subs->v + idx->subs->n);
	if (x < a || x >= b)
		return NULL;
	return &idx->csubs[s - idx->subs->v];
}

/* The row of paper for the subscriber being scored, set up at its first
 * hit. */
static uint32_t row_of(struct score_index *idx, const struct csub *cs,
		       uint32_t paper)
{
	struct paper_row *r;
	uint32_t n;
	size_t t;

	if (idx->stamp[paper] == idx->gen)
		return idx->row[paper];
	n = (uint32_t)idx->ntouched++;
	idx->stamp[paper] = idx->gen;
	idx->row[paper] = n;
	idx->head[paper] = NONE;
	idx->touched[n] = paper;
	r = &idx->rows[n];
	r->excl_slot = r->author = r->paper_author = -1;
	r->never_slot = r->pen_slot = -1;
	r->npen = 0;
	r->crit = 0;
	for (t = 0; t < cs->s->ntopics; t++) {
		struct topic_eval *te = &idx->row_topics[n * idx->max_topics +
							 t];
		te->title = te->abstract = te->required = 0;
		te->excl_slot = -1;
		te->idf = 0;
	}
	return n;
}

/* BM25's inverse document frequency of a term in df of n papers. */
static double idf_of(size_t df, size_t n)
{
	return log(1.0 + ((double)n - (double)df + 0.5) / ((double)df + 0.5));
}

/* Topic points of one paper's row (see score.h); sets counted and points
 * of each topic, returns the sum and the number of topics counted. */
static double topic_points(const struct subscriber *s, struct topic_eval *tv,
			   int *matched)
{
	double sum = 0;
	size_t t;

	*matched = 0;
	for (t = 0; t < s->ntopics; t++) {
		struct topic_eval *te = &tv[t];

		te->points = s->topics[t].weight * te->idf;
		te->counted = te->title + te->abstract > 0 &&
			      te->required == (int)s->topics[t].require.n &&
			      te->excl_slot < 0;
		if (!te->counted)
			continue;
		sum += te->points;
		(*matched)++;
	}
	return sum;
}

static void stat_finish(struct score_stat *st, double sum, double sum2,
			size_t n)
{
	double var;

	st->mean = n ? sum / (double)n : 0;
	var = n ? sum2 / (double)n - st->mean * st->mean : 0;
	st->sd = var > 1e-12 ? sqrt(var) : 0;
}

static double zscore(const struct score_stat *st, double x)
{
	return st->sd > 0 ? (x - st->mean) / st->sd : 0;
}

/*
 * The day's distribution of each signal for cs, over every paper of the
 * listing (a paper no term hit scores 0): keyword points, the criteria's
 * BM25 and the model's decision values (computed here into idx->mscore).
 */
static void day_stats(struct score_index *idx, const struct csub *cs)
{
	size_t i, n = idx->l->n;
	double k1 = 0, k2 = 0, c1 = 0, c2 = 0;

	for (i = 0; i < idx->ntouched; i++) {
		const struct paper_row *r = &idx->rows[i];
		int matched;
		double kw = topic_points(cs->s,
					 &idx->row_topics[i * idx->max_topics],
					 &matched);

		k1 += kw;
		k2 += kw * kw;
		c1 += r->crit;
		c2 += r->crit * r->crit;
	}
	stat_finish(&idx->st_kw, k1, k2, n);
	stat_finish(&idx->st_crit, c1, c2, n);
	memset(&idx->st_sem, 0, sizeof(idx->st_sem));
	memset(&idx->st_away, 0, sizeof(idx->st_away));
	if (cs->q_want)
		latent_stats(idx->lat, cs->q_want, &idx->st_sem.mean,
			     &idx->st_sem.sd);
	if (cs->q_away)
		latent_stats(idx->lat, cs->q_away, &idx->st_away.mean,
			     &idx->st_away.sd);
	memset(&idx->st_model, 0, sizeof(idx->st_model));
	if (cs->model && idx->sd->lday) {
		double m1 = 0, m2 = 0;

		learn_day_score(idx->sd->lday, cs->model, idx->mscore);
		for (i = 0; i < n; i++) {
			m1 += idx->mscore[i];
			m2 += idx->mscore[i] * idx->mscore[i];
		}
		stat_finish(&idx->st_model, m1, m2, n);
	}
}

/*
 * Adds up the hits of cs's terms and authors per paper, term by term (so
 * each slot's role is looked at once, not once per hit); with `chains`,
 * also keeps each hit, chained per paper.
 */
static void collect(struct score_index *idx, const struct csub *cs,
		    int chains)
{
	const struct subscriber *s = cs->s;
	uint32_t k, j, end;
	size_t total = 0;

	if (++idx->gen == 0) {
		memset(idx->stamp, 0, idx->l->n * sizeof(*idx->stamp));
		idx->gen = 1;
	}
	idx->ntouched = 0;
	idx->nhits = 0;
	for (k = 0; chains && k < cs->nslots; k++) {
		uint32_t term = idx->slots[cs->first_slot + k].term;
		total += idx->term_off[term + 1] - idx->term_off[term];
	}
	ALLOC_GROW(idx->hits, total, idx->ahits);
	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];
		const struct term_hit *th;
		double idf;

		idx->slot_idf[k] = 0;
		if (!c->term)
			continue;
		th = idx->term_hits;
		end = idx->term_off[c->term + 1];
		idf = idx->slot_idf[k] = idf_of(end - idx->term_off[c->term],
						idx->l->n);
		for (j = idx->term_off[c->term]; j < end; j++) {
			uint32_t p = th[j].paper, r = row_of(idx, cs, p);
			struct topic_eval *te =
				&idx->row_topics[r * idx->max_topics +
						 c->topic];
			struct paper_row *pr = &idx->rows[r];

			switch (c->role) {
			case ROLE_KEYWORD:
				if (th[j].where & WHERE_TITLE) {
					te->title++;
					te->idf += SCORE_TITLE_FACTOR * idf;
				} else {
					te->abstract++;
					te->idf += idf;
				}
				break;
			case ROLE_CRITERIA: {
				double tf = th[j].tf;
				double norm = SCORE_BM25_K1 *
					      (1 - SCORE_BM25_B +
					       SCORE_BM25_B * idx->doclen[p] /
						       idx->avgdl);
				pr->crit += idf * tf * (SCORE_BM25_K1 + 1) /
					    (tf + norm);
				break;
			}
			case ROLE_NEVER:
				if (pr->never_slot < 0)
					pr->never_slot = (int)k;
				break;
			case ROLE_REQUIRE:
				te->required++;
				break;
			case ROLE_TOPIC_EXCLUDE:
				if (te->excl_slot < 0)
					te->excl_slot = (int)k;
				break;
			default:
				if ((th[j].where & WHERE_TITLE) ||
				    th[j].tf >= SCORE_EXCLUDE_CENTRAL) {
					if (pr->excl_slot < 0)
						pr->excl_slot = (int)k;
				} else {
					if (pr->pen_slot < 0)
						pr->pen_slot = (int)k;
					pr->npen++;
				}
				break;
			}
			if (chains) {
				struct sub_hit *h = &idx->hits[idx->nhits];
				h->slot = k;
				h->where = th[j].where;
				h->next = idx->head[p];
				idx->head[p] = (uint32_t)idx->nhits++;
			}
		}
	}
	/* Followed authors in profile order, paper authors in paper order:
	 * the first that matches is the one named. */
	for (k = 0; k < s->authors.n; k++) {
		uint32_t key = idx->authors[cs->first_author + k];

		if (!key)
			continue;
		for (j = idx->akey_off[key]; j < idx->akey_off[key + 1]; j++) {
			const struct author_hit *ah = &idx->author_hits[j];
			const struct paper *p = &idx->l->papers[ah->paper];
			struct paper_row *r;

			if (idx->stamp[ah->paper] == idx->gen &&
			    idx->rows[idx->row[ah->paper]].author >= 0)
				continue;
			if (!score_author_matches(s->authors.v[k],
						  p->authors.v[ah->author]))
				continue;
			r = &idx->rows[row_of(idx, cs, ah->paper)];
			r->author = (int)k;
			r->paper_author = (int)ah->author;
		}
	}
	day_stats(idx, cs);
}

static int announce_wanted(const struct score_index *idx,
			   const struct csub *cs, const struct paper *p,
			   size_t paper)
{
	if (!cs->announce_mask)
		return idx->wanted[paper];
	return p->announce == LISTING_ANNOUNCE_UNKNOWN ||
	       (cs->announce_mask & (1u << p->announce));
}

static int in_categories(const struct score_index *idx,
			 const struct csub *cs, const struct paper *p,
			 size_t paper)
{
	const struct subscriber *s = cs->s;
	size_t i;

	if (!s->categories.n)
		return 1;
	if (!cs->cat_slow && !idx->cat_slow[paper]) {
		uint32_t primary = idx->cat_primary[paper];
		if (s->primary_only)
			return primary &&
			       ((cs->cat_mask >> (primary - 1)) & 1);
		return (idx->cat_mask[paper] & cs->cat_mask) != 0;
	}
	for (i = 0; i < p->categories.n; i++) {
		if (strv_contains(&s->categories, p->categories.v[i]))
			return 1;
		if (s->primary_only)
			break;
	}
	return 0;
}

/* The relevance shown for a combined score z (see score.h). */
static int calibrate(double z)
{
	long r = lround(SCORE_REL_AT_MEAN + SCORE_REL_PER_SD * z);

	if (r < 1)
		return 1;
	return r > SCORE_MAX_RELEVANCE ? SCORE_MAX_RELEVANCE : (int)r;
}

/*
 * The profile's part of the combined score of paper into idx->ev (see
 * score.h): the standardized keyword points and criteria BM25, plus, with
 * a latent space, the latent cosine to the criteria minus the one to the
 * exclusions, all scaled back to the spread of the first two.
 */
static void profile_z(struct score_index *idx, const struct csub *cs,
		      size_t paper)
{
	struct eval *ev = &idx->ev;
	double w2 = SCORE_W_KEYWORDS * SCORE_W_KEYWORDS +
		    SCORE_W_CRITERIA * SCORE_W_CRITERIA, extra = 0;

	ev->z_kw = zscore(&idx->st_kw, ev->points);
	ev->z_crit = zscore(&idx->st_crit, ev->crit);
	ev->z = SCORE_W_KEYWORDS * ev->z_kw + SCORE_W_CRITERIA * ev->z_crit;
	if (cs->q_want) {
		ev->sem = latent_cosine(idx->lat, paper, cs->q_want);
		ev->z_sem = zscore(&idx->st_sem, ev->sem);
		ev->z += SCORE_W_LATENT * ev->z_sem;
		extra += SCORE_W_LATENT * SCORE_W_LATENT;
	}
	if (cs->q_away) {
		ev->away = latent_cosine(idx->lat, paper, cs->q_away);
		ev->z_away = zscore(&idx->st_away, ev->away);
		ev->z -= SCORE_W_LATENT_AWAY * ev->z_away;
		extra += SCORE_W_LATENT_AWAY * SCORE_W_LATENT_AWAY;
	}
	ev->scale = sqrt(w2 / (w2 + extra));
	ev->z *= ev->scale;
}

/*
 * Evaluates cs for one paper from its row (collect) into idx->ev; with
 * `where`, also leaves each slot's where bits in idx->slot_where (for
 * comments; clear_where resets them).
 */
static void evaluate(struct score_index *idx, const struct csub *cs,
		     size_t paper, int where)
{
	const struct subscriber *s = cs->s;
	const struct paper *p = &idx->l->papers[paper];
	struct eval *ev = &idx->ev;
	int hit = idx->stamp[paper] == idx->gen;
	uint32_t h;

	ev->stage = STAGE_ANNOUNCE;
	ev->excl_slot = ev->never_slot = ev->pen_slot = -1;
	ev->npen = 0;
	ev->author = ev->paper_author = -1;
	ev->matched = 0;
	ev->points = ev->crit = ev->model = ev->sem = ev->away = 0;
	ev->z_kw = ev->z_crit = ev->z_model = ev->z = ev->score = 0;
	ev->z_sem = ev->z_away = 0;
	ev->scale = 1;
	ev->relevance = 0;
	ev->topic = idx->no_topics;
	if (hit) {
		const struct paper_row *r = &idx->rows[idx->row[paper]];

		ev->excl_slot = r->excl_slot;
		ev->never_slot = r->never_slot;
		ev->pen_slot = r->pen_slot;
		ev->npen = r->npen;
		ev->crit = r->crit;
		ev->author = r->author;
		ev->paper_author = r->paper_author;
		ev->topic = &idx->row_topics[idx->row[paper] *
					     idx->max_topics];
		for (h = idx->head[paper]; where && h != NONE;
		     h = idx->hits[h].next)
			idx->slot_where[idx->hits[h].slot] |=
				idx->hits[h].where;
	}
	if (!announce_wanted(idx, cs, p, paper))
		return;
	ev->stage = STAGE_CATEGORY;
	if (!in_categories(idx, cs, p, paper))
		return;
	ev->stage = STAGE_UPVOTES;
	if (s->min_upvotes > 0 &&
	    (!(p->sources & LISTING_SOURCE_HF) || p->upvotes < s->min_upvotes))
		return;
	ev->stage = STAGE_NEVER;
	if (ev->never_slot >= 0) {
		ev->author = ev->paper_author = -1;
		return;
	}
	ev->stage = STAGE_EXCLUDED;
	if (ev->excl_slot >= 0 && ev->author < 0)
		return;
	ev->stage = STAGE_SCORED;
	if (hit)
		ev->points = topic_points(s, ev->topic, &ev->matched);
	profile_z(idx, cs, paper);
	if (cs->model) {
		ev->model = idx->mscore[paper];
		ev->z_model = zscore(&idx->st_model, ev->model);
		double w = learn_weight(cs->model);
		double p2 = SCORE_W_KEYWORDS * SCORE_W_KEYWORDS +
			    SCORE_W_CRITERIA * SCORE_W_CRITERIA;

		/* The sum keeps the scale of the profile's alone (as if the
		 * signals were independent), so the calibration holds. */
		ev->z = (ev->z + w * ev->z_model) * sqrt(p2 / (p2 + w * w));
	}
	ev->score = ev->z - SCORE_EXCLUDE_PENALTY * ev->npen;
	if (ev->author >= 0) {
		ev->relevance = SCORE_MAX_RELEVANCE;
		ev->score += SCORE_AUTHOR_BONUS;
	} else if (ev->matched || ev->crit > 0 || cs->model) {
		ev->relevance = calibrate(ev->score);
	}
}

static void clear_where(struct score_index *idx, size_t paper)
{
	uint32_t h;

	if (idx->stamp[paper] != idx->gen)
		return;
	for (h = idx->head[paper]; h != NONE; h = idx->hits[h].next)
		idx->slot_where[idx->hits[h].slot] = 0;
}
static const char *slot_term(const struct subscriber *s,
			     const struct cslot *c)
{
	switch (c->role) {
	case ROLE_KEYWORD:
		return s->topics[c->topic].keywords.v[c->index];
	case ROLE_REQUIRE:
		return s->topics[c->topic].require.v[c->index];
	case ROLE_TOPIC_EXCLUDE:
		return s->topics[c->topic].exclude.v[c->index];
	case ROLE_NEVER:
		return s->never.v[c->index];
	case ROLE_CRITERIA:
		return NULL;
	default:
		return s->exclude.v[c->index];
	}
}

/* Appends before, s and after: the comments are built for every paper a
 * subscriber is scored against, so without printf's machinery. */
static void add_between(struct buf *b, const char *before, const char *s,
			const char *after)
{
	buf_addstr(b, before);
	buf_addstr(b, s);
	buf_addstr(b, after);
}

/* "T1: k1, k2; T2: k3" for the counted topics. */
static void topics_comment(const struct score_index *idx,
			   const struct csub *cs, struct buf *out)
{
	const struct eval *ev = &idx->ev;
	size_t k;
	int last = -1;

	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];

		if (c->role != ROLE_KEYWORD || !idx->slot_where[k] ||
		    !ev->topic[c->topic].counted)
			continue;
		if (c->topic != last)
			add_between(out, out->len ? "; " : "",
				    cs->s->topics[c->topic].name, ": ");
		else
			buf_addstr(out, ", ");
		buf_addstr(out, slot_term(cs->s, c));
		last = c->topic;
	}
}

/* Why topics with keyword hits did not count, or "" when none. */
static void topics_dropped(const struct score_index *idx,
			   const struct csub *cs, struct buf *out)
{
	const struct subscriber *s = cs->s;
	const struct eval *ev = &idx->ev;
	size_t t, k;

	for (t = 0; t < s->ntopics; t++) {
		const struct topic_eval *te = &ev->topic[t];

		if (te->counted || !(te->title + te->abstract))
			continue;
		add_between(out, out->len ? "; " : "", s->topics[t].name, ": ");
		if (te->excl_slot >= 0) {
			buf_addf(out, "excluded by \"%s\"",
				 slot_term(s, &idx->slots[cs->first_slot +
							  te->excl_slot]));
			continue;
		}
		buf_addstr(out, "requires");
		for (k = 0; k < cs->nslots; k++) {
			const struct cslot *c = &idx->slots[cs->first_slot + k];
			if (c->role == ROLE_REQUIRE && c->topic == t &&
			    !idx->slot_where[k])
				buf_addf(out, " \"%s\"", slot_term(s, c));
		}
	}
}

static void fill_entry(struct score_index *idx, const struct csub *cs,
		       size_t paper, struct score_entry *e)
{
	const struct subscriber *s = cs->s;
	const struct paper *p = &idx->l->papers[paper];
	const struct eval *ev = &idx->ev;
	struct buf b = BUF_INIT, topics = BUF_INIT;

	e->paper = paper;
	e->considered = ev->stage > STAGE_CATEGORY;
	e->relevance = ev->relevance;
	e->score = ev->score;
	switch (ev->stage) {
	case STAGE_ANNOUNCE:
		add_between(&b, "announce type ",
			    listing_announce_name(p->announce),
			    cs->announce_mask ? " is not sent to you"
					      : " is not sent by this list");
		e->dropped = buf_detach(&b, NULL);
		return;
	case STAGE_CATEGORY:
		add_between(&b,
			    s->primary_only ? "not in your primary categories ("
					    : "not in your categories (",
			    p->categories.n ? p->categories.v[0] : "none", ")");
		e->dropped = buf_detach(&b, NULL);
		return;
	case STAGE_UPVOTES:
		buf_addf(&b, "fewer than %ld upvotes on Hugging Face",
			 s->min_upvotes);
		e->dropped = buf_detach(&b, NULL);
		return;
	case STAGE_NEVER:
		add_between(&b, "never: mentions \"",
			    slot_term(s, &idx->slots[cs->first_slot +
						     ev->never_slot]), "\"");
		e->dropped = buf_detach(&b, NULL);
		return;
	case STAGE_EXCLUDED:
		add_between(&b, "excluded: mentions \"",
			    slot_term(s, &idx->slots[cs->first_slot +
						     ev->excl_slot]), "\"");
		e->dropped = buf_detach(&b, NULL);
		return;
	case STAGE_SCORED:
		break;
	}
	topics_comment(idx, cs, &topics);
	if (ev->author >= 0) {
		e->author_match = 1;
		add_between(&b, "Author match: ",
			    p->authors.v[ev->paper_author], "");
		if (topics.len)
			add_between(&b, ". Also matches ", buf_str(&topics),
				    "");
	} else if (ev->relevance > 0) {
		if (ev->matched)
			add_between(&b, "Matches ", buf_str(&topics), "");
		if (ev->crit > 0 && ev->z_crit > 0)
			buf_addf(&b, "%sclose to your criteria",
				 b.len ? "; " : "Text ");
		if (cs->model && ev->z_model > 0)
			buf_addf(&b, "%slike the papers you voted up",
				 b.len ? "; " : "");
		if (!b.len)
			buf_addstr(&b, "Weak match");
		if (ev->npen)
			buf_addf(&b, " (mentions \"%s\": penalized)",
				 slot_term(s, &idx->slots[cs->first_slot +
							  ev->pen_slot]));
	} else {
		struct buf why = BUF_INIT;

		topics_dropped(idx, cs, &why);
		if (why.len)
			buf_addf(&why, " (no topic counted)");
		e->dropped = why.len ? buf_detach(&why, NULL)
				     : xstrdup("no topic or author matched");
		buf_release(&why);
	}
	if (b.len)
		e->comment = buf_detach(&b, NULL);
	buf_release(&b);
	buf_release(&topics);
}

/* A one-subscriber index for a subscriber the index was not built with. */
static struct score_index *private_index(const struct score_index *idx,
					 const struct subscriber *s,
					 struct subs_list *one,
					 const struct csub **cs)
{
	struct score_index *p;

	one->v = (struct subscriber *)s;
	one->n = one->alloc = 1;
	p = score_index_build(idx->l, NULL, one);
	memcpy(p->wanted, idx->wanted, idx->l->n);
	*cs = &p->csubs[0];
	return p;
}

void score_subscriber(const struct score_index *cidx,
		      const struct subscriber *s, struct score_result *out)
{
	struct score_index *idx = (struct score_index *)cidx, *own = NULL;
	const struct csub *cs = find_csub(cidx, s);
	struct subs_list one;
	size_t i;

	if (!cs)
		idx = own = private_index(cidx, s, &one, &cs);
	collect(idx, cs, 1);
	out->n = idx->l->n;
	out->entries = xcalloc(out->n ? out->n : 1, sizeof(*out->entries));
	for (i = 0; i < idx->l->n; i++) {
		evaluate(idx, cs, i, 1);
		fill_entry(idx, cs, i, &out->entries[i]);
		clear_where(idx, i);
	}
	score_index_free(own);
}

const struct score_rel *score_relevance(const struct score_index *cidx,
					const struct subscriber *s,
					size_t *n)
{
	struct score_index *idx = (struct score_index *)cidx;
	const struct csub *cs = find_csub(cidx, s);
	size_t i;

	*n = 0;
	if (!cs) {
		/* Rare (tests): score fully, keep the relevances. */
		struct score_result r;
		score_subscriber(cidx, s, &r);
		for (i = 0; i < r.n; i++) {
			if (r.entries[i].relevance <= 0)
				continue;
			idx->rels[*n].paper = (unsigned)i;
			idx->rels[(*n)++].relevance = r.entries[i].relevance;
		}
		score_result_release(&r);
		return idx->rels;
	}
	collect(idx, cs, 0);
	/* A model can raise any paper; without one, only hits count. */
	for (i = 0; i < (cs->model ? idx->l->n : idx->ntouched); i++) {
		uint32_t paper = cs->model ? (uint32_t)i : idx->touched[i];

		evaluate(idx, cs, paper, 0);
		if (idx->ev.relevance > 0) {
			idx->rels[*n].paper = paper;
			idx->rels[(*n)++].relevance = idx->ev.relevance;
		}
	}
	return idx->rels;
}

int score_index_set_model(struct score_index *idx,
			  const struct subscriber *s,
			  const struct learn_model *m)
{
	const struct csub *cs = find_csub(idx, s);

	if (!cs)
		return -1;
	((struct csub *)cs)->model = m;
	if (m)
		day_features(idx->sd);
	return 0;
}

void score_result_release(struct score_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->entries[i].comment);
		free(r->entries[i].dropped);
	}
	free(r->entries);
	r->entries = NULL;
	r->n = 0;
}
/* ---- explaining one paper ---- */

/* Words of context shown on each side of a hit. */
#define SCORE_SNIPPET_WORDS 5

/* Position of phrase in text, or -1. */
static long find_phrase(const struct strv *text, const struct strv *phrase)
{
	size_t i, j;

	if (!phrase->n || phrase->n > SCORE_MAX_PHRASE_WORDS ||
	    phrase->n > text->n)
		return -1;
	for (i = 0; i + phrase->n <= text->n; i++) {
		for (j = 0; j < phrase->n; j++)
			if (strcmp(text->v[i + j], phrase->v[j]))
				break;
		if (j == phrase->n)
			return (long)i;
	}
	return -1;
}

/* "title: ... a [mixture of expert] layer ..." for the first hit of
 * term, or "not found". */
static void snippet(struct buf *out, const char *term,
		    const struct strv *title, const struct strv *abstract)
{
	struct strv phrase = STRV_INIT;
	const struct strv *in = title;
	long at;
	size_t i, from, to;

	split_words(term, &phrase);
	at = find_phrase(title, &phrase);
	if (at < 0) {
		in = abstract;
		at = find_phrase(abstract, &phrase);
	}
	if (at < 0) {
		buf_addstr(out, "not found");
		goto out;
	}
	from = (size_t)at > SCORE_SNIPPET_WORDS ? (size_t)at -
							  SCORE_SNIPPET_WORDS
						: 0;
	to = (size_t)at + phrase.n + SCORE_SNIPPET_WORDS;
	if (to > in->n)
		to = in->n;
	buf_addf(out, "%s: \"%s", in == title ? "title" : "abstract",
		 from ? "... " : "");
	for (i = from; i < to; i++) {
		if (i == (size_t)at)
			buf_addch(out, '[');
		buf_addstr(out, in->v[i]);
		if (i + 1 == (size_t)at + phrase.n)
			buf_addch(out, ']');
		if (i + 1 < to)
			buf_addch(out, ' ');
	}
	buf_addf(out, "%s\"", to < in->n ? " ..." : "");
out:
	strv_release(&phrase);
}

static void explain_topic(const struct score_index *idx,
			  const struct csub *cs, size_t t,
			  const struct strv *title,
			  const struct strv *abstract, struct buf *out)
{
	const struct subscriber *s = cs->s;
	const struct topic_eval *te = &idx->ev.topic[t];
	size_t k, missed = 0;

	buf_addf(out, "Topic \"%s\" (weight %g):\n", s->topics[t].name,
		 s->topics[t].weight);
	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];
		uint8_t w = idx->slot_where[k];

		if (c->topic != t || c->role == ROLE_EXCLUDE ||
		    c->role == ROLE_NEVER || c->role == ROLE_CRITERIA)
			continue;
		if (c->role == ROLE_KEYWORD && !w) {
			missed++;
			continue;
		}
		buf_addf(out, "  %s \"%s\": ",
			 c->role == ROLE_KEYWORD   ? "keyword"
			 : c->role == ROLE_REQUIRE ? "require"
						   : "exclude",
			 slot_term(s, c));
		if (w)
			snippet(out, slot_term(s, c), title, abstract);
		else
			buf_addstr(out, "not found");
		if (c->role == ROLE_KEYWORD)
			buf_addf(out, " (%s, idf %.2f)",
				 (w & WHERE_TITLE) ? "title hit, 3 x"
						   : "abstract hit, 1 x",
				 idx->slot_idf[k]);
		else if (c->role == ROLE_REQUIRE && !w)
			buf_addstr(out, " -> requirement not met");
		else if (c->role == ROLE_TOPIC_EXCLUDE && w)
			buf_addstr(out, " -> drops this topic");
		buf_addch(out, '\n');
	}
	if (!(te->title + te->abstract))
		buf_addf(out, "  = none of its %zu keyword%s found: 0 "
			      "points\n", missed, missed == 1 ? "" : "s");
	else if (missed)
		buf_addf(out, "  %zu other keyword%s not found\n", missed,
			 missed == 1 ? "" : "s");
	if (te->title + te->abstract)
		buf_addf(out, "  = %g x %.2f (idf of %d title x 3 + %d "
			      "abstract) = %.2f points, %s\n",
			 s->topics[t].weight, te->idf, te->title,
			 te->abstract, te->points,
			 te->counted ? "counted" : "NOT counted");
}

/* "Criteria (BM25 ...): word (tf 2, idf 3.1) 1.91, ... = 7.32". */
static void explain_criteria(const struct score_index *idx,
			     const struct csub *cs, struct buf *out)
{
	const struct eval *ev = &idx->ev;
	size_t k, n = 0, found = 0, shown = 0;

	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];

		if (c->role != ROLE_CRITERIA)
			continue;
		n++;
		found += idx->slot_where[k] != 0;
	}
	if (!n)
		return;
	buf_addf(out, "Criteria (BM25, k1 %g, b %g): %zu of its %zu words "
		      "and word pairs found",
		 SCORE_BM25_K1, SCORE_BM25_B, found, n);
	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];

		if (c->role != ROLE_CRITERIA || !idx->slot_where[k])
			continue;
		buf_addf(out, "%s%s (idf %.2f)", shown++ ? ", " : ": ",
			 idx->crit_words.v[c->index], idx->slot_idf[k]);
	}
	buf_addf(out, " = %.2f\n", ev->crit);
}

/* The latent terms of the formula and their scale, " + 1 x latent
 * criteria (c - mean) / sd - ... ) x 0.707 (...)", when cs has them. */
static void explain_latent(const struct score_index *idx,
			   const struct csub *cs, struct buf *out)
{
	const struct eval *ev = &idx->ev;

	if (!cs->q_want)
		return;
	buf_addf(out, " + %g x latent criteria (%.3f - %.3f) / %.3f",
		 SCORE_W_LATENT, ev->sem, idx->st_sem.mean, idx->st_sem.sd);
	if (cs->q_away)
		buf_addf(out, " - %g x latent exclusions (%.3f - %.3f) / %.3f",
			 SCORE_W_LATENT_AWAY, ev->away, idx->st_away.mean,
			 idx->st_away.sd);
	buf_addf(out, ") x %.3f (%d signals at the spread of 2)", ev->scale,
		 cs->q_away ? 4 : 3);
}

static void explain(struct score_index *idx, const struct csub *cs,
		    size_t paper, struct buf *out)
{
	const struct subscriber *s = cs->s;
	const struct paper *p = &idx->l->papers[paper];
	const struct eval *ev = &idx->ev;
	struct strv title = STRV_INIT, abstract = STRV_INIT;
	char *cats = strv_join(&p->categories, ", ");
	size_t i, k;

	evaluate(idx, cs, paper, 1);
	buf_addf(out, "%s: %s\n", p->id, p->title);
	buf_addf(out, "Announce type: %s; %s: %s\n",
		 listing_announce_name(p->announce),
		 cs->announce_mask ? "your announce_types"
				   : "the list's announce_types",
		 ev->stage > STAGE_ANNOUNCE ? "considered" : "NOT considered");
	if (ev->stage == STAGE_ANNOUNCE)
		goto verdict;
	buf_addf(out, "Categories: %s (primary %s); ", cats[0] ? cats : "none",
		 p->categories.n ? p->categories.v[0] : "none");
	if (s->categories.n) {
		char *mine = strv_join(&s->categories, ", ");
		buf_addf(out, "yours%s: %s: %s\n",
			 s->primary_only ? " (primary only)" : "", mine,
			 ev->stage > STAGE_CATEGORY ? "in" : "NOT in");
		free(mine);
	} else {
		buf_addstr(out, "you take all categories\n");
	}
	if (ev->stage == STAGE_CATEGORY)
		goto verdict;
	if (s->min_upvotes > 0)
		buf_addf(out, "Upvotes: %ld, min_upvotes %ld: %s\n",
			 (p->sources & LISTING_SOURCE_HF) ? p->upvotes : 0L,
			 s->min_upvotes,
			 ev->stage > STAGE_UPVOTES ? "enough" : "too few");
	if (ev->stage == STAGE_UPVOTES)
		goto verdict;

	split_words(p->title, &title);
	split_words(p->abstract ? p->abstract : "", &abstract);
	{
		char *nt = strv_join(&title, " ");
		buf_addf(out, "Title, normalized: %s\n", nt);
		free(nt);
	}
	for (i = 0; i < s->ntopics; i++)
		explain_topic(idx, cs, i, &title, &abstract, out);
	explain_criteria(idx, cs, out);
	buf_addf(out, "Never (%zu):", s->never.n);
	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];
		if (c->role != ROLE_NEVER || !idx->slot_where[k])
			continue;
		buf_addf(out, "\n  \"%s\": ", slot_term(s, c));
		snippet(out, slot_term(s, c), &title, &abstract);
		buf_addstr(out, (int)k == ev->never_slot
					? " -> drops the paper"
					: "");
	}
	if (ev->never_slot < 0)
		buf_addstr(out, " none found");
	buf_addch(out, '\n');
	if (ev->stage == STAGE_NEVER)
		goto verdict;
	buf_addf(out, "Exclusions (%zu):", s->exclude.n);
	for (k = 0; k < cs->nslots; k++) {
		const struct cslot *c = &idx->slots[cs->first_slot + k];
		uint8_t w = idx->slot_where[k];

		if (c->role != ROLE_EXCLUDE || !w)
			continue;
		buf_addf(out, "\n  \"%s\": ", slot_term(s, c));
		snippet(out, slot_term(s, c), &title, &abstract);
		if ((int)k == ev->excl_slot)
			buf_addstr(out, ev->author >= 0
						? " -> central, but an author "
						  "you follow wins"
						: " -> central (title or "
						  "repeated): drops the paper");
		else if (w && !(w & WHERE_TITLE) && ev->excl_slot < 0 &&
			 ev->pen_slot >= 0)
			buf_addf(out, " -> in passing: -%g",
				 SCORE_EXCLUDE_PENALTY);
	}
	if (ev->excl_slot < 0 && ev->pen_slot < 0)
		buf_addstr(out, " none found");
	buf_addch(out, '\n');
	if (ev->stage == STAGE_EXCLUDED)
		goto verdict;
	if (!s->authors.n)
		buf_addstr(out, "Authors: you follow nobody\n");
	else if (ev->author >= 0)
		buf_addf(out, "Authors: Author match: %s (you follow \"%s\"): "
			      "relevance %d\n",
			 p->authors.v[ev->paper_author],
			 s->authors.v[ev->author], SCORE_MAX_RELEVANCE);
	else
		buf_addf(out, "Authors: none of the %zu you follow\n",
			 s->authors.n);
	if (cs->model && idx->sd->lday) {
		char *sum = learn_summary(cs->model);

		buf_addf(out, "Model (%s): decision %.3f, ", sum, ev->model);
		buf_addstr(out, "here: ");
		learn_explain_paper(idx->sd->lday, cs->model, paper, out);
		buf_addch(out, '\n');
		free(sum);
	}
	if (cs->q_want)
		buf_addf(out, "Latent space (the day's %zu papers, %d "
			      "directions): cosine %.3f to your criteria%s",
			 idx->l->n, LATENT_DIMS, ev->sem,
			 cs->q_away ? "" : "\n");
	if (cs->q_away)
		buf_addf(out, ", %.3f to your exclusions\n", ev->away);
	if (ev->author < 0) {
		buf_addf(out, "Day (%zu papers): keywords mean %.2f sd %.2f; "
			      "criteria mean %.2f sd %.2f",
			 idx->l->n, idx->st_kw.mean, idx->st_kw.sd,
			 idx->st_crit.mean, idx->st_crit.sd);
		if (cs->q_want)
			buf_addf(out, "; latent criteria mean %.3f sd %.3f",
				 idx->st_sem.mean, idx->st_sem.sd);
		if (cs->q_away)
			buf_addf(out, "; latent exclusions mean %.3f sd %.3f",
				 idx->st_away.mean, idx->st_away.sd);
		if (cs->model)
			buf_addf(out, "; model mean %.3f sd %.3f",
				 idx->st_model.mean, idx->st_model.sd);
		buf_addch(out, '\n');
		buf_addf(out, "Formula: z = %s%s%g x keywords (%.2f - %.2f) / "
			      "%.2f + %g x criteria (%.2f - %.2f) / %.2f",
			 cs->model ? "(" : "", cs->q_want ? "(" : "",
			 SCORE_W_KEYWORDS, ev->points, idx->st_kw.mean,
			 idx->st_kw.sd, SCORE_W_CRITERIA, ev->crit,
			 idx->st_crit.mean, idx->st_crit.sd);
		explain_latent(idx, cs, out);
		if (cs->model) {
			double w = learn_weight(cs->model);
			double p2 = SCORE_W_KEYWORDS * SCORE_W_KEYWORDS +
				    SCORE_W_CRITERIA * SCORE_W_CRITERIA;

			buf_addf(out, " + %.2f x model (%.3f - %.3f) / %.3f) "
				      "x %.3f (the profile's scale)",
				 w, ev->model, idx->st_model.mean,
				 idx->st_model.sd, sqrt(p2 / (p2 + w * w)));
		}
		if (ev->npen)
			buf_addf(out, " - %g x %d exclusion%s in passing",
				 SCORE_EXCLUDE_PENALTY, ev->npen,
				 ev->npen == 1 ? "" : "s");
		buf_addf(out, " = %.2f\n", ev->score);
		if (ev->relevance > 0) {
			double r = SCORE_REL_AT_MEAN +
				   SCORE_REL_PER_SD * ev->score;
			buf_addf(out, "Calibration: round(%g + %g x %.2f = "
				      "%.2f) = %ld, within 1-%d: %d\n",
				 SCORE_REL_AT_MEAN, SCORE_REL_PER_SD,
				 ev->score, r, lround(r),
				 SCORE_MAX_RELEVANCE, ev->relevance);
		} else {
			buf_addstr(out, "Calibration: no topic, criteria "
					"word or model: relevance 0\n");
		}
	}
verdict:
	{
		struct score_entry e;

		memset(&e, 0, sizeof(e));
		fill_entry(idx, cs, paper, &e);
		buf_addf(out, "Relevance: %d", e.relevance);
		if (e.comment)
			buf_addf(out, " (%s)", e.comment);
		if (e.dropped)
			buf_addf(out, "; left out: %s", e.dropped);
		buf_addch(out, '\n');
		free(e.comment);
		free(e.dropped);
	}
	clear_where(idx, paper);
	strv_release(&title);
	strv_release(&abstract);
	free(cats);
}

void score_explain(const struct score_index *cidx, const struct subscriber *s,
		   size_t paper, struct buf *out)
{
	struct score_index *idx = (struct score_index *)cidx, *own = NULL;
	const struct csub *cs = find_csub(cidx, s);
	struct subs_list one;

	if (!cs)
		idx = own = private_index(cidx, s, &one, &cs);
	collect(idx, cs, 1);
	explain(idx, cs, paper, out);
	score_index_free(own);
}
