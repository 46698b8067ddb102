#!/usr/bin/env python3
"""Calls through gwd with real peers: sipp (UAC and UAS) on the SIP side,
pstnsim (libpri, network side) on the ISDN side. Each pstnsim behaviour
must give the exact SIP final response with its Reason header, and the
Q.931 messages pstnsim saw are checked from its event log; calls from the
PSTN map each SIP failure to the right Q.850 cause."""
import harness
from harness import Gwd, check, check_eq, test, wait_for
from peers import Sipp
from rig import Rig, gwd_conf

NUMBERS = """
[number 30100]
behaviour = answer
alert_ms = 50
answer_ms = 100
[number 30101]
behaviour = busy
[number 30102]
behaviour = unallocated
[number 30103]
behaviour = congestion
[number 30104]
behaviour = noanswer
alert_ms = 50
noanswer_ms = 500
[number 30105]
behaviour = announce
announce_ms = 300
cause = 17
[number 30106]
behaviour = reject
cause = 44
[number 30107]
behaviour = answer
alert_ms = 50
answer_ms = 60000
[number 30110]
behaviour = answer
alert_ms = 0
answer_ms = 0
hangup_ms = 500
[number 30108]
behaviour = silent
[number 30109]
behaviour = proceeding
[number 30111]
behaviour = glare
glare_called = 30777
glare_calling = 301555
alert_ms = 50
answer_ms = 100
"""


def Setup(extra_tg="", **kw):
    """pstnsim with two E1 spans and NUMBERS, gwd routing +49 to them."""
    return Rig(NUMBERS, spans=2, tg=extra_tg, **kw)


def reason_cause(msg):
    """The Q.850 cause of a Reason header value, or None."""
    r = msg.hdr("reason") if msg else None
    if not r or not r.upper().startswith("Q.850"):
        return None
    for part in r.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "cause":
            return int(v)
    return None


def final(res):
    """The final response message to the INVITE."""
    for m in res.find(direction="received", cseq_method="INVITE"):
        if m.code and m.code >= 200:
            return m
    return None


def check_failure(setup, called, code, cause):
    res = setup.uac("uac_final", called, CODE=code)
    check(res.ok, "sipp failed", res.describe())
    f = final(res)
    check_eq(f.code, code, "final response")
    check_eq(reason_cause(f), cause, "Reason cause in %d" % code)
    return res


@test
def sip_call_answered_and_cleared_by_bye():
    s = Setup()
    res = s.uac("uac_answer", "+4930100", HOLD_MS=500)
    check(res.ok, "sipp failed", res.describe())
    check_eq(res.final_code(), 200, "final response")
    ok = final(res)
    check("m=audio" in (ok.body or ""), "SDP answer in 200", ok.body)
    check("PCMA" in ok.body, "A-law chosen on an E1", ok.body)
    tx = [e["msg"] for e in s.q931(dir="rx", span=1)]
    check("SETUP" in tx and "CONNECT_ACKNOWLEDGE" in tx or
          "CONNECT ACKNOWLEDGE" in tx or "SETUP" in tx, "SETUP seen", tx)
    setup = s.q931(dir="rx", msg="SETUP")[0]
    # national format on the trunk (pstnsim's numbers are as it sees
    # them): 30100 with TON national
    check_eq(setup.get("called"), "30100", "called number on the wire")
    rel = s.ps.wait_event(5, 0, type="call_released")
    check_eq(rel["cause"], 16, "cause after BYE")
    s.gw.wait_spans(lambda sp: sp[1]["channels"]["idle"] == 30, 3,
                    "channel idle again")


