/*
 * SIP digest authentication (RFC 3261 §22, RFC 7616): digest computation
 * with OpenSSL EVP, the header writer and the UAC answer; the challenge
 * and credentials parsers are in sip_auth_parse.c, the UAS verifier in
 * sip_auth_srv.c. See sip_auth.h for the
 * contracts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sip/sip_auth.h"
#include "sip/sip_auth_int.h"
#include "sip/sip_uri.h"

/* --- Algorithms ------------------------------------------------------- */

const char *sip_auth_alg_name(enum sip_auth_alg alg)
{
	switch (alg) {
	case SIP_AUTH_ALG_MD5:
		return "MD5";
	case SIP_AUTH_ALG_MD5_SESS:
		return "MD5-sess";
	case SIP_AUTH_ALG_SHA256:
		return "SHA-256";
	case SIP_AUTH_ALG_SHA256_SESS:
		return "SHA-256-sess";
	case SIP_AUTH_ALG_UNKNOWN:
		break;
	}
	return "";
}

static bool is_sess(enum sip_auth_alg a)
{
	return a == SIP_AUTH_ALG_MD5_SESS || a == SIP_AUTH_ALG_SHA256_SESS;
}

/* Hex digits of the algorithm's hash, 0 if unknown. */
size_t auth_alg_hex_len(enum sip_auth_alg a)
{
	switch (a) {
	case SIP_AUTH_ALG_MD5:
	case SIP_AUTH_ALG_MD5_SESS:
		return 32;
	case SIP_AUTH_ALG_SHA256:
	case SIP_AUTH_ALG_SHA256_SESS:
		return 64;
	case SIP_AUTH_ALG_UNKNOWN:
		break;
	}
	return 0;
}

/* --- Quoted-string values ------------------------------------------------ */

/*
 * Next byte of a quoted-string's value: a quoted-pair gives its second
 * byte, a run of LWS containing a fold gives one SP (RFC 3261 §7.3.1).
 */
bool auth_unq_next(const char **pp, const char *e, char *out)
{
	const char *p = *pp;
	if (p >= e)
		return false;
	if (*p == '\\' && p + 1 < e) {
		*out = p[1];
		*pp = p + 2;
		return true;
	}
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
		const char *q = p;
		bool brk = false;
		while (q < e &&
		       (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) {
			brk |= *q == '\r' || *q == '\n';
			q++;
		}
		if (brk) {
			*out = ' ';
			*pp = q;
			return true;
		}
	}
	*out = *p;
	*pp = p + 1;
	return true;
}

size_t sip_auth_unq(struct pl raw, char *buf, size_t cap)
{
	const char *p = raw.p, *e = auth_view_end(raw);
	size_t n = 0;
	char ch;
	while (p && auth_unq_next(&p, e, &ch)) {
		if (n + 1 < cap)
			buf[n] = ch;
		n++;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

bool sip_auth_unq_eq(struct pl raw, const char *s)
{
	const char *p = raw.p, *e = auth_view_end(raw);
	char ch;
	while (p && auth_unq_next(&p, e, &ch))
		if (*s++ != ch)
			return false;
	return *s == '\0';
}

struct val auth_vq(struct pl raw)
{
	return (struct val){raw, true};
}

struct val auth_vs(const char *s)
{
	return (struct val){pl_from(s), false};
}

/* --- Digests (RFC 7616 §3.4.1-§3.4.3) ------------------------------------ */

struct hash {
	EVP_MD_CTX *ctx;
	bool err;
};

static bool h_begin(struct hash *h, enum sip_auth_alg alg)
{
	const EVP_MD *md =
	    auth_alg_hex_len(alg) == 64 ? EVP_sha256() : EVP_md5();
	h->err = !h->ctx || !md || EVP_DigestInit_ex(h->ctx, md, NULL) != 1;
	return !h->err;
}

static void h_mem(struct hash *h, const void *p, size_t n)
{
	if (n && !h->err && EVP_DigestUpdate(h->ctx, p, n) != 1)
		h->err = true;
}

static void h_val(struct hash *h, struct val v)
{
	if (!v.q) {
		h_mem(h, v.v.p, v.v.l);
		return;
	}
	char buf[64];
	size_t n = 0;
	const char *p = v.v.p, *e = auth_view_end(v.v);
	while (p && auth_unq_next(&p, e, &buf[n])) {
		if (++n == sizeof(buf)) {
			h_mem(h, buf, n);
			n = 0;
		}
	}
	h_mem(h, buf, n);
}

/* Adds ":" then v. */
static void h_colon(struct hash *h, struct val v)
{
	h_mem(h, ":", 1);
	h_val(h, v);
}

/* Ends the hash into lowercase hex. */
static bool h_hex(struct hash *h, char out[HEX_MAX])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (h->err || EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n > 32)
		return false;
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * n] = '\0';
	return true;
}

