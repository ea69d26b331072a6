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
 *
 * paperboy.cfg is described by one settings table (conf_settings(), as
 * redis's config.c does): a row per setting drives its default, the
 * unknown-key check, the typed read, path resolution, release and the
 * paperboy.cfg(5) man page. Adding a setting is one row in conf.c plus its
 * field in struct conf; only checks across settings are code.
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

/* Rows in the settings table at most (a static assertion in conf.c
 * checks it); sizes struct conf's `given`. */
#define CONF_MAX_SETTINGS 128
/* The longest dotted setting name ("sources.arxiv.api_page_size"). */
#define CONF_MAX_NAME 64

struct conf;
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

/* Defaults of the llm section (see paperboy(1), THE LLM JUDGE). */
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
	char *owner;            /* list.owner: who reads replies; default
				 * list.contact */
	char *starter_profile;  /* list.starter_profile: new subscribers'
				 * .cfg, default TEMPLATES/starter.cfg */

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
	char *smtp_helo;           /* EHLO name; "" = libesmtp's choice */
	long smtp_connections;     /* SMTP sessions at once */
	long journal_keep_days;    /* older journal files are pruned */
	char *verp;                /* VERP sender form with {id}; "" none */
	long bounce_limit;         /* hard bounces that stop digests */
	long bounce_window_days;   /* ... counted over this many days */

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

	/* Per settings-table row: 1 when the file gave it. Private to
	 * conf.c; ask conf_given(). */
	unsigned char given[CONF_MAX_SETTINGS];
};

/* The type of a paperboy.cfg setting: what its field in struct conf is. */
enum conf_type {
	CONF_GROUP,   /* a section { ... } holding other rows; no field */
	CONF_STRING,  /* char *, one line */
	CONF_INT,     /* long, from min to max */
	CONF_FLOAT,   /* double, from fmin to fmax */
	CONF_BOOL,    /* int, 0 or 1 */
	CONF_ENUM,    /* char *, one of values */
	CONF_STRV,    /* struct strv; each one of values unless NULL */
	CONF_SPECIAL, /* read and released by the row's functions */
};

/* Row flags. */
#define CONF_PATH 0x1     /* resolved against the config file's folder */
#define CONF_FOR_SMTP 0x2 /* names the list: must be set to send by SMTP */

/* One row of the settings table. */
struct conf_setting {
	const char *name; /* dotted: "delivery.smtp.port" */
	enum conf_type type;
	unsigned flags;
	size_t offset;             /* offsetof(struct conf, field) */
	const char *def;           /* STRING, ENUM: the default */
	const char *const *defv;   /* STRV: NULL-terminated default list */
	long min, max, idef;       /* INT: bounds and default; BOOL: idef */
	double fmin, fmax, fdef;   /* FLOAT: bounds and default */
	const char *const *values; /* ENUM, STRV: allowed values, or NULL */
	const char *shape;         /* SPECIAL: its type, for the man page */
	const char *doc;           /* one line for paperboy.cfg(5) */
	/* SPECIAL: reads setting `key` of grp into c (0 set, 1 absent, -1
	 * error), and frees what it stored. */
	int (*read)(const struct conf_doc *doc, const struct conf_node *grp,
		    const char *key, struct conf *c, struct errbuf *eb);
	void (*release)(struct conf *c);
};

/* The settings table, in paperboy.cfg(5) order (groups before their
 * settings); *n is set to its length. */
const struct conf_setting *conf_settings(size_t *n);

/* 1 if the file set the setting `name` ("list.from"), 0 if it kept its
 * default (or no such setting). */
int conf_given(const struct conf *c, const char *name);

/*
 * Before anything is sent over SMTP, the settings that name the list
 * (rows flagged CONF_FOR_SMTP: list.name, list.id, list.from,
 * list.contact) must be set in the file, not left at the example.org
 * defaults. Returns 0, or -1 with "PATH: ..." naming each one missing.
 */
int conf_check_for_smtp(const struct conf *c, struct errbuf *eb);

/* The llm.prices row for model, or NULL. */
const struct conf_llm_price *conf_llm_price(const struct conf *c,
					    const char *model);

/* The file `paperboy` reads when no -c is given. */
#define CONF_DEFAULT_PATH "paperboy.cfg"

/* Loads and validates paperboy.cfg. Returns 0 or -1 ("PATH:LINE: ..."). */
int conf_load(const char *path, struct conf *out, struct errbuf *eb);
/* The same for the len bytes at data, as if read from path (relative
 * paths hang off its folder). On -1, *out is released (all zero). */
int conf_load_string(const char *path, const char *data, size_t len,
		     struct conf *out, struct errbuf *eb);
void conf_release(struct conf *c);

#endif
