#!/usr/bin/env python3
"""baresip as a real SIP phone through gwd, over UDP and TLS.

SIP -> PSTN: baresip dials an E.164 number at gwd, pstnsim answers, and
baresip hangs up (cause 16 at pstnsim). PSTN -> SIP: pstnsim originates,
gwd's trunk group sends the INVITE to baresip, baresip answers and
pstnsim hangs up (baresip sees the call closed), or the other way
round; baresip rejects while ringing (486) or for want of a common
codec (488) and pstnsim gets the RFC 3398 §8.2.6.1 cause. The TLS
certificate is self-signed, made per test with the openssl CLI; gwd
checks baresip's certificate against tls_ca (or not, when empty).

Audio both ways: baresip's ausine source sends a tone through gwd to a
pstnsim number whose recorder measures it, and pstnsim's 1500 Hz tone
comes back into baresip's sndfile recording of the decoded stream.
"""
import array
import time
import wave

import harness
from harness import check, check_eq, free_port, test, wait_for
from peers import Baresip, Sipp, make_cert
from rig import Rig
from rtp_peer import level_dbm0

NUMBERS = """
[number 30100]
behaviour = answer
alert_ms = 50
answer_ms = 100
[number 30101]
behaviour = answer
alert_ms = 50
answer_ms = 100
hangup_ms = 700
[number 30102]
behaviour = busy
[number 30107]
behaviour = answer
alert_ms = 50
answer_ms = 60000
[number 30110]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = tone:1500:-10
sink = record
"""

# what baresip's ausine sends (its own level: measured on what it sent)
BARESIP_HZ = 1004


class Setup:
    """pstnsim + gwd + one baresip (user +4930555). tls: baresip gets a
    TLS listener and gwd's trunk group reaches it over TLS; tls_ca is
    gwd's CA file for that ("peer": the certificate baresip presents,
    None: no tls_ca, i.e. no check, or a path). ua_kw go to Baresip."""

    def __init__(self, tls=False, tls_ca="peer", **ua_kw):
        self.crt, self.key, _ = make_cert(harness.Scratch.dir)
        # baresip picks the user agent by the Request-URI user, which is
        # the E.164 called number gwd puts there
        self.ua = Baresip(tls=tls, user="+4930555", **ua_kw)
        self.tls_port = free_port()
        dest = ("sip:127.0.0.1:%d;transport=tls" % self.ua.tls_port) \
            if tls else "sip:127.0.0.1:%d" % self.ua.sip_port
        if tls_ca == "peer":
            tls_ca = self.crt if tls else None
        sip = "tls_cert = %s\ntls_key = %s\nsession_expires_s = 0\n" % (
            self.crt, self.key)
        if tls_ca is not None:
            sip += "tls_ca = %s\n" % tls_ca
        rig = Rig(NUMBERS, sip=sip, dest=dest, settle_ms=100,
                  listen="udp:127.0.0.1:{port}, tcp:127.0.0.1:{port}, "
                  "tls:127.0.0.1:%d" % self.tls_port)
        self.ps, self.gw, self.sip_port = rig.ps, rig.gw, rig.sip_port

    def gw_uri(self, number, tls=False):
        """The URI baresip dials: number at gwd's UDP or TLS listener."""
        if tls:
            return "sip:%s@127.0.0.1:%d;transport=tls" % (number,
                                                          self.tls_port)
        return "sip:%s@127.0.0.1:%d" % (number, self.sip_port)

    def q931_cause(self, cref):
        """The cause of the first DISCONNECT (else RELEASE / RELEASE
        COMPLETE) pstnsim received for this call reference."""
        got = {}
        for ev in self.ps.events(0, type="q931", dir="rx"):
            msg = ev.get("msg", "").replace("_", " ")
            if ev.get("cref") in (cref, None) and "cause" in ev:
                got.setdefault(msg, ev["cause"])
        for msg in ("DISCONNECT", "RELEASE", "RELEASE COMPLETE"):
            if msg in got:
                return got[msg]
        raise harness.TestFailure("no clearing message at pstnsim: %r" %
                                  got)

    def originate(self, **kw):
        """pstnsim calls 30555 from 301234 on span 1; returns its id."""
        r = self.ps.cmd("originate", span=1, called="30555",
                        calling="301234", **kw)
        return r["calls"][0]

    def idle_again(self):
        self.gw.wait_spans(lambda sp: sp[1]["channels"]["idle"] == 30, 5,
                           "channel idle again")
        check_eq(self.gw.ctl("calls")["calls"], [], "gwd calls left")


