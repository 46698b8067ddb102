/*
 * Span lifecycle: opening the back end (and reopening it when it goes
 * away), feeding D-channel frames to libpri and libpri's timers from the
 * loop, tracking the link (down, settling, up) and alarms, and dispatching
 * libpri events to channel and call handling.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "isdn/isdn_pcap.h"
#include "isdn_int.h"
#include "log.h"

static void span_close_backend(struct isdn_span *s);

/* ---- D-channel capture (conf pcap) ---- */

/* Records a frame as libpri sees it: 2 FCS bytes at the end (tdm.h). */
static void pcap_frame(const struct isdn_span *s, bool out, const void *buf,
		       int len)
{
	if (s->pcap && len >= 2)
		isdn_pcap_write(s->pcap, out, buf, (size_t)len - 2);
}

static void pcap_open(struct isdn_span *s)
{
	if (!s->conf.pcap[0])
		return;
	int rc = isdn_pcap_open(&s->pcap, s->conf.pcap,
				s->conf.side == CONF_SIDE_NET);
	if (rc)
		isdn_log(LOG_LVL_WARN, s, "no D-channel capture to %s: %s",
			 s->conf.pcap, strerror(-rc));
}

/* ---- libpri I/O callbacks ---- */

static int pri_io_read(struct pri *pri, void *buf, int len)
{
	struct isdn_span *s = pri_get_userdata(pri);
	if (!s->tdm) {
		s->read_empty = true;
		return 0;
	}
	ssize_t n = tdm_dchan_read(s->tdm, buf, (size_t)len);
	if (n <= 0) {
		s->read_empty = true;
		if (n < 0 && n != -EAGAIN)
			isdn_log(LOG_LVL_WARN, s, "D-channel read: %s",
				 strerror((int)-n));
		return 0;
	}
	pcap_frame(s, false, buf, (int)n);
	return (int)n;
}

static int pri_io_write(struct pri *pri, void *buf, int len)
{
	struct isdn_span *s = pri_get_userdata(pri);
	if (!s->tdm)
		return len; /* no span: the frame is lost on a dead line */
	ssize_t n = tdm_dchan_write(s->tdm, buf, (size_t)len);
	if (n < 0) {
		isdn_log(LOG_LVL_WARN, s, "D-channel write: %s",
			 strerror((int)-n));
		return 0;
	}
	pcap_frame(s, true, buf, len);
	return (int)n;
}

/* libpri's message hooks are process-wide; the span comes from userdata. */
static void pri_log_msg(struct pri *pri, char *msg)
{
	struct isdn_span *s = pri ? pri_get_userdata(pri) : NULL;
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	if (s)
		log_debug("span %u: libpri: %.*s", s->conf.no, (int)n, msg);
	else
		log_debug("libpri: %.*s", (int)n, msg);
}

static void pri_log_err(struct pri *pri, char *msg)
{
	struct isdn_span *s = pri ? pri_get_userdata(pri) : NULL;
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	if (s)
		log_notice("span %u: libpri: %.*s", s->conf.no, (int)n, msg);
	else
		log_notice("libpri: %.*s", (int)n, msg);
}

/* ---- link state ---- */

void isdn_span_notify(struct isdn_span *s)
{
	if (s->isdn->h->span_changed && !s->isdn->freeing)
		s->isdn->h->span_changed(s->isdn->arg, s);
}

static void set_link(struct isdn_span *s, enum isdn_link link)
{
	if (s->link == link)
		return;
	isdn_log(LOG_LVL_NOTICE, s, "link %s -> %s", isdn_link_name(s->link),
		 isdn_link_name(link));
	bool was_up = s->link == ISDN_LINK_UP;
	s->link = link;
	s->link_since_ms = loop_now_ms(s->isdn->loop);
	if (link == ISDN_LINK_UP)
		isdn_chan_link_up(s);
	else if (was_up)
		isdn_chan_link_down(s);
	isdn_span_notify(s);
}

static void settle_done(struct loop_timer *t)
{
	struct isdn_span *s = t->arg;
	if (s->link == ISDN_LINK_SETTLING)
		set_link(s, ISDN_LINK_UP);
}

static void on_dchan_up(struct isdn_span *s)
{
	s->dchan_up = true;
	s->cnt.dchan_ups++;
	if (s->link == ISDN_LINK_CLOSED)
		return;
	/* Q.921 §5.5: both sides send SABME at start-up; a SETUP sent during
	 * that collision is lost. Give the link time to become stable. */
	set_link(s, ISDN_LINK_SETTLING);
	loop_timer_start(s->isdn->loop, &s->settle_timer,
			 s->conf.link_settle_ms);
}

