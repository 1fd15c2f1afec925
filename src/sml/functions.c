/* functions.c - the table of the functions of expressions, and the
 * dispatch of a call through it. */
#include <stddef.h>
#include <strings.h>

#include "sml/engine.h"
#include "sml/fn/fn.h"

/*
 * One row per function, at the index of its id (enum sml_func, ast.h), by
 * family: id, name, the least and the most arguments (-1: any), SML_FNF_*
 * flags, the implementation. Adding a function: its implementation
 * fn_<name> in the file of its family fn/<family>.c (its prototype in
 * fn/fn.h), its id in ast.h and its row here (docs/DESIGN.md, "Adding a
 * command or a function").
 */
#define FN(id, name, lo, hi, flags, impl) \
	[SML_FN_##id] = { SML_FN_##id, name, lo, hi, flags, impl }
static const struct sml_func_info sml_funcs[] = {
	/* fn/cond.c: conditions */
	FN(IF, "if", 3, 3, SML_FNF_LAZY, fn_if),
	FN(CASE, "case", 2, -1, SML_FNF_LAZY | SML_FNF_PAIRS, fn_case),
	FN(COALESCE, "coalesce", 1, -1, SML_FNF_LAZY, fn_coalesce),
	FN(LIKE, "like", 2, 2, 0, fn_like),
	FN(SEARCHMATCH, "searchmatch", 1, 1, SML_FNF_COND, fn_searchmatch),
	FN(CIDRMATCH, "cidrmatch", 2, 2, 0, fn_cidrmatch),
	FN(NULLIF, "nullif", 2, 2, 0, fn_nullif),
	FN(VALIDATE, "validate", 2, -1, SML_FNF_LAZY | SML_FNF_PAIRS,
	    fn_validate),
	FN(NULL, "null", 0, 0, 0, fn_null),
	FN(TRUE, "true", 0, 0, 0, fn_true),
	FN(FALSE, "false", 0, 0, 0, fn_false),
	/* fn/info.c: what a value is */
	FN(ISNULL, "isnull", 1, 1, 0, fn_isnull),
	FN(ISNOTNULL, "isnotnull", 1, 1, 0, fn_isnotnull),
	FN(ISNUM, "isnum", 1, 1, 0, fn_isnum),
	FN(ISSTR, "isstr", 1, 1, 0, fn_isstr),
	FN(TYPEOF, "typeof", 1, 1, 0, fn_typeof),
	FN(ISINT, "isint", 1, 1, 0, fn_isint),
	FN(ISBOOL, "isbool", 1, 1, 0, fn_isbool),
	/* fn/string.c: text */
	FN(LEN, "len", 1, 1, 0, fn_len),
	FN(LOWER, "lower", 1, 1, 0, fn_lower),
	FN(UPPER, "upper", 1, 1, 0, fn_upper),
	FN(TRIM, "trim", 1, 2, 0, fn_trim),
	FN(LTRIM, "ltrim", 1, 2, 0, fn_ltrim),
	FN(RTRIM, "rtrim", 1, 2, 0, fn_rtrim),
	FN(SUBSTR, "substr", 2, 3, 0, fn_substr),
	FN(SPLIT, "split", 2, 2, 0, fn_split),
	FN(URLDECODE, "urldecode", 1, 1, 0, fn_urldecode),
	/* fn/regex.c: regular expressions */
	FN(MATCH, "match", 2, 2, SML_FNF_REGEX, fn_match),
	FN(REPLACE, "replace", 3, 3, SML_FNF_REGEX, fn_replace),
	/* fn/convert.c: conversions */
	FN(TONUMBER, "tonumber", 1, 2, 0, fn_tonumber),
	FN(TOSTRING, "tostring", 1, 2, 0, fn_tostring),
	/* fn/math.c: numbers */
	FN(ROUND, "round", 1, 2, 0, fn_round),
	FN(FLOOR, "floor", 1, 1, 0, fn_floor),
	FN(CEIL, "ceil", 1, 1, 0, fn_ceil),
	FN(ABS, "abs", 1, 1, 0, fn_abs),
	FN(SQRT, "sqrt", 1, 1, 0, fn_sqrt),
	FN(POW, "pow", 2, 2, 0, fn_pow),
	FN(LOG, "log", 1, 2, 0, fn_log),
	FN(LN, "ln", 1, 1, 0, fn_ln),
	FN(EXP, "exp", 1, 1, 0, fn_exp),
	FN(MIN, "min", 1, -1, SML_FNF_LAZY, fn_min),
	FN(MAX, "max", 1, -1, SML_FNF_LAZY, fn_max),
	FN(RANDOM, "random", 0, 0, 0, fn_random),
	FN(PI, "pi", 0, 0, 0, fn_pi),
	FN(SIN, "sin", 1, 1, 0, fn_sin),
	FN(COS, "cos", 1, 1, 0, fn_cos),
	FN(TAN, "tan", 1, 1, 0, fn_tan),
	FN(ASIN, "asin", 1, 1, 0, fn_asin),
	FN(ACOS, "acos", 1, 1, 0, fn_acos),
	FN(ATAN, "atan", 1, 1, 0, fn_atan),
	FN(ATAN2, "atan2", 2, 2, 0, fn_atan2),
	FN(HYPOT, "hypot", 2, 2, 0, fn_hypot),
	/* fn/time.c: times */
	FN(NOW, "now", 0, 0, 0, fn_now),
	FN(TIME, "time", 0, 0, 0, fn_time),
	FN(STRFTIME, "strftime", 2, 2, 0, fn_strftime),
	FN(STRPTIME, "strptime", 2, 2, 0, fn_strptime),
	FN(RELATIVE_TIME, "relative_time", 2, 2, 0, fn_relative_time),
	/* fn/mv.c: multivalues */
	FN(MVCOUNT, "mvcount", 1, 1, 0, fn_mvcount),
	FN(MVINDEX, "mvindex", 2, 3, 0, fn_mvindex),
	FN(MVJOIN, "mvjoin", 2, 2, 0, fn_mvjoin),
	FN(MVAPPEND, "mvappend", 1, -1, SML_FNF_LAZY, fn_mvappend),
	FN(MVDEDUP, "mvdedup", 1, 1, 0, fn_mvdedup),
	FN(MVSORT, "mvsort", 1, 1, 0, fn_mvsort),
	FN(MVZIP, "mvzip", 2, 3, 0, fn_mvzip),
	FN(MVRANGE, "mvrange", 2, 3, 0, fn_mvrange),
	/* fn/hash.c: digests */
	FN(MD5, "md5", 1, 1, 0, fn_md5),
	FN(SHA1, "sha1", 1, 1, 0, fn_sha1),
	FN(SHA256, "sha256", 1, 1, 0, fn_sha256),
	/* fn/json.c: JSON */
	FN(JSON_EXTRACT, "json_extract", 2, 2, 0, fn_json_extract),
};
#undef FN

/* Every id has its row (one missing in the middle has a NULL name). */
_Static_assert(sizeof(sml_funcs) / sizeof(sml_funcs[0]) == SML_FN__COUNT,
    "a row of sml_funcs per enum sml_func");

const struct sml_func_info *
sml_func_lookup(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < SML_FN__COUNT; i++)
		if (sml_funcs[i].fi_name != NULL &&
		    strcasecmp(sml_funcs[i].fi_name, name) == 0)
			return &sml_funcs[i];
	return NULL;
}

