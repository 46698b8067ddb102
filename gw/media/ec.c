/*
 * Line echo canceller (see ec.h). Per sample: both inputs are DC-blocked;
 * a background filter adapts (IPNLMS, a proportionate NLMS, on a robustly
 * clipped error) while the far end talks and the Geigel detector sees no
 * double talk; a foreground copy of it, promoted only when the background
 * proves better over several windows, produces the output, so undetected
 * double talk cannot damage what was learnt (two-path structure, Ochiai
 * et al., IEEE Trans. Comm. 1977). A diverged background filter is
 * restored from the foreground one; an echo path change, seen as the output
 * filter adding echo, clears both. The NLP replaces the residual by comfort
 * noise (or silence) while the far end talks and the output is well below
 * the far-end level.
 *
 * Speed: the update of sample t-1 is deferred and fused with both filters'
 * dot products for sample t, so each tap is loaded once per sample; the
 * loop is written on 4-float vectors (GCC/clang vector extensions), with an
 * AVX2+FMA variant picked at run time on x86-64.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/ec.h"

/* -DEC_HAVE_AVX2=0 builds the portable kernel only */
#ifndef EC_HAVE_AVX2
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EC_HAVE_AVX2 1
#else
#define EC_HAVE_AVX2 0
#endif
#endif
#if EC_HAVE_AVX2
#include <immintrin.h>
#endif

/* 0 dBm0 as an rms value: full-scale square wave is +6.16 dBm0 (A-law,
 * ITU-T G.711; spandsp's DBM0_MAX_POWER). */
#define EC_DBM0_RMS 16123.0f
/* power (rms^2) of a level in dBm0; evaluated once, in ec_new() */
#define EC_POW(dbm0) (EC_DBM0_RMS * EC_DBM0_RMS * powf(10.0f, (dbm0) / 10.0f))

#define EC_HPF_POLE    (1.0f - 1.0f / 128) /* DC blocker: -3 dB at ~10 Hz */
#define EC_MU	       0.5f		   /* IPNLMS step, 0 < mu < 2 */
#define EC_IP_ALPHA    0.5f    /* IPNLMS: -1 is NLMS, toward 1 proportionate */
#define EC_L1_EPS      1e-3f   /* keeps the proportionate gains finite */
#define EC_HUBER_K     1.1f    /* errors clipped at 1.1 times their scale */
#define EC_HUBER_BETA  0.6607f /* E[min(|z|, 1.1)], z ~ N(0,1): scale = rms */
#define EC_SCALE_UP    (1.0f / 512)  /* error scale rise, ~64 ms */
#define EC_SCALE_DOWN  (1.0f / 1024) /* error scale fall, ~128 ms */
#define EC_SCALE_MIN   5.0f	     /* error scale floor, about -70 dBm0 rms */
#define EC_EPS_DBM0    (-60.0f)	     /* dBm0: NLMS regularisation per tap */
#define EC_FAR_DBM0    (-45.0f)	     /* dBm0: far end active over the tail */
#define EC_GEIGEL_K    0.5f	/* |rx| > 0.5 max|tx|: G.168 assumes ERL 6 dB */
#define EC_DT_HANG     240	/* samples (30 ms) double-talk hangover */
#define EC_BLK	       16	/* samples per block of the far-end maxima */
#define EC_WIN	       128	/* samples (16 ms) per comparison window */
#define EC_COPY_RATIO  0.5f	/* bg error 3 dB below fg: promote bg */
#define EC_COPY_WINS   2	/* windows in a row before promoting */
#define EC_COPY_ERLE   4.0f	/* bg must remove 6 dB of Sin to be promoted */
#define EC_BG_BAD      2.0f	/* bg error 3 dB above fg: bg diverged */
#define EC_BG_BAD_WINS 4	/* windows in a row before restoring bg */
#define EC_PATH_RATIO  1.5f	/* fg error 1.8 dB above Sin: fg adds echo */
#define EC_PATH_WINS   2	/* windows (32 ms) of that: a new echo path */
#define EC_PATH_MIN_DB (-30.0f) /* dB: Sin level vs Rin for that test */
#define EC_NLP_DB      18.0f	/* dB: clip when Sout is this far below Rin */
#define EC_CLEAN_UP    (1.0f / 8)   /* Sout level attack, ~1 ms */
#define EC_CLEAN_DOWN  (1.0f / 128) /* Sout level release, ~16 ms */
#define EC_NF_INIT     800 /* samples (100 ms) plain average at start */
#define EC_NF_SMOOTH   (1.0f / 128)  /* noise level smoothing, ~16 ms */
#define EC_NF_FALL     (1.0f / 64)   /* noise floor follows dips, ~8 ms */
#define EC_NF_RISE     (1.0f / 8192) /* and rises slowly, ~1 s */
#define EC_ERLE_SMOOTH (1.0f / 8)    /* per window: ~128 ms */
#define EC_CONV_DB     20.0f	     /* dB: the ERLE G.168 test 2 asks for */
#define EC_HIST_SLACK  1024	     /* samples between history moves */

