/*
 * The SIP UA core (RFC 3261 §8, §12.2.2): the table of sessions (hash of
 * Call-ID, matched on our tag), the handlers the transaction layer calls,
 * requests outside any dialog (OPTIONS answered with the call layer's
 * status, 405/481/501 for what a gateway does not do), the sending of
 * requests (Via, next hop, client transaction or raw ACK), requests
 * inside a dialog (BYE, re-INVITE, UPDATE, INFO, OPTIONS). Session
 * timers (RFC 4028) are in sip_ua_timer.c; the INVITE itself in
 * sip_sess.c (UAS) and sip_sess_uac.c (UAC).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_sess_int.h"

#define UA_PRINT_CAP 8192 /* request bytes besides body and extras */

static uint32_t hash_pl(struct pl v)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < v.l; i++) {
		h ^= (unsigned char)v.p[i];
		h *= 16777619u;
	}
	return h;
}

static struct sip_sess **bucket(struct sip_ua *ua, struct pl call_id)
{
	return &ua->tab[hash_pl(call_id) & ua->tab_mask];
}

struct sip_sess *ua_find(struct sip_ua *ua, struct pl call_id,
			 struct pl local_tag)
{
	for (struct sip_sess *s = *bucket(ua, call_id); s; s = s->hnext)
		if (pl_eq_str(call_id, s->call_id) &&
		    pl_eq_str(local_tag, s->local_tag))
			return s;
	return NULL;
}

struct sip_sess *ua_find_stx(struct sip_ua *ua, struct pl call_id,
			     const struct sip_stx *st)
{
	for (struct sip_sess *s = *bucket(ua, call_id); s; s = s->hnext)
		if (s->inv_stx == st && pl_eq_str(call_id, s->call_id))
			return s;
	return NULL;
}

void ua_insert(struct sip_ua *ua, struct sip_sess *s)
{
	struct sip_sess **b = bucket(ua, pl_from(s->call_id));
	s->hnext = *b;
	*b = s;
	ua->n_sess++;
}

/* Unlinks s from the table (a no-op when it is not there). */
static void ua_remove(struct sip_ua *ua, struct sip_sess *s)
{
	if (!s->call_id)
		return;
	for (struct sip_sess **p = bucket(ua, pl_from(s->call_id)); *p;
	     p = &(*p)->hnext)
		if (*p == s) {
			*p = s->hnext;
			s->hnext = NULL;
			ua->n_sess--;
			return;
		}
}

static void reap(struct loop_defer *d)
{
	struct sip_ua *ua = d->arg;
	while (ua->dead) {
		struct sip_sess *s = ua->dead;
		ua->dead = s->hnext;
		sess_free(s);
	}
}

void sess_destroy(struct sip_sess *s)
{
	struct sip_ua *ua = s->ua;
	if (s->destroyed)
		return;
	ua_remove(ua, s);
	s->destroyed = true;
	s->released = true;
	sess_free_prepare(s);
	s->hnext = ua->dead;
	ua->dead = s;
	loop_defer(ua->loop, &ua->reap, reap, ua);
}

bool ua_has_tag(const struct sip_msg *m, enum sip_hdr_id id, const char *tag)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct pl v;
	while (sip_msg_next_value(m, id, &it, &v))
		if (sip_pl_ieq(v, tag))
			return true;
	return false;
}

const char *ua_supported(const struct sip_ua *ua)
{
	return ua->conf.prack ? "Supported: 100rel, timer\r\n"
			      : "Supported: timer\r\n";
}

int ua_contact(struct sip_ua *ua, enum sip_proto proto, int family, char *buf,
	       size_t cap)
{
	struct sockaddr_storage ss;
	char hp[80];
	int w;
	if (!ua->io.local || ua->io.local(ua->io.arg, proto, family, &ss))
		return -EADDRNOTAVAIL;
	sip_sa_hostport(&ss, hp, sizeof(hp));
	w = snprintf(buf, cap, "<sip:gw@%s%s>", hp,
		     proto == SIP_PROTO_TCP   ? ";transport=tcp"
		     : proto == SIP_PROTO_TLS ? ";transport=tls"
					      : "");
	return w < 0 || (size_t)w >= cap ? -ENOSPC : 0;
}

