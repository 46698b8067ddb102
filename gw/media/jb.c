/*
 * Adaptive G.711 jitter buffer (see jb.h). Samples are kept decoded in a
 * ring addressed by the extended RTP timestamp, with a flag per sample:
 * audio, known silence (a timestamp gap between packets with consecutive
 * sequence numbers: the sender suppressed silence) or missing. Playout
 * reads the ring at play_ts, which advances with the TDM clock; the delay
 * is (now - play_ts) minus the smallest recent transit (arrival - ts), so
 * it is what the fastest packets wait. Shrinking or growing the delay
 * moves play_ts against the clock by dropping or repeating samples. The
 * controller also knows that a packet must be there when the block that
 * holds its first sample is fetched (see struct ctl).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <spandsp.h>
#pragma GCC diagnostic pop

#include "media/jb.h"

#define RING	    16384 /* samples (2.048 s), a power of two */
#define RING_MASK   (RING - 1)
#define SEQ_SLOTS   512	  /* remembered sequence numbers (duplicates) */
#define WIN_BUCKETS 8	  /* transit min/max window: 8 x 0.5 s */
#define WIN_BUCKET  4000  /* samples per bucket */
#define HYST	    40	  /* samples (5 ms) of delay error tolerated */
#define JUMP	    16000 /* samples (2 s): a timestamp jump resets */
/* samples (200 ms) missing with nothing ahead: the stream stopped, the
 * next packet re-anchors playout */
#define STOP_SAMPLES 1600
/* mean |x| under this (about -40 dBm0): a block where dropping samples is
 * inaudible */
#define LOW_ENERGY 200

enum flag {
	F_MISSING = 0,
	F_AUDIO = 1,
	F_SILENCE = 2,
};

struct win {
	uint64_t id; /* arrival / WIN_BUCKET */
	int64_t lo, hi;
	bool valid;
};

/* Owned by whoever called jb_new(). */
struct jb {
	struct jb_conf conf;
	plc_state_t plc;
	bool started; /* refs below valid */
	bool playing; /* play_ts valid */
	bool fresh;   /* play_ts is due at play_now, not yet caught up */
	uint32_t ssrc;
	uint16_t ref_seq;
	int64_t ref_ext_seq;
	uint32_t ref_ts;
	int64_t ref_ext_ts;
	uint64_t ref_arrival; /* arrival of the ref_ts packet */
	int64_t first_ext_seq, max_ext_seq;
	uint64_t received;    /* unique sequence numbers since the start */
	uint64_t lost_before; /* lost in earlier streams (before resets) */
	int64_t max_ts_end;   /* highest ext ts + len received */
	int64_t play_ts;      /* ext ts of the next sample to play */
	int64_t align_ts;     /* ext ts of the last packet stored */
	int64_t ptime;	      /* its length, samples */
	uint64_t play_now;
	int64_t r_last; /* last transit, for A.8 */
	bool have_r;
	uint32_t jit_q4; /* jitter * 16, samples */
	struct win win[WIN_BUCKETS];
	uint64_t missing_run;
	struct jb_stats st;
	int64_t seq_slot[SEQ_SLOTS];
	uint8_t flag[RING];
	int16_t ring[RING];
	int16_t tmp[2 * JB_BLOCK_MAX];
	const int16_t *dec; /* jb_g711_table(conf.law) */
};

static void jb_clear(struct jb *jb)
{
	if (jb->started) {
		int64_t exp = jb->max_ext_seq - jb->first_ext_seq + 1;
		if (exp > (int64_t)jb->received)
			jb->lost_before += (uint64_t)exp - jb->received;
	}
	jb->started = jb->playing = jb->fresh = jb->have_r = false;
	jb->received = 0;
	jb->jit_q4 = 0;
	jb->missing_run = 0;
	memset(jb->win, 0, sizeof(jb->win));
	memset(jb->flag, F_MISSING, sizeof(jb->flag));
	for (size_t i = 0; i < SEQ_SLOTS; i++)
		jb->seq_slot[i] = -1;
	plc_init(&jb->plc);
}

/* G.711 to linear, [0] A-law and [1] mu-law; filled once */
static int16_t dec_tab[2][256];
static pthread_once_t dec_once = PTHREAD_ONCE_INIT;

