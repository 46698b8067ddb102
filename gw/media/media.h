/*
 * Media worker threads (DESIGN.md §3): each worker owns a set of channels
 * and runs its own event loop over their B-channel descriptors. The
 * signalling thread and the workers share nothing but message queues
 * (commands in, events out), each woken by an eventfd.
 *
 * A channel's life: media_chan_start() hands the B-channel to a worker;
 * media_chan_stop() asks for it back; the `stopped` handler then runs on the
 * signalling thread, after which the caller may close the B-channel and must
 * call media_chan_free().
 */
#ifndef GW_MEDIA_H
#define GW_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "drivers/tdm.h"
#include "loop.h"
#include "media/media_io.h"
#include "media/tones.h"

struct media;
struct media_chan;
struct media_lat_hist;

enum media_mode {
	MEDIA_MODE_LOOPBACK,  /* B-channel audio is sent straight back */
	MEDIA_MODE_MILLIWATT, /* 1 kHz at 0 dBm0 (ITU-T G.711 Table 5/6) */
	MEDIA_MODE_IDLE,      /* B-channel read and discarded, G.711 silence
				 sent: a bridged call until RTP exists */
	MEDIA_MODE_BRIDGE,    /* B-channel <-> RTP (media_bridge.c) */
};

/*
 * The RTP side of a bridged channel (MEDIA_MODE_BRIDGE), from the SDP
 * offer/answer. The socket stays the caller's: the worker reads and writes
 * it between START and `stopped` but never closes it.
 */
struct media_rtp_conf {
	int fd;				/* bound, non-blocking UDP socket */
	struct sockaddr_storage remote; /* where to send (SDP c= and m=) */
	int rtcp_fd; /* bound UDP socket for RTCP, like fd; -1: no RTCP */
	struct sockaddr_storage rtcp_remote; /* a=rtcp, else port + 1 */
	enum tdm_law law;		     /* of the payload: PCMU or PCMA */
	uint8_t pt;			     /* payload type of that codec */
	int te_pt;	    /* RFC 4733 telephone-event PT, -1: none */
	unsigned ptime_ms;  /* ms per packet we send; 0: one block */
	bool send, recv;    /* SDP direction as seen from our side */
	unsigned timeout_s; /* no RTP for this long ends the call; 0: off
			       (also while receiving is off: hold) */
	/* a call-progress tone (media/tones.h, static) sent over RTP in
	 * place of the B-channel audio: local ringback; NULL: none */
	const struct tones_def *tone;
};

struct media_chan_conf {
	struct tdm_bchan *bchan; /* the worker uses it until `stopped` */
	enum tdm_law law;
	enum media_mode mode;
	unsigned call_id;	   /* for logs */
	struct media_rtp_conf rtp; /* MEDIA_MODE_BRIDGE only */
	/* MEDIA_MODE_BRIDGE: line echo canceller (ec.h) on the B-channel
	 * audio; ec_tail_ms 16..128 in 8 ms steps */
	bool ec;
	unsigned ec_tail_ms;
};

/* The echo canceller of a bridged channel, as in media_stats.ec_state. */
enum media_ec_state {
	MEDIA_EC_NONE,	   /* not configured (or not a bridge) */
	MEDIA_EC_ON,	   /* cancelling */
	MEDIA_EC_OFF_TONE, /* disabled: 2100 Hz with phase reversals
			      (ITU-T G.165/G.168 tone disabler) */
	MEDIA_EC_OFF_FAX,  /* disabled: fax pass-through */
};

/* Modem and fax connect tones (ITU-T V.25, V.8, T.30), as bits of
 * media_stats.tones; _RTP: heard in the audio from the RTP side, else on
 * the B-channel. */
enum media_tone {
	MEDIA_TONE_CNG = 1u << 0,      /* fax calling tone, 1100 Hz */
	MEDIA_TONE_CED = 1u << 1,      /* 2100 Hz answer tone (fax CED) */
	MEDIA_TONE_ANS_PR = 1u << 2,   /* 2100 Hz with phase reversals */
	MEDIA_TONE_ANSAM = 1u << 3,    /* 2100 Hz amplitude-modulated */
	MEDIA_TONE_ANSAM_PR = 1u << 4, /* both: V.8 modems */
};
#define MEDIA_TONE_RTP_SHIFT 8 /* the same bits, from the RTP side */

