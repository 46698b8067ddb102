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
	int reason, count;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		snprintf(hdrs, sizeof(hdrs),
			 "From: <sip:+4930999@p>;tag=1\r\n"
			 "Diversion: <sip:+4930111@p>;reason=%s;counter=1\r\n"
			 "Diversion: <sip:+4930222@p>;reason=user-busy\r\n",
			 map[i].reason);
		CHECK_INT(parse(&m, buf, sizeof(buf), hdrs), 0);
		CHECK_INT(
		    call_hdr_diversion(&m, num, sizeof(num), &reason, &count),
		    0);
		/* the top-most entry is the most recent redirection */
		CHECK_STR(num, "+4930111");
		CHECK_INT(reason, map[i].want);
		CHECK_INT(count, 1);
	}
	CHECK_INT(parse(&m, buf, sizeof(buf),
			"Diversion: <sip:+4930111@p>;reason=user-busy;"
			"counter=3\r\n"),
		  0);
	CHECK_INT(call_hdr_diversion(&m, num, sizeof(num), &reason, &count), 0);
	CHECK_INT(count, 3);
	CHECK_INT(
	    parse(&m, buf, sizeof(buf), "From: <sip:+4930999@p>;tag=1\r\n"), 0);
	CHECK_INT(call_hdr_diversion(&m, num, sizeof(num), &reason, &count),
		  -ENOENT);
}

/* One History-Info case: header lines, and what should come out. */
struct hi_case {
	const char *name;
	const char *hdrs;
	int rc;
	const char *num;
	int reason, count;
};

static void hi_check(const struct hi_case *hc, bool via_redirecting)
{
	char buf[4096], num[NUMBER_MAX];
	struct sip_msg m;
	int reason = -1, count = -1;
	CHECK_INT(parse(&m, buf, sizeof(buf), hc->hdrs), 0);
	int rc =
	    via_redirecting
		? call_hdr_redirecting(&m, num, sizeof(num), &reason, &count)
		: call_hdr_history_info(&m, num, sizeof(num), &reason, &count);
	if (rc != hc->rc)
		printf("# case %s\n", hc->name);
	CHECK_INT(rc, hc->rc);
	if (rc)
		return;
	CHECK_STR(num, hc->num);
	CHECK_INT(reason, hc->reason);
	CHECK_INT(count, hc->count);
}

