/*
 * Unit tests of the SIP transaction layer (RFC 3261 §17, RFC 6026) in
 * virtual time: every timer path of the four machines, retransmission
 * absorption, the ACK of a non-2xx final, CANCEL on both sides, merged
 * requests, answers the layer gives itself, received/rport, stray
 * responses and transport failures. A recording io captures every
 * message the layer sends, with the time and the peer, and can fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_txn.h"
#include "t.h"

#define T0_NS	1000000000ull
#define MAX_REC 256

struct rec {
	bool response; /* via send_response, else via send */
	struct sip_peer peer;
	char *buf;
	size_t len;
	uint64_t t_ms;
};

struct tu_req {
	struct sip_stx *st;
	enum sip_method method;
	uint64_t t_ms;
};

struct tu_resp {
	struct sip_ctx *ct;
	unsigned status;
	int err;
	uint64_t t_ms;
};

struct tu_ev {
	struct sip_stx *st;
	enum sip_stx_event ev;
	uint64_t t_ms;
};

static struct env {
	bool active;
	struct loop *loop;
	struct sip_txn *t;
	struct rec rec[MAX_REC];
	unsigned nrec;
	int fail_after; /* sends that succeed before failures; -1: never */
	struct tu_req req[64];
	unsigned nreq;
	struct tu_resp resp[64];
	unsigned nresp;
	struct tu_ev ev[64];
	unsigned nev;
	unsigned ncancel;
	struct sip_stx *cancelled;
	unsigned nstray;
	unsigned stray_status;
	unsigned auto_code; /* request callback answers with this */
	bool in_layer;	    /* a TU-called layer function is running */
	bool reentered;	    /* a callback came while in_layer */
} E;

static uint64_t now_ms(void)
{
	return (loop_now_ns(E.loop) - T0_NS) / 1000000u;
}

static void advance_ms(uint64_t ms)
{
	loop_advance(E.loop, ms * 1000000ull);
}

static void note_reentry(void)
{
	if (E.in_layer)
		E.reentered = true;
}

static int record(bool response, const struct sip_peer *p, const void *buf,
		  size_t len)
{
	if (E.fail_after == 0)
		return -ECONNREFUSED;
	if (E.fail_after > 0)
		E.fail_after--;
	if (E.nrec >= MAX_REC)
		return -ENOBUFS;
	struct rec *r = &E.rec[E.nrec++];
	r->response = response;
	r->peer = *p;
	r->buf = malloc(len + 1);
	memcpy(r->buf, buf, len);
	r->buf[len] = '\0';
	r->len = len;
	r->t_ms = now_ms();
	return 0;
}

static int io_send(void *arg, struct sip_peer *to, const void *buf, size_t len)
{
	(void)arg;
	return record(false, to, buf, len);
}

static int io_send_response(void *arg, const struct sip_via *top,
			    const struct sip_peer *src, const void *buf,
			    size_t len)
{
	(void)arg;
	(void)top;
	return record(true, src, buf, len);
}

static void stx_event(void *user, struct sip_stx *st, enum sip_stx_event ev)
{
	(void)user;
	note_reentry();
	E.ev[E.nev++] = (struct tu_ev){st, ev, now_ms()};
}

static void on_request(void *arg, struct sip_stx *st, const struct sip_msg *m,
		       const struct sip_peer *src)
{
	(void)arg;
	(void)src;
	note_reentry();
	E.req[E.nreq++] = (struct tu_req){st, m->method, now_ms()};
	if (st) {
		sip_stx_set_user(st, stx_event, NULL);
		if (E.auto_code)
			sip_stx_respond(st, E.auto_code, NULL, "uas-tag-1",
					NULL, NULL, NULL, 0);
	}
}

static void on_cancel(void *arg, struct sip_stx *invite,
		      const struct sip_msg *cancel)
{
	(void)arg;
	(void)cancel;
	note_reentry();
	E.ncancel++;
	E.cancelled = invite;
}

static void on_stray(void *arg, const struct sip_msg *m,
		     const struct sip_peer *src)
{
	(void)arg;
	(void)src;
	note_reentry();
	E.nstray++;
	E.stray_status = m->status;
}

static void on_response(void *arg, struct sip_ctx *ct, const struct sip_msg *m,
			int err)
{
	(void)arg;
	note_reentry();
	E.resp[E.nresp++] =
	    (struct tu_resp){ct, m ? m->status : 0, err, now_ms()};
}

static void env_done(void)
{
	if (!E.active)
		return;
	sip_txn_free(E.t);
	loop_free(E.loop);
	for (unsigned i = 0; i < E.nrec; i++)
		free(E.rec[i].buf);
	memset(&E, 0, sizeof(E));
}

static bool env_init(const struct sip_txn_conf *conf)
{
	static const struct sip_txn_io io = {io_send, io_send_response, NULL};
	static const struct sip_txn_handlers h = {on_request, on_cancel,
						  on_stray};
	env_done();
	E.active = true;
	E.fail_after = -1;
	if (loop_new_virtual(&E.loop, T0_NS) != 0)
		return false;
	return sip_txn_new(&E.t, E.loop, conf, &io, &h, NULL) == 0;
}

static struct sip_peer peer(enum sip_proto proto, const char *ip, unsigned port)
{
	struct sip_peer p;
	memset(&p, 0, sizeof(p));
	p.proto = proto;
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return p;
}

static unsigned port_of(const struct sip_peer *p)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&p->remote;
	return ntohs(sin->sin_port);
}

static struct sip_peer udp_src(void)
{
	return peer(SIP_PROTO_UDP, "192.0.2.33", 5070);
}

/* Parses a datagram and feeds it; the buffer is wiped afterwards so a
 * transaction that kept a view into it would be caught. */
static int feed_p(const char *text, const struct sip_peer *src)
{
	size_t len = strlen(text), used;
	char *buf = malloc(len + 1);
	struct sip_msg *m = malloc(sizeof(*m));
	memcpy(buf, text, len + 1);
	int r = sip_msg_parse(m, buf, len, false, &used);
	sip_txn_recv(E.t, m, src);
	memset(buf, 'x', len);
	free(buf);
	free(m);
	return r;
}

static int feed(const char *text)
{
	struct sip_peer p = udp_src();
	return feed_p(text, &p);
}

/* ---- requests a peer sends us ---- */

struct rq {
	const char *method;	 /* INVITE */
	const char *via;	 /* whole top Via value; NULL: default */
	const char *branch;	 /* default z9hG4bK776asdhds */
	const char *to_tag;	 /* NULL: none */
	const char *from_tag;	 /* NULL: 1928301774 */
	const char *cseq_method; /* NULL: method */
	unsigned cseq;		 /* 0: 314159 */
	const char *omit;	 /* header name to leave out */
};

