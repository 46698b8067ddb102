/*
 * Internal to the media workers (media.c, media_bridge.c, media_rtcp.c):
 * the counter stores the signalling thread reads with atomics, the
 * workers' clock, and socket address helpers.
 */
#ifndef GW_MEDIA_INT_H
#define GW_MEDIA_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* A struct media_stats field: written by its worker only, read by the
 * signalling thread (media_chan_stats) with relaxed atomic loads. */
static inline void media_stat_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static inline void media_stat_add(uint64_t *c, uint64_t n)
{
	media_stat_set(c, *c + n);
}

static inline void media_stat_inc(uint64_t *c)
{
	media_stat_add(c, 1);
}

/* The workers' clock: CLOCK_MONOTONIC in ns. */
static inline uint64_t media_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline socklen_t media_sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

/* Same family, address and port (not flow info, scope or padding). */
static inline bool media_sa_equal(const struct sockaddr_storage *a,
				  const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr,
			       sizeof(x->sin6_addr));
	}
	return false;
}

struct media_stats;
/* Adds st's counters to sum; of the jitter, the worst is kept. The other
 * fields (states and levels) are left as they are in sum (media_stats.c). */
void media_stats_sum(struct media_stats *sum, const struct media_stats *st);

#endif
