/*
 * SIP transports, stream part (RFC 3261 §18 over TCP, §26 TLS): stream
 * listeners, accepted and outgoing connections with reuse, queued output,
 * connect/handshake timeouts, idle close, and stream framing (§18.3:
 * Content-Length delimits each message). TLS runs over memory BIOs
 * (sip_tp_tls.c): every socket read and write is ours (non-blocking,
 * MSG_NOSIGNAL), and the handshake advances whenever the loop reports the
 * socket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "log.h"
#include "sip/sip_tp_int.h"

#define TP_READ_BURST	16    /* reads per readiness event */
#define TP_ACCEPT_BURST 64    /* accepts per readiness event */
#define TP_CHUNK	16384 /* socket read / TLS record drain unit */
#define TP_PAUSE_MS	100   /* accept pause after EMFILE and the like */

/* Output queued per connection before sends fail with -ENOBUFS. */
size_t tp_out_max(const struct sip_tp *tp)
{
	size_t m = tp->lim.max_msg_bytes * 16;
	return m < (1u << 20) ? (1u << 20) : m;
}

static void conn_list_add(struct tp_conn **head, struct tp_conn *c)
{
	c->next = *head;
	if (c->next)
		c->next->pprev = &c->next;
	*head = c;
	c->pprev = head;
}

static void conn_list_del(struct tp_conn *c)
{
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->next = NULL;
	c->pprev = NULL;
}

