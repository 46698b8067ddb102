/*
 * SDP offer/answer (RFC 3264) for a G.711 gateway: answering an offer,
 * building our offer, checking the answer to it, and telling a refresh
 * from a media change in a re-offer. Pure functions over struct
 * sdp_session; the caller keeps the state (struct sdp_local).
 */
#include "sdp/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define TE_CLOCK_HZ	 8000
#define G711_CLOCK_HZ	 8000
#define TE_EVENTS_MAX	 256 /* RFC 4733 event codes are 0..255 */
#define TE_EVENTS_OURS	 16  /* we relay DTMF 0-9 * # A-D: events 0-15 */
#define PTIME_DEFAULT_MS 20  /* RFC 3551 §4.5: G.711 default packet time */

/* Direction as two bits, seen from the side that wrote it. */
#define DIR_SEND 1u
#define DIR_RECV 2u

/* RFC 3261 §20.43 warning codes. */
#define WARN_NET_PROTO	  300
#define WARN_ADDR_FORMAT  301
#define WARN_TRANSPORT	  302
#define WARN_MEDIA_TYPE	  304
#define WARN_MEDIA_FORMAT 305
#define WARN_MULTICAST	  330

/* What an audio m= line of an offer gives us. */
struct pick {
	enum sdp_codec codec;
	uint8_t pt;
	int te_pt;
	uint8_t te_events[TE_EVENTS_MAX / 8]; /* offered & ours */
	int af;
	bool null_addr;
};

/* RFC 3551 §6: PT 0 is PCMU, PT 8 PCMA. */
uint8_t sdp_codec_pt(enum sdp_codec c)
{
	switch (c) {
	case SDP_CODEC_PCMU:
		return 0;
	case SDP_CODEC_PCMA:
		return 8;
	}
	return 0;
}

/* Encoding name as rtpmap writes it (RFC 3551 §4.5.14). */
const char *sdp_codec_name(enum sdp_codec c)
{
	switch (c) {
	case SDP_CODEC_PCMU:
		return "PCMU";
	case SDP_CODEC_PCMA:
		return "PCMA";
	}
	return "";
}

static unsigned dir_bits(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_NONE:
	case SDP_DIR_SENDRECV:
		return DIR_SEND | DIR_RECV;
	case SDP_DIR_SENDONLY:
		return DIR_SEND;
	case SDP_DIR_RECVONLY:
		return DIR_RECV;
	case SDP_DIR_INACTIVE:
		return 0;
	}
	return 0;
}

static enum sdp_dir bits_dir(unsigned b)
{
	static const enum sdp_dir d[4] = {SDP_DIR_INACTIVE, SDP_DIR_SENDONLY,
					  SDP_DIR_RECVONLY, SDP_DIR_SENDRECV};
	return d[b & 3];
}

/* The other side's view: its send is our receive (RFC 3264 §6.1). */
static unsigned bits_mirror(unsigned b)
{
	return ((b & DIR_SEND) ? DIR_RECV : 0) |
	       ((b & DIR_RECV) ? DIR_SEND : 0);
}

/* A G.711 format: by rtpmap, or a static PT without one (RFC 3551 §6).
 * A dynamic PT without rtpmap means nothing. */
static bool fmt_codec(const struct sdp_fmt *f, enum sdp_codec *c)
{
	if (!f->has_rtpmap) {
		if (f->pt != 0 && f->pt != 8)
			return false;
		*c = f->pt == 0 ? SDP_CODEC_PCMU : SDP_CODEC_PCMA;
		return true;
	}
	if (f->clock_hz != G711_CLOCK_HZ || f->channels > 1)
		return false;
	if (!strcasecmp(f->enc, "PCMU"))
		*c = SDP_CODEC_PCMU;
	else if (!strcasecmp(f->enc, "PCMA"))
		*c = SDP_CODEC_PCMA;
	else
		return false;
	return true;
}

/* RFC 4733 §7.1.1: telephone-event at the codec's 8000 Hz clock. */
static bool fmt_is_te(const struct sdp_fmt *f)
{
	return f->has_rtpmap && f->clock_hz == TE_CLOCK_HZ &&
	       !strcasecmp(f->enc, "telephone-event");
}

