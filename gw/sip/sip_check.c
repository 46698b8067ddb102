/*
 * The sanity checks a UAS applies to a request before acting on it (RFC
 * 3261 §8.2, with the proxy ones of §16.3 on request), giving the status
 * code to answer: 400 for malformed or missing headers, 416, 420 with the
 * Unsupported tags, 415, 406, 483. Responses get the same header checks
 * and a non-zero status means "discard" (RFC 4475 §3.1.2.5).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip_msg.h"

static int fail(struct sip_check_result *r, uint16_t status, const char *why)
{
	r->status = status;
	r->reason = why;
	return status;
}

/* Header fields whose grammar allows one value only (RFC 3261 §20,
 * RFC 3262, RFC 4028). */
static const enum sip_hdr_id single_valued[] = {
    SIP_HDR_FROM,
    SIP_HDR_TO,
    SIP_HDR_CALL_ID,
    SIP_HDR_CSEQ,
    SIP_HDR_MAX_FORWARDS,
    SIP_HDR_CONTENT_TYPE,
    SIP_HDR_CONTENT_DISPOSITION,
    SIP_HDR_EXPIRES,
    SIP_HDR_MIN_EXPIRES,
    SIP_HDR_DATE,
    SIP_HDR_RETRY_AFTER,
    SIP_HDR_MIME_VERSION,
    SIP_HDR_REPLY_TO,
    SIP_HDR_RSEQ,
    SIP_HDR_RACK,
    SIP_HDR_SESSION_EXPIRES,
    SIP_HDR_MIN_SE,
    SIP_HDR_TIMESTAMP,
    SIP_HDR_SUBJECT,
    SIP_HDR_PRIORITY,
    SIP_HDR_ORGANIZATION,
};

/* URIs in headers: sip, sips and tel must parse; others are opaque
 * (RFC 4475 §3.3.4). */
static bool hdr_uri_ok(struct pl uri)
{
	struct sip_uri u;
	return sip_uri_parse(&u, uri) == 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static bool qvalue_ok(struct pl q)
{
	if (!q.l || q.l > 5 || (q.p[0] != '0' && q.p[0] != '1'))
		return false;
	if (q.l == 1)
		return true;
	if (q.p[1] != '.')
		return false;
	for (size_t i = 2; i < q.l; i++)
		if (!sip_is_digit((unsigned char)q.p[i]) ||
		    (q.p[0] == '1' && q.p[i] != '0'))
			return false;
	return true;
}

/* Contact entries: "*" alone, or addresses with valid expires and q. */
static int check_contacts(const struct sip_msg *m, struct sip_check_result *r)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	struct pl v;
	uint32_t secs;
	int n = 0, e;
	bool star = false;
	while ((e = sip_msg_addr_next(m, SIP_HDR_CONTACT, &it, &a)) == 0) {
		n++;
		if (a.star) {
			star = true;
			continue;
		}
		if (!hdr_uri_ok(a.uri))
			return fail(r, 400, "Bad Contact");
		if (sip_param_find(a.params, "expires", &v) == 0 &&
		    (!v.p || sip_delta_parse(v, &secs)))
			return fail(r, 400, "Bad Contact expires");
		if (sip_param_find(a.params, "q", &v) == 0 &&
		    (!v.p || !qvalue_ok(v)))
			return fail(r, 400, "Bad Contact q");
	}
	if (e != -ENOENT)
		return fail(r, 400, "Bad Contact");
	if (star && n > 1) /* §10.2.2: "*" only on its own */
		return fail(r, 400, "Bad Contact");
	return 0;
}

/* Route, Record-Route: name-addr only (§20.30, §20.34). */
static int check_routes(const struct sip_msg *m, enum sip_hdr_id id,
			struct sip_check_result *r)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	int e;
	while ((e = sip_msg_addr_next(m, id, &it, &a)) == 0)
		if (!a.angle || !hdr_uri_ok(a.uri))
			return fail(r, 400,
				    id == SIP_HDR_ROUTE ? "Bad Route"
							: "Bad Record-Route");
	if (e != -ENOENT)
		return fail(r, 400,
			    id == SIP_HDR_ROUTE ? "Bad Route"
						: "Bad Record-Route");
	return 0;
}

