/*
 * Private parts of the SIP UA core shared by sip_ua.c (the core: session
 * table, transaction-layer handlers, sending, requests outside and inside
 * dialogs, session timers) and sip_sess.c (INVITE sessions: both sides of
 * the INVITE, 2xx and reliable 1xx retransmission, ACK, CANCEL, BYE, the
 * call layer's API). Not for use outside these two files.
 */
#ifndef GW_SIP_SESS_INT_H
#define GW_SIP_SESS_INT_H

#include "sip/sip_acl.h"
#include "sip/sip_auth.h"
#include "sip/sip_dialog.h"
#include "sip/sip_sess.h"

#define UA_CONTACT_MAX 160
#define UA_TAG_LEN     16
#define UA_ALLOW       "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK"
#define UA_ACCEPT      "application/sdp"
#define SESS_SDP_MAX   8192 /* answer buffer given to reoffer */

enum sess_state {
	SESS_CALLING,	/* UAC: INVITE sent; UAS: INVITE received */
	SESS_EARLY,	/* an early dialog exists */
	SESS_ANSWERED,	/* UAS: 2xx sent, no ACK yet */
	SESS_CONFIRMED, /* dialog confirmed */
	SESS_ENDING,	/* our CANCEL/BYE/final is out: waiting to free */
};

/* A provisional response waiting to be sent reliably, or being sent. */
struct sess_prov {
	struct sess_prov *next;
	unsigned code;
	char *hdrs; /* extra header lines, or NULL */
	char *sdp;
	size_t sdp_len;
};

/* The core; owns every session (table + dead list). */
struct sip_ua {
	struct loop *loop;
	struct sip_txn *txn;
	struct sip_ua_conf conf; /* user_agent points at ua_str */
	char *ua_str;
	struct sip_ua_io io;
	struct sip_ua_handlers h;
	void *arg;
	struct sip_sess **tab; /* hash of Call-ID, chained by hnext */
	unsigned tab_mask;
	unsigned n_sess;
	struct sip_sess *dead; /* destroyed, freed by `reap` */
	struct loop_defer reap;
	/* digest challenges of untrusted sources (conf.auth_user set) */
	struct sip_auth_srv *auth; /* owned; NULL: no challenges */
	struct sip_acl trusted;
	char *auth_user, *auth_password; /* owned copies */
};

/* One call leg; owned by the core (see sip_sess.h for the call layer's
 * hold on it). */
struct sip_sess {
	struct sip_ua *ua;
	struct sip_sess *hnext;
	bool incoming;
	bool released; /* the call layer let go: no callbacks */
	bool destroyed;
	enum sess_state state;
	const struct sip_sess_handlers *h;
	void *arg;

	char *call_id;
	char local_tag[UA_TAG_LEN + 1];
	struct sip_dialog d; /* UAS: built at the INVITE; UAC: at a To tag */
	bool has_dialog;
	enum sip_proto proto; /* of the INVITE, for in-dialog requests */
	char contact[UA_CONTACT_MAX];
	char *local_sdp; /* our last offer/answer (refresh re-INVITE) */
	size_t local_sdp_len;

	/* UAS */
	struct sip_stx *inv_stx; /* initial INVITE until it terminates */
	uint32_t inv_cseq;	 /* of the INVITE (both sides) */
	struct sip_stx *ack_stx; /* INVITE whose 2xx we retransmit */
	uint32_t ack_cseq;
	struct loop_timer t_2xx;
	unsigned rtx_ms;
	uint64_t rtx_end_ns;
	bool bye_after_ack;	   /* released while waiting for the ACK */
	bool rel_ok;		   /* RFC 3262: send 1xx reliably */
	struct sess_prov *rel_cur; /* reliable 1xx awaiting PRACK */
	struct sess_prov *rel_queue;
	uint32_t rseq;
	struct loop_timer t_rel;
	unsigned rel_ms;
	uint64_t rel_end_ns;

	/* UAC */
	struct sip_ctx *inv_ctx; /* until a non-2xx final or error; after a
				    2xx until the session goes (abandon) */
	bool cancelled;		 /* sip_ctx_cancel done */
	bool sent_offer;	 /* the INVITE carried SDP */
	uint32_t peer_rseq;	 /* last RSeq PRACKed, 0: none */
	char *out_ruri, *out_to, *out_from, *out_route, *out_extra;
	char *auth_user, *auth_password; /* for one 401/407 retry */
	char *auth_hdr;			 /* our Authorization line, CRLF */
	bool auth_tried;		 /* the retry is done */
	char *ack_buf; /* ACK for the 2xx with CSeq ack_sent_cseq */
	size_t ack_len;
	uint32_t ack_sent_cseq;
	struct sip_peer ack_peer;

