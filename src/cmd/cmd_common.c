/*
 * cmd_common: steps several commands share (see cmd.h). The pipeline order
 * for a whole run lives in cmd_run.c; this file only holds the pieces that
 * `render`, `score` and `run` would otherwise each write again.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "arxiv.h"
#include "cmd.h"
#include "deliver.h"
#include "history.h"
#include "learn.h"
#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* A whole message is refused past this size (Gmail clips at 102 KB, and
 * most servers refuse 25 MB+). */
#define CMD_MAX_MESSAGE ((size_t)16 << 20)

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "paperboy: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void cmd_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int cmd_day_option(int opt, struct cmd_day_opts *o)
{
	switch (opt) {
	case 'c':
		o->config = optarg;
		return 1;
	case 'd':
		o->date = optarg;
		return 1;
	case 'l':
		o->listing = optarg;
		return 1;
	default:
		return 0;
	}
}

int cmd_load_conf(const char *path, const struct cmd_global *g,
		  struct conf *c)
{
	struct errbuf eb = ERRBUF_INIT;

	if (!path)
		path = g->config_path ? g->config_path : CONF_DEFAULT_PATH;
	if (conf_load(path, c, &eb) < 0) {
		cmd_error("%s", eb.msg);
		return EX_CONFIG;
	}
	return EX_OK;
}

int cmd_resolve_date(const struct conf *c, const char *date_opt, char *out,
		     size_t size)
{
	time_t day;

	if (!date_opt)
		return cmd_latest_date(c, out, size);
	if (util_parse_date(date_opt, &day) < 0) {
		cmd_error("--date: '%s' is not a date in the form YYYY-MM-DD",
			  date_opt);
		return EX_USAGE;
	}
	util_format_date(day, out, size);
	return EX_OK;
}

int cmd_load_subscribers(const struct conf *c, struct subs_list *out)
{
	struct errbuf eb = ERRBUF_INIT;
	struct strv errors = STRV_INIT;
	size_t i;
	int broken;

	memset(out, 0, sizeof(*out));
	if (subs_load_dir(c->subscribers_dir, out, &errors, &eb) < 0) {
		cmd_error("%s", eb.msg);
		return -1;
	}
	for (i = 0; i < errors.n; i++)
		cmd_error("%s", errors.v[i]);
	broken = (int)errors.n;
	strv_release(&errors);
	return broken;
}

/*
 * The LLM judge for the day. Only a real run asks the model: every other
 * command (dry runs, send-test, render, score) reads its cache and needs
 * no key. Prints and returns -1 on failure.
 */
static int open_llm(struct cmd_day *d, int offline)
{
	const struct conf *c = &d->conf;
	const struct conf_llm_price *price = conf_llm_price(c, c->llm_model);
	struct llm_judge_config lc;
	struct fetch_config fc;
	struct errbuf eb = ERRBUF_INIT;
	struct buf key, ua = BUF_INIT;
	const char *env = getenv(LLM_API_KEY_ENV);
	char today[16];
	int ret = -1;

	buf_init(&key, CONF_MAX_STRING);
	if (offline) {
		/* no key, no HTTP */
	} else if (env && env[0]) {
		buf_addstr(&key, env);
	} else if (c->llm_api_key_file[0] &&
		   util_read_secret(c->llm_api_key_file, &key, &eb) < 0) {
		cmd_error("LLM API key: %s", eb.msg);
		goto out;
	}
	util_format_date(cmd_now(), today, sizeof(today));
	buf_addf(&ua, "paperboy/%s (+mailto:%s)", PAPERBOY_VERSION,
		 c->contact);
	fetch_config_init(&fc);
	fc.user_agent = buf_str(&ua);
	fc.total_timeout_s = c->llm_timeout;
	fc.stall_timeout_s = c->llm_timeout;
	fc.max_bytes = LLM_MAX_RESPONSE;
	fc.max_tries = 3;
	fc.max_redirects = 0;
	fc.min_interval_ms = 0; /* arXiv's politeness is not this host's */
	/* Only the tests set this, to keep retry tests short. */
	if (getenv("PAPERBOY_TEST_BACKOFF_MS"))
		fc.backoff_ms = strtol(getenv("PAPERBOY_TEST_BACKOFF_MS"), NULL,
				       10);
	memset(&lc, 0, sizeof(lc));
	lc.endpoint = c->llm_endpoint;
	lc.model = c->llm_model;
	lc.api_key = buf_str(&key);
	lc.state_dir = c->state_dir;
	lc.date = d->date;
	lc.today = today;
	lc.prompt_per_mtok = price ? price->prompt_per_mtok : 0;
	lc.completion_per_mtok = price ? price->completion_per_mtok : 0;
	lc.daily_budget_usd = c->llm_daily_budget_usd;
	lc.batch_size = c->llm_batch_size;
	lc.min_lexical = c->llm_min_lexical;
	lc.offline = offline;
	lc.fetch = &fc;
	if (llm_judge_new(&lc, &d->llm, &eb) < 0) {
		cmd_error("LLM judge: %s", eb.msg);
		goto out;
	}
	ret = 0;
out:
	if (key.data)
		memset(key.data, 0, key.len);
	buf_release(&key);
	buf_release(&ua);
	return ret;
}

