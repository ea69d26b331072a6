/*
 * cmd: what the commands share: the command table's entry type, option
 * parsing conventions, exit codes, and the steps that several commands run
 * in the same way (loading the config, the day's listing, one subscriber's
 * finished message).
 *
 * Only main.c and cmd_*.c print to the user and choose exit codes; every
 * helper here returns an exit code (EX_OK or a sysexits value) and leaves
 * the message in an errbuf for the command to print once.
 */
#ifndef PAPERBOY_CMD_H
#define PAPERBOY_CMD_H

#include <stdio.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "digest.h"
#include "errbuf.h"
#include "listing.h"
#include "llm.h"
#include "render.h"
#include "score.h"
#include "subs.h"
#include "token.h"

#define PAPERBOY_VERSION "0.2.0"

struct cmd_global {
	const char *config_path; /* -c before the command, or NULL */
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv, const struct cmd_global *g);
	const char *summary;
};

extern const struct cmd cmd_table[];

int cmd_run(int argc, char **argv, const struct cmd_global *g);
int cmd_render(int argc, char **argv, const struct cmd_global *g);
int cmd_score(int argc, char **argv, const struct cmd_global *g);
int cmd_subscribers(int argc, char **argv, const struct cmd_global *g);
int cmd_send_test(int argc, char **argv, const struct cmd_global *g);
int cmd_fetch(int argc, char **argv, const struct cmd_global *g);
int cmd_unsubscribe(int argc, char **argv, const struct cmd_global *g);
int cmd_inbound(int argc, char **argv, const struct cmd_global *g);
int cmd_serve(int argc, char **argv, const struct cmd_global *g);

/* The latest announced listing day (America/New_York, arXiv's schedule
 * and holidays) as YYYY-MM-DD. Prints and returns an exit code. */
int cmd_latest_date(const struct conf *c, char *out, size_t size);

/* Now, or $PAPERBOY_TEST_NOW (epoch seconds; only tests set it). */
time_t cmd_now(void);

/* The options of the commands that work on one day's listing. */
struct cmd_day_opts {
	const char *config;  /* -c FILE */
	const char *date;    /* --date YYYY-MM-DD */
	const char *listing; /* --listing FILE */
};

#define CMD_DAY_OPTIONS                                       \
	{ "config", required_argument, NULL, 'c' },           \
	{ "date", required_argument, NULL, 'd' },             \
	{ "listing", required_argument, NULL, 'l' },          \
	{ "help", no_argument, NULL, 'h' }

/* Stores -c, --date or --listing in o; 1 if opt was one of them. */
int cmd_day_option(int opt, struct cmd_day_opts *o);

/* Prints "paperboy: MESSAGE" on stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "paperboy: warning: MESSAGE" on stderr. */
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads the config (-c FILE, else the global one, else ./paperboy.cfg).
 * Prints the error and returns EX_CONFIG on failure. */
int cmd_load_conf(const char *path, const struct cmd_global *g,
		  struct conf *c);

/*
 * Resolves the day into out (11 bytes): `date_opt` ("YYYY-MM-DD"), or
 * without one the latest announced listing (cmd_latest_date). Prints and
 * returns EX_USAGE for a malformed date.
 */
int cmd_resolve_date(const struct conf *c, const char *date_opt, char *out,
		     size_t size);

/*
 * Loads the listing for `date`: from listing_path when given; else from
 * the day's cache (STATE/cache/DATE/); else from the network (see
 * cmd_fetch.c). Unless dry_run, what was read or fetched is kept in the
 * cache, so later commands for that day work offline. *items receives the
 * number of arXiv items (0: no announcement that day). Prints and returns
 * EX_NOINPUT, EX_DATAERR (a broken listing), EX_TEMPFAIL (the network;
 * try later) or EX_IOERR.
 */
int cmd_load_listing(const struct conf *c, const char *date,
		     const char *listing_path, int dry_run,
		     struct listing *l, int *items);

/* One subscriber's digest, rendered and assembled. */
struct cmd_issue {
	struct score_result scores;
	struct digest digest;
	struct buf html;
	struct buf text;
	char *subject;
	char *message_id;
	struct buf message; /* the complete RFC 5322 message */
};

