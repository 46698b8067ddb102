/*
 * Dialog state of RFC 3261 §12: creating a dialog on either side, route
 * sets, CSeq rules, target refresh, and the Request-URI / Route of a
 * request sent inside a dialog (§12.2.1.1, loose and strict routing).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_dialog.h"

static char *dup_pl(struct pl v)
{
	char *s = malloc(v.l + 1);
	if (!s)
		return NULL;
	if (v.l)
		memcpy(s, v.p, v.l);
	s[v.l] = '\0';
	return s;
}

/* Copies a From/To value without its tag parameter (the dialog keeps the
 * tag apart, §12.1.1). */
static char *addr_without_tag(const struct sip_addr *a)
{
	struct pl rest = a->params, n, v;
	size_t head, len = 0;
	char *s;
	if (!pl_isset(a->params))
		return dup_pl(a->val);
	head = (size_t)(a->params.p - a->val.p);
	s = malloc(a->val.l + 1);
	if (!s)
		return NULL;
	memcpy(s, a->val.p, head);
	len = head;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (sip_param_next(&rest, &n, &v) == 1) {
		if (sip_pl_ieq(n, "tag"))
			continue;
		s[len++] = ';';
		memcpy(s + len, n.p, n.l);
		len += n.l;
		if (pl_isset(v)) {
			s[len++] = '=';
			memcpy(s + len, v.p, v.l);
			len += v.l;
		}
	}
	s[len] = '\0';
	return s;
}

void sip_dialog_clear(struct sip_dialog *d)
{
	free(d->call_id);
	free(d->local_tag);
	free(d->remote_tag);
	free(d->local_uri);
	free(d->remote_uri);
	free(d->remote_target);
	for (unsigned i = 0; i < d->n_route; i++)
		free(d->route[i]);
	memset(d, 0, sizeof(*d));
}

/* Route set from Record-Route: in order, or reversed for the UAC. */
static int take_routes(struct sip_dialog *d, const struct sip_msg *m,
		       bool reverse)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	char *r[SIP_DIALOG_MAX_ROUTES];
	unsigned n = 0;
	int e;
	while ((e = sip_msg_addr_next(m, SIP_HDR_RECORD_ROUTE, &it, &a)) == 0) {
		if (n == SIP_DIALOG_MAX_ROUTES || !a.angle) {
			e = -EBADMSG;
			break;
		}
		if (!(r[n] = dup_pl(a.val))) {
			e = -ENOMEM;
			break;
		}
		n++;
	}
	if (e != -ENOENT) {
		while (n)
			free(r[--n]);
		return e;
	}
	for (unsigned i = 0; i < d->n_route; i++)
		free(d->route[i]);
	for (unsigned i = 0; i < n; i++)
		d->route[i] = r[reverse ? n - 1 - i : i];
	d->n_route = n;
	return 0;
}

/* The URI of the first Contact, or -ENOENT. */
static int contact_uri(const struct sip_msg *m, struct pl *uri)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	int e = sip_msg_addr_next(m, SIP_HDR_CONTACT, &it, &a);
	if (e)
		return e;
	if (a.star)
		return -EBADMSG;
	*uri = a.uri;
	return 0;
}

int sip_dialog_refresh_target(struct sip_dialog *d, const struct sip_msg *m)
{
	struct pl uri;
	char *s;
	int e = contact_uri(m, &uri);
	if (e == -ENOENT)
		return 0;
	if (e)
		return e;
	if (!(s = dup_pl(uri)))
		return -ENOMEM;
	free(d->remote_target);
	d->remote_target = s;
	return 0;
}

static bool is_sips(struct pl uri)
{
	return uri.l >= 5 && sip_pl_ieq((struct pl){uri.p, 5}, "sips:");
}

int sip_dialog_uas(struct sip_dialog *d, const struct sip_msg *req,
		   const char *local_tag)
{
	struct sip_addr from, to;
	struct sip_cseq cs;
	struct pl cid, target;
	int e;
	memset(d, 0, sizeof(*d));
	if (sip_msg_from(req, &from) || sip_msg_to(req, &to) ||
	    sip_msg_cseq(req, &cs) || sip_msg_callid(req, &cid) ||
	    contact_uri(req, &target))
		return -EBADMSG;
	d->call_id = dup_pl(cid);
	d->local_tag = strdup(local_tag);
	d->remote_tag = dup_pl(pl_isset(from.tag) ? from.tag : PL(""));
	d->local_uri = addr_without_tag(&to);
	d->remote_uri = addr_without_tag(&from);
	d->remote_target = dup_pl(target);
	if (!d->call_id || !d->local_tag || !d->remote_tag || !d->local_uri ||
	    !d->remote_uri || !d->remote_target) {
		sip_dialog_clear(d);
		return -ENOMEM;
	}
	if ((e = take_routes(d, req, false))) {
		sip_dialog_clear(d);
		return e;
	}
	d->remote_cseq = cs.num;
	d->remote_cseq_set = true;
	d->secure = is_sips(req->ruri);
	return 0;
}

