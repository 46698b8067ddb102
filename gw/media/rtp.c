/*
 * RTP/RTCP packet handling and receiver statistics (RFC 3550): see rtp.h.
 * Everything works on caller buffers; parsers treat input as hostile and
 * never read past len.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "media/rtp.h"

#define RTCP_SR	   200
#define RTCP_RR	   201
#define RTCP_SDES  202
#define RTCP_BYE   203
#define SDES_END   0
#define SDES_CNAME 1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int rtp_parse(struct rtp_hdr *h, const uint8_t **payload, size_t *payload_len,
	      const uint8_t *buf, size_t len)
{
	if (len < RTP_HDR_LEN || buf[0] >> 6 != RTP_VERSION)
		return -EBADMSG;
	memset(h, 0, sizeof(*h));
	bool pad = buf[0] & 0x20;
	h->ext = buf[0] & 0x10;
	h->cc = buf[0] & 0x0f;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = get16(buf + 2);
	h->ts = get32(buf + 4);
	h->ssrc = get32(buf + 8);
	size_t off = RTP_HDR_LEN;
	if (len - off < 4u * h->cc)
		return -EBADMSG;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = get32(buf + off);
	if (h->ext) {
		/* §5.3.1: 16-bit profile field, 16-bit length in words */
		if (len - off < 4)
			return -EBADMSG;
		h->ext_profile = get16(buf + off);
		h->ext_len = 4u * get16(buf + off + 2);
		off += 4;
		if (len - off < h->ext_len)
			return -EBADMSG;
		h->ext_data = buf + off;
		off += h->ext_len;
	}
	size_t end = len;
	if (pad) {
		/* §5.1: the last octet counts the padding, itself included */
		uint8_t n = buf[len - 1];
		if (n == 0 || n > len - off)
			return -EBADMSG;
		h->pad_len = n;
		end -= n;
	}
	*payload = buf + off;
	*payload_len = end - off;
	return 0;
}

int rtp_build(uint8_t *buf, size_t cap, const struct rtp_hdr *h,
	      const uint8_t *payload, size_t payload_len)
{
	size_t ext_len = h->ext ? h->ext_len : 0;
	if (h->pt > 127 || h->cc > RTP_MAX_CSRC || ext_len % 4 != 0 ||
	    ext_len > 4u * 0xffff || (ext_len && !h->ext_data))
		return -EINVAL;
	size_t need = RTP_HDR_LEN + 4u * h->cc + (h->ext ? 4 + ext_len : 0) +
		      payload_len + h->pad_len;
	if (need > cap || need > 0x7fffffff)
		return -ENOSPC;
	buf[0] = (uint8_t)(RTP_VERSION << 6 | (h->pad_len ? 0x20 : 0) |
			   (h->ext ? 0x10 : 0) | h->cc);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	put16(buf + 2, h->seq);
	put32(buf + 4, h->ts);
	put32(buf + 8, h->ssrc);
	size_t off = RTP_HDR_LEN;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		put32(buf + off, h->csrc[i]);
	if (h->ext) {
		put16(buf + off, h->ext_profile);
		put16(buf + off + 2, (uint16_t)(ext_len / 4));
		off += 4;
		if (ext_len)
			memcpy(buf + off, h->ext_data, ext_len);
		off += ext_len;
	}
	if (payload_len)
		memcpy(buf + off, payload, payload_len);
	off += payload_len;
	if (h->pad_len) {
		memset(buf + off, 0, h->pad_len - 1u);
		off += h->pad_len;
		buf[off - 1] = h->pad_len;
	}
	return (int)off;
}

void rtp_sender_init_at(struct rtp_sender *s, uint8_t pt, uint32_t ssrc,
			uint16_t seq, uint32_t ts)
{
	memset(s, 0, sizeof(*s));
	s->pt = pt & 0x7f;
	s->ssrc = ssrc;
	s->seq = seq;
	s->ts = ts;
	s->talkspurt = true;
}

int rtp_sender_init(struct rtp_sender *s, uint8_t pt)
{
	uint8_t r[10];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	rtp_sender_init_at(s, pt, get32(r), get16(r + 4), get32(r + 6));
	return 0;
}

