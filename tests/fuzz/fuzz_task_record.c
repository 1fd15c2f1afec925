/* fuzz_task_record.c - libFuzzer target: task_record_decode() on stored bytes. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
broken(const char *what)
{
	fprintf(stderr, "fuzz_task_record: %s\n", what);
	abort();
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Returns 1 when a and b hold the same task (doubles compared bitwise). */
static int
task_eq(const struct task *a, const struct task *b)
{
	return memcmp(a->t_id, b->t_id, sizeof(a->t_id)) == 0 &&
	    a->t_state == b->t_state && str_eq(a->t_owner, b->t_owner) &&
	    str_eq(a->t_query, b->t_query) &&
	    str_eq(a->t_dt_field, b->t_dt_field) &&
	    str_eq(a->t_dt_start, b->t_dt_start) &&
	    str_eq(a->t_dt_end, b->t_dt_end) && a->t_now == b->t_now &&
	    a->t_range_start == b->t_range_start &&
	    a->t_range_end == b->t_range_end &&
	    a->t_calc_stats == b->t_calc_stats && a->t_cost == b->t_cost &&
	    a->t_created == b->t_created && a->t_started == b->t_started &&
	    a->t_finished == b->t_finished && a->t_expires == b->t_expires &&
	    memcmp(&a->t_progress, &b->t_progress, sizeof(double)) == 0 &&
	    a->t_scanned == b->t_scanned && a->t_results == b->t_results &&
	    a->t_result_bytes == b->t_result_bytes &&
	    a->t_pages == b->t_pages && str_eq(a->t_error, b->t_error) &&
	    a->t_cancel == b->t_cancel && a->t_cancel_at == b->t_cancel_at &&
	    a->t_token == b->t_token && a->t_runner_pid == b->t_runner_pid &&
	    a->t_exec_pid == b->t_exec_pid &&
	    a->t_log_lines == b->t_log_lines &&
	    a->t_log_dropped == b->t_log_dropped;
}

/*
 * Decodes the input as a stored task record. Checks, beyond memory safety:
 * - a refused record leaves the task zeroed (nothing to free, no stale
 *   pointer);
 * - a decoded record has a terminated id, every string but the error set,
 *   and state and cost names;
 * - round trip: it encodes to at most as many bytes as it was read from,
 *   that encoding decodes to an equal task, and encodes again to the same
 *   bytes (the encoding is canonical).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct task zero;
	struct task t, t2;
	char *enc, *enc2;
	size_t len, len2;

	memset(&t, 0x5a, sizeof(t));
	if (task_record_decode((const char *)data, size, &t) == -1) {
		if (memcmp(&t, &zero, sizeof(t)) != 0)
			broken("a refused record leaves the task set");
		return 0;
	}
	if (memchr(t.t_id, '\0', sizeof(t.t_id)) == NULL)
		broken("an id without its NUL");
	if (t.t_owner == NULL || t.t_query == NULL || t.t_dt_field == NULL ||
	    t.t_dt_start == NULL || t.t_dt_end == NULL)
		broken("a decoded string is missing");
	if (task_state_name(t.t_state) == NULL ||
	    task_cost_name(t.t_cost) == NULL)
		broken("no name for the state or the cost");
	(void)task_state_final(t.t_state);
	if ((enc = task_record_encode(&t, &len)) == NULL) {
		task_clear(&t);
		return 0;
	}
	if (len > size)
		broken("the record re-encodes longer than it was read");
	memset(&t2, 0x5a, sizeof(t2));
	if (task_record_decode(enc, len, &t2) == -1)
		broken("a re-encoded record does not decode");
	if (!task_eq(&t, &t2))
		broken("a re-encoded record decodes to another task");
	if ((enc2 = task_record_encode(&t2, &len2)) != NULL) {
		if (len2 != len || memcmp(enc, enc2, len) != 0)
			broken("encoding is not canonical");
		free(enc2);
	}
	free(enc);
	task_clear(&t);
	task_clear(&t2);
	return 0;
}

/* Writes one encoded task into dir/name. */
static void
seed_write(const char *dir, const char *name, const struct task *t)
{
	char path[4096], *enc;
	size_t len;
	FILE *f;

	if ((enc = task_record_encode(t, &len)) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(enc, 1, len, f);
		fclose(f);
	}
	free(enc);
}

/*
 * With FUZZ_TASK_RECORD_SEEDS=DIR in the environment, writes the seed
 * records (a queued, a done, a failed and a cancelled task) into DIR before
 * fuzzing: tests/fuzz/corpus/task_record was made that way.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_TASK_RECORD_SEEDS");
	struct task t;

	(void)argc;
	(void)argv;
	if (dir == NULL)
		return 0;
	memset(&t, 0, sizeof(t));
	snprintf(t.t_id, sizeof(t.t_id), "%0*d", TASK_ID_LEN, 7);
	t.t_owner = "alice";
	t.t_query = "search index=main | stats count by host";
	t.t_dt_field = "@timestamp";
	t.t_dt_start = "now-1d/d";
	t.t_dt_end = "now";
	t.t_now = t.t_created = 1764590400123LL;
	t.t_range_start = 1764460800000LL;
	t.t_range_end = t.t_now;
	t.t_expires = t.t_now + 86400000LL;
	seed_write(dir, "queued", &t);
	t.t_state = TASK_DONE;
	t.t_calc_stats = 1;
	t.t_cost = COST_DEBUG;
	t.t_started = t.t_now + 5;
	t.t_finished = t.t_now + 900;
	t.t_progress = 1.0;
	t.t_scanned = 123456;
	t.t_results = 42;
	t.t_result_bytes = 9000;
	t.t_pages = 2;
	t.t_token = 0x1122334455667788ULL;
	t.t_runner_pid = 100;
	t.t_exec_pid = 101;
	t.t_log_lines = 12;
	seed_write(dir, "done", &t);
	t.t_state = TASK_FAILED;
	t.t_error = "storage is full";
	t.t_log_dropped = 3;
	seed_write(dir, "failed", &t);
	t.t_state = TASK_CANCELLED;
	t.t_error = "cancelled by alice";
	t.t_cancel = 1;
	t.t_cancel_at = t.t_now + 400;
	t.t_owner = "\xc3\xa9ric";
	t.t_query = "";
	seed_write(dir, "cancelled", &t);
	return 0;
}
