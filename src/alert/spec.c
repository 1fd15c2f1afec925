/* spec.c - the alert spec: parsing, checks, and its condition on rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alert/alert.h"
#include "alert/internal.h"
#include "common/buf.h"
#include "common/util.h"
#include "sml/engine.h"
#include "sml/sml.h"

/* What the where text is parsed behind: its expression is command 2. */
#define WHERE_PREFIX	"makeresults | where "

/* A compiled where condition: the query that holds its expression. */
struct alert_where {
	struct sml_query *aw_query;
	struct expr *aw_expr;		/* borrowed from aw_query */
};

static const char *const spec_cmps[] = {
	[ALERT_GT] = ">", [ALERT_GE] = ">=", [ALERT_LT] = "<",
	[ALERT_LE] = "<=", [ALERT_EQ] = "==", [ALERT_NE] = "!=",
};

/* Returns the JSON type name of v, for messages (static storage). */
static const char *
spec_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/*
 * Checks that every member of object o is one of known (NULL-ended).
 * Returns 0, or -1 with "WHERE: unknown member 'x' (known: ...)" in err.
 */
static int
spec_known(const json_t *o, const char *where, const char *const *known,
    char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	struct buf b = BUF_INIT;
	size_t i;

	json_object_foreach((json_t *)o, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] != NULL)
			continue;
		for (i = 0; known[i] != NULL; i++)
			if (buf_printf(&b, "%s%s", i ? ", " : "",
			    known[i]) == -1)
				break;
		aq_fail(err, errlen, "%s: unknown member '%.64s' (known: %s)",
		    where, key, b.b_data ? b.b_data : "");
		buf_free(&b);
		return -1;
	}
	return 0;
}

/*
 * Reads the string member key of o into *out (malloc'd): it must be 1 to
 * max bytes of UTF-8 without control characters. A missing member is
 * an error when required, else leaves *out NULL. Returns 0 or -1.
 */
static int
spec_string(const json_t *o, const char *where, const char *key,
    size_t max, int required, char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t len, i;

	*out = NULL;
	if (v == NULL) {
		if (required)
			return aq_fail(err, errlen, "%s.%s: missing", where,
			    key);
		return 0;
	}
	if (!json_is_string(v))
		return aq_fail(err, errlen, "%s.%s: must be a string, not %s",
		    where, key, spec_type(v));
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > max)
		return aq_fail(err, errlen, "%s.%s: must be 1 to %zu bytes, "
		    "not %zu", where, key, max, len);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return aq_fail(err, errlen, "%s.%s: control "
			    "characters are not allowed", where, key);
	if ((*out = strdup(s)) == NULL)
		return aq_fail(err, errlen, "out of memory");
	return 0;
}

/*
 * Reads the integer member key of o into *out, in [min, max]; a missing
 * member leaves def. Returns 0 or -1.
 */
