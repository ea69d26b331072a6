/*
 * Unit tests for subs_status.c: unsubscribing and resubscribing edit only
 * the status and unsubscribed_at settings (exact bytes of hand-written
 * profiles before and after), a repeated change is a no-op that keeps the
 * file, an edit that would not load is refused, a failed write (here
 * RLIMIT_FSIZE) leaves the old file, and concurrent processes never leave
 * or show a half-written profile. Then the unsubscribe log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "strv.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"
#include "unit_fs.h"
#include "banned.h"

#define WHEN "2026-01-05T10:00:00Z"

/* A fresh folder per test. */
struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_subs_status.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_tree(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b;

	buf_init(&b, BUF_DEFAULT_LIMIT);
	if (util_read_file(path, &b, &eb) < 0)
		fail_msg("%s", eb.msg);
	return buf_detach(&b, NULL);
}

static char *put(const struct fixture *f, const char *name, const char *text,
		 unsigned mode)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = util_path_join(f->dir, name);

	assert_int_equal(util_write_atomic(path, text, strlen(text), mode, &eb),
			 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void expect_text(const char *path, const char *want)
{
	char *got = slurp(path);

	if (strcmp(got, want))
		fail_msg("%s is\n---\n%s---\nwanted\n---\n%s---", path, got,
			 want);
	free(got);
}

static void set_ok(const char *path, enum subs_status st, const char *when,
		   int want_changed)
{
	struct errbuf eb = ERRBUF_INIT;
	int changed = -1;

	if (subs_set_status(path, st, when, &changed, &eb) < 0)
		fail_msg("subs_set_status: %s", eb.msg);
	assert_int_equal(changed, want_changed);
}

static void expect_status(const char *path, enum subs_status want)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber s;

	if (subs_load_file(path, &s, &eb) < 0)
		fail_msg("subs_load_file: %s", eb.msg);
	assert_int_equal(s.status, want);
	subs_release(&s);
}

/* Nothing but the profiles: no lock file (its holder removes it), no
 * temporary file, no scratch folder left behind. */
static void expect_clean(const struct fixture *f, size_t profiles,
			 size_t want_locks)
{
	struct dirent *de;
	DIR *d = opendir(f->dir);
	size_t cfg = 0, locks = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_name[0] == '.' &&
		    util_ends_with(de->d_name, ".lock"))
			locks++;
		else if (util_ends_with(de->d_name, ".cfg"))
			cfg++;
		else
			fail_msg("left behind: %s", de->d_name);
	}
	closedir(d);
	assert_int_equal(cfg, profiles);
	assert_int_equal(locks, want_locks);
}

/* Comments (some mentioning status), odd spacing, a trailing comment on
 * the status line, decoys inside strings and groups, lists spanning lines
 * before and after. */
#define HAND_HEAD                                                            \
	"# Alice's profile -- written by hand\n"                            \
	"name   =   \"Alice Example\" ;   // display name\n"                \
	"email:\"alice@example.org\";\n"                                     \
	"/* status = \"active\"; in a block comment\n"                      \
	"   must stay as it is */\n"                                         \
	"categories = [ \"cs.LG\",\n"                                        \
	"               \"stat.ML\" ];   # two\n"                            \
	"\t\n"
#define HAND_STATUS_OLD "status   =   \"active\";"
#define HAND_TAIL                                                            \
	"   # note: paperboy writes this\n"                                  \
	"authors = (\n"                                                      \
	"\t\"Yoshua Bengio\",\n"                                             \
	"\t\"Tatsunori Hashimoto\"\n"                                        \
	");\n"                                                               \
	"topics = ( { name = \"status\";\n"                                  \
	"             keywords = [\"status = \\\"active\\\";\"]; } );\n"     \
	"criteria = \"status = \\\"active\\\";\n"                            \
	"  unsubscribed_at = 1;\";\n"                                        \
	"min_relevance = 5;   max_papers = 30; # the end\n"

static const char hand[] = HAND_HEAD HAND_STATUS_OLD HAND_TAIL;