	/* in-dialog requests we send */
	uint32_t bye_cseq;
	char *end_hdrs;	     /* for a BYE we send later (after the ACK) */
	bool confirmed;	     /* UAC: a 2xx was ACKed */
	uint32_t reinv_cseq; /* our re-INVITE / UPDATE outstanding, 0: none */
	struct sip_ctx *re_ctx;	 /* our last re-INVITE (see inv_ctx) */
	struct loop_timer t_end; /* ENDING: free at the latest then */

	/* RFC 4028 */
	unsigned se_s; /* negotiated interval, 0: no session timer */
	unsigned min_se_s;
	bool se_we_refresh;
	bool peer_timer;  /* peer Supports timer */
	bool peer_update; /* peer Allows UPDATE */
	bool se_retried;  /* 422 retry done */
	bool se_waiting;  /* our refresh is out */
	struct loop_timer t_se;
};

/* ---- sip_ua.c ---- */

struct sip_sess *ua_find(struct sip_ua *ua, struct pl call_id,
			 struct pl local_tag);
struct sip_sess *ua_find_stx(struct sip_ua *ua, struct pl call_id,
			     const struct sip_stx *st);
void ua_insert(struct sip_ua *ua, struct sip_sess *s);

/*
 * Fills Via (new branch) and sends r to its next hop: an ACK raw through
 * io.send, anything else as a client transaction answering to the core.
 * proto: transport when the hop URI gives none (UDP default). *to gets
 * the hop when not NULL; with keep, *keep gets the printed bytes (the
 * caller frees them) on success. Returns 0 or -errno.
 */
int ua_send(struct sip_ua *ua, struct sip_req *r, enum sip_proto proto,
	    struct sip_ctx **ctp, struct sip_peer *to, char **keep,
	    size_t *keep_len);
/* Prints the Contact for proto toward family into buf. Returns 0/-errno. */
int ua_contact(struct sip_ua *ua, enum sip_proto proto, int family, char *buf,
	       size_t cap);
/* "Supported: ..." line for us. */
const char *ua_supported(const struct sip_ua *ua);
/* ACK and BYE a 2xx no session wants (forks, races, §13.2.2.4). */
void ua_ack_and_bye(struct sip_ua *ua, const struct sip_msg *req,
		    const struct sip_msg *resp);
/* Whether option tag / method tag is among the values of header id. */
bool ua_has_tag(const struct sip_msg *m, enum sip_hdr_id id, const char *tag);

/* Our header lines a message gets (sess_hdrs / sess_respond flags). */
enum {
	H_CONTACT = 1,
	H_ALLOW = 2,
	H_SUPPORTED = 4,
	H_SE_RESP = 8, /* Session-Expires (+ Require: timer) in a response */
	H_SE_REQ = 16, /* Session-Expires in a request we send */
	H_SERVER = 32,
	H_RR = 64, /* the INVITE's Record-Route (§12.1.1) */
};

/* ---- sip_ua.c: requests in dialogs, session timers ---- */

/* A request the core matched to s's dialog (not an ACK without st). */
void sess_request(struct sip_sess *s, struct sip_stx *st,
		  const struct sip_msg *m, const struct sip_peer *src);
/* RFC 4028: restarts the refresh or expiry timer from now. */
void sess_se_restart(struct sip_sess *s);
/* The session timer's callback (t->arg is the session). */
void sess_se_fire(struct loop_timer *t);
/* An offer (or offerless request) m for the call layer: the status it
 * gives, the answer in buf[0..*len) (SESS_SDP_MAX bytes). */
unsigned sess_ask_reoffer(struct sip_sess *s, const struct sip_msg *m,
			  char *buf, size_t *len);
/* RFC 4028 §9 for a request we receive; initial: the dialog's INVITE.
 * Returns 0, or 422 when the interval is below our Min-SE. */
unsigned sess_se_from_request(struct sip_sess *s, const struct sip_msg *m,
			      bool initial);
