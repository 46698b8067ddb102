/*
 * SIP messages (RFC 3261 §7) as zero-copy views into the caller's buffer:
 * framing for datagram and stream transports, the start line, and an index
 * of header fields. Typed header parsers (Via, name-addr, CSeq, ...) run
 * only when asked and return into caller structs, so a parsed message is
 * never modified and may be read from several places. Also the UAS sanity
 * checks of RFC 3261 §8.2 / §16.3 and a response printer (§8.2.6).
 *
 * The buffer must outlive the struct sip_msg and every view taken from it.
 */
#ifndef GW_SIP_MSG_H
#define GW_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"
#include "sip/sip_uri.h"

enum sip_method {
	SIP_METHOD_OTHER = 0, /* see sip_msg.method_pl for the token */
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_UPDATE,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_MESSAGE,
};

/* Header fields we know by name; full and compact forms resolve alike. */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0, /* unknown: see sip_hdr.name */
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_CONTACT,
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ALLOW,
	SIP_HDR_ALLOW_EVENTS,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID,
	SIP_HDR_CALL_INFO,
	SIP_HDR_CONTACT,
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_CONTENT_ENCODING,
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_CSEQ,
	SIP_HDR_DATE,
	SIP_HDR_DIVERSION,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_EVENT,
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM,
	SIP_HDR_HISTORY_INFO,
	SIP_HDR_IDENTITY,
	SIP_HDR_IDENTITY_INFO,
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_MIN_SE,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_PATH,
	SIP_HDR_PRIORITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RACK,
	SIP_HDR_REASON,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REFER_TO,
	SIP_HDR_REFERRED_BY,
	SIP_HDR_REJECT_CONTACT,
	SIP_HDR_REPLACES,
	SIP_HDR_REPLY_TO,
	SIP_HDR_REQUEST_DISPOSITION,
	SIP_HDR_REQUIRE,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_ROUTE,
	SIP_HDR_RSEQ,
	SIP_HDR_SERVER,
	SIP_HDR_SERVICE_ROUTE,
	SIP_HDR_SESSION_EXPIRES,
	SIP_HDR_SUBJECT,
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_SUPPORTED,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_TO,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_VIA,
	SIP_HDR_WARNING,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_COUNT
};

#define SIP_MSG_HDR_CAP 128    /* headers a struct sip_msg can index */
#define SIP_HDR_NONE	0xffff /* "no header" in first[] and next */

/* Size limits applied while framing; see sip_limits_default. */
struct sip_limits {
	size_t max_msg_bytes;  /* start line + headers + body; else 513 */
	size_t max_body_bytes; /* Content-Length; else 413 */
	size_t max_hdr_bytes;  /* one header field, folds included; else 513 */
	unsigned max_hdrs;     /* header fields (<= SIP_MSG_HDR_CAP); 513 */
	unsigned max_via;      /* Via entries (comma-separated ones too); 513 */
};

/* 64 KiB message and body, 8 KiB per header, 128 headers, 70 Vias. */
extern const struct sip_limits sip_limits_default;

/* One header field line (with its folded continuation lines). */
struct sip_hdr {
	struct pl name; /* as written */
	struct pl val;	/* without surrounding LWS; may contain folds */
	enum sip_hdr_id id;
	uint16_t next; /* next header with the same id, SIP_HDR_NONE */
	bool folded;   /* val contains CRLF SP folds */
};

struct sip_msg {
	const char *buf; /* start of the message (after leading CRLFs) */
	size_t len;	 /* bytes of this message, body included */
	bool request;	 /* else a response */

	/* Request-Line (RFC 3261 §7.1) */
	enum sip_method method;
	struct pl method_pl;
	struct pl ruri;
	/* Status-Line (§7.2) */
	uint16_t status;
	struct pl reason;
	struct pl version; /* "SIP/2.0" as written */

	struct sip_hdr hdr[SIP_MSG_HDR_CAP];
	uint16_t n_hdr;
	uint16_t first[SIP_HDR_COUNT]; /* first header of each id */
	unsigned n_via;		       /* Via entries counted while framing */

	bool has_clen;
	size_t clen; /* Content-Length value when has_clen */
	struct pl body;

	/* State after sip_msg_parse(), also on errors: */
	bool hdrs_ok;	     /* every header indexed: a response can be built */
	bool framed;	     /* message boundaries known (*consumed valid) */
	uint16_t err_status; /* 400, 413, 505 or 513; 0 if none */
	const char *err_reason; /* short static text for reason/Warning */
};

/*
 * Frames and indexes one message of buf[0..len) with default limits; see
 * sip_msg_parse_lim().
 */
int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len, bool stream,
		  size_t *consumed);

