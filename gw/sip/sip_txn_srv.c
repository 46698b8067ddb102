/*
 * SIP server transactions (RFC 3261 §17.2, RFC 6026 §7.1 / §8.7): the
 * INVITE machine (Proceeding, Completed, Confirmed, Accepted, Terminated;
 * Timers G, H, I, L and the 200 ms 100 Trying of §17.2.1) and the
 * non-INVITE machine (Trying, Proceeding, Completed; Timer J), request
 * matching (§17.2.3 with the RFC 2543 fallback), merged requests
 * (§8.2.2.2) and CANCEL (§9.2). TU events are raised from received
 * messages and timers only; terminations are delivered deferred.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_txn_int.h"

#define STX_TRYING_MS 200u /* §17.2.1: 100 unless the TU answers first */

static void stx_terminate(struct sip_stx *st);

/* ---- matching (§17.2.3) ---- */

/* Method rule: ACK matches INVITE; for a CANCEL looking for its target
 * (§9.2) any method but CANCEL (and ACK, which makes no transaction). */
static bool stx_method_ok(const struct sip_stx *st, const struct sip_msg *m,
			  bool for_cancel)
{
	if (for_cancel)
		return st->msg.method != SIP_METHOD_CANCEL;
	if (m->method == SIP_METHOD_ACK)
		return st->invite;
	return txn_method_eq(&st->msg, m);
}

static bool stx_branch_eq(const struct sip_stx *st, const struct txn_keys *k)
{
	return pl_eq(st->k.via.branch, k->via.branch) &&
	       pl_caseeq(st->k.via.host, k->via.host) &&
	       st->k.via.port == k->via.port;
}

/* RFC 3261 §17.2.3 for requests from RFC 2543 elements. */
static bool stx_2543_eq(const struct sip_stx *st, const struct sip_msg *m,
			const struct txn_keys *k, bool for_cancel)
{
	if (!pl_eq(st->msg.ruri, m->ruri) ||
	    !pl_eq(st->k.from_tag, k->from_tag) ||
	    !pl_eq(st->k.callid, k->callid) || st->k.cseq.num != k->cseq.num ||
	    !pl_eq(st->k.via.val, k->via.val))
		return false;
	if (!stx_method_ok(st, m, for_cancel))
		return false;
	if (m->method == SIP_METHOD_ACK && !for_cancel)
		/* the ACK carries the To tag of our response */
		return st->to_tag[0] ? pl_eq_str(k->to_tag, st->to_tag)
				     : !pl_isset(k->to_tag);
	return pl_eq(st->k.to_tag, k->to_tag);
}

/*
 * The server transaction request m (with keys k) belongs to, or NULL.
 * for_cancel: m is a CANCEL looking for the transaction it cancels.
 */
struct sip_stx *stx_match(struct sip_txn *t, const struct sip_msg *m,
			  const struct txn_keys *k, bool for_cancel)
{
	struct txn_hnode *hn;
	uint32_t h;
	if (k->rfc3261) {
		h = txn_branch_hash(t, &k->via);
		for (hn = txn_htab_first(&t->stx_branch, h); hn;
		     hn = hn->next) {
			struct sip_stx *st = hn->obj;
			if (hn->hash == h && stx_branch_eq(st, k) &&
			    stx_method_ok(st, m, for_cancel))
				return st;
		}
		return NULL;
	}
	h = txn_dlg_hash(t, k->callid, k->cseq.num);
	for (hn = txn_htab_first(&t->stx_dlg, h); hn; hn = hn->next) {
		struct sip_stx *st = hn->obj;
		if (hn->hash == h && !st->k.rfc3261 &&
		    stx_2543_eq(st, m, k, for_cancel))
			return st;
	}
	return NULL;
}

/*
 * §8.2.2.2: m (no To tag, matching no transaction) has the From tag,
 * Call-ID and CSeq of a live server transaction: it reached us twice
 * through a fork. Requests without a From tag (RFC 2543) are not judged.
 */
