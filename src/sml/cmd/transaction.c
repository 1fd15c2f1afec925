/*
 * cmd/transaction.c - transaction: groups events that share the values of
 * the fields into transactions (sessions) and emits one event per
 * transaction (blocking).
 *
 *	transaction f1[, f2...] [maxspan=<duration>] [maxpause=<duration>]
 *	    [maxevents=<n>] [maxopentxn=<n>] [startswith="<condition>"]
 *	    [endswith="<condition>"]
 *
 * Events come newest first (as source reads them); each one joins the
 * open transaction of its values, as its oldest event so far, unless that
 * would make the transaction span more than maxspan (newest - oldest),
 * leave a gap of more than maxpause to its oldest event, hold more than
 * maxevents (1000), or the event matches endswith: then the open one is
 * closed and the event opens a new one. With endswith an event that
 * matches nothing open and does not match endswith belongs to no
 * transaction. An event matching startswith closes its transaction after
 * joining it; with startswith, a transaction whose oldest event does not
 * match it is incomplete and dropped. Events without one of the fields (or
 * with null) belong to none. At most maxopentxn (5000) transactions stay
 * open: past that the one idle the longest is closed.
 *
 * Each transaction becomes one event: every field of its events, with its
 * one value, or an array of its distinct values oldest first; @timestamp
 * is the oldest event's; duration (seconds, the newest time minus the
 * oldest) and eventcount are added. They come out newest first (by their
 * newest event; ties in order of closing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

#define TXN_MAXEVENTS	1000
#define TXN_MAXOPEN	5000
#define TXN_SEEN_START	0x20	/* past parse.h's SML_SEEN_* bits */
#define TXN_SEEN_END	0x40

/* ---- Parsing ---- */

int
cmd_transaction_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_transaction *tr = &c->sc_u.transaction;
	unsigned seen = 0;
	struct cond **cp;

	tr->tr_maxspan = tr->tr_maxpause = -1;
	tr->tr_maxevents = TXN_MAXEVENTS;
	tr->tr_maxopen = TXN_MAXOPEN;
	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_at_key(p, "maxspan")) {
				if (sml_param_once(p, &seen, SML_SEEN_A,
				    "transaction") == -1 ||
				    sml_param_duration(p, "maxspan",
				    &tr->tr_maxspan) == -1)
					return -1;
			} else if (sml_at_key(p, "maxpause")) {
				if (sml_param_once(p, &seen, SML_SEEN_B,
				    "transaction") == -1 ||
				    sml_param_duration(p, "maxpause",
				    &tr->tr_maxpause) == -1)
					return -1;
			} else if (sml_at_key(p, "maxevents")) {
				if (sml_param_once(p, &seen, SML_SEEN_C,
				    "transaction") == -1 ||
				    sml_param_int(p, "maxevents", 1,
				    "a positive integer", &tr->tr_maxevents) == -1)
					return -1;
			} else if (sml_at_key(p, "maxopentxn")) {
				if (sml_param_once(p, &seen, SML_SEEN_D,
				    "transaction") == -1 ||
				    sml_param_int(p, "maxopentxn", 1,
				    "a positive integer", &tr->tr_maxopen) == -1)
					return -1;
			} else if (sml_at_key(p, "startswith") ||
			    sml_at_key(p, "endswith")) {
				int start = sml_at_key(p, "startswith");

				cp = start ? &tr->tr_start : &tr->tr_end;
				if (sml_param_once(p, &seen, start ? TXN_SEEN_START :
				    TXN_SEEN_END, "transaction") == -1 ||
				    sml_param_cond(p, start ? "startswith" :
				    "endswith", cp) == -1)
					return -1;
			} else
				return sml_param_unknown(p, "transaction");
			if (sml_next(p) == -1)
				return -1;
		} else if (sml_at_name(p, 0)) {
			if (tr->tr_nfields > 0)
				return sml_fail_unexpected(p);
			if (sml_names(p, 0, &tr->tr_fields,
			    &tr->tr_nfields) == -1)
				return -1;
		} else
			break;
	}
	if (tr->tr_nfields == 0)
		return sml_fail_expected(p, "a field name");
	return sml_end(p);
}

/* Frees what cmd_transaction_parse() stored in c (not c itself). */
void
cmd_transaction_clear(struct sml_command *c)
{
	struct sml_transaction *tr = &c->sc_u.transaction;

	sml_strs_free(tr->tr_fields, tr->tr_nfields);
	sml_cond_free(tr->tr_start);
	sml_cond_free(tr->tr_end);
}

/* ---- Running ---- */

