/*
 * pstnsim's calls. A SETUP from the gateway is answered by the called
 * number's behaviour (psim_conf.c); calls we originate follow the
 * gateway's answers. Each call has an audio source and sink on its
 * B-channel once media flows (answer, or in-band progress). Released calls
 * stay listed (bounded) so tests can read what happened.
 *
 * libpri clearing rules used here (as in gw/isdn/isdn_call.c): on
 * PRI_EVENT_HANGUP call pri_hangup() once more to finish; after our own
 * pri_hangup() wait for PRI_EVENT_HANGUP_ACK; an incoming call gets CALL
 * PROCEEDING before any clearing so libpri sends DISCONNECT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "psim.h"

#define CLEAR_GUARD_MS 10000 /* forget a call whose clearing never ends */
#define KEEP_RELEASED  1000  /* released calls kept for inspection */

enum call_state {
	CS_PENDING, /* originate scheduled */
	CS_SETUP,
	CS_PROCEEDING,
	CS_ALERTING,
	CS_PROGRESS,
	CS_ACTIVE,
	CS_CLEARING,
	CS_RELEASED,
};

static const char *const state_names[] = {
    [CS_PENDING] = "pending",	    [CS_SETUP] = "setup",
    [CS_PROCEEDING] = "proceeding", [CS_ALERTING] = "alerting",
    [CS_PROGRESS] = "progress",	    [CS_ACTIVE] = "active",
    [CS_CLEARING] = "clearing",	    [CS_RELEASED] = "released",
};

/* Owned by psim's call list. */
struct psim_call {
	struct psim_call *next;
	struct psim *p;
	struct psim_span *span;
	q931_call *q;
	unsigned id, ts;
	bool outgoing; /* we sent the SETUP */
	bool responded;
	bool idle_tx; /* alerting without in-band tones: idle code only */
	enum call_state state;
	char called[PSIM_NUM_MAX], calling[PSIM_NUM_MAX];
	struct psim_number beh;	  /* incoming: the number's behaviour */
	struct psim_call_req req; /* outgoing */
	struct psim_audio *audio;
	unsigned step;	      /* behaviour step done */
	unsigned digits_sent; /* overlap: of req.overlap_digits */
	struct loop_timer timer, hangup_timer, guard;
	struct loop_defer free_defer;
	int cause;
	const char *released_by;
	uint64_t setup_ms, answer_ms, end_ms;
};

static void call_ev(struct psim_call *c, const char *type)
{
	struct json_out *o = psim_event_begin(c->p, type);
	json_kv_uint(o, "span", psim_span_no(c->span));
	json_kv_uint(o, "call", c->id);
	json_kv_uint(o, "chan", c->ts);
	json_kv_str(o, "dir", c->outgoing ? "out" : "in");
	json_kv_str(o, "called", c->called);
	json_kv_str(o, "calling", c->calling);
	if (c->state == CS_RELEASED) {
		json_kv_int(o, "cause", c->cause);
		json_kv_str(o, "by", c->released_by);
		if (c->answer_ms)
			json_kv_uint(o, "duration_ms",
				     c->end_ms - c->answer_ms);
		if (c->audio) {
			json_key(o, "audio");
			json_obj_begin(o);
			psim_audio_report(c->audio, o);
			json_obj_end(o);
		}
	}
	psim_event_end(c->p);
}

static uint64_t now_ms(const struct psim *p)
{
	return loop_now_ms(p->loop) - p->started_ms;
}

