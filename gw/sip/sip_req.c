/*
 * Printing the requests a UA sends (RFC 3261 §8.1.1: the header fields
 * every request carries), finding their next hop (§8.1.2), and the random
 * tags and Call-IDs of §19.3 drawn from getrandom().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "sip/sip_dialog.h"

struct out {
	char *buf;
	size_t cap, len;
	bool over;
};

static void outf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;
	if (o->over)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= o->cap - o->len)
		o->over = true;
	else
		o->len += (size_t)w;
}

static void outb(struct out *o, const void *p, size_t n)
{
	if (o->over || n >= o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

int sip_req_print(char *buf, size_t cap, const struct sip_req *r)
{
	struct out o = {buf, cap, 0, false};
	if (!r->method || !r->ruri || !r->sent_by || !r->branch || !r->from ||
	    !r->from_tag || !r->to || !r->call_id || !cap)
		return -EINVAL;
	outf(&o, "%s %s SIP/2.0\r\n", r->method, r->ruri);
	/* RFC 3581 §3: ask for rport */
	outf(&o, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n",
	     sip_proto_name(r->proto), r->sent_by, r->branch);
	outf(&o, "Max-Forwards: 70\r\n");
	outf(&o, "From: %s;tag=%s\r\n", r->from, r->from_tag);
	if (r->to_tag && r->to_tag[0])
		outf(&o, "To: %s;tag=%s\r\n", r->to, r->to_tag);
	else
		outf(&o, "To: %s\r\n", r->to);
	outf(&o, "Call-ID: %s\r\n", r->call_id);
	outf(&o, "CSeq: %u %s\r\n", (unsigned)r->cseq,
	     r->cseq_method ? r->cseq_method : r->method);
	for (unsigned i = 0; i < r->n_route; i++)
		outf(&o, "Route: %s\r\n", r->route[i]);
	if (r->contact)
		outf(&o, "Contact: %s\r\n", r->contact);
	if (r->user_agent)
		outf(&o, "User-Agent: %s\r\n", r->user_agent);
	if (r->extra_hdrs)
		outb(&o, r->extra_hdrs, strlen(r->extra_hdrs));
	if (r->body_len)
		outf(&o, "Content-Type: %s\r\n",
		     r->ctype ? r->ctype : "application/sdp");
	outf(&o, "Content-Length: %zu\r\n\r\n", r->body_len);
	if (r->body_len)
		outb(&o, r->body, r->body_len);
	return o.over ? -ENOSPC : (int)o.len;
}

int sip_req_next_hop(const struct sip_req *r, struct sip_peer *p)
{
	struct sip_addr a;
	struct sip_uri u;
	struct pl uri = pl_from(r->ruri);
	if (r->n_route && !r->strict_route) {
		if (sip_addr_parse(&a, pl_from(r->route[0]), false))
			return -EINVAL;
		uri = a.uri;
	}
	if (sip_uri_parse(&u, uri))
		return -EINVAL;
	return sip_tp_uri_peer(&u, p);
}

/* Fills buf with random bytes; falls back to nothing else: getrandom on
 * Linux blocks only before the pool is initialised. */
static void rand_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n) {
		ssize_t w = getrandom(p, n, 0);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			/* cannot happen on Linux >= 3.17 after boot; keep
			 * the buffer as is rather than loop forever */
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

char *sip_rand_token(char *buf, size_t cap, size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[64] = {0};
	if (!cap)
		return buf;
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++) {
		if (i % sizeof(r) == 0)
			rand_bytes(r, sizeof(r));
		/* 62 symbols: the slight bias of % is harmless for tags */
		buf[i] = set[r[i % sizeof(r)] % (sizeof(set) - 1)];
	}
	buf[n] = '\0';
	return buf;
}

uint32_t sip_rand_range(uint32_t lo, uint32_t hi)
{
	uint64_t v = 0;
	rand_bytes(&v, sizeof(v));
	if (hi <= lo)
		return lo;
	return lo + (uint32_t)(v % ((uint64_t)hi - lo + 1));
}
