/*
 * DTMF between the SIP and PSTN sides of a call, as pure parts the media
 * worker calls per block:
 *  - the RFC 4733 telephone-event payload (events 0-15: 0-9 * # A-D);
 *  - the player (RTP -> B-channel): RFC 4733 packets (or SIP INFO digits)
 *    in, one digit per event out, and in-band dual tones that replace the
 *    voice on the B-channel while an event lasts;
 *  - the detector (B-channel -> RTP): spandsp's dtmf_rx on the linear
 *    samples, digit start/end with durations, and the RFC 4733 packet
 *    sequence to send, plus a per-block flag to mute the tone in the voice;
 *  - the SIP INFO bodies application/dtmf-relay and application/dtmf.
 * No I/O, no threads, no logging. Each object is used by one thread.
 *
 * Prefixes: spandsp owns dtmf_rx* and dtmf_tx*; ours are dtmf_event_,
 * dtmf_play_, dtmf_detect_ and dtmf_info_.
 */
#ifndef GW_MEDIA_DTMF_H
#define GW_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"

#define DTMF_RATE_HZ	 8000  /* samples per second = RTP clock */
#define DTMF_EVENT_LEN	 4     /* bytes: RFC 4733 §2.3 */
#define DTMF_EVENT_MAX	 15    /* highest DTMF event code: D */
#define DTMF_MIN_MS	 40    /* ms: shortest tone played (Q.24) */
#define DTMF_GAP_MS	 50    /* ms: silence after each played tone */
#define DTMF_HANG_MS	 250   /* ms: an event without updates ends */
#define DTMF_LOW_DBM0	 (-10) /* dBm0: low-group tone level */
#define DTMF_HIGH_DBM0	 (-8)  /* dBm0: high-group tone (2 dB twist) */
#define DTMF_UPDATE_MS	 50    /* ms: RFC 4733 §2.5.1.2 update interval */
#define DTMF_INFO_DEF_MS 250   /* ms: INFO without a Duration */
#define DTMF_INFO_MAX_MS 60000 /* ms: longer INFO durations are garbage */
#define DTMF_PLAY_QUEUE	 16    /* digits waiting to be played */
#define DTMF_DETECT_PKTS 8     /* packets one block can produce */
#define DTMF_DETECT_EVS	 4     /* starts/ends one block can produce */

/* RFC 4733 §2.3 telephone-event payload, host order. */
struct dtmf_event {
	uint8_t event;	   /* 0-15: 0-9 * # A-D (RFC 4733 §3.2) */
	bool end;	   /* E bit: last packet(s) of the event */
	uint8_t volume;	   /* 0-63: power level, -dBm0 */
	uint16_t duration; /* timestamp units since the (segment) start */
};

/*
 * Decodes a 4-byte payload. Returns 0, -EINVAL if len is not 4 (malformed)
 * or -ENOTSUP for an event that is not a DTMF digit (> 15). The R bit is
 * ignored as RFC 4733 §2.3.4 says.
 */
int dtmf_event_decode(struct dtmf_event *ev, const uint8_t *p, size_t len);
/*
 * Encodes ev into buf (R bit clear). Returns DTMF_EVENT_LEN, -EINVAL for
 * an event > 15 or volume > 63, -ENOSPC if cap < 4.
 */
int dtmf_event_encode(const struct dtmf_event *ev, uint8_t *buf, size_t cap);
/* '0'-'9', '*', '#', 'A'-'D' for events 0-15; 0 for anything else. */
char dtmf_event_char(unsigned event);
/* The event code of a digit (a-d accepted), or -EINVAL. */
int dtmf_char_event(char c);

/* ---- Player: RTP telephone-events (or INFO digits) -> B-channel tones */

struct dtmf_play;

struct dtmf_play_conf {
	unsigned min_ms;  /* shortest tone; 0: DTMF_MIN_MS */
	unsigned gap_ms;  /* silence after a tone; 0: DTMF_GAP_MS */
	unsigned hang_ms; /* open event without updates ends; 0: DTMF_HANG_MS */
	int low_dbm0;	  /* 0: DTMF_LOW_DBM0 */
	int high_dbm0;	  /* 0: DTMF_HIGH_DBM0 */
};

struct dtmf_play_stats {
	uint64_t packets;   /* payloads accepted */
	uint64_t malformed; /* payloads refused (bad length, not DTMF) */
	uint64_t digits;    /* events begun (returned 1) */
	uint64_t dups;	    /* packets of an ended event (end retransmits) */
	uint64_t stale;	    /* packets older than the current event */
	uint64_t reordered; /* sequence number lower than one already seen */
	uint64_t lost_ends; /* events ended by a newer event, not an E bit */
	uint64_t segments;  /* long-event continuation segments */
	uint64_t dropped;   /* digits refused: queue full */
};

/*
 * Allocates a player; the caller owns it (dtmf_play_free()). conf may be
 * NULL for the defaults. Returns 0, -EINVAL or -ENOMEM.
 */
