/*
 * Unit tests for gw/sip/sip_auth.c: the RFC 7616 §3.9.1 and RFC 2617 §3.5
 * examples, the RFC 2069 form and the -sess and userhash variants (their
 * expected digests computed independently with Python's hashlib), the
 * UAC -> UAS round trip through real SIP messages for every algorithm,
 * the verifier's verdicts (wrong password, replayed nc, expired, tampered
 * or foreign nonce, eviction from the replay table), challenge picking,
 * and tables of malformed challenges and credentials.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip/sip_auth.h"
#include "sip/sip_msg.h"
#include "tests/unit/t.h"

/* RFC 7616 §3.9.1 */
#define R7616_REALM  "http-auth@example.org"
#define R7616_NONCE  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

static const char r7616_chal_sha[] =
    "Digest\r\n    realm=\"" R7616_REALM "\",\r\n"
    "    qop=\"auth, auth-int\",\r\n    algorithm=SHA-256,\r\n"
    "    nonce=\"" R7616_NONCE "\",\r\n    opaque=\"" R7616_OPAQUE "\"";
static const char r7616_chal_md5[] =
    "Digest realm=\"" R7616_REALM "\", qop=\"auth, auth-int\", "
    "algorithm=MD5, nonce=\"" R7616_NONCE "\", opaque=\"" R7616_OPAQUE "\"";

/* The value of parameter name in a header value we wrote (no escapes). */
static bool param_of(const char *hdr, const char *name, char *out, size_t cap)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=", name);
	const char *p = strstr(hdr, key);
	if (!p)
		return false;
	p += strlen(key);
	bool q = *p == '"';
	p += q;
	size_t n = strcspn(p, q ? "\"" : ",");
	if (n >= cap)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static int answer(const char *chal, const char *user, const char *pw,
		  const char *method, const char *uri, const char *cnonce,
		  char *buf, size_t cap)
{
	struct sip_auth_chal c;
	struct sip_auth_uac u = {user, pw, method, uri, 1, cnonce};
	int err = sip_auth_chal_parse(&c, pl_from(chal));
	if (err)
		return err;
	return sip_auth_uac_answer(&c, &u, buf, cap);
}

static bool response_is(const char *chal, const char *user, const char *pw,
			const char *method, const char *uri, const char *cnonce,
			const char *want)
{
	char buf[1024], resp[80];
	int n = answer(chal, user, pw, method, uri, cnonce, buf, sizeof(buf));
	if (n <= 0)
		return t_fail(__FILE__, __LINE__, "answer: %d", n);
	if (!param_of(buf, "response", resp, sizeof(resp)) ||
	    strcmp(resp, want) != 0)
		return t_fail(__FILE__, __LINE__, "got %s, want %s", buf, want);
	/* what we wrote parses as credentials of the same values */
	struct sip_auth_cred cr;
	if (sip_auth_cred_parse(&cr, pl_from(buf)) != 0 ||
	    !pl_eq_str(cr.response, want))
		return t_fail(__FILE__, __LINE__, "reparse of %s", buf);
	return true;
}

TEST(rfc7616_sha256)
{
	struct sip_auth_chal c;
	CHECK_INT(sip_auth_chal_parse(&c, pl_from(r7616_chal_sha)), 0);
	CHECK_INT(c.alg, SIP_AUTH_ALG_SHA256);
	CHECK(c.qop_auth && c.qop_auth_int && !c.stale);
	CHECK(sip_auth_unq_eq(c.realm, R7616_REALM));
	CHECK(sip_auth_unq_eq(c.nonce, R7616_NONCE));
	CHECK(sip_auth_unq_eq(c.opaque, R7616_OPAQUE));
	CHECK(response_is(r7616_chal_sha, "Mufasa", "Circle of Life", "GET",
			  "/dir/index.html", R7616_CNONCE,
			  "753927fa0e85d155564e2e272a28d180"
			  "2ca10daf4496794697cf8db5856cb6c1"));
}

TEST(rfc7616_md5)
{
	char buf[1024], v[80];
	CHECK(response_is(r7616_chal_md5, "Mufasa", "Circle of Life", "GET",
			  "/dir/index.html", R7616_CNONCE,
			  "8ca523f5e9506fed4657c9700eebdbec"));
	CHECK(answer(r7616_chal_md5, "Mufasa", "Circle of Life", "GET",
		     "/dir/index.html", R7616_CNONCE, buf, sizeof(buf)) > 0);
	CHECK(strncmp(buf, "Digest username=\"Mufasa\", realm=", 32) == 0);
	CHECK(param_of(buf, "nc", v, sizeof(v)) && !strcmp(v, "00000001"));
	CHECK(param_of(buf, "qop", v, sizeof(v)) && !strcmp(v, "auth"));
	CHECK(param_of(buf, "algorithm", v, sizeof(v)) && !strcmp(v, "MD5"));
	CHECK(param_of(buf, "opaque", v, sizeof(v)) &&
	      !strcmp(v, R7616_OPAQUE));
	CHECK(param_of(buf, "cnonce", v, sizeof(v)) &&
	      !strcmp(v, R7616_CNONCE));
}