static struct tp_conn *conn_find_id(const struct sip_tp *tp, uint32_t id)
{
	for (struct tp_conn *c = tp->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* An open (or opening) connection to remote over proto, for reuse. */
static struct tp_conn *conn_find_remote(const struct sip_tp *tp,
					enum sip_proto proto,
					const struct sockaddr_storage *remote)
{
	for (struct tp_conn *c = tp->conns; c; c = c->next)
		if (c->proto == proto && c->state != TP_CONN_DRAINING &&
		    tp_sa_equal(&c->remote, remote))
			return c;
	return NULL;
}

static void conn_destroy(struct tp_conn *c)
{
	tp_buf_free(&c->in);
	tp_buf_free(&c->out);
	tp_buf_free(&c->pend);
	free(c);
}

/* Deferred free of a closed connection (it may have been closed inside
 * its own callback). */
static void conn_reap(struct loop_defer *d)
{
	struct tp_conn *c = d->arg;
	conn_list_del(c);
	conn_destroy(c);
}

/* Closes the socket now and frees the connection after this loop round.
 * An outgoing connection that never got established is reported through
 * h.conn_failed (its queued messages are lost). */
void tp_conn_close(struct tp_conn *c, const char *why, bool warn)
{
	struct sip_tp *tp = c->tp;
	char a[INET6_ADDRSTRLEN + 8];
	if (c->state == TP_CONN_CLOSED)
		return;
	bool failed = c->outgoing && (c->state == TP_CONN_CONNECTING ||
				      c->state == TP_CONN_HANDSHAKE);
	struct sip_peer peer = {
	    .proto = c->proto,
	    .remote = c->remote,
	    .local = c->local,
	    .conn_id = c->id,
	};
	if (warn ? log_enabled(LOG_LVL_WARN) : log_enabled(LOG_LVL_DEBUG))
		log_msg(warn ? LOG_LVL_WARN : LOG_LVL_DEBUG,
			"sip tp: %s conn %u %s %s closed: %s",
			sip_proto_name(c->proto), c->id,
			c->outgoing ? "to" : "from",
			sip_sa_hostport(&c->remote, a, sizeof(a)), why);
	c->state = TP_CONN_CLOSED;
	loop_io_del(tp->loop, &c->io);
	loop_timer_stop(tp->loop, &c->timer);
	close(c->fd);
	c->fd = -1;
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->rbio = c->wbio = NULL;
	conn_list_del(c);
	tp->n_conns--;
	conn_list_add(&tp->dead, c);
	loop_defer(tp->loop, &c->defer, conn_reap, c);
	if (failed && tp->h.conn_failed)
		tp->h.conn_failed(tp->arg, &peer);
}

/* Watches for input unless draining, and for output while any is queued
 * (or the connect is pending). */
static void conn_events(struct tp_conn *c)
{
	bool pending = c->out.off < c->out.len;
	uint32_t ev = 0;
	switch (c->state) {
	case TP_CONN_CONNECTING:
	case TP_CONN_DRAINING:
		ev = EPOLLOUT;
		break;
	case TP_CONN_HANDSHAKE:
	case TP_CONN_OPEN:
		ev = EPOLLIN | (pending ? EPOLLOUT : 0);
		break;
	case TP_CONN_CLOSED:
		return;
	}
	if (loop_io_mod(c->tp->loop, &c->io, ev))
		tp_conn_close(c, "epoll_ctl failed", true);
}

/* The connection is usable: start idle supervision. */
void tp_conn_opened(struct tp_conn *c)
{
	struct sip_tp *tp = c->tp;
	c->state = TP_CONN_OPEN;
	c->last_ms = loop_now_ms(tp->loop);
	loop_timer_start(tp->loop, &c->timer, tp->conf.tcp_idle_ms);
	log_debug("sip tp: %s conn %u open", sip_proto_name(c->proto), c->id);
}

/* Room for reading into c->in, growing it up to the message limit plus
 * one byte (so that the framer sees an oversized message). */
int tp_conn_in_room(struct tp_conn *c, size_t *room)
{
	struct tp_buf *b = &c->in;
	size_t max = c->tp->lim.max_msg_bytes + 1;
	if (b->len < b->cap) {
		*room = b->cap - b->len;
		return 0;
	}
	if (b->cap >= max)
		return -EMSGSIZE;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	if (cap > max)
		cap = max;
	char *p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	*room = cap - b->len;
	return 0;
}

/* --- connections ---------------------------------------------------------- */

/* Writes queued output until the socket would block. */
void tp_conn_flush(struct tp_conn *c)
{
	struct tp_buf *b = &c->out;
	while (b->off < b->len) {
		ssize_t n =
		    send(c->fd, b->p + b->off, b->len - b->off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			c->tp->st.tx_errors++;
			tp_conn_close(c, strerror(errno), true);
			return;
		}
		tp_buf_drop(b, (size_t)n);
		c->last_ms = loop_now_ms(c->tp->loop);
	}
	if (c->state == TP_CONN_DRAINING && b->off >= b->len) {
		tp_conn_close(c, "closed after framing error", false);
		return;
	}
	conn_events(c);
}

/* Queues (and tries to send) one message. Returns 0 or -errno. */
static int conn_send(struct tp_conn *c, const void *buf, size_t len)
{
	size_t max = tp_out_max(c->tp);
	int r = 0;
	switch (c->state) {
	case TP_CONN_CONNECTING:
	case TP_CONN_HANDSHAKE:
		if (c->proto == SIP_PROTO_TLS)
			return tp_buf_add(&c->pend, buf, len, max);
		return tp_buf_add(&c->out, buf, len, max);
	case TP_CONN_OPEN:
		if (c->out.len - c->out.off > max || len > max)
			return -ENOBUFS;
		if (c->proto == SIP_PROTO_TLS)
			r = tp_tls_write(c, buf, len);
		else
			r = tp_buf_add(&c->out, buf, len, max);
		if (r)
			return r;
		tp_conn_flush(c);
		return c->state == TP_CONN_CLOSED ? -ECONNRESET : 0;
	case TP_CONN_DRAINING:
	case TP_CONN_CLOSED:
		return -ENOTCONN;
	}
	return -ENOTCONN;
}

/* After a framing error that loses the message boundaries: stop reading,
 * send what is queued (say, the core's 400), then close. */
static void conn_drain(struct tp_conn *c, const char *why)
{
	char a[INET6_ADDRSTRLEN + 8];
	log_debug("sip tp: %s conn %u from %s: %s", sip_proto_name(c->proto),
		  c->id, sip_sa_hostport(&c->remote, a, sizeof(a)), why);
	if (c->state != TP_CONN_OPEN || c->out.off >= c->out.len) {
		tp_conn_close(c, why, false);
		return;
	}
	c->state = TP_CONN_DRAINING;
	loop_timer_start(c->tp->loop, &c->timer, c->tp->conf.tcp_connect_ms);
	conn_events(c);
}

static void conn_deliver(struct tp_conn *c, const struct sip_msg *m)
{
	struct sip_peer peer = {.proto = c->proto, .conn_id = c->id};
	peer.remote = c->remote;
	peer.local = c->local;
	tp_deliver(c->tp, m, &peer);
}

/* RFC 5626 §4.4.1: a CRLF CRLF ping between messages gets a CRLF pong. */
static void conn_keepalive(struct tp_conn *c, const char *p, size_t n)
{
	if (n >= 4 && memmem(p, n, "\r\n\r\n", 4) &&
	    conn_send(c, "\r\n", 2) == 0)
		log_debug("sip tp: conn %u keep-alive pong", c->id);
}

/* Frames and passes up every complete message in c->in (§18.3). */
void tp_conn_frame(struct tp_conn *c)
{
	struct sip_tp *tp = c->tp;
	struct tp_buf *b = &c->in;
	size_t off = 0;
	while (off < b->len && c->state == TP_CONN_OPEN) {
		struct sip_msg m;
		size_t used = 0;
		int r = sip_msg_parse_lim(&m, &tp->lim, b->p + off,
					  b->len - off, true, &used);
		if (r == -EAGAIN) {
			conn_keepalive(c, b->p + off, used);
			off += used;
			break;
		}
		if (r)
			tp->st.rx_errors++;
		if (r == 0 || m.hdrs_ok)
			conn_deliver(c, &m);
		if (r && !m.framed) {
			conn_drain(c, m.err_reason ? m.err_reason : "bad");
			break;
		}
		off += used;
	}
	if (off < b->len)
		memmove(b->p, b->p + off, b->len - off);
	b->len -= off;
	if (!b->len && b->cap > 4 * TP_CHUNK)
		tp_buf_free(b); /* do not keep a big buffer for idle peers */
}

/* Reads what the socket has (a bounded number of times). */
static void conn_read(struct tp_conn *c)
{
	char tmp[TP_CHUNK];
	for (int i = 0; i < TP_READ_BURST; i++) {
		ssize_t n;
		size_t room;
		if (c->state != TP_CONN_OPEN && c->state != TP_CONN_HANDSHAKE)
			return;
		if (c->ssl) {
			n = recv(c->fd, tmp, sizeof(tmp), 0);
		} else if (tp_conn_in_room(c, &room)) {
			c->tp->st.rx_errors++;
			tp_conn_close(c, "message too large", true);
			return;
		} else {
			n = recv(c->fd, c->in.p + c->in.len, room, 0);
		}
		if (n == 0) {
			tp_conn_close(c, "closed by peer", false);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tp_conn_close(c, strerror(errno), true);
			return;
		}
		c->last_ms = loop_now_ms(c->tp->loop);
		if (c->ssl) {
			tp_tls_input(c, tmp, (size_t)n);
		} else {
			c->in.len += (size_t)n;
			tp_conn_frame(c);
		}
	}
}

/* An outgoing connection's TCP part is up. */
static void conn_established(struct tp_conn *c)
{
	socklen_t sl = sizeof(c->local);
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &sl))
		memset(&c->local, 0, sizeof(c->local));
	if (c->proto != SIP_PROTO_TLS) {
		tp_conn_opened(c);
		tp_conn_flush(c);
		return;
	}
	if (tp_tls_start(c, true)) {
		tp_conn_close(c, "out of memory", true);
		return;
	}
	tp_tls_handshake(c);
	tp_tls_out(c);
}

