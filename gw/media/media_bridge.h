/*
 * Internal to the media workers: the RTP half of a MEDIA_MODE_BRIDGE
 * channel. B-channel blocks go out as RTP packets (transcoded to the
 * payload's law, RFC 3551 timing), RTP from the peer goes through the
 * jitter buffer back onto the B-channel, RFC 4733 events both ways, and
 * the inactivity timeout. Created on the signalling thread, then used only
 * by the channel's worker until freed after `stopped`.
 */
#ifndef GW_MEDIA_BRIDGE_H
#define GW_MEDIA_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "media.h"
#include "media_io.h"

struct media_bridge;

/*
 * Allocates the bridge for conf->rtp over conf's B-channel (its law and
 * block size), with an echo canceller if conf->ec; st is where the worker
 * publishes the counters (the channel's). Returns 0, -EINVAL for a bad
 * rtp conf or echo tail, or -ENOMEM.
 */
int media_bridge_new(struct media_bridge **bp,
		     const struct media_chan_conf *conf,
		     struct media_stats *st);
/* Frees a bridge that is not attached. NULL is a no-op. */
void media_bridge_free(struct media_bridge *b);
/* Worker: starts reading the RTP socket in loop l, through the worker's
 * batched I/O mio (which also carries every send). Returns 0 or -errno. */
int media_bridge_attach(struct media_bridge *b, struct loop *l,
			struct media_io *mio);
/* Worker: stops reading the RTP socket. */
void media_bridge_detach(struct media_bridge *b, struct loop *l,
			 struct media_io *mio);
/* Worker: takes a new remote / direction / timeout (codec unchanged). */
void media_bridge_update(struct media_bridge *b,
			 const struct media_rtp_conf *rtp);
/* True if rtp may replace the bridge's conf (same fd, law and pt). */
bool media_bridge_compatible(const struct media_bridge *b,
			     const struct media_rtp_conf *rtp);
/* What media_bridge_block() has to tell the signalling thread. */
enum media_bridge_ev {
	MEDIA_BRIDGE_EV_TIMEOUT = 1u << 0, /* the RTP inactivity timeout */
	MEDIA_BRIDGE_EV_TONE = 1u << 1,	   /* new bits in st->tones */
};

/*
 * Worker: one B-channel block of n samples in span law was read into blk
 * at now (CLOCK_MONOTONIC ns), having been there to read since t_ready
 * (<= now): sends what is due as RTP (through the attached media_io,
 * which counts each audio packet's latency from t_ready) and replaces blk
 * with the n samples to play. t_ready is also the jitter buffer's playout
 * clock: it follows the span's clock, so a worker that reads late does
 * not make the buffer shrink and grow again (samples dropped, repeated,
 * packets late) as the read time would. Returns enum media_bridge_ev
 * bits: _TIMEOUT once, the first time the RTP inactivity timeout has
 * passed; _TONE when connect tones not seen before were detected (and
 * acted on).
 */
unsigned media_bridge_block(struct media_bridge *b, uint8_t *blk, size_t n,
			    uint64_t now, uint64_t t_ready);

#endif
