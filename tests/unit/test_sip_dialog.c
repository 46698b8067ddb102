/*
 * Tests of the pure dialog layer (gw/sip/sip_dialog.c, sip_req.c): UAS and
 * UAC dialog creation (RFC 3261 §12.1), route set order, loose and strict
 * routing of in-dialog requests (§12.2.1.1), CSeq rules (§12.2.2), target
 * refresh, and printed requests that parse back.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_dialog.h"
#include "tests/unit/t.h"

static const char invite_in[] =
    "INVITE sip:+4930123@10.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKp1\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1\r\n"
    "Record-Route: <sip:p1.example.com;lr>\r\n"
    "Record-Route: <sip:10.0.0.9;lr>, <sip:p3.example.com;lr;x=1>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=a73kszlfl\r\n"
    "To: <sip:+4930123@gw.example.com>;x=y\r\n"
    "Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.2\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.2:5062>\r\n"
    "Content-Length: 0\r\n\r\n";

static const char invite_out[] =
    "INVITE sip:bob@10.0.0.5 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKo1;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:gw@10.0.0.1>;tag=ourtag1\r\n"
    "To: <sip:bob@10.0.0.5>\r\n"
    "Call-ID: cid-out-1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:gw@10.0.0.1:5060>\r\n"
    "Content-Length: 0\r\n\r\n";

static const char ringing_out[] =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKo1;rport\r\n"
    "Record-Route: <sip:r1.example.com;lr>, <sip:10.0.0.7;lr>\r\n"
    "From: <sip:gw@10.0.0.1>;tag=ourtag1\r\n"
    "To: <sip:bob@10.0.0.5>;tag=bobtag\r\n"
    "Call-ID: cid-out-1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

static const char ok_out[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKo1;rport\r\n"
    "Record-Route: <sip:r1.example.com;lr>\r\n"
    "Record-Route: <sip:10.0.0.8;lr>\r\n"
    "From: <sip:gw@10.0.0.1>;tag=ourtag1\r\n"
    "To: <sip:bob@10.0.0.5>;tag=bobtag\r\n"
    "Call-ID: cid-out-1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:bob@10.0.0.5:5080;transport=tcp>\r\n"
    "Content-Length: 0\r\n\r\n";

static bool parse(struct sip_msg *m, const char *s)
{
	size_t used;
	return sip_msg_parse(m, s, strlen(s), false, &used) == 0;
}

TEST(uas_dialog)
{
	struct sip_msg m;
	struct sip_dialog d;
	CHECK(parse(&m, invite_in));
	CHECK_INT(sip_dialog_uas(&d, &m, "gwtag"), 0);
	CHECK_STR(d.call_id, "1j9FpLxk3uxtm8tn@10.0.0.2");
	CHECK_STR(d.local_tag, "gwtag");
	CHECK_STR(d.remote_tag, "a73kszlfl");
	CHECK_STR(d.remote_uri, "\"Alice\" <sip:alice@example.com>");
	CHECK_STR(d.local_uri, "<sip:+4930123@gw.example.com>;x=y");
	CHECK_STR(d.remote_target, "sip:alice@10.0.0.2:5062");
	/* §12.1.1: Record-Route in order for the UAS */
	CHECK_INT(d.n_route, 3);
	CHECK_STR(d.route[0], "<sip:p1.example.com;lr>");
	CHECK_STR(d.route[1], "<sip:10.0.0.9;lr>");
	CHECK_STR(d.route[2], "<sip:p3.example.com;lr;x=1>");
	CHECK_INT(d.remote_cseq, 10);
	CHECK(d.remote_cseq_set);
	CHECK(!d.uac);
	CHECK(!d.secure);
	/* a UAS starts its own CSeq at 1 */
	CHECK_INT(sip_dialog_next_cseq(&d), 1);
	CHECK_INT(sip_dialog_next_cseq(&d), 2);
	sip_dialog_clear(&d);
	CHECK(d.call_id == NULL);
}

