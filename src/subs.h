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

#include "arena.h"
#include "buf.h"
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
	SUBS_BOUNCING, /* too many hard bounces (bounces.c); never mailed */
};

struct subs_topic {
	char *name;
	struct strv keywords;
	struct strv require;    /* all must appear for the topic to count */
	struct strv exclude;    /* any of them drops this topic only */
	double weight;          /* default 1.0 */
};

struct subscriber {
	char *id;               /* file name without .cfg */
	char *path;
	char *name;             /* may be "" */
	char *email;
	enum subs_status status;
	struct strv categories; /* empty: all fetched categories */
	int primary_only;       /* categories match the primary one only */
	struct strv announce_types; /* empty: the config's */
	struct strv authors;
	struct subs_topic *topics;
	size_t ntopics;
	struct strv exclude;    /* penalized; dropped when central (score.h) */
	struct strv never;      /* any of them anywhere drops the paper */
	long min_relevance;     /* 1..10, default 5 */
	long max_papers;        /* 1..SUBS_MAX_PAPERS, default 30 */
	long min_upvotes;       /* Hugging Face upvotes needed; 0: none */
	int sort_by_upvotes;    /* sort = "upvotes" ("trending") */
	char *criteria;         /* free text; may be "" */
	int archive;            /* archive = true: own pages in the archive */
	/* The file as it was just before it was read, to see a later
	 * change (subs_still_active). */
	unsigned long long file_dev, file_ino;
	long long file_mtime_ns, file_size;
};

struct subs_list {
	struct subscriber *v;
	size_t n;
	size_t alloc;
};

/*
 * Loads and validates one profile. A symbolic link is followed only to a
 * file in the same folder. Returns 0, or -1 with
 * "PATH:LINE: what" in eb (*out then holds nothing to release).
 */
int subs_load_file(const char *path, struct subscriber *out,
		   struct errbuf *eb);
/*
 * The same for a profile already in memory (len bytes at data, NULs
 * refused), named path (which gives the id) in messages.
 */
int subs_load_string(const char *path, const char *data, size_t len,
		     struct subscriber *out, struct errbuf *eb);
void subs_release(struct subscriber *s);

/*
 * The addresses of the profiles loaded so far, so that the rule "an
 * address a profile earlier in name order has is skipped" holds across
 * several calls of subs_load_names (a run loads a group at a time).
 */
struct subs_seen;
struct subs_seen *subs_seen_new(void);
void subs_seen_free(struct subs_seen *seen); /* NULL is fine */

/*
 * Profile file names, as subs_list_names lists them: a run keeps one per
 * subscriber to its end, so the strings are packed in an arena (about
 * the name's length each, not a malloc each) and v points into it.
 */
struct subs_names {
	char **v;            /* n names; owned by arena */
	size_t n, alloc;
	struct arena arena;
};

#define SUBS_NAMES_INIT { NULL, 0, 0, ARENA_INIT }

/* Frees the names and the array; names may be used again. */
void subs_names_release(struct subs_names *names);

/*
 * Appends the "*.cfg" file names of dir to names, in name order (the order
 * of subs_load_dir). Returns 0, or -1 with eb filled when the folder
 * cannot be read or holds more than SUBS_MAX_SUBSCRIBERS profiles.
 */
int subs_list_names(const char *dir, struct subs_names *names,
		    struct errbuf *eb);

/*
 * Loads the profiles dir/names[0..n) (names from subs_list_names) and
 * appends them to out, with subs_load_dir's rules; seen holds the
 * addresses of earlier calls (or of every profile, from a pass over the
 * whole folder) and gets these ones. A profile that fails to load or
 * repeats an address that a profile earlier in name order has is
 * skipped and its message appended to errors (NULL: dropped); a file
 * gone since it was listed is skipped without a message. With index,
 * index[i] is set to names[i]'s position in out, or to SUBS_NAME_SKIPPED
 * or SUBS_NAME_GONE.
 */
#define SUBS_NAME_SKIPPED (-1)
#define SUBS_NAME_GONE (-2)
void subs_load_names(const char *dir, char *const *names, size_t n,
		     struct subs_seen *seen, struct subs_list *out,
		     long *index, struct strv *errors);

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
/*
 * Whether s is still active now, just before a message to it goes out: 1
 * yes, 0 no (its profile changed to another status, or is gone). When the
 * file is the one that was loaded (same inode, time and size) the answer
 * costs one stat(); a changed file is read again. Returns -1 with eb
 * filled when the changed file cannot be read.
 */
int subs_still_active(const struct subscriber *s, struct errbuf *eb);

struct subscriber *subs_find(const struct subs_list *l, const char *id);

const char *subs_status_name(enum subs_status s);

