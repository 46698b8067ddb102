"""Real SIP peers for integration tests (Python 3 standard library only).

Sipp runs a scenario template from tests/sipp/ (placeholders ${NAME} filled
here) and returns its exit status with the parsed message trace. Kamailio
runs a private stateful proxy with a dispatcher (OPTIONS probing, failover)
in front of gateways. Baresip runs a headless user agent driven over
ctrl_tcp, sending a sine tone and recording what it receives.

Every process is a harness.Proc in the test's scratch directory, so the
harness stops it when the test ends; everything binds to 127.0.0.1.
"""
import array
import collections
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import threading
import time
import wave

import harness
from harness import Proc, TestFailure, check, free_port, wait_for

SIPP_DIR = os.path.join(harness.ROOT, "tests", "sipp")
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
BARESIP_MODULES = "/usr/lib/baresip/modules"

# RFC 3261 §21 reason phrases for the codes tests use most.
REASONS = {
    180: "Ringing", 183: "Session Progress", 200: "OK",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 415: "Unsupported Media Type",
    420: "Bad Extension", 422: "Session Interval Too Small",
    480: "Temporarily Unavailable", 484: "Address Incomplete",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    500: "Server Internal Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
}

# RFC 3261 §7.3.3 compact header forms (plus RFC 3515, 4028, 3841, 6665).
COMPACT = {
    "i": "call-id", "m": "contact", "e": "content-encoding",
    "l": "content-length", "c": "content-type", "f": "from", "s": "subject",
    "k": "supported", "t": "to", "v": "via", "r": "refer-to",
    "b": "referred-by", "x": "session-expires", "o": "event",
    "u": "allow-events", "a": "accept-contact", "j": "reject-contact",
    "d": "request-disposition", "y": "identity", "n": "identity-info",
}


def _scratch(scratch):
    d = scratch or harness.Scratch.dir
    check(d is not None, "no scratch dir (call inside a @test)")
    return d


def _unique_name(scratch, base):
    """base, or base-2, base-3... so that log files do not collide."""
    name, n = base, 1
    while os.path.exists(os.path.join(scratch, name + ".log")):
        n += 1
        name = "%s-%d" % (base, n)
    return name


def port_bound(port, proto="udp"):
    """True when something on this host listens on 127.0.0.1/any:port
    (UDP bound or TCP in LISTEN), read from /proc/net without touching it."""
    files = {"udp": ["/proc/net/udp", "/proc/net/udp6"],
             "tcp": ["/proc/net/tcp", "/proc/net/tcp6"]}[proto]
    want = ":%04X" % port
    for path in files:
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if not fields[1].endswith(want):
                        continue
                    if proto == "udp" or fields[3] == "0A":
                        return True
        except OSError:
            continue
    return False


def free_port_pair():
    """A port P such that P and P+1 are free for UDP and TCP (baresip puts
    its TLS listener on sip_port + 1)."""
    for _ in range(50):
        p = free_port()
        if p >= 65535:
            continue
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                try:
                    s.bind(("127.0.0.1", p + 1))
                finally:
                    s.close()
            return p
        except OSError:
            continue
    raise TestFailure("no free port pair")


# ---------------------------------------------------------------- SIP trace

