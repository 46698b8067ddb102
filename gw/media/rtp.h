/*
 * RTP and RTCP (RFC 3550) for the media workers, as pure functions over
 * buffers: RTP header building and parsing, a sender state, per-source
 * receiver statistics (sequence extension and probation, loss, interarrival
 * jitter: RFC 3550 A.1, A.3, A.8) and compound RTCP SR/RR + SDES CNAME
 * (+ BYE) building and parsing (§6.4, §6.5, §6.6). No sockets, no clocks,
 * no logging: callers pass arrival times in RTP timestamp units and NTP
 * times as 64-bit fixed point (32.32 seconds).
 */
#ifndef GW_MEDIA_RTP_H
#define GW_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media_lat.h"

#define RTP_VERSION	   2
#define RTP_HDR_LEN	   12 /* bytes, without CSRCs and extension */
#define RTP_MAX_CSRC	   15
#define RTP_SEQ_MOD	   (1u << 16)
#define RTP_MAX_DROPOUT	   3000 /* packets: RFC 3550 A.1 */
#define RTP_MAX_MISORDER   100	/* packets: RFC 3550 A.1 */
#define RTP_MIN_SEQUENTIAL 2	/* packets in sequence to end probation */

/* One RTP fixed header with its CSRC list and header extension (§5.1,
 * §5.3.1). ext_data points into the parsed buffer (not owned). */
struct rtp_hdr {
	bool marker;
	uint8_t pt;   /* payload type, 0..127 */
	uint16_t seq; /* sequence number */
	uint32_t ts;  /* RTP timestamp, clock-rate units */
	uint32_t ssrc;
	uint8_t cc; /* number of CSRCs, 0..15 */
	uint32_t csrc[RTP_MAX_CSRC];
	bool ext;		 /* header extension present */
	uint16_t ext_profile;	 /* "defined by profile" field */
	const uint8_t *ext_data; /* extension words (parse only) */
	size_t ext_len;		 /* bytes, a multiple of 4 */
	uint8_t pad_len;	 /* padding bytes incl. the count; 0: none */
};

/*
 * Parses an RTP packet (RFC 3550 §5.1). On success fills *h and the payload
 * view (pointing into buf) and returns 0. Returns -EBADMSG for anything
 * malformed: short, version not 2, CSRC list or extension past the end,
 * padding count 0 or larger than what is left after the header.
 */
int rtp_parse(struct rtp_hdr *h, const uint8_t **payload, size_t *payload_len,
	      const uint8_t *buf, size_t len);
/*
 * Builds an RTP packet from *h (ext_data/ext_len used if h->ext; pad_len
 * padding bytes appended if non-zero) and the payload into buf. Returns the
 * packet length, -EINVAL for an invalid header (pt > 127, cc > 15,
 * ext_len not a multiple of 4 or over 262140) or -ENOSPC if cap is short.
 */
int rtp_build(uint8_t *buf, size_t cap, const struct rtp_hdr *h,
	      const uint8_t *payload, size_t payload_len);

/* Sender state for one outgoing stream (§5.1: random initial values). */
struct rtp_sender {
	uint32_t ssrc;
	uint16_t seq;	  /* sequence number of the next packet */
	uint32_t ts;	  /* timestamp of the next packet */
	uint8_t pt;	  /* payload type */
	bool talkspurt;	  /* next packet starts a talkspurt: marker */
	uint32_t packets; /* sent, for the SR sender's packet count */
	uint32_t octets;  /* payload octets sent, for the SR */
	uint32_t last_ts; /* timestamp of the last packet sent */
};

/*
 * Initialises a sender with a random SSRC, sequence number and timestamp
 * (getrandom(2)). Returns 0 or -errno from getrandom.
 */
int rtp_sender_init(struct rtp_sender *s, uint8_t pt);
/* Initialises a sender with given start values (tests, replays). */
void rtp_sender_init_at(struct rtp_sender *s, uint8_t pt, uint32_t ssrc,
			uint16_t seq, uint32_t ts);
/*
 * Builds the next packet of samples_per_packet samples (payload) into buf:
 * marker set on the first packet and on the first after rtp_sender_gap()
 * (RFC 3551 §4.1), then seq and ts advance. Returns the length or -errno
 * like rtp_build().
 */
int rtp_sender_next(struct rtp_sender *s, uint8_t *buf, size_t cap,
		    const uint8_t *payload, size_t payload_len,
		    uint32_t samples_per_packet);
/* Records samples not sent (silence suppression): ts advances, the next
 * packet carries the marker bit. */
void rtp_sender_gap(struct rtp_sender *s, uint32_t samples);

/* What rtp_source_update() made of a packet. */
enum rtp_src_event {
	RTP_SRC_OK,	   /* valid: hand it on */
	RTP_SRC_PROBATION, /* source not yet valid (A.1 probation) */
	RTP_SRC_BAD_SEQ,   /* large jump or old duplicate: dropped */
	RTP_SRC_RESTART,   /* confirmed sequence restart: stats reset, valid */
	RTP_SRC_NEW_SSRC,  /* SSRC changed: state reset, probation again */
};

