/*
 * SIP message framing (RFC 3261 §7, §18.3), start line (§7.1, §7.2) and the
 * header index: one pass over the buffer that records views and links the
 * lines of each known header, parsing no value but Content-Length. Also
 * the helpers for folded values and comma-separated lists (§7.3.1).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_msg.h"

const struct sip_limits sip_limits_default = {
    .max_msg_bytes = 65536,
    .max_body_bytes = 65536,
    .max_hdr_bytes = 8192,
    .max_hdrs = SIP_MSG_HDR_CAP,
    /* a request cannot pass more hops than Max-Forwards' usual 70 */
    .max_via = 70,
};

#define N(s)                                                                   \
	{                                                                      \
		(s), sizeof(s) - 1                                             \
	}

/* Full names, in enum (= case-insensitive alphabetical) order. */
static const struct pl hdr_names[SIP_HDR_COUNT] = {
    [SIP_HDR_OTHER] = N(""),
    [SIP_HDR_ACCEPT] = N("Accept"),
    [SIP_HDR_ACCEPT_CONTACT] = N("Accept-Contact"),
    [SIP_HDR_ACCEPT_ENCODING] = N("Accept-Encoding"),
    [SIP_HDR_ACCEPT_LANGUAGE] = N("Accept-Language"),
    [SIP_HDR_ALERT_INFO] = N("Alert-Info"),
    [SIP_HDR_ALLOW] = N("Allow"),
    [SIP_HDR_ALLOW_EVENTS] = N("Allow-Events"),
    [SIP_HDR_AUTHENTICATION_INFO] = N("Authentication-Info"),
    [SIP_HDR_AUTHORIZATION] = N("Authorization"),
    [SIP_HDR_CALL_ID] = N("Call-ID"),
    [SIP_HDR_CALL_INFO] = N("Call-Info"),
    [SIP_HDR_CONTACT] = N("Contact"),
    [SIP_HDR_CONTENT_DISPOSITION] = N("Content-Disposition"),
    [SIP_HDR_CONTENT_ENCODING] = N("Content-Encoding"),
    [SIP_HDR_CONTENT_LANGUAGE] = N("Content-Language"),
    [SIP_HDR_CONTENT_LENGTH] = N("Content-Length"),
    [SIP_HDR_CONTENT_TYPE] = N("Content-Type"),
    [SIP_HDR_CSEQ] = N("CSeq"),
    [SIP_HDR_DATE] = N("Date"),
    [SIP_HDR_DIVERSION] = N("Diversion"),
    [SIP_HDR_ERROR_INFO] = N("Error-Info"),
    [SIP_HDR_EVENT] = N("Event"),
    [SIP_HDR_EXPIRES] = N("Expires"),
    [SIP_HDR_FROM] = N("From"),
    [SIP_HDR_HISTORY_INFO] = N("History-Info"),
    [SIP_HDR_IDENTITY] = N("Identity"),
    [SIP_HDR_IDENTITY_INFO] = N("Identity-Info"),
    [SIP_HDR_IN_REPLY_TO] = N("In-Reply-To"),
    [SIP_HDR_MAX_FORWARDS] = N("Max-Forwards"),
    [SIP_HDR_MIME_VERSION] = N("MIME-Version"),
    [SIP_HDR_MIN_EXPIRES] = N("Min-Expires"),
    [SIP_HDR_MIN_SE] = N("Min-SE"),
    [SIP_HDR_ORGANIZATION] = N("Organization"),
    [SIP_HDR_P_ASSERTED_IDENTITY] = N("P-Asserted-Identity"),
    [SIP_HDR_P_PREFERRED_IDENTITY] = N("P-Preferred-Identity"),
    [SIP_HDR_PATH] = N("Path"),
    [SIP_HDR_PRIORITY] = N("Priority"),
    [SIP_HDR_PRIVACY] = N("Privacy"),
    [SIP_HDR_PROXY_AUTHENTICATE] = N("Proxy-Authenticate"),
    [SIP_HDR_PROXY_AUTHORIZATION] = N("Proxy-Authorization"),
    [SIP_HDR_PROXY_REQUIRE] = N("Proxy-Require"),
    [SIP_HDR_RACK] = N("RAck"),
    [SIP_HDR_REASON] = N("Reason"),
    [SIP_HDR_RECORD_ROUTE] = N("Record-Route"),
    [SIP_HDR_REFER_TO] = N("Refer-To"),
    [SIP_HDR_REFERRED_BY] = N("Referred-By"),
    [SIP_HDR_REJECT_CONTACT] = N("Reject-Contact"),
    [SIP_HDR_REPLACES] = N("Replaces"),
    [SIP_HDR_REPLY_TO] = N("Reply-To"),
    [SIP_HDR_REQUEST_DISPOSITION] = N("Request-Disposition"),
    [SIP_HDR_REQUIRE] = N("Require"),
    [SIP_HDR_RETRY_AFTER] = N("Retry-After"),
    [SIP_HDR_ROUTE] = N("Route"),
    [SIP_HDR_RSEQ] = N("RSeq"),
    [SIP_HDR_SERVER] = N("Server"),
    [SIP_HDR_SERVICE_ROUTE] = N("Service-Route"),
    [SIP_HDR_SESSION_EXPIRES] = N("Session-Expires"),
    [SIP_HDR_SUBJECT] = N("Subject"),
    [SIP_HDR_SUBSCRIPTION_STATE] = N("Subscription-State"),
    [SIP_HDR_SUPPORTED] = N("Supported"),
    [SIP_HDR_TIMESTAMP] = N("Timestamp"),
    [SIP_HDR_TO] = N("To"),
    [SIP_HDR_UNSUPPORTED] = N("Unsupported"),
    [SIP_HDR_USER_AGENT] = N("User-Agent"),
    [SIP_HDR_VIA] = N("Via"),
    [SIP_HDR_WARNING] = N("Warning"),
    [SIP_HDR_WWW_AUTHENTICATE] = N("WWW-Authenticate"),
};

