/* saved.c - saved searches: their records in STORAGE/saved (LMDB). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/config.h"
#include "common/error.h"
#include "store/saved.h"

/*
 * One database, "saved": key owner \0 name -> the record, JSON text with
 * members owner name query dtStart dtEnd calculateStats schedule (null:
 * none) created updated lastRun nextRun skipped (numbers: epoch ms,
 * counts) running ("" none) runs (ids, oldest first). Unknown members
 * are ignored when read, so a later version may add some ("alert").
 */
#define SAVED_MAP	(64u << 20)

struct savedstore {
	MDB_env *ss_env;
	MDB_dbi ss_dbi;
};

void
saved_clear(struct saved *sv)
{
	free(sv->sv_owner);
	free(sv->sv_name);
	free(sv->sv_query);
	free(sv->sv_dt_start);
	free(sv->sv_dt_end);
	free(sv->sv_schedule);
	free(sv->sv_runs);
	memset(sv, 0, sizeof(*sv));
}

int
saved_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SAVED_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int
saved_add_run(struct saved *sv, const char *id, size_t keep,
    char dropped[][TASK_ID_LEN + 1], size_t *ndropped)
{
	void *p;

	*ndropped = 0;
	if ((p = realloc(sv->sv_runs, (sv->sv_nruns + 1) *
	    sizeof(*sv->sv_runs))) == NULL)
		return -1;
	sv->sv_runs = p;
	snprintf(sv->sv_runs[sv->sv_nruns++], TASK_ID_LEN + 1, "%s", id);
	while (sv->sv_nruns > keep && keep > 0) {
		if (*ndropped == 0)
			memcpy(dropped[(*ndropped)++], sv->sv_runs[0],
			    TASK_ID_LEN + 1);
		memmove(sv->sv_runs, sv->sv_runs + 1, (sv->sv_nruns - 1) *
		    sizeof(*sv->sv_runs));
		sv->sv_nruns--;
	}
	return 0;
}

/* Serialises sv (JSON text, malloc'd, *len bytes). NULL out of memory. */
static char *
saved_encode(const struct saved *sv, size_t *len)
{
	json_t *o, *runs;
	char *s;

	if ((runs = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < sv->sv_nruns; i++)
		json_array_append_new(runs, json_string(sv->sv_runs[i]));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:I,s:I,s:I,s:I,s:I,"
	    "s:s,s:o}", "owner", sv->sv_owner, "name", sv->sv_name,
	    "query", sv->sv_query, "dtStart", sv->sv_dt_start,
	    "dtEnd", sv->sv_dt_end, "calculateStats", sv->sv_calc_stats,
	    "schedule", sv->sv_schedule ? json_string(sv->sv_schedule) :
	    json_null(), "created", (json_int_t)sv->sv_created,
	    "updated", (json_int_t)sv->sv_updated,
	    "lastRun", (json_int_t)sv->sv_last_run,
	    "nextRun", (json_int_t)sv->sv_next_run,
	    "skipped", (json_int_t)sv->sv_skipped,
	    "running", sv->sv_running, "runs", runs);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

/* Copies member key of o, a string, into *out. Returns 0 or -1. */
static int
saved_str(json_t *o, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || (*out = strdup(s)) == NULL)
		return -1;
	return 0;
}

