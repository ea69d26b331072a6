/*
 * Unit tests for token: what a token signs (purpose, subscriber, address),
 * that nothing else verifies, the pinned format, and how the secret file
 * is made and guarded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "token.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"

/* The base64url alphabet, without padding. */
#define ALPHABET                                                               \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* The known-answer key: bytes 0..31. */
static void fixed_key(struct token_key *key)
{
	size_t i;

	for (i = 0; i < sizeof(key->secret); i++)
		key->secret[i] = (unsigned char)i;
}

static void other_key(struct token_key *key)
{
	size_t i;

	for (i = 0; i < sizeof(key->secret); i++)
		key->secret[i] = (unsigned char)(0xA5 ^ i);
}

static int well_formed(const char *t)
{
	return strlen(t) == TOKEN_LEN && strspn(t, ALPHABET) == TOKEN_LEN;
}

static void test_round_trip(void **state)
{
	struct token_key key;
	char *t;

	(void)state;
	fixed_key(&key);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "alice@example.org");
	assert_true(well_formed(t));
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", t), 1);
	/* The same inputs always give the same token. */
	{
		char *again = token_make(&key, TOKEN_UNSUBSCRIBE, "alice",
					 "alice@example.org");
		assert_string_equal(t, again);
		free(again);
	}
	free(t);
}

/*
 * Pins the format: HMAC-SHA256 over
 * "paperboy-v1" NUL "unsubscribe" NUL "alice" NUL "alice@example.org",
 * key 00 01 .. 1f, computed outside paperboy with:
 *
 *   printf 'paperboy-v1\0unsubscribe\0alice\0alice@example.org' |
 *   openssl dgst -sha256 -mac HMAC -macopt \
 *     hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 *   => 2cdc4f2e0dab329ce376db09ad31b049bcff120b3a9bf09f87c7397773c403eb
 *
 * and the same piped through `-binary | base64 | tr '+/' '-_' | tr -d =`.
 */
static void test_known_answer(void **state)
{
	struct token_key key;
	char *t;

	(void)state;
	fixed_key(&key);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	assert_string_equal(t, "LNxPLg2rMpzjdtsJrTGwSbz_Egs6m_Cfh8c5d3PEA-s");
	free(t);
}

/* The keyed context each thread keeps follows a change of key: the
 * known answer holds after a token of another key, and again after. */
static void test_key_change(void **state)
{
	struct token_key key, other;
	char *t;

	(void)state;
	fixed_key(&key);
	memset(&other, 7, sizeof(other));
	t = token_make(&other, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	assert_string_not_equal(t, "LNxPLg2rMpzjdtsJrTGwSbz_Egs6m_Cfh8c5d3PEA-s");
	free(t);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	assert_string_equal(t, "LNxPLg2rMpzjdtsJrTGwSbz_Egs6m_Cfh8c5d3PEA-s");
	free(t);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	assert_string_equal(t, "LNxPLg2rMpzjdtsJrTGwSbz_Egs6m_Cfh8c5d3PEA-s");
	free(t);
	t = token_make(&other, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "Alice@Example.org", t), 0);
	assert_int_equal(token_verify(&other, TOKEN_UNSUBSCRIBE, "alice",
				      "Alice@Example.org", t), 1);
	free(t);
}

/* The KAT again, but with the MAC computed now by the openssl tool. */
static void test_known_answer_openssl(void **state)
{
	static const char cmd[] =
		"printf 'paperboy-v1\\0unsubscribe\\0alice\\0"
		"alice@example.org' | openssl dgst -sha256 -mac HMAC "
		"-macopt hexkey:000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f -binary 2>/dev/null | "
		"base64 | tr '+/' '-_' | tr -d '=\\n'";
	struct token_key key;
	char line[128] = "";
	FILE *p;
	char *t;

	(void)state;
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p) || strlen(line) != TOKEN_LEN) {
		if (p)
			pclose(p);
		skip();
	}
	pclose(p);
	fixed_key(&key);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	assert_string_equal(t, line);
	free(t);
}

