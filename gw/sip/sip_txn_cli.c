/*
 * SIP client transactions (RFC 3261 §17.1, RFC 6026 §7.2): the INVITE
 * machine (Calling, Proceeding, Completed, Accepted; Timers A, B, D, M)
 * with the ACK for a non-2xx final (§17.1.1.3), the non-INVITE machine
 * (Trying, Proceeding, Completed; Timers E, F, K), response matching
 * (§17.1.3) and CANCEL (§9.1). Errors found while the TU is calling in
 * (a failed first send) reach it only after that call has returned.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_txn_int.h"

#define CTX_ABANDON_GUARD_MS 180000u /* §16.6 Timer C: > 3 min */

static void ctx_terminate(struct sip_ctx *ct, int err);

/* ---- matching (§17.1.3): branch of the top Via and CSeq method ---- */

static struct sip_ctx *ctx_find(struct sip_txn *t, struct pl branch,
				const struct sip_cseq *cs)
{
	uint32_t h = txn_hash(branch.p, branch.l, t->hseed);
	for (struct txn_hnode *hn = txn_htab_first(&t->ctx_branch, h); hn;
	     hn = hn->next) {
		struct sip_ctx *ct = hn->obj;
		if (hn->hash == h && pl_eq(ct->via.branch, branch) &&
		    ct->cseq.method == cs->method &&
		    (cs->method != SIP_METHOD_OTHER ||
		     pl_eq(ct->cseq.method_pl, cs->method_pl)))
			return ct;
	}
	return NULL;
}

/* ---- building ACK and CANCEL (§17.1.1.3, §9.1) ---- */

/* Appends "Name: value" (folds collapsed) and CRLF. */
static int put_hdr(char *buf, size_t cap, int n, const char *name,
		   struct pl val)
{
	if (n < 0)
		return n;
	n = sip_print_append(buf, cap, (size_t)n, "%s: ", name);
	if (n < 0)
		return n;
	size_t room = cap - (size_t)n;
	size_t w = sip_unfold(val, buf + n, room);
	if (w + 2 >= room)
		return -ENOSPC;
	n += (int)w;
	return sip_print_append(buf, cap, (size_t)n, "\r\n");
}

/*
 * A request of method `name` that copies the Request-URI, top Via,
 * Route, From, Call-ID and CSeq number of our request; To is `to` (the
 * response's for an ACK). Returns the length with *out malloc'd, or
 * -errno.
 */
static int ctx_build(const struct sip_ctx *ct, const char *name, struct pl to,
		     const char *extra, char **out)
{
	const struct sip_msg *r = &ct->msg;
	size_t cap = ct->req_len + to.l + (extra ? strlen(extra) : 0) + 256;
	char *buf = malloc(cap);
	struct pl v;
	struct sip_iter it = SIP_ITER_INIT;
	if (!buf)
		return -ENOMEM;
	int n = sip_print_append(buf, cap, 0, "%s %.*s SIP/2.0\r\n", name,
				 (int)r->ruri.l, r->ruri.p);
	n = put_hdr(buf, cap, n, "Via", ct->via.val);
	while (n >= 0 && sip_msg_next_value(r, SIP_HDR_ROUTE, &it, &v))
		n = put_hdr(buf, cap, n, "Route", v);
	if (n >= 0)
		n = sip_print_append(buf, cap, (size_t)n,
				     "Max-Forwards: 70\r\n");
	n = put_hdr(buf, cap, n, "From", sip_msg_hdr(r, SIP_HDR_FROM)->val);
	n = put_hdr(buf, cap, n, "To", to);
	n = put_hdr(buf, cap, n, "Call-ID",
		    sip_msg_hdr(r, SIP_HDR_CALL_ID)->val);
	if (n >= 0)
		n = sip_print_append(buf, cap, (size_t)n, "CSeq: %u %s\r\n",
				     (unsigned)ct->cseq.num, name);
	if (n >= 0 && extra && *extra)
		n = sip_print_append(buf, cap, (size_t)n, "%s", extra);
	if (n >= 0)
		n = sip_print_end(buf, cap, (size_t)n, NULL, 0);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return n;
}

