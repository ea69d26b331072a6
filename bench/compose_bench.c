/*
 * compose_bench: `make bench-compose`, the composing benchmark of issue 16.
 *
 * Composes N digests (default 1,000) of the sample day
 * (sample/arxiv-2025-12-30.xml) for the example profiles (subscribers/)
 * cycled, each into a complete MIME message, two ways:
 *
 *  - plain: render_digest() (the HTML re-rendered to meet the budget),
 *    then mime_build() encoding both parts;
 *  - day: render_digest_day() from the day's prepared cards
 *    (render_day_new(), built once and timed apart), then mime_build()
 *    with the parts already encoded;
 *
 * both including scoring and selecting (score_subscriber, digest_build),
 * and prints the CPU time per digest of each, the speed-up, the day's
 * preparation, and the mean message size. It checks that both give the
 * same parts for every profile before timing.
 *
 * Design decision: CPU time (clock_gettime CLOCK_PROCESS_CPUTIME_ID) of
 * one thread, so the figure does not depend on what else the machine runs.
 *
 * Usage: compose_bench [-n DIGESTS] (run from the top of the tree)
 * Exit status: 0, 1 when the two paths differ or fail, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "arxiv.h"
#include "conf.h"
#include "digest.h"
#include "mime.h"
#include "render.h"
#include "score.h"
#include "subs.h"
#include "banned.h"

/* Issue 16's aim for composing one digest. */
#define TARGET_MS 0.5
/* Large enough for any digest message (CMD_MAX_MESSAGE's order). */
#define MAX_MESSAGE ((size_t)16 << 20)

static const char unsub[] = "https://digest.example.org/unsubscribe/"
			    "c2FtcGxlLXRva2VuLWZvci10aGUtYmVuY2g";
static const char archive[] = "https://digest.example.org/archive/2025-12/"
			      "2025-12-30.html";

struct bench {
	struct conf conf;
	struct listing listing;
	struct subs_list subs;
	struct score_index *idx;
	struct render_templates t;
	struct render_day *day;
};

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void message_init(struct mime_message *m, const struct subscriber *s,
			 const char *subject)
{
	memset(m, 0, sizeof(*m));
	m->from_display = "Paperboy";
	m->from_addr = "digest@example.org";
	m->to_display = s->name[0] ? s->name : NULL;
	m->to_addr = s->email;
	m->subject = subject;
	m->date = time(NULL);
	m->list_id = "Daily arXiv digest <digest.example.org>";
	m->extra[m->nextra].name = "List-Unsubscribe";
	m->extra[m->nextra++].value = "<https://digest.example.org/u>";
}

/* One digest the plain way; *size gets the message's size. */
static int compose_plain(struct bench *b, const struct subscriber *s,
			 struct buf *html, struct buf *text, struct buf *msg,
			 struct errbuf *eb)
{
	struct render_opts o = { unsub, archive, RENDER_HTML_BUDGET, NULL };
	struct score_result r;
	struct mime_message m;
	struct digest d;
	char *subject = NULL;
	int ret;

	score_subscriber(b->idx, s, &r);
	digest_build(s, &b->listing, &r, "2025-12-30", &d);
	buf_reset(html);
	buf_reset(text);
	buf_reset(msg);
	ret = render_digest(&b->t, &b->conf, &d, &o, html, text, &subject,
			    eb);
	if (!ret) {
		message_init(&m, s, subject);
		m.text = buf_str(text);
		m.text_len = text->len;
		m.html = buf_str(html);
		m.html_len = html->len;
		ret = mime_build(&m, msg, eb);
	}
	free(subject);
	digest_release(&d);
	score_result_release(&r);
	return ret;
}

static int compose_day(struct bench *b, const struct subscriber *s,
		       struct render_parts *parts, struct buf *msg,
		       struct errbuf *eb)
{
	struct render_opts o = { unsub, archive, RENDER_HTML_BUDGET, NULL };
	struct score_result r;
	struct mime_message m;
	struct digest d;
	int ret;

	score_subscriber(b->idx, s, &r);
	digest_build(s, &b->listing, &r, "2025-12-30", &d);
	buf_reset(msg);
	render_parts_release(parts);
	render_parts_init(parts);
	ret = render_digest_day(b->day, &d, &o, 0, parts, eb);
	if (!ret) {
		message_init(&m, s, parts->subject);
		m.text_qp = &parts->text_qp;
		m.html_qp = &parts->html_qp;
		ret = mime_build(&m, msg, eb);
	}
	digest_release(&d);
	score_result_release(&r);
	return ret;
}

