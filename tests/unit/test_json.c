/* Unit tests for the control protocol's JSON writer and tokenizer. */
#include <stdlib.h>
#include <errno.h>

#include "ctl/json.h"
#include "t.h"

TEST(writer_nests_and_escapes)
{
	struct json_out j;
	json_out_init(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "cmd", "sp\"an\n\x01");
	json_kv_int(&j, "n", -42);
	json_key(&j, "list");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_bool(&j, true);
	json_null(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_kv_str(&j, "none", NULL);
	json_obj_end(&j);
	CHECK_INT(j.err, 0);
	CHECK_STR(j.buf, "{\"cmd\":\"sp\\\"an\\n\\u0001\",\"n\":-42,"
			 "\"list\":[1,true,null,{}],\"none\":null}");
	json_out_free(&j);
}

TEST(parse_and_lookup)
{
	const char *s =
	    " {\"cmd\":\"block\",\"span\":2,\"chan\":17,"
	    "\"opts\":{\"a\":[1,2,{\"x\":\"\\u00e9\\n\"}]},\"f\":false} ";
	struct json_tok tok[64];
	struct json_doc d;
	const char *err = NULL;
	CHECK_INT(json_parse(&d, s, strlen(s), tok, 64, &err), 0);
	CHECK(json_str_eq(&d, json_obj_get(&d, 0, "cmd"), "block"));
	CHECK_INT(json_obj_int(&d, 0, "span", -1), 2);
	CHECK_INT(json_obj_int(&d, 0, "chan", -1), 17);
	CHECK_INT(json_obj_int(&d, 0, "missing", -1), -1);
	CHECK(json_obj_bool(&d, 0, "f", true) == false);
	int opts = json_obj_get(&d, 0, "opts");
	int a = json_obj_get(&d, opts, "a");
	CHECK_INT(d.tok[a].n, 3);
	int third = json_arr_at(&d, a, 2);
	char buf[16];
	CHECK_INT(
	    json_get_str(&d, json_obj_get(&d, third, "x"), buf, sizeof(buf)),
	    3);
	CHECK_STR(buf, "\xc3\xa9\n");
	CHECK_INT(json_arr_at(&d, a, 3), -1);
}

TEST(rejects_malformed_documents)
{
	static const char *bad[] = {
	    "",
	    "{",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "[1,]",
	    "[01]",
	    "\"\\x\"",
	    "\"ab",
	    "{\"a\" 1}",
	    "tru",
	    "1 2",
	    "{\"a\":\"\x01\"}",
	    "-",
	    "1.",
	    "1e",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]",
	};
	struct json_tok tok[64];
	struct json_doc d;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = json_parse(&d, bad[i], strlen(bad[i]), tok, 64, NULL);
		if (rc == 0)
			t_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		CHECK(rc != 0);
	}
}

TEST(token_limit_is_an_error_not_an_overflow)
{
	const char *s = "[1,2,3,4,5,6,7,8,9]";
	struct json_tok tok[4];
	struct json_doc d;
	CHECK_INT(json_parse(&d, s, strlen(s), tok, 4, NULL), -E2BIG);
}

TEST(writer_output_parses_back)
{
	struct json_out j;
	json_out_init(&j);
	json_arr_begin(&j);
	for (int i = 0; i < 100; i++) {
		json_obj_begin(&j);
		json_kv_int(&j, "i", i);
		json_kv_str(&j, "s", "\t\\/\"");
		json_obj_end(&j);
	}
	json_arr_end(&j);
	struct json_tok tok[512];
	struct json_doc d;
	CHECK_INT(json_parse(&d, j.buf, j.len, tok, 512, NULL), 0);
	CHECK_INT(d.tok[0].n, 100);
	int e = json_arr_at(&d, 0, 99);
	CHECK_INT(json_obj_int(&d, e, "i", -1), 99);
	char buf[16];
	json_get_str(&d, json_obj_get(&d, e, "s"), buf, sizeof(buf));
	CHECK_STR(buf, "\t\\/\"");
	json_out_free(&j);
}