static const char *mkreq(const struct rq *q)
{
	static char buf[2048];
	char via[256], to[128], from[128], cseq[64];
	const char *m = q->method ? q->method : "INVITE";
	if (q->via)
		snprintf(via, sizeof(via), "Via: %s\r\n", q->via);
	else
		snprintf(via, sizeof(via),
			 "Via: SIP/2.0/UDP pc33.example.com;branch=%s\r\n",
			 q->branch ? q->branch : "z9hG4bK776asdhds");
	snprintf(to, sizeof(to), "To: Bob <sip:bob@gw.example.net>%s%s\r\n",
		 q->to_tag ? ";tag=" : "", q->to_tag ? q->to_tag : "");
	snprintf(from, sizeof(from),
		 "From: Alice <sip:alice@example.com>;tag=%s\r\n",
		 q->from_tag ? q->from_tag : "1928301774");
	snprintf(cseq, sizeof(cseq), "CSeq: %u %s\r\n",
		 q->cseq ? q->cseq : 314159u,
		 q->cseq_method ? q->cseq_method : m);
	const char *omit = q->omit ? q->omit : "-";
	snprintf(buf, sizeof(buf),
		 "%s sip:bob@gw.example.net SIP/2.0\r\n%s"
		 "Via: SIP/2.0/UDP bigbox3.site3.example.com;"
		 "branch=z9hG4bK77ef4c2312983.1\r\n"
		 "Max-Forwards: 70\r\n%s%s%s%s"
		 "Contact: <sip:alice@pc33.example.com>\r\n"
		 "Content-Length: 0\r\n\r\n",
		 m, strcmp(omit, "Via") ? via : "",
		 strcmp(omit, "To") ? to : "", strcmp(omit, "From") ? from : "",
		 strcmp(omit, "Call-ID")
		     ? "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		     : "",
		 strcmp(omit, "CSeq") ? cseq : "");
	return buf;
}

static const char *invite(void)
{
	return mkreq(&(struct rq){0});
}

/* ---- requests we send ---- */

static const char cli_invite_fmt[] =
    "INVITE sip:+493012345@pstn.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/%s 198.51.100.1:5060;branch=%s;rport\r\n"
    "Route: <sip:proxy1.example.net;lr>\r\n"
    "Route: <sip:proxy2.example.net;lr>\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"GW\" <sip:+4969111@gw.example.net>;tag=gw-8812\r\n"
    "To: <sip:+493012345@pstn.example.net>\r\n"
    "Call-ID: cli-77a1@198.51.100.1\r\n"
    "CSeq: 4711 %s\r\n"
    "Contact: <sip:+4969111@198.51.100.1:5060>\r\n"
    "Content-Length: 0\r\n\r\n";

static char cli_req[2048];

/* Sends `method` (INVITE form) with a fresh branch over proto. */
static int cli_send(const char *method, enum sip_proto proto,
		    struct sip_ctx **ct)
{
	char br[64], first[1100];
	struct sip_peer to = peer(proto, "203.0.113.5", 5060);
	sip_txn_branch(E.t, br, sizeof(br));
	snprintf(first, sizeof(first), cli_invite_fmt,
		 proto == SIP_PROTO_UDP ? "UDP" : "TCP", br, method);
	/* the request line carries the method too */
	if (strcmp(method, "INVITE") != 0) {
		snprintf(cli_req, sizeof(cli_req), "%s%s", method,
			 first + strlen("INVITE"));
	} else {
		snprintf(cli_req, sizeof(cli_req), "%s", first);
	}
	E.in_layer = true;
	int r = sip_ctx_send(E.t, ct, &to, cli_req, strlen(cli_req),
			     on_response, NULL);
	E.in_layer = false;
	return r;
}

/* Feeds a response to request text req (a buffer we sent). */
static void respond_to(const char *req, unsigned code, const char *tag)
{
	struct sip_msg m;
	size_t used;
	char out[2048];
	if (sip_msg_parse(&m, req, strlen(req), false, &used) != 0)
		return;
	int n = sip_print_response(out, sizeof(out), &m, code, NULL, tag);
	if (n < 0)
		return;
	sip_print_end(out, sizeof(out), (size_t)n, NULL, 0);
	feed(out);
}

/* Whether text begins with prefix. */
static bool starts(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Whether text contains line (a full header line, CRLF included). */
static bool has(const char *text, const char *line)
{
	return strstr(text, line) != NULL;
}

static unsigned count_prefix(const char *prefix, bool response)
{
	unsigned n = 0;
	for (unsigned i = 0; i < E.nrec; i++)
		if (E.rec[i].response == response &&
		    strncmp(E.rec[i].buf, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* ==== client INVITE ==== */

TEST(cli_invite_udp_timer_a_then_b)
{
	struct sip_ctx *ct = NULL;
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	CHECK(ct != NULL);
	CHECK_INT(sip_txn_count(E.t), 1);
	advance_ms(31999);
	CHECK_INT(E.nresp, 0);
	CHECK_INT(E.nrec, 7);
	for (unsigned i = 0; i < 7; i++) {
		CHECK_INT(E.rec[i].t_ms, at[i]);
		CHECK_INT(E.rec[i].len, strlen(cli_req));
		CHECK(memcmp(E.rec[i].buf, cli_req, E.rec[i].len) == 0);
	}
	advance_ms(1);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].err, -ETIMEDOUT);
	CHECK_INT(E.resp[0].status, 0);
	CHECK_INT(E.resp[0].t_ms, 32000);
	advance_ms(100000);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.nrec, 7);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(cli_invite_tcp_no_retransmit_timer_b)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_TCP, &ct), 0);
	advance_ms(31999);
	CHECK_INT(E.nrec, 1);
	CHECK_INT(E.nresp, 0);
	advance_ms(1);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].err, -ETIMEDOUT);
	CHECK_INT(E.rec[0].peer.proto, SIP_PROTO_TCP);
	env_done();
}

TEST(cli_invite_1xx_stops_timer_a_and_b)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	advance_ms(600);
	CHECK_INT(E.nrec, 2);
	respond_to(cli_req, 100, NULL);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].status, 100);
	CHECK(E.resp[0].ct == ct);
	advance_ms(60000);
	CHECK_INT(E.nrec, 2);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(sip_txn_count(E.t), 1);
	respond_to(cli_req, 180, "pstn-1");
	CHECK_INT(E.nresp, 2);
	CHECK_INT(E.resp[1].status, 180);
	env_done();
}

