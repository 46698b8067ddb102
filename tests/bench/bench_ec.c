/*
 * Benchmark of the line echo canceller (gw/media/ec.c) as the media workers
 * run it: 20 ms blocks round-robin over many channels, each with its own
 * canceller, adapting on speech-shaped noise echoed through a G.168 Annex D
 * path at ERL 6 dB, NLP and comfort noise on. Prints ns per sample and
 * channels per core for tails of 32 and 128 ms, next to references
 * measured in the same run: an A-law round trip per sample (spandsp's
 * alaw_to_linear + linear_to_alaw), a plain dot product over the tail per
 * sample (spandsp's vec_dot_prodf: the floor for any FIR canceller) and a
 * textbook NLMS from spandsp's primitives (vec_dot_prodf + vec_lmsf).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#include <spandsp.h>
#include <spandsp/g168models.h>
#pragma GCC diagnostic pop

#include "media/ec.h"
#include "tests/bench/bench.h"

#define NELEM(a)   (sizeof(a) / sizeof((a)[0]))
#define BLOCK	   160	 /* samples: 20 ms */
#define CHANNELS   64	 /* cancellers per run */
#define SIG_LEN	   16000 /* samples (2 s) of test signal, shared */
#define RUN_BLOCKS 1000	 /* blocks (20 s of audio) per channel per run */

