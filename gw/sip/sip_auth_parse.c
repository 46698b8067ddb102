/*
 * Parsers of the digest header values (RFC 3261 §22.4 and §25.1, RFC 7616
 * §3.3/§3.4): WWW-/Proxy-Authenticate challenges and Authorization /
 * Proxy-Authorization credentials, as zero-copy views into the message.
 * See sip_auth.h for the contracts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "sip/sip_auth.h"
#include "sip/sip_auth_int.h"

/* --- Lexer (RFC 3261 §25.1) -------------------------------------------- */

struct lex {
	const char *p, *e;
};

/* End of a view; NULL for an unset one (no arithmetic on NULL). */
const char *auth_view_end(struct pl v)
{
	return v.p ? v.p + v.l : NULL;
}

static bool is_wsp(const char *p, const char *e)
{
	return p < e && (*p == ' ' || *p == '\t');
}

/* Length of a line break at p that is a fold (followed by WSP), else 0. */
static size_t fold_len(const char *p, const char *e)
{
	const char *q = p;
	if (q < e && *q == '\r')
		q++;
	if (q < e && *q == '\n')
		q++;
	return q != p && is_wsp(q, e) ? (size_t)(q - p) : 0;
}

/* Skips SWS: SP, HTAB and folds. Returns whether anything was skipped. */
static bool sws(struct lex *x)
{
	const char *s = x->p;
	for (;;) {
		if (is_wsp(x->p, x->e))
			x->p++;
		else if (fold_len(x->p, x->e))
			x->p += fold_len(x->p, x->e);
		else
			return x->p != s;
	}
}

static int token(struct lex *x, struct pl *t)
{
	const char *s = x->p;
	while (x->p < x->e && sip_is_token((unsigned char)*x->p))
		x->p++;
	*t = (struct pl){s, (size_t)(x->p - s)};
	return t->l ? 0 : -EBADMSG;
}

/*
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; x->p at the
 * opening quote. *in is the text between the quotes.
 */
static int quoted(struct lex *x, struct pl *in)
{
	const char *p = x->p + 1, *e = x->e;
	while (p < e && *p != '"') {
		unsigned char c = (unsigned char)*p;
		size_t f;
		if (c == '\\') {
			/* quoted-pair: %x00-09 / %x0B-0C / %x0E-7F */
			if (p + 1 >= e || p[1] == '\r' || p[1] == '\n' ||
			    (unsigned char)p[1] >= 0x80)
				return -EBADMSG;
			p += 2;
		} else if (c == ' ' || c == '\t' || c >= 0x80 ||
			   (c >= 0x21 && c != 0x7f)) {
			p++;
		} else if ((f = fold_len(p, e)) != 0) {
			p += f;
		} else {
			return -EBADMSG;
		}
	}
	if (p >= e)
		return -EBADMSG;
	*in = (struct pl){x->p + 1, (size_t)(p - x->p - 1)};
	x->p = p + 1;
	return 0;
}

/* One auth-param: token EQUAL (token / quoted-string). */
static int param(struct lex *x, struct pl *name, struct pl *val, bool *q)
{
	if (token(x, name))
		return -EBADMSG;
	sws(x);
	if (x->p >= x->e || *x->p != '=')
		return -EBADMSG;
	x->p++;
	sws(x);
	*q = x->p < x->e && *x->p == '"';
	return *q ? quoted(x, val) : token(x, val);
}

/*
 * Checks the "Digest" LWS prefix. Returns 0 with x after the LWS,
 * -ENOTSUP for another scheme, -EBADMSG.
 */
static int scheme(struct lex *x)
{
	struct pl t;
	bool lws;
	sws(x);
	if (token(x, &t))
		return -EBADMSG;
	lws = sws(x);
	if (!lws && x->p < x->e)
		return -EBADMSG; /* auth-scheme is followed by LWS */
	if (!pl_casecmp_str(t, "Digest"))
		return -ENOTSUP;
	return lws && x->p < x->e ? 0 : -EBADMSG;
}

/*
 * Calls fn for each parameter of the list after the scheme; COMMA between
 * (RFC 3261 §25.1: SWS "," SWS), none empty, SWS at the end.
 */
static int params(struct lex *x, void *obj, unsigned *seen,
		  int (*fn)(void *obj, struct pl n, struct pl v, bool q,
			    unsigned *seen))
{
	*seen = 0;
	for (;;) {
		struct pl n, v;
		bool q;
		int err = param(x, &n, &v, &q);
		if (!err)
			err = fn(obj, n, v, q, seen);
		if (err)
			return err;
		sws(x);
		if (x->p >= x->e)
			return 0;
		if (*x->p != ',')
			return -EBADMSG;
		x->p++;
		sws(x);
	}
}