static int
spec_int(const json_t *o, const char *where, const char *key, int64_t min,
    int64_t max, int64_t def, int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return aq_fail(err, errlen, "%s.%s: must be an integer, not "
		    "%s", where, key, spec_type(v));
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return aq_fail(err, errlen, "%s.%s: must be from %lld to "
		    "%lld, not %lld", where, key, (long long)min,
		    (long long)max, (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

/*
 * Compiles the where expression text into *out. Returns 0, or -1 with
 * the parser's reason and the place in the expression in err.
 */
static int
spec_where_compile(const char *text, struct alert_where **out, char *err,
    size_t errlen)
{
	struct alert_where *aw;
	struct sml_error se;
	struct buf b = BUF_INIT;
	char *at;
	size_t pre = sizeof(WHERE_PREFIX) - 1;

	*out = NULL;
	if ((aw = calloc(1, sizeof(*aw))) == NULL ||
	    buf_printf(&b, "%s%s", WHERE_PREFIX, text) == -1) {
		free(aw);
		return aq_fail(err, errlen, "out of memory");
	}
	memset(&se, 0, sizeof(se));
	if (sml_parse(b.b_data, b.b_len, NULL, &aw->aw_query, &se) == -1) {
		/* The place is counted in the expression, not our prefix. */
		if ((at = strstr(se.se_msg, " at line ")) != NULL)
			*at = '\0';
		if (se.se_position >= pre)
			aq_fail(err, errlen, "alert.condition.where: %s at "
			    "character %zu of the expression", se.se_msg,
			    se.se_position - pre + 1);
		else
			aq_fail(err, errlen, "alert.condition.where: %s",
			    se.se_msg);
		buf_free(&b);
		free(aw);
		return -1;
	}
	buf_free(&b);
	if (aw->aw_query->sq_ncmds != 2 ||
	    aw->aw_query->sq_cmds[1].sc_kind != SML_CMD_WHERE) {
		sml_query_free(aw->aw_query);
		free(aw);
		return aq_fail(err, errlen, "alert.condition.where: must be "
		    "one expression, without '|'");
	}
	aw->aw_expr = aw->aw_query->sq_cmds[1].sc_u.where.wh_expr;
	*out = aw;
	return 0;
}

/* Reads member "condition" of root into spec. Returns 0 or -1. */
static int
spec_condition(const json_t *root, struct alert_spec *spec, char *err,
    size_t errlen)
{
	static const char *const kres[] = {"results", "value", NULL};
	static const char *const kwhere[] = {"where", NULL};
	json_t *c = json_object_get(root, "condition"), *v;
	size_t i;

	if (c == NULL)
		return aq_fail(err, errlen, "alert.condition: missing "
		    "(\"always\", {\"results\": \">\", \"value\": N} or "
		    "{\"where\": \"EXPR\"})");
	if (json_is_string(c)) {
		if (strcmp(json_string_value(c), "always") != 0)
			return aq_fail(err, errlen, "alert.condition: the only "
			    "string condition is \"always\", not \"%.40s\"",
			    json_string_value(c));
		spec->as_cond = ALERT_COND_ALWAYS;
		return 0;
	}
	if (!json_is_object(c))
		return aq_fail(err, errlen, "alert.condition: must be "
		    "\"always\" or an object, not %s", spec_type(c));
	if (json_object_get(c, "where") != NULL) {
		if (spec_known(c, "alert.condition", kwhere, err,
		    errlen) == -1 ||
		    spec_string(c, "alert.condition", "where", ALERT_WHERE_MAX,
		    1, &spec->as_where, err, errlen) == -1)
			return -1;
		spec->as_cond = ALERT_COND_WHERE;
		return spec_where_compile(spec->as_where, &spec->as_expr, err,
		    errlen);
	}
	if (json_object_get(c, "results") == NULL)
		return aq_fail(err, errlen, "alert.condition: needs member "
		    "'results' or 'where'");
	if (spec_known(c, "alert.condition", kres, err, errlen) == -1)
		return -1;
	v = json_object_get(c, "results");
	for (i = 0; i < sizeof(spec_cmps) / sizeof(spec_cmps[0]); i++)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), spec_cmps[i]) == 0)
			break;
	if (i == sizeof(spec_cmps) / sizeof(spec_cmps[0]))
		return aq_fail(err, errlen, "alert.condition.results: must be "
		    "one of \">\", \">=\", \"<\", \"<=\", \"==\", \"!=\"");
	spec->as_cond = ALERT_COND_RESULTS;
	spec->as_cmp = (enum alert_cmp)i;
	if (json_object_get(c, "value") == NULL)
		return aq_fail(err, errlen, "alert.condition.value: missing");
	return spec_int(c, "alert.condition", "value", 0, INT64_MAX, 0,
	    &spec->as_value, err, errlen);
}

/* Reads member "throttle" of root into spec. Returns 0 or -1. */
static int
spec_throttle(const json_t *root, struct alert_spec *spec, char *err,
    size_t errlen)
{
	static const char *const known[] = {"seconds", "field", NULL};
	json_t *t = json_object_get(root, "throttle");

	if (t == NULL)
		return 0;
	if (!json_is_object(t))
		return aq_fail(err, errlen, "alert.throttle: must be an "
		    "object, not %s", spec_type(t));
	if (spec_known(t, "alert.throttle", known, err, errlen) == -1)
		return -1;
	if (json_object_get(t, "seconds") == NULL)
		return aq_fail(err, errlen, "alert.throttle.seconds: missing");
	if (spec_int(t, "alert.throttle", "seconds", 1, ALERT_THROTTLE_MAX, 0,
	    &spec->as_throttle, err, errlen) == -1)
		return -1;
	return spec_string(t, "alert.throttle", "field", ALERT_FIELD_MAX, 0,
	    &spec->as_throttle_field, err, errlen);
}

/*
 * Checks an http:// url: a host, an optional port from 1 to 65535, a
 * path; no user info, no white space. Returns 0 or -1.
 */