static const struct pl method_names[] = {
    [SIP_METHOD_OTHER] = N(""),
    [SIP_METHOD_INVITE] = N("INVITE"),
    [SIP_METHOD_ACK] = N("ACK"),
    [SIP_METHOD_BYE] = N("BYE"),
    [SIP_METHOD_CANCEL] = N("CANCEL"),
    [SIP_METHOD_OPTIONS] = N("OPTIONS"),
    [SIP_METHOD_REGISTER] = N("REGISTER"),
    [SIP_METHOD_PRACK] = N("PRACK"),
    [SIP_METHOD_UPDATE] = N("UPDATE"),
    [SIP_METHOD_INFO] = N("INFO"),
    [SIP_METHOD_REFER] = N("REFER"),
    [SIP_METHOD_NOTIFY] = N("NOTIFY"),
    [SIP_METHOD_SUBSCRIBE] = N("SUBSCRIBE"),
    [SIP_METHOD_MESSAGE] = N("MESSAGE"),
};

#define N_METHODS (sizeof(method_names) / sizeof(method_names[0]))

enum sip_method sip_method_parse(struct pl t)
{
	for (size_t i = 1; i < N_METHODS; i++)
		if (pl_eq(t, method_names[i]))
			return (enum sip_method)i;
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	return (size_t)m < N_METHODS ? method_names[m].p : "";
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_HDR_COUNT ? hdr_names[id].p : "";
}

