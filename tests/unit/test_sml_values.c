/* test_sml_values.c - events, values, expressions, functions and search. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/evtime.h"
#include "common/timeutil.h"
#include "sml/engine.h"
#include "tap.h"

/*
 * The AST nodes are built by hand here (not parsed), so these tests pin
 * the engine's semantics independently of the parser.
 */

/* ---- Building expressions ---- */

static struct expr *
x_new(enum expr_kind k)
{
	struct expr *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	x->x_kind = k;
	return x;
}

static struct expr *
L(json_t *v)
{
	struct expr *x = x_new(EX_LIT);

	x->x_lit = v;
	return x;
}

static struct expr *LI(long long i) { return L(json_integer(i)); }
static struct expr *LR(double d) { return L(json_real(d)); }
static struct expr *LS(const char *s) { return L(json_string(s)); }
static struct expr *LN(void) { return L(json_null()); }
static struct expr *LB(int b) { return L(json_boolean(b)); }

static struct expr *
F(const char *name)
{
	struct expr *x = x_new(EX_FIELD);

	x->x_name = strdup(name);
	return x;
}

static struct expr *
B(enum expr_op op, struct expr *a, struct expr *b)
{
	struct expr *x = x_new(EX_BINARY);

	x->x_op = op;
	x->x_nargs = 2;
	x->x_args = calloc(2, sizeof(*x->x_args));
	x->x_args[0] = a;
	x->x_args[1] = b;
	return x;
}

static struct expr *
U(enum expr_op op, struct expr *a)
{
	struct expr *x = x_new(EX_UNARY);

	x->x_op = op;
	x->x_nargs = 1;
	x->x_args = calloc(1, sizeof(*x->x_args));
	x->x_args[0] = a;
	return x;
}

static struct expr *
xlist(struct expr *x, int n, va_list ap)
{
	int i;

	x->x_nargs = (size_t)n;
	x->x_args = calloc((size_t)n + 1, sizeof(*x->x_args));
	for (i = 0; i < n; i++)
		x->x_args[i] = va_arg(ap, struct expr *);
	return x;
}

static struct expr *
C(enum sml_func fn, int n, ...)
{
	struct expr *x = x_new(EX_CALL);
	va_list ap;

	x->x_func = fn;
	va_start(ap, n);
	xlist(x, n, ap);
	va_end(ap);
	return x;
}

/* a IN (n values) */
static struct expr *
XIN(int n, ...)
{
	struct expr *x = x_new(EX_IN);
	va_list ap;

	va_start(ap, n);
	xlist(x, n, ap);
	va_end(ap);
	return x;
}

/* ---- Building conditions ---- */

static struct cond *
c_new(enum cond_kind k)
{
	struct cond *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	c->c_kind = k;
	return c;
}

static struct cond *
CMP(const char *f, enum expr_op op, const char *v)
{
	struct cond *c = c_new(CD_CMP);

	c->c_field = strdup(f);
	c->c_op = op;
	c->c_value = strdup(v);
	return c;
}

static struct cond *
CEX(const char *f)
{
	struct cond *c = c_new(CD_EXISTS);

	c->c_field = strdup(f);
	return c;
}

static struct cond *
CTERM(const char *v)
{
	struct cond *c = c_new(CD_TERM);

	c->c_value = strdup(v);
	return c;
}

