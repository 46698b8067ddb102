/*
 * pstnsim's control commands, served by the same JSON-lines control
 * server as gwd's (gw/ctl/ctl.c): tests and operators drive the simulated
 * exchange and read what it saw. Field names are a stable interface.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "psim.h"

#define PSIM_VERSION  "0.1.0"
#define MAX_ORIGINATE 10000

static int opt_uint(const struct json_doc *d, int req, const char *key,
		    unsigned min, unsigned max, unsigned dflt, unsigned *out,
		    char *err, size_t cap)
{
	if (json_obj_get(d, req, key) < 0) {
		*out = dflt;
		return 0;
	}
	return ctl_arg_uint(d, req, key, min, max, out, err, cap);
}

static struct psim_span *arg_span(struct psim *p, const struct json_doc *d,
				  int req, char *err, size_t cap)
{
	unsigned no;
	if (ctl_arg_uint(d, req, "span", 1, PSIM_MAX_SPANS, &no, err, cap))
		return NULL;
	if (!p->span[no])
		snprintf(err, cap, "no span %u", no);
	return p->span[no];
}

static int cmd_status(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	(void)d, (void)req, (void)err, (void)cap;
	unsigned spans = 0;
	for (unsigned no = 1; no <= PSIM_MAX_SPANS; no++)
		spans += p->span[no] != NULL;
	json_kv_str(o, "version", PSIM_VERSION);
	json_kv_uint(o, "uptime_ms", loop_now_ms(p->loop) - p->started_ms);
	json_kv_uint(o, "spans", spans);
	json_kv_uint(o, "calls", psim_call_count(p));
	json_kv_uint(o, "last_event", p->event_seq);
	return 0;
}

/* {"cmd":"clock"[,"clear":true]}: how late the sim clock's ticks ran */
static int cmd_clock(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	(void)err, (void)cap;
	const struct media_lat_hist *h = &p->clock_late;
	json_key(o, "late");
	json_obj_begin(o);
	json_kv_uint(o, "count", media_lat_count(h));
	json_kv_uint(o, "p50_ns", media_lat_pct(h, 50));
	json_kv_uint(o, "p99_ns", media_lat_pct(h, 99));
	json_kv_uint(o, "max_ns", h->max_ns);
	json_obj_end(o);
	if (json_obj_bool(d, req, "clear", false))
		media_lat_clear(&p->clock_late);
	return 0;
}

static int cmd_spans(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	(void)d, (void)req, (void)err, (void)cap;
	json_key(o, "spans");
	json_arr_begin(o);
	for (unsigned no = 1; no <= PSIM_MAX_SPANS; no++)
		if (p->span[no])
			psim_span_put(p->span[no], o);
	json_arr_end(o);
	return 0;
}

static int cmd_span(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	if (!s)
		return -EINVAL;
	json_key(o, "span");
	psim_span_put(s, o);
	return 0;
}

/* {"cmd":"queue","span":N}: blocks queued by the gateway per B-channel */
static int cmd_queue(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	if (!s)
		return -EINVAL;
	psim_span_put_queue(s, o);
	return 0;
}

static int cmd_calls(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	(void)err, (void)cap;
	bool all = json_obj_bool(d, req, "all", false);
	json_key(o, "calls");
	json_arr_begin(o);
	for (const struct psim_call *c = p->calls; c; c = psim_call_next(c))
		if (all || psim_call_active(c))
			psim_call_put(c, o);
	json_arr_end(o);
	return 0;
}

static int cmd_call(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	unsigned id;
	if (ctl_arg_uint(d, req, "call", 1, ~0u, &id, err, cap))
		return -EINVAL;
	struct psim_call *c = psim_call_find(arg, id);
	if (!c) {
		snprintf(err, cap, "no call %u", id);
		return -ENOENT;
	}
	json_key(o, "call");
	psim_call_put(c, o);
	return 0;
}

static int cmd_events(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	(void)err, (void)cap;
	long long since = json_obj_int(d, req, "since", 0);
	long long max = json_obj_int(d, req, "max", 5000);
	json_kv_uint(o, "last", p->event_seq);
	json_key(o, "events");
	psim_events_put(p, o, since < 0 ? 0 : (uint64_t)since,
			max < 1 ? 1 : (unsigned)max);
	return 0;
}

static int parse_ton(const char *s, int *out)
{
	static const struct {
		const char *name;
		int v;
	} t[] = {
	    {"unknown", PRI_UNKNOWN},
	    {"international", PRI_INTERNATIONAL_ISDN},
	    {"national", PRI_NATIONAL_ISDN},
	    {"subscriber", PRI_LOCAL_ISDN},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].v;
			return 0;
		}
	return -EINVAL;
}

/* Overlap sending options of originate: overlap_digits, digit_gap_ms,
 * sending_complete. */