static void test_binds_every_field(void **state)
{
	static const enum token_purpose purposes[] = {
		TOKEN_UNSUBSCRIBE, TOKEN_RESUBSCRIBE, TOKEN_TEST,
	};
	struct token_key key, key2;
	size_t i, j;

	(void)state;
	fixed_key(&key);
	other_key(&key2);
	for (i = 0; i < ARRAY_SIZE(purposes); i++) {
		char *t = token_make(&key, purposes[i], "alice",
				     "alice@example.org");

		for (j = 0; j < ARRAY_SIZE(purposes); j++)
			assert_int_equal(token_verify(&key, purposes[j],
						      "alice",
						      "alice@example.org", t),
					 i == j);
		assert_int_equal(token_verify(&key, purposes[i], "bob",
					      "alice@example.org", t), 0);
		assert_int_equal(token_verify(&key, purposes[i], "alice",
					      "bob@example.org", t), 0);
		assert_int_equal(token_verify(&key, purposes[i], "alice",
					      "alice@example.org.", t), 0);
		assert_int_equal(token_verify(&key, purposes[i], "alice2",
					      "alice@example.org", t), 0);
		assert_int_equal(token_verify(&key2, purposes[i], "alice",
					      "alice@example.org", t), 0);
		free(t);
	}
	/* A test issue's token is never an unsubscribe token. */
	{
		char *t = token_make(&key, TOKEN_TEST, "alice",
				     "alice@example.org");
		assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
					      "alice@example.org", t), 0);
		free(t);
	}
}

/* The fields are separated: moving text between them changes the token. */
static void test_fields_do_not_run_together(void **state)
{
	struct token_key key;
	char *a, *b;

	(void)state;
	fixed_key(&key);
	a = token_make(&key, TOKEN_UNSUBSCRIBE, "ab", "c@example.org");
	b = token_make(&key, TOKEN_UNSUBSCRIBE, "a", "bc@example.org");
	assert_string_not_equal(a, b);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "a",
				      "bc@example.org", a), 0);
	free(a);
	free(b);
}

static void test_email_case(void **state)
{
	struct token_key key;
	char *lower, *upper;

	(void)state;
	fixed_key(&key);
	lower = token_make(&key, TOKEN_UNSUBSCRIBE, "alice",
			   "alice@example.org");
	upper = token_make(&key, TOKEN_UNSUBSCRIBE, "alice",
			   "ALICE@Example.ORG");
	assert_string_equal(lower, upper);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "aLiCe@EXAMPLE.org", lower), 1);
	free(lower);
	free(upper);
	/* Only the address is folded: the subscriber id is exact. */
	lower = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "a@example.org");
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "Alice",
				      "a@example.org", lower), 0);
	free(lower);
}

static void test_every_changed_character_fails(void **state)
{
	struct token_key key;
	char *t, *bad;
	size_t i, k;

	(void)state;
	fixed_key(&key);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "alice@example.org");
	bad = xstrdup(t);
	for (i = 0; i < TOKEN_LEN; i++) {
		for (k = 0; k < strlen(ALPHABET); k++) {
			if (ALPHABET[k] == t[i])
				continue;
			bad[i] = ALPHABET[k];
			assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE,
						      "alice",
						      "alice@example.org",
						      bad), 0);
		}
		bad[i] = t[i];
	}
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", bad), 1);
	free(bad);
	free(t);
}

