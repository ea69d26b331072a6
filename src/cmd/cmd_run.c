/*
 * cmd_run: `paperboy run`, the daily job: config -> listing -> subscribers
 * -> templates -> the run itself (dispatch.h: journal, compose on every
 * core, deliver), and the report of it.
 *
 * Design decision: everything that can make the whole run wrong (config,
 * listing, templates, the journal) is loaded and checked before the first
 * message goes out, so a broken feed or template sends nothing at all;
 * after that, one subscriber's failure is reported and the others still
 * get their mail. The run's events arrive one at a time from dispatch, in
 * subscriber order with one SMTP connection; this file only prints them,
 * counts nothing itself, and picks the exit code from dispatch's counts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "cmd.h"
#include "deliver.h"
#include "dispatch.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy run [-c FILE] [--date YYYY-MM-DD] "
		"[--listing FILE]\n"
		"                    [--force-date] [--dry-run] "
		"[--resend ID]\n"
		"                    [--resend-in-doubt] [--shard K/N]\n"
		"\n"
		"Scores, renders and sends every subscriber's digest of the "
		"day.\n"
		"\n"
		CMD_DAY_HELP
		"  --dry-run            only show what would be sent\n"
		"  --resend ID          send to ID whatever the journal says\n"
		"  --resend-in-doubt    also send the messages in doubt\n"
		"  --shard K/N          only the subscribers of shard K of N\n"
		CMD_HELP_END);
}

/* What the command keeps while the run reports to it. */
struct run {
	int dry_run;
	/* progress on a terminal */
	int tty;
	struct timeval start;
};

static void progress(const struct run *r, size_t done, size_t todo)
{
	struct timeval now;
	double secs;

	if (!r->tty || r->dry_run)
		return;
	gettimeofday(&now, NULL);
	secs = (double)(now.tv_sec - r->start.tv_sec) +
	       (double)(now.tv_usec - r->start.tv_usec) / 1e6;
	fprintf(stderr, "\r  delivered %zu of %zu (%.1f/s)   ", done, todo,
		secs > 0 ? (double)done / secs : 0.0);
	if (done == todo)
		fputc('\n', stderr);
}

static void report(const struct deliver_item *it)
{
	switch (it->outcome) {
	case DELIVER_SENT:
		printf("  %-20s sent %s: %s\n", it->tag, it->message_id,
		       it->reply);
		break;
	case DELIVER_FAILED:
		printf("  %-20s FAILED: %s\n", it->tag, it->reply);
		break;
	case DELIVER_DEFERRED:
		printf("  %-20s deferred: %s\n", it->tag, it->reply);
		break;
	case DELIVER_IN_DOUBT:
		printf("  %-20s IN DOUBT: the connection was lost after the "
		       "data of %s\n", it->tag, it->message_id);
		break;
	default:
		printf("  %-20s not sent (deferred to the next run)\n",
		       it->tag);
		break;
	}
}

/*
 * A message that cannot be journaled must not go out: stop at once, the
 * other threads where they are (composing, delivering). What was printed
 * is flushed; nothing else is cleaned up (exit's handlers would run while
 * those threads still hold their memory).
 */
static void journal_fatal(const char *msg)
{
	cmd_error("%s", msg);
	cmd_error("cannot record deliveries; stopping now so that no message "
		  "goes out unrecorded");
	fflush(stdout);
	fflush(stderr);
	_exit(EX_IOERR);
}