static int overlap_req(const struct json_doc *d, int req,
		       struct psim_call_req *r, char *err, size_t cap)
{
	if (opt_uint(d, req, "digit_gap_ms", 0, 60000, 100, &r->digit_gap_ms,
		     err, cap))
		return -EINVAL;
	json_obj_str(d, req, "overlap_digits", r->overlap_digits,
		     sizeof(r->overlap_digits), "");
	size_t n = strlen(r->overlap_digits);
	if (strspn(r->overlap_digits, "0123456789*#") != n) {
		snprintf(err, cap, "overlap_digits: want digits, * or #");
		return -EINVAL;
	}
	r->sending_complete = true;
	int t = json_obj_get(d, req, "sending_complete");
	if (t >= 0 && json_get_bool(d, t, &r->sending_complete)) {
		snprintf(err, cap, "sending_complete: want true or false");
		return -EINVAL;
	}
	/* a SETUP without Sending Complete: digits follow, or none will */
	r->overlap = n > 0 || !r->sending_complete;
	return 0;
}

static int originate_req(const struct json_doc *d, int req,
			 struct psim_call_req *r, char *err, size_t cap)
{
	char buf[PSIM_DIGITS_MAX + 16];
	memset(r, 0, sizeof(*r));
	if (ctl_arg_uint(d, req, "span", 1, PSIM_MAX_SPANS, &r->span, err,
			 cap) ||
	    opt_uint(d, req, "chan", 0, TDM_MAX_TIMESLOTS, 0, &r->chan, err,
		     cap) ||
	    opt_uint(d, req, "hangup_ms", 0, 3600000, 0, &r->hangup_ms, err,
		     cap))
		return -EINVAL;
	if (overlap_req(d, req, r, err, cap))
		return -EINVAL;
	if (!json_obj_str(d, req, "called", r->called, sizeof(r->called),
			  NULL) ||
	    (!r->called[0] && !r->overlap)) {
		snprintf(err, cap, "called: want the number to call");
		return -EINVAL;
	}
	json_obj_str(d, req, "calling", r->calling, sizeof(r->calling), "");
	r->called_ton = r->calling_ton = PRI_NATIONAL_ISDN;
	r->calling_pres = PRES_ALLOWED_USER_NUMBER_NOT_SCREENED;
	if (json_obj_str(d, req, "called_ton", buf, sizeof(buf), NULL) &&
	    parse_ton(buf, &r->called_ton)) {
		snprintf(err, cap,
			 "called_ton: unknown, national, "
			 "international or subscriber");
		return -EINVAL;
	}
	if (json_obj_str(d, req, "calling_ton", buf, sizeof(buf), NULL) &&
	    parse_ton(buf, &r->calling_ton)) {
		snprintf(err, cap,
			 "calling_ton: unknown, national, "
			 "international or subscriber");
		return -EINVAL;
	}
	if (json_obj_str(d, req, "pres", buf, sizeof(buf), NULL)) {
		if (strcmp(buf, "restricted") == 0)
			r->calling_pres = PRES_PROHIB_USER_NUMBER_NOT_SCREENED;
		else if (strcmp(buf, "allowed") != 0) {
			snprintf(err, cap, "pres: allowed or restricted");
			return -EINVAL;
		}
	}
	r->audio.src = PSIM_SRC_SILENCE;
	r->audio.sink = PSIM_SINK_RECORD;
	if (json_obj_str(d, req, "source", buf, sizeof(buf), NULL) &&
	    psim_src_parse(&r->audio, buf, err, cap))
		return -EINVAL;
	if (json_obj_str(d, req, "sink", buf, sizeof(buf), NULL) &&
	    psim_sink_parse(&r->audio, buf, err, cap))
		return -EINVAL;
	return 0;
}

static int cmd_originate(void *arg, const struct json_doc *d, int req,
			 struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	struct psim_call_req r;
	unsigned count;
	double rate = 10.0;
	int t = json_obj_get(d, req, "rate");
	if (originate_req(d, req, &r, err, cap) ||
	    opt_uint(d, req, "count", 1, MAX_ORIGINATE, 1, &count, err, cap))
		return -EINVAL;
	if (t >= 0 &&
	    (json_get_double(d, t, &rate) || rate <= 0 || rate > 10000)) {
		snprintf(err, cap, "rate: want calls per second, 0..10000");
		return -EINVAL;
	}
	if (r.chan && count > 1) {
		snprintf(err, cap, "chan: only with count 1");
		return -EINVAL;
	}
	json_key(o, "calls");
	json_arr_begin(o);
	for (unsigned i = 0; i < count; i++) {
		unsigned id;
		int rc = psim_call_originate(p, &r, &id, err, cap);
		if (rc) {
			json_arr_end(o);
			return i ? 0 : rc;
		}
		psim_call_start(p, id, (unsigned)(i * 1000.0 / rate));
		json_uint(o, id);
	}
	json_arr_end(o);
	return 0;
}