static void bit_set(uint8_t *map, unsigned i)
{
	map[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool bit_get(const uint8_t *map, unsigned i)
{
	return map[i / 8] & (1u << (i % 8));
}

static bool parse_event(const char **p, unsigned *v)
{
	unsigned x = 0, n = 0;
	while (**p >= '0' && **p <= '9' && n < 4) {
		x = x * 10 + (unsigned)(**p - '0');
		++*p;
		n++;
	}
	*v = x;
	return n > 0 && x < TE_EVENTS_MAX;
}

/* RFC 4733 §7.1.1 fmtp "0-15,66,70": a list of events and ranges; empty
 * means the default 0-15 (§2.4.1). False if malformed. */
static bool te_events(const char *fmtp, uint8_t *map)
{
	const char *p = fmtp;
	memset(map, 0, TE_EVENTS_MAX / 8);
	if (!*p) {
		for (unsigned i = 0; i < 16; i++)
			bit_set(map, i);
		return true;
	}
	for (;;) {
		unsigned a, b;
		if (!parse_event(&p, &a))
			return false;
		b = a;
		if (*p == '-') {
			p++;
			if (!parse_event(&p, &b) || b < a)
				return false;
		}
		for (unsigned i = a; i <= b; i++)
			bit_set(map, i);
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

/* Writes an event map as "0-15,32" (RFC 4733 §7.1.1). */
static void te_events_print(const uint8_t *map, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < TE_EVENTS_MAX; i++) {
		if (!bit_get(map, i))
			continue;
		unsigned j = i;
		while (j + 1 < TE_EVENTS_MAX && bit_get(map, j + 1))
			j++;
		int n = j > i ? snprintf(buf + len, cap - len, "%s%u-%u",
					 len ? "," : "", i, j)
			      : snprintf(buf + len, cap - len, "%s%u",
					 len ? "," : "", i);
		if (n < 0 || (size_t)n >= cap - len) {
			buf[len] = '\0';
			return;
		}
		len += (size_t)n;
		i = j;
	}
}

static bool is_null_addr(int af, const char *addr)
{
	unsigned char a[sizeof(struct in6_addr)];
	static const unsigned char zero[sizeof(struct in6_addr)];
	if (inet_pton(af, addr, a) != 1)
		return false;
	return !memcmp(a, zero,
		       af == AF_INET ? sizeof(struct in_addr)
				     : sizeof(struct in6_addr));
}

static bool is_multicast(int af, const char *addr)
{
	unsigned char a[sizeof(struct in6_addr)];
	if (inet_pton(af, addr, a) != 1)
		return false;
	return af == AF_INET ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
}

static const char *af_addrtype(int af)
{
	return af == AF_INET6 ? "IP6" : "IP4";
}

/* RFC 4566 §5.7: "IN" with "IP4"/"IP6" and a literal of that family. */
static int conn_check(const struct sdp_conn *c, int af, const char **why)
{
	unsigned char a[sizeof(struct in6_addr)];
	if (strcasecmp(c->nettype, "IN")) {
		*why = "Incompatible network protocol";
		return WARN_NET_PROTO;
	}
	if (strcasecmp(c->addrtype, af_addrtype(af)) ||
	    inet_pton(af, c->addr, a) != 1) {
		*why = "Incompatible network address formats";
		return WARN_ADDR_FORMAT;
	}
	if (is_multicast(af, c->addr)) {
		*why = "Multicast not available";
		return WARN_MULTICAST;
	}
	return 0;
}

/* Offered telephone-event at 8000 Hz with events in common, if any. */
static void pick_te(const struct sdp_media *m, struct pick *pk)
{
	pk->te_pt = -1;
	for (unsigned i = 0; i < m->nfmt; i++) {
		uint8_t map[TE_EVENTS_MAX / 8];
		if (!fmt_is_te(&m->fmt[i]))
			continue;
		if (!te_events(m->fmt[i].fmtp, map))
			continue;
		memset(pk->te_events, 0, sizeof(pk->te_events));
		bool any = false;
		for (unsigned e = 0; e < TE_EVENTS_OURS; e++) {
			if (bit_get(map, e)) {
				bit_set(pk->te_events, e);
				any = true;
			}
		}
		if (any) {
			pk->te_pt = m->fmt[i].pt;
			return;
		}
	}
}

static bool local_has(const struct sdp_local *l, enum sdp_codec c)
{
	for (unsigned i = 0; i < l->ncodecs; i++) {
		if (l->codecs[i] == c)
			return true;
	}
	return false;
}

/* Can we use offered audio line i? 0, or a warning code with *why. */
static int audio_usable(const struct sdp_session *o, unsigned i,
			const struct sdp_local *l, struct pick *pk,
			const char **why)
{
	const struct sdp_media *m = &o->media[i];
	const struct sdp_conn *c = sdp_media_conn(o, i);
	int w;
	/* We do plain RTP only: no SRTP, no AVPF feedback (RFC 4585 §4.1
	 * says to reject what we do not understand). */
	if (strcasecmp(m->proto, "RTP/AVP")) {
		*why = "Incompatible transport protocol";
		return WARN_TRANSPORT;
	}
	if ((w = conn_check(c, l->af, why)) != 0)
		return w;
	pk->af = l->af;
	pk->null_addr = is_null_addr(l->af, c->addr);
	/* RFC 3264 §6.1: the offerer's order of preference wins. */
	for (unsigned f = 0; f < m->nfmt; f++) {
		enum sdp_codec codec;
		if (fmt_codec(&m->fmt[f], &codec) && local_has(l, codec)) {
			pk->codec = codec;
			pk->pt = m->fmt[f].pt;
			pick_te(m, pk);
			if (l->te_pt < 0)
				pk->te_pt = -1;
			return 0;
		}
	}
	*why = "Incompatible media format";
	return WARN_MEDIA_FORMAT;
}

static int local_check(const struct sdp_local *l)
{
	unsigned char a[sizeof(struct in6_addr)];
	if ((l->af != AF_INET && l->af != AF_INET6) ||
	    inet_pton(l->af, l->addr, a) != 1 || l->rtp_port == 0)
		return -EINVAL;
	if (l->ncodecs < 1 || l->ncodecs > SDP_CODEC_COUNT)
		return -EINVAL;
	for (unsigned i = 0; i < l->ncodecs; i++) {
		if (l->codecs[i] != SDP_CODEC_PCMU &&
		    l->codecs[i] != SDP_CODEC_PCMA)
			return -EINVAL;
	}
	if (l->te_pt != -1 && (l->te_pt < 96 || l->te_pt > 127))
		return -EINVAL;
	if (l->ptime_ms < SDP_PTIME_MIN_MS || l->ptime_ms > SDP_PTIME_MAX_MS)
		return -EINVAL;
	return 0;
}

/* Packet time to send with: what the peer asked for in a=ptime, within
 * a=maxptime (RFC 4566 §6), rounded to the 10 ms steps we packetise in. */
static uint32_t pick_ptime(const struct sdp_media *m, uint32_t ours_ms)
{
	uint32_t p = m->ptime_ms ? m->ptime_ms : ours_ms;
	if (m->maxptime_ms && p > m->maxptime_ms)
		p = m->maxptime_ms;
	p = p / 10 * 10;
	if (p < SDP_PTIME_MIN_MS)
		p = SDP_PTIME_MIN_MS;
	if (p > SDP_PTIME_MAX_MS)
		p = SDP_PTIME_MAX_MS;
	return p;
}

/* o=, s=, c= and t= of an SDP of ours. */
static void local_session(const struct sdp_local *l, struct sdp_session *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->origin.username, sizeof(s->origin.username), "%s",
		 l->username[0] ? l->username : "-");
	s->origin.sess_id = l->sess_id;
	s->origin.sess_version = l->sess_version;
	snprintf(s->origin.conn.nettype, sizeof(s->origin.conn.nettype), "IN");
	snprintf(s->origin.conn.addrtype, sizeof(s->origin.conn.addrtype), "%s",
		 af_addrtype(l->af));
	snprintf(s->origin.conn.addr, sizeof(s->origin.conn.addr), "%s",
		 l->addr);
	s->conn = s->origin.conn;
	snprintf(s->name, sizeof(s->name), "-");
}

/* RFC 3264 §8: a new version only when something else changed. */
static void set_version(const struct sdp_local *l, struct sdp_session *s)
{
	if (!l->last)
		return;
	s->origin.sess_id = l->last->origin.sess_id;
	s->origin.sess_version = l->last->origin.sess_version;
	if (!sdp_session_eq(l->last, s))
		s->origin.sess_version++;
}

static struct sdp_fmt *add_fmt(struct sdp_media *m, uint8_t pt, const char *enc)
{
	struct sdp_fmt *f = &m->fmt[m->nfmt++];
	f->pt = pt;
	f->has_rtpmap = true;
	snprintf(f->enc, sizeof(f->enc), "%s", enc);
	f->clock_hz = G711_CLOCK_HZ;
	return f;
}

/* A rejected stream: port 0 and the offered formats (RFC 3264 §6). */
static void reject_media(struct sdp_media *a, const struct sdp_media *o)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->media, o->media, sizeof(a->media));
	memcpy(a->proto, o->proto, sizeof(a->proto));
	a->nports = 1;
	a->rtp = o->rtp;
	a->nfmt = o->nfmt;
	for (unsigned i = 0; i < o->nfmt && i < SDP_FMT_MAX; i++)
		a->fmt[i].pt = o->fmt[i].pt;
	memcpy(a->fmt_text, o->fmt_text, sizeof(a->fmt_text));
}

