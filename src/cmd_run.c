/*
 * cmd_run: `paperboy run`, the daily job, and the only file that knows the
 * order of the pipeline: config -> listing -> subscribers -> templates ->
 * for each subscriber: score, select, render, assemble, deliver.
 *
 * Design decision: everything that can make the whole run wrong (config,
 * listing, templates) is loaded and checked before the first message goes
 * out, so a broken feed or template sends nothing at all; after that, one
 * subscriber's failure is reported and the others still get their mail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "deliver.h"
#include "util.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy run [-c FILE] [--date YYYY-MM-DD] "
		"[--listing FILE] [--dry-run]\n"
		"\n"
		"Scores the day's listing for every active subscriber and "
		"delivers each\n"
		"digest (to the outbox Maildir with delivery.method = "
		"\"outbox\").\n"
		"\n"
		"  --date D        the announcement day (default: today, "
		"UTC)\n"
		"  --listing FILE  an arXiv RSS/Atom/API file for that day; a "
		"copy is kept\n"
		"                  in STATE/cache/DATE/ (default: that "
		"copy)\n"
		"  --dry-run       score and render, print what would be "
		"sent, write nothing\n"
		"\n"
		"Exit: 0 all delivered; 78 a profile was broken (the others "
		"were sent);\n"
		"65 the listing is unusable (nothing sent); 74 a delivery "
		"failed.\n");
}

struct run_counts {
	size_t sent, empty, unsubscribed, failed, delivery_failed;
};

static void run_one(const struct conf *c, const struct render_templates *t,
		    const struct score_index *idx, const struct listing *l,
		    const struct subscriber *s, const char *date, int dry_run,
		    struct run_counts *n)
{
	struct errbuf eb = ERRBUF_INIT;
	struct cmd_issue issue;
	char *path = NULL;

	if (s->status != SUBS_ACTIVE) {
		printf("  %-20s skipped: unsubscribed\n", s->id);
		n->unsubscribed++;
		return;
	}
	if (cmd_compose(c, t, idx, l, s, date, &issue, &eb) < 0) {
		cmd_error("%s: %s", s->id, eb.msg);
		n->failed++;
		goto out;
	}
	if (!issue.digest.n) {
		printf("  %-20s skipped: no paper reached relevance %ld\n",
		       s->id, s->min_relevance);
		n->empty++;
		goto out;
	}
	if (dry_run) {
		printf("  %-20s would send %zu paper%s to %s (%zu bytes)\n",
		       s->id, issue.digest.n, issue.digest.n == 1 ? "" : "s",
		       s->email, issue.message.len);
		n->sent++;
		goto out;
	}
	if (deliver_outbox_put(c->outbox_dir, s->id, buf_str(&issue.message),
			       issue.message.len, &path, &eb) < 0) {
		cmd_error("%s: %s", s->id, eb.msg);
		n->delivery_failed++;
		goto out;
	}
	printf("  %-20s %3zu paper%s -> %s\n", s->id, issue.digest.n,
	       issue.digest.n == 1 ? " " : "s", path);
	n->sent++;
out:
	free(path);
	cmd_issue_release(&issue);
}

int cmd_run(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "date", required_argument, NULL, 'd' },
		{ "listing", required_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *date_opt = NULL, *listing_path = NULL;
	struct render_templates t = { NULL, NULL };
	struct run_counts n = { 0, 0, 0, 0, 0 };
	struct errbuf eb = ERRBUF_INIT;
	struct cmd_day d;
	int opt, ret, dry_run = 0;
	size_t i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			date_opt = optarg;
			break;
		case 'l':
			listing_path = optarg;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		cmd_error("run: unexpected argument '%s'", argv[optind]);
		return EX_USAGE;
	}
	ret = cmd_day_open(&d, g, config, date_opt, listing_path, dry_run);
	if (ret != EX_OK || !d.items) {
		if (ret == EX_OK) {
			time_t day;
			util_parse_date(d.date, &day);
			printf("paperboy: no arXiv announcement for %s (%s): "
			       "nothing to send\n", d.date, util_weekday(day));
		}
		goto out;
	}
	if (render_load(d.conf.templates_dir, &t, &eb) < 0) {
		cmd_error("%s", eb.msg);
		cmd_error("templates are unusable; nothing was sent");
		ret = EX_CONFIG;
		goto out;
	}
	if (!dry_run && d.subs.n &&
	    deliver_outbox_open(d.conf.outbox_dir, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CANTCREAT;
		goto out;
	}
	printf("paperboy: %s: %zu papers in %s, %zu subscriber%s\n", d.date,
	       d.listing.n, d.listing.source, d.subs.n,
	       d.subs.n == 1 ? "" : "s");
	for (i = 0; i < d.subs.n; i++)
		run_one(&d.conf, &t, d.idx, &d.listing, &d.subs.v[i], d.date,
			dry_run, &n);

	printf("paperboy: %s: %zu digest%s %s %s", d.date, n.sent,
	       n.sent == 1 ? "" : "s",
	       dry_run ? "would be written to" : "written to",
	       d.conf.outbox_dir);
	printf("/new; skipped %zu with no match, %zu unsubscribed", n.empty,
	       n.unsubscribed);
	if (d.broken)
		printf("; %d broken profile%s", d.broken,
		       d.broken == 1 ? "" : "s");
	if (n.failed + n.delivery_failed)
		printf("; %zu failed", n.failed + n.delivery_failed);
	printf("\n");
	if (d.broken)
		ret = EX_CONFIG;
	else if (n.delivery_failed)
		ret = EX_IOERR;
	else if (n.failed)
		ret = EX_DATAERR;
out:
	render_release(&t);
	cmd_day_close(&d);
	return ret;
}
