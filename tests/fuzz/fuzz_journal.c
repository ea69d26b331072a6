/*
 * fuzz_journal: hostile bytes as a day's journal file.
 *
 * The input is written as DIR/2026-01-02 in a private temp folder and
 * opened. A refusal must name the file. A journal that opens must hold
 * only valid states and clean fields; one more record (with a hostile
 * reply taken from the input) must append, and the file must then reopen
 * to the same states plus that record: whatever was in the file, an
 * append never makes it unreadable.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "buf.h"
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

#define DAY "2026-01-02"
/* Bytes of the input used as the appended record's reply: a little past
 * JOURNAL_MAX_REPLY, so that the cut is exercised. */
#define FUZZ_REPLY_BYTES (JOURNAL_MAX_REPLY + 64)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[256];
static char *dir, *path;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
	rmdir(base);
}

static void init(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	/* tmpfs when there is one: every open and append fsyncs. */
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode))
		tmp = "/dev/shm";
	else if (!tmp || !tmp[0])
		tmp = "/tmp";
	snprintf(base, sizeof(base), "%s/fuzz_journal.XXXXXX", tmp);
	CHECK(mkdtemp(base));
	dir = util_path_join(base, "journal");
	path = util_path_join(dir, DAY);
	atexit(cleanup);
}

static void write_input(const uint8_t *data, size_t size)
{
	struct errbuf eb = ERRBUF_INIT;
	int fd;

	CHECK(util_mkdir_p(dir, 0700, &eb) == 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(util_write_all(fd, (const char *)data, size) == 0);
	CHECK(close(fd) == 0);
}

static int clean_field(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return n <= max;
}

/* The states seen, as "id state message-id reply\n" lines. */
struct seen {
	const struct journal *j;
	struct buf text;
	size_t n;
};

static void check_entry(const char *sub, enum journal_state state,
			const char *mid, const char *reply, void *ctx)
{
	struct seen *s = ctx;
	const char *mid2, *reply2;

	CHECK(state == JOURNAL_SENT || state == JOURNAL_FAILED ||
	      state == JOURNAL_DEFERRED || state == JOURNAL_IN_DOUBT);
	CHECK(sub[0] && clean_field(sub, 255));
	CHECK(mid && clean_field(mid, 998));
	CHECK(reply && clean_field(reply, JOURNAL_MAX_REPLY));
	CHECK(journal_state(s->j, sub, &mid2, &reply2) == state);
	CHECK(mid2 == mid && reply2 == reply);
	buf_addf(&s->text, "%s %s %s %s\n", sub, journal_state_name(state), mid,
		 reply);
	s->n++;
}

static void collect(const struct journal *j, struct seen *s)
{
	s->j = j;
	s->n = 0;
	buf_init(&s->text, BUF_DEFAULT_LIMIT);
	journal_foreach(j, check_entry, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = ERRBUF_INIT;
	struct journal *j = NULL;
	struct seen before, after, reread;
	const char *mid, *reply;
	char *hostile, *kept_reply;
	enum journal_state prev;

	if (!dir)
		init();
	write_input(data, size);
	if (journal_open(dir, DAY, &j, &eb) < 0) {
		CHECK(!j);
		CHECK(!strncmp(eb.msg, path, strlen(path)) &&
		      eb.msg[strlen(path)] == ':');
		return 0;
	}
	collect(j, &before);
	CHECK(journal_state(j, "no-such.subscriber", &mid, &reply) ==
		  JOURNAL_NONE &&
	      !mid && !reply);

	hostile = xstrndup((const char *)data,
			   size < FUZZ_REPLY_BYTES ? size : FUZZ_REPLY_BYTES);
	prev = journal_state(j, "fuzz-sub", NULL, NULL);
	CHECK(journal_attempt(j, "fuzz-sub", hostile, &eb) == 0);
	CHECK(journal_result(j, "fuzz-sub", JOURNAL_SENT, "<f@x>", hostile,
			     &eb) == 0);
	CHECK(journal_state(j, "fuzz-sub", &mid, &reply) == JOURNAL_SENT);
	CHECK(!strcmp(mid, "<f@x>") && clean_field(reply, JOURNAL_MAX_REPLY));
	CHECK(util_utf8_valid(reply, strlen(reply)) || !reply[0]);
	kept_reply = xstrdup(reply);
	collect(j, &after);
	journal_close(j);

	CHECK(after.n == before.n + (prev == JOURNAL_NONE));

	/* Reading back gives exactly what memory held after the append. */
	CHECK(journal_open(dir, DAY, &j, &eb) == 0);
	CHECK(journal_state(j, "fuzz-sub", &mid, &reply) == JOURNAL_SENT);
	CHECK(!strcmp(reply, kept_reply));
	collect(j, &reread);
	CHECK(reread.text.len == after.text.len &&
	      !memcmp(reread.text.data, after.text.data, after.text.len));
	journal_close(j);
	buf_release(&reread.text);
	buf_release(&before.text);
	buf_release(&after.text);
	free(kept_reply);
	free(hostile);
	return 0;
}
