/*
 * The SIP leg of calls: incoming INVITEs (number from the Request-URI,
 * calling party and privacy, Diversion, SDP offer or late offer, prefix
 * routing to trunk groups with admission and channel hunting), outgoing
 * INVITEs for PSTN calls (Request-URI toward the trunk group's SIP
 * destination, From/PAI/Privacy, Diversion, SDP offer), the session
 * callbacks, OPTIONS answers, and the RTP port each call holds.
 */
#include <errno.h>
#include <libpri.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "call_int.h"
#include "log.h"
#include "sip/sip_tp.h"

#define CALL_TE_PT	101 /* telephone-event payload type we offer */
#define CALL_PTIME_MS	20
#define CALL_MAX_ROUTES 8

/* ---- RTP port ---- */

void call_rtp_close(struct call *c)
{
	if (c->rtp_fd >= 0)
		close(c->rtp_fd);
	if (c->rtcp_fd >= 0)
		close(c->rtcp_fd);
	c->rtp_fd = -1;
	c->rtcp_fd = -1;
}

/* Our address toward `toward` (the kernel's route choice). */
static int local_addr_toward(const struct sockaddr_storage *toward,
			     struct sockaddr_storage *local)
{
	socklen_t len = toward->ss_family == AF_INET6
			    ? sizeof(struct sockaddr_in6)
			    : sizeof(struct sockaddr_in);
	int fd = socket(toward->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = 0;
	socklen_t ll = sizeof(*local);
	if (connect(fd, (const struct sockaddr *)toward, len) ||
	    getsockname(fd, (struct sockaddr *)local, &ll))
		rc = -errno;
	close(fd);
	return rc;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* A non-blocking UDP socket bound to local at port; -errno on failure. */
static int udp_bound(struct sockaddr_storage *local, uint16_t port)
{
	int fd = socket(local->ss_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t len = local->ss_family == AF_INET6
			    ? sizeof(struct sockaddr_in6)
			    : sizeof(struct sockaddr_in);
	set_port(local, port);
	if (bind(fd, (struct sockaddr *)local, len)) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int call_rtp_open(struct call *c, const struct sockaddr_storage *toward)
{
	const struct conf_sip *sc = &c->gw->conf->sip;
	struct call_table *t = c->gw->calls;
	struct sockaddr_storage local;
	int rc = local_addr_toward(toward, &local);
	if (rc)
		return rc;
	unsigned lo = (sc->rtp_port_min + 1) & ~1u, hi = sc->rtp_port_max;
	unsigned span = hi > lo ? (hi - lo) / 2 + 1 : 1;
	for (unsigned k = 0; k < span; k++) {
		unsigned port = t->rtp_next >= lo && t->rtp_next + 1u <= hi
				    ? t->rtp_next
				    : lo;
		t->rtp_next = (uint16_t)(port + 2 > hi ? lo : port + 2);
		/* RFC 3550 §11: RTP on an even port, RTCP on the next; both
		 * free or the next pair */
		int fd = udp_bound(&local, (uint16_t)port);
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM)
			return fd;
		if (fd < 0)
			continue;
		struct sockaddr_storage l2 = local;
		int fd2 = udp_bound(&l2, (uint16_t)(port + 1));
		if (fd2 < 0) {
			close(fd);
			if (fd2 == -EMFILE || fd2 == -ENFILE || fd2 == -ENOMEM)
				return fd2;
			continue;
		}
		c->rtp_fd = fd;
		c->rtcp_fd = fd2;
		struct sdp_local *sl = &c->sdp_local;
		sl->af = local.ss_family;
		sip_sa_host(&local, sl->addr, sizeof(sl->addr));
		sl->rtp_port = (uint16_t)port;
		return 0;
	}
	log_warn("call %u: no free RTP/RTCP port pair in %u-%u", c->id,
		 sc->rtp_port_min, sc->rtp_port_max);
	return -EADDRINUSE;
}

/* Our SDP preferences: the span's law first (no transcoding needed). */
static void sdp_local_init(struct call *c, enum tdm_law law)
{
	struct sdp_local *sl = &c->sdp_local;
	sl->codecs[0] = law == TDM_LAW_ULAW ? SDP_CODEC_PCMU : SDP_CODEC_PCMA;
	sl->codecs[1] = law == TDM_LAW_ULAW ? SDP_CODEC_PCMA : SDP_CODEC_PCMU;
	sl->ncodecs = 2;
	sl->te_pt = CALL_TE_PT;
	sl->ptime_ms = CALL_PTIME_MS;
	sl->dir = SDP_DIR_SENDRECV;
	snprintf(sl->username, sizeof(sl->username), "gwd");
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = loop_now_ns(c->gw->loop) ^ c->id;
	sl->sess_id = r >> 12;
	sl->sess_version = sl->sess_id;
	sl->last = NULL;
}

static int print_last(struct call *c)
{
	int n = sdp_print(&c->sdp_last, c->sdp_answer, sizeof(c->sdp_answer));
	if (n < 0)
		return n;
	c->sdp_answer_len = (size_t)n;
	c->sdp_local.last = &c->sdp_last;
	return 0;
}

int call_sip_local_sdp(struct call *c, const char **sdp, size_t *len)
{
	if (!c->sdp_answer_len)
		return -ENOENT;
	*sdp = c->sdp_answer;
	*len = c->sdp_answer_len;
	return 0;
}

/* ---- SIP -> PSTN ---- */

/* Rejects the SIP leg with a status that has no Q.850 cause behind it
 * (488 for SDP, 400). */
static void reject_plain(struct call *c, unsigned code, const char *hdrs)
{
	c->sip_code = code;
	snprintf(c->released_by, sizeof(c->released_by), "gw");
	c->state = CALL_ST_CLEARING;
	sip_sess_end(c->ss, code, hdrs);
	c->ss = NULL;
	call_maybe_free(c);
}

/* SDP of the INVITE: answer it now (sent with 18x/200), or prepare our
 * offer for an INVITE without one (RFC 3261 §13.2.1, late offer).
 * Returns 0, or the status to reject with (hdrs filled). */
static unsigned invite_sdp(struct call *c, const struct sip_msg *m, char *hdrs,
			   size_t cap)
{
	struct pl body;
	int rc = sip_body_find(m, "application", "sdp", &body);
	if (rc == -ENOENT && !m->body.l) {
		c->late_offer = true;
		if (sdp_offer(&c->sdp_local, &c->sdp_last) || print_last(c))
			return 500;
		return 0;
	}
	if (rc) {
		snprintf(hdrs, cap,
			 "Accept: application/sdp, "
			 "multipart/mixed\r\n");
		return rc == -ENOENT ? 415 : 400;
	}
	struct sdp_session offer;
	struct sdp_err serr;
	if (sdp_parse(&offer, body.p, body.l, &serr)) {
		snprintf(hdrs, cap, "Warning: 399 gwd \"malformed SDP\"\r\n");
		return 400;
	}
	rc = sdp_answer(&offer, &c->sdp_local, &c->sdp_last, &c->media);
	if (rc == -ENOTSUP) {
		snprintf(hdrs, cap, "Warning: %d %s \"%s\"\r\n",
			 c->media.warn_code, c->sdp_local.addr,
			 c->media.warn_text ? c->media.warn_text : "");
		return 488;
	}
	if (rc || print_last(c))
		return 500;
	return 0;
}

/* Routes an incoming INVITE and places the ISDN leg. Returns 0 or a
 * Q.850 cause; *plain set for a non-cause rejection already sent. */
static int invite_route(struct call *c, const struct sip_msg *m,
			const struct sip_peer *src, bool *plain)
{
	char num[NUMBER_MAX];
	if (call_hdr_uri_number(m->ruri, num, sizeof(num)))
		return PRI_CAUSE_INVALID_NUMBER_FORMAT;
	const char *digits = num[0] == '+' ? num + 1 : num;
	snprintf(c->called_in, sizeof(c->called_in), "%s", num);
	/* E.164 §6: at most 15 digits */
	if (strlen(digits) > 15 ||
	    snprintf(c->called_e164, sizeof(c->called_e164), "+%s", digits) >=
		(int)sizeof(c->called_e164))
		return PRI_CAUSE_INVALID_NUMBER_FORMAT;
	int pres;
	char calling[NUMBER_MAX - 1]; /* room for a leading + */
	if (call_hdr_calling(m, calling, sizeof(calling), &pres) == 0)
		snprintf(c->calling_in, sizeof(c->calling_in), "%s%s",
			 calling[0] == '+' ? "" : "+", calling);
	c->setup.calling_pres = pres;
	int reason, count;
	char redir[NUMBER_MAX - 1];
	if (call_hdr_redirecting(m, redir, sizeof(redir), &reason, &count) ==
	    0) {
		snprintf(c->setup.redirecting, sizeof(c->setup.redirecting),
			 "%s%s", redir[0] == '+' ? "" : "+", redir);
		c->setup.redirecting_reason = reason;
		c->setup.redirecting_count = count;
		c->setup.redirecting_pres =
		    PRES_ALLOWED_USER_NUMBER_NOT_SCREENED;
	}

	struct call_tg *routes[CALL_MAX_ROUTES];
	unsigned n = call_tg_route(c->gw, digits, routes, CALL_MAX_ROUTES);
	if (!n)
		return PRI_CAUSE_NO_ROUTE_DESTINATION;
	/* SDP before any channel is taken */
	struct isdn_span *s0 =
	    isdn_span_get(c->gw->isdn, routes[0]->conf.spans[0]);
	const struct tdm_span *tdm = s0 ? isdn_span_tdm(s0) : NULL;
	sdp_local_init(c, tdm ? tdm->law : TDM_LAW_ALAW);
	if (call_rtp_open(c, &src->remote))
		return PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED;
	char hdrs[256];
	unsigned code = invite_sdp(c, m, hdrs, sizeof(hdrs));
	if (code) {
		*plain = true;
		reject_plain(c, code, hdrs);
		return 0;
	}
	int cause = PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
	uint64_t now = loop_now_ms(c->gw->loop);
	for (unsigned i = 0; i < n; i++) {
		struct call_tg *tg = routes[i];
		c->tg = tg;
		int why = call_tg_admit(tg, now);
		if (why) {
			cause = why;
			continue;
		}
		tg->active++;
		c->counted = true;
		why = call_pstn_place(c);
		if (!why)
			return 0;
		tg->active--;
		c->counted = false;
		cause = why;
	}
	return cause;
}

/* RFC 5009 §8: a UAC that can tell gated from ungated early media puts
 * P-Early-Media: supported in its INVITE. */
static bool wants_early_media(const struct sip_msg *m)
{
	for (unsigned k = 0; k < m->n_hdr; k++) {
		const struct sip_hdr *h = &m->hdr[k];
		if (!pl_casecmp_str(h->name, "P-Early-Media"))
			continue;
		for (size_t i = 0; i + 9 <= h->val.l; i++)
			if (pl_casecmp_str((struct pl){h->val.p + i, 9},
					   "supported"))
				return true;
	}
	return false;
}

static void on_incoming(void *arg, struct sip_sess *ss, const struct sip_msg *m,
			const struct sip_peer *src)
{
	struct gw *gw = arg;
	if (gw->shutting_down) {
		sip_sess_end(ss, 503,
			     "Reason: Q.850;cause=41;text=\"Temporary "
			     "failure\"\r\n");
		return;
	}
	struct call *c = call_new(gw, CALL_SIP_TO_PSTN);
	if (!c) {
		sip_sess_end(ss, 503, NULL);
		return;
	}
	call_start_timers(c);
	c->ss = ss;
	c->early_media_ok = wants_early_media(m);
	sip_sess_set_handlers(ss, &call_sip_handlers, c);
	bool plain = false;
	int cause = invite_route(c, m, src, &plain);
	if (plain)
		return;
	if (cause) {
		log_info("call %u: INVITE for '%s' refused with cause %d (%s)",
			 c->id, c->called_in, cause, cause_text(cause));
		call_abort(c, cause);
	}
}

/* OPTIONS (RFC 3261 §11): 200 while some trunk group can take a call. */
static unsigned on_options(void *arg, const struct sip_msg *m,
			   const struct sip_peer *src)
{
	struct gw *gw = arg;
	(void)m;
	(void)src;
	if (gw->shutting_down)
		return 503;
	for (struct call_tg *tg = gw->calls->tgs; tg; tg = tg->next) {
		if (tg->gone ||
		    (tg->conf.max_calls && tg->active >= tg->conf.max_calls))
			continue;
		for (unsigned i = 0; i < tg->conf.nspans; i++) {
			struct isdn_span *s =
			    isdn_span_get(gw->isdn, tg->conf.spans[i]);
			struct isdn_span_status st;
			if (!s || !isdn_span_usable(s))
				continue;
			isdn_span_status(s, &st);
			if (st.idle > 0)
				return 200;
		}
	}
	return 503;
}

const struct sip_ua_handlers call_ua_handlers = {
    .incoming = on_incoming,
    .options = on_options,
};

/* ---- PSTN -> SIP ---- */

static const char *redir_reason_name(int reason)
{
	switch (reason) {
	case PRI_REDIR_FORWARD_ON_BUSY:
		return "user-busy";
	case PRI_REDIR_FORWARD_ON_NO_REPLY:
		return "no-answer";
	case PRI_REDIR_DEFLECTION:
		return "deflection";
	case PRI_REDIR_DTE_OUT_OF_ORDER:
		return "unavailable";
	case PRI_REDIR_FORWARDED_BY_DTE:
		return "follow-me";
	case PRI_REDIR_UNCONDITIONAL:
		return "unconditional";
	default:
		return "unknown";
	}
}

/* From, P-Asserted-Identity, Privacy and Diversion for the INVITE
 * (RFC 3325 §9.1, RFC 3323 §4.1.1, RFC 5806 §4). */
static void identity_hdrs(const struct isdn_setup *st, const char *host,
			  char *from, size_t fcap, char *hdrs, size_t hcap)
{
	size_t n = 0;
	bool restricted =
	    (st->calling_pres & PRI_PRES_RESTRICTION) != PRI_PRES_ALLOWED;
	if (!st->calling[0] || restricted)
		snprintf(from, fcap,
			 "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	else
		snprintf(from, fcap, "<sip:%s@%s;user=phone>", st->calling,
			 host);
	hdrs[0] = '\0';
	if (st->calling[0])
		n += (size_t)snprintf(hdrs + n, hcap - n,
				      "P-Asserted-Identity: "
				      "<sip:%s@%s;user=phone>\r\n",
				      st->calling, host);
	if (st->calling[0] && restricted && n < hcap)
		n += (size_t)snprintf(hdrs + n, hcap - n, "Privacy: id\r\n");
	if (st->redirecting[0] && n < hcap)
		snprintf(hdrs + n, hcap - n,
			 "Diversion: <sip:%s@%s;user=phone>;reason=%s;"
			 "counter=1\r\n",
			 st->redirecting, host,
			 redir_reason_name(st->redirecting_reason));
}

int call_sip_connect(struct call *c, const struct isdn_setup *st)
{
	const char *dest = c->tg->conf.sip_dest;
	struct sip_uri u;
	struct sip_peer peer;
	if (sip_uri_parse(&u, pl_from(dest)) || sip_tp_uri_peer(&u, &peer)) {
		log_warn("call %u: trunk group %s: sip_dest %s unusable", c->id,
			 c->tg->conf.name, dest);
		return PRI_CAUSE_NO_ROUTE_DESTINATION;
	}
	char host[80], ruri[256], from[160], hdrs[CALL_HDRS_MAX];
	bool v6 = u.host_ipv6;
	snprintf(ruri, sizeof(ruri), "%s:%s@%s%.*s%s%s%.*s%.*s",
		 u.scheme == SIP_SCHEME_SIPS ? "sips" : "sip", c->called_e164,
		 v6 ? "[" : "", (int)u.host.l, u.host.p, v6 ? "]" : "",
		 u.port ? ":" : "", (int)u.port_pl.l, u.port_pl.p,
		 (int)u.params.l, u.params.p ? u.params.p : "");
	struct sockaddr_storage ours;
	if (sip_tp_local(c->gw->sip_tp, peer.proto, peer.remote.ss_family,
			 &ours)) {
		log_warn("call %u: no %s listener of the address family of %s "
			 "([sip] listen)",
			 c->id, sip_proto_name(peer.proto), dest);
		return PRI_CAUSE_NETWORK_OUT_OF_ORDER;
	}
	sip_sa_hostport(&ours, host, sizeof(host));
	identity_hdrs(st, host, from, sizeof(from), hdrs, sizeof(hdrs));
	snprintf(c->calling_in, sizeof(c->calling_in), "%s", st->calling);

	const struct tdm_span *tdm = isdn_span_tdm(isdn_call_span(c->ic));
	sdp_local_init(c, tdm ? tdm->law : TDM_LAW_ALAW);
	if (call_rtp_open(c, &peer.remote)) {
		log_warn("call %u: no RTP port toward %s", c->id, dest);
		return PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED;
	}
	if (sdp_offer(&c->sdp_local, &c->sdp_last) || print_last(c))
		return PRI_CAUSE_NORMAL_TEMPORARY_FAILURE;
	struct sip_sess_out o = {
	    .ruri = ruri,
	    .from = from,
	    .proto = peer.proto,
	    .extra_hdrs = hdrs,
	    .sdp = c->sdp_answer,
	    .sdp_len = c->sdp_answer_len,
	    .auth_user = c->tg->conf.sip_auth_user,
	    .auth_password = c->tg->conf.sip_auth_password,
	};
	int rc =
	    sip_sess_connect(c->gw->sip_ua, &c->ss, &o, &call_sip_handlers, c);
	if (rc) {
		log_warn("call %u: INVITE to %s not sent: %s", c->id, ruri,
			 strerror(-rc));
		return PRI_CAUSE_NORMAL_TEMPORARY_FAILURE;
	}
	log_info("call %u: span %u/%u -> %s (from %s)", c->id,
		 isdn_span_no(isdn_call_span(c->ic)), isdn_call_ts(c->ic), ruri,
		 st->calling[0] ? st->calling : "-");
	return 0;
}

/* The SDP answer in a response to our offer (RFC 3264 §5). */
static void take_answer(struct call *c, const struct sip_msg *m)
{
	struct pl body;
	if (c->dir != CALL_PSTN_TO_SIP ||
	    sip_body_find(m, "application", "sdp", &body))
		return;
	struct sdp_session ans;
	struct sdp_err serr;
	if (sdp_parse(&ans, body.p, body.l, &serr) ||
	    sdp_process_answer(&c->sdp_last, &ans, &c->media))
		log_notice("call %u: unusable SDP answer in %u", c->id,
			   m->status);
}

/* ---- session callbacks ---- */

static void on_progress(void *arg, struct sip_sess *s, const struct sip_msg *m)
{
	struct call *c = arg;
	(void)s;
	take_answer(c, m);
	struct call_ev ev = {.type = CALL_EV_SIP_PROGRESS, .msg = m};
	call_fsm(c, &ev);
}

static void on_established(void *arg, struct sip_sess *s,
			   const struct sip_msg *m)
{
	struct call *c = arg;
	(void)s;
	take_answer(c, m);
	struct call_ev ev = {.type = CALL_EV_SIP_ANSWERED, .msg = m};
	call_fsm(c, &ev);
}

/* A re-INVITE or UPDATE offer (RFC 3264 §8): answer with our current
 * media; an offerless one gets our last SDP as the offer. */
static unsigned on_reoffer(void *arg, struct sip_sess *s,
			   const struct sip_msg *m, char *buf, size_t cap,
			   size_t *len)
{
	struct call *c = arg;
	(void)s;
	struct pl body;
	int found = sip_body_find(m, "application", "sdp", &body);
	if (found == -EBADMSG)
		return 400;
	if (found == 0) {
		struct sdp_session offer, ans;
		struct sdp_err serr;
		struct sdp_media_result res;
		if (sdp_parse(&offer, body.p, body.l, &serr))
			return 400;
		if (sdp_answer(&offer, &c->sdp_local, &ans, &res))
			return 488;
		c->sdp_last = ans;
		c->media = res;
		if (print_last(c))
			return 500;
		log_info("call %u: media now %s:%u %s%s", c->id, res.addr,
			 res.port, sdp_dir_name(res.dir),
			 res.on_hold ? " (held)" : "");
	}
	if (c->sdp_answer_len > cap)
		return 500;
	memcpy(buf, c->sdp_answer, c->sdp_answer_len);
	*len = c->sdp_answer_len;
	return 200;
}

/* INFO (RFC 6086); DTMF relay bodies are taken (media issue plays them). */
static unsigned on_info(void *arg, struct sip_sess *s, const struct sip_msg *m)
{
	struct call *c = arg;
	(void)s;
	struct sip_ctype ct;
	if (!m->body.l)
		return 200;
	if (sip_msg_ctype(m, &ct) || !pl_casecmp_str(ct.type, "application") ||
	    !(pl_casecmp_str(ct.subtype, "dtmf-relay") ||
	      pl_casecmp_str(ct.subtype, "dtmf")))
		return 415;
	log_info("call %u: DTMF INFO %.*s", c->id, (int)m->body.l, m->body.p);
	return 200;
}

static void on_closed(void *arg, struct sip_sess *s,
		      const struct sip_sess_end *end)
{
	struct call *c = arg;
	(void)s;
	struct call_ev ev = {.type = CALL_EV_SIP_CLOSED, .end = end};
	call_fsm(c, &ev);
}

const struct sip_sess_handlers call_sip_handlers = {
    .progress = on_progress,
    .established = on_established,
    .reoffer = on_reoffer,
    .info = on_info,
    .closed = on_closed,
};
