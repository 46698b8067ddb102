#!/usr/bin/env python3
"""RTCP (RFC 3550 §6) between gwd and a Python RTP/RTCP peer (rtp_peer.py)
on the SIP side of a sipp call to pstnsim: gwd's compound SR (SR, SDES
CNAME), its sender counts against the RTP received, its report block on
the peer's stream with every 10th packet lost, LSR echoed from the peer's
SR, the BYE at the end; and the peer's own SR with a report block on
gwd's stream (loss, LSR/DLSR) as gwd's peer loss and round-trip time in
`gwctl calls`."""
import struct
import time

from harness import check, check_eq, test
import harness
from rig import Rig
from rtp_peer import (PT_PCMA, RTCP_BYE, RTCP_SDES, RTCP_SR, RtpPeer,
                      sdp_media, tone)

NUMBERS = """
[number 30200]
behaviour = answer
alert_ms = 0
answer_ms = 100
source = tone:1500:-10
sink = record
"""

HOLD_MS = 12000
RX_DROP_EVERY = 25  # the loss the peer claims on gwd's stream: 4 %
DLSR_LESS_MS = 50   # a path that much longer, for gwd's RTT


def check_compound(r, gw_ssrc):
    """gwd's compound packet: version 2 throughout, an SR first (RTP
    stream's SSRC), then SDES with a CNAME of the same SSRC."""
    check(all(v == 2 for v, _, _, _, _ in r.parts), "version 2", r.parts)
    check_eq(r.parts[0][3], RTCP_SR, "SR first")
    check_eq(r.parts[1][3], RTCP_SDES, "SDES second")
    ssrc = r.sender()[0]
    check_eq(ssrc, gw_ssrc, "SR SSRC is the RTP stream's")
    cn = r.cname()
    check(cn and cn[0] == ssrc and cn[1].startswith("gwd@"), "CNAME", cn)


def check_sender_info(r, peer):
    """Sender info against the RTP that arrived before the SR."""
    _, ntp, rtp_ts, packets, octets = r.sender()
    check(abs(packets - r.rtp_before) <= 5, "SR packet count", packets,
          "received", r.rtp_before)
    check_eq(octets, packets * 160, "SR octet count (20 ms G.711)")
    d = (rtp_ts - r.rtp_last.ts) & 0xFFFFFFFF
    check(d <= 160 * 5, "SR RTP timestamp just after the last packet's", d)
    skew = abs(ntp - r.ntp) / 2.0 ** 32
    check(skew < 0.1, "SR NTP time is its arrival time", skew)


def check_block_on_peer(r, peer, first_seq):
    """The report block on the peer's stream: ~10 % lost."""
    blk = [b for b in r.blocks() if b["ssrc"] == peer.ssrc]
    check(len(blk) == 1, "one report block on the peer's SSRC", r.blocks())
    b = blk[0]
    idx = (b["ext_max"] - first_seq) & 0xFFFF
    want = (idx + 1) // 10
    check(abs(b["cum_lost"] - want) <= 1, "cumulative loss", b, want)
    check(18 <= b["fraction"] <= 34, "fraction lost ~10 % (x/256)", b)
    return b