/* Receiver state for one remote source (RFC 3550 A.1, A.3, A.8). */
struct rtp_source {
	uint32_t ssrc;
	bool have_ssrc;
	uint16_t max_seq;	 /* highest sequence number seen */
	uint32_t cycles;	 /* shifted count of sequence wraps */
	uint32_t base_seq;	 /* first sequence number */
	uint32_t bad_seq;	 /* last "bad" sequence number + 1 */
	uint32_t probation;	 /* packets still needed to be valid */
	uint32_t received;	 /* packets received (valid) */
	uint32_t expected_prior; /* at the last report (A.3) */
	uint32_t received_prior;
	int64_t transit; /* last relative transit time (A.8) */
	bool have_transit;
	struct media_lag lag; /* transit against the fastest recent one */
	uint32_t wait;	      /* the last packet's transit over that */
	uint32_t jitter_q4;   /* interarrival jitter * 16, timestamp units */
	uint64_t octets;      /* payload octets received */
	uint32_t restarts;    /* resets by seq restart or SSRC change */
	uint32_t lsr;	      /* middle 32 bits of the last SR's NTP time */
	uint64_t lsr_arrival_ntp; /* when that SR arrived, NTP 32.32 */
};

/* Starts statistics for no source yet: the first packet sets the SSRC. */
void rtp_source_init(struct rtp_source *s);
/*
 * Feeds one received packet: SSRC check, sequence validation (A.1),
 * jitter (A.8) with arrival_ts the arrival time in the same clock units as
 * the RTP timestamp. Returns what happened.
 */
enum rtp_src_event rtp_source_update(struct rtp_source *s,
				     const struct rtp_hdr *h,
				     uint32_t arrival_ts, size_t payload_len);
/* Extended highest sequence number received (A.3). */
uint32_t rtp_source_ext_max(const struct rtp_source *s);
/* Cumulative number of packets lost, may be negative (duplicates), A.3. */
int32_t rtp_source_lost(const struct rtp_source *s);
/* Interarrival jitter in timestamp units (A.8). */
uint32_t rtp_source_jitter(const struct rtp_source *s);
/*
 * How much later than the fastest recent packet the last one arrived, in
 * timestamp units: network jitter, or time it spent queued in our socket
 * (a packet that waited a packet time or more has others behind it). The
 * fastest transit forgets one unit per packet, so a lasting change of
 * path or clock stops counting as waiting.
 */
uint32_t rtp_source_wait(const struct rtp_source *s);
/* Records a sender report from this source (for LSR/DLSR, §6.4.1). */
void rtp_source_sr_received(struct rtp_source *s, uint64_t sr_ntp,
			    uint64_t now_ntp);

#define RTCP_MAX_RB    31  /* report blocks per SR/RR (5-bit count) */
#define RTCP_CNAME_MAX 255 /* bytes (§6.5: 8-bit length) */

/* One reception report block (§6.4.1). */
struct rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction_lost; /* fixed point /256 */
	int32_t cum_lost;      /* 24-bit signed */
	uint32_t ext_max_seq;
	uint32_t jitter; /* timestamp units */
	uint32_t lsr;	 /* middle 32 bits of the last SR NTP time */
	uint32_t dlsr;	 /* delay since that SR, 1/65536 s */
};

/* The sender info of an SR (§6.4.1). */
struct rtcp_sr {
	uint64_t ntp; /* NTP timestamp, 32.32 seconds since 1900 */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* A compound RTCP packet as we build it or understood it. */
struct rtcp_report {
	uint32_t ssrc; /* of the sender of this report */
	bool is_sr;
	struct rtcp_sr sr; /* valid if is_sr */
	unsigned rb_count;
	struct rtcp_rb rb[RTCP_MAX_RB];
	char cname[RTCP_CNAME_MAX + 1]; /* "" if none */
	bool bye;			/* a BYE for ssrc was included */
};

/*
 * Fills a report block for source s and advances its A.3 interval
 * counters (fraction lost is since the previous call). now_ntp is the
 * time of sending, for DLSR.
 */
void rtp_source_report(struct rtp_source *s, struct rtcp_rb *rb,
		       uint64_t now_ntp);
/* The middle 32 bits of an NTP timestamp (§4, LSR). */
uint32_t rtcp_ntp_mid32(uint64_t ntp);
/*
 * Builds a compound RTCP packet (§6.1): SR (if r->is_sr) or RR with
 * r->rb_count blocks, SDES with r->cname (required, 1..255 bytes), and a
 * BYE if r->bye. Returns the length, -EINVAL or -ENOSPC.
 */
int rtcp_build(uint8_t *buf, size_t cap, const struct rtcp_report *r);
/*
 * Parses a compound RTCP packet with the validity checks of RFC 3550 A.2:
 * every packet version 2, the first an SR or RR, padding only on the last,
 * lengths adding up to len. Fills *r from the SR/RR, the CNAME of r->ssrc
 * and a BYE naming it; other types (APP, XR, ...) are skipped. Returns 0
 * or -EBADMSG.
 */
int rtcp_parse(struct rtcp_report *r, const uint8_t *buf, size_t len);

#define RTCP_MIN_INTERVAL_MS 5000 /* RFC 3550 §6.2: Tmin */

/*
 * The delay before the next RTCP report of a two-party session, in ms
 * (RFC 3550 §6.3.1): the 5 s minimum (half of it before the first report,
 * initial), scaled by a factor uniform in [0.5, 1.5) taken from rnd (a
 * random 32-bit value). At 64 kbit/s and two members the bandwidth rule
 * never asks for more than the minimum. We do no timer reconsideration,
 * so the e - 3/2 compensation that goes with it is left out.
 */
uint32_t rtcp_interval_ms(bool initial, uint32_t rnd);
/*
 * The round-trip time from a report block about our stream (§6.4.1):
 * A - LSR - DLSR in 16.16 NTP seconds, A the middle 32 bits of the NTP
 * time the report arrived (rtcp_ntp_mid32). Returns it in us, or -1 when
 * the block carries no LSR or the result is negative (clocks gone wrong).
 */
int64_t rtcp_rtt_us(uint32_t arrival_mid32, uint32_t lsr, uint32_t dlsr);

#endif
