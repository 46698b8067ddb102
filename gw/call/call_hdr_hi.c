/*
 * The redirecting number of a SIP->PSTN call from History-Info (RFC 7044),
 * pure: the header's entries are ordered by their index, each retarget is
 * linked to the entry it was retargeted from (mp/rc, else the parent
 * index), and the most recent retarget that carries a redirection cause
 * names the diverting party, as RFC 7544 maps History-Info to Diversion.
 * The cause is the RFC 4458 `cause` URI parameter of the new target, else
 * the SIP cause of the Reason header escaped into the URI of the entry
 * that was retargeted (RFC 7044). Malformed entries are skipped, never
 * fatal; a broken list is read up to the break.
 */
#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"
#include "sip/sip_uri.h"

#define HI_MAX	 32 /* entries looked at; more are ignored */
#define HI_DEPTH 8  /* index levels ("1.1.2" has 3) */

/* One hi-entry. Views point into the message. */
struct hi_entry {
	struct pl uri;
	unsigned idx[HI_DEPTH], depth;
	unsigned from[HI_DEPTH], from_depth; /* mp= / rc= value; 0: none */
	bool mp;			     /* the target user changed */
	int cause;	/* RFC 4458 cause URI parameter, 0 if none */
	int reason_sip; /* SIP cause of a Reason in the URI, 0 if none */
};

/*
 * RFC 4458 causes (the same SIP codes in an RFC 7044 Reason mean the same
 * redirection) -> reason for redirection of the Q.931 Redirecting number
 * (Q.952 / ETS 300 207-1 codes, libpri's names).
 */
static const struct {
	int sip;
	int reason;
} hi_causes[] = {
    {302, PRI_REDIR_UNCONDITIONAL},	  /* unconditional */
    {486, PRI_REDIR_FORWARD_ON_BUSY},	  /* user busy */
    {408, PRI_REDIR_FORWARD_ON_NO_REPLY}, /* no reply */
    {480, PRI_REDIR_DEFLECTION},	  /* deflection, immediate response */
    {487, PRI_REDIR_DEFLECTION},	  /* deflection during alerting */
    {503, PRI_REDIR_DTE_OUT_OF_ORDER},	  /* not reachable */
    {404, PRI_REDIR_UNKNOWN},		  /* unknown / not available */
};

/* The Q.931 reason for a SIP redirection cause, or -1 if code is none. */
static int hi_reason(int code)
{
	for (size_t i = 0; i < sizeof(hi_causes) / sizeof(hi_causes[0]); i++)
		if (hi_causes[i].sip == code)
			return hi_causes[i].reason;
	return -1;
}

/* A 3-digit cause value; 0 if v is not one. */
static int parse_code(struct pl v)
{
	if (v.l != 3)
		return 0;
	int code = 0;
	for (size_t i = 0; i < 3; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return 0;
		code = code * 10 + (v.p[i] - '0');
	}
	return code >= 100 ? code : 0;
}

/* RFC 7044 §9: index = 1*DIGIT *("." 1*DIGIT). Returns 0 or -EINVAL. */
static int parse_index(struct pl v, unsigned *out, unsigned *depth)
{
	*depth = 0;
	size_t i = 0;
	while (i < v.l) {
		unsigned n = 0;
		size_t start = i;
		while (i < v.l && v.p[i] >= '0' && v.p[i] <= '9' &&
		       i - start < 6)
			n = n * 10 + (unsigned)(v.p[i++] - '0');
		if (i == start || *depth == HI_DEPTH ||
		    (i < v.l && (v.p[i] != '.' || i + 1 == v.l)))
			return -EINVAL;
		out[(*depth)++] = n;
		i++; /* the '.' */
	}
	return *depth ? 0 : -EINVAL;
}

/* SIP cause of a Reason header value "SIP;cause=302;text=..." escaped in
 * the URI's headers; 0 if none or not a SIP reason. */
static int uri_reason(const struct sip_uri *u)
{
	struct pl esc;
	char buf[160];
	size_t n;
	if (!pl_isset(u->headers) || sip_uri_header(u, "Reason", &esc) ||
	    sip_unescape(esc, buf, sizeof(buf), &n))
		return 0;
	const char *semi = memchr(buf, ';', n);
	struct pl proto = {buf, semi ? (size_t)(semi - buf) : n};
	while (proto.l && proto.p[proto.l - 1] == ' ')
		proto.l--;
	struct pl cause;
	if (!semi || !pl_casecmp_str(proto, "SIP") ||
	    sip_param_find((struct pl){semi, n - (size_t)(semi - buf)}, "cause",
			   &cause))
		return 0;
	/* the view points into buf: parse before it goes */
	return parse_code(cause);
}

