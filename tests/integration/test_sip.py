#!/usr/bin/env python3
"""The SIP stack proven against a running gwd: the RFC 4475 torture
messages over UDP (each must get the response class tests/vectors/rfc4475/
INDEX.md gives, gwd must stay up and keep no session), then sipp through
gwd to pstnsim for the answering side (re-INVITE hold/resume, PRACK,
session timers, CANCEL, TCP, 2xx retransmission until ACK, in-dialog
OPTIONS/INFO, BYE outside a dialog) and digest authentication both ways
(RFC 7616: gwd challenging untrusted sources, gwd answering a challenge).
The expiry of an unrefreshed session (gwd's BYE) needs at least the 90 s
RFC 4028 minimum in real time, over this suite's budget: it is covered in
virtual time by tests/unit/test_sip_sess.c (session_timer_*_expiry)."""
import hashlib
import os
import re
import socket
import time

import harness
from harness import check, check_eq, free_port, test, wait_for
from peers import Sipp, parse_sip_message
from rig import Rig

VEC = os.path.join(harness.ROOT, "tests", "vectors", "rfc4475")

NUMBERS = """
[number 30100]
behaviour = answer
alert_ms = 50
answer_ms = 100
[number 30110]
behaviour = silent
[number 30111]
behaviour = proceeding
"""


def Setup(sip_extra="session_expires_s = 0\n", tg_extra=""):
    """pstnsim with one E1 and gwd routing +49 to it (rig.Rig)."""
    return Rig(NUMBERS, sip=sip_extra, tg=tg_extra)


def final(res, cseq_method="INVITE"):
    for m in res.find(direction="received", cseq_method=cseq_method):
        if m.code and m.code >= 200:
            return m
    return None


def check_ok(res, what="sipp"):
    check(res.ok, "%s failed" % what, res.describe())


# ---------------------------------------------------------- RFC 4475

def read_index():
    """[(file, expected text)] from INDEX.md."""
    rows = []
    with open(os.path.join(VEC, "INDEX.md")) as f:
        for line in f:
            cols = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cols) == 4 and cols[1].endswith(".dat"):
                rows.append((cols[1], cols[3]))
    return rows


VIA_RE = re.compile(rb"(?im)^(v|via)([ \t]*:[ \t]*SIP[ \t\r\n]*/[ \t\r\n]*"
                    rb"[0-9.]+[ \t\r\n]*/[ \t\r\n]*[A-Za-z0-9-]+[ \t\r\n]+)"
                    rb"([^;,\s]+)")


def aim_via(data, port):
    """The vectors' Via sent-by hosts are documentation names: the top
    Via's sent-by becomes 127.0.0.1:port so that gwd's response
    (RFC 3261 §18.2.2: source address, sent-by port) reaches this test.
    Nothing else of the message changes."""
    return VIA_RE.sub(lambda m: m.group(1) + m.group(2) +
                      b"127.0.0.1:%d" % port, data, count=1)


def expected_class(exp, data):
    """What the verdict allows: a set of codes, "final" (any final
    response), or "silent"."""
    if data.startswith(b"SIP/"):
        return "silent"              # responses are never answered
    m = re.search(r"answer (\d+)( \(400 also acceptable\))?", exp)
    if m:
        codes = {int(m.group(1))}
        if m.group(2):
            codes.add(400)
        return codes
    m = re.search(r"invalid \((\d+)\)", exp)
    if m:
        return {int(m.group(1))}
    if exp.startswith("invalid"):
        return "4xx-or-silent"
    return "final"


CALLID_RE = re.compile(rb"(?im)^(?:i|call-id)[ \t]*:[ \t]*(\S+)")


def ack_for(resp):
    """The ACK for a non-2xx final response to an INVITE (RFC 3261
    §17.1.1.3), so that gwd stops retransmitting it."""
    to = resp.hdr("to", "")
    cseq = resp.hdr("cseq", "1 INVITE").split()[0]
    return ("ACK sip:gw@127.0.0.1 SIP/2.0\r\nVia: %s\r\n"
            "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n" %
            (resp.hdr("via", ""), resp.hdr("from", ""), to,
             resp.hdr("call-id", ""), cseq)).encode()


