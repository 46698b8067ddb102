/*
 * The RTP half of a bridged channel (MEDIA_MODE_BRIDGE), run by the
 * channel's media worker: B-channel blocks are staged and sent as G.711
 * RTP packets of ptime (RFC 3550 §5.1, RFC 3551 §4.5.14), RTP from the
 * peer goes through the adaptive jitter buffer onto the B-channel, with
 * transcoding where the payload's law is not the span's. Symmetric RTP:
 * we send to where valid RTP comes from. RFC 4733 events are played as
 * tones; in-band DTMF is sent as events. The clock for arrivals and
 * playout is CLOCK_MONOTONIC in samples (8000 Hz).
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <spandsp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctone.h"
#include "dtmf.h"
#include "ec.h"
#include "jb.h"
#include "log.h"
#include "media_int.h"
#include "media_io.h"
#include "media_bridge.h"
#include "media_rtcp.h"
#include "rtp.h"

#define BRIDGE_PTIME_MIN_MS  10
#define BRIDGE_PTIME_MAX_MS  200
#define BRIDGE_PTIME_MAX     (BRIDGE_PTIME_MAX_MS * 8) /* samples */
#define BRIDGE_STAGE_MAX     (TDM_MAX_BLOCK + BRIDGE_PTIME_MAX)
#define BRIDGE_PKT_MAX	     1500 /* bytes: what we read or build */
#define BRIDGE_RX_PER_WAKE   32	  /* packets read per readiness event */
#define BRIDGE_JB_MIN_MS     20
#define BRIDGE_JB_MAX_MS     300
#define BRIDGE_JB_K	     4
#define BRIDGE_NS_PER_SAMPLE 125000 /* ns: 1 / 8000 Hz */
#define BRIDGE_EC_MARGIN     32	    /* samples (4 ms) of slack before echo */
#define BRIDGE_EC_RING	     8192   /* samples of far-end history, 2^n */

/* Owned by the channel (media.c); used by its worker while attached. */
struct media_bridge {
	struct media_rtp_conf rc;
	enum tdm_law span_law;
	const int16_t *span_dec; /* jb_g711_table(span_law) */
	unsigned block;		 /* samples per B-channel block */
	unsigned call_id;
	struct media_stats *st; /* the channel's, published with atomics */
	struct jb *jb;
	struct dtmf_play *play;
	struct dtmf_detect *det;
	struct ec *ec;	   /* NULL: no echo canceller */
	int16_t *far;	   /* BRIDGE_EC_RING samples played, with ec */
	uint64_t ec_pos;   /* samples through the canceller so far */
	unsigned ec_delay; /* samples from playing to the echo's start */
	/* connect tone detectors, [0] on the B-channel, [1] on RTP audio */
	modem_connect_tones_rx_state_t *ans_rx[2], *cng_rx[2];
	struct ctone_gate gate[2]; /* in front of them (ctone.h) */
	struct bridge_det {
		struct media_bridge *b;
		unsigned shift; /* 0 or MEDIA_TONE_RTP_SHIFT */
	} tdet[2];
	uint64_t hits;	/* enum media_tone bits reported by the detectors */
	uint64_t tones; /* hits acted on */
	bool fax;	/* G.711 pass-through */
	struct tones_gen tone; /* rc.tone's generator */
	struct rtp_sender tx;
	struct rtp_source src;
	unsigned ptime;			 /* samples per packet we send */
	uint8_t stage[BRIDGE_STAGE_MAX]; /* B-channel audio, payload law */
	size_t staged;
	uint64_t last_rx_ns;
	bool timeout_sent;
	struct loop_io io;
	bool attached;
	struct media_io *mio;  /* the worker's, while attached */
	struct media_io_rx rx; /* batched RTP read */
	uint8_t rxbuf[BRIDGE_PKT_MAX];
	struct media_rtcp rtcp;
};

static enum jb_law jlaw(enum tdm_law l)
{
	return l == TDM_LAW_ULAW ? JB_LAW_ULAW : JB_LAW_ALAW;
}

static uint8_t g711_enc(enum tdm_law l, int16_t s)
{
	return l == TDM_LAW_ULAW ? linear_to_ulaw(s) : linear_to_alaw(s);
}

static unsigned ptime_samples(const struct media_rtp_conf *rc, unsigned block)
{
	unsigned ms = rc->ptime_ms;
	if (!ms)
		return block <= BRIDGE_PTIME_MAX ? block : BRIDGE_PTIME_MAX;
	if (ms < BRIDGE_PTIME_MIN_MS)
		ms = BRIDGE_PTIME_MIN_MS;
	if (ms > BRIDGE_PTIME_MAX_MS)
		ms = BRIDGE_PTIME_MAX_MS;
	return ms * 8;
}

