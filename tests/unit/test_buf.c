/* test_buf.c - buffers and JSON string escaping. */
#include <stdlib.h>

#include "common/buf.h"
#include "common/util.h"
#include "tap.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	char id[TASK_ID_LEN + 1], id2[TASK_ID_LEN + 1];

	ok(buf_puts(&b, "abc") == 0 && b.b_len == 3, "puts");
	is_str(b.b_data, "abc", "content after puts");
	buf_printf(&b, "-%d-%s", 42, "x");
	is_str(b.b_data, "abc-42-x", "printf appends");
	buf_reset(&b);
	is_int(b.b_len, 0, "reset empties");
	buf_json_str(&b, "a\"b\\c\n\r\t\x01\x7f", 10);
	is_str(b.b_data, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f\"",
	    "json escaping of quotes, backslash and controls");
	buf_reset(&b);
	buf_json_str(&b, "h\xc3\xa9llo", 6);
	is_str(b.b_data, "\"h\xc3\xa9llo\"", "UTF-8 passes unchanged");
	buf_reset(&b);
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, 'x');
	is_int(b.b_len, 100000, "grows to 100000 bytes");
	buf_free(&b);
	ok(b.b_data == NULL && b.b_cap == 0, "free releases");

	ok(util_task_id(id) == 0 && util_task_id(id2) == 0, "two task ids");
	is_int(strlen(id), 22, "task id has 22 characters");
	ok(util_task_id_ok(id), "task id is well-formed");
	ok(strcmp(id, id2) != 0, "task ids differ");
	ok(!util_task_id_ok("short"), "short id rejected");
	ok(!util_task_id_ok("aaaaaaaaaaaaaaaaaaaaa/b"), "slash rejected");
	ok(util_glob("sysmon_*", "sysmon_operational-1"), "glob prefix");
	ok(util_glob("*-demo", "security-demo"), "glob suffix");
	ok(util_glob("a*b*c", "aXXbYYc"), "glob two stars");
	ok(!util_glob("a*b*c", "aXXbYY"), "glob mismatch");
	ok(util_glob("exact", "exact") && !util_glob("exact", "exactly"),
	    "glob without star is exact");
	{
		int64_t v;
		ok(util_parse_i64("123", 0, 1000, &v) == 0 && v == 123,
		    "parse_i64 ok");
		ok(util_parse_i64("12x", 0, 1000, &v) == -1, "trailing junk");
		ok(util_parse_i64("1001", 0, 1000, &v) == -1, "out of range");
		ok(util_parse_i64("", 0, 1000, &v) == -1, "empty");
		ok(util_parse_i64(" 1", 0, 1000, &v) == -1, "leading space");
	}
	return done_testing();
}
