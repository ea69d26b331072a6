/*
 * main: the command table, global options and exit codes.
 *
 * Like git, `paperboy CMD [options]` dispatches through a table; each
 * command lives in its own cmd_*.c and returns a sysexits(3) code: EX_OK,
 * EX_USAGE for bad arguments, EX_CONFIG for a bad config or profile,
 * EX_DATAERR for an unusable listing, EX_TEMPFAIL for what a retry may fix.
 * SIGPIPE is ignored for every command (see ignore_sigpipe()).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"


const struct cmd cmd_table[] = {
	{ "run", cmd_run, "the daily job: score, render and send every digest" },
	{ "fetch", cmd_fetch, "fetch and cache the day's listing" },
	{ "render", cmd_render, "print one subscriber's digest (HTML, text or "
				"the whole message)" },
	{ "score", cmd_score, "show a subscriber's ranked papers and why" },
	{ "feedback", cmd_feedback, "record a subscriber's votes on papers" },
	{ "send-test", cmd_send_test, "send one test issue to one address" },
	{ "subscribers", cmd_subscribers, "list or check subscriber profiles" },
	{ "subscribe", cmd_subscribe, "mail someone a link to confirm a "
				      "subscription" },
	{ "unsubscribe", cmd_unsubscribe, "unsubscribe someone (operator)" },
	{ "inbound", cmd_inbound, "handle an unsubscribe mail on stdin" },
	{ "serve", cmd_serve, "HTTP endpoint for the unsubscribe, subscribe "
			      "and profile links" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	const struct cmd *c;

	fprintf(out,
		"usage: paperboy [-c FILE] COMMAND [OPTIONS]\n"
		"\n"
		"paperboy mails each subscriber a personalized digest of the "
		"day's arXiv papers.\n"
		"\n"
		"Commands:\n");
	for (c = cmd_table; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -c FILE      the configuration (default: ./paperboy.cfg)\n"
		"  -h, --help   this help; `paperboy COMMAND --help` for a "
		"command\n"
		"  --version    print the version\n"
		"\n"
		"See paperboy(1).\n");
}

/*
 * A peer that closes its end (an SMTP server's "421" and close, a relay
 * that dies mid-session, a reader of our stdout that went away) must
 * turn into an error return from write(), EPIPE, which every layer
 * reports, never into a silent death by SIGPIPE with no summary, no
 * journal outcome and exit 141. libesmtp and OpenSSL write to sockets
 * with plain write(), so this is process-wide, once, before any command.
 */
static void ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct cmd_global g = { NULL };
	const struct cmd *c;
	int i = 1;

	ignore_sigpipe();
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("paperboy %s\n", PAPERBOY_VERSION);
			return EX_OK;
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			g.config_path = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--config=", 9)) {
			g.config_path = argv[i] + 9;
			i++;
		} else {
			cmd_error("unknown option '%s'", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (c = cmd_table; c->name; c++)
		if (!strcmp(c->name, argv[i]))
			return c->run(argc - i, argv + i, &g);
	cmd_error("'%s' is not a paperboy command; see 'paperboy --help'",
		  argv[i]);
	return EX_USAGE;
}
