#!/usr/bin/env python3
"""Self-check of the SIP peers in peers.py, peer to peer (no gwd): every
sipp scenario against its sipp counterpart, Kamailio's dispatcher failover
and OPTIONS probing, a Kamailio load reference, and baresip calls over UDP
and TLS with the received tone checked. Not part of `make test`; run
  python3 tests/integration/peers_selfcheck.py [test_name...]
It prints PASS/FAIL lines like the harness."""
import os
import time

import harness
from harness import check, check_eq, free_port, test, wait_for
from peers import (Baresip, Kamailio, Sipp, kamailio_reference,
                   parse_sipp_messages, tone_analysis)

CALLED = "4930123456"


def pair(uas_scen, uac_scen, transport="udp", uas=None, uac=None):
    """Runs one call from a sipp UAC to a sipp UAS; both must succeed."""
    s = Sipp(uas_scen, calls=1, transport=transport, **(uas or {})).start()
    r = Sipp(uac_scen, remote="127.0.0.1:%d" % s.port, transport=transport,
             CALLED=CALLED, **(uac or {})).run()
    u = s.wait()
    check(r.ok, "uac %s" % uac_scen, r.describe())
    check(u.ok, "uas %s" % uas_scen, u.describe())
    return r, u


@test
def trace_parser():
    log = ("----------------------------------------------- 2026-01-01 "
           "10:00:00.000000\nTCP message received [300] bytes :\n\n"
           "SIP/2.0 486 Busy Here\r\nv: SIP/2.0/TCP 127.0.0.1:5060;"
           "branch=z9hG4bK1\r\nVia: SIP/2.0/TCP 10.0.0.1\r\ni: abc\r\n"
           "Reason: Q.850\r\n ;cause=17\r\nCSeq: 1 INVITE\r\nl: 4\r\n\r\n"
           "abcdINVITE sip:1@h SIP/2.0\r\nCSeq: 2 INVITE\r\n"
           "Content-Length: 0\r\n\r\n\n"
           "-----------------------------------------------\n"
           "Unexpected UDP message received:\n\nSIP/2.0 200 OK\r\n\r\n\n"
           "----------------------------------------------- 2026-01-01 "
           "10:00:00.1\nUDP message sent (10 bytes):\n\nBYE sip:x SIP/2.0"
           "\r\nContent-Length: 0\r\n\r\n\n")
    msgs = parse_sipp_messages(log)
    check_eq([(m.direction, m.method or m.code) for m in msgs],
             [("received", 486), ("received", "INVITE"), ("sent", "BYE")],
             "messages")
    m = msgs[0]
    check_eq(m.hdrs("via"), ["SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1",
                             "SIP/2.0/TCP 10.0.0.1"], "via list")
    check_eq(m.hdr("Call-ID"), "abc", "compact i")
    check_eq(m.hdr("reason"), "Q.850 ;cause=17", "folded header")
    check_eq(m.body, "abcd", "body by Content-Length")
    check_eq(m.cseq_method, "INVITE", "cseq method")
    check_eq(m.reason_phrase, "Busy Here", "reason phrase")


@test
def sipp_answer_udp():
    r, u = pair("uas_answer", "uac_answer",
                uac={"EXTRA_HEADERS": ["P-Asserted-Identity: "
                                       "<sip:+4930999@127.0.0.1>",
                                       "Privacy: none"],
                     "BYE_HEADERS": "Reason: Q.850;cause=16"})
    check_eq(r.codes(), [100, 180, 200], "INVITE responses")
    check_eq(r.codes(cseq_method="BYE"), [200], "BYE responses")
    inv = u.first(direction="received", method="INVITE")
    check_eq(inv.hdr("p-asserted-identity"), "<sip:+4930999@127.0.0.1>",
             "PAI at the UAS")
    check("a=rtpmap:8 PCMA/8000" in inv.body, "offer", inv.body)
    bye = u.first(direction="received", method="BYE")
    check_eq(bye.hdr("reason"), "Q.850;cause=16", "BYE Reason")
    ok = r.first(direction="received", code=200, cseq_method="INVITE")
    check("m=audio 40000 RTP/AVP 8 101" in ok.body, "answer", ok.body)


@test
def sipp_answer_tcp():
    r, u = pair("uas_answer", "uac_answer", transport="tcp")
    check_eq(r.codes(), [100, 180, 200], "INVITE responses")
    via = r.first(direction="sent", method="INVITE").hdr("via")
    check(via.startswith("SIP/2.0/TCP"), "TCP via", via)


