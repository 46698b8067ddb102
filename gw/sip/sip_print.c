/*
 * Printing SIP responses into a caller's buffer: the status line and the
 * headers a response copies from its request (RFC 3261 §8.2.6.2), then
 * whatever the caller appends, then Content-Length and the body.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip_msg.h"

const char *sip_reason_phrase(unsigned code)
{
	switch (code) {
	case 100:
		return "Trying";
	case 180:
		return "Ringing";
	case 181:
		return "Call Is Being Forwarded";
	case 182:
		return "Queued";
	case 183:
		return "Session Progress";
	case 199:
		return "Early Dialog Terminated"; /* RFC 6228 */
	case 200:
		return "OK";
	case 202:
		return "Accepted"; /* RFC 6665 */
	case 204:
		return "No Notification"; /* RFC 5839 */
	case 300:
		return "Multiple Choices";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Moved Temporarily";
	case 305:
		return "Use Proxy";
	case 380:
		return "Alternative Service";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 410:
		return "Gone";
	case 413:
		return "Request Entity Too Large";
	case 414:
		return "Request-URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Unsupported URI Scheme";
	case 420:
		return "Bad Extension";
	case 421:
		return "Extension Required";
	case 422:
		return "Session Interval Too Small"; /* RFC 4028 */
	case 423:
		return "Interval Too Brief";
	case 480:
		return "Temporarily Unavailable";
	case 481:
		return "Call/Transaction Does Not Exist";
	case 482:
		return "Loop Detected";
	case 483:
		return "Too Many Hops";
	case 484:
		return "Address Incomplete";
	case 485:
		return "Ambiguous";
	case 486:
		return "Busy Here";
	case 487:
		return "Request Terminated";
	case 488:
		return "Not Acceptable Here";
	case 489:
		return "Bad Event"; /* RFC 6665 */
	case 491:
		return "Request Pending";
	case 493:
		return "Undecipherable";
	case 500:
		return "Server Internal Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Server Time-out";
	case 505:
		return "Version Not Supported";
	case 513:
		return "Message Too Large";
	case 580:
		return "Precondition Failure"; /* RFC 3312 */
	case 600:
		return "Busy Everywhere";
	case 603:
		return "Decline";
	case 604:
		return "Does Not Exist Anywhere";
	case 606:
		return "Not Acceptable";
	default:
		return "Unknown";
	}
}

/* Output cursor; len stays below cap so a NUL always fits. */
struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len <= n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* "Name: value\r\n" with the value's folds collapsed. */
static void put_hdr(struct out *o, const char *name, struct pl val)
{
	put_str(o, name);
	put(o, ": ", 2);
	if (!o->full) {
		size_t room = o->cap - o->len;
		size_t n = sip_unfold(val, o->buf + o->len, room);
		if (n >= room)
			o->full = true;
		else
			o->len += n;
	}
}

static void put_first(struct out *o, const struct sip_msg *m,
		      enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	if (!h)
		return;
	put_hdr(o, sip_hdr_name(id), h->val);
	put(o, "\r\n", 2);
}

/* To, with our tag added unless the request's To has one (§8.2.6.2). */
static void put_to(struct out *o, const struct sip_msg *m, const char *tag)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_TO);
	struct sip_addr a;
	if (!h)
		return;
	put_hdr(o, "To", h->val);
	if (tag && *tag && sip_addr_parse(&a, h->val, false) == 0 && !a.tag.p) {
		put(o, ";tag=", 5);
		put_str(o, tag);
	}
	put(o, "\r\n", 2);
}

int sip_print_response(char *buf, size_t cap, const struct sip_msg *m,
		       unsigned code, const char *reason, const char *to_tag)
{
	struct out o = {buf, cap, 0, cap == 0};
	char line[64];
	if (!m->hdrs_ok || !m->request || code < 100 || code > 699)
		return -EINVAL;
	snprintf(line, sizeof(line), "SIP/2.0 %u ", code);
	put_str(&o, line);
	put_str(&o, reason ? reason : sip_reason_phrase(code));
	put(&o, "\r\n", 2);
	/* §8.2.6.2: the Vias in order, From, To, Call-ID, CSeq */
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA); h;
	     h = sip_msg_hdr_next(m, h)) {
		put_hdr(&o, "Via", h->val);
		put(&o, "\r\n", 2);
	}
	put_first(&o, m, SIP_HDR_FROM);
	put_to(&o, m, to_tag);
	put_first(&o, m, SIP_HDR_CALL_ID);
	put_first(&o, m, SIP_HDR_CSEQ);
	return o.full ? -ENOSPC : (int)o.len;
}

