# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Hostile peer: fuzzed TCP frames at an xdpgen engine (server or client),
sent with scapy's sendp on one end of the test bed's veth, paced, for a
bounded time. Frames aim at real 4-tuples: a destination port the engine
steers (the server's listening port, or the client's --src-port-range) from
source ports that live connections use, plus some random ports.

Kinds (each picked at random per frame, v4 or v6 when both are given):
  flags       random flag byte, random seq/ack/window, valid options, some payload
  ctl         SYN, RST, FIN and their mixes with ACK (or SYN+FIN, SYN+RST, no flags)
              at random sequence numbers: met by flows in whatever state they are in
  opt_badlen  options of length 0 or 1, overlong, cut after the kind byte, known
              kinds with wrong lengths, unknown kinds, garbage after EOL
  doff        data offset 0-15 over 20-60 header bytes (below 5, beyond the segment)
  trunc_ip    cut inside the IPv4/IPv6 header, IP length beyond the frame or below
              the TCP header
  trunc_tcp   cut inside the TCP header (IP length cut to match, or left whole)
  trunc_opt   cut inside the options (likewise)
  sack        SACK blocks beyond anything sent, reversed, empty, huge (2^31, 2^32-1)
  window      zero windows; SYN / SYN-ACK with window scale 14-255 and odd MSS
  bad_csum    a frame of the kinds above with a wrong TCP checksum
  ip_opts     IPv4 options (NOP, record route, timestamp, router alert, garbage)
  ip_frag     IPv4 fragments (a first one is steered by its ports and counted
              invalid by the engine; later ones are left to the kernel)

For each frame the script also decides, from its bytes alone, what the engine
must do with it (an independent model of bpf/steer.bpf.c's verdict and of
parse_tcp_frame + tcp::parse_tcp): left to the kernel ("passed"), counted as
rx_invalid ("invalid"), or taken as a segment ("valid"). It prints:
    seed=S
    kind NAME N                  (one line per kind)
    ipv6=N
    sent=N elapsed_s=T
    expect_passed=N expect_invalid=N expect_valid=N
The run stops after --count frames or --max-seconds, whichever comes first.