TEST(cli_invite_non2xx_acked_and_timer_d)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	respond_to(cli_req, 180, "pstn-1");
	respond_to(cli_req, 486, "pstn-1");
	CHECK_INT(E.nresp, 2);
	CHECK_INT(E.resp[1].status, 486);
	CHECK_INT(E.nrec, 2);
	const char *ack = E.rec[1].buf;
	CHECK(!E.rec[1].response);
	CHECK(starts(ack, "ACK sip:+493012345@pstn.example.net SIP/2.0\r\n"));
	/* §17.1.1.3: one Via equal to the request's top Via */
	char via[200];
	const char *b = strstr(cli_req, "Via: ");
	snprintf(via, sizeof(via), "%.*s", (int)(strchr(b, '\n') - b + 1), b);
	CHECK(has(ack, via));
	CHECK(strstr(ack, "Via: ") == strstr(ack, via));
	CHECK(!strstr(strstr(ack, via) + 1, "Via: "));
	CHECK(has(ack, "Route: <sip:proxy1.example.net;lr>\r\n"
		       "Route: <sip:proxy2.example.net;lr>\r\n"));
	CHECK(has(ack, "To: <sip:+493012345@pstn.example.net>;tag=pstn-1\r\n"));
	CHECK(has(ack, "From: \"GW\" <sip:+4969111@gw.example.net>;"
		       "tag=gw-8812\r\n"));
	CHECK(has(ack, "Call-ID: cli-77a1@198.51.100.1\r\n"));
	CHECK(has(ack, "CSeq: 4711 ACK\r\n"));
	CHECK(has(ack, "Content-Length: 0\r\n\r\n"));
	struct sip_msg am;
	size_t used;
	CHECK_INT(sip_msg_parse(&am, ack, strlen(ack), false, &used), 0);
	CHECK_INT(am.method, SIP_METHOD_ACK);
	/* retransmitted final: ACK again, TU not told */
	advance_ms(1000);
	respond_to(cli_req, 486, "pstn-1");
	CHECK_INT(E.nrec, 3);
	CHECK_STR(E.rec[2].buf, E.rec[1].buf);
	CHECK_INT(E.nresp, 2);
	/* Timer D: 32 s after the first final */
	advance_ms(30999);
	CHECK_INT(sip_txn_count(E.t), 1);
	advance_ms(1);
	CHECK_INT(sip_txn_count(E.t), 0);
	respond_to(cli_req, 486, "pstn-1");
	CHECK_INT(E.nstray, 1);
	CHECK_INT(E.nrec, 3);
	env_done();
}

TEST(cli_invite_non2xx_tcp_timer_d_zero)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_TCP, &ct), 0);
	respond_to(cli_req, 503, "x");
	CHECK_INT(E.nrec, 2);
	CHECK(starts(E.rec[1].buf, "ACK "));
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(cli_invite_2xx_accepted_timer_m)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	respond_to(cli_req, 200, "pstn-9");
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].status, 200);
	CHECK_INT(E.nrec, 1); /* the TU ACKs a 2xx, not the layer */
	advance_ms(4000);
	CHECK_INT(E.nrec, 1); /* no more Timer A */
	respond_to(cli_req, 200, "pstn-9");
	CHECK_INT(E.nresp, 2);
	CHECK_INT(E.resp[1].status, 200);
	CHECK(E.resp[1].ct == ct);
	respond_to(cli_req, 180, "pstn-9"); /* late 1xx: dropped */
	CHECK_INT(E.nresp, 2);
	CHECK_INT(sip_ctx_cancel(ct, NULL), -EALREADY);
	advance_ms(32000 - 4000 - 1);
	CHECK_INT(sip_txn_count(E.t), 1);
	advance_ms(1);
	CHECK_INT(sip_txn_count(E.t), 0);
	respond_to(cli_req, 200, "pstn-9");
	CHECK_INT(E.nresp, 2);
	CHECK_INT(E.nstray, 1);
	CHECK_INT(E.stray_status, 200);
	sip_ctx_abandon(ct); /* frees the ended transaction */
	advance_ms(0);
	env_done();
}

/* ==== client non-INVITE ==== */

TEST(cli_nict_timer_e_capped_then_f)
{
	struct sip_ctx *ct;
	static const uint64_t at[] = {0,     500,   1500,  3500,  7500, 11500,
				      15500, 19500, 23500, 27500, 31500};
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("OPTIONS", SIP_PROTO_UDP, &ct), 0);
	CHECK(starts(cli_req, "OPTIONS sip:"));
	advance_ms(31999);
	CHECK_INT(E.nrec, 11);
	for (unsigned i = 0; i < 11; i++)
		CHECK_INT(E.rec[i].t_ms, at[i]);
	CHECK_INT(E.nresp, 0);
	advance_ms(1);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].err, -ETIMEDOUT);
	advance_ms(60000);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(cli_nict_provisional_then_e_at_t2_and_k)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("BYE", SIP_PROTO_UDP, &ct), 0);
	advance_ms(200);
	respond_to(cli_req, 100, NULL);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].status, 100);
	advance_ms(300); /* E fires at T1 as armed, then T2 each time */
	CHECK_INT(E.nrec, 2);
	CHECK_INT(E.rec[1].t_ms, 500);
	advance_ms(8000);
	CHECK_INT(E.nrec, 4);
	CHECK_INT(E.rec[2].t_ms, 4500);
	CHECK_INT(E.rec[3].t_ms, 8500);
	respond_to(cli_req, 200, "b1");
	CHECK_INT(E.nresp, 2);
	CHECK_INT(E.resp[1].status, 200);
	respond_to(cli_req, 200, "b1"); /* absorbed in Completed */
	CHECK_INT(E.nresp, 2);
	advance_ms(4999); /* Timer K = T4 */
	CHECK_INT(sip_txn_count(E.t), 1);
	CHECK_INT(E.nrec, 4);
	advance_ms(1);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(cli_nict_tcp_no_retransmit_k_zero)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("OPTIONS", SIP_PROTO_TCP, &ct), 0);
	advance_ms(20000);
	CHECK_INT(E.nrec, 1);
	respond_to(cli_req, 200, "o");
	CHECK_INT(E.nresp, 1);
	CHECK_INT(sip_txn_count(E.t), 0);
	advance_ms(0);
	CHECK_INT(E.nresp, 1);
	env_done();
}

TEST(cli_transport_error_reported_async)
{
	struct sip_ctx *ct = NULL;
	CHECK(env_init(NULL));
	E.fail_after = 0;
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	CHECK(ct != NULL);
	CHECK(!E.reentered);
	CHECK_INT(E.nresp, 0);
	advance_ms(0);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].err, -EIO);
	CHECK(E.resp[0].ct == ct);
	advance_ms(60000);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(cli_failed_connection_ends_its_transactions_with_eio)
{
	struct sip_ctx *a = NULL, *b = NULL;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_TCP, &a), 0);
	CHECK_INT(cli_send("OPTIONS", SIP_PROTO_UDP, &b), 0);
	/* another address over TCP: nothing of ours */
	struct sip_peer other = peer(SIP_PROTO_TCP, "203.0.113.9", 5060);
	sip_txn_tp_failed(E.t, &other);
	advance_ms(0);
	CHECK_INT(E.nresp, 0);
	/* our TCP destination failed: the INVITE ends at once (§8.1.3.1),
	 * reported after the call; the UDP OPTIONS is untouched */
	struct sip_peer dst = peer(SIP_PROTO_TCP, "203.0.113.5", 5060);
	sip_txn_tp_failed(E.t, &dst);
	CHECK_INT(E.nresp, 0);
	advance_ms(0);
	CHECK_INT(E.nresp, 1);
	CHECK(E.resp[0].ct == a);
	CHECK_INT(E.resp[0].err, -EIO);
	CHECK_INT((int)sip_txn_count(E.t), 1);
	(void)b;
	env_done();
}

