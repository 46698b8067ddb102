/*
 * D-channel capture to pcap, LINKTYPE_LINUX_LAPD (see isdn_pcap.h). The
 * record layout is the classic libpcap one: a global header, then per
 * frame a record header in host byte order and the packet, here the
 * pseudo-header (network byte order) and the LAPD frame.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isdn/isdn_pcap.h"

/* Owned by whoever opened it; owns the FILE. */
struct isdn_pcap {
	FILE *f;
	bool network_side;
	int err; /* first write error, sticky */
};

static void put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int isdn_pcap_open(struct isdn_pcap **pp, const char *path, bool network_side)
{
	uint8_t h[ISDN_PCAP_GLOBAL_LEN];
	struct isdn_pcap *p;
	if (!path || !*path)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->f = fopen(path, "wbe");
	if (!p->f) {
		int err = -errno;
		free(p);
		return err;
	}
	p->network_side = network_side;
	put_u32(h, 0xa1b2c3d4); /* µs timestamps, host byte order */
	put_u16(h + 4, 2);	/* version 2.4 */
	put_u16(h + 6, 4);
	put_u32(h + 8, 0);  /* thiszone: UTC */
	put_u32(h + 12, 0); /* sigfigs */
	put_u32(h + 16, ISDN_PCAP_SNAPLEN);
	put_u32(h + 20, ISDN_PCAP_LINKTYPE);
	errno = 0;
	if (fwrite(h, sizeof(h), 1, p->f) != 1 || fflush(p->f) != 0) {
		int err = errno ? -errno : -EIO;
		fclose(p->f);
		free(p);
		return err;
	}
	*pp = p;
	return 0;
}

int isdn_pcap_write_at(struct isdn_pcap *p, uint64_t unix_us, bool outgoing,
		       const void *frame, size_t len)
{
	uint8_t h[ISDN_PCAP_RECORD_LEN + ISDN_PCAP_PHDR_LEN];
	uint8_t *ph = h + ISDN_PCAP_RECORD_LEN;
	size_t orig = ISDN_PCAP_PHDR_LEN + len;
	size_t incl = orig < ISDN_PCAP_SNAPLEN ? orig : ISDN_PCAP_SNAPLEN;
	if (p->err)
		return p->err;
	if (orig > UINT32_MAX)
		return -EMSGSIZE;
	put_u32(h, (uint32_t)(unix_us / 1000000));
	put_u32(h + 4, (uint32_t)(unix_us % 1000000));
	put_u32(h + 8, (uint32_t)incl);
	put_u32(h + 12, (uint32_t)orig);
	/* the Linux cooked header as LINKTYPE_LINUX_LAPD defines it: packet
	 * type, ARPHRD_LAPD, address length 1, address (its first byte: 1
	 * if the capturing side is the network side), ETH_P_LAPD */
	memset(ph, 0, ISDN_PCAP_PHDR_LEN);
	put_be16(ph, outgoing ? ISDN_PCAP_PKT_OUT : ISDN_PCAP_PKT_IN);
	put_be16(ph + 2, ISDN_PCAP_ARPHRD_LAPD);
	put_be16(ph + 4, 1);
	ph[6] = p->network_side ? 1 : 0;
	put_be16(ph + 14, ISDN_PCAP_ETH_P_LAPD);
	errno = 0;
	if (fwrite(h, sizeof(h), 1, p->f) != 1 ||
	    (incl > ISDN_PCAP_PHDR_LEN &&
	     fwrite(frame, incl - ISDN_PCAP_PHDR_LEN, 1, p->f) != 1) ||
	    fflush(p->f) != 0)
		p->err = errno ? -errno : -EIO;
	return p->err;
}

int isdn_pcap_write(struct isdn_pcap *p, bool outgoing, const void *frame,
		    size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return isdn_pcap_write_at(
	    p, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u,
	    outgoing, frame, len);
}

int isdn_pcap_close(struct isdn_pcap *p)
{
	int err;
	if (!p)
		return 0;
	err = p->err;
	if (fclose(p->f) != 0 && !err)
		err = -errno;
	free(p);
	return err;
}
