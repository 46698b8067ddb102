#!/usr/bin/env python3
"""Media capacity of gwd: every B-channel of 48 (and 24) sim E1 spans
bridged to RTP.

pstnsim (the clock master) originates 30 calls on each of 48 E1 spans
(1,440 channels; then 720 on 24 spans, 20 ms blocks, a 1004 Hz tone at -10 dBm0 toward gwd,
what comes back discarded); gwd routes them to a sipp UAS that answers
every one with an SDP pointing at a single RTP port, where rtp_reflect
(tests/bench/rtp_reflect.c) sends each packet back to where it came
from and counts sequence gaps per SSRC. With every channel up, over a
steady window: gwd's CPU (utime+stime of the process, /proc/PID/stat) as
a share of the machine and per channel-second, TDM under/overruns (gwd's
writes refused and errors; blocks pstnsim could not hand to gwd because
its queue was full, and clock periods pstnsim itself skipped), RTP loss
seen by the reflector (gwd -> RTP) and by gwd (RTP -> gwd), and the
latency the media workers add (`gwctl media`: block ready -> sendto of
the packet, and block ready -> write of the block played, where ready is
when the kernel queued the block on the sim B-channel (its receive time
stamp); neither includes the packetisation wait or the jitter buffer).
pstnsim's clock ticks themselves run late when the cores are busy, which
the stamps keep out of gwd's figures (a span card's clock is the
hardware's); `clock` in pstnsim reports how late, beside them.

Where the waiting comes from: each thread's time runnable but not
running (/proc/PID/task/TID/schedstat), for gwd's media workers, pstnsim
and the reflector, as a share of the window and per run. One more run at
the second span count (BENCH_MEDIA_ALONE_SPANS, "" for none) puts gwd on
cores of its own (all but the last, one media worker each) and the peers
on the last, as when they run on other machines. Time the machine itself
takes away, which no scheduling in it sees (interrupts, kernel threads;
on a virtual machine the host running something else): before the runs
and after them, with nothing else running, tests/bench/stall_probe.c
spins on each CPU for 2 s and counts the gaps between its clock reads.

The reference, measured in the same run on the same machine:
tests/bench/media_ref.c times spandsp's own per-block primitives (A-law
round trip, plc_rx, plc_fillin, dtmf_rx); gwd's CPU per channel-block is
printed as a ratio to their sum.

The echo canceller settings (trunk group `ec`, `ec_tail_ms`) are measured
too where this gwd has those keys (checked with `gwd -n`); otherwise
those runs print "skipped: no ec keys". BENCH_MEDIA_EC="off,32,128"
chooses the runs; BENCH_MEDIA_SPANS="48,24" the span counts measured
without EC, BENCH_MEDIA_EC_SPANS=34 the one with EC (1,020 channels,
beside a run without EC there), BENCH_MEDIA_WINDOW_S the window and
BENCH_MEDIA_WORKERS gwd's media_workers.

gwd batches the workers' socket I/O through io_uring where the kernel
allows it (`media_io = auto`); one more run at the second span count
(BENCH_MEDIA_SYSCALLS_SPANS, "" for none) sets `media_io = syscalls`, one
system call per operation, as the reference for what batching saves. The
"socket I/O" rows give the operations per io_uring submission.

The peers (pstnsim, sipp, the reflector) stand for equipment that in
service runs on other machines; here they share gwd's two cores and run
at nice BENCH_MEDIA_PEER_NICE (default 10; 0 to compete as equals), so
that the CPU they take shows up as little as possible as latency or late
packets at gwd. Their CPU is printed beside gwd's either way.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("GW_TEST_ROOT") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from harness import (Gwd, Proc, Pstnsim, TestFailure, binary,  # noqa: E402
                     check, free_port, wait_for)
from peers import Sipp, cpu_seconds  # noqa: E402

# span counts measured without EC: the full 1,440 channels and half of
# them, for the load gwd sustains here
SPAN_RUNS = [int(n) for n in
             os.environ.get("BENCH_MEDIA_SPANS", "48,24").split(",")]
# the EC runs: at least 1,000 channels (the target's), few enough that
# gwd serves every block on two cores shared with the peers, beside a
# run without EC at the same count
EC_SPANS = int(os.environ.get("BENCH_MEDIA_EC_SPANS", "34"))
SPANS = SPAN_RUNS[0]
CHANS = 30 * SPANS
EC_RUNS = os.environ.get("BENCH_MEDIA_EC", "off,32,128").split(",")
RATE_PER_SPAN = 5.0      # calls/s originated on each span (240/s for 48)
SETTLE_S = 3.0           # after the last call is up, before measuring
WINDOW_S = float(os.environ.get("BENCH_MEDIA_WINDOW_S", "20"))
WORKERS = os.environ.get("BENCH_MEDIA_WORKERS")  # gwd's media_workers
PEER_NICE = int(os.environ.get("BENCH_MEDIA_PEER_NICE", "10"))
# pstnsim, the span hardware's clock, at the peers' nice unless told
CLOCK_NICE = int(os.environ.get("BENCH_MEDIA_CLOCK_NICE", str(PEER_NICE)))
# the spans' clock phases (pstnsim `clock_phase`): spread over the block
# period, or aligned (every block of every span due at once)
CLOCK_PHASE = os.environ.get("BENCH_MEDIA_CLOCK_PHASE", "spread")
# one more run at this span count with every span's clock aligned: each
# block of every channel due at the same moment, the worst case ("" none)
ALIGNED_SPANS = os.environ.get("BENCH_MEDIA_ALIGNED_SPANS",
                               str(SPAN_RUNS[-1]))
# one more run at this span count with gwd on cores of its own and the
# peers on the last, as when they run on other machines ("" none)
ALONE_SPANS = os.environ.get("BENCH_MEDIA_ALONE_SPANS", str(SPAN_RUNS[-1]))
SYSCALLS_SPANS = os.environ.get(
    "BENCH_MEDIA_SYSCALLS_SPANS",
    str(SPAN_RUNS[1] if len(SPAN_RUNS) > 1 else SPANS))
RTP_PORT_MIN, RTP_PORT_MAX = 30000, 34999
BLOCKS_PER_S = 50        # 20 ms blocks
BLOCK_SAMPLES = 160

# targets (the media specification)
TARGET_CPU_PCT = 50.0    # of the machine's cores, 1,440 channels, no EC
TARGET_LAT_P99_US = 2000.0
TARGET_EC_NS = 100.0     # per sample, 32 ms tail, >= 1,000 channels


def pstnsim_conf(spans, phase="spread"):
    return "".join("[span %d]\ntype = e1\nclock_phase = %s\n" % (n, phase)
                   for n in range(1, spans + 1))


def gwd_conf(sim, sip_port, uas_port, spans, ec, io="auto", workers=None):
    workers = workers or WORKERS
    s = """[general]
