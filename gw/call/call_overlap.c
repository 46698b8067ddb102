/*
 * Overlap receiving on PSTN->SIP calls (Q.931 §5.2.4), per trunk group
 * (`overlap = yes`; en-bloc otherwise, where every SETUP is taken as
 * complete). A SETUP without Sending Complete is answered with SETUP
 * ACKNOWLEDGE and T302 starts; each INFORMATION appends its digits to the
 * called number and restarts T302. The call is offered to the SIP side
 * (one INVITE with the whole number) when Sending Complete arrives, when
 * the number reaches max_digits, or when T302 expires with at least
 * min_digits digits; with fewer it is cleared with cause 28, invalid
 * number format (incomplete number), as §5.2.4.3 asks.
 */
#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "call_int.h"
#include "log.h"

/* Whether called is long enough to be complete without being told. */
static bool max_reached(const struct call_tg *tg, const char *called)
{
	return tg->conf.max_digits && strlen(called) >= tg->conf.max_digits;
}

bool call_overlap_wanted(const struct call_tg *tg, const struct isdn_setup *st)
{
	return tg->conf.overlap && !st->complete &&
	       !max_reached(tg, st->called);
}

/* The number is complete (or will not get any longer): offer the call. */
static void overlap_done(struct call *c, const char *why)
{
	loop_timer_stop(c->gw->loop, &c->t302);
	c->overlap = false;
	size_t n = strlen(c->setup.called);
	log_info("call %u: called number '%s' complete (%s)", c->id,
		 c->setup.called, why);
	if (n < c->tg->conf.min_digits) {
		/* Q.931 §5.2.4.3: the information is definitely incomplete */
		log_info("call %u: %zu digits, fewer than min_digits %u: "
			 "clearing with cause 28",
			 c->id, n, c->tg->conf.min_digits);
		call_abort(c, PRI_CAUSE_INVALID_NUMBER_FORMAT);
		return;
	}
	c->setup.complete = true;
	int cause = call_pstn_offer(c, &c->setup);
	if (cause)
		call_abort(c, cause);
}

static void t302_fire(struct loop_timer *t)
{
	struct call *c = t->arg;
	if (c->overlap && c->state == CALL_ST_ROUTING)
		overlap_done(c, "T302 expired");
}

static void t302_restart(struct call *c)
{
	loop_timer_start(c->gw->loop, &c->t302,
			 (uint64_t)c->tg->conf.t302_s * 1000);
}

int call_overlap_start(struct call *c, const struct isdn_setup *st)
{
	c->setup = *st;
	/* Q.931 §5.2.4.1: SETUP ACKNOWLEDGE, then T302 */
	if (isdn_call_setup_ack(c->ic))
		return PRI_CAUSE_NORMAL_TEMPORARY_FAILURE;
	c->overlap = true;
	c->t302.fn = t302_fire;
	t302_restart(c);
	log_info("call %u: overlap receiving: '%s' so far, T302 %u s", c->id,
		 st->called, c->tg->conf.t302_s);
	return 0;
}

void call_overlap_info(struct call *c, const char *digits, bool complete)
{
	if (!c->overlap || c->state != CALL_ST_ROUTING)
		return;
	struct isdn_setup *st = &c->setup;
	size_t have = strlen(st->called), add = strlen(digits);
	if (have + add >= sizeof(st->called)) {
		/* longer than any number there is (E.164: 15 digits) */
		log_notice("call %u: called number longer than %zu digits: "
			   "clearing with cause 28",
			   c->id, sizeof(st->called) - 1);
		c->overlap = false;
		call_abort(c, PRI_CAUSE_INVALID_NUMBER_FORMAT);
		return;
	}
	memcpy(st->called + have, digits, add + 1);
	if (complete)
		overlap_done(c, "sending complete");
	else if (max_reached(c->tg, st->called))
		overlap_done(c, "max_digits");
	else
		t302_restart(c);
}
