/*
 * cmd_unsubscribe: the two ways an unsubscribe reaches paperboy besides
 * the web: `paperboy unsubscribe` (the operator, by address or by a token
 * a reader forwarded) and `paperboy inbound` (a reply to the mailto link
 * in List-Unsubscribe, handed over on stdin by a Postfix pipe transport or
 * procmail).
 *
 * Design decision: inbound mail is from strangers, so `inbound` acts only
 * on a valid signed token and otherwise does nothing but say why, on
 * stderr, exiting 0 so that the MTA does not bounce junk back to a forged
 * sender.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "inbound.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* An inbound message larger than this is not read past it: the headers
 * we need are at the top, and a reply is small. */
#define INBOUND_MAX_MESSAGE ((size_t)1 << 20)

static void now_iso(char *out, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Unsubscribes s; prints what happened. Returns an exit code. */
static int unsubscribe(const struct conf *c, const struct subscriber *s,
		       const char *via)
{
	struct errbuf eb = ERRBUF_INIT;
	char when[32];
	int changed = 0;

	now_iso(when, sizeof(when));
	if (subs_set_status(s->path, SUBS_UNSUBSCRIBED, when, &changed,
			    &eb) < 0) {
		cmd_error("%s", eb.msg);
		return EX_IOERR;
	}
	if (changed && subs_log_change(c->state_dir, when, "unsubscribe",
				       s->id, s->email, via, &eb) < 0)
		cmd_warn("%s", eb.msg);
	printf("paperboy: %s (%s) %s\n", s->id, s->email,
	       changed ? "is now unsubscribed" : "was already unsubscribed");
	return EX_OK;
}

/* The subscriber whose unsubscribe token this is, or NULL. */
static const struct subscriber *by_token(const struct subs_list *subs,
					 const struct token_key *key,
					 const char *id, const char *token)
{
	size_t i;

	for (i = 0; i < subs->n; i++) {
		const struct subscriber *s = &subs->v[i];
		if (id && strcmp(id, s->id))
			continue;
		if (token_verify(key, TOKEN_UNSUBSCRIBE, s->id, s->email,
				 token))
			return s;
	}
	return NULL;
}

struct loaded {
	struct conf conf;
	struct subs_list subs;
	struct token_key key;
};

static int load(const char *config, const struct cmd_global *g,
		struct loaded *ld)
{
	struct errbuf eb = ERRBUF_INIT;
	int ret;

	memset(ld, 0, sizeof(*ld));
	if ((ret = cmd_load_conf(config, g, &ld->conf)) != EX_OK)
		return ret;
	if (cmd_load_subscribers(&ld->conf, &ld->subs) < 0)
		return EX_CONFIG;
	if (token_load_key(ld->conf.secret_file, &ld->key, &eb) < 0) {
		cmd_error("%s", eb.msg);
		return EX_CONFIG;
	}
	return EX_OK;
}

static void unload(struct loaded *ld)
{
	token_key_wipe(&ld->key);
	subs_list_release(&ld->subs);
	if (ld->conf.path)
		conf_release(&ld->conf);
}

static void usage_unsubscribe(FILE *out)
{
	fprintf(out,
		"usage: paperboy unsubscribe [-c FILE] (--token TOKEN | "
		"EMAIL | ID)\n"
		"\n"
		"Marks a subscriber unsubscribed in their profile.\n"
		"\n"
		"  --token TOKEN        the t= value of an unsubscribe link\n"
		CMD_HELP_CONFIG
		CMD_HELP_END);
}

int cmd_unsubscribe(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *token = NULL, *who = NULL;
	const struct subscriber *s = NULL;
	struct loaded ld;
	int opt, ret;
	size_t i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'h':
			usage_unsubscribe(stdout);
			return EX_OK;
		default:
			usage_unsubscribe(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc)
		who = argv[optind++];
	if (optind < argc || !!who == !!token) {
		usage_unsubscribe(stderr);
		return EX_USAGE;
	}
	if ((ret = load(config, g, &ld)) != EX_OK)
		goto out;
	if (token) {
		s = by_token(&ld.subs, &ld.key, NULL, token);
	} else {
		for (i = 0; i < ld.subs.n && !s; i++)
			if (!strcasecmp(ld.subs.v[i].email, who) ||
			    !strcmp(ld.subs.v[i].id, who))
				s = &ld.subs.v[i];
	}
	if (!s) {
		cmd_error(token ? "the token matches no subscriber"
				: "no subscriber with address or id '%s'",
			  who);
		ret = EX_NOUSER;
		goto out;
	}
	ret = unsubscribe(&ld.conf, s, "admin");
out:
	unload(&ld);
	return ret;
}

/* ---- inbound ---- */

static void usage_inbound(FILE *out)
{
	fprintf(out,
		"usage: paperboy inbound [-c FILE] < MESSAGE\n"
		"\n"
		"Unsubscribes the sender of a reply to the List-Unsubscribe "
		"mailto link.\n"
		"\n"
		CMD_HELP_CONFIG
		CMD_HELP_END);
}

int cmd_inbound(int argc, char **argv, const struct cmd_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	const struct subscriber *s;
	struct buf msg;
	struct loaded ld;
	char *id = NULL, *token = NULL;
	char chunk[8192];
	size_t n;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage_inbound(stdout);
			return EX_OK;
		default:
			usage_inbound(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		usage_inbound(stderr);
		return EX_USAGE;
	}
	buf_init(&msg, INBOUND_MAX_MESSAGE);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(&msg, chunk, n) < 0)
			break; /* the headers are in what we have */
	if ((ret = load(config, g, &ld)) != EX_OK)
		goto out;
	if (!inbound_find_request(buf_str(&msg), &id, &token)) {
		cmd_warn("inbound: ignored: no \"unsubscribe ID TOKEN\" in the "
			 "subject and no +ID.TOKEN recipient");
		goto out;
	}
	s = by_token(&ld.subs, &ld.key, id, token);
	if (!s) {
		cmd_warn("inbound: ignored: the token is not valid for "
			 "subscriber '%.64s'", id);
		goto out;
	}
	ret = unsubscribe(&ld.conf, s, "mail");
out:
	free(id);
	free(token);
	buf_release(&msg);
	unload(&ld);
	return ret;
}
