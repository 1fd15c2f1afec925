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
	buf_json_str(&b, "\xff\xfeuser", 6);
	is_str(b.b_data, "\"\\ufffd\\ufffduser\"",
	    "bytes that are not UTF-8 become \\ufffd");
	buf_reset(&b);
	buf_json_str(&b, "a\xc3", 2);
	is_str(b.b_data, "\"a\\ufffd\"", "a character cut short becomes "
	    "\\ufffd");
	buf_reset(&b);
	buf_json_str(&b, "\xf0\x9f\x98\x80\xe2\x82\xac", 7);
	is_str(b.b_data, "\"\xf0\x9f\x98\x80\xe2\x82\xac\"",
	    "4- and 3-byte characters pass unchanged");
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
	ok(util_utf8_valid("", 0), "utf8: empty is valid");
	ok(util_utf8_valid("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12),
	    "utf8: 2-, 3- and 4-byte characters");
	ok(util_utf8_valid("\xf4\x8f\xbf\xbf", 4), "utf8: U+10FFFF");
	ok(!util_utf8_valid("\xff\xfe", 2), "utf8: 0xff 0xfe refused");
	ok(!util_utf8_valid("\x80", 1), "utf8: stray continuation refused");
	ok(!util_utf8_valid("\xc0\xaf", 2), "utf8: overlong 2-byte refused");
	ok(!util_utf8_valid("\xe0\x80\xaf", 3), "utf8: overlong 3-byte "
	    "refused");
	ok(!util_utf8_valid("\xf0\x80\x80\xaf", 4), "utf8: overlong "
	    "4-byte refused");
	ok(!util_utf8_valid("\xed\xa0\x80", 3), "utf8: surrogate refused");
	ok(!util_utf8_valid("\xf4\x90\x80\x80", 4), "utf8: above U+10FFFF "
	    "refused");
	ok(!util_utf8_valid("\xe2\x82", 2), "utf8: cut short refused");
	ok(!util_utf8_valid("\xe2\x28\xa1", 3), "utf8: bad continuation "
	    "refused");
	is_int(util_utf8_seq("\xe2\x82\xac", 3), 3, "utf8: seq length 3");
	is_int(util_utf8_seq("\xe2\x82\xac", 2), 0, "utf8: seq beyond len");
	return done_testing();
}
