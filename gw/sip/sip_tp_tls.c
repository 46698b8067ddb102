/*
 * SIP transports, TLS over stream connections (RFC 3261 §26): the SSL
 * object of a connection on memory BIOs, the handshake, encrypting what
 * is sent into the connection's output queue, and decrypting what is read
 * into its framer. The socket side is sip_tp_stream.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "sip/sip_tp_int.h"

#define TP_CHUNK 16384 /* TLS record drain unit */

/* Moves records SSL produced into the socket output queue. */
static int tls_drain(struct tp_conn *c)
{
	char tmp[TP_CHUNK];
	int n, r;
	while ((n = BIO_read(c->wbio, tmp, sizeof(tmp))) > 0)
		if ((r = tp_buf_add(&c->out, tmp, (size_t)n,
				    2 * tp_out_max(c->tp))))
			return r;
	return 0;
}

/* Drains SSL's output and writes it out; closes on failure. */
void tp_tls_out(struct tp_conn *c)
{
	if (c->state == TP_CONN_CLOSED)
		return;
	if (tls_drain(c))
		tp_conn_close(c, "TLS output overflow", true);
	else
		tp_conn_flush(c);
}

/* Ends a connection on a TLS error, letting an alert out if it can. */
static void tls_fail(struct tp_conn *c, const char *what)
{
	char why[320], e[256];
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		snprintf(why, sizeof(why), "%s: peer certificate: %s", what,
			 X509_verify_cert_error_string(v));
		ERR_clear_error();
	} else {
		tp_tls_err_str(e, sizeof(e));
		snprintf(why, sizeof(why), "%s: %s", what, e);
	}
	if (!tls_drain(c) && c->out.off < c->out.len &&
	    send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("sip tp: TLS alert not sent: %s", strerror(errno));
	tp_conn_close(c, why, true);
}

/* Creates the SSL object of a connection whose TCP part is up. */
int tp_tls_start(struct tp_conn *c, bool client)
{
	SSL_CTX *ctx = client ? c->tp->cli_ctx : c->tp->srv_ctx;
	if (!ctx || !(c->ssl = SSL_new(ctx)))
		return -ENOMEM;
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		SSL_free(c->ssl);
		c->ssl = NULL;
		c->rbio = c->wbio = NULL;
		return -ENOMEM;
	}
	/* an empty memory BIO means "no data yet", not EOF */
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_mem_eof_return(c->wbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (client)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	c->state = TP_CONN_HANDSHAKE;
	return 0;
}

/* Encrypts n bytes into the output queue. Returns 0 or -errno (closed). */
int tp_tls_write(struct tp_conn *c, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (n > INT32_MAX)
		return -EMSGSIZE;
	ERR_clear_error();
	if (SSL_write(c->ssl, p, (int)n) <= 0) {
		tls_fail(c, "TLS write");
		return -EIO;
	}
	if (tls_drain(c)) {
		/* part of a record is queued: the stream is unusable */
		tp_conn_close(c, "TLS output overflow", true);
		return -ENOBUFS;
	}
	return 0;
}

/* Advances the handshake; when done, sends what was queued meanwhile. */
void tp_tls_handshake(struct tp_conn *c)
{
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r != 1) {
		int e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			tls_fail(c, "TLS handshake");
		return;
	}
	tp_conn_opened(c);
	if (c->pend.off < c->pend.len &&
	    tp_tls_write(c, c->pend.p + c->pend.off, c->pend.len - c->pend.off))
		return;
	tp_buf_free(&c->pend);
}

/* Feeds received TLS bytes to SSL and frames the plaintext. */
void tp_tls_input(struct tp_conn *c, const char *p, size_t n)
{
	size_t room;
	if (BIO_write(c->rbio, p, (int)n) != (int)n) {
		tp_conn_close(c, "TLS input buffer", true);
		return;
	}
	if (c->state == TP_CONN_HANDSHAKE)
		tp_tls_handshake(c);
	while (c->state == TP_CONN_OPEN) {
		if (tp_conn_in_room(c, &room)) {
			c->tp->st.rx_errors++;
			tp_conn_close(c, "message too large", true);
			return;
		}
		ERR_clear_error();
		int r = SSL_read(c->ssl, c->in.p + c->in.len,
				 room > INT32_MAX ? INT32_MAX : (int)room);
		if (r > 0) {
			c->in.len += (size_t)r;
			tp_conn_frame(c);
			continue;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			break;
		if (e == SSL_ERROR_ZERO_RETURN)
			tp_conn_close(c, "TLS closed by peer", false);
		else
			tls_fail(c, "TLS read");
		return;
	}
	tp_tls_out(c);
}