/* ---- sending and delivering ---- */

static int ctx_send_buf(struct sip_ctx *ct, const char *buf, size_t len)
{
	struct sip_txn *t = ct->t;
	return t->io.send(t->io.arg, &ct->to, buf, len);
}

/* A response to the TU, unless it has gone. final: the TU is done after. */
static void ctx_deliver(struct sip_ctx *ct, const struct sip_msg *m, bool final)
{
	if (ct->fn && !ct->tu_done)
		ct->fn(ct->arg, ct, m, 0);
	if (final)
		ct->tu_done = true;
}

/* ---- timers ---- */

/* Timer A (§17.1.1.2: doubling) and E (§17.1.2.2: doubling up to T2, T2
 * in Proceeding). */
static void ctx_timer_retx(struct loop_timer *tm)
{
	struct sip_ctx *ct = tm->arg;
	struct sip_txn *t = ct->t;
	if (ct->state != CTX_CALLING && ct->state != CTX_PROCEEDING)
		return;
	if (ct->invite)
		ct->retx_ms *= 2;
	else if (ct->state == CTX_PROCEEDING)
		ct->retx_ms = t->t2_ms;
	else
		ct->retx_ms =
		    ct->retx_ms * 2 < t->t2_ms ? ct->retx_ms * 2 : t->t2_ms;
	loop_timer_start(t->loop, &ct->tm_retx, ct->retx_ms);
	if (ctx_send_buf(ct, ct->req, ct->req_len) < 0)
		ctx_terminate(ct, -EIO);
}

/* Timers B and F (timeout), D, K and M (end of a state), and the guards
 * of a cancelled or abandoned INVITE. */
static void ctx_timer_end(struct loop_timer *tm)
{
	struct sip_ctx *ct = tm->arg;
	if (ct->state == CTX_CALLING || ct->state == CTX_PROCEEDING)
		ctx_terminate(ct, -ETIMEDOUT);
	else
		ctx_terminate(ct, 0);
}

/* ---- life cycle ---- */

/* Frees the memory of ct (already out of the index and the list). */
void ctx_destroy(struct sip_ctx *ct)
{
	loop_timer_stop(ct->t->loop, &ct->tm_retx);
	loop_timer_stop(ct->t->loop, &ct->tm_end);
	loop_defer_cancel(ct->t->loop, &ct->d_end);
	free(ct->req);
	free(ct->ack);
	free(ct->cancel_hdrs);
	free(ct);
}

/* Deferred end: the error to the TU, then free once the TU is done. */
static void ctx_end_cb(struct loop_defer *d)
{
	struct sip_ctx *ct = d->arg;
	int err = ct->err;
	ct->err = 0;
	if (err && ct->fn && !ct->tu_done) {
		ct->tu_done = true;
		ct->fn(ct->arg, ct, NULL, err);
	}
	if (ct->tu_done) {
		txn_link_del(&ct->all);
		ctx_destroy(ct);
	}
}

/*
 * Leaves the index at once; err (if any) reaches the TU after this
 * round. A 2xx-accepted INVITE whose TU still listens stays allocated
 * until sip_ctx_abandon().
 */
static void ctx_terminate(struct sip_ctx *ct, int err)
{
	struct sip_txn *t = ct->t;
	if (ct->state == CTX_TERMINATED)
		return;
	ct->state = CTX_TERMINATED;
	ct->err = err;
	loop_timer_stop(t->loop, &ct->tm_retx);
	loop_timer_stop(t->loop, &ct->tm_end);
	txn_htab_del(&t->ctx_branch, &ct->hn);
	t->live--;
	loop_defer(t->loop, &ct->d_end, ctx_end_cb, ct);
}

