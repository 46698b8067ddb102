/*
 * pstnsim's span internals, shared by psim_span.c (libpri, faults,
 * maintenance, DAHDI) and psim_sim.c (the sim client's attachment and
 * the B-channel clock). Nothing else includes this.
 */
#ifndef PSIM_SPAN_INT_H
#define PSIM_SPAN_INT_H

#include "psim.h"

enum chan_state {
	CH_IDLE,
	CH_BUSY,
	CH_RESTARTING,
};

struct psim_chan {
	enum chan_state state;
	int service;		/* ours: 0 in, 1 maintenance, 2 out */
	int far_service;	/* as the gateway last told us */
	struct psim_call *call; /* media on this channel, or NULL */
	int fd;			/* sim: our end of the B-channel; -1 */
	struct tdm_bchan *b;	/* dahdi: open while a call has media */
	struct loop_io io;
	struct psim_span *span;
	unsigned ts;
};

struct isdn_pcap;

struct psim_span {
	struct psim *p;
	struct psim_span_conf conf;
	struct pri *pri;
	struct loop_timer pri_timer;
	unsigned ntimeslots, dchan;
	uint32_t bmask;
	enum tdm_law law;
	bool dchan_up;
	/* sim */
	bool attached;
	int cfd, dfd;
	struct loop_io cio, dio;
	unsigned blocksize;
	uint64_t next_tick_ns, period_ns;
	struct loop_timer clock;
	/* dahdi */
	struct tdm_span *tdm;
	struct loop_io tio, eio;
	struct loop_timer reopen;
	/* faults */
	bool forced_down;
	unsigned alarms, loss_pct, slips, slip_pending;
	uint64_t rng;
	/* counters */
	uint64_t rx_frames, tx_frames, dropped_frames;
	bool complete_next_info; /* psim_span_complete_next_info() */
	/* sim B-channels: blocks sent, refused by a full queue (the gateway
	 * reads too late: its overrun) and received; block periods the clock
	 * skipped because pstnsim itself ran more than 50 behind */
	uint64_t bchan_tx_blocks, bchan_tx_dropped, bchan_rx_blocks;
	uint64_t clock_skipped;
	struct isdn_pcap *pcap; /* D-channel capture ([span N] pcap), NULL */
	struct psim_chan ch[TDM_MAX_TIMESLOTS + 1];
};

/* Libpri plumbing used by both files. */
void psim_span_dchan_ready(struct loop_io *io, uint32_t events);
void psim_span_event(struct psim_span *s, const char *type);
/* sim: status to the attached client; detach; the block clock. */
void psim_span_send_status(struct psim_span *s);
void psim_span_detach(struct psim_span *s);
void psim_span_clock_tick(struct loop_timer *t);
/* Releases the clock's io_uring, if it set one up. */
void psim_sim_io_fini(void);
/* psim_conf.c: the [span N] pcap path of the last loaded scenario, ""
 * if none. (Kept there until struct psim_span_conf gets the field.) */

#endif
