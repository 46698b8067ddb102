/*
 * pstnsim's audio sources and sinks, one pair per call: what the "far end"
 * of a PSTN call plays (tone, DTMF, milliwatt, a byte ramp, an echo of what
 * it hears either unchanged or through a G.168 Annex D line hybrid model,
 * modem and fax connect tones, silence) and what it verifies (tone frequency
 * and level and DTMF digits by a recorder, or a byte-exact ramp check). Levels
 * use the G.711 convention: a full-scale sine is +3.14 dBm0 (ITU-T G.711 /
 * O.41).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>
/* the header defines its tables: this is the one file that includes it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#include <spandsp/g168models.h>
#pragma GCC diagnostic pop

#include "psim.h"

#define DBM0_FULL_SCALE 3.14  /* dBm0 of a full-scale sine */
#define WINDOW_SAMPLES	400   /* 50 ms analysis window */
#define TONE_MIN_DBM0	-45.0 /* quieter windows are silence */
#define TONE_MIN_MS	100   /* shorter tones are not reported */
#define TONE_FREQ_TOL	0.03  /* a tone stays within 3 % */
#define MAX_TONES	16
#define RAMP_SYNC_BYTES 16   /* consecutive ramp bytes to lock */
#define ECHO_FIFO	8192 /* bytes of echo backlog */
#define HYBRID_TAPS	128  /* longest line model, samples */
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ITU-T G.168 Annex D echo paths as shipped by spandsp */
struct hybrid_model {
	const char *name;
	const int32_t *c;
	size_t len;
};
#define HYBRID(n, c)                                                           \
	{                                                                      \
		n, c, NELEM(c)                                                 \
	}
static const struct hybrid_model hybrid_models[] = {
    HYBRID("d2", line_model_d2_coeffs), HYBRID("d3", line_model_d3_coeffs),
    HYBRID("d4", line_model_d4_coeffs), HYBRID("d5", line_model_d5_coeffs),
    HYBRID("d6", line_model_d6_coeffs), HYBRID("d7", line_model_d7_coeffs),
    HYBRID("d8", line_model_d8_coeffs),
};

static const struct {
	const char *name;
	int tone;
} modem_tones[] = {
    {"cng", MODEM_CONNECT_TONES_FAX_CNG},
    {"ced", MODEM_CONNECT_TONES_FAX_CED},
    {"ans-pr", MODEM_CONNECT_TONES_ANS_PR},
    {"ansam", MODEM_CONNECT_TONES_ANSAM},
    {"ansam-pr", MODEM_CONNECT_TONES_ANSAM_PR},
};

struct psim_tone {
	double freq_hz, level_dbm0;
	uint64_t start_ms, dur_ms;
};

struct psim_audio {
	struct psim_audio_spec spec;
	enum tdm_law law;
	/* source */
	double phase, step; /* radians */
	double amp;
	dtmf_tx_state_t *dtx;
	uint8_t ramp_tx;
	uint8_t echo[ECHO_FIFO];
	size_t echo_r, echo_w;
	float hy_h[HYBRID_TAPS];     /* line model scaled to the ERL */
	float hy_x[2 * HYBRID_TAPS]; /* what it heard, twice for the FIR */
	size_t hy_len, hy_pos;
	modem_connect_tones_tx_state_t *mtx;
	/* sink: recorder */
	dtmf_rx_state_t *drx;
	char digits[PSIM_DIGITS_MAX];
	size_t ndigits;
	uint64_t samples; /* received */
	double win_energy;
	unsigned win_n, win_cross;
	double win_first_x, win_last_x;
	int16_t prev;
	double last_level_dbm0, last_freq_hz;
	int64_t first_audio_ms;
	struct psim_tone tones[MAX_TONES];
	unsigned ntones;
	struct psim_tone cur; /* dur_ms 0: none running */
	unsigned cur_windows;
	double cur_freq_sum, cur_level_sum;
	/* sink: ramp */
	bool ramp_synced;
	unsigned ramp_run;
	uint8_t ramp_expect;
	uint64_t ramp_bytes, ramp_errors;
	uint64_t rx_bytes, tx_bytes;
};

static const char *const src_names[] = {
    [PSIM_SRC_SILENCE] = "silence", [PSIM_SRC_TONE] = "tone",
    [PSIM_SRC_DTMF] = "dtmf",	    [PSIM_SRC_MILLIWATT] = "milliwatt",
    [PSIM_SRC_RAMP] = "ramp",	    [PSIM_SRC_ECHO] = "echo",
    [PSIM_SRC_HYBRID] = "hybrid",   [PSIM_SRC_MODEM] = "modem",
};

