/*
 * SIP digest authentication (RFC 3261 §22, RFC 7616, with the RFC 2617 /
 * RFC 2069 forms RFC 3261 still requires): strict parsers for the Digest
 * challenge (WWW-Authenticate, Proxy-Authenticate) and credentials
 * (Authorization, Proxy-Authorization) as zero-copy views; the UAC answer
 * to a challenge; and a UAS verifier with stateless HMAC nonces and a
 * bounded replay table. MD5, MD5-sess, SHA-256 and SHA-256-sess; qop=auth
 * only (auth-int is refused). No I/O, no logging, no clock: times in ms
 * come from the caller.
 */
#ifndef GW_SIP_AUTH_H
#define GW_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"
#include "sip/sip_msg.h"

enum sip_auth_alg {
	SIP_AUTH_ALG_UNKNOWN = 0, /* a token we do not implement */
	SIP_AUTH_ALG_MD5,
	SIP_AUTH_ALG_MD5_SESS,
	SIP_AUTH_ALG_SHA256,
	SIP_AUTH_ALG_SHA256_SESS,
};

/* qop of credentials (RFC 7616 §3.4). */
enum sip_auth_qop {
	SIP_AUTH_QOP_NONE = 0, /* RFC 2069 form: no qop, cnonce, nc */
	SIP_AUTH_QOP_AUTH,
	SIP_AUTH_QOP_AUTH_INT,
	SIP_AUTH_QOP_OTHER,
};

/*
 * Quoted-string values (realm, nonce ...) are views of the text between
 * the quotes with escapes and folds kept: sip_auth_unq() gives the value.
 * Token values need no unquoting (sip_auth_unq is the identity on them).
 * Unset views (p NULL) mean the parameter was absent.
 */

/* A Digest challenge (RFC 7616 §3.3, RFC 3261 §25.1 challenge). */
struct sip_auth_chal {
	struct pl realm, nonce, opaque, domain;
	struct pl alg_pl;      /* as written; unset if absent */
	enum sip_auth_alg alg; /* MD5 when absent (RFC 7616 §3.3) */
	bool stale;
	bool userhash;
	bool charset_utf8;
	bool qop_given; /* else the RFC 2069 form */
	bool qop_auth, qop_auth_int;
	bool proxy; /* from Proxy-Authenticate (set by pick) */
};

/* Digest credentials (RFC 7616 §3.4, RFC 3261 §25.1 credentials). */
struct sip_auth_cred {
	struct pl username, realm, nonce, uri, response, cnonce, opaque;
	struct pl alg_pl;      /* as written; unset if absent */
	enum sip_auth_alg alg; /* MD5 when absent */
	struct pl qop_pl;      /* token, unset if absent */
	enum sip_auth_qop qop;
	struct pl nc_pl; /* 8 LHEX, unset if absent */
	uint32_t nc;
	bool userhash;
};

/*
 * Parses one challenge value (RFC 3261 §25.1 allows one per header line).
 * Parameters in any order, names case-insensitive, unknown ones skipped;
 * a known one twice, a missing realm or nonce, a value of the wrong form
 * (realm, nonce, opaque, domain, qop quoted; stale, algorithm, userhash,
 * charset tokens, RFC 7616 §3.3) and LWS other than folds are errors.
 * Returns 0, -ENOTSUP for another auth scheme, or -EBADMSG.
 */
int sip_auth_chal_parse(struct sip_auth_chal *c, struct pl val);

/*
 * Parses one credentials value with the same rules (RFC 7616 §3.4:
 * username, realm, nonce, uri, response, cnonce, opaque quoted; algorithm,
 * qop, nc tokens). Required: username, realm, nonce, uri, response; with
 * qop also cnonce and nc, without qop neither (RFC 2617 §3.2.2); response
 * is lowercase hex of the algorithm's size. Returns 0, -ENOTSUP for
 * another scheme or for username* (RFC 7616 §3.4.4, not implemented), or
 * -EBADMSG.
 */
int sip_auth_cred_parse(struct sip_auth_cred *c, struct pl val);

/*
 * Writes the value of a quoted-string view (escapes resolved, folds
 * collapsed to one SP) into buf, NUL-terminated and truncated to cap-1
 * if cap > 0. Returns the full length, as snprintf.
 */
size_t sip_auth_unq(struct pl raw, char *buf, size_t cap);

/* Compares the value of a quoted-string view with s, byte for byte. */
bool sip_auth_unq_eq(struct pl raw, const char *s);

/* Token of an algorithm ("MD5", "SHA-256-sess", ...); "" for UNKNOWN. */
const char *sip_auth_alg_name(enum sip_auth_alg alg);

/* --- UAC (RFC 3261 §22.2, §22.3) -------------------------------------- */

/*
 * Among the WWW-Authenticate and Proxy-Authenticate lines of a 401/407
 * (each one challenge), picks the strongest usable one: SHA-256 or
 * SHA-256-sess over MD5 or MD5-sess (RFC 7616 §3.7), the first of equals.
 * Challenges of other schemes, malformed ones, unknown algorithms and
 * auth-int-only ones are skipped. realm, if not NULL, keeps only
 * challenges of that realm (a forked 407 may carry several). Sets
 * c->proxy for a Proxy-Authenticate. Returns 0, -ENOENT (no challenge
 * header), -ENOTSUP (none usable) or -EBADMSG (every one malformed).
 */
int sip_auth_pick(const struct sip_msg *m, const char *realm,
		  struct sip_auth_chal *c);

