/* Unit tests for the media workers' batched socket I/O (media_io.c), each
 * run twice: through io_uring and with one system call per operation.
 * Both must deliver the same bytes, in the same order (datagrams before
 * B-channel blocks), and count the same results. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/media_int.h"
#include "media/media_io.h"
#include "t.h"

static const enum media_io_mode modes[] = {MEDIA_IO_SYSCALLS, MEDIA_IO_URING};
static const char *const mode_names[] = {"syscalls", "io_uring"};

/* Sets up io in mode m with latency callback fn; false (with a note) if
 * io_uring is not allowed here, which gwd's `auto` handles the same way. */
static bool io_up(struct media_io *io, struct loop **l, int m,
		  media_io_lat_fn *fn)
{
	if (loop_new(l))
		return false;
	int rc = media_io_init(io, *l, modes[m], fn, NULL);
	if (rc) {
		printf("    %s not available here: %s\n", mode_names[m],
		       strerror(-rc));
		loop_free(*l);
		return false;
	}
	return true;
}

static void io_down(struct media_io *io, struct loop *l)
{
	media_io_fini(io);
	loop_free(l);
}

static int udp_socket(struct sockaddr_storage *ss)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof(*a);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, l) ||
	    getsockname(fd, (struct sockaddr *)a, &l))
		return -1;
	return fd;
}

/* A B-channel socketpair (sp) and two UDP sockets (u1, u2) bound on
 * 127.0.0.1 at ua, ub: what each test sends and receives on. */
struct socks {
	int sp[2], u1, u2;
	struct sockaddr_storage ua, ub;
};

static bool socks_open(struct socks *k)
{
	k->u1 = udp_socket(&k->ua);
	k->u2 = udp_socket(&k->ub);
	return !socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, k->sp) &&
	       k->u1 >= 0 && k->u2 >= 0;
}

static void socks_close(struct socks *k)
{
	for (int i = 0; i < 2; i++)
		if (k->sp[i] >= 0)
			close(k->sp[i]);
	close(k->u1);
	close(k->u2);
}

/* Runs fn with its own io, loop and sockets in each mode: through
 * io_uring and with one system call per operation. */
typedef void mode_fn(struct media_io *io, struct loop *l, struct socks *k);
static void in_each_mode(mode_fn *fn, media_io_lat_fn *lat)
{
	for (int m = 0; m < 2; m++) {
		struct media_io io;
		struct loop *l;
		if (!io_up(&io, &l, m, lat))
			continue;
		struct socks k = {.sp = {-1, -1}};
		if (socks_open(&k))
			fn(&io, l, &k);
		else
			t_fail(__FILE__, __LINE__, "sockets");
		socks_close(&k);
		io_down(&io, l);
	}
}

static char trail[16];
static size_t ntrail;
static ssize_t results[16];

static void rx_done(struct media_io_rx *rx, ssize_t res)
{
	results[ntrail] = res;
	trail[ntrail++] = *(const char *)rx->arg;
	trail[ntrail] = '\0';
}

static void rx_set(struct media_io_rx *rx, int fd, bool dgram, void *buf,
		   size_t cap, const char *name)
{
	*rx = (struct media_io_rx){
	    .done = rx_done,
	    .arg = (void *)(uintptr_t)name,
	    .fd = fd,
	    .dgram = dgram,
	    .flags = dgram ? 0 : MSG_TRUNC,
	    .buf = buf,
	    .cap = cap,
	};
}