static void test_unsubscribe_hand_written(void **state)
{
	static const char unsub[] =
	    HAND_HEAD "status = \"unsubscribed\";" HAND_TAIL
		      "unsubscribed_at = \"" WHEN "\";\n";
	static const char resub[] =
	    HAND_HEAD "status = \"active\";" HAND_TAIL;
	struct fixture *f = *state;
	char *path = put(f, "alice.cfg", hand, 0644);

	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	expect_text(path, unsub);
	expect_status(path, SUBS_UNSUBSCRIBED);

	set_ok(path, SUBS_ACTIVE, NULL, 1);
	expect_text(path, resub);
	expect_status(path, SUBS_ACTIVE);
	expect_clean(f, 1, 0);
	free(path);
}

/* Bouncing changes the status line only, and comes back to active. */
static void test_bouncing_hand_written(void **state)
{
	static const char bouncing[] =
	    HAND_HEAD "status = \"bouncing\";" HAND_TAIL;
	static const char resub[] =
	    HAND_HEAD "status = \"active\";" HAND_TAIL;
	struct fixture *f = *state;
	char *path = put(f, "alice.cfg", hand, 0644);

	set_ok(path, SUBS_BOUNCING, NULL, 1);
	expect_text(path, bouncing);
	expect_status(path, SUBS_BOUNCING);
	set_ok(path, SUBS_BOUNCING, NULL, 0);
	expect_text(path, bouncing);
	set_ok(path, SUBS_ACTIVE, NULL, 1);
	expect_text(path, resub);
	expect_clean(f, 1, 0);
	free(path);
}

#define BOB_AUTHORS "authors = [\"Yoshua Bengio\"];\n"

/* Other settings on the status line, before and after it. */
static void test_same_line(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "bob.cfg",
			 "name = \"Bob\"; status=\"active\"; "
			 "email = \"bob@example.org\";\n" BOB_AUTHORS, 0600);

	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	expect_text(path, "name = \"Bob\"; status = \"unsubscribed\"; "
			  "email = \"bob@example.org\";\n" BOB_AUTHORS
			  "unsubscribed_at = \"" WHEN "\";\n");
	set_ok(path, SUBS_ACTIVE, NULL, 1);
	expect_text(path, "name = \"Bob\"; status = \"active\"; "
			  "email = \"bob@example.org\";\n" BOB_AUTHORS);
	free(path);
}

/* unsubscribed_at sharing its line: removed with only its own blanks. */
static void test_resubscribe_same_line(void **state)
{
	static const struct {
		const char *before, *after;
	} cases[] = {
	    { "status = \"unsubscribed\"; unsubscribed_at = \"x\";  # when\n",
	      "status = \"active\"; # when\n" },
	    { "  unsubscribed_at = \"x\"; status = \"unsubscribed\";\n",
	      "  status = \"active\";\n" },
	    { "status = \"unsubscribed\";\t unsubscribed_at = \"x\" ;\t\n",
	      "status = \"active\";\n" },
	    { "status = \"unsubscribed\";\r\nunsubscribed_at = \"x\";\r\n",
	      "status = \"active\";\r\n" },
	    { "status = \"unsubscribed\";\n\t unsubscribed_at =\n\"x\"\n;\n",
	      "status = \"active\";\n" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf in = BUF_INIT, out = BUF_INIT;
		char *path;

		buf_addf(&in, "email = \"c@example.org\";\n%s" BOB_AUTHORS,
			 cases[i].before);
		buf_addf(&out, "email = \"c@example.org\";\n%s" BOB_AUTHORS,
			 cases[i].after);
		path = put(f, "carol.cfg", buf_str(&in), 0644);
		set_ok(path, SUBS_ACTIVE, NULL, 1);
		expect_text(path, buf_str(&out));
		free(path);
		buf_release(&in);
		buf_release(&out);
	}
}

/* The other ways libconfig lets one write the setting. */
static void test_other_syntax(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "dan.cfg",
			 "email = \"d@example.org\";\n"
			 "status : \"act\" \"ive\",  // joined\n"
			 "unsubscribed_at =\n  \"long ago\"\n;\n" BOB_AUTHORS,
			 0644);

	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	expect_text(path, "email = \"d@example.org\";\n"
			  "status = \"unsubscribed\";  // joined\n"
			  "unsubscribed_at = \"" WHEN "\";\n" BOB_AUTHORS);
	free(path);
}

/* No status line (the default is active): appended at the end, after a
 * newline the file lacked. */