static void dec_tab_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		dec_tab[0][i] = alaw_to_linear((uint8_t)i);
		dec_tab[1][i] = ulaw_to_linear((uint8_t)i);
	}
}

const int16_t *jb_g711_table(enum jb_law law)
{
	pthread_once(&dec_once, dec_tab_init);
	return dec_tab[law == JB_LAW_ULAW];
}

struct jb *jb_new(const struct jb_conf *conf)
{
	if (conf->min_ms > conf->max_ms || conf->max_ms > JB_MAX_MS ||
	    (conf->law != JB_LAW_ALAW && conf->law != JB_LAW_ULAW) ||
	    (conf->fixed &&
	     (conf->fixed_ms < conf->min_ms || conf->fixed_ms > conf->max_ms)))
		return NULL;
	struct jb *jb = calloc(1, sizeof(*jb));
	if (!jb)
		return NULL;
	jb->conf = *conf;
	jb->dec = jb_g711_table(conf->law);
	jb_clear(jb);
	return jb;
}

void jb_free(struct jb *jb)
{
	free(jb);
}

void jb_reset(struct jb *jb)
{
	jb_clear(jb);
	jb->st.resets++;
}

void jb_g711_transcode(uint8_t *dst, const uint8_t *src, size_t n,
		       enum jb_law from, enum jb_law to)
{
	for (size_t i = 0; i < n; i++) {
		if (from == to)
			dst[i] = src[i];
		else if (from == JB_LAW_ALAW)
			dst[i] = alaw_to_ulaw(src[i]);
		else
			dst[i] = ulaw_to_alaw(src[i]);
	}
}

/* Smallest and largest transit over the window; false if none. */
static bool win_range(const struct jb *jb, int64_t *lo, int64_t *hi)
{
	bool any = false;
	for (size_t i = 0; i < WIN_BUCKETS; i++) {
		const struct win *w = &jb->win[i];
		if (!w->valid)
			continue;
		if (!any || w->lo < *lo)
			*lo = w->lo;
		if (!any || w->hi > *hi)
			*hi = w->hi;
		any = true;
	}
	return any;
}

/* Transit r = arrival - ts: A.8 jitter and the min/max window. */
static void note_transit(struct jb *jb, int64_t r, uint64_t arrival)
{
	if (jb->have_r) {
		int64_t d = r - jb->r_last;
		if (d < 0)
			d = -d;
		if (d > RING)
			d = RING;
		int64_t j = jb->jit_q4;
		j += d - ((j + 8) >> 4);
		jb->jit_q4 = (uint32_t)j;
	}
	jb->r_last = r;
	jb->have_r = true;
	uint64_t id = arrival / WIN_BUCKET;
	struct win *w = &jb->win[id % WIN_BUCKETS];
	if (!w->valid || w->id != id) {
		/* drop buckets too old to belong to this window */
		for (size_t i = 0; i < WIN_BUCKETS; i++)
			if (jb->win[i].valid &&
			    jb->win[i].id + WIN_BUCKETS <= id)
				jb->win[i].valid = false;
		*w = (struct win){.id = id, .lo = r, .hi = r, .valid = true};
	}
	if (r < w->lo)
		w->lo = r;
	if (r > w->hi)
		w->hi = r;
}

/* The playout delay the buffer aims at, in samples. */
static int64_t target(const struct jb *jb)
{
	int64_t lo_lim = (int64_t)jb->conf.min_ms * 8;
	int64_t hi_lim = (int64_t)jb->conf.max_ms * 8;
	if (jb->conf.fixed)
		return (int64_t)jb->conf.fixed_ms * 8;
	int64_t t = (int64_t)jb->conf.k * jb->jit_q4 / 16, lo, hi;
	if (win_range(jb, &lo, &hi) && hi - lo > t)
		t = hi - lo;
	return t < lo_lim ? lo_lim : t > hi_lim ? hi_lim : t;
}

/* First packet of a stream (or after a stop): playout starts so that this
 * packet, were it the fastest, waits the target delay. */