/* Compact forms by letter: RFC 3261 §7.3.3 and the RFCs named. */
static const unsigned char compact_forms[26] = {
    ['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT, /* RFC 3841 */
    ['b' - 'a'] = SIP_HDR_REFERRED_BY,	  /* RFC 3892 */
    ['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
    ['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION, /* RFC 3841 */
    ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
    ['f' - 'a'] = SIP_HDR_FROM,
    ['i' - 'a'] = SIP_HDR_CALL_ID,
    ['j' - 'a'] = SIP_HDR_REJECT_CONTACT, /* RFC 3841 */
    ['k' - 'a'] = SIP_HDR_SUPPORTED,
    ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
    ['m' - 'a'] = SIP_HDR_CONTACT,
    ['n' - 'a'] = SIP_HDR_IDENTITY_INFO, /* RFC 4474 */
    ['o' - 'a'] = SIP_HDR_EVENT,	 /* RFC 6665 */
    ['r' - 'a'] = SIP_HDR_REFER_TO,	 /* RFC 3515 */
    ['s' - 'a'] = SIP_HDR_SUBJECT,
    ['t' - 'a'] = SIP_HDR_TO,
    ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS, /* RFC 6665 */
    ['v' - 'a'] = SIP_HDR_VIA,
    ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES, /* RFC 4028 */
    ['y' - 'a'] = SIP_HDR_IDENTITY,	   /* RFC 4474 */
};

/* Ids are in name order, so each first letter owns a range of them:
 * {first, last}; {0, 0} for letters no known name starts with. */
static const unsigned char letter_ids[26][2] = {
    ['a' - 'a'] = {SIP_HDR_ACCEPT, SIP_HDR_AUTHORIZATION},
    ['c' - 'a'] = {SIP_HDR_CALL_ID, SIP_HDR_CSEQ},
    ['d' - 'a'] = {SIP_HDR_DATE, SIP_HDR_DIVERSION},
    ['e' - 'a'] = {SIP_HDR_ERROR_INFO, SIP_HDR_EXPIRES},
    ['f' - 'a'] = {SIP_HDR_FROM, SIP_HDR_FROM},
    ['h' - 'a'] = {SIP_HDR_HISTORY_INFO, SIP_HDR_HISTORY_INFO},
    ['i' - 'a'] = {SIP_HDR_IDENTITY, SIP_HDR_IN_REPLY_TO},
    ['m' - 'a'] = {SIP_HDR_MAX_FORWARDS, SIP_HDR_MIN_SE},
    ['o' - 'a'] = {SIP_HDR_ORGANIZATION, SIP_HDR_ORGANIZATION},
    ['p' - 'a'] = {SIP_HDR_P_ASSERTED_IDENTITY, SIP_HDR_PROXY_REQUIRE},
    ['r' - 'a'] = {SIP_HDR_RACK, SIP_HDR_RSEQ},
    ['s' - 'a'] = {SIP_HDR_SERVER, SIP_HDR_SUPPORTED},
    ['t' - 'a'] = {SIP_HDR_TIMESTAMP, SIP_HDR_TO},
    ['u' - 'a'] = {SIP_HDR_UNSUPPORTED, SIP_HDR_USER_AGENT},
    ['v' - 'a'] = {SIP_HDR_VIA, SIP_HDR_VIA},
    ['w' - 'a'] = {SIP_HDR_WARNING, SIP_HDR_WWW_AUTHENTICATE},
};

/* ASCII case-insensitive comparison of n bytes. */
static bool ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sip_lower((unsigned char)a[i]) !=
		    sip_lower((unsigned char)b[i]))
			return false;
	return true;
}

enum sip_hdr_id sip_hdr_lookup(struct pl n)
{
	if (n.l == 0 || !sip_is_alpha((unsigned char)n.p[0]))
		return SIP_HDR_OTHER;
	unsigned letter = sip_lower((unsigned char)n.p[0]) - 'a';
	if (n.l == 1)
		return (enum sip_hdr_id)compact_forms[letter];
	for (unsigned i = letter_ids[letter][0];
	     i && i <= letter_ids[letter][1]; i++)
		if (hdr_names[i].l == n.l && ci_eq(hdr_names[i].p, n.p, n.l))
			return (enum sip_hdr_id)i;
	return SIP_HDR_OTHER;
}

/* --- Framing --------------------------------------------------------- */

struct ctx {
	struct sip_msg *m;
	const struct sip_limits *lim;
	const char *end;
	bool stream;
	bool frame_err;		      /* boundaries unknown */
	int err;		      /* first error, 0 if none */
	uint16_t last[SIP_HDR_COUNT]; /* last header of each id so far */
};

/* Records an error; the first one is what the caller gets. */
static int set_err(struct ctx *c, int err, uint16_t status, const char *why)
{
	if (!c->err) {
		c->err = err;
		c->m->err_status = status;
		c->m->err_reason = why;
	}
	return err;
}

/* SIP-Version (§7.1): "SIP/2.0" case-insensitively; "SIP/x" is 505. */
static void check_version(struct ctx *c, struct pl v)
{
	c->m->version = v;
	if (sip_pl_ieq(v, "SIP/2.0"))
		return;
	if (v.l > 4 && strncasecmp(v.p, "SIP/", 4) == 0)
		set_err(c, -EBADMSG, 505, "Version Not Supported");
	else
		set_err(c, -EBADMSG, 400, "Bad SIP-Version");
}

/* Request-URI text (§7.1, §19.1.1): "scheme:" then no LWS, no <>. */
static bool ruri_ok(struct pl u)
{
	size_t i = 0;
	if (!u.l || !sip_is_alpha((unsigned char)u.p[0]))
		return false;
	while (i < u.l && (sip_is_alnum((unsigned char)u.p[i]) ||
			   u.p[i] == '+' || u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (i == u.l || u.p[i] != ':')
		return false;
	return sip_span(u.p + i, u.p + u.l, SIP_C_URI) == u.p + u.l;
}

/* Request-Line = Method SP Request-URI SP SIP-Version: single SPs. */
static void parse_request_line(struct ctx *c, struct pl l)
{
	struct sip_msg *m = c->m;
	const char *e = l.p + l.l;
	const char *sp1 = memchr(l.p, ' ', l.l);
	const char *sp2 =
	    sp1 ? memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1)) : NULL;
	m->request = true;
	if (!sp2) {
		set_err(c, -EBADMSG, 400, "Bad Request-Line");
		return;
	}
	m->method_pl = (struct pl){l.p, (size_t)(sp1 - l.p)};
	m->method = sip_method_parse(m->method_pl);
	m->ruri = (struct pl){sp1 + 1, (size_t)(sp2 - sp1 - 1)};
	struct pl ver = {sp2 + 1, (size_t)(e - sp2 - 1)};
	if (!sip_pl_is_token(m->method_pl) || !ver.l ||
	    memchr(ver.p, ' ', ver.l) || memchr(ver.p, '\t', ver.l)) {
		set_err(c, -EBADMSG, 400, "Bad Request-Line");
		return;
	}
	if (!ruri_ok(m->ruri)) {
		set_err(c, -EBADMSG, 400, "Bad Request-URI");
		return;
	}
	check_version(c, ver);
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2). */
static void parse_status_line(struct ctx *c, struct pl l)
{
	struct sip_msg *m = c->m;
	const char *e = l.p + l.l;
	const char *sp = memchr(l.p, ' ', l.l);
	m->request = false;
	if (!sp || e - sp < 4) {
		set_err(c, -EBADMSG, 400, "Bad Status-Line");
		return;
	}
	const char *d = sp + 1;
	/* exactly three digits, 100..699 (§7.2, §21) */
	if (!sip_is_digit((unsigned char)d[0]) ||
	    !sip_is_digit((unsigned char)d[1]) ||
	    !sip_is_digit((unsigned char)d[2]) || d[0] < '1' || d[0] > '6' ||
	    (d + 3 < e && d[3] != ' ')) {
		set_err(c, -EBADMSG, 400, "Bad Status-Code");
		return;
	}
	m->status =
	    (uint16_t)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
	m->reason = d + 3 < e ? (struct pl){d + 4, (size_t)(e - d - 4)}
			      : (struct pl){e, 0};
	for (size_t i = 0; i < m->reason.l; i++) {
		unsigned char ch = (unsigned char)m->reason.p[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			set_err(c, -EBADMSG, 400, "Bad Reason-Phrase");
			return;
		}
	}
	check_version(c, (struct pl){l.p, (size_t)(sp - l.p)});
}

/* Content-Length = 1*DIGIT (§20.14); only one allowed (RFC 4475 3.3.9). */
static int parse_clen(struct ctx *c, struct pl v)
{
	struct sip_msg *m = c->m;
	size_t n = 0;
	if (m->has_clen) {
		c->frame_err = true;
		return set_err(c, -EBADMSG, 400, "Multiple Content-Length");
	}
	if (!v.l) {
		c->frame_err = true;
		return set_err(c, -EBADMSG, 400, "Bad Content-Length");
	}
	for (size_t i = 0; i < v.l; i++) {
		if (!sip_is_digit((unsigned char)v.p[i])) {
			c->frame_err = true;
			return set_err(c, -EBADMSG, 400, "Bad Content-Length");
		}
		if (n > c->lim->max_body_bytes) /* stop before overflow */
			break;
		n = n * 10 + (size_t)(v.p[i] - '0');
	}
	if (n > c->lim->max_body_bytes) {
		c->frame_err = true;
		return set_err(c, -EMSGSIZE, 413, "Body Too Large");
	}
	m->has_clen = true;
	m->clen = n;
	return 0;
}

/* Counts the entries of a Via value (commas outside quotes). */
static unsigned via_entries(struct pl v)
{
	unsigned n = 0;
	struct pl rest = v, e;
	if (!v.l)
		return 0;
	if (!memchr(v.p, ',', v.l))
		return 1;
	while (sip_list_next(&rest, &e))
		n++;
	return n;
}

/* Appends a header to the index and links it to its predecessor. */
static int add_hdr(struct ctx *c, struct pl name, struct pl val, bool folded)
{
	struct sip_msg *m = c->m;
	if (m->n_hdr >= c->lim->max_hdrs || m->n_hdr >= SIP_MSG_HDR_CAP)
		return set_err(c, -E2BIG, 513, "Too Many Headers");
	uint16_t i = m->n_hdr++;
	struct sip_hdr *h = &m->hdr[i];
	h->name = name;
	h->val = val;
	h->id = sip_hdr_lookup(name);
	h->next = SIP_HDR_NONE;
	h->folded = folded;
	if (c->last[h->id] == SIP_HDR_NONE)
		m->first[h->id] = i;
	else
		m->hdr[c->last[h->id]].next = i;
	c->last[h->id] = i;
	if (h->id == SIP_HDR_CONTENT_LENGTH) {
		int r = parse_clen(c, val);
		if (r == -EMSGSIZE)
			return 0; /* keep indexing: a 413 can be answered */
	} else if (h->id == SIP_HDR_VIA) {
		m->n_via += via_entries(val);
		if (m->n_via > c->lim->max_via)
			return set_err(c, -E2BIG, 513, "Too Many Via");
	}
	return 0;
}

/* Records a malformed header line; the line is skipped. */
static int bad_line(struct ctx *c, const char *p, const char *nl)
{
	if (p < nl && sip_is_token((unsigned char)*p) &&
	    memchr(p, ':', (size_t)(nl - p)))
		set_err(c, -EBADMSG, 400, "Bad Header Name");
	else
		set_err(c, -EBADMSG, 400, "Bad Header Line");
	return 0;
}

/*
 * Indexes one header field starting at *pp, continuation lines included.
 * Returns 0 (syntax errors are recorded and the line skipped), -EAGAIN
 * when the buffer ends before the field does, or a limit error.
 */
static int parse_header(struct ctx *c, const char **pp)
{
	const char *p = *pp, *end = c->end;
	const char *ne = sip_span(p, end, SIP_C_TOKEN);
	const char *nl = memchr(ne, '\n', (size_t)(end - ne));
	if (!nl)
		return -EAGAIN;
	const char *first_nl = nl;
	/* §7.3.1: a line starting with SP/HTAB continues the field; the
	 * next byte must be there to know */
	while (nl + 1 < end && sip_is_ws((unsigned char)nl[1]))
		if (!(nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1))))
			return -EAGAIN;
	if (nl + 1 >= end)
		return -EAGAIN;
	*pp = nl + 1;
	const char *ve = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	if ((size_t)(ve - p) > c->lim->max_hdr_bytes)
		return set_err(c, -E2BIG, 513, "Header Too Long");
	/* field-name HCOLON: a token, optional SP/HTAB, ':' */
	const char *q = ne;
	while (q < first_nl && sip_is_ws((unsigned char)*q))
		q++;
	if (ne == p || *q != ':')
		return bad_line(c, p, first_nl);
	const char *vs = sip_skip_lws(q + 1, ve);
	while (ve > vs && sip_is_lws((unsigned char)ve[-1]))
		ve--;
	return add_hdr(c, (struct pl){p, (size_t)(ne - p)},
		       (struct pl){vs, (size_t)(ve - vs)}, nl != first_nl);
}

