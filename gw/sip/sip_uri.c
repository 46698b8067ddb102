/*
 * SIP/SIPS URI (RFC 3261 §19.1, grammar §25.1) and tel URI (RFC 3966)
 * parsing into views, %-escape decoding, and URI equivalence: RFC 3261
 * §19.1.4 for sip/sips, RFC 3966 §4 for tel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sip/sip_uri.h"

/* Generated from the class definitions in sip_uri.h; test_sip_uri checks
 * every byte against them. */
const unsigned char sip_ctab[256] = {
    /* 00 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 08 */ 0x00, 0x02, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00,
    /* 10 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 18 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 20 */ 0x02, 0x8d, 0x18, 0x04, 0x04, 0x0d, 0x04, 0x8d,
    /* 28 */ 0x8c, 0x8c, 0x8d, 0x0d, 0x14, 0xcd, 0xcd, 0x0c,
    /* 30 */ 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 38 */ 0xed, 0xed, 0x0c, 0x04, 0x18, 0x04, 0x18, 0x0c,
    /* 40 */ 0x04, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 48 */ 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 50 */ 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 58 */ 0xed, 0xed, 0xed, 0x0c, 0x0c, 0x0c, 0x04, 0x8d,
    /* 60 */ 0x0d, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 68 */ 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 70 */ 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed, 0xed,
    /* 78 */ 0xed, 0xed, 0xed, 0x0c, 0x04, 0x0c, 0x8d, 0x00,
    /* 80 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 88 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 90 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* 98 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* a0 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* a8 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* b0 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* b8 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* c0 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* c8 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* d0 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* d8 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* e0 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* e8 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* f0 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* f8 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* RFC 2396 §2.2 reserved characters (escaping them changes meaning). */
static bool is_reserved(unsigned char c)
{
	switch (c) {
	case ';':
	case '/':
	case '?':
	case ':':
	case '@':
	case '&':
	case '=':
	case '+':
	case '$':
	case ',':
		return true;
	default:
		return false;
	}
}

/* unreserved = alphanum / mark (RFC 3261 §25.1) */
static bool is_unreserved(unsigned char c)
{
	return sip_ctab[c] & SIP_C_UNRES;
}

bool sip_pl_is_token(struct pl v)
{
	return v.l && sip_span(v.p, v.p + v.l, SIP_C_TOKEN) == v.p + v.l;
}

/*
 * Checks that every character of v is unreserved, a valid escape, or one
 * of the extra characters in `extra`; with `nonempty`, v must not be empty.
 */
static bool chars_ok(struct pl v, const char *extra, bool nonempty)
{
	if (nonempty && !v.l)
		return false;
	for (size_t i = 0; i < v.l; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '%') {
			if (v.l - i < 3)
				return false;
			if (sip_hex_val((unsigned char)v.p[i + 1]) < 0 ||
			    sip_hex_val((unsigned char)v.p[i + 2]) < 0)
				return false;
			i += 2;
		} else if (!is_unreserved(c) && (!c || !strchr(extra, c))) {
			return false;
		}
	}
	return true;
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/*
 * Reads one character unit of an escaped string: returns the decoded byte
 * in *c and whether it stays an escape (a reserved character).
 */
static bool next_unit(const char **pp, const char *e, unsigned char *c)
{
	const char *p = *pp;
	if (*p == '%' && e - p >= 3) {
		int h = sip_hex_val((unsigned char)p[1]);
		int l = sip_hex_val((unsigned char)p[2]);
		if (h >= 0 && l >= 0) {
			*c = (unsigned char)(h << 4 | l);
			*pp = p + 3;
			return is_reserved(*c);
		}
	}
	*c = (unsigned char)*p;
	*pp = p + 1;
	return false;
}

bool sip_esc_eq(struct pl a, struct pl b, bool icase)
{
	const char *pa = a.p, *ea = a.p + a.l;
	const char *pb = b.p, *eb = b.p + b.l;
	while (pa < ea && pb < eb) {
		unsigned char ca, cb;
		bool ra = next_unit(&pa, ea, &ca);
		bool rb = next_unit(&pb, eb, &cb);
		if (ra != rb)
			return false;
		if (icase) {
			ca = lower(ca);
			cb = lower(cb);
		}
		if (ca != cb)
			return false;
	}
	return pa == ea && pb == eb;
}

int sip_unescape(struct pl in, char *out, size_t cap, size_t *out_len)
{
	size_t n = 0;
	for (size_t i = 0; i < in.l; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (c == '%') {
			if (in.l - i < 3)
				return -EINVAL;
			int h = sip_hex_val((unsigned char)in.p[i + 1]);
			int l = sip_hex_val((unsigned char)in.p[i + 2]);
			if (h < 0 || l < 0)
				return -EINVAL;
			c = (unsigned char)(h << 4 | l);
			i += 2;
		}
		if (n >= cap)
			return -ENOSPC;
		out[n++] = (char)c;
	}
	*out_len = n;
	return 0;
}

bool sip_hostname_ok(struct pl h)
{
	if (!h.l || h.p[0] == '.' || h.p[0] == '-')
		return false;
	for (size_t i = 0; i < h.l; i++) {
		unsigned char c = (unsigned char)h.p[i];
		if (c == '.') {
			if (i + 1 < h.l &&
			    (h.p[i + 1] == '.' || h.p[i + 1] == '-'))
				return false;
		} else if (!sip_is_alnum(c) && c != '-') {
			return false;
		}
	}
	return true;
}

/* IPv6address (RFC 4291 §2.2); its 16 bytes into out if not NULL. */
static bool ipv6_ok(struct pl h, unsigned char out[16])
{
	char tmp[64];
	unsigned char dummy[16];
	if (!h.l || h.l >= sizeof(tmp))
		return false;
	memcpy(tmp, h.p, h.l);
	tmp[h.l] = '\0';
	return inet_pton(AF_INET6, tmp, out ? out : dummy) == 1;
}

bool sip_ipv6_ok(struct pl h)
{
	return ipv6_ok(h, NULL);
}

/*
 * Parses host [":" port] at the start of s (stops at ';', '?' or end).
 * Returns the number of bytes used, or -EINVAL.
 */
static int parse_hostport(struct sip_uri *u, struct pl s)
{
	const char *p = s.p, *e = s.p + s.l;
	if (p < e && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(e - p));
		if (!rb)
			return -EINVAL;
		u->host = (struct pl){p + 1, (size_t)(rb - p - 1)};
		u->host_ipv6 = true;
		if (!ipv6_ok(u->host, NULL))
			return -EINVAL;
		p = rb + 1;
	} else {
		const char *h = p;
		while (p < e && *p != ':' && *p != ';' && *p != '?')
			p++;
		u->host = (struct pl){h, (size_t)(p - h)};
		if (!sip_hostname_ok(u->host))
			return -EINVAL;
	}
	if (p < e && *p == ':') {
		const char *d = ++p;
		unsigned long port = 0;
		while (p < e && sip_is_digit((unsigned char)*p) &&
		       port <= 65535)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == d || port > 65535)
			return -EINVAL;
		u->port = (uint16_t)port;
		u->port_pl = (struct pl){d, (size_t)(p - d)};
	}
	if (p < e && *p != ';' && *p != '?')
		return -EINVAL;
	return (int)(p - s.p);
}

