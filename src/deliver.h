/*
 * deliver: handing finished messages to their destination.
 *
 * This first transport is the outbox: a Maildir (outbox/tmp, new, cur)
 * that any mail reader, or a later relay step, can read. Design decision:
 * the Maildir protocol itself gives atomicity: a message is written and
 * fsynced in tmp/, then renamed into new/, so a reader never sees half a
 * message and a crash leaves at most a stray file in tmp/.
 */
#ifndef PAPERBOY_DELIVER_H
#define PAPERBOY_DELIVER_H

#include <stddef.h>

#include "errbuf.h"

/* Creates dir/tmp, dir/new and dir/cur (mode 0700) if missing. */
int deliver_outbox_open(const char *dir, struct errbuf *eb);

/*
 * Writes one message into dir/new under a unique Maildir name that
 * contains `tag` (a subscriber id; letters, digits, '-', '_', '.').
 * Returns 0 and the new file's path in *path (caller frees), or -1 with eb
 * filled and nothing left in new/ or tmp/.
 */
int deliver_outbox_put(const char *dir, const char *tag, const char *msg,
		       size_t len, char **path, struct errbuf *eb);

#endif
