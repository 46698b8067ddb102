"""A small RTP peer for media tests (Python standard library only).

RtpPeer binds a UDP socket on 127.0.0.1, receives every RTP packet in a
thread (arrival time, header, payload) and can send a generated G.711 tone
every 20 ms (RFC 3550 §5.1 header, RFC 3551 PCMU/PCMA) and RFC 4733
telephone-events toward an address. The analysis helpers measure a tone's
frequency (zero crossings) and level (RMS, dBm0) and collect the digits of
received RFC 4733 events.
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


class RtpPeer:
    """One RTP endpoint on 127.0.0.1 (port chosen by the kernel)."""

    def __init__(self, pt=PT_PCMA, te_pt=101):
        self.pt, self.te_pt = pt, te_pt
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.rx = []
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.sent = 0
        self.dropped = 0
        self.sent_at = []  # (monotonic time, first sample's timestamp)
        self.seq = random.randrange(65536)
        self.ts = random.randrange(1 << 32)
        self.ssrc = random.randrange(1 << 32)
        self.first = True
        self.tx_thread = None
        self.rx_thread = threading.Thread(target=self._rx, daemon=True)
        self.rx_thread.start()

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