/* The RFC 7616 §3.9.1 Authorization header, parsed field by field. */
TEST(rfc7616_credentials_parse)
{
	static const char cred[] =
	    "Digest username=\"Mufasa\",\r\n realm=\"" R7616_REALM "\",\r\n"
	    " uri=\"/dir/index.html\",\r\n algorithm=MD5,\r\n"
	    " nonce=\"" R7616_NONCE "\",\r\n nc=00000001,\r\n"
	    " cnonce=\"" R7616_CNONCE "\",\r\n qop=auth,\r\n"
	    " response=\"8ca523f5e9506fed4657c9700eebdbec\",\r\n"
	    " opaque=\"" R7616_OPAQUE "\"";
	struct sip_auth_cred c;
	CHECK_INT(sip_auth_cred_parse(&c, pl_from(cred)), 0);
	CHECK_MEM(c.username.p, c.username.l, "Mufasa");
	CHECK_MEM(c.uri.p, c.uri.l, "/dir/index.html");
	CHECK_MEM(c.cnonce.p, c.cnonce.l, R7616_CNONCE);
	CHECK_INT(c.alg, SIP_AUTH_ALG_MD5);
	CHECK_INT(c.qop, SIP_AUTH_QOP_AUTH);
	CHECK_INT(c.nc, 1);
	CHECK_MEM(c.response.p, c.response.l,
		  "8ca523f5e9506fed4657c9700eebdbec");
}

/* RFC 2617 §3.5 (password "Circle Of Life", qop=auth). */
TEST(rfc2617_example)
{
	CHECK(response_is("Digest realm=\"testrealm@host.com\", "
			  "qop=\"auth,auth-int\", "
			  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
			  "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
			  "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
			  "0a4f113b", "6629fae49393a05397450978507c4ef1"));
}

/* RFC 2069 form kept by RFC 2617 §3.2.2.1 and RFC 3261 §22.4: no qop,
 * response = MD5(HA1 ":" nonce ":" HA2); no cnonce, nc or qop sent. */
TEST(rfc2069_md5_without_qop)
{
	static const char chal[] =
	    "Digest realm=\"testrealm@host.com\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"";
	char buf[512];
	CHECK(response_is(chal, "Mufasa", "Circle Of Life", "GET",
			  "/dir/index.html", NULL,
			  "670fd8c2df070c60b045671b8b24ff02"));
	CHECK(answer(chal, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
		     NULL, buf, sizeof(buf)) > 0);
	CHECK(!strstr(buf, "cnonce") && !strstr(buf, "nc=") &&
	      !strstr(buf, "qop") && !strstr(buf, "algorithm") &&
	      !strstr(buf, "opaque"));
}

TEST(sess_algorithms)
{
	CHECK(response_is("Digest realm=\"" R7616_REALM "\", qop=\"auth\", "
			  "algorithm=MD5-sess, nonce=\"" R7616_NONCE "\"",
			  "Mufasa", "Circle of Life", "GET", "/dir/index.html",
			  R7616_CNONCE, "e783283f46242139c486a698fec7211d"));
	CHECK(response_is("Digest realm=\"" R7616_REALM "\", qop=\"auth\", "
			  "algorithm=sha-256-SESS, nonce=\"" R7616_NONCE "\"",
			  "Mufasa", "Circle of Life", "GET", "/dir/index.html",
			  R7616_CNONCE,
			  "2fd51b3a77ad75bad6afad6003e818d7"
			  "67133c46d9e2749e7f5232ae1ea3efd7"));
	/* -sess needs a cnonce, so qop (RFC 2617 §3.2.2.2) */
	char buf[512];
	CHECK_INT(answer("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess",
			 "a", "b", "GET", "/", NULL, buf, sizeof(buf)),
		  -ENOTSUP);
}

/* RFC 7616 §3.4.4: username = H(username ":" realm), response unchanged. */
TEST(userhash)
{
	char buf[1024], v[80];
	CHECK(answer("Digest realm=\"" R7616_REALM "\", qop=\"auth\", "
		     "algorithm=SHA-256, nonce=\"" R7616_NONCE "\", "
		     "userhash=true",
		     "Mufasa", "Circle of Life", "GET", "/dir/index.html",
		     R7616_CNONCE, buf, sizeof(buf)) > 0);
	CHECK(param_of(buf, "username", v, sizeof(v)));
	CHECK_STR(v, "a947aad205e80e429958a387394944c6"
		     "b496301e79f89d35a4cc23b6ee12b5b6");
	CHECK(param_of(buf, "userhash", v, sizeof(v)) && !strcmp(v, "true"));
	CHECK(param_of(buf, "response", v, sizeof(v)));
	CHECK_STR(v, "753927fa0e85d155564e2e272a28d180"
		     "2ca10daf4496794697cf8db5856cb6c1");
}

/* Escapes in a quoted nonce are resolved for hashing and written back. */
TEST(quoted_pair_values)
{
	static const char chal[] =
	    "Digest realm=\"biloxi.com\", nonce=\"a\\\"b\\\\c\"";
	char buf[512];
	struct sip_auth_chal c;
	char v[16];
	CHECK_INT(sip_auth_chal_parse(&c, pl_from(chal)), 0);
	CHECK_INT(sip_auth_unq(c.nonce, v, sizeof(v)), 5);
	CHECK_STR(v, "a\"b\\c");
	CHECK(response_is(chal, "bob", "zanzibar", "INVITE",
			  "sip:bob@biloxi.com", NULL,
			  "81b27c19c0c6d533afb2492c91f1ecb8"));
	CHECK(answer(chal, "bob", "zanzibar", "INVITE", "sip:bob@biloxi.com",
		     NULL, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "nonce=\"a\\\"b\\\\c\"") != NULL);
	/* a fold inside a quoted string is one SP */
	CHECK_INT(sip_auth_chal_parse(
		      &c, pl_from("Digest realm=\"a \r\n\t b\", nonce=\"n\"")),
		  0);
	CHECK_INT(sip_auth_unq(c.realm, v, sizeof(v)), 3);
	CHECK_STR(v, "a b");
}