TEST(uas_no_contact)
{
	static const char bad[] =
	    "INVITE sip:a@10.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n"
	    "From: <sip:b@x>;tag=1\r\n"
	    "To: <sip:a@x>\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg m;
	struct sip_dialog d;
	CHECK(parse(&m, bad));
	CHECK_INT(sip_dialog_uas(&d, &m, "t"), -EBADMSG);
	CHECK(d.call_id == NULL);
}

TEST(uac_dialog_early_then_confirmed)
{
	struct sip_msg req, r180, r200;
	struct sip_dialog d;
	CHECK(parse(&req, invite_out));
	CHECK(parse(&r180, ringing_out));
	CHECK(parse(&r200, ok_out));
	CHECK_INT(sip_dialog_uac(&d, &req, &r180), 0);
	CHECK_STR(d.local_tag, "ourtag1");
	CHECK_STR(d.remote_tag, "bobtag");
	CHECK_STR(d.local_uri, "<sip:gw@10.0.0.1>");
	CHECK_STR(d.remote_uri, "<sip:bob@10.0.0.5>");
	/* no Contact in the 180: the Request-URI stands in */
	CHECK_STR(d.remote_target, "sip:bob@10.0.0.5");
	/* §12.1.2: reversed for the UAC */
	CHECK_INT(d.n_route, 2);
	CHECK_STR(d.route[0], "<sip:10.0.0.7;lr>");
	CHECK_STR(d.route[1], "<sip:r1.example.com;lr>");
	CHECK_INT(d.local_cseq, 7);
	CHECK(!d.remote_cseq_set);
	CHECK(d.uac);
	/* §13.2.2.4: the 2xx recomputes the route set and target */
	CHECK_INT(sip_dialog_uac_update(&d, &r200), 0);
	CHECK_INT(d.n_route, 2);
	CHECK_STR(d.route[0], "<sip:10.0.0.8;lr>");
	CHECK_STR(d.route[1], "<sip:r1.example.com;lr>");
	CHECK_STR(d.remote_target, "sip:bob@10.0.0.5:5080;transport=tcp");
	CHECK_INT(sip_dialog_next_cseq(&d), 8);
	CHECK(sip_dialog_match(&d, &r200));
	sip_dialog_clear(&d);
}

TEST(uac_needs_to_tag)
{
	static const char r100[] =
	    "SIP/2.0 100 Trying\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKo1\r\n"
	    "From: <sip:gw@10.0.0.1>;tag=ourtag1\r\n"
	    "To: <sip:bob@10.0.0.5>\r\n"
	    "Call-ID: cid-out-1\r\n"
	    "CSeq: 7 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg req, r;
	struct sip_dialog d;
	CHECK(parse(&req, invite_out));
	CHECK(parse(&r, r100));
	CHECK_INT(sip_dialog_uac(&d, &req, &r), -EINVAL);
}

TEST(cseq_rules)
{
	static const char tmpl[] =
	    "%s sip:gw@10.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK%u\r\n"
	    "From: <sip:alice@example.com>;tag=a73kszlfl\r\n"
	    "To: <sip:+4930123@gw.example.com>;tag=gwtag\r\n"
	    "Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.2\r\n"
	    "CSeq: %u %s\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg m, r;
	struct sip_dialog d;
	char buf[600];
	CHECK(parse(&m, invite_in));
	CHECK_INT(sip_dialog_uas(&d, &m, "gwtag"), 0);
	snprintf(buf, sizeof(buf), tmpl, "INFO", 1u, 11u, "INFO");
	CHECK(parse(&r, buf));
	CHECK(sip_dialog_match(&d, &r));
	CHECK_INT(sip_dialog_recv_cseq(&d, &r), 0);
	CHECK_INT(d.remote_cseq, 11);
	/* §12.2.2: lower than the remote CSeq: 500 */
	snprintf(buf, sizeof(buf), tmpl, "BYE", 2u, 9u, "BYE");
	CHECK(parse(&r, buf));
	CHECK_INT(sip_dialog_recv_cseq(&d, &r), -ERANGE);
	CHECK_INT(d.remote_cseq, 11);
	/* ACK keeps the INVITE's number and is not checked */
	snprintf(buf, sizeof(buf), tmpl, "ACK", 3u, 10u, "ACK");
	CHECK(parse(&r, buf));
	CHECK_INT(sip_dialog_recv_cseq(&d, &r), 0);
	CHECK_INT(d.remote_cseq, 11);
	snprintf(buf, sizeof(buf), tmpl, "BYE", 4u, 12u, "BYE");
	CHECK(parse(&r, buf));
	CHECK_INT(sip_dialog_recv_cseq(&d, &r), 0);
	CHECK_INT(d.remote_cseq, 12);
	sip_dialog_clear(&d);
}