static void ua_ctx_cb(void *arg, struct sip_ctx *ct, const struct sip_msg *m,
		      int err);

int ua_send(struct sip_ua *ua, struct sip_req *r, enum sip_proto proto,
	    struct sip_ctx **ctp, struct sip_peer *to, char **keep,
	    size_t *keep_len)
{
	struct sip_peer peer;
	struct sockaddr_storage ss;
	char sent_by[80], branch[48], *buf;
	size_t cap;
	int e, n;
	bool ack = strcmp(r->method, "ACK") == 0;
	if (!r->ruri || !r->from || !r->to || !r->call_id)
		return -EINVAL;
	if ((e = sip_req_next_hop(r, &peer)))
		return e;
	/* a hop URI without transport= inherits the session's transport */
	if (peer.proto == SIP_PROTO_UDP)
		peer.proto = proto;
	if (!ua->io.local ||
	    ua->io.local(ua->io.arg, peer.proto, peer.remote.ss_family, &ss))
		return -EADDRNOTAVAIL;
	r->proto = peer.proto;
	r->sent_by = sip_sa_hostport(&ss, sent_by, sizeof(sent_by));
	r->branch = sip_txn_branch(ua->txn, branch, sizeof(branch));
	r->user_agent = ua->conf.user_agent;
	cap = UA_PRINT_CAP + r->body_len + strlen(r->ruri) + strlen(r->from) +
	      strlen(r->to) + strlen(r->call_id) +
	      (r->extra_hdrs ? strlen(r->extra_hdrs) : 0);
	for (unsigned i = 0; i < r->n_route; i++)
		cap += strlen(r->route[i]) + 16;
	if (!(buf = malloc(cap)))
		return -ENOMEM;
	if ((n = sip_req_print(buf, cap, r)) < 0) {
		free(buf);
		return n;
	}
	if (ack)
		e = ua->io.send ? ua->io.send(ua->io.arg, &peer, buf, (size_t)n)
				: -ENOSYS;
	else
		e = sip_ctx_send(ua->txn, ctp, &peer, buf, (size_t)n, ua_ctx_cb,
				 ua);
	if (to)
		*to = peer;
	if (!e && keep) {
		*keep = buf;
		*keep_len = (size_t)n;
	} else {
		free(buf);
	}
	return e;
}

void ua_ack_and_bye(struct sip_ua *ua, const struct sip_msg *req,
		    const struct sip_msg *resp)
{
	struct sip_dialog d;
	struct sip_dialog_req dr;
	struct sip_req r = {0};
	struct sip_cseq cs;
	struct sip_via v;
	enum sip_proto proto = SIP_PROTO_UDP;
	if (sip_msg_cseq(resp, &cs) || sip_dialog_uac(&d, req, resp))
		return;
	if (sip_msg_via(req, &v) == 0)
		sip_proto_parse(v.transport, &proto);
	/* §13.2.2.4: ACK with the INVITE's CSeq, then end it (§15) */
	if (sip_dialog_req_init(&d, &dr, &r) == 0) {
		r.method = "ACK";
		r.cseq = cs.num;
		ua_send(ua, &r, proto, NULL, NULL, NULL, NULL);
		r.method = "BYE";
		r.cseq = sip_dialog_next_cseq(&d);
		ua_send(ua, &r, proto, NULL, NULL, NULL, NULL);
	}
	sip_dialog_clear(&d);
}

/* The session of a message by Call-ID and our tag: the To tag of a
 * request we received, the From tag of a response or of our request. */
