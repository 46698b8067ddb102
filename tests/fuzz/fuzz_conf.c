/*
 * libFuzzer target: gwd's configuration loader (INI reader, key table,
 * cross-checks) and the normalised printer on whatever loads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct conf *c = NULL;
	char err[512];
	if (conf_load_buf(&c, "fuzz.conf", text, err, sizeof(err)) == 0) {
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			conf_print(c, f);
			fclose(f);
		}
		conf_free(c);
	}
	free(text);
	return 0;
}
