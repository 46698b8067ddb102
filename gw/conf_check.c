/*
 * Validation of a loaded configuration across keys and sections (derived
 * defaults, layouts, channel maps, duplicate physical spans, trunk group
 * membership, listeners), and the names of the configuration's enums.
 */
#include <errno.h>
#include <libpri.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "call/cause.h"
#include "conf_check.h"
#include "conf_keys.h"
#include "media/ec.h"
#include "media/tones.h"
#include "sip/sip_acl.h"
#include "sip/sip_tp.h"
#include "sip/sip_uri.h"

/* Key indexes in the span table, for set_mask and key_line. */
static unsigned span_key(const char *name)
{
	int i = conf_key_find(&conf_sec_span, name);
	return i < 0 ? 0 : (unsigned)i;
}

static bool span_set(const struct conf_span *s, const char *key)
{
	return s->set_mask & (1ull << span_key(key));
}

__attribute__((format(printf, 5, 6))) static int fail_at(const struct conf *c,
							 unsigned line,
							 char *err, size_t cap,
							 const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(err, cap, "%s:%u: ", c->path, line);
	va_start(ap, fmt);
	if (n < cap)
		vsnprintf(err + n, cap - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Line of a span key if set, else of the section header. */
static unsigned span_line(const struct conf_span *s, const char *key)
{
	return span_set(s, key) ? s->key_line[span_key(key)] : s->line;
}

static int check_span_required(const struct conf *c, struct conf_span *s,
			       char *err, size_t cap)
{
	if (!span_set(s, "driver"))
		return fail_at(c, s->line, err, cap,
			       "span %u: missing driver (sim or dahdi)", s->no);
	if (!tdm_backend(s->driver))
		return fail_at(c, span_line(s, "driver"), err, cap,
			       "span %u: unknown driver '%s' (sim or dahdi)",
			       s->no, s->driver);
	if (!span_set(s, "type"))
		return fail_at(c, s->line, err, cap,
			       "span %u: missing type (e1 or t1)", s->no);
	bool sim = strcmp(s->driver, "sim") == 0;
	if (sim && !s->device[0])
		return fail_at(c, s->line, err, cap,
			       "span %u: driver sim needs device (the "
			       "simulator's socket)",
			       s->no);
	if (!sim && s->device[0])
		return fail_at(c, span_line(s, "device"), err, cap,
			       "span %u: device is for driver sim", s->no);
	if (sim && s->basechan)
		return fail_at(c, span_line(s, "basechan"), err, cap,
			       "span %u: basechan is for driver dahdi", s->no);
	return 0;
}

static int check_span_switch(const struct conf *c, struct conf_span *s,
			     char *err, size_t cap)
{
	if (!span_set(s, "switch"))
		s->switchtype =
		    s->layout == TDM_E1 ? CONF_SW_EUROISDN : CONF_SW_NI2;
	bool t1_only =
	    s->switchtype == CONF_SW_NI2 || s->switchtype == CONF_SW_5ESS ||
	    s->switchtype == CONF_SW_DMS100 || s->switchtype == CONF_SW_4ESS;
	if (t1_only && s->layout == TDM_E1)
		return fail_at(c, span_line(s, "switch"), err, cap,
			       "span %u: switch %s is a T1 variant; this span "
			       "is an E1",
			       s->no, conf_switch_name(s->switchtype));
	bool has = conf_switch_has_service(s->switchtype);
	if (!span_set(s, "service_messages"))
		s->service_messages = has;
	else if (s->service_messages && !has)
		return fail_at(c, span_line(s, "service_messages"), err, cap,
			       "span %u: switch %s has no SERVICE messages",
			       s->no, conf_switch_name(s->switchtype));
	return 0;
}

static int check_span_channels(const struct conf *c, struct conf_span *s,
			       char *err, size_t cap)
{
	unsigned nts = tdm_layout_timeslots(s->layout);
	unsigned dch = tdm_layout_dchan(s->layout);
	uint32_t all = 0;
	for (unsigned ts = 1; ts <= nts; ts++)
		if (ts != dch)
			all |= 1u << ts;
	if (!span_set(s, "channels")) {
		s->channels = all;
		return 0;
	}
	unsigned line = span_line(s, "channels");
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++) {
		if (!(s->channels & (1u << ts)))
			continue;
		if (ts == dch)
			return fail_at(c, line, err, cap,
				       "span %u: channel %u is the "
				       "D-channel",
				       s->no, ts);
		if (ts > nts)
			return fail_at(c, line, err, cap,
				       "span %u: channel %u does not exist on "
				       "a%s %s (1-%u)",
				       s->no, ts,
				       s->layout == TDM_E1 ? "n" : "",
				       tdm_layout_name(s->layout), nts);
	}
	return 0;
}

/* Two spans must not name the same physical span. */
static int check_span_unique(const struct conf *c, const struct conf_span *s,
			     char *err, size_t cap)
{
	for (unsigned o = 1; o < s->no; o++) {
		const struct conf_span *p = c->span[o];
		if (!p || strcmp(p->driver, s->driver) != 0 ||
		    p->unit != s->unit || strcmp(p->device, s->device) != 0)
			continue;
		return fail_at(c, s->line, err, cap,
			       "span %u: same %s span (unit %u) as span %u",
			       s->no, s->driver, s->unit, p->no);
	}
	/* DAHDI channel numbers given explicitly must not overlap */
	if (strcmp(s->driver, "dahdi") != 0 || !s->basechan)
		return 0;
	unsigned lo = s->basechan, hi = lo + tdm_layout_timeslots(s->layout);
	for (unsigned o = 1; o < s->no; o++) {
		const struct conf_span *p = c->span[o];
		if (!p || strcmp(p->driver, "dahdi") != 0 || !p->basechan)
			continue;
		unsigned plo = p->basechan,
			 phi = plo + tdm_layout_timeslots(p->layout);
		if (lo < phi && plo < hi)
			return fail_at(c, s->line, err, cap,
				       "span %u: DAHDI channel %u is also "
				       "in span %u (channels %u-%u)",
				       s->no, lo > plo ? lo : plo, p->no, plo,
				       phi - 1);
	}
	return 0;
}

static int check_span(const struct conf *c, struct conf_span *s, char *err,
		      size_t cap)
{
	int rc;
	if ((rc = check_span_required(c, s, err, cap)) ||
	    (rc = check_span_switch(c, s, err, cap)) ||
	    (rc = check_span_channels(c, s, err, cap)))
		return rc;
	if (!span_set(s, "unit"))
		s->unit = s->no;
	if (s->blocksize % 8)
		return fail_at(c, span_line(s, "blocksize"), err, cap,
			       "span %u: blocksize %u is not a whole number "
			       "of milliseconds (multiple of 8)",
			       s->no, s->blocksize);
	return check_span_unique(c, s, err, cap);
}

static int tg_line(const struct conf_tg *tg, const char *key)
{
	int k = conf_key_find(&conf_sec_tg, key);
	return k >= 0 && tg->key_line[k] ? (int)tg->key_line[k] : (int)tg->line;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Prefix list "49, 4930" or "*": digits only, each at most 15 long. */
static int check_prefixes(const struct conf *c, const struct conf_tg *tg,
			  char *err, size_t cap)
{
	const char *p = tg->prefixes;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (!n)
			break;
		if (!(n == 1 && *p == '*') && (n > 15 || !all_digits(p, n)))
			return fail_at(c, (unsigned)tg_line(tg, "prefixes"),
				       err, cap,
				       "trunk group %s: bad prefix "
				       "'%.*s': digits of an E.164 number, "
				       "or *",
				       tg->name, (int)n, p);
		p += n;
	}
	return 0;
}

static int check_tg_values(const struct conf *c, const struct conf_tg *tg,
			   char *err, size_t cap)
{
	int rc = check_prefixes(c, tg, err, cap);
	if (rc)
		return rc;
	static const char *const digit_keys[] = {
	    "country_code",
	    "area_code",
	    "national_prefix",
	    "intl_prefix",
	};
	const char *vals[] = {tg->country_code, tg->area_code,
			      tg->national_prefix, tg->intl_prefix};
	for (unsigned i = 0; i < 4; i++)
		if (!all_digits(vals[i], strlen(vals[i])))
			return fail_at(c, (unsigned)tg_line(tg, digit_keys[i]),
				       err, cap,
				       "trunk group %s: %s '%s' "
				       "must be digits",
				       tg->name, digit_keys[i], vals[i]);
	char msg[160];
	struct cause_map map;
	cause_map_init(&map);
	if (cause_map_parse_q850(&map, tg->causes_q850, msg, sizeof(msg)))
		return fail_at(c, (unsigned)tg_line(tg, "causes_q850"), err,
			       cap, "trunk group %s: causes_q850: %s", tg->name,
			       msg);
	if (cause_map_parse_sip(&map, tg->causes_sip, msg, sizeof(msg)))
		return fail_at(c, (unsigned)tg_line(tg, "causes_sip"), err, cap,
			       "trunk group %s: causes_sip: %s", tg->name, msg);
	if (tg->max_digits && tg->max_digits < tg->min_digits)
		return fail_at(c, (unsigned)tg_line(tg, "max_digits"), err, cap,
			       "trunk group %s: max_digits %u is below "
			       "min_digits %u",
			       tg->name, tg->max_digits, tg->min_digits);
	if (tg->ec_tail_ms % EC_TAIL_MS_STEP)
		return fail_at(c, (unsigned)tg_line(tg, "ec_tail_ms"), err, cap,
			       "trunk group %s: ec_tail_ms %u is not a "
			       "multiple of %u ms",
			       tg->name, tg->ec_tail_ms, EC_TAIL_MS_STEP);
	if (tones_set_check(tg->tones))
		return fail_at(c, (unsigned)tg_line(tg, "tones"), err, cap,
			       "trunk group %s: unknown tone set '%s' (us, uk, "
			       "de)",
			       tg->name, tg->tones);
	if (tg->sip_dest[0]) {
		struct sip_uri u;
		struct sip_peer peer;
		if (sip_uri_parse(&u, pl_from(tg->sip_dest)) ||
		    (u.scheme != SIP_SCHEME_SIP &&
		     u.scheme != SIP_SCHEME_SIPS) ||
		    sip_tp_uri_peer(&u, &peer))
			return fail_at(c, (unsigned)tg_line(tg, "sip_dest"),
				       err, cap,
				       "trunk group %s: sip_dest "
				       "'%s' is not a sip: or sips: URI with a "
				       "numeric host",
				       tg->name, tg->sip_dest);
	}
	return 0;
}

static int check_tgs(const struct conf *c, char *err, size_t cap)
{
	const struct conf_tg *owner[CONF_MAX_SPANS + 1] = {0};
	for (unsigned t = 0; t < c->ntg; t++) {
		const struct conf_tg *tg = &c->tg[t];
		unsigned line = tg->key_line[0] ? tg->key_line[0] : tg->line;
		if (!tg->nspans)
			return fail_at(c, tg->line, err, cap,
				       "trunk group %s: missing spans",
				       tg->name);
		for (unsigned i = 0; i < tg->nspans; i++) {
			unsigned no = tg->spans[i];
			if (!c->span[no])
				return fail_at(c, line, err, cap,
					       "trunk group %s: no span %u",
					       tg->name, no);
			if (owner[no])
				return fail_at(c, line, err, cap,
					       "trunk group %s: span %u is "
					       "already in trunk group %s",
					       tg->name, no, owner[no]->name);
			owner[no] = tg;
		}
		int rc = check_tg_values(c, tg, err, cap);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_sip(const struct conf *c, char *err, size_t cap)
{
	const struct conf_sip *sip = &c->sip;
	unsigned line = sip->key_line[0];
	for (unsigned i = 0; i < sip->nlisten; i++) {
		const struct conf_listen *l = &sip->listen[i];
		if (l->transport == CONF_TP_TLS &&
		    (!sip->tls_cert[0] || !sip->tls_key[0]))
			return fail_at(c, line, err, cap,
				       "sip: a tls listener needs tls_cert and "
				       "tls_key");
		for (unsigned j = 0; j < i; j++) {
			const struct conf_listen *m = &sip->listen[j];
			bool stream = l->transport != CONF_TP_UDP &&
				      m->transport != CONF_TP_UDP;
			if ((l->transport == m->transport || stream) &&
			    l->port == m->port && !strcmp(l->host, m->host))
				return fail_at(c, line, err, cap,
					       "sip: %s:%u listed twice",
					       l->host, l->port);
		}
	}
	if (sip->rtp_port_min >= sip->rtp_port_max)
		return fail_at(
		    c,
		    sip->key_line[conf_key_find(&conf_sec_sip, "rtp_port_max")],
		    err, cap,
		    "sip: rtp_port_max %u must be above "
		    "rtp_port_min %u",
		    sip->rtp_port_max, sip->rtp_port_min);
	/* the list the UA core parses again at start (sip_ua_new) */
	struct sip_acl acl;
	char why[128];
	if (sip_acl_parse(&acl, sip->trusted, why, sizeof(why)))
		return fail_at(
		    c, sip->key_line[conf_key_find(&conf_sec_sip, "trusted")],
		    err, cap,
		    "sip: trusted: %s (want a list of address/bits "
		    "such as 10.0.0.0/8, ::1/128)",
		    why);
	if (sip->auth_user[0] && !sip->auth_password[0])
		return fail_at(
		    c, sip->key_line[conf_key_find(&conf_sec_sip, "auth_user")],
		    err, cap, "sip: auth_user needs auth_password");
	return 0;
}

int conf_check(struct conf *c, char *err, size_t cap)
{
	int rc;
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++)
		if (c->span[no] && (rc = check_span(c, c->span[no], err, cap)))
			return rc;
	if ((rc = check_tgs(c, err, cap)) || (rc = check_sip(c, err, cap)))
		return rc;
	if (!c->general.control_socket[0])
		return fail_at(c,
			       c->general.key_line[conf_key_find(
				   &conf_sec_general, "control_socket")],
			       err, cap,
			       "general: control_socket must not be empty");
	return 0;
}

const char *conf_switch_name(enum conf_switch sw)
{
	switch (sw) {
	case CONF_SW_EUROISDN:
		return "euroisdn";
	case CONF_SW_NI2:
		return "ni2";
	case CONF_SW_5ESS:
		return "5ess";
	case CONF_SW_DMS100:
		return "dms100";
	case CONF_SW_4ESS:
		return "4ess";
	case CONF_SW_QSIG:
		return "qsig";
	}
	return "?";
}

int conf_switch_pri(enum conf_switch sw, enum tdm_layout layout)
{
	switch (sw) {
	case CONF_SW_EUROISDN:
		return layout == TDM_T1 ? PRI_SWITCH_EUROISDN_T1
					: PRI_SWITCH_EUROISDN_E1;
	case CONF_SW_NI2:
		return PRI_SWITCH_NI2;
	case CONF_SW_5ESS:
		return PRI_SWITCH_LUCENT5E;
	case CONF_SW_DMS100:
		return PRI_SWITCH_DMS100;
	case CONF_SW_4ESS:
		return PRI_SWITCH_ATT4ESS;
	case CONF_SW_QSIG:
		return PRI_SWITCH_QSIG;
	}
	return PRI_SWITCH_UNKNOWN;
}

bool conf_switch_has_service(enum conf_switch sw)
{
	switch (sw) {
	case CONF_SW_NI2:
	case CONF_SW_5ESS:
	case CONF_SW_4ESS:
		return true;
	case CONF_SW_EUROISDN:
	case CONF_SW_DMS100:
	case CONF_SW_QSIG:
		return false;
	}
	return false;
}

const char *conf_side_name(enum conf_side side)
{
	switch (side) {
	case CONF_SIDE_CPE:
		return "cpe";
	case CONF_SIDE_NET:
		return "net";
	}
	return "?";
}

const char *conf_hunt_name(enum conf_hunt hunt)
{
	switch (hunt) {
	case CONF_HUNT_ASCENDING:
		return "ascending";
	case CONF_HUNT_DESCENDING:
		return "descending";
	case CONF_HUNT_ROUNDROBIN:
		return "roundrobin";
	}
	return "?";
}

const char *conf_transport_name(enum conf_transport tp)
{
	switch (tp) {
	case CONF_TP_UDP:
		return "udp";
	case CONF_TP_TCP:
		return "tcp";
	case CONF_TP_TLS:
		return "tls";
	}
	return "?";
}