/*
 * Frames one message and indexes its start line and headers; no header
 * value is parsed except Content-Length. Empty lines before the start line
 * are skipped (RFC 3261 §7.5).
 *
 * Datagram mode (stream false): buf is the whole datagram; a
 * Content-Length bounds the body and octets after it are ignored
 * (RFC 4475 §3.1.1.8); without one the body runs to the end (§18.3); a
 * Content-Length beyond the datagram is an error. *consumed = len.
 * Stream mode (TCP/TLS): Content-Length is mandatory (§18.3); returns
 * -EAGAIN while the message is incomplete (then *consumed = leading empty
 * lines that may be dropped), else *consumed = bytes of this message.
 *
 * Returns 0, -EAGAIN, or -EBADMSG (syntax; err_status 400, or 505 for a
 * version other than SIP/2.0), -EMSGSIZE (message or body too large: 513
 * or 413), -E2BIG (too many headers or Vias, header too long: 513), with
 * m->err_status and m->err_reason set. On an error, m->hdrs_ok says the
 * header index is complete (a response can be printed from it) and
 * m->framed that *consumed is valid, so a stream can continue.
 * lim may be NULL for sip_limits_default.
 */
int sip_msg_parse_lim(struct sip_msg *m, const struct sip_limits *lim,
		      const char *buf, size_t len, bool stream,
		      size_t *consumed);

/* Method of a token (case-sensitive, RFC 3261 §7.1); OTHER if unknown. */
enum sip_method sip_method_parse(struct pl token);

/* Name of a known method; "" for SIP_METHOD_OTHER. */
const char *sip_method_name(enum sip_method m);

/* Header id of a field name (full or compact, case-insensitive). */
enum sip_hdr_id sip_hdr_lookup(struct pl name);

/* Canonical full name of a known header id; "" for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);

/* First header line with id, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id);

/* Next header line with the same id as h, or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m,
				       const struct sip_hdr *h);

/* Number of header lines with id. */
unsigned sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id);

/* First header line whose name equals name case-insensitively, or NULL;
 * for headers we do not know by id. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m,
					  const char *name);

/* --- Values: folds and comma-separated lists --------------------------- */

/*
 * Copies v into buf with every run of LWS that contains a fold collapsed
 * to one SP (RFC 3261 §7.3.1). NUL-terminates if cap > 0, truncating.
 * Returns the unfolded length (which may exceed cap - 1, as snprintf).
 */
size_t sip_unfold(struct pl v, char *buf, size_t cap);

/* Compares v with folds collapsed (as sip_unfold) to s, byte for byte. */
bool sip_unfold_eq(struct pl v, const char *s);

/*
 * Takes the next element of a comma-separated list (RFC 3261 §7.3.1):
 * commas inside quoted strings (with \-escapes) and <...> do not split.
 * *rest is the unread list; set it to the header value to begin. Elements
 * are trimmed of LWS and may be empty ("a,,b"). Returns false at the end.
 */
bool sip_list_next(struct pl *rest, struct pl *elem);

/* Splits a list into at most cap elements. Returns the count or -E2BIG. */
int sip_list_split(struct pl val, struct pl *out, size_t cap);

/* Position in the values of one header id across all its lines. */
struct sip_iter {
	uint16_t hdr;
	bool started;
	struct pl rest;
};

#define SIP_ITER_INIT                                                          \
	{                                                                      \
		0, false,                                                      \
		{                                                              \
			NULL, 0                                                \
		}                                                              \
	}

/*
 * Next comma-separated value of header id, across every line with that id
 * in order; an empty line contributes no value. Returns false at the end.
 */
bool sip_msg_next_value(const struct sip_msg *m, enum sip_hdr_id id,
			struct sip_iter *it, struct pl *val);

/* --- Generic parameters (RFC 3261 §25.1 generic-param) ----------------- */

/*
 * Reads the next ";name[=value]" of a parameter list view (from a typed
 * header's params). LWS around ';' and '=' is allowed; value is a token,
 * host or quoted string (quotes kept). Returns 1 with *name and *val (val
 * unset when there is no '='), 0 at the end, -EBADMSG on bad syntax.
 */
int sip_param_next(struct pl *rest, struct pl *name, struct pl *val);

/* Finds parameter name (case-insensitive). Returns 0, -ENOENT or
 * -EBADMSG. A parameter without value gives an unset *val. */
int sip_param_find(struct pl params, const char *name, struct pl *val);

/* --- Typed headers, parsed on demand (sip_hdr.c) ----------------------- */