static void receives_run_datagrams_first_and_report_eagain_in(
    struct media_io *io, struct loop *l, struct socks *k)
{
	int *sp = k->sp, u1 = k->u1, u2 = k->u2;
	struct sockaddr_storage ua = k->ua, ub = k->ub;
	CHECK(sendto(u1, "rtp!", 4, 0, (struct sockaddr *)&ub,
		     sizeof(struct sockaddr_in)) == 4);
	CHECK(write(sp[1], "0123456789", 10) == 10);
	uint8_t tb[32], ubuf[32], eb[32];
	struct media_io_rx t, u, e;
	static const char T[] = "t", U[] = "u", E[] = "e";
	rx_set(&t, sp[0], false, tb, sizeof(tb), T);
	rx_set(&u, u2, true, ubuf, sizeof(ubuf), U);
	rx_set(&e, u1, true, eb, sizeof(eb), E); /* nothing there */
	ntrail = 0;
	media_io_recv(io, &t);
	media_io_recv(io, &t); /* idempotent */
	media_io_recv(io, &u);
	media_io_recv(io, &e);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_STR(trail, "ue"
			 "t");
	CHECK_INT(results[0], 4);
	CHECK_MEM(ubuf, 4, "rtp!");
	CHECK(media_sa_equal(&u.from, &ua));
	CHECK_INT(results[1], -EAGAIN);
	CHECK_INT(results[2], 10);
	CHECK_MEM(tb, 10, "0123456789");
	CHECK(!t.queued && !u.queued && !e.queued);
	/* a cancelled receive is not made */
	CHECK(write(sp[1], "x", 1) == 1);
	ntrail = 0;
	trail[0] = '\0';
	media_io_recv(io, &u);
	media_io_recv(io, &t);
	media_io_cancel(io, &t);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_STR(trail, "u");
	CHECK_INT(results[0], -EAGAIN);
	/* MSG_TRUNC: the message's true length, past the buffer */
	char big[64];
	memset(big, 'b', sizeof(big));
	CHECK(write(sp[1], big, sizeof(big)) == (ssize_t)sizeof(big));
	ntrail = 0;
	media_io_recv(io, &t);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_STR(trail, "t");
	CHECK_INT(results[0], 1); /* the "x" left behind */
	ntrail = 0;
	media_io_recv(io, &t);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_INT(results[0], 64);
}

TEST(receives_run_datagrams_first_and_report_eagain)
{
	in_each_mode(receives_run_datagrams_first_and_report_eagain_in, NULL);
}

static struct media_io *more_io;
static void rx_more(struct media_io_rx *rx, ssize_t res)
{
	rx_done(rx, res);
	if (res > 0)
		media_io_recv_more(more_io, rx);
}

/* A receiver that asks for more gets its socket read again in the same
 * batch, before the B-channel results, at most MEDIA_IO_MORE_PASSES
 * times; the rest waits for the next round. */
static void backlog_is_read_in_the_batch_before_blocks_in(struct media_io *io,
							  struct loop *l,
							  struct socks *k)
{
	char pkt[2] = {'a', 0};
	for (int i = 0; i < MEDIA_IO_MORE_PASSES + 2; i++, pkt[0]++)
		CHECK(sendto(k->u1, pkt, 1, 0, (struct sockaddr *)&k->ub,
			     sizeof(struct sockaddr_in)) == 1);
	CHECK(write(k->sp[1], "blk", 3) == 3);
	uint8_t tb[8], ubuf[8];
	struct media_io_rx t, u;
	static const char T[] = "t", U[] = "u";
	rx_set(&t, k->sp[0], false, tb, sizeof(tb), T);
	rx_set(&u, k->u2, true, ubuf, sizeof(ubuf), U);
	u.done = rx_more;
	more_io = io;
	ntrail = 0;
	media_io_recv(io, &t);
	media_io_recv(io, &u);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_STR(trail, "uuuuuuuuut");
	CHECK_INT(ntrail, MEDIA_IO_MORE_PASSES + 2);
	CHECK_INT(ubuf[0], 'a' + MEDIA_IO_MORE_PASSES);
	CHECK_INT(io->rereads, MEDIA_IO_MORE_PASSES);
	CHECK(!u.queued && !t.queued);
	/* the last packet is read on the next round; the empty read
	 * after it asks for nothing more */
	ntrail = 0;
	media_io_recv(io, &u);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_STR(trail, "uu");
	CHECK_INT(ubuf[0], 'a' + MEDIA_IO_MORE_PASSES + 1);
	CHECK_INT(results[1], -EAGAIN);
	/* blocks queued behind a block: read after the datagrams */
	CHECK(write(k->sp[1], "b1", 2) == 2);
	CHECK(write(k->sp[1], "b2", 2) == 2);
	CHECK(sendto(k->u1, "y", 1, 0, (struct sockaddr *)&k->ub,
		     sizeof(struct sockaddr_in)) == 1);
	t.done = rx_more;
	ntrail = 0;
	uint64_t rereads = io->rereads;
	media_io_recv(io, &t);
	media_io_recv(io, &u);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_STR(trail, "uuttt");
	CHECK_INT(results[2], 2);
	CHECK_INT(results[3], 2);
	CHECK_MEM(tb, 2, "b2");
	CHECK_INT(results[4], -EAGAIN);
	CHECK_INT(io->rereads - rereads, 3);
	/* cancelled while asked for again: not read */
	CHECK(sendto(k->u1, "x", 1, 0, (struct sockaddr *)&k->ub,
		     sizeof(struct sockaddr_in)) == 1);
	media_io_recv_more(io, &u);
	media_io_cancel(io, &u);
	CHECK(!u.queued && !io->more);
}