/*
 * The bulk delay of the echo path (G.168 §3: "pure delay"): a block written
 * to the B-channel after reading block k is played out behind the
 * driver's TX cushion (tdm_tx_prefill blocks, media.c chan_begin), so its
 * echo starts in block k + that cushion at the earliest. The
 * reference is delayed by that less a small margin for a hybrid that
 * answers within the block; the tail then covers the echo's dispersion.
 * Never less than a block: the echo of a block cannot come back before it
 * was written.
 */
static unsigned ec_bulk_delay(unsigned block, unsigned prefill)
{
	unsigned d = prefill * block;
	d = d > BRIDGE_EC_MARGIN ? d - BRIDGE_EC_MARGIN : 0;
	return d < block ? block : d;
}

static int ec_setup(struct media_bridge *b, const struct media_chan_conf *conf)
{
	if (!conf->ec) {
		media_stat_set(&b->st->ec_state, MEDIA_EC_NONE);
		return 0;
	}
	struct ec_conf ec = {
	    .tail_ms = conf->ec_tail_ms,
	    .nlp = true,
	    .cng = true,
	    .adapt = true,
	};
	if (ec.tail_ms < EC_TAIL_MS_MIN || ec.tail_ms > EC_TAIL_MS_MAX ||
	    ec.tail_ms % EC_TAIL_MS_STEP)
		return -EINVAL;
	b->ec_delay =
	    ec_bulk_delay(b->block, tdm_tx_prefill(conf->bchan->span));
	b->ec = ec_new(&ec);
	b->far = calloc(BRIDGE_EC_RING, sizeof(*b->far));
	if (!b->ec || !b->far)
		return -ENOMEM;
	media_stat_set(&b->st->ec_state, MEDIA_EC_ON);
	return 0;
}

static uint64_t tone_bit(int tone)
{
	switch (tone) {
	case MODEM_CONNECT_TONES_FAX_CNG:
		return MEDIA_TONE_CNG;
	case MODEM_CONNECT_TONES_ANS:
		return MEDIA_TONE_CED;
	case MODEM_CONNECT_TONES_ANS_PR:
		return MEDIA_TONE_ANS_PR;
	case MODEM_CONNECT_TONES_ANSAM:
		return MEDIA_TONE_ANSAM;
	case MODEM_CONNECT_TONES_ANSAM_PR:
		return MEDIA_TONE_ANSAM_PR;
	default:
		return 0; /* tone ended, or one we do not act on */
	}
}

/* spandsp's detector callback (in the worker, inside
 * modem_connect_tones_rx()). */
static void on_tone(void *user, int tone, int level, int delay)
{
	struct bridge_det *d = user;
	(void)level;
	(void)delay;
	d->b->hits |= tone_bit(tone) << d->shift;
}

/* Connect tones in one direction (0: from the B-channel, 1: from RTP):
 * spandsp's detectors see the audio the gate lets through. */
static void detect_tones(struct media_bridge *b, int dir, const int16_t *lin,
			 size_t n)
{
	if (!ctone_gate_block(&b->gate[dir], lin, n))
		return;
	modem_connect_tones_rx(b->ans_rx[dir], lin, (int)n);
	modem_connect_tones_rx(b->cng_rx[dir], lin, (int)n);
}

/* ITU-T V.25 / T.30 connect tones, both directions: the 2100 Hz detector
 * tells ANS (fax CED), ANS/, ANSam and ANSam/ apart; a second one finds
 * the 1100 Hz fax calling tone. */
static int tones_setup(struct media_bridge *b)
{
	for (int i = 0; i < 2; i++) {
		b->tdet[i].b = b;
		b->tdet[i].shift = i ? MEDIA_TONE_RTP_SHIFT : 0;
		ctone_gate_init(&b->gate[i]);
		b->ans_rx[i] = modem_connect_tones_rx_init(
		    NULL, MODEM_CONNECT_TONES_ANSAM_PR, on_tone, &b->tdet[i]);
		b->cng_rx[i] = modem_connect_tones_rx_init(
		    NULL, MODEM_CONNECT_TONES_FAX_CNG, on_tone, &b->tdet[i]);
		if (!b->ans_rx[i] || !b->cng_rx[i])
			return -ENOMEM;
	}
	return 0;
}