TEST(uac_errors)
{
	struct sip_auth_chal c;
	char buf[512];
	struct sip_auth_uac u = {"alice", "pw", "INVITE", "sip:x@y", 1, "cn"};
	CHECK_INT(
	    sip_auth_chal_parse(&c, pl_from("Digest realm=\"r\", nonce=\"n\", "
					    "qop=\"auth-int\"")),
	    0);
	CHECK_INT(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)), -ENOTSUP);
	CHECK_INT(
	    sip_auth_chal_parse(&c, pl_from("Digest realm=\"r\", nonce=\"n\", "
					    "algorithm=SHA-512-256")),
	    0);
	CHECK_INT(c.alg, SIP_AUTH_ALG_UNKNOWN);
	CHECK_INT(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)), -ENOTSUP);
	CHECK_INT(sip_auth_chal_parse(&c, pl_from("Digest realm=\"r\", "
						  "nonce=\"n\", qop=\"auth\"")),
		  0);
	CHECK(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)) > 0);
	CHECK_INT(sip_auth_uac_answer(&c, &u, buf, 40), -ENOSPC);
	u.username = "ali\r\nce";
	CHECK_INT(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)), -EINVAL);
	u.username = "ali\"ce";
	CHECK(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "username=\"ali\\\"ce\"") != NULL);
	u.nc = 0;
	CHECK_INT(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)), -EINVAL);
	u.nc = 1;
	u.method = "INV ITE";
	CHECK_INT(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)), -EINVAL);
	/* a random cnonce differs between answers */
	char cn1[64], cn2[64];
	u.method = "INVITE";
	u.cnonce = NULL;
	CHECK(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)) > 0);
	CHECK(param_of(buf, "cnonce", cn1, sizeof(cn1)));
	CHECK(sip_auth_uac_answer(&c, &u, buf, sizeof(buf)) > 0);
	CHECK(param_of(buf, "cnonce", cn2, sizeof(cn2)));
	CHECK_INT(strlen(cn1), 32);
	CHECK(strcmp(cn1, cn2) != 0);
}

/* --- Malformed input ----------------------------------------------------- */

TEST(bad_challenges)
{
	static const char *const bad[] = {
	    "",
	    "Digest",
	    "Digest ",
	    "Digestrealm=\"r\", nonce=\"n\"",
	    "Digest realm=\"r\"",			    /* no nonce */
	    "Digest nonce=\"n\"",			    /* no realm */
	    "Digest realm=r, nonce=\"n\"",		    /* realm token */
	    "Digest realm=\"r\", nonce=n",		    /* nonce token */
	    "Digest realm=\"r\", nonce=\"n\", opaque=o",    /* opaque token */
	    "Digest realm=\"r\", realm=\"s\", nonce=\"n\"", /* duplicate */
	    "Digest realm=\"r\", nonce=\"n\", NONCE=\"m\"", /* duplicate */
	    "Digest realm=\"r\", nonce=\"n\", algorithm=\"MD5\"",
	    "Digest realm=\"r\", nonce=\"n\", stale=\"true\"",
	    "Digest realm=\"r\", nonce=\"n\", stale=yes",
	    "Digest realm=\"r\", nonce=\"n\", stale=true, stale=false",
	    "Digest realm=\"r\", nonce=\"n\", qop=auth", /* unquoted */
	    "Digest realm=\"r\", nonce=\"n\", qop=\"\"",
	    "Digest realm=\"r\", nonce=\"n\", qop=\"auth,\"",
	    "Digest realm=\"r\", nonce=\"n\", qop=\"auth;x\"",
	    "Digest realm=\"r\", nonce=\"n\", charset=latin1",
	    "Digest realm=\"r\", nonce=\"n\", userhash=1",
	    "Digest realm=\"r\" nonce=\"n\"",	/* no comma */
	    "Digest realm=\"r\",, nonce=\"n\"", /* empty element */
	    "Digest realm=\"r\", nonce=\"n\",",
	    "Digest , realm=\"r\", nonce=\"n\"",
	    "Digest realm=\"r, nonce=\"n\"", /* unterminated */
	    "Digest realm=\"r\\",
	    "Digest realm=\"r\x01\", nonce=\"n\"",     /* CTL */
	    "Digest realm=\"r\\\r\n x\", nonce=\"n\"", /* \ CR */
	    "Digest realm=\"r\r\nx\", nonce=\"n\"",    /* not a fold */
	    "Digest realm=\"r\",\r\nnonce=\"n\"",      /* not a fold */
	    "Digest realm=\"r\", nonce=\"n\", x",      /* param w/o = */
	    "Digest realm=\"r\", nonce=\"n\", x=",
	    "Digest realm=\"r\", nonce=\"n\", x=\"a",
	    "Digest realm=\"r\", nonce=\"n\", =x",
	    "Digest realm=\"r\", nonce=\"n\", x=a b",
	    "Digest realm=\"r\", nonce=\"n\", x=(y)",
	    "Digest realm=\"r\", nonce=\"n\"\"",
	    "Dig@st realm=\"r\", nonce=\"n\"",
	    "\"Digest\" realm=\"r\", nonce=\"n\"",
	};
	struct sip_auth_chal c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_auth_chal_parse(&c, pl_from(bad[i])) != -EBADMSG) {
			t_fail(__FILE__, __LINE__, "accepted [%zu] %s", i,
			       bad[i]);
			return;
		}
	CHECK_INT(sip_auth_chal_parse(&c, pl_from("Basic realm=\"r\"")),
		  -ENOTSUP);
	CHECK_INT(sip_auth_chal_parse(&c, pl_from("Negotiate")), -ENOTSUP);
	CHECK_INT(sip_auth_chal_parse(&c, (struct pl)PL_INIT), -EBADMSG);
	/* an embedded NUL is not part of any value */
	CHECK_INT(sip_auth_chal_parse(
		      &c, (struct pl){"Digest realm=\"r\0\", nonce=\"n\"", 27}),
		  -EBADMSG);
}