/*
 * RFC 7616 §3.4.1: response = KD(H(A1), nonce ":" nc ":" cnonce ":" qop
 * ":" H(A2)) with qop=auth, KD(H(A1), nonce ":" H(A2)) without (RFC 2069
 * as RFC 2617 §3.2.2.1 keeps it); A1 = user ":" realm ":" password, for
 * -sess H(that) ":" nonce ":" cnonce (§3.4.2); A2 = method ":" uri.
 */
int auth_digest(const struct digest_in *d, char out[HEX_MAX])
{
	struct hash h = {EVP_MD_CTX_new(), false};
	char ha1[HEX_MAX], ha2[HEX_MAX];
	size_t hl = auth_alg_hex_len(d->alg);
	int err = -EIO;
	if (d->is_ha1) {
		if (strlen(d->secret) != hl || !auth_lhex(pl_from(d->secret))) {
			err = -EINVAL;
			goto out;
		}
		memcpy(ha1, d->secret, hl + 1);
	} else {
		if (!h_begin(&h, d->alg))
			goto out;
		h_val(&h, d->user);
		h_colon(&h, d->realm);
		h_colon(&h, auth_vs(d->secret));
		if (!h_hex(&h, ha1))
			goto out;
	}
	if (is_sess(d->alg)) {
		if (!h_begin(&h, d->alg))
			goto out;
		h_mem(&h, ha1, hl);
		h_colon(&h, d->nonce);
		h_colon(&h, d->cnonce);
		if (!h_hex(&h, ha1))
			goto out;
	}
	if (!h_begin(&h, d->alg))
		goto out;
	h_val(&h, d->method);
	h_colon(&h, d->uri);
	if (!h_hex(&h, ha2) || !h_begin(&h, d->alg))
		goto out;
	h_mem(&h, ha1, hl);
	h_colon(&h, d->nonce);
	if (d->nc.p) {
		h_colon(&h, (struct val){d->nc, false});
		h_colon(&h, d->cnonce);
		h_colon(&h, auth_vs("auth"));
	}
	h_colon(&h, (struct val){{ha2, hl}, false});
	err = h_hex(&h, out) ? 0 : -EIO;
out:
	EVP_MD_CTX_free(h.ctx);
	return err;
}

/* RFC 7616 §3.4.4: userhash = H(unq(username) ":" unq(realm)). */
static int user_hash(enum sip_auth_alg alg, struct val user, struct val realm,
		     char out[HEX_MAX])
{
	struct hash h = {EVP_MD_CTX_new(), false};
	int err = -EIO;
	if (h_begin(&h, alg)) {
		h_val(&h, user);
		h_colon(&h, realm);
		if (h_hex(&h, out))
			err = 0;
	}
	EVP_MD_CTX_free(h.ctx);
	return err;
}

/* --- Output -------------------------------------------------------------- */

