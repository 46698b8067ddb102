/*
 * B-channel state on a span: availability and hunting, RESTART in both
 * directions (Q.931 §5.5; one RESTART outstanding at a time), and
 * maintenance blocking with SERVICE messages where the switch type has them
 * (ANSI T1.607 §B / NI-2: change status 0 = in service, 2 = out of service).
 */
#include <errno.h>
#include <string.h>

#include "isdn_int.h"
#include "log.h"

#define SERVICE_IN  0 /* SERVICE change status: in service */
#define SERVICE_OUT 2 /* out of service */

static void restart_next(struct isdn_span *s);

void isdn_chan_set(struct isdn_span *s, unsigned ts, enum isdn_chan_state st)
{
	struct isdn_chan *ch = &s->chan[ts];
	if (ch->state == st)
		return;
	ch->state = st;
	ch->since_ms = loop_now_ms(s->isdn->loop);
}

bool isdn_chan_available(const struct isdn_span *s, unsigned ts)
{
	const struct isdn_chan *ch = &s->chan[ts];
	return ts >= 1 && ts <= TDM_MAX_TIMESLOTS &&
	       ch->state == ISDN_CH_IDLE && !ch->blocked_near &&
	       !ch->blocked_far;
}

/* ---- glare: both ends seize one channel (Q.931 §5.7) ---- */

/*
 * Q.931 §5.7 (call collisions): when a call from the network and a call
 * request from the user select the same channel, the network gives
 * priority to its own call and clears the user's (§5.1.2: cause 44 when
 * the channel asked for cannot be given). So on the CPE side the network's
 * SETUP wins a channel that our outgoing call has only asked for (SETUP sent,
 * no answer from the network yet); once the network has answered our SETUP the
 * channel is ours and its SETUP is refused with 44 (§5.2.3.1). On the NET side
 * we are the network: our call always wins, and the user's SETUP is refused
 * with 44.
 */
bool isdn_chan_network_wins(enum conf_side side, bool ours_outgoing,
			    bool far_end_responded)
{
	return side == CONF_SIDE_CPE && ours_outgoing && !far_end_responded;
}

bool isdn_chan_glare_yield(struct isdn_span *s, unsigned ts)
{
	if (ts < 1 || ts > TDM_MAX_TIMESLOTS)
		return false;
	struct isdn_chan *ch = &s->chan[ts];
	struct isdn_call *c = ch->call;
	if (!c || ch->blocked_near || ch->blocked_far ||
	    !isdn_chan_network_wins(s->conf.side, c->outgoing, c->responded))
		return false;
	isdn_log(LOG_LVL_NOTICE, s,
		 "glare on channel %u: the network's SETUP wins it (Q.931 "
		 "§5.7); our call %u waits to be cleared",
		 ts, c->id);
	s->cnt.glares++;
	c->ts = 0;
	ch->call = NULL;
	isdn_chan_set(s, ts, ISDN_CH_IDLE);
	return true;
}

/* The k-th timeslot (0-based) to try in hunt order. */
static unsigned hunt_ts(const struct isdn_span *s, enum conf_hunt hunt,
			unsigned k)
{
	switch (hunt) {
	case CONF_HUNT_ASCENDING:
		return k + 1;
	case CONF_HUNT_DESCENDING:
		return TDM_MAX_TIMESLOTS - k;
	case CONF_HUNT_ROUNDROBIN:
		return (s->rr_last + k) % TDM_MAX_TIMESLOTS + 1;
	}
	return k + 1;
}

unsigned isdn_span_hunt(struct isdn_span *s, enum conf_hunt hunt)
{
	return isdn_span_hunt_except(s, hunt, 0);
}

unsigned isdn_span_hunt_except(struct isdn_span *s, enum conf_hunt hunt,
			       unsigned except_ts)
{
	if (!isdn_span_usable(s))
		return 0;
	for (unsigned k = 0; k < TDM_MAX_TIMESLOTS; k++) {
		unsigned ts = hunt_ts(s, hunt, k);
		if (ts != except_ts && isdn_chan_available(s, ts)) {
			s->rr_last = ts;
			return ts;
		}
	}
	return 0;
}

/* ---- RESTART (Q.931 §5.5) ---- */

static void restart_guard(struct loop_timer *t)
{
	struct isdn_span *s = t->arg;
	unsigned ts = s->restart_ts;
	if (!ts)
		return;
	isdn_log(LOG_LVL_WARN, s,
		 "no RESTART ACKNOWLEDGE for channel %u; "
		 "returning it to service",
		 ts);
	if (s->chan[ts].state == ISDN_CH_RESTARTING)
		isdn_chan_set(s, ts, ISDN_CH_IDLE);
	s->restart_ts = 0;
	restart_next(s);
	isdn_span_notify(s);
}

