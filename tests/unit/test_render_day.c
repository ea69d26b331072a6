/*
 * Unit tests for the day's fragments (render_day_new, render_digest_day):
 * for the same inputs they give byte for byte what the plain path gives
 * (render_digest, then mime_qp_encode as mime_build does), encoded and
 * decoded, budget plan included: over the sample day and every example
 * subscriber, and over made-up papers with long lines, non-ASCII text,
 * '=' and blanks at the ends of fragments, lines starting with "From " or
 * '.', followed authors, and digests the budget cuts. The encoded parts
 * are also checked as a reader would: lines of at most 76 characters
 * and decoding back to the rendered text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arxiv.h"
#include "conf.h"
#include "digest.h"
#include "mime.h"
#include "render.h"
#include "score.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

struct day {
	struct conf conf;
	struct listing listing;
	struct subs_list subs;
	struct score_index *idx;
	struct render_templates t;
	struct render_day *rd;
};

/* Every line of a quoted-printable body: CRLF ended, at most 76
 * characters, and it decodes to want (LF line ends). */
static void assert_encoded(const struct buf *enc, const struct buf *want)
{
	const char *p = buf_str(enc), *end = p + enc->len;
	struct buf dec = BUF_INIT, crlf = BUF_INIT;
	size_t i;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (nl) {
			assert_true(n > 0 && p[n - 1] == '\r');
			n--;
		}
		assert_true(n <= 76);
		assert_true(n < MIME_MAX_LINE);
		if (!nl)
			break;
		p = nl + 1;
	}
	assert_int_equal(mime_qp_decode(buf_str(enc), enc->len, &dec), 0);
	for (i = 0; i < want->len; i++) {
		if (want->data[i] == '\n')
			buf_addch(&crlf, '\r');
		buf_addch(&crlf, want->data[i]);
	}
	assert_int_equal(dec.len, crlf.len);
	assert_memory_equal(buf_str(&dec), buf_str(&crlf), crlf.len);
	buf_release(&dec);
	buf_release(&crlf);
}

static void assert_same(const struct buf *a, const struct buf *b)
{
	if (a->len != b->len || memcmp(buf_str(a), buf_str(b), a->len)) {
		size_t i = 0;

		while (i < a->len && i < b->len && a->data[i] == b->data[i])
			i++;
		print_error("differ at byte %zu of %zu/%zu: \"%.60s\" vs "
			    "\"%.60s\"\n", i, a->len, b->len, buf_str(a) + i,
			    buf_str(b) + i);
		fail();
	}
}

/* Renders d both ways with o and checks they agree. Returns how many
 * cards the HTML part holds. */
