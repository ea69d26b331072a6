/*
 * libFuzzer target for http: each input is the raw bytes a client sends
 * on one connection (request line, headers, a urlencoded or multipart
 * body, pipelined requests...), written to a real server on loopback.
 * The handler reads every string it is handed, so a dangling or
 * unterminated one is caught by ASan.
 *
 * Each connection comes from its own loopback address (127.x.y.z), so the
 * per-address limits and TIME_WAIT never see the same client twice.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_server *srv;
static uint32_t next_client;

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static void handle(void *ctx, const struct http_request *req,
		   struct http_reply *reply)
{
	size_t n = touch(req->method) + touch(req->path) + touch(req->s) +
		   touch(req->t) + touch(req->client);

	if (n > 4 * HTTP_MAX_PARAM + 64)
		abort(); /* longer than the limits allow */
	reply->status = req->one_click ? 200 : 403;
	buf_addf(&reply->body, "<p>%zu %s</p>", n, req->s ? req->s : "-");
}

static void start(void)
{
	static const char *const paths[] = { "/unsubscribe", "/resubscribe",
					     NULL };
	struct errbuf eb = ERRBUF_INIT;
	struct http_config cfg;

	http_config_init(&cfg);
	cfg.paths = paths;
	cfg.port = 0;
	cfg.timeout = 2;
	cfg.rate_per_minute = 0;
	if (http_start(&cfg, handle, NULL, &srv, &eb) < 0) {
		fprintf(stderr, "fuzz_http: %s\n", eb.msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in a;
	struct timeval tv = { 3, 0 };
	char reply[4096];
	uint32_t host;
	int fd;

	if (!srv)
		start();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* 127.0.0.2 .. 127.255.255.254, never 127.0.0.1 */
	host = 0x7f000002u + next_client++ % 0x00fffff0u;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(host);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto out;
	a.sin_port = htons((uint16_t)http_port(srv));
	a.sin_addr.s_addr = htonl(0x7f000001u);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto out;
	if (size)
		(void)send(fd, data, size, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	while (recv(fd, reply, sizeof(reply), 0) > 0)
		;
out:
	close(fd);
	return 0;
}