TEST(cli_retransmission_failure_is_eio)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	E.fail_after = 1;
	CHECK_INT(cli_send("OPTIONS", SIP_PROTO_UDP, &ct), 0);
	advance_ms(499);
	CHECK_INT(E.nresp, 0);
	advance_ms(1);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].err, -EIO);
	CHECK_INT(E.resp[0].t_ms, 500);
	env_done();
}

TEST(cli_send_rejects_bad_requests)
{
	struct sip_peer to = peer(SIP_PROTO_UDP, "203.0.113.5", 5060);
	static const char no_magic[] =
	    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=abc\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n"
	    "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	static const char ack[] =
	    "ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKab1\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\n"
	    "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
	static const char bad_cseq[] =
	    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx1\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n"
	    "CSeq: 1 INFO\r\nContent-Length: 0\r\n\r\n";
	struct sip_ctx *ct = NULL;
	CHECK(env_init(NULL));
	CHECK_INT(sip_ctx_send(E.t, &ct, &to, no_magic, strlen(no_magic),
			       on_response, NULL),
		  -EINVAL);
	CHECK_INT(
	    sip_ctx_send(E.t, &ct, &to, ack, strlen(ack), on_response, NULL),
	    -EINVAL);
	CHECK_INT(sip_ctx_send(E.t, &ct, &to, bad_cseq, strlen(bad_cseq),
			       on_response, NULL),
		  -EINVAL);
	CHECK(ct == NULL);
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	CHECK_INT(sip_ctx_send(E.t, NULL, &to, cli_req, strlen(cli_req),
			       on_response, NULL),
		  -EEXIST);
	CHECK_INT(E.nrec, 1);
	CHECK_INT(sip_txn_count(E.t), 1);
	CHECK(strncmp(sip_ctx_msg(ct)->buf, cli_req, strlen(cli_req)) == 0);
	CHECK_INT(sip_ctx_peer(ct)->proto, SIP_PROTO_UDP);
	env_done();
}

TEST(cli_stray_response_to_tu)
{
	CHECK(env_init(NULL));
	feed("SIP/2.0 200 OK\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKnothing\r\n"
	     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	     "Call-ID: zz\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(E.nstray, 1);
	CHECK_INT(E.stray_status, 200);
	CHECK_INT(E.nrec, 0);
	env_done();
}

TEST(cli_response_matches_branch_and_method)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	/* same branch, CSeq method of another transaction: no match */
	char other[sizeof(cli_req)];
	snprintf(other, sizeof(other), "%s", cli_req);
	char *cs = strstr(other, "CSeq: 4711 INVITE");
	memcpy(cs, "CSeq: 4711 UPDATE", 17);
	respond_to(other, 200, "t");
	CHECK_INT(E.nstray, 1);
	CHECK_INT(E.nresp, 0);
	respond_to(cli_req, 200, "t");
	CHECK_INT(E.nresp, 1);
	env_done();
}

TEST(branch_has_cookie_and_22_random_chars)
{
	char a[64], b[64], tiny[8];
	CHECK(env_init(NULL));
	sip_txn_branch(E.t, a, sizeof(a));
	CHECK_INT(strlen(a), 29);
	CHECK(starts(a, "z9hG4bK"));
	for (int i = 0; i < 2000; i++) {
		sip_txn_branch(E.t, b, sizeof(b));
		CHECK(strcmp(a, b) != 0);
		for (int j = 7; j < 29; j++)
			CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				     "opqrstuvwxyz0123456789-.",
				     b[j]) != NULL);
	}
	CHECK_STR(sip_txn_branch(E.t, tiny, sizeof(tiny)), "");
	CHECK_INT(sip_txn_t1_ms(E.t), 500);
	CHECK_INT(sip_txn_t2_ms(E.t), 4000);
	env_done();
}

/* ==== client CANCEL (§9.1) ==== */

TEST(cli_cancel_waits_for_provisional)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	CHECK_INT(sip_ctx_cancel(ct, "Reason: Q.850;cause=16\r\n"), 0);
	CHECK_INT(sip_ctx_cancel(ct, NULL), -EALREADY);
	CHECK_INT(E.nrec, 1);
	respond_to(cli_req, 180, "pstn-3");
	CHECK_INT(E.nrec, 2);
	const char *c = E.rec[1].buf;
	CHECK(starts(c, "CANCEL sip:+493012345@pstn.example.net SIP/2.0\r\n"));
	CHECK(has(c, "CSeq: 4711 CANCEL\r\n"));
	CHECK(has(c, "To: <sip:+493012345@pstn.example.net>\r\n"));
	CHECK(has(c, "Route: <sip:proxy1.example.net;lr>\r\n"));
	CHECK(has(c, "Reason: Q.850;cause=16\r\n"));
	CHECK(has(c, "Call-ID: cli-77a1@198.51.100.1\r\n"));
	char via[200];
	const char *b = strstr(cli_req, "Via: ");
	snprintf(via, sizeof(via), "%.*s", (int)(strchr(b, '\n') - b + 1), b);
	CHECK(has(c, via));
	CHECK_INT(sip_txn_count(E.t), 2);
	/* the CANCEL's own 200 is not the TU's business */
	unsigned before = E.nresp;
	respond_to(c, 200, "pstn-3");
	CHECK_INT(E.nresp, before);
	CHECK_INT(E.nstray, 0);
	respond_to(cli_req, 487, "pstn-3");
	CHECK_INT(E.nresp, before + 1);
	CHECK_INT(E.resp[before].status, 487);
	CHECK(starts(E.rec[2].buf, "ACK "));
	advance_ms(40000);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(cli_cancel_after_provisional_sent_at_once)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	respond_to(cli_req, 183, "p");
	CHECK_INT(E.nrec, 1);
	E.in_layer = true;
	CHECK_INT(sip_ctx_cancel(ct, NULL), 0);
	E.in_layer = false;
	CHECK(!E.reentered);
	CHECK_INT(E.nrec, 2);
	CHECK(starts(E.rec[1].buf, "CANCEL "));
	/* CANCEL retransmitted by its own Timer E */
	advance_ms(500);
	CHECK_INT(count_prefix("CANCEL ", false), 2);
	/* no final to the INVITE within 64*T1: give up (§9.1) */
	advance_ms(31499);
	CHECK_INT(E.nresp, 1);
	advance_ms(1);
	CHECK_INT(E.nresp, 2);
	CHECK_INT(E.resp[1].err, -ETIMEDOUT);
	env_done();
}

TEST(cli_cancel_then_final_first_sends_nothing)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	CHECK_INT(sip_ctx_cancel(ct, NULL), 0);
	respond_to(cli_req, 404, "n");
	CHECK_INT(count_prefix("CANCEL ", false), 0);
	CHECK_INT(count_prefix("ACK ", false), 1);
	CHECK_INT(E.nresp, 1);
	CHECK_INT(E.resp[0].status, 404);
	advance_ms(40000);
	CHECK_INT(count_prefix("CANCEL ", false), 0);
	env_done();
}

