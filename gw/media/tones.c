/*
 * Call-progress tone sets and a cadenced tone generator (see tones.h).
 * Frequencies and cadences follow ITU-T E.180 Supplement 2 ("Various tones
 * used in national networks") for each country; levels are nominal
 * per-frequency values in the range those tables give.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <spandsp.h>

#include "media/tones.h"

/* Below this a frequency is treated as absent. */
#define TONES_LEVEL_OFF_DBM0 (-90.0f) /* dBm0 */

static const struct tones_set tones_sets[] = {
    {
	.name = "us",
	.desc = "North America (precise tone plan)",
	.def =
	    {
		/* 350+440 Hz continuous, -13 dBm0 per tone */
		[TONES_DIAL] = {350, 440, -13, {0}},
		/* 440+480 Hz, 2 s on 4 s off */
		[TONES_RINGBACK] = {440, 480, -19, {2000, 4000}},
		/* 480+620 Hz, 0.5 s on 0.5 s off */
		[TONES_BUSY] = {480, 620, -24, {500, 500}},
		/* reorder: 480+620 Hz, 0.25 s on 0.25 s off */
		[TONES_CONGESTION] = {480, 620, -24, {250, 250}},
	    },
    },
    {
	.name = "uk",
	.desc = "United Kingdom",
	.def =
	    {
		/* 350+440 Hz continuous */
		[TONES_DIAL] = {350, 440, -13, {0}},
		/* 400+450 Hz, 0.4 on 0.2 off 0.4 on 2.0 off */
		[TONES_RINGBACK] = {400, 450, -19, {400, 200, 400, 2000}},
		/* 400 Hz, 0.375 s on 0.375 s off */
		[TONES_BUSY] = {400, 0, -13, {375, 375}},
		/* 400 Hz, 0.4 on 0.35 off 0.225 on 0.525 off */
		[TONES_CONGESTION] = {400, 0, -13, {400, 350, 225, 525}},
	    },
    },
    {
	.name = "de",
	.desc = "Germany",
	.def =
	    {
		/* 425 Hz continuous */
		[TONES_DIAL] = {425, 0, -13, {0}},
		/* 425 Hz, 1 s on 4 s off */
		[TONES_RINGBACK] = {425, 0, -13, {1000, 4000}},
		/* 425 Hz, 0.48 s on 0.48 s off */
		[TONES_BUSY] = {425, 0, -13, {480, 480}},
		/* 425 Hz, 0.24 s on 0.24 s off */
		[TONES_CONGESTION] = {425, 0, -13, {240, 240}},
	    },
    },
};

#define TONES_NSETS (sizeof(tones_sets) / sizeof(tones_sets[0]))

const struct tones_set *tones_set_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < TONES_NSETS; i++)
		if (strcasecmp(tones_sets[i].name, name) == 0)
			return &tones_sets[i];
	return NULL;
}

int tones_set_check(const char *name)
{
	return tones_set_find(name) ? 0 : -ENOENT;
}

size_t tones_set_count(void)
{
	return TONES_NSETS;
}

const struct tones_set *tones_set_at(size_t i)
{
	return i < TONES_NSETS ? &tones_sets[i] : NULL;
}

int tones_get(const char *name, enum tones_kind kind,
	      const struct tones_def **dp)
{
	const struct tones_set *s = tones_set_find(name);

	if (!s)
		return -ENOENT;
	if ((unsigned)kind >= TONES_KINDS)
		return -EINVAL;
	*dp = &s->def[kind];
	return 0;
}

const char *tones_kind_name(enum tones_kind kind)
{
	switch (kind) {
	case TONES_DIAL:
		return "dial";
	case TONES_RINGBACK:
		return "ringback";
	case TONES_BUSY:
		return "busy";
	case TONES_CONGESTION:
		return "congestion";
	}
	return "?";
}

void tones_osc_init(struct tones_osc *o, unsigned f1_hz, float l1_dbm0,
		    unsigned f2_hz, float l2_dbm0)
{
	unsigned f[2] = {f1_hz, f2_hz};
	float l[2] = {l1_dbm0, l2_dbm0};

	for (int i = 0; i < 2; i++) {
		o->phase[i] = 0;
		if (f[i] == 0 || f[i] >= TONES_RATE_HZ / 2 ||
		    l[i] < TONES_LEVEL_OFF_DBM0) {
			o->rate[i] = 0;
			o->scale[i] = 0;
			continue;
		}
		o->rate[i] = dds_phase_rate((float)f[i]);
		o->scale[i] = dds_scaling_dbm0(l[i]);
	}
}

void tones_osc_gen(struct tones_osc *o, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int32_t s = 0;

		/* dds_mod() returns the sample at the current phase, then
		 * advances it: a phase of 0 gives 0 first. */
		if (o->scale[0])
			s += dds_mod(&o->phase[0], o->rate[0], o->scale[0], 0);
		if (o->scale[1])
			s += dds_mod(&o->phase[1], o->rate[1], o->scale[1], 0);
		if (s > INT16_MAX)
			s = INT16_MAX;
		else if (s < INT16_MIN)
			s = INT16_MIN;
		out[i] = (int16_t)s;
	}
}

static uint32_t tones_ms_to_samples(unsigned ms)
{
	return (uint32_t)ms * (TONES_RATE_HZ / 1000);
}

static bool tones_continuous(const struct tones_def *d)
{
	return d->cadence_ms[0] == 0;
}

/* Enters cadence segment seg (even: on, odd: off). */
static void tones_gen_enter(struct tones_gen *g, unsigned seg)
{
	const struct tones_def *d = g->def;

	if (seg >= TONES_CADENCE_MAX || d->cadence_ms[seg] == 0)
		seg = 0;
	g->seg = seg;
	g->seg_left = tones_ms_to_samples(d->cadence_ms[seg]);
	if (seg % 2 == 0)
		tones_osc_init(&g->osc, d->f1_hz, d->level_dbm0, d->f2_hz,
			       d->level_dbm0);
}

void tones_gen_init(struct tones_gen *g, const struct tones_def *def)
{
	g->def = def;
	if (tones_continuous(def)) {
		g->seg = 0;
		g->seg_left = 0;
		tones_osc_init(&g->osc, def->f1_hz, def->level_dbm0, def->f2_hz,
			       def->level_dbm0);
		return;
	}
	tones_gen_enter(g, 0);
}

void tones_gen_linear(struct tones_gen *g, int16_t *out, size_t n)
{
	if (tones_continuous(g->def)) {
		tones_osc_gen(&g->osc, out, n);
		return;
	}
	while (n > 0) {
		size_t k = n < g->seg_left ? n : g->seg_left;

		if (g->seg % 2 == 0)
			tones_osc_gen(&g->osc, out, k);
		else
			memset(out, 0, k * sizeof(*out));
		out += k;
		n -= k;
		g->seg_left -= (uint32_t)k;
		if (g->seg_left == 0)
			tones_gen_enter(g, g->seg + 1);
	}
}

void tones_gen_g711(struct tones_gen *g, enum tdm_law law, uint8_t *out,
		    size_t n)
{
	int16_t buf[160];

	while (n > 0) {
		size_t k = n < 160 ? n : 160;

		tones_gen_linear(g, buf, k);
		for (size_t i = 0; i < k; i++) {
			switch (law) {
			case TDM_LAW_ALAW:
				out[i] = linear_to_alaw(buf[i]);
				break;
			case TDM_LAW_ULAW:
				out[i] = linear_to_ulaw(buf[i]);
				break;
			}
		}
		out += k;
		n -= k;
	}
}
