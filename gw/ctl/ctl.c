/*
 * Control socket server: accepts connections, frames requests by newline,
 * dispatches them through the command table and queues replies, all
 * non-blocking on the signalling thread's loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"

#define CTL_MAX_TOKENS 256

/* One client connection. Owned by struct ctl (its list). */
struct ctl_conn {
	struct ctl_conn *next;
	struct ctl *ctl;
	struct loop_io io;
	char *rbuf;
	size_t rlen;
	struct json_out w; /* replies not yet written */
	size_t wpos;
	bool closing; /* close once w is flushed */
	struct loop_defer free_defer;
};

struct ctl {
	struct loop *loop;
	struct ctl_table table;
	int fd;
	struct loop_io io;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_conn *conns;
	unsigned nconns;
};

static void conn_free_deferred(struct loop_defer *d)
{
	struct ctl_conn *cc = d->arg;
	json_out_free(&cc->w);
	free(cc->rbuf);
	free(cc);
}

static void conn_close(struct ctl_conn *cc)
{
	struct ctl *c = cc->ctl;
	for (struct ctl_conn **pp = &c->conns; *pp; pp = &(*pp)->next) {
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	}
	c->nconns--;
	loop_io_del(c->loop, &cc->io);
	close(cc->io.fd);
	/* the connection's own callback may be running */
	loop_defer(c->loop, &cc->free_defer, conn_free_deferred, cc);
}

/* Copies the request's "id" member, whatever its type, into the reply. */
static void echo_id(struct json_out *out, const struct json_doc *d, int req)
{
	int id = d ? json_obj_get(d, req, "id") : -1;
	if (id < 0)
		return;
	bool quoted = d->tok[id].type == JSON_STR;
	json_key(out, "id");
	json_raw(out, d->text + d->tok[id].off - quoted,
		 d->tok[id].len + (quoted ? 2 : 0));
}

static void reply_error(struct json_out *out, const struct json_doc *d, int req,
			const char *msg)
{
	json_obj_begin(out);
	json_kv_bool(out, "ok", false);
	echo_id(out, d, req);
	json_kv_str(out, "error", msg);
	json_obj_end(out);
}

