/*
 * INVITE sessions (RFC 3261 §13-§15), the UAS side: answering an INVITE
 * (1xx, reliable 1xx and PRACK of RFC 3262, 2xx retransmitted until the
 * ACK §13.3.1.4), BYE, and the call layer's calls. The UAC side is in
 * sip_sess_uac.c; in-dialog requests, session timers and the table are
 * in sip_ua.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_sess_int.h"

#define SESS_HDRS_MAX 1024 /* our own header lines in one message */

static const char *const check_prack[] = {"100rel", "timer", NULL};
static const char *const check_plain[] = {"timer", NULL};
static const char *const body_types[] = {"application/sdp", NULL};
/* SDP may come inside multipart bodies (RFC 5621; SIP-T, RFC 3204) */
static const char *const accept_types[] = {
    "application/sdp",
    "multipart/mixed",
    "multipart/alternative",
    NULL,
};

static unsigned t1_ms(const struct sip_sess *s)
{
	return sip_txn_t1_ms(s->ua->txn);
}

static uint64_t now_ns(const struct sip_sess *s)
{
	return loop_now_ns(s->ua->loop);
}

/* ---- small helpers ---- */

int sess_set_str(char **dst, const char *src, size_t len)
{
	char *p = NULL;
	if (src) {
		if (!(p = malloc(len + 1)))
			return -ENOMEM;
		memcpy(p, src, len);
		p[len] = '\0';
	}
	free(*dst);
	*dst = p;
	return 0;
}

static void prov_free(struct sess_prov *p)
{
	if (!p)
		return;
	free(p->hdrs);
	free(p->sdp);
	free(p);
}

static void rel_drop(struct sip_sess *s)
{
	loop_timer_stop(s->ua->loop, &s->t_rel);
	prov_free(s->rel_cur);
	s->rel_cur = NULL;
	while (s->rel_queue) {
		struct sess_prov *p = s->rel_queue;
		s->rel_queue = p->next;
		prov_free(p);
	}
}

void sess_free_prepare(struct sip_sess *s)
{
	struct loop *l = s->ua->loop;
	loop_timer_stop(l, &s->t_2xx);
	loop_timer_stop(l, &s->t_rel);
	loop_timer_stop(l, &s->t_se);
	loop_timer_stop(l, &s->t_end);
	if (s->inv_stx) {
		/* never leave an INVITE unanswered (§13.3.1) */
		if (!sip_stx_final_sent(s->inv_stx))
			sip_stx_respond(s->inv_stx, 500, NULL, s->local_tag,
					NULL, NULL, NULL, 0);
		sip_stx_set_user(s->inv_stx, NULL, NULL);
	}
	if (s->ack_stx && s->ack_stx != s->inv_stx)
		sip_stx_set_user(s->ack_stx, NULL, NULL);
	s->inv_stx = s->ack_stx = NULL;
	if (s->inv_ctx)
		sip_ctx_abandon(s->inv_ctx);
	if (s->re_ctx)
		sip_ctx_abandon(s->re_ctx);
	s->inv_ctx = s->re_ctx = NULL;
}

void sess_free(struct sip_sess *s)
{
	sess_free_prepare(s);
	rel_drop(s);
	sip_dialog_clear(&s->d);
	free(s->call_id);
	free(s->local_sdp);
	free(s->out_ruri);
	free(s->out_to);
	free(s->out_from);
	free(s->out_route);
	free(s->out_extra);
	free(s->auth_user);
	free(s->auth_password);
	free(s->auth_hdr);
	free(s->ack_buf);
	free(s->end_hdrs);
	free(s);
}

/* Tells the call layer (once) that the session is over. */
void sess_notify_closed(struct sip_sess *s, enum sip_sess_why why,
			unsigned status, const struct sip_msg *m)
{
	struct sip_sess_end end = {why, status, m ? sip_reason_q850(m) : 0, m};
	bool tell = !s->released && s->h && s->h->closed;
	s->released = true;
	if (tell)
		s->h->closed(s->arg, s, &end);
}

void sess_close(struct sip_sess *s, enum sip_sess_why why, unsigned status,
		const struct sip_msg *m)
{
	sess_notify_closed(s, why, status, m);
	sess_destroy(s);
}

/* Appends printf text to a header block; truncation makes it fail. */
struct hb {
	char *buf;
	size_t cap, len;
	bool over;
};

