/*
 * conf: libconfig reading with strict, typed look-ups (see conf.h).
 *
 * libconfig reports a syntax error's line itself; for semantic errors we use
 * config_setting_source_line() so that every message points at the line the
 * user has to fix.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "mime.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

struct conf_doc {
	config_t cfg;
	char *path;
};

#define NODE(n) ((config_setting_t *)(n))
#define CNODE(s) ((const struct conf_node *)(s))

int conf_doc_read(const char *path, struct conf_doc **out,
		  struct errbuf *eb)
{
	struct buf text;
	int ret = -1;

	buf_init(&text, CONF_MAX_FILE_SIZE);
	if (util_read_file(path, &text, eb) < 0)
		goto out;
	ret = conf_doc_parse(path, text.data ? text.data : "", text.len, out,
			     eb);
out:
	buf_release(&text);
	return ret;
}

/*
 * The line of the first libconfig @include directive, or 0. libconfig
 * would open any path named there (a profile could read /dev/zero
 * forever), so directives are refused before it sees them.
 */
static int include_line(const char *data, size_t len)
{
	size_t i = 0;
	int line = 1;

	while (i < len) {
		while (i < len && (data[i] == ' ' || data[i] == '\t'))
			i++;
		if (len - i >= 8 && !strncasecmp(data + i, "@include", 8))
			return line;
		while (i < len && data[i] != '\n')
			i++;
		i++;
		line++;
	}
	return 0;
}

int conf_doc_parse(const char *path, const char *data, size_t len,
		   struct conf_doc **out, struct errbuf *eb)
{
	struct conf_doc *doc;
	char *text;
	int line;

	if (len > CONF_MAX_FILE_SIZE)
		return errbuf_set(eb, "%s: file is larger than the limit of "
				      "%zu bytes", path, CONF_MAX_FILE_SIZE);
	if (memchr(data, '\0', len))
		return errbuf_set(eb, "%s: contains a NUL byte", path);
	if ((line = include_line(data, len)) != 0)
		return errbuf_set(eb, "%s:%d: @include is not allowed (a file "
				      "must say everything itself)", path,
				  line);
	text = xstrndup(data, len);
	doc = xcalloc(1, sizeof(*doc));
	doc->path = xstrdup(path);
	config_init(&doc->cfg);
	if (!config_read_string(&doc->cfg, text)) {
		errbuf_set(eb, "%s:%d: %s", path, config_error_line(&doc->cfg),
			   config_error_text(&doc->cfg));
		conf_doc_free(doc);
		free(text);
		return -1;
	}
	free(text);
	*out = doc;
	return 0;
}

void conf_doc_free(struct conf_doc *doc)
{
	if (!doc)
		return;
	config_destroy(&doc->cfg);
	free(doc->path);
	free(doc);
}

const char *conf_doc_path(const struct conf_doc *doc)
{
	return doc->path;
}

const struct conf_node *conf_doc_root(const struct conf_doc *doc)
{
	return CNODE(config_root_setting(&doc->cfg));
}

int conf_node_line(const struct conf_node *node)
{
	return node ? (int)config_setting_source_line(NODE(node)) : 0;
}

static config_setting_t *member(const struct conf_node *grp, const char *name)
{
	if (!grp)
		return NULL;
	return config_setting_get_member(NODE(grp), name);
}

int conf_line_of(const struct conf_node *grp, const char *name)
{
	config_setting_t *s = member(grp, name);

	return s ? (int)config_setting_source_line(s) : 0;
}

static int type_error(const struct conf_doc *doc, config_setting_t *s,
		      const char *name, const char *want, struct errbuf *eb)
{
	return errbuf_set(eb, "%s:%u: '%s' must be %s", doc->path,
			  config_setting_source_line(s), name, want);
}

int conf_get_group(const struct conf_doc *doc, const struct conf_node *grp,
		   const char *name, const struct conf_node **out,
		   struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);

	if (!s)
		return 1;
	if (!config_setting_is_group(s))
		return type_error(doc, s, name, "a group ({ ... })", eb);
	*out = CNODE(s);
	return 0;
}