TEST(cli_abandon_stops_callbacks)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	respond_to(cli_req, 180, "p");
	CHECK_INT(E.nresp, 1);
	sip_ctx_abandon(ct);
	respond_to(cli_req, 486, "p");
	CHECK_INT(E.nresp, 1);
	CHECK_INT(count_prefix("ACK ", false), 1); /* still ACKed */
	advance_ms(40000);
	CHECK_INT(sip_txn_count(E.t), 0);
	/* abandoned in Proceeding: a guard ends it */
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	respond_to(cli_req, 180, "p");
	sip_ctx_abandon(ct);
	advance_ms(179999);
	CHECK_INT(sip_txn_count(E.t), 1);
	advance_ms(1);
	CHECK_INT(sip_txn_count(E.t), 0);
	CHECK_INT(E.nresp, 2);
	env_done();
}

/* ==== server INVITE ==== */

TEST(srv_invite_retransmission_gets_100_then_last_response)
{
	CHECK(env_init(NULL));
	CHECK_INT(feed(invite()), 0);
	CHECK_INT(E.nreq, 1);
	CHECK(E.req[0].st != NULL);
	struct sip_stx *st = E.req[0].st;
	CHECK_INT(E.nrec, 0);
	feed(invite());
	CHECK_INT(E.nreq, 1);
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 100 Trying\r\n"));
	CHECK(E.rec[0].response);
	CHECK_INT(sip_stx_respond(st, 180, NULL, "uas-1", NULL, NULL, NULL, 0),
		  0);
	CHECK_INT(E.nrec, 2);
	CHECK(starts(E.rec[1].buf, "SIP/2.0 180 Ringing\r\n"));
	CHECK(has(E.rec[1].buf,
		  "To: Bob <sip:bob@gw.example.net>;tag=uas-1\r\n"));
	feed(invite());
	CHECK_INT(E.nrec, 3);
	CHECK_STR(E.rec[2].buf, E.rec[1].buf);
	CHECK(!sip_stx_final_sent(st));
	CHECK_INT(E.nreq, 1);
	env_done();
}

TEST(srv_invite_layer_sends_100_after_200ms)
{
	CHECK(env_init(NULL));
	feed(invite());
	advance_ms(199);
	CHECK_INT(E.nrec, 0);
	advance_ms(1);
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 100 Trying\r\n"));
	CHECK(has(E.rec[0].buf, "To: Bob <sip:bob@gw.example.net>\r\n"));
	/* a TU that answers at once gets no extra 100 */
	E.auto_code = 180;
	feed(mkreq(&(struct rq){.branch = "z9hG4bKsecond", .cseq = 2}));
	advance_ms(1000);
	CHECK_INT(count_prefix("SIP/2.0 100", true), 1);
	CHECK_INT(count_prefix("SIP/2.0 180", true), 1);
	env_done();
}

