/* fn/cond.c - conditions: if, case, coalesce, like, searchmatch,
 * cidrmatch. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"

/* cidrmatch on one scalar ip. Returns 1, 0. */
static int
fn_cidr1(const char *cidr, const json_t *ipv)
{
	unsigned char net[16], ip[16];
	char tmp[64], *slash;
	const char *ips;
	int fam, bits, maxbits, i;
	long lb;

	if (!json_is_string(ipv) || strlen(cidr) >= sizeof(tmp))
		return 0;
	ips = json_string_value(ipv);
	strcpy(tmp, cidr);
	slash = strchr(tmp, '/');
	if (slash != NULL)
		*slash++ = '\0';
	fam = strchr(tmp, ':') ? AF_INET6 : AF_INET;
	maxbits = fam == AF_INET6 ? 128 : 32;
	if (inet_pton(fam, tmp, net) != 1 || inet_pton(fam, ips, ip) != 1)
		return 0;
	bits = maxbits;
	if (slash != NULL) {
		char *end;

		errno = 0;
		lb = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || lb < 0 || lb > maxbits)
			return 0;
		bits = (int)lb;
	}
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xFF :
		    (unsigned char)(0xFF << (8 - bits));

		if ((net[i] & mask) != (ip[i] & mask))
			return 0;
	}
	return 1;
}

/* cidrmatch on ip, a scalar or any element of an array. Returns 1, 0. */
static int
fn_cidr_any(const char *cidr, const json_t *ip)
{
	size_t i;

	if (json_is_array(ip)) {
		for (i = 0; i < json_array_size(ip); i++)
			if (fn_cidr1(cidr, json_array_get(ip, i)))
				return 1;
		return 0;
	}
	return fn_cidr1(cidr, ip);
}

/* Frees a cached condition (x_cache_free). */
static void
fn_cond_free(void *arg)
{
	sml_cond_free(arg);
}

/*
 * The condition of searchmatch(text), parsed with the syntax of search:
 * once per query when text is a literal (cached in x), else per call
 * (*tmp set: the caller frees it). NULL for a null text (*failed 0) or a
 * syntax error (*failed 1, the reason in ctx).
 */
static struct cond *
fn_searchmatch_cond(struct expr *x, const json_t *text, struct eval_ctx *ctx,
    int *tmp, int *failed)
{
	struct cond *c = NULL;
	struct sml_error err;
	char *s;

	*failed = 0;
	*tmp = x->x_args[0]->x_kind != EX_LIT;
	if (!*tmp && x->x_cache != NULL)
		return x->x_cache;
	if ((s = fn_text(text)) == NULL)
		return NULL;
	memset(&err, 0, sizeof(err));
	if (sml_parse_cond(s, strlen(s), &c, &err) != 0) {
		*failed = 1;
		fn_fail(ctx, "searchmatch at offset %zu: %s", x->x_off,
		    err.se_msg);
		free(s);
		return NULL;
	}
	free(s);
	if (!*tmp) {
		x->x_cache = c;
		x->x_cache_free = fn_cond_free;
	}
	return c;
}

/* ---- The functions ---- */

/* if(c, a, b): a when c is true, else b (only the one taken is evaluated). */
json_t *
fn_if(struct fn_call *fc)
{
	int t;

	if ((t = expr_true(fc->fc_x->x_args[0], fc->fc_e, fc->fc_ctx)) < 0)
		return NULL;
	return fn_arg(fc, t ? 1 : 2);
}

/* case(c1, v1, ...): the value of the first true condition, else null. */
json_t *
fn_case(struct fn_call *fc)
{
	struct expr *x = fc->fc_x;
	size_t i;
	int t;

	for (i = 0; i + 1 < x->x_nargs; i += 2) {
		if ((t = expr_true(x->x_args[i], fc->fc_e, fc->fc_ctx)) < 0)
			return NULL;
		if (t)
			return fn_arg(fc, i + 1);
	}
	/* An odd last argument is the default. */
	return i < x->x_nargs ? fn_arg(fc, i) : json_null();
}

/* coalesce(a, ...): the first argument that is not null. */
json_t *
fn_coalesce(struct fn_call *fc)
{
	json_t *a;

	for (size_t i = 0; i < fc->fc_x->x_nargs; i++) {
		if ((a = fn_arg(fc, i)) == NULL || !json_is_null(a))
			return a;
		json_decref(a);
	}
	return json_null();
}

/* like(s, pattern): SQL LIKE, true when any element matches. */
json_t *
fn_like(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1], *el;
	char *s = NULL, *s2 = NULL;
	size_t i;
	int t;

	if (fn_is_null(a) || fn_is_null(b) || (s2 = fn_text(b)) == NULL)
		return json_null();
	t = 0;
	if (json_is_array(a)) {
		json_array_foreach(a, i, el)
			if ((s = fn_text(el)) != NULL) {
				t = value_like(s2, s, strlen(s));
				free(s);
				s = NULL;
				if (t)
					break;
			}
	} else if ((s = fn_text(a)) != NULL)
		t = value_like(s2, s, strlen(s));
	free(s);
	free(s2);
	return json_boolean(t);
}

/* searchmatch("condition"): whether the event matches a search condition. */
json_t *
fn_searchmatch(struct fn_call *fc)
{
	struct cond *cd;
	int tmp, t;

	cd = fn_searchmatch_cond(fc->fc_x, fc->fc_v[0], fc->fc_ctx, &tmp, &t);
	if (cd == NULL)
		return t ? NULL : json_null();
	t = fc->fc_e ? cond_match(cd, fc->fc_e, fc->fc_ctx) : 0;
	if (tmp)
		sml_cond_free(cd);
	return t < 0 ? NULL : json_boolean(t);
}

/* cidrmatch(cidr, ip): whether ip (any element) is in the network. */
json_t *
fn_cidrmatch(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1], *r;
	char *s;

	if (fn_is_null(a) || fn_is_null(b) || (s = fn_text(a)) == NULL)
		return json_null();
	r = json_boolean(fn_cidr_any(s, b));
	free(s);
	return r;
}

/* nullif(a, b): null when a equals b, else a. */
json_t *
fn_nullif(struct fn_call *fc)
{
	if (fn_is_null(fc->fc_v[0]) || expr_equal(fc->fc_v[0], fc->fc_v[1]))
		return json_null();
	return json_incref(fc->fc_v[0]);
}

/* validate(c1, s1, ...): the s of the first condition that is false, or
 * null when all hold. */
json_t *
fn_validate(struct fn_call *fc)
{
	struct expr *x = fc->fc_x;
	int t;

	for (size_t i = 0; i + 1 < x->x_nargs; i += 2) {
		if ((t = expr_true(x->x_args[i], fc->fc_e, fc->fc_ctx)) < 0)
			return NULL;
		if (!t)
			return fn_arg(fc, i + 1);
	}
	return json_null();
}

/* null(), true(), false(): the constants, as SPL writes them. */
json_t *
fn_null(struct fn_call *fc)
{
	(void)fc;
	return json_null();
}

json_t *
fn_true(struct fn_call *fc)
{
	(void)fc;
	return json_true();
}

json_t *
fn_false(struct fn_call *fc)
{
	(void)fc;
	return json_false();
}
