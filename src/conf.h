/*
 * conf: reading libconfig files: paperboy.cfg, and typed look-ups that the
 * subscriber loader (subs.c) uses for its own files.
 *
 * This is the only module that includes <libconfig.h>. Design decision:
 * every value is copied out of libconfig at once (its strings die with the
 * document), and every look-up is strict: a wrong type, an out-of-range
 * number or an unknown setting name is an error naming file and line,
 * because a typo in a profile ("min_relevence") silently ignored is a user
 * who wonders for weeks why the digest looks wrong.
 */
#ifndef PAPERBOY_CONF_H
#define PAPERBOY_CONF_H

#include <stddef.h>

#include "errbuf.h"
#include "strv.h"

/* A config or profile file larger than this is refused (ours are ~1 KB). */
#define CONF_MAX_FILE_SIZE ((size_t)256 << 10)
/* A single string setting longer than this is refused. */
#define CONF_MAX_STRING 8192
/* A string list with more elements than this is refused. */
#define CONF_MAX_LIST 1000
/* delivery.smtp.connections: a relay that allows more sessions from one
 * client than this is rare, and each one is a thread and a socket. */
#define CONF_MAX_SMTP_CONNECTIONS 16

struct conf_doc;  /* one parsed file */
struct conf_node; /* a group, list or array inside it */

/*
 * Parses the file at path. Returns 0 and *out (free with conf_doc_free), or
 * -1 with "PATH:LINE: message" for a syntax error or "PATH: reason" when the
 * file cannot be read.
 */
int conf_doc_read(const char *path, struct conf_doc **out, struct errbuf *eb);
/* The same for the len bytes at data, named path in messages. */
int conf_doc_parse(const char *path, const char *data, size_t len,
		   struct conf_doc **out, struct errbuf *eb);
void conf_doc_free(struct conf_doc *doc);
const char *conf_doc_path(const struct conf_doc *doc);
const struct conf_node *conf_doc_root(const struct conf_doc *doc);
/* The source line of a node (0 if unknown). */
int conf_node_line(const struct conf_node *node);
/* The source line of setting `name` in grp (0 if absent). */
int conf_line_of(const struct conf_node *grp, const char *name);

/*
 * Typed look-ups of the setting `name` inside the group `grp`. Each returns
 * 0 when found and stored, 1 when the setting is absent (*out untouched, so
 * it keeps its default), or -1 with "PATH:LINE: ..." when it has the wrong
 * type or value.
 */
int conf_get_group(const struct conf_doc *doc, const struct conf_node *grp,
		   const char *name, const struct conf_node **out,
		   struct errbuf *eb);
/* *out is freed and replaced by a copy. Strings with CR, LF or NUL and
 * strings over CONF_MAX_STRING are refused when single_line is set. */
int conf_get_string(const struct conf_doc *doc, const struct conf_node *grp,
		    const char *name, int single_line, char **out,
		    struct errbuf *eb);
int conf_get_int(const struct conf_doc *doc, const struct conf_node *grp,
		 const char *name, long min, long max, long *out,
		 struct errbuf *eb);
int conf_get_float(const struct conf_doc *doc, const struct conf_node *grp,
		   const char *name, double min, double max, double *out,
		   struct errbuf *eb);
int conf_get_bool(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, int *out, struct errbuf *eb);
/* An array or list of single-line strings; *out is emptied first. */
int conf_get_strv(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, struct strv *out, struct errbuf *eb);
/* A list of groups: *count elements, fetched with conf_list_elem(). */
int conf_get_list(const struct conf_doc *doc, const struct conf_node *grp,
		  const char *name, const struct conf_node **out,
		  size_t *count, struct errbuf *eb);
/* Element i of a list found by conf_get_list, or NULL when it is not a
 * group (the caller reports it with conf_node_line of the list). */
const struct conf_node *conf_list_elem(const struct conf_node *list,
				       size_t i);

/*
 * Fails with "PATH:LINE: unknown setting 'x'" for the first setting in grp
 * whose name is not in the NULL-terminated list `known`.
 */
