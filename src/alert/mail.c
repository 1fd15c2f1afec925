/* mail.c - alert mail: the MIME message, and the sendmail command it is
 * piped to. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert.h"
#include "alert/internal.h"
#include "common/buf.h"

/* Base64 lines of an attachment: 76 characters (RFC 2045). */
#define MAIL_B64_LINE 57

/* Appends the base64 of len bytes at p to b. Returns 0 or -1. */
static int
mail_b64(struct buf *b, const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		if (buf_append(b, q, 4) == -1)
			return -1;
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		if (buf_append(b, q, 4) == -1)
			return -1;
	}
	return 0;
}

/* Returns 1 when s is printable ASCII. */
static int
mail_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Appends header text s, as an RFC 2047 word when not ASCII. */
static int
mail_header_text(struct buf *b, const char *s)
{
	if (mail_ascii(s))
		return buf_puts(b, s);
	return buf_puts(b, "=?UTF-8?B?") == -1 ||
	    mail_b64(b, (const unsigned char *)s, strlen(s)) == -1 ||
	    buf_puts(b, "?=") == -1 ? -1 : 0;
}

/* Appends the text part with CRLF line ends. */
static int
mail_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' && buf_putc(b, '\r') == -1)
			return -1;
		if (*s != '\r' && buf_putc(b, *s) == -1)
			return -1;
	}
	return 0;
}

int
alert_mail_write(const struct aq *q, const char *name,
    const struct alert_mail *m, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	unsigned char chunk[MAIL_B64_LINE];
	char date[64];
	struct tm tm;
	time_t secs = (time_t)(m->am_date / 1000);
	size_t i, n;
	int rc;

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (buf_printf(&b, "From: %s\r\nTo: ", m->am_from) == -1)
		goto oom;
	for (i = 0; i < m->am_nto; i++)
		if (buf_printf(&b, "%s%s", i ? ", " : "", m->am_to[i]) == -1)
			goto oom;
	if (buf_puts(&b, "\r\nSubject: ") == -1 ||
	    mail_header_text(&b, m->am_subject) == -1 ||
	    buf_printf(&b, "\r\nDate: %s\r\nMessage-ID: <%s@asyncreq>\r\n"
	    "X-Asyncreq-Delivery: %s\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"=_asyncreq_%s\"\r\n"
	    "\r\nThis is a MIME message.\r\n\r\n--=_asyncreq_%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n", date, m->am_id,
	    m->am_id, m->am_id, m->am_id) == -1 ||
	    mail_text(&b, m->am_text) == -1)
		goto oom;
	if (m->am_att != NULL) {
		if (buf_printf(&b, "\r\n--=_asyncreq_%s\r\nContent-Type: %s; "
		    "name=\"%s.%s\"\r\nContent-Disposition: attachment; "
		    "filename=\"%s.%s\"\r\nContent-Transfer-Encoding: base64"
		    "\r\n\r\n", m->am_id, m->am_att_xlsx ?
		    "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet" : "text/csv; charset=utf-8",
		    m->am_att_base, m->am_att_xlsx ? "xlsx" : "csv",
		    m->am_att_base, m->am_att_xlsx ? "xlsx" : "csv") == -1)
			goto oom;
		rewind(m->am_att);
		while ((n = fread(chunk, 1, sizeof(chunk), m->am_att)) > 0)
			if (mail_b64(&b, chunk, n) == -1 ||
			    buf_puts(&b, "\r\n") == -1)
				goto oom;
		if (ferror(m->am_att)) {
			buf_free(&b);
			return aq_fail(err, errlen, "reading the attachment "
			    "failed");
		}
	}
	if (buf_printf(&b, "\r\n--=_asyncreq_%s--\r\n", m->am_id) == -1)
		goto oom;
	rc = aq_write(q, "deliveries", name, b.b_data, b.b_len, err, errlen);
	buf_free(&b);
	return rc;
oom:
	buf_free(&b);
	return aq_fail(err, errlen, "out of memory");
}

int
alert_sendmail(const char *cmd, const char *path, int timeout_s, char *err,
    size_t errlen)
{
	struct timespec nap = {0, 20 * 1000 * 1000};
	int fd, status, waited = 0;
	pid_t pid, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return aq_fail(err, errlen, "open %s: %s", path,
		    strerror(errno));
	if ((pid = fork()) == -1) {
		close(fd);
		return aq_fail(err, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		if (dup2(fd, 0) == -1)
			_exit(127);
		/* Its output goes to our standard error, for the logs. */
		if (dup2(2, 1) == -1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd);
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return aq_fail(err, errlen, "waitpid: %s",
			    strerror(errno));
		if (waited >= timeout_s * 50) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return aq_fail(err, errlen, "sendmail killed after "
			    "%d s", timeout_s);
		}
		nanosleep(&nap, NULL);
		waited++;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return aq_fail(err, errlen, "sendmail exit status %d",
		    WEXITSTATUS(status));
	return aq_fail(err, errlen, "sendmail killed by signal %d",
	    WTERMSIG(status));
}