static int check_string(const struct conf_doc *doc, config_setting_t *s,
			const char *name, const char *v, int single_line,
			struct errbuf *eb)
{
	if (strlen(v) > CONF_MAX_STRING)
		return errbuf_set(eb, "%s:%u: '%s' is longer than %d bytes",
				  doc->path, config_setting_source_line(s),
				  name, CONF_MAX_STRING);
	if (single_line && strpbrk(v, "\r\n"))
		return errbuf_set(eb, "%s:%u: '%s' must not contain a line "
				      "break", doc->path,
				  config_setting_source_line(s), name);
	if (!util_utf8_valid(v, strlen(v)))
		return errbuf_set(eb, "%s:%u: '%s' is not valid UTF-8",
				  doc->path, config_setting_source_line(s),
				  name);
	return 0;
}

int conf_get_string(const struct conf_doc *doc, const struct conf_node *grp,
		    const char *name, int single_line, char **out,
		    struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);
	const char *v;

	if (!s)
		return 1;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return type_error(doc, s, name, "a string (\"...\")", eb);
	v = config_setting_get_string(s);
	if (check_string(doc, s, name, v, single_line, eb) < 0)
		return -1;
	free(*out);
	*out = xstrdup(v);
	return 0;
}

int conf_get_int(const struct conf_doc *doc, const struct conf_node *grp,
		 const char *name, long min, long max, long *out,
		 struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);
	long long v;

	if (!s)
		return 1;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return type_error(doc, s, name, "a whole number", eb);
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return errbuf_set(eb, "%s:%u: '%s' must be between %ld and "
				      "%ld (is %lld)", doc->path,
				  config_setting_source_line(s), name, min,
				  max, v);
	*out = (long)v;
	return 0;
}

int conf_get_float(const struct conf_doc *doc, const struct conf_node *grp,
		   const char *name, double min, double max, double *out,
		   struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);
	double v;

	if (!s)
		return 1;
	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		 config_setting_type(s) == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else
		return type_error(doc, s, name, "a number", eb);
	if (!(v >= min && v <= max))
		return errbuf_set(eb, "%s:%u: '%s' must be between %g and %g",
				  doc->path, config_setting_source_line(s),
				  name, min, max);
	*out = v;
	return 0;
}

int conf_get_bool(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, int *out, struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);

	if (!s)
		return 1;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return type_error(doc, s, name, "true or false", eb);
	*out = config_setting_get_bool(s);
	return 0;
}

int conf_get_strv(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, struct strv *out, struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);
	int i, n;

	if (!s)
		return 1;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return type_error(doc, s, name, "a list of strings ([...])",
				  eb);
	n = config_setting_length(s);
	if (n > CONF_MAX_LIST)
		return errbuf_set(eb, "%s:%u: '%s' has more than %d entries",
				  doc->path, config_setting_source_line(s),
				  name, CONF_MAX_LIST);
	strv_release(out);
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			strv_release(out);
			return type_error(doc, s, name,
					  "a list of strings ([...])", eb);
		}
		v = config_setting_get_string(e);
		if (check_string(doc, s, name, v, 1, eb) < 0) {
			strv_release(out);
			return -1;
		}
		strv_push(out, v);
	}
	return 0;
}

int conf_get_list(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, const struct conf_node **out,
		  size_t *count, struct errbuf *eb)
{
	config_setting_t *s = member(grp, name);

	if (!s)
		return 1;
	if (!config_setting_is_list(s))
		return type_error(doc, s, name, "a list of groups (( {...} ))",
				  eb);
	if (config_setting_length(s) > CONF_MAX_LIST)
		return errbuf_set(eb, "%s:%u: '%s' has more than %d entries",
				  doc->path, config_setting_source_line(s),
				  name, CONF_MAX_LIST);
	*out = CNODE(s);
	*count = (size_t)config_setting_length(s);
	return 0;
}

const struct conf_node *conf_list_elem(const struct conf_node *list,
				       size_t i)
{
	config_setting_t *e = config_setting_get_elem(NODE(list),
						      (unsigned)i);

	return (e && config_setting_is_group(e)) ? CNODE(e) : NULL;
}