def tshark_q931(path):
    """(direction, message type, cause) of each Q.931 message in a LAPD
    pcap, as tshark decodes it."""
    import subprocess
    p = subprocess.run(["tshark", "-r", path, "-Y", "q931", "-T", "fields",
                        "-E", "separator=|", "-e", "lapd.direction",
                        "-e", "q931.message_type", "-e", "q931.cause_value",
                        "-e", "q931.called_party_number.digits"],
                       capture_output=True, text=True, timeout=30)
    check_eq(p.returncode, 0, "tshark: " + p.stderr[-300:])
    return [tuple(l.split("|")) for l in p.stdout.splitlines() if l]


@test
def sip_t_invite_with_multipart_sdp_and_isup_is_answered():
    s = Setup()
    res = s.uac("uac_sipt", "+4930100", HOLD_MS=200)
    check(res.ok, "sipp failed", res.describe())
    ok = final(res)
    check_eq(ok.code, 200, "final response")
    check("m=audio" in (ok.body or ""), "SDP answer", ok.body)


@test
def busy_gives_486_with_cause_17():
    pcap = harness.scratch("span1.pcap")
    s = Setup()
    # the same again with a D-channel capture on gwd's span 1
    s.gw.stop()
    s.gw = Gwd(gwd_conf(s.ps.sim_sock, "udp:" + s.remote, spans=2,
                        sip="session_expires_s = 0\n",
                        dest="sip:127.0.0.1:%d" % s.dest_port).replace(
        "unit = 1\n", "unit = 1\npcap = %s\n" % pcap, 1), name="gwd2")
    s.gw.wait_spans(lambda sp: all(
        x["state"] == "up" and x["channels"]["idle"] == 30
        for x in sp.values()), 8, "spans up again")
    check_failure(s, "+4930101", 486, 17)
    s.gw.stop()
    msgs = tshark_q931(pcap)
    types = [m[1] for m in msgs]
    # Q.931 message types: SETUP 0x05, DISCONNECT 0x45, RELEASE 0x4d
    check("0x05" in types or "5" in types, "SETUP decoded by tshark", msgs)
    setup = [m for m in msgs if m[1] in ("0x05", "5")][0]
    check_eq(setup[3], "30101", "called number decoded by tshark")
    disc = [m for m in msgs if m[1] in ("0x45", "69")]
    check(disc and disc[0][2] in ("17", "0x11"), "DISCONNECT cause 17", msgs)


@test
def unallocated_gives_404_with_cause_1():
    check_failure(Setup(), "+4930102", 404, 1)


@test
def congestion_gives_503_with_cause_34():
    s = Setup()
    res = check_failure(s, "+4930103", 503, 34)


@test
def no_answer_gives_480_with_cause_19():
    check_failure(Setup(), "+4930104", 480, 19)


@test
def announcement_then_disconnect_gives_183_then_486():
    s = Setup()
    res = check_failure(s, "+4930105", 486, 17)
    p183 = res.first(direction="received", code=183)
    check(p183 is not None, "183 before the final", res.describe())
    check("m=audio" in (p183.body or ""), "183 carries SDP", p183.body)


@test
def cause_44_is_retried_once_on_another_channel():
    s = Setup()
    check_failure(s, "+4930106", 503, 44)
    setups = s.q931(dir="rx", msg="SETUP")
    check_eq(len(setups), 2, "SETUPs sent")
    check(setups[0].get("chan") != setups[1].get("chan"),
          "second SETUP on another channel", setups)