def exchange(sock, dest, data, wait_s=1.5):
    """Sends data; returns the responses with its Call-ID (all when it has
    none) received within wait_s, stopping 0.15 s after a final one, which
    is ACKed when it answers an INVITE."""
    m = CALLID_RE.search(data)
    cid = m.group(1).decode("latin-1") if m else None
    sock.sendto(data, dest)
    got = []
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            buf, _ = sock.recvfrom(65535)
        except socket.timeout:
            break
        msg, _ = parse_sip_message(buf.decode("utf-8", "replace"))
        if cid and msg.hdr("call-id") != cid:
            continue    # a retransmission for an earlier message
        if msg.code and msg.code >= 200 and msg.cseq_method == "INVITE" \
                and msg.code >= 300:
            sock.sendto(ack_for(msg), dest)
        if msg.code and msg.code >= 200 and (not got or got[-1].code < 200):
            deadline = min(deadline, time.monotonic() + 0.15)
        if not (got and msg.code and msg.code >= 200 and
                any(g.code == msg.code for g in got)):
            got.append(msg)     # retransmissions of a final are not new
    return got


def judge(name, cls, got):
    """None when the responses got fit the class, else why not."""
    codes = [m.code for m in got]
    if any(c is None for c in codes):
        return "%s: a request came back: %s" % (name, got)
    finals = [c for c in codes if c >= 200]
    if cls == "silent":
        return None if not got else "%s: answered %s" % (name, codes)
    if cls == "4xx-or-silent":
        if not got or (len(finals) == 1 and 400 <= finals[0] < 600
                       and finals[0] != 500):
            return None
        return "%s: want 4xx or silence, got %s" % (name, codes)
    if len(finals) != 1:
        return "%s: want one final response, got %s" % (name, codes)
    if cls == "final":
        return None if finals[0] != 500 else "%s: 500" % name
    return None if finals[0] in cls else \
        "%s: want %s, got %s" % (name, sorted(cls), codes)


def header_checks(name, got):
    """RFC 4475 §3.3.5/§3.3.6: what the 420 and 415 must carry."""
    f = [m for m in got if m.code and m.code >= 200]
    if not f:
        return None
    f = f[0]
    if f.code == 420 and not f.hdr("unsupported"):
        return "%s: 420 without Unsupported" % name
    if f.code == 415 and not f.hdr("accept"):
        return "%s: 415 without Accept" % name
    return None


@test
def rfc4475_torture_messages_over_udp():
    s = Setup()
    dest = ("127.0.0.1", s.sip_port)
    bad = []
    rows = read_index()
    check(len(rows) >= 49, "INDEX.md rows", len(rows))
    for name, exp in rows:
        with open(os.path.join(VEC, name), "rb") as f:
            raw = f.read()
        cls = expected_class(exp, raw)
        # one socket (port) per message: several vectors share a branch,
        # and with one sent-by they would match one server transaction
        # (RFC 3261 §17.2.3) and get its response again
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(("127.0.0.1", 0))
            got = exchange(sock, dest, aim_via(raw, sock.getsockname()[1]),
                           0.3 if cls == "silent" else 1.0)
        finally:
            sock.close()
        why = judge(name, cls, got) or header_checks(name, got)
        if why:
            bad.append(why)
        check(s.gw.proc.alive(), "gwd died after %s" % name,
              s.gw.proc.output()[-2000:])
    check(s.gw.ctl("status") is not None, "status after the messages")
    s.idle(8)
    check(not bad, "%d mismatches:\n  " % len(bad) + "\n  ".join(bad))


# ------------------------------------------- sipp -> gwd -> pstnsim

@test
def reinvite_hold_and_resume():
    s = Setup()
    res = s.uac("uac_reinvite", HOLD_MS=300)
    check_ok(res)
    oks = [m for m in res.find(direction="received", code=200,
                               cseq_method="INVITE")]
    bodies = [m.body or "" for m in oks]
    check(len(bodies) >= 3, "three 2xx to INVITEs", res.describe())
    # RFC 3264 §8.4: the answer to sendonly is recvonly, then sendrecv
    hold = [b for b in bodies if "a=recvonly" in b]
    check(hold, "a 200 answering sendonly with recvonly", bodies)
    check("a=sendrecv" in bodies[-1] or "a=recv" not in bodies[-1] and
          "a=send" not in bodies[-1], "resume answered sendrecv",
          bodies[-1])
    check(all("m=audio" in b for b in bodies), "SDP in every 200", bodies)
    s.idle()