/*
 * Start line and headers from p; *hend gets the byte after the empty line.
 * Returns 0, -EAGAIN if the header section is not complete, or a limit
 * error.
 */
static int parse_head(struct ctx *c, const char *p, const char **hend)
{
	const char *end = c->end;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return -EAGAIN;
	struct pl line = {p, (size_t)(nl - p)};
	if (line.l && line.p[line.l - 1] == '\r')
		line.l--;
	if (line.l >= 4 && strncasecmp(line.p, "SIP/", 4) == 0)
		parse_status_line(c, line);
	else
		parse_request_line(c, line);
	p = nl + 1;
	for (;;) {
		if (p >= end || (*p == '\r' && p + 1 >= end))
			return -EAGAIN;
		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			*hend = p + (*p == '\r') + 1;
			return 0;
		}
		int r = parse_header(c, &p);
		if (r)
			return r;
	}
}

/* Sets the body view and the message length once the head is parsed. */
static int frame_body(struct ctx *c, const char *hend, size_t *cons,
		      size_t skipped, size_t len)
{
	struct sip_msg *m = c->m;
	size_t avail = (size_t)(c->end - hend), head = (size_t)(hend - m->buf);
	size_t blen = avail;
	if (c->frame_err)
		return c->err;
	if (m->has_clen) {
		blen = m->clen;
		if (blen > avail && c->stream) {
			if (head + blen > c->lim->max_msg_bytes)
				return set_err(c, -EMSGSIZE, 513,
					       "Message Too Large");
			if (cons)
				*cons = skipped;
			return -EAGAIN;
		}
		if (blen > avail) {
			c->frame_err = true;
			return set_err(c, -EBADMSG, 400, "Bad Content-Length");
		}
	} else if (c->stream) {
		/* §18.3: mandatory on stream transports */
		c->frame_err = true;
		return set_err(c, -EBADMSG, 400, "Missing Content-Length");
	}
	m->body = (struct pl){hend, blen};
	m->len = head + blen;
	if (m->len > c->lim->max_msg_bytes) {
		c->frame_err = true;
		return set_err(c, -EMSGSIZE, 513, "Message Too Large");
	}
	m->framed = true;
	if (cons)
		*cons = c->stream ? skipped + m->len : len;
	return c->err;
}

