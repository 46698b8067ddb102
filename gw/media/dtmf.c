/*
 * DTMF both ways (see dtmf.h): the RFC 4733 telephone-event payload, the
 * player that turns events into in-band tones on the B-channel, the
 * detector that turns in-band tones into RFC 4733 packets, and SIP INFO
 * bodies.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "media/dtmf.h"
#include "media/tones.h"

#define DTMF_SPMS    (DTMF_RATE_HZ / 1000) /* samples per ms */
#define DTMF_SEG_MAX 0xFFFFu		   /* RFC 4733 §2.5.1.3 */
/* samples: how far a continuation segment may start past the highest
 * duration seen in the previous one (updates lost before the wrap). */
#define DTMF_SEG_SLACK (3 * DTMF_UPDATE_MS * DTMF_SPMS)

/* RFC 4733 §3.2 events 0-15. */
static const char dtmf_chars[] = "0123456789*#ABCD";

/* ITU-T Q.23 frequencies, by event code. */
static const uint16_t dtmf_low_hz[4] = {697, 770, 852, 941};
static const uint16_t dtmf_high_hz[4] = {1209, 1336, 1477, 1633};
/* Keypad position of each event: row (low group) * 4 + column. */
static const uint8_t dtmf_key[16] = {
    13, 0,  1,	2,  4, 5, 6, 8, 9, 10, /* 0-9 */
    12, 14,			       /* * # */
    3,	7,  11, 15,		       /* A-D */
};

char dtmf_event_char(unsigned event)
{
	return event <= DTMF_EVENT_MAX ? dtmf_chars[event] : 0;
}

int dtmf_char_event(char c)
{
	const char *s;

	if (c == 0)
		return -EINVAL;
	s = strchr(dtmf_chars, toupper((unsigned char)c));
	return s ? (int)(s - dtmf_chars) : -EINVAL;
}

