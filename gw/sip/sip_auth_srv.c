/*
 * The UAS side of SIP digest authentication (RFC 7616 §3.3, §3.5): our
 * challenges, HMAC-SHA256 nonces that carry their own time and serial,
 * and the verifier with a replay table indexed by nonce serial.
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

/* --- UAS ------------------------------------------------------------------ */

#define NONCE_RAW   32 /* time_ms (8) serial (8) HMAC-SHA256 prefix (16) */
#define NONCE_MAC   16
#define NONCE_B64   43 /* base64url of NONCE_RAW, no padding */
#define SECRET_MAX  64 /* bytes */
#define LIFE_DEF_MS 300000
#define SLOTS_DEF   4096

/* Replay state of one nonce: the highest nc accepted (RFC 7616 §3.4). */
struct replay {
	uint64_t serial;
	uint32_t nc;
	bool used;
};

/* Owned by the caller of sip_auth_srv_new; owns realm and slots. */
struct sip_auth_srv {
	char *realm;
	uint8_t secret[SECRET_MAX];
	size_t secret_len;
	uint32_t life_ms;
	bool no_md5;
	sip_auth_lookup_fn *lookup;
	void *lookup_arg;
	uint64_t serial; /* of the next nonce */
	char opaque[17];
	unsigned n_slots;
	struct replay *slots; /* indexed by serial % n_slots */
};

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding (RFC 4648 §5); out holds 4n/3+1 bytes. */
static void b64u_enc(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = b64u[(acc >> bits) & 63];
		}
	}
	if (bits)
		*out++ = b64u[(acc << (6 - bits)) & 63];
	*out = '\0';
}

/* Decodes exactly NONCE_B64 characters into NONCE_RAW bytes. */
static bool b64u_dec(const char *in, uint8_t out[NONCE_RAW])
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < NONCE_B64; i++) {
		const char *c = in[i] ? strchr(b64u, in[i]) : NULL;
		if (!c)
			return false;
		acc = acc << 6 | (uint32_t)(c - b64u);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* the 2 bits left over must be zero (canonical form) */
	return n == NONCE_RAW && (acc & ((1u << bits) - 1)) == 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* HMAC-SHA256(secret, msg ":" realm). */
static bool mac(const struct sip_auth_srv *s, const uint8_t *msg, size_t n,
		uint8_t out[32])
{
	uint8_t buf[NONCE_RAW + 1 + 256];
	size_t rl = strlen(s->realm);
	unsigned ol = 0;
	if (n + 1 + rl > sizeof(buf))
		rl = sizeof(buf) - n - 1; /* realms are short; bound anyway */
	memcpy(buf, msg, n);
	buf[n] = ':';
	memcpy(buf + n + 1, s->realm, rl);
	return HMAC(EVP_sha256(), s->secret, (int)s->secret_len, buf,
		    n + 1 + rl, out, &ol) != NULL &&
	       ol == 32;
}

/* A fresh nonce: base64url(time_ms, serial, MAC over both and realm). */
static int nonce_new(struct sip_auth_srv *s, uint64_t now_ms,
		     char out[NONCE_B64 + 1])
{
	uint8_t raw[NONCE_RAW], md[32];
	put_be64(raw, now_ms);
	put_be64(raw + 8, s->serial++);
	if (!mac(s, raw, 16, md))
		return -EIO;
	memcpy(raw + 16, md, NONCE_MAC);
	b64u_enc(raw, sizeof(raw), out);
	return 0;
}

/* Checks a nonce value is ours; gives its time and serial. */
static bool nonce_ours(const struct sip_auth_srv *s, struct pl raw,
		       uint64_t *t_ms, uint64_t *serial)
{
	char txt[NONCE_B64 + 2];
	uint8_t bin[NONCE_RAW], md[32];
	if (sip_auth_unq(raw, txt, sizeof(txt)) != NONCE_B64 ||
	    !b64u_dec(txt, bin) || !mac(s, bin, 16, md) ||
	    CRYPTO_memcmp(md, bin + 16, NONCE_MAC) != 0)
		return false;
	*t_ms = get_be64(bin);
	*serial = get_be64(bin + 8);
	return true;
}

int sip_auth_srv_new(struct sip_auth_srv **sp,
		     const struct sip_auth_srv_conf *conf)
{
	struct sip_auth_srv *s;
	uint8_t rnd[8];
	if (!conf->realm || !*conf->realm ||
	    !auth_plain_quotable(conf->realm) || strlen(conf->realm) > 255 ||
	    !conf->lookup ||
	    (conf->secret &&
	     (conf->secret_len < 16 || conf->secret_len > SECRET_MAX)))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n_slots = conf->replay_slots ? conf->replay_slots : SLOTS_DEF;
	s->realm = strdup(conf->realm);
	s->slots = calloc(s->n_slots, sizeof(*s->slots));
	if (!s->realm || !s->slots) {
		sip_auth_srv_free(s);
		return -ENOMEM;
	}
	if (conf->secret) {
		memcpy(s->secret, conf->secret, conf->secret_len);
		s->secret_len = conf->secret_len;
	} else {
		s->secret_len = 32;
		if (RAND_bytes(s->secret, 32) != 1) {
			sip_auth_srv_free(s);
			return -EIO;
		}
	}
	/* serials start at a random point so that nonces of an earlier
	 * instance with the same secret rarely meet our table's entries */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		sip_auth_srv_free(s);
		return -EIO;
	}
	s->serial = get_be64(rnd) >> 16;
	s->life_ms = conf->nonce_life_ms ? conf->nonce_life_ms : LIFE_DEF_MS;
	s->no_md5 = conf->no_md5;
	s->lookup = conf->lookup;
	s->lookup_arg = conf->lookup_arg;
	uint8_t md[32];
	if (!mac(s, (const uint8_t *)"opaque", 6, md)) {
		sip_auth_srv_free(s);
		return -EIO;
	}
	for (size_t i = 0; i < 8; i++)
		snprintf(s->opaque + 2 * i, 3, "%02x", md[i]);
	*sp = s;
	return 0;
}

