/*
 * Bodies by type: a plain body, parts of multipart bodies (RFC 2046 §5.1)
 * including RFC 4475's mpart01 and a SIP-T style SDP + ISUP INVITE,
 * nesting, quoted boundaries, and broken multiparts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_msg.h"
#include "tests/unit/t.h"

static int parse(struct sip_msg *m, char *buf, size_t cap, const char *ctype,
		 const char *body)
{
	int n = snprintf(buf, cap,
			 "INVITE sip:+4930123@gw SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
			 "From: <sip:a@b>;tag=1\r\nTo: <sip:+4930123@gw>\r\n"
			 "Call-ID: a@b\r\nCSeq: 1 INVITE\r\n"
			 "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
			 ctype, strlen(body), body);
	size_t used;
	return sip_msg_parse(m, buf, (size_t)n, false, &used);
}

static const char SDP[] = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
			  "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			  "m=audio 4000 RTP/AVP 8\r\n";

TEST(plain_body_of_the_type)
{
	char buf[2048];
	struct sip_msg m;
	struct pl part;
	CHECK_INT(parse(&m, buf, sizeof(buf), "application/SDP", SDP), 0);
	CHECK_INT(sip_body_find(&m, "application", "sdp", &part), 0);
	CHECK_MEM(part.p, part.l, SDP);
	CHECK_INT(sip_body_find(&m, "application", "isup", &part), -ENOENT);
}

TEST(sip_t_sdp_and_isup)
{
	char body[1024], buf[4096];
	struct sip_msg m;
	struct pl part;
	snprintf(body, sizeof(body),
		 "--unique-boundary-1\r\n"
		 "Content-Type: application/sdp\r\n\r\n%s"
		 "\r\n--unique-boundary-1\r\n"
		 "Content-Type: application/ISUP;version=itu-t92+\r\n"
		 "Content-Disposition: signal; handling=optional\r\n\r\n"
		 "\x01\x10\x49\x20\x01\x03\x02\x05\x07\x04\x10\x11\x33\x63"
		 "\r\n--unique-boundary-1--\r\n",
		 SDP);
	CHECK_INT(parse(&m, buf, sizeof(buf),
			"multipart/mixed; boundary=unique-boundary-1", body),
		  0);
	CHECK_INT(sip_body_find(&m, "application", "sdp", &part), 0);
	CHECK_MEM(part.p, part.l, SDP);
	CHECK_INT(sip_body_find(&m, "application", "isup", &part), 0);
	CHECK_INT((int)part.l, 14);
	CHECK_INT(sip_body_find(&m, "text", "html", &part), -ENOENT);
}

TEST(nested_and_quoted_boundary_and_default_type)
{
	char body[1024], buf[4096];
	struct sip_msg m;
	struct pl part;
	snprintf(body, sizeof(body),
		 "preamble\r\n--outer\r\n\r\nno type: text/plain\r\n"
		 "--outer\r\n"
		 "Content-Type: multipart/alternative; boundary=\"in ner\"\r\n"
		 "\r\n--in ner\r\nContent-Type: application/sdp\r\n\r\n%s"
		 "\r\n--in ner--\r\n"
		 "\r\n--outer--  \r\nepilogue",
		 SDP);
	CHECK_INT(
	    parse(&m, buf, sizeof(buf), "multipart/mixed;boundary=outer", body),
	    0);
	CHECK_INT(sip_body_find(&m, "application", "sdp", &part), 0);
	CHECK_MEM(part.p, part.l, SDP);
	CHECK_INT(sip_body_find(&m, "text", "plain", &part), 0);
	CHECK_MEM(part.p, part.l, "no type: text/plain");
}

TEST(rfc4475_mpart01)
{
	char path[512];
	size_t len, used;
	char *buf =
	    t_read_file(t_vector_path("tests/vectors/rfc4475/mpart01.dat", path,
				      sizeof(path)),
			&len);
	CHECK(buf != NULL);
	struct sip_msg m;
	struct pl part;
	CHECK_INT(sip_msg_parse(&m, buf, len, false, &used), 0);
	CHECK_INT(sip_body_find(&m, "text", "plain", &part), 0);
	CHECK_MEM(part.p, part.l, "Hello");
	CHECK_INT(sip_body_find(&m, "application", "octet-stream", &part), 0);
	CHECK(part.l > 300 && (unsigned char)part.p[0] == 0x30);
	free(buf);
}

TEST(broken_multiparts)
{
	static const struct {
		const char *ctype, *body;
		int want;
	} cases[] = {
	    {"multipart/mixed", "--b\r\n\r\nx\r\n--b--\r\n", -EBADMSG},
	    {"multipart/mixed;boundary=b", "--b\r\n\r\nx\r\n", -EBADMSG},
	    {"multipart/mixed;boundary=b",
	     "--b\r\nbad header\r\n\r\nx\r\n"
	     "--b--\r\n",
	     -EBADMSG},
	    {"multipart/mixed;boundary=b", "no delimiter at all", -EBADMSG},
	    {"multipart/mixed;boundary=b", "--b--\r\n", -ENOENT},
	    {"multipart/mixed;boundary=\"\"", "--\r\n", -EBADMSG},
	};
	char buf[2048];
	struct sip_msg m;
	struct pl part;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(
		    parse(&m, buf, sizeof(buf), cases[i].ctype, cases[i].body),
		    0);
		CHECK_INT(sip_body_find(&m, "application", "sdp", &part),
			  cases[i].want);
	}
}