static struct sip_sess *find_by(struct sip_ua *ua, const struct sip_msg *m,
				bool ours)
{
	struct sip_addr a;
	struct pl cid;
	int e = ours ? sip_msg_from(m, &a) : sip_msg_to(m, &a);
	if (e || !pl_isset(a.tag) || sip_msg_callid(m, &cid))
		return NULL;
	return ua_find(ua, cid, a.tag);
}

static struct sip_sess *find_msg(struct sip_ua *ua, const struct sip_msg *m)
{
	return find_by(ua, m, !m->request);
}

static void ua_ctx_cb(void *arg, struct sip_ctx *ct, const struct sip_msg *m,
		      int err)
{
	struct sip_ua *ua = arg;
	const struct sip_msg *req = sip_ctx_msg(ct);
	struct sip_sess *s = find_by(ua, req, true);
	if (s) {
		sess_response(s, ct, req, m, err);
		return;
	}
	/* a 2xx for a session that is gone (ended while the INVITE was
	 * pending, or a fork): it must still be ACKed and ended */
	if (m && m->status >= 200 && m->status < 300 &&
	    req->method == SIP_METHOD_INVITE)
		ua_ack_and_bye(ua, req, m);
}

/* Answers a request outside a dialog, with a To tag of our own
 * (§8.2.6.2). */
static void respond_plain(struct sip_ua *ua, struct sip_stx *st, unsigned code,
			  const char *extra)
{
	char tag[UA_TAG_LEN + 1];
	(void)ua;
	sip_stx_respond(st, code, NULL, sip_rand_token(tag, sizeof(tag), 10),
			extra, NULL, NULL, 0);
}

static void allow_hdrs(const struct sip_ua *ua, char *buf, size_t cap)
{
	snprintf(buf, cap, "Allow: %s\r\nAccept: %s\r\n%s", UA_ALLOW, UA_ACCEPT,
		 ua_supported(ua));
}

static void out_of_dialog(struct sip_ua *ua, struct sip_stx *st,
			  const struct sip_msg *m, const struct sip_peer *src)
{
	char hdrs[256];
	unsigned code;
	allow_hdrs(ua, hdrs, sizeof(hdrs));
	/* §8.2: the UAS checks (416, 420, 415, 400...) come before the
	 * method's processing for every request; INVITE runs them in
	 * sess_incoming */
	if (m->method != SIP_METHOD_INVITE && !sess_checks_ok(ua, st, m, NULL))
		return;
	switch (m->method) {
	case SIP_METHOD_INVITE:
		sess_incoming(ua, st, m, src);
		return;
	case SIP_METHOD_OPTIONS:
		/* §11.2 */
		code = ua->h.options ? ua->h.options(ua->arg, m, src) : 200;
		respond_plain(ua, st, code, hdrs);
		return;
	case SIP_METHOD_BYE:
	case SIP_METHOD_PRACK:
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_INFO:
	case SIP_METHOD_CANCEL:
		/* §12.2.2, §15.1.2: no such dialog */
		respond_plain(ua, st, 481, NULL);
		return;
	case SIP_METHOD_REGISTER:
	case SIP_METHOD_REFER:
	case SIP_METHOD_NOTIFY:
	case SIP_METHOD_SUBSCRIBE:
	case SIP_METHOD_MESSAGE:
		/* §8.2.1: known to us but not done by a gateway */
		respond_plain(ua, st, 405, hdrs);
		return;
	case SIP_METHOD_OTHER:
	case SIP_METHOD_ACK:
		respond_plain(ua, st, 501, hdrs);
		return;
	}
	respond_plain(ua, st, 501, hdrs);
}

/* RFC 3261 §22.1, RFC 7616 §3.3: whether a request outside a dialog may
 * go on; if not, it has been answered 401 (a fresh challenge, stale=true
 * for an expired or replayed nonce) or 403 (wrong credentials). Trusted
 * sources and a core without auth_user are never challenged. */
