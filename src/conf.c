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

/* ---- paperboy.cfg: the settings table ---- */

/*
 * The field of struct conf named f, which must have type T: a row's
 * offset, checked at compile time (a wrong type is a negative array).
 */
#define FIELD(f, T)                                                       \
	(offsetof(struct conf, f) +                                       \
	 0 * sizeof(char[_Generic(((struct conf *)0)->f, T: 1, default: -1)]))

#define GROUP(n, d) { .name = n, .type = CONF_GROUP, .doc = d }
#define STR(n, f, fl, dflt, d)                                            \
	{ .name = n, .type = CONF_STRING, .flags = fl,                    \
	  .offset = FIELD(f, char *), .def = dflt, .doc = d }
#define ENUM(n, f, vals, dflt, d)                                         \
	{ .name = n, .type = CONF_ENUM, .offset = FIELD(f, char *),       \
	  .values = vals, .def = dflt, .doc = d }
#define INT(n, f, lo, hi, dflt, d)                                        \
	{ .name = n, .type = CONF_INT, .offset = FIELD(f, long),          \
	  .min = lo, .max = hi, .idef = dflt, .doc = d }
#define FLOAT(n, f, lo, hi, dflt, d)                                      \
	{ .name = n, .type = CONF_FLOAT, .offset = FIELD(f, double),      \
	  .fmin = lo, .fmax = hi, .fdef = dflt, .doc = d }
#define BOOL(n, f, dflt, d)                                               \
	{ .name = n, .type = CONF_BOOL, .offset = FIELD(f, int),          \
	  .idef = dflt, .doc = d }
#define STRV(n, f, vals, dflt, d)                                         \
	{ .name = n, .type = CONF_STRV, .offset = FIELD(f, struct strv),  \
	  .values = vals, .defv = dflt, .doc = d }
#define SPECIAL(n, sh, rd, rel, d)                                        \
	{ .name = n, .type = CONF_SPECIAL, .shape = sh, .read = rd,       \
	  .release = rel, .doc = d }

static const char *const methods[] = { "outbox", "smtp", NULL };
static const char *const tls_modes[] = { "starttls", "implicit", "none",
					 NULL };
static const char *const announce_types[] = { "new", "cross", "replace",
					      "replace-cross", NULL };
static const char *const default_categories[] = { "cs.LG", "cs.CL", NULL };
static const char *const default_announce[] = { "new", "cross", NULL };
static const char *const no_strings[] = { NULL };

static int load_prices(const struct conf_doc *doc, const struct conf_node *g,
		       const char *key, struct conf *c, struct errbuf *eb);
static void release_prices(struct conf *c);

/*
 * Every setting of paperboy.cfg. What stays code: the checks across
 * settings (list.from must parse, list.contact defaults to its address,
 * list.id must look like a domain, envelope_from and archive.url must be
 * valid, an enabled llm needs a priced model: load_checks()), the defaults
 * derived from other settings (templates.html/.text from paths.templates,
 * archive.url from list.base_url: derive()), sources.arxiv.holidays_set
 * (whether the holidays row was given), and llm.prices, a list of groups
 * read by load_prices().
 */