TEST(good_challenges)
{
	static const char *const good[] = {
	    "Digest realm=\"r\",nonce=\"n\"",
	    "digest NONCE=\"n\" , Realm=\"r\"",
	    "DIGEST\r\n realm=\"r\"\r\n\t,\r\n nonce=\"n\"",
	    "Digest realm=\"r\", nonce=\"n\", future=token, other=\"q,\\\"\"",
	    "Digest realm=\"r\", nonce=\"n\", x=1, x=2", /* unknown twice */
	    "Digest realm=\"\", nonce=\"\"",
	    "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int , auth,x\"",
	    "Digest realm=\"r\", nonce=\"n\", charset=utf-8, userhash=FALSE",
	    "Digest realm=\"r\xc3\xa9\", nonce=\"n\", domain=\"sip:a sip:b\"",
	};
	struct sip_auth_chal c;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (sip_auth_chal_parse(&c, pl_from(good[i])) != 0) {
			t_fail(__FILE__, __LINE__, "rejected [%zu] %s", i,
			       good[i]);
			return;
		}
	CHECK_INT(
	    sip_auth_chal_parse(&c, pl_from("Digest realm=\"r\", nonce=\"n\", "
					    "stale=TRUE, algorithm=sha-256")),
	    0);
	CHECK(c.stale && c.alg == SIP_AUTH_ALG_SHA256 && !c.qop_given);
}

#define GOOD_CRED                                                              \
	"username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "          \
	"response=\"0123456789abcdef0123456789abcdef\""

TEST(bad_credentials)
{
	static const char *const bad[] = {
	    "Digest",
	    "Digest realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "
	    "response=\"0123456789abcdef0123456789abcdef\"", /* no username */
	    "Digest username=\"u\", realm=\"r\", nonce=\"n\", "
	    "response=\"0123456789abcdef0123456789abcdef\"", /* no uri */
	    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\"",
	    "Digest username=u, realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "
	    "response=\"0123456789abcdef0123456789abcdef\"",
	    "Digest " GOOD_CRED ", username=\"v\"",
	    "Digest " GOOD_CRED ", qop=auth",		   /* no cnonce, nc */
	    "Digest " GOOD_CRED ", qop=auth, nc=00000001", /* no cnonce */
	    "Digest " GOOD_CRED ", cnonce=\"c\", nc=00000001", /* no qop */
	    "Digest " GOOD_CRED ", qop=\"auth\", cnonce=\"c\", nc=00000001",
	    "Digest " GOOD_CRED ", qop=auth, cnonce=\"c\", nc=\"00000001\"",
	    "Digest " GOOD_CRED ", qop=auth, cnonce=\"c\", nc=0000001",
	    "Digest " GOOD_CRED ", qop=auth, cnonce=\"c\", nc=000000001",
	    "Digest " GOOD_CRED ", qop=auth, cnonce=\"c\", nc=0000000G",
	    "Digest " GOOD_CRED ", qop=auth, cnonce=\"c\", nc=0000000A",
	    "Digest " GOOD_CRED ", qop=auth, cnonce=c, nc=00000001",
	    "Digest " GOOD_CRED ", algorithm=SHA-256", /* 32 hex for SHA */
	    "Digest " GOOD_CRED ", algorithm=\"MD5\"",
	    "Digest " GOOD_CRED ", userhash=maybe",
	    "Digest " GOOD_CRED ", username*=UTF-8''u",
	    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "
	    "response=\"0123456789ABCDEF0123456789abcdef\"", /* not LHEX */
	    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "
	    "response=\"0123456789abcdef0123456789abcde\"", /* 31 */
	    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "
	    "response=0123456789abcdef0123456789abcdef",
	    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", "
	    "response=\"\"",
	    "Digest " GOOD_CRED ";",
	};
	struct sip_auth_cred c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_auth_cred_parse(&c, pl_from(bad[i])) != -EBADMSG) {
			t_fail(__FILE__, __LINE__, "accepted [%zu] %s", i,
			       bad[i]);
			return;
		}
	CHECK_INT(sip_auth_cred_parse(&c, pl_from("Digest realm=\"r\", "
						  "nonce=\"n\", uri=\"x\", "
						  "response=\"ab\", "
						  "username*=UTF-8''%c2%a3")),
		  -ENOTSUP);
	CHECK_INT(sip_auth_cred_parse(&c, pl_from("Basic dTpw")), -ENOTSUP);
	CHECK_INT(sip_auth_cred_parse(&c, pl_from("Digest " GOOD_CRED)), 0);
	CHECK_INT(c.qop, SIP_AUTH_QOP_NONE);
	CHECK_INT(sip_auth_cred_parse(
		      &c, pl_from("Digest " GOOD_CRED ", qop=auth-int, "
				  "cnonce=\"c\", nc=ffffffff, x=\"y\"")),
		  0);
	CHECK_INT(c.qop, SIP_AUTH_QOP_AUTH_INT);
	CHECK(c.nc == 0xffffffffu);
}

/* --- UAS ----------------------------------------------------------------- */

#define REALM "gw.example.net"
static const uint8_t test_secret[32] = "0123456789abcdef0123456789abcde";