static bool authorized(struct sip_ua *ua, struct sip_stx *st,
		       const struct sip_msg *m, const struct sip_peer *src)
{
	struct sip_auth_result r;
	char hdrs[1024];
	uint64_t now_ms = loop_now_ms(ua->loop);
	bool stale = false;
	if (!ua->auth || m->method == SIP_METHOD_ACK ||
	    m->method == SIP_METHOD_CANCEL ||
	    sip_acl_match(&ua->trusted, (const struct sockaddr *)&src->remote))
		return true;
	switch (sip_auth_srv_verify(ua->auth, m, false, now_ms, &r)) {
	case SIP_AUTH_OK:
		return true;
	case SIP_AUTH_MISSING:
		break;
	case SIP_AUTH_STALE:
		stale = true;
		break;
	case SIP_AUTH_BAD:
		respond_plain(ua, st, 403, NULL);
		return false;
	}
	if (sip_auth_srv_challenges(ua->auth, false, stale, now_ms, hdrs,
				    sizeof(hdrs)) < 0)
		respond_plain(ua, st, 500, NULL);
	else
		respond_plain(ua, st, 401, hdrs);
	return false;
}

static void h_request(void *arg, struct sip_stx *st, const struct sip_msg *m,
		      const struct sip_peer *src)
{
	struct sip_ua *ua = arg;
	struct sip_addr to;
	struct sip_sess *s;
	if (!st) {
		/* an ACK for a 2xx (§13.3.1.4), or one matching nothing */
		if (m->method == SIP_METHOD_ACK && (s = find_msg(ua, m)) &&
		    s->has_dialog && sip_dialog_match(&s->d, m))
			sess_ack(s, m);
		return;
	}
	if (sip_msg_to(m, &to)) {
		respond_plain(ua, st, 400, NULL);
		return;
	}
	if (pl_isset(to.tag)) {
		s = find_msg(ua, m);
		if (s && s->has_dialog && !s->destroyed &&
		    sip_dialog_match(&s->d, m))
			sess_request(s, st, m, src);
		else
			respond_plain(ua, st, 481, NULL); /* §12.2.2 */
		return;
	}
	if (!authorized(ua, st, m, src))
		return;
	out_of_dialog(ua, st, m, src);
}

static void h_cancel(void *arg, struct sip_stx *invite,
		     const struct sip_msg *cancel)
{
	struct sip_ua *ua = arg;
	struct sip_sess *s;
	struct pl cid;
	if (sip_msg_callid(cancel, &cid) == 0 &&
	    (s = ua_find_stx(ua, cid, invite)))
		sess_cancelled(s, cancel);
	else
		respond_plain(ua, invite, 487, NULL); /* §9.2 */
}

static void h_stray(void *arg, const struct sip_msg *m,
		    const struct sip_peer *src)
{
	struct sip_ua *ua = arg;
	struct sip_cseq cs;
	struct sip_sess *s;
	(void)src;
	if (m->status < 200 || m->status >= 300 || sip_msg_cseq(m, &cs) ||
	    cs.method != SIP_METHOD_INVITE)
		return;
	if ((s = find_msg(ua, m)))
		sess_stray_2xx(s, m);
	else
		ua_ack_and_bye(ua, m, m); /* the 2xx has all we need */
}

const struct sip_txn_handlers sip_ua_txn_handlers = {
    .request = h_request,
    .cancel = h_cancel,
    .stray_response = h_stray,
};

/* The digest lookup: our one user (sip_auth.h sip_auth_lookup_fn). */
static int auth_lookup(void *arg, const char *user, const char *realm,
		       enum sip_auth_alg alg, char *secret, size_t cap,
		       bool *is_ha1)
{
	struct sip_ua *ua = arg;
	(void)realm;
	(void)alg;
	*is_ha1 = false;
	if (strcmp(user, ua->auth_user) ||
	    (size_t)snprintf(secret, cap, "%s", ua->auth_password) >= cap)
		return -ENOENT;
	return 0;
}