static int cmd_hangup(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	unsigned id, cause;
	(void)o;
	if (ctl_arg_uint(d, req, "call", 1, ~0u, &id, err, cap) ||
	    opt_uint(d, req, "cause", 1, 127, PRI_CAUSE_NORMAL_CLEARING, &cause,
		     err, cap))
		return -EINVAL;
	int rc = psim_call_hangup(arg, id, (int)cause);
	if (rc == -ENOENT)
		snprintf(err, cap, "no call %u", id);
	else if (rc == -EALREADY)
		snprintf(err, cap, "call %u is already clearing", id);
	return rc;
}

/* {"cmd":"number","number":"100","behaviour":"busy","alert_ms":200,...} */
static int cmd_number(void *arg, const struct json_doc *d, int req,
		      struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	struct psim_number n, *slot = NULL;
	char pat[PSIM_NUM_MAX];
	(void)o;
	if (!json_obj_str(d, req, "number", pat, sizeof(pat), NULL) ||
	    !pat[0]) {
		snprintf(err, cap, "number: want a number or prefix*");
		return -EINVAL;
	}
	psim_number_defaults(&n);
	snprintf(n.pattern, sizeof(n.pattern), "%s", pat);
	int t = json_child(d, req);
	for (uint32_t i = 0; i < d->tok[req].n;
	     i++, t = json_sibling(d, t + 1)) {
		char key[32], val[PSIM_DIGITS_MAX + 16];
		if (json_get_str(d, t, key, sizeof(key)) < 0)
			continue;
		if (strcmp(key, "cmd") == 0 || strcmp(key, "number") == 0 ||
		    strcmp(key, "id") == 0)
			continue;
		int v = t + 1; /* the member's value */
		if (d->tok[v].type == JSON_STR) {
			json_get_str(d, v, val, sizeof(val));
		} else {
			long long x;
			if (json_get_int(d, v, &x)) {
				snprintf(err, cap, "%s: bad value", key);
				return -EINVAL;
			}
			snprintf(val, sizeof(val), "%lld", x);
		}
		if (psim_number_set(&n, key, val, err, cap))
			return -EINVAL;
	}
	if (strcmp(pat, "default") == 0)
		slot = &p->conf.dflt;
	for (unsigned i = 0; !slot && i < p->conf.nnumbers; i++)
		if (strcmp(p->conf.numbers[i].pattern, pat) == 0)
			slot = &p->conf.numbers[i];
	if (!slot && p->conf.nnumbers < PSIM_MAX_NUMBERS)
		slot = &p->conf.numbers[p->conf.nnumbers++];
	if (!slot) {
		snprintf(err, cap, "too many numbers");
		return -E2BIG;
	}
	*slot = n;
	return 0;
}

static int cmd_dchan(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	char st[16];
	(void)o;
	if (!s)
		return -EINVAL;
	json_obj_str(d, req, "state", st, sizeof(st), "");
	if (strcmp(st, "down") && strcmp(st, "up")) {
		snprintf(err, cap, "state: down or up");
		return -EINVAL;
	}
	return psim_span_dchan(s, strcmp(st, "up") == 0);
}

static int parse_alarms(const char *s, unsigned *out)
{
	*out = 0;
	if (strcmp(s, "none") == 0)
		return 0;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save, *w = strtok_r(buf, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "red") == 0)
			*out |= TDM_ALARM_RED;
		else if (strcmp(w, "yellow") == 0)
			*out |= TDM_ALARM_YELLOW;
		else if (strcmp(w, "blue") == 0)
			*out |= TDM_ALARM_BLUE;
		else
			return -EINVAL;
	}
	return 0;
}

static int cmd_alarm(void *arg, const struct json_doc *d, int req,
		     struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	char buf[64];
	unsigned a;
	(void)o;
	if (!s)
		return -EINVAL;
	if (!json_obj_str(d, req, "alarms", buf, sizeof(buf), NULL) ||
	    parse_alarms(buf, &a)) {
		snprintf(err, cap,
			 "alarms: none, or a list of red, yellow, "
			 "blue");
		return -EINVAL;
	}
	int rc = psim_span_alarm(s, a);
	if (rc == -EOPNOTSUPP)
		snprintf(err, cap, "alarms can only be raised on sim spans");
	return rc;
}

static int cmd_loss(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	unsigned pct;
	(void)o;
	if (!s || ctl_arg_uint(d, req, "percent", 0, 100, &pct, err, cap))
		return -EINVAL;
	return psim_span_loss(s, pct);
}

