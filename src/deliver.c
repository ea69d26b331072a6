/*
 * deliver: the Maildir outbox transport (see deliver.h).
 *
 * Design decision: messages are composed once, with CRLF line ends (what
 * SMTP carries), and the outbox writes each CRLF as LF: Maildir readers
 * (mutt, Dovecot) expect the local convention and show a CR as ^M. The
 * conversion is done on the way to the file, in bounded chunks, so the
 * composed message is never copied whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "deliver.h"
#include "util.h"
#include "xalloc.h"
#include "banned.h"

/* Maildir file names stay well under NAME_MAX with this much hostname. */
#define DELIVER_MAX_HOSTNAME 64
/* Bytes converted to LF line ends per write(): a page or two of text. */
#define DELIVER_LF_CHUNK 8192

int deliver_outbox_open(const char *dir, struct errbuf *eb)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subdirs); i++) {
		char *p = util_path_join(dir, subdirs[i]);
		int r = util_mkdir_p(p, 0700, eb);
		free(p);
		if (r < 0)
			return errbuf_prefix(eb, "outbox");
	}
	return 0;
}

/*
 * Writes msg[0..len) to fd with every CRLF as LF (a lone CR or LF is kept
 * as it is). Returns 0 or -1 (errno).
 */
static int write_lf(int fd, const char *msg, size_t len)
{
	char chunk[DELIVER_LF_CHUNK];
	const char *p = msg, *end = msg + len, *cr;
	size_t n = 0, run;

	/* Runs between CRs are copied whole (memchr, memcpy), not byte by
	 * byte: a digest is ~1,500 lines of ~70 bytes. */
	while (p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		run = (size_t)((cr ? cr : end) - p);
		while (run) {
			size_t k = run < sizeof(chunk) - n ? run
							   : sizeof(chunk) - n;

			memcpy(chunk + n, p, k);
			n += k;
			p += k;
			run -= k;
			if (n == sizeof(chunk)) {
				if (util_write_all(fd, chunk, n) < 0)
					return -1;
				n = 0;
			}
		}
		if (!cr)
			break;
		/* CR LF becomes LF; a lone CR stays. */
		if (!(cr + 1 < end && cr[1] == '\n'))
			chunk[n++] = '\r';
		p = cr + 1;
		if (n == sizeof(chunk)) {
			if (util_write_all(fd, chunk, n) < 0)
				return -1;
			n = 0;
		}
	}
	return util_write_all(fd, chunk, n);
}