/* Sets up the trusted list and the verifier from conf (strings copied;
 * the conf pointers are cleared). Returns 0 or -errno. */
static int ua_auth_init(struct sip_ua *ua)
{
	struct sip_ua_conf *c = &ua->conf;
	const char *realm =
	    c->auth_realm && c->auth_realm[0] ? c->auth_realm : "gwd";
	struct sip_auth_srv_conf ac = {
	    .realm = realm,
	    .lookup = auth_lookup,
	    .lookup_arg = ua,
	};
	int e = sip_acl_parse(&ua->trusted, c->trusted, NULL, 0);
	bool on = c->auth_user && c->auth_user[0];
	if (!e && on &&
	    (!(ua->auth_user = strdup(c->auth_user)) ||
	     !(ua->auth_password =
		   strdup(c->auth_password ? c->auth_password : ""))))
		e = -ENOMEM;
	if (!e && on)
		e = sip_auth_srv_new(&ua->auth, &ac);
	c->trusted = c->auth_realm = c->auth_user = c->auth_password = NULL;
	return e;
}

int sip_ua_new(struct sip_ua **uap, struct loop *loop, struct sip_txn *txn,
	       const struct sip_ua_conf *conf, const struct sip_ua_io *io,
	       const struct sip_ua_handlers *h, void *arg)
{
	struct sip_ua *ua = calloc(1, sizeof(*ua));
	unsigned nb = 256;
	int e;
	if (!ua)
		return -ENOMEM;
	ua->loop = loop;
	ua->txn = txn;
	if (conf)
		ua->conf = *conf;
	if (!ua->conf.min_se_s)
		ua->conf.min_se_s = 90; /* RFC 4028 §4 */
	if (!ua->conf.max_sessions)
		ua->conf.max_sessions = 100000;
	if (ua->conf.session_expires_s &&
	    ua->conf.session_expires_s < ua->conf.min_se_s)
		ua->conf.session_expires_s = ua->conf.min_se_s;
	if (conf && conf->user_agent &&
	    !(ua->ua_str = strdup(conf->user_agent))) {
		free(ua);
		return -ENOMEM;
	}
	ua->conf.user_agent = ua->ua_str;
	if (io)
		ua->io = *io;
	if (h)
		ua->h = *h;
	ua->arg = arg;
	while (nb < ua->conf.max_sessions / 2 && nb < 65536)
		nb <<= 1;
	if (!(ua->tab = calloc(nb, sizeof(*ua->tab)))) {
		free(ua->ua_str);
		free(ua);
		return -ENOMEM;
	}
	ua->tab_mask = nb - 1;
	if ((e = ua_auth_init(ua))) {
		sip_ua_free(ua);
		return e;
	}
	*uap = ua;
	return 0;
}

void sip_ua_free(struct sip_ua *ua)
{
	if (!ua)
		return;
	for (unsigned i = 0; i <= ua->tab_mask; i++)
		while (ua->tab[i])
			sess_destroy(ua->tab[i]);
	loop_defer_cancel(ua->loop, &ua->reap);
	reap(&(struct loop_defer){.arg = ua});
	sip_auth_srv_free(ua->auth);
	free(ua->auth_user);
	free(ua->auth_password);
	free(ua->tab);
	free(ua->ua_str);
	free(ua);
}

void sip_ua_set_txn(struct sip_ua *ua, struct sip_txn *txn)
{
	ua->txn = txn;
}

unsigned sip_ua_sessions(const struct sip_ua *ua)
{
	return ua->n_sess;
}

