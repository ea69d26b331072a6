/*
 * libFuzzer target for inbound: any message (up to its first NUL, as
 * `paperboy inbound` sees stdin) either yields no request, or an id and a
 * token that are non-empty and made only of the characters ids and tokens
 * have, so that nothing else a stranger wrote reaches a log line or a
 * lookup; both appear in the message as written or with its RFC 2047
 * encoded words decoded (a Subject may be encoded).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "inbound.h"
#include "mime.h"
#include "xalloc.h"
#include "banned.h"

/* Inputs past this are cut: the command reads at most 1 MB and the
 * headers that matter come first. */
#define FUZZ_MAX_INPUT ((size_t)64 << 10)

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *s, const char *msg, const char *decoded,
		       const char *set)
{
	if (!s || !s[0] || s[strspn(s, set)] ||
	    (!strstr(msg, s) && !strstr(decoded, s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg, *id, *token;
	struct buf decoded = BUF_INIT;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	msg = xstrndup((const char *)data, size);
	mime_decode_words(msg, &decoded);
	if (inbound_find_request(msg, &id, &token)) {
		check_word(id, msg, buf_str(&decoded), ALNUM "-_.");
		check_word(token, msg, buf_str(&decoded), ALNUM "-_");
	} else if (id || token) {
		abort();
	}
	free(id);
	free(token);
	free(msg);
	buf_release(&decoded);
	return 0;
}
