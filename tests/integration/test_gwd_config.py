#!/usr/bin/env python3
"""gwd's configuration and process life: one test per class of bad
configuration with the exact message, gwctl without a running gwd, daemon
mode with its pid file, and SIGHUP / `gwctl reload`."""
import os
import signal
import subprocess

import harness
from harness import (Gwd, Pstnsim, binary, check, check_eq, run_gwctl,
                     scratch, test, wait_for, write_file)

SIM_SPAN = "[span 1]\ntype = e1\ndriver = sim\ndevice = /tmp/x.sock\n"


def gwd_check(text, name="bad.conf"):
    path = write_file(name, text)
    p = subprocess.run([binary("gwd"), "-n", "-c", path], capture_output=True,
                       text=True, timeout=10)
    return p.returncode, p.stdout, p.stderr.strip(), path


def expect_error(text, message):
    rc, out, err, path = gwd_check(text)
    check_eq(rc, 1, "gwd -n exit status")
    check_eq(err, "gwd: %s:%s" % (path, message), "message")


@test
def unknown_key():
    expect_error(SIM_SPAN + "colour = blue\n",
                 "5: unknown key 'colour' in [span 1]")


@test
def unknown_section():
    expect_error("[spam 1]\n", "1: unknown section [spam]")


@test
def bad_span_number():
    expect_error("[span 0]\ntype = e1\n", "1: bad span number '0': must be "
                 "1..128")
    expect_error("[span 1x]\ntype = e1\n", "1: bad span number '1x': must "
                 "be 1..128")


@test
def bad_value():
    expect_error(SIM_SPAN + "blocksize = 7\n",
                 "5: bad value '7' for blocksize: must be 8..1600")


@test
def duplicate_channel():
    expect_error(SIM_SPAN + "channels = 1-5, 3\n",
                 "5: channel 3 listed twice")
    expect_error(SIM_SPAN + "channels = 16\n",
                 "5: span 1: channel 16 is the D-channel")


@test
def duplicate_span():
    expect_error(SIM_SPAN + SIM_SPAN.replace("[span 1]", "[span 2]") +
                 "unit = 1\n",
                 "5: span 2: same sim span (unit 1) as span 1")
    expect_error("[span 1]\ntype = t1\ndriver = dahdi\nunit = 1\n"
                 "basechan = 1\n[span 2]\ntype = t1\ndriver = dahdi\n"
                 "unit = 2\nbasechan = 20\n",
                 "6: span 2: DAHDI channel 20 is also in span 1 "
                 "(channels 1-24)")


@test
def missing_file():
    path = scratch("nonexistent.conf")
    p = subprocess.run([binary("gwd"), "-n", "-c", path], capture_output=True,
                       text=True, timeout=10)
    check_eq(p.returncode, 1, "exit status")
    check_eq(p.stderr.strip(), "gwd: %s: No such file or directory" % path,
             "message")


@test
def good_config_prints_normalised_and_reparses():
    rc, out, err, path = gwd_check(SIM_SPAN + "channels = 1-10,17\n")
    check_eq(rc, 0, "exit status: " + err)
    check("channels = 1-10,17" in out, "normalised channels", out)
    # the normalised form is itself a valid configuration, printed the same
    rc2, out2, err2, _ = gwd_check(out, "again.conf")
    check_eq(rc2, 0, "normalised output must load: " + err2)
    check_eq(out2, out, "normalising is idempotent")


@test
def trunk_group_values_are_checked():
    tg = SIM_SPAN + "[trunkgroup a]\nspans = 1\n"
    expect_error(tg + "prefixes = 49, 3x\n",
                 "7: trunk group a: bad prefix '3x': digits of an E.164 "
                 "number, or *")
    expect_error(tg + "sip_dest = sip:proxy.example.com\n",
                 "7: trunk group a: sip_dest 'sip:proxy.example.com' is not "
                 "a sip: or sips: URI with a numeric host")
    expect_error(tg + "causes_q850 = 34:603\n",
                 "7: trunk group a: causes_q850: cause 34 is transient and "
                 "must not map to 603: a 6xx stops the proxy from trying "
                 "another gateway")
    expect_error(tg + "country_code = +49\n",
                 "7: trunk group a: country_code '+49' must be digits")
    expect_error(tg + "min_digits = 8\nmax_digits = 4\n",
                 "8: trunk group a: max_digits 4 is below min_digits 8")
    expect_error(tg + "t302_s = 0\n",
                 "7: bad value '0' for t302_s: must be 1..60")


