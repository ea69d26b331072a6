/*
 * day: opening one listing day for the pipeline (see day.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "day.h"
#include "fetch.h"
#include "learn.h"
#include "util.h"
#include "version.h"
#include "xalloc.h"
#include "banned.h"

int day_resolve_date(const struct conf *c, const char *date_opt, char *out,
		     size_t size, struct errbuf *eb)
{
	time_t day;

	if (!date_opt)
		return source_latest_date(c, out, size, eb);
	if (util_check_date(date_opt, &day, eb) < 0) {
		errbuf_prefix(eb, "--date");
		return errbuf_kind(eb, ERRBUF_USAGE);
	}
	util_format_date(day, out, size);
	return 0;
}

int day_load_subscribers(const struct conf *c, struct subs_list *out,
			 struct strv *broken, struct errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	if (subs_load_dir(c->subscribers_dir, out, broken, eb) < 0)
		return errbuf_kind(eb, ERRBUF_CONFIG);
	return 0;
}

/*
 * The LLM judge for the day. Only a real run asks the model: every other
 * command (dry runs, send-test, render, score) reads its cache and needs
 * no key. Returns 0, or -1 with eb filled.
 */
static int open_llm(struct day *d, int offline, struct errbuf *eb)
{
	const struct conf *c = &d->conf;
	const struct conf_llm_price *price = conf_llm_price(c, c->llm_model);
	struct llm_judge_config lc;
	struct fetch_config fc;
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
		   util_read_secret(c->llm_api_key_file, &key, eb) < 0) {
		errbuf_prefix(eb, "LLM API key");
		goto out;
	}
	util_format_date(source_now(), today, sizeof(today));
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
	if (llm_judge_new(&lc, &d->llm, eb) < 0) {
		errbuf_prefix(eb, "LLM judge");
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

/* Each subscriber's learned model, when it has voted enough: *models
 * gets one per profile of subs (NULL: none), and idx scores with them. */
static void attach_models(const struct conf *c, const char *date,
			  const struct subs_list *subs,
			  struct score_index *idx, int dry_run,
			  struct learn_model ***models, struct strv *warnings)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf w = BUF_INIT;
	size_t i;
	int trained;

	*models = xcalloc(subs->n + 1, sizeof(**models));
	for (i = 0; i < subs->n; i++) {
		const struct subscriber *s = &subs->v[i];

		if (learn_update(c->state_dir, s->id, date, !dry_run,
				 &(*models)[i],
				 &trained, &eb) < 0) {
			buf_reset(&w);
			buf_addf(&w, "%s: no learned model, the profile alone "
				     "scores: %s", s->id, eb.msg);
			strv_push(warnings, buf_str(&w));
			continue;
		}
		if ((*models)[i])
			score_index_set_model(idx, s, (*models)[i]);
	}
	buf_release(&w);
}

static void free_models(struct learn_model **models, size_t n)
{
	size_t i;

	for (i = 0; models && i < n; i++)
		learn_model_free(models[i]);
	free(models);
}

size_t day_group_size(void)
{
	const char *env = getenv(DAY_GROUP_ENV);
	long n = env ? strtol(env, NULL, 10) : 0;

	return n > 0 ? (size_t)n : DAY_GROUP;
}

void day_group_load(const struct day *d, const size_t *which, size_t n,
		    struct subs_seen *seen, unsigned flags,
		    struct day_group *g)
{
	char **names = xcalloc(n ? n : 1, sizeof(*names));
	struct strv errors = STRV_INIT;
	size_t i, k = 0;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->index = xcalloc(n ? n : 1, sizeof(*g->index));
	g->error = xcalloc(n ? n : 1, sizeof(*g->error));
	for (i = 0; i < n; i++)
		names[i] = d->names.v[which[i]];
	subs_load_names(d->conf.subscribers_dir, names, n, seen, &g->subs,
			g->index, &errors);
	/* The messages come in name order, one per skipped name. */
	for (i = 0; i < n; i++)
		if (g->index[i] == SUBS_NAME_SKIPPED && k < errors.n)
			g->error[i] = xstrdup(errors.v[k++]);
	strv_release(&errors);
	free(names);
	g->idx = score_index_build_day(d->sday, &d->conf.announce_types,
				       &g->subs);
	if (!(flags & DAY_GROUP_NO_MODELS))
		attach_models(&d->conf, d->date, &g->subs, g->idx,
			      !!(flags & DAY_GROUP_DRY_RUN), &g->models,
			      &g->warnings);
}

