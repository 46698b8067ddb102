/*
 * The call FSM: one transition function over (state, event) joining the
 * SIP leg and the ISDN leg, with a small handler per event. Mapping per
 * DESIGN.md §5 and RFC 3398: ALERTING -> 180 (183 + SDP when the progress
 * indicator says in-band information is available), PROGRESS PI=1/8 ->
 * 183 + SDP, CONNECT -> 200 + SDP; 180/183 -> ALERTING/PROGRESS, 2xx ->
 * CONNECT; every clearing maps the cause to the other leg (Reason header
 * both ways, RFC 3326). A call that loses a leg always clears the other.
 */
#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "call_int.h"
#include "log.h"

#define CALL_GLARE_RETRIES 1 /* DESIGN.md §5: once on another channel */

#define call_log(lvl, c, fmt, ...)                                             \
	LOG_AT(lvl, "call %u: " fmt, (c)->id, ##__VA_ARGS__)

static void set_state(struct call *c, enum call_state st)
{
	if (c->state == st)
		return;
	log_debug("call %u: %s -> %s", c->id, call_state_name(c->state),
		  call_state_name(st));
	c->state = st;
}

static void released_by(struct call *c, const char *who)
{
	if (!c->released_by[0])
		snprintf(c->released_by, sizeof(c->released_by), "%s", who);
}

/* Ends the SIP leg with the status and Reason for cause. */
static void sip_clear(struct call *c, int cause)
{
	if (!c->ss)
		return;
	unsigned code = (unsigned)cause_to_sip(call_causes(c), cause);
	char hdrs[CALL_HDRS_MAX];
	int n = call_hdr_reason(hdrs, sizeof(hdrs), cause);
	if (n > 0 && code == 503 && c->tg && c->tg->conf.retry_after_s)
		snprintf(hdrs + n, sizeof(hdrs) - (size_t)n,
			 "Retry-After: %u\r\n", c->tg->conf.retry_after_s);
	if (!c->sip_answered && c->dir == CALL_SIP_TO_PSTN)
		c->sip_code = code;
	sip_sess_end(c->ss, code, n > 0 ? hdrs : NULL);
	c->ss = NULL;
}

static void media_stop(struct call *c)
{
	if (c->mc)
		media_chan_stop(c->gw->media, c->mc);
}

/* Clears the ISDN leg with cause; the leg stays until RELEASED. */
static void isdn_clear(struct call *c, int cause)
{
	media_stop(c);
	if (c->ic)
		isdn_call_hangup(c->ic, cause);
}

static void timers_stop(struct call *c)
{
	loop_timer_stop(c->gw->loop, &c->t301);
	loop_timer_stop(c->gw->loop, &c->t310);
	loop_timer_stop(c->gw->loop, &c->t302);
	loop_timer_stop(c->gw->loop, &c->maxdur);
}

void call_abort(struct call *c, int cause)
{
	released_by(c, "gw");
	if (!c->cause)
		c->cause = cause;
	timers_stop(c);
	set_state(c, CALL_ST_CLEARING);
	sip_clear(c, cause);
	isdn_clear(c, cause);
	call_maybe_free(c);
}

static bool pi_inband(int progress)
{
	/* Q.931 §4.5.23: 1 not end-to-end ISDN, 8 in-band info available */
	return progress == 1 || progress == 8;
}

static void t301_fire(struct loop_timer *t)
{
	struct call *c = t->arg;
	struct call_ev ev = {.type = CALL_EV_T301};
	call_fsm(c, &ev);
}

static void t310_fire(struct loop_timer *t)
{
	struct call *c = t->arg;
	struct call_ev ev = {.type = CALL_EV_T310};
	call_fsm(c, &ev);
}

static void maxdur_fire(struct loop_timer *t)
{
	struct call *c = t->arg;
	struct call_ev ev = {.type = CALL_EV_MAX_DURATION};
	call_fsm(c, &ev);
}

void call_start_timers(struct call *c)
{
	c->t301.fn = t301_fire;
	c->t310.fn = t310_fire;
	c->maxdur.fn = maxdur_fire;
}

static void start_t301(struct call *c)
{
	if (c->tg && !loop_timer_armed(&c->t301))
		loop_timer_start(c->gw->loop, &c->t301,
				 (uint64_t)c->tg->conf.t301_s * 1000);
}

/* Both legs are connected. */
static void connected(struct call *c)
{
	loop_timer_stop(c->gw->loop, &c->t301);
	loop_timer_stop(c->gw->loop, &c->t310);
	c->t_answer_ms = loop_now_ms(c->gw->loop);
	if (c->tg && c->tg->conf.max_duration_s)
		loop_timer_start(c->gw->loop, &c->maxdur,
				 (uint64_t)c->tg->conf.max_duration_s * 1000);
}

/* ---- ISDN leg events ---- */

/* Q.931 §5.1.6: T310 runs from CALL PROCEEDING until ALERTING, PROGRESS,
 * CONNECT or DISCONNECT. */
static void on_isdn_proceeding(struct call *c)
{
	if (c->dir != CALL_SIP_TO_PSTN || c->state != CALL_ST_OUT_SENT)
		return;
	set_state(c, CALL_ST_PROCEEDING);
	if (c->tg)
		loop_timer_start(c->gw->loop, &c->t310,
				 (uint64_t)c->tg->conf.t310_s * 1000);
}

/* Early media (in-band tones before the answer): bridge the B-channel
 * to the SIP leg's RTP once both sides have said so. */
static void early_media(struct call *c)
{
	if (c->media.port && call_media_start(c, MEDIA_MODE_BRIDGE))
		call_log(LOG_LVL_WARN, c, "cannot start early media");
}

/* SIP->PSTN: an 18x toward the SIP caller; extra: headers for a 183. */
static void sip_ringing(struct call *c, bool inband, const char *extra)
{
	loop_timer_stop(c->gw->loop, &c->t310);
	if (!c->ss)
		return;
	const char *sdp = NULL;
	size_t len = 0;
	if (inband && call_sip_local_sdp(c, &sdp, &len))
		inband = false;
	int rc = sip_sess_progress(c->ss, inband ? 183 : 180,
				   inband ? extra : NULL, sdp, len);
	if (rc)
		call_log(LOG_LVL_WARN, c, "cannot send %u: %s",
			 inband ? 183 : 180, strerror(-rc));
	else if (inband)
		early_media(c);
}

/*
 * ALERTING without in-band information (no progress indicator 1 or 8):
 * the ringback tone the SIP caller should hear is ours to make when it
 * can take early media: RFC 5009 P-Early-Media: supported in its INVITE
 * (ringback = auto) or always (ringback = always). Sets c->local_tone.
 */
static bool local_ringback(struct call *c)
{
	const struct conf_tg *tg = c->tg ? &c->tg->conf : NULL;
	const struct tones_def *def;
	if (!tg || tg->ringback == CONF_RINGBACK_NEVER ||
	    (tg->ringback == CONF_RINGBACK_AUTO && !c->early_media_ok) ||
	    tones_get(tg->tones, TONES_RINGBACK, &def))
		return false;
	c->local_tone = def;
	call_log(LOG_LVL_INFO, c,
		 "ALERTING without in-band tones: %s "
		 "ringback to the SIP caller",
		 tg->tones);
	return true;
}

static void on_isdn_alerting(struct call *c, const struct call_ev *ev)
{
	if (c->dir != CALL_SIP_TO_PSTN)
		return;
	bool inband = pi_inband(ev->progress);
	switch (c->state) {
	case CALL_ST_OUT_SENT:
	case CALL_ST_PROCEEDING:
		if (!inband && local_ringback(c)) {
			/* RFC 5009 §8: the early media is authorised */
			sip_ringing(c, true, "P-Early-Media: sendrecv\r\n");
			set_state(c, CALL_ST_ALERTING);
			start_t301(c);
			break;
		}
		__attribute__((fallthrough));
	case CALL_ST_EARLY:
		sip_ringing(c, inband || c->state == CALL_ST_EARLY, NULL);
		set_state(c, inband ? CALL_ST_EARLY : CALL_ST_ALERTING);
		start_t301(c);
		break;
	case CALL_ST_ROUTING:
	case CALL_ST_ALERTING:
	case CALL_ST_ANSWERED:
	case CALL_ST_ACTIVE:
	case CALL_ST_CLEARING:
		break;
	}
}

static void on_isdn_progress(struct call *c, const struct call_ev *ev)
{
	loop_timer_stop(c->gw->loop, &c->t310);
	if (c->dir != CALL_SIP_TO_PSTN || !pi_inband(ev->progress))
		return;
	switch (c->state) {
	case CALL_ST_OUT_SENT:
	case CALL_ST_PROCEEDING:
	case CALL_ST_ALERTING:
		c->local_tone = NULL; /* the PSTN's own tones from now on */
		sip_ringing(c, true, NULL);
		set_state(c, CALL_ST_EARLY);
		break;
	case CALL_ST_ROUTING:
	case CALL_ST_EARLY:
	case CALL_ST_ANSWERED:
	case CALL_ST_ACTIVE:
	case CALL_ST_CLEARING:
		break;
	}
}

static void on_isdn_connect(struct call *c)
{
	if (c->dir != CALL_SIP_TO_PSTN || c->state == CALL_ST_CLEARING)
		return;
	c->isdn_answered = true;
	c->local_tone = NULL;
	const char *sdp = NULL;
	size_t len = 0;
	if (call_sip_local_sdp(c, &sdp, &len) ||
	    call_media_start(c, MEDIA_MODE_BRIDGE) ||
	    sip_sess_answer(c->ss, NULL, sdp, len)) {
		call_log(LOG_LVL_WARN, c, "cannot answer the SIP leg");
		call_abort(c, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
		return;
	}
	c->sip_answered = true;
	c->sip_code = 200;
	connected(c);
	set_state(c, CALL_ST_ANSWERED);
}

/* Glare or a refused channel before any answer: try once more elsewhere
 * (DESIGN.md §5). */
static bool glare_retry_wanted(const struct call *c, int cause)
{
	return c->dir == CALL_SIP_TO_PSTN && c->ss &&
	       c->glare_retries < CALL_GLARE_RETRIES &&
	       (c->state == CALL_ST_OUT_SENT ||
		c->state == CALL_ST_PROCEEDING) &&
	       cause == PRI_CAUSE_REQUESTED_CHAN_UNAVAIL;
}

static void on_isdn_disconnect(struct call *c, const struct call_ev *ev)
{
	int cause = ev->cause ? ev->cause : PRI_CAUSE_NORMAL_CLEARING;
	if (glare_retry_wanted(c, cause)) {
		/* finish this attempt; RELEASED places the next */
		isdn_call_hangup(c->ic, cause);
		return;
	}
	released_by(c, "pstn");
	if (!c->cause)
		c->cause = cause;
	timers_stop(c);
	set_state(c, CALL_ST_CLEARING);
	sip_clear(c, cause);
	/* Q.931 §5.3.4: answer DISCONNECT with RELEASE */
	isdn_clear(c, cause);
}

static void on_isdn_released(struct call *c, const struct call_ev *ev)
{
	int cause = ev->cause ? ev->cause : PRI_CAUSE_NORMAL_CLEARING;
	isdn_call_set_user(c->ic, NULL);
	c->ic = NULL;
	media_stop(c);
	if (glare_retry_wanted(c, cause)) {
		c->glare_retries++;
		call_log(LOG_LVL_NOTICE, c,
			 "channel %u/%u refused (cause "
			 "%d); retrying on another channel",
			 c->tried_span, c->tried_ts, cause);
		int rc = call_pstn_place(c);
		if (rc == 0)
			return;
		cause = rc;
	}
	if (c->state != CALL_ST_CLEARING) {
		released_by(c, "pstn");
		if (!c->cause)
			c->cause = cause;
		timers_stop(c);
		set_state(c, CALL_ST_CLEARING);
	}
	sip_clear(c, c->cause ? c->cause : cause);
	call_maybe_free(c);
}

/* ---- SIP leg events ---- */

static void on_sip_progress(struct call *c, const struct call_ev *ev)
{
	if (c->dir != CALL_PSTN_TO_SIP || !c->ic)
		return;
	const struct sip_msg *m = ev->msg;
	struct pl body;
	bool sdp = sip_body_find(m, "application", "sdp", &body) == 0;
	switch (c->state) {
	case CALL_ST_OUT_SENT:
	case CALL_ST_PROCEEDING:
	case CALL_ST_ALERTING:
		if (m->status == 180 || (m->status == 183 && !sdp)) {
			if (c->state != CALL_ST_ALERTING)
				isdn_call_alerting(c->ic, sdp);
			set_state(c, CALL_ST_ALERTING);
			start_t301(c);
		} else if (sdp) {
			/* early media: PROGRESS with PI=8 (Q.931 §5.1.6) */
			isdn_call_progress(c->ic, 8);
			early_media(c);
			set_state(c, CALL_ST_EARLY);
		}
		break;
	case CALL_ST_ROUTING:
	case CALL_ST_EARLY:
	case CALL_ST_ANSWERED:
	case CALL_ST_ACTIVE:
	case CALL_ST_CLEARING:
		break;
	}
}

static void on_sip_answered(struct call *c, const struct call_ev *ev)
{
	(void)ev;
	if (c->dir == CALL_SIP_TO_PSTN) {
		/* the ACK for our 200 */
		if (c->state == CALL_ST_ANSWERED)
			set_state(c, CALL_ST_ACTIVE);
		return;
	}
	if (!c->ic || c->state == CALL_ST_CLEARING)
		return;
	c->sip_answered = true;
	c->sip_code = 200;
	if (call_media_start(c, MEDIA_MODE_BRIDGE) || isdn_call_answer(c->ic)) {
		call_log(LOG_LVL_WARN, c, "cannot connect the ISDN leg");
		call_abort(c, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
		return;
	}
	c->isdn_answered = true;
	connected(c);
	set_state(c, CALL_ST_ACTIVE);
}

/* Q.850 cause for a SIP leg that ended (RFC 3398 §8.2.6; Reason wins). */
static int sip_end_cause(const struct call *c, const struct sip_sess_end *e)
{
	if (e->q850 > 0 && e->q850 <= CAUSE_MAX)
		return e->q850;
	switch (e->why) {
	case SIP_END_BYE:
	case SIP_END_CANCEL:
	case SIP_END_LOCAL:
		return PRI_CAUSE_NORMAL_CLEARING;
	case SIP_END_REJECTED:
		return cause_from_sip(call_causes(c), (int)e->status);
	case SIP_END_TIMEOUT:
	case SIP_END_SESSION_TIMER:
		return PRI_CAUSE_RECOVERY_ON_TIMER_EXPIRE;
	case SIP_END_TP_ERROR:
		return cause_from_sip(call_causes(c), 503);
	}
	return PRI_CAUSE_NORMAL_UNSPECIFIED;
}

static void on_sip_closed(struct call *c, const struct call_ev *ev)
{
	const struct sip_sess_end *e = ev->end;
	int cause = sip_end_cause(c, e);
	c->ss = NULL;
	if (e->why == SIP_END_REJECTED)
		c->sip_code = e->status;
	if (c->state != CALL_ST_CLEARING) {
		released_by(c, "sip");
		if (!c->cause)
			c->cause = cause;
		timers_stop(c);
		set_state(c, CALL_ST_CLEARING);
	}
	call_log(LOG_LVL_INFO, c, "SIP leg ended (%u, Q.850 %d) -> cause %d",
		 e->status, e->q850, cause);
	isdn_clear(c, c->cause);
	call_maybe_free(c);
}

void call_fsm(struct call *c, const struct call_ev *ev)
{
	switch (ev->type) {
	case CALL_EV_ISDN_PROCEEDING:
		on_isdn_proceeding(c);
		break;
	case CALL_EV_ISDN_ALERTING:
		on_isdn_alerting(c, ev);
		break;
	case CALL_EV_ISDN_PROGRESS:
		on_isdn_progress(c, ev);
		break;
	case CALL_EV_ISDN_CONNECT:
		on_isdn_connect(c);
		break;
	case CALL_EV_ISDN_DISCONNECT:
		on_isdn_disconnect(c, ev);
		break;
	case CALL_EV_ISDN_RELEASED:
		on_isdn_released(c, ev);
		break;
	case CALL_EV_SIP_PROGRESS:
		on_sip_progress(c, ev);
		break;
	case CALL_EV_SIP_ANSWERED:
		on_sip_answered(c, ev);
		break;
	case CALL_EV_SIP_CLOSED:
		on_sip_closed(c, ev);
		break;
	case CALL_EV_T301:
		call_log(LOG_LVL_INFO, c, "T301: no answer after %u s",
			 c->tg ? c->tg->conf.t301_s : 0);
		call_abort(c, PRI_CAUSE_NO_ANSWER);
		break;
	case CALL_EV_T310:
		call_log(LOG_LVL_INFO, c,
			 "T310: no ALERTING, PROGRESS or "
			 "CONNECT %u s after CALL PROCEEDING",
			 c->tg ? c->tg->conf.t310_s : 0);
		/* Q.931 §5.1.6: clear with cause 102 */
		call_abort(c, PRI_CAUSE_RECOVERY_ON_TIMER_EXPIRE);
		break;
	case CALL_EV_MAX_DURATION:
		call_log(LOG_LVL_NOTICE, c, "maximum duration of %u s reached",
			 c->tg ? c->tg->conf.max_duration_s : 0);
		call_abort(c, PRI_CAUSE_NORMAL_CLEARING);
		break;
	case CALL_EV_SHUTDOWN:
		call_abort(c, PRI_CAUSE_NORMAL_CLEARING);
		break;
	}
}
