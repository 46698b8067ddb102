/*
 * SIP header <-> Q.931 mapping of the call layer: Reason (RFC 3326),
 * calling party from P-Asserted-Identity / From with Privacy (RFC 3325,
 * RFC 3323), redirecting number from Diversion (RFC 5806), numbers from
 * sip:/tel: URIs.
 */
#include <errno.h>
#include <libpri.h>
#include <stdio.h>
#include <string.h>

#include "call/call_int.h"
#include "tests/unit/t.h"

/* Parses an INVITE made of the given extra header lines. */
static int parse(struct sip_msg *m, char *buf, size_t cap, const char *hdrs)
{
	int n = snprintf(buf, cap,
			 "INVITE sip:+4930123@gw SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
			 "To: <sip:+4930123@gw>\r\n"
			 "Call-ID: a@b\r\nCSeq: 1 INVITE\r\n"
			 "Max-Forwards: 70\r\n%s"
			 "Content-Length: 0\r\n\r\n",
			 hdrs);
	size_t used;
	return sip_msg_parse(m, buf, (size_t)n, false, &used);
}

TEST(reason_header)
{
	char buf[200];
	int n = call_hdr_reason(buf, sizeof(buf), 17);
	CHECK_STR(buf, "Reason: Q.850;cause=17;text=\"User busy\"\r\n");
	CHECK_INT(n, (int)strlen(buf));
	CHECK_INT(call_hdr_reason(buf, 10, 17), -ENOSPC);
}

TEST(numbers_from_uris)
{
	static const struct {
		const char *uri, *num;
	} ok[] = {
	    {"sip:+4930123@gw", "+4930123"},
	    {"sip:4930123@10.0.0.1:5060;user=phone", "4930123"},
	    {"sips:+1-212-555-0100@h", "+12125550100"},
	    {"tel:+49-30-(123)", "+4930123"},
	    {"sip:+4930123;npdi@h", "+4930123"},
	    {"sip:%2B4930123@h", "+4930123"},
	};
	static const char *const bad[] = {
	    "sip:alice@h", "sip:h",
	    "sip:+@h",	   "sip:12+3@h",
	    "mailto:1@h",  "sip:1234567890123456789012345678901234@h",
	    "tel:abc",	   "",
	};
	char num[NUMBER_MAX];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_INT(
		    call_hdr_uri_number(pl_from(ok[i].uri), num, sizeof(num)),
		    0);
		CHECK_STR(num, ok[i].num);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(
		    call_hdr_uri_number(pl_from(bad[i]), num, sizeof(num)),
		    -EINVAL);
}

TEST(calling_from_pai_with_privacy)
{
	char buf[1024], num[NUMBER_MAX];
	struct sip_msg m;
	int pres;
	CHECK_INT(parse(&m, buf, sizeof(buf),
			"From: \"A\" <sip:+4930999@p>;tag=1\r\n"
			"P-Asserted-Identity: \"A\" <sip:+4930555@p>\r\n"
			"Privacy: id\r\n"),
		  0);
	CHECK_INT(call_hdr_calling(&m, num, sizeof(num), &pres), 0);
	CHECK_STR(num, "+4930555");
	CHECK_INT(pres, PRES_PROHIB_USER_NUMBER_PASSED_SCREEN);
	/* tel: PAI when the sip one is not a number; Privacy none */
	CHECK_INT(parse(&m, buf, sizeof(buf),
			"From: <sip:+4930999@p>;tag=1\r\n"
			"P-Asserted-Identity: <sip:alice@p>, <tel:+4930777>\r\n"
			"Privacy: none\r\n"),
		  0);
	CHECK_INT(call_hdr_calling(&m, num, sizeof(num), &pres), 0);
	CHECK_STR(num, "+4930777");
	CHECK_INT(pres, PRES_ALLOWED_USER_NUMBER_PASSED_SCREEN);
}

TEST(calling_from_from_header)
{
	char buf[1024], num[NUMBER_MAX];
	struct sip_msg m;
	int pres;
	CHECK_INT(
	    parse(&m, buf, sizeof(buf), "From: <sip:+4930999@p>;tag=1\r\n"), 0);
	CHECK_INT(call_hdr_calling(&m, num, sizeof(num), &pres), 0);
	CHECK_STR(num, "+4930999");
	CHECK_INT(pres, PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	CHECK_INT(parse(&m, buf, sizeof(buf),
			"From: <sip:+4930999@p>;tag=1\r\n"
			"Privacy: header;user\r\n"),
		  0);
	CHECK_INT(call_hdr_calling(&m, num, sizeof(num), &pres), 0);
	CHECK_INT(pres, PRES_PROHIB_USER_NUMBER_NOT_SCREENED);
	CHECK_INT(parse(&m, buf, sizeof(buf),
			"From: \"Anonymous\" <sip:anonymous@anonymous.invalid>"
			";tag=1\r\n"),
		  0);
	CHECK_INT(call_hdr_calling(&m, num, sizeof(num), &pres), -ENOENT);
	CHECK_STR(num, "");
	CHECK_INT(pres, PRES_NUMBER_NOT_AVAILABLE);
}

TEST(diversion)
{
	static const struct {
		const char *reason;
		int want;
	} map[] = {
	    {"user-busy", PRI_REDIR_FORWARD_ON_BUSY},
	    {"no-answer", PRI_REDIR_FORWARD_ON_NO_REPLY},
	    {"unconditional", PRI_REDIR_UNCONDITIONAL},
	    {"\"deflection\"", PRI_REDIR_DEFLECTION},
	    {"unavailable", PRI_REDIR_DTE_OUT_OF_ORDER},
	    {"something-else", PRI_REDIR_UNKNOWN},
	};
	char buf[1024], hdrs[512], num[NUMBER_MAX];
	struct sip_msg m;
	int reason;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		snprintf(hdrs, sizeof(hdrs),
			 "From: <sip:+4930999@p>;tag=1\r\n"
			 "Diversion: <sip:+4930111@p>;reason=%s;counter=1\r\n"
			 "Diversion: <sip:+4930222@p>;reason=user-busy\r\n",
			 map[i].reason);
		CHECK_INT(parse(&m, buf, sizeof(buf), hdrs), 0);
		CHECK_INT(call_hdr_diversion(&m, num, sizeof(num), &reason), 0);
		/* the top-most entry is the most recent redirection */
		CHECK_STR(num, "+4930111");
		CHECK_INT(reason, map[i].want);
	}
	CHECK_INT(
	    parse(&m, buf, sizeof(buf), "From: <sip:+4930999@p>;tag=1\r\n"), 0);
	CHECK_INT(call_hdr_diversion(&m, num, sizeof(num), &reason), -ENOENT);
}
