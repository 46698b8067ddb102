/*
 * RTCP for a bridged channel (RFC 3550 §6): see media_rtcp.h. Reports go
 * out at the §6.3.1 interval for two members (rtcp_interval_ms), an SR
 * while we have sent RTP in the last two intervals (§6.4), else an RR, with
 * one report block about the peer once it is a valid source, and SDES
 * CNAME "gwd@<our address>" (§6.5.1). Symmetric like the RTP: we send to
 * where valid RTCP comes from.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "media_int.h"
#include "media_rtcp.h"

#define RTCP_PKT_MAX	  1500	      /* bytes: what we read */
#define RTCP_RX_PER_WAKE  8	      /* packets read per readiness event */
#define RTCP_NTP_UNIX_OFF 2208988800u /* s from 1900 to 1970 (RFC 5905) */

/* Wall-clock time as NTP 32.32 (RFC 3550 §4). */
static uint64_t ntp_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	uint64_t frac = ((uint64_t)t.tv_nsec << 32) / 1000000000u;
	return ((uint64_t)t.tv_sec + RTCP_NTP_UNIX_OFF) << 32 | frac;
}

/* A remote we can send to: a port, and not the RFC 3264 §8.4 hold address
 * 0.0.0.0. */
static bool sa_usable(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		return s4->sin_port && s4->sin_addr.s_addr != INADDR_ANY;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		return s6->sin6_port &&
		       !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
	}
	return false;
}

static uint32_t next_rnd(struct media_rtcp *r)
{
	uint32_t x = r->rnd;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	r->rnd = x;
	return x;
}

/* §6.5.1: "user@host", host our address on the RTCP socket. */
static void cname_init(struct media_rtcp *r)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	char host[INET6_ADDRSTRLEN] = "localhost";
	if (r->fd >= 0 &&
	    getsockname(r->fd, (struct sockaddr *)&me, &ml) == 0) {
		const void *a =
		    me.ss_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)&me)->sin6_addr
			: (const void *)&((struct sockaddr_in *)&me)->sin_addr;
		if (!inet_ntop(me.ss_family, a, host, sizeof(host)))
			snprintf(host, sizeof(host), "localhost");
	}
	snprintf(r->cname, sizeof(r->cname), "gwd@%s", host);
}

void media_rtcp_init(struct media_rtcp *r, int fd,
		     const struct sockaddr_storage *remote,
		     const struct rtp_sender *tx, struct rtp_source *src,
		     struct media_stats *st, unsigned call_id)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->remote = *remote;
	r->tx = tx;
	r->src = src;
	r->st = st;
	r->call_id = call_id;
	if (getrandom(&r->rnd, sizeof(r->rnd), GRND_NONBLOCK) != sizeof(r->rnd))
		r->rnd = tx->ssrc ^ (uint32_t)ntp_now();
	if (!r->rnd)
		r->rnd = 0x9e3779b9u; /* xorshift never leaves 0 */
	cname_init(r);
}

void media_rtcp_update(struct media_rtcp *r,
		       const struct sockaddr_storage *remote)
{
	r->remote = *remote;
	r->latched = false;
}

/* Builds our compound report into buf: SR or RR, a block about the peer
 * once it is valid, SDES CNAME, and a BYE if bye. */
static int build_report(struct media_rtcp *r, uint8_t *buf, size_t cap,
			uint32_t rtp_ts, bool bye)
{
	struct rtcp_report rep = {.ssrc = r->tx->ssrc, .bye = bye};
	uint64_t ntp = ntp_now();
	/* §6.4: an SR if we sent RTP since the report before last */
	if (r->tx->packets != r->pkts_ago[1]) {
		rep.is_sr = true;
		rep.sr = (struct rtcp_sr){.ntp = ntp,
					  .rtp_ts = rtp_ts,
					  .packets = r->tx->packets,
					  .octets = r->tx->octets};
	}
	r->pkts_ago[1] = r->pkts_ago[0];
	r->pkts_ago[0] = r->tx->packets;
	if (r->src->have_ssrc && !r->src->probation && r->src->received) {
		rtp_source_report(r->src, &rep.rb[0], ntp);
		rep.rb_count = 1;
	}
	snprintf(rep.cname, sizeof(rep.cname), "%s", r->cname);
	return rtcp_build(buf, cap, &rep);
}