TEST(backlog_is_read_in_the_batch_before_blocks)
{
	in_each_mode(backlog_is_read_in_the_batch_before_blocks_in, NULL);
}

/* A stamped receive on a B-channel socket with SO_TIMESTAMPNS (the sim
 * driver's) gives when the kernel queued the block, on the monotonic
 * clock, not when it was read; one without the option gives none. */
static uint64_t stamp_seen;
static void rx_stamp(struct media_io_rx *rx, ssize_t res)
{
	rx_done(rx, res);
	stamp_seen = rx->stamp_ns;
}

static void stamped_receive_gives_when_the_block_was_queued_in(
    struct media_io *io, struct loop *l, struct socks *k)
{
	uint8_t tb[8];
	struct media_io_rx t;
	static const char T[] = "t";
	rx_set(&t, k->sp[0], false, tb, sizeof(tb), T);
	t.done = rx_stamp;
	t.stamp = true;
	/* the option is off: no time */
	CHECK(write(k->sp[1], "b0", 2) == 2);
	ntrail = 0;
	stamp_seen = 1;
	media_io_recv(io, &t);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_INT(results[0], 2);
	CHECK_INT(stamp_seen, 0);
	int on = 1;
	CHECK(setsockopt(k->sp[0], SOL_SOCKET, SO_TIMESTAMPNS, &on,
			 sizeof(on)) == 0);
	uint64_t t0 = media_now_ns();
	CHECK(write(k->sp[1], "b1", 2) == 2);
	uint64_t t1 = media_now_ns();
	struct timespec nap = {0, 30000000};
	nanosleep(&nap, NULL);
	ntrail = 0;
	media_io_recv(io, &t);
	CHECK(loop_run_once(l, 0) == 0);
	CHECK_INT(results[0], 2);
	CHECK_MEM(tb, 2, "b1");
	/* queued between t0 and t1 (the clocks are read apart: 1 ms of
	 * slack), read 30 ms later */
	CHECK(stamp_seen + 1000000 >= t0 && stamp_seen <= t1 + 1000000);
	CHECK(media_io_rx_ns(io) - stamp_seen >= 29000000);
}

TEST(stamped_receive_gives_when_the_block_was_queued)
{
	in_each_mode(stamped_receive_gives_when_the_block_was_queued_in, NULL);
}