int rtp_sender_next(struct rtp_sender *s, uint8_t *buf, size_t cap,
		    const uint8_t *payload, size_t payload_len,
		    uint32_t samples_per_packet)
{
	struct rtp_hdr h = {
	    .marker = s->talkspurt,
	    .pt = s->pt,
	    .seq = s->seq,
	    .ts = s->ts,
	    .ssrc = s->ssrc,
	};
	int n = rtp_build(buf, cap, &h, payload, payload_len);
	if (n < 0)
		return n;
	s->talkspurt = false;
	s->last_ts = s->ts;
	s->seq++;
	s->ts += samples_per_packet;
	s->packets++;
	s->octets += (uint32_t)payload_len;
	return n;
}

void rtp_sender_gap(struct rtp_sender *s, uint32_t samples)
{
	s->ts += samples;
	s->talkspurt = true;
}

void rtp_source_init(struct rtp_source *s)
{
	memset(s, 0, sizeof(*s));
}

/* RFC 3550 A.1 init_seq(): a new base for the statistics. */
static void src_init_seq(struct rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->have_transit = false;
	s->jitter_q4 = 0;
	s->octets = 0;
}

/* RFC 3550 A.1 update_seq(): 0 if the packet is not (yet) valid. */
static enum rtp_src_event src_update_seq(struct rtp_source *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				src_init_seq(s, seq);
				return RTP_SRC_OK;
			}
		} else {
			s->probation = RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return RTP_SRC_PROBATION;
	}
	if (udelta < RTP_MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD; /* wrapped */
		s->max_seq = seq;
		return RTP_SRC_OK;
	}
	if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		/* a very large jump: a restart if the next one follows */
		if (seq == s->bad_seq) {
			src_init_seq(s, seq);
			s->restarts++;
			return RTP_SRC_RESTART;
		}
		s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
		return RTP_SRC_BAD_SEQ;
	}
	return RTP_SRC_OK; /* duplicate or reordered: counted, A.1 */
}

enum rtp_src_event rtp_source_update(struct rtp_source *s,
				     const struct rtp_hdr *h,
				     uint32_t arrival_ts, size_t payload_len)
{
	enum rtp_src_event ev;
	if (!s->have_ssrc || h->ssrc != s->ssrc) {
		bool change = s->have_ssrc;
		uint32_t restarts = s->restarts + (change ? 1 : 0);
		rtp_source_init(s);
		s->restarts = restarts;
		s->ssrc = h->ssrc;
		s->have_ssrc = true;
		src_init_seq(s, h->seq);
		s->max_seq = (uint16_t)(h->seq - 1);
		s->probation = RTP_MIN_SEQUENTIAL;
		ev = src_update_seq(s, h->seq);
		if (change)
			return RTP_SRC_NEW_SSRC;
		return ev;
	}
	ev = src_update_seq(s, h->seq);
	if (ev == RTP_SRC_PROBATION || ev == RTP_SRC_BAD_SEQ)
		return ev;
	s->received++;
	s->octets += payload_len;
	/* A.8: J += (|D| - J) / 16, kept as J * 16 in integers */
	int64_t transit = (int64_t)(int32_t)(arrival_ts - h->ts);
	if (s->have_transit) {
		int64_t d = transit - s->transit;
		if (d < 0)
			d = -d;
		if (d > INT32_MAX)
			d = INT32_MAX;
		int64_t j = (int64_t)s->jitter_q4;
		j += d - ((j + 8) >> 4);
		s->jitter_q4 = (uint32_t)(j < 0 ? 0 : j);
	}
	if (!s->have_transit)
		s->lag.have = false;
	uint64_t w = media_lag_update(&s->lag, transit, 1, INT64_MAX);
	s->wait = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
	s->transit = transit;
	s->have_transit = true;
	return ev;
}

uint32_t rtp_source_ext_max(const struct rtp_source *s)
{
	return s->cycles + s->max_seq;
}