static void hb_add(struct hb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void hb_add(struct hb *b, const char *fmt, ...)
{
	va_list ap;
	int w;
	if (b->over)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= b->cap - b->len)
		b->over = true;
	else
		b->len += (size_t)w;
}

/* §12.1.1: a response that creates a dialog copies Record-Route. */
static void hb_record_route(struct hb *b, const struct sip_stx *st)
{
	const struct sip_msg *m = st ? sip_stx_msg(st) : NULL;
	const struct sip_hdr *h;
	if (!m)
		return;
	for (h = sip_msg_hdr(m, SIP_HDR_RECORD_ROUTE); h;
	     h = sip_msg_hdr_next(m, h)) {
		size_t n = sip_unfold(h->val, NULL, 0);
		if (n + 20 >= b->cap - b->len) {
			b->over = true;
			return;
		}
		hb_add(b, "Record-Route: ");
		sip_unfold(h->val, b->buf + b->len, b->cap - b->len);
		b->len += n;
		hb_add(b, "\r\n");
	}
}

/* Our header lines (flags) followed by the caller's; malloc'd. */
char *sess_hdrs_make(const struct sip_sess *s, unsigned flags,
		     const char *extra)
{
	size_t cap =
	    SESS_HDRS_MAX + (extra ? strlen(extra) : 0) +
	    ((flags & H_RR) && s->inv_stx ? sip_stx_msg(s->inv_stx)->len : 0);
	struct hb b = {malloc(cap), cap, 0, false};
	const struct sip_ua_conf *c = &s->ua->conf;
	if (!b.buf)
		return NULL;
	b.buf[0] = '\0';
	if (flags & H_RR)
		hb_record_route(&b, s->inv_stx);
	if (flags & H_CONTACT)
		hb_add(&b, "Contact: %s\r\n", s->contact);
	if (flags & H_ALLOW)
		hb_add(&b, "Allow: %s\r\n", UA_ALLOW);
	if (flags & H_SUPPORTED)
		hb_add(&b, "%s", ua_supported(s->ua));
	if ((flags & H_SE_RESP) && s->se_s) {
		/* RFC 4028 §9: refresher named by transaction role */
		hb_add(&b, "Session-Expires: %u;refresher=%s\r\n", s->se_s,
		       s->se_we_refresh ? "uas" : "uac");
		if (s->peer_timer)
			hb_add(&b, "Require: timer\r\n");
	}
	if ((flags & H_SE_REQ) && s->se_s)
		hb_add(&b, "Session-Expires: %u;refresher=%s\r\nMin-SE: %u\r\n",
		       s->se_s, s->se_we_refresh ? "uac" : "uas", s->min_se_s);
	if ((flags & H_SERVER) && c->user_agent)
		hb_add(&b, "Server: %s\r\n", c->user_agent);
	if (extra)
		hb_add(&b, "%s", extra);
	if (b.over) {
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

/* Responds on st with our tag, headers (flags + extra) and an SDP body. */
int sess_respond(struct sip_sess *s, struct sip_stx *st, unsigned code,
		 unsigned flags, const char *extra, const char *sdp,
		 size_t sdp_len)
{
	char *h = sess_hdrs_make(s, flags | H_SERVER, extra);
	int e;
	if (!h)
		return -ENOMEM;
	e = sip_stx_respond(st, code, NULL, s->local_tag, h,
			    sdp_len ? "application/sdp" : NULL, sdp, sdp_len);
	free(h);
	return e;
}

/* Sends an in-dialog request; ACK uses cseq as given, others the next
 * local CSeq (returned in *cseq). */
int sess_dlg_send(struct sip_sess *s, const char *method, uint32_t *cseq,
		  unsigned flags, const char *extra, const char *sdp,
		  size_t sdp_len, char **keep, size_t *keep_len,
		  struct sip_peer *to, struct sip_ctx **ctp)
{
	struct sip_dialog_req dr;
	struct sip_req r = {0};
	char *h;
	int e;
	if ((e = sip_dialog_req_init(&s->d, &dr, &r)))
		return e;
	if (strcmp(method, "ACK") != 0)
		*cseq = sip_dialog_next_cseq(&s->d);
	if (!(h = sess_hdrs_make(s, flags, extra)))
		return -ENOMEM;
	r.method = method;
	r.cseq = *cseq;
	r.extra_hdrs = h;
	r.ctype = "application/sdp";
	r.body = sdp;
	r.body_len = sdp ? sdp_len : 0;
	e = ua_send(s->ua, &r, s->proto, ctp, to, keep, keep_len);
	free(h);
	return e;
}

static void end_guard(struct loop_timer *t)
{
	sess_destroy(t->arg);
}

/* §15: sends BYE and waits (at most 64*T1) for its transaction. */
void sess_send_bye(struct sip_sess *s, const char *extra)
{
	struct loop *l = s->ua->loop;
	loop_timer_stop(l, &s->t_2xx);
	loop_timer_stop(l, &s->t_se);
	rel_drop(s);
	s->state = SESS_ENDING;
	if (sess_dlg_send(s, "BYE", &s->bye_cseq, 0, extra, NULL, 0, NULL, NULL,
			  NULL, NULL)) {
		sess_destroy(s);
		return;
	}
	loop_timer_start(l, &s->t_end, 64ull * t1_ms(s));
}

/* ---- 2xx retransmission (UAS, §13.3.1.4) ---- */

static void ack_timeout(struct sip_sess *s)
{
	s->ack_stx = NULL;
	/* §13.3.1.4: no ACK: confirm and end the dialog with BYE */
	sess_notify_closed(s, SIP_END_TIMEOUT, 408, NULL);
	sess_send_bye(s, s->end_hdrs);
}

static void rtx_fire(struct loop_timer *t)
{
	struct sip_sess *s = t->arg;
	uint64_t now = now_ns(s);
	unsigned t2 = sip_txn_t2_ms(s->ua->txn);
	if (now >= s->rtx_end_ns) {
		ack_timeout(s);
		return;
	}
	if (s->ack_stx)
		sip_stx_resend_2xx(s->ack_stx);
	s->rtx_ms = s->rtx_ms * 2 > t2 ? t2 : s->rtx_ms * 2;
	if (now + s->rtx_ms * 1000000ull >= s->rtx_end_ns)
		loop_timer_at_ns(s->ua->loop, &s->t_2xx, s->rtx_end_ns);
	else
		loop_timer_start(s->ua->loop, &s->t_2xx, s->rtx_ms);
}

static void stx_event(void *user, struct sip_stx *st, enum sip_stx_event ev)
{
	struct sip_sess *s = user;
	switch (ev) {
	case SIP_STX_TERMINATED:
		if (s->inv_stx == st)
			s->inv_stx = NULL;
		if (s->ack_stx == st)
			s->ack_stx = NULL;
		break;
	case SIP_STX_TP_ERROR:
		if (st == s->inv_stx && s->state != SESS_CONFIRMED &&
		    s->state != SESS_ENDING)
			sess_close(s, SIP_END_TP_ERROR, 503, NULL);
		break;
	case SIP_STX_ACKED:
	case SIP_STX_TIMEOUT:
		break;
	}
}

void sess_start_2xx_rtx(struct sip_sess *s, struct sip_stx *st, uint32_t cseq)
{
	if (st != s->inv_stx)
		sip_stx_set_user(st, stx_event, s);
	s->ack_stx = st;
	s->ack_cseq = cseq;
	s->rtx_ms = t1_ms(s);
	s->rtx_end_ns = now_ns(s) + 64ull * t1_ms(s) * 1000000u;
	loop_timer_start(s->ua->loop, &s->t_2xx, s->rtx_ms);
}

void sess_ack(struct sip_sess *s, const struct sip_msg *m)
{
	struct sip_cseq cs;
	if (sip_msg_cseq(m, &cs) || !loop_timer_armed(&s->t_2xx) ||
	    cs.num != s->ack_cseq)
		return;
	loop_timer_stop(s->ua->loop, &s->t_2xx);
	s->ack_stx = NULL;
	if (s->state != SESS_ANSWERED)
		return; /* the ACK for a re-INVITE's 2xx */
	s->state = SESS_CONFIRMED;
	if (s->bye_after_ack) {
		sess_send_bye(s, s->end_hdrs);
		return;
	}
	sess_se_restart(s);
	if (!s->released && s->h && s->h->established)
		s->h->established(s->arg, s, m);
}

/* ---- reliable provisional responses (RFC 3262 §3) ---- */

static void rel_fire(struct loop_timer *t);

static int rel_send(struct sip_sess *s)
{
	struct sess_prov *p = s->rel_cur;
	char *h;
	int e;
	size_t cap = 64 + (p->hdrs ? strlen(p->hdrs) : 0);
	if (!(h = malloc(cap)))
		return -ENOMEM;
	snprintf(h, cap, "Require: 100rel\r\nRSeq: %u\r\n%s", (unsigned)s->rseq,
		 p->hdrs ? p->hdrs : "");
	e = sess_respond(s, s->inv_stx, p->code,
			 H_RR | H_CONTACT | H_ALLOW | H_SUPPORTED, h, p->sdp,
			 p->sdp_len);
	free(h);
	return e;
}

/* Starts sending the next queued reliable provisional, if any. */
static int rel_next(struct sip_sess *s)
{
	int e;
	if (s->rel_cur || !s->rel_queue)
		return 0;
	s->rel_cur = s->rel_queue;
	s->rel_queue = s->rel_cur->next;
	s->rel_cur->next = NULL;
	/* §3: initial RSeq random, then one more per reliable 1xx */
	s->rseq = s->rseq ? s->rseq + 1 : sip_rand_range(1, 0x7fffffffu);
	if ((e = rel_send(s))) {
		prov_free(s->rel_cur);
		s->rel_cur = NULL;
		return e;
	}
	s->has_dialog = true;
	s->state = SESS_EARLY;
	if (s->rel_cur->sdp && sess_set_str(&s->local_sdp, s->rel_cur->sdp,
					    s->rel_cur->sdp_len) == 0)
		s->local_sdp_len = s->rel_cur->sdp_len;
	s->rel_ms = t1_ms(s);
	s->rel_end_ns = now_ns(s) + 64ull * t1_ms(s) * 1000000u;
	loop_timer_start(s->ua->loop, &s->t_rel, s->rel_ms);
	return 0;
}

static void rel_fire(struct loop_timer *t)
{
	struct sip_sess *s = t->arg;
	uint64_t now = now_ns(s);
	if (now >= s->rel_end_ns) {
		/* §3: no PRACK for 64*T1: reject the INVITE with a 5xx */
		rel_drop(s);
		if (s->inv_stx)
			sess_respond(s, s->inv_stx, 504, 0, NULL, NULL, 0);
		sess_close(s, SIP_END_TIMEOUT, 504, NULL);
		return;
	}
	if (s->inv_stx && !sip_stx_final_sent(s->inv_stx))
		rel_send(s);
	s->rel_ms *= 2;
	if (now + s->rel_ms * 1000000ull > s->rel_end_ns)
		loop_timer_at_ns(s->ua->loop, &s->t_rel, s->rel_end_ns);
	else
		loop_timer_start(s->ua->loop, &s->t_rel, s->rel_ms);
}

/* RAck: response-num CSeq-num Method (RFC 3262 §7.2). */
static bool rack_parse(const struct sip_msg *m, uint32_t *rseq, uint32_t *cseq,
		       struct pl *method)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_RACK);
	char buf[96], meth[32];
	unsigned long a, b;
	if (!h || sip_unfold(h->val, buf, sizeof(buf)) >= sizeof(buf) ||
	    sscanf(buf, "%lu %lu %31s", &a, &b, meth) != 3 || a > 0xffffffffu ||
	    b > 0x7fffffffu)
		return false;
	*rseq = (uint32_t)a;
	*cseq = (uint32_t)b;
	/* the method is checked here: the view would point into buf */
	*method = sip_pl_ieq(pl_from(meth), "INVITE") ? PL("INVITE") : PL("");
	return true;
}

