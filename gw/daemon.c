/*
 * Daemon life cycle: wiring the parts together, signals (through a
 * signalfd on the loop), live reload and graceful shutdown.
 */
#include <errno.h>
#include <libpri.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "call/call.h"
#include "conf.h"
#include "ctl/ctl.h"
#include "daemon.h"
#include "isdn/isdn.h"
#include "log.h"
#include "loop.h"
#include "media/media.h"

static const struct isdn_handlers isdn_h = {
    .call_event = call_on_isdn,
    .span_changed = NULL,
};

static const struct media_handlers media_h = {
    .stopped = call_on_media_stopped,
    .rtp_timeout = call_on_media_rtp_timeout,
    .tone = call_on_media_tone,
};

/* Signal handling state lives with the loop's lifetime. */
static struct {
	struct gw *gw;
	int fd;
	struct loop_io io;
	struct loop_timer shutdown_poll;
	uint64_t shutdown_deadline_ms;
} sig = {.fd = -1};

static void on_signal(struct loop_io *io, uint32_t events)
{
	struct signalfd_siginfo si;
	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		struct gw *gw = sig.gw;
		char notes[1024], err[512];
		switch (si.ssi_signo) {
		case SIGHUP:
			log_notice("SIGHUP: reloading %s", gw->conf_path);
			if (gw_reload(gw, notes, sizeof(notes), err,
				      sizeof(err)))
				log_err("reload failed, keeping the running "
					"configuration: %s",
					err);
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("%s: shutting down", si.ssi_signo == SIGTERM
							    ? "SIGTERM"
							    : "SIGINT");
			gw_shutdown(gw);
			break;
		default:
			break;
		}
	}
}

static int signals_init(struct gw *gw)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sig.gw = gw;
	sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig.fd < 0)
		return -errno;
	return loop_io_add(gw->loop, &sig.io, sig.fd, EPOLLIN, on_signal, NULL);
}