/* From, To: present, one value, valid address and URI. */
static int check_addr(const struct sip_msg *m, enum sip_hdr_id id,
		      struct sip_check_result *r)
{
	struct sip_addr a;
	int e = id == SIP_HDR_FROM ? sip_msg_from(m, &a) : sip_msg_to(m, &a);
	if (e || !hdr_uri_ok(a.uri))
		return fail(r, 400, id == SIP_HDR_FROM ? "Bad From" : "Bad To");
	return 0;
}

static int check_vias(const struct sip_msg *m, struct sip_check_result *r)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_via v;
	int e, n = 0;
	while ((e = sip_msg_via_next(m, &it, &v)) == 0)
		n++;
	if (e != -ENOENT)
		return fail(r, 400, "Bad Via");
	return n ? 0 : fail(r, 400, "Missing Via");
}

/* Presence and multiplicity of the headers every message needs. */
static int check_presence(const struct sip_msg *m, struct sip_check_result *r)
{
	/* §8.1.1: To, From, CSeq, Call-ID, Via (Max-Forwards is optional
	 * on receipt, §16.3 step 3, for RFC 2543 peers: RFC 4475 §3.4.1) */
	if (!sip_msg_hdr(m, SIP_HDR_VIA))
		return fail(r, 400, "Missing Via");
	if (!sip_msg_hdr(m, SIP_HDR_FROM))
		return fail(r, 400, "Missing From");
	if (!sip_msg_hdr(m, SIP_HDR_TO))
		return fail(r, 400, "Missing To");
	if (!sip_msg_hdr(m, SIP_HDR_CALL_ID))
		return fail(r, 400, "Missing Call-ID");
	if (!sip_msg_hdr(m, SIP_HDR_CSEQ))
		return fail(r, 400, "Missing CSeq");
	for (size_t i = 0; i < sizeof(single_valued) / sizeof(single_valued[0]);
	     i++)
		if (sip_msg_hdr_count(m, single_valued[i]) > 1)
			return fail(r, 400, "Multiple Values In Single Header");
	return 0;
}

/* Scalars: CSeq, Call-ID, Max-Forwards, Expires, Date, Retry-After... */
static int check_scalars(const struct sip_msg *m, struct sip_check_result *r)
{
	struct sip_cseq cs;
	struct pl id;
	unsigned mf;
	uint32_t secs;
	int64_t t;
	const struct sip_hdr *h;
	if (sip_msg_cseq(m, &cs))
		return fail(r, 400, "Bad CSeq");
	if (sip_msg_callid(m, &id))
		return fail(r, 400, "Bad Call-ID");
	if (sip_msg_max_forwards(m, &mf) == -EBADMSG)
		return fail(r, 400, "Bad Max-Forwards");
	if (sip_msg_expires(m, &secs) == -EBADMSG)
		return fail(r, 400, "Bad Expires");
	if ((h = sip_msg_hdr(m, SIP_HDR_MIN_EXPIRES)) &&
	    sip_delta_parse(h->val, &secs))
		return fail(r, 400, "Bad Min-Expires");
	if (sip_msg_date(m, &t) == -EBADMSG)
		return fail(r, 400, "Bad Date");
	if ((h = sip_msg_hdr(m, SIP_HDR_RETRY_AFTER))) {
		/* Retry-After = delta-seconds [ comment ] *( SEMI param ) */
		size_t n = 0;
		while (n < h->val.l && sip_is_digit((unsigned char)h->val.p[n]))
			n++;
		if (sip_delta_parse((struct pl){h->val.p, n}, &secs))
			return fail(r, 400, "Bad Retry-After");
	}
	if (m->request &&
	    (cs.method != m->method || (cs.method == SIP_METHOD_OTHER &&
					!pl_eq(cs.method_pl, m->method_pl))))
		return fail(r, 400, "CSeq Method Mismatch");
	return 0;
}

/* Option-tag lists (§20.32, §20.29, §20.37, §20.40) and Allow: tokens. */
static bool tags_ok(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct pl t;
	while (sip_msg_next_value(m, id, &it, &t))
		if (!sip_pl_is_token(t))
			return false;
	return true;
}