static void test_missing_status(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "erin.cfg",
			 "email = \"e@example.org\"; # no status\n"
			 "authors = [\"A\",\n\"B\"]", 0644);

	set_ok(path, SUBS_ACTIVE, NULL, 0);
	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	expect_text(path, "email = \"e@example.org\"; # no status\n"
			  "authors = [\"A\",\n\"B\"]\n"
			  "status = \"unsubscribed\";\n"
			  "unsubscribed_at = \"" WHEN "\";\n");
	set_ok(path, SUBS_ACTIVE, NULL, 1);
	expect_text(path, "email = \"e@example.org\"; # no status\n"
			  "authors = [\"A\",\n\"B\"]\n"
			  "status = \"active\";\n");
	free(path);

	/* A file with CRLF line ends gets CRLF lines. */
	path = put(f, "erin.cfg", "email = \"e@example.org\"; // no status\r\n"
				  "authors = [\"A\"]", 0644);
	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	expect_text(path, "email = \"e@example.org\"; // no status\r\n"
			  "authors = [\"A\"]\r\n"
			  "status = \"unsubscribed\";\r\n"
			  "unsubscribed_at = \"" WHEN "\";\r\n");
	free(path);
}

static void expect_untouched(const char *path, const struct stat *before,
			     const char *text)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, before->st_ino);
	assert_int_equal(st.st_mtim.tv_sec, before->st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, before->st_mtim.tv_nsec);
	expect_text(path, text);
}

/* Setting the status it has: *changed = 0 and the same file (inode,
 * bytes, mtime), also when the date differs. */
static void test_idempotent(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "alice.cfg", hand, 0644), *text;
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	set_ok(path, SUBS_ACTIVE, NULL, 0);
	expect_untouched(path, &st, hand);

	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	text = slurp(path);
	assert_int_equal(stat(path, &st), 0);
	set_ok(path, SUBS_UNSUBSCRIBED, "2026-02-01T00:00:00Z", 0);
	expect_untouched(path, &st, text);
	assert_non_null(strstr(text, WHEN));
	free(text);
	free(path);
}

/* The profile keeps its mode whatever the umask. */
static void test_mode_kept(void **state)
{
	struct fixture *f = *state;
	char *path = put(f, "alice.cfg", hand, 0664);
	mode_t old = umask(077);
	struct stat st;

	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0664);
	free(path);
}

static void expect_refused(const struct fixture *f, const char *name,
			   const char *text, enum subs_status st,
			   const char *when, const char *want)
{
	struct errbuf eb = ERRBUF_INIT;
	char *path = put(f, name, text, 0644);
	struct stat before;
	int changed = -1;

	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(subs_set_status(path, st, when, &changed, &eb), -1);
	assert_int_equal(changed, 0);
	if (!strstr(eb.msg, want))
		fail_msg("expected \"%s\" in \"%s\"", want, eb.msg);
	expect_untouched(path, &before, text);
	expect_clean(f, 1, 0);
	free(path);
}

