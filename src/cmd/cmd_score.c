/*
 * cmd_score: `paperboy score SUBSCRIBER`, the profile tuning view: the
 * day's selected papers with their relevance and reasons, then the near
 * misses and why they were left out; --explain ARXIVID, one paper's whole
 * reasoning.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy score [-c FILE] SUBSCRIBER [--all] "
		"[--explain ARXIVID]\n"
		"                      [--date YYYY-MM-DD] [--listing FILE] "
		"[--force-date]\n"
		"\n"
		"Shows the papers SUBSCRIBER would get, why, and what was left "
		"out.\n"
		"\n"
		"  --all                also the papers that matched nothing\n"
		"  --explain ARXIVID    one paper's whole reasoning\n"
		CMD_DAY_HELP
		CMD_HELP_END);
}

static void print_paper(const struct paper *p, const struct score_entry *e,
			const char *rank)
{
	printf("%5s %2d  %-12s %s\n", rank, e->relevance, p->id, p->title);
	if (e->judged)
		printf("%21sLLM judge: relevance %d, novelty %d\n", "",
		       e->relevance, e->novelty);
	if (e->comment)
		printf("%21s%s\n", "", e->comment);
	if (e->dropped)
		printf("%21sleft out: %s\n", "", e->dropped);
}

static void print_report(const struct day *d, const struct subscriber *s,
			 const struct issue *is, int all)
{
	const struct digest *dg = &is->digest;
	size_t i, j;

	printf("%s on %s: %zu of %zu papers selected (%zu scanned, "
	       "min_relevance %ld, max_papers %ld)\n\n",
	       s->id, d->date, dg->n, dg->total, dg->scanned,
	       s->min_relevance, s->max_papers);
	if (dg->cost.judged)
		printf("LLM judge (%s, cached verdicts): %ld prompt + %ld "
		       "completion tokens, $%.4f\n\n",
		       dg->cost.model ? dg->cost.model : "?",
		       dg->cost.prompt_tokens, dg->cost.completion_tokens,
		       dg->cost.usd);
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
				   (!strncmp(e->dropped, "excluded", 8) ||
				    !strncmp(e->dropped, "never:", 6) ||
				    strstr(e->dropped, "(no topic counted)")))) {
			print_paper(p, e, "-");
		}
	}
}

/* Prints one paper's reasoning and where it ends up in the digest. */
static int explain(const struct day *d, const struct subscriber *s,
		   const struct issue *is, const char *arxiv_id)
{
	const struct paper *p;
	struct buf out = BUF_INIT;
	char *id;
	size_t i;
	int version;

	id = listing_parse_id(arxiv_id, &version);
	p = id ? listing_find(&d->listing, id) : NULL;
	free(id);
	if (!p) {
		cmd_error("--explain: no paper %s in the listing of %s",
			  arxiv_id, d->date);
		return EX_DATAERR;
	}
	score_explain(d->idx, s, (size_t)(p - d->listing.papers), &out);
	fputs(buf_str(&out), stdout);
	buf_release(&out);
	for (i = 0; i < is->digest.n; i++)
		if (is->digest.items[i].paper == p)
			break;
	if (i < is->digest.n)
		printf("Digest: sent, rank %zu of %zu\n", i + 1,
		       is->digest.n);
	else if (is->scores.entries[p - d->listing.papers].relevance < 1)
		printf("Digest: not sent\n");
	else if (is->scores.entries[p - d->listing.papers].relevance <
		 s->min_relevance)
		printf("Digest: not sent, relevance below min_relevance "
		       "%ld\n", s->min_relevance);
	else
		printf("Digest: not sent, beyond max_papers %ld\n",
		       s->max_papers);
	return EX_OK;
}

int cmd_score(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "explain", required_argument, NULL, 'e' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL, 0, 0 };
	struct errbuf eb = ERRBUF_INIT;
	struct issue issue;
	struct digest_cost cost;
	const struct subscriber *s;
	struct day d;
	const char *explain_id = NULL;
	int opt, ret, all = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = 1;
			break;
		case 'e':
			explain_id = optarg;
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
	ret = cmd_day_open(&d, g, &o, 1);
	if (ret != EX_OK)
		goto out;
	if (!d.items) {
		printf("no arXiv announcement for %s: nothing to score\n",
		       d.date);
		goto out;
	}
	s = cmd_find_subscriber(&d.subs, argv[optind], &d.conf);
	if (!s) {
		ret = EX_USAGE;
		goto out;
	}
	memset(&issue, 0, sizeof(issue));
	/* The judge's cached verdicts, as the digest would show them. */
	if (issue_score(&d.conf, d.idx, &d.listing, s, &issue.scores,
			  &eb) < 0 ||
	    issue_judge(&d, s, &issue.scores, &cost, &issue.warnings, &eb) <
		    0) {
		cmd_error("%s", eb.msg);
		ret = cmd_exit_code(&eb, EX_IOERR);
		score_result_release(&issue.scores);
		goto out;
	}
	cmd_report_warnings(s, &issue.warnings);
	digest_build(s, &d.listing, &issue.scores, d.date, &issue.digest);
	issue.digest.cost = cost;
	if (explain_id)
		ret = explain(&d, s, &issue, explain_id);
	else
		print_report(&d, s, &issue, all);
	issue_release(&issue);
out:
	day_close(&d);
	return ret;
}
