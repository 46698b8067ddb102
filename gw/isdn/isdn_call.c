/*
 * Calls on a span: incoming SETUP with channel selection (Q.931 §5.2.3),
 * responses, clearing, and libpri's call events turned into isdn call
 * events. libpri's clearing contract, which this file keeps:
 *  - PRI_EVENT_HANGUP: the far end released; pri_hangup() must be called
 *    once more to finish (it sends RELEASE COMPLETE if still owed).
 *  - PRI_EVENT_HANGUP_ACK: clearing we started is complete; libpri has
 *    already freed its call.
 *  - pri_hangup() on a call to which nothing was sent yet, with a cause
 *    that Q.931 §5.3.2 a) answers with RELEASE COMPLETE, frees the call at
 *    once and no event follows.
 *  - For an incoming call not yet answered with anything, libpri sends
 *    nothing at all on pri_hangup() with any other cause (the call is not
 *    "alive" until the user responds), so we send CALL PROCEEDING first and
 *    then clear with DISCONNECT (Q.931 §5.3.2 b).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isdn_int.h"
#include "log.h"

static struct isdn_call *call_find(struct isdn_span *s, q931_call *q)
{
	for (struct isdn_call *c = s->calls; c; c = c->next)
		if (c->q == q)
			return c;
	return NULL;
}

static void notify(struct isdn_call *c, enum isdn_call_event type, int cause,
		   int progress)
{
	struct isdn_call_ev ev = {
	    .type = type,
	    .cause = cause,
	    .progress = progress,
	};
	struct isdn *i = c->span->isdn;
	if (!i->freeing)
		i->h->call_event(i->arg, c, &ev);
}

static void call_unlink(struct isdn_call *c)
{
	struct isdn_span *s = c->span;
	for (struct isdn_call **pp = &s->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->ts && s->chan[c->ts].call == c) {
		s->chan[c->ts].call = NULL;
		isdn_chan_set(s, c->ts, ISDN_CH_IDLE);
	}
	loop_timer_stop(s->isdn->loop, &c->guard);
	loop_defer_cancel(s->isdn->loop, &c->release_defer);
}

/* Tells the user the call is gone, then frees it. */
static void call_finish(struct isdn_call *c, int cause)
{
	struct isdn_span *s = c->span;
	call_unlink(c);
	notify(c, ISDN_CALL_RELEASED, cause, 0);
	free(c);
	isdn_span_notify(s);
}

static void release_deferred(struct loop_defer *d)
{
	struct isdn_call *c = d->arg;
	call_finish(c, c->cause);
}

static void clear_guard(struct loop_timer *t)
{
	struct isdn_call *c = t->arg;
	isdn_log(LOG_LVL_ERR, c->span,
		 "call %u on channel %u not cleared "
		 "after %d ms; forgetting it and restarting the channel",
		 c->id, c->ts, ISDN_CLEAR_GUARD_MS);
	unsigned ts = c->ts;
	struct isdn_span *s = c->span;
	pri_destroycall(s->pri, c->q);
	call_finish(c, c->cause);
	if (ts)
		isdn_span_restart(s, ts);
}

static struct isdn_call *call_new(struct isdn_span *s, q931_call *q,
				  unsigned ts, bool outgoing)
{
	struct isdn_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->span = s;
	c->q = q;
	c->ts = ts;
	c->outgoing = outgoing;
	c->id = ++s->isdn->next_call_id;
	if (!c->id)
		c->id = ++s->isdn->next_call_id;
	loop_timer_init(&c->guard, clear_guard, c);
	c->next = s->calls;
	s->calls = c;
	if (ts) {
		s->chan[ts].call = c;
		isdn_chan_set(s, ts, ISDN_CH_BUSY);
	}
	return c;
}

/*
 * Q.931 §5.2.3.1 (network to user) and §5.1.2 (user to network): an
 * exclusive channel must be taken as offered or refused with 44; a
 * preferred one may be replaced, and when none is indicated we choose.
 * A channel our own outgoing call holds may still go to the network's
 * exclusive SETUP on the user side (glare, isdn_chan_glare_yield).
 * Returns the timeslot or 0.
 */