static struct cond *
CIN(const char *f, int n, ...)
{
	struct cond *c = c_new(CD_IN);
	va_list ap;
	int i;

	c->c_field = strdup(f);
	c->c_nvalues = (size_t)n;
	c->c_values = calloc((size_t)n + 1, sizeof(char *));
	va_start(ap, n);
	for (i = 0; i < n; i++)
		c->c_values[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	return c;
}

static struct cond *
CNOT(struct cond *k)
{
	struct cond *c = c_new(CD_NOT);

	c->c_nkids = 1;
	c->c_kids = calloc(1, sizeof(*c->c_kids));
	c->c_kids[0] = k;
	return c;
}

static struct cond *
CBOOL(enum cond_kind kind, int n, ...)
{
	struct cond *c = c_new(kind);
	va_list ap;
	int i;

	c->c_nkids = (size_t)n;
	c->c_kids = calloc((size_t)n + 1, sizeof(*c->c_kids));
	va_start(ap, n);
	for (i = 0; i < n; i++)
		c->c_kids[i] = va_arg(ap, struct cond *);
	va_end(ap);
	return c;
}

/* ---- Running them ---- */

static const char *EV =
    "{\"@timestamp\":\"2026-11-28T10:00:00.000Z\",\"EventID\":1,"
    "\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"User\":\"CORP\\\\alice\","
    "\"n\":\"42\",\"r\":2.5,\"z\":0,\"neg\":-7,\"t\":true,\"f\":false,"
    "\"nul\":null,\"Tags\":[\"t1059\",\"lolbin\"],\"nums\":[3,10,7],"
    "\"empty\":\"\",\"name\":\"J\\u00fcrgen M\\u00fcller\","
    "\"sp\":\"  padded  \",\"ip\":\"10.1.2.3\",\"ip6\":\"2001:db8::1\","
    "\"process\":{\"name\":\"cmd.exe\",\"pid\":4242,"
    "\"parent\":{\"name\":\"explorer.exe\"}},"
    "\"process.name\":\"dotted-wins\",\"url\":\"a%20b+c%2Fd\","
    "\"js\":\"{\\\"k\\\":{\\\"arr\\\":[1,{\\\"x\\\":\\\"deep\\\"}]}}\","
    "\"big\":9007199254740993,\"msg\":\"He said \\\"EventID\\\": 5\"}";

static struct eval_ctx CTX;
static char ERRBUF[256];
static char OUT[8][4096];
static int OUTI;

/* Evaluates x on the event text ev (NULL: EV); returns the compact JSON of
 * the result (or "ERROR: ..."), in a rotating static buffer. Frees x. */
static const char *
evx(struct expr *x, const char *ev)
{
	struct event e;
	json_t *v;
	char *s, *o = OUT[OUTI++ % 8];

	ev = ev ? ev : EV;
	event_init(&e, ev, strlen(ev), 0, 0);
	ERRBUF[0] = '\0';
	v = expr_eval(x, &e, &CTX);
	if (v == NULL)
		snprintf(o, 4096, "ERROR: %s", ERRBUF);
	else {
		s = value_json(v, NULL);
		snprintf(o, 4096, "%s", s ? s : "(dump failed)");
		free(s);
		json_decref(v);
	}
	event_clear(&e);
	sml_expr_free(x);
	return o;
}

#define EX(x, want, ...) is_str(evx((x), NULL), (want), __VA_ARGS__)

static int maybe_violations;

/* cond_match of c on ev (NULL: EV); also checks that cond_maybe agrees
 * with a match. Frees c. */
static int
cm(struct cond *c, const char *ev)
{
	struct event e;
	int r, m;

	ev = ev ? ev : EV;
	m = cond_maybe(c, ev, strlen(ev));
	event_init(&e, ev, strlen(ev), 0, 0);
	r = cond_match(c, &e, &CTX);
	event_clear(&e);
	if (r == 1 && m == 0)
		maybe_violations++;
	sml_cond_free(c);
	return r;
}

/* cond_maybe alone. Frees c. */
static int
cmaybe(struct cond *c, const char *ev)
{
	int m = cond_maybe(c, ev, strlen(ev));

	sml_cond_free(c);
	return m;
}

/* event_get on raw text, dumped. */
static const char *
get(const char *ev, const char *field)
{
	struct event e;
	json_t *v;
	char *s, *o = OUT[OUTI++ % 8];

	event_init(&e, ev, strlen(ev), 0, 0);
	v = event_get(&e, field);
	if (v == NULL)
		snprintf(o, 4096, "MISSING");
	else {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(o, 4096, "%s", s);
		free(s);
	}
	event_clear(&e);
	return o;
}

/* ---- Tests ---- */

static void
test_event_get(void)
{
	struct event e, *k;
	json_t *v1, *v2;
	const char *t;
	size_t len;

	is_str(get(EV, "EventID"), "1", "get: top-level integer");
	is_str(get(EV, "Image"), "\"C:\\\\Windows\\\\System32\\\\cmd.exe\"",
	    "get: string with escaped backslashes");
	is_str(get(EV, "r"), "2.5", "get: real");
	is_str(get(EV, "t"), "true", "get: true");
	is_str(get(EV, "nul"), "null", "get: null is present as null");
	is_str(get(EV, "nope"), "MISSING", "get: missing field");
	is_str(get(EV, "Tags"), "[\"t1059\",\"lolbin\"]", "get: array");
	is_str(get(EV, "process.pid"), "4242", "get: nested");
	is_str(get(EV, "process.parent.name"), "\"explorer.exe\"",
	    "get: nested two levels");
	is_str(get(EV, "process.name"), "\"dotted-wins\"",
	    "get: whole dotted top-level key wins (after the object)");
	is_str(get("{\"a.b\":1,\"a\":{\"b\":2}}", "a.b"), "1",
	    "get: whole dotted top-level key wins (before the object)");
	is_str(get("{\"a\":{\"b\":2}}", "a.b"), "2", "get: nested path");
	is_str(get("{\"a\":{\"b\":2}}", "a.c"), "MISSING",
	    "get: nested missing");
	is_str(get("{\"a\":[{\"b\":2}]}", "a.b"), "MISSING",
	    "get: arrays are not walked by dotted names");
	is_str(get("{\"a\":\"x\"}", "a.b"), "MISSING",
	    "get: dotted into a string");
	is_str(get(EV, "name"), "\"Jürgen Müller\"",
	    "get: \\u escapes decode");
	{
		struct event e2;
		json_t *nv;

		event_init(&e2, EV, strlen(EV), 0, 0);
		nv = event_get(&e2, "name");
		is_str(json_string_value(nv), "J\xc3\xbcrgen M\xc3\xbcller",
		    "get: \\u00fc decodes to UTF-8");
		event_clear(&e2);
	}
	is_str(get(EV, "msg"), "\"He said \\\"EventID\\\": 5\"",
	    "get: escaped quotes inside a string");
	is_str(get(EV, "process"), "{\"name\":\"cmd.exe\",\"pid\":4242,"
	    "\"parent\":{\"name\":\"explorer.exe\"}}", "get: object value");
	is_str(get("{\"m\":\"\\\"EventID\\\":5\",\"EventID\":1}", "EventID"),
	    "1", "get: a key inside a string value is not a key");
	is_str(get("{\"k\\u0065y\":7}", "key"), "7", "get: escaped key name");
	is_str(get(" { \"a\" : 1 ,\n \"b\" : [ 1 , 2 ] , \"c\" : { } } ",
	    "b"), "[1,2]", "get: white space everywhere");
	is_str(get("{\"a\\\\\":\"x\\\\\",\"b\":3}", "b"), "3",
	    "get: strings ending in an escaped backslash");
	is_str(get("{}", "a"), "MISSING", "get: empty object");
	is_str(get("[1,2]", "a"), "MISSING", "get: not an object");
	is_str(get("{\"a\":1,", "a"), "1", "get: truncated after the field");
	is_str(get("{\"a\":1,\"b\":", "b"), "MISSING", "get: truncated value");
	is_str(get("{\"a\":\"\xe5\xb1\xb1\xe7\x94\xb0\"}", "a"),
	    "\"\xe5\xb1\xb1\xe7\x94\xb0\"", "get: raw UTF-8");
	is_str(get("{\"a\":-0,\"b\":1e2,\"c\":-12}", "b"), "100.0",
	    "get: exponent number is a real");
	is_str(get("{\"a\":-0,\"b\":1e2,\"c\":-12}", "c"), "-12",
	    "get: negative integer");
	is_str(get("{\"big\":9007199254740993}", "big"), "9007199254740993",
	    "get: integer above 2^53 exact");

	/* Cache: repeated gets give the same object. */
	event_init(&e, EV, strlen(EV), 0, 0);
	v1 = event_get(&e, "Image");
	v2 = event_get(&e, "Image");
	ok(v1 != NULL && v1 == v2, "get: repeated get is cached");
	v1 = event_get(&e, "nope");
	ok(v1 == NULL && event_get(&e, "nope") == NULL,
	    "get: missing is cached as missing");
	ok(e.ev_obj == NULL, "get: no full parse for lookups");
	t = event_text(&e, &len);
	ok(t == EV && len == strlen(EV),
	    "text: unchanged event gives its bytes");
	/* Keep a copy, then change the original: the copy is not touched. */
	k = event_keep(&e);
	ok(event_set(&e, "EventID", json_integer(2)) == 0, "set: ok");
	is_int(json_integer_value(event_get(&e, "EventID")), 2,
	    "set: get reads the changed object");
	is_int(json_integer_value(event_get(k, "EventID")), 1,
	    "keep: the copy keeps its value");
	event_obj(k);
	event_set(k, "x", json_string("y"));
	is_int(json_integer_value(event_get(&e, "EventID")), 2,
	    "keep: copy-on-write both ways");
	ok(event_get(&e, "x") == NULL, "keep: change of the copy not seen");
	event_del(&e, "Tags");
	ok(event_get(&e, "Tags") == NULL, "del: removed");
	t = event_text(&e, &len);
	ok(t != NULL && strstr(t, "\"EventID\":2") != NULL &&
	    strstr(t, "Tags") == NULL, "text: changed event serialised");
	event_set(&e, "EventID", json_null());
	ok(event_get(&e, "EventID") == NULL, "set null removes the field");
	event_free(k);
	event_clear(&e);
}

/*
 * Sets (or with null removes) field on an event of text t and returns its
 * text afterwards (static), noting whether it was parsed.
 */
static const char *
spliced(const char *t, const char *field, json_t *v, int *parsed)
{
	static char out[512];
	struct event e;
	const char *r;
	size_t len;

	event_init(&e, t, strlen(t), 0, 0);
	if (event_set(&e, field, v) != 0) {
		event_clear(&e);
		return "(error)";
	}
	*parsed = e.ev_obj != NULL;
	r = event_text(&e, &len);
	snprintf(out, sizeof(out), "%.*s", (int)len, r ? r : "(null)");
	event_clear(&e);
	return out;
}

/* event_set on a text-only event writes new text around the old. */
static void
test_event_splice(void)
{
	struct event e;
	int parsed = -1;

	is_str(spliced("{\"a\":1,\"b\":2}", "a", json_string("x"), &parsed),
	    "{\"a\":\"x\",\"b\":2}", "splice: replace the first member");
	ok(parsed == 0, "splice: no parse");
	is_str(spliced("{\"a\":1,\"b\":2}", "b", json_integer(-3), &parsed),
	    "{\"a\":1,\"b\":-3}", "splice: replace the last member");
	is_str(spliced("{\"a\":1,\"b\":2}", "c", json_real(0.5), &parsed),
	    "{\"a\":1,\"b\":2,\"c\":0.5}", "splice: a new member goes last");
	is_str(spliced("{}", "c", json_true(), &parsed), "{\"c\":true}",
	    "splice: into an empty object");
	is_str(spliced(" { } ", "c", json_true(), &parsed), " { \"c\":true} ",
	    "splice: into an empty object with spaces");
	is_str(spliced("{\"a\":1,\"b\":2,\"c\":3}", "b", json_null(),
	    &parsed), "{\"a\":1,\"c\":3}", "splice: remove a middle member");
	is_str(spliced("{\"a\":1, \"b\" : 2 }", "b", NULL, &parsed),
	    "{\"a\":1 }", "splice: remove the last member");
	is_str(spliced("{ \"a\" : [1, 2] }", "a", json_null(), &parsed),
	    "{  }", "splice: remove the only member");
	is_str(spliced("{\"a\":1}", "z", json_null(), &parsed), "{\"a\":1}",
	    "splice: removing a missing member changes nothing");
	is_str(spliced("{\"big\":9007199254740993, \"r\":1e2}", "n",
	    json_string("q\"\n"), &parsed),
	    "{\"big\":9007199254740993, \"r\":1e2,\"n\":\"q\\\"\\n\"}",
	    "splice: other members keep their bytes");
	is_str(spliced("{\"a\":{\"b\":1}}", "a.b", json_integer(2), &parsed),
	    "{\"a\":{\"b\":1},\"a.b\":2}",
	    "splice: a dotted name is a top-level key");
	is_str(spliced("{\"x\\u0041\":1}", "xA", json_integer(2), &parsed),
	    "{\"x\\u0041\":2}", "splice: an escaped member name");
	is_str(spliced("{\"k\":1}", "\xc3\xa9\"", json_integer(2), &parsed),
	    "{\"k\":1,\"\xc3\xa9\\\"\":2}", "splice: a new name escaped");
	/* Twice the same name: Jansson's last one wins, so it parses. */
	is_str(spliced("{\"a\":1,\"a\":2}", "a", json_integer(3), &parsed),
	    "{\"a\":3}", "splice: a duplicate name is parsed");
	ok(parsed == 1, "splice: ... with a parse");
	is_str(spliced("{\"a\":1,", "a", json_integer(3), &parsed), "(error)",
	    "splice: text the walk cannot read is left to the parser");

	/* Gets after a splice see the new text; the old cache is gone. */
	event_init(&e, "{\"a\":1,\"b\":\"x\"}", 15, 0, 0);
	is_int(json_integer_value(event_get(&e, "a")), 1, "splice: get before");
	event_set(&e, "a", json_integer(7));
	event_set(&e, "c", json_string("new"));
	is_int(json_integer_value(event_get(&e, "a")), 7, "splice: get after");
	is_str(json_string_value(event_get(&e, "c")), "new",
	    "splice: get of the new member");
	is_str(json_string_value(event_get(&e, "b")), "x",
	    "splice: get of an untouched member");
	ok(e.ev_obj == NULL && e.ev_owned == 1, "splice: still text, owned");
	event_clear(&e);
}

/* value_number of a string value. */
static int
numstr(const char *s, double *d)
{
	json_t *v = json_string(s);
	int r = value_number(v, d);

	json_decref(v);
	return r;
}

static void
test_values(void)
{
	double d = 0;
	json_t *a, *b;
	char *s;
	char big[10001];

	ok(numstr("12", &d) && d == 12, "number: \"12\"");
	ok(numstr("-1.5e3", &d) && d == -1500, "number: \"-1.5e3\"");
	ok(numstr(".5", &d) && d == 0.5, "number: \".5\"");
	ok(numstr("5.", &d) && d == 5, "number: \"5.\"");
	ok(!numstr(" 12", &d), "number: leading space no");
	ok(!numstr("12abc", &d), "number: trailing text no");
	ok(!numstr("0x1F", &d), "number: hex no");
	ok(!numstr("inf", &d), "number: inf no");
	ok(!numstr("", &d), "number: empty no");
	ok(!numstr("-", &d), "number: sign alone no");
	ok(!value_number(json_true(), &d), "number: boolean no");
	ok(value_number(a = json_integer(7), &d) && d == 7, "number: integer");
	json_decref(a);

	s = value_string(a = json_real(3.0));
	is_str(s, "3", "string: integral real without .0");
	free(s);
	json_decref(a);
	s = value_string(a = json_real(0.1));
	is_str(s, "0.1", "string: 0.1 shortest");
	free(s);
	json_decref(a);
	s = value_string(a = json_integer(-42));
	is_str(s, "-42", "string: integer");
	free(s);
	json_decref(a);
	s = value_string(json_false());
	is_str(s, "false", "string: false");
	free(s);
	ok(value_string(json_null()) == NULL, "string: null is NULL");

#define CMPV(x, y) (a = (x), b = (y), d = value_cmp(a, b), json_decref(a), \
	json_decref(b), d < 0 ? -1 : d > 0)
	is_int(CMPV(json_integer(2), json_integer(10)), -1, "cmp: 2 < 10");
	is_int(CMPV(json_string("10"), json_integer(9)), 1,
	    "cmp: numeric string numerically");
	is_int(CMPV(json_integer(99), json_string("a")), -1,
	    "cmp: numbers before strings");
	is_int(CMPV(json_string("B"), json_string("a")), -1,
	    "cmp: strings by bytes");
	is_int(CMPV(json_string("abc"), json_string("abcd")), -1,
	    "cmp: prefix first");
	is_int(CMPV(json_string("zzz"), json_null()), -1, "cmp: null last");
	is_int(value_cmp(NULL, json_null()), 0, "cmp: missing == null");
	is_int(CMPV(json_integer(1), json_real(1.0)), 0, "cmp: 1 == 1.0");
	is_int(CMPV(json_integer(9007199254740993LL),
	    json_integer(9007199254740992LL)), 1, "cmp: big integers exact");
	is_int(CMPV(json_integer(9007199254740993LL),
	    json_real(9007199254740992.0)), 1, "cmp: integer vs real exact");
	a = json_integer(1);
	is_int(value_cmp(NULL, a), 1, "cmp: missing after number");
	json_decref(a);

	ok(value_wildcard("*\\temp\\*", "C:\\TEMP\\x.exe", 13, 1),
	    "wildcard: middle, case-insensitive");
	ok(!value_wildcard("*\\temp\\*", "C:\\TEMP\\x.exe", 13, 0),
	    "wildcard: case-sensitive mismatch");
	ok(value_wildcard("cmd.exe", "CMD.EXE", 7, 1), "wildcard: no star ci");
	ok(value_wildcard("a*b*c", "aXbYc", 5, 0), "wildcard: two stars");
	ok(!value_wildcard("a*b*c", "aXcYb", 5, 0), "wildcard: order matters");
	ok(value_wildcard("*", "", 0, 0), "wildcard: star matches empty");
	ok(!value_wildcard("ab*ba", "aba", 3, 0),
	    "wildcard: head and tail do not overlap");
	memset(big, 'a', 10000);
	big[10000] = '\0';
	ok(!value_wildcard("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", big, 10000, 0),
	    "wildcard: no exponential backtracking");
	ok(value_like("a%", "abc", 3), "like: a%%");
	ok(value_like("_b_", "\xc3\xbc" "bc", 4), "like: _ is one UTF-8 char");
	ok(!value_like("a%", "Abc", 3), "like: case-sensitive");
	ok(value_like("%c:\\windows%", "c:\\windows\\x", 12),
	    "like: backslash is literal");
}

