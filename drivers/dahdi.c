/*
 * The `dahdi` span back end: a DAHDI span's D-channel (HDLC with FCS,
 * immediate buffer policy) and B-channels (raw bytes in the span's law,
 * fixed block size), opened through /dev/dahdi/channel + DAHDI_SPECIFY so
 * it works without udev. Alarms come from DAHDI_GETEVENT / DAHDI_SPANSTAT.
 * Every DAHDI #ifdef and ioctl of the project stays in this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <dahdi/user.h>

#include "log.h"
#include "tdm.h"

#define DAHDI_CHANNEL_DEV "/dev/dahdi/channel"
#define DAHDI_SYSFS_SPAN  "/sys/bus/dahdi_spans/devices/span-%u/%s"
#define DAHDI_MAX_SCAN	  1024 /* channels probed when sysfs is absent */
#define DAHDI_BCHAN_BUFS  8    /* B-channel buffers of one block each */

struct dahdi_span {
	struct tdm_span base; /* first: the generic part */
	int dfd;	      /* D-channel */
	unsigned basechan;    /* DAHDI channel number of timeslot 1 */
	int pending_event;    /* event taken by a read that saw ELAST */
};

struct dahdi_bchan {
	struct tdm_bchan base;
};

static struct dahdi_span *to_ds(struct tdm_span *s)
{
	return (struct dahdi_span *)s;
}

