/*
 * Media worker pool: threads with their own event loops, intrusive message
 * queues between them and the signalling thread, and the per-channel TDM
 * block handling: loopback and milliwatt test lines, idle, and the bridge
 * to RTP (media_bridge.c).
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "media.h"
#include "media_int.h"
#include "media_bridge.h"
#include "media_io.h"
#include "media_lat.h"

#define MEDIA_MAX_WORKERS     64
#define MEDIA_TX_SHRINK_NS    500000000ull /* see chan_put */
#define MEDIA_TX_DEPTH_MAX    16
#define MEDIA_BLOCKS_PER_WAKE 8	      /* bound the work per readiness event */
#define MEDIA_NS_PER_SAMPLE   125000u /* 8000 Hz */
/* the TDM clock's fastest read forgets 1/2000 of a period per block
 * (500 ppm: more than a T1/E1 clock drifts from the host's) */
#define MEDIA_TDM_DRIFT_DIV 2000u
/* blocks a B-channel can hold for us (DAHDI: the 8 buffers we ask for;
 * pstnsim holds 8): a wait longer than this many was a loss, not a wait */
#define MEDIA_TDM_QUEUE_MAX 16u

enum media_msg_type {
	MEDIA_MSG_START,
	MEDIA_MSG_STOP,
	MEDIA_MSG_STOPPED,
	MEDIA_MSG_UPDATE,      /* new RTP conf for a bridge (c->upd) */
	MEDIA_MSG_RTP_TIMEOUT, /* worker -> signalling */
	MEDIA_MSG_TONE,	       /* worker -> signalling: st.tones grew */
	MEDIA_MSG_QUIT,
};

/* An intrusive queue node: messages live inside their channel. */
struct media_msg {
	struct media_msg *next;
	enum media_msg_type type;
	struct media_chan *chan;
};

struct media_queue {
	pthread_mutex_t mu;
	struct media_msg *head, **tail;
	int efd;
};

struct media_worker {
	struct media *m;
	unsigned idx;
	pthread_t thread;
	struct loop *loop;
	struct media_queue cmdq;
	struct loop_io cmd_io;
	struct media_msg quit_msg;
	unsigned nchans; /* signalling thread's count, for placement */
	struct media_io io;
	/* written by the worker only; lat_seen follows media.lat_gen */
	struct media_lat_hist lat[MEDIA_LAT_KINDS];
	unsigned lat_seen;
};

/* One channel. Owned by the caller; used by its worker between START and
 * STOPPED. */
struct media_chan {
	struct media_chan_conf conf;
	struct media_worker *w;
	struct media_msg start_msg, stop_msg, stopped_msg;
	struct media_msg update_msg, timeout_msg, tone_msg;
	bool tone_queued;    /* tone_msg in flight (atomic) */
	uint64_t tones_told; /* signalling side: tones already reported */
	bool stop_sent;
	struct media_bridge *br; /* MEDIA_MODE_BRIDGE */
	pthread_mutex_t upd_mu;	 /* guards upd and upd_queued */
	struct media_rtp_conf upd;
	bool upd_queued;
	struct media_chan *prev, *next; /* media.live, signalling side */
	struct loop_io io;		/* worker side */
	struct media_io_rx rx;		/* B-channel read, batched */
	uint8_t rxblk[TDM_MAX_BLOCK];
	struct media_lag rx_lag; /* B-channel reads against the TDM clock */
	uint64_t rx_samples;	 /* read since the channel started */
	uint64_t rx_last_wait;	 /* ns: how long the last block waited */
	uint64_t rx_last_period; /* ns: its length */
	bool rx_more;		 /* it said the next block was queued */
	/* the transmit queue (see chan_put) */
	unsigned tx_burst;     /* blocks read one behind another so far */
	unsigned tx_depth;     /* its depth as estimated, in blocks */
	uint64_t tx_moved_ns;  /* when that last grew or shrank */
	unsigned mw_phase;     /* milliwatt position */
	struct media_stats st; /* written by the worker */
};

