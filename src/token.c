/*
 * token: signed unsubscribe tokens (see token.h).
 *
 * Design decision: verification never branches on the secret. The expected
 * MAC is always computed, the given token is decoded only when it has the
 * right length and alphabet (which says something about the token, never
 * about the MAC), and the two MACs are compared with CRYPTO_memcmp() over
 * their full length. The signed purpose is its name ("unsubscribe",
 * "resubscribe", "test", "vote-up", "vote-down"), so the message bytes are
 * readable and a test can recompute a token with the openssl command line
 * tool. VERP addresses
 * (token.h) sign the purpose "verp" with an empty address, so no VERP
 * signature is ever a prefix of another purpose's MAC for the same id.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "token.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* HMAC-SHA256's output. */
#define MAC_BYTES 32
/* Bumped if the signed message ever changes, so old tokens stop verifying. */
#define DOMAIN "paperboy-v1"
/* Bytes of the address lower-cased at a time before they go to the MAC. */
#define LOWER_CHUNK 64

_Static_assert((MAC_BYTES * 4 + 2) / 3 == TOKEN_LEN,
	       "TOKEN_LEN is the unpadded base64url length of the MAC");

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char *purpose_name(enum token_purpose purpose)
{
	switch (purpose) {
	case TOKEN_UNSUBSCRIBE:
		return "unsubscribe";
	case TOKEN_RESUBSCRIBE:
		return "resubscribe";
	case TOKEN_TEST:
		return "test";
	case TOKEN_CONFIRM:
		return "confirm";
	case TOKEN_PROFILE:
		return "profile";
	case TOKEN_ARCHIVE:
		return "archive";
	case TOKEN_VOTE_UP:
		return "vote-up";
	case TOKEN_VOTE_DOWN:
		return "vote-down";
	}
	return NULL;
}

static int refuse_stat(const char *path, const struct stat *st,
		       struct errbuf *eb)
{
	if (!S_ISREG(st->st_mode))
		return errbuf_set(eb, "%s: not a regular file; point "
				      "list.secret_file at a regular file",
				  path);
	if (st->st_uid != geteuid())
		return errbuf_set(eb, "%s: owned by uid %ld, not by the user "
				      "running paperboy (uid %ld); run chown "
				      "%ld %s",
				  path, (long)st->st_uid, (long)geteuid(),
				  (long)geteuid(), path);
	if (st->st_mode & 077)
		return errbuf_set(eb, "%s: group- or world-accessible (mode "
				      "%04o); run chmod 600 %s",
				  path, (unsigned)(st->st_mode & 07777), path);
	if (st->st_size != TOKEN_SECRET_BYTES)
		return errbuf_set(eb, "%s: %lld bytes, expected exactly %d; "
				      "remove it to have a new secret made "
				      "(links already sent stop working)",
				  path, (long long)st->st_size,
				  TOKEN_SECRET_BYTES);
	return 0;
}

/*
 * Reads an existing secret. Returns 0, -1 with eb filled, or 1 if there is
 * no file at path. The checks are made on the open file (fstat), so the
 * file checked is the file read; O_NOFOLLOW refuses a symbolic link, and
 * O_NONBLOCK keeps a FIFO planted at path from hanging us.
 */
