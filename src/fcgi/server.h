/* server.h - listening sockets, the worker loop and the pre-fork master. */
#ifndef AR_SERVER_H
#define AR_SERVER_H

#include <stddef.h>

struct config;

/*
 * Binds spec ("unix:/path" or "HOST:PORT") and listens. A unix socket file
 * left by an earlier run is replaced; the new one gets mode 0660.
 * Returns the fd, or -1 with a reason in err.
 */
int server_listen(const char *spec, char *err, size_t errlen);

/*
 * Serves FastCGI requests on fd in this process until SIGTERM or, when
 * max_requests > 0, that many requests. Returns the exit status.
 */
int server_worker(const struct config *cfg, int fd, long max_requests);

/*
 * Runs the pre-fork master: keeps cfg->http_workers workers serving fd,
 * respawns dead ones, reloads conf_path and restarts workers on SIGHUP,
 * stops gracefully on SIGTERM. cfg is replaced on reload (the master owns
 * it). Returns the exit status.
 */
int server_master(const char *conf_path, struct config *cfg, int fd,
    long workers_override);

#endif
