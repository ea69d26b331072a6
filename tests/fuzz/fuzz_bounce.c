/*
 * libFuzzer target for bounce: any message either is no bounce (kind
 * NONE, nothing kept but its addressing) or a hard or soft one; every
 * address and Message-ID it hands on has the shape bounces.c relies on
 * (an '@', no blank, no control character, Message-IDs in brackets), so
 * nothing a stranger wrote reaches a log line or a lookup as written.
 * Seeds: tests/fixtures/bounces/ (copied to tests/fuzz/corpus/bounce/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *s, int need_at)
{
	size_t i;

	if (!s || !s[0] || strlen(s) > BOUNCE_MAX_FIELD)
		abort();
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
			abort();
	if (need_at && !strchr(s, '@'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_report r;
	size_t i;
	int is = bounce_parse((const char *)data, size, &r);

	if (is != (r.kind != BOUNCE_NONE) || !r.reason)
		abort();
	if (!is && (r.recipient || r.status || r.message_ids.n || r.format))
		abort();
	if (is && !r.format)
		abort();
	if (r.recipient)
		check_word(r.recipient, 1);
	if (r.status && (r.status[0] != '4' && r.status[0] != '5'))
		abort();
	if (r.message_ids.n > BOUNCE_MAX_IDS)
		abort();
	for (i = 0; i < r.message_ids.n; i++) {
		const char *m = r.message_ids.v[i];

		check_word(m, 1);
		if (m[0] != '<' || m[strlen(m) - 1] != '>')
			abort();
	}
	for (i = 0; i < r.envelope_to.n; i++)
		check_word(r.envelope_to.v[i], 1);
	if (r.diagnostic)
		for (i = 0; r.diagnostic[i]; i++)
			if ((unsigned char)r.diagnostic[i] < ' ')
				abort();
	bounce_report_release(&r);
	return 0;
}
