/*
 * The call layer: joins one SIP leg and one ISDN leg per call (both
 * directions), routes SIP calls to trunk groups by number prefix (until
 * LCR exists), hunts B-channels, maps numbers, presentation, redirection,
 * progress and causes, and clears the other leg whenever one goes. Also
 * answers the classic carrier test lines (loopback, milliwatt) locally.
 */
#ifndef GW_CALL_H
#define GW_CALL_H

#include <stdio.h>

#include "gw.h"
#include "isdn/isdn.h"
#include "media/media.h"
#include "sip/sip_sess.h"

/* Creates the call table for gw (trunk groups from gw->conf). Returns 0 or
 * -errno. */
int call_table_new(struct gw *gw);
void call_table_free(struct gw *gw);
/* Applies gw->conf's trunk groups after a reload. Returns 0 or -errno. */
int call_table_reload(struct gw *gw);

/* isdn_handlers.call_event target: arg is the struct gw. */
void call_on_isdn(void *arg, struct isdn_call *ic,
		  const struct isdn_call_ev *ev);
/* media_handlers.stopped target: arg is the struct gw. */
void call_on_media_stopped(void *arg, struct media_chan *mc);
/* media_handlers.rtp_timeout target: ends the call with cause 41. */
void call_on_media_rtp_timeout(void *arg, struct media_chan *mc);
/* media_handlers.tone target: logs modem/fax connect tones of a call. */
void call_on_media_tone(void *arg, struct media_chan *mc, uint64_t tones);
/* The SIP UA's handlers (arg: the struct gw). */
extern const struct sip_ua_handlers call_ua_handlers;

/* Clears every call with cause (shutdown); SIP callers not yet answered
 * get cause 41 (503) instead, so a proxy fails over. Returns how many
 * were up. */
unsigned call_hangup_all(struct gw *gw, int cause);

/* Calls that exist (any state). */
unsigned call_count(const struct gw *gw);

struct json_out;
/* Writes the calls as a JSON array value for the control socket. */
void call_list_json(const struct gw *gw, struct json_out *o);
/* Writes the effective cause map of trunk group tg (NULL: defaults). */
int call_causes_json(const struct gw *gw, const char *tg, struct json_out *o,
		     char *err, size_t cap);

#endif
