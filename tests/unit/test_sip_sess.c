/*
 * Tests of the SIP UA core and INVITE sessions (gw/sip/sip_ua.c,
 * sip_sess.c) on the real transaction layer in virtual time: a recording
 * io captures everything sent, and the peer's messages are fed back with
 * sip_txn_recv() as if from the network (no sockets). Covers both sides
 * of a call, CANCEL, BYE with Reason, 2xx retransmission and ACK, forks,
 * re-INVITE, INFO, OPTIONS, 481/405/501, PRACK (RFC 3262), session
 * timers (RFC 4028) and digest authentication both ways (RFC 7616).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_auth.h"
#include "sip/sip_sess.h"
#include "tests/unit/t.h"

#define MAXREC 512
#define MS     1000000ull

enum kind { K_REQ, K_RESP, K_RAW };

struct sent {
	char *buf;
	size_t len;
	enum kind kind;
	struct sip_peer to;
};

/* One test's world; reset by fx_init. */
static struct {
	struct loop *loop;
	struct sip_txn *txn;
	struct sip_ua *ua;
	struct sent s[MAXREC];
	unsigned n;
	/* call layer events */
	struct sip_sess *in;
	unsigned n_incoming, n_progress, n_established, n_closed, n_reoffer;
	unsigned n_info;
	unsigned last_progress;
	struct sip_sess_end end;
	unsigned options_code, info_code, reoffer_code;
	bool end_in_progress; /* sip_sess_end from the progress callback */
	char reoffer_body[256];
} F;

static const char SDP_A[] = "v=0\r\no=a 1 1 IN IP4 10.0.0.2\r\ns=-\r\n"
			    "c=IN IP4 10.0.0.2\r\nt=0 0\r\n"
			    "m=audio 4000 RTP/AVP 8\r\n";
static const char SDP_B[] = "v=0\r\no=gw 7 7 IN IP4 10.0.0.1\r\ns=-\r\n"
			    "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			    "m=audio 5000 RTP/AVP 8\r\n";

static void record(enum kind k, const struct sip_peer *to, const void *buf,
		   size_t len)
{
	if (F.n == MAXREC)
		return;
	F.s[F.n].buf = malloc(len + 1);
	memcpy(F.s[F.n].buf, buf, len);
	F.s[F.n].buf[len] = '\0';
	F.s[F.n].len = len;
	F.s[F.n].kind = k;
	if (to)
		F.s[F.n].to = *to;
	F.n++;
}

static int io_send(void *arg, struct sip_peer *to, const void *buf, size_t len)
{
	(void)arg;
	record(K_REQ, to, buf, len);
	return 0;
}

static int io_send_resp(void *arg, const struct sip_via *top,
			const struct sip_peer *src, const void *buf, size_t len)
{
	(void)arg;
	(void)top;
	record(K_RESP, src, buf, len);
	return 0;
}

static int ua_local(void *arg, enum sip_proto proto, int family,
		    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	(void)arg;
	(void)proto;
	if (family != AF_INET)
		return -ENOENT;
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	sin->sin_addr.s_addr = htonl(0x0a000001);
	return 0;
}

static int ua_raw(void *arg, struct sip_peer *to, const void *buf, size_t len)
{
	(void)arg;
	record(K_RAW, to, buf, len);
	return 0;
}

/* ---- call layer ---- */

static void on_progress(void *arg, struct sip_sess *s, const struct sip_msg *m)
{
	(void)arg;
	F.n_progress++;
	F.last_progress = m->status;
	if (F.end_in_progress)
		sip_sess_end(s, 0, "Reason: Q.850;cause=16\r\n");
}

static void on_established(void *arg, struct sip_sess *s,
			   const struct sip_msg *m)
{
	(void)arg;
	(void)s;
	(void)m;
	F.n_established++;
}

static unsigned on_reoffer(void *arg, struct sip_sess *s,
			   const struct sip_msg *m, char *buf, size_t cap,
			   size_t *len)
{
	(void)arg;
	(void)s;
	F.n_reoffer++;
	snprintf(F.reoffer_body, sizeof(F.reoffer_body), "%.*s", (int)m->body.l,
		 m->body.p);
	if (F.reoffer_code != 200)
		return F.reoffer_code;
	*len = strlen(SDP_B);
	if (*len > cap)
		return 500;
	memcpy(buf, SDP_B, *len);
	return 200;
}

static unsigned on_info(void *arg, struct sip_sess *s, const struct sip_msg *m)
{
	(void)arg;
	(void)s;
	(void)m;
	F.n_info++;
	return F.info_code;
}

static void on_closed(void *arg, struct sip_sess *s,
		      const struct sip_sess_end *end)
{
	(void)arg;
	(void)s;
	F.n_closed++;
	F.end = *end;
	F.end.msg = NULL;
	if (s == F.in)
		F.in = NULL;
}

static const struct sip_sess_handlers sh = {
    .progress = on_progress,
    .established = on_established,
    .reoffer = on_reoffer,
    .info = on_info,
    .closed = on_closed,
};

static void on_incoming(void *arg, struct sip_sess *s, const struct sip_msg *m,
			const struct sip_peer *src)
{
	(void)arg;
	(void)m;
	(void)src;
	F.n_incoming++;
	F.in = s;
	sip_sess_set_handlers(s, &sh, NULL);
}

static unsigned on_options(void *arg, const struct sip_msg *m,
			   const struct sip_peer *src)
{
	(void)arg;
	(void)m;
	(void)src;
	return F.options_code;
}

static const struct sip_ua_handlers uh = {
    .incoming = on_incoming,
    .options = on_options,
};

static void fx_free(void)
{
	sip_ua_free(F.ua);
	sip_txn_free(F.txn);
	loop_free(F.loop);
	for (unsigned i = 0; i < F.n; i++)
		free(F.s[i].buf);
	memset(&F, 0, sizeof(F));
}

static void fx_init(const struct sip_ua_conf *conf)
{
	static const struct sip_txn_conf tc = {0};
	static const struct sip_txn_io tio = {io_send, io_send_resp, NULL};
	static const struct sip_ua_io uio = {.local = ua_local, .send = ua_raw};
	static const struct sip_ua_conf def = {.user_agent = "gw-test"};
	if (F.loop)
		fx_free();
	memset(&F, 0, sizeof(F));
	F.options_code = 200;
	F.info_code = 200;
	F.reoffer_code = 200;
	loop_new_virtual(&F.loop, 1000 * MS);
	/* the layer's handlers get the core as their arg */
	sip_ua_new(&F.ua, F.loop, NULL, conf ? conf : &def, &uio, &uh, NULL);
	sip_txn_new(&F.txn, F.loop, &tc, &tio, &sip_ua_txn_handlers, F.ua);
	sip_ua_set_txn(F.ua, F.txn);
}

/* ---- the peer ---- */

static void adv_ms(uint64_t ms)
{
	loop_advance(F.loop, ms * MS);
}

static struct sip_peer peer(void)
{
	struct sip_peer p = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	sin->sin_addr.s_addr = htonl(0x0a000002);
	p.proto = SIP_PROTO_UDP;
	return p;
}

static void feed(const char *text)
{
	struct sip_msg m;
	struct sip_peer p = peer();
	size_t used;
	if (sip_msg_parse(&m, text, strlen(text), false, &used) != 0 &&
	    !m.hdrs_ok) {
		t_fail(__FILE__, __LINE__, "test message does not parse");
		return;
	}
	sip_txn_recv(F.txn, &m, &p);
	loop_advance(F.loop, 0);
}