static void msg_init(struct sip_msg *m)
{
	m->buf = NULL;
	m->len = 0;
	m->request = false;
	m->method = SIP_METHOD_OTHER;
	m->method_pl = m->ruri = m->reason = m->version = m->body =
	    (struct pl){NULL, 0};
	m->status = 0;
	m->n_hdr = 0;
	m->n_via = 0;
	memset(m->first, 0xff, sizeof(m->first));
	m->has_clen = false;
	m->clen = 0;
	m->hdrs_ok = m->framed = false;
	m->err_status = 0;
	m->err_reason = NULL;
}

int sip_msg_parse_lim(struct sip_msg *m, const struct sip_limits *lim,
		      const char *buf, size_t len, bool stream,
		      size_t *consumed)
{
	struct ctx c = {.m = m,
			.lim = lim ? lim : &sip_limits_default,
			.end = buf + len,
			.stream = stream};
	const char *p = buf, *end = buf + len;
	msg_init(m);
	memset(c.last, 0xff, sizeof(c.last));
	if (consumed)
		*consumed = 0;
	/* §7.5: empty lines before the start line are ignored */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	size_t skipped = (size_t)(p - buf);
	m->buf = p;
	if (!stream && len > c.lim->max_msg_bytes)
		return set_err(&c, -EMSGSIZE, 513, "Message Too Large");
	const char *hend = NULL;
	int r = parse_head(&c, p, &hend);
	if (r == -EAGAIN) {
		/* what was recorded about a partial head does not count */
		c.err = 0;
		m->err_status = 0;
		m->err_reason = NULL;
		if (stream && (size_t)(end - p) <= c.lim->max_msg_bytes) {
			if (consumed)
				*consumed = skipped;
			return -EAGAIN;
		}
		if (stream)
			return set_err(&c, -EMSGSIZE, 513, "Message Too Large");
		return set_err(&c, -EBADMSG, 400,
			       p == end ? "Empty Message" : "Truncated Header");
	}
	if (r)
		return r;
	m->hdrs_ok = true;
	return frame_body(&c, hend, consumed, skipped, len);
}