static uint32_t rng(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

/* Speech-shaped noise at about -15 dBm0 and its echo through model D.4
 * (8 ms bulk delay) at ERL 6 dB, plus near-end noise at about -60 dBm0. */
static void make_signals(int16_t *tx, int16_t *rx)
{
	uint32_t s = 12345;
	double lp = 0;
	float *far = malloc(SIG_LEN * sizeof(float));
	if (!far)
		exit(1);
	for (size_t i = 0; i < SIG_LEN; i++) {
		double u = 0;
		for (int k = 0; k < 4; k++) /* roughly Gaussian */
			u += (double)(rng(&s) >> 8) / 16777216.0 - 0.5;
		lp = 0.7 * lp + u;
		far[i] = (float)(lp * 9000);
		tx[i] = (int16_t)far[i];
	}
	size_t len = NELEM(line_model_d4_coeffs), delay = 64;
	double *y = calloc(SIG_LEN, sizeof(double)), px = 0, py = 0;
	if (!y)
		exit(1);
	for (size_t t = 0; t < SIG_LEN; t++) {
		for (size_t k = 0; k < len && k + delay <= t; k++)
			y[t] += line_model_d4_coeffs[k] * far[t - delay - k];
		px += (double)far[t] * far[t];
		py += y[t] * y[t];
	}
	double g = sqrt(0.25 * px / py); /* ERL 6 dB */
	for (size_t t = 0; t < SIG_LEN; t++) {
		double noise = ((double)(rng(&s) >> 8) / 16777216.0 - 0.5) * 56;
		rx[t] = (int16_t)lrint(g * y[t] + noise);
	}
	free(y);
	free(far);
}

/* ns per sample of the canceller with the given tail. */
static double bench_ec(unsigned tail_ms, const int16_t *tx, const int16_t *rx)
{
	struct ec_conf conf = {
	    .tail_ms = tail_ms, .nlp = true, .cng = true, .adapt = true};
	struct ec *ec[CHANNELS];
	int16_t out[BLOCK];
	for (size_t c = 0; c < CHANNELS; c++)
		if (!(ec[c] = ec_new(&conf)))
			exit(1);
	/* channels start at different offsets in the shared signal */
	size_t nblk = SIG_LEN / BLOCK;
	double t0 = bench_now_ns();
	for (size_t b = 0; b < RUN_BLOCKS; b++)
		for (size_t c = 0; c < CHANNELS; c++) {
			size_t off = ((b + c * 7) % nblk) * BLOCK;
			ec_process(ec[c], tx + off, rx + off, out, BLOCK);
			bench_use(out);
		}
	double ns = bench_now_ns() - t0;
	struct ec_stats st;
	ec_stats(ec[0], &st);
	for (size_t c = 0; c < CHANNELS; c++)
		ec_free(ec[c]);
	printf("  (channel 0 after the run: ERLE %.1f dB, NLP active %.0f%%)\n",
	       (double)st.erle_db, 100.0 * st.nlp_fraction);
	return ns / ((double)RUN_BLOCKS * CHANNELS * BLOCK);
}

/* ns per sample of an A-law round trip, block by block like a worker. */
static double bench_g711(const int16_t *tx)
{
	uint8_t enc[BLOCK];
	int16_t dec[BLOCK];
	size_t nblk = SIG_LEN / BLOCK;
	double t0 = bench_now_ns();
	for (size_t b = 0; b < (size_t)RUN_BLOCKS * CHANNELS; b++) {
		const int16_t *in = tx + (b % nblk) * BLOCK;
		for (size_t i = 0; i < BLOCK; i++)
			enc[i] = linear_to_alaw(in[i]);
		bench_use(enc);
		for (size_t i = 0; i < BLOCK; i++)
			dec[i] = alaw_to_linear(enc[i]);
		bench_use(dec);
	}
	return (bench_now_ns() - t0) / ((double)RUN_BLOCKS * CHANNELS * BLOCK);
}

/* ns per sample of a dot product over the tail (nlms == 0) or of a plain
 * NLMS built from spandsp's vector primitives (nlms == 1). */
static double bench_spandsp(unsigned tail_ms, const int16_t *tx,
			    const int16_t *rx, int nlms)
{
	int taps = (int)tail_ms * 8;
	size_t n = (size_t)RUN_BLOCKS * CHANNELS * BLOCK / 8; /* enough */
	float *x = calloc(SIG_LEN + (size_t)taps, sizeof(float));
	float *w = calloc((size_t)taps, sizeof(float));
	if (!x || !w)
		exit(1);
	for (size_t i = 0; i < SIG_LEN; i++)
		x[i + (size_t)taps] = tx[i];
	double pow = 1e6, t0 = bench_now_ns(); /* pow: sum of squares of win */
	float y = 0;
	for (size_t i = 0; i < n; i++) {
		size_t t = i % SIG_LEN;
		const float *win = x + t + 1;
		y = vec_dot_prodf(win, w, taps);
		if (nlms) {
			float e = rx[t] - y;
			pow += (double)win[taps - 1] * win[taps - 1] -
			       (double)x[t] * x[t];
			vec_lmsf(win, w, taps, (float)(0.5 * e / (pow + 1e6)));
		}
		bench_use(&y);
	}
	double ns = bench_now_ns() - t0;
	if (!isfinite(y))
		printf("# warning: the reference NLMS diverged\n");
	free(x);
	free(w);
	return ns / (double)n;
}

int main(void)
{
	static int16_t tx[SIG_LEN], rx[SIG_LEN];
	unsigned tails[] = {32, 128};
	make_signals(tx, rx);
	printf("ec: %d channels, 20 ms blocks, %d blocks each, NLP+CNG on, "
	       "adapting\n",
	       CHANNELS, RUN_BLOCKS);
	double g711 = bench_g711(tx);
	printf("reference: A-law round trip %.2f ns/sample\n", g711);
	for (size_t i = 0; i < NELEM(tails); i++) {
		double ns = bench_ec(tails[i], tx, rx);
		double dot = bench_spandsp(tails[i], tx, rx, 0);
		double nlms = bench_spandsp(tails[i], tx, rx, 1);
		printf("tail %3u ms: %.1f ns/sample, %.0f channels/core; "
		       "x%.1f A-law round trip, x%.2f spandsp dot product "
		       "(%.1f ns), x%.2f spandsp NLMS (%.1f ns)\n",
		       tails[i], ns, 1e9 / (ns * EC_RATE_HZ), ns / g711,
		       ns / dot, dot, ns / nlms, nlms);
	}
	return 0;
}
