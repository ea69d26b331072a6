/*
 * libFuzzer target for hfpapers: any input either fails with a message and
 * leaves the listing and the extras empty, or yields papers whose every
 * string is valid, folded UTF-8, one per ID, each with its Hugging Face
 * values, and URLs that are http(s) and printable ASCII. Parsing the same
 * input again into the result must succeed the same way and add nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hfpapers.h"
#include "util.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, int may_be_empty)
{
	size_t len;

	if (!s)
		abort();
	len = strlen(s);
	if (!len && !may_be_empty)
		abort();
	if (!util_utf8_valid(s, len))
		abort();
	if (len && (s[0] == ' ' || s[len - 1] == ' '))
		abort();
	if (strstr(s, "  ") || strchr(s, '\n') || strchr(s, '\t'))
		abort();
}

static void check_url(const char *s)
{
	const unsigned char *p;

	if (!s)
		return;
	if (strncasecmp(s, "https://", 8) && strncasecmp(s, "http://", 7))
		abort();
	if (strlen(s) > HFPAPERS_MAX_URL)
		abort();
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '<')
			abort();
}

static void check_paper(const struct paper *p)
{
	size_t i;

	check_str(p->id, 0);
	check_str(p->title, 0);
	check_str(p->abstract, 1);
	for (i = 0; i < p->authors.n; i++)
		check_str(p->authors.v[i], 0);
	if (p->authors.n > HFPAPERS_MAX_AUTHORS || p->categories.n ||
	    p->announce != LISTING_ANNOUNCE_UNKNOWN || p->doi ||
	    p->journal_ref || p->comments)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hfpapers_extras x = HFPAPERS_EXTRAS_INIT;
	struct errbuf eb = ERRBUF_INIT;
	const struct hfpapers_extra *e;
	struct listing l;
	size_t i, j, n;
	int ret;

	listing_init(&l);
	ret = hfpapers_parse((const char *)data, size, "fuzz", &l, &x, &eb);
	if (ret < 0) {
		if (l.n || x.n || strncmp(eb.msg, "fuzz", 4))
			abort();
		goto out;
	}
	if (ret > HFPAPERS_MAX_PAPERS || l.n > (size_t)ret || x.n != l.n)
		abort();
	for (i = 0; i < l.n; i++) {
		check_paper(&l.papers[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(l.papers[i].id, l.papers[j].id))
				abort();
		e = hfpapers_extras_find(&x, l.papers[i].id);
		if (!e || e->upvotes < -1)
			abort();
		check_url(e->github_repo);
		check_url(e->project_page);
	}
	/* A second copy of the day adds nothing. */
	n = l.n;
	if (hfpapers_parse((const char *)data, size, "fuzz", &l, &x, &eb) !=
	    ret || l.n != n || x.n != n)
		abort();
out:
	hfpapers_extras_release(&x);
	listing_release(&l);
	return 0;
}
