/*
 * score_bench: `make bench-score`, the scoring benchmark of issue 6.
 *
 * Generates, in memory and from a fixed seed, an arXiv-like listing (titles
 * and abstracts made of real ML terms in hyphen, plural and capitalized
 * variants, TeX accents and $math$, among filler prose; authors; primary and
 * cross-list categories; new/cross/replace) and subscribers with 3-8 topics
 * of 3-10 keywords, some followed authors, exclusions, require terms,
 * weights, categories and announce types; one subscriber in ten (1,000 of
 * 10,000) also has a model learned (learn.h) from 15 up-votes and 15
 * down-votes on the listing's papers (trained before the clock starts).
 * Then it times:
 *
 *  - the engine: score_index_build over every subscriber (compiling the
 *    matcher and matching the listing once), score_index_set_model for the
 *    subscribers with models (the first builds the day's features), plus
 *    score_relevance for every subscriber, i.e. every (subscriber, paper)
 *    to its final relevance;
 *  - the baseline: for each subscriber, for each paper, for each term,
 *    strstr in the normalized text (bench/score_naive.h), on a sample of
 *    subscribers without models, extrapolated linearly to all of them
 *    (said so);
 *
 * asserts both give the same relevance for every (subscriber, paper) of the
 * sample, and prints the times, the ratio and the peak RSS.
 *
 * Design decision: the papers' normalized text is prepared once for the
 * baseline outside its timing, so the ratio compares matching strategies,
 * not tokenizing; the engine's time includes its own tokenizing.
 *
 * With -c N, one subscriber in N also writes criteria (free text built
 * from its topics): the day's latent space is built and every such text
 * scored (BM25 and latent closeness) as well.
 *
 * Usage: score_bench [-s SUBSCRIBERS] [-p PAPERS] [-b SAMPLE] [-r SEED]
 *        [-c CRITERIA_EVERY]
 * Exit status: 0, 1 when the results differ, 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "learn.h"
#include "listing.h"
#include "score.h"
#include "subs.h"
#include "xalloc.h"
#include "score_naive.h"
#include "banned.h"

/* Targets of issues 6 and 12 for 10,000 subscribers x 2,000 papers, 1,000
 * of them with learned models. */
#define TARGET_SECONDS 2.0
#define TARGET_RATIO 50.0
#define TARGET_MIB 300.0
/* One subscriber in this many has a learned model. */
#define MODEL_EVERY 10
/* Votes each model is trained on: up, then down. */
#define MODEL_UP 15
#define MODEL_DOWN 15