static void
test_operators(void)
{
	EX(B(EXOP_ADD, LI(2), LI(3)), "5", "+ integers");
	EX(B(EXOP_ADD, LI(2), LR(0.5)), "2.5", "+ mixed is real");
	EX(B(EXOP_ADD, LS("1"), LS("2")), "3", "+ numeric strings add");
	EX(B(EXOP_ADD, LS("a"), LS("b")), "\"ab\"", "+ strings concatenate");
	EX(B(EXOP_ADD, LS("a"), LI(1)), "null", "+ string and number: null");
	EX(B(EXOP_ADD, F("nope"), LI(1)), "null", "+ null propagates");
	EX(B(EXOP_SUB, LI(2), LI(5)), "-3", "- integers");
	EX(B(EXOP_MUL, LR(1.5), LI(2)), "3", "* integral result is integer");
	EX(B(EXOP_MUL, LI(4611686018427387904LL), LI(4)),
	    "1.8446744073709552e+19", "* overflow goes real");
	EX(B(EXOP_DIV, LI(6), LI(3)), "2", "/ exact stays integer");
	EX(B(EXOP_DIV, LI(7), LI(2)), "3.5", "/ inexact is real");
	EX(B(EXOP_DIV, LI(7), LI(0)), "null", "/ by zero is null");
	EX(B(EXOP_MOD, LI(7), LI(3)), "1", "%% integers");
	EX(B(EXOP_MOD, LI(-7), LI(3)), "-1", "%% sign of the dividend");
	EX(B(EXOP_MOD, LR(5.5), LI(2)), "1.5", "%% reals");
	EX(B(EXOP_MOD, LI(5), LI(0)), "null", "%% by zero is null");
	EX(B(EXOP_MUL, F("n"), LI(2)), "84", "* numeric string field");
	EX(B(EXOP_MUL, F("Image"), LI(2)), "null", "* non-number is null");
	EX(U(EXOP_NEG, F("neg")), "7", "unary minus");
	EX(U(EXOP_NEG, LS("x")), "null", "unary minus of a string");
	EX(B(EXOP_CONCAT, LS("a"), LI(1)), "\"a1\"", ". concatenates numbers");
	EX(B(EXOP_CONCAT, LS("a"), LR(2.0)), "\"a2\"", ". integral real");
	EX(B(EXOP_CONCAT, LS("a"), F("nope")), "null", ". null propagates");
	EX(B(EXOP_CONCAT, F("t"), LS("!")), "\"true!\"", ". boolean text");
	EX(B(EXOP_EQ, F("EventID"), LI(1)), "true", "= numbers");
	EX(B(EXOP_EQ, F("n"), LI(42)), "true", "= numeric string and number");
	EX(B(EXOP_EQ, LS("1.0"), LI(1)), "true", "= \"1.0\" == 1");
	EX(B(EXOP_EQ, LS("abc"), LS("ABC")), "false", "= case-sensitive");
	EX(B(EXOP_EQ, LS("abc"), LS("abc")), "true", "= exact strings");
	EX(B(EXOP_EQ, LS("a*"), LS("abc")), "false", "= no wildcards");
	EX(B(EXOP_NE, F("nope"), LI(1)), "false", "!= on null is false");
	EX(B(EXOP_EQ, F("nope"), LN()), "false", "= null is false");
	EX(B(EXOP_NE, F("EventID"), LI(2)), "true", "!= numbers");
	EX(B(EXOP_LT, F("r"), LI(3)), "true", "< real and integer");
	EX(B(EXOP_GE, F("n"), LS("42")), "true", ">= numeric strings");
	EX(B(EXOP_LT, LS("a"), LS("b")), "false", "< on strings is false");
	EX(B(EXOP_GT, F("big"), LI(9007199254740992LL)), "true",
	    "> exact on big integers");
	EX(B(EXOP_EQ, F("Tags"), LS("lolbin")), "true", "= array: any element");
	EX(B(EXOP_NE, F("Tags"), LS("lolbin")), "true",
	    "!= array: any element differs");
	EX(B(EXOP_GT, F("nums"), LI(9)), "true", "> array: any element");
	EX(B(EXOP_GT, F("nums"), LI(10)), "false", "> array: none");
	EX(B(EXOP_EQ, F("t"), LB(1)), "true", "= booleans");
	EX(B(EXOP_AND, LB(1), F("nope")), "false", "AND with null is false");
	EX(B(EXOP_OR, F("nope"), LI(1)), "true", "OR");
	EX(B(EXOP_OR, LB(1), B(EXOP_DIV, LI(1), C(SML_FN_MATCH, 2, LS("a"),
	    LS("(")))), "true", "OR short-circuits (no regex error)");
	EX(U(EXOP_NOT, F("nope")), "true", "NOT null is true");
	EX(U(EXOP_NOT, B(EXOP_EQ, F("EventID"), LI(1))), "false", "NOT");
	EX(XIN(4, F("EventID"), LI(3), LS("1"), LI(7)), "true", "IN numeric");
	EX(XIN(3, F("Image"), LS("x"), LS("y")), "false", "IN no match");
	EX(XIN(2, F("nope"), LN()), "false", "IN on null");
	EX(B(EXOP_LIKE, F("Image"), LS("C:%cmd.exe")), "true", "LIKE");
	EX(B(EXOP_LIKE, F("nope"), LS("%")), "null", "LIKE on null is null");
	EX(F("process.parent.name"), "\"explorer.exe\"", "field: nested");
	EX(LR(3.0), "3.0", "literal real passes as is");
}

