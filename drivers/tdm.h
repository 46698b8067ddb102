/*
 * The span interface between the daemon (isdn/, media/) and the TDM
 * back ends (dahdi, sim). A span is one E1/T1 with a D-channel that carries
 * whole HDLC frames and B-channels that each become readable once per block
 * of audio in the span's law. Back ends fill a `const struct tdm_span_ops`;
 * callers use only the inline wrappers below, which state the contract.
 *
 * Threads: span functions are called from the signalling thread only;
 * tdm_bchan_read/write/fd from the media worker that owns the channel.
 * tdm_bchan_open/close are signalling-thread calls.
 */
#ifndef GW_TDM_H
#define GW_TDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TDM_MAX_TIMESLOTS 31   /* E1: 1-31; T1: 1-24 */
#define TDM_MAX_FRAME	  1024 /* bytes, D-channel frame incl. 2 FCS bytes */
#define TDM_MIN_BLOCK	  8    /* samples: 1 ms */
#define TDM_MAX_BLOCK	  1600 /* samples: 200 ms */

enum tdm_layout {
	TDM_E1, /* 31 timeslots, D on 16, A-law */
	TDM_T1, /* 24 timeslots, D on 24, mu-law */
};

enum tdm_law {
	TDM_LAW_ALAW,
	TDM_LAW_ULAW,
};

/* Alarm bits, as carriers name them. */
#define TDM_ALARM_RED	   0x01 /* loss of signal / frame alignment */
#define TDM_ALARM_YELLOW   0x02 /* remote alarm: far end lost our signal */
#define TDM_ALARM_BLUE	   0x04 /* AIS: all-ones from upstream */
#define TDM_ALARM_LOOPBACK 0x08 /* span is looped */
#define TDM_ALARM_NOTOPEN  0x10 /* back end not connected (no span) */

struct tdm_span_conf {
	unsigned span_no; /* the daemon's span number, for logs */
	enum tdm_layout layout;
	const char *device;  /* sim: pstnsim's socket; dahdi: unused */
	unsigned unit;	     /* sim: pstnsim span; dahdi: DAHDI span no */
	unsigned basechan;   /* dahdi: first channel number, 0 = find it */
	unsigned blocksize;  /* samples per B-channel block */
	unsigned tx_prefill; /* blocks writers queue ahead; 0: the default */
};

struct tdm_counters {
	uint64_t dchan_rx_frames, dchan_tx_frames;
	uint64_t dchan_rx_errors; /* bad FCS, aborts, overruns */
	uint64_t dchan_tx_errors;
	uint64_t slips;
	uint64_t alarm_changes;
};

enum tdm_event_type {
	TDM_EV_ALARM,	  /* alarms changed: see ev.alarms */
	TDM_EV_DCHAN_ERR, /* a frame was lost on receive (FCS, abort) */
	TDM_EV_SLIP,	  /* a controlled frame slip happened */
	TDM_EV_GONE,	  /* the back end went away: close the span */
};

struct tdm_event {
	enum tdm_event_type type;
	unsigned alarms;
};

struct tdm_span;
struct tdm_bchan;

struct tdm_span_ops {
	const char *name;
	/* Opens the span. Returns 0 or -errno; *sp set only on success. */
	int (*open)(struct tdm_span **sp, const struct tdm_span_conf *conf);
	void (*close)(struct tdm_span *s);
	int (*dchan_fd)(const struct tdm_span *s);
	int (*event_fd)(const struct tdm_span *s);
	int (*get_event)(struct tdm_span *s, struct tdm_event *ev);
	ssize_t (*dchan_read)(struct tdm_span *s, void *buf, size_t len);
	ssize_t (*dchan_write)(struct tdm_span *s, const void *buf, size_t len);
	int (*bchan_open)(struct tdm_span *s, unsigned ts,
			  struct tdm_bchan **bp);
	void (*bchan_close)(struct tdm_bchan *b);
	ssize_t (*bchan_read)(struct tdm_bchan *b, uint8_t *buf, size_t len);
	ssize_t (*bchan_write)(struct tdm_bchan *b, const uint8_t *buf,
			       size_t len);
	int (*bchan_flush)(struct tdm_bchan *b);
};

/*
 * What every back end's span starts with (back ends embed it first and own
 * the rest). Filled by open().
 */
struct tdm_span {
	const struct tdm_span_ops *ops;
	struct tdm_span_conf conf;
	enum tdm_law law;
	unsigned ntimeslots;	 /* 31 or 24 */
	unsigned dchan;		 /* D-channel timeslot */
	uint32_t bchan_mask;	 /* bit ts set: timeslot ts is a B-channel */
	unsigned alarms;	 /* TDM_ALARM_* as last reported */
	struct tdm_counters cnt; /* updated by the back end */
	char desc[64];		 /* e.g. "pstnsim span 1 E1" */
};

/* What every back end's B-channel starts with. */
struct tdm_bchan {
	struct tdm_span *span;
	unsigned ts; /* timeslot */
	int fd;	     /* readable once per block */
	unsigned blocksize;
	uint64_t rx_blocks, tx_blocks;
	uint64_t rx_errors, tx_errors; /* short or failed reads/writes */
	/* fd is a SOCK_SEQPACKET socket with a block per message: a reader
	 * may batch recv(MSG_DONTWAIT | MSG_TRUNC) / send(MSG_DONTWAIT |
	 * MSG_NOSIGNAL) on it (io_uring) and hand each result to
	 * tdm_bchan_recv_result / tdm_bchan_send_result, instead of calling
	 * bchan_read / bchan_write. False for character devices. */
	bool sock_io;
	/* sock_io only: the socket carries the kernel's receive time of each
	 * block (SO_TIMESTAMPNS, CLOCK_REALTIME): when the span delivered it,
	 * which a reader may count latency from instead of estimating it on
	 * the TDM clock. */
	bool rx_stamped;
};

