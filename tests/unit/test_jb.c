/*
 * Unit tests of the jitter buffer (gw/media/jb.c) in virtual time: a
 * 1004 Hz tone at about -10 dBm0 is sent as 20 ms A-law RTP packets
 * through a network impairment model and played out in 20 ms blocks on
 * our clock. The model follows the structure of ITU-T G.1050 (spandsp's
 * g1050.h): base delay, uniform jitter, congestion impulses decaying with
 * a one-pole filter, Gilbert-Elliott low/high loss states, out-of-sequence
 * packets, route flaps and link failures. spandsp's own g1050 code lives in
 * its simulation library, which Debian does not ship (only the header is
 * installed), so the three profiles below, after G.1050's service levels
 * A/B/C, are ours with parameters of the same order, not the standard's
 * tables. Informational lines start with "#".
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <spandsp.h>
#pragma GCC diagnostic pop

#include "media/jb.h"
#include "tests/unit/t.h"

#define PTIME	160 /* samples per packet (20 ms) */
#define BLOCK	160 /* samples per TDM block */
#define TONE_HZ 1004.0
/* -10 dBm0: A-law overload is +3.14 dBm0 for a sine, peak 32767 */
#define TONE_PEAK (32767.0 * pow(10.0, (-10.0 - 3.14) / 20.0))
#define HYST	  40 /* samples, as in jb.c */

struct netprof {
	const char *name;
	double base_ms, jitter_ms;     /* fixed part, uniform part */
	double impulse_p, impulse_ms;  /* congestion impulse per packet */
	double impulse_decay;	       /* per packet */
	double loss_low, loss_high;    /* loss probability per state */
	double p_low_high, p_high_low; /* state changes per packet */
	double oos_p;		       /* extra 20-40 ms: out of sequence */
	double dup_p;		       /* packet delivered twice */
	double flap_s, flap_ms;	       /* route flap period and step */
	double fail_s, fail_ms;	       /* link failure period, duration */
};

static const struct netprof prof_a = {
    "A(managed)", 20,  2, 0.002, 5, 0.9, 0.0005, 0.01,
    0.001,	  0.1, 0, 0,	 0, 0,	 0,	 0};
static const struct netprof prof_b = {
    "B(partial)", 40,  10,    0.01,   20,  0.8, 0.002, 0.05,
    0.005,	  0.2, 0.001, 0.0005, 120, 10,	0,     0};
static const struct netprof prof_c = {
    "C(unmanaged)", 80,	  30,	 0.03,	60, 0.85, 0.005, 0.15,
    0.01,	    0.15, 0.005, 0.002, 60, 30,	  150,	 300};

struct pkt {
	uint64_t arrival; /* samples, our clock */
	uint32_t idx;	  /* packet number */
	uint8_t marker;
	uint32_t ts;
	uint16_t seq;
};

struct sim {
	const struct netprof *np;
	double ppm; /* sender clock error */
	uint32_t rnd;
	struct pkt *pk; /* delivered packets, sorted by arrival */
	size_t npk;
	uint8_t *lost; /* per packet number: dropped by the network */
	uint32_t npackets;
	uint32_t ndup;
	uint16_t seq0;
	uint32_t ts0;
};

static double urand(struct sim *s)
{
	s->rnd = s->rnd * 1664525u + 1013904223u;
	return (double)(s->rnd >> 8) / 16777216.0;
}