static int
spec_url(const char *url, const char *where, char *err, size_t errlen)
{
	const char *h, *e, *p;
	int64_t port;
	char num[8];

	if (strncmp(url, "http://", 7) != 0)
		return aq_fail(err, errlen, "%s.url: only http:// urls are "
		    "supported (no TLS: put a relay in front for https)",
		    where);
	h = url + 7;
	e = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return aq_fail(err, errlen, "%s.url: user information is not "
		    "allowed", where);
	if (strpbrk(url, " \t\"<>\\") != NULL)
		return aq_fail(err, errlen, "%s.url: white space, quotes, "
		    "'<', '>' and '\\' are not allowed", where);
	if (*h == '[')
		return aq_fail(err, errlen, "%s.url: IPv6 literal hosts are "
		    "not supported (use a host name)", where);
	p = memchr(h, ':', (size_t)(e - h));
	if ((p ? p : e) == h)
		return aq_fail(err, errlen, "%s.url: no host", where);
	if (p != NULL) {
		if (e - p - 1 < 1 || e - p - 1 > 5)
			return aq_fail(err, errlen, "%s.url: bad port", where);
		memcpy(num, p + 1, (size_t)(e - p - 1));
		num[e - p - 1] = '\0';
		if (util_parse_i64(num, 1, 65535, &port) == -1)
			return aq_fail(err, errlen, "%s.url: bad port", where);
	}
	return 0;
}

/*
 * Checks one mail address: local@domain, printable ASCII without white
 * space, quotes, commas, angle brackets or parentheses. Returns 1 if so.
 */
static int
spec_addr_ok(const char *a)
{
	const char *at = strchr(a, '@');
	const unsigned char *p;

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"',<>()[];:\\", *p))
			return 0;
	return 1;
}

/* Reads action i (object a) into aa. Returns 0 or -1. */
static int
spec_action(const json_t *a, size_t i, struct alert_action *aa, char *err,
    size_t errlen)
{
	static const char *const kweb[] = {"type", "url", "results", NULL};
	static const char *const kmail[] = {"type", "to", "subject", "attach",
	    "results", NULL};
	char where[48];
	json_t *v, *to;
	const char *type, *s;
	int64_t n;
	size_t k;

	snprintf(where, sizeof(where), "alert.actions[%zu]", i);
	if (!json_is_object(a))
		return aq_fail(err, errlen, "%s: must be an object, not %s",
		    where, spec_type(a));
	v = json_object_get(a, "type");
	if (v == NULL || !json_is_string(v))
		return aq_fail(err, errlen, "%s.type: must be \"webhook\" or "
		    "\"email\"", where);
	type = json_string_value(v);
	if (strcmp(type, "webhook") == 0) {
		aa->aa_kind = ALERT_WEBHOOK;
		if (spec_known(a, where, kweb, err, errlen) == -1 ||
		    spec_string(a, where, "url", ALERT_URL_MAX, 1, &aa->aa_url,
		    err, errlen) == -1 ||
		    spec_url(aa->aa_url, where, err, errlen) == -1 ||
		    spec_int(a, where, "results", 0, ALERT_WEBHOOK_ROWS_MAX,
		    ALERT_WEBHOOK_ROWS_DEF, &n, err, errlen) == -1)
			return -1;
		aa->aa_results = (uint64_t)n;
		return 0;
	}
	if (strcmp(type, "email") != 0)
		return aq_fail(err, errlen, "%s.type: must be \"webhook\" or "
		    "\"email\", not \"%.40s\"", where, type);
	aa->aa_kind = ALERT_EMAIL;
	if (spec_known(a, where, kmail, err, errlen) == -1)
		return -1;
	to = json_object_get(a, "to");
	if (to == NULL || !json_is_array(to) || json_array_size(to) == 0 ||
	    json_array_size(to) > ALERT_TO_MAX)
		return aq_fail(err, errlen, "%s.to: must be an array of 1 to "
		    "%d addresses", where, ALERT_TO_MAX);
	if ((aa->aa_to = calloc(json_array_size(to), sizeof(char *))) == NULL)
		return aq_fail(err, errlen, "out of memory");
	json_array_foreach(to, k, v) {
		s = json_is_string(v) ? json_string_value(v) : NULL;
		if (s == NULL || strlen(s) > ALERT_ADDR_MAX || !spec_addr_ok(s))
			return aq_fail(err, errlen, "%s.to[%zu]: must be an "
			    "address local@domain (at most %d bytes, no names, "
			    "spaces or quotes)", where, k, ALERT_ADDR_MAX);
		if ((aa->aa_to[k] = strdup(s)) == NULL)
			return aq_fail(err, errlen, "out of memory");
		aa->aa_nto = k + 1;
	}
	if (spec_string(a, where, "subject", ALERT_SUBJECT_MAX, 0,
	    &aa->aa_subject, err, errlen) == -1)
		return -1;
	aa->aa_attach = ALERT_ATTACH_CSV;
	if ((v = json_object_get(a, "attach")) != NULL) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(s, "csv") == 0)
			aa->aa_attach = ALERT_ATTACH_CSV;
		else if (strcmp(s, "xlsx") == 0)
			aa->aa_attach = ALERT_ATTACH_XLSX;
		else if (strcmp(s, "none") == 0)
			aa->aa_attach = ALERT_ATTACH_NONE;
		else
			return aq_fail(err, errlen, "%s.attach: must be "
			    "\"csv\", \"xlsx\" or \"none\"", where);
	}
	if (spec_int(a, where, "results", 1, ALERT_MAIL_ROWS_MAX,
	    ALERT_MAIL_ROWS_DEF, &n, err, errlen) == -1)
		return -1;
	aa->aa_results = (uint64_t)n;
	return 0;
}