/* A request from the peer; Content-Length computed. */
static void feedf(const char *body, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void feedf(const char *body, const char *fmt, ...)
{
	char head[4096], all[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	if (body && *body)
		snprintf(all, sizeof(all),
			 "%sContent-Type: application/sdp\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 head, strlen(body), body);
	else
		snprintf(all, sizeof(all), "%sContent-Length: 0\r\n\r\n", head);
	feed(all);
}

/* Index of the next sent message from *pos starting with prefix; parses
 * it into m. -1 if none. */
static int next_sent(unsigned *pos, const char *prefix, struct sip_msg *m)
{
	size_t used;
	for (unsigned i = *pos; i < F.n; i++) {
		if (strncmp(F.s[i].buf, prefix, strlen(prefix)) != 0)
			continue;
		*pos = i + 1;
		if (m &&
		    sip_msg_parse(m, F.s[i].buf, F.s[i].len, false, &used) != 0)
			return -1;
		return (int)i;
	}
	return -1;
}

static unsigned count_sent(unsigned from, const char *prefix)
{
	unsigned n = 0;
	for (unsigned i = from; i < F.n; i++)
		n += strncmp(F.s[i].buf, prefix, strlen(prefix)) == 0;
	return n;
}

static bool has_line(const char *buf, const char *line)
{
	return strstr(buf, line) != NULL;
}

/* A response of the peer to the request we sent at index i. */
static void respond_to(int i, unsigned code, const char *to_tag,
		       const char *extra, const char *body)
{
	struct sip_msg req;
	char buf[8192];
	size_t used;
	int n;
	if (i < 0 ||
	    sip_msg_parse(&req, F.s[i].buf, F.s[i].len, false, &used) != 0) {
		t_fail(__FILE__, __LINE__, "no request to answer");
		return;
	}
	n = sip_print_response(buf, sizeof(buf), &req, code, NULL, to_tag);
	if (n < 0)
		return;
	if (extra)
		n = sip_print_append(buf, sizeof(buf), (size_t)n, "%s", extra);
	if (body && *body)
		n = sip_print_append(buf, sizeof(buf), (size_t)n,
				     "Content-Type: application/sdp\r\n");
	n = sip_print_end(buf, sizeof(buf), (size_t)n, body,
			  body ? strlen(body) : 0);
	if (n > 0)
		feed(buf);
}

static void copy_pl(struct pl v, char *buf, size_t cap)
{
	pl_strcpy(v, buf, cap);
}

/* ---- incoming call helpers ---- */

#define INVITE_FMT                                                             \
	"INVITE sip:+4930123@10.0.0.1 SIP/2.0\r\n"                             \
	"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKinv%s\r\n"               \
	"Record-Route: <sip:10.0.0.9;lr>\r\n"                                  \
	"Max-Forwards: 70\r\n"                                                 \
	"From: \"Alice\" <sip:alice@10.0.0.2>;tag=ptag\r\n"                    \
	"To: <sip:+4930123@10.0.0.1>\r\n"                                      \
	"Call-ID: call-%s\r\n"                                                 \
	"CSeq: 1 INVITE\r\n"                                                   \
	"Contact: <sip:alice@10.0.0.2:5060>\r\n"                               \
	"%s"

static void invite_in(const char *id, const char *extra)
{
	feedf(SDP_A, INVITE_FMT, id, id, extra ? extra : "");
}

/* An in-dialog request from the peer (To tag = ours). */
static void dlg_req(const char *method, const char *id, const char *our_tag,
		    unsigned cseq, const char *branch, const char *extra,
		    const char *body)
{
	feedf(body,
	      "%s sip:gw@10.0.0.1:5060 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK%s\r\n"
	      "Max-Forwards: 70\r\n"
	      "From: \"Alice\" <sip:alice@10.0.0.2>;tag=ptag\r\n"
	      "To: <sip:+4930123@10.0.0.1>;tag=%s\r\n"
	      "Call-ID: call-%s\r\n"
	      "CSeq: %u %s\r\n"
	      "%s"
	      "%s",
	      method, branch, our_tag, id, cseq, method,
	      extra && strstr(extra, "Contact:")
		  ? ""
		  : "Contact: <sip:alice@10.0.0.2:5060>\r\n",
	      extra ? extra : "");
}

/* Incoming call answered and ACKed; our tag into tag. */
static bool established_in(const char *id, char *tag, size_t cap)
{
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos = 0;
	invite_in(id, NULL);
	if (!F.in || sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)))
		return false;
	if (next_sent(&pos, "SIP/2.0 200", &m) < 0 || sip_msg_to(&m, &to))
		return false;
	copy_pl(to.tag, tag, cap);
	dlg_req("ACK", id, tag, 1, "ack1", NULL, NULL);
	return F.n_established == 1;
}

/* ---- tests: incoming calls ---- */

TEST(uas_answer_2xx_retransmitted_until_ack)
{
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos = 0, base;
	char tag[64];
	int i;
	fx_init(NULL);
	invite_in("a1", NULL);
	CHECK(next_sent(&pos, "SIP/2.0 100 Trying", &m) >= 0);
	CHECK_INT(F.n_incoming, 1);
	CHECK(F.in != NULL);
	CHECK(sip_sess_incoming(F.in));
	CHECK_STR(sip_sess_call_id(F.in), "call-a1");
	CHECK_STR(sip_sess_remote_tag(F.in), "ptag");
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	CHECK_INT(sip_sess_progress(F.in, 180, NULL, NULL, 0), 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 180 Ringing", &m)) >= 0);
	CHECK_INT(sip_msg_to(&m, &to), 0);
	CHECK_MEM(to.tag.p, to.tag.l, sip_sess_local_tag(F.in));
	CHECK(has_line(F.s[i].buf, "Contact: <sip:gw@10.0.0.1:5060>\r\n"));
	copy_pl(to.tag, tag, sizeof(tag));
	CHECK_INT(sip_sess_answer(F.in, "X-Test: 1\r\n", SDP_B, strlen(SDP_B)),
		  0);
	CHECK_INT(sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)), -EALREADY);
	CHECK((i = next_sent(&pos, "SIP/2.0 200 OK", &m)) >= 0);
	CHECK_MEM(m.body.p, m.body.l, SDP_B);
	CHECK(has_line(F.s[i].buf, "X-Test: 1\r\n"));
	CHECK(has_line(F.s[i].buf, "Allow: INVITE"));
	CHECK(has_line(F.s[i].buf, "Server: gw-test\r\n"));
	CHECK(has_line(F.s[i].buf, "Record-Route: <sip:10.0.0.9;lr>\r\n"));
	/* §13.3.1.4: at 0.5, 1.5, 3.5, 7.5, 11.5 s (T1 doubling to T2) */
	base = F.n;
	adv_ms(499);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 0);
	adv_ms(1);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 1);
	adv_ms(1000);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 2);
	adv_ms(2000);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 3);
	adv_ms(4000);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 4);
	adv_ms(4000);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 5);
	CHECK_INT(F.n_established, 0);
	dlg_req("ACK", "a1", tag, 1, "ack1", NULL, NULL);
	CHECK_INT(F.n_established, 1);
	base = F.n;
	adv_ms(20000);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 0);
	CHECK_INT(F.n_closed, 0);
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	fx_free();
}

TEST(uas_no_ack_timeout_and_bye)
{
	struct sip_msg m;
	struct sip_addr a;
	struct sip_iter it = SIP_ITER_INIT;
	unsigned pos = 0;
	int i;
	fx_init(NULL);
	invite_in("a2", NULL);
	CHECK(F.in);
	CHECK_INT(sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)), 0);
	adv_ms(31999);
	CHECK_INT(F.n_closed, 0);
	adv_ms(1);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_TIMEOUT);
	CHECK_INT(F.end.status, 408);
	/* the BYE goes to the remote target through the route set */
	CHECK((i = next_sent(&pos, "BYE ", &m)) >= 0);
	CHECK_MEM(m.ruri.p, m.ruri.l, "sip:alice@10.0.0.2:5060");
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:10.0.0.9;lr");
	CHECK_INT(
	    ntohl(((struct sockaddr_in *)&F.s[i].to.remote)->sin_addr.s_addr),
	    0x0a000009);
	CHECK_INT(sip_ua_sessions(F.ua), 1); /* until the BYE is answered */
	respond_to(i, 200, NULL, NULL, NULL);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uas_cancel_before_answer)
{
	struct sip_msg m;
	unsigned pos = 0;
	int i;
	fx_init(NULL);
	invite_in("a3", NULL);
	CHECK(F.in);
	CHECK_INT(sip_sess_progress(F.in, 183, NULL, SDP_B, strlen(SDP_B)), 0);
	feedf(NULL, "CANCEL sip:+4930123@10.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKinva3\r\n"
		    "Max-Forwards: 70\r\n"
		    "From: \"Alice\" <sip:alice@10.0.0.2>;tag=ptag\r\n"
		    "To: <sip:+4930123@10.0.0.1>\r\n"
		    "Call-ID: call-a3\r\n"
		    "CSeq: 1 CANCEL\r\n"
		    "Reason: Q.850;cause=16;text=\"Normal, clearing\"\r\n");
	CHECK(next_sent(&pos, "SIP/2.0 200 OK", &m) >= 0);
	CHECK(m.status == 200);
	CHECK((i = next_sent(&pos, "SIP/2.0 487", &m)) >= 0);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_CANCEL);
	CHECK_INT(F.end.status, 487);
	CHECK_INT(F.end.q850, 16);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uas_bye_with_reason)
{
	struct sip_msg m;
	unsigned pos;
	char tag[64];
	fx_init(NULL);
	CHECK(established_in("a4", tag, sizeof(tag)));
	pos = F.n;
	dlg_req("BYE", "a4", tag, 2, "bye1",
		"Reason: SIP;cause=200, Q.850;cause=17\r\n", NULL);
	CHECK(next_sent(&pos, "SIP/2.0 200", &m) >= 0);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_BYE);
	CHECK_INT(F.end.status, 0);
	CHECK_INT(F.end.q850, 17);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	/* a request for the dialog now gets 481 */
	pos = F.n;
	dlg_req("INFO", "a4", tag, 3, "info9", NULL, NULL);
	CHECK(next_sent(&pos, "SIP/2.0 481", &m) >= 0);
	fx_free();
}

