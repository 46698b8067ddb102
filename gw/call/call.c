/*
 * The call table: creating and freeing calls, dispatching ISDN and media
 * events to them, the local test lines (loopback, milliwatt), and the
 * control socket's views of calls.
 */
#include <errno.h>
#include <libpri.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call_int.h"
#include "ctl/json.h"
#include "log.h"

int call_table_new(struct gw *gw)
{
	gw->calls = calloc(1, sizeof(*gw->calls));
	if (!gw->calls)
		return -ENOMEM;
	cause_map_init(&gw->calls->default_causes);
	int rc = call_tg_sync(gw);
	if (rc)
		call_table_free(gw);
	return rc;
}

int call_table_reload(struct gw *gw)
{
	return call_tg_sync(gw);
}

static void call_destroy(struct call *c)
{
	struct loop *l = c->gw->loop;
	loop_timer_stop(l, &c->t301);
	loop_timer_stop(l, &c->t310);
	loop_timer_stop(l, &c->t302);
	loop_timer_stop(l, &c->maxdur);
	loop_defer_cancel(l, &c->free_defer);
	call_rtp_close(c);
	media_chan_free(c->mc);
	tdm_bchan_close(c->bchan);
	free(c);
}

void call_table_free(struct gw *gw)
{
	struct call_table *t = gw->calls;
	if (!t)
		return;
	while (t->head) {
		struct call *c = t->head;
		t->head = c->next;
		call_destroy(c);
	}
	while (t->tgs) {
		struct call_tg *tg = t->tgs;
		t->tgs = tg->next;
		free(tg);
	}
	free(t);
	gw->calls = NULL;
}

unsigned call_count(const struct gw *gw)
{
	return gw->calls ? gw->calls->n : 0;
}

struct call *call_new(struct gw *gw, enum call_dir dir)
{
	struct call_table *t = gw->calls;
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->gw = gw;
	c->dir = dir;
	c->state = CALL_ST_ROUTING;
	c->rtp_fd = -1;
	c->rtcp_fd = -1;
	c->id = ++t->next_id ? t->next_id : ++t->next_id;
	c->t_start_ms = loop_now_ms(gw->loop);
	loop_timer_init(&c->t301, NULL, c);
	loop_timer_init(&c->t310, NULL, c);
	loop_timer_init(&c->t302, NULL, c);
	loop_timer_init(&c->maxdur, NULL, c);
	c->next = t->head;
	t->head = c;
	t->n++;
	return c;
}

