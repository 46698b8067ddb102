/*
 * SDP (RFC 4566) parsing and printing, and the offer/answer rules of
 * RFC 3264 for the one thing the gateway does: a single G.711 audio stream
 * (PCMU or PCMA) with RFC 4733 telephone-event. A parsed description is
 * copied into a fixed-size struct sdp_session (SDP is small); nothing in it
 * points into the text it came from. All functions here are pure: no I/O,
 * no logging, no allocation.
 */
#ifndef GW_SDP_H
#define GW_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MEDIA_MAX	8    /* m= lines per description */
#define SDP_FMT_MAX	32   /* formats per m= line */
#define SDP_LINE_MAX	1024 /* bytes per line, without the line end */
#define SDP_ADDR_MAX	64   /* IPv6 literal or host name, with NUL */
#define SDP_TOKEN_MAX	32   /* o= user name, media type, proto, with NUL */
#define SDP_TYPE_MAX	8    /* nettype "IN", addrtype "IP4", with NUL */
#define SDP_NAME_MAX	64   /* s= text, truncated to fit */
#define SDP_ENC_MAX	24   /* rtpmap encoding name, with NUL */
#define SDP_FMTP_MAX	64   /* fmtp parameters, with NUL */
#define SDP_FMTTEXT_MAX 64   /* non-RTP format list as text, with NUL */

#define SDP_PTIME_MIN_MS 10
#define SDP_PTIME_MAX_MS 60

/* Direction attributes, RFC 4566 §6 / RFC 3264 §5.1. */
enum sdp_dir {
	SDP_DIR_NONE, /* no attribute: inherits, or sendrecv */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/* A c= line (or the address part of o= or a=rtcp); addr "" when absent. */
struct sdp_conn {
	char nettype[SDP_TYPE_MAX];  /* "IN" */
	char addrtype[SDP_TYPE_MAX]; /* "IP4", "IP6" */
	char addr[SDP_ADDR_MAX];     /* without a multicast /ttl suffix */
};

/* One RTP payload type of an m= line with its rtpmap and fmtp. */
struct sdp_fmt {
	uint8_t pt;		 /* 0..127 */
	bool has_rtpmap;	 /* enc, clock_hz, channels are valid */
	char enc[SDP_ENC_MAX];	 /* encoding name, "PCMU" */
	uint32_t clock_hz;	 /* RTP clock rate */
	uint8_t channels;	 /* 0 when the rtpmap gave none */
	char fmtp[SDP_FMTP_MAX]; /* format parameters, "" when none */
};

struct sdp_media {
	char media[SDP_TOKEN_MAX]; /* "audio", "video", "image" ... */
	uint16_t port;		   /* 0: stream rejected or disabled */
	uint16_t nports;	   /* "port/number", 1 when not given */
	char proto[SDP_TOKEN_MAX]; /* "RTP/AVP", "RTP/SAVP", "udptl" ... */
	bool rtp;		   /* proto is RTP: formats are payload types */
	struct sdp_fmt fmt[SDP_FMT_MAX]; /* when rtp, in m= line order */
	unsigned nfmt;
	char fmt_text[SDP_FMTTEXT_MAX]; /* when !rtp, the format list */
	uint32_t ptime_ms;		/* a=ptime, 0 when absent */
	uint32_t maxptime_ms;		/* a=maxptime, 0 when absent */
	enum sdp_dir dir;		/* media-level attribute only */
	struct sdp_conn conn;		/* media-level c=, addr "" if none */
	uint16_t rtcp_port;		/* a=rtcp (RFC 3605), 0 when absent */
	struct sdp_conn rtcp_conn;	/* a=rtcp address, addr "" if none */
};

struct sdp_origin {
	char username[SDP_TOKEN_MAX];
	uint64_t sess_id;
	uint64_t sess_version;
	struct sdp_conn conn;
};

struct sdp_session {
	struct sdp_origin origin;
	char name[SDP_NAME_MAX];  /* s=; "" for "s= " */
	uint64_t t_start, t_stop; /* first t= line */
	struct sdp_conn conn;	  /* session-level c=, addr "" if none */
	enum sdp_dir dir;	  /* session-level direction attribute */
	struct sdp_media media[SDP_MEDIA_MAX];
	unsigned nmedia;
};

/* Where and why a parse failed; `what` is a static string. */
struct sdp_err {
	unsigned line; /* 1-based, 0 when not tied to a line */
	const char *what;
};

/*
 * Parses an SDP body of len bytes (need not be NUL-terminated) into *s.
 * Strict on structure (v=0 first; o=, s=, t= present before any m=; every
 * line "x=..." with a known type letter, RFC 4566 §5; a c= for every
 * active stream, §5.7), liberal on line ends (CRLF or bare LF, trailing
 * blank lines) and on unknown attributes, which are skipped. An rtpmap
 * or fmtp whose value does not fit its field is dropped as if absent.
 * Returns 0, or -EBADMSG with *err (if err is not NULL) saying where and
 * why. *s is overwritten either way.
 */
int sdp_parse(struct sdp_session *s, const char *text, size_t len,
	      struct sdp_err *err);

/*
 * Prints s as SDP with CRLF line ends into buf (NUL-terminated). Returns
 * the length without the NUL, or -ENOSPC if cap is too small.
 */
int sdp_print(const struct sdp_session *s, char *buf, size_t cap);

/* True if a and b hold the same description, field by field. */
bool sdp_session_eq(const struct sdp_session *a, const struct sdp_session *b);

/* Direction of media line i: its own attribute, else the session's, else
 * sendrecv (RFC 3264 §5.1). Never SDP_DIR_NONE. */
enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned i);