/* Prints one event of the run (dispatch.h); called one at a time. */
static void on_event(const struct dispatch_event *ev, void *ctx)
{
	struct run *r = ctx;
	const struct subscriber *s = ev->sub;

	switch (ev->kind) {
	case DISPATCH_UNSUBSCRIBED:
		printf("  %-20s skipped: unsubscribed\n", s->id);
		break;
	case DISPATCH_BOUNCING:
		printf("  %-20s skipped: bouncing (hard bounces, see "
		       "STATE/bounces/%s)\n", s->id, s->id);
		break;
	case DISPATCH_ALREADY_SENT:
		printf("  %-20s already sent today (%s)\n", s->id,
		       ev->message_id);
		break;
	case DISPATCH_FAILED_EARLIER:
		printf("  %-20s failed earlier today: %s\n", s->id,
		       ev->reply);
		break;
	case DISPATCH_IN_DOUBT_EARLIER:
		printf("  %-20s IN DOUBT since a crash: %s may have been "
		       "delivered; not resent (use --resend-in-doubt or "
		       "--resend %s)\n", s->id, ev->message_id, s->id);
		break;
	case DISPATCH_WARNINGS:
		if (s) {
			cmd_report_warnings(s, ev->warnings);
		} else {
			size_t i;

			for (i = 0; i < ev->warnings->n; i++)
				cmd_warn("%s", ev->warnings->v[i]);
		}
		break;
	case DISPATCH_BROKEN:
		cmd_error("%s", ev->msg);
		break;
	case DISPATCH_GONE:
		printf("  %-20s skipped: profile removed during the run\n",
		       ev->msg);
		break;
	case DISPATCH_COMPOSE_FAILED:
		cmd_error("%s: %s", s->id, ev->msg);
		break;
	case DISPATCH_EMPTY:
		printf("  %-20s skipped: no paper reached relevance %ld\n",
		       s->id, s->min_relevance);
		break;
	case DISPATCH_WOULD_SEND:
		printf("  %-20s would send %zu paper%s to %s (%zu bytes)\n",
		       s->id, ev->papers, ev->papers == 1 ? "" : "s",
		       s->email, ev->bytes);
		break;
	case DISPATCH_ARCHIVE_FAILED:
		cmd_warn("%s: archive page: %s", s->id, ev->msg);
		break;
	case DISPATCH_RECHECK_FAILED:
		cmd_warn("%s: not sent: %s", s->id, ev->msg);
		break;
	case DISPATCH_DEPARTED:
		printf("  %-20s skipped: unsubscribed during the run\n",
		       s->id);
		break;
	case DISPATCH_OUTBOX_FAILED:
		cmd_error("%s: %s", s->id, ev->msg);
		break;
	case DISPATCH_OUTBOX_SENT:
		printf("  %-20s %3zu paper%s -> %s\n", s->id, ev->papers,
		       ev->papers == 1 ? " " : "s", ev->path);
		break;
	case DISPATCH_DELIVERED:
		report(ev->item);
		break;
	case DISPATCH_HISTORY_FAILED:
		cmd_warn("%s", ev->msg);
		break;
	case DISPATCH_PRUNE_FAILED:
		cmd_warn("pruning old journals: %s", ev->msg);
		break;
	case DISPATCH_PROGRESS:
		progress(r, ev->done, ev->todo);
		break;
	case DISPATCH_SESSION_FAILED:
		cmd_warn("SMTP session %ld of %ld: %s", ev->attempt,
			 ev->attempts, ev->msg);
		break;
	case DISPATCH_STOPPED:
		cmd_error("%s", ev->msg);
		break;
	case DISPATCH_JOURNAL_FAILED:
		journal_fatal(ev->msg);
		break;
	}
}

/* One line for the LLM judge's spending, one more when the budget
 * held requests back. */
static void llm_summary(const struct day *d)
{
	struct llm_judge_totals t;

	llm_judge_totals(d->llm, &t);
	printf("  llm: %ld request%s, %ld prompt + %ld completion tokens, "
	       "$%.4f (today $%.4f of $%.2f)\n", t.requests,
	       t.requests == 1 ? "" : "s", t.prompt_tokens,
	       t.completion_tokens, t.usd, t.spent_today,
	       d->conf.llm_daily_budget_usd);
	if (t.budget_reached)
		printf("  llm: daily budget of $%g reached: no more LLM "
		       "requests today, lexical scores used\n",
		       d->conf.llm_daily_budget_usd);
}

static void summary(const struct day *d, const struct run *r,
		    const struct dispatch_opts *o,
		    const struct dispatch_result *res, const char *journal)
{
	const struct dispatch_counts *n = &res->n;

	printf("paperboy: %s summary%s:\n", d->date,
	       r->dry_run ? " (dry run)" : "");
	if (o->shard_n)
		printf("  %-22s %lu/%lu\n", "shard", o->shard_k, o->shard_n);
	printf("  %-22s %zu\n", r->dry_run ? "would send" : "sent", n->sent);
	printf("  %-22s %zu\n", "deferred", n->deferred);
	printf("  %-22s %zu\n", "failed", n->failed + n->compose_failed);
	printf("  %-22s %zu\n", "in-doubt", n->in_doubt);
	printf("  %-22s %zu\n", "skipped-unsubscribed", n->unsubscribed);
	if (n->bouncing)
		printf("  %-22s %zu\n", "skipped-bouncing", n->bouncing);
	printf("  %-22s %zu\n", "skipped-empty", n->empty);
	printf("  %-22s %zu\n", "already-sent", n->already_sent);
	if (n->failed_earlier)
		printf("  %-22s %zu\n", "failed-earlier", n->failed_earlier);
	if (d->broken.n + n->broken)
		printf("  %-22s %zu\n", "broken-profiles",
		       d->broken.n + n->broken);
	if (res->smtp) {
		printf("  %-22s %lu\n", "smtp-connections", res->connections);
		/* Delivery alone, composing left out (make bench reads it). */
		printf("  %-22s %.3f\n", "smtp-seconds", res->smtp_seconds);
	}
	if (journal)
		printf("  journal: %s\n", journal);
	if (d->llm)
		llm_summary(d);
}