/* Stores v into *dst once; the bit marks the parameter as seen. */
static int once(unsigned *seen, unsigned bit, struct pl *dst, struct pl v)
{
	if (*seen & bit)
		return -EBADMSG;
	*seen |= bit;
	*dst = v;
	return 0;
}

static int boolean(struct pl v, bool q, bool *out)
{
	if (q)
		return -EBADMSG;
	if (pl_casecmp_str(v, "true"))
		*out = true;
	else if (pl_casecmp_str(v, "false"))
		*out = false;
	else
		return -EBADMSG;
	return 0;
}

static enum sip_auth_alg alg_parse(struct pl t)
{
	/* RFC 7616 §3.3: algorithm tokens compare case-insensitively */
	if (pl_casecmp_str(t, "MD5"))
		return SIP_AUTH_ALG_MD5;
	if (pl_casecmp_str(t, "MD5-sess"))
		return SIP_AUTH_ALG_MD5_SESS;
	if (pl_casecmp_str(t, "SHA-256"))
		return SIP_AUTH_ALG_SHA256;
	if (pl_casecmp_str(t, "SHA-256-sess"))
		return SIP_AUTH_ALG_SHA256_SESS;
	return SIP_AUTH_ALG_UNKNOWN;
}

/* qop-options content: qop-value *(OWS "," OWS qop-value) (RFC 7616 §3.3
 * shows "auth, auth-int"); the tokens may not be escaped or folded. */
static int qop_list(struct sip_auth_chal *c, struct pl v)
{
	struct lex x = {v.p, auth_view_end(v)};
	for (;;) {
		struct pl t;
		while (is_wsp(x.p, x.e))
			x.p++;
		if (token(&x, &t))
			return -EBADMSG;
		if (pl_casecmp_str(t, "auth"))
			c->qop_auth = true;
		else if (pl_casecmp_str(t, "auth-int"))
			c->qop_auth_int = true;
		while (is_wsp(x.p, x.e))
			x.p++;
		if (x.p >= x.e)
			return 0;
		if (*x.p++ != ',')
			return -EBADMSG;
	}
}

enum {
	P_REALM = 1 << 0,
	P_NONCE = 1 << 1,
	P_OPAQUE = 1 << 2,
	P_DOMAIN = 1 << 3,
	P_ALG = 1 << 4,
	P_STALE = 1 << 5,
	P_QOP = 1 << 6,
	P_USERHASH = 1 << 7,
	P_CHARSET = 1 << 8,
	P_USER = 1 << 9,
	P_URI = 1 << 10,
	P_RESPONSE = 1 << 11,
	P_CNONCE = 1 << 12,
	P_NC = 1 << 13,
	P_USERX = 1 << 14,
};

static int chal_param(void *obj, struct pl n, struct pl v, bool q,
		      unsigned *seen)
{
	struct sip_auth_chal *c = obj;
	struct pl dummy;
	if (pl_casecmp_str(n, "realm"))
		return q ? once(seen, P_REALM, &c->realm, v) : -EBADMSG;
	if (pl_casecmp_str(n, "nonce"))
		return q ? once(seen, P_NONCE, &c->nonce, v) : -EBADMSG;
	if (pl_casecmp_str(n, "opaque"))
		return q ? once(seen, P_OPAQUE, &c->opaque, v) : -EBADMSG;
	if (pl_casecmp_str(n, "domain"))
		return q ? once(seen, P_DOMAIN, &c->domain, v) : -EBADMSG;
	if (pl_casecmp_str(n, "algorithm")) {
		if (q || once(seen, P_ALG, &c->alg_pl, v))
			return -EBADMSG;
		c->alg = alg_parse(v);
		return 0;
	}
	if (pl_casecmp_str(n, "stale"))
		return once(seen, P_STALE, &dummy, v) ||
			       boolean(v, q, &c->stale)
			   ? -EBADMSG
			   : 0;
	if (pl_casecmp_str(n, "userhash"))
		return once(seen, P_USERHASH, &dummy, v) ||
			       boolean(v, q, &c->userhash)
			   ? -EBADMSG
			   : 0;
	if (pl_casecmp_str(n, "charset")) {
		/* RFC 7616 §3.3: the only allowed value is "UTF-8" */
		if (q || !pl_casecmp_str(v, "UTF-8") ||
		    once(seen, P_CHARSET, &dummy, v))
			return -EBADMSG;
		c->charset_utf8 = true;
		return 0;
	}
	if (pl_casecmp_str(n, "qop")) {
		if (!q || once(seen, P_QOP, &dummy, v))
			return -EBADMSG;
		c->qop_given = true;
		return qop_list(c, v);
	}
	return 0; /* auth-param we do not know */
}

/* The scheme, then fn for each parameter of header value val. */
static int scheme_params(struct pl val, void *obj, unsigned *seen,
			 int (*fn)(void *obj, struct pl n, struct pl v, bool q,
				   unsigned *seen))
{
	struct lex x = {val.p, auth_view_end(val)};
	*seen = 0;
	if (!val.p)
		return -EBADMSG;
	int err = scheme(&x);
	return err ? err : params(&x, obj, seen, fn);
}