static void
test_functions(void)
{
	char want[64];

	EX(C(SML_FN_IF, 3, B(EXOP_EQ, F("EventID"), LI(1)), LS("y"), LS("n")),
	    "\"y\"", "if true");
	EX(C(SML_FN_IF, 3, F("nope"), LS("y"), LS("n")), "\"n\"",
	    "if null is false");
	EX(C(SML_FN_CASE, 4, B(EXOP_EQ, LI(1), LI(2)), LS("a"),
	    B(EXOP_EQ, LI(1), LI(1)), LS("b")), "\"b\"", "case second");
	EX(C(SML_FN_CASE, 2, LB(0), LS("a")), "null", "case none: null");
	EX(C(SML_FN_COALESCE, 3, F("nope"), F("nul"), F("EventID")), "1",
	    "coalesce");
	EX(C(SML_FN_COALESCE, 1, F("nope")), "null", "coalesce all null");
	EX(C(SML_FN_ISNULL, 1, F("nul")), "true", "isnull null");
	EX(C(SML_FN_ISNULL, 1, F("empty")), "false", "isnull empty string");
	EX(C(SML_FN_ISNOTNULL, 1, F("z")), "true", "isnotnull 0");
	EX(C(SML_FN_ISNUM, 1, F("n")), "true", "isnum numeric string");
	EX(C(SML_FN_ISNUM, 1, F("Image")), "false", "isnum string");
	EX(C(SML_FN_ISSTR, 1, F("Image")), "true", "isstr string");
	EX(C(SML_FN_ISSTR, 1, F("r")), "false", "isstr number");
	EX(C(SML_FN_ISSTR, 1, F("n")), "true", "isstr numeric string");
	EX(C(SML_FN_TYPEOF, 1, F("n")), "\"String\"", "typeof string");
	EX(C(SML_FN_TYPEOF, 1, F("r")), "\"Number\"", "typeof number");
	EX(C(SML_FN_TYPEOF, 1, F("t")), "\"Boolean\"", "typeof boolean");
	EX(C(SML_FN_TYPEOF, 1, F("nope")), "\"Invalid\"", "typeof missing");
	EX(C(SML_FN_TYPEOF, 1, F("Tags")), "\"Multivalue\"", "typeof array");
	EX(C(SML_FN_TYPEOF, 1, F("process")), "\"Object\"", "typeof object");
	EX(C(SML_FN_LEN, 1, F("name")), "13", "len counts characters");
	EX(C(SML_FN_LEN, 1, LI(12345)), "5", "len of a number");
	EX(C(SML_FN_LEN, 1, F("nope")), "null", "len null");
	EX(C(SML_FN_LOWER, 1, LS("ÀB Ü Ж")), "\"àb ü ж\"", "lower UTF-8");
	EX(C(SML_FN_UPPER, 1, F("name")), "\"JÜRGEN MÜLLER\"", "upper UTF-8");
	EX(C(SML_FN_UPPER, 1, F("Tags")), "[\"T1059\",\"LOLBIN\"]",
	    "upper on an array: each element");
	EX(C(SML_FN_LOWER, 1, F("nope")), "null", "lower null");
	EX(C(SML_FN_TRIM, 1, F("sp")), "\"padded\"", "trim");
	EX(C(SML_FN_LTRIM, 1, F("sp")), "\"padded  \"", "ltrim");
	EX(C(SML_FN_RTRIM, 1, F("sp")), "\"  padded\"", "rtrim");
	EX(C(SML_FN_TRIM, 2, LS("xxhixx"), LS("x")), "\"hi\"", "trim chars");
	EX(C(SML_FN_RTRIM, 2, LS("abcü"), LS("ü")), "\"abc\"",
	    "rtrim a UTF-8 char");
	EX(C(SML_FN_SUBSTR, 3, LS("abcdef"), LI(2), LI(3)), "\"bcd\"",
	    "substr 1-based");
	EX(C(SML_FN_SUBSTR, 2, LS("abcdef"), LI(-2)), "\"ef\"",
	    "substr negative start");
	EX(C(SML_FN_SUBSTR, 3, F("name"), LI(2), LI(5)), "\"ürgen\"",
	    "substr UTF-8");
	EX(C(SML_FN_SUBSTR, 2, LS("abc"), LI(10)), "\"\"", "substr past end");
	EX(C(SML_FN_SUBSTR, 3, LS("abc"), LI(1), LI(-1)), "null",
	    "substr negative length");
	EX(C(SML_FN_REPLACE, 3, F("Image"), LS("\\\\([^\\\\]+)\\.exe$"),
	    LS("/\\1.EXE")), "\"C:\\\\Windows\\\\System32/cmd.EXE\"",
	    "replace with a group");
	EX(C(SML_FN_REPLACE, 3, LS("aaa"), LS("a"), LS("b")), "\"bbb\"",
	    "replace global");
	EX(C(SML_FN_REPLACE, 3, LS("abc"), LS("x*"), LS("-")),
	    "\"-a-b-c-\"", "replace empty matches");
	EX(C(SML_FN_REPLACE, 3, LS("a"), LS("("), LS("b")),
	    "ERROR: bad regular expression \"(\" at offset 0: missing closing "
	    "parenthesis (at character 1 of the pattern)", "replace bad regex");
	EX(C(SML_FN_SPLIT, 2, LS("a,b,,c"), LS(",")),
	    "[\"a\",\"b\",\"\",\"c\"]", "split");
	EX(C(SML_FN_SPLIT, 2, LS("ab"), LS("")), "[\"a\",\"b\"]",
	    "split empty separator");
	EX(C(SML_FN_URLDECODE, 1, F("url")), "\"a b c/d\"", "urldecode");
	EX(C(SML_FN_LIKE, 2, F("Image"), LS("%System32%")), "true", "like");
	EX(C(SML_FN_LIKE, 2, F("Tags"), LS("lol%")), "true",
	    "like array: any");
	EX(C(SML_FN_LIKE, 2, F("Image"), LS("c:%")), "false",
	    "like case-sensitive");
	EX(C(SML_FN_MATCH, 2, F("Image"), LS("(?i)CMD\\.EXE$")), "true",
	    "match unanchored");
	EX(C(SML_FN_MATCH, 2, F("Image"), LS("^cmd")), "false", "match no");
	EX(C(SML_FN_MATCH, 2, F("nope"), LS("x")), "null", "match null");
	EX(C(SML_FN_MATCH, 2, F("Tags"), LS("^lol")), "true",
	    "match array: any");
	EX(C(SML_FN_SEARCHMATCH, 1, LS("system32")), "true",
	    "searchmatch term");
	EX(C(SML_FN_SEARCHMATCH, 1, LS("nowhere*text")), "false",
	    "searchmatch no");
	EX(C(SML_FN_SEARCHMATCH, 1, LS("EventID=1 Image=\"*\\\\cmd.exe\"")),
	    "true", "searchmatch field conditions");
	EX(C(SML_FN_SEARCHMATCH, 1, LS("EventID=1 NOT lolbin")), "false",
	    "searchmatch NOT");
	EX(C(SML_FN_SEARCHMATCH, 1, F("nope")), "null",
	    "searchmatch of null");
	{
		const char *r = evx(C(SML_FN_SEARCHMATCH, 1, LS("(a")), NULL);

		ok(strncmp(r, "ERROR: searchmatch at offset 0: ", 32) == 0,
		    "searchmatch syntax error (%s)", r);
	}
	EX(C(SML_FN_TONUMBER, 1, LS("0x1F")), "null", "tonumber hex base 10");
	EX(C(SML_FN_TONUMBER, 2, LS("1F"), LI(16)), "31", "tonumber base 16");
	EX(C(SML_FN_TONUMBER, 2, LS("101"), LI(2)), "5", "tonumber base 2");
	EX(C(SML_FN_TONUMBER, 1, LS("12.5")), "12.5", "tonumber real");
	EX(C(SML_FN_TONUMBER, 1, LS("12x")), "null", "tonumber junk");
	EX(C(SML_FN_TOSTRING, 1, LI(12)), "\"12\"", "tostring");
	EX(C(SML_FN_TOSTRING, 1, F("t")), "\"true\"", "tostring boolean");
	EX(C(SML_FN_TOSTRING, 2, LI(255), LS("hex")), "\"0xFF\"",
	    "tostring hex");
	EX(C(SML_FN_TOSTRING, 2, LI(1234567), LS("commas")), "\"1,234,567\"",
	    "tostring commas");
	EX(C(SML_FN_TOSTRING, 2, LR(-1234.567), LS("commas")),
	    "\"-1,234.57\"", "tostring commas real");
	EX(C(SML_FN_TOSTRING, 2, LI(3725), LS("duration")), "\"01:02:05\"",
	    "tostring duration");
	EX(C(SML_FN_ROUND, 1, LR(2.5)), "3", "round half away from zero");
	EX(C(SML_FN_ROUND, 1, LR(-2.5)), "-3", "round negative");
	EX(C(SML_FN_ROUND, 2, LR(2.675), LI(2)), "2.68", "round 2 digits");
	EX(C(SML_FN_ROUND, 2, LI(7), LI(2)), "7", "round integer");
	EX(C(SML_FN_FLOOR, 1, LR(-1.5)), "-2", "floor");
	EX(C(SML_FN_CEIL, 1, LR(1.2)), "2", "ceil");
	EX(C(SML_FN_ABS, 1, F("neg")), "7", "abs");
	EX(C(SML_FN_SQRT, 1, LI(16)), "4", "sqrt integral");
	EX(C(SML_FN_SQRT, 1, LI(-1)), "null", "sqrt negative");
	EX(C(SML_FN_POW, 2, LI(2), LI(10)), "1024", "pow");
	EX(C(SML_FN_LOG, 1, LI(1000)), "3", "log base 10");
	EX(C(SML_FN_LOG, 2, LI(8), LI(2)), "3", "log base 2");
	EX(C(SML_FN_LOG, 1, LI(0)), "null", "log 0");
	EX(C(SML_FN_LN, 1, LI(1)), "0", "ln");
	EX(C(SML_FN_EXP, 1, LI(0)), "1", "exp");
	EX(C(SML_FN_ABS, 1, LS("x")), "null", "abs of a string");
	EX(C(SML_FN_MIN, 3, LI(3), LS("10"), F("nums")), "3",
	    "min numeric with array");
	EX(C(SML_FN_MAX, 3, LI(3), LS("10"), LI(7)), "\"10\"",
	    "max numeric keeps the value");
	EX(C(SML_FN_MAX, 2, LS("apple"), LI(9)), "\"apple\"",
	    "max by text when mixed");
	EX(C(SML_FN_MIN, 2, F("nope"), F("nul")), "null", "min of nulls");
	{
		const char *r = evx(C(SML_FN_RANDOM, 0), NULL);

		ok(strspn(r, "0123456789") == strlen(r) && *r != '\0',
		    "random is a non-negative integer (%s)", r);
	}
	EX(C(SML_FN_NOW, 0), "1700000000", "now is the task's now, seconds");
	{
		const char *r = evx(C(SML_FN_TIME, 0), NULL);
		double t = atof(r);

		ok(fabs(t - (double)time_now_ms() / 1000) < 5,
		    "time is the wall clock (%s)", r);
	}
	EX(C(SML_FN_STRFTIME, 2, LI(1700000000), LS("%Y-%m-%dT%H:%M:%S%z")),
	    "\"2023-11-14T22:13:20+0000\"", "strftime");
	EX(C(SML_FN_STRFTIME, 2, LR(1700000000.123), LS("%H:%M:%S.%3N %a %b")),
	    "\"22:13:20.123 Tue Nov\"", "strftime subseconds and names");
	EX(C(SML_FN_STRFTIME, 2, F("nope"), LS("%Y")), "null",
	    "strftime null");
	EX(C(SML_FN_STRFTIME, 2, F("@timestamp"), LS("%d.%m.%Y %H:%M")),
	    "\"28.11.2026 10:00\"", "strftime of an ISO-8601 string");
	EX(C(SML_FN_RELATIVE_TIME, 2, LS("2023-11-14T22:13:20.000Z"), LS("@d")),
	    "1699920000", "relative_time of an ISO-8601 string");
	EX(C(SML_FN_STRPTIME, 2, LS("2023-11-14 22:13:20"),
	    LS("%Y-%m-%d %H:%M:%S")), "1700000000", "strptime");
	EX(C(SML_FN_STRPTIME, 2, LS("14/Nov/2023:23:13:20.5 +0100"),
	    LS("%d/%b/%Y:%H:%M:%S.%N %z")), "1700000000.5",
	    "strptime month name, fraction, zone");
	EX(C(SML_FN_STRPTIME, 2, LS("2023-02-30"), LS("%Y-%m-%d")), "null",
	    "strptime impossible date");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("-1d@d")),
	    "1699833600", "relative_time -1d@d");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("@w1")),
	    "1699833600", "relative_time @w1 (Monday)");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("@w")),
	    "1699747200", "relative_time @w (Sunday)");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("@mon")),
	    "1698796800", "relative_time @mon");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("@q")),
	    "1696118400", "relative_time @q");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("@y")),
	    "1672531200", "relative_time @y");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1711886400), LS("-1mon")),
	    "1709208000", "relative_time -1mon clamps the day");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("+2h-30m")),
	    "1700005400", "relative_time chained");
	EX(C(SML_FN_RELATIVE_TIME, 2, LI(1700000000), LS("-1x")), "null",
	    "relative_time bad unit");
	EX(C(SML_FN_MVCOUNT, 1, F("Tags")), "2", "mvcount array");
	EX(C(SML_FN_MVCOUNT, 1, F("Image")), "1", "mvcount scalar");
	EX(C(SML_FN_MVCOUNT, 1, F("nope")), "null", "mvcount null");
	EX(C(SML_FN_MVINDEX, 2, F("nums"), LI(-1)), "7", "mvindex negative");
	EX(C(SML_FN_MVINDEX, 3, F("nums"), LI(0), LI(1)), "[3,10]",
	    "mvindex range");
	EX(C(SML_FN_MVINDEX, 2, F("nums"), LI(5)), "null", "mvindex out");
	EX(C(SML_FN_MVJOIN, 2, F("nums"), LS(";")), "\"3;10;7\"", "mvjoin");
	EX(C(SML_FN_MVAPPEND, 3, F("Tags"), LS("x"), F("nope")),
	    "[\"t1059\",\"lolbin\",\"x\"]", "mvappend flattens, skips null");
	EX(C(SML_FN_CIDRMATCH, 2, LS("10.0.0.0/8"), F("ip")), "true",
	    "cidrmatch v4");
	EX(C(SML_FN_CIDRMATCH, 2, LS("10.1.3.0/24"), F("ip")), "false",
	    "cidrmatch v4 no");
	EX(C(SML_FN_CIDRMATCH, 2, LS("2001:db8::/32"), F("ip6")), "true",
	    "cidrmatch v6");
	EX(C(SML_FN_CIDRMATCH, 2, LS("10.0.0.0/8"), LS("junk")), "false",
	    "cidrmatch bad ip");
	EX(C(SML_FN_MD5, 1, LS("abc")), "\"900150983cd24fb0d6963f7d28e17f72\"",
	    "md5");
	EX(C(SML_FN_MD5, 1, LS("")), "\"d41d8cd98f00b204e9800998ecf8427e\"",
	    "md5 empty");
	EX(C(SML_FN_SHA1, 1, LS("abc")),
	    "\"a9993e364706816aba3e25717850c26c9cd0d89d\"", "sha1");
	EX(C(SML_FN_SHA256, 1, LS("abc")),
	    "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"",
	    "sha256");
	memset(want, 'a', 56);
	want[56] = '\0';
	EX(C(SML_FN_SHA256, 1, LS(want)),
	    "\"b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a\"",
	    "sha256 56 bytes (two padding blocks)");
	EX(C(SML_FN_MD5, 1, LS(want)), "\"3b0c8ac703f828b04c6c197006d17218\"",
	    "md5 56 bytes");
	EX(C(SML_FN_SHA1, 1, LS("Jürgen")),
	    "\"6983ea60b61a12097ae7f7f030cdac92a6d8b1dc\"", "sha1 UTF-8");
	EX(C(SML_FN_MD5, 1, F("nope")), "null", "md5 null");
	EX(C(SML_FN_JSON_EXTRACT, 2, F("js"), LS("k.arr[1].x")), "\"deep\"",
	    "json_extract from a JSON string");
	EX(C(SML_FN_JSON_EXTRACT, 2, F("process"), LS("parent.name")),
	    "\"explorer.exe\"", "json_extract from an object");
	EX(C(SML_FN_JSON_EXTRACT, 2, F("js"), LS("$.k.arr[0]")), "1",
	    "json_extract $ and index");
	EX(C(SML_FN_JSON_EXTRACT, 2, F("js"), LS("k.nope")), "null",
	    "json_extract missing");
	{
		/* A literal regex is compiled once and cached in the node. */
		struct expr *x = C(SML_FN_MATCH, 2, F("Image"), LS("cmd"));
		struct event e;
		json_t *r1, *r2;
		void *cache;

		event_init(&e, EV, strlen(EV), 0, 0);
		r1 = expr_eval(x, &e, &CTX);
		cache = x->x_cache;
		r2 = expr_eval(x, &e, &CTX);
		ok(cache != NULL && x->x_cache == cache && json_is_true(r1) &&
		    json_is_true(r2), "regex cached in x_cache");
		json_decref(r1);
		json_decref(r2);
		event_clear(&e);
		sml_expr_free(x);
	}
	{
		struct expr *x = B(EXOP_GT, LI(3), F("r"));

		is_int(expr_true(x, NULL, &CTX), 0,
		    "expr_true without an event: fields are null");
		sml_expr_free(x);
	}
}

