/*
 * The `sim` span back end: a span served by the PSTN switch simulator
 * (tools/pstnsim) over the wire protocol in sim_proto.h. One attach
 * connection per span carries status (alarms, slips); the D-channel and
 * every B-channel are socketpair ends passed with SCM_RIGHTS, so isdn/ and
 * media/ see the same fd semantics as with DAHDI: one frame or one block
 * per read, readable once per block period (pstnsim is the clock master).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim_proto.h"
#include "tdm.h"

#define SIM_ATTACH_TIMEOUT_MS 1000 /* pstnsim answers at once; bound it */

struct sim_span {
	struct tdm_span base; /* first: the generic part */
	int cfd;	      /* attach connection: status messages, EOF */
	int dfd;	      /* D-channel */
	int bfd[TDM_MAX_TIMESLOTS + 1]; /* per timeslot, -1 if none */
	bool bopen[TDM_MAX_TIMESLOTS + 1];
	unsigned pending_alarms; /* from a STATUS not yet reported */
	bool alarm_pending, slip_pending, gone;
	unsigned slips_reported;
};

struct sim_bchan {
	struct tdm_bchan base;
};

static struct sim_span *to_ss(struct tdm_span *s)
{
	return (struct sim_span *)s;
}

static void sim_close_fds(struct sim_span *ss)
{
	if (ss->cfd >= 0)
		close(ss->cfd);
	if (ss->dfd >= 0)
		close(ss->dfd);
	for (unsigned ts = 0; ts <= TDM_MAX_TIMESLOTS; ts++)
		if (ss->bfd[ts] >= 0)
			close(ss->bfd[ts]);
}

static void sim_close(struct tdm_span *s)
{
	if (!s)
		return;
	sim_close_fds(to_ss(s));
	free(s);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int sim_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Waits (bounded) for pstnsim's answer and takes the descriptors. */
static int sim_recv_answer(int fd, struct sim_msg *m, int *fds, int *nfds)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc = poll(&p, 1, SIM_ATTACH_TIMEOUT_MS);
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	union {
		char buf[CMSG_SPACE(sizeof(int) * (TDM_MAX_TIMESLOTS + 1))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = cbuf.buf,
	    .msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && *nfds <= TDM_MAX_TIMESLOTS; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	if (mh.msg_flags & MSG_CTRUNC)
		return -EPROTO;
	if ((size_t)n != sizeof(*m) || m->magic != SIM_PROTO_MAGIC ||
	    m->version != SIM_PROTO_VERSION)
		return -EPROTO;
	return 0;
}

/* Checks the answer against what we asked and takes the descriptors. */
static int sim_take_fds(struct sim_span *ss, const struct sim_msg *m,
			const int *fds, int nfds)
{
	struct tdm_span *s = &ss->base;
	uint32_t mask = m->chanmask;
	if (m->type == SIM_ATTACH_ERR)
		return m->error > 0 ? -m->error : -EPROTO;
	if (m->type != SIM_ATTACH_OK || m->layout != s->conf.layout ||
	    m->blocksize != s->conf.blocksize)
		return -EPROTO;
	if (mask & ~((uint32_t)((1ull << (s->ntimeslots + 1)) - 1) & ~1u))
		return -EPROTO;
	if (m->dchan < 1 || m->dchan > s->ntimeslots || (mask >> m->dchan) & 1u)
		return -EPROTO;
	if (nfds != 1 + __builtin_popcount(mask))
		return -EPROTO;
	ss->dfd = fds[0];
	int k = 1;
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++)
		if ((mask >> ts) & 1u)
			ss->bfd[ts] = fds[k++];
	s->dchan = m->dchan;
	s->bchan_mask = mask;
	s->law = m->law == TDM_LAW_ULAW ? TDM_LAW_ULAW : TDM_LAW_ALAW;
	if (set_nonblock(ss->dfd) || set_nonblock(ss->cfd))
		return -errno;
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++)
		if (ss->bfd[ts] >= 0 && set_nonblock(ss->bfd[ts]))
			return -errno;
	char text[sizeof(m->text) + 1];
	memcpy(text, m->text, sizeof(m->text));
	text[sizeof(m->text)] = '\0';
	snprintf(s->desc, sizeof(s->desc), "pstnsim span %u %s%s%.24s",
		 s->conf.unit, tdm_layout_name(s->conf.layout),
		 text[0] ? " " : "", text);
	return 0;
}

