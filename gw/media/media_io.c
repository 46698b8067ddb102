/*
 * Batched socket I/O for a media worker (see media_io.h): pending receives
 * and queued sends become io_uring SQEs, submitted together; results are
 * reaped at once (every operation carries MSG_DONTWAIT) and counted.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "media_int.h"
#include "media_io.h"

#define MEDIA_IO_RING	  512  /* SQ entries: submitted early when full */
#define MEDIA_IO_TX_MAX	  512  /* sends queued in one batch before a flush */
#define MEDIA_IO_TX_BYTES 1600 /* largest send copied: a 200 ms block */

/* A queued send; buf is what the kernel reads until the batch's reap. */
struct media_io_tx {
	struct media_io_tx *next; /* free list */
	struct media_io_count cnt;
	size_t len;
	struct sockaddr_storage to;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[MEDIA_IO_TX_BYTES];
};

/* user_data: the rx or tx pointer, tx tagged in bit 0 (both aligned). */
#define TAG_TX 1u

static struct io_uring *ring_of(struct media_io *io)
{
	return io->ring;
}

static void count(struct media_io *io, const struct media_io_count *c,
		  ssize_t res, size_t len, uint64_t now)
{
	if (c->bchan)
		tdm_bchan_send_result(c->bchan, res);
	if (res >= 0 && (size_t)res == len) {
		if (c->ok)
			media_stat_inc(c->ok);
		if (c->lat >= 0 && io->lat_fn)
			io->lat_fn(io->lat_arg, c->lat,
				   now > c->t_ref ? now - c->t_ref : 0);
	} else if (res == -EAGAIN) {
		if (c->again)
			media_stat_inc(c->again);
	} else if (c->err) {
		media_stat_inc(c->err);
	}
}

static void complete(struct media_io *io, uint64_t ud, int res, uint64_t now)
{
	if (ud & TAG_TX) {
		struct media_io_tx *t =
		    (struct media_io_tx *)(uintptr_t)(ud & ~(uint64_t)TAG_TX);
		count(io, &t->cnt, res, t->len, now);
		t->next = io->tx_free;
		io->tx_free = t;
		return;
	}
	struct media_io_rx *rx = (struct media_io_rx *)(uintptr_t)ud;
	rx->res = res;
	if (rx->dgram)
		rx->fromlen = rx->msg.msg_namelen;
	rx->stamp_ns = 0; /* CLOCK_REALTIME until run_list() */
	if (!rx->stamp || res < 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&rx->msg); c;
	     c = CMSG_NXTHDR(&rx->msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(c), sizeof(t));
			rx->stamp_ns = (uint64_t)t.tv_sec * 1000000000u +
				       (uint64_t)t.tv_nsec;
		}
	}
}

uint64_t media_io_stamp_mono(uint64_t stamp_rt_ns, uint64_t rx_ns,
			     uint64_t rx_rt_ns)
{
	if (!stamp_rt_ns || stamp_rt_ns > rx_rt_ns ||
	    rx_rt_ns - stamp_rt_ns > MEDIA_IO_STAMP_MAX_NS ||
	    rx_rt_ns - stamp_rt_ns >= rx_ns)
		return 0;
	return rx_ns - (rx_rt_ns - stamp_rt_ns);
}

static uint64_t realtime_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Submits what is in the SQ and reaps until nothing is in flight. With
 * MSG_DONTWAIT every operation completes inside the submission, so the
 * wait below is a safety net, not a path taken. */
static void submit_reap(struct media_io *io)
{
	struct io_uring *r = ring_of(io);
	io->tx_first_ns = 0;
	while (io_uring_sq_ready(r) || io->inflight) {
		if (io_uring_sq_ready(r)) {
			int n = io_uring_submit(r);
			media_stat_inc(&io->enters);
			if (n > 0)
				io->inflight += (unsigned)n;
			else if (n < 0 && n != -EINTR && n != -EAGAIN &&
				 n != -EBUSY)
				fatal("media: io_uring submit: %s",
				      strerror(-n));
		}
		uint64_t now = media_now_ns();
		struct io_uring_cqe *cqe;
		unsigned head, k = 0;
		io_uring_for_each_cqe(r, head, cqe)
		{
			complete(io, cqe->user_data, cqe->res, now);
			k++;
		}
		io_uring_cq_advance(r, k);
		io->inflight -= k;
		if (!k && io->inflight) {
			int rc = io_uring_wait_cqe(r, &cqe);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
				fatal("media: io_uring wait: %s",
				      strerror(-rc));
		}
	}
}