bool stx_merged(struct sip_txn *t, const struct sip_msg *m,
		const struct txn_keys *k)
{
	if (!pl_isset(k->from_tag))
		return false;
	uint32_t h = txn_dlg_hash(t, k->callid, k->cseq.num);
	for (struct txn_hnode *hn = txn_htab_first(&t->stx_dlg, h); hn;
	     hn = hn->next) {
		struct sip_stx *st = hn->obj;
		if (hn->hash == h && st->k.cseq.num == k->cseq.num &&
		    pl_eq(st->k.from_tag, k->from_tag) &&
		    pl_eq(st->k.callid, k->callid) &&
		    txn_method_eq(&st->msg, m))
			return true;
	}
	return false;
}

/* ---- sending ---- */

/* Sends the stored response; a failure ends the transaction (§17.2.4). */
static void stx_send(struct sip_stx *st)
{
	struct sip_txn *t = st->t;
	if (t->io.send_response(t->io.arg, &st->k.via, &st->src, st->resp,
				st->resp_len) < 0) {
		st->tp_error = true;
		stx_terminate(st);
	}
}

/* Prints and stores a response as the one retransmissions get. */
static int stx_store(struct sip_stx *st, unsigned code, const char *reason,
		     const char *to_tag, const char *hdrs, const char *ctype,
		     const void *body, size_t body_len)
{
	char *buf;
	int n = txn_print_response(&buf, &st->msg, code, reason, to_tag,
				   st->received[0] ? st->received : NULL,
				   st->rport, hdrs, ctype, body, body_len);
	if (n < 0)
		return n;
	free(st->resp);
	st->resp = buf;
	st->resp_len = (size_t)n;
	st->resp_code = code;
	if (pl_isset(st->k.to_tag))
		pl_strcpy(st->k.to_tag, st->to_tag, sizeof(st->to_tag));
	else if (to_tag && strlen(to_tag) < sizeof(st->to_tag))
		strcpy(st->to_tag, to_tag);
	return 0;
}

/* ---- timers ---- */

/* §17.2.1: 100 Trying from the layer when the TU is slow (or the INVITE
 * is retransmitted before any response). */
static void stx_send_trying(struct sip_stx *st)
{
	loop_timer_stop(st->t->loop, &st->tm_retx);
	if (stx_store(st, 100, NULL, NULL, NULL, NULL, NULL, 0) == 0)
		stx_send(st);
}

static void stx_trying_cb(struct loop_timer *tm)
{
	struct sip_stx *st = tm->arg;
	if (st->state == STX_PROCEEDING && !st->resp)
		stx_send_trying(st);
}

/* Timer G (§17.2.1): the non-2xx final again, T1 doubling up to T2. */
static void stx_timer_g(struct loop_timer *tm)
{
	struct sip_stx *st = tm->arg;
	struct sip_txn *t = st->t;
	if (st->state != STX_COMPLETED)
		return;
	st->g_ms = st->g_ms * 2 < t->t2_ms ? st->g_ms * 2 : t->t2_ms;
	loop_timer_start(t->loop, &st->tm_retx, st->g_ms);
	stx_send(st);
}

/* Timers H, I, J and L: the end of a state. */
static void stx_timer_end(struct loop_timer *tm)
{
	struct sip_stx *st = tm->arg;
	if (st->state == STX_COMPLETED && st->invite) {
		/* Timer H: the ACK never came (§17.2.1) */
		if (st->fn && !st->layer_only)
			st->fn(st->user, st, SIP_STX_TIMEOUT);
	}
	stx_terminate(st);
}

/* ---- life cycle ---- */

/* Frees the memory of st (already out of the indexes and the list). */
void stx_destroy(struct sip_stx *st)
{
	loop_timer_stop(st->t->loop, &st->tm_retx);
	loop_timer_stop(st->t->loop, &st->tm_end);
	loop_defer_cancel(st->t->loop, &st->d_end);
	free(st->req);
	free(st->resp);
	free(st);
}

/* Deferred end: TP_ERROR and TERMINATED to the TU, then free. */
static void stx_end_cb(struct loop_defer *d)
{
	struct sip_stx *st = d->arg;
	if (st->tp_error && st->fn && !st->layer_only)
		st->fn(st->user, st, SIP_STX_TP_ERROR);
	if (st->fn && !st->layer_only)
		st->fn(st->user, st, SIP_STX_TERMINATED);
	txn_link_del(&st->all);
	stx_destroy(st);
}