TEST(srv_invite_non2xx_timer_g_then_h)
{
	static const uint64_t at[] = {0,     500,   1500,  3500,  7500, 11500,
				      15500, 19500, 23500, 27500, 31500};
	CHECK(env_init(NULL));
	E.auto_code = 486;
	feed(invite());
	struct sip_stx *st = E.req[0].st;
	CHECK(sip_stx_final_sent(st));
	CHECK_INT(sip_stx_respond(st, 500, NULL, NULL, NULL, NULL, NULL, 0),
		  -EALREADY);
	advance_ms(31999);
	CHECK_INT(E.nrec, 11);
	for (unsigned i = 0; i < 11; i++) {
		CHECK_INT(E.rec[i].t_ms, at[i]);
		CHECK(starts(E.rec[i].buf, "SIP/2.0 486 Busy Here"));
	}
	CHECK_INT(E.nev, 0);
	advance_ms(1);
	CHECK_INT(E.nev, 2);
	CHECK_INT(E.ev[0].ev, SIP_STX_TIMEOUT);
	CHECK_INT(E.ev[1].ev, SIP_STX_TERMINATED);
	CHECK(E.ev[1].st == st);
	CHECK_INT(E.ev[1].t_ms, 32000);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(srv_invite_non2xx_tcp_no_g_h_fires)
{
	CHECK(env_init(NULL));
	E.auto_code = 404;
	struct sip_peer src = peer(SIP_PROTO_TCP, "192.0.2.33", 40001);
	feed_p(mkreq(&(struct rq){.via = "SIP/2.0/TCP pc33.example.com;"
					 "branch=z9hG4bKtcp1"}),
	       &src);
	advance_ms(31999);
	CHECK_INT(E.nrec, 1);
	CHECK_INT(E.nev, 0);
	advance_ms(1);
	CHECK_INT(E.nev, 2);
	CHECK_INT(E.ev[0].ev, SIP_STX_TIMEOUT);
	env_done();
}

TEST(srv_invite_ack_confirms_then_timer_i)
{
	CHECK(env_init(NULL));
	E.auto_code = 486;
	feed(invite());
	advance_ms(700); /* one Timer G retransmission */
	CHECK_INT(E.nrec, 2);
	feed(mkreq(&(struct rq){.method = "ACK", .to_tag = "uas-tag-1"}));
	CHECK_INT(E.nreq, 1); /* not to the TU */
	CHECK_INT(E.nev, 1);
	CHECK_INT(E.ev[0].ev, SIP_STX_ACKED);
	feed(mkreq(&(struct rq){.method = "ACK", .to_tag = "uas-tag-1"}));
	CHECK_INT(E.nreq, 1); /* Confirmed absorbs ACKs */
	CHECK_INT(E.nev, 1);
	advance_ms(10000);
	CHECK_INT(E.nrec, 2); /* G stopped */
	CHECK_INT(E.nev, 2);
	CHECK_INT(E.ev[1].ev, SIP_STX_TERMINATED);
	CHECK_INT(E.ev[1].t_ms, 5700); /* Timer I = T4 after the ACK */
	env_done();
}

TEST(srv_invite_ack_over_tcp_ends_at_once)
{
	CHECK(env_init(NULL));
	E.auto_code = 486;
	struct sip_peer src = peer(SIP_PROTO_TCP, "192.0.2.33", 40001);
	const char *via = "SIP/2.0/TCP pc33.example.com;branch=z9hG4bKtcp2";
	feed_p(mkreq(&(struct rq){.via = via}), &src);
	feed_p(mkreq(&(struct rq){
		   .method = "ACK", .via = via, .to_tag = "uas-tag-1"}),
	       &src);
	CHECK_INT(E.nev, 1);
	CHECK_INT(sip_txn_count(E.t), 0);
	advance_ms(0);
	CHECK_INT(E.nev, 2);
	CHECK_INT(E.ev[1].ev, SIP_STX_TERMINATED);
	env_done();
}

TEST(srv_invite_retransmitted_in_completed_gets_final)
{
	CHECK(env_init(NULL));
	E.auto_code = 603;
	feed(invite());
	feed(invite());
	CHECK_INT(E.nrec, 2);
	CHECK_STR(E.rec[1].buf, E.rec[0].buf);
	CHECK_INT(E.nreq, 1);
	env_done();
}

TEST(srv_invite_2xx_accepted_timer_l)
{
	CHECK(env_init(NULL));
	E.auto_code = 200;
	feed(invite());
	struct sip_stx *st = E.req[0].st;
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 200 OK\r\n"));
	feed(invite()); /* absorbed (RFC 6026 §7.1) */
	CHECK_INT(E.nrec, 1);
	CHECK_INT(E.nreq, 1);
	advance_ms(500);
	CHECK_INT(E.nrec, 1); /* the layer does not retransmit a 2xx */
	CHECK_INT(sip_stx_resend_2xx(st), 0);
	CHECK_INT(E.nrec, 2);
	CHECK_STR(E.rec[1].buf, E.rec[0].buf);
	/* ACK for the 2xx: its own branch, to the TU with st NULL */
	feed(mkreq(&(struct rq){.method = "ACK",
				.branch = "z9hG4bKackfor2xx",
				.to_tag = "uas-tag-1"}));
	CHECK_INT(E.nreq, 2);
	CHECK(E.req[1].st == NULL);
	CHECK_INT(E.req[1].method, SIP_METHOD_ACK);
	/* also with the INVITE's branch, in Accepted */
	feed(mkreq(&(struct rq){.method = "ACK", .to_tag = "uas-tag-1"}));
	CHECK_INT(E.nreq, 3);
	CHECK(E.req[2].st == NULL);
	CHECK_INT(E.nev, 0);
	advance_ms(32000 - 500 - 1);
	CHECK_INT(sip_txn_count(E.t), 1);
	advance_ms(1);
	CHECK_INT(sip_txn_count(E.t), 0);
	CHECK_INT(E.nev, 1);
	CHECK_INT(E.ev[0].ev, SIP_STX_TERMINATED);
	/* after Timer L the INVITE would be new again */
	env_done();
}

TEST(srv_stx_keeps_private_copy)
{
	CHECK(env_init(NULL));
	feed(invite()); /* feed wipes its buffer afterwards */
	struct sip_stx *st = E.req[0].st;
	const struct sip_msg *m = sip_stx_msg(st);
	struct pl cid;
	CHECK_INT(sip_msg_callid(m, &cid), 0);
	CHECK_MEM(cid.p, cid.l, "a84b4c76e66710@pc33.example.com");
	CHECK_INT(m->method, SIP_METHOD_INVITE);
	CHECK_INT(sip_stx_peer(st)->proto, SIP_PROTO_UDP);
	CHECK_INT(port_of(sip_stx_peer(st)), 5070);
	env_done();
}

/* ==== server non-INVITE ==== */

TEST(srv_nict_absorbs_then_resends_and_timer_j)
{
	CHECK(env_init(NULL));
	feed(mkreq(&(struct rq){.method = "OPTIONS"}));
	struct sip_stx *st = E.req[0].st;
	CHECK(st != NULL);
	advance_ms(1000);
	CHECK_INT(E.nrec, 0); /* no automatic 100 for non-INVITE */
	feed(mkreq(&(struct rq){.method = "OPTIONS"}));
	CHECK_INT(E.nrec, 0); /* Trying absorbs */
	CHECK_INT(E.nreq, 1);
	CHECK_INT(sip_stx_respond(st, 100, NULL, NULL, NULL, NULL, NULL, 0), 0);
	feed(mkreq(&(struct rq){.method = "OPTIONS"}));
	CHECK_INT(E.nrec, 2);
	CHECK_INT(count_prefix("SIP/2.0 100", true), 2);
	CHECK_INT(sip_stx_respond(st, 200, NULL, "o1",
				  "Allow: INVITE, ACK, CANCEL, BYE\r\n",
				  "application/sdp", "v=0\r\n", 5),
		  0);
	const char *ok = E.rec[2].buf;
	CHECK(has(ok, "Allow: INVITE, ACK, CANCEL, BYE\r\n"
		      "Content-Type: application/sdp\r\n"
		      "Content-Length: 5\r\n\r\nv=0\r\n"));
	feed(mkreq(&(struct rq){.method = "OPTIONS"}));
	CHECK_INT(E.nrec, 4);
	CHECK_STR(E.rec[3].buf, E.rec[2].buf);
	advance_ms(31999); /* Timer J = 64*T1 */
	CHECK_INT(sip_txn_count(E.t), 1);
	CHECK_INT(E.nrec, 4);
	advance_ms(1);
	CHECK_INT(sip_txn_count(E.t), 0);
	CHECK_INT(E.nev, 1);
	CHECK_INT(E.ev[0].ev, SIP_STX_TERMINATED);
	env_done();
}

TEST(srv_nict_tcp_timer_j_zero)
{
	CHECK(env_init(NULL));
	E.auto_code = 200;
	struct sip_peer src = peer(SIP_PROTO_TCP, "192.0.2.33", 40001);
	feed_p(mkreq(&(struct rq){.method = "BYE",
				  .via = "SIP/2.0/TCP h.example.com;"
					 "branch=z9hG4bKbye1"}),
	       &src);
	CHECK_INT(E.nrec, 1);
	CHECK_INT(sip_txn_count(E.t), 0);
	CHECK_INT(E.nev, 0); /* not from inside sip_stx_respond */
	advance_ms(0);
	CHECK_INT(E.nev, 1);
	CHECK_INT(E.ev[0].ev, SIP_STX_TERMINATED);
	env_done();
}

/* ==== CANCEL at the server (§9.2) ==== */

TEST(srv_cancel_pending_invite_200_and_callback)
{
	CHECK(env_init(NULL));
	feed(invite());
	struct sip_stx *st = E.req[0].st;
	CHECK_INT(sip_stx_respond(st, 180, NULL, "uas-7", NULL, NULL, NULL, 0),
		  0);
	feed(mkreq(&(struct rq){.method = "CANCEL"}));
	CHECK_INT(E.nreq, 1); /* the CANCEL itself is not a TU request */
	CHECK_INT(E.ncancel, 1);
	CHECK(E.cancelled == st);
	CHECK_INT(E.nrec, 2);
	const char *ok = E.rec[1].buf;
	CHECK(starts(ok, "SIP/2.0 200 OK\r\n"));
	CHECK(has(ok, "CSeq: 314159 CANCEL\r\n"));
	CHECK(has(ok, ";tag=uas-7\r\n"));
	CHECK_INT(sip_stx_respond(st, 487, NULL, "uas-7", NULL, NULL, NULL, 0),
		  0);
	CHECK_INT(count_prefix("SIP/2.0 487", true), 1);
	/* a retransmitted CANCEL gets its 200 again, no second callback */
	feed(mkreq(&(struct rq){.method = "CANCEL"}));
	CHECK_INT(E.ncancel, 1);
	CHECK_INT(count_prefix("SIP/2.0 200", true), 2);
	CHECK_INT(count_prefix("SIP/2.0 481", true), 0);
	env_done();
}

TEST(srv_cancel_matching_nothing_481)
{
	CHECK(env_init(NULL));
	feed(mkreq(&(struct rq){.method = "CANCEL"}));
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf,
		     "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"));
	CHECK(has(E.rec[0].buf, ";tag="));
	CHECK_INT(E.ncancel, 0);
	CHECK_INT(E.nreq, 0);
	CHECK_INT(sip_txn_count(E.t), 0);
	/* other branch than the INVITE's: no match either */
	feed(invite());
	feed(mkreq(&(struct rq){.method = "CANCEL", .branch = "z9hG4bKzz"}));
	CHECK_INT(count_prefix("SIP/2.0 481", true), 2);
	env_done();
}