static void anchor(struct jb *jb, int64_t ext_ts, uint64_t arrival)
{
	int64_t lo = 0, hi = 0;
	int64_t r = (int64_t)arrival - ext_ts;
	if (!win_range(jb, &lo, &hi) || lo > r)
		lo = r;
	int64_t offset = lo + target(jb); /* now - play_ts */
	jb->play_ts = (int64_t)arrival - offset;
	jb->play_now = arrival;
	jb->playing = jb->fresh = true;
	jb->missing_run = 0;
	/* what plays before this packet is silence, not a loss */
	for (int64_t t = jb->play_ts; t < ext_ts && t < jb->play_ts + RING; t++)
		if (jb->flag[t & RING_MASK] == F_MISSING)
			jb->flag[t & RING_MASK] = F_SILENCE;
}

static void start_stream(struct jb *jb, const struct jb_pkt *p)
{
	jb->started = true;
	jb->ssrc = p->ssrc;
	jb->ref_seq = p->seq;
	jb->ref_ext_seq = 0;
	jb->ref_ts = p->ts;
	jb->ref_ext_ts = 0;
	jb->ref_arrival = p->arrival;
	jb->first_ext_seq = 0;
	jb->max_ext_seq = -1;
	jb->max_ts_end = 0;
}

/* Marks the known silence [from, to) between two talkspurts. */
static void mark_silence(struct jb *jb, int64_t from, int64_t to)
{
	if (from < jb->play_ts)
		from = jb->play_ts;
	if (to > jb->play_ts + RING)
		to = jb->play_ts + RING;
	for (int64_t t = from; t < to; t++)
		if (jb->flag[t & RING_MASK] == F_MISSING)
			jb->flag[t & RING_MASK] = F_SILENCE;
}

/* Samples from position pos of the ring to its end, at most n. */
static size_t ring_run(size_t pos, size_t n)
{
	return n < RING - pos ? n : RING - pos;
}

/* Writes a packet's samples into the ring; false if none fitted. */
static bool store(struct jb *jb, const struct jb_pkt *p, int64_t ext_ts)
{
	if (ext_ts < jb->play_ts)
		jb->st.late_partial++; /* the rest is still used */
	int64_t lo = ext_ts > jb->play_ts ? ext_ts : jb->play_ts;
	int64_t hi = ext_ts + (int64_t)p->len;
	if (hi > jb->play_ts + RING)
		hi = jb->play_ts + RING;
	if (lo >= hi)
		return false;
	const uint8_t *src = p->payload + (lo - ext_ts);
	size_t left = (size_t)(hi - lo);
	while (left) { /* at most two runs: before and after the wrap */
		size_t pos = (size_t)(lo & RING_MASK), k = ring_run(pos, left);
		for (size_t i = 0; i < k; i++)
			jb->ring[pos + i] = jb->dec[src[i]];
		memset(jb->flag + pos, F_AUDIO, k);
		src += k;
		lo += (int64_t)k;
		left -= k;
	}
	return true;
}

int jb_put(struct jb *jb, const struct jb_pkt *p)
{
	if (p->len == 0 || p->len > JB_PACKET_MAX || !p->payload)
		return -EINVAL;
	if (jb->started && p->ssrc != jb->ssrc)
		jb_reset(jb); /* a new source: RFC 3550 §8.2 */
	if (!jb->started)
		start_stream(jb, p);
	int64_t ext_ts = jb->ref_ext_ts + (int32_t)(p->ts - jb->ref_ts);
	/* where the timestamp should be by now, after a pause too */
	int64_t ref = jb->ref_ext_ts + (int64_t)(p->arrival - jb->ref_arrival);
	if (ext_ts > ref + JUMP || ext_ts < ref - JUMP) {
		jb_reset(jb);
		start_stream(jb, p);
		ext_ts = 0;
	}
	int64_t ext_seq = jb->ref_ext_seq + (int16_t)(p->seq - jb->ref_seq);
	if (ext_ts >= jb->ref_ext_ts) {
		jb->ref_ts = p->ts;
		jb->ref_ext_ts = ext_ts;
		jb->ref_arrival = p->arrival;
	}
	jb->ref_seq = p->seq;
	jb->ref_ext_seq = ext_seq;
	int64_t *slot = &jb->seq_slot[(uint64_t)ext_seq % SEQ_SLOTS];
	if (*slot == ext_seq) {
		jb->st.duplicates++;
		return -EALREADY;
	}
	*slot = ext_seq;
	jb->received++;
	if (ext_seq < jb->first_ext_seq)
		jb->first_ext_seq = ext_seq;
	note_transit(jb, (int64_t)p->arrival - ext_ts, p->arrival);
	if (!jb->playing)
		anchor(jb, ext_ts, p->arrival);
	if (ext_ts + (int64_t)p->len <= jb->play_ts) {
		jb->st.late++;
		return -ETIME;
	}
	if (ext_seq == jb->max_ext_seq + 1 && ext_seq > 0 &&
	    ext_ts > jb->max_ts_end)
		mark_silence(jb, jb->max_ts_end, ext_ts);
	if (ext_seq > jb->max_ext_seq)
		jb->max_ext_seq = ext_seq;
	if (!store(jb, p, ext_ts)) {
		jb->st.discarded++;
		return -ENOBUFS;
	}
	if (ext_ts + (int64_t)p->len > jb->max_ts_end)
		jb->max_ts_end = ext_ts + (int64_t)p->len;
	jb->align_ts = ext_ts;
	jb->ptime = (int64_t)p->len;
	jb->st.packets++;
	return 0;
}

