/* task_record.c - the task record: struct task <-> its JSON text in LMDB. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char *const state_names[] = {
	"QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED"
};
static const char *const cost_names[] = {"OFF", "INFO", "DEBUG"};

const char *
task_state_name(enum task_state s)
{
	return (unsigned)s < 5 ? state_names[s] : "UNKNOWN";
}

int
task_state_parse(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

int
task_state_final(enum task_state s)
{
	return s == TASK_DONE || s == TASK_FAILED || s == TASK_CANCELLED;
}

const char *
task_cost_name(enum cost_level c)
{
	return (unsigned)c < 3 ? cost_names[c] : "OFF";
}

void
task_clear(struct task *t)
{
	free(t->t_owner);
	free(t->t_query);
	free(t->t_dt_field);
	free(t->t_dt_start);
	free(t->t_dt_end);
	free(t->t_error);
	memset(t, 0, sizeof(*t));
}

/*
 * The record is private to the store: a fixed little header of numbers
 * followed by the strings, each as a u32 length and its bytes. Decoding is
 * a few copies, so a status request costs no JSON parse (the responder
 * builds the API's status object from struct task).
 */
#define REC_MAGIC 0x41525431u	/* "ART1" */

struct rec_head {
	uint32_t rh_magic;
	int32_t rh_state;
	int64_t rh_now, rh_range_start, rh_range_end;
	int32_t rh_calc_stats, rh_cost;
	int64_t rh_created, rh_started, rh_finished, rh_expires;
	double rh_progress;
	uint64_t rh_scanned, rh_results, rh_result_bytes, rh_pages;
	int32_t rh_cancel, rh_runner_pid;
	int64_t rh_cancel_at;
	uint64_t rh_token;
	int32_t rh_exec_pid, rh_has_error;
	uint32_t rh_log_lines, rh_log_dropped;
	char rh_id[TASK_ID_LEN + 2];
};

/* Appends a u32 length and the bytes of s (NULL: empty). */
static char *
rec_put_str(char *p, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : 0;

	memcpy(p, &n, 4);
	if (n)
		memcpy(p + 4, s, n);
	return p + 4 + n;
}

char *
task_record_encode(const struct task *t, size_t *len)
{
	const char *strs[6] = {t->t_owner, t->t_query, t->t_dt_field,
	    t->t_dt_start, t->t_dt_end, t->t_error};
	struct rec_head h;
	size_t n = sizeof(h);
	char *buf, *p;

	memset(&h, 0, sizeof(h));
	h.rh_magic = REC_MAGIC;
	h.rh_state = (int32_t)t->t_state;
	h.rh_now = t->t_now;
	h.rh_range_start = t->t_range_start;
	h.rh_range_end = t->t_range_end;
	h.rh_calc_stats = t->t_calc_stats;
	h.rh_cost = (int32_t)t->t_cost;
	h.rh_created = t->t_created;
	h.rh_started = t->t_started;
	h.rh_finished = t->t_finished;
	h.rh_expires = t->t_expires;
	h.rh_progress = t->t_progress;
	h.rh_scanned = t->t_scanned;
	h.rh_results = t->t_results;
	h.rh_result_bytes = t->t_result_bytes;
	h.rh_pages = t->t_pages;
	h.rh_cancel = t->t_cancel;
	h.rh_cancel_at = t->t_cancel_at;
	h.rh_token = t->t_token;
	h.rh_runner_pid = t->t_runner_pid;
	h.rh_exec_pid = t->t_exec_pid;
	h.rh_has_error = t->t_error != NULL;
	h.rh_log_lines = t->t_log_lines;
	h.rh_log_dropped = t->t_log_dropped;
	memcpy(h.rh_id, t->t_id, sizeof(t->t_id));
	for (int i = 0; i < 6; i++)
		n += 4 + (strs[i] ? strlen(strs[i]) : 0);
	if ((buf = malloc(n)) == NULL)
		return NULL;
	memcpy(buf, &h, sizeof(h));
	p = buf + sizeof(h);
	for (int i = 0; i < 6; i++)
		p = rec_put_str(p, strs[i]);
	*len = n;
	return buf;
}

/*
 * Reads a string at *p (bounded by end) into a malloc'd copy. Returns it,
 * or NULL (and *p = NULL) when the record is short or memory runs out.
 */
static char *
rec_get_str(const char **p, const char *end)
{
	uint32_t n;
	char *s;

	if (*p == NULL || end - *p < 4) {
		*p = NULL;
		return NULL;
	}
	memcpy(&n, *p, 4);
	if ((size_t)(end - *p - 4) < n || (s = malloc((size_t)n + 1)) == NULL) {
		*p = NULL;
		return NULL;
	}
	memcpy(s, *p + 4, n);
	s[n] = '\0';
	*p += 4 + n;
	return s;
}

int
task_record_decode(const char *data, size_t len, struct task *t)
{
	const char *p = data + sizeof(struct rec_head), *end = data + len;
	struct rec_head h;
	char *err;

	memset(t, 0, sizeof(*t));
	if (len < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	if (h.rh_magic != REC_MAGIC || h.rh_id[TASK_ID_LEN] != '\0')
		return -1;
	memcpy(t->t_id, h.rh_id, sizeof(t->t_id));
	t->t_state = (enum task_state)h.rh_state;
	t->t_now = h.rh_now;
	t->t_range_start = h.rh_range_start;
	t->t_range_end = h.rh_range_end;
	t->t_calc_stats = h.rh_calc_stats;
	t->t_cost = (enum cost_level)h.rh_cost;
	t->t_created = h.rh_created;
	t->t_started = h.rh_started;
	t->t_finished = h.rh_finished;
	t->t_expires = h.rh_expires;
	t->t_progress = h.rh_progress;
	t->t_scanned = h.rh_scanned;
	t->t_results = h.rh_results;
	t->t_result_bytes = h.rh_result_bytes;
	t->t_pages = h.rh_pages;
	t->t_cancel = h.rh_cancel;
	t->t_cancel_at = h.rh_cancel_at;
	t->t_token = h.rh_token;
	t->t_runner_pid = h.rh_runner_pid;
	t->t_exec_pid = h.rh_exec_pid;
	t->t_log_lines = h.rh_log_lines;
	t->t_log_dropped = h.rh_log_dropped;
	t->t_owner = rec_get_str(&p, end);
	t->t_query = rec_get_str(&p, end);
	t->t_dt_field = rec_get_str(&p, end);
	t->t_dt_start = rec_get_str(&p, end);
	t->t_dt_end = rec_get_str(&p, end);
	err = rec_get_str(&p, end);
	if (p == NULL) {
		free(err);
		task_clear(t);
		return -1;
	}
	if (h.rh_has_error)
		t->t_error = err;
	else
		free(err);
	return 0;
}