TEST(uas_our_bye)
{
	struct sip_msg m;
	unsigned pos;
	char tag[64];
	int i;
	fx_init(NULL);
	CHECK(established_in("a5", tag, sizeof(tag)));
	pos = F.n;
	CHECK_INT(sip_sess_end(F.in, 0, "Reason: Q.850;cause=16\r\n"), 0);
	CHECK((i = next_sent(&pos, "BYE sip:alice@10.0.0.2:5060 ", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Reason: Q.850;cause=16\r\n"));
	CHECK_INT(sip_reason_q850(&m), 16);
	CHECK_INT(F.n_closed, 0); /* no callback after sip_sess_end */
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	respond_to(i, 200, NULL, NULL, NULL);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	CHECK_INT(F.n_closed, 0);
	fx_free();
}

TEST(uas_reject_before_answer)
{
	struct sip_msg m;
	unsigned pos = 0;
	int i;
	fx_init(NULL);
	invite_in("a6", NULL);
	CHECK(F.in);
	CHECK_INT(sip_sess_end(F.in, 486, "Reason: Q.850;cause=17\r\n"), 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 486", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Reason: Q.850;cause=17\r\n"));
	CHECK_INT(F.n_closed, 0);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uas_end_before_ack_waits_for_it)
{
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos = 0;
	char tag[64];
	fx_init(NULL);
	invite_in("a7", NULL);
	CHECK(F.in);
	CHECK_INT(sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)), 0);
	CHECK(next_sent(&pos, "SIP/2.0 200", &m) >= 0);
	CHECK_INT(sip_msg_to(&m, &to), 0);
	copy_pl(to.tag, tag, sizeof(tag));
	CHECK_INT(sip_sess_end(F.in, 0, NULL), 0);
	/* §15: no BYE before the ACK */
	CHECK_INT(count_sent(0, "BYE "), 0);
	dlg_req("ACK", "a7", tag, 1, "ack7", NULL, NULL);
	CHECK_INT(count_sent(0, "BYE "), 1);
	CHECK_INT(F.n_established, 0);
	CHECK_INT(F.n_closed, 0);
	fx_free();
}

/* ---- tests: outgoing calls ---- */

static const struct sip_sess_out out_default = {
    .ruri = "sip:+4930123@10.0.0.5:5060",
    .from = "\"GW\" <sip:+4930999@gw.example>",
    .route = "sip:10.0.0.7:5070",
    .proto = SIP_PROTO_UDP,
    .extra_hdrs = "P-Asserted-Identity: <sip:+4930999@gw.example>\r\n",
    .sdp = SDP_B,
    .sdp_len = sizeof(SDP_B) - 1,
};

static struct sip_sess *call_out(const struct sip_sess_out *o, int *inv)
{
	struct sip_sess *s = NULL;
	unsigned pos = F.n;
	if (sip_sess_connect(F.ua, &s, o ? o : &out_default, &sh, NULL))
		return NULL;
	*inv = next_sent(&pos, "INVITE ", NULL);
	return s;
}

#define RR_2                                                                   \
	"Record-Route: <sip:10.0.0.8;lr>\r\n"                                  \
	"Record-Route: <sip:10.0.0.7:5070;lr>\r\n"