/* Refused, with the file as it was and nothing left behind. */
static void test_refused(void **state)
{
	struct fixture *f = *state;
	char *path, *link;

	/* Valid, but a comment stands between the value and its ';': the
	 * edit would not parse, so it is not installed. */
	expect_refused(f, "p.cfg",
		       "email = \"p@example.org\";\n" BOB_AUTHORS
		       "status = \"active\" /* not yet */ ;\n",
		       SUBS_UNSUBSCRIBED, WHEN,
		       "p.cfg:3: syntax error (after the edit; the file "
		       "was not changed)");
	/* Parses, but is no valid profile, before or after. */
	expect_refused(f, "p.cfg",
		       "email = \"not an address\";\n" BOB_AUTHORS
		       "status = \"active\";\n",
		       SUBS_UNSUBSCRIBED, WHEN,
		       "p.cfg:1: 'email' is not a valid address");
	expect_refused(f, "p.cfg", "email = \"p@example.org\";\nstatus = 1;\n",
		       SUBS_UNSUBSCRIBED, WHEN, "p.cfg:2: 'status' must be a "
		       "string");
	expect_refused(f, "p.cfg", "email = \"p@example.org\"\nstatus = ;\n",
		       SUBS_UNSUBSCRIBED, WHEN, "p.cfg:2: syntax error");
	expect_refused(f, "p.cfg",
		       "email = \"p@example.org\";\n" BOB_AUTHORS,
		       SUBS_UNSUBSCRIBED, "2026\"; status = \"active",
		       "invalid unsubscribe date");
	expect_refused(f, "p.cfg",
		       "email = \"p@example.org\";\n" BOB_AUTHORS,
		       SUBS_UNSUBSCRIBED, NULL, "invalid unsubscribe date");
	expect_refused(f, "p.cfg",
		       "email = \"p@example.org\";\n" BOB_AUTHORS
		       "unsubscribed_at = 5;\n",
		       SUBS_UNSUBSCRIBED, WHEN,
		       "p.cfg:3: cannot edit 'unsubscribed_at'");

	/* A symlink would be replaced by a copy: refused. */
	path = put(f, "real.cfg", hand, 0644);
	link = util_path_join(f->dir, "alias.cfg");
	assert_int_equal(symlink(path, link), 0);
	{
		struct errbuf eb = ERRBUF_INIT;
		int changed;

		assert_int_equal(subs_set_status(link, SUBS_UNSUBSCRIBED, WHEN,
						 &changed, &eb), -1);
		assert_non_null(strstr(eb.msg, "not a regular file"));
	}
	expect_text(path, hand);
	unlink(link);
	/* A missing profile: an error naming it, and no lock file made
	 * for it (nor for the symlink). */
	{
		struct errbuf eb = ERRBUF_INIT;
		char *none = util_path_join(f->dir, "nobody.cfg");
		int changed;

		assert_int_equal(subs_set_status(none, SUBS_UNSUBSCRIBED, WHEN,
						 &changed, &eb), -1);
		assert_non_null(strstr(eb.msg, "nobody.cfg: No such file"));
		free(none);
	}
	expect_clean(f, 2, 0);
	free(link);
	free(path);
}

/* The disk fills up (RLIMIT_FSIZE stands in for ENOSPC: the write fails
 * part way): -1, the old profile intact, no temporary file left; and it
 * works once there is room. */
static void test_write_failure(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *path = put(f, "alice.cfg", hand, 0644);
	struct rlimit old, lim;
	void (*old_handler)(int);
	struct stat before;
	int r, set, changed = -1;

	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 64;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	/* Nothing may print while the limit holds: stdout may be a file. */
	set = setrlimit(RLIMIT_FSIZE, &lim);
	r = subs_set_status(path, SUBS_UNSUBSCRIBED, WHEN, &changed, &eb);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(set, 0);

	assert_int_equal(r, -1);
	assert_int_equal(changed, 0);
	if (!strstr(eb.msg, strerror(EFBIG)))
		fail_msg("unexpected message: %s", eb.msg);
	expect_untouched(path, &before, hand);
	expect_clean(f, 1, 0);

	set_ok(path, SUBS_UNSUBSCRIBED, WHEN, 1);
	expect_status(path, SUBS_UNSUBSCRIBED);
	free(path);
}

/*
 * Collects the exit codes of those of pids[0..n) that have ended (a pid
 * is zeroed once collected); returns how many still run. Waiting for
 * these pids only, so a test never counts another test's children.
 */
static size_t reap(pid_t *pids, int *codes, size_t n)
{
	size_t i, running = 0;

	for (i = 0; i < n; i++) {
		int status;
		pid_t r;

		if (!pids[i])
			continue;
		r = waitpid(pids[i], &status, WNOHANG);
		if (!r) {
			running++;
			continue;
		}
		assert_int_equal(r, pids[i]);
		assert_true(WIFEXITED(status));
		codes[i] = WEXITSTATUS(status);
		pids[i] = 0;
	}
	return running;
}

#define RACE_HEAD                                                            \
	"# shared by everybody\n"                                            \
	"email = \"race@example.org\"; // address\n"                         \
	"status = "
#define RACE_TAIL                                                            \
	"   # flipped all the time\n"                                        \
	"authors = [\"Yoshua Bengio\",\n"                                    \
	"           \"Tatsunori Hashimoto\"];\n"

static const char race_active[] =
	RACE_HEAD "\"active\";" RACE_TAIL;
static const char race_unsub[] =
	RACE_HEAD "\"unsubscribed\";" RACE_TAIL "unsubscribed_at = \"";

