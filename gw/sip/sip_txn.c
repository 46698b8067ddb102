/*
 * The SIP transaction layer (RFC 3261 §17): creation and teardown, the
 * dispatch of every received message to a server transaction (§17.2.3
 * matching), a client transaction (§17.1.3) or the TU, the answers the
 * layer gives by itself without a transaction (framing errors, missing
 * headers: 400; CANCEL matching nothing: 481; merged requests: 482;
 * overload: 503), the hash indexes that make matching independent of the
 * number of live transactions, and branch generation (§8.1.1.7).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "sip/sip_txn_int.h"

#define TXN_FNV_BASIS	  2166136261u
#define TXN_FNV_PRIME	  16777619u
#define TXN_HTAB_MIN	  64u /* initial buckets */
#define TXN_RETRY_AFTER_S 5u  /* Retry-After of our 503 (§21.5.4) */

/* Limits for re-parsing a private copy: the transport already applied its
 * own, which may be wider than sip_limits_default. */
const struct sip_limits txn_copy_limits = {
    .max_msg_bytes = SIZE_MAX,
    .max_body_bytes = SIZE_MAX,
    .max_hdr_bytes = SIZE_MAX,
    .max_hdrs = SIP_MSG_HDR_CAP,
    .max_via = UINT_MAX,
};

/* ---- hashing and the intrusive hash table ---- */

/* FNV-1a over n bytes, continuing from h. */
uint32_t txn_hash(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= TXN_FNV_PRIME;
	}
	return h;
}

/* As txn_hash, over the ASCII lower case of the bytes (host names). */
uint32_t txn_hash_lower(const void *p, size_t n, uint32_t h)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= sip_lower(s[i]);
		h *= TXN_FNV_PRIME;
	}
	return h;
}

/* Key of the branch indexes: branch, sent-by host and port (§17.2.3). */
uint32_t txn_branch_hash(const struct sip_txn *t, const struct sip_via *v)
{
	uint32_t h = txn_hash(v->branch.p, v->branch.l, t->hseed);
	return txn_hash_lower(v->host.p, v->host.l, h) ^ v->port;
}

/* Key of the dialog index: Call-ID and CSeq number. */
uint32_t txn_dlg_hash(const struct sip_txn *t, struct pl callid, uint32_t cseq)
{
	uint32_t h = txn_hash(callid.p, callid.l, t->hseed);
	return txn_hash(&cseq, sizeof(cseq), h);
}

static int htab_init(struct txn_htab *ht)
{
	ht->b = calloc(TXN_HTAB_MIN, sizeof(*ht->b));
	if (!ht->b)
		return -ENOMEM;
	ht->nb = TXN_HTAB_MIN;
	ht->n = 0;
	return 0;
}

/* Doubles the buckets; on allocation failure chains just get longer. */
static void htab_grow(struct txn_htab *ht)
{
	unsigned nb = ht->nb * 2;
	struct txn_hnode **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (unsigned i = 0; i < ht->nb; i++) {
		struct txn_hnode *hn = ht->b[i], *next;
		for (; hn; hn = next) {
			next = hn->next;
			hn->next = b[hn->hash & (nb - 1)];
			b[hn->hash & (nb - 1)] = hn;
		}
	}
	free(ht->b);
	ht->b = b;
	ht->nb = nb;
}

/* Inserts hn (not yet linked) for obj under hash. */
void txn_htab_add(struct txn_htab *ht, struct txn_hnode *hn, uint32_t hash,
		  void *obj)
{
	if (ht->n >= ht->nb)
		htab_grow(ht);
	hn->hash = hash;
	hn->obj = obj;
	hn->next = ht->b[hash & (ht->nb - 1)];
	ht->b[hash & (ht->nb - 1)] = hn;
	hn->linked = true;
	ht->n++;
}

/* Removes hn if linked. */
void txn_htab_del(struct txn_htab *ht, struct txn_hnode *hn)
{
	if (!hn->linked)
		return;
	for (struct txn_hnode **pp = &ht->b[hn->hash & (ht->nb - 1)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == hn) {
			*pp = hn->next;
			break;
		}
	}
	hn->linked = false;
	hn->next = NULL;
	ht->n--;
}

/* The chain that holds entries of `hash`; callers compare hn->hash. */
struct txn_hnode *txn_htab_first(const struct txn_htab *ht, uint32_t hash)
{
	return ht->b[hash & (ht->nb - 1)];
}

