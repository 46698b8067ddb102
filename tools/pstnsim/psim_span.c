/*
 * One span of the simulated exchange: libpri on the NETWORK side, the
 * D-channel (a sim client's socketpair or a real DAHDI span), the
 * B-channel clock, fault injection (D-channel down, alarms, frame loss,
 * slips) and maintenance from the network side (RESTART, SERVICE).
 * Every frame that crosses the D-channel is decoded into the event log.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "drivers/sim_proto.h"
#include "isdn/isdn_frame.h"
#include "isdn/isdn_pcap.h"
#include "log.h"
#include "psim.h"
#include "psim_span_int.h"

struct pri *psim_span_pri(struct psim_span *s)
{
	return s->pri;
}

unsigned psim_span_no(const struct psim_span *s)
{
	return s->conf.no;
}

enum tdm_law psim_span_law(const struct psim_span *s)
{
	return s->law;
}

bool psim_span_is_bchan(const struct psim_span *s, unsigned ts)
{
	return ts >= 1 && ts <= s->ntimeslots && ((s->bmask >> ts) & 1u);
}

bool psim_span_up(const struct psim_span *s)
{
	return s->dchan_up && !s->forced_down && !s->alarms;
}

static bool link_blocked(struct psim_span *s)
{
	return s->forced_down || (s->alarms & (TDM_ALARM_RED | TDM_ALARM_BLUE));
}

/* xorshift64: deterministic loss pattern per span */
static bool lose_frame(struct psim_span *s)
{
	if (!s->loss_pct)
		return false;
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng % 100 < s->loss_pct;
}

static void frame_event(struct psim_span *s, const uint8_t *buf, size_t len,
			const char *dir)
{
	struct isdn_frame f;
	if (len < 2 || isdn_frame_decode(&f, buf, len - 2)) /* minus FCS */
		return;
	if (!f.has_q931 && (f.kind != ISDN_FRAME_U || f.lapd[0] == 'U'))
		return; /* RR polls and I-frame acks would flood the log */
	struct json_out *o =
	    psim_event_begin(s->p, f.has_q931 ? "q931" : "lapd");
	json_kv_uint(o, "span", s->conf.no);
	json_kv_str(o, "dir", dir);
	if (!f.has_q931) {
		json_kv_str(o, "frame", f.lapd);
	} else {
		json_kv_str(o, "msg", f.msg);
		json_kv_uint(o, "cref", f.cref);
		if (f.cause >= 0)
			json_kv_int(o, "cause", f.cause);
		if (f.chan >= 0)
			json_kv_int(o, "chan", f.chan);
		if (f.progress >= 0)
			json_kv_int(o, "pi", f.progress);
		if (f.restart_class >= 0)
			json_kv_int(o, "restart_class", f.restart_class);
		if (f.change_status >= 0)
			json_kv_int(o, "change_status", f.change_status);
		if (f.called[0])
			json_kv_str(o, "called", f.called);
		if (f.calling[0])
			json_kv_str(o, "calling", f.calling);
		if (f.redirecting[0])
			json_kv_str(o, "redirecting", f.redirecting);
		if (f.redirecting_reason >= 0)
			json_kv_int(o, "redirecting_reason",
				    f.redirecting_reason);
		if (f.sending_complete)
			json_kv_bool(o, "complete", true);
	}
	psim_event_end(s->p);
}

/* ---- libpri I/O ---- */

