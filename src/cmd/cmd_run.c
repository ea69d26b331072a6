/*
 * cmd_run: `paperboy run`, the daily job, and the only file that knows the
 * order of the pipeline: config -> listing -> subscribers -> templates ->
 * journal -> for each subscriber: score, select, render, assemble, deliver.
 *
 * Design decision: everything that can make the whole run wrong (config,
 * listing, templates, the journal) is loaded and checked before the first
 * message goes out, so a broken feed or template sends nothing at all;
 * after that, one subscriber's failure is reported and the others still
 * get their mail. Every message goes through the day's journal ("attempt"
 * before, the outcome after), so a rerun mails nobody twice. Digests are
 * composed and sent in batches of delivery.smtp.batch, so memory does not
 * grow with the number of subscribers.
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
#include "journal.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy run [-c FILE] [--date YYYY-MM-DD] "
		"[--listing FILE] [--dry-run]\n"
		"                    [--resend SUBSCRIBER] "
		"[--resend-in-doubt]\n"
		"\n"
		"Scores the day's listing for every active subscriber and "
		"delivers each\n"
		"digest (delivery.method: the outbox Maildir, or SMTP). Every "
		"message is\n"
		"recorded in STATE/journal/DATE; a rerun of the day skips who "
		"was sent.\n"
		"\n"
		"  --date D             the announcement day (default: today, "
		"UTC)\n"
		"  --listing FILE       an arXiv RSS/Atom/API file for that "
		"day; a copy is\n"
		"                       kept in STATE/cache/DATE/ (default: "
		"that copy)\n"
		"  --dry-run            score and render, print what would be "
		"sent, write\n"
		"                       nothing\n"
		"  --resend ID          send to subscriber ID even if the "
		"journal says sent\n"
		"  --resend-in-doubt    also send the messages a crash left "
		"in doubt\n"
		"\n"
		"Exit: 0 all delivered; 75 something was deferred (run again "
		"later);\n"
		"80 a message is in doubt (see the journal); 69 a recipient "
		"was refused;\n"
		"78 a profile was broken (the others were sent); 65 the "
		"listing is\n"
		"unusable (nothing sent); 77 SMTP authentication failed; 76 "
		"TLS or\n"
		"protocol failure; 74 a write failed. See paperboy(1).\n");
}

struct run_counts {
	size_t sent, deferred, failed, in_doubt, unsubscribed, empty;
	size_t already_sent, failed_earlier, compose_failed;
};

/* One composed message waiting in the current batch. */
struct pending {
	struct issue issue;
	struct deliver_item item;
};

struct run {
	struct day *d;
	struct render_templates *t;
	struct archive_templates *at; /* NULL: no web archive */
	struct journal *journal;
	struct deliver_smtp *smtp;
	const char *resend;
	int resend_in_doubt;
	int dry_run;
	int fatal;                /* an exit code that stops the run */
	struct run_counts n;
	double smtp_seconds;      /* wall time inside SMTP sessions */
	struct pending *batch;
	size_t nbatch;
	/* progress on a terminal */
	int tty;
	size_t todo, done;
	struct timeval start;
};

static void progress(struct run *r)
{
	struct timeval now;
	double secs;

	if (!r->tty || r->dry_run)
		return;
	gettimeofday(&now, NULL);
	secs = (double)(now.tv_sec - r->start.tv_sec) +
	       (double)(now.tv_usec - r->start.tv_usec) / 1e6;
	fprintf(stderr, "\r  delivered %zu of %zu (%.1f/s)   ", r->done,
		r->todo, secs > 0 ? (double)r->done / secs : 0.0);
	if (r->done == r->todo)
		fputc('\n', stderr);
}

static enum journal_state journal_of(enum deliver_outcome o)
{
	switch (o) {
	case DELIVER_SENT:
		return JOURNAL_SENT;
	case DELIVER_FAILED:
		return JOURNAL_FAILED;
	default:
		return JOURNAL_DEFERRED;
	}
}

/* A message that cannot be journaled must not go out: stop at once. */
static void journal_fatal(const struct errbuf *eb)
{
	cmd_error("%s", eb->msg);
	cmd_error("cannot record deliveries; stopping now so that no message "
		  "goes out unrecorded");
	exit(EX_IOERR);
}