@test
def glare_network_call_wins_and_ours_is_retried_on_another_channel():
    s = Setup()
    # the network's colliding call goes to the trunk group's SIP dest
    u = uas(s, "uas_answer_bye", HOLD_MS=300)
    res = s.uac("uac_answer", "+4930111", HOLD_MS=500)
    check(res.ok, "sipp failed", res.describe())
    check_eq(res.final_code(), 200, "final response after the retry")
    glare = s.ps.wait_event(5, 0, type="call_glare")
    x, ours, theirs = glare["chan"], glare["call"], glare["glare_call"]
    setups = s.q931(dir="rx", msg="SETUP")
    check_eq(len(setups), 2, "SETUPs from gwd")
    check_eq(setups[0].get("chan"), x, "first SETUP on the glare channel")
    check(setups[1].get("chan") not in (None, x),
          "retry on another channel", setups)
    # pstnsim's own SETUP on x went out before it refused gwd's with 44
    tx_setup = s.q931(dir="tx", msg="SETUP")
    check(tx_setup and tx_setup[0].get("chan") == x,
          "pstnsim's SETUP on the glare channel", tx_setup)
    rc = s.q931(dir="tx", msg="RELEASE COMPLETE")
    check(rc and rc[0].get("cause") == 44, "RELEASE COMPLETE 44", rc)
    check(tx_setup[0]["seq"] < rc[0]["seq"], "SETUP before the refusal")
    rel = s.ps.wait_event(5, 0, type="call_released", call=ours)
    check_eq(rel["cause"], 44, "gwd's first call released with")
    # gwd accepted the network's call on x: CALL PROCEEDING, not 44
    procs = s.q931(dir="rx", msg="CALL PROCEEDING")
    check(any(p.get("chan") == x for p in procs),
          "CALL PROCEEDING from gwd on the glare channel", procs)
    check_eq(s.q931(dir="rx", msg="RELEASE COMPLETE", cause=44), [],
             "gwd refused nothing with 44")
    s.ps.wait_event(5, 0, type="call_proceeding", call=theirs)
    s.ps.wait_event(5, 0, type="call_answered", call=theirs)
    grel = s.ps.wait_event(10, 0, type="call_released", call=theirs)
    check_eq(grel["cause"], 16, "network's call cleared by the SIP BYE")
    check_eq(grel["chan"], x, "network's call kept the glare channel")
    ures = u.wait(10)
    check(ures.ok, "sipp uas failed", ures.describe())
    inv = ures.first(direction="received", method="INVITE")
    check(inv.start_line.startswith("INVITE sip:+4930777@"),
          "network's call to its called number", inv.start_line)
    glares = sum(sp["counters"]["glares"]
                 for sp in s.gw.ctl("spans")["spans"])
    check_eq(glares, 1, "glares counted by gwd")
    s.idle()
    print("  glare on channel %s, retried on %s" % (x, setups[1]["chan"]))


HISTORY_INFO = ("History-Info: <sip:+4930120@example.com>;index=1,"
                "<sip:+4930120@192.0.2.4?Reason=SIP%3Bcause%3D408>;"
                "index=1.1;rc=1,<sip:+4930100@vm.example.com;cause=408>;"
                "index=1.2;mp=1")


@test
def history_info_gives_the_redirecting_number_and_diversion_wins():
    s = Setup()
    res = s.uac("uac_final", "+4930101", CODE=486,
                EXTRA_HEADERS=HISTORY_INFO)
    check(res.ok, "sipp failed", res.describe())
    setup = s.q931(dir="rx", msg="SETUP")[0]
    # RFC 7044 + RFC 4458 cause=408: +4930120 diverted on no reply; on
    # the trunk in national format, Q.931 reason 2 (no reply)
    check_eq(setup.get("redirecting"), "30120", "redirecting number")
    check_eq(setup.get("redirecting_reason"), 2, "reason for redirection")
    since = setup["seq"]
    res = s.uac("uac_final", "+4930101", CODE=486, name="both",
                EXTRA_HEADERS=[HISTORY_INFO, "Diversion: "
                               "<sip:+4930130@p.example.com>;"
                               "reason=user-busy"])
    check(res.ok, "sipp failed", res.describe())
    setup = s.q931(since, dir="rx", msg="SETUP")[0]
    check_eq(setup.get("redirecting"), "30130", "Diversion wins")
    check_eq(setup.get("redirecting_reason"), 1, "busy")