/* How a test issue differs from the real one; NULL for the real one. */
struct cmd_compose_opts {
	const char *to;             /* address instead of the subscriber's */
	const char *subject_prefix; /* "[TEST] " */
	int lexical_only;           /* no LLM judge (a template check) */
};

struct cmd_day;

/*
 * Scores, selects, renders and assembles s's digest for the day d, with
 * its unsubscribe links (List-Unsubscribe, List-Unsubscribe-Post and the
 * footer; a test issue's links carry a TOKEN_TEST token, inert for the real
 * subscriber). Returns 0, or -1 with eb filled. Release with
 * cmd_issue_release (also after -1).
 */
int cmd_compose(const struct cmd_day *d, const struct render_templates *t,
		const struct subscriber *s,
		const struct cmd_compose_opts *opts, struct cmd_issue *out,
		struct errbuf *eb);

/*
 * Prepares the SMTP transport from the config: the password comes from
 * $PAPERBOY_SMTP_PASSWORD or delivery.smtp.password_file (refused unless
 * mode 0600 and ours). Prints and returns an exit code.
 */
struct deliver_smtp;
int cmd_open_smtp(const struct conf *c, struct deliver_smtp **out);

/* The exit code for a failed SMTP session (deliver_smtp_send < 0). */
int cmd_smtp_exit_code(int ret, const struct errbuf *eb);
void cmd_issue_release(struct cmd_issue *issue);

/* The LLM judge's second opinion on s's scores r, when llm.enabled
 * (cache only unless the day was opened for a real run); its fallbacks
 * are printed as warnings. Fills *cost (zero when no judge). Returns 0 or
 * -1 with eb filled. */
int cmd_judge(const struct cmd_day *d, const struct subscriber *s,
	      struct score_result *r, struct digest_cost *cost,
	      struct errbuf *eb);

/* Scores s's papers (score_subscriber) and leaves out revisions of
 * papers s was sent on an earlier day. Returns 0 or -1 with eb filled;
 * release *out with score_result_release. */
int cmd_score_one(const struct conf *c, const struct score_index *idx,
		  const struct listing *l, const struct subscriber *s,
		  struct score_result *out, struct errbuf *eb);

/* The https unsubscribe URL for s (purpose TOKEN_UNSUBSCRIBE or
 * TOKEN_TEST), or "" when list.base_url is not set; caller frees. */
char *cmd_unsubscribe_url(const struct conf *c, const struct token_key *key,
			  enum token_purpose purpose,
			  const struct subscriber *s);

/* Records the papers of a delivered issue in the subscriber's history
 * (see history.h). Returns 0 or -1 with eb filled. */
int cmd_record_history(const struct conf *c, const struct cmd_issue *issue,
		       struct errbuf *eb);

/* Loads subscribers and reports the broken ones on stderr. Returns the
 * number of broken profiles, or -1 (printed) when the folder is unusable. */
int cmd_load_subscribers(const struct conf *c, struct subs_list *out);

/* Everything a command needs about one day, loaded in pipeline order. */
struct cmd_day {
	struct conf conf;
	char date[16];
	struct listing listing;
	int items;              /* items in the feed; 0: no announcement */
	struct subs_list subs;
	int broken;             /* profiles that failed to load */
	struct score_index *idx;
	struct learn_model **models; /* per subscriber: learned, or NULL */
	struct token_key key;   /* signs unsubscribe links */
	struct llm_judge *llm;  /* llm.enabled: the judge; else NULL */
};

/*
 * Loads the config, resolves the date, loads the listing (see
 * cmd_load_listing) and, when it holds papers, the subscribers, the
 * normalized index and each subscriber's learned model (learn_update:
 * retrained when its votes changed; a dry run saves nothing; a model that
 * cannot be had is warned about and the profile used alone). Prints
 * errors; returns EX_OK or the exit code. On
 * EX_OK, release with cmd_day_close (also safe after a failure).
 */
int cmd_day_open(struct cmd_day *d, const struct cmd_global *g,
		 const char *config, const char *date_opt,
		 const char *listing_path, int dry_run);
void cmd_day_close(struct cmd_day *d);


#endif
