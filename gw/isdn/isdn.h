/*
 * The ISDN side of the gateway: one libpri instance per span (CPE or NET),
 * driven from the signalling thread's event loop. It tracks the D-channel
 * (link state, alarms, settling after the link comes up), every B-channel
 * (idle, busy, restarting, blocked near/far end), answers RESTART and
 * SERVICE from the far end, sends them on request, and turns libpri's
 * events into call events for the call layer.
 *
 * Ownership: struct isdn owns its spans; a span owns its calls. A call
 * layer attaches its own pointer to a call (isdn_call_set_user) and learns
 * of the call's end through ISDN_CALL_RELEASED, after which the call is
 * freed. Actions never call back synchronously.
 */
#ifndef GW_ISDN_H
#define GW_ISDN_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "drivers/tdm.h"
#include "loop.h"

struct isdn;
struct isdn_span;
struct isdn_call;

enum isdn_link {
	ISDN_LINK_CLOSED,   /* back end not open (retrying) */
	ISDN_LINK_DOWN,	    /* back end open, Q.921 link down */
	ISDN_LINK_SETTLING, /* Q.921 up, waiting link_settle_ms */
	ISDN_LINK_UP,	    /* usable */
};

enum isdn_chan_state {
	ISDN_CH_UNUSED, /* not a configured B-channel */
	ISDN_CH_IDLE,
	ISDN_CH_BUSY,	    /* a call holds it */
	ISDN_CH_RESTARTING, /* our RESTART awaits acknowledgement */
};

/* What a SETUP carries (both directions). Plans are libpri's (TON<<4|NPI). */
struct isdn_setup {
	char called[32];
	int called_plan;
	char calling[32];
	int calling_plan;
	int calling_pres; /* libpri PRES_* */
	char calling_name[64];
	char redirecting[32];
	int redirecting_plan, redirecting_pres, redirecting_reason;
	int redirecting_count; /* diversions so far; 0 = unknown (1) */
	bool complete;	       /* Sending Complete / en-bloc */
	int transfer_cap;      /* PRI_TRANS_CAP_* */
	int layer1;	       /* PRI_LAYER_1_* */
	unsigned ts;	       /* B-channel; 0 = any */
	bool exclusive;
};

enum isdn_call_event {
	ISDN_CALL_SETUP, /* incoming call: ev.setup; channel reserved */
	ISDN_CALL_INFO,	 /* overlap digits: ev.digits */
	ISDN_CALL_SETUP_ACK,
	ISDN_CALL_PROCEEDING,
	ISDN_CALL_ALERTING, /* ev.progress: PI, or 0 */
	ISDN_CALL_PROGRESS, /* ev.progress */
	ISDN_CALL_CONNECT,
	ISDN_CALL_DISCONNECT, /* far end clears: ev.cause; answer with hangup */
	ISDN_CALL_RELEASED,   /* gone: ev.cause; call freed after return */
};

struct isdn_call_ev {
	enum isdn_call_event type;
	int cause;    /* Q.850 cause, 0 if none */
	int progress; /* Q.931 progress description, 0 if none */
	const struct isdn_setup *setup;
	const char *digits; /* ISDN_CALL_INFO: the digits this message added */
	bool complete; /* ISDN_CALL_INFO: Sending Complete came with them */
};

struct isdn_handlers {
	/* A call event; for ISDN_CALL_SETUP the handler must act on the call
	 * (proceeding/alerting/answer/hangup), at once or later. */
	void (*call_event)(void *arg, struct isdn_call *call,
			   const struct isdn_call_ev *ev);
	/* Link, alarm or channel availability changed on the span. */
	void (*span_changed)(void *arg, struct isdn_span *span);
};

struct isdn_span_status {
	unsigned no;
	const char *driver;
	char desc[64];
	enum tdm_layout layout;
	enum conf_switch switchtype;
	enum conf_side side;
	enum isdn_link link;
	bool dchan_up; /* libpri's Q.921 view */
	unsigned alarms;
	uint64_t state_since_ms; /* monotonic ms of the last link change */
	unsigned nchan, idle, busy, restarting, blocked;
	struct tdm_counters tdm;
	uint64_t dchan_ups, dchan_downs, calls_in, calls_out, calls_rejected;
	uint64_t restarts_tx, restarts_rx, service_tx, service_rx;
	uint64_t reopens;
	uint64_t glares; /* channels our outgoing call lost to the network */
};

struct isdn_chan_status {
	unsigned ts;
	enum isdn_chan_state state;
	bool blocked_near, blocked_far;
	bool outgoing;	   /* call direction, when busy */
	uint64_t since_ms; /* monotonic ms of the last change */
	unsigned call_id;  /* 0 if idle */
};

/* Creates the ISDN side. Returns 0 or -errno; *ip set on success. */
int isdn_new(struct isdn **ip, struct loop *loop, const struct isdn_handlers *h,
	     void *arg);