static const char *const sink_names[] = {
    [PSIM_SINK_NONE] = "none",
    [PSIM_SINK_RECORD] = "record",
    [PSIM_SINK_RAMP] = "ramp",
};

const char *psim_src_name(enum psim_src_kind k)
{
	return src_names[k];
}

const char *psim_sink_name(enum psim_sink_kind k)
{
	return sink_names[k];
}

/* hybrid:MODEL[:ERL_DB[:HZ[:DBM0[:START_MS]]]]: MODEL d2..d8 (G.168
 * Annex D), ERL 0..60 dB (default 10), an optional near-end tone mixed in
 * (double talk; level default -20 dBm0) from START_MS after the answer
 * (default 0). */
static int hybrid_parse(struct psim_audio_spec *spec, const char *s, char *err,
			size_t cap)
{
	const char *m = s + 7;
	size_t mlen = strcspn(m, ":");
	char *end = strchr(m, m[mlen]); /* the ':' or the NUL after MODEL */
	double erl = 10, f = 0, lvl = -20, start = 0;
	unsigned k;
	for (k = 0; k < NELEM(hybrid_models); k++)
		if (strlen(hybrid_models[k].name) == mlen &&
		    !strncmp(m, hybrid_models[k].name, mlen))
			break;
	if (*end == ':')
		erl = strtod(end + 1, &end);
	if (*end == ':')
		f = strtod(end + 1, &end);
	if (*end == ':')
		lvl = strtod(end + 1, &end);
	if (*end == ':')
		start = strtod(end + 1, &end);
	if (k == NELEM(hybrid_models) || *end || erl < 0 || erl > 60 ||
	    (f != 0 && (f < 50 || f > 3950)) || lvl > 3.14 || lvl < -60 ||
	    start < 0 || start > 3600000) {
		snprintf(
		    err, cap,
		    "'%s': want hybrid:MODEL[:ERL_DB[:HZ[:DBM0[:START_MS]]]]"
		    " with MODEL d2..d8, 0..60 dB, 50..3950 Hz, -60..3 "
		    "dBm0, 0..3600000 ms",
		    s);
		return -EINVAL;
	}
	spec->src = PSIM_SRC_HYBRID;
	spec->hybrid_model = k;
	spec->erl_db = erl;
	spec->near_start_ms = (unsigned)start;
	spec->freq_hz = f;
	spec->level_dbm0 = lvl;
	return 0;
}

int psim_src_parse(struct psim_audio_spec *spec, const char *s, char *err,
		   size_t cap)
{
	if (strncmp(s, "tone:", 5) == 0) {
		char *end;
		double f = strtod(s + 5, &end), lvl = -10.0;
		if (*end == ':')
			lvl = strtod(end + 1, &end);
		if (*end || f < 50 || f > 3950 || lvl > 3.14 || lvl < -60) {
			snprintf(err, cap,
				 "'%s': want tone:HZ[:DBM0] with "
				 "50..3950 Hz and -60..3 dBm0",
				 s);
			return -EINVAL;
		}
		spec->src = PSIM_SRC_TONE;
		spec->freq_hz = f;
		spec->level_dbm0 = lvl;
		return 0;
	}
	if (strncmp(s, "dtmf:", 5) == 0) {
		size_t n = strlen(s + 5);
		if (n == 0 || n >= sizeof(spec->digits) ||
		    strspn(s + 5, "0123456789*#ABCD") != n) {
			snprintf(err, cap,
				 "'%s': want dtmf:DIGITS "
				 "(0-9 * # A-D, at most %zu)",
				 s, sizeof(spec->digits) - 1);
			return -EINVAL;
		}
		spec->src = PSIM_SRC_DTMF;
		memcpy(spec->digits, s + 5, n + 1);
		return 0;
	}
	if (strncmp(s, "hybrid:", 7) == 0)
		return hybrid_parse(spec, s, err, cap);
	if (strncmp(s, "modem:", 6) == 0) {
		for (size_t k = 0; k < NELEM(modem_tones); k++)
			if (strcmp(s + 6, modem_tones[k].name) == 0) {
				spec->src = PSIM_SRC_MODEM;
				spec->modem_tone = modem_tones[k].tone;
				return 0;
			}
		snprintf(err, cap,
			 "'%s': want modem:cng|ced|ans-pr|ansam|ansam-pr", s);
		return -EINVAL;
	}
	for (unsigned k = 0; k < sizeof(src_names) / sizeof(src_names[0]); k++)
		if (k != PSIM_SRC_TONE && k != PSIM_SRC_DTMF &&
		    k != PSIM_SRC_HYBRID && k != PSIM_SRC_MODEM &&
		    strcmp(s, src_names[k]) == 0) {
			spec->src = k;
			return 0;
		}
	snprintf(err, cap,
		 "unknown audio source '%s' (silence, tone:HZ[:DBM0], "
		 "dtmf:DIGITS, milliwatt, ramp, echo, "
		 "hybrid:MODEL[:ERL_DB[:HZ[:DBM0[:START_MS]]]], modem:TONE)",
		 s);
	return -EINVAL;
}

