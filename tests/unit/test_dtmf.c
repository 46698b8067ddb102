/*
 * Unit tests of gw/media/dtmf.c: the RFC 4733 payload, the player (RFC 4733
 * packet streams with retransmitted ends, lost starts, reordered updates,
 * repeated digits and long segmented events -> tones that spandsp's own
 * dtmf_rx must read back as exactly the digits sent), the detector
 * (spandsp dtmf_tx tones in G.711 blocks -> RFC 4733 packets decoded back
 * to the same digits with plausible durations, suppression flag), both in a
 * loop, and SIP INFO bodies.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "media/dtmf.h"
#include "tests/unit/t.h"

#define ALL_DIGITS "0123456789*#ABCD"
#define BLOCK	   160	       /* samples: 20 ms */
#define TS0	   0x7fffff00u /* first RTP timestamp: crosses 2^31 */

/* ------------------------------------------------------------ payload */

TEST(event_encode_decode)
{
	struct dtmf_event ev = {5, true, 10, 800}, d;
	uint8_t b[8];

	CHECK_INT(dtmf_event_encode(&ev, b, sizeof(b)), 4);
	CHECK_INT(b[0], 0x05);
	CHECK_INT(b[1], 0x8a);
	CHECK_INT(b[2], 0x03);
	CHECK_INT(b[3], 0x20);
	CHECK_INT(dtmf_event_decode(&d, b, 4), 0);
	CHECK_INT(d.event, 5);
	CHECK(d.end);
	CHECK_INT(d.volume, 10);
	CHECK_INT(d.duration, 800);
	for (unsigned e = 0; e <= 15; e++) {
		struct dtmf_event x = {(uint8_t)e, e & 1, (uint8_t)(e * 4),
				       (uint16_t)(e * 4099)};
		CHECK_INT(dtmf_event_encode(&x, b, 4), 4);
		CHECK_INT(dtmf_event_decode(&d, b, 4), 0);
		CHECK_INT(d.event, e);
		CHECK_INT(d.end, e & 1);
		CHECK_INT(d.volume, e * 4);
		CHECK_INT(d.duration, (uint16_t)(e * 4099));
		CHECK_INT(dtmf_event_char(e), ALL_DIGITS[e]);
		CHECK_INT(dtmf_char_event(ALL_DIGITS[e]), e);
	}
	/* R bit set by a sloppy sender: ignored (RFC 4733 §2.3.4). */
	b[1] = 0x40 | 7;
	CHECK_INT(dtmf_event_decode(&d, b, 4), 0);
	CHECK_INT(d.volume, 7);
	CHECK(!d.end);
}

TEST(event_malformed)
{
	struct dtmf_event d, ev = {16, false, 10, 1};
	uint8_t b[5] = {1, 0x0a, 0, 160, 0};

	CHECK_INT(dtmf_event_decode(&d, b, 3), -EINVAL);
	CHECK_INT(dtmf_event_decode(&d, b, 5), -EINVAL);
	CHECK_INT(dtmf_event_decode(&d, b, 0), -EINVAL);
	CHECK_INT(dtmf_event_decode(&d, NULL, 4), -EINVAL);
	b[0] = 16; /* flash: not a DTMF digit */
	CHECK_INT(dtmf_event_decode(&d, b, 4), -ENOTSUP);
	b[0] = 255;
	CHECK_INT(dtmf_event_decode(&d, b, 4), -ENOTSUP);
	CHECK_INT(dtmf_event_encode(&ev, b, 4), -EINVAL);
	ev.event = 1;
	ev.volume = 64;
	CHECK_INT(dtmf_event_encode(&ev, b, 4), -EINVAL);
	ev.volume = 1;
	CHECK_INT(dtmf_event_encode(&ev, b, 3), -ENOSPC);
	CHECK_INT(dtmf_event_char(16), 0);
	CHECK_INT(dtmf_char_event('E'), -EINVAL);
	CHECK_INT(dtmf_char_event(0), -EINVAL);
	CHECK_INT(dtmf_char_event('a'), 12);
}

/* ------------------------------------------------- RFC 4733 streams */