/* alice has a password; carol's HA1 is stored (for "pw-carol"). */
static int lookup(void *arg, const char *user, const char *realm,
		  enum sip_auth_alg alg, char *secret, size_t cap, bool *is_ha1)
{
	(void)arg;
	if (strcmp(realm, REALM) != 0)
		return -ENOENT;
	if (!strcmp(user, "alice")) {
		snprintf(secret, cap, "%s", "wonderland");
		return 0;
	}
	if (!strcmp(user, "carol")) {
		/* MD5("carol:gw.example.net:pw-carol"), from hashlib; no
		 * SHA-256 HA1 is stored, so that one is malformed */
		snprintf(secret, cap, "%s",
			 alg == SIP_AUTH_ALG_MD5 || alg == SIP_AUTH_ALG_MD5_SESS
			     ? "9cf3d7711a23e566904ed86a0b96d2b7"
			     : "x");
		*is_ha1 = true;
		return 0;
	}
	return -ENOENT;
}

static struct sip_auth_srv *srv_new(unsigned slots, bool no_md5)
{
	struct sip_auth_srv *s = NULL;
	struct sip_auth_srv_conf conf = {
	    .realm = REALM,
	    .secret = test_secret,
	    .secret_len = sizeof(test_secret),
	    .nonce_life_ms = 30000,
	    .replay_slots = slots,
	    .no_md5 = no_md5,
	    .lookup = lookup,
	};
	return sip_auth_srv_new(&s, &conf) == 0 ? s : NULL;
}

/* A 401 carrying the given challenge lines. */
static int parse_401(struct sip_msg *m, char *buf, size_t cap,
		     const char *chal_lines)
{
	size_t used;
	int n = snprintf(buf, cap,
			 "SIP/2.0 401 Unauthorized\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
			 "From: <sip:alice@" REALM ">;tag=1\r\n"
			 "To: <sip:bob@" REALM ">;tag=2\r\n"
			 "Call-ID: c1\r\nCSeq: 1 INVITE\r\n%s"
			 "Content-Length: 0\r\n\r\n",
			 chal_lines);
	return sip_msg_parse(m, buf, (size_t)n, false, &used);
}

/* An INVITE to uri with an Authorization (or Proxy-) line. */
static int parse_req(struct sip_msg *m, char *buf, size_t cap,
		     const char *method, const char *uri, const char *hname,
		     const char *cred)
{
	size_t used;
	int n = snprintf(buf, cap,
			 "%s %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:alice@" REALM ">;tag=1\r\n"
			 "To: <%s>\r\nCall-ID: c1\r\nCSeq: 2 %s\r\n"
			 "%s%s%s"
			 "Content-Length: 0\r\n\r\n",
			 method, uri, uri, method, cred ? hname : "",
			 cred ? ": " : "", cred ? cred : "");
	return sip_msg_parse(m, buf, (size_t)n, false, &used);
}

/* The UAC side: pick from the 401 and answer. */
static int uac(const char *chal_lines, const char *user, const char *pw,
	       const char *method, const char *uri, uint32_t nc, char *out,
	       size_t cap, struct sip_auth_chal *picked)
{
	static char msgbuf[4096];
	static struct sip_msg m;
	struct sip_auth_uac u = {user, pw, method, uri, nc, NULL};
	int err = parse_401(&m, msgbuf, sizeof(msgbuf), chal_lines);
	if (!err)
		err = sip_auth_pick(&m, NULL, picked);
	if (err)
		return err;
	int n = sip_auth_uac_answer(picked, &u, out, cap - 2);
	if (n > 0)
		strcat(out, "\r\n");
	return n;
}

static enum sip_auth_verdict uas(struct sip_auth_srv *s, const char *method,
				 const char *uri, const char *cred, bool proxy,
				 uint64_t now_ms, struct sip_auth_result *r)
{
	static char buf[4096];
	static struct sip_msg m;
	if (parse_req(&m, buf, sizeof(buf), method, uri,
		      proxy ? "Proxy-Authorization" : "Authorization",
		      cred) != 0) {
		r->why = "request did not parse";
		return (enum sip_auth_verdict) - 1;
	}
	return sip_auth_srv_verify(s, &m, proxy, now_ms, r);
}

TEST(roundtrip_every_algorithm)
{
	static const enum sip_auth_alg algs[] = {
	    SIP_AUTH_ALG_MD5, SIP_AUTH_ALG_MD5_SESS, SIP_AUTH_ALG_SHA256,
	    SIP_AUTH_ALG_SHA256_SESS};
	struct sip_auth_srv *s = srv_new(0, false);
	CHECK(s != NULL);
	for (size_t i = 0; i < 4; i++) {
		char chal[512], lines[600], cred[1024];
		struct sip_auth_chal c;
		struct sip_auth_result r;
		int n = sip_auth_srv_challenge(s, algs[i], false, 1000, chal,
					       sizeof(chal));
		if (n <= 0)
			break;
		snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n",
			 chal);
		if (uac(lines, "alice", "wonderland", "INVITE",
			"sip:+4930123@" REALM, 1, cred, sizeof(cred),
			&c) <= 0 ||
		    c.alg != algs[i] || c.proxy)
			break;
		if (uas(s, "INVITE", "sip:+4930123@" REALM, cred, false, 2000,
			&r) != SIP_AUTH_OK ||
		    strcmp(r.user, "alice") != 0 || r.alg != algs[i]) {
			t_fail(__FILE__, __LINE__, "%s: %s",
			       sip_auth_alg_name(algs[i]), r.why);
			break;
		}
		/* the same nonce with nc 2 for the next request */
		if (uac(lines, "alice", "wonderland", "BYE",
			"sip:+4930123@" REALM, 2, cred, sizeof(cred),
			&c) <= 0 ||
		    uas(s, "BYE", "sip:+4930123@" REALM, cred, false, 3000,
			&r) != SIP_AUTH_OK) {
			t_fail(__FILE__, __LINE__, "nc 2: %s", r.why);
			break;
		}
	}
	sip_auth_srv_free(s);
}

