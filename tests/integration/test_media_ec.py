#!/usr/bin/env python3
"""The line echo canceller and the modem/fax tone handling in gwd's RTP <->
B-channel bridge, end to end:
pstnsim's `hybrid` source returns what it hears through a G.168 Annex D
echo path (d2..d8) at a given ERL, the way a 2-wire line hybrid does. An
RTP peer on the SIP side of a sipp call sends speech-like audio
(band-limited noise with a syllabic envelope) and measures the echo that
comes back over RTP, once through a trunk group with `ec = no` and once
with the canceller on (the default), and reads the ERLE gwctl calls
reports; then with a near-end talker added after convergence (double
talk). pstnsim's `modem:` sources play spandsp's connect tones: ANSam
with phase reversals must switch the canceller off and pass unchanged;
fax CNG or CED from either side must switch the call to G.711
pass-through (canceller off, fixed jitter buffer) and show in gwctl
calls."""
import math
import random
import re
import time

from harness import check, check_eq, test, wait_for
import harness
from rig import Rig
from rtp_peer import (PT_PCMA, RtpPeer, frequency_hz, level_dbm0, sdp_media,
                      tone)

NUMBERS = """
[number 30300]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = hybrid:%s
sink = none
"""

SECONDS = 4.0
TALK_DBM0 = -12.0  # active level of the far-end speech stand-in


def speech_like(seconds, dbm0, seed=168):
    """Band-limited noise (about 200-3000 Hz) with a syllabic envelope
    (3.3 Hz, 30 % dips) and short pauses: it keeps an echo canceller
    honest, unlike one steady sine."""
    rnd = random.Random(seed)
    n = int(seconds * 8000)
    out, x1, hp, lp1, lp2 = [], 0.0, 0.0, 0.0, 0.0
    for i in range(n):
        x = rnd.gauss(0, 1)
        hp = 0.85 * (hp + x - x1)  # high-pass, ~200 Hz
        x1 = x
        lp1 += 0.6 * (hp - lp1)  # two low-pass poles, ~1.5-3 kHz
        lp2 += 0.6 * (lp1 - lp2)
        out.append(lp2)
    rms = math.sqrt(sum(v * v for v in out) / n)
    amp = 2 ** 15 * 10 ** ((dbm0 - 3.14) / 20) / math.sqrt(2) / rms
    res = []
    for i, v in enumerate(out):
        t = i / 8000.0
        env = 0.65 + 0.35 * math.sin(2 * math.pi * 3.3 * t)
        if 1.6 < t % 2.0 < 1.75:  # a pause between "words"
            env = 0.0
        res.append(int(max(-32767, min(32767, round(amp * env * v)))))
    return res


def windows(pcm, ms=100):
    """Level (dBm0) of each window of pcm."""
    w = ms * 8
    return [level_dbm0(pcm[i:i + w]) for i in range(0, len(pcm) - w + 1, w)]


def power_mean_db(levels):
    """The mean of dB levels taken as powers (windows at -99: silence)."""
    p = [10 ** (x / 10) for x in levels]
    m = sum(p) / len(p) if p else 0
    return 10 * math.log10(m) if m > 0 else -99.0


def echo_call(model, tg, name):
    """One call to a hybrid number: speech-like audio for SECONDS over
    RTP; returns (echo level per 100 ms window from the first packet
    sent, gwctl calls media counters at about 3 s)."""
    s = Rig(NUMBERS % model, tg=tg, name=name)
    peer = RtpPeer(PT_PCMA)
    try:
        u = s.sipp("uac_answer", "+4930300", HOLD_MS=int(SECONDS * 1000 + 600),
                   MEDIA_PORT=peer.port).start()
        ok = u.wait_message(8, direction="received", code=200,
                            cseq_method="INVITE")
        dest = sdp_media(ok.body)
        check(dest[0] and dest[1], "media address in the 200", ok.body)
        talk = speech_like(SECONDS, TALK_DBM0)
        peer.start_sending(dest, peer.audio_frames(
            lambda st, n: talk[st:st + n], SECONDS))
        time.sleep(3.0)
        media = s.gw.ctl("calls")["calls"][0]["media"]
        media["table"] = s.gw.gwctl("calls")[1]
        peer.wait_sent()
        res = u.wait(20)
        check(res.ok, "sipp failed", res.describe())
        s.ps.wait_event(5, 0, type="call_released")
        t0 = peer.sent_at[0][0]
        # what came back, on the clock of what was sent (gwd sends one
        # packet per 20 ms block from the answer on: align by time)
        pk = sorted(peer.packets(PT_PCMA), key=lambda p: p.t)
        pcm = []
        for p in pk:
            if p.t >= t0:
                pcm.extend(peer.audio_of(p))
        return windows(pcm), media
    finally:
        peer.close()


