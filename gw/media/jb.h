/*
 * Adaptive jitter buffer for one G.711 RTP stream (8000 Hz) feeding a TDM
 * B-channel: packets go in with their arrival time on our clock, blocks of
 * samples come out on the TDM clock. The playout delay follows the observed
 * jitter (k times the RFC 3550 A.8 estimate, at least the recent spread of
 * transit times, bounded by min/max), and changes in one step during
 * silence at talkspurt starts or a sample at a time at low-energy points in
 * speech, which also absorbs sender clock drift. Losses are concealed with
 * spandsp's PLC. A fixed mode (fax/modem pass-through) keeps one delay.
 * Pure: no I/O, no clock reads, no logging; one thread at a time.
 */
#ifndef GW_MEDIA_JB_H
#define GW_MEDIA_JB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_RATE_HZ    8000 /* samples per second */
#define JB_MAX_MS     1000 /* ms: upper limit for max_ms */
#define JB_BLOCK_MAX  1024 /* samples per jb_get() call, at most */
#define JB_PACKET_MAX 1024 /* samples per packet, at most */

/* G.711 laws (ITU-T G.711): A-law on E1, µ-law on T1. */
enum jb_law {
	JB_LAW_ALAW,
	JB_LAW_ULAW,
};

struct jb_conf {
	enum jb_law law;   /* of the RTP payload */
	unsigned min_ms;   /* ms: lowest playout delay, >= 0 */
	unsigned max_ms;   /* ms: highest playout delay, <= JB_MAX_MS */
	unsigned k;	   /* target = k * jitter estimate (typically 4) */
	bool fixed;	   /* fixed delay: no adaptation to jitter */
	unsigned fixed_ms; /* ms: the delay in fixed mode, min..max */
};

/* One received RTP packet, already parsed; payload not kept. */
struct jb_pkt {
	const uint8_t *payload; /* G.711 bytes in conf.law */
	size_t len;		/* bytes = samples */
	uint16_t seq;
	uint32_t ts; /* RTP timestamp, 8000 Hz */
	uint32_t ssrc;
	bool marker;	  /* start of a talkspurt */
	uint64_t arrival; /* arrival time on our clock, samples */
};

struct jb_stats {
	uint64_t packets;	   /* accepted (in time, not duplicates) */
	uint64_t lost;		   /* expected by sequence but never received */
	uint64_t late;		   /* arrived after their playout: dropped */
	uint64_t late_partial;	   /* arrived during their playout: the rest
				      was used (also counted in packets) */
	uint64_t discarded;	   /* too early for the buffer, or bad */
	uint64_t duplicates;	   /* same sequence number again: dropped */
	uint64_t plc_frames;	   /* jb_get() blocks with concealed samples */
	uint64_t plc_samples;	   /* samples made by PLC */
	uint64_t dropped_samples;  /* removed to shrink the delay */
	uint64_t inserted_samples; /* added to grow the delay */
	uint64_t resets;	   /* SSRC change, timestamp jump, stop */
	uint32_t delay_samples;	   /* current playout delay over the
				      fastest recent packet */
	uint32_t max_delay_samples;
	uint32_t target_samples; /* delay the buffer aims at */
	uint32_t jitter_samples; /* A.8 estimate */
};

struct jb;

/*
 * Allocates a jitter buffer; the caller owns it (jb_free). Returns NULL if
 * conf is invalid (min > max, max over JB_MAX_MS, fixed_ms outside
 * min..max, unknown law) or memory is short.
 */
struct jb *jb_new(const struct jb_conf *conf);
/* Frees a jitter buffer. NULL is a no-op. */
void jb_free(struct jb *jb);
/* Empties the buffer: the next packet starts playout afresh. */
void jb_reset(struct jb *jb);
/*
 * Puts one packet in. Returns 0 if stored, -EALREADY for a duplicate,
 * -ETIME if late (all its samples already played), -ENOBUFS if too early
 * for the buffer, -EINVAL for an empty or oversized payload. A new SSRC or
 * a timestamp jump of more than 2 s resets the buffer first.
 */
int jb_put(struct jb *jb, const struct jb_pkt *pkt);
/*
 * Takes the next n samples (n <= JB_BLOCK_MAX) for playout at time now
 * (samples, the clock of jb_pkt.arrival): always a full block, with
 * PLC for what is missing and silence before the first packet. Returns 0
 * or -EINVAL.
 */
int jb_get(struct jb *jb, int16_t *out, size_t n, uint64_t now);
/* Like jb_get(), as G.711 in law (the span's), via linear. */
int jb_get_g711(struct jb *jb, uint8_t *out, size_t n, uint64_t now,
		enum jb_law law);
/*
 * Switches to fixed mode at the delay the buffer aims at now, rounded up to
 * a whole ms within min..max (fax/modem pass-through: the delay no longer
 * follows the jitter, nothing is dropped or inserted to change it).
 * Returns that delay in ms. Idempotent.
 */
unsigned jb_freeze(struct jb *jb);
/* Copies the statistics. */
void jb_get_stats(const struct jb *jb, struct jb_stats *st);
/* G.711 byte -> linear sample for law: a 256-entry table (thread-safe,
 * filled on first use). */
const int16_t *jb_g711_table(enum jb_law law);
/*
 * Converts n G.711 bytes from one law to the other with spandsp's direct
 * tables (G.711 Tables 3/4); a plain copy if from == to. dst may be src.
 */
void jb_g711_transcode(uint8_t *dst, const uint8_t *src, size_t n,
		       enum jb_law from, enum jb_law to);

#endif
