/*
 * Internal structures of the ISDN side, shared by isdn_*.c only.
 */
#ifndef GW_ISDN_INT_H
#define GW_ISDN_INT_H

#include <libpri.h>

#include "isdn.h"
#include "isdn/isdn_pcap.h"

#define ISDN_REOPEN_MS	      1000  /* retry opening a back end */
#define ISDN_RESTART_GUARD_MS 15000 /* give up waiting for RESTART ACK */
#define ISDN_CLEAR_GUARD_MS   64000 /* a clearing call must be gone by then */

enum isdn_call_phase {
	ISDN_PH_SETUP,	  /* incoming SETUP, not yet answered */
	ISDN_PH_ACTIVE,	  /* connected */
	ISDN_PH_CLEARING, /* we called pri_hangup; waiting for libpri */
};

/* One call on a span. Owned by the span (its list). */
struct isdn_call {
	struct isdn_call *next;
	struct isdn_span *span;
	q931_call *q;
	unsigned id;
	unsigned ts;
	bool outgoing;
	enum isdn_call_phase phase;
	bool responded; /* a message other than SETUP was exchanged */
	int cause;	/* ours, once we clear */
	void *user;
	struct loop_timer guard;	 /* ISDN_CLEAR_GUARD_MS */
	struct loop_defer release_defer; /* RELEASED for a call freed at once */
};

struct isdn_chan {
	enum isdn_chan_state state;
	bool blocked_near, blocked_far;
	struct isdn_call *call;
	uint64_t since_ms;
};

/* One span. Owned by struct isdn. */
struct isdn_span {
	struct isdn *isdn;
	struct conf_span conf; /* a copy: spans outlive reloads */
	const struct tdm_span_ops *ops;
	struct tdm_span *tdm; /* NULL while closed */
	struct pri *pri;      /* one for the span's lifetime */
	enum isdn_link link;
	bool dchan_up;
	uint64_t link_since_ms;
	bool read_empty; /* the last D-channel read found no frame */
	struct loop_io dchan_io, event_io;
	struct loop_timer pri_timer, reopen_timer, settle_timer, restart_timer;
	unsigned restart_ts; /* channel whose RESTART is outstanding, or 0 */
	uint32_t restart_pending; /* channels still to restart */
	struct isdn_chan chan[TDM_MAX_TIMESLOTS + 1];
	unsigned rr_last; /* round-robin hunting: last timeslot taken */
	struct isdn_call *calls;
	struct isdn_pcap *pcap; /* D-channel capture (conf pcap), or NULL */
	struct isdn_span_status cnt; /* counters part only */
	int last_open_err;
};

struct isdn {
	struct loop *loop;
	const struct isdn_handlers *h;
	void *arg;
	struct isdn_span *span[CONF_MAX_SPANS + 1];
	unsigned next_call_id;
	bool freeing; /* isdn_free() runs: no more callbacks */
};

/* isdn_span.c */
void isdn_span_rearm(struct isdn_span *s);
void isdn_span_notify(struct isdn_span *s);

/* isdn_chan.c */
void isdn_chan_set(struct isdn_span *s, unsigned ts, enum isdn_chan_state st);
void isdn_chan_link_up(struct isdn_span *s);
void isdn_chan_link_down(struct isdn_span *s);
void isdn_chan_on_restart(struct isdn_span *s, int channel);
void isdn_chan_on_restart_ack(struct isdn_span *s, int channel);
void isdn_chan_on_service(struct isdn_span *s, int channel, int status,
			  bool ack);
/* Whether ts is configured, idle and unblocked. */
bool isdn_chan_available(const struct isdn_span *s, unsigned ts);
/*
 * Glare on the user side (Q.931 §5.7): the network's SETUP asks for ts
 * exclusively while our own outgoing call still waits on ts. If the rule
 * gives the channel to the network, detaches our call from ts (it keeps
 * no channel and ends when the network clears it, cause 44) and returns
 * true; ts is then idle for the network's call.
 */
bool isdn_chan_glare_yield(struct isdn_span *s, unsigned ts);

/* isdn_call.c */
void isdn_call_on_event(struct isdn_span *s, pri_event *e);
/* Ends every call on the span locally (back end gone), with cause. */
void isdn_call_drop_all(struct isdn_span *s, int cause);
/* Ends the call on ts locally (RESTART from the far end). */
void isdn_call_drop_ts(struct isdn_span *s, unsigned ts, int cause);

#define isdn_log(lvl, s, fmt, ...)                                             \
	LOG_AT(lvl, "span %u: " fmt, (s)->conf.no, ##__VA_ARGS__)

#endif