/*
 * A name a template does not know is found only when rendering, so one
 * digest (the first active subscriber's with papers) is composed before
 * anything is sent: a template that fails it stops the run like a syntax
 * error does. Only an error naming a template file counts; a subscriber's
 * own problem stays that subscriber's. Returns 0 or -1 with eb filled.
 */
/* 1 if msg is an error about file ("FILE:LINE: ..."). */
static int names_file(const char *msg, const char *file)
{
	size_t n = strlen(file);

	return !strncmp(msg, file, n) && msg[n] == ':';
}

static int check_with(const struct day *d, const struct render_templates *t,
		      const struct subs_list *subs,
		      const struct score_index *idx, struct errbuf *eb)
{
	/* Lexical scores only: the judge would be asked (and paid) for a
	 * digest that is thrown away. */
	struct issue_opts opts = { NULL, NULL, 1, 0 };
	size_t i;

	for (i = 0; i < subs->n; i++) {
		const struct subscriber *s = &subs->v[i];
		struct issue issue;
		int bad = 0, done = 0;

		if (s->status != SUBS_ACTIVE)
			continue;
		memset(&issue, 0, sizeof(issue));
		if (issue_prepare(d, idx, s, &opts, &issue, eb) < 0 ||
		    issue_assemble(d, t, s, &opts, &issue, eb) < 0)
			bad = names_file(eb->msg, d->conf.template_html) ||
			      names_file(eb->msg, d->conf.template_text);
		else
			done = issue.digest.n > 0;
		issue_release(&issue);
		if (bad)
			return -1;
		if (done)
			break;
	}
	errbuf_clear(eb);
	return 0;
}

/* Profiles the template check reads at most, by group: one digest with
 * papers is what it needs. */
#define RUN_CHECK_PROFILES 64

/* By group, the first profiles are loaded for the check (and loaded
 * again by the run), without their models: the check scores lexically
 * only, and training them here would be start-up work done twice. */
static int check_templates(const struct day *d,
			   const struct render_templates *t,
			   struct errbuf *eb)
{
	struct subs_seen *seen;
	struct day_group g;
	size_t *which, i, n;
	int ret;

	if (!d->by_group)
		return check_with(d, t, &d->subs, d->idx, eb);
	n = d->names.n < RUN_CHECK_PROFILES ? d->names.n : RUN_CHECK_PROFILES;
	which = xcalloc(n ? n : 1, sizeof(*which));
	for (i = 0; i < n; i++)
		which[i] = i;
	seen = subs_seen_new();
	day_group_load(d, which, n, seen, DAY_GROUP_NO_MODELS, &g);
	ret = check_with(d, t, &g.subs, g.idx, eb);
	day_group_release(&g);
	subs_seen_free(seen);
	free(which);
	return ret;
}

/*
 * The most useful thing to do next decides the code (docs/paperboy.1 has
 * the table): run again later (75), look at the messages in doubt (80),
 * at the refused recipients (69), at a broken profile (78), at a digest
 * that could not be composed (65). The summary lists every count.
 * Recipients refused by an earlier run of the day were reported by its
 * exit code; messages in doubt since a crash never were (the crashed run
 * had none), so they count until settled with --resend-in-doubt.
 */
static int exit_code(const struct day *d, const struct dispatch_result *res,
		     int fatal)
{
	const struct dispatch_counts *n = &res->n;

	if (fatal)
		return fatal;
	if (n->deferred)
		return EX_TEMPFAIL;
	if (n->in_doubt)
		return CMD_EX_IN_DOUBT;
	if (n->failed)
		return EX_UNAVAILABLE;
	if (d->broken.n || n->broken)
		return EX_CONFIG;
	if (n->compose_failed)
		return EX_DATAERR;
	return EX_OK;
}