/* Terms by field: a paper is mostly about one field, a topic too. */
static const char *const fields[][16] = {
	{ "mixture of experts", "MoE", "expert routing", "sparse experts",
	  "gating network", "load balancing", "conditional computation",
	  "router", "top-k routing", "expert parallelism", NULL },
	{ "transformer", "self-attention", "attention head",
	  "positional encoding", "rotary embedding", "linear attention",
	  "state space model", "Mamba", "long context", "KV cache",
	  "flash attention", "sliding window attention", NULL },
	{ "quantization", "pruning", "low-rank", "LoRA", "knowledge distillation",
	  "sparsity", "model compression", "post-training quantization",
	  "structured pruning", "weight sharing", "mixed precision",
	  "binarization", NULL },
	{ "distributed training", "pipeline parallelism", "data parallelism",
	  "tensor parallelism", "gradient checkpointing", "memory optimization",
	  "ZeRO", "communication overhead", "large-scale training",
	  "high performance computing", "GPU kernel", NULL },
	{ "representation learning", "contrastive learning",
	  "self-supervised learning", "dictionary learning",
	  "sparse autoencoder", "feature learning", "linear probe",
	  "mechanistic interpretability", "superposition",
	  "training dynamics", "grokking", "neural collapse", NULL },
	{ "reinforcement learning", "policy gradient", "reward model",
	  "RLHF", "offline reinforcement learning", "Q-learning",
	  "actor-critic", "exploration", "multi-agent reinforcement learning",
	  "PPO", "preference optimization", "DPO", NULL },
	{ "diffusion model", "score matching", "denoising", "flow matching",
	  "latent diffusion", "text-to-image", "classifier-free guidance",
	  "consistency model", "image generation", "video generation",
	  NULL },
	{ "large language model", "LLM", "instruction tuning",
	  "chain-of-thought", "in-context learning", "reasoning",
	  "hallucination", "retrieval-augmented generation", "tool use",
	  "prompt engineering", "alignment", "jailbreak", NULL },
	{ "graph neural network", "message passing", "node classification",
	  "link prediction", "graph transformer", "knowledge graph",
	  "molecular property prediction", "equivariance", "point cloud",
	  NULL },
	{ "Bayesian inference", "variational inference",
	  "Gaussian process", "uncertainty quantification",
	  "conformal prediction", "calibration", "Monte Carlo",
	  "causal inference", "out-of-distribution detection", NULL },
	{ "federated learning", "differential privacy", "membership inference",
	  "adversarial robustness", "adversarial examples", "backdoor attack",
	  "machine unlearning", "fairness", "data poisoning", NULL },
	{ "time series", "forecasting", "anomaly detection",
	  "spatio-temporal modeling", "traffic prediction", "weather forecasting",
	  "signal processing", "speech recognition", "audio generation",
	  NULL },
	{ "image segmentation", "object detection", "medical imaging",
	  "vision transformer", "3D reconstruction", "neural radiance field",
	  "video understanding", "vision-language model", "CLIP", NULL },
	{ "convex optimization", "stochastic gradient descent",
	  "convergence rate", "generalization bound", "implicit bias",
	  "overparameterization", "neural tangent kernel", "Adam",
	  "learning rate schedule", "loss landscape", NULL },
	{ "recommendation systems", "information retrieval",
	  "dense retrieval", "reranking", "click-through rate",
	  "collaborative filtering", "search engine", "query expansion",
	  NULL },
	{ "machine translation", "summarization", "named entity recognition",
	  "question answering", "multilingual", "low-resource languages",
	  "tokenization", "speech translation", NULL },
	{ "robot learning", "imitation learning", "motion planning",
	  "sim-to-real", "manipulation", "embodied agent", "world model",
	  "visuomotor policy", NULL },
	{ "physics-informed neural network", "neural operator",
	  "partial differential equation", "surrogate model",
	  "fluid dynamics", "molecular dynamics", "climate model", NULL },
	{ "continual learning", "catastrophic forgetting", "meta-learning",
	  "few-shot learning", "domain adaptation", "test-time adaptation",
	  "transfer learning", "curriculum learning", NULL },
	{ "code generation", "program synthesis", "code LLM",
	  "software engineering", "unit test generation", "bug repair",
	  "formal verification", "theorem proving", NULL },
	{ "neural architecture search", "hyperparameter optimization",
	  "AutoML", "Bayesian optimization", "scaling law",
	  "compute-optimal training", "data selection", "data curation",
	  NULL },
	{ "tabular data", "gradient boosting", "decision tree",
	  "feature selection", "missing data", "imputation",
	  "clustering", "dimensionality reduction", NULL },
	{ "multimodal learning", "image captioning",
	  "visual question answering", "audio-visual", "text-to-speech",
	  "speech synthesis", "cross-modal retrieval", NULL },
	{ "spiking neural network", "neuromorphic computing",
	  "energy-based model", "Hopfield network", "predictive coding",
	  "biologically plausible learning", "Hebbian learning", NULL },
	{ "quantum machine learning", "variational quantum circuit",
	  "tensor network", "quantum kernel", "barren plateau", NULL },
	{ "optimal transport", "Wasserstein distance", "kernel methods",
	  "random features", "manifold learning", "topological data analysis",
	  "persistent homology", NULL },
};
/* A paper term is often qualified ("sparse transformer"): a profile that
 * names the qualified term is more specific than one naming the term. */
