/*
 * libFuzzer target for llmreply: any reply parses without crashing, and
 * every score it returns is for a paper that was asked about, in range,
 * with a one-line, valid UTF-8 comment of bounded length. A paper the
 * reply did not score has no comment.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmreply.h"
#include "util.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ids[] = { "2512.00001", "2512.00002",
				   "2512.00003", "hep-th/9901001" };
#define NIDS (sizeof(ids) / sizeof(ids[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llmreply_score out[NIDS];
	size_t i, n, scored = 0, objects = 0;

	n = llmreply_parse((const char *)data, size, ids, NIDS, out,
			   &objects);
	if (n > NIDS || (n && !objects))
		abort();
	for (i = 0; i < NIDS; i++) {
		const struct llmreply_score *o = &out[i];

		if (!o->scored) {
			if (o->comment || o->relevance || o->novelty)
				abort();
			continue;
		}
		scored++;
		if (o->relevance < LLMREPLY_MIN_SCORE ||
		    o->relevance > LLMREPLY_MAX_SCORE ||
		    o->novelty < LLMREPLY_MIN_SCORE ||
		    o->novelty > LLMREPLY_MAX_SCORE || !o->comment ||
		    strlen(o->comment) > LLMREPLY_MAX_COMMENT ||
		    !util_utf8_valid(o->comment, strlen(o->comment)) ||
		    strpbrk(o->comment, "\r\n\t"))
			abort();
	}
	if (scored != n)
		abort();
	llmreply_release(out, NIDS);
	return 0;
}