/* The exit code of a failed dispatch_open, by the step that failed. */
static int open_exit_code(enum dispatch_open_step step,
			  const struct errbuf *eb)
{
	switch (step) {
	case DISPATCH_OPEN_JOURNAL:
		/* A damaged journal is data to repair, not a wait. */
		return cmd_exit_code(eb, EX_TEMPFAIL);
	case DISPATCH_OPEN_SMTP:
		return cmd_exit_code(eb, EX_CONFIG);
	default:
		return EX_CANTCREAT;
	}
}

/* Compose threads: $PAPERBOY_THREADS, else dispatch's default (0). */
static long compose_threads(void)
{
	const char *v = getenv(DISPATCH_THREADS_ENV);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > DISPATCH_MAX_THREADS) {
		cmd_warn("%s=%s: not a number of threads (1..%d); using "
			 "the default", DISPATCH_THREADS_ENV, v,
			 DISPATCH_MAX_THREADS);
		return 0;
	}
	return n;
}

int cmd_run(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "resend", required_argument, NULL, 'r' },
		{ "resend-in-doubt", no_argument, NULL, 'D' },
		{ "shard", required_argument, NULL, 'S' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL, 0, 0 };
	struct archive_templates at = { NULL, NULL, NULL, NULL };
	struct errbuf eb = ERRBUF_INIT;
	struct dispatch_opts dop;
	struct dispatch_result res;
	struct dispatch *dp = NULL;
	enum dispatch_open_step step;
	struct day d;
	struct run r;
	int opt, ret, fatal = 0;

	memset(&r, 0, sizeof(r));
	memset(&dop, 0, sizeof(dop));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			r.dry_run = 1;
			break;
		case 'r':
			dop.resend = optarg;
			break;
		case 'D':
			dop.resend_in_doubt = 1;
			break;
		case 'S':
			if (dispatch_parse_shard(optarg, &dop.shard_k,
						 &dop.shard_n, &eb) < 0) {
				cmd_error("%s", eb.msg);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			if (cmd_day_option(opt, &o))
				break;
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		cmd_error("run: unexpected argument '%s'", argv[optind]);
		return EX_USAGE;
	}
	/* The profiles are loaded a group at a time: memory stays flat
	 * whatever their number. */
	o.by_group = 1;
	ret = cmd_day_open(&d, g, &o, r.dry_run);
	if (ret != EX_OK || !d.items) {
		if (ret == EX_OK) {
			time_t day;
			util_parse_date(d.date, &day);
			printf("paperboy: no arXiv announcement for %s (%s): "
			       "nothing to send\n", d.date, util_weekday(day));
		}
		goto out;
	}
	if (day_load_templates(&d, &eb) < 0 ||
	    check_templates(&d, &d.templates, &eb) < 0) {
		cmd_error("%s", eb.msg);
		cmd_error("templates are unusable; nothing was sent");
		ret = EX_CONFIG;
		goto out;
	}
	if (d.conf.archive_enabled && !r.dry_run) {
		if (archive_load(&d.conf, &at, &eb) < 0) {
			cmd_error("%s", eb.msg);
			cmd_error("templates are unusable; nothing was sent");
			ret = EX_CONFIG;
			goto out;
		}
		dop.at = &at;
	}
	if (dop.resend && !day_has_subscriber(&d, dop.resend)) {
		cmd_error("--resend: no subscriber '%s'", dop.resend);
		ret = EX_USAGE;
		goto out;
	}
	dop.d = &d;
	dop.t = &d.templates;
	dop.dry_run = r.dry_run;
	dop.threads = compose_threads();
	dop.on_event = on_event;
	dop.ctx = &r;
	if (dispatch_open(&dop, &dp, &step, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = open_exit_code(step, &eb);
		goto out;
	}
	/* Before the mail, so that its archive links work when it comes. */
	if (dop.at && archive_write_day(&d.conf, &at, d.date, &d.listing,
					&eb) < 0)
		cmd_warn("archive: %s", eb.msg);
	r.tty = isatty(STDERR_FILENO);
	gettimeofday(&r.start, NULL);
	printf("paperboy: %s: %zu papers in %s, %zu subscriber%s, delivery "
	       "by %s\n", d.date, d.listing.n, d.listing.source, d.names.n,
	       d.names.n == 1 ? "" : "s", d.conf.delivery_method);
	if (dispatch_run(dp, &res, &eb) < 0)
		fatal = cmd_smtp_exit_code(-2, &eb);
	summary(&d, &r, &dop, &res, dispatch_journal_path(dp));
	ret = exit_code(&d, &res, fatal);
out:
	dispatch_free(dp);
	day_close(&d);
	archive_release(&at);
	return ret;
}
