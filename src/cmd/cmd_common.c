/*
 * cmd_common: what the commands share (see cmd.h): printing, the day
 * options, opening a day with its messages printed, and the one exit-code
 * map.
 *
 * Design decision: the exit code is chosen in one place from the kind of
 * failure the errbuf carries, never from the text of a message, so the
 * same failure exits the same way from every command.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "util.h"
#include "banned.h"

/* One line, whole, even when another thread reports too (serve's
 * mailer). */
static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	flockfile(stderr);
	fprintf(stderr, "paperboy: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void cmd_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int cmd_day_option(int opt, struct cmd_day_opts *o)
{
	switch (opt) {
	case 'c':
		o->config = optarg;
		return 1;
	case 'd':
		o->date = optarg;
		return 1;
	case 'l':
		o->listing = optarg;
		return 1;
	case 'F':
		o->force_date = 1;
		return 1;
	default:
		return 0;
	}
}

int cmd_load_conf(const char *path, const struct cmd_global *g,
		  struct conf *c)
{
	struct errbuf eb = ERRBUF_INIT;

	if (!path)
		path = g->config_path ? g->config_path : CONF_DEFAULT_PATH;
	if (!path[0]) {
		cmd_error("-c: the config file name is empty");
		return EX_USAGE;
	}
	if (conf_load(path, c, &eb) < 0) {
		cmd_error("%s", eb.msg);
		return EX_CONFIG;
	}
	return EX_OK;
}

int cmd_exit_code(const struct errbuf *eb, int fallback)
{
	switch (eb->kind) {
	case ERRBUF_USAGE:
		return EX_USAGE;
	case ERRBUF_CONFIG:
		return EX_CONFIG;
	case ERRBUF_NOINPUT:
		return EX_NOINPUT;
	case ERRBUF_DATA:
		return EX_DATAERR;
	case ERRBUF_TEMP:
		return EX_TEMPFAIL;
	case ERRBUF_AUTH:
		return EX_NOPERM;
	case ERRBUF_PROTOCOL:
		return EX_PROTOCOL;
	case ERRBUF_REFUSED:
		return EX_UNAVAILABLE;
	case ERRBUF_IO:
		return EX_IOERR;
	case ERRBUF_SOFTWARE:
		return EX_SOFTWARE;
	case ERRBUF_UNKNOWN:
	default:
		return fallback;
	}
}

void cmd_report_broken(const struct strv *broken)
{
	size_t i;

	for (i = 0; i < broken->n; i++)
		cmd_error("%s", broken->v[i]);
}

const struct subscriber *cmd_find_subscriber(const struct subs_list *subs,
					     const char *id,
					     const struct conf *c)
{
	const struct subscriber *s = subs_find(subs, id);

	if (!s)
		cmd_error("no subscriber '%s' in %s (see 'paperboy "
			  "subscribers list')", id, c->subscribers_dir);
	return s;
}

void cmd_report_warnings(const struct subscriber *s, const struct strv *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		cmd_warn("%s: %s", s->id, w->v[i]);
}

int cmd_load_subscribers(const struct conf *c, struct subs_list *out)
{
	struct errbuf eb = ERRBUF_INIT;
	struct strv broken = STRV_INIT;
	int n;

	if (day_load_subscribers(c, out, &broken, &eb) < 0) {
		cmd_error("%s", eb.msg);
		strv_release(&broken);
		return -1;
	}
	cmd_report_broken(&broken);
	n = (int)broken.n;
	strv_release(&broken);
	return n;
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

static void say_fetching(void *quiet, const char *date, const char *host)
{
	if (quiet && *(const int *)quiet)
		return;
	fprintf(stderr, "paperboy: fetching the listing of %s from %s "
			"(Ctrl-C to stop)\n", date, host);
	fflush(stderr);
}

void cmd_source_log(struct source_log *log, const int *quiet)
{
	log->line = print_line;
	log->ctx = (void *)quiet;
	log->fetching = say_fetching;
}

int cmd_day_open(struct day *d, const struct cmd_global *g,
		 const struct cmd_day_opts *co, int dry_run)
{
	struct source_log log;
	int quiet = co->date != NULL;
	struct errbuf eb = ERRBUF_INIT;
	const char *config = co->config;
	struct day_opts o;
	size_t i;
	int ret;

	if (!config)
		config = g->config_path;
	if (config && !config[0]) {
		cmd_error("-c: the config file name is empty");
		memset(d, 0, sizeof(*d));
		return EX_USAGE;
	}
	memset(&o, 0, sizeof(o));
	cmd_source_log(&log, &quiet);
	o.config = config;
	o.date = co->date;
	o.listing = co->listing;
	o.dry_run = dry_run;
	o.force_date = co->force_date;
	o.by_group = co->by_group;
	o.log = &log;
	ret = day_open(d, &o, &eb);
	cmd_report_broken(&d->broken);
	for (i = 0; i < d->warnings.n; i++)
		cmd_warn("%s", d->warnings.v[i]);
	if (ret == 0)
		return EX_OK;
	cmd_error("%s", eb.msg);
	/* Only the listing fails as bad data or for now: say that the run
	 * stopped before its first message. */
	if (eb.kind == ERRBUF_DATA)
		cmd_error("the listing is unusable; nothing was sent");
	else if (eb.kind == ERRBUF_TEMP)
		cmd_error("nothing was sent");
	return cmd_exit_code(&eb, EX_SOFTWARE);
}

int cmd_smtp_exit_code(int ret, const struct errbuf *eb)
{
	/* -2: a retry will not help; the kind says whether it was AUTH. */
	return cmd_exit_code(eb, ret == -2 ? EX_PROTOCOL : EX_TEMPFAIL);
}