@test
def rtcp_reports_both_ways_loss_and_rtt():
    s = Rig(NUMBERS, sip="session_expires_s = 0\nrtp_timeout_s = 2\n")
    peer = RtpPeer(PT_PCMA, rtcp=True)
    t0 = time.monotonic()
    try:
        u = s.sipp("uac_answer", "+4930200", HOLD_MS=HOLD_MS,
                   MEDIA_PORT=peer.port).start()
        ok = u.wait_message(8, direction="received", code=200,
                            cseq_method="INVITE")
        addr, port = sdp_media(ok.body)
        check(addr and port, "media address in the 200", ok.body)
        frames = peer.audio_frames(
            lambda st, n: tone(1004, -10, n, st), (HOLD_MS - 600) / 1000.0)
        first_seq = frames[0][4]
        peer.start_sending((addr, port), frames, drop_every=10)
        rtcp_dest = (addr, port + 1)
        answered, media = set(), None
        # the peer answers each report of gwd 300 ms later with its SR
        while time.monotonic() - t0 < HOLD_MS / 1000.0 - 0.5:
            time.sleep(0.1)
            for r in peer.rtcp_packets():
                if id(r) in answered or time.monotonic() - r.t < 0.3:
                    continue
                answered.add(id(r))
                if r.sender():
                    peer.send_rtcp_sr(rtcp_dest, r.sender()[0], r,
                                      RX_DROP_EVERY, DLSR_LESS_MS)
                    peer.rtcp_sock.sendto(b"\x80\xc9\x00\x05junk",
                                          rtcp_dest)
            calls = s.gw.ctl("calls")["calls"]
            if calls and "rtt_us" in calls[0].get("media", {}):
                media = calls[0]["media"]
        res = u.wait(20)
        check(res.ok, "call ended by sipp's BYE", res.describe())
        time.sleep(0.5)
        reports = peer.rtcp_packets()
        check(len(reports) >= 2, "reports from gwd", len(reports))
        for r in reports:
            check_eq(r.src, rtcp_dest, "RTCP from gwd's RTP port + 1")
        gw_ssrc = peer.packets(PT_PCMA)[0].ssrc
        srs = [r for r in reports if r.sender()]
        check(srs, "SRs from gwd", [r.parts for r in reports])
        for r in srs:
            check_compound(r, gw_ssrc)
        check_sender_info(srs[0], peer)
        b = check_block_on_peer(srs[0], peer, first_seq)
        # a report after the peer's first SR echoes it as LSR
        sent_ntp = peer.rtcp_sent[0][0]
        later = [r for r in srs if r.t > t0 and any(
            x["lsr"] == (sent_ntp >> 16) & 0xFFFFFFFF for x in r.blocks())]
        check(later, "LSR of the peer's SR echoed",
              [r.blocks() for r in srs])
        bye = reports[-1]
        check(bye.part(RTCP_BYE) is not None and
              struct.unpack("!I", bye.part(RTCP_BYE)[:4])[0] == gw_ssrc,
              "BYE at the end", bye.parts)
        # what gwd understood of the peer's report on its stream
        check(media is not None, "rtt_us in gwctl calls")
        sent = peer.rtcp_sent[-1][1]
        check(media["rtcp_rx_packets"] >= 1 and media["rtcp_rx_bad"] >= 1,
              "RTCP counted, the junk as bad", media)
        lost_pm = media["peer_loss_permille"]
        said = [x for _, x in peer.rtcp_sent]
        check(any(lost_pm == (x["fraction"] * 1000 + 128) // 256 and
                  media["peer_cum_lost"] == x["cum_lost"] for x in said),
              "peer-reported loss as the peer sent it", media, said)
        check(abs(lost_pm - 40) <= 6, "peer-reported loss ~4 %", media)
        rtt = media["rtt_us"]
        check(DLSR_LESS_MS * 1000 <= rtt <= (DLSR_LESS_MS + 30) * 1000,
              "round-trip time from LSR/DLSR", rtt)
        tot = s.gw.ctl("media")["counters"]
        check(tot["rtcp_tx_packets"] >= len(reports) and
              tot["rtcp_rx_packets"] >= 1 and tot["rtcp_rx_bad"] >= 1,
              "RTCP counts in gwctl media", tot)
        print("  gwd sent %d reports (%d SR), block on the peer: %d/256 "
              "lost, cum %d; peer said %d/256 -> %d permille, RTT %.1f ms "
              "(%d ms added); last peer block %s" % (
                  len(reports), len(srs), b["fraction"], b["cum_lost"],
                  sent["fraction"], lost_pm, rtt / 1000.0, DLSR_LESS_MS,
                  {k: sent[k] for k in ("fraction", "cum_lost")}))
    finally:
        peer.close()


harness.main()
