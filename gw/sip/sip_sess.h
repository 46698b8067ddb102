/*
 * The SIP user agent core and its INVITE sessions (RFC 3261 §12-§15): what
 * the call layer sees of SIP. A session is one call leg, incoming (UAS) or
 * outgoing (UAC): dialog creation and route sets (§12), 2xx retransmission
 * until ACK and the ACK for a 2xx (§13.3.1.4, §13.2.2.4), CANCEL, BYE,
 * re-INVITE and UPDATE carrying SDP (offers are passed to the call layer,
 * which answers), INFO, in-dialog OPTIONS, reliable provisional responses
 * (RFC 3262, both ways) and session timers (RFC 4028, both ways).
 * Outside dialogs the core answers OPTIONS (asking the call layer whether
 * it can take calls) and rejects what a gateway does not do (405/481).
 *
 * The core sits on the transaction layer (sip_txn.h); gwd wires transport
 * -> sip_txn_recv, and the layer's handlers -> sip_ua_txn_handlers.
 * SDP is opaque here: bodies are passed through; gw/sdp does the
 * offer/answer in the call layer.
 *
 * Ownership: struct sip_ua owns its sessions. The call layer holds a
 * session from `incoming` (or sip_sess_connect) until it calls
 * sip_sess_end() or receives `closed`, whichever is first; after either it
 * must not touch the session again (the core finishes BYE/CANCEL
 * transactions on its own). Actions never call back synchronously.
 */
#ifndef GW_SIP_SESS_H
#define GW_SIP_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sip/sip_msg.h"
#include "sip/sip_tp.h"
#include "sip/sip_txn.h"

struct sip_ua;
struct sip_sess;

struct sip_ua_conf {
	const char *user_agent; /* User-Agent / Server value; NULL: none */
	/* Our address for Contact and Via: taken from the transport's
	 * listener of the protocol used (sip_ua_io.local). */
	bool prack;		    /* offer and accept 100rel (RFC 3262) */
	unsigned session_expires_s; /* RFC 4028 interval we ask for; 0: off */
	unsigned min_se_s;	    /* our Min-SE; 0: 90 */
	unsigned max_sessions;	    /* beyond: 503; 0: 100000 */
	/* RFC 3261 §22.1, RFC 7616: with auth_user set, requests outside a
	 * dialog (not ACK, CANCEL) from sources outside trusted are
	 * challenged (401, SHA-256 and MD5) and must authenticate as
	 * auth_user/auth_password; a wrong answer gets 403. Strings are
	 * copied. Added for the digest wiring. */
	const char *trusted;	/* CIDR list (sip_acl.h); NULL: none */
	const char *auth_realm; /* NULL or "": "gwd" */
	const char *auth_user;	/* NULL or "": no challenges */
	const char *auth_password;
};

/* What the core needs besides the transaction layer. */
struct sip_ua_io {
	/* Our listener address for proto in family (Via sent-by, Contact). */
	int (*local)(void *arg, enum sip_proto proto, int family,
		     struct sockaddr_storage *ss);
	/* Sends a message outside any transaction: the ACK for a 2xx
	 * (RFC 3261 §13.2.2.4, §17.1.1.3); sip_tp_send in gwd. Added by
	 * the session engineer: the transaction layer has no such send. */
	int (*send)(void *arg, struct sip_peer *to, const void *buf,
		    size_t len);
	void *arg;
};

/* Why a session ended (for logs, cause mapping and CDRs). */
enum sip_sess_why {
	SIP_END_BYE,	       /* peer sent BYE */
	SIP_END_CANCEL,	       /* peer CANCELled our (UAS) session */
	SIP_END_REJECTED,      /* UAC: a final non-2xx response (status) */
	SIP_END_TIMEOUT,       /* no response (408) or no ACK for our 2xx */
	SIP_END_TP_ERROR,      /* transport failure (503) */
	SIP_END_SESSION_TIMER, /* RFC 4028 §10: no refresh in time */
	SIP_END_LOCAL,	       /* we ended it (sip_sess_end; never reported) */
};

struct sip_sess_end {
	enum sip_sess_why why;
	unsigned status; /* SIP status that ended it (REJECTED), else the
			    equivalent (408, 503, 487) or 0 for BYE */
	int q850;	 /* cause from a Reason: Q.850 header, 0 if none */
	const struct sip_msg *msg; /* the BYE / CANCEL / final response, or
				      NULL; valid during the callback */
};

struct sip_sess_handlers {
	/* UAC: a provisional response other than 100 (m has status, SDP). */
	void (*progress)(void *arg, struct sip_sess *s,
			 const struct sip_msg *m);
	/* UAC: a 2xx; the core has ACKed it (with late-offer answer: see
	 * sip_sess_ack_sdp). UAS: the ACK for our 2xx arrived (m = ACK,
	 * may carry the SDP answer to an offer in our 2xx). */
	void (*established)(void *arg, struct sip_sess *s,
			    const struct sip_msg *m);
	/*
	 * An SDP offer inside the dialog (re-INVITE or UPDATE; body empty for
	 * an offerless re-INVITE, then we make the offer). Write the answer
	 * (or offer) into buf and return 200 with *len set, or a failure
	 * status (488, 500) to reject it; the session continues unchanged.
	 */
	unsigned (*reoffer)(void *arg, struct sip_sess *s,
			    const struct sip_msg *m, char *buf, size_t cap,
			    size_t *len);
	/* INFO inside the dialog (e.g. application/dtmf-relay); return the
	 * status to answer with (200, 415...). */
	unsigned (*info)(void *arg, struct sip_sess *s,
			 const struct sip_msg *m);
	/* The session is over; s is freed after the call returns. */
	void (*closed)(void *arg, struct sip_sess *s,
		       const struct sip_sess_end *end);
};

