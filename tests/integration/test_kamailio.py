#!/usr/bin/env python3
"""Kamailio (dispatcher, OPTIONS probing every 1 s) in front of two gwd
instances, each with its own pstnsim: numeric Request-URIs are spread over
both gateways and non-numeric ones refused by the proxy (404); a gateway
whose trunk group is full or whose channels are all blocked answers INVITE
503 (cause 34) and the proxy fails over to the other; a gateway whose spans
are down answers OPTIONS 503, is marked inactive and gets no INVITE until
its spans come back; a BYE from the PSTN side follows the proxy's
Record-Route. No final response seen by a caller is ever a 6xx."""
import re

import harness
from harness import check, check_eq, test, wait_for
from peers import Kamailio, Sipp
from rig import Rig

CALLED = "+4930100"

NUMBERS = """
[number 30100]
behaviour = answer
alert_ms = 0
answer_ms = 20
[number 30101]
behaviour = answer
alert_ms = 0
answer_ms = 20
hangup_ms = 300
"""

# every final response to an INVITE any caller saw in this file:
# (test, called number, code)
FINALS = []


class Gateway:
    """One gwd with its own pstnsim (two E1 spans), both named after the
    gateway so logs and sockets do not collide."""

    def __init__(self, name, extra_tg=""):
        self.name = name
        rig = Rig(NUMBERS, spans=2, tg=extra_tg, listen="udp:127.0.0.1:{port}",
                  settle_ms=200, name="-" + name, wait=False)
        self.ps, self.gw, self.port = rig.ps, rig.gw, rig.sip_port
        self.rig = rig

    def wait_up(self):
        self.rig.wait_up()

    def setups(self):
        """Q.931 SETUPs the PSTN side received from this gateway."""
        return self.ps.events(0, type="q931", dir="rx", msg="SETUP")

    def invites_seen(self):
        """Calls gwd created for incoming INVITEs (ids from its log)."""
        return set(re.findall(r"\bcall (\d+):", self.gw.proc.output()))


def start(extra_a="", extra_b="", alg="round-robin"):
    """Gateways A and B (spans up) behind a Kamailio that sees both active."""
    a = Gateway("a", extra_a)
    b = Gateway("b", extra_b)
    a.wait_up()
    b.wait_up()
    kam = Kamailio(gateways=[("127.0.0.1", a.port, "udp"),
                             ("127.0.0.1", b.port, "udp")], alg=alg,
                   ping_interval_s=1)
    for g in (a, b):
        kam.wait_gateway(g.port, True, timeout=5)
    return a, b, kam


def call(kam, scenario="uac_answer", called=CALLED, calls=1, **kw):
    """Runs a sipp UAC through the proxy and records its final responses."""
    kw.setdefault("HOLD_MS", 0)
    kw.setdefault("CALLING", "+4930999888")
    rate = kw.pop("rate", 20)
    res = Sipp(scenario, remote=kam.address, CALLED=called, calls=calls,
               rate=rate if calls > 1 else None, **kw).run(timeout=20)
    for m in res.find(direction="received", cseq_method="INVITE"):
        if m.code and m.code >= 200:
            FINALS.append((harness.Scratch.dir, called, m.code))
    check(all(c < 600 for c in res.codes()), "6xx seen by the caller",
          res.describe())
    return res


def finals_by_call(res):
    """{Call-ID: final INVITE response code} of one sipp run."""
    out = {}
    for m in res.find(direction="received", cseq_method="INVITE"):
        if m.code and m.code >= 200:
            out.setdefault(m.hdr("call-id"), m.code)
    return out


def dispatch_lines(kam, since=0):
    """(method, R-URI, destination) of each dispatch or failover logged
    by the proxy after character offset since of its log."""
    return re.findall(r"(?:dispatch|failover) (\S+) (\S+) to (\S+)",
                      kam.log()[since:])


