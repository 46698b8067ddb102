/*
 * Unit tests of gw/media/tones.c: set lookup for config validation, and
 * for every tone of every set the frequencies and level (Goertzel), the
 * on/off cadence measured on the output (two full cycles), the E.180
 * values themselves, block-size independence and phase continuity across
 * block boundaries, and the G.711 output.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "media/tones.h"
#include "tests/unit/t.h"

#define RATE	    8000.0
#define MAX_SAMPLES (8 * 2 * 10000) /* two cycles of up to 10 s */

/* Goertzel power of x[0..n) at f Hz, normalised to a sine's amplitude. */
static double amp_at(const int16_t *x, size_t n, double f)
{
	double w = 2 * M_PI * f / RATE, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return 2 * sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / (double)n;
}

static double rms(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / (double)n);
}

/* Peak amplitude of a sine at level dBm0 (spandsp's 0 dBm0 scale). */
static double dbm0_amp(double dbm0)
{
	return 32768.0 * pow(10.0, (dbm0 - DBM0_MAX_SINE_POWER) / 20.0);
}

/* Blocks of awkward sizes: the output must not depend on them. */
static const size_t blocks[] = {160, 7, 333, 1, 80, 159, 241};

static void gen_blocks(const struct tones_def *d, int16_t *out, size_t n)
{
	struct tones_gen g;
	size_t i = 0, b = 0;

	tones_gen_init(&g, d);
	while (i < n) {
		size_t k = blocks[b++ % (sizeof(blocks) / sizeof(blocks[0]))];

		if (k > n - i)
			k = n - i;
		tones_gen_linear(&g, out + i, k);
		i += k;
	}
}

TEST(set_lookup)
{
	const struct tones_def *d;

	CHECK_INT(tones_set_check("us"), 0);
	CHECK_INT(tones_set_check("uk"), 0);
	CHECK_INT(tones_set_check("de"), 0);
	CHECK_INT(tones_set_check("DE"), 0);
	CHECK_INT(tones_set_check("fr-xx"), -ENOENT);
	CHECK_INT(tones_set_check(""), -ENOENT);
	CHECK_INT(tones_set_check(NULL), -ENOENT);
	CHECK_INT(tones_get("zz", TONES_BUSY, &d), -ENOENT);
	CHECK_INT(tones_get("us", (enum tones_kind)7, &d), -EINVAL);
	CHECK_INT(tones_get("uk", TONES_BUSY, &d), 0);
	CHECK_INT(d->f1_hz, 400);
	CHECK(tones_set_count() >= 3);
	CHECK(tones_set_at(tones_set_count()) == NULL);
	CHECK_STR(tones_kind_name(TONES_CONGESTION), "congestion");
	CHECK_STR(tones_kind_name((enum tones_kind)9), "?");
}

/* The ITU-T E.180 values the brief names, independent of the table. */
TEST(e180_values)
{
	static const struct {
		const char *set;
		enum tones_kind k;
		unsigned f1, f2;
		unsigned cad[4];
	} want[] = {
	    {"us", TONES_RINGBACK, 440, 480, {2000, 4000, 0, 0}},
	    {"us", TONES_BUSY, 480, 620, {500, 500, 0, 0}},
	    {"us", TONES_CONGESTION, 480, 620, {250, 250, 0, 0}},
	    {"us", TONES_DIAL, 350, 440, {0, 0, 0, 0}},
	    {"uk", TONES_RINGBACK, 400, 450, {400, 200, 400, 2000}},
	    {"uk", TONES_BUSY, 400, 0, {375, 375, 0, 0}},
	    {"uk", TONES_CONGESTION, 400, 0, {400, 350, 225, 525}},
	    {"uk", TONES_DIAL, 350, 440, {0, 0, 0, 0}},
	    {"de", TONES_RINGBACK, 425, 0, {1000, 4000, 0, 0}},
	    {"de", TONES_BUSY, 425, 0, {480, 480, 0, 0}},
	    {"de", TONES_CONGESTION, 425, 0, {240, 240, 0, 0}},
	    {"de", TONES_DIAL, 425, 0, {0, 0, 0, 0}},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct tones_def *d;

		CHECK_INT(tones_get(want[i].set, want[i].k, &d), 0);
		CHECK_INT(d->f1_hz, want[i].f1);
		CHECK_INT(d->f2_hz, want[i].f2);
		for (int j = 0; j < 4; j++)
			CHECK_INT(d->cadence_ms[j], want[i].cad[j]);
	}
}

/* Runs of "on" (some sample != 0 within 2 ms) and "off" in x, in
 * samples. */
static size_t runs(const int16_t *x, size_t n, unsigned *len, size_t cap)
{
	size_t nr = 0, i = 0;

	while (i < n && nr < cap) {
		size_t j = i;
		bool on = x[i] != 0;

		if (on) {
			/* on until 16 zero samples in a row */
			size_t zeros = 0;
			while (j < n && zeros < 16) {
				zeros = x[j] == 0 ? zeros + 1 : 0;
				j++;
			}
			if (zeros == 16)
				j -= 16;
		} else {
			while (j < n && x[j] == 0)
				j++;
			if (j - i < 16) {
				i = j; /* the first sample of a burst is 0 */
				continue;
			}
		}
		len[nr++] = (unsigned)(j - i);
		i = j;
	}
	return nr;
}

