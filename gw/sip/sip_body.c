/*
 * Message bodies by type: the body itself when its Content-Type matches,
 * or a part of a multipart body (RFC 2046 §5.1, RFC 5621 for SIP), as
 * SIP-T/SIP-I peers send SDP next to an ISUP message (RFC 3204). Views
 * into the message buffer; nothing is copied.
 */
#include <errno.h>
#include <string.h>

#include "sip/sip_msg.h"

#define SIP_BODY_MAX_DEPTH 4 /* nested multiparts we follow */

/* Finds the next line start at or after p (after a CRLF or LF). */
static const char *next_line(const char *p, const char *e)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));
	return nl ? nl + 1 : e;
}

/* Whether the line at p is the delimiter "--" boundary (then transport
 * padding, RFC 2046 §5.1.1); *close set for the "--" boundary "--". */
static bool is_delim(const char *p, const char *e, struct pl b, bool *close)
{
	if ((size_t)(e - p) < b.l + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b.p, b.l) != 0)
		return false;
	const char *q = p + 2 + b.l;
	*close = e - q >= 2 && q[0] == '-' && q[1] == '-';
	if (*close)
		q += 2;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	return q == e || *q == '\r' || *q == '\n';
}

/* The Content-Type of a body part: its headers run to the first empty
 * line. Returns 0 with *ct and *content, or -EBADMSG. A part without
 * Content-Type is text/plain (RFC 2046 §5.1). */
static int part_split(struct pl part, struct sip_ctype *ct, struct pl *content)
{
	const char *p = part.p, *e = part.p + part.l;
	memset(ct, 0, sizeof(*ct));
	ct->type = PL("text");
	ct->subtype = PL("plain");
	while (p < e) {
		const char *line = p, *nl = next_line(p, e);
		size_t len = (size_t)(nl - line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		p = nl;
		if (!len) {
			*content = (struct pl){p, (size_t)(e - p)};
			return 0;
		}
		const char *colon = memchr(line, ':', len);
		if (!colon)
			return -EBADMSG;
		struct pl name = {line, (size_t)(colon - line)};
		while (name.l && (name.p[name.l - 1] == ' ' ||
				  name.p[name.l - 1] == '\t'))
			name.l--;
		if (pl_casecmp_str(name, "Content-Type") ||
		    pl_casecmp_str(name, "c")) {
			const char *v = colon + 1;
			while (v < line + len && (*v == ' ' || *v == '\t'))
				v++;
			if (sip_ctype_parse(
				ct, (struct pl){v, (size_t)(line + len - v)}))
				return -EBADMSG;
		}
	}
	/* headers only: an empty part */
	*content = (struct pl){e, 0};
	return 0;
}

static int find_in(struct pl body, const struct sip_ctype *ct, const char *type,
		   const char *subtype, struct pl *out, unsigned depth);

/* Searches the parts of a multipart body with boundary b. */
static int find_parts(struct pl body, struct pl b, const char *type,
		      const char *subtype, struct pl *out, unsigned depth)
{
	const char *p = body.p, *e = body.p + body.l;
	const char *start = NULL; /* current part's first byte */
	bool close = false;
	while (p < e && !close) {
		const char *line = p;
		p = next_line(p, e);
		if (!is_delim(line, e, b, &close))
			continue;
		if (start) {
			/* the CRLF before the delimiter belongs to it */
			const char *end = line;
			if (end > start && end[-1] == '\n')
				end--;
			if (end > start && end[-1] == '\r')
				end--;
			struct sip_ctype ct;
			struct pl content;
			struct pl part = {start, (size_t)(end - start)};
			if (part_split(part, &ct, &content))
				return -EBADMSG;
			int rc = find_in(content, &ct, type, subtype, out,
					 depth + 1);
			if (rc != -ENOENT)
				return rc;
		}
		start = p;
	}
	return close ? -ENOENT : -EBADMSG; /* no close delimiter: truncated */
}

static int find_in(struct pl body, const struct sip_ctype *ct, const char *type,
		   const char *subtype, struct pl *out, unsigned depth)
{
	if (pl_casecmp_str(ct->type, type) &&
	    pl_casecmp_str(ct->subtype, subtype)) {
		*out = body;
		return 0;
	}
	if (!pl_casecmp_str(ct->type, "multipart") ||
	    depth >= SIP_BODY_MAX_DEPTH)
		return -ENOENT;
	struct pl b;
	if (!pl_isset(ct->params) ||
	    sip_param_find(ct->params, "boundary", &b) || !pl_isset(b))
		return -EBADMSG;
	if (b.l >= 2 && b.p[0] == '"' && b.p[b.l - 1] == '"') {
		b.p++;
		b.l -= 2;
	}
	/* RFC 2046 §5.1.1: 1 to 70 characters */
	if (!b.l || b.l > 70)
		return -EBADMSG;
	return find_parts(body, b, type, subtype, out, depth);
}

int sip_body_find(const struct sip_msg *m, const char *type,
		  const char *subtype, struct pl *part)
{
	struct sip_ctype ct;
	if (!m->body.l)
		return -ENOENT;
	int rc = sip_msg_ctype(m, &ct);
	if (rc == -ENOENT)
		return -ENOENT; /* a body without type is not ours to guess */
	if (rc)
		return -EBADMSG;
	return find_in(m->body, &ct, type, subtype, part, 0);
}
