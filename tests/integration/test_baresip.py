#!/usr/bin/env python3
"""baresip as a real SIP phone through gwd, over UDP and TLS.

SIP -> PSTN: baresip dials an E.164 number at gwd, pstnsim answers, and
baresip hangs up (cause 16 at pstnsim). PSTN -> SIP: pstnsim originates,
gwd's trunk group sends the INVITE to baresip, baresip answers and
pstnsim hangs up (baresip sees the call closed), or the other way
round; baresip rejects while ringing (486) or for want of a common
codec (488) and pstnsim gets the RFC 3398 §8.2.6.1 cause. The TLS
certificate is self-signed, made per test with the openssl CLI; gwd
checks baresip's certificate against tls_ca (or not, when empty).

RTP is not bridged by gwd yet, so only signalling is checked here.
"""
import time

import harness
from harness import check, check_eq, free_port, test, wait_for
from peers import Baresip, Sipp, make_cert
from rig import Rig

NUMBERS = """
[number 30100]
behaviour = answer
alert_ms = 50
answer_ms = 100
[number 30101]
behaviour = answer
alert_ms = 50
answer_ms = 100
hangup_ms = 700
[number 30102]
behaviour = busy
[number 30107]
behaviour = answer
alert_ms = 50
answer_ms = 60000
"""


class Setup:
    """pstnsim + gwd + one baresip (user +4930555). tls: baresip gets a
    TLS listener and gwd's trunk group reaches it over TLS; tls_ca is
    gwd's CA file for that ("peer": the certificate baresip presents,
    None: no tls_ca, i.e. no check, or a path). ua_kw go to Baresip."""

    def __init__(self, tls=False, tls_ca="peer", **ua_kw):
        self.crt, self.key, _ = make_cert(harness.Scratch.dir)
        # baresip picks the user agent by the Request-URI user, which is
        # the E.164 called number gwd puts there
        self.ua = Baresip(tls=tls, user="+4930555", **ua_kw)
        self.tls_port = free_port()
        dest = ("sip:127.0.0.1:%d;transport=tls" % self.ua.tls_port) \
            if tls else "sip:127.0.0.1:%d" % self.ua.sip_port
        if tls_ca == "peer":
            tls_ca = self.crt if tls else None
        sip = "tls_cert = %s\ntls_key = %s\nsession_expires_s = 0\n" % (
            self.crt, self.key)
        if tls_ca is not None:
            sip += "tls_ca = %s\n" % tls_ca
        rig = Rig(NUMBERS, sip=sip, dest=dest, settle_ms=100,
                  listen="udp:127.0.0.1:{port}, tcp:127.0.0.1:{port}, "
                  "tls:127.0.0.1:%d" % self.tls_port)
        self.ps, self.gw, self.sip_port = rig.ps, rig.gw, rig.sip_port

    def gw_uri(self, number, tls=False):
        """The URI baresip dials: number at gwd's UDP or TLS listener."""
        if tls:
            return "sip:%s@127.0.0.1:%d;transport=tls" % (number,
                                                          self.tls_port)
        return "sip:%s@127.0.0.1:%d" % (number, self.sip_port)

    def q931_cause(self, cref):
        """The cause of the first DISCONNECT (else RELEASE / RELEASE
        COMPLETE) pstnsim received for this call reference."""
        got = {}
        for ev in self.ps.events(0, type="q931", dir="rx"):
            msg = ev.get("msg", "").replace("_", " ")
            if ev.get("cref") in (cref, None) and "cause" in ev:
                got.setdefault(msg, ev["cause"])
        for msg in ("DISCONNECT", "RELEASE", "RELEASE COMPLETE"):
            if msg in got:
                return got[msg]
        raise harness.TestFailure("no clearing message at pstnsim: %r" %
                                  got)

    def originate(self, **kw):
        """pstnsim calls 30555 from 301234 on span 1; returns its id."""
        r = self.ps.cmd("originate", span=1, called="30555",
                        calling="301234", **kw)
        return r["calls"][0]

    def idle_again(self):
        self.gw.wait_spans(lambda sp: sp[1]["channels"]["idle"] == 30, 5,
                           "channel idle again")
        check_eq(self.gw.ctl("calls")["calls"], [], "gwd calls left")


def closed_reason(ev):
    return (ev.get("param") or "").lower()