int conf_check_keys(const struct conf_doc *doc, const struct conf_node *grp,
		    const char *const *known, struct errbuf *eb);

/* One row of llm.prices: what a model costs, in USD per million tokens. */
struct conf_llm_price {
	char *model;
	double prompt_per_mtok;
	double completion_per_mtok;
};

/* Defaults of the llm section (see README, "LLM judge"). */
#define CONF_LLM_TIMEOUT 120      /* seconds: a batch takes a model ~30 s */
#define CONF_LLM_BATCH 20         /* papers per request, as the seed did */
#define CONF_LLM_MAX_BATCH 100    /* beyond this replies get cut off */
#define CONF_LLM_MIN_LEXICAL 3    /* any keyword hit in score.c's scale */
#define CONF_LLM_MAX_PRICES 100   /* rows in llm.prices */

/* paperboy.cfg, with every default applied and relative paths resolved
 * against the folder that holds the file. */
struct conf {
	char *path;
	char *dir;

	char *list_name;
	char *list_id;          /* List-Id and Message-ID domain */
	char *list_from;        /* "Name <addr>" */
	char *from_display;     /* parsed from list_from; may be NULL */
	char *from_addr;
	char *base_url;         /* for links; may be "" */
	char *secret_file;

	char *subscribers_dir;
	char *templates_dir;
	char *state_dir;

	struct strv categories;
	struct strv announce_types;
	char *arxiv_rss_url;    /* feed base; categories are appended */
	char *arxiv_api_url;    /* the API's query endpoint (backfill) */
	long arxiv_api_page;    /* results per API request, at most 2000 */
	struct strv holidays;   /* YYYY-MM-DD; empty: built-in schedule */
	int holidays_set;       /* holidays came from the config */
	long fetch_timeout;     /* seconds for one whole request */
	long fetch_stall;       /* seconds without a byte: give up */
	int hf_enabled;
	char *hf_url;           /* daily papers endpoint; ?date= appended */
	char *contact;          /* operator address in the User-Agent */
	char *postal;           /* list.postal: footer line; may be "" */

	char *template_html;    /* templates.html, default TEMPLATES/digest.html */
	char *template_text;    /* templates.text, default TEMPLATES/digest.txt */

	int archive_enabled;    /* archive.enabled: write the web archive */
	char *archive_dir;      /* archive.dir, default "archive" */
	char *archive_url;      /* archive.url, default BASE_URL/archive; "" */

	char *delivery_method;  /* "outbox" or "smtp" */
	char *outbox_dir;
	char *smtp_host;
	long smtp_port;
	char *smtp_tls;         /* "starttls", "implicit" or "none" */
	char *smtp_user;
	char *smtp_password_file;
	int smtp_tls_verify;       /* verify the server certificate */
	char *smtp_ca_file;        /* extra CA to trust; "" for none */
	char *smtp_envelope_from;  /* bounce address; "" = list.from */
	long smtp_timeout;         /* seconds per server reply */
	long smtp_batch;           /* messages per connection */
	long smtp_retries;         /* tries for a 4xx within one run */
	long smtp_retry_delay_ms;  /* first backoff; doubles each try */
	long smtp_connections;     /* SMTP sessions at once (1..16) */
	long journal_keep_days;    /* older journal files are pruned */

	int llm_enabled;
	char *llm_endpoint;
	char *llm_model;
	char *llm_api_key_file;
	double llm_daily_budget_usd;
	long llm_timeout;          /* seconds for one request */
	long llm_batch_size;       /* papers per request */
	long llm_min_lexical;      /* lexical relevance a paper needs */
	struct conf_llm_price *llm_prices;
	size_t llm_nprices;
};

/* The llm.prices row for model, or NULL. */
const struct conf_llm_price *conf_llm_price(const struct conf *c,
					    const char *model);

/* The file `paperboy` reads when no -c is given. */
#define CONF_DEFAULT_PATH "paperboy.cfg"

/* Loads and validates paperboy.cfg. Returns 0 or -1 ("PATH:LINE: ..."). */
int conf_load(const char *path, struct conf *out, struct errbuf *eb);
void conf_release(struct conf *c);

#endif
