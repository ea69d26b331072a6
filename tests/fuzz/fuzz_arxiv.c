/*
 * libFuzzer target for arxiv (and tex, which it drives): any input either
 * parses into papers whose every string is valid UTF-8, or fails with a
 * message and leaves the listing empty. The same bytes also go through
 * tex_decode, whose output must be valid, folded UTF-8.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arxiv.h"
#include "tex.h"
#include "util.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, int may_be_null)
{
	size_t len;

	if (!s) {
		if (!may_be_null)
			abort();
		return;
	}
	len = strlen(s);
	if (!util_utf8_valid(s, len))
		abort();
	/* Folded: no edge spaces, no runs, no newlines. */
	if (len && (s[0] == ' ' || s[len - 1] == ' '))
		abort();
	if (strstr(s, "  ") || strchr(s, '\n') || strchr(s, '\t'))
		abort();
}

static void check_paper(const struct paper *p)
{
	size_t i;

	check_str(p->id, 0);
	if (!*p->id || !*p->title)
		abort();
	check_str(p->title, 0);
	check_str(p->abstract, 0);
	check_str(p->doi, 1);
	check_str(p->journal_ref, 1);
	check_str(p->comments, 1);
	for (i = 0; i < p->authors.n; i++) {
		check_str(p->authors.v[i], 0);
		if (!*p->authors.v[i])
			abort();
	}
	if (p->authors.n > ARXIV_MAX_AUTHORS)
		abort();
	for (i = 0; i < p->categories.n; i++)
		check_str(p->categories.v[i], 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = ERRBUF_INIT;
	struct listing l;
	size_t i, j;
	char *s;
	int ret;

	s = tex_decode((const char *)data, size);
	check_str(s, 0);
	free(s);

	listing_init(&l);
	ret = arxiv_parse((const char *)data, size, "fuzz", &l, &eb);
	if (ret < 0) {
		if (l.n || !eb.msg[0] || strncmp(eb.msg, "fuzz", 4))
			abort();
	} else {
		if (l.n > (size_t)ret)
			abort();
		for (i = 0; i < l.n; i++) {
			check_paper(&l.papers[i]);
			for (j = 0; j < i; j++)
				if (!strcmp(l.papers[i].id, l.papers[j].id))
					abort();
		}
	}
	listing_release(&l);
	return 0;
}