int psim_sink_parse(struct psim_audio_spec *spec, const char *s, char *err,
		    size_t cap)
{
	for (unsigned k = 0; k < sizeof(sink_names) / sizeof(sink_names[0]);
	     k++)
		if (strcmp(s, sink_names[k]) == 0) {
			spec->sink = k;
			return 0;
		}
	snprintf(err, cap, "unknown audio sink '%s' (none, record, ramp)", s);
	return -EINVAL;
}

static void on_digits(void *user, const char *digits, int len)
{
	struct psim_audio *a = user;
	for (int i = 0; i < len && a->ndigits + 1 < sizeof(a->digits); i++)
		a->digits[a->ndigits++] = digits[i];
	a->digits[a->ndigits] = '\0';
}

/* The line model scaled so that white noise comes back erl_db lower. */
static void hybrid_init(struct psim_audio *a)
{
	const struct hybrid_model *m = &hybrid_models[a->spec.hybrid_model];
	double e = 0;
	for (size_t k = 0; k < m->len; k++)
		e += (double)m->c[k] * m->c[k];
	double g = pow(10.0, -a->spec.erl_db / 20.0) / sqrt(e);
	a->hy_len = m->len < HYBRID_TAPS ? m->len : HYBRID_TAPS;
	for (size_t k = 0; k < a->hy_len; k++)
		a->hy_h[k] = (float)(m->c[k] * g);
}

/* One sample through the hybrid: x is what it heard. */
static double hybrid_echo(struct psim_audio *a, int16_t x)
{
	size_t n = a->hy_len, p = a->hy_pos;
	a->hy_x[p] = a->hy_x[p + n] = x;
	a->hy_pos = p + 1 == n ? 0 : p + 1;
	/* hy_x[p + n - k] is the sample k steps ago */
	double y = 0;
	for (size_t k = 0; k < n; k++)
		y += a->hy_h[k] * a->hy_x[p + n - k];
	return y;
}

struct psim_audio *psim_audio_new(const struct psim_audio_spec *spec,
				  enum tdm_law law)
{
	struct psim_audio *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->spec = *spec;
	a->law = law;
	a->first_audio_ms = -1;
	a->last_level_dbm0 = -99.0;
	double f = spec->freq_hz, lvl = spec->level_dbm0;
	if (spec->src == PSIM_SRC_MILLIWATT)
		f = 1004.0, lvl = 0.0; /* ITU-T O.6 test tone */
	a->step = 2.0 * M_PI * f / 8000.0;
	a->amp = 32767.0 * pow(10.0, (lvl - DBM0_FULL_SCALE) / 20.0);
	if (spec->src == PSIM_SRC_HYBRID)
		hybrid_init(a);
	if (spec->src == PSIM_SRC_MODEM) {
		a->mtx = modem_connect_tones_tx_init(NULL, spec->modem_tone);
		if (!a->mtx)
			goto fail;
	}
	if (spec->src == PSIM_SRC_DTMF) {
		a->dtx = dtmf_tx_init(NULL);
		if (!a->dtx)
			goto fail;
		dtmf_tx_put(a->dtx, spec->digits, -1);
	}
	if (spec->sink == PSIM_SINK_RECORD) {
		a->drx = dtmf_rx_init(NULL, on_digits, a);
		if (!a->drx)
			goto fail;
	}
	return a;
fail:
	psim_audio_free(a);
	return NULL;
}

void psim_audio_free(struct psim_audio *a)
{
	if (!a)
		return;
	if (a->dtx)
		dtmf_tx_free(a->dtx);
	if (a->mtx)
		modem_connect_tones_tx_free(a->mtx);
	if (a->drx)
		dtmf_rx_free(a->drx);
	free(a);
}

static uint8_t encode(const struct psim_audio *a, int16_t s)
{
	return a->law == TDM_LAW_ALAW ? linear_to_alaw(s) : linear_to_ulaw(s);
}

static int16_t decode(const struct psim_audio *a, uint8_t b)
{
	return a->law == TDM_LAW_ALAW ? alaw_to_linear(b) : ulaw_to_linear(b);
}