TEST(uac_call_ack_and_retransmitted_2xx)
{
	struct sip_sess *s;
	struct sip_msg m;
	struct sip_addr a;
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_cseq cs;
	unsigned pos;
	int inv, i, j;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	CHECK(inv >= 0);
	CHECK(!sip_sess_incoming(s));
	CHECK_STR(sip_sess_remote_tag(s), "");
	pos = (unsigned)inv;
	CHECK(next_sent(&pos, "INVITE sip:+4930123@10.0.0.5:5060 SIP/2.0",
			&m) >= 0);
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:10.0.0.7:5070;lr");
	CHECK_INT(ntohs(((struct sockaddr_in *)&F.s[inv].to.remote)->sin_port),
		  5070);
	CHECK(has_line(F.s[inv].buf, "P-Asserted-Identity: "));
	CHECK(has_line(F.s[inv].buf, "Supported: timer\r\n"));
	CHECK(has_line(F.s[inv].buf, "Contact: <sip:gw@10.0.0.1:5060>\r\n"));
	CHECK(has_line(F.s[inv].buf, "User-Agent: gw-test\r\n"));
	CHECK(has_line(F.s[inv].buf, "To: <sip:+4930123@10.0.0.5:5060>\r\n"));
	CHECK_MEM(m.body.p, m.body.l, SDP_B);
	respond_to(inv, 100, NULL, NULL, NULL);
	CHECK_INT(F.n_progress, 0);
	respond_to(inv, 180, "callee", NULL, NULL);
	CHECK_INT(F.n_progress, 1);
	CHECK_INT(F.last_progress, 180);
	CHECK_STR(sip_sess_remote_tag(s), "callee");
	pos = F.n;
	respond_to(inv, 200, "callee",
		   RR_2 "Contact: <sip:bob@10.0.0.5:5062>\r\n", SDP_A);
	CHECK_INT(F.n_established, 1);
	/* §13.2.2.4: ACK to the Contact through the reversed route set */
	CHECK((i = next_sent(&pos, "ACK ", &m)) >= 0);
	CHECK_INT(F.s[i].kind, K_RAW);
	CHECK_MEM(m.ruri.p, m.ruri.l, "sip:bob@10.0.0.5:5062");
	it = (struct sip_iter)SIP_ITER_INIT;
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:10.0.0.7:5070;lr");
	CHECK_INT(sip_msg_addr_next(&m, SIP_HDR_ROUTE, &it, &a), 0);
	CHECK_MEM(a.uri.p, a.uri.l, "sip:10.0.0.8;lr");
	CHECK_INT(sip_msg_cseq(&m, &cs), 0);
	CHECK_INT(cs.num, 1);
	CHECK_INT(cs.method, SIP_METHOD_ACK);
	CHECK_INT(sip_msg_to(&m, &a), 0);
	CHECK_MEM(a.tag.p, a.tag.l, "callee");
	/* the 2xx again: the same ACK again, nothing else */
	pos = F.n;
	respond_to(inv, 200, "callee",
		   RR_2 "Contact: <sip:bob@10.0.0.5:5062>\r\n", SDP_A);
	CHECK((j = next_sent(&pos, "ACK ", NULL)) >= 0);
	CHECK_STR(F.s[j].buf, F.s[i].buf);
	CHECK_INT(count_sent((unsigned)j + 1, ""), 0);
	CHECK_INT(F.n_established, 1);
	/* also after the transaction is gone (stray 2xx) */
	adv_ms(40000);
	pos = F.n;
	respond_to(inv, 200, "callee",
		   RR_2 "Contact: <sip:bob@10.0.0.5:5062>\r\n", SDP_A);
	CHECK((j = next_sent(&pos, "ACK ", NULL)) >= 0);
	CHECK_STR(F.s[j].buf, F.s[i].buf);
	CHECK_INT(count_sent(pos, "BYE "), 0);
	/* our BYE */
	pos = F.n;
	CHECK_INT(sip_sess_end(s, 0, NULL), 0);
	CHECK((i = next_sent(&pos, "BYE sip:bob@10.0.0.5:5062 ", &m)) >= 0);
	CHECK_INT(sip_msg_cseq(&m, &cs), 0);
	CHECK_INT(cs.num, 2);
	respond_to(i, 200, NULL, NULL, NULL);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uac_rejected_486)
{
	struct sip_sess *s;
	unsigned pos;
	int inv;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	pos = F.n;
	respond_to(inv, 486, "busy", "Reason: Q.850;cause=17\r\n", NULL);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_REJECTED);
	CHECK_INT(F.end.status, 486);
	CHECK_INT(F.end.q850, 17);
	/* the layer ACKs a non-2xx */
	CHECK(next_sent(&pos, "ACK ", NULL) >= 0);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uac_timeout)
{
	struct sip_sess *s;
	int inv;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	adv_ms(32000);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_TIMEOUT);
	CHECK_INT(F.end.status, 408);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uac_cancel_after_180)
{
	struct sip_sess *s;
	struct sip_msg m;
	unsigned pos;
	int inv, c;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	respond_to(inv, 180, "callee", NULL, NULL);
	pos = F.n;
	CHECK_INT(sip_sess_end(s, 0, "Reason: Q.850;cause=16\r\n"), 0);
	CHECK((c = next_sent(&pos, "CANCEL sip:+4930123@10.0.0.5:5060 ", &m)) >=
	      0);
	CHECK(has_line(F.s[c].buf, "Reason: Q.850;cause=16\r\n"));
	respond_to(c, 200, "callee", NULL, NULL);
	pos = F.n;
	respond_to(inv, 487, "callee", NULL, NULL);
	CHECK(next_sent(&pos, "ACK ", NULL) >= 0);
	CHECK_INT(F.n_closed, 0);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uac_2xx_races_cancel)
{
	struct sip_sess *s;
	unsigned pos;
	int inv, c;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	respond_to(inv, 180, "callee", NULL, NULL);
	pos = F.n;
	CHECK_INT(sip_sess_end(s, 0, NULL), 0);
	CHECK((c = next_sent(&pos, "CANCEL ", NULL)) >= 0);
	pos = F.n;
	respond_to(inv, 200, "callee", "Contact: <sip:bob@10.0.0.5:5062>\r\n",
		   SDP_A);
	CHECK(next_sent(&pos, "ACK sip:bob@10.0.0.5:5062 ", NULL) >= 0);
	CHECK(next_sent(&pos, "BYE sip:bob@10.0.0.5:5062 ", NULL) >= 0);
	CHECK_INT(F.n_closed, 0);
	CHECK_INT(F.n_established, 0);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uac_cancel_from_progress_callback)
{
	struct sip_sess *s;
	unsigned pos;
	int inv;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	F.end_in_progress = true;
	pos = F.n;
	respond_to(inv, 183, "callee", NULL, SDP_A);
	CHECK_INT(F.n_progress, 1);
	CHECK(next_sent(&pos, "CANCEL ", NULL) >= 0);
	respond_to(inv, 487, "callee", NULL, NULL);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(uac_forked_2xx_acked_and_byed)
{
	struct sip_sess *s;
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos;
	int inv, b;
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	respond_to(inv, 180, "fork1", NULL, NULL);
	respond_to(inv, 180, "fork2", NULL, NULL);
	CHECK_INT(F.n_progress, 2);
	respond_to(inv, 200, "fork1", "Contact: <sip:b1@10.0.0.5>\r\n", SDP_A);
	CHECK_INT(F.n_established, 1);
	CHECK_STR(sip_sess_remote_tag(s), "fork1");
	pos = F.n;
	respond_to(inv, 200, "fork2", "Contact: <sip:b2@10.0.0.6>\r\n", SDP_A);
	CHECK(next_sent(&pos, "ACK sip:b2@10.0.0.6 ", NULL) >= 0);
	CHECK((b = next_sent(&pos, "BYE sip:b2@10.0.0.6 ", &m)) >= 0);
	CHECK_INT(sip_msg_to(&m, &to), 0);
	CHECK_MEM(to.tag.p, to.tag.l, "fork2");
	CHECK_INT(F.n_established, 1);
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	respond_to(b, 200, NULL, NULL, NULL);
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	fx_free();
}

TEST(uac_late_offer_answer_in_ack)
{
	struct sip_sess_out o = out_default;
	struct sip_sess *s;
	struct sip_msg m;
	unsigned pos;
	int inv;
	fx_init(NULL);
	o.sdp = NULL;
	o.sdp_len = 0;
	o.route = NULL;
	CHECK((s = call_out(&o, &inv)) != NULL);
	CHECK_INT(ntohs(((struct sockaddr_in *)&F.s[inv].to.remote)->sin_port),
		  5060);
	CHECK(has_line(F.s[inv].buf, "Content-Length: 0\r\n"));
	pos = F.n;
	respond_to(inv, 200, "lo", "Contact: <sip:b1@10.0.0.5>\r\n", SDP_A);
	CHECK_INT(F.n_reoffer, 1);
	CHECK(next_sent(&pos, "ACK ", &m) >= 0);
	CHECK_MEM(m.body.p, m.body.l, SDP_B);
	fx_free();
}

TEST(uac_connect_errors)
{
	struct sip_sess_out o = out_default;
	struct sip_sess *s = NULL;
	fx_init(NULL);
	o.route = NULL;
	o.ruri = "sip:bob@example.com";
	CHECK_INT(sip_sess_connect(F.ua, &s, &o, &sh, NULL), -EHOSTUNREACH);
	CHECK(s == NULL);
	o.ruri = NULL;
	CHECK_INT(sip_sess_connect(F.ua, &s, &o, &sh, NULL), -EINVAL);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	CHECK_INT(F.n, 0);
	fx_free();
}

TEST(uac_over_tcp)
{
	struct sip_sess_out o = out_default;
	struct sip_sess *s;
	struct sip_msg m;
	unsigned pos;
	int inv, i;
	fx_init(NULL);
	o.route = NULL;
	o.proto = SIP_PROTO_TCP;
	CHECK((s = call_out(&o, &inv)) != NULL);
	CHECK_INT(F.s[inv].to.proto, SIP_PROTO_TCP);
	CHECK(has_line(F.s[inv].buf, "Via: SIP/2.0/TCP 10.0.0.1:5060;branch="));
	CHECK(has_line(F.s[inv].buf,
		       "Contact: <sip:gw@10.0.0.1:5060;transport=tcp>\r\n"));
	pos = F.n;
	respond_to(inv, 200, "t", "Contact: <sip:b@10.0.0.5:5070>\r\n", SDP_A);
	/* the Contact names no transport: the call's transport is kept */
	CHECK((i = next_sent(&pos, "ACK sip:b@10.0.0.5:5070 ", &m)) >= 0);
	CHECK_INT(F.s[i].to.proto, SIP_PROTO_TCP);
	fx_free();
}

/* ---- in-dialog requests ---- */

TEST(reinvite_reoffer_and_ack)
{
	struct sip_msg m;
	unsigned pos, base;
	char tag[64];
	int i;
	fx_init(NULL);
	CHECK(established_in("r1", tag, sizeof(tag)));
	pos = F.n;
	dlg_req("INVITE", "r1", tag, 2, "reinv1",
		"Contact: <sip:alice@10.0.0.3:5060>\r\n", SDP_A);
	CHECK_INT(F.n_reoffer, 1);
	CHECK_STR(F.reoffer_body, SDP_A);
	CHECK((i = next_sent(&pos, "SIP/2.0 200", &m)) >= 0);
	CHECK_MEM(m.body.p, m.body.l, SDP_B);
	base = F.n;
	adv_ms(500);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 1);
	dlg_req("ACK", "r1", tag, 2, "reack", NULL, NULL);
	base = F.n;
	adv_ms(5000);
	CHECK_INT(count_sent(base, "SIP/2.0 200"), 0);
	/* §12.2: the re-INVITE refreshed the remote target */
	pos = F.n;
	CHECK_INT(sip_sess_end(F.in, 0, NULL), 0);
	CHECK(next_sent(&pos, "BYE sip:alice@10.0.0.3:5060 ", NULL) >= 0);
	fx_free();
}