static struct io_uring_sqe *get_sqe(struct media_io *io)
{
	struct io_uring_sqe *s = io_uring_get_sqe(ring_of(io));
	if (!s) { /* SQ full: send this part now */
		submit_reap(io);
		s = io_uring_get_sqe(ring_of(io));
	}
	media_stat_inc(&io->ops);
	return s; /* not NULL: the SQ was just emptied */
}

/* Without io_uring the receive is made at once. */
static void prep_rx(struct media_io *io, struct media_io_rx *rx)
{
	rx->res = -EAGAIN;
	bool msg = rx->dgram || rx->stamp;
	if (msg) {
		rx->iov.iov_base = rx->buf;
		rx->iov.iov_len = rx->cap;
		memset(&rx->msg, 0, sizeof(rx->msg));
		if (rx->dgram) {
			rx->msg.msg_name = &rx->from;
			rx->msg.msg_namelen = sizeof(rx->from);
		}
		rx->msg.msg_iov = &rx->iov;
		rx->msg.msg_iovlen = 1;
		if (rx->stamp) {
			/* zeroed: the kernel may leave msg_controllen as it
			 * was, so the walk must end on a zero header */
			memset(rx->ctl, 0, sizeof(rx->ctl));
			rx->msg.msg_control = rx->ctl;
			rx->msg.msg_controllen = sizeof(rx->ctl);
		}
	}
	if (!io->on) {
		ssize_t n =
		    msg ? recvmsg(rx->fd, &rx->msg, MSG_DONTWAIT | rx->flags)
			: recv(rx->fd, rx->buf, rx->cap,
			       MSG_DONTWAIT | rx->flags);
		complete(io, (uint64_t)(uintptr_t)rx, n < 0 ? -errno : (int)n,
			 0);
		return;
	}
	struct io_uring_sqe *s = get_sqe(io);
	if (msg) {
		io_uring_prep_recvmsg(s, rx->fd, &rx->msg,
				      (unsigned)(MSG_DONTWAIT | rx->flags));
	} else {
		io_uring_prep_recv(s, rx->fd, rx->buf, rx->cap,
				   MSG_DONTWAIT | rx->flags);
	}
	io_uring_sqe_set_data64(s, (uint64_t)(uintptr_t)rx);
}

static void run_list(struct media_io *io, struct media_io_rx *rx)
{
	while (rx) {
		struct media_io_rx *next = rx->next;
		rx->queued = false;
		rx->next = NULL;
		if (rx->stamp_ns)
			rx->stamp_ns = media_io_stamp_mono(
			    rx->stamp_ns, io->rx_ns, io->rx_rt_ns);
		rx->done(rx, rx->res);
		rx = next;
	}
}

/* Empties a pending list, returning what was in it. */
static struct media_io_rx *take(struct media_io_rx **head,
				struct media_io_rx ***tail)
{
	struct media_io_rx *l = *head;
	*head = NULL;
	*tail = head;
	return l;
}

/* The receives asked for again (media_io_recv_more), pass by pass; what
 * is still asked for after the last pass waits for its readiness. */
static void read_more(struct media_io *io)
{
	for (unsigned pass = 0; io->more && pass < MEDIA_IO_MORE_PASSES;
	     pass++) {
		struct media_io_rx *l = take(&io->more, &io->more_tail);
		for (struct media_io_rx *rx = l; rx; rx = rx->next) {
			prep_rx(io, rx);
			media_stat_inc(&io->rereads);
		}
		media_io_flush(io);
		io->rx_ns = media_now_ns();
		io->rx_rt_ns = realtime_ns();
		run_list(io, l);
	}
	for (struct media_io_rx *rx = take(&io->more, &io->more_tail); rx;) {
		struct media_io_rx *next = rx->next;
		rx->queued = false;
		rx->next = NULL;
		rx = next;
	}
}

