/*
 * cmd_render: `paperboy render SUBSCRIBER`, prints exactly what would be
 * mailed to one subscriber, for previewing a template or a profile.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy render [-c FILE] SUBSCRIBER [--html | --text "
		"| --eml]\n"
		"                       [--date YYYY-MM-DD] [--listing FILE] "
		"[--force-date]\n"
		"\n"
		"Prints one subscriber's digest of the day, as it would be "
		"mailed.\n"
		"\n"
		"  --html               the HTML part (the default)\n"
		"  --text               the text part\n"
		"  --eml                the whole message\n"
		CMD_DAY_HELP
		CMD_HELP_END);
}

int cmd_render(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "html", no_argument, NULL, 'H' },
		{ "text", no_argument, NULL, 'T' },
		{ "eml", no_argument, NULL, 'E' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL, 0, 0 };
	const char *id = NULL;
	struct errbuf eb = ERRBUF_INIT;
	struct issue issue;
	const struct subscriber *s;
	const struct buf *part;
	struct day d;
	/* The real issue, with its decoded parts kept for printing. */
	struct issue_opts keep = { NULL, NULL, 0, 1 };
	int opt, ret, what = 'H', composed = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'H':
		case 'T':
		case 'E':
			what = opt;
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
	id = argv[optind];
	/* Previewing never writes: a --listing is not cached here. */
	ret = cmd_day_open(&d, g, &o, 1);
	if (ret != EX_OK)
		goto out;
	if (!d.items) {
		cmd_error("no arXiv announcement for %s: nothing to render",
			  d.date);
		ret = EX_NOINPUT;
		goto out;
	}
	s = cmd_find_subscriber(&d.subs, id, &d.conf);
	if (!s) {
		ret = EX_USAGE;
		goto out;
	}
	if (day_load_templates(&d, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CONFIG;
		goto out;
	}
	composed = 1;
	if (issue_compose(&d, &d.templates, s, &keep, &issue, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = cmd_exit_code(&eb, EX_DATAERR);
		goto out;
	}
	cmd_report_warnings(s, &issue.warnings);
	part = what == 'H' ? &issue.html
	     : what == 'T' ? &issue.text : &issue.message;
	if (fwrite(buf_str(part), 1, part->len, stdout) != part->len ||
	    fflush(stdout) != 0) {
		cmd_error("cannot write to standard output");
		ret = EX_IOERR;
	}
out:
	if (composed)
		issue_release(&issue);
	day_close(&d);
	return ret;
}