static void answer_audio(struct sdp_media *a, const struct sdp_local *l,
			 const struct pick *pk, uint32_t ptime_ms,
			 enum sdp_dir dir)
{
	snprintf(a->media, sizeof(a->media), "audio");
	snprintf(a->proto, sizeof(a->proto), "RTP/AVP");
	a->rtp = true;
	a->port = l->rtp_port;
	a->nports = 1;
	add_fmt(a, pk->pt, sdp_codec_name(pk->codec));
	if (pk->te_pt >= 0) {
		struct sdp_fmt *f =
		    add_fmt(a, (uint8_t)pk->te_pt, "telephone-event");
		te_events_print(pk->te_events, f->fmtp, sizeof(f->fmtp));
	}
	a->ptime_ms = ptime_ms;
	a->dir = dir;
}

static void fill_result(struct sdp_media_result *res,
			const struct sdp_session *s, unsigned i,
			const struct pick *pk)
{
	const struct sdp_media *m = &s->media[i];
	res->af = pk->af;
	snprintf(res->addr, sizeof(res->addr), "%s",
		 sdp_media_conn(s, i)->addr);
	res->port = m->port;
	res->rtcp_port = m->rtcp_port ? m->rtcp_port : (uint16_t)(m->port + 1);
	const struct sdp_conn *rc = &m->rtcp_conn;
	bool rtcp_own =
	    m->rtcp_port && rc->addr[0] &&
	    !strcmp(rc->addrtype, pk->af == AF_INET6 ? "IP6" : "IP4");
	snprintf(res->rtcp_addr, sizeof(res->rtcp_addr), "%s",
		 rtcp_own ? rc->addr : res->addr);
	res->codec = pk->codec;
	res->pt = pk->pt;
	res->te_pt = pk->te_pt;
	res->mline = i;
	enum sdp_dir d = sdp_media_dir(s, i);
	/* RFC 3264 §8.4: sendonly or inactive holds; so does the RFC 2543
	 * c=0.0.0.0, and we must not send there. */
	res->on_hold =
	    pk->null_addr || d == SDP_DIR_SENDONLY || d == SDP_DIR_INACTIVE;
}