int dtmf_event_decode(struct dtmf_event *ev, const uint8_t *p, size_t len)
{
	/* RFC 4733 §2.3: event (8) | E R volume(6) | duration (16) */
	if (!p || len != DTMF_EVENT_LEN)
		return -EINVAL;
	if (p[0] > DTMF_EVENT_MAX)
		return -ENOTSUP;
	ev->event = p[0];
	ev->end = (p[1] & 0x80) != 0;
	ev->volume = p[1] & 0x3f;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

int dtmf_event_encode(const struct dtmf_event *ev, uint8_t *buf, size_t cap)
{
	if (ev->event > DTMF_EVENT_MAX || ev->volume > 63)
		return -EINVAL;
	if (cap < DTMF_EVENT_LEN)
		return -ENOSPC;
	buf[0] = ev->event;
	buf[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	buf[2] = (uint8_t)(ev->duration >> 8);
	buf[3] = (uint8_t)(ev->duration & 0xff);
	return DTMF_EVENT_LEN;
}

/* ------------------------------------------------------------ player */

/* A digit waiting to be played, or playing. */
struct dtmf_tone {
	uint8_t event;
	bool open;    /* no end seen yet: duration may still grow */
	uint64_t dur; /* samples known so far (all segments) */
};

struct dtmf_play {
	struct dtmf_play_conf conf;
	uint32_t min_samples, gap_samples, hang_samples;

	/* Queue of tones: ids head..tail-1, slot id % DTMF_PLAY_QUEUE. */
	struct dtmf_tone q[DTMF_PLAY_QUEUE];
	uint64_t head, tail;
	bool playing;	   /* q[head] has begun */
	uint64_t played;   /* samples of q[head] played */
	uint32_t gap_left; /* samples of silence still due */
	struct tones_osc osc;

	/* RFC 4733 receive state of the newest event. */
	bool have;
	bool ended;
	uint8_t event;
	uint32_t seg_ts;   /* RTP timestamp of the current segment */
	uint64_t seg_base; /* samples in earlier segments */
	uint16_t seg_dur;  /* highest duration seen in this segment */
	uint64_t qid;	   /* queue id of its tone */
	bool seq_valid;
	uint16_t seq_max;

	struct dtmf_play_stats st;
};

static unsigned dtmf_or(unsigned v, unsigned def)
{
	return v ? v : def;
}

int dtmf_play_new(struct dtmf_play **pp, const struct dtmf_play_conf *conf)
{
	struct dtmf_play *p;
	struct dtmf_play_conf c = {0};

	if (conf)
		c = *conf;
	c.min_ms = dtmf_or(c.min_ms, DTMF_MIN_MS);
	c.gap_ms = dtmf_or(c.gap_ms, DTMF_GAP_MS);
	c.hang_ms = dtmf_or(c.hang_ms, DTMF_HANG_MS);
	if (c.low_dbm0 == 0)
		c.low_dbm0 = DTMF_LOW_DBM0;
	if (c.high_dbm0 == 0)
		c.high_dbm0 = DTMF_HIGH_DBM0;
	if (c.min_ms > 10000 || c.gap_ms > 10000 || c.hang_ms > 10000 ||
	    c.low_dbm0 > 0 || c.high_dbm0 > 0 || c.low_dbm0 < -60 ||
	    c.high_dbm0 < -60)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->conf = c;
	p->min_samples = c.min_ms * DTMF_SPMS;
	p->gap_samples = c.gap_ms * DTMF_SPMS;
	p->hang_samples = c.hang_ms * DTMF_SPMS;
	*pp = p;
	return 0;
}

void dtmf_play_free(struct dtmf_play *p)
{
	free(p);
}

void dtmf_play_reset(struct dtmf_play *p)
{
	struct dtmf_play_conf c = p->conf;
	uint32_t a = p->min_samples, b = p->gap_samples, h = p->hang_samples;
	struct dtmf_play_stats st = p->st;

	memset(p, 0, sizeof(*p));
	p->conf = c;
	p->min_samples = a;
	p->gap_samples = b;
	p->hang_samples = h;
	p->st = st;
}

/* The queued tone with id qid, or NULL once it has left the queue. */
static struct dtmf_tone *dtmf_play_tone(struct dtmf_play *p, uint64_t qid)
{
	if (qid < p->head || qid >= p->tail)
		return NULL;
	return &p->q[qid % DTMF_PLAY_QUEUE];
}

static int dtmf_play_push(struct dtmf_play *p, uint8_t event, uint64_t dur,
			  bool open, uint64_t *qid)
{
	struct dtmf_tone *t;

	if (p->tail - p->head >= DTMF_PLAY_QUEUE) {
		p->st.dropped++;
		return -ENOBUFS;
	}
	t = &p->q[p->tail % DTMF_PLAY_QUEUE];
	t->event = event;
	t->open = open;
	t->dur = dur;
	if (qid)
		*qid = p->tail;
	p->tail++;
	return 0;
}

/* Raises the known duration of the current event's tone; closes it. */
static void dtmf_play_update(struct dtmf_play *p, uint64_t dur, bool end)
{
	struct dtmf_tone *t = dtmf_play_tone(p, p->qid);

	if (!t)
		return;
	if (dur > t->dur)
		t->dur = dur;
	if (end)
		t->open = false;
}

/* A packet with a newer timestamp than the current event. */
static int dtmf_play_newer(struct dtmf_play *p, const struct dtmf_event *ev,
			   uint32_t ts, bool marker, char *digit)
{
	uint32_t delta = ts - p->seg_ts;
	int err;

	/* RFC 4733 §2.5.1.3: a long event goes on in a new segment whose
	 * timestamp is the old one plus the old segment's duration; the
	 * marker bit is not set again. */
	if (p->have && !p->ended && ev->event == p->event && !marker &&
	    delta <= DTMF_SEG_MAX && delta >= p->seg_dur &&
	    delta - p->seg_dur <= DTMF_SEG_SLACK) {
		p->st.segments++;
		p->seg_base += delta;
		p->seg_ts = ts;
		p->seg_dur = ev->duration;
		p->ended = ev->end;
		dtmf_play_update(p, p->seg_base + ev->duration, ev->end);
		return 0;
	}
	if (p->have && !p->ended) {
		/* RFC 4733 §2.5.2.2: all end packets lost; the newer event
		 * ends the old one at its last known duration. */
		p->st.lost_ends++;
		dtmf_play_update(p, 0, true);
	}
	p->have = true;
	p->ended = ev->end;
	p->event = ev->event;
	p->seg_ts = ts;
	p->seg_base = 0;
	p->seg_dur = ev->duration;
	err = dtmf_play_push(p, ev->event, ev->duration, !ev->end, &p->qid);
	if (err) {
		p->qid = UINT64_MAX;
		return err;
	}
	p->st.digits++;
	*digit = dtmf_event_char(ev->event);
	return 1;
}

int dtmf_play_rtp(struct dtmf_play *p, const uint8_t *payload, size_t len,
		  uint32_t ts, bool marker, uint16_t seq, char *digit)
{
	struct dtmf_event ev;
	int err = dtmf_event_decode(&ev, payload, len);

	if (err) {
		p->st.malformed++;
		return err;
	}
	p->st.packets++;
	if (p->seq_valid && (int16_t)(seq - p->seq_max) < 0)
		p->st.reordered++;
	else
		p->seq_max = seq;
	p->seq_valid = true;

	if (!p->have || (int32_t)(ts - p->seg_ts) > 0)
		return dtmf_play_newer(p, &ev, ts, marker, digit);
	if (ts != p->seg_ts || ev.event != p->event) {
		p->st.stale++;
		return 0;
	}
	if (p->ended) {
		/* RFC 4733 §2.5.1.4: the end packet is sent three times. */
		p->st.dups++;
		return 0;
	}
	/* An update, possibly reordered: durations only grow. */
	if (ev.duration > p->seg_dur)
		p->seg_dur = ev.duration;
	p->ended = ev.end;
	dtmf_play_update(p, p->seg_base + p->seg_dur, ev.end);
	return 0;
}

int dtmf_play_digit(struct dtmf_play *p, char digit, unsigned duration_ms)
{
	int ev = dtmf_char_event(digit);

	if (ev < 0)
		return ev;
	if (duration_ms > DTMF_INFO_MAX_MS)
		duration_ms = DTMF_INFO_MAX_MS;
	return dtmf_play_push(p, (uint8_t)ev, duration_ms * DTMF_SPMS, false,
			      NULL);
}

static void dtmf_play_start(struct dtmf_play *p, const struct dtmf_tone *t)
{
	unsigned k = dtmf_key[t->event];

	tones_osc_init(&p->osc, dtmf_low_hz[k / 4], (float)p->conf.low_dbm0,
		       dtmf_high_hz[k % 4], (float)p->conf.high_dbm0);
	p->playing = true;
	p->played = 0;
}

/* Samples of the head tone that may be played now (0: it is over). */
static uint64_t dtmf_play_due(struct dtmf_play *p, struct dtmf_tone *t)
{
	uint64_t target;

	if (t->open) {
		/* Keep playing while updates may come; end it if they
		 * stopped (sender gone, all end packets lost). */
		if (p->played < t->dur + p->hang_samples)
			return t->dur + p->hang_samples - p->played;
		t->open = false;
		t->dur = p->played;
	}
	target = t->dur > p->min_samples ? t->dur : p->min_samples;
	return target > p->played ? target - p->played : 0;
}

bool dtmf_play_block(struct dtmf_play *p, int16_t *pcm, size_t n)
{
	bool wrote = false;

	while (n > 0) {
		struct dtmf_tone *t;
		uint64_t k;

		if (p->gap_left) {
			k = n < p->gap_left ? n : p->gap_left;
			memset(pcm, 0, (size_t)k * sizeof(*pcm));
			p->gap_left -= (uint32_t)k;
		} else {
			if (p->head == p->tail)
				break;
			t = &p->q[p->head % DTMF_PLAY_QUEUE];
			if (!p->playing)
				dtmf_play_start(p, t);
			k = dtmf_play_due(p, t);
			if (k == 0) {
				p->head++;
				p->playing = false;
				p->gap_left = p->gap_samples;
				continue;
			}
			if (k > n)
				k = n;
			tones_osc_gen(&p->osc, pcm, (size_t)k);
			p->played += k;
		}
		wrote = true;
		pcm += k;
		n -= k;
	}
	return wrote;
}

bool dtmf_play_busy(const struct dtmf_play *p)
{
	return p->gap_left > 0 || p->head != p->tail;
}

void dtmf_play_stats(const struct dtmf_play *p, struct dtmf_play_stats *st)
{
	*st = p->st;
}

/* ---------------------------------------------------------- detector */

/*
 * samples: spandsp's receiver confirms a change after two agreeing blocks
 * of 102 samples, so a tone began about ON_LAG and ended about OFF_LAG
 * samples before it is reported (means measured with tests/unit/
 * test_dtmf.c: the start of a tone is placed within +-70 samples).
 */
#define DTMF_DETECT_ON_LAG  255
#define DTMF_DETECT_OFF_LAG 204
#define DTMF_DETECT_CHUNK   34 /* samples fed to dtmf_rx per call */

struct dtmf_detect {
	struct dtmf_detect_conf conf;
	uint32_t update_samples;
	dtmf_rx_state_t *rx;

	/* Reports of the realtime callback during one chunk. */
	struct {
		int code, level;
	} rep[4];
	unsigned nrep;

	bool active; /* a digit is on */
	uint8_t event;
	uint8_t volume;
	int level_dbm0;
	uint32_t ev_ts;	      /* start of the event */
	uint32_t seg_ts;      /* start of the current segment (§2.5.1.3) */
	uint32_t next_update; /* timestamp at which the next update is due */
	uint32_t sent_dur;    /* highest duration sent in this segment */

	struct dtmf_pkt end_pkt; /* end packet still to be repeated */
	unsigned end_left;	 /* repetitions due, one per block */
};

static void dtmf_detect_report(void *arg, int code, int level, int delay)
{
	struct dtmf_detect *d = arg;

	(void)delay;
	if (d->nrep < sizeof(d->rep) / sizeof(d->rep[0])) {
		d->rep[d->nrep].code = code;
		d->rep[d->nrep].level = level;
		d->nrep++;
	}
}

int dtmf_detect_new(struct dtmf_detect **dp,
		    const struct dtmf_detect_conf *conf)
{
	struct dtmf_detect *d;
	struct dtmf_detect_conf c = {0};

	if (conf)
		c = *conf;
	c.update_ms = dtmf_or(c.update_ms, DTMF_UPDATE_MS);
	if (c.update_ms < 10 || c.update_ms > 1000)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->conf = c;
	d->update_samples = c.update_ms * DTMF_SPMS;
	d->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!d->rx) {
		free(d);
		return -ENOMEM;
	}
	dtmf_rx_set_realtime_callback(d->rx, dtmf_detect_report, d);
	*dp = d;
	return 0;
}

void dtmf_detect_free(struct dtmf_detect *d)
{
	if (!d)
		return;
	dtmf_rx_free(d->rx);
	free(d);
}

/* Builds one packet in k. */
static void dtmf_detect_fill(struct dtmf_pkt *k, uint32_t ts, bool marker,
			     uint8_t event, bool end, uint8_t volume,
			     uint32_t duration)
{
	k->ts = ts;
	k->marker = marker;
	k->ev.event = event;
	k->ev.end = end;
	k->ev.volume = volume;
	k->ev.duration =
	    (uint16_t)(duration > DTMF_SEG_MAX ? DTMF_SEG_MAX : duration);
	dtmf_event_encode(&k->ev, k->payload, sizeof(k->payload));
}

/* Appends a packet of the current event to out (dropped if out is full)
 * and keeps a copy in *save if not NULL. Durations never go down within a
 * segment (RFC 4733 §2.5.1.2). */
static void dtmf_detect_send(struct dtmf_detect *d, bool marker, bool end,
			     uint32_t duration, struct dtmf_detect_out *out,
			     struct dtmf_pkt *save)
{
	struct dtmf_pkt k;

	if (duration < d->sent_dur)
		duration = d->sent_dur;
	d->sent_dur = duration;
	dtmf_detect_fill(&k, d->seg_ts, marker, d->event, end, d->volume,
			 duration);
	if (out->npkt < DTMF_DETECT_PKTS)
		out->pkt[out->npkt++] = k;
	if (save)
		*save = k;
}

static void dtmf_detect_ev(struct dtmf_detect_out *out, char digit, bool end,
			   uint32_t ts, uint32_t duration, int level)
{
	struct dtmf_digit_ev *e;

	if (out->nev >= DTMF_DETECT_EVS)
		return;
	e = &out->ev[out->nev++];
	e->digit = digit;
	e->end = end;
	e->ts = ts;
	e->duration = duration;
	e->level_dbm0 = level;
}

/* RFC 4733 §2.5.1.3: a segment that would pass 0xFFFF is closed at
 * exactly 0xFFFF (not an end) and the event goes on in a new one. */
static void dtmf_detect_wrap(struct dtmf_detect *d, uint32_t now,
			     struct dtmf_detect_out *out)
{
	while (now - d->seg_ts > DTMF_SEG_MAX) {
		dtmf_detect_send(d, false, false, DTMF_SEG_MAX, out, NULL);
		d->seg_ts += DTMF_SEG_MAX;
		d->sent_dur = 0;
	}
}

static void dtmf_detect_end(struct dtmf_detect *d, uint32_t now,
			    struct dtmf_detect_out *out)
{
	uint32_t end = now - DTMF_DETECT_OFF_LAG;

	if ((int32_t)(end - d->seg_ts) <= 0)
		end = now;
	dtmf_detect_wrap(d, end, out);
	dtmf_detect_send(d, false, true, end - d->seg_ts, out, &d->end_pkt);
	d->end_left = 2;
	dtmf_detect_ev(out, dtmf_event_char(d->event), true, d->ev_ts,
		       (d->seg_ts - d->ev_ts) + d->sent_dur, d->level_dbm0);
	d->active = false;
}

static void dtmf_detect_start(struct dtmf_detect *d, int code, int level,
			      uint32_t now, struct dtmf_detect_out *out)
{
	int ev = dtmf_char_event((char)code);

	if (ev < 0)
		return;
	d->active = true;
	d->event = (uint8_t)ev;
	d->level_dbm0 = level;
	d->volume = (uint8_t)(level >= 0 ? 0 : (level < -63 ? 63 : -level));
	d->ev_ts = now - DTMF_DETECT_ON_LAG;
	d->seg_ts = d->ev_ts;
	d->next_update = now + d->update_samples;
	d->sent_dur = 0;
	/* RFC 4733 §2.5.1.2: the first packet carries the marker bit. */
	dtmf_detect_send(d, true, false, now - d->ev_ts, out, NULL);
	dtmf_detect_ev(out, (char)code, false, d->ev_ts, 0, level);
}

/* Acts on what the receiver reported up to timestamp now. */
static void dtmf_detect_reports(struct dtmf_detect *d, uint32_t now,
				struct dtmf_detect_out *out)
{
	for (unsigned i = 0; i < d->nrep; i++) {
		if (d->active)
			dtmf_detect_end(d, now, out);
		if (d->rep[i].code)
			dtmf_detect_start(d, d->rep[i].code, d->rep[i].level,
					  now, out);
	}
	d->nrep = 0;
}

void dtmf_detect_block(struct dtmf_detect *d, const int16_t *pcm, size_t n,
		       uint32_t ts, struct dtmf_detect_out *out)
{
	bool maybe = d->active;
	uint32_t now = ts;

	out->npkt = 0;
	out->nev = 0;
	if (d->end_left) {
		/* RFC 4733 §2.5.1.4: repeat the end packet, one per block. */
		out->pkt[out->npkt++] = d->end_pkt;
		d->end_left--;
	}
	for (size_t i = 0; i < n; i += DTMF_DETECT_CHUNK) {
		size_t k =
		    n - i < DTMF_DETECT_CHUNK ? n - i : DTMF_DETECT_CHUNK;

		dtmf_rx(d->rx, pcm + i, (int)k);
		now = ts + (uint32_t)(i + k);
		dtmf_detect_reports(d, now, out);
		if (d->active || dtmf_rx_status(d->rx) != 0)
			maybe = true;
	}
	if (d->active) {
		dtmf_detect_wrap(d, now, out);
		/* RFC 4733 §2.5.1.2: updates at the chosen interval. */
		if ((int32_t)(now - d->next_update) >= 0) {
			dtmf_detect_send(d, false, false, now - d->seg_ts, out,
					 NULL);
			while ((int32_t)(now - d->next_update) >= 0)
				d->next_update += d->update_samples;
		}
	}
	out->suppress = d->conf.suppress && maybe;
}

/* ---------------------------------------------------------- SIP INFO */

static struct pl dtmf_trim(struct pl a)
{
	while (a.l && isspace((unsigned char)a.p[0])) {
		a.p++;
		a.l--;
	}
	while (a.l && isspace((unsigned char)a.p[a.l - 1]))
		a.l--;
	return a;
}

/* Decimal 0..max; -EINVAL for anything else. */
static int dtmf_num(struct pl a, unsigned max, unsigned *v)
{
	unsigned long x = 0;

	if (a.l == 0 || a.l > 9)
		return -EINVAL;
	for (size_t i = 0; i < a.l; i++) {
		if (a.p[i] < '0' || a.p[i] > '9')
			return -EINVAL;
		x = x * 10 + (unsigned)(a.p[i] - '0');
	}
	if (x > max)
		return -EINVAL;
	*v = (unsigned)x;
	return 0;
}

/* A Signal value: one digit character, or an event code 10-15. */
static int dtmf_signal(struct pl v, char *digit)
{
	unsigned code;

	if (v.l == 1 && dtmf_char_event(v.p[0]) >= 0) {
		*digit = dtmf_event_char((unsigned)dtmf_char_event(v.p[0]));
		return 0;
	}
	if (dtmf_num(v, DTMF_EVENT_MAX, &code) == 0) {
		*digit = dtmf_event_char(code);
		return 0;
	}
	return -EINVAL;
}

/* application/dtmf-relay: lines "key=value", CRLF or LF separated. */
static int dtmf_info_relay(struct pl body, char *digit, unsigned *dur_ms)
{
	bool have_sig = false, have_dur = false;
	const char *p = body.p, *end = body.p + body.l;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct pl line = {p, (size_t)((eol ? eol : end) - p)};
		const char *eq;
		struct pl key, val;

		p = eol ? eol + 1 : end;
		line = dtmf_trim(line);
		if (line.l == 0)
			continue;
		eq = memchr(line.p, '=', line.l);
		if (!eq)
			return -EINVAL;
		key = dtmf_trim((struct pl){line.p, (size_t)(eq - line.p)});
		val = dtmf_trim(
		    (struct pl){eq + 1, line.l - (size_t)(eq - line.p) - 1});
		if (pl_casecmp_str(key, "signal")) {
			if (have_sig || dtmf_signal(val, digit))
				return -EINVAL;
			have_sig = true;
		} else if (pl_casecmp_str(key, "duration")) {
			if (have_dur || dtmf_num(val, DTMF_INFO_MAX_MS, dur_ms))
				return -EINVAL;
			have_dur = true;
		} else if (key.l == 0) {
			return -EINVAL;
		}
	}
	if (!have_sig)
		return -EINVAL;
	if (!have_dur)
		*dur_ms = DTMF_INFO_DEF_MS;
	return 0;
}

int dtmf_info_parse(struct pl ctype, struct pl body, char *digit,
		    unsigned *duration_ms)
{
	const char *semi = ctype.p ? memchr(ctype.p, ';', ctype.l) : NULL;
	struct pl type = ctype;
	char dg = 0;
	unsigned ms = DTMF_INFO_DEF_MS;
	int err;

	if (semi)
		type.l = (size_t)(semi - ctype.p);
	type = dtmf_trim(type);
	if (!body.p)
		return -EINVAL;
	if (pl_casecmp_str(type, "application/dtmf-relay")) {
		err = dtmf_info_relay(body, &dg, &ms);
	} else if (pl_casecmp_str(type, "application/dtmf")) {
		err = dtmf_signal(dtmf_trim(body), &dg);
	} else {
		return -ENOTSUP;
	}
	if (err)
		return err;
	*digit = dg;
	*duration_ms = ms;
	return 0;
}