def check_cancelled(model, erl_db):
    src = "%s:%g" % (model, erl_db)
    t_start = time.monotonic()
    off, m_off = echo_call(src, "ec = no\n", "-ecoff")
    on, m_on = echo_call(src, "ec = yes\nec_tail_ms = 64\n", "-econ")
    check_eq(m_off["ec"], "none", "gwctl calls: no canceller with ec = no")
    check(m_on["ec"] == "on", "gwctl calls: canceller on", m_on)
    # the echo without a canceller: the talk level less the ERL, which
    # pstnsim sets for white noise; the models' responses are not flat
    # (d8 returns band-limited noise about 7 dB weaker)
    n = int(SECONDS * 10) - 3  # windows with talk and its echo
    base = power_mean_db(off[3:n])
    check(abs(base - (TALK_DBM0 - erl_db)) < 9, "echo level with ec = no",
          base, off)
    # converged within about 1 s: from then on every window is at least
    # 25 dB below the same window without the canceller
    after = on[10:n]
    # (windows where the echo is there without the canceller: not the
    # pauses)
    worst = max(a - b for a, b in zip(after, off[10:n]) if b > base - 10)
    mean_on = power_mean_db(after)
    check(mean_on <= base - 25, "echo over RTP with ec = yes after 1 s",
          mean_on, base, on)
    check(worst <= -20, "every 100 ms window after 1 s", worst, on)
    # converged: from this window on, every window with echo is 25 dB
    # below the same window without the canceller
    first = n
    while first > 0 and (off[first - 1] <= base - 10 or
                         on[first - 1] <= off[first - 1] - 25):
        first -= 1
    check(first <= 10, "converged within ~1 s", first, on, off)
    erle = m_on.get("ec_erle_db")
    check(erle is not None and erle >= 20, "ERLE in gwctl calls", m_on)
    check(re.search(r" on \d+\.\ddB ", m_on["table"]),
          "gwctl calls table shows the ERLE", m_on["table"])
    check(re.search(r" none ", m_off["table"]),
          "gwctl calls table: no EC", m_off["table"])
    print("  %s: echo %.1f dBm0 without EC, %.1f dBm0 with it after 1 s "
          "(%.1f dB less, worst window %.1f dB), 25 dB below from %d ms on; "
          "gwctl ERLE %.1f dB (before NLP), %d double-talk onsets; "
          "%.1f s" % (src, base, mean_on, base - mean_on, worst,
                      first * 100, erle, m_on["ec_dt_count"],
                      time.monotonic() - t_start))


def goertzel_level(pcm, f):
    """dBm0 of the component of pcm at f (a sine's level)."""
    w = 2 * math.pi * f / 8000.0
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for x in pcm:
        s1, s2 = x + c * s1 - s2, s1
    p = max(s1 * s1 + s2 * s2 - c * s1 * s2, 1e-9)
    amp = 2 * math.sqrt(p) / len(pcm)  # the sine's peak
    return 20 * math.log10(amp / 2 ** 15) + 3.14


def notch_level(pcm, f):
    """Level (dBm0) of pcm without its component at f: the rest power."""
    tot = sum(x * x for x in pcm) / len(pcm)
    sine = (2 ** 15 * 10 ** ((goertzel_level(pcm, f) - 3.14) / 20)) ** 2 / 2
    rest = max(tot - sine, 1e-9)
    return 10 * math.log10(rest / (2 ** 15 / math.sqrt(2)) ** 2) + 3.14