/* Fills e from one History-Info element. Returns 0 or -EINVAL. */
static int entry_parse(struct hi_entry *e, const struct sip_addr *a)
{
	struct sip_uri u;
	struct pl v;
	memset(e, 0, sizeof(*e));
	if (!pl_isset(a->params) || sip_uri_parse(&u, a->uri) ||
	    sip_param_find(a->params, "index", &v) || !pl_isset(v) ||
	    parse_index(v, e->idx, &e->depth))
		return -EINVAL;
	e->uri = a->uri;
	if (sip_param_find(a->params, "mp", &v) == 0 && pl_isset(v)) {
		e->mp = true;
		if (parse_index(v, e->from, &e->from_depth))
			e->from_depth = 0;
	} else if (sip_param_find(a->params, "rc", &v) == 0 && pl_isset(v)) {
		if (parse_index(v, e->from, &e->from_depth))
			e->from_depth = 0;
	}
	if (sip_uri_param(&u, "cause", &v) == 0)
		e->cause = parse_code(v);
	e->reason_sip = uri_reason(&u);
	return 0;
}

static int index_cmp(const unsigned *a, unsigned an, const unsigned *b,
		     unsigned bn)
{
	for (unsigned i = 0; i < an && i < bn; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return an == bn ? 0 : an < bn ? -1 : 1;
}

/* The entry with index idx (depth n), or NULL. */
static const struct hi_entry *find(const struct hi_entry *e, unsigned ne,
				   const unsigned *idx, unsigned n)
{
	for (unsigned i = 0; i < ne; i++)
		if (index_cmp(e[i].idx, e[i].depth, idx, n) == 0)
			return &e[i];
	return NULL;
}

/* The entry e[k] was retargeted from: its mp/rc entry, else its parent
 * index (RFC 7044 §9: "1.2" is a branch of "1"), else the one before. */
static const struct hi_entry *retargeted_from(const struct hi_entry *e,
					      unsigned k)
{
	const struct hi_entry *f = NULL;
	if (e[k].from_depth)
		f = find(e, k, e[k].from, e[k].from_depth);
	if (!f && e[k].depth > 1)
		f = find(e, k, e[k].idx, e[k].depth - 1);
	return f ? f : &e[k - 1];
}

/* The SIP redirection cause of retarget k, or 0. */
static int retarget_cause(const struct hi_entry *e, unsigned k)
{
	if (e[k].cause && hi_reason(e[k].cause) >= 0)
		return e[k].cause;
	int code = retargeted_from(e, k)->reason_sip;
	return hi_reason(code) >= 0 ? code : 0;
}

/* Reads the entries in index order. Returns how many. */
static unsigned entries_read(const struct sip_msg *m, struct hi_entry *e)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	unsigned n = 0;
	int rc;
	while (n < HI_MAX && (rc = sip_msg_addr_next(m, SIP_HDR_HISTORY_INFO,
						     &it, &a)) != -ENOENT) {
		if (rc == 0 && entry_parse(&e[n], &a) == 0 &&
		    !find(e, n, e[n].idx, e[n].depth))
			n++;
		if (rc)
			break; /* the rest of a broken list is not trusted */
	}
	/* insertion sort: entries come in order, rarely otherwise */
	for (unsigned i = 1; i < n; i++) {
		struct hi_entry x = e[i];
		unsigned j = i;
		while (j > 0 && index_cmp(e[j - 1].idx, e[j - 1].depth, x.idx,
					  x.depth) > 0) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = x;
	}
	return n;
}

int call_hdr_history_info(const struct sip_msg *m, char *num, size_t cap,
			  int *reason, int *count)
{
	struct hi_entry *e = calloc(HI_MAX, sizeof(*e));
	num[0] = '\0';
	if (!e)
		return -ENOMEM;
	unsigned n = entries_read(m, e);
	int rc = -ENOENT, found = 0;
	*count = 0;
	for (unsigned k = n; k-- > 1;) {
		int code = retarget_cause(e, k);
		if (code || e[k].mp)
			++*count; /* a diversion: for a redirection cause, or
				     to another user (rc alone is not one) */
		if (!code || found)
			continue;
		found = 1;
		if (call_hdr_uri_number(retargeted_from(e, k)->uri, num, cap) ==
		    0) {
			*reason = hi_reason(code);
			rc = 0;
		} else {
			num[0] = '\0'; /* the diverting party has no number */
		}
	}
	free(e);
	return rc;
}

int call_hdr_redirecting(const struct sip_msg *m, char *num, size_t cap,
			 int *reason, int *count)
{
	/* Diversion (RFC 5806) wins when both are present: it is what
	 * networks that still use it meant the PSTN to see */
	if (call_hdr_diversion(m, num, cap, reason, count) == 0)
		return 0;
	return call_hdr_history_info(m, num, cap, reason, count);
}