/* Adds l to the list of every transaction of t. */
void txn_link_add(struct sip_txn *t, struct txn_link *l)
{
	l->next = t->all.next;
	l->prev = &t->all;
	t->all.next->prev = l;
	t->all.next = l;
}

/* Removes l from that list. */
void txn_link_del(struct txn_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

/* ---- message helpers ---- */

/* Whether two requests have the same method (tokens for extensions). */
bool txn_method_eq(const struct sip_msg *a, const struct sip_msg *b)
{
	if (a->method != b->method)
		return false;
	return a->method != SIP_METHOD_OTHER ||
	       pl_eq(a->method_pl, b->method_pl);
}

/*
 * Reads the headers transactions are matched by. Returns 0, or -EBADMSG
 * when one is missing or malformed (k->via_ok tells whether the top Via
 * at least is usable, i.e. whether a response can be routed).
 */
int txn_keys_get(const struct sip_msg *m, struct txn_keys *k)
{
	struct sip_addr a;
	memset(k, 0, sizeof(*k));
	k->via_ok = sip_msg_via(m, &k->via) == 0;
	if (!k->via_ok)
		return -EBADMSG;
	k->rfc3261 =
	    k->via.branch.l > strlen(SIP_TXN_MAGIC) &&
	    memcmp(k->via.branch.p, SIP_TXN_MAGIC, strlen(SIP_TXN_MAGIC)) == 0;
	if (sip_msg_callid(m, &k->callid) != 0 ||
	    sip_msg_cseq(m, &k->cseq) != 0)
		return -EBADMSG;
	if (sip_msg_from(m, &a) != 0)
		return -EBADMSG;
	k->from_tag = a.tag;
	if (sip_msg_to(m, &a) != 0)
		return -EBADMSG;
	k->to_tag = a.tag;
	/* §8.2.3 / §20.16: the CSeq method equals the request's */
	if (m->request && (k->cseq.method != m->method ||
			   (m->method == SIP_METHOD_OTHER &&
			    !pl_eq(k->cseq.method_pl, m->method_pl))))
		return -EBADMSG;
	k->ok = true;
	return 0;
}

/*
 * What the top Via of a response must get (RFC 3261 §18.2.1): received
 * when the source address is not the sent-by host, always when rport is
 * present (RFC 3581 §4), and the source port for an empty rport.
 */
void txn_received(const struct sip_via *v, const struct sip_peer *src,
		  char *received, size_t cap, int *rport)
{
	const struct sockaddr_storage *ss = &src->remote;
	const void *addr;
	size_t alen;
	int port;
	char host[INET6_ADDRSTRLEN];
	unsigned char bin[16];

	received[0] = '\0';
	*rport = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		addr = &sin->sin_addr;
		alen = 4;
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		addr = &s6->sin6_addr;
		alen = 16;
		port = ntohs(s6->sin6_port);
	} else {
		return;
	}
	if (!inet_ntop(ss->ss_family, addr, received, (socklen_t)cap)) {
		received[0] = '\0';
		return;
	}
	if (v->rport.p) {
		if (v->rport.l == 0)
			*rport = port;
		return;
	}
	if (v->host.l < sizeof(host)) {
		pl_strcpy(v->host, host, sizeof(host));
		if (inet_pton(ss->ss_family, host, bin) == 1 &&
		    memcmp(bin, addr, alen) == 0)
			received[0] = '\0';
	}
}

/*
 * Prints a complete response to m into a new buffer (*out, malloc'd):
 * the copied headers with the top Via edited, hdrs, Content-Type when
 * there is a body, Content-Length and the body. Returns the length or
 * -errno.
 */
int txn_print_response(char **out, const struct sip_msg *m, unsigned code,
		       const char *reason, const char *to_tag,
		       const char *received, int rport, const char *hdrs,
		       const char *ctype, const void *body, size_t body_len)
{
	size_t cap = m->len + body_len + 256;
	cap += (hdrs ? strlen(hdrs) : 0) + (ctype ? strlen(ctype) : 0);
	cap += (reason ? strlen(reason) : 0) + (to_tag ? strlen(to_tag) : 0);
	for (int tries = 0; tries < 4; tries++, cap *= 2) {
		char *buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		int n = sip_print_response_via(buf, cap, m, code, reason,
					       to_tag, received, rport);
		if (n >= 0 && hdrs && *hdrs)
			n = sip_print_append(buf, cap, (size_t)n, "%s", hdrs);
		if (n >= 0 && body_len)
			n = sip_print_append(buf, cap, (size_t)n,
					     "Content-Type: %s\r\n", ctype);
		if (n >= 0)
			n = sip_print_end(buf, cap, (size_t)n, body, body_len);
		if (n >= 0) {
			*out = buf;
			return n;
		}
		free(buf);
		if (n != -ENOSPC)
			return n;
	}
	return -ENOSPC;
}

