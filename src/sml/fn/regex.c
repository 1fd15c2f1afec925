/* fn/regex.c - regular expressions: match, replace (PCRE2, under
 * limits.regex_*). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"
#include "sml/regex.h"

/* A compiled regular expression, cached in the call when a literal. */
struct fn_rx {
	pcre2_code *rx_code;
	pcre2_match_data *rx_md;
	struct sml_regex_env rx_env;	/* the limits, the JIT stack */
};

/* Frees rx (NULL: nothing); also the x_cache_free of a cached one. */
static void
fn_rx_free(void *arg)
{
	struct fn_rx *rx = arg;

	if (rx == NULL)
		return;
	pcre2_match_data_free(rx->rx_md);
	pcre2_code_free(rx->rx_code);
	sml_regex_env_free(&rx->rx_env);
	free(rx);
}

/*
 * Returns the compiled regex of argument argi of x whose value is pat:
 * cached in x when the argument is a literal (*tmp 0), else fresh (*tmp 1,
 * the caller frees it). NULL with the reason in ctx on a bad pattern.
 */
static struct fn_rx *
fn_rx_get(struct expr *x, size_t argi, const json_t *pat,
    struct eval_ctx *ctx, int *tmp)
{
	int lit = x->x_args[argi]->x_kind == EX_LIT, ecode;
	PCRE2_SIZE eoff;
	PCRE2_UCHAR msg[128];
	struct fn_rx *rx;
	char *p;
	uint32_t opts = PCRE2_UTF;

	*tmp = !lit;
	if (lit && x->x_cache != NULL)
		return x->x_cache;
	if ((p = fn_text(pat)) == NULL) {
		fn_fail(ctx, "the regular expression of %s at offset %zu is "
		    "not a string", x->x_func == SML_FN_MATCH ? "match" :
		    "replace", x->x_off);
		return NULL;
	}
#ifdef PCRE2_MATCH_INVALID_UTF
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		free(p);
		FN_NOMEM(ctx);
		return NULL;
	}
	rx->rx_code = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, opts,
	    &ecode, &eoff, NULL);
	if (rx->rx_code == NULL) {
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		fn_fail(ctx, "bad regular expression \"%s\" at offset %zu: %s "
		    "(at character %zu of the pattern)", p, x->x_off,
		    (const char *)msg, (size_t)eoff);
		free(p);
		free(rx);
		return NULL;
	}
	free(p);
	sml_regex_jit(rx->rx_code);
	rx->rx_md = pcre2_match_data_create_from_pattern(rx->rx_code, NULL);
	if (rx->rx_md == NULL || sml_regex_env_init(&rx->rx_env,
	    ctx ? ctx->ec_rx_match_limit : 0,
	    ctx ? ctx->ec_rx_depth_limit : 0) == -1) {
		fn_rx_free(rx);
		FN_NOMEM(ctx);
		return NULL;
	}
	if (lit) {
		x->x_cache = rx;
		x->x_cache_free = fn_rx_free;
	}
	return rx;
}

/*
 * The text of v as a regex subject: fn_text with 32 spare bytes after the
 * end, since the JIT-compiled matcher reads ahead in 16-byte loads.
 */
static char *
fn_subject(const json_t *v)
{
	char *s = fn_text(v), *p;

	if (s == NULL)
		return NULL;
	if ((p = realloc(s, strlen(s) + 33)) == NULL) {
		free(s);
		return NULL;
	}
	memset(p + strlen(p) + 1, 0, 32);
	return p;
}

/*
 * Fails the call fn ("match()") for the result rc of pcre2_match(), an
 * error other than no match: a limit reached is not an answer.
 */
static void
fn_rx_fail(struct fn_rx *rx, int rc, const char *fn, struct eval_ctx *ctx)
{
	if (ctx && ctx->ec_err && ctx->ec_errlen)
		sml_regex_error(&rx->rx_env, rc, fn, ctx->ec_err,
		    ctx->ec_errlen);
}

/*
 * Returns 1 when rx matches somewhere in v (any element), 0 if not, -1
 * when the matcher failed (a limit reached) with the reason in ctx.
 */
static int
fn_rx_match(struct fn_rx *rx, const json_t *v, struct eval_ctx *ctx)
{
	char *s;
	size_t i;
	int r;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if ((r = fn_rx_match(rx, json_array_get(v, i),
			    ctx)) != 0)
				return r;
		return 0;
	}
	if ((s = fn_subject(v)) == NULL)
		return 0;
	r = pcre2_match(rx->rx_code, (PCRE2_SPTR)s, strlen(s), 0, 0,
	    rx->rx_md, rx->rx_env.rg_mctx);
	free(s);
	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	fn_rx_fail(rx, r, "match()", ctx);
	return -1;
}

