/*
 * Wire protocol between the `sim` span back end (drivers/sim.c, in gwd) and
 * the PSTN switch simulator (tools/pstnsim), which plays the carrier and is
 * the clock master, as a real carrier is.
 *
 * 1. pstnsim listens on a SOCK_SEQPACKET UNIX socket. gwd's sim back end
 *    connects once per span and sends SIM_ATTACH naming pstnsim's span
 *    number, the layout it expects and its block size.
 * 2. pstnsim answers SIM_ATTACH_ERR (errno + text), or SIM_ATTACH_OK with
 *    SCM_RIGHTS ancillary data carrying 1 + popcount(chanmask) descriptors:
 *    the D-channel first, then one per B-channel timeslot in ascending
 *    order. All are SOCK_SEQPACKET socketpair ends.
 *      - D-channel: one packet = one HDLC frame plus 2 FCS placeholder
 *        bytes (exactly what libpri reads and writes).
 *      - B-channel: one packet = one block of `blocksize` bytes in the
 *        span's law. While a call is up on pstnsim's side, pstnsim sends
 *        one block per block period (its clock) and consumes what gwd sent.
 * 3. Right after SIM_ATTACH_OK, and whenever they change, pstnsim sends
 *    SIM_STATUS with the alarm bits (TDM_ALARM_*) and slip count.
 * 4. The attach connection's lifetime is the span's: EOF on either side
 *    detaches (gwd raises TDM_ALARM_NOTOPEN and reconnects).
 *
 * All integers are host byte order (both ends are on one host).
 */
#ifndef GW_SIM_PROTO_H
#define GW_SIM_PROTO_H

#include <stdint.h>

#define SIM_PROTO_MAGIC	  0x53494d31u /* "SIM1" */
#define SIM_PROTO_VERSION 1

enum sim_msg_type {
	SIM_ATTACH = 1,	    /* gwd -> pstnsim */
	SIM_ATTACH_OK = 2,  /* pstnsim -> gwd, with descriptors */
	SIM_ATTACH_ERR = 3, /* pstnsim -> gwd */
	SIM_STATUS = 4,	    /* pstnsim -> gwd */
};

struct sim_msg {
	uint32_t magic;
	uint16_t version;
	uint16_t type;	    /* enum sim_msg_type */
	uint32_t span;	    /* pstnsim's span number */
	uint32_t layout;    /* enum tdm_layout */
	uint32_t blocksize; /* samples per B-channel block */
	uint32_t chanmask;  /* ATTACH_OK: bit ts = B-channel fd passed */
	uint32_t dchan;	    /* ATTACH_OK: D-channel timeslot */
	uint32_t law;	    /* ATTACH_OK: enum tdm_law */
	uint32_t alarms;    /* STATUS: TDM_ALARM_* */
	uint32_t slips;	    /* STATUS: cumulative controlled slips */
	int32_t error;	    /* ATTACH_ERR: positive errno */
	char text[64];	    /* ATTACH_OK: description; ATTACH_ERR: reason */
};

#endif