@test
def numeric_calls_are_spread_and_others_get_404():
    a, b, kam = start()
    res = call(kam, calls=6)
    check(res.ok, "calls via kamailio", res.describe())
    finals = finals_by_call(res)
    check_eq(sorted(finals.values()), [200] * 6, "final responses")
    na, nb = len(a.setups()), len(b.setups())
    check_eq(na + nb, 6, "SETUPs toward the PSTN")
    check(na >= 2 and nb >= 2, "calls spread over both gateways", na, nb)
    before = (a.invites_seen(), b.invites_seen())
    n = call(kam, "uac_final", called="alice", CODE=404, timeout_s=5)
    check(n.ok, "non-numeric R-URI gets 404", n.describe())
    check_eq(n.final_code(), 404, "final response")
    check("gw-test-kamailio" in (n.first(code=404).hdr("server") or ""),
          "404 comes from the proxy", n.first(code=404))
    check_eq((a.invites_seen(), b.invites_seen()), before,
             "no gateway saw the non-numeric INVITE")
    check_eq(len(a.setups()) + len(b.setups()), 6, "no further SETUP")


@test
def pstn_hangup_bye_follows_the_record_route():
    a, b, kam = start()
    res = call(kam, "uac_bye_from_remote", called="+4930101")
    check(res.ok, "call cleared from the PSTN", res.describe())
    bye = res.first(direction="received", method="BYE")
    # RFC 3261 §12.1.1: the UAS's route set is the Record-Route of the
    # INVITE, so gwd's BYE goes through the proxy (two Vias)
    vias = bye.hdrs("via")
    check_eq(len(vias), 2, "Via headers of the BYE")
    check("127.0.0.1:%d;" % kam.port in vias[0], "BYE via the proxy", vias)


def fails_over_from_a(a, b, kam, make_a_full, release_a):
    """Makes A unable to take a call, places one at once and checks that
    A's INVITE 503 made the proxy fail over to B (caller gets 200). The
    OPTIONS probe may see A full first and mark it inactive, in which case
    the call goes straight to B; then A is released and the attempt is
    repeated (each attempt has a window of some ms in a 1 s probe cycle)."""
    for attempt in range(4):
        kam.wait_gateway(a.port, True, timeout=5)
        make_a_full()
        mark = len(kam.log())
        nb = len(b.setups())
        na = len(a.setups())
        res = call(kam)
        check(res.ok, "call via kamailio", res.describe())
        check_eq(res.final_code(), 200, "final response")
        check_eq(len(b.setups()), nb + 1, "B placed the call")
        check_eq(len(a.setups()), na, "A sent no SETUP")
        lines = dispatch_lines(kam, mark)
        check(lines and lines[-1][2] == kam.gateway_uri(b.port),
              "call ended at B", lines)
        release_a()
        if len(lines) == 2 and lines[0][2] == kam.gateway_uri(a.port):
            check(re.search(r"refused with cause 34",
                            a.gw.proc.output()), "A refused with cause 34")
            return attempt
        check_eq(len(lines), 1, "one dispatch when A was probed first")
    raise harness.TestFailure("the probe saw A full first in 4 attempts")


@test
def full_trunk_group_fails_over_to_b():
    a, b, kam = start(extra_a="max_calls = 1\nretry_after_s = 3\n",
                      alg="priority")
    holders = []

    def hold():
        # the held call goes to A (preferred) and fills its trunk group
        h = Sipp("uac_answer", remote=kam.address, CALLED=CALLED,
                 CALLING="+4930999777", HOLD_MS=1500, name="held").start()
        holders.append(h)
        wait_for(lambda: a.gw.ctl("calls")["calls"], 5, "A's call up")

    def release():
        r = holders[-1].wait(10)
        for m in r.find(direction="received", cseq_method="INVITE"):
            if m.code and m.code >= 200:
                FINALS.append((harness.Scratch.dir, CALLED, m.code))
        check(r.ok, "held call", r.describe())
        wait_for(lambda: not a.gw.ctl("calls")["calls"], 5, "A idle")

    n = fails_over_from_a(a, b, kam, hold, release)
    print("  failover seen on attempt %d" % (n + 1), flush=True)