static unsigned pick_incoming_ts(struct isdn_span *s, int channel,
				 bool flexible)
{
	unsigned want = (channel == -1 || (channel & 0xff) == 0xff)
			    ? 0
			    : (unsigned)channel & 0xff;
	if (want && want <= TDM_MAX_TIMESLOTS && isdn_chan_available(s, want))
		return want;
	if (want && !flexible)
		return isdn_chan_glare_yield(s, want) ? want : 0;
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++)
		if (isdn_chan_available(s, ts))
			return ts;
	return 0;
}

/* Copies a libpri string, truncating to the field (numbers longer than
 * our fields are not valid E.164/national numbers anyway). */
static void copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fill_setup(struct isdn_setup *st, const pri_event_ring *r,
		       unsigned ts)
{
	memset(st, 0, sizeof(*st));
	copy_field(st->called, sizeof(st->called), r->callednum);
	st->called_plan = r->calledplan;
	copy_field(st->calling, sizeof(st->calling), r->callingnum);
	st->calling_plan = r->callingplan;
	st->calling_pres = r->callingpres;
	copy_field(st->calling_name, sizeof(st->calling_name), r->callingname);
	copy_field(st->redirecting, sizeof(st->redirecting), r->redirectingnum);
	st->redirecting_plan = r->callingplanrdnis;
	st->redirecting_reason = r->redirectingreason;
	st->complete = r->complete;
	st->transfer_cap = r->ctype;
	st->layer1 = r->layer1;
	st->ts = ts;
	st->exclusive = !r->flexible;
}

static void on_ring(struct isdn_span *s, pri_event_ring *r)
{
	unsigned ts = pick_incoming_ts(s, r->channel, r->flexible);
	s->cnt.calls_in++;
	if (!ts) {
		/* Q.931 §5.2.3.1 c): 44 when the exclusive channel is taken,
		 * 34 when no channel at all is free */
		bool excl = (r->channel & 0xff) != 0xff && !r->flexible;
		int cause = excl ? PRI_CAUSE_REQUESTED_CHAN_UNAVAIL
				 : PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
		isdn_log(LOG_LVL_NOTICE, s,
			 "SETUP for %s on channel %d "
			 "rejected: cause %d",
			 r->callednum, r->channel & 0xff, cause);
		s->cnt.calls_rejected++;
		pri_hangup(s->pri, r->call, cause);
		return;
	}
	struct isdn_call *c = call_new(s, r->call, ts, false);
	if (!c) {
		pri_hangup(s->pri, r->call, PRI_CAUSE_SWITCH_CONGESTION);
		return;
	}
	isdn_log(LOG_LVL_INFO, s,
		 "call %u: SETUP from '%s' to '%s' on "
		 "channel %u",
		 c->id, r->callingnum, r->callednum, ts);
	struct isdn_setup st;
	fill_setup(&st, r, ts);
	struct isdn_call_ev ev = {.type = ISDN_CALL_SETUP, .setup = &st};
	s->isdn->h->call_event(s->isdn->arg, c, &ev);
	isdn_span_notify(s);
}

/* The far end released (RELEASE or RELEASE COMPLETE). */
static void on_hangup(struct isdn_span *s, pri_event_hangup *h)
{
	struct isdn_call *c = call_find(s, h->call);
	/* finishes libpri's side whoever started the clearing */
	pri_hangup(s->pri, h->call, h->cause);
	if (c)
		call_finish(c, h->cause);
}

static void on_hangup_ack(struct isdn_span *s, pri_event_hangup *h)
{
	struct isdn_call *c = call_find(s, h->call);
	if (c)
		call_finish(c, h->cause ? h->cause : c->cause);
}

/*
 * Q.931 §5.1.2: on an outgoing call with a preferred channel the network
 * may choose another one in its first response; follow it.
 */
