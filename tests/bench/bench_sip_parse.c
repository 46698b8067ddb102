/*
 * Benchmark of the SIP parser on a typical INVITE (two Vias,
 * Record-Route, Contact, Allow, Supported, SDP body; about 900 bytes):
 * framing + start line + header index, then that plus the headers a UAS
 * reads (top Via, From tag, To, Call-ID, CSeq, Contact, Content-Length),
 * and the full sip_check. Reference measured in the same run: a plain
 * memchr line splitter over the same buffer, the floor any parser pays.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sip/sip_msg.h"

static const char invite_head[] =
    "INVITE sip:+493012345678@gw1.carrier.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---"
    "8a2b3c4d5e6f7a8b;rport\r\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;received=198.51.100.7;"
    "branch=z9hG4bK776asdhds\r\n"
    "Record-Route: <sip:192.0.2.10;lr;ftag=as5f2a3b1c>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"Alice Example\" <sip:+4969111222@carrier.example.net;"
    "user=phone>;tag=as5f2a3b1c\r\n"
    "To: <sip:+493012345678@gw1.carrier.example.net;user=phone>\r\n"
    "Call-ID: 3c26700a5b2e-b3m2k1x0q9z8@198.51.100.7\r\n"
    "CSeq: 102 INVITE\r\n"
    "Contact: <sip:+4969111222@198.51.100.7:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, "
    "PRACK, UPDATE\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Content-Type: application/sdp\r\n";

static const char sdp[] = "v=0\r\n"
			  "o=- 1234567890 1234567890 IN IP4 198.51.100.7\r\n"
			  "s=-\r\n"
			  "c=IN IP4 198.51.100.7\r\n"
			  "t=0 0\r\n"
			  "m=audio 31000 RTP/AVP 8 0 101\r\n"
			  "a=rtpmap:8 PCMA/8000\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n"
			  "a=rtpmap:101 telephone-event/8000\r\n"
			  "a=fmtp:101 0-15\r\n"
			  "a=ptime:20\r\n";

static char invite[2048];
static size_t invite_len;

static volatile size_t sink;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The floor: find every line end with memchr, as any parser must. */
static size_t split_lines(const char *buf, size_t len)
{
	size_t n = 0;
	const char *p = buf, *e = buf + len;
	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

static int parse_only(const char *buf, size_t len)
{
	struct sip_msg m;
	size_t used;
	int r = sip_msg_parse(&m, buf, len, false, &used);
	sink += m.n_hdr;
	return r;
}

/* What a UAS reads before it can even look up the transaction. */
static int parse_uas(const char *buf, size_t len)
{
	struct sip_msg m;
	struct sip_via v;
	struct sip_addr from, to, contact;
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_cseq cs;
	struct pl id;
	size_t used, clen;
	if (sip_msg_parse(&m, buf, len, false, &used) || sip_msg_via(&m, &v) ||
	    sip_msg_from(&m, &from) || sip_msg_to(&m, &to) ||
	    sip_msg_callid(&m, &id) || sip_msg_cseq(&m, &cs) ||
	    sip_msg_addr_next(&m, SIP_HDR_CONTACT, &it, &contact) ||
	    sip_msg_content_length(&m, &clen))
		return -EBADMSG;
	sink += v.branch.l + from.tag.l + to.uri.l + id.l + cs.num +
		contact.uri.l + clen;
	return 0;
}

static int parse_check(const char *buf, size_t len)
{
	static const char *const sup[] = {"replaces", "timer", "100rel", NULL};
	static const char *const types[] = {"application/sdp", NULL};
	static const struct sip_check_conf conf = {
	    .supported = sup, .accept = types, .produce = types};
	struct sip_msg m;
	struct sip_check_result r;
	size_t used;
	if (sip_msg_parse(&m, buf, len, false, &used))
		return -EBADMSG;
	return sip_check(&m, &conf, &r);
}

static int floor_fn(const char *buf, size_t len)
{
	sink += split_lines(buf, len);
	return 0;
}

/* Runs fn for about `secs` seconds; returns ns per call. */
static double measure(int (*fn)(const char *, size_t), double secs)
{
	const size_t len = invite_len;
	unsigned long n = 0, batch = 1000;
	double t0 = now_s(), t;
	do {
		for (unsigned long i = 0; i < batch; i++)
			if (fn(invite, len) != 0) {
				fprintf(stderr, "bench message rejected\n");
				return -1;
			}
		n += batch;
		t = now_s();
	} while (t - t0 < secs);
	return (t - t0) * 1e9 / (double)n;
}

int main(void)
{
	const double secs = 1.5;
	invite_len = (size_t)snprintf(invite, sizeof(invite),
				      "%sContent-Length: %zu\r\n\r\n%s",
				      invite_head, sizeof(sdp) - 1, sdp);
	printf("message: %zu-byte INVITE, %zu lines, datagram mode, 1 core\n",
	       invite_len, split_lines(invite, invite_len));
	measure(parse_uas, 0.2); /* warm up */
	double ref = measure(floor_fn, secs);
	double frame = measure(parse_only, secs);
	double uas = measure(parse_uas, secs);
	double check = measure(parse_check, secs);
	if (ref < 0 || frame < 0 || uas < 0 || check < 0)
		return 1;
	printf("%-40s %8.0f ns %12.0f msg/s\n",
	       "reference: memchr line splitter", ref, 1e9 / ref);
	printf("%-40s %8.0f ns %12.0f msg/s  %5.1fx ref\n",
	       "frame + start line + header index", frame, 1e9 / frame,
	       frame / ref);
	printf("%-40s %8.0f ns %12.0f msg/s  %5.1fx ref\n",
	       "  + UAS headers (Via,From,To,...)", uas, 1e9 / uas, uas / ref);
	printf("%-40s %8.0f ns %12.0f msg/s  %5.1fx ref\n",
	       "  + full sip_check (all headers)", check, 1e9 / check,
	       check / ref);
	printf("UAS path target 1,000,000 msg/s: %s\n",
	       1e9 / uas >= 1e6 ? "met" : "NOT met");
	return 0;
}
