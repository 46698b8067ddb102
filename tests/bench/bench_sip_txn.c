/*
 * Benchmark of the SIP transaction layer on a virtual loop with an io that
 * sends into a no-op: a complete INVITE server transaction (INVITE in,
 * 100, 180, 200 out, ACK in, Timer L, free), a complete INVITE client
 * transaction (send, 100/180/200 fed back, Timer M, free), and the cost
 * of a retransmission lookup plus a short non-INVITE transaction with 10
 * and with 10,000 other transactions live (it must not grow). Messages
 * are parsed once outside the timed loops; only their branch and Call-ID
 * bytes change per transaction (the layer's own copy and re-parse are
 * timed). Virtual time jumps past Timer L/M every 16 transactions (steady
 * state) or every 1000 (a burst of ends: glibc then trims and re-faults
 * the heap, which shows; then again with gwd's allocator settings,
 * gw/mem.c). Reference measured in the same run:
 * sip_msg_parse of the same INVITE alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "sip/sip_txn.h"

#define BATCH 16u   /* transactions between virtual-time jumps (steady) */
#define BURST 1000u /* the same with this many ending at once */

static const char invite_fmt[] =
    "%s sip:+493012345678@gw1.carrier.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%08x-%s;rport\r\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;received=198.51.100.7;"
    "branch=z9hG4bK776asdhds\r\n"
    "Record-Route: <sip:192.0.2.10;lr;ftag=as5f2a3b1c>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"Alice Example\" <sip:+4969111222@carrier.example.net;"
    "user=phone>;tag=as5f2a3b1c\r\n"
    "To: <sip:+493012345678@gw1.carrier.example.net;user=phone>%s\r\n"
    "Call-ID: %08x-b3m2k1x0q9z8@198.51.100.7\r\n"
    "CSeq: 102 %s\r\n"
    "Contact: <sip:+4969111222@198.51.100.7:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, "
    "PRACK, UPDATE\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: %zu\r\n\r\n%s";

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

/* A message parsed once whose id bytes are rewritten in place. */
struct pmsg {
	char buf[2048];
	size_t len;
	struct sip_msg m;
	char *id1, *id2; /* 8 hex digits each (branch, Call-ID) */
};

static struct sip_stx *last_st;
static unsigned long n_req, n_resp;
static volatile size_t sink;

static int io_send(void *arg, struct sip_peer *to, const void *buf, size_t len)
{
	(void)arg;
	(void)to;
	(void)buf;
	sink += len;
	return 0;
}

static int io_send_response(void *arg, const struct sip_via *top,
			    const struct sip_peer *src, const void *buf,
			    size_t len)
{
	(void)arg;
	(void)top;
	(void)src;
	(void)buf;
	sink += len;
	return 0;
}

static void on_request(void *arg, struct sip_stx *st, const struct sip_msg *m,
		       const struct sip_peer *src)
{
	(void)arg;
	(void)m;
	(void)src;
	last_st = st;
	n_req++;
}

static void on_response(void *arg, struct sip_ctx *ct, const struct sip_msg *m,
			int err)
{
	(void)arg;
	(void)ct;
	(void)m;
	(void)err;
	n_resp++;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void hex8(char *p, unsigned v)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 7; i >= 0; i--, v >>= 4)
		p[i] = hx[v & 15];
}

/* Prints a request (method, To tag suffix, body) and parses it. */
static int mk(struct pmsg *pm, const char *method, const char *to_suffix,
	      const char *branch_tail, bool body)
{
	size_t used;
	int n = snprintf(pm->buf, sizeof(pm->buf), invite_fmt, method, 0u,
			 branch_tail, to_suffix, 0u, method,
			 body ? sizeof(sdp) - 1 : (size_t)0, body ? sdp : "");
	if (n < 0 || (size_t)n >= sizeof(pm->buf))
		return -ENOSPC;
	pm->len = (size_t)n;
	if (sip_msg_parse(&pm->m, pm->buf, pm->len, false, &used) != 0)
		return -EBADMSG;
	pm->id1 = strstr(pm->buf, "z9hG4bK-") + 8;
	pm->id2 = strstr(pm->buf, "Call-ID: ") + 9;
	return 0;
}

static void set_id(struct pmsg *pm, unsigned id)
{
	hex8(pm->id1, id);
	hex8(pm->id2, id);
}

static struct sip_peer src_peer(enum sip_proto proto)
{
	struct sip_peer p;
	memset(&p, 0, sizeof(p));
	p.proto = proto;
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	inet_pton(AF_INET, "192.0.2.10", &sin->sin_addr);
	return p;
}

static int setup(struct loop **lp, struct sip_txn **tp, unsigned max)
{
	static const struct sip_txn_io io = {io_send, io_send_response, NULL};
	static const struct sip_txn_handlers h = {on_request, NULL, NULL};
	struct sip_txn_conf conf = {.max_txns = max};
	if (loop_new_virtual(lp, 1000000000ull) != 0)
		return -ENOMEM;
	return sip_txn_new(tp, *lp, &conf, &io, &h, NULL);
}

