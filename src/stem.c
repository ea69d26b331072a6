/*
 * stem: folding, splitting and Snowball stemming of words (see stem.h).
 *
 * The stem cache is an open-addressing table of word -> stem per thread;
 * when it holds STEM_CACHE_MAX words it is emptied and refilled, so its
 * memory is bounded whatever the text.
 */
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#include "stem.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Words cached per thread before the cache starts over: a day's listing
 * has some 20,000 distinct words. */
#define STEM_CACHE_MAX 65536
/* Slots of the cache: a power of two, at most half full. */
#define STEM_CACHE_SLOTS (2 * STEM_CACHE_MAX)
/* Words longer than this are not stemmed (no English word is). */
#define STEM_MAX_WORD 64

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
int stem_fold_char(struct buf *out, int32_t cp)
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

/* Stems of function words (the Snowball forms), sorted for bsearch. */
static const char *const stopwords[] = {
	"a", "about", "abov", "across", "after", "again", "al", "all", "also",
	"am", "among", "an", "and", "ani", "are", "as", "at", "be", "been",
	"befor", "between", "both", "but", "by", "can", "could", "did", "do",
	"doe", "down", "dure", "e", "each", "et", "few", "for", "from",
	"further", "g", "had", "has", "have", "he", "her", "here", "him",
	"his", "how", "howev", "i", "if", "in", "into", "is", "it", "itself",
	"just", "mani", "may", "might", "more", "most", "much", "must", "my",
	"no", "nor", "not", "now", "of", "off", "often", "on", "onc", "onli",
	"or", "other", "our", "out", "over", "own", "same", "she", "should",
	"so", "some", "such", "than", "that", "the", "their", "them", "then",
	"there", "therefor", "these", "they", "this", "those", "through",
	"thus", "to", "too", "under", "until", "up", "veri", "via", "was",
	"we", "were", "what", "when", "where", "whi", "which", "while", "who",
	"whom", "will", "with", "within", "without", "would", "you", "your",
};

static int cmp_stop(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int stem_is_stopword(const char *w, size_t len)
{
	char tmp[16];

	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, w, len);
	tmp[len] = '\0';
	return bsearch(tmp, stopwords, sizeof(stopwords) / sizeof(*stopwords),
		       sizeof(*stopwords), cmp_stop) != NULL;
}

struct stem_cache {
	struct sb_stemmer *sb;
	char **word;  /* per slot: "word\0stem\0", NULL when empty */
	size_t n;
};

static __thread struct stem_cache *cache;


static void cache_clear(struct stem_cache *c)
{
	size_t i;

	for (i = 0; i < STEM_CACHE_SLOTS; i++) {
		free(c->word[i]);
		c->word[i] = NULL;
	}
	c->n = 0;
}

void stem_cleanup(void)
{
	if (!cache)
		return;
	cache_clear(cache);
	free(cache->word);
	if (cache->sb)
		sb_stemmer_delete(cache->sb);
	free(cache);
	cache = NULL;
}

void stem_word(struct buf *w)
{
	struct stem_cache *c = cache;
	size_t mask = STEM_CACHE_SLOTS - 1, i, len = w->len;
	const sb_symbol *out;
	char *e;

	if (!len || len > STEM_MAX_WORD)
		return;
	if (!c) {
		c = cache = xcalloc(1, sizeof(*c));
		c->word = xcalloc(STEM_CACHE_SLOTS, sizeof(*c->word));
		c->sb = sb_stemmer_new("english", NULL);
	}
	if (!c->sb)
		return; /* out of memory in libstemmer: words stay whole */
	i = (size_t)util_fnv1a(UTIL_FNV_BASIS, w->data, len) & mask;
	while (c->word[i]) {
		e = c->word[i];
		if (strlen(e) == len && !memcmp(e, w->data, len)) {
			const char *st = e + len + 1;
			buf_reset(w);
			buf_addstr(w, st);
			return;
		}
		i = (i + 1) & mask;
	}
	out = sb_stemmer_stem(c->sb, (const sb_symbol *)w->data, (int)len);
	if (!out)
		return;
	if (c->n >= STEM_CACHE_MAX) {
		cache_clear(c);
		i = (size_t)util_fnv1a(UTIL_FNV_BASIS, w->data, len) & mask;
	}
	{
		size_t sl = (size_t)sb_stemmer_length(c->sb);

		e = xmalloc(len + sl + 2);
		memcpy(e, w->data, len);
		e[len] = '\0';
		memcpy(e + len + 1, out, sl);
		e[len + 1 + sl] = '\0';
		c->word[i] = e;
		c->n++;
		buf_reset(w);
		buf_add(w, out, sl);
	}
}

struct each_ctx {
	stem_word_fn fn;
	stem_pair_fn pair;
	void *ctx;
	struct buf raw;
};

static void flush_word(struct buf *word, struct each_ctx *ec)
{
	if (!word->len)
		return;
	if (ec->pair) {
		buf_reset(&ec->raw);
		buf_add(&ec->raw, word->data, word->len);
	}
	stem_word(word);
	if (ec->pair)
		ec->pair(ec->ctx, word->data, word->len, ec->raw.data,
			 ec->raw.len);
	else
		ec->fn(ec->ctx, word->data, word->len);
	buf_reset(word);
}

static void each(const char *text, struct each_ctx *ec)
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
			flush_word(&word, ec);
			p++;
			continue;
		}
		cp = util_utf8_next(&p, end);
		if (in_math)
			continue;
		if (cp < 0 || !stem_fold_char(&word, cp))
			flush_word(&word, ec);
	}
	flush_word(&word, ec);
	buf_release(&word);
	buf_release(&ec->raw);
}

void stem_each_word(const char *text, stem_word_fn fn, void *ctx)
{
	struct each_ctx ec = { fn, NULL, ctx, BUF_INIT };

	each(text, &ec);
}

void stem_each_pair(const char *text, stem_pair_fn fn, void *ctx)
{
	struct each_ctx ec = { NULL, fn, ctx, BUF_INIT };

	each(text, &ec);
}
