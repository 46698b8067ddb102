/*
 * Unit tests for gw/sdp: parsing the SDP vectors in tests/vectors/sdp and
 * printing them back, rejecting malformed descriptions with a line number,
 * and the RFC 3264 offer/answer rules (codec choice, telephone-event,
 * direction and hold, rejected streams, answer checks, versions).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp/sdp.h"
#include "tests/unit/t.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Our side: an E1 span, so A-law first. */
static struct sdp_local local_v4(void)
{
	struct sdp_local l = {
	    .af = AF_INET,
	    .addr = "192.0.2.1",
	    .rtp_port = 30000,
	    .codecs = {SDP_CODEC_PCMA, SDP_CODEC_PCMU},
	    .ncodecs = 2,
	    .te_pt = 101,
	    .ptime_ms = 20,
	    .username = "gwd",
	    .sess_id = 42,
	    .sess_version = 1,
	};
	return l;
}

static int parse_str(struct sdp_session *s, const char *text)
{
	struct sdp_err err;
	int rc = sdp_parse(s, text, strlen(text), &err);
	if (rc)
		t_fail(__FILE__, __LINE__, "parse: line %u: %s", err.line,
		       err.what);
	return rc;
}

/* Offer/answer on a text; returns sdp_answer's result. */
static int answer_str(const char *offer_text, const struct sdp_local *l,
		      struct sdp_session *answer, struct sdp_media_result *res)
{
	static struct sdp_session offer;
	if (parse_str(&offer, offer_text))
		return -EBADMSG;
	return sdp_answer(&offer, l, answer, res);
}

