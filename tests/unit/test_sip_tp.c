/*
 * Unit tests for the SIP transports (gw/sip/sip_tp.c, sip_tp_stream.c):
 * real UDP, TCP and TLS sockets on 127.0.0.1 and ::1 with ephemeral
 * ports, driven by a real loop with bounded waits, against plain sockets
 * acting as the peers. TLS certificates are generated at run time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "loop.h"
#include "sip/sip_tp.h"
#include "tests/unit/t.h"

/* --- harness -------------------------------------------------------------- */

#define RX_MAX 16
#define RX_CAP 4096

/* What one transport's recv callback saw. */
struct rx {
	int n;
	struct {
		char data[RX_CAP];
		size_t len;
		uint16_t err;
		struct sip_peer peer;
	} m[RX_MAX];
};

static void on_recv(void *arg, const struct sip_msg *m,
		    const struct sip_peer *from)
{
	struct rx *rx = arg;
	if (rx->n >= RX_MAX)
		return;
	size_t n = m->len < RX_CAP - 1 ? m->len : RX_CAP - 1;
	memcpy(rx->m[rx->n].data, m->buf, n);
	rx->m[rx->n].data[n] = '\0';
	rx->m[rx->n].len = m->len;
	rx->m[rx->n].err = m->err_status;
	rx->m[rx->n].peer = *from;
	rx->n++;
}

static const struct sip_tp_handlers handlers = {.recv = on_recv};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs the loop until cond holds or ms pass. */
#define WAIT_FOR(lp, cond, ms)                                                 \
	do {                                                                   \
		uint64_t t_end_ = now_ms() + (ms);                             \
		while (!(cond) && now_ms() < t_end_)                           \
			loop_run_once((lp), 5);                                \
	} while (0)

static void pump(struct loop *l, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	while (now_ms() < end)
		loop_run_once(l, 5);
}

/* Reads from a plain socket while running the loop. Returns bytes read,
 * 0 on EOF, -errno on error, -ETIMEDOUT when nothing came. */
static ssize_t recv_pump(struct loop *l, int fd, char *buf, size_t cap, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 0) > 0) {
			ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
			if (n >= 0)
				return n;
			if (errno != EAGAIN)
				return -errno;
		}
		if (now_ms() >= end)
			return -ETIMEDOUT;
		loop_run_once(l, 5);
	}
}