struct rpkt {
	uint8_t pl[4];
	uint32_t ts;
	bool marker;
	uint16_t seq;
	uint32_t arrive; /* sample time at which it reaches the player */
};

struct stream {
	struct rpkt p[4096];
	size_t n;
	uint16_t seq;
};

static void put(struct stream *s, uint8_t event, bool end, uint32_t ts,
		uint32_t dur, bool marker, uint32_t arrive)
{
	struct dtmf_event ev = {event, end, 10, (uint16_t)dur};
	struct rpkt *k = &s->p[s->n++];

	dtmf_event_encode(&ev, k->pl, 4);
	k->ts = ts;
	k->marker = marker;
	k->seq = s->seq++;
	k->arrive = arrive;
}

enum impair {
	IMP_NONE = 0,
	IMP_LOST_START = 1,
	IMP_REORDER = 2,
	IMP_NO_END = 4,
};

/*
 * What an RFC 4733 sender emits for one event starting at sample t0 and
 * lasting dur samples: packets every 20 ms (start with marker and duration
 * 160), three end packets 20 ms apart; long events in 0xFFFF segments.
 * imp drops the start, swaps two updates or drops every end packet.
 */
static void emit(struct stream *s, uint8_t event, uint32_t t0, uint32_t dur,
		 unsigned imp)
{
	size_t first = s->n;
	uint32_t seg = t0;

	for (uint32_t t = BLOCK; t < dur; t += BLOCK) {
		if (t0 + t - seg > 0xFFFF) {
			put(s, event, false, seg, 0xFFFF, false, seg + 0xFFFF);
			seg += 0xFFFF;
		}
		put(s, event, false, seg, t0 + t - seg, t == BLOCK, t0 + t);
	}
	if (!(imp & IMP_NO_END))
		for (int i = 0; i < 3; i++)
			put(s, event, true, seg, t0 + dur - seg, false,
			    t0 + dur + (uint32_t)i * BLOCK);
	if ((imp & IMP_LOST_START) && s->n > first) {
		memmove(&s->p[first], &s->p[first + 1],
			(s->n - first - 1) * sizeof(s->p[0]));
		s->n--;
	}
	if ((imp & IMP_REORDER) && s->n > first + 3) {
		struct rpkt a = s->p[first + 1];
		uint32_t t = a.arrive;

		a.arrive = s->p[first + 2].arrive;
		s->p[first + 2].arrive = t;
		s->p[first + 1] = s->p[first + 2];
		s->p[first + 2] = a;
	}
}

/* Quiet "voice" that no DTMF detector takes for a digit. */
static int16_t voice(uint32_t t)
{
	return (int16_t)(300.0 * sin(2 * M_PI * 300.0 * t / 8000.0));
}

struct play_run {
	char digits[64]; /* what dtmf_play_rtp() announced */
	size_t ndigits;
	char heard[64];	       /* what spandsp's dtmf_rx heard in the output */
	uint32_t tone_samples; /* samples replaced */
	struct dtmf_play_stats st;
	int errors;
};

/*
 * Plays stream s through a fresh player in 20 ms blocks up to sample
 * t_end, feeding each packet in the block in which it arrives, and runs
 * spandsp's DTMF receiver over the result.
 */
static void play(const struct stream *s, uint32_t t_end, struct play_run *r)
{
	struct dtmf_play *p;
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	size_t k = 0;

	memset(r, 0, sizeof(*r));
	if (dtmf_play_new(&p, NULL) != 0) {
		r->errors++;
		return;
	}
	for (uint32_t t = 0; t < t_end; t += BLOCK) {
		int16_t pcm[BLOCK], orig[BLOCK];

		for (; k < s->n && s->p[k].arrive < t + BLOCK; k++) {
			char dg = 0;
			int rc =
			    dtmf_play_rtp(p, s->p[k].pl, 4, s->p[k].ts,
					  s->p[k].marker, s->p[k].seq, &dg);
			if (rc < 0)
				r->errors++;
			if (rc == 1 && r->ndigits < sizeof(r->digits) - 1)
				r->digits[r->ndigits++] = dg;
		}
		for (int i = 0; i < BLOCK; i++)
			orig[i] = pcm[i] = voice(t + (uint32_t)i);
		dtmf_play_block(p, pcm, BLOCK);
		for (int i = 0; i < BLOCK; i++) {
			if (pcm[i] != orig[i])
				r->tone_samples++;
		}
		dtmf_rx(rx, pcm, BLOCK);
	}
	dtmf_rx_get(rx, r->heard, sizeof(r->heard) - 1);
	dtmf_play_stats(p, &r->st);
	dtmf_rx_free(rx);
	dtmf_play_free(p);
}