/* uri-parameters: *( ";" pname [ "=" pvalue ] ), paramchar per §25.1. */
static bool params_ok(struct pl params)
{
	const char *p = params.p + 1, *e = params.p + params.l;
	for (;;) {
		const char *semi = memchr(p, ';', (size_t)(e - p));
		const char *end = semi ? semi : e;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		struct pl name = {p, (size_t)((eq ? eq : end) - p)};
		if (!chars_ok(name, "[]/:&+$", true))
			return false;
		if (eq && !chars_ok((struct pl){eq + 1, (size_t)(end - eq - 1)},
				    "[]/:&+$", true))
			return false;
		if (!semi)
			return true;
		p = semi + 1;
	}
}

/* headers: hname "=" hvalue *( "&" hname "=" hvalue ) (§25.1). */
static bool headers_ok(struct pl hdrs)
{
	const char *p = hdrs.p, *e = hdrs.p + hdrs.l;
	for (;;) {
		const char *amp = memchr(p, '&', (size_t)(e - p));
		const char *end = amp ? amp : e;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			return false;
		if (!chars_ok((struct pl){p, (size_t)(eq - p)}, "[]/?:+$",
			      true))
			return false;
		if (!chars_ok((struct pl){eq + 1, (size_t)(end - eq - 1)},
			      "[]/?:+$", false))
			return false;
		if (!amp)
			return true;
		p = amp + 1;
	}
}