static int cmp_arrival(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;
	if (x->arrival != y->arrival)
		return x->arrival < y->arrival ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sends n packets through the model; fills s->pk sorted by arrival. */
static void sim_run(struct sim *s, uint32_t n)
{
	const struct netprof *np = s->np;
	s->pk = calloc(2 * (size_t)n + 1, sizeof(*s->pk));
	s->lost = calloc(n, 1);
	s->npackets = n;
	s->npk = s->ndup = 0;
	bool high = false;
	double congestion = 0;
	for (uint32_t i = 0; i < n; i++) {
		/* sender time on our clock: its 8000 Hz is ours * (1+ppm) */
		double send = (double)i * PTIME / (1.0 + s->ppm * 1e-6);
		double t_s = send / 8000.0;
		if (high ? urand(s) < np->p_high_low
			 : urand(s) < np->p_low_high)
			high = !high;
		congestion *= np->impulse_decay;
		if (urand(s) < np->impulse_p * (high ? 4 : 1))
			congestion += np->impulse_ms * urand(s);
		double d = np->base_ms + np->jitter_ms * urand(s) + congestion;
		if (np->flap_s > 0 && fmod(t_s, 2 * np->flap_s) >= np->flap_s)
			d += np->flap_ms;
		if (urand(s) < np->oos_p)
			d += 20 + 20 * urand(s);
		bool lose = urand(s) < (high ? np->loss_high : np->loss_low);
		if (np->fail_s > 0 &&
		    fmod(t_s, np->fail_s) >= np->fail_s - np->fail_ms / 1e3)
			lose = true;
		if (lose) {
			s->lost[i] = 1;
			continue;
		}
		struct pkt p = {.arrival = (uint64_t)(send + d * 8 + 10000),
				.idx = i,
				.marker = i == 0,
				.ts = s->ts0 + i * PTIME,
				.seq = (uint16_t)(s->seq0 + i)};
		s->pk[s->npk++] = p;
		if (urand(s) < np->dup_p) {
			p.arrival += 8 + (uint64_t)(32 * urand(s));
			s->pk[s->npk++] = p;
			s->ndup++;
		}
	}
	qsort(s->pk, s->npk, sizeof(*s->pk), cmp_arrival);
}

static void sim_free(struct sim *s)
{
	free(s->pk);
	free(s->lost);
}

/* The tone as the sender's codec produced it, sample k of the stream. */
static uint8_t tone_alaw(uint32_t k)
{
	double ph = 2 * M_PI * TONE_HZ * (double)(k % 8000) / 8000.0;
	return linear_to_alaw((int)lrint(TONE_PEAK * sin(ph)));
}

static void payload(uint8_t *pl, uint32_t idx)
{
	for (uint32_t i = 0; i < PTIME; i++)
		pl[i] = tone_alaw(idx * PTIME + i);
}

static double rms_dbm0(const int16_t *x, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	e = sqrt(e / (double)n) + 1e-9;
	/* a sine of peak TONE_PEAK has rms TONE_PEAK / sqrt 2 at -10 dBm0 */
	return -10.0 + 20.0 * log10(e / (TONE_PEAK / sqrt(2.0)));
}

struct run_result {
	struct jb_stats st;
	uint64_t blocks, quiet_unexplained, get_errors;
	uint32_t delay_start, delay_end; /* after the first second, at end */
	uint32_t delay_min_after;	 /* lowest delay after the first 10 s */
	uint32_t target_end;
	uint32_t model_lost; /* between first and last received packet */
};

/* Plays the simulated packets through jb; blocks until all played. */
static void play(struct jb *jb, const struct sim *s, struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	res->delay_min_after = UINT32_MAX;
	uint8_t pl[PTIME];
	int16_t out[BLOCK];
	size_t next = 0;
	uint64_t last_plc_frames = 0, plc_recent = 0;
	bool audio_seen = false, stopped = false;
	uint64_t last_resets = 0;
	uint64_t end = UINT64_MAX, t0 = s->pk[0].arrival + 8000;
	for (uint64_t now = 0; now < end; now += BLOCK) {
		while (next < s->npk && s->pk[next].arrival <= now) {
			const struct pkt *p = &s->pk[next++];
			payload(pl, p->idx);
			struct jb_pkt jp = {.payload = pl,
					    .len = PTIME,
					    .seq = p->seq,
					    .ts = p->ts,
					    .ssrc = 0x5eed,
					    .marker = p->marker,
					    .arrival = p->arrival};
			jb_put(jb, &jp);
		}
		if (jb_get(jb, out, BLOCK, now) != 0)
			res->get_errors++;
		struct jb_stats st;
		jb_get_stats(jb, &st);
		plc_recent =
		    plc_recent << 1 | (st.plc_frames != last_plc_frames);
		last_plc_frames = st.plc_frames;
		double lvl = rms_dbm0(out, BLOCK);
		if (st.resets != last_resets)
			stopped =
			    true; /* link failure: silence till re-anchor */
		last_resets = st.resets;
		if (lvl > -13)
			audio_seen = true, stopped = false;
		/* quiet after start, with no PLC in this or the 3 blocks
		 * before (spandsp's PLC fades out after about 50 ms) and
		 * the stream not over: a gap the buffer did not fill */
		if (audio_seen && !stopped && lvl < -16 &&
		    (plc_recent & 0xf) == 0 && next < s->npk)
			res->quiet_unexplained++;
		res->blocks++;
		if (now >= t0 && now < t0 + BLOCK)
			res->delay_start = st.delay_samples;
		if (now > t0 + 8000 * 9 &&
		    st.delay_samples < res->delay_min_after)
			res->delay_min_after = st.delay_samples;
		if (next < s->npk) {
			res->delay_end = st.delay_samples;
			res->target_end = st.target_samples;
		} else if (end == UINT64_MAX) {
			/* stop once the last packet has played: what PLC
			 * makes after the stream ends is not a loss */
			end = now + st.delay_samples + PTIME;
		}
		res->st = st;
	}
	uint32_t first = UINT32_MAX, last = 0;
	for (size_t i = 0; i < s->npk; i++) {
		if (s->pk[i].idx < first)
			first = s->pk[i].idx;
		if (s->pk[i].idx > last)
			last = s->pk[i].idx;
	}
	for (uint32_t i = first; i < last; i++)
		res->model_lost += s->lost[i];
}

static const struct jb_conf adaptive = {
    .law = JB_LAW_ALAW, .min_ms = 20, .max_ms = 300, .k = 4};

static bool run_profile(const struct netprof *np, uint32_t seconds)
{
	struct sim s = {
	    .np = np, .rnd = 1234, .seq0 = 65000, .ts0 = 0xfff00000u};
	sim_run(&s, seconds * 50);
	struct jb *jb = jb_new(&adaptive);
	struct run_result r;
	play(jb, &s, &r);
	jb_free(jb);
	const struct jb_stats *st = &r.st;
	printf("# profile %s %us: packets %llu lost %llu (model %u) late "
	       "%llu+%llu dup %llu plc_frames %llu plc_ms %llu delay max %u ms "
	       "end %u ms jitter %u ms drop/ins %llu/%llu resets %llu\n",
	       np->name, seconds, (unsigned long long)st->packets,
	       (unsigned long long)st->lost, r.model_lost,
	       (unsigned long long)st->late,
	       (unsigned long long)st->late_partial,
	       (unsigned long long)st->duplicates,
	       (unsigned long long)st->plc_frames,
	       (unsigned long long)st->plc_samples / 8,
	       st->max_delay_samples / 8, r.delay_end / 8,
	       st->jitter_samples / 8, (unsigned long long)st->dropped_samples,
	       (unsigned long long)st->inserted_samples,
	       (unsigned long long)st->resets);
	bool ok = true;
#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			t_fail(__FILE__, __LINE__, "%s: %s", np->name, #c);    \
			ok = false;                                            \
		}                                                              \
	} while (0)
	EXPECT(r.get_errors == 0);
	EXPECT(r.quiet_unexplained == 0);
	EXPECT(st->lost == r.model_lost);
	EXPECT(st->duplicates == s.ndup);
	EXPECT(st->packets + st->late + st->duplicates + st->discarded ==
	       s.npk);
	/* every lost or late packet is concealed, minus what a stop (link
	 * failure) or a time-scale step took instead */
	uint64_t gaps = (st->lost + st->late + st->late_partial) * PTIME;
	EXPECT(st->plc_samples <= gaps + st->inserted_samples + PTIME);
	EXPECT(st->plc_samples + st->dropped_samples + st->resets * 8000 >=
	       gaps);
	EXPECT(st->lost == 0 || st->plc_frames > 0);
	EXPECT(st->max_delay_samples <= adaptive.max_ms * 8 + BLOCK);
	sim_free(&s);
	return ok;
}

