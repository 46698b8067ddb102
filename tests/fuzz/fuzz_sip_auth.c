/*
 * libFuzzer target: the digest challenge and credentials parsers of
 * gw/sip/sip_auth.c read header values any peer sends. The input is given
 * to both parsers. Oracles: an unquoted value is never longer than its
 * view; a usable challenge gets an answer that parses as credentials
 * carrying the same realm, nonce and opaque, whose response the verifier
 * recomputes (it must not call it "wrong"); credentials that parse run
 * through the verifier without crashing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_REALM "fz.example"

static int lookup(void *arg, const char *user, const char *realm,
		  enum sip_auth_alg alg, char *secret, size_t cap, bool *is_ha1)
{
	(void)arg;
	(void)realm;
	(void)alg;
	(void)is_ha1;
	if (!strcmp(user, "nobody"))
		return -ENOENT;
	snprintf(secret, cap, "%s", "pw");
	return 0;
}

static struct sip_auth_srv *server(void)
{
	static struct sip_auth_srv *s;
	static const uint8_t key[16] = "fuzzfuzzfuzzfuzz";
	struct sip_auth_srv_conf conf = {.realm = FZ_REALM,
					 .secret = key,
					 .secret_len = sizeof(key),
					 .replay_slots = 8,
					 .lookup = lookup};
	if (!s && sip_auth_srv_new(&s, &conf) != 0)
		abort();
	return s;
}

static void same(struct pl a, struct pl b)
{
	static char x[4096], y[4096];
	size_t n = sip_auth_unq(a, x, sizeof(x));
	size_t m = sip_auth_unq(b, y, sizeof(y));
	if (n != m || (n < sizeof(x) && memcmp(x, y, n) != 0))
		abort();
}

static void check_unq(struct pl v)
{
	char buf[64];
	if (v.p && sip_auth_unq(v, buf, sizeof(buf)) > v.l)
		abort();
}

static void challenge(struct pl in)
{
	static char out[8192];
	struct sip_auth_chal c;
	struct sip_auth_cred cr;
	struct sip_auth_result r;
	struct sip_auth_uac u = {"fz", "pw", "INVITE", "sip:a@b", 7, "cn"};
	if (sip_auth_chal_parse(&c, in) != 0)
		return;
	check_unq(c.realm);
	check_unq(c.nonce);
	check_unq(c.opaque);
	if (sip_auth_uac_answer(&c, &u, out, sizeof(out)) <= 0)
		return;
	if (sip_auth_cred_parse(&cr, pl_from(out)) != 0) {
		fprintf(stderr, "answer does not parse: %s\n", out);
		abort();
	}
	same(c.realm, cr.realm);
	same(c.nonce, cr.nonce);
	if (c.opaque.p)
		same(c.opaque, cr.opaque);
	if (cr.alg != c.alg || (c.qop_given ? cr.nc != 7 : cr.nc_pl.p != NULL))
		abort();
	/* realm and opaque will not be ours unless the input made them so;
	 * if the precheck passes, the response must be right */
	sip_auth_srv_check(server(), &cr, PL("INVITE"), PL("sip:a@b"), 0, &r);
	if (r.verdict == SIP_AUTH_BAD && r.why &&
	    !strcmp(r.why, "wrong response") && !c.userhash)
		abort();
}

static void credentials(struct pl in)
{
	struct sip_auth_cred c;
	struct sip_auth_result r;
	if (sip_auth_cred_parse(&c, in) != 0)
		return;
	check_unq(c.username);
	check_unq(c.uri);
	sip_auth_srv_check(server(), &c, PL("INVITE"), (struct pl)PL_INIT, 1,
			   &r);
	sip_auth_srv_check(server(), &c, PL("BYE"), PL("sip:a@b"), 1, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so overreads are caught */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct pl in = {buf, size};
	challenge(in);
	credentials(in);
	free(buf);
	return 0;
}