TEST(reinvite_rejected_by_call_layer)
{
	unsigned pos;
	char tag[64];
	fx_init(NULL);
	CHECK(established_in("r2", tag, sizeof(tag)));
	F.reoffer_code = 488;
	pos = F.n;
	dlg_req("INVITE", "r2", tag, 2, "reinv2", NULL, SDP_A);
	CHECK(next_sent(&pos, "SIP/2.0 488", NULL) >= 0);
	CHECK_INT(F.n_closed, 0);
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	fx_free();
}

TEST(update_with_sdp)
{
	struct sip_msg m;
	unsigned pos;
	char tag[64];
	fx_init(NULL);
	CHECK(established_in("u1", tag, sizeof(tag)));
	pos = F.n;
	dlg_req("UPDATE", "u1", tag, 2, "upd1", NULL, SDP_A);
	CHECK_INT(F.n_reoffer, 1);
	CHECK(next_sent(&pos, "SIP/2.0 200", &m) >= 0);
	CHECK_MEM(m.body.p, m.body.l, SDP_B);
	fx_free();
}

TEST(info_in_dialog)
{
	unsigned pos;
	char tag[64];
	fx_init(NULL);
	CHECK(established_in("i1", tag, sizeof(tag)));
	pos = F.n;
	dlg_req("INFO", "i1", tag, 2, "info1", NULL, NULL);
	CHECK_INT(F.n_info, 1);
	CHECK(next_sent(&pos, "SIP/2.0 200", NULL) >= 0);
	F.info_code = 415;
	dlg_req("INFO", "i1", tag, 3, "info2", NULL, NULL);
	CHECK_INT(F.n_info, 2);
	CHECK(next_sent(&pos, "SIP/2.0 415", NULL) >= 0);
	/* §12.2.2: lower CSeq: 500 */
	dlg_req("INFO", "i1", tag, 2, "info3", NULL, NULL);
	CHECK_INT(F.n_info, 2);
	CHECK(next_sent(&pos, "SIP/2.0 500", NULL) >= 0);
	/* OPTIONS in the dialog, and a method we do not do */
	dlg_req("OPTIONS", "i1", tag, 4, "opt1", NULL, NULL);
	CHECK(next_sent(&pos, "SIP/2.0 200", NULL) >= 0);
	dlg_req("REFER", "i1", tag, 5, "ref1", NULL, NULL);
	CHECK(next_sent(&pos, "SIP/2.0 405", NULL) >= 0);
	CHECK(has_line(F.s[F.n - 1].buf, "Allow: INVITE"));
	fx_free();
}

/* ---- outside dialogs ---- */

static void ood(const char *method, const char *to_tag, const char *branch)
{
	feedf(NULL,
	      "%s sip:10.0.0.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK%s\r\n"
	      "Max-Forwards: 70\r\n"
	      "From: <sip:probe@10.0.0.2>;tag=pr\r\n"
	      "To: <sip:10.0.0.1>%s%s\r\n"
	      "Call-ID: ood-%s\r\n"
	      "CSeq: 1 %s\r\n",
	      method, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
	      branch, method);
}