struct psim_call *psim_call_find(struct psim *p, unsigned id)
{
	for (struct psim_call *c = p->calls; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static struct psim_call *find_q(struct psim *p, const q931_call *q)
{
	for (struct psim_call *c = p->calls; c; c = c->next)
		if (c->q == q && c->state != CS_RELEASED)
			return c;
	return NULL;
}

unsigned psim_call_count(const struct psim *p)
{
	unsigned n = 0;
	for (const struct psim_call *c = p->calls; c; c = c->next)
		n += c->state != CS_RELEASED && c->state != CS_PENDING;
	return n;
}

static void media_start(struct psim_call *c)
{
	if (!c->audio) {
		const struct psim_audio_spec *spec =
		    c->outgoing ? &c->req.audio : &c->beh.audio;
		c->audio = psim_audio_new(spec, psim_span_law(c->span));
		if (!c->audio) {
			log_warn("call %u: no memory for audio", c->id);
			return;
		}
	}
	psim_span_media(c->span, c->ts, c);
}

/* While alerting the B-channel is through-connected but carries only the
 * idle code (no in-band information: no progress indicator); the number's
 * source and sink start at the answer. */
void psim_call_fill(struct psim_call *c, uint8_t *buf, size_t n)
{
	if (c->idle_tx)
		tdm_idle_fill(psim_span_law(c->span), buf, n);
	else
		psim_audio_fill(c->audio, buf, n);
}

void psim_call_take(struct psim_call *c, const uint8_t *buf, size_t n)
{
	if (!c->idle_tx)
		psim_audio_take(c->audio, buf, n);
}

/* Frees the oldest released calls beyond what is kept. */
static void trim_released(struct psim *p)
{
	unsigned kept = 0;
	for (struct psim_call **pc = &p->calls; *pc;) {
		struct psim_call *c = *pc;
		if (c->state == CS_RELEASED && ++kept > KEEP_RELEASED) {
			*pc = c->next;
			psim_audio_free(c->audio);
			free(c);
			continue;
		}
		pc = &c->next;
	}
}

/* The call is over: stop its media and timers, report it. */
static void call_released(struct psim_call *c, int cause, const char *by)
{
	struct loop *l = c->p->loop;
	if (c->state == CS_RELEASED)
		return;
	loop_timer_stop(l, &c->timer);
	loop_timer_stop(l, &c->hangup_timer);
	loop_timer_stop(l, &c->guard);
	if (c->ts) {
		psim_span_media(c->span, c->ts, NULL);
		psim_span_chan_busy(c->span, c->ts, false);
	}
	c->state = CS_RELEASED;
	c->cause = cause;
	c->released_by = by;
	c->end_ms = now_ms(c->p);
	c->q = NULL;
	call_ev(c, "call_released");
	trim_released(c->p);
}

static void clear_guard(struct loop_timer *t)
{
	struct psim_call *c = t->arg;
	log_warn("call %u: clearing not complete after %d ms; forgotten", c->id,
		 CLEAR_GUARD_MS);
	if (c->q)
		pri_destroycall(psim_span_pri(c->span), c->q);
	call_released(c, c->cause, "pstnsim");
}

/* Starts clearing from our side with cause. */
static void call_hangup(struct psim_call *c, int cause)
{
	if (c->state == CS_CLEARING || c->state == CS_RELEASED)
		return;
	struct pri *pri = psim_span_pri(c->span);
	if (c->state == CS_PENDING) {
		call_released(c, cause, "pstnsim");
		return;
	}
	if (!c->outgoing && !c->responded &&
	    pri_proceeding(pri, c->q, (int)c->ts, 0) == 0)
		c->responded = true;
	c->state = CS_CLEARING;
	c->cause = cause;
	c->released_by = "pstnsim";
	pri_hangup(pri, c->q, cause);
	loop_timer_start(c->p->loop, &c->guard, CLEAR_GUARD_MS);
	psim_span_kick(c->span);
}

static void hangup_fired(struct loop_timer *t)
{
	call_hangup(t->arg, PRI_CAUSE_NORMAL_CLEARING);
}

static void answered(struct psim_call *c)
{
	c->state = CS_ACTIVE;
	c->answer_ms = now_ms(c->p);
	c->idle_tx = false;
	media_start(c);
	unsigned hangup_ms = c->outgoing ? c->req.hangup_ms : c->beh.hangup_ms;
	if (hangup_ms)
		loop_timer_start(c->p->loop, &c->hangup_timer, hangup_ms);
	call_ev(c, "call_answered");
}

/* ---- incoming calls: the number's behaviour, step by step ---- */

static void behaviour_step(struct loop_timer *t)
{
	struct psim_call *c = t->arg;
	struct pri *pri = psim_span_pri(c->span);
	const struct psim_number *b = &c->beh;
	int ch = (int)c->ts;
	if (c->state == CS_CLEARING || c->state == CS_RELEASED)
		return;
	switch (b->behaviour) {
	case PSIM_B_GLARE: /* past its collisions: answers (on_ring) */
	case PSIM_B_ANSWER:
		if (c->step == 0 && b->alert_ms < b->answer_ms) {
			c->step = 1;
			pri_acknowledge(pri, c->q, ch, 0); /* ALERTING */
			c->state = CS_ALERTING;
			c->idle_tx = true; /* idle code until the answer */
			media_start(c);
			loop_timer_start(c->p->loop, t,
					 b->answer_ms - b->alert_ms);
			break;
		}
		pri_answer(pri, c->q, ch, 0);
		answered(c);
		break;
	case PSIM_B_NOANSWER:
		if (c->step == 0) {
			c->step = 1;
			pri_acknowledge(pri, c->q, ch, 0);
			c->state = CS_ALERTING;
			media_start(
			    c); /* idle code: the caller hears nothing */
			loop_timer_start(c->p->loop, t, b->noanswer_ms);
			break;
		}
		call_hangup(c, PRI_CAUSE_NO_ANSWER);
		break;
	case PSIM_B_ANNOUNCE:
		if (c->step == 0) {
			c->step = 1;
			/* PROGRESS with PI=8: in-band information (Q.931
			 * §5.1.6) */
			pri_progress(pri, c->q, ch, 1);
			c->state = CS_PROGRESS;
			media_start(c);
			loop_timer_start(c->p->loop, t, b->announce_ms);
			break;
		}
		if (b->cause) {
			call_hangup(c, b->cause);
		} else {
			pri_answer(pri, c->q, ch, 0);
			answered(c);
		}
		break;
	case PSIM_B_BUSY:
		call_hangup(c, PRI_CAUSE_USER_BUSY);
		break;
	case PSIM_B_UNALLOCATED:
		call_hangup(c, PRI_CAUSE_UNALLOCATED);
		break;
	case PSIM_B_CONGESTION:
		call_hangup(c, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
		break;
	case PSIM_B_REJECT:
		call_hangup(c, b->cause ? b->cause : PRI_CAUSE_CALL_REJECTED);
		break;
	case PSIM_B_SILENT:
	case PSIM_B_PROCEEDING:
		break;
	}
	psim_span_kick(c->span);
}

static struct psim_call *call_new(struct psim *p, struct psim_span *s)
{
	struct psim_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->p = p;
	c->span = s;
	c->id = ++p->next_call_id;
	c->cause = -1;
	c->released_by = "";
	loop_timer_init(&c->timer, behaviour_step, c);
	loop_timer_init(&c->hangup_timer, hangup_fired, c);
	loop_timer_init(&c->guard, clear_guard, c);
	c->next = p->calls;
	p->calls = c;
	return c;
}

/* The channel the network gives an incoming call (Q.931 §5.2.3.2): the
 * one asked for when free; another if the request was only preferred. */
static int pick_channel(struct psim_span *s, const pri_event_ring *r,
			unsigned *ts)
{
	int want = r->channel < 0 ? -1 : (r->channel & 0xff);
	*ts = 0;
	if (want > 0 && !psim_span_is_bchan(s, (unsigned)want))
		return PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST; /* cause 82 */
	if (want > 0 && psim_span_chan_free(s, (unsigned)want))
		*ts = (unsigned)want;
	else if (want > 0 && !r->flexible)
		return PRI_CAUSE_REQUESTED_CHAN_UNAVAIL; /* cause 44 */
	else
		*ts = psim_span_free_chan(s);
	return *ts ? 0 : PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
}

static void originate_fired(struct loop_timer *t);

/*
 * Glare (Q.931 §5.7): the network seized channel ts for a call of its own
 * at the moment the gateway's SETUP (call in) asked for it. We send our
 * SETUP on ts (exclusive) first; the caller then refuses the gateway's
 * with cause 44. After the number's glare_count collisions it answers
 * instead. Returns true if this SETUP collides.
 */
static bool glare(struct psim_span *s, struct psim_call *in, unsigned ts)
{
	struct psim *p = psim_span_psim(s);
	const struct psim_number *n = psim_number_match(&p->conf, in->called);
	unsigned idx = n == &p->conf.dflt ? PSIM_MAX_NUMBERS
					  : (unsigned)(n - p->conf.numbers);
	if (p->conf.glares_done[idx] >= in->beh.glare_count) {
		in->beh.behaviour = PSIM_B_ANSWER;
		return false;
	}
	struct psim_call_req req = {
	    .span = psim_span_no(s),
	    .chan = ts,
	    .called_ton = PRI_NATIONAL_ISDN,
	    .calling_ton = PRI_NATIONAL_ISDN,
	    .calling_pres = PRES_ALLOWED_USER_NUMBER_NOT_SCREENED,
	    .hangup_ms = in->beh.hangup_ms,
	    .audio = in->beh.audio,
	};
	snprintf(req.called, sizeof(req.called), "%s", in->beh.glare_called);
	snprintf(req.calling, sizeof(req.calling), "%s", in->beh.glare_calling);
	unsigned id;
	char err[80];
	if (psim_call_originate(p, &req, &id, err, sizeof(err))) {
		log_warn("call %u: glare call not placed: %s", in->id, err);
		return false;
	}
	p->conf.glares_done[idx]++;
	struct psim_call *g = psim_call_find(p, id);
	originate_fired(&g->timer);
	struct json_out *o = psim_event_begin(p, "call_glare");
	json_kv_uint(o, "span", psim_span_no(s));
	json_kv_uint(o, "chan", ts);
	json_kv_uint(o, "call", in->id);
	json_kv_uint(o, "glare_call", id);
	json_kv_str(o, "called", in->called);
	psim_event_end(p);
	log_info("call %u: glare on channel %u: our call %u (to %s) takes "
		 "it",
		 in->id, ts, id, req.called);
	return g->state == CS_SETUP;
}

static void on_ring(struct psim_span *s, const pri_event_ring *r)
{
	struct psim *p = psim_span_psim(s);
	struct pri *pri = psim_span_pri(s);
	unsigned ts;
	int cause = pick_channel(s, r, &ts);
	struct psim_call *c = call_new(p, s);
	if (!c) {
		pri_hangup(pri, r->call, PRI_CAUSE_SWITCH_CONGESTION);
		return;
	}
	c->q = r->call;
	c->setup_ms = now_ms(p);
	snprintf(c->called, sizeof(c->called), "%.*s",
		 (int)sizeof(c->called) - 1, r->callednum);
	snprintf(c->calling, sizeof(c->calling), "%.*s",
		 (int)sizeof(c->calling) - 1, r->callingnum);
	c->beh = *psim_number_match(&p->conf, r->callednum);
	c->state = CS_SETUP;
	if (!cause && c->beh.behaviour == PSIM_B_GLARE && glare(s, c, ts))
		cause = PRI_CAUSE_REQUESTED_CHAN_UNAVAIL; /* cause 44 */
	if (cause) {
		c->ts = 0;
		call_ev(c, "call_setup");
		/* no channel: Q.931 §5.2.5.1 RELEASE COMPLETE with the cause */
		pri_hangup(pri, r->call, cause);
		call_released(c, cause, "pstnsim");
		return;
	}
	c->ts = ts;
	psim_span_chan_busy(s, ts, true);
	call_ev(c, "call_setup");
	if (c->beh.behaviour != PSIM_B_SILENT) {
		pri_proceeding(pri, c->q, (int)ts, 0);
		c->responded = true;
		c->state = CS_PROCEEDING;
	}
	unsigned first = 0;
	if (c->beh.behaviour == PSIM_B_ANSWER)
		first = c->beh.alert_ms < c->beh.answer_ms ? c->beh.alert_ms
							   : c->beh.answer_ms;
	if (c->beh.behaviour != PSIM_B_SILENT &&
	    c->beh.behaviour != PSIM_B_PROCEEDING)
		loop_timer_start(p->loop, &c->timer, first);
}

/* ---- events for existing calls ---- */

static void on_far_hangup(struct psim_span *s, const pri_event_hangup *h)
{
	struct psim_call *c = find_q(psim_span_psim(s), h->call);
	pri_hangup(psim_span_pri(s), h->call, h->cause);
	if (c)
		call_released(c, h->cause,
			      c->state == CS_CLEARING ? "pstnsim" : "gateway");
}

static void on_progress(struct psim_call *c, int progress, bool alerting)
{
	if (c->state == CS_ACTIVE)
		return;
	c->state = alerting ? CS_ALERTING : CS_PROGRESS;
	call_ev(c, alerting ? "call_alerting" : "call_progress");
	/* PI 1 or 8: in-band information is available: listen to it */
	if (progress == 1 || progress == 8 ||
	    (progress > 0 && (progress & PRI_PROG_INBAND_AVAILABLE)))
		media_start(c);
}

/* Overlap sending: the next digit in an INFORMATION (Q.931 §5.2.4.2). */
static void digit_fired(struct loop_timer *t)
{
	struct psim_call *c = t->arg;
	const char *d = c->req.overlap_digits;
	size_t n = strlen(d);
	if (c->state != CS_SETUP || c->digits_sent >= n)
		return;
	bool last = c->digits_sent + 1 == n;
	if (last && c->req.sending_complete)
		psim_span_complete_next_info(c->span, true);
	if (pri_information(psim_span_pri(c->span), c->q,
			    d[c->digits_sent++]) != 0) {
		log_warn("call %u: INFORMATION not sent", c->id);
		psim_span_complete_next_info(c->span, false);
		return;
	}
	if (!last)
		loop_timer_start(c->p->loop, t, c->req.digit_gap_ms);
	psim_span_kick(c->span);
}

/* The gateway asks for the rest of the number (Q.931 §5.2.4.1). */
static void on_setup_ack(struct psim_call *c)
{
	call_ev(c, "call_setup_ack");
	if (!c->req.overlap_digits[0] || c->digits_sent)
		return;
	loop_timer_init(&c->timer, digit_fired, c);
	loop_timer_start(c->p->loop, &c->timer, c->req.digit_gap_ms);
}

void psim_call_event(struct psim_span *s, pri_event *e)
{
	struct psim *p = psim_span_psim(s);
	struct psim_call *c;
	switch (e->e) {
	case PRI_EVENT_RING:
		on_ring(s, &e->ring);
		break;
	case PRI_EVENT_HANGUP:
		on_far_hangup(s, &e->hangup);
		break;
	case PRI_EVENT_HANGUP_REQ:
		if ((c = find_q(p, e->hangup.call)) &&
		    c->state != CS_CLEARING) {
			c->state = CS_CLEARING;
			c->released_by = "gateway";
			c->cause = e->hangup.cause;
			loop_timer_start(p->loop, &c->guard, CLEAR_GUARD_MS);
		}
		pri_hangup(psim_span_pri(s), e->hangup.call, e->hangup.cause);
		break;
	case PRI_EVENT_HANGUP_ACK:
		if ((c = find_q(p, e->hangup.call)))
			call_released(
			    c, c->cause >= 0 ? c->cause : e->hangup.cause,
			    c->released_by[0] ? c->released_by : "pstnsim");
		break;
	case PRI_EVENT_SETUP_ACK:
		if ((c = find_q(p, e->setup_ack.call)) && c->outgoing &&
		    c->state == CS_SETUP)
			on_setup_ack(c);
		break;
	case PRI_EVENT_PROCEEDING:
		if ((c = find_q(p, e->proceeding.call)) &&
		    c->state == CS_SETUP) {
			c->state = CS_PROCEEDING;
			call_ev(c, "call_proceeding");
		}
		break;
	case PRI_EVENT_PROGRESS:
		if ((c = find_q(p, e->proceeding.call)))
			on_progress(c, e->proceeding.progress, false);
		break;
	case PRI_EVENT_RINGING:
		if ((c = find_q(p, e->ringing.call)))
			on_progress(c, e->ringing.progress, true);
		break;
	case PRI_EVENT_ANSWER:
		if ((c = find_q(p, e->answer.call)) && c->state != CS_ACTIVE)
			answered(c);
		break;
	default:
		break;
	}
}

/* ---- originating ---- */

static void originate_fired(struct loop_timer *t)
{
	struct psim_call *c = t->arg;
	struct psim_span *s = c->span;
	struct pri *pri = psim_span_pri(s);
	unsigned ts = c->req.chan ? c->req.chan : psim_span_free_chan(s);
	if (!psim_span_up(s) || !ts || !psim_span_chan_free(s, ts)) {
		c->state = CS_SETUP;
		call_released(c,
			      psim_span_up(s)
				  ? PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION
				  : PRI_CAUSE_NETWORK_OUT_OF_ORDER,
			      "pstnsim");
		return;
	}
	c->q = pri_new_call(pri);
	struct pri_sr *sr = pri_sr_new();
	if (!c->q || !sr) {
		pri_sr_free(sr);
		c->state = CS_SETUP;
		call_released(c, PRI_CAUSE_SWITCH_CONGESTION, "pstnsim");
		return;
	}
	c->ts = ts;
	psim_span_chan_busy(s, ts, true);
	/* the network's channel choice is exclusive (Q.931 §5.2.3.1) */
	pri_sr_set_channel(sr, (int)ts, 1, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
			  psim_span_law(s) == TDM_LAW_ALAW ? PRI_LAYER_1_ALAW
							   : PRI_LAYER_1_ULAW);
	pri_sr_set_called(sr, c->req.called, c->req.called_ton,
			  c->req.overlap ? 0 : 1);
	pri_sr_set_caller(sr, c->req.calling[0] ? c->req.calling : NULL, NULL,
			  c->req.calling_ton, c->req.calling_pres);
	/* libpri leaves Sending Complete out of a SETUP only in overlap
	 * mode (on EuroISDN it adds it otherwise) */
	pri_set_overlapdial(pri, c->req.overlap ? 1 : 0);
	int rc = pri_setup(pri, c->q, sr);
	pri_set_overlapdial(pri, 0);
	pri_sr_free(sr);
	c->state = CS_SETUP;
	c->setup_ms = now_ms(c->p);
	call_ev(c, "call_setup");
	if (rc) {
		pri_destroycall(pri, c->q);
		call_released(c, PRI_CAUSE_SWITCH_CONGESTION, "pstnsim");
	}
	psim_span_kick(s);
}

int psim_call_originate(struct psim *p, const struct psim_call_req *r,
			unsigned *id, char *err, size_t cap)
{
	struct psim_span *s =
	    r->span <= PSIM_MAX_SPANS ? p->span[r->span] : NULL;
	if (!s) {
		snprintf(err, cap, "no span %u", r->span);
		return -ENOENT;
	}
	if (r->chan && !psim_span_is_bchan(s, r->chan)) {
		snprintf(err, cap, "span %u has no B-channel %u", r->span,
			 r->chan);
		return -EINVAL;
	}
	struct psim_call *c = call_new(p, s);
	if (!c) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	c->outgoing = true;
	c->req = *r;
	c->state = CS_PENDING;
	snprintf(c->called, sizeof(c->called), "%s", r->called);
	snprintf(c->calling, sizeof(c->calling), "%s", r->calling);
	loop_timer_init(&c->timer, originate_fired, c);
	*id = c->id;
	return 0;
}

/* Schedules a pending originated call delay_ms from now. */
void psim_call_start(struct psim *p, unsigned id, unsigned delay_ms)
{
	struct psim_call *c = psim_call_find(p, id);
	if (c && c->state == CS_PENDING)
		loop_timer_start(p->loop, &c->timer, delay_ms);
}

int psim_call_hangup(struct psim *p, unsigned id, int cause)
{
	struct psim_call *c = psim_call_find(p, id);
	if (!c)
		return -ENOENT;
	if (c->state == CS_RELEASED || c->state == CS_CLEARING)
		return -EALREADY;
	call_hangup(c, cause);
	return 0;
}

void psim_call_drop_span(struct psim *p, struct psim_span *s, int cause)
{
	for (struct psim_call *c = p->calls; c; c = c->next) {
		if (c->span != s || c->state == CS_RELEASED ||
		    c->state == CS_PENDING)
			continue;
		if (c->q)
			pri_destroycall(psim_span_pri(s), c->q);
		call_released(c, cause, "link");
	}
}

void psim_call_put(const struct psim_call *c, struct json_out *o)
{
	json_obj_begin(o);
	json_kv_uint(o, "call", c->id);
	json_kv_uint(o, "span", psim_span_no(c->span));
	json_kv_uint(o, "chan", c->ts);
	json_kv_str(o, "dir", c->outgoing ? "out" : "in");
	json_kv_str(o, "state", state_names[c->state]);
	json_kv_str(o, "called", c->called);
	json_kv_str(o, "calling", c->calling);
	if (!c->outgoing)
		json_kv_str(o, "behaviour",
			    psim_behaviour_name(c->beh.behaviour));
	json_kv_int(o, "cause", c->cause);
	json_kv_str(o, "by", c->released_by);
	json_kv_uint(o, "setup_ms", c->setup_ms);
	json_kv_uint(o, "answer_ms", c->answer_ms);
	json_kv_uint(o, "end_ms", c->end_ms);
	if (c->audio) {
		json_key(o, "audio");
		json_obj_begin(o);
		psim_audio_report(c->audio, o);
		json_obj_end(o);
	}
	json_obj_end(o);
}

struct psim_call *psim_call_next(const struct psim_call *c)
{
	return c->next;
}

bool psim_call_active(const struct psim_call *c)
{
	return c->state != CS_RELEASED;
}

struct psim_span *psim_call_span(const struct psim_call *c)
{
	return c->span;
}

unsigned psim_call_ts(const struct psim_call *c)
{
	return c->ts;
}

void psim_call_drop(struct psim_call *c, int cause)
{
	if (c->state == CS_RELEASED)
		return;
	if (c->q)
		pri_destroycall(psim_span_pri(c->span), c->q);
	call_released(c, cause, "restart");
}

void psim_calls_free(struct psim *p)
{
	while (p->calls) {
		struct psim_call *c = p->calls;
		p->calls = c->next;
		loop_timer_stop(p->loop, &c->timer);
		loop_timer_stop(p->loop, &c->hangup_timer);
		loop_timer_stop(p->loop, &c->guard);
		psim_audio_free(c->audio);
		free(c);
	}
}
