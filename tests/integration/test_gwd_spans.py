#!/usr/bin/env python3
"""gwd on simulated spans against pstnsim: D-channels, alarms, SERVICE,
RESTART, a call seen and rejected by the call layer, a test line carrying
a byte-exact B-channel stream, and shutdown clearing calls with cause 16."""
import json
import signal
import time

import harness
from harness import Gwd, Pstnsim, check, check_eq, test, wait_for

PSTNSIM_CONF = """
[span 1]
type = e1
[span 2]
type = e1
[span 3]
type = t1
switch = ni2
"""


def gwd_conf(sim):
    return """[general]
test_loopback = 1010
test_milliwatt = 1004
[span 1]
driver = sim
device = %(s)s
type = e1
[span 2]
driver = sim
device = %(s)s
type = e1
unit = 2
[span 3]
driver = sim
device = %(s)s
type = t1
switch = ni2
unit = 3
""" % {"s": sim}


def start():
    ps = Pstnsim(PSTNSIM_CONF)
    gw = Gwd(gwd_conf(ps.sim_sock))
    # up, and the restart of every channel that follows link-up is done
    gw.wait_spans(lambda sp: all(s["state"] == "up" and
                                 s["channels"]["idle"] ==
                                 s["channels"]["total"]
                                 for s in sp.values()),
                  8, "all spans up and idle")
    return ps, gw


def idle(span, total):
    c = span["channels"]
    return (span["state"] == "up" and span["dchan"] == "up" and
            c["total"] == total and c["idle"] == total)


@test
def spans_come_up_idle():
    ps, gw = start()
    rc, out, err = gw.gwctl("--json", "spans")
    check_eq(rc, 0, "gwctl exit status")
    spans = {s["span"]: s for s in json.loads(out)["spans"]}
    check_eq(sorted(spans), [1, 2, 3], "spans")
    for no, total in ((1, 30), (2, 30), (3, 23)):
        check(idle(spans[no], total), "span %d not up and idle" % no,
              spans[no])
        check_eq(spans[no]["alarms"], "none", "span %d alarms" % no)
    check_eq(spans[3]["type"], "T1", "span 3 type")
    check_eq(spans[3]["switch"], "ni2", "span 3 switch")
    sim = {s["span"]: s for s in ps.cmd("spans")["spans"]}
    for no in (1, 2, 3):
        check_eq(sim[no]["dchan"], "up", "pstnsim span %d dchan" % no)
    # the table form names every span
    rc, out, err = gw.gwctl("spans")
    check_eq(rc, 0, "gwctl spans")
    check(len(out.strip().splitlines()) == 4, "3 spans + header", out)


@test
def dchan_down_is_seen_within_2s_and_recovers():
    ps, gw = start()
    ps.cmd("dchan", span=2, state="down")
    t0 = time.monotonic()
    gw.wait_spans(lambda sp: sp[2]["dchan"] == "down", 2.0,
                  "span 2 D-channel down")
    dt = time.monotonic() - t0
    check(dt < 2.0, "down seen after %.2fs" % dt)
    sp = gw.spans()
    check_eq(sp[1]["dchan"], "up", "span 1 unaffected")
    check(not sp[2]["usable"], "span 2 must not be usable", sp[2])
    ps.cmd("dchan", span=2, state="up")
    gw.wait_spans(lambda sp: idle(sp[2], 30), 8, "span 2 back up")


@test
def lost_back_end_takes_the_dchannel_down_and_it_returns():
    ps, gw = start()
    ps.stop()
    sp = gw.wait_spans(lambda sp: all(s["state"] == "closed" and
                                      s["dchan"] == "down"
                                      for s in sp.values()),
                       5, "spans closed with the D-channel down")
    for no in (1, 2, 3):
        check_eq(sp[no]["counters"]["dchan_down"], 1,
                 "span %d D-channel downs counted" % no)
    ps = Pstnsim(PSTNSIM_CONF)  # the same socket path: gwd reattaches
    gw.wait_spans(lambda sp: all(s["state"] == "up" and s["dchan"] == "up"
                                 for s in sp.values()),
                  10, "spans up again")


@test
def red_alarm_is_reported_and_cleared():
    ps, gw = start()
    ps.cmd("alarm", span=1, alarms="red")
    gw.wait_spans(lambda sp: sp[1]["alarms"] == "red" and
                  sp[1]["dchan"] == "down", 2.0, "span 1 red and down")
    ps.cmd("alarm", span=1, alarms="none")
    gw.wait_spans(lambda sp: sp[1]["alarms"] == "none" and idle(sp[1], 30),
                  8, "span 1 clear and up")


@test
def block_unblock_sends_service():
    ps, gw = start()
    since = ps.cmd("status")["last_event"]
    rc, out, err = gw.gwctl("block", "3/5")
    check_eq(rc, 0, "gwctl block: " + err)
    ev = ps.wait_event(3, since, type="service", span=3, chan=5)
    check_eq(ev["state"], "out", "SERVICE change status")
    ch = [c for c in gw.ctl("channels", span=3)["channels"]
          if c["chan"] == 5][0]
    check(ch["blocked_near"] and not ch["blocked_far"], "channel 5 blocked",
          ch)
    sp = gw.spans()[3]["channels"]
    check_eq(sp["blocked"], 1, "span 3 blocked count")
    rc, out, err = gw.gwctl("unblock", "3/5")
    check_eq(rc, 0, "gwctl unblock: " + err)
    ev = ps.wait_event(3, since, type="service", span=3, chan=5, state="in")
    gw.wait_spans(lambda sp: sp[3]["channels"]["blocked"] == 0, 3,
                  "span 3 unblocked")
    # the network blocks a channel: the gateway must not use it
    ps.cmd("service", span=3, chan=7, state="out")
    gw.wait_spans(lambda sp: sp[3]["channels"]["blocked"] == 1, 3,
                  "far-end block seen")
    ps.cmd("service", span=3, chan=7, state="in")
    gw.wait_spans(lambda sp: sp[3]["channels"]["blocked"] == 0, 3,
                  "far-end unblock seen")


