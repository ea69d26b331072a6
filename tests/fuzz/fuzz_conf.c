/*
 * libFuzzer target for paperboy.cfg (conf.c and its settings table): any
 * bytes either load into a struct conf in which every setting keeps the
 * promises of its table row (strings on one line, numbers within bounds,
 * enums among their values, paths under the file's folder when relative)
 * and the list's From address is valid, or fail with "PATH..." and leave
 * nothing to release.
 *
 * libconfig 1.5 leaks its scanner's string buffer on some syntax errors
 * (inside the library, not ours): see fuzz_conf.supp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mime.h"
#include "banned.h"

#define FUZZ_DIR "site"
#define FUZZ_PATH FUZZ_DIR "/paperboy.cfg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s)
{
	if (!s || strpbrk(s, "\r\n") || strlen(s) > CONF_MAX_STRING + 64)
		abort();
}

static int one_of(const char *v, const char *const *ok)
{
	for (; *ok; ok++)
		if (!strcmp(v, *ok))
			return 1;
	return 0;
}

static void check_row(const struct conf *c, const struct conf_setting *s)
{
	const void *f = (const char *)c + s->offset;
	const struct strv *sv;
	const char *str;
	size_t i;

	switch (s->type) {
	case CONF_STRING:
	case CONF_ENUM:
		str = *(char *const *)f;
		check_line(str);
		if (s->type == CONF_ENUM && !one_of(str, s->values))
			abort();
		/* A set path is resolved: absolute, or under the folder. */
		if ((s->flags & CONF_PATH) && str[0] && str[0] != '/' &&
		    strncmp(str, FUZZ_DIR "/", strlen(FUZZ_DIR) + 1))
			abort();
		break;
	case CONF_INT:
		if (*(const long *)f < s->min || *(const long *)f > s->max)
			abort();
		break;
	case CONF_FLOAT:
		if (!(*(const double *)f >= s->fmin &&
		      *(const double *)f <= s->fmax))
			abort();
		break;
	case CONF_BOOL:
		if (*(const int *)f != 0 && *(const int *)f != 1)
			abort();
		break;
	case CONF_STRV:
		sv = f;
		if (sv->n > CONF_MAX_LIST)
			abort();
		for (i = 0; i < sv->n; i++) {
			check_line(sv->v[i]);
			if (s->values && !one_of(sv->v[i], s->values))
				abort();
		}
		break;
	case CONF_GROUP:
	case CONF_SPECIAL:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb = ERRBUF_INIT;
	const struct conf_setting *t;
	struct conf c;
	size_t i, n;

	if (conf_load_string(FUZZ_PATH, (const char *)data, size, &c,
			     &eb) < 0) {
		if (strncmp(eb.msg, FUZZ_PATH, strlen(FUZZ_PATH)) || c.path ||
		    c.list_name || c.llm_prices)
			abort();
		return 0;
	}
	t = conf_settings(&n);
	for (i = 0; i < n; i++)
		check_row(&c, &t[i]);
	if (!c.from_addr || !mime_address_valid(c.from_addr) ||
	    !mime_address_valid(c.contact) ||
	    c.llm_nprices > CONF_LLM_MAX_PRICES)
		abort();
	for (i = 0; i < c.llm_nprices; i++)
		if (!c.llm_prices[i].model[0])
			abort();
	if (conf_check_for_smtp(&c, &eb) < 0 &&
	    strncmp(eb.msg, FUZZ_PATH, strlen(FUZZ_PATH)))
		abort();
	conf_release(&c);
	return 0;
}
