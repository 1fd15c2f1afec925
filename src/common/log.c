/* log.c - diagnostics of the programs themselves, one line each, to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_prog = "asyncreq";
static enum log_level log_min = LOG_LVL_INFO;
static const char *const log_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void
log_init(const char *progname, enum log_level min)
{
	log_prog = progname;
	log_min = min;
}

int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, log_names[i]) == 0 ||
		    (i == 2 && strcasecmp(s, "warning") == 0))
			return i;
	return -1;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (lvl < log_min)
		return;
	n = snprintf(line, sizeof(line), "%s[%d]: %s: ", log_prog,
	    (int)getpid(), log_names[lvl]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	/* One write per line so lines of concurrent processes do not mix. */
	(void)!write(STDERR_FILENO, line, strlen(line));
}
