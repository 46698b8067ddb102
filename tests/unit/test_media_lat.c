/*
 * Unit tests of gw/media/media_lat.c: every value falls into a bin whose
 * bounds hold it and are within 12.5 % of it, bins are contiguous and
 * ordered, percentiles by nearest rank against a sorted reference, merge
 * and clear.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_lat.h"
#include "tests/unit/t.h"

TEST(bins_hold_their_values)
{
	static const uint64_t v[] = {
	    0,	  1,	15,   16,    17,    31,	      32,
	    1000, 1023, 1024, 20000, 99999, 1u << 30, UINT64_MAX / 3};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned b = media_lat_bin(v[i]);
		CHECK(b < MEDIA_LAT_BINS);
		uint64_t hi = media_lat_bin_max(b);
		uint64_t lo = b ? media_lat_bin_max(b - 1) + 1 : 0;
		CHECK(lo <= v[i] && v[i] <= hi);
		CHECK((double)(hi - lo) <= (double)v[i] / 8.0 + 1.0);
	}
	CHECK_INT(media_lat_bin(UINT64_MAX), MEDIA_LAT_BINS - 1);
}

TEST(bins_are_contiguous)
{
	for (unsigned b = 1; b < MEDIA_LAT_BINS; b++) {
		uint64_t lo = media_lat_bin_max(b - 1) + 1;
		CHECK_INT(media_lat_bin(lo), b);
		CHECK_INT(media_lat_bin(media_lat_bin_max(b)), b);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

TEST(percentiles_by_nearest_rank)
{
	static struct media_lat_hist h;
	static uint64_t v[1000];
	uint32_t s = 7;
	memset(&h, 0, sizeof(h));
	CHECK_INT(media_lat_pct(&h, 50), 0);
	for (size_t i = 0; i < 1000; i++) {
		s = s * 1664525u + 1013904223u;
		v[i] = 500 + (s >> 8) % 100000; /* 0.5 .. 100 us */
		media_lat_add(&h, v[i]);
	}
	qsort(v, 1000, sizeof(v[0]), cmp_u64);
	CHECK_INT(media_lat_count(&h), 1000);
	static const double p[] = {1, 50, 99, 100};
	static const size_t rank[] = {10, 500, 990, 1000};
	for (size_t i = 0; i < 4; i++) {
		uint64_t got = media_lat_pct(&h, p[i]), want = v[rank[i] - 1];
		CHECK(got >= want);
		CHECK((double)got <= (double)want * 1.125 + 1);
	}
	CHECK_INT(media_lat_pct(&h, 100), v[999]);
}

TEST(merge_and_clear)
{
	static struct media_lat_hist a, b, sum;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&sum, 0, sizeof(sum));
	for (int i = 0; i < 10; i++)
		media_lat_add(&a, 1000);
	media_lat_add(&b, 5000000);
	media_lat_merge(&sum, &a);
	media_lat_merge(&sum, &b);
	CHECK_INT(media_lat_count(&sum), 11);
	CHECK_INT(sum.max_ns, 5000000);
	CHECK(media_lat_pct(&sum, 50) >= 1000 &&
	      media_lat_pct(&sum, 50) < 1200);
	CHECK_INT(media_lat_pct(&sum, 100), 5000000);
	media_lat_clear(&a);
	CHECK_INT(media_lat_count(&a), 0);
	CHECK_INT(a.max_ns, 0);
}

/* Blocks every 160 units, read with small delays, then a 70-unit stall:
 * the wait is measured against the fastest read, a lasting shift is
 * forgotten at the creep rate, and slow drift never counts. */
TEST(lag_measures_the_wait_behind_the_fastest)
{
	struct media_lag l = {0};
	CHECK_INT(media_lag_update(&l, 1000, 2, 5000), 0);
	CHECK_INT(media_lag_update(&l, 1003, 2, 5000), 3);
	CHECK_INT(l.lo, 1002); /* forgot 2 */
	CHECK_INT(media_lag_update(&l, 999, 2, 5000), 0);
	CHECK_INT(l.lo, 999);
	/* a stall: three blocks read at once, 2, 1 and 0 periods late */
	CHECK_INT(media_lag_update(&l, 999 + 320, 2, 5000), 320);
	CHECK_INT(media_lag_update(&l, 999 + 160, 2, 5000), 158);
	CHECK_INT(media_lag_update(&l, 999, 2, 5000), 0);
	/* drift of one unit per item under a creep of two: never waits */
	uint64_t most = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t w = media_lag_update(&l, 999 + i, 2, 5000);
		most = w > most ? w : most;
	}
	CHECK(most <= 1);
	/* a lasting 100-unit shift is forgotten in 50 items */
	int64_t base = l.lo + 100;
	uint64_t w = 0;
	for (int i = 0; i < 50; i++)
		w = media_lag_update(&l, base, 2, 5000);
	CHECK(w <= 2);
	CHECK_INT(media_lag_update(&l, base, 2, 5000), 0);
	/* past max: not a wait but a loss; the fastest starts again */
	CHECK(media_lag_update(&l, base + 5001, 2, 5000) == UINT64_MAX);
	CHECK_INT(media_lag_update(&l, base + 5001 + 160, 2, 5000), 160);
	/* three items of 160 lost unseen: every later one seems to wait 480
	 * and more until a read that should have found one queued finds
	 * none; the fastest moves on by the whole periods */
	int64_t at = l.lo + 490;
	CHECK_INT(media_lag_update(&l, at, 2, 5000), 490);
	media_lag_correct(&l, 490, 160);
	CHECK_INT(media_lag_update(&l, at + 1, 2, 5000), 9); /* less creep */
	/* wrongly moved on (the item had waited after all): the next read
	 * faster than the new fastest lowers it at once */
	media_lag_correct(&l, 160, 160);
	CHECK_INT(media_lag_update(&l, at - 5, 2, 5000), 0);
	CHECK_INT(media_lag_update(&l, at + 3, 2, 5000), 8);
}
