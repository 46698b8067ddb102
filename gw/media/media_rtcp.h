/*
 * Internal to the media workers: the RTCP half of a bridged channel
 * (RFC 3550 §6). Sends a compound SR or RR + SDES CNAME at the two-party
 * interval, driven by the B-channel block clock (no timer of its own),
 * reads the peer's reports from the RTCP socket and publishes what they say
 * about our stream (loss, jitter, round-trip time) into the channel's
 * media_stats, and says BYE when the channel stops. Embedded in the
 * bridge; used only by the channel's worker once attached.
 */
#ifndef GW_MEDIA_RTCP_H
#define GW_MEDIA_RTCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "media.h"
#include "rtp.h"

struct media_rtcp {
	int fd; /* the caller's RTCP socket; -1: no RTCP */
	struct sockaddr_storage remote;
	const struct rtp_sender *tx; /* the bridge's: our stream */
	struct rtp_source *src;	     /* the bridge's: the peer's stream */
	struct media_stats *st;	     /* the channel's */
	unsigned call_id;
	uint64_t next_ns;     /* next report due (CLOCK_MONOTONIC); 0: unset */
	uint32_t pkts_ago[2]; /* tx->packets at the last two reports */
	uint32_t rnd;	      /* xorshift32 state for the intervals */
	bool latched;
	char cname[64];
	struct loop_io io;
	bool attached;
};

/* Sets r up over fd (-1: RTCP off) toward remote, reporting on tx and src
 * and publishing into st. */
void media_rtcp_init(struct media_rtcp *r, int fd,
		     const struct sockaddr_storage *remote,
		     const struct rtp_sender *tx, struct rtp_source *src,
		     struct media_stats *st, unsigned call_id);
/* Worker: starts reading the RTCP socket. Returns 0 or -errno. */
int media_rtcp_attach(struct media_rtcp *r, struct loop *l);
/* Worker: sends a BYE (RFC 3550 §6.6) and stops reading the socket. */
void media_rtcp_detach(struct media_rtcp *r, struct loop *l);
/* Worker: a new remote RTCP address from the SDP (re-INVITE, answer). */
void media_rtcp_update(struct media_rtcp *r,
		       const struct sockaddr_storage *remote);
/*
 * Worker, once per B-channel block at now (CLOCK_MONOTONIC ns): sends the
 * report when it is due. rtp_ts is the RTP timestamp of our stream that
 * corresponds to now (for the SR).
 */
void media_rtcp_tick(struct media_rtcp *r, uint64_t now, uint32_t rtp_ts);

#endif