int dtmf_play_new(struct dtmf_play **pp, const struct dtmf_play_conf *conf);
/* Frees a player. NULL is a no-op. */
void dtmf_play_free(struct dtmf_play *p);
/* Forgets events and queued tones (new SSRC, call transfer). */
void dtmf_play_reset(struct dtmf_play *p);
/*
 * Feeds one received telephone-event packet (payload, RTP timestamp, marker
 * bit, sequence number). RFC 4733 §2.5.2: packets of one event share a
 * timestamp; a later timestamp is a new event even for the same digit,
 * begun on whichever packet arrives first (the start may be lost); end
 * retransmissions, reordered updates and older packets change nothing;
 * a long event continued in a new segment (§2.5.1.3) stays one digit.
 * Returns 1 and sets *digit when a new digit begins, 0 when nothing new
 * happened, -EINVAL/-ENOTSUP for a refused payload, -ENOBUFS if too many
 * digits are waiting to be played.
 */
int dtmf_play_rtp(struct dtmf_play *p, const uint8_t *payload, size_t len,
		  uint32_t ts, bool marker, uint16_t seq, char *digit);
/*
 * Queues one digit of a known duration (SIP INFO). Returns 0, -EINVAL for
 * a character that is not a DTMF digit, -ENOBUFS if the queue is full.
 */
int dtmf_play_digit(struct dtmf_play *p, char digit, unsigned duration_ms);
/*
 * Produces the next n B-channel samples: where a tone (or the silence after
 * it) is due, pcm[] is overwritten; elsewhere the voice in pcm[] is left as
 * it is. Returns true if any sample was replaced.
 */
bool dtmf_play_block(struct dtmf_play *p, int16_t *pcm, size_t n);
/* True while a tone is playing, queued, or in its trailing gap. */
bool dtmf_play_busy(const struct dtmf_play *p);
void dtmf_play_stats(const struct dtmf_play *p, struct dtmf_play_stats *st);

/* ---- Detector: B-channel samples -> digits and RFC 4733 packets */

struct dtmf_detect;

struct dtmf_detect_conf {
	unsigned update_ms; /* interval of updates; 0: DTMF_UPDATE_MS */
	bool suppress;	    /* report blocks whose voice should be muted */
};

/* One RFC 4733 packet to send: RTP timestamp, marker bit and payload. */
struct dtmf_pkt {
	uint32_t ts;
	bool marker;
	struct dtmf_event ev;
	uint8_t payload[DTMF_EVENT_LEN];
};

/* A digit began or ended (in-band), with RTP timestamps. */
struct dtmf_digit_ev {
	char digit;
	bool end;
	uint32_t ts;	   /* estimated start of the tone */
	uint32_t duration; /* samples; for an end: the whole tone */
	int level_dbm0;	   /* detected level at the start */
};

/* What one block produced. */
struct dtmf_detect_out {
	struct dtmf_pkt pkt[DTMF_DETECT_PKTS]; /* in sending order */
	size_t npkt;
	struct dtmf_digit_ev ev[DTMF_DETECT_EVS];
	size_t nev;
	bool suppress; /* conf.suppress and a tone was (maybe) present */
};

/*
 * Allocates a detector; the caller owns it (dtmf_detect_free()). conf may
 * be NULL: 50 ms updates, no suppression. Returns 0, -EINVAL or -ENOMEM.
 */
int dtmf_detect_new(struct dtmf_detect **dp,
		    const struct dtmf_detect_conf *conf);
/* Frees a detector. NULL is a no-op. */
void dtmf_detect_free(struct dtmf_detect *d);
/*
 * Processes n linear samples from the B-channel; ts is the RTP timestamp of
 * pcm[0] (consecutive blocks: ts advances by n). Fills *out with the
 * RFC 4733 packets due (§2.5.1: a start packet with the marker bit, updates
 * every update_ms, three end packets with the same timestamp, one per
 * block, §2.5.1.4; long events in segments, §2.5.1.3), the digit starts
 * and ends seen, and the suppression flag.
 */
void dtmf_detect_block(struct dtmf_detect *d, const int16_t *pcm, size_t n,
		       uint32_t ts, struct dtmf_detect_out *out);

/* ---- SIP INFO */

/*
 * Parses a SIP INFO body. ctype is the Content-Type value (parameters
 * ignored): application/dtmf-relay ("Signal=5\r\nDuration=160\r\n", keys
 * case-insensitive, spaces tolerated, Duration optional, Signal also as an
 * event code 0-15) or application/dtmf (the digit alone). Sets *digit and
 * *duration_ms (DTMF_INFO_DEF_MS when absent). Returns 0, -EINVAL for a
 * malformed body, -ENOTSUP for another content type.
 */
int dtmf_info_parse(struct pl ctype, struct pl body, char *digit,
		    unsigned *duration_ms);

#endif