static int cmd_slip(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	unsigned n;
	(void)o;
	if (!s || opt_uint(d, req, "count", 1, 1000, 1, &n, err, cap))
		return -EINVAL;
	int rc = psim_span_slip(s, n);
	if (rc == -EOPNOTSUPP)
		snprintf(err, cap, "slips can only be injected on sim spans");
	return rc;
}

static int cmd_restart(void *arg, const struct json_doc *d, int req,
		       struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	unsigned ts;
	(void)o;
	if (!s ||
	    opt_uint(d, req, "chan", 0, TDM_MAX_TIMESLOTS, 0, &ts, err, cap))
		return -EINVAL;
	int rc = psim_span_restart(s, ts);
	if (rc == -ENOTCONN)
		snprintf(err, cap, "span %u: D-channel is down",
			 psim_span_no(s));
	else if (rc == -EINVAL)
		snprintf(err, cap, "chan %u is not a B-channel", ts);
	return rc;
}

static int cmd_service(void *arg, const struct json_doc *d, int req,
		       struct json_out *o, char *err, size_t cap)
{
	struct psim_span *s = arg_span(arg, d, req, err, cap);
	unsigned ts;
	char st[16];
	(void)o;
	if (!s ||
	    ctl_arg_uint(d, req, "chan", 1, TDM_MAX_TIMESLOTS, &ts, err, cap))
		return -EINVAL;
	json_obj_str(d, req, "state", st, sizeof(st), "");
	int status = strcmp(st, "in") == 0	? 0
		     : strcmp(st, "maint") == 0 ? 1
		     : strcmp(st, "out") == 0	? 2
						: -1;
	if (status < 0) {
		snprintf(err, cap, "state: in, maint or out");
		return -EINVAL;
	}
	int rc = psim_span_service(s, ts, status);
	if (rc == -EOPNOTSUPP)
		snprintf(err, cap,
			 "span %u: this switch type has no SERVICE "
			 "messages",
			 psim_span_no(s));
	else if (rc == -ENOTCONN)
		snprintf(err, cap, "span %u: D-channel is down",
			 psim_span_no(s));
	else if (rc == -EINVAL)
		snprintf(err, cap, "chan %u is not a B-channel", ts);
	return rc;
}

static int cmd_quit(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	struct psim *p = arg;
	(void)d, (void)req, (void)o, (void)err, (void)cap;
	p->quitting = true;
	loop_stop(p->loop);
	return 0;
}

static int cmd_help(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap);

static const struct ctl_cmd psim_cmds[] = {
    {"status", cmd_status, "", "version, uptime, active calls"},
    {"clock", cmd_clock, "[clear]", "how late the sim clock's ticks ran"},
    {"spans", cmd_spans, "", "every span: link, alarms, channels"},
    {"span", cmd_span, "span", "one span"},
    {"queue", cmd_queue, "span",
     "blocks the gateway queued per B-channel (sim): the line's delay"},
    {"calls", cmd_calls, "[all]", "active calls (all: released too)"},
    {"call", cmd_call, "call", "one call with its audio findings"},
    {"events", cmd_events, "[since] [max]", "events after seq since"},
    {"originate", cmd_originate,
     "span called [calling] [count] [rate] [chan] [source] [sink] "
     "[hangup_ms] [called_ton] [calling_ton] [pres] [overlap_digits] "
     "[digit_gap_ms] [sending_complete]",
     "place calls toward the gateway"},
    {"hangup", cmd_hangup, "call [cause]", "clear a call"},
    {"number", cmd_number, "number behaviour [...]",
     "set how a called number behaves"},
    {"dchan", cmd_dchan, "span state", "take the D-channel down or up"},
    {"alarm", cmd_alarm, "span alarms", "raise or clear alarms (sim)"},
    {"loss", cmd_loss, "span percent", "lose D-channel frames"},
    {"slip", cmd_slip, "span [count]", "inject controlled slips (sim)"},
    {"restart", cmd_restart, "span [chan]", "send RESTART"},
    {"service", cmd_service, "span chan state", "send SERVICE"},
    {"quit", cmd_quit, "", "stop pstnsim"},
    {"help", cmd_help, "", "this list"},
};

static int cmd_help(void *arg, const struct json_doc *d, int req,
		    struct json_out *o, char *err, size_t cap)
{
	(void)arg, (void)d, (void)req, (void)err, (void)cap;
	ctl_help_put(psim_cmds, sizeof(psim_cmds) / sizeof(psim_cmds[0]), o);
	return 0;
}

int psim_ctl_open(struct psim *p, const char *path, char *err, size_t cap)
{
	const struct ctl_table t = {
	    .cmds = psim_cmds,
	    .ncmds = sizeof(psim_cmds) / sizeof(psim_cmds[0]),
	    .arg = p,
	    .who = "pstnsim",
	};
	return ctl_new(&p->ctl, p->loop, &t, path, err, cap);
}
