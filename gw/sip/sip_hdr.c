/*
 * Typed SIP header parsers, run on demand over the views the framing
 * indexed: Via (RFC 3261 §20.42, RFC 3581), name-addr / addr-spec with
 * header params (§20.10, §20.20, §20.39), CSeq (§20.16), Call-ID (§20.8),
 * Max-Forwards (§20.22), delta-seconds (§20.19), Content-Type and Accept
 * (§20.15, §20.1), option-tag lists (§20.32) and Date (§20.17). Values
 * may contain folds: CR and LF count as LWS here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sip/sip_msg.h"

/* A cursor over a value. */
struct lex {
	const char *p, *e;
};

static struct lex lex_of(struct pl v)
{
	static const char empty[1];
	if (!v.p) /* an unset view reads as empty */
		return (struct lex){empty, empty};
	return (struct lex){v.p, v.p + v.l};
}

static bool lex_end(struct lex *x)
{
	return x->p >= x->e;
}

/* Skips LWS; returns whether any was there. */
static bool lex_lws(struct lex *x)
{
	const char *p = x->p;
	x->p = sip_skip_lws(x->p, x->e);
	return x->p != p;
}

/* SWS c SWS, as the separators SLASH, EQUAL, SEMI, COLON (§25.1). */
static bool lex_sep(struct lex *x, char c)
{
	struct lex y = *x;
	lex_lws(&y);
	if (lex_end(&y) || *y.p != c)
		return false;
	y.p++;
	lex_lws(&y);
	*x = y;
	return true;
}

static bool lex_token(struct lex *x, struct pl *t)
{
	const char *s = x->p;
	x->p = sip_span(x->p, x->e, SIP_C_TOKEN);
	*t = (struct pl){s, (size_t)(x->p - s)};
	return t->l > 0;
}

/*
 * quoted-string (§25.1) at x->p: qdtext is LWS or a non-control byte other
 * than '"' and '\'; quoted-pair is '\' then any byte but CR and LF.
 * *inner gets the text between the quotes.
 */
static bool lex_quoted(struct lex *x, struct pl *inner)
{
	const char *p = x->p;
	if (p >= x->e || *p != '"')
		return false;
	for (p++; p < x->e; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			*inner = (struct pl){x->p + 1, (size_t)(p - x->p - 1)};
			x->p = p + 1;
			return true;
		}
		if (c == '\\') {
			if (p + 1 >= x->e || p[1] == '\r' || p[1] == '\n')
				return false;
			p++;
		} else if ((c < 0x20 && !sip_is_lws(c)) || c == 0x7f) {
			return false;
		}
	}
	return false;
}

/* gen-value = token / host / quoted-string (§25.1). */
static bool lex_gen_value(struct lex *x, struct pl *v)
{
	const char *s = x->p;
	if (lex_end(x))
		return false;
	if (*x->p == '"') {
		struct pl inner;
		if (!lex_quoted(x, &inner))
			return false;
	} else if (*x->p == '[') {
		const char *rb = memchr(x->p, ']', (size_t)(x->e - x->p));
		if (!rb || !sip_ipv6_ok(
			       (struct pl){x->p + 1, (size_t)(rb - x->p - 1)}))
			return false;
		x->p = rb + 1;
	} else {
		/* token, or an IPv6address as Via's received has it (§20.42) */
		while (x->p < x->e &&
		       (sip_is_token((unsigned char)*x->p) || *x->p == ':'))
			x->p++;
		if (x->p == s)
			return false;
	}
	*v = (struct pl){s, (size_t)(x->p - s)};
	return true;
}

int sip_param_next(struct pl *rest, struct pl *name, struct pl *val)
{
	struct lex x = lex_of(*rest);
	lex_lws(&x);
	if (lex_end(&x))
		return 0;
	if (!lex_sep(&x, ';') || !lex_token(&x, name))
		return -EBADMSG;
	*val = (struct pl){NULL, 0};
	if (lex_sep(&x, '=') && !lex_gen_value(&x, val))
		return -EBADMSG;
	*rest = (struct pl){x.p, (size_t)(x.e - x.p)};
	return 1;
}

int sip_param_find(struct pl params, const char *name, struct pl *val)
{
	struct pl n, v;
	int r;
	while ((r = sip_param_next(&params, &n, &v)) == 1) {
		if (sip_pl_ieq(n, name)) {
			*val = v;
			return 0;
		}
	}
	return r ? r : -ENOENT;
}