int sip_reason_q850(const struct sip_msg *m)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct pl v, proto, params, c;
	while (sip_msg_next_value(m, SIP_HDR_REASON, &it, &v)) {
		const char *semi = memchr(v.p, ';', v.l);
		unsigned n = 0;
		if (!semi)
			continue;
		proto = sip_pl_trim((struct pl){v.p, (size_t)(semi - v.p)});
		params = (struct pl){semi, v.l - (size_t)(semi - v.p)};
		/* RFC 3326 §2: protocol "Q.850", cause = the Q.850 cause */
		if (!sip_pl_ieq(proto, "Q.850") ||
		    sip_param_find(params, "cause", &c) || !c.l || c.l > 3)
			continue;
		for (size_t i = 0; i < c.l; i++) {
			if (!sip_is_digit((unsigned char)c.p[i])) {
				n = 0;
				break;
			}
			n = n * 10 + (unsigned)(c.p[i] - '0');
		}
		if (n >= 1 && n <= 127)
			return (int)n;
	}
	return 0;
}

/* ---- requests inside a dialog (§12.2.2, §14, RFC 3311, RFC 6086) ---- */

/* An offer (or offerless request) for the call layer; 0 on no handler. */
unsigned sess_ask_reoffer(struct sip_sess *s, const struct sip_msg *m,
			  char *buf, size_t *len)
{
	*len = 0;
	if (s->released || !s->h || !s->h->reoffer)
		return m->body.l ? 488 : 200;
	return s->h->reoffer(s->arg, s, m, buf, SESS_SDP_MAX, len);
}

/* RFC 4028 §6/§8.1: a refresh asking for less than our Min-SE is
 * answered 422 with it. Returns true if it was. */
static bool refresh_refused(struct sip_sess *s, struct sip_stx *st,
			    const struct sip_msg *m)
{
	char h[48];
	if (sess_se_from_request(s, m, false) != 422)
		return false;
	snprintf(h, sizeof(h), "Min-SE: %u\r\n", s->min_se_s);
	sess_respond(s, st, 422, 0, h, NULL, 0);
	return true;
}

/* A buffer for the answer SDP, or NULL after answering 500. */
static char *sdp_buf(struct sip_sess *s, struct sip_stx *st)
{
	char *buf = malloc(SESS_SDP_MAX);
	if (!buf)
		sess_respond(s, st, 500, 0, NULL, NULL, 0);
	return buf;
}

/* The final answer to a re-offer the call layer did not take: its 3xx-6xx
 * code, else 500. */
static void reoffer_refused(struct sip_sess *s, struct sip_stx *st,
			    unsigned code)
{
	sess_respond(s, st, code >= 300 && code <= 699 ? code : 500, 0, NULL,
		     NULL, 0);
}

static void on_reinvite(struct sip_sess *s, struct sip_stx *st,
			const struct sip_msg *m)
{
	struct sip_cseq cs;
	char *buf;
	size_t len;
	unsigned code;
	if (s->state == SESS_ENDING) {
		sess_respond(s, st, 481, 0, NULL, NULL, 0);
		return;
	}
	if (s->state != SESS_CONFIRMED || loop_timer_armed(&s->t_2xx)) {
		/* §14.2: an INVITE still pending on this dialog */
		sess_respond(s, st, 500, 0, "Retry-After: 3\r\n", NULL, 0);
		return;
	}
	if (s->reinv_cseq) {
		sess_respond(s, st, 491, 0, NULL, NULL, 0); /* §14.2 glare */
		return;
	}
	sip_msg_cseq(m, &cs);
	if (refresh_refused(s, st, m) || !(buf = sdp_buf(s, st)))
		return;
	code = sess_ask_reoffer(s, m, buf, &len);
	if (code >= 200 && code < 300) {
		if (!len && s->local_sdp) {
			memcpy(buf, s->local_sdp, s->local_sdp_len);
			len = s->local_sdp_len;
		}
		sip_dialog_refresh_target(&s->d, m); /* §12.2 */
		if (sess_respond(s, st, 200,
				 H_CONTACT | H_ALLOW | H_SUPPORTED | H_SE_RESP,
				 NULL, buf, len) == 0) {
			if (len && sess_set_str(&s->local_sdp, buf, len) == 0)
				s->local_sdp_len = len;
			sess_start_2xx_rtx(s, st, cs.num);
			sess_se_restart(s);
		}
	} else {
		reoffer_refused(s, st, code);
	}
	free(buf);
}