int conf_check_keys(const struct conf_doc *doc, const struct conf_node *grp,
		    const char *const *known, struct errbuf *eb)
{
	int i, n = config_setting_length(NODE(grp));

	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(NODE(grp),
							      (unsigned)i);
		const char *name = config_setting_name(e);
		const char *const *k;

		for (k = known; *k; k++)
			if (name && !strcmp(name, *k))
				break;
		if (!*k)
			return errbuf_set(eb, "%s:%u: unknown setting '%s'",
					  doc->path,
					  config_setting_source_line(e),
					  name ? name : "?");
	}
	return 0;
}

/* ---- paperboy.cfg ---- */

static void conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->list_name = xstrdup("Daily arXiv digest");
	c->list_id = xstrdup("digest.example.org");
	c->list_from = xstrdup("Paperboy <digest@example.org>");
	c->base_url = xstrdup("");
	c->secret_file = xstrdup("state/secret.key");
	c->subscribers_dir = xstrdup("subscribers");
	c->templates_dir = xstrdup("templates");
	c->state_dir = xstrdup("state");
	strv_push(&c->categories, "cs.LG");
	strv_push(&c->categories, "cs.CL");
	strv_push(&c->announce_types, "new");
	strv_push(&c->announce_types, "cross");
	c->arxiv_rss_url = xstrdup("https://rss.arxiv.org/rss/");
	c->arxiv_api_url = xstrdup("https://export.arxiv.org/api/query");
	c->arxiv_api_page = 2000;
	c->fetch_timeout = 300;
	c->fetch_stall = 60;
	c->hf_url = xstrdup("https://huggingface.co/api/daily_papers");
	c->contact = xstrdup("");
	c->postal = xstrdup("");
	c->template_html = xstrdup("");
	c->template_text = xstrdup("");
	c->archive_dir = xstrdup("archive");
	c->archive_url = xstrdup("");
	c->delivery_method = xstrdup("outbox");
	c->outbox_dir = xstrdup("outbox");
	c->smtp_host = xstrdup("localhost");
	c->smtp_port = 587;
	c->smtp_tls = xstrdup("starttls");
	c->smtp_user = xstrdup("");
	c->smtp_password_file = xstrdup("");
	c->smtp_tls_verify = 1;
	c->smtp_ca_file = xstrdup("");
	c->smtp_envelope_from = xstrdup("");
	c->smtp_timeout = 60;
	c->smtp_batch = 100;
	c->smtp_retries = 3;
	c->smtp_connections = 1;
	c->smtp_retry_delay_ms = 2000;
	c->journal_keep_days = 90;
	c->llm_endpoint = xstrdup("http://127.0.0.1:8080/v1/chat/completions");
	c->llm_model = xstrdup("");
	c->llm_api_key_file = xstrdup("");
	c->llm_daily_budget_usd = 1.0;
	c->llm_timeout = CONF_LLM_TIMEOUT;
	c->llm_batch_size = CONF_LLM_BATCH;
	c->llm_min_lexical = CONF_LLM_MIN_LEXICAL;
}

/* Looks up a group that may be absent; -1 only for a wrong type. */
static int opt_group(const struct conf_doc *doc, const struct conf_node *grp,
		     const char *name, const char *const *known,
		     const struct conf_node **out, struct errbuf *eb)
{
	int r;

	*out = NULL;
	r = conf_get_group(doc, grp, name, out, eb);
	if (r < 0)
		return -1;
	if (r == 0 && conf_check_keys(doc, *out, known, eb) < 0)
		return -1;
	return 0;
}

static int one_of(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, const char *value, const char *const *ok,
		  struct errbuf *eb)
{
	const char *const *p;

	for (p = ok; *p; p++)
		if (!strcmp(value, *p))
			return 0;
	return errbuf_set(eb, "%s:%d: '%s' must be one of the documented "
			      "values (got \"%s\")", doc->path,
			  conf_node_line(grp), name, value);
}

static void resolve(const struct conf *c, char **path)
{
	char *joined;

	if (!**path)
		return;
	joined = util_path_join(c->dir, *path);
	free(*path);
	*path = joined;
}

static const char *const top_keys[] = { "list", "paths", "sources",
					"delivery", "llm", "templates",
					"archive", NULL };
static const char *const list_keys[] = { "name",	   "id",
					 "from",	   "base_url",
					 "secret_file", "contact",  "postal",
					 NULL };