/* 1 if text is the race profile in one of its two states. */
static int race_shape(const char *text)
{
	size_t n = strlen(race_unsub);
	const char *end;

	if (!strcmp(text, race_active))
		return 1;
	if (strncmp(text, race_unsub, n))
		return 0;
	end = strchr(text + n, '"');
	return end && !strcmp(end, "\";\n");
}

/*
 * Twenty processes flip one profile twenty times each while this one
 * reads it over and over: every read is a whole, valid profile in one of
 * its two shapes, and so is the end result.
 */
static void test_concurrent_flips(void **state)
{
	enum { CHILDREN = 20, FLIPS = 20 };
	struct fixture *f = *state;
	char *path = put(f, "race.cfg", race_active, 0644);
	pid_t pids[CHILDREN];
	int codes[CHILDREN];
	size_t i, running = CHILDREN, loads = 0, bad = 0;
	char badmsg[ERRBUF_SIZE] = "";
	char *text;

	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct errbuf eb = ERRBUF_INIT;
			char when[32];
			int k, changed;

			for (k = 0; k < FLIPS; k++) {
				enum subs_status st = (k + (int)i) % 2 ?
				    SUBS_ACTIVE : SUBS_UNSUBSCRIBED;

				snprintf(when, sizeof(when),
					 "2026-01-05T10:%02zu:%02dZ", i, k);
				if (subs_set_status(path, st, when, &changed,
						    &eb) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	while (running) {
		struct errbuf eb = ERRBUF_INIT;
		struct subscriber s;

		if (subs_load_file(path, &s, &eb) < 0) {
			bad++;
			memcpy(badmsg, eb.msg, sizeof(badmsg));
		} else {
			subs_release(&s);
		}
		text = slurp(path);
		if (!race_shape(text)) {
			bad++;
			snprintf(badmsg, sizeof(badmsg), "%s", text);
		}
		free(text);
		loads++;
		running = reap(pids, codes, CHILDREN);
	}
	if (bad)
		fail_msg("%zu of %zu reads were bad, e.g. %s", bad, loads,
			 badmsg);
	for (i = 0; i < CHILDREN; i++)
		assert_int_equal(codes[i], 0);
	assert_true(loads > 1);
	text = slurp(path);
	assert_true(race_shape(text));
	free(text);
	expect_clean(f, 1, 0);
	free(path);
}

/* The race profile with an address of its own ("rc07@"), since a folder
 * load skips a repeated address. */
static char *renamed(const char *tmpl, size_t i)
{
	char *text = xstrdup(tmpl), *at = strstr(text, "race@");
	char num[8];

	snprintf(num, sizeof(num), "%02zu", i % 100);
	at[1] = 'c';
	at[2] = num[0];
	at[3] = num[1];
	return text;
}

/*
 * 200 processes, four per profile, unsubscribe 50 profiles at once while
 * this one loads the folder as a run would: every load sees all 50, every
 * profile ends unsubscribed with its comments, and exactly one of the
 * four writers per profile changed it.
 */
static void test_concurrent_many(void **state)
{
	enum { FILES = 50, PER_FILE = 4, PROCS = FILES * PER_FILE };
	struct fixture *f = *state;
	char *paths[FILES], name[32];
	pid_t pids[PROCS];
	int codes[PROCS], changed[FILES] = { 0 }, gate[2];
	size_t i, running = PROCS, loads = 0;

	for (i = 0; i < FILES; i++) {
		char *text = renamed(race_active, i);

		snprintf(name, sizeof(name), "s%02zu.cfg", i);
		paths[i] = put(f, name, text, 0644);
		free(text);
	}
	assert_int_equal(pipe(gate), 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct errbuf eb = ERRBUF_INIT;
			char c;
			int ch;

			close(gate[1]);
			/* Wait for the gate, so all start together. */
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			if (subs_set_status(paths[i % FILES],
					    SUBS_UNSUBSCRIBED, WHEN, &ch,
					    &eb) < 0)
				_exit(1);
			_exit(ch ? 10 : 0);
		}
	}
	close(gate[0]);
	close(gate[1]);
	while (running) {
		struct errbuf eb = ERRBUF_INIT;
		struct subs_list l = { 0 };
		struct strv errors = STRV_INIT;

		assert_int_equal(subs_load_dir(f->dir, &l, &errors, &eb), 0);
		if (errors.n)
			fail_msg("%s", errors.v[0]);
		assert_int_equal(l.n, FILES);
		subs_list_release(&l);
		strv_release(&errors);
		loads++;
		running = reap(pids, codes, PROCS);
	}
	for (i = 0; i < PROCS; i++) {
		if (codes[i] == 10)
			changed[i % FILES]++;
		else
			assert_int_equal(codes[i], 0);
	}
	assert_true(loads > 0);
	for (i = 0; i < FILES; i++) {
		char *want = renamed(race_unsub, i);
		struct buf b = BUF_INIT;

		assert_int_equal(changed[i], 1);
		buf_addf(&b, "%s" WHEN "\";\n", want);
		expect_text(paths[i], buf_str(&b));
		buf_release(&b);
		free(want);
		expect_status(paths[i], SUBS_UNSUBSCRIBED);
		free(paths[i]);
	}
	expect_clean(f, FILES, 0);
}

#define RPROFILE                                                              \
	"name = \"R\";\nemail = \"r@example.org\";\n"                          \
	"topics = ( { name = \"T\"; keywords = [\"x\"]; } );\n"
#define RLINE WHEN "\tunsubscribe\tr\tr@example.org\thttp\n"

/* Lines of path ("" when it does not exist). */
static char *slurp_or_empty(const char *path)
{
	return access(path, F_OK) ? xstrdup("") : slurp(path);
}

/* subs_change_status: the change and its log line, nothing left over. */
static void test_change_logged(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *subs = util_path_join(f->dir, "subs");
	char *st = util_path_join(f->dir, "state");
	char *path = util_path_join(subs, "r.cfg");
	char *log = util_path_join(st, "unsubscribe.log"), *text;
	int changed = 0;

	assert_int_equal(mkdir(subs, 0700), 0);
	assert_int_equal(util_write_atomic(path, RPROFILE, strlen(RPROFILE),
					   0644, &eb), 0);
	assert_int_equal(subs_change_status(path, st, SUBS_UNSUBSCRIBED, WHEN,
					    "r@example.org", "http", &changed,
					    &eb), 0);
	assert_int_equal(changed, 1);
	expect_status(path, SUBS_UNSUBSCRIBED);
	text = slurp(log);
	assert_string_equal(text, RLINE);
	free(text);
	{
		char *lock = util_path_join(subs, ".r.lock");
		char *stage = util_path_join(subs, ".r.edit");

		assert_int_equal(access(lock, F_OK), -1);
		assert_int_equal(access(stage, F_OK), -1);
		free(lock);
		free(stage);
	}
	/* Again: already so, nothing logged. */
	assert_int_equal(subs_change_status(path, st, SUBS_UNSUBSCRIBED, WHEN,
					    "r@example.org", "http", &changed,
					    &eb), 0);
	assert_int_equal(changed, 0);
	text = slurp(log);
	assert_string_equal(text, RLINE);
	free(text);
	free(subs);
	free(st);
	free(path);
	free(log);
}

/*
 * What a kill leaves, settled by subs_recover: (a) the intent and the
 * changed profile, no log line: the line is appended; (b) the intent and
 * an unchanged profile: dropped, nothing logged; (c) the intent, the
 * change and the line: not logged twice. Lock files and stages go.
 */
static void test_recover(void **state)
{
	static const char unsub[] = RPROFILE "status = \"unsubscribed\";\n"
				    "unsubscribed_at = \"" WHEN "\";\n";
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *subs = util_path_join(f->dir, "subs");
	char *st = util_path_join(f->dir, "state");
	char *path = util_path_join(subs, "r.cfg");
	char *stage = util_path_join(subs, ".r.edit");
	char *intent = util_path_join(stage, "intent");
	char *lock = util_path_join(subs, ".r.lock");
	char *stale = util_path_join(subs, ".gone.lock");
	char *log = util_path_join(st, "unsubscribe.log"), *text;
	int round;

	assert_int_equal(mkdir(subs, 0700), 0);
	for (round = 0; round < 3; round++) {
		const char *profile = round == 1 ? RPROFILE : unsub;

		assert_int_equal(util_write_atomic(path, profile,
						   strlen(profile), 0644, &eb),
				 0);
		assert_int_equal(mkdir(stage, 0700), 0);
		assert_int_equal(util_write_atomic(intent, RLINE,
						   strlen(RLINE), 0600, &eb),
				 0);
		assert_int_equal(util_write_atomic(lock, "", 0, 0600, &eb), 0);
		assert_int_equal(util_write_atomic(stale, "", 0, 0600, &eb),
				 0);
		if (subs_recover(subs, st, &eb) < 0)
			fail_msg("subs_recover: %s", eb.msg);
		text = slurp_or_empty(log);
		/* Round 2: once, not twice. */
		assert_string_equal(text, round == 1 ? "" : RLINE);
		free(text);
		assert_int_equal(access(stage, F_OK), -1);
		assert_int_equal(access(lock, F_OK), -1);
		assert_int_equal(access(stale, F_OK), -1);
		/* Round 1 starts from a log without the line, round 2
		 * from one that has it already. */
		if (round == 0)
			unlink(log);
		if (round == 1)
			assert_int_equal(util_write_atomic(log, RLINE,
							   strlen(RLINE), 0600,
							   &eb),
					 0);
	}
	free(subs);
	free(st);
	free(path);
	free(stage);
	free(intent);
	free(lock);
	free(stale);
	free(log);
}

static void test_log(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = ERRBUF_INIT;
	char *state_dir = util_path_join(f->dir, "state/deeper");
	char *log = util_path_join(state_dir, "unsubscribe.log");
	char longid[400];
	struct buf want = BUF_INIT;
	struct stat st;

	assert_int_equal(subs_log_change(state_dir, WHEN, "unsubscribe",
					 "alice", "alice@example.org", "http",
					 &eb), 0);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* Fields that would break the columns or the line are defused. */
	assert_int_equal(subs_log_change(state_dir, WHEN, "resubscribe",
					 "a\tb\nc", NULL, "ma\xffil\r", &eb),
			 0);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(subs_log_change(state_dir, WHEN, "unsubscribe",
					 longid, "", "admin", &eb), 0);

	buf_addstr(&want, WHEN "\tunsubscribe\talice\talice@example.org\t"
			   "http\n" WHEN "\tresubscribe\ta?b?c\t-\tma?il?\n"
			   WHEN "\tunsubscribe\t");
	memset(longid, 'x', 256);
	longid[256] = '\0';
	buf_addf(&want, "%s\t-\tadmin\n", longid);
	expect_text(log, buf_str(&want));
	buf_release(&want);

	/* A state folder that cannot be made: an error, not a crash. */
	assert_int_equal(subs_log_change(log, WHEN, "unsubscribe", "a", "b",
					 "http", &eb), -1);
	assert_non_null(strstr(eb.msg, log));
	free(log);
	free(state_dir);
}

/* Lines from concurrent processes never interleave. */
static void test_log_concurrent(void **state)
{
	enum { CHILDREN = 10, LINES = 30 };
	struct fixture *f = *state;
	char *log = util_path_join(f->dir, "unsubscribe.log");
	pid_t pids[CHILDREN];
	int codes[CHILDREN];
	char *text, *p;
	size_t i, n = 0;

	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct errbuf eb = ERRBUF_INIT;
			char id[16];
			int k;

			snprintf(id, sizeof(id), "sub%02zu", i);
			for (k = 0; k < LINES; k++)
				if (subs_log_change(f->dir, WHEN, "unsubscribe",
						    id, "x@example.org", "mail",
						    &eb) < 0)
					_exit(1);
			_exit(0);
		}
	}
	while (reap(pids, codes, CHILDREN))
		usleep(1000);
	for (i = 0; i < CHILDREN; i++)
		assert_int_equal(codes[i], 0);
	text = slurp(log);
	for (p = text; *p; n++) {
		static const char shape[] =
		    WHEN "\tunsubscribe\tsub00\tx@example.org\tmail\n";
		char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_int_equal((size_t)(nl + 1 - p), strlen(shape));
		/* Only the two digits of the id differ. */
		assert_memory_equal(p, shape, 36);
		assert_memory_equal(p + 38, shape + 38, strlen(shape) - 38);
		p = nl + 1;
	}
	assert_int_equal(n, CHILDREN * LINES);
	free(text);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unsubscribe_hand_written,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bouncing_hand_written, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_same_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resubscribe_same_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_other_syntax, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_missing_status, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_flips, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_many, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_change_logged, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_concurrent, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