@test
def sample_config_is_valid():
    sample = os.path.join(harness.ROOT, "gw", "gwd.conf.sample")
    p = subprocess.run([binary("gwd"), "-n", "-c", sample],
                       capture_output=True, text=True, timeout=10)
    check_eq(p.returncode, 0, "gwd -n on the sample: " + p.stderr)
    check("prefixes = 49" in p.stdout, "sample trunk group printed",
          p.stdout[-500:])


@test
def gwctl_without_gwd():
    sock = scratch("nobody.sock")
    rc, out, err = run_gwctl(["-s", sock, "spans"])
    check_eq(rc, 1, "exit status")
    check_eq(err.strip(), "gwctl: cannot reach gwd at %s: No such file or "
             "directory (is gwd running?)" % sock, "message")


@test
def daemon_mode_pid_file_and_clean_stop():
    pid_path = scratch("gwd.pid")
    sock = scratch("gwd.sock")
    conf = write_file("gwd.conf", "[general]\ncontrol_socket = %s\n"
                      "pid_file = %s\n" % (sock, pid_path))
    p = subprocess.run([binary("gwd"), "-c", conf], capture_output=True,
                       text=True, timeout=10)
    check_eq(p.returncode, 0, "parent exit status: " + p.stderr)
    wait_for(lambda: os.path.exists(pid_path), 5, "pid file")
    pid = int(open(pid_path).read())
    try:
        wait_for(lambda: run_gwctl(["-s", sock, "status"])[0] == 0, 5,
                 "daemon answering")
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not os.path.exists(pid_path), 5, "pid file removed")
    wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
             open("/proc/%d/stat" % pid).read().split()[2] == "Z", 5,
             "daemon gone")


@test
def reload_changes_what_can_change_live():
    ps = Pstnsim("[span 1]\ntype = e1\n")
    body = ("[general]\ntest_loopback = 1010\n[span 1]\ntype = e1\n"
            "driver = sim\ndevice = %s\n" % ps.sim_sock)
    gw = Gwd(body)
    gw.wait_spans(lambda sp: sp[1]["state"] == "up", 8, "span up")
    r = ps.cmd("originate", span=1, called="2020")
    ev = ps.wait_event(5, 0, type="call_released", call=r["calls"][0])
    check_eq(ev["cause"], 3, "2020 is not a test line yet")
    with open(gw.conf) as f:
        text = f.read()
    with open(gw.conf, "w") as f:
        f.write(text.replace("test_loopback = 1010", "test_loopback = 2020"))
    rc, out, err = gw.gwctl("reload")
    check_eq(rc, 0, "gwctl reload: " + err)
    r = ps.cmd("originate", span=1, called="2020", hangup_ms=300)
    ev = ps.wait_event(5, 0, type="call_answered", call=r["calls"][0])
    # a bad file is refused and the running configuration kept
    with open(gw.conf, "w") as f:
        f.write(text + "bogus = 1\n")
    rc, out, err = gw.gwctl("reload")
    check_eq(rc, 1, "reload of a bad file must fail")
    check("unknown key 'bogus'" in err, "reason given", err)
    gw.proc.signal(signal.SIGHUP)
    r = ps.cmd("originate", span=1, called="2020", hangup_ms=300)
    ps.wait_event(5, 0, type="call_answered", call=r["calls"][0])
    check(gw.proc.alive(), "gwd survives SIGHUP with a bad file")


harness.main()