TEST(match_tags)
{
	static const char other[] =
	    "BYE sip:gw@10.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n"
	    "From: <sip:alice@example.com>;tag=zzz\r\n"
	    "To: <sip:x@y>;tag=gwtag\r\n"
	    "Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.2\r\n"
	    "CSeq: 11 BYE\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg m, r;
	struct sip_dialog d;
	CHECK(parse(&m, invite_in));
	CHECK_INT(sip_dialog_uas(&d, &m, "gwtag"), 0);
	CHECK(parse(&r, other));
	CHECK(!sip_dialog_match(&d, &r)); /* remote tag differs */
	CHECK(!sip_dialog_match(&d, &m)); /* no To tag */
	sip_dialog_clear(&d);
}

TEST(target_refresh)
{
	static const char reinv[] =
	    "INVITE sip:gw@10.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n"
	    "From: <sip:alice@example.com>;tag=a73kszlfl\r\n"
	    "To: <sip:x@y>;tag=gwtag\r\n"
	    "Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.2\r\n"
	    "CSeq: 11 INVITE\r\n"
	    "Contact: \"A\" <sip:alice@10.0.0.3:5070>\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char noc[] =
	    "UPDATE sip:gw@10.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
	    "From: <sip:alice@example.com>;tag=a73kszlfl\r\n"
	    "To: <sip:x@y>;tag=gwtag\r\n"
	    "Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.2\r\n"
	    "CSeq: 12 UPDATE\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg m, r;
	struct sip_dialog d;
	CHECK(parse(&m, invite_in));
	CHECK_INT(sip_dialog_uas(&d, &m, "gwtag"), 0);
	CHECK(parse(&r, reinv));
	CHECK_INT(sip_dialog_refresh_target(&d, &r), 0);
	CHECK_STR(d.remote_target, "sip:alice@10.0.0.3:5070");
	CHECK(parse(&r, noc));
	CHECK_INT(sip_dialog_refresh_target(&d, &r), 0);
	CHECK_STR(d.remote_target, "sip:alice@10.0.0.3:5070");
	/* the route set never changes after creation (§12.2) */
	CHECK_INT(d.n_route, 3);
	sip_dialog_clear(&d);
}

/* Prints a BYE from d and parses it into m (buf kept by the caller). */
static int build_bye(struct sip_dialog *d, char *buf, size_t cap,
		     struct sip_msg *m, struct sip_req *r)
{
	struct sip_dialog_req dr;
	int n;
	memset(r, 0, sizeof(*r));
	if (sip_dialog_req_init(d, &dr, r))
		return -1;
	r->method = "BYE";
	r->cseq = sip_dialog_next_cseq(d);
	r->proto = SIP_PROTO_UDP;
	r->sent_by = "10.0.0.1:5060";
	r->branch = "z9hG4bKbye1";
	r->extra_hdrs = "Reason: Q.850;cause=16\r\n";
	n = sip_req_print(buf, cap, r);
	if (n < 0)
		return n;
	/* r points into dr, which goes away: keep what the test needs */
	r->route = NULL;
	return parse(m, buf) ? n : -1;
}

