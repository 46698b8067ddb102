/*
 * SIP transports, core part (RFC 3261 §18): the transport object and its
 * listeners, UDP receive and send, the routing of responses by the top
 * Via (§18.2.2, RFC 3581), next hops of numeric URIs, and the address
 * helpers, and the TLS contexts. Stream connections (TCP, TLS) live in
 * sip_tp_stream.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "sip/sip_tp_int.h"

/* Datagrams read per readiness event before letting other sockets run;
 * epoll is level-triggered, so the rest is read on the next round. */
#define TP_UDP_BURST 256

/* --- small helpers -------------------------------------------------------- */

int tp_buf_add(struct tp_buf *b, const void *p, size_t n, size_t max)
{
	size_t pending = b->len - b->off;
	if (n > max || pending > max - n)
		return -ENOBUFS;
	if (b->off && b->len + n > b->cap) {
		memmove(b->p, b->p + b->off, pending);
		b->off = 0;
		b->len = pending;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void tp_buf_drop(struct tp_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void tp_buf_free(struct tp_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

socklen_t tp_sa_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (ss->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

bool tp_sa_equal(const struct sockaddr_storage *a,
		 const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

int tp_sa_parse(struct pl host, uint16_t port, struct sockaddr_storage *ss)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	if (host.l > 2 && host.p[0] == '[' && host.p[host.l - 1] == ']') {
		host.p++;
		host.l -= 2;
	}
	if (!host.p || !host.l || host.l >= sizeof(tmp))
		return -EINVAL;
	pl_strcpy(host, tmp, sizeof(tmp));
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, tmp, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

const char *sip_sa_host(const struct sockaddr_storage *ss, char *buf,
			size_t cap)
{
	const void *a = NULL;
	if (!cap)
		return buf;
	buf[0] = '\0';
	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (a && !inet_ntop(ss->ss_family, a, buf, (socklen_t)cap))
		buf[0] = '\0';
	return buf;
}

uint16_t sip_sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

const char *sip_sa_hostport(const struct sockaddr_storage *ss, char *buf,
			    size_t cap)
{
	char h[INET6_ADDRSTRLEN];
	sip_sa_host(ss, h, sizeof(h));
	if (ss->ss_family == AF_INET6)
		snprintf(buf, cap, "[%s]:%u", h, sip_sa_port(ss));
	else
		snprintf(buf, cap, "%s:%u", h, sip_sa_port(ss));
	return buf;
}

const char *sip_proto_name(enum sip_proto p)
{
	switch (p) {
	case SIP_PROTO_UDP:
		return "UDP";
	case SIP_PROTO_TCP:
		return "TCP";
	case SIP_PROTO_TLS:
		return "TLS";
	}
	return "?";
}

int sip_proto_parse(struct pl name, enum sip_proto *p)
{
	if (sip_pl_ieq(name, "udp"))
		*p = SIP_PROTO_UDP;
	else if (sip_pl_ieq(name, "tcp"))
		*p = SIP_PROTO_TCP;
	else if (sip_pl_ieq(name, "tls"))
		*p = SIP_PROTO_TLS;
	else
		return -EPROTONOSUPPORT;
	return 0;
}

/* RFC 3261 §18.1.1 / §26.2.1: 5060, and 5061 for TLS. */
static uint16_t default_port(enum sip_proto p)
{
	return p == SIP_PROTO_TLS ? 5061 : 5060;
}

/* --- TLS contexts (RFC 3261 §26.2) ---------------------------------------- */

void tp_tls_err_str(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, buf, cap);
	else
		snprintf(buf, cap, "unknown error");
	ERR_clear_error();
}

/* Settings both contexts share: TLS 1.2 or later (RFC 8996), no
 * renegotiation, small idle memory. */
static SSL_CTX *tls_ctx_new(const SSL_METHOD *method)
{
	SSL_CTX *ctx = SSL_CTX_new(method);
	if (!ctx)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

/* Names the file in err when it cannot be read or OpenSSL rejects it. */
static int tls_file_err(const char *what, const char *path, char *err,
			size_t cap)
{
	char e[256];
	if (access(path, R_OK))
		snprintf(e, sizeof(e), "%s", strerror(errno));
	else
		tp_tls_err_str(e, sizeof(e));
	ERR_clear_error();
	snprintf(err, cap, "TLS %s %s: %s", what, path, e);
	return -EINVAL;
}

int tp_tls_server_init(struct sip_tp *tp, char *err, size_t cap)
{
	const char *cert = tp->conf.tls_cert, *key = tp->conf.tls_key;
	SSL_CTX *ctx;
	int r = 0;
	if (tp->srv_ctx)
		return 0;
	if (!cert || !key) {
		snprintf(err, cap, "TLS listener needs tls_cert and tls_key");
		return -EINVAL;
	}
	if (!(ctx = tls_ctx_new(TLS_server_method()))) {
		snprintf(err, cap, "TLS: cannot create a context");
		return -ENOMEM;
	}
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		r = tls_file_err("certificate", cert, err, cap);
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		r = tls_file_err("key", key, err, cap);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		r = tls_file_err("key does not match certificate; key", key,
				 err, cap);
	if (r) {
		SSL_CTX_free(ctx);
		return r;
	}
	tp->srv_ctx = ctx;
	return 0;
}

int tp_tls_client_init(struct sip_tp *tp)
{
	const char *ca = tp->conf.tls_ca;
	char err[512];
	SSL_CTX *ctx;
	if (tp->cli_ctx)
		return 0;
	if (!(ctx = tls_ctx_new(TLS_client_method()))) {
		log_err("sip tp: TLS: cannot create a client context");
		return -ENOMEM;
	}
	if (ca) {
		ERR_clear_error();
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			tls_file_err("CA file", ca, err, sizeof(err));
			log_err("sip tp: %s", err);
			SSL_CTX_free(ctx);
			return -EINVAL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	tp->cli_ctx = ctx;
	return 0;
}

/* --- the transport object ------------------------------------------------- */

/* Copies an optional string; NULL and "" give NULL. */
static char *dup_opt(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Whether dup_opt(s) gave copy or had nothing to copy. */
static bool dup_ok(const char *s, const char *copy)
{
	return copy || !s || !*s;
}

int sip_tp_new(struct sip_tp **tpp, struct loop *loop,
	       const struct sip_tp_conf *conf, const struct sip_tp_handlers *h,
	       void *arg)
{
	static const struct sip_tp_conf none;
	struct sip_tp *tp;
	int r;
	if (!tpp || !loop || !h || !h->recv)
		return -EINVAL;
	if (!conf)
		conf = &none;
	if (!(tp = calloc(1, sizeof(*tp))))
		return -ENOMEM;
	tp->loop = loop;
	tp->h = *h;
	tp->arg = arg;
	tp->lim = conf->limits ? *conf->limits : sip_limits_default;
	tp->conf.tcp_idle_ms = conf->tcp_idle_ms ? conf->tcp_idle_ms : 600000;
	tp->conf.tcp_connect_ms =
	    conf->tcp_connect_ms ? conf->tcp_connect_ms : 10000;
	tp->conf.max_conns = conf->max_conns ? conf->max_conns : 1024;
	tp->conf.limits = &tp->lim;
	tp->conf.tls_cert = dup_opt(conf->tls_cert);
	tp->conf.tls_key = dup_opt(conf->tls_key);
	tp->conf.tls_ca = dup_opt(conf->tls_ca);
	tp->next_id = 1;
	tp->udp_buf = malloc(TP_UDP_MAX + 1);
	if (!tp->udp_buf || !dup_ok(conf->tls_cert, tp->conf.tls_cert) ||
	    !dup_ok(conf->tls_key, tp->conf.tls_key) ||
	    !dup_ok(conf->tls_ca, tp->conf.tls_ca)) {
		sip_tp_free(tp);
		return -ENOMEM;
	}
	/* load the CA now so a bad file is reported at start-up */
	if (tp->conf.tls_ca && (r = tp_tls_client_init(tp))) {
		sip_tp_free(tp);
		return r;
	}
	*tpp = tp;
	return 0;
}

void sip_tp_free(struct sip_tp *tp)
{
	if (!tp)
		return;
	tp_stream_free(tp);
	while (tp->lsn) {
		struct tp_lsn *l = tp->lsn;
		tp->lsn = l->next;
		loop_io_del(tp->loop, &l->io);
		loop_timer_stop(tp->loop, &l->pause);
		close(l->fd);
		free(l);
	}
	free((char *)(uintptr_t)tp->conf.tls_cert);
	free((char *)(uintptr_t)tp->conf.tls_key);
	free((char *)(uintptr_t)tp->conf.tls_ca);
	free(tp->udp_buf);
	free(tp);
}

void tp_deliver(struct sip_tp *tp, const struct sip_msg *m,
		const struct sip_peer *from)
{
	if (log_enabled(LOG_LVL_DEBUG)) {
		char a[INET6_ADDRSTRLEN + 8];
		log_debug("sip tp: %zu bytes via %s from %s conn %u%s%s",
			  m->len, sip_proto_name(from->proto),
			  sip_sa_hostport(&from->remote, a, sizeof(a)),
			  from->conn_id, m->err_status ? ": " : "",
			  m->err_status && m->err_reason ? m->err_reason : "");
	}
	tp->st.rx_msgs++;
	tp->h.recv(tp->arg, m, from);
}

void sip_tp_stats(const struct sip_tp *tp, struct sip_tp_stats *st)
{
	*st = tp->st;
	st->conns = tp->n_conns;
}

/* --- UDP ------------------------------------------------------------------ */

/* RFC 5626 §3.5.1 / §4.4.1: a datagram of CRLFs only is a keep-alive. */
static bool crlf_only(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* Frames one datagram (RFC 3261 §18.3) and passes it up. */
static void udp_datagram(struct tp_lsn *l, const struct sockaddr_storage *from,
			 size_t n)
{
	struct sip_tp *tp = l->tp;
	struct sip_msg m;
	size_t used;
	if (crlf_only(tp->udp_buf, n))
		return;
	int r = sip_msg_parse_lim(&m, &tp->lim, tp->udp_buf, n, false, &used);
	if (r) {
		tp->st.rx_errors++;
		if (!m.hdrs_ok) {
			char a[INET6_ADDRSTRLEN + 8];
			log_debug("sip tp: dropped %zu-byte datagram from %s: "
				  "%s",
				  n, sip_sa_hostport(from, a, sizeof(a)),
				  m.err_reason ? m.err_reason : "bad");
			return;
		}
	}
	struct sip_peer peer = {.proto = SIP_PROTO_UDP, .conn_id = 0};
	peer.remote = *from;
	peer.local = l->addr;
	tp_deliver(tp, &m, &peer);
}

static void udp_readable(struct loop_io *io, uint32_t events)
{
	struct tp_lsn *l = io->arg;
	(void)events;
	for (int i = 0; i < TP_UDP_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(l->fd, l->tp->udp_buf, TP_UDP_MAX + 1,
				     MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("sip tp: UDP recvfrom: %s",
					 strerror(errno));
			return;
		}
		if ((size_t)n > TP_UDP_MAX) {
			l->tp->st.rx_errors++;
			continue;
		}
		udp_datagram(l, &from, (size_t)n);
	}
}

/* The UDP listener to send from: the one bound to to->local, else the
 * first of the remote's family. */
static struct tp_lsn *udp_lsn_for(struct sip_tp *tp, const struct sip_peer *to)
{
	struct tp_lsn *best = NULL;
	for (struct tp_lsn *l = tp->lsn; l; l = l->next) {
		if (l->proto != SIP_PROTO_UDP ||
		    l->addr.ss_family != to->remote.ss_family)
			continue;
		if (tp_sa_equal(&l->addr, &to->local))
			return l;
		if (!best)
			best = l;
	}
	return best;
}

static int udp_send(struct sip_tp *tp, const struct sip_peer *to,
		    const void *buf, size_t len)
{
	struct tp_lsn *l = udp_lsn_for(tp, to);
	char a[INET6_ADDRSTRLEN + 8];
	if (!l) {
		tp->st.tx_errors++;
		return -EAFNOSUPPORT;
	}
	for (;;) {
		ssize_t n = sendto(l->fd, buf, len, MSG_NOSIGNAL,
				   (const struct sockaddr *)&to->remote,
				   tp_sa_len(&to->remote));
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		int e = errno;
		tp->st.tx_errors++;
		log_warn("sip tp: UDP send to %s: %s",
			 sip_sa_hostport(&to->remote, a, sizeof(a)),
			 strerror(e));
		return -e;
	}
	tp->st.tx_msgs++;
	log_debug("sip tp: %zu bytes via UDP to %s", len,
		  sip_sa_hostport(&to->remote, a, sizeof(a)));
	return 0;
}

int sip_tp_send(struct sip_tp *tp, struct sip_peer *to, const void *buf,
		size_t len)
{
	if (!tp || !to || (!buf && len) || !tp_sa_len(&to->remote))
		return -EINVAL;
	switch (to->proto) {
	case SIP_PROTO_UDP:
		return udp_send(tp, to, buf, len);
	case SIP_PROTO_TCP:
	case SIP_PROTO_TLS:
		return tp_stream_send(tp, to, buf, len);
	}
	return -EPROTONOSUPPORT;
}

/* --- listeners ------------------------------------------------------------ */

/* Creates, binds (and for streams, listens on) a socket for l. */
static int lsn_socket(struct tp_lsn *l, char *err, size_t cap)
{
	int one = 1;
	int type = l->proto == SIP_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	socklen_t al = tp_sa_len(&l->addr);
	l->fd =
	    socket(l->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	if (l->addr.ss_family == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto fail;
	if (type == SOCK_STREAM &&
	    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (bind(l->fd, (struct sockaddr *)&l->addr, al))
		goto fail;
	if (type == SOCK_STREAM && listen(l->fd, SOMAXCONN))
		goto fail;
	if (getsockname(l->fd, (struct sockaddr *)&l->addr, &al))
		goto fail;
	return 0;
fail:;
	int e = errno;
	char a[INET6_ADDRSTRLEN + 8];
	snprintf(err, cap, "%s listener on %s: %s", sip_proto_name(l->proto),
		 sip_sa_hostport(&l->addr, a, sizeof(a)), strerror(e));
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	return -e;
}

int sip_tp_listen(struct sip_tp *tp, enum sip_proto proto, const char *host,
		  uint16_t port, char *err, size_t cap)
{
	struct sockaddr_storage ss;
	struct tp_lsn *l;
	int r;
	char dummy[1];
	if (!err || !cap) {
		err = dummy;
		cap = sizeof(dummy);
	}
	if (!tp || !host || tp_sa_parse(pl_from(host), port, &ss)) {
		snprintf(err, cap, "listen: '%s' is not a numeric address",
			 host ? host : "(null)");
		return -EINVAL;
	}
	if (proto == SIP_PROTO_TLS && (r = tp_tls_server_init(tp, err, cap)))
		return r;
	if (!(l = calloc(1, sizeof(*l)))) {
		snprintf(err, cap, "listen: out of memory");
		return -ENOMEM;
	}
	l->tp = tp;
	l->proto = proto;
	l->fd = -1;
	l->addr = ss;
	if ((r = lsn_socket(l, err, cap))) {
		free(l);
		return r;
	}
	if (proto == SIP_PROTO_UDP)
		r = loop_io_add(tp->loop, &l->io, l->fd, EPOLLIN, udp_readable,
				l);
	else
		r = tp_stream_listen(l);
	if (r) {
		snprintf(err, cap, "listen: cannot watch socket: %s",
			 strerror(-r));
		close(l->fd);
		free(l);
		return r;
	}
	struct tp_lsn **pp = &tp->lsn;
	while (*pp)
		pp = &(*pp)->next;
	*pp = l;
	char a[INET6_ADDRSTRLEN + 8];
	log_info("sip tp: listening on %s %s", sip_proto_name(proto),
		 sip_sa_hostport(&l->addr, a, sizeof(a)));
	return 0;
}

int sip_tp_local(const struct sip_tp *tp, enum sip_proto proto, int family,
		 struct sockaddr_storage *ss)
{
	for (const struct tp_lsn *l = tp->lsn; l; l = l->next) {
		if (l->proto != proto ||
		    (family != AF_UNSPEC && l->addr.ss_family != family))
			continue;
		*ss = l->addr;
		return 0;
	}
	return -ENOENT;
}

/* --- response routing (RFC 3261 §18.2.2, RFC 3581 §4) --------------------- */

int sip_tp_send_response(struct sip_tp *tp, const struct sip_via *top,
			 const struct sip_peer *src, const void *buf,
			 size_t len)
{
	struct sip_peer to = {.proto = src->proto, .conn_id = 0};
	struct sockaddr_storage addr;
	uint16_t sent_by_port =
	    top->port ? top->port : default_port(src->proto);
	to.local = src->local;
	/* the address the request came from: the received parameter if the
	 * Via has one, else the packet's source */
	if (!top->received.p || tp_sa_parse(top->received, 0, &addr))
		addr = src->remote;
	if (sip_proto_reliable(src->proto)) {
		/* §18.2.2: the connection the request came on; if it is gone,
		 * a connection to the received address and the sent-by port */
		to.conn_id = src->conn_id;
		to.remote = addr;
		sa_set_port(&to.remote, sent_by_port);
		return sip_tp_send(tp, &to, buf, len);
	}
	/* §18.2.2: a numeric maddr with the sent-by port (a multicast TTL is
	 * not applied); else RFC 3581 §4: with rport, the source port; else
	 * the sent-by port */
	if (!top->maddr.p ||
	    tp_sa_parse(top->maddr, sent_by_port, &to.remote)) {
		to.remote = addr;
		sa_set_port(&to.remote, top->rport.p ? sip_sa_port(&src->remote)
						     : sent_by_port);
	}
	return sip_tp_send(tp, &to, buf, len);
}

/* --- next hop of a URI ---------------------------------------------------- */

int sip_tp_uri_peer(const struct sip_uri *u, struct sip_peer *out)
{
	struct pl v, host;
	enum sip_proto proto = SIP_PROTO_UDP;
	if (u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS)
		return -EINVAL;
	if (sip_uri_param(u, "transport", &v) == 0 &&
	    sip_proto_parse(v, &proto))
		return -EINVAL;
	/* RFC 3261 §26.2.2: sips means TLS on every hop */
	if (u->scheme == SIP_SCHEME_SIPS)
		proto = SIP_PROTO_TLS;
	/* RFC 3263 §4: maddr overrides the host */
	host = u->host;
	if (sip_uri_param(u, "maddr", &v) == 0 && v.l)
		host = v;
	memset(out, 0, sizeof(*out));
	out->proto = proto;
	if (!host.l)
		return -EINVAL;
	if (tp_sa_parse(host, u->port ? u->port : default_port(proto),
			&out->remote))
		return -EHOSTUNREACH; /* a name: resolving is not done here */
	return 0;
}
