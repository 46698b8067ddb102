/*
 * pstnsim, the PSTN switch simulator: plays the carrier's exchange toward
 * the gateway. Per span it runs libpri on the NETWORK side, is the clock
 * master for B-channel audio (sim spans), answers calls by scripted
 * number behaviours, originates calls, injects faults, and reports every
 * signalling and audio observation as JSON events for tests.
 *
 * Parts: main.c (process), psim_conf.c (scenario file), psim_span.c
 * (libpri NET per span, faults), psim_host.c (sim attach server and clock),
 * psim_call.c (calls and behaviours), psim_audio.c (sources and sinks),
 * psim_event.c (event log), psim_ctl.c (control commands).
 */
#ifndef PSIM_H
#define PSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libpri.h>

#include "conf.h"
#include "ctl/json.h"
#include "drivers/tdm.h"
#include "loop.h"
#include "media/media_lat.h"

#define PSIM_MAX_SPANS	 64
#define PSIM_MAX_NUMBERS 256
#define PSIM_NUM_MAX	 32
#define PSIM_DIGITS_MAX	 64
#define PSIM_MAX_CALLS	 4096

/* ---- audio (psim_audio.c) ---- */

enum psim_src_kind {
	PSIM_SRC_SILENCE,
	PSIM_SRC_TONE,	    /* sine at freq_hz, level_dbm0 */
	PSIM_SRC_DTMF,	    /* digits, then silence */
	PSIM_SRC_MILLIWATT, /* 1004 Hz at 0 dBm0 */
	PSIM_SRC_RAMP,	    /* raw bytes 0,1,2,...: a byte-exact stream */
	PSIM_SRC_ECHO,	    /* sends back what it receives */
	PSIM_SRC_HYBRID,    /* echo through a G.168 Annex D line model at
			       erl_db, plus an optional near-end tone */
	PSIM_SRC_MODEM,	    /* a modem/fax connect tone (modem_tone) */
};

enum psim_sink_kind {
	PSIM_SINK_NONE,
	PSIM_SINK_RECORD, /* tone and DTMF detection, level */
	PSIM_SINK_RAMP,	  /* checks a ramp stream byte for byte */
};

struct psim_audio_spec {
	enum psim_src_kind src;
	double freq_hz;
	double level_dbm0;
	char digits[PSIM_DIGITS_MAX];
	unsigned hybrid_model;	/* PSIM_SRC_HYBRID: index, 0 = G.168 D.2 */
	double erl_db;		/* its echo return loss, dB */
	unsigned near_start_ms; /* near-end tone from then on (double talk) */
	int modem_tone;		/* PSIM_SRC_MODEM: MODEM_CONNECT_TONES_* */
	enum psim_sink_kind sink;
};

struct psim_audio;

/* Parses "tone:1004:-10", "dtmf:123#", "ramp", "echo", "silence",
 * "milliwatt", "hybrid:d2:12[:HZ:DBM0]", "modem:ansam-pr" into spec. Returns 0
 * or -EINVAL with a message. */
int psim_src_parse(struct psim_audio_spec *spec, const char *s, char *err,
		   size_t cap);
int psim_sink_parse(struct psim_audio_spec *spec, const char *s, char *err,
		    size_t cap);
const char *psim_src_name(enum psim_src_kind k);
const char *psim_sink_name(enum psim_sink_kind k);

struct psim_audio *psim_audio_new(const struct psim_audio_spec *spec,
				  enum tdm_law law);
void psim_audio_free(struct psim_audio *a);
/* Fills one block to send. */
void psim_audio_fill(struct psim_audio *a, uint8_t *buf, size_t n);
/* Takes one received block. */
void psim_audio_take(struct psim_audio *a, const uint8_t *buf, size_t n);
/* Writes the sink's findings as JSON members (no braces). */
void psim_audio_report(struct psim_audio *a, struct json_out *o);
/* Detected DTMF digits so far (NUL-terminated). */
const char *psim_audio_digits(const struct psim_audio *a);

/* ---- numbers and behaviours (psim_conf.c) ---- */