int sip_dialog_uac(struct sip_dialog *d, const struct sip_msg *req,
		   const struct sip_msg *resp)
{
	struct sip_addr from, to;
	struct sip_cseq cs;
	struct pl cid, target;
	int e;
	memset(d, 0, sizeof(*d));
	if (sip_msg_to(resp, &to))
		return -EBADMSG;
	if (!pl_isset(to.tag) || !to.tag.l)
		return -EINVAL;
	if (sip_msg_from(req, &from) || !pl_isset(from.tag) ||
	    sip_msg_cseq(req, &cs) || sip_msg_callid(req, &cid))
		return -EBADMSG;
	e = contact_uri(resp, &target);
	if (e == -ENOENT && resp->status < 200)
		target = req->ruri;
	else if (e)
		return -EBADMSG;
	d->call_id = dup_pl(cid);
	d->local_tag = dup_pl(from.tag);
	d->remote_tag = dup_pl(to.tag);
	d->local_uri = addr_without_tag(&from);
	d->remote_uri = addr_without_tag(&to);
	d->remote_target = dup_pl(target);
	if (!d->call_id || !d->local_tag || !d->remote_tag || !d->local_uri ||
	    !d->remote_uri || !d->remote_target) {
		sip_dialog_clear(d);
		return -ENOMEM;
	}
	if ((e = take_routes(d, resp, true))) {
		sip_dialog_clear(d);
		return e;
	}
	d->local_cseq = cs.num;
	d->uac = true;
	d->secure = is_sips(req->ruri);
	return 0;
}

int sip_dialog_uac_update(struct sip_dialog *d, const struct sip_msg *resp)
{
	int e = take_routes(d, resp, true);
	return e ? e : sip_dialog_refresh_target(d, resp);
}

int sip_dialog_recv_cseq(struct sip_dialog *d, const struct sip_msg *req)
{
	struct sip_cseq cs;
	if (sip_msg_cseq(req, &cs))
		return -EBADMSG;
	if (req->method == SIP_METHOD_ACK || req->method == SIP_METHOD_CANCEL)
		return 0;
	/* §12.2.2: lower than the remote CSeq is out of order: 500 */
	if (d->remote_cseq_set && cs.num < d->remote_cseq)
		return -ERANGE;
	d->remote_cseq = cs.num;
	d->remote_cseq_set = true;
	return 0;
}

uint32_t sip_dialog_next_cseq(struct sip_dialog *d)
{
	/* §8.1.1.5: below 2^31; wrap back to 1 (never reached in practice) */
	if (d->local_cseq >= 0x7fffffffu)
		d->local_cseq = 0;
	return ++d->local_cseq;
}

bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *m)
{
	struct sip_addr from, to;
	struct pl cid, local, remote;
	if (sip_msg_callid(m, &cid) || !pl_eq_str(cid, d->call_id) ||
	    sip_msg_from(m, &from) || sip_msg_to(m, &to))
		return false;
	local = m->request ? to.tag : from.tag;
	remote = m->request ? from.tag : to.tag;
	if (!pl_isset(local) || !pl_eq_str(local, d->local_tag))
		return false;
	if (!pl_isset(remote))
		remote = PL("");
	return pl_eq_str(remote, d->remote_tag);
}

/* §12.2.1.1: strict router: first route's URI into the Request-URI, the
 * remaining routes then the remote target as Route values. */
static int strict_route(const struct sip_dialog *d, struct sip_dialog_req *dr,
			struct sip_req *r, struct pl uri)
{
	struct sip_uri u;
	size_t n;
	if (sip_uri_parse(&u, uri))
		return -EINVAL;
	/* parameters not allowed in a Request-URI: the ?headers part */
	n = pl_isset(u.headers) ? (size_t)(u.headers.p - 1 - uri.p) : uri.l;
	if (n >= sizeof(dr->ruri))
		return -EINVAL;
	memcpy(dr->ruri, uri.p, n);
	dr->ruri[n] = '\0';
	if (strlen(d->remote_target) + 3 > sizeof(dr->last_route))
		return -EINVAL;
	for (unsigned i = 1; i < d->n_route; i++)
		dr->route[i - 1] = d->route[i];
	strcpy(dr->last_route, "<");
	strcat(dr->last_route, d->remote_target);
	strcat(dr->last_route, ">");
	dr->route[d->n_route - 1] = dr->last_route;
	r->ruri = dr->ruri;
	r->route = dr->route;
	r->n_route = d->n_route;
	r->strict_route = true;
	return 0;
}

int sip_dialog_req_init(const struct sip_dialog *d, struct sip_dialog_req *dr,
			struct sip_req *r)
{
	struct sip_addr a;
	struct sip_uri u;
	struct pl lr;
	r->call_id = d->call_id;
	r->from = d->local_uri;
	r->from_tag = d->local_tag;
	r->to = d->remote_uri;
	r->to_tag = d->remote_tag;
	r->strict_route = false;
	if (d->n_route) {
		if (sip_addr_parse(&a, pl_from(d->route[0]), false) ||
		    sip_uri_parse(&u, a.uri))
			return -EINVAL;
		if (sip_uri_param(&u, "lr", &lr) != 0)
			return strict_route(d, dr, r, a.uri);
	}
	for (unsigned i = 0; i < d->n_route; i++)
		dr->route[i] = d->route[i];
	r->ruri = d->remote_target;
	r->route = dr->route;
	r->n_route = d->n_route;
	return 0;
}
