/*
 * fuzz_token: hostile tokens, subscriber ids and addresses for
 * token_verify().
 *
 * Input: one byte choosing the purpose (values past the last purpose are
 * tried too), one byte naming a position and one a replacement character,
 * then "ID NUL EMAIL NUL TOKEN" (missing parts are empty; TOKEN may hold
 * anything but NUL). Each token has exactly one spelling, so the oracle is
 * exact: a token verifies if and only if it is the string token_make()
 * gives. The made token must verify, under its own purpose only, also
 * with the address in upper case; with one character replaced it verifies
 * only if the character did not change.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* TOKEN_UNSUBSCRIBE .. TOKEN_TEST, then one value that is none of them. */
#define PURPOSES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-terminated part of the input, or "" when none is left. */
static char *next_part(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *start = *p, *nul;

	if (start >= end)
		return xstrdup("");
	nul = memchr(start, '\0', (size_t)(end - start));
	*p = nul ? nul + 1 : end;
	return xstrndup((const char *)start,
			(size_t)((nul ? nul : end) - start));
}

static char *upper(const char *s)
{
	char *u = xstrdup(s), *c;

	for (c = u; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	return u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct token_key key;
	enum token_purpose purpose, other;
	unsigned pos = 0, repl = 'A';
	char *id, *email, *token, *made = NULL, *shout, *changed;
	int ok;
	size_t i;

	for (i = 0; i < sizeof(key.secret); i++)
		key.secret[i] = (unsigned char)i;
	if (size >= 3) {
		purpose = (enum token_purpose)(data[0] % PURPOSES);
		pos = data[1];
		repl = data[2];
		p += 3;
	} else {
		purpose = TOKEN_UNSUBSCRIBE;
	}
	id = next_part(&p, end);
	email = next_part(&p, end);
	token = next_part(&p, end);

	ok = token_verify(&key, purpose, id, email, token);
	CHECK(ok == 0 || ok == 1);
	CHECK(token_verify(&key, purpose, id, email, NULL) == 0);
	if (purpose == TOKEN_UNSUBSCRIBE + PURPOSES - 1) {
		/* Not a purpose: nothing verifies. */
		CHECK(!ok);
		goto out;
	}

	made = token_make(&key, purpose, id, email);
	CHECK(strlen(made) == TOKEN_LEN);
	for (i = 0; i < TOKEN_LEN; i++)
		CHECK((made[i] >= 'A' && made[i] <= 'Z') ||
		      (made[i] >= 'a' && made[i] <= 'z') ||
		      (made[i] >= '0' && made[i] <= '9') || made[i] == '-' ||
		      made[i] == '_');
	CHECK(ok == !strcmp(token, made));
	CHECK(token_verify(&key, purpose, id, email, made) == 1);
	for (other = TOKEN_UNSUBSCRIBE; other <= TOKEN_TEST; other++)
		CHECK(token_verify(&key, other, id, email, made) ==
		      (other == purpose));

	shout = upper(email);
	CHECK(token_verify(&key, purpose, id, shout, made) == 1);
	free(shout);

	changed = xstrdup(made);
	if (repl) {
		changed[pos % TOKEN_LEN] = (char)repl;
		CHECK(token_verify(&key, purpose, id, email, changed) ==
		      !strcmp(changed, made));
	}
	free(changed);
out:
	free(made);
	free(id);
	free(email);
	free(token);
	return 0;
}
