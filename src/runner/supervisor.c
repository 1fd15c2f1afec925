/* supervisor.c - claims queued tasks, forks executors, enforces limits. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "runner/runner.h"
#include "store/store.h"

#define CANCEL_GRACE_MS 2000	/* then a stuck executor is killed */
#define STOP_GRACE_MS 5000	/* SIGTERM to SIGKILL on shutdown */

/* One running executor. */
struct child {
	pid_t c_pid;
	char c_id[TASK_ID_LEN + 1];
	uint64_t c_token;
	int64_t c_started;	/* monotonic ms */
};

static volatile sig_atomic_t sup_stop;

static void
sup_on_term(int sig)
{
	(void)sig;
	sup_stop = 1;
}

static void
sup_on_chld(int sig)
{
	(void)sig;	/* only interrupts poll() */
}

/*
 * Binds the wake-up socket STORAGE/runner.sock (responders send a datagram
 * after a create or a break). Returns the fd, or -1: the runner then only
 * polls, which costs latency, not correctness.
 */
static int
sup_wake_socket(const struct config *cfg)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/runner.sock",
	    cfg->storage_path) >= (int)sizeof(sun.sun_path)) {
		log_warn("storage.path is too long for a socket path; "
		    "the runner will only poll");
		return -1;
	}
	unlink(sun.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("cannot bind %s: %s; the runner will only poll",
		    sun.sun_path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Describes how an executor ended, for the task's error. */
static void
sup_exit_reason(int status, char *out, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "executor died: killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "executor died: exited with status %d",
		    WEXITSTATUS(status));
}

/* Reaps ended executors; a task still RUNNING under its token is failed. */
static void
sup_reap(struct store *st, struct child *kids, int *nkids)
{
	char why[160];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < *nkids; i++) {
			if (kids[i].c_pid != pid)
				continue;
			sup_exit_reason(status, why, sizeof(why));
			if (store_task_finish(st, kids[i].c_id,
			    kids[i].c_token, TASK_FAILED, why, "ERROR",
			    why) == AR_OK)
				log_warn("task %s: %s", kids[i].c_id, why);
			kids[i] = kids[--*nkids];
			break;
		}
	}
}

/*
 * Enforces limits.max_runtime_seconds and the break backstop: the task is
 * ended first (so the executor can write nothing more), then killed.
 */
static void
sup_limits(const struct config *cfg, struct store *st, struct child *kids,
    int nkids)
{
	int64_t now = time_mono_ms(), wall = time_now_ms();
	char why[160];
	struct task t;

	for (int i = 0; i < nkids; i++) {
		if (now - kids[i].c_started >
		    cfg->limits_max_runtime_seconds * 1000) {
			snprintf(why, sizeof(why), "the task ran longer than "
			    "limits.max_runtime_seconds (%lld s)",
			    (long long)cfg->limits_max_runtime_seconds);
			store_task_finish(st, kids[i].c_id, kids[i].c_token,
			    TASK_FAILED, why, "ERROR", why);
			kill(kids[i].c_pid, SIGKILL);
			continue;
		}
		if (store_task_get(st, kids[i].c_id, &t) != AR_OK)
			continue;	/* deleted: its executor stops itself */
		if (t.t_cancel && wall - t.t_cancel_at > CANCEL_GRACE_MS &&
		    store_task_finish(st, kids[i].c_id, kids[i].c_token,
		    TASK_CANCELLED, "cancelled by the user", "WARN",
		    "the executor did not stop in time and was killed") ==
		    AR_OK)
			kill(kids[i].c_pid, SIGKILL);
		task_clear(&t);
	}
}

/*
 * Claims and starts tasks while there is room. store_task_claim picks
 * fairly across users and passes over users at runner.max_running_per_user,
 * so AR_ENOTFOUND may leave slots free while tasks are QUEUED; the next
 * wake-up or poll (a finished executor frees a user's slot) tries again.
 */
static void
sup_claim(const struct config *cfg, struct store *st, struct child *kids,
    int *nkids, int lock_fd, int wake_fd)
{
	static uint64_t seq;
	struct task t;
	uint64_t token;
	pid_t pid;

	while (*nkids < cfg->runner_max_concurrent && !sup_stop) {
		token = ((uint64_t)time_now_ms() << 12 | (++seq & 0xfff)) &
		    0x3fffffffffffffffULL;
		if (store_task_claim(st, token, (int)getpid(), &t) != AR_OK)
			return;
		pid = fork();
		if (pid == 0) {
			/* The lock and the socket stay with the runner. */
			close(lock_fd);
			if (wake_fd != -1)
				close(wake_fd);
			executor_main(cfg, &t);
		}
		if (pid == -1) {
			char why[128];

			snprintf(why, sizeof(why), "cannot start an executor: %s",
			    strerror(errno));
			store_task_finish(st, t.t_id, token, TASK_FAILED, why,
			    "ERROR", why);
			task_clear(&t);
			return;
		}
		kids[*nkids].c_pid = pid;
		memcpy(kids[*nkids].c_id, t.t_id, sizeof(t.t_id));
		kids[*nkids].c_token = token;
		kids[*nkids].c_started = time_mono_ms();
		(*nkids)++;
		log_info("task %s: started executor pid %d", t.t_id, (int)pid);
		task_clear(&t);
	}
}