static void free_deferred(struct loop_defer *d)
{
	struct call *c = d->arg;
	struct call_table *t = c->gw->calls;
	for (struct call **pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	t->n--;
	if (c->counted && c->tg)
		c->tg->active--;
	log_info("call %u: gone (cause %d, sip %u, released by %s)", c->id,
		 c->cause, c->sip_code,
		 c->released_by[0] ? c->released_by : "?");
	call_destroy(c);
}

void call_maybe_free(struct call *c)
{
	if (c->ic || c->ss || c->mc)
		return;
	loop_defer(c->gw->loop, &c->free_defer, free_deferred, c);
}

const char *call_state_name(enum call_state st)
{
	switch (st) {
	case CALL_ST_ROUTING:
		return "routing";
	case CALL_ST_OUT_SENT:
		return "setup-sent";
	case CALL_ST_PROCEEDING:
		return "proceeding";
	case CALL_ST_ALERTING:
		return "alerting";
	case CALL_ST_EARLY:
		return "early-media";
	case CALL_ST_ANSWERED:
		return "answered";
	case CALL_ST_ACTIVE:
		return "active";
	case CALL_ST_CLEARING:
		return "clearing";
	}
	return "?";
}

/* ---- test lines ---- */

static int testline_mode(const struct conf *conf, const char *called,
			 enum media_mode *mode)
{
	const struct conf_general *g = &conf->general;
	if (g->test_loopback[0] && strcmp(called, g->test_loopback) == 0) {
		*mode = MEDIA_MODE_LOOPBACK;
		return 0;
	}
	if (g->test_milliwatt[0] && strcmp(called, g->test_milliwatt) == 0) {
		*mode = MEDIA_MODE_MILLIWATT;
		return 0;
	}
	return -ENOENT;
}

/* Answers a test-line call and starts its media. Returns a Q.850 cause to
 * reject with, or 0. */
static int testline_answer(struct gw *gw, struct isdn_call *ic,
			   enum media_mode mode)
{
	struct call *c = call_new(gw, CALL_PSTN_TO_SIP);
	if (!c)
		return PRI_CAUSE_SWITCH_CONGESTION;
	c->ic = ic;
	isdn_call_set_user(ic, c);
	if (call_media_start(c, mode)) {
		c->ic = NULL;
		isdn_call_set_user(ic, NULL);
		call_maybe_free(c);
		return PRI_CAUSE_SWITCH_CONGESTION;
	}
	isdn_call_answer(ic);
	c->state = CALL_ST_ACTIVE;
	snprintf(c->called_in, sizeof(c->called_in), "%s",
		 mode == MEDIA_MODE_LOOPBACK ? "loopback" : "milliwatt");
	log_info("call %u span %u/%u: test line (%s) answered", c->id,
		 isdn_span_no(isdn_call_span(ic)), isdn_call_ts(ic),
		 c->called_in);
	return 0;
}

static void on_setup(struct gw *gw, struct isdn_call *ic,
		     const struct isdn_setup *st)
{
	enum media_mode mode;
	int cause = 0;
	if (gw->shutting_down)
		cause = PRI_CAUSE_NORMAL_TEMPORARY_FAILURE;
	else if (testline_mode(gw->conf, st->called, &mode) == 0)
		cause = testline_answer(gw, ic, mode);
	else {
		call_pstn_on_setup(gw, ic, st);
		return;
	}
	if (!cause)
		return;
	log_info("call span %u/%u: '%s' -> '%s' rejected with cause %d",
		 isdn_span_no(isdn_call_span(ic)), isdn_call_ts(ic),
		 st->calling, st->called, cause);
	isdn_call_hangup(ic, cause);
}

static const enum call_event isdn_events[] = {
    [ISDN_CALL_PROCEEDING] = CALL_EV_ISDN_PROCEEDING,
    [ISDN_CALL_ALERTING] = CALL_EV_ISDN_ALERTING,
    [ISDN_CALL_PROGRESS] = CALL_EV_ISDN_PROGRESS,
    [ISDN_CALL_CONNECT] = CALL_EV_ISDN_CONNECT,
    [ISDN_CALL_DISCONNECT] = CALL_EV_ISDN_DISCONNECT,
    [ISDN_CALL_RELEASED] = CALL_EV_ISDN_RELEASED,
};

void call_on_isdn(void *arg, struct isdn_call *ic,
		  const struct isdn_call_ev *ev)
{
	struct gw *gw = arg;
	struct call *c = isdn_call_user(ic);
	switch (ev->type) {
	case ISDN_CALL_SETUP:
		on_setup(gw, ic, ev->setup);
		return;
	case ISDN_CALL_INFO:
		if (c)
			call_overlap_info(c, ev->digits, ev->complete);
		return;
	case ISDN_CALL_SETUP_ACK:
		return;
	case ISDN_CALL_PROCEEDING:
	case ISDN_CALL_ALERTING:
	case ISDN_CALL_PROGRESS:
	case ISDN_CALL_CONNECT:
	case ISDN_CALL_DISCONNECT:
	case ISDN_CALL_RELEASED:
		break;
	}
	if (!c) {
		/* Q.931 §5.3.4: answer a DISCONNECT by releasing */
		if (ev->type == ISDN_CALL_DISCONNECT)
			isdn_call_hangup(ic, PRI_CAUSE_NORMAL_CLEARING);
		return;
	}
	struct call_ev e = {
	    .type = isdn_events[ev->type],
	    .cause = ev->cause,
	    .progress = ev->progress,
	};
	call_fsm(c, &e);
}

void call_on_media_stopped(void *arg, struct media_chan *mc)
{
	struct gw *gw = arg;
	for (struct call *c = gw->calls->head; c; c = c->next) {
		if (c->mc == mc) {
			media_chan_free(mc);
			c->mc = NULL;
			tdm_bchan_close(c->bchan);
			c->bchan = NULL;
			call_maybe_free(c);
			return;
		}
	}
	media_chan_free(mc);
}

unsigned call_hangup_all(struct gw *gw, int cause)
{
	unsigned n = 0;
	for (struct call *c = gw->calls->head; c; c = c->next) {
		if (c->state == CALL_ST_CLEARING && !c->ic && !c->ss)
			continue;
		/* a SIP caller not yet answered gets 503 (cause 41), on which
		 * proxies try another gateway; a 480 would end the call */
		bool unanswered =
		    c->dir == CALL_SIP_TO_PSTN && !c->sip_answered;
		call_abort(c, unanswered ? PRI_CAUSE_NORMAL_TEMPORARY_FAILURE
					 : cause);
		n++;
	}
	return n;
}

/* ---- control socket views ---- */

/* The media counters of a call (B-channel and RTP). */
static void media_json(const struct call *c, struct json_out *o)
{
	struct media_stats ms;
	media_chan_stats(c->mc, &ms);
	json_key(o, "media");
	json_obj_begin(o);
	for (unsigned i = 0; i < media_ncounters; i++)
		if (strcmp(media_counters[i].name, "peer_reports"))
			json_kv_uint(o, media_counters[i].name,
				     media_counter_get(&ms, i));
	json_kv_uint(o, "rtp_jitter_us", ms.rtp_jitter_us);
	json_kv_uint(o, "jb_delay_ms", ms.jb_delay_ms);
	/* what the peer's RTCP says about our stream (RFC 3550 §6.4.1) */
	if (ms.peer_reports) {
		json_kv_uint(o, "peer_loss_permille", ms.peer_loss_permille);
		json_kv_uint(o, "peer_cum_lost", ms.peer_cum_lost);
		json_kv_uint(o, "peer_jitter_us", ms.peer_jitter_us);
	}
	if (ms.rtt_samples)
		json_kv_uint(o, "rtt_us", ms.rtt_us);
	json_kv_str(o, "ec", media_ec_state_name(ms.ec_state));
	if (ms.ec_state != MEDIA_EC_NONE) {
		json_key(o, "ec_erle_db");
		json_double(o, (double)ms.ec_erle_db10 / 10.0);
		json_kv_uint(o, "ec_dt_count", ms.ec_dt_count);
	}
	if (ms.ec_state == MEDIA_EC_OFF_TONE || ms.ec_state == MEDIA_EC_OFF_FAX)
		json_kv_str(o, "ec_off_by",
			    ms.ec_state == MEDIA_EC_OFF_TONE ? "answer-tone"
							     : "fax");
	if (ms.fax != MEDIA_FAX_NONE) {
		json_kv_str(o, "fax", media_fax_name(ms.fax));
		json_kv_uint(o, "jb_fixed_ms", ms.jb_fixed_ms);
	}
	/* connect tones heard: "cng", "ced", "ans-pr", "ansam", "ansam-pr"
	 * from the PSTN, the same with "sip:" from the RTP side */
	json_key(o, "tones");
	json_arr_begin(o);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t bit = (uint64_t)1 << i;
		char name[16];
		if (!(ms.tones & bit))
			continue;
		snprintf(name, sizeof(name), "%s%s",
			 bit >> MEDIA_TONE_RTP_SHIFT ? "sip:" : "",
			 media_tone_name(bit));
		json_str(o, name);
	}
	json_arr_end(o);
	json_obj_end(o);
}

