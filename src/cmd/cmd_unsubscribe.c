/*
 * cmd_unsubscribe: the two ways an unsubscribe reaches paperboy besides
 * the web: `paperboy unsubscribe` (the operator, by address or by a token
 * a reader forwarded) and `paperboy inbound` (a reply to the mailto link
 * in List-Unsubscribe, handed over on stdin by a Postfix pipe transport or
 * procmail).
 *
 * Design decision: inbound mail is from strangers, so `inbound` changes a
 * profile only on a valid signed token, or on a bounce tied to a message
 * we sent (a signed VERP address, or a Message-ID in our journal); every
 * other message goes to a person, the list's owner, never silently
 * dropped, and exits 0 so the MTA does not bounce it to a forged sender.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "bounces.h"
#include "cmd.h"
#include "deliver.h"
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

	int r;

	now_iso(when, sizeof(when));
	r = subs_change_status(s->path, c->state_dir, SUBS_UNSUBSCRIBED, when,
			       s->email, via, &changed, &eb);
	if (r < 0) {
		cmd_error("%s", eb.msg);
		return EX_IOERR;
	}
	if (r > 0)
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
	/* Changes an earlier process was killed in the middle of. */
	if (subs_recover(ld->conf.subscribers_dir, ld->conf.state_dir,
			 &eb) < 0)
		cmd_warn("%s", eb.msg);
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
		"Handles one message sent to the list (a Postfix pipe "
		"transport or procmail\n"
		"hands it over on stdin): a bounce of a digest we sent is "
		"counted for its\n"
		"subscriber (delivery.bounce_limit hard bounces: "
		"status \"bouncing\"); an\n"
		"unsubscribe request with a valid token unsubscribes; "
		"anything else is\n"
		"forwarded to list.owner.\n"
		"\n"
		CMD_HELP_CONFIG
		CMD_HELP_END);
}

/* A bounce: counted when tied to a message we sent, else only said. */
static int handle_bounce(const struct loaded *ld,
			 const struct bounce_report *rep)
{
	const struct conf *c = &ld->conf;
	struct bounces_config bc = { c->state_dir, c->verp, &ld->key,
				     c->bounce_limit, c->bounce_window_days };
	struct bounces_outcome o;
	struct errbuf eb = ERRBUF_INIT;

	if (bounces_handle(&bc, &ld->subs, rep, time(NULL), &o, &eb) < 0) {
		cmd_error("inbound: bounce: %s", eb.msg);
		/* The MTA keeps the message and tries again. */
		return cmd_exit_code(&eb, EX_TEMPFAIL);
	}
	switch (o.result) {
	case BOUNCES_COUNTED:
		printf("paperboy: %s bounce for %s (via %s): %ld hard, %ld "
		       "soft within %ld days%s\n",
		       bounce_kind_name(rep->kind), o.subscriber, o.via,
		       o.hard, o.soft, c->bounce_window_days,
		       o.suppressed ? "; the profile is now \"bouncing\": no "
				      "more digests"
				    : "");
		break;
	case BOUNCES_DUPLICATE:
		printf("paperboy: this bounce for %s was counted before\n",
		       o.subscriber);
		break;
	default:
		cmd_warn("inbound: ignored: a %s bounce tied to no message we "
			 "sent: %s",
			 bounce_kind_name(rep->kind), o.why);
		break;
	}
	bounces_outcome_release(&o);
	return EX_OK;
}

/* Anything else goes to a person: the list's owner. */
static int forward(const struct loaded *ld, const struct buf *msg,
		   const char *why)
{
	const struct conf *c = &ld->conf;
	const char *owner = c->owner;
	struct deliver_item it;
	struct errbuf eb = ERRBUF_INIT;
	struct buf copy;
	char *where = NULL;
	int ret = EX_OK;

	/* contact defaults to list.from's address: the list itself, where
	 * a forwarded copy would come straight back. */
	if (!owner[0] || !strcasecmp(owner, c->from_addr)) {
		cmd_error("inbound: %s, and there is no one to forward it to: "
			  "set list.owner in %s",
			  why, c->path);
		/* The MTA returns it to its sender: not lost. */
		return EX_CONFIG;
	}
	buf_init(&copy, INBOUND_MAX_MESSAGE + INBOUND_MAX_MESSAGE / 8);
	if (inbound_forward_copy(buf_str(msg), msg->len, why, &copy, &eb) <
	    0) {
		cmd_warn("inbound: ignored: %s", eb.msg);
		goto out;
	}
	memset(&it, 0, sizeof(it));
	it.tag = "reply";
	it.rcpt = owner;
	it.data = buf_str(&copy);
	it.len = copy.len;
	it.message_id = "";
	if (deliver_one(c, &it, &where, &eb) < 0) {
		cmd_error("inbound: forwarding to %s: %s", owner, eb.msg);
		ret = cmd_exit_code(&eb, EX_TEMPFAIL);
		goto out;
	}
	printf("paperboy: %s: forwarded to %s (%s)\n", why, owner, where);
out:
	free(where);
	buf_release(&copy);
	return ret;
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
	struct bounce_report rep;
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
	memset(&rep, 0, sizeof(rep));
	buf_init(&msg, INBOUND_MAX_MESSAGE);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(&msg, chunk, n) < 0)
			break; /* the headers are in what we have */
	if ((ret = load(config, g, &ld)) != EX_OK)
		goto out;
	if (bounce_parse(buf_str(&msg), msg.len, &rep) == 1) {
		ret = handle_bounce(&ld, &rep);
		goto out;
	}
	if (!inbound_find_request(buf_str(&msg), &id, &token)) {
		ret = forward(&ld, &msg,
			      buf_failed(&msg) ? "a reply (cut at 1 MiB)"
					       : "a reply");
		goto out;
	}
	s = by_token(&ld.subs, &ld.key, id, token);
	if (!s) {
		cmd_warn("inbound: the unsubscribe token is not valid for "
			 "subscriber '%.64s'",
			 id);
		ret = forward(&ld, &msg,
			      "an unsubscribe request with a token that is "
			      "not valid");
		goto out;
	}
	ret = unsubscribe(&ld.conf, s, "mail");
out:
	free(id);
	free(token);
	bounce_report_release(&rep);
	buf_release(&msg);
	unload(&ld);
	return ret;
}