/* Reads until buf holds want bytes (stream peers). */
static ssize_t recv_all(struct loop *l, int fd, char *buf, size_t want, int ms)
{
	size_t got = 0;
	uint64_t end = now_ms() + (uint64_t)ms;
	while (got < want && now_ms() < end) {
		ssize_t n = recv_pump(l, fd, buf + got, want - got,
				      (int)(end - now_ms()) + 1);
		if (n <= 0)
			return got ? (ssize_t)got : n;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static struct sockaddr_storage sa(const char *host, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return ss;
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

/* A plain socket bound to host:port (0: ephemeral); *bound gets the
 * address. -1 if it cannot be bound. */
static int plain_sock(int type, const char *host, uint16_t port,
		      struct sockaddr_storage *bound)
{
	struct sockaddr_storage ss = sa(host, port);
	socklen_t l = sa_len(&ss);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, l) ||
	    (type == SOCK_STREAM && listen(fd, 8)) ||
	    getsockname(fd, (struct sockaddr *)bound, &l)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A blocking TCP client connected to ss. */
static int plain_connect(const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, sa_len(ss))) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return sip_sa_port(ss);
}

/* A small request; via is the Via value, tag marks it (Request-URI
 * user, From tag, Call-ID). */
static int mk_req(char *buf, size_t cap, const char *via, const char *tag)
{
	return snprintf(buf, cap,
			"OPTIONS sip:%s@127.0.0.1 SIP/2.0\r\n"
			"Via: %s\r\n"
			"From: <sip:a@example.com>;tag=%s\r\n"
			"To: <sip:gw@127.0.0.1>\r\n"
			"Call-ID: %s@example.com\r\n"
			"CSeq: 1 OPTIONS\r\n"
			"Max-Forwards: 70\r\n"
			"Content-Length: 0\r\n\r\n",
			tag, via, tag, tag);
}

struct env {
	struct loop *loop;
	struct sip_tp *tp;
	struct rx rx;
	struct sockaddr_storage addr; /* the listener's */
};

/* A loop and a transport listening on proto host:0. */
static int env_open(struct env *e, const struct sip_tp_conf *conf,
		    enum sip_proto proto, const char *host)
{
	char err[256];
	memset(e, 0, sizeof(*e));
	if (loop_new(&e->loop))
		return -1;
	if (sip_tp_new(&e->tp, e->loop, conf, &handlers, &e->rx))
		return -1;
	if (!host)
		return 0;
	if (sip_tp_listen(e->tp, proto, host, 0, err, sizeof(err))) {
		printf("     listen %s: %s\n", host, err);
		return -1;
	}
	return sip_tp_local(e->tp, proto, AF_UNSPEC, &e->addr);
}

static void env_close(struct env *e)
{
	sip_tp_free(e->tp);
	loop_free(e->loop);
}

static struct sip_tp_stats stats(const struct sip_tp *tp)
{
	struct sip_tp_stats st;
	sip_tp_stats(tp, &st);
	return st;
}

/* Top Via of a message text received earlier (views into text). */
static int top_via(const char *text, struct sip_msg *m, struct sip_via *v)
{
	size_t used;
	int r = sip_msg_parse(m, text, strlen(text), false, &used);
	return r ? r : sip_msg_via(m, v);
}

/* --- names and helpers ---------------------------------------------------- */

TEST(tp_proto_names)
{
	enum sip_proto p = SIP_PROTO_UDP;
	CHECK_STR(sip_proto_name(SIP_PROTO_UDP), "UDP");
	CHECK_STR(sip_proto_name(SIP_PROTO_TCP), "TCP");
	CHECK_STR(sip_proto_name(SIP_PROTO_TLS), "TLS");
	CHECK_INT(sip_proto_parse(PL("tcp"), &p), 0);
	CHECK_INT(p, SIP_PROTO_TCP);
	CHECK_INT(sip_proto_parse(PL("Tls"), &p), 0);
	CHECK_INT(p, SIP_PROTO_TLS);
	CHECK_INT(sip_proto_parse(PL("UDP"), &p), 0);
	CHECK_INT(p, SIP_PROTO_UDP);
	CHECK_INT(sip_proto_parse(PL("SCTP"), &p), -EPROTONOSUPPORT);
	CHECK_INT(sip_proto_parse(PL(""), &p), -EPROTONOSUPPORT);
	CHECK(!sip_proto_reliable(SIP_PROTO_UDP));
	CHECK(sip_proto_reliable(SIP_PROTO_TCP));
	CHECK(sip_proto_reliable(SIP_PROTO_TLS));
}

TEST(tp_sa_print)
{
	char b[64];
	struct sockaddr_storage a = sa("192.0.2.7", 5062);
	struct sockaddr_storage b6 = sa("2001:db8::1", 5070);
	struct sockaddr_storage none;
	memset(&none, 0, sizeof(none));
	CHECK_STR(sip_sa_host(&a, b, sizeof(b)), "192.0.2.7");
	CHECK_INT(sip_sa_port(&a), 5062);
	CHECK_STR(sip_sa_hostport(&a, b, sizeof(b)), "192.0.2.7:5062");
	CHECK_STR(sip_sa_host(&b6, b, sizeof(b)), "2001:db8::1");
	CHECK_STR(sip_sa_hostport(&b6, b, sizeof(b)), "[2001:db8::1]:5070");
	CHECK_STR(sip_sa_host(&none, b, sizeof(b)), "");
	CHECK_INT(sip_sa_port(&none), 0);
}

/* --- sip_tp_uri_peer ------------------------------------------------------ */

static const struct {
	const char *uri;
	int ret;
	enum sip_proto proto;
	const char *hostport;
} uri_cases[] = {
    {"sip:1.2.3.4", 0, SIP_PROTO_UDP, "1.2.3.4:5060"},
    {"sip:u@1.2.3.4:5080", 0, SIP_PROTO_UDP, "1.2.3.4:5080"},
    {"sip:u@[::1]:5070;transport=tcp", 0, SIP_PROTO_TCP, "[::1]:5070"},
    {"sip:u@[2001:db8::9]", 0, SIP_PROTO_UDP, "[2001:db8::9]:5060"},
    {"sip:1.2.3.4;transport=TLS", 0, SIP_PROTO_TLS, "1.2.3.4:5061"},
    {"sip:1.2.3.4;transport=udp", 0, SIP_PROTO_UDP, "1.2.3.4:5060"},
    {"sips:alice@10.0.0.1", 0, SIP_PROTO_TLS, "10.0.0.1:5061"},
    {"sips:alice@10.0.0.1:6000;transport=tcp", 0, SIP_PROTO_TLS,
     "10.0.0.1:6000"},
    {"sip:u@gw.example.com;maddr=10.1.1.1", 0, SIP_PROTO_UDP, "10.1.1.1:5060"},
    {"sip:u@gw.example.com", -EHOSTUNREACH, SIP_PROTO_UDP, NULL},
    {"sips:gw.example.com:5061", -EHOSTUNREACH, SIP_PROTO_TLS, NULL},
    {"sip:1.2.3.4;transport=sctp", -EINVAL, SIP_PROTO_UDP, NULL},
    {"tel:+4930123", -EINVAL, SIP_PROTO_UDP, NULL},
};

TEST(tp_uri_peer_table)
{
	for (size_t i = 0; i < sizeof(uri_cases) / sizeof(uri_cases[0]); i++) {
		struct sip_uri u;
		struct sip_peer p;
		char b[64];
		if (sip_uri_parse(&u, pl_from(uri_cases[i].uri))) {
			t_fail(__FILE__, __LINE__, "unparsable %s",
			       uri_cases[i].uri);
			return;
		}
		int r = sip_tp_uri_peer(&u, &p);
		if (r != uri_cases[i].ret) {
			t_fail(__FILE__, __LINE__, "%s: got %d want %d",
			       uri_cases[i].uri, r, uri_cases[i].ret);
			return;
		}
		if (r)
			continue;
		CHECK_INT(p.proto, uri_cases[i].proto);
		CHECK_STR(sip_sa_hostport(&p.remote, b, sizeof(b)),
			  uri_cases[i].hostport);
		CHECK_INT(p.conn_id, 0);
		CHECK_INT(p.local.ss_family, 0);
	}
}

/* --- UDP ------------------------------------------------------------------ */

/* A datagram in, the answer back out, on host (127.0.0.1 or ::1). */
static void udp_roundtrip(const char *host)
{
	struct env e;
	struct sockaddr_storage me;
	char req[1024], buf[2048];
	CHECK(env_open(&e, NULL, SIP_PROTO_UDP, host) == 0);
	int fd = plain_sock(SOCK_DGRAM, host, 0, &me);
	CHECK(fd >= 0);
	int n =
	    mk_req(req, sizeof(req), "SIP/2.0/UDP 127.0.0.1:5099;rport", "u1");
	CHECK(sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&e.addr,
		     sa_len(&e.addr)) == n);
	WAIT_FOR(e.loop, e.rx.n >= 1, 2000);
	CHECK_INT(e.rx.n, 1);
	CHECK_INT(e.rx.m[0].len, n);
	CHECK_MEM(e.rx.m[0].data, e.rx.m[0].len, req);
	CHECK_INT(e.rx.m[0].err, 0);
	struct sip_peer from = e.rx.m[0].peer;
	CHECK_INT(from.proto, SIP_PROTO_UDP);
	CHECK_INT(from.conn_id, 0);
	CHECK(memcmp(&from.remote, &me, sa_len(&me)) == 0);
	CHECK(memcmp(&from.local, &e.addr, sa_len(&e.addr)) == 0);
	static const char answer[] =
	    "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(sip_tp_send(e.tp, &from, answer, strlen(answer)), 0);
	struct sockaddr_storage src;
	socklen_t sl = sizeof(src);
	ssize_t r = recv_pump(e.loop, fd, buf, sizeof(buf), 2000);
	CHECK_INT(r, (ssize_t)strlen(answer));
	CHECK_MEM(buf, (size_t)r, answer);
	/* and it came from the listener's port (a UAC matches on that) */
	CHECK_INT(sip_tp_send(e.tp, &from, answer, strlen(answer)), 0);
	r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
	CHECK_INT(r, (ssize_t)strlen(answer));
	CHECK_INT(port_of(&src), port_of(&e.addr));
	struct sip_tp_stats st = stats(e.tp);
	CHECK_INT(st.rx_msgs, 1);
	CHECK_INT(st.tx_msgs, 2);
	/* no IPv6 listener for an IPv4 peer and vice versa */
	struct sip_peer other = from;
	other.remote = sa(strchr(host, ':') ? "127.0.0.1" : "::1", 5060);
	CHECK_INT(sip_tp_send(e.tp, &other, answer, strlen(answer)),
		  -EAFNOSUPPORT);
	close(fd);
	env_close(&e);
}

