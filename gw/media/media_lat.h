/*
 * Latency histograms of the media workers: log2 buckets with eight linear
 * steps per octave (values within 12.5 %), one writer (the worker that owns
 * the histogram) and any number of readers, all through relaxed atomics so
 * the hot path takes no lock. Values are nanoseconds.
 */
#ifndef GW_MEDIA_LAT_H
#define GW_MEDIA_LAT_H

#include <stdint.h>

#define MEDIA_LAT_LINEAR 16 /* values below this have a bin each */
#define MEDIA_LAT_STEPS	 8  /* linear steps per octave above that */
#define MEDIA_LAT_BINS	 (MEDIA_LAT_LINEAR + 60 * MEDIA_LAT_STEPS)

struct media_lat_hist {
	uint64_t bin[MEDIA_LAT_BINS];
	uint64_t max_ns;
};

/* The bin of a value (pure). */
unsigned media_lat_bin(uint64_t ns);
/* The largest value that falls into bin (pure). */
uint64_t media_lat_bin_max(unsigned bin);
/* Writer: counts one value. */
void media_lat_add(struct media_lat_hist *h, uint64_t ns);
/* Writer: empties the histogram. */
void media_lat_clear(struct media_lat_hist *h);
/* Reader: adds a snapshot of src into dst (dst is the reader's own). */
void media_lat_merge(struct media_lat_hist *dst,
		     const struct media_lat_hist *src);
/* Number of values counted. */
uint64_t media_lat_count(const struct media_lat_hist *h);
/*
 * The pct-th percentile (0 < pct <= 100) by nearest rank, as the upper
 * bound of its bin capped at the largest value seen; 0 when empty.
 */
uint64_t media_lat_pct(const struct media_lat_hist *h, double pct);

#endif