static void
test_search(void)
{
	is_int(cm(CMP("EventID", EXOP_EQ, "1"), NULL), 1, "search: EventID=1");
	is_int(cm(CMP("EventID", EXOP_EQ, "01"), NULL), 1,
	    "search: numeric equality \"01\"");
	is_int(cm(CMP("EventID", EXOP_EQ, "2"), NULL), 0, "search: EventID=2");
	is_int(cm(CMP("n", EXOP_EQ, "42.0"), NULL), 1,
	    "search: numeric string = number");
	is_int(cm(CMP("Image", EXOP_EQ, "c:\\windows\\system32\\CMD.EXE"),
	    NULL), 1, "search: string = case-insensitive");
	is_int(cm(CMP("Image", EXOP_EQ, "*\\cmd.exe"), NULL), 1,
	    "search: wildcard suffix");
	is_int(cm(CMP("Image", EXOP_EQ, "*\\system32\\*"), NULL), 1,
	    "search: wildcard middle");
	is_int(cm(CMP("Image", EXOP_EQ, "cmd.exe"), NULL), 0,
	    "search: = is whole-value");
	is_int(cm(CMP("EventID", EXOP_EQ, "1*"), NULL), 1,
	    "search: wildcard on a number's text");
	is_int(cm(CMP("Image", EXOP_NE, "*cmd.exe"), NULL), 0, "search: !=");
	is_int(cm(CMP("nope", EXOP_NE, "1"), NULL), 0,
	    "search: != on a missing field is false");
	is_int(cm(CNOT(CMP("nope", EXOP_EQ, "1")), NULL), 1,
	    "search: NOT f=v on a missing field is true");
	is_int(cm(CMP("nul", EXOP_NE, "1"), NULL), 0,
	    "search: != on null is false");
	is_int(cm(CMP("r", EXOP_GT, "2"), NULL), 1, "search: > real");
	is_int(cm(CMP("r", EXOP_LE, "2.5"), NULL), 1, "search: <=");
	is_int(cm(CMP("n", EXOP_LT, "100"), NULL), 1,
	    "search: < numeric string");
	is_int(cm(CMP("Image", EXOP_GT, "a"), NULL), 0,
	    "search: > on a string is false");
	is_int(cm(CMP("big", EXOP_GT, "9007199254740992"), NULL), 1,
	    "search: > exact on big integers");
	is_int(cm(CMP("t", EXOP_EQ, "TRUE"), NULL), 1,
	    "search: boolean as text");
	is_int(cm(CMP("Tags", EXOP_EQ, "LOLBIN"), NULL), 1,
	    "search: array any element");
	is_int(cm(CMP("nums", EXOP_GT, "9"), NULL), 1,
	    "search: array numeric any");
	is_int(cm(CMP("process.name", EXOP_EQ, "dotted-wins"), NULL), 1,
	    "search: dotted top-level key wins");
	is_int(cm(CMP("process.parent.name", EXOP_EQ, "explorer*"), NULL), 1,
	    "search: nested field");
	is_int(cm(CEX("nul"), NULL), 0, "search: f=* false for null");
	is_int(cm(CEX("empty"), NULL), 1, "search: f=* true for \"\"");
	is_int(cm(CEX("process"), NULL), 1, "search: f=* true for an object");
	is_int(cm(CIN("EventID", 3, "4", "1", "x"), NULL), 1, "search: IN");
	is_int(cm(CIN("Image", 2, "*.dll", "*.sys"), NULL), 0,
	    "search: IN wildcards no");
	is_int(cm(CTERM("system32"), NULL), 1, "search: term");
	is_int(cm(CTERM("SYSTEM32\\CMD"), NULL), 1,
	    "search: term with a backslash matches the escaped text");
	is_int(cm(CTERM("system32\\\\cmd"), NULL), 1,
	    "search: term as written in the JSON text");
	is_int(cm(CTERM("said \"eventid\""), NULL), 1,
	    "search: phrase with quotes");
	is_int(cm(CTERM("win*32"), NULL), 1, "search: term with wildcard");
	is_int(cm(CTERM("lolbin*t1059"), NULL), 0, "search: wildcard order");
	is_int(cm(CTERM("müller"), NULL), 0,
	    "search: non-ASCII term vs \\u-escaped text (as written)");
	is_int(cm(CTERM("\\u00fcller"), NULL), 1,
	    "search: escape sequence as written");
	is_int(cm(CTERM("*"), NULL), 1, "search: * matches all");
	is_int(cm(CBOOL(CD_AND, 2, CMP("EventID", EXOP_EQ, "1"),
	    CTERM("lolbin")), NULL), 1, "search: AND");
	is_int(cm(CBOOL(CD_OR, 2, CMP("EventID", EXOP_EQ, "3"),
	    CTERM("zzz")), NULL), 0, "search: OR none");
	is_int(cm(CNOT(CTERM("lolbin")), NULL), 0, "search: NOT term");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "2"), EV), 0,
	    "maybe: EventID=2 pruned from the text");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "5"), EV), 0,
	    "maybe: a key inside a string value does not fool it");
	is_int(cmaybe(CMP("nope", EXOP_EQ, "*"), EV), 0,
	    "maybe: missing key pruned");
	is_int(cmaybe(CTERM("zzz"), EV), 0, "maybe: absent term pruned");
	is_int(cmaybe(CNOT(CTERM("lolbin")), EV), 0,
	    "maybe: NOT of a present term pruned");
	is_int(cmaybe(CMP("User", EXOP_EQ, "corp\\alice"), EV), 1,
	    "maybe: escaped value decoded");
	is_int(cmaybe(CMP("User", EXOP_EQ, "corp\\bob"), EV), 0,
	    "maybe: escaped value decoded and pruned");
	is_int(cmaybe(CMP("Tags", EXOP_EQ, "zzz"), EV), 0,
	    "maybe: arrays of scalars pruned element by element");
	is_int(cmaybe(CMP("Tags", EXOP_EQ, "lol*"), EV), 1,
	    "maybe: array with a matching element kept");
	is_int(cmaybe(CMP("a", EXOP_EQ, "1"), "{\"a\":[[1]]}"), 1,
	    "maybe: nested arrays not pruned");
	is_int(cmaybe(CBOOL(CD_OR, 2, CTERM("zzz"), CMP("EventID", EXOP_EQ,
	    "1")), EV), 1, "maybe: OR");
	/* Value boundaries: EventID=1 is not 10, 11 or "1x"; it is 1, "1",
	 * 1.0, 1e0 and " 1 " written with white space around. */
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "1"), "{\"EventID\":10}"), 0,
	    "maybe: EventID=1 does not pass EventID:10");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "1"),
	    "{\"EventID\":11,\"x\":\"EventID:1\"}"), 0,
	    "maybe: EventID=1 does not pass 11, nor the text EventID:1");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "1"), "{\"EventID\":\"1x\"}"), 0,
	    "maybe: EventID=1 does not pass \"1x\"");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "1"), "{\"EventID\":\"1\"}"), 1,
	    "maybe: EventID=1 passes the quoted \"1\"");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "1"), "{\"EventID\" : 1.0 }"), 1,
	    "maybe: EventID=1 passes 1.0 with white space");
	is_int(cmaybe(CMP("EventID", EXOP_EQ, "1"), "{\"EventID\":1e0}"), 1,
	    "maybe: EventID=1 passes 1e0");
	is_int(cmaybe(CMP("q", EXOP_EQ, "a\"b"), "{\"q\":\"a\\\"b\"}"), 1,
	    "maybe: a quote escaped in the value");
	is_int(maybe_violations, 0, "maybe never pruned a match above");
}

