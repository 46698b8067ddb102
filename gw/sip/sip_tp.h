/*
 * SIP transports (RFC 3261 §18): UDP, TCP and TLS (OpenSSL) listeners on
 * IPv4 and IPv6, outgoing stream connections with reuse, idle close, and
 * the routing of responses by the top Via (§18.2.2, RFC 3581 rport).
 * Received bytes are framed with sip_msg_parse() and handed up one
 * message at a time; the core answers framing errors (400/413/513) from
 * the message it is given. Everything runs on the signalling loop.
 *
 * Ownership: struct sip_tp owns its sockets, connections and buffers. A
 * received message and the peer it came from are valid only during the
 * recv callback.
 */
#ifndef GW_SIP_TP_H
#define GW_SIP_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "sip/sip_msg.h"

struct sip_tp;

enum sip_proto {
	SIP_PROTO_UDP,
	SIP_PROTO_TCP,
	SIP_PROTO_TLS,
};

/* Where a message came from, or where one goes. */
struct sip_peer {
	enum sip_proto proto;
	struct sockaddr_storage remote; /* ss_family AF_INET or AF_INET6 */
	struct sockaddr_storage local;	/* our address (ss_family 0: any) */
	uint32_t conn_id; /* stream connection it came on / to use; 0: none */
};

struct sip_tp_conf {
	unsigned tcp_idle_ms;	 /* close a stream idle this long; 0: 600000 */
	unsigned tcp_connect_ms; /* connect + TLS handshake; 0: 10000 */
	unsigned max_conns;	 /* stream connections; 0: 1024 */
	const struct sip_limits *limits; /* NULL: sip_limits_default */
	const char *tls_cert; /* PEM file; needed for a TLS listener */
	const char *tls_key;  /* PEM file */
	const char *tls_ca;   /* CA file to verify servers we connect to;
				 NULL or "": no verification */
};

struct sip_tp_handlers {
	/*
	 * One framed message. m->err_status may be set (with m->hdrs_ok: the
	 * core may answer it); messages that cannot be answered are dropped
	 * (UDP) or end the connection (TCP/TLS) without reaching here.
	 */
	void (*recv)(void *arg, const struct sip_msg *m,
		     const struct sip_peer *from);
	/*
	 * An outgoing stream connection failed before it was established
	 * (connect refused or timed out, TLS handshake or certificate
	 * check failed): what was queued on it is lost. May be NULL.
	 */
	void (*conn_failed)(void *arg, const struct sip_peer *peer);
};

/* Creates the transport layer (no listeners yet). Returns 0 or -errno. */
int sip_tp_new(struct sip_tp **tpp, struct loop *loop,
	       const struct sip_tp_conf *conf, const struct sip_tp_handlers *h,
	       void *arg);
/* Closes every socket and connection. NULL is a no-op. */
void sip_tp_free(struct sip_tp *tp);

/*
 * Listens on a numeric host ("127.0.0.1", "::1", "0.0.0.0") and port (0:
 * an ephemeral port, for tests). A TLS listener needs conf->tls_cert and
 * tls_key. Returns 0 or -errno with a message in err.
 */
int sip_tp_listen(struct sip_tp *tp, enum sip_proto proto, const char *host,
		  uint16_t port, char *err, size_t cap);

/*
 * The address of the first listener of proto in family (AF_INET or
 * AF_INET6; AF_UNSPEC: any), for Via and Contact. Returns 0 or -ENOENT.
 */
int sip_tp_local(const struct sip_tp *tp, enum sip_proto proto, int family,
		 struct sockaddr_storage *ss);

/*
 * Sends one message. UDP: from the listener bound to to->local (or the
 * first of the family). TCP/TLS: on connection to->conn_id if it is still
 * open, else on an open connection to to->remote (reuse), else on a new
 * connection (data queued until connected); to->conn_id is updated.
 * Returns 0, or -errno (-ENOTCONN when nothing can be connected,
 * -EAFNOSUPPORT when no listener of that family exists).
 */
int sip_tp_send(struct sip_tp *tp, struct sip_peer *to, const void *buf,
		size_t len);

/*
 * Sends a response per RFC 3261 §18.2.2 given the request's top Via and
 * the peer the request came from: reliable transports use the request's
 * connection, falling back to a new connection to the received address
 * and the sent-by port; maddr is used when numeric; unreliable transports
 * go to the source address, with the source port when the Via has rport
 * (RFC 3581 §4), else the sent-by port (default 5060). Returns 0 or -errno.
 */
int sip_tp_send_response(struct sip_tp *tp, const struct sip_via *top,
			 const struct sip_peer *src, const void *buf,
			 size_t len);

/* Whether proto is reliable (no retransmissions: RFC 3261 §17.1.1.2). */
static inline bool sip_proto_reliable(enum sip_proto p)
{
	return p != SIP_PROTO_UDP;
}

/* "UDP", "TCP", "TLS" (as in Via). */
const char *sip_proto_name(enum sip_proto p);
/* Parses a Via transport or transport= parameter, case-insensitive.
 * Returns 0 or -EPROTONOSUPPORT. */
int sip_proto_parse(struct pl name, enum sip_proto *p);

/*
 * The next hop of a SIP URI with a numeric host (no DNS here: names give
 * -EHOSTUNREACH): address, port (default 5060, 5061 for sips or TLS),
 * transport from ;transport= (sips: TLS). Returns 0, -EINVAL or
 * -EHOSTUNREACH.
 */
int sip_tp_uri_peer(const struct sip_uri *u, struct sip_peer *out);

/* Prints an address as "1.2.3.4" or "::1" (no brackets). Returns buf. */
const char *sip_sa_host(const struct sockaddr_storage *ss, char *buf,
			size_t cap);
/* Port of an address in host order. */
uint16_t sip_sa_port(const struct sockaddr_storage *ss);
/* Prints "1.2.3.4:5060" or "[::1]:5060" (Via sent-by). Returns buf. */
const char *sip_sa_hostport(const struct sockaddr_storage *ss, char *buf,
			    size_t cap);

struct sip_tp_stats {
	uint64_t rx_msgs, tx_msgs, rx_errors, tx_errors;
	unsigned conns; /* open stream connections */
};
void sip_tp_stats(const struct sip_tp *tp, struct sip_tp_stats *st);

#endif