void sess_prack(struct sip_sess *s, struct sip_stx *st, const struct sip_msg *m)
{
	uint32_t rseq, cseq;
	struct pl meth;
	if (!s->incoming || !s->rel_cur ||
	    !rack_parse(m, &rseq, &cseq, &meth) || rseq != s->rseq ||
	    cseq != s->inv_cseq || !meth.l) {
		sess_respond(s, st, 481, 0, NULL, NULL, 0); /* §3 */
		return;
	}
	sess_respond(s, st, 200, 0, NULL, NULL, 0);
	loop_timer_stop(s->ua->loop, &s->t_rel);
	prov_free(s->rel_cur);
	s->rel_cur = NULL;
	if (s->inv_stx && !sip_stx_final_sent(s->inv_stx))
		rel_next(s);
}

/* ---- UAS: the INVITE ---- */

struct sip_sess *sess_new(struct sip_ua *ua)
{
	struct sip_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ua = ua;
	s->min_se_s = ua->conf.min_se_s;
	loop_timer_init(&s->t_2xx, rtx_fire, s);
	loop_timer_init(&s->t_rel, rel_fire, s);
	loop_timer_init(&s->t_se, sess_se_fire, s);
	loop_timer_init(&s->t_end, end_guard, s);
	sip_rand_token(s->local_tag, sizeof(s->local_tag), UA_TAG_LEN);
	return s;
}

