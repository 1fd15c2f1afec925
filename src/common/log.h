/* log.h - diagnostics of the programs themselves (not task logs). */
#ifndef AR_LOG_H
#define AR_LOG_H

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Sets the program name printed in front of each line and the threshold. */
void log_init(const char *progname, enum log_level min);
/* Parses "debug|info|warn|error"; returns -1 when unknown. */
int log_level_parse(const char *s);
/* Writes one line "progname[pid]: LEVEL: message" to stderr. */
void log_msg(enum log_level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif
