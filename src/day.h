/*
 * day: everything the pipeline needs about one listing day, loaded in
 * order: the config, the date, the listing (source.h), the subscribers,
 * the scoring index with each subscriber's learned model (learn.h), the
 * link-signing key and the LLM judge.
 *
 * Design decision: one struct owns the day, so that every command that
 * works on a day (run, render, score, send-test) opens it the same way and
 * releases it with one call, even after a failure halfway.
 */
#ifndef PAPERBOY_DAY_H
#define PAPERBOY_DAY_H

#include "conf.h"
#include "errbuf.h"
#include "learn.h"
#include "listing.h"
#include "render.h"
#include "llm.h"
#include "score.h"
#include "source.h"
#include "strv.h"
#include "subs.h"
#include "token.h"

struct day {
	struct conf conf;
	char date[16];
	struct listing listing;
	int items;              /* items in the feed; 0: no announcement */
	struct subs_list subs;
	struct strv broken;     /* one message per profile that failed */
	struct score_index *idx;
	struct score_day *sday; /* the listing's side, shared by groups */
	struct token_key key;   /* signs unsubscribe links */
	struct llm_judge *llm;  /* llm.enabled: the judge; else NULL */
	struct render_templates templates; /* day_load_templates */
	struct render_day *rday; /* the day's rendered fragments, or NULL */
	struct learn_model **models; /* per subscriber: learned, or NULL */
	struct strv warnings;   /* for the command to print */
	/* day_opts.by_group: the profiles' file names, in name order
	 * (subs_list_names), instead of subs, idx and models. */
	int by_group;
	struct subs_names names;
};

/*
 * Profiles a run loads and scores at a time (day_group_load): its memory
 * is that of a few groups whatever the number of subscribers (~4 MB of
 * profiles and index per 1,000), and the listing's side of the index,
 * built again per group, costs little next to 1,000 digests.
 */
#define DAY_GROUP 1000
/* The environment variable that sets the group size (the tests make
 * groups of a few profiles to cross their boundaries). */
#define DAY_GROUP_ENV "PAPERBOY_GROUP"

/* Some of a day's subscribers, loaded and indexed together. */
struct day_group {
	size_t n;               /* names asked for */
	long *index;            /* per name: its profile in subs, or
				 * SUBS_NAME_SKIPPED, SUBS_NAME_GONE */
	char **error;           /* per name: why it was skipped, or NULL */
	struct subs_list subs;
	struct score_index *idx;
	struct learn_model **models; /* per profile in subs, or NULL */
	struct strv warnings;   /* models that could not be had */
};

/* How a command opens a day. */
struct day_opts {
	const char *config;  /* -c FILE; NULL: CONF_DEFAULT_PATH */
	const char *date;    /* --date YYYY-MM-DD; NULL: the latest day */
	const char *listing; /* --listing FILE; NULL: cache or network */
	int dry_run;         /* write nothing; ask no paid service */
	int force_date;      /* take the listing as `date` unchecked */
	const struct source_log *log; /* progress lines, or NULL */
	/* List the profiles (d->names) without loading them: the caller
	 * loads them a group at a time (day_group_load). */
	int by_group;
};

/*
 * Resolves the day into out: date_opt ("YYYY-MM-DD"), or without one the
 * latest announced listing. Returns 0, or -1 with eb filled
 * (ERRBUF_USAGE for a malformed date).
 */
int day_resolve_date(const struct conf *c, const char *date_opt, char *out,
		     size_t size, struct errbuf *eb);

/*
 * Loads the config, resolves the date, loads the listing and, when it
 * holds papers, the subscribers (broken profiles are listed in d->broken,
 * not a failure), the scoring index with each subscriber's learned model
 * (learn_update: retrained when the votes changed; a dry run saves
 * nothing; a model that cannot be had is a warning in d->warnings, and
 * the profile scores alone), the LLM judge and the key. Returns 0,
 * or -1 with eb filled and its kind set (ERRBUF_CONFIG, ERRBUF_USAGE, or
 * the listing's kinds from source_load). Release with day_close, also
 * after -1.
 */
int day_open(struct day *d, const struct day_opts *o, struct errbuf *eb);
void day_close(struct day *d);

/*
 * Loads the profiles d->names[which[0..n)] (a day opened by_group) into g,
 * with the duplicate-address rule across the groups of one seen
 * (subs_seen_new), indexes them for scoring the day and attaches their
 * learned models as day_open does (flags below). A profile that cannot
 * be loaded is g->error[i], not a failure. Release with
 * day_group_release.
 */
void day_group_load(const struct day *d, const size_t *which, size_t n,
		    struct subs_seen *seen, unsigned flags,
		    struct day_group *g);
/* day_group_load's flags. */
#define DAY_GROUP_DRY_RUN 1u   /* models are trained, not saved */
#define DAY_GROUP_NO_MODELS 2u /* no models: the profiles score alone */
void day_group_release(struct day_group *g);

/* The number of profiles of a group: DAY_GROUP, or DAY_GROUP_ENV. */
size_t day_group_size(void);

/* 1 if the day has a subscriber (a profile file, loaded or not) named
 * id. */
int day_has_subscriber(const struct day *d, const char *id);

/*
 * Loads the digest templates into d->templates and renders what every
 * subscriber's digest of the day shares, once, into d->rday: issue_compose
 * then assembles each digest from these fragments. Both are released by
 * day_close. Returns 0 or -1 with eb filled (ERRBUF_CONFIG).
 */
int day_load_templates(struct day *d, struct errbuf *eb);

/*
 * Loads the subscribers of c's folder into out; a profile that fails to
 * load is skipped and its message pushed onto broken. Returns 0, or -1
 * with eb filled (ERRBUF_CONFIG) when the folder is unusable.
 */
int day_load_subscribers(const struct conf *c, struct subs_list *out,
			 struct strv *broken, struct errbuf *eb);

#endif