TEST(tp_udp_v4_roundtrip)
{
	udp_roundtrip("127.0.0.1");
}

TEST(tp_udp_v6_roundtrip)
{
	struct sockaddr_storage ss;
	int fd = plain_sock(SOCK_DGRAM, "::1", 0, &ss);
	if (fd < 0) {
		printf("     note: ::1 cannot be bound; IPv6 test skipped\n");
		return;
	}
	close(fd);
	udp_roundtrip("::1");
}

TEST(tp_udp_framing_errors)
{
	static const struct sip_limits lim = {
	    .max_msg_bytes = 2000,
	    .max_body_bytes = 1000,
	    .max_hdr_bytes = 1000,
	    .max_hdrs = 64,
	    .max_via = 10,
	};
	const struct sip_tp_conf conf = {.limits = &lim};
	struct env e;
	struct sockaddr_storage me;
	char req[4096];
	CHECK(env_open(&e, &conf, SIP_PROTO_UDP, "127.0.0.1") == 0);
	int fd = plain_sock(SOCK_DGRAM, "127.0.0.1", 0, &me);
	CHECK(fd >= 0);
	const struct sockaddr *to = (const struct sockaddr *)&e.addr;
	socklen_t tl = sa_len(&e.addr);
	/* headers fine, Content-Length over max_body_bytes: 413 goes up */
	int n = snprintf(req, sizeof(req),
			 "MESSAGE sip:gw@127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKb\r\n"
			 "From: <sip:a@example.com>;tag=1\r\n"
			 "To: <sip:gw@127.0.0.1>\r\nCall-ID: big@x\r\n"
			 "CSeq: 1 MESSAGE\r\nContent-Length: 5000\r\n\r\n"
			 "hello");
	CHECK(sendto(fd, req, (size_t)n, 0, to, tl) == n);
	/* a datagram over max_msg_bytes: not indexed, dropped */
	memset(req, 'x', 3000);
	memcpy(req, "OPTIONS sip:a@b SIP/2.0\r\nX: ", 28);
	CHECK(sendto(fd, req, 3000, 0, to, tl) == 3000);
	/* binary garbage: dropped */
	CHECK(sendto(fd, "\x16\x03\x01\x00\x05garbage", 12, 0, to, tl) == 12);
	/* RFC 5626 keep-alive: dropped silently */
	CHECK(sendto(fd, "\r\n\r\n", 4, 0, to, tl) == 4);
	/* and a good one after all that */
	n = mk_req(req, sizeof(req), "SIP/2.0/UDP 127.0.0.1:5099", "ok");
	CHECK(sendto(fd, req, (size_t)n, 0, to, tl) == n);
	WAIT_FOR(e.loop, e.rx.n >= 2, 2000);
	pump(e.loop, 20);
	CHECK_INT(e.rx.n, 2);
	CHECK_INT(e.rx.m[0].err, 413);
	CHECK_INT(e.rx.m[1].err, 0);
	CHECK(strstr(e.rx.m[1].data, "tag=ok") != NULL);
	struct sip_tp_stats st = stats(e.tp);
	CHECK_INT(st.rx_msgs, 2);
	CHECK_INT(st.rx_errors, 3); /* 413, oversized, garbage */
	close(fd);
	env_close(&e);
}

/* --- TCP ------------------------------------------------------------------ */