void psim_audio_fill(struct psim_audio *a, uint8_t *buf, size_t n)
{
	int16_t lin[TDM_MAX_BLOCK] = {0};
	if (n > TDM_MAX_BLOCK)
		n = TDM_MAX_BLOCK;
	a->tx_bytes += n;
	switch (a->spec.src) {
	case PSIM_SRC_RAMP:
		for (size_t i = 0; i < n; i++)
			buf[i] = a->ramp_tx++;
		return;
	case PSIM_SRC_ECHO:
		for (size_t i = 0; i < n; i++)
			if (a->echo_r != a->echo_w) {
				buf[i] = a->echo[a->echo_r];
				a->echo_r = (a->echo_r + 1) % ECHO_FIFO;
			} else {
				buf[i] = encode(a, 0);
			}
		return;
	case PSIM_SRC_HYBRID:
		for (size_t i = 0; i < n; i++) {
			int16_t x = 0;
			if (a->echo_r != a->echo_w) {
				x = decode(a, a->echo[a->echo_r]);
				a->echo_r = (a->echo_r + 1) % ECHO_FIFO;
			}
			double y = hybrid_echo(a, x);
			if (a->spec.freq_hz > 0 &&
			    a->tx_bytes - n + i >=
				(uint64_t)a->spec.near_start_ms * 8) {
				y += a->amp * sin(a->phase);
				a->phase += a->step;
				if (a->phase > 2.0 * M_PI)
					a->phase -= 2.0 * M_PI;
			}
			lin[i] = (int16_t)(y > 32767	? 32767
					   : y < -32768 ? -32768
							: lrint(y));
		}
		break;
	case PSIM_SRC_MODEM: {
		int got = modem_connect_tones_tx(a->mtx, lin, (int)n);
		for (size_t i = (size_t)(got < 0 ? 0 : got); i < n; i++)
			lin[i] = 0;
		break;
	}
	case PSIM_SRC_DTMF: {
		int got = dtmf_tx(a->dtx, lin, (int)n);
		for (size_t i = (size_t)(got < 0 ? 0 : got); i < n; i++)
			lin[i] = 0;
		break;
	}
	case PSIM_SRC_TONE:
	case PSIM_SRC_MILLIWATT:
		for (size_t i = 0; i < n; i++) {
			lin[i] = (int16_t)lrint(a->amp * sin(a->phase));
			a->phase += a->step;
			if (a->phase > 2.0 * M_PI)
				a->phase -= 2.0 * M_PI;
		}
		break;
	case PSIM_SRC_SILENCE:
		memset(lin, 0, n * sizeof(lin[0]));
		break;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = encode(a, lin[i]);
}

static void tone_close(struct psim_audio *a)
{
	if (a->cur.dur_ms >= TONE_MIN_MS && a->ntones < MAX_TONES) {
		a->cur.freq_hz = a->cur_freq_sum / a->cur_windows;
		a->cur.level_dbm0 = a->cur_level_sum / a->cur_windows;
		a->tones[a->ntones++] = a->cur;
	}
	memset(&a->cur, 0, sizeof(a->cur));
	a->cur_windows = 0;
	a->cur_freq_sum = a->cur_level_sum = 0;
}

/* One analysis window is complete: level, frequency, tone tracking. */
static void window_done(struct psim_audio *a)
{
	double rms = sqrt(a->win_energy / a->win_n);
	double level =
	    rms > 0 ? 20.0 * log10(rms * M_SQRT2 / 32767.0) + DBM0_FULL_SCALE
		    : -99.0;
	double freq = 0;
	/* periods between the first and last upward zero crossings */
	if (a->win_cross >= 2 && a->win_last_x > a->win_first_x)
		freq = (a->win_cross - 1) /
		       ((a->win_last_x - a->win_first_x) / 8000.0);
	a->last_level_dbm0 = level;
	a->last_freq_hz = freq;
	uint64_t now_ms = a->samples / 8;
	if (level > TONE_MIN_DBM0 && a->first_audio_ms < 0)
		a->first_audio_ms = (int64_t)(now_ms - WINDOW_SAMPLES / 8);
	bool toned = level > TONE_MIN_DBM0 && freq > 0;
	if (a->cur_windows) {
		double mean = a->cur_freq_sum / a->cur_windows;
		if (!toned || fabs(freq - mean) > mean * TONE_FREQ_TOL)
			tone_close(a);
	}
	if (toned) {
		if (!a->cur_windows)
			a->cur.start_ms = now_ms - WINDOW_SAMPLES / 8;
		a->cur_windows++;
		a->cur_freq_sum += freq;
		a->cur_level_sum += level;
		a->cur.dur_ms = now_ms - a->cur.start_ms;
	}
	a->win_energy = 0;
	a->win_n = a->win_cross = 0;
}

static void record(struct psim_audio *a, const int16_t *lin, size_t n)
{
	dtmf_rx(a->drx, lin, (int)n);
	for (size_t i = 0; i < n; i++) {
		int16_t s = lin[i];
		a->win_energy += (double)s * s;
		/* upward zero crossing, interpolated between samples */
		if (a->prev < 0 && s >= 0) {
			double x = (double)a->win_n - 1.0 +
				   (double)-a->prev / (double)(s - a->prev);
			if (a->win_cross == 0)
				a->win_first_x = x;
			a->win_last_x = x;
			a->win_cross++;
		}
		a->prev = s;
		a->win_n++;
		a->samples++;
		if (a->win_n == WINDOW_SAMPLES)
			window_done(a);
	}
}

static void ramp_check(struct psim_audio *a, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = buf[i];
		if (b == a->ramp_expect) {
			if (a->ramp_synced)
				a->ramp_bytes++;
			else if (++a->ramp_run >= RAMP_SYNC_BYTES)
				a->ramp_synced = true;
		} else {
			if (a->ramp_synced)
				a->ramp_errors++;
			a->ramp_run = 0;
		}
		a->ramp_expect = (uint8_t)(b + 1);
	}
}

