/* internal.h - what the files of src/alert share (queue.c's helpers). */
#ifndef AR_ALERT_INTERNAL_H
#define AR_ALERT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct config;
struct store;

#define AQ_PATH_MAX	4096

/* The alert directory, locked while open. */
struct aq {
	char aq_dir[AQ_PATH_MAX - 512];
	int aq_fd;		/* the lock file */
};

int aq_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int aq_open(struct aq *, const struct config *, char *err, size_t errlen);
void aq_close(struct aq *);
int aq_write(const struct aq *, const char *sub, const char *name,
    const void *data, size_t len, char *err, size_t errlen);
int aq_write_json(const struct aq *, const char *sub, const char *name,
    const json_t *v, char *err, size_t errlen);
json_t *aq_read_json(const struct aq *, const char *sub, const char *name);
const char *aq_path(const struct aq *, const char *sub, const char *name);
long aq_list(const struct aq *, const char *sub, const char *suffix,
    char ***names, char *err, size_t errlen);
void aq_names_free(char **names, size_t n);
const char *aq_throttle_name(const char *alert);
void aq_task_log(struct store *, const char *id, const char *level,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A mail to write (mail.c). Everything is borrowed. */
struct alert_mail {
	const char *am_id;		/* the delivery id: Message-ID */
	const char *am_from;
	const char *const *am_to;
	size_t am_nto;
	const char *am_subject;		/* UTF-8, encoded when not ASCII */
	const char *am_text;		/* the text part, UTF-8 */
	int64_t am_date;		/* ms */
	FILE *am_att;			/* the attachment's bytes, or NULL */
	const char *am_att_base;	/* its file name without extension */
	int am_att_xlsx;		/* xlsx, else csv */
};

/*
 * Writes the MIME message m as file name of the deliveries directory
 * (atomically, synced). Returns 0 or -1 with the reason.
 */
int alert_mail_write(const struct aq *, const char *name,
    const struct alert_mail *m, char *err, size_t errlen);

#endif
