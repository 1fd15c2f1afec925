/* commands.h - the table of commands, which the parser and the executor
 * dispatch through (commands.c). */
#ifndef AR_SML_COMMANDS_H
#define AR_SML_COMMANDS_H

#include <stddef.h>

#include "sml/sml.h"

struct sml_parser;	/* parse.h */
struct stage;		/* stage.h */
struct run;

/* Flags of a command (cd_flags). */
#define SML_CMDF_FIRST		0x1	/* starts a query, and only there:
					 * makes the events (cd_run) */
#define SML_CMDF_TRANSFORMING	0x2	/* the search part of a query ends
					 * before it (sx_match, the timeline) */

/*
 * One command: a name of the language and the functions of its file
 * cmd/<name>.c (parse.h and stage.h declare them). Names that are aliases
 * (aggs) or commands that share their code (top, rare) have their own row
 * with the same functions.
 */
struct sml_cmd_def {
	const char *cd_name;		/* as written in a query (exact case) */
	enum sml_cmd_kind cd_kind;	/* sc_kind of its commands */
	unsigned cd_flags;		/* SML_CMDF_* */
	/* Parses the command at its name into c (parse.h). */
	int (*cd_parse)(struct sml_parser *, struct sml_command *);
	/* Frees what cd_parse stored in c; NULL when it stores nothing. */
	void (*cd_clear)(struct sml_command *);
	/* Sets up its stage (stage.h); NULL for a first command. */
	int (*cd_init)(struct stage *, const struct sml_command *);
	/* Runs a first command (stage.h); NULL for the others. */
	enum sml_run_result (*cd_run)(struct run *, const struct sml_command *);
};

/* The table, in the order of spec/sml.md, and its number of rows. */
extern const struct sml_cmd_def sml_cmds[];
extern const size_t sml_ncmds;

/*
 * Returns the first row of the table of kind k (the command itself, not an
 * alias), static, or NULL when there is none.
 */
const struct sml_cmd_def *sml_cmd_of(enum sml_cmd_kind k);

#endif