@test
def prack_reliable_180():
    s = Setup("session_expires_s = 0\nprack = yes\n")
    for hdr in ("Supported", "Require"):
        res = s.uac("uac_prack", HOLD_MS=200, REL_HEADER=hdr,
                    name="prack-" + hdr.lower())
        check_ok(res, "PRACK with %s: 100rel" % hdr)
        rel = [m for m in res.find(direction="received",
                                   cseq_method="INVITE")
               if m.code in (180, 183)]
        check(rel, "a 18x", res.describe())
        check(rel[0].hdr("rseq") is not None, "RSeq in the 18x", rel[0])
        check("100rel" in rel[0].hdr("require", ""), "Require: 100rel",
              rel[0].hdr("require"))
        pr = res.find(direction="received", cseq_method="PRACK")
        check(pr and pr[0].code == 200, "PRACK answered 200",
              res.describe())
        s.idle()


@test
def session_timer_uac_refreshes():
    s = Setup("session_expires_s = 90\nmin_se_s = 90\n")
    res = s.uac("uac_session_timer", SE=90, REFRESH_MS=1000, HOLD_MS=200)
    check_ok(res)
    ok = final(res)
    se = ok.hdr("session-expires", "")
    check(se.split(";")[0].strip() == "90", "Session-Expires 90 in the 200",
          se)
    check("refresher=uac" in se.replace(" ", ""), "refresher uac", se)
    check("timer" in ok.hdr("require", ""), "Require: timer",
          ok.hdr("require"))
    up = res.find(direction="received", cseq_method="UPDATE")
    check(up and up[0].code == 200, "UPDATE refresh answered 200",
          res.describe())
    s.idle()


@test
def session_timer_below_min_se_gets_422():
    s = Setup("session_expires_s = 90\nmin_se_s = 120\n")
    res = s.uac("uac_final", CODE=422, EXTRA_HEADERS=[
        "Session-Expires: 90", "Supported: timer"])
    check_ok(res)
    check_eq(final(res).hdr("min-se"), "120", "Min-SE in the 422")
    s.idle()


@test
def cancel_before_18x():
    for num in ("+4930110", "+4930111"):
        s = Setup()
        res = s.uac("uac_cancel_before_18x", num, CANCEL_MS=300,
                    name="cancel-%s" % num[-3:])
        check_ok(res, "cancel to %s" % num)
        check_eq(res.final_code(), 487, "final after CANCEL")
        ev = s.ps.wait_event(5, 0, type="q931", dir="rx", msg="DISCONNECT")
        check_eq(ev.get("cause"), 16, "cause toward the PSTN")
        s.idle()
        s.gw.stop()
        s.ps.stop()


@test
def tcp_call():
    s = Setup()
    res = s.sipp("uac_answer", transport="tcp", HOLD_MS=200).run(timeout=15)
    check_ok(res, "sipp over TCP")
    check_eq(res.final_code(), 200, "final over TCP")
    via = final(res).hdr("via", "")
    check("SIP/2.0/TCP" in via.upper(), "Via of the 200 says TCP", via)
    s.idle()


@test
def indialog_options_and_info():
    s = Setup()
    res = s.uac("uac_indialog", HOLD_MS=100)
    check_ok(res)
    for meth in ("OPTIONS", "INFO"):
        r = res.find(direction="received", cseq_method=meth)
        check(r and r[0].code == 200, "%s answered 200" % meth,
              res.describe())
    s.idle()


@test
def bye_for_unknown_dialog_gets_481():
    s = Setup()
    res = s.uac("uac_bye_unknown")
    check_ok(res)
    check_eq(res.final_code(cseq_method="BYE"), 481, "BYE answer")
    s.idle()


