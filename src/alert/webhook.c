/* webhook.c - a small HTTP/1.1 client: one POST of a JSON document. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert.h"
#include "alert/internal.h"
#include "common/buf.h"
#include "common/timeutil.h"

/* The most of the answer read: the status line is all that counts. */
#define HOOK_ANSWER_MAX 4096

/* Milliseconds left before deadline (ms), at least 0. */
static int
hook_left(int64_t deadline)
{
	int64_t now = time_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/*
 * Splits an http:// url into host, port and path (the checks were made
 * by the spec). Returns 0 or -1.
 */
static int
hook_split(const char *url, char *host, size_t hostlen, char *port,
    size_t portlen, const char **path)
{
	const char *h = url + 7, *e, *c;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	e = h + strcspn(h, "/?#");
	c = memchr(h, ':', (size_t)(e - h));
	if ((size_t)((c ? c : e) - h) >= hostlen || (c && (size_t)(e - c) >
	    portlen))
		return -1;
	snprintf(host, hostlen, "%.*s", (int)((c ? c : e) - h), h);
	if (c)
		snprintf(port, portlen, "%.*s", (int)(e - c - 1), c + 1);
	else
		snprintf(port, portlen, "80");
	*path = *e == '/' ? e : "/";
	return 0;
}

/*
 * Connects to host:port before deadline. Returns the socket
 * (non-blocking) or -1 with the reason.
 */
static int
hook_connect(const char *host, const char *port, int64_t deadline,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, rc, soerr = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return aq_fail(err, errlen, "resolve %s: %s", host,
		    gai_strerror(rc));
	aq_fail(err, errlen, "connect: no address");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, hook_left(deadline));
			sl = sizeof(soerr);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &sl) == 0 && soerr == 0)
				break;
			if (rc == 0)
				aq_fail(err, errlen, "connect: timed out");
			else
				aq_fail(err, errlen, "connect: %s",
				    strerror(soerr ? soerr : errno));
		} else
			aq_fail(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Sends all of len bytes before deadline. Returns 0 or -1. */
static int
hook_send(int fd, const char *p, size_t len, int64_t deadline, char *err,
    size_t errlen)
{
	struct pollfd pfd = {fd, POLLOUT, 0};
	ssize_t n;

	while (len > 0) {
		if (poll(&pfd, 1, hook_left(deadline)) != 1)
			return aq_fail(err, errlen, "send: timed out");
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			return aq_fail(err, errlen, "send: %s",
			    strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
alert_webhook_post(const char *url, const char *id, const char *body,
    size_t len, int timeout_s, char *err, size_t errlen)
{
	char host[256], port[8], ans[HOOK_ANSWER_MAX + 1], *eol;
	const char *path;
	struct buf req = BUF_INIT;
	struct pollfd pfd;
	int64_t deadline = time_now_ms() + (int64_t)timeout_s * 1000;
	size_t got = 0;
	ssize_t n;
	int fd, status, rc = -1;

	if (hook_split(url, host, sizeof(host), port, sizeof(port),
	    &path) == -1)
		return aq_fail(err, errlen, "bad url");
	if ((fd = hook_connect(host, port, deadline, err, errlen)) == -1)
		return -1;
	if (buf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s%s%s\r\n"
	    "User-Agent: asyncreq-alert\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "X-Asyncreq-Delivery: %s\r\nConnection: close\r\n\r\n", path,
	    host, strcmp(port, "80") ? ":" : "", strcmp(port, "80") ? port :
	    "", len, id) == -1 || buf_append(&req, body, len) == -1) {
		aq_fail(err, errlen, "out of memory");
		goto out;
	}
	if (hook_send(fd, req.b_data, req.b_len, deadline, err, errlen) == -1)
		goto out;
	/* Read until the status line is whole (or the answer ends). */
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		ans[got] = '\0';
		if ((eol = strstr(ans, "\r\n")) != NULL ||
		    got == HOOK_ANSWER_MAX)
			break;
		if (poll(&pfd, 1, hook_left(deadline)) != 1) {
			aq_fail(err, errlen, "no answer: timed out");
			goto out;
		}
		n = recv(fd, ans + got, HOOK_ANSWER_MAX - got, 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			aq_fail(err, errlen, "recv: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (sscanf(ans, "HTTP/1.%*1[01] %3d", &status) != 1) {
		aq_fail(err, errlen, "not an HTTP answer");
		goto out;
	}
	if (status < 200 || status > 299) {
		aq_fail(err, errlen, "HTTP %d", status);
		goto out;
	}
	rc = 0;
out:
	buf_free(&req);
	close(fd);
	return rc;
}