class SipMsg(collections.namedtuple("SipMsg",
                                    "direction start_line headers body")):
    """One SIP message of a trace: direction "sent" or "received", the
    start line, headers as {lower-case full name: [values in order]} and
    the body (str). Compact names are expanded (RFC 3261 §7.3.3)."""
    __slots__ = ()

    @property
    def is_request(self):
        return not self.start_line.startswith("SIP/")

    @property
    def method(self):
        """The request method, or None for a response."""
        return None if not self.is_request else self.start_line.split()[0]

    @property
    def code(self):
        """The status code as int, or None for a request."""
        if self.is_request:
            return None
        parts = self.start_line.split(None, 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() \
            else None

    @property
    def reason_phrase(self):
        parts = self.start_line.split(None, 2)
        return parts[2] if not self.is_request and len(parts) > 2 else ""

    @property
    def cseq_method(self):
        v = self.hdr("cseq")
        return v.split()[1].upper() if v and len(v.split()) > 1 else None

    def hdr(self, name, default=None):
        """The first value of a header (any case, compact form allowed)."""
        v = self.headers.get(_hname(name))
        return v[0] if v else default

    def hdrs(self, name):
        """Every value of a header, in order (comma lists not split)."""
        return list(self.headers.get(_hname(name), []))

    def __str__(self):
        return "%s %s" % (self.direction, self.start_line)


def _hname(name):
    n = name.strip().lower()
    return COMPACT.get(n, n)


def parse_sip_message(text, direction="received"):
    """Parses one SIP message (CRLF or LF line ends, folded header lines
    joined per RFC 3261 §7.3.1) into a SipMsg. The body is cut to
    Content-Length when present. Returns (msg, rest-of-text)."""
    text = text.replace("\r\n", "\n")
    text = text.lstrip("\n")
    head, sep, rest = text.partition("\n\n")
    lines = head.split("\n")
    start = lines[0].strip()
    headers = {}
    last = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last is not None:
            headers[last][-1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon:
            continue
        last = _hname(name)
        headers.setdefault(last, []).append(value.strip())
    clen = headers.get("content-length")
    body = rest
    remainder = ""
    if clen and clen[0].isdigit():
        n = int(clen[0])
        # lengths count CRLF bytes on the wire; rest has LF line ends
        wire = rest.replace("\n", "\r\n").encode("latin-1", "replace")
        body_b = wire[:n]
        body = body_b.decode("latin-1").replace("\r\n", "\n")
        remainder = wire[n:].decode("latin-1").replace("\r\n", "\n")
    else:
        body = rest.rstrip("\n")
        if body:
            body += "\n"
    return SipMsg(direction, start, headers, body), remainder


_BLOCK_RE = re.compile(r"^-{20,}.*$", re.M)
_KIND_RE = re.compile(r"^(UDP|TCP|TLS|SCTP|WS)\s+message\s+(sent|received)",
                      re.I)


def parse_sipp_messages(text):
    """Parses a sipp -trace_msg message file into a list of SipMsg.

    Blocks start with a dashed line and a timestamp, then "UDP message sent
    (N bytes):" or "TCP message received [N] bytes :", an empty line and
    the message. Other blocks (e.g. "Dead call ... received", which repeat
    an already logged message) are skipped. A block holding more than one
    message (stream transports) is split by Content-Length."""
    out = []
    for block in _BLOCK_RE.split(text):
        block = block.lstrip("\n")
        first, _, rest = block.partition("\n")
        m = _KIND_RE.match(first.strip())
        if not m:
            continue
        direction = m.group(2).lower()
        rest = rest.replace("\r\n", "\n")
        while rest.strip("\n"):
            msg, rest = parse_sip_message(rest, direction)
            if msg.start_line:
                out.append(msg)
            if not rest.strip():
                break
    return out


# -------------------------------------------------------------------- sipp

class _Tpl(string.Template):
    """Only ${UPPER_CASE} is a placeholder: sipp's own [$var] stays."""
    pattern = r"""\$(?:
        (?P<escaped>\$) |
        \{(?P<braced>[A-Z][A-Z0-9_]*)\} |
        (?P<named>(?!)) |
        (?P<invalid>(?!))
    )"""


def render_scenario(template_text, params):
    """Fills a scenario template. A line holding only a placeholder whose
    value has several lines (EXTRA_HEADERS...) gets one line each; when the
    value is empty the line goes, so no blank line ends the headers early.
    XML comments are dropped first. Unknown placeholders raise KeyError."""
    text = re.sub(r"<!--.*?-->\n?", "", template_text, flags=re.S)
    lines = []
    for line in text.split("\n"):
        m = re.fullmatch(r"(\s*)\$\{([A-Z][A-Z0-9_]*)\}\s*", line)
        if m and m.group(2) in params:
            val = str(params[m.group(2)])
            for v in val.split("\n"):
                if v.strip():
                    lines.append(m.group(1) + v.strip())
            continue
        lines.append(line)
    return _Tpl("\n".join(lines)).substitute(params)


class SippResult:
    """What one sipp run left: rc (0 all calls succeeded, 1 some failed,
    255 fatal or -timeout_error hit, 254 could not bind), messages (list
    of SipMsg), stats (last line of the -trace_stat CSV as a dict), errors
    (text of the -error_file) and elapsed_s (wall clock)."""

    def __init__(self, rc, messages, stats, errors, elapsed_s, log_path):
        self.rc = rc
        self.messages = messages
        self.stats = stats
        self.errors = errors
        self.elapsed_s = elapsed_s
        self.log_path = log_path

    @property
    def ok(self):
        return self.rc == 0

    def _stat(self, key):
        v = self.stats.get(key, "0")
        try:
            return int(v)
        except ValueError:
            return 0

    @property
    def successful_calls(self):
        return self._stat("SuccessfulCall(C)")

    @property
    def failed_calls(self):
        return self._stat("FailedCall(C)")

    def find(self, direction=None, method=None, code=None, cseq_method=None):
        """Messages matching every given criterion, in trace order."""
        out = []
        for m in self.messages:
            if direction and m.direction != direction:
                continue
            if method and m.method != method:
                continue
            if code is not None and m.code != code:
                continue
            if cseq_method and m.cseq_method != cseq_method:
                continue
            out.append(m)
        return out

    def first(self, **kw):
        r = self.find(**kw)
        return r[0] if r else None

    def codes(self, direction="received", cseq_method="INVITE"):
        """Status codes of the responses, e.g. [100, 180, 200]."""
        return [m.code for m in self.find(direction=direction,
                                          cseq_method=cseq_method)
                if m.code is not None]

    def final_code(self, direction="received", cseq_method="INVITE"):
        """The first final (>= 200) status code, or None."""
        for c in self.codes(direction, cseq_method):
            if c >= 200:
                return c
        return None

    def describe(self):
        """A short text for failure messages: rc, flow and errors."""
        flow = ", ".join("%s %s" % (">" if m.direction == "sent" else "<",
                                    m.method or m.code)
                         for m in self.messages[:40])
        return "sipp rc=%s flow=[%s] errors=%s log=%s" % (
            self.rc, flow, self.errors.strip()[-600:], self.log_path)


class Sipp:
    """One sipp process running a scenario of tests/sipp/.

    Sipp(scenario, remote="127.0.0.1:5060", port=None, transport="udp",
         calls=1, rate=None, limit=None, timeout_s=None, trace=True,
         scratch=None, name=None, extra_args=(), **PLACEHOLDERS)

    scenario: a name in tests/sipp/ ("uac_answer") or a path. remote: the
    SUT as host:port (UAC scenarios; None for UAS). port: local port
    (default a free one). transport: "udp" (-t u1) or "tcp" (-t t1).
    calls: -m (None: unlimited, e.g. a UAS answering OPTIONS probes until
    stopped). rate: calls per second (-r, -rp 1000). limit: -l concurrent
    calls. timeout_s: sipp's -timeout (with -timeout_error), by default 30 s
    plus HOLD_MS and REFRESH_MS. trace=False leaves out -trace_msg (load).
    Upper-case keywords fill placeholders, e.g. CODE=486,
    EXTRA_HEADERS="Reason: Q.850;cause=17" (or a list of header lines).
    Defaults: CALLED=12345 CALLING=5551000 MEDIA_PORT=40000 HOLD_MS=100
    RING_MS=0 CODE=486 SE=90 REFRESH_MS=SE*500 CANCEL_MS=0 LINGER_MS=0
    AUTH_USER=user AUTH_PASS=secret REL_HEADER=Supported.

    run() = start() + wait(); a UAS is start()ed, the UAC run(), then the
    UAS wait()ed (it exits after `calls` calls) or stop()ped."""

    def __init__(self, scenario, remote=None, port=None, transport="udp",
                 calls=1, rate=None, limit=None, timeout_s=None, trace=True,
                 scratch=None, name=None, extra_args=(), **params):
        self.scratch = _scratch(scratch)
        self.transport = transport.lower()
        check(self.transport in ("udp", "tcp"), "sipp transport", transport)
        self.remote = remote
        self.port = port or free_port()
        self.calls = calls
        self.rate = rate
        self.limit = limit
        self.trace = trace
        self.extra_args = list(extra_args)
        base = os.path.splitext(os.path.basename(scenario))[0]
        self.name = _unique_name(self.scratch, name or "sipp-" + base)
        path = scenario if os.sep in scenario else \
            os.path.join(SIPP_DIR, scenario + ".xml")
        self.params = self._defaults(params)
        with open(path) as f:
            template = f.read()
        if timeout_s is None:
            timeout_s = 30 + sum(int(self.params[k]) for k in
                                 ("HOLD_MS", "REFRESH_MS", "RING_MS")
                                 if "${%s}" % k in template) / 1000.0
            if calls and rate:
                timeout_s += calls / float(rate)
        self.timeout_s = timeout_s
        text = render_scenario(template, self.params)
        self.scenario_path = os.path.join(self.scratch, self.name + ".xml")
        with open(self.scenario_path, "w") as f:
            f.write(text)
        self.msg_path = os.path.join(self.scratch, self.name + ".msg")
        self.err_path = os.path.join(self.scratch, self.name + ".err")
        self.stat_path = os.path.join(self.scratch, self.name + ".csv")
        self.proc = None
        self.t0 = None
        self.result = None

    def _defaults(self, params):
        p = {"REMOTE": self.remote or "127.0.0.1", "CALLED": "12345",
             "CALLING": "5551000", "MEDIA_PORT": 40000, "HOLD_MS": 100,
             "RING_MS": 0, "CODE": 486, "SE": 90, "CANCEL_MS": 0,
             "LINGER_MS": 0, "AUTH_USER": "user", "AUTH_PASS": "secret",
             "REL_HEADER": "Supported", "EXTRA_HEADERS": "",
             "BYE_HEADERS": "", "NONCE": secrets.token_hex(4),
             "TPARAM": ";transport=tcp" if self.transport == "tcp" else ""}
        p.update(params)
        if "REFRESH_MS" not in params:
            p["REFRESH_MS"] = int(p["SE"]) * 500
        if "REASON" not in params:
            p["REASON"] = REASONS.get(int(p["CODE"]), "Unknown")
        for k in ("EXTRA_HEADERS", "BYE_HEADERS"):
            if isinstance(p[k], (list, tuple)):
                p[k] = "\n".join(p[k])
        return p

    def argv(self):
        a = ["sipp", "-sf", self.scenario_path, "-i", "127.0.0.1",
             "-p", str(self.port), "-t",
             "u1" if self.transport == "udp" else "t1",
             "-trace_err", "-error_file", self.err_path,
             "-trace_stat", "-stf", self.stat_path, "-fd", "1",
             "-timeout", "%ds" % int(self.timeout_s + 0.999),
             "-timeout_error", "-nostdin", "-aa"]
        if self.trace:
            a += ["-trace_msg", "-message_file", self.msg_path]
        if self.calls:
            a += ["-m", str(self.calls)]
        if self.rate:
            a += ["-r", str(self.rate), "-rp", "1000"]
        if self.limit:
            a += ["-l", str(self.limit)]
        a += self.extra_args
        if self.remote:
            a.append(self.remote)
        return a

    def start(self, wait_bound=True):
        """Starts sipp; with wait_bound, returns once its port is bound."""
        self.t0 = time.monotonic()
        self.proc = Proc(self.name, self.argv(), self.scratch)
        if wait_bound:
            wait_for(lambda: port_bound(self.port, self.transport) or
                     not self.proc.alive(), 5, "sipp %s bound" % self.name)
            check(self.proc.alive() or self.proc.p.returncode == 0,
                  "sipp %s exited at start" % self.name,
                  self.proc.output()[-1500:], self._read(self.err_path))
        return self

    def messages(self):
        """The messages traced so far (the file is written as they go)."""
        return parse_sipp_messages(self._read(self.msg_path))

    def wait_message(self, timeout=10.0, **match):
        """Waits until a traced message matches (see SippResult.find)."""
        def found():
            r = SippResult(None, self.messages(), {}, "", 0, "")
            return r.first(**match)
        return wait_for(found, timeout, "sipp %s message %r" %
                        (self.name, match), interval=0.05)

    def wait(self, timeout=None):
        """Waits for sipp to exit (its own -timeout ends it) and returns the
        SippResult; raises TestFailure if it is still running 10 s later."""
        if self.result:
            return self.result
        limit = (timeout if timeout is not None else self.timeout_s) + 10
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self.proc.stop(timeout=2)
            raise TestFailure("sipp %s still running after %.0fs" %
                              (self.name, limit))
        return self._finish()

    def run(self, timeout=None):
        """start() then wait(): returns the SippResult."""
        self.start(wait_bound=False)
        return self.wait(timeout)

    def stop(self):
        """Ends a sipp that would run on (a UAS without calls=): SIGUSR1
        asks it to quit, SIGTERM/SIGKILL after 3 s. Returns the SippResult."""
        if self.result:
            return self.result
        if self.proc.alive():
            self.proc.signal(signal.SIGUSR1)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                pass
        return self._finish()

    def _finish(self):
        rc = self.proc.stop(timeout=2)
        elapsed = time.monotonic() - self.t0
        self.result = SippResult(rc, self.messages(), self._stats(),
                                 self._read(self.err_path), elapsed,
                                 self.proc.log_path)
        return self.result

    def _stats(self):
        text = self._read(self.stat_path).strip().split("\n")
        if len(text) < 2:
            return {}
        keys = text[0].rstrip(";").split(";")
        vals = text[-1].rstrip(";").split(";")
        return dict(zip(keys, vals))

    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


# ------------------------------------------------------- process CPU time

def _proc_stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()


def process_tree(pid):
    """pid and all its descendants (from /proc)."""
    children = collections.defaultdict(list)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            ppid = int(_proc_stat(int(d))[1])
        except (OSError, ValueError, IndexError):
            continue
        children[ppid].append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    """User+system CPU seconds of pid and its live descendants, plus what
    its reaped children used (cutime/cstime), from /proc/PID/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for i, p in enumerate(process_tree(pid)):
        try:
            f = _proc_stat(p)
        except (OSError, IndexError):
            continue
        # fields after the comm: state=0 ... utime=11 stime=12 cutime=13
        total += int(f[11]) + int(f[12])
        if i == 0:
            total += int(f[13]) + int(f[14])
    return total / float(tick)


# ---------------------------------------------------------------- Kamailio

_KAMAILIO_CFG = r"""#!KAMAILIO
# Written by tests/integration/peers.py: a stateful proxy on 127.0.0.1 that
# spreads numeric Request-URIs over the gateways of dispatcher set 1.
debug=${DEBUG}
log_stderror=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off
tcp_connect_timeout=${TCP_CONNECT_S}
listen=udp:127.0.0.1:${PORT}
listen=tcp:127.0.0.1:${PORT}
server_header="Server: gw-test-kamailio"
user_agent_header="User-Agent: gw-test-kamailio"

mpath="${MODULES}"
loadmodule "kex.so"
loadmodule "ctl.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "dispatcher.so"

modparam("ctl", "binrpc", "unix:${CTL}")
# RFC 3261 §17.1.1.2 Timer B/F stand-ins: no reply in fr_timer means the
# gateway is gone; fr_inv_timer bounds ringing after a provisional.
modparam("tm", "fr_timer", ${FR_TIMER_MS})
modparam("tm", "fr_inv_timer", ${FR_INV_TIMER_MS})
modparam("dispatcher", "list_file", "${LIST}")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "ds_ping_method", "OPTIONS")
modparam("dispatcher", "ds_ping_from", "sip:dispatcher@127.0.0.1:${PORT}")
modparam("dispatcher", "ds_ping_interval", ${PING_S})
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", 1)
modparam("dispatcher", "ds_inactive_threshold", 1)
modparam("dispatcher", "ds_ping_reply_codes", "class=2")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	xlog("L_INFO", "req $rm $ru from $si:$sp ci=$ci\n");
	if (has_totag()) {
		route(WITHINDLG);
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	if (is_method("ACK")) {
		# ACK of a non-2xx is absorbed by tm (RFC 3261 §17.2.1)
		if (t_check_trans())
			t_relay();
		exit;
	}
	t_check_trans();
	if (is_method("OPTIONS") && uri == myself && $rU == $null) {
		sl_send_reply("200", "OK");
		exit;
	}
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE"))
		record_route();
	if ($rU =~ "^\+?[0-9]+$") {
		route(DISPATCH);
		exit;
	}
	sl_send_reply("404", "Not Found");
}

route[WITHINDLG] {
	if (loose_route()) {
		if (!t_relay())
			sl_reply_error();
		exit;
	}
	if (is_method("ACK")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	sl_send_reply("404", "Not Here");
}

route[DISPATCH] {
	if (!ds_select_dst("${SETID}", "${ALG}")) {
		xlog("L_WARN", "no active gateway for $ru\n");
		sl_send_reply("503", "No Gateway Available");
		exit;
	}
	xlog("L_INFO", "dispatch $rm $ru to $du\n");
	t_on_failure("FAILOVER");
	if (!t_relay())
		sl_reply_error();
}

failure_route[FAILOVER] {
	if (t_is_canceled())
		exit;
	if (!t_branch_replied()) {
		# nothing came back (timeout or transport error): the gateway
		# is gone until its OPTIONS probe answers again
		xlog("L_WARN", "gateway $du sent no reply: marked inactive\n");
		ds_mark_dst("ip");
	} else if (!t_check_status("408|500|503")) {
		exit;
	}
	if (ds_next_dst()) {
		xlog("L_INFO", "failover $rm $ru to $du\n");
		t_on_failure("FAILOVER");
		t_relay();
		exit;
	}
}
"""


class Kamailio:
    """A private Kamailio proxy in front of gateways (dispatcher set 1).

    Kamailio(scratch=None, listen_port=None, gateways=[(host, port, proto)
             or (host, port, proto, priority)], alg="round-robin" or
             "priority", fr_timer_ms=2000, fr_inv_timer_ms=30000,
             ping_interval_s=1, debug=2, name="kamailio", shm_mb=64)

    Listens on udp and tcp 127.0.0.1:listen_port. Numeric Request-URI users
    (^\\+?[0-9]+$) go to a gateway (ds_select_dst + t_relay); 408/500/503
    or no reply fail over to the next (ds_next_dst), and a gateway that sent
    no reply is marked inactive; others get 404. OPTIONS probing every
    ping_interval_s marks gateways active/inactive. With "priority" the
    first gateway listed is preferred unless priorities are given.
    shm_mb: the shared memory pool (-m); tm keeps every transaction there
    for its wait timer, so loads of some hundred calls/s need more than
    the default 64."""

    ALGS = {"round-robin": 4, "priority": 8, "hash-callid": 0}

    def __init__(self, scratch=None, listen_port=None, gateways=(),
                 alg="round-robin", fr_timer_ms=2000, fr_inv_timer_ms=30000,
                 ping_interval_s=1, debug=2, name="kamailio", wait=True,
                 shm_mb=64):
        self.scratch = _scratch(scratch)
        self.name = _unique_name(self.scratch, name)
        self.port = listen_port or free_port()
        self.rundir = os.path.join(self.scratch, self.name + ".run")
        os.makedirs(self.rundir, exist_ok=True)
        self.ctl = os.path.join(self.rundir, "ctl.sock")
        self.list_path = os.path.join(self.scratch, self.name + ".list")
        self.cfg_path = os.path.join(self.scratch, self.name + ".cfg")
        self.pid_path = os.path.join(self.rundir, "kamailio.pid")
        self.shm_mb = shm_mb
        self.gateways = []
        lines = []
        for i, gw in enumerate(gateways):
            host, port, proto = gw[0], int(gw[1]), gw[2].lower()
            prio = gw[3] if len(gw) > 3 else len(gateways) - i
            uri = "sip:%s:%d;transport=%s" % (host, port, proto)
            self.gateways.append(uri)
            lines.append("1 %s 0 %d" % (uri, prio))
        with open(self.list_path, "w") as f:
            f.write("# setid destination flags priority\n")
            f.write("\n".join(lines) + "\n")
        cfg = _Tpl(_KAMAILIO_CFG).substitute(
            DEBUG=debug, PORT=self.port, MODULES=KAMAILIO_MODULES,
            CTL=self.ctl, LIST=self.list_path, SETID=1,
            ALG=self.ALGS[alg], FR_TIMER_MS=fr_timer_ms,
            FR_INV_TIMER_MS=fr_inv_timer_ms, PING_S=ping_interval_s,
            TCP_CONNECT_S=max(1, fr_timer_ms // 1000))
        with open(self.cfg_path, "w") as f:
            f.write(cfg)
        self.proc = Proc(self.name, self.argv(), self.scratch)
        if wait:
            self.wait_ready()

    def argv(self):
        return ["kamailio", "-f", self.cfg_path, "-DD", "-E", "-n", "1",
                "-m", str(self.shm_mb), "-M", "8", "-Y", self.rundir, "-P",
                self.pid_path, "-w", self.scratch, "-a", "no"]

    @property
    def address(self):
        """host:port for a sipp remote or a Request-URI."""
        return "127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=10.0):
        wait_for(lambda: (os.path.exists(self.ctl) and
                          port_bound(self.port, "udp")) or
                 not self.proc.alive(), timeout, "kamailio ready")
        check(self.proc.alive(), "kamailio exited at start",
              self.proc.output()[-3000:])

    def rpc(self, *args, timeout=5):
        """Runs kamcmd against the private ctl socket; returns stdout."""
        p = subprocess.run(["kamcmd", "-s", "unix:" + self.ctl] +
                           [str(a) for a in args], capture_output=True,
                           text=True, timeout=timeout)
        if p.returncode != 0:
            raise TestFailure("kamcmd %s: %s" % (" ".join(map(str, args)),
                                                p.stderr.strip() or
                                                p.stdout.strip()))
        return p.stdout

    def dispatcher_states(self):
        """{destination URI: flags} from `kamcmd dispatcher.list`. Flags:
        first letter A active, I inactive, D disabled, T trying; then P
        when probed (e.g. "AP", "IP")."""
        out = {}
        uri = None
        for line in self.rpc("dispatcher.list").split("\n"):
            line = line.strip()
            if line.startswith("URI:"):
                uri = line[4:].strip()
            elif line.startswith("FLAGS:") and uri:
                out[uri] = line[6:].strip()
                uri = None
        return out

    def gateway_uri(self, port):
        for u in self.gateways:
            if re.search(r":%d(;|$)" % port, u):
                return u
        raise TestFailure("no gateway with port %d" % port)

    def is_active(self, port):
        """True if the gateway on this port is active in the dispatcher."""
        return self.dispatcher_states().get(
            self.gateway_uri(port), "").startswith("A")

    def wait_gateway(self, port, active=True, timeout=10.0):
        """Waits until the gateway on this port is (in)active."""
        return wait_for(lambda: self.is_active(port) == active, timeout,
                        "gateway :%d %s (states %s)" %
                        (port, "active" if active else "inactive",
                         self._states_safe()), interval=0.1)

    def _states_safe(self):
        try:
            return self.dispatcher_states()
        except (TestFailure, OSError, subprocess.SubprocessError) as e:
            return str(e)

    def pids(self):
        return process_tree(self.proc.p.pid)

    def cpu_seconds(self):
        """CPU seconds (user+system) used so far by kamailio, all its
        processes included."""
        return cpu_seconds(self.proc.p.pid)

    def log(self):
        return self.proc.output()

    def stop(self):
        return self.proc.stop()


LoadResult = collections.namedtuple(
    "LoadResult", "calls ok failed elapsed_s calls_per_s cpu_s "
    "cpu_ms_per_call sipp")


def run_load(remote, calls=200, rate=50, cpu_of=None, scenario="uac_answer",
             transport="udp", limit=None, **params):
    """Runs a UAC load (trace off) against remote and measures it.

    calls at rate calls/s (HOLD_MS defaults to 0). cpu_of: a callable
    returning CPU seconds (e.g. kamailio.cpu_seconds), sampled before and
    after. Returns LoadResult(calls, ok, failed, elapsed_s, calls_per_s
    (completed calls / wall time of the run), cpu_s, cpu_ms_per_call, the
    SippResult)."""
    params.setdefault("HOLD_MS", 0)
    cpu0 = cpu_of() if cpu_of else 0.0
    s = Sipp(scenario, remote=remote, transport=transport, calls=calls,
             rate=rate, limit=limit, trace=False, name="sipp-load", **params)
    r = s.run()
    cpu = (cpu_of() - cpu0) if cpu_of else 0.0
    ok = r.successful_calls
    return LoadResult(calls, ok, r.failed_calls, r.elapsed_s,
                      ok / r.elapsed_s if r.elapsed_s > 0 else 0.0, cpu,
                      1000.0 * cpu / ok if ok else 0.0, r)


def kamailio_reference(calls=200, rate=50, limit=None, shm_mb=64):
    """The Kamailio reference for benchmarks: sipp uac_answer (HOLD_MS 0)
    -> Kamailio (record-routing, stateful) -> sipp uas_answer, all on
    127.0.0.1 in the current scratch dir. limit: sipp -l (concurrent
    calls), as in run_load. shm_mb: Kamailio's shared memory (-m).
    Returns the LoadResult; cpu_s is kamailio's alone."""
    uas = Sipp("uas_answer", calls=None, name="sipp-ref-uas",
               trace=False).start()
    kam = Kamailio(gateways=[("127.0.0.1", uas.port, "udp")],
                   name="kamailio-ref", debug=1, shm_mb=shm_mb)
    kam.wait_gateway(uas.port, True)
    # the probe OPTIONS count as uas calls: let the uas run until stopped
    res = run_load(kam.address, calls=calls, rate=rate, limit=limit,
                   cpu_of=kam.cpu_seconds)
    uas.stop()
    kam.stop()
    return res


# ----------------------------------------------------------------- baresip

def make_cert(scratch=None, name="tls", cn="127.0.0.1"):
    """A self-signed certificate for 127.0.0.1 made with the openssl CLI.
    Returns (cert_pem, key_pem, combined_pem) paths."""
    d = _scratch(scratch)
    crt = os.path.join(d, name + ".crt")
    key = os.path.join(d, name + ".key")
    pem = os.path.join(d, name + ".pem")
    if not os.path.exists(pem):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                        "-subj", "/CN=" + cn, "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=30)
        with open(pem, "w") as out:
            for p in (crt, key):
                with open(p) as f:
                    out.write(f.read())
    return crt, key, pem


_BARESIP_CONFIG = """# Written by tests/integration/peers.py
poll_method		epoll
sip_listen		127.0.0.1:{sip_port}
net_interface		127.0.0.1
call_local_timeout	{call_timeout_s}
call_max_calls		4
audio_player		aubridge,null
audio_alert		aubridge,null
audio_source		ausine,{tone_hz}
ausrc_srate		48000
ausrc_channels		2
audio_buffer		20-160
rtp_timeout		0
jitter_buffer_delay	1-10
module_path		{modules}
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:{ctrl_port}
snd_path		{snd_path}
statmode_default	off
{tls}{extra}
"""


class Baresip:
    """A headless baresip 1.0 user agent driven over ctrl_tcp.

    Baresip(scratch=None, sip_port=None, user="alice", tls=False,
            auto_answer=False, tone_hz=440, name="baresip", extra_config="",
            call_timeout_s=120, audio_codecs="PCMA,PCMU")

    SIP on udp/tcp 127.0.0.1:sip_port and, with tls=True, TLS on
    sip_port + 1 (baresip's fixed choice; self.tls_port) with a self-signed
    certificate (make_cert). It sends a sine tone of tone_hz and the sndfile
    filter records each call's decoded received audio as
    dump-<time>-dec.wav in self.rec_dir (and the sent audio as -enc.wav).
    Commands: dial(uri), answer(), hangup(), command(name, params); events
    (dicts from ctrl_tcp: type CALL_INCOMING, CALL_RINGING,
    CALL_ESTABLISHED, CALL_CLOSED...) via wait_event(type). audio_codecs
    is the account's codec list; a codec other than G.711 needs its module
    in extra_config (e.g. "module g722.so")."""

    def __init__(self, scratch=None, sip_port=None, user="alice", tls=False,
                 auto_answer=False, tone_hz=440, name="baresip",
                 extra_config="", call_timeout_s=120,
                 audio_codecs="PCMA,PCMU"):
        self.scratch = _scratch(scratch)
        self.name = _unique_name(self.scratch, name)
        self.dir = os.path.join(self.scratch, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.rec_dir = os.path.join(self.dir, "rec")
        os.makedirs(self.rec_dir, exist_ok=True)
        self.sip_port = sip_port or (free_port_pair() if tls else free_port())
        self.tls_port = self.sip_port + 1 if tls else None
        self.ctrl_port = free_port()
        self.user = user
        self.aor = "sip:%s@127.0.0.1" % user
        tls_conf = ""
        if tls:
            crt, _, pem = make_cert(self.scratch)
            # baresip 1.0 loads the CA but does not verify the server
            tls_conf = "sip_certificate\t\t%s\nsip_cafile\t\t%s\n" % (pem,
                                                                     crt)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(_BARESIP_CONFIG.format(
                sip_port=self.sip_port, tone_hz=tone_hz,
                modules=BARESIP_MODULES, ctrl_port=self.ctrl_port,
                snd_path=self.rec_dir, tls=tls_conf, extra=extra_config,
                call_timeout_s=call_timeout_s))
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@127.0.0.1:%d>;regint=0;answermode=%s;"
                    "audio_codecs=%s\n" %
                    (user, self.sip_port, "auto" if auto_answer
                     else "manual", audio_codecs))
        for fname in ("contacts", "current_contact"):
            open(os.path.join(self.dir, fname), "a").close()
        self.events = []
        self._responses = {}
        self._cv = threading.Condition()
        self._cursor = 0
        self._token = 0
        self.proc = Proc(self.name, ["baresip", "-f", self.dir], self.dir)
        wait_for(lambda: port_bound(self.ctrl_port, "tcp") or
                 not self.proc.alive(), 10, "baresip ctrl_tcp")
        check(self.proc.alive(), "baresip exited at start",
              self.proc.output()[-2000:])
        self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port),
                                             timeout=5)
        self.sock.settimeout(None)
        threading.Thread(target=self._reader, daemon=True).start()
        wait_for(lambda: port_bound(self.sip_port, "udp"), 5,
                 "baresip sip port")

    @property
    def uri(self):
        """This UA's SIP URI (UDP)."""
        return "sip:%s@127.0.0.1:%d" % (self.user, self.sip_port)

    @property
    def tls_uri(self):
        return "sip:%s@127.0.0.1:%d;transport=tls" % (self.user,
                                                      self.tls_port)

    def _reader(self):
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while True:
                colon = buf.find(b":")
                if colon < 0 or not buf[:colon].isdigit():
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 1 + n + 1:
                    break
                payload = buf[colon + 1:colon + 1 + n]
                buf = buf[colon + 2 + n:]
                try:
                    obj = json.loads(payload.decode("utf-8", "replace"))
                except ValueError:
                    continue
                with self._cv:
                    if obj.get("response"):
                        self._responses[obj.get("token")] = obj
                    elif obj.get("event"):
                        obj["t"] = time.monotonic()
                        self.events.append(obj)
                    self._cv.notify_all()

    def command(self, cmd, params="", timeout=5.0):
        """Sends one ctrl_tcp command (netstring JSON); returns its
        response dict ({"ok": bool, "data": str, ...})."""
        with self._cv:
            self._token += 1
            token = str(self._token)
        data = json.dumps({"command": cmd, "params": params,
                           "token": token}).encode()
        self.sock.sendall(b"%d:%s," % (len(data), data))
        deadline = time.monotonic() + timeout
        with self._cv:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("baresip %s: no reply to %s" %
                                      (self.name, cmd))
                self._cv.wait(left)
            return self._responses.pop(token)

    def dial(self, uri):
        """Places a call to uri (e.g. "sip:123@127.0.0.1:5060" or with
        ;transport=tcp/tls)."""
        r = self.command("dial", uri)
        check(r.get("ok"), "baresip dial failed", r)
        return r

    def answer(self):
        """Answers the incoming call (ctrl command "accept")."""
        return self.command("accept")

    def hangup(self):
        return self.command("hangup")

    def wait_event(self, etype, timeout=10.0, since=None):
        """Returns the next event of this type after the last one returned
        (or after index `since` of self.events); events are never lost."""
        deadline = time.monotonic() + timeout
        with self._cv:
            start = self._cursor if since is None else since
            while True:
                for i in range(start, len(self.events)):
                    if self.events[i].get("type") == etype:
                        self._cursor = i + 1
                        return self.events[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("baresip %s: no %s event in %.0fs "
                                      "(got %s)" % (self.name, etype,
                                                    timeout,
                                                    [e.get("type") for e in
                                                     self.events]))
                self._cv.wait(left)

    def recordings(self, kind="dec"):
        """Recorded wav files, oldest first: "dec" what was received,
        "enc" what was sent."""
        return sorted(os.path.join(self.rec_dir, f)
                      for f in os.listdir(self.rec_dir)
                      if f.endswith("-%s.wav" % kind))

    def recorded_wav(self):
        """The newest received-audio recording (None if none)."""
        r = self.recordings("dec")
        return r[-1] if r else None

    def stop(self):
        try:
            self.command("quit", timeout=2)
        except (TestFailure, OSError):
            pass
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        return self.proc.stop()


def tone_analysis(path, threshold=500):
    """Reads a 16-bit PCM wav and returns (freq_hz, rms, active_s): the
    zero-crossing frequency estimate and RMS over the span from the first
    to the last sample above threshold, and that span's length."""
    with wave.open(path, "rb") as w:
        check(w.getsampwidth() == 2, "wav sample width", w.getsampwidth())
        rate = w.getframerate()
        ch = w.getnchannels()
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
    if ch > 1:
        data = data[::ch]
    idx = [i for i, v in enumerate(data) if abs(v) > threshold]
    if not idx:
        return 0.0, 0.0, 0.0
    seg = data[idx[0]:idx[-1] + 1]
    crossings = sum(1 for a, b in zip(seg, seg[1:])
                    if (a < 0 <= b) or (b < 0 <= a))
    dur = len(seg) / float(rate)
    rms = (sum(v * v for v in seg) / len(seg)) ** 0.5
    return crossings / 2.0 / dur if dur else 0.0, rms, dur


def have(*programs):
    """True when every program is on PATH (tools/install-deps test)."""
    return all(shutil.which(p) for p in programs)
