/*
 * A decoder for D-channel frames as they cross the wire (Q.921 LAPD with a
 * Q.931 message inside), for logs, event records and tests: it tells what
 * a frame is without the state libpri keeps. Pure and bounded: any byte
 * string is safe to hand it.
 */
#ifndef GW_ISDN_FRAME_H
#define GW_ISDN_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum isdn_frame_kind {
	ISDN_FRAME_BAD, /* too short or malformed address */
	ISDN_FRAME_I,	/* information frame (carries Q.931) */
	ISDN_FRAME_S,	/* supervisory: RR, RNR, REJ */
	ISDN_FRAME_U,	/* unnumbered: SABME, UA, DISC, DM, FRMR, UI, XID */
};

struct isdn_frame {
	enum isdn_frame_kind kind;
	unsigned sapi, tei;
	bool cr;	  /* command/response bit as sent */
	const char *lapd; /* "I", "RR", "SABME", "DISC", ... */
	/* Q.931 (I and UI frames) */
	bool has_q931;
	unsigned pd;	/* protocol discriminator: 0x08, 0x03, 0x43 */
	unsigned cref;	/* call reference value */
	bool cref_flag; /* set in messages from the call's destination */
	unsigned msg_type;
	const char *msg;   /* "SETUP", "SERVICE", ... or "UNKNOWN" */
	int cause;	   /* -1 if absent */
	int chan;	   /* B-channel from Channel identification, -1 */
	int progress;	   /* progress description, -1 */
	int restart_class; /* Restart indicator class, -1 */
	int change_status; /* SERVICE change status, -1 */
	char called[32], calling[32];
	char redirecting[32];	/* Redirecting number digits, "" if none */
	int redirecting_reason; /* its reason for redirection, -1 */
	bool sending_complete;	/* the Sending complete IE (§4.5.27) */
	bool bad_ie;		/* an IE ran past the end of the message */
};

/*
 * Decodes frame (without the 2 FCS bytes: pass len - 2 for what libpri
 * reads and writes). Returns 0, or -EBADMSG with f->kind = ISDN_FRAME_BAD.
 */
int isdn_frame_decode(struct isdn_frame *f, const uint8_t *frame, size_t len);

#endif
