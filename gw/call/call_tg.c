/*
 * Trunk groups as the call layer uses them: built from the configuration
 * (kept by name across reloads, so calls may keep pointing at them),
 * prefix routing of E.164 numbers until LCR exists, admission (concurrent
 * calls and calls per second), per-group cause maps and numbering plans.
 */
#include <errno.h>
#include <libpri.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "log.h"

static struct call_tg *tg_find(struct call_table *t, const char *name)
{
	for (struct call_tg *tg = t->tgs; tg; tg = tg->next)
		if (strcmp(tg->conf.name, name) == 0)
			return tg;
	return NULL;
}

static int tg_apply(struct call_tg *tg, const struct conf_tg *conf)
{
	char err[160];
	tg->conf = *conf;
	tg->gone = false;
	cause_map_init(&tg->causes);
	if (cause_map_parse_q850(&tg->causes, conf->causes_q850, err,
				 sizeof(err)) ||
	    cause_map_parse_sip(&tg->causes, conf->causes_sip, err,
				sizeof(err))) {
		/* conf_check() validated these already */
		log_err("trunk group %s: %s", conf->name, err);
		return -EINVAL;
	}
	struct number_plan *np = &tg->plan;
	memset(np, 0, sizeof(*np));
	snprintf(np->country_code, sizeof(np->country_code), "%s",
		 conf->country_code);
	snprintf(np->area_code, sizeof(np->area_code), "%s", conf->area_code);
	snprintf(np->national_prefix, sizeof(np->national_prefix), "%s",
		 conf->national_prefix);
	snprintf(np->intl_prefix, sizeof(np->intl_prefix), "%s",
		 conf->intl_prefix);
	np->called_format = (enum number_format)conf->called_format;
	np->calling_format = (enum number_format)conf->calling_format;
	return 0;
}

int call_tg_sync(struct gw *gw)
{
	struct call_table *t = gw->calls;
	for (struct call_tg *tg = t->tgs; tg; tg = tg->next)
		tg->gone = true;
	for (unsigned i = 0; i < gw->conf->ntg; i++) {
		const struct conf_tg *conf = &gw->conf->tg[i];
		struct call_tg *tg = tg_find(t, conf->name);
		if (!tg) {
			tg = calloc(1, sizeof(*tg));
			if (!tg)
				return -ENOMEM;
			struct call_tg **pp = &t->tgs;
			while (*pp)
				pp = &(*pp)->next;
			*pp = tg;
		}
		int rc = tg_apply(tg, conf);
		if (rc)
			return rc;
	}
	return 0;
}

struct call_tg *call_tg_for_span(struct gw *gw, unsigned span_no)
{
	for (struct call_tg *tg = gw->calls->tgs; tg; tg = tg->next) {
		if (tg->gone)
			continue;
		for (unsigned i = 0; i < tg->conf.nspans; i++)
			if (tg->conf.spans[i] == span_no)
				return tg;
	}
	return NULL;
}

/* Length of the longest prefix of tg matching e164, or -1. "*" is 0. */
static int tg_match(const struct call_tg *tg, const char *e164)
{
	int best = -1;
	const char *p = tg->conf.prefixes;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (!n)
			break;
		if (n == 1 && *p == '*') {
			if (best < 0)
				best = 0;
		} else if (strncmp(e164, p, n) == 0 && (int)n > best) {
			best = (int)n;
		}
		p += n;
	}
	return best;
}

unsigned call_tg_route(struct gw *gw, const char *e164, struct call_tg **out,
		       unsigned cap)
{
	int len[CONF_MAX_TGS];
	unsigned n = 0;
	for (struct call_tg *tg = gw->calls->tgs; tg && n < cap;
	     tg = tg->next) {
		if (tg->gone)
			continue;
		int m = tg_match(tg, e164);
		if (m < 0)
			continue;
		/* insertion sort: longer match first, config order kept */
		unsigned i = n++;
		while (i > 0 && len[i - 1] < m) {
			out[i] = out[i - 1];
			len[i] = len[i - 1];
			i--;
		}
		out[i] = tg;
		len[i] = m;
	}
	return n;
}

int call_tg_admit(struct call_tg *tg, uint64_t now_ms)
{
	if (tg->conf.max_calls && tg->active >= tg->conf.max_calls) {
		tg->calls_refused_full++;
		return PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
	}
	if (tg->conf.max_cps) {
		uint64_t sec = now_ms / 1000;
		if (sec != tg->cps_sec) {
			tg->cps_sec = sec;
			tg->cps_count = 0;
		}
		if (tg->cps_count >= tg->conf.max_cps) {
			tg->calls_refused_rate++;
			return PRI_CAUSE_SWITCH_CONGESTION;
		}
		tg->cps_count++;
	}
	tg->calls_total++;
	return 0;
}

const struct cause_map *call_causes(const struct call *c)
{
	return c->tg ? &c->tg->causes : &c->gw->calls->default_causes;
}