/* One transaction: its events newest first, as they came. */
struct txn {
	char **t_ev;		/* the events' JSON texts (copies) */
	size_t *t_len;
	size_t t_n, t_cap;
	int64_t t_newest, t_oldest;	/* times, ms */
	int t_start_ok;		/* the oldest event matches startswith */
	uint64_t t_touched;	/* arrival number of its last event */
	int64_t t_mem;		/* run_mem held for it */
};

struct txn_state {
	struct gtab ts_keys;	/* values of the fields -> ts_open slot */
	struct txn **ts_open;	/* by slot; NULL when none is open */
	size_t ts_nslots, ts_cap;
	size_t ts_nopen;
	struct txn **ts_done;	/* closed, in order of closing */
	size_t ts_ndone, ts_donecap;
	uint64_t ts_arrivals;
	struct buf ts_key;
	int ts_proj;		/* 0 not decided, 1 keep ts_pf only, -1 all */
	const char **ts_pf;	/* the fields the next stage reads */
	size_t ts_npf;
	struct buf ts_pbuf;
};

static void
txn_free(struct txn *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->t_n; i++)
		free(t->t_ev[i]);
	free(t->t_ev);
	free(t->t_len);
	free(t);
}

/* Moves the open transaction of slot into the closed ones (or drops it
 * when startswith makes it incomplete). Returns 0 or -1. */
static int
txn_close(struct stage *s, size_t slot)
{
	const struct sml_transaction *tr = &s->sg_cmd->sc_u.transaction;
	struct txn_state *ts = s->sg_state;
	struct txn *t = ts->ts_open[slot];

	ts->ts_open[slot] = NULL;
	ts->ts_nopen--;
	if (tr->tr_start != NULL && !t->t_start_ok) {
		run_mem(s->sg_run, -t->t_mem);
		txn_free(t);
		return 0;
	}
	if (ts->ts_ndone == ts->ts_donecap) {
		size_t cap = ts->ts_donecap ? ts->ts_donecap * 2 : 64;
		struct txn **p = realloc(ts->ts_done, cap * sizeof(*p));

		if (p == NULL) {
			txn_free(t);
			return run_fail(s->sg_run, "out of memory");
		}
		ts->ts_done = p;
		ts->ts_donecap = cap;
	}
	ts->ts_done[ts->ts_ndone++] = t;
	return 0;
}

/* Closes the open transaction idle the longest (maxopentxn). 0 or -1. */
static int
txn_evict(struct stage *s)
{
	struct txn_state *ts = s->sg_state;
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < ts->ts_nslots; i++)
		if (ts->ts_open[i] != NULL && (best == SIZE_MAX ||
		    ts->ts_open[i]->t_touched < ts->ts_open[best]->t_touched))
			best = i;
	return best == SIZE_MAX ? 0 : txn_close(s, best);
}

/* Returns the slot of the event's values (made when new), -1 when it
 * lacks a field, -2 on error (run failed). */
static long
txn_slot(struct stage *s, struct event *e)
{
	const struct sml_transaction *tr = &s->sg_cmd->sc_u.transaction;
	struct txn_state *ts = s->sg_state;
	json_t *v;
	long idx;
	int added;

	buf_reset(&ts->ts_key);
	for (size_t i = 0; i < tr->tr_nfields; i++) {
		v = event_get(e, tr->tr_fields[i]);
		if (v == NULL || json_is_null(v))
			return -1;
		if (agg_key_put(&ts->ts_key, v) == -1)
			return run_fail(s->sg_run, "out of memory") - 1;
	}
	idx = gtab_get(&ts->ts_keys, ts->ts_key.b_data, ts->ts_key.b_len, 1,
	    &added);
	if (idx == -2)
		return run_fail(s->sg_run, "out of memory") - 1;
	if (added) {
		if ((size_t)idx >= ts->ts_cap) {
			size_t cap = ts->ts_cap ? ts->ts_cap * 2 : 64;
			struct txn **p = realloc(ts->ts_open, cap * sizeof(*p));

			if (p == NULL)
				return run_fail(s->sg_run, "out of memory") - 1;
			memset(p + ts->ts_cap, 0, (cap - ts->ts_cap) *
			    sizeof(*p));
			ts->ts_open = p;
			ts->ts_cap = cap;
		}
		ts->ts_nslots = (size_t)idx + 1;
		if (run_mem(s->sg_run, gtab_cost(ts->ts_key.b_len) +
		    (int64_t)sizeof(struct txn *)) == -1)
			return -2;
	}
	return idx;
}

/* 1 when e matches c, 0 when not, -1 on error (run failed). */
static int
txn_match(struct stage *s, struct cond *c, struct event *e)
{
	int rc = cond_match(c, e, run_eval_ctx(s->sg_run));

	return rc < 0 ? run_eval_fail(s->sg_run) : rc;
}

