/*
 * Address lists for SIP: the [sip] trusted CIDR list ("127.0.0.1/32,
 * 10.0.0.0/8, ::1/128") parsed into prefixes, and the match of a source
 * address against them (IPv4 and IPv6; an IPv4-mapped IPv6 source matches
 * IPv4 prefixes). Pure: no I/O, no logging.
 */
#ifndef GW_SIP_ACL_H
#define GW_SIP_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SIP_ACL_MAX 32 /* prefixes in one list */

struct sip_acl_net {
	int family;	     /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network byte order, host bits cleared */
	unsigned prefix_len; /* bits: 0..32 or 0..128 */
};

/* A parsed list; an empty list matches nothing. Plain value, no heap. */
struct sip_acl {
	struct sip_acl_net net[SIP_ACL_MAX];
	unsigned n;
};

/*
 * Parses a list of "address[/bits]" separated by commas and/or blanks
 * (an address without /bits is one host) into acl. NULL or "" gives an
 * empty list. Host bits set below the prefix are an error (a likely typo:
 * "10.1.2.3/8"). On error writes a message naming the bad item into err
 * (if cap > 0) and returns -EINVAL (-E2BIG beyond SIP_ACL_MAX items);
 * returns 0 on success.
 */
int sip_acl_parse(struct sip_acl *acl, const char *list, char *err, size_t cap);

/* Whether address sa (AF_INET or AF_INET6, port ignored) is inside one of
 * the prefixes of acl. */
bool sip_acl_match(const struct sip_acl *acl, const struct sockaddr *sa);

#endif