/* time.MusecPpidQn.host,tag: the Maildir convention, plus our tag. */
static char *unique_name(const char *tag)
{
	static unsigned long counter;
	char host[DELIVER_MAX_HOSTNAME + 1];
	struct timeval tv;
	struct buf b = BUF_INIT;
	char *p;

	gettimeofday(&tv, NULL);
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[DELIVER_MAX_HOSTNAME] = '\0';
	for (p = host; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	buf_addf(&b, "%lld.M%06ldP%ldQ%lu.%s,%s", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (long)getpid(), ++counter, host, tag);
	return buf_detach(&b, NULL);
}

int deliver_outbox_put(const char *dir, const char *tag, const char *msg,
		       size_t len, char **path, struct errbuf *eb)
{
	char *name = unique_name(tag);
	struct buf tmp = BUF_INIT, dst = BUF_INIT, newdir = BUF_INIT;
	int fd = -1, ret = -1;

	buf_addf(&tmp, "%s/tmp/%s", dir, name);
	buf_addf(&dst, "%s/new/%s", dir, name);
	buf_addf(&newdir, "%s/new", dir);
	fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		errbuf_set(eb, "%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	if (write_lf(fd, msg, len) < 0 || fsync(fd) < 0) {
		errbuf_set(eb, "%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		errbuf_set(eb, "%s: %s", buf_str(&tmp), strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(buf_str(&tmp), buf_str(&dst)) < 0) {
		errbuf_set(eb, "%s: %s", buf_str(&dst), strerror(errno));
		goto out;
	}
	if (util_fsync_dir(buf_str(&newdir), eb) < 0)
		goto out;
	*path = buf_detach(&dst, NULL);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(buf_str(&tmp));
	free(name);
	buf_release(&tmp);
	buf_release(&dst);
	buf_release(&newdir);
	return ret;
}

int deliver_smtp_open(const struct conf *c, struct deliver_smtp **out,
		      struct errbuf *eb)
{
	struct deliver_smtp_config cfg;
	struct buf password;
	const char *env = getenv("PAPERBOY_SMTP_PASSWORD");
	int ret = -1;

	buf_init(&password, CONF_MAX_STRING);
	/* A list that does not say who it is sends nothing over SMTP. */
	if (conf_check_for_smtp(c, eb) < 0) {
		errbuf_kind(eb, ERRBUF_CONFIG);
		goto out;
	}
	if (c->smtp_user[0]) {
		if (env && env[0]) {
			buf_addstr(&password, env);
		} else if (!c->smtp_password_file[0]) {
			errbuf_setk(eb, ERRBUF_CONFIG,
				    "delivery.smtp.user is set but there is no "
				    "password: set delivery.smtp.password_file "
				    "or PAPERBOY_SMTP_PASSWORD");
			goto out;
		} else if (util_read_secret(c->smtp_password_file, &password,
					    eb) < 0) {
			errbuf_prefix(eb, "SMTP password");
			errbuf_kind(eb, ERRBUF_CONFIG);
			goto out;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = c->smtp_host;
	cfg.port = c->smtp_port;
	cfg.tls = c->smtp_tls;
	cfg.tls_verify = c->smtp_tls_verify;
	cfg.ca_file = c->smtp_ca_file;
	cfg.user = c->smtp_user;
	cfg.password = buf_str(&password);
	cfg.envelope_from = c->smtp_envelope_from[0] ? c->smtp_envelope_from
						     : c->from_addr;
	cfg.helo = c->smtp_helo[0] ? c->smtp_helo : NULL;
	cfg.timeout_seconds = c->smtp_timeout;
	/* An operator's debugging aid, like msmtp --debug. */
	if (getenv("PAPERBOY_SMTP_TRACE"))
		cfg.trace = stderr;
	if (deliver_smtp_new(&cfg, out, eb) < 0) {
		errbuf_kind(eb, ERRBUF_CONFIG);
		goto out;
	}
	ret = 0;
out:
	if (password.data)
		memset(password.data, 0, password.len);
	buf_release(&password);
	return ret;
}

int deliver_one(const struct conf *c, struct deliver_item *it, char **where,
		struct errbuf *eb)
{
	struct deliver_smtp *smtp = NULL;
	struct buf w = BUF_INIT;
	int r, ret = -1;

	*where = NULL;
	if (strcmp(c->delivery_method, "smtp")) {
		if (deliver_outbox_open(c->outbox_dir, eb) < 0 ||
		    deliver_outbox_put(c->outbox_dir, it->tag, it->data,
				       it->len, where, eb) < 0)
			return errbuf_kind(eb, ERRBUF_IO);
		it->outcome = DELIVER_SENT;
		return 0;
	}
	if (deliver_smtp_open(c, &smtp, eb) < 0)
		return -1;
	r = deliver_smtp_send(smtp, it, 1, NULL, eb);
	if (it->outcome == DELIVER_SENT) {
		buf_addf(&w, "%s:%ld: %s", c->smtp_host, c->smtp_port,
			 it->reply);
		*where = buf_detach(&w, NULL);
		ret = 0;
	} else if (r < 0 || it->outcome == DELIVER_PENDING) {
		if (eb->kind == ERRBUF_UNKNOWN)
			errbuf_kind(eb, r == -2 ? ERRBUF_PROTOCOL
						: ERRBUF_TEMP);
	} else {
		errbuf_setk(eb,
			    it->outcome == DELIVER_FAILED ? ERRBUF_REFUSED
							  : ERRBUF_TEMP,
			    "%s: %s", it->attempted ? "DATA" : "RCPT",
			    it->outcome == DELIVER_IN_DOUBT
				    ? "the connection was lost after the data"
				    : it->reply);
	}
	deliver_smtp_free(smtp);
	buf_release(&w);
	return ret;
}