/* userinfo = ( user / telephone-subscriber ) [ ":" password ] "@" */
static int parse_userinfo(struct sip_uri *u, struct pl ui)
{
	const char *colon = memchr(ui.p, ':', ui.l);
	u->user = (struct pl){ui.p, colon ? (size_t)(colon - ui.p) : ui.l};
	if (!chars_ok(u->user, "&=+$,;?/", true))
		return -EINVAL;
	if (colon) {
		u->password =
		    (struct pl){colon + 1, (size_t)(ui.p + ui.l - colon - 1)};
		if (!chars_ok(u->password, "&=+$,", false))
			return -EINVAL;
	}
	return 0;
}

/* The part of a sip:/sips: URI after the scheme (RFC 3261 §19.1.1). */
static int parse_sip(struct sip_uri *u, struct pl s)
{
	const char *e = s.p + s.l;
	const char *at = memchr(s.p, '@', s.l);
	struct pl rest = s;
	if (at) {
		if (parse_userinfo(u, (struct pl){s.p, (size_t)(at - s.p)}))
			return -EINVAL;
		rest = (struct pl){at + 1, (size_t)(e - at - 1)};
	}
	int n = parse_hostport(u, rest);
	if (n < 0)
		return n;
	const char *p = rest.p + n;
	const char *q = memchr(p, '?', (size_t)(e - p));
	if (p < e && *p == ';') {
		u->params = (struct pl){p, (size_t)((q ? q : e) - p)};
		if (!params_ok(u->params))
			return -EINVAL;
	}
	if (q) {
		u->headers = (struct pl){q + 1, (size_t)(e - q - 1)};
		if (!headers_ok(u->headers))
			return -EINVAL;
	}
	return 0;
}