/* Sends the next queued RESTART, if none is outstanding. */
static void restart_next(struct isdn_span *s)
{
	if (s->restart_ts || !s->dchan_up || !s->tdm)
		return;
	while (s->restart_pending) {
		unsigned ts = (unsigned)__builtin_ctz(s->restart_pending);
		s->restart_pending &= ~(1u << ts);
		if (s->chan[ts].state != ISDN_CH_IDLE &&
		    s->chan[ts].state != ISDN_CH_RESTARTING)
			continue; /* a call took it meanwhile */
		if (pri_reset(s->pri, (int)ts) != 0) {
			isdn_log(LOG_LVL_WARN, s,
				 "cannot send RESTART for "
				 "channel %u",
				 ts);
			isdn_chan_set(s, ts, ISDN_CH_IDLE);
			continue;
		}
		s->cnt.restarts_tx++;
		isdn_chan_set(s, ts, ISDN_CH_RESTARTING);
		s->restart_ts = ts;
		if (!s->restart_timer.fn)
			loop_timer_init(&s->restart_timer, restart_guard, s);
		loop_timer_start(s->isdn->loop, &s->restart_timer,
				 ISDN_RESTART_GUARD_MS);
		isdn_span_rearm(s);
		return;
	}
}

int isdn_span_restart(struct isdn_span *s, unsigned ts)
{
	if (ts &&
	    (ts > TDM_MAX_TIMESLOTS || s->chan[ts].state == ISDN_CH_UNUSED))
		return -EINVAL;
	if (!s->dchan_up || !s->tdm)
		return -EAGAIN;
	if (ts && s->chan[ts].state == ISDN_CH_BUSY)
		return -EBUSY;
	for (unsigned t = 1; t <= TDM_MAX_TIMESLOTS; t++) {
		if ((ts && t != ts) || s->chan[t].state != ISDN_CH_IDLE)
			continue;
		s->restart_pending |= 1u << t;
		isdn_chan_set(s, t, ISDN_CH_RESTARTING);
	}
	restart_next(s);
	isdn_span_notify(s);
	return 0;
}

void isdn_chan_on_restart_ack(struct isdn_span *s, int channel)
{
	unsigned ts = (unsigned)channel & 0xff;
	isdn_log(LOG_LVL_INFO, s, "RESTART ACKNOWLEDGE for channel %u", ts);
	if (ts >= 1 && ts <= TDM_MAX_TIMESLOTS &&
	    s->chan[ts].state == ISDN_CH_RESTARTING)
		isdn_chan_set(s, ts, ISDN_CH_IDLE);
	if (ts == s->restart_ts) {
		s->restart_ts = 0;
		loop_timer_stop(s->isdn->loop, &s->restart_timer);
	}
	restart_next(s);
	isdn_span_notify(s);
}

/* The far end restarted a channel or the whole interface (channel -1). */
void isdn_chan_on_restart(struct isdn_span *s, int channel)
{
	unsigned lo = 1, hi = TDM_MAX_TIMESLOTS;
	if (channel != -1 && (channel & 0xff) != 0xff)
		lo = hi = (unsigned)channel & 0xff;
	isdn_log(LOG_LVL_NOTICE, s, "RESTART from the far end for %s %u",
		 lo == hi ? "channel" : "all channels from", lo);
	for (unsigned ts = lo; ts <= hi && ts <= TDM_MAX_TIMESLOTS; ts++) {
		if (s->chan[ts].state == ISDN_CH_UNUSED)
			continue;
		/* Q.931 §5.5.2: the channel returns to idle; any call on it
		 * is gone without further signalling */
		isdn_call_drop_ts(s, ts, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
		if (s->chan[ts].state != ISDN_CH_RESTARTING ||
		    ts != s->restart_ts)
			isdn_chan_set(s, ts, ISDN_CH_IDLE);
		s->restart_pending &= ~(1u << ts);
	}
	isdn_span_notify(s);
}

/* ---- link transitions ---- */

void isdn_chan_link_up(struct isdn_span *s)
{
	if (!s->conf.restart_on_up)
		return;
	/* resynchronise channel state with the far end (Q.931 §5.5) */
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++)
		if (s->chan[ts].state == ISDN_CH_IDLE)
			s->restart_pending |= 1u << ts;
	restart_next(s);
}

void isdn_chan_link_down(struct isdn_span *s)
{
	/* outstanding restarts are moot; channels stay as they are */
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++)
		if (s->chan[ts].state == ISDN_CH_RESTARTING)
			isdn_chan_set(s, ts, ISDN_CH_IDLE);
	s->restart_pending = 0;
	s->restart_ts = 0;
	loop_timer_stop(s->isdn->loop, &s->restart_timer);
}