TEST(play_all_digits_impaired)
{
	static struct stream s;
	struct play_run r;
	uint32_t t = 800;

	memset(&s, 0, sizeof(s));
	for (unsigned e = 0; e < 16; e++) {
		/* 100 ms tones, 100 ms apart, each with some impairment. */
		unsigned imp = e % 3 == 1   ? IMP_LOST_START
			       : e % 3 == 2 ? IMP_REORDER
					    : IMP_NONE;
		emit(&s, (uint8_t)e, t, 800, imp);
		t += 1600;
	}
	play(&s, t + 4000, &r);
	CHECK_INT(r.errors, 0);
	CHECK_STR(r.digits, ALL_DIGITS);
	CHECK_STR(r.heard, ALL_DIGITS);
	CHECK_INT(r.st.digits, 16);
	CHECK_INT(r.st.dups, 16 * 2); /* every end was sent three times */
	CHECK_INT(r.st.reordered, 5); /* digits 2, 5, 8, B, # */
	CHECK_INT(r.st.lost_ends, 0);
	CHECK_INT(r.st.malformed, 0);
	/* 16 tones of 100 ms + 50 ms gap each, within a block. */
	CHECK(r.tone_samples >= 16 * 1100 && r.tone_samples <= 16 * 1300);
}

TEST(play_same_digit_twice)
{
	static struct stream s;
	struct play_run r;

	memset(&s, 0, sizeof(s));
	emit(&s, 5, 800, 800, IMP_NONE);
	emit(&s, 5, 2400, 800, IMP_LOST_START);
	emit(&s, 5, 4000, 800, IMP_NONE);
	play(&s, 8000, &r);
	CHECK_INT(r.errors, 0);
	CHECK_STR(r.digits, "555");
	CHECK_STR(r.heard, "555");
}

TEST(play_retransmits_and_stale)
{
	struct dtmf_play *p;
	struct dtmf_play_stats st;
	uint8_t b[4];
	struct dtmf_event ev = {7, false, 10, 160};
	char dg = 0;

	CHECK_INT(dtmf_play_new(&p, NULL), 0);
	dtmf_event_encode(&ev, b, 4);
	CHECK_INT(dtmf_play_rtp(p, b, 4, 1000, true, 10, &dg), 1);
	CHECK_INT(dg, '7');
	ev.duration = 480;
	dtmf_event_encode(&ev, b, 4);
	CHECK_INT(dtmf_play_rtp(p, b, 4, 1000, false, 12, &dg), 0);
	ev.duration = 320; /* late, reordered update */
	dtmf_event_encode(&ev, b, 4);
	CHECK_INT(dtmf_play_rtp(p, b, 4, 1000, false, 11, &dg), 0);
	ev.end = true;
	ev.duration = 640;
	dtmf_event_encode(&ev, b, 4);
	for (int i = 0; i < 3; i++)
		CHECK_INT(dtmf_play_rtp(p, b, 4, 1000, false,
					(uint16_t)(13 + i), &dg),
			  0);
	/* A late packet of an older event. */
	CHECK_INT(dtmf_play_rtp(p, b, 4, 900, false, 16, &dg), 0);
	/* Malformed. */
	CHECK_INT(dtmf_play_rtp(p, b, 3, 2000, false, 17, &dg), -EINVAL);
	dtmf_play_stats(p, &st);
	CHECK_INT(st.digits, 1);
	CHECK_INT(st.dups, 2);
	CHECK_INT(st.reordered, 1);
	CHECK_INT(st.stale, 1);
	CHECK_INT(st.malformed, 1);
	/* 640 samples of tone then 400 of silence, then the voice again. */
	{
		int16_t pcm[2000];
		size_t tone = 0, zero = 0;

		for (int i = 0; i < 2000; i++)
			pcm[i] = 1234;
		CHECK(dtmf_play_block(p, pcm, 2000));
		for (int i = 0; i < 640; i++)
			tone += pcm[i] != 1234 && pcm[i] != 0;
		for (int i = 640; i < 1040; i++)
			zero += pcm[i] == 0;
		CHECK(tone > 600);
		CHECK_INT(zero, 400);
		for (int i = 1040; i < 2000; i++)
			CHECK_INT(pcm[i], 1234);
		CHECK(!dtmf_play_busy(p));
	}
	dtmf_play_free(p);
}