int
alert_spec_parse(const char *text, size_t len, struct alert_spec *spec,
    char *err, size_t errlen)
{
	static const char *const known[] = {"condition", "throttle",
	    "actions", NULL};
	json_error_t je;
	json_t *root = NULL, *acts, *a;
	size_t i;

	memset(spec, 0, sizeof(*spec));
	if (len > ALERT_SPEC_MAX) {
		aq_fail(err, errlen, "alert: the spec is over %d bytes",
		    ALERT_SPEC_MAX);
		return -1;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		aq_fail(err, errlen, "alert: not JSON: %s at line %d, column "
		    "%d", je.text, je.line, je.column);
		return -1;
	}
	if (!json_is_object(root)) {
		aq_fail(err, errlen, "alert: must be an object, not %s",
		    spec_type(root));
		goto fail;
	}
	if (spec_known(root, "alert", known, err, errlen) == -1 ||
	    spec_condition(root, spec, err, errlen) == -1 ||
	    spec_throttle(root, spec, err, errlen) == -1)
		goto fail;
	acts = json_object_get(root, "actions");
	if (acts == NULL || !json_is_array(acts) ||
	    json_array_size(acts) == 0 ||
	    json_array_size(acts) > ALERT_ACTIONS_MAX) {
		aq_fail(err, errlen, "alert.actions: must be an array of 1 to "
		    "%d actions", ALERT_ACTIONS_MAX);
		goto fail;
	}
	spec->as_actions = calloc(json_array_size(acts),
	    sizeof(*spec->as_actions));
	if (spec->as_actions == NULL) {
		aq_fail(err, errlen, "out of memory");
		goto fail;
	}
	json_array_foreach(acts, i, a) {
		spec->as_nactions = i + 1;
		if (spec_action(a, i, &spec->as_actions[i], err, errlen) == -1)
			goto fail;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	alert_spec_free(spec);
	return -1;
}

void
alert_spec_free(struct alert_spec *spec)
{
	struct alert_action *aa;
	size_t i, k;

	for (i = 0; i < spec->as_nactions; i++) {
		aa = &spec->as_actions[i];
		free(aa->aa_url);
		for (k = 0; k < aa->aa_nto; k++)
			free(aa->aa_to[k]);
		free(aa->aa_to);
		free(aa->aa_subject);
	}
	free(spec->as_actions);
	if (spec->as_expr != NULL) {
		sml_query_free(spec->as_expr->aw_query);
		free(spec->as_expr);
	}
	free(spec->as_where);
	free(spec->as_throttle_field);
	memset(spec, 0, sizeof(*spec));
}

int
alert_count_met(const struct alert_spec *spec, uint64_t n)
{
	uint64_t v = (uint64_t)spec->as_value;

	switch (spec->as_cond) {
	case ALERT_COND_ALWAYS:
		return 1;
	case ALERT_COND_WHERE:
		return n > 0;
	case ALERT_COND_RESULTS:
		break;
	}
	switch (spec->as_cmp) {
	case ALERT_GT:
		return n > v;
	case ALERT_GE:
		return n >= v;
	case ALERT_LT:
		return n < v;
	case ALERT_LE:
		return n <= v;
	case ALERT_EQ:
		return n == v;
	case ALERT_NE:
		return n != v;
	}
	return 0;
}

int
alert_row_met(const struct alert_spec *spec, const char *json, size_t len,
    int64_t now, char *err, size_t errlen)
{
	struct eval_ctx ec;
	struct event e;
	int rc;

	if (spec->as_cond != ALERT_COND_WHERE || spec->as_expr == NULL)
		return 1;
	memset(&ec, 0, sizeof(ec));
	ec.ec_now = now;
	ec.ec_err = err;
	ec.ec_errlen = errlen;
	event_init(&e, json, len, INT64_MIN, 0);
	rc = expr_true(spec->as_expr->aw_expr, &e, &ec);
	event_clear(&e);
	return rc;
}

int64_t
alert_backoff(int64_t base, int64_t max, int attempt)
{
	int64_t d = base;
	int i;

	for (i = 1; i < attempt && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}