/* Appends repl with \0..\9 replaced by the groups of the match. */
static int
fn_rx_repl(struct buf *b, const char *s, const char *repl,
    const PCRE2_SIZE *ov, int ngroups)
{
	const char *r;

	for (r = repl; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
			int g = r[1] - '0';

			r++;
			if (g < ngroups && ov[2 * g] != PCRE2_UNSET &&
			    buf_append(b, s + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]) == -1)
				return -1;
			continue;
		}
		if (r[0] == '\\' && r[1] == '\\')
			r++;
		if (buf_putc(b, *r) == -1)
			return -1;
	}
	return 0;
}

/*
 * replace() on one scalar: every match of rx replaced by repl. Returns a
 * new reference, or NULL with the reason in ctx (out of memory, the
 * matcher failed on a limit).
 */
static json_t *
fn_replace1(struct fn_rx *rx, const json_t *v, const char *repl,
    struct eval_ctx *ctx)
{
	char *s = fn_subject(v);
	struct buf b = BUF_INIT;
	PCRE2_SIZE *ov, off = 0, last = 0, n;
	json_t *r;
	int rc = PCRE2_ERROR_NOMATCH;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	ov = pcre2_get_ovector_pointer(rx->rx_md);
	while (off <= n && (rc = pcre2_match(rx->rx_code, (PCRE2_SPTR)s, n,
	    off, 0, rx->rx_md, rx->rx_env.rg_mctx)) >= 0) {
		if (ov[0] < last || ov[1] < ov[0])
			break;	/* \K games: stop rather than loop */
		if (buf_append(&b, s + last, ov[0] - last) == -1 ||
		    fn_rx_repl(&b, s, repl, ov, rc == 0 ? 10 : rc) == -1)
			goto nomem;
		if (ov[1] == ov[0]) {
			size_t k;

			if (ov[0] >= n) {
				last = n;
				break;
			}
			k = fn_u8len((const unsigned char *)s + ov[0],
			    (const unsigned char *)s + n);
			if (buf_append(&b, s + ov[0], k) == -1)
				goto nomem;
			off = last = ov[0] + k;
		} else
			off = last = ov[1];
	}
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
		fn_rx_fail(rx, rc, "replace()", ctx);
		fn_str_built(s, &b, 0);
		return NULL;
	}
	if (last < n && buf_append(&b, s + last, n - last) == -1)
		goto nomem;
	if ((r = fn_str_built(s, &b, 1)) == NULL)
		FN_NOMEM(ctx);
	return r;
nomem:
	fn_str_built(s, &b, 0);
	return FN_NOMEM(ctx);
}

/* replace() on each element of an array. Returns as fn_replace1. */
static json_t *
fn_replace_all(struct fn_rx *rx, const json_t *arr, const char *repl,
    struct eval_ctx *ctx)
{
	json_t *r = json_array(), *el, *one;
	size_t i;

	if (r == NULL)
		return FN_NOMEM(ctx);
	json_array_foreach(arr, i, el) {
		if ((one = fn_replace1(rx, el, repl, ctx)) == NULL) {
			json_decref(r);
			return NULL;
		}
		if (json_array_append_new(r, one) == -1) {
			json_decref(r);
			return FN_NOMEM(ctx);
		}
	}
	return r;
}

/* ---- The functions ---- */

/*
 * match(s, regex): whether the expression matches somewhere in s (any
 * element); a limit reached fails the call.
 */
json_t *
fn_match(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1];
	struct fn_rx *rx;
	int tmp, t;

	if (fn_is_null(a) || fn_is_null(b))
		return json_null();
	if ((rx = fn_rx_get(fc->fc_x, 1, b, fc->fc_ctx, &tmp)) == NULL)
		return NULL;
	t = fn_rx_match(rx, a, fc->fc_ctx);
	if (tmp)
		fn_rx_free(rx);
	if (t < 0)
		return NULL;	/* the reason is in ctx */
	return json_boolean(t);
}

/*
 * replace(s, regex, repl): every match replaced, \0..\9 in repl the groups;
 * on each element of an array.
 */
json_t *
fn_replace(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1], *c = fc->fc_v[2], *r;
	struct fn_rx *rx;
	char *s2;
	int tmp;

	if (fn_is_null(a) || fn_is_null(b) || fn_is_null(c))
		return json_null();
	if ((rx = fn_rx_get(fc->fc_x, 1, b, fc->fc_ctx, &tmp)) == NULL)
		return NULL;
	if ((s2 = fn_text(c)) == NULL)
		r = json_null();
	else if (json_is_array(a))
		r = fn_replace_all(rx, a, s2, fc->fc_ctx);
	else
		r = fn_replace1(rx, a, s2, fc->fc_ctx);
	if (tmp)
		fn_rx_free(rx);
	free(s2);
	return r;	/* NULL: the reason is in ctx */
}