/* ---- Randomized: cond_maybe never prunes a match; event_get agrees
 * with a full parse ---- */

static uint64_t rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const KEYS[] = { "a", "b", "EventID", "Image", "x",
	"x.y", "n", "Tags" };
#define NKEYS (sizeof(KEYS) / sizeof(KEYS[0]))
static const char *const FIELDS[] = { "a", "b", "EventID", "Image", "x.y",
	"n", "Tags", "x", "zz" };
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))
static const char *const STRS[] = { "1", "01", "1.0", "-3", "abc", "ABC",
	"C:\\Windows\\cmd.exe", "He said \"hi\"", "J\xc3\xbcrgen", "tab\there",
	"a*b", "EventID", "\"EventID\":1", "", "1e2", "100", "true", "null",
	"x\\y", "\xe5\xb1\xb1", "line\nnext" };
#define NSTRS (sizeof(STRS) / sizeof(STRS[0]))
static const char *const LITS[] = { "1", "01", "1.0", "-3", "abc", "ab*",
	"*cmd.exe", "c:\\windows\\*", "he said \"hi\"", "j\xc3\xbcrgen", "*",
	"100", "1e2", "true", "", "x\\y", "*\\*", "tab\there", "a*b",
	"\xe5\xb1\xb1", "2.5", "0" };