/* ---- reference: parsing the INVITE alone ---- */

static double bench_parse(const struct pmsg *inv, double secs)
{
	unsigned long n = 0;
	double t0 = now_s(), t;
	struct sip_msg m;
	size_t used;
	do {
		for (unsigned i = 0; i < BATCH; i++) {
			sip_msg_parse(&m, inv->buf, inv->len, false, &used);
			sink += m.n_hdr;
		}
		n += BATCH;
		t = now_s();
	} while (t - t0 < secs);
	return (t - t0) * 1e9 / (double)n;
}

/* ---- INVITE server transaction ---- */

static double bench_server(double secs, unsigned batch)
{
	struct loop *l;
	struct sip_txn *t;
	struct pmsg inv, ack;
	struct sip_peer src = src_peer(SIP_PROTO_UDP);
	unsigned long n = 0;
	unsigned id = 1;
	if (setup(&l, &t, 0) || mk(&inv, "INVITE", "", "s", true) ||
	    mk(&ack, "ACK", ";tag=uas1", "a", false))
		return -1;
	double t0 = now_s(), tn;
	do {
		for (unsigned i = 0; i < batch; i++, id++) {
			set_id(&inv, id);
			set_id(&ack, id);
			last_st = NULL;
			sip_txn_recv(t, &inv.m, &src);
			if (!last_st)
				return -1;
			sip_stx_respond(last_st, 100, NULL, NULL, NULL, NULL,
					NULL, 0);
			sip_stx_respond(last_st, 180, NULL, "uas1", NULL, NULL,
					NULL, 0);
			sip_stx_respond(last_st, 200, NULL, "uas1", NULL,
					"application/sdp", sdp,
					sizeof(sdp) - 1);
			sip_txn_recv(t, &ack.m, &src); /* to the TU */
		}
		loop_advance(l, 32000000000ull); /* Timer L: all end */
		n += batch;
		tn = now_s();
	} while (tn - t0 < secs);
	if (sip_txn_count(t) != 0)
		return -1;
	sip_txn_free(t);
	loop_free(l);
	return (tn - t0) * 1e9 / (double)n;
}

/* ---- INVITE client transaction ---- */

/* A response to our request with code; branch patched per transaction. */
static int mk_resp(struct pmsg *pm, const struct pmsg *req, unsigned code)
{
	size_t used;
	int n = sip_print_response(pm->buf, sizeof(pm->buf), &req->m, code,
				   NULL, code > 100 ? "uas1" : NULL);
	if (n < 0)
		return n;
	n = sip_print_end(pm->buf, sizeof(pm->buf), (size_t)n, NULL, 0);
	if (n < 0)
		return n;
	pm->len = (size_t)n;
	if (sip_msg_parse(&pm->m, pm->buf, pm->len, false, &used) != 0)
		return -EBADMSG;
	pm->id1 = strstr(pm->buf, "branch=") + 7;
	return 0;
}

static double bench_client(double secs, unsigned batch)
{
	struct loop *l;
	struct sip_txn *t;
	struct pmsg req, r100, r180, r200;
	struct sip_peer to = src_peer(SIP_PROTO_UDP);
	struct sip_peer from = to;
	unsigned long n = 0;
	char br[32];
	/* the same length as sip_txn_branch's */
	if (setup(&l, &t, 0) || mk(&req, "INVITE", "", "0123456789ab", true))
		return -1;
	char *rb = strstr(req.buf, "branch=") + 7;
	memcpy(rb, sip_txn_branch(t, br, sizeof(br)), 29);
	if (mk_resp(&r100, &req, 100) || mk_resp(&r180, &req, 180) ||
	    mk_resp(&r200, &req, 200))
		return -1;
	unsigned long resp0 = n_resp;
	double t0 = now_s(), tn;
	do {
		for (unsigned i = 0; i < batch; i++) {
			struct sip_ctx *ct;
			sip_txn_branch(t, br, sizeof(br));
			memcpy(rb, br, 29);
			memcpy(r100.id1, br, 29);
			memcpy(r180.id1, br, 29);
			memcpy(r200.id1, br, 29);
			if (sip_ctx_send(t, &ct, &to, req.buf, req.len,
					 on_response, NULL) != 0)
				return -1;
			sip_txn_recv(t, &r100.m, &from);
			sip_txn_recv(t, &r180.m, &from);
			sip_txn_recv(t, &r200.m, &from);
			sip_ctx_abandon(ct); /* the TU ACKs and moves on */
		}
		loop_advance(l, 32000000000ull); /* Timer M: all end */
		n += batch;
		tn = now_s();
	} while (tn - t0 < secs);
	if (sip_txn_count(t) != 0 || n_resp - resp0 != 3 * n)
		return -1;
	sip_txn_free(t);
	loop_free(l);
	return (tn - t0) * 1e9 / (double)n;
}

/* ---- scaling with live transactions ---- */

#define PROBES 1024u