/* Stops every executor: SIGTERM, then SIGKILL after a grace period. */
static void
sup_shutdown(struct store *st, struct child *kids, int *nkids)
{
	int64_t deadline = time_mono_ms() + STOP_GRACE_MS;

	for (int i = 0; i < *nkids; i++)
		kill(kids[i].c_pid, SIGTERM);
	while (*nkids > 0 && time_mono_ms() < deadline) {
		sup_reap(st, kids, nkids);
		if (*nkids > 0)
			usleep(20000);
	}
	for (int i = 0; i < *nkids; i++) {
		store_task_finish(st, kids[i].c_id, kids[i].c_token,
		    TASK_FAILED, "interrupted: the runner was stopped", "ERROR",
		    "interrupted: the runner was stopped");
		kill(kids[i].c_pid, SIGKILL);
	}
	while (*nkids > 0 && waitpid(-1, NULL, 0) > 0)
		(*nkids)--;
}

int
supervisor_run(const struct config *cfg, int lock_fd)
{
	struct child *kids;
	struct store *st;
	struct sigaction sa;
	struct pollfd pfd;
	char err[512], dgram[64];
	int nkids = 0, wake_fd, n;
	int64_t last_sweep = 0, last_check = 0, last_isweep = 0, idle_since;
	int iret_left = 0, nsched;
	uint64_t queued, running;

	if (store_open(&st, cfg, err, sizeof(err)) != AR_OK) {
		log_error("%s", err);
		return 1;
	}
	if ((kids = calloc((size_t)cfg->runner_max_concurrent,
	    sizeof(*kids))) == NULL) {
		store_close(st);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sup_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = sup_on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);	/* nothing to reload: restart me */

	store_reader_check(st);
	n = store_recover(st, "the runner stopped while the task was running; "
	    "results written so far are kept");
	if (n > 0)
		log_warn("failed %d task(s) left RUNNING by a previous runner", n);
	if (store_fair_rebuild(st) != AR_OK)
		log_warn("cannot rebuild the users' turns: %s; tasks are "
		    "claimed with the turns as they are", store_error());
	if ((n = store_purge_orphans(st)) > 0)
		log_warn("purged the result pages of %d deleted task(s)", n);
	wake_fd = sup_wake_socket(cfg);
	(void)scheduler_init(cfg);
	log_info("runner started (pid %d, storage %s, max_concurrent %lld, "
	    "max_running_per_user %lld)", (int)getpid(), cfg->storage_path,
	    (long long)cfg->runner_max_concurrent,
	    (long long)config_running_per_user(cfg));
	idle_since = time_mono_ms();
	while (!sup_stop) {
		int64_t now = time_mono_ms();

		sup_reap(st, kids, &nkids);
		sup_limits(cfg, st, kids, nkids);
		sup_claim(cfg, st, kids, &nkids, lock_fd, wake_fd);
		/* Saved searches: a run due is queued, then claimed at once. */
		if ((nsched = scheduler_tick(cfg, st)) > 0)
			sup_claim(cfg, st, kids, &nkids, lock_fd, wake_fd);
		if (now - last_check >= 1000) {
			store_reader_check(st);
			last_check = now;
		}
		if (now - last_sweep >= cfg->retention_sweep_seconds * 1000) {
			n = store_expire(st, time_now_ms(), 1000);
			if (n > 0)
				log_info("deleted %d expired task(s)", n);
			last_sweep = now;
		}
		/* Index retention: again at once while work is left. */
		if (iret_left || now - last_isweep >=
		    cfg->retention_index_sweep_seconds * 1000) {
			iret_left = index_retention_sweep(cfg, 500) == 1;
			last_isweep = now;
		}
		if (nkids > 0 || nsched > 0 || (store_queue_counts(st,
		    &queued, &running) == AR_OK && queued > 0))
			idle_since = now;
		else if (cfg->runner_idle_exit_seconds > 0 &&
		    now - idle_since >= cfg->runner_idle_exit_seconds * 1000) {
			log_info("idle for %lld s; exiting",
			    (long long)cfg->runner_idle_exit_seconds);
			break;
		}
		/* Sleep until woken, or poll_ms (shorter while executors run,
		 * to enforce limits and reap promptly). */
		pfd.fd = wake_fd;
		pfd.events = POLLIN;
		n = poll(&pfd, wake_fd == -1 ? 0 : 1, nkids > 0 &&
		    cfg->runner_poll_ms > 100 ? 100 : (int)cfg->runner_poll_ms);
		if (n > 0)
			while (recv(wake_fd, dgram, sizeof(dgram), 0) > 0)
				;
	}
	sup_shutdown(st, kids, &nkids);
	scheduler_close();
	if (wake_fd != -1)
		close(wake_fd);
	free(kids);
	store_close(st);
	log_info("runner stopped");
	return 0;
}