def closed_reason(ev):
    return (ev.get("param") or "").lower()


def closed_by_bye(ev):
    """libre ends a session whose peer sent BYE with ECONNRESET, which
    baresip reports as CALL_CLOSED "Connection reset by peer"."""
    return closed_reason(ev) == "connection reset by peer"


def sip_to_pstn(tls, hangup_by):
    """baresip -> gwd -> pstnsim answers; hangup_by "sip" (baresip sends
    BYE: cause 16 at pstnsim) or "pstn" (pstnsim clears with cause 16:
    baresip gets a BYE)."""
    s = Setup(tls=tls)
    number = "+4930100" if hangup_by == "sip" else "+4930101"
    s.ua.dial(s.gw_uri(number, tls))
    s.ua.wait_event("CALL_ESTABLISHED", 10)
    ans = s.ps.wait_event(5, 0, type="call_answered")
    check_eq(ans["called"], number[3:], "called number at pstnsim")
    check_eq(ans["calling"], "30555", "calling number from baresip's From")
    check(s.gw.ctl("calls")["calls"], "gwd lists the call")
    setup = s.ps.events(0, type="q931", dir="rx", msg="SETUP")[0]
    if hangup_by == "sip":
        s.ua.hangup()
    closed = s.ua.wait_event("CALL_CLOSED", 5)
    rel = s.ps.wait_event(5, 0, type="call_released", call=ans["call"])
    check_eq(rel["cause"], 16, "cause at pstnsim")
    if hangup_by == "sip":
        check(rel["by"] != "pstnsim", "released by gwd", rel)
        check_eq(s.q931_cause(setup.get("cref")), 16,
                 "cause in gwd's DISCONNECT")
    else:
        check_eq(rel["by"], "pstnsim", "released by pstnsim")
        check(closed_by_bye(closed), "baresip closed by BYE", closed)
    s.idle_again()


def pstn_to_sip(tls, hangup_by, tls_ca="peer"):
    """pstnsim originates -> gwd -> baresip answers; hangup_by "pstn"
    (originate hangup_ms: baresip gets a BYE) or "sip" (baresip sends
    BYE to gwd's Contact: cause 16 at pstnsim)."""
    s = Setup(tls=tls, tls_ca=tls_ca)
    call = s.originate(hangup_ms=700 if hangup_by == "pstn" else 0)
    inc = s.ua.wait_event("CALL_INCOMING", 10)
    check("+49301234" in inc.get("peeruri", ""), "calling number at "
          "baresip", inc)
    s.ua.answer()
    s.ua.wait_event("CALL_ESTABLISHED", 5)
    s.ps.wait_event(5, 0, type="call_answered", call=call)
    if hangup_by == "sip":
        s.ua.hangup()
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    closed = s.ua.wait_event("CALL_CLOSED", 5)
    check_eq(rel["cause"], 16, "cause at pstnsim")
    if hangup_by == "sip":
        check(rel["by"] != "pstnsim", "released by gwd", rel)
    else:
        check_eq(rel["by"], "pstnsim", "released by pstnsim")
        check(closed_by_bye(closed), "baresip closed by BYE", closed)
    s.idle_again()


def wav_tone(path, threshold=300, trim_s=0.06):
    """(frequency Hz, level dBm0, seconds) of the tone in a 16-bit wav:
    from the first to the last sample above threshold, less trim_s at
    each end (the codec's and PLC's edges); the frequency by rising zero
    crossings, the level as RMS (rtp_peer.level_dbm0)."""
    with wave.open(path, "rb") as w:
        check_eq(w.getsampwidth(), 2, "wav sample width")
        rate, ch = w.getframerate(), w.getnchannels()
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
    x = data[::ch]
    idx = [i for i, v in enumerate(x) if abs(v) > threshold]
    if not idx:
        return 0.0, -99.0, 0.0
    dur = (idx[-1] - idx[0] + 1) / float(rate)
    trim = int(trim_s * rate)
    seg = x[idx[0] + trim:idx[-1] + 1 - trim]
    rising = [i for i in range(1, len(seg)) if seg[i - 1] < 0 <= seg[i]]
    if len(rising) < 2:
        return 0.0, level_dbm0(list(seg)), dur
    f = (len(rising) - 1) * rate / float(rising[-1] - rising[0])
    return f, level_dbm0(list(seg)), dur


