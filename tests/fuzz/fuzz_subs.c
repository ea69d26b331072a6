/*
 * libFuzzer target for subs (and conf, under it): any bytes given as a
 * subscriber profile either load into a subscriber that passes every rule
 * the loader promises (a valid address, no line break in anything that can
 * reach a header, bounded terms and ranges), or fail with "PATH:..." and
 * nothing to release.
 *
 * libconfig 1.5 leaks its scanner's string buffer on some syntax errors
 * (inside the library, not ours): see fuzz_subs.supp and smoke.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "subs.h"
#include "banned.h"

#define FUZZ_PATH "subscribers/fuzz.cfg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s, size_t max)
{
	if (!s || strpbrk(s, "\r\n") || strlen(s) > max)
		abort();
}

static void check_terms(const struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!sv->v[i][0])
			abort();
		else
			check_line(sv->v[i], SUBS_MAX_TERM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber s;
	size_t i;

	if (subs_load_string(FUZZ_PATH, (const char *)data, size, &s,
			     &eb) < 0) {
		if (strncmp(eb.msg, FUZZ_PATH, strlen(FUZZ_PATH)) ||
		    s.email || s.name || s.id)
			abort();
		return 0;
	}
	if (strcmp(s.id, "fuzz") || !s.email ||
	    !mime_address_valid(s.email))
		abort();
	check_line(s.name, SUBS_MAX_NAME);
	check_line(s.email, MIME_MAX_ADDRESS);
	if (s.min_relevance < 1 || s.min_relevance > 10 ||
	    s.max_papers < 1 || s.max_papers > SUBS_MAX_PAPERS ||
	    s.ntopics > SUBS_MAX_TOPICS || (!s.ntopics && !s.authors.n))
		abort();
	check_terms(&s.authors);
	check_terms(&s.exclude);
	check_terms(&s.categories);
	for (i = 0; i < s.ntopics; i++) {
		check_line(s.topics[i].name, 8192);
		if (!s.topics[i].name[0] || !s.topics[i].keywords.n)
			abort();
		check_terms(&s.topics[i].keywords);
	}
	subs_release(&s);
	return 0;
}