/* The batch: every pending receive in one submission, then the results
 * (RTP before B-channel blocks, so a packet that arrived is in the jitter
 * buffer before the block it plays into, and so is a backlog behind it),
 * then the blocks queued behind those read, then the sends they made. */
static void run_batch(struct loop_defer *d)
{
	struct media_io *io = d->arg;
	struct media_io_rx *dg = take(&io->dgram, &io->dgram_tail);
	struct media_io_rx *st = take(&io->stream, &io->stream_tail);
	if (!dg && !st) {
		media_io_flush(io); /* sends made outside a batch */
		return;
	}
	for (struct media_io_rx *rx = dg; rx; rx = rx->next)
		prep_rx(io, rx);
	for (struct media_io_rx *rx = st; rx; rx = rx->next)
		prep_rx(io, rx);
	media_io_flush(io);
	uint64_t t = io->rx_ns = media_now_ns();
	uint64_t t_rt = io->rx_rt_ns = realtime_ns();
	media_stat_inc(&io->batches);
	run_list(io, dg);
	read_more(io);
	io->rx_ns = t; /* the blocks were read with the first pass */
	io->rx_rt_ns = t_rt;
	run_list(io, st);
	read_more(io);
	media_io_flush(io);
}

/*
 * Whether this kernel completes a MSG_DONTWAIT receive on an empty socket
 * inside the submission (-EAGAIN), as submit_reap relies on, rather than
 * waiting for data. Returns 0 if so, -EOPNOTSUPP if not, or -errno.
 */
static int probe_nowait(struct io_uring *r)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, sp))
		return -errno;
	char b[4];
	struct io_uring_sqe *s = io_uring_get_sqe(r);
	io_uring_prep_recv(s, sp[0], b, sizeof(b), MSG_DONTWAIT);
	int rc = io_uring_submit(r);
	struct io_uring_cqe *cqe = NULL;
	if (rc == 1)
		rc = io_uring_peek_cqe(r, &cqe) ? -EOPNOTSUPP
		     : cqe->res == -EAGAIN	? 0
						: -EOPNOTSUPP;
	else if (rc >= 0)
		rc = -EIO;
	if (cqe)
		io_uring_cqe_seen(r, cqe);
	close(sp[0]);
	close(sp[1]);
	return rc; /* a receive still waiting ends with the ring */
}

int media_io_uring_usable(void)
{
	struct io_uring r;
	int rc = io_uring_queue_init(4, &r, 0);
	if (rc)
		return rc;
	rc = probe_nowait(&r);
	io_uring_queue_exit(&r);
	return rc;
}

int media_io_init(struct media_io *io, struct loop *l, enum media_io_mode mode,
		  media_io_lat_fn *lat_fn, void *lat_arg)
{
	memset(io, 0, sizeof(*io));
	io->loop = l;
	io->lat_fn = lat_fn;
	io->lat_arg = lat_arg;
	io->dgram_tail = &io->dgram;
	io->stream_tail = &io->stream;
	io->more_tail = &io->more;
	io->tx_hold_ns = MEDIA_IO_TX_HOLD_NS;
	if (mode == MEDIA_IO_SYSCALLS)
		return 0;
	struct io_uring *r = calloc(1, sizeof(*r));
	io->tx = calloc(MEDIA_IO_TX_MAX, sizeof(*io->tx));
	int rc =
	    r && io->tx ? io_uring_queue_init(MEDIA_IO_RING, r, 0) : -ENOMEM;
	if (!rc && (rc = probe_nowait(r)))
		io_uring_queue_exit(r);
	if (rc) {
		free(r);
		free(io->tx);
		io->tx = NULL;
		io->off_why = rc;
		return mode == MEDIA_IO_URING ? rc : 0;
	}
	io->ring = r;
	for (unsigned i = 0; i < MEDIA_IO_TX_MAX; i++) {
		io->tx[i].next = io->tx_free;
		io->tx_free = &io->tx[i];
	}
	io->on = true;
	return 0;
}

