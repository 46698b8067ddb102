#!/usr/bin/env python3
"""Overlap receiving (Q.931 §5.2.4) on PSTN -> SIP calls: pstnsim sends the
SETUP without Sending Complete and the rest of the called number in
INFORMATION messages; gwd (trunk group `overlap = yes`) answers SETUP
ACKNOWLEDGE and sends one INVITE with the whole number when Sending
Complete arrives, max_digits is reached or T302 expires (cause 28 when
there is too little). With overlap off the same SETUP is taken en-bloc."""
import time

import harness
from harness import check, check_eq, test
from rig import Rig


def invite_ruri(uas_result):
    inv = uas_result.first(direction="received", method="INVITE")
    check(inv is not None, "INVITE at the SIP side", uas_result.describe())
    return inv.start_line


def originate(s, **kw):
    kw.setdefault("calling", "301234")
    return s.ps.cmd("originate", span=1, **kw)["calls"][0]


def q931_tx(s, msg):
    return s.q931(dir="tx", msg=msg)


@test
def digits_with_sending_complete_give_one_invite_to_the_full_number():
    s = Rig(tg="overlap = yes\n")  # T302 15 s: never reached here
    u = s.uas("uas_answer_bye", HOLD_MS=200)
    t0 = time.monotonic()
    call = originate(s, called="30", overlap_digits="555", digit_gap_ms=80)
    s.ps.wait_event(5, 0, type="call_answered", call=call)
    took = time.monotonic() - t0
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 16, "cleared by the SIP BYE")
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    ruri = invite_ruri(res)
    check(ruri.startswith("INVITE sip:+4930555@"), "full number", ruri)
    check_eq(len(res.find(direction="received", method="INVITE")), 1,
             "INVITEs")
    setup = q931_tx(s, "SETUP")[0]
    check_eq(setup.get("called"), "30", "SETUP carries the first digits")
    check(not setup.get("complete"), "SETUP without Sending Complete",
          setup)
    check_eq(len(s.q931(dir="rx", msg="SETUP ACKNOWLEDGE")), 1,
             "SETUP ACKNOWLEDGE from gwd")
    info = q931_tx(s, "INFORMATION")
    check_eq([i.get("called") for i in info], ["5", "5", "5"],
             "one digit per INFORMATION")
    check_eq([bool(i.get("complete")) for i in info], [False, False, True],
             "Sending Complete in the last INFORMATION")
    check(took < 5, "answered without waiting for T302 (%.1fs)" % took)
    s.idle()
    print("  answered %.2fs after the SETUP" % took)


@test
def without_sending_complete_t302_routes_the_digits_so_far():
    s = Rig(tg="overlap = yes\nt302_s = 1\n")
    u = s.uas("uas_final", CODE=486)
    call = originate(s, called="30", overlap_digits="5556",
                     sending_complete=False, digit_gap_ms=50)
    rel = s.ps.wait_event(8, 0, type="call_released", call=call)
    check_eq(rel["cause"], 17, "486 from the SIP side")
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    ruri = invite_ruri(res)
    check(ruri.startswith("INVITE sip:+49305556@"), "digits so far", ruri)
    info = q931_tx(s, "INFORMATION")
    check_eq(len(info), 4, "INFORMATION messages")
    check(not any(i.get("complete") for i in info), "no Sending Complete")
    proc = s.q931(dir="rx", msg="CALL PROCEEDING")
    check(proc, "CALL PROCEEDING once the number is taken")
    t302 = (proc[0]["t_ms"] - info[-1]["t_ms"]) / 1000.0
    check(0.9 <= t302 <= 1.8, "INVITE after T302 = 1 s, not %.2fs" % t302)
    s.idle()
    print("  T302 measured %.2fs (t302_s = 1)" % t302)


@test
def t302_with_too_few_digits_clears_with_cause_28():
    s = Rig(tg="overlap = yes\nt302_s = 1\nmin_digits = 6\n")
    # nothing at all after the SETUP
    call = originate(s, called="", sending_complete=False)
    rel = s.ps.wait_event(8, 0, type="call_released", call=call)
    check_eq(rel["cause"], 28, "no digits: invalid number format")
    # fewer than min_digits
    call = originate(s, called="30", overlap_digits="55",
                     sending_complete=False, digit_gap_ms=50)
    rel = s.ps.wait_event(8, 0, type="call_released", call=call)
    check_eq(rel["cause"], 28, "4 digits, min_digits 6")
    check_eq(len(s.q931(dir="rx", msg="SETUP ACKNOWLEDGE")), 2,
             "SETUP ACKNOWLEDGE for both")
    disc = s.q931(dir="rx", msg="DISCONNECT")
    check_eq([d.get("cause") for d in disc], [28, 28], "DISCONNECT causes")
    s.idle()


@test
def max_digits_completes_the_number_at_once():
    s = Rig(tg="overlap = yes\nt302_s = 10\nmax_digits = 5\n")
    u = s.uas("uas_final", CODE=486)
    t0 = time.monotonic()
    call = originate(s, called="30", overlap_digits="555",
                     sending_complete=False, digit_gap_ms=50)
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    took = time.monotonic() - t0
    check_eq(rel["cause"], 17, "486 from the SIP side")
    check(took < 4, "routed before T302 (10 s): %.1fs" % took)
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    ruri = invite_ruri(res)
    check(ruri.startswith("INVITE sip:+4930555@"), "5 digits", ruri)
    s.idle()


@test
def caller_hanging_up_while_dialling_leaves_nothing_behind():
    s = Rig(tg="overlap = yes\nt302_s = 2\n")
    call = originate(s, called="30", sending_complete=False)
    s.ps.wait_event(5, 0, type="call_setup_ack", call=call)
    s.ps.cmd("hangup", call=call, cause=16)
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 16, "cleared by the caller")
    s.idle()
    time.sleep(2.5)  # T302 would have fired by now: nothing may happen
    check(s.gw.proc.alive(), "gwd still running")
    check_eq(s.q931(dir="rx", msg="DISCONNECT"), [],
             "gwd sent no DISCONNECT of its own")


@test
def overlap_off_takes_a_setup_without_sending_complete_en_bloc():
    s = Rig()
    u = s.uas("uas_final", CODE=486)
    call = originate(s, called="30555", sending_complete=False)
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 17, "486 from the SIP side")
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    ruri = invite_ruri(res)
    check(ruri.startswith("INVITE sip:+4930555@"), "en-bloc number", ruri)
    setup = q931_tx(s, "SETUP")[0]
    check(not setup.get("complete"), "SETUP without Sending Complete",
          setup)
    check_eq(s.q931(dir="rx", msg="SETUP ACKNOWLEDGE"), [],
             "no SETUP ACKNOWLEDGE when overlap is off")
    check(s.q931(dir="rx", msg="CALL PROCEEDING"), "CALL PROCEEDING")


harness.main()
