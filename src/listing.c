/*
 * listing: the day's papers with duplicate detection (see listing.h).
 *
 * Duplicate detection uses a small open-addressing hash of IDs, so that a
 * hostile feed with tens of thousands of items costs linear time, not
 * quadratic.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

void listing_init(struct listing *l)
{
	memset(l, 0, sizeof(*l));
}

void listing_paper_release(struct paper *p)
{
	free(p->id);
	free(p->title);
	strv_release(&p->authors);
	free(p->abstract);
	strv_release(&p->categories);
	free(p->doi);
	free(p->journal_ref);
	free(p->comments);
	free(p->github_repo);
	free(p->project_page);
	memset(p, 0, sizeof(*p));
}

void listing_release(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		listing_paper_release(&l->papers[i]);
	free(l->papers);
	free(l->source);
	free(l->slots);
	listing_init(l);
}

/* FNV-1a: short keys, no adversary gains from collisions at this size. */
static size_t hash_id(const char *id)
{
	return (size_t)util_fnv1a(UTIL_FNV_BASIS, id, strlen(id));
}

/* The slot holding id, or the empty slot where it would go. */
static size_t *find_slot(const struct listing *l, const char *id)
{
	size_t mask = l->nslots - 1, i = hash_id(id) & mask;

	while (l->slots[i] && strcmp(l->papers[l->slots[i] - 1].id, id))
		i = (i + 1) & mask;
	return &l->slots[i];
}

static void rehash(struct listing *l)
{
	size_t i;

	free(l->slots);
	l->nslots = l->nslots ? l->nslots * 2 : 64;
	l->slots = xcalloc(l->nslots, sizeof(*l->slots));
	for (i = 0; i < l->n; i++)
		*find_slot(l, l->papers[i].id) = i + 1;
}

const struct paper *listing_find(const struct listing *l, const char *id)
{
	size_t slot;

	if (!l->nslots)
		return NULL;
	slot = *find_slot(l, id);
	return slot ? &l->papers[slot - 1] : NULL;
}

struct paper *listing_lookup(struct listing *l, const char *id)
{
	return (struct paper *)listing_find(l, id);
}

int listing_add(struct listing *l, struct paper *p)
{
	if (listing_find(l, p->id)) {
		listing_paper_release(p);
		return 1;
	}
	if (l->n >= LISTING_MAX_PAPERS) {
		listing_paper_release(p);
		return -1;
	}
	if (2 * (l->n + 1) > l->nslots)
		rehash(l);
	ALLOC_GROW(l->papers, l->n + 1, l->alloc);
	l->papers[l->n] = *p;
	*find_slot(l, p->id) = l->n + 1;
	l->n++;
	memset(p, 0, sizeof(*p));
	return 0;
}

static const char *const announce_names[] = {
	[LISTING_ANNOUNCE_UNKNOWN] = "unknown",
	[LISTING_ANNOUNCE_NEW] = "new",
	[LISTING_ANNOUNCE_CROSS] = "cross",
	[LISTING_ANNOUNCE_REPLACE] = "replace",
	[LISTING_ANNOUNCE_REPLACE_CROSS] = "replace-cross",
};

const char *listing_announce_name(enum listing_announce a)
{
	if ((size_t)a >= sizeof(announce_names) / sizeof(announce_names[0]))
		return "unknown";
	return announce_names[a];
}

enum listing_announce listing_announce_parse(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(announce_names) / sizeof(announce_names[0]);
	     i++)
		if (!strcmp(s, announce_names[i]))
			return (enum listing_announce)i;
	return LISTING_ANNOUNCE_UNKNOWN;
}

/* New-style IDs: YYMM.NNNN or YYMM.NNNNN. */
static size_t match_new_id(const char *s)
{
	size_t i = 0, digits = 0;

	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[4] != '.')
		return 0;
	for (i = 5; isdigit((unsigned char)s[i]); i++)
		digits++;
	if (digits < 4 || digits > 5)
		return 0;
	return i;
}

/* Old-style IDs: archive(.SUBJ)?/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136. */
static size_t match_old_id(const char *s)
{
	size_t i = 0, digits = 0;

	while (islower((unsigned char)s[i]) || s[i] == '-')
		i++;
	if (i == 0)
		return 0;
	if (s[i] == '.') {
		i++;
		while (isupper((unsigned char)s[i]))
			i++;
	}
	if (s[i] != '/')
		return 0;
	i++;
	while (isdigit((unsigned char)s[i])) {
		i++;
		digits++;
	}
	return digits == 7 ? i : 0;
}

char *listing_parse_id(const char *s, int *version)
{
	const char *p;
	size_t n = 0;

	*version = 0;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if ((p = strstr(s, "arxiv.org/abs/")) != NULL)
		s = p + strlen("arxiv.org/abs/");
	else if ((p = strstr(s, "arxiv.org/pdf/")) != NULL)
		s = p + strlen("arxiv.org/pdf/");
	else if (!strncmp(s, "oai:arXiv.org:", 14))
		s += 14;
	else if (!strncasecmp(s, "arXiv:", 6))
		s += 6;
	n = match_new_id(s);
	if (!n)
		n = match_old_id(s);
	if (!n)
		return NULL;
	p = s + n;
	if (*p == 'v' && isdigit((unsigned char)p[1])) {
		long v = strtol(p + 1, NULL, 10);
		*version = (v > 0 && v < 1000) ? (int)v : 0;
	}
	return xstrndup(s, n);
}