int media_bridge_new(struct media_bridge **bp,
		     const struct media_chan_conf *conf, struct media_stats *st)
{
	const struct media_rtp_conf *rtp = &conf->rtp;
	unsigned block = conf->bchan->blocksize;
	if (rtp->fd < 0 || rtp->pt > 127 || !block || block > TDM_MAX_BLOCK)
		return -EINVAL;
	struct media_bridge *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->rc = *rtp;
	b->span_law = conf->law;
	b->span_dec = jb_g711_table(jlaw(conf->law));
	b->block = block;
	b->st = st;
	b->call_id = conf->call_id;
	b->ptime = ptime_samples(rtp, block);
	if (rtp->tone)
		tones_gen_init(&b->tone, rtp->tone);
	struct jb_conf jc = {
	    .law = jlaw(rtp->law),
	    .min_ms = BRIDGE_JB_MIN_MS,
	    .max_ms = BRIDGE_JB_MAX_MS,
	    .k = BRIDGE_JB_K,
	};
	int rc = -ENOMEM;
	b->jb = jb_new(&jc);
	struct dtmf_detect_conf dc = {.suppress = true};
	if (!b->jb || dtmf_play_new(&b->play, NULL) ||
	    dtmf_detect_new(&b->det, &dc))
		goto fail;
	if ((rc = ec_setup(b, conf)) || (rc = tones_setup(b)))
		goto fail;
	/* RFC 3550 §5.1: random SSRC, first sequence number and timestamp */
	if ((rc = rtp_sender_init(&b->tx, rtp->pt)))
		goto fail;
	rtp_source_init(&b->src);
	media_rtcp_init(&b->rtcp, rtp->rtcp_fd, &rtp->rtcp_remote, &b->tx,
			&b->src, st, conf->call_id);
	b->last_rx_ns = media_now_ns();
	*bp = b;
	return 0;
fail:
	media_bridge_free(b);
	return rc;
}

void media_bridge_free(struct media_bridge *b)
{
	if (!b)
		return;
	jb_free(b->jb);
	dtmf_play_free(b->play);
	dtmf_detect_free(b->det);
	ec_free(b->ec);
	free(b->far);
	for (int i = 0; i < 2; i++) {
		if (b->ans_rx[i])
			modem_connect_tones_rx_free(b->ans_rx[i]);
		if (b->cng_rx[i])
			modem_connect_tones_rx_free(b->cng_rx[i]);
	}
	free(b);
}

bool media_bridge_compatible(const struct media_bridge *b,
			     const struct media_rtp_conf *rtp)
{
	return rtp->fd == b->rc.fd && rtp->rtcp_fd == b->rc.rtcp_fd &&
	       rtp->law == b->rc.law && rtp->pt == b->rc.pt;
}

void media_bridge_update(struct media_bridge *b,
			 const struct media_rtp_conf *rtp)
{
	if (rtp->tone && rtp->tone != b->rc.tone)
		tones_gen_init(&b->tone, rtp->tone);
	b->rc = *rtp;
	b->ptime = ptime_samples(rtp, b->block);
	media_rtcp_update(&b->rtcp, &rtp->rtcp_remote);
	/* the timeout counts from the change (answer, re-INVITE) */
	b->last_rx_ns = media_now_ns();
}

/* Symmetric RTP: send where the peer's valid RTP comes from (behind NAT
 * the SDP address is not where it can be reached). */
static void latch(struct media_bridge *b, const struct sockaddr_storage *from)
{
	if (media_sa_equal(from, &b->rc.remote))
		return;
	b->rc.remote = *from;
	media_stat_inc(&b->st->rtp_latched);
	log_info("media: call %u: RTP source differs from SDP: sending "
		 "there",
		 b->call_id);
}

static void rx_audio(struct media_bridge *b, const struct rtp_hdr *h,
		     const uint8_t *pl, size_t len, uint64_t now)
{
	struct jb_pkt p = {
	    .payload = pl,
	    .len = len,
	    .seq = h->seq,
	    .ts = h->ts,
	    .ssrc = h->ssrc,
	    .marker = h->marker,
	    .arrival = now,
	};
	int rc = jb_put(b->jb, &p);
	if (rc == 0 || rc == -ETIME)
		media_stat_inc(&b->st->rtp_rx_packets);
	else
		media_stat_inc(&b->st->rtp_rx_other);
}

