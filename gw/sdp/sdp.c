/*
 * SDP parser and printer (RFC 4566). The parser walks the text line by
 * line with pointer-length views and copies what the gateway needs into a
 * struct sdp_session; the printer writes a session back with CRLF line
 * ends, in the order of RFC 4566 §5.
 */
#include "sdp/sdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pl.h"

struct parse_ctx {
	struct sdp_session *s;
	struct sdp_media *m; /* current media section, NULL at session level */
	bool have_o, have_s, have_t;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Takes the next whitespace-separated token off *rest. */
static bool next_tok(struct pl *rest, struct pl *tok)
{
	while (rest->l && is_ws(*rest->p)) {
		rest->p++;
		rest->l--;
	}
	if (!rest->l)
		return false;
	tok->p = rest->p;
	while (rest->l && !is_ws(*rest->p)) {
		rest->p++;
		rest->l--;
	}
	tok->l = (size_t)(rest->p - tok->p);
	return true;
}

static bool rest_empty(struct pl rest)
{
	struct pl t;
	return !next_tok(&rest, &t);
}

/* Splits v at the first c: *head before it, *tail after it. */
static bool split_at(struct pl v, char c, struct pl *head, struct pl *tail)
{
	const char *x = v.l ? memchr(v.p, c, v.l) : NULL;
	if (!x)
		return false;
	*head = (struct pl){v.p, (size_t)(x - v.p)};
	*tail = (struct pl){x + 1, v.l - (size_t)(x - v.p) - 1};
	return true;
}

/* Decimal digits only, at most max. */
static bool pl_u64(struct pl t, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (!t.l)
		return false;
	for (size_t i = 0; i < t.l; i++) {
		unsigned d = (unsigned)(t.p[i] - '0');
		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static bool pl_u32(struct pl t, uint32_t max, uint32_t *v)
{
	uint64_t x;
	if (!pl_u64(t, max, &x))
		return false;
	*v = (uint32_t)x;
	return true;
}

/* Copies t into dst if it fits with its NUL. */
static bool tok_copy(char *dst, size_t cap, struct pl t)
{
	if (t.l >= cap)
		return false;
	pl_strcpy(t, dst, cap);
	return true;
}

/* "<nettype> <addrtype> <address>" as in c=, o= and a=rtcp. */
static const char *parse_conn(struct sdp_conn *c, struct pl *rest)
{
	struct pl nt, at, ad, host, ttl;
	if (!next_tok(rest, &nt) || !next_tok(rest, &at) ||
	    !next_tok(rest, &ad))
		return "address fields missing";
	/* RFC 4566 §5.7: multicast "addr/ttl[/count]"; the gateway keeps
	 * only the address. */
	if (split_at(ad, '/', &host, &ttl)) {
		uint64_t x;
		struct pl a, b;
		if (split_at(ttl, '/', &a, &b)) {
			if (!pl_u64(a, 255, &x) || !pl_u64(b, 65535, &x))
				return "bad multicast suffix";
		} else if (!pl_u64(ttl, 255, &x)) {
			return "bad multicast suffix";
		}
		ad = host;
	}
	if (!ad.l)
		return "empty address";
	if (!tok_copy(c->nettype, sizeof(c->nettype), nt) ||
	    !tok_copy(c->addrtype, sizeof(c->addrtype), at))
		return "network or address type too long";
	if (!tok_copy(c->addr, sizeof(c->addr), ad))
		return "address too long";
	return NULL;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static const char *parse_origin(struct sdp_origin *o, struct pl v)
{
	struct pl user, id, ver;
	if (!next_tok(&v, &user) || !next_tok(&v, &id) || !next_tok(&v, &ver))
		return "o= fields missing";
	if (!tok_copy(o->username, sizeof(o->username), user))
		return "o= user name too long";
	if (!pl_u64(id, UINT64_MAX, &o->sess_id))
		return "bad o= sess-id";
	if (!pl_u64(ver, UINT64_MAX, &o->sess_version))
		return "bad o= sess-version";
	const char *e = parse_conn(&o->conn, &v);
	if (e)
		return e;
	if (!rest_empty(v))
		return "junk after o= address";
	return NULL;
}

static const char *parse_time(struct parse_ctx *c, struct pl v)
{
	struct pl a, b;
	uint64_t start, stop;
	if (!next_tok(&v, &a) || !next_tok(&v, &b) || !rest_empty(v))
		return "t= needs start and stop";
	if (!pl_u64(a, UINT64_MAX, &start) || !pl_u64(b, UINT64_MAX, &stop))
		return "bad t= time";
	/* Further t= lines (repeated sessions) are accepted and ignored. */
	if (!c->have_t) {
		c->s->t_start = start;
		c->s->t_stop = stop;
	}
	c->have_t = true;
	return NULL;
}

/* Protos are "/"-separated; any "RTP" part makes the formats PTs (RTP/AVP,
 * RTP/SAVPF, UDP/TLS/RTP/SAVP ...). */
static bool proto_is_rtp(struct pl proto)
{
	struct pl head, tail = proto;
	while (split_at(tail, '/', &head, &tail)) {
		if (pl_casecmp_str(head, "RTP"))
			return true;
	}
	return pl_casecmp_str(tail, "RTP");
}

static const char *parse_fmts(struct sdp_media *m, struct pl v)
{
	struct pl f;
	if (!m->rtp) {
		while (v.l && is_ws(v.p[v.l - 1]))
			v.l--;
		while (v.l && is_ws(*v.p)) {
			v.p++;
			v.l--;
		}
		if (!v.l)
			return "m= without formats";
		if (!tok_copy(m->fmt_text, sizeof(m->fmt_text), v))
			return "m= format list too long";
		return NULL;
	}
	while (next_tok(&v, &f)) {
		uint32_t pt;
		if (!pl_u32(f, 127, &pt))
			return "bad payload type";
		if (m->nfmt == SDP_FMT_MAX)
			return "too many formats";
		for (unsigned i = 0; i < m->nfmt; i++) {
			if (m->fmt[i].pt == pt)
				return "duplicate payload type";
		}
		m->fmt[m->nfmt++].pt = (uint8_t)pt;
	}
	if (!m->nfmt)
		return "m= without formats";
	return NULL;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static const char *parse_media(struct parse_ctx *c, struct pl v)
{
	struct pl media, port, proto, pnum, nports;
	uint32_t x;
	if (c->s->nmedia == SDP_MEDIA_MAX)
		return "too many m= lines";
	struct sdp_media *m = &c->s->media[c->s->nmedia++];
	c->m = m;
	if (!next_tok(&v, &media) || !next_tok(&v, &port) ||
	    !next_tok(&v, &proto))
		return "m= fields missing";
	if (!tok_copy(m->media, sizeof(m->media), media))
		return "m= media type too long";
	m->nports = 1;
	if (split_at(port, '/', &pnum, &nports)) {
		if (!pl_u32(nports, 65535, &x) || x == 0)
			return "bad m= port count";
		m->nports = (uint16_t)x;
		port = pnum;
	}
	if (!pl_u32(port, 65535, &x))
		return "bad m= port";
	m->port = (uint16_t)x;
	if (!tok_copy(m->proto, sizeof(m->proto), proto))
		return "m= proto too long";
	m->rtp = proto_is_rtp(proto);
	return parse_fmts(m, v);
}

static struct sdp_fmt *find_fmt(struct sdp_media *m, struct pl ptv)
{
	uint32_t pt;
	if (!m || !m->rtp || !pl_u32(ptv, 127, &pt))
		return NULL;
	for (unsigned i = 0; i < m->nfmt; i++) {
		if (m->fmt[i].pt == pt)
			return &m->fmt[i];
	}
	return NULL;
}

/* a=rtpmap:<pt> <encoding name>/<clock rate>[/<encoding parameters>]
 * (RFC 4566 §6). Only for a PT of this m= line; the first one counts. */
static const char *parse_rtpmap(struct sdp_media *m, struct pl v)
{
	struct pl ptv, map, enc, rest, clock, ch;
	uint32_t hz, nch = 0;
	if (!next_tok(&v, &ptv) || !next_tok(&v, &map) || !rest_empty(v))
		return "bad rtpmap";
	if (!pl_u32(ptv, 127, &hz))
		return "bad rtpmap payload type";
	if (!split_at(map, '/', &enc, &rest) || !enc.l)
		return "bad rtpmap encoding";
	clock = rest;
	if (split_at(rest, '/', &clock, &ch)) {
		if (!pl_u32(ch, 255, &nch) || nch == 0)
			return "bad rtpmap channels";
	}
	if (!pl_u32(clock, 1000000000, &hz) || hz == 0)
		return "bad rtpmap clock rate";
	struct sdp_fmt *f = find_fmt(m, ptv);
	if (!f || f->has_rtpmap || enc.l >= sizeof(f->enc))
		return NULL;
	pl_strcpy(enc, f->enc, sizeof(f->enc));
	f->clock_hz = hz;
	f->channels = (uint8_t)nch;
	f->has_rtpmap = true;
	return NULL;
}

/* a=fmtp:<format> <format specific parameters> */
static const char *parse_fmtp(struct sdp_media *m, struct pl v)
{
	struct pl ptv;
	if (!next_tok(&v, &ptv))
		return "bad fmtp";
	while (v.l && is_ws(*v.p)) {
		v.p++;
		v.l--;
	}
	struct sdp_fmt *f = find_fmt(m, ptv);
	if (f && !f->fmtp[0] && v.l < sizeof(f->fmtp))
		pl_strcpy(v, f->fmtp, sizeof(f->fmtp));
	return NULL;
}

/* ptime and maxptime in ms; a fraction ("20.0") is cut off. */
static const char *parse_ms(uint32_t *ms, struct pl v)
{
	struct pl ip, frac;
	uint64_t x;
	if (split_at(v, '.', &ip, &frac)) {
		if (frac.l && !pl_u64(frac, UINT64_MAX, &x))
			return "bad packet time";
		v = ip;
	}
	if (!pl_u32(v, 100000, ms) || *ms == 0)
		return "bad packet time";
	return NULL;
}

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605 §2.1) */
static const char *parse_rtcp(struct sdp_media *m, struct pl v)
{
	struct pl port;
	uint32_t x;
	if (!next_tok(&v, &port) || !pl_u32(port, 65535, &x) || x == 0)
		return "bad rtcp port";
	m->rtcp_port = (uint16_t)x;
	memset(&m->rtcp_conn, 0, sizeof(m->rtcp_conn));
	if (rest_empty(v))
		return NULL;
	const char *e = parse_conn(&m->rtcp_conn, &v);
	if (!e && !rest_empty(v))
		e = "junk after rtcp address";
	return e;
}

static const char *parse_attr(struct parse_ctx *c, struct pl v)
{
	static const char *const dirs[] = {[SDP_DIR_SENDRECV] = "sendrecv",
					   [SDP_DIR_SENDONLY] = "sendonly",
					   [SDP_DIR_RECVONLY] = "recvonly",
					   [SDP_DIR_INACTIVE] = "inactive"};
	struct pl name = v, val = {v.p + v.l, 0};
	split_at(v, ':', &name, &val);
	if (!name.l)
		return "empty attribute name";
	for (unsigned d = SDP_DIR_SENDRECV; d <= SDP_DIR_INACTIVE; d++) {
		if (pl_casecmp_str(name, dirs[d])) {
			if (c->m)
				c->m->dir = (enum sdp_dir)d;
			else
				c->s->dir = (enum sdp_dir)d;
			return NULL;
		}
	}
	/* The rest only mean something inside a media section. */
	if (!c->m)
		return NULL;
	if (pl_casecmp_str(name, "rtpmap"))
		return c->m->rtp ? parse_rtpmap(c->m, val) : NULL;
	if (pl_casecmp_str(name, "fmtp"))
		return parse_fmtp(c->m, val);
	if (pl_casecmp_str(name, "ptime"))
		return parse_ms(&c->m->ptime_ms, val);
	if (pl_casecmp_str(name, "maxptime"))
		return parse_ms(&c->m->maxptime_ms, val);
	if (pl_casecmp_str(name, "rtcp"))
		return parse_rtcp(c->m, val);
	return NULL;
}

static const char *parse_c(struct parse_ctx *c, struct pl v)
{
	struct sdp_conn *conn = c->m ? &c->m->conn : &c->s->conn;
	/* Several c= lines only serve layered multicast; keep the first. */
	if (conn->addr[0])
		return NULL;
	const char *e = parse_conn(conn, &v);
	if (!e && !rest_empty(v))
		e = "junk after c= address";
	if (e)
		memset(conn, 0, sizeof(*conn));
	return e;
}

/* One "x=value" line after v=. */
static const char *parse_line(struct parse_ctx *c, char type, struct pl v)
{
	/* RFC 4566 §5: these belong to the session section only. */
	if (c->m && strchr("vosuepztr", type))
		return "session-level line inside media section";
	switch (type) {
	case 'v':
		return "repeated v=";
	case 'o':
		if (c->have_o)
			return "repeated o=";
		c->have_o = true;
		return parse_origin(&c->s->origin, v);
	case 's':
		if (c->have_s)
			return "repeated s=";
		c->have_s = true;
		/* "s= " is how a nameless session is written (§5.3). */
		if (!(v.l == 1 && v.p[0] == ' '))
			pl_strcpy(v, c->s->name, sizeof(c->s->name));
		return NULL;
	case 't':
		return parse_time(c, v);
	case 'c':
		return parse_c(c, v);
	case 'm':
		if (!c->have_o || !c->have_s || !c->have_t)
			return "m= before o=, s= and t=";
		return parse_media(c, v);
	case 'a':
		return parse_attr(c, v);
	case 'i':
	case 'u':
	case 'e':
	case 'p':
	case 'b':
	case 'z':
	case 'k':
	case 'r':
		return NULL;
	default:
		/* §5: a description with an unknown type letter is ignored
		 * whole. */
		return "unknown line type";
	}
}

/* Cuts the next line off *pos; *line excludes the CRLF or LF. */
static const char *next_line(const char **pos, const char *end, struct pl *line)
{
	const char *p = *pos;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e = nl ? nl : end;
	*pos = nl ? nl + 1 : end;
	size_t l = (size_t)(e - p);
	if (l && p[l - 1] == '\r')
		l--;
	*line = (struct pl){p, l};
	if (l > SDP_LINE_MAX)
		return "line too long";
	if (l && (memchr(p, '\r', l) || memchr(p, '\0', l)))
		return "stray CR or NUL";
	return NULL;
}

static bool only_blank_lines(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p != '\r' && *p != '\n')
			return false;
	}
	return true;
}

static const char *check_end(struct parse_ctx *c, unsigned *line)
{
	*line = 0;
	if (!c->have_o)
		return "missing o=";
	if (!c->have_s)
		return "missing s=";
	if (!c->have_t)
		return "missing t=";
	/* RFC 4566 §5.7: every active stream needs a c=. */
	for (unsigned i = 0; i < c->s->nmedia; i++) {
		if (c->s->media[i].port && !sdp_media_conn(c->s, i)->addr[0])
			return "m= line without c=";
	}
	return NULL;
}

static const char *parse_all(struct parse_ctx *c, const char *text, size_t len,
			     unsigned *line)
{
	const char *pos = text, *end = text + len;
	struct pl l;
	const char *e;
	*line = 0;
	while (pos < end) {
		++*line;
		if ((e = next_line(&pos, end, &l)) != NULL)
			return e;
		if (!l.l) {
			if (*line > 1 && only_blank_lines(pos, end))
				break;
			return "empty line";
		}
		if (l.l < 2 || l.p[1] != '=')
			return "not a \"x=\" line";
		if (*line == 1) {
			if (!pl_eq_str(l, "v=0"))
				return "first line is not v=0";
			continue;
		}
		if ((e = parse_line(c, l.p[0], (struct pl){l.p + 2, l.l - 2})))
			return e;
	}
	if (*line == 0) {
		*line = 1;
		return "missing v=";
	}
	return check_end(c, line);
}

/* RFC 4566 §5. */
int sdp_parse(struct sdp_session *s, const char *text, size_t len,
	      struct sdp_err *err)
{
	struct parse_ctx c = {.s = s};
	unsigned line;
	memset(s, 0, sizeof(*s));
	const char *e = parse_all(&c, text ? text : "", text ? len : 0, &line);
	if (err) {
		err->line = e ? line : 0;
		err->what = e;
	}
	return e ? -EBADMSG : 0;
}

/* ---- printing ---- */

struct wbuf {
	char *p;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void
wb_printf(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	if (w->len < w->cap)
		n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static void print_conn(struct wbuf *w, const char *prefix,
		       const struct sdp_conn *c)
{
	wb_printf(w, "%s%s %s %s", prefix, c->nettype, c->addrtype, c->addr);
}

static void print_media(struct wbuf *w, const struct sdp_media *m)
{
	wb_printf(w, "m=%s %u", m->media, m->port);
	if (m->nports > 1)
		wb_printf(w, "/%u", m->nports);
	wb_printf(w, " %s", m->proto);
	if (m->rtp) {
		for (unsigned i = 0; i < m->nfmt; i++)
			wb_printf(w, " %u", m->fmt[i].pt);
	} else {
		wb_printf(w, " %s", m->fmt_text);
	}
	wb_printf(w, "\r\n");
	if (m->conn.addr[0]) {
		print_conn(w, "c=", &m->conn);
		wb_printf(w, "\r\n");
	}
	if (m->rtcp_port) {
		wb_printf(w, "a=rtcp:%u", m->rtcp_port);
		if (m->rtcp_conn.addr[0])
			print_conn(w, " ", &m->rtcp_conn);
		wb_printf(w, "\r\n");
	}
	for (unsigned i = 0; m->rtp && i < m->nfmt; i++) {
		const struct sdp_fmt *f = &m->fmt[i];
		if (!f->has_rtpmap)
			continue;
		wb_printf(w, "a=rtpmap:%u %s/%" PRIu32, f->pt, f->enc,
			  f->clock_hz);
		if (f->channels)
			wb_printf(w, "/%u", f->channels);
		wb_printf(w, "\r\n");
	}
	for (unsigned i = 0; m->rtp && i < m->nfmt; i++) {
		if (m->fmt[i].fmtp[0])
			wb_printf(w, "a=fmtp:%u %s\r\n", m->fmt[i].pt,
				  m->fmt[i].fmtp);
	}
	if (m->ptime_ms)
		wb_printf(w, "a=ptime:%" PRIu32 "\r\n", m->ptime_ms);
	if (m->maxptime_ms)
		wb_printf(w, "a=maxptime:%" PRIu32 "\r\n", m->maxptime_ms);
	if (m->dir != SDP_DIR_NONE)
		wb_printf(w, "a=%s\r\n", sdp_dir_name(m->dir));
}

/* RFC 4566 §5 order: v o s c t a m. */
int sdp_print(const struct sdp_session *s, char *buf, size_t cap)
{
	struct wbuf w = {buf, cap, 0};
	const struct sdp_origin *o = &s->origin;
	wb_printf(&w, "v=0\r\no=%s %" PRIu64 " %" PRIu64 " ", o->username,
		  o->sess_id, o->sess_version);
	print_conn(&w, "", &o->conn);
	wb_printf(&w, "\r\ns=%s\r\n", s->name[0] ? s->name : " ");
	if (s->conn.addr[0]) {
		print_conn(&w, "c=", &s->conn);
		wb_printf(&w, "\r\n");
	}
	wb_printf(&w, "t=%" PRIu64 " %" PRIu64 "\r\n", s->t_start, s->t_stop);
	if (s->dir != SDP_DIR_NONE)
		wb_printf(&w, "a=%s\r\n", sdp_dir_name(s->dir));
	for (unsigned i = 0; i < s->nmedia && i < SDP_MEDIA_MAX; i++)
		print_media(&w, &s->media[i]);
	if (w.len >= cap || w.len > INT32_MAX)
		return -ENOSPC;
	return (int)w.len;
}

/* ---- comparison and helpers ---- */

static bool conn_eq(const struct sdp_conn *a, const struct sdp_conn *b)
{
	return !strcmp(a->nettype, b->nettype) &&
	       !strcmp(a->addrtype, b->addrtype) && !strcmp(a->addr, b->addr);
}

static bool fmt_eq(const struct sdp_fmt *a, const struct sdp_fmt *b)
{
	if (a->pt != b->pt || a->has_rtpmap != b->has_rtpmap ||
	    strcmp(a->fmtp, b->fmtp))
		return false;
	return !a->has_rtpmap ||
	       (!strcmp(a->enc, b->enc) && a->clock_hz == b->clock_hz &&
		a->channels == b->channels);
}

static bool media_eq(const struct sdp_media *a, const struct sdp_media *b)
{
	if (strcmp(a->media, b->media) || a->port != b->port ||
	    a->nports != b->nports || strcmp(a->proto, b->proto) ||
	    a->rtp != b->rtp || a->ptime_ms != b->ptime_ms ||
	    a->maxptime_ms != b->maxptime_ms || a->dir != b->dir ||
	    !conn_eq(&a->conn, &b->conn) || a->rtcp_port != b->rtcp_port ||
	    !conn_eq(&a->rtcp_conn, &b->rtcp_conn))
		return false;
	if (!a->rtp)
		return !strcmp(a->fmt_text, b->fmt_text);
	if (a->nfmt != b->nfmt)
		return false;
	for (unsigned i = 0; i < a->nfmt && i < SDP_FMT_MAX; i++) {
		if (!fmt_eq(&a->fmt[i], &b->fmt[i]))
			return false;
	}
	return true;
}

/* Field-by-field equality. */
bool sdp_session_eq(const struct sdp_session *a, const struct sdp_session *b)
{
	const struct sdp_origin *oa = &a->origin, *ob = &b->origin;
	if (strcmp(oa->username, ob->username) || oa->sess_id != ob->sess_id ||
	    oa->sess_version != ob->sess_version ||
	    !conn_eq(&oa->conn, &ob->conn) || strcmp(a->name, b->name) ||
	    a->t_start != b->t_start || a->t_stop != b->t_stop ||
	    !conn_eq(&a->conn, &b->conn) || a->dir != b->dir ||
	    a->nmedia != b->nmedia)
		return false;
	for (unsigned i = 0; i < a->nmedia && i < SDP_MEDIA_MAX; i++) {
		if (!media_eq(&a->media[i], &b->media[i]))
			return false;
	}
	return true;
}

/* RFC 3264 §5.1: media-level attribute, else session-level, else
 * sendrecv. */
enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned i)
{
	if (i < s->nmedia && s->media[i].dir != SDP_DIR_NONE)
		return s->media[i].dir;
	return s->dir != SDP_DIR_NONE ? s->dir : SDP_DIR_SENDRECV;
}

/* RFC 4566 §5.7: a media-level c= overrides the session-level one. */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned i)
{
	if (i < s->nmedia && s->media[i].conn.addr[0])
		return &s->media[i].conn;
	return &s->conn;
}

/* Attribute name of a direction. */
const char *sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_NONE:
		return "";
	case SDP_DIR_SENDRECV:
		return "sendrecv";
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	}
	return "";
}