/*
 * spandsp 0.0.6 starts a concealment by rotating its history buffer with
 * an overlapping memcpy (undefined behaviour, caught by ASan). Doing the
 * same rotation here first, with memmove, leaves it nothing to rotate;
 * the state struct is public in <spandsp/plc.h>.
 */
static void plc_rotate_history(plc_state_t *p)
{
	int16_t tmp[PLC_HISTORY_LEN];
	size_t k = (size_t)p->buf_ptr;
	if (p->missing_samples != 0 || k == 0 || k >= PLC_HISTORY_LEN)
		return;
	memcpy(tmp, p->history, k * sizeof(tmp[0]));
	memmove(p->history, p->history + k,
		(PLC_HISTORY_LEN - k) * sizeof(tmp[0]));
	memcpy(p->history + PLC_HISTORY_LEN - k, tmp, k * sizeof(tmp[0]));
	p->buf_ptr = 0;
}

/* Reads m samples from play_ts on, concealing what is missing. Returns
 * true if PLC made any of them. Works in runs of one flag that do not
 * cross the ring's wrap; a concealment split by the wrap is continued by
 * the next plc_fillin call as if it were one. */
static bool fetch(struct jb *jb, int16_t *out, size_t m)
{
	bool plc = false;
	size_t i = 0;
	while (i < m) {
		size_t pos = (size_t)((jb->play_ts + (int64_t)i) & RING_MASK);
		size_t lim = ring_run(pos, m - i), k = 1;
		uint8_t f = jb->flag[pos];
		while (k < lim && jb->flag[pos + k] == f)
			k++;
		if (f == F_AUDIO)
			memcpy(out + i, jb->ring + pos, k * sizeof(*out));
		else
			memset(out + i, 0, k * sizeof(*out));
		memset(jb->flag + pos, F_MISSING, k);
		if (f == F_MISSING) {
			plc_rotate_history(&jb->plc);
			plc_fillin(&jb->plc, out + i, (int)k);
			jb->st.plc_samples += k;
			jb->missing_run += k;
			plc = true;
		} else {
			plc_rx(&jb->plc, out + i, (int)k);
			jb->missing_run = 0;
		}
		i += k;
	}
	jb->play_ts += (int64_t)m;
	return plc;
}

/* Discards s samples at play_ts (delay shrinks). */
static void skip(struct jb *jb, int64_t s)
{
	for (int64_t t = 0; t < s && t < RING; t++)
		jb->flag[(jb->play_ts + t) & RING_MASK] = F_MISSING;
	jb->play_ts += s;
	jb->st.dropped_samples += (uint64_t)s;
}

/* Index of the quietest sample in x[from, to). */
static size_t quietest(const int16_t *x, size_t from, size_t to)
{
	size_t best = from;
	for (size_t i = from + 1; i < to; i++)
		if (abs(x[i]) < abs(x[best]))
			best = i;
	return best;
}

/* Time-scales m = n + a (a > 0: drop) or n - |a| (a < 0: repeat) samples
 * in x to n in y, one sample per segment at its quietest point. */
static void rescale(int16_t *y, const int16_t *x, size_t n, int a)
{
	size_t cnt = (size_t)abs(a);
	size_t m = a > 0 ? n + cnt : n - cnt;
	size_t seg = m / cnt, o = 0, from = 0;
	for (size_t s = 0; s < cnt; s++) {
		size_t to = s + 1 == cnt ? m : from + seg;
		size_t q = quietest(x, from, to);
		for (size_t i = from; i < to; i++) {
			if (i == q && a > 0)
				continue;
			y[o++] = x[i];
			if (i == q && a < 0)
				y[o++] = x[i];
		}
		from = to;
	}
}