/* Hangs up nothing: frees everything (use isdn_shutdown first). */
void isdn_free(struct isdn *i);

/*
 * Adds and starts a span on back end ops (opening it, retrying while that
 * fails). Returns 0 or -errno.
 */
int isdn_span_add(struct isdn *i, const struct conf_span *conf,
		  const struct tdm_span_ops *ops);
struct isdn_span *isdn_span_get(const struct isdn *i, unsigned no);
/* Span numbers in ascending order: returns the next after `after` or 0. */
unsigned isdn_span_next(const struct isdn *i, unsigned after);

void isdn_span_status(const struct isdn_span *s, struct isdn_span_status *st);
/* Fills st for timeslot ts; returns -EINVAL if not a timeslot. */
int isdn_chan_status(const struct isdn_span *s, unsigned ts,
		     struct isdn_chan_status *st);
unsigned isdn_span_no(const struct isdn_span *s);
const struct tdm_span *isdn_span_tdm(const struct isdn_span *s);
/* True if a new call can be placed or accepted (link up, no alarm). */
bool isdn_span_usable(const struct isdn_span *s);

/*
 * Blocks or unblocks a B-channel from our side: a blocked channel is not
 * hunted; on switches with SERVICE messages the far end is told. Returns 0,
 * -EINVAL (no such channel) or -EAGAIN (link down: SERVICE cannot be sent).
 */
int isdn_chan_block(struct isdn_span *s, unsigned ts, bool block);
/* Sends RESTART for timeslot ts, or for every idle channel if ts == 0. */
int isdn_span_restart(struct isdn_span *s, unsigned ts);

/*
 * Glare (Q.931 §5.7), the pure rule: whether the far end's exclusive SETUP
 * for a channel held by a call of ours (outgoing or not, already answered
 * by the far end or not) on a span of our side takes the channel.
 */
bool isdn_chan_network_wins(enum conf_side side, bool ours_outgoing,
			    bool far_end_responded);

/* Picks an idle, unblocked B-channel by hunt order; 0 if none. */
unsigned isdn_span_hunt(struct isdn_span *s, enum conf_hunt hunt);
/* The same, never returning except_ts (a channel just refused). */
unsigned isdn_span_hunt_except(struct isdn_span *s, enum conf_hunt hunt,
			       unsigned except_ts);

/* ---- calls ---- */

unsigned isdn_call_id(const struct isdn_call *c);
struct isdn_span *isdn_call_span(const struct isdn_call *c);
unsigned isdn_call_ts(const struct isdn_call *c);
void isdn_call_set_user(struct isdn_call *c, void *user);
/* Opens the call's B-channel for media; the caller closes it. 0 or -errno. */
int isdn_call_bchan_open(struct isdn_call *c, struct tdm_bchan **bp);
void *isdn_call_user(const struct isdn_call *c);

/*
 * Places an outgoing call (Q.931 §5.1): SETUP with st's numbers, bearer
 * and channel st->ts (exclusive or preferred). user is attached to the
 * call. Events follow through the handlers (PROCEEDING, ALERTING,
 * PROGRESS, CONNECT, DISCONNECT, RELEASED with the cause); the network may
 * move a preferred call to another channel (isdn_call_ts tells). Returns
 * 0 with *cp set, -ENETDOWN (span not usable), -EBUSY (channel not idle)
 * or -errno; no event follows a failure.
 */
int isdn_call_place(struct isdn_span *s, const struct isdn_setup *st,
		    void *user, struct isdn_call **cp);
/* Whether we placed the call. */
bool isdn_call_outgoing(const struct isdn_call *c);

/* Incoming call responses (Q.931 §5.2). Return 0 or -errno. */
int isdn_call_proceeding(struct isdn_call *c);
/* Overlap receiving (Q.931 §5.2.4.1): SETUP ACKNOWLEDGE to an incoming
 * SETUP without Sending Complete; the rest of the called number follows as
 * ISDN_CALL_INFO events. */
int isdn_call_setup_ack(struct isdn_call *c);
int isdn_call_alerting(struct isdn_call *c, bool inband);
int isdn_call_progress(struct isdn_call *c, int progress);
int isdn_call_answer(struct isdn_call *c);
/*
 * Clears the call with a Q.850 cause (DISCONNECT, or RELEASE COMPLETE for a
 * call not yet answered where Q.931 §5.3.2 says so). The call stays until
 * ISDN_CALL_RELEASED; further actions on it fail with -EALREADY.
 */
int isdn_call_hangup(struct isdn_call *c, int cause);

/* Hangs up every call with cause; returns how many were still up. */
unsigned isdn_hangup_all(struct isdn *i, int cause);
/* Number of calls that exist (including ones being cleared). */
unsigned isdn_call_count(const struct isdn *i);

const char *isdn_link_name(enum isdn_link link);
const char *isdn_chan_state_name(enum isdn_chan_state st);

#endif