@test
def sipp_final_reason():
    r, u = pair("uas_final", "uac_final",
                uas={"CODE": 486, "EXTRA_HEADERS": "Reason: Q.850;cause=17"},
                uac={"CODE": 486})
    check_eq(r.final_code(), 486, "final code")
    busy = r.first(direction="received", code=486)
    check_eq(busy.hdr("reason"), "Q.850;cause=17", "486 Reason")
    check_eq(busy.reason_phrase, "Busy Here", "reason phrase")
    ack = u.first(direction="received", method="ACK")
    check(ack is not None, "ACK reached the UAS")
    inv_via = r.first(direction="sent", method="INVITE").hdr("via")
    check_eq(ack.hdr("via"), inv_via, "ACK in the INVITE transaction")


@test
def sipp_final_mismatch_fails():
    # the UAC expects 486 but gets 503: sipp must fail and the trace tell
    s = Sipp("uas_final", calls=1, CODE=503).start()
    r = Sipp("uac_final", remote="127.0.0.1:%d" % s.port, CODE=486,
             timeout_s=5).run()
    s.stop()
    check(not r.ok, "uac_final passed on a wrong code", r.describe())
    check_eq(r.final_code(), 503, "final code in the trace")


@test
def sipp_cancel_after_180():
    r, u = pair("uas_ring_cancel", "uac_cancel_after_180",
                uac={"CANCEL_MS": 100})
    check_eq(r.codes(), [100, 180, 487], "INVITE responses")
    check_eq(r.codes(cseq_method="CANCEL"), [200], "CANCEL responses")
    t487 = r.first(code=487)
    t180 = r.first(code=180)
    check_eq(t487.hdr("to"), t180.hdr("to"), "487 To tag = 180 To tag")


@test
def sipp_cancel_before_18x():
    r, u = pair("uas_cancel", "uac_cancel_before_18x")
    check_eq(r.codes(), [100, 487], "INVITE responses")
    check_eq(r.codes(cseq_method="CANCEL"), [200], "CANCEL responses")


@test
def sipp_reinvite_hold():
    r, u = pair("uas_answer", "uac_reinvite", uac={"HOLD_MS": 50})
    oks = r.find(direction="received", code=200, cseq_method="INVITE")
    check_eq(len(oks), 3, "200s to INVITE")
    check("a=sendrecv" in oks[0].body, "initial answer", oks[0].body)
    check("a=recvonly" in oks[1].body, "hold answer", oks[1].body)
    check("a=sendrecv" in oks[2].body, "resume answer", oks[2].body)
    vers = [o.body.split("\n")[1].split()[2] for o in oks]
    check(vers[0] < vers[1] < vers[2], "o= versions grow", vers)


@test
def sipp_prack():
    r, u = pair("uas_prack", "uac_prack")
    rel = r.first(direction="received", code=183)
    check_eq(rel.hdr("rseq"), "1", "RSeq")
    check_eq(rel.hdr("require"), "100rel", "Require")
    prack = u.first(direction="received", method="PRACK")
    check_eq(prack.hdr("rack"), "1 1 INVITE", "RAck")
    check_eq(r.codes(cseq_method="PRACK"), [200], "PRACK answered")
    check_eq(r.final_code(), 200, "call answered")


@test
def sipp_session_timer():
    r, u = pair("uas_answer", "uac_session_timer",
                uac={"SE": 90, "REFRESH_MS": 300, "HOLD_MS": 50})
    ok = r.first(direction="received", code=200, cseq_method="INVITE")
    check_eq(ok.hdr("session-expires"), "90;refresher=uac",
             "Session-Expires in the 200")
    check_eq(r.codes(cseq_method="UPDATE"), [200], "UPDATE refresh")
    upd = u.first(direction="received", method="UPDATE")
    check_eq(upd.hdr("session-expires"), "90;refresher=uac", "refresh SE")


@test
def sipp_session_timer_reinvite():
    r, u = pair("uas_answer", "uac_session_timer_reinvite",
                uac={"SE": 90, "REFRESH_MS": 300, "HOLD_MS": 50})
    check_eq(len(r.find(direction="received", code=200,
                        cseq_method="INVITE")), 2, "two 200s to INVITE")


