/*
 * libFuzzer target: the JSON parser reads every control-socket request,
 * and the reply writer must escape whatever string came in.
 */
#include <stddef.h>
#include <stdint.h>

#include "ctl/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tok tok[256];
	struct json_doc d;
	const char *err = NULL;
	if (json_parse(&d, (const char *)data, size, tok, 256, &err) != 0)
		return 0;
	char buf[128];
	struct json_out o;
	json_out_init(&o);
	json_obj_begin(&o);
	for (int t = 0; t < d.ntok; t++) {
		if (json_get_str(&d, t, buf, sizeof(buf)) >= 0)
			json_kv_str(&o, "s", buf);
		long long v;
		if (json_get_int(&d, t, &v) == 0)
			json_kv_int(&o, "i", v);
	}
	json_obj_get(&d, 0, "cmd");
	json_obj_end(&o);
	json_out_free(&o);
	return 0;
}
