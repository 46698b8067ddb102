"""gwd on simulated E1 spans with its own pstnsim: the setup the call,
SIP, baresip and Kamailio tests share.

Rig(numbers) starts pstnsim with `spans` E1 spans and the [number]
sections in `numbers`, and gwd attached to them with one trunk group
"carrier" that routes +49 to the spans and sends PSTN calls to `dest`
(default sip:127.0.0.1:<dest_port>, a free port for a sipp UAS). pstnsim's
numbers are as it receives them: national format (30100 for +4930100).
"""
import harness
from harness import Gwd, Pstnsim, check, free_port, wait_for
from peers import Sipp


def gwd_conf(sim, listen, spans=1, sip="", tg="", dest="", settle_ms=None,
             general="", span=""):
    """A gwd configuration: [sip] listen + extra lines, `spans` sim E1
    spans on pstnsim's socket, trunk group "carrier" over all of them;
    general, span: extra [general] lines and lines for every span."""
    out = ["[general]\nlog_level = debug\n%s" % general,
           "[sip]\nlisten = %s\n%s" % (listen, sip)]
    for no in range(1, spans + 1):
        out.append("[span %d]\ndriver = sim\ndevice = %s\ntype = e1\n"
                   "unit = %d\n%s" % (no, sim, no, span))
        if settle_ms is not None:
            out.append("link_settle_ms = %d\n" % settle_ms)
    out.append("[trunkgroup carrier]\nspans = 1-%d\nprefixes = 49\n"
               "sip_dest = %s\ncountry_code = 49\n%s" % (spans, dest, tg))
    return "".join(out)


class Rig:
    """pstnsim + gwd. sip/tg: extra lines for [sip] / the trunk group;
    listen: gwd's listen value, "{port}" standing for sip_port (default
    UDP and TCP on it); general, span: extra [general] lines and lines
    for every span; name:
    suffix for the process names, so several rigs can run side by side."""

    def __init__(self, numbers="", spans=1, sip="session_expires_s = 0\n",
                 tg="", listen=None, dest=None, name="", settle_ms=None,
                 wait=True, general="", span=""):
        self.spans = spans
        self.ps = Pstnsim("".join("[span %d]\ntype = e1\n" % no
                                  for no in range(1, spans + 1)) + numbers,
                          name="pstnsim" + name)
        self.sip_port = free_port()
        self.dest_port = free_port()
        self.remote = "127.0.0.1:%d" % self.sip_port
        if listen is None:
            listen = "udp:127.0.0.1:{port}, tcp:127.0.0.1:{port}"
        listen = listen.format(port=self.sip_port)
        if dest is None:
            dest = "sip:127.0.0.1:%d" % self.dest_port
        self.gw = Gwd(gwd_conf(self.ps.sim_sock, listen, spans, sip, tg,
                               dest, settle_ms, general, span),
                       name="gwd" + name)
        if wait:
            self.wait_up()

    def wait_up(self, timeout=8):
        self.gw.wait_spans(lambda sp: all(
            s["state"] == "up" and s["channels"]["idle"] == 30
            for s in sp.values()), timeout, "spans up and idle")

    def sipp(self, scenario, called="+4930100", **kw):
        """A sipp UAC toward gwd (not started)."""
        kw.setdefault("CALLING", "+4930999888")
        return Sipp(scenario, remote=self.remote, CALLED=called,
                    scratch=harness.Scratch.dir, **kw)

    def uac(self, scenario, called="+4930100", timeout=30, **kw):
        return self.sipp(scenario, called, **kw).run(timeout=timeout)

    def uas(self, scenario, **kw):
        """A sipp UAS on dest_port (started)."""
        return Sipp(scenario, port=self.dest_port,
                    scratch=harness.Scratch.dir, **kw).start()

    def q931(self, since=0, **match):
        return self.ps.events(since, type="q931", **match)

    def idle(self, timeout=5):
        """gwd is up, has no call left and every channel is idle again."""
        wait_for(lambda: not self.gw.ctl("calls")["calls"], timeout,
                 "no calls left")
        self.gw.wait_spans(lambda sp: all(
            s["channels"]["idle"] == 30 for s in sp.values()),
            timeout, "channels idle")
        check(self.gw.ctl("status") is not None, "status answers")