TEST(srv_cancel_after_final_only_200)
{
	CHECK(env_init(NULL));
	E.auto_code = 486;
	feed(invite());
	feed(mkreq(&(struct rq){.method = "CANCEL"}));
	CHECK_INT(E.ncancel, 0);
	CHECK_INT(count_prefix("SIP/2.0 200", true), 1);
	CHECK(has(E.rec[1].buf, ";tag=uas-tag-1\r\n"));
	env_done();
}

/* ==== requests the layer answers itself ==== */

TEST(srv_merged_request_482)
{
	CHECK(env_init(NULL));
	feed(invite());
	feed(mkreq(&(struct rq){.branch = "z9hG4bKotherpath"}));
	CHECK_INT(E.nreq, 1);
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 482 Loop Detected\r\n"));
	CHECK(has(E.rec[0].buf, "branch=z9hG4bKotherpath"));
	/* with a To tag it is a mid-dialog request, not merged */
	feed(mkreq(&(struct rq){.branch = "z9hG4bKotherpath2", .to_tag = "x"}));
	CHECK_INT(E.nreq, 2);
	/* another CSeq is a new request */
	feed(mkreq(&(struct rq){.branch = "z9hG4bKotherpath3", .cseq = 9}));
	CHECK_INT(E.nreq, 3);
	env_done();
}