@test
def isdn_timers_t303_and_t310_end_the_call():
    import time
    s = Setup("t310_s = 2\n")
    t0 = time.monotonic()
    # libpri clears with 18 (no user responding) after T303 expires twice
    check_failure(s, "+4930108", 408, 18)
    t303 = time.monotonic() - t0
    t0 = time.monotonic()
    check_failure(s, "+4930109", 504, 102)  # T310 after CALL PROCEEDING
    t310 = time.monotonic() - t0
    print("  T303 path %.1fs, T310 path %.1fs" % (t303, t310))


@test
def simultaneous_clearing_from_both_ends_leaves_nothing_behind():
    s = Setup()
    # pstnsim clears 500 ms after answering; sipp sends BYE at about the
    # same moment: every interleaving of BYE and DISCONNECT must end clean
    for hold in (480, 490, 500, 510, 520):
        # sipp may see either order (its result is not the point here)
        r = s.sipp("uac_answer", "+4930110", HOLD_MS=hold,
                   name="race%d" % hold)
        r.run(timeout=15)
    wait_for(lambda: not s.gw.ctl("calls")["calls"], 5, "no calls left")
    s.gw.wait_spans(lambda sp: sp[1]["channels"]["idle"] == 30 and
                    sp[2]["channels"]["idle"] == 30, 5, "all channels idle")
    rel = s.ps.events(0, type="call_released")
    check_eq(len(rel), 5, "calls released at pstnsim")
    check(s.gw.proc.alive(), "gwd still running")


@test
def no_route_gives_404_with_cause_3():
    s = Setup()
    check_failure(s, "+3312345", 404, 3)
    check_eq(s.q931(dir="rx", msg="SETUP"), [], "no SETUP sent")


@test
def cancel_after_180_gives_487_and_clears_the_pstn_leg():
    s = Setup()
    res = s.uac("uac_cancel_after_180", "+4930107")
    check(res.ok, "sipp failed", res.describe())
    check_eq(res.final_code(), 487, "final response")
    ev = s.ps.wait_event(5, 0, type="call_released")
    check_eq(ev["cause"], 16, "cause toward the PSTN")


@test
def full_trunk_group_answers_503_with_retry_after():
    s = Setup("max_calls = 1\nretry_after_s = 7\n")
    held = s.sipp("uac_answer", "+4930100", HOLD_MS=3000,
                  name="held").start()
    wait_for(lambda: s.gw.ctl("calls")["calls"], 5, "first call up")
    res = check_failure(s, "+4930100", 503, 34)
    check_eq(final(res).hdr("retry-after"), "7", "Retry-After")
    held.wait(20)


@test
def trunk_group_cause_override_applies_and_gwctl_shows_it():
    s = Setup("causes_q850 = 17:480\ncauses_sip = 480:17\n")
    check_failure(s, "+4930101", 480, 17)
    rc, out, err = s.gw.gwctl("causes", "carrier")
    check_eq(rc, 0, "gwctl causes exit status: " + err)
    line = [l for l in out.splitlines() if l.strip().startswith("17 ")]
    check(line and "480" in line[0] and "override" in line[0],
          "override shown", out[:800])
    rc, out, err = s.gw.gwctl("causes", "nosuchgroup")
    check_eq(rc, 1, "unknown trunk group")


@test
def gwctl_calls_lists_a_call_in_progress():
    s = Setup()
    held = s.sipp("uac_answer", "+4930100", HOLD_MS=2000).start()
    calls = wait_for(lambda: [c for c in s.gw.ctl("calls")["calls"]
                              if c["state"] == "active"], 5, "active call")
    c = calls[0]
    check_eq(c["dir"], "sip-to-pstn", "direction")
    check_eq(c["trunkgroup"], "carrier", "trunk group")
    check_eq(c["called"], "+4930100", "called")
    check_eq(c["span"], 1, "span")
    rc, out, err = s.gw.gwctl("calls")
    check(rc == 0 and "+4930100" in out and "active" in out,
          "gwctl calls table", out)
    res = held.wait(15)
    check(res.ok, "sipp failed", res.describe())
    wait_for(lambda: not s.gw.ctl("calls")["calls"], 5, "call gone")