log_level = warn
media_io = %s
%s[sip]
listen = udp:127.0.0.1:%d
session_expires_s = 0
rtp_port_min = %d
rtp_port_max = %d
""" % (io, "media_workers = %s\n" % workers if workers else "", sip_port,
       RTP_PORT_MIN, RTP_PORT_MAX)
    for n in range(1, spans + 1):
        s += "[span %d]\ndriver = sim\ndevice = %s\ntype = e1\nunit = %d\n" \
             "link_settle_ms = 200\n" % (n, sim, n)
    s += """[trunkgroup carrier]
spans = 1-%d
prefixes = 49
sip_dest = sip:127.0.0.1:%d
country_code = 49
""" % (spans, uas_port)
    if ec != "off":
        s += "ec = yes\nec_tail_ms = %s\n" % ec
    else:
        s += "ec = no\n"  # the canceller is on by default
    return s


def ec_keys_accepted(ec):
    """True if this gwd takes the trunk group's ec keys (gwd -n on a
    configuration that has them); False with 'unknown key'."""
    path = harness.write_file("ec-check.conf", gwd_conf(
        "/nonexistent", 5060, 5062, 1, ec))
    p = subprocess.run([binary("gwd"), "-n", "-c", path],
                       capture_output=True, text=True, timeout=10)
    if p.returncode == 0:
        return True
    if re.search(r"unknown key 'ec(_tail_ms)?'", p.stderr + p.stdout):
        return False
    raise TestFailure("gwd -n: %s" % (p.stderr + p.stdout)[-500:])


def spandsp_reference():
    p = subprocess.run([binary("bench/media_ref")], capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0, "media_ref", p.stderr[-500:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def stall_probe(secs=2.0):
    """tests/bench/stall_probe: the gaps a spinning thread sees on each
    CPU with the machine otherwise idle."""
    p = subprocess.run([binary("bench/stall_probe"), str(secs)],
                       capture_output=True, text=True, timeout=30 + 4 * secs *
                       (os.cpu_count() or 1))
    check(p.returncode == 0, "stall_probe", p.stderr[-500:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def stall_line(when, probe):
    return "machine idle, %s: a spinning thread stopped for >1 ms %s " \
        "(%.0f s per CPU; longest %s ms; time in gaps >100 us %s ms)" % (
            when, "/".join(str(c["gaps_1ms"]) for c in probe["cpus"]),
            probe["seconds"], "/".join("%.1f" % c["max_ms"]
                                       for c in probe["cpus"]),
            "/".join("%.1f" % c["stalled_ms"] for c in probe["cpus"]))


class Reflector:
    """tests/bench/rtp_reflect on a free UDP port, stats in a file."""

    def __init__(self):
        self.stats_path = harness.scratch("reflect.json")
        self.proc = Proc("rtp_reflect", [binary("bench/rtp_reflect"),
                                         "-s", self.stats_path],
                         harness.Scratch.dir)
        m = wait_for(lambda: re.search(r"port (\d+)", self.proc.output())
                     or (None if self.proc.alive() else "exited"), 5,
                     "rtp_reflect bound")
        check(m != "exited", "rtp_reflect exited", self.proc.output())
        self.port = int(m.group(1))

    def stats(self):
        """The counters as of now (the file is rewritten each second)."""
        t = os.path.getmtime(self.stats_path) \
            if os.path.exists(self.stats_path) else 0
        wait_for(lambda: os.path.exists(self.stats_path) and
                 os.path.getmtime(self.stats_path) > t, 3,
                 "fresh reflector stats")
        with open(self.stats_path) as f:
            return json.load(f)

    def stop(self):
        return self.proc.stop()


PSIM_KEYS = ("bchan_tx_blocks", "bchan_tx_dropped", "bchan_rx_blocks",
             "clock_skipped")


def psim_counters(ps):
    """pstnsim's B-channel counters summed over its spans."""
    out = dict.fromkeys(PSIM_KEYS, 0)
    for sp in ps.cmd("spans")["spans"]:
        for k in PSIM_KEYS:
            out[k] += sp.get(k, 0)
    return out