/* Each subscriber's learned model, when it has voted enough. */
static void attach_models(struct cmd_day *d, int dry_run)
{
	struct errbuf eb = ERRBUF_INIT;
	size_t i;
	int trained;

	d->models = xcalloc(d->subs.n + 1, sizeof(*d->models));
	for (i = 0; i < d->subs.n; i++) {
		const struct subscriber *s = &d->subs.v[i];

		if (learn_update(d->conf.state_dir, s->id, !dry_run,
				 &d->models[i], &trained, &eb) < 0) {
			cmd_warn("%s: no learned model, the profile alone "
				 "scores: %s", s->id, eb.msg);
			continue;
		}
		if (d->models[i])
			score_index_set_model(d->idx, s, d->models[i]);
	}
}

int cmd_day_open(struct cmd_day *d, const struct cmd_global *g,
		 const char *config, const char *date_opt,
		 const char *listing_path, int dry_run)
{
	struct errbuf eb = ERRBUF_INIT;
	int ret;

	memset(d, 0, sizeof(*d));
	listing_init(&d->listing);
	ret = cmd_load_conf(config, g, &d->conf);
	if (ret != EX_OK)
		return ret;
	ret = cmd_resolve_date(&d->conf, date_opt, d->date, sizeof(d->date));
	if (ret != EX_OK)
		return ret;
	ret = cmd_load_listing(&d->conf, d->date, listing_path, dry_run,
			       &d->listing, &d->items);
	if (ret != EX_OK || !d->items)
		return ret;
	d->broken = cmd_load_subscribers(&d->conf, &d->subs);
	if (d->broken < 0)
		return EX_CONFIG;
	d->idx = score_index_build(&d->listing, &d->conf.announce_types,
				   &d->subs);
	attach_models(d, dry_run);
	if (d->conf.llm_enabled && open_llm(d, dry_run) < 0)
		return EX_CONFIG;
	/* A dry run writes nothing, not even a new secret: its links are
	 * signed with an all-zero key and never sent. */
	if (dry_run && access(d->conf.secret_file, F_OK) < 0)
		return EX_OK;
	if (token_load_key(d->conf.secret_file, &d->key, &eb) < 0) {
		cmd_error("%s", eb.msg);
		return EX_CONFIG;
	}
	return EX_OK;
}

void cmd_day_close(struct cmd_day *d)
{
	size_t i;

	token_key_wipe(&d->key);
	llm_judge_free(d->llm);
	score_index_free(d->idx);
	for (i = 0; d->models && i < d->subs.n; i++)
		learn_model_free(d->models[i]);
	free(d->models);
	subs_list_release(&d->subs);
	listing_release(&d->listing);
	if (d->conf.path)
		conf_release(&d->conf);
	memset(d, 0, sizeof(*d));
}

/* A revised version of a paper the subscriber already got is not news. */
static int drop_revisions_seen(const struct conf *c, const struct listing *l,
			       const struct subscriber *s,
			       struct score_result *r, struct errbuf *eb)
{
	const struct strv *types =
		s->announce_types.n ? &s->announce_types : &c->announce_types;
	struct history h;
	size_t i;