/*
 * Decides what of the events to keep. When the next stage is stats, which
 * reads only the fields it names (event_get, never the whole event), its
 * rows ask txn_get for those fields only: each event is kept as an object
 * of them (event_project), plus @timestamp, not as its whole text.
 * Returns 0, or -1 out of memory.
 */
static int
txn_projection(struct stage *s)
{
	struct txn_state *ts = s->sg_state;
	const struct stage *n = s->sg_next;
	const struct sml_stats *st;
	const char *f;
	size_t i, k, want;

	ts->ts_proj = -1;
	if (n == NULL || n->sg_cmd == NULL ||
	    n->sg_cmd->sc_kind != SML_CMD_STATS)
		return 0;
	st = &n->sg_cmd->sc_u.stats;
	want = 1 + st->st_nby + st->st_naggs;
	if ((ts->ts_pf = calloc(want, sizeof(*ts->ts_pf))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	ts->ts_pf[ts->ts_npf++] = "@timestamp";
	for (i = 0; i < st->st_nby + st->st_naggs; i++) {
		f = i < st->st_nby ? st->st_by[i] :
		    st->st_aggs[i - st->st_nby].a_field;
		if (f == NULL || strcmp(f, "duration") == 0 ||
		    strcmp(f, "eventcount") == 0)
			continue;
		if (strchr(f, '.') != NULL || strchr(f, '*') != NULL)
			return 0;	/* nested or many: keep it all */
		for (k = 0; k < ts->ts_npf; k++)
			if (strcmp(ts->ts_pf[k], f) == 0)
				break;
		if (k == ts->ts_npf)
			ts->ts_pf[ts->ts_npf++] = f;
	}
	ts->ts_proj = 1;
	return 0;
}

static int
txn_push(struct stage *s, struct event *e)
{
	const struct sml_transaction *tr = &s->sg_cmd->sc_u.transaction;
	struct txn_state *ts = s->sg_state;
	struct txn *t;
	long slot;
	int end = 0, start = 0;
	const char *text = NULL;
	size_t len;
	int rc;

	if (ts->ts_proj == 0 && txn_projection(s) == -1)
		return -1;
	if ((slot = txn_slot(s, e)) == -1)
		return 0;
	if (slot < 0)
		return -1;
	if (tr->tr_end != NULL && (end = txn_match(s, tr->tr_end, e)) < 0)
		return -1;
	if (tr->tr_start != NULL &&
	    (start = txn_match(s, tr->tr_start, e)) < 0)
		return -1;
	t = ts->ts_open[slot];
	if (t != NULL && (end ||
	    (tr->tr_maxspan >= 0 && t->t_newest - e->ev_time > tr->tr_maxspan) ||
	    (tr->tr_maxpause >= 0 && t->t_oldest - e->ev_time >
	    tr->tr_maxpause) || (int64_t)t->t_n >= tr->tr_maxevents)) {
		if (txn_close(s, (size_t)slot) == -1)
			return -1;
		t = NULL;
	}
	if (t == NULL) {
		if (tr->tr_end != NULL && !end)
			return 0;	/* no transaction ends here */
		if (ts->ts_nopen >= (size_t)tr->tr_maxopen &&
		    txn_evict(s) == -1)
			return -1;
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return run_fail(s->sg_run, "out of memory");
		t->t_newest = e->ev_time;
		ts->ts_open[slot] = t;
		ts->ts_nopen++;
	}
	if (t->t_n == t->t_cap) {
		size_t cap = t->t_cap ? t->t_cap * 2 : 8;
		char **p = realloc(t->t_ev, cap * sizeof(*p));
		size_t *q;

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory");
		t->t_ev = p;
		if ((q = realloc(t->t_len, cap * sizeof(*q))) == NULL)
			return run_fail(s->sg_run, "out of memory");
		t->t_len = q;
		t->t_cap = cap;
	}
	/* The text (before stats, only the members stats reads), not the
	 * parsed event: a fraction of the memory; read when its row is. */
	if (ts->ts_proj == 1) {
		if ((rc = event_project(e, (char *const *)ts->ts_pf,
		    ts->ts_npf, &ts->ts_pbuf)) == -1)
			return run_fail(s->sg_run, "out of memory");
		if (rc == 0) {
			text = ts->ts_pbuf.b_data;
			len = ts->ts_pbuf.b_len;
		}
	}
	if ((text == NULL && (text = event_text(e, &len)) == NULL) ||
	    (t->t_ev[t->t_n] = malloc(len ? len : 1)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	memcpy(t->t_ev[t->t_n], text, len);
	t->t_len[t->t_n++] = len;
	t->t_oldest = e->ev_time;
	t->t_start_ok = start;
	t->t_touched = ++ts->ts_arrivals;
	t->t_mem += (int64_t)len + 32;
	if (run_mem(s->sg_run, (int64_t)len + 32) == -1)
		return -1;
	if (start)
		return txn_close(s, (size_t)slot);
	return 0;
}

/* The duration of t: seconds, its newest time minus its oldest. */
static json_t *
txn_duration(const struct txn *t)
{
	int64_t d = t->t_newest - t->t_oldest;

	return d % 1000 == 0 ? json_integer(d / 1000) :
	    json_real((double)d / 1000.0);
}

/* The values of one field of a transaction's event, distinct. */
struct txn_field {
	char *f_name;
	json_t *f_vals;		/* array, oldest first */
	struct gtab f_seen;	/* their keys (agg_key_put) */
};

/*
 * Builds the event of transaction t: each field with its one value or an
 * array of its distinct values, oldest first (a hash of the values seen,
 * so a transaction of n events costs O(n) per field). Returns it, or NULL
 * out of memory.
 */
static json_t *
txn_row(const struct txn *t)
{
	json_t *row = json_object(), *pos = json_object(), *v, *ts = NULL, *o;
	struct txn_field *tf = NULL;
	size_t ntf = 0, cap = 0;
	struct buf key = BUF_INIT;
	const char *k;
	int bad = row == NULL || pos == NULL, added;

	for (size_t i = t->t_n; i-- > 0 && !bad;) {
		if ((o = json_loadb(t->t_ev[i], t->t_len[i], 0, NULL)) == NULL ||
		    !json_is_object(o)) {
			json_decref(o);
			bad = 1;
			break;
		}
		if (i == t->t_n - 1)	/* the oldest: its @timestamp */
			ts = json_incref(json_object_get(o, "@timestamp"));
		json_object_foreach(o, k, v) {
			json_t *at = json_object_get(pos, k);
			struct txn_field *f;

			if (at == NULL) {
				if (ntf == cap) {
					size_t nc = cap ? cap * 2 : 32;
					struct txn_field *p = realloc(tf,
					    nc * sizeof(*p));

					if (p == NULL) {
						bad = 1;
						break;
					}
					tf = p;
					cap = nc;
				}
				f = &tf[ntf];
				memset(f, 0, sizeof(*f));
				if ((f->f_name = strdup(k)) == NULL ||
				    (f->f_vals = json_array()) == NULL ||
				    json_object_set_new(pos, k,
				    json_integer((json_int_t)ntf)) == -1) {
					free(f->f_name);
					json_decref(f->f_vals);
					bad = 1;
					break;
				}
				ntf++;
			} else
				f = &tf[json_integer_value(at)];
			buf_reset(&key);
			if (agg_key_put(&key, v) == -1 ||
			    gtab_get(&f->f_seen, key.b_data, key.b_len, 1,
			    &added) == -2) {
				bad = 1;
				break;
			}
			if (added && json_array_append(f->f_vals, v) == -1) {
				bad = 1;
				break;
			}
		}
		json_decref(o);
	}
	for (size_t i = 0; i < ntf; i++) {
		if (!bad)
			bad |= json_array_size(tf[i].f_vals) == 1 ?
			    json_object_set(row, tf[i].f_name,
			    json_array_get(tf[i].f_vals, 0)) :
			    json_object_set(row, tf[i].f_name, tf[i].f_vals);
		json_decref(tf[i].f_vals);
		gtab_free(&tf[i].f_seen);
		free(tf[i].f_name);
	}
	free(tf);
	buf_free(&key);
	json_decref(pos);
	if (!bad && ts != NULL)
		bad |= json_object_set(row, "@timestamp", ts);
	json_decref(ts);
	if (!bad) {
		bad |= json_object_set_new(row, "duration", txn_duration(t));
		bad |= json_object_set_new(row, "eventcount",
		    json_integer((json_int_t)t->t_n));
	}
	if (bad) {
		json_decref(row);
		return NULL;
	}
	return row;
}

/* The value of top-level field in t's event i: a new reference, or NULL
 * when missing. */
static json_t *
txn_value(const struct txn *t, size_t i, const char *field)
{
	struct event e;
	json_t *v;

	event_init(&e, t->t_ev[i], t->t_len[i], 0, 0);
	v = json_incref(event_get(&e, field));
	event_clear(&e);
	return v;
}

/*
 * el_get of a transaction's row (struct event_lazy): the value of one
 * field as txn_row would make it, reading only that field of the events
 * (oldest first, distinct values in a hash). A new reference, or NULL when
 * no event has it; *whole for a dotted name or out of memory.
 */
static json_t *
txn_get(void *arg, const char *field, int *whole)
{
	const struct txn *t = arg;
	struct gtab seen = GTAB_INIT;
	struct buf key = BUF_INIT;
	json_t *vals, *v, *r = NULL;
	int added, bad = 0;

	if (strchr(field, '.') != NULL) {
		*whole = 1;
		return NULL;
	}
	if (strcmp(field, "duration") == 0)
		return txn_duration(t);
	if (strcmp(field, "eventcount") == 0)
		return json_integer((json_int_t)t->t_n);
	if (strcmp(field, "@timestamp") == 0 && t->t_n > 0 &&
	    (v = txn_value(t, t->t_n - 1, field)) != NULL)
		return v;	/* the oldest event's */
	if ((vals = json_array()) == NULL) {
		*whole = 1;
		return NULL;
	}
	for (size_t i = t->t_n; i-- > 0 && !bad;) {
		if ((v = txn_value(t, i, field)) == NULL)
			continue;
		buf_reset(&key);
		if (agg_key_put(&key, v) == -1 || gtab_get(&seen, key.b_data,
		    key.b_len, 1, &added) == -2)
			bad = 1;
		else if (added && json_array_append(vals, v) == -1)
			bad = 1;
		json_decref(v);
	}
	gtab_free(&seen);
	buf_free(&key);
	if (bad)
		*whole = 1;
	else if (json_array_size(vals) == 1)
		r = json_incref(json_array_get(vals, 0));
	else if (json_array_size(vals) > 1)
		r = json_incref(vals);
	json_decref(vals);
	return r;
}

/* el_obj of a transaction's row: txn_row. */
static json_t *
txn_obj(void *arg)
{
	return txn_row(arg);
}

/* The order of output: newest first, then in order of closing. */
static int
txn_cmp(const void *a, const void *b)
{
	const struct txn *x = *(struct txn *const *)a;
	const struct txn *y = *(struct txn *const *)b;

	if (x->t_newest != y->t_newest)
		return x->t_newest > y->t_newest ? -1 : 1;
	return x->t_touched < y->t_touched ? -1 : x->t_touched > y->t_touched;
}

static int
txn_finish(struct stage *s)
{
	struct txn_state *ts = s->sg_state;
	int rc;

	for (size_t i = 0; i < ts->ts_nslots; i++)
		if (ts->ts_open[i] != NULL && txn_close(s, i) == -1)
			return -1;
	/* stable by closing order: t_touched breaks ties only when newest
	 * times are equal, and then the earlier-closed comes first */
	for (size_t i = 0; i < ts->ts_ndone; i++)
		ts->ts_done[i]->t_touched = i;
	if (ts->ts_ndone > 1)	/* ts_done is NULL when there are none */
		qsort(ts->ts_done, ts->ts_ndone, sizeof(*ts->ts_done),
		    txn_cmp);
	/*
	 * Each row is an event built on demand: the fields a later stage
	 * reads (stats of duration and eventcount read none of the events),
	 * or the whole row (txn_row) when it needs the object.
	 */
	for (size_t i = 0; i < ts->ts_ndone; i++) {
		struct event_lazy lz = { txn_get, txn_obj, ts->ts_done[i] };
		struct event ev;

		if (event_init_lazy(&ev, &lz, ts->ts_done[i]->t_oldest,
		    i) == -1)
			return run_fail(s->sg_run, "out of memory");
		rc = stage_emit(s, &ev);
		event_clear(&ev);
		if (rc == 0 && run_poll_now(s->sg_run))
			rc = 1;
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

static void
txn_state_free(struct stage *s)
{
	struct txn_state *ts = s->sg_state;

	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->ts_nslots; i++)
		txn_free(ts->ts_open[i]);
	for (size_t i = 0; i < ts->ts_ndone; i++)
		txn_free(ts->ts_done[i]);
	free(ts->ts_open);
	free(ts->ts_done);
	gtab_free(&ts->ts_keys);
	buf_free(&ts->ts_key);
	buf_free(&ts->ts_pbuf);
	free(ts->ts_pf);
	free(ts);
	s->sg_state = NULL;
}

int
cmd_transaction_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.transaction.tr_nfields == 0)
		return run_fail(s->sg_run, "transaction: no field");
	if ((s->sg_state = calloc(1, sizeof(struct txn_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = txn_push;
	s->sg_finish = txn_finish;
	s->sg_free = txn_state_free;
	return 0;
}