/* EPOLLOUT on a connecting socket: connect(2) finished. */
static void conn_connected(struct tp_conn *c)
{
	int err = 0;
	socklen_t l = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l))
		err = errno;
	if (err) {
		c->tp->st.tx_errors++;
		tp_conn_close(c, strerror(err), true);
		return;
	}
	conn_established(c);
}

static void conn_io(struct loop_io *io, uint32_t events)
{
	struct tp_conn *c = io->arg;
	switch (c->state) {
	case TP_CONN_CONNECTING:
		conn_connected(c);
		return;
	case TP_CONN_DRAINING:
		tp_conn_flush(c);
		return;
	case TP_CONN_HANDSHAKE:
	case TP_CONN_OPEN:
		if (events & EPOLLOUT)
			tp_conn_flush(c);
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(c);
		return;
	case TP_CONN_CLOSED:
		return;
	}
}

/* Connect/handshake/drain deadline, or idle check (RFC 3261 §18 leaves
 * the idle policy to the implementation). */
static void conn_timer(struct loop_timer *t)
{
	struct tp_conn *c = t->arg;
	struct sip_tp *tp = c->tp;
	uint64_t now = loop_now_ms(tp->loop), idle = tp->conf.tcp_idle_ms;
	switch (c->state) {
	case TP_CONN_CONNECTING:
	case TP_CONN_HANDSHAKE:
		if (c->outgoing)
			tp->st.tx_errors++;
		tp_conn_close(c,
			      c->state == TP_CONN_CONNECTING
				  ? "connect timeout"
				  : "handshake timeout",
			      true);
		return;
	case TP_CONN_DRAINING:
		tp_conn_close(c, "drain timeout", false);
		return;
	case TP_CONN_OPEN:
		if (now - c->last_ms >= idle) {
			tp_conn_close(c, "idle", false);
			return;
		}
		loop_timer_start(tp->loop, t, c->last_ms + idle - now);
		return;
	case TP_CONN_CLOSED:
		return;
	}
}