/* Leaves the indexes at once; the TU hears of it after this round. */
static void stx_terminate(struct sip_stx *st)
{
	struct sip_txn *t = st->t;
	if (st->state == STX_TERMINATED)
		return;
	st->state = STX_TERMINATED;
	loop_timer_stop(t->loop, &st->tm_retx);
	loop_timer_stop(t->loop, &st->tm_end);
	txn_htab_del(&t->stx_branch, &st->hn_branch);
	txn_htab_del(&t->stx_dlg, &st->hn_dlg);
	t->live--;
	loop_defer(t->loop, &st->d_end, stx_end_cb, st);
}

/*
 * Creates the server transaction for request m with a private copy of it.
 * Returns 0 with *stp set, or -errno.
 */
int stx_create(struct sip_txn *t, const struct sip_msg *m,
	       const struct sip_peer *src, struct sip_stx **stp)
{
	size_t used;
	struct sip_stx *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->req = malloc(m->len + 1);
	if (!st->req) {
		free(st);
		return -ENOMEM;
	}
	memcpy(st->req, m->buf, m->len);
	st->req[m->len] = '\0';
	if (sip_msg_parse_lim(&st->msg, &txn_copy_limits, st->req, m->len,
			      false, &used) != 0 ||
	    txn_keys_get(&st->msg, &st->k) != 0) {
		free(st->req);
		free(st);
		return -EBADMSG;
	}
	st->t = t;
	st->all.server = true;
	st->invite = m->method == SIP_METHOD_INVITE;
	st->src = *src;
	st->reliable = sip_proto_reliable(src->proto);
	txn_received(&st->k.via, src, st->received, sizeof(st->received),
		     &st->rport);
	loop_timer_init(&st->tm_retx, stx_trying_cb, st);
	loop_timer_init(&st->tm_end, stx_timer_end, st);
	if (st->k.rfc3261)
		txn_htab_add(&t->stx_branch, &st->hn_branch,
			     txn_branch_hash(t, &st->k.via), st);
	txn_htab_add(&t->stx_dlg, &st->hn_dlg,
		     txn_dlg_hash(t, st->k.callid, st->k.cseq.num), st);
	txn_link_add(t, &st->all);
	t->live++;
	/* §17.2.1: an INVITE server transaction starts in Proceeding */
	st->state = st->invite ? STX_PROCEEDING : STX_TRYING;
	if (st->invite)
		loop_timer_start(t->loop, &st->tm_retx, STX_TRYING_MS);
	*stp = st;
	return 0;
}

/*
 * A retransmission of the request (§17.2.1, §17.2.2): the last response
 * again; absorbed in Trying, Confirmed and Accepted (RFC 6026 §7.1).
 */
void stx_retransmission(struct sip_stx *st)
{
	switch (st->state) {
	case STX_TRYING:
		return;
	case STX_PROCEEDING:
		if (st->resp)
			stx_send(st);
		else if (st->invite)
			stx_send_trying(st);
		return;
	case STX_COMPLETED:
		stx_send(st);
		return;
	case STX_CONFIRMED:
	case STX_ACCEPTED:
	case STX_TERMINATED:
		return;
	}
}

/* ACK for our non-2xx final (§17.2.1): Confirmed, then Timer I. */
void stx_ack(struct sip_stx *st, const struct sip_msg *m,
	     const struct sip_peer *src)
{
	struct sip_txn *t = st->t;
	(void)m;
	(void)src;
	if (st->state != STX_COMPLETED)
		return; /* Confirmed absorbs; before a final it means nothing */
	st->state = STX_CONFIRMED;
	loop_timer_stop(t->loop, &st->tm_retx);
	loop_timer_stop(t->loop, &st->tm_end);
	if (st->fn && !st->layer_only)
		st->fn(st->user, st, SIP_STX_ACKED);
	if (st->state != STX_CONFIRMED)
		return;
	if (st->reliable)
		stx_terminate(st); /* Timer I = 0 */
	else
		loop_timer_start(t->loop, &st->tm_end, t->t4_ms);
}