/* Mean |x| of what is buffered for the next n samples (missing: 0). */
static int64_t energy_ahead(const struct jb *jb, size_t n)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		size_t pos = (size_t)((jb->play_ts + (int64_t)i) & RING_MASK);
		if (jb->flag[pos] == F_AUDIO)
			sum += abs(jb->ring[pos]);
	}
	return sum / (int64_t)n;
}

static size_t silence_ahead(const struct jb *jb, int64_t limit)
{
	int64_t s = 0;
	while (s < limit && s < RING &&
	       jb->flag[(jb->play_ts + s) & RING_MASK] == F_SILENCE)
		s++;
	return (size_t)s;
}

/* Catches play_ts up with the clock on the first get after anchoring. */
static void catch_up(struct jb *jb, uint64_t now)
{
	jb->fresh = false;
	if (now <= jb->play_now)
		return;
	uint64_t d = now - jb->play_now;
	for (uint64_t t = 0; t < d && t < RING; t++)
		jb->flag[(jb->play_ts + (int64_t)t) & RING_MASK] = F_MISSING;
	jb->play_ts += (int64_t)d;
}

/*
 * What the delay controller looks at in one block. A packet must have
 * arrived when the block holding its first sample is fetched, up to n - 1
 * samples before that sample plays: with packet starts at offset o into
 * the block, packets wait `pen` (o, plus n - ptime for blocks holding
 * several packets) more than the raw delay says. Shrinking by up to
 * `free_` samples moves no packet start into an earlier block.
 */
struct ctl {
	int64_t d;     /* raw delay: now - play_ts - fastest transit */
	int64_t e;     /* effective delay (d - pen) minus the target */
	int64_t x;     /* raw delay minus the target */
	int64_t free_; /* samples that can go at no risk of lateness */
};

static bool control(struct jb *jb, uint64_t now, size_t n, struct ctl *c)
{
	int64_t lo, hi, tgt = target(jb), nn = (int64_t)n;
	jb->st.target_samples = (uint32_t)tgt;
	jb->st.jitter_samples = jb->jit_q4 >> 4;
	if (!win_range(jb, &lo, &hi))
		return false;
	c->d = (int64_t)now - jb->play_ts - lo;
	jb->st.delay_samples = c->d < 0 ? 0 : (uint32_t)c->d;
	if (jb->st.delay_samples > jb->st.max_delay_samples)
		jb->st.max_delay_samples = jb->st.delay_samples;
	int64_t pen, p = jb->ptime > 0 ? jb->ptime : nn;
	int64_t step = p < nn ? p : nn, off = jb->align_ts - jb->play_ts;
	if (p % nn == 0 || nn % p == 0) {
		c->free_ = ((off % step) + step) % step;
		pen = c->free_ + (nn > p ? nn - p : 0);
	} else {
		c->free_ = 0; /* no fixed alignment: assume the worst */
		pen = nn - 1;
	}
	c->x = c->d - tgt;
	if (jb->conf.fixed) {
		/* fax/modem: keep the latency itself, drop nothing early */
		c->e = c->x;
		c->free_ = c->x > 0 ? c->x : 0;
		return true;
	}
	c->e = c->d - pen - tgt;
	return true;
}

/* True if all of [play_ts + from, play_ts + to) has arrived. */
static bool buffered(const struct jb *jb, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (jb->flag[(jb->play_ts + (int64_t)i) & RING_MASK] ==
		    F_MISSING)
			return false;
	return true;
}

/* Samples that may be dropped now without making packets late. */
static int64_t shrinkable(const struct ctl *c, size_t n)
{
	int64_t s = c->free_;
	if (c->e > HYST) /* whole blocks of margin to spare */
		s += (c->e - HYST) / (int64_t)n * (int64_t)n;
	return s < c->x ? s : c->x;
}

static int64_t clamp_rate(const struct jb *jb, int64_t mag, size_t n)
{
	int64_t a = jb->conf.fixed ? 1 : mag / 16;
	if (a < 1)
		a = 1;
	if (a > (int64_t)n / 16)
		a = (int64_t)n / 16;
	return a;
}