static ssize_t dchan_raw_read(struct psim_span *s, void *buf, size_t len)
{
	if (s->tdm)
		return tdm_dchan_read(s->tdm, buf, len);
	if (s->dfd < 0)
		return -EAGAIN;
	ssize_t n = recv(s->dfd, buf, len, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

static ssize_t dchan_raw_write(struct psim_span *s, const void *buf, size_t len)
{
	if (s->tdm)
		return tdm_dchan_write(s->tdm, buf, len);
	if (s->dfd < 0)
		return -ENOTCONN;
	ssize_t n = send(s->dfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

static int io_read(struct pri *pri, void *buf, int len)
{
	struct psim_span *s = pri_get_userdata(pri);
	for (;;) {
		ssize_t n = dchan_raw_read(s, buf, (size_t)len);
		if (n <= 0)
			return 0;
		if (link_blocked(s) || lose_frame(s)) {
			s->dropped_frames++;
			continue;
		}
		s->rx_frames++;
		frame_event(s, buf, (size_t)n, "rx");
		if (s->pcap && n >= 2) /* without the 2 FCS bytes */
			isdn_pcap_write(s->pcap, false, buf, (size_t)n - 2);
		return (int)n;
	}
}

void psim_span_complete_next_info(struct psim_span *s, bool on)
{
	s->complete_next_info = on;
}

/*
 * Appends the Sending complete IE (Q.931 §4.5.27: single octet 0xa1) to an
 * INFORMATION frame (FCS placeholder kept last). Returns the new length,
 * or len if the frame is not one to change or has no room.
 */
static size_t add_sending_complete(struct psim_span *s, uint8_t *out,
				   size_t cap, const uint8_t *buf, size_t len)
{
	struct isdn_frame f;
	if (!s->complete_next_info || len < 2 || len + 1 > cap ||
	    isdn_frame_decode(&f, buf, len - 2) || !f.has_q931 ||
	    f.pd != 0x08 || f.msg_type != 0x7b) /* INFORMATION */
		return len;
	s->complete_next_info = false;
	memcpy(out, buf, len - 2);
	out[len - 2] = 0xa1;
	memcpy(out + len - 1, buf + len - 2, 2);
	return len + 1;
}

static int io_write(struct pri *pri, void *buf, int len)
{
	struct psim_span *s = pri_get_userdata(pri);
	uint8_t more[TDM_MAX_FRAME + 1];
	size_t wire =
	    add_sending_complete(s, more, sizeof(more), buf, (size_t)len);
	if (wire != (size_t)len)
		buf = more; /* libpri is told len: its frame went out */
	if (link_blocked(s) || lose_frame(s)) {
		s->dropped_frames++;
		return len; /* lost on the line, as far as libpri knows */
	}
	ssize_t n = dchan_raw_write(s, buf, wire);
	if (n == -ENOTCONN)
		return len; /* nobody attached: the frame is lost on the line */
	if (n < 0)
		return 0;
	s->tx_frames++;
	frame_event(s, buf, wire, "tx");
	if (s->pcap && wire >= 2) /* without the 2 FCS bytes */
		isdn_pcap_write(s->pcap, true, buf, wire - 2);
	return n == (ssize_t)wire ? len : (int)n;
}

/* ---- libpri events ---- */

void psim_span_event(struct psim_span *s, const char *type)
{
	struct json_out *o = psim_event_begin(s->p, type);
	json_kv_uint(o, "span", s->conf.no);
	psim_event_end(s->p);
}

static void chans_idle(struct psim_span *s, int ts)
{
	for (unsigned t = 1; t <= s->ntimeslots; t++)
		if ((ts <= 0 || (unsigned)ts == t) &&
		    s->ch[t].state == CH_RESTARTING)
			s->ch[t].state = CH_IDLE;
}

static void on_service(struct psim_span *s, pri_event *e, bool ack)
{
	int ts = ack ? e->service_ack.channel : e->service.channel;
	int st = ack ? e->service_ack.changestatus : e->service.changestatus;
	ts &= 0xff; /* libpri packs the interface id above the channel */
	if (!ack && psim_span_is_bchan(s, (unsigned)ts))
		s->ch[ts].far_service = st;
	struct json_out *o =
	    psim_event_begin(s->p, ack ? "service_ack" : "service");
	json_kv_uint(o, "span", s->conf.no);
	json_kv_int(o, "chan", ts);
	json_kv_int(o, "status", st);
	json_kv_str(o, "state", st == 0 ? "in" : st == 1 ? "maint" : "out");
	psim_event_end(s->p);
}

static void handle_event(struct psim_span *s, pri_event *e)
{
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		s->dchan_up = true;
		psim_span_event(s, "dchan_up");
		break;
	case PRI_EVENT_DCHAN_DOWN:
		s->dchan_up = false;
		psim_span_event(s, "dchan_down");
		psim_call_drop_span(s->p, s, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
		break;
	case PRI_EVENT_RESTART: {
		/* the gateway restarts a channel or the interface */
		int ts = e->restart.channel & 0xff;
		struct json_out *o = psim_event_begin(s->p, "restart");
		json_kv_uint(o, "span", s->conf.no);
		json_kv_int(o, "chan", e->restart.channel < 0 ? 0 : ts);
		psim_event_end(s->p);
		break;
	}
	case PRI_EVENT_RESTART_ACK: {
		int ts = e->restartack.channel;
		chans_idle(s, ts < 0 ? -1 : ts & 0xff);
		struct json_out *o = psim_event_begin(s->p, "restart_ack");
		json_kv_uint(o, "span", s->conf.no);
		json_kv_int(o, "chan", ts < 0 ? 0 : ts & 0xff);
		psim_event_end(s->p);
		break;
	}
	case PRI_EVENT_SERVICE:
		on_service(s, e, false);
		break;
	case PRI_EVENT_SERVICE_ACK:
		on_service(s, e, true);
		break;
	case PRI_EVENT_CONFIG_ERR:
		log_warn("span %u: libpri: %s", s->conf.no, e->err.err);
		break;
	default:
		psim_call_event(s, e);
		break;
	}
}

void psim_span_kick(struct psim_span *s)
{
	struct timeval *next = pri_schedule_next(s->pri);
	if (!next) {
		loop_timer_stop(s->p->loop, &s->pri_timer);
		return;
	}
	struct timeval now;
	gettimeofday(&now, NULL);
	int64_t us = (int64_t)(next->tv_sec - now.tv_sec) * 1000000 +
		     (next->tv_usec - now.tv_usec);
	loop_timer_start_ns(s->p->loop, &s->pri_timer,
			    (uint64_t)(us < 0 ? 0 : us) * 1000);
}

static void pri_timer_fired(struct loop_timer *t)
{
	struct psim_span *s = t->arg;
	pri_event *e;
	for (int i = 0; i < 64 && (e = pri_schedule_run(s->pri)); i++)
		handle_event(s, e);
	psim_span_kick(s);
}

void psim_span_dchan_ready(struct loop_io *io, uint32_t events)
{
	struct psim_span *s = io->arg;
	(void)events;
	for (int i = 0; i < 256; i++) {
		pri_event *e = pri_check_event(s->pri);
		if (e) {
			handle_event(s, e);
			continue;
		}
		/* libpri takes one frame per call: any left? */
		struct pollfd pf = {.fd = io->fd, .events = POLLIN};
		if (poll(&pf, 1, 0) <= 0 || !(pf.revents & POLLIN))
			break;
	}
	psim_span_kick(s);
}

void psim_span_chan_busy(struct psim_span *s, unsigned ts, bool busy)
{
	if (psim_span_is_bchan(s, ts))
		s->ch[ts].state = busy ? CH_BUSY : CH_IDLE;
}

bool psim_span_chan_free(const struct psim_span *s, unsigned ts)
{
	return psim_span_is_bchan(s, ts) && s->ch[ts].state == CH_IDLE &&
	       s->ch[ts].service == 0 && s->ch[ts].far_service == 0;
}

unsigned psim_span_free_chan(const struct psim_span *s)
{
	for (unsigned ts = s->ntimeslots; ts >= 1; ts--)
		if (psim_span_chan_free(s, ts))
			return ts;
	return 0;
}

struct psim *psim_span_psim(const struct psim_span *s)
{
	return s->p;
}

/* ---- dahdi ---- */

static void dahdi_event_ready(struct loop_io *io, uint32_t events)
{
	struct psim_span *s = io->arg;
	struct tdm_event ev;
	(void)events;
	while (s->tdm && tdm_get_event(s->tdm, &ev) > 0)
		if (ev.type == TDM_EV_ALARM) {
			char a[64];
			struct json_out *o = psim_event_begin(s->p, "alarm");
			json_kv_uint(o, "span", s->conf.no);
			json_kv_str(o, "alarms",
				    tdm_alarm_str(ev.alarms, a, sizeof(a)));
			psim_event_end(s->p);
		}
}

static void dahdi_dchan_ready(struct loop_io *io, uint32_t events)
{
	if (events & EPOLLPRI)
		dahdi_event_ready(io, events);
	psim_span_dchan_ready(io, events);
}

static void dahdi_open(struct loop_timer *t)
{
	struct psim_span *s = t->arg;
	struct tdm_span_conf tc = {
	    .span_no = s->conf.no,
	    .layout = s->conf.layout,
	    .unit = s->conf.unit,
	    .basechan = s->conf.basechan,
	    .blocksize = s->conf.blocksize,
	};
	int rc = tdm_span_open(&tdm_dahdi_ops, &s->tdm, &tc);
	if (rc) {
		log_warn("span %u: cannot open DAHDI span %u: %s (retrying)",
			 s->conf.no, s->conf.unit, strerror(-rc));
		loop_timer_start(s->p->loop, t, 1000);
		return;
	}
	s->bmask = s->tdm->bchan_mask;
	s->dchan = s->tdm->dchan;
	s->law = s->tdm->law;
	loop_io_add(s->p->loop, &s->tio, tdm_dchan_fd(s->tdm),
		    EPOLLIN | EPOLLPRI, dahdi_dchan_ready, s);
	int efd = tdm_event_fd(s->tdm);
	if (efd >= 0)
		loop_io_add(s->p->loop, &s->eio, efd, EPOLLIN,
			    dahdi_event_ready, s);
	log_info("span %u: opened %s", s->conf.no, s->tdm->desc);
	psim_span_event(s, "attached");
	pri_check_event(s->pri);
	psim_span_kick(s);
}

/* ---- faults and maintenance ---- */

/* Q.921 §5.5.3: a DISC (P=1) from the network ends multiple-frame
 * operation at once, which is what the far end sees when a link drops. */
static void send_disc(struct psim_span *s)
{
	uint8_t disc[5] = {0x02, 0x01, 0x53, 0x00, 0x00}; /* SAPI 0 C, TEI 0 */
	if (dchan_raw_write(s, disc, sizeof(disc)) > 0)
		frame_event(s, disc, sizeof(disc), "tx");
}

int psim_span_dchan(struct psim_span *s, bool up)
{
	if (!up && !s->forced_down) {
		send_disc(s);
		s->forced_down = true;
	} else if (up) {
		s->forced_down = false;
	}
	struct json_out *o = psim_event_begin(s->p, "fault");
	json_kv_uint(o, "span", s->conf.no);
	json_kv_str(o, "dchan", up ? "restored" : "down");
	psim_event_end(s->p);
	return 0;
}

int psim_span_alarm(struct psim_span *s, unsigned alarms)
{
	if (s->conf.driver != PSIM_DRV_SIM)
		return -EOPNOTSUPP; /* loop spans cannot raise alarms */
	bool was = link_blocked(s);
	if (!was && (alarms & (TDM_ALARM_RED | TDM_ALARM_BLUE)))
		send_disc(s);
	s->alarms = alarms;
	psim_span_send_status(s);
	char a[64];
	struct json_out *o = psim_event_begin(s->p, "fault");
	json_kv_uint(o, "span", s->conf.no);
	json_kv_str(o, "alarms", tdm_alarm_str(alarms, a, sizeof(a)));
	psim_event_end(s->p);
	return 0;
}

int psim_span_loss(struct psim_span *s, unsigned percent)
{
	if (percent > 100)
		return -EINVAL;
	s->loss_pct = percent;
	return 0;
}

int psim_span_slip(struct psim_span *s, unsigned count)
{
	if (s->conf.driver != PSIM_DRV_SIM)
		return -EOPNOTSUPP;
	s->slips += count;
	s->slip_pending += count;
	psim_span_send_status(s);
	return 0;
}

int psim_span_restart(struct psim_span *s, unsigned ts)
{
	if (!psim_span_up(s))
		return -ENOTCONN;
	if (ts && !psim_span_is_bchan(s, ts))
		return -EINVAL;
	int rc = 0;
	/* libpri 1.6's pri_restart() sends nothing: restart every B-channel
	 * one by one (RESTART class "indicated channels", Q.931 §5.5) */
	for (unsigned t = 1; t <= s->ntimeslots; t++) {
		if (!psim_span_is_bchan(s, t) || (ts && t != ts))
			continue;
		for (struct psim_call *c = s->p->calls; c;
		     c = psim_call_next(c))
			if (psim_call_active(c) && psim_call_span(c) == s &&
			    psim_call_ts(c) == t)
				psim_call_drop(c, PRI_CAUSE_NORMAL_CLEARING);
		rc |= pri_reset(s->pri, (int)t);
		s->ch[t].state = CH_RESTARTING;
	}
	psim_span_kick(s);
	return rc ? -EIO : 0;
}

int psim_span_service(struct psim_span *s, unsigned ts, int status)
{
	if (!conf_switch_has_service(s->conf.sw))
		return -EOPNOTSUPP;
	if (!psim_span_is_bchan(s, ts) || status < 0 || status > 2)
		return -EINVAL;
	if (!psim_span_up(s))
		return -ENOTCONN;
	int rc = pri_maintenance_service(s->pri, 0, (int)ts, status);
	s->ch[ts].service = status;
	psim_span_kick(s);
	return rc ? -EIO : 0;
}

/* ---- status ---- */

static const char *chan_state_name(const struct psim_chan *c)
{
	switch (c->state) {
	case CH_IDLE:
		return c->service || c->far_service ? "blocked" : "idle";
	case CH_BUSY:
		return "busy";
	case CH_RESTARTING:
		return "restarting";
	}
	return "?";
}

void psim_span_put(struct psim_span *s, struct json_out *o)
{
	char a[64];
	json_obj_begin(o);
	json_kv_uint(o, "span", s->conf.no);
	json_kv_str(o, "type", tdm_layout_name(s->conf.layout));
	json_kv_str(o, "switch", conf_switch_name(s->conf.sw));
	json_kv_str(o, "driver",
		    s->conf.driver == PSIM_DRV_SIM ? "sim" : "dahdi");
	json_kv_bool(o, "attached", s->attached || s->tdm);
	json_kv_str(o, "dchan", psim_span_up(s) ? "up" : "down");
	json_kv_bool(o, "forced_down", s->forced_down);
	json_kv_str(o, "alarms", tdm_alarm_str(s->alarms, a, sizeof(a)));
	json_kv_uint(o, "loss_pct", s->loss_pct);
	json_kv_uint(o, "slips", s->slips);
	json_kv_uint(o, "rx_frames", s->rx_frames);
	json_kv_uint(o, "tx_frames", s->tx_frames);
	json_kv_uint(o, "dropped_frames", s->dropped_frames);
	json_kv_uint(o, "bchan_tx_blocks", s->bchan_tx_blocks);
	json_kv_uint(o, "bchan_tx_dropped", s->bchan_tx_dropped);
	json_kv_uint(o, "bchan_rx_blocks", s->bchan_rx_blocks);
	json_kv_uint(o, "clock_skipped", s->clock_skipped);
	unsigned idle = 0, busy = 0, blocked = 0, total = 0;
	json_key(o, "chans");
	json_arr_begin(o);
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++) {
		if (!psim_span_is_bchan(s, ts))
			continue;
		const struct psim_chan *c = &s->ch[ts];
		const char *st = chan_state_name(c);
		total++;
		idle += strcmp(st, "idle") == 0;
		busy += strcmp(st, "busy") == 0;
		blocked += strcmp(st, "blocked") == 0;
		json_obj_begin(o);
		json_kv_uint(o, "chan", ts);
		json_kv_str(o, "state", st);
		json_kv_int(o, "service", c->service);
		json_kv_int(o, "far_service", c->far_service);
		json_obj_end(o);
	}
	json_arr_end(o);
	json_kv_uint(o, "total", total);
	json_kv_uint(o, "idle", idle);
	json_kv_uint(o, "busy", busy);
	json_kv_uint(o, "blocked", blocked);
	json_obj_end(o);
}

/* ---- life ---- */

int psim_span_new(struct psim *p, const struct psim_span_conf *c)
{
	struct psim_span *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->p = p;
	s->conf = *c;
	s->cfd = s->dfd = -1;
	s->rng = 0x9e3779b97f4a7c15ull ^ c->no;
	s->ntimeslots = tdm_layout_timeslots(c->layout);
	s->dchan = tdm_layout_dchan(c->layout);
	s->law = tdm_layout_law(c->layout);
	s->bmask = (uint32_t)((1ull << (s->ntimeslots + 1)) - 1) & ~1u &
		   ~(1u << s->dchan);
	for (unsigned ts = 0; ts <= TDM_MAX_TIMESLOTS; ts++) {
		s->ch[ts].fd = -1;
		s->ch[ts].span = s;
		s->ch[ts].ts = ts;
	}
	loop_timer_init(&s->pri_timer, pri_timer_fired, s);
	loop_timer_init(&s->clock, psim_span_clock_tick, s);
	loop_timer_init(&s->reopen, dahdi_open, s);
	s->pri = pri_new_cb(-1, PRI_NETWORK, conf_switch_pri(c->sw, c->layout),
			    io_read, io_write, s);
	if (!s->pri) {
		free(s);
		return -ENOMEM;
	}
	pri_set_debug(s->pri, 0);
	pri_hangup_fix_enable(s->pri, 1);
	if (conf_switch_has_service(c->sw))
		pri_set_service_message_support(s->pri, 1);
	if (c->pcap[0] && isdn_pcap_open(&s->pcap, c->pcap, true) != 0)
		log_warn("span %u: cannot write D-channel capture %s", c->no,
			 c->pcap);
	p->span[c->no] = s;
	if (c->driver == PSIM_DRV_DAHDI)
		loop_timer_start(p->loop, &s->reopen, 0);
	psim_span_kick(s);
	return 0;
}

void psim_span_free(struct psim_span *s)
{
	if (!s)
		return;
	struct loop *l = s->p->loop;
	psim_span_detach(s);
	for (unsigned ts = 1; ts <= s->ntimeslots; ts++)
		psim_span_media(s, ts, NULL);
	if (s->tdm) {
		loop_io_del(l, &s->tio);
		loop_io_del(l, &s->eio);
		tdm_span_close(s->tdm);
	}
	loop_timer_stop(l, &s->pri_timer);
	loop_timer_stop(l, &s->reopen);
	/* libpri 1.6 has no destructor for struct pri: it lives until exit */
	isdn_pcap_close(s->pcap);
	s->p->span[s->conf.no] = NULL;
	free(s);
}