TEST(jb_profile_a)
{
	CHECK(run_profile(&prof_a, 120));
}

TEST(jb_profile_b)
{
	CHECK(run_profile(&prof_b, 120));
}

TEST(jb_profile_c)
{
	CHECK(run_profile(&prof_c, 300));
}

static bool run_drift(double ppm)
{
	struct netprof np = prof_b;
	np.flap_s = 0; /* keep the network's minimum delay still */
	np.name = ppm > 0 ? "B drift +100 ppm" : "B drift -100 ppm";
	const uint32_t seconds = 600;
	struct sim s = {
	    .np = &np, .ppm = ppm, .rnd = 99, .seq0 = 1, .ts0 = 12345};
	sim_run(&s, seconds * 50);
	struct jb *jb = jb_new(&adaptive);
	struct run_result r;
	play(jb, &s, &r);
	jb_free(jb);
	const struct jb_stats *st = &r.st;
	double t = (double)seconds * 8000; /* samples of our clock */
	double net = (double)st->dropped_samples - (double)st->inserted_samples;
	/* play_ts runs at our clock plus net drops; the sender's at ours
	 * times (1 + ppm): net = ppm * t - (delay change) */
	double want = ppm * 1e-6 * t * (1.0 + ppm * 1e-6) -
		      ((double)r.delay_end - (double)r.delay_start);
	printf("# %s 600 s: dropped %llu inserted %llu (net %.0f, drift "
	       "%.0f samples) delay start %u end %u min %u max %u target "
	       "%u samples, plc_frames %llu late %llu lost %llu\n",
	       np.name, (unsigned long long)st->dropped_samples,
	       (unsigned long long)st->inserted_samples, net, ppm * 1e-6 * t,
	       r.delay_start, r.delay_end, r.delay_min_after,
	       st->max_delay_samples, r.target_end,
	       (unsigned long long)st->plc_frames, (unsigned long long)st->late,
	       (unsigned long long)st->lost);
	bool ok = true;
	const struct netprof *npp = &np;
	(void)npp;
#undef EXPECT
#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			t_fail(__FILE__, __LINE__, "%s: %s", np.name, #c);     \
			ok = false;                                            \
		}                                                              \
	} while (0)
	EXPECT(r.get_errors == 0);
	EXPECT(r.quiet_unexplained == 0);
	EXPECT(fabs(net - want) < 40);
	EXPECT(fabs(ppm * 1e-6 * t) > 400); /* the drift was real */
	EXPECT(st->max_delay_samples <= adaptive.max_ms * 8 + BLOCK);
	EXPECT(r.delay_min_after >= adaptive.min_ms * 8 - 2 * HYST);
	EXPECT(fabs((double)r.delay_end - r.target_end) <= 2 * HYST + 16);
	sim_free(&s);
	return ok;
}