def newest_wav(ua, kind):
    """baresip's newest sndfile dump of that kind, once it has data."""
    return wait_for(lambda: (lambda r: r[-1] if r else None)(
        ua.recordings(kind)), 5, "baresip %s recording" % kind)


@test
def baresip_audio_both_ways():
    # baresip -> gwd -> pstnsim 30110 (tone 1500 Hz -10 dBm0, recorder);
    # baresip talks for 2 s, then hangs up
    s = Setup(tone_hz=BARESIP_HZ)
    s.ua.dial(s.gw_uri("+4930110"))
    s.ua.wait_event("CALL_ESTABLISHED", 10)
    ans = s.ps.wait_event(5, 0, type="call_answered")
    time.sleep(2.0)
    s.ua.hangup()
    s.ua.wait_event("CALL_CLOSED", 5)
    rel = s.ps.wait_event(5, 0, type="call_released", call=ans["call"])
    talk_ms = rel["t_ms"] - ans["t_ms"]
    # what baresip sent, as its encoder got it
    f_tx, lvl_tx, _ = wav_tone(newest_wav(s.ua, "enc"))
    check(abs(f_tx - BARESIP_HZ) < BARESIP_HZ * 0.01, "baresip's tone", f_tx)
    # PSTN side: pstnsim's recorder
    tones = [t for t in rel.get("audio", {}).get("tones", [])
             if abs(t["freq_hz"] - BARESIP_HZ) < BARESIP_HZ * 0.02]
    check(tones, "baresip's %d Hz heard at pstnsim" % BARESIP_HZ,
          rel.get("audio"))
    t = max(tones, key=lambda t: t["dur_ms"])
    check(abs(t["level_dbm0"] - lvl_tx) <= 2.0, "level at pstnsim %.1f "
          "dBm0, baresip sent %.1f dBm0" % (t["level_dbm0"], lvl_tx), t)
    check(talk_ms - 500 <= t["dur_ms"] <= talk_ms + 100,
          "tone duration at pstnsim against %d ms answered" % talk_ms, t)
    # SIP side: baresip's decoded stream
    f_rx, lvl_rx, dur_rx = wav_tone(newest_wav(s.ua, "dec"))
    check(abs(f_rx - 1500) < 15, "frequency baresip received", f_rx)
    check(abs(lvl_rx + 10) <= 2.0, "level baresip received", lvl_rx)
    check(dur_rx >= talk_ms / 1000.0 - 0.5, "tone duration at baresip "
          "against %d ms answered" % talk_ms, dur_rx)
    print("  PSTN heard %.1f Hz %.1f dBm0 for %d ms (baresip sent %.1f "
          "dBm0; answered %d ms); baresip got %.1f Hz %.1f dBm0 for "
          "%.2f s" % (t["freq_hz"], t["level_dbm0"], t["dur_ms"], lvl_tx,
                      talk_ms, f_rx, lvl_rx, dur_rx))
    s.idle_again()


@test
def udp_baresip_calls_pstn_and_hangs_up():
    sip_to_pstn(tls=False, hangup_by="sip")


@test
def udp_baresip_calls_pstn_and_pstn_hangs_up():
    sip_to_pstn(tls=False, hangup_by="pstn")


@test
def tls_baresip_calls_pstn_and_hangs_up():
    sip_to_pstn(tls=True, hangup_by="sip")


@test
def tls_baresip_calls_pstn_and_pstn_hangs_up():
    sip_to_pstn(tls=True, hangup_by="pstn")


@test
def udp_pstn_calls_baresip_and_hangs_up():
    pstn_to_sip(tls=False, hangup_by="pstn")


@test
def udp_pstn_calls_baresip_and_baresip_hangs_up():
    pstn_to_sip(tls=False, hangup_by="sip")


@test
def tls_pstn_calls_baresip_and_hangs_up():
    pstn_to_sip(tls=True, hangup_by="pstn")


@test
def tls_pstn_calls_baresip_and_baresip_hangs_up():
    pstn_to_sip(tls=True, hangup_by="sip")


@test
def tls_pstn_calls_baresip_without_ca_check():
    pstn_to_sip(tls=True, hangup_by="pstn", tls_ca=None)