/* Lists of tokens and media types. */
static int check_lists(const struct sip_msg *m, struct sip_check_result *r)
{
	static const enum sip_hdr_id tags[] = {
	    SIP_HDR_REQUIRE, SIP_HDR_PROXY_REQUIRE, SIP_HDR_SUPPORTED,
	    SIP_HDR_UNSUPPORTED, SIP_HDR_ALLOW};
	struct sip_ctype ct;
	struct sip_iter it = SIP_ITER_INIT;
	int e;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!tags_ok(m, tags[i]))
			return fail(r, 400, "Bad Option Tag List");
	if (sip_msg_ctype(m, &ct) == -EBADMSG)
		return fail(r, 400, "Bad Content-Type");
	while ((e = sip_msg_accept_next(m, &it, &ct)) == 0)
		;
	if (e != -ENOENT)
		return fail(r, 400, "Bad Accept");
	return 0;
}

/* Everything that makes a message malformed (400). */
static int check_syntax(const struct sip_msg *m, struct sip_check_result *r)
{
	if (check_presence(m, r) || check_scalars(m, r) ||
	    check_addr(m, SIP_HDR_FROM, r) || check_addr(m, SIP_HDR_TO, r) ||
	    check_vias(m, r) || check_contacts(m, r) ||
	    check_routes(m, SIP_HDR_ROUTE, r) ||
	    check_routes(m, SIP_HDR_RECORD_ROUTE, r) || check_lists(m, r))
		return r->status;
	return 0;
}

/*
 * Schemes registered with IANA that an element might serve. RFC 4475
 * §3.3.3: a registered scheme is a well-formed Request-URI (the routing
 * layer answers 404 or 416 for one it never serves); an unregistered one
 * gets 416 here (§8.2.2.1).
 */
static bool scheme_known(struct pl s)
{
	static const char *const known[] = {
	    "im",  "pres", "mailto", "http",	  "https",
	    "urn", "h323", "xmpp",   "soap.beep", "soap.beeps",
	    "cid", "mid",  "fax",    "modem",	  "data",
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (sip_pl_ieq(s, known[i]))
			return true;
	return false;
}

static int check_ruri(const struct sip_msg *m, struct sip_check_result *r)
{
	struct sip_uri u;
	if (sip_uri_parse(&u, m->ruri))
		return fail(r, 400, "Bad Request-URI");
	switch (u.scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		/* §19.1.1 table: headers are not allowed in a Request-URI
		 * (RFC 4475 §3.1.2.11) */
		if (u.headers.p)
			return fail(r, 400, "Headers In Request-URI");
		return 0;
	case SIP_SCHEME_TEL:
		return 0;
	case SIP_SCHEME_OTHER:
		return scheme_known(u.scheme_pl)
			   ? 0
			   : fail(r, 416, "Unsupported URI Scheme");
	}
	return 0;
}

static bool in_list(const char *const *list, struct pl s)
{
	for (; list && *list; list++)
		if (sip_pl_ieq(s, *list))
			return true;
	return false;
}

/* §8.2.2.3 (Require) and §16.3 step 5 (Proxy-Require): tags (tokens,
 * compared case-insensitively, §7.3.1) we do not support give 420. */
static int check_require(const struct sip_msg *m, enum sip_hdr_id id,
			 const struct sip_check_conf *conf,
			 struct sip_check_result *r)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct pl tag;
	while (sip_msg_next_value(m, id, &it, &tag)) {
		if (in_list(conf->supported, tag))
			continue;
		if (r->n_unsupported < SIP_CHECK_MAX_TAGS)
			r->unsupported[r->n_unsupported++] = tag;
	}
	return r->n_unsupported ? fail(r, 420, "Bad Extension") : 0;
}

/*
 * Does media range pt/ps ("*" wildcards allowed) cover type/sub? A string
 * "type/sub" is split with media_split first.
 */
static bool media_match(struct pl pt, struct pl ps, struct pl type,
			struct pl sub)
{
	return (pl_eq_str(pt, "*") || pl_caseeq(pt, type)) &&
	       (pl_eq_str(ps, "*") || pl_caseeq(ps, sub));
}

static bool media_split(const char *s, struct pl *type, struct pl *sub)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return false;
	*type = (struct pl){s, (size_t)(slash - s)};
	*sub = pl_from(slash + 1);
	return true;
}

