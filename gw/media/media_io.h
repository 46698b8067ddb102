/*
 * Batched socket I/O for one media worker. The receives its event loop
 * found ready, and the sends their processing produces, go to the kernel
 * in one io_uring submission per batch instead of one system call per
 * packet or block: with 30 channels ready on a span's clock tick that is
 * two system calls instead of about 120. Every operation is non-blocking
 * (MSG_DONTWAIT), so each completes within the submission and no buffer
 * outlives its batch. Without io_uring (an old kernel, a container whose
 * seccomp profile forbids it, or `media_io = syscalls`) each send is a
 * plain system call made at once and the caller reads for itself; results
 * are counted the same way in both modes.
 */
#ifndef GW_MEDIA_IO_H
#define GW_MEDIA_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "loop.h"
#include "drivers/tdm.h"

enum media_io_mode {
	MEDIA_IO_AUTO,	   /* io_uring if the kernel lets us, else syscalls */
	MEDIA_IO_URING,	   /* io_uring or fail */
	MEDIA_IO_SYSCALLS, /* one system call per operation */
};

struct media_io_rx;
/* A receive's result: a byte count (datagram: from/fromlen are set) or
 * -errno. */
typedef void media_io_rx_fn(struct media_io_rx *rx, ssize_t res);

/*
 * A receive wanted in the next batch. Lives inside its owner (a channel's
 * B-channel, a bridge's RTP socket), which must media_io_cancel() it
 * before freeing it.
 */
struct media_io_rx {
	struct media_io_rx *next;
	media_io_rx_fn *done;
	void *arg;
	int fd;
	bool dgram;  /* recvmsg with the source address, else recv */
	bool stamp;  /* ask for the kernel's receive time (SO_TIMESTAMPNS on) */
	int flags;   /* besides MSG_DONTWAIT (e.g. MSG_TRUNC) */
	bool queued; /* in a pending list */
	ssize_t res;
	void *buf;
	size_t cap;
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint64_t stamp_ns; /* with stamp: when the kernel queued what was read
			    * (CLOCK_MONOTONIC ns, not after media_io_rx_ns),
			    * or 0 if it gave no time */
	struct msghdr msg;
	struct iovec iov;
	uint64_t ctl[8]; /* control messages (the timestamp), aligned */
};

/* Where a send's result is counted; NULL fields are not. */
struct media_io_count {
	uint64_t *ok;		 /* the whole message went */
	uint64_t *again;	 /* -EAGAIN: the socket's buffer was full */
	uint64_t *err;		 /* any other failure or a short send */
	struct tdm_bchan *bchan; /* tdm_bchan_send_result() of the result */
	int lat;		 /* enum media_lat_kind, or -1 for none */
	uint64_t t_ref;		 /* ns: counted is completion - t_ref */
};

/* Called with a latency (ns) of kind `lat` when a send completes. */
typedef void media_io_lat_fn(void *arg, int lat, uint64_t ns);

struct media_io_tx;

/* One per worker, used only by its thread. */
struct media_io {
	bool on;     /* io_uring in use */
	int off_why; /* -errno: why auto mode went without it */
	void *ring;  /* struct io_uring */
	struct loop *loop;
	struct loop_defer defer;
	struct media_io_rx *dgram, **dgram_tail; /* pending, RTP first */
	struct media_io_rx *stream, **stream_tail;
	struct media_io_rx *more, **more_tail; /* read again this batch */
	struct media_io_tx *tx;		       /* pool */
	struct media_io_tx *tx_free;	       /* free list */
	unsigned inflight;		       /* submitted, not yet reaped */
	uint64_t rx_ns;	      /* when this round's receives were made */
	uint64_t rx_rt_ns;    /* the same on CLOCK_REALTIME (stamps) */
	uint64_t tx_first_ns; /* when the oldest send not submitted was
			       * queued, 0 for none */
	uint64_t tx_hold_ns;  /* a send queued this long after it is
			       * submitted with the next one, batch or not
			       * (MEDIA_IO_TX_HOLD_NS) */
	media_io_lat_fn *lat_fn;
	void *lat_arg;
	/* worker-written with relaxed atomics (media_stat_inc) */
	uint64_t batches, ops, enters;
	uint64_t rereads; /* receives made again by media_io_recv_more() */
};

/*
 * Sets up io for a worker's loop l. MEDIA_IO_AUTO falls back to syscalls
 * when io_uring cannot be set up; MEDIA_IO_URING fails then. Returns 0
 * or -errno.
 */
int media_io_init(struct media_io *io, struct loop *l, enum media_io_mode mode,
		  media_io_lat_fn *lat_fn, void *lat_arg);
/* How long a send waits in a batch for others, at most: the blocks of
 * several spans due together make one batch, and the first span's packets
 * need not wait for the last span's processing. A submission more per
 * this much work costs about 1 %. */
#define MEDIA_IO_TX_HOLD_NS 150000

/* Whether this process may use io_uring the way media_io does (a
 * MSG_DONTWAIT receive completes inside its submission): 0 or -errno. */
int media_io_uring_usable(void);
/* Releases what init took; nothing may be pending. */
void media_io_fini(struct media_io *io);

/* True when receives are batched through io_uring; without it
 * media_io_recv() still works, with one system call each. */
static inline bool media_io_batching(const struct media_io *io)
{
	return io->on;
}

/* Queues rx (fd, dgram, flags, buf, cap, done set) for this batch, which
 * runs after the loop's current dispatch. Idempotent while queued. */
void media_io_recv(struct media_io *io, struct media_io_rx *rx);
/* In a receive's done callback: when the round's receives were made
 * (CLOCK_MONOTONIC ns), the time the data was read for every one. */
static inline uint64_t media_io_rx_ns(const struct media_io *io)
{
	return io->rx_ns;
}
/* A kernel receive time (CLOCK_REALTIME, the sockets' clock) on the
 * monotonic clock of media_io_rx_ns(), for a receive made at rx_ns while
 * CLOCK_REALTIME read rx_rt_ns (pure). 0 for a time after the read, or
 * more than MEDIA_IO_STAMP_MAX_NS before it: the wall clock was set in
 * between, and the time says nothing. */
uint64_t media_io_stamp_mono(uint64_t stamp_rt_ns, uint64_t rx_ns,
			     uint64_t rx_rt_ns);
#define MEDIA_IO_STAMP_MAX_NS 10000000000ull
/*
 * In a receive's done callback: reads the socket again in this batch,
 * because what was just read says more is queued behind it (it waited in
 * the socket). RTP is read again before the B-channel blocks are handled,
 * blocks after them. Each batch reads again at most MEDIA_IO_MORE_PASSES
 * times per kind; what is left waits for the socket's next readiness, so
 * a flood cannot hold the worker in one batch.
 */
void media_io_recv_more(struct media_io *io, struct media_io_rx *rx);
#define MEDIA_IO_MORE_PASSES 8
/* Takes rx out of the pending batch, if it is there. */
void media_io_cancel(struct media_io *io, struct media_io_rx *rx);

/*
 * Sends len bytes of buf on fd: to `to` (a datagram socket), or on a
 * connected socket when to is NULL. buf is copied; the result is counted
 * in *cnt (copied) when the send completes: at once without io_uring,
 * else when the batch is flushed, at the latest when the loop's current
 * dispatch is done.
 */
void media_io_send(struct media_io *io, int fd, const void *buf, size_t len,
		   const struct sockaddr_storage *to,
		   const struct media_io_count *cnt);
/* Submits every queued send and counts the results. */
void media_io_flush(struct media_io *io);

#endif