@test
def tls_untrusted_baresip_cert_fails_the_call_at_once():
    # RFC 3261 §18.4/§8.1.3.1: a transport failure (here the TLS
    # handshake: baresip's certificate is not signed by gwd's tls_ca) ends
    # the INVITE transaction at once, as a 503; waiting for Timer B
    # (64*T1) would leave the PSTN caller in silence for 32 s
    other, _, _ = make_cert(harness.Scratch.dir, name="other-ca")
    s = Setup(tls=True, tls_ca=other)
    call = s.originate()
    t0 = time.monotonic()
    rel = wait_for(lambda: (s.ps.events(0, type="call_released",
                                        call=call) or [None])[0], 6,
                   "call released soon after the TLS handshake failed")
    took_s = time.monotonic() - t0
    check_eq([e for e in s.ua.events if e.get("type") == "CALL_INCOMING"],
             [], "INVITEs baresip got")
    check(took_s < 5, "call released within 5 s (took %.1f s)" % took_s)
    check(rel["cause"] not in (16, 102), "failure cause", rel)
    s.idle_again()


@test
def baresip_cancels_while_pstn_rings():
    s = Setup()
    s.ua.dial(s.gw_uri("+4930107"))
    s.ua.wait_event("CALL_RINGING", 10)
    s.ua.hangup()
    s.ua.wait_event("CALL_CLOSED", 5)
    rel = s.ps.wait_event(5, 0, type="call_released")
    check_eq(rel["cause"], 16, "cause at pstnsim after CANCEL")
    s.idle_again()


@test
def pstn_clears_while_baresip_rings():
    # the PSTN caller gives up: gwd CANCELs the INVITE (RFC 3261 §9.1)
    s = Setup()
    call = s.originate()
    s.ua.wait_event("CALL_INCOMING", 10)
    s.ps.cmd("hangup", call=call)
    closed = s.ua.wait_event("CALL_CLOSED", 5)
    check(closed_by_bye(closed), "baresip closed by the CANCEL", closed)
    check_eq([e for e in s.ua.events if e.get("type") ==
              "CALL_ESTABLISHED"], [], "baresip calls established")
    s.ps.wait_event(5, 0, type="call_released", call=call)
    s.idle_again()


@test
def pstn_busy_closes_baresip_call_with_486():
    s = Setup()
    s.ua.dial(s.gw_uri("+4930102"))
    closed = s.ua.wait_event("CALL_CLOSED", 10)
    check("486" in closed_reason(closed) or "busy" in closed_reason(closed),
          "486 Busy Here at baresip", closed)
    s.idle_again()


@test
def baresip_rejects_while_ringing_gives_cause_17():
    # baresip 1.0 rejects an incoming call it hangs up with 486
    s = Setup()
    call = s.originate()
    s.ua.wait_event("CALL_INCOMING", 10)
    s.ps.wait_event(5, 0, type="q931", dir="rx", msg="ALERTING")
    s.ua.hangup()
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 17, "cause for baresip's 486 (RFC 3398)")
    s.idle_again()


@test
def baresip_without_common_codec_gives_cause_65():
    # baresip (G.722 only) answers gwd's G.711 offer with 488. RFC 3398
    # §8.2.6.1 maps 488 "by Warning header"; with none, gwd sends 65
    # (bearer capability not implemented: the media was refused)
    s = Setup(audio_codecs="G722/16000/1",
              extra_config="module\t\t\tg722.so\n")
    call = s.originate()
    rel = s.ps.wait_event(5, 0, type="call_released", call=call)
    check_eq(rel["cause"], 65, "cause for baresip's 488")
    check_eq([e for e in s.ua.events if e.get("type") == "CALL_INCOMING"],
             [], "baresip rang although it has no common codec")
    s.idle_again()


@test
def sipp_declines_603_gives_cause_21():
    # baresip 1.0 cannot send 603 (its hangup takes no status), so a sipp
    # UAS stands in at the same trunk group destination
    s = Setup()
    s.ua.stop()
    u = Sipp("uas_final", port=s.ua.sip_port, scratch=harness.Scratch.dir,
             CODE=603).start()
    call = s.originate()
    rel = s.ps.wait_event(10, 0, type="call_released", call=call)
    check_eq(rel["cause"], 21, "cause for 603 Decline")
    res = u.wait(10)
    check(res.ok, "sipp uas failed", res.describe())
    s.idle_again()


harness.main()
