/*
 * Incoming ISDN calls before SIP routing exists: test lines and rejection.
 * A test-line call owns its B-channel while its media runs; it is freed
 * when both the ISDN call is released and the media worker has let go of
 * the channel, in whichever order those happen.
 */
#include <errno.h>
#include <libpri.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "conf.h"
#include "log.h"

/* One locally answered call. Owned by the call table. */
struct call {
	struct call *next;
	struct gw *gw;
	struct isdn_call *ic; /* NULL once released */
	struct tdm_bchan *bchan;
	struct media_chan *mc; /* NULL once stopped */
	unsigned id;
	enum media_mode mode;
};

struct call_table {
	struct call *head;
	unsigned n;
};

int call_table_new(struct gw *gw)
{
	gw->calls = calloc(1, sizeof(*gw->calls));
	return gw->calls ? 0 : -ENOMEM;
}

void call_table_free(struct gw *gw)
{
	struct call_table *t = gw->calls;
	if (!t)
		return;
	while (t->head) {
		struct call *c = t->head;
		t->head = c->next;
		media_chan_free(c->mc);
		tdm_bchan_close(c->bchan);
		free(c);
	}
	free(t);
	gw->calls = NULL;
}

unsigned call_count(const struct gw *gw)
{
	return gw->calls ? gw->calls->n : 0;
}

static void call_maybe_free(struct call *c)
{
	if (c->ic || c->mc)
		return;
	struct call_table *t = c->gw->calls;
	for (struct call **pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	t->n--;
	tdm_bchan_close(c->bchan);
	free(c);
}

static int testline_mode(const struct conf *conf, const char *called,
			 enum media_mode *mode)
{
	const struct conf_general *g = &conf->general;
	if (g->test_loopback[0] && strcmp(called, g->test_loopback) == 0) {
		*mode = MEDIA_MODE_LOOPBACK;
		return 0;
	}
	if (g->test_milliwatt[0] && strcmp(called, g->test_milliwatt) == 0) {
		*mode = MEDIA_MODE_MILLIWATT;
		return 0;
	}
	return -ENOENT;
}

/* Answers a test-line call and starts its media. Returns a Q.850 cause to
 * reject with, or 0. */
static int testline_answer(struct gw *gw, struct isdn_call *ic,
			   enum media_mode mode)
{
	struct isdn_span *span = isdn_call_span(ic);
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->gw = gw;
	c->ic = ic;
	c->id = isdn_call_id(ic);
	c->mode = mode;
	int rc = isdn_call_bchan_open(ic, &c->bchan);
	if (rc) {
		log_warn("call %u: cannot open B-channel %u/%u: %s", c->id,
			 isdn_span_no(span), isdn_call_ts(ic), strerror(-rc));
		goto fail;
	}
	struct media_chan_conf mcc = {
		.bchan = c->bchan, .law = c->bchan->span->law, .mode = mode,
		.call_id = c->id,
	};
	if (media_chan_start(gw->media, &mcc, &c->mc))
		goto fail;
	isdn_call_set_user(ic, c);
	c->next = gw->calls->head;
	gw->calls->head = c;
	gw->calls->n++;
	isdn_call_answer(ic);
	log_info("call %u span %u/%u: test line (%s) answered", c->id,
		 isdn_span_no(span), isdn_call_ts(ic),
		 mode == MEDIA_MODE_LOOPBACK ? "loopback" : "milliwatt");
	return 0;
fail:
	if (c)
		tdm_bchan_close(c->bchan);
	free(c);
	return PRI_CAUSE_SWITCH_CONGESTION;
}

static void on_setup(struct gw *gw, struct isdn_call *ic,
		     const struct isdn_setup *st)
{
	enum media_mode mode;
	int cause = PRI_CAUSE_NO_ROUTE_DESTINATION;
	if (gw->shutting_down)
		cause = PRI_CAUSE_NORMAL_TEMPORARY_FAILURE;
	else if (testline_mode(gw->conf, st->called, &mode) == 0)
		cause = testline_answer(gw, ic, mode);
	if (!cause)
		return;
	log_info("call %u span %u/%u: '%s' -> '%s' rejected with cause %d",
		 isdn_call_id(ic), isdn_span_no(isdn_call_span(ic)),
		 isdn_call_ts(ic), st->calling, st->called, cause);
	isdn_call_hangup(ic, cause);
}

void call_on_isdn(void *arg, struct isdn_call *ic, const struct isdn_call_ev *ev)
{
	struct gw *gw = arg;
	struct call *c = isdn_call_user(ic);
	switch (ev->type) {
	case ISDN_CALL_SETUP:
		on_setup(gw, ic, ev->setup);
		break;
	case ISDN_CALL_DISCONNECT:
		/* Q.931 §5.3.4: answer a DISCONNECT by releasing */
		isdn_call_hangup(ic, PRI_CAUSE_NORMAL_CLEARING);
		break;
	case ISDN_CALL_RELEASED:
		if (!c)
			break;
		log_info("call %u: released, cause %d", c->id, ev->cause);
		c->ic = NULL;
		if (c->mc)
			media_chan_stop(gw->media, c->mc);
		call_maybe_free(c);
		break;
	case ISDN_CALL_INFO:
	case ISDN_CALL_SETUP_ACK:
	case ISDN_CALL_PROCEEDING:
	case ISDN_CALL_ALERTING:
	case ISDN_CALL_PROGRESS:
	case ISDN_CALL_CONNECT:
		break;
	}
}

void call_on_media_stopped(void *arg, struct media_chan *mc)
{
	struct gw *gw = arg;
	for (struct call *c = gw->calls->head; c; c = c->next) {
		if (c->mc == mc) {
			media_chan_free(mc);
			c->mc = NULL;
			call_maybe_free(c);
			return;
		}
	}
	media_chan_free(mc);
}
