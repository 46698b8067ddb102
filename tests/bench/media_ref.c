/*
 * The reference half of bench_media.py: what spandsp's own primitives cost
 * for one channel's 20 ms block, measured on the machine and in the run the
 * gateway is measured in. Per block of 160 samples: an A-law round trip
 * (alaw_to_linear + linear_to_alaw per sample), plc_rx after decoding,
 * plc_fillin for a lost block, dtmf_rx over the block (the detector every
 * bridged channel runs). Prints one JSON object of ns per block.
 * (spandsp's own echo_can_update prints debug lines per sample in Debian's
 * build, so it cannot be timed; bench_ec compares the canceller with
 * spandsp's vector primitives instead.)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <spandsp.h>
#pragma GCC diagnostic pop

#include "tests/bench/bench.h"

#define BLOCK  160   /* samples: 20 ms */
#define BLOCKS 50000 /* per measurement: 1000 s of audio */

static int16_t tone[BLOCK];
static uint8_t alaw[BLOCK];

static double g711_round_trip(void)
{
	int16_t lin[BLOCK];
	uint8_t out[BLOCK];
	double t0 = bench_now_ns();
	for (int b = 0; b < BLOCKS; b++) {
		for (int i = 0; i < BLOCK; i++)
			lin[i] = alaw_to_linear(alaw[i]);
		bench_use(lin);
		for (int i = 0; i < BLOCK; i++)
			out[i] = linear_to_alaw(lin[i]);
		bench_use(out);
	}
	return (bench_now_ns() - t0) / BLOCKS;
}

static double plc(int fillin)
{
	plc_state_t *p = plc_init(NULL);
	int16_t lin[BLOCK];
	double t0 = bench_now_ns();
	for (int b = 0; b < BLOCKS; b++) {
		if (fillin && b & 1) {
			plc_fillin(p, lin, BLOCK);
		} else {
			for (int i = 0; i < BLOCK; i++)
				lin[i] = tone[i];
			plc_rx(p, lin, BLOCK);
		}
		bench_use(lin);
	}
	double ns = (bench_now_ns() - t0) / BLOCKS;
	plc_free(p);
	return ns;
}

static double dtmf(void)
{
	dtmf_rx_state_t *d = dtmf_rx_init(NULL, NULL, NULL);
	double t0 = bench_now_ns();
	for (int b = 0; b < BLOCKS; b++)
		dtmf_rx(d, tone, BLOCK);
	double ns = (bench_now_ns() - t0) / BLOCKS;
	dtmf_rx_free(d);
	return ns;
}

int main(void)
{
	for (int i = 0; i < BLOCK; i++) {
		tone[i] = (int16_t)(10000 * sin(2 * M_PI * 1004 * i / 8000.0));
		alaw[i] = linear_to_alaw(tone[i]);
	}
	g711_round_trip(); /* warm-up */
	double g = g711_round_trip();
	double rx = plc(0);
	double mixed = plc(1);
	double d = dtmf();
	printf("{\"block_samples\":%d,\"g711_round_trip_ns\":%.1f,"
	       "\"plc_rx_ns\":%.1f,\"plc_rx_fillin_half_ns\":%.1f,"
	       "\"dtmf_rx_ns\":%.1f}\n",
	       BLOCK, g, rx, mixed, d);
	return 0;
}