TEST(challenge_lines)
{
	struct sip_auth_srv *s = srv_new(0, false);
	char buf[1024], b2[1024];
	struct sip_auth_chal c;
	struct sip_msg m;
	CHECK(s != NULL);
	int n = sip_auth_srv_challenges(s, true, true, 5000, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strncmp(buf, "Proxy-Authenticate: Digest realm=\"" REALM "\"",
		      34) == 0);
	CHECK(strstr(buf, "algorithm=SHA-256") < strstr(buf, "algorithm=MD5"));
	CHECK(strstr(buf, "algorithm=MD5") != NULL);
	CHECK(strstr(buf, "stale=true") != NULL);
	CHECK_INT(parse_401(&m, b2, sizeof(b2), buf), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_PROXY_AUTHENTICATE), 2);
	CHECK_INT(sip_auth_pick(&m, NULL, &c), 0);
	CHECK(c.proxy && c.stale && c.alg == SIP_AUTH_ALG_SHA256);
	CHECK(c.qop_auth && !c.qop_auth_int && c.opaque.l > 0);
	CHECK_STR(sip_auth_answer_hdr(&c), "Proxy-Authorization");
	CHECK(sip_auth_srv_challenges(s, false, false, 5000, buf, 100) ==
	      -ENOSPC);
	sip_auth_srv_free(s);
	s = srv_new(0, true);
	CHECK(s != NULL);
	n = sip_auth_srv_challenges(s, false, false, 5000, buf, sizeof(buf));
	sip_auth_srv_free(s);
	CHECK(n > 0 && !strstr(buf, "MD5") && !strstr(buf, "stale"));
	CHECK(strncmp(buf, "WWW-Authenticate: Digest", 24) == 0);
}

/* One challenge-answer exchange against s at t_ms; returns the verdict. */
static enum sip_auth_verdict exchange(struct sip_auth_srv *s,
				      enum sip_auth_alg alg, const char *user,
				      const char *pw, uint64_t chal_ms,
				      uint64_t verify_ms,
				      struct sip_auth_result *r)
{
	char chal[512], lines[600], cred[1024];
	struct sip_auth_chal c;
	if (sip_auth_srv_challenge(s, alg, false, chal_ms, chal,
				   sizeof(chal)) <= 0)
		return (enum sip_auth_verdict) - 1;
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", chal);
	if (uac(lines, user, pw, "INVITE", "sip:bob@" REALM, 1, cred,
		sizeof(cred), &c) <= 0)
		return (enum sip_auth_verdict) - 1;
	return uas(s, "INVITE", "sip:bob@" REALM, cred, false, verify_ms, r);
}

TEST(wrong_password_unknown_user)
{
	struct sip_auth_srv *s = srv_new(0, false);
	struct sip_auth_result r;
	CHECK(s != NULL);
	CHECK_INT(
	    exchange(s, SIP_AUTH_ALG_SHA256, "alice", "Wonderland", 0, 1, &r),
	    SIP_AUTH_BAD);
	CHECK_STR(r.why, "wrong response");
	CHECK_STR(r.user, "");
	CHECK_INT(exchange(s, SIP_AUTH_ALG_MD5, "mallory", "x", 0, 1, &r),
		  SIP_AUTH_BAD);
	CHECK_STR(r.why, "unknown user");
	/* carol's HA1 is stored: MD5 works, her SHA-256 HA1 is bogus */
	CHECK_INT(exchange(s, SIP_AUTH_ALG_MD5, "carol", "pw-carol", 0, 1, &r),
		  SIP_AUTH_OK);
	CHECK_INT(
	    exchange(s, SIP_AUTH_ALG_MD5_SESS, "carol", "pw-carol", 0, 1, &r),
	    SIP_AUTH_OK);
	CHECK_INT(exchange(s, SIP_AUTH_ALG_MD5, "carol", "pw-Carol", 0, 1, &r),
		  SIP_AUTH_BAD);
	CHECK_INT(
	    exchange(s, SIP_AUTH_ALG_SHA256, "carol", "pw-carol", 0, 1, &r),
	    SIP_AUTH_BAD);
	CHECK_STR(r.why, "cannot compute the digest");
	sip_auth_srv_free(s);
}

TEST(replayed_nc)
{
	struct sip_auth_srv *s = srv_new(0, false);
	char chal[512], lines[600], cred[1024], cred1[1024];
	struct sip_auth_chal c;
	struct sip_auth_result r;
	CHECK(s != NULL);
	CHECK(sip_auth_srv_challenge(s, SIP_AUTH_ALG_SHA256, false, 0, chal,
				     sizeof(chal)) > 0);
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", chal);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 1,
		  cred1, sizeof(cred1), &c) > 0);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred1, false, 10, &r),
		  SIP_AUTH_OK);
	/* the very same credentials again: a replay */
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred1, false, 20, &r),
		  SIP_AUTH_STALE);
	CHECK_STR(r.why, "nc replayed");
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 5,
		  cred, sizeof(cred), &c) > 0);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 30, &r),
		  SIP_AUTH_OK);
	/* nc going back below the highest seen */
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 4,
		  cred, sizeof(cred), &c) > 0);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 40, &r),
		  SIP_AUTH_STALE);
	sip_auth_srv_free(s);
}