/* Finds the first usable audio line of the offer; -ENOTSUP if none. */
static int answer_pick(const struct sdp_session *offer,
		       const struct sdp_local *l, struct pick *pk,
		       unsigned *mline, struct sdp_media_result *res)
{
	res->warn_code = WARN_MEDIA_TYPE;
	res->warn_text = "Media type not available";
	bool seen = false;
	for (unsigned i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *m = &offer->media[i];
		const char *why = NULL;
		if (strcasecmp(m->media, "audio") || m->port == 0)
			continue;
		int w = audio_usable(offer, i, l, pk, &why);
		if (w == 0) {
			*mline = i;
			res->warn_code = 0;
			res->warn_text = NULL;
			return 0;
		}
		if (!seen) {
			res->warn_code = w;
			res->warn_text = why;
			seen = true;
		}
	}
	return -ENOTSUP;
}

/* RFC 3264 §6. */
int sdp_answer(const struct sdp_session *offer, const struct sdp_local *local,
	       struct sdp_session *answer, struct sdp_media_result *res)
{
	struct pick pk = {.te_pt = -1};
	unsigned mline = 0;
	memset(res, 0, sizeof(*res));
	res->te_pt = -1;
	if (local_check(local))
		return -EINVAL;
	int rc = answer_pick(offer, local, &pk, &mline, res);
	if (rc)
		return rc;
	local_session(local, answer);
	/* §6: t= of the answer equals that of the offer. */
	answer->t_start = offer->t_start;
	answer->t_stop = offer->t_stop;
	answer->nmedia = offer->nmedia;
	const struct sdp_media *om = &offer->media[mline];
	fill_result(res, offer, mline, &pk);
	res->ptime_ms = pick_ptime(om, local->ptime_ms);
	unsigned want = dir_bits(local->dir);
	unsigned ours = bits_mirror(dir_bits(sdp_media_dir(offer, mline)));
	enum sdp_dir adir = bits_dir(ours & want);
	res->dir = bits_dir((ours & want) & (pk.null_addr ? DIR_RECV : 3u));
	for (unsigned i = 0; i < offer->nmedia; i++) {
		if (i == mline)
			answer_audio(&answer->media[i], local, &pk,
				     res->ptime_ms, adir);
		else
			reject_media(&answer->media[i], &offer->media[i]);
	}
	set_version(local, answer);
	return 0;
}