TEST(history_info_examples)
{
	static const struct hi_case cases[] = {
	    /* RFC 7044's voicemail case with numbers: the registered
	     * contact does not answer (Reason 408 on it), the request is
	     * mapped to voicemail with RFC 4458 cause=408 */
	    {"voicemail after no reply",
	     "History-Info: <sip:+4930111@example.com>;index=1,\r\n"
	     " <sip:+4930111@192.0.2.4?Reason=SIP%3Bcause%3D408%3Btext%3D"
	     "%22Request%20Timeout%22>;index=1.1;rc=1,\r\n"
	     " <sip:+4930999@vm.example.com;target=sip:%2B4930111%40"
	     "example.com;cause=408>;index=1.2;mp=1\r\n",
	     0, "+4930111", PRI_REDIR_FORWARD_ON_NO_REPLY, 1},
	    /* two forwardings: unconditional, then busy; the most recent
	     * diverting party is the redirecting number */
	    {"forwarding chain",
	     "History-Info: <sip:+4930100@a.example.com>;index=1,"
	     "<sip:+4930200@b.example.com;cause=302>;index=1.1;mp=1,"
	     "<sip:+4930300@c.example.com;user=phone;cause=486>;index=1.1.1;"
	     "mp=1.1\r\n",
	     0, "+4930200", PRI_REDIR_FORWARD_ON_BUSY, 2},
	    /* RFC 4244 style: no mp/rc, Reason on the retargeted entry,
	     * entries over two header lines */
	    {"reason only, two header lines",
	     "History-Info: <sip:+4930100@p.example.com?Reason=SIP%3B"
	     "cause%3D302%3Btext%3D%22Moved%20Temporarily%22>;index=1\r\n"
	     "History-Info: <sip:+4930555@q.example.com>;index=1.1\r\n",
	     0, "+4930100", PRI_REDIR_UNCONDITIONAL, 1},
	    {"entries out of order",
	     "History-Info: <sip:+4930555@q.example.com;cause=480>;"
	     "index=1.1;mp=1\r\n"
	     "History-Info: <tel:+49-30-100>;index=1\r\n",
	     0, "+4930100", PRI_REDIR_DEFLECTION, 1},
	    {"deflection during alerting, unavailable",
	     "History-Info: <sip:4930100@p.example.com>;index=1,"
	     "<sip:+4930555@q.example.com;cause=487>;index=1.1;mp=1,"
	     "<sip:+4930556@q.example.com;cause=503>;index=1.1.1;mp=1.1\r\n",
	     0, "+4930555", PRI_REDIR_DTE_OUT_OF_ORDER, 2},
	    /* RFC 7044's sequential forking to Bob's contacts (rc only):
	     * the target user never changed, nothing to report */
	    {"sequential forking, same user",
	     "History-Info: <sip:bob@example.com>;index=1,"
	     "<sip:office@example.com?Reason=SIP%3Bcause%3D408>;index=1.1;"
	     "rc=1,<sip:home@example.com?Reason=SIP%3Bcause%3D486>;"
	     "index=1.2;rc=1,<sip:cell@example.com>;index=1.3;rc=1\r\n",
	     -ENOENT, "", 0, 0},
	    /* the diverting party has no telephone number */
	    {"diverting party without a number",
	     "History-Info: <sip:bob@example.com>;index=1,"
	     "<sip:+4930999@vm.example.com;cause=486>;index=1.1;mp=1\r\n",
	     -ENOENT, "", 0, 0},
	    {"a retarget without a redirection cause",
	     "History-Info: <sip:+4930100@p.example.com?Reason=SIP%3B"
	     "cause%3D500>;index=1,<sip:+4930555@q.example.com;cause=200>;"
	     "index=1.1\r\n",
	     -ENOENT, "", 0, 0},
	    {"one entry", "History-Info: <sip:+4930100@p>;index=1\r\n", -ENOENT,
	     "", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		hi_check(&cases[i], false);
}

TEST(history_info_malformed_is_ignored)
{
	static const struct hi_case cases[] = {
	    {"no index", /* the unindexed entry is skipped */
	     "History-Info: <sip:+4930100@p>,<sip:+4930555@q;cause=302>;"
	     "index=1.1;mp=1\r\n",
	     -ENOENT, "", 0, 0},
	    {"bad indexes",
	     "History-Info: <sip:+4930100@p>;index=1..2,"
	     "<sip:+4930101@p>;index=a.1,<sip:+4930102@p>;index=1.,"
	     "<sip:+4930103@p>;index=,<sip:+4930104@p>;index=.1,"
	     "<sip:+4930105@p>;index=1.1.1.1.1.1.1.1.1,"
	     "<sip:+4930106@p;cause=302>;index=99999999999\r\n",
	     -ENOENT, "", 0, 0},
	    {"duplicate index: the first one counts",
	     "History-Info: <sip:+4930100@p>;index=1,<sip:+4930101@p>;index=1,"
	     "<sip:+4930555@q;cause=302>;index=1.1;mp=1\r\n",
	     0, "+4930100", PRI_REDIR_UNCONDITIONAL, 1},
	    {"broken escape and bad cause values",
	     "History-Info: <sip:+4930100@p?Reason=SIP%3Bcause%3D3%>;index=1,"
	     "<sip:+4930555@q;cause=abc>;index=1.1;mp=1,"
	     "<sip:+4930556@q;cause=30211>;index=1.1.1;mp=1.1,"
	     "<sip:+4930557@q;cause>;index=1.1.1.1;mp=1.1.1\r\n",
	     -ENOENT, "", 0, 3},
	    {"Q.850 reason is no redirection",
	     "History-Info: <sip:+4930100@p?Reason=Q.850%3Bcause%3D17>;"
	     "index=1,<sip:+4930555@q>;index=1.1;rc=1\r\n",
	     -ENOENT, "", 0, 0},
	    {"mp naming an entry that does not exist",
	     "History-Info: <sip:+4930100@p>;index=1,"
	     "<sip:+4930555@q;cause=302>;index=2;mp=7.7\r\n",
	     0, "+4930100", PRI_REDIR_UNCONDITIONAL, 1},
	    {"broken list: read up to the break",
	     "History-Info: <sip:+4930100@p>;index=1,"
	     "<sip:+4930555@q;cause=302>;index=1.1;mp=1,<<garbage;;\r\n",
	     0, "+4930100", PRI_REDIR_UNCONDITIONAL, 1},
	    {"garbage only", "History-Info: ;;;,,,<>\r\n", -ENOENT, "", 0, 0},
	    {"number too long for the field",
	     "History-Info: <sip:+4930100200300400500600700800900@p>;index=1,"
	     "<sip:+4930555@q;cause=302>;index=1.1;mp=1\r\n",
	     -ENOENT, "", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		hi_check(&cases[i], false);
	/* more entries than are looked at (flat indexes, each retargeted
	 * from the one before): no crash, the first 32 count */
	char hdrs[3072];
	size_t n = (size_t)snprintf(hdrs, sizeof(hdrs),
				    "History-Info: <sip:+4930100@p>;index=1");
	for (unsigned i = 1; i <= 60 && n < sizeof(hdrs) - 64; i++)
		n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n,
				      ",<sip:+49301%02u@p;cause=302>;index=%u",
				      i, i + 1);
	snprintf(hdrs + n, sizeof(hdrs) - n, "\r\n");
	struct hi_case many = {
	    "many", hdrs, 0, "+4930130", PRI_REDIR_UNCONDITIONAL, 31};
	hi_check(&many, false);
}

TEST(diversion_wins_over_history_info)
{
	struct hi_case both = {
	    "both",
	    "History-Info: <sip:+4930100@p>;index=1,"
	    "<sip:+4930555@q;cause=302>;index=1.1;mp=1\r\n"
	    "Diversion: <sip:+4930777@p>;reason=no-answer\r\n",
	    0,
	    "+4930777",
	    PRI_REDIR_FORWARD_ON_NO_REPLY,
	    1,
	};
	hi_check(&both, true);
	struct hi_case hi_only = {
	    "history-info only",
	    "History-Info: <sip:+4930100@p>;index=1,"
	    "<sip:+4930555@q;cause=486>;index=1.1;mp=1\r\n",
	    0,
	    "+4930100",
	    PRI_REDIR_FORWARD_ON_BUSY,
	    1,
	};
	hi_check(&hi_only, true);
}