def sip_request(method, port, gw_port, call_id, cseq, to_tag="",
                branch=None, body="", extra=""):
    """A request from a plain UDP socket on port to gwd."""
    branch = branch or "z9hG4bK-%s-%d-%s" % (call_id, cseq, method)
    return ("%s sip:+4930100@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
            "From: <sip:+4930999888@127.0.0.1>;tag=py1\r\n"
            "To: <sip:+4930100@127.0.0.1>%s\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\n"
            "Contact: <sip:py@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n%s"
            "Content-Length: %d\r\n\r\n%s" %
            (method, gw_port, port, branch, to_tag and ";tag=" + to_tag,
             call_id, cseq, method, port, extra,
             len(body.encode()), body)).encode()


OFFER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
         "t=0 0\r\nm=audio 40000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\n"
         "a=sendrecv\r\n")


def recv_msgs(sock, until, pred=None):
    """(arrival time, message) received until the monotonic time until,
    stopping early at the first that satisfies pred."""
    out = []
    while time.monotonic() < until:
        sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            buf, _ = sock.recvfrom(65535)
        except socket.timeout:
            break
        m, _ = parse_sip_message(buf.decode("utf-8", "replace"))
        out.append((time.monotonic(), m))
        if pred and pred(m):
            break
    return out


@test
def ok_retransmitted_until_ack():
    """RFC 3261 §13.3.1.4: gwd resends its 200 at T1, 2*T1... until the
    ACK; the test ignores the first 200 and ACKs the second
    retransmission, after which no 200 may come."""
    s = Setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    dest = ("127.0.0.1", s.sip_port)
    cid = "rtx-%d" % port
    is_ok = (lambda m: m.code == 200 and m.cseq_method == "INVITE")
    try:
        sock.sendto(sip_request("INVITE", port, s.sip_port, cid, 1,
                                body=OFFER,
                                extra="Content-Type: application/sdp\r\n"),
                    dest)
        oks = []
        deadline = time.monotonic() + 8
        while len(oks) < 3 and time.monotonic() < deadline:
            oks += [(t, m) for t, m in recv_msgs(sock, deadline, is_ok)
                    if is_ok(m)]
        check_eq(len(oks), 3, "200 and two retransmissions")
        d1 = oks[1][0] - oks[0][0]
        d2 = oks[2][0] - oks[1][0]
        check(0.35 <= d1 <= 0.8, "first retransmission after ~T1", d1)
        check(0.8 <= d2 <= 1.5, "second after ~2*T1", d2)
        to_tag = oks[0][1].hdr("to").split("tag=")[1].split(";")[0]
        sock.sendto(sip_request("ACK", port, s.sip_port, cid, 1, to_tag),
                    dest)
        late = [m for _, m in recv_msgs(sock, time.monotonic() + 2.5)
                if is_ok(m)]
        check_eq(late, [], "200s after the ACK")
        sock.sendto(sip_request("BYE", port, s.sip_port, cid, 2, to_tag),
                    dest)
        bye = [m for _, m in recv_msgs(sock, time.monotonic() + 3,
                                       lambda m: m.code is not None)
               if m.cseq_method == "BYE"]
        check(bye and bye[0].code == 200, "BYE answered 200", bye)
    finally:
        sock.close()
    s.idle()


# ------------------------------------------------ digest authentication

AUTH_SIP = """session_expires_s = 0
trusted = 10.0.0.0/8, ::1/128
auth_realm = gw-test
auth_user = alice
auth_password = s3cret
"""


def chal_params(value):
    """The parameters of a Digest challenge value as a dict."""
    check(value.startswith("Digest "), "Digest scheme", value)
    out = {}
    for k, v in re.findall(r'([A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[^,\s]+)',
                           value[7:]):
        out[k.lower()] = v.strip('"')
    return out