/*
 * Samples to drop (> 0) or repeat (< 0) in speech this block. Growing is
 * done whenever the effective delay is short (late packets cost more than
 * a repeated sample); shrinking waits for a quiet block unless the excess
 * is large, and never reads ahead into what has not arrived.
 */
static int speech_adjust(const struct jb *jb, const struct ctl *c, size_t n)
{
	if (n < 16)
		return 0;
	if (c->e < -HYST)
		return (int)-clamp_rate(jb, -c->e, n);
	if (c->x <= HYST)
		return 0;
	if (c->x <= 2 * HYST && energy_ahead(jb, n) >= LOW_ENERGY)
		return 0;
	int64_t a = clamp_rate(jb, c->x, n), lim = shrinkable(c, n);
	if (a > lim)
		a = lim;
	if (a <= 0 || !buffered(jb, n, n + (size_t)a))
		return 0;
	return (int)a;
}

int jb_get(struct jb *jb, int16_t *out, size_t n, uint64_t now)
{
	if (n == 0 || n > JB_BLOCK_MAX)
		return -EINVAL;
	if (!jb->playing) {
		memset(out, 0, n * sizeof(*out));
		return 0;
	}
	if (jb->fresh)
		catch_up(jb, now);
	struct ctl c;
	size_t pre = 0; /* silence inserted before the block */
	int a = 0;
	if (!control(jb, now, n, &c)) {
		/* no transit seen lately: nothing to steer by */
	} else if (c.d > (int64_t)jb->conf.max_ms * 8 + (int64_t)n) {
		skip(jb, c.x); /* clock jump or overload: back to target */
	} else if (jb->flag[jb->play_ts & RING_MASK] == F_SILENCE &&
		   !jb->conf.fixed) {
		/* between talkspurts: change the delay in one step */
		int64_t lim = shrinkable(&c, n);
		if (c.e < 0)
			pre = (size_t)(-c.e) < n ? (size_t)(-c.e) : n;
		else if (lim > 0)
			skip(jb, (int64_t)silence_ahead(jb, lim));
	} else {
		a = speech_adjust(jb, &c, n);
	}
	memset(out, 0, pre * sizeof(*out));
	jb->st.inserted_samples += pre;
	bool plc;
	if (a == 0) {
		plc = fetch(jb, out + pre, n - pre);
	} else {
		size_t m = a > 0 ? n + (size_t)a : n - (size_t)-a;
		plc = fetch(jb, jb->tmp, m);
		rescale(out, jb->tmp, n, a);
		if (a > 0)
			jb->st.dropped_samples += (uint64_t)a;
		else
			jb->st.inserted_samples += (uint64_t)-a;
	}
	if (plc)
		jb->st.plc_frames++;
	if (jb->missing_run > STOP_SAMPLES && jb->max_ts_end <= jb->play_ts) {
		jb->playing = false; /* stream stopped: re-anchor later */
		jb->st.resets++;
	}
	return 0;
}

int jb_get_g711(struct jb *jb, uint8_t *out, size_t n, uint64_t now,
		enum jb_law law)
{
	int16_t lin[JB_BLOCK_MAX];
	if (n == 0 || n > JB_BLOCK_MAX)
		return -EINVAL;
	int rc = jb_get(jb, lin, n, now);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		out[i] = law == JB_LAW_ALAW ? linear_to_alaw(lin[i])
					    : linear_to_ulaw(lin[i]);
	return 0;
}

unsigned jb_freeze(struct jb *jb)
{
	if (jb->conf.fixed)
		return jb->conf.fixed_ms;
	unsigned ms = (unsigned)((target(jb) + 7) / 8);
	if (ms < jb->conf.min_ms)
		ms = jb->conf.min_ms;
	if (ms > jb->conf.max_ms)
		ms = jb->conf.max_ms;
	jb->conf.fixed_ms = ms;
	jb->conf.fixed = true;
	return ms;
}

void jb_get_stats(const struct jb *jb, struct jb_stats *st)
{
	*st = jb->st;
	uint64_t lost = jb->lost_before;
	if (jb->started) {
		int64_t exp = jb->max_ext_seq - jb->first_ext_seq + 1;
		if (exp > (int64_t)jb->received)
			lost += (uint64_t)exp - jb->received;
	}
	st->lost = lost;
}