typedef float ec_v4 __attribute__((vector_size(16)));
typedef int32_t ec_v4i __attribute__((vector_size(16)));

/*
 * What the fused kernel computes for one sample, x being the far-end
 * window of t-1 (x[0..n-1]) followed by the newest sample (x[n]):
 * first the deferred IPNLMS update of t-1, w_bg[k] += c (a0 + a1 |w_bg[k]|)
 * x[k] (skipped when c is 0), then with the updated w_bg and the window of
 * t, x[1..n]: y_bg = w_bg . x, y_fg = w_fg . x, l1 = sum |w_bg[k]| and
 * q = sum |w_bg[k]| x[k+1]^2 (the proportionate part of the next step's
 * normalisation), both from the updated |w_bg|: the next update's gains
 * must be the ones its normalisation was computed with, or the step can
 * exceed the stable range while the filter grows from zero. n is a
 * multiple of 16; w_bg and w_fg are 32-byte aligned.
 */
struct ec_kout {
	float y_bg, y_fg, l1, q;
};

typedef void ec_kernel_fn(float *w_bg, const float *w_fg, const float *x,
			  float c, float a0, float a1, size_t n,
			  struct ec_kout *o);

struct ec_hpf {
	float x1, y1;
};

/* One canceller; owned by its creator (ec_new/ec_free). */
struct ec {
	struct ec_conf conf;
	size_t taps;	 /* N = tail_ms * 8 */
	size_t hist_len; /* N + EC_HIST_SLACK */
	size_t pos;	 /* next write index in hist */
	float *mem;	 /* one allocation for the arrays below */
	float *hist;	 /* far end after the DC blocker, oldest first */
	float *w_bg;	 /* adaptive filter; w[k] weighs hist[t-N+1+k] */
	float *w_fg;	 /* output filter, same layout */
	float *blk_max;	 /* max |tx| per EC_BLK block over the tail */
	size_t nblk, blk_i;
	unsigned blk_n;
	float cur_max, tail_max;
	ec_kernel_fn *kernel;
	double far_min;	 /* xpow above this: far end active */
	double eps;	 /* NLMS regularisation added to xpow */
	float nlp_ratio; /* EC_NLP_DB as a power ratio */
	float path_min;	 /* EC_PATH_MIN_DB as a power ratio */
	double xpow;	 /* sum of squares of the last N far-end samples */
	float c_pend;	 /* IPNLMS step for the window ending at t-1 */
	float a1_pend;	 /* its proportionate gain per |w| */
	float a0;	 /* IPNLMS uniform gain per tap, (1 - alpha) / 2N */
	float scale;	 /* robust scale of the background error */
	struct ec_hpf hp_tx, hp_rx;
	unsigned dt_hang; /* samples of double-talk hangover left */
	bool enabled;
	/* comparison window */
	double win_d, win_fg, win_bg;
	unsigned win_n, win_act;
	bool win_dt;
	unsigned better_wins, bg_bad_wins, path_wins;
	/* levels */
	float p_clean; /* Sout power, fast attack, slow release */
	float p_nf;    /* smoothed Sout power while the far end is silent */
	float nf;      /* noise floor (power) for comfort noise */
	unsigned nf_n;
	uint32_t cng_seed;
	double erle_d, erle_e; /* smoothed window powers for erle_db */
	/* statistics */
	uint64_t samples, clipped, dt_count, fg_copies, resets;
};

