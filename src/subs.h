/*
 * subs: subscriber profiles, one libconfig file each in subscribers/.
 *
 * A subscriber's id is its file name without ".cfg" (alice.cfg -> alice):
 * stable, unique within the folder, and what the operator types. Design
 * decision: profiles are validated completely when loaded (address, line
 * breaks, ranges, unknown settings), and one broken file is reported and
 * skipped, never allowed to stop the other subscribers' digests.
 */
#ifndef PAPERBOY_SUBS_H
#define PAPERBOY_SUBS_H

#include <stddef.h>

#include "errbuf.h"
#include "strv.h"

/* More profiles than this in one folder is refused (one run's memory and
 * time grow with it; split with shards beyond). */
#define SUBS_MAX_SUBSCRIBERS 100000
/* Topics per profile: a profile is read by a person, 50 is already a lot. */
#define SUBS_MAX_TOPICS 50
/* A keyword, author name or exclusion longer than this is refused. */
#define SUBS_MAX_TERM 200
/* A display name longer than this is refused. */
#define SUBS_MAX_NAME 200
/* Upper bound of max_papers: beyond this a digest is not read. */
#define SUBS_MAX_PAPERS 200
/* Subscriber ids: file names of at most this many characters. */
#define SUBS_MAX_ID 64

enum subs_status {
	SUBS_ACTIVE,
	SUBS_UNSUBSCRIBED,
};

struct subs_topic {
	char *name;
	struct strv keywords;
	double weight;          /* default 1.0 */
};

struct subscriber {
	char *id;               /* file name without .cfg */
	char *path;
	char *name;             /* may be "" */
	char *email;
	enum subs_status status;
	struct strv categories; /* empty: all fetched categories */
	struct strv authors;
	struct subs_topic *topics;
	size_t ntopics;
	struct strv exclude;
	long min_relevance;     /* 1..10, default 5 */
	long max_papers;        /* 1..SUBS_MAX_PAPERS, default 30 */
	long min_upvotes;       /* Hugging Face upvotes needed; 0: none */
	int sort_by_upvotes;    /* sort = "upvotes" ("trending") */
	char *criteria;         /* free text; may be "" */
};

struct subs_list {
	struct subscriber *v;
	size_t n;
	size_t alloc;
};

/*
 * Loads and validates one profile. Returns 0, or -1 with
 * "PATH:LINE: what" in eb (*out then holds nothing to release).
 */
int subs_load_file(const char *path, struct subscriber *out,
		   struct errbuf *eb);
void subs_release(struct subscriber *s);

/*
 * Loads every "*.cfg" in dir, in name order. A file that fails to load,
 * or that repeats an email address an earlier file has, is skipped and its
 * message appended to *errors. Returns 0, or -1 with eb filled when the
 * folder itself cannot be read.
 */
int subs_load_dir(const char *dir, struct subs_list *out,
		  struct strv *errors, struct errbuf *eb);
void subs_list_release(struct subs_list *l);

/* The subscriber with this id, or NULL. */
struct subscriber *subs_find(const struct subs_list *l, const char *id);

const char *subs_status_name(enum subs_status s);

#endif