TEST(jb_drift_plus_100ppm)
{
	CHECK(run_drift(100));
}

TEST(jb_drift_minus_100ppm)
{
	CHECK(run_drift(-100));
}

/* Puts packet idx of a tone stream, arriving at arr. */
static int put_idx(struct jb *jb, uint32_t idx, uint64_t arr, bool marker,
		   uint32_t ts_extra, uint32_t ssrc)
{
	uint8_t pl[PTIME];
	payload(pl, idx);
	struct jb_pkt p = {.payload = pl,
			   .len = PTIME,
			   .seq = (uint16_t)(65530 + idx),
			   .ts = 0xffffff00u + idx * PTIME + ts_extra,
			   .ssrc = ssrc,
			   .marker = marker,
			   .arrival = arr};
	return jb_put(jb, &p);
}

TEST(jb_reorder_duplicates_bit_exact)
{
	struct jb_conf c = {
	    .law = JB_LAW_ALAW, .min_ms = 60, .max_ms = 200, .k = 4};
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	/* order 0 2 1 3 3 5 4 6 7 ..., each group within 20 ms */
	static const uint32_t order[] = {0, 2, 1, 3,  3,  5,  4,  6,  7,
					 9, 8, 8, 10, 12, 11, 13, 14, 15};
	uint64_t now = 0;
	uint8_t out[BLOCK];
	uint32_t k = 0, played = 0, first_audio = UINT32_MAX;
	int dups = 0;
	struct jb_stats st;
	for (uint32_t blk = 0; blk < 40; blk++, now += BLOCK) {
		while (k < sizeof(order) / sizeof(order[0]) &&
		       order[k] * PTIME + 40 <= now + 40) {
			int rc = put_idx(jb, order[k], now, false, 0, 1);
			if (rc == -EALREADY)
				dups++;
			else
				CHECK_INT(rc, 0);
			k++;
		}
		CHECK_INT(jb_get_g711(jb, out, BLOCK, now, JB_LAW_ALAW), 0);
		/* once audio starts it must be the stream, bit for bit */
		if (first_audio == UINT32_MAX && out[1] != 0xd5)
			first_audio = blk;
		if (first_audio != UINT32_MAX && played < 16) {
			for (uint32_t i = 0; i < BLOCK; i++)
				if (out[i] != tone_alaw(played * PTIME + i)) {
					t_fail(__FILE__, __LINE__,
					       "block %u sample %u", played, i);
					jb_free(jb);
					return;
				}
			played++;
			if (played == 16)
				jb_get_stats(jb, &st);
		}
	}
	jb_free(jb);
	CHECK_INT(played, 16);
	CHECK_INT(dups, 2);
	CHECK_INT(st.duplicates, 2);
	CHECK_INT(st.packets, 16);
	CHECK_INT(st.lost, 0);
	CHECK_INT(st.plc_frames, 0);
	CHECK_INT(st.late, 0);
	CHECK_INT(st.dropped_samples + st.inserted_samples, 0);
	CHECK_INT(st.delay_samples, 480);
}