void media_io_fini(struct media_io *io)
{
	loop_defer_cancel(io->loop, &io->defer);
	if (io->ring) {
		io_uring_queue_exit(ring_of(io));
		free(io->ring);
	}
	free(io->tx);
	io->ring = NULL;
	io->tx = NULL;
	io->on = false;
}

void media_io_recv(struct media_io *io, struct media_io_rx *rx)
{
	if (rx->queued)
		return;
	rx->queued = true;
	rx->next = NULL;
	if (rx->dgram) {
		*io->dgram_tail = rx;
		io->dgram_tail = &rx->next;
	} else {
		*io->stream_tail = rx;
		io->stream_tail = &rx->next;
	}
	loop_defer(io->loop, &io->defer, run_batch, io); /* idempotent */
}

void media_io_recv_more(struct media_io *io, struct media_io_rx *rx)
{
	if (rx->queued)
		return;
	rx->queued = true;
	rx->next = NULL;
	*io->more_tail = rx;
	io->more_tail = &rx->next;
}

static bool unlink_rx(struct media_io_rx **head, struct media_io_rx ***tail,
		      struct media_io_rx *rx)
{
	for (struct media_io_rx **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == rx) {
			*pp = rx->next;
			if (*tail == &rx->next)
				*tail = pp;
			return true;
		}
	return false;
}

void media_io_cancel(struct media_io *io, struct media_io_rx *rx)
{
	if (!rx->queued)
		return;
	if (!unlink_rx(&io->dgram, &io->dgram_tail, rx) &&
	    !unlink_rx(&io->more, &io->more_tail, rx))
		unlink_rx(&io->stream, &io->stream_tail, rx);
	rx->queued = false;
	rx->next = NULL;
}

static void send_now(struct media_io *io, int fd, const void *buf, size_t len,
		     const struct sockaddr_storage *to,
		     const struct media_io_count *cnt)
{
	ssize_t n = to ? sendto(fd, buf, len, MSG_DONTWAIT,
				(const struct sockaddr *)to, media_sa_len(to))
		       : send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	count(io, cnt, n < 0 ? -errno : n, len, media_now_ns());
}

void media_io_send(struct media_io *io, int fd, const void *buf, size_t len,
		   const struct sockaddr_storage *to,
		   const struct media_io_count *cnt)
{
	if (!io->on || len > MEDIA_IO_TX_BYTES) {
		send_now(io, fd, buf, len, to, cnt);
		return;
	}
	if (!io->tx_free)
		submit_reap(io); /* the pool returns as sends complete */
	struct media_io_tx *t = io->tx_free;
	io->tx_free = t->next;
	t->cnt = *cnt;
	t->len = len;
	memcpy(t->buf, buf, len);
	struct io_uring_sqe *s = get_sqe(io);
	if (to) {
		t->to = *to;
		t->iov.iov_base = t->buf;
		t->iov.iov_len = len;
		memset(&t->msg, 0, sizeof(t->msg));
		t->msg.msg_name = &t->to;
		t->msg.msg_namelen = media_sa_len(to);
		t->msg.msg_iov = &t->iov;
		t->msg.msg_iovlen = 1;
		io_uring_prep_sendmsg(s, fd, &t->msg, MSG_DONTWAIT);
	} else {
		io_uring_prep_send(s, fd, t->buf, len,
				   MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	io_uring_sqe_set_data64(s, (uint64_t)(uintptr_t)t | TAG_TX);
	uint64_t now = media_now_ns();
	if (!io->tx_first_ns)
		io->tx_first_ns = now;
	else if (now - io->tx_first_ns >= io->tx_hold_ns)
		submit_reap(io);
	/* made outside a batch (a block read directly, a timer): flushed
	 * when the loop's current dispatch is done */
	loop_defer(io->loop, &io->defer, run_batch, io);
}

void media_io_flush(struct media_io *io)
{
	if (io->on)
		submit_reap(io);
}