/* Parses a record into sv (zeroed first). Returns 0 or -1. */
static int
saved_decode(const char *data, size_t len, struct saved *sv)
{
	json_t *o, *runs, *v;
	const char *run;
	size_t i;
	int rc = -1;

	memset(sv, 0, sizeof(*sv));
	if ((o = json_loadb(data, len, 0, NULL)) == NULL)
		return -1;
	if (saved_str(o, "owner", &sv->sv_owner) == -1 ||
	    saved_str(o, "name", &sv->sv_name) == -1 ||
	    saved_str(o, "query", &sv->sv_query) == -1 ||
	    saved_str(o, "dtStart", &sv->sv_dt_start) == -1 ||
	    saved_str(o, "dtEnd", &sv->sv_dt_end) == -1)
		goto out;
	if (json_is_string(json_object_get(o, "schedule")) &&
	    saved_str(o, "schedule", &sv->sv_schedule) == -1)
		goto out;
	sv->sv_calc_stats = json_is_true(json_object_get(o, "calculateStats"));
	sv->sv_created = json_integer_value(json_object_get(o, "created"));
	sv->sv_updated = json_integer_value(json_object_get(o, "updated"));
	sv->sv_last_run = json_integer_value(json_object_get(o, "lastRun"));
	sv->sv_next_run = json_integer_value(json_object_get(o, "nextRun"));
	sv->sv_skipped = (uint64_t)json_integer_value(json_object_get(o,
	    "skipped"));
	if ((run = json_string_value(json_object_get(o, "running"))) != NULL)
		snprintf(sv->sv_running, sizeof(sv->sv_running), "%s", run);
	runs = json_object_get(o, "runs");
	if (json_array_size(runs) > 0 && (sv->sv_runs = calloc(
	    json_array_size(runs), sizeof(*sv->sv_runs))) == NULL)
		goto out;
	json_array_foreach(runs, i, v)
		if ((run = json_string_value(v)) != NULL)
			snprintf(sv->sv_runs[sv->sv_nruns++], TASK_ID_LEN + 1,
			    "%s", run);
	rc = 0;
out:
	json_decref(o);
	if (rc == -1)
		saved_clear(sv);
	return rc;
}

/* Maps an LMDB code to a project error. */
static int
saved_mdb(int rc)
{
	switch (rc) {
	case 0: return AR_OK;
	case MDB_NOTFOUND: return AR_ENOTFOUND;
	case MDB_MAP_FULL: case ENOSPC: case EDQUOT: return AR_EFULL;
	case ENOMEM: return AR_ENOMEM;
	default: return AR_EINTERNAL;
	}
}

