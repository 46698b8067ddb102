"""A small RTP peer for media tests (Python standard library only).

RtpPeer binds a UDP socket on 127.0.0.1, receives every RTP packet in a
thread (arrival time, header, payload) and can send a generated G.711 tone
every 20 ms (RFC 3550 §5.1 header, RFC 3551 PCMU/PCMA) and RFC 4733
telephone-events toward an address. The analysis helpers measure a tone's
frequency (zero crossings) and level (RMS, dBm0) and collect the digits of
received RFC 4733 events. With rtcp=True it binds an even port pair and
also receives RTCP on port + 1 (RFC 3550 §11) and can answer with its own
compound SR (sender info, a report block about the stream it receives
with LSR/DLSR, SDES CNAME).
"""
import math
import random
import socket
import struct
import threading
import time

PT_PCMU, PT_PCMA = 0, 8
RATE = 8000
# a 0 dBm0 sine in 16-bit linear G.711 terms: the overload point is
# +3.14 dBm0 (A-law) / +3.17 dBm0 (mu-law) at full scale (G.711 Tables 5/6)
DBM0_PEAK = 32767 * 10 ** (-3.14 / 20)


def lin2ulaw(s):
    """16-bit linear sample -> G.711 mu-law byte."""
    sign = 0
    if s < 0:
        sign, s = 0x80, -s
    s = min(s, 32635) + 0x84
    exp = max(0, s.bit_length() - 8)
    exp = min(exp, 7)
    mant = (s >> (exp + 3)) & 0x0F
    return ~(sign | exp << 4 | mant) & 0xFF


def ulaw2lin(u):
    u = ~u & 0xFF
    exp, mant = (u >> 4) & 7, u & 0x0F
    s = (((mant << 3) + 0x84) << exp) - 0x84
    return -s if u & 0x80 else s


def lin2alaw(s):
    """16-bit linear sample -> G.711 A-law byte (even bits inverted)."""
    if s >= 0:
        mask = 0xD5
    else:
        mask, s = 0x55, -s - 1
    s = min(s, 32767)
    seg = max(0, (s | 0xFF).bit_length() - 8)
    if seg >= 8:
        return 0x7F ^ mask
    shift = seg + 3 if seg else 4
    return ((seg << 4) | ((s >> shift) & 0x0F)) ^ mask


def alaw2lin(a):
    a ^= 0x55
    i = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    i = (i + 0x108) << (seg - 1) if seg else i + 8
    return i if a & 0x80 else -i


def encode(pt, samples):
    f = lin2alaw if pt == PT_PCMA else lin2ulaw
    return bytes(f(s) for s in samples)


def decode(pt, payload):
    f = alaw2lin if pt == PT_PCMA else ulaw2lin
    return [f(b) for b in payload]


def tone(freq_hz, dbm0, n, start=0):
    amp = DBM0_PEAK * 10 ** (dbm0 / 20.0)
    w = 2 * math.pi * freq_hz / RATE
    return [int(round(amp * math.sin(w * (start + i)))) for i in range(n)]


def level_dbm0(samples):
    """RMS level of linear samples in dBm0 (-99 for silence)."""
    if not samples:
        return -99.0
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    if rms < 1:
        return -99.0
    return 20 * math.log10(rms / (DBM0_PEAK / math.sqrt(2)))


def frequency_hz(samples):
    """Frequency by zero crossings (first to last rising crossing)."""
    rising = [i for i in range(1, len(samples))
              if samples[i - 1] < 0 <= samples[i]]
    if len(rising) < 2:
        return 0.0
    return (len(rising) - 1) * RATE / float(rising[-1] - rising[0])


class Packet:
    __slots__ = ("t", "src", "marker", "pt", "seq", "ts", "ssrc", "payload")