/* The audio line of our own SDP: the first audio line with a port. */
static int our_audio(const struct sdp_session *s)
{
	for (unsigned i = 0; i < s->nmedia; i++) {
		if (!strcasecmp(s->media[i].media, "audio") &&
		    s->media[i].port && s->media[i].rtp)
			return (int)i;
	}
	return -1;
}

static void offer_audio(struct sdp_media *m, const struct sdp_local *l)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->media, sizeof(m->media), "audio");
	snprintf(m->proto, sizeof(m->proto), "RTP/AVP");
	m->rtp = true;
	m->port = l->rtp_port;
	m->nports = 1;
	for (unsigned i = 0; i < l->ncodecs; i++)
		add_fmt(m, sdp_codec_pt(l->codecs[i]),
			sdp_codec_name(l->codecs[i]));
	if (l->te_pt >= 0) {
		struct sdp_fmt *f =
		    add_fmt(m, (uint8_t)l->te_pt, "telephone-event");
		snprintf(f->fmtp, sizeof(f->fmtp), "0-%u", TE_EVENTS_OURS - 1);
	}
	m->ptime_ms = l->ptime_ms;
	m->dir = l->dir != SDP_DIR_NONE ? l->dir : SDP_DIR_SENDRECV;
}

/* Picks the m= line of last that carries our audio in a re-offer. */
static int reoffer_slot(const struct sdp_session *last)
{
	int a = our_audio(last);
	if (a >= 0)
		return a;
	for (unsigned i = 0; i < last->nmedia; i++) {
		if (!strcasecmp(last->media[i].media, "audio"))
			return (int)i;
	}
	return last->nmedia < SDP_MEDIA_MAX ? (int)last->nmedia : -1;
}

/* RFC 3264 §5, and §8 for re-offers. */
int sdp_offer(const struct sdp_local *local, struct sdp_session *offer)
{
	if (local_check(local))
		return -EINVAL;
	local_session(local, offer);
	int slot = 0;
	if (local->last) {
		const struct sdp_session *last = local->last;
		slot = reoffer_slot(last);
		if (slot < 0)
			return -ENOSPC;
		offer->t_start = last->t_start;
		offer->t_stop = last->t_stop;
		for (unsigned i = 0; i < last->nmedia; i++)
			reject_media(&offer->media[i], &last->media[i]);
		offer->nmedia = last->nmedia;
	}
	if ((unsigned)slot >= offer->nmedia)
		offer->nmedia = (unsigned)slot + 1;
	offer_audio(&offer->media[slot], local);
	set_version(local, offer);
	return 0;
}

/* The format of our offer an answer picked: same PT (RFC 3264 §6.1), and
 * if the answer has an rtpmap it must say the same codec. */
static bool answer_codec(const struct sdp_media *om, const struct sdp_media *am,
			 struct pick *pk)
{
	for (unsigned i = 0; i < am->nfmt; i++) {
		const struct sdp_fmt *af = &am->fmt[i];
		enum sdp_codec c, c2;
		for (unsigned j = 0; j < om->nfmt; j++) {
			const struct sdp_fmt *of = &om->fmt[j];
			if (of->pt != af->pt || !fmt_codec(of, &c))
				continue;
			if (af->has_rtpmap && (!fmt_codec(af, &c2) || c2 != c))
				continue;
			pk->codec = c;
			pk->pt = af->pt;
			return true;
		}
	}
	return false;
}

static void answer_te(const struct sdp_media *om, const struct sdp_media *am,
		      struct pick *pk)
{
	pk->te_pt = -1;
	for (unsigned i = 0; i < am->nfmt; i++) {
		for (unsigned j = 0; j < om->nfmt; j++) {
			if (om->fmt[j].pt != am->fmt[i].pt ||
			    !fmt_is_te(&om->fmt[j]))
				continue;
			if (am->fmt[i].has_rtpmap && !fmt_is_te(&am->fmt[i]))
				continue;
			pk->te_pt = am->fmt[i].pt;
			return;
		}
	}
}

