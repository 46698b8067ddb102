/*
 * Unit tests of the SIP address lists (gw/sip/sip_acl.c): parsing of the
 * [sip] trusted value, its errors, and prefix matching for IPv4, IPv6 and
 * IPv4-mapped IPv6 sources.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "sip/sip_acl.h"
#include "tests/unit/t.h"

/* A sockaddr for a textual address (v4 or v6). */
static const struct sockaddr *sa_of(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(5060);
	} else if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(5060);
	}
	return (const struct sockaddr *)ss;
}

static bool m(const struct sip_acl *a, const char *addr)
{
	struct sockaddr_storage ss;
	return sip_acl_match(a, sa_of(addr, &ss));
}

TEST(acl_parse_example_list)
{
	struct sip_acl a;
	char err[128];
	CHECK_INT(sip_acl_parse(&a, "127.0.0.1/32, 10.0.0.0/8, ::1/128", err,
				sizeof(err)),
		  0);
	CHECK_INT(a.n, 3);
	CHECK_INT(a.net[1].family, AF_INET);
	CHECK_INT(a.net[1].prefix_len, 8);
	CHECK_INT(a.net[2].family, AF_INET6);
	CHECK(m(&a, "127.0.0.1"));
	CHECK(!m(&a, "127.0.0.2"));
	CHECK(m(&a, "10.200.3.4"));
	CHECK(!m(&a, "11.0.0.1"));
	CHECK(m(&a, "::1"));
	CHECK(!m(&a, "::2"));
	/* an IPv4-mapped source matches the IPv4 prefixes */
	CHECK(m(&a, "::ffff:10.1.1.1"));
	CHECK(!m(&a, "::ffff:192.0.2.1"));
}

TEST(acl_empty_matches_nothing)
{
	struct sip_acl a;
	char err[64];
	CHECK_INT(sip_acl_parse(&a, "", err, sizeof(err)), 0);
	CHECK_INT(a.n, 0);
	CHECK(!m(&a, "127.0.0.1"));
	CHECK_INT(sip_acl_parse(&a, NULL, err, sizeof(err)), 0);
	CHECK_INT(sip_acl_parse(&a, " ,, ", err, sizeof(err)), 0);
	CHECK_INT(a.n, 0);
}

TEST(acl_bare_host_and_odd_prefixes)
{
	struct sip_acl a;
	char err[64];
	CHECK_INT(sip_acl_parse(&a,
				"192.0.2.7 172.16.0.0/12\t2001:db8::/33,"
				"0.0.0.0/0",
				err, sizeof(err)),
		  0);
	CHECK_INT(a.n, 4);
	CHECK_INT(a.net[0].prefix_len, 32);
	CHECK(m(&a, "172.31.255.255"));
	CHECK(m(&a, "2001:db8:7fff::1"));
	CHECK(!m(&a, "2001:db8:8000::1"));
	CHECK(m(&a, "8.8.8.8")); /* 0.0.0.0/0 */
	CHECK(!m(&a, "2001:db9::1"));
	CHECK_INT(sip_acl_parse(&a, "::/0", err, sizeof(err)), 0);
	CHECK(m(&a, "fe80::1"));
	CHECK(!m(&a, "1.2.3.4")); /* a v6 prefix never matches plain v4 */
}

TEST(acl_errors_name_the_item)
{
	struct sip_acl a;
	char err[128];
	CHECK_INT(sip_acl_parse(&a, "10.0.0.0/8, 10.1.2.3/8", err, sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "10.1.2.3/8") != NULL);
	CHECK(strstr(err, "host bits") != NULL);
	CHECK_INT(a.n, 0);
	CHECK_INT(sip_acl_parse(&a, "10.0.0.0/33", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "out of range") != NULL);
	CHECK_INT(sip_acl_parse(&a, "::1/129", err, sizeof(err)), -EINVAL);
	CHECK_INT(sip_acl_parse(&a, "host.example.com", err, sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "host.example.com") != NULL);
	CHECK_INT(sip_acl_parse(&a, "10.0.0.0/", err, sizeof(err)), -EINVAL);
	CHECK_INT(sip_acl_parse(&a, "10.0.0.0/8x", err, sizeof(err)), -EINVAL);
	CHECK_INT(sip_acl_parse(&a, "10.0.0.0/-1", err, sizeof(err)), -EINVAL);
	CHECK_INT(sip_acl_parse(&a, "/8", err, sizeof(err)), -EINVAL);
	CHECK_INT(sip_acl_parse(&a, "300.1.1.1", err, sizeof(err)), -EINVAL);
}

TEST(acl_too_many_items)
{
	struct sip_acl a;
	char list[SIP_ACL_MAX * 16 + 32], err[64];
	size_t o = 0;
	for (int i = 0; i <= SIP_ACL_MAX; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o,
				      "10.%d.0.0/16,", i);
	CHECK_INT(sip_acl_parse(&a, list, err, sizeof(err)), -E2BIG);
}

TEST(acl_null_and_other_families)
{
	struct sip_acl a;
	struct sockaddr_storage ss;
	char err[8];
	CHECK_INT(sip_acl_parse(&a, "0.0.0.0/0", err, sizeof(err)), 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	CHECK(!sip_acl_match(&a, (const struct sockaddr *)&ss));
	CHECK(!sip_acl_match(NULL, sa_of("1.2.3.4", &ss)));
	CHECK(!sip_acl_match(&a, NULL));
}