static const char *const templates_keys[] = { "html", "text", NULL };
static const char *const archive_keys[] = { "enabled", "dir", "url", NULL };
static const char *const paths_keys[] = { "subscribers", "templates",
					  "state", NULL };
static const char *const sources_keys[] = { "arxiv", "huggingface",
					    "timeout", "stall_timeout", NULL };
static const char *const arxiv_keys[] = { "categories", "announce_types",
					  "rss_url",	"api_url",
					  "api_page_size", "holidays",
					  NULL };
static const char *const hf_keys[] = { "enabled", "url", NULL };
static const char *const delivery_keys[] = { "method", "outbox", "smtp",
					     "journal_keep_days", NULL };
static const char *const smtp_keys[] = {
	"host",		 "port",	  "tls",	"user",
	"password_file", "tls_verify",	  "ca_file",	"envelope_from",
	"timeout",	 "batch",	  "retries",	"retry_delay_ms",
	"connections",	 NULL
};
static const char *const llm_keys[] = { "enabled", "endpoint", "model",
					"api_key_file", "daily_budget_usd",
					"timeout", "batch_size", "min_lexical",
					"prices", NULL };
static const char *const price_keys[] = { "model", "prompt_per_mtok",
					  "completion_per_mtok", NULL };
static const char *const methods[] = { "outbox", "smtp", NULL };
static const char *const tls_modes[] = { "starttls", "implicit", "none",
					 NULL };
static const char *const announce_types[] = { "new", "cross", "replace",
					      "replace-cross", NULL };

static int load_prices(const struct conf_doc *doc, const struct conf_node *g,
		       struct conf *c, struct errbuf *eb)
{
	const struct conf_node *list, *e;
	size_t i, n;
	int r;

	if (!g)
		return 0;
	r = conf_get_list(doc, g, "prices", &list, &n, eb);
	if (r)
		return r < 0 ? -1 : 0;
	if (n > CONF_LLM_MAX_PRICES)
		return errbuf_set(eb, "%s:%d: llm.prices has more than %d rows",
				  doc->path, conf_node_line(list),
				  CONF_LLM_MAX_PRICES);
	c->llm_prices = xcalloc(n ? n : 1, sizeof(*c->llm_prices));
	for (i = 0; i < n; i++) {
		struct conf_llm_price *p = &c->llm_prices[i];

		e = conf_list_elem(list, i);
		if (!e)
			return errbuf_set(eb, "%s:%d: llm.prices: each row "
					      "must be a group "
					      "{ model = ...; }",
					  doc->path, conf_node_line(list));
		c->llm_nprices++;
		p->model = xstrdup("");
		if (conf_check_keys(doc, e, price_keys, eb) < 0 ||
		    conf_get_string(doc, e, "model", 1, &p->model, eb) < 0 ||
		    conf_get_float(doc, e, "prompt_per_mtok", 0, 1e4,
				   &p->prompt_per_mtok, eb) < 0 ||
		    conf_get_float(doc, e, "completion_per_mtok", 0, 1e4,
				   &p->completion_per_mtok, eb) < 0)
			return -1;
		if (!p->model[0] || !conf_line_of(e, "prompt_per_mtok") ||
		    !conf_line_of(e, "completion_per_mtok"))
			return errbuf_set(eb, "%s:%d: llm.prices: a row needs "
					      "model, prompt_per_mtok and "
					      "completion_per_mtok", doc->path,
					  conf_node_line(e));
	}
	return 0;
}

const struct conf_llm_price *conf_llm_price(const struct conf *c,
					    const char *model)
{
	size_t i;

	for (i = 0; i < c->llm_nprices; i++)
		if (!strcmp(c->llm_prices[i].model, model))
			return &c->llm_prices[i];
	return NULL;
}

/* An enabled judge needs a model with a price (the budget is in USD) and
 * an endpoint that is https, or http on this machine. */
