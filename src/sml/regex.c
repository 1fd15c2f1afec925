/* regex.c - PCRE2 matching under the configured limits (match, replace, rex,
 * regex, makemv). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/regex.h"

/* The JIT stack starts this big and grows up to SML_REGEX_JIT_STACK_MAX. */
#define SML_REGEX_JIT_STACK_MIN	(32 * 1024)

int
sml_regex_env_init(struct sml_regex_env *env, uint32_t match_limit,
    uint32_t depth_limit)
{
	uint32_t jit = 0;

	env->rg_jit = NULL;
	env->rg_match_limit = match_limit ? match_limit : SML_REGEX_MATCH_LIMIT;
	env->rg_depth_limit = depth_limit ? depth_limit : SML_REGEX_DEPTH_LIMIT;
	if ((env->rg_mctx = pcre2_match_context_create(NULL)) == NULL)
		return -1;
	pcre2_set_match_limit(env->rg_mctx, env->rg_match_limit);
	pcre2_set_depth_limit(env->rg_mctx, env->rg_depth_limit);
	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) == 0 && jit) {
		env->rg_jit = pcre2_jit_stack_create(SML_REGEX_JIT_STACK_MIN,
		    SML_REGEX_JIT_STACK_MAX, NULL);
		if (env->rg_jit == NULL)
			return -1;
		pcre2_jit_stack_assign(env->rg_mctx, NULL, env->rg_jit);
	}
	return 0;
}

void
sml_regex_env_free(struct sml_regex_env *env)
{
	pcre2_jit_stack_free(env->rg_jit);
	pcre2_match_context_free(env->rg_mctx);
	env->rg_jit = NULL;
	env->rg_mctx = NULL;
}

void
sml_regex_jit(pcre2_code *code)
{
	/* PCRE2_ERROR_JIT_BADOPTION (no JIT) or a pattern the JIT does not
	 * take: pcre2_match() then interprets it. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
}

void
sml_regex_error(const struct sml_regex_env *env, int rc, const char *fn,
    char *buf, size_t len)
{
	PCRE2_UCHAR msg[128];

	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		snprintf(buf, len, "%s: the regular expression hit its match "
		    "limit (limits.regex_match_limit = %lu) on an event; "
		    "nested repeats such as (a+)+ backtrack exponentially",
		    fn, (unsigned long)env->rg_match_limit);
		break;
	case PCRE2_ERROR_DEPTHLIMIT:
		snprintf(buf, len, "%s: the regular expression hit its depth "
		    "limit (limits.regex_depth_limit = %lu) on an event",
		    fn, (unsigned long)env->rg_depth_limit);
		break;
	case PCRE2_ERROR_HEAPLIMIT:
		snprintf(buf, len, "%s: the regular expression hit its heap "
		    "limit on an event", fn);
		break;
	case PCRE2_ERROR_JIT_STACKLIMIT:
		snprintf(buf, len, "%s: the regular expression hit its JIT "
		    "stack limit (%d KiB) on an event", fn,
		    SML_REGEX_JIT_STACK_MAX / 1024);
		break;
	default:
		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		snprintf(buf, len, "%s: the regular expression failed on an "
		    "event: %s", fn, (const char *)msg);
		break;
	}
}

struct sml_rx *
sml_rx_new(const char *re, uint32_t match_limit, uint32_t depth_limit,
    char *err, size_t errlen)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE eoff;
	struct sml_rx *rx;
	uint32_t opts = PCRE2_UTF;
	int ecode;

#ifdef PCRE2_MATCH_INVALID_UTF
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rx->cr_code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts,
	    &ecode, &eoff, NULL);
	if (rx->cr_code == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ecode);
		snprintf(err, errlen, "invalid regular expression: %s at "
		    "character %zu", (const char *)msg, (size_t)eoff);
		sml_rx_delete(rx);
		return NULL;
	}
	sml_regex_jit(rx->cr_code);
	rx->cr_md = pcre2_match_data_create_from_pattern(rx->cr_code, NULL);
	if (rx->cr_md == NULL || sml_regex_env_init(&rx->cr_env, match_limit,
	    depth_limit) == -1) {
		snprintf(err, errlen, "out of memory");
		sml_rx_delete(rx);
		return NULL;
	}
	return rx;
}

void
sml_rx_delete(struct sml_rx *rx)
{
	if (rx == NULL)
		return;
	pcre2_match_data_free(rx->cr_md);
	pcre2_code_free(rx->cr_code);
	sml_regex_env_free(&rx->cr_env);
	free(rx->cr_subj);
	free(rx);
}

int
sml_rx_subject(struct sml_rx *rx, const char *text, size_t len)
{
	char *p;

	if (len > SIZE_MAX - SML_RX_PAD)
		return -1;
	if (rx->cr_cap < len + SML_RX_PAD) {
		if ((p = realloc(rx->cr_subj, len + SML_RX_PAD)) == NULL)
			return -1;
		rx->cr_subj = p;
		rx->cr_cap = len + SML_RX_PAD;
	}
	if (len > 0)
		memcpy(rx->cr_subj, text, len);
	memset(rx->cr_subj + len, 0, SML_RX_PAD);
	return 0;
}

int
sml_rx_exec(struct sml_rx *rx, size_t len, size_t start, uint32_t opts)
{
	return pcre2_match(rx->cr_code, (PCRE2_SPTR)rx->cr_subj, len, start,
	    opts, rx->cr_md, rx->cr_env.rg_mctx);
}