@test
def sipp_bye_from_remote():
    r, u = pair("uas_answer_bye", "uac_bye_from_remote",
                uas={"HOLD_MS": 200,
                     "BYE_HEADERS": "Reason: Q.850;cause=16;text=\"x\""})
    bye = r.first(direction="received", method="BYE")
    check_eq(bye.hdr("reason"), 'Q.850;cause=16;text="x"', "BYE Reason")
    ok = r.first(direction="received", code=200, cseq_method="INVITE")
    check_eq(bye.hdr("from"), ok.hdr("to"), "BYE From = 200 To")


@test
def sipp_digest():
    r, u = pair("uas_digest", "uac_digest",
                uas={"AUTH_USER": "gw", "AUTH_PASS": "pw1"},
                uac={"AUTH_USER": "gw", "AUTH_PASS": "pw1"})
    check_eq(r.codes(), [401, 200], "INVITE responses")
    inv2 = u.find(direction="received", method="INVITE")[1]
    check(inv2.hdr("authorization", "").startswith("Digest "),
          "Authorization", inv2.hdrs("authorization"))


@test
def sipp_digest_wrong_password():
    s = Sipp("uas_digest", calls=1, AUTH_PASS="right").start()
    r = Sipp("uac_digest", remote="127.0.0.1:%d" % s.port,
             AUTH_PASS="wrong", timeout_s=5).run()
    s.wait()
    check(not r.ok, "wrong password accepted", r.describe())
    check_eq(r.codes(), [401, 403], "INVITE responses")


@test
def kamailio_failover():
    # gw1 (preferred) answers probes 200 but INVITE 503; gw2 answers
    gw1 = Sipp("uas_final", calls=None, CODE=503, name="gw1").start()
    gw2 = Sipp("uas_answer", calls=None, name="gw2").start()
    kam = Kamailio(gateways=[("127.0.0.1", gw1.port, "udp"),
                             ("127.0.0.1", gw2.port, "udp")],
                   alg="priority")
    for gw in (gw1, gw2):
        kam.wait_gateway(gw.port, True)
        gw.wait_message(direction="sent", code=200, cseq_method="OPTIONS")
    r = Sipp("uac_answer", remote=kam.address, CALLED=CALLED).run()
    check(r.ok, "call via kamailio", r.describe())
    check_eq(r.final_code(), 200, "answered")
    g1 = gw1.stop()
    g2 = gw2.stop()
    check(g1.first(direction="sent", code=503) is not None,
          "gw1 sent 503", g1.describe())
    check(g1.first(direction="received", method="OPTIONS") is not None,
          "gw1 was probed")
    inv = g2.first(direction="received", method="INVITE")
    check(inv is not None, "gw2 got the INVITE", g2.describe())
    check(inv.hdr("record-route") is not None, "record-routed", inv)
    check(g2.first(direction="received", method="BYE") is not None,
          "BYE routed to gw2", g2.describe())
    check(r.find(direction="received", code=503) == [],
          "no 503 reached the caller")
    # non-numeric users are refused by the proxy itself
    n = Sipp("uac_final", remote=kam.address, CALLED="alice", CODE=404,
             timeout_s=5).run()
    check(n.ok, "non-numeric -> 404", n.describe())


@test
def kamailio_tcp_gateway():
    gw = Sipp("uas_answer", calls=None, transport="tcp", name="gw-tcp").start()
    kam = Kamailio(gateways=[("127.0.0.1", gw.port, "tcp")])
    r = Sipp("uac_answer", remote=kam.address, CALLED=CALLED).run()
    check(r.ok, "udp caller -> kamailio -> tcp gateway", r.describe())
    g = gw.stop()
    inv = g.first(direction="received", method="INVITE")
    check(inv is not None and "SIP/2.0/TCP" in inv.hdr("via"),
          "INVITE over TCP", g.describe())
    check(g.first(direction="received", method="BYE") is not None,
          "BYE over TCP", g.describe())