static void on_dchan_down(struct isdn_span *s)
{
	s->dchan_up = false;
	s->cnt.dchan_downs++;
	loop_timer_stop(s->isdn->loop, &s->settle_timer);
	if (s->link != ISDN_LINK_CLOSED)
		set_link(s, ISDN_LINK_DOWN);
}

/* ---- events from libpri ---- */

static void handle_pri_event(struct isdn_span *s, pri_event *e)
{
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		on_dchan_up(s);
		break;
	case PRI_EVENT_DCHAN_DOWN:
		on_dchan_down(s);
		break;
	case PRI_EVENT_RESTART:
		s->cnt.restarts_rx++;
		isdn_chan_on_restart(s, e->restart.channel);
		break;
	case PRI_EVENT_RESTART_ACK:
		isdn_chan_on_restart_ack(s, e->restartack.channel);
		break;
	case PRI_EVENT_SERVICE:
		s->cnt.service_rx++;
		isdn_chan_on_service(s, e->service.channel,
				     e->service.changestatus, false);
		break;
	case PRI_EVENT_SERVICE_ACK:
		isdn_chan_on_service(s, e->service_ack.channel,
				     e->service_ack.changestatus, true);
		break;
	case PRI_EVENT_CONFIG_ERR:
		isdn_log(LOG_LVL_ERR, s, "libpri configuration error: %s",
			 e->err.err);
		break;
	default:
		isdn_call_on_event(s, e);
		break;
	}
}

/* Re-arms the span's timer from libpri's schedule. */
void isdn_span_rearm(struct isdn_span *s)
{
	struct timeval *next = pri_schedule_next(s->pri);
	if (!next) {
		loop_timer_stop(s->isdn->loop, &s->pri_timer);
		return;
	}
	struct timeval now;
	gettimeofday(&now, NULL);
	int64_t us = (int64_t)(next->tv_sec - now.tv_sec) * 1000000 +
		     (next->tv_usec - now.tv_usec);
	if (us < 0)
		us = 0;
	loop_timer_start_ns(s->isdn->loop, &s->pri_timer, (uint64_t)us * 1000);
}

static void pri_timer_fired(struct loop_timer *t)
{
	struct isdn_span *s = t->arg;
	pri_event *e;
	/* each call runs the due timers; an event stops it early */
	for (int i = 0; i < 64 && (e = pri_schedule_run(s->pri)); i++)
		handle_pri_event(s, e);
	isdn_span_rearm(s);
}

static void drain_tdm_events(struct isdn_span *s)
{
	struct tdm_event ev;
	int rc = 0;
	while (s->tdm && (rc = tdm_get_event(s->tdm, &ev)) > 0) {
		char a[64];
		switch (ev.type) {
		case TDM_EV_ALARM:
			isdn_log(LOG_LVL_NOTICE, s, "alarms: %s",
				 tdm_alarm_str(ev.alarms, a, sizeof(a)));
			isdn_span_notify(s);
			break;
		case TDM_EV_DCHAN_ERR:
			isdn_log(LOG_LVL_INFO, s, "D-channel receive error");
			break;
		case TDM_EV_SLIP:
			isdn_log(LOG_LVL_INFO, s, "controlled slip");
			break;
		case TDM_EV_GONE:
			isdn_log(LOG_LVL_WARN, s, "span back end went away");
			span_close_backend(s);
			return;
		}
	}
	if (s->tdm && rc < 0)
		isdn_log(LOG_LVL_WARN, s, "span event: %s", strerror(-rc));
}

static void dchan_ready(struct loop_io *io, uint32_t events)
{
	struct isdn_span *s = io->arg;
	if (events & (EPOLLPRI | EPOLLERR | EPOLLHUP))
		drain_tdm_events(s);
	/* read every frame that is ready; libpri takes one per call */
	s->read_empty = false;
	for (int i = 0; s->tdm && i < 256 && !s->read_empty; i++) {
		pri_event *e = pri_check_event(s->pri);
		if (e)
			handle_pri_event(s, e);
	}
	if (s->tdm)
		drain_tdm_events(s);
	isdn_span_rearm(s);
}

static void event_ready(struct loop_io *io, uint32_t events)
{
	(void)events;
	drain_tdm_events(io->arg);
	isdn_span_rearm(io->arg);
}

