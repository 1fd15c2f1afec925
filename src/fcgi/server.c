/* server.c - listening sockets, the worker loop and the pre-fork master. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "common/config.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "fcgi/server.h"

#define MAX_WORKERS 256

int
server_listen(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_un sun;
	struct stat sb;
	char host[256];
	const char *colon;
	int fd = -1, one = 1, rc;

	if (strncmp(spec, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(spec + 5) >= sizeof(sun.sun_path) || spec[5] == '\0') {
			snprintf(err, errlen, "socket path '%s' is empty or too "
			    "long", spec + 5);
			return -1;
		}
		strcpy(sun.sun_path, spec + 5);
		if (lstat(sun.sun_path, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(sun.sun_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(sun.sun_path, 0660) == -1 || listen(fd, 1024) == -1) {
			snprintf(err, errlen, "cannot listen on %s: %s", spec,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		return fd;
	}
	if ((colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(err, errlen, "listen address '%s' is neither "
		    "unix:PATH nor HOST:PORT", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(*host ? host : NULL, colon + 1, &hints,
	    &res)) != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static volatile sig_atomic_t worker_stop;

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	/* Makes libfcgi's accept() give up instead of retrying. */
	FCGX_ShutdownPending();
}

int
server_worker(const struct config *cfg, int fd, long max_requests)
{
	struct sigaction sa;
	FCGX_Request freq;
	struct app ap;
	struct req r;
	char err[512];
	long served = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;	/* no SA_RESTART: accept returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	if (app_open(&ap, cfg, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&freq, fd, 0) != 0) {
		log_error("cannot initialise libfcgi");
		app_close(&ap);
		return 1;
	}
	while (!worker_stop && (max_requests <= 0 || served < max_requests)) {
		if (FCGX_Accept_r(&freq) < 0)
			break;
		served++;
		if (req_init(&r, &freq) == 0)
			handle_request(&ap, &r);
		else
			FCGX_FPrintF(freq.out, "Status: 500 Internal Server "
			    "Error\r\nContent-Type: application/json; "
			    "charset=utf-8\r\n\r\n{\"error\":{\"type\":"
			    "\"internal_error\",\"reason\":\"out of memory\"},"
			    "\"status\":500}");
		req_free(&r);
		FCGX_Finish_r(&freq);
	}
	FCGX_Free(&freq, 0);
	app_close(&ap);
	return 0;
}

static volatile sig_atomic_t master_stop, master_reload, master_child;

static void
master_on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		master_stop = 1;
	else if (sig == SIGHUP)
		master_reload = 1;
	else if (sig == SIGCHLD)
		master_child = 1;
}

/*
 * Forks one worker. Returns its pid, or -1. A worker must not outlive the
 * master (a supervisor restarting the master would find the storage held
 * by orphans that serve a socket nobody connects to): the kernel sends it
 * SIGTERM when the master dies (PR_SET_PDEATHSIG), and it exits at once
 * when the master died before that was set up (getppid() is no longer the
 * master). SIGTERM stays blocked until then; its disposition is the
 * default one (terminate) until server_worker() installs the handler that
 * lets an in-flight request finish.
 */
static pid_t
master_spawn(const struct config *cfg, int fd)
{
	struct sigaction sa;
	sigset_t none;
	pid_t master = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("worker %d: PR_SET_PDEATHSIG: %s", (int)getpid(),
		    strerror(errno));
	if (getppid() != master)
		_exit(0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_exit(server_worker(cfg, fd, (long)cfg->http_max_requests_per_worker));
}

int
server_master(const char *conf_path, struct config *cfg, int fd,
    long workers_override)
{
	pid_t pids[MAX_WORKERS], pid;
	int64_t born[MAX_WORKERS];
	struct sigaction sa;
	sigset_t block, old;
	long n;
	int status;
	char err[1024];

	n = workers_override > 0 ? workers_override : (long)cfg->http_workers;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);

	for (long i = 0; i < n; i++) {
		pids[i] = master_spawn(cfg, fd);
		born[i] = time_mono_ms();
	}
	log_info("serving with %ld workers", n);
	while (!master_stop) {
		sigsuspend(&old);
		if (master_reload) {
			struct config fresh;

			master_reload = 0;
			config_defaults(&fresh);
			if (config_load(&fresh, conf_path, err, sizeof(err)) ==
			    -1) {
				log_error("reload failed, keeping the running "
				    "configuration: %s", err);
				config_free(&fresh);
			} else {
				config_free(cfg);
				*cfg = fresh;
				log_info("configuration reloaded; restarting "
				    "workers");
				/* Old workers finish their request and exit;
				 * the loop below respawns them with the new
				 * configuration. */
				for (long i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGTERM);
			}
		}
		master_child = 0;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (long i = 0; i < n; i++) {
				if (pids[i] != pid)
					continue;
				if (WIFSIGNALED(status) &&
				    WTERMSIG(status) != SIGTERM)
					log_warn("worker %d died (signal %d); "
					    "respawning", (int)pid,
					    WTERMSIG(status));
				pids[i] = -1;
				if (master_stop)
					break;
				/* A worker that dies at once must not turn
				 * into a fork storm. */
				if (time_mono_ms() - born[i] < 1000)
					usleep(200000);
				pids[i] = master_spawn(cfg, fd);
				born[i] = time_mono_ms();
			}
		}
	}
	/* Graceful stop: workers finish in-flight requests. */
	for (long i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		;
	log_info("stopped");
	return 0;
}
