/*
 * SIP header <-> Q.931 information element mapping, pure functions: the
 * Reason header (RFC 3326), the calling party from P-Asserted-Identity /
 * From with Privacy (RFC 3325 §9, RFC 3323 §4.2) to a number with
 * presentation and screening, and the redirecting number from Diversion
 * (RFC 5806 §4) with its reason (History-Info: call_hdr_hi.c).
 */
#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "call_int.h"
#include "sip/sip_uri.h"

int call_hdr_reason(char *buf, size_t cap, int cause)
{
	int n = snprintf(buf, cap, "Reason: Q.850;cause=%d;text=\"%s\"\r\n",
			 cause, cause_text(cause));
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* Copies a telephone number, dropping RFC 3966 visual separators; a
 * leading '+' is kept. Returns 0 or -EINVAL for anything else. */
static int copy_number(struct pl in, char *num, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < in.l; i++) {
		char ch = in.p[i];
		if (ch == '-' || ch == '.' || ch == '(' || ch == ')')
			continue;
		if (!((ch >= '0' && ch <= '9') || (ch == '+' && n == 0)))
			return -EINVAL;
		if (n + 1 >= cap)
			return -EINVAL;
		num[n++] = ch;
	}
	num[n] = '\0';
	return n && strcmp(num, "+") ? 0 : -EINVAL;
}

int call_hdr_uri_number(struct pl uri, char *num, size_t cap)
{
	struct sip_uri u;
	if (sip_uri_parse(&u, uri))
		return -EINVAL;
	struct pl user = u.user;
	if (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS &&
	    u.scheme != SIP_SCHEME_TEL)
		return -EINVAL;
	if (!pl_isset(user))
		return -EINVAL;
	/* a user part may carry telephone-subscriber params (";npdi") */
	const char *semi = memchr(user.p, ';', user.l);
	if (semi)
		user.l = (size_t)(semi - user.p);
	char raw[NUMBER_MAX * 2];
	size_t rl;
	if (sip_unescape(user, raw, sizeof(raw), &rl))
		return -EINVAL;
	return copy_number((struct pl){raw, rl}, num, cap);
}

/* Whether Privacy asks to hide the identity (RFC 3323 §4.2, RFC 3325 §9.3). */
static bool privacy_hides(const struct sip_msg *m)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct pl v;
	while (sip_msg_next_value(m, SIP_HDR_PRIVACY, &it, &v)) {
		/* values are separated by ';' inside one element */
		const char *p = v.p, *e = v.p + v.l;
		while (p < e) {
			const char *q = memchr(p, ';', (size_t)(e - p));
			struct pl tok = {p, (size_t)((q ? q : e) - p)};
			while (tok.l && (*tok.p == ' ' || *tok.p == '\t')) {
				tok.p++;
				tok.l--;
			}
			while (tok.l && (tok.p[tok.l - 1] == ' ' ||
					 tok.p[tok.l - 1] == '\t'))
				tok.l--;
			if (pl_casecmp_str(tok, "id") ||
			    pl_casecmp_str(tok, "header") ||
			    pl_casecmp_str(tok, "user"))
				return true;
			p = q ? q + 1 : e;
		}
	}
	return false;
}

int call_hdr_calling(const struct sip_msg *m, char *num, size_t cap, int *pres)
{
	bool hide = privacy_hides(m);
	int restr = hide ? PRI_PRES_RESTRICTED : PRI_PRES_ALLOWED;
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	while (sip_msg_addr_next(m, SIP_HDR_P_ASSERTED_IDENTITY, &it, &a) ==
	       0) {
		if (call_hdr_uri_number(a.uri, num, cap) == 0) {
			/* asserted by a trusted network: screened */
			*pres = restr | PRI_PRES_USER_NUMBER_PASSED_SCREEN;
			return 0;
		}
	}
	if (sip_msg_from(m, &a) == 0 &&
	    call_hdr_uri_number(a.uri, num, cap) == 0) {
		*pres = restr | PRI_PRES_USER_NUMBER_UNSCREENED;
		return 0;
	}
	num[0] = '\0';
	*pres = PRES_NUMBER_NOT_AVAILABLE;
	return -ENOENT;
}

/* RFC 5806 §4 diversion-reason -> Q.931 redirecting reason. */
static int diversion_reason(struct pl r)
{
	static const struct {
		const char *name;
		int reason;
	} map[] = {
	    {"user-busy", PRI_REDIR_FORWARD_ON_BUSY},
	    {"no-answer", PRI_REDIR_FORWARD_ON_NO_REPLY},
	    {"unconditional", PRI_REDIR_UNCONDITIONAL},
	    {"deflection", PRI_REDIR_DEFLECTION},
	    {"unavailable", PRI_REDIR_DTE_OUT_OF_ORDER},
	    {"out-of-service", PRI_REDIR_DTE_OUT_OF_ORDER},
	    {"follow-me", PRI_REDIR_FORWARDED_BY_DTE},
	    {"time-of-day", PRI_REDIR_UNCONDITIONAL},
	    {"do-not-disturb", PRI_REDIR_UNCONDITIONAL},
	    {"away", PRI_REDIR_UNCONDITIONAL},
	};
	if (r.l >= 2 && r.p[0] == '"') {
		r.p++;
		r.l -= 2;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (pl_casecmp_str(r, map[i].name))
			return map[i].reason;
	return PRI_REDIR_UNKNOWN;
}

/* Value of a 1-2 digit view (checked by the caller). */
static int atoi_2(struct pl d)
{
	return d.l == 1 ? d.p[0] - '0' : (d.p[0] - '0') * 10 + d.p[1] - '0';
}

int call_hdr_diversion(const struct sip_msg *m, char *num, size_t cap,
		       int *reason, int *count)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	/* RFC 5806 §4: the top-most Diversion is the most recent */
	if (sip_msg_addr_next(m, SIP_HDR_DIVERSION, &it, &a) ||
	    call_hdr_uri_number(a.uri, num, cap)) {
		num[0] = '\0';
		return -ENOENT;
	}
	struct pl r;
	*reason = PRI_REDIR_UNKNOWN;
	*count = 1;
	if (pl_isset(a.params) && sip_param_find(a.params, "reason", &r) == 0 &&
	    pl_isset(r))
		*reason = diversion_reason(r);
	/* RFC 5806 §4: counter, the diversions this entry stands for */
	if (pl_isset(a.params) &&
	    sip_param_find(a.params, "counter", &r) == 0 && pl_isset(r) &&
	    r.l <= 2 && r.p[0] >= '1' && r.p[0] <= '9' &&
	    (r.l == 1 || (r.p[1] >= '0' && r.p[1] <= '9')))
		*count = atoi_2(r);
	return 0;
}