@test
def maximum_duration_ends_the_call_from_the_gateway():
    s = Setup("max_duration_s = 1\n")
    res = s.uac("uac_bye_from_remote", "+4930100")
    check(res.ok, "sipp failed", res.describe())
    bye = res.first(direction="received", method="BYE")
    check_eq(reason_cause(bye), 16, "Reason in the gateway's BYE")
    rel = s.ps.wait_event(5, 0, type="call_released")
    check_eq(rel["cause"], 16, "cause toward the PSTN")


@test
def shutdown_gives_ringing_sip_callers_503_for_failover():
    import signal
    s = Setup()
    u = s.sipp("uac_final", "+4930107", CODE=503).start()
    s.ps.wait_event(5, 0, type="q931", dir="tx", msg="ALERTING")
    s.gw.proc.signal(signal.SIGTERM)
    res = u.wait(15)
    check(res.ok, "sipp failed", res.describe())
    check_eq(reason_cause(final(res)), 41, "Reason cause")
    check_eq(s.gw.proc.wait(10), 0, "gwd exit status")


@test
def options_answer_follows_span_state():
    s = Setup()
    res = Sipp("uac_options", remote=s.remote, scratch=harness.Scratch.dir,
               CODE=200).run(timeout=10)
    check(res.ok, "OPTIONS while spans are up", res.describe())
    for span in (1, 2):
        s.ps.cmd("dchan", span=span, state="down")
    s.gw.wait_spans(lambda sp: all(x["state"] != "up" for x in sp.values()),
                    5, "spans down")
    res = Sipp("uac_options", remote=s.remote, scratch=harness.Scratch.dir,
               CODE=503, name="options503").run(timeout=10)
    check(res.ok, "OPTIONS while spans are down", res.describe())


# ---- PSTN -> SIP ----

def uas(s, scenario, **kw):
    return s.uas(scenario, **kw)


@test
def pstn_call_answered_by_sip_and_bye_from_sip():
    s = Setup()
    u = uas(s, "uas_answer_bye", HOLD_MS=500)
    r = s.ps.cmd("originate", span=1, called="30555", calling="301234")
    call = r["calls"][0]
    ans = s.ps.wait_event(5, 0, type="call_answered", call=call)
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 16, "cause of the SIP BYE")
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    inv = res.first(direction="received", method="INVITE")
    check(inv.start_line.startswith("INVITE sip:+4930555@"),
          "E.164 Request-URI", inv.start_line)
    check("+49301234" in inv.hdr("p-asserted-identity", ""),
          "PAI with the calling number", inv.hdr("p-asserted-identity"))


@test
def pstn_call_failures_map_to_causes():
    for code, cause in ((486, 17), (404, 1), (480, 18), (503, 41)):
        s = Setup()
        u = uas(s, "uas_final", CODE=code, name="uas%d" % code)
        r = s.ps.cmd("originate", span=2, called="30555", calling="301234")
        call = r["calls"][0]
        rel = s.ps.wait_event(5, 0, type="call_released", call=call)
        check_eq(rel["cause"], cause, "cause for SIP %d" % code)
        res = u.wait(10)
        check(res.ok, "sipp uas failed for %d" % code, res.describe())
        s.gw.stop()
        s.ps.stop()


@test
def pstn_hangup_sends_bye():
    s = Setup()
    u = uas(s, "uas_answer")
    r = s.ps.cmd("originate", span=1, called="30555", calling="301234",
                 hangup_ms=500)
    call = r["calls"][0]
    s.ps.wait_event(5, 0, type="call_answered", call=call)
    s.ps.wait_event(5, 0, type="call_released", call=call)
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    bye = res.first(direction="received", method="BYE")
    check_eq(reason_cause(bye), 16, "Reason in BYE")


harness.main()
