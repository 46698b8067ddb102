#!/usr/bin/env python3
"""Call throughput and added delay of gwd, with Kamailio as the reference.

sipp (uac_answer, HOLD_MS 0) -> gwd -> pstnsim (many E1 spans, every
number answered at once) -> BYE, at fixed rates: completed calls per
second and gwd's CPU seconds per call (utime+stime of the whole process,
threads included, from /proc/PID/stat). The same sipp load relayed
statefully by Kamailio (tm, one worker) to a sipp UAS that answers at once
is the reference; the ratio gwd CPU/call : Kamailio CPU/call is printed.

Added delay is measured in a second gwd that writes a D-channel pcap per
span, while dumpcap captures gwd's SIP port on lo: INVITE in -> SETUP out
and CONNECT in -> 200 out, matched per call by a unique called number and
the Q.931 call reference. Both clocks are CLOCK_REALTIME with microsecond
timestamps (the kernel stamps the SIP packets, gwd stamps the Q.931
frames as it writes or reads them), so the resolution is 1 us. The time
gwd's threads spent runnable but waiting for a CPU is printed beside the
delays: on a small shared host it, not gwd, makes the tail.
"""
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("GW_TEST_ROOT") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from harness import (Gwd, Pstnsim, Proc, check, free_port,  # noqa: E402
                     wait_for)
from peers import cpu_seconds, kamailio_reference, run_load  # noqa: E402

# pstnsim takes at most 64 spans (PSIM_MAX_SPANS)
SPANS = int(os.environ.get("BENCH_SPANS", "64"))
# (rate calls/s, calls, concurrent limit) for the throughput runs
RUNS = [(200, 2000, 400), (500, 4000, 1000), (1000, 5000, 1500)]
# (rate calls/s, calls) for the added-delay runs
LAT_RUNS = [(100, 1000), (500, 2500)]
# Kamailio's shared memory: tm holds each transaction for its wait timer
REF_SHM_MB = 256

Q931_SETUP, Q931_CONNECT = 0x05, 0x07
PKT_OUT = 4


def pstnsim_conf(spans):
    s = "".join("[span %d]\ntype = e1\n" % n for n in range(1, spans + 1))
    return s + """
[number default]
behaviour = answer
alert_ms = 0
answer_ms = 0
"""


def gwd_conf(sim, sip_port, spans, pcap_dir=None):
    s = """[general]
log_level = warn
[sip]
listen = udp:127.0.0.1:%d
session_expires_s = 0
""" % sip_port
    for n in range(1, spans + 1):
        s += "[span %d]\ndriver = sim\ndevice = %s\ntype = e1\nunit = %d\n" \
             "link_settle_ms = 200\n" % (n, sim, n)
        if pcap_dir:
            s += "pcap = %s/span%d.pcap\n" % (pcap_dir, n)
    s += """[trunkgroup carrier]
spans = 1-%d
hunt = roundrobin
prefixes = 49
sip_dest = sip:127.0.0.1:%d
country_code = 49
""" % (spans, free_port())
    return s


def start_gateway(name, spans, pcap_dir=None):
    ps = Pstnsim(pstnsim_conf(spans), name="pstnsim-" + name)
    port = free_port()
    gw = Gwd(gwd_conf(ps.sim_sock, port, spans, pcap_dir), name="gwd-" + name)
    gw.wait_spans(lambda sp: len(sp) == spans and all(
        s["state"] == "up" and s["channels"]["idle"] == 30
        for s in sp.values()), 30, "%d spans up and idle" % spans)
    return ps, gw, port


