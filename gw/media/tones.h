/*
 * Call-progress tones played toward a B-channel or an RTP peer: national
 * tone sets ("us", "uk", "de") of dial, ringback, busy and congestion
 * tones, each a single or dual frequency with an on/off cadence (ITU-T
 * E.180 and its Supplement 2). Pure DSP: a generator with caller-owned
 * state writes linear or G.711 blocks of any size and keeps phase and
 * cadence across blocks. The dual-tone oscillator is shared with the DTMF
 * player (media/dtmf.c).
 */
#ifndef GW_MEDIA_TONES_H
#define GW_MEDIA_TONES_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/tdm.h"

#define TONES_RATE_HZ	  8000 /* samples per second */
#define TONES_CADENCE_MAX 4    /* on, off, on, off */

enum tones_kind {
	TONES_DIAL,
	TONES_RINGBACK,
	TONES_BUSY,
	TONES_CONGESTION, /* "reorder" in North America */
};
#define TONES_KINDS 4

/* One tone of a set. */
struct tones_def {
	uint16_t f1_hz;	   /* first frequency */
	uint16_t f2_hz;	   /* second frequency; 0: single tone */
	int8_t level_dbm0; /* level of each frequency, dBm0 */
	/*
	 * ms: on, off, on, off; the list ends at the first 0 and repeats.
	 * cadence_ms[0] == 0: continuous.
	 */
	uint16_t cadence_ms[TONES_CADENCE_MAX];
};

struct tones_set {
	const char *name; /* "us", "uk", "de" */
	const char *desc;
	struct tones_def def[TONES_KINDS]; /* indexed by enum tones_kind */
};

/*
 * Phase-continuous dual-frequency oscillator (spandsp DDS): caller storage,
 * no allocation. Zero frequency or level below -90 dBm0: that half silent.
 */
struct tones_osc {
	uint32_t phase[2];
	int32_t rate[2];
	int16_t scale[2];
};

/* Tone generator state: caller storage; see tones_gen_init(). */
struct tones_gen {
	const struct tones_def *def; /* not owned; must outlive the generator */
	struct tones_osc osc;
	unsigned seg;	   /* index into def->cadence_ms */
	uint32_t seg_left; /* samples left in the current segment */
};

/* Looks up a tone set by name (case-insensitive). NULL if unknown. */
const struct tones_set *tones_set_find(const char *name);
/* 0 if name is a known tone set, -ENOENT if not (config validation). */
int tones_set_check(const char *name);
/* Number of built-in sets, and the i-th of them (NULL past the end). */
size_t tones_set_count(void);
const struct tones_set *tones_set_at(size_t i);
/*
 * Sets *dp to tone `kind` of set `name`. Returns 0, -ENOENT for an unknown
 * set or -EINVAL for an unknown kind.
 */
int tones_get(const char *name, enum tones_kind kind,
	      const struct tones_def **dp);
/* "dial", "ringback", "busy", "congestion"; "?" for an unknown kind. */
const char *tones_kind_name(enum tones_kind kind);

/*
 * Sets the oscillator to f1_hz at l1_dbm0 plus f2_hz at l2_dbm0 with both
 * phases at zero (the first sample is 0: a burst starts without a click).
 */
void tones_osc_init(struct tones_osc *o, unsigned f1_hz, float l1_dbm0,
		    unsigned f2_hz, float l2_dbm0);
/* Writes the next n samples of the oscillator into out. */
void tones_osc_gen(struct tones_osc *o, int16_t *out, size_t n);

/* Starts tone def at the beginning of its first "on" segment. */
void tones_gen_init(struct tones_gen *g, const struct tones_def *def);
/*
 * Writes the next n linear samples of the cadenced tone (silence in "off"
 * segments). Blocks may have any size; the output equals one long call.
 */
void tones_gen_linear(struct tones_gen *g, int16_t *out, size_t n);
/* The same as tones_gen_linear() but G.711 coded (A-law or mu-law). */
void tones_gen_g711(struct tones_gen *g, enum tdm_law law, uint8_t *out,
		    size_t n);

#endif