static void test_malformed(void **state)
{
	static const char *const junk[] = {
		"+", "/", "=", " ", "\n", "\xc3", "\xff", ".", "%",
	};
	struct token_key key;
	struct buf b = BUF_INIT;
	char *t, *bad;
	size_t i;

	(void)state;
	fixed_key(&key);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "alice@example.org");

	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", NULL), 0);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", ""), 0);
	/* Truncated by one and by all but one character. */
	bad = xstrndup(t, TOKEN_LEN - 1);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", bad), 0);
	free(bad);
	bad = xstrndup(t, 1);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", bad), 0);
	free(bad);
	/* Extended: with a character, with base64 padding, with a newline. */
	buf_addf(&b, "%sA", t);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", buf_str(&b)), 0);
	buf_reset(&b);
	buf_addf(&b, "%s=", t);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", buf_str(&b)), 0);
	buf_reset(&b);
	buf_addf(&b, "%s\n", t);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", buf_str(&b)), 0);
	buf_release(&b);
	/* Right length, a character outside the alphabet at each end. */
	for (i = 0; i < ARRAY_SIZE(junk); i++) {
		bad = xstrdup(t);
		bad[0] = junk[i][0];
		assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
					      "alice@example.org", bad), 0);
		bad[0] = t[0];
		bad[TOKEN_LEN - 1] = junk[i][0];
		assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
					      "alice@example.org", bad), 0);
		free(bad);
	}
	/* Standard base64's '+' and '/' are not accepted for '-' and '_'. */
	bad = xstrdup(t);
	for (i = 0; i < TOKEN_LEN; i++) {
		if (bad[i] == '-')
			bad[i] = '+';
		else if (bad[i] == '_')
			bad[i] = '/';
	}
	assert_string_not_equal(bad, t);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", bad), 0);
	free(bad);
	/* NULL fields and a purpose that does not exist verify nothing. */
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, NULL,
				      "alice@example.org", t), 0);
	assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice", NULL,
				      t), 0);
	assert_int_equal(token_verify(&key, (enum token_purpose)42, "alice",
				      "alice@example.org", t), 0);
	free(t);
}

/*
 * 43 characters carry 258 bits for a 256-bit MAC. A last character that
 * differs only in the two unused bits must not verify, or one MAC would
 * have four valid spellings.
 */
static void test_unused_bits(void **state)
{
	struct token_key key;
	char *t;
	const char *pos;
	size_t i;

	(void)state;
	fixed_key(&key);
	t = token_make(&key, TOKEN_UNSUBSCRIBE, "alice", "Alice@Example.org");
	pos = strchr(ALPHABET, t[TOKEN_LEN - 1]);
	assert_non_null(pos);
	assert_int_equal((pos - ALPHABET) & 3, 0);
	for (i = 1; i < 4; i++) {
		t[TOKEN_LEN - 1] = ALPHABET[(pos - ALPHABET) + (long)i];
		assert_int_equal(token_verify(&key, TOKEN_UNSUBSCRIBE, "alice",
					      "alice@example.org", t), 0);
	}
	free(t);
}

static void test_shape(void **state)
{
	struct token_key key;
	struct buf id = BUF_INIT, email = BUF_INIT;
	int i;

	(void)state;
	other_key(&key);
	for (i = 0; i < 300; i++) {
		char *t;

		buf_reset(&id);
		buf_reset(&email);
		buf_addf(&id, "sub%d", i);
		buf_addf(&email, "User.%d@Example.ORG", i * 7919);
		t = token_make(&key, (enum token_purpose)(i % 3),
			       buf_str(&id), buf_str(&email));
		assert_true(well_formed(t));
		assert_int_equal(token_verify(&key, (enum token_purpose)(i % 3),
					      buf_str(&id), buf_str(&email), t),
				 1);
		free(t);
	}
	/* Empty fields still sign and verify; they are just values. */
	{
		char *t = token_make(&key, TOKEN_TEST, "", "");
		assert_true(well_formed(t));
		assert_int_equal(token_verify(&key, TOKEN_TEST, "", "", t), 1);
		free(t);
	}
	buf_release(&id);
	buf_release(&email);
}

/* ---- the secret file ---- */

struct tmp {
	char dir[64];
};