TEST(jb_late_lost_and_plc)
{
	struct jb_conf c = {.law = JB_LAW_ALAW,
			    .min_ms = 40,
			    .max_ms = 200,
			    .k = 4,
			    .fixed = true,
			    .fixed_ms = 40};
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	int16_t out[BLOCK];
	uint64_t now = 0;
	for (uint32_t i = 0; i < 50; i++, now += BLOCK) {
		if (i != 10 && i != 20)
			CHECK_INT(put_idx(jb, i, now, false, 0, 1), 0);
		if (i == 30) /* packet 20 now: played long ago */
			CHECK_INT(put_idx(jb, 20, now, false, 0, 1), -ETIME);
		CHECK_INT(jb_get(jb, out, BLOCK, now), 0);
		CHECK(rms_dbm0(out, BLOCK) > -20 || i < 2);
	}
	struct jb_stats st;
	jb_get_stats(jb, &st);
	jb_free(jb);
	CHECK_INT(st.late, 1);
	CHECK_INT(st.lost, 1);	     /* 10; 20 came, late */
	CHECK_INT(st.plc_frames, 2); /* block-aligned: one block each */
	CHECK_INT(st.plc_samples, 2 * PTIME);
	CHECK_INT(st.packets, 48);
}

/* Packets every 20 ms with uniform jitter of jit_ms from packet from to
 * to; returns the target after each block in tgt[] (one per packet). */
static void jitter_phase(struct jb *jb, uint32_t from, uint32_t to,
			 double jit_ms, uint32_t *rnd, uint32_t *tgt)
{
	uint8_t pl[PTIME];
	int16_t out[BLOCK];
	for (uint32_t i = from; i < to; i++) {
		uint64_t now = (uint64_t)i * PTIME + 10000;
		*rnd = *rnd * 1664525u + 1013904223u;
		double j = jit_ms * (double)(*rnd >> 8) / 16777216.0;
		payload(pl, i);
		struct jb_pkt jp = {.payload = pl,
				    .len = PTIME,
				    .seq = (uint16_t)i,
				    .ts = i * PTIME,
				    .ssrc = 0xfa5,
				    .marker = i == 0,
				    .arrival = now + (uint64_t)(j * 8)};
		jb_put(jb, &jp);
		jb_get(jb, out, BLOCK, now);
		struct jb_stats st;
		jb_get_stats(jb, &st);
		tgt[i] = st.target_samples;
	}
}

TEST(jb_freeze_stops_adapting)
{
	/* 5 s of 4 ms jitter, then fax: frozen; then 60 ms of jitter for
	 * 10 s, which an adaptive buffer follows and a frozen one ignores */
	enum { N1 = 250, N = 750 };
	static uint32_t tf[N], ta[N];
	uint32_t r1 = 99, r2 = 99;
	struct jb *fz = jb_new(&adaptive), *ad = jb_new(&adaptive);
	CHECK(fz && ad);
	jitter_phase(fz, 0, N1, 4, &r1, tf);
	jitter_phase(ad, 0, N1, 4, &r2, ta);
	unsigned ms = jb_freeze(fz);
	CHECK(ms >= adaptive.min_ms && ms <= adaptive.max_ms);
	CHECK(ms * 8 >= tf[N1 - 1] && ms * 8 < tf[N1 - 1] + 8);
	CHECK_INT(jb_freeze(fz), ms); /* idempotent */
	jitter_phase(fz, N1, N, 60, &r1, tf);
	jitter_phase(ad, N1, N, 60, &r2, ta);
	for (uint32_t i = N1; i < N; i++)
		CHECK_INT(tf[i], ms * 8);
	struct jb_stats sf, sa;
	jb_get_stats(fz, &sf);
	jb_get_stats(ad, &sa);
	printf("# frozen at %u ms: target stays %u samples while the "
	       "adaptive one reaches %u; late %llu vs %llu\n",
	       ms, tf[N - 1], ta[N - 1], (unsigned long long)sf.late,
	       (unsigned long long)sa.late);
	CHECK(ta[N - 1] > tf[N - 1] + 200);
	jb_free(fz);
	jb_free(ad);
}