int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len, bool stream,
		  size_t *consumed)
{
	return sip_msg_parse_lim(m, NULL, buf, len, stream, consumed);
}

/* --- Index access ------------------------------------------------------ */

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	uint16_t i = m->first[id];
	return i == SIP_HDR_NONE ? NULL : &m->hdr[i];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m,
				       const struct sip_hdr *h)
{
	return h->next == SIP_HDR_NONE ? NULL : &m->hdr[h->next];
}

unsigned sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	unsigned n = 0;
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h;
	     h = sip_msg_hdr_next(m, h))
		n++;
	return n;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m,
					  const char *name)
{
	for (unsigned i = 0; i < m->n_hdr; i++)
		if (sip_pl_ieq(m->hdr[i].name, name))
			return &m->hdr[i];
	return NULL;
}

/* --- Folds and lists ----------------------------------------------------- */

/*
 * Reads the next byte of v with folds collapsed: a run of LWS containing a
 * line break becomes one SP. Returns false at the end.
 */
static bool unfold_next(const char **pp, const char *e, char *out)
{
	const char *p = *pp;
	if (p >= e)
		return false;
	if (*p == '\r' || *p == '\n' || sip_is_ws((unsigned char)*p)) {
		const char *q = p;
		bool brk = false;
		while (q < e && sip_is_lws((unsigned char)*q)) {
			brk |= *q == '\r' || *q == '\n';
			q++;
		}
		if (brk) {
			*out = ' ';
			*pp = q;
			return true;
		}
	}
	*out = *p;
	*pp = p + 1;
	return true;
}