enum psim_behaviour {
	PSIM_B_ANSWER,	    /* alert after alert_ms, connect after answer_ms */
	PSIM_B_BUSY,	    /* cause 17 */
	PSIM_B_NOANSWER,    /* alert, cause 19 after noanswer_ms */
	PSIM_B_UNALLOCATED, /* cause 1 */
	PSIM_B_CONGESTION,  /* cause 34 */
	PSIM_B_REJECT,	    /* any cause */
	PSIM_B_ANNOUNCE,    /* PROGRESS PI=8 + audio, then answer or cause */
	PSIM_B_SILENT,	    /* no answer at all (the gateway's T303) */
	PSIM_B_PROCEEDING,  /* CALL PROCEEDING, then nothing */
	PSIM_B_GLARE,	    /* our own SETUP on the same channel, then 44;
			     * after glare_count collisions: answer */
};

struct psim_number {
	char pattern[PSIM_NUM_MAX]; /* exact, or prefix ending in '*' */
	enum psim_behaviour behaviour;
	unsigned alert_ms, answer_ms, noanswer_ms, announce_ms;
	unsigned hangup_ms; /* pstnsim clears answered calls after; 0 never */
	int cause;	    /* reject, announce-then-disconnect (0: answer) */
	struct psim_audio_spec audio;
	/* glare: the colliding call we place, and how many SETUPs collide */
	char glare_called[PSIM_NUM_MAX], glare_calling[PSIM_NUM_MAX];
	unsigned glare_count;
};

const char *psim_behaviour_name(enum psim_behaviour b);
int psim_behaviour_parse(const char *s, enum psim_behaviour *b);

/* ---- configuration ---- */

enum psim_driver {
	PSIM_DRV_SIM,
	PSIM_DRV_DAHDI,
};

struct psim_span_conf {
	bool present;
	unsigned no;
	enum tdm_layout layout;
	enum conf_switch sw;
	enum psim_driver driver;
	unsigned unit;		  /* dahdi span number */
	unsigned basechan;	  /* dahdi: 0 = find */
	unsigned blocksize;	  /* dahdi B-channel block */
	bool clock_aligned;	  /* sim: tick with every other aligned span,
				     not at this span's own phase */
	char pcap[CONF_PATH_MAX]; /* D-channel capture file, "" for none */
};

struct psim_conf {
	struct psim_span_conf span[PSIM_MAX_SPANS + 1];
	struct psim_number numbers[PSIM_MAX_NUMBERS];
	unsigned nnumbers;
	struct psim_number dflt; /* [number default] or answer */
	unsigned log_level;
	/* glare collisions done per number (index as numbers[], then dflt) */
	unsigned glares_done[PSIM_MAX_NUMBERS + 1];
};

int psim_conf_load(struct psim_conf *c, const char *path, char *err,
		   size_t cap);
/* Parses one number's settings from "key=value" pairs given by a getter
 * (used by the ctl `number` command). */
const struct psim_number *psim_number_match(const struct psim_conf *c,
					    const char *called);
/* Applies key=value to a number. Returns 0 or -EINVAL with message. */
int psim_number_set(struct psim_number *n, const char *key, const char *val,
		    char *err, size_t cap);
void psim_number_defaults(struct psim_number *n);

/* ---- the simulator ---- */

struct psim_call;
struct psim_span;

struct psim {
	struct loop *loop;
	struct psim_conf conf;
	struct psim_span *span[PSIM_MAX_SPANS + 1];
	struct psim_call *calls; /* list, newest first */
	unsigned next_call_id;
	int sim_fd; /* attach socket, -1 if none */
	struct loop_io sim_io;
	char sim_path[CONF_PATH_MAX];
	struct ctl *ctl;
	/* events */
	FILE *events_file;
	struct json_out ev; /* the event being built */
	char **ring;	    /* event lines (JSON objects), oldest first */
	uint64_t *ring_seq;
	unsigned ring_cap, ring_len, ring_head;
	uint64_t event_seq;
	uint64_t started_ms;
	bool quitting;
	/* sim clock: how late each span's tick ran after it was due (the
	 * gateway's wait for a block includes this; a card's would not) */
	struct media_lat_hist clock_late;
};

/* psim_event.c: an event is built by the caller between begin and end. */
struct json_out *psim_event_begin(struct psim *p, const char *type);
void psim_event_end(struct psim *p);
int psim_events_init(struct psim *p, const char *path, unsigned cap);
void psim_events_fini(struct psim *p);
/* Appends events with seq > since (at most max) to o as an array. */
void psim_events_put(struct psim *p, struct json_out *o, uint64_t since,
		     unsigned max);

