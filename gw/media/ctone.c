/*
 * Connect-tone gate (see ctone.h): Goertzel at 1100 and 2100 Hz over
 * 10 ms sub-blocks. With N = 80 at 8000 Hz the bins are 100 Hz apart and
 * both frequencies sit on a bin; a tone at the edge of its tolerance
 * (CNG 1100 +-38 Hz, ANS 2100 +-15 Hz) still puts about 60 % of its
 * power in the bin, above CTONE_MIN_PCT.
 */
#include <string.h>

#include "ctone.h"

/* 2 cos(2 pi f / 8000) for f = 1100 and 2100 Hz */
static const float coef[2] = {1.2988960f, -0.1569182f};

void ctone_gate_init(struct ctone_gate *g)
{
	memset(g, 0, sizeof(*g));
}

/* End of a sub-block: is most of its power in a bin? */
static bool sub_block_tone(struct ctone_gate *g)
{
	bool tone = false;
	float e = g->energy;
	for (int k = 0; k < 2; k++) {
		float s1 = g->s1[k], s2 = g->s2[k];
		/* |X(k)|^2; a sine of amplitude A over N samples on the bin
		 * gives (A N / 2)^2 while its energy is A^2 N / 2: the bin's
		 * share of the energy is 2 |X|^2 / (N e) */
		float p = s1 * s1 + s2 * s2 - coef[k] * s1 * s2;
		if (e >= (float)CTONE_MIN_MS * CTONE_SUB &&
		    2.0f * p * 100.0f >=
			(float)CTONE_MIN_PCT * (float)CTONE_SUB * e)
			tone = true;
		g->s1[k] = g->s2[k] = 0;
	}
	g->energy = 0;
	g->sub = 0;
	return tone;
}

bool ctone_gate_block(struct ctone_gate *g, const int16_t *x, size_t n)
{
	bool open = g->hold > 0;
	size_t i = 0;
	while (i < n) {
		size_t k = CTONE_SUB - g->sub;
		if (k > n - i)
			k = n - i;
		float a1 = g->s1[0], a2 = g->s2[0];
		float b1 = g->s1[1], b2 = g->s2[1];
		float e = g->energy;
		for (size_t j = i; j < i + k; j++) {
			float v = (float)x[j];
			float a0 = v + coef[0] * a1 - a2;
			float b0 = v + coef[1] * b1 - b2;
			a2 = a1;
			a1 = a0;
			b2 = b1;
			b1 = b0;
			e += v * v;
		}
		g->s1[0] = a1;
		g->s2[0] = a2;
		g->s1[1] = b1;
		g->s2[1] = b2;
		g->energy = e;
		g->sub += (unsigned)k;
		i += k;
		if (g->sub == CTONE_SUB && sub_block_tone(g)) {
			g->opened++;
			g->hold = CTONE_HOLD + (unsigned)n;
			open = true;
		}
	}
	g->hold = g->hold > n ? g->hold - (unsigned)n : 0;
	return open;
}
