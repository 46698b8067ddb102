/*
 * The call layer: receives ISDN call events and media events and decides
 * what each call becomes. Until SIP routing exists, an incoming call is
 * either a test line (answered locally: audio loopback or the digital
 * milliwatt, the classic carrier test numbers) or rejected with Q.850
 * cause 3 "no route to destination".
 */
#ifndef GW_CALL_H
#define GW_CALL_H

#include "gw.h"
#include "isdn/isdn.h"
#include "media/media.h"

/* Creates the call table for gw. Returns 0 or -errno. */
int call_table_new(struct gw *gw);
void call_table_free(struct gw *gw);

/* isdn_handlers.call_event target: arg is the struct gw. */
void call_on_isdn(void *arg, struct isdn_call *ic, const struct isdn_call_ev *ev);
/* media_handlers.stopped target: arg is the struct gw. */
void call_on_media_stopped(void *arg, struct media_chan *mc);

/* Calls that exist (any state). */
unsigned call_count(const struct gw *gw);

#endif
