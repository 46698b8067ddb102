/*
 * D-channel capture: writes Q.921 frames to a pcap file with link type
 * LINKTYPE_LINUX_LAPD (177), so that tshark and Wireshark decode LAPD and
 * Q.931 with the right direction and command/response sense. Each record
 * carries the 16-byte Linux "cooked" LAPD pseudo-header (packet type,
 * ARPHRD_LAPD, the capturing side in the address, ETH_P_LAPD) before the
 * frame without its FCS. A pure writer: no logging, one FILE per capture.
 */
#ifndef GW_ISDN_PCAP_H
#define GW_ISDN_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISDN_PCAP_LINKTYPE    177   /* LINKTYPE_LINUX_LAPD */
#define ISDN_PCAP_SNAPLEN     65535 /* bytes */
#define ISDN_PCAP_GLOBAL_LEN  24    /* bytes of the file header */
#define ISDN_PCAP_RECORD_LEN  16    /* bytes of a record header */
#define ISDN_PCAP_PHDR_LEN    16    /* bytes of the LAPD pseudo-header */
#define ISDN_PCAP_PKT_IN      0	    /* pseudo-header packet type: received */
#define ISDN_PCAP_PKT_OUT     4	    /* sent by the capturing side */
#define ISDN_PCAP_ARPHRD_LAPD 8445
#define ISDN_PCAP_ETH_P_LAPD  0x0030

struct isdn_pcap;

/*
 * Creates (or truncates) the file at path and writes the pcap global
 * header (magic 0xa1b2c3d4 in host order, version 2.4, snaplen 65535,
 * link type 177). network_side tells whether the capturing side is the
 * network (pstnsim, a NET span) or the user side (CPE). *pp is set only
 * on success; the caller owns the writer. Returns 0 or -errno.
 */
int isdn_pcap_open(struct isdn_pcap **pp, const char *path, bool network_side);

/*
 * Appends one frame (address, control, information: no FCS) with the
 * wall-clock time, and flushes. outgoing: sent by the capturing side.
 * After a write error every later call fails with the same error.
 * Returns 0 or -errno.
 */
int isdn_pcap_write(struct isdn_pcap *p, bool outgoing, const void *frame,
		    size_t len);

/* As isdn_pcap_write with the given time (µs since 1970), for tests. */
int isdn_pcap_write_at(struct isdn_pcap *p, uint64_t unix_us, bool outgoing,
		       const void *frame, size_t len);

/* Flushes and closes; NULL is a no-op. Returns 0 or -errno of the close
 * (or of an earlier write error). */
int isdn_pcap_close(struct isdn_pcap *p);

#endif