static void on_attempt(struct deliver_item *it, void *ctx)
{
	struct run *r = ctx;
	struct errbuf eb = ERRBUF_INIT;

	/* The fsync runs while the data goes out; on_data_end waits. */
	if (journal_attempt_begin(r->journal, it->tag, it->message_id, &eb) <
	    0)
		journal_fatal(&eb);
}

static void on_data_end(struct deliver_item *it, void *ctx)
{
	struct run *r = ctx;
	struct errbuf eb = ERRBUF_INIT;

	if (journal_attempt_wait(r->journal, &eb) < 0)
		journal_fatal(&eb);
}

static void on_result(struct deliver_item *it, void *ctx)
{
	struct run *r = ctx;
	struct errbuf eb = ERRBUF_INIT;

	if (journal_result(r->journal, it->tag, journal_of(it->outcome),
			   it->message_id, it->reply, &eb) < 0)
		journal_fatal(&eb);
	if (it->outcome == DELIVER_SENT && it->user &&
	    issue_record_history(&r->d->conf, it->user, &eb) < 0)
		cmd_warn("%s", eb.msg);
	if (it->outcome == DELIVER_SENT || it->outcome == DELIVER_FAILED) {
		r->done++;
		progress(r);
	}
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

static void count(struct run *r, const struct deliver_item *it)
{
	switch (it->outcome) {
	case DELIVER_SENT:
		r->n.sent++;
		break;
	case DELIVER_FAILED:
		r->n.failed++;
		break;
	case DELIVER_IN_DOUBT:
		r->n.in_doubt++;
		break;
	default:
		r->n.deferred++;
		break;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Sends the batch over SMTP, retrying what the server deferred. */
static void flush_smtp(struct run *r)
{
	const struct conf *c = &r->d->conf;
	struct deliver_hooks hooks = { on_attempt, on_data_end, on_result,
				       r };
	struct deliver_item *items = xcalloc(r->nbatch, sizeof(*items));
	struct pending **owner = xcalloc(r->nbatch, sizeof(*owner));
	struct errbuf eb = ERRBUF_INIT;
	long delay = c->smtp_retry_delay_ms;
	struct timespec t0, t1;
	size_t i, k;
	long attempt;
	int ret = 0;

	for (attempt = 1; attempt <= c->smtp_retries; attempt++) {
		/* This round: what is still pending or deferred. */
		for (i = 0, k = 0; i < r->nbatch; i++) {
			enum deliver_outcome o = r->batch[i].item.outcome;
			if (o == DELIVER_PENDING || o == DELIVER_DEFERRED) {
				items[k] = r->batch[i].item;
				owner[k++] = &r->batch[i];
			}
		}
		if (!k)
			break;
		if (attempt > 1) {
			sleep_ms(delay);
			delay *= 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = deliver_smtp_send(r->smtp, items, k, &hooks, &eb);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		r->smtp_seconds += (double)(t1.tv_sec - t0.tv_sec) +
				   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		for (i = 0; i < k; i++)
			owner[i]->item = items[i];
		if (ret == -2) {
			cmd_error("%s", eb.msg);
			r->fatal = cmd_smtp_exit_code(ret, &eb);
			break;
		}
		if (ret < 0)
			cmd_warn("SMTP session %ld of %ld: %s", attempt,
				 c->smtp_retries, eb.msg);
	}
	for (i = 0; i < r->nbatch; i++) {
		struct deliver_item *it = &r->batch[i].item;

		if (it->outcome == DELIVER_PENDING && !r->fatal) {
			/* Never reached the server: record it as deferred,
			 * so the next run tries again. */
			if (snprintf(it->reply, sizeof(it->reply),
				     "not attempted: %s", eb.msg) < 0)
				it->reply[0] = '\0';
			it->outcome = DELIVER_DEFERRED;
			on_result(it, r);
		}
		if (r->fatal && it->outcome == DELIVER_PENDING)
			continue; /* the summary says why */
		report(it);
		count(r, it);
	}
	free(items);
	free(owner);
}

/* Writes the batch into the outbox Maildir, through the journal. */
static void flush_outbox(struct run *r)
{
	const struct conf *c = &r->d->conf;
	size_t i;

	for (i = 0; i < r->nbatch; i++) {
		struct deliver_item *it = &r->batch[i].item;
		struct errbuf eb = ERRBUF_INIT;
		char *path = NULL;

		on_attempt(it, r);
		on_data_end(it, r);
		if (deliver_outbox_put(c->outbox_dir, it->tag, it->data,
				       it->len, &path, &eb) < 0) {
			it->outcome = DELIVER_DEFERRED;
			if (snprintf(it->reply, sizeof(it->reply), "%s",
				     eb.msg) < 0)
				it->reply[0] = '\0';
			cmd_error("%s: %s", it->tag, eb.msg);
		} else {
			it->outcome = DELIVER_SENT;
			snprintf(it->reply, sizeof(it->reply), "%s", path);
			printf("  %-20s %3zu paper%s -> %s\n", it->tag,
			       r->batch[i].issue.digest.n,
			       r->batch[i].issue.digest.n == 1 ? " " : "s",
			       path);
		}
		on_result(it, r);
		count(r, it);
		free(path);
	}
}

/*
 * The profiles are loaded when the run starts, and an unsubscribe may come
 * while it runs: just before the batch goes out, each subscriber's status
 * is checked again (one stat() when the file is unchanged), and whoever
 * left is dropped from the batch.
 */
static void drop_departed(struct run *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->nbatch; i++) {
		struct pending *p = &r->batch[i];
		const struct subscriber *s = p->issue.digest.sub;
		struct errbuf eb = ERRBUF_INIT;
		int active = subs_still_active(s, &eb);

		if (active < 0) {
			/* Not journaled: the next run tries again. */
			cmd_warn("%s: not sent: %s", s->id, eb.msg);
			r->n.deferred++;
		} else if (!active) {
			printf("  %-20s skipped: unsubscribed during the run\n",
			       s->id);
			r->n.unsubscribed++;
		}
		if (active <= 0) {
			r->todo--;
			issue_release(&p->issue);
			continue;
		}
		if (k != i) {
			r->batch[k] = *p;
			r->batch[k].item.user = &r->batch[k].issue;
		}
		k++;
	}
	r->nbatch = k;
}

static void flush(struct run *r)
{
	size_t i;

	if (!r->dry_run)
		drop_departed(r);
	if (!r->nbatch)
		return;
	if (r->smtp)
		flush_smtp(r);
	else
		flush_outbox(r);
	for (i = 0; i < r->nbatch; i++)
		issue_release(&r->batch[i].issue);
	r->nbatch = 0;
}

/* 1 if the journal says s is done for today (and why, printed). */
static int already_handled(struct run *r, const struct subscriber *s)
{
	const char *mid = NULL, *reply = NULL;
	enum journal_state st;
	int forced = r->resend && !strcmp(r->resend, s->id);

	if (!r->journal || forced)
		return 0;
	st = journal_state(r->journal, s->id, &mid, &reply);
	switch (st) {
	case JOURNAL_SENT:
		printf("  %-20s already sent today (%s)\n", s->id, mid);
		r->n.already_sent++;
		return 1;
	case JOURNAL_FAILED:
		printf("  %-20s failed earlier today: %s\n", s->id, reply);
		r->n.failed_earlier++;
		return 1;
	case JOURNAL_IN_DOUBT:
		if (r->resend_in_doubt)
			return 0;
		printf("  %-20s IN DOUBT since a crash: %s may have been "
		       "delivered; not resent (use --resend-in-doubt or "
		       "--resend %s)\n", s->id, mid, s->id);
		r->n.in_doubt++;
		return 1;
	default:
		return 0;
	}
}

static void run_one(struct run *r, const struct subscriber *s)
{
	struct day *d = r->d;
	struct errbuf eb = ERRBUF_INIT;
	struct pending *p;

	if (s->status != SUBS_ACTIVE) {
		printf("  %-20s skipped: unsubscribed\n", s->id);
		r->n.unsubscribed++;
		return;
	}
	if (already_handled(r, s))
		return;
	p = &r->batch[r->nbatch];
	memset(p, 0, sizeof(*p));
	if (issue_compose(d, r->t, s, NULL, &p->issue, &eb) < 0) {
		cmd_report_warnings(s, &p->issue.warnings);
		cmd_error("%s: %s", s->id, eb.msg);
		r->n.compose_failed++;
		issue_release(&p->issue);
		return;
	}
	cmd_report_warnings(s, &p->issue.warnings);
	/* The judge's verdicts teach s's model (a real run only). */
	if (!r->dry_run &&
	    issue_record_judged(d, s, &p->issue, NULL, &eb) < 0)
		cmd_warn("%s: the judge's labels were not kept: %s", s->id,
			 eb.msg);
	if (!p->issue.digest.n) {
		printf("  %-20s skipped: no paper reached relevance %ld\n",
		       s->id, s->min_relevance);
		r->n.empty++;
		issue_release(&p->issue);
		return;
	}
	if (r->dry_run) {
		printf("  %-20s would send %zu paper%s to %s (%zu bytes)\n",
		       s->id, p->issue.digest.n,
		       p->issue.digest.n == 1 ? "" : "s", s->email,
		       p->issue.message.len);
		r->n.sent++;
		issue_release(&p->issue);
		return;
	}
	if (r->at && s->archive &&
	    archive_write_reader(&d->conf, r->t, &p->issue.digest, &eb) < 0)
		cmd_warn("%s: archive page: %s", s->id, eb.msg);
	p->item.tag = s->id;
	p->item.rcpt = s->email;
	p->item.data = buf_str(&p->issue.message);
	p->item.len = p->issue.message.len;
	p->item.message_id = p->issue.message_id;
	p->item.user = &p->issue;
	r->nbatch++;
	if (r->nbatch == (size_t)d->conf.smtp_batch)
		flush(r);
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

static void summary(const struct run *r)
{
	const struct run_counts *n = &r->n;

	printf("paperboy: %s summary%s:\n", r->d->date,
	       r->dry_run ? " (dry run)" : "");
	printf("  %-22s %zu\n", r->dry_run ? "would send" : "sent", n->sent);
	printf("  %-22s %zu\n", "deferred", n->deferred);
	printf("  %-22s %zu\n", "failed", n->failed + n->compose_failed);
	printf("  %-22s %zu\n", "in-doubt", n->in_doubt);
	printf("  %-22s %zu\n", "skipped-unsubscribed", n->unsubscribed);
	printf("  %-22s %zu\n", "skipped-empty", n->empty);
	printf("  %-22s %zu\n", "already-sent", n->already_sent);
	if (n->failed_earlier)
		printf("  %-22s %zu\n", "failed-earlier", n->failed_earlier);
	if (r->d->broken.n)
		printf("  %-22s %zu\n", "broken-profiles", r->d->broken.n);
	if (r->smtp) {
		printf("  %-22s %lu\n", "smtp-connections",
		       deliver_smtp_connections(r->smtp));
		/* Delivery alone, composing left out (make bench reads it). */
		printf("  %-22s %.3f\n", "smtp-seconds", r->smtp_seconds);
	}
	if (r->journal)
		printf("  journal: %s\n", journal_path(r->journal));
	if (r->d->llm)
		llm_summary(r->d);
}

static int prepare(struct run *r, struct errbuf *eb)
{
	struct day *d = r->d;
	char *dir;
	size_t removed = 0;
	time_t today;
	int ret = EX_OK;

	if (r->dry_run)
		return EX_OK;
	dir = util_path_join(d->conf.state_dir, "journal");
	if (journal_open(dir, d->date, &r->journal, eb) < 0) {
		cmd_error("%s", eb->msg);
		/* A damaged journal is data to repair, not a wait. */
		ret = cmd_exit_code(eb, EX_IOERR);
		goto out;
	}
	util_parse_date(d->date, &today);
	if (journal_prune(dir, today, (int)d->conf.journal_keep_days,
			  &removed, eb) < 0)
		cmd_warn("pruning old journals: %s", eb->msg);
	if (!strcmp(d->conf.delivery_method, "smtp")) {
		if (deliver_smtp_open(&d->conf, &r->smtp, eb) < 0) {
			cmd_error("%s", eb->msg);
			ret = cmd_exit_code(eb, EX_CONFIG);
		}
	} else if (deliver_outbox_open(d->conf.outbox_dir, eb) < 0) {
		cmd_error("%s", eb->msg);
		ret = EX_CANTCREAT;
	}
out:
	free(dir);
	return ret;
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

static int check_templates(const struct day *d,
			   const struct render_templates *t,
			   struct errbuf *eb)
{
	/* Lexical scores only: the judge would be asked (and paid) for a
	 * digest that is thrown away. */
	struct issue_opts opts = { NULL, NULL, 1 };
	size_t i;

	for (i = 0; i < d->subs.n; i++) {
		struct issue issue;
		int bad = 0, done = 0;

		if (d->subs.v[i].status != SUBS_ACTIVE)
			continue;
		memset(&issue, 0, sizeof(issue));
		if (issue_compose(d, t, &d->subs.v[i], &opts, &issue, eb) < 0)
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

/*
 * The most useful thing to do next decides the code (docs/paperboy.1 has
 * the table): run again later (75), look at the messages in doubt (80),
 * at the refused recipients (69), at a broken profile (78), at a digest
 * that could not be composed (65). The summary lists every count.
 * Recipients refused by an earlier run of the day were reported by its
 * exit code; messages in doubt since a crash never were (the crashed run
 * had none), so they count until settled with --resend-in-doubt.
 */
static int exit_code(const struct run *r)
{
	if (r->fatal)
		return r->fatal;
	if (r->n.deferred)
		return EX_TEMPFAIL;
	if (r->n.in_doubt)
		return CMD_EX_IN_DOUBT;
	if (r->n.failed)
		return EX_UNAVAILABLE;
	if (r->d->broken.n)
		return EX_CONFIG;
	if (r->n.compose_failed)
		return EX_DATAERR;
	return EX_OK;
}

int cmd_run(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "resend", required_argument, NULL, 'r' },
		{ "resend-in-doubt", no_argument, NULL, 'D' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL, 0 };
	struct render_templates t = { NULL, NULL };
	struct archive_templates at = { NULL, NULL, NULL, NULL };
	struct errbuf eb = ERRBUF_INIT;
	struct day d;
	struct run r;
	int opt, ret;
	size_t i;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			r.dry_run = 1;
			break;
		case 'r':
			r.resend = optarg;
			break;
		case 'D':
			r.resend_in_doubt = 1;
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
	if (render_load(&d.conf, &t, &eb) < 0 ||
	    check_templates(&d, &t, &eb) < 0) {
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
		r.at = &at;
	}
	if (r.resend && !subs_find(&d.subs, r.resend)) {
		cmd_error("--resend: no subscriber '%s'", r.resend);
		ret = EX_USAGE;
		goto out;
	}
	r.d = &d;
	r.t = &t;
	if ((ret = prepare(&r, &eb)) != EX_OK)
		goto out;
	/* Before the mail, so that its archive links work when it comes. */
	if (r.at && archive_write_day(&d.conf, &at, d.date, &d.listing,
				      &eb) < 0)
		cmd_warn("archive: %s", eb.msg);
	r.batch = xcalloc((size_t)d.conf.smtp_batch, sizeof(*r.batch));
	r.tty = isatty(STDERR_FILENO);
	gettimeofday(&r.start, NULL);
	for (i = 0; i < d.subs.n; i++)
		r.todo += d.subs.v[i].status == SUBS_ACTIVE;
	printf("paperboy: %s: %zu papers in %s, %zu subscriber%s, delivery "
	       "by %s\n", d.date, d.listing.n, d.listing.source, d.subs.n,
	       d.subs.n == 1 ? "" : "s", d.conf.delivery_method);
	for (i = 0; i < d.subs.n && !r.fatal; i++)
		run_one(&r, &d.subs.v[i]);
	if (!r.fatal)
		flush(&r);
	summary(&r);
	ret = exit_code(&r);
out:
	for (i = 0; i < r.nbatch; i++)
		issue_release(&r.batch[i].issue);
	free(r.batch);
	deliver_smtp_free(r.smtp);
	journal_close(r.journal);
	render_release(&t);
	archive_release(&at);
	day_close(&d);
	return ret;
}