int ctl_arg_uint(const struct json_doc *d, int req, const char *key,
		 unsigned min, unsigned max, unsigned *out, char *err,
		 size_t cap)
{
	long long v;
	int t = json_obj_get(d, req, key);
	if (t < 0 || json_get_int(d, t, &v) || v < min || v > max) {
		snprintf(err, cap, "%s: want a number %u..%u", key, min, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

void ctl_help_put(const struct ctl_cmd *cmds, unsigned n, struct json_out *o)
{
	json_key(o, "commands");
	json_arr_begin(o);
	for (unsigned i = 0; i < n; i++) {
		json_obj_begin(o);
		json_kv_str(o, "cmd", cmds[i].name);
		json_kv_str(o, "args", cmds[i].args);
		json_kv_str(o, "help", cmds[i].help);
		json_obj_end(o);
	}
	json_arr_end(o);
}

void ctl_handle_line(const struct ctl_table *t, const char *line, size_t len,
		     struct json_out *out)
{
	struct json_tok tok[CTL_MAX_TOKENS];
	struct json_doc d;
	const char *perr = NULL;
	char err[512];
	if (json_parse(&d, line, len, tok, CTL_MAX_TOKENS, &perr) != 0) {
		snprintf(err, sizeof(err), "bad request: %s",
			 perr ? perr : "not JSON");
		reply_error(out, NULL, 0, err);
		goto end;
	}
	if (d.tok[0].type != JSON_OBJ) {
		reply_error(out, &d, 0, "bad request: not a JSON object");
		goto end;
	}
	char name[32];
	if (!json_obj_str(&d, 0, "cmd", name, sizeof(name), NULL)) {
		reply_error(out, &d, 0, "bad request: no \"cmd\"");
		goto end;
	}
	const struct ctl_cmd *cmd = NULL;
	for (unsigned i = 0; i < t->ncmds; i++)
		if (strcmp(t->cmds[i].name, name) == 0)
			cmd = &t->cmds[i];
	if (!cmd) {
		snprintf(err, sizeof(err), "unknown command '%s' (try help)",
			 name);
		reply_error(out, &d, 0, err);
		goto end;
	}
	struct json_out body;
	json_out_init(&body);
	json_obj_begin(&body);
	json_kv_bool(&body, "ok", true);
	echo_id(&body, &d, 0);
	err[0] = '\0';
	int rc = cmd->fn(t->arg, &d, 0, &body, err, sizeof(err));
	json_obj_end(&body);
	if (rc || body.err) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s",
				 strerror(rc ? -rc : -body.err));
		reply_error(out, &d, 0, err);
	} else {
		json_raw(out, body.buf, body.len);
	}
	json_out_free(&body);
end:
	json_end_line(out);
}

static void conn_flush(struct ctl_conn *cc)
{
	while (cc->wpos < cc->w.len) {
		ssize_t n = send(cc->io.fd, cc->w.buf + cc->wpos,
				 cc->w.len - cc->wpos, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			conn_close(cc);
			return;
		}
		cc->wpos += (size_t)n;
	}
	if (cc->wpos == cc->w.len) {
		json_out_reset(&cc->w);
		cc->wpos = 0;
		if (cc->closing) {
			conn_close(cc);
			return;
		}
	}
	loop_io_mod(cc->ctl->loop, &cc->io,
		    cc->w.len ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

static void conn_lines(struct ctl_conn *cc)
{
	size_t start = 0;
	for (size_t i = 0; i < cc->rlen; i++) {
		if (cc->rbuf[i] != '\n')
			continue;
		size_t n = i - start;
		if (n && cc->rbuf[start + n - 1] == '\r')
			n--;
		if (n)
			ctl_handle_line(&cc->ctl->table, cc->rbuf + start, n,
					&cc->w);
		start = i + 1;
	}
	memmove(cc->rbuf, cc->rbuf + start, cc->rlen - start);
	cc->rlen -= start;
}

static void conn_io(struct loop_io *io, uint32_t events)
{
	struct ctl_conn *cc = io->arg;
	if (events & EPOLLIN) {
		ssize_t n = recv(io->fd, cc->rbuf + cc->rlen,
				 CTL_MAX_LINE - cc->rlen, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			cc->closing = true; /* peer done: flush and close */
		} else if (n > 0) {
			cc->rlen += (size_t)n;
			conn_lines(cc);
			if (cc->rlen == CTL_MAX_LINE) {
				reply_error(&cc->w, NULL, 0,
					    "request line too long");
				json_end_line(&cc->w);
				cc->closing = true;
			}
		}
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))
		cc->closing = true;
	conn_flush(cc);
}

static void on_accept(struct loop_io *io, uint32_t events)
{
	struct ctl *c = io->arg;
	(void)events;
	for (;;) {
		int fd =
		    accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ctl_conn *cc = NULL;
		if (c->nconns >= CTL_MAX_CONNS ||
		    !(cc = calloc(1, sizeof(*cc))) ||
		    !(cc->rbuf = malloc(CTL_MAX_LINE))) {
			log_warn("control: connection refused (%u open)",
				 c->nconns);
			if (cc)
				free(cc);
			close(fd);
			continue;
		}
		cc->ctl = c;
		json_out_init(&cc->w);
		if (loop_io_add(c->loop, &cc->io, fd, EPOLLIN, conn_io, cc)) {
			free(cc->rbuf);
			free(cc);
			close(fd);
			continue;
		}
		cc->next = c->conns;
		c->conns = cc;
		c->nconns++;
	}
}

/* Removes a socket file no daemon answers on; fails if one does. */
static int claim_path(const struct sockaddr_un *sa, const char *who, char *err,
		      size_t cap)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, cap, "%s: another %s is running there",
			 sa->sun_path, who);
		return -EADDRINUSE;
	}
	if (e == ECONNREFUSED)
		unlink(sa->sun_path);
	return 0;
}

int ctl_new(struct ctl **cp, struct loop *loop, const struct ctl_table *t,
	    const char *path, char *err, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, cap, "%s: path too long for a socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int rc = claim_path(&sa, t->who, err, cap);
	if (rc)
		return rc;
	struct ctl *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->table = *t;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0117); /* owner and group only */
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->fd, 16) < 0) {
		rc = -errno;
		umask(old);
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return rc;
	}
	umask(old);
	rc = loop_io_add(loop, &c->io, c->fd, EPOLLIN, on_accept, c);
	if (rc) {
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
		close(c->fd);
		unlink(path);
		free(c);
		return rc;
	}
	*cp = c;
	return 0;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->conns) {
		struct ctl_conn *cc = c->conns;
		c->conns = cc->next;
		loop_io_del(c->loop, &cc->io);
		close(cc->io.fd);
		json_out_free(&cc->w);
		free(cc->rbuf);
		free(cc);
	}
	loop_io_del(c->loop, &c->io);
	close(c->fd);
	unlink(c->path);
	free(c);
}