static int setup_dir(void **state)
{
	struct tmp *t = xcalloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/paperboy-token-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown_dir(void **state)
{
	struct tmp *t = *state;
	struct buf cmd = BUF_INIT;
	int rc;

	buf_addf(&cmd, "rm -rf '%s'", t->dir);
	rc = system(buf_str(&cmd));
	buf_release(&cmd);
	free(t);
	return rc == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t len,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, data, len), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_secret_created_and_reused(void **state)
{
	struct tmp *tmp = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct token_key k1, k2, zero;
	struct buf raw = BUF_INIT;
	struct stat st;
	char *dir = util_path_join(tmp->dir, "state/keys");
	char *path = util_path_join(dir, "secret.key");
	char *t1, *t2;
	mode_t old;

	/* Even with a permissive umask the secret is private. */
	old = umask(0);
	assert_int_equal(token_load_key(path, &k1, &eb), 0);
	umask(old);

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, TOKEN_SECRET_BYTES);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* No temporary file is left beside it. */
	assert_int_equal(count_files(dir), 1);
	/* What is in memory is what is on disk, and it is not all zeros. */
	assert_int_equal(util_read_file(path, &raw, &eb), 0);
	assert_int_equal(raw.len, TOKEN_SECRET_BYTES);
	assert_memory_equal(raw.data, k1.secret, TOKEN_SECRET_BYTES);
	memset(&zero, 0, sizeof(zero));
	assert_memory_not_equal(k1.secret, zero.secret, TOKEN_SECRET_BYTES);

	/* A second load reads the same secret: links stay valid. */
	t1 = token_make(&k1, TOKEN_UNSUBSCRIBE, "alice", "alice@example.org");
	assert_int_equal(token_load_key(path, &k2, &eb), 0);
	t2 = token_make(&k2, TOKEN_UNSUBSCRIBE, "alice", "alice@example.org");
	assert_string_equal(t1, t2);
	assert_int_equal(token_verify(&k2, TOKEN_UNSUBSCRIBE, "alice",
				      "alice@example.org", t1), 1);
	assert_int_equal(count_files(dir), 1);

	token_key_wipe(&k1);
	assert_memory_equal(k1.secret, zero.secret, TOKEN_SECRET_BYTES);
	token_key_wipe(&k2);
	free(t1);
	free(t2);
	buf_release(&raw);
	free(path);
	free(dir);
}

/* Two lists never share a secret by accident. */
static void test_secrets_differ(void **state)
{
	struct tmp *tmp = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct token_key k1, k2;
	char *p1 = util_path_join(tmp->dir, "one.key");
	char *p2 = util_path_join(tmp->dir, "two.key");

	assert_int_equal(token_load_key(p1, &k1, &eb), 0);
	assert_int_equal(token_load_key(p2, &k2, &eb), 0);
	assert_memory_not_equal(k1.secret, k2.secret, TOKEN_SECRET_BYTES);
	free(p1);
	free(p2);
}

static void test_secret_modes_refused(void **state)
{
	static const mode_t bad[] = { 0640, 0604, 0660, 0644, 0610, 0601 };
	struct tmp *tmp = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct token_key key;
	struct buf hint = BUF_INIT;
	unsigned char secret[TOKEN_SECRET_BYTES] = { 1, 2, 3 };
	char *path = util_path_join(tmp->dir, "secret.key");
	size_t i;

	buf_addf(&hint, "chmod 600 %s", path);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		write_file(path, secret, sizeof(secret), bad[i]);
		errbuf_clear(&eb);
		assert_int_equal(token_load_key(path, &key, &eb), -1);
		assert_int_equal(strncmp(eb.msg, path, strlen(path)), 0);
		assert_non_null(strstr(eb.msg, buf_str(&hint)));
		/* The file was refused, not replaced. */
		{
			struct stat st;
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 07777, bad[i]);
		}
	}
	/* After the suggested fix it loads, and is the same secret. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(token_load_key(path, &key, &eb), 0);
	assert_memory_equal(key.secret, secret, sizeof(secret));
	/* Stricter than 0600 is fine too. */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(token_load_key(path, &key, &eb), 0);
	assert_memory_equal(key.secret, secret, sizeof(secret));
	buf_release(&hint);
	free(path);
}

