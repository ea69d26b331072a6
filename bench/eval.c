/*
 * eval: `make eval`, how well paperboy ranks real days for one reader.
 *
 * Reads EVAL_DIR (default ../shared/eval: listings/arxiv-DAY.xml, the
 * selector's picks in labels/DAY.tsv, days.tsv), ranks each day with the
 * shipped profile subscribers/seed-criteria.cfg through the services
 * `paperboy score` uses (score_index_build, score_subscriber, digest_build
 * with the profile's min_relevance lowered to 1 so every matched paper is
 * ranked), and prints per day and overall the top-30 precision and recall
 * against the picks labelled `gpt`:
 *
 *  - cold: the profile alone, on all ten days and on each half (a
 *    change to the method should not lower either);
 *  - warm: the picks of the first five days recorded as up-votes through
 *    the feedback store (feedback.h) in a temporary state directory whose
 *    cache holds those days' listings, a model trained through learn.h,
 *    then the last five days ranked with profile + model;
 *
 * and a calibration table: per relevance shown (1-10), how many papers
 * got it and which share of them are picks. Diagnostic lines help read
 * the figures: the warm model's decision value alone (no profile, no
 * rules), comparable with the plain reference SVM of the set's README;
 * the warm case swapped (the last half's picks as up-votes, the first
 * half ranked), so that a change to the method is kept only when it
 * helps both ways, not one split of ten days; and the best precision any
 * ranking could reach (a day with fewer than 30 picks cannot fill its
 * top 30).
 *
 * Design decision: it measures, it never fails on a figure (exit 0 unless
 * it cannot run); days are taken in date order from days.tsv, and nothing
 * is tuned to them here: the warm model sees only the first five days'
 * labels and is evaluated only on the last five.
 *
 * Usage: eval [EVAL_DIR]   (or EVAL_DIR=... in the environment;
 * EVAL_PROFILE=FILE ranks with another profile; EVAL_KEEP=1 keeps the
 * temporary state directory, feedback and model, and names it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arxiv.h"
#include "buf.h"
#include "digest.h"
#include "errbuf.h"
#include "feedback.h"
#include "learn.h"
#include "listing.h"
#include "score.h"
#include "strv.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* The headline measure: the first 30 papers ranked. */
#define EVAL_TOP 30
/* Days in the evaluation set (the first half trains the warm case). */
#define EVAL_MAX_DAYS 64
/* The profile ranked. */
#define EVAL_PROFILE "subscribers/seed-criteria.cfg"

struct day {
	char date[11];
	struct listing l;
	struct strv picks; /* labelled `gpt` */
};

/* Calibration counts per relevance shown. */
struct calib {
	long shown[SCORE_MAX_RELEVANCE + 1];
	long picks[SCORE_MAX_RELEVANCE + 1];
};

struct figures {
	double precision, recall;
	long hits, picks;
	int days;
};

static void die(const char *what, const struct errbuf *eb)
{
	fprintf(stderr, "eval: %s: %s\n", what, eb ? eb->msg : "");
	exit(2);
}

static int load_labels(const char *dir, struct day *d)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b = BUF_INIT, path = BUF_INIT;
	char *line, *next;

	buf_addf(&path, "%s/labels/%s.tsv", dir, d->date);
	if (util_read_file(buf_str(&path), &b, &eb) < 0)
		die("labels", &eb);
	for (line = b.data; line && *line; line = next) {
		char *f[6], *p = line;
		int k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (k = 0; k < 6 && p; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (k < 5 || !strcmp(f[0], "arxiv_id"))
			continue;
		if (!strcmp(f[4], "gpt"))
			strv_push(&d->picks, f[0]);
	}
	buf_release(&b);
	buf_release(&path);
	return 0;
}