/* What the UAC puts into its answer. Strings are NUL-terminated. */
struct sip_auth_uac {
	const char *username;
	const char *password;
	const char *method; /* of the request being sent, "INVITE" */
	const char *uri;    /* its Request-URI as sent (RFC 3261 §22.4) */
	uint32_t nc;	    /* 1 for a new nonce, then +1 per request */
	const char *cnonce; /* NULL: 16 random bytes in hex */
};

/*
 * Writes the Authorization (or, for c->proxy, Proxy-Authorization) value
 * answering c into buf: "Digest username=..., response=..." (RFC 7616
 * §3.4). Uses qop=auth when offered, else the RFC 2069 form; a challenge
 * with userhash=true gets a hashed username (§3.4.4). Returns the length
 * written (NUL-terminated), -ENOTSUP (unknown algorithm, only auth-int
 * offered, or -sess without qop), -EINVAL (missing field, nc 0, cnonce
 * with '"' or '\'), -ENOSPC, or -EIO (crypto library failure).
 */
int sip_auth_uac_answer(const struct sip_auth_chal *c,
			const struct sip_auth_uac *u, char *buf, size_t cap);

/* Header name answering c: "Authorization" or "Proxy-Authorization". */
const char *sip_auth_answer_hdr(const struct sip_auth_chal *c);

/* --- UAS (RFC 3261 §22.1, §22.4) -------------------------------------- */

/*
 * Credentials lookup: writes user's password for realm into secret
 * (NUL-terminated), or sets *is_ha1 and writes the lowercase hex HA1
 * H(user ":" realm ":" password) using the hash of alg (MD5 for the MD5
 * algorithms, SHA-256 for the others). Returns 0, or -ENOENT for an
 * unknown user (any error counts as unknown).
 */
typedef int sip_auth_lookup_fn(void *arg, const char *user, const char *realm,
			       enum sip_auth_alg alg, char *secret, size_t cap,
			       bool *is_ha1);

struct sip_auth_srv_conf {
	const char *realm;     /* required */
	const uint8_t *secret; /* HMAC key, >= 16 bytes; NULL: random */
	size_t secret_len;
	uint32_t nonce_life_ms;	    /* 0: 300000 */
	unsigned replay_slots;	    /* replay table size; 0: 4096 */
	bool no_md5;		    /* challenge with SHA-256 only */
	sip_auth_lookup_fn *lookup; /* required */
	void *lookup_arg;
};

enum sip_auth_verdict {
	SIP_AUTH_OK = 0,
	SIP_AUTH_MISSING, /* no credentials for our realm: 401/407 */
	SIP_AUTH_STALE,	  /* right password, nonce expired, unknown or
			     nc replayed: challenge again with stale=true */
	SIP_AUTH_BAD,	  /* wrong user, password, or malformed: 403 (or
			     challenge again) */
};

struct sip_auth_result {
	enum sip_auth_verdict verdict;
	const char *why; /* static text for logs */
	char user[128];	 /* username given (OK and STALE), "" otherwise */
	enum sip_auth_alg alg;
};

struct sip_auth_srv;

/*
 * Creates a verifier (owned by the caller, freed with sip_auth_srv_free).
 * The conf strings are copied. Sets *sp only on success. Returns 0,
 * -EINVAL, -ENOMEM or -EIO (no randomness).
 */
int sip_auth_srv_new(struct sip_auth_srv **sp,
		     const struct sip_auth_srv_conf *conf);

/* Frees s; NULL is a no-op. */
void sip_auth_srv_free(struct sip_auth_srv *s);

/*
 * Writes one challenge value with a fresh nonce: realm, nonce, opaque,
 * algorithm, qop="auth" and, if stale, stale=true. Returns the length
 * (NUL-terminated), -EINVAL (alg UNKNOWN), -ENOSPC or -EIO.
 */
int sip_auth_srv_challenge(struct sip_auth_srv *s, enum sip_auth_alg alg,
			   bool stale, uint64_t now_ms, char *buf, size_t cap);

/*
 * Writes complete header lines ("WWW-Authenticate: ...\r\n", or
 * Proxy-Authenticate with proxy) sharing one fresh nonce: SHA-256 first,
 * then MD5 unless conf.no_md5 (RFC 7616 §3.7: the preferred one first).
 * Returns the length, -ENOSPC or -EIO.
 */
int sip_auth_srv_challenges(struct sip_auth_srv *s, bool proxy, bool stale,
			    uint64_t now_ms, char *buf, size_t cap);

/*
 * Verifies parsed credentials for a request with method and Request-URI
 * ruri (ruri unset: not compared). Order: realm, algorithm, qop, opaque,
 * uri; user lookup; response (constant-time); then the nonce (our HMAC,
 * its age, nc above the highest seen for it: RFC 7616 §3.4). The replay
 * table is only updated by a correct response. Fills r; returns its
 * verdict (never MISSING).
 */
enum sip_auth_verdict sip_auth_srv_check(struct sip_auth_srv *s,
					 const struct sip_auth_cred *c,
					 struct pl method, struct pl ruri,
					 uint64_t now_ms,
					 struct sip_auth_result *r);

/*
 * Verifies a request: finds the Authorization (or with proxy the
 * Proxy-Authorization) line for our realm and checks it against the
 * request's method and Request-URI. MISSING if none is for our realm;
 * BAD if none is but one is malformed. Fills r and returns its verdict.
 */
enum sip_auth_verdict sip_auth_srv_verify(struct sip_auth_srv *s,
					  const struct sip_msg *m, bool proxy,
					  uint64_t now_ms,
					  struct sip_auth_result *r);

#endif
