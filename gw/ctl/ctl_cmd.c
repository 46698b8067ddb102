/*
 * Control commands: the table gwctl and scripts speak to, and the JSON each
 * returns. Field names are a stable interface: add, never rename.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "call/call.h"
#include "conf.h"
#include "ctl.h"
#include "daemon.h"
#include "gw.h"
#include "isdn/isdn.h"
#include "loop.h"
#include "media/media.h"
#include "media/media_lat.h"

#define GWD_VERSION "0.1.0"

static struct isdn_span *arg_span(struct gw *gw, const struct json_doc *d,
				  int req, char *err, size_t cap)
{
	unsigned no;
	if (ctl_arg_uint(d, req, "span", 1, CONF_MAX_SPANS, &no, err, cap))
		return NULL;
	struct isdn_span *s = isdn_span_get(gw->isdn, no);
	if (!s)
		snprintf(err, cap, "no span %u", no);
	return s;
}

static uint64_t age_ms(struct gw *gw, uint64_t since_ms)
{
	uint64_t now = loop_now_ms(gw->loop);
	return now > since_ms ? now - since_ms : 0;
}

static void put_counters(struct json_out *o, const struct isdn_span_status *st)
{
	json_key(o, "counters");
	json_obj_begin(o);
	json_kv_uint(o, "dchan_rx_frames", st->tdm.dchan_rx_frames);
	json_kv_uint(o, "dchan_tx_frames", st->tdm.dchan_tx_frames);
	json_kv_uint(o, "dchan_rx_errors", st->tdm.dchan_rx_errors);
	json_kv_uint(o, "dchan_tx_errors", st->tdm.dchan_tx_errors);
	json_kv_uint(o, "slips", st->tdm.slips);
	json_kv_uint(o, "alarm_changes", st->tdm.alarm_changes);
	json_kv_uint(o, "dchan_up", st->dchan_ups);
	json_kv_uint(o, "dchan_down", st->dchan_downs);
	json_kv_uint(o, "calls_in", st->calls_in);
	json_kv_uint(o, "calls_out", st->calls_out);
	json_kv_uint(o, "calls_rejected", st->calls_rejected);
	json_kv_uint(o, "restarts_tx", st->restarts_tx);
	json_kv_uint(o, "restarts_rx", st->restarts_rx);
	json_kv_uint(o, "service_tx", st->service_tx);
	json_kv_uint(o, "service_rx", st->service_rx);
	json_kv_uint(o, "opens", st->reopens);
	json_kv_uint(o, "glares", st->glares);
	json_obj_end(o);
}

static void put_span(struct gw *gw, struct json_out *o,
		     const struct isdn_span *s)
{
	struct isdn_span_status st;
	char a[64];
	isdn_span_status(s, &st);
	json_obj_begin(o);
	json_kv_uint(o, "span", st.no);
	json_kv_str(o, "driver", st.driver);
	json_kv_str(o, "desc", st.desc);
	json_kv_str(o, "type", tdm_layout_name(st.layout));
	json_kv_str(o, "switch", conf_switch_name(st.switchtype));
	json_kv_str(o, "side", conf_side_name(st.side));
	json_kv_str(o, "state", isdn_link_name(st.link));
	json_kv_uint(o, "state_age_ms", age_ms(gw, st.state_since_ms));
	json_kv_str(o, "dchan", st.dchan_up ? "up" : "down");
	json_kv_bool(o, "usable", isdn_span_usable(s));
	json_kv_str(o, "alarms", tdm_alarm_str(st.alarms, a, sizeof(a)));
	json_key(o, "channels");
	json_obj_begin(o);
	json_kv_uint(o, "total", st.nchan);
	json_kv_uint(o, "idle", st.idle);
	json_kv_uint(o, "busy", st.busy);
	json_kv_uint(o, "blocked", st.blocked);
	json_kv_uint(o, "restarting", st.restarting);
	json_obj_end(o);
	put_counters(o, &st);
	json_obj_end(o);
}

static int cmd_spans(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	(void)d, (void)req, (void)err, (void)cap;
	json_key(o, "spans");
	json_arr_begin(o);
	for (unsigned no = isdn_span_next(gw->isdn, 0); no;
	     no = isdn_span_next(gw->isdn, no))
		put_span(gw, o, isdn_span_get(gw->isdn, no));
	json_arr_end(o);
	return 0;
}

static void put_chan(struct gw *gw, struct json_out *o, unsigned span,
		     const struct isdn_chan_status *cs)
{
	json_obj_begin(o);
	json_kv_uint(o, "span", span);
	json_kv_uint(o, "chan", cs->ts);
	json_kv_str(o, "state", isdn_chan_state_name(cs->state));
	json_kv_bool(o, "blocked_near", cs->blocked_near);
	json_kv_bool(o, "blocked_far", cs->blocked_far);
	json_kv_uint(o, "age_ms", age_ms(gw, cs->since_ms));
	if (cs->call_id) {
		json_kv_uint(o, "call", cs->call_id);
		json_kv_str(o, "direction", cs->outgoing ? "out" : "in");
	}
	json_obj_end(o);
}

static void put_chans(struct gw *gw, struct json_out *o,
		      const struct isdn_span *s)
{
	for (unsigned ts = 1; ts <= TDM_MAX_TIMESLOTS; ts++) {
		struct isdn_chan_status cs;
		if (isdn_chan_status(s, ts, &cs) || cs.state == ISDN_CH_UNUSED)
			continue;
		put_chan(gw, o, isdn_span_no(s), &cs);
	}
}

static int cmd_span(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	struct isdn_span *s = arg_span(gw, d, req, err, cap);
	if (!s)
		return -EINVAL;
	json_key(o, "span");
	put_span(gw, o, s);
	json_key(o, "channels");
	json_arr_begin(o);
	put_chans(gw, o, s);
	json_arr_end(o);
	return 0;
}

static int cmd_channels(void *arg, const struct json_doc *d, int req,
			struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	struct isdn_span *only = NULL;
	if (json_obj_get(d, req, "span") >= 0 &&
	    !(only = arg_span(gw, d, req, err, cap)))
		return -EINVAL;
	json_key(o, "channels");
	json_arr_begin(o);
	for (unsigned no = isdn_span_next(gw->isdn, 0); no;
	     no = isdn_span_next(gw->isdn, no)) {
		struct isdn_span *s = isdn_span_get(gw->isdn, no);
		if (!only || only == s)
			put_chans(gw, o, s);
	}
	json_arr_end(o);
	return 0;
}

static int do_block(struct gw *gw, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap, bool block)
{
	unsigned ts;
	struct isdn_span *s = arg_span(gw, d, req, err, cap);
	if (!s ||
	    ctl_arg_uint(d, req, "chan", 1, TDM_MAX_TIMESLOTS, &ts, err, cap))
		return -EINVAL;
	int rc = isdn_chan_block(s, ts, block);
	if (rc == -EINVAL)
		snprintf(err, cap, "span %u has no B-channel %u",
			 isdn_span_no(s), ts);
	else if (rc == -EAGAIN)
		snprintf(err, cap,
			 "span %u: D-channel down, cannot send "
			 "SERVICE",
			 isdn_span_no(s));
	else if (rc)
		snprintf(err, cap, "span %u: SERVICE failed", isdn_span_no(s));
	if (rc)
		return rc;
	struct isdn_chan_status cs;
	isdn_chan_status(s, ts, &cs);
	json_key(o, "channel");
	put_chan(gw, o, isdn_span_no(s), &cs);
	return 0;
}

static int cmd_block(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	return do_block(arg, d, req, o, err, cap, true);
}

static int cmd_unblock(void *arg, const struct json_doc *d, int req,
		       struct json_out *o, char *err, size_t cap)
{
	return do_block(arg, d, req, o, err, cap, false);
}

static int cmd_restart(void *arg, const struct json_doc *d, int req,
		       struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	unsigned ts = 0;
	struct isdn_span *s = arg_span(gw, d, req, err, cap);
	if (!s)
		return -EINVAL;
	if (json_obj_get(d, req, "chan") >= 0 &&
	    ctl_arg_uint(d, req, "chan", 1, TDM_MAX_TIMESLOTS, &ts, err, cap))
		return -EINVAL;
	int rc = isdn_span_restart(s, ts);
	if (rc == -EINVAL)
		snprintf(err, cap, "span %u has no B-channel %u",
			 isdn_span_no(s), ts);
	else if (rc == -EAGAIN)
		snprintf(err, cap, "span %u: D-channel down", isdn_span_no(s));
	else if (rc == -EBUSY)
		snprintf(err, cap,
			 "span %u channel %u carries a call; clear "
			 "it first",
			 isdn_span_no(s), ts);
	if (rc)
		return rc;
	json_key(o, "span");
	put_span(gw, o, s);
	return 0;
}

static int cmd_reload(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	(void)d, (void)req;
	char notes[1024] = "";
	int rc = gw_reload(gw, notes, sizeof(notes), err, cap);
	if (rc)
		return rc;
	json_kv_str(o, "config", gw->conf_path);
	json_kv_str(o, "notes", notes);
	return 0;
}

static int cmd_status(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	(void)d, (void)req, (void)err, (void)cap;
	unsigned nspans = 0, usable = 0;
	for (unsigned no = isdn_span_next(gw->isdn, 0); no;
	     no = isdn_span_next(gw->isdn, no)) {
		nspans++;
		usable += isdn_span_usable(isdn_span_get(gw->isdn, no));
	}
	json_kv_str(o, "version", GWD_VERSION);
	json_kv_int(o, "pid", getpid());
	json_kv_uint(o, "uptime_ms", age_ms(gw, gw->started_ms));
	json_kv_str(o, "config", gw->conf_path);
	json_kv_uint(o, "reloads", gw->reloads);
	json_kv_uint(o, "spans", nspans);
	json_kv_uint(o, "spans_usable", usable);
	json_kv_uint(o, "calls", call_count(gw));
	json_kv_uint(o, "media_workers", media_workers(gw->media));
	json_kv_bool(o, "shutting_down", gw->shutting_down);
	return 0;
}

static int cmd_calls(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	(void)d, (void)req, (void)err, (void)cap;
	json_key(o, "calls");
	call_list_json(arg, o);
	return 0;
}

static void put_latency(struct json_out *o, const char *name,
			const struct media *m, enum media_lat_kind k)
{
	static struct media_lat_hist h; /* signalling thread only */
	media_latency(m, k, &h);
	json_key(o, name);
	json_obj_begin(o);
	json_kv_uint(o, "count", media_lat_count(&h));
	json_kv_uint(o, "p50_ns", media_lat_pct(&h, 50));
	json_kv_uint(o, "p99_ns", media_lat_pct(&h, 99));
	json_kv_uint(o, "max_ns", h.max_ns);
	json_obj_end(o);
}