/* RFC 4028 §7.2: takes interval and refresher from a 2xx we received. */
void sess_se_from_response(struct sip_sess *s, const struct sip_msg *m);
/* Min-SE of m, 0 if none. */
uint32_t sess_min_se_of(const struct sip_msg *m);
/* A response to (or failure of) our re-INVITE / UPDATE. */
void sess_refresh_response(struct sip_sess *s, const struct sip_msg *m, int err,
			   bool invite);

/* ---- sip_sess.c ---- */

/* Replaces *dst by a copy of src[0..len) (NULL: none). Returns 0/-ENOMEM. */
int sess_set_str(char **dst, const char *src, size_t len);
/* A new session of ua, not yet in its table; NULL on no memory. */
struct sip_sess *sess_new(struct sip_ua *ua);
/* Our header lines for a message of s (flags: which optional ones) with
 * extra appended; malloc'd, NULL on no memory. */
char *sess_hdrs_make(const struct sip_sess *s, unsigned flags,
		     const char *extra);
/* Tells the call layer once that s is over; no callbacks after it. */
void sess_notify_closed(struct sip_sess *s, enum sip_sess_why why,
			unsigned status, const struct sip_msg *m);
/* sess_notify_closed, then sess_destroy. */
void sess_close(struct sip_sess *s, enum sip_sess_why why, unsigned status,
		const struct sip_msg *m);
/* Responds on st with our tag, header lines (flags H_*, then extra) and an
 * SDP body (sdp_len 0: none). Returns 0 or -errno. */
int sess_respond(struct sip_sess *s, struct sip_stx *st, unsigned code,
		 unsigned flags, const char *extra, const char *sdp,
		 size_t sdp_len);
/* Sends a request in s's dialog: ACK with *cseq as given, others with the
 * next local CSeq (into *cseq). keep/to/ctp as for ua_send. */
int sess_dlg_send(struct sip_sess *s, const char *method, uint32_t *cseq,
		  unsigned flags, const char *extra, const char *sdp,
		  size_t sdp_len, char **keep, size_t *keep_len,
		  struct sip_peer *to, struct sip_ctx **ctp);
/* §15: sends BYE and frees s when it is answered (at most 64*T1). */
void sess_send_bye(struct sip_sess *s, const char *extra);
/* §13.3.1.4: retransmits the 2xx of st until the ACK with cseq. */
void sess_start_2xx_rtx(struct sip_sess *s, struct sip_stx *st, uint32_t cseq);
/* §8.2 checks with our option tags; answers st and returns false when
 * the request fails them. to_tag NULL: a random one. */
bool sess_checks_ok(const struct sip_ua *ua, struct sip_stx *st,
		    const struct sip_msg *m, const char *to_tag);
/* The ACK for a 2xx to our INVITE with cseq (§13.2.2.4), kept for
 * resending with sess_resend_ack. */
void sess_send_ack(struct sip_sess *s, uint32_t cseq, const char *sdp,
		   size_t sdp_len);
/* ACKs a 2xx with cseq (again): the kept ACK when it is that one. */
void sess_ack_again(struct sip_sess *s, uint32_t cseq);
/* RFC 3262 §3: a PRACK for s. */
void sess_prack(struct sip_sess *s, struct sip_stx *st,
		const struct sip_msg *m);

/* An ACK for a 2xx (st NULL in the layer's request handler). */
void sess_ack(struct sip_sess *s, const struct sip_msg *m);
/* A CANCEL matched our INVITE server transaction. */
void sess_cancelled(struct sip_sess *s, const struct sip_msg *cancel);
/* A response to (or failure of) a request s sent. */
void sess_response(struct sip_sess *s, struct sip_ctx *ct,
		   const struct sip_msg *req, const struct sip_msg *m, int err);
/* A 2xx to an INVITE matching no transaction any more. */
void sess_stray_2xx(struct sip_sess *s, const struct sip_msg *m);
/* A new INVITE outside any dialog: creates the session, 100, incoming. */
void sess_incoming(struct sip_ua *ua, struct sip_stx *st,
		   const struct sip_msg *m, const struct sip_peer *src);
/* Frees s now (no callbacks); for sip_ua_free and the reaper. */
void sess_free(struct sip_sess *s);
/* Removes s from the table, stops everything, frees it later. */
void sess_destroy(struct sip_sess *s);
/* Stops timers, lets go of transactions; before freeing. */
void sess_free_prepare(struct sip_sess *s);

#endif
