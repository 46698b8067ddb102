"""Shared harness for integration tests (Python 3 standard library only).

A test file defines functions decorated with @test and ends with
`harness.main()`. Each test gets a fresh scratch directory; every process
started through the harness is stopped when the test ends, pass or fail.
Output is what tests/run counts: "PASS file.name" / "FAIL file.name: why".

Processes bind only to 127.0.0.1 or UNIX sockets in the scratch directory.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.environ.get("GW_TEST_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("GW_BUILD") or os.path.join(ROOT, "build")
KEEP = os.environ.get("GW_KEEP_TMP") == "1"

_tests = []
_procs = []
_suite = os.path.splitext(os.path.basename(sys.argv[0]))[0]
if _suite.startswith("test_"):
    _suite = _suite[5:]


class TestFailure(AssertionError):
    pass


def test(fn):
    """Registers fn as a test case (run in definition order)."""
    _tests.append(fn)
    return fn


def check(cond, what, *detail):
    if not cond:
        msg = what
        if detail:
            msg += ": " + " ".join(str(d) for d in detail)
        raise TestFailure(msg)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, got, want))


def wait_for(cond, timeout=5.0, what="condition", interval=0.02):
    """Polls cond() until it returns a true value; returns that value."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except (OSError, ValueError, KeyError, TestFailure) as e:
            last_exc = e
        if time.monotonic() > deadline:
            extra = " (last error: %s)" % last_exc if last_exc else ""
            raise TestFailure("timed out after %.1fs waiting for %s%s" %
                              (timeout, what, extra))
        time.sleep(interval)


def free_port(kind=socket.SOCK_DGRAM):
    """A currently free port on 127.0.0.1 for both UDP and TCP."""
    for _ in range(50):
        s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s2 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s1.bind(("127.0.0.1", 0))
            port = s1.getsockname()[1]
            s2.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s1.close()
            s2.close()
    raise TestFailure("no free port")