TEST(expired_nonce_is_stale)
{
	struct sip_auth_srv *s = srv_new(0, false);
	struct sip_auth_result r;
	CHECK(s != NULL);
	CHECK_INT(exchange(s, SIP_AUTH_ALG_MD5, "alice", "wonderland", 1000,
			   31000, &r),
		  SIP_AUTH_OK);
	CHECK_INT(exchange(s, SIP_AUTH_ALG_MD5, "alice", "wonderland", 1000,
			   31001, &r),
		  SIP_AUTH_STALE);
	CHECK_STR(r.why, "nonce expired");
	CHECK_STR(r.user, "alice");
	/* from the future (a clock stepped back) */
	CHECK_INT(
	    exchange(s, SIP_AUTH_ALG_MD5, "alice", "wonderland", 1000, 999, &r),
	    SIP_AUTH_STALE);
	/* expired and wrong password: bad, not stale */
	CHECK_INT(exchange(s, SIP_AUTH_ALG_MD5, "alice", "x", 1000, 99999, &r),
		  SIP_AUTH_BAD);
	sip_auth_srv_free(s);
}

/* Replaces the first occurrence of from in s by to (same length). */
static bool patch(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);
	if (!p || strlen(from) != strlen(to))
		return false;
	memcpy(p, to, strlen(to));
	return true;
}

TEST(tampered_nonce)
{
	struct sip_auth_srv *s = srv_new(0, false);
	char chal[512], lines[600], cred[1024], nonce[64];
	struct sip_auth_chal c;
	struct sip_auth_result r;
	CHECK(s != NULL);
	CHECK(sip_auth_srv_challenge(s, SIP_AUTH_ALG_SHA256, false, 0, chal,
				     sizeof(chal)) > 0);
	CHECK(param_of(chal, "nonce", nonce, sizeof(nonce)));
	CHECK_INT(strlen(nonce), 43);
	char forged[64];
	snprintf(forged, sizeof(forged), "%s", nonce);
	forged[3] = forged[3] == 'A' ? 'B' : 'A';
	/* nonce changed after the response was computed: bad */
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", chal);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 1,
		  cred, sizeof(cred), &c) > 0);
	CHECK(patch(cred, nonce, forged));
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 1, &r),
		  SIP_AUTH_BAD);
	/* a response made over a nonce that is not ours: stale */
	CHECK(patch(chal, nonce, forged));
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", chal);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 1,
		  cred, sizeof(cred), &c) > 0);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 1, &r),
		  SIP_AUTH_STALE);
	CHECK_STR(r.why, "nonce not ours");
	/* a nonce of another server (other secret) is not ours either */
	struct sip_auth_srv *other = NULL;
	struct sip_auth_srv_conf conf = {.realm = REALM, .lookup = lookup};
	CHECK_INT(sip_auth_srv_new(&other, &conf), 0);
	char chal2[512];
	int n = sip_auth_srv_challenge(other, SIP_AUTH_ALG_MD5, false, 0, chal2,
				       sizeof(chal2));
	sip_auth_srv_free(other);
	CHECK(n > 0);
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", chal2);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 1,
		  cred, sizeof(cred), &c) > 0);
	/* its opaque differs too: precheck catches it first */
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 1, &r),
		  SIP_AUTH_BAD);
	CHECK_STR(r.why, "opaque differs");
	sip_auth_srv_free(s);
}

TEST(replay_table_evicts_oldest)
{
	struct sip_auth_srv *s = srv_new(4, false);
	char chal[512], lines[600], cred[5][1024];
	struct sip_auth_chal c;
	struct sip_auth_result r;
	CHECK(s != NULL);
	for (int i = 0; i < 5; i++) {
		CHECK(sip_auth_srv_challenge(s, SIP_AUTH_ALG_SHA256, false, 0,
					     chal, sizeof(chal)) > 0);
		snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n",
			 chal);
		CHECK(uac(lines, "alice", "wonderland", "INVITE",
			  "sip:bob@" REALM, 1, cred[i], sizeof(cred[i]),
			  &c) > 0);
	}
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred[0], false, 1, &r),
		  SIP_AUTH_OK);
	/* the 5th nonce takes the 1st one's slot; the 1st is forgotten */
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred[4], false, 1, &r),
		  SIP_AUTH_OK);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred[0], false, 1, &r),
		  SIP_AUTH_STALE);
	CHECK_STR(r.why, "nonce left the table");
	for (int i = 1; i < 4; i++)
		CHECK_INT(
		    uas(s, "INVITE", "sip:bob@" REALM, cred[i], false, 1, &r),
		    SIP_AUTH_OK);
	sip_auth_srv_free(s);
}