static int dahdi_open_channel(unsigned channo)
{
	int fd = open(DAHDI_CHANNEL_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int c = (int)channo;
	if (ioctl(fd, DAHDI_SPECIFY, &c) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int read_sysfs_uint(unsigned spanno, const char *attr, unsigned *out)
{
	char path[128], buf[32];
	snprintf(path, sizeof(path), DAHDI_SYSFS_SPAN, spanno, attr);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	int ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	*out = (unsigned)strtoul(buf, NULL, 10);
	return 0;
}

/*
 * Finds the DAHDI channel number of the span's first timeslot: sysfs when
 * present, else probe channels until one reports (spanno, chanpos 1).
 */
static int dahdi_find_basechan(unsigned spanno, unsigned *basechan)
{
	if (read_sysfs_uint(spanno, "basechan", basechan) == 0 && *basechan)
		return 0;
	for (unsigned c = 1; c <= DAHDI_MAX_SCAN; c++) {
		int fd = dahdi_open_channel(c);
		if (fd == -ENXIO || fd == -EINVAL || fd == -ENODEV)
			continue;
		if (fd < 0)
			return fd;
		struct dahdi_params p = {0};
		int rc = ioctl(fd, DAHDI_GET_PARAMS, &p);
		close(fd);
		if (rc == 0 && (unsigned)p.spanno == spanno && p.chanpos == 1) {
			*basechan = c;
			return 0;
		}
	}
	return -ENOENT;
}

static unsigned map_alarms(int dahdi_alarms)
{
	unsigned a = 0;
	if (dahdi_alarms & DAHDI_ALARM_RED)
		a |= TDM_ALARM_RED;
	if (dahdi_alarms & DAHDI_ALARM_YELLOW)
		a |= TDM_ALARM_YELLOW;
	if (dahdi_alarms & DAHDI_ALARM_BLUE)
		a |= TDM_ALARM_BLUE;
	if (dahdi_alarms & DAHDI_ALARM_LOOPBACK)
		a |= TDM_ALARM_LOOPBACK;
	if (dahdi_alarms & DAHDI_ALARM_NOTOPEN)
		a |= TDM_ALARM_NOTOPEN;
	return a;
}

static int dahdi_spanstat(struct dahdi_span *ds, struct dahdi_spaninfo *si)
{
	memset(si, 0, sizeof(*si));
	si->spanno = (int)ds->base.conf.unit;
	if (ioctl(ds->dfd, DAHDI_SPANSTAT, si) < 0)
		return -errno;
	return 0;
}

static int dahdi_setup_dchan(struct dahdi_span *ds)
{
	unsigned channo = ds->basechan + ds->base.dchan - 1;
	int fd = dahdi_open_channel(channo);
	if (fd < 0)
		return fd;
	ds->dfd = fd;
	struct dahdi_params p = {0};
	if (ioctl(fd, DAHDI_GET_PARAMS, &p) < 0)
		return -errno;
	if ((unsigned)p.spanno != ds->base.conf.unit) {
		log_err("dahdi span %u: channel %u belongs to span %d",
			ds->base.conf.unit, channo, p.spanno);
		return -EINVAL;
	}
	if (p.sigtype != DAHDI_SIG_HDLCFCS) {
		log_err("dahdi span %u: channel %u is not a D-channel "
			"(sigtype 0x%x; want dchan= in system.conf)",
			ds->base.conf.unit, channo, (unsigned)p.sigtype);
		return -EINVAL;
	}
	struct dahdi_bufferinfo bi = {
	    .txbufpolicy = DAHDI_POLICY_IMMEDIATE,
	    .rxbufpolicy = DAHDI_POLICY_IMMEDIATE,
	    .numbufs = 16,
	    .bufsize = TDM_MAX_FRAME,
	};
	if (ioctl(fd, DAHDI_SET_BUFINFO, &bi) < 0)
		return -errno;
	return 0;
}

static void dahdi_close(struct tdm_span *s)
{
	struct dahdi_span *ds = to_ds(s);
	if (ds->dfd >= 0)
		close(ds->dfd);
	free(ds);
}

static int dahdi_open(struct tdm_span **sp, const struct tdm_span_conf *conf)
{
	struct dahdi_span *ds = calloc(1, sizeof(*ds));
	if (!ds)
		return -ENOMEM;
	struct tdm_span *s = &ds->base;
	int err;
	ds->dfd = -1;
	s->ops = &tdm_dahdi_ops;
	s->conf = *conf;
	s->conf.device = NULL;
	s->ntimeslots = tdm_layout_timeslots(conf->layout);
	s->dchan = tdm_layout_dchan(conf->layout);
	s->law = tdm_layout_law(conf->layout);
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++)
		if (ts != s->dchan)
			s->bchan_mask |= 1u << ts;
	ds->basechan = conf->basechan;
	if (!ds->basechan &&
	    (err = dahdi_find_basechan(conf->unit, &ds->basechan)) < 0) {
		log_err("dahdi span %u: cannot find its channels: %s",
			conf->unit, strerror(-err));
		goto fail;
	}
	if ((err = dahdi_setup_dchan(ds)) < 0)
		goto fail;
	struct dahdi_spaninfo si;
	if ((err = dahdi_spanstat(ds, &si)) < 0)
		goto fail;
	if ((unsigned)si.totalchans != s->ntimeslots) {
		log_err("dahdi span %u has %d channels; an %s has %u",
			conf->unit, si.totalchans,
			tdm_layout_name(conf->layout), s->ntimeslots);
		err = -EINVAL;
		goto fail;
	}
	s->alarms = map_alarms(si.alarms);
	snprintf(s->desc, sizeof(s->desc), "DAHDI span %u (%.20s) %s",
		 conf->unit, si.name, tdm_layout_name(conf->layout));
	*sp = s;
	return 0;
fail:
	dahdi_close(s);
	return err;
}

static int dahdi_dchan_fd(const struct tdm_span *s)
{
	return ((const struct dahdi_span *)s)->dfd;
}

static int dahdi_event_fd(const struct tdm_span *s)
{
	(void)s;
	return -1; /* events arrive as POLLPRI on the D-channel */
}

/* Translates one DAHDI event; returns 1 if it is reported, 0 if absorbed. */
static int dahdi_translate(struct dahdi_span *ds, int e, struct tdm_event *ev)
{
	struct dahdi_spaninfo si;
	switch (e) {
	case DAHDI_EVENT_ALARM:
	case DAHDI_EVENT_NOALARM:
		if (dahdi_spanstat(ds, &si) < 0)
			si.alarms =
			    e == DAHDI_EVENT_ALARM ? DAHDI_ALARM_RED : 0;
		ds->base.alarms = map_alarms(si.alarms);
		ds->base.cnt.alarm_changes++;
		ev->type = TDM_EV_ALARM;
		ev->alarms = ds->base.alarms;
		return 1;
	case DAHDI_EVENT_BADFCS:
	case DAHDI_EVENT_ABORT:
	case DAHDI_EVENT_OVERRUN:
		ds->base.cnt.dchan_rx_errors++;
		ev->type = TDM_EV_DCHAN_ERR;
		ev->alarms = ds->base.alarms;
		return 1;
	case DAHDI_EVENT_REMOVED:
		ev->type = TDM_EV_GONE;
		ev->alarms = ds->base.alarms | TDM_ALARM_NOTOPEN;
		return 1;
	default:
		return 0;
	}
}

static int dahdi_get_event(struct tdm_span *s, struct tdm_event *ev)
{
	struct dahdi_span *ds = to_ds(s);
	for (;;) {
		int e = ds->pending_event;
		ds->pending_event = 0;
		if (!e && ioctl(ds->dfd, DAHDI_GETEVENT, &e) < 0)
			return -errno;
		if (e == DAHDI_EVENT_NONE)
			return 0;
		if (dahdi_translate(ds, e, ev))
			return 1;
	}
}

static ssize_t dahdi_dchan_read(struct tdm_span *s, void *buf, size_t len)
{
	struct dahdi_span *ds = to_ds(s);
	ssize_t n = read(ds->dfd, buf, len);
	if (n < 0) {
		if (errno == ELAST) {
			/* an event is pending: keep it for get_event() */
			int e = 0;
			if (ioctl(ds->dfd, DAHDI_GETEVENT, &e) == 0)
				ds->pending_event = e;
			return -EAGAIN;
		}
		return -errno;
	}
	if (n < 3) { /* shorter than address + FCS: not a frame */
		s->cnt.dchan_rx_errors++;
		return -EAGAIN;
	}
	s->cnt.dchan_rx_frames++;
	return n;
}

static ssize_t dahdi_dchan_write(struct tdm_span *s, const void *buf,
				 size_t len)
{
	struct dahdi_span *ds = to_ds(s);
	ssize_t n = write(ds->dfd, buf, len);
	if (n < 0) {
		s->cnt.dchan_tx_errors++;
		return -errno;
	}
	s->cnt.dchan_tx_frames++;
	return n;
}

static int dahdi_bchan_open(struct tdm_span *s, unsigned ts,
			    struct tdm_bchan **bp)
{
	struct dahdi_span *ds = to_ds(s);
	if (!tdm_is_bchan(s, ts))
		return -EINVAL;
	int fd = dahdi_open_channel(ds->basechan + ts - 1);
	if (fd < 0)
		return fd;
	int bs = (int)s->conf.blocksize;
	/* room for a transmit cushion: the writer may prefill a few blocks
	 * so a late wake-up does not underrun into idle fill */
	struct dahdi_bufferinfo bi = {
	    .txbufpolicy = DAHDI_POLICY_IMMEDIATE,
	    .rxbufpolicy = DAHDI_POLICY_IMMEDIATE,
	    .numbufs = DAHDI_BCHAN_BUFS,
	    .bufsize = bs,
	};
	if (ioctl(fd, DAHDI_SET_BLOCKSIZE, &bs) < 0 ||
	    ioctl(fd, DAHDI_SET_BUFINFO, &bi) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	struct dahdi_bchan *b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	b->base.span = s;
	b->base.ts = ts;
	b->base.fd = fd;
	b->base.blocksize = s->conf.blocksize;
	*bp = &b->base;
	return 0;
}

static void dahdi_bchan_close(struct tdm_bchan *b)
{
	close(b->fd);
	free((struct dahdi_bchan *)b);
}

static ssize_t dahdi_bchan_read(struct tdm_bchan *b, uint8_t *buf, size_t len)
{
	ssize_t n = read(b->fd, buf, len);
	if (n < 0) {
		if (errno == ELAST) { /* B-channel events are not ours */
			int e;
			ioctl(b->fd, DAHDI_GETEVENT, &e);
			return -EAGAIN;
		}
		if (errno != EAGAIN)
			b->rx_errors++;
		return -errno;
	}
	b->rx_blocks++;
	return n;
}

static ssize_t dahdi_bchan_write(struct tdm_bchan *b, const uint8_t *buf,
				 size_t len)
{
	ssize_t n = write(b->fd, buf, len);
	if (n < 0) {
		if (errno == ELAST) {
			int e;
			ioctl(b->fd, DAHDI_GETEVENT, &e);
			return -EAGAIN;
		}
		if (errno != EAGAIN)
			b->tx_errors++;
		return -errno;
	}
	b->tx_blocks++;
	return n;
}

static int dahdi_bchan_flush(struct tdm_bchan *b)
{
	int how = DAHDI_FLUSH_BOTH;
	return ioctl(b->fd, DAHDI_FLUSH, &how) < 0 ? -errno : 0;
}

const struct tdm_span_ops tdm_dahdi_ops = {
    .name = "dahdi",
    .open = dahdi_open,
    .close = dahdi_close,
    .dchan_fd = dahdi_dchan_fd,
    .event_fd = dahdi_event_fd,
    .get_event = dahdi_get_event,
    .dchan_read = dahdi_dchan_read,
    .dchan_write = dahdi_dchan_write,
    .bchan_open = dahdi_bchan_open,
    .bchan_close = dahdi_bchan_close,
    .bchan_read = dahdi_bchan_read,
    .bchan_write = dahdi_bchan_write,
    .bchan_flush = dahdi_bchan_flush,
};
