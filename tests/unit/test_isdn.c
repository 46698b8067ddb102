/*
 * Unit tests for gw/isdn against a real libpri NETWORK side in the same
 * process. A "pair" span back end (defined here) carries the D-channel and
 * B-channels over socketpairs; the far end of each is driven by the test.
 * Covers link settling, RESTART both ways, SERVICE, incoming call handling
 * and clearing, channel selection, hunting, and the back end going away.
 */
#include <errno.h>
#include <libpri.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "isdn/isdn.h"
#include "log.h"
#include "loop.h"
#include "t.h"

/* ---- the pair back end ---- */

struct pair_span {
	struct tdm_span base;
	int dfd, peer_dfd;
	int efd;
	struct tdm_event pending[8];
	unsigned npending;
};

struct pair_bchan {
	struct tdm_bchan base;
};

static const struct tdm_span_ops pair_ops;
static struct pair_span *pair; /* the span the test's far end talks to */
static int pair_opens;

static int pair_open(struct tdm_span **sp, const struct tdm_span_conf *conf)
{
	struct pair_span *p = calloc(1, sizeof(*p));
	int sv[2];
	if (!p || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv)) {
		free(p);
		return -ENOMEM;
	}
	p->base.ops = &pair_ops;
	p->base.conf = *conf;
	p->base.ntimeslots = tdm_layout_timeslots(conf->layout);
	p->base.dchan = tdm_layout_dchan(conf->layout);
	p->base.law = tdm_layout_law(conf->layout);
	for (unsigned ts = 1; ts <= p->base.ntimeslots; ts++)
		if (ts != p->base.dchan)
			p->base.bchan_mask |= 1u << ts;
	snprintf(p->base.desc, sizeof(p->base.desc), "pair");
	p->dfd = sv[0];
	p->peer_dfd = sv[1];
	p->efd = eventfd(0, EFD_NONBLOCK);
	pair = p;
	pair_opens++;
	*sp = &p->base;
	return 0;
}

static void pair_close(struct tdm_span *s)
{
	struct pair_span *p = (struct pair_span *)s;
	close(p->dfd);
	close(p->peer_dfd);
	close(p->efd);
	if (pair == p)
		pair = NULL;
	free(p);
}

static int pair_dchan_fd(const struct tdm_span *s)
{
	return ((const struct pair_span *)s)->dfd;
}

static int pair_event_fd(const struct tdm_span *s)
{
	return ((const struct pair_span *)s)->efd;
}

static int pair_get_event(struct tdm_span *s, struct tdm_event *ev)
{
	struct pair_span *p = (struct pair_span *)s;
	uint64_t n;
	if (read(p->efd, &n, sizeof(n)) < 0 && !p->npending)
		return 0;
	if (!p->npending)
		return 0;
	*ev = p->pending[0];
	memmove(p->pending, p->pending + 1, --p->npending * sizeof(*ev));
	if (ev->type == TDM_EV_ALARM)
		s->alarms = ev->alarms;
	return 1;
}

static ssize_t pair_dchan_read(struct tdm_span *s, void *buf, size_t len)
{
	ssize_t n = recv(((struct pair_span *)s)->dfd, buf, len, 0);
	return n < 0 ? -errno : n;
}

static ssize_t pair_dchan_write(struct tdm_span *s, const void *buf, size_t len)
{
	ssize_t n = send(((struct pair_span *)s)->dfd, buf, len, 0);
	return n < 0 ? -errno : n;
}

static int pair_bchan_open(struct tdm_span *s, unsigned ts,
			   struct tdm_bchan **bp)
{
	struct pair_bchan *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->base.span = s;
	b->base.ts = ts;
	b->base.fd = -1;
	*bp = &b->base;
	return 0;
}

static void pair_bchan_close(struct tdm_bchan *b)
{
	free(b);
}

static ssize_t pair_bchan_io(struct tdm_bchan *b, uint8_t *buf, size_t len)
{
	(void)b, (void)buf, (void)len;
	return -EAGAIN;
}

static ssize_t pair_bchan_write(struct tdm_bchan *b, const uint8_t *buf,
				size_t len)
{
	(void)b, (void)buf;
	return (ssize_t)len;
}

static int pair_bchan_flush(struct tdm_bchan *b)
{
	(void)b;
	return 0;
}