/* §8.2.3: a body we cannot process gives 415 and our Accept list. */
static int check_body(const struct sip_msg *m,
		      const struct sip_check_conf *conf,
		      struct sip_check_result *r)
{
	struct sip_ctype ct;
	struct sip_iter it = SIP_ITER_INIT;
	struct pl enc;
	if (!m->body.l)
		return 0;
	/* §20.15: Content-Type MUST be present if the body is not empty */
	if (sip_msg_ctype(m, &ct))
		return fail(r, 400, "Missing Content-Type");
	while (sip_msg_next_value(m, SIP_HDR_CONTENT_ENCODING, &it, &enc))
		if (!sip_pl_ieq(enc, "identity")) {
			r->accept = conf->accept;
			return fail(r, 415, "Unsupported Content-Encoding");
		}
	if (!conf->accept)
		return 0;
	for (const char *const *a = conf->accept; *a; a++) {
		struct pl t, st;
		if (media_split(*a, &t, &st) &&
		    media_match(t, st, ct.type, ct.subtype))
			return 0;
	}
	r->accept = conf->accept;
	return fail(r, 415, "Unsupported Media Type");
}

/* §8.2.3 / §20.1: an INVITE whose Accept (present, possibly empty)
 * allows none of the body types our answers carry gives 406. */
static int check_accept(const struct sip_msg *m,
			const struct sip_check_conf *conf,
			struct sip_check_result *r)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_ctype ct;
	if (m->method != SIP_METHOD_INVITE || !conf->produce ||
	    !sip_msg_hdr(m, SIP_HDR_ACCEPT))
		return 0;
	while (sip_msg_accept_next(m, &it, &ct) == 0) {
		for (const char *const *p = conf->produce; *p; p++) {
			struct pl t, st;
			if (media_split(*p, &t, &st) &&
			    media_match(ct.type, ct.subtype, t, st))
				return 0;
		}
	}
	return fail(r, 406, "Not Acceptable");
}

int sip_check(const struct sip_msg *m, const struct sip_check_conf *conf,
	      struct sip_check_result *r)
{
	static const struct sip_check_conf none;
	unsigned mf;
	memset(r, 0, sizeof(*r));
	if (!conf)
		conf = &none;
	if (m->err_status)
		return fail(r, m->err_status, m->err_reason);
	if (!m->hdrs_ok)
		return fail(r, 400, "Malformed Message");
	if (check_syntax(m, r))
		return r->status;
	if (!m->request)
		return 0;
	if (check_ruri(m, r))
		return r->status;
	/* §16.3 step 3 */
	if (conf->proxy && sip_msg_max_forwards(m, &mf) == 0 && mf == 0)
		return fail(r, 483, "Too Many Hops");
	/* No answer goes to an ACK, and a CANCEL carries no Require (§9.1) */
	if (m->method != SIP_METHOD_ACK && m->method != SIP_METHOD_CANCEL) {
		if (conf->proxy)
			check_require(m, SIP_HDR_PROXY_REQUIRE, conf, r);
		if (check_require(m, SIP_HDR_REQUIRE, conf, r))
			return r->status;
	}
	if (check_body(m, conf, r) || check_accept(m, conf, r))
		return r->status;
	return 0;
}

/* Appends "Name: a, b\r\n" from a list of views or of strings. */
static int print_list(char *buf, size_t cap, const char *name,
		      const struct pl *pls, unsigned n, const char *const *strs)
{
	size_t len = 0;
	int w = snprintf(buf, cap, "%s: ", name);
	if (w < 0 || (size_t)w >= cap)
		return -ENOSPC;
	len = (size_t)w;
	for (unsigned i = 0; pls ? i < n : strs[i] != NULL; i++) {
		const char *sep = i ? ", " : "";
		w = pls ? snprintf(buf + len, cap - len, "%s%.*s", sep,
				   (int)pls[i].l, pls[i].p)
			: snprintf(buf + len, cap - len, "%s%s", sep, strs[i]);
		if (w < 0 || (size_t)w >= cap - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	if (cap - len < 3)
		return -ENOSPC;
	memcpy(buf + len, "\r\n", 3);
	return (int)len + 2;
}

int sip_check_print_hdrs(const struct sip_check_result *r, char *buf,
			 size_t cap)
{
	if (cap)
		buf[0] = '\0';
	if (r->status == 420)
		return print_list(buf, cap, "Unsupported", r->unsupported,
				  r->n_unsupported, NULL);
	if (r->status == 415 && r->accept && r->accept[0])
		return print_list(buf, cap, "Accept", NULL, 0, r->accept);
	return 0;
}