/* RFC 3264 §6 seen from the offerer, and §7. */
int sdp_process_answer(const struct sdp_session *offer,
		       const struct sdp_session *answer,
		       struct sdp_media_result *res)
{
	struct pick pk = {.te_pt = -1};
	const char *why;
	memset(res, 0, sizeof(*res));
	res->te_pt = -1;
	int mline = our_audio(offer);
	if (mline < 0)
		return -EINVAL;
	/* §6: one answer m= line per offered one, same media type. */
	if (answer->nmedia != offer->nmedia)
		return -EPROTO;
	for (unsigned i = 0; i < offer->nmedia; i++) {
		if (strcasecmp(answer->media[i].media, offer->media[i].media))
			return -EPROTO;
	}
	const struct sdp_media *om = &offer->media[mline];
	const struct sdp_media *am = &answer->media[mline];
	if (am->port == 0)
		return -ENOTSUP;
	if (strcasecmp(am->proto, om->proto))
		return -EPROTO;
	int af =
	    strcasecmp(sdp_media_conn(offer, (unsigned)mline)->addrtype, "IP6")
		? AF_INET
		: AF_INET6;
	if (conn_check(sdp_media_conn(answer, (unsigned)mline), af, &why))
		return -EPROTO;
	if (!answer_codec(om, am, &pk))
		return -EPROTO;
	answer_te(om, am, &pk);
	pk.af = af;
	pk.null_addr =
	    is_null_addr(af, sdp_media_conn(answer, (unsigned)mline)->addr);
	fill_result(res, answer, (unsigned)mline, &pk);
	res->ptime_ms =
	    pick_ptime(am, om->ptime_ms ? om->ptime_ms : PTIME_DEFAULT_MS);
	unsigned ours =
	    bits_mirror(dir_bits(sdp_media_dir(answer, (unsigned)mline))) &
	    dir_bits(sdp_media_dir(offer, (unsigned)mline));
	res->dir = bits_dir(ours & (pk.null_addr ? DIR_RECV : 3u));
	return 0;
}

/* Do two m= lines describe the same stream (RFC 3264 §8)? */
static bool stream_same(const struct sdp_session *a,
			const struct sdp_session *b, unsigned i)
{
	const struct sdp_media *ma = &a->media[i], *mb = &b->media[i];
	const struct sdp_conn *ca = sdp_media_conn(a, i);
	const struct sdp_conn *cb = sdp_media_conn(b, i);
	if (strcmp(ma->media, mb->media) || ma->port != mb->port ||
	    strcmp(ma->proto, mb->proto) || strcmp(ca->addr, cb->addr) ||
	    strcmp(ca->addrtype, cb->addrtype) ||
	    sdp_media_dir(a, i) != sdp_media_dir(b, i) ||
	    ma->ptime_ms != mb->ptime_ms ||
	    ma->maxptime_ms != mb->maxptime_ms ||
	    ma->rtcp_port != mb->rtcp_port || ma->nfmt != mb->nfmt ||
	    strcmp(ma->fmt_text, mb->fmt_text))
		return false;
	for (unsigned f = 0; f < ma->nfmt && f < SDP_FMT_MAX; f++) {
		const struct sdp_fmt *fa = &ma->fmt[f], *fb = &mb->fmt[f];
		if (fa->pt != fb->pt || fa->has_rtpmap != fb->has_rtpmap ||
		    strcasecmp(fa->enc, fb->enc) ||
		    fa->clock_hz != fb->clock_hz ||
		    fa->channels != fb->channels || strcmp(fa->fmtp, fb->fmtp))
			return false;
	}
	return true;
}

/* RFC 3264 §8. */
enum sdp_change sdp_reoffer_change(const struct sdp_session *prev,
				   const struct sdp_session *next)
{
	const struct sdp_origin *a = &prev->origin, *b = &next->origin;
	bool same_origin = !strcmp(a->username, b->username) &&
			   a->sess_id == b->sess_id &&
			   !strcmp(a->conn.addr, b->conn.addr);
	if (!same_origin)
		return SDP_CHANGE_MEDIA;
	if (a->sess_version == b->sess_version)
		return sdp_session_eq(prev, next) ? SDP_CHANGE_NONE
						  : SDP_CHANGE_MEDIA;
	if (prev->nmedia != next->nmedia)
		return SDP_CHANGE_MEDIA;
	for (unsigned i = 0; i < prev->nmedia && i < SDP_MEDIA_MAX; i++) {
		if (!stream_same(prev, next, i))
			return SDP_CHANGE_MEDIA;
	}
	return SDP_CHANGE_VERSION;
}