TEST(srv_framing_error_answered_by_layer)
{
	static const char bad_clen[] =
	    "OPTIONS sip:bob@gw.example.net SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKbad1\r\n"
	    "From: <sip:a@example.com>;tag=1\r\nTo: "
	    "<sip:bob@gw.example.net>\r\n"
	    "Call-ID: bad1\r\nCSeq: 1 OPTIONS\r\n"
	    "Content-Length: 12x\r\n\r\n";
	static const char bad_ack[] =
	    "ACK sip:bob@gw.example.net SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKbad2\r\n"
	    "From: <sip:a@example.com>;tag=1\r\nTo: "
	    "<sip:bob@gw.example.net>\r\n"
	    "Call-ID: bad1\r\nCSeq: 1 ACK\r\n"
	    "Content-Length: 12x\r\n\r\n";
	CHECK(env_init(NULL));
	CHECK(feed(bad_clen) < 0);
	CHECK_INT(E.nreq, 0);
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 400 Bad Content-Length\r\n"));
	CHECK(has(E.rec[0].buf, "Call-ID: bad1\r\n"));
	CHECK(feed(bad_ack) < 0);
	CHECK_INT(E.nrec, 1);
	CHECK_INT(E.nreq, 0);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(srv_missing_headers_400_or_drop)
{
	CHECK(env_init(NULL));
	feed(mkreq(&(struct rq){.omit = "Call-ID"}));
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 400 "));
	feed(mkreq(&(struct rq){.omit = "CSeq"}));
	feed(mkreq(&(struct rq){.omit = "From"}));
	feed(mkreq(&(struct rq){.omit = "To"}));
	feed(mkreq(&(struct rq){.cseq_method = "BYE"}));
	CHECK_INT(count_prefix("SIP/2.0 400 ", true), 5);
	/* only the second Via left: still routable; no Via at all: drop */
	static const char no_via[] =
	    "OPTIONS sip:bob@gw.example.net SIP/2.0\r\n"
	    "From: <sip:a@example.com>;tag=1\r\nTo: "
	    "<sip:bob@gw.example.net>\r\n"
	    "Call-ID: nv\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	feed(no_via);
	CHECK_INT(E.nrec, 5);
	feed(mkreq(&(struct rq){.method = "ACK", .omit = "Call-ID"}));
	CHECK_INT(E.nrec, 5);
	CHECK_INT(E.nreq, 0);
	env_done();
}

TEST(srv_received_and_rport_in_responses)
{
	CHECK(env_init(NULL));
	E.auto_code = 404;
	feed(mkreq(&(struct rq){.via = "SIP/2.0/UDP pc33.example.com:5060;"
				       "rport;branch=z9hG4bKrp1"}));
	CHECK(has(E.rec[0].buf,
		  "Via: SIP/2.0/UDP pc33.example.com:5060;rport=5070;"
		  "branch=z9hG4bKrp1;received=192.0.2.33\r\n"
		  "Via: SIP/2.0/UDP bigbox3.site3.example.com;"
		  "branch=z9hG4bK77ef4c2312983.1\r\n"));
	/* sent-by is the source address: nothing added (§18.2.1) */
	feed(mkreq(&(struct rq){.via = "SIP/2.0/UDP 192.0.2.33:5070;"
				       "branch=z9hG4bKrp2",
				.cseq = 2}));
	CHECK(has(E.rec[1].buf, "Via: SIP/2.0/UDP 192.0.2.33:5070;"
				"branch=z9hG4bKrp2\r\n"));
	/* rport: received even when equal (RFC 3581 §4) */
	feed(mkreq(&(struct rq){.via = "SIP/2.0/UDP 192.0.2.33:5070;"
				       "branch=z9hG4bKrp3;rport",
				.cseq = 3}));
	CHECK(has(E.rec[2].buf, "Via: SIP/2.0/UDP 192.0.2.33:5070;"
				"branch=z9hG4bKrp3;rport=5070;"
				"received=192.0.2.33\r\n"));
	/* a wrong received put there by the client is replaced */
	feed(mkreq(&(struct rq){.via = "SIP/2.0/UDP h.example.com;"
				       "received=10.0.0.1;branch=z9hG4bKrp4",
				.cseq = 4}));
	CHECK(has(E.rec[3].buf, "Via: SIP/2.0/UDP h.example.com;"
				"received=192.0.2.33;branch=z9hG4bKrp4\r\n"));
	/* stateless answers too */
	feed(mkreq(&(struct rq){.method = "CANCEL",
				.via = "SIP/2.0/UDP pc33.example.com;rport;"
				       "branch=z9hG4bKrp5"}));
	CHECK(has(E.rec[4].buf, "SIP/2.0 481"));
	CHECK(has(E.rec[4].buf, "Via: SIP/2.0/UDP pc33.example.com;"
				"rport=5070;branch=z9hG4bKrp5;"
				"received=192.0.2.33\r\n"));
	env_done();
}

TEST(srv_received_with_comma_list_and_fold)
{
	CHECK(env_init(NULL));
	E.auto_code = 486;
	feed(mkreq(&(struct rq){.via = "SIP/2.0/UDP a.example.com;rport;"
				       "branch=z9hG4bKc1, SIP/2.0/UDP "
				       "b.example.com;branch=z9hG4bKc0"}));
	CHECK(has(E.rec[0].buf, "Via: SIP/2.0/UDP a.example.com;rport=5070;"
				"branch=z9hG4bKc1;received=192.0.2.33, "
				"SIP/2.0/UDP b.example.com;branch=z9hG4bKc0\r\n"
				"Via: SIP/2.0/UDP bigbox3"));
	feed(mkreq(&(struct rq){.via = "SIP/2.0/UDP a.example.com\r\n"
				       "\t;branch=z9hG4bKf1;rport",
				.cseq = 2}));
	CHECK(has(E.rec[1].buf, "Via: SIP/2.0/UDP a.example.com ;"
				"branch=z9hG4bKf1;rport=5070;"
				"received=192.0.2.33\r\n"));
	env_done();
}

TEST(srv_max_txns_503_retry_after)
{
	struct sip_txn_conf conf = {.max_txns = 2};
	CHECK(env_init(&conf));
	feed(mkreq(&(struct rq){.method = "OPTIONS", .cseq = 1}));
	feed(mkreq(&(struct rq){
	    .method = "OPTIONS", .cseq = 2, .branch = "z9hG4bKb2"}));
	CHECK_INT(sip_txn_count(E.t), 2);
	feed(mkreq(&(struct rq){
	    .method = "OPTIONS", .cseq = 3, .branch = "z9hG4bKb3"}));
	CHECK_INT(E.nreq, 2);
	CHECK_INT(E.nrec, 1);
	CHECK(starts(E.rec[0].buf, "SIP/2.0 503 Service Unavailable\r\n"));
	CHECK(has(E.rec[0].buf, "Retry-After: 5\r\n"));
	struct sip_ctx *ct;
	CHECK_INT(cli_send("OPTIONS", SIP_PROTO_UDP, &ct), -EAGAIN);
	env_done();
}

TEST(srv_transport_error_reported_after_respond)
{
	CHECK(env_init(NULL));
	feed(invite());
	struct sip_stx *st = E.req[0].st;
	E.fail_after = 0;
	E.in_layer = true;
	CHECK_INT(sip_stx_respond(st, 486, NULL, "t", NULL, NULL, NULL, 0), 0);
	E.in_layer = false;
	CHECK(!E.reentered);
	CHECK_INT(E.nev, 0);
	CHECK_INT(sip_txn_count(E.t), 0);
	advance_ms(0);
	CHECK_INT(E.nev, 2);
	CHECK_INT(E.ev[0].ev, SIP_STX_TP_ERROR);
	CHECK_INT(E.ev[1].ev, SIP_STX_TERMINATED);
	env_done();
}

TEST(srv_rfc2543_matching)
{
	const char *via = "SIP/2.0/UDP old.example.com:5060";
	CHECK(env_init(NULL));
	feed(mkreq(&(struct rq){.via = via}));
	CHECK_INT(E.nreq, 1);
	struct sip_stx *st = E.req[0].st;
	feed(mkreq(&(struct rq){.via = via})); /* retransmission */
	CHECK_INT(E.nreq, 1);
	CHECK_INT(count_prefix("SIP/2.0 100", true), 1);
	CHECK_INT(sip_stx_respond(st, 486, NULL, "u2543", NULL, NULL, NULL, 0),
		  0);
	/* an ACK must carry our To tag to match */
	feed(mkreq(
	    &(struct rq){.method = "ACK", .via = via, .to_tag = "other"}));
	CHECK_INT(E.nreq, 2);
	CHECK(E.req[1].st == NULL);
	feed(mkreq(
	    &(struct rq){.method = "ACK", .via = via, .to_tag = "u2543"}));
	CHECK_INT(E.nreq, 2);
	CHECK_INT(E.nev, 1);
	CHECK_INT(E.ev[0].ev, SIP_STX_ACKED);
	/* another CSeq is another transaction */
	feed(mkreq(&(struct rq){.via = via, .cseq = 7}));
	CHECK_INT(E.nreq, 3);
	env_done();
}

TEST(srv_cancel_rfc2543)
{
	const char *via = "SIP/2.0/UDP old.example.com:5060";
	CHECK(env_init(NULL));
	feed(mkreq(&(struct rq){.via = via}));
	feed(mkreq(&(struct rq){.method = "CANCEL", .via = via}));
	CHECK_INT(E.ncancel, 1);
	CHECK_INT(count_prefix("SIP/2.0 200", true), 1);
	env_done();
}

static void respond_and_forget(void *arg, struct sip_stx *st,
			       const struct sip_msg *m,
			       const struct sip_peer *src)
{
	on_request(arg, st, m, src);
	if (st) {
		/* the TU answers and drops its interest at once */
		sip_stx_respond(st, 200, NULL, "r", NULL, NULL, NULL, 0);
		sip_stx_set_user(st, NULL, NULL);
	}
}

TEST(srv_tu_may_respond_and_drop_inside_callback)
{
	static const struct sip_txn_io io = {io_send, io_send_response, NULL};
	static const struct sip_txn_handlers h = {respond_and_forget, on_cancel,
						  on_stray};
	CHECK(env_init(NULL));
	sip_txn_free(E.t);
	CHECK_INT(sip_txn_new(&E.t, E.loop, NULL, &io, &h, NULL), 0);
	struct sip_peer src = peer(SIP_PROTO_TCP, "192.0.2.33", 40001);
	feed_p(mkreq(&(struct rq){.method = "MESSAGE",
				  .via = "SIP/2.0/TCP h;branch=z9hG4bKm1"}),
	       &src);
	CHECK_INT(E.nrec, 1);
	advance_ms(0);
	CHECK_INT(E.nev, 0);
	CHECK_INT(sip_txn_count(E.t), 0);
	env_done();
}

TEST(free_with_live_transactions_is_silent)
{
	struct sip_ctx *ct;
	CHECK(env_init(NULL));
	feed(invite());
	E.auto_code = 486;
	feed(mkreq(&(struct rq){.method = "OPTIONS", .branch = "z9hG4bKo"}));
	CHECK_INT(cli_send("INVITE", SIP_PROTO_UDP, &ct), 0);
	respond_to(cli_req, 200, "a");
	E.fail_after = 0;
	CHECK_INT(cli_send("BYE", SIP_PROTO_UDP, &ct), 0); /* -EIO queued */
	CHECK_INT(sip_txn_count(E.t), 3);
	unsigned nev = E.nev, nresp = E.nresp;
	sip_txn_free(E.t);
	E.t = NULL;
	advance_ms(100000);
	CHECK_INT(E.nev, nev);
	CHECK_INT(E.nresp, nresp);
	env_done();
}