void auth_o_mem(struct out *o, const char *p, size_t n)
{
	if (o->full || o->n + n >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
	o->b[o->n] = '\0';
}

void auth_o_str(struct out *o, const char *s)
{
	auth_o_mem(o, s, strlen(s));
}

/* Writes v as a quoted-string, escaping '"', '\' and CTLs (RFC 3261
 * §25.1 quoted-pair). */
void auth_o_quoted(struct out *o, struct val v)
{
	const char *p = v.v.p, *e = auth_view_end(v.v);
	char ch;
	auth_o_mem(o, "\"", 1);
	while (p && p < e) {
		if (v.q) {
			auth_unq_next(&p, e, &ch);
		} else {
			ch = *p++;
		}
		/* CR, LF cannot be carried; NUL would end the C string */
		if (ch == '\r' || ch == '\n' || ch == '\0')
			o->bad = true;
		/* other CTLs only as quoted-pairs */
		if (ch == '"' || ch == '\\' || ch == 0x7f ||
		    ((unsigned char)ch < 0x20 && ch != '\t'))
			auth_o_mem(o, "\\", 1);
		auth_o_mem(o, &ch, 1);
	}
	auth_o_mem(o, "\"", 1);
}

/* Writes ", name=" and the value quoted (q) or as is. */
void auth_o_param(struct out *o, const char *name, struct val v, bool q)
{
	auth_o_str(o, ", ");
	auth_o_str(o, name);
	auth_o_mem(o, "=", 1);
	if (q)
		auth_o_quoted(o, v);
	else
		auth_o_mem(o, v.v.p, v.v.l);
}

int auth_o_end(const struct out *o)
{
	if (o->bad)
		return -EINVAL;
	return o->full ? -ENOSPC : (int)o->n;
}

/* --- UAC ------------------------------------------------------------------ */

static int chal_rank(const struct sip_auth_chal *c)
{
	if (c->qop_given && !c->qop_auth)
		return 0; /* auth-int only */
	if (is_sess(c->alg) && !c->qop_given)
		return 0;
	switch (c->alg) {
	case SIP_AUTH_ALG_MD5:
	case SIP_AUTH_ALG_MD5_SESS:
		return 1;
	case SIP_AUTH_ALG_SHA256:
	case SIP_AUTH_ALG_SHA256_SESS:
		return 2;
	case SIP_AUTH_ALG_UNKNOWN:
		break;
	}
	return 0;
}

int sip_auth_pick(const struct sip_msg *m, const char *realm,
		  struct sip_auth_chal *c)
{
	static const enum sip_hdr_id ids[] = {SIP_HDR_WWW_AUTHENTICATE,
					      SIP_HDR_PROXY_AUTHENTICATE};
	struct sip_auth_chal t;
	int best = 0, n = 0, bad = 0;
	for (size_t i = 0; i < 2; i++) {
		const struct sip_hdr *h = sip_msg_hdr(m, ids[i]);
		for (; h; h = sip_msg_hdr_next(m, h)) {
			int err = sip_auth_chal_parse(&t, h->val);
			n++;
			if (err == -EBADMSG)
				bad++;
			if (err || (realm && !sip_auth_unq_eq(t.realm, realm)))
				continue;
			t.proxy = ids[i] == SIP_HDR_PROXY_AUTHENTICATE;
			int r = chal_rank(&t);
			if (r > best) {
				best = r;
				*c = t;
			}
		}
	}
	if (best)
		return 0;
	if (!n)
		return -ENOENT;
	return bad == n ? -EBADMSG : -ENOTSUP;
}

const char *sip_auth_answer_hdr(const struct sip_auth_chal *c)
{
	return c->proxy ? "Proxy-Authorization" : "Authorization";
}

bool auth_plain_quotable(const char *s)
{
	return !strpbrk(s, "\"\\\r\n");
}

/* RFC 7616 §3.4, in the order of its §3.9.1 example. */
static int answer_write(struct out *o, const struct sip_auth_chal *c,
			const struct digest_in *d, const char *resp,
			const char *uh)
{
	auth_o_str(o, "Digest username=");
	auth_o_quoted(o, c->userhash ? auth_vs(uh) : d->user);
	auth_o_param(o, "realm", d->realm, true);
	auth_o_param(o, "nonce", d->nonce, true);
	auth_o_param(o, "uri", d->uri, true);
	auth_o_param(o, "response", auth_vs(resp), true);
	if (c->alg_pl.p)
		auth_o_param(o, "algorithm", auth_vs(sip_auth_alg_name(c->alg)),
			     false);
	if (d->nc.p) {
		auth_o_param(o, "cnonce", d->cnonce, true);
		auth_o_param(o, "qop", auth_vs("auth"), false);
		auth_o_param(o, "nc", (struct val){d->nc, false}, false);
	}
	if (c->opaque.p)
		auth_o_param(o, "opaque", auth_vq(c->opaque), true);
	if (c->userhash)
		auth_o_param(o, "userhash", auth_vs("true"), false);
	return auth_o_end(o);
}

int sip_auth_uac_answer(const struct sip_auth_chal *c,
			const struct sip_auth_uac *u, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0, false, false};
	char resp[HEX_MAX], uh[HEX_MAX], cn[33], nc[9];
	int err;
	if (!u->username || !u->password || !u->method || !u->uri || !u->nc ||
	    (u->cnonce && !auth_plain_quotable(u->cnonce)) ||
	    !auth_is_token(u->method) || !auth_plain_quotable(u->uri) ||
	    !c->realm.p || !c->nonce.p)
		return -EINVAL;
	if (!chal_rank(c))
		return -ENOTSUP;
	if (!u->cnonce) {
		unsigned char rnd[16];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -EIO;
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(cn + 2 * i, 3, "%02x", rnd[i]);
	}
	snprintf(nc, sizeof(nc), "%08x", u->nc);
	struct digest_in d = {
	    .alg = c->alg,
	    .user = auth_vs(u->username),
	    .realm = auth_vq(c->realm),
	    .nonce = auth_vq(c->nonce),
	    .cnonce = auth_vs(u->cnonce ? u->cnonce : cn),
	    .uri = auth_vs(u->uri),
	    .method = auth_vs(u->method),
	    .secret = u->password,
	    /* qop=auth when offered, else the RFC 2069 form */
	    .nc = c->qop_given ? (struct pl){nc, 8} : (struct pl)PL_INIT,
	};
	err = auth_digest(&d, resp);
	if (!err && c->userhash)
		err = user_hash(c->alg, d.user, d.realm, uh);
	return err ? err : answer_write(&o, c, &d, resp, uh);
}