@test
def double_talk_near_end_passes_echo_still_cancelled():
    """G.168 test 3 in outline: once the canceller has converged, the
    hybrid adds a near-end speech stand-in (700 Hz at -12 dBm0, as loud
    as the far end, from 1.5 s on) to the echo: the canceller must keep it
    (level within 1.5 dB) and go on removing the echo around it (the rest
    at least 15 dB lower than without the canceller; the G.711
    quantisation noise of the near-end tone, about -50 dBm0, bounds what
    this measurement can show). A near end much quieter than the far end
    escapes the Geigel detector by design (it assumes ERL >= 6 dB)."""
    src = "d2:10:700:-12:1500"
    res = {}
    for ec in ("no", "yes"):
        s = Rig(NUMBERS % src, tg="ec = %s\n" % ec, name="-dt" + ec)
        peer = RtpPeer(PT_PCMA)
        try:
            u = s.sipp("uac_answer", "+4930300", HOLD_MS=4600,
                       MEDIA_PORT=peer.port).start()
            ok = u.wait_message(8, direction="received", code=200,
                                cseq_method="INVITE")
            talk = speech_like(SECONDS, TALK_DBM0)
            peer.start_sending(sdp_media(ok.body), peer.audio_frames(
                lambda st, n: talk[st:st + n], SECONDS))
            peer.wait_sent()
            media = s.gw.ctl("calls")["calls"][0]["media"]
            check(u.wait(20).ok, "sipp failed")
            t0 = peer.sent_at[0][0]
            pcm = []
            for p in sorted(peer.packets(PT_PCMA), key=lambda p: p.t):
                if p.t >= t0:
                    pcm.extend(peer.audio_of(p))
            body = pcm[int(2.2 * 8000):int(3.8 * 8000)]
            res[ec] = (goertzel_level(body, 700), notch_level(body, 700),
                       media)
        finally:
            peer.close()
    (t_no, r_no, _), (t_yes, r_yes, m) = res["no"], res["yes"]
    check(abs(t_yes + 12) < 1.5, "near-end tone kept", t_yes, t_no)
    check(r_yes <= r_no - 15, "echo cancelled around the near end",
          r_yes, r_no, m)
    print("  double talk: near-end 700 Hz at %.1f dBm0 with EC (%.1f "
          "without); echo and noise around it %.1f dBm0 vs %.1f: %.1f dB "
          "less; ERLE %.1f dB, %d double-talk onsets" % (
              t_yes, t_no, r_yes, r_no, r_no - r_yes, m["ec_erle_db"],
              m["ec_dt_count"]))


@test
def echo_cancelled_d2_erl_10():
    check_cancelled("d2", 10)


@test
def echo_cancelled_d8_erl_6():
    check_cancelled("d8", 6)


TONES = """
[number 30310]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = modem:ansam-pr
sink = none
[number 30311]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = modem:cng
sink = none
[number 30312]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = modem:ced
sink = none
[number 30313]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = silence
sink = record
"""


def tone_call(s, number, frames_fn, seconds, query_s):
    """A call of `seconds` to number, the RTP peer sending frames_fn(peer);
    returns (gwctl calls media at query_s after the 200, the audio
    received over RTP from the 200 on, pstnsim's release event)."""
    peer = RtpPeer(PT_PCMA)
    evs = s.ps.events()
    since = evs[-1]["seq"] if evs else 0
    try:
        u = s.sipp("uac_answer", number, HOLD_MS=int(seconds * 1000),
                   MEDIA_PORT=peer.port).start()
        ok = u.wait_message(8, direction="received", code=200,
                            cseq_method="INVITE")
        t200 = time.monotonic()
        peer.start_sending(sdp_media(ok.body), frames_fn(peer))
        time.sleep(max(0, t200 + query_s - time.monotonic()))
        media = s.gw.ctl("calls")["calls"][0]["media"]
        res = u.wait(20)
        check(res.ok, "sipp failed", res.describe())
        rel = s.ps.wait_event(5, since, type="call_released")
        pk = sorted(peer.packets(PT_PCMA), key=lambda p: p.t)
        pcm = []
        for p in pk:
            if p.t >= t200:
                pcm.extend(peer.audio_of(p))
        return media, pcm, rel
    finally:
        peer.close()


def silence(seconds):
    return lambda peer: peer.audio_frames(lambda st, n: [0] * n, seconds)