/* psim_span.c */
int psim_span_new(struct psim *p, const struct psim_span_conf *c);
void psim_span_free(struct psim_span *s);
struct pri *psim_span_pri(struct psim_span *s);
unsigned psim_span_no(const struct psim_span *s);
enum tdm_law psim_span_law(const struct psim_span *s);
bool psim_span_is_bchan(const struct psim_span *s, unsigned ts);
bool psim_span_up(const struct psim_span *s);
/* Picks a free B-channel (descending, as networks hunt); 0 if none. */
unsigned psim_span_free_chan(const struct psim_span *s);
/* Whether timeslot ts is an idle, in-service B-channel. */
bool psim_span_chan_free(const struct psim_span *s, unsigned ts);
struct psim *psim_span_psim(const struct psim_span *s);
void psim_span_put(struct psim_span *s, struct json_out *o);
/* Faults and maintenance; each returns 0 or -errno with message. */
int psim_span_dchan(struct psim_span *s, bool up);
int psim_span_alarm(struct psim_span *s, unsigned alarms);
int psim_span_loss(struct psim_span *s, unsigned percent);
int psim_span_slip(struct psim_span *s, unsigned count);
int psim_span_restart(struct psim_span *s, unsigned ts);
int psim_span_service(struct psim_span *s, unsigned ts, int status);
/* Attaches a sim client (psim_host.c). */
int psim_span_attach(struct psim_span *s, int cfd, unsigned blocksize,
		     char *why, size_t cap);
/* B-channel audio I/O for a call: starts/stops the channel's media. */
void psim_span_media(struct psim_span *s, unsigned ts, struct psim_call *c);
/* Writes "queued": {"TS": blocks, ...}: how many blocks the gateway has
 * queued toward each sim B-channel of s, to be played one per tick (the
 * line's delay toward the PSTN, in blocks); empty for DAHDI spans. */
void psim_span_put_queue(struct psim_span *s, struct json_out *o);
void psim_span_chan_busy(struct psim_span *s, unsigned ts, bool busy);
/* Re-arms libpri's timer after an API call made outside the span. */
void psim_span_kick(struct psim_span *s);
/* Whether the next INFORMATION message sent on the span carries Sending
 * Complete (libpri's pri_information() never adds it; the IE is appended
 * on the wire). */
void psim_span_complete_next_info(struct psim_span *s, bool on);

/* psim_host.c */
int psim_host_listen(struct psim *p, const char *path, char *err, size_t cap);
void psim_host_close(struct psim *p);

/* psim_call.c */
struct psim_call_req {
	unsigned span;
	unsigned chan; /* 0: pick */
	char called[PSIM_NUM_MAX], calling[PSIM_NUM_MAX];
	int called_ton, calling_ton; /* PRI_NATIONAL_ISDN ... */
	int calling_pres;
	unsigned hangup_ms; /* clear after answer; 0 never */
	struct psim_audio_spec audio;
	/* overlap sending (Q.931 §5.2.4): SETUP without Sending Complete;
	 * after SETUP ACKNOWLEDGE each of overlap_digits in an INFORMATION,
	 * digit_gap_ms apart, the last with Sending Complete if asked */
	bool overlap;
	char overlap_digits[PSIM_NUM_MAX];
	unsigned digit_gap_ms;
	bool sending_complete;
};

void psim_call_event(struct psim_span *s, pri_event *e);
int psim_call_originate(struct psim *p, const struct psim_call_req *r,
			unsigned *id, char *err, size_t cap);
int psim_call_hangup(struct psim *p, unsigned id, int cause);
/* Places a pending originated call delay_ms from now. */
void psim_call_start(struct psim *p, unsigned id, unsigned delay_ms);
struct psim_call *psim_call_find(struct psim *p, unsigned id);
void psim_call_put(const struct psim_call *c, struct json_out *o);
struct psim_call *psim_call_next(const struct psim_call *c);
bool psim_call_active(const struct psim_call *c);
struct psim_span *psim_call_span(const struct psim_call *c);
unsigned psim_call_ts(const struct psim_call *c);
/* Forgets a call without signalling (its channel is being restarted). */
void psim_call_drop(struct psim_call *c, int cause);
/* Drops every call of a span without signalling (link lost). */
void psim_call_drop_span(struct psim *p, struct psim_span *s, int cause);
/* Media callbacks from the span's clock. */
void psim_call_fill(struct psim_call *c, uint8_t *buf, size_t n);
void psim_call_take(struct psim_call *c, const uint8_t *buf, size_t n);
unsigned psim_call_count(const struct psim *p);
void psim_calls_free(struct psim *p);

/* psim_ctl.c */
int psim_ctl_open(struct psim *p, const char *path, char *err, size_t cap);

#endif
