/*
 * What the C benchmarks share: a monotonic clock in ns and a barrier that
 * keeps the compiler from dropping work whose result is not printed.
 */
#ifndef GW_TEST_BENCH_H
#define GW_TEST_BENCH_H

#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void bench_use(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

#endif
