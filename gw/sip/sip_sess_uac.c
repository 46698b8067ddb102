/*
 * INVITE sessions, the UAC side (RFC 3261 §13.2, RFC 3262 §4): sending the
 * INVITE, provisional responses with PRACK for reliable ones, the ACK for
 * each 2xx (§13.2.2.4) including those of other forks, CANCEL, and the
 * retry after a 422 (RFC 4028 §6) or a digest challenge (RFC 7616).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_sess_int.h"

/* ---- UAC ---- */

/* Prints and sends the INVITE (first, or after a 422: §7.4 RFC 4028). */
static int send_invite(struct sip_sess *s)
{
	const char *route[1] = {s->out_route};
	struct sip_req r = {0};
	struct sip_peer hop;
	char *h;
	int e;
	r.method = "INVITE";
	r.ruri = s->out_ruri;
	r.from = s->out_from;
	r.from_tag = s->local_tag;
	r.to = s->out_to;
	r.call_id = s->call_id;
	r.cseq = s->inv_cseq;
	r.route = route;
	r.n_route = s->out_route ? 1 : 0;
	if ((e = sip_req_next_hop(&r, &hop)))
		return e;
	if (!s->contact[0] &&
	    (e = ua_contact(s->ua, s->proto, hop.remote.ss_family, s->contact,
			    sizeof(s->contact))))
		return e;
	r.contact = s->contact;
	if (s->auth_hdr) {
		/* §22.2: the credentials go with the caller's headers */
		size_t xl = s->out_extra ? strlen(s->out_extra) : 0;
		char *x = malloc(xl + strlen(s->auth_hdr) + 1);
		if (!x)
			return -ENOMEM;
		memcpy(x, s->out_extra ? s->out_extra : "", xl);
		strcpy(x + xl, s->auth_hdr);
		h = sess_hdrs_make(s, H_ALLOW | H_SUPPORTED | H_SE_REQ, x);
		free(x);
	} else {
		h = sess_hdrs_make(s, H_ALLOW | H_SUPPORTED | H_SE_REQ,
				   s->out_extra);
	}
	if (!h)
		return -ENOMEM;
	r.extra_hdrs = h;
	r.ctype = "application/sdp";
	r.body = s->local_sdp;
	r.body_len = s->sent_offer ? s->local_sdp_len : 0;
	e = ua_send(s->ua, &r, s->proto, &s->inv_ctx, NULL, NULL, NULL);
	free(h);
	return e;
}

int sip_sess_connect(struct sip_ua *ua, struct sip_sess **sp,
		     const struct sip_sess_out *o,
		     const struct sip_sess_handlers *h, void *arg)
{
	struct sip_sess *s;
	char cid[33];
	int e = -ENOMEM;
	if (!o->ruri || !o->from)
		return -EINVAL;
	if (ua->n_sess >= ua->conf.max_sessions)
		return -EBUSY;
	if (!(s = sess_new(ua)))
		return -ENOMEM;
	s->h = h;
	s->arg = arg;
	s->proto = o->proto;
	s->inv_cseq = 1;
	sip_rand_token(cid, sizeof(cid), 32);
	if (sess_set_str(&s->call_id, cid, strlen(cid)) ||
	    sess_set_str(&s->out_ruri, o->ruri, strlen(o->ruri)) ||
	    sess_set_str(&s->out_from, o->from, strlen(o->from)) ||
	    (o->extra_hdrs && sess_set_str(&s->out_extra, o->extra_hdrs,
					   strlen(o->extra_hdrs))) ||
	    (o->sdp && o->sdp_len &&
	     sess_set_str(&s->local_sdp, o->sdp, o->sdp_len)))
		goto out;
	if (o->auth_user && o->auth_user[0] &&
	    (sess_set_str(&s->auth_user, o->auth_user, strlen(o->auth_user)) ||
	     sess_set_str(&s->auth_password,
			  o->auth_password ? o->auth_password : "",
			  o->auth_password ? strlen(o->auth_password) : 0)))
		goto out;
	if (o->to)
		e = sess_set_str(&s->out_to, o->to, strlen(o->to));
	else if ((s->out_to = malloc(strlen(o->ruri) + 3)))
		e = 0, sprintf(s->out_to, "<%s>", o->ruri);
	if (e)
		goto out;
	e = -ENOMEM;
	if (o->route) {
		struct sip_uri u;
		struct pl lr;
		bool has_lr = sip_uri_parse(&u, pl_from(o->route)) == 0 &&
			      sip_uri_param(&u, "lr", &lr) == 0;
		if (!(s->out_route = malloc(strlen(o->route) + 6)))
			goto out;
		sprintf(s->out_route, "<%s%s>", o->route, has_lr ? "" : ";lr");
	}
	s->local_sdp_len = s->local_sdp ? o->sdp_len : 0;
	s->sent_offer = s->local_sdp != NULL;
	if (ua->conf.session_expires_s) {
		s->se_s = ua->conf.session_expires_s;
		s->se_we_refresh = true; /* we ask to refresh ("uac") */
	}
	if ((e = send_invite(s)))
		goto out;
	ua_insert(ua, s);
	*sp = s;
	return 0;
out:
	s->inv_ctx = NULL;
	sess_free(s);
	return e;
}