static const struct tdm_span_ops pair_ops = {
    .name = "pair",
    .open = pair_open,
    .close = pair_close,
    .dchan_fd = pair_dchan_fd,
    .event_fd = pair_event_fd,
    .get_event = pair_get_event,
    .dchan_read = pair_dchan_read,
    .dchan_write = pair_dchan_write,
    .bchan_open = pair_bchan_open,
    .bchan_close = pair_bchan_close,
    .bchan_read = pair_bchan_io,
    .bchan_write = pair_bchan_write,
    .bchan_flush = pair_bchan_flush,
};

static void pair_inject(enum tdm_event_type type, unsigned alarms)
{
	uint64_t one = 1;
	pair->pending[pair->npending++] = (struct tdm_event){type, alarms};
	CHECK(write(pair->efd, &one, sizeof(one)) == sizeof(one));
}

/* ---- the far end: libpri NETWORK ---- */

#define MAX_EVENTS 256

struct far_event {
	int e, channel, cause, status;
};

static struct {
	struct loop *loop;
	struct pri *pri;
	struct loop_io io;
	int io_fd;
	struct loop_timer timer;
	struct far_event ev[MAX_EVENTS];
	unsigned nev;
	q931_call *call;
	q931_call *ring_call; /* the last SETUP from the gateway */
	bool up;
} far;

/* libpri has no destructor: every far-end instance stays reachable */
static struct pri *far_pris[64];
static unsigned nfar;

static int far_read(struct pri *p, void *buf, int len)
{
	(void)p;
	ssize_t n = pair ? recv(pair->peer_dfd, buf, (size_t)len, 0) : -1;
	return n < 0 ? 0 : (int)n;
}

static int far_write(struct pri *p, void *buf, int len)
{
	(void)p;
	ssize_t n = pair ? send(pair->peer_dfd, buf, (size_t)len, 0) : -1;
	return n < 0 ? 0 : (int)n;
}

static void far_record(pri_event *e)
{
	struct far_event fe = {.e = e->e};
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		far.up = true;
		break;
	case PRI_EVENT_DCHAN_DOWN:
		far.up = false;
		break;
	case PRI_EVENT_RESTART:
		fe.channel = e->restart.channel & 0xff;
		break;
	case PRI_EVENT_SERVICE:
		fe.channel = e->service.channel & 0xff;
		fe.status = e->service.changestatus;
		break;
	case PRI_EVENT_HANGUP:
	case PRI_EVENT_HANGUP_REQ:
	case PRI_EVENT_HANGUP_ACK:
		fe.cause = e->hangup.cause;
		fe.channel = e->hangup.channel & 0xff;
		/* the far end finishes clearing at once */
		if (e->e == PRI_EVENT_HANGUP || e->e == PRI_EVENT_HANGUP_REQ)
			pri_hangup(far.pri, e->hangup.call, e->hangup.cause);
		if (e->hangup.call == far.call && e->e != PRI_EVENT_HANGUP_REQ)
			far.call = NULL;
		break;
	case PRI_EVENT_ANSWER:
		fe.channel = e->answer.channel & 0xff;
		break;
	case PRI_EVENT_RING:
		/* the gateway's SETUP: left unanswered for the test to act */
		fe.channel = e->ring.channel & 0xff;
		far.ring_call = e->ring.call;
		break;
	default:
		break;
	}
	if (far.nev < MAX_EVENTS)
		far.ev[far.nev++] = fe;
}

static void far_rearm(void)
{
	struct timeval *next = pri_schedule_next(far.pri), now;
	if (!next)
		return;
	gettimeofday(&now, NULL);
	long long us = (long long)(next->tv_sec - now.tv_sec) * 1000000 +
		       (next->tv_usec - now.tv_usec);
	loop_timer_start_ns(far.loop, &far.timer,
			    us > 0 ? (uint64_t)us * 1000 : 0);
}

static void far_fire(struct loop_timer *t)
{
	(void)t;
	pri_event *e;
	while ((e = pri_schedule_run(far.pri)))
		far_record(e);
	far_rearm();
}

static void far_readable(struct loop_io *io, uint32_t events)
{
	(void)io, (void)events;
	pri_event *e = pri_check_event(far.pri);
	if (e)
		far_record(e);
	far_rearm();
}

/* Watches the current pair's far end (again after a reopen). */
static void far_attach(void)
{
	if (far.io.added)
		loop_io_del(far.loop, &far.io);
	if (pair)
		loop_io_add(far.loop, &far.io, pair->peer_dfd, EPOLLIN,
			    far_readable, NULL);
}