def closed_by_bye(ev):
    """libre ends a session whose peer sent BYE with ECONNRESET, which
    baresip reports as CALL_CLOSED "Connection reset by peer"."""
    return closed_reason(ev) == "connection reset by peer"


def sip_to_pstn(tls, hangup_by):
    """baresip -> gwd -> pstnsim answers; hangup_by "sip" (baresip sends
    BYE: cause 16 at pstnsim) or "pstn" (pstnsim clears with cause 16:
    baresip gets a BYE)."""
    s = Setup(tls=tls)
    number = "+4930100" if hangup_by == "sip" else "+4930101"
    s.ua.dial(s.gw_uri(number, tls))
    s.ua.wait_event("CALL_ESTABLISHED", 10)
    ans = s.ps.wait_event(5, 0, type="call_answered")
    check_eq(ans["called"], number[3:], "called number at pstnsim")
    check_eq(ans["calling"], "30555", "calling number from baresip's From")
    check(s.gw.ctl("calls")["calls"], "gwd lists the call")
    setup = s.ps.events(0, type="q931", dir="rx", msg="SETUP")[0]
    if hangup_by == "sip":
        s.ua.hangup()
    closed = s.ua.wait_event("CALL_CLOSED", 5)
    rel = s.ps.wait_event(5, 0, type="call_released", call=ans["call"])
    check_eq(rel["cause"], 16, "cause at pstnsim")
    if hangup_by == "sip":
        check(rel["by"] != "pstnsim", "released by gwd", rel)
        check_eq(s.q931_cause(setup.get("cref")), 16,
                 "cause in gwd's DISCONNECT")
    else:
        check_eq(rel["by"], "pstnsim", "released by pstnsim")
        check(closed_by_bye(closed), "baresip closed by BYE", closed)
    s.idle_again()


def pstn_to_sip(tls, hangup_by, tls_ca="peer"):
    """pstnsim originates -> gwd -> baresip answers; hangup_by "pstn"
    (originate hangup_ms: baresip gets a BYE) or "sip" (baresip sends
    BYE to gwd's Contact: cause 16 at pstnsim)."""
    s = Setup(tls=tls, tls_ca=tls_ca)
    call = s.originate(hangup_ms=700 if hangup_by == "pstn" else 0)
    inc = s.ua.wait_event("CALL_INCOMING", 10)
    check("+49301234" in inc.get("peeruri", ""), "calling number at "
          "baresip", inc)
    s.ua.answer()
    s.ua.wait_event("CALL_ESTABLISHED", 5)
    s.ps.wait_event(5, 0, type="call_answered", call=call)
    if hangup_by == "sip":
        s.ua.hangup()
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    closed = s.ua.wait_event("CALL_CLOSED", 5)
    check_eq(rel["cause"], 16, "cause at pstnsim")
    if hangup_by == "sip":
        check(rel["by"] != "pstnsim", "released by gwd", rel)
    else:
        check_eq(rel["by"], "pstnsim", "released by pstnsim")
        check(closed_by_bye(closed), "baresip closed by BYE", closed)
    s.idle_again()


@test
def udp_baresip_calls_pstn_and_hangs_up():
    sip_to_pstn(tls=False, hangup_by="sip")


@test
def udp_baresip_calls_pstn_and_pstn_hangs_up():
    sip_to_pstn(tls=False, hangup_by="pstn")


@test
def tls_baresip_calls_pstn_and_hangs_up():
    sip_to_pstn(tls=True, hangup_by="sip")


@test
def tls_baresip_calls_pstn_and_pstn_hangs_up():
    sip_to_pstn(tls=True, hangup_by="pstn")


@test
def udp_pstn_calls_baresip_and_hangs_up():
    pstn_to_sip(tls=False, hangup_by="pstn")


@test
def udp_pstn_calls_baresip_and_baresip_hangs_up():
    pstn_to_sip(tls=False, hangup_by="sip")


@test
def tls_pstn_calls_baresip_and_hangs_up():
    pstn_to_sip(tls=True, hangup_by="pstn")


@test
def tls_pstn_calls_baresip_and_baresip_hangs_up():
    pstn_to_sip(tls=True, hangup_by="sip")


@test
def tls_pstn_calls_baresip_without_ca_check():
    pstn_to_sip(tls=True, hangup_by="pstn", tls_ca=None)