TEST(options_out_of_dialog)
{
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos = 0;
	int i;
	fx_init(NULL);
	ood("OPTIONS", NULL, "o1");
	CHECK((i = next_sent(&pos, "SIP/2.0 200", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS"));
	CHECK(has_line(F.s[i].buf, "Accept: application/sdp\r\n"));
	CHECK(has_line(F.s[i].buf, "Supported: timer\r\n"));
	CHECK_INT(sip_msg_to(&m, &to), 0);
	CHECK(pl_isset(to.tag) && to.tag.l > 0);
	F.options_code = 503;
	ood("OPTIONS", NULL, "o2");
	CHECK((i = next_sent(&pos, "SIP/2.0 503", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Allow: "));
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(requests_gateway_does_not_do)
{
	unsigned pos = 0;
	fx_init(NULL);
	ood("REGISTER", NULL, "g1");
	CHECK(next_sent(&pos, "SIP/2.0 405", NULL) >= 0);
	CHECK(has_line(F.s[F.n - 1].buf, "Allow: "));
	ood("FOO", NULL, "g2");
	CHECK(next_sent(&pos, "SIP/2.0 501", NULL) >= 0);
	ood("SUBSCRIBE", NULL, "g3");
	CHECK(next_sent(&pos, "SIP/2.0 405", NULL) >= 0);
	/* in-dialog requests for dialogs we do not have */
	ood("BYE", "nosuch", "g4");
	CHECK(next_sent(&pos, "SIP/2.0 481", NULL) >= 0);
	ood("INFO", "nosuch", "g5");
	CHECK(next_sent(&pos, "SIP/2.0 481", NULL) >= 0);
	ood("INVITE", "nosuch", "g6");
	CHECK(next_sent(&pos, "SIP/2.0 481", NULL) >= 0);
	ood("BYE", NULL, "g7");
	CHECK(next_sent(&pos, "SIP/2.0 481", NULL) >= 0);
	CHECK_INT(F.n_incoming, 0);
	fx_free();
}

TEST(invite_without_contact_400)
{
	unsigned pos = 0;
	fx_init(NULL);
	feedf(NULL, "INVITE sip:+4930123@10.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKnc\r\n"
		    "Max-Forwards: 70\r\n"
		    "From: <sip:alice@10.0.0.2>;tag=nc\r\n"
		    "To: <sip:+4930123@10.0.0.1>\r\n"
		    "Call-ID: nocontact\r\n"
		    "CSeq: 1 INVITE\r\n");
	CHECK(next_sent(&pos, "SIP/2.0 400", NULL) >= 0);
	CHECK_INT(F.n_incoming, 0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	fx_free();
}

TEST(max_sessions_503)
{
	struct sip_ua_conf c = {.max_sessions = 1};
	unsigned pos = 0;
	fx_init(&c);
	invite_in("m1", NULL);
	CHECK_INT(F.n_incoming, 1);
	invite_in("m2", NULL);
	CHECK_INT(F.n_incoming, 1);
	CHECK(next_sent(&pos, "SIP/2.0 503", NULL) >= 0);
	fx_free();
}

/* ---- RFC 3262 ---- */

TEST(prack_uas)
{
	struct sip_ua_conf c = {.prack = true};
	struct sip_msg m;
	struct sip_addr to;
	const struct sip_hdr *h;
	unsigned pos = 0, base;
	char tag[64], rack[64], rseq[16];
	int i;
	fx_init(&c);
	invite_in("p1", "Supported: 100rel\r\n");
	CHECK(F.in);
	CHECK_INT(sip_sess_progress(F.in, 183, NULL, SDP_B, strlen(SDP_B)), 0);
	CHECK_INT(sip_sess_progress(F.in, 180, NULL, NULL, 0), 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 183", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Require: 100rel\r\n"));
	CHECK((h = sip_msg_hdr(&m, SIP_HDR_RSEQ)) != NULL);
	copy_pl(h->val, rseq, sizeof(rseq));
	CHECK(atol(rseq) >= 1);
	CHECK_INT(sip_msg_to(&m, &to), 0);
	copy_pl(to.tag, tag, sizeof(tag));
	/* the 180 waits for the PRACK of the 183 */
	CHECK_INT(count_sent(0, "SIP/2.0 180"), 0);
	base = F.n;
	adv_ms(500);
	CHECK_INT(count_sent(base, "SIP/2.0 183"), 1);
	adv_ms(1000);
	CHECK_INT(count_sent(base, "SIP/2.0 183"), 2);
	/* a wrong RAck: 481 */
	pos = F.n;
	dlg_req("PRACK", "p1", tag, 2, "pr0", "RAck: 999 1 INVITE\r\n", NULL);
	CHECK(next_sent(&pos, "SIP/2.0 481", NULL) >= 0);
	snprintf(rack, sizeof(rack), "RAck: %s 1 INVITE\r\n", rseq);
	dlg_req("PRACK", "p1", tag, 3, "pr1", rack, NULL);
	CHECK(next_sent(&pos, "SIP/2.0 200", NULL) >= 0);
	/* now the 180, RSeq one higher */
	CHECK((i = next_sent(&pos, "SIP/2.0 180", &m)) >= 0);
	CHECK((h = sip_msg_hdr(&m, SIP_HDR_RSEQ)) != NULL);
	CHECK_INT(strtol(h->val.p, NULL, 10), atol(rseq) + 1);
	base = F.n;
	adv_ms(500);
	CHECK_INT(count_sent(base, "SIP/2.0 183"), 0);
	CHECK_INT(count_sent(base, "SIP/2.0 180"), 1);
	/* the answer stops the 180's retransmission */
	CHECK_INT(sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)), 0);
	base = F.n;
	dlg_req("ACK", "p1", tag, 1, "pack", NULL, NULL);
	adv_ms(10000);
	CHECK_INT(count_sent(base, "SIP/2.0 180"), 0);
	CHECK_INT(F.n_established, 1);
	fx_free();
}

TEST(prack_uas_timeout_504)
{
	struct sip_ua_conf c = {.prack = true};
	unsigned pos = 0;
	fx_init(&c);
	invite_in("p2", "Require: 100rel\r\n");
	CHECK(F.in);
	CHECK_INT(sip_sess_progress(F.in, 180, NULL, NULL, 0), 0);
	adv_ms(31999);
	CHECK_INT(F.n_closed, 0);
	adv_ms(1);
	CHECK(next_sent(&pos, "SIP/2.0 504", NULL) >= 0);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_TIMEOUT);
	fx_free();
}

TEST(require_100rel_without_prack_420)
{
	unsigned pos = 0;
	int i;
	fx_init(NULL);
	invite_in("p3", "Require: 100rel\r\n");
	CHECK_INT(F.n_incoming, 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 420", NULL)) >= 0);
	CHECK(has_line(F.s[i].buf, "Unsupported: 100rel\r\n"));
	fx_free();
}

TEST(prack_uac)
{
	struct sip_ua_conf c = {.prack = true};
	struct sip_sess *s;
	struct sip_msg m;
	unsigned pos;
	int inv, i;
	fx_init(&c);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	CHECK(has_line(F.s[inv].buf, "Supported: 100rel, timer\r\n"));
	pos = F.n;
	respond_to(inv, 183, "rel",
		   "Require: 100rel\r\nRSeq: 5\r\n"
		   "Contact: <sip:b@10.0.0.5:5070>\r\n",
		   SDP_A);
	CHECK_INT(F.n_progress, 1);
	CHECK((i = next_sent(&pos, "PRACK sip:b@10.0.0.5:5070 ", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "RAck: 5 1 INVITE\r\n"));
	respond_to(i, 200, NULL, NULL, NULL);
	/* a retransmission (same RSeq) is neither PRACKed nor reported */
	pos = F.n;
	respond_to(inv, 183, "rel",
		   "Require: 100rel\r\nRSeq: 5\r\n"
		   "Contact: <sip:b@10.0.0.5:5070>\r\n",
		   SDP_A);
	CHECK_INT(count_sent(pos, "PRACK "), 0);
	CHECK_INT(F.n_progress, 1);
	respond_to(inv, 180, "rel", "Require: 100rel\r\nRSeq: 6\r\n", NULL);
	CHECK((i = next_sent(&pos, "PRACK ", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "RAck: 6 1 INVITE\r\n"));
	CHECK_INT(F.n_progress, 2);
	fx_free();
}

/* ---- RFC 4028 ---- */

TEST(session_timer_uas_peer_refreshes)
{
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos = 0, cseq = 2;
	char tag[64], br[16];
	int i;
	fx_init(NULL);
	invite_in("s1", "Supported: timer\r\n"
			"Session-Expires: 120;refresher=uac\r\n");
	CHECK(F.in);
	CHECK_INT(sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)), 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 200", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Session-Expires: 120;refresher=uac\r\n"));
	CHECK(has_line(F.s[i].buf, "Require: timer\r\n"));
	CHECK_INT(sip_msg_to(&m, &to), 0);
	copy_pl(to.tag, tag, sizeof(tag));
	dlg_req("ACK", "s1", tag, 1, "sack", NULL, NULL);
	/* refreshes (UPDATE without SDP) keep it alive */
	for (int k = 0; k < 3; k++) {
		adv_ms(60000);
		snprintf(br, sizeof(br), "su%d", k);
		pos = F.n;
		dlg_req("UPDATE", "s1", tag, cseq++, br,
			"Supported: timer\r\n"
			"Session-Expires: 120;refresher=uac\r\n",
			NULL);
		CHECK((i = next_sent(&pos, "SIP/2.0 200", NULL)) >= 0);
		CHECK(has_line(F.s[i].buf,
			       "Session-Expires: 120;refresher=uac\r\n"));
	}
	CHECK_INT(F.n_closed, 0);
	/* §10: expires at 120 - min(32, 40) = 88 s after the last one */
	pos = F.n;
	adv_ms(87999);
	CHECK_INT(F.n_closed, 0);
	adv_ms(1);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_SESSION_TIMER);
	CHECK(next_sent(&pos, "BYE ", NULL) >= 0);
	fx_free();
}

TEST(session_timer_uas_we_refresh_with_reinvite)
{
	struct sip_ua_conf c = {.session_expires_s = 300};
	struct sip_msg m;
	struct sip_addr to;
	unsigned pos = 0;
	char tag[64];
	int i;
	fx_init(&c);
	/* the UAC supports timer but asks for nothing; we choose */
	invite_in("s2", "Supported: timer\r\n");
	CHECK(F.in);
	CHECK_INT(sip_sess_answer(F.in, NULL, SDP_B, strlen(SDP_B)), 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 200", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Session-Expires: 300;refresher=uac\r\n"));
	CHECK_INT(sip_msg_to(&m, &to), 0);
	copy_pl(to.tag, tag, sizeof(tag));
	dlg_req("ACK", "s2", tag, 1, "s2ack", NULL, NULL);
	/* a refresh with refresher=uas hands the job to us */
	pos = F.n;
	dlg_req("INVITE", "s2", tag, 2, "s2re",
		"Supported: timer\r\nSession-Expires: 300;refresher=uas\r\n",
		SDP_A);
	CHECK((i = next_sent(&pos, "SIP/2.0 200", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Session-Expires: 300;refresher=uas\r\n"));
	dlg_req("ACK", "s2", tag, 2, "s2ack2", NULL, NULL);
	pos = F.n;
	adv_ms(149999);
	CHECK_INT(count_sent(pos, "INVITE "), 0);
	adv_ms(1);
	/* no UPDATE in the peer's Allow: a re-INVITE with our last SDP */
	CHECK((i = next_sent(&pos, "INVITE sip:alice@10.0.0.2:5060 ", &m)) >=
	      0);
	CHECK(has_line(F.s[i].buf, "Session-Expires: 300;refresher=uac\r\n"));
	CHECK_MEM(m.body.p, m.body.l, SDP_B);
	/* §14.1 glare: their re-INVITE while ours is pending gets 491 */
	dlg_req("INVITE", "s2", tag, 3, "s2glare", NULL, SDP_A);
	CHECK(next_sent(&pos, "SIP/2.0 491", NULL) >= 0);
	respond_to(i, 200, NULL,
		   "Session-Expires: 300;refresher=uac\r\nRequire: timer\r\n"
		   "Contact: <sip:alice@10.0.0.2:5060>\r\n",
		   SDP_A);
	CHECK(next_sent(&pos, "ACK ", NULL) >= 0);
	adv_ms(149999);
	CHECK_INT(count_sent(pos, "INVITE "), 0);
	adv_ms(1);
	CHECK_INT(count_sent(pos, "INVITE "), 1);
	CHECK_INT(F.n_closed, 0);
	fx_free();
}

TEST(session_timer_uas_422)
{
	struct sip_msg m;
	unsigned pos = 0;
	int i;
	fx_init(NULL);
	invite_in("s3", "Supported: timer\r\nSession-Expires: 60\r\n");
	CHECK_INT(F.n_incoming, 0);
	CHECK((i = next_sent(&pos, "SIP/2.0 422", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Min-SE: 90\r\n"));
	fx_free();
}

TEST(session_timer_uac_update_refresh_and_expiry)
{
	struct sip_ua_conf c = {.session_expires_s = 90};
	struct sip_sess *s;
	unsigned pos;
	int inv, i;
	fx_init(&c);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	CHECK(has_line(F.s[inv].buf, "Session-Expires: 90;refresher=uac\r\n"));
	CHECK(has_line(F.s[inv].buf, "Min-SE: 90\r\n"));
	respond_to(inv, 200, "st",
		   "Contact: <sip:b@10.0.0.5>\r\nAllow: INVITE, ACK, UPDATE\r\n"
		   "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n",
		   SDP_A);
	CHECK_INT(F.n_established, 1);
	pos = F.n;
	adv_ms(44999);
	CHECK_INT(count_sent(pos, "UPDATE "), 0);
	adv_ms(1);
	CHECK((i = next_sent(&pos, "UPDATE sip:b@10.0.0.5 ", NULL)) >= 0);
	CHECK(has_line(F.s[i].buf, "Session-Expires: 90;refresher=uac\r\n"));
	respond_to(i, 200, NULL, "Session-Expires: 90;refresher=uac\r\n", NULL);
	adv_ms(45000);
	CHECK((i = next_sent(&pos, "UPDATE ", NULL)) >= 0);
	/* no answer to this one: the session ends before it expires */
	adv_ms(14999);
	CHECK_INT(F.n_closed, 0);
	adv_ms(1);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_SESSION_TIMER);
	CHECK(next_sent(&pos, "BYE ", NULL) >= 0);
	fx_free();
}

TEST(session_timer_uac_peer_refreshes_expiry)
{
	struct sip_ua_conf c = {.session_expires_s = 1800};
	struct sip_sess *s;
	unsigned pos;
	int inv;
	fx_init(&c);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	respond_to(inv, 200, "st2",
		   "Contact: <sip:b@10.0.0.5>\r\n"
		   "Require: timer\r\nSession-Expires: 1800;refresher=uas\r\n",
		   SDP_A);
	pos = F.n;
	/* 1800 - 32 s */
	adv_ms(1767999);
	CHECK_INT(F.n_closed, 0);
	CHECK_INT(count_sent(pos, "UPDATE "), 0);
	CHECK_INT(count_sent(pos, "INVITE "), 0);
	adv_ms(1);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_SESSION_TIMER);
	fx_free();
}

TEST(session_timer_uac_422_retry)
{
	struct sip_ua_conf c = {.session_expires_s = 90};
	struct sip_sess *s;
	struct sip_msg m;
	struct sip_cseq cs;
	unsigned pos;
	int inv, i;
	fx_init(&c);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	pos = F.n;
	respond_to(inv, 422, "x", "Min-SE: 600\r\n", NULL);
	CHECK_INT(F.n_closed, 0);
	CHECK((i = next_sent(&pos, "INVITE ", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Session-Expires: 600;refresher=uac\r\n"));
	CHECK(has_line(F.s[i].buf, "Min-SE: 600\r\n"));
	CHECK_INT(sip_msg_cseq(&m, &cs), 0);
	CHECK_INT(cs.num, 2);
	CHECK(strstr(F.s[i].buf, sip_sess_call_id(s)) != NULL);
	/* only once */
	respond_to(i, 422, "x", "Min-SE: 1200\r\n", NULL);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_REJECTED);
	CHECK_INT(F.end.status, 422);
	fx_free();
}

/* ---- helpers ---- */

TEST(reason_q850)
{
	static const char *const v[][2] = {
	    {"Reason: Q.850;cause=16\r\n", "16"},
	    {"Reason: SIP;cause=487, Q.850 ; cause=31 ;text=\"x\"\r\n", "31"},
	    {"Reason: SIP;cause=487\r\n", "0"},
	    {"Reason: Q.850;cause=0\r\n", "0"},
	    {"Reason: Q.850;cause=128\r\n", "0"},
	    {"Reason: Q.850;text=\"a\"\r\n", "0"},
	    {"Reason: q.850;cause=127\r\n", "127"},
	    {"", "0"},
	};
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		char buf[512];
		struct sip_msg m;
		size_t used;
		snprintf(buf, sizeof(buf),
			 "BYE sip:a@10.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n"
			 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\n"
			 "Call-ID: c\r\nCSeq: 2 BYE\r\n%s"
			 "Content-Length: 0\r\n\r\n",
			 v[k][0]);
		CHECK_INT(sip_msg_parse(&m, buf, strlen(buf), false, &used), 0);
		CHECK_INT(sip_reason_q850(&m), atoi(v[k][1]));
	}
}

/* ---- digest authentication (RFC 3261 §22, RFC 7616) ---- */

static int lookup_pw(void *arg, const char *user, const char *realm,
		     enum sip_auth_alg alg, char *secret, size_t cap,
		     bool *is_ha1)
{
	(void)arg;
	(void)realm;
	(void)alg;
	*is_ha1 = false;
	if (strcmp(user, "bob"))
		return -ENOENT;
	snprintf(secret, cap, "pw");
	return 0;
}

/* A verifier playing the peer that challenges our INVITE. */
static struct sip_auth_srv *peer_srv(void)
{
	struct sip_auth_srv *v = NULL;
	static const uint8_t key[16] = "0123456789abcdef";
	struct sip_auth_srv_conf c = {
	    .realm = "carrier",
	    .secret = key,
	    .secret_len = sizeof(key),
	    .lookup = lookup_pw,
	};
	sip_auth_srv_new(&v, &c);
	return v;
}

TEST(uac_digest_retry_once)
{
	static const struct sip_ua_conf conf = {.user_agent = "gw-test"};
	struct sip_sess_out o = out_default;
	struct sip_auth_srv *v = peer_srv();
	struct sip_auth_result r;
	struct sip_msg m1, m2;
	struct sip_cseq c1, c2;
	struct sip_addr f1, f2;
	struct pl id1, id2;
	struct sip_sess *s;
	char chal[1024];
	unsigned pos;
	int inv, i;
	CHECK(v != NULL);
	fx_init(&conf);
	o.auth_user = "bob";
	o.auth_password = "pw";
	CHECK((s = call_out(&o, &inv)) != NULL);
	CHECK(sip_auth_srv_challenges(v, false, false, 1000, chal,
				      sizeof(chal)) > 0);
	pos = F.n;
	respond_to(inv, 401, "proxy", chal, NULL);
	/* the 401 is ACKed by the layer and not reported */
	CHECK(next_sent(&pos, "ACK ", NULL) >= 0);
	CHECK_INT(F.n_closed, 0);
	pos = (unsigned)inv + 1;
	CHECK((i = next_sent(&pos, "INVITE ", &m2)) >= 0);
	CHECK_INT(
	    sip_msg_parse(&m1, F.s[inv].buf, F.s[inv].len, false, &(size_t){0}),
	    0);
	/* §22.2, §8.1.3.5: same Call-ID and From tag, CSeq + 1 */
	CHECK_INT(sip_msg_callid(&m1, &id1), 0);
	CHECK_INT(sip_msg_callid(&m2, &id2), 0);
	CHECK(pl_eq(id1, id2));
	CHECK_INT(sip_msg_from(&m1, &f1), 0);
	CHECK_INT(sip_msg_from(&m2, &f2), 0);
	CHECK(pl_eq(f1.tag, f2.tag));
	CHECK_INT(sip_msg_cseq(&m1, &c1), 0);
	CHECK_INT(sip_msg_cseq(&m2, &c2), 0);
	CHECK_INT(c2.num, c1.num + 1);
	CHECK(has_line(F.s[i].buf, "P-Asserted-Identity: "));
	CHECK(has_line(F.s[i].buf, "Authorization: Digest username=\"bob\""));
	CHECK(has_line(F.s[i].buf, "algorithm=SHA-256"));
	CHECK_INT(sip_auth_srv_verify(v, &m2, false, 2000, &r), SIP_AUTH_OK);
	/* a second challenge is not answered again: the call fails */
	respond_to(i, 401, "proxy", chal, NULL);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.status, 401);
	CHECK_INT(count_sent((unsigned)i + 1, "INVITE "), 0);
	adv_ms(0);
	CHECK_INT(sip_ua_sessions(F.ua), 0);
	sip_auth_srv_free(v);
	fx_free();
}

TEST(uac_digest_407_and_no_credentials)
{
	struct sip_sess_out o = out_default;
	struct sip_auth_srv *v = peer_srv();
	struct sip_auth_result r;
	struct sip_msg m;
	struct sip_sess *s;
	char chal[1024];
	unsigned pos;
	int inv, i;
	CHECK(v != NULL);
	/* without credentials the 401 ends the call */
	fx_init(NULL);
	CHECK((s = call_out(NULL, &inv)) != NULL);
	CHECK(sip_auth_srv_challenges(v, false, false, 1000, chal,
				      sizeof(chal)) > 0);
	respond_to(inv, 401, "p", chal, NULL);
	CHECK_INT(F.n_closed, 1);
	CHECK_INT(F.end.why, SIP_END_REJECTED);
	CHECK_INT(F.end.status, 401);
	CHECK_INT(count_sent((unsigned)inv + 1, "INVITE "), 0);
	/* a 407 is answered with Proxy-Authorization */
	fx_init(NULL);
	o.auth_user = "bob";
	o.auth_password = "pw";
	CHECK((s = call_out(&o, &inv)) != NULL);
	CHECK(sip_auth_srv_challenges(v, true, false, 1000, chal,
				      sizeof(chal)) > 0);
	respond_to(inv, 407, "p", chal, NULL);
	pos = (unsigned)inv + 1;
	CHECK((i = next_sent(&pos, "INVITE ", &m)) >= 0);
	CHECK(has_line(F.s[i].buf, "Proxy-Authorization: Digest "));
	CHECK_INT(sip_auth_srv_verify(v, &m, true, 1500, &r), SIP_AUTH_OK);
	/* the retried INVITE is a normal call from here on */
	respond_to(i, 200, "callee", "Contact: <sip:bob@10.0.0.5>\r\n", SDP_A);
	CHECK_INT(F.n_established, 1);
	CHECK_INT(F.n_closed, 0);
	sip_sess_end(s, 0, NULL);
	sip_auth_srv_free(v);
	fx_free();
}

#define AUTH_INVITE_FMT                                                        \
	"INVITE sip:+4930123@10.0.0.1 SIP/2.0\r\n"                             \
	"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKau%u\r\n"                \
	"Max-Forwards: 70\r\n"                                                 \
	"From: \"Alice\" <sip:alice@10.0.0.2>;tag=ptag\r\n"                    \
	"To: <sip:+4930123@10.0.0.1>\r\n"                                      \
	"Call-ID: auth-%u\r\n"                                                 \
	"CSeq: %u INVITE\r\n"                                                  \
	"Contact: <sip:alice@10.0.0.2:5060>\r\n"                               \
	"%s"

/* Feeds an INVITE (branch n, Call-ID cid, CSeq cseq) with extra lines. */
static void auth_invite(unsigned n, unsigned cid, unsigned cseq,
			const char *extra)
{
	feedf(SDP_A, AUTH_INVITE_FMT, n, cid, cseq, extra ? extra : "");
}

/* The Authorization line answering the 401 at index i with alg. */
static bool answer_401(int i, const char *user, const char *pw,
		       enum sip_auth_alg alg, char *line, size_t cap)
{
	struct sip_msg m;
	struct sip_auth_chal c = {0};
	const struct sip_hdr *h;
	char val[1024];
	bool found = false;
	if (i < 0 ||
	    sip_msg_parse(&m, F.s[i].buf, F.s[i].len, false, &(size_t){0}))
		return false;
	/* one challenge per line (RFC 3261 §25.1) */
	for (h = sip_msg_hdr(&m, SIP_HDR_WWW_AUTHENTICATE); h && !found;
	     h = sip_msg_hdr_next(&m, h))
		found = sip_auth_chal_parse(&c, h->val) == 0 && c.alg == alg;
	struct sip_auth_uac u = {.username = user,
				 .password = pw,
				 .method = "INVITE",
				 .uri = "sip:+4930123@10.0.0.1",
				 .nc = 1};
	if (!found || sip_auth_uac_answer(&c, &u, val, sizeof(val)) < 0)
		return false;
	snprintf(line, cap, "Authorization: %s\r\n", val);
	return true;
}

TEST(uas_digest_challenge_verify_replay)
{
	static const struct sip_ua_conf conf = {
	    .user_agent = "gw-test",
	    .trusted = "192.0.2.0/24, ::1/128",
	    .auth_realm = "gw-test",
	    .auth_user = "alice",
	    .auth_password = "s3cret",
	};
	char line[1200];
	unsigned pos = 0;
	int i;
	fx_init(&conf);
	/* no credentials: 401 with SHA-256 first, then MD5 (RFC 7616 §3.7) */
	auth_invite(1, 1, 1, NULL);
	CHECK((i = next_sent(&pos, "SIP/2.0 401", NULL)) >= 0);
	CHECK_INT(F.n_incoming, 0);
	CHECK(
	    has_line(F.s[i].buf, "WWW-Authenticate: Digest realm=\"gw-test\""));
	CHECK(strstr(F.s[i].buf, "algorithm=SHA-256") <
	      strstr(F.s[i].buf, "algorithm=MD5"));
	CHECK(strstr(F.s[i].buf, "algorithm=MD5") != NULL);
	CHECK(!has_line(F.s[i].buf, "stale=true"));
	/* wrong password: 403 */
	CHECK(answer_401(i, "alice", "nope", SIP_AUTH_ALG_MD5, line,
			 sizeof(line)));
	auth_invite(2, 1, 2, line);
	CHECK(next_sent(&pos, "SIP/2.0 403", NULL) >= 0);
	CHECK_INT(F.n_incoming, 0);
	/* the right one (MD5): the call comes in */
	CHECK(answer_401(i, "alice", "s3cret", SIP_AUTH_ALG_MD5, line,
			 sizeof(line)));
	auth_invite(3, 1, 3, line);
	CHECK_INT(F.n_incoming, 1);
	CHECK_INT(sip_ua_sessions(F.ua), 1);
	/* the same nonce and nc again: a replay, challenged with stale */
	pos = F.n;
	auth_invite(4, 2, 1, line);
	CHECK((i = next_sent(&pos, "SIP/2.0 401", NULL)) >= 0);
	CHECK(has_line(F.s[i].buf, "stale=true"));
	CHECK_INT(F.n_incoming, 1);
	/* SHA-256 on the fresh nonce, but after the nonce's life: stale */
	CHECK(answer_401(i, "alice", "s3cret", SIP_AUTH_ALG_SHA256, line,
			 sizeof(line)));
	adv_ms(301000);
	pos = F.n;
	auth_invite(5, 2, 2, line);
	CHECK((i = next_sent(&pos, "SIP/2.0 401", NULL)) >= 0);
	CHECK(has_line(F.s[i].buf, "stale=true"));
	CHECK(answer_401(i, "alice", "s3cret", SIP_AUTH_ALG_SHA256, line,
			 sizeof(line)));
	auth_invite(6, 2, 3, line);
	CHECK_INT(F.n_incoming, 2);
	/* OPTIONS outside a dialog is challenged too */
	pos = F.n;
	ood("OPTIONS", NULL, "auo");
	CHECK(next_sent(&pos, "SIP/2.0 401", NULL) >= 0);
	fx_free();
}

TEST(uas_digest_trusted_source_not_challenged)
{
	static const struct sip_ua_conf conf = {
	    .user_agent = "gw-test",
	    .trusted = "10.0.0.0/8",
	    .auth_user = "alice",
	    .auth_password = "s3cret",
	};
	static const struct sip_ua_conf bad = {
	    .trusted = "10.0.0.0/33",
	    .auth_user = "alice",
	};
	struct sip_ua *ua = NULL;
	unsigned pos = 0;
	fx_init(&conf);
	auth_invite(1, 1, 1, NULL);
	CHECK_INT(count_sent(0, "SIP/2.0 401"), 0);
	CHECK_INT(F.n_incoming, 1);
	ood("OPTIONS", NULL, "tro");
	CHECK(next_sent(&pos, "SIP/2.0 200", NULL) >= 0);
	/* a list that does not parse is refused at creation */
	CHECK_INT(sip_ua_new(&ua, F.loop, F.txn, &bad, NULL, NULL, NULL),
		  -EINVAL);
	CHECK(ua == NULL);
	fx_free();
}