struct media {
	struct loop *sig_loop;
	const struct media_handlers *h;
	void *arg;
	struct media_worker w[MEDIA_MAX_WORKERS];
	unsigned nworkers;
	struct media_queue evq; /* to the signalling thread */
	struct loop_io ev_io;
	unsigned nchans;
	struct media_chan *live; /* started, not yet stopped */
	struct media_stats done; /* summed over stopped channels */
	unsigned lat_gen;	 /* bumped to clear the histograms */
	enum media_io_mode io_mode;
};

/* ---- queues ---- */

static int queue_init(struct media_queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	q->head = NULL;
	q->tail = &q->head;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return q->efd < 0 ? -errno : 0;
}

static void queue_fini(struct media_queue *q)
{
	if (q->efd >= 0)
		close(q->efd);
	pthread_mutex_destroy(&q->mu);
}

static void queue_push(struct media_queue *q, struct media_msg *msg)
{
	uint64_t one = 1;
	pthread_mutex_lock(&q->mu);
	msg->next = NULL;
	*q->tail = msg;
	q->tail = &msg->next;
	pthread_mutex_unlock(&q->mu);
	ssize_t r = write(q->efd, &one, sizeof(one));
	(void)r; /* a full counter still wakes the reader */
}

/* Takes the whole queue at once. */
static struct media_msg *queue_take(struct media_queue *q)
{
	uint64_t n;
	ssize_t r = read(q->efd, &n, sizeof(n));
	(void)r;
	pthread_mutex_lock(&q->mu);
	struct media_msg *all = q->head;
	q->head = NULL;
	q->tail = &q->head;
	pthread_mutex_unlock(&q->mu);
	return all;
}

/* ---- worker side ---- */

void media_milliwatt(enum tdm_law law, uint8_t *buf, size_t n, unsigned *phase)
{
	/* ITU-T G.711 Tables 5 and 6: the digital milliwatt, one period of
	 * 1 kHz in eight samples */
	static const uint8_t ulaw[8] = {0x1e, 0x0b, 0x0b, 0x1e,
					0x9e, 0x8b, 0x8b, 0x9e};
	static const uint8_t alaw[8] = {0x34, 0x21, 0x21, 0x34,
					0xb4, 0xa1, 0xa1, 0xb4};
	const uint8_t *seq = law == TDM_LAW_ULAW ? ulaw : alaw;
	for (size_t i = 0; i < n; i++)
		buf[i] = seq[(*phase + i) & 7];
	*phase = (unsigned)((*phase + n) & 7);
}

/* Worker: counts a latency, first emptying the histograms if the
 * signalling thread asked for it since the last count. */
static void lat_add(struct media_worker *w, enum media_lat_kind k, uint64_t ns)
{
	unsigned gen = __atomic_load_n(&w->m->lat_gen, __ATOMIC_RELAXED);
	if (gen != w->lat_seen) {
		for (int i = 0; i < MEDIA_LAT_KINDS; i++)
			media_lat_clear(&w->lat[i]);
		__atomic_store_n(&w->lat_seen, gen, __ATOMIC_RELEASE);
	}
	media_lat_add(&w->lat[k], ns);
}

/* media_io's latency callback (worker) */
static void io_lat(void *arg, int kind, uint64_t ns)
{
	lat_add(arg, (enum media_lat_kind)kind, ns);
}

/* Plays blk on the B-channel: a batched send where the back end allows
 * it (counted when the batch is flushed), else a write now. For a bridge
 * the latency counted is ready (t_ready) -> write. */