TEST(jb_fixed_mode_keeps_delay)
{
	struct jb_conf c = {.law = JB_LAW_ALAW,
			    .min_ms = 20,
			    .max_ms = 300,
			    .k = 4,
			    .fixed = true,
			    .fixed_ms = 100};
	struct sim s = {.np = &prof_b, .rnd = 7, .seq0 = 3, .ts0 = 0};
	sim_run(&s, 60 * 50);
	struct jb *jb = jb_new(&c);
	struct run_result r;
	play(jb, &s, &r);
	jb_free(jb);
	struct jb *ad = jb_new(&adaptive);
	struct run_result ra;
	play(ad, &s, &ra);
	jb_free(ad);
	sim_free(&s);
	printf("# fixed 100 ms on B: delay start %u min %u max %u samples, "
	       "drop/ins %llu/%llu; adaptive on the same: max %u\n",
	       r.delay_start, r.delay_min_after, r.st.max_delay_samples,
	       (unsigned long long)r.st.dropped_samples,
	       (unsigned long long)r.st.inserted_samples,
	       ra.st.max_delay_samples);
	CHECK(r.st.max_delay_samples <= 800 + 2 * HYST + 16);
	CHECK(r.delay_min_after >= 800 - HYST - 16);
	CHECK(r.st.max_delay_samples - r.delay_min_after <= HYST);
	CHECK(r.st.target_samples == 800);
	/* B's route flap moves the minimum delay by 10 ms: re-centred */
	CHECK(r.st.dropped_samples + r.st.inserted_samples <=
	      2 * 80 + 2 * HYST);
	CHECK(ra.st.max_delay_samples != r.st.max_delay_samples);
}

/* Plays blocks up to (not including) time `until`. */
static bool play_until(struct jb *jb, uint64_t *now, uint64_t until)
{
	int16_t out[BLOCK];
	for (; *now + BLOCK <= until; *now += BLOCK)
		if (jb_get(jb, out, BLOCK, *now) != 0)
			return false;
	return true;
}

TEST(jb_talkspurt_long_gap_reanchors)
{
	struct jb_conf c = {
	    .law = JB_LAW_ALAW, .min_ms = 20, .max_ms = 300, .k = 2};
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	uint64_t now = 0;
	uint32_t idx = 0;
	/* talkspurt A, 3 s: one packet in 8 is 50 ms late: the spread
	 * (400 samples) sets the target */
	for (; idx < 150; idx++) {
		uint64_t arr = (uint64_t)idx * PTIME + (idx % 8 == 7 ? 400 : 0);
		put_idx(jb, idx, arr, idx == 0, 0, 1);
		CHECK(play_until(jb, &now, arr));
	}
	struct jb_stats a;
	jb_get_stats(jb, &a);
	CHECK(a.delay_samples >= 400 - HYST);
	/* 4.5 s of silence, then talkspurt B (marker) on a steady network:
	 * playout restarts at B with the new, lower target */
	uint32_t gap = 36000;
	for (; idx < 250; idx++) {
		uint64_t arr = (uint64_t)idx * PTIME + gap;
		CHECK(play_until(jb, &now, arr));
		CHECK_INT(put_idx(jb, idx, arr, idx == 150, gap, 1), 0);
		CHECK(play_until(jb, &now, arr + 1));
	}
	struct jb_stats b;
	jb_get_stats(jb, &b);
	printf("# long gap: delay %u -> %u samples (target %u), plc %llu -> "
	       "%llu samples\n",
	       a.delay_samples, b.delay_samples, b.target_samples,
	       (unsigned long long)a.plc_samples,
	       (unsigned long long)b.plc_samples);
	CHECK_INT(b.resets, a.resets + 1);
	CHECK(b.delay_samples <= b.target_samples + BLOCK);
	CHECK(b.delay_samples < a.delay_samples - 100);
	CHECK_INT(b.late + b.late_partial, a.late + a.late_partial);
	/* PLC only faded A out (at most 200 ms), none inside B */
	CHECK(b.plc_samples - a.plc_samples <= 1600 + BLOCK);
	jb_free(jb);
}