/* Frequencies and level of the n samples x of a burst of tone d. */
static bool check_spectrum(const struct tones_def *d, const int16_t *x,
			   size_t n)
{
	double want = dbm0_amp(d->level_dbm0), tot = rms(x, n), parts = 0;
	unsigned f[2] = {d->f1_hz, d->f2_hz};

	for (int i = 0; i < 2; i++) {
		double a, peak_f = 0, peak = 0;

		if (!f[i])
			continue;
		a = amp_at(x, n, f[i]);
		/* level within 0.5 dB */
		if (fabs(20 * log10(a / want)) > 0.5)
			return t_fail(__FILE__, __LINE__,
				      "%u Hz at %.1f, want %.1f", f[i], a,
				      want);
		/* frequency: the spectral peak near f is at f within 1.5 Hz */
		for (double t = f[i] - 20.0; t <= f[i] + 20.0; t += 0.5) {
			double v = amp_at(x, n, t);
			if (v > peak) {
				peak = v;
				peak_f = t;
			}
		}
		if (fabs(peak_f - f[i]) > 1.5)
			return t_fail(__FILE__, __LINE__, "%u Hz peaks at %.1f",
				      f[i], peak_f);
		parts += a * a / 2;
	}
	/* nothing else: the named tones hold >= 98% of the power */
	if (parts < 0.98 * tot * tot)
		return t_fail(__FILE__, __LINE__, "stray power %.3f",
			      1 - parts / (tot * tot));
	return true;
}

static void check_tone(const char *set, enum tones_kind k)
{
	const struct tones_def *d;
	unsigned cycle_ms = 0, run[64];
	size_t ncad = 0, n, nr;
	static int16_t x[MAX_SAMPLES], y[MAX_SAMPLES];
	static uint8_t g711[MAX_SAMPLES];
	struct tones_gen g;

	CHECK_INT(tones_get(set, k, &d), 0);
	for (; ncad < TONES_CADENCE_MAX && d->cadence_ms[ncad]; ncad++)
		cycle_ms += d->cadence_ms[ncad];
	n = 8 * (cycle_ms ? 2 * cycle_ms : 2000); /* two cycles, or 2 s */
	CHECK(n <= MAX_SAMPLES);

	/* one call vs odd blocks: the same samples (phase continuity) */
	tones_gen_init(&g, d);
	tones_gen_linear(&g, x, n);
	gen_blocks(d, y, n);
	for (size_t i = 0; i < n; i++)
		CHECK_INT(y[i], x[i]);

	/* cadence: the on/off runs of two cycles */
	nr = runs(y, n, run, 64);
	if (ncad == 0) {
		CHECK_INT(nr, 1);
		CHECK(run[0] >= 16000 - 2 && run[0] <= 16000);
		CHECK(check_spectrum(d, y, n));
	} else {
		size_t off = 0;

		CHECK_INT(nr, 2 * ncad);
		for (size_t i = 0; i < nr; i++) {
			/* exact to 2 samples (a burst starts at phase 0) */
			int want = d->cadence_ms[i % ncad] * 8;
			CHECK((int)run[i] >= want - 2 &&
			      (int)run[i] <= want + 2);
		}
		/* spectrum of every burst */
		for (size_t i = 0; i < nr; i++) {
			size_t len = (size_t)d->cadence_ms[i % ncad] * 8;
			if (i % 2 == 0)
				CHECK(check_spectrum(d, y + off, len));
			off += len;
		}
	}

	/* A Goertzel window across block edges (at 160, 167, 500, ...)
	 * sees the full coherent amplitude: no phase jump. */
	{
		size_t len = 1200; /* 150 ms */
		double a = amp_at(y + 100, len, d->f1_hz);
		double want = dbm0_amp(d->level_dbm0);
		CHECK(fabs(20 * log10(a / want)) < 0.5);
	}

	/* G.711: the same tone, coded */
	for (int law = 0; law < 2; law++) {
		enum tdm_law l = law ? TDM_LAW_ULAW : TDM_LAW_ALAW;

		tones_gen_init(&g, d);
		tones_gen_g711(&g, l, g711, n);
		for (size_t i = 0; i < n; i++) {
			uint8_t c =
			    law ? linear_to_ulaw(x[i]) : linear_to_alaw(x[i]);
			CHECK_INT(g711[i], c);
		}
	}
}

TEST(all_sets_all_tones)
{
	for (size_t s = 0; s < tones_set_count(); s++) {
		for (int k = 0; k < TONES_KINDS; k++) {
			check_tone(tones_set_at(s)->name, (enum tones_kind)k);
		}
	}
}

/* Adjacent samples never differ by more than the tone's slope allows,
 * including at every block edge. */
TEST(no_jumps_at_block_edges)
{
	const struct tones_def *d;
	int16_t y[16000];

	CHECK_INT(tones_get("us", TONES_DIAL, &d), 0);
	gen_blocks(d, y, 16000);
	{
		double a = dbm0_amp(d->level_dbm0);
		double slope = a * 2 * M_PI * (d->f1_hz + d->f2_hz) / RATE;

		for (size_t i = 1; i < 16000; i++)
			CHECK(abs(y[i] - y[i - 1]) <= slope + 2);
	}
}

TEST(osc_single_and_silent)
{
	struct tones_osc o;
	int16_t x[800];

	tones_osc_init(&o, 1000, 0, 0, 0);
	tones_osc_gen(&o, x, 800);
	CHECK_INT(x[0], 0);
	CHECK(fabs(20 * log10(amp_at(x, 800, 1000) / dbm0_amp(0))) < 0.3);
	tones_osc_init(&o, 0, -10, 5000, -10); /* above Nyquist: off */
	tones_osc_gen(&o, x, 800);
	CHECK(rms(x, 800) == 0);
}