static void chan_write(struct media_chan *c, const uint8_t *blk, size_t n,
		       uint64_t t_ready)
{
	struct tdm_bchan *b = c->conf.bchan;
	bool bridge = c->conf.mode == MEDIA_MODE_BRIDGE;
	if (b->sock_io) {
		const struct media_io_count cnt = {
		    .ok = &c->st.tdm_tx_blocks,
		    .again = &c->st.tdm_tx_full,
		    .err = &c->st.tdm_tx_errors,
		    .bchan = b,
		    .lat = bridge ? MEDIA_LAT_BLOCK : -1,
		    .t_ref = t_ready,
		};
		media_io_send(&c->w->io, b->fd, blk, n, NULL, &cnt);
		return;
	}
	ssize_t w = tdm_bchan_write(b, blk, n);
	if (w == (ssize_t)n) {
		media_stat_add(&c->st.tdm_tx_blocks, 1);
		if (bridge)
			lat_add(c->w, MEDIA_LAT_BLOCK,
				media_now_ns() - t_ready);
	} else if (w == -EAGAIN)
		media_stat_add(&c->st.tdm_tx_full, 1);
	else
		media_stat_add(&c->st.tdm_tx_errors, 1);
}

/*
 * The transmit queue. The span plays one block per period from it, and
 * gwd writes one block per block read, so it keeps the depth it starts
 * with, the cushion (tdm_tx_prefill()). k blocks read one behind another
 * (a catch-up after a late wake-up) come after k - 1 periods without a
 * write: a queue less deep than k ran dry meanwhile (the span played
 * idle), and the k writes leave it k deep. Writing them keeps the audio
 * whole, and a queue that deep absorbs the next late wake-up of that size
 * without a gap. But a deeper queue delays every block played after it,
 * and puts the echo beyond where the canceller looks for it (its bulk
 * delay is the cushion), so once no catch-up has needed it for
 * MEDIA_TX_SHRINK_NS, one write is skipped (tdm_tx_skipped) and the queue
 * is a block less deep, down to the cushion: after one stall the line is
 * back where it was within seconds, not late for the rest of the call,
 * and when late wake-ups recur the depth they need stays.
 */
static void tx_burst_end(struct media_chan *c, uint64_t now)
{
	unsigned k = c->tx_burst;
	c->tx_burst = 0;
	if (k > c->tx_depth) {
		c->tx_depth = k < MEDIA_TX_DEPTH_MAX ? k : MEDIA_TX_DEPTH_MAX;
		c->tx_moved_ns = now;
	}
}

static void chan_put(struct media_chan *c, const uint8_t *blk, size_t n,
		     uint64_t t_ready, bool more, uint64_t now)
{
	c->tx_burst++;
	if (!more)
		tx_burst_end(c, now);
	if (c->tx_depth > tdm_tx_prefill(c->conf.bchan->span) &&
	    now - c->tx_moved_ns >= MEDIA_TX_SHRINK_NS) {
		c->tx_depth--;
		c->tx_moved_ns = now;
		media_stat_add(&c->st.tdm_tx_skipped, 1);
		return;
	}
	chan_write(c, blk, n, t_ready);
}

/* One block read at t_read (CLOCK_MONOTONIC ns), there to read since
 * t_ready: process, write back, and count what the gateway itself added
 * (not the packetisation wait, not the jitter buffer): ready -> send of
 * the packet its last sample completed (counted by the bridge's send),
 * and ready -> write of the block produced. */
static void chan_block(struct media_chan *c, uint8_t *blk, size_t n,
		       uint64_t t_read, uint64_t t_ready, bool more)
{
	switch (c->conf.mode) {
	case MEDIA_MODE_LOOPBACK:
		break;
	case MEDIA_MODE_MILLIWATT:
		media_milliwatt(c->conf.law, blk, n, &c->mw_phase);
		break;
	case MEDIA_MODE_IDLE:
		tdm_idle_fill(c->conf.law, blk, n);
		break;
	case MEDIA_MODE_BRIDGE: {
		unsigned ev =
		    media_bridge_block(c->br, blk, n, t_read, t_ready);
		if (ev & MEDIA_BRIDGE_EV_TIMEOUT) {
			c->timeout_msg.type = MEDIA_MSG_RTP_TIMEOUT;
			c->timeout_msg.chan = c;
			queue_push(&c->w->m->evq, &c->timeout_msg);
		}
		/* one tone message in flight at a time: the receiver reads
		 * every bit set so far */
		if (ev & MEDIA_BRIDGE_EV_TONE &&
		    !__atomic_exchange_n(&c->tone_queued, true,
					 __ATOMIC_SEQ_CST)) {
			c->tone_msg.type = MEDIA_MSG_TONE;
			c->tone_msg.chan = c;
			queue_push(&c->w->m->evq, &c->tone_msg);
		}
		break;
	}
	}
	chan_put(c, blk, n, t_ready, more, t_read);
}