void sip_auth_srv_free(struct sip_auth_srv *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	free(s->realm);
	free(s->slots);
	free(s);
}

/* RFC 7616 §3.3 challenge: realm, qop, algorithm, nonce, opaque. */
static void chal_write(struct out *o, const struct sip_auth_srv *s,
		       enum sip_auth_alg alg, bool stale, const char *nonce)
{
	auth_o_str(o, "Digest realm=");
	auth_o_quoted(o, auth_vs(s->realm));
	auth_o_param(o, "qop", auth_vs("auth"), true);
	auth_o_param(o, "algorithm", auth_vs(sip_auth_alg_name(alg)), false);
	auth_o_param(o, "nonce", auth_vs(nonce), true);
	auth_o_param(o, "opaque", auth_vs(s->opaque), true);
	if (stale)
		auth_o_param(o, "stale", auth_vs("true"), false);
}

int sip_auth_srv_challenge(struct sip_auth_srv *s, enum sip_auth_alg alg,
			   bool stale, uint64_t now_ms, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0, false, false};
	char nonce[NONCE_B64 + 1];
	if (alg == SIP_AUTH_ALG_UNKNOWN)
		return -EINVAL;
	if (nonce_new(s, now_ms, nonce))
		return -EIO;
	chal_write(&o, s, alg, stale, nonce);
	return auth_o_end(&o);
}

int sip_auth_srv_challenges(struct sip_auth_srv *s, bool proxy, bool stale,
			    uint64_t now_ms, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0, false, false};
	const char *name =
	    proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ";
	char nonce[NONCE_B64 + 1];
	if (nonce_new(s, now_ms, nonce))
		return -EIO;
	auth_o_str(&o, name);
	chal_write(&o, s, SIP_AUTH_ALG_SHA256, stale, nonce);
	auth_o_str(&o, "\r\n");
	if (!s->no_md5) {
		auth_o_str(&o, name);
		chal_write(&o, s, SIP_AUTH_ALG_MD5, stale, nonce);
		auth_o_str(&o, "\r\n");
	}
	return auth_o_end(&o);
}

static enum sip_auth_verdict verdict(struct sip_auth_result *r,
				     enum sip_auth_verdict v, const char *why)
{
	r->verdict = v;
	r->why = why;
	if (v == SIP_AUTH_BAD || v == SIP_AUTH_MISSING)
		r->user[0] = '\0';
	return v;
}

/* Value of a quoted-string view equals the plain view v. */
static bool unq_eq_pl(struct pl raw, struct pl v)
{
	const char *p = raw.p, *e = auth_view_end(raw);
	size_t i = 0;
	char ch;
	while (p && auth_unq_next(&p, e, &ch))
		if (i >= v.l || v.p[i++] != ch)
			return false;
	return i == v.l;
}

