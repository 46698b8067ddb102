/*
 * How long this machine takes a CPU away from a thread that never gives
 * it up, for the media benchmark (bench_media.py): on each online CPU in
 * turn, pinned there, a loop reads CLOCK_MONOTONIC for SECONDS and counts
 * the gaps between two reads. With the machine otherwise idle a gap is
 * time the thread could not run: an interrupt, a kernel thread, or on a
 * virtual machine the host running something else instead of this CPU,
 * which the guest's scheduler never sees. Those stalls are the floor
 * under any latency a media worker can show here.
 *
 *   stall_probe [SECONDS]    (default 2, per CPU)
 *
 * Prints one JSON line: per CPU the gaps over 100 us and over 1 ms, the
 * time in gaps over 100 us, and the longest gap.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

struct gaps {
	uint64_t over_100us, over_1ms, stalled_ns, max_ns;
};

static struct gaps probe(uint64_t span_ns)
{
	struct gaps g = {0};
	uint64_t t0 = now_ns(), last = t0;
	while (last - t0 < span_ns) {
		uint64_t t = now_ns();
		uint64_t d = t - last;
		if (d > 100000) {
			g.over_100us++;
			g.stalled_ns += d;
		}
		if (d > 1000000)
			g.over_1ms++;
		if (d > g.max_ns)
			g.max_ns = d;
		last = t;
	}
	return g;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	if (secs <= 0 || secs > 60) {
		fprintf(stderr, "stall_probe: SECONDS in (0, 60]\n");
		return 2;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("{\"seconds\":%.1f,\"cpus\":[", secs);
	for (long c = 0; c < ncpu; c++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)c, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("stall_probe: sched_setaffinity");
			return 1;
		}
		struct gaps g = probe((uint64_t)(secs * 1e9));
		printf("%s{\"cpu\":%ld,\"gaps_100us\":%llu,\"gaps_1ms\":%llu,"
		       "\"stalled_ms\":%.2f,\"max_ms\":%.2f}",
		       c ? "," : "", c, (unsigned long long)g.over_100us,
		       (unsigned long long)g.over_1ms, g.stalled_ns / 1e6,
		       g.max_ns / 1e6);
	}
	printf("]}\n");
	return 0;
}