/*
 * A To tag for a response the layer sends without a transaction: derived
 * from the request bytes so that a retransmission gets the same tag
 * (§8.2.7 asks stateless UASs for that).
 */
void txn_stateless_tag(const struct sip_txn *t, const struct sip_msg *m,
		       char *buf, size_t cap)
{
	uint32_t a = txn_hash(m->buf, m->len, t->hseed);
	uint32_t b = txn_hash(m->buf, m->len, a ^ 0x5bd1e995u);
	snprintf(buf, cap, "%08x%08x", (unsigned)a, (unsigned)b);
}

/*
 * Answers m without a transaction (§8.2.7, §9.2, §8.2.2.2): the response
 * goes to the top Via through io->send_response. Returns 0 or -errno.
 */
int txn_respond_stateless(struct sip_txn *t, const struct sip_msg *m,
			  const struct sip_via *top, const struct sip_peer *src,
			  unsigned code, const char *reason, const char *hdrs)
{
	char received[INET6_ADDRSTRLEN], tag[24];
	int rport;
	char *buf;
	txn_received(top, src, received, sizeof(received), &rport);
	txn_stateless_tag(t, m, tag, sizeof(tag));
	int n = txn_print_response(&buf, m, code, reason, tag,
				   received[0] ? received : NULL, rport, hdrs,
				   NULL, NULL, 0);
	if (n < 0)
		return n;
	int r = t->io.send_response(t->io.arg, top, src, buf, (size_t)n);
	free(buf);
	return r < 0 ? r : 0;
}

/* ---- the layer ---- */

