/*
 * cmd_subscribers: `paperboy subscribers [list|check]`, the operator's view
 * of the profiles folder.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy subscribers [-c FILE] [list | check]\n"
		"\n"
		"  list                 one line per valid profile (the "
		"default)\n"
		"  check                validate every profile\n"
		CMD_HELP_CONFIG
		CMD_HELP_END);
}

int cmd_subscribers(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *action = "list";
	struct subs_list subs = { NULL, 0, 0 };
	struct conf c;
	int opt, ret, broken;
	size_t i, active = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc)
		action = argv[optind++];
	if (optind < argc || (strcmp(action, "list") && strcmp(action, "check"))) {
		usage(stderr);
		return EX_USAGE;
	}
	ret = cmd_load_conf(config, g, &c);
	if (ret)
		return ret;
	broken = cmd_load_subscribers(&c, &subs);
	if (broken < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	for (i = 0; i < subs.n; i++)
		active += subs.v[i].status == SUBS_ACTIVE;
	if (!strcmp(action, "list")) {
		for (i = 0; i < subs.n; i++) {
			const struct subscriber *s = &subs.v[i];
			printf("%-20s %-12s %-32s %zu topic%s, %zu author%s\n",
			       s->id, subs_status_name(s->status), s->email,
			       s->ntopics, s->ntopics == 1 ? "" : "s",
			       s->authors.n, s->authors.n == 1 ? "" : "s");
		}
	}
	printf("%zu profile%s (%zu active), %d broken\n", subs.n,
	       subs.n == 1 ? "" : "s", active, broken);
	ret = broken ? EX_CONFIG : EX_OK;
out:
	subs_list_release(&subs);
	conf_release(&c);
	return ret;
}