int sip_auth_chal_parse(struct sip_auth_chal *c, struct pl val)
{
	unsigned seen;
	memset(c, 0, sizeof(*c));
	c->alg = SIP_AUTH_ALG_MD5;
	int err = scheme_params(val, c, &seen, chal_param);
	if (!err && (!c->realm.p || !c->nonce.p))
		err = -EBADMSG;
	return err;
}

/* response content: LHEX digits only (RFC 3261 §25.1 request-digest). */
bool auth_lhex(struct pl v)
{
	for (size_t i = 0; i < v.l; i++) {
		char ch = v.p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
	}
	return v.l > 0;
}

static int cred_nc(struct sip_auth_cred *c, struct pl v, bool q, unsigned *seen)
{
	/* nonce-count = "nc" EQUAL 8LHEX */
	if (q || v.l != 8 || !auth_lhex(v) || once(seen, P_NC, &c->nc_pl, v))
		return -EBADMSG;
	c->nc = 0;
	for (size_t i = 0; i < 8; i++)
		c->nc =
		    c->nc << 4 | (uint32_t)sip_hex_val((unsigned char)v.p[i]);
	return 0;
}

static int cred_param(void *obj, struct pl n, struct pl v, bool q,
		      unsigned *seen)
{
	struct sip_auth_cred *c = obj;
	struct pl dummy;
	static const struct {
		const char *name;
		unsigned bit;
		size_t off;
	} qs[] = {
	    {"username", P_USER, offsetof(struct sip_auth_cred, username)},
	    {"realm", P_REALM, offsetof(struct sip_auth_cred, realm)},
	    {"nonce", P_NONCE, offsetof(struct sip_auth_cred, nonce)},
	    {"uri", P_URI, offsetof(struct sip_auth_cred, uri)},
	    {"response", P_RESPONSE, offsetof(struct sip_auth_cred, response)},
	    {"cnonce", P_CNONCE, offsetof(struct sip_auth_cred, cnonce)},
	    {"opaque", P_OPAQUE, offsetof(struct sip_auth_cred, opaque)},
	};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		if (pl_casecmp_str(n, qs[i].name))
			return q ? once(seen, qs[i].bit,
					(struct pl *)((char *)c + qs[i].off), v)
				 : -EBADMSG;
	if (pl_casecmp_str(n, "algorithm")) {
		if (q || once(seen, P_ALG, &c->alg_pl, v))
			return -EBADMSG;
		c->alg = alg_parse(v);
		return 0;
	}
	if (pl_casecmp_str(n, "qop")) {
		if (q || once(seen, P_QOP, &c->qop_pl, v))
			return -EBADMSG;
		c->qop = pl_casecmp_str(v, "auth")	 ? SIP_AUTH_QOP_AUTH
			 : pl_casecmp_str(v, "auth-int") ? SIP_AUTH_QOP_AUTH_INT
							 : SIP_AUTH_QOP_OTHER;
		return 0;
	}
	if (pl_casecmp_str(n, "nc"))
		return cred_nc(c, v, q, seen);
	if (pl_casecmp_str(n, "userhash"))
		return once(seen, P_USERHASH, &dummy, v) ||
			       boolean(v, q, &c->userhash)
			   ? -EBADMSG
			   : 0;
	if (pl_casecmp_str(n, "username*"))
		return once(seen, P_USERX, &dummy, v);
	return 0;
}

int sip_auth_cred_parse(struct sip_auth_cred *c, struct pl val)
{
	unsigned seen;
	memset(c, 0, sizeof(*c));
	c->alg = SIP_AUTH_ALG_MD5;
	int err = scheme_params(val, c, &seen, cred_param);
	if (err)
		return err;
	/* RFC 7616 §3.4.4: username and username* are exclusive */
	if (seen & P_USERX)
		return c->username.p ? -EBADMSG : -ENOTSUP;
	if (!c->username.p || !c->realm.p || !c->nonce.p || !c->uri.p ||
	    !c->response.p)
		return -EBADMSG;
	/* RFC 2617 §3.2.2: cnonce and nc exactly when qop is given */
	if ((c->qop_pl.p != NULL) != (c->cnonce.p != NULL) ||
	    (c->qop_pl.p != NULL) != (c->nc_pl.p != NULL))
		return -EBADMSG;
	if (!auth_lhex(c->response))
		return -EBADMSG;
	if (c->alg != SIP_AUTH_ALG_UNKNOWN &&
	    c->response.l != auth_alg_hex_len(c->alg))
		return -EBADMSG;
	return 0;
}

bool auth_is_token(const char *s)
{
	struct pl t;
	struct lex x = {s, s + strlen(s)};
	return token(&x, &t) == 0 && x.p == x.e;
}