static unsigned far_count(int e, int channel)
{
	unsigned n = 0;
	for (unsigned i = 0; i < far.nev; i++)
		if (far.ev[i].e == e &&
		    (channel < 0 || far.ev[i].channel == channel))
			n++;
	return n;
}

static const struct far_event *far_last(int e)
{
	for (unsigned i = far.nev; i-- > 0;)
		if (far.ev[i].e == e)
			return &far.ev[i];
	return NULL;
}

/* ---- the gateway side ---- */

enum reaction {
	REACT_ANSWER,
	REACT_REJECT,
	REACT_NONE,
	REACT_SETUP_ACK, /* overlap receiving */
};

static struct {
	struct isdn *isdn;
	enum reaction react;
	int reject_cause;
	unsigned setups, releases, disconnects;
	int last_release_cause;
	unsigned last_ts;
	struct isdn_call *call;
	char setup_called[32], digits[32]; /* overlap: SETUP, INFORMATION */
	bool setup_complete, info_complete;
	unsigned infos;
} gw;

static void on_call(void *arg, struct isdn_call *c,
		    const struct isdn_call_ev *ev)
{
	(void)arg;
	switch (ev->type) {
	case ISDN_CALL_SETUP:
		gw.setups++;
		gw.last_ts = ev->setup->ts;
		gw.call = c;
		snprintf(gw.setup_called, sizeof(gw.setup_called), "%s",
			 ev->setup->called);
		gw.setup_complete = ev->setup->complete;
		if (gw.react == REACT_ANSWER)
			isdn_call_answer(c);
		else if (gw.react == REACT_REJECT)
			isdn_call_hangup(c, gw.reject_cause);
		else if (gw.react == REACT_SETUP_ACK)
			isdn_call_setup_ack(c);
		break;
	case ISDN_CALL_INFO:
		gw.infos++;
		strncat(gw.digits, ev->digits,
			sizeof(gw.digits) - strlen(gw.digits) - 1);
		gw.info_complete = ev->complete;
		break;
	case ISDN_CALL_DISCONNECT:
		gw.disconnects++;
		isdn_call_hangup(c, PRI_CAUSE_NORMAL_CLEARING);
		break;
	case ISDN_CALL_RELEASED:
		gw.releases++;
		gw.last_release_cause = ev->cause;
		if (gw.call == c)
			gw.call = NULL;
		break;
	default:
		break;
	}
}

static const struct isdn_handlers handlers = {.call_event = on_call};

static bool run_until(bool (*cond)(void), unsigned timeout_ms)
{
	uint64_t end = loop_now_ms(far.loop) + timeout_ms;
	while (!cond()) {
		if (loop_now_ms(far.loop) > end)
			return false;
		loop_run_once(far.loop, 5);
	}
	return true;
}

static void run_for(unsigned ms)
{
	uint64_t end = loop_now_ms(far.loop) + ms;
	while (loop_now_ms(far.loop) < end)
		loop_run_once(far.loop, 5);
}

static struct isdn_span *span(void)
{
	return isdn_span_get(gw.isdn, 1);
}

static bool span_is_up(void)
{
	struct isdn_span_status st;
	isdn_span_status(span(), &st);
	return st.link == ISDN_LINK_UP && st.restarting == 0 && far.up;
}

static bool pair_net; /* next setup_pair: we are the network side */

