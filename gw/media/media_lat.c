/*
 * Latency histograms of the media workers (media_lat.h): log-linear bins,
 * single writer, relaxed atomics, percentiles by nearest rank.
 */
#include <math.h>

#include "media_lat.h"

uint64_t media_lag_update(struct media_lag *l, int64_t rel, int64_t creep,
			  int64_t max)
{
	if (!l->have || rel < l->lo) {
		l->lo = rel;
		l->have = true;
	}
	uint64_t w = (uint64_t)(rel - l->lo);
	if (w > (uint64_t)max) {
		l->lo = rel;
		return UINT64_MAX;
	}
	l->lo += (int64_t)w < creep ? (int64_t)w : creep;
	return w;
}

unsigned media_lat_bin(uint64_t ns)
{
	if (ns < MEDIA_LAT_LINEAR)
		return (unsigned)ns;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* >= 4 */
	unsigned sub = (unsigned)(ns >> (e - 3)) & (MEDIA_LAT_STEPS - 1);
	return MEDIA_LAT_LINEAR + (e - 4) * MEDIA_LAT_STEPS + sub;
}

uint64_t media_lat_bin_max(unsigned bin)
{
	if (bin < MEDIA_LAT_LINEAR)
		return bin;
	if (bin >= MEDIA_LAT_BINS)
		return UINT64_MAX;
	unsigned e = 4 + (bin - MEDIA_LAT_LINEAR) / MEDIA_LAT_STEPS;
	uint64_t sub = (bin - MEDIA_LAT_LINEAR) % MEDIA_LAT_STEPS;
	uint64_t lo = (MEDIA_LAT_STEPS + sub) << (e - 3);
	return lo + ((uint64_t)1 << (e - 3)) - 1;
}

void media_lat_add(struct media_lat_hist *h, uint64_t ns)
{
	uint64_t *c = &h->bin[media_lat_bin(ns)];
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
	if (ns > h->max_ns)
		__atomic_store_n(&h->max_ns, ns, __ATOMIC_RELAXED);
}

void media_lat_clear(struct media_lat_hist *h)
{
	for (unsigned i = 0; i < MEDIA_LAT_BINS; i++)
		if (h->bin[i])
			__atomic_store_n(&h->bin[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->max_ns, 0, __ATOMIC_RELAXED);
}

void media_lat_merge(struct media_lat_hist *dst,
		     const struct media_lat_hist *src)
{
	for (unsigned i = 0; i < MEDIA_LAT_BINS; i++)
		dst->bin[i] += __atomic_load_n(&src->bin[i], __ATOMIC_RELAXED);
	uint64_t m = __atomic_load_n(&src->max_ns, __ATOMIC_RELAXED);
	if (m > dst->max_ns)
		dst->max_ns = m;
}

uint64_t media_lat_count(const struct media_lat_hist *h)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < MEDIA_LAT_BINS; i++)
		n += h->bin[i];
	return n;
}

uint64_t media_lat_pct(const struct media_lat_hist *h, double pct)
{
	uint64_t n = media_lat_count(h);
	if (!n)
		return 0;
	uint64_t rank = (uint64_t)ceil(pct / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	uint64_t seen = 0;
	for (unsigned i = 0; i < MEDIA_LAT_BINS; i++) {
		seen += h->bin[i];
		if (seen >= rank) {
			uint64_t v = media_lat_bin_max(i);
			return v < h->max_ns ? v : h->max_ns;
		}
	}
	return h->max_ns;
}