/*
 * For a sock_io B-channel: checks and counts res, what recv(MSG_DONTWAIT |
 * MSG_TRUNC) into a buffer of len bytes returned (a byte count or
 * -errno), as bchan_read would. Returns the block size, or -errno
 * (-EAGAIN: nothing there; -EPIPE: peer gone; -EBADMSG: not one block).
 */
ssize_t tdm_bchan_recv_result(struct tdm_bchan *b, ssize_t res, size_t len);
/* Same for res from send(); returns res. */
ssize_t tdm_bchan_send_result(struct tdm_bchan *b, ssize_t res);

/* Looks up a back end by name ("sim", "dahdi"); NULL if unknown. */
const struct tdm_span_ops *tdm_backend(const char *name);

extern const struct tdm_span_ops tdm_sim_ops;
extern const struct tdm_span_ops tdm_dahdi_ops;

/* Default layout facts. */
unsigned tdm_layout_timeslots(enum tdm_layout layout);
unsigned tdm_layout_dchan(enum tdm_layout layout);
enum tdm_law tdm_layout_law(enum tdm_layout layout);
const char *tdm_layout_name(enum tdm_layout layout);
/* Formats alarm bits as "red,yellow" or "none" into buf; returns buf. */
const char *tdm_alarm_str(unsigned alarms, char *buf, size_t cap);

static inline int tdm_span_open(const struct tdm_span_ops *ops,
				struct tdm_span **sp,
				const struct tdm_span_conf *conf)
{
	return ops->open(sp, conf);
}

/* Closes the span; every B-channel must have been closed first. NULL ok. */
static inline void tdm_span_close(struct tdm_span *s)
{
	if (s)
		s->ops->close(s);
}

/* Watch for EPOLLIN (a frame is ready) and EPOLLPRI (an event is pending). */
static inline int tdm_dchan_fd(const struct tdm_span *s)
{
	return s->ops->dchan_fd(s);
}

/* A second fd to watch for EPOLLIN that signals events, or -1 if none. */
static inline int tdm_event_fd(const struct tdm_span *s)
{
	return s->ops->event_fd(s);
}

/*
 * Takes the next pending event. Returns 1 with *ev filled, 0 when none is
 * pending, -errno on failure. Call until it returns 0 whenever either fd
 * signals. s->alarms is up to date when TDM_EV_ALARM is returned.
 */
static inline int tdm_get_event(struct tdm_span *s, struct tdm_event *ev)
{
	return s->ops->get_event(s, ev);
}

/*
 * Reads one whole frame, including the 2 FCS bytes libpri expects at the
 * end. Returns its length, -EAGAIN when none is ready, -errno on failure.
 */
static inline ssize_t tdm_dchan_read(struct tdm_span *s, void *buf, size_t len)
{
	return s->ops->dchan_read(s, buf, len);
}

/* Sends one whole frame (2 FCS placeholder bytes at the end). */
static inline ssize_t tdm_dchan_write(struct tdm_span *s, const void *buf,
				      size_t len)
{
	return s->ops->dchan_write(s, buf, len);
}

/* Opens B-channel timeslot ts for audio. Returns 0 or -errno. */
static inline int tdm_bchan_open(struct tdm_span *s, unsigned ts,
				 struct tdm_bchan **bp)
{
	return s->ops->bchan_open(s, ts, bp);
}

/* Closes the B-channel. NULL is a no-op. */
static inline void tdm_bchan_close(struct tdm_bchan *b)
{
	if (b)
		b->span->ops->bchan_close(b);
}

/* Reads one block (blocksize bytes). Returns bytes, -EAGAIN, or -errno. */
static inline ssize_t tdm_bchan_read(struct tdm_bchan *b, uint8_t *buf,
				     size_t len)
{
	return b->span->ops->bchan_read(b, buf, len);
}

/* Writes one block. Returns bytes, -EAGAIN when the channel is full, -errno. */
static inline ssize_t tdm_bchan_write(struct tdm_bchan *b, const uint8_t *buf,
				      size_t len)
{
	return b->span->ops->bchan_write(b, buf, len);
}

/* Transmit cushion writers put ahead of the clock at the start of a call,
 * so a wake-up that is late by less than this never underruns. */
#define TDM_TX_PREFILL_BLOCKS 2

/* The span's transmit cushion in blocks (conf.tx_prefill or the default). */
static inline unsigned tdm_tx_prefill(const struct tdm_span *s)
{
	return s->conf.tx_prefill ? s->conf.tx_prefill : TDM_TX_PREFILL_BLOCKS;
}

/* Fills buf with the law's idle (silence) code. */
static inline void tdm_idle_fill(enum tdm_law law, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = law == TDM_LAW_ALAW ? 0xd5 : 0xff; /* G.711 zero */
}

/* Discards queued audio in both directions (at the start of a call). */
static inline int tdm_bchan_flush(struct tdm_bchan *b)
{
	return b->span->ops->bchan_flush(b);
}

static inline bool tdm_is_bchan(const struct tdm_span *s, unsigned ts)
{
	return ts >= 1 && ts <= s->ntimeslots && (s->bchan_mask >> ts) & 1u;
}

#endif