static void reject_plain(struct sip_stx *st, unsigned code, const char *hdrs)
{
	char tag[UA_TAG_LEN + 1];
	sip_stx_respond(st, code, NULL, sip_rand_token(tag, sizeof(tag), 10),
			hdrs, NULL, NULL, 0);
}

/* §8.2 checks with our option tags; answers and returns false on failure. */
bool sess_checks_ok(const struct sip_ua *ua, struct sip_stx *st,
		    const struct sip_msg *m, const char *to_tag)
{
	struct sip_check_conf cc = {0};
	struct sip_check_result r;
	char hdrs[512];
	cc.supported = ua->conf.prack ? check_prack : check_plain;
	/* §8.2.3: bodies we take (415) and what our answers carry (406);
	 * an INFO body is judged by the call layer (RFC 6086 §4.2.2) */
	cc.accept = m->method == SIP_METHOD_INFO ? NULL : accept_types;
	cc.produce = body_types;
	if (!sip_check(m, &cc, &r))
		return true;
	if (sip_check_print_hdrs(&r, hdrs, sizeof(hdrs)) < 0)
		hdrs[0] = '\0';
	if (to_tag)
		sip_stx_respond(st, r.status, r.reason, to_tag, hdrs, NULL,
				NULL, 0);
	else
		reject_plain(st, r.status, hdrs);
	return false;
}