#define NLITS (sizeof(LITS) / sizeof(LITS[0]))

static json_t *
rnd_value(int depth)
{
	json_t *a;
	unsigned i, n;

	switch (rnd(depth > 1 ? 6 : 8)) {
	case 0: return json_integer((json_int_t)rnd(5) - 1);
	case 1: return json_real((double)rnd(10) / 4);
	case 2:
	case 3: return json_string(STRS[rnd(NSTRS)]);
	case 4: return json_boolean(rnd(2));
	case 5: return rnd(4) ? json_integer(100) : json_null();
	case 6:
		a = json_array();
		for (i = 0, n = rnd(4); i < n; i++)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	default:
		a = json_object();
		for (i = 0, n = rnd(3); i < n; i++)
			json_object_set_new(a, rnd(2) ? "y" : KEYS[rnd(NKEYS)],
			    rnd_value(depth + 1));
		return a;
	}
}

static struct cond *
rnd_cond(int depth)
{
	static const enum expr_op ops[] = { EXOP_EQ, EXOP_EQ, EXOP_NE,
		EXOP_LT, EXOP_GT, EXOP_LE, EXOP_GE };
	unsigned k = rnd(depth > 2 ? 4 : 8);

	switch (k) {
	case 0:
	case 1:
		return CMP(FIELDS[rnd(NFIELDS)], ops[rnd(7)], LITS[rnd(NLITS)]);
	case 2:
		return rnd(2) ? CEX(FIELDS[rnd(NFIELDS)]) :
		    CIN(FIELDS[rnd(NFIELDS)], 2, LITS[rnd(NLITS)],
		    LITS[rnd(NLITS)]);
	case 3:
		return CTERM(rnd(2) ? LITS[rnd(NLITS)] : STRS[rnd(NSTRS)]);
	case 4:
	case 5:
		return CNOT(rnd_cond(depth + 1));
	case 6:
		return CBOOL(CD_AND, 2, rnd_cond(depth + 1),
		    rnd_cond(depth + 1));
	default:
		return CBOOL(CD_OR, 2, rnd_cond(depth + 1),
		    rnd_cond(depth + 1));
	}
}