@test
def blocked_channels_fail_over_to_b():
    a, b, kam = start(alg="priority")
    chans = [(c["span"], c["chan"]) for c in a.gw.ctl("channels")["channels"]]
    check_eq(len(chans), 60, "A's B-channels")

    def block():
        for span, ch in chans:
            a.gw.ctl("block", span=span, chan=ch)

    def unblock():
        for span, ch in chans:
            a.gw.ctl("unblock", span=span, chan=ch)
        a.gw.wait_spans(lambda sp: all(s["channels"]["blocked"] == 0
                                       for s in sp.values()), 5,
                        "A unblocked")

    n = fails_over_from_a(a, b, kam, block, unblock)
    print("  failover seen on attempt %d" % (n + 1), flush=True)
    # blocked for good: the probe marks A inactive
    block()
    kam.wait_gateway(a.port, False, timeout=4)


@test
def every_gateway_full_gives_the_caller_5xx():
    a, b, kam = start(extra_a="max_calls = 1\n", extra_b="max_calls = 1\n")
    held = Sipp("uac_answer", remote=kam.address, CALLED=CALLED,
                CALLING="+4930999777", HOLD_MS=2500, calls=2, rate=20,
                name="held").start()
    for g in (a, b):
        g.ps.wait_event(5, 0, type="call_answered")
    # both answer 503: RFC 3261 §16.7 step 6 has the proxy send 500
    # instead; if the probes marked both inactive first, the proxy's own
    # 503 comes back
    res = call(kam, "uac_final", CODE=500, timeout_s=10)
    check(res.final_code() in (500, 503), "5xx when no gateway can take "
          "the call", res.describe())
    r = held.wait(15)
    check(r.ok, "held calls", r.describe())
    for m in r.find(direction="received", cseq_method="INVITE"):
        if m.code and m.code >= 200:
            FINALS.append((harness.Scratch.dir, CALLED, m.code))


@test
def spans_down_make_a_inactive_and_calls_avoid_it():
    a, b, kam = start()
    for span in (1, 2):
        a.ps.cmd("dchan", span=span, state="down")
    a.gw.wait_spans(lambda sp: not any(s["usable"] for s in sp.values()),
                    3, "A's spans down")
    kam.wait_gateway(a.port, False, timeout=4)
    mark = len(kam.log())
    seen_a = a.invites_seen()
    nb = len(b.setups())
    res = call(kam, calls=4)
    check(res.ok, "calls via kamailio", res.describe())
    check_eq(sorted(finals_by_call(res).values()), [200] * 4,
             "final responses")
    check_eq(len(b.setups()), nb + 4, "B placed every call")
    check_eq(a.invites_seen(), seen_a, "A saw no INVITE")
    dests = set(d for _, _, d in dispatch_lines(kam, mark))
    check_eq(dests, {kam.gateway_uri(b.port)}, "proxy destinations")
    # spans back: A answers its probes 200 again and takes calls
    for span in (1, 2):
        a.ps.cmd("dchan", span=span, state="up")
    a.wait_up()
    kam.wait_gateway(a.port, True, timeout=4)
    na = len(a.setups())
    res = call(kam, calls=2)
    check(res.ok, "calls after recovery", res.describe())
    check(len(a.setups()) > na, "A takes calls again")


@test
def pstnsim_gone_makes_a_inactive():
    a, b, kam = start()
    a.ps.stop()
    kam.wait_gateway(a.port, False, timeout=5)
    seen_a = a.invites_seen()
    res = call(kam, calls=2)
    check(res.ok, "calls via kamailio", res.describe())
    check_eq(a.invites_seen(), seen_a, "A saw no INVITE")
    check_eq(len(b.setups()), 2, "B placed both calls")


@test
def no_final_response_is_6xx():
    check(len(FINALS) >= 10, "final responses recorded", len(FINALS))
    bad = [f for f in FINALS if f[2] >= 600]
    check_eq(bad, [], "6xx final responses")
    codes = sorted(set(f[2] for f in FINALS))
    print("  %d final responses, codes %s" % (len(FINALS), codes),
          flush=True)


harness.main()
