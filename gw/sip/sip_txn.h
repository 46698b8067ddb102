/*
 * SIP transactions (RFC 3261 §17, with RFC 6026's Accepted states): INVITE
 * and non-INVITE client and server transactions with timers A-K, L and M
 * on the loop's clock (virtual in unit tests), retransmission absorption,
 * the ACK for a non-2xx final response, CANCEL matching (§9.2) and merged
 * request detection (§8.2.2.2).
 *
 * The layer sends through a struct sip_txn_io (the transport in gwd, a
 * recorder in tests) and is fed every received message with
 * sip_txn_recv(). Messages that start no transaction of their own (ACK
 * for a 2xx) and responses matching no client transaction (2xx
 * retransmissions after the transaction is gone) go to the TU as is.
 *
 * Ownership: the layer owns its transactions. A TU that keeps a pointer
 * to one learns of its end through the `terminated` event and must drop
 * it then; sip_ctx_abandon() stops callbacks for a TU that goes away.
 */
#ifndef GW_SIP_TXN_H
#define GW_SIP_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sip/sip_msg.h"
#include "sip/sip_tp.h"

struct sip_txn; /* the layer */
struct sip_stx; /* a server transaction */
struct sip_ctx; /* a client transaction */

struct sip_txn_conf {
	unsigned t1_ms; /* RTT estimate; 0: 500 (§17.1.1.1) */
	unsigned t2_ms; /* max non-INVITE retransmit interval; 0: 4000 */
	unsigned t4_ms; /* max time a message stays in the network; 0: 5000 */
	unsigned max_txns; /* 0: 65536; beyond: new requests get 503 */
};

/* How the layer puts messages on the wire (sip_tp in gwd). */
struct sip_txn_io {
	/* Sends a request (or ACK/CANCEL) to `to`; may update to->conn_id. */
	int (*send)(void *arg, struct sip_peer *to, const void *buf,
		    size_t len);
	/* Sends a response routed per RFC 3261 §18.2.2. */
	int (*send_response)(void *arg, const struct sip_via *top,
			     const struct sip_peer *src, const void *buf,
			     size_t len);
	void *arg;
};

struct sip_txn_handlers {
	/*
	 * A request that starts a server transaction (st set; the TU must
	 * answer it with sip_stx_respond, at once or later), or an ACK for a
	 * 2xx / an ACK matching nothing (st NULL; never answered). m and src
	 * are valid during the call only; sip_stx_msg() keeps a copy.
	 */
	void (*request)(void *arg, struct sip_stx *st, const struct sip_msg *m,
			const struct sip_peer *src);
	/*
	 * A CANCEL matched INVITE server transaction `invite` that has sent
	 * no final response: the layer has already answered the CANCEL with
	 * 200; the TU should answer the INVITE with 487 (§9.2). CANCELs that
	 * match nothing get 481 from the layer and do not come here.
	 */
	void (*cancel)(void *arg, struct sip_stx *invite,
		       const struct sip_msg *cancel);
	/* A response that matches no client transaction (e.g. a 2xx
	 * retransmission to an INVITE whose transaction has ended). */
	void (*stray_response)(void *arg, const struct sip_msg *m,
			       const struct sip_peer *src);
};

/* Creates the layer. Returns 0 or -errno; *tp set on success. */
int sip_txn_new(struct sip_txn **tp, struct loop *loop,
		const struct sip_txn_conf *conf, const struct sip_txn_io *io,
		const struct sip_txn_handlers *h, void *arg);
/* Frees every transaction silently (no callbacks). NULL is a no-op. */
void sip_txn_free(struct sip_txn *t);

/*
 * Feeds one received message (from the transport's recv callback). A
 * request with m->err_status set (and hdrs_ok) is answered with that
 * status by the layer, except ACK. Matching per §17.1.3 / §17.2.3 (branch
 * with the magic cookie; RFC 2543 matching otherwise); a retransmitted
 * request gets the last response again; an ACK for a non-2xx ends Timer G
 * and starts Timer I. A new request with no To tag whose From tag,
 * Call-ID and CSeq equal a live server transaction's but whose branch
 * differs gets 482 (merged request, §8.2.2.2).
 */
void sip_txn_recv(struct sip_txn *t, const struct sip_msg *m,
		  const struct sip_peer *src);

/*
 * The transport could not deliver to `peer` (a stream connection failed
 * before it was established): every pending client transaction sent
 * that way ends with -EIO, reported after this call returns (RFC 3261
 * §8.1.3.1, §18.4: a transport error counts as a 503).
 */
void sip_txn_tp_failed(struct sip_txn *t, const struct sip_peer *peer);

/* A new branch "z9hG4bK" + 22 random characters. Returns buf. */
const char *sip_txn_branch(struct sip_txn *t, char *buf, size_t cap);