static size_t load_days(const char *dir, struct day *days)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf b = BUF_INIT, path = BUF_INIT;
	char *line, *next;
	size_t n = 0;

	buf_addf(&path, "%s/days.tsv", dir);
	if (util_read_file(buf_str(&path), &b, &eb) < 0)
		die("days", &eb);
	for (line = b.data; line && *line && n < EVAL_MAX_DAYS; line = next) {
		struct day *d = &days[n];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strlen(line) < 10 || line[4] != '-')
			continue;
		memcpy(d->date, line, 10);
		d->date[10] = '\0';
		listing_init(&d->l);
		buf_reset(&path);
		buf_addf(&path, "%s/listings/arxiv-%s.xml", dir, d->date);
		if (arxiv_parse_file(buf_str(&path), &d->l, &eb) < 0)
			die("listing", &eb);
		load_labels(dir, d);
		n++;
	}
	buf_release(&b);
	buf_release(&path);
	return n;
}

/*
 * Ranks day d for s (model m, or NULL) as the digest would order it and
 * counts the picks in the first EVAL_TOP; adds every considered paper's
 * relevance to the calibration table.
 */
static void rank_day(const struct day *d, const struct subscriber *s,
		     const struct learn_model *m, struct figures *f,
		     struct calib *c, int verbose, const char *label)
{
	struct subs_list one;
	struct subscriber copy = *s;
	struct strv types = STRV_INIT;
	struct score_result r;
	struct digest dg;
	struct score_index *idx;
	size_t i, hits = 0;

	copy.min_relevance = 1;
	copy.max_papers = EVAL_TOP;
	one.v = &copy;
	one.n = one.alloc = 1;
	strv_push(&types, "new");
	strv_push(&types, "cross");
	idx = score_index_build(&d->l, &types, &one);
	if (m)
		score_index_set_model(idx, &copy, m);
	score_subscriber(idx, &copy, &r);
	digest_build(&copy, &d->l, &r, d->date, &dg);
	for (i = 0; i < dg.n; i++)
		hits += strv_contains(&d->picks, dg.items[i].paper->id);
	for (i = 0; i < r.n; i++) {
		int rel = r.entries[i].relevance;

		if (!r.entries[i].considered)
			continue;
		c->shown[rel]++;
		c->picks[rel] += strv_contains(&d->picks, d->l.papers[i].id);
	}
	f->precision += (double)hits / EVAL_TOP;
	f->recall += d->picks.n ? (double)hits / (double)d->picks.n : 0;
	f->hits += (long)hits;
	f->picks += (long)d->picks.n;
	f->days++;
	if (verbose)
		printf("  %-5s %s  %4zu papers %3zu picks  top-30: %2zu picks, "
		       "precision %.2f recall %.2f\n",
		       label, d->date, d->l.n, d->picks.n, hits,
		       (double)hits / EVAL_TOP,
		       d->picks.n ? (double)hits / (double)d->picks.n : 0.0);
	digest_release(&dg);
	score_result_release(&r);
	score_index_free(idx);
	strv_release(&types);
}

static int by_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

/*
 * A diagnostic: day d ranked by the model's decision value alone (no
 * profile, no rules), as the plain reference SVM of the README is.
 */
static void rank_model_only(const struct day *d, const struct learn_model *m,
			    struct figures *f)
{
	struct learn_day *ld = learn_day_build(&d->l);
	double *v = xcalloc(d->l.n + 1, sizeof(*v));
	double *sorted = xcalloc(d->l.n + 1, sizeof(*sorted));
	double cut;
	size_t i, hits = 0, top = d->l.n < EVAL_TOP ? d->l.n : EVAL_TOP;

	learn_day_score(ld, m, v);
	memcpy(sorted, v, d->l.n * sizeof(*v));
	qsort(sorted, d->l.n, sizeof(*sorted), by_desc);
	cut = top ? sorted[top - 1] : 0;
	for (i = 0; i < d->l.n; i++)
		hits +=
		    v[i] >= cut && strv_contains(&d->picks, d->l.papers[i].id);
	f->precision += (double)hits / EVAL_TOP;
	f->recall += d->picks.n ? (double)hits / (double)d->picks.n : 0;
	f->hits += (long)hits;
	f->picks += (long)d->picks.n;
	f->days++;
	free(v);
	free(sorted);
	learn_day_free(ld);
}

static void print_figures(const char *what, const struct figures *f)
{
	printf("%-40s top-30 precision %.3f, recall %.3f (%ld of %ld picks, "
	       "%d days)\n",
	       what, f->days ? f->precision / f->days : 0,
	       f->days ? f->recall / f->days : 0, f->hits, f->picks, f->days);
}

