/*
 * Unit tests for gw/sip/sip_uri.c: SIP/SIPS/tel URI parsing, %-escapes,
 * and the equivalence rules of RFC 3261 §19.1.4 (its example lists) and
 * RFC 3966 §4.
 */
#include <errno.h>

#include "sip/sip_uri.h"
#include "tests/unit/t.h"

static bool eq(const char *a, const char *b)
{
	return sip_uri_eq_str(pl_from(a), pl_from(b));
}

static int parse(struct sip_uri *u, const char *s)
{
	return sip_uri_parse(u, pl_from(s));
}

/* RFC 3261 §19.1.4: "The URIs within each of the following sets are
 * equivalent". Every pair within a set, both ways. */
TEST(rfc3261_equal_sets)
{
	static const char *const sets[][4] = {
	    {"sip:%61lice@atlanta.com;transport=TCP",
	     "sip:alice@AtLanTa.CoM;Transport=tcp", NULL},
	    {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5",
	     "sip:carol@chicago.com;security=on", NULL},
	    {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40"
	     "biloxi.com",
	     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40"
	     "biloxi.com",
	     NULL},
	    {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	     "sip:alice@atlanta.com?priority=urgent&subject=project%20x", NULL},
	};
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
		for (size_t i = 0; sets[s][i]; i++)
			for (size_t j = 0; sets[s][j]; j++)
				if (!eq(sets[s][i], sets[s][j]))
					t_fail(__FILE__, __LINE__, "%s != %s",
					       sets[s][i], sets[s][j]);
}