void sess_incoming(struct sip_ua *ua, struct sip_stx *st,
		   const struct sip_msg *m, const struct sip_peer *src)
{
	struct sip_sess *s;
	struct sip_cseq cs;
	char hdrs[64];
	if (ua->n_sess >= ua->conf.max_sessions) {
		reject_plain(st, 503, "Retry-After: 5\r\n");
		return;
	}
	if (!sess_checks_ok(ua, st, m, NULL) || sip_msg_cseq(m, &cs))
		return;
	if (!(s = sess_new(ua))) {
		reject_plain(st, 500, NULL);
		return;
	}
	s->incoming = true;
	s->proto = src->proto;
	s->inv_cseq = cs.num;
	if (sip_dialog_uas(&s->d, m, s->local_tag)) {
		reject_plain(st, 400, NULL); /* e.g. no Contact (§8.1.1.8) */
		sess_free(s);
		return;
	}
	if (!(s->call_id = strdup(s->d.call_id)) ||
	    ua_contact(ua, src->proto, src->remote.ss_family, s->contact,
		       sizeof(s->contact))) {
		reject_plain(st, 500, NULL);
		sess_free(s);
		return;
	}
	s->rel_ok =
	    ua->conf.prack && (ua_has_tag(m, SIP_HDR_SUPPORTED, "100rel") ||
			       ua_has_tag(m, SIP_HDR_REQUIRE, "100rel"));
	s->peer_update = ua_has_tag(m, SIP_HDR_ALLOW, "UPDATE");
	if (sess_se_from_request(s, m, true) == 422) {
		/* RFC 4028 §8.1 */
		snprintf(hdrs, sizeof(hdrs), "Min-SE: %u\r\n", s->min_se_s);
		reject_plain(st, 422, hdrs);
		sess_free(s);
		return;
	}
	s->inv_stx = st;
	sip_stx_set_user(st, stx_event, s);
	sip_stx_respond(st, 100, NULL, NULL, NULL, NULL, NULL, 0);
	ua_insert(ua, s);
	if (!ua->h.incoming) {
		sip_sess_end(s, 480, NULL);
		return;
	}
	ua->h.incoming(ua->arg, s, m, src);
}

void sess_cancelled(struct sip_sess *s, const struct sip_msg *cancel)
{
	if (!s->incoming || !s->inv_stx ||
	    (s->state != SESS_CALLING && s->state != SESS_EARLY))
		return;
	rel_drop(s);
	sess_respond(s, s->inv_stx, 487, 0, NULL, NULL, 0); /* §9.2 */
	sess_close(s, SIP_END_CANCEL, 487, cancel);
}