/* ---- opening and closing the back end ---- */

static int span_open_backend(struct isdn_span *s)
{
	struct tdm_span_conf tc = {
	    .span_no = s->conf.no,
	    .layout = s->conf.layout,
	    .device = s->conf.device[0] ? s->conf.device : NULL,
	    .unit = s->conf.unit,
	    .basechan = s->conf.basechan,
	    .blocksize = s->conf.blocksize,
	    .tx_prefill = s->conf.tx_prefill,
	};
	struct loop *l = s->isdn->loop;
	int rc = tdm_span_open(s->ops, &s->tdm, &tc);
	if (rc) {
		if (rc != s->last_open_err)
			isdn_log(LOG_LVL_WARN, s,
				 "cannot open %s span: %s "
				 "(retrying every %d ms)",
				 s->ops->name, strerror(-rc), ISDN_REOPEN_MS);
		s->last_open_err = rc;
		return rc;
	}
	s->last_open_err = 0;
	rc = loop_io_add(l, &s->dchan_io, tdm_dchan_fd(s->tdm),
			 EPOLLIN | EPOLLPRI, dchan_ready, s);
	int efd = tdm_event_fd(s->tdm);
	if (!rc && efd >= 0)
		rc = loop_io_add(l, &s->event_io, efd, EPOLLIN, event_ready, s);
	if (rc) {
		isdn_log(LOG_LVL_ERR, s, "cannot watch span: %s",
			 strerror(-rc));
		span_close_backend(s);
		return rc;
	}
	s->cnt.reopens++;
	isdn_log(LOG_LVL_NOTICE, s, "opened %s", s->tdm->desc);
	set_link(s, s->dchan_up ? ISDN_LINK_SETTLING : ISDN_LINK_DOWN);
	if (s->dchan_up) {
		s->cnt.dchan_ups++;
		loop_timer_start(l, &s->settle_timer, s->conf.link_settle_ms);
	}
	drain_tdm_events(s);
	return 0;
}

static void reopen_fired(struct loop_timer *t)
{
	struct isdn_span *s = t->arg;
	if (s->tdm)
		return;
	if (span_open_backend(s))
		loop_timer_start(s->isdn->loop, t, ISDN_REOPEN_MS);
}

static void span_close_backend(struct isdn_span *s)
{
	struct loop *l = s->isdn->loop;
	if (!s->tdm)
		return;
	/* the far end is gone: calls cannot be cleared by signalling */
	isdn_call_drop_all(s, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
	/* No frame passes any more: the D-channel counts as down (status
	 * reports it so) while libpri keeps its Q.921 state in dchan_up
	 * for when the back end returns. */
	if (s->dchan_up)
		s->cnt.dchan_downs++;
	loop_io_del(l, &s->dchan_io);
	loop_io_del(l, &s->event_io);
	tdm_span_close(s->tdm);
	s->tdm = NULL;
	loop_timer_stop(l, &s->settle_timer);
	set_link(s, ISDN_LINK_CLOSED);
	loop_timer_start(l, &s->reopen_timer, ISDN_REOPEN_MS);
}

static void span_set_timers(struct isdn_span *s)
{
	/* Q.931 §5.5 / Table 9-1: T316 = 2 min in the standard; libpri
	 * retransmits RESTART on it when enabled. 30 s is what carriers
	 * configure for PRI. */
	pri_set_timer(s->pri, PRI_TIMER_T316, 30000);
	pri_set_timer(s->pri, PRI_TIMER_N316, 2);
	pri_set_timer(s->pri, PRI_TIMER_T200, (int)s->conf.t200_ms);
	pri_set_timer(s->pri, PRI_TIMER_T203, (int)s->conf.t203_ms);
	pri_set_timer(s->pri, PRI_TIMER_N200, (int)s->conf.n200);
}

int isdn_span_add(struct isdn *i, const struct conf_span *conf,
		  const struct tdm_span_ops *ops)
{
	if (conf->no < 1 || conf->no > CONF_MAX_SPANS || i->span[conf->no])
		return -EINVAL;
	struct isdn_span *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->isdn = i;
	s->conf = *conf;
	s->ops = ops;
	s->link = ISDN_LINK_CLOSED;
	s->link_since_ms = loop_now_ms(i->loop);
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++) {
		s->chan[ts].state = (conf->channels & (1u << ts))
					? ISDN_CH_IDLE
					: ISDN_CH_UNUSED;
		s->chan[ts].since_ms = s->link_since_ms;
	}
	loop_timer_init(&s->pri_timer, pri_timer_fired, s);
	loop_timer_init(&s->reopen_timer, reopen_fired, s);
	loop_timer_init(&s->settle_timer, settle_done, s);
	int node = conf->side == CONF_SIDE_NET ? PRI_NETWORK : PRI_CPE;
	int sw = conf_switch_pri(conf->switchtype, conf->layout);
	/* the fd argument is only reported back by pri_fd(); I/O goes
	 * through the callbacks, so the back end can come and go */
	s->pri = pri_new_cb(-1, node, sw, pri_io_read, pri_io_write, s);
	if (!s->pri) {
		free(s);
		return -ENOMEM;
	}
	pri_set_debug(s->pri, 0);
	pri_hangup_fix_enable(s->pri, 1);
	if (conf->service_messages)
		pri_set_service_message_support(s->pri, 1);
	span_set_timers(s);
	pcap_open(s);
	i->span[conf->no] = s;
	if (span_open_backend(s))
		loop_timer_start(i->loop, &s->reopen_timer, ISDN_REOPEN_MS);
	isdn_span_rearm(s);
	return 0;
}