static ec_v4 ec_ld(const float *p)
{
	ec_v4 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void ec_st(float *p, ec_v4 v)
{
	memcpy(p, &v, sizeof(v));
}

static ec_v4 ec_abs4(ec_v4 v)
{
	ec_v4i m = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
	return (ec_v4)((ec_v4i)v & m);
}

static float ec_hsum4(ec_v4 a, ec_v4 b)
{
	ec_v4 v = a + b;
	return (v[0] + v[2]) + (v[1] + v[3]);
}

/*
 * One step of the kernel on 4 taps at i: the update (when UPD) and the four
 * sums into the accumulators suffixed J. A macro rather than a loop over
 * arrays so that, at -O2, the accumulators stay in registers.
 */
#define EC_GEN_STEP(UPD, J)                                                    \
	do {                                                                   \
		ec_v4 xn = ec_ld(x + i + 1), w = ec_ld(w_bg + i);              \
		if (UPD) {                                                     \
			w += (c0 + c1 * ec_abs4(w)) * ec_ld(x + i);            \
			ec_st(w_bg + i, w);                                    \
		}                                                              \
		ec_v4 aw = ec_abs4(w);                                         \
		ab##J += w * xn;                                               \
		af##J += ec_ld(w_fg + i) * xn;                                 \
		al##J += aw;                                                   \
		aq##J += aw * (xn * xn);                                       \
		i += 4;                                                        \
	} while (0)

/* Portable kernel on 4-float vectors (SSE2, NEON), 8 taps per step with two
 * accumulators per output to hide the add latency. */
static void ec_kernel_generic(float *w_bg, const float *w_fg, const float *x,
			      float c, float a0, float a1, size_t n,
			      struct ec_kout *o)
{
	ec_v4 cv = {c, c, c, c}, c0 = cv * a0, c1 = cv * a1;
	ec_v4 ab0 = {0}, af0 = {0}, al0 = {0}, aq0 = {0};
	ec_v4 ab1 = {0}, af1 = {0}, al1 = {0}, aq1 = {0};
	size_t i = 0;

	if (c != 0.0f) {
		while (i < n) {
			EC_GEN_STEP(1, 0);
			EC_GEN_STEP(1, 1);
		}
	} else {
		while (i < n) {
			EC_GEN_STEP(0, 0);
			EC_GEN_STEP(0, 1);
		}
	}
	o->y_bg = ec_hsum4(ab0, ab1);
	o->y_fg = ec_hsum4(af0, af1);
	o->l1 = ec_hsum4(al0, al1);
	o->q = ec_hsum4(aq0, aq1);
}

#if EC_HAVE_AVX2
#define EC_AVX2 __attribute__((target("avx2,fma")))

EC_AVX2 static float ec_hsum8(__m256 a, __m256 b)
{
	__m256 v = _mm256_add_ps(a, b);
	__m128 s =
	    _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
	return _mm_cvtss_f32(s);
}

/* ec_kernel_avx2's EC_GEN_STEP: 8 taps at i. */
#define EC_AVX2_STEP(UPD, J)                                                   \
	do {                                                                   \
		__m256 xn = _mm256_loadu_ps(x + i + 1);                        \
		__m256 w = _mm256_load_ps(w_bg + i);                           \
		if (UPD) {                                                     \
			__m256 g =                                             \
			    _mm256_fmadd_ps(c1, _mm256_and_ps(w, mask), c0);   \
			w = _mm256_fmadd_ps(g, _mm256_loadu_ps(x + i), w);     \
			_mm256_store_ps(w_bg + i, w);                          \
		}                                                              \
		__m256 aw = _mm256_and_ps(w, mask);                            \
		ab##J = _mm256_fmadd_ps(w, xn, ab##J);                         \
		af##J = _mm256_fmadd_ps(_mm256_load_ps(w_fg + i), xn, af##J);  \
		al##J = _mm256_add_ps(al##J, aw);                              \
		aq##J = _mm256_fmadd_ps(aw, _mm256_mul_ps(xn, xn), aq##J);     \
		i += 8;                                                        \
	} while (0)

/* Same contract as ec_kernel_generic: 8-float vectors, fused
 * multiply-adds, 16 taps per step. */
EC_AVX2 static void ec_kernel_avx2(float *w_bg, const float *w_fg,
				   const float *x, float c, float a0, float a1,
				   size_t n, struct ec_kout *o)
{
	const __m256 c0 = _mm256_set1_ps(c * a0), c1 = _mm256_set1_ps(c * a1);
	const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 ab0 = _mm256_setzero_ps(), af0 = ab0, al0 = ab0, aq0 = ab0;
	__m256 ab1 = ab0, af1 = ab0, al1 = ab0, aq1 = ab0;
	size_t i = 0;

	if (c != 0.0f) {
		while (i < n) {
			EC_AVX2_STEP(1, 0);
			EC_AVX2_STEP(1, 1);
		}
	} else {
		while (i < n) {
			EC_AVX2_STEP(0, 0);
			EC_AVX2_STEP(0, 1);
		}
	}
	o->y_bg = ec_hsum8(ab0, ab1);
	o->y_fg = ec_hsum8(af0, af1);
	o->l1 = ec_hsum8(al0, al1);
	o->q = ec_hsum8(aq0, aq1);
}
#endif

static ec_kernel_fn *ec_pick_kernel(void)
{
#if EC_HAVE_AVX2
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return ec_kernel_avx2;
#endif
	return ec_kernel_generic;
}

static float ec_hpf(struct ec_hpf *h, float x)
{
	float y = x - h->x1 + EC_HPF_POLE * h->y1;
	h->x1 = x;
	h->y1 = y;
	return y;
}

/* Clears the far-end history and short-term detectors; keeps filters. */
static void ec_restart(struct ec *e)
{
	memset(e->hist, 0, e->hist_len * sizeof(float));
	memset(e->blk_max, 0, e->nblk * sizeof(float));
	e->pos = e->taps;
	e->blk_i = 0;
	e->blk_n = 0;
	e->cur_max = e->tail_max = 0;
	e->xpow = 0;
	e->c_pend = e->a1_pend = 0;
	e->scale = EC_DBM0_RMS; /* large: no clipping until it has settled */
	e->hp_tx = e->hp_rx = (struct ec_hpf){0, 0};
	e->dt_hang = 0;
	e->win_d = e->win_fg = e->win_bg = 0;
	e->win_n = e->win_act = 0;
	e->win_dt = false;
	e->better_wins = e->bg_bad_wins = e->path_wins = 0;
	e->p_clean = 0;
}

void ec_reset(struct ec *e)
{
	ec_restart(e);
	memset(e->w_bg, 0, e->taps * sizeof(float));
	memset(e->w_fg, 0, e->taps * sizeof(float));
	e->enabled = true;
	e->p_nf = e->nf = 0;
	e->nf_n = 0;
	e->cng_seed = 0x2545f491u;
	e->erle_d = e->erle_e = 0;
	e->samples = e->clipped = e->dt_count = 0;
	e->fg_copies = e->resets = 0;
}

struct ec *ec_new(const struct ec_conf *conf)
{
	if (!conf || conf->tail_ms < EC_TAIL_MS_MIN ||
	    conf->tail_ms > EC_TAIL_MS_MAX ||
	    conf->tail_ms % EC_TAIL_MS_STEP != 0)
		return NULL;
	struct ec *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->conf = *conf;
	e->taps = (size_t)conf->tail_ms * (EC_RATE_HZ / 1000);
	e->hist_len = e->taps + EC_HIST_SLACK;
	e->nblk = e->taps / EC_BLK;
	size_t nfloat = 2 * e->taps + e->hist_len + e->nblk;
	size_t bytes = (nfloat * sizeof(float) + 63) / 64 * 64;
	e->mem = aligned_alloc(64, bytes);
	if (!e->mem) {
		free(e);
		return NULL;
	}
	memset(e->mem, 0, bytes);
	e->w_bg = e->mem;
	e->w_fg = e->w_bg + e->taps;
	e->hist = e->w_fg + e->taps;
	e->blk_max = e->hist + e->hist_len;
	e->kernel = ec_pick_kernel();
	e->far_min = (double)e->taps * EC_POW(EC_FAR_DBM0);
	e->eps = (double)e->taps * EC_POW(EC_EPS_DBM0);
	e->nlp_ratio = powf(10.0f, -EC_NLP_DB / 10);
	e->path_min = powf(10.0f, EC_PATH_MIN_DB / 10);
	e->a0 = (1 - EC_IP_ALPHA) / (2.0f * (float)e->taps);
	ec_reset(e);
	return e;
}

void ec_free(struct ec *e)
{
	if (!e)
		return;
	free(e->mem);
	free(e);
}

void ec_set_enabled(struct ec *e, bool on)
{
	if (on && !e->enabled)
		ec_restart(e);
	e->enabled = on;
}

bool ec_enabled(const struct ec *e)
{
	return e->enabled;
}

/* Appends a far-end sample; returns the start of the window of t-1. */
static const float *ec_push(struct ec *e, float x)
{
	size_t n = e->taps;
	if (e->pos == e->hist_len) {
		memmove(e->hist, e->hist + e->pos - n, n * sizeof(float));
		e->pos = n;
		double s = 0;
		for (size_t k = 0; k < n; k++)
			s += (double)e->hist[k] * e->hist[k];
		e->xpow = s; /* exact again: no drift from the running sum */
	}
	float old = e->hist[e->pos - n];
	e->xpow += (double)x * x - (double)old * old;
	if (e->xpow < 0)
		e->xpow = 0;
	e->hist[e->pos++] = x;
	return e->hist + e->pos - 1 - n;
}

/* Running max of |tx| over the tail, kept per EC_BLK block. */
static float ec_far_max(struct ec *e, float x)
{
	float a = fabsf(x);
	if (a > e->cur_max)
		e->cur_max = a;
	if (++e->blk_n == EC_BLK) {
		e->blk_max[e->blk_i] = e->cur_max;
		e->blk_i = (e->blk_i + 1) % e->nblk;
		float m = 0;
		for (size_t i = 0; i < e->nblk; i++)
			if (e->blk_max[i] > m)
				m = e->blk_max[i];
		e->tail_max = m;
		e->cur_max = 0;
		e->blk_n = 0;
	}
	return e->tail_max > e->cur_max ? e->tail_max : e->cur_max;
}

/*
 * Echo path change: the output filter makes Sin louder instead of quieter,
 * in windows where Sin is well above the noise (within EC_PATH_MIN_DB of
 * the far-end level). Double talk cannot do that: near-end speech adds to
 * both powers alike. Clear what is stale and let the error scale restart,
 * so that the robust update does not clip the new echo as an outlier.
 */
static void ec_path_check(struct ec *e)
{
	double p_far = e->xpow / (double)e->taps;
	if (e->win_fg <= EC_PATH_RATIO * e->win_d ||
	    e->win_d < e->win_act * p_far * e->path_min) {
		e->path_wins = 0;
		return;
	}
	if (++e->path_wins < EC_PATH_WINS)
		return;
	size_t bytes = e->taps * sizeof(float);
	memset(e->w_fg, 0, bytes);
	if (e->win_bg > e->win_d)
		memset(e->w_bg, 0, bytes);
	e->scale = EC_DBM0_RMS;
	e->resets++;
	e->path_wins = 0;
}

/* The background filter went astray: restart it from the output filter. */
static void ec_bg_restore(struct ec *e)
{
	memcpy(e->w_bg, e->w_fg, e->taps * sizeof(float));
	e->c_pend = 0;
	e->resets++;
	e->bg_bad_wins = 0;
}

/* End of a comparison window: promote, restore or reset the filters. */
static void ec_window_end(struct ec *e)
{
	size_t bytes = e->taps * sizeof(float);
	if (e->win_act >= EC_WIN / 2) {
		/* promote the background filter only when it is clearly
		 * better, really cancels echo (not a near-end signal it fitted
		 * during undetected double talk) and no double talk was seen */
		if (!e->win_dt && e->win_bg < EC_COPY_RATIO * e->win_fg &&
		    e->win_bg * EC_COPY_ERLE < e->win_d) {
			if (++e->better_wins >= EC_COPY_WINS) {
				memcpy(e->w_fg, e->w_bg, bytes);
				e->fg_copies++;
				e->better_wins = 0;
			}
		} else {
			e->better_wins = 0;
		}
		/* background clearly worse than the output filter: it adapted
		 * on near-end speech; restart it from the output filter */
		if (e->fg_copies > 0 && e->win_bg > EC_BG_BAD * e->win_fg) {
			if (++e->bg_bad_wins >= EC_BG_BAD_WINS)
				ec_bg_restore(e);
		} else {
			e->bg_bad_wins = 0;
		}
		ec_path_check(e);
		if (!e->win_dt) {
			e->erle_d += EC_ERLE_SMOOTH * (e->win_d - e->erle_d);
			e->erle_e += EC_ERLE_SMOOTH * (e->win_fg - e->erle_e);
		}
	}
	e->win_d = e->win_fg = e->win_bg = 0;
	e->win_n = e->win_act = 0;
	e->win_dt = false;
}

/* Comfort noise: white, uniform, with the power of the noise floor. */
static float ec_cng(struct ec *e)
{
	e->cng_seed = e->cng_seed * 1664525u + 1013904223u;
	float r = (float)(int32_t)e->cng_seed * (1.0f / 2147483648.0f);
	return r * sqrtf(3.0f * e->nf);
}

/* Tracks the background noise while the far end is silent. */
static void ec_noise(struct ec *e, float e2)
{
	if (e->nf_n < EC_NF_INIT) {
		e->nf_n++;
		e->p_nf += (e2 - e->p_nf) / (float)e->nf_n;
		e->nf = e->p_nf;
		return;
	}
	e->p_nf += EC_NF_SMOOTH * (e2 - e->p_nf);
	if (e->p_nf < e->nf)
		e->nf += EC_NF_FALL * (e->p_nf - e->nf);
	else
		e->nf += EC_NF_RISE * (e->p_nf - e->nf);
}

static int16_t ec_sat(float v)
{
	v += v >= 0 ? 0.5f : -0.5f;
	if (v >= 32767.0f)
		return 32767;
	if (v <= -32768.0f)
		return -32768;
	return (int16_t)v;
}

/* Non-linear processor: what goes out instead of e_fg, if anything. */
static float ec_nlp(struct ec *e, float out, bool far_active, bool dt)
{
	float e2 = out * out;
	float a = e2 > e->p_clean ? EC_CLEAN_UP : EC_CLEAN_DOWN;
	e->p_clean += a * (e2 - e->p_clean);
	float p_far = (float)(e->xpow / (double)e->taps);
	if (!far_active) {
		ec_noise(e, e2);
		return out;
	}
	if (!e->conf.nlp || dt || e->p_clean >= p_far * e->nlp_ratio)
		return out;
	e->clipped++;
	return e->conf.cng ? ec_cng(e) : 0.0f;
}

/*
 * Robust error for the update (Gaensler et al., "Double-talk robust fast
 * converging algorithms for network echo cancellation", IEEE Trans. Speech
 * Audio Proc. 2000): errors beyond EC_HUBER_K times a running scale are
 * clipped, so the first milliseconds of near-end speech, before the Geigel
 * test sees it, move the filter little. The scale follows the error rms.
 */
static float ec_huber(struct ec *e, float err)
{
	/* plain comparisons: fminf() is a library call at -O2 */
	float lim = EC_HUBER_K * e->scale;
	float a = fabsf(err);
	if (a > lim)
		a = lim;
	float target = a * (1.0f / EC_HUBER_BETA);
	e->scale += (target > e->scale ? EC_SCALE_UP : EC_SCALE_DOWN) *
		    (target - e->scale);
	if (e->scale < EC_SCALE_MIN)
		e->scale = EC_SCALE_MIN;
	return err > lim ? lim : err < -lim ? -lim : err;
}

static int16_t ec_step(struct ec *e, int16_t tx, int16_t rx)
{
	float x = ec_hpf(&e->hp_tx, tx), d = ec_hpf(&e->hp_rx, rx);
	const float *win = ec_push(e, x);
	struct ec_kout o;
	e->kernel(e->w_bg, e->w_fg, win, e->c_pend, e->a0, e->a1_pend, e->taps,
		  &o);
	bool sane = isfinite(o.y_bg) && isfinite(o.l1) && isfinite(o.q);
	if (!sane) {
		/* cannot happen with a stable step; never let it spread */
		ec_bg_restore(e);
		o.y_bg = o.y_fg;
	}
	float e_bg = d - o.y_bg, e_fg = d - o.y_fg;
	float far = ec_far_max(e, x);
	bool far_active = e->xpow > e->far_min;

	/* Geigel (G.168 Annex B / ITU-T G.165 §5): near-end louder than the
	 * loudest far-end sample within the tail minus 6 dB (the ERL G.168
	 * assumes). The same test on the output, with the echo estimate
	 * removed, keeps echo peaks of a 6 dB path from looking like double
	 * talk once the filter has learnt the path. */
	float near = fabsf(d) < fabsf(e_fg) ? fabsf(d) : fabsf(e_fg);
	if (far_active && near > EC_GEIGEL_K * far) {
		if (e->dt_hang == 0)
			e->dt_count++;
		e->dt_hang = EC_DT_HANG;
	} else if (e->dt_hang > 0) {
		e->dt_hang--;
	}
	bool dt = e->dt_hang > 0;

	/* IPNLMS (Benesty and Gay, ICASSP 2002): per-tap gains a0 + a1 |w|
	 * speed up sparse paths, e.g. a short echo behind a long bulk delay */
	e->c_pend = 0;
	e->a1_pend = sane ? (1 + EC_IP_ALPHA) / (2 * o.l1 + EC_L1_EPS) : 0;
	if (sane && e->conf.adapt && far_active && !dt) {
		float den =
		    (float)(e->a0 * (e->xpow + e->eps)) + e->a1_pend * o.q;
		e->c_pend = EC_MU * ec_huber(e, e_bg) / den;
	}

	if (far_active) {
		e->win_d += d * d;
		e->win_fg += e_fg * e_fg;
		e->win_bg += e_bg * e_bg;
		e->win_act++;
	}
	e->win_dt |= dt;
	if (++e->win_n == EC_WIN)
		ec_window_end(e);
	e->samples++;
	return ec_sat(ec_nlp(e, e_fg, far_active, dt));
}

int16_t ec_update(struct ec *e, int16_t tx, int16_t rx)
{
	if (!e->enabled)
		return rx;
	return ec_step(e, tx, rx);
}

void ec_process(struct ec *e, const int16_t *tx, const int16_t *rx,
		int16_t *out, size_t n)
{
	if (!e->enabled) {
		if (out != rx)
			memmove(out, rx, n * sizeof(*out));
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = ec_step(e, tx[i], rx[i]);
}

void ec_stats(const struct ec *e, struct ec_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (e->erle_d > 0)
		st->erle_db = e->erle_e > 0
				  ? (float)(10 * log10(e->erle_d / e->erle_e))
				  : 99.0f; /* no residual at all */
	st->converged = st->erle_db >= EC_CONV_DB;
	st->dt_count = e->dt_count;
	st->samples = e->samples;
	st->nlp_fraction =
	    e->samples ? (float)e->clipped / (float)e->samples : 0.0f;
	st->fg_copies = e->fg_copies;
	st->resets = e->resets;
	st->noise_dbm0 =
	    e->nf > 0 ? 10.0f * log10f(e->nf / EC_POW(0.0f)) : -99.0f;
}
