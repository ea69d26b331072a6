/*
 * cmd_score: `paperboy score SUBSCRIBER`, the profile tuning view: the
 * day's selected papers with their relevance and reasons, then the near
 * misses and why they were left out.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy score [-c FILE] SUBSCRIBER [--date "
		"YYYY-MM-DD] [--listing FILE] [--all]\n"
		"\n"
		"Shows the papers SUBSCRIBER would get today, best first, "
		"with why each\n"
		"matched, then the papers that matched something but were "
		"left out\n"
		"(excluded, below min_relevance, beyond max_papers). --all "
		"also lists\n"
		"the papers that matched nothing.\n");
}

static void print_paper(const struct paper *p, const struct score_entry *e,
			const char *rank)
{
	printf("%5s %2d  %-12s %s\n", rank, e->relevance, p->id, p->title);
	if (e->comment)
		printf("%21s%s\n", "", e->comment);
	if (e->dropped)
		printf("%21sleft out: %s\n", "", e->dropped);
}

static void print_report(const struct cmd_day *d, const struct subscriber *s,
			 const struct cmd_issue *is, int all)
{
	const struct digest *dg = &is->digest;
	size_t i, j;

	printf("%s on %s: %zu of %zu papers selected (%zu scanned, "
	       "min_relevance %ld, max_papers %ld)\n\n",
	       s->id, d->date, dg->n, dg->total, dg->scanned,
	       s->min_relevance, s->max_papers);
	printf(" rank rel  arXiv ID     title\n");
	for (i = 0; i < dg->n; i++) {
		char rank[24];
		snprintf(rank, sizeof(rank), "%zu.", i + 1);
		print_paper(dg->items[i].paper, dg->items[i].score, rank);
	}
	printf("\nLeft out:\n");
	for (i = 0; i < is->scores.n; i++) {
		const struct score_entry *e = &is->scores.entries[i];
		const struct paper *p = &d->listing.papers[e->paper];
		int selected = 0;

		for (j = 0; j < dg->n; j++)
			if (dg->items[j].score == e)
				selected = 1;
		if (selected)
			continue;
		if (e->relevance > 0) {
			struct score_entry shown = *e;
			char why[128];
			if (e->relevance < s->min_relevance)
				snprintf(why, sizeof(why), "relevance %d is "
					 "below min_relevance %ld",
					 e->relevance, s->min_relevance);
			else
				snprintf(why, sizeof(why), "beyond max_papers "
					 "%ld", s->max_papers);
			shown.dropped = why;
			print_paper(p, &shown, "-");
		} else if (all || (e->dropped &&
				   !strncmp(e->dropped, "excluded", 8))) {
			print_paper(p, e, "-");
		}
	}
}

int cmd_score(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL };
	struct errbuf eb = ERRBUF_INIT;
	struct cmd_issue issue;
	const struct subscriber *s;
	struct cmd_day d;
	int opt, ret, all = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = 1;
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
	if (optind + 1 != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	ret = cmd_day_open(&d, g, o.config, o.date, o.listing, 1);
	if (ret != EX_OK)
		goto out;
	if (!d.items) {
		printf("no arXiv announcement for %s: nothing to score\n",
		       d.date);
		goto out;
	}
	s = subs_find(&d.subs, argv[optind]);
	if (!s) {
		cmd_error("no subscriber '%s' in %s (see 'paperboy "
			  "subscribers list')", argv[optind],
			  d.conf.subscribers_dir);
		ret = EX_USAGE;
		goto out;
	}
	memset(&issue, 0, sizeof(issue));
	if (cmd_score_one(&d.conf, d.idx, &d.listing, s, &issue.scores,
			  &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_IOERR;
		score_result_release(&issue.scores);
		goto out;
	}
	digest_build(s, &d.listing, &issue.scores, d.date, &issue.digest);
	print_report(&d, s, &issue, all);
	cmd_issue_release(&issue);
out:
	cmd_day_close(&d);
	return ret;
}
