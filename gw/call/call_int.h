/*
 * Internals of the call layer (gw/call/call*.c only): the call object, its
 * states and events, trunk groups as the call layer sees them, and the
 * functions the files share.
 *
 * Lifetime: a call is created by the leg that arrives first (an INVITE or
 * a SETUP) and owned by the call table. It holds at most one SIP session
 * and one ISDN call; each pointer is dropped when that leg is gone (after
 * sip_sess_end() or `closed`; after ISDN_CALL_RELEASED). Its B-channel
 * media is stopped when the ISDN leg goes. The call is freed once no leg
 * and no media remain (call_maybe_free, deferred to the loop so no
 * callback frees the object it runs on). A call that loses one leg always
 * clears the other with a cause (call_fsm.c).
 */
#ifndef GW_CALL_INT_H
#define GW_CALL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "call/cause.h"
#include "call/number.h"
#include "conf.h"
#include "loop.h"
#include "sdp/sdp.h"
#include "sip/sip_sess.h"

#define CALL_REASON_MAX 160  /* one Reason header line */
#define CALL_HDRS_MAX	1024 /* extra header lines on one message */
#define CALL_SDP_MAX	1024

enum call_dir {
	CALL_SIP_TO_PSTN,
	CALL_PSTN_TO_SIP,
};

enum call_state {
	CALL_ST_ROUTING,    /* first leg in; the other not yet placed */
	CALL_ST_OUT_SENT,   /* SETUP / INVITE sent, nothing back yet */
	CALL_ST_PROCEEDING, /* CALL PROCEEDING / 1xx without ringing */
	CALL_ST_ALERTING,   /* ALERTING / 180 */
	CALL_ST_EARLY,	    /* early media: PROGRESS PI=1/8 / 183 + SDP */
	CALL_ST_ANSWERED,   /* answered; SIP leg waits for ACK (SIP->PSTN) */
	CALL_ST_ACTIVE,
	CALL_ST_CLEARING, /* a leg is gone or going; clearing the other */
};

enum call_event {
	CALL_EV_ISDN_PROCEEDING,
	CALL_EV_ISDN_ALERTING,
	CALL_EV_ISDN_PROGRESS,
	CALL_EV_ISDN_CONNECT,
	CALL_EV_ISDN_DISCONNECT, /* far end clears: cause */
	CALL_EV_ISDN_RELEASED,	 /* ISDN leg gone: cause */
	CALL_EV_SIP_PROGRESS,	 /* UAC: 18x (msg) */
	CALL_EV_SIP_ANSWERED,	 /* UAC: 2xx (msg); UAS: ACK (msg) */
	CALL_EV_SIP_CLOSED,	 /* SIP leg gone: end */
	CALL_EV_T301,		 /* ringing too long */
	CALL_EV_T310,		 /* proceeding too long */
	CALL_EV_MAX_DURATION,
	CALL_EV_SHUTDOWN,
};

struct call_ev {
	enum call_event type;
	int cause;			/* ISDN events */
	int progress;			/* ISDN: progress description */
	const struct sip_msg *msg;	/* SIP events */
	const struct sip_sess_end *end; /* CALL_EV_SIP_CLOSED */
};

/* A trunk group as calls use it: config copy, counters, cause map. Owned
 * by the call table; kept across reloads by name (calls point at it). */
struct call_tg {
	struct call_tg *next;
	struct conf_tg conf;
	struct cause_map causes;
	struct number_plan plan;
	bool gone;	    /* no longer in the configuration */
	unsigned active;    /* calls holding a channel of this group */
	uint64_t cps_sec;   /* second of the current rate window */
	unsigned cps_count; /* calls started in that second */
	uint64_t calls_total, calls_refused_full, calls_refused_rate;
};

struct call {
	struct call *next;
	struct gw *gw;
	unsigned id;
	enum call_dir dir;
	enum call_state state;
	struct call_tg *tg; /* NULL: no route (yet) */
	struct sip_sess *ss;
	struct isdn_call *ic;
	struct tdm_bchan *bchan;
	struct media_chan *mc;
	bool counted; /* counted in tg->active */
	bool sip_answered, isdn_answered;
	unsigned glare_retries;
	unsigned tried_ts, tried_span;

	/* numbers as received and as sent */
	char called_in[NUMBER_MAX], calling_in[NUMBER_MAX];
	char called_e164[NUMBER_MAX];
	/* SIP->PSTN: what we sent; PSTN->SIP in overlap: the SETUP as
	 * received, with the digits of INFORMATION appended */
	struct isdn_setup setup;
	bool overlap; /* PSTN->SIP: collecting digits (call_overlap.c) */