/* Fax pass-through (media_stats.fax): what switched the channel to it. */
enum media_fax {
	MEDIA_FAX_NONE,
	MEDIA_FAX_CNG,
	MEDIA_FAX_CED,
};

struct media_stats {
	uint64_t tdm_rx_blocks, tdm_tx_blocks;
	uint64_t tdm_rx_errors, tdm_tx_errors;
	uint64_t tdm_tx_full;  /* writes refused: the channel's queue is full */
	uint64_t tdm_rx_slips; /* reads that found the span's clock further
				  on than the channel's buffers hold: blocks
				  were lost before we read (overrun) */
	uint64_t tdm_tx_skipped; /* blocks not written to bring a transmit
				    queue a catch-up left deeper back to
				    the cushion (media.c chan_put) */
	/* MEDIA_MODE_BRIDGE */
	uint64_t rtp_rx_packets; /* valid RTP of the negotiated codec */
	uint64_t rtp_tx_packets;
	uint64_t rtp_rx_lost;	 /* RFC 3550 A.3 cumulative loss, >= 0 */
	uint64_t rtp_rx_late;	 /* too late for playout: dropped */
	uint64_t rtp_rx_other;	 /* bad, other payload types, probation */
	uint64_t rtp_jitter_us;	 /* RFC 3550 A.8 interarrival jitter */
	uint64_t plc_frames;	 /* blocks with concealed samples */
	uint64_t rtp_latched;	 /* remote address changed to the source */
	uint64_t dtmf_rx_events; /* RFC 4733 events played to the B-channel */
	uint64_t dtmf_tx_digits; /* in-band digits sent as RFC 4733 */
	uint64_t ec_state;	 /* enum media_ec_state */
	int64_t ec_erle_db10;	 /* echo return loss enhancement, 0.1 dB */
	uint64_t ec_dt_count;	 /* double-talk onsets seen */
	uint64_t tones;		 /* enum media_tone bits seen so far */
	uint64_t fax;		 /* enum media_fax */
	uint64_t jb_fixed_ms;	 /* jitter buffer delay once fixed; 0: adapts */
	uint64_t rtp_rx_discarded; /* too early for the jitter buffer, or
				      repeated packets: dropped */
	uint64_t jb_delay_ms;	   /* current playout delay */
	/* RTCP (RFC 3550 §6): packets, and what the peer's reports say about
	 * our stream (valid once peer_reports > 0; rtt_us once rtt_samples >
	 * 0) */
	uint64_t rtcp_rx_packets; /* valid compound packets */
	uint64_t rtcp_rx_bad;	  /* failed the A.2 checks: ignored */
	uint64_t rtcp_tx_packets;
	uint64_t peer_reports;	     /* report blocks about our stream */
	uint64_t peer_loss_permille; /* the last one's fraction lost */
	uint64_t peer_cum_lost;	     /* its cumulative loss, >= 0 */
	uint64_t peer_jitter_us;     /* its interarrival jitter */
	uint64_t rtt_samples;	     /* of them with LSR/DLSR: RTT known */
	uint64_t rtt_us;	     /* the last round-trip time (§6.4.1) */
};

/* The fields of struct media_stats that are counts (they add up across
 * channels), by name, for the control socket's views and the totals. */
struct media_counter {
	const char *name;
	size_t off; /* offsetof(struct media_stats, ...) */
};
extern const struct media_counter media_counters[];
extern const unsigned media_ncounters;

static inline uint64_t media_counter_get(const struct media_stats *st,
					 unsigned i)
{
	return *(const uint64_t *)(const void *)((const char *)st +
						 media_counters[i].off);
}

struct media_handlers {
	/* The worker has let go of the channel (signalling thread). */
	void (*stopped)(void *arg, struct media_chan *c);
	/* A bridged channel received no RTP for rtp.timeout_s (signalling
	 * thread; once per channel; may be NULL). The channel keeps running
	 * until stopped. */
	void (*rtp_timeout)(void *arg, struct media_chan *c);
	/* A bridged channel heard modem/fax connect tones it had not
	 * reported yet: `tones` has their enum media_tone bits (signalling
	 * thread; may be NULL). The channel has already acted on them: echo
	 * canceller off, fax pass-through. */
	void (*tone)(void *arg, struct media_chan *c, uint64_t tones);
};