void call_list_json(const struct gw *gw, struct json_out *o)
{
	uint64_t now = loop_now_ms(gw->loop);
	json_arr_begin(o);
	for (const struct call *c = gw->calls->head; c; c = c->next) {
		json_obj_begin(o);
		json_kv_uint(o, "id", c->id);
		json_kv_str(o, "dir",
			    c->dir == CALL_SIP_TO_PSTN ? "sip-to-pstn"
						       : "pstn-to-sip");
		json_kv_str(o, "state", call_state_name(c->state));
		json_kv_str(o, "trunkgroup", c->tg ? c->tg->conf.name : NULL);
		json_kv_str(o, "called", c->called_in);
		json_kv_str(o, "calling", c->calling_in);
		if (c->ic) {
			json_kv_uint(o, "span",
				     isdn_span_no(isdn_call_span(c->ic)));
			json_kv_uint(o, "channel", isdn_call_ts(c->ic));
		}
		json_kv_str(o, "call_id",
			    c->ss ? sip_sess_call_id(c->ss) : NULL);
		json_kv_uint(o, "age_ms", now - c->t_start_ms);
		if (c->t_answer_ms)
			json_kv_uint(o, "connected_ms", now - c->t_answer_ms);
		if (c->mc)
			media_json(c, o);
		json_obj_end(o);
	}
	json_arr_end(o);
}

int call_causes_json(const struct gw *gw, const char *tg, struct json_out *o,
		     char *err, size_t cap)
{
	const struct cause_map *m = &gw->calls->default_causes;
	if (tg && tg[0]) {
		const struct call_tg *t = gw->calls->tgs;
		while (t && (t->gone || strcmp(t->conf.name, tg)))
			t = t->next;
		if (!t) {
			snprintf(err, cap, "no trunk group '%s'", tg);
			return -ENOENT;
		}
		m = &t->causes;
	}
	json_key(o, "q850_to_sip");
	json_arr_begin(o);
	for (int cause = 1; cause <= CAUSE_MAX; cause++) {
		json_obj_begin(o);
		json_kv_int(o, "cause", cause);
		json_kv_str(o, "text", cause_text(cause));
		json_kv_int(o, "sip", cause_to_sip(m, cause));
		json_kv_str(o, "override",
			    m->overridden_q850[cause] ? "yes" : "no");
		json_obj_end(o);
	}
	json_arr_end(o);
	json_key(o, "sip_to_q850");
	json_arr_begin(o);
	for (int st = CAUSE_SIP_MIN; st <= CAUSE_SIP_MAX; st++) {
		if (!m->to_q850[st - CAUSE_SIP_MIN])
			continue;
		json_obj_begin(o);
		json_kv_int(o, "sip", st);
		json_kv_int(o, "cause", cause_from_sip(m, st));
		json_kv_str(o, "override",
			    m->overridden_sip[st - CAUSE_SIP_MIN] ? "yes"
								  : "no");
		json_obj_end(o);
	}
	json_arr_end(o);
	return 0;
}