/* ---- maintenance: block / unblock, SERVICE ---- */

int isdn_chan_block(struct isdn_span *s, unsigned ts, bool block)
{
	if (ts < 1 || ts > TDM_MAX_TIMESLOTS ||
	    s->chan[ts].state == ISDN_CH_UNUSED)
		return -EINVAL;
	if (s->conf.service_messages) {
		if (!s->dchan_up || !s->tdm)
			return -EAGAIN;
		int rc = pri_maintenance_service(
		    s->pri, 0, (int)ts, block ? SERVICE_OUT : SERVICE_IN);
		if (rc)
			return -EIO;
		s->cnt.service_tx++;
		isdn_span_rearm(s);
	}
	s->chan[ts].blocked_near = block;
	s->chan[ts].since_ms = loop_now_ms(s->isdn->loop);
	isdn_log(LOG_LVL_NOTICE, s, "channel %u %s by operator%s", ts,
		 block ? "blocked" : "unblocked",
		 s->conf.service_messages ? " (SERVICE sent)" : "");
	isdn_span_notify(s);
	return 0;
}

void isdn_chan_on_service(struct isdn_span *s, int channel, int status,
			  bool ack)
{
	unsigned ts = (unsigned)channel & 0xff;
	if (ts < 1 || ts > TDM_MAX_TIMESLOTS ||
	    s->chan[ts].state == ISDN_CH_UNUSED) {
		isdn_log(LOG_LVL_WARN, s, "SERVICE%s for unknown channel %u",
			 ack ? " ACKNOWLEDGE" : "", ts);
		return;
	}
	if (ack) {
		isdn_log(LOG_LVL_INFO, s,
			 "SERVICE ACKNOWLEDGE channel %u "
			 "status %d",
			 ts, status);
		return;
	}
	/* the far end takes its side of the channel out of or back into
	 * service; a call on it continues (ANSI T1.607 §B.3) */
	s->chan[ts].blocked_far = status != SERVICE_IN;
	s->chan[ts].since_ms = loop_now_ms(s->isdn->loop);
	isdn_log(LOG_LVL_NOTICE, s, "channel %u %s by the far end", ts,
		 status != SERVICE_IN ? "out of service" : "in service");
	isdn_span_notify(s);
}

/* ---- status ---- */

int isdn_chan_status(const struct isdn_span *s, unsigned ts,
		     struct isdn_chan_status *st)
{
	if (ts < 1 || ts > TDM_MAX_TIMESLOTS)
		return -EINVAL;
	const struct isdn_chan *ch = &s->chan[ts];
	memset(st, 0, sizeof(*st));
	st->ts = ts;
	st->state = ch->state;
	st->blocked_near = ch->blocked_near;
	st->blocked_far = ch->blocked_far;
	st->since_ms = ch->since_ms;
	if (ch->call) {
		st->call_id = ch->call->id;
		st->outgoing = ch->call->outgoing;
	}
	return 0;
}

void isdn_span_status(const struct isdn_span *s, struct isdn_span_status *st)
{
	*st = s->cnt;
	st->no = s->conf.no;
	st->driver = s->ops->name;
	snprintf(st->desc, sizeof(st->desc), "%s",
		 s->tdm ? s->tdm->desc : "(not open)");
	st->layout = s->conf.layout;
	st->switchtype = s->conf.switchtype;
	st->side = s->conf.side;
	st->link = s->link;
	st->dchan_up = s->dchan_up && s->tdm; /* no back end, no frames */
	st->alarms = s->tdm ? s->tdm->alarms : TDM_ALARM_NOTOPEN;
	st->state_since_ms = s->link_since_ms;
	if (s->tdm)
		st->tdm = s->tdm->cnt;
	st->nchan = st->idle = st->busy = st->restarting = st->blocked = 0;
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++) {
		const struct isdn_chan *ch = &s->chan[ts];
		if (ch->state == ISDN_CH_UNUSED)
			continue;
		st->nchan++;
		if (ch->state == ISDN_CH_BUSY)
			st->busy++;
		else if (ch->state == ISDN_CH_RESTARTING)
			st->restarting++;
		else if (ch->blocked_near || ch->blocked_far)
			st->blocked++;
		else
			st->idle++;
	}
}

const char *isdn_chan_state_name(enum isdn_chan_state st)
{
	switch (st) {
	case ISDN_CH_UNUSED:
		return "unused";
	case ISDN_CH_IDLE:
		return "idle";
	case ISDN_CH_BUSY:
		return "busy";
	case ISDN_CH_RESTARTING:
		return "restarting";
	}
	return "?";
}