static int check_llm(const struct conf_doc *doc, const struct conf_node *g,
		     const struct conf *c, struct errbuf *eb)
{
	static const char *const loopback[] = { "http://127.0.0.1",
						"http://localhost",
						"http://[::1]", NULL };
	const char *e = c->llm_endpoint, *const *lb;
	int ok = !strncasecmp(e, "https://", 8);

	if (!c->llm_enabled)
		return 0;
	for (lb = loopback; !ok && *lb; lb++) {
		size_t n = strlen(*lb);
		ok = !strncasecmp(e, *lb, n) &&
		     (e[n] == ':' || e[n] == '/' || !e[n]);
	}
	if (!ok)
		return errbuf_set(eb, "%s:%d: llm.endpoint must be an https:// "
				      "URL (http:// only to 127.0.0.1, [::1] "
				      "or localhost)", doc->path,
				  conf_line_of(g, "endpoint"));
	if (!c->llm_model[0])
		return errbuf_set(eb, "%s:%d: llm.enabled needs llm.model",
				  doc->path, conf_node_line(g));
	if (!conf_llm_price(c, c->llm_model))
		return errbuf_set(eb, "%s:%d: llm.prices has no row for model "
				      "\"%s\" (the daily budget is counted "
				      "from it; 0 for a free local model)",
				  doc->path, conf_node_line(g), c->llm_model);
	return 0;
}

static int load_sections(const struct conf_doc *doc, struct conf *c,
			 struct errbuf *eb)
{
	const struct conf_node *root = conf_doc_root(doc);
	const struct conf_node *g, *sub;
	size_t i;

	if (conf_check_keys(doc, root, top_keys, eb) < 0)
		return -1;

	if (opt_group(doc, root, "list", list_keys, &g, eb) < 0 ||
	    conf_get_string(doc, g, "name", 1, &c->list_name, eb) < 0 ||
	    conf_get_string(doc, g, "id", 1, &c->list_id, eb) < 0 ||
	    conf_get_string(doc, g, "from", 1, &c->list_from, eb) < 0 ||
	    conf_get_string(doc, g, "base_url", 1, &c->base_url, eb) < 0 ||
	    conf_get_string(doc, g, "secret_file", 1, &c->secret_file, eb) < 0 ||
	    conf_get_string(doc, g, "contact", 1, &c->contact, eb) < 0 ||
	    conf_get_string(doc, g, "postal", 1, &c->postal, eb) < 0)
		return -1;
	if (mime_parse_mailbox(c->list_from, &c->from_display, &c->from_addr,
			       eb) < 0)
		return errbuf_prefix(eb, "%s:%d: list.from", doc->path,
				     conf_node_line(g));
	if (!c->contact[0]) {
		free(c->contact);
		c->contact = xstrdup(c->from_addr);
	} else if (!mime_address_valid(c->contact)) {
		return errbuf_set(eb, "%s:%d: list.contact must be an email "
				      "address", doc->path,
				  conf_line_of(g, "contact"));
	}
	if (!c->list_id[0] || strpbrk(c->list_id, " <>@\"") ||
	    !strchr(c->list_id, '.'))
		return errbuf_set(eb, "%s:%d: list.id must be a domain-like "
				      "name such as \"digest.example.org\"",
				  doc->path, conf_node_line(g));

	if (opt_group(doc, root, "paths", paths_keys, &g, eb) < 0 ||
	    conf_get_string(doc, g, "subscribers", 1, &c->subscribers_dir,
			    eb) < 0 ||
	    conf_get_string(doc, g, "templates", 1, &c->templates_dir, eb) < 0 ||
	    conf_get_string(doc, g, "state", 1, &c->state_dir, eb) < 0)
		return -1;

	if (opt_group(doc, root, "sources", sources_keys, &g, eb) < 0 ||
	    conf_get_int(doc, g, "timeout", 1, 3600, &c->fetch_timeout, eb) < 0 ||
	    conf_get_int(doc, g, "stall_timeout", 1, 3600, &c->fetch_stall,
			 eb) < 0 ||
	    opt_group(doc, g, "arxiv", arxiv_keys, &sub, eb) < 0 ||
	    conf_get_strv(doc, sub, "categories", &c->categories, eb) < 0 ||
	    conf_get_strv(doc, sub, "announce_types", &c->announce_types,
			  eb) < 0 ||
	    conf_get_string(doc, sub, "rss_url", 1, &c->arxiv_rss_url, eb) < 0 ||
	    conf_get_string(doc, sub, "api_url", 1, &c->arxiv_api_url, eb) < 0 ||
	    conf_get_int(doc, sub, "api_page_size", 1, 2000, &c->arxiv_api_page,
			 eb) < 0)
		return -1;
	switch (conf_get_strv(doc, sub, "holidays", &c->holidays, eb)) {
	case -1:
		return -1;
	case 0:
		c->holidays_set = 1;
		break;
	}
	for (i = 0; i < c->announce_types.n; i++)
		if (one_of(doc, sub, "announce_types", c->announce_types.v[i],
			   announce_types, eb) < 0)
			return -1;
	if (opt_group(doc, g, "huggingface", hf_keys, &sub, eb) < 0 ||
	    conf_get_bool(doc, sub, "enabled", &c->hf_enabled, eb) < 0 ||
	    conf_get_string(doc, sub, "url", 1, &c->hf_url, eb) < 0)
		return -1;