	if (!strv_contains(types, "replace") &&
	    !strv_contains(types, "replace-cross"))
		return 0;
	if (history_load(c->state_dir, s->id, &h, eb) < 0)
		return -1;
	for (i = 0; i < r->n; i++) {
		struct score_entry *e = &r->entries[i];
		const struct paper *p = &l->papers[e->paper];

		if ((p->announce == LISTING_ANNOUNCE_REPLACE ||
		     p->announce == LISTING_ANNOUNCE_REPLACE_CROSS) &&
		    e->relevance > 0 && history_contains(&h, p->id)) {
			e->relevance = 0;
			free(e->dropped);
			e->dropped = xstrdup("a revision of a paper you were "
					     "sent before");
		}
	}
	history_release(&h);
	return 0;
}

int cmd_score_one(const struct conf *c, const struct score_index *idx,
		  const struct listing *l, const struct subscriber *s,
		  struct score_result *out, struct errbuf *eb)
{
	score_subscriber(idx, s, out);
	return drop_revisions_seen(c, l, s, out, eb);
}

int cmd_record_history(const struct conf *c, const struct cmd_issue *issue,
		       struct errbuf *eb)
{
	struct strv ids = STRV_INIT;
	size_t i;
	int ret;

	for (i = 0; i < issue->digest.n; i++)
		strv_push(&ids, issue->digest.items[i].paper->id);
	ret = history_append(c->state_dir, issue->digest.sub->id,
			     issue->digest.date, &ids, eb);
	strv_release(&ids);
	return ret;
}

char *cmd_unsubscribe_url(const struct conf *c, const struct token_key *key,
			  enum token_purpose purpose,
			  const struct subscriber *s)
{
	struct buf url = BUF_INIT;
	char *token;

	if (!c->base_url[0])
		return xstrdup("");
	token = token_make(key, purpose, s->id, s->email);
	buf_addf(&url, "%s%sunsubscribe?s=%s&t=%s", c->base_url,
		 util_ends_with(c->base_url, "/") ? "" : "/", s->id, token);
	free(token);
	return buf_detach(&url, NULL);
}

/* "<https://...>, <mailto:FROM?subject=unsubscribe%20ID%20TOKEN>". */
static char *list_unsubscribe(const struct conf *c, const char *https_url,
			      const struct token_key *key,
			      enum token_purpose purpose,
			      const struct subscriber *s)
{
	struct buf b = BUF_INIT;
	char *token = token_make(key, purpose, s->id, s->email);

	if (https_url[0])
		buf_addf(&b, "<%s>, ", https_url);
	buf_addf(&b, "<mailto:%s?subject=unsubscribe%%20%s%%20%s>",
		 c->from_addr, s->id, token);
	free(token);
	return buf_detach(&b, NULL);
}

int cmd_judge(const struct cmd_day *d, const struct subscriber *s,
	      struct score_result *r, struct digest_cost *cost,
	      struct errbuf *eb)
{
	struct strv warnings = STRV_INIT;
	size_t i;
	int ret;

	memset(cost, 0, sizeof(*cost));
	if (!d->llm)
		return 0;

	ret = llm_judge_digest(d->llm, &d->listing, s, r, cost, &warnings,
			       eb);
	for (i = 0; i < warnings.n; i++)
		cmd_warn("%s: %s", s->id, warnings.v[i]);
	strv_release(&warnings);
	return ret;
}

int cmd_compose(const struct cmd_day *d, const struct render_templates *t,
		const struct subscriber *s,
		const struct cmd_compose_opts *opts, struct cmd_issue *out,
		struct errbuf *eb)
{
	const struct conf *c = &d->conf;
	enum token_purpose purpose =
		opts && opts->to ? TOKEN_TEST : TOKEN_UNSUBSCRIBE;
	struct mime_message msg;
	struct buf list_id = BUF_INIT;
	char *url = cmd_unsubscribe_url(c, &d->key, purpose, s);
	char *header = list_unsubscribe(c, url, &d->key, purpose, s);
	char *more = archive_reader_url(c, d->date, s);
	struct render_opts ro = { url, more, RENDER_HTML_BUDGET };
	struct digest_cost cost;
	int ret = -1;

	memset(&cost, 0, sizeof(cost));
	memset(out, 0, sizeof(*out));
	buf_init(&out->html, RENDER_MAX_BODY);
	buf_init(&out->text, RENDER_MAX_BODY);
	buf_init(&out->message, CMD_MAX_MESSAGE);
	if (cmd_score_one(c, d->idx, &d->listing, s, &out->scores, eb) < 0)
		goto out;
	if (!(opts && opts->lexical_only) &&
	    cmd_judge(d, s, &out->scores, &cost, eb) < 0)
		goto out;
	digest_build(s, &d->listing, &out->scores, d->date, &out->digest);
	out->digest.cost = cost;
	if (render_digest(t, c, &out->digest, &ro, &out->html, &out->text,
			  &out->subject, eb) < 0)
		goto out;
	if (opts && opts->subject_prefix) {
		struct buf subj = BUF_INIT;
		buf_addf(&subj, "%s%s", opts->subject_prefix, out->subject);
		free(out->subject);
		out->subject = buf_detach(&subj, NULL);
	}

