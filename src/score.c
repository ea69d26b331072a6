/*
 * score: lexical scoring with explanations (see score.h for the formula).
 *
 * Normalized text is kept as an array of words; a phrase matches where its
 * words appear consecutively. This per-subscriber scan is simple and fast
 * enough for a lab's worth of profiles; matching every subscriber in one
 * pass is the job of a later compiled matcher behind the same interface.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "score.h"
#include "strv.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* ASCII folding of U+00C0..U+00FF. */
static const char *const latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i",
	"i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "",  "o", "u",
	"u", "u", "u", "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae",
	"c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o",
	"o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y",
};
/* ASCII folding of U+0100..U+017F (Latin Extended-A), one letter each. */
static const char latin_ext_a[] =
	"aaaaaaccccccccdd"
	"ddeeeeeeeeeegggg"
	"gggghhhhiiiiiiii"
	"iiiijjkkklllllll"
	"lllnnnnnnnnnoooo"
	"oooorrrrrrssssss"
	"ssttttttuuuuuuuu"
	"uuuuwwyyyzzzzzzs";

_Static_assert(sizeof(latin_ext_a) == 0x80 + 1, "one letter per code point");

/* Appends the folded form of cp; 0 if cp is not a letter or digit. */
static int fold_char(struct buf *out, int32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
			buf_addch(out, (char)cp);
			return 1;
		}
		if (cp >= 'A' && cp <= 'Z') {
			buf_addch(out, (char)(cp - 'A' + 'a'));
			return 1;
		}
		return 0;
	}
	if (cp >= 0xC0 && cp <= 0xFF) {
		const char *f = latin1[cp - 0xC0];
		if (!*f)
			return 0;
		buf_addstr(out, f);
		return 1;
	}
	if (cp >= 0x100 && cp <= 0x17F) {
		buf_addch(out, latin_ext_a[cp - 0x100]);
		return 1;
	}
	if (cp == 0x2010 || cp == 0x2011 || cp == 0x2013 || cp == 0x2014 ||
	    cp == 0x2019 || cp == 0x201C || cp == 0x201D || cp == 0xA0)
		return 0; /* dashes, quotes, no-break space: separators */
	/* Other scripts (Greek, CJK...) are kept as they are. */
	util_utf8_put(out, cp);
	return 1;
}

/* Reduces simple English plurals so "experts" matches "expert". */
static void stem(struct buf *w)
{
	size_t n = w->len;
	char *s = w->data;

	if (n <= 3 || s[n - 1] != 's')
		return;
	if (n > 4 && !strcmp(s + n - 3, "ies")) {
		buf_truncate(w, n - 3);
		buf_addch(w, 'y');
	} else if (n > 4 && (!strcmp(s + n - 4, "sses") ||
			     !strcmp(s + n - 4, "ches") ||
			     !strcmp(s + n - 4, "shes") ||
			     !strcmp(s + n - 3, "xes"))) {
		buf_truncate(w, n - 2);
	} else if (s[n - 2] != 's' && s[n - 2] != 'u' && s[n - 2] != 'i') {
		buf_truncate(w, n - 1);
	}
}

static void flush_word(struct buf *word, struct strv *words)
{
	if (!word->len)
		return;
	stem(word);
	strv_push(words, buf_str(word));
	buf_reset(word);
}

