/*
 * Connect-tone gate (see ctone.h): the DFT bins at 1100 and 2100 Hz over
 * 10 ms sub-blocks. With N = 80 at 8000 Hz the bins are 100 Hz apart and
 * both frequencies sit on a bin; a tone at the edge of its tolerance
 * (CNG 1100 +-38 Hz, ANS 2100 +-15 Hz) still puts about 60 % of its
 * power in the bin, above CTONE_MIN_PCT. The bins are correlations with
 * tabulated cosines and sines, four samples at a time: independent sums
 * the compiler keeps in vector registers, where a Goertzel recursion
 * would wait on each sample's multiply-add in turn.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "ctone.h"

#define CTONE_PI 3.14159265358979323846

typedef float v4f __attribute__((vector_size(16)));

/* cos, sin at 1100 Hz, then at 2100 Hz, for sample n of a sub-block */
static float tab[4][CTONE_SUB];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void tab_init(void)
{
	static const double hz[2] = {1100.0, 2100.0};
	for (int k = 0; k < 2; k++)
		for (int n = 0; n < CTONE_SUB; n++) {
			double w = 2.0 * CTONE_PI * hz[k] * n / 8000.0;
			tab[2 * k][n] = (float)cos(w);
			tab[2 * k + 1][n] = (float)sin(w);
		}
}

void ctone_gate_init(struct ctone_gate *g)
{
	pthread_once(&tab_once, tab_init);
	memset(g, 0, sizeof(*g));
}

/* End of a sub-block: is most of its power in a bin? */
static bool sub_block_tone(struct ctone_gate *g)
{
	bool tone = false;
	float e = g->energy;
	for (int k = 0; k < 2; k++) {
		/* a sine of amplitude A over N samples on the bin gives
		 * |X|^2 = (A N / 2)^2 while its energy is A^2 N / 2: the bin's
		 * share of the energy is 2 |X|^2 / (N e) */
		float p = g->re[k] * g->re[k] + g->im[k] * g->im[k];
		if (e >= (float)CTONE_MIN_MS * CTONE_SUB &&
		    2.0f * p * 100.0f >=
			(float)CTONE_MIN_PCT * (float)CTONE_SUB * e)
			tone = true;
		g->re[k] = g->im[k] = 0;
	}
	g->energy = 0;
	g->sub = 0;
	return tone;
}

static float hsum(v4f v)
{
	return (v[0] + v[1]) + (v[2] + v[3]);
}

/* Adds samples x[0, k) at sub-block positions [p, p + k) to the bins. */
static void correlate(struct ctone_gate *g, const int16_t *x, size_t k,
		      size_t p)
{
	v4f c0 = {0}, s0 = {0}, c1 = {0}, s1 = {0}, e = {0};
	size_t j = 0;
	for (; j + 4 <= k; j += 4) {
		v4f v = {(float)x[j], (float)x[j + 1], (float)x[j + 2],
			 (float)x[j + 3]};
		v4f t0, t1, t2, t3;
		memcpy(&t0, &tab[0][p + j], sizeof(t0));
		memcpy(&t1, &tab[1][p + j], sizeof(t1));
		memcpy(&t2, &tab[2][p + j], sizeof(t2));
		memcpy(&t3, &tab[3][p + j], sizeof(t3));
		c0 += v * t0;
		s0 += v * t1;
		c1 += v * t2;
		s1 += v * t3;
		e += v * v;
	}
	float re0 = hsum(c0), im0 = hsum(s0), re1 = hsum(c1), im1 = hsum(s1);
	float en = hsum(e);
	for (; j < k; j++) {
		float v = (float)x[j];
		re0 += v * tab[0][p + j];
		im0 += v * tab[1][p + j];
		re1 += v * tab[2][p + j];
		im1 += v * tab[3][p + j];
		en += v * v;
	}
	g->re[0] += re0;
	g->im[0] += im0;
	g->re[1] += re1;
	g->im[1] += im1;
	g->energy += en;
}

bool ctone_gate_block(struct ctone_gate *g, const int16_t *x, size_t n)
{
	bool open = g->hold > 0;
	size_t i = 0;
	while (i < n) {
		size_t k = CTONE_SUB - g->sub;
		if (k > n - i)
			k = n - i;
		correlate(g, x + i, k, g->sub);
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