TEST(jb_talkspurt_silence_step)
{
	struct jb_conf c = {
	    .law = JB_LAW_ALAW, .min_ms = 20, .max_ms = 300, .k = 4};
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	uint64_t now = 0;
	uint32_t idx = 0;
	for (; idx < 100; idx++) { /* talkspurt A, steady: delay = min */
		CHECK_INT(
		    put_idx(jb, idx, (uint64_t)idx * PTIME, idx == 0, 0, 1), 0);
		CHECK(play_until(jb, &now, (uint64_t)idx * PTIME + 1));
	}
	/* a 200 ms pause (seq continues, ts jumps), during which our
	 * worker stalls for 150 ms: the delay is 150 ms too long */
	uint32_t gap = 1600;
	uint64_t arr_b = (uint64_t)100 * PTIME + gap;
	CHECK(play_until(jb, &now, (uint64_t)100 * PTIME + 160));
	now += 1200;
	CHECK(play_until(jb, &now, arr_b));
	struct jb_stats a;
	jb_get_stats(jb, &a);
	CHECK_INT(put_idx(jb, 100, arr_b, true, gap, 1), 0);
	CHECK(play_until(jb, &now, arr_b + BLOCK));
	struct jb_stats b;
	jb_get_stats(jb, &b);
	uint32_t delay_before = b.delay_samples; /* measured before the step */
	CHECK(play_until(jb, &now, arr_b + 2 * BLOCK));
	jb_get_stats(jb, &b);
	printf("# silence step: delay %u -> %u samples (target %u), dropped "
	       "%llu in one block\n",
	       delay_before, b.delay_samples, b.target_samples,
	       (unsigned long long)(b.dropped_samples - a.dropped_samples));
	CHECK(a.delay_samples >= 1200);
	CHECK(b.dropped_samples - a.dropped_samples >= 1000);
	CHECK_INT(b.plc_samples, a.plc_samples);
	CHECK(b.delay_samples <= b.target_samples + BLOCK + HYST);
	/* talkspurt B plays intact */
	for (idx = 101; idx < 200; idx++) {
		uint64_t arr = (uint64_t)idx * PTIME + gap;
		CHECK_INT(put_idx(jb, idx, arr, false, gap, 1), 0);
		CHECK(play_until(jb, &now, arr + 1));
	}
	struct jb_stats e;
	jb_get_stats(jb, &e);
	CHECK_INT(e.plc_samples, b.plc_samples);
	CHECK_INT(e.late + e.late_partial, 0);
	jb_free(jb);
}

TEST(jb_ssrc_change_and_ts_jump_reset)
{
	struct jb_conf c = {
	    .law = JB_LAW_ALAW, .min_ms = 40, .max_ms = 200, .k = 4};
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	int16_t out[BLOCK];
	uint64_t now = 0;
	uint32_t i = 0;
	for (; i < 20; i++, now += BLOCK) {
		CHECK_INT(put_idx(jb, i, now, false, 0, 1), 0);
		CHECK_INT(jb_get(jb, out, BLOCK, now), 0);
	}
	/* the timestamp leaps 1 hour ahead: a reset, not 1 h of buffer */
	for (; i < 40; i++, now += BLOCK) {
		CHECK_INT(put_idx(jb, i, now, false, 28800000, 1), 0);
		CHECK_INT(jb_get(jb, out, BLOCK, now), 0);
		if (i > 25)
			CHECK(rms_dbm0(out, BLOCK) > -14);
	}
	struct jb_stats st;
	jb_get_stats(jb, &st);
	CHECK_INT(st.resets, 1);
	/* a new SSRC with unrelated numbers */
	for (; i < 60; i++, now += BLOCK) {
		CHECK_INT(put_idx(jb, i, now, false, 777777, 2), 0);
		CHECK_INT(jb_get(jb, out, BLOCK, now), 0);
		if (i > 45)
			CHECK(rms_dbm0(out, BLOCK) > -14);
	}
	jb_get_stats(jb, &st);
	CHECK_INT(st.resets, 2);
	CHECK_INT(st.lost, 0);
	CHECK(st.delay_samples <= 320 + HYST);
	jb_free(jb);
}

TEST(jb_conf_and_args)
{
	struct jb_conf c = {.law = JB_LAW_ALAW, .min_ms = 100, .max_ms = 50};
	CHECK(jb_new(&c) == NULL);
	c.min_ms = 0;
	c.max_ms = JB_MAX_MS + 1;
	CHECK(jb_new(&c) == NULL);
	c.max_ms = 100;
	c.fixed = true;
	c.fixed_ms = 120;
	CHECK(jb_new(&c) == NULL);
	c.fixed_ms = 60;
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	int16_t out[8] = {1, 1, 1, 1, 1, 1, 1, 1};
	CHECK_INT(jb_get(jb, out, 0, 0), -EINVAL);
	CHECK_INT(jb_get(jb, out, JB_BLOCK_MAX + 1, 0), -EINVAL);
	CHECK_INT(jb_get(jb, out, 8, 0), 0);
	for (int i = 0; i < 8; i++)
		CHECK_INT(out[i], 0); /* silence before any packet */
	struct jb_pkt p = {.payload = (const uint8_t *)"x", .len = 0};
	CHECK_INT(jb_put(jb, &p), -EINVAL);
	p.len = JB_PACKET_MAX + 1;
	CHECK_INT(jb_put(jb, &p), -EINVAL);
	jb_free(jb);
	jb_free(NULL);
}

