/* fcgi_main.c - asyncreq-fcgi: options, the listening socket, start. */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "fcgi/server.h"

static void
usage(void)
{
	fprintf(stderr, "usage: asyncreq-fcgi [-c CONF] "
	    "[--listen unix:PATH | --listen HOST:PORT] [--workers N] "
	    "[--nice N]\n");
}

/*
 * Lowers this process's CPU priority by n (1..19) before it forks its
 * workers: its nice value, which the workers inherit, and, when it leads
 * its session, the nice value of the session's autogroup (Linux shares
 * the CPU between sessions first and by nice value only within one, so
 * the nice value alone would not yield to a search in the runner's
 * session). For a pool that serves only ingest, so that searches keep
 * the CPU while logs flow in. Returns 0, or -1 with the reason logged.
 */
static int
fcgi_nice(int n)
{
	FILE *fp;
	int cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (cur == -1 && errno != 0) {
		log_error("--nice: getpriority: %s", strerror(errno));
		return -1;
	}
	if (setpriority(PRIO_PROCESS, 0, cur + n > 19 ? 19 : cur + n) == -1) {
		log_error("--nice: setpriority: %s", strerror(errno));
		return -1;
	}
	if (getsid(0) != getpid()) {
		log_info("--nice %d: the nice value only: this process does "
		    "not lead its session, whose autogroup it shares", n);
		return 0;
	}
	/* A kernel without autogroups has no such file: nothing to do. */
	if ((fp = fopen("/proc/self/autogroup", "w")) == NULL) {
		if (errno != ENOENT)
			log_info("--nice %d: /proc/self/autogroup: %s", n,
			    strerror(errno));
		return 0;
	}
	if (fprintf(fp, "%d", n) < 0 || fclose(fp) == EOF)
		log_info("--nice %d: cannot set the autogroup's nice value: "
		    "%s", n, strerror(errno));
	return 0;
}

/*
 * Returns the socket systemd passed (LISTEN_FDS for this pid), or -1.
 */
static int
systemd_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int64_t p, n;

	if (pid == NULL || fds == NULL ||
	    util_parse_i64(pid, 1, INT32_MAX, &p) == -1 ||
	    util_parse_i64(fds, 1, 64, &n) == -1 || p != (int64_t)getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	return 3;
}

/* Returns 1 when fd is a listening socket. */
static int
is_listening_socket(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	const char *conf = NULL, *listen_spec = NULL;
	char err[1024];
	int64_t workers = 0, nice = 0;
	int fd, rc, inherited = 0;

	log_init("asyncreq-fcgi", LOG_LVL_INFO);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_spec = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			if (util_parse_i64(argv[++i], 1, 256, &workers) == -1) {
				fprintf(stderr, "asyncreq-fcgi: --workers must "
				    "be 1..256\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--nice") == 0 && i + 1 < argc) {
			if (util_parse_i64(argv[++i], 0, 19, &nice) == -1) {
				fprintf(stderr, "asyncreq-fcgi: --nice must "
				    "be 0..19\n");
				return 2;
			}
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (conf == NULL)
		conf = config_default_path();
	config_defaults(&cfg);
	if (config_load(&cfg, conf, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return 1;
	}
	log_init("asyncreq-fcgi", (enum log_level)log_level_parse(
	    cfg.log_level));
	if (nice > 0 && fcgi_nice((int)nice) == -1) {
		config_free(&cfg);
		return 1;
	}
	if (listen_spec == NULL && cfg.http_listen[0] != '\0')
		listen_spec = cfg.http_listen;
	if (listen_spec) {
		if ((fd = server_listen(listen_spec, err, sizeof(err))) == -1) {
			log_error("%s", err);
			config_free(&cfg);
			return 1;
		}
	} else if ((fd = systemd_socket()) != -1) {
		inherited = 1;
	} else if (is_listening_socket(0)) {
		fd = 0;
		inherited = 1;
	} else {
		log_error("no socket: standard input is not a listening "
		    "socket; use --listen unix:PATH or HOST:PORT, or start me "
		    "from a web server, spawn-fcgi or systemd");
		config_free(&cfg);
		return 2;
	}
	/* An inherited socket is served by this one process unless
	 * --workers asks for a master; --listen always uses one. */
	if (inherited && workers == 0)
		rc = server_worker(&cfg, fd, 0);
	else
		rc = server_master(conf, &cfg, fd, (long)workers);
	config_free(&cfg);
	return rc;
}
