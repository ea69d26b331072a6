/*
 * cmd_subscribe: `paperboy subscribe EMAIL [--name NAME]`, the operator's
 * way into double opt-in: the address gets the same confirmation mail as
 * from the form of `serve`, and nobody is subscribed before its link is
 * confirmed.
 *
 * Design decision: the operator's command does not skip the confirmation
 * either: a typo in an address must not mail a stranger every day.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "optin.h"
#include "source.h"
#include "token.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy subscribe [-c FILE] EMAIL [--name NAME]\n"
		"\n"
		"Mails EMAIL a link to confirm its subscription "
		"(list.base_url + /confirm,\n"
		"served by `paperboy serve`), through the configured "
		"delivery. Confirming\n"
		"creates subscribers/ID.cfg from the starter profile "
		"(list.starter_profile).\n"
		"The link works for %d days.\n"
		"\n"
		"  --name NAME          the reader's name in the profile\n"
		CMD_HELP_CONFIG
		CMD_HELP_END,
		OPTIN_LIFETIME / (24 * 3600));
}

int cmd_subscribe(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *name = "";
	struct errbuf eb = ERRBUF_INIT;
	struct token_key key;
	struct optin_sent sent;
	struct conf conf;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EX_USAGE;
	}
	memset(&key, 0, sizeof(key));
	ret = cmd_load_conf(config, g, &conf);
	if (ret != EX_OK)
		return ret;
	if (token_load_key(conf.secret_file, &key, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = EX_CONFIG;
		goto out;
	}
	if (optin_request(&conf, &key, argv[optind], name, source_now(),
			  &sent, &eb) < 0) {
		cmd_error("subscribe: %s", eb.msg);
		ret = cmd_exit_code(&eb, EX_SOFTWARE);
		goto out;
	}
	if (sent.outcome == OPTIN_THROTTLED)
		printf("paperboy: a confirmation was mailed to %s less than "
		       "%d minutes ago; not sending another\n",
		       argv[optind], OPTIN_RESEND_AFTER / 60);
	else
		printf("paperboy: confirmation link mailed to %s (%s); it "
		       "works for %d days\n",
		       argv[optind], sent.where, OPTIN_LIFETIME / (24 * 3600));
	optin_sent_release(&sent);
	ret = EX_OK;
out:
	token_key_wipe(&key);
	conf_release(&conf);
	return ret;
}