class Proc:
    """A child process with its output in a log file in the scratch dir."""

    def __init__(self, name, argv, cwd, env=None, stdin=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(cwd, name + ".log")
        self.log = open(self.log_path, "w")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen(argv, stdout=self.log,
                                  stderr=subprocess.STDOUT, cwd=cwd, env=e,
                                  stdin=stdin if stdin is not None else
                                  subprocess.DEVNULL,
                                  start_new_session=True)
        _procs.append(self)

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, timeout=5.0):
        """SIGTERM, then SIGKILL after timeout. Returns the exit status."""
        if self.alive():
            try:
                self.p.send_signal(signal.SIGTERM)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()
        if self in _procs:
            _procs.remove(self)
        return self.p.returncode

    def wait(self, timeout):
        return self.p.wait(timeout=timeout)

    def output(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()


def ctl_request(sock_path, obj, timeout=5.0):
    """Sends one JSON request line on a UNIX socket; returns the reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall((json.dumps(obj) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    if not buf:
        raise TestFailure("no reply from %s to %r" % (sock_path, obj))
    return json.loads(buf.decode())


class Scratch:
    """The per-test scratch directory."""
    dir = None


def scratch(name):
    return os.path.join(Scratch.dir, name)


def write_file(name, text):
    path = scratch(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def binary(name):
    path = os.path.join(BUILD, name)
    check(os.access(path, os.X_OK), "binary not built", path)
    return path


class Pstnsim:
    """The PSTN switch simulator, driven through its control socket."""

    def __init__(self, conf_text, name="pstnsim", extra_args=()):
        self.conf = write_file(name + ".conf", conf_text)
        self.sim_sock = scratch(name + ".sim")
        self.ctl_sock = scratch(name + ".ctl")
        self.events_path = scratch(name + ".events.jsonl")
        self.proc = Proc(name, [binary("pstnsim"), "-c", self.conf,
                                "-S", self.sim_sock, "-C", self.ctl_sock,
                                "-l", self.events_path] + list(extra_args),
                         Scratch.dir)
        wait_for(lambda: os.path.exists(self.ctl_sock) or
                 not self.proc.alive(), 5, "pstnsim control socket")
        check(self.proc.alive(), "pstnsim exited at start",
              self.proc.output()[-2000:])

    def cmd(self, cmd, **kw):
        """Runs one control command; raises unless the reply is ok."""
        kw["cmd"] = cmd
        r = ctl_request(self.ctl_sock, kw)
        check(r.get("ok") is True, "pstnsim %s failed" % cmd, r)
        return r

    def try_cmd(self, cmd, **kw):
        kw["cmd"] = cmd
        return ctl_request(self.ctl_sock, kw)

    def events(self, since=0, **match):
        """Events with seq > since whose fields equal every match item."""
        r = self.cmd("events", since=since)
        out = []
        for ev in r.get("events", []):
            if all(ev.get(k) == v for k, v in match.items()):
                out.append(ev)
        return out

    def wait_event(self, timeout=5.0, since=0, **match):
        return wait_for(lambda: (self.events(since, **match) or [None])[0],
                        timeout, "pstnsim event %r" % match)

    def stop(self):
        return self.proc.stop()


class Gwd:
    """gwd in the foreground with its control socket in the scratch dir.

    conf_body is the configuration without [general]'s control_socket,
    which the harness adds."""

    def __init__(self, conf_body, name="gwd", extra_args=(), wait=True):
        self.sock = scratch(name + ".sock")
        general = "[general]\ncontrol_socket = %s\n" % self.sock
        if "[general]" in conf_body:
            conf_body = conf_body.replace("[general]\n", general, 1)
        else:
            conf_body = general + conf_body
        self.conf = write_file(name + ".conf", conf_body)
        self.proc = Proc(name, [binary("gwd"), "-f", "-c", self.conf] +
                         list(extra_args), Scratch.dir)
        if wait:
            wait_for(lambda: os.path.exists(self.sock) or
                     not self.proc.alive(), 5, "gwd control socket")
            check(self.proc.alive(), "gwd exited at start",
                  self.proc.output()[-2000:])

    def ctl(self, cmd, **kw):
        kw["cmd"] = cmd
        r = ctl_request(self.sock, kw)
        check(r.get("ok") is True, "gwd %s failed" % cmd, r)
        return r

    def gwctl(self, *args):
        """Runs gwctl against this gwd: (exit status, stdout, stderr)."""
        return run_gwctl(["-s", self.sock] + list(args))

    def spans(self):
        return {s["span"]: s for s in self.ctl("spans")["spans"]}

    def wait_spans(self, pred, timeout=5.0, what="spans"):
        return wait_for(lambda: (lambda sp: sp if pred(sp) else None)(
            self.spans()), timeout, what)

    def stop(self):
        return self.proc.stop()


def run_gwctl(args, timeout=10):
    p = subprocess.run([binary("gwctl")] + args, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def _cleanup():
    for p in list(_procs):
        try:
            p.stop(timeout=2)
        except Exception:
            pass


atexit.register(_cleanup)


def main():
    """Runs the registered tests (or those named in argv)."""
    only = set(sys.argv[1:])
    failed = 0
    for fn in _tests:
        if only and fn.__name__ not in only:
            continue
        Scratch.dir = tempfile.mkdtemp(prefix="gwtest-%s-" % fn.__name__)
        name = "%s.%s" % (_suite, fn.__name__)
        t0 = time.monotonic()
        ok = False
        try:
            fn()
            ok = True
        except TestFailure as e:
            print("FAIL %s: %s" % (name, e), flush=True)
        except Exception as e:
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            traceback.print_exc(file=sys.stdout)
        dt = time.monotonic() - t0
        leftovers = list(_procs)
        _cleanup()
        if ok:
            print("PASS %s (%.1fs)" % (name, dt), flush=True)
            if not KEEP:
                shutil.rmtree(Scratch.dir, ignore_errors=True)
        else:
            failed += 1
            print("  scratch dir kept: %s" % Scratch.dir, flush=True)
            for p in leftovers:
                try:
                    with open(p.log_path, errors="replace") as f:
                        tail = f.read()[-3000:]
                    print("  ---- %s log tail ----" % p.name)
                    print("  " + tail.replace("\n", "\n  "))
                except OSError:
                    pass
    sys.exit(1 if failed else 0)