/*
 * One B-channel read's result n (a byte count or -errno) in blk, read at
 * t_read: counted, and the block processed. The block's latency counts
 * from when it was there to be read: when the kernel queued it (stamp,
 * where the span's socket gives it), else t_read less the time it waited
 * behind others, judged on the TDM clock (media_lag). Returns true when
 * it waited a block period or more, so that the next block is already
 * queued: the caller reads again now, instead of one block per round,
 * which under load never catches up. If that read finds nothing, the
 * block waited less than a period after all (blocks were lost before we
 * read them, or the span's clock ran late): media_lag_correct(). A
 * catch-up's length moves the transmit queue's depth (chan_put).
 */
static bool chan_rx(struct media_chan *c, uint8_t *blk, ssize_t n,
		    uint64_t t_read, uint64_t stamp)
{
	if (n == -EAGAIN) {
		if (c->rx_more) {
			media_lag_correct(&c->rx_lag, c->rx_last_wait,
					  c->rx_last_period);
			c->rx_more = false;
		}
		tx_burst_end(c, t_read); /* the catch-up is over */
		return false;
	}
	c->rx_more = false;
	if (n <= 0) {
		media_stat_add(&c->st.tdm_rx_errors, 1);
		tx_burst_end(c, t_read);
		return false;
	}
	media_stat_add(&c->st.tdm_rx_blocks, 1);
	uint64_t period = (uint64_t)n * MEDIA_NS_PER_SAMPLE;
	uint64_t wait = media_lag_update(
	    &c->rx_lag, (int64_t)(t_read - c->rx_samples * MEDIA_NS_PER_SAMPLE),
	    (int64_t)(period / MEDIA_TDM_DRIFT_DIV),
	    (int64_t)(period * MEDIA_TDM_QUEUE_MAX));
	c->rx_samples += (uint64_t)n;
	if (wait == UINT64_MAX) { /* overrun: the channel's clock moved on */
		media_stat_add(&c->st.tdm_rx_slips, 1);
		wait = 0;
	}
	/* the next block is queued behind this one: read it now */
	bool more = wait >= period - period / 8;
	if (c->conf.mode == MEDIA_MODE_BRIDGE) {
		uint64_t t_ready = stamp && stamp <= t_read ? stamp
				   : wait < t_read	    ? t_read - wait
							    : t_read;
		lat_add(c->w, MEDIA_LAT_TDM_WAIT, t_read - t_ready);
		chan_block(c, blk, (size_t)n, t_read, t_ready, more);
	} else
		chan_block(c, blk, (size_t)n, t_read, 0, more);
	/* from a full period on, a read that finds nothing contradicts it */
	c->rx_more = wait >= period;
	c->rx_last_wait = wait;
	c->rx_last_period = period;
	return more;
}

/* A batched B-channel read came back (worker). A block that waited has
 * the next one behind it: read again in this batch. */
static void chan_rx_done(struct media_io_rx *rx, ssize_t res)
{
	struct media_chan *c = rx->arg;
	if (chan_rx(c, c->rxblk,
		    tdm_bchan_recv_result(c->conf.bchan, res, rx->cap),
		    media_io_rx_ns(&c->w->io), rx->stamp_ns))
		media_io_recv_more(&c->w->io, rx);
}

static void chan_readable(struct loop_io *io, uint32_t events)
{
	struct media_chan *c = io->arg;
	uint8_t blk[TDM_MAX_BLOCK];
	(void)events;
	if (c->conf.bchan->sock_io) { /* batched, or one call at a time */
		media_io_recv(&c->w->io, &c->rx);
		return;
	}
	for (int i = 0; i < MEDIA_BLOCKS_PER_WAKE; i++) {
		ssize_t n = tdm_bchan_read(c->conf.bchan, blk, sizeof(blk));
		if (!chan_rx(c, blk, n, media_now_ns(), 0))
			break;
	}
	tx_burst_end(c, media_now_ns()); /* one wake-up's reads at most */
}

