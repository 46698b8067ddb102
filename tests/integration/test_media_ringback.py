#!/usr/bin/env python3
"""Local ringback toward SIP callers (SIP->PSTN calls): when the PSTN
alerts without in-band information (ALERTING without progress indicator
1 or 8) and the INVITE carried `P-Early-Media: supported` (RFC 5009), gwd
answers 183 with SDP and `P-Early-Media: sendrecv` and plays the trunk
group's national ringback tone over RTP until CONNECT; the RTP peer
measures the tone's frequencies and cadence (us 440+480 Hz 2 s on 4 s
off, uk 400+450 Hz double ring, de 425 Hz 1 s on 4 s off). A caller
without the header gets a plain 180 and no RTP before the answer."""
import math
import time

from harness import check, check_eq, test
import harness
from rig import Rig
from rtp_peer import PT_PCMA, RtpPeer, frequency_hz, level_dbm0, sdp_media

NUMBERS = """
[number 30400]
behaviour = answer
alert_ms = 0
answer_ms = %d
source = tone:1500:-10
sink = none
"""

SETS = {
    # frequencies, cadence (ms on, off, ...), level per frequency (dBm0)
    "us": ((440, 480), (2000, 4000), -19),
    "uk": ((400, 450), (400, 200, 400, 2000), -19),
    "de": ((425,), (1000, 4000), -13),
}


def goertzel_db(pcm, f):
    """Power of pcm at f in dB relative to its total power."""
    w = 2 * math.pi * f / 8000.0
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for x in pcm:
        s1, s2 = x + c * s1 - s2, s1
    p = s1 * s1 + s2 * s2 - c * s1 * s2
    tot = sum(x * x for x in pcm) * len(pcm) / 2.0
    return 10 * math.log10(p / tot) if p > 0 and tot > 0 else -99.0


def runs(pcm, ms=20):
    """(on, duration ms) runs of 20 ms windows above -40 dBm0."""
    w = ms * 8
    out = []
    for i in range(0, len(pcm) - w + 1, w):
        on = level_dbm0(pcm[i:i + w]) > -40
        if out and out[-1][0] == on:
            out[-1][1] += ms
        else:
            out.append([on, ms])
    return out


def ringing_call(s, early_media, answer_s):
    """A call to the number, the INVITE with or without P-Early-Media;
    returns (18x responses, audio received before the 200, after it)."""
    peer = RtpPeer(PT_PCMA)
    try:
        extra = "P-Early-Media: supported" if early_media else ""
        u = s.sipp("uac_answer", "+4930400", HOLD_MS=1200,
                   MEDIA_PORT=peer.port, EXTRA_HEADERS=extra).start()
        ok = u.wait_message(answer_s + 8, direction="received", code=200,
                            cseq_method="INVITE")
        t200 = time.monotonic()
        # the peer sends a little RTP so symmetric RTP is exercised
        peer.start_sending(sdp_media(ok.body), peer.audio_frames(
            lambda st, n: [0] * n, 1.0))
        res = u.wait(20)
        check(res.ok, "sipp failed", res.describe())
        prov = [m for m in res.find(direction="received",
                                    cseq_method="INVITE")
                if m.code in (180, 183)]
        pk = sorted(peer.packets(PT_PCMA), key=lambda p: p.t)
        before, after = [], []
        for p in pk:
            (before if p.t < t200 else after).extend(peer.audio_of(p))
        return prov, before, after
    finally:
        peer.close()


def check_ringback(tones, answer_s):
    freqs, cadence, lvl = SETS[tones]
    s = Rig(NUMBERS % (answer_s * 1000), tg="tones = %s\n" % tones)
    prov, before, after = ringing_call(s, True, answer_s)
    check([m.code for m in prov] == [183], "one 183, no 180",
          [m.code for m in prov])
    p183 = prov[0]
    check("m=audio" in (p183.body or ""), "183 with SDP", p183.body)
    check_eq((p183.hdr("p-early-media") or "").strip().lower(), "sendrecv",
             "P-Early-Media in the 183")
    check(len(before) >= (answer_s - 1) * 8000, "ringback RTP before the "
          "answer", len(before) / 8000.0)
    rr = runs(before)
    # the cadence: drop the first run (it starts with the 183) and the
    # last (cut by the answer)
    inner = rr[1:-1]
    check(len(inner) >= len(cadence) - 1, "enough cadence runs", rr)
    on_ms = [d for on, d in inner if on]
    off_ms = [d for on, d in inner if not on]
    want_on = [c for i, c in enumerate(cadence) if i % 2 == 0]
    want_off = [c for i, c in enumerate(cadence) if i % 2 == 1]
    for d in on_ms:
        check(any(abs(d - w) <= 60 for w in want_on), "on segment", d,
              want_on, rr)
    for d in off_ms:
        check(any(abs(d - w) <= 60 for w in want_off), "off segment", d,
              want_off, rr)
    check(rr[0][0] and abs(rr[0][1] - cadence[0]) <= 60,
          "the tone starts at once with a whole first segment", rr)
    # frequencies in the first "on" segment
    seg = before[:rr[0][1] * 8][400:-400]
    seg = seg[:8000]
    comp = [goertzel_db(seg, f) for f in freqs]
    for f, c in zip(freqs, comp):
        check(c > -6 - 3 * (len(freqs) - 1), "component at %d Hz" % f, c)
    check(goertzel_db(seg, 1000) < -30, "nothing at 1000 Hz")
    check(abs(level_dbm0(seg) - (lvl + 10 * math.log10(len(freqs)))) < 1.5,
          "ringback level", level_dbm0(seg))
    # after CONNECT: the PSTN's audio, not the ringback
    f_after = frequency_hz(after[1600:])
    check(abs(f_after - 1500) < 15, "B-channel audio after the answer",
          f_after)
    print("  %s: 183 + P-Early-Media: sendrecv; runs %s ms; %s Hz at %s dB "
          "of the power, %.1f dBm0; after 200: %.0f Hz" % (
              tones, "/".join("%s%d" % ("+" if on else "-", d)
                              for on, d in rr),
              "+".join(str(f) for f in freqs),
              "/".join("%.1f" % c for c in comp), level_dbm0(seg),
              f_after))
    return s


@test
def us_ringback_with_p_early_media_and_180_without():
    s = check_ringback("us", 7)
    prov, before, _ = ringing_call(s, False, 7)
    check_eq([m.code for m in prov], [180], "plain 180 without the header")
    check(len(before) < 800, "no RTP before the answer", len(before))
    print("  without P-Early-Media: 180, %d samples before the answer"
          % len(before))


# each answer falls inside an "on" segment, so the PSTN audio that follows
# it joins the last run (dropped as cut by the answer); an answer on a
# segment's edge could leave a 20 ms sliver of "off" before the 200's
# audio, which is the test's timing, not the cadence
@test
def uk_ringback_double_ring():
    check_ringback("uk", 3.8)


@test
def de_ringback():
    check_ringback("de", 5.5)


harness.main()