@test
def tls_untrusted_baresip_cert_fails_the_call_at_once():
    # RFC 3261 §18.4/§8.1.3.1: a transport failure (here the TLS
    # handshake: baresip's certificate is not signed by gwd's tls_ca) ends
    # the INVITE transaction at once, as a 503; waiting for Timer B
    # (64*T1) would leave the PSTN caller in silence for 32 s
    other, _, _ = make_cert(harness.Scratch.dir, name="other-ca")
    s = Setup(tls=True, tls_ca=other)
    call = s.originate()
    t0 = time.monotonic()
    rel = wait_for(lambda: (s.ps.events(0, type="call_released",
                                        call=call) or [None])[0], 6,
                   "call released soon after the TLS handshake failed")
    took_s = time.monotonic() - t0
    check_eq([e for e in s.ua.events if e.get("type") == "CALL_INCOMING"],
             [], "INVITEs baresip got")
    check(took_s < 5, "call released within 5 s (took %.1f s)" % took_s)
    check(rel["cause"] not in (16, 102), "failure cause", rel)
    s.idle_again()


@test
def baresip_cancels_while_pstn_rings():
    s = Setup()
    s.ua.dial(s.gw_uri("+4930107"))
    s.ua.wait_event("CALL_RINGING", 10)
    s.ua.hangup()
    s.ua.wait_event("CALL_CLOSED", 5)
    rel = s.ps.wait_event(5, 0, type="call_released")
    check_eq(rel["cause"], 16, "cause at pstnsim after CANCEL")
    s.idle_again()


@test
def pstn_clears_while_baresip_rings():
    # the PSTN caller gives up: gwd CANCELs the INVITE (RFC 3261 §9.1)
    s = Setup()
    call = s.originate()
    s.ua.wait_event("CALL_INCOMING", 10)
    s.ps.cmd("hangup", call=call)
    closed = s.ua.wait_event("CALL_CLOSED", 5)
    check(closed_by_bye(closed), "baresip closed by the CANCEL", closed)
    check_eq([e for e in s.ua.events if e.get("type") ==
              "CALL_ESTABLISHED"], [], "baresip calls established")
    s.ps.wait_event(5, 0, type="call_released", call=call)
    s.idle_again()


@test
def pstn_busy_closes_baresip_call_with_486():
    s = Setup()
    s.ua.dial(s.gw_uri("+4930102"))
    closed = s.ua.wait_event("CALL_CLOSED", 10)
    check("486" in closed_reason(closed) or "busy" in closed_reason(closed),
          "486 Busy Here at baresip", closed)
    s.idle_again()


@test
def baresip_rejects_while_ringing_gives_cause_17():
    # baresip 1.0 rejects an incoming call it hangs up with 486
    s = Setup()
    call = s.originate()
    s.ua.wait_event("CALL_INCOMING", 10)
    s.ps.wait_event(5, 0, type="q931", dir="rx", msg="ALERTING")
    s.ua.hangup()
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 17, "cause for baresip's 486 (RFC 3398)")
    s.idle_again()


@test
def baresip_without_common_codec_gives_cause_65():
    # baresip (G.722 only) answers gwd's G.711 offer with 488. RFC 3398
    # §8.2.6.1 maps 488 "by Warning header"; with none, gwd sends 65
    # (bearer capability not implemented: the media was refused)
    s = Setup(audio_codecs="G722/16000/1",
              extra_config="module\t\t\tg722.so\n")
    call = s.originate()
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 65, "cause for baresip's 488")
    check_eq([e for e in s.ua.events if e.get("type") == "CALL_INCOMING"],
             [], "baresip rang although it has no common codec")
    s.idle_again()


@test
def sipp_declines_603_gives_cause_21():
    # baresip 1.0 cannot send 603 (its hangup takes no status), so a sipp
    # UAS stands in at the same trunk group destination
    s = Setup()
    s.ua.stop()
    u = Sipp("uas_final", port=s.ua.sip_port, scratch=harness.Scratch.dir,
             CODE=603).start()
    call = s.originate()
    rel = s.ps.wait_event(10, 0, type="call_released", call=call)
    check_eq(rel["cause"], 21, "cause for 603 Decline")
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    s.idle_again()


harness.main()