static const char *const modifiers[] = {
	"efficient", "sparse", "hierarchical", "adaptive", "multi-scale",
	"causal", "robust", "decentralized", "structured", "dynamic",
	"scalable", "low-precision", "Bayesian", "contrastive", "graph-based",
	"multi-task", "private", "interpretable", "lightweight", "recurrent",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const filler[] = {
	"we", "propose", "a", "novel", "method", "for", "the", "of", "and",
	"in", "to", "show", "that", "our", "approach", "results", "on",
	"benchmarks", "this", "paper", "study", "analysis", "improves",
	"performance", "existing", "methods", "is", "are", "with", "by",
	"framework", "experiments", "demonstrate", "state-of-the-art",
	"efficient", "scalable", "simple", "effective", "theoretical",
	"empirical", "evaluation", "datasets", "tasks", "models", "which",
	"can", "be", "used", "under", "setting", "while", "however",
	"significantly", "outperforms", "baselines", "across", "several",
	"code", "available", "problem", "new", "based", "learning", "data",
	"training", "network", "networks", "neural", "deep", "large",
	"small", "robust", "fast", "accurate", "general", "insights",
	"into", "how", "why", "when", "Moeller", "Gödel", "Schrödinger",
	"naïve", "Poincaré", "Erdős", "from", "at", "an", "its", "their",
	"these", "both", "also", "further", "finally", "first", "second",
	"regime", "limit", "bound", "error", "rate", "cost", "budget",
	"accuracy", "latency", "throughput", "memory", "compute", "scale",
};
#define NFILLER (sizeof(filler) / sizeof(filler[0]))

static const char *const first_names[] = {
	"Yoshua", "Ana", "Wei", "Li", "Maria", "José", "Jürgen", "Marcel",
	"Fatima", "Kenji", "Olga", "Pierre", "Chen", "Priya", "Samuel",
	"Hannah", "Ivan", "Zhang", "Amir", "Sofia", "Tomás", "Yuki", "Omar",
	"Elena", "David", "Sara", "Lucas", "Mei", "Arjun", "Nina",
};
static const char *const last_names[] = {
	"Bengio", "Garcia", "Wang", "Liu", "Schmidt", "Rød", "Tanaka",
	"Petrova", "Dubois", "Chen", "Sharma", "Cohen", "Ivanov", "Zhang",
	"Haddad", "Rossi", "Novak", "Kim", "Müller", "Silva", "Nakamura",
	"Okafor", "Larsen", "Khan", "Lopez", "Andersson", "Moreau", "Park",
	"Singh", "Nguyen", "Hoffmann", "Costa", "Yamamoto", "Ali", "Berg",
	"Fischer", "Kowalski", "Santos", "Weber", "Suzuki",
};
static const char *const categories[] = {
	"cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.NE", "cs.DC",
	"cs.IR", "math.OC", "eess.SP",
};
static const char *const announce[] = { "new", "cross", "replace" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return (size_t)(rnd() % n);
}

static size_t field_len(size_t f)
{
	size_t n = 0;

	while (n < 16 && fields[f][n])
		n++;
	return n;
}

static const char *term_of(size_t f)
{
	return fields[f][below(field_len(f))];
}

/* A term, qualified by a modifier 4 times in 10. */
static void add_term(struct buf *b, size_t f)
{
	if (below(10) < 4)
		buf_addf(b, "%s ", modifiers[below(N(modifiers))]);
	buf_addstr(b, term_of(f));
}

/* A term as a paper writes it: hyphenated, plural or capitalized. */
static void add_variant(struct buf *b, const char *term);

/* A (qualified) term of field f as a paper writes it. */
static void add_paper_term(struct buf *b, size_t f)
{
	struct buf t = BUF_INIT;

	add_term(&t, f);
	add_variant(b, buf_str(&t));
	buf_release(&t);
}

static void add_variant(struct buf *b, const char *term)
{
	size_t i, len = strlen(term);
	int style = (int)below(6);

	for (i = 0; i < len; i++) {
		char c = term[i];
		if (style == 0 && c == ' ')
			c = '-';
		if (style == 1 && (i == 0 || term[i - 1] == ' ') && c >= 'a' &&
		    c <= 'z')
			c = (char)(c - 'a' + 'A');
		buf_addch(b, c);
	}
	if (style == 2 && term[len - 1] >= 'a' && term[len - 1] <= 'z')
		buf_addch(b, 's');
}

static void gen_paper(struct listing *l, size_t i)
{
	struct paper p;
	struct buf t = BUF_INIT, a = BUF_INIT, id = BUF_INIT;
	size_t f = below(NFIELDS), k, n, words;

	memset(&p, 0, sizeof(p));
	buf_addf(&id, "2512.%05zu", i + 1);
	p.id = buf_detach(&id, NULL);
	p.version = 1;
	n = 1 + below(3);
	for (k = 0; k < 4 + n; k++) {
		if (k)
			buf_addch(&t, ' ');
		if (k % 3 == 1 && n--)
			add_paper_term(&t, below(5) ? f : below(NFIELDS));
		else
			buf_addstr(&t, filler[below(NFILLER)]);
	}
	p.title = buf_detach(&t, NULL);
	words = 120 + below(100);
	for (k = 0; k < words; k++) {
		if (k)
			buf_addstr(&a, k % 17 ? " " : ". ");
		if (!below(30))
			add_paper_term(&a, below(4) ? f : below(NFIELDS));
		else if (!below(60))
			buf_addstr(&a, "$O(n^2)$");
		else
			buf_addstr(&a, filler[below(NFILLER)]);
	}
	buf_addch(&a, '.');
	p.abstract = buf_detach(&a, NULL);
	n = 2 + below(7);
	for (k = 0; k < n; k++) {
		struct buf name = BUF_INIT;
		buf_addf(&name, "%s %s", first_names[below(N(first_names))],
			 last_names[below(N(last_names))]);
		strv_push_owned(&p.authors, buf_detach(&name, NULL));
	}
	strv_push(&p.categories, categories[below(N(categories))]);
	for (k = below(3); k > 0; k--) {
		const char *c = categories[below(N(categories))];
		if (!strv_contains(&p.categories, c))
			strv_push(&p.categories, c);
	}
	k = below(10);
	p.announce = listing_announce_parse(announce[k < 7 ? 0 : k < 9 ? 1
								       : 2]);
	if (listing_add(l, &p) != 0) {
		fprintf(stderr, "score_bench: could not add paper %zu\n", i);
		exit(2);
	}
}

/* -c: one subscriber in this many writes criteria (0: none). */
static size_t criteria_every;

static void gen_subscriber(struct subscriber *s, size_t i)
{
	struct buf b = BUF_INIT;
	size_t t, k, n;

	memset(s, 0, sizeof(*s));
	buf_addf(&b, "sub%05zu", i);
	s->id = buf_detach(&b, NULL);
	s->path = xstrdup(s->id);
	s->name = xstrdup("");
	buf_addf(&b, "sub%05zu@example.org", i);
	s->email = buf_detach(&b, NULL);
	s->criteria = xstrdup("");
	s->min_relevance = 5;
	s->max_papers = 30;
	s->ntopics = 3 + below(6);
	s->topics = xcalloc(s->ntopics, sizeof(*s->topics));
	for (t = 0; t < s->ntopics; t++) {
		struct subs_topic *tp = &s->topics[t];
		size_t f = below(NFIELDS);

		buf_addf(&b, "Topic %zu", t + 1);
		tp->name = buf_detach(&b, NULL);
		tp->weight = below(5) ? 1.0 : 0.5 * (double)(1 + below(4));
		n = 3 + below(8);
		for (k = 0; k < n; k++) {
			if (below(2))
				add_term(&b, below(5) ? f : below(NFIELDS));
			else
				buf_addstr(&b, term_of(below(5) ? f
							       : below(NFIELDS)));
			strv_push_owned(&tp->keywords, buf_detach(&b, NULL));
		}
		if (!below(10))
			strv_push(&tp->require, term_of(f));
		if (!below(10))
			strv_push(&tp->exclude, term_of(below(NFIELDS)));
	}
	for (k = below(4) ? 0 : 1 + below(3); k > 0; k--) {
		const char *first = first_names[below(N(first_names))];
		const char *last = last_names[below(N(last_names))];
		size_t form = below(3);
		if (form == 0)
			buf_addf(&b, "%s %s", first, last);
		else if (form == 1)
			buf_addf(&b, "%.1s. %s", first, last);
		else
			buf_addf(&b, "%s, %s", last, first);
		strv_push_owned(&s->authors, buf_detach(&b, NULL));
	}
	for (k = below(2) ? 1 + below(3) : 0; k > 0; k--)
		strv_push(&s->exclude, term_of(below(NFIELDS)));
	if (!below(4)) {
		strv_push(&s->categories, categories[below(N(categories))]);
		s->primary_only = !below(3);
	}
	if (!below(10))
		strv_push(&s->announce_types, "new");
	if (criteria_every && i % criteria_every == 0) {
		/* What they want in words (criteria): the day's latent
		 * space is then built and each text folded. */
		free(s->criteria);
		buf_addstr(&b, "Research on ");
		for (t = 0; t < s->ntopics; t++)
			buf_addf(&b, "%s%s", t ? ", " : "",
				 s->topics[t].keywords.v[0]);
		buf_addstr(&b, "; new methods and analysis, not "
			       "applications.");
		s->criteria = buf_detach(&b, NULL);
	}
	buf_release(&b);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared machine, what the wall time
 * would be without the other load. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* Trains s's model from its own 15 best papers (up) and 15 random others
 * (down), as if it had voted on them. */
static struct learn_model *train_model(const struct score_index *idx,
				       const struct listing *l,
				       const struct subscriber *s)
{
	struct learn_example ex[MODEL_UP + MODEL_DOWN];
	struct errbuf eb = ERRBUF_INIT;
	const struct score_rel *r;
	size_t n, i, k = 0, best;
	unsigned char *used = xcalloc(l->n, 1);
	struct learn_model *m;

	r = score_relevance(idx, s, &n);
	while (k < MODEL_UP && k < n) {
		best = n;
		for (i = 0; i < n; i++)
			if (!used[r[i].paper] &&
			    (best == n || r[i].relevance > r[best].relevance))
				best = i;
		if (best == n)
			break;
		used[r[best].paper] = 1;
		ex[k].id = l->papers[r[best].paper].id;
		ex[k].title = l->papers[r[best].paper].title;
		ex[k].abstract = l->papers[r[best].paper].abstract;
		ex[k].authors = ex[k].categories = "";
		ex[k].date = "2025-12-01";
		ex[k++].up = 1;
	}
	while (k < MODEL_UP + MODEL_DOWN) {
		size_t p = below(l->n);
		if (used[p])
			continue;
		used[p] = 1;
		ex[k].id = l->papers[p].id;
		ex[k].title = l->papers[p].title;
		ex[k].abstract = l->papers[p].abstract;
		ex[k].authors = ex[k].categories = "";
		ex[k].date = "2025-12-01";
		ex[k++].up = 0;
	}
	free(used);
	m = learn_train(ex, k, NULL, 0, 0, &eb);
	if (!m) {
		fprintf(stderr, "score_bench: training %s: %s\n", s->id,
			eb.msg);
		exit(2);
	}
	return m;
}

static void usage(void)
{
	fprintf(stderr, "usage: score_bench [-s SUBSCRIBERS] [-p PAPERS] "
			"[-b BASELINE_SAMPLE] [-r SEED] [-c CRITERIA_EVERY]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t nsubs = 10000, npapers = 2000, sample = 100, i, j, pairs = 0;
	size_t nmodels = 0, weights = 0;
	struct learn_model **models;
	double t_train, t_models = 0;
	size_t mismatches = 0, checked = 0, step;
	struct strv list_types = STRV_INIT;
	struct subs_list subs;
	struct listing l;
	struct score_index *idx;
	struct naive_paper *text;
	unsigned long long seed = 6;
	double c0, c_engine, t0, t_engine, t_build, t_base, base_all, ratio, mib_engine;
	int *row, *wanted, opt;
	double *exact;

	while ((opt = getopt(argc, argv, "s:p:b:r:c:h")) != -1) {
		switch (opt) {
		case 'c':
			criteria_every = strtoul(optarg, NULL, 10);
			break;
		case 's':
			nsubs = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			npapers = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			sample = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			seed = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (!nsubs || !npapers || !sample || npapers > LISTING_MAX_PAPERS)
		usage();
	if (sample > nsubs)
		sample = nsubs;
	rng_state = seed;

	listing_init(&l);
	for (i = 0; i < npapers; i++)
		gen_paper(&l, i);
	memset(&subs, 0, sizeof(subs));
	subs.v = xcalloc(nsubs, sizeof(*subs.v));
	subs.n = subs.alloc = nsubs;
	for (i = 0; i < nsubs; i++)
		gen_subscriber(&subs.v[i], i);
	strv_push(&list_types, "new");
	strv_push(&list_types, "cross");
	printf("score bench: %zu subscribers x %zu papers (seed %llu), one "
	       "in %d with a learned model",
	       nsubs, npapers, seed, MODEL_EVERY);
	if (criteria_every)
		printf(", one in %zu with criteria text", criteria_every);
	printf("\n");

	/* The models, trained before the clock starts (a run loads them). */
	models = xcalloc(nsubs, sizeof(*models));
	t0 = now();
	idx = score_index_build(&l, &list_types, &subs);
	for (i = MODEL_EVERY / 2; i < nsubs; i += MODEL_EVERY) {
		models[i] = train_model(idx, &l, &subs.v[i]);
		nmodels++;
	}
	score_index_free(idx);
	t_train = now() - t0;

	/* The engine: compile, match once, score everyone. */
	t0 = now();
	c0 = cpu_now();
	idx = score_index_build(&l, &list_types, &subs);
	for (i = 0; i < nsubs; i++)
		if (models[i])
			score_index_set_model(idx, &subs.v[i], models[i]);
	t_build = now() - t0;
	for (i = 0; i < nsubs; i++) {
		size_t n;
		double t1 = now();

		score_relevance(idx, &subs.v[i], &n);
		pairs += n;
		if (models[i])
			t_models += now() - t1;
	}
	t_engine = now() - t0;
	c_engine = cpu_now() - c0;
	mib_engine = peak_mib();

	/* The baseline on every step-th subscriber (none has a model). */
	step = nsubs / sample;
	if (step % MODEL_EVERY == MODEL_EVERY / 2)
		step++;
	text = xcalloc(npapers, sizeof(*text));
	for (j = 0; j < npapers; j++)
		naive_paper_init(&text[j], &l.papers[j]);
	row = xcalloc(npapers * sample, sizeof(*row));
	wanted = xcalloc(npapers, sizeof(*wanted));
	exact = xcalloc(npapers * sample, sizeof(*exact));
	for (j = 0; j < npapers; j++) {
		const struct paper *p = &l.papers[j];
		wanted[j] = p->announce == LISTING_ANNOUNCE_UNKNOWN ||
			    strv_contains(&list_types,
					  listing_announce_name(p->announce));
	}
	t0 = now();
	for (i = 0; i < sample && i * step < nsubs; i++) {
		struct naive_profile np;

		naive_profile_init(&np, &subs.v[i * step]);
		naive_relevance_day(&np, l.papers, text, npapers, wanted,
				    &row[i * npapers], &exact[i * npapers]);
		naive_profile_release(&np);
	}
	t_base = now() - t0;
	base_all = t_base * (double)nsubs / (double)sample;

	/* The same relevance for every (subscriber, paper) of the sample. */
	for (i = 0; i < sample && i * step < nsubs; i++) {
		const struct subscriber *s = &subs.v[i * step];
		int *mine = xcalloc(npapers, sizeof(*mine));
		const struct score_rel *r;
		size_t n;

		r = score_relevance(idx, s, &n);
		for (j = 0; j < n; j++)
			mine[r[j].paper] = r[j].relevance;
		for (j = 0; j < npapers; j++, checked++) {
			if (mine[j] == row[i * npapers + j] ||
			    naive_near_half(exact[i * npapers + j]))
				continue;
			if (mismatches++ < 10)
				fprintf(stderr, "MISMATCH %s %s: engine %d, "
						"baseline %d\n", s->id,
					l.papers[j].id, mine[j],
					row[i * npapers + j]);
		}
		free(mine);
	}

	ratio = base_all / t_engine;
	for (i = 0; i < nsubs; i++)
		if (models[i])
			weights += learn_model_weights(models[i]);
	printf("models: %zu trained in %.1f s (not timed below), %zu weights "
	       "kept (%.0f per model)\n",
	       nmodels, t_train, weights,
	       nmodels ? (double)weights / (double)nmodels : 0.0);
	printf("engine: %.3f s wall, %.3f s CPU (matcher, one pass over "
	       "the listing and the day's features %.3f s, scoring %zu "
	       "subscribers %.3f s, of which the %zu with models %.3f s); "
	       "%zu (subscriber, paper) pairs of %zu with relevance > 0\n",
	       t_engine, c_engine, t_build, nsubs, t_engine - t_build,
	       nmodels, t_models, pairs, nsubs * npapers);
	printf("baseline: %.3f s for %zu subscribers (every %zu-th), "
	       "extrapolated linearly to %zu: %.1f s\n",
	       t_base, sample, step, nsubs, base_all);
	printf("same relevance for all %zu (subscriber, paper) pairs of "
	       "the sample: %s\n", checked,
	       mismatches ? "NO" : "yes");
	printf("peak memory: %.1f MiB after the engine, %.1f MiB at the end "
	       "(ru_maxrss)\n", mib_engine, peak_mib());
	printf("score: engine %.3f s (target < %.0f s: %s), ratio %.0fx "
	       "(target >= %.0fx: %s), peak %.1f MiB (target < %.0f MiB: "
	       "%s)\n",
	       t_engine, TARGET_SECONDS,
	       t_engine < TARGET_SECONDS ? "met" : "NOT met", ratio,
	       TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "NOT met",
	       peak_mib(), TARGET_MIB,
	       peak_mib() < TARGET_MIB ? "met" : "NOT met");

	for (j = 0; j < npapers; j++)
		naive_paper_release(&text[j]);
	free(text);
	free(row);
	free(wanted);
	free(exact);
	for (i = 0; i < nsubs; i++)
		learn_model_free(models[i]);
	free(models);
	score_index_free(idx);
	subs_list_release(&subs);
	listing_release(&l);
	strv_release(&list_types);
	return mismatches ? 1 : 0;
}
