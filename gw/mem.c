/*
 * Process-wide allocator settings (see mem.h).
 */
#include <malloc.h>

#include "mem.h"

#define GW_MEM_TRIM_THRESHOLD (64 << 20) /* free heap top kept, bytes */
#define GW_MEM_TOP_PAD	      (4 << 20)	 /* extra per heap growth */

void gw_mem_tune(void)
{
	/* M_TRIM_THRESHOLD also fixes the mmap threshold (no dynamic
	 * raise), which is what a daemon of steady-sized objects wants */
	mallopt(M_TRIM_THRESHOLD, GW_MEM_TRIM_THRESHOLD);
	mallopt(M_TOP_PAD, GW_MEM_TOP_PAD);
}