def digest_answer(chal, user, password, uri, nc=1, cnonce="0a1b2c3d"):
    """An Authorization value for an INVITE (RFC 7616 §3.4.1, qop=auth)."""
    p = chal_params(chal)
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[p["algorithm"]]
    hx = lambda t: h(t.encode()).hexdigest()
    ha1 = hx("%s:%s:%s" % (user, p["realm"], password))
    ha2 = hx("INVITE:%s" % uri)
    ncs = "%08x" % nc
    resp = hx("%s:%s:%s:%s:auth:%s" % (ha1, p["nonce"], ncs, cnonce, ha2))
    v = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
         'response="%s", algorithm=%s, qop=auth, nc=%s, cnonce="%s"' %
         (user, p["realm"], p["nonce"], uri, resp, p["algorithm"], ncs,
          cnonce))
    if "opaque" in p:
        v += ', opaque="%s"' % p["opaque"]
    return v


class PyUac:
    """A UDP UAC on a plain socket for the digest exchanges (sipp answers
    MD5 challenges only, and takes the first, SHA-256 one)."""

    def __init__(self, s):
        self.s = s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.dest = ("127.0.0.1", s.sip_port)
        self.uri = "sip:+4930100@127.0.0.1:%d" % s.sip_port
        self.n = 0

    def invite(self, cid, cseq, auth=None):
        """Sends an INVITE; returns its final response (ACKed if >= 300)."""
        self.n += 1
        extra = "Content-Type: application/sdp\r\n"
        if auth:
            extra += "Authorization: %s\r\n" % auth
        self.sock.sendto(sip_request(
            "INVITE", self.port, self.s.sip_port, cid, cseq, body=OFFER,
            branch="z9hG4bK-py-%d-%s-%d" % (self.port, cid, self.n),
            extra=extra), self.dest)
        got = recv_msgs(self.sock, time.monotonic() + 5,
                        lambda m: m.code and m.code >= 200 and
                        m.hdr("call-id") == cid)
        fin = [m for _, m in got if m.code and m.code >= 200 and
               m.hdr("call-id") == cid]
        check(fin, "a final response to INVITE %s/%d" % (cid, cseq))
        f = fin[0]
        if f.code >= 300:
            self.sock.sendto(ack_for(f), self.dest)
        return f

    def end_call(self, ok, cid, cseq):
        """ACKs a 200 and sends BYE; returns the BYE's response code."""
        tag = ok.hdr("to").split("tag=")[1].split(";")[0]
        self.sock.sendto(sip_request("ACK", self.port, self.s.sip_port, cid,
                                     cseq, tag), self.dest)
        self.sock.sendto(sip_request("BYE", self.port, self.s.sip_port, cid,
                                     cseq + 1, tag), self.dest)
        got = recv_msgs(self.sock, time.monotonic() + 3,
                        lambda m: m.cseq_method == "BYE")
        return [m.code for _, m in got if m.cseq_method == "BYE"][:1]

    def close(self):
        self.sock.close()


def pick(resp, alg):
    for v in resp.hdrs("www-authenticate"):
        if chal_params(v).get("algorithm") == alg:
            return v
    raise harness.TestFailure("no %s challenge in %s" %
                              (alg, resp.hdrs("www-authenticate")))


@test
def digest_untrusted_source_is_challenged():
    s = Setup(AUTH_SIP)
    u = PyUac(s)
    try:
        for alg in ("SHA-256", "MD5"):
            cid = "auth-%s-%d" % (alg, u.port)
            r = u.invite(cid, 1)
            check_eq(r.code, 401, "answer without credentials")
            vals = r.hdrs("www-authenticate")
            check_eq([chal_params(v)["algorithm"] for v in vals],
                     ["SHA-256", "MD5"], "challenges, preferred first")
            p = chal_params(vals[0])
            check_eq(p.get("realm"), "gw-test", "realm")
            check_eq(p.get("qop"), "auth", "qop")
            ok = u.invite(cid, 2, digest_answer(pick(r, alg), "alice",
                                                "s3cret", u.uri))
            check_eq(ok.code, 200, "authenticated INVITE (%s)" % alg)
            check_eq(u.end_call(ok, cid, 2), [200], "BYE")
    finally:
        u.close()
    s.idle()


