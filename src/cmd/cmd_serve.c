/*
 * cmd_serve: `paperboy serve`, the HTTP endpoint behind the List-Unsubscribe
 * URL (RFC 8058 one-click), the footer links and the subscribe form.
 *
 * Design decision: the command only parses options, starts the server
 * (http.h) with the site's routes (site.h, where every page is decided)
 * and prints the site's log lines; SIGTERM and SIGINT stop it.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "http.h"
#include "site.h"
#include "xalloc.h"
#include "banned.h"

/* The longest connection timeout --timeout accepts: an hour is already
 * far past any client that means well. */
#define SERVE_MAX_TIMEOUT 3600

static void usage(FILE *out)
{
	fprintf(out,
		"usage: paperboy serve [-c FILE] [--listen ADDR:PORT] "
		"[--timeout SECONDS]\n"
		"                      [--deadline SECONDS]\n"
		"\n"
		"Serves the pages behind the links of the digests "
		"(list.base_url + /unsubscribe,\n"
		"/resubscribe, /profile) and the subscribe form "
		"(/subscribe, /confirm) over\n"
		"plain HTTP, for the HTTPS reverse proxy in front of it. A "
		"GET shows a page;\n"
		"only a POST (a button, or a mail provider's "
		"List-Unsubscribe=One-Click)\n"
		"changes anything; /vote answers the digest's \"More like "
		"this\" and \"Fewer\n"
		"like this\" links the same way. Runs until SIGTERM or "
		"SIGINT.\n"
		"\n"
		"  --listen ADDR:PORT   where to listen (default %s:%d)\n"
		"  --timeout SECONDS    drop a connection idle this long "
		"(default %d)\n"
		"  --deadline SECONDS   drop a request not complete this "
		"long (default %d)\n"
		CMD_HELP_CONFIG
		CMD_HELP_END,
		HTTP_DEFAULT_ADDRESS, HTTP_DEFAULT_PORT, HTTP_TIMEOUT,
		HTTP_DEADLINE);
}

/* "127.0.0.1:8025" or "[::1]:8025" into addr (caller frees) and port. */
static int parse_listen(const char *arg, char **addr, unsigned *port)
{
	const char *colon, *host = arg;
	size_t hostlen;
	char *end;
	long p;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || close[1] != ':')
			return -1;
		host = arg + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return -1;
		hostlen = (size_t)(colon - arg);
	}
	if (!hostlen || !colon[1])
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || p < 0 || p > 65535)
		return -1;
	*addr = xstrndup(host, hostlen);
	*port = (unsigned)p;
	return 0;
}

static void on_signal(int sig)
{
	http_stop();
}

/* The site's lines: changes on stdout (flushed, a log follows them),
 * failures on stderr. */
static void site_line(void *ctx, enum site_level level, const char *line)
{
	if (level == SITE_INFO) {
		printf("paperboy: %s\n", line);
		fflush(stdout);
	} else if (level == SITE_WARN) {
		cmd_warn("%s", line);
	} else {
		cmd_error("%s", line);
	}
}

/*
 * SIGTERM and SIGINT stop the server. They are blocked while the server's
 * thread is created (it inherits the mask), so they always reach this
 * thread and never interrupt a profile being written in the other one.
 */
static void install_signals(sigset_t *old)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, old);
}

int cmd_serve(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *listen_arg = NULL;
	struct http_server *srv = NULL;
	struct errbuf eb = ERRBUF_INIT;
	struct site_log log = { site_line, NULL };
	struct http_config hc;
	struct site *site = NULL;
	struct conf conf;
	char *addr = NULL, *end;
	long timeout = HTTP_TIMEOUT, deadline = HTTP_DEADLINE;
	sigset_t mask;
	int opt, ret, v6, started;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || timeout < 1 ||
			    timeout > SERVE_MAX_TIMEOUT) {
				cmd_error("--timeout: '%s' is not a number of "
					  "seconds from 1 to %d",
					  optarg, SERVE_MAX_TIMEOUT);
				return EX_USAGE;
			}
			break;
		case 'd':
			errno = 0;
			deadline = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || deadline < 1 ||
			    deadline > SERVE_MAX_TIMEOUT) {
				cmd_error("--deadline: '%s' is not a number of "
					  "seconds from 1 to %d",
					  optarg, SERVE_MAX_TIMEOUT);
				return EX_USAGE;
			}
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
		usage(stderr);
		return EX_USAGE;
	}
	http_config_init(&hc);
	hc.deadline = (unsigned)deadline;
	hc.timeout = (unsigned)timeout;
	if (listen_arg && parse_listen(listen_arg, &addr, &hc.port) < 0) {
		cmd_error("--listen: '%s' is not ADDR:PORT (e.g. "
			  "127.0.0.1:8025 or [::1]:8025)", listen_arg);
		return EX_USAGE;
	}
	if (addr)
		hc.address = addr;

	memset(&conf, 0, sizeof(conf));
	ret = cmd_load_conf(config, g, &conf);
	if (ret != EX_OK)
		goto out;
	if (site_open(&conf, &log, &site, &eb) < 0) {
		cmd_error("%s", eb.msg);
		ret = cmd_exit_code(&eb, EX_CONFIG);
		goto out;
	}
	/* Changes an earlier process was killed in the middle of. */
	if (subs_recover(conf.subscribers_dir, conf.state_dir, &eb) < 0)
		cmd_warn("serve: %s", eb.msg);
	site_http_config(site, &hc);
	install_signals(&mask);
	started = http_start(&hc, site_handle, site, &srv, &eb);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (started < 0) {
		cmd_error("--listen: %s", eb.msg);
		ret = EX_UNAVAILABLE;
		goto out;
	}
	v6 = strchr(hc.address, ':') != NULL;
	printf("paperboy: serving unsubscribe links on http://%s%s%s:%u ",
	       v6 ? "[" : "", hc.address, v6 ? "]" : "", http_port(srv));
	if (conf.base_url[0])
		printf("(behind your HTTPS proxy as %s)\n", conf.base_url);
	else
		printf("(list.base_url is not set: digests carry no web "
		       "unsubscribe link)\n");
	fflush(stdout);
	http_wait(srv);
	http_close(srv);
	/* The mail being sent finishes first (its line is logged). */
	site_free(site);
	site = NULL;
	printf("paperboy: stopped serving\n");
	ret = EX_OK;
out:
	site_free(site);
	if (conf.path)
		conf_release(&conf);
	free(addr);
	return ret;
}