static void on_update(struct sip_sess *s, struct sip_stx *st,
		      const struct sip_msg *m)
{
	char *buf;
	size_t len = 0;
	unsigned code = 200;
	if (s->state == SESS_ENDING) {
		sess_respond(s, st, 481, 0, NULL, NULL, 0);
		return;
	}
	if (m->body.l && s->reinv_cseq) {
		sess_respond(s, st, 491, 0, NULL, NULL, 0); /* RFC 3311 §5.2 */
		return;
	}
	if (refresh_refused(s, st, m) || !(buf = sdp_buf(s, st)))
		return;
	if (m->body.l)
		code = sess_ask_reoffer(s, m, buf, &len);
	if (code >= 200 && code < 300) {
		sip_dialog_refresh_target(&s->d, m); /* RFC 3311 §5.2 */
		sess_respond(s, st, 200,
			     H_CONTACT | H_ALLOW | H_SUPPORTED | H_SE_RESP,
			     NULL, buf, len);
		if (len && sess_set_str(&s->local_sdp, buf, len) == 0)
			s->local_sdp_len = len;
		if (s->state == SESS_CONFIRMED)
			sess_se_restart(s);
	} else {
		reoffer_refused(s, st, code);
	}
	free(buf);
}

static void on_bye(struct sip_sess *s, struct sip_stx *st,
		   const struct sip_msg *m)
{
	sess_respond(s, st, 200, 0, NULL, NULL, 0);
	/* §15.1.2: a BYE ends an early dialog too; the INVITE gets 487 */
	if (s->incoming && s->inv_stx && !sip_stx_final_sent(s->inv_stx))
		sess_respond(s, s->inv_stx, 487, 0, NULL, NULL, 0);
	sess_close(s, SIP_END_BYE, 0, m);
}

void sess_request(struct sip_sess *s, struct sip_stx *st,
		  const struct sip_msg *m, const struct sip_peer *src)
{
	char hdrs[256];
	unsigned code;
	(void)src;
	if (!sess_checks_ok(s->ua, st, m, s->local_tag))
		return;
	if (sip_dialog_recv_cseq(&s->d, m)) {
		sess_respond(s, st, 500, 0, NULL, NULL, 0); /* §12.2.2 */
		return;
	}
	switch (m->method) {
	case SIP_METHOD_BYE:
		on_bye(s, st, m);
		return;
	case SIP_METHOD_INVITE:
		on_reinvite(s, st, m);
		return;
	case SIP_METHOD_UPDATE:
		on_update(s, st, m);
		return;
	case SIP_METHOD_PRACK:
		sess_prack(s, st, m);
		return;
	case SIP_METHOD_INFO:
		/* RFC 6086 §4.2 */
		code = (!s->released && s->h && s->h->info)
			   ? s->h->info(s->arg, s, m)
			   : 415;
		sess_respond(s, st, code >= 200 && code <= 699 ? code : 500, 0,
			     NULL, NULL, 0);
		return;
	case SIP_METHOD_OPTIONS:
		snprintf(hdrs, sizeof(hdrs), "Accept: %s\r\n", UA_ACCEPT);
		sess_respond(s, st, 200, H_ALLOW | H_SUPPORTED, hdrs, NULL, 0);
		return;
	case SIP_METHOD_ACK:
	case SIP_METHOD_CANCEL:
	case SIP_METHOD_REGISTER:
	case SIP_METHOD_REFER:
	case SIP_METHOD_NOTIFY:
	case SIP_METHOD_SUBSCRIBE:
	case SIP_METHOD_MESSAGE:
	case SIP_METHOD_OTHER:
		break;
	}
	sess_respond(s, st, 405, H_ALLOW, NULL, NULL, 0); /* §8.2.1 */
}