const struct sml_func_info *
sml_func_of(enum sml_func f)
{
	if ((unsigned)f >= SML_FN__COUNT || sml_funcs[f].fi_name == NULL)
		return NULL;
	return &sml_funcs[f];
}

const char *
sml_func_name(enum sml_func f)
{
	const struct sml_func_info *fi = sml_func_of(f);

	return fi != NULL ? fi->fi_name : "?";
}

json_t *
func_eval(struct expr *x, struct event *e, struct eval_ctx *ctx)
{
	const struct sml_func_info *fi = sml_func_of(x->x_func);
	struct fn_call fc = { x, e, ctx, { NULL, NULL, NULL } };
	size_t n = x->x_nargs < 3 ? x->x_nargs : 3, i;
	json_t *r = NULL;

	if (fi != NULL && (fi->fi_flags & SML_FNF_LAZY))
		return fi->fi_eval(&fc);
	/* The others get their arguments evaluated (at most 3 are used). */
	for (i = 0; i < n; i++)
		if ((fc.fc_v[i] = expr_eval(x->x_args[i], e, ctx)) == NULL)
			goto done;
	r = fi != NULL ? fi->fi_eval(&fc) : json_null();
done:
	for (i = 0; i < n; i++)
		json_decref(fc.fc_v[i]);
	return r;
}