/* {"cmd":"media"[,"clear":true]}: the media counters summed over every
 * channel so far and the workers' latency percentiles; clear empties the
 * latency histograms after this reply. */
static int cmd_media(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct gw *gw = arg;
	struct media_stats t;
	(void)err, (void)cap;
	media_totals(gw->media, &t);
	json_kv_uint(o, "workers", media_workers(gw->media));
	json_kv_uint(o, "channels", media_chan_count(gw->media));
	json_key(o, "counters");
	json_obj_begin(o);
	for (unsigned i = 0; i < media_ncounters; i++)
		json_kv_uint(o, media_counters[i].name,
			     media_counter_get(&t, i));
	/* not a count: the worst channel's */
	json_kv_uint(o, "rtp_jitter_us_max", t.rtp_jitter_us);
	json_obj_end(o);
	struct media_io_totals io;
	media_io_totals(gw->media, &io);
	json_key(o, "io");
	json_obj_begin(o);
	json_kv_str(o, "mode", io.uring ? "io_uring" : "syscalls");
	json_kv_uint(o, "batches", io.batches);
	json_kv_uint(o, "ops", io.ops);
	json_kv_uint(o, "enters", io.enters);
	json_kv_uint(o, "rereads", io.rereads);
	json_obj_end(o);
	json_key(o, "latency");
	json_obj_begin(o);
	put_latency(o, "tdm_to_rtp", gw->media, MEDIA_LAT_TDM_TO_RTP);
	put_latency(o, "block", gw->media, MEDIA_LAT_BLOCK);
	put_latency(o, "tdm_wait", gw->media, MEDIA_LAT_TDM_WAIT);
	json_obj_end(o);
	if (json_obj_bool(d, req, "clear", false))
		media_latency_clear(gw->media);
	return 0;
}