/* State changes after a response was stored; then it goes out. */
static void stx_sent(struct sip_stx *st, unsigned code)
{
	struct sip_txn *t = st->t;
	loop_timer_stop(t->loop, &st->tm_retx); /* the 100 Trying timer */
	if (code < 200) {
		st->state = STX_PROCEEDING;
		stx_send(st);
		return;
	}
	if (st->invite && code < 300) {
		/* RFC 6026 §7.1: Accepted, Timer L */
		st->state = STX_ACCEPTED;
		loop_timer_start(t->loop, &st->tm_end, 64u * t->t1_ms);
		stx_send(st);
		return;
	}
	st->state = STX_COMPLETED;
	if (st->invite) {
		/* §17.2.1: Timer G on unreliable transports, Timer H */
		st->g_ms = t->t1_ms;
		loop_timer_init(&st->tm_retx, stx_timer_g, st);
		if (!st->reliable)
			loop_timer_start(t->loop, &st->tm_retx, st->g_ms);
		loop_timer_start(t->loop, &st->tm_end, 64u * t->t1_ms);
		stx_send(st);
		return;
	}
	stx_send(st);
	/* §17.2.2: Timer J, 64*T1 on unreliable transports, else 0 */
	if (st->state != STX_COMPLETED)
		return;
	if (st->reliable)
		stx_terminate(st);
	else
		loop_timer_start(t->loop, &st->tm_end, 64u * t->t1_ms);
}

int sip_stx_respond(struct sip_stx *st, unsigned code, const char *reason,
		    const char *to_tag, const char *extra_hdrs,
		    const char *ctype, const void *body, size_t body_len)
{
	if (!st || code < 100 || code > 699 || (body_len && (!ctype || !body)))
		return -EINVAL;
	if (st->state == STX_TERMINATED || st->resp_code >= 200)
		return -EALREADY;
	int r = stx_store(st, code, reason, to_tag, extra_hdrs, ctype, body,
			  body_len);
	if (r < 0)
		return r;
	stx_sent(st, code);
	return 0;
}

int sip_stx_resend_2xx(struct sip_stx *st)
{
	struct sip_txn *t;
	if (!st || st->state != STX_ACCEPTED)
		return -EINVAL;
	t = st->t;
	int r = t->io.send_response(t->io.arg, &st->k.via, &st->src, st->resp,
				    st->resp_len);
	return r < 0 ? r : 0;
}

/*
 * CANCEL matching no transaction of its own (§9.2): 481 if it matches no
 * request either; else a CANCEL server transaction answered 200 by the
 * layer (with the To tag of our responses to the request), and the TU is
 * told when the request is an INVITE without a final response yet.
 */
void stx_cancel(struct sip_txn *t, const struct sip_msg *m,
		const struct txn_keys *k, const struct sip_peer *src)
{
	struct sip_stx *target = stx_match(t, m, k, true), *st;
	char tag[SIP_TXN_TAG_CAP];
	if (!target) {
		txn_respond_stateless(t, m, &k->via, src, 481, NULL, NULL);
		return;
	}
	if (stx_create(t, m, src, &st) != 0) {
		txn_respond_stateless(t, m, &k->via, src, 503, NULL, NULL);
		return;
	}
	st->layer_only = true;
	if (target->to_tag[0])
		strcpy(tag, target->to_tag);
	else
		txn_stateless_tag(t, m, tag, sizeof(tag));
	if (sip_stx_respond(st, 200, NULL, tag, NULL, NULL, NULL, 0) != 0)
		stx_terminate(st);
	if (target->invite && target->resp_code < 200 &&
	    target->state != STX_TERMINATED && t->h.cancel)
		t->h.cancel(t->arg, target, m);
}

void sip_stx_set_user(struct sip_stx *st, sip_stx_fn *fn, void *user)
{
	st->fn = fn;
	st->user = user;
}

const struct sip_msg *sip_stx_msg(const struct sip_stx *st)
{
	return &st->msg;
}

const struct sip_peer *sip_stx_peer(const struct sip_stx *st)
{
	return &st->src;
}

bool sip_stx_final_sent(const struct sip_stx *st)
{
	return st->resp_code >= 200;
}