/*
 * `live` INVITE server transactions in Proceeding (180 sent, no timer
 * armed). Timed, retx false: a complete OPTIONS transaction over TCP
 * (lookup that misses, merged-request check, insert, 200, J = 0, removal,
 * deferred free). retx true: a retransmitted INVITE of a random live
 * transaction (lookup that hits, 180 sent again); that one also touches
 * a random transaction's memory, so cache misses grow with `live`.
 */
static double bench_live(unsigned live, bool retx, double secs)
{
	struct loop *l;
	struct sip_txn *t;
	struct pmsg *probe = malloc(PROBES * sizeof(*probe)), opt;
	struct sip_peer udp = src_peer(SIP_PROTO_UDP);
	struct sip_peer tcp = src_peer(SIP_PROTO_TCP);
	unsigned long n = 0;
	if (!probe || setup(&l, &t, live + 16) ||
	    mk(&opt, "OPTIONS", "", "o", false))
		return -1;
	for (unsigned i = 0; i < live; i++) {
		if (mk(&probe[0], "INVITE", "", "l", true))
			return -1;
		set_id(&probe[0], i + 1);
		last_st = NULL;
		sip_txn_recv(t, &probe[0].m, &udp);
		if (!last_st || sip_stx_respond(last_st, 180, NULL, "u", NULL,
						NULL, NULL, 0) != 0)
			return -1;
	}
	srand(1);
	for (unsigned i = 0; i < PROBES; i++) {
		if (mk(&probe[i], "INVITE", "", "l", true))
			return -1;
		set_id(&probe[i], 1 + (unsigned)rand() % live);
	}
	unsigned long req0 = n_req;
	double t0 = now_s(), tn;
	do {
		for (unsigned i = 0; i < BATCH; i++) {
			if (retx) {
				sip_txn_recv(t, &probe[(n + i) % PROBES].m,
					     &udp);
				continue;
			}
			last_st = NULL;
			sip_txn_recv(t, &opt.m, &tcp);
			sip_stx_respond(last_st, 200, NULL, "o", NULL, NULL,
					NULL, 0);
			loop_advance(l, 0);
		}
		n += BATCH;
		tn = now_s();
	} while (tn - t0 < secs);
	bool ok = sip_txn_count(t) == live && n_req - req0 == (retx ? 0 : n);
	sip_txn_free(t);
	loop_free(l);
	free(probe);
	return ok ? (tn - t0) * 1e9 / (double)n : -1;
}

static void row(const char *what, double ns, double ref)
{
	printf("%-48s %8.0f ns %9.0f/s %5.1fx ref\n", what, ns, 1e9 / ns,
	       ns / ref);
}

int main(void)
{
	const double secs = 1.0;
	struct pmsg inv;
	if (mk(&inv, "INVITE", "", "s", true))
		return 1;
	printf("INVITE of %zu bytes, virtual loop, no-op io, 1 core\n",
	       inv.len);
	bench_parse(&inv, 0.2); /* warm up */
	double ref = bench_parse(&inv, secs);
	double srv = bench_server(secs, BATCH);
	double srv_b = bench_server(secs, BURST);
	double cli = bench_client(secs, BATCH);
	double cli_b = bench_client(secs, BURST);
	gw_mem_tune(); /* gwd's allocator settings, as in gw/main.c */
	double srv_t = bench_server(secs, BURST);
	double cli_t = bench_client(secs, BURST);
	double n10 = bench_live(10, false, secs);
	double n10k = bench_live(10000, false, secs);
	double r10 = bench_live(10, true, secs);
	double r10k = bench_live(10000, true, secs);
	if (srv < 0 || cli < 0 || srv_b < 0 || cli_b < 0 || srv_t < 0 ||
	    cli_t < 0 || n10 < 0 || n10k < 0 || r10 < 0 || r10k < 0) {
		fprintf(stderr, "bench_sip_txn: a run went wrong\n");
		return 1;
	}
	printf("%-48s %8.0f ns             1.0x ref\n",
	       "reference: sip_msg_parse of the INVITE", ref);
	row("INVITE server txn (INVITE,100,180,200,ACK,L)", srv, ref);
	row("  the same, 1000 ending at once (malloc trim)", srv_b, ref);
	row("  the same, with gwd's allocator settings", srv_t, ref);
	row("INVITE client txn (send,100,180,200,M)", cli, ref);
	row("  the same, 1000 ending at once (malloc trim)", cli_b, ref);
	row("  the same, with gwd's allocator settings", cli_t, ref);
	row("OPTIONS server txn over TCP, 10 live", n10, ref);
	row("OPTIONS server txn over TCP, 10,000 live", n10k, ref);
	row("INVITE retransmission lookup, 10 live", r10, ref);
	row("INVITE retransmission lookup, 10,000 live", r10k, ref);
	printf("10,000 vs 10 live: new txn %.2fx, retransmission %.2fx "
	       "(a linear scan would be ~1000x)\n",
	       n10k / n10, r10k / r10);
	return 0;
}