static const struct conf_setting settings[] = {
	GROUP("list", "Who the list is: its name, addresses and links."),
	STR("list.name", list_name, CONF_FOR_SMTP, "Daily arXiv digest",
	    "The list's name, in the subject and the digest's heading."),
	STR("list.id", list_id, CONF_FOR_SMTP, "digest.example.org",
	    "A domain-like name: the List-Id and every Message-ID's domain."),
	STR("list.from", list_from, CONF_FOR_SMTP,
	    "Paperboy <digest@example.org>",
	    "The From header, \"Name <address>\" or a bare address."),
	STR("list.base_url", base_url, 0, "",
	    "The public https URL of `paperboy serve' (unsubscribe links); "
	    "\"\" for no links."),
	STR("list.secret_file", secret_file, CONF_PATH, "state/secret.key",
	    "The key of the unsubscribe tokens (32 bytes, mode 0600, made on "
	    "first use)."),
	STR("list.contact", contact, CONF_FOR_SMTP, "",
	    "The operator's address, in the User-Agent of every fetch; \"\" "
	    "means list.from's address."),
	STR("list.owner", owner, 0, "",
	    "The address of the list's owner: replies that are neither "
	    "unsubscribes nor bounces are forwarded there, and it is the "
	    "List-Owner and Reply-To; \"\" means list.contact."),
	STR("list.starter_profile", starter_profile, CONF_PATH, "",
	    "The profile a confirmed new subscriber starts from (a .cfg); "
	    "\"\" means TEMPLATES/starter.cfg."),
	STR("list.postal", postal, 0, "",
	    "A postal or contact line for the digest's footer; may be \"\"."),

	GROUP("paths", "Where the files are."),
	STR("paths.subscribers", subscribers_dir, CONF_PATH, "subscribers",
	    "The folder of the subscriber profiles, one ID.cfg each."),
	STR("paths.templates", templates_dir, CONF_PATH, "templates",
	    "The folder of digest.html and digest.txt."),
	STR("paths.state", state_dir, CONF_PATH, "state",
	    "The folder of what paperboy keeps between runs: cached "
	    "listings, journals, histories, votes and models (see FILES "
	    "in paperboy(1))."),

	GROUP("templates", "The digest's templates, when not the ones in "
			   "paths.templates."),
	STR("templates.html", template_html, CONF_PATH, "",
	    "The HTML template; \"\" means paths.templates/digest.html."),
	STR("templates.text", template_text, CONF_PATH, "",
	    "The plain-text template; \"\" means paths.templates/digest.txt."),

	GROUP("archive", "The public web archive of past digests."),
	BOOL("archive.enabled", archive_enabled, 0,
	     "Write each day's listing, month and index pages into the web "
	     "archive, and the digests of profiles with archive = true."),
	STR("archive.dir", archive_dir, CONF_PATH, "archive",
	    "The archive's folder."),
	STR("archive.url", archive_url, 0, "",
	    "Where the archive is served (https://); \"\" means "
	    "list.base_url/archive."),

	GROUP("sources", "Where the day's papers come from."),
	INT("sources.timeout", fetch_timeout, 1, 3600, 300,
	    "Seconds one whole request may take."),
	INT("sources.stall_timeout", fetch_stall, 1, 3600, 60,
	    "Seconds without a byte before a request is given up."),
	GROUP("sources.arxiv", "arXiv's listing."),
	STRV("sources.arxiv.categories", categories, NULL,
	     default_categories, "The arXiv categories to read."),
	STRV("sources.arxiv.announce_types", announce_types, announce_types,
	     default_announce, "Which announcements of a day count."),
	STR("sources.arxiv.rss_url", arxiv_rss_url, 0,
	    "https://rss.arxiv.org/rss/",
	    "The feed's base URL; the categories are appended."),
	STR("sources.arxiv.api_url", arxiv_api_url, 0,
	    "https://export.arxiv.org/api/query",
	    "The API's query endpoint, for backfilling past days."),
	INT("sources.arxiv.api_page_size", arxiv_api_page, 1, 2000, 2000,
	    "Results per API request."),
	STRV("sources.arxiv.holidays", holidays, NULL, no_strings,
	     "Days without an announcement (YYYY-MM-DD); unset means arXiv's "
	     "own schedule, built in."),
	GROUP("sources.huggingface", "Hugging Face's daily papers."),
	BOOL("sources.huggingface.enabled", hf_enabled, 0,
	     "Merge Hugging Face's daily papers into the day's listing."),
	STR("sources.huggingface.url", hf_url, 0,
	    "https://huggingface.co/api/daily_papers",
	    "The daily papers endpoint; ?date= is appended."),

	GROUP("delivery", "How digests go out."),
	ENUM("delivery.method", delivery_method, methods, "outbox",
	     "Into a Maildir folder (outbox) or to an SMTP server (smtp)."),
	STR("delivery.outbox", outbox_dir, CONF_PATH, "outbox",
	    "The Maildir the outbox method writes to (its new/)."),
	INT("delivery.journal_keep_days", journal_keep_days, 1, 36500, 90,
	    "Days a run's journal is kept."),
	STR("delivery.verp", verp, 0, "",
	    "A signed VERP envelope sender, e.g. "
	    "\"digest+bounce-{id}@example.org\" ({id} becomes the "
	    "subscriber's id and a signature); \"\" for none."),
	INT("delivery.bounce_limit", bounce_limit, 1, 100, 3,
	    "Hard bounces within bounce_window_days that make a profile "
	    "\"bouncing\" (no more digests)."),
	INT("delivery.bounce_window_days", bounce_window_days, 1, 365, 30,
	    "Days over which hard bounces are counted."),
	GROUP("delivery.smtp", "The SMTP server of the smtp method."),
	STR("delivery.smtp.host", smtp_host, 0, "localhost",
	    "The server's host name."),
	INT("delivery.smtp.port", smtp_port, 1, 65535, 587,
	    "The server's port."),
	ENUM("delivery.smtp.tls", smtp_tls, tls_modes, "starttls",
	     "starttls, implicit (port 465) or none (only to this machine)."),
	STR("delivery.smtp.user", smtp_user, 0, "",
	    "The AUTH user; \"\" for no AUTH."),
	STR("delivery.smtp.password_file", smtp_password_file, CONF_PATH, "",
	    "The file holding the AUTH password (mode 0600)."),
	BOOL("delivery.smtp.tls_verify", smtp_tls_verify, 1,
	     "Verify the server's certificate; false only for a lab relay."),
	STR("delivery.smtp.ca_file", smtp_ca_file, CONF_PATH, "",
	    "An extra CA to trust (PEM); \"\" for none."),
	STR("delivery.smtp.envelope_from", smtp_envelope_from, 0, "",
	    "The bounce address; \"\" means list.from's address."),
	INT("delivery.smtp.timeout", smtp_timeout, 1, 3600, 60,
	    "Seconds to wait for each server reply."),
	INT("delivery.smtp.batch", smtp_batch, 1, 10000, 100,
	    "Messages per connection."),
	INT("delivery.smtp.retries", smtp_retries, 1, 10, 3,
	    "Tries for a temporary (4xx) failure within one run."),
	INT("delivery.smtp.retry_delay_ms", smtp_retry_delay_ms, 0, 600000,
	    2000, "Milliseconds before the first retry; doubles each try."),
	STR("delivery.smtp.helo", smtp_helo, 0, "",
	    "The EHLO name; \"\" means the host's name, as libesmtp picks it."),
	INT("delivery.smtp.connections", smtp_connections, 1, 16, 1,
	    "SMTP sessions at once."),

	GROUP("llm", "An optional second opinion on relevance from a "
		     "language model."),
	BOOL("llm.enabled", llm_enabled, 0, "Ask the model."),
	STR("llm.endpoint", llm_endpoint, 0,
	    "http://127.0.0.1:8080/v1/chat/completions",
	    "A chat completions URL: https, or http to 127.0.0.1, [::1] or "
	    "localhost."),
	STR("llm.model", llm_model, 0, "",
	    "The model's name; needs a row in llm.prices."),
	STR("llm.api_key_file", llm_api_key_file, CONF_PATH, "",
	    "The file holding the API key (mode 0600); or "
	    "$PAPERBOY_LLM_API_KEY."),
	FLOAT("llm.daily_budget_usd", llm_daily_budget_usd, 0, 1e6, 1.0,
	      "USD the judge may spend per UTC day."),
	INT("llm.timeout", llm_timeout, 1, 3600, CONF_LLM_TIMEOUT,
	    "Seconds for one request."),
	INT("llm.batch_size", llm_batch_size, 1, CONF_LLM_MAX_BATCH,
	    CONF_LLM_BATCH, "Papers per request."),
	INT("llm.min_lexical", llm_min_lexical, 1, 10, CONF_LLM_MIN_LEXICAL,
	    "The lexical relevance a paper needs to be sent to the model."),
	SPECIAL("llm.prices",
		"list of groups { model; prompt_per_mtok; "
		"completion_per_mtok; }",
		load_prices, release_prices,
		"What each model costs, in USD per million prompt and "
		"completion tokens (0 and 0 for a free local model)."),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))