int isdn_new(struct isdn **ip, struct loop *loop, const struct isdn_handlers *h,
	     void *arg)
{
	struct isdn *i = calloc(1, sizeof(*i));
	if (!i)
		return -ENOMEM;
	i->loop = loop;
	i->h = h;
	i->arg = arg;
	pri_set_message(pri_log_msg);
	pri_set_error(pri_log_err);
	*ip = i;
	return 0;
}

/*
 * libpri 1.6 has no destructor for a controller (struct pri). Retired ones
 * stay listed here, reachable and never called again, until the process
 * exits: one per span ever configured, so the cost is bounded.
 */
static struct pri **retired;
static size_t nretired, retired_cap;

static void retire_pri(struct pri *pri)
{
	if (nretired == retired_cap) {
		size_t cap = retired_cap ? 2 * retired_cap : 16;
		struct pri **r = realloc(retired, cap * sizeof(*r));
		if (!r)
			return; /* unreachable then: a leak report, not a fault
				 */
		retired = r;
		retired_cap = cap;
	}
	retired[nretired++] = pri;
}

void isdn_free(struct isdn *i)
{
	if (!i)
		return;
	i->freeing = true;
	for (unsigned no = 1; no <= CONF_MAX_SPANS; no++) {
		struct isdn_span *s = i->span[no];
		if (!s)
			continue;
		struct loop *l = i->loop;
		loop_timer_stop(l, &s->pri_timer);
		loop_timer_stop(l, &s->reopen_timer);
		loop_timer_stop(l, &s->settle_timer);
		loop_timer_stop(l, &s->restart_timer);
		isdn_call_drop_all(s, PRI_CAUSE_NORMAL_CLEARING);
		if (s->tdm) {
			loop_io_del(l, &s->dchan_io);
			loop_io_del(l, &s->event_io);
			tdm_span_close(s->tdm);
		}
		pri_set_userdata(s->pri, NULL);
		retire_pri(s->pri);
		isdn_pcap_close(s->pcap);
		free(s);
	}
	free(i);
}

struct isdn_span *isdn_span_get(const struct isdn *i, unsigned no)
{
	return no >= 1 && no <= CONF_MAX_SPANS ? i->span[no] : NULL;
}

unsigned isdn_span_next(const struct isdn *i, unsigned after)
{
	for (unsigned no = after + 1; no <= CONF_MAX_SPANS; no++)
		if (i->span[no])
			return no;
	return 0;
}

unsigned isdn_span_no(const struct isdn_span *s)
{
	return s->conf.no;
}

const struct tdm_span *isdn_span_tdm(const struct isdn_span *s)
{
	return s->tdm;
}

bool isdn_span_usable(const struct isdn_span *s)
{
	return s->link == ISDN_LINK_UP && s->tdm &&
	       !(s->tdm->alarms &
		 (TDM_ALARM_RED | TDM_ALARM_BLUE | TDM_ALARM_NOTOPEN));
}

const char *isdn_link_name(enum isdn_link link)
{
	switch (link) {
	case ISDN_LINK_CLOSED:
		return "closed";
	case ISDN_LINK_DOWN:
		return "down";
	case ISDN_LINK_SETTLING:
		return "settling";
	case ISDN_LINK_UP:
		return "up";
	}
	return "?";
}