/*
 * Starts nworkers threads (0: one per core; signalling is light beside
 * the media, and on two cores one worker alone cannot carry 48 E1s).
 * Events are delivered on sig_loop. Returns 0 or -errno.
 */
int media_new(struct media **mp, struct loop *sig_loop, unsigned nworkers,
	      enum media_io_mode io_mode, const struct media_handlers *h,
	      void *arg);
/* Stops and joins the workers; channels must have been stopped. */
void media_free(struct media *m);
unsigned media_workers(const struct media *m);

int media_chan_start(struct media *m, const struct media_chan_conf *conf,
		     struct media_chan **cp);
/* Asks the worker to release the channel; `stopped` follows. Idempotent. */
void media_chan_stop(struct media *m, struct media_chan *c);
/*
 * Changes the RTP side of a running MEDIA_MODE_BRIDGE channel (re-INVITE:
 * new remote address, hold, direction; answer: timeout armed). fd, law and
 * pt of rtp must stay those the channel started with. Returns 0, or
 * -EINVAL if the channel is not a bridge or the codec differs.
 */
int media_chan_update(struct media *m, struct media_chan *c,
		      const struct media_rtp_conf *rtp);
/* "cng", "ced", ... for one enum media_tone bit (RTP side or not). */
const char *media_tone_name(uint64_t bit);
/* "cng" or "ced" for MEDIA_FAX_CNG or _CED, NULL for none. */
const char *media_fax_name(uint64_t fax);
/* "none", "on" or "off" for an enum media_ec_state value. */
const char *media_ec_state_name(uint64_t state);
/* Frees a stopped channel. NULL is a no-op. */
void media_chan_free(struct media_chan *c);

struct tdm_bchan *media_chan_bchan(const struct media_chan *c);
/* A consistent-enough snapshot of the counters (relaxed atomics). */
void media_chan_stats(const struct media_chan *c, struct media_stats *st);
unsigned media_chan_count(const struct media *m);

/* Every channel's counters summed: the stopped ones and the running ones
 * (rtp_jitter_us: the largest of the running ones). Signalling thread. */
void media_totals(const struct media *m, struct media_stats *st);

/*
 * What the workers measure per block of a bridged channel, in ns, from
 * when the block was there to read: the read time less how long it
 * waited behind the fastest read of its channel, on the TDM clock
 * (media_lag), so that time spent queued in the B-channel counts too.
 */
enum media_lat_kind {
	MEDIA_LAT_TDM_TO_RTP, /* block ready -> sendto of the packet the
				 block completed (no packetisation wait) */
	MEDIA_LAT_BLOCK,      /* block ready -> write of the block played
				 (the worker's work both ways; no jitter
				 buffer delay) */
	MEDIA_LAT_TDM_WAIT,   /* block ready -> read: the part of both that
				 was queueing before the worker got to it */
	MEDIA_LAT_KINDS,
};
/* A snapshot of the workers' histograms of kind k merged into *h. */
void media_latency(const struct media *m, enum media_lat_kind k,
		   struct media_lat_hist *h);
/* Asks the workers to empty their histograms (each does it before its
 * next count). */
void media_latency_clear(struct media *m);

/* The workers' socket I/O: how, and how much it batched. */
struct media_io_totals {
	bool uring;	  /* io_uring, else one system call per operation */
	uint64_t batches; /* rounds of batched receives */
	uint64_t ops;	  /* operations through io_uring */
	uint64_t enters;  /* io_uring submissions (system calls) */
	uint64_t rereads; /* receives made again in a batch: an RTP packet
			     or B-channel block that had waited in its
			     socket, with more behind it */
};
/* Signalling thread: sums every worker's figures into t. */
void media_io_totals(const struct media *m, struct media_io_totals *t);

/*
 * Fills buf with the digital milliwatt sequence for the law, continuing at
 * *phase (0..7). Pure: exposed for tests.
 */
void media_milliwatt(enum tdm_law law, uint8_t *buf, size_t n, unsigned *phase);

#endif