@test
def network_restart_returns_channels_to_idle():
    ps, gw = start()
    r = ps.cmd("originate", span=1, called="1010", source="ramp",
               sink="ramp")
    call = r["calls"][0]
    wait_for(lambda: ps.cmd("call", call=call)["call"]["state"] == "active",
             5, "test call answered")
    gw.wait_spans(lambda sp: sp[1]["channels"]["busy"] == 1, 3,
                  "gateway channel busy")
    since = ps.cmd("status")["last_event"]
    ps.cmd("restart", span=1)
    wait_for(lambda: len(ps.events(since, type="restart_ack", span=1)) == 30,
             5, "30 RESTART ACKNOWLEDGE")
    gw.wait_spans(lambda sp: idle(sp[1], 30), 3, "span 1 idle again")
    sim = ps.cmd("span", span=1)["span"]
    check_eq(sim["idle"], 30, "pstnsim channels idle")


@test
def call_from_network_is_rejected_with_cause():
    ps, gw = start()
    r = ps.cmd("originate", span=2, called="4930123456", calling="301234")
    call = r["calls"][0]
    ev = ps.wait_event(5, 0, type="call_released", call=call)
    # no SIP side yet: the call layer rejects with "no route" (cause 3)
    check_eq(ev["cause"], 3, "cause")
    check_eq(ev["by"], "gateway", "released by")
    q = ps.events(0, type="q931", dir="rx", span=2)
    check(any(e.get("cause") == 3 for e in q), "cause 3 on the wire", q)
    gw.wait_spans(lambda sp: idle(sp[2], 30), 3, "span 2 idle")
    st = gw.spans()[2]["counters"]
    check_eq(st["calls_in"], 1, "calls_in")
    check_eq(st["calls_rejected"], 1, "calls_rejected")


@test
def test_line_loops_bchannel_bytes_exactly():
    ps, gw = start()
    calls = []
    for span in (1, 3):
        r = ps.cmd("originate", span=span, called="1010", source="ramp",
                   sink="ramp", hangup_ms=2000)
        calls.append(r["calls"][0])
    for call in calls:
        ev = ps.wait_event(6, 0, type="call_released", call=call)
        check_eq(ev["cause"], 16, "normal clearing")
        a = ev["audio"]
        check(a["ramp_synced"], "ramp never synchronised", a)
        check_eq(a["ramp_errors"], 0, "ramp errors")
        # about 2 s of audio at 8000 bytes/s came back
        check(a["ramp_bytes"] > 12000, "too few bytes looped back", a)


@test
def recorder_hears_tones_and_digits_through_the_test_lines():
    ps, gw = start()
    # gwd's milliwatt line sends 1004 Hz at 0 dBm0 (ITU-T O.6)
    mw = ps.cmd("originate", span=2, called="1004", sink="record",
                hangup_ms=1500)["calls"][0]
    # a tone and DTMF sent into the loopback line come back to the recorder
    tone = ps.cmd("originate", span=1, called="1010",
                  source="tone:1500:-10", sink="record",
                  hangup_ms=1500)["calls"][0]
    dtmf = ps.cmd("originate", span=3, called="1010",
                  source="dtmf:0123456789*#ABCD", sink="record",
                  hangup_ms=3000)["calls"][0]
    ev = ps.wait_event(6, 0, type="call_released", call=mw)
    t = ev["audio"]["tones"]
    check(len(t) == 1, "one tone", ev["audio"])
    check(abs(t[0]["freq_hz"] - 1004) < 5, "1004 Hz", t)
    check(abs(t[0]["level_dbm0"]) < 0.5, "0 dBm0", t)
    check(t[0]["dur_ms"] > 1200, "lasting", t)
    ev = ps.wait_event(6, 0, type="call_released", call=tone)
    t = ev["audio"]["tones"]
    check(len(t) == 1, "one tone", ev["audio"])
    check(abs(t[0]["freq_hz"] - 1500) < 5, "1500 Hz", t)
    check(abs(t[0]["level_dbm0"] + 10) < 0.5, "-10 dBm0", t)
    ev = ps.wait_event(8, 0, type="call_released", call=dtmf)
    check_eq(ev["audio"]["digits"], "0123456789*#ABCD", "DTMF digits")


@test
def sigterm_clears_calls_with_cause_16():
    ps, gw = start()
    r = ps.cmd("originate", span=1, called="1010", source="milliwatt")
    call = r["calls"][0]
    wait_for(lambda: ps.cmd("call", call=call)["call"]["state"] == "active",
             5, "call answered")
    gw.proc.signal(signal.SIGTERM)
    ev = ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(ev["cause"], 16, "cause")
    check_eq(ev["by"], "gateway", "released by")
    check_eq(gw.proc.wait(5), 0, "gwd exit status")


harness.main()