static void
test_random(void)
{
	int i, j, bad_get = 0, bad_maybe = 0, matches = 0, pruned = 0;
	int nev = 4000;
	size_t flags, k;
	char *text;
	json_t *obj, *full;
	struct event e;

	/* SML_RANDOM="events seed" runs a longer or different trial. */
	if (getenv("SML_RANDOM") != NULL) {
		unsigned long long seed = 0;

		sscanf(getenv("SML_RANDOM"), "%d %llu", &nev, &seed);
		if (seed != 0)
			rng = seed;
	}
	for (i = 0; i < nev; i++) {
		obj = json_object();
		for (k = 0; k < NKEYS; k++)
			if (rnd(3))
				json_object_set_new(obj, KEYS[k], rnd_value(0));
		flags = rnd(3) == 0 ? JSON_INDENT(1) : JSON_COMPACT;
		if (rnd(3) == 0)
			flags |= JSON_ENSURE_ASCII;
		text = json_dumps(obj, flags);
		full = json_loads(text, 0, NULL);
		/* event_get on the raw text == field_get on the full parse. */
		for (k = 0; k < NFIELDS; k++) {
			json_t *want = field_get(full, FIELDS[k]), *got;

			event_init(&e, text, strlen(text), 0, 0);
			got = event_get(&e, FIELDS[k]);
			if (!(want == NULL ? got == NULL :
			    got != NULL && json_equal(want, got))) {
				if (bad_get++ < 3)
					printf("# get %s differs in %s\n",
					    FIELDS[k], text);
			}
			event_clear(&e);
		}
		for (j = 0; j < 10; j++) {
			struct cond *c = rnd_cond(0);
			int m, r;

			m = cond_maybe(c, text, strlen(text));
			event_init(&e, text, strlen(text), 0, 0);
			r = cond_match(c, &e, &CTX);
			event_clear(&e);
			matches += r == 1;
			pruned += m == 0;
			if (r == 1 && m == 0 && bad_maybe++ < 3)
				printf("# maybe pruned a match in %s\n", text);
			sml_cond_free(c);
		}
		free(text);
		json_decref(full);
		json_decref(obj);
	}
	is_int(bad_get, 0, "random: event_get == full parse (%d events)", nev);
	is_int(bad_maybe, 0, "random: cond_maybe never prunes a match "
	    "(%d conditions, %d matches, %d pruned)", nev * 10, matches,
	    pruned);
	ok(matches > 2000 && pruned > 2000, "random: the mix is meaningful");
}

/* ---- Speed (not a test: prints figures with SML_BENCH=file) ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *data = NULL, **lines = NULL, *p, *nl;
	size_t cap = 0, len = 0, n = 0, i, bytes, rounds;
	size_t *lens = NULL;
	struct cond *c1, *c2, *c3;
	struct event e;
	double t0, t;
	long hits;

	if (fp == NULL)
		return;
	for (;;) {
		if (len + 65536 > cap) {
			cap = (cap + 65536) * 2;
			data = realloc(data, cap);
		}
		i = fread(data + len, 1, 65536, fp);
		if (i == 0)
			break;
		len += i;
	}
	fclose(fp);
	for (p = data; p < data + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(data + len - p))) == NULL)
			break;
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		lens = realloc(lens, (n + 1) * sizeof(*lens));
		lines[n] = p;
		lens[n++] = (size_t)(nl - p);
	}
	for (bytes = 0, i = 0; i < n; i++)
		bytes += lens[i];
	rounds = bytes < 200000000 ? 200000000 / bytes + 1 : 1;
	printf("# bench: %zu events, %.1f MB, avg %zu bytes, %zu rounds\n", n,
	    (double)bytes / 1e6, bytes / (n ? n : 1), rounds);

#define BENCH(label, body) do { \
	size_t r_; \
	hits = 0; \
	t0 = now_s(); \
	for (r_ = 0; r_ < rounds; r_++) \
		for (i = 0; i < n; i++) { body; } \
	t = now_s() - t0; \
	printf("# %-44s %8.0f MB/s  %6.0f ns/event  hits %ld\n", label, \
	    (double)bytes * (double)rounds / t / 1e6, \
	    t * 1e9 / ((double)n * (double)rounds), hits / (long)rounds); \
} while (0)

	c1 = CMP("EventID", EXOP_EQ, "999");
	c2 = CTERM("zzqx-not-there");
	c3 = CMP("EventID", EXOP_EQ, "1");
	BENCH("cond_maybe EventID=999 (no match)",
	    hits += cond_maybe(c1, lines[i], lens[i]));
	BENCH("cond_maybe term zzqx-not-there",
	    hits += cond_maybe(c2, lines[i], lens[i]));
	BENCH("cond_maybe EventID=1",
	    hits += cond_maybe(c3, lines[i], lens[i]));
	BENCH("cond_maybe+match EventID=1",
	    if (cond_maybe(c3, lines[i], lens[i])) {
		event_init(&e, lines[i], lens[i], 0, 0);
		hits += cond_match(c3, &e, &CTX) == 1;
		event_clear(&e);
	    });
	BENCH("event_get EventID",
	    event_init(&e, lines[i], lens[i], 0, 0);
	    hits += event_get(&e, "EventID") != NULL; event_clear(&e));
	BENCH("event_get Image",
	    event_init(&e, lines[i], lens[i], 0, 0);
	    hits += event_get(&e, "Image") != NULL; event_clear(&e));
	BENCH("event_get last top-level field",
	    event_init(&e, lines[i], lens[i], 0, 0);
	    hits += event_get(&e, "SourceAddress") != NULL ||
	    event_get(&e, "Counter") != NULL; event_clear(&e));
	BENCH("event_get process.parent.name (dotted)",
	    event_init(&e, lines[i], lens[i], 0, 0);
	    hits += event_get(&e, "process.parent.name") != NULL;
	    event_clear(&e));
	/* Warm: the first event over and over (CPU cost without misses). */
	{
		char *l0 = lines[0];
		size_t n0 = lens[0];

		for (i = 0; i < n; i++) {
			lines[i] = l0;
			lens[i] = n0;
		}
		for (bytes = 0, i = 0; i < n; i++)
			bytes += lens[i];
	}
	BENCH("warm event_get Image",
	    event_init(&e, lines[i], lens[i], 0, 0);
	    hits += event_get(&e, "Image") != NULL; event_clear(&e));
	BENCH("warm event_get EventID+Image+User",
	    event_init(&e, lines[i], lens[i], 0, 0);
	    hits += event_get(&e, "EventID") != NULL &&
	    event_get(&e, "Image") != NULL && event_get(&e, "User") != NULL;
	    event_clear(&e));
	BENCH("warm cond_maybe EventID=999",
	    hits += cond_maybe(c1, lines[i], lens[i]));
	rounds = rounds / 10 + 1;
	BENCH("full parse (json_loadb), for comparison",
	    json_t *o = json_loadb(lines[i], lens[i], 0, NULL);
	    hits += o != NULL; json_decref(o));
	sml_cond_free(c1);
	sml_cond_free(c2);
	sml_cond_free(c3);
	free(lines);
	free(lens);
	free(data);
}

int
main(void)
{
	const char *b = getenv("SML_BENCH");

	CTX.ec_now = 1700000000123LL;
	CTX.ec_err = ERRBUF;
	CTX.ec_errlen = sizeof(ERRBUF);
	if (b != NULL) {
		bench(b);
		return 0;
	}
	test_event_get();
	test_event_splice();
	test_values();
	test_operators();
	test_functions();
	test_search();
	test_random();
	return done_testing();
}
