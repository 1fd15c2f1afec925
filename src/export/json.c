/* json.c - the JSON export (an array, one event per line) and output buffering. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "export/export.h"

void
export_out_init(struct export_out *o, const struct export_sink *sink)
{
	memset(o, 0, sizeof(*o));
	o->eo_sink = *sink;
}

int
export_out_flush(struct export_out *o)
{
	if (o->eo_failed)
		return -1;
	if (o->eo_buf.b_len == 0)
		return 0;
	if (o->eo_sink.es_write(o->eo_sink.es_arg, o->eo_buf.b_data,
	    o->eo_buf.b_len) == -1) {
		o->eo_failed = 1;
		return -1;
	}
	buf_reset(&o->eo_buf);
	return 0;
}

int
export_out_maybe_flush(struct export_out *o)
{
	return o->eo_buf.b_len >= EXPORT_CHUNK ? export_out_flush(o) : 0;
}

int
export_out_writer_flush(struct export_writer *w, struct export_out *o,
    int all)
{
	if ((all ? export_out_flush(o) : export_out_maybe_flush(o)) == -1) {
		w->ew_gone = 1;
		strcpy(w->ew_err, "the client went away");
		return -1;
	}
	return 0;
}

void
export_out_free(struct export_out *o)
{
	buf_free(&o->eo_buf);
}

struct json_writer {
	struct export_writer jw_w;	/* first: the writer is cast to it */
	struct export_out jw_out;
};

/*
 * Appends one event. Its text is sent as stored; a raw line break can only
 * be white space between tokens (JSON strings cannot hold one), so it is
 * replaced by a space to keep one event per line.
 */
static int
json_row(struct export_writer *w, const char *json, size_t len)
{
	struct json_writer *jw = (struct json_writer *)w;
	struct buf *b = &jw->jw_out.eo_buf;
	size_t at;

	if (buf_append(b, w->ew_rows ? ",\n" : "[\n", 2) == -1)
		goto nomem;
	at = b->b_len;
	if (buf_append(b, json, len) == -1)
		goto nomem;
	if (memchr(json, '\n', len) || memchr(json, '\r', len)) {
		for (size_t i = at; i < b->b_len; i++)
			if (b->b_data[i] == '\n' || b->b_data[i] == '\r')
				b->b_data[i] = ' ';
	}
	w->ew_rows++;
	return export_out_writer_flush(w, &jw->jw_out, 0);
nomem:
	strcpy(w->ew_err, "out of memory");
	return -1;
}

static int
json_finish(struct export_writer *w)
{
	struct json_writer *jw = (struct json_writer *)w;

	if (buf_puts(&jw->jw_out.eo_buf, w->ew_rows ? "\n]" : "[]") == -1) {
		strcpy(w->ew_err, "out of memory");
		return -1;
	}
	return export_out_writer_flush(w, &jw->jw_out, 1);
}

static void
json_free(struct export_writer *w)
{
	struct json_writer *jw = (struct json_writer *)w;

	if (jw == NULL)
		return;
	export_out_free(&jw->jw_out);
	free(jw);
}

struct export_writer *
export_json_new(const struct export_sink *sink, const struct export_opts *o)
{
	struct json_writer *jw = calloc(1, sizeof(*jw));

	(void)o;
	if (jw == NULL)
		return NULL;
	export_out_init(&jw->jw_out, sink);
	if (buf_reserve(&jw->jw_out.eo_buf, EXPORT_CHUNK * 2) == -1) {
		free(jw);
		return NULL;
	}
	jw->jw_w.ew_row = json_row;
	jw->jw_w.ew_finish = json_finish;
	jw->jw_w.ew_free = json_free;
	return &jw->jw_w;
}