/* Sets up both sides for one test: E1 EuroISDN or T1 NI2. */
static bool setup_pair(bool t1, bool restart_on_up)
{
	memset(&gw, 0, sizeof(gw));
	memset(&far, 0, sizeof(far));
	log_init("test", LOG_SINK_STDERR, LOG_LVL_WARN);
	if (loop_new(&far.loop))
		return false;
	loop_timer_init(&far.timer, far_fire, NULL);
	struct conf_span cs = {
	    .no = 1,
	    .layout = t1 ? TDM_T1 : TDM_E1,
	    .switchtype = t1 ? CONF_SW_NI2 : CONF_SW_EUROISDN,
	    .side = pair_net ? CONF_SIDE_NET : CONF_SIDE_CPE,
	    .unit = 1,
	    .blocksize = 160,
	    .restart_on_up = restart_on_up,
	    .link_settle_ms = 20,
	    .service_messages = t1,
	    .t200_ms = 1000,
	    .t203_ms = 10000,
	    .n200 = 3,
	};
	strcpy(cs.driver, "pair");
	for (unsigned ts = 1; ts <= (t1 ? 23u : 31u); ts++)
		if (ts != 16 || t1)
			cs.channels |= 1u << ts;
	if (isdn_new(&gw.isdn, far.loop, &handlers, NULL) ||
	    isdn_span_add(gw.isdn, &cs, &pair_ops))
		return false;
	far.pri = pri_new_cb(-1, pair_net ? PRI_CPE : PRI_NETWORK,
			     t1 ? PRI_SWITCH_NI2 : PRI_SWITCH_EUROISDN_E1,
			     far_read, far_write, NULL);
	if (!far.pri)
		return false;
	if (nfar < 64)
		far_pris[nfar++] = far.pri;
	if (t1)
		pri_set_service_message_support(far.pri, 1);
	far_attach();
	far_rearm();
	return run_until(span_is_up, 3000);
}

static void teardown(void)
{
	isdn_free(gw.isdn);
	if (far.io.added)
		loop_io_del(far.loop, &far.io);
	loop_timer_stop(far.loop, &far.timer);
	loop_free(far.loop);
	/* libpri controllers cannot be freed; each test leaks one */
}

static bool far_overlap; /* next far_setup: without Sending Complete */