void day_group_release(struct day_group *g)
{
	size_t i;

	score_index_free(g->idx);
	free_models(g->models, g->subs.n);
	subs_list_release(&g->subs);
	for (i = 0; g->error && i < g->n; i++)
		free(g->error[i]);
	free(g->error);
	free(g->index);
	strv_release(&g->warnings);
	memset(g, 0, sizeof(*g));
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int day_has_subscriber(const struct day *d, const char *id)
{
	struct buf name = BUF_INIT;
	const char *key;
	int found;

	if (!d->by_group)
		return subs_find(&d->subs, id) != NULL;
	buf_addf(&name, "%s.cfg", id);
	key = buf_str(&name);
	found = d->names.n && bsearch(&key, d->names.v, d->names.n,
				       sizeof(*d->names.v), cmp_name);
	buf_release(&name);
	return found;
}

int day_open(struct day *d, const struct day_opts *o, struct errbuf *eb)
{
	memset(d, 0, sizeof(*d));
	listing_init(&d->listing);
	if (conf_load(o->config ? o->config : CONF_DEFAULT_PATH, &d->conf,
		      eb) < 0)
		return errbuf_kind(eb, ERRBUF_CONFIG);
	if (day_resolve_date(&d->conf, o->date, d->date, sizeof(d->date),
			     eb) < 0)
		return -1;
	if (source_load(&d->conf, d->date, o->listing,
			(o->dry_run ? 0 : SOURCE_STORE) |
				(o->force_date ? SOURCE_FORCE_DATE : 0),
			o->log, &d->listing, &d->items, eb) < 0)
		return -1;
	if (!d->items)
		return 0;
	/* A change to a profile killed halfway (an unsubscribe, say) is
	 * settled before the profiles are read: its log line is written,
	 * or the change dropped, and no lock is left behind. */
	if (!o->dry_run && subs_recover(d->conf.subscribers_dir,
					d->conf.state_dir, eb) < 0)
		return errbuf_kind(eb, ERRBUF_IO);
	d->sday = score_day_new(&d->listing);
	d->by_group = o->by_group;
	if (d->by_group) {
		if (subs_list_names(d->conf.subscribers_dir, &d->names, eb) < 0)
			return errbuf_kind(eb, ERRBUF_CONFIG);
	} else {
		if (day_load_subscribers(&d->conf, &d->subs, &d->broken, eb) <
		    0)
			return -1;
		d->idx = score_index_build_day(
			d->sday, &d->conf.announce_types, &d->subs);
		attach_models(&d->conf, d->date, &d->subs, d->idx, o->dry_run,
			      &d->models, &d->warnings);
	}
	if (d->conf.llm_enabled && open_llm(d, o->dry_run, eb) < 0)
		return errbuf_kind(eb, ERRBUF_CONFIG);
	/* A dry run writes nothing, not even a new secret: its links are
	 * signed with an all-zero key and never sent. */
	if (o->dry_run && access(d->conf.secret_file, F_OK) < 0)
		return 0;
	if (token_load_key(d->conf.secret_file, &d->key, eb) < 0)
		return errbuf_kind(eb, ERRBUF_CONFIG);
	return 0;
}

int day_load_templates(struct day *d, struct errbuf *eb)
{
	if (render_load(&d->conf, &d->templates, eb) < 0 ||
	    render_day_new(&d->templates, &d->conf, &d->listing, &d->rday,
			   eb) < 0)
		return errbuf_kind(eb, ERRBUF_CONFIG);
	return 0;
}

void day_close(struct day *d)
{
	/* The fragments borrow the templates: they go first. */
	render_day_free(d->rday);
	render_release(&d->templates);
	token_key_wipe(&d->key);
	llm_judge_free(d->llm);
	score_index_free(d->idx);
	score_day_free(d->sday);
	free_models(d->models, d->subs.n);
	subs_names_release(&d->names);
	strv_release(&d->warnings);
	subs_list_release(&d->subs);
	strv_release(&d->broken);
	listing_release(&d->listing);
	if (d->conf.path)
		conf_release(&d->conf);
	memset(d, 0, sizeof(*d));
}