TEST(receive_stamps_move_to_the_monotonic_clock)
{
	const uint64_t s = 1000000000ull;
	/* read at mono 50 s = wall 1,700,000,000 s; queued 3 ms before */
	CHECK_INT(media_io_stamp_mono(1700000000 * s - 3000000, 50 * s,
				      1700000000 * s),
		  50 * s - 3000000);
	CHECK_INT(media_io_stamp_mono(1700000000 * s, 50 * s, 1700000000 * s),
		  50 * s);
	/* no stamp; one after the read or more than 10 s before it (the wall
	 * clock was set between): nothing */
	CHECK_INT(media_io_stamp_mono(0, 50 * s, 1700000000 * s), 0);
	CHECK_INT(
	    media_io_stamp_mono(1700000000 * s + 1, 50 * s, 1700000000 * s), 0);
	CHECK_INT(media_io_stamp_mono(1700000000 * s - 11 * s, 50 * s,
				      1700000000 * s),
		  0);
	/* nor one from before the monotonic clock's start */
	CHECK_INT(
	    media_io_stamp_mono(1700000000 * s - 6 * s, 5 * s, 1700000000 * s),
	    0);
}

/* A send made outside a batch (a B-channel read directly, a timer) goes
 * out when the loop's dispatch is done, not when some later batch runs. */
static void send_outside_a_batch_is_flushed_by_the_dispatch_in(
    struct media_io *io, struct loop *l, struct socks *k)
{
	uint64_t ok = 0;
	const struct media_io_count cnt = {.ok = &ok, .lat = -1};
	media_io_send(io, k->u1, "abc", 3, &k->ub, &cnt);
	CHECK(loop_run_once(l, 0) == 0);
	char b[8];
	CHECK(recv(k->u2, b, sizeof(b), MSG_DONTWAIT) == 3);
	CHECK_MEM(b, 3, "abc");
	CHECK_INT(ok, 1);
}

TEST(send_outside_a_batch_is_flushed_by_the_dispatch)
{
	in_each_mode(send_outside_a_batch_is_flushed_by_the_dispatch_in, NULL);
}

/* A send queued tx_hold_ns or longer before another goes to the kernel
 * with it, not at the end of the batch: the first span's packets of a
 * long batch do not wait for the last span's processing. */
static void held_sends_go_before_the_batch_ends_in(struct media_io *io,
						   struct loop *l,
						   struct socks *k)
{
	(void)l;
	uint64_t ok = 0;
	const struct media_io_count cnt = {.ok = &ok, .lat = -1};
	io->tx_hold_ns = 200000000; /* 200 ms: wide of a slow machine */
	media_io_send(io, k->u1, "a", 1, &k->ub, &cnt);
	media_io_send(io, k->u1, "b", 1, &k->ub, &cnt);
	if (media_io_batching(io)) /* queued together: held */
		CHECK_INT(ok, 0);
	struct timespec nap = {0, 250000000};
	nanosleep(&nap, NULL);
	media_io_send(io, k->u1, "c", 1, &k->ub, &cnt);
	CHECK_INT(ok, 3); /* the first was held 250 ms: all went */
	media_io_send(io, k->u1, "d", 1, &k->ub, &cnt);
	if (media_io_batching(io)) /* a new hold began */
		CHECK_INT(ok, 3);
	media_io_flush(io);
	CHECK_INT(ok, 4);
	char b[4];
	for (const char *p = "abcd"; *p; p++) {
		CHECK(recv(k->u2, b, sizeof(b), MSG_DONTWAIT) == 1);
		CHECK_INT(b[0], *p);
	}
}

TEST(held_sends_go_before_the_batch_ends)
{
	in_each_mode(held_sends_go_before_the_batch_ends_in, NULL);
}

static uint64_t lat_ns[4];
static int lat_kind[4];
static unsigned nlat;
static void on_lat(void *arg, int kind, uint64_t ns)
{
	(void)arg;
	if (nlat < 4) {
		lat_kind[nlat] = kind;
		lat_ns[nlat] = ns;
	}
	nlat++;
}

