/* runner.h - the runner: supervisor of executor processes, one per task. */
#ifndef AR_RUNNER_H
#define AR_RUNNER_H

#include <stdint.h>

struct config;
struct store;
struct task;

/*
 * Runs the supervisor loop until SIGTERM/SIGINT (or idle exit). The caller
 * holds the runner lock. Returns the process exit status.
 */
int supervisor_run(const struct config *cfg, int lock_fd);

/*
 * In a freshly forked child: runs task t (claimed under t->t_token) to its
 * end and records the outcome. Never returns; exits the process.
 */
void executor_main(const struct config *cfg, const struct task *t)
    __attribute__((noreturn));

#endif