static int sim_attach(struct sim_span *ss)
{
	const struct tdm_span_conf *c = &ss->base.conf;
	struct sim_msg m = {
	    .magic = SIM_PROTO_MAGIC,
	    .version = SIM_PROTO_VERSION,
	    .type = SIM_ATTACH,
	    .span = c->unit,
	    .layout = c->layout,
	    .blocksize = c->blocksize,
	};
	if (send(ss->cfd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		return -errno ? -errno : -EIO;
	int fds[TDM_MAX_TIMESLOTS + 1], nfds = 0;
	int rc = sim_recv_answer(ss->cfd, &m, fds, &nfds);
	if (!rc)
		rc = sim_take_fds(ss, &m, fds, nfds);
	if (rc) {
		/* descriptors not taken into ss are ours to close */
		for (int i = 0; i < nfds; i++) {
			bool taken = fds[i] == ss->dfd;
			for (unsigned ts = 0; ts <= TDM_MAX_TIMESLOTS; ts++)
				taken = taken || fds[i] == ss->bfd[ts];
			if (!taken)
				close(fds[i]);
		}
	}
	return rc;
}

/* Opens a span by attaching to pstnsim's socket (conf->device). */
static int sim_open(struct tdm_span **sp, const struct tdm_span_conf *conf)
{
	if (conf->blocksize < TDM_MIN_BLOCK || conf->blocksize > TDM_MAX_BLOCK)
		return -EINVAL;
	struct sim_span *ss = calloc(1, sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	struct tdm_span *s = &ss->base;
	s->ops = &tdm_sim_ops;
	s->conf = *conf;
	s->conf.device = NULL; /* not ours to keep */
	s->ntimeslots = tdm_layout_timeslots(conf->layout);
	s->alarms = TDM_ALARM_NOTOPEN;
	ss->dfd = -1;
	for (unsigned ts = 0; ts <= TDM_MAX_TIMESLOTS; ts++)
		ss->bfd[ts] = -1;
	ss->cfd = sim_connect(conf->device);
	int rc = ss->cfd < 0 ? ss->cfd : sim_attach(ss);
	if (rc) {
		sim_close(s);
		return rc;
	}
	*sp = s;
	return 0;
}

static int sim_dchan_fd(const struct tdm_span *s)
{
	return ((const struct sim_span *)s)->dfd;
}

static int sim_event_fd(const struct tdm_span *s)
{
	return ((const struct sim_span *)s)->cfd;
}

/* Reads every STATUS waiting on the attach connection. */
static void sim_poll_status(struct sim_span *ss)
{
	struct sim_msg m;
	for (;;) {
		ssize_t n = recv(ss->cfd, &m, sizeof(m), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			ss->gone = true;
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if ((size_t)n != sizeof(m) || m.magic != SIM_PROTO_MAGIC ||
		    m.type != SIM_STATUS)
			continue; /* not ours to act on; the protocol is 1:1 */
		if (m.alarms != ss->base.alarms || ss->alarm_pending) {
			ss->pending_alarms = m.alarms;
			ss->alarm_pending = true;
		}
		if (m.slips > ss->slips_reported) {
			ss->base.cnt.slips += m.slips - ss->slips_reported;
			ss->slips_reported = m.slips;
			ss->slip_pending = true;
		}
	}
}

static int sim_get_event(struct tdm_span *s, struct tdm_event *ev)
{
	struct sim_span *ss = to_ss(s);
	if (!ss->gone)
		sim_poll_status(ss);
	memset(ev, 0, sizeof(*ev));
	if (ss->alarm_pending) {
		ss->alarm_pending = false;
		if (ss->pending_alarms != s->alarms) {
			s->alarms = ss->pending_alarms;
			s->cnt.alarm_changes++;
			ev->type = TDM_EV_ALARM;
			ev->alarms = s->alarms;
			return 1;
		}
	}
	if (ss->slip_pending) {
		ss->slip_pending = false;
		ev->type = TDM_EV_SLIP;
		ev->alarms = s->alarms;
		return 1;
	}
	if (ss->gone) {
		ev->type = TDM_EV_GONE;
		ev->alarms = s->alarms | TDM_ALARM_NOTOPEN;
		return 1;
	}
	return 0;
}

static ssize_t sim_dchan_read(struct tdm_span *s, void *buf, size_t len)
{
	struct sim_span *ss = to_ss(s);
	ssize_t n = recv(ss->dfd, buf, len, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n == 0) {
		ss->gone = true; /* peer closed: EOF */
		return -EPIPE;
	}
	if ((size_t)n > len || n < 3) {
		/* longer than a frame can be, or shorter than a header + FCS */
		s->cnt.dchan_rx_errors++;
		return -EBADMSG;
	}
	s->cnt.dchan_rx_frames++;
	return n;
}

static ssize_t sim_dchan_write(struct tdm_span *s, const void *buf, size_t len)
{
	struct sim_span *ss = to_ss(s);
	ssize_t n = send(ss->dfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		s->cnt.dchan_tx_errors++;
		return -errno;
	}
	s->cnt.dchan_tx_frames++;
	return n;
}

static int sim_bchan_open(struct tdm_span *s, unsigned ts,
			  struct tdm_bchan **bp)
{
	struct sim_span *ss = to_ss(s);
	if (!tdm_is_bchan(s, ts) || ss->bfd[ts] < 0)
		return -EINVAL;
	if (ss->bopen[ts])
		return -EBUSY;
	struct sim_bchan *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->base.span = s;
	b->base.ts = ts;
	b->base.fd = ss->bfd[ts];
	b->base.blocksize = s->conf.blocksize;
	b->base.sock_io = true;
	/* pstnsim's clock shares the machine: a block it sends late is late
	 * from the span, not waiting in the gateway, and the stamp says
	 * which (a DAHDI card's clock is the hardware's, never late) */
	int on = 1;
	b->base.rx_stamped = setsockopt(b->base.fd, SOL_SOCKET, SO_TIMESTAMPNS,
					&on, sizeof(on)) == 0;
	ss->bopen[ts] = true;
	*bp = &b->base;
	return 0;
}

static void sim_bchan_close(struct tdm_bchan *b)
{
	struct sim_span *ss = to_ss(b->span);
	ss->bopen[b->ts] = false;
	free(b);
}

static ssize_t sim_bchan_read(struct tdm_bchan *b, uint8_t *buf, size_t len)
{
	ssize_t n = recv(b->fd, buf, len, MSG_DONTWAIT | MSG_TRUNC);
	return tdm_bchan_recv_result(b, n < 0 ? -errno : n, len);
}

static ssize_t sim_bchan_write(struct tdm_bchan *b, const uint8_t *buf,
			       size_t len)
{
	ssize_t n = send(b->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return tdm_bchan_send_result(b, n < 0 ? -errno : n);
}

static int sim_bchan_flush(struct tdm_bchan *b)
{
	uint8_t buf[TDM_MAX_BLOCK];
	while (recv(b->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	return 0;
}

const struct tdm_span_ops tdm_sim_ops = {
    .name = "sim",
    .open = sim_open,
    .close = sim_close,
    .dchan_fd = sim_dchan_fd,
    .event_fd = sim_event_fd,
    .get_event = sim_get_event,
    .dchan_read = sim_dchan_read,
    .dchan_write = sim_dchan_write,
    .bchan_open = sim_bchan_open,
    .bchan_close = sim_bchan_close,
    .bchan_read = sim_bchan_read,
    .bchan_write = sim_bchan_write,
    .bchan_flush = sim_bchan_flush,
};
