/*
 * token: signed unsubscribe tokens and VERP envelope senders
 * (HMAC-SHA256, OpenSSL libcrypto).
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
	TOKEN_VOTE_UP,     /* "More like this": the address is vote.h's */
	TOKEN_VOTE_DOWN,   /* "Fewer like this"   "DATE/ARXIVID" */
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

/*
 * VERP: a per-subscriber envelope sender, so a bounce names who it is for
 * whatever the bouncing server writes. The form is an address with one
 * "{id}" in its local part (delivery.verp, e.g.
 * "digest+bounce-{id}@example.org"); "{id}" becomes "ID-SIG", where SIG is
 * TOKEN_VERP_SIG_LEN lower-case hex digits of HMAC-SHA256(secret,
 * "paperboy-v1" NUL "verp" NUL ID NUL): only an address we made verifies,
 * so a bounce mailed to a made-up VERP address counts for nobody. Hex,
 * because some servers change the case of a local part in their reports.
 */
/* 64 bits of MAC: guessing one is 2^64 tries, each a mail. */
#define TOKEN_VERP_SIG_LEN 16
/* A VERP address longer than this is refused (RFC 5321's path limit). */
#define TOKEN_VERP_MAX 256

/*
 * Checks that form holds exactly one "{id}", in the local part, with
 * nothing around it that cannot go into an address (whitespace, '<', '>',
 * quotes, a second '@'), and a domain. Returns 0 or -1 with eb filled.
 */
int token_verp_check_form(const char *form, struct errbuf *eb);

/*
 * The VERP address of subscriber_id for form (caller frees), or NULL with
 * eb filled when the form is not valid (token_verp_check_form) or the
 * address would be longer than TOKEN_VERP_MAX.
 */
char *token_verp_make(const struct token_key *key, const char *form,
		      const char *subscriber_id, struct errbuf *eb);

/*
 * Reads address (bare, or in angle brackets) back: 1 when it is form's
 * address for some subscriber id and its signature verifies, with *id set
 * (caller frees); 0 with *id NULL for anything else: another address, a
 * malformed, forged or flipped signature, an id with a character ids
 * never have. Prefix and domain compare without regard to case.
 */
int token_verp_parse(const struct token_key *key, const char *form,
		     const char *address, char **subscriber_id);

/* SHA-256 of data[0..len) into out (32 bytes); here because this is the
 * only module that includes libcrypto. Returns 0, or -1 (out zeroed). */
#define TOKEN_SHA256_BYTES 32
int token_sha256(const void *data, size_t len,
		 unsigned char out[TOKEN_SHA256_BYTES]);

#endif