static void chan_begin(struct media_worker *w, struct media_chan *c)
{
	uint8_t idle[TDM_MAX_BLOCK];
	struct tdm_bchan *b = c->conf.bchan;
	tdm_bchan_flush(b);
	c->tx_burst = 0;
	c->tx_depth = tdm_tx_prefill(b->span);
	c->tx_moved_ns = 0;
	c->rx_lag = (struct media_lag){0};
	c->rx_samples = 0;
	c->rx_more = false;
	tdm_idle_fill(c->conf.law, idle, b->blocksize);
	for (unsigned i = 0; i < tdm_tx_prefill(b->span); i++)
		tdm_bchan_write(b, idle, b->blocksize);
	if (loop_io_add(w->loop, &c->io, c->conf.bchan->fd, EPOLLIN,
			chan_readable, c))
		log_err("media: call %u: cannot watch B-channel",
			c->conf.call_id);
	c->rx = (struct media_io_rx){
	    .done = chan_rx_done,
	    .arg = c,
	    .fd = b->fd,
	    .stamp = b->rx_stamped,
	    .flags = MSG_TRUNC,
	    .buf = c->rxblk,
	    .cap = sizeof(c->rxblk),
	};
	if (c->br && media_bridge_attach(c->br, w->loop, &w->io))
		log_err("media: call %u: cannot watch the RTP socket",
			c->conf.call_id);
}

static void chan_update(struct media_chan *c)
{
	struct media_rtp_conf rc;
	pthread_mutex_lock(&c->upd_mu);
	rc = c->upd;
	c->upd_queued = false;
	pthread_mutex_unlock(&c->upd_mu);
	if (c->br)
		media_bridge_update(c->br, &rc);
}

static void worker_msg(struct media_worker *w, struct media_msg *msg)
{
	struct media_chan *c = msg->chan;
	switch (msg->type) {
	case MEDIA_MSG_START:
		chan_begin(w, c);
		break;
	case MEDIA_MSG_UPDATE:
		chan_update(c);
		break;
	case MEDIA_MSG_STOP:
		loop_io_del(w->loop, &c->io);
		media_io_cancel(&w->io, &c->rx);
		if (c->br)
			media_bridge_detach(c->br, w->loop, &w->io);
		media_io_flush(&w->io); /* no send may outlive the channel */
		c->stopped_msg.type = MEDIA_MSG_STOPPED;
		c->stopped_msg.chan = c;
		queue_push(&w->m->evq, &c->stopped_msg);
		break;
	case MEDIA_MSG_QUIT:
		loop_stop(w->loop);
		break;
	case MEDIA_MSG_STOPPED:
	case MEDIA_MSG_RTP_TIMEOUT:
	case MEDIA_MSG_TONE:
		break;
	}
}

static void worker_cmds(struct loop_io *io, uint32_t events)
{
	struct media_worker *w = io->arg;
	(void)events;
	struct media_msg *msg = queue_take(&w->cmdq);
	while (msg) {
		struct media_msg *next = msg->next;
		worker_msg(w, msg);
		msg = next;
	}
}

static void *worker_main(void *arg)
{
	struct media_worker *w = arg;
	char name[16]; /* the kernel's limit: top -H, ps -L, /proc show it */
	snprintf(name, sizeof(name), "gwd-media%u", w->idx);
	pthread_setname_np(pthread_self(), name);
	int rc = loop_run(w->loop);
	if (rc)
		log_err("media worker %u: %s", w->idx, strerror(-rc));
	return NULL;
}

/* ---- signalling side ---- */