/* Refills the branch pool from the kernel CSPRNG. */
static void rnd_refill(struct sip_txn *t)
{
	size_t got = 0;
	while (got < sizeof(t->rnd)) {
		ssize_t r = getrandom(t->rnd + got, sizeof(t->rnd) - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	/* Never seen on Linux >= 3.17; keep branches unique regardless
	 * (splitmix64 over the clock and a counter). */
	for (; got < sizeof(t->rnd); got++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t c = ++t->rnd_ctr;
		uint64_t z =
		    (uint64_t)ts.tv_nsec + (c << 32) + 0x9e3779b97f4a7c15u * c;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		t->rnd[got] = (uint8_t)(z ^ (z >> 31));
	}
	t->rnd_used = 0;
}

static uint8_t rnd_byte(struct sip_txn *t)
{
	if (t->rnd_used >= sizeof(t->rnd))
		rnd_refill(t);
	return t->rnd[t->rnd_used++];
}

int sip_txn_new(struct sip_txn **tp, struct loop *loop,
		const struct sip_txn_conf *conf, const struct sip_txn_io *io,
		const struct sip_txn_handlers *h, void *arg)
{
	if (!tp || !loop || !io || !io->send || !io->send_response)
		return -EINVAL;
	struct sip_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->io = *io;
	if (h)
		t->h = *h;
	t->arg = arg;
	t->t1_ms = conf && conf->t1_ms ? conf->t1_ms : 500;
	t->t2_ms = conf && conf->t2_ms ? conf->t2_ms : 4000;
	t->t4_ms = conf && conf->t4_ms ? conf->t4_ms : 5000;
	t->max_txns = conf && conf->max_txns ? conf->max_txns : 65536;
	t->all.next = t->all.prev = &t->all;
	if (htab_init(&t->stx_branch) || htab_init(&t->stx_dlg) ||
	    htab_init(&t->ctx_branch)) {
		free(t->stx_branch.b);
		free(t->stx_dlg.b);
		free(t->ctx_branch.b);
		free(t);
		return -ENOMEM;
	}
	rnd_refill(t);
	for (int i = 0; i < 4; i++)
		t->hseed = (t->hseed << 8) | rnd_byte(t);
	*tp = t;
	return 0;
}

void sip_txn_free(struct sip_txn *t)
{
	if (!t)
		return;
	while (t->all.next != &t->all) {
		struct txn_link *l = t->all.next;
		txn_link_del(l);
		if (l->server)
			stx_destroy(
			    (struct sip_stx *)((char *)l -
					       offsetof(struct sip_stx, all)));
		else
			ctx_destroy(
			    (struct sip_ctx *)((char *)l -
					       offsetof(struct sip_ctx, all)));
	}
	free(t->stx_branch.b);
	free(t->stx_dlg.b);
	free(t->ctx_branch.b);
	free(t);
}

const char *sip_txn_branch(struct sip_txn *t, char *buf, size_t cap)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-.";
	size_t magic = strlen(SIP_TXN_MAGIC);
	if (cap < magic + 23) {
		if (cap)
			buf[0] = '\0';
		return buf;
	}
	memcpy(buf, SIP_TXN_MAGIC, magic);
	for (size_t i = 0; i < 22; i++) /* 22 x 6 bits = 132 random bits */
		buf[magic + i] = abc[rnd_byte(t) & 63];
	buf[magic + 22] = '\0';
	return buf;
}

unsigned sip_txn_t1_ms(const struct sip_txn *t)
{
	return t->t1_ms;
}

unsigned sip_txn_t2_ms(const struct sip_txn *t)
{
	return t->t2_ms;
}

unsigned sip_txn_count(const struct sip_txn *t)
{
	return t->live;
}

/* ---- received requests ---- */

/*
 * A request the layer answers itself because it cannot be processed:
 * framing errors (their status, §8.2 / RFC 3261 §21.4) or missing
 * mandatory headers (400, §8.1.1). ACKs are never answered; a request
 * without a usable top Via cannot be routed and is dropped.
 */
static void recv_bad(struct sip_txn *t, const struct sip_msg *m,
		     const struct sip_peer *src)
{
	struct sip_via top;
	if (!m->request || !m->hdrs_ok || m->method == SIP_METHOD_ACK)
		return;
	if (sip_msg_via(m, &top) != 0)
		return;
	if (m->err_status)
		txn_respond_stateless(t, m, &top, src, m->err_status,
				      m->err_reason, NULL);
	else
		txn_respond_stateless(t, m, &top, src, 400,
				      "Missing or Bad Mandatory Header", NULL);
}

/* 503 with Retry-After when the table is full (§21.5.4). */
static void recv_overload(struct sip_txn *t, const struct sip_msg *m,
			  const struct txn_keys *k, const struct sip_peer *src)
{
	char hdr[40];
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", TXN_RETRY_AFTER_S);
	txn_respond_stateless(t, m, &k->via, src, 503, NULL, hdr);
}

/*
 * ACK: for a non-2xx final it belongs to the INVITE server transaction
 * (§17.2.1); for a 2xx, or matching nothing, it goes to the TU with st
 * NULL (§13.3.1.4, RFC 6026 §8.7 for Accepted).
 */
static void recv_ack(struct sip_txn *t, const struct sip_msg *m,
		     const struct txn_keys *k, const struct sip_peer *src)
{
	struct sip_stx *st = stx_match(t, m, k, false);
	if (st && st->state != STX_ACCEPTED) {
		stx_ack(st, m, src);
		return;
	}
	if (t->h.request)
		t->h.request(t->arg, NULL, m, src);
}

/* A request that matched no transaction. */
static void recv_new(struct sip_txn *t, const struct sip_msg *m,
		     const struct txn_keys *k, const struct sip_peer *src)
{
	struct sip_stx *st;
	/* §8.2.2.2 merged requests */
	if (!pl_isset(k->to_tag) && stx_merged(t, m, k)) {
		txn_respond_stateless(t, m, &k->via, src, 482, NULL, NULL);
		return;
	}
	if (t->live >= t->max_txns) {
		recv_overload(t, m, k, src);
		return;
	}
	if (stx_create(t, m, src, &st) != 0) {
		recv_overload(t, m, k, src);
		return;
	}
	if (t->h.request)
		t->h.request(t->arg, st, m, src);
}

void sip_txn_recv(struct sip_txn *t, const struct sip_msg *m,
		  const struct sip_peer *src)
{
	struct txn_keys k;
	if (!m->request) {
		if (!m->err_status)
			ctx_recv_response(t, m, src);
		return;
	}
	if (m->err_status || txn_keys_get(m, &k) != 0) {
		recv_bad(t, m, src);
		return;
	}
	if (m->method == SIP_METHOD_ACK) {
		recv_ack(t, m, &k, src);
		return;
	}
	struct sip_stx *st = stx_match(t, m, &k, false);
	if (st) {
		stx_retransmission(st);
		return;
	}
	if (m->method == SIP_METHOD_CANCEL) {
		if (t->live >= t->max_txns)
			recv_overload(t, m, &k, src);
		else
			stx_cancel(t, m, &k, src);
		return;
	}
	recv_new(t, m, &k, src);
}