static void follow_channel(struct isdn_call *c, int channel)
{
	struct isdn_span *s = c->span;
	unsigned ts = (channel < 0 || (channel & 0xff) == 0xff)
			  ? 0
			  : (unsigned)channel & 0xff;
	if (!c->outgoing || !ts || ts == c->ts || ts > TDM_MAX_TIMESLOTS)
		return;
	if (s->chan[ts].call) {
		isdn_log(LOG_LVL_WARN, s,
			 "call %u: network moved it to "
			 "channel %u, which carries call %u",
			 c->id, ts, s->chan[ts].call->id);
		return;
	}
	isdn_log(LOG_LVL_INFO, s,
		 "call %u: network moved it from channel "
		 "%u to %u",
		 c->id, c->ts, ts);
	if (c->ts && s->chan[c->ts].call == c) {
		s->chan[c->ts].call = NULL;
		isdn_chan_set(s, c->ts, ISDN_CH_IDLE);
	}
	c->ts = ts;
	s->chan[ts].call = c;
	isdn_chan_set(s, ts, ISDN_CH_BUSY);
}

static void on_call_event(struct isdn_span *s, q931_call *q,
			  enum isdn_call_event type, int cause, int progress,
			  int channel)
{
	struct isdn_call *c = call_find(s, q);
	if (!c || c->phase == ISDN_PH_CLEARING)
		return;
	c->responded = true;
	follow_channel(c, channel);
	if (type == ISDN_CALL_CONNECT)
		c->phase = ISDN_PH_ACTIVE;
	notify(c, type, cause, progress);
}

/* Overlap receiving (Q.931 §5.2.4.2): INFORMATION with more of the
 * called number, and Sending Complete when the network knows it is all. */
static void on_info(struct isdn_span *s, const pri_event_ring *r)
{
	struct isdn_call *c = call_find(s, r->call);
	if (!c || c->outgoing || c->phase != ISDN_PH_SETUP)
		return;
	char digits[32];
	copy_field(digits, sizeof(digits), r->callednum);
	isdn_log(LOG_LVL_DEBUG, s, "call %u: INFORMATION '%s'%s", c->id, digits,
		 r->complete ? " (sending complete)" : "");
	struct isdn_call_ev ev = {
	    .type = ISDN_CALL_INFO,
	    .digits = digits,
	    .complete = r->complete != 0,
	};
	struct isdn *i = s->isdn;
	if (!i->freeing)
		i->h->call_event(i->arg, c, &ev);
}

void isdn_call_on_event(struct isdn_span *s, pri_event *e)
{
	switch (e->e) {
	case PRI_EVENT_RING:
		on_ring(s, &e->ring);
		break;
	case PRI_EVENT_INFO_RECEIVED:
		on_info(s, &e->ring);
		break;
	case PRI_EVENT_HANGUP:
		on_hangup(s, &e->hangup);
		break;
	case PRI_EVENT_HANGUP_ACK:
		on_hangup_ack(s, &e->hangup);
		break;
	case PRI_EVENT_HANGUP_REQ:
		on_call_event(s, e->hangup.call, ISDN_CALL_DISCONNECT,
			      e->hangup.cause, 0, -1);
		break;
	case PRI_EVENT_SETUP_ACK:
		on_call_event(s, e->setup_ack.call, ISDN_CALL_SETUP_ACK, 0, 0,
			      e->setup_ack.channel);
		break;
	case PRI_EVENT_PROCEEDING:
		on_call_event(s, e->proceeding.call, ISDN_CALL_PROCEEDING, 0,
			      e->proceeding.progress, e->proceeding.channel);
		break;
	case PRI_EVENT_RINGING:
		on_call_event(s, e->ringing.call, ISDN_CALL_ALERTING, 0,
			      e->ringing.progress, e->ringing.channel);
		break;
	case PRI_EVENT_PROGRESS:
		on_call_event(s, e->proceeding.call, ISDN_CALL_PROGRESS,
			      e->proceeding.cause, e->proceeding.progress,
			      e->proceeding.channel);
		break;
	case PRI_EVENT_ANSWER:
		on_call_event(s, e->answer.call, ISDN_CALL_CONNECT, 0,
			      e->answer.progress, e->answer.channel);
		break;
	default:
		log_debug("span %u: libpri event %s ignored", s->conf.no,
			  pri_event2str(e->e));
		break;
	}
}

/* ---- actions ---- */