/* One via-parm (RFC 3261 §20.42, RFC 3581 rport). */
struct sip_via {
	struct pl val;	     /* the whole via-parm */
	struct pl proto;     /* "SIP" */
	struct pl version;   /* "2.0" */
	struct pl transport; /* "UDP", "TCP", "TLS", "SCTP", ... */
	struct pl host;	     /* sent-by host, no [] around IPv6 */
	bool host_ipv6;
	uint16_t port;	  /* 0 when absent */
	struct pl params; /* ";..." raw, or unset */
	struct pl branch, received, maddr;
	struct pl rport;     /* set when present; empty when without value */
	uint16_t rport_port; /* the rport value, 0 if none */
	int ttl;	     /* -1 when absent */
};

/* Parses one via-parm. Returns 0 or -EBADMSG. */
int sip_via_parse(struct sip_via *v, struct pl val);

/* Topmost Via entry. Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_via(const struct sip_msg *m, struct sip_via *v);

/* Next Via entry (all lines, all commas). Returns 0, -ENOENT at the end,
 * or -EBADMSG. */
int sip_msg_via_next(const struct sip_msg *m, struct sip_iter *it,
		     struct sip_via *v);

/* name-addr or addr-spec with header params (From, To, Contact, Route,
 * Record-Route, Reply-To, P-Asserted-Identity ...; RFC 3261 §20.10). */
struct sip_addr {
	struct pl val;	 /* the whole element */
	struct pl dname; /* display name: inside the quotes (escapes kept)
			    or the tokens as written; unset if none */
	bool dname_quoted;
	bool angle;	  /* name-addr form, URI was inside <> */
	bool star;	  /* Contact: * */
	struct pl uri;	  /* the URI text */
	struct pl params; /* header params ";..." after the URI, or unset */
	struct pl tag;	  /* value of the tag param, unset if none */
};

/*
 * Parses one element. RFC 3261 §20.10: an addr-spec whose URI contains
 * ',', '?' or ';' must be a name-addr; here a ';' after an addr-spec
 * starts header params. No LWS inside <>; display names are a quoted
 * string or tokens. allow_star admits Contact's "*". Returns 0 or -EBADMSG.
 */
int sip_addr_parse(struct sip_addr *a, struct pl val, bool allow_star);

/* From / To (single-valued). Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_from(const struct sip_msg *m, struct sip_addr *a);
int sip_msg_to(const struct sip_msg *m, struct sip_addr *a);

/* Next element of a list of addresses (Contact, Route, Record-Route,
 * Path, P-Asserted-Identity...). Returns 0, -ENOENT at the end, -EBADMSG. */
int sip_msg_addr_next(const struct sip_msg *m, enum sip_hdr_id id,
		      struct sip_iter *it, struct sip_addr *a);

/* CSeq (RFC 3261 §20.16): number < 2^31 and method. */
struct sip_cseq {
	uint32_t num;
	struct pl method_pl;
	enum sip_method method;
};

/* Parses a CSeq value. Returns 0 or -EBADMSG. */
int sip_cseq_parse(struct sip_cseq *c, struct pl val);
/* Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *c);

/* Call-ID (§20.8: word ["@" word]). Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_callid(const struct sip_msg *m, struct pl *id);

/* Max-Forwards 0..255 (§20.22). Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_max_forwards(const struct sip_msg *m, unsigned *mf);

/* delta-seconds 0..2^32-1 (§25.1); Expires, Min-Expires, Retry-After's
 * first part. Returns 0 or -EBADMSG. */
int sip_delta_parse(struct pl val, uint32_t *secs);
/* Expires (§20.19). Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_expires(const struct sip_msg *m, uint32_t *secs);

/* Content-Length from framing. Returns 0 or -ENOENT. */
int sip_msg_content_length(const struct sip_msg *m, size_t *n);

/* media-type / media-range (Content-Type §20.15, Accept §20.1). */
struct sip_ctype {
	struct pl type, subtype; /* "*" allowed in Accept */
	struct pl params;	 /* ";..." or unset */
};

/* Parses type/subtype *(;param). Returns 0 or -EBADMSG. */
int sip_ctype_parse(struct sip_ctype *ct, struct pl val);
/* Content-Type. Returns 0, -ENOENT or -EBADMSG. */
int sip_msg_ctype(const struct sip_msg *m, struct sip_ctype *ct);
/* Next Accept entry. Returns 0, -ENOENT at the end, or -EBADMSG. */
int sip_msg_accept_next(const struct sip_msg *m, struct sip_iter *it,
			struct sip_ctype *ct);

/*
 * Option tags of Require, Proxy-Require, Supported, Unsupported (or the
 * tokens of Allow): all lines, split at commas, each a token. Returns the
 * count (0 if absent), -EBADMSG, or -E2BIG when more than cap.
 */
int sip_msg_tags(const struct sip_msg *m, enum sip_hdr_id id, struct pl *out,
		 size_t cap);

