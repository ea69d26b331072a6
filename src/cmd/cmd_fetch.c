/*
 * cmd_fetch: `paperboy fetch`, which gets the day's listing into the cache
 * (source.h) and says what it got.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "source.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy fetch [-c FILE] [--date YYYY-MM-DD] "
		"[--listing FILE]\n"
		"                      [--force-date] [--list]\n"
		"\n"
		"Gets the day's listing into STATE/cache/DATE/.\n"
		"\n"
		CMD_DAY_HELP
		"  --list               print one line per paper\n"
		CMD_HELP_END);
}

int cmd_fetch(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'L' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct source_log log;
	int quiet;
	struct cmd_day_opts o = { NULL, NULL, NULL, 0, 0 };
	struct errbuf eb = ERRBUF_INIT;
	int list = 0;
	struct listing l;
	struct conf c;
	char date[16];
	int opt, ret, items = 0;
	size_t i, counts[5] = { 0 };

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'L':
			list = 1;
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
		usage(stderr);
		return EX_USAGE;
	}
	if ((ret = cmd_load_conf(o.config, g, &c)) != EX_OK)
		return ret;
	if (day_resolve_date(&c, o.date, date, sizeof(date), &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = cmd_exit_code(&eb, EX_USAGE);
		goto out;
	}
	printf("paperboy: fetching the listing of %s\n", date);
	fflush(stdout);
	quiet = o.date != NULL;
	cmd_source_log(&log, &quiet);
	if (source_load(&c, date, o.listing,
			SOURCE_STORE | (o.force_date ? SOURCE_FORCE_DATE : 0),
			&log, &l, &items, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = cmd_exit_code(&eb, EX_SOFTWARE);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		const struct paper *p = &l.papers[i];
		char *cats = strv_join(&p->categories, ",");
		counts[p->announce]++;
		if (list)
			printf("%s\t%s\t%s\t%s\n", p->id,
			       listing_announce_name(p->announce),
			       cats[0] ? cats : "-", p->title);
		free(cats);
	}
	printf("paperboy: %s: %zu papers (%zu new, %zu cross, %zu replace, "
	       "%zu replace-cross, %zu other) in %s\n", date, l.n,
	       counts[LISTING_ANNOUNCE_NEW], counts[LISTING_ANNOUNCE_CROSS],
	       counts[LISTING_ANNOUNCE_REPLACE],
	       counts[LISTING_ANNOUNCE_REPLACE_CROSS],
	       counts[LISTING_ANNOUNCE_UNKNOWN], l.source);
	listing_release(&l);
out:
	conf_release(&c);
	return ret;
}