/* Both ways give the same encoded parts for every profile. */
static int check_same(struct bench *b, struct errbuf *eb)
{
	struct buf html = BUF_INIT, text = BUF_INIT, msg = BUF_INIT;
	struct buf qp = BUF_INIT;
	struct render_parts parts;
	size_t i;
	int ret = 0;

	render_parts_init(&parts);
	for (i = 0; i < b->subs.n && !ret; i++) {
		if (compose_plain(b, &b->subs.v[i], &html, &text, &msg, eb) < 0 ||
		    compose_day(b, &b->subs.v[i], &parts, &msg, eb) < 0) {
			ret = -1;
			break;
		}
		buf_reset(&qp);
		mime_qp_encode(buf_str(&html), html.len, &qp);
		if (qp.len != parts.html_qp.len ||
		    memcmp(buf_str(&qp), buf_str(&parts.html_qp), qp.len))
			ret = errbuf_set(eb, "%s: the HTML parts differ",
					 b->subs.v[i].id);
		buf_reset(&qp);
		mime_qp_encode(buf_str(&text), text.len, &qp);
		if (qp.len != parts.text_qp.len ||
		    memcmp(buf_str(&qp), buf_str(&parts.text_qp), qp.len))
			ret = errbuf_set(eb, "%s: the text parts differ",
					 b->subs.v[i].id);
	}
	render_parts_release(&parts);
	buf_release(&html);
	buf_release(&text);
	buf_release(&msg);
	buf_release(&qp);
	return ret;
}

int main(int argc, char **argv)
{
	struct errbuf eb = ERRBUF_INIT;
	struct strv errors = STRV_INIT;
	struct buf html = BUF_INIT, text = BUF_INIT, msg;
	struct render_parts parts;
	struct bench b;
	size_t n = 1000, i, bytes = 0;
	double t0, plain_ms, day_ms, prep_ms;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n' && strtol(optarg, NULL, 10) > 0) {
			n = (size_t)strtol(optarg, NULL, 10);
		} else {
			fprintf(stderr, "usage: compose_bench [-n DIGESTS]\n");
			return 2;
		}
	}
	memset(&b, 0, sizeof(b));
	listing_init(&b.listing);
	buf_init(&msg, MAX_MESSAGE);
	if (conf_load("paperboy.cfg", &b.conf, &eb) < 0 ||
	    arxiv_parse_file("sample/arxiv-2025-12-30.xml", &b.listing,
			     &eb) < 0 ||
	    subs_load_dir("subscribers", &b.subs, &errors, &eb) < 0 ||
	    render_load(&b.conf, &b.t, &eb) < 0) {
		fprintf(stderr, "compose_bench: %s\n", eb.msg);
		return 1;
	}
	if (!b.subs.n) {
		fprintf(stderr, "compose_bench: no profiles in subscribers/\n");
		return 1;
	}
	b.idx = score_index_build(&b.listing, &b.conf.announce_types, &b.subs);

	t0 = cpu_ms();
	if (render_day_new(&b.t, &b.conf, &b.listing, &b.day, &eb) < 0) {
		fprintf(stderr, "compose_bench: %s\n", eb.msg);
		return 1;
	}
	prep_ms = cpu_ms() - t0;
	if (check_same(&b, &eb) < 0) {
		fprintf(stderr, "compose_bench: %s\n", eb.msg);
		return 1;
	}

	t0 = cpu_ms();
	for (i = 0; i < n; i++) {
		if (compose_plain(&b, &b.subs.v[i % b.subs.n], &html, &text,
				  &msg, &eb) < 0) {
			fprintf(stderr, "compose_bench: %s\n", eb.msg);
			return 1;
		}
	}
	plain_ms = cpu_ms() - t0;

	render_parts_init(&parts);
	t0 = cpu_ms();
	for (i = 0; i < n; i++) {
		if (compose_day(&b, &b.subs.v[i % b.subs.n], &parts, &msg,
				&eb) < 0) {
			fprintf(stderr, "compose_bench: %s\n", eb.msg);
			return 1;
		}
		bytes += msg.len;
	}
	day_ms = cpu_ms() - t0;

	printf("compose: %zu digests of the sample day (%zu papers), "
	       "%zu profiles cycled, mean message %.1f KB\n",
	       n, b.listing.n, b.subs.n, (double)bytes / (double)n / 1000.0);
	printf("  plain (render_digest + mime_build): %.3f ms CPU per digest\n",
	       plain_ms / (double)n);
	printf("  day   (render_digest_day + mime_build): %.3f ms CPU per "
	       "digest (aim < %.1f), after %.1f ms preparing the day\n",
	       day_ms / (double)n, TARGET_MS, prep_ms);
	printf("  speed-up: %.1fx\n", plain_ms / day_ms);

	render_parts_release(&parts);
	buf_release(&html);
	buf_release(&text);
	buf_release(&msg);
	strv_release(&errors);
	render_day_free(b.day);
	render_release(&b.t);
	score_index_free(b.idx);
	subs_list_release(&b.subs);
	listing_release(&b.listing);
	conf_release(&b.conf);
	return 0;
}
