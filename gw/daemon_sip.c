/*
 * The daemon's SIP wiring: transports from [sip] listen (their received
 * messages go to the transaction layer), the transaction layer (sending
 * through the transports) and the UA core (its calls go to the call
 * layer).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "call/call.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "sip/sip_sess.h"
#include "sip/sip_tp.h"
#include "sip/sip_txn.h"

static void tp_recv(void *arg, const struct sip_msg *m,
		    const struct sip_peer *from)
{
	struct gw *gw = arg;
	sip_txn_recv(gw->sip_txn, m, from);
}

static void tp_conn_failed(void *arg, const struct sip_peer *peer)
{
	struct gw *gw = arg;
	if (gw->sip_txn)
		sip_txn_tp_failed(gw->sip_txn, peer);
}

static const struct sip_tp_handlers tp_h = {
    .recv = tp_recv,
    .conn_failed = tp_conn_failed,
};

static int io_send(void *arg, struct sip_peer *to, const void *buf, size_t len)
{
	struct gw *gw = arg;
	return sip_tp_send(gw->sip_tp, to, buf, len);
}

static int io_send_response(void *arg, const struct sip_via *top,
			    const struct sip_peer *src, const void *buf,
			    size_t len)
{
	struct gw *gw = arg;
	return sip_tp_send_response(gw->sip_tp, top, src, buf, len);
}

static int ua_local(void *arg, enum sip_proto proto, int family,
		    struct sockaddr_storage *ss)
{
	struct gw *gw = arg;
	return sip_tp_local(gw->sip_tp, proto, family, ss);
}

/* The transaction layer exists before the UA core it serves: forward its
 * callbacks to the core once that is made. */
static void txn_request(void *arg, struct sip_stx *st, const struct sip_msg *m,
			const struct sip_peer *src)
{
	struct gw *gw = arg;
	if (gw->sip_ua)
		sip_ua_txn_handlers.request(gw->sip_ua, st, m, src);
}

static void txn_cancel(void *arg, struct sip_stx *invite,
		       const struct sip_msg *cancel)
{
	struct gw *gw = arg;
	if (gw->sip_ua)
		sip_ua_txn_handlers.cancel(gw->sip_ua, invite, cancel);
}

static void txn_stray(void *arg, const struct sip_msg *m,
		      const struct sip_peer *src)
{
	struct gw *gw = arg;
	if (gw->sip_ua)
		sip_ua_txn_handlers.stray_response(gw->sip_ua, m, src);
}

static const struct sip_txn_handlers txn_h = {
    .request = txn_request,
    .cancel = txn_cancel,
    .stray_response = txn_stray,
};

static enum sip_proto proto_of(enum conf_transport t)
{
	switch (t) {
	case CONF_TP_UDP:
		return SIP_PROTO_UDP;
	case CONF_TP_TCP:
		return SIP_PROTO_TCP;
	case CONF_TP_TLS:
		return SIP_PROTO_TLS;
	}
	return SIP_PROTO_UDP;
}

int gw_sip_init(struct gw *gw, char *err, size_t cap)
{
	const struct conf_sip *sc = &gw->conf->sip;
	struct sip_tp_conf tpc = {
	    .tls_cert = sc->tls_cert[0] ? sc->tls_cert : NULL,
	    .tls_key = sc->tls_key[0] ? sc->tls_key : NULL,
	    .tls_ca = sc->tls_ca[0] ? sc->tls_ca : NULL,
	};
	int rc = sip_tp_new(&gw->sip_tp, gw->loop, &tpc, &tp_h, gw);
	if (rc) {
		snprintf(err, cap, "sip transports: %s", strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < sc->nlisten; i++) {
		const struct conf_listen *l = &sc->listen[i];
		char msg[256];
		rc = sip_tp_listen(gw->sip_tp, proto_of(l->transport), l->host,
				   l->port, msg, sizeof(msg));
		if (rc) {
			snprintf(err, cap, "sip listen %s:%s:%u: %s",
				 conf_transport_name(l->transport), l->host,
				 l->port, msg);
			return rc;
		}
		log_info("sip: listening on %s %s port %u",
			 conf_transport_name(l->transport), l->host, l->port);
	}
	static struct sip_txn_io io;
	io = (struct sip_txn_io){
	    .send = io_send,
	    .send_response = io_send_response,
	    .arg = gw,
	};
	struct sip_txn_conf txc = {.t1_ms = sc->t1_ms};
	rc = sip_txn_new(&gw->sip_txn, gw->loop, &txc, &io, &txn_h, gw);
	if (rc) {
		snprintf(err, cap, "sip transactions: %s", strerror(-rc));
		return rc;
	}
	static struct sip_ua_io uio;
	uio = (struct sip_ua_io){
	    .local = ua_local,
	    .send = io_send,
	    .arg = gw,
	};
	struct sip_ua_conf uac = {
	    .user_agent = sc->user_agent[0] ? sc->user_agent : NULL,
	    .prack = sc->prack,
	    .session_expires_s = sc->session_expires_s,
	    .min_se_s = sc->min_se_s,
	    .trusted = sc->trusted,
	    .auth_realm = sc->auth_realm,
	    .auth_user = sc->auth_user,
	    .auth_password = sc->auth_password,
	};
	rc = sip_ua_new(&gw->sip_ua, gw->loop, gw->sip_txn, &uac, &uio,
			&call_ua_handlers, gw);
	if (rc) {
		snprintf(err, cap, "sip user agent: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

void gw_sip_fini(struct gw *gw)
{
	sip_ua_free(gw->sip_ua);
	gw->sip_ua = NULL;
	sip_txn_free(gw->sip_txn);
	gw->sip_txn = NULL;
	sip_tp_free(gw->sip_tp);
	gw->sip_tp = NULL;
}