TEST(play_conf_and_reset)
{
	struct dtmf_play *p;
	struct dtmf_play_conf bad = {.low_dbm0 = 3};
	uint8_t b[4] = {2, 10, 0, 160};
	char dg;
	int16_t pcm[BLOCK];

	CHECK_INT(dtmf_play_new(&p, &bad), -EINVAL);
	bad = (struct dtmf_play_conf){.min_ms = 20000};
	CHECK_INT(dtmf_play_new(&p, &bad), -EINVAL);
	CHECK_INT(dtmf_play_new(&p, &(struct dtmf_play_conf){.min_ms = 60}), 0);
	CHECK_INT(dtmf_play_rtp(p, b, 4, 100, true, 1, &dg), 1);
	CHECK(dtmf_play_busy(p));
	dtmf_play_reset(p);
	CHECK(!dtmf_play_busy(p));
	for (int i = 0; i < BLOCK; i++)
		pcm[i] = 77;
	CHECK(!dtmf_play_block(p, pcm, BLOCK));
	CHECK_INT(pcm[BLOCK - 1], 77);
	/* the same timestamp after a reset is a new event (new SSRC) */
	CHECK_INT(dtmf_play_rtp(p, b, 4, 100, true, 1, &dg), 1);
	dtmf_play_free(p);
}

/* Goertzel amplitude of x[0..n) at f Hz. */
static double amp_at(const int16_t *x, size_t n, double f)
{
	double w = 2 * M_PI * f / 8000.0, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return 2 * sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / (double)n;
}

/* Q.23 frequencies at -10 dBm0 (low) and -8 dBm0 (high), Q.24 twist. */
TEST(play_frequencies_levels)
{
	static const struct {
		char digit;
		double lo, hi;
	} k[] = {{'1', 697, 1209}, {'5', 770, 1336}, {'9', 852, 1477},
		 {'#', 941, 1477}, {'D', 941, 1633}, {'0', 941, 1336}};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct dtmf_play *p;
		int16_t pcm[1600];
		double ref = 32768.0 * pow(10.0, -DBM0_MAX_SINE_POWER / 20.0);

		CHECK_INT(dtmf_play_new(&p, NULL), 0);
		CHECK_INT(dtmf_play_digit(p, k[i].digit, 200), 0);
		CHECK(dtmf_play_block(p, pcm, 1600));
		CHECK(fabs(20 * log10(amp_at(pcm, 1600, k[i].lo) / ref) + 10) <
		      0.3);
		CHECK(fabs(20 * log10(amp_at(pcm, 1600, k[i].hi) / ref) + 8) <
		      0.3);
		dtmf_play_free(p);
	}
}

TEST(play_min_duration)
{
	struct dtmf_play *p;
	uint8_t b[4];
	struct dtmf_event ev = {1, true, 10, 80}; /* 10 ms: too short */
	char dg;
	int16_t pcm[800] = {0};
	size_t n = 0;

	CHECK_INT(dtmf_play_new(&p, NULL), 0);
	dtmf_event_encode(&ev, b, 4);
	CHECK_INT(dtmf_play_rtp(p, b, 4, 5, true, 1, &dg), 1);
	dtmf_play_block(p, pcm, 800);
	for (int i = 0; i < 800; i++)
		n += pcm[i] != 0;
	/* played for the 40 ms minimum, not 10 ms */
	CHECK(n > 300 && n <= 320);
	dtmf_play_free(p);
}