/*
 * Starts a client transaction for the request in buf (malloc'd; owned by
 * the transaction from here on, also on failure). Returns 0 or -errno.
 */
static int ctx_start(struct sip_txn *t, struct sip_ctx **ctp,
		     const struct sip_peer *to, char *buf, size_t len,
		     sip_ctx_fn *fn, void *arg)
{
	size_t used;
	struct sip_ctx *ct = calloc(1, sizeof(*ct));
	if (!ct) {
		free(buf);
		return -ENOMEM;
	}
	ct->req = buf;
	ct->req_len = len;
	if (sip_msg_parse_lim(&ct->msg, &txn_copy_limits, buf, len, false,
			      &used) != 0 ||
	    !ct->msg.request || ct->msg.method == SIP_METHOD_ACK ||
	    sip_msg_via(&ct->msg, &ct->via) != 0 ||
	    sip_msg_cseq(&ct->msg, &ct->cseq) != 0 ||
	    ct->cseq.method != ct->msg.method ||
	    !sip_msg_hdr(&ct->msg, SIP_HDR_FROM) ||
	    !sip_msg_hdr(&ct->msg, SIP_HDR_TO) ||
	    !sip_msg_hdr(&ct->msg, SIP_HDR_CALL_ID) ||
	    ct->via.branch.l <= strlen(SIP_TXN_MAGIC) ||
	    memcmp(ct->via.branch.p, SIP_TXN_MAGIC, strlen(SIP_TXN_MAGIC))) {
		free(buf);
		free(ct);
		return -EINVAL;
	}
	if (ctx_find(t, ct->via.branch, &ct->cseq)) {
		free(buf);
		free(ct);
		return -EEXIST;
	}
	ct->t = t;
	ct->invite = ct->msg.method == SIP_METHOD_INVITE;
	ct->to = *to;
	ct->reliable = sip_proto_reliable(to->proto);
	ct->fn = fn;
	ct->arg = arg;
	ct->tu_done = fn == NULL;
	loop_timer_init(&ct->tm_retx, ctx_timer_retx, ct);
	loop_timer_init(&ct->tm_end, ctx_timer_end, ct);
	txn_htab_add(&t->ctx_branch, &ct->hn,
		     txn_hash(ct->via.branch.p, ct->via.branch.l, t->hseed),
		     ct);
	txn_link_add(t, &ct->all);
	t->live++;
	ct->state = CTX_CALLING;
	/* §17.1.1.2 Timers A and B; §17.1.2.2 Timers E and F */
	ct->retx_ms = t->t1_ms;
	if (!ct->reliable)
		loop_timer_start(t->loop, &ct->tm_retx, ct->retx_ms);
	loop_timer_start(t->loop, &ct->tm_end, 64u * t->t1_ms);
	if (ctx_send_buf(ct, ct->req, ct->req_len) < 0)
		ctx_terminate(ct, -EIO); /* reported after we return */
	if (ctp)
		*ctp = ct;
	return 0;
}

int sip_ctx_send(struct sip_txn *t, struct sip_ctx **ctp,
		 const struct sip_peer *to, const char *req, size_t len,
		 sip_ctx_fn *fn, void *arg)
{
	if (!t || !to || !req || !len)
		return -EINVAL;
	if (t->live >= t->max_txns)
		return -EAGAIN;
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, req, len);
	buf[len] = '\0';
	return ctx_start(t, ctp, to, buf, len, fn, arg);
}

/* §9.1: the CANCEL as a non-INVITE client transaction of its own whose
 * responses nobody hears; a final response to the INVITE is then
 * awaited for 64*T1 at most. */
static int ctx_send_cancel(struct sip_ctx *ct)
{
	struct sip_txn *t = ct->t;
	char *buf;
	int n = ctx_build(ct, "CANCEL", sip_msg_hdr(&ct->msg, SIP_HDR_TO)->val,
			  ct->cancel_hdrs, &buf);
	if (n < 0)
		return n;
	int r = ctx_start(t, NULL, &ct->to, buf, (size_t)n, NULL, NULL);
	if (r < 0)
		return r;
	ct->cancel_sent = true;
	loop_timer_start(t->loop, &ct->tm_end, 64u * t->t1_ms);
	return 0;
}

