/* ast.c - the parse tree's table of aggregations, and its destructors. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sml/ast.h"
#include "sml/sml.h"

/*
 * The aggregation functions by name. Aliases map to the same function;
 * perc<N> is matched by sml_agg_lookup() itself.
 */
static const struct {
	const char *an_name;
	enum agg_fn an_fn;
} sml_aggs[] = {
	{ "count", AGG_COUNT }, { "dc", AGG_DC },
	{ "distinct_count", AGG_DC }, { "sum", AGG_SUM }, { "avg", AGG_AVG },
	{ "mean", AGG_AVG }, { "min", AGG_MIN }, { "max", AGG_MAX },
	{ "range", AGG_RANGE }, { "median", AGG_MEDIAN }, { "stdev", AGG_STDEV },
	{ "var", AGG_VAR }, { "values", AGG_VALUES }, { "list", AGG_LIST },
	{ "first", AGG_FIRST }, { "last", AGG_LAST },
	{ "earliest", AGG_EARLIEST }, { "latest", AGG_LATEST },
};

/* Canonical names, in enum agg_fn order. */
static const char *const sml_agg_names[] = {
	"count", "dc", "sum", "avg", "min", "max", "range", "median", "perc",
	"stdev", "var", "values", "list", "first", "last", "earliest", "latest",
};

/*
 * Parses the percentile of "perc<N>": N is digits with an optional
 * fraction, 0 to 100. Returns 0 and *out, or -1.
 */
static int
sml_agg_perc(const char *s, double *out)
{
	double v = 0, scale = 1;
	size_t i = 0, digits = 0;

	while (s[i] >= '0' && s[i] <= '9' && digits < 8) {
		v = v * 10 + (s[i++] - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	if (s[i] == '.') {
		size_t frac = 0;

		for (i++; s[i] >= '0' && s[i] <= '9' && frac < 8; i++, frac++) {
			scale /= 10;
			v += (s[i] - '0') * scale;
		}
		if (frac == 0)
			return -1;
	}
	if (s[i] != '\0' || v > 100)
		return -1;
	*out = v;
	return 0;
}

int
sml_agg_lookup(const char *name, enum agg_fn *fn, double *perc)
{
	*perc = 0;
	for (size_t i = 0; i < sizeof(sml_aggs) / sizeof(sml_aggs[0]); i++)
		if (strcasecmp(sml_aggs[i].an_name, name) == 0) {
			*fn = sml_aggs[i].an_fn;
			return 0;
		}
	if (strncasecmp(name, "perc", 4) != 0)
		return -1;
	*fn = AGG_PERC;
	return sml_agg_perc(name + 4, perc) == 0 ? 0 : -2;
}

const char *
sml_agg_name(enum agg_fn fn)
{
	if ((size_t)fn >= sizeof(sml_agg_names) / sizeof(sml_agg_names[0]))
		return "?";
	return sml_agg_names[fn];
}

/*
 * The trees are at most LEX_MAX_DEPTH levels deep (the parser refuses
 * deeper ones), so plain recursion is bounded here.
 */
void
sml_expr_free(struct expr *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->x_nargs; i++)
		sml_expr_free(x->x_args[i]);
	free(x->x_args);
	if (x->x_lit != NULL)
		json_decref(x->x_lit);
	free(x->x_name);
	sml_query_free(x->x_sub);
	if (x->x_cache != NULL && x->x_cache_free != NULL)
		x->x_cache_free(x->x_cache);
	free(x);
}

void
sml_cond_free(struct cond *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->c_nkids; i++)
		sml_cond_free(c->c_kids[i]);
	free(c->c_kids);
	for (size_t i = 0; i < c->c_nvalues; i++)
		free(c->c_values[i]);
	free(c->c_values);
	free(c->c_field);
	free(c->c_value);
	sml_query_free(c->c_sub);
	if (c->c_cache != NULL && c->c_cache_free != NULL)
		c->c_cache_free(c->c_cache);
	free(c);
}

void
sml_aggs_free(struct agg *a, size_t n)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].a_field);
		free(a[i].a_as);
	}
	free(a);
}
