/*
 * Session timers (RFC 4028) for INVITE sessions: choosing the interval and
 * refresher from requests and responses, refreshing at half the interval
 * (UPDATE where the peer allows it, else re-INVITE), and ending a session
 * that nobody refreshed in time (§10).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sip/sip_sess_int.h"

/* ---- RFC 4028 session timers ---- */

/* Restarts the timer after a successful refresh (or the first 2xx). */
void sess_se_restart(struct sip_sess *s)
{
	uint64_t ms;
	loop_timer_stop(s->ua->loop, &s->t_se);
	s->se_waiting = false;
	if (!s->se_s)
		return;
	if (s->se_we_refresh)
		ms = s->se_s * 1000ull / 2; /* §7.2, §9: half the interval */
	else /* §10: expire at interval - min(32, interval/3) */
		ms =
		    (s->se_s - (s->se_s / 3 < 32 ? s->se_s / 3 : 32)) * 1000ull;
	loop_timer_start(s->ua->loop, &s->t_se, ms);
}

/* Session-Expires of m: interval and whether "refresher=uac". */
static bool se_parse(const struct sip_msg *m, uint32_t *secs, int *refresher)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	const char *semi;
	struct pl v, r;
	if (!h)
		return false;
	v = h->val;
	semi = memchr(v.p, ';', v.l);
	if (sip_delta_parse(sip_pl_trim((struct pl){
				v.p, semi ? (size_t)(semi - v.p) : v.l}),
			    secs) ||
	    !*secs)
		return false;
	*refresher = 0; /* absent */
	if (semi &&
	    sip_param_find((struct pl){semi, v.l - (size_t)(semi - v.p)},
			   "refresher", &r) == 0)
		*refresher = sip_pl_ieq(r, "uac")   ? 1
			     : sip_pl_ieq(r, "uas") ? 2
						    : 0;
	return true;
}

uint32_t sess_min_se_of(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_MIN_SE);
	uint32_t v = 0;
	const char *semi;
	if (!h)
		return 0;
	semi = memchr(h->val.p, ';', h->val.l);
	if (sip_delta_parse(
		sip_pl_trim((struct pl){
		    h->val.p, semi ? (size_t)(semi - h->val.p) : h->val.l}),
		&v))
		return 0;
	return v;
}

/*
 * RFC 4028 §9 for a request we receive (INVITE or refresh). Returns 0, or
 * 422 when the interval is below our Min-SE and the peer supports timer.
 */
unsigned sess_se_from_request(struct sip_sess *s, const struct sip_msg *m,
			      bool initial)
{
	const struct sip_ua_conf *c = &s->ua->conf;
	uint32_t se, min_req = sess_min_se_of(m);
	int who;
	s->peer_timer = ua_has_tag(m, SIP_HDR_SUPPORTED, "timer") ||
			ua_has_tag(m, SIP_HDR_REQUIRE, "timer");
	if (se_parse(m, &se, &who)) {
		if (se < s->min_se_s) {
			if (s->peer_timer)
				return 422;
			se = s->min_se_s; /* §9: a proxy inserted it */
		}
	} else if (initial && c->session_expires_s && s->peer_timer) {
		se = c->session_expires_s;
		who = 0;
		if (se < min_req)
			se = min_req;
	} else if (!initial && s->se_s) {
		return 0; /* keep what was negotiated */
	} else {
		s->se_s = 0;
		return 0;
	}
	s->se_s = se;
	/* the peer is the UAC of this transaction; without timer support
	 * it cannot refresh, so we do */
	if (!s->peer_timer)
		s->se_we_refresh = true;
	else
		s->se_we_refresh = who == 2;
	return 0;
}

/* RFC 4028 §7.2: the 2xx to our INVITE/refresh decides. */
void sess_se_from_response(struct sip_sess *s, const struct sip_msg *m)
{
	uint32_t se;
	int who;
	if (!se_parse(m, &se, &who)) {
		s->se_s = 0;
		return;
	}
	s->se_s = se;
	s->se_we_refresh = who != 2;
}

/* Our refresh: UPDATE without body when allowed, else a re-INVITE with
 * the last SDP we sent (RFC 4028 §7.4, §9). */
static void se_refresh(struct sip_sess *s)
{
	bool update = s->peer_update || !s->local_sdp;
	struct sip_ctx *ct = NULL;
	int e =
	    sess_dlg_send(s, update ? "UPDATE" : "INVITE", &s->reinv_cseq,
			  H_CONTACT | H_ALLOW | H_SUPPORTED | H_SE_REQ, NULL,
			  update ? NULL : s->local_sdp, s->local_sdp_len, NULL,
			  NULL, NULL, update ? NULL : &ct);
	if (e) {
		s->reinv_cseq = 0;
		return;
	}
	if (ct) {
		/* an accepted INVITE lives until abandoned (sip_txn.h) */
		if (s->re_ctx)
			sip_ctx_abandon(s->re_ctx);
		s->re_ctx = ct;
	}
}

void sess_se_fire(struct loop_timer *t)
{
	struct sip_sess *s = t->arg;
	unsigned guard;
	if (s->se_we_refresh && !s->se_waiting) {
		if (!s->reinv_cseq)
			se_refresh(s);
		s->se_waiting = true;
		/* until the refresh succeeds, the interval still runs */
		guard = s->se_s / 3 < 32 ? s->se_s / 3 : 32;
		loop_timer_start(s->ua->loop, &s->t_se,
				 (s->se_s / 2 - guard) * 1000ull);
		return;
	}
	/* §10: no refresh in time */
	sess_notify_closed(s, SIP_END_SESSION_TIMER, 408, NULL);
	sess_send_bye(s, NULL);
}

void sess_refresh_response(struct sip_sess *s, const struct sip_msg *m, int err,
			   bool invite)
{
	struct sip_cseq cs;
	if (m && m->status < 200)
		return;
	if (m && m->status < 300) {
		if (invite && sip_msg_cseq(m, &cs) == 0)
			sess_ack_again(s, cs.num);
		if (!s->reinv_cseq)
			return;
		s->reinv_cseq = 0;
		sip_dialog_refresh_target(&s->d, m);
		sess_se_from_response(s, m);
		sess_se_restart(s);
		return;
	}
	s->reinv_cseq = 0;
	if (invite)
		s->re_ctx = NULL; /* freed by the layer after a non-2xx */
	if (s->state != SESS_CONFIRMED)
		return;
	if (err || m->status == 408 || m->status == 481) {
		/* §12.2.1.2: the dialog is gone */
		sess_notify_closed(s, SIP_END_TIMEOUT, err == -EIO ? 503 : 408,
				   m);
		sess_send_bye(s, NULL);
	} else if (m->status == 491 && s->se_we_refresh) {
		/* §14.1: glare, try again after 2.1-4 s */
		loop_timer_start(s->ua->loop, &s->t_se,
				 sip_rand_range(2100, 4000));
		s->se_waiting = false;
	}
}