/* Validates a parameter list to its end. */
static bool params_ok(struct pl params)
{
	struct pl n, v;
	int r;
	while ((r = sip_param_next(&params, &n, &v)) == 1)
		;
	return r == 0;
}

/* Unsigned decimal with at most max as value; 1*DIGIT, nothing else. */
static bool dec_parse(struct pl v, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	if (!v.l)
		return false;
	for (size_t i = 0; i < v.l; i++) {
		if (!sip_is_digit((unsigned char)v.p[i]))
			return false;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

/* --- Via ----------------------------------------------------------------- */

static bool ipv4_ok(struct pl v)
{
	char tmp[16];
	struct in_addr a;
	if (!v.l || v.l >= sizeof(tmp))
		return false;
	memcpy(tmp, v.p, v.l);
	tmp[v.l] = '\0';
	return inet_pton(AF_INET, tmp, &a) == 1;
}

/* received = IPv4address / IPv6address (RFC 5118 §4.5 allows []). */
static bool received_ok(struct pl v)
{
	if (v.l > 2 && v.p[0] == '[' && v.p[v.l - 1] == ']')
		return sip_ipv6_ok((struct pl){v.p + 1, v.l - 2});
	return ipv4_ok(v) || sip_ipv6_ok(v);
}

/* host as a gen-value: hostname, IPv4 or [IPv6]. */
static bool host_value_ok(struct pl v)
{
	if (v.l > 2 && v.p[0] == '[')
		return v.p[v.l - 1] == ']' &&
		       sip_ipv6_ok((struct pl){v.p + 1, v.l - 2});
	return sip_hostname_ok(v);
}

/* One Via parameter of the ones RFC 3261 §20.42 / RFC 3581 define. */
static bool via_param(struct sip_via *v, struct pl n, struct pl val)
{
	uint64_t u;
	bool quoted = val.l && val.p[0] == '"';
	if (sip_pl_ieq(n, "branch")) {
		v->branch = val;
		return val.p && !quoted;
	}
	if (sip_pl_ieq(n, "received")) {
		v->received = val;
		return val.p && received_ok(val);
	}
	if (sip_pl_ieq(n, "maddr")) {
		v->maddr = val;
		return val.p && host_value_ok(val);
	}
	if (sip_pl_ieq(n, "ttl")) {
		if (!val.p || !dec_parse(val, 255, &u))
			return false;
		v->ttl = (int)u;
		return true;
	}
	if (sip_pl_ieq(n, "rport")) {
		v->rport = val.p ? val : (struct pl){n.p + n.l, 0};
		if (!val.p)
			return true;
		if (!dec_parse(val, 65535, &u))
			return false;
		v->rport_port = (uint16_t)u;
		return true;
	}
	return true;
}

/* sent-by = host [ COLON port ] */
static bool via_sent_by(struct sip_via *v, struct lex *x)
{
	if (!lex_end(x) && *x->p == '[') {
		const char *rb = memchr(x->p, ']', (size_t)(x->e - x->p));
		if (!rb)
			return false;
		v->host = (struct pl){x->p + 1, (size_t)(rb - x->p - 1)};
		v->host_ipv6 = true;
		x->p = rb + 1;
		if (!sip_ipv6_ok(v->host))
			return false;
	} else {
		const char *s = x->p;
		while (x->p < x->e && (sip_is_alnum((unsigned char)*x->p) ||
				       *x->p == '-' || *x->p == '.'))
			x->p++;
		v->host = (struct pl){s, (size_t)(x->p - s)};
		if (!sip_hostname_ok(v->host))
			return false;
	}
	if (lex_sep(x, ':')) {
		const char *s = x->p;
		uint64_t port;
		while (x->p < x->e && sip_is_digit((unsigned char)*x->p))
			x->p++;
		if (!dec_parse((struct pl){s, (size_t)(x->p - s)}, 65535,
			       &port))
			return false;
		v->port = (uint16_t)port;
	}
	return true;
}

int sip_via_parse(struct sip_via *v, struct pl val)
{
	struct lex x = lex_of(val);
	struct pl n, pv;
	int r;
	memset(v, 0, sizeof(*v));
	v->val = val;
	v->ttl = -1;
	lex_lws(&x);
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport
	 */
	if (!lex_token(&x, &v->proto) || !lex_sep(&x, '/') ||
	    !lex_token(&x, &v->version) || !lex_sep(&x, '/') ||
	    !lex_token(&x, &v->transport))
		return -EBADMSG;
	if (!lex_lws(&x) || !via_sent_by(v, &x))
		return -EBADMSG;
	v->params = (struct pl){x.p, (size_t)(x.e - x.p)};
	struct pl rest = v->params;
	while ((r = sip_param_next(&rest, &n, &pv)) == 1)
		if (!via_param(v, n, pv))
			return -EBADMSG;
	if (r < 0)
		return -EBADMSG;
	v->params = sip_pl_trim(v->params);
	if (!v->params.l)
		v->params.p = NULL;
	return 0;
}

int sip_msg_via_next(const struct sip_msg *m, struct sip_iter *it,
		     struct sip_via *v)
{
	struct pl val;
	if (!sip_msg_next_value(m, SIP_HDR_VIA, it, &val))
		return -ENOENT;
	return sip_via_parse(v, val);
}

int sip_msg_via(const struct sip_msg *m, struct sip_via *v)
{
	struct sip_iter it = SIP_ITER_INIT;
	return sip_msg_via_next(m, &it, v);
}

/* --- name-addr / addr-spec ---------------------------------------------- */

/* display-name = *(token LWS) / quoted-string; here the token form. */
static bool token_dname_ok(struct pl d)
{
	for (size_t i = 0; i < d.l; i++) {
		unsigned char c = (unsigned char)d.p[i];
		if (!sip_is_token(c) && !sip_is_lws(c))
			return false;
	}
	return true;
}

/* "scheme:" then something, with no LWS (addr-spec inside <>). */
static bool uri_text_ok(struct pl u)
{
	size_t i = 0;
	if (!u.l || !sip_is_alpha((unsigned char)u.p[0]))
		return false;
	while (i < u.l && (sip_is_alnum((unsigned char)u.p[i]) ||
			   u.p[i] == '+' || u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (i + 1 >= u.l || u.p[i] != ':')
		return false;
	return sip_span(u.p + i, u.p + u.l, SIP_C_URI) == u.p + u.l;
}

/* "<" addr-spec ">" at x->p (RAQUOT/LAQUOT allow no LWS inside). */
static bool angle_uri(struct sip_addr *a, struct lex *x)
{
	const char *gt = memchr(x->p, '>', (size_t)(x->e - x->p));
	if (lex_end(x) || *x->p != '<' || !gt)
		return false;
	a->angle = true;
	a->uri = (struct pl){x->p + 1, (size_t)(gt - x->p - 1)};
	x->p = gt + 1;
	return uri_text_ok(a->uri);
}

/* addr-spec without <>: ends at ';' or LWS; no ',' or '?' (§20.10). */
static bool bare_uri(struct sip_addr *a, struct lex *x)
{
	const char *s = x->p;
	while (x->p < x->e && *x->p != ';' && !sip_is_lws((unsigned char)*x->p))
		x->p++;
	a->uri = (struct pl){s, (size_t)(x->p - s)};
	return uri_text_ok(a->uri) && !memchr(a->uri.p, ',', a->uri.l) &&
	       !memchr(a->uri.p, '?', a->uri.l);
}

/* Where a token display name ends: at a '<' before any quote. */
static const char *find_laquot(struct lex *x)
{
	for (const char *p = x->p; p < x->e; p++) {
		if (*p == '<')
			return p;
		if (*p == '"')
			return NULL;
	}
	return NULL;
}

/* The header parameters after the URI; captures tag (§19.3: a token). */
static bool addr_params(struct sip_addr *a, struct lex *x)
{
	struct pl rest = {x->p, (size_t)(x->e - x->p)}, n, v;
	int r;
	while ((r = sip_param_next(&rest, &n, &v)) == 1) {
		if (!sip_pl_ieq(n, "tag"))
			continue;
		if (!v.p || !sip_pl_is_token(v))
			return false;
		a->tag = v;
	}
	if (r < 0)
		return false;
	a->params = sip_pl_trim((struct pl){x->p, (size_t)(x->e - x->p)});
	if (!a->params.l)
		a->params.p = NULL;
	return true;
}

int sip_addr_parse(struct sip_addr *a, struct pl val, bool allow_star)
{
	struct lex x;
	memset(a, 0, sizeof(*a));
	a->val = val = sip_pl_trim(val);
	x = lex_of(val);
	if (allow_star && pl_eq_str(val, "*")) {
		a->star = true;
		return 0;
	}
	if (!lex_end(&x) && *x.p == '"') {
		a->dname_quoted = true;
		if (!lex_quoted(&x, &a->dname))
			return -EBADMSG;
		lex_lws(&x);
		if (!angle_uri(a, &x))
			return -EBADMSG;
	} else {
		const char *lt = find_laquot(&x);
		if (lt) {
			a->dname =
			    sip_pl_trim((struct pl){x.p, (size_t)(lt - x.p)});
			if (!token_dname_ok(a->dname))
				return -EBADMSG;
			if (!a->dname.l)
				a->dname.p = NULL;
			x.p = lt;
			if (!angle_uri(a, &x))
				return -EBADMSG;
		} else if (!bare_uri(a, &x)) {
			return -EBADMSG;
		}
	}
	return addr_params(a, &x) ? 0 : -EBADMSG;
}

/* The one value of a single-valued header, not split at commas. */
static int single(const struct sip_msg *m, enum sip_hdr_id id, struct pl *v)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	if (!h)
		return -ENOENT;
	*v = h->val;
	return 0;
}

int sip_msg_from(const struct sip_msg *m, struct sip_addr *a)
{
	struct pl v;
	int r = single(m, SIP_HDR_FROM, &v);
	return r ? r : sip_addr_parse(a, v, false);
}

int sip_msg_to(const struct sip_msg *m, struct sip_addr *a)
{
	struct pl v;
	int r = single(m, SIP_HDR_TO, &v);
	return r ? r : sip_addr_parse(a, v, false);
}

int sip_msg_addr_next(const struct sip_msg *m, enum sip_hdr_id id,
		      struct sip_iter *it, struct sip_addr *a)
{
	struct pl v;
	if (!sip_msg_next_value(m, id, it, &v))
		return -ENOENT;
	return sip_addr_parse(a, v, id == SIP_HDR_CONTACT);
}

/* --- Scalars ------------------------------------------------------------- */

int sip_cseq_parse(struct sip_cseq *c, struct pl val)
{
	struct lex x = lex_of(val);
	const char *s;
	uint64_t n;
	lex_lws(&x);
	s = x.p;
	while (x.p < x.e && sip_is_digit((unsigned char)*x.p))
		x.p++;
	/* §8.1.1.5: a 32-bit number less than 2^31 */
	if (!dec_parse((struct pl){s, (size_t)(x.p - s)}, 0x7fffffff, &n))
		return -EBADMSG;
	if (!lex_lws(&x) || !lex_token(&x, &c->method_pl))
		return -EBADMSG;
	lex_lws(&x);
	if (!lex_end(&x))
		return -EBADMSG;
	c->num = (uint32_t)n;
	c->method = sip_method_parse(c->method_pl);
	return 0;
}

int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *c)
{
	struct pl v;
	int r = single(m, SIP_HDR_CSEQ, &v);
	return r ? r : sip_cseq_parse(c, v);
}

int sip_msg_callid(const struct sip_msg *m, struct pl *id)
{
	int r = single(m, SIP_HDR_CALL_ID, id);
	if (r)
		return r;
	/* callid = word [ "@" word ]; word = 1*(token / ()<>:\"/[]?{}) */
	const char *p = id->p, *e = id->p + id->l;
	const char *w = sip_span(p, e, SIP_C_WORD);
	if (w == p)
		return -EBADMSG;
	if (w < e && *w == '@') {
		p = w + 1;
		w = sip_span(p, e, SIP_C_WORD);
		if (w == p)
			return -EBADMSG;
	}
	return w == e ? 0 : -EBADMSG;
}

int sip_msg_max_forwards(const struct sip_msg *m, unsigned *mf)
{
	struct pl v;
	uint64_t n;
	int r = single(m, SIP_HDR_MAX_FORWARDS, &v);
	if (r)
		return r;
	if (!dec_parse(v, 255, &n))
		return -EBADMSG;
	*mf = (unsigned)n;
	return 0;
}

int sip_delta_parse(struct pl val, uint32_t *secs)
{
	uint64_t n;
	if (!dec_parse(sip_pl_trim(val), 0xffffffffu, &n))
		return -EBADMSG;
	*secs = (uint32_t)n;
	return 0;
}

int sip_msg_expires(const struct sip_msg *m, uint32_t *secs)
{
	struct pl v;
	int r = single(m, SIP_HDR_EXPIRES, &v);
	return r ? r : sip_delta_parse(v, secs);
}

int sip_msg_content_length(const struct sip_msg *m, size_t *n)
{
	if (!m->has_clen)
		return -ENOENT;
	*n = m->clen;
	return 0;
}

/* --- Media types and tags ------------------------------------------------ */

int sip_ctype_parse(struct sip_ctype *ct, struct pl val)
{
	struct lex x = lex_of(val);
	memset(ct, 0, sizeof(*ct));
	lex_lws(&x);
	if (!lex_token(&x, &ct->type) || !lex_sep(&x, '/') ||
	    !lex_token(&x, &ct->subtype))
		return -EBADMSG;
	struct pl rest = {x.p, (size_t)(x.e - x.p)};
	if (!params_ok(rest))
		return -EBADMSG;
	rest = sip_pl_trim(rest);
	if (rest.l)
		ct->params = rest;
	return 0;
}

int sip_msg_ctype(const struct sip_msg *m, struct sip_ctype *ct)
{
	struct pl v;
	int r = single(m, SIP_HDR_CONTENT_TYPE, &v);
	return r ? r : sip_ctype_parse(ct, v);
}

int sip_msg_accept_next(const struct sip_msg *m, struct sip_iter *it,
			struct sip_ctype *ct)
{
	struct pl v;
	if (!sip_msg_next_value(m, SIP_HDR_ACCEPT, it, &v))
		return -ENOENT;
	return sip_ctype_parse(ct, v);
}

int sip_msg_tags(const struct sip_msg *m, enum sip_hdr_id id, struct pl *out,
		 size_t cap)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct pl v;
	size_t n = 0;
	while (sip_msg_next_value(m, id, &it, &v)) {
		if (!sip_pl_is_token(v))
			return -EBADMSG;
		if (n == cap)
			return -E2BIG;
		out[n++] = v;
	}
	return (int)n;
}

/* --- Date ------------------------------------------------------------------
 */

/* Index of the 3-letter name at p in list (e.g. "JanFeb..."), or -1. */
static int name3(const char *p, const char *list)
{
	for (int i = 0; list[i * 3]; i++)
		if (memcmp(p, list + i * 3, 3) == 0)
			return i;
	return -1;
}

static bool two_digits(const char *p, int *v)
{
	if (!sip_is_digit((unsigned char)p[0]) ||
	    !sip_is_digit((unsigned char)p[1]))
		return false;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int y, int mon)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30,
				  31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d[mon - 1] + (mon == 2 && leap);
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (§25.1), e.g.
 * "Sat, 13 Nov 2010 23:29:00 GMT". */
static int date_parse(struct pl v, int64_t *t)
{
	const char *p = v.p;
	int day, y1, y2, hh, mm, ss, mon;
	if (v.l != 29 || name3(p, "MonTueWedThuFriSatSun") < 0 ||
	    memcmp(p + 3, ", ", 2) != 0 || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' ||
	    memcmp(p + 25, " GMT", 4) != 0)
		return -EBADMSG;
	mon = name3(p + 8, "JanFebMarAprMayJunJulAugSepOctNovDec") + 1;
	if (!mon || !two_digits(p + 5, &day) || !two_digits(p + 12, &y1) ||
	    !two_digits(p + 14, &y2) || !two_digits(p + 17, &hh) ||
	    !two_digits(p + 20, &mm) || !two_digits(p + 23, &ss))
		return -EBADMSG;
	int y = y1 * 100 + y2;
	if (day < 1 || day > month_days(y, mon) || hh > 23 || mm > 59 ||
	    ss > 60)
		return -EBADMSG;
	*t = days_from_civil(y, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

int sip_msg_date(const struct sip_msg *m, int64_t *unix_s)
{
	struct pl v;
	int r = single(m, SIP_HDR_DATE, &v);
	return r ? r : date_parse(v, unix_s);
}
