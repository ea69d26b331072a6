/*
 * token: signed unsubscribe tokens (HMAC-SHA256, OpenSSL libcrypto).
 *
 * A token is base64url (no padding) of HMAC-SHA256(secret, "paperboy-v1"
 * NUL purpose NUL subscriber-id NUL lower-case(address)). It carries no
 * personal data: the link that holds it names only the subscriber id, and
 * nobody without the list's secret can make one. The purpose is part of
 * what is signed, so a test issue's token (TOKEN_TEST) can never
 * unsubscribe the real subscriber, and a resubscribe token is not an
 * unsubscribe token. This is the only module that includes OpenSSL's
 * libcrypto headers.
 */
#ifndef PAPERBOY_TOKEN_H
#define PAPERBOY_TOKEN_H

#include <stddef.h>

#include "errbuf.h"

/* The secret: 32 random bytes, as many as the HMAC's output. */
#define TOKEN_SECRET_BYTES 32
/* base64url of a 32-byte MAC is 43 characters. */
#define TOKEN_LEN 43

enum token_purpose {
	TOKEN_UNSUBSCRIBE,
	TOKEN_RESUBSCRIBE,
	TOKEN_TEST,        /* a test issue's links: valid for nothing real */
	TOKEN_CONFIRM,     /* a subscription request's /confirm link */
	TOKEN_PROFILE,     /* a digest's "change your topics" link */
	TOKEN_ARCHIVE,     /* the folder of a reader's archive pages */
};

struct token_key {
	unsigned char secret[TOKEN_SECRET_BYTES];
};

/*
 * Loads the list's secret from path, creating it (and its folder, 0700)
 * with TOKEN_SECRET_BYTES random bytes, mode 0600, written atomically, if
 * it does not exist. A file that is group- or world-accessible, not owned
 * by the current user, not a regular file, or not exactly
 * TOKEN_SECRET_BYTES long is refused. Returns 0 or -1 with eb filled.
 */
int token_load_key(const char *path, struct token_key *key,
		   struct errbuf *eb);

/* Wipes the secret from memory. */
void token_key_wipe(struct token_key *key);

/* The token for (purpose, subscriber id, address); caller frees. */
char *token_make(const struct token_key *key, enum token_purpose purpose,
		 const char *subscriber_id, const char *email);

/*
 * 1 if token is the one token_make() gives for these values, else 0
 * (including malformed input of any length). The comparison takes the
 * same time whatever the token's content.
 */
int token_verify(const struct token_key *key, enum token_purpose purpose,
		 const char *subscriber_id, const char *email,
		 const char *token);

/* SHA-256 of data[0..len) into out (32 bytes); here because this is the
 * only module that includes libcrypto. Returns 0, or -1 (out zeroed). */
#define TOKEN_SHA256_BYTES 32
int token_sha256(const void *data, size_t len,
		 unsigned char out[TOKEN_SHA256_BYTES]);

#endif