/* A unique nonzero id, also after the counter wraps. */
static uint32_t conn_next_id(struct sip_tp *tp)
{
	for (;;) {
		uint32_t id = tp->next_id++;
		if (id && !conn_find_id(tp, id))
			return id;
	}
}

/* Wraps a connected or connecting socket; NULL on failure (fd stays the
 * caller's then). */
static struct tp_conn *conn_new(struct sip_tp *tp, int fd, enum sip_proto proto,
				const struct sockaddr_storage *remote,
				bool outgoing, enum tp_conn_state st)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	int one = 1;
	socklen_t sl = sizeof(c->local);
	if (!c)
		return NULL;
	c->tp = tp;
	c->fd = fd;
	c->proto = proto;
	c->state = st;
	c->outgoing = outgoing;
	c->remote = *remote;
	c->id = conn_next_id(tp);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		log_debug("sip tp: TCP_NODELAY: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&c->local, &sl))
		memset(&c->local, 0, sizeof(c->local));
	loop_timer_init(&c->timer, conn_timer, c);
	if (loop_io_add(tp->loop, &c->io, fd,
			st == TP_CONN_CONNECTING ? EPOLLOUT : EPOLLIN, conn_io,
			c)) {
		free(c);
		return NULL;
	}
	conn_list_add(&tp->conns, c);
	tp->n_conns++;
	c->last_ms = loop_now_ms(tp->loop);
	loop_timer_start(tp->loop, &c->timer,
			 st == TP_CONN_OPEN ? tp->conf.tcp_idle_ms
					    : tp->conf.tcp_connect_ms);
	return c;
}

/* --- listeners ------------------------------------------------------------ */

static void lsn_resume(struct loop_timer *t)
{
	struct tp_lsn *l = t->arg;
	if (loop_io_mod(l->tp->loop, &l->io, EPOLLIN))
		log_warn("sip tp: cannot resume accepting: epoll_ctl failed");
}

static void lsn_accept(struct loop_io *io, uint32_t events)
{
	struct tp_lsn *l = io->arg;
	struct sip_tp *tp = l->tp;
	char a[INET6_ADDRSTRLEN + 8];
	(void)events;
	for (int i = 0; i < TP_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* EMFILE and the like: the socket stays readable,
			 * so stop watching it for a while */
			log_warn("sip tp: accept on %s: %s",
				 sip_sa_hostport(&l->addr, a, sizeof(a)),
				 strerror(errno));
			if (loop_io_mod(tp->loop, &l->io, 0) == 0)
				loop_timer_start(tp->loop, &l->pause,
						 TP_PAUSE_MS);
			return;
		}
		if (tp->n_conns >= tp->conf.max_conns) {
			log_warn("sip tp: refused %s connection from %s: %u "
				 "connections open",
				 sip_proto_name(l->proto),
				 sip_sa_hostport(&ss, a, sizeof(a)),
				 tp->n_conns);
			close(fd);
			continue;
		}
		bool tls = l->proto == SIP_PROTO_TLS;
		struct tp_conn *c =
		    conn_new(tp, fd, l->proto, &ss, false,
			     tls ? TP_CONN_HANDSHAKE : TP_CONN_OPEN);
		if (!c) {
			close(fd);
			continue;
		}
		log_debug("sip tp: %s conn %u from %s accepted",
			  sip_proto_name(l->proto), c->id,
			  sip_sa_hostport(&ss, a, sizeof(a)));
		if (tls && tp_tls_start(c, false))
			tp_conn_close(c, "out of memory", true);
	}
}