/*
 * Sets the status of the profile at path in place of its old value:
 * `status = "unsubscribed";` / `"active"` and `unsubscribed_at = "WHEN";`
 * (removed again on resubscribe; `"bouncing"` changes the status line
 * only and leaves unsubscribed_at as it is), editing only those lines (found through
 * libconfig's source line numbers) so that every other line and comment is
 * kept byte for byte; a setting that is missing is added at the end. The
 * new file is written to a temporary file, fsynced and renamed over the
 * old one, under an exclusive lock (a lock file next to the profile,
 * removed again), so a concurrent change waits and a reader never sees
 * half a file. Nothing is logged (see subs_change_status). Setting the
 * status it already has is a no-op that returns 0 (*changed = 0).
 * Returns 0 or -1 with eb filled ("PATH:LINE: what").
 */
int subs_set_status(const char *path, enum subs_status status,
		    const char *when, int *changed, struct errbuf *eb);

/* A profile made by paperboy (subs_create) is readable by its owner only:
 * it holds an address. */
#define SUBS_NEW_MODE 0600

/*
 * Creates DIR/ID.cfg with text (a complete profile), under the same lock
 * as subs_set_status, staged, validated with subs_load_file (it must load
 * and be active), fsynced and linked into place: an existing file is
 * never replaced. Returns 0 (created), 1 (DIR/ID.cfg already exists;
 * nothing written) or -1 with eb filled.
 */
int subs_create(const char *dir, const char *id, const char *text,
		size_t len, struct errbuf *eb);

/*
 * Fills out with the new text of the profile at path, given its current
 * text (both at most CONF_MAX_FILE_SIZE). Returns 0 or -1 with eb filled.
 */
typedef int subs_edit_fn(const char *path, const struct buf *text,
			 struct buf *out, void *ctx, struct errbuf *eb);

/*
 * Rewrites the profile at path under its lock: edit() makes the new text
 * from the current one, which must then load (subs_load_file) with the
 * status it had; it is installed like subs_set_status's edits (staged,
 * fsynced, renamed, the file's mode kept). Returns 0, or -1 with eb
 * filled and the file unchanged.
 */
int subs_rewrite(const char *path, subs_edit_fn *edit, void *ctx,
		 struct errbuf *eb);

/* The lists a reader edits on the profile page. */
struct subs_lists {
	const struct subs_topic *topics; /* each written whole: name,
					    keywords, require, exclude,
					    weight (1.0 left out) */
	size_t ntopics;
	const struct strv *authors;  /* each NULL: left as the file has it */
	const struct strv *exclude;
	const struct strv *never;
	const char *criteria;
};

/*
 * Replaces the settings topics, authors, exclude, never and criteria of
 * the profile at path by l's (a missing one is added at the end, unless
 * it is empty; a NULL one is left alone), keeping every other
 * line and comment byte for byte (comments inside the replaced lists go
 * with them), through subs_rewrite: locked, validated by the loader,
 * atomic. Returns 0, or -1 with eb filled ("PATH:LINE: what") and the
 * file unchanged.
 */
int subs_set_lists(const char *path, const struct subs_lists *l,
		   struct errbuf *eb);

/*
 * subs_set_status, and the change's line in STATE/unsubscribe.log (as
 * subs_log_change writes it, ACTION from status, VIA "http", "mail" or
 * "admin"), so that the two never disagree: the line is made durable as
 * an intent in DIR/.ID.edit before the profile changes, and appended
 * after; a change killed in between is settled by subs_recover or by the
 * next change of that profile. Returns 0 (*changed set), -1 with eb
 * filled and nothing changed, or 1 when the profile changed but its line
 * could not be written yet (eb says why; it is written on recovery).
 */
int subs_change_status(const char *path, const char *state_dir,
		       enum subs_status status, const char *when,
		       const char *email, const char *via, int *changed,
		       struct errbuf *eb);

/*
 * Settles what changes killed midway left in subs_dir: appends the log
 * line of a change that reached its profile when the log lacks it, drops
 * one that did not, and removes every stage folder (.ID.edit) and lock
 * file (.ID.lock), taking each profile's lock in turn. Returns 0 or -1
 * with eb filled (the first failure; the others are still settled).
 */
int subs_recover(const char *subs_dir, const char *state_dir,
		 struct errbuf *eb);

/*
 * Appends one line to STATE/unsubscribe.log:
 * "WHEN<TAB>ACTION<TAB>ID<TAB>EMAIL<TAB>VIA" (ACTION "unsubscribe",
 * "resubscribe", "subscribe" or "profile", VIA "http", "mail", "admin"),
 * fsynced. Returns 0 or -1.
 */
int subs_log_change(const char *state_dir, const char *when,
		    const char *action, const char *id, const char *email,
		    const char *via, struct errbuf *eb);

#endif
