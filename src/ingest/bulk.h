/* bulk.h - the framing of an Elasticsearch _bulk body (NDJSON pairs). */
#ifndef AR_BULK_H
#define AR_BULK_H

#include <stddef.h>

enum bulk_action {
	BULK_INDEX,
	BULK_CREATE,
	BULK_DELETE,
	BULK_UPDATE
};

#define BULK_NAME_MAX	255	/* longest _index kept (Elasticsearch's) */
#define BULK_ID_MAX	512	/* longest _id kept (Elasticsearch's) */

/*
 * One item of a bulk body. bi_doc points into the body given to
 * bulk_reader_init (borrowed, not NUL-terminated; NULL for delete), with
 * white space around it trimmed. An _index or _id longer than the
 * maximum is cut to it and flagged.
 */
struct bulk_item {
	enum bulk_action bi_action;
	char		 bi_index[BULK_NAME_MAX + 1];	/* "" = not given */
	int		 bi_index_long;			/* longer than kept */
	char		 bi_id[BULK_ID_MAX + 1];	/* "" = not given */
	int		 bi_id_long;
	const char	*bi_doc;
	size_t		 bi_doc_len;
	size_t		 bi_line;	/* 1-based line of the action */
};

/* Walks a body; holds only positions in it (the caller keeps the body). */
struct bulk_reader {
	const char	*br_p;
	const char	*br_end;
	size_t		 br_line;	/* lines consumed */
};

/* Starts reading body[0..len). Nothing is allocated. */
void bulk_reader_init(struct bulk_reader *, const char *body, size_t len);

/*
 * Reads the next item. Returns 1 and *item; 0 at the end of the body; or
 * -1 with a reason naming the line in err when the body is not a bulk
 * body (an action line that is not a JSON object with one known action, an
 * unknown metadata member, an action without its document, a document
 * where an action line belongs). After -1 the rest of the body is not
 * read: the whole request must be refused. A document is not parsed here
 * (only located), so a bad document is the caller's per-item error.
 */
int bulk_next(struct bulk_reader *, struct bulk_item *item, char *err,
    size_t errlen);

/* Returns the action's name ("index", "create", "delete", "update"). */
const char *bulk_action_name(enum bulk_action);

#endif