int sip_ctx_cancel(struct sip_ctx *ct, const char *extra_hdrs)
{
	if (!ct || !ct->invite)
		return -EINVAL;
	if (ct->cancel_wanted ||
	    (ct->state != CTX_CALLING && ct->state != CTX_PROCEEDING))
		return -EALREADY;
	if (extra_hdrs && *extra_hdrs) {
		ct->cancel_hdrs = strdup(extra_hdrs);
		if (!ct->cancel_hdrs)
			return -ENOMEM;
	}
	ct->cancel_wanted = true;
	if (!ct->got_1xx)
		return 0; /* §9.1: not before a provisional response */
	int r = ctx_send_cancel(ct);
	if (r < 0) {
		ct->cancel_wanted = false;
		free(ct->cancel_hdrs);
		ct->cancel_hdrs = NULL;
	}
	return r;
}

void sip_ctx_abandon(struct sip_ctx *ct)
{
	if (!ct)
		return;
	ct->fn = NULL;
	ct->tu_done = true;
	if (ct->state == CTX_TERMINATED) {
		loop_defer(ct->t->loop, &ct->d_end, ctx_end_cb, ct);
		return;
	}
	/* An INVITE in Proceeding has no timer of its own (§17.1.1.2). */
	if (ct->state == CTX_PROCEEDING && !loop_timer_armed(&ct->tm_end))
		loop_timer_start(ct->t->loop, &ct->tm_end,
				 CTX_ABANDON_GUARD_MS);
}

const struct sip_msg *sip_ctx_msg(const struct sip_ctx *ct)
{
	return &ct->msg;
}

const struct sip_peer *sip_ctx_peer(const struct sip_ctx *ct)
{
	return &ct->to;
}

/* ---- responses ---- */

/* A non-2xx final to an INVITE (§17.1.1.2): ACK it, Completed, Timer D. */
static void ctx_inv_reject(struct sip_ctx *ct, const struct sip_msg *m)
{
	struct sip_txn *t = ct->t;
	const struct sip_hdr *to = sip_msg_hdr(m, SIP_HDR_TO);
	char *ack;
	int n = ctx_build(ct, "ACK", to ? to->val : PL(""), NULL, &ack);
	ct->state = CTX_COMPLETED;
	loop_timer_stop(t->loop, &ct->tm_retx);
	loop_timer_stop(t->loop, &ct->tm_end);
	if (n >= 0) {
		ct->ack = ack;
		ct->ack_len = (size_t)n;
	}
	bool sent = n >= 0 && ctx_send_buf(ct, ct->ack, ct->ack_len) >= 0;
	ctx_deliver(ct, m, true);
	if (!sent || ct->reliable)
		ctx_terminate(ct, 0);
	else if (ct->state == CTX_COMPLETED)
		loop_timer_start(t->loop, &ct->tm_end, SIP_TXN_TIMER_D_MS);
}