int
saved_open(struct savedstore **out, const struct config *cfg, char *err,
    size_t errlen)
{
	struct savedstore *ss;
	MDB_txn *txn;
	char path[4200];
	int rc;

	*out = NULL;
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return AR_ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/saved", cfg->storage_path);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		free(ss);
		return AR_EINTERNAL;
	}
	if ((rc = mdb_env_create(&ss->ss_env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(ss->ss_env, 1)) != 0 ||
	    (rc = mdb_env_set_mapsize(ss->ss_env, SAVED_MAP)) != 0 ||
	    (rc = mdb_env_set_maxreaders(ss->ss_env, 1024)) != 0 ||
	    (rc = mdb_env_open(ss->ss_env, path, MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(ss->ss_env, NULL, 0, &txn)) != 0) {
		snprintf(err, errlen, "cannot open the saved searches %s: %s",
		    path, mdb_strerror(rc));
		if (ss->ss_env)
			mdb_env_close(ss->ss_env);
		free(ss);
		return AR_EINTERNAL;
	}
	/* Slots of readers killed mid-read would stay taken. */
	(void)mdb_reader_check(ss->ss_env, NULL);
	if ((rc = mdb_dbi_open(txn, "saved", MDB_CREATE, &ss->ss_dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			snprintf(err, errlen, "cannot open the saved searches "
			    "%s: %s", path, mdb_strerror(rc));
		mdb_env_close(ss->ss_env);
		free(ss);
		return AR_EINTERNAL;
	}
	*out = ss;
	return AR_OK;
}

void
saved_close(struct savedstore *ss)
{
	if (ss == NULL)
		return;
	mdb_env_close(ss->ss_env);
	free(ss);
}

/* Builds the key owner \0 name into k (backed by buf). 0, or -1 too long. */
static int
saved_key(char *buf, size_t cap, const char *owner, const char *name,
    MDB_val *k)
{
	size_t o = strlen(owner), n = strlen(name);

	if (o + 1 + n > cap || o + 1 + n > 511)
		return -1;
	memcpy(buf, owner, o + 1);
	memcpy(buf + o + 1, name, n);
	k->mv_size = o + 1 + n;
	k->mv_data = buf;
	return 0;
}

/* Reads the record at k in txn into *sv. Returns a project code. */
static int
saved_load(struct savedstore *ss, MDB_txn *txn, MDB_val *k,
    struct saved *sv)
{
	MDB_val v;
	int rc;

	if ((rc = mdb_get(txn, ss->ss_dbi, k, &v)) != 0)
		return saved_mdb(rc);
	return saved_decode(v.mv_data, v.mv_size, sv) == 0 ? AR_OK :
	    AR_EINTERNAL;
}

/* Writes sv at k in txn. Returns a project code. */
static int
saved_store(struct savedstore *ss, MDB_txn *txn, MDB_val *k,
    const struct saved *sv)
{
	MDB_val v;
	size_t len;
	char *s;
	int rc;

	if ((s = saved_encode(sv, &len)) == NULL)
		return AR_ENOMEM;
	v.mv_size = len;
	v.mv_data = s;
	rc = mdb_put(txn, ss->ss_dbi, k, &v, 0);
	free(s);
	return saved_mdb(rc);
}

int
saved_get(struct savedstore *ss, const char *owner, const char *name,
    struct saved *sv)
{
	MDB_txn *txn;
	MDB_val k;
	char kb[512];
	int rc;

	memset(sv, 0, sizeof(*sv));
	if (saved_key(kb, sizeof(kb), owner, name, &k) == -1)
		return AR_ENOTFOUND;
	if ((rc = mdb_txn_begin(ss->ss_env, NULL, MDB_RDONLY, &txn)) != 0)
		return saved_mdb(rc);
	rc = saved_load(ss, txn, &k, sv);
	mdb_txn_abort(txn);
	return rc;
}

int
saved_list(struct savedstore *ss, const char *owner,
    int (*cb)(void *, const struct saved *), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	struct saved sv;
	size_t olen = owner ? strlen(owner) + 1 : 0;
	int rc, stop = 0;

	if ((rc = mdb_txn_begin(ss->ss_env, NULL, MDB_RDONLY, &txn)) != 0)
		return saved_mdb(rc);
	if ((rc = mdb_cursor_open(txn, ss->ss_dbi, &c)) != 0) {
		mdb_txn_abort(txn);
		return saved_mdb(rc);
	}
	k.mv_size = olen;
	k.mv_data = (void *)owner;
	rc = mdb_cursor_get(c, &k, &v, owner ? MDB_SET_RANGE : MDB_FIRST);
	for (; rc == 0 && !stop; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (owner && (k.mv_size < olen ||
		    memcmp(k.mv_data, owner, olen) != 0))
			break;
		if (saved_decode(v.mv_data, v.mv_size, &sv) == -1)
			continue;
		stop = cb(arg, &sv) != 0;
		saved_clear(&sv);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? AR_OK : saved_mdb(rc);
}

/* Counts the searches of owner in txn. */
static int64_t
saved_count(struct savedstore *ss, MDB_txn *txn, const char *owner)
{
	MDB_cursor *c;
	MDB_val k = {strlen(owner) + 1, (void *)owner}, v;
	size_t olen = k.mv_size;
	int64_t n = 0;
	int rc;

	if (mdb_cursor_open(txn, ss->ss_dbi, &c) != 0)
		return 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    k.mv_size >= olen && memcmp(k.mv_data, owner, olen) == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		n++;
	mdb_cursor_close(c);
	return n;
}

int
saved_put(struct savedstore *ss, const struct saved *sv, int create,
    int64_t max_per_user, char *err, size_t errlen)
{
	struct saved old, rec;
	MDB_txn *txn;
	MDB_val k;
	char kb[512];
	int rc;

	*err = '\0';
	if (saved_key(kb, sizeof(kb), sv->sv_owner, sv->sv_name, &k) == -1) {
		snprintf(err, errlen, "the user name is too long");
		return AR_EINVAL;
	}
	if ((rc = mdb_txn_begin(ss->ss_env, NULL, 0, &txn)) != 0)
		return saved_mdb(rc);
	rc = saved_load(ss, txn, &k, &old);
	if (create && rc == AR_OK) {
		snprintf(err, errlen, "a saved search named '%s' already "
		    "exists; PUT _sme/saved_searches/%s changes it",
		    sv->sv_name, sv->sv_name);
		saved_clear(&old);
		mdb_txn_abort(txn);
		return AR_ESTATE;
	}
	if (rc != AR_OK && (create ? rc != AR_ENOTFOUND : 1)) {
		if (rc == AR_ENOTFOUND)
			snprintf(err, errlen, "saved search '%s' not found",
			    sv->sv_name);
		mdb_txn_abort(txn);
		return rc;
	}
	if (create && saved_count(ss, txn, sv->sv_owner) >= max_per_user) {
		snprintf(err, errlen, "you have %lld saved searches, the most "
		    "schedule.max_saved_per_user allows; delete one first",
		    (long long)max_per_user);
		mdb_txn_abort(txn);
		return AR_EBUSY;
	}
	rec = *sv;	/* the definition; the kept members from old */
	if (!create) {
		rec.sv_created = old.sv_created;
		rec.sv_last_run = old.sv_last_run;
		rec.sv_skipped = old.sv_skipped;
		memcpy(rec.sv_running, old.sv_running, sizeof(rec.sv_running));
		rec.sv_runs = old.sv_runs;
		rec.sv_nruns = old.sv_nruns;
		rec.sv_next_run = old.sv_schedule && sv->sv_schedule &&
		    strcmp(old.sv_schedule, sv->sv_schedule) == 0 ?
		    old.sv_next_run : 0;
	}
	rc = saved_store(ss, txn, &k, &rec);
	if (!create)
		saved_clear(&old);
	if (rc != AR_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	return saved_mdb(mdb_txn_commit(txn));
}

int
saved_delete(struct savedstore *ss, const char *owner, const char *name)
{
	MDB_txn *txn;
	MDB_val k;
	char kb[512];
	int rc;

	if (saved_key(kb, sizeof(kb), owner, name, &k) == -1)
		return AR_ENOTFOUND;
	if ((rc = mdb_txn_begin(ss->ss_env, NULL, 0, &txn)) != 0)
		return saved_mdb(rc);
	if ((rc = mdb_del(txn, ss->ss_dbi, &k, NULL)) != 0) {
		mdb_txn_abort(txn);
		return saved_mdb(rc);
	}
	return saved_mdb(mdb_txn_commit(txn));
}

int
saved_update(struct savedstore *ss, const char *owner, const char *name,
    int (*fn)(void *, struct saved *), void *arg)
{
	struct saved sv;
	MDB_txn *txn;
	MDB_val k;
	char kb[512];
	int rc;

	if (saved_key(kb, sizeof(kb), owner, name, &k) == -1)
		return AR_ENOTFOUND;
	if ((rc = mdb_txn_begin(ss->ss_env, NULL, 0, &txn)) != 0)
		return saved_mdb(rc);
	if ((rc = saved_load(ss, txn, &k, &sv)) != AR_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = fn(arg, &sv);
	if (rc == AR_OK && (rc = saved_store(ss, txn, &k, &sv)) == AR_OK)
		rc = saved_mdb(mdb_txn_commit(txn));
	else {
		mdb_txn_abort(txn);
		if (rc == -1)
			rc = AR_OK;
	}
	saved_clear(&sv);
	return rc;
}