/* The ACK for a 2xx to our INVITE (§13.2.2.4), kept for resending. */
void sess_send_ack(struct sip_sess *s, uint32_t cseq, const char *sdp,
		   size_t sdp_len)
{
	free(s->ack_buf);
	s->ack_buf = NULL;
	if (sess_dlg_send(s, "ACK", &cseq, 0, NULL, sdp, sdp_len, &s->ack_buf,
			  &s->ack_len, &s->ack_peer, NULL) == 0)
		s->ack_sent_cseq = cseq;
}

void sess_ack_again(struct sip_sess *s, uint32_t cseq)
{
	struct sip_ua *ua = s->ua;
	if (!s->ack_buf || s->ack_sent_cseq != cseq)
		sess_send_ack(s, cseq, NULL, 0); /* one we no longer keep */
	else if (ua->io.send)
		ua->io.send(ua->io.arg, &s->ack_peer, s->ack_buf, s->ack_len);
}

/* Whether the To tag of response m is our dialog's remote tag. */
static bool same_remote(const struct sip_sess *s, const struct sip_msg *m)
{
	struct sip_addr to;
	return s->has_dialog && sip_msg_to(m, &to) == 0 && pl_isset(to.tag) &&
	       pl_eq_str(to.tag, s->d.remote_tag);
}

/* (Re)builds the early dialog from a response carrying a new To tag. */
static int uac_dialog(struct sip_sess *s, const struct sip_msg *req,
		      const struct sip_msg *m)
{
	struct sip_dialog d;
	int e;
	if (same_remote(s, m))
		return sip_dialog_uac_update(&s->d, m);
	if ((e = sip_dialog_uac(&d, req, m)))
		return e;
	sip_dialog_clear(&s->d);
	s->d = d;
	s->has_dialog = true;
	s->peer_rseq = 0;
	return 0;
}

static void uac_provisional(struct sip_sess *s, const struct sip_msg *req,
			    const struct sip_msg *m)
{
	struct sip_addr to;
	const struct sip_hdr *h;
	uint32_t rseq, cseq;
	char rack[64];
	if (m->status == 100 || s->state == SESS_ENDING)
		return;
	if (sip_msg_to(m, &to) == 0 && pl_isset(to.tag) && to.tag.l &&
	    uac_dialog(s, req, m) == 0)
		s->state = SESS_EARLY;
	h = sip_msg_hdr(m, SIP_HDR_RSEQ);
	if (h && s->has_dialog && ua_has_tag(m, SIP_HDR_REQUIRE, "100rel")) {
		if (sip_delta_parse(h->val, &rseq) || !rseq)
			return;
		/* RFC 3262 §4: only the next RSeq in order is processed */
		if (s->peer_rseq && rseq != s->peer_rseq + 1)
			return;
		s->peer_rseq = rseq;
		snprintf(rack, sizeof(rack), "RAck: %u %u INVITE\r\n",
			 (unsigned)rseq, (unsigned)s->inv_cseq);
		sess_dlg_send(s, "PRACK", &cseq, 0, rack, NULL, 0, NULL, NULL,
			      NULL, NULL);
	}
	if (!s->released && s->h && s->h->progress)
		s->h->progress(s->arg, s, m);
}

static void uac_2xx(struct sip_sess *s, const struct sip_msg *req,
		    const struct sip_msg *m)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned code;
	if (s->confirmed || s->state == SESS_ENDING) {
		/* a retransmission: ACK again; another branch: ACK + BYE */
		if (s->confirmed && same_remote(s, m))
			sess_ack_again(s, s->inv_cseq);
		else
			ua_ack_and_bye(s->ua, req, m);
		if (!s->confirmed)
			sess_destroy(s); /* ended before the answer */
		return;
	}
	if (uac_dialog(s, req, m)) {
		ua_ack_and_bye(s->ua, req, m);
		sess_close(s, SIP_END_REJECTED, 500, m);
		return;
	}
	/* inv_ctx stays: it passes 2xx retransmissions (RFC 6026 §7.2) and
	 * is abandoned when the session goes */
	s->confirmed = true;
	s->state = SESS_CONFIRMED;
	s->peer_update = ua_has_tag(m, SIP_HDR_ALLOW, "UPDATE");
	s->peer_timer = ua_has_tag(m, SIP_HDR_SUPPORTED, "timer") ||
			ua_has_tag(m, SIP_HDR_REQUIRE, "timer");
	sess_se_from_response(s, m);
	/* a late offer in the 2xx: the answer goes in the ACK */
	if (!s->sent_offer && m->body.l && (buf = malloc(SESS_SDP_MAX))) {
		code = sess_ask_reoffer(s, m, buf, &len);
		if (code < 200 || code >= 300)
			len = 0;
		if (len && sess_set_str(&s->local_sdp, buf, len) == 0)
			s->local_sdp_len = len;
	}
	sess_send_ack(s, s->inv_cseq, buf, len);
	free(buf);
	sess_se_restart(s);
	if (!s->released && s->h && s->h->established)
		s->h->established(s->arg, s, m);
}