/* Date (§20.17, RFC 1123 date in GMT) as seconds since 1970. Returns 0,
 * -ENOENT or -EBADMSG. */
int sip_msg_date(const struct sip_msg *m, int64_t *unix_s);

/* --- Bodies by type (sip_body.c) ---------------------------------------- */

/*
 * Finds the body of type/subtype (case-insensitive): the whole body when
 * the message's Content-Type is that type, else the first such part of a
 * multipart body, nested up to 4 levels (RFC 2046 §5.1, RFC 5621; SIP-T
 * peers send multipart/mixed with SDP and ISUP, RFC 3204). *part is a
 * view into the message. Returns 0, -ENOENT (no such body), or -EBADMSG
 * (a multipart without boundary or close delimiter, a part header
 * without ':').
 */
int sip_body_find(const struct sip_msg *m, const char *type,
		  const char *subtype, struct pl *part);

/* --- UAS sanity checks (sip_check.c) ------------------------------------ */

#define SIP_CHECK_MAX_TAGS 16

/* What this element supports; lists are NULL-terminated, may be NULL. */
struct sip_check_conf {
	const char *const *supported; /* option tags (Require) */
	const char *const *accept;    /* body types taken, "type/sub"; a
					 subtype "*" matches any (-> 415) */
	const char *const *produce;   /* body types our answers to INVITE
					 carry (Accept -> 406) */
	bool proxy; /* also §16.3: Proxy-Require, Max-Forwards 0 -> 483 */
};

struct sip_check_result {
	uint16_t status;    /* 0 if the message passed */
	const char *reason; /* static reason phrase / Warning text */
	struct pl unsupported[SIP_CHECK_MAX_TAGS]; /* for 420 */
	unsigned n_unsupported;
	const char *const *accept; /* for 415: conf->accept, send as Accept */
};

/*
 * Runs the checks RFC 3261 §8.2 (and §16.3 with conf->proxy) asks of a
 * request, in that order: malformed or missing mandatory headers, several
 * values in a single-value header, CSeq method other than the request's
 * (400); Request-URI scheme unknown (416); Require (or Proxy-Require)
 * with tags outside conf->supported (420, r->unsupported); body type or
 * encoding not accepted (415, r->accept); an INVITE whose Accept allows
 * nothing in conf->produce (406). For a response it checks the same
 * header syntax and gives 400 for "discard". Nothing is ever sent in
 * answer to an ACK: there a non-zero status only means "drop it". If
 * framing reported an error, that status is returned. Returns r->status.
 */
int sip_check(const struct sip_msg *m, const struct sip_check_conf *conf,
	      struct sip_check_result *r);

/*
 * Writes the header a failed check asks for into buf: "Unsupported: a, b"
 * for 420, "Accept: x, y" for 415, each with CRLF; nothing otherwise.
 * Returns the length, or -ENOSPC.
 */
int sip_check_print_hdrs(const struct sip_check_result *r, char *buf,
			 size_t cap);

/* --- Response printing (sip_print.c) ------------------------------------ */

/* Default reason phrase of a status code (RFC 3261 §21), or "Unknown". */
const char *sip_reason_phrase(unsigned code);

/*
 * Starts a response to request m (RFC 3261 §8.2.6): status line, then
 * every Via (in order, folds collapsed), From, To (adding ";tag=to_tag"
 * when to_tag is given and To has no tag), Call-ID and CSeq, each ending
 * in CRLF. reason NULL uses sip_reason_phrase(). The caller adds further
 * headers (sip_print_append) and ends with sip_print_end(). Needs
 * m->hdrs_ok. Returns the length written, -ENOSPC, or -EINVAL.
 */
int sip_print_response(char *buf, size_t cap, const struct sip_msg *m,
		       unsigned code, const char *reason, const char *to_tag);

/*
 * As sip_print_response, with the top Via entry edited for the transport
 * (RFC 3261 §18.2.1, RFC 3581 §4): received non-NULL sets ";received=" to
 * it (replacing a received the client put there), and rport > 0 fills in
 * an "rport" parameter that has no value. Returns the length written,
 * -ENOSPC, or -EINVAL.
 */
int sip_print_response_via(char *buf, size_t cap, const struct sip_msg *m,
			   unsigned code, const char *reason,
			   const char *to_tag, const char *received, int rport);

/* Appends printf-formatted text at buf+len. Returns the new length or
 * -ENOSPC. */
int sip_print_append(char *buf, size_t cap, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends "Content-Length: N", the empty line and the body. Returns the
 * new length or -ENOSPC. */
int sip_print_end(char *buf, size_t cap, size_t len, const void *body,
		  size_t body_len);

#endif
