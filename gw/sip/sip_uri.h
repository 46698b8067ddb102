/*
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) parsed into zero-copy
 * views of the caller's text, %-escape handling, and URI comparison by the
 * rules of RFC 3261 §19.1.4 (tel: by RFC 3966 §4). Also the lexical helpers
 * of RFC 3261 §25.1 shared by the rest of gw/sip/.
 */
#ifndef GW_SIP_URI_H
#define GW_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pl.h"

/* --- Lexical helpers (RFC 3261 §25.1) ---------------------------------- */

/* Character classes, one bit each, of sip_ctab[]. */
enum {
	SIP_C_TOKEN = 0x01, /* token: alphanum and -.!%*_+`'~ */
	SIP_C_LWS = 0x02,   /* SP, HTAB, and the CR LF of a fold */
	SIP_C_URI = 0x04,   /* may appear in a URI: %x21-7E but <>" */
	SIP_C_WORD = 0x08,  /* word (Call-ID): token and ()<>:\"/[]?{} */
	SIP_C_LIST = 0x10,  /* matters when splitting lists: , " < > */
	SIP_C_ALNUM = 0x20,
	SIP_C_HOST = 0x40,  /* hostname / IPv4address: alphanum - . */
	SIP_C_UNRES = 0x80, /* unreserved: alphanum and -_.!~*'() */
};

extern const unsigned char sip_ctab[256];

static inline bool sip_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool sip_is_alpha(unsigned char c)
{
	c |= 0x20;
	return c >= 'a' && c <= 'z';
}

static inline bool sip_is_alnum(unsigned char c)
{
	return sip_ctab[c] & SIP_C_ALNUM;
}

static inline int sip_hex_val(unsigned char c)
{
	if (sip_is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline bool sip_is_token(unsigned char c)
{
	return sip_ctab[c] & SIP_C_TOKEN;
}

/* SP or HTAB. */
static inline bool sip_is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Whitespace inside a header value that framing accepted: SP, HTAB, and
 * the CR LF of a fold (framing guarantees a fold is followed by SP/HTAB).
 */
static inline bool sip_is_lws(unsigned char c)
{
	return sip_ctab[c] & SIP_C_LWS;
}

static inline const char *sip_skip_lws(const char *p, const char *e)
{
	while (p < e && sip_is_lws((unsigned char)*p))
		p++;
	return p;
}

/* First byte at or after p (before e) not in class cls, or e. */
static inline const char *sip_span(const char *p, const char *e,
				   unsigned char cls)
{
	while (p < e && (sip_ctab[(unsigned char)*p] & cls))
		p++;
	return p;
}

/* First byte at or after p (before e) in class cls, or e. */
static inline const char *sip_span_not(const char *p, const char *e,
				       unsigned char cls)
{
	while (p < e && !(sip_ctab[(unsigned char)*p] & cls))
		p++;
	return p;
}

/* ASCII lower case (locale-free). */
static inline unsigned char sip_lower(unsigned char c)
{
	return (unsigned char)(c + ((unsigned)(c - 'A') < 26u ? 32 : 0));
}

/* Case-insensitive ASCII comparison of a view with a C string. */
static inline bool sip_pl_ieq(struct pl a, const char *s)
{
	if (strlen(s) != a.l)
		return false;
	for (size_t i = 0; i < a.l; i++)
		if (sip_lower((unsigned char)a.p[i]) !=
		    sip_lower((unsigned char)s[i]))
			return false;
	return true;
}

/* Strips LWS (folds included) from both ends of a view. */
static inline struct pl sip_pl_trim(struct pl v)
{
	while (v.l && sip_is_lws((unsigned char)v.p[0])) {
		v.p++;
		v.l--;
	}
	while (v.l && sip_is_lws((unsigned char)v.p[v.l - 1]))
		v.l--;
	return v;
}

/* True if the whole view is a non-empty token. */
bool sip_pl_is_token(struct pl v);

/*
 * hostname / IPv4address (RFC 3261 §25.1), checked loosely: labels of
 * alphanumerics and '-' separated by single dots.
 */
bool sip_hostname_ok(struct pl h);

/* IPv6address (RFC 4291 §2.2), without the brackets of a reference. */
bool sip_ipv6_ok(struct pl h);

/* --- URIs ---------------------------------------------------------------- */

enum sip_scheme {
	SIP_SCHEME_SIP,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
	SIP_SCHEME_OTHER, /* syntax of the scheme checked, the rest opaque */
};

/*
 * A parsed URI; every view points into the parsed text and keeps its
 * %-escapes as written.
 */
struct sip_uri {
	enum sip_scheme scheme;
	struct pl scheme_pl; /* as written, without ':' */
	struct pl opaque;    /* everything after "scheme:" */
	struct pl user;	     /* sip/sips: user (unset if no userinfo);
				tel: the telephone-subscriber number */
	struct pl password;  /* unset if none */
	struct pl host;	     /* without the [] of an IPv6 reference */
	bool host_ipv6;
	uint16_t port; /* 0 when absent */
	struct pl port_pl;
	struct pl params;  /* ";a=b;c" including the first ';', or unset */
	struct pl headers; /* "h=v&h2=v2" after '?', or unset */
};

/*
 * Parses a URI: sip:/sips: per RFC 3261 §19.1.1 and §25.1, tel: per
 * RFC 3966 §3 (a local number needs phone-context), other schemes only
 * "scheme:" plus non-empty text without whitespace or controls. Returns 0
 * or -EINVAL. The views in *u point into s.
 */
int sip_uri_parse(struct sip_uri *u, struct pl s);

/*
 * Finds URI parameter name (case-insensitive, escapes decoded) in
 * u->params. Returns 0 and the raw value (empty view for a parameter
 * without '='), or -ENOENT.
 */
int sip_uri_param(const struct sip_uri *u, const char *name, struct pl *val);

/*
 * Finds URI header hname (case-insensitive) in u->headers. Returns 0 and
 * the raw (escaped) value, or -ENOENT.
 */
int sip_uri_header(const struct sip_uri *u, const char *name, struct pl *val);

/*
 * RFC 3261 §19.1.4 comparison of two SIP/SIPS URIs, RFC 3966 §4 for tel:,
 * case-insensitive byte comparison of the rest for other schemes.
 */
bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b);

/* Parses both strings and compares them; false if either is malformed. */
bool sip_uri_eq_str(struct pl a, struct pl b);

/*
 * Compares two escaped strings with RFC 3261 §19.1.4 escape equivalence:
 * "%" HEX HEX of a character outside the RFC 2396 reserved set equals the
 * character itself; escaped reserved characters only equal the same escape.
 * icase: compare letters case-insensitively. A malformed escape compares
 * as the literal characters.
 */
bool sip_esc_eq(struct pl a, struct pl b, bool icase);

/*
 * Decodes %-escapes of in into out (not NUL-terminated; may contain NUL
 * bytes). Returns 0 and *out_len, -EINVAL for a malformed escape, or
 * -ENOSPC if out is too small.
 */
int sip_unescape(struct pl in, char *out, size_t cap, size_t *out_len);

#endif