/* Duration of the single digit spandsp hears, via its realtime report. */
struct heard_dur {
	int ndigits;
	uint32_t t, on_at, dur;
};

static void heard_cb(void *arg, int code, int level, int delay)
{
	struct heard_dur *h = arg;

	(void)level;
	(void)delay;
	if (code) {
		h->ndigits++;
		h->on_at = h->t;
	} else {
		h->dur += h->t - h->on_at;
	}
}

TEST(play_long_event_segments)
{
	static struct stream s;
	struct dtmf_play *p;
	struct dtmf_play_stats st;
	struct heard_dur h = {0};
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	size_t k = 0, digits = 0;
	const uint32_t dur = 10 * 8000; /* 10 s: two segments */

	dtmf_rx_set_realtime_callback(rx, heard_cb, &h);
	memset(&s, 0, sizeof(s));
	emit(&s, 11, 800, dur, IMP_NONE);
	CHECK_INT(dtmf_play_new(&p, NULL), 0);
	for (uint32_t t = 0; t < dur + 8000; t += BLOCK) {
		int16_t pcm[BLOCK] = {0};

		for (; k < s.n && s.p[k].arrive < t + BLOCK; k++) {
			char dg;
			int rc = dtmf_play_rtp(p, s.p[k].pl, 4, s.p[k].ts,
					       s.p[k].marker, s.p[k].seq, &dg);
			CHECK(rc >= 0);
			digits += rc == 1;
		}
		dtmf_play_block(p, pcm, BLOCK);
		h.t = t + BLOCK;
		dtmf_rx(rx, pcm, BLOCK);
	}
	dtmf_play_stats(p, &st);
	dtmf_play_free(p);
	dtmf_rx_free(rx);
	CHECK_INT(digits, 1);
	CHECK_INT(st.segments, 1);
	CHECK_INT(h.ndigits, 1);
	/* heard for the whole 10 s, within 100 ms */
	CHECK(h.dur > dur - 800 && h.dur < dur + 800);
}

TEST(play_lost_end_and_hang)
{
	static struct stream s;
	struct play_run r;

	memset(&s, 0, sizeof(s));
	/* no end packet at all: the tone stops after the hang time */
	emit(&s, 9, 800, 800, IMP_NO_END);
	/* then another event whose end is lost, ended by a newer one */
	emit(&s, 3, 8000, 800, IMP_NO_END);
	emit(&s, 4, 8000 + 800 + 400, 800, IMP_NONE);
	play(&s, 16000, &r);
	CHECK_INT(r.errors, 0);
	CHECK_STR(r.digits, "934");
	CHECK_STR(r.heard, "934");
}

TEST(play_info_digits)
{
	struct dtmf_play *p;
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	char heard[32] = {0};

	CHECK_INT(dtmf_play_new(&p, NULL), 0);
	for (int i = 0; i < 16; i++)
		CHECK_INT(dtmf_play_digit(p, ALL_DIGITS[i], 60), 0);
	CHECK_INT(dtmf_play_digit(p, 'x', 60), -EINVAL);
	CHECK_INT(dtmf_play_digit(p, '1', 60), -ENOBUFS);
	for (int b = 0; b < 150; b++) {
		int16_t pcm[BLOCK] = {0};

		dtmf_play_block(p, pcm, BLOCK);
		dtmf_rx(rx, pcm, BLOCK);
	}
	dtmf_rx_get(rx, heard, sizeof(heard) - 1);
	CHECK_STR(heard, ALL_DIGITS);
	dtmf_rx_free(rx);
	dtmf_play_free(p);
}

/* ---------------------------------------------------------- detector */

struct dgroup {
	uint32_t ts;
	int event;
	int npkt, nend, nmarker, volume;
	uint32_t end_dur, last_dur;
	bool mono;
};

struct detect_run {
	struct dgroup g[64];
	int ng;
	char starts[64], ends[64];
	int nstarts, nends;
	uint32_t end_dur[64];
	bool sup[4096];
	int nblocks;
	int errors;
	char looped[64]; /* the packets played and heard again */
};