def parse_rtp(data):
    """An RTP packet (RFC 3550 §5.1) as a Packet, or None."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    p = Packet()
    b0, b1, p.seq, p.ts, p.ssrc = struct.unpack("!BBHII", data[:12])
    off = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:
        if len(data) < off + 4:
            return None
        off += 4 + 4 * struct.unpack("!H", data[off + 2:off + 4])[0]
    end = len(data)
    if b0 & 0x20:
        end -= data[-1]
    if off > end:
        return None
    p.marker = bool(b1 & 0x80)
    p.pt = b1 & 0x7F
    p.payload = data[off:end]
    return p


RTCP_SR, RTCP_RR, RTCP_SDES, RTCP_BYE = 200, 201, 202, 203
NTP_UNIX_OFF = 2208988800


def ntp_now():
    """Wall-clock time as a 64-bit NTP timestamp (32.32)."""
    return int((time.time() + NTP_UNIX_OFF) * (1 << 32))


class Rtcp:
    """One received compound RTCP packet, split into its packets (RFC 3550
    §6.1): parts is a list of (version, padding, count, type, body)."""
    __slots__ = ("t", "ntp", "src", "data", "parts", "rtp_before",
                 "rtp_last")

    def part(self, ptype):
        return next((b for _, _, _, t, b in self.parts if t == ptype), None)

    def sender(self):
        """(ssrc, ntp, rtp_ts, packets, octets) of an SR."""
        b = self.part(RTCP_SR)
        return struct.unpack("!IQIII", b[:24]) if b else None

    def blocks(self):
        """Report blocks of the SR/RR: dicts per RFC 3550 §6.4.1."""
        ptype = self.parts[0][3]
        count, b = self.parts[0][2], self.parts[0][4]
        off = 24 if ptype == RTCP_SR else 4
        out = []
        for i in range(count):
            ssrc, w, ext, jit, lsr, dlsr = struct.unpack(
                "!IIIIII", b[off + 24 * i:off + 24 * i + 24])
            cum = w & 0xFFFFFF
            out.append(dict(ssrc=ssrc, fraction=w >> 24,
                            cum_lost=cum - (1 << 24) if cum & 0x800000
                            else cum, ext_max=ext, jitter=jit, lsr=lsr,
                            dlsr=dlsr))
        return out

    def cname(self):
        """(ssrc, CNAME) of the first SDES chunk, or None."""
        b = self.part(RTCP_SDES)
        if not b or len(b) < 6:
            return None
        ssrc, off = struct.unpack("!I", b[:4])[0], 4
        while off + 2 <= len(b) and b[off] != 0:
            typ, n = b[off], b[off + 1]
            if typ == 1:
                return ssrc, b[off + 2:off + 2 + n].decode("ascii", "replace")
            off += 2 + n
        return None


def parse_rtcp(data):
    """A compound RTCP packet as an Rtcp, or None if its lengths do not add
    up."""
    parts, off = [], 0
    while off + 4 <= len(data):
        b0, ptype, words = struct.unpack("!BBH", data[off:off + 4])
        end = off + 4 * (words + 1)
        if end > len(data):
            return None
        parts.append((b0 >> 6, bool(b0 & 0x20), b0 & 0x1F, ptype,
                      data[off + 4:end]))
        off = end
    if off != len(data) or not parts:
        return None
    r = Rtcp()
    r.data, r.parts = data, parts
    return r


def _bound_pair():
    """Two UDP sockets on 127.0.0.1 at an even port and the next."""
    for _ in range(100):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        if port % 2 == 0 and port < 65535:
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                b.bind(("127.0.0.1", port + 1))
                return a, b
            except OSError:
                b.close()
        a.close()
    raise OSError("no free even port pair")


class RtpPeer:
    """One RTP endpoint on 127.0.0.1 (port chosen by the kernel; with
    rtcp, an even one and RTCP on the next)."""

    def __init__(self, pt=PT_PCMA, te_pt=101, rtcp=False):
        self.pt, self.te_pt = pt, te_pt
        self.rtcp_sock = None
        if rtcp:
            self.sock, self.rtcp_sock = _bound_pair()
            self.rtcp_sock.settimeout(0.2)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.rtcp_rx = []
        self.rtcp_sent = []  # (ntp of our SR, report block we sent)
        self.rx = []
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.sent = 0
        self.dropped = 0
        self.dropped_seqs = []
        self.sent_at = []  # (monotonic time, first sample's timestamp)
        self.seq = random.randrange(65536)
        self.ts = random.randrange(1 << 32)
        self.ssrc = random.randrange(1 << 32)
        self.first = True
        self.tx_thread = None
        self.rx_thread = threading.Thread(target=self._rx, daemon=True)
        self.rx_thread.start()
        self.rtcp_thread = None
        if rtcp:
            self.rtcp_thread = threading.Thread(target=self._rtcp_rx,
                                                daemon=True)
            self.rtcp_thread.start()

    def _rtcp_rx(self):
        while not self.stop_ev.is_set():
            try:
                data, src = self.rtcp_sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            r = parse_rtcp(data)
            if r:
                r.t, r.ntp, r.src = time.monotonic(), ntp_now(), src
                with self.lock:
                    r.rtp_before = len(self.rx)
                    r.rtp_last = self.rx[-1] if self.rx else None
                    self.rtcp_rx.append(r)

    def rtcp_packets(self):
        with self.lock:
            return list(self.rtcp_rx)

    def send_rtcp_sr(self, dest, about, lsr_from=None, rx_drop_every=0,
                     dlsr_less_ms=0):
        """Sends our compound SR + SDES CNAME to dest with one report
        block about SSRC `about`: loss as if every rx_drop_every-th of its
        packets had not arrived, jitter 0, and LSR/DLSR from the received
        SR lsr_from (an Rtcp), DLSR understated by dlsr_less_ms (a longer
        path for the sender to measure). Returns the block as sent."""
        with self.lock:
            pk = [p for p in self.rx if p.ssrc == about]
        blk = dict(ssrc=about, fraction=0, cum_lost=0, ext_max=0, lsr=0,
                   dlsr=0)
        if pk:
            seqs = [unwrap(pk, p) for p in pk]
            expected = max(seqs) + 1
            got = len(pk) - (sum(1 for q in seqs if (q + 1) % rx_drop_every
                                 == 0) if rx_drop_every else 0)
            lost = max(0, expected - got)
            blk.update(fraction=min(255, lost * 256 // expected),
                       cum_lost=lost, ext_max=(pk[0].seq + max(seqs)))
        if lsr_from is not None:
            ntp = lsr_from.sender()[1]
            held = time.monotonic() - lsr_from.t - dlsr_less_ms / 1000.0
            blk.update(lsr=(ntp >> 16) & 0xFFFFFFFF,
                       dlsr=max(0, int(held * 65536)))
        ntp = ntp_now()
        with self.lock:
            octets = self.sent * len(encode(self.pt, [0] * 160))
        sr = struct.pack("!BBHIQIII", 0x81, RTCP_SR, 12, self.ssrc, ntp,
                         self.ts & 0xFFFFFFFF, self.sent, octets)
        sr += struct.pack("!IIIIII", blk["ssrc"],
                          blk["fraction"] << 24 | blk["cum_lost"] & 0xFFFFFF,
                          blk["ext_max"], 0, blk["lsr"], blk["dlsr"])
        cname = b"peer@127.0.0.1"
        chunk = struct.pack("!IBB", self.ssrc, 1, len(cname)) + cname
        chunk += b"\0" * (4 - len(chunk) % 4)
        sdes = struct.pack("!BBH", 0x81, RTCP_SDES, len(chunk) // 4) + chunk
        self.rtcp_sock.sendto(sr + sdes, dest)
        self.rtcp_sent.append((ntp, blk))
        return blk

    def _rx(self):
        while not self.stop_ev.is_set():
            try:
                data, src = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            p = parse_rtp(data)
            if p:
                p.t, p.src = time.monotonic(), src
                with self.lock:
                    self.rx.append(p)

    def packets(self, pt=None):
        with self.lock:
            return [p for p in self.rx if pt is None or p.pt == pt]

    def _frame(self, pt, payload, ts, marker=False):
        """One packet to send: (pt, payload, ts, marker, seq)."""
        f = (pt, payload, ts, marker, self.seq)
        self.seq = (self.seq + 1) & 0xFFFF
        return f

    def _send(self, dest, pt, payload, ts, marker, seq):
        hdr = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt,
                          seq, ts & 0xFFFFFFFF, self.ssrc)
        self.sock.sendto(hdr + payload, dest)
        self.sent += 1

    def _paced(self, dest, frames, jitter_ms=0, drop_every=0):
        """Sends frames (pt, payload, ts, marker) one every 20 ms, each
        delayed by up to jitter_ms more (reordering some), every
        drop_every-th one not at all (loss)."""
        rnd = random.Random(4733)
        t0 = time.monotonic()
        plan = []
        for i, f in enumerate(frames):
            if drop_every and i % drop_every == drop_every - 1:
                self.dropped += 1
                self.dropped_seqs.append(f[4])
                continue
            plan.append((t0 + 0.02 * i + rnd.uniform(0, jitter_ms) / 1000,
                         i, f))
        plan.sort()
        for t, _, f in plan:
            if self.stop_ev.is_set():
                return
            delay = t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.sent_at.append((time.monotonic(), f[2]))
            self._send(dest, *f)

    def audio_frames(self, samples_fn, seconds):
        out = []
        for i in range(int(seconds * 50)):
            out.append(self._frame(self.pt,
                                   encode(self.pt, samples_fn(i * 160, 160)),
                                   self.ts, self.first))
            self.first = False
            self.ts += 160
        return out

    def dtmf_frames(self, digits, tone_ms=100, gap_ms=100):
        """RFC 4733 §2.5: per digit, updates every 20 ms with one
        timestamp (marker on the first), three end packets, then silence
        in the audio stream for the gap."""
        codes = "0123456789*#ABCD"
        out = []
        silence = encode(self.pt, [0] * 160)
        for d in digits:
            ev, start = codes.index(d), self.ts
            n = tone_ms // 20
            for k in range(1, n + 1):
                end = k == n
                pl = struct.pack("!BBH", ev, (0x80 if end else 0) | 10,
                                 160 * k)
                for _ in range(3 if end else 1):
                    out.append(self._frame(self.te_pt, pl, start, k == 1))
                self.ts += 160
            for _ in range(gap_ms // 20):
                out.append(self._frame(self.pt, silence, self.ts))
                self.ts += 160
        return out

    def start_sending(self, dest, frames, jitter_ms=0, drop_every=0):
        """Sends frames to dest in a thread (paced at 20 ms, see
        _paced for the impairments)."""
        self.tx_thread = threading.Thread(
            target=self._paced, args=(dest, frames, jitter_ms, drop_every),
            daemon=True)
        self.tx_thread.start()

    def wait_sent(self, timeout=30):
        if self.tx_thread:
            self.tx_thread.join(timeout)

    def close(self):
        self.stop_ev.set()
        if self.tx_thread:
            self.tx_thread.join(2)
        self.rx_thread.join(2)
        self.sock.close()
        if self.rtcp_sock:
            self.rtcp_thread.join(2)
            self.rtcp_sock.close()

    # ---- analysis of what was received ----

    def audio(self, pt):
        """Linear samples of the received packets of pt, in seq order
        (sequence numbers unwrapped)."""
        pk = self.packets(pt)
        out = []
        for p in sorted(pk, key=lambda p: unwrap(pk, p)):
            out.extend(decode(pt, p.payload))
        return out

    def audio_of(self, p):
        """Linear samples of one packet."""
        return decode(p.pt, p.payload)

    def event_digits(self):
        """Digits of received RFC 4733 events (one per timestamp)."""
        codes = "0123456789*#ABCD"
        seen, digits = set(), ""
        for p in self.packets(self.te_pt):
            if len(p.payload) >= 4 and p.ts not in seen and \
                    p.payload[0] < 16:
                seen.add(p.ts)
                digits += codes[p.payload[0]]
        return digits


def unwrap(pkts, p):
    """p.seq extended past 16-bit wraps relative to the first packet."""
    base = pkts[0].seq
    return (p.seq - base) & 0xFFFF


def sdp_media(body):
    """(address, port) of the audio stream in an SDP body."""
    addr, port = None, None
    for line in (body or "").splitlines():
        line = line.strip()
        if line.startswith("c=IN IP4 "):
            addr = line.split()[2]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    return addr, port
