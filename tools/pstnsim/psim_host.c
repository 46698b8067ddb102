/*
 * The sim attach server: gwd's `sim` span back end connects here (a
 * SOCK_SEQPACKET UNIX socket, drivers/sim_proto.h), names one of our spans
 * and gets that span's D-channel and B-channels as descriptors. A
 * connection stays pending until its SIM_ATTACH arrives; then the span
 * owns it for the attachment's life.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/sim_proto.h"
#include "log.h"
#include "psim.h"

#define HOST_MAX_PENDING 64

/* A connection waiting for its SIM_ATTACH. Owned by the pending list. */
struct pending {
	struct loop_io io;
	struct psim *p;
	struct loop_defer free_defer;
};

static unsigned npending;

static void pending_free_deferred(struct loop_defer *d)
{
	free(d->arg);
}

static void pending_done(struct pending *pc, bool close_fd)
{
	loop_io_del(pc->p->loop, &pc->io);
	if (close_fd)
		close(pc->io.fd);
	npending--;
	loop_defer(pc->p->loop, &pc->free_defer, pending_free_deferred, pc);
}

static void attach_err(int fd, const struct sim_msg *req, int err,
		       const char *why)
{
	struct sim_msg m = {
	    .magic = SIM_PROTO_MAGIC,
	    .version = SIM_PROTO_VERSION,
	    .type = SIM_ATTACH_ERR,
	    .span = req ? req->span : 0,
	    .error = err,
	};
	snprintf(m.text, sizeof(m.text), "%.*s", (int)sizeof(m.text) - 1, why);
	send(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void pending_ready(struct loop_io *io, uint32_t events)
{
	struct pending *pc = io->arg;
	struct psim *p = pc->p;
	struct sim_msg m;
	char why[128];
	(void)events;
	ssize_t n = recv(io->fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(m) || m.magic != SIM_PROTO_MAGIC ||
	    m.version != SIM_PROTO_VERSION || m.type != SIM_ATTACH) {
		if (n > 0)
			attach_err(io->fd, NULL, EPROTO, "bad attach message");
		pending_done(pc, true);
		return;
	}
	loop_io_del(p->loop, &pc->io); /* before the span watches this fd */
	struct psim_span *s =
	    m.span >= 1 && m.span <= PSIM_MAX_SPANS ? p->span[m.span] : NULL;
	int rc;
	if (!s) {
		snprintf(why, sizeof(why), "no span %u here", m.span);
		rc = -ENOENT;
	} else if (m.layout != p->conf.span[m.span].layout) {
		snprintf(why, sizeof(why), "span %u is %s", m.span,
			 tdm_layout_name(p->conf.span[m.span].layout));
		rc = -EINVAL;
	} else {
		rc = psim_span_attach(s, io->fd, m.blocksize, why, sizeof(why));
	}
	if (rc) {
		log_warn("sim attach refused: %s", why);
		attach_err(io->fd, &m, -rc, why);
		pending_done(pc, true);
		return;
	}
	pending_done(pc, false); /* the span owns the fd now */
}

static void on_accept(struct loop_io *io, uint32_t events)
{
	struct psim *p = io->arg;
	(void)events;
	for (;;) {
		int fd =
		    accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct pending *pc = NULL;
		if (npending >= HOST_MAX_PENDING ||
		    !(pc = calloc(1, sizeof(*pc)))) {
			close(fd);
			continue;
		}
		pc->p = p;
		if (loop_io_add(p->loop, &pc->io, fd, EPOLLIN, pending_ready,
				pc)) {
			free(pc);
			close(fd);
			continue;
		}
		npending++;
	}
}

int psim_host_listen(struct psim *p, const char *path, char *err, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, cap, "%s: path too long for a socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	int fd =
	    socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		int rc = -errno;
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	int rc = loop_io_add(p->loop, &p->sim_io, fd, EPOLLIN, on_accept, p);
	if (rc) {
		close(fd);
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
		return rc;
	}
	p->sim_fd = fd;
	snprintf(p->sim_path, sizeof(p->sim_path), "%s", path);
	return 0;
}

void psim_host_close(struct psim *p)
{
	if (p->sim_fd < 0)
		return;
	loop_io_del(p->loop, &p->sim_io);
	close(p->sim_fd);
	unlink(p->sim_path);
	p->sim_fd = -1;
}
