/* regex.h - PCRE2 matching under the configured limits (sml component). */
#ifndef AR_SML_REGEX_H
#define AR_SML_REGEX_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <stddef.h>
#include <stdint.h>

#include <pcre2.h>

/* limits.regex_match_limit and limits.regex_depth_limit by default. */
#define SML_REGEX_MATCH_LIMIT	10000000u
#define SML_REGEX_DEPTH_LIMIT	1000000u
/* The JIT-compiled matcher's stack: starts at 32 KiB, grows to this. */
#define SML_REGEX_JIT_STACK_MAX	(1024 * 1024)

/*
 * What one compiled regular expression is matched with: a match context
 * carrying the match and depth limits and a JIT stack of at most
 * SML_REGEX_JIT_STACK_MAX bytes. Owned by the caller: sml_regex_env_init,
 * then sml_regex_env_free (also after a failed init).
 */
struct sml_regex_env {
	pcre2_match_context *rg_mctx;
	pcre2_jit_stack *rg_jit;	/* NULL without JIT support */
	uint32_t rg_match_limit;
	uint32_t rg_depth_limit;
};

/*
 * Prepares env with the limits given (0: the defaults above). Returns 0,
 * or -1 out of memory.
 */
int sml_regex_env_init(struct sml_regex_env *env, uint32_t match_limit,
    uint32_t depth_limit);
void sml_regex_env_free(struct sml_regex_env *env);

/*
 * Compiles the JIT code of code (when PCRE2 has a JIT) so that matches
 * cost less; a pattern the JIT cannot take is matched by the interpreter,
 * under the same limits.
 */
void sml_regex_jit(pcre2_code *code);

/*
 * Writes into buf (len bytes) the error for the negative result rc of
 * pcre2_match() other than PCRE2_ERROR_NOMATCH, naming the function or
 * command fn ("match()", "rex") and the limit reached with its
 * configuration key: the task fails with it rather than take a limit for
 * "no match".
 */
void sml_regex_error(const struct sml_regex_env *env, int rc, const char *fn,
    char *buf, size_t len);

/* Spare zero bytes after a subject: the JIT's 16-byte loads read ahead. */
#define SML_RX_PAD	32

/*
 * A regular expression that a command compiles once for its run (rex,
 * regex, makemv's tokenizer): the code (JIT-compiled where PCRE2 has a
 * JIT; PCRE2_UTF, and PCRE2_MATCH_INVALID_UTF where there is one), its
 * match data, its limits, and the subject copied with SML_RX_PAD zero
 * bytes after it. Made by sml_rx_new, freed by sml_rx_delete.
 */
struct sml_rx {
	pcre2_code *cr_code;
	pcre2_match_data *cr_md;	/* ovector: pcre2_get_ovector_pointer */
	struct sml_regex_env cr_env;
	char *cr_subj;			/* set by sml_rx_subject */
	size_t cr_cap;
};

/*
 * Compiles the NUL-terminated re under the limits given (0: the
 * defaults). Returns a new struct sml_rx that the caller frees with
 * sml_rx_delete, or NULL with the reason in err (errlen bytes): "invalid
 * regular expression: <PCRE2's message> at character N", or "out of
 * memory".
 */
struct sml_rx *sml_rx_new(const char *re, uint32_t match_limit,
    uint32_t depth_limit, char *err, size_t errlen);
/* Frees rx and all it holds (NULL: nothing). */
void sml_rx_delete(struct sml_rx *rx);

/*
 * Copies text (len bytes) as the subject of the next sml_rx_exec calls.
 * Returns 0, or -1 out of memory.
 */
int sml_rx_subject(struct sml_rx *rx, const char *text, size_t len);

/*
 * Matches the subject (its first len bytes) from byte start, with the
 * pcre2_match() options opts. Returns as pcre2_match(): the number of
 * groups set plus one, PCRE2_ERROR_NOMATCH, or another negative code
 * (sml_regex_error() words it); offsets in cr_md count in the subject.
 */
int sml_rx_exec(struct sml_rx *rx, size_t len, size_t start, uint32_t opts);

#endif
