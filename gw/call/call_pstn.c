/*
 * The ISDN leg of calls: placing SIP->PSTN calls (B-channel hunting over
 * the trunk group's spans, SETUP contents: bearer, numbers with TON/NPI,
 * presentation, redirecting number) and taking PSTN->SIP calls (SETUP
 * numbers to E.164, admission, hand-over to the SIP leg), plus the
 * B-channel media of a call and its bridge to the SIP leg's RTP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "call_int.h"
#include "log.h"

/* libpri numbering plan byte (TON << 4 | NPI) of a number_isdn. */
static int pri_plan(const struct number_isdn *n)
{
	return (int)(((unsigned)n->ton << 4) | (n->npi & 0x0f));
}

static struct number_isdn from_pri(const char *digits, int plan)
{
	struct number_isdn n;
	memset(&n, 0, sizeof(n));
	snprintf(n.digits, sizeof(n.digits), "%s", digits);
	n.ton = (enum number_ton)((plan >> 4) & 0x07);
	n.npi = (unsigned)plan & 0x0f;
	return n;
}

/* Picks span and channel in tg, skipping the channel tried last. Returns
 * the timeslot (span in *sp) or 0. */
static unsigned hunt(struct call *c, struct call_tg *tg, struct isdn_span **sp)
{
	for (unsigned i = 0; i < tg->conf.nspans; i++) {
		struct isdn_span *s =
		    isdn_span_get(c->gw->isdn, tg->conf.spans[i]);
		if (!s || !isdn_span_usable(s))
			continue;
		unsigned except =
		    isdn_span_no(s) == c->tried_span ? c->tried_ts : 0;
		unsigned ts = isdn_span_hunt_except(
		    s, (enum conf_hunt)tg->conf.hunt, except);
		if (ts) {
			*sp = s;
			return ts;
		}
	}
	return 0;
}

/* Fills c->setup's numbers for tg (called from c->called_e164, calling
 * and redirecting already in c->setup as E.164 or empty). */
static int setup_numbers(struct call *c, struct call_tg *tg)
{
	struct isdn_setup *st = &c->setup;
	struct number_isdn n;
	if (number_from_e164(&tg->plan, c->called_e164, tg->plan.called_format,
			     &n))
		return PRI_CAUSE_INVALID_NUMBER_FORMAT;
	snprintf(st->called, sizeof(st->called), "%s", n.digits);
	st->called_plan = pri_plan(&n);
	if (c->calling_in[0] &&
	    number_from_e164(&tg->plan, c->calling_in, tg->plan.calling_format,
			     &n) == 0) {
		snprintf(st->calling, sizeof(st->calling), "%s", n.digits);
		st->calling_plan = pri_plan(&n);
	} else {
		st->calling[0] = '\0';
		st->calling_plan = PRI_UNKNOWN;
	}
	if (st->redirecting[0] == '+') {
		char e164[NUMBER_MAX];
		snprintf(e164, sizeof(e164), "%s", st->redirecting);
		if (number_from_e164(&tg->plan, e164, tg->plan.calling_format,
				     &n) == 0) {
			snprintf(st->redirecting, sizeof(st->redirecting), "%s",
				 n.digits);
			st->redirecting_plan = pri_plan(&n);
		} else {
			st->redirecting[0] = '\0';
		}
	}
	return 0;
}

int call_pstn_place(struct call *c)
{
	struct call_tg *tg = c->tg;
	struct isdn_span *s = NULL;
	unsigned ts = hunt(c, tg, &s);
	if (!ts)
		return PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
	int cause = setup_numbers(c, tg);
	if (cause)
		return cause;
	struct isdn_setup *st = &c->setup;
	const struct tdm_span *tdm = isdn_span_tdm(s);
	st->transfer_cap = PRI_TRANS_CAP_SPEECH;
	st->layer1 = tdm && tdm->law == TDM_LAW_ULAW ? PRI_LAYER_1_ULAW
						     : PRI_LAYER_1_ALAW;
	st->ts = ts;
	st->complete = true;
	/* Q.931 §5.1.2: the network side assigns exclusively; the user side
	 * prefers and lets the network choose */
	struct isdn_span_status ss;
	isdn_span_status(s, &ss);
	st->exclusive = ss.side == CONF_SIDE_NET;
	int rc = isdn_call_place(s, st, c, &c->ic);
	if (rc) {
		log_warn("call %u: cannot place SETUP on %u/%u: %s", c->id,
			 isdn_span_no(s), ts, strerror(-rc));
		return PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
	}
	c->tried_span = isdn_span_no(s);
	c->tried_ts = ts;
	c->state = CALL_ST_OUT_SENT;
	log_info("call %u: SIP -> span %u/%u (%s): called %s (plan 0x%02x) "
		 "calling %s pres 0x%02x",
		 c->id, c->tried_span, ts, tg->conf.name, st->called,
		 (unsigned)st->called_plan, st->calling[0] ? st->calling : "-",
		 (unsigned)st->calling_pres);
	return 0;
}

