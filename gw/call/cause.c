/*
 * Cause mapping tables (see cause.h). The defaults are the rows of RFC 3398
 * §7.2.4.1 and §8.2.6.1; values the RFC leaves open are filled by the
 * class of the cause or status, as documented at each table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"

struct pair {
	uint16_t from, to;
};

/* RFC 3398 §7.2.4.1: ISUP (Q.850) cause -> SIP response. Cause 16 has no
 * response in the RFC (it becomes BYE/CANCEL); when a final response is
 * needed before answer we send 480. */
static const struct pair q850_to_sip_rfc[] = {
    {1, 404},	{2, 404},   {3, 404},  {16, 480}, {17, 486}, {18, 408},
    {19, 480},	{20, 480},  {21, 403}, {22, 410}, {23, 410}, {26, 404},
    {27, 502},	{28, 484},  {29, 501}, {31, 480}, {34, 503}, {38, 503},
    {41, 503},	{42, 503},  {47, 503}, {55, 403}, {57, 403}, {58, 503},
    {65, 488},	{70, 488},  {79, 501}, {87, 403}, {88, 503}, {102, 504},
    {111, 500}, {127, 500},
};

/* RFC 3398 §8.2.6.1: SIP response -> ISUP (Q.850) cause. 487 has no
 * mapping there (we map it to 127); 488 and 606 are "by Warning header":
 * without a usable Warning we send 65, bearer capability not implemented,
 * since they refuse the media. */
static const struct pair sip_to_q850_rfc[] = {
    {400, 41},	{401, 21},  {402, 21},	{403, 21},  {404, 1},	{405, 63},
    {406, 79},	{407, 21},  {408, 102}, {410, 22},  {413, 127}, {414, 127},
    {415, 79},	{416, 127}, {420, 127}, {421, 127}, {423, 127}, {480, 18},
    {481, 41},	{482, 25},  {483, 25},	{484, 28},  {485, 1},	{486, 17},
    {487, 127}, {488, 65},  {500, 41},	{501, 79},  {502, 38},	{503, 41},
    {504, 102}, {505, 127}, {513, 127}, {600, 17},  {603, 21},	{604, 1},
    {606, 65},
};

/* Q.850 cause classes (Q.850 §2.2.7.1), for causes the RFC does not list. */
static int class_default_sip(int cause)
{
	if (cause < 32)
		return 480; /* normal event */
	if (cause < 48)
		return 503; /* resource unavailable */
	if (cause < 64)
		return 503; /* service or option not available */
	if (cause < 80)
		return 501; /* service or option not implemented */
	return 500;	    /* invalid message, protocol error, interworking */
}

/* For statuses the RFC does not list: by response class. */
static int class_default_q850(int status)
{
	if (status < 400)
		return 127; /* a redirect we do not follow: interworking */
	if (status < 500)
		return 21; /* request failure: call rejected */
	if (status < 600)
		return 41; /* server failure: temporary, worth a retry */
	return 31;	   /* global failure: normal, unspecified */
}

void cause_map_init(struct cause_map *m)
{
	memset(m, 0, sizeof(*m));
	for (int c = 0; c <= CAUSE_MAX; c++)
		m->to_sip[c] = (uint16_t)class_default_sip(c);
	for (int s = CAUSE_SIP_MIN; s <= CAUSE_SIP_MAX; s++)
		m->to_q850[s - CAUSE_SIP_MIN] = (uint8_t)class_default_q850(s);
	for (size_t i = 0; i < sizeof(q850_to_sip_rfc) / sizeof(struct pair);
	     i++)
		m->to_sip[q850_to_sip_rfc[i].from] = q850_to_sip_rfc[i].to;
	for (size_t i = 0; i < sizeof(sip_to_q850_rfc) / sizeof(struct pair);
	     i++)
		m->to_q850[sip_to_q850_rfc[i].from - CAUSE_SIP_MIN] =
		    (uint8_t)sip_to_q850_rfc[i].to;
}

bool cause_is_transient(int cause)
{
	switch (cause) {
	case 34: /* no circuit/channel available */
	case 38: /* network out of order */
	case 41: /* temporary failure */
	case 42: /* switching equipment congestion */
	case 44: /* requested circuit/channel not available */
	case 47: /* resource unavailable, unspecified */
		return true;
	default:
		return false;
	}
}

int cause_map_set_q850(struct cause_map *m, int cause, int status, char *err,
		       size_t cap)
{
	if (cause < 1 || cause > CAUSE_MAX) {
		snprintf(err, cap, "cause %d is not a Q.850 cause (1..127)",
			 cause);
		return -EINVAL;
	}
	if (status < CAUSE_SIP_MIN || status > CAUSE_SIP_MAX) {
		snprintf(err, cap,
			 "%d is not a SIP final failure status "
			 "(300..699)",
			 status);
		return -EINVAL;
	}
	if (status >= 600 && cause_is_transient(cause)) {
		snprintf(err, cap,
			 "cause %d is transient and must not map to "
			 "%d: a 6xx stops the proxy from trying another "
			 "gateway",
			 cause, status);
		return -EINVAL;
	}
	m->to_sip[cause] = (uint16_t)status;
	m->overridden_q850[cause] = true;
	return 0;
}

int cause_map_set_sip(struct cause_map *m, int status, int cause, char *err,
		      size_t cap)
{
	if (status < CAUSE_SIP_MIN || status > CAUSE_SIP_MAX) {
		snprintf(err, cap,
			 "%d is not a SIP final failure status "
			 "(300..699)",
			 status);
		return -EINVAL;
	}
	if (cause < 1 || cause > CAUSE_MAX) {
		snprintf(err, cap, "cause %d is not a Q.850 cause (1..127)",
			 cause);
		return -EINVAL;
	}
	m->to_q850[status - CAUSE_SIP_MIN] = (uint8_t)cause;
	m->overridden_sip[status - CAUSE_SIP_MIN] = true;
	return 0;
}

/* Parses "a:b, c:d" calling set(m, a, b) for each pair. */
static int parse_pairs(struct cause_map *m, const char *list,
		       int (*set)(struct cause_map *, int, int, char *, size_t),
		       char *err, size_t cap)
{
	const char *p = list;
	while (*p) {
		char *end;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		long a = strtol(p, &end, 10);
		if (end == p || *end != ':')
			goto bad;
		p = end + 1;
		long b = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',' && *end != ' '))
			goto bad;
		p = end;
		int rc = set(m, (int)a, (int)b, err, cap);
		if (rc)
			return rc;
	}
	return 0;
bad:
	snprintf(err, cap,
		 "bad mapping list '%s': want FROM:TO pairs "
		 "separated by commas",
		 list);
	return -EINVAL;
}

int cause_map_parse_q850(struct cause_map *m, const char *list, char *err,
			 size_t cap)
{
	return parse_pairs(m, list, cause_map_set_q850, err, cap);
}

int cause_map_parse_sip(struct cause_map *m, const char *list, char *err,
			size_t cap)
{
	return parse_pairs(m, list, cause_map_set_sip, err, cap);
}

int cause_to_sip(const struct cause_map *m, int cause)
{
	if (cause < 0 || cause > CAUSE_MAX)
		return 480;
	return m->to_sip[cause];
}

int cause_from_sip(const struct cause_map *m, int status)
{
	if (status < CAUSE_SIP_MIN || status > CAUSE_SIP_MAX)
		return 31;
	return m->to_q850[status - CAUSE_SIP_MIN];
}