int sip_print_append(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (len >= cap)
		return -ENOSPC;
	va_start(ap, fmt);
	int n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - len) {
		buf[len] = '\0';
		return -ENOSPC;
	}
	return (int)(len + (size_t)n);
}

int sip_print_end(char *buf, size_t cap, size_t len, const void *body,
		  size_t body_len)
{
	int n = sip_print_append(buf, cap, len, "Content-Length: %zu\r\n\r\n",
				 body_len);
	if (n < 0)
		return n;
	if (cap - (size_t)n <= body_len) {
		buf[len] = '\0';
		return -ENOSPC;
	}
	if (body_len)
		memcpy(buf + n, body, body_len);
	buf[(size_t)n + body_len] = '\0';
	return n + (int)body_len;
}

/* One change to the top Via: at `at`, drop `del` bytes, insert `ins`. */
struct via_edit {
	const char *at;
	size_t del;
	char ins[80];
};

/* Copies line[from, to) with folds collapsed (a plain copy when the
 * line has none). */
static void put_span(struct out *o, const char *from, const char *to,
		     bool folded)
{
	if (to <= from || o->full)
		return;
	if (!folded) {
		put(o, from, (size_t)(to - from));
		return;
	}
	size_t room = o->cap - o->len;
	size_t n = sip_unfold((struct pl){from, (size_t)(to - from)},
			      o->buf + o->len, room);
	if (n >= room)
		o->full = true;
	else
		o->len += n;
}

/* "Name: value\r\n" of header h if present; unfolded only when folded. */
static void put_line(struct out *o, const char *name, const struct sip_hdr *h)
{
	if (!h)
		return;
	put_str(o, name);
	put(o, ": ", 2);
	put_span(o, h->val.p, h->val.p + h->val.l, h->folded);
	put(o, "\r\n", 2);
}

/*
 * The first Via line with its first via-parm edited: received set or
 * replaced (RFC 3261 §18.2.1), an empty rport given its value (RFC 3581
 * §4). A Via that does not parse is copied as it is.
 */
static void put_top_via(struct out *o, const struct sip_hdr *h,
			const char *received, int rport)
{
	struct pl line = h->val, rest = line, first;
	struct sip_via v;
	struct via_edit ed[2];
	unsigned n = 0;
	if (!sip_list_next(&rest, &first) || sip_via_parse(&v, first) != 0) {
		put_hdr(o, "Via", line);
		put(o, "\r\n", 2);
		return;
	}
	if (rport > 0 && rport < 65536 && v.rport.p && v.rport.l == 0) {
		ed[n].at = v.rport.p;
		ed[n].del = 0;
		snprintf(ed[n].ins, sizeof(ed[n].ins), "=%d", rport);
		n++;
	}
	if (received && *received) {
		ed[n].at = v.received.p ? v.received.p : first.p + first.l;
		ed[n].del = v.received.p ? v.received.l : 0;
		snprintf(ed[n].ins, sizeof(ed[n].ins), "%s%s",
			 v.received.p ? "" : ";received=", received);
		n++;
	}
	if (n == 2 && ed[1].at < ed[0].at) {
		struct via_edit tmp = ed[0];
		ed[0] = ed[1];
		ed[1] = tmp;
	}
	put_str(o, "Via: ");
	const char *p = line.p;
	for (unsigned i = 0; i < n; i++) {
		put_span(o, p, ed[i].at, h->folded);
		put_str(o, ed[i].ins);
		p = ed[i].at + ed[i].del;
	}
	put_span(o, p, line.p + line.l, h->folded);
	put(o, "\r\n", 2);
}

int sip_print_response_via(char *buf, size_t cap, const struct sip_msg *m,
			   unsigned code, const char *reason,
			   const char *to_tag, const char *received, int rport)
{
	struct out o = {buf, cap, 0, cap == 0};
	char line[64];
	if (!m->hdrs_ok || !m->request || code < 100 || code > 699)
		return -EINVAL;
	snprintf(line, sizeof(line), "SIP/2.0 %u ", code);
	put_str(&o, line);
	put_str(&o, reason ? reason : sip_reason_phrase(code));
	put(&o, "\r\n", 2);
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA); h;
	     h = sip_msg_hdr_next(m, h)) {
		if (h == sip_msg_hdr(m, SIP_HDR_VIA))
			put_top_via(&o, h, received, rport);
		else
			put_line(&o, "Via", h);
	}
	put_line(&o, "From", sip_msg_hdr(m, SIP_HDR_FROM));
	put_to(&o, m, to_tag);
	put_line(&o, "Call-ID", sip_msg_hdr(m, SIP_HDR_CALL_ID));
	put_line(&o, "CSeq", sip_msg_hdr(m, SIP_HDR_CSEQ));
	return o.full ? -ENOSPC : (int)o.len;
}
