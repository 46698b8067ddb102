/*
 * CIDR address lists (see sip_acl.h): the parser of the [sip] trusted
 * value and the prefix match used before digest authentication.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_acl.h"

#define ITEM_MAX 64 /* longest "address/bits" accepted */

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

/* Whether the bits of addr beyond prefix_len are all zero. */
static bool host_bits_clear(const uint8_t *addr, unsigned nbytes,
			    unsigned prefix_len)
{
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned keep = prefix_len >= (i + 1) * 8 ? 8
				: prefix_len > i * 8	  ? prefix_len - i * 8
							  : 0;
		uint8_t mask = keep ? (uint8_t)(0xff << (8 - keep)) : 0;
		if (addr[i] & (uint8_t)~mask)
			return false;
	}
	return true;
}

/* Parses one "address[/bits]" item into *net. Returns 0 or -EINVAL with
 * the reason in *why. */
static int parse_item(const char *item, struct sip_acl_net *net,
		      const char **why)
{
	char host[ITEM_MAX];
	const char *slash = strchr(item, '/');
	size_t hl = slash ? (size_t)(slash - item) : strlen(item);
	unsigned max_bits, bits;
	memset(net, 0, sizeof(*net));
	if (hl == 0 || hl >= sizeof(host)) {
		*why = "not an address";
		return -EINVAL;
	}
	memcpy(host, item, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, net->addr) == 1) {
		net->family = AF_INET;
		max_bits = 32;
	} else if (inet_pton(AF_INET6, host, net->addr) == 1) {
		net->family = AF_INET6;
		max_bits = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	bits = max_bits;
	if (slash) {
		char *end;
		unsigned long v;
		if (slash[1] < '0' || slash[1] > '9') {
			*why = "prefix length is not a number";
			return -EINVAL;
		}
		v = strtoul(slash + 1, &end, 10);
		if (*end || v > max_bits) {
			*why = "prefix length out of range";
			return -EINVAL;
		}
		bits = (unsigned)v;
	}
	net->prefix_len = bits;
	if (!host_bits_clear(net->addr, max_bits / 8, bits)) {
		*why = "host bits set below the prefix length";
		return -EINVAL;
	}
	return 0;
}

int sip_acl_parse(struct sip_acl *acl, const char *list, char *err, size_t cap)
{
	const char *p = list ? list : "";
	memset(acl, 0, sizeof(*acl));
	if (cap)
		err[0] = '\0';
	while (*p) {
		char item[ITEM_MAX];
		const char *why = NULL;
		size_t l = 0;
		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		while (p[l] && !is_sep(p[l]))
			l++;
		if (l >= sizeof(item)) {
			if (cap)
				snprintf(err, cap, "'%.20s...': too long", p);
			return -EINVAL;
		}
		memcpy(item, p, l);
		item[l] = '\0';
		p += l;
		if (acl->n == SIP_ACL_MAX) {
			if (cap)
				snprintf(err, cap, "more than %d prefixes",
					 SIP_ACL_MAX);
			return -E2BIG;
		}
		if (parse_item(item, &acl->net[acl->n], &why)) {
			if (cap)
				snprintf(err, cap, "'%s': %s", item, why);
			memset(acl, 0, sizeof(*acl));
			return -EINVAL;
		}
		acl->n++;
	}
	return 0;
}

/* Whether the first bits of a and b are equal. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool sip_acl_match(const struct sip_acl *acl, const struct sockaddr *sa)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0,    0,
					     0, 0, 0, 0, 0xff, 0xff};
	const uint8_t *a4 = NULL, *a6 = NULL;
	if (!acl || !sa)
		return false;
	if (sa->sa_family == AF_INET) {
		a4 = (const uint8_t *)&(
			 (const struct sockaddr_in *)(const void *)sa)
			 ->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a6 = (const uint8_t *)&(
			 (const struct sockaddr_in6 *)(const void *)sa)
			 ->sin6_addr;
		/* RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is IPv4 a.b.c.d */
		if (!memcmp(a6, v4mapped, sizeof(v4mapped)))
			a4 = a6 + 12;
	} else {
		return false;
	}
	for (unsigned i = 0; i < acl->n; i++) {
		const struct sip_acl_net *n = &acl->net[i];
		if (n->family == AF_INET && a4 &&
		    prefix_eq(a4, n->addr, n->prefix_len))
			return true;
		if (n->family == AF_INET6 && a6 &&
		    prefix_eq(a6, n->addr, n->prefix_len))
			return true;
	}
	return false;
}
