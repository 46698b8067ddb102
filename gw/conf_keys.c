/*
 * Key tables of the configuration and the value parsers and formatters for
 * each kind of value. Messages name the key and say what would be valid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_keys.h"
#include "ini.h"
#include "call/number.h"
#include "log.h"

#define OFF(type, field) offsetof(struct type, field)
#define SZ(type, field)	 sizeof(((struct type *)0)->field)
#define STR(type, field) CK_STR, OFF(type, field), SZ(type, field)

static const struct conf_enum levels[] = {
    {"err", LOG_LVL_ERR},	{"warn", LOG_LVL_WARN},
    {"notice", LOG_LVL_NOTICE}, {"info", LOG_LVL_INFO},
    {"debug", LOG_LVL_DEBUG},	{NULL, 0},
};
static const struct conf_enum log_formats[] = {
    {"text", CONF_LOG_TEXT},
    {"json", CONF_LOG_JSON},
    {NULL, 0},
};
static const struct conf_enum media_ios[] = {
    {"auto", CONF_MEDIA_IO_AUTO},
    {"io_uring", CONF_MEDIA_IO_URING},
    {"syscalls", CONF_MEDIA_IO_SYSCALLS},
    {NULL, 0},
};
static const struct conf_enum layouts[] = {
    {"e1", TDM_E1},
    {"t1", TDM_T1},
    {NULL, 0},
};
static const struct conf_enum switches[] = {
    {"euroisdn", CONF_SW_EUROISDN},
    {"ni2", CONF_SW_NI2},
    {"5ess", CONF_SW_5ESS},
    {"dms100", CONF_SW_DMS100},
    {"4ess", CONF_SW_4ESS},
    {"qsig", CONF_SW_QSIG},
    {NULL, 0},
};
static const struct conf_enum sides[] = {
    {"cpe", CONF_SIDE_CPE},
    {"net", CONF_SIDE_NET},
    {NULL, 0},
};
static const struct conf_enum hunts[] = {
    {"ascending", CONF_HUNT_ASCENDING},
    {"descending", CONF_HUNT_DESCENDING},
    {"roundrobin", CONF_HUNT_ROUNDROBIN},
    {NULL, 0},
};
static const struct conf_enum ringbacks[] = {
    {"auto", CONF_RINGBACK_AUTO},
    {"never", CONF_RINGBACK_NEVER},
    {"always", CONF_RINGBACK_ALWAYS},
    {NULL, 0},
};
static const struct conf_enum transports[] = {
    {"udp", CONF_TP_UDP},
    {"tcp", CONF_TP_TCP},
    {"tls", CONF_TP_TLS},
    {NULL, 0},
};

static const struct conf_key general_keys[] = {
    {"log_level", CK_ENUM, OFF(conf_general, log_level), 0, 0, 0, levels,
     "info", "err, warn, notice, info or debug"},
    {"log_format", CK_ENUM, OFF(conf_general, log_format), 0, 0, 0, log_formats,
     "text", "text, or json (one object per line)"},
    {"control_socket", STR(conf_general, control_socket), 0, 0, NULL,
     "/run/gwd/gwd.sock", "UNIX socket for gwctl"},
    {"pid_file", STR(conf_general, pid_file), 0, 0, NULL, "/run/gwd.pid",
     "written in daemon mode"},
    {"media_workers", CK_UINT, OFF(conf_general, media_workers), 0, 0, 64, NULL,
     "0", "media threads; 0 = one per core"},
    {"media_io", CK_ENUM, OFF(conf_general, media_io), 0, 0, 0, media_ios,
     "auto",
     "media socket I/O: io_uring (batched per round), syscalls, or auto "
     "(io_uring where the kernel allows it)"},
    {"test_loopback", STR(conf_general, test_loopback), 0, 0, NULL, "",
     "called number answered locally with audio looped back"},
    {"test_milliwatt", STR(conf_general, test_milliwatt), 0, 0, NULL, "",
     "called number answered locally with a 1 kHz 0 dBm0 tone"},
};

static const struct conf_key span_keys[] = {
    {"driver", STR(conf_span, driver), 0, 0, NULL, NULL,
     "span back end: sim or dahdi (required)"},
    {"type", CK_ENUM, OFF(conf_span, layout), 0, 0, 0, layouts, NULL,
     "e1 or t1 (required)"},
    {"switch", CK_ENUM, OFF(conf_span, switchtype), 0, 0, 0, switches, NULL,
     "euroisdn (E1); ni2, 5ess, dms100, 4ess (T1); qsig "
     "(default: euroisdn on E1, ni2 on T1)"},
    {"side", CK_ENUM, OFF(conf_span, side), 0, 0, 0, sides, "cpe",
     "cpe (user side) or net (network side)"},
    {"device", STR(conf_span, device), 0, 0, NULL, "",
     "sim: the simulator's socket"},
    {"unit", CK_UINT, OFF(conf_span, unit), 0, 1, 1024, NULL, NULL,
     "sim: simulator span; dahdi: DAHDI span (default: the span "
     "number)"},
    {"basechan", CK_UINT, OFF(conf_span, basechan), 0, 0, 4096, NULL, "0",
     "dahdi: channel number of timeslot 1; 0 = find it"},
    {"channels", CK_CHANS, OFF(conf_span, channels), 0, 0, 0, NULL, NULL,
     "B-channel timeslots in service (default: all)"},
    {"blocksize", CK_UINT, OFF(conf_span, blocksize), 0, 8, 1600, NULL, "160",
     "samples per B-channel block (8 = 1 ms)"},
    {"tx_prefill", CK_UINT, OFF(conf_span, tx_prefill), 0, 1, 6, NULL, "2",
     "B-channel blocks queued toward the span ahead of the clock, against "
     "late wake-ups; each adds a block of delay toward the PSTN"},
    {"restart_on_up", CK_BOOL, OFF(conf_span, restart_on_up), 0, 0, 0, NULL,
     "yes", "RESTART idle channels when the D-channel comes up"},
    {"link_settle_ms", CK_UINT, OFF(conf_span, link_settle_ms), 0, 0, 60000,
     NULL, "1000", "wait after D-channel up before using it"},
    {"service_messages", CK_BOOL, OFF(conf_span, service_messages), 0, 0, 0,
     NULL, NULL, "SERVICE for block/unblock (default: yes on ni2, 4ess, 5ess)"},
    {"t200_ms", CK_UINT, OFF(conf_span, t200_ms), 0, 100, 10000, NULL, "1000",
     "Q.921 T200: retransmission timer"},
    {"t203_ms", CK_UINT, OFF(conf_span, t203_ms), 0, 500, 120000, NULL, "10000",
     "Q.921 T203: link idle poll timer"},
    {"n200", CK_UINT, OFF(conf_span, n200), 0, 1, 16, NULL, "3",
     "Q.921 N200: retransmissions before the link is declared down"},
    {"pcap", STR(conf_span, pcap), 0, 0, NULL, "",
     "write D-channel frames to this pcap file (LAPD)"},
};

static const struct conf_enum numfmts[] = {
    {"international", NUMBER_FMT_INTERNATIONAL},
    {"national", NUMBER_FMT_NATIONAL},
    {"unknown", NUMBER_FMT_UNKNOWN},
    {"subscriber", NUMBER_FMT_SUBSCRIBER},
    {NULL, 0},
};

static const struct conf_key tg_keys[] = {
    {"spans", CK_SPANLIST, 0, 0, 1, CONF_MAX_SPANS, NULL, NULL,
     "spans in the group, e.g. 1,2,5-8 (required)"},
    {"hunt", CK_ENUM, OFF(conf_tg, hunt), 0, 0, 0, hunts, "ascending",
     "B-channel hunting: ascending, descending or roundrobin"},
    {"prefixes", STR(conf_tg, prefixes), 0, 0, NULL, "",
     "E.164 prefixes routed to this group (longest match wins; * = "
     "any), e.g. 49,4930"},
    {"sip_dest", STR(conf_tg, sip_dest), 0, 0, NULL, "",
     "where calls from this group go: SIP URI with a numeric host, "
     "e.g. sip:127.0.0.1:5070;transport=tcp"},
    {"country_code", STR(conf_tg, country_code), 0, 0, NULL, "49",
     "own country code"},
    {"area_code", STR(conf_tg, area_code), 0, 0, NULL, "",
     "own area code (without national prefix)"},
    {"national_prefix", STR(conf_tg, national_prefix), 0, 0, NULL, "0",
     "national dialling prefix"},
    {"intl_prefix", STR(conf_tg, intl_prefix), 0, 0, NULL, "00",
     "international dialling prefix"},
    {"called_format", CK_ENUM, OFF(conf_tg, called_format), 0, 0, 0, numfmts,
     "national",
     "called number TON sent: international, "
     "national, unknown or subscriber"},
    {"calling_format", CK_ENUM, OFF(conf_tg, calling_format), 0, 0, 0, numfmts,
     "national", "calling number TON sent"},
    {"causes_q850", STR(conf_tg, causes_q850), 0, 0, NULL, "",
     "Q.850 cause -> SIP status overrides, e.g. 17:486,34:503"},
    {"causes_sip", STR(conf_tg, causes_sip), 0, 0, NULL, "",
     "SIP status -> Q.850 cause overrides, e.g. 404:1,486:17"},
    {"max_calls", CK_UINT, OFF(conf_tg, max_calls), 0, 0, 100000, NULL, "0",
     "concurrent calls; 0 = as many as channels"},
    {"max_cps", CK_UINT, OFF(conf_tg, max_cps), 0, 0, 100000, NULL, "0",
     "new calls per second; 0 = no limit"},
    {"max_duration_s", CK_UINT, OFF(conf_tg, max_duration_s), 0, 0, 604800,
     NULL, "0", "longest call; 0 = no limit"},
    {"retry_after_s", CK_UINT, OFF(conf_tg, retry_after_s), 0, 0, 3600, NULL,
     "5", "Retry-After sent with 503 when the group is full"},
    {"t301_s", CK_UINT, OFF(conf_tg, t301_s), 0, 10, 3600, NULL, "180",
     "Q.931 T301: alerting without answer"},
    {"t310_s", CK_UINT, OFF(conf_tg, t310_s), 0, 1, 120, NULL, "30",
     "Q.931 T310: CALL PROCEEDING without ALERTING, PROGRESS or CONNECT"},
    {"overlap", CK_BOOL, OFF(conf_tg, overlap), 0, 0, 0, NULL, "no",
     "overlap receiving (Q.931 5.2.4): a SETUP without Sending Complete "
     "gets SETUP ACKNOWLEDGE and the number is completed by INFORMATION "
     "digits; no = en-bloc"},
    {"t302_s", CK_UINT, OFF(conf_tg, t302_s), 0, 1, 60, NULL, "15",
     "Q.931 T302: overlap receiving, wait for the next digits; at expiry "
     "the number so far is routed"},
    {"min_digits", CK_UINT, OFF(conf_tg, min_digits), 0, 1, 30, NULL, "1",
     "overlap: a called number shorter than this at T302 expiry is "
     "cleared with cause 28"},
    {"max_digits", CK_UINT, OFF(conf_tg, max_digits), 0, 0, 30, NULL, "0",
     "overlap: a called number this long is complete and routed at once; "
     "0 = wait for Sending Complete or T302"},
    {"sip_auth_user", STR(conf_tg, sip_auth_user), 0, 0, NULL, "",
     "user name for digest challenges from sip_dest (RFC 7616)"},
    {"sip_auth_password", STR(conf_tg, sip_auth_password), 0, 0, NULL, "",
     "password for sip_auth_user"},
    {"ec", CK_BOOL, OFF(conf_tg, ec), 0, 0, 0, NULL, "yes",
     "line echo canceller (ITU-T G.168) on the B-channels; off by itself "
     "on 2100 Hz with phase reversals and on fax tones"},
    {"ec_tail_ms", CK_UINT, OFF(conf_tg, ec_tail_ms), 0, 16, 128, NULL, "64",
     "echo path the canceller covers, ms, a multiple of 8"},
    {"tones", STR(conf_tg, tones), 0, 0, NULL, "us",
     "national call-progress tone set: us, uk, de"},
    {"ringback", CK_ENUM, OFF(conf_tg, ringback), 0, 0, 0, ringbacks, "auto",
     "local ringback to SIP callers on ALERTING without in-band tones: "
     "auto (183 + tone if the INVITE has P-Early-Media), never (180), "
     "always"},
};

static const struct conf_key sip_keys[] = {
    {"listen", CK_LISTEN, 0, 0, 0, 0, NULL, "",
     "transport:address:port list, e.g. udp:127.0.0.1:5060"},
    {"user_agent", STR(conf_sip, user_agent), 0, 0, NULL, "gwd",
     "User-Agent and Server header value"},
    {"tls_cert", STR(conf_sip, tls_cert), 0, 0, NULL, "",
     "PEM certificate for tls listeners"},
    {"tls_key", STR(conf_sip, tls_key), 0, 0, NULL, "",
     "PEM private key for tls listeners"},
    {"tls_ca", STR(conf_sip, tls_ca), 0, 0, NULL, "",
     "CA file to verify TLS servers we connect to; empty = no check"},
    {"prack", CK_BOOL, OFF(conf_sip, prack), 0, 0, 0, NULL, "yes",
     "reliable provisional responses (RFC 3262)"},
    {"session_expires_s", CK_UINT, OFF(conf_sip, session_expires_s), 0, 0,
     86400, NULL, "1800", "session timer (RFC 4028); 0 = off"},
    {"min_se_s", CK_UINT, OFF(conf_sip, min_se_s), 0, 90, 86400, NULL, "90",
     "smallest session interval accepted (Min-SE)"},
    {"t1_ms", CK_UINT, OFF(conf_sip, t1_ms), 0, 50, 10000, NULL, "500",
     "RFC 3261 T1 (round-trip estimate)"},
    {"rtp_port_min", CK_UINT, OFF(conf_sip, rtp_port_min), 0, 1024, 65534, NULL,
     "20000", "lowest RTP port (RTCP: each RTP port + 1)"},
    {"rtp_port_max", CK_UINT, OFF(conf_sip, rtp_port_max), 0, 1025, 65535, NULL,
     "29999", "highest RTP port"},
    {"rtp_timeout_s", CK_UINT, OFF(conf_sip, rtp_timeout_s), 0, 0, 3600, NULL,
     "60", "no RTP for this long ends an answered call (cause 41); 0 = off"},
    {"trusted", STR(conf_sip, trusted), 0, 0, NULL, "",
     "sources taken without digest auth, e.g. 10.0.0.0/8, ::1/128; "
     "empty = every source (when auth_user is empty)"},
    {"auth_realm", STR(conf_sip, auth_realm), 0, 0, NULL, "gwd",
     "digest realm of our challenges (RFC 7616)"},
    {"auth_user", STR(conf_sip, auth_user), 0, 0, NULL, "",
     "user name untrusted sources must authenticate as; empty = no "
     "challenges"},
    {"auth_password", STR(conf_sip, auth_password), 0, 0, NULL, "",
     "password for auth_user"},
};

#define NKEYS(a) (unsigned)(sizeof(a) / sizeof((a)[0]))
const struct conf_section conf_sec_general = {"general", false, general_keys,
					      NKEYS(general_keys)};
const struct conf_section conf_sec_span = {"span", true, span_keys,
					   NKEYS(span_keys)};
const struct conf_section conf_sec_tg = {"trunkgroup", true, tg_keys,
					 NKEYS(tg_keys)};
const struct conf_section conf_sec_sip = {"sip", false, sip_keys,
					  NKEYS(sip_keys)};

int conf_key_find(const struct conf_section *sec, const char *name)
{
	for (unsigned i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Parses a decimal in [min, max]; rejects signs, spaces and junk. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	if (!*s || strlen(s) > 10 || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	unsigned long v = strtoul(s, NULL, 10);
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int parse_enum(const struct conf_key *k, const char *v, unsigned *out,
		      char *err, size_t cap)
{
	for (const struct conf_enum *e = k->enums; e->name; e++) {
		if (strcmp(e->name, v) == 0) {
			*out = e->val;
			return 0;
		}
	}
	size_t n = (size_t)snprintf(err, cap, "bad value '%s' for %s: one of",
				    v, k->name);
	for (const struct conf_enum *e = k->enums; e->name && n < cap; e++)
		n += (size_t)snprintf(err + n, cap - n, "%s %s",
				      e == k->enums ? "" : ",", e->name);
	return -EINVAL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Walks a list "a,b-c, d" calling fn for each number; ranges expand. Stops
 * at the first error, which fn or the syntax check reports into err.
 */