static void live_remove(struct media *m, struct media_chan *c)
{
	struct media_stats st;
	media_chan_stats(c, &st);
	media_stats_sum(&m->done, &st);
	if (c->prev)
		c->prev->next = c->next;
	else
		m->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void on_tone(struct media *m, struct media_chan *c)
{
	/* Dekker-style with the worker (all sequentially consistent): it
	 * queues again, or this load sees what it added */
	__atomic_store_n(&c->tone_queued, false, __ATOMIC_SEQ_CST);
	uint64_t t = __atomic_load_n(&c->st.tones, __ATOMIC_SEQ_CST);
	uint64_t fresh = t & ~c->tones_told;
	c->tones_told = t;
	if (fresh && m->h->tone && !c->stop_sent)
		m->h->tone(m->arg, c, fresh);
}

static void on_events(struct loop_io *io, uint32_t events)
{
	struct media *m = io->arg;
	(void)events;
	struct media_msg *msg = queue_take(&m->evq);
	while (msg) {
		struct media_msg *next = msg->next;
		if (msg->type == MEDIA_MSG_STOPPED) {
			msg->chan->w->nchans--;
			m->nchans--;
			live_remove(m, msg->chan);
			m->h->stopped(m->arg, msg->chan);
		} else if (msg->type == MEDIA_MSG_RTP_TIMEOUT &&
			   m->h->rtp_timeout && !msg->chan->stop_sent) {
			m->h->rtp_timeout(m->arg, msg->chan);
		} else if (msg->type == MEDIA_MSG_TONE) {
			on_tone(m, msg->chan);
		}
		msg = next;
	}
}

static int worker_start(struct media *m, struct media_worker *w, unsigned i)
{
	int rc;
	w->m = m;
	w->idx = i;
	if ((rc = loop_new(&w->loop)) ||
	    (rc = media_io_init(&w->io, w->loop, m->io_mode, io_lat, w)) ||
	    (rc = queue_init(&w->cmdq)) ||
	    (rc = loop_io_add(w->loop, &w->cmd_io, w->cmdq.efd, EPOLLIN,
			      worker_cmds, w)))
		return rc;
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	return -rc;
}

int media_new(struct media **mp, struct loop *sig_loop, unsigned nworkers,
	      enum media_io_mode io_mode, const struct media_handlers *h,
	      void *arg)
{
	if (!nworkers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = n > 1 ? (unsigned)n : 1;
	}
	if (nworkers > MEDIA_MAX_WORKERS)
		nworkers = MEDIA_MAX_WORKERS;
	struct media *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sig_loop = sig_loop;
	m->io_mode = io_mode;
	m->h = h;
	m->arg = arg;
	int rc = queue_init(&m->evq);
	if (!rc)
		rc = loop_io_add(sig_loop, &m->ev_io, m->evq.efd, EPOLLIN,
				 on_events, m);
	for (unsigned i = 0; !rc && i < nworkers; i++) {
		rc = worker_start(m, &m->w[i], i);
		if (!rc)
			m->nworkers++;
	}
	if (rc) {
		media_free(m);
		return rc;
	}
	if (m->w[0].io.on)
		log_info("media: %u workers, socket I/O batched with io_uring",
			 m->nworkers);
	else if (io_mode == MEDIA_IO_SYSCALLS)
		log_info("media: %u workers, socket I/O by system calls",
			 m->nworkers);
	else
		log_notice("media: %u workers, socket I/O by system calls "
			   "(io_uring: %s)",
			   m->nworkers, strerror(-m->w[0].io.off_why));
	*mp = m;
	return 0;
}

void media_free(struct media *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->nworkers; i++) {
		struct media_worker *w = &m->w[i];
		w->quit_msg.type = MEDIA_MSG_QUIT;
		queue_push(&w->cmdq, &w->quit_msg);
		pthread_join(w->thread, NULL);
	}
	for (unsigned i = 0; i < MEDIA_MAX_WORKERS; i++) {
		struct media_worker *w = &m->w[i];
		if (!w->loop)
			continue;
		media_io_fini(&w->io);
		loop_free(w->loop);
		queue_fini(&w->cmdq);
	}
	loop_io_del(m->sig_loop, &m->ev_io);
	queue_fini(&m->evq);
	free(m);
}

unsigned media_workers(const struct media *m)
{
	return m->nworkers;
}

unsigned media_chan_count(const struct media *m)
{
	return m->nchans;
}