def runqueue_wait_s(pid):
    """Seconds the threads of pid spent runnable but waiting for a CPU
    (second field of /proc/PID/task/TID/schedstat, ns)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def idle_cpu_per_s(pid, seconds=1.0):
    c0 = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / seconds


def throughput(spans):
    """The gwd runs: a list of (rate, LoadResult, pstnsim cpu_s)."""
    ps, gw, port = start_gateway("tp", spans)
    pid = gw.proc.p.pid
    idle = idle_cpu_per_s(pid)
    out = []
    for rate, calls, limit in RUNS:
        ps0 = cpu_seconds(ps.proc.p.pid)
        res = run_load("127.0.0.1:%d" % port, calls=calls, rate=rate,
                       limit=limit, cpu_of=lambda: cpu_seconds(pid),
                       CALLED="+4930100", CALLING="+4930999888")
        out.append((rate, res, cpu_seconds(ps.proc.p.pid) - ps0))
        wait_for(lambda: not gw.ctl("calls")["calls"], 10,
                 "calls cleared after the run")
    gw.stop()
    ps.stop()
    return idle, out


def reference():
    out = []
    for rate, calls, limit in RUNS:
        out.append((rate, kamailio_reference(calls=calls, rate=rate,
                                             limit=limit,
                                             shm_mb=REF_SHM_MB)))
    return out


# ------------------------------------------------------------ added delay

def read_lapd_pcap(path):
    """[(ts_s, outgoing, frame)] from a LINKTYPE_LINUX_LAPD pcap."""
    with open(path, "rb") as f:
        data = f.read()
    e = "<" if struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4 else ">"
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ptype = struct.unpack(">H", pkt[:2])[0]
        recs.append((sec + usec / 1e6, ptype == PKT_OUT, pkt[16:]))
    return recs


def q931_of(frame):
    """(call reference without flag, message type, called digits or None)
    of a LAPD I-frame carrying Q.931 (Q.921 §3.2, Q.931 §4), else None."""
    if len(frame) < 4 or frame[2] & 1:
        return None     # U or S frame: no Q.931 inside
    q = frame[4:]
    if len(q) < 3 or q[0] != 0x08:
        return None
    crl = q[1] & 0x0F
    cref = 0
    for b in q[2:2 + crl]:
        cref = (cref << 8) | b
    cref &= ~(0x80 << (8 * (crl - 1))) if crl else 0
    i = 2 + crl
    if i >= len(q):
        return None
    mt = q[i]
    i += 1
    called = None
    while i < len(q):
        ie = q[i]
        if ie & 0x80:           # single-octet IE (Q.931 §4.5.1)
            i += 1
            continue
        if i + 1 >= len(q):
            break
        ln = q[i + 1]
        body = q[i + 2:i + 2 + ln]
        if ie == 0x70 and body:  # called party number (Q.931 §4.5.8)
            j = 1
            while j <= len(body) and not body[j - 1] & 0x80:
                j += 1
            called = body[j:].decode("ascii", "replace")
        i += 2 + ln
    return cref, mt, called


def q931_times(pcap_dir):
    """{called: (t SETUP out, t CONNECT in)} over every span's pcap."""
    out = {}
    for f in os.listdir(pcap_dir):
        if not f.endswith(".pcap"):
            continue
        pending = {}
        for ts, outgoing, frame in read_lapd_pcap(os.path.join(pcap_dir, f)):
            q = q931_of(frame)
            if not q:
                continue
            cref, mt, called = q
            if mt == Q931_SETUP and outgoing and called:
                pending[cref] = called
                out[called] = [ts, None]
            elif mt == Q931_CONNECT and not outgoing and cref in pending:
                out[pending.pop(cref)][1] = ts
    return out


def sip_times(pcap, port):
    """{called user: (t INVITE in, t 200 out)} from the lo capture."""
    p = subprocess.run(
        ["tshark", "-r", pcap, "-n", "-d", "udp.port==%d,sip" % port,
         "-Y", "sip", "-T", "fields", "-E", "separator=|",
         "-e", "frame.time_epoch", "-e", "udp.dstport", "-e", "sip.Method",
         "-e", "sip.Status-Code", "-e", "sip.CSeq.method",
         "-e", "sip.Call-ID", "-e", "sip.r-uri.user"],
        capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "tshark", p.stderr[-500:])
    by_callid, out = {}, {}
    for line in p.stdout.splitlines():
        f = line.split("|")
        if len(f) < 7:
            continue
        ts, dport, method, code, cseq_m, cid, user = f[:7]
        if method == "INVITE" and int(dport) == port and cid not in by_callid:
            by_callid[cid] = user
            out[user] = [float(ts), None]
        elif code == "200" and cseq_m == "INVITE" and int(dport) != port \
                and cid in by_callid and out[by_callid[cid]][1] is None:
            out[by_callid[cid]][1] = float(ts)
    return out


def pct(values, p):
    """The p-th percentile by nearest rank (NaN for no values)."""
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v), max(1, math.ceil(p / 100.0 * len(v)))) - 1]


