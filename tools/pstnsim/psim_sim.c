/*
 * pstnsim's sim spans: a gwd `sim` back end attaches (drivers/sim_proto.h)
 * and gets socketpair ends for the D-channel and every B-channel; pstnsim
 * is the clock master and, once per block period, sends a block on every
 * channel with a call and takes what the gateway sent. DAHDI spans are
 * clocked by the kernel instead (bchan_ready).
 */
#include <errno.h>
#include <liburing.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/sim_proto.h"
#include "log.h"
#include "media/media_io.h"
#include "psim.h"
#include "psim_span_int.h"

/* ---- B-channel media ---- */

/* A controlled slip repeats one frame: one sample of every channel. */
static void apply_slip(uint8_t *buf, size_t n)
{
	if (n >= 2) {
		memmove(buf + 1, buf, n - 1);
	}
}

/*
 * The clock tick's B-channel I/O in io_uring submissions of up to
 * PSIM_URING_CHUNK operations (the receives, then the sends) instead of
 * three system calls per channel, so
 * that pstnsim, sharing the machine with the gateway under test, costs it
 * less. Everything is MSG_DONTWAIT and completes inside its submission;
 * without io_uring the tick makes the calls one by one.
 */
/* blocks taken per channel and tick: one, as a card plays one block a
 * period from what the gateway queued (a cushion stays queued; a gateway
 * that writes more than it reads fills the queue, up to
 * PSIM_BCHAN_QUEUE, and the line falls behind, as it would on DAHDI) */
#define RX_PER_TICK	 1
#define PSIM_BCHAN_QUEUE 8 /* blocks queued toward the gateway, at most */
/* operations per submission: the kernel runs a submission through without
 * a break (no preemption in it), so a long one holds the core the gateway
 * wants for as long; the hardware it stands for takes none */
#define PSIM_URING_CHUNK 16

static struct {
	bool tried, on;
	struct io_uring ring;
	int res[TDM_MAX_TIMESLOTS + 1][RX_PER_TICK];
	uint8_t rx[TDM_MAX_TIMESLOTS + 1][RX_PER_TICK][TDM_MAX_BLOCK];
	uint8_t tx[TDM_MAX_TIMESLOTS + 1][TDM_MAX_BLOCK];
} su;

static bool uring_on(void)
{
	if (!su.tried) {
		su.tried = true;
		int rc = media_io_uring_usable();
		if (!rc)
			rc = io_uring_queue_init(128, &su.ring, 0);
		su.on = rc == 0;
		if (rc)
			log_info("B-channel I/O by system calls (io_uring: %s)",
				 strerror(-rc));
	}
	return su.on;
}

void psim_sim_io_fini(void)
{
	if (su.on)
		io_uring_queue_exit(&su.ring);
	su.on = false;
	su.tried = false;
}

/* Submits n prepared operations and hands each result to fn. */
static void uring_run(unsigned n, void (*fn)(struct psim_span *, uint64_t, int),
		      struct psim_span *s)
{
	if (!n)
		return;
	io_uring_submit(&su.ring);
	while (n) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&su.ring, &cqe))
			continue; /* EINTR */
		fn(s, cqe->user_data, cqe->res);
		io_uring_cqe_seen(&su.ring, cqe);
		n--;
	}
}

static void rx_res(struct psim_span *s, uint64_t ud, int res)
{
	(void)s;
	su.res[ud / RX_PER_TICK][ud % RX_PER_TICK] = res;
}

static void tx_res(struct psim_span *s, uint64_t ud, int res)
{
	(void)ud;
	if (res < 0)
		s->bchan_tx_dropped++; /* gateway not reading: its overrun */
	else
		s->bchan_tx_blocks++;
}