static bool is_visual_sep(unsigned char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/*
 * global-number-digits = "+" *phonedigit DIGIT *phonedigit, or (local)
 * *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex (RFC 3966 §3).
 */
static bool tel_digits_ok(struct pl n, bool *global)
{
	size_t i = 0, digits = 0;
	*global = n.l && n.p[0] == '+';
	if (*global)
		i++;
	for (; i < n.l; i++) {
		unsigned char c = (unsigned char)n.p[i];
		if (sip_is_digit(c) ||
		    (!*global && (sip_hex_val(c) >= 0 || c == '*' || c == '#')))
			digits++;
		else if (!is_visual_sep(c))
			return false;
	}
	return digits > 0;
}

/* telephone-subscriber (RFC 3966 §3): number then ;params. */
static int parse_tel(struct sip_uri *u, struct pl s)
{
	const char *semi = memchr(s.p, ';', s.l);
	bool global, ctx = false;
	u->user = (struct pl){s.p, semi ? (size_t)(semi - s.p) : s.l};
	if (!tel_digits_ok(u->user, &global))
		return -EINVAL;
	if (semi) {
		u->params = (struct pl){semi, (size_t)(s.p + s.l - semi)};
		if (!params_ok(u->params))
			return -EINVAL;
		struct pl v;
		if (sip_uri_param(u, "phone-context", &v) == 0) {
			bool g;
			ctx = true;
			if (!v.l || (v.p[0] == '+' && !tel_digits_ok(v, &g)))
				return -EINVAL;
			if (v.p[0] != '+' && !sip_hostname_ok(v))
				return -EINVAL;
		}
	}
	/* RFC 3966 §5.1.5: local numbers MUST carry a phone-context. */
	if (!global && !ctx)
		return -EINVAL;
	return 0;
}

/* URI text: printable ASCII without space, '<', '>' or '"'. */
static bool uri_chars_ok(struct pl s)
{
	return sip_span(s.p, s.p + s.l, SIP_C_URI) == s.p + s.l;
}

int sip_uri_parse(struct sip_uri *u, struct pl s)
{
	memset(u, 0, sizeof(*u));
	if (!s.l || !sip_is_alpha((unsigned char)s.p[0]) || !uri_chars_ok(s))
		return -EINVAL;
	size_t i = 1;
	while (i < s.l && (sip_is_alnum((unsigned char)s.p[i]) ||
			   s.p[i] == '+' || s.p[i] == '-' || s.p[i] == '.'))
		i++;
	if (i >= s.l || s.p[i] != ':' || i + 1 == s.l)
		return -EINVAL;
	u->scheme_pl = (struct pl){s.p, i};
	u->opaque = (struct pl){s.p + i + 1, s.l - i - 1};
	if (sip_pl_ieq(u->scheme_pl, "sip"))
		u->scheme = SIP_SCHEME_SIP;
	else if (sip_pl_ieq(u->scheme_pl, "sips"))
		u->scheme = SIP_SCHEME_SIPS;
	else if (sip_pl_ieq(u->scheme_pl, "tel"))
		u->scheme = SIP_SCHEME_TEL;
	else
		u->scheme = SIP_SCHEME_OTHER;
	switch (u->scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		return parse_sip(u, u->opaque);
	case SIP_SCHEME_TEL:
		return parse_tel(u, u->opaque);
	case SIP_SCHEME_OTHER:
		return 0;
	}
	return -EINVAL;
}

/*
 * Iterates sep-separated "name[=value]" items of list (a view without its
 * leading separator). Returns false at the end.
 */
static bool item_next(struct pl *list, char sep, struct pl *name,
		      struct pl *val, bool *has_val)
{
	if (!list->p)
		return false;
	const char *e = list->p + list->l;
	const char *s = memchr(list->p, sep, list->l);
	const char *end = s ? s : e;
	const char *eq = memchr(list->p, '=', (size_t)(end - list->p));
	*name = (struct pl){list->p, (size_t)((eq ? eq : end) - list->p)};
	*has_val = eq != NULL;
	*val = eq ? (struct pl){eq + 1, (size_t)(end - eq - 1)}
		  : (struct pl){end, 0};
	if (s)
		*list = (struct pl){s + 1, (size_t)(e - s - 1)};
	else
		*list = (struct pl){NULL, 0};
	return true;
}

static int find_item(struct pl list, char sep, struct pl name, struct pl *val)
{
	struct pl n, v;
	bool hv;
	while (item_next(&list, sep, &n, &v, &hv)) {
		if (sip_esc_eq(n, name, true)) {
			*val = v;
			return 0;
		}
	}
	return -ENOENT;
}

int sip_uri_param(const struct sip_uri *u, const char *name, struct pl *val)
{
	if (!u->params.l)
		return -ENOENT;
	return find_item((struct pl){u->params.p + 1, u->params.l - 1}, ';',
			 pl_from(name), val);
}

int sip_uri_header(const struct sip_uri *u, const char *name, struct pl *val)
{
	if (!u->headers.p)
		return -ENOENT;
	return find_item(u->headers, '&', pl_from(name), val);
}

/* Digits (and hex, '*', '#') of a phone number without visual separators,
 * case-insensitively (RFC 3966 §4). */
static bool tel_num_eq(struct pl a, struct pl b)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a.l && is_visual_sep((unsigned char)a.p[i]))
			i++;
		while (j < b.l && is_visual_sep((unsigned char)b.p[j]))
			j++;
		if (i == a.l || j == b.l)
			return i == a.l && j == b.l;
		if (lower((unsigned char)a.p[i++]) !=
		    lower((unsigned char)b.p[j++]))
			return false;
	}
}

/* Values of tel parameters: numbers without separators, else text. */
static bool tel_val_eq(struct pl a, struct pl b)
{
	bool numeric =
	    b.l && (b.p[0] == '+' || sip_is_digit((unsigned char)b.p[0]));
	return numeric ? tel_num_eq(a, b) : sip_esc_eq(a, b, true);
}

/*
 * Looks for parameter n in list (";a=b;c", leading ';' included): 0 if no
 * parameter has that name, 1 if one has it with a value equal to v, -1 if
 * only with other values. Duplicates thus compare as sets.
 */
