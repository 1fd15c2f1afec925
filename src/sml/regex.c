/* regex.c - PCRE2 matching under the configured limits (match, replace, rex). */
#include <stdio.h>

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
