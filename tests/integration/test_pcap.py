#!/usr/bin/env python3
"""D-channel captures (span key `pcap`, LINKTYPE_LINUX_LAPD) written by
gwd (user side) and pstnsim (network side) during link-up and a call to
gwd's test line, checked twice: by reading the pcap records here (global
header, pseudo-header, directions; what one side sent is byte for byte
what the other received) and by tshark's LAPD and Q.931 decoding (SABME
and UA both ways, then SETUP, CONNECT, CONNECT ACKNOWLEDGE, DISCONNECT,
RELEASE, RELEASE COMPLETE in the right direction, seen alike in both
files). A capture that cannot be written must not keep a span down."""
import shutil
import struct
import subprocess
import time

import harness
from harness import Gwd, Pstnsim, check, check_eq, scratch, test

LINKTYPE_LINUX_LAPD = 177
ARPHRD_LAPD = 8445
ETH_P_LAPD = 0x0030
PKT_IN, PKT_OUT = 0, 4

# Q.931 message types (Q.931 Table 4-2)
SETUP, CONNECT, CONNECT_ACK = 0x05, 0x07, 0x0F
DISCONNECT, RELEASE, RELEASE_COMPLETE = 0x45, 0x4D, 0x5A
# LAPD U-frame modifiers as tshark reports them (Q.921 Table 5)
U_SABME, U_UA = 0x1B, 0x18


def read_pcap(path):
    """Returns (global header fields, [(ts_us, pkttype, net, frame)])."""
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 24, "pcap too short", path, len(data))
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic == 0xA1B2C3D4 else ">"
    g = struct.unpack(e + "IHHiIII", data[:24])
    check_eq(g[0], 0xA1B2C3D4, "magic")
    recs = []
    off = 24
    while off < len(data):
        check(off + 16 <= len(data), "truncated record header", path)
        sec, usec, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        check_eq(len(pkt), incl, "record length")
        check_eq(orig, incl, "orig_len")
        off += incl
        check(incl >= 16 + 3, "record shorter than pseudo-header + LAPD",
              incl)
        ptype, hatype, halen = struct.unpack(">HHH", pkt[:6])
        addr = pkt[6:14]
        proto = struct.unpack(">H", pkt[14:16])[0]
        check_eq(hatype, ARPHRD_LAPD, "ARPHRD type")
        check_eq(halen, 1, "address length")
        check_eq(proto, ETH_P_LAPD, "protocol")
        check(ptype in (PKT_IN, PKT_OUT), "packet type", ptype)
        check_eq(addr[1:], bytes(7), "address padding")
        recs.append((sec * 1000000 + usec, ptype, addr[0], pkt[16:]))
    return g, recs


def tshark(path):
    """[(network_to_user, sapi, u_cmd, u_resp, q931_type, called)]."""
    p = subprocess.run(
        ["tshark", "-r", path, "-T", "fields", "-E", "separator=,",
         "-e", "lapd.direction", "-e", "lapd.sapi",
         "-e", "lapd.control.u_modifier_cmd",
         "-e", "lapd.control.u_modifier_resp",
         "-e", "q931.message_type",
         "-e", "q931.called_party_number.digits"],
        capture_output=True, text=True, timeout=60)
    check_eq(p.returncode, 0, "tshark exit status: " + p.stderr[-500:])
    out = []
    for line in p.stdout.splitlines():
        f = line.split(",")
        check(len(f) == 6, "tshark line", line)

        def num(s):
            return int(s, 0) if s else None
        out.append((f[0] == "1", num(f[1]), num(f[2]), num(f[3]),
                    num(f[4]), f[5]))
    return out


def conf_pair(net_pcap, cpe_pcap):
    ps = Pstnsim("[span 1]\ntype = e1\npcap = %s\n" % net_pcap)
    gw = Gwd("""[general]
test_loopback = 1010
[span 1]
driver = sim
device = %s
type = e1
pcap = %s
""" % (ps.sim_sock, cpe_pcap))
    gw.wait_spans(lambda sp: sp[1]["state"] == "up" and
                  sp[1]["channels"]["idle"] == 30, 8, "span 1 up and idle")
    return ps, gw