	/* media description of the SIP leg */
	struct sdp_local sdp_local;
	struct sdp_session sdp_last;   /* the last SDP we sent */
	char sdp_answer[CALL_SDP_MAX]; /* SIP->PSTN: our answer */
	size_t sdp_answer_len;
	bool late_offer;     /* INVITE without SDP: we offer in 18x/200 */
	bool early_media_ok; /* INVITE had P-Early-Media (RFC 5009) */
	/* SIP->PSTN: local ringback sent over RTP until the PSTN has in-band
	 * tones or answers (media/tones.h, static); NULL: none */
	const struct tones_def *local_tone;
	struct sdp_media_result media;
	int rtp_fd;  /* our RTP port, held for the call */
	int rtcp_fd; /* our RTCP port (rtp_fd's + 1), held with it */

	/* clearing */
	int cause;	     /* Q.850 cause the call ended with */
	unsigned sip_code;   /* SIP final status sent or received */
	char released_by[8]; /* "sip", "pstn", "gw" */
	struct loop_timer t301, t310, t302, maxdur;
	struct loop_defer free_defer;
	uint64_t t_start_ms, t_answer_ms;
};

struct call_table {
	struct call *head;
	unsigned n;
	unsigned next_id;
	struct call_tg *tgs;
	struct cause_map default_causes;
	uint16_t rtp_next; /* next RTP port to try */
};

/* call.c */
struct call *call_new(struct gw *gw, enum call_dir dir);
void call_maybe_free(struct call *c);
const char *call_state_name(enum call_state st);

/* call_fsm.c */
void call_fsm(struct call *c, const struct call_ev *ev);
/* Ends the call from the gateway side with cause on every leg left. */
void call_abort(struct call *c, int cause);
void call_start_timers(struct call *c);

/* call_tg.c */
int call_tg_sync(struct gw *gw);
struct call_tg *call_tg_for_span(struct gw *gw, unsigned span_no);
/* Trunk groups whose prefixes match e164 (without '+'), longest first,
 * in config order among equals. Returns the count (<= cap). */
unsigned call_tg_route(struct gw *gw, const char *e164, struct call_tg **out,
		       unsigned cap);
/* Admission: 0, or the Q.850 cause to refuse with (34 full, 42 rate). */
int call_tg_admit(struct call_tg *tg, uint64_t now_ms);
const struct cause_map *call_causes(const struct call *c);

/* call_pstn.c: the ISDN leg */
/* Hunts a channel in c->tg and sends SETUP. Returns 0 or a Q.850 cause. */
int call_pstn_place(struct call *c);
void call_pstn_on_setup(struct gw *gw, struct isdn_call *ic,
			const struct isdn_setup *st);
int call_media_start(struct call *c, enum media_mode mode);
/* PSTN->SIP: offers the call with the complete SETUP st to the SIP side
 * (numbers to E.164, INVITE, CALL PROCEEDING). Returns 0 or a Q.850 cause
 * (the caller clears the call with it). */
int call_pstn_offer(struct call *c, const struct isdn_setup *st);

/* call_overlap.c: overlap receiving (Q.931 §5.2.4) */
/* Whether the SETUP st on tg waits for more digits. */
bool call_overlap_wanted(const struct call_tg *tg, const struct isdn_setup *st);
/* SETUP ACKNOWLEDGE and T302 for c (c->ic, c->tg set). 0 or a cause. */
int call_overlap_start(struct call *c, const struct isdn_setup *st);
/* INFORMATION digits for c; complete: Sending Complete came with them. */
void call_overlap_info(struct call *c, const char *digits, bool complete);

/* call_sip.c: the SIP leg */
extern const struct sip_sess_handlers call_sip_handlers;
/* PSTN->SIP: sends the INVITE for st (numbers already E.164). Returns 0
 * or a Q.850 cause. */
int call_sip_connect(struct call *c, const struct isdn_setup *st);
/* SDP we put in 18x/200 toward a SIP caller (answer or late offer). */
int call_sip_local_sdp(struct call *c, const char **sdp, size_t *len);
int call_rtp_open(struct call *c, const struct sockaddr_storage *toward);
void call_rtp_close(struct call *c);

/* call_hdr.c: header <-> Q.931 mapping (pure) */
int call_hdr_reason(char *buf, size_t cap, int cause);
int call_hdr_calling(const struct sip_msg *m, char *num, size_t cap, int *pres);
/* Redirecting number (as in the header), Q.931 reason and redirection
 * count from the top-most Diversion (RFC 5806; count from its counter).
 * Returns 0 or -ENOENT (num empty). */
int call_hdr_diversion(const struct sip_msg *m, char *num, size_t cap,
		       int *reason, int *count);
/* The same from History-Info (RFC 7044, call_hdr_hi.c): the diverting
 * party of the most recent retarget with a redirection cause; count is
 * the number of diversions. 0, -ENOENT or -ENOMEM. */
int call_hdr_history_info(const struct sip_msg *m, char *num, size_t cap,
			  int *reason, int *count);
/* Diversion if present, else History-Info. */
int call_hdr_redirecting(const struct sip_msg *m, char *num, size_t cap,
			 int *reason, int *count);
int call_hdr_uri_number(struct pl uri, char *num, size_t cap);

#endif
