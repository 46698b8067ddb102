/*
 * Trunk groups in the call layer: prefix routing (longest match first,
 * configuration order among equals, "*" last), admission by concurrent
 * calls and calls per second, per-group cause maps and numbering, and
 * keeping groups (with their counters) across a reload.
 */
#include <libpri.h>
#include <string.h>

#include "call/call_int.h"
#include "tests/unit/t.h"

static const char *const CONF =
    "[general]\ncontrol_socket = /tmp/x.sock\n"
    "[span 1]\ndriver = sim\ndevice = /x\ntype = e1\n"
    "[span 2]\ndriver = sim\ndevice = /x\ntype = e1\n"
    "[span 3]\ndriver = sim\ndevice = /x\ntype = e1\n"
    "[span 4]\ndriver = sim\ndevice = /x\ntype = e1\n"
    "[trunkgroup de]\nspans = 1\nprefixes = 49\n"
    "[trunkgroup berlin]\nspans = 2\nprefixes = 4930, 4940\n"
    "max_calls = 2\ncauses_q850 = 17:480\n"
    "[trunkgroup backup]\nspans = 3\nprefixes = 49\nmax_cps = 3\n"
    "[trunkgroup any]\nspans = 4\nprefixes = *\n";

static int setup(struct gw *gw, const char *text)
{
	char err[256];
	memset(gw, 0, sizeof(*gw));
	if (conf_load_buf(&gw->conf, "t.conf", text, err, sizeof(err))) {
		t_fail(__FILE__, __LINE__, "%s", err);
		return -1;
	}
	return call_table_new(gw);
}

static void teardown(struct gw *gw)
{
	call_table_free(gw);
	conf_free(gw->conf);
}

static const char *route_names(struct gw *gw, const char *e164, char *buf)
{
	struct call_tg *tgs[8];
	unsigned n = call_tg_route(gw, e164, tgs, 8);
	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		strcat(buf, i ? "," : "");
		strcat(buf, tgs[i]->conf.name);
	}
	return buf;
}

TEST(longest_prefix_first_then_config_order)
{
	struct gw gw;
	char buf[128];
	CHECK_INT(setup(&gw, CONF), 0);
	CHECK_STR(route_names(&gw, "4930123", buf), "berlin,de,backup,any");
	CHECK_STR(route_names(&gw, "4940123", buf), "berlin,de,backup,any");
	CHECK_STR(route_names(&gw, "4989123", buf), "de,backup,any");
	CHECK_STR(route_names(&gw, "33123", buf), "any");
	teardown(&gw);
	CHECK_INT(setup(&gw, "[general]\ncontrol_socket = /x\n"
			     "[span 1]\ndriver = sim\ndevice = /x\ntype = e1\n"
			     "[trunkgroup de]\nspans = 1\nprefixes = 49\n"),
		  0);
	CHECK_STR(route_names(&gw, "33123", buf), "");
	teardown(&gw);
}

TEST(admission_limits)
{
	struct gw gw;
	CHECK_INT(setup(&gw, CONF), 0);
	struct call_tg *tgs[8];
	CHECK_INT(call_tg_route(&gw, "4930123", tgs, 8), 4);
	struct call_tg *berlin = tgs[0], *backup = tgs[2];
	/* max_calls counts calls holding a channel (the call layer's
	 * tg->active) */
	berlin->active = 2;
	CHECK_INT(call_tg_admit(berlin, 1000),
		  PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
	berlin->active = 1;
	CHECK_INT(call_tg_admit(berlin, 1000), 0);
	/* max_cps = 3 within one second, a new second starts afresh */
	for (int i = 0; i < 3; i++)
		CHECK_INT(call_tg_admit(backup, 5000 + (uint64_t)i), 0);
	CHECK_INT(call_tg_admit(backup, 5999), PRI_CAUSE_SWITCH_CONGESTION);
	CHECK_INT(call_tg_admit(backup, 6000), 0);
	CHECK_INT((int)backup->calls_refused_rate, 1);
	CHECK_INT((int)berlin->calls_refused_full, 1);
	teardown(&gw);
}

TEST(per_group_cause_map_and_plan)
{
	struct gw gw;
	CHECK_INT(setup(&gw, CONF), 0);
	struct call_tg *tgs[8];
	call_tg_route(&gw, "4930123", tgs, 8);
	CHECK_INT(cause_to_sip(&tgs[0]->causes, 17), 480); /* override */
	CHECK_INT(cause_to_sip(&tgs[1]->causes, 17), 486); /* RFC 3398 */
	CHECK_STR(tgs[0]->plan.country_code, "49");
	CHECK_STR(tgs[0]->plan.national_prefix, "0");
	CHECK(call_tg_for_span(&gw, 2) == tgs[0]);
	CHECK(call_tg_for_span(&gw, 9) == NULL);
	teardown(&gw);
}

TEST(reload_keeps_groups_by_name)
{
	struct gw gw;
	char err[256];
	CHECK_INT(setup(&gw, CONF), 0);
	struct call_tg *tgs[8];
	call_tg_route(&gw, "4930123", tgs, 8);
	struct call_tg *berlin = tgs[0];
	berlin->active = 1;
	struct conf *next;
	CHECK_INT(
	    conf_load_buf(&next, "t2.conf",
			  "[general]\ncontrol_socket = /x\n"
			  "[span 2]\ndriver = sim\ndevice = /x\ntype = e1\n"
			  "[trunkgroup berlin]\nspans = 2\n"
			  "prefixes = 4930\n",
			  err, sizeof(err)),
	    0);
	conf_free(gw.conf);
	gw.conf = next;
	CHECK_INT(call_table_reload(&gw), 0);
	CHECK_INT((int)call_tg_route(&gw, "4930123", tgs, 8), 1);
	/* the same object: calls holding it stay valid, counters kept */
	CHECK(tgs[0] == berlin);
	CHECK_INT((int)berlin->active, 1);
	CHECK_STR(berlin->conf.prefixes, "4930");
	CHECK_INT((int)call_tg_route(&gw, "4989123", tgs, 8), 0);
	teardown(&gw);
}