/* RFC 3261 §19.1.4: "... are not equivalent". */
TEST(rfc3261_not_equal_pairs)
{
	static const char *const pairs[][2] = {
	    {"SIP:ALICE@AtLanTa.CoM;Transport=udp",
	     "sip:alice@AtLanTa.CoM;Transport=UDP"},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"},
	    {"sip:carol@chicago.com",
	     "sip:carol@chicago.com?Subject=next%20meeting"},
	    {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"},
	    /* equality is not transitive (§19.1.4) */
	    {"sip:carol@chicago.com;security=on",
	     "sip:carol@chicago.com;security=off"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (eq(pairs[i][0], pairs[i][1]) ||
		    eq(pairs[i][1], pairs[i][0]))
			t_fail(__FILE__, __LINE__, "%s == %s", pairs[i][0],
			       pairs[i][1]);
	}
	/* both sides of the not-transitive example equal the bare URI */
	CHECK(
	    eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=off"));
}

TEST(compare_rules)
{
	/* sip and sips never match */
	CHECK(!eq("sips:alice@atlanta.com", "sip:alice@atlanta.com"));
	CHECK(eq("sips:alice@atlanta.com", "SIPS:alice@ATLANTA.com"));
	/* user, ttl, method, maddr, transport: in both or neither */
	CHECK(!eq("sip:a@h;user=phone", "sip:a@h"));
	CHECK(!eq("sip:a@h", "sip:a@h;ttl=1"));
	CHECK(!eq("sip:a@h;maddr=1.2.3.4", "sip:a@h"));
	CHECK(!eq("sip:a@h;method=INVITE", "sip:a@h"));
	CHECK(eq("sip:a@h;lr", "sip:a@h"));
	/* password is part of the case-sensitive userinfo */
	CHECK(eq("sip:a:pw@h", "sip:a:p%77@h"));
	CHECK(!eq("sip:a:pw@h", "sip:a:PW@h"));
	CHECK(!eq("sip:a:pw@h", "sip:a@h"));
	/* user present vs absent */
	CHECK(!eq("sip:h", "sip:a@h"));
	/* escaped reserved characters stay distinct from the literal */
	CHECK(!eq("sip:a%3Bb@h", "sip:a;b@h"));
	CHECK(eq("sip:a%3Bb@h", "sip:a%3bb@h"));
	/* headers are compared as sets, names without case */
	CHECK(!eq("sip:a@h?x=1", "sip:a@h?x=1&y=2"));
	CHECK(eq("sip:a@h?X=1&y=2", "sip:a@h?y=2&x=1"));
	/* ports */
	CHECK(eq("sip:a@h:5070", "sip:a@H:5070"));
	CHECK(!eq("sip:a@h:5070", "sip:a@h:5071"));
	/* IPv6 references compare as addresses */
	CHECK(eq("sip:a@[2001:db8::10]:5070", "sip:a@[2001:DB8:0:0::10]:5070"));
	CHECK(!eq("sip:a@[2001:db8::10]", "sip:a@[2001:db8::11]"));
	/* malformed URIs never compare equal */
	CHECK(!eq("sip:a@", "sip:a@"));
}

TEST(parse_components)
{
	struct sip_uri u;
	struct pl v;
	CHECK_INT(parse(&u, "sip:alice:secret@atlanta.com:5061;transport=tcp;"
			    "lr?subject=hi&x="),
		  0);
	CHECK_INT(u.scheme, SIP_SCHEME_SIP);
	CHECK_MEM(u.user.p, u.user.l, "alice");
	CHECK_MEM(u.password.p, u.password.l, "secret");
	CHECK_MEM(u.host.p, u.host.l, "atlanta.com");
	CHECK_INT(u.port, 5061);
	CHECK_MEM(u.params.p, u.params.l, ";transport=tcp;lr");
	CHECK_MEM(u.headers.p, u.headers.l, "subject=hi&x=");
	CHECK_INT(sip_uri_param(&u, "TRANSPORT", &v), 0);
	CHECK_MEM(v.p, v.l, "tcp");
	CHECK_INT(sip_uri_param(&u, "lr", &v), 0);
	CHECK_INT(v.l, 0);
	CHECK_INT(sip_uri_param(&u, "maddr", &v), -ENOENT);
	CHECK_INT(sip_uri_header(&u, "Subject", &v), 0);
	CHECK_MEM(v.p, v.l, "hi");
	CHECK_INT(sip_uri_header(&u, "x", &v), 0);
	CHECK_INT(v.l, 0);

	CHECK_INT(parse(&u, "sips:[2001:db8::9:1]:5061"), 0);
	CHECK_INT(u.scheme, SIP_SCHEME_SIPS);
	CHECK(u.host_ipv6);
	CHECK_MEM(u.host.p, u.host.l, "2001:db8::9:1");
	CHECK_INT(u.port, 5061);
	CHECK(!pl_isset(u.user));

	/* RFC 4475 §3.1.1.2: every character the user part allows */
	CHECK_INT(parse(&u, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,"
			    "/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@"
			    "example.com"),
		  0);
	CHECK_MEM(u.user.p, u.user.l,
		  "1_unusual.URI~(to-be!sure)&isn't+it$/"
		  "crazy?,/;;*");
	CHECK_MEM(u.password.p, u.password.l,
		  "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	/* RFC 4475 §3.1.1.9: semicolons in the user part */
	CHECK_INT(parse(&u, "sip:user;par=u%40example.net@example.com"), 0);
	CHECK_MEM(u.user.p, u.user.l, "user;par=u%40example.net");
	CHECK(!pl_isset(u.params));

	/* other schemes: syntax of the scheme only */
	CHECK_INT(parse(&u, "soap.beep://192.0.2.103:3002"), 0);
	CHECK_INT(u.scheme, SIP_SCHEME_OTHER);
	CHECK_MEM(u.scheme_pl.p, u.scheme_pl.l, "soap.beep");
	CHECK_INT(parse(&u, "isbn:2983792873"), 0);
}

TEST(parse_rejects)
{
	static const char *const bad[] = {
	    "sip:",
	    "sip:@host",
	    "sip:user@",
	    "sip:host:99999",
	    "sip:host:",
	    "sip:host;=x",
	    "sip:host;a=",
	    "sip:host;",
	    "sip:us er@host",
	    "sip:user@ho st",
	    "sip:a%4@host",
	    "sip:a%zz@host",
	    "sip:host?noequals",
	    "sip:[2001:db8::g]",
	    "sip:[2001:db8::1",
	    "sip:host..example",
	    "<sip:host>",
	    "1sip:host",
	    "nocolon",
	    "sip:a\"b@host",
	    "tel:7042",		       /* local number without context */
	    "tel:+",		       /* no digits */
	    "tel:+1-abc",	       /* hex only in local numbers */
	    "tel:1234;phone-context=", /* empty context */
	};
	struct sip_uri u;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(&u, bad[i]) != -EINVAL)
			t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}

TEST(escapes)
{
	char out[16];
	size_t n;
	CHECK_INT(sip_unescape(pl_from("null-%00-null"), out, sizeof(out), &n),
		  0);
	CHECK_INT(n, 11);
	CHECK(memcmp(out, "null-\0-null", 11) == 0);
	CHECK_INT(
	    sip_unescape(pl_from("v%61lue%25%34%31"), out, sizeof(out), &n), 0);
	CHECK_MEM(out, n, "value%41");
	CHECK_INT(sip_unescape(pl_from("%4"), out, sizeof(out), &n), -EINVAL);
	CHECK_INT(sip_unescape(pl_from("%g0"), out, sizeof(out), &n), -EINVAL);
	CHECK_INT(sip_unescape(pl_from("abcdef"), out, 3, &n), -ENOSPC);

	CHECK(sip_esc_eq(pl_from("%61lice"), pl_from("alice"), false));
	CHECK(!sip_esc_eq(pl_from("%61lice"), pl_from("Alice"), false));
	CHECK(sip_esc_eq(pl_from("%61lice"), pl_from("ALICE"), true));
	CHECK(!sip_esc_eq(pl_from("a%3Bb"), pl_from("a;b"), false));
	CHECK(sip_esc_eq(pl_from("a%3Bb"), pl_from("a%3bb"), false));
	CHECK(!sip_esc_eq(pl_from("ab"), pl_from("abc"), false));

	/* RFC 4475 §3.1.1.3 and §3.1.1.4 URIs */
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:sips%3Auser%40example.com@example.net"), 0);
	CHECK_MEM(u.user.p, u.user.l, "sips%3Auser%40example.com");
	CHECK_MEM(u.host.p, u.host.l, "example.net");
	CHECK(eq("sip:%75se%72@example.com", "sip:user@example.com"));
	CHECK(
	    eq("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
	       "sip:caller@host5.example.net;lr;name=value%2541"));
	CHECK(!eq("sip:%00@host5.example.com", "sip:%00%00@host5.example.com"));
	CHECK(eq("sip:null-%00-null@example.com",
		 "sip:null-%00-null@EXAMPLE.com"));
}

TEST(tel_uris)
{
	struct sip_uri u;
	struct pl v;
	CHECK_INT(parse(&u, "tel:+1-201-555-0123"), 0);
	CHECK_INT(u.scheme, SIP_SCHEME_TEL);
	CHECK_MEM(u.user.p, u.user.l, "+1-201-555-0123");
	CHECK_INT(parse(&u, "tel:7042;phone-context=example.com"), 0);
	CHECK_MEM(u.user.p, u.user.l, "7042");
	CHECK_INT(sip_uri_param(&u, "phone-context", &v), 0);
	CHECK_MEM(v.p, v.l, "example.com");
	CHECK_INT(parse(&u, "tel:863-1234;phone-context=+1-914-555"), 0);
	CHECK_INT(parse(&u, "tel:*21#;phone-context=+49-30"), 0);
	CHECK_INT(parse(&u, "tel:+1-212-555-0101;ext=22;isub=1411"), 0);

	/* RFC 3966 §4: visual separators do not count, params as sets */
	CHECK(eq("tel:+1-201-555-0123", "tel:+1(201)555.0123"));
	CHECK(!eq("tel:+1-201-555-0123", "tel:+1-201-555-0124"));
	CHECK(eq("tel:7042;phone-context=example.com",
		 "tel:70-42;phone-context=EXAMPLE.com"));
	CHECK(!eq("tel:7042;phone-context=example.com",
		  "tel:7042;phone-context=example.org"));
	CHECK(eq("tel:863-1234;phone-context=+1-914-555",
		 "tel:8631234;phone-context=+1914555"));
	CHECK(eq("tel:+1-212-555-0101;ext=22;isub=1411",
		 "tel:+12125550101;isub=1411;ext=22"));
	CHECK(!eq("tel:+12125550101;ext=22", "tel:+12125550101"));
	CHECK(!eq("tel:+12125550101", "sip:+12125550101@example.com"));
}

/* sip_ctab[] against the RFC 3261 §25.1 definitions of each class. */
TEST(char_classes)
{
	for (int c = 0; c < 256; c++) {
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z');
		bool token = alnum || (c && strchr("-.!%*_+`'~", c));
		bool want[8] = {
		    token,
		    c == ' ' || c == '\t' || c == '\r' || c == '\n',
		    c >= 0x21 && c <= 0x7e && !strchr("<>\"", c),
		    token || (c && strchr("()<>:\\\"/[]?{}", c)),
		    c && strchr(",\"<>", c),
		    alnum,
		    alnum || c == '-' || c == '.',
		    alnum || (c && strchr("-_.!~*'()", c)),
		};
		for (int b = 0; b < 8; b++)
			if (((sip_ctab[c] >> b) & 1) != want[b]) {
				t_fail(__FILE__, __LINE__,
				       "byte 0x%02x class %d", c, b);
				return;
			}
		CHECK_INT(sip_lower((unsigned char)c),
			  c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	CHECK(sip_pl_ieq(pl_from("Content-LENGTH"), "content-length"));
	CHECK(!sip_pl_ieq(pl_from("Content-Lengt"), "content-length"));
	CHECK(!sip_pl_ieq(pl_from("Content-Lengths"), "content-length"));
	CHECK(!sip_pl_ieq(pl_from("\r"), "-"));
}
