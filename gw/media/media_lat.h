/*
 * Latency histograms of the media workers: log2 buckets with eight linear
 * steps per octave (values within 12.5 %), one writer (the worker that owns
 * the histogram) and any number of readers, all through relaxed atomics so
 * the hot path takes no lock. Values are nanoseconds.
 */
#ifndef GW_MEDIA_LAT_H
#define GW_MEDIA_LAT_H

#include <stdbool.h>
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

/*
 * How long the items of a periodic stream (B-channel blocks, RTP packets)
 * waited before they were read, judged against the fastest recent one: a
 * block read a block period or more after the fastest has others queued
 * behind it. rel is an item's read time minus its place on the stream's
 * own clock (block count times the period, an RTP timestamp), in any unit.
 * The fastest forgets `creep` units per item, so a lasting shift of clock
 * or path stops counting as waiting, while drift slower than that never
 * starts to. Pure; zero-initialised means no item yet.
 */
struct media_lag {
	int64_t lo; /* the fastest recent rel */
	bool have;
};
/* Returns rel less the fastest recent rel (0 if this one is the fastest),
 * then moves the fastest. A wait over max cannot have been spent queued
 * (items were lost, or the clock jumped): the fastest starts again from
 * rel, and the result is UINT64_MAX. */
uint64_t media_lag_update(struct media_lag *l, int64_t rel, int64_t creep,
			  int64_t max);
/*
 * An item judged to have waited `wait` turned out to have waited less
 * than one period: the next one, due a period after it, was not there
 * yet. Items of a stream come whole, so the fastest is moved on by the
 * whole periods in wait: items were lost before they were read (an
 * overrun), or the clock itself ran late. Either way a read faster than
 * the new fastest lowers it again at once.
 */
static inline void media_lag_correct(struct media_lag *l, uint64_t wait,
				     uint64_t period)
{
	if (period)
		l->lo += (int64_t)(wait / period * period);
}

#endif