	if (opt_group(doc, root, "delivery", delivery_keys, &g, eb) < 0 ||
	    conf_get_string(doc, g, "method", 1, &c->delivery_method, eb) < 0 ||
	    one_of(doc, g, "method", c->delivery_method, methods, eb) < 0 ||
	    conf_get_string(doc, g, "outbox", 1, &c->outbox_dir, eb) < 0 ||
	    opt_group(doc, g, "smtp", smtp_keys, &sub, eb) < 0 ||
	    conf_get_string(doc, sub, "host", 1, &c->smtp_host, eb) < 0 ||
	    conf_get_int(doc, sub, "port", 1, 65535, &c->smtp_port, eb) < 0 ||
	    conf_get_string(doc, sub, "tls", 1, &c->smtp_tls, eb) < 0 ||
	    one_of(doc, sub, "tls", c->smtp_tls, tls_modes, eb) < 0 ||
	    conf_get_string(doc, sub, "user", 1, &c->smtp_user, eb) < 0 ||
	    conf_get_string(doc, sub, "password_file", 1,
			    &c->smtp_password_file, eb) < 0 ||
	    conf_get_bool(doc, sub, "tls_verify", &c->smtp_tls_verify, eb) < 0 ||
	    conf_get_string(doc, sub, "ca_file", 1, &c->smtp_ca_file, eb) < 0 ||
	    conf_get_string(doc, sub, "envelope_from", 1,
			    &c->smtp_envelope_from, eb) < 0 ||
	    conf_get_int(doc, sub, "timeout", 1, 3600, &c->smtp_timeout,
			 eb) < 0 ||
	    conf_get_int(doc, sub, "batch", 1, 10000, &c->smtp_batch, eb) < 0 ||
	    conf_get_int(doc, sub, "retries", 1, 10, &c->smtp_retries, eb) < 0 ||
	    conf_get_int(doc, sub, "connections", 1, CONF_MAX_SMTP_CONNECTIONS,
			 &c->smtp_connections, eb) < 0 ||
	    conf_get_int(doc, sub, "retry_delay_ms", 0, 600000,
			 &c->smtp_retry_delay_ms, eb) < 0 ||
	    conf_get_int(doc, g, "journal_keep_days", 1, 36500,
			 &c->journal_keep_days, eb) < 0)
		return -1;
	if (c->smtp_envelope_from[0] &&
	    !mime_address_valid(c->smtp_envelope_from))
		return errbuf_set(eb, "%s:%d: delivery.smtp.envelope_from is "
				      "not a valid address", doc->path,
				  conf_line_of(sub, "envelope_from"));

	if (opt_group(doc, root, "templates", templates_keys, &g, eb) < 0 ||
	    conf_get_string(doc, g, "html", 1, &c->template_html, eb) < 0 ||
	    conf_get_string(doc, g, "text", 1, &c->template_text, eb) < 0 ||
	    opt_group(doc, root, "archive", archive_keys, &g, eb) < 0 ||
	    conf_get_bool(doc, g, "enabled", &c->archive_enabled, eb) < 0 ||
	    conf_get_string(doc, g, "dir", 1, &c->archive_dir, eb) < 0 ||
	    conf_get_string(doc, g, "url", 1, &c->archive_url, eb) < 0)
		return -1;
	if (c->archive_url[0] && strncmp(c->archive_url, "https://", 8))
		return errbuf_set(eb, "%s:%d: archive.url must start with "
				      "https://", doc->path,
				  conf_line_of(g, "url"));

