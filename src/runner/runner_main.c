/* runner_main.c - asyncreq-runner: options, configuration, singleton lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "runner/runner.h"

static void
usage(void)
{
	fprintf(stderr, "usage: asyncreq-runner [-c CONF]\n");
}

/*
 * Takes the write lock on STORAGE/runner.lock (POSIX record lock: it is not
 * inherited by executors and goes away with the process). Returns the fd,
 * or -1 after printing why (another runner, or an I/O error).
 */
static int
runner_lock(const struct config *cfg)
{
	struct flock fl;
	char path[4200], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/runner.lock", cfg->storage_path);
	(void)mkdir(cfg->storage_path, 0700);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			log_error("another runner (pid %d) is running on %s",
			    (int)fl.l_pid, cfg->storage_path);
		else
			log_error("cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, pid, strlen(pid)) == -1)
		log_warn("cannot write the pid to %s", path);
	return fd;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	const char *conf = NULL;
	char err[1024];
	int lock_fd, rc;

	log_init("asyncreq-runner", LOG_LVL_INFO);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	config_defaults(&cfg);
	if (config_load(&cfg, conf ? conf : config_default_path(), err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return 1;
	}
	log_init("asyncreq-runner", (enum log_level)log_level_parse(
	    cfg.log_level));
	if ((lock_fd = runner_lock(&cfg)) == -1) {
		config_free(&cfg);
		return 1;
	}
	rc = supervisor_run(&cfg, lock_fd);
	close(lock_fd);
	config_free(&cfg);
	return rc;
}