Replay: the same --seed and arguments send the same frames; --pcap FILE keeps
them; --replay FILE sends a pcap's frames instead of fuzzing.
"""
import argparse
import ipaddress
import random
import struct
import sys
import time

from scapy.all import Ether, Raw, conf, rdpcap, sendp, wrpcap  # python3-scapy (Debian 12: 2.5)
from scapy.layers.inet import IPOption_NOP, IPOption_Router_Alert, IPOption_RR, IPOption_Timestamp
from scapy.utils import checksum

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
CTL = [SYN, RST, FIN, SYN | ACK, RST | ACK, FIN | ACK, SYN | FIN, SYN | RST, FIN | PSH | URG, ACK | PSH,
       SYN | FIN | RST | ACK, 0, ACK]


def ports(spec):
    """'20000-20099,32768-60999' or '8080' -> list of (lo, hi)."""
    out = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


class Fuzzer:
    def __init__(self, a, rng):
        self.a, self.rng = a, rng
        self.src_ports, self.dst_ports = ports(a.src_ports), ports(a.dst_ports)
        self.v6 = bool(a.src6 and a.dst6)
        mac = lambda m: bytes.fromhex(m.replace(":", ""))
        self.eth4 = mac(a.dst_mac) + mac(a.src_mac) + b"\x08\x00"
        self.eth6 = mac(a.dst_mac) + mac(a.src_mac) + b"\x86\xdd"
        self.src4, self.dst4 = ipaddress.ip_address(a.src4).packed, ipaddress.ip_address(a.dst4).packed
        if self.v6:
            self.src6, self.dst6 = ipaddress.ip_address(a.src6).packed, ipaddress.ip_address(a.dst6).packed

    # -- small pieces ---------------------------------------------------
    def u32(self):
        return self.rng.getrandbits(32)

    def port(self, spec):
        r = self.rng
        if r.random() < 0.1:
            return r.randrange(1, 65536)  # anybody's: no flow, or not steered at all
        lo, hi = r.choice(spec)
        return r.randint(lo, hi)

    def payload(self):
        return self.rng.randbytes(self.rng.choice([0, 0, 0, 1, 7, 64, 300]))

    def ts_opt(self):
        return b"\x01\x01\x08\x0a" + struct.pack("!II", self.u32(), self.u32())

    def good_opts(self):
        r = self.rng
        return r.choice([b"", self.ts_opt(), b"\x02\x04" + struct.pack("!H", r.choice([0, 1, 536, 1460, 65535])),
                         b"\x01\x03\x03" + bytes([r.randrange(256)]) + b"\x04\x02\x01\x01"])

    @staticmethod
    def pad4(opts, fill=b"\x00"):
        return opts + fill * (-len(opts) % 4)

    def tcp(self, src, dst, sport, dport, flags, seq, ack, win, opts=b"", data=b"", doff=None, urp=0):
        """TCP header + options + payload with a correct checksum. doff None:
        the options padded to 4 bytes with EOL and the offset to match."""
        if doff is None:
            opts = self.pad4(opts)
            doff = (20 + len(opts)) // 4
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff, (doff & 15) << 4,
                          flags, win, 0, urp) + opts
        seg = hdr + data
        if len(src) == 4:
            pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
        else:
            pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
        c = checksum(pseudo + seg)
        return seg[:16] + struct.pack("!H", c) + seg[18:]

    def frame(self, l4, v6, ip_opts=b"", frag=0):
        """Ethernet + IPv4 (options: raw bytes, padded with EOL; frag: the
        flags/offset field) or IPv6 + l4. Built by hand: scapy's layers cost
        ~1 ms a frame here, too slow for tens of thousands."""
        if v6:
            l3 = struct.pack("!IHBB", 6 << 28, len(l4), 6, 64) + self.src6 + self.dst6
            return self.eth6 + l3 + l4
        opts = self.pad4(ip_opts)[:40]
        ihl = 20 + len(opts)
        hdr = bytearray(struct.pack("!BBHHHBBH", 0x40 | ihl // 4, 0, ihl + len(l4), self.rng.randrange(65536),
                                    0x4000 if frag == 0 else frag, 64, 6, 0) + self.src4 + self.dst4 + opts)
        struct.pack_into("!H", hdr, 10, checksum(bytes(hdr)))
        return self.eth4 + bytes(hdr) + l4

    def ends(self, v6):
        return (self.src6, self.dst6) if v6 else (self.src4, self.dst4)

    def seg(self, v6, flags=None, opts=None, data=None, win=None, **kw):
        r = self.rng
        src, dst = self.ends(v6)
        flags = r.randrange(256) if flags is None else flags
        if self.a.no_bare_syn and flags & SYN and not flags & (ACK | RST):
            flags |= ACK  # see --no-bare-syn
        return self.tcp(src, dst, self.port(self.src_ports), self.port(self.dst_ports), flags, self.u32(), self.u32(),
                        r.randrange(65536) if win is None else win,
                        self.good_opts() if opts is None else opts, self.payload() if data is None else data, **kw)

    @staticmethod
    def set_ip_len(f, v6, l3_payload_len):
        """Rewrites the IP length field (IPv4: header checksum too)."""
        b = bytearray(f)
        if v6:
            struct.pack_into("!H", b, 14 + 4, l3_payload_len & 0xffff)
        else:
            ihl = (b[14] & 15) * 4
            struct.pack_into("!H", b, 14 + 2, (ihl + l3_payload_len) & 0xffff)
            struct.pack_into("!H", b, 14 + 10, 0)
            struct.pack_into("!H", b, 14 + 10, checksum(bytes(b[14:14 + ihl])))
        return bytes(b)

    # -- the kinds ----------------------------------------------------------
    def k_flags(self, v6):
        return self.frame(self.seg(v6), v6)

    def k_ctl(self, v6):
        return self.frame(self.seg(v6, flags=self.rng.choice(CTL), opts=self.rng.choice([b"", self.ts_opt()])), v6)

    def k_opt_badlen(self, v6):
        r = self.rng
        kind = r.choice([2, 3, 4, 5, 8, 30, 34, 253, r.randrange(2, 256)])
        v = r.randrange(8)
        lead = r.choice([b"", b"\x01", b"\x01\x01", self.ts_opt()])
        if v == 0:  # length 0
            opts = lead + bytes([kind, 0]) + b"\x01\x01"
        elif v == 1:  # length 1
            opts = lead + bytes([kind, 1]) + b"\x01\x01"
        elif v == 2:  # overlong: its length runs past the end of the header
            head = self.pad4(lead, b"\x01")
            body = r.randbytes(r.randrange(0, 6))
            room = len(self.pad4(head + b"\x00\x00" + body)) - len(head)
            opts = self.pad4(head + bytes([kind, r.randint(room + 1, 255)]) + body, b"\x01")
        elif v == 3:  # cut after the kind byte: the header ends there
            opts = self.pad4(lead, b"\x01") + b"\x01\x01\x01" + bytes([kind])
        elif v == 4:  # known kinds with the wrong length (skipped by length: valid)
            opts = lead + r.choice([b"\x02\x03\x05", b"\x02\x06\x05\xb4\x00\x00", b"\x03\x02", b"\x03\x04\x0e\x00",
                                    b"\x04\x03\x00", b"\x05\x03\x00", b"\x05\x0b" + bytes(9), b"\x08\x09" + bytes(7),
                                    b"\x08\x0c" + bytes(10)])
        elif v == 5:  # unknown kinds of every length that fits
            opts = lead + bytes([kind if kind not in (2, 3, 4, 5, 8) else 99, 2 + (n := r.randrange(0, 10))]) + bytes(n)
        elif v == 6:  # garbage after EOL (ignored)
            opts = lead + b"\x00" + r.randbytes(r.randrange(1, 12))
        else:  # the 40-byte maximum of NOPs, then one more option that cannot fit
            opts = b"\x01" * 38 + bytes([kind, r.choice([2, 3, 4, 10])])
        opts = opts[:40]
        return self.frame(self.seg(v6, flags=r.choice(CTL), opts=opts), v6)

    def k_doff(self, v6):
        r = self.rng
        extra = bytes(r.choice([1, r.getrandbits(8)]) for _ in range(r.randrange(0, 41)))
        return self.frame(self.seg(v6, flags=r.choice(CTL), opts=extra, data=b"", doff=r.randrange(16)), v6)

    def k_trunc_ip(self, v6):
        r = self.rng
        f = self.frame(self.seg(v6, flags=r.choice(CTL)), v6)
        hl = 40 if v6 else 20
        v = r.randrange(3)
        if v == 0:  # cut inside the IP header
            return f[:14 + r.randrange(0, hl)]
        if v == 1:  # the IP length claims more than the frame holds
            return self.set_ip_len(f, v6, len(f) - 14 - hl + r.randint(1, 1500))
        return self.set_ip_len(f, v6, r.randrange(0, 20))  # less than a TCP header

    def k_trunc_tcp(self, v6):
        r = self.rng
        f = self.frame(self.seg(v6, flags=r.choice(CTL), opts=b"", data=b""), v6)
        hl = 40 if v6 else 20
        cut = r.randrange(0, 20)
        f = f[:14 + hl + cut]
        return self.set_ip_len(f, v6, cut) if r.random() < 0.5 else f

    def k_trunc_opt(self, v6):
        r = self.rng
        opts = r.choice([self.ts_opt(), self.ts_opt() + b"\x01\x01\x05\x0a" + bytes(8), b"\x02\x04\x05\xb4" * 2,
                         b"\x01" * 40])
        f = self.frame(self.seg(v6, flags=r.choice(CTL), opts=opts, data=self.payload()), v6)
        hl = 40 if v6 else 20
        cut = r.randrange(21, 20 + len(self.pad4(opts)))
        f = f[:14 + hl + cut]
        return self.set_ip_len(f, v6, cut) if r.random() < 0.5 else f

    def k_sack(self, v6):
        r = self.rng
        with_ts = r.random() < 0.5
        blocks = []
        for _ in range(r.randint(1, 3 if with_ts else 4)):
            left = self.u32()
            right = r.choice([left + r.randint(1, 1 << 20),  # beyond anything sent (random base)
                              left - r.randint(1, 1 << 20),  # reversed
                              left,                          # empty
                              left + (1 << 31), left + 0xffffffff, left + (1 << 31) - 1])  # huge
            blocks.append(struct.pack("!II", left & 0xffffffff, right & 0xffffffff))
        opts = (self.ts_opt() if with_ts else b"") + b"\x01\x01\x05" + bytes([2 + 8 * len(blocks)]) + b"".join(blocks)
        return self.frame(self.seg(v6, flags=r.choice([ACK, ACK, ACK | PSH, ACK | FIN, ACK | RST]), opts=opts), v6)

    def k_window(self, v6):
        r = self.rng
        if r.random() < 0.5:  # zero window
            return self.frame(self.seg(v6, flags=r.choice([ACK, ACK | PSH, ACK | FIN]), win=0), v6)
        opts = (b"\x02\x04" + struct.pack("!H", r.choice([0, 1, 64, 65535, r.randrange(65536)])) +
                b"\x01\x03\x03" + bytes([r.randint(14, 255)]) + b"\x01\x01\x04\x02" +
                (self.ts_opt() if r.random() < 0.5 else b""))
        return self.frame(self.seg(v6, flags=r.choice([SYN, SYN | ACK]), opts=opts, data=b"", win=65535), v6)

    def k_bad_csum(self, v6):
        r = self.rng
        f = bytearray(r.choice([self.k_flags, self.k_ctl, self.k_sack, self.k_window])(v6))
        off = 14 + (40 if v6 else (f[14] & 15) * 4) + 16
        f[off] ^= r.randint(1, 255)
        return bytes(f)

    def k_ip_opts(self, v6):
        r = self.rng
        # Scapy's option classes, some with lengths their bytes do not have.
        opts = r.choice([[IPOption_NOP()] * r.randint(1, 40), [IPOption_RR(length=r.choice([3, 7, 11, 39]))],
                         [IPOption_Timestamp(length=r.choice([4, 12, 40]))], [IPOption_Router_Alert()],
                         [Raw(load=r.randbytes(r.randrange(1, 41)))]])
        return self.frame(self.seg(False, flags=r.choice(CTL)), False, ip_opts=b"".join(bytes(o) for o in opts))

    def k_ip_frag(self, v6):
        r = self.rng
        frag = r.choice([0x2000, 0x2000 | r.randrange(1, 8192), r.randrange(1, 8192)])  # MF, MF + offset, last
        return self.frame(self.seg(False, flags=r.choice(CTL)), False, frag=frag)

    KINDS = ["flags", "ctl", "opt_badlen", "doff", "trunc_ip", "trunc_tcp", "trunc_opt", "sack", "window",
             "bad_csum", "ip_opts", "ip_frag"]
    WEIGHTS = [10, 14, 10, 8, 6, 6, 6, 10, 10, 8, 6, 2]

    def one(self):
        kind = self.rng.choices(self.KINDS, self.WEIGHTS)[0]
        v6 = self.v6 and kind not in ("ip_opts", "ip_frag") and self.rng.random() < 0.25
        return kind, v6, getattr(self, "k_" + kind)(v6)


def tcp_csum_acceptable(ip, l4, v6):
    """--rx-csum auto: a valid TCP checksum, or the pseudo header's sum alone
    (left to an offload by a local kernel). RFC 9293 §3.1, RFC 8200 §8.1."""
    if len(l4) < 20:
        return False
    addrs = ip[8:40] if v6 else ip[12:20]
    pseudo = addrs + (struct.pack("!IxxxB", len(l4), 6) if v6 else struct.pack("!xBH", 6, len(l4)))
    if checksum(pseudo + l4) == 0:
        return True
    # scapy's checksum() is the complement of the folded sum; the offload form is the folded sum itself.
    return struct.unpack_from("!H", l4, 16)[0] == (~checksum(pseudo) & 0xFFFF)


def verdict(f, steer, local4, local6):
    """What the engine must do with frame f: 'passed' (steering leaves it to
    the kernel), 'invalid' (steered, not a segment it can parse), 'valid'.
    An independent model of bpf/steer.bpf.c (its parser, bpf/parse.bpf.h, as
    far as these frames go: no tags, no IPv6 extension headers) and of
    parse_tcp_frame + tcp::parse_tcp (src/net/tcp_frame.cpp, src/tcp/segment.cpp),
    with the checksum checked as --rx-csum auto does (Worker::checksum_ok)."""
    if len(f) < 14:
        return "passed"
    eth_type = struct.unpack_from("!H", f, 12)[0]
    ip = f[14:]
    if eth_type == 0x0800:
        # Steering: a whole, consistent header; a datagram cut short is the kernel's.
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return "passed"
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack_from("!H", ip, 2)[0]
        if ihl < 20 or tot < ihl or tot > len(ip):
            return "passed"
        if local4 is None or ip[16:20] != local4 or ip[9] != 6:
            return "passed"
        frag = struct.unpack_from("!H", ip, 6)[0]
        if frag & 0x1fff or tot - ihl < 8:  # a later fragment; no room for the ports
            return "passed"
        dport = struct.unpack_from("!H", ip, ihl + 2)[0]
        if not any(lo <= dport <= hi for lo, hi in steer):
            return "passed"
        # The engine: a first fragment (MF) is no segment.
        if frag & 0x2000 or tot < ihl + 20:
            return "invalid"
        l4 = ip[ihl:tot]
    elif eth_type == 0x86DD:
        if len(ip) < 40 or ip[0] >> 4 != 6:
            return "passed"
        plen = struct.unpack_from("!H", ip, 4)[0]
        if plen > len(ip) - 40:
            return "passed"
        if local6 is None or ip[6] != 6 or ip[24:40] != local6 or plen < 8:
            return "passed"
        dport = struct.unpack_from("!H", ip, 42)[0]
        if not any(lo <= dport <= hi for lo, hi in steer):
            return "passed"
        if plen < 20:
            return "invalid"
        l4 = ip[40:40 + plen]
    else:
        return "passed"
    if not tcp_csum_acceptable(ip, l4, eth_type == 0x86DD):
        return "invalid"
    hlen = (l4[12] >> 4) * 4
    if hlen < 20 or hlen > len(l4):
        return "invalid"
    o = 20
    while o < hlen:
        kind = l4[o]
        if kind == 0:
            break
        if kind == 1:
            o += 1
            continue
        if hlen - o < 2 or l4[o + 1] < 2 or l4[o + 1] > hlen - o:
            return "invalid"
        o += l4[o + 1]
    return "valid"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src4", required=True)
    p.add_argument("--dst4", required=True)
    p.add_argument("--src6")
    p.add_argument("--dst6")
    p.add_argument("--no-v6-target", action="store_true",
                   help="the engine does not serve --dst6 (its frames are the kernel's)")
    p.add_argument("--no-bare-syn", action="store_true",
                   help="give every SYN an ACK: a SYN without ACK or RST meeting a client's connection in "
                        "SYN-SENT is a simultaneous open (RFC 9293 §3.5) that refuses the connection whatever "
                        "its sequence number (py/hostile_repro_simopen.py)")
    p.add_argument("--src-ports", required=True, help="e.g. 20000-20099,32768-60999")
    p.add_argument("--dst-ports", required=True, help="the ports steered to the engine, e.g. 8080")
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--rate", type=float, default=800, help="frames per second")
    p.add_argument("--max-seconds", type=float, default=45)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--pcap", help="write the frames sent to this file")
    p.add_argument("--replay", help="send this pcap's frames (paced) instead of fuzzing")
    p.add_argument("--kinds", help="only these kinds, comma-separated")
    a = p.parse_args()

    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"seed={seed}", flush=True)
    rng = random.Random(seed)
    fz = Fuzzer(a, rng)
    if a.kinds:
        keep = a.kinds.split(",")
        fz.WEIGHTS = [w if k in keep else 0 for k, w in zip(fz.KINDS, fz.WEIGHTS)]

    # Built first (scapy is slow), then sent paced.
    kinds, frames = [], []
    if a.replay:
        frames = [bytes(x) for x in rdpcap(a.replay)][:a.count]
        kinds = ["replay"] * len(frames)
        v6s = [False] * len(frames)
    else:
        v6s = []
        for _ in range(a.count):
            k, v6, f = fz.one()
            kinds.append(k)
            v6s.append(v6)
            frames.append(f)

    local4 = ipaddress.ip_address(a.dst4).packed
    local6 = ipaddress.ip_address(a.dst6).packed if a.dst6 and not a.no_v6_target else None
    steer = ports(a.dst_ports)

    sock = conf.L2socket(iface=a.iface)
    start = time.monotonic()
    sent = 0
    batch = 32
    try:
        while sent < len(frames):
            if time.monotonic() - start > a.max_seconds:
                print(f"stopped at --max-seconds {a.max_seconds:g}", flush=True)
                break
            chunk = frames[sent:sent + batch]
            sendp([Raw(load=f) for f in chunk], socket=sock, verbose=False)
            sent += len(chunk)
            delay = start + sent / a.rate - time.monotonic()  # pacing, not synchronisation
            if delay > 0:
                time.sleep(delay)
    finally:
        sock.close()
    elapsed = time.monotonic() - start

    if a.pcap:
        wrpcap(a.pcap, [Ether(f) for f in frames[:sent]])
    by_kind = {}
    tally = {"passed": 0, "invalid": 0, "valid": 0}
    for k, f in zip(kinds[:sent], frames[:sent]):
        by_kind[k] = by_kind.get(k, 0) + 1
        tally[verdict(f, steer, local4, local6)] += 1
    for k in (fz.KINDS if not a.replay else ["replay"]):
        print(f"kind {k} {by_kind.get(k, 0)}")
    print(f"ipv6={sum(v6s[:sent])}")
    print(f"sent={sent} elapsed_s={elapsed:.1f}")
    print(f"expect_passed={tally['passed']} expect_invalid={tally['invalid']} expect_valid={tally['valid']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