static void sends_are_counted_when_flushed_in(struct media_io *io,
					      struct loop *l, struct socks *k)
{
	(void)l; /* flushed by hand */
	int *sp = k->sp, u1 = k->u1, u2 = k->u2;
	struct sockaddr_storage ub = k->ub;
	uint64_t ok = 0, again = 0, err = 0;
	nlat = 0;
	struct media_io_count c = {
	    .ok = &ok, .again = &again, .err = &err, .lat = 2, .t_ref = 1};
	io->tx_hold_ns = UINT64_MAX; /* however slowly this runs */
	media_io_send(io, u1, "hello", 5, &ub, &c);
	c.lat = -1;
	media_io_send(io, sp[0], "block", 5, NULL, &c);
	if (media_io_batching(io)) /* nothing has gone yet */
		CHECK_INT(ok, 0);
	media_io_flush(io);
	CHECK_INT(ok, 2);
	CHECK_INT(nlat, 1);
	CHECK_INT(lat_kind[0], 2);
	CHECK(lat_ns[0] > 0);
	char b[16];
	CHECK(recv(u2, b, sizeof(b), 0) == 5 && !memcmp(b, "hello", 5));
	CHECK(read(sp[1], b, sizeof(b)) == 5 && !memcmp(b, "block", 5));
	/* a full socket: EAGAIN, counted as such; the bytes are
	 * copied, so the caller's buffer may change at once */
	int full = 0;
	while (send(sp[0], "f", 1, MSG_DONTWAIT) == 1)
		full++;
	CHECK(full > 0);
	char msg[8] = "again";
	media_io_send(io, sp[0], msg, 5, NULL, &c);
	memset(msg, 0, sizeof(msg));
	media_io_flush(io);
	CHECK_INT(again, 1);
	/* the peer gone: an error */
	close(sp[1]);
	sp[1] = -1;
	media_io_send(io, sp[0], "gone", 4, NULL, &c);
	media_io_flush(io);
	CHECK_INT(err, 1);
	CHECK_INT(ok, 2);
	/* more sends than the pool holds go out in several parts */
	int big = 1 << 20;
	setsockopt(u2, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	uint64_t ok2 = 0;
	struct media_io_count c2 = {.ok = &ok2, .lat = -1};
	for (int i = 0; i < 1500; i++)
		media_io_send(io, u1, &i, sizeof(i), &ub, &c2);
	media_io_flush(io);
	CHECK_INT(ok2, 1500);
	int got = 0, in_order = 1, v;
	while (recv(u2, &v, sizeof(v), MSG_DONTWAIT) == sizeof(v)) {
		in_order &= v == got;
		got++;
	}
	CHECK_INT(got, 1500);
	CHECK(in_order);
}

TEST(sends_are_counted_when_flushed)
{
	in_each_mode(sends_are_counted_when_flushed_in, on_lat);
}

TEST(sim_bchan_results_are_checked_like_reads)
{
	struct tdm_bchan b = {.blocksize = 160};
	CHECK_INT(tdm_bchan_recv_result(&b, 160, 1600), 160);
	CHECK_INT(tdm_bchan_recv_result(&b, -EAGAIN, 1600), -EAGAIN);
	CHECK_INT(b.rx_errors, 0);
	CHECK_INT(tdm_bchan_recv_result(&b, 80, 1600), -EBADMSG);
	CHECK_INT(tdm_bchan_recv_result(&b, 160, 100), -EBADMSG);
	CHECK_INT(tdm_bchan_recv_result(&b, 0, 1600), -EPIPE);
	CHECK_INT(tdm_bchan_recv_result(&b, -ECONNRESET, 1600), -ECONNRESET);
	CHECK_INT(b.rx_errors, 4);
	CHECK_INT(b.rx_blocks, 1);
	CHECK_INT(tdm_bchan_send_result(&b, 160), 160);
	CHECK_INT(tdm_bchan_send_result(&b, -EAGAIN), -EAGAIN);
	CHECK_INT(b.tx_blocks, 1);
	CHECK_INT(b.tx_errors, 1);
}
