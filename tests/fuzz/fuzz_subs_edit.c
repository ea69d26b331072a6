/*
 * libFuzzer target for the profile editor of the profile page
 * (subs_set_lists in subs_status.c, whose lexer finds a setting's span
 * over strings, comments and nested lists): any bytes given as a profile
 * are either refused with the file left byte for byte as it was, or
 * rewritten into a profile that loads, has the status it had and exactly
 * the lists that were set.
 *
 * libconfig 1.5 leaks its scanner's string buffer on some syntax errors
 * (inside the library, not ours): see fuzz_subs_edit.supp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "subs.h"
#include "util.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[96];

static void write_input(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = ERRBUF_INIT;
	struct strv authors = STRV_INIT, exclude = STRV_INIT;
	struct strv never = STRV_INIT;
	struct subscriber before, after;
	struct subs_topic topic;
	struct subs_lists l;
	struct buf back = BUF_INIT;
	int loaded;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_subs_edit.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/fuzz.cfg", dir);
	}
	write_input(data, size);
	loaded = subs_load_file(path, &before, &eb) == 0;
	memset(&topic, 0, sizeof(topic));
	topic.name = "Edited";
	strv_push(&topic.keywords, "edited \"keyword\"");
	topic.weight = 1.0;
	strv_push(&authors, "A. Author");
	strv_push(&never, "never \"term\"");
	l.topics = &topic;
	l.ntopics = 1;
	l.authors = &authors;
	l.exclude = &exclude;
	l.never = &never;
	l.criteria = "fuzzed \"criteria\";\nsecond line";
	if (subs_set_lists(path, &l, &eb) < 0) {
		if (util_read_file(path, &back, &eb) < 0 || back.len != size ||
		    (size && memcmp(back.data, data, size)))
			abort();
	} else {
		if (!loaded || subs_load_file(path, &after, &eb) < 0)
			abort();
		if (after.status != before.status || after.ntopics != 1 ||
		    strcmp(after.topics[0].name, "Edited") ||
		    after.topics[0].keywords.n != 1 ||
		    strcmp(after.topics[0].keywords.v[0],
			   "edited \"keyword\"") ||
		    after.authors.n != 1 || after.exclude.n != 0 ||
		    after.never.n != 1 ||
		    strcmp(after.never.v[0], "never \"term\"") ||
		    strcmp(after.criteria, l.criteria) ||
		    strcmp(after.email, before.email))
			abort();
		subs_release(&after);
	}
	if (loaded)
		subs_release(&before);
	buf_release(&back);
	strv_release(&topic.keywords);
	strv_release(&authors);
	strv_release(&exclude);
	strv_release(&never);
	return 0;
}
