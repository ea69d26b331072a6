/*
 * optin: subscription requests and their confirmation (see optin.h).
 *
 * Design decision: a pending request is a small libconfig file,
 * STATE/pending/HASH.cfg (email, name), whose modification time is when
 * it was made: expired requests are found and removed by one stat() each.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "mime.h"
#include "optin.h"
#include "subs.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Bytes of SHA-256(address) that name a pending file: 128 bits never
 * collide among a list's requests. */
#define OPTIN_HASH_BYTES 16
/* The pending requests' folder inside the state folder. */
#define OPTIN_DIR "pending"
/* Suffixes tried to make a new subscriber id unique (alice, alice-2...). */
#define OPTIN_MAX_SUFFIX 1000
/* A subscriber id made from an address keeps at most this much of it. */
#define OPTIN_MAX_ID_BASE 40
/* The longest request name: the time, '-', the hash in hex. */
#define OPTIN_MAX_REQUEST 64

static const char hex[] = "0123456789abcdef";

static char *pending_dir(const struct conf *c)
{
	return util_path_join(c->state_dir, OPTIN_DIR);
}

/* The hex of the first OPTIN_HASH_BYTES of SHA-256(lower-case email). */
static void address_hash(const char *email, char out[2 * OPTIN_HASH_BYTES + 1])
{
	unsigned char sha[TOKEN_SHA256_BYTES];
	struct buf lower = BUF_INIT;
	const char *p;
	size_t i;

	for (p = email; *p; p++)
		buf_addch(&lower, util_tolower(*p));
	token_sha256(buf_str(&lower), lower.len, sha);
	buf_release(&lower);
	for (i = 0; i < OPTIN_HASH_BYTES; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[2 * OPTIN_HASH_BYTES] = '\0';
}

static char *pending_path(const struct conf *c, const char *hash)
{
	struct buf name = BUF_INIT;
	char *dir = pending_dir(c), *path;

	buf_addf(&name, "%s.cfg", hash);
	path = util_path_join(dir, buf_str(&name));
	buf_release(&name);
	free(dir);
	return path;
}

/* A display name: valid UTF-8, no control characters, not too long. */
static int name_ok(const char *name)
{
	const char *p = name, *end = name + strlen(name);

	if ((size_t)(end - p) > SUBS_MAX_NAME || !util_utf8_valid(p, end - p))
		return 0;
	while (p < end) {
		int32_t cp = util_utf8_next(&p, end);

		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return 0;
	}
	return 1;
}

/* An address we can write into a profile unquoted and mail to. */
static int email_ok(const char *email)
{
	return mime_address_valid(email) && !strpbrk(email, "\"\\");
}

/* Appends s as a libconfig string ("..." with " and \ escaped). */
static void add_cfg_string(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(b, '\\');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

/*
 * Removes expired requests from the folder and counts the others. Returns
 * the count, or -1 with eb filled when the folder cannot be read.
 */
static long prune(const char *dir, time_t now, struct errbuf *eb)
{
	struct dirent *de;
	long n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errbuf_setk(eb, ERRBUF_IO, "%s: %s", dir,
				   strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (!util_ends_with(de->d_name, ".cfg") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_mtime + OPTIN_LIFETIME < now)
			unlinkat(dirfd(d), de->d_name, 0);
		else
			n++;
	}
	closedir(d);
	return n;
}

/* Writes the pending file, its time set to now. */
static int write_pending(const char *path, const char *email,
			 const char *name, time_t now, struct errbuf *eb)
{
	struct timespec times[2] = { { now, 0 }, { now, 0 } };
	struct buf b = BUF_INIT;
	int ret = -1;

	buf_addstr(&b, "# A subscription waiting for its confirmation "
		       "(paperboy optin.c).\nemail = ");
	add_cfg_string(&b, email);
	buf_addstr(&b, ";\nname = ");
	add_cfg_string(&b, name);
	buf_addstr(&b, ";\n");
	if (util_write_atomic(path, buf_str(&b), b.len, 0600, eb) < 0) {
		errbuf_kind(eb, ERRBUF_IO);
		goto out;
	}
	if (utimensat(AT_FDCWD, path, times, 0) < 0) {
		errbuf_setk(eb, ERRBUF_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

static char *confirm_url(const struct conf *c, const struct token_key *key,
			 const char *request)
{
	struct buf url = BUF_INIT;
	char *token = token_make(key, TOKEN_CONFIRM, request, "");

	buf_addf(&url, "%s%sconfirm?s=%s&t=%s", c->base_url,
		 util_ends_with(c->base_url, "/") ? "" : "/", request, token);
	free(token);
	return buf_detach(&url, NULL);
}

/* The confirmation mail, complete, into out. */
static int compose(const struct conf *c, const char *email, const char *name,
		   const char *url, time_t now, char **message_id,
		   struct buf *out, struct errbuf *eb)
{
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	struct mime_message msg;
	const char *p;
	int ret;

	buf_addf(&subject, "Confirm your subscription to %s", c->list_name);
	buf_addf(&text,
		 "Someone, probably you, asked for %s to receive %s.\n"
		 "\n"
		 "To confirm, open this link and press the button:\n"
		 "\n"
		 "%s\n"
		 "\n"
		 "The link works for %d days. If you did not ask for this, "
		 "ignore this\nmessage: nothing happens without the "
		 "button.\n",
		 email, c->list_name, url, OPTIN_LIFETIME / (24 * 3600));
	/* Only our own values go in: the address is checked (no <, >, &
	 * or quotes in it), the list name is escaped by hand. */
	buf_addstr(&html, "<!DOCTYPE html><html><body><p>Someone, probably "
			  "you, asked for ");
	buf_addstr(&html, email);
	buf_addstr(&html, " to receive ");
	for (p = c->list_name; *p; p++) {
		if (*p == '<')
			buf_addstr(&html, "&lt;");
		else if (*p == '>')
			buf_addstr(&html, "&gt;");
		else if (*p == '&')
			buf_addstr(&html, "&amp;");
		else
			buf_addch(&html, *p);
	}
	buf_addf(&html, ".</p><p>To confirm, open <a href=\"%s\">this "
			"link</a> and press the button. It works for %d "
			"days.</p><p>If you did not ask for this, ignore "
			"this message: nothing happens without the "
			"button.</p></body></html>\n",
		 url, OPTIN_LIFETIME / (24 * 3600));
	*message_id = mime_new_message_id(c->list_id);
	memset(&msg, 0, sizeof(msg));
	msg.from_display = c->from_display;
	msg.from_addr = c->from_addr;
	msg.to_display = name[0] ? name : NULL;
	msg.to_addr = email;
	msg.subject = buf_str(&subject);
	msg.date = now;
	msg.message_id = *message_id;
	msg.extra[msg.nextra].name = "Auto-Submitted";
	msg.extra[msg.nextra++].value = "auto-generated";
	msg.text = buf_str(&text);
	msg.text_len = text.len;
	msg.html = buf_str(&html);
	msg.html_len = html.len;
	ret = mime_build(&msg, out, eb);
	if (ret < 0)
		errbuf_kind(eb, ERRBUF_USAGE);
	buf_release(&subject);
	buf_release(&text);
	buf_release(&html);
	return ret;
}

/* Hands the message to c's delivery; *where says where it went. */
static int send_mail(const struct conf *c, const char *email,
		     const char *message_id, const struct buf *msg,
		     char **where, struct errbuf *eb)
{
	struct deliver_smtp *smtp = NULL;
	struct deliver_item it;
	int r;

	if (strcmp(c->delivery_method, "smtp")) {
		if (deliver_outbox_open(c->outbox_dir, eb) < 0 ||
		    deliver_outbox_put(c->outbox_dir, "confirm", buf_str(msg),
				       msg->len, where, eb) < 0)
			return errbuf_kind(eb, ERRBUF_IO);
		return 0;
	}
	if (deliver_smtp_open(c, &smtp, eb) < 0)
		return -1;
	memset(&it, 0, sizeof(it));
	it.tag = "confirm";
	it.rcpt = email;
	it.data = buf_str(msg);
	it.len = msg->len;
	it.message_id = message_id;
	r = deliver_smtp_send(smtp, &it, 1, NULL, eb);
	deliver_smtp_free(smtp);
	if (r < 0)
		return errbuf_kind(eb, r == -2 ? ERRBUF_PROTOCOL : ERRBUF_TEMP);
	if (it.outcome != DELIVER_SENT)
		return errbuf_setk(eb, it.outcome == DELIVER_FAILED
					       ? ERRBUF_PROTOCOL
					       : ERRBUF_TEMP,
				   "%s: the confirmation was not accepted: %s",
				   email, it.reply);
	*where = xstrdup(it.reply);
	return 0;
}

struct optin_mail {
	char *email;
	char *message_id;
	char *path;   /* the pending request */
	dev_t dev;    /* the file this mail's request wrote (a newer */
	ino_t ino;    /* request for the address replaces it) */
	struct buf msg;
};

/* Removes m's request, unless a newer request for the address has
 * replaced it meanwhile (an atomic write is a new file): that one's
 * mail went out, or is on its way. */
static void drop_request(const struct optin_mail *m)
{
	struct stat st;

	if (lstat(m->path, &st) == 0 && st.st_dev == m->dev &&
	    st.st_ino == m->ino)
		unlink(m->path);
}

void optin_mail_free(struct optin_mail *m, int drop)
{
	if (!m)
		return;
	if (drop)
		drop_request(m);
	free(m->email);
	free(m->message_id);
	free(m->path);
	buf_release(&m->msg);
	free(m);
}

const char *optin_mail_rcpt(const struct optin_mail *m)
{
	return m->email;
}

int optin_prepare(const struct conf *c, const struct token_key *key,
		  const char *email, const char *name, time_t now,
		  struct optin_mail **mail, struct optin_sent *out,
		  struct errbuf *eb)
{
	char hash[2 * OPTIN_HASH_BYTES + 1];
	struct buf request = BUF_INIT;
	struct optin_mail *m = NULL;
	char *dir = pending_dir(c), *path = NULL;
	struct stat st;
	long pending;
	int existed, ret = -1;

	*mail = NULL;
	memset(out, 0, sizeof(*out));
	if (!email_ok(email)) {
		errbuf_setk(eb, ERRBUF_USAGE, "'%s' is not an email address "
			    "paperboy can mail", email);
		goto out;
	}
	if (!name_ok(name)) {
		errbuf_setk(eb, ERRBUF_USAGE, "the name must be one line of "
			    "at most %d bytes of UTF-8", SUBS_MAX_NAME);
		goto out;
	}
	if (!c->base_url[0]) {
		errbuf_setk(eb, ERRBUF_CONFIG, "%s: list.base_url is not set: "
			    "a confirmation needs its https link", c->path);
		goto out;
	}
	if (util_mkdir_p(dir, 0700, eb) < 0) {
		errbuf_kind(eb, ERRBUF_IO);
		goto out;
	}
	pending = prune(dir, now, eb);
	if (pending < 0)
		goto out;
	address_hash(email, hash);
	path = pending_path(c, hash);
	existed = lstat(path, &st) == 0;
	if (existed && st.st_mtime + OPTIN_RESEND_AFTER > now) {
		out->outcome = OPTIN_THROTTLED;
		ret = 0;
		goto out;
	}
	if (!existed && pending >= OPTIN_MAX_PENDING) {
		errbuf_setk(eb, ERRBUF_TEMP, "%s: %d subscriptions wait for "
			    "their confirmation already; try again later",
			    dir, OPTIN_MAX_PENDING);
		goto out;
	}
	buf_addf(&request, "%lld-%s", (long long)(now + OPTIN_LIFETIME), hash);
	out->url = confirm_url(c, key, buf_str(&request));
	m = xcalloc(1, sizeof(*m));
	buf_init(&m->msg, BUF_DEFAULT_LIMIT);
	if (compose(c, email, name, out->url, now, &m->message_id, &m->msg,
		    eb) < 0 ||
	    write_pending(path, email, name, now, eb) < 0)
		goto out;
	if (lstat(path, &st) < 0) {
		errbuf_setk(eb, ERRBUF_IO, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->email = xstrdup(email);
	m->path = path;
	path = NULL;
	out->outcome = OPTIN_SENT;
	*mail = m;
	m = NULL;
	ret = 0;
out:
	if (ret < 0)
		optin_sent_release(out);
	optin_mail_free(m, 0);
	buf_release(&request);
	free(path);
	free(dir);
	return ret;
}

int optin_send(const struct conf *c, const struct optin_mail *m,
	       char **where, struct errbuf *eb)
{
	*where = NULL;
	if (send_mail(c, m->email, m->message_id, &m->msg, where, eb) < 0) {
		drop_request(m);
		return -1;
	}
	return 0;
}

int optin_request(const struct conf *c, const struct token_key *key,
		  const char *email, const char *name, time_t now,
		  struct optin_sent *out, struct errbuf *eb)
{
	struct optin_mail *m;
	int r;

	if (optin_prepare(c, key, email, name, now, &m, out, eb) < 0)
		return -1;
	if (!m)
		return 0;
	r = optin_send(c, m, &out->where, eb);
	optin_mail_free(m, 0);
	if (r < 0)
		optin_sent_release(out);
	return r;
}

void optin_sent_release(struct optin_sent *s)
{
	free(s->where);
	free(s->url);
	memset(s, 0, sizeof(*s));
}

/* Splits "EXPIRES-HASH"; 0 when the request is not written that way. */
static int parse_request(const char *request, long long *expires,
			 char hash[2 * OPTIN_HASH_BYTES + 1])
{
	const char *dash = strchr(request, '-');
	long long v = 0;
	const char *p;

	if (!dash || dash == request || dash - request > 18 ||
	    strlen(dash + 1) != 2 * OPTIN_HASH_BYTES)
		return 0;
	for (p = request; p < dash; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	for (p = dash + 1; *p; p++)
		if (!strchr(hex, *p))
			return 0;
	memcpy(hash, dash + 1, 2 * OPTIN_HASH_BYTES + 1);
	*expires = v;
	return 1;
}

int optin_check(const struct conf *c, const struct token_key *key,
		const char *request, const char *token, time_t now,
		char **email, char **name, struct errbuf *eb)
{
	char hash[2 * OPTIN_HASH_BYTES + 1], check[2 * OPTIN_HASH_BYTES + 1];
	struct conf_doc *doc = NULL;
	long long expires;
	char *path = NULL;
	int ret = -1;

	*email = xstrdup("");
	*name = xstrdup("");
	if (!request || !token || strlen(request) > OPTIN_MAX_REQUEST ||
	    !parse_request(request, &expires, hash) ||
	    !token_verify(key, TOKEN_CONFIRM, request, "", token))
		return OPTIN_FORGED;
	if (expires < now)
		return OPTIN_EXPIRED;
	path = pending_path(c, hash);
	if (access(path, F_OK) < 0) {
		ret = OPTIN_EXPIRED;
		goto out;
	}
	if (conf_doc_read(path, &doc, eb) < 0 ||
	    conf_get_string(doc, conf_doc_root(doc), "email", 1, email,
			    eb) != 0 ||
	    conf_get_string(doc, conf_doc_root(doc), "name", 1, name, eb) < 0) {
		if (!eb->msg[0])
			errbuf_set(eb, "%s: no email", path);
		errbuf_kind(eb, ERRBUF_IO);
		goto out;
	}
	address_hash(*email, check);
	ret = strcmp(check, hash) ? OPTIN_FORGED : OPTIN_VALID;
out:
	conf_doc_free(doc);
	free(path);
	return ret;
}

/* "alice.smith" from "Alice.Smith+news@example.org": letters, digits,
 * '-', '_', '.' of the local part, lower case; "reader" if none. */
static char *id_base(const char *email)
{
	struct buf b = BUF_INIT;
	const char *p;

	for (p = email; *p && *p != '@' && *p != '+' &&
			b.len < OPTIN_MAX_ID_BASE;
	     p++) {
		char ch = util_tolower(*p);

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '_' || ch == '-' || (ch == '.' && b.len))
			buf_addch(&b, ch);
		else if (b.len)
			buf_addch(&b, '-');
	}
	while (b.len && (b.data[b.len - 1] == '.' || b.data[b.len - 1] == '-'))
		b.data[--b.len] = '\0';
	if (!b.len || b.data[0] == '-')
		buf_addstr(&b, b.len ? "" : "reader");
	return buf_detach(&b, NULL);
}

static int same_address(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (util_tolower(*a) != util_tolower(*b))
			return 0;
	return !*a && !*b;
}

/* The profile text: the starter's lines as they are (so its line numbers
 * stay right in messages), then name, email and status. */
static int profile_text(const struct conf *c, const char *email,
			const char *name, time_t now, struct buf *out,
			struct errbuf *eb)
{
	struct subscriber check;
	char when[32];
	struct tm tm;

	if (util_read_file(c->starter_profile, out, eb) < 0)
		return errbuf_kind(eb, ERRBUF_CONFIG);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (out->len && out->data[out->len - 1] != '\n')
		buf_addch(out, '\n');
	buf_addf(out, "\n# Subscribed by confirming the address on %s.\n"
		      "name = ", when);
	add_cfg_string(out, name);
	buf_addstr(out, ";\nemail = ");
	add_cfg_string(out, email);
	buf_addstr(out, ";\nstatus = \"active\";\n");
	if (subs_load_string(c->starter_profile, buf_str(out), out->len,
			     &check, eb) < 0) {
		errbuf_prefix(eb, "the starter profile (list.starter_profile) "
			      "does not make a valid profile");
		return errbuf_kind(eb, ERRBUF_CONFIG);
	}
	subs_release(&check);
	return 0;
}

/* Creates the new profile under a free id. */
static int create_profile(const struct conf *c, const char *email,
			  const char *name, time_t now, char **id,
			  struct errbuf *eb)
{
	struct buf text = BUF_INIT, cand = BUF_INIT;
	char *base = id_base(email);
	int i, r = -1;

	if (profile_text(c, email, name, now, &text, eb) < 0)
		goto out;
	for (i = 1; i <= OPTIN_MAX_SUFFIX; i++) {
		buf_reset(&cand);
		if (i == 1)
			buf_addstr(&cand, base);
		else
			buf_addf(&cand, "%s-%d", base, i);
		r = subs_create(c->subscribers_dir, buf_str(&cand),
				buf_str(&text), text.len, eb);
		if (r != 1)
			break;
	}
	if (r == 1)
		r = errbuf_setk(eb, ERRBUF_IO, "%s: no free subscriber id "
				"for %s", c->subscribers_dir, base);
	if (r == 0)
		*id = buf_detach(&cand, NULL);
out:
	buf_release(&text);
	buf_release(&cand);
	free(base);
	return r;
}

/* The profile that has email, if any: 1 and *out, or 0. */
static int find_address(const struct conf *c, const char *email,
			struct subscriber *out, struct errbuf *eb)
{
	struct subs_list l = { NULL, 0, 0 };
	struct strv broken = STRV_INIT;
	size_t i;
	int found = 0;

	if (subs_load_dir(c->subscribers_dir, &l, &broken, eb) < 0) {
		strv_release(&broken);
		return errbuf_kind(eb, ERRBUF_IO);
	}
	for (i = 0; i < l.n && !found; i++) {
		if (!same_address(l.v[i].email, email))
			continue;
		*out = l.v[i];
		memset(&l.v[i], 0, sizeof(l.v[i]));
		found = 1;
	}
	subs_list_release(&l);
	strv_release(&broken);
	return found;
}

int optin_confirm(const struct conf *c, const struct token_key *key,
		  const char *request, const char *token, time_t now,
		  const char *via, struct optin_confirmed *out,
		  struct errbuf *eb)
{
	char hash[2 * OPTIN_HASH_BYTES + 1];
	struct subscriber have;
	char *name = NULL, *path = NULL;
	char when[32];
	struct tm tm;
	int v, found, changed = 0;

	memset(out, 0, sizeof(*out));
	memset(&have, 0, sizeof(have));
	v = optin_check(c, key, request, token, now, &out->email, &name, eb);
	if (v != OPTIN_VALID)
		goto out;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	found = find_address(c, out->email, &have, eb);
	if (found < 0) {
		v = -1;
		goto out;
	}
	if (found) {
		out->id = xstrdup(have.id);
		if (have.status == SUBS_UNSUBSCRIBED &&
		    subs_set_status(have.path, SUBS_ACTIVE, when, &changed,
				    eb) < 0) {
			v = -1;
			goto out;
		}
		out->resubscribed = changed;
	} else if (create_profile(c, out->email, name, now, &out->id,
				  eb) < 0) {
		v = -1;
		goto out;
	} else {
		out->created = 1;
	}
	{
		long long expires;

		parse_request(request, &expires, hash);
		path = pending_path(c, hash);
		unlink(path);
	}
	if (out->created || out->resubscribed)
		subs_log_change(c->state_dir, when,
				out->created ? "subscribe" : "resubscribe",
				out->id, out->email, via, eb);
	errbuf_clear(eb);
out:
	if (have.id)
		subs_release(&have);
	free(name);
	free(path);
	return v;
}

void optin_confirmed_release(struct optin_confirmed *r)
{
	free(r->id);
	free(r->email);
	memset(r, 0, sizeof(*r));
}