static void rx_event(struct media_bridge *b, const struct rtp_hdr *h,
		     const uint8_t *pl, size_t len)
{
	char digit;
	/* RFC 4733 §2.5.2: the player turns events into in-band tones */
	if (dtmf_play_rtp(b->play, pl, len, h->ts, h->marker, h->seq, &digit) ==
	    1) {
		media_stat_inc(&b->st->dtmf_rx_events);
		log_debug("media: call %u: RFC 4733 digit %c", b->call_id,
			  digit);
	}
}

/* One packet from the RTP socket, read at now_s (samples). Returns true
 * when it was audio that waited a packet time or more longer than the
 * fastest recent one: then more are likely queued behind it. */
static bool rx_packet(struct media_bridge *b, const uint8_t *buf, size_t n,
		      const struct sockaddr_storage *from, uint64_t now_s)
{
	struct rtp_hdr h;
	const uint8_t *pl;
	size_t len;
	bool audio, event;
	if (rtp_parse(&h, &pl, &len, buf, n))
		goto other;
	audio = h.pt == b->rc.pt;
	event = b->rc.te_pt >= 0 && h.pt == (unsigned)b->rc.te_pt;
	if (!b->rc.recv || !(audio || event))
		goto other;
	/* RFC 3550 A.1: events share the stream's sequence numbers */
	enum rtp_src_event e =
	    rtp_source_update(&b->src, &h, (uint32_t)now_s, len);
	if (e != RTP_SRC_OK && e != RTP_SRC_RESTART)
		goto other;
	b->last_rx_ns = now_s * BRIDGE_NS_PER_SAMPLE;
	latch(b, from);
	if (audio)
		rx_audio(b, &h, pl, len, now_s);
	else
		rx_event(b, &h, pl, len);
	int32_t lost = rtp_source_lost(&b->src);
	media_stat_set(&b->st->rtp_rx_lost, lost > 0 ? (uint64_t)lost : 0);
	media_stat_set(&b->st->rtp_jitter_us,
		       (uint64_t)rtp_source_jitter(&b->src) * 125);
	return audio && len && rtp_source_wait(&b->src) >= len;
other:
	media_stat_inc(&b->st->rtp_rx_other);
	return false;
}

/* A batched RTP read came back; an error (EAGAIN, or an ICMP error on
 * the socket) waits for the next readiness. A packet that waited in the
 * socket (the worker was late) has others behind it: they are read in
 * this batch too, before the blocks they play into, instead of one per
 * round, which under load never caught up. */
static void rtp_rx_done(struct media_io_rx *rx, ssize_t res)
{
	struct media_bridge *b = rx->arg;
	if (res < 0)
		return;
	if (rx_packet(b, b->rxbuf, (size_t)res, &rx->from,
		      media_io_rx_ns(b->mio) / BRIDGE_NS_PER_SAMPLE))
		media_io_recv_more(b->mio, rx);
}