@test
def kamailio_probing():
    up = Sipp("uas_final", calls=None, CODE=486, name="gw-up").start()
    down_port = free_port()
    kam = Kamailio(gateways=[("127.0.0.1", up.port, "udp"),
                             ("127.0.0.1", down_port, "udp")],
                   fr_timer_ms=1000)
    t0 = time.monotonic()
    kam.wait_gateway(down_port, False, timeout=10)
    dt = time.monotonic() - t0
    check(kam.is_active(up.port), "probed gateway active",
          kam.dispatcher_states())
    print("  down gateway inactive after %.1fs" % dt, flush=True)
    # round-robin now skips the dead one: no call waits for fr_timer
    for _ in range(3):
        t1 = time.monotonic()
        r = Sipp("uac_final", remote=kam.address, CALLED=CALLED, CODE=486,
                 timeout_s=5).run()
        check(r.ok, "call via the live gateway", r.describe())
        check(time.monotonic() - t1 < 0.9, "no detour via the dead one")
    dead = "to sip:127.0.0.1:%d;" % down_port
    check(dead + "transport=udp" not in kam.log(), "dead gateway used")
    # the dead one comes back once something answers its probes
    back = Sipp("uas_options", port=down_port, calls=None,
                name="gw-back").start()
    kam.wait_gateway(down_port, True, timeout=10)
    back.stop()
    up.stop()


@test
def kamailio_load_reference():
    res = kamailio_reference(calls=200, rate=50)
    print("  kamailio reference: %d/%d calls ok in %.2fs (%.1f calls/s), "
          "kamailio CPU %.3fs = %.3f ms/call" %
          (res.ok, res.calls, res.elapsed_s, res.calls_per_s, res.cpu_s,
           res.cpu_ms_per_call), flush=True)
    check_eq(res.ok, 200, "completed calls")
    check_eq(res.failed, 0, "failed calls")
    check(res.cpu_s > 0, "kamailio CPU measured", res.cpu_s)


def baresip_call(tls):
    b = Baresip(user="bob", auto_answer=True, tone_hz=1000, tls=tls,
                name="bob")
    a = Baresip(user="alice", tone_hz=440, tls=tls, name="alice")
    a.dial(b.tls_uri if tls else b.uri)
    ev = a.wait_event("CALL_ESTABLISHED", timeout=10)
    check(("transport=tls" in ev.get("peeruri", "")) == tls, "transport",
          ev)
    b.wait_event("CALL_ESTABLISHED", timeout=10)
    time.sleep(2.0)
    a.hangup()
    a.wait_event("CALL_CLOSED", timeout=10)
    b.wait_event("CALL_CLOSED", timeout=10)
    # recordings are complete once the call is closed
    for ua, want in ((b, 440), (a, 1000)):
        path = wait_for(ua.recorded_wav, 5, "recording of %s" % ua.name)
        freq, rms, dur = tone_analysis(path)
        print("  %s received %.0f Hz rms %.0f over %.2fs" %
              (ua.name, freq, rms, dur), flush=True)
        check(dur > 1.0, "tone long enough", path, dur)
        check(rms > 1000, "tone not silent", rms)
        check(abs(freq - want) < want * 0.05, "tone frequency", freq, want)
    a.stop()
    b.stop()


@test
def baresip_udp():
    baresip_call(tls=False)


@test
def baresip_tls():
    baresip_call(tls=True)


@test
def baresip_to_sipp():
    s = Sipp("uas_answer", calls=1, RING_MS=200).start()
    a = Baresip(user="alice")
    a.dial("sip:%s@127.0.0.1:%d" % (CALLED, s.port))
    a.wait_event("CALL_RINGING", timeout=10)
    a.wait_event("CALL_ESTABLISHED", timeout=10)
    a.hangup()
    a.wait_event("CALL_CLOSED", timeout=10)
    u = s.wait()
    check(u.ok, "sipp uas", u.describe())
    inv = u.first(direction="received", method="INVITE")
    check("PCMA/8000" in inv.body, "baresip offers PCMA", inv.body)
    a.stop()


@test
def baresip_incoming_manual_answer():
    b = Baresip(user="bob")
    r_sipp = Sipp("uac_answer", remote="127.0.0.1:%d" % b.sip_port,
                  HOLD_MS=300, CALLED="bob")
    r_sipp.start(wait_bound=False)
    b.wait_event("CALL_INCOMING", timeout=10)
    b.answer()
    b.wait_event("CALL_ESTABLISHED", timeout=10)
    b.wait_event("CALL_CLOSED", timeout=10)
    r = r_sipp.wait()
    check(r.ok, "sipp uac to baresip", r.describe())
    b.stop()


if __name__ == "__main__":
    os.environ.setdefault("GW_TEST_ROOT", harness.ROOT)
    harness.main()
