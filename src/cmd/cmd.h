/*
 * cmd: what the commands share: the command table's entry type, option
 * parsing conventions, the one exit-code map, and printing.
 *
 * The commands are the top layer: they parse options, call the services
 * (day.h, issue.h, deliver.h, ...), print, and pick the exit code. Only
 * main.c and cmd_*.c print to the user; the services fill an errbuf whose
 * kind cmd_exit_code maps to a sysexits(3) code.
 */
#ifndef PAPERBOY_CMD_H
#define PAPERBOY_CMD_H

#include <stdio.h>
#include <sysexits.h>
#include <time.h>

#include "conf.h"
#include "day.h"
#include "errbuf.h"
#include "issue.h"
#include "strv.h"
#include "subs.h"
#include "version.h"

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
int cmd_feedback(int argc, char **argv, const struct cmd_global *g);
int cmd_subscribers(int argc, char **argv, const struct cmd_global *g);
int cmd_send_test(int argc, char **argv, const struct cmd_global *g);
int cmd_fetch(int argc, char **argv, const struct cmd_global *g);
int cmd_unsubscribe(int argc, char **argv, const struct cmd_global *g);
int cmd_inbound(int argc, char **argv, const struct cmd_global *g);
int cmd_serve(int argc, char **argv, const struct cmd_global *g);
int cmd_subscribe(int argc, char **argv, const struct cmd_global *g);

/* The options of the commands that work on one day's listing. */
struct cmd_day_opts {
	const char *config;  /* -c FILE */
	const char *date;    /* --date YYYY-MM-DD */
	const char *listing; /* --listing FILE */
	int force_date;      /* --force-date */
	int by_group;        /* profiles listed, loaded later (day_opts) */
};

#define CMD_DAY_OPTIONS                                       \
	{ "config", required_argument, NULL, 'c' },           \
	{ "date", required_argument, NULL, 'd' },             \
	{ "listing", required_argument, NULL, 'l' },          \
	{ "force-date", no_argument, NULL, 'F' },             \
	{ "help", no_argument, NULL, 'h' }

/*
 * --help is a synopsis: the usage line, one line per option, then
 * CMD_HELP_END. What the options do, and the exit codes, are in
 * docs/paperboy.1, the one copy (tests/t/t0180-man.sh checks both).
 */
#define CMD_HELP_CONFIG \
	"  -c, --config FILE    the configuration (default: ./paperboy.cfg)\n"
/* The lines of --help for CMD_DAY_OPTIONS. */
#define CMD_DAY_HELP                                                        \
	CMD_HELP_CONFIG                                                     \
	"  --date YYYY-MM-DD    the announcement day (default: the latest)\n" \
	"  --listing FILE       read the day's listing from FILE\n"           \
	"  --force-date         take FILE as that day whatever it says\n"
#define CMD_HELP_END                                 \
	"  -h, --help           this help\n"            \
	"\n"                                            \
	"See paperboy(1).\n"

/* Stores -c, --date, --listing or --force-date in o; 1 if opt was one. */
int cmd_day_option(int opt, struct cmd_day_opts *o);

/* Prints "paperboy: MESSAGE" on stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "paperboy: warning: MESSAGE" on stderr. */
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit code of `run` when a message is in doubt (delivered or not, only
 * the server knows): sysexits(3) has none, and retrying cannot settle it. */
#define CMD_EX_IN_DOUBT 80

/*
 * The one exit-code map: the sysexits(3) code for a failure of the kind
 * eb carries (errbuf.h), or `fallback` when the kind is ERRBUF_UNKNOWN.
 * docs/paperboy.1 lists the codes.
 */
int cmd_exit_code(const struct errbuf *eb, int fallback);

/* Loads the config (-c FILE, else the global one, else ./paperboy.cfg).
 * Prints the error and returns EX_CONFIG on failure. */
int cmd_load_conf(const char *path, const struct cmd_global *g,
		  struct conf *c);

/* Prints each broken profile's message on stderr. */
void cmd_report_broken(const struct strv *broken);

/* Prints "paperboy: warning: ID: WARNING" for each of w (the LLM judge's
 * fallbacks while composing s's issue). */
void cmd_report_warnings(const struct subscriber *s, const struct strv *w);

/* The subscriber id of subs, or NULL after "no subscriber 'ID' in
 * FOLDER" on stderr (the caller exits EX_USAGE). */
const struct subscriber *cmd_find_subscriber(const struct subs_list *subs,
					     const char *id,
					     const struct conf *c);

/* Loads subscribers and reports the broken ones on stderr. Returns the
 * number of broken profiles, or -1 (printed) when the folder is unusable. */
int cmd_load_subscribers(const struct conf *c, struct subs_list *out);

/*
 * Opens the day (day_open) with the config of -c or the global option,
 * printing progress lines on stdout and errors on stderr. Returns EX_OK or
 * the exit code. Release with day_close, also after a failure.
 */
int cmd_day_open(struct day *d, const struct cmd_global *g,
		 const struct cmd_day_opts *o, int dry_run);

/*
 * The commands' progress hooks for source_load (source.h): each line on
 * stdout and, when *quiet is 0 (no --date given), "paperboy: fetching the
 * listing of DATE from HOST (Ctrl-C to stop)" on stderr before the
 * network wait. quiet must outlive log.
 */
void cmd_source_log(struct source_log *log, const int *quiet);

/* The exit code for a failed SMTP session (deliver_smtp_send < 0). */
int cmd_smtp_exit_code(int ret, const struct errbuf *eb);

#endif