/* Places a call from the far end on ts (exclusive unless flexible). */
static void far_setup(unsigned ts, bool exclusive, const char *called)
{
	char num[32], caller[] = "4930555"; /* libpri takes char * */
	snprintf(num, sizeof(num), "%s", called);
	far.call = pri_new_call(far.pri);
	struct pri_sr *sr = pri_sr_new();
	pri_sr_set_channel(sr, (int)ts, exclusive, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
	pri_sr_set_called(sr, num, PRI_UNKNOWN, far_overlap ? 0 : 1);
	pri_sr_set_caller(sr, caller, NULL, PRI_UNKNOWN,
			  PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	/* libpri omits Sending Complete on EuroISDN only in overlap mode */
	pri_set_overlapdial(far.pri, far_overlap ? 1 : 0);
	pri_setup(far.pri, far.call, sr);
	pri_sr_free(sr);
	far_rearm();
}

static unsigned want_setups;
static bool got_setups(void)
{
	return gw.setups >= want_setups;
}
static int want_far_event;
static unsigned want_far_count;
static bool far_has(void)
{
	return far_count(want_far_event, -1) >= want_far_count;
}
static unsigned want_releases;
static bool got_releases(void)
{
	return gw.releases >= want_releases;
}

#define WAIT_FAR(ev, n)                                                        \
	do {                                                                   \
		want_far_event = (ev);                                         \
		want_far_count = (n);                                          \
		CHECK(run_until(far_has, 3000));                               \
	} while (0)

/* ---- tests ---- */

TEST(link_settles_then_every_channel_is_restarted)
{
	CHECK(setup_pair(false, true));
	struct isdn_span_status st;
	isdn_span_status(span(), &st);
	CHECK_INT(st.nchan, 30);
	CHECK_INT(st.idle, 30);
	CHECK_INT(st.restarts_tx, 30);
	CHECK_INT(far_count(PRI_EVENT_RESTART, -1), 30);
	CHECK_INT(far_count(PRI_EVENT_RESTART, 16), 0); /* the D-channel */
	CHECK(isdn_span_usable(span()));
	teardown();
}

TEST(incoming_call_answered_then_cleared_by_far_end)
{
	CHECK(setup_pair(false, false));
	gw.react = REACT_ANSWER;
	far_setup(5, true, "1010");
	want_setups = 1;
	CHECK(run_until(got_setups, 2000));
	CHECK_INT(gw.last_ts, 5);
	WAIT_FAR(PRI_EVENT_ANSWER, 1);
	struct isdn_chan_status cs;
	isdn_chan_status(span(), 5, &cs);
	CHECK_INT(cs.state, ISDN_CH_BUSY);
	pri_hangup(far.pri, far.call, PRI_CAUSE_NORMAL_CLEARING);
	far_rearm();
	want_releases = 1;
	CHECK(run_until(got_releases, 2000));
	CHECK_INT(gw.disconnects, 1);
	isdn_chan_status(span(), 5, &cs);
	CHECK_INT(cs.state, ISDN_CH_IDLE);
	CHECK_INT(isdn_call_count(gw.isdn), 0);
	teardown();
}

TEST(call_rejected_with_our_cause)
{
	CHECK(setup_pair(false, false));
	gw.react = REACT_REJECT;
	gw.reject_cause = PRI_CAUSE_NO_ROUTE_DESTINATION; /* DISCONNECT */
	far_setup(3, true, "4930999");
	WAIT_FAR(PRI_EVENT_HANGUP_REQ, 1);
	CHECK_INT(far_last(PRI_EVENT_HANGUP_REQ)->cause,
		  PRI_CAUSE_NO_ROUTE_DESTINATION);
	want_releases = 1;
	CHECK(run_until(got_releases, 2000));
	/* cause 34 answers with RELEASE COMPLETE: freed at once */
	gw.reject_cause = PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
	far_setup(4, true, "4930999");
	WAIT_FAR(PRI_EVENT_HANGUP, 1);
	CHECK_INT(far_last(PRI_EVENT_HANGUP)->cause,
		  PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
	want_releases = 2;
	CHECK(run_until(got_releases, 2000));
	struct isdn_chan_status cs;
	isdn_chan_status(span(), 4, &cs);
	CHECK_INT(cs.state, ISDN_CH_IDLE);
	CHECK_INT(isdn_call_count(gw.isdn), 0);
	teardown();
}

TEST(exclusive_request_for_an_unavailable_channel_gets_cause_44)
{
	CHECK(setup_pair(false, false));
	gw.react = REACT_NONE;
	CHECK(isdn_chan_block(span(), 7, true) == 0);
	far_setup(7, true, "1010");
	WAIT_FAR(PRI_EVENT_HANGUP, 1);
	CHECK_INT(far_last(PRI_EVENT_HANGUP)->cause,
		  PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	CHECK_INT(gw.setups, 0);
	/* a preferred (non-exclusive) request gets another channel */
	far_setup(7, false, "1010");
	want_setups = 1;
	CHECK(run_until(got_setups, 2000));
	CHECK(gw.last_ts != 7);
	teardown();
}

TEST(restart_from_far_end_drops_the_call_on_that_channel)
{
	CHECK(setup_pair(false, false));
	gw.react = REACT_ANSWER;
	far_setup(9, true, "1010");
	WAIT_FAR(PRI_EVENT_ANSWER, 1);
	/* the far end loses its call state and restarts the channel */
	pri_destroycall(far.pri, far.call);
	far.call = NULL;
	pri_reset(far.pri, 9);
	far_rearm();
	want_releases = 1;
	CHECK(run_until(got_releases, 2000));
	CHECK_INT(gw.last_release_cause, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE);
	struct isdn_span_status st;
	isdn_span_status(span(), &st);
	CHECK_INT(st.restarts_rx, 1);
	CHECK_INT(st.busy, 0);
	teardown();
}

TEST(operator_restart_of_one_channel_and_of_the_span)
{
	CHECK(setup_pair(false, false));
	CHECK(isdn_span_restart(span(), 12) == 0);
	WAIT_FAR(PRI_EVENT_RESTART, 1);
	CHECK_INT(far_count(PRI_EVENT_RESTART, 12), 1);
	CHECK(run_until(span_is_up, 2000));
	CHECK(isdn_span_restart(span(), 16) == -EINVAL);
	CHECK(isdn_span_restart(span(), 0) == 0);
	WAIT_FAR(PRI_EVENT_RESTART, 31);
	CHECK(run_until(span_is_up, 2000));
	teardown();
}

TEST(service_messages_block_and_unblock_on_ni2)
{
	CHECK(setup_pair(true, false));
	CHECK(isdn_chan_block(span(), 4, true) == 0);
	WAIT_FAR(PRI_EVENT_SERVICE, 1);
	CHECK_INT(far_last(PRI_EVENT_SERVICE)->channel, 4);
	CHECK_INT(far_last(PRI_EVENT_SERVICE)->status, 2);
	CHECK_INT(isdn_span_hunt(span(), CONF_HUNT_ASCENDING), 1);
	CHECK(isdn_chan_block(span(), 4, false) == 0);
	WAIT_FAR(PRI_EVENT_SERVICE, 2);
	CHECK_INT(far_last(PRI_EVENT_SERVICE)->status, 0);
	/* the far end takes channel 6 out of service */
	pri_maintenance_service(far.pri, 0, 6, 2);
	far_rearm();
	run_for(100);
	struct isdn_chan_status cs;
	isdn_chan_status(span(), 6, &cs);
	CHECK(cs.blocked_far);
	CHECK(!cs.blocked_near);
	teardown();
}

TEST(hunting_orders)
{
	CHECK(setup_pair(false, false));
	struct isdn_span *s = span();
	CHECK_INT(isdn_span_hunt(s, CONF_HUNT_ASCENDING), 1);
	CHECK_INT(isdn_span_hunt(s, CONF_HUNT_DESCENDING), 31);
	CHECK(isdn_chan_block(s, 31, true) == 0);
	CHECK_INT(isdn_span_hunt(s, CONF_HUNT_DESCENDING), 30);
	unsigned a = isdn_span_hunt(s, CONF_HUNT_ROUNDROBIN);
	unsigned b = isdn_span_hunt(s, CONF_HUNT_ROUNDROBIN);
	CHECK(b == a + 1 || (a == 15 && b == 17));
	teardown();
}

TEST(back_end_gone_drops_calls_and_reopens)
{
	CHECK(setup_pair(false, false));
	gw.react = REACT_ANSWER;
	far_setup(2, true, "1010");
	WAIT_FAR(PRI_EVENT_ANSWER, 1);
	int opens = pair_opens;
	pair_inject(TDM_EV_GONE, TDM_ALARM_NOTOPEN);
	want_releases = 1;
	CHECK(run_until(got_releases, 2000));
	CHECK_INT(gw.last_release_cause, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
	struct isdn_span_status st;
	isdn_span_status(span(), &st);
	CHECK_INT(st.link, ISDN_LINK_CLOSED);
	CHECK(!isdn_span_usable(span()));
	run_for(1200); /* ISDN_REOPEN_MS */
	CHECK_INT(pair_opens, opens + 1);
	teardown();
}

TEST(red_alarm_makes_the_span_unusable)
{
	CHECK(setup_pair(false, false));
	pair_inject(TDM_EV_ALARM, TDM_ALARM_RED);
	run_for(50);
	CHECK(!isdn_span_usable(span()));
	CHECK_INT(isdn_span_hunt(span(), CONF_HUNT_ASCENDING), 0);
	pair_inject(TDM_EV_ALARM, 0);
	run_for(50);
	CHECK(isdn_span_usable(span()));
	teardown();
}

/* Our outgoing SETUP on ts (preferred on the CPE side, exclusive on NET). */
static struct isdn_call *gw_place(unsigned ts)
{
	struct isdn_setup st = {
	    .called = "4930100",
	    .calling = "4930999",
	    .complete = true,
	    .transfer_cap = PRI_TRANS_CAP_SPEECH,
	    .layer1 = PRI_LAYER_1_ALAW,
	    .ts = ts,
	    .exclusive = pair_net,
	};
	struct isdn_call *c = NULL;
	if (isdn_call_place(span(), &st, NULL, &c))
		return NULL;
	return c;
}

TEST(glare_rule_gives_the_channel_to_the_network)
{
	/* Q.931 §5.7: only the user side yields, and only a channel its
	 * outgoing call has not had answered yet */
	CHECK(isdn_chan_network_wins(CONF_SIDE_CPE, true, false));
	CHECK(!isdn_chan_network_wins(CONF_SIDE_CPE, true, true));
	CHECK(!isdn_chan_network_wins(CONF_SIDE_CPE, false, false));
	CHECK(!isdn_chan_network_wins(CONF_SIDE_NET, true, false));
	CHECK(!isdn_chan_network_wins(CONF_SIDE_NET, false, true));
}

TEST(glare_on_the_user_side_the_network_call_takes_the_channel)
{
	pair_net = false;
	CHECK(setup_pair(false, false));
	gw.react = REACT_NONE;
	struct isdn_call *out = gw_place(5);
	CHECK(out != NULL);
	WAIT_FAR(PRI_EVENT_RING, 1);
	CHECK_INT(far_last(PRI_EVENT_RING)->channel, 5);
	/* the network seized 5 at the same moment: its SETUP arrives */
	far_setup(5, true, "1010");
	want_setups = 1;
	CHECK(run_until(got_setups, 2000));
	CHECK_INT(gw.last_ts, 5);
	CHECK_INT(far_count(PRI_EVENT_HANGUP, -1), 0); /* not refused */
	struct isdn_chan_status cs;
	isdn_chan_status(span(), 5, &cs);
	CHECK_INT(cs.state, ISDN_CH_BUSY);
	CHECK(!cs.outgoing);
	CHECK_INT(cs.call_id, isdn_call_id(gw.call));
	CHECK_INT(isdn_call_ts(out), 0);
	struct isdn_span_status st;
	isdn_span_status(span(), &st);
	CHECK_INT(st.glares, 1);
	/* the network clears our call with 44 (Q.931 §5.1.2) */
	pri_hangup(far.pri, far.ring_call, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	far_rearm();
	want_releases = 1;
	CHECK(run_until(got_releases, 2000));
	CHECK_INT(gw.last_release_cause, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	isdn_chan_status(span(), 5, &cs);
	CHECK_INT(cs.state, ISDN_CH_BUSY); /* still the network's call */
	CHECK_INT(cs.call_id, isdn_call_id(gw.call));
	/* the network's call goes on: answer it, clear it */
	CHECK(isdn_call_answer(gw.call) == 0);
	WAIT_FAR(PRI_EVENT_ANSWER, 1);
	CHECK_INT(far_last(PRI_EVENT_ANSWER)->channel, 5);
	teardown();
}

TEST(glare_after_the_network_answered_our_setup_refuses_with_44)
{
	pair_net = false;
	CHECK(setup_pair(false, false));
	gw.react = REACT_NONE;
	CHECK(gw_place(6) != NULL);
	WAIT_FAR(PRI_EVENT_RING, 1);
	pri_proceeding(far.pri, far.ring_call, 6, 0);
	far_rearm();
	run_for(100);
	far_setup(6, true, "1010");
	WAIT_FAR(PRI_EVENT_HANGUP, 1);
	CHECK_INT(far_last(PRI_EVENT_HANGUP)->cause,
		  PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	CHECK_INT(gw.setups, 0);
	struct isdn_chan_status cs;
	isdn_chan_status(span(), 6, &cs);
	CHECK(cs.outgoing);
	teardown();
}

TEST(glare_on_the_network_side_our_call_wins)
{
	pair_net = true;
	CHECK(setup_pair(false, false));
	pair_net = false;
	gw.react = REACT_NONE;
	CHECK(gw_place(7) != NULL);
	WAIT_FAR(PRI_EVENT_RING, 1);
	/* the user asks for 7 exclusively at the same moment: refused 44 */
	far_setup(7, true, "1010");
	WAIT_FAR(PRI_EVENT_HANGUP, 1);
	CHECK_INT(far_last(PRI_EVENT_HANGUP)->cause,
		  PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	CHECK_INT(gw.setups, 0);
	struct isdn_chan_status cs;
	isdn_chan_status(span(), 7, &cs);
	CHECK(cs.outgoing);
	struct isdn_span_status st;
	isdn_span_status(span(), &st);
	CHECK_INT(st.glares, 0);
	teardown();
}

static unsigned want_infos;
static bool got_infos(void)
{
	return gw.infos >= want_infos;
}

TEST(overlap_receiving_setup_ack_then_information_digits)
{
	pair_net = false;
	CHECK(setup_pair(false, false));
	gw.react = REACT_SETUP_ACK;
	far_overlap = true;
	far_setup(3, true, "30");
	far_overlap = false;
	want_setups = 1;
	CHECK(run_until(got_setups, 2000));
	CHECK_STR(gw.setup_called, "30");
	CHECK(!gw.setup_complete);
	WAIT_FAR(PRI_EVENT_SETUP_ACK, 1);
	/* Q.931 §5.2.4.2: the rest of the number, a digit per message */
	pri_information(far.pri, far.call, '5');
	pri_information(far.pri, far.call, '7');
	far_rearm();
	want_infos = 2;
	CHECK(run_until(got_infos, 2000));
	CHECK_STR(gw.digits, "57");
	CHECK(!gw.info_complete);
	/* the number is complete: the call goes on as usual */
	CHECK(isdn_call_proceeding(gw.call) == 0);
	CHECK(isdn_call_answer(gw.call) == 0);
	WAIT_FAR(PRI_EVENT_ANSWER, 1);
	/* a SETUP ACKNOWLEDGE only answers a SETUP */
	CHECK(isdn_call_setup_ack(gw.call) == -EALREADY);
	teardown();
}