static void send_report(struct media_rtcp *r, uint32_t rtp_ts, bool bye)
{
	uint8_t buf[256];
	if (!sa_usable(&r->remote))
		return;
	int n = build_report(r, buf, sizeof(buf), rtp_ts, bye);
	if (n <= 0)
		return;
	if (sendto(r->fd, buf, (size_t)n, 0,
		   (const struct sockaddr *)&r->remote,
		   media_sa_len(&r->remote)) == n)
		media_stat_inc(&r->st->rtcp_tx_packets);
}

void media_rtcp_tick(struct media_rtcp *r, uint64_t now, uint32_t rtp_ts)
{
	if (r->fd < 0)
		return;
	if (!r->next_ns) {
		/* §6.2: the first report after half the minimum interval */
		r->next_ns =
		    now +
		    (uint64_t)rtcp_interval_ms(true, next_rnd(r)) * 1000000u;
		return;
	}
	if (now < r->next_ns)
		return;
	send_report(r, rtp_ts, false);
	r->next_ns =
	    now + (uint64_t)rtcp_interval_ms(false, next_rnd(r)) * 1000000u;
}

/* A report block about our stream (§6.4.1): the peer's view of it. */
static void peer_block(struct media_rtcp *r, const struct rtcp_rb *rb,
		       uint64_t now_ntp)
{
	struct media_stats *st = r->st;
	media_stat_set(&st->peer_loss_permille,
		       ((uint64_t)rb->fraction_lost * 1000u + 128) / 256);
	media_stat_set(&st->peer_cum_lost,
		       rb->cum_lost > 0 ? (uint64_t)rb->cum_lost : 0);
	media_stat_set(&st->peer_jitter_us,
		       (uint64_t)rb->jitter * 125); /* 8 kHz */
	media_stat_inc(&st->peer_reports);
	int64_t rtt = rtcp_rtt_us(rtcp_ntp_mid32(now_ntp), rb->lsr, rb->dlsr);
	if (rtt >= 0) {
		media_stat_set(&st->rtt_us, (uint64_t)rtt);
		media_stat_inc(&st->rtt_samples);
	}
}

static void rx_report(struct media_rtcp *r, const uint8_t *buf, size_t n,
		      const struct sockaddr_storage *from)
{
	struct rtcp_report rep;
	if (rtcp_parse(&rep, buf, n)) {
		media_stat_inc(&r->st->rtcp_rx_bad);
		return;
	}
	media_stat_inc(&r->st->rtcp_rx_packets);
	uint64_t now_ntp = ntp_now();
	/* symmetric RTCP, like the RTP latch: to the source of reports from
	 * the peer's RTP SSRC (any, before its RTP) */
	bool peer = !r->src->have_ssrc || rep.ssrc == r->src->ssrc;
	if (peer && !media_sa_equal(from, &r->remote)) {
		r->remote = *from;
		if (!r->latched)
			log_info("media: call %u: RTCP source differs from "
				 "SDP: sending there",
				 r->call_id);
		r->latched = true;
	}
	if (rep.is_sr && r->src->have_ssrc && rep.ssrc == r->src->ssrc)
		rtp_source_sr_received(r->src, rep.sr.ntp, now_ntp);
	for (unsigned i = 0; i < rep.rb_count; i++)
		if (rep.rb[i].ssrc == r->tx->ssrc)
			peer_block(r, &rep.rb[i], now_ntp);
	if (rep.bye)
		log_debug("media: call %u: RTCP BYE from the peer", r->call_id);
}

static void rtcp_readable(struct loop_io *io, uint32_t events)
{
	struct media_rtcp *r = io->arg;
	uint8_t buf[RTCP_PKT_MAX];
	(void)events;
	for (int i = 0; i < RTCP_RX_PER_WAKE; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(r->fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
		if (n < 0)
			break; /* EAGAIN, or an ICMP error: next time */
		rx_report(r, buf, (size_t)n, &from);
	}
}

int media_rtcp_attach(struct media_rtcp *r, struct loop *l)
{
	if (r->fd < 0)
		return 0;
	int rc = loop_io_add(l, &r->io, r->fd, EPOLLIN, rtcp_readable, r);
	r->attached = rc == 0;
	return rc;
}

void media_rtcp_detach(struct media_rtcp *r, struct loop *l)
{
	if (r->fd < 0)
		return;
	/* §6.6: a BYE in a compound packet when we leave, if we ever spoke */
	if (r->next_ns)
		send_report(r, r->tx->ts, true);
	if (r->attached)
		loop_io_del(l, &r->io);
	r->attached = false;
}