	if (opt_group(doc, root, "llm", llm_keys, &g, eb) < 0 ||
	    conf_get_bool(doc, g, "enabled", &c->llm_enabled, eb) < 0 ||
	    conf_get_string(doc, g, "endpoint", 1, &c->llm_endpoint, eb) < 0 ||
	    conf_get_string(doc, g, "model", 1, &c->llm_model, eb) < 0 ||
	    conf_get_string(doc, g, "api_key_file", 1, &c->llm_api_key_file,
			    eb) < 0 ||
	    conf_get_float(doc, g, "daily_budget_usd", 0, 1e6,
			   &c->llm_daily_budget_usd, eb) < 0 ||
	    conf_get_int(doc, g, "timeout", 1, 3600, &c->llm_timeout, eb) < 0 ||
	    conf_get_int(doc, g, "batch_size", 1, CONF_LLM_MAX_BATCH,
			 &c->llm_batch_size, eb) < 0 ||
	    conf_get_int(doc, g, "min_lexical", 1, 10, &c->llm_min_lexical,
			 eb) < 0 ||
	    load_prices(doc, g, c, eb) < 0)
		return -1;
	return check_llm(doc, g, c, eb);
}

int conf_load(const char *path, struct conf *c, struct errbuf *eb)
{
	struct conf_doc *doc = NULL;
	int ret = -1;

	conf_defaults(c);
	c->path = xstrdup(path);
	c->dir = util_dirname(path);
	if (conf_doc_read(path, &doc, eb) < 0)
		goto out;
	if (load_sections(doc, c, eb) < 0)
		goto out;
	resolve(c, &c->secret_file);
	resolve(c, &c->subscribers_dir);
	resolve(c, &c->templates_dir);
	resolve(c, &c->state_dir);
	resolve(c, &c->outbox_dir);
	resolve(c, &c->smtp_password_file);
	resolve(c, &c->smtp_ca_file);
	resolve(c, &c->llm_api_key_file);
	resolve(c, &c->archive_dir);
	resolve(c, &c->template_html);
	resolve(c, &c->template_text);
	/* Unset template files are the ones in paths.templates. */
	if (!c->template_html[0]) {
		free(c->template_html);
		c->template_html = util_path_join(c->templates_dir,
						  "digest.html");
	}
	if (!c->template_text[0]) {
		free(c->template_text);
		c->template_text = util_path_join(c->templates_dir,
						  "digest.txt");
	}
	if (!c->archive_url[0] && c->base_url[0]) {
		struct buf u = BUF_INIT;
		buf_addf(&u, "%s%sarchive", c->base_url,
			 util_ends_with(c->base_url, "/") ? "" : "/");
		free(c->archive_url);
		c->archive_url = buf_detach(&u, NULL);
	}
	ret = 0;
out:
	conf_doc_free(doc);
	if (ret < 0)
		conf_release(c);
	return ret;
}

void conf_release(struct conf *c)
{
	size_t i;

	free(c->path);
	free(c->dir);
	free(c->list_name);
	free(c->list_id);
	free(c->list_from);
	free(c->from_display);
	free(c->from_addr);
	free(c->base_url);
	free(c->secret_file);
	free(c->subscribers_dir);
	free(c->templates_dir);
	free(c->state_dir);
	strv_release(&c->categories);
	strv_release(&c->announce_types);
	free(c->arxiv_rss_url);
	free(c->arxiv_api_url);
	strv_release(&c->holidays);
	free(c->hf_url);
	free(c->contact);
	free(c->postal);
	free(c->template_html);
	free(c->template_text);
	free(c->archive_dir);
	free(c->archive_url);
	free(c->delivery_method);
	free(c->outbox_dir);
	free(c->smtp_host);
	free(c->smtp_tls);
	free(c->smtp_user);
	free(c->smtp_password_file);
	free(c->smtp_ca_file);
	free(c->smtp_envelope_from);
	free(c->llm_endpoint);
	free(c->llm_model);
	free(c->llm_api_key_file);
	for (i = 0; i < c->llm_nprices; i++)
		free(c->llm_prices[i].model);
	free(c->llm_prices);
	memset(c, 0, sizeof(*c));
}