int tp_stream_listen(struct tp_lsn *l)
{
	loop_timer_init(&l->pause, lsn_resume, l);
	return loop_io_add(l->tp->loop, &l->io, l->fd, EPOLLIN, lsn_accept, l);
}

/* --- outgoing ------------------------------------------------------------- */

static bool sa_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)ss)->sin6_addr);
	return true;
}

/* Binds an outgoing socket to the local address asked for (any port). */
static void bind_local(int fd, const struct sip_peer *to)
{
	struct sockaddr_storage ss = to->local;
	if (ss.ss_family != to->remote.ss_family || sa_is_any(&ss))
		return;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	if (bind(fd, (struct sockaddr *)&ss, tp_sa_len(&ss)))
		log_debug("sip tp: bind before connect: %s", strerror(errno));
}

/* Starts a connection to to->remote; *cp set on success. Returns 0 or
 * -ENOTCONN / -ENOMEM. */
static int conn_connect(struct sip_tp *tp, const struct sip_peer *to,
			struct tp_conn **cp)
{
	char a[INET6_ADDRSTRLEN + 8];
	const char *dst = sip_sa_hostport(&to->remote, a, sizeof(a));
	if (tp->n_conns >= tp->conf.max_conns) {
		log_warn("sip tp: no connection to %s: %u connections open",
			 dst, tp->n_conns);
		return -ENOTCONN;
	}
	if (to->proto == SIP_PROTO_TLS && tp_tls_client_init(tp))
		return -ENOTCONN;
	int fd = socket(to->remote.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("sip tp: socket for %s: %s", dst, strerror(errno));
		return -ENOTCONN;
	}
	bind_local(fd, to);
	int r = connect(fd, (const struct sockaddr *)&to->remote,
			tp_sa_len(&to->remote));
	if (r && errno != EINPROGRESS) {
		log_warn("sip tp: connect to %s: %s", dst, strerror(errno));
		close(fd);
		return -ENOTCONN;
	}
	struct tp_conn *c =
	    conn_new(tp, fd, to->proto, &to->remote, true, TP_CONN_CONNECTING);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	log_debug("sip tp: %s conn %u to %s connecting",
		  sip_proto_name(to->proto), c->id, dst);
	*cp = c;
	if (r == 0)
		conn_established(c);
	return 0;
}

int tp_stream_send(struct sip_tp *tp, struct sip_peer *to, const void *buf,
		   size_t len)
{
	struct tp_conn *c = NULL;
	int r;
	if (to->conn_id && (c = conn_find_id(tp, to->conn_id)) &&
	    (c->proto != to->proto || c->state == TP_CONN_DRAINING))
		c = NULL;
	if (!c)
		c = conn_find_remote(tp, to->proto, &to->remote);
	if (!c && (r = conn_connect(tp, to, &c))) {
		tp->st.tx_errors++;
		return r;
	}
	to->conn_id = c->id;
	if ((r = conn_send(c, buf, len))) {
		tp->st.tx_errors++;
		return r;
	}
	tp->st.tx_msgs++;
	log_debug("sip tp: %zu bytes via %s conn %u", len,
		  sip_proto_name(c->proto), c->id);
	return 0;
}

/* --- teardown ------------------------------------------------------------- */

void tp_stream_free(struct sip_tp *tp)
{
	while (tp->conns)
		tp_conn_close(tp->conns, "shut down", false);
	while (tp->dead) {
		struct tp_conn *c = tp->dead;
		loop_defer_cancel(tp->loop, &c->defer);
		conn_list_del(c);
		conn_destroy(c);
	}
	SSL_CTX_free(tp->srv_ctx);
	SSL_CTX_free(tp->cli_ctx);
	tp->srv_ctx = tp->cli_ctx = NULL;
}