/* Syntax and policy checks before any hashing. NULL if they pass. */
static const char *precheck(const struct sip_auth_srv *s,
			    const struct sip_auth_cred *c, struct pl ruri)
{
	if (!sip_auth_unq_eq(c->realm, s->realm))
		return "realm is not ours";
	if (c->alg == SIP_AUTH_ALG_UNKNOWN)
		return "unknown algorithm";
	if (s->no_md5 && auth_alg_hex_len(c->alg) == 32)
		return "MD5 not offered";
	if (c->qop != SIP_AUTH_QOP_AUTH)
		return "qop is not auth"; /* we offer qop="auth" only */
	if (c->nc == 0)
		return "nc is 0";
	if (!c->opaque.p || !sip_auth_unq_eq(c->opaque, s->opaque))
		return "opaque differs";
	if (c->userhash)
		return "userhash not offered";
	/* RFC 7616 §3.4.6, RFC 3261 §22.4: uri is the Request-URI */
	if (ruri.p && !unq_eq_pl(c->uri, ruri))
		return "uri is not the Request-URI";
	return NULL;
}

/* Checks the response. NULL if right, else why not. */
static const char *response_ok(struct sip_auth_srv *s,
			       const struct sip_auth_cred *c, struct pl method,
			       struct sip_auth_result *r)
{
	char secret[256], resp[HEX_MAX];
	bool is_ha1 = false;
	size_t n = sip_auth_unq(c->username, r->user, sizeof(r->user));
	if (n >= sizeof(r->user) || strlen(r->user) != n)
		return "bad username";
	secret[0] = '\0';
	if (s->lookup(s->lookup_arg, r->user, s->realm, c->alg, secret,
		      sizeof(secret), &is_ha1) != 0)
		return "unknown user";
	secret[sizeof(secret) - 1] = '\0';
	struct digest_in d = {
	    .alg = c->alg,
	    .user = auth_vq(c->username),
	    .realm = auth_vq(c->realm),
	    .nonce = auth_vq(c->nonce),
	    .cnonce = auth_vq(c->cnonce),
	    .uri = auth_vq(c->uri),
	    .method = {method, false},
	    .secret = secret,
	    .is_ha1 = is_ha1,
	    .nc = c->nc_pl,
	};
	int err = auth_digest(&d, resp);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (err)
		return "cannot compute the digest";
	if (c->response.l != auth_alg_hex_len(c->alg) ||
	    CRYPTO_memcmp(resp, c->response.p, c->response.l) != 0)
		return "wrong response";
	return NULL;
}

enum sip_auth_verdict sip_auth_srv_check(struct sip_auth_srv *s,
					 const struct sip_auth_cred *c,
					 struct pl method, struct pl ruri,
					 uint64_t now_ms,
					 struct sip_auth_result *r)
{
	uint64_t t_ms, serial;
	const char *why;
	memset(r, 0, sizeof(*r));
	r->alg = c->alg;
	if ((why = precheck(s, c, ruri)) != NULL ||
	    (why = response_ok(s, c, method, r)) != NULL)
		return verdict(r, SIP_AUTH_BAD, why);
	/* RFC 7616 §3.3 stale: the digest is right, the nonce is not */
	if (!nonce_ours(s, c->nonce, &t_ms, &serial))
		return verdict(r, SIP_AUTH_STALE, "nonce not ours");
	if (t_ms > now_ms || now_ms - t_ms > s->life_ms)
		return verdict(r, SIP_AUTH_STALE, "nonce expired");
	struct replay *e = &s->slots[serial % s->n_slots];
	if (e->used && e->serial > serial)
		return verdict(r, SIP_AUTH_STALE, "nonce left the table");
	if (e->used && e->serial == serial && c->nc <= e->nc)
		return verdict(r, SIP_AUTH_STALE, "nc replayed");
	*e = (struct replay){serial, c->nc, true};
	return verdict(r, SIP_AUTH_OK, "ok");
}

enum sip_auth_verdict sip_auth_srv_verify(struct sip_auth_srv *s,
					  const struct sip_msg *m, bool proxy,
					  uint64_t now_ms,
					  struct sip_auth_result *r)
{
	enum sip_hdr_id id =
	    proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
	struct sip_auth_cred c;
	bool bad = false;
	memset(r, 0, sizeof(*r));
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h;
	     h = sip_msg_hdr_next(m, h)) {
		int err = sip_auth_cred_parse(&c, h->val);
		if (err == -EBADMSG)
			bad = true;
		if (err || !sip_auth_unq_eq(c.realm, s->realm))
			continue;
		return sip_auth_srv_check(s, &c, m->method_pl, m->ruri, now_ms,
					  r);
	}
	if (bad)
		return verdict(r, SIP_AUTH_BAD, "malformed credentials");
	return verdict(r, SIP_AUTH_MISSING, "no credentials for our realm");
}