def added_delay(spans, rate, calls):
    """(matched calls, LoadResult, [INVITE->SETUP ms], [CONNECT->200 ms],
    seconds gwd waited for a CPU) of one run at rate calls/s."""
    pcap_dir = harness.scratch("pcaps-%d" % rate)
    os.makedirs(pcap_dir)
    ps, gw, port = start_gateway("lat%d" % rate, spans, pcap_dir)
    sip_pcap = harness.scratch("sip-%d.pcapng" % rate)
    cap = Proc("dumpcap-%d" % rate,
               ["dumpcap", "-q", "-i", "lo", "-f", "udp port %d" % port,
                "-w", sip_pcap, "-B", "64"], harness.Scratch.dir)
    wait_for(lambda: os.path.exists(sip_pcap) and
             os.path.getsize(sip_pcap) > 0 or not cap.alive(), 10,
             "dumpcap running")
    check(cap.alive(), "dumpcap failed", cap.output()[-500:])
    time.sleep(0.5)
    wait0 = runqueue_wait_s(gw.proc.p.pid)
    # a unique called number per call: sipp fills [call_number]
    res = run_load("127.0.0.1:%d" % port, calls=calls, rate=rate,
                   limit=1000, CALLED="+4930[call_number]",
                   CALLING="+4930999888")
    waited = runqueue_wait_s(gw.proc.p.pid) - wait0
    time.sleep(0.5)
    cap.signal(signal.SIGINT)
    try:
        cap.wait(5)
    except subprocess.TimeoutExpired:
        pass
    cap.stop()
    gw.stop()
    ps.stop()
    sip = sip_times(sip_pcap, port)
    q = q931_times(pcap_dir)
    d_setup, d_200 = [], []
    for user, (t_inv, t_200) in sip.items():
        national = user[3:] if user.startswith("+49") else user
        if national not in q or t_200 is None or q[national][1] is None:
            continue
        t_setup, t_conn = q[national]
        d_setup.append(1000.0 * (t_setup - t_inv))
        d_200.append(1000.0 * (t_200 - t_conn))
    return len(d_setup), res, d_setup, d_200, waited


def main():
    harness.Scratch.dir = tempfile.mkdtemp(prefix="gwbench-calls-")
    t0 = time.monotonic()
    try:
        idle, gwd_runs = throughput(SPANS)
        ref_runs = reference()
        lat = [(rate,) + added_delay(SPANS, rate, calls)
               for rate, calls in LAT_RUNS]
    finally:
        harness._cleanup()
    print("gwd: %d E1 spans on pstnsim (%d B-channels), every call "
          "answered at once, HOLD_MS 0; %d CPUs shared by sipp, the SUT "
          "and pstnsim" % (SPANS, 30 * SPANS, os.cpu_count()))
    print("gwd idle CPU before the runs: %.3f s/s" % idle)
    print("%-9s %5s %6s %6s %6s %8s %11s %12s" %
          ("SUT", "rate", "calls", "ok", "failed", "done/s", "CPU ms/call",
           "gwd:kam CPU"))
    for (rate, g, ps_cpu), (_, k) in zip(gwd_runs, ref_runs):
        # a ratio means nothing when either side lost calls (the CPU of
        # failed calls is spread over the good ones)
        if k.cpu_ms_per_call and max(g.failed, k.failed) <= g.calls // 100:
            ratio = "%.2f" % (g.cpu_ms_per_call / k.cpu_ms_per_call)
        else:
            ratio = "n/a: failed"
        for name, r, extra in (("gwd", g, ratio),
                               ("kamailio", k, "")):
            print("%-9s %5d %6d %6d %6d %8.1f %11.3f %12s" %
                  (name, rate, r.calls, r.ok, r.failed, r.calls_per_s,
                   r.cpu_ms_per_call, extra))
        print("%-9s %5d %35s %11.3f" % ("(pstnsim)", rate, "",
                                         1000.0 * ps_cpu / g.ok
                                         if g.ok else 0.0))
    print("added delay in gwd (gwd writing a pcap per span; kernel SIP "
          "timestamps on lo; 1 us resolution), ms:")
    for rate, matched, res, d_setup, d_200, waited in lat:
        print("  %4d calls/s, %d/%d ok, %d matched; gwd waited %.0f ms "
              "for a CPU during the run:" %
              (rate, res.ok, res.calls, matched, 1000.0 * waited))
        for name, v in (("INVITE in -> SETUP out", d_setup),
                        ("CONNECT in -> 200 out", d_200)):
            print("    %-24s p50 %7.3f  p99 %7.3f  max %7.3f" %
                  (name, pct(v, 50), pct(v, 99),
                   max(v) if v else float("nan")))
    print("bench_calls took %.0f s" % (time.monotonic() - t0))
    if os.environ.get("GW_KEEP_TMP") == "1":
        print("scratch dir kept: %s" % harness.Scratch.dir)
    else:
        shutil.rmtree(harness.Scratch.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