int sip_sess_progress(struct sip_sess *s, unsigned code, const char *extra_hdrs,
		      const char *sdp, size_t sdp_len)
{
	struct sess_prov *p, **q;
	int e;
	if (!s->incoming || code < 101 || code > 199)
		return -EINVAL;
	if (s->released || !s->inv_stx ||
	    (s->state != SESS_CALLING && s->state != SESS_EARLY))
		return -EALREADY;
	if (!s->rel_ok) {
		e = sess_respond(s, s->inv_stx, code,
				 H_RR | H_CONTACT | H_ALLOW, extra_hdrs, sdp,
				 sdp ? sdp_len : 0);
		if (e)
			return e;
		s->has_dialog = true; /* the early dialog (§12.1.1) */
		s->state = SESS_EARLY;
		if (sdp && sdp_len &&
		    sess_set_str(&s->local_sdp, sdp, sdp_len) == 0)
			s->local_sdp_len = sdp_len;
		return 0;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->code = code;
	if ((extra_hdrs &&
	     sess_set_str(&p->hdrs, extra_hdrs, strlen(extra_hdrs))) ||
	    (sdp && sdp_len && sess_set_str(&p->sdp, sdp, sdp_len))) {
		prov_free(p);
		return -ENOMEM;
	}
	p->sdp_len = p->sdp ? sdp_len : 0;
	for (q = &s->rel_queue; *q; q = &(*q)->next)
		;
	*q = p;
	/* RFC 3262 §3: one unacknowledged reliable 1xx at a time */
	return rel_next(s);
}

int sip_sess_answer(struct sip_sess *s, const char *extra_hdrs, const char *sdp,
		    size_t sdp_len)
{
	int e;
	if (!s->incoming)
		return -EINVAL;
	if (s->released || !s->inv_stx ||
	    (s->state != SESS_CALLING && s->state != SESS_EARLY))
		return -EALREADY;
	e = sess_respond(s, s->inv_stx, 200,
			 H_RR | H_CONTACT | H_ALLOW | H_SUPPORTED | H_SE_RESP,
			 extra_hdrs, sdp, sdp ? sdp_len : 0);
	if (e)
		return e;
	rel_drop(s);
	s->has_dialog = true;
	s->state = SESS_ANSWERED;
	if (sdp && sdp_len && sess_set_str(&s->local_sdp, sdp, sdp_len) == 0)
		s->local_sdp_len = sdp_len;
	sess_start_2xx_rtx(s, s->inv_stx, s->inv_cseq);
	sess_se_restart(s); /* RFC 4028 §9: runs from the 2xx */
	return 0;
}

/* ---- the call layer's calls ---- */

void sip_sess_set_handlers(struct sip_sess *s,
			   const struct sip_sess_handlers *h, void *arg)
{
	s->h = h;
	s->arg = arg;
}

int sip_sess_end(struct sip_sess *s, unsigned uas_code, const char *extra_hdrs)
{
	int e = 0;
	if (s->released)
		return -EALREADY;
	s->released = true;
	if (extra_hdrs &&
	    sess_set_str(&s->end_hdrs, extra_hdrs, strlen(extra_hdrs)))
		e = -ENOMEM;
	switch (s->state) {
	case SESS_CALLING:
	case SESS_EARLY:
		if (s->incoming) {
			if (uas_code < 300 || uas_code > 699) {
				uas_code = 500;
				e = -EINVAL;
			}
			rel_drop(s);
			if (s->inv_stx)
				sess_respond(s, s->inv_stx, uas_code, 0,
					     s->end_hdrs, NULL, 0);
			sess_destroy(s);
			return e;
		}
		/* §9.1; a 2xx that still comes is ACKed and BYEd */
		s->state = SESS_ENDING;
		if (!s->inv_ctx || sip_ctx_cancel(s->inv_ctx, s->end_hdrs)) {
			sess_destroy(s);
			return e;
		}
		loop_timer_start(s->ua->loop, &s->t_end, 64ull * t1_ms(s));
		return e;
	case SESS_ANSWERED:
		/* §15: no BYE before the ACK (or its timeout) */
		s->bye_after_ack = true;
		return e;
	case SESS_CONFIRMED:
		sess_send_bye(s, s->end_hdrs);
		return e;
	case SESS_ENDING:
		return e;
	}
	return e;
}

const char *sip_sess_call_id(const struct sip_sess *s)
{
	return s->call_id;
}

const char *sip_sess_local_tag(const struct sip_sess *s)
{
	return s->local_tag;
}

const char *sip_sess_remote_tag(const struct sip_sess *s)
{
	return s->has_dialog || s->incoming ? s->d.remote_tag : "";
}

bool sip_sess_incoming(const struct sip_sess *s)
{
	return s->incoming;
}