static int
parse_numlist(const char *v, unsigned min, unsigned max, const char *what,
	      int (*fn)(void *arg, unsigned n, char *err, size_t cap),
	      void *arg, char *err, size_t cap)
{
	char buf[INI_MAX_LINE + 1];
	snprintf(buf, sizeof(buf), "%s", v);
	char *save = NULL;
	int count = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		size_t tl = strlen(tok);
		while (tl && (tok[tl - 1] == ' ' || tok[tl - 1] == '\t'))
			tok[--tl] = '\0';
		char *dash = strchr(tok, '-');
		unsigned lo, hi;
		if (dash)
			*dash = '\0';
		if (parse_uint(tok, min, max, &lo) ||
		    (dash && parse_uint(dash + 1, min, max, &hi)) ||
		    (dash && hi < lo)) {
			if (dash)
				*dash = '-';
			snprintf(err, cap, "bad %s '%s': must be %u..%u", what,
				 tok, min, max);
			return -EINVAL;
		}
		if (!dash)
			hi = lo;
		for (unsigned n = lo; n <= hi; n++) {
			int rc = fn(arg, n, err, cap);
			if (rc)
				return rc;
		}
		count++;
	}
	if (!count) {
		snprintf(err, cap, "empty %s list", what);
		return -EINVAL;
	}
	return 0;
}