static int cmd_causes(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	char tg[CONF_NAME_MAX] = "";
	int t = json_obj_get(d, req, "trunkgroup");
	if (t >= 0 && json_get_str(d, t, tg, sizeof(tg)) < 0) {
		snprintf(err, cap, "trunkgroup must be a string");
		return -EINVAL;
	}
	json_kv_str(o, "trunkgroup", tg[0] ? tg : NULL);
	return call_causes_json(arg, tg, o, err, cap);
}

static int cmd_help(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	(void)arg, (void)d, (void)req, (void)err, (void)cap;
	ctl_help_put(ctl_cmds, ctl_ncmds, o);
	return 0;
}

const struct ctl_cmd ctl_cmds[] = {
    {"status", cmd_status, "", "daemon version, uptime and totals"},
    {"spans", cmd_spans, "",
     "every span: state, alarms, channels, "
     "counters"},
    {"span", cmd_span, "span", "one span with its channels"},
    {"channels", cmd_channels, "[span]", "B-channel states"},
    {"block", cmd_block, "span chan",
     "take a B-channel out of service "
     "(SERVICE to the far end where the switch has it)"},
    {"unblock", cmd_unblock, "span chan",
     "return a B-channel to "
     "service"},
    {"restart", cmd_restart, "span [chan]",
     "send RESTART for a channel, "
     "or for every idle channel of the span"},
    {"calls", cmd_calls, "",
     "calls in progress: direction, state, "
     "trunk group, numbers, channel, SIP Call-ID"},
    {"media", cmd_media, "[clear]",
     "media counters over all channels and the workers' added latency "
     "p50/p99 (TDM->RTP, block read->write); clear empties the "
     "histograms"},
    {"causes", cmd_causes, "[trunkgroup]",
     "effective Q.850 <-> SIP "
     "mapping (RFC 3398 defaults and overrides)"},
    {"reload", cmd_reload, "",
     "re-read the configuration; apply what "
     "can change live"},
    {"help", cmd_help, "", "this list"},
};
const unsigned ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);
