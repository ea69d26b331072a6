/*
 * cmd_feedback: `paperboy feedback SUBSCRIBER (--up | --down) ARXIVID...`,
 * the operator's (or a script's) way to tell paperboy what a reader wants
 * more or less of; the votes train the reader's model (learn.h).
 *
 * Design decision: a vote stores the paper's text (feedback.h), so the
 * papers must be in that day's listing, read like every other command
 * reads a day (the cache, the network, or --listing, kept in the cache);
 * one unknown ID refuses them all, so a typo never records half a list.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "feedback.h"
#include "source.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy feedback [-c FILE] SUBSCRIBER (--up | --down) "
		"ARXIVID...\n"
		"                         [--date YYYY-MM-DD] [--listing "
		"FILE] [--force-date]\n"
		"\n"
		"Records that SUBSCRIBER wants more (--up) or fewer (--down) "
		"papers like\n"
		"these, in STATE/feedback/SUBSCRIBER, with each paper's title "
		"and abstract\n"
		"from that day's listing; the next run learns from them. An "
		"ID that is\n"
		"not in the listing records nothing.\n"
		"\n"
		"  --up, --down         the vote\n" CMD_DAY_HELP
		"  -h, --help           this help\n"
		"\n"
		"See paperboy(1).\n");
}

/* The paper of l an ID given on the command line names, or NULL. */
static const struct paper *find(const struct listing *l, const char *arg)
{
	int version;
	char *id = listing_parse_id(arg, &version);
	const struct paper *p = id ? listing_find(l, id) : NULL;

	free(id);
	return p;
}

int cmd_feedback(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
	    {"up", no_argument, NULL, 'u'},
	    {"down", no_argument, NULL, 'D'},
	    CMD_DAY_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	static const struct source_log log = {NULL, NULL, NULL};
	struct cmd_day_opts o = { NULL, NULL, NULL, 0, 0 };
	struct errbuf eb = ERRBUF_INIT;
	struct subs_list subs;
	struct strv broken = STRV_INIT;
	struct listing l;
	struct conf conf;
	char date[16];
	const char *sub;
	int i, opt, ret, up = -1, items = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
		case 'D':
			if (up >= 0 && up != (opt == 'u')) {
				cmd_error("--up and --down: give one");
				return EX_USAGE;
			}
			up = opt == 'u';
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
	if (up < 0 || optind + 2 > argc) {
		usage(stderr);
		return EX_USAGE;
	}
	sub = argv[optind];
	memset(&conf, 0, sizeof(conf));
	memset(&subs, 0, sizeof(subs));
	listing_init(&l);
	ret = cmd_load_conf(o.config, g, &conf);
	if (ret != EX_OK)
		goto out;
	if (day_load_subscribers(&conf, &subs, &broken, &eb) < 0)
		goto fail;
	if (!subs_find(&subs, sub)) {
		cmd_report_broken(&broken);
		cmd_find_subscriber(&subs, sub, &conf);
		ret = EX_USAGE;
		goto out;
	}
	if (day_resolve_date(&conf, o.date, date, sizeof(date), &eb) < 0 ||
	    source_load(&conf, date, o.listing,
			SOURCE_STORE | (o.force_date ? SOURCE_FORCE_DATE : 0),
			&log, &l, &items, &eb) < 0)
		goto fail;
	/* Every ID first: one that is not there records nothing. */
	for (i = optind + 1; i < argc; i++) {
		if (!find(&l, argv[i])) {
			cmd_error("no paper %s in the listing of %s; nothing "
				  "was recorded",
				  argv[i], date);
			ret = EX_DATAERR;
			goto out;
		}
	}
	if (feedback_vote_ids(conf.state_dir, sub, &l, date,
			      (const char *const *)argv + optind + 1,
			      (size_t)(argc - optind - 1), up, "cli",
			      &eb) < 0) {
		cmd_error("%s; nothing was recorded", eb.msg);
		ret = cmd_exit_code(&eb, EX_IOERR);
		goto out;
	}
	for (i = optind + 1; i < argc; i++) {
		const struct paper *p = find(&l, argv[i]);

		printf("recorded %s-vote by %s on %s: %s %s\n",
		       up ? "up" : "down", sub, date, p->id, p->title);
	}
	ret = EX_OK;
	goto out;
fail:
	cmd_error("%s", eb.msg);
	ret = cmd_exit_code(&eb, EX_SOFTWARE);
out:
	listing_release(&l);
	subs_list_release(&subs);
	strv_release(&broken);
	if (conf.path)
		conf_release(&conf);
	return ret;
}