TEST(jb_transcode)
{
	uint8_t a[256], u[256], back[256];
	for (int i = 0; i < 256; i++)
		a[i] = (uint8_t)i;
	jb_g711_transcode(u, a, 256, JB_LAW_ALAW, JB_LAW_ULAW);
	jb_g711_transcode(back, u, 256, JB_LAW_ULAW, JB_LAW_ALAW);
	int exact = 0;
	for (int i = 0; i < 256; i++) {
		int la = alaw_to_linear(a[i]), lu = ulaw_to_linear(u[i]);
		/* the µ-law code is within a quantisation step (1/16 of the
		 * value, at least 2 at the bottom) of the A-law value */
		CHECK(abs(la - lu) <= abs(la) / 16 + 16);
		exact += back[i] == a[i];
	}
	/* G.711 Table 3/4: A -> µ -> A is transparent for most codes */
	CHECK(exact >= 220);
	jb_g711_transcode(back, a, 256, JB_LAW_ALAW, JB_LAW_ALAW);
	CHECK(memcmp(back, a, 256) == 0);
	/* in place */
	memcpy(back, a, 256);
	jb_g711_transcode(back, back, 256, JB_LAW_ALAW, JB_LAW_ULAW);
	CHECK(memcmp(back, u, 256) == 0);
	/* µ-law through the buffer's linear path is bit-exact but -0 */
	for (int i = 0; i < 256; i++)
		if (i != 0x7f)
			CHECK_INT(linear_to_ulaw(ulaw_to_linear((uint8_t)i)),
				  i);
}

TEST(jb_ulaw_stream_to_alaw_span)
{
	struct jb_conf c = {
	    .law = JB_LAW_ULAW, .min_ms = 20, .max_ms = 100, .k = 4};
	struct jb *jb = jb_new(&c);
	CHECK(jb);
	uint8_t pl[PTIME], out[BLOCK], outu[BLOCK];
	uint64_t now = 0;
	int compared = 0;
	for (uint32_t i = 0; i < 20; i++, now += BLOCK) {
		for (uint32_t k = 0; k < PTIME; k++)
			pl[k] = linear_to_ulaw(
			    alaw_to_linear(tone_alaw(i * PTIME + k)));
		struct jb_pkt p = {.payload = pl,
				   .len = PTIME,
				   .seq = (uint16_t)i,
				   .ts = i * PTIME,
				   .ssrc = 3,
				   .arrival = now};
		CHECK_INT(jb_put(jb, &p), 0);
		CHECK_INT(jb_get_g711(jb, out, BLOCK, now, JB_LAW_ALAW), 0);
		if (i < 2)
			continue; /* the 20 ms of initial delay */
		/* block i - 1 plays now: µ-law decoded, A-law encoded */
		for (uint32_t k = 0; k < BLOCK; k++) {
			uint8_t u = linear_to_ulaw(
			    alaw_to_linear(tone_alaw((i - 1) * PTIME + k)));
			CHECK_INT(out[k], linear_to_alaw(ulaw_to_linear(u)));
			compared++;
		}
	}
	CHECK_INT(compared, 18 * BLOCK);
	/* the same stream out to a µ-law span is the input, bit for bit */
	jb_reset(jb);
	for (uint32_t i = 0; i < 4; i++, now += BLOCK) {
		for (uint32_t k = 0; k < PTIME; k++)
			pl[k] = linear_to_ulaw(
			    alaw_to_linear(tone_alaw(i * PTIME + k)));
		struct jb_pkt p = {.payload = pl,
				   .len = PTIME,
				   .seq = (uint16_t)(100 + i),
				   .ts = 5000 + i * PTIME,
				   .ssrc = 3,
				   .arrival = now};
		CHECK_INT(jb_put(jb, &p), 0);
		CHECK_INT(jb_get_g711(jb, outu, BLOCK, now, JB_LAW_ULAW), 0);
	}
	/* the last block played is packet 2 */
	for (uint32_t k = 0; k < BLOCK; k++) {
		uint8_t u =
		    linear_to_ulaw(alaw_to_linear(tone_alaw(2 * PTIME + k)));
		CHECK(outu[k] == u || (u == 0x7f && outu[k] == 0xff));
	}
	struct jb_stats st;
	jb_get_stats(jb, &st);
	CHECK_INT(st.plc_frames, 0);
	jb_free(jb);
}