static int add_chan(void *arg, unsigned n, char *err, size_t cap)
{
	uint32_t *mask = arg;
	if (*mask & (1u << n)) {
		snprintf(err, cap, "channel %u listed twice", n);
		return -EINVAL;
	}
	*mask |= 1u << n;
	return 0;
}

static int add_span(void *arg, unsigned n, char *err, size_t cap)
{
	struct conf_tg *tg = arg;
	for (unsigned i = 0; i < tg->nspans; i++) {
		if (tg->spans[i] == n) {
			snprintf(err, cap, "span %u listed twice", n);
			return -EINVAL;
		}
	}
	tg->spans[tg->nspans++] = n;
	return 0;
}

/* Parses "udp:127.0.0.1:5060" or "tls:[::1]:5061" into l. */
static int parse_listen1(char *s, struct conf_listen *l, char *err, size_t cap)
{
	char orig[INI_MAX_LINE + 1];
	snprintf(orig, sizeof(orig), "%s", s);
	char *colon = strchr(s, ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	unsigned tp;
	for (tp = 0; transports[tp].name; tp++)
		if (strcmp(s, transports[tp].name) == 0)
			break;
	if (!transports[tp].name)
		goto bad;
	char *host = colon + 1, *port;
	if (*host == '[') {
		char *rb = strchr(host, ']');
		if (!rb || rb[1] != ':')
			goto bad;
		*rb = '\0';
		host++;
		port = rb + 2;
	} else {
		port = strrchr(host, ':');
		if (!port)
			goto bad;
		*port++ = '\0';
	}
	unsigned char a[16];
	unsigned pn;
	if ((inet_pton(AF_INET, host, a) != 1 &&
	     inet_pton(AF_INET6, host, a) != 1) ||
	    strlen(host) >= sizeof(l->host) || parse_uint(port, 1, 65535, &pn))
		goto bad;
	l->transport = transports[tp].val;
	snprintf(l->host, sizeof(l->host), "%s", host);
	l->port = (uint16_t)pn;
	return 0;
bad:
	snprintf(err, cap,
		 "bad listen address '%s': want transport:address:port with "
		 "transport udp, tcp or tls and a numeric address",
		 orig);
	return -EINVAL;
}

static int parse_listen(const char *v, struct conf_sip *sip, char *err,
			size_t cap)
{
	char buf[INI_MAX_LINE + 1];
	snprintf(buf, sizeof(buf), "%s", v);
	char *save = NULL;
	sip->nlisten = 0;
	for (char *tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (sip->nlisten == CONF_MAX_LISTEN) {
			snprintf(err, cap, "more than %d listen addresses",
				 CONF_MAX_LISTEN);
			return -EINVAL;
		}
		int rc =
		    parse_listen1(tok, &sip->listen[sip->nlisten], err, cap);
		if (rc)
			return rc;
		sip->nlisten++;
	}
	return 0;
}

int conf_key_parse(const struct conf_key *k, void *base, const char *v,
		   char *err, size_t cap)
{
	char *field = (char *)base + k->off;
	int rc;
	switch (k->kind) {
	case CK_UINT:
		rc = parse_uint(v, k->min, k->max, (unsigned *)field);
		if (rc == -ERANGE) {
			snprintf(err, cap,
				 "bad value '%s' for %s: must be "
				 "%u..%u",
				 v, k->name, k->min, k->max);
			return -EINVAL;
		}
		if (rc) {
			snprintf(err, cap,
				 "bad value '%s' for %s: not a "
				 "number",
				 v, k->name);
			return -EINVAL;
		}
		return 0;
	case CK_BOOL:
		if (parse_bool(v, (bool *)field)) {
			snprintf(err, cap, "bad value '%s' for %s: yes or no",
				 v, k->name);
			return -EINVAL;
		}
		return 0;
	case CK_STR:
		if (strlen(v) >= k->size) {
			snprintf(err, cap, "value for %s too long (max %zu)",
				 k->name, k->size - 1);
			return -EINVAL;
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case CK_ENUM:
		return parse_enum(k, v, (unsigned *)field, err, cap);
	case CK_CHANS:
		*(uint32_t *)field = 0;
		return parse_numlist(v, 1, TDM_MAX_TIMESLOTS, "channel",
				     add_chan, field, err, cap);
	case CK_SPANLIST:
		((struct conf_tg *)base)->nspans = 0;
		return parse_numlist(v, k->min, k->max, "span number", add_span,
				     base, err, cap);
	case CK_LISTEN:
		return parse_listen(v, base, err, cap);
	}
	return -EINVAL;
}

void conf_chans_format(uint32_t mask, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS && n < cap; ts++) {
		if (!(mask & (1u << ts)))
			continue;
		unsigned end = ts;
		while (end < TDM_MAX_TIMESLOTS && (mask & (1u << (end + 1))))
			end++;
		if (end == ts)
			n += (size_t)snprintf(buf + n, cap - n, "%s%u",
					      n ? "," : "", ts);
		else
			n += (size_t)snprintf(buf + n, cap - n, "%s%u-%u",
					      n ? "," : "", ts, end);
		ts = end;
	}
}

static void format_enum(const struct conf_key *k, unsigned v, char *buf,
			size_t cap)
{
	for (const struct conf_enum *e = k->enums; e->name; e++) {
		if (e->val == v) {
			snprintf(buf, cap, "%s", e->name);
			return;
		}
	}
	snprintf(buf, cap, "%u", v);
}

static void format_listen(const struct conf_sip *sip, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < sip->nlisten && n < cap; i++) {
		const struct conf_listen *l = &sip->listen[i];
		bool v6 = strchr(l->host, ':') != NULL;
		n += (size_t)snprintf(
		    buf + n, cap - n, "%s%s:%s%s%s:%u", i ? ", " : "",
		    conf_transport_name(l->transport), v6 ? "[" : "", l->host,
		    v6 ? "]" : "", l->port);
	}
}

void conf_key_format(const struct conf_key *k, const void *base, char *buf,
		     size_t cap)
{
	const char *field = (const char *)base + k->off;
	switch (k->kind) {
	case CK_UINT:
		snprintf(buf, cap, "%u", *(const unsigned *)field);
		return;
	case CK_BOOL:
		snprintf(buf, cap, "%s", *(const bool *)field ? "yes" : "no");
		return;
	case CK_STR:
		snprintf(buf, cap, "%s", field);
		return;
	case CK_ENUM:
		format_enum(k, *(const unsigned *)field, buf, cap);
		return;
	case CK_CHANS:
		conf_chans_format(*(const uint32_t *)field, buf, cap);
		return;
	case CK_SPANLIST: {
		const struct conf_tg *tg = base;
		size_t n = 0;
		buf[0] = '\0';
		for (unsigned i = 0; i < tg->nspans && n < cap; i++)
			n += (size_t)snprintf(buf + n, cap - n, "%s%u",
					      i ? "," : "", tg->spans[i]);
		return;
	}
	case CK_LISTEN:
		format_listen(base, buf, cap);
		return;
	}
}