static int call_act(struct isdn_call *c, int rc)
{
	if (rc)
		return -EIO;
	c->responded = true;
	isdn_span_rearm(c->span);
	return 0;
}

int isdn_call_proceeding(struct isdn_call *c)
{
	if (c->phase != ISDN_PH_SETUP || c->outgoing)
		return -EALREADY;
	return call_act(c, pri_proceeding(c->span->pri, c->q, (int)c->ts, 0));
}

int isdn_call_setup_ack(struct isdn_call *c)
{
	if (c->phase != ISDN_PH_SETUP || c->outgoing)
		return -EALREADY;
	return call_act(c,
			pri_need_more_info(c->span->pri, c->q, (int)c->ts, 0));
}

int isdn_call_alerting(struct isdn_call *c, bool inband)
{
	if (c->phase != ISDN_PH_SETUP || c->outgoing)
		return -EALREADY;
	return call_act(
	    c, pri_acknowledge(c->span->pri, c->q, (int)c->ts, inband ? 1 : 0));
}

int isdn_call_progress(struct isdn_call *c, int progress)
{
	if (c->phase != ISDN_PH_SETUP || c->outgoing)
		return -EALREADY;
	return call_act(
	    c, pri_progress(c->span->pri, c->q, (int)c->ts, progress ? 1 : 0));
}

int isdn_call_answer(struct isdn_call *c)
{
	if (c->phase != ISDN_PH_SETUP || c->outgoing)
		return -EALREADY;
	int rc = call_act(c, pri_answer(c->span->pri, c->q, (int)c->ts, 0));
	if (!rc)
		c->phase = ISDN_PH_ACTIVE;
	return rc;
}

/* Whether pri_hangup() will answer with RELEASE COMPLETE and free the call
 * at once (Q.931 §5.3.2 a); libpri with hangup_fix enabled). */
static bool hangup_frees_at_once(const struct isdn_call *c, int cause)
{
	if (c->responded || c->outgoing)
		return false;
	switch (cause) {
	case PRI_CAUSE_UNALLOCATED:
	case PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION:
	case PRI_CAUSE_REQUESTED_CHAN_UNAVAIL:
	case PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST:
	case PRI_CAUSE_INCOMPATIBLE_DESTINATION:
	case PRI_CAUSE_INVALID_CALL_REFERENCE:
		return true;
	default:
		return false;
	}
}

int isdn_call_hangup(struct isdn_call *c, int cause)
{
	if (c->phase == ISDN_PH_CLEARING)
		return -EALREADY;
	struct isdn_span *s = c->span;
	bool gone = hangup_frees_at_once(c, cause);
	if (!c->outgoing && c->phase == ISDN_PH_SETUP)
		s->cnt.calls_rejected++; /* refused before answer */
	if (!gone && !c->responded && !c->outgoing &&
	    pri_proceeding(s->pri, c->q, (int)c->ts, 0) == 0)
		c->responded = true;
	c->phase = ISDN_PH_CLEARING;
	c->cause = cause;
	pri_hangup(s->pri, c->q, cause);
	if (gone)
		loop_defer(s->isdn->loop, &c->release_defer, release_deferred,
			   c);
	else
		loop_timer_start(s->isdn->loop, &c->guard, ISDN_CLEAR_GUARD_MS);
	isdn_span_rearm(s);
	return 0;
}

/* Fills libpri's setup request from ours. */
static void sr_fill(struct pri_sr *sr, struct isdn_setup *st, unsigned ts)
{
	pri_sr_set_channel(sr, (int)ts, st->exclusive ? 1 : 0, 0);
	pri_sr_set_bearer(sr, st->transfer_cap, st->layer1);
	pri_sr_set_called(sr, st->called, st->called_plan,
			  st->complete ? 1 : 0);
	pri_sr_set_caller(sr, st->calling[0] ? st->calling : NULL,
			  st->calling_name[0] ? st->calling_name : NULL,
			  st->calling_plan, st->calling_pres);
	if (st->redirecting[0]) {
		/* the Redirecting number IE; libpri uses the count where the
		 * switch type carries one (diversion supplementary service) */
		struct pri_party_redirecting r;
		memset(&r, 0, sizeof(r));
		r.from.number.valid = 1;
		r.from.number.presentation = st->redirecting_pres;
		r.from.number.plan = st->redirecting_plan;
		snprintf(r.from.number.str, sizeof(r.from.number.str), "%s",
			 st->redirecting);
		r.count = st->redirecting_count > 0 ? st->redirecting_count : 1;
		r.reason = r.orig_reason = st->redirecting_reason;
		pri_sr_set_redirecting_parties(sr, &r);
	}
}