int32_t rtp_source_lost(const struct rtp_source *s)
{
	if (!s->have_ssrc || s->probation)
		return 0;
	int64_t expected =
	    (int64_t)rtp_source_ext_max(s) - (int64_t)s->base_seq + 1;
	int64_t lost = expected - (int64_t)s->received;
	/* §6.4.1: 24-bit signed, clamped */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint32_t rtp_source_jitter(const struct rtp_source *s)
{
	return s->jitter_q4 >> 4;
}

uint32_t rtp_source_wait(const struct rtp_source *s)
{
	return s->have_transit ? s->wait : 0;
}

uint32_t rtcp_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

void rtp_source_sr_received(struct rtp_source *s, uint64_t sr_ntp,
			    uint64_t now_ntp)
{
	s->lsr = rtcp_ntp_mid32(sr_ntp);
	s->lsr_arrival_ntp = now_ntp;
}

void rtp_source_report(struct rtp_source *s, struct rtcp_rb *rb,
		       uint64_t now_ntp)
{
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;
	rb->ext_max_seq = rtp_source_ext_max(s);
	rb->cum_lost = rtp_source_lost(s);
	rb->jitter = rtp_source_jitter(s);
	/* A.3: fraction lost over the interval since the last report */
	uint32_t expected = rb->ext_max_seq - s->base_seq + 1;
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rec_int = s->received - s->received_prior;
	s->expected_prior = expected;
	s->received_prior = s->received;
	int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;
	if (s->have_ssrc && !s->probation && exp_int != 0 && lost_int > 0 &&
	    (uint64_t)lost_int <= exp_int)
		rb->fraction_lost =
		    (uint8_t)(((uint64_t)lost_int << 8) / exp_int);
	if (s->lsr) {
		rb->lsr = s->lsr;
		/* §6.4.1: DLSR in 1/65536 s */
		rb->dlsr = (uint32_t)((now_ntp - s->lsr_arrival_ntp) >> 16);
	}
}

/* Writes an RTCP common header (§6.4.1): V=2, count, type, length. */
static void rtcp_hdr(uint8_t *p, unsigned count, uint8_t type, size_t len)
{
	p[0] = (uint8_t)(RTP_VERSION << 6 | (count & 0x1f));
	p[1] = type;
	put16(p + 2, (uint16_t)(len / 4 - 1));
}

static void put_rb(uint8_t *p, const struct rtcp_rb *rb)
{
	put32(p, rb->ssrc);
	put32(p + 4, (uint32_t)rb->cum_lost & 0xffffff);
	p[4] = rb->fraction_lost;
	put32(p + 8, rb->ext_max_seq);
	put32(p + 12, rb->jitter);
	put32(p + 16, rb->lsr);
	put32(p + 20, rb->dlsr);
}

int rtcp_build(uint8_t *buf, size_t cap, const struct rtcp_report *r)
{
	size_t cname_len = strnlen(r->cname, sizeof(r->cname));
	if (r->rb_count > RTCP_MAX_RB || cname_len == 0 ||
	    cname_len > RTCP_CNAME_MAX)
		return -EINVAL;
	size_t rr_len = 8 + (r->is_sr ? 20 : 0) + 24u * r->rb_count;
	/* SDES: header, SSRC, CNAME item, null terminator, pad to 4 */
	size_t sdes_len = (4 + 4 + 2 + cname_len + 1 + 3) & ~(size_t)3;
	size_t bye_len = r->bye ? 8 : 0;
	size_t total = rr_len + sdes_len + bye_len;
	if (total > cap)
		return -ENOSPC;
	uint8_t *p = buf;
	rtcp_hdr(p, r->rb_count, r->is_sr ? RTCP_SR : RTCP_RR, rr_len);
	put32(p + 4, r->ssrc);
	size_t off = 8;
	if (r->is_sr) {
		put32(p + 8, (uint32_t)(r->sr.ntp >> 32));
		put32(p + 12, (uint32_t)r->sr.ntp);
		put32(p + 16, r->sr.rtp_ts);
		put32(p + 20, r->sr.packets);
		put32(p + 24, r->sr.octets);
		off = 28;
	}
	for (unsigned i = 0; i < r->rb_count; i++, off += 24)
		put_rb(p + off, &r->rb[i]);
	p += rr_len;
	memset(p, 0, sdes_len);
	rtcp_hdr(p, 1, RTCP_SDES, sdes_len);
	put32(p + 4, r->ssrc);
	p[8] = SDES_CNAME;
	p[9] = (uint8_t)cname_len;
	memcpy(p + 10, r->cname, cname_len);
	p += sdes_len;
	if (r->bye) {
		rtcp_hdr(p, 1, RTCP_BYE, 8);
		put32(p + 4, r->ssrc);
	}
	return (int)total;
}

static void get_rb(struct rtcp_rb *rb, const uint8_t *p)
{
	rb->ssrc = get32(p);
	rb->fraction_lost = p[4];
	uint32_t c = get32(p + 4) & 0xffffff;
	rb->cum_lost = (int32_t)(c ^ 0x800000) - 0x800000; /* sign-extend */
	rb->ext_max_seq = get32(p + 8);
	rb->jitter = get32(p + 12);
	rb->lsr = get32(p + 16);
	rb->dlsr = get32(p + 20);
}

static int parse_sr_rr(struct rtcp_report *r, const uint8_t *p, size_t len)
{
	unsigned rc = p[0] & 0x1f;
	bool sr = p[1] == RTCP_SR;
	size_t need = 8 + (sr ? 20 : 0) + 24u * rc;
	if (len < need)
		return -EBADMSG;
	r->ssrc = get32(p + 4);
	r->is_sr = sr;
	size_t off = 8;
	if (sr) {
		r->sr.ntp = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
		r->sr.rtp_ts = get32(p + 16);
		r->sr.packets = get32(p + 20);
		r->sr.octets = get32(p + 24);
		off = 28;
	}
	r->rb_count = rc;
	for (unsigned i = 0; i < rc; i++, off += 24)
		get_rb(&r->rb[i], p + off);
	return 0;
}

/* §6.5: chunks of SSRC + items, each chunk ended by a null item and padded
 * to 32 bits. Takes the CNAME of r->ssrc. */
static int parse_sdes(struct rtcp_report *r, const uint8_t *p, size_t len)
{
	unsigned sc = p[0] & 0x1f;
	size_t off = 4;
	for (unsigned c = 0; c < sc; c++) {
		if (len - off < 4)
			return -EBADMSG;
		uint32_t ssrc = get32(p + off);
		off += 4;
		for (;;) {
			if (off >= len)
				return -EBADMSG;
			uint8_t type = p[off];
			if (type == SDES_END)
				break;
			if (len - off < 2 || len - off - 2 < p[off + 1])
				return -EBADMSG;
			uint8_t n = p[off + 1];
			if (type == SDES_CNAME && ssrc == r->ssrc) {
				memcpy(r->cname, p + off + 2, n);
				r->cname[n] = '\0';
			}
			off += 2u + n;
		}
		off = (off + 4) & ~(size_t)3; /* null item(s) + pad */
		if (off > len)
			return -EBADMSG;
	}
	return 0;
}

static int parse_bye(struct rtcp_report *r, const uint8_t *p, size_t len)
{
	unsigned sc = p[0] & 0x1f;
	if (len < 4 + 4u * sc)
		return -EBADMSG;
	for (unsigned i = 0; i < sc; i++)
		if (get32(p + 4 + 4 * i) == r->ssrc)
			r->bye = true;
	return 0;
}

int rtcp_parse(struct rtcp_report *r, const uint8_t *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	size_t off = 0;
	bool first = true;
	if (len < 8)
		return -EBADMSG;
	while (off < len) {
		const uint8_t *p = buf + off;
		if (len - off < 4 || p[0] >> 6 != RTP_VERSION)
			return -EBADMSG;
		size_t plen = 4u * (get16(p + 2) + 1u);
		if (plen > len - off)
			return -EBADMSG;
		bool last = off + plen == len;
		size_t body = plen;
		if (p[0] & 0x20) {
			/* A.2: padding only on the last packet */
			if (!last || p[plen - 1] == 0 || p[plen - 1] > plen - 4)
				return -EBADMSG;
			body -= p[plen - 1];
		}
		int rc = 0;
		if (first && p[1] != RTCP_SR && p[1] != RTCP_RR)
			return -EBADMSG;
		if (p[1] == RTCP_SR || p[1] == RTCP_RR) {
			if (first)
				rc = parse_sr_rr(r, p, body);
		} else if (p[1] == RTCP_SDES) {
			rc = parse_sdes(r, p, body);
		} else if (p[1] == RTCP_BYE) {
			rc = parse_bye(r, p, body);
		}
		if (rc)
			return rc;
		first = false;
		off += plen;
	}
	return 0;
}

uint32_t rtcp_interval_ms(bool initial, uint32_t rnd)
{
	uint64_t td = initial ? RTCP_MIN_INTERVAL_MS / 2 : RTCP_MIN_INTERVAL_MS;
	/* §6.3.1: td * [0.5, 1.5) */
	return (uint32_t)(td / 2 + ((td * rnd) >> 32));
}

int64_t rtcp_rtt_us(uint32_t arrival_mid32, uint32_t lsr, uint32_t dlsr)
{
	if (!lsr)
		return -1;
	/* 16.16 arithmetic modulo 2^32 (wraps every 18 h) */
	uint32_t rtt = arrival_mid32 - lsr - dlsr;
	if (rtt & 0x80000000u)
		return -1;
	return (int64_t)(((uint64_t)rtt * 1000000u) >> 16);
}