/* The socket address of af, addr and port (from the SDP result). */
static int sdp_sa(int af, const char *addr, uint16_t port,
		  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1 ? 0
								      : -EINVAL;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	return inet_pton(AF_INET, addr, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* The RTP side of c's bridge from the SDP result (c->media). Returns false
 * while there is no remote stream (no SDP yet, port 0, no socket). */
static bool rtp_conf(const struct call *c, struct media_rtp_conf *rc)
{
	const struct sdp_media_result *r = &c->media;
	memset(rc, 0, sizeof(*rc));
	if (c->rtp_fd < 0 || !r->port ||
	    sdp_sa(r->af, r->addr, r->port, &rc->remote))
		return false;
	rc->fd = c->rtp_fd;
	/* RTCP: a=rtcp (RFC 3605), else the RTP address and port + 1; none
	 * sent (but still read) without a usable one */
	rc->rtcp_fd = c->rtcp_fd;
	if (sdp_sa(r->af, r->rtcp_addr, r->rtcp_port, &rc->rtcp_remote))
		memset(&rc->rtcp_remote, 0, sizeof(rc->rtcp_remote));
	rc->law = r->codec == SDP_CODEC_PCMU ? TDM_LAW_ULAW : TDM_LAW_ALAW;
	rc->pt = r->pt;
	rc->te_pt = r->te_pt;
	rc->ptime_ms = r->ptime_ms;
	rc->tone = c->local_tone;
	/* RFC 3264 §6.1: the direction is ours; a held peer (RFC 3264
	 * §8.4: c=0.0.0.0) is not sent to */
	rc->send = (r->dir == SDP_DIR_NONE || r->dir == SDP_DIR_SENDRECV ||
		    r->dir == SDP_DIR_SENDONLY) &&
		   !(r->on_hold &&
		     (r->addr[0] == '\0' || !strcmp(r->addr, "0.0.0.0")));
	rc->recv = r->dir == SDP_DIR_NONE || r->dir == SDP_DIR_SENDRECV ||
		   r->dir == SDP_DIR_RECVONLY;
	/* no inactivity timeout before the answer (callers often send no
	 * early RTP) nor on hold */
	if ((c->sip_answered || c->isdn_answered) && !r->on_hold)
		rc->timeout_s = c->gw->conf->sip.rtp_timeout_s;
	return true;
}

int call_media_start(struct call *c, enum media_mode mode)
{
	struct media_rtp_conf rtp;
	bool bridge = mode == MEDIA_MODE_BRIDGE && rtp_conf(c, &rtp);
	if (c->mc) {
		/* early media running: the answer may move the stream and
		 * arms the timeout */
		if (bridge && media_chan_update(c->gw->media, c->mc, &rtp))
			log_notice("call %u: media kept as it was (codec "
				   "changed or not bridged)",
				   c->id);
		return 0;
	}
	if (!c->ic)
		return -ENODEV;
	int rc = isdn_call_bchan_open(c->ic, &c->bchan);
	if (rc) {
		log_warn("call %u: cannot open B-channel %u/%u: %s", c->id,
			 isdn_span_no(isdn_call_span(c->ic)),
			 isdn_call_ts(c->ic), strerror(-rc));
		return rc;
	}
	struct media_chan_conf mcc = {
	    .bchan = c->bchan,
	    .law = c->bchan->span->law,
	    .mode = bridge			? MEDIA_MODE_BRIDGE
		    : mode == MEDIA_MODE_BRIDGE ? MEDIA_MODE_IDLE
						: mode,
	    .call_id = c->id,
	};
	if (bridge) {
		mcc.rtp = rtp;
		mcc.ec = c->tg && c->tg->conf.ec;
		mcc.ec_tail_ms = c->tg ? c->tg->conf.ec_tail_ms : 0;
	}
	rc = media_chan_start(c->gw->media, &mcc, &c->mc);
	if (rc) {
		tdm_bchan_close(c->bchan);
		c->bchan = NULL;
	}
	return rc;
}

void call_on_media_rtp_timeout(void *arg, struct media_chan *mc)
{
	struct gw *gw = arg;
	for (struct call *c = gw->calls->head; c; c = c->next) {
		if (c->mc != mc || c->state == CALL_ST_CLEARING)
			continue;
		log_notice("call %u: no RTP for %u s: clearing", c->id,
			   gw->conf->sip.rtp_timeout_s);
		/* Q.850 cause 41, temporary failure: the IP side stopped
		 * working (not a signalling timer, so not 102) */
		call_abort(c, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
		return;
	}
}

void call_on_media_tone(void *arg, struct media_chan *mc, uint64_t tones)
{
	struct gw *gw = arg;
	struct call *c = gw->calls->head;
	while (c && c->mc != mc)
		c = c->next;
	if (!c)
		return;
	struct media_stats ms;
	media_chan_stats(mc, &ms);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t bit = (uint64_t)1 << i;
		if (!(tones & bit))
			continue;
		log_notice("call %u: %s tone from the %s side: echo canceller "
			   "%s%s",
			   c->id, media_tone_name(bit),
			   bit >> MEDIA_TONE_RTP_SHIFT ? "SIP" : "PSTN",
			   media_ec_state_name(ms.ec_state),
			   ms.fax != MEDIA_FAX_NONE
			       ? ", fax: G.711 pass-through, fixed jitter "
				 "buffer"
			       : "");
	}
}

/* PSTN->SIP: the numbers of an incoming SETUP as E.164. Returns 0 or a
 * Q.850 cause. */
static int setup_to_e164(struct call *c, const struct isdn_setup *st,
			 char *calling, char *redir)
{
	const struct number_plan *np = &c->tg->plan;
	struct number_isdn n = from_pri(st->called, st->called_plan);
	if (number_to_e164(np, &n, c->called_e164))
		return PRI_CAUSE_INVALID_NUMBER_FORMAT;
	calling[0] = redir[0] = '\0';
	if (st->calling[0]) {
		n = from_pri(st->calling, st->calling_plan);
		if (number_to_e164(np, &n, calling))
			calling[0] = '\0';
	}
	if (st->redirecting[0]) {
		n = from_pri(st->redirecting, st->redirecting_plan);
		if (number_to_e164(np, &n, redir))
			redir[0] = '\0';
	}
	return 0;
}

int call_pstn_offer(struct call *c, const struct isdn_setup *st)
{
	snprintf(c->called_in, sizeof(c->called_in), "%s", st->called);
	struct isdn_setup out = *st;
	int cause = setup_to_e164(c, st, out.calling, out.redirecting);
	if (!cause)
		cause = call_sip_connect(c, &out);
	if (cause)
		return cause;
	/* Q.931 §5.2.5.2: the SETUP is taken; T303 stops at the network
	 * (after SETUP ACKNOWLEDGE, §5.2.4.2: the number is complete) */
	isdn_call_proceeding(c->ic);
	c->state = CALL_ST_OUT_SENT;
	return 0;
}

void call_pstn_on_setup(struct gw *gw, struct isdn_call *ic,
			const struct isdn_setup *st)
{
	unsigned span = isdn_span_no(isdn_call_span(ic));
	struct call_tg *tg = call_tg_for_span(gw, span);
	int cause = 0;
	if (!tg || !tg->conf.sip_dest[0]) {
		cause = PRI_CAUSE_NO_ROUTE_DESTINATION;
		goto reject;
	}
	if ((cause = call_tg_admit(tg, loop_now_ms(gw->loop))))
		goto reject;
	struct call *c = call_new(gw, CALL_PSTN_TO_SIP);
	if (!c) {
		cause = PRI_CAUSE_SWITCH_CONGESTION;
		goto reject;
	}
	call_start_timers(c);
	c->tg = tg;
	c->ic = ic;
	c->counted = true;
	tg->active++;
	isdn_call_set_user(ic, c);
	snprintf(c->called_in, sizeof(c->called_in), "%s", st->called);
	snprintf(c->calling_in, sizeof(c->calling_in), "%s", st->calling);
	if (call_overlap_wanted(tg, st))
		cause = call_overlap_start(c, st);
	else
		cause = call_pstn_offer(c, st);
	if (cause)
		call_abort(c, cause);
	return;
reject:
	log_info("call span %u/%u: '%s' -> '%s' rejected with cause %d", span,
		 isdn_call_ts(ic), st->calling, st->called, cause);
	isdn_call_hangup(ic, cause);
}