static void ctx_inv_response(struct sip_ctx *ct, const struct sip_msg *m)
{
	struct sip_txn *t = ct->t;
	unsigned code = m->status;
	switch (ct->state) {
	case CTX_CALLING:
	case CTX_PROCEEDING:
		if (code < 200) {
			if (ct->state == CTX_CALLING) {
				/* Timers A and B end in Proceeding */
				loop_timer_stop(t->loop, &ct->tm_retx);
				loop_timer_stop(t->loop, &ct->tm_end);
			}
			ct->state = CTX_PROCEEDING;
			if (!ct->got_1xx && ct->cancel_wanted &&
			    !ct->cancel_sent)
				ctx_send_cancel(ct);
			ct->got_1xx = true;
			ctx_deliver(ct, m, false);
			return;
		}
		if (code < 300) {
			/* RFC 6026 §7.2: Accepted, Timer M */
			ct->state = CTX_ACCEPTED;
			loop_timer_stop(t->loop, &ct->tm_retx);
			loop_timer_start(t->loop, &ct->tm_end, 64u * t->t1_ms);
			ctx_deliver(ct, m, false);
			return;
		}
		ctx_inv_reject(ct, m);
		return;
	case CTX_COMPLETED:
		/* §17.1.1.2: a retransmitted final gets the ACK again */
		if (code >= 300 && ct->ack &&
		    ctx_send_buf(ct, ct->ack, ct->ack_len) < 0)
			ctx_terminate(ct, 0);
		return;
	case CTX_ACCEPTED:
		/* RFC 6026 §7.2: every 2xx to the TU */
		if (code >= 200 && code < 300)
			ctx_deliver(ct, m, false);
		return;
	case CTX_TERMINATED:
		return;
	}
}

static void ctx_nict_response(struct sip_ctx *ct, const struct sip_msg *m)
{
	struct sip_txn *t = ct->t;
	if (ct->state != CTX_CALLING && ct->state != CTX_PROCEEDING)
		return; /* Completed absorbs retransmissions */
	if (m->status < 200) {
		ct->state = CTX_PROCEEDING;
		ctx_deliver(ct, m, false);
		return;
	}
	/* §17.1.2.2: Completed, Timer K */
	ct->state = CTX_COMPLETED;
	loop_timer_stop(t->loop, &ct->tm_retx);
	loop_timer_stop(t->loop, &ct->tm_end);
	ctx_deliver(ct, m, true);
	if (ct->state != CTX_COMPLETED)
		return;
	if (ct->reliable)
		ctx_terminate(ct, 0);
	else
		loop_timer_start(t->loop, &ct->tm_end, t->t4_ms);
}

/* A response from the transport: to its client transaction, else to the
 * TU as stray (§17.1.3). */
void ctx_recv_response(struct sip_txn *t, const struct sip_msg *m,
		       const struct sip_peer *src)
{
	struct sip_via v;
	struct sip_cseq cs;
	struct sip_ctx *ct = NULL;
	if (sip_msg_via(m, &v) == 0 && sip_msg_cseq(m, &cs) == 0)
		ct = ctx_find(t, v.branch, &cs);
	if (!ct) {
		if (t->h.stray_response)
			t->h.stray_response(t->arg, m, src);
		return;
	}
	if (ct->invite)
		ctx_inv_response(ct, m);
	else
		ctx_nict_response(ct, m);
}

/* Whether a request sent to `to` went over the connection in `peer`. */
static bool ctx_used_conn(const struct sip_ctx *ct, const struct sip_peer *peer)
{
	const struct sip_peer *to = &ct->to;
	if (to->proto != peer->proto)
		return false;
	if (to->conn_id && peer->conn_id)
		return to->conn_id == peer->conn_id;
	if (to->remote.ss_family != peer->remote.ss_family)
		return false;
	size_t n = to->remote.ss_family == AF_INET6
		       ? sizeof(struct sockaddr_in6)
		       : sizeof(struct sockaddr_in);
	return memcmp(&to->remote, &peer->remote, n) == 0;
}

void sip_txn_tp_failed(struct sip_txn *t, const struct sip_peer *peer)
{
	for (struct txn_link *l = t->all.next; l != &t->all; l = l->next) {
		if (l->server)
			continue;
		struct sip_ctx *ct =
		    (struct sip_ctx *)(void *)((char *)l -
					       offsetof(struct sip_ctx, all));
		if ((ct->state == CTX_CALLING || ct->state == CTX_PROCEEDING) &&
		    ctx_used_conn(ct, peer))
			ctx_terminate(ct, -EIO); /* §8.1.3.1: act as a 503 */
	}
}