TEST(loose_routing_request)
{
	struct sip_msg m, b;
	struct sip_dialog d;
	struct sip_req r;
	struct sip_via v;
	struct sip_cseq cs;
	struct sip_addr a;
	struct sip_iter it = SIP_ITER_INIT;
	unsigned mf;
	char buf[2048];
	CHECK(parse(&m, invite_in));
	CHECK_INT(sip_dialog_uas(&d, &m, "gwtag"), 0);
	CHECK(build_bye(&d, buf, sizeof(buf), &b, &r) > 0);
	CHECK(b.request);
	CHECK_INT(b.method, SIP_METHOD_BYE);
	/* §12.2.1.1 loose: R-URI = remote target, Route = route set */
	CHECK_MEM(b.ruri.p, b.ruri.l, "sip:alice@10.0.0.2:5062");
	CHECK_INT(sip_msg_addr_next(&b, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:p1.example.com;lr");
	CHECK_INT(sip_msg_addr_next(&b, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:10.0.0.9;lr");
	CHECK_INT(sip_msg_addr_next(&b, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:p3.example.com;lr;x=1");
	CHECK_INT(sip_msg_addr_next(&b, SIP_HDR_ROUTE, &it, &a), -ENOENT);
	CHECK_INT(sip_msg_via(&b, &v), 0);
	CHECK_MEM(v.branch.p, v.branch.l, "z9hG4bKbye1");
	CHECK(pl_isset(v.rport));
	CHECK_MEM(v.transport.p, v.transport.l, "UDP");
	CHECK_INT(sip_msg_max_forwards(&b, &mf), 0);
	CHECK_INT(mf, 70);
	CHECK_INT(sip_msg_from(&b, &a), 0);
	CHECK_MEM(a.tag.p, a.tag.l, "gwtag");
	CHECK_MEM(a.uri.p, a.uri.l, "sip:+4930123@gw.example.com");
	CHECK_INT(sip_msg_to(&b, &a), 0);
	CHECK_MEM(a.tag.p, a.tag.l, "a73kszlfl");
	CHECK_INT(sip_msg_cseq(&b, &cs), 0);
	CHECK_INT(cs.num, 1);
	CHECK_INT(cs.method, SIP_METHOD_BYE);
	CHECK(sip_msg_hdr(&b, SIP_HDR_REASON) != NULL);
	CHECK(sip_msg_hdr(&b, SIP_HDR_CONTENT_LENGTH) != NULL);
	CHECK_INT(b.body.l, 0);
	sip_dialog_clear(&d);
}

TEST(strict_routing_request)
{
	static const char inv[] =
	    "INVITE sip:gw@10.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKs1\r\n"
	    "Record-Route: <sip:10.0.0.9:5070;maddr=10.0.0.9?h=v>\r\n"
	    "Record-Route: <sip:p2.example.com;lr>\r\n"
	    "From: <sip:alice@example.com>;tag=ft\r\n"
	    "To: <sip:gw@10.0.0.1>\r\n"
	    "Call-ID: strict-1\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:alice@10.0.0.2>\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg m, b;
	struct sip_dialog d;
	struct sip_dialog_req dr;
	struct sip_req r = {0};
	struct sip_addr a;
	struct sip_iter it = SIP_ITER_INIT;
	char buf[2048];
	CHECK(parse(&m, inv));
	CHECK_INT(sip_dialog_uas(&d, &m, "gt"), 0);
	CHECK_INT(sip_dialog_req_init(&d, &dr, &r), 0);
	/* §12.2.1.1 strict: first route into the R-URI (headers dropped),
	 * the rest then the remote target as Route */
	CHECK(r.strict_route);
	CHECK_STR(r.ruri, "sip:10.0.0.9:5070;maddr=10.0.0.9");
	CHECK_INT(r.n_route, 2);
	CHECK_STR(r.route[0], "<sip:p2.example.com;lr>");
	CHECK_STR(r.route[1], "<sip:alice@10.0.0.2>");
	r.method = "INFO";
	r.cseq = sip_dialog_next_cseq(&d);
	r.sent_by = "10.0.0.1:5060";
	r.branch = "z9hG4bKi";
	r.proto = SIP_PROTO_TCP;
	r.ctype = "application/dtmf-relay";
	r.body = "Signal=5\r\nDuration=160\r\n";
	r.body_len = strlen(r.body);
	CHECK(sip_req_print(buf, sizeof(buf), &r) > 0);
	CHECK(parse(&b, buf));
	CHECK_MEM(b.ruri.p, b.ruri.l, "sip:10.0.0.9:5070;maddr=10.0.0.9");
	CHECK_INT(sip_msg_addr_next(&b, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:p2.example.com;lr");
	CHECK_INT(sip_msg_addr_next(&b, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:alice@10.0.0.2");
	CHECK_MEM(b.body.p, b.body.l, "Signal=5\r\nDuration=160\r\n");
	CHECK(strstr(buf, "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKi;"
			  "rport\r\n") != NULL);
	CHECK(strstr(buf, "Content-Type: application/dtmf-relay\r\n") != NULL);
	sip_dialog_clear(&d);
}

TEST(next_hop)
{
	struct sip_req r = {0};
	struct sip_peer p;
	const char *routes[] = {"<sip:10.1.1.1:5070;lr;transport=tcp>"};
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.remote;
	r.ruri = "sip:bob@10.0.0.5:5080";
	CHECK_INT(sip_req_next_hop(&r, &p), 0);
	CHECK_INT(p.proto, SIP_PROTO_UDP);
	CHECK_INT(ntohs(sin->sin_port), 5080);
	CHECK_INT(ntohl(sin->sin_addr.s_addr), 0x0a000005);
	/* §8.1.2: the first Route when loose */
	r.route = routes;
	r.n_route = 1;
	CHECK_INT(sip_req_next_hop(&r, &p), 0);
	CHECK_INT(p.proto, SIP_PROTO_TCP);
	CHECK_INT(ntohs(sin->sin_port), 5070);
	CHECK_INT(ntohl(sin->sin_addr.s_addr), 0x0a010101);
	/* strict: the Request-URI */
	r.strict_route = true;
	CHECK_INT(sip_req_next_hop(&r, &p), 0);
	CHECK_INT(ntohs(sin->sin_port), 5080);
	r.ruri = "sip:bob@example.com";
	CHECK_INT(sip_req_next_hop(&r, &p), -EHOSTUNREACH);
	r.ruri = "not a uri";
	CHECK_INT(sip_req_next_hop(&r, &p), -EINVAL);
}

TEST(print_out_of_space)
{
	struct sip_req r = {0};
	char buf[64];
	r.method = "OPTIONS";
	r.ruri = "sip:10.0.0.5";
	r.sent_by = "10.0.0.1:5060";
	r.branch = "z9hG4bKx";
	r.from = "<sip:gw@10.0.0.1>";
	r.from_tag = "t";
	r.to = "<sip:10.0.0.5>";
	r.call_id = "c";
	r.cseq = 1;
	CHECK_INT(sip_req_print(buf, sizeof(buf), &r), -ENOSPC);
	r.from = NULL;
	CHECK_INT(sip_req_print(buf, sizeof(buf), &r), -EINVAL);
}

TEST(random_tokens)
{
	char a[40], b[40];
	sip_rand_token(a, sizeof(a), 32);
	sip_rand_token(b, sizeof(b), 32);
	CHECK_INT(strlen(a), 32);
	CHECK(strcmp(a, b) != 0);
	for (size_t i = 0; i < 32; i++)
		CHECK(sip_is_alnum((unsigned char)a[i]));
	/* truncated to the buffer */
	sip_rand_token(a, 5, 32);
	CHECK_INT(strlen(a), 4);
	for (int i = 0; i < 1000; i++) {
		uint32_t v = sip_rand_range(1, 3);
		CHECK(v >= 1 && v <= 3);
	}
	CHECK_INT(sip_rand_range(5, 5), 5);
}