static int read_key(const char *path, struct token_key *key,
		    struct errbuf *eb)
{
	unsigned char data[TOKEN_SECRET_BYTES + 1];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			return errbuf_set(eb, "%s: a symbolic link; point "
					      "list.secret_file at the file "
					      "itself", path);
		return errbuf_set(eb, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (refuse_stat(path, &st, eb) < 0)
		goto out;
	/* Read one byte more than needed: a file that grew is refused. */
	while (got < sizeof(data)) {
		n = read(fd, data + got, sizeof(data) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errbuf_set(eb, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != TOKEN_SECRET_BYTES) {
		errbuf_set(eb, "%s: %zu bytes, expected exactly %d", path, got,
			   TOKEN_SECRET_BYTES);
		goto out;
	}
	memcpy(key->secret, data, TOKEN_SECRET_BYTES);
	ret = 0;
out:
	OPENSSL_cleanse(data, sizeof(data));
	close(fd);
	return ret;
}

/*
 * Makes a new secret at path. It is written atomically to a name of its
 * own and then hard-linked into place: link() never replaces a file, so
 * when two processes start at once the first secret wins and both then
 * read that one, instead of the second silently replacing a secret the
 * first has already signed links with.
 */
static int create_key(const char *path, struct errbuf *eb)
{
	unsigned char fresh[TOKEN_SECRET_BYTES];
	struct buf tmp = BUF_INIT;
	char *dir = util_dirname(path);
	int ret = -1;

	if (util_mkdir_p(dir, 0700, eb) < 0)
		goto out;
	if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
		errbuf_set(eb, "%s: libcrypto could not make random bytes",
			   path);
		goto out;
	}
	buf_addf(&tmp, "%s.new.%ld", path, (long)getpid());
	if (util_write_atomic(buf_str(&tmp), fresh, sizeof(fresh), 0600,
			      eb) < 0)
		goto out;
	if (link(buf_str(&tmp), path) < 0 && errno != EEXIST) {
		errbuf_set(eb, "%s: %s", path, strerror(errno));
		unlink(buf_str(&tmp));
		goto out;
	}
	unlink(buf_str(&tmp));
	if (util_fsync_dir(dir, eb) < 0)
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	buf_release(&tmp);
	free(dir);
	return ret;
}

int token_load_key(const char *path, struct token_key *key,
		   struct errbuf *eb)
{
	int ret;

	token_key_wipe(key);
	ret = read_key(path, key, eb);
	if (ret == 1) {
		if (create_key(path, eb) < 0)
			return -1;
		ret = read_key(path, key, eb);
		if (ret == 1)
			ret = errbuf_set(eb, "%s: vanished right after it was "
					     "created", path);
	}
	if (ret < 0)
		token_key_wipe(key);
	return ret;
}

void token_key_wipe(struct token_key *key)
{
	OPENSSL_cleanse(key->secret, sizeof(key->secret));
}

static int mac_update_lower(EVP_MAC_CTX *ctx, const char *s)
{
	unsigned char chunk[LOWER_CHUNK];
	size_t n = 0;

	for (; *s; s++) {
		chunk[n++] = (unsigned char)util_tolower(*s);
		if (n == sizeof(chunk)) {
			if (!EVP_MAC_update(ctx, chunk, n))
				return -1;
			n = 0;
		}
	}
	return EVP_MAC_update(ctx, chunk, n) ? 0 : -1;
}

/* libcrypto's HMAC, fetched once: a fetch is a provider lookup that
 * costs more than the MAC itself, and a digest signs two links a paper. */
static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void fetch_hmac(void)
{
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/*
 * Per thread, an HMAC context already keyed with the last key used: a
 * digest signs a few dozen links with one key, and keying (two SHA-256
 * blocks and a context) costs more than the MAC of a short link; each
 * MAC starts from a copy of it. A thread-specific value, so that it is
 * freed (and its copy of the key wiped) when its thread ends, whichever
 * thread that is (run's workers, serve's); also held in a thread-local
 * variable, where leak checkers look when the process exits with the
 * thread still running.
 */
struct mac_cache {
	unsigned char secret[TOKEN_SECRET_BYTES];
	EVP_MAC_CTX *keyed;
};

static pthread_key_t mac_key;
static int mac_key_ok;
static __thread struct mac_cache *mac_mine;

static void mac_cache_free(void *p)
{
	struct mac_cache *c = p;

	mac_mine = NULL;
	EVP_MAC_CTX_free(c->keyed);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static void fetch_hmac_and_key(void)
{
	fetch_hmac();
	mac_key_ok = !pthread_key_create(&mac_key, mac_cache_free);
}

/* A new HMAC-SHA256 context keyed with key, or NULL. */
static EVP_MAC_CTX *keyed_ctx(const struct token_key *key)
{
	struct mac_cache *c;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;

	pthread_once(&hmac_once, fetch_hmac_and_key);
	if (!hmac)
		return NULL;
	c = mac_mine;
	if (c && c->keyed &&
	    !CRYPTO_memcmp(c->secret, key->secret, sizeof(key->secret)))
		return EVP_MAC_CTX_dup(c->keyed);
	ctx = EVP_MAC_CTX_new(hmac);
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key->secret, sizeof(key->secret), params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	if (!mac_key_ok)
		return ctx; /* no cache: this context is used once */
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		if (pthread_setspecific(mac_key, c)) {
			free(c);
			return ctx;
		}
		mac_mine = c;
	}
	EVP_MAC_CTX_free(c->keyed);
	c->keyed = ctx;
	memcpy(c->secret, key->secret, sizeof(key->secret));
	return EVP_MAC_CTX_dup(ctx);
}

/* The MAC of DOMAIN NUL purpose NUL id NUL lower(email). Returns 0 or -1. */
static int compute_mac(const struct token_key *key, const char *purpose,
		       const char *id, const char *email,
		       unsigned char out[MAC_BYTES])
{
	EVP_MAC_CTX *ctx = keyed_ctx(key);
	size_t outlen = 0;
	int ret = -1;

	if (!ctx)
		goto out;
	/* Each string goes in with its NUL, so no two field lists collide. */
	if (!EVP_MAC_update(ctx, (const unsigned char *)DOMAIN,
			    sizeof(DOMAIN)) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)purpose,
			    strlen(purpose) + 1) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)id, strlen(id) + 1) ||
	    mac_update_lower(ctx, email) < 0 ||
	    !EVP_MAC_final(ctx, out, &outlen, MAC_BYTES) ||
	    outlen != MAC_BYTES)
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return ret;
}

