/*
 * Process-wide allocator settings for gwd.
 */
#ifndef GW_MEM_H
#define GW_MEM_H

/*
 * Calls end in bursts (a trunk going down, the end of a busy hour, a test
 * load's last second). glibc then returns the freed top of the heap to the
 * kernel and the next burst of calls faults it back in, page by page, in
 * the signalling thread. This keeps up to a few tens of MiB of free heap
 * and pads each growth. Call once, before the threads start.
 */
void gw_mem_tune(void);

#endif