def capture_call():
    net, cpe = scratch("net.pcap"), scratch("cpe.pcap")
    ps, gw = conf_pair(net, cpe)
    call = ps.cmd("originate", span=1, called="1010", source="ramp",
                  sink="ramp", hangup_ms=500)["calls"][0]
    ev = ps.wait_event(6, 0, type="call_released", call=call)
    check_eq(ev["cause"], 16, "normal clearing")
    time.sleep(0.3)  # the last acknowledgements
    check_eq(gw.stop(), 0, "gwd exit status")
    time.sleep(0.3)  # pstnsim reads what gwd sent while stopping
    ps.stop()
    return net, cpe


@test
def captures_mirror_each_other_and_decode():
    check(shutil.which("tshark") is not None, "tshark not installed")
    net, cpe = capture_call()
    frames = {}
    for path, side in ((net, 1), (cpe, 0)):
        g, recs = read_pcap(path)
        check_eq(g[1:3], (2, 4), "version")
        check_eq(g[5], 65535, "snaplen")
        check_eq(g[6], LINKTYPE_LINUX_LAPD, "link type")
        check(len(recs) > 20, "frames captured", path, len(recs))
        check(all(r[2] == side for r in recs), "capturing side", path)
        ts = [r[0] for r in recs]
        check(ts == sorted(ts), "timestamps in order", path)
        check(abs(ts[0] / 1e6 - time.time()) < 120, "wall-clock time", ts[0])
        frames[side] = recs
    # what one side sent is what the other received, in order
    for a, b in ((1, 0), (0, 1)):
        sent = [r[3] for r in frames[a] if r[1] == PKT_OUT]
        got = [r[3] for r in frames[b] if r[1] == PKT_IN]
        check(len(sent) > 10, "frames sent by side", a)
        check_eq(got, sent, "frames %s -> %s" % (
            "net" if a else "cpe", "cpe" if a else "net"))

    dec = {side: tshark(path) for path, side in ((net, 1), (cpe, 0))}
    for side in (1, 0):
        d = dec[side]
        check_eq(len(d), len(frames[side]), "tshark frame count")
        # tshark's direction follows our pseudo-header: the network sends
        # what the network-side capture marks outgoing
        for (n2u, *_), rec in zip(d, frames[side]):
            check_eq(n2u, (rec[1] == PKT_OUT) == (side == 1),
                     "tshark direction vs packet type")
        check(all(x[1] == 0 for x in d), "SAPI 0 only", d[:5])
        # Q.921 §5.5.1: multiple-frame establishment, here from both ends
        for n2u in (True, False):
            check(any(x[0] == n2u and x[2] == U_SABME for x in d),
                  "SABME %s" % ("net->user" if n2u else "user->net"))
            check(any(x[0] == n2u and x[3] == U_UA for x in d),
                  "UA %s" % ("net->user" if n2u else "user->net"))
    # the call, as tshark sees it in either file (Q.931 §5.2, §5.3)
    want = [(True, SETUP), (False, CONNECT), (True, CONNECT_ACK),
            (True, DISCONNECT), (False, RELEASE), (True, RELEASE_COMPLETE)]
    calls = {}
    for side in (1, 0):
        calls[side] = [(x[0], x[4]) for x in dec[side]
                       if x[4] in (SETUP, CONNECT, CONNECT_ACK, DISCONNECT,
                                   RELEASE, RELEASE_COMPLETE)]
        check_eq(calls[side], want, "call messages in %s" %
                 ("net.pcap" if side else "cpe.pcap"))
        setup = [x for x in dec[side] if x[4] == SETUP][0]
        check_eq(setup[5], "1010", "called number in SETUP")
    # each direction decodes alike in both files (the interleaving of
    # frames crossing on the line may differ)
    for n2u in (True, False):
        check_eq([x for x in dec[1] if x[0] == n2u],
                 [x for x in dec[0] if x[0] == n2u],
                 "decoded %s frames in both files" %
                 ("net->user" if n2u else "user->net"))


@test
def unwritable_capture_does_not_stop_the_span():
    net = scratch("no-such-dir/net.pcap")
    cpe = scratch("no-such-dir/cpe.pcap")
    ps, gw = conf_pair(net, cpe)  # waits for the span to come up
    call = ps.cmd("originate", span=1, called="1010",
                  hangup_ms=200)["calls"][0]
    ev = ps.wait_event(6, 0, type="call_released", call=call)
    check_eq(ev["cause"], 16, "normal clearing")
    check("D-channel capture" in gw.proc.output(), "gwd warns",
          gw.proc.output()[-1000:])
    check("D-channel capture" in ps.proc.output(), "pstnsim warns",
          ps.proc.output()[-1000:])
    check_eq(gw.stop(), 0, "gwd exit status")


harness.main()
