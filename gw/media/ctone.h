/*
 * A cheap gate in front of spandsp's modem connect-tone detectors
 * (modem_connect_tones_rx: ~1 us per 20 ms block each, four per bridged
 * channel). Per 10 ms sub-block it measures how much of the power sits at
 * 1100 Hz (T.30 CNG) or 2100 Hz (V.25 ANS/ANSam, T.30 CED) with two
 * single-bin DFTs; only then, and for a hold time after, are the exact
 * detectors fed. It decides nothing itself: it may open on other audio
 * (costing a little CPU), and it must never stay shut on a real connect
 * tone at a level the detectors take (they need about -43 dBm0).
 */
#ifndef GW_MEDIA_CTONE_H
#define GW_MEDIA_CTONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTONE_SUB     80   /* samples per measurement: 10 ms, 100 Hz bins */
#define CTONE_HOLD    1600 /* samples fed after the last opening: 200 ms */
#define CTONE_MIN_MS  2500 /* mean square of -50 dBm0 (RMS ~50) */
#define CTONE_MIN_PCT 25   /* share of a sub-block's power at 1100/2100 */

struct ctone_gate {
	unsigned hold;	    /* samples still to be fed */
	unsigned sub;	    /* samples of the current sub-block so far */
	float re[2], im[2]; /* DFT bins at 1100 and 2100 Hz so far */
	float energy;	    /* sum of squares of the sub-block */
	uint64_t opened;    /* sub-blocks that opened the gate */
};

/* Zeroes g: shut. */
void ctone_gate_init(struct ctone_gate *g);
/*
 * Measures the n linear samples of one block and returns true if the
 * connect-tone detectors should see it: some 10 ms of it, or of the last
 * CTONE_HOLD samples before it, had at least CTONE_MIN_PCT % of its power
 * at 1100 or 2100 Hz and a power of at least CTONE_MIN_MS.
 */
bool ctone_gate_block(struct ctone_gate *g, const int16_t *x, size_t n);

#endif
