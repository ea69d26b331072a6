/*
 * cmd_send_test: `paperboy send-test --to ADDR`, one test issue to one
 * address, through the configured delivery, so an operator can see the
 * real thing before the first run.
 *
 * Design decision: a test issue touches no journal and changes no state
 * (it never counts as the subscriber's issue of the day), and its subject
 * says "[TEST] " so nobody mistakes it for the real one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "deliver.h"
#include "mime.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy send-test [-c FILE] --to ADDR [--as "
		"SUBSCRIBER]\n"
		"                          [--date YYYY-MM-DD] [--listing "
		"FILE] [--force-date]\n"
		"\n"
		"Sends one test issue of a subscriber's digest to ADDR only.\n"
		"\n"
		"  --to ADDR            the address to send to\n"
		"  --as SUBSCRIBER      whose digest (default: the first "
		"active)\n"
		CMD_DAY_HELP
		CMD_HELP_END);
}

static const struct subscriber *first_active(const struct day *d)
{
	size_t i;

	for (i = 0; i < d->subs.n; i++)
		if (d->subs.v[i].status == SUBS_ACTIVE)
			return &d->subs.v[i];
	return NULL;
}

static int send_one(const struct day *d, struct deliver_item *it)
{
	struct errbuf eb = ERRBUF_INIT;
	char *where = NULL;

	if (deliver_one(&d->conf, it, &where, &eb) < 0) {
		cmd_error("test issue not sent: %s", eb.msg);
		return cmd_exit_code(&eb, EX_TEMPFAIL);
	}
	if (!strcmp(d->conf.delivery_method, "smtp"))
		printf("paperboy: test issue sent to %s via %s\n", it->rcpt,
		       where);
	else
		printf("paperboy: test issue for %s written to %s\n",
		       it->rcpt, where);
	free(where);
	return EX_OK;
}

int cmd_send_test(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "as", required_argument, NULL, 'a' },
		CMD_DAY_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_day_opts o = { NULL, NULL, NULL, 0, 0 };
	const char *to = NULL, *as = NULL;
	struct issue_opts copts = { NULL, "[TEST] ", 0, 0 };
	struct errbuf eb = ERRBUF_INIT;
	struct deliver_item item;
	struct issue issue;
	const struct subscriber *s;
	struct day d;
	int opt, ret, composed = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			to = optarg;
			break;
		case 'a':
			as = optarg;
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
	if (optind < argc || !to) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!mime_address_valid(to)) {
		cmd_error("--to: '%s' is not a valid address", to);
		return EX_USAGE;
	}
	copts.to = to;
	ret = cmd_day_open(&d, g, &o, 1);
	if (ret != EX_OK)
		goto out;
	if (!d.items) {
		cmd_error("no arXiv announcement for %s: nothing to send",
			  d.date);
		ret = EX_NOINPUT;
		goto out;
	}
	s = as ? cmd_find_subscriber(&d.subs, as, &d.conf) : first_active(&d);
	if (!s) {
		if (!as)
			cmd_error("no active subscriber in %s",
				  d.conf.subscribers_dir);
		ret = EX_USAGE;
		goto out;
	}
	if (day_load_templates(&d, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CONFIG;
		goto out;
	}
	composed = 1;
	if (issue_compose(&d, &d.templates, s, &copts, &issue, &eb) < 0) {
		cmd_report_warnings(s, &issue.warnings);
		cmd_error("%s", eb.msg);
		ret = cmd_exit_code(&eb, EX_DATAERR);
		goto out;
	}
	cmd_report_warnings(s, &issue.warnings);
	memset(&item, 0, sizeof(item));
	item.tag = "send-test";
	item.rcpt = to;
	item.data = buf_str(&issue.message);
	item.len = issue.message.len;
	item.message_id = issue.message_id;
	printf("paperboy: test issue of %s's digest for %s (%zu papers)\n",
	       s->id, d.date, issue.digest.n);
	ret = send_one(&d, &item);
out:
	if (composed)
		issue_release(&issue);
	day_close(&d);
	return ret;
}