size_t sip_unfold(struct pl v, char *buf, size_t cap)
{
	const char *p = v.p, *e = v.p + v.l;
	size_t n = 0;
	char ch;
	while (unfold_next(&p, e, &ch)) {
		if (n + 1 < cap)
			buf[n] = ch;
		n++;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

bool sip_unfold_eq(struct pl v, const char *s)
{
	const char *p = v.p, *e = v.p + v.l;
	char ch;
	while (unfold_next(&p, e, &ch))
		if (*s++ != ch)
			return false;
	return *s == '\0';
}

/* The byte after the closing quote of a quoted string whose opening quote
 * is before p, or e. */
static const char *skip_quoted(const char *p, const char *e)
{
	for (; p < e; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && p + 1 < e)
			p++;
	}
	return e;
}

bool sip_list_next(struct pl *rest, struct pl *elem)
{
	if (!rest->p)
		return false;
	const char *p = rest->p, *e = p + rest->l;
	for (;;) {
		p = sip_span_not(p, e, SIP_C_LIST);
		if (p >= e || *p == ',')
			break;
		if (*p == '"') {
			p = skip_quoted(p + 1, e);
		} else if (*p == '<') {
			const char *gt = memchr(p, '>', (size_t)(e - p));
			p = gt ? gt + 1 : e;
		} else {
			p++; /* a stray '>' */
		}
	}
	*elem = sip_pl_trim((struct pl){rest->p, (size_t)(p - rest->p)});
	if (p < e)
		*rest = (struct pl){p + 1, (size_t)(e - p - 1)};
	else
		*rest = (struct pl){NULL, 0};
	return true;
}

int sip_list_split(struct pl val, struct pl *out, size_t cap)
{
	size_t n = 0;
	struct pl rest = val, e;
	while (sip_list_next(&rest, &e)) {
		if (n == cap)
			return -E2BIG;
		out[n++] = e;
	}
	return (int)n;
}

bool sip_msg_next_value(const struct sip_msg *m, enum sip_hdr_id id,
			struct sip_iter *it, struct pl *val)
{
	for (;;) {
		if (it->rest.p)
			return sip_list_next(&it->rest, val);
		uint16_t h;
		if (!it->started)
			h = m->first[id];
		else if (it->hdr == SIP_HDR_NONE)
			return false;
		else
			h = m->hdr[it->hdr].next;
		it->started = true;
		it->hdr = h;
		if (h == SIP_HDR_NONE)
			return false;
		if (m->hdr[h].val.l)
			it->rest = m->hdr[h].val;
	}
}