/* The top-30 precision of a ranking that puts every pick first, over
 * days [from, to). */
static double ceiling(const struct day *days, size_t from, size_t to)
{
	double sum = 0;
	size_t i;

	for (i = from; i < to; i++)
		sum += (double)(days[i].picks.n < EVAL_TOP ? days[i].picks.n
							   : EVAL_TOP) /
		       EVAL_TOP;
	return to > from ? sum / (double)(to - from) : 0;
}

static void print_calib(const char *what, const struct calib *c)
{
	int r;

	printf("calibration, %s: relevance shown -> papers, share of picks\n",
	       what);
	for (r = SCORE_MAX_RELEVANCE; r >= 0; r--)
		printf("  %2d %6ld papers  %5.1f%% picks\n", r, c->shown[r],
		       c->shown[r] ? 100.0 * c->picks[r] / c->shown[r] : 0.0);
}

/* Writes d's listing into STATE/cache/DATE/ as `paperboy fetch` keeps a
 * day, so learn.h finds the day's other papers. */
static void cache_day(const char *state, const char *dir, const struct day *d)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf src = BUF_INIT, path = BUF_INIT, data = BUF_INIT;

	buf_addf(&src, "%s/listings/arxiv-%s.xml", dir, d->date);
	if (util_read_file(buf_str(&src), &data, &eb) < 0)
		die("listing", &eb);
	buf_addf(&path, "%s/cache/%s", state, d->date);
	if (util_mkdir_p(buf_str(&path), 0755, &eb) < 0)
		die("cache", &eb);
	buf_addstr(&path, "/arxiv.xml");
	if (util_write_atomic(buf_str(&path), data.data, data.len, 0644, &eb) <
	    0)
		die("cache", &eb);
	buf_reset(&path);
	buf_addf(&path, "%s/cache/%s/MANIFEST", state, d->date);
	if (util_write_atomic(buf_str(&path), "arxiv arxiv.xml\n", 16, 0644,
			      &eb) < 0)
		die("cache", &eb);
	buf_release(&src);
	buf_release(&path);
	buf_release(&data);
}

/*
 * The warm case: the picks of days [from, to) recorded as up-votes in a
 * fresh temporary state directory whose cache holds those days, a model
 * trained through learn.h, then days [rank_from, rank_to) ranked with
 * profile + model into *warm (and by the model alone into *alone).
 * verbose prints each day and the model's summary under `label`.
 */