@test
def digest_wrong_password_gets_403_and_replay_is_stale():
    s = Setup(AUTH_SIP)
    u = PyUac(s)
    try:
        cid = "auth-bad-%d" % u.port
        r = u.invite(cid, 1)
        check_eq(r.code, 401, "challenge")
        bad = u.invite(cid, 2, digest_answer(pick(r, "MD5"), "alice",
                                             "wrong", u.uri))
        check_eq(bad.code, 403, "wrong password")
        bad = u.invite(cid, 3, digest_answer(pick(r, "MD5"), "mallory",
                                             "s3cret", u.uri, nc=2))
        check_eq(bad.code, 403, "unknown user")
        # a good answer, then the same nonce and nc again: a replay
        cid = "auth-replay-%d" % u.port
        r = u.invite(cid, 1)
        good = digest_answer(pick(r, "SHA-256"), "alice", "s3cret", u.uri)
        ok = u.invite(cid, 2, good)
        check_eq(ok.code, 200, "first use")
        check_eq(u.end_call(ok, cid, 2), [200], "BYE")
        cid2 = "auth-replay2-%d" % u.port
        again = u.invite(cid2, 1, good)
        check_eq(again.code, 401, "replayed nc")
        check("stale=true" in " ".join(again.hdrs("www-authenticate")).
              replace(" ", "").lower(), "stale=true",
              again.hdrs("www-authenticate"))
    finally:
        u.close()
    check_eq(len(s.ps.events(0, type="q931", msg="SETUP", dir="rx")), 1,
             "SETUPs: only for the authenticated INVITE")
    s.idle()


@test
def digest_trusted_source_is_not_challenged():
    s = Setup(AUTH_SIP.replace("10.0.0.0/8", "127.0.0.0/8"))
    res = s.uac("uac_answer", HOLD_MS=100)
    check_ok(res)
    check(not res.find(direction="received", code=401), "no challenge",
          res.describe())
    s.idle()


def originate(s, **kw):
    r = s.ps.cmd("originate", span=1, called="30555", calling="301234",
                 **kw)
    return r["calls"][0]


@test
def digest_pstn_to_sip_answers_the_challenge():
    s = Setup(tg_extra="sip_auth_user = bob\nsip_auth_password = pw1\n")
    u = s.uas("uas_digest", AUTH_USER="bob", AUTH_PASS="pw1")
    call = originate(s, hangup_ms=500)
    s.ps.wait_event(8, 0, type="call_answered", call=call)
    s.ps.wait_event(5, 0, type="call_released", call=call)
    res = u.wait(15)
    check_ok(res, "sipp uas")
    invs = res.find(direction="received", method="INVITE")
    check_eq(len(invs), 2, "INVITEs")
    auth = invs[1].hdr("authorization", "")
    check(auth.startswith("Digest ") and 'username="bob"' in auth,
          "Authorization in the second INVITE", auth)
    check_eq(invs[0].hdr("call-id"), invs[1].hdr("call-id"), "Call-ID")
    check_eq(invs[0].hdr("from"), invs[1].hdr("from"), "From (tag)")
    check_eq(int(invs[1].hdr("cseq").split()[0]),
             int(invs[0].hdr("cseq").split()[0]) + 1, "CSeq + 1")
    check(res.first(direction="received", method="BYE"), "BYE at hangup",
          res.describe())
    s.idle()


@test
def digest_pstn_to_sip_wrong_password_fails_the_call():
    s = Setup(tg_extra="sip_auth_user = bob\nsip_auth_password = nope\n")
    u = s.uas("uas_digest", AUTH_USER="bob", AUTH_PASS="pw1")
    call = originate(s)
    rel = s.ps.wait_event(8, 0, type="call_released", call=call)
    check(rel["cause"] in (21, 31), "cause for SIP 403", rel)
    res = u.wait(15)
    check_eq(len(res.find(direction="received", method="INVITE")), 2,
             "one retry only")
    check(res.first(direction="sent", code=403), "403 sent", res.describe())
    s.idle()


@test
def no_credentials_reports_the_401():
    s = Setup()
    u = s.uas("uas_digest", AUTH_USER="bob", AUTH_PASS="pw1")
    call = originate(s)
    rel = s.ps.wait_event(8, 0, type="call_released", call=call)
    check(rel["cause"] != 16, "call failed", rel)
    u.stop()
    check_eq(len(u.result.find(direction="received", method="INVITE")), 1,
             "no retry without credentials")
    s.idle()

harness.main()