/* Unpadded base64url of in[0..n) into out (4 * n / 3 + 2 bytes at most). */
static void encode(const unsigned char *in, size_t n, char *out)
{
	size_t i;
	unsigned long v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		*out++ = b64url[v >> 18 & 63];
		*out++ = b64url[v >> 12 & 63];
		*out++ = b64url[v >> 6 & 63];
		*out++ = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		*out++ = b64url[v >> 18 & 63];
		*out++ = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		*out++ = b64url[v >> 18 & 63];
		*out++ = b64url[v >> 12 & 63];
		*out++ = b64url[v >> 6 & 63];
	}
	*out = '\0';
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decodes a TOKEN_LEN-character token into MAC_BYTES bytes. Returns 0, or
 * -1 for a character outside the alphabet or a last character whose two
 * unused low bits are set: each MAC has exactly one token, so a changed
 * character can never give the same MAC. Its timing depends only on the
 * token, which the caller already knows.
 */
static int decode(const char *s, unsigned char out[MAC_BYTES])
{
	unsigned long acc = 0;
	int bits = 0, v;
	size_t i, o = 0;

	for (i = 0; i < TOKEN_LEN; i++) {
		v = b64url_value(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (acc & ((1UL << bits) - 1)) ? -1 : 0;
}

/* A failing HMAC is out of memory or a broken libcrypto: as in xalloc. */
static void die_crypto(void)
{
	char reason[256];

	ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
	fprintf(stderr, "paperboy: HMAC-SHA256 failed in libcrypto: %s\n",
		reason);
	exit(EX_OSERR);
}

char *token_make(const struct token_key *key, enum token_purpose purpose,
		 const char *subscriber_id, const char *email)
{
	const char *name = purpose_name(purpose);
	unsigned char mac[MAC_BYTES];
	char *token;

	/* Signing for no purpose or nobody is a caller bug. */
	if (!name || !subscriber_id || !email)
		abort();
	if (compute_mac(key, name, subscriber_id, email, mac) < 0)
		die_crypto();
	token = xmalloc(TOKEN_LEN + 1);
	encode(mac, sizeof(mac), token);
	OPENSSL_cleanse(mac, sizeof(mac));
	return token;
}

int token_verify(const struct token_key *key, enum token_purpose purpose,
		 const char *subscriber_id, const char *email,
		 const char *token)
{
	const char *name = purpose_name(purpose);
	unsigned char want[MAC_BYTES], got[MAC_BYTES];
	int ok = 0;

	if (!name || !subscriber_id || !email)
		return 0;
	if (compute_mac(key, name, subscriber_id, email, want) < 0)
		goto out;
	if (!token || strnlen(token, TOKEN_LEN + 1) != TOKEN_LEN ||
	    decode(token, got) < 0)
		goto out;
	ok = CRYPTO_memcmp(want, got, MAC_BYTES) == 0;
out:
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

/* The placeholder a VERP form holds once. */
#define VERP_PLACEHOLDER "{id}"
/* What a subscriber id is made of (subs.c), and its longest. */
#define VERP_ID_CHARS                                                          \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
#define VERP_MAX_ID 64

static const char hexdigits[] = "0123456789abcdef";

int token_verp_check_form(const char *form, struct errbuf *eb)
{
	const char *ph, *at, *p;

	if (!form || !*form)
		return errbuf_set(eb, "the VERP form is empty");
	ph = strstr(form, VERP_PLACEHOLDER);
	at = strchr(form, '@');
	if (!ph)
		return errbuf_set(eb, "VERP form \"%s\": no \"%s\" in it", form,
				  VERP_PLACEHOLDER);
	if (strstr(ph + 1, VERP_PLACEHOLDER))
		return errbuf_set(eb, "VERP form \"%s\": more than one \"%s\"",
				  form, VERP_PLACEHOLDER);
	if (!at || strchr(at + 1, '@') || !at[1])
		return errbuf_set(eb, "VERP form \"%s\": not an address "
				      "(LOCAL{id}@DOMAIN)", form);
	if (ph > at)
		return errbuf_set(eb, "VERP form \"%s\": \"%s\" must be in "
				      "the part before the '@'", form,
				  VERP_PLACEHOLDER);
	for (p = form; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("<>\"(),:;[]\\", *p))
			return errbuf_set(eb, "VERP form \"%s\": '%c' cannot "
					      "be in an address", form,
					  (unsigned char)*p > ' ' &&
						  (unsigned char)*p < 0x7f
					      ? *p : '?');
	if (strlen(form) > TOKEN_VERP_MAX)
		return errbuf_set(eb, "VERP form \"%s\": longer than %d "
				      "characters", form, TOKEN_VERP_MAX);
	return 0;
}

/* The TOKEN_VERP_SIG_LEN hex digits for id into sig (+ NUL). */
static void verp_sig(const struct token_key *key, const char *id,
		     char sig[TOKEN_VERP_SIG_LEN + 1])
{
	unsigned char mac[MAC_BYTES];
	size_t i;

	if (compute_mac(key, "verp", id, "", mac) < 0)
		die_crypto();
	for (i = 0; i < TOKEN_VERP_SIG_LEN / 2; i++) {
		sig[2 * i] = hexdigits[mac[i] >> 4];
		sig[2 * i + 1] = hexdigits[mac[i] & 15];
	}
	sig[TOKEN_VERP_SIG_LEN] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}

static int verp_valid_id(const char *id, size_t n)
{
	size_t i;

	if (!n || n > VERP_MAX_ID)
		return 0;
	for (i = 0; i < n; i++)
		if (!id[i] || !strchr(VERP_ID_CHARS, id[i]))
			return 0;
	return 1;
}

char *token_verp_make(const struct token_key *key, const char *form,
		      const char *subscriber_id, struct errbuf *eb)
{
	char sig[TOKEN_VERP_SIG_LEN + 1];
	struct buf b = BUF_INIT;
	const char *ph;

	if (token_verp_check_form(form, eb) < 0)
		return NULL;
	if (!subscriber_id ||
	    !verp_valid_id(subscriber_id, strlen(subscriber_id))) {
		errbuf_set(eb, "\"%s\": not a subscriber id for a VERP "
			       "address", subscriber_id ? subscriber_id : "");
		return NULL;
	}
	ph = strstr(form, VERP_PLACEHOLDER);
	verp_sig(key, subscriber_id, sig);
	buf_add(&b, form, (size_t)(ph - form));
	buf_addf(&b, "%s-%s%s", subscriber_id, sig,
		 ph + strlen(VERP_PLACEHOLDER));
	OPENSSL_cleanse(sig, sizeof(sig));
	if (b.len > TOKEN_VERP_MAX) {
		errbuf_set(eb, "the VERP address for \"%s\" would be longer "
			       "than %d characters", subscriber_id,
			   TOKEN_VERP_MAX);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

int token_verp_parse(const struct token_key *key, const char *form,
		     const char *address, char **subscriber_id)
{
	char want[TOKEN_VERP_SIG_LEN + 1], got[TOKEN_VERP_SIG_LEN + 1];
	const char *ph, *mid, *suffix;
	size_t alen, plen, slen, mlen, idlen, i;
	char *id = NULL;
	struct errbuf eb;
	int ok = 0;

	*subscriber_id = NULL;
	if (!address || token_verp_check_form(form, &eb) < 0)
		return 0;
	alen = strnlen(address, TOKEN_VERP_MAX + 3);
	if (alen > TOKEN_VERP_MAX + 2)
		return 0;
	if (alen >= 2 && address[0] == '<' && address[alen - 1] == '>') {
		address++;
		alen -= 2;
	}
	ph = strstr(form, VERP_PLACEHOLDER);
	plen = (size_t)(ph - form);
	suffix = ph + strlen(VERP_PLACEHOLDER);
	slen = strlen(suffix);
	if (alen < plen + slen + 2 + TOKEN_VERP_SIG_LEN ||
	    strncasecmp(address, form, plen) ||
	    strncasecmp(address + alen - slen, suffix, slen))
		return 0;
	mid = address + plen;
	mlen = alen - plen - slen;
	idlen = mlen - TOKEN_VERP_SIG_LEN - 1;
	if (mid[idlen] != '-' || !verp_valid_id(mid, idlen))
		return 0;
	for (i = 0; i < TOKEN_VERP_SIG_LEN; i++) {
		char c = util_tolower(mid[idlen + 1 + i]);

		if (!strchr(hexdigits, c) || !c)
			return 0;
		got[i] = c;
	}
	got[TOKEN_VERP_SIG_LEN] = '\0';
	id = xstrndup(mid, idlen);
	verp_sig(key, id, want);
	ok = CRYPTO_memcmp(want, got, TOKEN_VERP_SIG_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (ok)
		*subscriber_id = id;
	else
		free(id);
	return ok;
}

int token_sha256(const void *data, size_t len,
		 unsigned char out[TOKEN_SHA256_BYTES])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) ||
	    n != TOKEN_SHA256_BYTES) {
		memset(out, 0, TOKEN_SHA256_BYTES);
		return -1;
	}
	return 0;
}
