/*
 * Benchmark of the jitter buffer (gw/media/jb.c) as a media worker runs it
 * for one channel: per 20 ms block, one A-law packet put (with a little
 * arrival jitter) and one 160-sample block taken out. Prints ns per block
 * for a clean stream and one with 5% loss (PLC), next to a reference
 * measured in the same run: spandsp's own per-block work for the same
 * block, alaw_to_linear over 160 samples plus plc_rx (and plc_fillin for
 * the lost share), i.e. the floor for any G.711 receive path with PLC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <spandsp.h>
#pragma GCC diagnostic pop

#include "media/jb.h"
#include "tests/bench/bench.h"

#define BLOCK  160    /* samples: 20 ms */
#define BLOCKS 400000 /* per run: 8000 s of audio */

static uint32_t rng(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static uint8_t payload[BLOCK];

/* put + get per block; loss_pct of the packets never arrive. */
static double run_jb(unsigned loss_pct, struct jb_stats *st)
{
	const struct jb_conf c = {
	    .law = JB_LAW_ALAW, .min_ms = 20, .max_ms = 200, .k = 4};
	struct jb *jb = jb_new(&c);
	if (!jb)
		exit(1);
	int16_t out[BLOCK];
	uint32_t s = 1;
	double t0 = bench_now_ns();
	for (uint32_t i = 0; i < BLOCKS; i++) {
		uint64_t now = (uint64_t)i * BLOCK + 400;
		if (rng(&s) % 100 >= loss_pct) {
			struct jb_pkt p = {.payload = payload,
					   .len = BLOCK,
					   .seq = (uint16_t)i,
					   .ts = i * BLOCK,
					   .ssrc = 1,
					   .arrival = now - rng(&s) % 40};
			jb_put(jb, &p);
		}
		jb_get(jb, out, BLOCK, now);
		bench_use(out);
	}
	double ns = (bench_now_ns() - t0) / BLOCKS;
	jb_get_stats(jb, st);
	jb_free(jb);
	return ns;
}

/* spandsp's own receive work for the same blocks: decode + PLC. */
static double run_ref(unsigned loss_pct)
{
	plc_state_t *plc = plc_init(NULL);
	int16_t out[BLOCK];
	uint32_t s = 1;
	double t0 = bench_now_ns();
	for (uint32_t i = 0; i < BLOCKS; i++) {
		if (rng(&s) % 100 >= loss_pct) {
			(void)rng(&s);
			for (int k = 0; k < BLOCK; k++)
				out[k] = alaw_to_linear(payload[k]);
			plc_rx(plc, out, BLOCK);
		} else {
			plc_fillin(plc, out, BLOCK);
		}
		bench_use(out);
	}
	double ns = (bench_now_ns() - t0) / BLOCKS;
	plc_free(plc);
	return ns;
}

int main(void)
{
	for (int k = 0; k < BLOCK; k++) /* 1 kHz-ish tone, A-law */
		payload[k] = linear_to_alaw((k % 8 < 4) ? 8000 : -8000);
	static const unsigned loss[] = {0, 5};
	printf("jitter buffer, one channel, 20 ms blocks (%d per run)\n",
	       BLOCKS);
	for (size_t i = 0; i < 2; i++) {
		struct jb_stats st;
		run_ref(loss[i]); /* warm-up */
		double ref = run_ref(loss[i]);
		double jb = run_jb(loss[i], &st);
		printf("  loss %u%%: jb put+get %.0f ns/block, spandsp "
		       "alaw_to_linear+plc %.0f ns/block, ratio %.2f; "
		       "%.0f channels/core at 20 ms (plc_frames %llu, late "
		       "%llu)\n",
		       loss[i], jb, ref, jb / ref, 20e6 / jb,
		       (unsigned long long)st.plc_frames,
		       (unsigned long long)st.late);
	}
	return 0;
}
