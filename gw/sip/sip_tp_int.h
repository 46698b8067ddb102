/*
 * Private to the SIP transport layer (sip_tp.c: core, UDP, routing, TLS
 * contexts; sip_tp_stream.c: TCP and TLS listeners and connections). Not
 * for use outside gw/sip/sip_tp*.c.
 */
#ifndef GW_SIP_TP_INT_H
#define GW_SIP_TP_INT_H

#include <openssl/ssl.h>

#include "sip/sip_tp.h"

/* A growable byte queue: bytes [off, len) are pending. */
struct tp_buf {
	char *p;
	size_t off, len, cap;
};

/* A listening socket; owned by struct sip_tp (list tp->lsn). */
struct tp_lsn {
	struct tp_lsn *next;
	struct sip_tp *tp;
	enum sip_proto proto;
	int fd;
	struct sockaddr_storage addr; /* bound address (port resolved) */
	struct loop_io io;
	struct loop_timer pause; /* accept paused after EMFILE */
};

enum tp_conn_state {
	TP_CONN_CONNECTING, /* non-blocking connect(2) in progress */
	TP_CONN_HANDSHAKE,  /* TLS handshake in progress */
	TP_CONN_OPEN,
	TP_CONN_DRAINING, /* sending what is queued, then closing */
	TP_CONN_CLOSED,	  /* waiting for the deferred free */
};

/*
 * A stream connection; owned by struct sip_tp, on tp->conns while not
 * closed and on tp->dead until the deferred free (loop_defer) runs, so a
 * connection closed inside its own callback stays valid until then.
 */
struct tp_conn {
	struct tp_conn *next, **pprev;
	struct sip_tp *tp;
	uint32_t id;
	enum sip_proto proto;
	enum tp_conn_state state;
	bool outgoing;
	int fd;
	struct sockaddr_storage remote, local;
	struct loop_io io;
	struct loop_timer timer; /* connect/handshake/drain deadline, idle */
	struct loop_defer defer;
	uint64_t last_ms;   /* loop time of the last byte in or out */
	struct tp_buf in;   /* received plaintext not yet framed */
	struct tp_buf out;  /* bytes for the socket (TLS: records) */
	struct tp_buf pend; /* TLS plaintext queued until handshake done */
	SSL *ssl;	    /* TLS only; owns rbio and wbio */
	BIO *rbio, *wbio;   /* memory BIOs: socket -> SSL, SSL -> socket */
};

struct sip_tp {
	struct loop *loop;
	struct sip_tp_conf conf; /* defaults applied; strings are ours */
	struct sip_limits lim;
	struct sip_tp_handlers h;
	void *arg;
	struct tp_lsn *lsn; /* in creation order */
	struct tp_conn *conns, *dead;
	unsigned n_conns;
	uint32_t next_id;
	char *udp_buf; /* one datagram */
	SSL_CTX *srv_ctx, *cli_ctx;
	struct sip_tp_stats st;
};

/* Largest UDP payload we read (RFC 768 length field). */
#define TP_UDP_MAX 65535u

/* sip_tp.c */

/* Appends n bytes, compacting or growing up to max bytes pending.
 * Returns 0, -ENOBUFS (over max) or -ENOMEM. */
int tp_buf_add(struct tp_buf *b, const void *p, size_t n, size_t max);
/* Drops n pending bytes from the front. */
void tp_buf_drop(struct tp_buf *b, size_t n);
void tp_buf_free(struct tp_buf *b);

/* Hands one message to the recv callback and counts it. */
void tp_deliver(struct sip_tp *tp, const struct sip_msg *m,
		const struct sip_peer *from);

/* Same family, address and port. */
bool tp_sa_equal(const struct sockaddr_storage *a,
		 const struct sockaddr_storage *b);
/* Numeric IPv4 or IPv6 host (brackets allowed) and port into ss.
 * Returns 0 or -EINVAL. */
int tp_sa_parse(struct pl host, uint16_t port, struct sockaddr_storage *ss);
/* sizeof the sockaddr of ss's family; 0 if neither INET nor INET6. */
socklen_t tp_sa_len(const struct sockaddr_storage *ss);

/* Text of the last OpenSSL error; clears the error queue. */
void tp_tls_err_str(char *buf, size_t cap);

/* Creates the TLS server context from conf (first TLS listener).
 * Returns 0 or -errno with a message naming the file in err. */
int tp_tls_server_init(struct sip_tp *tp, char *err, size_t cap);
/* Creates the TLS client context (verifying with conf->tls_ca if set).
 * Returns 0 or -errno. */
int tp_tls_client_init(struct sip_tp *tp);

/* sip_tp_stream.c */

/* Starts accepting on a bound, listening stream socket. Returns 0/-errno. */
int tp_stream_listen(struct tp_lsn *l);
/* Sends on a stream connection as sip_tp_send() describes. */
int tp_stream_send(struct sip_tp *tp, struct sip_peer *to, const void *buf,
		   size_t len);
/* Closes and frees every connection and the TLS contexts, no callbacks. */
void tp_stream_free(struct sip_tp *tp);
/* Largest output a connection may queue, bytes. */
size_t tp_out_max(const struct sip_tp *tp);
/* Closes c's socket now and frees c after this loop round; an outgoing
 * connection never established is reported through h.conn_failed. */
void tp_conn_close(struct tp_conn *c, const char *why, bool warn);
/* Writes queued output until the socket would block. */
void tp_conn_flush(struct tp_conn *c);
/* The connection is usable: starts idle supervision. */
void tp_conn_opened(struct tp_conn *c);
/* Room for reading into c->in (grown up to the message limit plus one
 * byte). Returns 0, -EMSGSIZE or -ENOMEM. */
int tp_conn_in_room(struct tp_conn *c, size_t *room);
/* Delivers every complete message in c->in (RFC 3261 §18.3 framing). */
void tp_conn_frame(struct tp_conn *c);

/* sip_tp_tls.c: TLS on a stream connection, over memory BIOs */

/* Creates the SSL object of a connection whose TCP part is up (client or
 * server side). Returns 0 or -ENOMEM. */
int tp_tls_start(struct tp_conn *c, bool client);
/* Encrypts n bytes into the output queue. Returns 0 or -errno (closed). */
int tp_tls_write(struct tp_conn *c, const void *p, size_t n);
/* Advances the handshake; when done, sends what was queued meanwhile. */
void tp_tls_handshake(struct tp_conn *c);
/* Feeds received TLS bytes to SSL and frames the plaintext. */
void tp_tls_input(struct tp_conn *c, const char *p, size_t n);
/* Drains SSL's output and writes it out; closes on failure. */
void tp_tls_out(struct tp_conn *c);

#endif