int media_chan_start(struct media *m, const struct media_chan_conf *conf,
		     struct media_chan **cp)
{
	struct media_chan *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->conf = *conf;
	if (conf->mode == MEDIA_MODE_BRIDGE) {
		int rc = media_bridge_new(&c->br, conf, &c->st);
		if (rc) {
			free(c);
			return rc;
		}
	}
	pthread_mutex_init(&c->upd_mu, NULL);
	struct media_worker *w = &m->w[0];
	for (unsigned i = 1; i < m->nworkers; i++)
		if (m->w[i].nchans < w->nchans)
			w = &m->w[i];
	c->w = w;
	w->nchans++;
	m->nchans++;
	c->next = m->live;
	if (m->live)
		m->live->prev = c;
	m->live = c;
	c->start_msg.type = MEDIA_MSG_START;
	c->start_msg.chan = c;
	queue_push(&w->cmdq, &c->start_msg);
	*cp = c;
	return 0;
}

void media_chan_stop(struct media *m, struct media_chan *c)
{
	(void)m;
	if (c->stop_sent)
		return;
	c->stop_sent = true;
	c->stop_msg.type = MEDIA_MSG_STOP;
	c->stop_msg.chan = c;
	queue_push(&c->w->cmdq, &c->stop_msg);
}

int media_chan_update(struct media *m, struct media_chan *c,
		      const struct media_rtp_conf *rtp)
{
	(void)m;
	if (!c->br || !media_bridge_compatible(c->br, rtp))
		return -EINVAL;
	if (c->stop_sent)
		return 0;
	pthread_mutex_lock(&c->upd_mu);
	c->upd = *rtp;
	bool queue = !c->upd_queued;
	c->upd_queued = true;
	pthread_mutex_unlock(&c->upd_mu);
	if (queue) {
		c->update_msg.type = MEDIA_MSG_UPDATE;
		c->update_msg.chan = c;
		queue_push(&c->w->cmdq, &c->update_msg);
	}
	return 0;
}

void media_chan_free(struct media_chan *c)
{
	if (!c)
		return;
	media_bridge_free(c->br);
	pthread_mutex_destroy(&c->upd_mu);
	free(c);
}

struct tdm_bchan *media_chan_bchan(const struct media_chan *c)
{
	return c->conf.bchan;
}

void media_chan_stats(const struct media_chan *c, struct media_stats *st)
{
	const uint64_t *src = (const uint64_t *)&c->st;
	uint64_t *dst = (uint64_t *)st;
	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void media_totals(const struct media *m, struct media_stats *st)
{
	*st = m->done;
	for (const struct media_chan *c = m->live; c; c = c->next) {
		struct media_stats x;
		media_chan_stats(c, &x);
		media_stats_sum(st, &x);
	}
}

void media_io_totals(const struct media *m, struct media_io_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < m->nworkers; i++) {
		const struct media_io *io = &m->w[i].io;
		t->uring |= io->on; /* set before the worker started */
		t->batches += __atomic_load_n(&io->batches, __ATOMIC_RELAXED);
		t->ops += __atomic_load_n(&io->ops, __ATOMIC_RELAXED);
		t->enters += __atomic_load_n(&io->enters, __ATOMIC_RELAXED);
		t->rereads += __atomic_load_n(&io->rereads, __ATOMIC_RELAXED);
	}
}

void media_latency(const struct media *m, enum media_lat_kind k,
		   struct media_lat_hist *h)
{
	unsigned gen = __atomic_load_n(&m->lat_gen, __ATOMIC_RELAXED);
	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < m->nworkers; i++) {
		/* a clear the worker has not made yet (it has had no block
		 * since): its histograms count as empty */
		if (__atomic_load_n(&m->w[i].lat_seen, __ATOMIC_ACQUIRE) != gen)
			continue;
		media_lat_merge(h, &m->w[i].lat[k]);
	}
}

void media_latency_clear(struct media *m)
{
	__atomic_add_fetch(&m->lat_gen, 1, __ATOMIC_RELAXED);
}