TEST(tp_tcp_framing_and_reuse)
{
	struct env e;
	char req[1024], req2[1024], all[2048], buf[2048];
	CHECK(env_open(&e, NULL, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int fd = plain_connect(&e.addr);
	CHECK(fd >= 0);
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	CHECK(getsockname(fd, (struct sockaddr *)&me, &ml) == 0);
	int n1 = mk_req(req, sizeof(req), "SIP/2.0/TCP 127.0.0.1:5099", "a");
	int n2 = mk_req(req2, sizeof(req2), "SIP/2.0/TCP 127.0.0.1:5099", "b");
	/* two messages in one write */
	memcpy(all, req, (size_t)n1);
	memcpy(all + n1, req2, (size_t)n2);
	CHECK(write(fd, all, (size_t)(n1 + n2)) == n1 + n2);
	WAIT_FOR(e.loop, e.rx.n >= 2, 2000);
	CHECK_INT(e.rx.n, 2);
	CHECK_MEM(e.rx.m[0].data, e.rx.m[0].len, req);
	CHECK_MEM(e.rx.m[1].data, e.rx.m[1].len, req2);
	uint32_t id = e.rx.m[0].peer.conn_id;
	CHECK(id != 0);
	CHECK_INT(e.rx.m[1].peer.conn_id, id);
	CHECK_INT(e.rx.m[0].peer.proto, SIP_PROTO_TCP);
	CHECK(memcmp(&e.rx.m[0].peer.remote, &me, sa_len(&me)) == 0);
	CHECK_INT(port_of(&e.rx.m[0].peer.local), port_of(&e.addr));
	/* one message byte by byte, with loop rounds in between */
	for (int i = 0; i < n1; i++) {
		CHECK(write(fd, req + i, 1) == 1);
		loop_run_once(e.loop, 0);
		if (i < n1 - 1)
			CHECK_INT(e.rx.n, 2);
	}
	WAIT_FOR(e.loop, e.rx.n >= 3, 2000);
	CHECK_INT(e.rx.n, 3);
	CHECK_MEM(e.rx.m[2].data, e.rx.m[2].len, req);
	CHECK_INT(e.rx.m[2].peer.conn_id, id);
	/* a message followed by part of the next, then the rest */
	memcpy(all, req2, (size_t)n2);
	memcpy(all + n2, req, 40);
	CHECK(write(fd, all, (size_t)n2 + 40) == n2 + 40);
	WAIT_FOR(e.loop, e.rx.n >= 4, 2000);
	pump(e.loop, 20);
	CHECK_INT(e.rx.n, 4);
	CHECK_MEM(e.rx.m[3].data, e.rx.m[3].len, req2);
	CHECK(write(fd, req + 40, (size_t)n1 - 40) == n1 - 40);
	WAIT_FOR(e.loop, e.rx.n >= 5, 2000);
	CHECK_INT(e.rx.n, 5);
	CHECK_MEM(e.rx.m[4].data, e.rx.m[4].len, req);
	CHECK_INT(e.rx.m[4].peer.conn_id, id);

	/* the response goes back on the same connection even though the
	 * sent-by port (5099) is elsewhere */
	struct sip_msg m;
	struct sip_via v;
	CHECK_INT(top_via(e.rx.m[4].data, &m, &v), 0);
	static const char ok[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(
	    sip_tp_send_response(e.tp, &v, &e.rx.m[4].peer, ok, strlen(ok)), 0);
	ssize_t r = recv_all(e.loop, fd, buf, strlen(ok), 2000);
	CHECK_INT(r, (ssize_t)strlen(ok));
	CHECK_MEM(buf, (size_t)r, ok);
	/* reuse: a request to the peer's address, no conn_id given */
	struct sip_peer to = {.proto = SIP_PROTO_TCP, .conn_id = 0};
	to.remote = me;
	CHECK_INT(sip_tp_send(e.tp, &to, req2, (size_t)n2), 0);
	CHECK_INT(to.conn_id, id);
	r = recv_all(e.loop, fd, buf, (size_t)n2, 2000);
	CHECK_INT(r, n2);
	CHECK_MEM(buf, (size_t)r, req2);
	struct sip_tp_stats st = stats(e.tp);
	CHECK_INT(st.conns, 1);
	CHECK_INT(st.rx_msgs, 5);
	CHECK_INT(st.tx_msgs, 2);
	close(fd);
	WAIT_FOR(e.loop, stats(e.tp).conns == 0, 2000);
	CHECK_INT(stats(e.tp).conns, 0);
	env_close(&e);
}

TEST(tp_tcp_v6_and_keepalive_pong)
{
	struct env e;
	struct sockaddr_storage ss;
	char req[1024], buf[64];
	int fd = plain_sock(SOCK_STREAM, "::1", 0, &ss);
	if (fd < 0) {
		printf("     note: ::1 cannot be bound; IPv6 test skipped\n");
		return;
	}
	close(fd);
	CHECK(env_open(&e, NULL, SIP_PROTO_TCP, "::1") == 0);
	CHECK_INT(e.addr.ss_family, AF_INET6);
	fd = plain_connect(&e.addr);
	CHECK(fd >= 0);
	/* RFC 5626 §4.4.1: CRLF CRLF ping, CRLF pong */
	CHECK(write(fd, "\r\n\r\n", 4) == 4);
	ssize_t r = recv_all(e.loop, fd, buf, 2, 2000);
	CHECK_INT(r, 2);
	CHECK_MEM(buf, 2, "\r\n");
	int n = mk_req(req, sizeof(req), "SIP/2.0/TCP [::1]:5099", "v6");
	CHECK(write(fd, req, (size_t)n) == n);
	WAIT_FOR(e.loop, e.rx.n >= 1, 2000);
	CHECK_INT(e.rx.n, 1);
	CHECK_INT(e.rx.m[0].peer.remote.ss_family, AF_INET6);
	CHECK_INT(stats(e.tp).rx_errors, 0);
	close(fd);
	env_close(&e);
}

TEST(tp_tcp_connects_when_no_connection)
{
	struct env e;
	struct sockaddr_storage ls;
	char req[1024], buf[2048];
	CHECK(env_open(&e, NULL, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int lfd = plain_sock(SOCK_STREAM, "127.0.0.1", 0, &ls);
	CHECK(lfd >= 0);
	int n = mk_req(req, sizeof(req), "SIP/2.0/TCP 127.0.0.1:5060", "c1");
	struct sip_peer to = {.proto = SIP_PROTO_TCP, .conn_id = 0};
	to.remote = ls;
	/* queued until the connection is up */
	CHECK_INT(sip_tp_send(e.tp, &to, req, (size_t)n), 0);
	uint32_t id = to.conn_id;
	CHECK(id != 0);
	CHECK_INT(stats(e.tp).conns, 1);
	int afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0);
	ssize_t r = recv_all(e.loop, afd, buf, (size_t)n, 2000);
	CHECK_INT(r, n);
	CHECK_MEM(buf, (size_t)r, req);
	/* a second send reuses it */
	to.conn_id = 0;
	CHECK_INT(sip_tp_send(e.tp, &to, req, (size_t)n), 0);
	CHECK_INT(to.conn_id, id);
	r = recv_all(e.loop, afd, buf, (size_t)n, 2000);
	CHECK_INT(r, n);
	/* an answer on the connection it opened comes up with its id */
	static const char ok[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP "
				 "127.0.0.1:5060\r\nContent-Length: 0\r\n\r\n";
	CHECK(write(afd, ok, strlen(ok)) == (ssize_t)strlen(ok));
	WAIT_FOR(e.loop, e.rx.n >= 1, 2000);
	CHECK_INT(e.rx.n, 1);
	CHECK_INT(e.rx.m[0].peer.conn_id, id);
	CHECK_INT(stats(e.tp).conns, 1);
	/* the peer closes: so do we; the next send connects anew */
	close(afd);
	WAIT_FOR(e.loop, stats(e.tp).conns == 0, 2000);
	CHECK_INT(stats(e.tp).conns, 0);
	to.conn_id = id;
	CHECK_INT(sip_tp_send(e.tp, &to, req, (size_t)n), 0);
	CHECK(to.conn_id != id && to.conn_id != 0);
	afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0);
	r = recv_all(e.loop, afd, buf, (size_t)n, 2000);
	CHECK_INT(r, n);
	close(afd);
	close(lfd);
	env_close(&e);
}

TEST(tp_tcp_connect_refused)
{
	struct env e;
	struct sockaddr_storage ls;
	CHECK(env_open(&e, NULL, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int lfd = plain_sock(SOCK_STREAM, "127.0.0.1", 0, &ls);
	CHECK(lfd >= 0);
	close(lfd); /* nothing listens there now */
	struct sip_peer to = {.proto = SIP_PROTO_TCP, .conn_id = 0};
	to.remote = ls;
	int r = sip_tp_send(e.tp, &to, "x", 1);
	CHECK(r == 0 || r == -ENOTCONN);
	WAIT_FOR(e.loop, stats(e.tp).conns == 0, 2000);
	CHECK_INT(stats(e.tp).conns, 0);
	CHECK_INT(stats(e.tp).tx_errors, 1);
	env_close(&e);
}

TEST(tp_tcp_idle_close)
{
	const struct sip_tp_conf conf = {.tcp_idle_ms = 100};
	struct env e;
	char req[1024], buf[64];
	CHECK(env_open(&e, &conf, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int fd = plain_connect(&e.addr);
	CHECK(fd >= 0);
	int n = mk_req(req, sizeof(req), "SIP/2.0/TCP 127.0.0.1:5099", "i");
	uint64_t t0 = now_ms();
	/* traffic at 60 ms keeps it open past 100 ms */
	WAIT_FOR(e.loop, stats(e.tp).conns == 1, 1000);
	pump(e.loop, 60);
	CHECK(write(fd, req, (size_t)n) == n);
	WAIT_FOR(e.loop, e.rx.n == 1, 1000);
	pump(e.loop, 60);
	CHECK_INT(stats(e.tp).conns, 1);
	ssize_t r = recv_pump(e.loop, fd, buf, sizeof(buf), 2000);
	CHECK_INT(r, 0); /* EOF: closed by the transport */
	uint64_t dt = now_ms() - t0;
	CHECK(dt >= 150 && dt < 1500);
	CHECK_INT(stats(e.tp).conns, 0);
	close(fd);
	env_close(&e);
}

TEST(tp_tcp_oversized_closes)
{
	static const struct sip_limits lim = {
	    .max_msg_bytes = 1024,
	    .max_body_bytes = 512,
	    .max_hdr_bytes = 900,
	    .max_hdrs = 64,
	    .max_via = 10,
	};
	const struct sip_tp_conf conf = {.limits = &lim};
	struct env e;
	char big[3000], buf[256];
	CHECK(env_open(&e, &conf, SIP_PROTO_TCP, "127.0.0.1") == 0);
	/* a header section that never ends within the limit */
	int fd = plain_connect(&e.addr);
	CHECK(fd >= 0);
	int n = snprintf(big, sizeof(big), "OPTIONS sip:a@b SIP/2.0\r\n");
	while (n < 2900)
		n += snprintf(big + n, sizeof(big) - (size_t)n,
			      "X-Pad: 0123456789012345678901234567890\r\n");
	CHECK(write(fd, big, (size_t)n) == n);
	ssize_t r = recv_pump(e.loop, fd, buf, sizeof(buf), 2000);
	CHECK(r == 0 || r == -ECONNRESET);
	CHECK_INT(e.rx.n, 0);
	CHECK(stats(e.tp).rx_errors >= 1);
	close(fd);
	/* a body over the limit: the 413 goes up, then the connection ends */
	fd = plain_connect(&e.addr);
	CHECK(fd >= 0);
	n = snprintf(big, sizeof(big),
		     "MESSAGE sip:gw@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKt\r\n"
		     "Call-ID: t@x\r\nCSeq: 1 MESSAGE\r\n"
		     "Content-Length: 100000\r\n\r\nabc");
	CHECK(write(fd, big, (size_t)n) == n);
	r = recv_pump(e.loop, fd, buf, sizeof(buf), 2000);
	CHECK(r == 0 || r == -ECONNRESET);
	CHECK_INT(e.rx.n, 1);
	CHECK_INT(e.rx.m[0].err, 413);
	WAIT_FOR(e.loop, stats(e.tp).conns == 0, 1000);
	CHECK_INT(stats(e.tp).conns, 0);
	close(fd);
	env_close(&e);
}

TEST(tp_tcp_framed_error_continues)
{
	struct env e;
	char req[1024], bad[1024];
	CHECK(env_open(&e, NULL, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int fd = plain_connect(&e.addr);
	CHECK(fd >= 0);
	/* a malformed header line: 400, but the boundaries are known */
	int nb = snprintf(bad, sizeof(bad),
			  "OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\n"
			  "Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKx\r\n"
			  "this line has no colon\r\n"
			  "Call-ID: e@x\r\nCSeq: 1 OPTIONS\r\n"
			  "Content-Length: 0\r\n\r\n");
	int n = mk_req(req, sizeof(req), "SIP/2.0/TCP 127.0.0.1:5099", "g");
	CHECK(write(fd, bad, (size_t)nb) == nb);
	CHECK(write(fd, req, (size_t)n) == n);
	WAIT_FOR(e.loop, e.rx.n >= 2, 2000);
	CHECK_INT(e.rx.n, 2);
	CHECK_INT(e.rx.m[0].err, 400);
	CHECK_INT(e.rx.m[1].err, 0);
	CHECK_INT(stats(e.tp).conns, 1);
	/* no Content-Length on a stream (§18.3): boundaries lost, closed */
	static const char nolen[] = "OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\n"
				    "Via: SIP/2.0/TCP 127.0.0.1:5099\r\n"
				    "Call-ID: f@x\r\nCSeq: 2 OPTIONS\r\n\r\n";
	CHECK(write(fd, nolen, strlen(nolen)) == (ssize_t)strlen(nolen));
	char buf[64];
	ssize_t r = recv_pump(e.loop, fd, buf, sizeof(buf), 2000);
	CHECK(r == 0 || r == -ECONNRESET);
	CHECK_INT(e.rx.n, 3);
	CHECK_INT(e.rx.m[2].err, 400);
	close(fd);
	env_close(&e);
}

TEST(tp_tcp_max_conns)
{
	const struct sip_tp_conf conf = {.max_conns = 1};
	struct env e;
	struct sockaddr_storage ls;
	char buf[64];
	CHECK(env_open(&e, &conf, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int a = plain_connect(&e.addr);
	CHECK(a >= 0);
	WAIT_FOR(e.loop, stats(e.tp).conns == 1, 2000);
	int b = plain_connect(&e.addr);
	CHECK(b >= 0);
	ssize_t r = recv_pump(e.loop, b, buf, sizeof(buf), 2000);
	CHECK(r == 0 || r == -ECONNRESET); /* refused */
	CHECK_INT(stats(e.tp).conns, 1);
	/* no outgoing connection either */
	int lfd = plain_sock(SOCK_STREAM, "127.0.0.1", 0, &ls);
	CHECK(lfd >= 0);
	struct sip_peer to = {.proto = SIP_PROTO_TCP, .conn_id = 0};
	to.remote = ls;
	CHECK_INT(sip_tp_send(e.tp, &to, "x", 1), -ENOTCONN);
	close(lfd);
	close(a);
	close(b);
	env_close(&e);
}

/* §18.2.2: a reliable transport whose connection is gone connects to the
 * received address and the sent-by port. */
TEST(tp_tcp_response_reconnects)
{
	struct env e;
	struct sockaddr_storage ls;
	char via[128], buf[256];
	CHECK(env_open(&e, NULL, SIP_PROTO_TCP, "127.0.0.1") == 0);
	int lfd = plain_sock(SOCK_STREAM, "127.0.0.1", 0, &ls);
	CHECK(lfd >= 0);
	snprintf(via, sizeof(via),
		 "SIP/2.0/TCP 192.0.2.1:%u;received=127.0.0.1;branch=z9hG4bKr",
		 port_of(&ls));
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, pl_from(via)), 0);
	struct sip_peer src = {.proto = SIP_PROTO_TCP, .conn_id = 4242};
	src.remote = sa("127.0.0.1", 40000);
	static const char ok[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(sip_tp_send_response(e.tp, &v, &src, ok, strlen(ok)), 0);
	int afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0);
	ssize_t r = recv_all(e.loop, afd, buf, strlen(ok), 2000);
	CHECK_INT(r, (ssize_t)strlen(ok));
	close(afd);
	close(lfd);
	env_close(&e);
}

/* --- UDP response routing (RFC 3261 §18.2.2, RFC 3581 §4) ----------------- */

TEST(tp_udp_response_routing_table)
{
	struct env e;
	struct sockaddr_storage as, bs;
	char via[160], buf[256];
	CHECK(env_open(&e, NULL, SIP_PROTO_UDP, "127.0.0.1") == 0);
	int a = plain_sock(SOCK_DGRAM, "127.0.0.1", 0, &as); /* source */
	int b = plain_sock(SOCK_DGRAM, "127.0.0.1", 0, &bs); /* sent-by */
	CHECK(a >= 0 && b >= 0);
	unsigned pa = port_of(&as), pb = port_of(&bs);
	const struct {
		const char *host;   /* sent-by host; the port is b's */
		const char *params; /* Via params */
		const char *src;    /* source address of the request */
		char expect;	    /* 'a', 'b' */
	} rows[] = {
	    /* rport: the source address and port */
	    {"127.0.0.1", ";rport;branch=z9hG4bK1", "127.0.0.1", 'a'},
	    /* no rport: the source address, the sent-by port */
	    {"127.0.0.1", ";branch=z9hG4bK2", "127.0.0.1", 'b'},
	    /* received wins over the source address */
	    {"192.0.2.1", ";received=127.0.0.1;branch=z9hG4bK3", "127.0.0.3",
	     'b'},
	    {"192.0.2.1", ";received=127.0.0.1;rport", "127.0.0.3", 'a'},
	    /* a numeric maddr with the sent-by port, even with rport */
	    {"192.0.2.1", ";maddr=127.0.0.1;rport", "127.0.0.3", 'b'},
	    /* an maddr name cannot be used here: ignored */
	    {"127.0.0.1", ";maddr=mc.example.com", "127.0.0.1", 'b'},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sip_via v;
		char body[32];
		snprintf(via, sizeof(via), "SIP/2.0/UDP %s:%u%s", rows[i].host,
			 pb, rows[i].params);
		CHECK_INT(sip_via_parse(&v, pl_from(via)), 0);
		struct sip_peer src = {.proto = SIP_PROTO_UDP, .conn_id = 0};
		src.remote = sa(rows[i].src, (uint16_t)pa);
		src.local = e.addr;
		int bl = snprintf(body, sizeof(body), "row %zu", i);
		CHECK_INT(
		    sip_tp_send_response(e.tp, &v, &src, body, (size_t)bl), 0);
		int want = rows[i].expect == 'a' ? a : b;
		int other = rows[i].expect == 'a' ? b : a;
		ssize_t r = recv_pump(e.loop, want, buf, sizeof(buf), 1000);
		if (r != bl || memcmp(buf, body, (size_t)bl) != 0) {
			t_fail(__FILE__, __LINE__, "row %zu (%s): got %zd", i,
			       via, r);
			return;
		}
		r = recv(other, buf, sizeof(buf), MSG_DONTWAIT);
		if (r >= 0) {
			t_fail(__FILE__, __LINE__, "row %zu: also at %c", i,
			       rows[i].expect == 'a' ? 'b' : 'a');
			return;
		}
	}
	/* sent-by without a port: 5060 (checked if 5060 is free here) */
	struct sockaddr_storage cs;
	int c = plain_sock(SOCK_DGRAM, "127.0.0.1", 5060, &cs);
	if (c >= 0) {
		struct sip_via v;
		CHECK_INT(sip_via_parse(&v, PL("SIP/2.0/UDP 127.0.0.1")), 0);
		struct sip_peer src = {.proto = SIP_PROTO_UDP, .conn_id = 0};
		src.remote = sa("127.0.0.1", (uint16_t)pa);
		CHECK_INT(sip_tp_send_response(e.tp, &v, &src, "d", 1), 0);
		CHECK_INT(recv_pump(e.loop, c, buf, sizeof(buf), 1000), 1);
		close(c);
	} else {
		printf("     note: 127.0.0.1:5060 busy; default-port row "
		       "skipped\n");
	}
	close(a);
	close(b);
	env_close(&e);
}

/* --- TLS ------------------------------------------------------------------ */

static int add_ext(X509 *x, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	if (!ext)
		return -1;
	int r = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return r;
}

/* Writes a PEM object to a new temporary file; path gets its name. */
static int write_pem(char *path, size_t cap, X509 *x, EVP_PKEY *k)
{
	snprintf(path, cap, "/tmp/t_sip_tp_XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	int ok = x ? PEM_write_X509(f, x)
		   : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

/* A self-signed P-256 certificate for 127.0.0.1 and its key, in PEM
 * files under /tmp. */
static int make_cert(const char *cn, char *cert, char *key, size_t cap)
{
	static long serial = 1;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	int r = -1;
	if (!k || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    add_ext(x, NID_subject_alt_name, "IP:127.0.0.1") ||
	    X509_sign(x, k, EVP_sha256()) <= 0)
		goto out;
	if (write_pem(cert, cap, x, NULL) || write_pem(key, cap, NULL, k))
		goto out;
	r = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

TEST(tp_tls_roundtrip_verified)
{
	char cert[64], key[64], req[1024];
	CHECK(make_cert("gw-test", cert, key, sizeof(cert)) == 0);
	const struct sip_tp_conf sconf = {.tls_cert = cert, .tls_key = key};
	const struct sip_tp_conf cconf = {.tls_ca = cert};
	struct env s;
	struct rx crx;
	struct sip_tp *client;
	memset(&crx, 0, sizeof(crx));
	CHECK(env_open(&s, &sconf, SIP_PROTO_TLS, "127.0.0.1") == 0);
	CHECK(sip_tp_new(&client, s.loop, &cconf, &handlers, &crx) == 0);
	int n = mk_req(req, sizeof(req), "SIP/2.0/TLS 127.0.0.1:5061", "t1");
	struct sip_peer to = {.proto = SIP_PROTO_TLS, .conn_id = 0};
	to.remote = s.addr;
	/* two messages queued before the handshake completes */
	CHECK_INT(sip_tp_send(client, &to, req, (size_t)n), 0);
	CHECK_INT(sip_tp_send(client, &to, req, (size_t)n), 0);
	WAIT_FOR(s.loop, s.rx.n >= 2, 3000);
	CHECK_INT(s.rx.n, 2);
	CHECK_MEM(s.rx.m[0].data, s.rx.m[0].len, req);
	CHECK_INT(s.rx.m[0].peer.proto, SIP_PROTO_TLS);
	CHECK(s.rx.m[0].peer.conn_id != 0);
	/* the answer goes back over the same TLS connection */
	struct sip_msg m;
	struct sip_via v;
	CHECK_INT(top_via(s.rx.m[0].data, &m, &v), 0);
	static const char ok[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS "
				 "127.0.0.1:5061\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(
	    sip_tp_send_response(s.tp, &v, &s.rx.m[0].peer, ok, strlen(ok)), 0);
	WAIT_FOR(s.loop, crx.n >= 1, 3000);
	CHECK_INT(crx.n, 1);
	CHECK_MEM(crx.m[0].data, crx.m[0].len, ok);
	CHECK_INT(crx.m[0].peer.conn_id, to.conn_id);
	CHECK_INT(crx.m[0].peer.proto, SIP_PROTO_TLS);
	/* and once more on the open connection */
	CHECK_INT(sip_tp_send(client, &to, req, (size_t)n), 0);
	WAIT_FOR(s.loop, s.rx.n >= 3, 3000);
	CHECK_INT(s.rx.n, 3);
	CHECK_INT(s.rx.m[2].peer.conn_id, s.rx.m[0].peer.conn_id);
	CHECK_INT(stats(client).conns, 1);
	CHECK_INT(stats(s.tp).conns, 1);
	sip_tp_free(client);
	env_close(&s);
	unlink(cert);
	unlink(key);
}

TEST(tp_tls_verification)
{
	char cert[64], key[64], cert2[64], key2[64], req[1024];
	CHECK(make_cert("gw-a", cert, key, sizeof(cert)) == 0);
	CHECK(make_cert("gw-b", cert2, key2, sizeof(cert2)) == 0);
	const struct sip_tp_conf sconf = {.tls_cert = cert, .tls_key = key};
	const struct sip_tp_conf wrong = {.tls_ca = cert2};
	const struct sip_tp_conf noverify = {.tcp_connect_ms = 2000};
	struct env s;
	struct rx crx;
	struct sip_tp *client;
	CHECK(env_open(&s, &sconf, SIP_PROTO_TLS, "127.0.0.1") == 0);
	int n = mk_req(req, sizeof(req), "SIP/2.0/TLS 127.0.0.1:5061", "t2");
	/* a CA that did not sign the server's certificate: nothing goes */
	memset(&crx, 0, sizeof(crx));
	CHECK(sip_tp_new(&client, s.loop, &wrong, &handlers, &crx) == 0);
	struct sip_peer to = {.proto = SIP_PROTO_TLS, .conn_id = 0};
	to.remote = s.addr;
	CHECK_INT(sip_tp_send(client, &to, req, (size_t)n), 0);
	WAIT_FOR(s.loop, stats(client).conns == 0, 3000);
	CHECK_INT(stats(client).conns, 0);
	pump(s.loop, 50);
	CHECK_INT(s.rx.n, 0);
	sip_tp_free(client);
	/* without a CA, no verification: it goes */
	CHECK(sip_tp_new(&client, s.loop, &noverify, &handlers, &crx) == 0);
	to.conn_id = 0;
	CHECK_INT(sip_tp_send(client, &to, req, (size_t)n), 0);
	WAIT_FOR(s.loop, s.rx.n >= 1, 3000);
	CHECK_INT(s.rx.n, 1);
	sip_tp_free(client);
	env_close(&s);
	unlink(cert);
	unlink(key);
	unlink(cert2);
	unlink(key2);
}

TEST(tp_tls_listen_errors)
{
	char cert[64], key[64], cert2[64], key2[64], err[512];
	struct loop *l;
	struct sip_tp *tp;
	struct rx rx;
	CHECK(make_cert("gw-c", cert, key, sizeof(cert)) == 0);
	CHECK(make_cert("gw-d", cert2, key2, sizeof(cert2)) == 0);
	CHECK(loop_new(&l) == 0);
	/* a certificate that does not exist */
	const struct sip_tp_conf missing = {.tls_cert = "/nonexistent/gw.pem",
					    .tls_key = key};
	CHECK(sip_tp_new(&tp, l, &missing, &handlers, &rx) == 0);
	err[0] = '\0';
	CHECK(sip_tp_listen(tp, SIP_PROTO_TLS, "127.0.0.1", 0, err,
			    sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/gw.pem") != NULL);
	CHECK(strstr(err, "No such file") != NULL);
	struct sockaddr_storage ss;
	CHECK_INT(sip_tp_local(tp, SIP_PROTO_TLS, AF_UNSPEC, &ss), -ENOENT);
	sip_tp_free(tp);
	/* a key that is not the certificate's */
	const struct sip_tp_conf mismatch = {.tls_cert = cert, .tls_key = key2};
	CHECK(sip_tp_new(&tp, l, &mismatch, &handlers, &rx) == 0);
	CHECK(sip_tp_listen(tp, SIP_PROTO_TLS, "127.0.0.1", 0, err,
			    sizeof(err)) < 0);
	CHECK(strstr(err, key2) != NULL);
	sip_tp_free(tp);
	/* no certificate configured */
	CHECK(sip_tp_new(&tp, l, NULL, &handlers, &rx) == 0);
	CHECK(sip_tp_listen(tp, SIP_PROTO_TLS, "127.0.0.1", 0, err,
			    sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "tls_cert") != NULL);
	/* a host name is not a listen address */
	CHECK(sip_tp_listen(tp, SIP_PROTO_UDP, "localhost", 0, err,
			    sizeof(err)) == -EINVAL);
	sip_tp_free(tp);
	/* a CA file that cannot be read fails sip_tp_new */
	const struct sip_tp_conf badca = {.tls_ca = "/nonexistent/ca.pem"};
	tp = NULL;
	CHECK(sip_tp_new(&tp, l, &badca, &handlers, &rx) == -EINVAL);
	CHECK(tp == NULL);
	loop_free(l);
	unlink(cert);
	unlink(key);
	unlink(cert2);
	unlink(key2);
}

/* Freeing with connections in every state leaks nothing (ASan). */
TEST(tp_free_with_open_connections)
{
	char cert[64], key[64];
	CHECK(make_cert("gw-e", cert, key, sizeof(cert)) == 0);
	const struct sip_tp_conf conf = {.tls_cert = cert, .tls_key = key};
	struct env e;
	CHECK(env_open(&e, &conf, SIP_PROTO_TLS, "127.0.0.1") == 0);
	char err[256];
	CHECK(sip_tp_listen(e.tp, SIP_PROTO_TCP, "127.0.0.1", 0, err,
			    sizeof(err)) == 0);
	CHECK(sip_tp_listen(e.tp, SIP_PROTO_UDP, "127.0.0.1", 0, err,
			    sizeof(err)) == 0);
	struct sockaddr_storage tcp;
	CHECK(sip_tp_local(e.tp, SIP_PROTO_TCP, AF_INET, &tcp) == 0);
	int a = plain_connect(&tcp);
	int b = plain_connect(&e.addr); /* TLS, handshake never done */
	CHECK(a >= 0 && b >= 0);
	struct sip_peer to = {.proto = SIP_PROTO_TLS, .conn_id = 0};
	to.remote = e.addr;
	CHECK_INT(sip_tp_send(e.tp, &to, "queued", 6), 0);
	pump(e.loop, 30);
	CHECK(stats(e.tp).conns >= 3);
	close(a); /* seen and closed on the next round */
	loop_run_once(e.loop, 5);
	env_close(&e);
	close(b);
	unlink(cert);
	unlink(key);
}
