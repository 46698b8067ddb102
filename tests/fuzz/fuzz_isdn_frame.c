/*
 * libFuzzer target: the D-channel frame decoder takes any bytes a peer
 * puts on the D-channel.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isdn/isdn_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isdn_frame f;
	if (isdn_frame_decode(&f, data, size) == 0) {
		/* the strings must be terminated and the numbers in range */
		if (strlen(f.called) >= sizeof(f.called) ||
		    strlen(f.calling) >= sizeof(f.calling) || !f.lapd ||
		    !f.msg || f.cause > 127 || f.chan > 127)
			__builtin_trap();
	}
	return 0;
}