void psim_audio_take(struct psim_audio *a, const uint8_t *buf, size_t n)
{
	a->rx_bytes += n;
	if (a->spec.src == PSIM_SRC_ECHO || a->spec.src == PSIM_SRC_HYBRID)
		for (size_t i = 0; i < n; i++) {
			size_t next = (a->echo_w + 1) % ECHO_FIFO;
			if (next == a->echo_r)
				break; /* backlog full: drop */
			a->echo[a->echo_w] = buf[i];
			a->echo_w = next;
		}
	switch (a->spec.sink) {
	case PSIM_SINK_NONE:
		return;
	case PSIM_SINK_RAMP:
		ramp_check(a, buf, n);
		return;
	case PSIM_SINK_RECORD: {
		int16_t lin[TDM_MAX_BLOCK] = {0};
		if (n > TDM_MAX_BLOCK)
			n = TDM_MAX_BLOCK;
		for (size_t i = 0; i < n; i++)
			lin[i] = decode(a, buf[i]);
		record(a, lin, n);
		return;
	}
	}
}

const char *psim_audio_digits(const struct psim_audio *a)
{
	return a->digits;
}

static void put_tone(struct json_out *o, const struct psim_tone *t, double freq,
		     double level)
{
	json_obj_begin(o);
	json_key(o, "freq_hz");
	json_double(o, round(freq * 10) / 10);
	json_key(o, "level_dbm0");
	json_double(o, round(level * 10) / 10);
	json_kv_uint(o, "start_ms", t->start_ms);
	json_kv_uint(o, "dur_ms", t->dur_ms);
	json_obj_end(o);
}

void psim_audio_report(struct psim_audio *a, struct json_out *o)
{
	json_kv_str(o, "source", psim_src_name(a->spec.src));
	json_kv_str(o, "sink", psim_sink_name(a->spec.sink));
	json_kv_uint(o, "rx_bytes", a->rx_bytes);
	json_kv_uint(o, "tx_bytes", a->tx_bytes);
	if (a->spec.sink == PSIM_SINK_RAMP) {
		json_kv_bool(o, "ramp_synced", a->ramp_synced);
		json_kv_uint(o, "ramp_bytes", a->ramp_bytes);
		json_kv_uint(o, "ramp_errors", a->ramp_errors);
	}
	if (a->spec.sink != PSIM_SINK_RECORD)
		return;
	json_kv_str(o, "digits", a->digits);
	json_key(o, "level_dbm0");
	json_double(o, round(a->last_level_dbm0 * 10) / 10);
	json_key(o, "freq_hz");
	json_double(o, round(a->last_freq_hz * 10) / 10);
	json_kv_int(o, "first_audio_ms", a->first_audio_ms);
	json_key(o, "tones");
	json_arr_begin(o);
	for (unsigned i = 0; i < a->ntones; i++)
		put_tone(o, &a->tones[i], a->tones[i].freq_hz,
			 a->tones[i].level_dbm0);
	if (a->cur_windows && a->cur.dur_ms >= TONE_MIN_MS)
		put_tone(o, &a->cur, a->cur_freq_sum / a->cur_windows,
			 a->cur_level_sum / a->cur_windows);
	json_arr_end(o);
}