int isdn_call_place(struct isdn_span *s, const struct isdn_setup *st,
		    void *user, struct isdn_call **cp)
{
	if (!isdn_span_usable(s))
		return -ENETDOWN;
	if (!st->ts || st->ts > TDM_MAX_TIMESLOTS ||
	    !isdn_chan_available(s, st->ts))
		return -EBUSY;
	q931_call *q = pri_new_call(s->pri);
	if (!q)
		return -ENOMEM;
	struct pri_sr *sr = pri_sr_new();
	if (!sr) {
		pri_destroycall(s->pri, q);
		return -ENOMEM;
	}
	struct isdn_setup copy = *st; /* libpri takes non-const strings */
	sr_fill(sr, &copy, st->ts);
	struct isdn_call *c = call_new(s, q, st->ts, true);
	if (!c) {
		pri_sr_free(sr);
		pri_destroycall(s->pri, q);
		return -ENOMEM;
	}
	int rc = pri_setup(s->pri, q, sr);
	pri_sr_free(sr);
	if (rc) {
		call_unlink(c);
		free(c);
		pri_destroycall(s->pri, q);
		isdn_span_notify(s);
		return -EIO;
	}
	c->user = user;
	s->cnt.calls_out++;
	isdn_log(LOG_LVL_INFO, s,
		 "call %u: SETUP to '%s' from '%s' on "
		 "channel %u%s",
		 c->id, st->called, st->calling, st->ts,
		 st->exclusive ? " (exclusive)" : "");
	isdn_span_rearm(s);
	isdn_span_notify(s);
	*cp = c;
	return 0;
}

bool isdn_call_outgoing(const struct isdn_call *c)
{
	return c->outgoing;
}

/* ---- local clearing (no signalling possible or needed) ---- */

void isdn_call_drop_all(struct isdn_span *s, int cause)
{
	while (s->calls) {
		struct isdn_call *c = s->calls;
		pri_destroycall(s->pri, c->q);
		call_finish(c, cause);
	}
}

void isdn_call_drop_ts(struct isdn_span *s, unsigned ts, int cause)
{
	struct isdn_call *c = s->chan[ts].call;
	if (!c)
		return;
	pri_destroycall(s->pri, c->q);
	call_finish(c, cause);
}

unsigned isdn_hangup_all(struct isdn *i, int cause)
{
	unsigned n = 0;
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++) {
		struct isdn_span *s = i->span[no];
		for (struct isdn_call *c = s ? s->calls : NULL; c; c = c->next)
			if (isdn_call_hangup(c, cause) == 0)
				n++;
	}
	return n;
}

unsigned isdn_call_count(const struct isdn *i)
{
	unsigned n = 0;
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++)
		for (struct isdn_call *c = i->span[no] ? i->span[no]->calls
						       : NULL;
		     c; c = c->next)
			n++;
	return n;
}

unsigned isdn_call_id(const struct isdn_call *c)
{
	return c->id;
}

struct isdn_span *isdn_call_span(const struct isdn_call *c)
{
	return c->span;
}

unsigned isdn_call_ts(const struct isdn_call *c)
{
	return c->ts;
}

int isdn_call_bchan_open(struct isdn_call *c, struct tdm_bchan **bp)
{
	if (!c->span->tdm || !c->ts)
		return -ENODEV;
	return tdm_bchan_open(c->span->tdm, c->ts, bp);
}

void isdn_call_set_user(struct isdn_call *c, void *user)
{
	c->user = user;
}

void *isdn_call_user(const struct isdn_call *c)
{
	return c->user;
}