static bool printed_has(const struct sdp_session *s, const char *line)
{
	static char buf[65536];
	if (sdp_print(s, buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, line) != NULL;
}

/* ---- vectors ---- */

struct vec_case {
	const char *file;
	unsigned nmedia;
	int rc; /* sdp_answer with local_v4() */
	int pt; /* chosen payload type */
	int te_pt;
	enum sdp_dir dir; /* ours */
	bool on_hold;
	int warn;
	unsigned mline;
};

static const struct vec_case vec_cases[] = {
    {"baresip.sdp", 1, 0, 0, 101, SDP_DIR_SENDRECV, false, 0, 0},
    {"asterisk.sdp", 1, 0, 8, 101, SDP_DIR_SENDRECV, false, 0, 0},
    {"cisco_many.sdp", 1, 0, 0, 101, SDP_DIR_SENDRECV, false, 0, 0},
    {"hold.sdp", 1, 0, 0, 101, SDP_DIR_RECVONLY, true, 0, 0},
    {"ipv6.sdp", 1, -ENOTSUP, 0, -1, SDP_DIR_NONE, false, 301, 0},
    {"video.sdp", 2, 0, 0, 101, SDP_DIR_SENDRECV, false, 0, 0},
    {"static_nomap.sdp", 1, 0, 0, -1, SDP_DIR_SENDRECV, false, 0, 0},
    {"srtp.sdp", 1, -ENOTSUP, 0, -1, SDP_DIR_NONE, false, 302, 0},
    {"t38_reinvite.sdp", 1, -ENOTSUP, 0, -1, SDP_DIR_NONE, false, 304, 0},
};

static char *read_vector(const char *file, size_t *len)
{
	char rel[128], path[512];
	snprintf(rel, sizeof(rel), "tests/vectors/sdp/%s", file);
	return t_read_file(t_vector_path(rel, path, sizeof(path)), len);
}

TEST(vectors_parse_and_round_trip)
{
	static struct sdp_session a, b;
	static char p1[8192], p2[8192];
	for (size_t i = 0; i < NELEM(vec_cases); i++) {
		const struct vec_case *c = &vec_cases[i];
		struct sdp_err err = {0, NULL};
		size_t len;
		char *text = read_vector(c->file, &len);
		if (!text)
			t_fail(__FILE__, __LINE__, "cannot read %s", c->file);
		CHECK(text != NULL);
		int rc = sdp_parse(&a, text, len, &err);
		free(text);
		if (rc)
			t_fail(__FILE__, __LINE__, "%s: line %u: %s", c->file,
			       err.line, err.what);
		CHECK_INT(rc, 0);
		CHECK_INT(a.nmedia, c->nmedia);
		int n1 = sdp_print(&a, p1, sizeof(p1));
		CHECK(n1 > 0);
		CHECK_INT(strlen(p1), n1);
		CHECK_INT(sdp_parse(&b, p1, (size_t)n1, &err), 0);
		if (!sdp_session_eq(&a, &b))
			t_fail(__FILE__, __LINE__, "%s: reparse differs",
			       c->file);
		CHECK(sdp_session_eq(&a, &b));
		int n2 = sdp_print(&b, p2, sizeof(p2));
		CHECK_INT(n2, n1);
		CHECK_STR(p2, p1);
	}
}

TEST(vectors_answer)
{
	static struct sdp_session offer, answer, back;
	static char buf[8192];
	struct sdp_local l = local_v4();
	for (size_t i = 0; i < NELEM(vec_cases); i++) {
		const struct vec_case *c = &vec_cases[i];
		struct sdp_media_result res;
		size_t len;
		char *text = read_vector(c->file, &len);
		CHECK(text != NULL);
		int prc = sdp_parse(&offer, text, len, NULL);
		free(text);
		CHECK_INT(prc, 0);
		int rc = sdp_answer(&offer, &l, &answer, &res);
		if (rc != c->rc)
			t_fail(__FILE__, __LINE__, "%s: rc %d want %d", c->file,
			       rc, c->rc);
		CHECK_INT(rc, c->rc);
		if (rc) {
			CHECK_INT(res.warn_code, c->warn);
			CHECK(res.warn_text != NULL);
			continue;
		}
		CHECK_INT(res.pt, c->pt);
		CHECK_INT(res.te_pt, c->te_pt);
		CHECK_INT(res.dir, c->dir);
		CHECK_INT(res.on_hold, c->on_hold);
		CHECK_INT(res.mline, c->mline);
		CHECK_INT(answer.nmedia, offer.nmedia);
		/* The answer itself must be valid SDP. */
		int n = sdp_print(&answer, buf, sizeof(buf));
		CHECK(n > 0);
		CHECK_INT(sdp_parse(&back, buf, (size_t)n, NULL), 0);
		CHECK(sdp_session_eq(&answer, &back));
	}
}

TEST(vector_fields)
{
	static struct sdp_session s;
	size_t len;
	char *t = read_vector("cisco_many.sdp", &len);
	CHECK(t != NULL);
	int rc = sdp_parse(&s, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK_STR(s.origin.username, "CiscoSystemsSIP-GW-UserAgent");
	CHECK_INT(s.origin.sess_id, 4711);
	CHECK_INT(s.origin.sess_version, 1953);
	CHECK_STR(s.name, "SIP Call");
	const struct sdp_media *m = &s.media[0];
	CHECK_STR(m->media, "audio");
	CHECK_INT(m->port, 16384);
	CHECK_STR(m->proto, "RTP/AVP");
	CHECK_INT(m->nfmt, 9);
	CHECK_INT(m->fmt[0].pt, 18);
	CHECK_STR(m->fmt[0].enc, "G729");
	CHECK_STR(m->fmt[0].fmtp, "annexb=no");
	CHECK_INT(m->fmt[8].pt, 19);
	CHECK_STR(m->conn.addr, "10.20.30.1");
	CHECK_INT(m->ptime_ms, 20);
	CHECK_INT(sdp_media_dir(&s, 0), SDP_DIR_SENDRECV);

	t = read_vector("baresip.sdp", &len);
	CHECK(t != NULL);
	rc = sdp_parse(&s, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK_STR(s.media[0].fmt[0].enc, "opus");
	CHECK_INT(s.media[0].fmt[0].clock_hz, 48000);
	CHECK_INT(s.media[0].fmt[0].channels, 2);
	CHECK_INT(s.media[0].dir, SDP_DIR_SENDRECV);

	t = read_vector("ipv6.sdp", &len);
	CHECK(t != NULL);
	rc = sdp_parse(&s, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK_STR(s.conn.addrtype, "IP6");
	CHECK_STR(sdp_media_conn(&s, 0)->addr, "2001:db8:85a3::8a2e:370:7334");
	CHECK_INT(s.media[0].rtcp_port, 7079);
	CHECK_STR(s.media[0].rtcp_conn.addrtype, "IP6");
	CHECK(!s.media[0].fmt[0].has_rtpmap);

	t = read_vector("t38_reinvite.sdp", &len);
	CHECK(t != NULL);
	rc = sdp_parse(&s, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK(!s.media[0].rtp);
	CHECK_STR(s.media[0].fmt_text, "t38");
	CHECK_STR(s.media[0].proto, "udptl");

	t = read_vector("static_nomap.sdp", &len);
	CHECK(t != NULL);
	rc = sdp_parse(&s, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK_STR(s.name, "");
	CHECK_INT(s.origin.sess_id, 0);
	CHECK_INT(s.media[0].nfmt, 2);

	t = read_vector("asterisk.sdp", &len);
	CHECK(t != NULL);
	rc = sdp_parse(&s, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK_INT(s.media[0].maxptime_ms, 150);
	CHECK_STR(s.media[0].fmt[3].fmtp, "0-16");
}

/* ---- malformed input ---- */

#define HEAD "v=0\no=- 1 1 IN IP4 192.0.2.9\ns=-\nc=IN IP4 192.0.2.9\nt=0 0\n"

struct bad_case {
	const char *text;
	unsigned line; /* expected error line, 0 for structure errors */
};

static const struct bad_case bad_cases[] = {
    {"", 1},
    {"\r\n", 1},
    {"o=- 1 1 IN IP4 192.0.2.9\nv=0\n", 1},
    {"v=1\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n", 1},
    {"V=0\n", 1},
    {" v=0\n", 1},
    {"hello world\n", 1},
    {"v=0\nhello\n", 2},
    {"v=0\nx=whatever\n", 2},
    {"v=0\na = b\n", 2},
    {"v=0\n=\n", 2},
    {"v=0\ns=-\nt=0 0\n", 0},
    {"v=0\no=- 1 1 IN IP4 192.0.2.9\nt=0 0\n", 0},
    {"v=0\no=- 1 1 IN IP4 192.0.2.9\ns=-\n", 0},
    {"v=0\no=- 1 1 IN IP4 192.0.2.9\no=- 1 1 IN IP4 192.0.2.9\n", 3},
    {"v=0\nv=0\n", 2},
    {"v=0\no=- 1 IN IP4 192.0.2.9\ns=-\nt=0 0\n", 2},
    {"v=0\no=- 18446744073709551616 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n", 2},
    {"v=0\no=- 1 99999999999999999999999999 IN IP4 1.2.3.4\n", 2},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4 extra\n", 2},
    {"v=0\no=- -1 1 IN IP4 1.2.3.4\n", 2},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nm=audio 4000 RTP/AVP 0\n", 4},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0\n", 4},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=a b\n", 4},
    {HEAD "m=audio 65536 RTP/AVP 0\n", 6},
    {HEAD "m=audio 99999999999999999999999999999 RTP/AVP 0\n", 6},
    {HEAD "m=audio -1 RTP/AVP 0\n", 6},
    {HEAD "m=audio 4000/0 RTP/AVP 0\n", 6},
    {HEAD "m=audio 4000/70000 RTP/AVP 0\n", 6},
    {HEAD "m=audio 4000 RTP/AVP 128\n", 6},
    {HEAD "m=audio 4000 RTP/AVP 0 8 0\n", 6},
    {HEAD "m=audio 4000 RTP/AVP\n", 6},
    {HEAD "m=audio 4000 RTP/AVP PCMU\n", 6},
    {HEAD "m=audio 4000\n", 6},
    {HEAD "m=audio 4000 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 "
	  "17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32\n",
     6},
    {HEAD "m=audio 4000 RTP/AVP 0\nt=0 0\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\ns=-\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/abc\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/0\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000/0\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtpmap:200 PCMU/8000\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/99999999999999\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=ptime:abc\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=ptime:0\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=ptime:99999999999999999999\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=maxptime:\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtcp:70000\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=rtcp:4001 IN IP4\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=fmtp\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\nc=IN IP4\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\nc=IN IP4 224.2.1.1/abc\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\n\na=sendrecv\n", 7},
    {HEAD "m=audio 4000 RTP/AVP 0\na=x\rb\n", 7},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n", 0},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
     "c=IN IP4 1.2.3.4\nm=audio 4002 RTP/AVP 0\n",
     0},
    {"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 " /* 64-char address */
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     4},
    {"v=0\no=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 1 IN IP4 1.2.3.4\n",
     2},
    {"v=0\no=- 1 1 INTERNETX IP4 1.2.3.4\n", 2},
};

TEST(malformed_rejected_with_line)
{
	static struct sdp_session s;
	for (size_t i = 0; i < NELEM(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sdp_err err = {99, NULL};
		int rc = sdp_parse(&s, c->text, strlen(c->text), &err);
		if (rc != -EBADMSG || err.line != c->line)
			t_fail(__FILE__, __LINE__,
			       "case %zu: rc %d line %u (%s), want line %u", i,
			       rc, err.line, err.what ? err.what : "-",
			       c->line);
		CHECK_INT(rc, -EBADMSG);
		CHECK_INT(err.line, c->line);
		CHECK(err.what != NULL && err.what[0]);
	}
}

TEST(nul_byte_and_overlong_line)
{
	static struct sdp_session s;
	static char big[4096];
	struct sdp_err err;
	static const char nul[] =
	    "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=a\0b\nt=0 0\n";
	CHECK_INT(sdp_parse(&s, nul, sizeof(nul) - 1, &err), -EBADMSG);
	CHECK_INT(err.line, 3);

	int n = snprintf(big, sizeof(big), HEAD "m=audio 4000 RTP/AVP 0\na=x:");
	memset(big + n, 'y', SDP_LINE_MAX);
	strcpy(big + n + SDP_LINE_MAX, "\n");
	CHECK_INT(sdp_parse(&s, big, strlen(big), &err), -EBADMSG);
	CHECK_INT(err.line, 7);
	CHECK_STR(err.what, "line too long");
	/* One byte over the limit fails, exactly at it is fine ("a=x:"
	 * takes 4 of the bytes). */
	strcpy(big + n + SDP_LINE_MAX - 3, "\r\n");
	CHECK_INT(sdp_parse(&s, big, strlen(big), &err), -EBADMSG);
	strcpy(big + n + SDP_LINE_MAX - 4, "\r\n");
	CHECK_INT(sdp_parse(&s, big, strlen(big), &err), 0);
}

TEST(too_many_m_lines)
{
	static struct sdp_session s;
	static char text[4096];
	struct sdp_err err;
	size_t n = (size_t)snprintf(text, sizeof(text), HEAD);
	for (int i = 0; i < SDP_MEDIA_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "m=audio %d RTP/AVP 0\n", 4000 + 2 * i);
	CHECK_INT(sdp_parse(&s, text, n, &err), 0);
	CHECK_INT(s.nmedia, SDP_MEDIA_MAX);
	snprintf(text + n, sizeof(text) - n, "m=audio 5000 RTP/AVP 0\n");
	CHECK_INT(sdp_parse(&s, text, strlen(text), &err), -EBADMSG);
	CHECK_INT(err.line, 6 + SDP_MEDIA_MAX);
	CHECK_STR(err.what, "too many m= lines");
}

TEST(liberal_parsing)
{
	static struct sdp_session s;
	/* Unknown attributes, b=/i=/k= lines, trailing blank lines, 64-bit
	 * ids, multicast suffix, fractional ptime, missing final newline. */
	CHECK_INT(
	    parse_str(&s, "v=0\r\no=- 18446744073709551615 "
			  "18446744073709551615 IN IP4 1.2.3.4\r\n"
			  "s=x\r\ni=info\r\nu=http://x\r\ne=a@b\r\n"
			  "c=IN IP4 224.2.1.1/127/3\r\nb=AS:64\r\n"
			  "t=0 0\r\nr=7d 1h 0 25h\r\na=tool:foo\r\n"
			  "a=recvonly\r\nm=audio 4000/2 RTP/AVP 0 97\r\n"
			  "i=audio\r\nk=prompt\r\na=ptime:20.0\r\n"
			  "a=rtpmap:97 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/8000\r\n"
			  "a=rtpmap:55 PCMA/8000\r\na=weird\r\n"
			  "a=fmtp:97 a=b\r\n\r\n\n"),
	    0);
	CHECK(s.origin.sess_id == UINT64_MAX);
	CHECK_STR(s.conn.addr, "224.2.1.1");
	CHECK_INT(s.dir, SDP_DIR_RECVONLY);
	CHECK_INT(sdp_media_dir(&s, 0), SDP_DIR_RECVONLY);
	CHECK_INT(s.media[0].nports, 2);
	CHECK_INT(s.media[0].ptime_ms, 20);
	/* An encoding name too long for the field is dropped. */
	CHECK(!s.media[0].fmt[1].has_rtpmap);
	CHECK_STR(s.media[0].fmt[1].fmtp, "a=b");
	CHECK(printed_has(&s, "m=audio 4000/2 RTP/AVP 0 97\r\n"));
	CHECK(printed_has(&s, "c=IN IP4 224.2.1.1\r\n"));
	static char buf[2048];
	static struct sdp_session b;
	int n = sdp_print(&s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_INT(sdp_parse(&b, buf, (size_t)n, NULL), 0);
	CHECK(sdp_session_eq(&s, &b));
	CHECK_INT(parse_str(&s, "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n"
				"m=audio 0 RTP/AVP 0"),
		  0);
	CHECK_INT(s.media[0].port, 0);
}

TEST(print_needs_room)
{
	static struct sdp_session s;
	static char buf[1024];
	CHECK_INT(parse_str(&s, HEAD "m=audio 4000 RTP/AVP 0\n"), 0);
	int n = sdp_print(&s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_STR(buf, "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\n"
		       "c=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		       "m=audio 4000 RTP/AVP 0\r\n");
	CHECK_INT(sdp_print(&s, buf, (size_t)n + 1), n);
	CHECK_INT(sdp_print(&s, buf, (size_t)n), -ENOSPC);
	CHECK_INT(sdp_print(&s, buf, 10), -ENOSPC);
	CHECK_INT(sdp_print(&s, NULL, 0), -ENOSPC);
}

/* ---- answering ---- */

#define OFFER_HEAD                                                             \
	"v=0\no=- 7 7 IN IP4 198.51.100.2\ns=-\n"                              \
	"c=IN IP4 198.51.100.2\nt=0 0\n"

struct ans_case {
	const char *name;
	const char *offer; /* appended to OFFER_HEAD */
	int rc;
	int pt;
	int te_pt;
	enum sdp_dir answer_dir; /* written into the answer */
	enum sdp_dir dir;	 /* ours in res */
	bool on_hold;
	uint32_t ptime_ms;
	const char *answer_has; /* a line the printed answer must contain */
	int warn;
};

static const struct ans_case ans_cases[] = {
    {"pcmu_only_vs_pcma_first", "m=audio 5004 RTP/AVP 0\n", 0, 0, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "m=audio 30000 RTP/AVP 0\r\n", 0},
    {"g729_pcma_te96",
     "m=audio 5004 RTP/AVP 18 8 96\n"
     "a=rtpmap:18 G729/8000\na=rtpmap:8 PCMA/8000\n"
     "a=rtpmap:96 telephone-event/8000\n"
     "a=fmtp:96 0-16\n",
     0, 8, 96, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "m=audio 30000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n"
     "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n",
     0},
    {"offerer_order_wins", "m=audio 5004 RTP/AVP 0 8\n", 0, 0, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"no_common_codec",
     "m=audio 5004 RTP/AVP 18 3 96\n"
     "a=rtpmap:96 opus/48000/2\n",
     -ENOTSUP, 0, -1, 0, 0, false, 0, NULL, 305},
    {"hold_sendonly", "m=audio 5004 RTP/AVP 8\na=sendonly\n", 0, 8, -1,
     SDP_DIR_RECVONLY, SDP_DIR_RECVONLY, true, 20, "a=recvonly\r\n", 0},
    {"hold_session_level", "a=sendonly\nm=audio 5004 RTP/AVP 8\n", 0, 8, -1,
     SDP_DIR_RECVONLY, SDP_DIR_RECVONLY, true, 20, NULL, 0},
    {"media_overrides_session",
     "a=sendonly\nm=audio 5004 RTP/AVP 8\n"
     "a=sendrecv\n",
     0, 8, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"hold_null_addr", "m=audio 5004 RTP/AVP 8\nc=IN IP4 0.0.0.0\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_RECVONLY, true, 20, "a=sendrecv\r\n", 0},
    {"inactive", "m=audio 5004 RTP/AVP 8\na=inactive\n", 0, 8, -1,
     SDP_DIR_INACTIVE, SDP_DIR_INACTIVE, true, 20, "a=inactive\r\n", 0},
    {"recvonly", "m=audio 5004 RTP/AVP 8\na=recvonly\n", 0, 8, -1,
     SDP_DIR_SENDONLY, SDP_DIR_SENDONLY, false, 20, "a=sendonly\r\n", 0},
    {"savp_only",
     "m=audio 5004 RTP/SAVP 0 8\n"
     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abcd\n",
     -ENOTSUP, 0, -1, 0, 0, false, 0, NULL, 302},
    {"savpf_only", "m=audio 5004 UDP/TLS/RTP/SAVPF 0\n", -ENOTSUP, 0, -1, 0, 0,
     false, 0, NULL, 302},
    {"no_audio", "m=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n", -ENOTSUP,
     0, -1, 0, 0, false, 0, NULL, 304},
    {"audio_disabled", "m=audio 0 RTP/AVP 0\n", -ENOTSUP, 0, -1, 0, 0, false, 0,
     NULL, 304},
    {"static_without_rtpmap", "m=audio 5004 RTP/AVP 8\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, "a=rtpmap:8 PCMA/8000\r\n",
     0},
    {"dynamic_without_rtpmap_ignored", "m=audio 5004 RTP/AVP 97 0\n", 0, 0, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "m=audio 30000 RTP/AVP 0\r\n", 0},
    {"dynamic_only_without_rtpmap", "m=audio 5004 RTP/AVP 97\n", -ENOTSUP, 0,
     -1, 0, 0, false, 0, NULL, 305},
    {"dynamic_pcma", "m=audio 5004 RTP/AVP 110\na=rtpmap:110 pcma/8000\n", 0,
     110, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "a=rtpmap:110 PCMA/8000\r\n", 0},
    {"static_pt_remapped",
     "m=audio 5004 RTP/AVP 0 8\n"
     "a=rtpmap:0 G729/8000\n",
     0, 8, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"pcmu_16k_not_g711",
     "m=audio 5004 RTP/AVP 96 8\n"
     "a=rtpmap:96 PCMU/16000\n",
     0, 8, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"te_48k_ignored",
     "m=audio 5004 RTP/AVP 0 101\n"
     "a=rtpmap:101 telephone-event/48000\n",
     0, 0, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"te_subset",
     "m=audio 5004 RTP/AVP 0 100\n"
     "a=rtpmap:100 telephone-event/8000\na=fmtp:100 0-11,12\n",
     0, 0, 100, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "a=fmtp:100 0-12\r\n", 0},
    {"te_flash_only",
     "m=audio 5004 RTP/AVP 0 100\n"
     "a=rtpmap:100 telephone-event/8000\na=fmtp:100 16\n",
     0, 0, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"te_no_fmtp_means_0_15",
     "m=audio 5004 RTP/AVP 0 100\n"
     "a=rtpmap:100 telephone-event/8000\n",
     0, 0, 100, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "a=fmtp:100 0-15\r\n", 0},
    {"te_sparse",
     "m=audio 5004 RTP/AVP 0 100\n"
     "a=rtpmap:100 telephone-event/8000\n"
     "a=fmtp:100 1,3,5-7,200-255\n",
     0, 0, 100, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "a=fmtp:100 1,3,5-7\r\n", 0},
    {"ptime_30", "m=audio 5004 RTP/AVP 8\na=ptime:30\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 30, "a=ptime:30\r\n", 0},
    {"ptime_25_rounded", "m=audio 5004 RTP/AVP 8\na=ptime:25\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20, NULL, 0},
    {"first_rtpmap_counts",
     "m=audio 5004 RTP/AVP 96\n"
     "a=rtpmap:96 PCMA/8000\n"
     "a=rtpmap:96 G729/8000\n",
     0, 96, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "a=rtpmap:96 PCMA/8000\r\n", 0},
    {"ptime_5_raised", "m=audio 5004 RTP/AVP 8\na=ptime:5\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 10, NULL, 0},
    {"ptime_200_capped", "m=audio 5004 RTP/AVP 8\na=ptime:200\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 60, NULL, 0},
    {"maxptime_10", "m=audio 5004 RTP/AVP 8\na=maxptime:10\n", 0, 8, -1,
     SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 10, NULL, 0},
    {"video_then_audio",
     "m=video 5006 RTP/AVP 96\n"
     "a=rtpmap:96 H264/90000\nm=audio 5004 RTP/AVP 8\n",
     0, 8, -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "m=video 0 RTP/AVP 96\r\nm=audio 30000 RTP/AVP 8\r\n", 0},
    {"savp_then_avp", "m=audio 5002 RTP/SAVP 8\nm=audio 5004 RTP/AVP 8\n", 0, 8,
     -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "m=audio 0 RTP/SAVP 8\r\nm=audio 30000 RTP/AVP 8\r\n", 0},
    {"t38_and_audio", "m=audio 5004 RTP/AVP 8\nm=image 5008 udptl t38\n", 0, 8,
     -1, SDP_DIR_SENDRECV, SDP_DIR_SENDRECV, false, 20,
     "m=image 0 udptl t38\r\n", 0},
    {"ipv6_offer_ipv4_us", "m=audio 5004 RTP/AVP 8\nc=IN IP6 2001:db8::5\n",
     -ENOTSUP, 0, -1, 0, 0, false, 0, NULL, 301},
    {"fqdn_address", "m=audio 5004 RTP/AVP 8\nc=IN IP4 media.example\n",
     -ENOTSUP, 0, -1, 0, 0, false, 0, NULL, 301},
    {"multicast", "m=audio 5004 RTP/AVP 8\nc=IN IP4 224.2.1.1/127\n", -ENOTSUP,
     0, -1, 0, 0, false, 0, NULL, 330},
    {"atm_network", "m=audio 5004 RTP/AVP 8\nc=ATM NSAP 47.0091\n", -ENOTSUP, 0,
     -1, 0, 0, false, 0, NULL, 300},
};

TEST(answer_cases)
{
	static struct sdp_session answer, back;
	static char text[4096];
	struct sdp_local l = local_v4();
	for (size_t i = 0; i < NELEM(ans_cases); i++) {
		const struct ans_case *c = &ans_cases[i];
		struct sdp_media_result res;
		snprintf(text, sizeof(text), OFFER_HEAD "%s", c->offer);
		int rc = answer_str(text, &l, &answer, &res);
		if (rc != c->rc)
			t_fail(__FILE__, __LINE__, "%s: rc %d want %d", c->name,
			       rc, c->rc);
		CHECK_INT(rc, c->rc);
		if (rc) {
			if (res.warn_code != c->warn)
				t_fail(__FILE__, __LINE__, "%s: warn %d",
				       c->name, res.warn_code);
			CHECK_INT(res.warn_code, c->warn);
			CHECK(res.warn_text != NULL);
			continue;
		}
		if (res.pt != c->pt || res.te_pt != c->te_pt ||
		    res.dir != c->dir || res.on_hold != c->on_hold ||
		    res.ptime_ms != c->ptime_ms)
			t_fail(__FILE__, __LINE__,
			       "%s: pt %d te %d dir %d "
			       "hold %d ptime %u",
			       c->name, res.pt, res.te_pt, res.dir, res.on_hold,
			       res.ptime_ms);
		CHECK_INT(res.pt, c->pt);
		CHECK_INT(res.te_pt, c->te_pt);
		CHECK_INT(res.dir, c->dir);
		CHECK_INT(res.on_hold, c->on_hold);
		CHECK_INT(res.ptime_ms, c->ptime_ms);
		CHECK_INT(res.warn_code, 0);
		CHECK_INT(answer.media[res.mline].dir, c->answer_dir);
		CHECK_INT(answer.media[res.mline].port, 30000);
		for (unsigned m = 0; m < answer.nmedia; m++)
			CHECK(m == res.mline || answer.media[m].port == 0);
		if (c->answer_has && !printed_has(&answer, c->answer_has))
			t_fail(__FILE__, __LINE__, "%s: answer lacks %s",
			       c->name, c->answer_has);
		CHECK(!c->answer_has || printed_has(&answer, c->answer_has));
		int n = sdp_print(&answer, text, sizeof(text));
		CHECK(n > 0);
		CHECK_INT(sdp_parse(&back, text, (size_t)n, NULL), 0);
	}
}

TEST(answer_result_and_text)
{
	static struct sdp_session answer;
	static char buf[2048];
	struct sdp_local l = local_v4();
	struct sdp_media_result res;
	CHECK_INT(answer_str("v=0\no=x 5 9 IN IP4 198.51.100.2\ns=call\n"
			     "t=3 4\nm=audio 5004 RTP/AVP 0 101\n"
			     "c=IN IP4 198.51.100.3\n"
			     "a=rtpmap:101 telephone-event/8000\n"
			     "a=fmtp:101 0-15\na=rtcp:6000\na=ptime:20\n",
			     &l, &answer, &res),
		  0);
	CHECK_STR(res.addr, "198.51.100.3");
	CHECK_INT(res.af, AF_INET);
	CHECK_INT(res.port, 5004);
	CHECK_INT(res.rtcp_port, 6000);
	CHECK_STR(res.rtcp_addr, "198.51.100.3");
	CHECK_INT(res.codec, SDP_CODEC_PCMU);
	CHECK_INT(res.mline, 0);
	CHECK(sdp_print(&answer, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "v=0\r\no=gwd 42 1 IN IP4 192.0.2.1\r\ns=-\r\n"
		       "c=IN IP4 192.0.2.1\r\nt=3 4\r\n"
		       "m=audio 30000 RTP/AVP 0 101\r\n"
		       "a=rtpmap:0 PCMU/8000\r\n"
		       "a=rtpmap:101 telephone-event/8000\r\n"
		       "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n");
	/* Without an a=rtcp, RTCP is on the next port (RFC 3550 §11). */
	CHECK_INT(answer_str(OFFER_HEAD "m=audio 5004 RTP/AVP 0\n", &l, &answer,
			     &res),
		  0);
	CHECK_INT(res.rtcp_port, 5005);
	CHECK_STR(res.rtcp_addr, "198.51.100.2");
	/* RFC 3605 §2.1: a=rtcp with its own address */
	CHECK_INT(answer_str(OFFER_HEAD "m=audio 5004 RTP/AVP 0\n"
					"a=rtcp:5011 IN IP4 203.0.113.7\n",
			     &l, &answer, &res),
		  0);
	CHECK_INT(res.rtcp_port, 5011);
	CHECK_STR(res.rtcp_addr, "203.0.113.7");
	/* one of another family cannot be reached from our socket */
	CHECK_INT(answer_str(OFFER_HEAD "m=audio 5004 RTP/AVP 0\n"
					"a=rtcp:5011 IN IP6 2001:db8::7\n",
			     &l, &answer, &res),
		  0);
	CHECK_STR(res.rtcp_addr, "198.51.100.2");
}

TEST(answer_ipv6)
{
	static struct sdp_session offer, answer;
	struct sdp_local l = local_v4();
	struct sdp_media_result res;
	size_t len;
	l.af = AF_INET6;
	snprintf(l.addr, sizeof(l.addr), "2001:db8::1");
	char *t = read_vector("ipv6.sdp", &len);
	CHECK(t != NULL);
	int rc = sdp_parse(&offer, t, len, NULL);
	free(t);
	CHECK_INT(rc, 0);
	CHECK_INT(sdp_answer(&offer, &l, &answer, &res), 0);
	CHECK_INT(res.af, AF_INET6);
	CHECK_INT(res.pt, 8);
	CHECK_INT(res.te_pt, 101);
	CHECK_INT(res.rtcp_port, 7079);
	CHECK_STR(res.rtcp_addr, "2001:db8:85a3::8a2e:370:7334");
	CHECK_STR(answer.conn.addrtype, "IP6");
	CHECK(printed_has(&answer, "c=IN IP6 2001:db8::1\r\n"));
	/* IPv6 hold with "::" (RFC 3264 §8.4 for IPv4's 0.0.0.0). */
	CHECK_INT(answer_str("v=0\no=- 1 1 IN IP6 ::1\ns=-\nc=IN IP6 ::\n"
			     "t=0 0\nm=audio 5000 RTP/AVP 0\n",
			     &l, &answer, &res),
		  0);
	CHECK(res.on_hold);
	CHECK_INT(res.dir, SDP_DIR_RECVONLY);
}

TEST(answer_respects_local)
{
	static struct sdp_session answer;
	struct sdp_media_result res;
	struct sdp_local l = local_v4();
	const char *offer = OFFER_HEAD "m=audio 5004 RTP/AVP 0 8 101\n"
				       "a=rtpmap:101 telephone-event/8000\n";
	/* A T1 span offering only µ-law... */
	l.codecs[0] = SDP_CODEC_PCMU;
	l.ncodecs = 1;
	CHECK_INT(answer_str(offer, &l, &answer, &res), 0);
	CHECK_INT(res.pt, 0);
	/* ...one that accepts only A-law skips the offered PCMU. */
	l.codecs[0] = SDP_CODEC_PCMA;
	CHECK_INT(answer_str(offer, &l, &answer, &res), 0);
	CHECK_INT(res.pt, 8);
	CHECK_INT(res.codec, SDP_CODEC_PCMA);
	/* No DTMF configured: telephone-event not answered. */
	l.te_pt = -1;
	CHECK_INT(answer_str(offer, &l, &answer, &res), 0);
	CHECK_INT(res.te_pt, -1);
	CHECK_INT(answer.media[0].nfmt, 1);
	/* We hold: our answer to sendrecv is sendonly. */
	l = local_v4();
	l.dir = SDP_DIR_SENDONLY;
	CHECK_INT(answer_str(offer, &l, &answer, &res), 0);
	CHECK_INT(answer.media[0].dir, SDP_DIR_SENDONLY);
	CHECK_INT(res.dir, SDP_DIR_SENDONLY);
	/* Both hold: inactive. */
	CHECK_INT(answer_str(OFFER_HEAD "m=audio 5004 RTP/AVP 0\na=sendonly\n",
			     &l, &answer, &res),
		  0);
	CHECK_INT(answer.media[0].dir, SDP_DIR_INACTIVE);
	/* Bad local configs. */
	static const struct {
		int af;
		const char *addr;
		unsigned ncodecs;
		int te_pt;
		uint32_t ptime_ms;
	} bad[] = {
	    {AF_UNIX, "192.0.2.1", 2, 101, 20},
	    {AF_INET, "2001:db8::1", 2, 101, 20},
	    {AF_INET, "192.0.2.1", 0, 101, 20},
	    {AF_INET, "192.0.2.1", 3, 101, 20},
	    {AF_INET, "192.0.2.1", 2, 8, 20},
	    {AF_INET, "192.0.2.1", 2, 128, 20},
	    {AF_INET, "192.0.2.1", 2, 101, 0},
	    {AF_INET, "192.0.2.1", 2, 101, 500},
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		l = local_v4();
		l.af = bad[i].af;
		snprintf(l.addr, sizeof(l.addr), "%s", bad[i].addr);
		l.ncodecs = bad[i].ncodecs;
		l.te_pt = bad[i].te_pt;
		l.ptime_ms = bad[i].ptime_ms;
		CHECK_INT(answer_str(offer, &l, &answer, &res), -EINVAL);
		CHECK_INT(sdp_offer(&l, &answer), -EINVAL);
	}
}

/* ---- our offer and the answer to it ---- */

TEST(offer_text)
{
	static struct sdp_session offer;
	static char buf[2048];
	struct sdp_local l = local_v4();
	CHECK_INT(sdp_offer(&l, &offer), 0);
	CHECK(sdp_print(&offer, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "v=0\r\no=gwd 42 1 IN IP4 192.0.2.1\r\ns=-\r\n"
		       "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		       "m=audio 30000 RTP/AVP 8 0 101\r\n"
		       "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
		       "a=rtpmap:101 telephone-event/8000\r\n"
		       "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n");
}

struct pa_case {
	const char *name;
	const char *answer; /* full text */
	int rc;
	int pt;
	int te_pt;
	enum sdp_dir dir;
	bool on_hold;
	uint32_t ptime_ms;
};

#define ANS_HEAD                                                               \
	"v=0\no=peer 1 1 IN IP4 203.0.113.9\ns=-\n"                            \
	"c=IN IP4 203.0.113.9\nt=0 0\n"

static const struct pa_case pa_cases[] = {
    {"pcmu_te",
     ANS_HEAD "m=audio 5000 RTP/AVP 0 101\n"
	      "a=rtpmap:101 telephone-event/8000\n",
     0, 0, 101, SDP_DIR_SENDRECV, false, 20},
    {"pcma_ptime30", ANS_HEAD "m=audio 5000 RTP/AVP 8\na=ptime:30\n", 0, 8, -1,
     SDP_DIR_SENDRECV, false, 30},
    {"skips_unknown_first", ANS_HEAD "m=audio 5000 RTP/AVP 18 8\n", 0, 8, -1,
     SDP_DIR_SENDRECV, false, 20},
    {"remote_recvonly", ANS_HEAD "m=audio 5000 RTP/AVP 8\na=recvonly\n", 0, 8,
     -1, SDP_DIR_SENDONLY, false, 20},
    {"remote_sendonly", ANS_HEAD "m=audio 5000 RTP/AVP 8\na=sendonly\n", 0, 8,
     -1, SDP_DIR_RECVONLY, true, 20},
    {"remote_null_addr",
     "v=0\no=p 1 1 IN IP4 0.0.0.0\ns=-\n"
     "c=IN IP4 0.0.0.0\nt=0 0\n"
     "m=audio 5000 RTP/AVP 8\n",
     0, 8, -1, SDP_DIR_RECVONLY, true, 20},
    {"te_wrong_encoding",
     ANS_HEAD "m=audio 5000 RTP/AVP 8 101\n"
	      "a=rtpmap:101 foo/8000\n",
     0, 8, -1, SDP_DIR_SENDRECV, false, 20},
    {"rejected", ANS_HEAD "m=audio 0 RTP/AVP 8\n", -ENOTSUP, 0, -1, 0, false,
     0},
    {"codec_not_offered", ANS_HEAD "m=audio 5000 RTP/AVP 18\n", -EPROTO, 0, -1,
     0, false, 0},
    {"only_te", ANS_HEAD "m=audio 5000 RTP/AVP 101\n", -EPROTO, 0, -1, 0, false,
     0},
    {"pt_remapped",
     ANS_HEAD "m=audio 5000 RTP/AVP 8\n"
	      "a=rtpmap:8 PCMU/8000\n",
     -EPROTO, 0, -1, 0, false, 0},
    {"two_m_lines",
     ANS_HEAD "m=audio 5000 RTP/AVP 8\n"
	      "m=video 0 RTP/AVP 96\n",
     -EPROTO, 0, -1, 0, false, 0},
    {"no_m_line", ANS_HEAD, -EPROTO, 0, -1, 0, false, 0},
    {"media_type", ANS_HEAD "m=video 5000 RTP/AVP 8\n", -EPROTO, 0, -1, 0,
     false, 0},
    {"proto", ANS_HEAD "m=audio 5000 RTP/SAVP 8\n", -EPROTO, 0, -1, 0, false,
     0},
    {"family",
     "v=0\no=p 1 1 IN IP6 ::1\ns=-\nc=IN IP6 2001:db8::9\n"
     "t=0 0\nm=audio 5000 RTP/AVP 8\n",
     -EPROTO, 0, -1, 0, false, 0},
};

TEST(process_answer_cases)
{
	static struct sdp_session offer, answer;
	struct sdp_local l = local_v4();
	CHECK_INT(sdp_offer(&l, &offer), 0);
	for (size_t i = 0; i < NELEM(pa_cases); i++) {
		const struct pa_case *c = &pa_cases[i];
		struct sdp_media_result res;
		CHECK_INT(parse_str(&answer, c->answer), 0);
		int rc = sdp_process_answer(&offer, &answer, &res);
		if (rc != c->rc)
			t_fail(__FILE__, __LINE__, "%s: rc %d want %d", c->name,
			       rc, c->rc);
		CHECK_INT(rc, c->rc);
		if (rc)
			continue;
		if (res.pt != c->pt || res.te_pt != c->te_pt ||
		    res.dir != c->dir || res.on_hold != c->on_hold ||
		    res.ptime_ms != c->ptime_ms)
			t_fail(__FILE__, __LINE__,
			       "%s: pt %d te %d dir %d "
			       "hold %d ptime %u",
			       c->name, res.pt, res.te_pt, res.dir, res.on_hold,
			       res.ptime_ms);
		CHECK_INT(res.pt, c->pt);
		CHECK_INT(res.te_pt, c->te_pt);
		CHECK_INT(res.dir, c->dir);
		CHECK_INT(res.on_hold, c->on_hold);
		CHECK_INT(res.ptime_ms, c->ptime_ms);
		CHECK_INT(res.port, 5000);
		CHECK_INT(res.rtcp_port, 5001);
	}
	/* An offer with no audio line of ours is the caller's bug. */
	static struct sdp_session none;
	struct sdp_media_result res;
	CHECK_INT(parse_str(&none, ANS_HEAD "m=audio 0 RTP/AVP 0\n"), 0);
	CHECK_INT(sdp_process_answer(&none, &none, &res), -EINVAL);
}

TEST(our_offer_answered_by_our_answerer)
{
	static struct sdp_session offer, answer;
	struct sdp_local a = local_v4(), b = local_v4();
	struct sdp_media_result ra, rb;
	b.codecs[0] = SDP_CODEC_PCMU;
	b.codecs[1] = SDP_CODEC_PCMA;
	b.rtp_port = 40000;
	b.te_pt = 120;
	snprintf(b.addr, sizeof(b.addr), "192.0.2.2");
	CHECK_INT(sdp_offer(&a, &offer), 0);
	CHECK_INT(sdp_answer(&offer, &b, &answer, &rb), 0);
	CHECK_INT(rb.pt, 8); /* the offerer's order wins */
	CHECK_INT(rb.te_pt, 101);
	CHECK_INT(sdp_process_answer(&offer, &answer, &ra), 0);
	CHECK_INT(ra.pt, 8);
	CHECK_INT(ra.te_pt, 101);
	CHECK_STR(ra.addr, "192.0.2.2");
	CHECK_INT(ra.port, 40000);
	CHECK_INT(ra.dir, SDP_DIR_SENDRECV);
	CHECK_STR(rb.addr, "192.0.2.1");
	CHECK_INT(rb.port, 30000);
}

/* ---- versions and re-offers (RFC 3264 §8) ---- */

TEST(offer_version_changes_only_with_content)
{
	static struct sdp_session o1, o2, o3, o4;
	struct sdp_local l = local_v4();
	CHECK_INT(sdp_offer(&l, &o1), 0);
	CHECK_INT(o1.origin.sess_version, 1);
	l.last = &o1;
	l.sess_version = 77; /* only used for the first SDP */
	CHECK_INT(sdp_offer(&l, &o2), 0);
	CHECK_INT(o2.origin.sess_version, 1);
	CHECK(sdp_session_eq(&o1, &o2));
	l.dir = SDP_DIR_SENDONLY; /* hold */
	CHECK_INT(sdp_offer(&l, &o3), 0);
	CHECK_INT(o3.origin.sess_version, 2);
	CHECK_INT(o3.media[0].dir, SDP_DIR_SENDONLY);
	CHECK_INT(o3.origin.sess_id, 42);
	l.last = &o3;
	l.dir = SDP_DIR_SENDRECV; /* resume, new port */
	l.rtp_port = 30002;
	CHECK_INT(sdp_offer(&l, &o4), 0);
	CHECK_INT(o4.origin.sess_version, 3);
	CHECK_INT(o4.media[0].port, 30002);
}

TEST(answer_version_changes_only_with_content)
{
	static struct sdp_session a1, a2, a3;
	struct sdp_local l = local_v4();
	struct sdp_media_result res;
	const char *offer = OFFER_HEAD "m=audio 5004 RTP/AVP 8\n";
	CHECK_INT(answer_str(offer, &l, &a1, &res), 0);
	CHECK_INT(a1.origin.sess_version, 1);
	l.last = &a1;
	/* A session refresh re-INVITE: same answer, same version. */
	CHECK_INT(answer_str(offer, &l, &a2, &res), 0);
	CHECK_INT(a2.origin.sess_version, 1);
	/* Held: our answer changes to recvonly. */
	CHECK_INT(answer_str(OFFER_HEAD "m=audio 5004 RTP/AVP 8\na=sendonly\n",
			     &l, &a3, &res),
		  0);
	CHECK_INT(a3.origin.sess_version, 2);
}

TEST(reoffer_keeps_m_lines)
{
	static struct sdp_session answer, offer;
	struct sdp_local l = local_v4();
	struct sdp_media_result res;
	/* We answered audio+video, then re-offer (e.g. to hold). */
	CHECK_INT(answer_str(OFFER_HEAD "m=video 5006 RTP/AVP 96\n"
					"a=rtpmap:96 H264/90000\n"
					"m=audio 5004 RTP/AVP 0\n",
			     &l, &answer, &res),
		  0);
	l.last = &answer;
	l.dir = SDP_DIR_SENDONLY;
	CHECK_INT(sdp_offer(&l, &offer), 0);
	CHECK_INT(offer.nmedia, 2);
	CHECK_STR(offer.media[0].media, "video");
	CHECK_INT(offer.media[0].port, 0);
	CHECK_STR(offer.media[1].media, "audio");
	CHECK_INT(offer.media[1].port, 30000);
	CHECK_INT(offer.media[1].dir, SDP_DIR_SENDONLY);
	CHECK_INT(offer.origin.sess_version, 2);
	/* Last SDP had no audio line: ours is appended. */
	static struct sdp_session last;
	CHECK_INT(parse_str(&last, ANS_HEAD "m=image 0 udptl t38\n"), 0);
	l.last = &last;
	CHECK_INT(sdp_offer(&l, &offer), 0);
	CHECK_INT(offer.nmedia, 2);
	CHECK_INT(offer.media[0].port, 0);
	CHECK_STR(offer.media[0].fmt_text, "t38");
	CHECK_STR(offer.media[1].media, "audio");
	/* ...unless all SDP_MEDIA_MAX lines are taken. */
	static char text[1024];
	size_t n = (size_t)snprintf(text, sizeof(text), ANS_HEAD);
	for (int i = 0; i < SDP_MEDIA_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "m=image 0 udptl t38\n");
	CHECK_INT(parse_str(&last, text), 0);
	CHECK_INT(sdp_offer(&l, &offer), -ENOSPC);
}

struct change_case {
	const char *name;
	const char *next; /* full text compared with CHANGE_BASE */
	enum sdp_change want;
};

#define CHANGE_BASE_O "v=0\no=peer 10 5 IN IP4 203.0.113.9\ns=-\n"
#define CHANGE_BASE_V "v=0\no=peer 10 6 IN IP4 203.0.113.9\ns=-\n"
#define CHANGE_REST   "c=IN IP4 203.0.113.9\nt=0 0\nm=audio 5000 RTP/AVP 8 0\n"

static const struct change_case change_cases[] = {
    {"refresh", CHANGE_BASE_O CHANGE_REST, SDP_CHANGE_NONE},
    {"refresh_crlf",
     "v=0\r\no=peer 10 5 IN IP4 203.0.113.9\r\ns=-\r\n"
     "c=IN IP4 203.0.113.9\r\nt=0 0\r\n"
     "m=audio 5000 RTP/AVP 8 0\r\na=unknown\r\n",
     SDP_CHANGE_NONE},
    {"version_only", CHANGE_BASE_V CHANGE_REST, SDP_CHANGE_VERSION},
    {"version_name", "v=0\no=peer 10 6 IN IP4 203.0.113.9\ns=new\n" CHANGE_REST,
     SDP_CHANGE_VERSION},
    {"explicit_sendrecv", CHANGE_BASE_V CHANGE_REST "a=sendrecv\n",
     SDP_CHANGE_VERSION},
    {"same_version_changed",
     CHANGE_BASE_O "c=IN IP4 203.0.113.10\nt=0 0\n"
		   "m=audio 5000 RTP/AVP 8 0\n",
     SDP_CHANGE_MEDIA},
    {"port",
     CHANGE_BASE_V "c=IN IP4 203.0.113.9\nt=0 0\n"
		   "m=audio 5002 RTP/AVP 8 0\n",
     SDP_CHANGE_MEDIA},
    {"address",
     CHANGE_BASE_V "c=IN IP4 203.0.113.10\nt=0 0\n"
		   "m=audio 5000 RTP/AVP 8 0\n",
     SDP_CHANGE_MEDIA},
    {"codec",
     CHANGE_BASE_V "c=IN IP4 203.0.113.9\nt=0 0\n"
		   "m=audio 5000 RTP/AVP 0 8\n",
     SDP_CHANGE_MEDIA},
    {"hold", CHANGE_BASE_V CHANGE_REST "a=sendonly\n", SDP_CHANGE_MEDIA},
    {"new_origin", "v=0\no=other 99 1 IN IP4 203.0.113.9\ns=-\n" CHANGE_REST,
     SDP_CHANGE_MEDIA},
    {"added_line", CHANGE_BASE_V CHANGE_REST "m=video 0 RTP/AVP 96\n",
     SDP_CHANGE_MEDIA},
};

TEST(reoffer_change_kind)
{
	static struct sdp_session prev, next;
	CHECK_INT(parse_str(&prev, CHANGE_BASE_O CHANGE_REST), 0);
	for (size_t i = 0; i < NELEM(change_cases); i++) {
		const struct change_case *c = &change_cases[i];
		CHECK_INT(parse_str(&next, c->next), 0);
		enum sdp_change got = sdp_reoffer_change(&prev, &next);
		if (got != c->want)
			t_fail(__FILE__, __LINE__, "%s: %d want %d", c->name,
			       got, c->want);
		CHECK_INT(got, c->want);
	}
}

TEST(codec_names)
{
	CHECK_INT(sdp_codec_pt(SDP_CODEC_PCMU), 0);
	CHECK_INT(sdp_codec_pt(SDP_CODEC_PCMA), 8);
	CHECK_STR(sdp_codec_name(SDP_CODEC_PCMU), "PCMU");
	CHECK_STR(sdp_codec_name(SDP_CODEC_PCMA), "PCMA");
	CHECK_STR(sdp_dir_name(SDP_DIR_INACTIVE), "inactive");
	CHECK_STR(sdp_dir_name(SDP_DIR_NONE), "");
}