static void group_pkt(struct detect_run *r, const struct dtmf_pkt *k)
{
	struct dtmf_event ev;
	struct dgroup *g = NULL;

	if (dtmf_event_decode(&ev, k->payload, 4) != 0) {
		r->errors++;
		return;
	}
	for (int i = 0; i < r->ng; i++)
		if (r->g[i].ts == k->ts)
			g = &r->g[i];
	if (!g) {
		if (r->ng == 64)
			return;
		g = &r->g[r->ng++];
		memset(g, 0, sizeof(*g));
		g->ts = k->ts;
		g->event = ev.event;
		g->volume = ev.volume;
		g->mono = true;
	}
	if (ev.event != g->event)
		r->errors++;
	if (g->nend && !ev.end)
		r->errors++; /* an update after the end */
	if (ev.duration < g->last_dur)
		g->mono = false;
	g->last_dur = ev.duration;
	g->npkt++;
	g->nmarker += k->marker;
	if (ev.end) {
		if (g->nend && ev.duration != g->end_dur)
			r->errors++;
		g->nend++;
		g->end_dur = ev.duration;
	}
}

/*
 * Sends digits through spandsp's dtmf_tx (on_ms/off_ms), G.711 coded in
 * 20 ms blocks, decoded and fed to a detector; the packets go into a
 * player whose output spandsp's dtmf_rx reads back.
 */
static void detect(const char *digits, int on_ms, int off_ms, int law,
		   int nblocks, struct detect_run *r)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	struct dtmf_detect_conf dc = {.suppress = true};
	struct dtmf_detect *d;
	struct dtmf_play *p;
	uint32_t ts = TS0;
	static struct dtmf_detect_out out;

	memset(r, 0, sizeof(*r));
	if (dtmf_detect_new(&d, &dc) || dtmf_play_new(&p, NULL)) {
		r->errors++;
		return;
	}
	dtmf_tx_set_timing(tx, on_ms, off_ms);
	dtmf_tx_put(tx, digits, -1);
	for (int b = 0; b < nblocks && b < 4096; b++, ts += BLOCK) {
		int16_t pcm[BLOCK] = {0}, lin[BLOCK], back[BLOCK] = {0};
		int got = dtmf_tx(tx, pcm, BLOCK);

		(void)got;
		for (int i = 0; i < BLOCK; i++) {
			uint8_t c = law ? linear_to_ulaw(pcm[i])
					: linear_to_alaw(pcm[i]);
			lin[i] = law ? ulaw_to_linear(c) : alaw_to_linear(c);
		}
		dtmf_detect_block(d, lin, BLOCK, ts, &out);
		r->sup[b] = out.suppress;
		for (size_t i = 0; i < out.npkt; i++) {
			char dg;

			group_pkt(r, &out.pkt[i]);
			if (dtmf_play_rtp(p, out.pkt[i].payload, 4,
					  out.pkt[i].ts, out.pkt[i].marker, 0,
					  &dg) < 0)
				r->errors++;
		}
		for (size_t i = 0; i < out.nev; i++) {
			if (out.ev[i].end) {
				r->end_dur[r->nends] = out.ev[i].duration;
				r->ends[r->nends++] = out.ev[i].digit;
			} else {
				r->starts[r->nstarts++] = out.ev[i].digit;
			}
		}
		dtmf_play_block(p, back, BLOCK);
		dtmf_rx(rx, back, BLOCK);
	}
	r->nblocks = nblocks;
	dtmf_rx_get(rx, r->looped, sizeof(r->looped) - 1);
	dtmf_rx_free(rx);
	dtmf_tx_free(tx);
	dtmf_detect_free(d);
	dtmf_play_free(p);
}