static size_t compare(const struct day *day, const struct digest *d,
		      const struct render_opts *o)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf html, text, html_qp = BUF_INIT, text_qp = BUF_INIT;
	struct render_parts parts;
	char *subject = NULL;
	const char *p;
	size_t cards = 0;

	buf_init(&html, RENDER_MAX_BODY);
	buf_init(&text, RENDER_MAX_BODY);
	if (render_digest(&day->t, &day->conf, d, o, &html, &text, &subject,
			  &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_int_equal(mime_qp_encode(buf_str(&html), html.len, &html_qp),
			 0);
	assert_int_equal(mime_qp_encode(buf_str(&text), text.len, &text_qp),
			 0);

	render_parts_init(&parts);
	if (render_digest_day(day->rd, d, o, 1, &parts, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_string_equal(parts.subject, subject);
	assert_same(&parts.html, &html);
	assert_same(&parts.text, &text);
	assert_same(&parts.html_qp, &html_qp);
	assert_same(&parts.text_qp, &text_qp);
	assert_encoded(&parts.html_qp, &parts.html);
	assert_encoded(&parts.text_qp, &parts.text);

	/* Without the decoded parts, the same encoded ones. */
	render_parts_release(&parts);
	render_parts_init(&parts);
	assert_int_equal(render_digest_day(day->rd, d, o, 0, &parts, &eb), 0);
	assert_same(&parts.html_qp, &html_qp);
	assert_same(&parts.text_qp, &text_qp);
	assert_int_equal(parts.html.len, 0);

	for (p = buf_str(&html); (p = strstr(p, "<tr><td id=\"p")); p++)
		cards++;
	/* Over the budget only when not even one card fits. */
	if (o->html_budget && html_qp.len > o->html_budget)
		assert_int_equal(cards, 0);
	render_parts_release(&parts);
	buf_release(&html);
	buf_release(&text);
	buf_release(&html_qp);
	buf_release(&text_qp);
	free(subject);
	return cards;
}

/* The whole message from both paths is the same but for its boundary. */
static void compare_message(const struct day *day, const struct digest *d,
			    const struct render_opts *o)
{
	struct errbuf eb = ERRBUF_INIT;
	struct buf html = BUF_INIT, text = BUF_INIT;
	struct buf m1 = BUF_INIT, m2 = BUF_INIT;
	struct render_parts parts;
	struct mime_message msg;
	char *subject = NULL, *b;
	size_t i;

	assert_int_equal(render_digest(&day->t, &day->conf, d, o, &html,
				       &text, &subject, &eb), 0);
	memset(&msg, 0, sizeof(msg));
	msg.from_addr = "digest@example.org";
	msg.to_addr = d->sub->email;
	msg.subject = subject;
	msg.date = 1767074400;
	msg.message_id = "<1.2@digest.example.org>";
	msg.text = buf_str(&text);
	msg.text_len = text.len;
	msg.html = buf_str(&html);
	msg.html_len = html.len;
	assert_int_equal(mime_build(&msg, &m1, &eb), 0);

	render_parts_init(&parts);
	assert_int_equal(render_digest_day(day->rd, d, o, 0, &parts, &eb), 0);
	msg.text = msg.html = NULL;
	msg.text_len = msg.html_len = 0;
	msg.subject = parts.subject;
	msg.text_qp = &parts.text_qp;
	msg.html_qp = &parts.html_qp;
	assert_int_equal(mime_build(&msg, &m2, &eb), 0);

	/* Blank out the random boundaries ("=_paperboy_" + 32 hex). */
	assert_int_equal(m1.len, m2.len);
	for (i = 0; i + 11 + 32 <= m1.len; i++) {
		if (!memcmp(m1.data + i, "=_paperboy_", 11)) {
			memset(m1.data + i + 11, 'X', 32);
			b = m2.data + i;
			assert_memory_equal(b, "=_paperboy_", 11);
			memset(b + 11, 'X', 32);
		}
	}
	assert_same(&m1, &m2);
	render_parts_release(&parts);
	buf_release(&html);
	buf_release(&text);
	buf_release(&m1);
	buf_release(&m2);
	free(subject);
}

static void day_open(struct day *day, const char *xml, size_t len)
{
	struct errbuf eb = ERRBUF_INIT;
	struct strv errors = STRV_INIT;

	memset(day, 0, sizeof(*day));
	listing_init(&day->listing);
	if (conf_load("paperboy.cfg", &day->conf, &eb) < 0)
		fail_msg("%s", eb.msg);
	if ((xml ? arxiv_parse(xml, len, "test.xml", &day->listing, &eb)
		 : arxiv_parse_file("sample/arxiv-2025-12-30.xml",
				    &day->listing, &eb)) < 0)
		fail_msg("%s", eb.msg);
	assert_int_equal(subs_load_dir("subscribers", &day->subs, &errors,
				       &eb), 0);
	assert_int_equal(errors.n, 0);
	strv_release(&errors);
	assert_int_equal(render_load(&day->conf, &day->t, &eb), 0);
	day->idx = score_index_build(&day->listing, &day->conf.announce_types,
				     &day->subs);
	if (render_day_new(&day->t, &day->conf, &day->listing, &day->rd,
			   &eb) < 0)
		fail_msg("%s", eb.msg);
}

static void day_close(struct day *day)
{
	render_day_free(day->rd);
	render_release(&day->t);
	score_index_free(day->idx);
	subs_list_release(&day->subs);
	listing_release(&day->listing);
	conf_release(&day->conf);
}

static const char unsub[] = "https://digest.example.org/u/ABC=DEF";
static const char profile[] = "https://digest.example.org/profile?s=a&t=X=Y";
static const char archive[] = "https://digest.example.org/archive/x.html";

/* Every subscriber of s with every budget and link set of the test. */
static size_t compare_all(struct day *day, const struct subscriber *only,
			  int comments)
{
	static const size_t budgets[] = { RENDER_HTML_BUDGET, 0, 60000,
					  30000, 12000, 1 };
	size_t i, j, k, cut = 0;
	char **more, **fewer;

	for (i = 0; i < day->subs.n; i++) {
		const struct subscriber *s = only ? only : &day->subs.v[i];
		struct score_result r;
		struct digest d;

		score_subscriber(day->idx, s, &r);
		for (k = 0; comments && k < r.n; k++) {
			free(r.entries[k].comment);
			r.entries[k].comment = xstrdup(
				k % 3 == 0 ? "why =  " :
				k % 3 == 1 ? "\xc3\xa9t\xc3\xa9 = d\xc3\xa9j\xc3\xa0 " :
				"");
			r.entries[k].novelty = (int)(k % 11);
		}
		digest_build(s, &day->listing, &r, "2025-12-30", &d);
		/* Per-reader vote links on every paper, with '=' and '&'
		 * that the encoders must treat right at fragment joins. */
		more = xcalloc(d.n + 1, sizeof(*more));
		fewer = xcalloc(d.n + 1, sizeof(*fewer));
		for (k = 0; k < d.n; k++) {
			struct buf u = BUF_INIT;

			buf_addf(&u, "https://digest.example.org/vote?s=%s&p=%s"
				     "&v=up&t=A=%zu",
				 s->id, d.items[k].paper->id, k);
			more[k] = buf_detach(&u, NULL);
			buf_addf(&u, "https://digest.example.org/vote?s=%s&p=%s"
				     "&v=down&t=B=%zu",
				 s->id, d.items[k].paper->id, k);
			fewer[k] = buf_detach(&u, NULL);
		}
		for (j = 0; j < ARRAY_SIZE(budgets); j++) {
			struct render_opts o = { unsub, archive, budgets[j],
						 profile, more, fewer };
			size_t cards = compare(day, &d, &o);

			if (cards < d.n)
				cut++;
			if (j == 0) {
				struct render_opts bare = { "", "",
							    budgets[j], NULL,
							    NULL, NULL };
				compare(day, &d, &bare);
				compare_message(day, &d, &o);
			}
		}
		for (k = 0; k < d.n; k++) {
			free(more[k]);
			free(fewer[k]);
		}
		free(more);
		free(fewer);
		digest_release(&d);
		score_result_release(&r);
		if (only)
			break;
	}
	return cut;
}

static void test_sample_day(void **state)
{
	struct day day;

	day_open(&day, NULL, 0);
	assert_true(day.subs.n >= 5);
	/* The small budgets cut every digest that has papers. */
	assert_true(compare_all(&day, NULL, 0) > 0);
	compare_all(&day, NULL, 1);
	day_close(&day);
}

/* An arXiv RSS day of made-up papers that hit the encoder's edges. */
static char *edge_listing(size_t *len)
{
	static const char *const titles[] = {
		"Transformer attention = all you need =",
		"Transformer  spaces at the end   ",
		"Transformer \xe6\xb3\xa8\xe6\x84\x8f\xe5\x8a\x9b and "
		"\xf0\x9f\xa4\x96 robots: na\xc3\xafve r\xc3\xa9sum\xc3\xa9",
		"Transformer &lt;&amp;&gt; \"quotes\" and 'apostrophes'",
	};
	struct buf b = BUF_INIT;
	size_t i, k;

	buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<rss xmlns:arxiv=\"http://arxiv.org/schemas/atom\" "
		   "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		   "version=\"2.0\"><channel>\n"
		   "<title>cs.LG updates on arXiv.org</title>\n"
		   "<link>http://rss.arxiv.org/rss/cs.LG</link>\n"
		   "<description>cs.LG</description>\n"
		   "<pubDate>Tue, 30 Dec 2025 00:00:00 -0500</pubDate>\n");
	for (i = 0; i < 40; i++) {
		buf_addf(&b, "<item><title>%s %zu</title>"
			 "<link>https://arxiv.org/abs/2512.%05zu</link>\n",
			 titles[i % ARRAY_SIZE(titles)], i, 40000 + i);
		buf_addf(&b, "<description>arXiv:2512.%05zuv1 Announce Type: "
			 "new \nAbstract: ", 40000 + i);
		switch (i % 5) {
		case 0: /* one long word: no place to wrap */
			for (k = 0; k < 300; k++)
				buf_addstr(&b, "x=");
			break;
		case 1: /* '.' and "From " where a line may start */
			buf_addstr(&b, ".Transformer start. From here on");
			for (k = 0; k < 120; k++)
				buf_addf(&b, " From %zu. .dot =", k);
			break;
		case 2: /* non-ASCII at every column */
			for (k = 0; k < 200; k++)
				buf_addstr(&b, k % 2 ? "\xc3\xa9" : " \xe2\x80\x94");
			buf_addstr(&b, " transformer");
			break;
		case 3: /* blanks and '=' around the cut */
			for (k = 0; k < 150; k++)
				buf_addstr(&b, "transformer =  \t= ");
			break;
		default: /* short */
			buf_addstr(&b, "A transformer. ");
			break;
		}
		buf_addstr(&b, "</description>\n");
		buf_addf(&b, "<guid isPermaLink=\"false\">oai:arXiv.org:"
			 "2512.%05zuv1</guid>", 40000 + i);
		buf_addstr(&b, "<category>cs.LG</category>"
			   "<arxiv:announce_type>new</arxiv:announce_type>"
			   "<dc:creator>");
		for (k = 0; k < (i % 7 == 0 ? 20 : 3); k++)
			buf_addf(&b, "%sAuthor%zu Person%zu", k ? ", " : "",
				 k, i % 3);
		if (i % 6 == 0)
			buf_addstr(&b, ", Ada Lovelace");
		buf_addstr(&b, "</dc:creator></item>\n");
	}
	buf_addstr(&b, "</channel></rss>\n");
	return buf_detach(&b, len);
}

static void test_edge_papers(void **state)
{
	struct errbuf eb = ERRBUF_INIT;
	struct subscriber wide, fan;
	struct day day;
	size_t len;
	char *xml = edge_listing(&len);
	static const char wide_cfg[] =
		"name = \"Wide = Reader\";\n"
		"email = \"wide@example.org\";\n"
		"topics = ( { name = \"T\"; keywords = [\"transformer\"]; } );\n"
		"min_relevance = 1;\nmax_papers = 100;\n";
	static const char fan_cfg[] =
		"name = \"Fan\";\nemail = \"fan@example.org\";\n"
		"topics = ( { name = \"T\"; keywords = [\"transformer\"]; } );\n"
		"authors = [\"Ada Lovelace\", \"Author15 Person1\"];\n"
		"min_relevance = 1;\nmax_papers = 100;\n";

	day_open(&day, xml, len);
	assert_true(day.listing.n == 40);
	if (subs_load_string("subscribers/wide.cfg", wide_cfg,
			     strlen(wide_cfg), &wide, &eb) < 0 ||
	    subs_load_string("subscribers/fan.cfg", fan_cfg, strlen(fan_cfg),
			     &fan, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_true(compare_all(&day, &wide, 0) > 0);
	assert_true(compare_all(&day, &wide, 1) > 0);
	assert_true(compare_all(&day, &fan, 1) > 0);
	subs_release(&wide);
	subs_release(&fan);
	day_close(&day);
	free(xml);
}

/* Streaming quoted-printable: any cut of the input, the same output. */
static void test_qp_stream_cuts(void **state)
{
	static const char *const inputs[] = {
		"a line of exactly seventy-six characters ..................."
		"..............\nnext =\n",
		"trailing blank \nFrom here\n.dot\r\nend\t",
		"\xc3\xa9\xc3\xa9\xc3\xa9 = = = \n\n\n   \n",
	};
	size_t i, cut, cut2;

	for (i = 0; i < ARRAY_SIZE(inputs); i++) {
		const char *in = inputs[i];
		size_t n = strlen(in);
		struct buf want = BUF_INIT;

		assert_int_equal(mime_qp_encode(in, n, &want), 0);
		assert_int_equal(mime_qp_encoded_len(in, n), want.len);
		for (cut = 0; cut <= n; cut++) {
			for (cut2 = cut; cut2 <= n; cut2++) {
				struct buf got = BUF_INIT;
				struct mime_qp q;

				mime_qp_init(&q, &got);
				assert_int_equal(mime_qp_add(&q, in, cut), 0);
				assert_int_equal(mime_qp_add(&q, in + cut,
							     cut2 - cut), 0);
				assert_int_equal(mime_qp_add(&q, in + cut2,
							     n - cut2), 0);
				assert_int_equal(mime_qp_finish(&q), 0);
				assert_int_equal(q.size, want.len);
				mime_qp_release(&q);
				assert_same(&got, &want);
				buf_release(&got);
			}
		}
		buf_release(&want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp_stream_cuts),
		cmocka_unit_test(test_sample_day),
		cmocka_unit_test(test_edge_papers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