static void tick_batched(struct psim_span *s, bool slip)
{
	unsigned n = 0;
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++) {
		if (s->ch[ts].fd < 0)
			continue;
		for (unsigned k = 0; k < RX_PER_TICK; k++) {
			struct io_uring_sqe *q = io_uring_get_sqe(&su.ring);
			io_uring_prep_recv(q, s->ch[ts].fd, su.rx[ts][k],
					   TDM_MAX_BLOCK, MSG_DONTWAIT);
			io_uring_sqe_set_data64(q, ts * RX_PER_TICK + k);
			if (++n == PSIM_URING_CHUNK) {
				uring_run(n, rx_res, s);
				n = 0;
			}
		}
	}
	uring_run(n, rx_res, s);
	n = 0;
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++) {
		struct psim_chan *c = &s->ch[ts];
		if (c->fd < 0)
			continue;
		for (unsigned k = 0; k < RX_PER_TICK; k++) {
			if (su.res[ts][k] <= 0)
				continue; /* EAGAIN, or a block came between */
			s->bchan_rx_blocks++;
			if (c->call)
				psim_call_take(c->call, su.rx[ts][k],
					       (size_t)su.res[ts][k]);
		}
		if (!c->call)
			continue;
		psim_call_fill(c->call, su.tx[ts], s->blocksize);
		if (slip)
			apply_slip(su.tx[ts], s->blocksize);
		struct io_uring_sqe *q = io_uring_get_sqe(&su.ring);
		io_uring_prep_send(q, c->fd, su.tx[ts], s->blocksize,
				   MSG_DONTWAIT | MSG_NOSIGNAL);
		io_uring_sqe_set_data64(q, ts);
		if (++n == PSIM_URING_CHUNK) {
			uring_run(n, tx_res, s);
			n = 0;
		}
	}
	uring_run(n, tx_res, s);
}

/* sim: once per block period, send a block on every channel in a call
 * and take what the gateway sent (the gateway writes one per read). */