TEST(detect_all_digits_both_laws)
{
	static struct detect_run r;

	for (int law = 0; law < 2; law++) {
		char got[64] = {0};

		/* 16 digits of 100 ms on, 100 ms off */
		detect(ALL_DIGITS, 100, 100, law, 180, &r);
		CHECK_INT(r.errors, 0);
		CHECK_INT(r.ng, 16);
		for (int i = 0; i < r.ng; i++) {
			const struct dgroup *g = &r.g[i];

			got[i] = dtmf_event_char((unsigned)g->event);
			CHECK_INT(g->nmarker, 1);
			CHECK_INT(g->nend, 3);
			/* dtmf_tx sends -10 dBm0 (low) and -8 dBm0 (high) */
			CHECK(g->volume >= 4 && g->volume <= 12);
			CHECK(g->mono);
			/* start, one update at 60 ms, 3 ends */
			CHECK(g->npkt >= 5 && g->npkt <= 6);
			/* 100 ms within 15 ms */
			CHECK(g->end_dur >= 680 && g->end_dur <= 920);
			/* the tone began at i * 1600: the event's timestamp
			 * estimates it within spandsp's 102-sample blocks */
			{
				int32_t off =
				    (int32_t)(g->ts - TS0 - (uint32_t)i * 1600);
				if (getenv("DTMF_DEBUG"))
					printf("off %d dur %u\n", off,
					       g->end_dur);
				CHECK(off >= -80 && off <= 80);
			}
		}
		CHECK_STR(got, ALL_DIGITS);
		CHECK_STR(r.starts, ALL_DIGITS);
		CHECK_STR(r.ends, ALL_DIGITS);
		for (int i = 0; i < r.nends; i++)
			CHECK(r.end_dur[i] >= 680 && r.end_dur[i] <= 920);
		/* played back to the line and heard again */
		CHECK_STR(r.looped, ALL_DIGITS);
		/*
		 * Suppression: blocks 30-100 ms into each tone are flagged;
		 * blocks 70-100 ms into each pause are not. Tone i occupies
		 * [i*1600, i*1600+800).
		 */
		for (int i = 0; i < 16; i++) {
			for (int b = 0; b < r.nblocks; b++) {
				int t0 = b * BLOCK - i * 1600;

				if (t0 >= 240 && t0 + BLOCK <= 800)
					CHECK(r.sup[b]);
				if (t0 >= 800 + 560 && t0 + BLOCK <= 1600)
					CHECK(!r.sup[b]);
			}
		}
	}
}

TEST(detect_update_interval)
{
	static struct detect_run r;

	/* one 1 s digit: start, updates about every 60 ms, 3 ends */
	detect("8", 1000, 100, 1, 70, &r);
	CHECK_INT(r.errors, 0);
	CHECK_INT(r.ng, 1);
	CHECK_INT(r.g[0].nend, 3);
	CHECK(r.g[0].npkt >= 1 + 15 + 3 && r.g[0].npkt <= 1 + 20 + 3);
	CHECK(r.g[0].end_dur >= 7800 && r.g[0].end_dur <= 8200);
	CHECK_STR(r.looped, "8");
}

TEST(detect_long_segments)
{
	static struct detect_run r;

	/* a 9.5 s digit needs two RFC 4733 segments (§2.5.1.3) */
	detect("#", 9500, 100, 0, 500, &r);
	CHECK_INT(r.errors, 0);
	CHECK_INT(r.ng, 2);
	CHECK_INT(r.g[0].nmarker, 1);
	CHECK_INT(r.g[1].nmarker, 0);
	CHECK_INT(r.g[0].nend, 0);
	CHECK_INT(r.g[0].last_dur, 0xFFFF);
	CHECK_INT(r.g[1].ts - r.g[0].ts, 0xFFFF);
	CHECK_INT(r.g[1].nend, 3);
	CHECK(0xFFFF + r.g[1].end_dur >= 75800 &&
	      0xFFFF + r.g[1].end_dur <= 76200);
	CHECK_STR(r.starts, "#");
	CHECK_STR(r.ends, "#");
	CHECK(r.end_dur[0] >= 75800 && r.end_dur[0] <= 76200);
	CHECK_STR(r.looped, "#");
}