static void test_secret_wrong_size_refused(void **state)
{
	static const size_t sizes[] = { 0, 1, TOKEN_SECRET_BYTES - 1,
					TOKEN_SECRET_BYTES + 1, 64 };
	struct tmp *tmp = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct token_key key;
	unsigned char data[64];
	char *path = util_path_join(tmp->dir, "secret.key");
	size_t i;

	memset(data, 'k', sizeof(data));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct stat st;

		write_file(path, data, sizes[i], 0600);
		errbuf_clear(&eb);
		assert_int_equal(token_load_key(path, &key, &eb), -1);
		assert_int_equal(strncmp(eb.msg, path, strlen(path)), 0);
		assert_non_null(strstr(eb.msg, "expected exactly 32"));
		/* An empty or short file is not silently replaced. */
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal((size_t)st.st_size, sizes[i]);
	}
	free(path);
}

static void test_secret_not_regular_refused(void **state)
{
	struct tmp *tmp = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct token_key key;
	unsigned char secret[TOKEN_SECRET_BYTES] = { 9 };
	char *real = util_path_join(tmp->dir, "real.key");
	char *sym = util_path_join(tmp->dir, "link.key");
	char *dangling = util_path_join(tmp->dir, "dangling.key");
	char *dir = util_path_join(tmp->dir, "dir.key");
	char *fifo = util_path_join(tmp->dir, "fifo.key");
	struct stat st;

	/* A symlink to a perfectly good secret is still refused. */
	write_file(real, secret, sizeof(secret), 0600);
	assert_int_equal(symlink(real, sym), 0);
	assert_int_equal(token_load_key(sym, &key, &eb), -1);
	assert_int_equal(strncmp(eb.msg, sym, strlen(sym)), 0);
	assert_non_null(strstr(eb.msg, "symbolic link"));
	/* A dangling one is refused, and nothing is created at its target. */
	assert_int_equal(symlink("nowhere.key", dangling), 0);
	errbuf_clear(&eb);
	assert_int_equal(token_load_key(dangling, &key, &eb), -1);
	assert_non_null(strstr(eb.msg, "symbolic link"));
	{
		char *target = util_path_join(tmp->dir, "nowhere.key");
		assert_int_equal(lstat(target, &st), -1);
		free(target);
	}
	/* A folder. */
	assert_int_equal(mkdir(dir, 0700), 0);
	errbuf_clear(&eb);
	assert_int_equal(token_load_key(dir, &key, &eb), -1);
	assert_int_equal(strncmp(eb.msg, dir, strlen(dir)), 0);
	assert_non_null(strstr(eb.msg, "not a regular file"));
	/* A FIFO: refused without hanging on the open. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	errbuf_clear(&eb);
	assert_int_equal(token_load_key(fifo, &key, &eb), -1);
	assert_non_null(strstr(eb.msg, "not a regular file"));

	free(real);
	free(sym);
	free(dangling);
	free(dir);
	free(fifo);
}

/* Processes that start at once on a missing secret (ROUNDS times). */
#define RACERS 12
#define ROUNDS 10

/*
 * RACERS processes load the same missing secret at the same moment (they
 * all wait on one pipe): they must all end up with the secret that is on
 * disk, or links signed by the loser would never verify.
 */
static void test_secret_creation_race(void **state)
{
	struct tmp *tmp = *state;
	int round;

	for (round = 0; round < ROUNDS; round++) {
		struct errbuf eb = ERRBUF_INIT;
		struct token_key disk;
		struct buf name = BUF_INIT;
		unsigned char got[RACERS][TOKEN_SECRET_BYTES];
		int go[2], res[2], i, status;
		char *path;

		buf_addf(&name, "race%d/secret.key", round);
		path = util_path_join(tmp->dir, buf_str(&name));
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(res), 0);
		for (i = 0; i < RACERS; i++) {
			pid_t pid = fork();
			char c;

			assert_true(pid >= 0);
			if (pid)
				continue;
			close(go[1]);
			close(res[0]);
			if (read(go[0], &c, 1) != 0)
				_exit(2);
			if (token_load_key(path, &disk, &eb) < 0)
				_exit(1);
			/* One write of 32 bytes to a pipe is atomic. */
			if (write(res[1], disk.secret, TOKEN_SECRET_BYTES) !=
			    TOKEN_SECRET_BYTES)
				_exit(1);
			_exit(0);
		}
		close(go[0]);
		close(res[1]);
		close(go[1]); /* start */
		for (i = 0; i < RACERS; i++) {
			assert_int_equal(read(res[0], got[i],
					      TOKEN_SECRET_BYTES),
					 TOKEN_SECRET_BYTES);
		}
		close(res[0]);
		for (i = 0; i < RACERS; i++) {
			assert_true(wait(&status) > 0);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_int_equal(token_load_key(path, &disk, &eb), 0);
		for (i = 0; i < RACERS; i++)
			assert_memory_equal(got[i], disk.secret,
					    TOKEN_SECRET_BYTES);
		free(path);
		buf_release(&name);
	}
}

static void test_secret_cannot_create(void **state)
{
	struct tmp *tmp = *state;
	struct errbuf eb = ERRBUF_INIT;
	struct token_key key;
	char *file = util_path_join(tmp->dir, "plain");
	char *path = util_path_join(file, "secret.key");

	/* The folder would have to be made inside a regular file. */
	write_file(file, "x", 1, 0600);
	assert_int_equal(token_load_key(path, &key, &eb), -1);
	assert_non_null(strstr(eb.msg, file));
	free(file);
	free(path);
}

#define VERP_FORM "digest+bounce-{id}@example.org"

static void test_verp_round_trip(void **state)
{
	struct token_key key;
	struct errbuf eb = ERRBUF_INIT;
	char *a, *b, *id, *br;
	const char *sig;

	(void)state;
	fixed_key(&key);
	a = token_verp_make(&key, VERP_FORM, "alice", &eb);
	assert_non_null(a);
	assert_true(!strncmp(a, "digest+bounce-alice-", 20));
	assert_true(util_ends_with(a, "@example.org"));
	sig = a + 20;
	assert_int_equal(strspn(sig, "0123456789abcdef"), TOKEN_VERP_SIG_LEN);
	assert_int_equal(strlen(a), 20 + TOKEN_VERP_SIG_LEN + 12);
	/* The same id always gets the same address; another id another. */
	b = token_verp_make(&key, VERP_FORM, "alice", &eb);
	assert_string_equal(a, b);
	free(b);
	b = token_verp_make(&key, VERP_FORM, "alicf", &eb);
	assert_string_not_equal(a + 20, b + 20);
	assert_int_equal(token_verp_parse(&key, VERP_FORM, a, &id), 1);
	assert_string_equal(id, "alice");
	free(id);
	/* Angle brackets, and a server that upper-cased it all. */
	br = xstrdup("<");
	br = xrealloc(br, strlen(a) + 3);
	strcat(br, a);
	strcat(br, ">");
	assert_int_equal(token_verp_parse(&key, VERP_FORM, br, &id), 1);
	assert_string_equal(id, "alice");
	free(id);
	for (size_t i = 0; br[i]; i++)
		if (br[i] >= 'a' && br[i] <= 'z' && (br + i < strchr(br, '-') ||
						     br + i > strchr(br, '@')))
			br[i] = (char)(br[i] - 'a' + 'A');
	assert_int_equal(token_verp_parse(&key, VERP_FORM, br, &id), 1);
	assert_string_equal(id, "alice");
	free(id);
	free(br);
	/* An id with '-' and '.' in it reads back whole. */
	free(b);
	b = token_verp_make(&key, VERP_FORM, "x-y.z_1", &eb);
	assert_int_equal(token_verp_parse(&key, VERP_FORM, b, &id), 1);
	assert_string_equal(id, "x-y.z_1");
	free(id);
	free(b);
	free(a);
}

static void expect_refused(const struct token_key *key, const char *addr)
{
	char *id = (char *)"unchanged";

	if (token_verp_parse(key, VERP_FORM, addr, &id) != 0 || id)
		fail_msg("\"%s\" was taken for a VERP address", addr);
}

static void test_verp_forged(void **state)
{
	struct token_key key, other;
	struct errbuf eb = ERRBUF_INIT;
	char *a, *f, *sig;
	size_t i;

	(void)state;
	fixed_key(&key);
	other_key(&other);
	a = token_verp_make(&key, VERP_FORM, "alice", &eb);
	/* Every flipped signature digit is refused. */
	f = xstrdup(a);
	sig = f + 20;
	for (i = 0; i < TOKEN_VERP_SIG_LEN; i++) {
		char c = sig[i];

		sig[i] = c == '0' ? '1' : '0';
		expect_refused(&key, f);
		sig[i] = c;
	}
	assert_int_equal(token_verp_parse(&key, VERP_FORM, f, &sig), 1);
	free(sig);
	/* Another list's key, another id with this signature. */
	expect_refused(&other, a);
	memcpy(f + 14, "alicf", 5);
	expect_refused(&key, f);
	free(f);
	/* Made-up, truncated, extended or wrongly placed. */
	expect_refused(&key, "digest+bounce-alice-0000000000000000@example.org");
	expect_refused(&key, "digest+bounce-alice@example.org");
	expect_refused(&key, "digest@example.org");
	expect_refused(&key, "");
	f = xstrdup(a);
	f[strlen(f) - 13] = '\0';
	strcat(f, "@example.org");
	expect_refused(&key, f);
	free(f);
	f = xmalloc(strlen(a) + 8);
	strcpy(f, a);
	strcpy(strchr(f, '@'), "@example.net");
	expect_refused(&key, f);
	strcpy(f, a);
	strcpy(strchr(f, '@'), "0@example.org");
	expect_refused(&key, f);
	strcpy(f, "x");
	strcat(f, a);
	expect_refused(&key, f);
	free(f);
	/* An id with a character ids never have, even if "signed". */
	expect_refused(&key, "digest+bounce-a/b-0123456789abcdef@example.org");
	expect_refused(&key, "digest+bounce--0123456789abcdef@example.org");
	free(a);
}

static void test_verp_bad_form(void **state)
{
	struct token_key key;
	struct errbuf eb = ERRBUF_INIT;
	char *id;

	(void)state;
	fixed_key(&key);
	assert_int_equal(token_verp_check_form(VERP_FORM, &eb), 0);
	assert_int_equal(token_verp_check_form("bounces-{id}@x.org", &eb), 0);
	assert_int_equal(token_verp_check_form("digest@example.org", &eb), -1);
	assert_non_null(strstr(eb.msg, "no \"{id}\""));
	assert_int_equal(token_verp_check_form("a{id}{id}@x.org", &eb), -1);
	assert_int_equal(token_verp_check_form("a@{id}.org", &eb), -1);
	assert_int_equal(token_verp_check_form("a{id}", &eb), -1);
	assert_int_equal(token_verp_check_form("a {id}@x.org", &eb), -1);
	assert_int_equal(token_verp_check_form("<a{id}@x.org>", &eb), -1);
	assert_int_equal(token_verp_check_form("a{id}@x@y.org", &eb), -1);
	assert_null(token_verp_make(&key, "nope@x.org", "alice", &eb));
	assert_null(token_verp_make(&key, VERP_FORM, "a b", &eb));
	assert_int_equal(token_verp_parse(&key, "nope@x.org", "nope@x.org",
					  &id), 0);
	assert_null(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_key_change),
		cmocka_unit_test(test_known_answer_openssl),
		cmocka_unit_test(test_binds_every_field),
		cmocka_unit_test(test_fields_do_not_run_together),
		cmocka_unit_test(test_email_case),
		cmocka_unit_test(test_every_changed_character_fails),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unused_bits),
		cmocka_unit_test(test_shape),
		cmocka_unit_test_setup_teardown(test_secret_created_and_reused,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secrets_differ, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_modes_refused,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_wrong_size_refused,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_not_regular_refused,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_creation_race,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_cannot_create,
						setup_dir, teardown_dir),
		cmocka_unit_test(test_verp_round_trip),
		cmocka_unit_test(test_verp_forged),
		cmocka_unit_test(test_verp_bad_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