void psim_span_clock_tick(struct loop_timer *t)
{
	struct psim_span *s = t->arg;
	uint64_t now = loop_now_ns(s->p->loop);
	unsigned ticks = 0;
	if (s->next_tick_ns <= now)
		media_lat_add(&s->p->clock_late, now - s->next_tick_ns);
	while (s->next_tick_ns <= now && ticks < 50) {
		s->next_tick_ns += s->period_ns;
		ticks++;
	}
	if (s->next_tick_ns <= now) { /* far behind (stopped): resync */
		s->clock_skipped += (now - s->next_tick_ns) / s->period_ns + 1;
		s->next_tick_ns = now + s->period_ns;
	}
	bool slip = s->slip_pending > 0;
	if (slip)
		s->slip_pending--;
	loop_timer_at_ns(s->p->loop, &s->clock, s->next_tick_ns);
	if (ticks == 1 && uring_on()) {
		tick_batched(s, slip);
		return;
	}
	uint8_t buf[TDM_MAX_BLOCK];
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++) {
		struct psim_chan *c = &s->ch[ts];
		if (c->fd < 0)
			continue;
		ssize_t n;
		for (unsigned k = 0;
		     k < ticks * RX_PER_TICK &&
		     (n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0;
		     k++) {
			s->bchan_rx_blocks++;
			if (c->call)
				psim_call_take(c->call, buf, (size_t)n);
		}
		if (!c->call)
			continue;
		for (unsigned k = 0; k < ticks; k++) {
			psim_call_fill(c->call, buf, s->blocksize);
			if (slip && k == 0)
				apply_slip(buf, s->blocksize);
			if (send(c->fd, buf, s->blocksize,
				 MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				/* gateway not reading: its overrun */
				s->bchan_tx_dropped += ticks - k;
				break;
			}
			s->bchan_tx_blocks++;
		}
	}
}

void psim_span_put_queue(struct psim_span *s, struct json_out *o)
{
	json_key(o, "queued");
	json_obj_begin(o);
	for (unsigned ts = 1; s->attached && ts <= s->ntimeslots; ts++) {
		int bytes = 0;
		if (s->ch[ts].fd < 0 || !s->blocksize ||
		    ioctl(s->ch[ts].fd, SIOCINQ, &bytes) < 0)
			continue;
		char k[8];
		snprintf(k, sizeof(k), "%u", ts);
		json_kv_uint(o, k, (unsigned)bytes / s->blocksize);
	}
	json_obj_end(o);
}

/* dahdi: the kernel clocks the channel; one block out per block in. */
static void bchan_ready(struct loop_io *io, uint32_t events)
{
	struct psim_chan *c = io->arg;
	uint8_t buf[TDM_MAX_BLOCK];
	(void)events;
	for (int i = 0; i < 8; i++) {
		ssize_t n = tdm_bchan_read(c->b, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (!c->call)
			continue;
		psim_call_take(c->call, buf, (size_t)n);
		psim_call_fill(c->call, buf, (size_t)n);
		tdm_bchan_write(c->b, buf, (size_t)n);
	}
}

void psim_span_media(struct psim_span *s, unsigned ts, struct psim_call *call)
{
	if (!psim_span_is_bchan(s, ts))
		return;
	struct psim_chan *c = &s->ch[ts];
	c->call = call;
	if (!s->tdm)
		return; /* sim: the clock serves every channel with a call */
	if (call && !c->b) {
		int rc = tdm_bchan_open(s->tdm, ts, &c->b);
		if (rc) {
			log_warn("span %u: B-channel %u: %s", s->conf.no, ts,
				 strerror(-rc));
			return;
		}
		tdm_bchan_flush(c->b);
		uint8_t idle[TDM_MAX_BLOCK];
		tdm_idle_fill(s->law, idle, c->b->blocksize);
		for (int i = 0; i < TDM_TX_PREFILL_BLOCKS; i++)
			tdm_bchan_write(c->b, idle, c->b->blocksize);
		loop_io_add(s->p->loop, &c->io, c->b->fd, EPOLLIN, bchan_ready,
			    c);
	} else if (!call && c->b) {
		loop_io_del(s->p->loop, &c->io);
		tdm_bchan_close(c->b);
		c->b = NULL;
	}
}

/* ---- sim attach ---- */

void psim_span_send_status(struct psim_span *s)
{
	if (!s->attached)
		return;
	struct sim_msg m = {
	    .magic = SIM_PROTO_MAGIC,
	    .version = SIM_PROTO_VERSION,
	    .type = SIM_STATUS,
	    .span = s->conf.no,
	    .layout = s->conf.layout,
	    .alarms = s->alarms,
	    .slips = s->slips,
	};
	send(s->cfd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void psim_span_detach(struct psim_span *s)
{
	if (!s->attached)
		return;
	struct loop *l = s->p->loop;
	psim_call_drop_span(s->p, s, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
	loop_io_del(l, &s->cio);
	loop_io_del(l, &s->dio);
	loop_timer_stop(l, &s->clock);
	close(s->cfd);
	close(s->dfd);
	s->cfd = s->dfd = -1;
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++)
		if (s->ch[ts].fd >= 0) {
			close(s->ch[ts].fd);
			s->ch[ts].fd = -1;
		}
	s->attached = false;
	psim_span_event(s, "detached");
}

static void attach_conn_ready(struct loop_io *io, uint32_t events)
{
	struct psim_span *s = io->arg;
	struct sim_msg m;
	(void)events;
	ssize_t n = recv(s->cfd, &m, sizeof(m), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		psim_span_detach(s);
}

static int send_attach_ok(struct psim_span *s, const int *fds, int nfds)
{
	struct sim_msg m = {
	    .magic = SIM_PROTO_MAGIC,
	    .version = SIM_PROTO_VERSION,
	    .type = SIM_ATTACH_OK,
	    .span = s->conf.no,
	    .layout = s->conf.layout,
	    .blocksize = s->blocksize,
	    .chanmask = s->bmask,
	    .dchan = s->dchan,
	    .law = s->law,
	};
	snprintf(m.text, sizeof(m.text), "%s", conf_switch_name(s->conf.sw));
	union {
		char buf[CMSG_SPACE(sizeof(int) * (TDM_MAX_TIMESLOTS + 1))];
		struct cmsghdr align;
	} cbuf;
	memset(&cbuf, 0, sizeof(cbuf));
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = cbuf.buf,
	    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	if (sendmsg(s->cfd, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static int make_pair(int *ours, int *theirs)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	*ours = sv[0];
	*theirs = sv[1];
	return 0;
}

/*
 * The send buffer that holds about PSIM_BCHAN_QUEUE blocks of blocksize
 * toward the gateway, as a DAHDI channel's receive buffers do (gwd asks
 * for 8): a gateway that falls further behind loses blocks (counted as
 * its overrun) instead of queueing seconds of audio. What one message
 * costs the socket's buffer is the kernel's business, so it is measured
 * on a pair at the smallest buffer; 0 if that fails (leave the default).
 */
static int bchan_sndbuf(unsigned blocksize)
{
	int sv[2], one = 1, got = 0, n = 0;
	socklen_t l = sizeof(got);
	uint8_t b[TDM_MAX_BLOCK] = {0};
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (!setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) &&
	    !getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &got, &l))
		while (n < 64 && send(sv[0], b, blocksize, MSG_DONTWAIT) ==
				     (ssize_t)blocksize)
			n++;
	close(sv[0]);
	close(sv[1]);
	if (n == 0 || n >= 64)
		return 0;
	/* the kernel doubles what is asked for */
	return got / n * PSIM_BCHAN_QUEUE / 2;
}

/*
 * The first tick after now, a period or more ahead. A span's ticks fall at
 * its own phase of the block period, spread by span number (a golden-ratio
 * sequence: any number of spans lands evenly), as the blocks of a DAHDI
 * card's channels come due at phases spread by when each was opened, not
 * all at once; `clock_phase = aligned` ticks with every other aligned
 * span, the worst case for the gateway.
 */
static uint64_t first_tick(const struct psim_span *s, uint64_t now)
{
	uint64_t phase = 0;
	if (!s->conf.clock_aligned)
		phase = (uint64_t)((double)s->period_ns *
				   fmod((s->conf.no - 1) * 0.6180339887498949,
					1.0));
	uint64_t t = (now + s->period_ns) / s->period_ns * s->period_ns + phase;
	return t < now + s->period_ns ? t + s->period_ns : t;
}

int psim_span_attach(struct psim_span *s, int cfd, unsigned blocksize,
		     char *why, size_t cap)
{
	if (s->conf.driver != PSIM_DRV_SIM) {
		snprintf(why, cap, "span %u is not a sim span", s->conf.no);
		return -EINVAL;
	}
	if (s->attached) {
		snprintf(why, cap, "span %u is already attached", s->conf.no);
		return -EBUSY;
	}
	if (blocksize < TDM_MIN_BLOCK || blocksize > TDM_MAX_BLOCK) {
		snprintf(why, cap, "block size %u out of range", blocksize);
		return -EINVAL;
	}
	int theirs[TDM_MAX_TIMESLOTS + 1], n = 0, rc;
	int dfd = -1, sndbuf = bchan_sndbuf(blocksize);
	rc = make_pair(&dfd, &theirs[n]);
	if (!rc)
		n++;
	for (unsigned ts = 1; !rc && ts <= s->ntimeslots; ts++) {
		if (!psim_span_is_bchan(s, ts))
			continue;
		rc = make_pair(&s->ch[ts].fd, &theirs[n]);
		if (!rc)
			n++;
		/* both ways: the gateway's end holds as many toward us, as
		 * DAHDI's transmit buffers do */
		if (!rc && sndbuf > 0 &&
		    (setsockopt(s->ch[ts].fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)) < 0 ||
		     setsockopt(theirs[n - 1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)) < 0))
			rc = -errno;
	}
	s->blocksize = blocksize;
	s->cfd = cfd;
	if (!rc)
		rc = send_attach_ok(s, theirs, n);
	for (int i = 0; i < n; i++)
		close(theirs[i]);
	if (rc) {
		snprintf(why, cap, "cannot set up channels: %s", strerror(-rc));
		if (dfd >= 0)
			close(dfd);
		for (unsigned ts = 1; ts <= s->ntimeslots; ts++)
			if (s->ch[ts].fd >= 0) {
				close(s->ch[ts].fd);
				s->ch[ts].fd = -1;
			}
		s->cfd = -1;
		return rc;
	}
	s->dfd = dfd;
	s->attached = true;
	struct loop *l = s->p->loop;
	loop_io_add(l, &s->dio, s->dfd, EPOLLIN, psim_span_dchan_ready, s);
	loop_io_add(l, &s->cio, s->cfd, EPOLLIN, attach_conn_ready, s);
	s->period_ns = (uint64_t)blocksize * 125000; /* 125 us per sample */
	s->next_tick_ns = first_tick(s, loop_now_ns(l));
	loop_timer_at_ns(l, &s->clock, s->next_tick_ns);
	psim_span_send_status(s);
	struct json_out *o = psim_event_begin(s->p, "attached");
	json_kv_uint(o, "span", s->conf.no);
	json_kv_uint(o, "blocksize", blocksize);
	psim_event_end(s->p);
	/* start the link now rather than at libpri's next retry */
	pri_check_event(s->pri);
	psim_span_kick(s);
	return 0;
}