int gw_init(struct gw *gw, struct conf *conf, const char *conf_path, char *err,
	    size_t cap)
{
	int rc;
	memset(gw, 0, sizeof(*gw));
	gw->conf = conf;
	snprintf(gw->conf_path, sizeof(gw->conf_path), "%s", conf_path);
	if ((rc = loop_new(&gw->loop))) {
		snprintf(err, cap, "event loop: %s", strerror(-rc));
		return rc;
	}
	gw->started_ms = loop_now_ms(gw->loop);
	if ((rc = signals_init(gw))) {
		snprintf(err, cap, "signals: %s", strerror(-rc));
		return rc;
	}
	if ((rc = call_table_new(gw)) ||
	    (rc = isdn_new(&gw->isdn, gw->loop, &isdn_h, gw))) {
		snprintf(err, cap, "out of memory");
		return rc;
	}
	_Static_assert((int)CONF_MEDIA_IO_AUTO == (int)MEDIA_IO_AUTO &&
			   (int)CONF_MEDIA_IO_URING == (int)MEDIA_IO_URING &&
			   (int)CONF_MEDIA_IO_SYSCALLS ==
			       (int)MEDIA_IO_SYSCALLS,
		       "conf_media_io and media_io_mode differ");
	if ((rc = media_new(&gw->media, gw->loop, conf->general.media_workers,
			    (enum media_io_mode)conf->general.media_io,
			    &media_h, gw))) {
		snprintf(err, cap, "media workers: %s", strerror(-rc));
		return rc;
	}
	const struct ctl_table t = {
	    .cmds = ctl_cmds,
	    .ncmds = ctl_ncmds,
	    .arg = gw,
	    .who = "gwd",
	};
	if ((rc = ctl_new(&gw->ctl, gw->loop, &t, conf->general.control_socket,
			  err, cap)))
		return rc;
	if ((rc = gw_sip_init(gw, err, cap)))
		return rc;
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++) {
		if (conf->span[no] &&
		    (rc = isdn_span_add(gw->isdn, conf->span[no],
					tdm_backend(conf->span[no]->driver)))) {
			snprintf(err, cap, "span %u: %s", no, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Whether two span sections describe the same span the same way. */
static bool span_same(const struct conf_span *a, const struct conf_span *b)
{
	return a->layout == b->layout && a->switchtype == b->switchtype &&
	       a->side == b->side && a->unit == b->unit &&
	       a->basechan == b->basechan && a->channels == b->channels &&
	       a->blocksize == b->blocksize && a->tx_prefill == b->tx_prefill &&
	       a->restart_on_up == b->restart_on_up &&
	       a->link_settle_ms == b->link_settle_ms &&
	       a->service_messages == b->service_messages &&
	       a->t200_ms == b->t200_ms && a->t203_ms == b->t203_ms &&
	       a->n200 == b->n200 && !strcmp(a->driver, b->driver) &&
	       !strcmp(a->device, b->device) && !strcmp(a->pcap, b->pcap);
}

static void note(char *notes, size_t cap, const char *msg, unsigned no)
{
	size_t n = strlen(notes);
	if (n < cap)
		snprintf(notes + n, cap - n, "%s%s", n ? "; " : "", msg);
	(void)no;
}

static void reload_notes(const struct conf *old, const struct conf *new,
			 char *notes, size_t cap)
{
	char msg[128];
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++) {
		const struct conf_span *a = old->span[no], *b = new->span[no];
		if (!a && !b)
			continue;
		const char *what = !a		     ? "added"
				   : !b		     ? "removed"
				   : span_same(a, b) ? NULL
						     : "changed";
		if (!what)
			continue;
		snprintf(msg, sizeof(msg), "span %u %s: restart gwd to apply",
			 no, what);
		note(notes, cap, msg, no);
	}
	if (strcmp(old->general.control_socket, new->general.control_socket))
		note(notes, cap, "control_socket changed: restart to apply", 0);
	if (old->general.media_workers != new->general.media_workers)
		note(notes, cap, "media_workers changed: restart to apply", 0);
	if (old->general.media_io != new->general.media_io)
		note(notes, cap, "media_io changed: restart to apply", 0);
	if (memcmp(old->sip.listen, new->sip.listen, sizeof(old->sip.listen)))
		note(notes, cap, "sip listen changed: restart to apply", 0);
	if (!notes[0])
		snprintf(notes, cap, "applied");
}

int gw_reload(struct gw *gw, char *notes, size_t notes_cap, char *err,
	      size_t cap)
{
	struct conf *c;
	int rc = conf_load(&c, gw->conf_path, err, cap);
	if (rc)
		return rc;
	notes[0] = '\0';
	reload_notes(gw->conf, c, notes, notes_cap);
	log_set_level((enum log_level)c->general.log_level);
	conf_free(gw->conf);
	gw->conf = c;
	gw->reloads++;
	if ((rc = call_table_reload(gw)))
		log_err("reload: trunk groups: %s", strerror(-rc));
	log_notice("configuration reloaded: %s", notes);
	return 0;
}

static void shutdown_poll(struct loop_timer *t)
{
	struct gw *gw = t->arg;
	unsigned left = isdn_call_count(gw->isdn) + call_count(gw);
	if (left && loop_now_ms(gw->loop) < sig.shutdown_deadline_ms) {
		loop_timer_start(gw->loop, t, 20);
		return;
	}
	if (left)
		log_warn("shutdown: %u calls did not clear in %d ms", left,
			 GW_SHUTDOWN_GRACE_MS);
	loop_stop(gw->loop);
}

void gw_shutdown(struct gw *gw)
{
	if (gw->shutting_down)
		return;
	gw->shutting_down = true;
	unsigned n = call_hangup_all(gw, PRI_CAUSE_NORMAL_CLEARING);
	n += isdn_hangup_all(gw->isdn, PRI_CAUSE_NORMAL_CLEARING);
	if (n)
		log_notice("shutdown: clearing %u calls", n);
	sig.shutdown_deadline_ms = loop_now_ms(gw->loop) + GW_SHUTDOWN_GRACE_MS;
	loop_timer_init(&sig.shutdown_poll, shutdown_poll, gw);
	loop_timer_start(gw->loop, &sig.shutdown_poll, 0);
}

void gw_fini(struct gw *gw)
{
	/* order: nothing may use a B-channel after its span is closed */
	ctl_free(gw->ctl);
	gw->ctl = NULL;
	gw_sip_fini(gw);
	media_free(gw->media);
	gw->media = NULL;
	call_table_free(gw);
	isdn_free(gw->isdn);
	gw->isdn = NULL;
	if (sig.fd >= 0) {
		loop_io_del(gw->loop, &sig.io);
		close(sig.fd);
		sig.fd = -1;
	}
	if (gw->loop)
		loop_timer_stop(gw->loop, &sig.shutdown_poll);
	loop_free(gw->loop);
	gw->loop = NULL;
	conf_free(gw->conf);
	gw->conf = NULL;
}