static void rtp_readable(struct loop_io *io, uint32_t events)
{
	struct media_bridge *b = io->arg;
	uint8_t buf[BRIDGE_PKT_MAX];
	(void)events;
	if (media_io_batching(b->mio)) {
		/* one packet per round: the loop is level-triggered */
		media_io_recv(b->mio, &b->rx);
		return;
	}
	for (int i = 0; i < BRIDGE_RX_PER_WAKE; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(b->rc.fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
		if (n < 0)
			break; /* EAGAIN, or an ICMP error: next time */
		rx_packet(b, buf, (size_t)n, &from,
			  media_now_ns() / BRIDGE_NS_PER_SAMPLE);
	}
}

int media_bridge_attach(struct media_bridge *b, struct loop *l,
			struct media_io *mio)
{
	b->last_rx_ns = media_now_ns();
	b->mio = mio;
	b->rx = (struct media_io_rx){
	    .done = rtp_rx_done,
	    .arg = b,
	    .fd = b->rc.fd,
	    .dgram = true,
	    .buf = b->rxbuf,
	    .cap = sizeof(b->rxbuf),
	};
	int rc = loop_io_add(l, &b->io, b->rc.fd, EPOLLIN, rtp_readable, b);
	b->attached = rc == 0;
	if (rc)
		return rc;
	return media_rtcp_attach(&b->rtcp, l);
}

void media_bridge_detach(struct media_bridge *b, struct loop *l,
			 struct media_io *mio)
{
	if (b->attached)
		loop_io_del(l, &b->io);
	b->attached = false;
	media_io_cancel(mio, &b->rx);
	media_rtcp_detach(&b->rtcp, l);
}

/* Sends one packet to the peer; with lat >= 0 the send's completion
 * counts t_ref -> sent as that latency. */
static void send_pkt(struct media_bridge *b, const uint8_t *pkt, int len,
		     int lat, uint64_t t_ref)
{
	if (len <= 0)
		return;
	const struct media_io_count cnt = {
	    .ok = &b->st->rtp_tx_packets,
	    .lat = lat,
	    .t_ref = t_ref,
	};
	media_io_send(b->mio, b->rc.fd, pkt, (size_t)len, &b->rc.remote, &cnt);
}

/* RFC 4733 §2.5.1: the detector's event packets, in the stream's SSRC
 * and sequence space. */
static void send_events(struct media_bridge *b, const struct dtmf_detect_out *o)
{
	uint8_t pkt[RTP_HDR_LEN + DTMF_EVENT_LEN];
	for (size_t i = 0; i < o->npkt; i++) {
		struct rtp_hdr h = {
		    .marker = o->pkt[i].marker,
		    .pt = (uint8_t)b->rc.te_pt,
		    .seq = b->tx.seq++,
		    .ts = o->pkt[i].ts,
		    .ssrc = b->tx.ssrc,
		};
		send_pkt(b, pkt,
			 rtp_build(pkt, sizeof(pkt), &h, o->pkt[i].payload,
				   DTMF_EVENT_LEN),
			 -1, 0);
	}
	for (size_t i = 0; i < o->nev; i++)
		if (!o->ev[i].end)
			media_stat_inc(&b->st->dtmf_tx_digits);
}

/* The echo canceller over one block read from the B-channel (lin, Sin):
 * the reference is what was played ec_delay samples earlier. lin gets
 * Sout. */
static void ec_block(struct media_bridge *b, int16_t *lin, size_t n)
{
	int16_t ref[JB_BLOCK_MAX];
	for (size_t i = 0; i < n; i++)
		ref[i] = b->far[(b->ec_pos - b->ec_delay + i) &
				(BRIDGE_EC_RING - 1)];
	ec_process(b->ec, ref, lin, lin, n);
	struct ec_stats es;
	ec_stats(b->ec, &es);
	media_stat_set((uint64_t *)&b->st->ec_erle_db10,
		       (uint64_t)(int64_t)lrintf(es.erle_db * 10.0f));
	media_stat_set(&b->st->ec_dt_count, es.dt_count);
}

static bool ec_running(const struct media_bridge *b)
{
	return b->ec && ec_enabled(b->ec);
}

static void ec_off(struct media_bridge *b, enum media_ec_state why)
{
	if (!ec_running(b))
		return;
	ec_set_enabled(b->ec, false);
	media_stat_set(&b->st->ec_state, why);
}

/*
 * Acts on connect tones not seen before. 1100 Hz CNG or 2100 Hz CED from
 * either side: fax, G.711 pass-through (ITU-T V.152 §5, T.30): canceller
 * off, jitter buffer fixed at its current delay, no DTMF detection. 2100
 * Hz with phase reversals (ANS/, ANSam/): the G.165/G.168 tone disabler,
 * canceller off for the rest of the call. ANSam alone is only reported.
 * Returns true if there were new tones.
 */
static bool tones_act(struct media_bridge *b)
{
	uint64_t fresh = b->hits & ~b->tones;
	if (!fresh)
		return false;
	b->tones |= fresh;
	uint64_t any = fresh | fresh >> MEDIA_TONE_RTP_SHIFT;
	if (any & (MEDIA_TONE_CNG | MEDIA_TONE_CED) && !b->fax) {
		b->fax = true;
		media_stat_set(&b->st->fax, any & MEDIA_TONE_CED
						? MEDIA_FAX_CED
						: MEDIA_FAX_CNG);
		media_stat_set(&b->st->jb_fixed_ms, jb_freeze(b->jb));
		ec_off(b, MEDIA_EC_OFF_FAX);
	}
	if (any & (MEDIA_TONE_ANS_PR | MEDIA_TONE_ANSAM_PR))
		ec_off(b, MEDIA_EC_OFF_TONE);
	/* last: media.c's Dekker handshake with the signalling thread */
	__atomic_store_n(&b->st->tones, b->tones, __ATOMIC_SEQ_CST);
	return true;
}

/* B-channel -> RTP: stage the block in the payload law (through the echo
 * canceller when it runs), send full packets (RFC 3551 §4.1: marker on
 * the first of a talkspurt). Each audio packet's send counts the latency
 * from t_ready, when the block was there to read (CLOCK_MONOTONIC ns). */
static void tx_block(struct media_bridge *b, const uint8_t *blk, size_t n,
		     uint64_t t_ready)
{
	uint8_t *dst = b->stage + b->staged;
	bool mute = false, ec = ec_running(b);
	int16_t lin[JB_BLOCK_MAX];
	for (size_t i = 0; i < n; i++)
		lin[i] = b->span_dec[blk[i]];
	detect_tones(b, 0, lin, n);
	if (ec)
		ec_block(b, lin, n);
	if (b->rc.te_pt >= 0 && b->rc.send && !b->fax) {
		struct dtmf_detect_out o;
		dtmf_detect_block(b->det, lin, n,
				  b->tx.ts + (uint32_t)b->staged, &o);
		send_events(b, &o);
		/* RFC 4733 §2.6: no tone in the audio beside the events */
		mute = o.suppress;
	}
	if (b->rc.tone)
		tones_gen_g711(&b->tone, b->rc.law, dst, n);
	else if (mute)
		memset(dst, b->rc.law == TDM_LAW_ULAW ? 0xff : 0xd5, n);
	else if (ec)
		for (size_t i = 0; i < n; i++)
			dst[i] = g711_enc(b->rc.law, lin[i]);
	else
		jb_g711_transcode(dst, blk, n, jlaw(b->span_law),
				  jlaw(b->rc.law));
	b->staged += n;
	size_t off = 0;
	while (b->staged - off >= b->ptime) {
		uint8_t pkt[RTP_HDR_LEN + BRIDGE_PTIME_MAX];
		if (b->rc.send) {
			send_pkt(b, pkt,
				 rtp_sender_next(&b->tx, pkt, sizeof(pkt),
						 b->stage + off, b->ptime,
						 b->ptime),
				 MEDIA_LAT_TDM_TO_RTP, t_ready);
		} else {
			rtp_sender_gap(&b->tx, b->ptime);
		}
		off += b->ptime;
	}
	memmove(b->stage, b->stage + off, b->staged - off);
	b->staged -= off;
}

/* Jitter buffer (+ RFC 4733 tones) -> the block to play. */
static void rx_block(struct media_bridge *b, uint8_t *blk, size_t n,
		     uint64_t now_s)
{
	int16_t lin[TDM_MAX_BLOCK];
	jb_get(b->jb, lin, n, now_s);
	detect_tones(b, 1, lin, n);
	dtmf_play_block(b->play, lin, n);
	for (size_t i = 0; i < n; i++)
		blk[i] = g711_enc(b->span_law, lin[i]);
	if (ec_running(b)) {
		/* the reference is exactly what the line gets */
		for (size_t i = 0; i < n; i++)
			b->far[(b->ec_pos + i) & (BRIDGE_EC_RING - 1)] =
			    b->span_dec[blk[i]];
		b->ec_pos += n;
	}
	struct jb_stats js;
	jb_get_stats(b->jb, &js);
	media_stat_set(&b->st->rtp_rx_late, js.late);
	media_stat_set(&b->st->rtp_rx_discarded, js.discarded + js.duplicates);
	media_stat_set(&b->st->jb_delay_ms, js.delay_samples / 8);
	media_stat_set(&b->st->plc_frames, js.plc_frames);
}

unsigned media_bridge_block(struct media_bridge *b, uint8_t *blk, size_t n,
			    uint64_t now, uint64_t t_ready)
{
	unsigned ev = 0;
	for (size_t off = 0; off < n; off += JB_BLOCK_MAX) {
		size_t k = n - off < JB_BLOCK_MAX ? n - off : JB_BLOCK_MAX;
		tx_block(b, blk + off, k, t_ready);
		rx_block(b, blk + off, k, t_ready / BRIDGE_NS_PER_SAMPLE + off);
		if (tones_act(b))
			ev |= MEDIA_BRIDGE_EV_TONE;
	}
	/* RTCP on the block clock; the SR's RTP time is that of the sample
	 * read now: the next packet's first plus what is staged for it */
	media_rtcp_tick(&b->rtcp, now, b->tx.ts + (uint32_t)b->staged);
	/* a packet read after this block (a later pass of the batch) is
	 * newer than now */
	if (!b->rc.timeout_s || !b->rc.recv || b->timeout_sent ||
	    now < b->last_rx_ns ||
	    now - b->last_rx_ns < (uint64_t)b->rc.timeout_s * 1000000000u)
		return ev;
	b->timeout_sent = true;
	return ev | MEDIA_BRIDGE_EV_TIMEOUT;
}