/* Connection of media line i: its own c=, else the session's (RFC 4566
 * §5.7). Its addr is "" if neither exists. */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned i);

/* "sendrecv", "sendonly", ...; "" for SDP_DIR_NONE. */
const char *sdp_dir_name(enum sdp_dir d);

/* ---- offer/answer (sdp_oa.c) ---- */

enum sdp_codec {
	SDP_CODEC_PCMU, /* G.711 µ-law, static PT 0 (RFC 3551 §6) */
	SDP_CODEC_PCMA, /* G.711 A-law, static PT 8 */
};
#define SDP_CODEC_COUNT 2

/* What we can do and what we said before: the caller's state for one call
 * leg. */
struct sdp_local {
	int af;			 /* AF_INET or AF_INET6 */
	char addr[SDP_ADDR_MAX]; /* our RTP address, an IP literal */
	uint16_t rtp_port;	 /* our RTP port; RTCP is port + 1 */
	enum sdp_codec codecs[SDP_CODEC_COUNT]; /* our order of preference */
	unsigned ncodecs;			/* 1 or 2 */
	int te_pt;	   /* telephone-event PT we offer (96-127), -1: none */
	uint32_t ptime_ms; /* packet time we want to receive, 20 */
	enum sdp_dir dir;  /* what we want: NONE/sendrecv, sendonly (hold) */
	char username[SDP_TOKEN_MAX]; /* o= user name, "" gives "-" */
	uint64_t sess_id;	      /* o= sess-id, fixed for the dialog */
	uint64_t sess_version;	      /* o= version of our first SDP */
	/* The last SDP we sent in this dialog, or NULL: a new one keeps its
	 * version if nothing else changed, else increments it (RFC 3264 §8),
	 * and keeps its m= lines (§8: they are never removed). */
	const struct sdp_session *last;
};

/* The negotiated stream, always seen from our side. */
struct sdp_media_result {
	int af;			 /* AF_INET or AF_INET6 */
	char addr[SDP_ADDR_MAX]; /* remote RTP address */
	uint16_t port;		 /* remote RTP port */
	uint16_t rtcp_port;	 /* a=rtcp, else port + 1 (0 on overflow) */
	char rtcp_addr[SDP_ADDR_MAX]; /* a=rtcp's address of our family,
					 else addr (RFC 3605 §2.1) */
	enum sdp_codec codec;
	uint8_t pt;	   /* payload type for codec */
	int te_pt;	   /* telephone-event PT, -1 if not negotiated */
	uint32_t ptime_ms; /* packet time to send with */
	enum sdp_dir dir;  /* what we do: sendrecv, sendonly, recvonly ... */
	bool on_hold;	   /* remote holds: null address, sendonly, inactive */
	unsigned mline;	   /* index of the audio m= line */
	/* Set when sdp_answer returns -ENOTSUP: answer 488 with
	 * "Warning: <warn_code> <host> \"<warn_text>\"" (RFC 3261 §20.43). */
	int warn_code;
	const char *warn_text;
};

/* Static payload type and encoding name of a codec. */
uint8_t sdp_codec_pt(enum sdp_codec c);
const char *sdp_codec_name(enum sdp_codec c);

/*
 * Answers an offer (RFC 3264 §6): the first usable audio m= line (RTP/AVP,
 * an address of our family, a codec we support) gets our port, the first
 * offered codec we support (the offerer's order, §6.1), telephone-event
 * with the offerer's PT if both sides have it, and the mirrored direction;
 * every other m= line is rejected with port 0, in order. Fills *answer and
 * *res. Returns 0; -ENOTSUP if nothing is usable (send 488 with the
 * warning in res); -EINVAL for a bad local config.
 */
int sdp_answer(const struct sdp_session *offer, const struct sdp_local *local,
	       struct sdp_session *answer, struct sdp_media_result *res);

/*
 * Builds our offer: one audio m= line with local's codecs in its order,
 * telephone-event, ptime and direction; in a re-offer the m= lines of
 * local->last are kept, the others with port 0. Returns 0, -EINVAL for a
 * bad local config, -ENOSPC if last has no audio line and no room left.
 */
int sdp_offer(const struct sdp_local *local, struct sdp_session *offer);

/*
 * Checks an answer to the offer we sent (RFC 3264 §6, §7): same number and
 * types of m= lines, our audio line accepted with a codec from our offer.
 * Fills *res. Returns 0; -ENOTSUP if the answer rejected our audio line
 * (port 0); -EPROTO if the answer breaks the rules; -EINVAL if offer has
 * no audio line of ours.
 */
int sdp_process_answer(const struct sdp_session *offer,
		       const struct sdp_session *answer,
		       struct sdp_media_result *res);

/* What a re-offer changes compared to the previous remote SDP. */
enum sdp_change {
	SDP_CHANGE_NONE,    /* same version: a refresh, e.g. session timer */
	SDP_CHANGE_VERSION, /* new version but the same streams */
	SDP_CHANGE_MEDIA,   /* address, port, codecs or direction changed */
};

/*
 * Compares a re-offer with the previous SDP from the same peer (RFC 3264
 * §8). The same origin and version mean nothing changed; a same-version
 * SDP that differs anyway, or a new origin (a B2BUA switching legs), is
 * taken as a media change.
 */
enum sdp_change sdp_reoffer_change(const struct sdp_session *prev,
				   const struct sdp_session *next);

#endif
