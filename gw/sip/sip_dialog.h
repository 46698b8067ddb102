/*
 * SIP dialog state (RFC 3261 §12) as plain data: creation by the UAS from
 * a request and by the UAC from a response with a To tag, route sets,
 * local and remote CSeq, target refresh, and the building of requests
 * inside a dialog with loose or strict routing (§12.2.1.1). Also the
 * request printer (sip_req.c) every UA request goes through, and random
 * Call-IDs and tags. Nothing here sends, logs or keeps time.
 *
 * Ownership: a struct sip_dialog owns its strings (heap copies) until
 * sip_dialog_clear(). A struct sip_req only points at strings its caller
 * owns.
 */
#ifndef GW_SIP_DIALOG_H
#define GW_SIP_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sip_msg.h"
#include "sip/sip_tp.h"

#define SIP_DIALOG_MAX_ROUTES 16
#define SIP_DIALOG_URI_MAX    512 /* longest Request-URI we build */

struct sip_dialog {
	char *call_id;
	char *local_tag;
	char *remote_tag;    /* "" while unknown */
	char *local_uri;     /* name-addr of From (UAC) / To (UAS), no tag */
	char *remote_uri;    /* name-addr of To (UAC) / From (UAS), no tag */
	char *remote_target; /* URI of the peer's Contact */
	char *route[SIP_DIALOG_MAX_ROUTES]; /* route set, use order */
	unsigned n_route;
	uint32_t local_cseq; /* last CSeq we used; 0: none yet */
	uint32_t remote_cseq;
	bool remote_cseq_set;
	bool secure; /* sips Request-URI (§12.1.1) */
	bool uac;    /* we sent the request that created it */
};

/*
 * UAS (§12.1.1): builds the dialog from the request (INVITE) and our tag:
 * route set = Record-Route in order, remote target = Contact, remote CSeq
 * = the request's. Returns 0, -EBADMSG (missing/bad headers) or -ENOMEM;
 * on failure d is left cleared.
 */
int sip_dialog_uas(struct sip_dialog *d, const struct sip_msg *req,
		   const char *local_tag);

/*
 * UAC (§12.1.2): builds the dialog from our request and a response with a
 * To tag: route set = Record-Route reversed, remote target = Contact (the
 * Request-URI when a provisional response has none), local CSeq = the
 * request's. Returns 0, -EINVAL (no To tag), -EBADMSG or -ENOMEM.
 */
int sip_dialog_uac(struct sip_dialog *d, const struct sip_msg *req,
		   const struct sip_msg *resp);

/*
 * UAC: a later response of the same early dialog, or the 2xx that confirms
 * it: route set and remote target are recomputed from it (§13.2.2.4).
 * Returns 0, -EBADMSG or -ENOMEM (d unchanged then).
 */
int sip_dialog_uac_update(struct sip_dialog *d, const struct sip_msg *resp);

/* Frees the strings; d may be zeroed or already cleared. */
void sip_dialog_clear(struct sip_dialog *d);

/*
 * §12.2.2: checks the CSeq of a request received in the dialog and takes
 * it as the remote CSeq. ACK and CANCEL are not checked. Returns 0,
 * -ERANGE when it is lower than the remote CSeq (answer 500), -EBADMSG.
 */
int sip_dialog_recv_cseq(struct sip_dialog *d, const struct sip_msg *req);

/*
 * Target refresh (§12.2, RFC 3311 §5.1): takes the remote target from the
 * Contact of m (a re-INVITE, UPDATE, or their 2xx) when present. Returns
 * 0, -EBADMSG or -ENOMEM.
 */
int sip_dialog_refresh_target(struct sip_dialog *d, const struct sip_msg *m);

/* The next local CSeq (§12.2.1.1: one more than the last; a UAS starts
 * at 1). */
uint32_t sip_dialog_next_cseq(struct sip_dialog *d);

/* Whether m's Call-ID and tags belong to d (our tag is the To tag of a
 * request we receive and the From tag of a response). */
bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *m);

/* ---- request printing (sip_req.c) ---- */

/* Everything a request is printed from; strings belong to the caller. */
struct sip_req {
	const char *method;   /* "INVITE", "BYE" ... */
	const char *ruri;     /* Request-URI */
	enum sip_proto proto; /* Via transport */
	const char *sent_by;  /* Via sent-by "host:port" */
	const char *branch;   /* Via branch (sip_txn_branch) */
	const char *from;     /* name-addr without tag */
	const char *from_tag;
	const char *to;	    /* name-addr without tag */
	const char *to_tag; /* NULL or "": none */
	const char *call_id;
	uint32_t cseq;
	const char *cseq_method;  /* NULL: method */
	const char *const *route; /* Route values (name-addrs), in order */
	unsigned n_route;
	bool strict_route;	/* R-URI is a strict router: next hop */
	const char *contact;	/* Contact value, or NULL */
	const char *user_agent; /* User-Agent value, or NULL */
	const char *extra_hdrs; /* complete lines with CRLF, or NULL */
	const char *ctype;	/* Content-Type when body_len > 0 */
	const void *body;
	size_t body_len;
};

/*
 * Prints a request: start line, Via "SIP/2.0/PROTO sent-by;branch=..;rport"
 * (RFC 3581), Max-Forwards 70, From with tag, To (with tag if any),
 * Call-ID, CSeq, Route, Contact, User-Agent, extra headers, Content-Type
 * and Content-Length, body. Returns the length, -ENOSPC or -EINVAL.
 */
int sip_req_print(char *buf, size_t cap, const struct sip_req *r);

/*
 * Where r goes (RFC 3261 §8.1.2): the Request-URI when it is a strict
 * router or there is no Route, else the first Route's URI; numeric hosts
 * only (sip_tp_uri_peer). Returns 0, -EINVAL or -EHOSTUNREACH.
 */
int sip_req_next_hop(const struct sip_req *r, struct sip_peer *p);

/* Scratch space for one request built from a dialog. */
struct sip_dialog_req {
	char ruri[SIP_DIALOG_URI_MAX];
	char last_route[SIP_DIALOG_URI_MAX + 2];
	const char *route[SIP_DIALOG_MAX_ROUTES + 1];
};

/*
 * §12.2.1.1: fills r's Request-URI, From, To, Call-ID and Route from d
 * (loose routing: R-URI = remote target, Route = route set; strict: R-URI
 * = first route's URI without headers, Route = the rest plus the remote
 * target). r->method, cseq, Via and the rest are the caller's. Strings
 * point into d and dr. Returns 0 or -EINVAL.
 */
int sip_dialog_req_init(const struct sip_dialog *d, struct sip_dialog_req *dr,
			struct sip_req *r);

/* n random characters from [a-zA-Z0-9] (getrandom), NUL-terminated; n <
 * cap. For tags and Call-IDs. Returns buf. */
char *sip_rand_token(char *buf, size_t cap, size_t n);

/* A random number in [lo, hi] (getrandom). */
uint32_t sip_rand_range(uint32_t lo, uint32_t hi);

#endif