_Static_assert(NSETTINGS <= CONF_MAX_SETTINGS,
	       "raise CONF_MAX_SETTINGS for the settings table");

const struct conf_setting *conf_settings(size_t *n)
{
	*n = NSETTINGS;
	return settings;
}

static const struct conf_setting *find_setting(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

int conf_given(const struct conf *c, const char *name)
{
	const struct conf_setting *s = find_setting(name);

	return s ? c->given[s - settings] : 0;
}

static void *field(struct conf *c, const struct conf_setting *s)
{
	return (char *)c + s->offset;
}

static void conf_defaults(struct conf *c)
{
	const struct conf_setting *s;
	const char *const *v;

	memset(c, 0, sizeof(*c));
	for (s = settings; s < settings + NSETTINGS; s++) {
		switch (s->type) {
		case CONF_STRING:
		case CONF_ENUM:
			*(char **)field(c, s) = xstrdup(s->def);
			break;
		case CONF_INT:
			*(long *)field(c, s) = s->idef;
			break;
		case CONF_FLOAT:
			*(double *)field(c, s) = s->fdef;
			break;
		case CONF_BOOL:
			*(int *)field(c, s) = (int)s->idef;
			break;
		case CONF_STRV:
			for (v = s->defv; *v; v++)
				strv_push(field(c, s), *v);
			break;
		case CONF_GROUP:
		case CONF_SPECIAL:
			break;
		}
	}
}

/*
 * Fails on the first setting in grp (the group named prefix, "" for the
 * file's top) that has no row, or a group row's setting that is not a
 * group; then checks the groups inside the same way.
 */
static int check_names(const struct conf_doc *doc, const struct conf_node *grp,
		       const char *prefix, struct errbuf *eb)
{
	int i, n = config_setting_length(NODE(grp));

	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(NODE(grp),
							      (unsigned)i);
		const char *name = config_setting_name(e);
		const struct conf_setting *s = NULL;
		char full[CONF_MAX_NAME];
		int len;

		len = snprintf(full, sizeof(full), "%s%s%s", prefix,
			       *prefix ? "." : "", name ? name : "");
		if (name && len > 0 && (size_t)len < sizeof(full))
			s = find_setting(full);
		if (!s)
			return errbuf_set(eb, "%s:%u: unknown setting '%s'",
					  doc->path,
					  config_setting_source_line(e),
					  name ? name : "?");
		if (s->type != CONF_GROUP)
			continue;
		if (!config_setting_is_group(e))
			return type_error(doc, e, name, "a group ({ ... })",
					  eb);
		if (check_names(doc, CNODE(e), full, eb) < 0)
			return -1;
	}
	return 0;
}

