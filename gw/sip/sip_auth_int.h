/*
 * Internals shared by sip_auth.c (parsers, digests, UAC) and
 * sip_auth_srv.c (UAS): value views, the digest computation and the
 * header writer. Nothing else includes this.
 */
#ifndef GW_SIP_AUTH_INT_H
#define GW_SIP_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sip/sip_auth.h"

#define HEX_MAX 65 /* SHA-256 in hex and NUL */

/* A value for hashing or printing: a quoted-string view (escapes and
 * folds to resolve) or plain text. */
struct val {
	struct pl v;
	bool q;
};

/* Inputs of one response computation. */
struct digest_in {
	enum sip_auth_alg alg;
	struct val user, realm, nonce, cnonce, uri, method;
	const char *secret; /* password, or HA1 hex with is_ha1 */
	bool is_ha1;
	struct pl nc; /* 8 LHEX; unset for the RFC 2069 form */
};

/* A header value being written; full/bad make auth_o_end fail. */
struct out {
	char *b;
	size_t cap, n;
	bool full;
	bool bad; /* a value had a byte a header cannot carry */
};

/* End of a view; NULL for an unset one. */
const char *auth_view_end(struct pl v);
/* Lower-case hex digits only, at least one (RFC 3261 §25.1 LHEX). */
bool auth_lhex(struct pl v);
/* s is one RFC 3261 token. */
bool auth_is_token(const char *s);
/* Hex digits of the algorithm's hash (32 MD5, 64 SHA-256). */
size_t auth_alg_hex_len(enum sip_auth_alg a);
/* Next character of a quoted-string's content (escapes and folds
 * resolved) into *out; false at the end. */
bool auth_unq_next(const char **pp, const char *e, char *out);
/* A quoted-string view / plain text as a value. */
struct val auth_vq(struct pl raw);
struct val auth_vs(const char *s);
/* The response digest of d in lower-case hex (RFC 7616 §3.4.1). Returns
 * 0 or -errno. */
int auth_digest(const struct digest_in *d, char out[HEX_MAX]);
/* Header writer: bytes, a string, a value quoted, ", name=value", and
 * the result (length or -ENOSPC / -EINVAL). */
void auth_o_mem(struct out *o, const char *p, size_t n);
void auth_o_str(struct out *o, const char *s);
void auth_o_quoted(struct out *o, struct val v);
void auth_o_param(struct out *o, const char *name, struct val v, bool q);
int auth_o_end(const struct out *o);
/* Whether s can be written inside a quoted-string as is. */
bool auth_plain_quotable(const char *s);

#endif