/* RFC 3261 §22.2: answers a 401/407 once with credentials (the
 * strongest challenge, RFC 7616 §3.7). Returns 0 when a new INVITE is
 * out, else -errno (the failure is then reported). */
static int uac_auth_retry(struct sip_sess *s, const struct sip_msg *m)
{
	struct sip_auth_chal c;
	char val[1024], *line;
	int n;
	if ((m->status != 401 && m->status != 407) || !s->auth_user ||
	    s->auth_tried)
		return -EPERM;
	s->auth_tried = true;
	if ((n = sip_auth_pick(m, NULL, &c)))
		return n;
	struct sip_auth_uac u = {
	    .username = s->auth_user,
	    .password = s->auth_password,
	    .method = "INVITE",
	    .uri = s->out_ruri,
	    .nc = 1,
	};
	if ((n = sip_auth_uac_answer(&c, &u, val, sizeof(val))) < 0)
		return n;
	const char *name = sip_auth_answer_hdr(&c);
	if (!(line = malloc(strlen(name) + (size_t)n + 5)))
		return -ENOMEM;
	sprintf(line, "%s: %s\r\n", name, val);
	free(s->auth_hdr);
	s->auth_hdr = line;
	/* §8.1.3.5: same Call-ID and From tag, CSeq + 1, a fresh dialog */
	s->inv_cseq++;
	s->has_dialog = false;
	s->peer_rseq = 0;
	s->state = SESS_CALLING;
	sip_dialog_clear(&s->d);
	if ((n = send_invite(s)))
		s->inv_ctx = NULL;
	return n;
}

static void uac_final(struct sip_sess *s, const struct sip_msg *m)
{
	uint32_t min_se;
	s->inv_ctx = NULL;
	if (s->state == SESS_ENDING || s->released) {
		sess_destroy(s);
		return;
	}
	/* RFC 4028 §7.4: 422: once more with the larger interval */
	if (m->status == 422 && s->se_s && !s->se_retried &&
	    (min_se = sess_min_se_of(m)) > s->se_s) {
		s->se_retried = true;
		s->se_s = s->min_se_s = min_se;
		s->inv_cseq++;
		s->has_dialog = false;
		s->state = SESS_CALLING;
		sip_dialog_clear(&s->d);
		if (send_invite(s) == 0)
			return;
		s->inv_ctx = NULL;
	}
	if (uac_auth_retry(s, m) == 0)
		return;
	sess_close(s, SIP_END_REJECTED, m->status, m);
}

void sess_response(struct sip_sess *s, struct sip_ctx *ct,
		   const struct sip_msg *req, const struct sip_msg *m, int err)
{
	struct sip_cseq cs;
	(void)ct;
	if (s->destroyed || sip_msg_cseq(req, &cs))
		return;
	if (cs.method == SIP_METHOD_BYE) {
		if (s->state == SESS_ENDING && cs.num == s->bye_cseq &&
		    (err || m->status >= 200))
			sess_destroy(s);
		return;
	}
	if (cs.method == SIP_METHOD_UPDATE && cs.num == s->reinv_cseq) {
		sess_refresh_response(s, m, err, false);
		return;
	}
	if (cs.method != SIP_METHOD_INVITE)
		return; /* PRACK: nothing to do */
	if (!s->incoming && cs.num == s->inv_cseq) {
		if (err) {
			s->inv_ctx = NULL;
			if (s->state == SESS_ENDING)
				sess_destroy(s);
			else if (err == -ETIMEDOUT)
				sess_close(s, SIP_END_TIMEOUT, 408, NULL);
			else
				sess_close(s, SIP_END_TP_ERROR, 503, NULL);
		} else if (m->status < 200) {
			uac_provisional(s, req, m);
		} else if (m->status < 300) {
			uac_2xx(s, req, m);
		} else {
			uac_final(s, m);
		}
		return;
	}
	/* our re-INVITE, or a 2xx to one again (the ACK again) */
	if (cs.num == s->reinv_cseq ||
	    (m && m->status >= 200 && m->status < 300))
		sess_refresh_response(s, m, err, true);
}

void sess_stray_2xx(struct sip_sess *s, const struct sip_msg *m)
{
	struct sip_cseq cs;
	if (sip_msg_cseq(m, &cs))
		return;
	if (same_remote(s, m))
		sess_ack_again(s, cs.num);
	else
		ua_ack_and_bye(s->ua, m, m); /* another branch (§13.2.2.4) */
}
