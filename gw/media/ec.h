/*
 * Line echo canceller for the TDM side of a call (ITU-T G.168 style): an
 * adaptive FIR over the echo tail (IPNLMS, a proportionate NLMS) with a
 * background/foreground filter pair against divergence, a Geigel
 * double-talk detector, a non-linear processor (NLP) and comfort noise.
 * Pure DSP: 16-bit linear samples at 8 kHz in, cleaned samples and
 * statistics out; no I/O, no globals, no logging. One instance per channel,
 * used by one thread at a time.
 *
 * Naming follows G.168's terms: tx is the far-end signal the gateway sends
 * to the line (Rin/Rout, the reference), rx is what comes back from the
 * line (Sin: near-end speech plus echo); the result is Sout.
 */
#ifndef GW_MEDIA_EC_H
#define GW_MEDIA_EC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EC_RATE_HZ	8000 /* samples per second */
#define EC_TAIL_MS_MIN	16   /* ms */
#define EC_TAIL_MS_MAX	128  /* ms: 1024 taps */
#define EC_TAIL_MS_STEP 8    /* ms */

struct ec;

struct ec_conf {
	unsigned tail_ms; /* echo path span covered: 16..128 ms, 8 ms steps */
	bool nlp;	  /* suppress residual echo when near-end is silent */
	bool cng;	  /* comfort noise instead of silence when NLP clips */
	bool adapt;	  /* false: the filter stays as it is (zero at start) */
};

struct ec_stats {
	float erle_db;	/* smoothed ERLE of the output filter, before NLP, dB */
	bool converged; /* erle_db has reached 20 dB (G.168 test 2) */
	uint64_t dt_count;  /* double-talk onsets seen by the Geigel test */
	float nlp_fraction; /* share of processed samples the NLP replaced */
	uint64_t samples;   /* samples processed while enabled */
	uint64_t fg_copies; /* background filter promoted to the output */
	uint64_t resets;    /* filters restored or cleared (divergence, path) */
	float noise_dbm0;   /* noise estimate for comfort noise; -99: none */
};

/*
 * Allocates a canceller; the caller owns it and frees it with ec_free().
 * Returns NULL if conf is invalid (tail_ms out of range or not a multiple
 * of 8 ms) or memory is short.
 */
struct ec *ec_new(const struct ec_conf *conf);
/* Frees a canceller. NULL is a no-op. */
void ec_free(struct ec *e);
/* Forgets everything learned: the same state as right after ec_new(). */
void ec_reset(struct ec *e);
/*
 * Enables or bypasses the canceller. Bypassed, rx is returned bit-exact and
 * nothing is learned: the caller bypasses on a 2100 Hz answer tone with
 * phase reversals (the ITU-T G.165/G.168 tone disabler), for fax and
 * modems. Re-enabling keeps the learned echo path but restarts the
 * far-end history.
 */
void ec_set_enabled(struct ec *e, bool on);
/* True unless bypassed. */
bool ec_enabled(const struct ec *e);

/*
 * One sample: tx is the far-end sample just sent to the line (reference),
 * rx the sample just received from it (near-end + echo). Returns the
 * cleaned rx sample.
 */
int16_t ec_update(struct ec *e, int16_t tx, int16_t rx);
/*
 * n samples at once (a media block, 160 for 20 ms): out[i] is exactly what
 * ec_update(e, tx[i], rx[i]) would have returned. out may alias rx.
 */
void ec_process(struct ec *e, const int16_t *tx, const int16_t *rx,
		int16_t *out, size_t n);
/* Fills *st with the current statistics. */
void ec_stats(const struct ec *e, struct ec_stats *st);

#endif