def user_sys_s(pid):
    """(utime, stime) seconds of pid, threads included (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = float(os.sysconf("SC_CLK_TCK"))
    return int(fields[11]) / tick, int(fields[12]) / tick


def run_delay(pid):
    """{thread name: [ns waiting on a run queue, ns run, times run]} of
    pid's threads (/proc/PID/task/TID/schedstat), threads of one name
    summed."""
    out = {}
    base = "/proc/%d/task" % pid
    for tid in os.listdir(base):
        try:
            with open("%s/%s/comm" % (base, tid)) as f:
                name = f.read().strip()
            with open("%s/%s/schedstat" % (base, tid)) as f:
                run, wait, n = (int(x) for x in f.read().split())
        except OSError:
            continue
        acc = out.setdefault(name, [0, 0, 0])
        acc[0] += wait
        acc[1] += run
        acc[2] += n
    return out


def delay_diff(a, b):
    return {k: [y - x for x, y in zip(a.get(k, [0, 0, 0]), v)]
            for k, v in b.items()}


def pid_cpu(proc):
    return cpu_seconds(proc.p.pid)


def run_one(ec, spans, io="auto", phase=None, alone=False):
    """One run with every channel of `spans` E1 spans bridged, gwd's
    media_io set to io; alone: gwd on cores of its own (all but the last,
    one media worker each), the peers on the last; returns a dict of
    figures."""
    t0 = time.monotonic()
    chans = 30 * spans
    phase = phase or CLOCK_PHASE
    name = "%s-%d-%s-%s%s" % (ec, spans, io, phase, "-alone" if alone else "")
    ncpu = os.cpu_count()
    gw_cpus = set(range(ncpu - 1)) if alone else None
    refl = Reflector()
    uas_port = free_port()
    uas = Sipp("uas_answer", port=uas_port, calls=None, trace=False,
               timeout_s=600, scratch=harness.Scratch.dir,
               MEDIA_PORT=refl.port, name="sipp-uas-" + name).start()
    ps = Pstnsim(pstnsim_conf(spans, phase), name="pstnsim-" + name)
    gw = Gwd(gwd_conf(ps.sim_sock, free_port(), uas_port, spans, ec, io,
                      len(gw_cpus) if alone else None), name="gwd-" + name)
    for p in (uas, refl):
        os.setpriority(os.PRIO_PROCESS, p.proc.p.pid, PEER_NICE)
    os.setpriority(os.PRIO_PROCESS, ps.proc.p.pid, CLOCK_NICE)
    if alone:  # every thread, the media workers started already
        for p, cpus in ((uas, {ncpu - 1}), (refl, {ncpu - 1}),
                        (ps, {ncpu - 1}), (gw, gw_cpus)):
            for tid in os.listdir("/proc/%d/task" % p.proc.p.pid):
                os.sched_setaffinity(int(tid), cpus)
    gw.wait_spans(lambda sp: len(sp) == spans and all(
        s["state"] == "up" and s["channels"]["idle"] == 30
        for s in sp.values()), 30, "%d spans up and idle" % spans)
    t_up = time.monotonic()
    for span in range(1, spans + 1):
        ps.cmd("originate", span=span, called="30100", calling="30999888",
               count=30, rate=RATE_PER_SPAN, source="tone:1004:-10",
               sink="none", hangup_ms=600000)
    wait_for(lambda: gw.ctl("media")["channels"] >= chans and
             gw.ctl("status")["calls"] >= chans, 30 / RATE_PER_SPAN + 30,
             "%d bridged channels" % chans, interval=0.5)
    wait_for(lambda: refl.stats()["ssrcs"] >= chans, 15,
             "RTP from every channel at the reflector", interval=0.5)
    t_all = time.monotonic()
    time.sleep(SETTLE_S)
    r0 = refl.stats()
    p0 = psim_counters(ps)
    m0 = gw.ctl("media", clear=True)
    ps.cmd("clock", clear=True)
    c0 = [pid_cpu(p.proc) for p in (gw, ps, refl, uas)]
    us0 = user_sys_s(gw.proc.p.pid)
    rd0 = [run_delay(p.proc.p.pid) for p in (gw, ps, refl)]
    w0 = time.monotonic()
    time.sleep(WINDOW_S)
    m1 = gw.ctl("media")
    clock_late = ps.cmd("clock")["late"]
    c1 = [pid_cpu(p.proc) for p in (gw, ps, refl, uas)]
    us1 = user_sys_s(gw.proc.p.pid)
    rd1 = [run_delay(p.proc.p.pid) for p in (gw, ps, refl)]
    window = time.monotonic() - w0
    p1 = psim_counters(ps)
    r1 = refl.stats()
    calls_now = gw.ctl("status")["calls"]
    for p in (gw, ps, uas, refl):
        p.stop()
    d = {k: m1["counters"][k] - m0["counters"][k] for k in m1["counters"]}
    cpu = [b - a for a, b in zip(c0, c1)]
    ncpu = os.cpu_count()
    blocks = d["tdm_rx_blocks"]
    chan_s = chans * window
    return {
        "ec": ec, "spans": spans, "chans": chans, "label": "%s/%d%s" % (
            "EC " + ec if ec != "off" else "no EC", chans,
            " sysc" if io == "syscalls" else "") +
        (" algn" if phase == "aligned" and CLOCK_PHASE != "aligned" else "") +
        (" alone" if alone else ""), "alone": alone,
        "io": io, "phase": phase, "io_mode": m1["io"]["mode"],
        "io_ops": m1["io"]["ops"] - m0["io"]["ops"],
        "io_enters": m1["io"]["enters"] - m0["io"]["enters"],
        "io_batches": m1["io"]["batches"] - m0["io"]["batches"],
        "window_s": window, "setup_s": t_all - t_up,
        "run_s": time.monotonic() - t0, "calls_end": calls_now,
        "workers": m1["workers"], "channels": m1["channels"],
        "gwd_cpu_s": cpu[0],
        "gwd_sys_share": (us1[1] - us0[1]) / max(1e-9, (us1[0] - us0[0]) +
                                                 (us1[1] - us0[1])), "pstnsim_cpu_s": cpu[1],
        "reflect_cpu_s": cpu[2], "sipp_cpu_s": cpu[3],
        "gwd_cpu_pct": 100.0 * cpu[0] / (window * ncpu),
        "gwd_us_per_chan_s": 1e6 * cpu[0] / chan_s,
        "gwd_ns_per_block": 1e9 * cpu[0] / blocks if blocks else 0,
        "blocks": blocks, "blocks_expected": chan_s * BLOCKS_PER_S,
        "tx_blocks": d["tdm_tx_blocks"],
        "tdm_tx_full": d["tdm_tx_full"], "tdm_rx_slips": d["tdm_rx_slips"],
        "tdm_tx_skipped": d["tdm_tx_skipped"],
        "tdm_errors":
        d["tdm_tx_errors"] + d["tdm_rx_errors"],
        "tdm_tx_full_total": m1["counters"]["tdm_tx_full"],
        "tdm_errors_total": m1["counters"]["tdm_tx_errors"] +
        m1["counters"]["tdm_rx_errors"],
        "rtp_tx": d["rtp_tx_packets"], "rtp_rx": d["rtp_rx_packets"],
        "gwd_rtp_lost": d["rtp_rx_lost"], "gwd_rtp_late": d["rtp_rx_late"],
        "gwd_plc": d["plc_frames"],
        "jitter_us_max": m1["counters"]["rtp_jitter_us_max"],
        "gwd_rtp_lost_total": m1["counters"]["rtp_rx_lost"],
        "refl_rx": r1["packets"] - r0["packets"],
        "refl_lost": r1["lost"] - r0["lost"], "refl_lost_total": r1["lost"],
        "refl_send_errors": r1["send_errors"],
        "lat": m1["latency"], "clock_late": clock_late,
        "run_delay": [delay_diff(a, b) for a, b in zip(rd0, rd1)],
        "psim": {k: p1[k] - p0[k] for k in PSIM_KEYS},
    }


def us(ns):
    return ns / 1000.0


def report(ref, runs, skipped, stalls):
    ncpu = os.cpu_count()
    ref_block = ref["g711_round_trip_ns"] + ref["plc_rx_ns"] + \
        ref["dtmf_rx_ns"]
    print("reference, spandsp per %d-sample block on this machine: A-law "
          "round trip %.0f ns, plc_rx %.0f ns, plc_rx/plc_fillin mixed "
          "%.0f ns, dtmf_rx %.0f ns; sum (round trip + plc_rx + dtmf_rx) "
          "%.0f ns" % (ref["block_samples"], ref["g711_round_trip_ns"],
                       ref["plc_rx_ns"], ref["plc_rx_fillin_half_ns"],
                       ref["dtmf_rx_ns"], ref_block))
    for when, probe in stalls:
        print(stall_line(when, probe))
    print("30 channels per sim E1 span, 20 ms blocks, %d CPUs shared by "
          "gwd, pstnsim, sipp and the reflector (those at nice %d); gwd "
          "media_workers %s" % (ncpu, PEER_NICE, WORKERS or "default"))
    for r in runs:
        print("%s: %d channels on %d spans up in %.1f s, window %.1f s, "
              "%d media workers, run %.0f s" %
              (r["label"], r["channels"], r["spans"], r["setup_s"],
               r["window_s"], r["workers"], r["run_s"]))
    hdr = "%-44s" % "figure" + "".join("%14s" % r["label"]
                                       for r in runs) + "  target"
    print(hdr)

    def row(name, fmt, key, target=""):
        vals = "".join(fmt % (key(r) if callable(key) else r[key])
                       for r in runs)
        print("%-44s%s  %s" % (name, vals, target))

    row("gwd CPU, % of the machine", "%14.1f", "gwd_cpu_pct",
        "< %.0f %% (EC off)" % TARGET_CPU_PCT)
    row("  of it in the kernel (system time), %", "%14.0f",
        lambda r: 100.0 * r["gwd_sys_share"])
    row("gwd CPU us per channel-second", "%14.1f", "gwd_us_per_chan_s")
    row("gwd CPU ns per channel-block", "%14.0f", "gwd_ns_per_block")
    row("  channels one core carries at that cost", "%14.0f",
        lambda r: 1e9 / (r["gwd_ns_per_block"] * BLOCKS_PER_S)
        if r["gwd_ns_per_block"] else 0)
    row("  ratio to spandsp block primitives", "%14.2f",
        lambda r: r["gwd_ns_per_block"] / ref_block)
    def ec_cost(r):
        base = [o for o in runs if o["ec"] == "off" and not o["alone"] and
                o["spans"] == r["spans"] and o["io"] == "auto" and
                o["phase"] == r["phase"]]
        if r["ec"] == "off" or not base:
            return "-"
        return "%.1f" % ((r["gwd_ns_per_block"] -
                          base[0]["gwd_ns_per_block"]) / BLOCK_SAMPLES)

    if any(r["ec"] != "off" for r in runs):
        row("EC cost, ns per sample (over no EC)", "%14s", ec_cost,
            "<= 100 at 32 ms")
    row("socket I/O", "%14s", lambda r: r["io_mode"])
    row("  operations per io_uring submission", "%14s",
        lambda r: "%.1f" % (r["io_ops"] / r["io_enters"])
        if r["io_enters"] else "-")
    row("  receives+sends per channel-block", "%14s",
        lambda r: "%.2f" % (r["io_ops"] / r["blocks"])
        if r["io_enters"] and r["blocks"] else "-")
    base_io = [r for r in runs if r["io"] == "syscalls"]
    if base_io:
        b = base_io[0]
        row("CPU per channel-block : syscalls run", "%14s",
            lambda r: "%.2f" % (r["gwd_ns_per_block"] / b["gwd_ns_per_block"])
            if r["spans"] == b["spans"] and r["ec"] == b["ec"] and
            b["gwd_ns_per_block"] else "-")
    row("pstnsim / sipp / reflector CPU %", "%14s",
        lambda r: "%.0f/%.0f/%.0f" % tuple(
            100.0 * r[k] / (r["window_s"] * ncpu) for k in
            ("pstnsim_cpu_s", "sipp_cpu_s", "reflect_cpu_s")))
    # gwd's reads against 50 per channel-second: off by a backlog
    # queued at either edge of the window; the exact figures are the
    # counters below
    row("TDM blocks read by gwd / 50 per chan-s", "%14s",
        lambda r: "%.4f" % (r["blocks"] / r["blocks_expected"]))
    row("pstnsim blocks sent / refused (gwd late)", "%14s",
        lambda r: "%d/%d" % (r["psim"]["bchan_tx_blocks"],
                             r["psim"]["bchan_tx_dropped"]), "-/0")
    row("pstnsim clock periods skipped / rx blocks", "%14s",
        lambda r: "%d/%d" % (r["psim"]["clock_skipped"],
                             r["psim"]["bchan_rx_blocks"]), "0/-")
    row("TDM writes refused (tx_full), window", "%14d", "tdm_tx_full", "0")
    row("TDM reads after lost blocks (slips)", "%14d", "tdm_rx_slips", "0")
    row("TDM writes skipped (queue back to cushion)", "%14d",
        "tdm_tx_skipped", "0")
    row("TDM read/write errors, window", "%14d", "tdm_errors", "0")
    row("TDM tx_full + errors, whole run", "%14d",
        lambda r: r["tdm_tx_full_total"] + r["tdm_errors_total"], "0")
    row("RTP sent by gwd, window", "%14d", "rtp_tx")
    row("RTP lost gwd->reflector, window", "%14d", "refl_lost", "0")
    row("RTP lost reflector->gwd, window", "%14d", "gwd_rtp_lost", "0")
    row("RTP lost either way, whole run", "%14d",
        lambda r: r["refl_lost_total"] + r["gwd_rtp_lost_total"], "0")
    row("RTP late at gwd / PLC blocks, window", "%14s",
        lambda r: "%d/%d" % (r["gwd_rtp_late"], r["gwd_plc"]))
    row("RTP jitter at gwd, worst channel, ms", "%14.1f",
        lambda r: r["jitter_us_max"] / 1000.0)
    for k, name in (("tdm_to_rtp", "TDM ready -> RTP sendto"),
                    ("block", "TDM ready -> TDM write"),
                    ("tdm_wait", "  of it TDM ready -> read")):
        tgt = "" if k == "tdm_wait" else "<= %.0f us" % TARGET_LAT_P99_US
        lab = name if k == "tdm_wait" else "added latency " + name
        row("%s p50, us" % lab, "%14.1f",
            lambda r: us(r["lat"][k]["p50_ns"]))
        row("%s p99, us" % lab, "%14.1f",
            lambda r: us(r["lat"][k]["p99_ns"]), tgt)
        row("%s max, us" % lab, "%14.1f",
            lambda r: us(r["lat"][k]["max_ns"]))
    row("sim clock ticks run late p50/p99/max, us", "%14s",
        lambda r: "%.0f/%.0f/%.0f" % tuple(
            us(r["clock_late"][k]) for k in ("p50_ns", "p99_ns", "max_ns")))
    def queued(r, i, prefix=""):
        d = [v for k, v in r["run_delay"][i].items()
             if k.startswith(prefix)]
        wait, n = sum(v[0] for v in d), sum(v[2] for v in d)
        return "%.1f/%.0f" % (100.0 * wait / (r["window_s"] * 1e9),
                              wait / n / 1000.0 if n else 0)

    # schedstat: how long threads that could run waited for a CPU
    row("waiting for a CPU, % of window / us per run:", "%14s",
        lambda r: "")
    row("  gwd media workers (summed)", "%14s",
        lambda r: queued(r, 0, "gwd-media"))
    row("  pstnsim", "%14s", lambda r: queued(r, 1))
    row("  reflector", "%14s", lambda r: queued(r, 2))
    for ec in skipped:
        print("EC %s ms: skipped: no ec keys" % ec)
    def served(r):
        return r["tdm_tx_full"] + r["tdm_errors"] + r["tdm_rx_slips"] + \
            r["tdm_tx_skipped"] + \
            r["psim"]["bchan_tx_dropped"] + r["psim"]["clock_skipped"] == 0 \
            and r["blocks"] >= 0.995 * r["blocks_expected"]

    for r in runs:
        if r["ec"] == "off":
            continue
        cost = ec_cost(r)
        ok_cost = cost != "-" and float(cost) <= TARGET_EC_NS
        print("targets, %d channels with EC at %s ms: every block served "
              "%s%s" % (r["chans"], r["ec"],
                        "met" if served(r) else "MISSED",
                        ", EC <= %.0f ns per sample %s" % (
                            TARGET_EC_NS, "met" if ok_cost else "MISSED")
                        if r["ec"] == "32" else ""))
    for r in runs:
        if r["ec"] != "off" or r["io"] != "auto":
            continue
        ok_tdm = served(r)
        cpu_max = TARGET_CPU_PCT * r["chans"] / 1440.0
        # a CPU figure for work not done is no figure
        ok_cpu = r["gwd_cpu_pct"] < cpu_max and ok_tdm
        ok_rtp = r["refl_lost"] + r["gwd_rtp_lost"] + r["gwd_rtp_late"] == 0
        ok_lat = max(r["lat"][k]["p99_ns"] for k in r["lat"]) <= \
            TARGET_LAT_P99_US * 1000
        print("targets, %d channels without EC%s: CPU < %.0f %% %s, TDM "
              "under/overruns %s, RTP loss and late %s, latency p99 %s" %
              ((r["chans"], (", clocks aligned"
                if r["phase"] == "aligned" else "") +
                (", gwd on a core of its own" if r["alone"] else ""),
                cpu_max) + tuple(
                  "met" if ok else "MISSED"
                  for ok in (ok_cpu, ok_tdm, ok_rtp, ok_lat))))
        if not ok_tdm:
            print("  (gwd did not serve every block: the CPU share is of "
                  "the work it managed, not of the load)")

def main():
    harness.Scratch.dir = tempfile.mkdtemp(prefix="gwbench-media-")
    t0 = time.monotonic()
    check((RTP_PORT_MAX - RTP_PORT_MIN + 1) // 2 >= CHANS,
          "RTP port range holds %d calls" % CHANS)
    runs, skipped, rc = [], [], 0
    try:
        ref = spandsp_reference()
        stalls = [("before the runs", stall_probe())]
        for ec in EC_RUNS:
            if ec != "off" and not ec_keys_accepted(ec):
                skipped.append(ec)
                continue
            if ec == "off":
                for spans in SPAN_RUNS:
                    runs.append(run_one(ec, spans))
                if SYSCALLS_SPANS:
                    runs.append(run_one(ec, int(SYSCALLS_SPANS),
                                        "syscalls"))
                if ALIGNED_SPANS and CLOCK_PHASE != "aligned":
                    runs.append(run_one(ec, int(ALIGNED_SPANS),
                                        phase="aligned"))
                if ALONE_SPANS and os.cpu_count() > 1:
                    runs.append(run_one(ec, int(ALONE_SPANS), alone=True))
                continue
            if not any(r["ec"] == "off" and r["spans"] == EC_SPANS and
                       r["io"] == "auto" for r in runs):
                runs.append(run_one("off", EC_SPANS))
            runs.append(run_one(ec, EC_SPANS))
        stalls.append(("after them", stall_probe()))
        report(ref, runs, skipped, stalls)
    except TestFailure as e:
        print("bench_media failed: %s" % e)
        rc = 1
    finally:
        harness._cleanup()
    print("bench_media took %.0f s" % (time.monotonic() - t0))
    if os.environ.get("GW_KEEP_TMP") == "1" or rc:
        print("scratch dir kept: %s" % harness.Scratch.dir)
    else:
        shutil.rmtree(harness.Scratch.dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