struct sip_ua_handlers {
	/*
	 * A new INVITE outside any dialog. The core has sent 100 Trying and
	 * created s. The handler must call sip_sess_set_handlers() and later
	 * answer with sip_sess_progress / sip_sess_answer / sip_sess_end.
	 */
	void (*incoming)(void *arg, struct sip_sess *s, const struct sip_msg *m,
			 const struct sip_peer *src);
	/* OPTIONS outside a dialog: return 200 when calls can be taken, 503
	 * when not. The core adds Allow, Accept and Supported. */
	unsigned (*options)(void *arg, const struct sip_msg *m,
			    const struct sip_peer *src);
};

/* Creates the UA core on transaction layer txn (NULL: set it with
 * sip_ua_set_txn before use). Returns 0 or -errno. */
int sip_ua_new(struct sip_ua **uap, struct loop *loop, struct sip_txn *txn,
	       const struct sip_ua_conf *conf, const struct sip_ua_io *io,
	       const struct sip_ua_handlers *h, void *arg);
/* Frees the core and every session without callbacks. NULL: no-op.
 * Call it before sip_txn_free() of its layer. */
void sip_ua_free(struct sip_ua *ua);

/* Sets the layer of a core created with txn NULL: the layer's handler
 * arg is the core, so one of the two exists first. Added by the session
 * engineer. */
void sip_ua_set_txn(struct sip_ua *ua, struct sip_txn *txn);

/* The handlers gwd gives sip_txn_new(); their arg is the struct sip_ua. */
extern const struct sip_txn_handlers sip_ua_txn_handlers;

/* Sessions that exist (tests, metrics). */
unsigned sip_ua_sessions(const struct sip_ua *ua);

/* ---- sessions ---- */

void sip_sess_set_handlers(struct sip_sess *s,
			   const struct sip_sess_handlers *h, void *arg);

/* An outgoing call (UAC). Strings are copied. */
struct sip_sess_out {
	const char *ruri;	/* Request-URI, e.g. "sip:+4930123@10.0.0.1" */
	const char *to;		/* To name-addr; NULL: <ruri> */
	const char *from;	/* From name-addr without tag, e.g.
				   "\"Alice\" <sip:+4930999@gw.example>" */
	const char *route;	/* outbound proxy URI (loose routing), or
				   NULL: send to the Request-URI */
	enum sip_proto proto;	/* transport toward the next hop */
	const char *extra_hdrs; /* PAI, Privacy, Diversion..., CRLF each */
	const char *sdp;	/* offer, NULL for none */
	size_t sdp_len;
	/* RFC 3261 §22.2: with auth_user set, one 401/407 is answered by a
	 * new INVITE (same Call-ID and From tag, CSeq + 1) carrying
	 * Authorization / Proxy-Authorization. NULL: not retried. */
	const char *auth_user;
	const char *auth_password;
};

/*
 * Sends an INVITE and creates the session. Responses come through the
 * handlers; a 401/407 is retried once when o->auth_user is set (the
 * challenge is not reported), else reported as a rejection. Returns 0 with *sp
 * set, or -errno (-EHOSTUNREACH: the next hop is not a numeric address) and no
 * callback follows.
 */
int sip_sess_connect(struct sip_ua *ua, struct sip_sess **sp,
		     const struct sip_sess_out *o,
		     const struct sip_sess_handlers *h, void *arg);

/*
 * UAS: sends a provisional response (180, 183) with optional extra
 * headers and SDP; reliably (RFC 3262) when the INVITE allowed it and the
 * UA is configured for it, then later provisional responses wait for the
 * PRACK of earlier ones. Returns 0 or -errno (-EALREADY after a final).
 */
int sip_sess_progress(struct sip_sess *s, unsigned code, const char *extra_hdrs,
		      const char *sdp, size_t sdp_len);

/* UAS: sends 200 OK with SDP and retransmits it until the ACK (T1
 * doubling to T2, giving up after 64*T1: closed with SIP_END_TIMEOUT). */
int sip_sess_answer(struct sip_sess *s, const char *extra_hdrs, const char *sdp,
		    size_t sdp_len);

/*
 * Ends the session from our side, in any state: a UAS not yet answered
 * gets final response uas_code (e.g. 486, 503) with extra_hdrs; a UAC not
 * yet answered sends CANCEL (with extra_hdrs, e.g. a Reason line; a 2xx
 * that still arrives is ACKed and BYEd); an established or early-answered
 * session sends BYE with extra_hdrs. The call layer lets go of s: no
 * further callbacks. Returns 0 or -errno (s is released in every case).
 */
int sip_sess_end(struct sip_sess *s, unsigned uas_code, const char *extra_hdrs);

/* Call-ID, local and remote tags (remote "" until known), for logs/CDRs. */
const char *sip_sess_call_id(const struct sip_sess *s);
const char *sip_sess_local_tag(const struct sip_sess *s);
const char *sip_sess_remote_tag(const struct sip_sess *s);
/* Whether we are the UAS of this session. */
bool sip_sess_incoming(const struct sip_sess *s);

/* The cause of the first "Reason: Q.850;cause=N" value of m (RFC 3326),
 * 1..127, or 0 if there is none. */
int sip_reason_q850(const struct sip_msg *m);

#endif
