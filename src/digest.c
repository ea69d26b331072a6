/*
 * digest: selection and ordering of one subscriber's papers (see digest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "xalloc.h"
#include "banned.h"

static long upvotes(const struct digest_item *x)
{
	return (x->paper->sources & LISTING_SOURCE_HF) ? x->paper->upvotes
						       : -1;
}

/* "Trending": most upvoted first, then by relevance. */
static int by_upvotes(const void *a, const void *b)
{
	const struct digest_item *x = a, *y = b;
	long ux = upvotes(x), uy = upvotes(y);

	if (ux != uy)
		return ux < uy ? 1 : -1;
	if (x->score->relevance != y->score->relevance)
		return y->score->relevance - x->score->relevance;
	return (x->score->paper > y->score->paper) -
	       (x->score->paper < y->score->paper);
}

static int by_relevance(const void *a, const void *b)
{
	const struct digest_item *x = a, *y = b;

	if (x->score->relevance != y->score->relevance)
		return y->score->relevance - x->score->relevance;
	if (x->score->score != y->score->score)
		return x->score->score < y->score->score ? 1 : -1;
	/* Stable: the listing's order breaks ties. */
	return (x->score->paper > y->score->paper) -
	       (x->score->paper < y->score->paper);
}

void digest_build(const struct subscriber *s, const struct listing *l,
		  const struct score_result *r, const char *date,
		  struct digest *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->sub = s;
	snprintf(d->date, sizeof(d->date), "%s", date);
	d->total = l->n;
	d->items = xcalloc(r->n ? r->n : 1, sizeof(*d->items));
	for (i = 0; i < r->n; i++) {
		const struct score_entry *e = &r->entries[i];

		if (e->considered)
			d->scanned++;
		if (e->relevance < 1 || e->relevance < s->min_relevance)
			continue;
		d->items[d->n].paper = &l->papers[e->paper];
		d->items[d->n].score = e;
		d->n++;
	}
	d->matched = d->n;
	qsort(d->items, d->n, sizeof(*d->items),
	      s->sort_by_upvotes ? by_upvotes : by_relevance);
	if (d->n > (size_t)s->max_papers)
		d->n = (size_t)s->max_papers;
	for (i = 0; i < d->n; i++)
		d->author_matches += d->items[i].score->author_match;
}

void digest_release(struct digest *d)
{
	free(d->items);
	memset(d, 0, sizeof(*d));
}