static int param_lookup(struct pl list, struct pl n, struct pl v, bool hv,
			bool tel)
{
	struct pl ln, lv;
	bool lhv;
	int found = 0;
	if (!list.l)
		return 0;
	list = (struct pl){list.p + 1, list.l - 1};
	while (item_next(&list, ';', &ln, &lv, &lhv)) {
		if (!sip_esc_eq(n, ln, true))
			continue;
		if (hv == lhv &&
		    (tel ? tel_val_eq(lv, v) : sip_esc_eq(lv, v, true)))
			return 1;
		found = -1;
	}
	return found;
}

/* Does a contain every parameter of b with an equal value? */
static bool tel_params_sub(struct pl a, struct pl b)
{
	struct pl n, v;
	bool hv;
	if (!b.l)
		return true;
	b = (struct pl){b.p + 1, b.l - 1};
	while (item_next(&b, ';', &n, &v, &hv))
		if (param_lookup(a, n, v, hv, true) != 1)
			return false;
	return true;
}

/* RFC 3966 §4: same kind of number, same digits, same set of params. */
static bool tel_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	bool ga = a->user.p[0] == '+', gb = b->user.p[0] == '+';
	return ga == gb && tel_num_eq(a->user, b->user) &&
	       tel_params_sub(a->params, b->params) &&
	       tel_params_sub(b->params, a->params);
}

/* RFC 3261 §19.1.4: these parameters must be in both URIs or in neither. */
static bool param_is_strict(struct pl n)
{
	static const char *const strict[] = {"user", "ttl", "method", "maddr",
					     "transport"};
	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++)
		if (sip_esc_eq(n, pl_from(strict[i]), true))
			return true;
	return false;
}

/* Every parameter of a: equal in b if present there, and present there if
 * it is one of the strict ones. */
static bool params_match(struct pl a, struct pl b)
{
	struct pl n, v;
	bool hv;
	if (!a.l)
		return true;
	a = (struct pl){a.p + 1, a.l - 1};
	while (item_next(&a, ';', &n, &v, &hv)) {
		int r = param_lookup(b, n, v, hv, false);
		if (r < 0 || (r == 0 && param_is_strict(n)))
			return false;
	}
	return true;
}

/* Every header of a is in b with an equal value. */
static bool headers_sub(struct pl a, struct pl b)
{
	struct pl n, v;
	bool hv;
	while (a.p && item_next(&a, '&', &n, &v, &hv)) {
		struct pl bl = b, bn, bv;
		bool bhv, found = false;
		while (bl.p && item_next(&bl, '&', &bn, &bv, &bhv)) {
			if (sip_esc_eq(n, bn, true) &&
			    sip_esc_eq(v, bv, true)) {
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

static bool host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->host_ipv6 != b->host_ipv6)
		return false;
	if (a->host_ipv6) {
		unsigned char x[16], y[16];
		return ipv6_ok(a->host, x) && ipv6_ok(b->host, y) &&
		       memcmp(x, y, 16) == 0;
	}
	return sip_esc_eq(a->host, b->host, true);
}

/* RFC 3261 §19.1.4 for two SIP or two SIPS URIs. */
static bool sip_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (pl_isset(a->user) != pl_isset(b->user) ||
	    pl_isset(a->password) != pl_isset(b->password))
		return false;
	/* userinfo is compared case-sensitively */
	if (a->user.p && !sip_esc_eq(a->user, b->user, false))
		return false;
	if (a->password.p && !sip_esc_eq(a->password, b->password, false))
		return false;
	if (!host_eq(a, b))
		return false;
	/* an omitted port never equals an explicit one, even 5060 */
	if (pl_isset(a->port_pl) != pl_isset(b->port_pl) || a->port != b->port)
		return false;
	if (!params_match(a->params, b->params) ||
	    !params_match(b->params, a->params))
		return false;
	return headers_sub(a->headers, b->headers) &&
	       headers_sub(b->headers, a->headers);
}

bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		return sip_eq(a, b);
	case SIP_SCHEME_TEL:
		return tel_eq(a, b);
	case SIP_SCHEME_OTHER:
		return pl_caseeq(a->scheme_pl, b->scheme_pl) &&
		       sip_esc_eq(a->opaque, b->opaque, true);
	}
	return false;
}

bool sip_uri_eq_str(struct pl a, struct pl b)
{
	struct sip_uri ua, ub;
	if (sip_uri_parse(&ua, a) || sip_uri_parse(&ub, b))
		return false;
	return sip_uri_eq(&ua, &ub);
}