TEST(verify_missing_and_policy)
{
	struct sip_auth_srv *s = srv_new(0, true);
	char chal[512], lines[600], cred[1024];
	struct sip_auth_chal c;
	struct sip_auth_result r;
	CHECK(s != NULL);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, NULL, false, 0, &r),
		  SIP_AUTH_MISSING);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM,
		      "Digest username=\"u\", realm=\"other\", nonce=\"n\", "
		      "uri=\"sip:bob@" REALM "\", "
		      "response=\"0123456789abcdef0123456789abcdef\"\r\n",
		      false, 0, &r),
		  SIP_AUTH_MISSING);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM,
		      "Digest username=\"u\", realm=\"" REALM "\"\r\n", false,
		      0, &r),
		  SIP_AUTH_BAD);
	CHECK_STR(r.why, "malformed credentials");
	/* credentials in Authorization do not answer a proxy challenge */
	CHECK(sip_auth_srv_challenge(s, SIP_AUTH_ALG_SHA256, false, 0, chal,
				     sizeof(chal)) > 0);
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", chal);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 1,
		  cred, sizeof(cred), &c) > 0);
	static char req[4096];
	struct sip_msg m;
	CHECK_INT(parse_req(&m, req, sizeof(req), "INVITE", "sip:bob@" REALM,
			    "Authorization", cred),
		  0);
	CHECK_INT(sip_auth_srv_verify(s, &m, true, 1, &r), SIP_AUTH_MISSING);
	CHECK_INT(sip_auth_srv_verify(s, &m, false, 1, &r), SIP_AUTH_OK);
	/* a proxy challenge answered in Proxy-Authorization */
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 2,
		  cred, sizeof(cred), &c) > 0);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, true, 1, &r),
		  SIP_AUTH_OK);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 3,
		  cred, sizeof(cred), &c) > 0);
	/* uri other than the Request-URI */
	CHECK_INT(uas(s, "INVITE", "sip:eve@" REALM, cred, false, 1, &r),
		  SIP_AUTH_BAD);
	CHECK_STR(r.why, "uri is not the Request-URI");
	/* method other than the one hashed */
	CHECK_INT(uas(s, "OPTIONS", "sip:bob@" REALM, cred, false, 1, &r),
		  SIP_AUTH_BAD);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 1, &r),
		  SIP_AUTH_OK);
	/* MD5 not offered by an SHA-256-only server */
	char md5[512];
	snprintf(md5, sizeof(md5), "%s", chal);
	CHECK(patch(md5, "algorithm=SHA-256", "algorithm=MD5    "));
	snprintf(lines, sizeof(lines), "WWW-Authenticate: %s\r\n", md5);
	CHECK(uac(lines, "alice", "wonderland", "INVITE", "sip:bob@" REALM, 2,
		  cred, sizeof(cred), &c) > 0);
	CHECK_INT(uas(s, "INVITE", "sip:bob@" REALM, cred, false, 1, &r),
		  SIP_AUTH_BAD);
	CHECK_STR(r.why, "MD5 not offered");
	sip_auth_srv_free(s);
}

TEST(srv_new_errors)
{
	struct sip_auth_srv *s = (struct sip_auth_srv *)&s;
	struct sip_auth_srv_conf conf = {.realm = REALM, .lookup = lookup};
	conf.secret = test_secret;
	conf.secret_len = 8;
	CHECK_INT(sip_auth_srv_new(&s, &conf), -EINVAL);
	conf.secret = NULL;
	conf.realm = "a\"b";
	CHECK_INT(sip_auth_srv_new(&s, &conf), -EINVAL);
	conf.realm = REALM;
	conf.lookup = NULL;
	CHECK_INT(sip_auth_srv_new(&s, &conf), -EINVAL);
	CHECK(s == (struct sip_auth_srv *)&s); /* untouched on failure */
	sip_auth_srv_free(NULL);
}

/* --- Picking among challenges (RFC 7616 §3.7) ---------------------------- */

TEST(pick_strongest)
{
	char buf[2048];
	struct sip_msg m;
	struct sip_auth_chal c;
	CHECK_INT(
	    parse_401(&m, buf, sizeof(buf),
		      "WWW-Authenticate: Basic realm=\"x\"\r\n"
		      "WWW-Authenticate: Digest realm=\"a\", nonce=\"1\", "
		      "algorithm=MD5, qop=\"auth\"\r\n"
		      "WWW-Authenticate: Digest realm=\"a\", nonce=\"2\", "
		      "algorithm=SHA-512-256, qop=\"auth\"\r\n"
		      "WWW-Authenticate: Digest realm=\"a\", nonce=\"3\", "
		      "algorithm=SHA-256, qop=\"auth-int\"\r\n"
		      "WWW-Authenticate: Digest realm=\"a\", nonce=\"4\", "
		      "algorithm=SHA-256, qop=\"auth\"\r\n"
		      "WWW-Authenticate: Digest realm=\"a\", nonce=\"5\", "
		      "algorithm=SHA-256-sess, qop=\"auth\"\r\n"
		      "WWW-Authenticate: Digest realm=a\r\n"),
	    0);
	CHECK_INT(sip_auth_pick(&m, NULL, &c), 0);
	CHECK_MEM(c.nonce.p, c.nonce.l, "4");
	CHECK(!c.proxy);
	CHECK_INT(sip_auth_pick(&m, "b", &c), -ENOTSUP);
	CHECK_INT(parse_401(&m, buf, sizeof(buf),
			    "Proxy-Authenticate: Digest realm=\"p1\", "
			    "nonce=\"1\"\r\n"
			    "Proxy-Authenticate: Digest realm=\"p2\", "
			    "nonce=\"2\", algorithm=SHA-256\r\n"),
		  0);
	CHECK_INT(sip_auth_pick(&m, "p1", &c), 0);
	CHECK(c.proxy && c.alg == SIP_AUTH_ALG_MD5);
	CHECK_INT(sip_auth_pick(&m, NULL, &c), 0);
	CHECK_MEM(c.realm.p, c.realm.l, "p2");
	CHECK_INT(parse_401(&m, buf, sizeof(buf), ""), 0);
	CHECK_INT(sip_auth_pick(&m, NULL, &c), -ENOENT);
	CHECK_INT(parse_401(&m, buf, sizeof(buf),
			    "WWW-Authenticate: Digest realm=\"r\"\r\n"
			    "WWW-Authenticate: Digest nonce=\"r\"\r\n"),
		  0);
	CHECK_INT(sip_auth_pick(&m, NULL, &c), -EBADMSG);
	CHECK_INT(parse_401(&m, buf, sizeof(buf),
			    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\","
			    "\r\n qop=\"auth-int\"\r\n"),
		  0);
	CHECK_INT(sip_auth_pick(&m, NULL, &c), -ENOTSUP);
}