static void warm_run(const char *dir, struct day *days, size_t from, size_t to,
		     size_t rank_from, size_t rank_to,
		     const struct subscriber *s, struct figures *warm,
		     struct figures *alone, struct calib *c, int verbose,
		     const char *label)
{
	struct errbuf eb = ERRBUF_INIT;
	struct learn_model *m = NULL;
	char state[] = "/tmp/paperboy-eval.XXXXXX";
	struct buf cmd = BUF_INIT;
	size_t i;
	int trained = 0;

	if (!mkdtemp(state))
		die("mkdtemp", NULL);
	for (i = from; i < to; i++) {
		const char **ids = xcalloc(days[i].picks.n + 1, sizeof(*ids));
		size_t k;

		for (k = 0; k < days[i].picks.n; k++)
			ids[k] = days[i].picks.v[k];
		cache_day(state, dir, &days[i]);
		if (feedback_vote_ids(state, s->id, &days[i].l, days[i].date,
				      ids, days[i].picks.n, 1, "eval", &eb) < 0)
			die("feedback", &eb);
		free(ids);
	}
	if (learn_update(state, s->id, NULL, 1, &m, &trained, &eb) < 0)
		die("learn", &eb);
	if (verbose) {
		printf("\n%s (up-votes for the picks of days %zu-%zu, %s):\n",
		       label, from + 1, to, m ? "model trained" : "NO MODEL");
		if (m) {
			char *sum = learn_summary(m);
			printf("  %s\n", sum);
			free(sum);
		}
	}
	for (i = rank_from; i < rank_to; i++) {
		rank_day(&days[i], s, m, warm, c, verbose, label);
		if (m)
			rank_model_only(&days[i], m, alone);
	}
	learn_model_free(m);
	/* The temporary state: feedback, model, cache. */
	buf_addf(&cmd, "rm -rf '%s'", state);
	if (getenv("EVAL_KEEP"))
		printf("eval: kept %s\n", state);
	else if (system(buf_str(&cmd)) != 0)
		fprintf(stderr, "eval: could not remove %s\n", state);
	buf_release(&cmd);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("EVAL_DIR");
	const char *profile;
	struct day *days;
	struct subscriber s;
	struct errbuf eb = ERRBUF_INIT;
	struct figures all, early, late, warm, alone, swapped, swapped_alone;
	struct calib cold_c, warm_c, scratch;
	size_t n, i, half;
	struct buf path = BUF_INIT;
	struct stat st;
	double t0 = (double)clock() / CLOCKS_PER_SEC;

	memset(&all, 0, sizeof(all));
	memset(&early, 0, sizeof(early));
	memset(&late, 0, sizeof(late));
	memset(&warm, 0, sizeof(warm));
	memset(&alone, 0, sizeof(alone));
	memset(&swapped, 0, sizeof(swapped));
	memset(&swapped_alone, 0, sizeof(swapped_alone));
	memset(&cold_c, 0, sizeof(cold_c));
	memset(&warm_c, 0, sizeof(warm_c));
	memset(&scratch, 0, sizeof(scratch));
	if (!dir || !*dir)
		dir = "../shared/eval";
	buf_addf(&path, "%s/days.tsv", dir);
	if (stat(buf_str(&path), &st) < 0) {
		printf("eval: no evaluation set at %s (set EVAL_DIR): "
		       "nothing measured\n",
		       dir);
		return 0;
	}
	profile = getenv("EVAL_PROFILE");
	if (!profile || !*profile)
		profile = EVAL_PROFILE;
	if (subs_load_file(profile, &s, &eb) < 0)
		die(profile, &eb);
	days = xcalloc(EVAL_MAX_DAYS, sizeof(*days));
	n = load_days(dir, days);
	half = n / 2;
	printf("eval: %zu days from %s, profile %s, top %d\n\n", n, dir,
	       profile, EVAL_TOP);

	printf("cold (profile only):\n");
	for (i = 0; i < n; i++) {
		rank_day(&days[i], &s, NULL, &all, &cold_c, 1, "cold");
		rank_day(&days[i], &s, NULL, i < half ? &early : &late,
			 &scratch, 0, "");
	}

	/* Warm: the picks of the first half as up-votes, the second half
	 * ranked with the model. Swapped (a diagnostic against tuning to
	 * one split): the second half's picks, the first half ranked. */
	warm_run(dir, days, 0, half, half, n, &s, &warm, &alone, &warm_c, 1,
		 "warm");
	warm_run(dir, days, half, n, 0, half, &s, &swapped, &swapped_alone,
		 &scratch, 0, "swapped");

	printf("\n");
	print_figures("cold, all days:", &all);
	print_figures("cold, first half:", &early);
	print_figures("cold, last half (warm's days):", &late);
	print_figures("warm, last half:", &warm);
	print_figures("(diagnostic) model alone, last half:", &alone);
	print_figures("(diagnostic) warm swapped, first half:", &swapped);
	print_figures("(diagnostic) swapped model alone:", &swapped_alone);
	printf("(diagnostic) best possible top-30 precision: all days %.3f, "
	       "last half %.3f, first half %.3f\n",
	       ceiling(days, 0, n), ceiling(days, half, n),
	       ceiling(days, 0, half));
	printf("\n");
	print_calib("cold, all days", &cold_c);
	print_calib("warm, last half", &warm_c);
	printf("\neval: %.1f s CPU\n", (double)clock() / CLOCKS_PER_SEC - t0);

	for (i = 0; i < n; i++) {
		listing_release(&days[i].l);
		strv_release(&days[i].picks);
	}
	free(days);
	subs_release(&s);
	buf_release(&path);
	return 0;
}