TEST(detect_silence_and_voice)
{
	struct dtmf_detect *d;
	static struct dtmf_detect_out out;
	int pkts = 0, sup = 0;

	CHECK_INT(
	    dtmf_detect_new(&d, &(struct dtmf_detect_conf){.update_ms = 50,
							   .suppress = true}),
	    0);
	for (uint32_t t = 0; t < 8000 * 3; t += BLOCK) {
		int16_t pcm[BLOCK];

		for (int i = 0; i < BLOCK; i++)
			pcm[i] = (int16_t)(voice(t + (uint32_t)i) * 20);
		dtmf_detect_block(d, pcm, BLOCK, t, &out);
		pkts += (int)out.npkt;
		sup += out.suppress;
	}
	CHECK_INT(pkts, 0);
	CHECK_INT(sup, 0);
	dtmf_detect_free(d);
	CHECK_INT(
	    dtmf_detect_new(&d, &(struct dtmf_detect_conf){.update_ms = 5}),
	    -EINVAL);
	dtmf_detect_free(NULL);
	dtmf_play_free(NULL);
}

/* ---------------------------------------------------------- SIP INFO */

struct info_case {
	const char *ctype, *body;
	int rc;
	char digit;
	unsigned ms;
};

static const struct info_case info_cases[] = {
    {"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 0, '5', 160},
    {"application/dtmf-relay", "signal= 9 \r\nduration = 250", 0, '9', 250},
    {"Application/DTMF-Relay; charset=x", "SIGNAL=*\nDURATION=100\n", 0, '*',
     100},
    {"application/dtmf-relay", "Signal=#\r\n", 0, '#', DTMF_INFO_DEF_MS},
    {"application/dtmf-relay", "Duration=80\r\nSignal=a\r\n", 0, 'A', 80},
    {"application/dtmf-relay", "Signal=10\r\nDuration=100\r\n", 0, '*', 100},
    {"application/dtmf-relay", "Signal=15\r\nDuration=0\r\n", 0, 'D', 0},
    {"application/dtmf-relay", "\r\nSignal=1\r\nX-Foo=bar\r\n\r\n", 0, '1',
     DTMF_INFO_DEF_MS},
    {" application/dtmf ", "5", 0, '5', DTMF_INFO_DEF_MS},
    {"application/dtmf", " b\r\n", 0, 'B', DTMF_INFO_DEF_MS},
    {"application/dtmf", "11", 0, '#', DTMF_INFO_DEF_MS},
    /* garbage */
    {"application/dtmf-relay", "", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Duration=160\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=E\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=16\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=12x\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=55\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nSignal=6\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=-1\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=1e3\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=99999999999\r\n", -EINVAL,
     0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=60001\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal 5\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "=5\r\nSignal=5\r\n", -EINVAL, 0, 0},
    {"application/dtmf", "", -EINVAL, 0, 0},
    {"application/dtmf", "Signal=5", -EINVAL, 0, 0},
    {"application/dtmf", "56", -EINVAL, 0, 0},
    {"application/sdp", "Signal=5", -ENOTSUP, 0, 0},
    {"application/dtmf-relayx", "Signal=5", -ENOTSUP, 0, 0},
    {"", "5", -ENOTSUP, 0, 0},
};

TEST(info_table)
{
	for (size_t i = 0; i < sizeof(info_cases) / sizeof(info_cases[0]);
	     i++) {
		const struct info_case *c = &info_cases[i];
		char dg = 'z';
		unsigned ms = 12345;
		int rc = dtmf_info_parse(pl_from(c->ctype), pl_from(c->body),
					 &dg, &ms);

		if (rc != c->rc)
			t_fail(__FILE__, __LINE__, "case %zu: rc %d want %d", i,
			       rc, c->rc);
		CHECK_INT(rc, c->rc);
		if (rc == 0) {
			CHECK_INT(dg, c->digit);
			CHECK_INT(ms, c->ms);
		} else {
			CHECK_INT(dg, 'z'); /* untouched on failure */
		}
	}
	/* a NULL body is garbage, not a crash */
	{
		char dg;
		unsigned ms;

		CHECK_INT(dtmf_info_parse(pl_from("application/dtmf"),
					  (struct pl){NULL, 0}, &dg, &ms),
			  -EINVAL);
	}
}