@test
def ansam_pr_disables_ec_and_passes_unchanged():
    """V.8 modem answer tone (2100 Hz, 15 Hz AM, phase reversals every
    450 ms) from the PSTN: the G.165/G.168 tone disabler turns the
    canceller off for the call; the tone reaches RTP at its frequency and
    level (spandsp sends it at -12 dBm0); no fax mode."""
    s = Rig(TONES)
    media, pcm, _ = tone_call(s, "+4930310", silence(4.5), 4.5, 3.0)
    check_eq(media["ec"], "off", "canceller state")
    check_eq(media.get("ec_off_by"), "answer-tone", "why off")
    check("ansam-pr" in media["tones"], "ANSam/ reported", media)
    check("fax" not in media, "not fax", media)
    log = s.gw.proc.output()
    check("ansam-pr tone from the PSTN side: echo canceller off" in log,
          "gwd logs the tone", log[-2000:])
    body = pcm[int(2.0 * 8000):int(4.0 * 8000)]
    f, lvl = frequency_hz(body), level_dbm0(body)
    check(abs(f - 2100) < 3, "frequency over RTP", f)
    check(abs(lvl + 11.9) < 0.6, "level over RTP", lvl)
    print("  ANSam/: canceller off, RTP got %.1f Hz at %.1f dBm0 "
          "(sent -11.9)" % (f, lvl))


@test
def fax_tones_switch_to_pass_through_from_either_side():
    s = Rig(TONES)
    # CED and CNG from the PSTN
    for number, want in (("+4930312", "ced"), ("+4930311", "cng")):
        media, pcm, _ = tone_call(s, number, silence(3.0), 3.0, 2.5)
        check_eq(media.get("fax"), want, "fax tone from the PSTN")
        check(want in media["tones"], "tone listed", media)
        check_eq(media["ec"], "off", "canceller off in fax mode")
        check_eq(media.get("ec_off_by"), "fax", "why off")
        check(media.get("jb_fixed_ms", 0) >= 20, "jitter buffer fixed",
              media)
        check("rtp_rx_discarded" in media and "jb_delay_ms" in media,
              "quality figures", media)
        print("  %s from the PSTN: fax pass-through, jitter buffer fixed "
              "at %d ms" % (want.upper(), media["jb_fixed_ms"]))
    # CNG from the SIP side: 0.5 s of 1100 Hz every 3.5 s (T.30 §5.2)

    def cng(peer):
        on = peer.audio_frames(lambda st, n: tone(1100, -10, n, st), 0.5)
        return on + peer.audio_frames(lambda st, n: [0] * n, 2.5)
    media, _, rel = tone_call(s, "+4930313", cng, 3.0, 2.5)
    check_eq(media.get("fax"), "cng", "fax tone from the SIP side")
    check("sip:cng" in media["tones"], "tone listed as from SIP", media)
    check_eq(media["ec"], "off", "canceller off in fax mode")
    heard = [t for t in rel.get("audio", {}).get("tones", [])
             if abs(t["freq_hz"] - 1100) < 20]
    check(heard, "the CNG reached the PSTN", rel.get("audio"))
    log = s.gw.proc.output()
    check("cng tone from the SIP side" in log, "gwd logs it", log[-2000:])
    print("  CNG from SIP: fax pass-through, jitter buffer fixed at %d ms; "
          "PSTN heard %.1f Hz %.1f dBm0" % (media["jb_fixed_ms"],
                                             heard[0]["freq_hz"],
                                             heard[0]["level_dbm0"]))


@test
def pstnsim_rejects_bad_hybrid_and_modem_sources():
    s = Rig(TONES)
    for src, want in (("hybrid:d1:10", "MODEL d2..d8"),
                      ("hybrid:d2:70", "0..60 dB"),
                      ("hybrid:d2:10:5000", "50..3950 Hz"),
                      ("modem:v34", "modem:cng|ced|ans-pr|ansam|ansam-pr")):
        r = s.ps.try_cmd("originate", span=1, called="30555",
                         calling="301234", source=src)
        check(r.get("ok") is False and want in r.get("error", ""),
              "pstnsim refuses %s" % src, r)
    check(s.ps.proc.alive(), "pstnsim still runs")


harness.main()