	out->message_id = mime_new_message_id(c->list_id);
	buf_addf(&list_id, "%s <%s>", c->list_name, c->list_id);
	memset(&msg, 0, sizeof(msg));
	msg.from_display = c->from_display;
	msg.from_addr = c->from_addr;
	msg.to_display = s->name[0] ? s->name : NULL;
	msg.to_addr = s->email;
	if (opts && opts->to) {
		msg.to_display = NULL;
		msg.to_addr = opts->to;
	}
	msg.subject = out->subject;
	msg.date = time(NULL);
	msg.message_id = out->message_id;
	msg.list_id = buf_str(&list_id);
	msg.extra[msg.nextra].name = "List-Unsubscribe";
	msg.extra[msg.nextra++].value = header;
	/* RFC 8058: one-click needs an https URI to POST to. */
	if (url[0]) {
		msg.extra[msg.nextra].name = "List-Unsubscribe-Post";
		msg.extra[msg.nextra++].value = "List-Unsubscribe=One-Click";
	}
	msg.text = buf_str(&out->text);
	msg.text_len = out->text.len;
	msg.html = buf_str(&out->html);
	msg.html_len = out->html.len;
	if (mime_build(&msg, &out->message, eb) < 0) {
		errbuf_prefix(eb, "%s", s->path);
		goto out;
	}
	ret = 0;
out:
	free(url);
	free(header);
	free(more);
	buf_release(&list_id);
	return ret;
}

int cmd_open_smtp(const struct conf *c, struct deliver_smtp **out)
{
	struct deliver_smtp_config cfg;
	struct errbuf eb = ERRBUF_INIT;
	struct buf password;
	const char *env = getenv("PAPERBOY_SMTP_PASSWORD");
	int ret = EX_CONFIG;

	buf_init(&password, CONF_MAX_STRING);
	if (c->smtp_user[0]) {
		if (env && env[0]) {
			buf_addstr(&password, env);
		} else if (!c->smtp_password_file[0]) {
			cmd_error("delivery.smtp.user is set but there is no "
				  "password: set delivery.smtp.password_file "
				  "or PAPERBOY_SMTP_PASSWORD");
			goto out;
		} else if (util_read_secret(c->smtp_password_file, &password,
					    &eb) < 0) {
			cmd_error("SMTP password: %s", eb.msg);
			goto out;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = c->smtp_host;
	cfg.port = c->smtp_port;
	cfg.tls = c->smtp_tls;
	cfg.tls_verify = c->smtp_tls_verify;
	cfg.ca_file = c->smtp_ca_file;
	cfg.user = c->smtp_user;
	cfg.password = buf_str(&password);
	cfg.envelope_from = c->smtp_envelope_from[0] ? c->smtp_envelope_from
						     : c->from_addr;
	cfg.timeout_seconds = c->smtp_timeout;
	/* An operator's debugging aid, like msmtp --debug. */
	if (getenv("PAPERBOY_SMTP_TRACE"))
		cfg.trace = stderr;
	if (deliver_smtp_new(&cfg, out, &eb) < 0) {
		cmd_error("%s", eb.msg);
		goto out;
	}
	ret = EX_OK;
out:
	if (password.data)
		memset(password.data, 0, password.len);
	buf_release(&password);
	return ret;
}

int cmd_smtp_exit_code(int ret, const struct errbuf *eb)
{
	if (ret == -2 && !strncmp(eb->msg, "AUTH", 4))
		return EX_NOPERM;
	if (ret == -2)
		return EX_PROTOCOL;
	return EX_TEMPFAIL;
}

void cmd_issue_release(struct cmd_issue *issue)
{
	digest_release(&issue->digest);
	score_result_release(&issue->scores);
	buf_release(&issue->html);
	buf_release(&issue->text);
	buf_release(&issue->message);
	free(issue->subject);
	free(issue->message_id);
	memset(issue, 0, sizeof(*issue));
}