/* Splits text into normalized words, skipping $math$. */
static void split_words(const char *text, struct strv *words)
{
	const char *p = text, *end = text + strlen(text);
	struct buf word = BUF_INIT;
	int in_math = 0;

	while (p < end) {
		int32_t cp;

		if (*p == '\\' && p + 1 < end && p[1] == '$') {
			p += 2;
			continue;
		}
		if (*p == '$') {
			in_math = !in_math;
			flush_word(&word, words);
			p++;
			continue;
		}
		cp = util_utf8_next(&p, end);
		if (in_math)
			continue;
		if (cp < 0 || !fold_char(&word, cp))
			flush_word(&word, words);
	}
	flush_word(&word, words);
	buf_release(&word);
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

struct norm_paper {
	int wanted; /* its announce type is one the list sends */
	struct strv title;
	struct strv abstract;
	struct strv all; /* title and abstract, for exclusions */
};

struct score_index {
	const struct listing *l;
	struct norm_paper *papers;
};

struct score_index *score_index_build(const struct listing *l,
				      const struct strv *announce_types)
{
	struct score_index *idx = xcalloc(1, sizeof(*idx));
	size_t i, j;

	idx->l = l;
	idx->papers = xcalloc(l->n ? l->n : 1, sizeof(*idx->papers));
	for (i = 0; i < l->n; i++) {
		struct norm_paper *np = &idx->papers[i];
		const char *type = listing_announce_name(l->papers[i].announce);

		np->wanted = !announce_types || !announce_types->n ||
			     l->papers[i].announce == LISTING_ANNOUNCE_UNKNOWN ||
			     strv_contains(announce_types, type);
		split_words(l->papers[i].title, &np->title);
		split_words(l->papers[i].abstract ? l->papers[i].abstract : "",
			    &np->abstract);
		for (j = 0; j < np->title.n; j++)
			strv_push(&np->all, np->title.v[j]);
		/* A break between title and abstract: no phrase spans it. */
		strv_push(&np->all, "");
		for (j = 0; j < np->abstract.n; j++)
			strv_push(&np->all, np->abstract.v[j]);
	}
	return idx;
}

void score_index_free(struct score_index *idx)
{
	size_t i;

	if (!idx)
		return;
	for (i = 0; i < idx->l->n; i++) {
		strv_release(&idx->papers[i].title);
		strv_release(&idx->papers[i].abstract);
		strv_release(&idx->papers[i].all);
	}
	free(idx->papers);
	free(idx);
}

/* 1 if the word sequence phrase occurs in text. */
static int contains_phrase(const struct strv *text, const struct strv *phrase)
{
	size_t i, j;

	if (!phrase->n || phrase->n > SCORE_MAX_PHRASE_WORDS ||
	    phrase->n > text->n)
		return 0;
	for (i = 0; i + phrase->n <= text->n; i++) {
		for (j = 0; j < phrase->n; j++)
			if (strcmp(text->v[i + j], phrase->v[j]))
				break;
		if (j == phrase->n)
			return 1;
	}
	return 0;
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
		if (cp < 0 || !fold_char(&w, cp)) {
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

/* ---- scoring ---- */

static int in_categories(const struct paper *p, const struct subscriber *s,
			 struct buf *why)
{
	size_t i;

	if (!s->categories.n)
		return 1;
	for (i = 0; i < p->categories.n; i++)
		if (strv_contains(&s->categories, p->categories.v[i]))
			return 1;
	buf_addf(why, "not in your categories (%s)",
		 p->categories.n ? p->categories.v[0] : "none");
	return 0;
}

static const char *find_exclusion(const struct norm_paper *np,
				  const struct subscriber *s)
{
	size_t i;

	for (i = 0; i < s->exclude.n; i++) {
		struct strv phrase = STRV_INIT;
		int hit;

		split_words(s->exclude.v[i], &phrase);
		hit = contains_phrase(&np->all, &phrase);
		strv_release(&phrase);
		if (hit)
			return s->exclude.v[i];
	}
	return NULL;
}

static const char *find_author(const struct paper *p,
			       const struct subscriber *s)
{
	size_t i, j;

	for (i = 0; i < s->authors.n; i++)
		for (j = 0; j < p->authors.n; j++)
			if (score_author_matches(s->authors.v[i],
						 p->authors.v[j]))
				return p->authors.v[j];
	return NULL;
}

/* Adds the topic's matches to *points and its part of the comment. */
static int score_topic(const struct norm_paper *np,
		       const struct subs_topic *t, double *points,
		       struct buf *comment)
{
	size_t i;
	int title_hits = 0, abstract_hits = 0;
	struct buf terms = BUF_INIT;

	for (i = 0; i < t->keywords.n; i++) {
		struct strv phrase = STRV_INIT;

		split_words(t->keywords.v[i], &phrase);
		if (contains_phrase(&np->title, &phrase))
			title_hits++;
		else if (contains_phrase(&np->abstract, &phrase))
			abstract_hits++;
		else
			goto next;
		buf_addf(&terms, "%s%s", terms.len ? ", " : "",
			 t->keywords.v[i]);
next:
		strv_release(&phrase);
	}
	if (title_hits + abstract_hits) {
		*points += t->weight * (3.0 * title_hits + abstract_hits);
		buf_addf(comment, "%s%s: %s", comment->len ? "; " : "",
			 t->name, buf_str(&terms));
	}
	buf_release(&terms);
	return title_hits + abstract_hits > 0;
}

static void score_one(const struct paper *p, const struct norm_paper *np,
		      const struct subscriber *s, struct score_entry *e)
{
	struct buf why = BUF_INIT, topics = BUF_INIT, comment = BUF_INIT;
	const char *excl, *author;
	double points = 0;
	int matched_topics = 0;
	size_t i;

	if (!np->wanted) {
		buf_addf(&why, "announce type %s is not sent by this list",
			 listing_announce_name(p->announce));
		e->dropped = buf_detach(&why, NULL);
		goto out;
	}
	if (!in_categories(p, s, &why)) {
		e->dropped = buf_detach(&why, NULL);
		goto out;
	}
	e->considered = 1;
	if (s->min_upvotes > 0 &&
	    (!(p->sources & LISTING_SOURCE_HF) || p->upvotes < s->min_upvotes)) {
		buf_addf(&why, "fewer than %ld upvotes on Hugging Face",
			 s->min_upvotes);
		e->dropped = buf_detach(&why, NULL);
		goto out;
	}
	excl = find_exclusion(np, s);
	if (excl) {
		buf_addf(&why, "excluded: mentions \"%s\"", excl);
		e->dropped = buf_detach(&why, NULL);
		goto out;
	}
	for (i = 0; i < s->ntopics; i++)
		matched_topics += score_topic(np, &s->topics[i], &points,
					      &topics);
	author = find_author(p, s);
	if (author) {
		e->author_match = 1;
		e->relevance = SCORE_MAX_RELEVANCE;
		buf_addf(&comment, "Author match: %s", author);
		if (topics.len)
			buf_addf(&comment, ". Also matches %s",
				 buf_str(&topics));
	} else if (matched_topics) {
		if (matched_topics > 1)
			points += 2.0 * (matched_topics - 1);
		e->relevance = 4 + (int)lround(points);
		if (e->relevance > SCORE_MAX_RELEVANCE)
			e->relevance = SCORE_MAX_RELEVANCE;
		buf_addf(&comment, "Matches %s", buf_str(&topics));
	} else {
		e->dropped = xstrdup("no topic or author matched");
	}
	if (comment.len)
		e->comment = buf_detach(&comment, NULL);
out:
	buf_release(&why);
	buf_release(&topics);
	buf_release(&comment);
}

void score_subscriber(const struct score_index *idx,
		      const struct subscriber *s, struct score_result *out)
{
	size_t i;

	out->n = idx->l->n;
	out->entries = xcalloc(out->n ? out->n : 1, sizeof(*out->entries));
	for (i = 0; i < idx->l->n; i++) {
		out->entries[i].paper = i;
		score_one(&idx->l->papers[i], &idx->papers[i], s,
			  &out->entries[i]);
	}
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