/* Effective timer values (for the TU's 2xx retransmission and timeouts). */
unsigned sip_txn_t1_ms(const struct sip_txn *t);
unsigned sip_txn_t2_ms(const struct sip_txn *t);

/* Live transactions (tests, metrics). */
unsigned sip_txn_count(const struct sip_txn *t);

/* ---- server transactions (§17.2) ---- */

enum sip_stx_event {
	SIP_STX_ACKED,	    /* ACK for our non-2xx final response arrived */
	SIP_STX_TIMEOUT,    /* Timer H: no ACK for our non-2xx final */
	SIP_STX_TP_ERROR,   /* a response could not be sent (§17.2.4) */
	SIP_STX_TERMINATED, /* freed after the callback returns */
};

/* Per-transaction TU callback, set with sip_stx_set_user. */
typedef void sip_stx_fn(void *user, struct sip_stx *st, enum sip_stx_event);

void sip_stx_set_user(struct sip_stx *st, sip_stx_fn *fn, void *user);

/* The request as received (a copy owned by the transaction). */
const struct sip_msg *sip_stx_msg(const struct sip_stx *st);
const struct sip_peer *sip_stx_peer(const struct sip_stx *st);
/* Whether a final response has been sent. */
bool sip_stx_final_sent(const struct sip_stx *st);

/*
 * Sends a response (§8.2.6, printed from the stored request): Via, From,
 * To (with ";tag=to_tag" added when given and the request's To has none),
 * Call-ID, CSeq, then extra_hdrs (complete header lines, each ending in
 * CRLF; may be NULL), then Content-Type (when body_len > 0) and
 * Content-Length and the body. The top Via gets `received` when the
 * source address differs from sent-by (§18.2.1) and its rport value
 * filled in (RFC 3581 §4). reason NULL: the default phrase. Provisional
 * responses may be repeated; after a final response further calls fail
 * with -EALREADY. A 2xx to an INVITE moves the transaction to Accepted
 * (RFC 6026 §8.7: Timer L); retransmitting that 2xx until the ACK is the
 * TU's job (sip_stx_resend_2xx). Returns 0 or -errno.
 */
int sip_stx_respond(struct sip_stx *st, unsigned code, const char *reason,
		    const char *to_tag, const char *extra_hdrs,
		    const char *ctype, const void *body, size_t body_len);

/*
 * Sends the stored 2xx of an INVITE transaction in Accepted state again
 * (the UAS core's retransmissions, §13.3.1.4). Returns 0 or -errno.
 */
int sip_stx_resend_2xx(struct sip_stx *st);

/* ---- client transactions (§17.1) ---- */

/*
 * The TU's view of a client transaction: every response (1xx, each
 * retransmitted 2xx for INVITE while in Accepted, the final) with err 0,
 * or m NULL with err -ETIMEDOUT (Timer B/F: act as a 408) or -EIO
 * (transport error: act as a 503, §8.1.3.1). After a final response or an
 * error the transaction may live on to absorb retransmissions but calls
 * back only for 2xx retransmissions (INVITE), then never again.
 */
typedef void sip_ctx_fn(void *arg, struct sip_ctx *ct, const struct sip_msg *m,
			int err);

/*
 * Sends request req[0..len) (complete, with a top Via whose branch came
 * from sip_txn_branch) to `to` and runs its client transaction; the layer
 * copies the request. For INVITE, a non-2xx final response is ACKed by the
 * layer (§17.1.1.3); a 2xx is not (the TU ACKs). Returns 0 with *ctp set
 * (ctp may be NULL), or -errno and fn is never called.
 */
int sip_ctx_send(struct sip_txn *t, struct sip_ctx **ctp,
		 const struct sip_peer *to, const char *req, size_t len,
		 sip_ctx_fn *fn, void *arg);

/*
 * Cancels a pending INVITE client transaction (§9.1): the CANCEL (same
 * Request-URI, Call-ID, From, To, CSeq number, Route and top Via as the
 * INVITE; extra_hdrs such as a Reason line added) is sent once a
 * provisional response has arrived, at once if one has; if a final
 * response comes first nothing is sent. The INVITE transaction then
 * normally ends with a 487. Returns 0, -EALREADY (final already
 * received or already cancelled) or -errno.
 */
int sip_ctx_cancel(struct sip_ctx *ct, const char *extra_hdrs);

/* The TU no longer listens: no more callbacks; the transaction finishes
 * on its own. */
void sip_ctx_abandon(struct sip_ctx *ct);

/* The request as sent, and where it went (conn_id updated by the
 * transport). */
const struct sip_msg *sip_ctx_msg(const struct sip_ctx *ct);
const struct sip_peer *sip_ctx_peer(const struct sip_ctx *ct);

#endif
