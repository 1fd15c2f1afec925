/*
 * fcgi_fixed.c - the smallest useful FastCGI responder, for benchmarks.
 *
 * Answers every request with one fixed JSON body, with the same headers
 * asyncreq-fcgi sends for a JSON answer:
 *
 *   Status: 200 OK
 *   Content-Type: application/json; charset=utf-8
 *   Cache-Control: no-store
 *   Content-Length: N
 *
 * It does no routing, no parsing and no I/O besides libfcgi's, so the rate
 * it reaches behind a web server is the ceiling that the web server, libfcgi
 * and the machine allow. bench/api compares asyncreq-fcgi with it under
 * the same conditions: same web server configuration, same socket kind,
 * same number of pre-forked workers, same body.
 *
 * Usage:
 *   fcgi_fixed --listen unix:PATH [--workers N] (--body-file FILE | --body TEXT)
 *
 * The master listens on the unix socket (mode 0660), forks N workers (default
 * 1) that each run an FCGX_Accept_r loop on it, respawns a worker that dies,
 * and on SIGTERM or SIGINT stops the workers, removes the socket and exits.
 *
 * Build: cc -O2 bench/fcgi_fixed.c -o fcgi_fixed $(pkg-config --cflags --libs fcgi)
 * (Debian: libfcgi-dev; when pkg-config knows no "fcgi", use -lfcgi).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <fcgiapp.h>

#define MAX_WORKERS 256

static char *response;		/* headers and body, ready to send */
static int response_len;

static volatile sig_atomic_t stop_flag;

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi_fixed --listen unix:PATH [--workers N] "
	    "(--body-file FILE | --body TEXT)\n");
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL, *p;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(data, cap)) == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*lenp = len;
	return data;
}

static int
build_response(const char *body, size_t body_len)
{
	char hdr[256];
	int hl;

	hl = snprintf(hdr, sizeof(hdr), "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n\r\n", body_len);
	if (hl < 0 || (size_t)hl >= sizeof(hdr) ||
	    body_len > (size_t)(1 << 30))
		return -1;
	if ((response = malloc((size_t)hl + body_len)) == NULL)
		return -1;
	memcpy(response, hdr, (size_t)hl);
	memcpy(response + hl, body, body_len);
	response_len = hl + (int)body_len;
	return 0;
}

static int
listen_unix(const char *spec)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd;

	if (strncmp(spec, "unix:", 5) != 0 || spec[5] == '\0' ||
	    strlen(spec + 5) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "fcgi_fixed: --listen wants unix:PATH (a path "
		    "shorter than %zu bytes), got '%s'\n", sizeof(sun.sun_path),
		    spec);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, spec + 5);
	if (lstat(sun.sun_path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(sun.sun_path, 0660) == -1 || listen(fd, 1024) == -1) {
		fprintf(stderr, "fcgi_fixed: cannot listen on %s: %s\n", spec,
		    strerror(errno));
		return -1;
	}
	return fd;
}

static void
worker_on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
	FCGX_ShutdownPending();	/* libfcgi's accept gives up */
}

static int
worker(int fd)
{
	struct sigaction sa;
	FCGX_Request req;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;	/* no SA_RESTART: accept returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive the master */
#endif
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, 0) != 0) {
		fprintf(stderr, "fcgi_fixed: cannot initialise libfcgi\n");
		return 1;
	}
	while (!stop_flag && FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(response, response_len, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 0);
	return 0;
}

static pid_t
spawn(int fd)
{
	sigset_t none;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_exit(worker(fd));
}

static void
master_on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
master_on_child(int sig)
{
	(void)sig;
}

int
main(int argc, char **argv)
{
	const char *listen_spec = NULL, *body_file = NULL, *body_text = NULL;
	pid_t pids[MAX_WORKERS], pid;
	struct sigaction sa;
	sigset_t block, old;
	char *body, *end;
	size_t body_len;
	long workers = 1;
	int fd, status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_spec = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			errno = 0;
			workers = strtol(argv[++i], &end, 10);
			if (errno || *end || workers < 1 ||
			    workers > MAX_WORKERS) {
				fprintf(stderr, "fcgi_fixed: --workers must be "
				    "1..%d\n", MAX_WORKERS);
				return 2;
			}
		} else if (strcmp(argv[i], "--body-file") == 0 && i + 1 < argc)
			body_file = argv[++i];
		else if (strcmp(argv[i], "--body") == 0 && i + 1 < argc)
			body_text = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (listen_spec == NULL || (body_file == NULL) == (body_text == NULL)) {
		usage();
		return 2;
	}
	if (body_file) {
		if ((body = read_file(body_file, &body_len)) == NULL) {
			fprintf(stderr, "fcgi_fixed: cannot read %s: %s\n",
			    body_file, strerror(errno));
			return 1;
		}
	} else {
		body = (char *)body_text;
		body_len = strlen(body_text);
	}
	if (build_response(body, body_len) == -1) {
		fprintf(stderr, "fcgi_fixed: body too large or out of memory\n");
		return 1;
	}
	if ((fd = listen_unix(listen_spec)) == -1)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = master_on_child;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);

	for (long i = 0; i < workers; i++)
		pids[i] = spawn(fd);
	fprintf(stderr, "fcgi_fixed: %ld workers on %s, body %zu bytes\n",
	    workers, listen_spec, body_len);
	while (!stop_flag) {
		sigsuspend(&old);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (long i = 0; i < workers; i++) {
				if (pids[i] != pid)
					continue;
				fprintf(stderr, "fcgi_fixed: worker %d "
				    "exited (status 0x%x)%s\n", (int)pid,
				    status, stop_flag ? "" : "; respawning");
				pids[i] = -1;
				if (!stop_flag) {
					usleep(100000);
					pids[i] = spawn(fd);
				}
			}
		}
	}
	for (long i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		;
	unlink(listen_spec + 5);
	return 0;
}
