/*
 * libFuzzer target: the SIP parser reads every datagram and stream byte a
 * peer sends. Parses the input in datagram and stream mode (and with tight
 * limits), then runs every lazy accessor, the URI parser and comparison,
 * the UAS checks and the response printer on whatever parsed. Oracles: a
 * URI equals itself; a request that passes sip_check gets a 200 that
 * parses and passes too; stream framing never claims more than it got.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const supported[] = {"100rel", "timer", NULL};
static const char *const accept_types[] = {"application/sdp", "multipart/*",
					   NULL};
static const struct sip_check_conf conf_uas = {
    .supported = supported, .accept = accept_types, .produce = accept_types};
static const struct sip_check_conf conf_proxy = {.supported = supported,
						 .proxy = true};

static void check_uri(struct pl s)
{
	struct sip_uri u;
	struct pl v;
	if (sip_uri_parse(&u, s) != 0)
		return;
	if (!sip_uri_eq(&u, &u))
		abort();
	sip_uri_param(&u, "transport", &v);
	sip_uri_header(&u, "subject", &v);
}

static void addrs(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_addr a;
	struct pl v;
	int r;
	while ((r = sip_msg_addr_next(m, id, &it, &a)) != -ENOENT) {
		if (r)
			continue;
		check_uri(a.uri);
		sip_param_find(a.params, "expires", &v);
	}
}

static void accessors(const struct sip_msg *m)
{
	struct sip_iter it = SIP_ITER_INIT;
	struct sip_via v;
	struct sip_addr from, to;
	struct sip_cseq cs;
	struct sip_ctype ct;
	struct pl id, tags[8], elems[8];
	unsigned mf;
	uint32_t secs;
	int64_t t;
	size_t n;
	char buf[256];
	while (sip_msg_via_next(m, &it, &v) != -ENOENT)
		;
	if (sip_msg_from(m, &from) == 0 && sip_msg_to(m, &to) == 0 &&
	    sip_uri_eq_str(from.uri, to.uri))
		check_uri(from.uri);
	addrs(m, SIP_HDR_CONTACT);
	addrs(m, SIP_HDR_ROUTE);
	addrs(m, SIP_HDR_RECORD_ROUTE);
	sip_msg_cseq(m, &cs);
	sip_msg_callid(m, &id);
	sip_msg_max_forwards(m, &mf);
	sip_msg_expires(m, &secs);
	sip_msg_content_length(m, &n);
	sip_msg_date(m, &t);
	sip_msg_ctype(m, &ct);
	it = (struct sip_iter)SIP_ITER_INIT;
	while (sip_msg_accept_next(m, &it, &ct) != -ENOENT)
		;
	sip_msg_tags(m, SIP_HDR_REQUIRE, tags, 8);
	sip_msg_tags(m, SIP_HDR_SUPPORTED, tags, 8);
	for (unsigned i = 0; i < m->n_hdr; i++) {
		sip_list_split(m->hdr[i].val, elems, 8);
		n = sip_unfold(m->hdr[i].val, buf, sizeof(buf));
		if (n < sizeof(buf) && strlen(buf) == n &&
		    !sip_unfold_eq(m->hdr[i].val, buf))
			abort();
	}
	if (m->request)
		check_uri(m->ruri);
}

/* A request that passed the checks must get a 200 that parses and
 * passes (as a response) too. */
static void answer(const struct sip_msg *m, int status)
{
	static char out[80000];
	struct sip_msg r;
	struct sip_check_result res;
	size_t used;
	int n = sip_print_response(out, sizeof(out), m, status ? status : 200,
				   NULL, "fz1");
	if (n < 0)
		return;
	n = sip_print_end(out, sizeof(out), (size_t)n, NULL, 0);
	if (n < 0 || status)
		return;
	if (sip_msg_parse(&r, out, (size_t)n, false, &used) != 0 ||
	    sip_check(&r, NULL, &res) != 0) {
		fprintf(stderr, "answer does not pass: %s / %s\n%.*s\n",
			r.err_reason ? r.err_reason : "",
			res.reason ? res.reason : "", n, out);
		abort();
	}
}

static void exercise(const struct sip_msg *m)
{
	struct sip_check_result r;
	char hdrs[512];
	accessors(m);
	int st = sip_check(m, &conf_uas, &r);
	sip_check_print_hdrs(&r, hdrs, sizeof(hdrs));
	sip_check(m, &conf_proxy, &r);
	sip_check_print_hdrs(&r, hdrs, 16);
	/* bodies by type, multipart included: a part lies inside the body */
	struct pl part;
	if (sip_body_find(m, "application", "sdp", &part) == 0 &&
	    (part.p < m->body.p || part.p + part.l > m->body.p + m->body.l))
		abort();
	if (m->request && m->hdrs_ok)
		answer(m, m->err_status ? m->err_status : st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;
	const char *buf = (const char *)data;
	size_t used = 0, off = 0;
	struct sip_limits tight = {.max_msg_bytes = 512,
				   .max_body_bytes = 64,
				   .max_hdr_bytes = 128,
				   .max_hdrs = 8,
				   .max_via = 3};
	int rc = sip_msg_parse(&m, buf, size, false, &used);
	if (rc == 0 || m.hdrs_ok)
		exercise(&m);
	/* a stream: as many messages as frame */
	for (int i = 0; i < 8 && off < size; i++) {
		rc = sip_msg_parse(&m, buf + off, size - off, true, &used);
		if (rc == -EAGAIN) {
			if (used > size - off)
				abort();
			break;
		}
		if (rc == 0 || m.hdrs_ok)
			exercise(&m);
		if (!m.framed)
			break;
		if (used == 0 || used > size - off)
			abort();
		off += used;
	}
	rc = sip_msg_parse_lim(&m, &tight, buf, size, false, &used);
	if (rc == 0)
		accessors(&m);
	return 0;
}