/* The group named by the dotted path (NULL when absent). */
static const struct conf_node *group_at(const struct conf_doc *doc,
					const char *path)
{
	config_setting_t *s = config_lookup(&doc->cfg, path);

	return s && config_setting_is_group(s) ? CNODE(s) : NULL;
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

/* Reads row s into c: 0 when the file sets it, 1 when absent, -1. */
static int read_setting(const struct conf_doc *doc,
			const struct conf_setting *s, struct conf *c,
			struct errbuf *eb)
{
	const char *dot = strrchr(s->name, '.'), *key = dot + 1;
	char parent[CONF_MAX_NAME];
	const struct conf_node *grp;
	struct strv *sv;
	size_t i;
	int r;

	if ((size_t)(dot - s->name) >= sizeof(parent))
		return errbuf_set(eb, "%s: setting name too long", s->name);
	memcpy(parent, s->name, (size_t)(dot - s->name));
	parent[dot - s->name] = '\0';
	grp = group_at(doc, parent);
	switch (s->type) {
	case CONF_STRING:
		return conf_get_string(doc, grp, key, 1, field(c, s), eb);
	case CONF_ENUM:
		r = conf_get_string(doc, grp, key, 1, field(c, s), eb);
		if (r == 0 && one_of(doc, grp, key, *(char **)field(c, s),
				     s->values, eb) < 0)
			return -1;
		return r;
	case CONF_INT:
		return conf_get_int(doc, grp, key, s->min, s->max, field(c, s),
				    eb);
	case CONF_FLOAT:
		return conf_get_float(doc, grp, key, s->fmin, s->fmax,
				      field(c, s), eb);
	case CONF_BOOL:
		return conf_get_bool(doc, grp, key, field(c, s), eb);
	case CONF_STRV:
		sv = field(c, s);
		r = conf_get_strv(doc, grp, key, sv, eb);
		for (i = 0; r == 0 && s->values && i < sv->n; i++)
			if (one_of(doc, grp, key, sv->v[i], s->values, eb) < 0)
				return -1;
		return r;
	case CONF_SPECIAL:
		return s->read(doc, grp, key, c, eb);
	case CONF_GROUP:
		break;
	}
	return 1;
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

static int load_prices(const struct conf_doc *doc, const struct conf_node *g,
		       const char *key, struct conf *c, struct errbuf *eb)
{
	static const char *const price_keys[] = { "model", "prompt_per_mtok",
						  "completion_per_mtok",
						  NULL };
	const struct conf_node *list, *e;
	size_t i, n;
	int r;

	r = conf_get_list(doc, g, key, &list, &n, eb);
	if (r)
		return r;
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

static void release_prices(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->llm_nprices; i++)
		free(c->llm_prices[i].model);
	free(c->llm_prices);
	c->llm_prices = NULL;
	c->llm_nprices = 0;
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

/* The checks across settings, after every row is read. */
static int load_checks(const struct conf_doc *doc, struct conf *c,
		       struct errbuf *eb)
{
	const struct conf_node *g = group_at(doc, "list");

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
	if (!c->owner[0]) {
		free(c->owner);
		c->owner = xstrdup(c->contact);
	} else if (!mime_address_valid(c->owner)) {
		return errbuf_set(eb, "%s:%d: list.owner must be an email "
				      "address", doc->path,
				  conf_line_of(g, "owner"));
	}
	if (!c->list_id[0] || strpbrk(c->list_id, " <>@\"") ||
	    !strchr(c->list_id, '.'))
		return errbuf_set(eb, "%s:%d: list.id must be a domain-like "
				      "name such as \"digest.example.org\"",
				  doc->path, conf_node_line(g));
	c->holidays_set = conf_given(c, "sources.arxiv.holidays");
	if (c->smtp_envelope_from[0] &&
	    !mime_address_valid(c->smtp_envelope_from))
		return errbuf_set(eb, "%s:%d: delivery.smtp.envelope_from is "
				      "not a valid address", doc->path,
				  conf_line_of(group_at(doc, "delivery.smtp"),
					       "envelope_from"));
	if (c->archive_url[0] && strncmp(c->archive_url, "https://", 8))
		return errbuf_set(eb, "%s:%d: archive.url must start with "
				      "https://", doc->path,
				  conf_line_of(group_at(doc, "archive"),
					       "url"));
	return check_llm(doc, group_at(doc, "llm"), c, eb);
}

/* The defaults that come from other settings, once paths are resolved. */
static void derive(struct conf *c)
{
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
	if (!c->starter_profile[0]) {
		free(c->starter_profile);
		c->starter_profile = util_path_join(c->templates_dir,
						    "starter.cfg");
	}
	if (!c->archive_url[0] && c->base_url[0]) {
		struct buf u = BUF_INIT;
		buf_addf(&u, "%s%sarchive", c->base_url,
			 util_ends_with(c->base_url, "/") ? "" : "/");
		free(c->archive_url);
		c->archive_url = buf_detach(&u, NULL);
	}
}

/* Loads doc (NULL when it could not be read or parsed) into c, which
 * holds the defaults; frees doc. */
static int load(struct conf_doc *doc, struct conf *c, struct errbuf *eb)
{
	const struct conf_setting *s;
	int ret = -1, r;

	if (!doc)
		goto out;
	if (check_names(doc, conf_doc_root(doc), "", eb) < 0)
		goto out;
	for (s = settings; s < settings + NSETTINGS; s++) {
		if (s->type == CONF_GROUP)
			continue;
		if ((r = read_setting(doc, s, c, eb)) < 0)
			goto out;
		c->given[s - settings] = r == 0;
	}
	if (load_checks(doc, c, eb) < 0)
		goto out;
	for (s = settings; s < settings + NSETTINGS; s++)
		if (s->flags & CONF_PATH)
			resolve(c, field(c, s));
	derive(c);
	ret = 0;
out:
	conf_doc_free(doc);
	if (ret < 0)
		conf_release(c);
	return ret;
}

int conf_load(const char *path, struct conf *c, struct errbuf *eb)
{
	struct conf_doc *doc = NULL;

	conf_defaults(c);
	c->path = xstrdup(path);
	c->dir = util_dirname(path);
	if (conf_doc_read(path, &doc, eb) < 0)
		doc = NULL;
	return load(doc, c, eb);
}

int conf_load_string(const char *path, const char *data, size_t len,
		     struct conf *c, struct errbuf *eb)
{
	struct conf_doc *doc = NULL;

	conf_defaults(c);
	c->path = xstrdup(path);
	c->dir = util_dirname(path);
	if (conf_doc_parse(path, data, len, &doc, eb) < 0)
		doc = NULL;
	return load(doc, c, eb);
}

int conf_check_for_smtp(const struct conf *c, struct errbuf *eb)
{
	struct strv missing = STRV_INIT;
	const struct conf_setting *s;
	char *names;

	for (s = settings; s < settings + NSETTINGS; s++) {
		const char *v;

		if (!(s->flags & CONF_FOR_SMTP))
			continue;
		/* Such rows are strings: "" counts as not set. */
		v = s->type == CONF_STRING
			    ? *(char *const *)((const char *)c + s->offset)
			    : "set";
		if (!c->given[s - settings] || !v || !*v)
			strv_push(&missing, s->name);
	}
	if (!missing.n)
		return 0;
	names = strv_join(&missing, ", ");
	errbuf_set(eb, "%s: set %s before mail goes out over SMTP (the "
		       "defaults name example.org, not your list)", c->path,
		   names);
	free(names);
	strv_release(&missing);
	return -1;
}

void conf_release(struct conf *c)
{
	const struct conf_setting *s;

	for (s = settings; s < settings + NSETTINGS; s++) {
		switch (s->type) {
		case CONF_STRING:
		case CONF_ENUM:
			free(*(char **)field(c, s));
			break;
		case CONF_STRV:
			strv_release(field(c, s));
			break;
		case CONF_SPECIAL:
			s->release(c);
			break;
		default:
			break;
		}
	}
	free(c->path);
	free(c->dir);
	free(c->from_display);
	free(c->from_addr);
	memset(c, 0, sizeof(*c));
}
