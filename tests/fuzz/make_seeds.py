#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Writes the seed corpora in corpus/<target>/: a few valid inputs per
target, in the input formats the targets' comments describe, so the fuzzer
starts from what real peers and users send. Run again after changing a
format; crash-* files in the corpora are kept."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- TCP ---------------------------------------------------------------
ACK, FIN, SYN, RST, PSH = 0x10, 0x01, 0x02, 0x04, 0x08


def tcp(seq, ack, flags, wnd=60000, payload=b"", opts=b""):
    opts += b"\x00" * (-len(opts) % 4)
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", 80, 40000, seq, ack, off << 4, flags, wnd, 0, 0) + opts + payload


def ts(val, ecr):
    return b"\x01\x01\x08\x0a" + struct.pack("!II", val, ecr)


def sack(*blocks):
    return b"\x01\x01\x05" + bytes([2 + 8 * len(blocks)]) + b"".join(struct.pack("!II", l, r) for l, r in blocks)


def eth_ipv4(l4):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, 6, 0, bytes([198, 18, 0, 2]),
                     bytes([198, 18, 0, 1]))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + l4


def eth_ipv6(l4, nh=6):
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(l4), nh, 64, b"\xfd" + b"\x00" * 14 + b"\x02",
                     b"\xfd" + b"\x00" * 14 + b"\x01")
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x86\xdd" + ip + l4


def eth_ipv4_udp(payload):
    udp = struct.pack("!HHHH", 9, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 2]),
                     bytes([10, 0, 0, 1]))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + udp


def eth_ipv4_icmp(icmp):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, bytes([198, 18, 0, 254]),
                     bytes([198, 18, 0, 1]))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + icmp


def icmp_error(type_, code, rest, quoted):
    """An ICMP/ICMPv6 error: type, code, checksum 0 (not checked by the parser's shape), 4 bytes, the quote."""
    return struct.pack("!BBH", type_, code, 0) + rest + quoted


def quoted_v4_tcp():
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 7, 0x4000, 64, 6, 0, bytes([198, 18, 0, 1]),
                       bytes([198, 18, 1, 2])) + struct.pack("!HHI", 40000, 80, 0x01020304)


def quoted_v6_tcp():
    return struct.pack("!IHBB16s16s", 0x60000000, 1460, 6, 64, b"\xfd" + b"\x00" * 14 + b"\x01",
                       b"\xfd" + b"\x00" * 14 + b"\x02") + struct.pack("!HHI", 40000, 80, 0x01020304)


def rec_seg(l4, relative=True):
    return bytes([0 | (8 if relative else 0)]) + struct.pack("<H", len(l4)) + l4


def rec_frame(frame, relative=True):
    return bytes([3 | (8 if relative else 0)]) + struct.pack("<H", len(frame)) + frame


def rec_time(ms):
    return bytes([4]) + struct.pack("<H", ms)


REC_DEADLINE = bytes([5])
REC_POLL = bytes([7])


def rec_app_offer(n):
    return bytes([6, 1]) + struct.pack("<H", n)


REC_APP_CLOSE = bytes([6, 0])
REC_SINK_FULL, REC_SINK_FREE = bytes([6, 2 | 4]), bytes([6, 2])

STATES = ["syn_sent", "syn_received", "established", "fin_wait1", "fin_wait2", "close_wait", "last_ack",
          "closing", "time_wait"]


def tcp_seeds():
    for i, st in enumerate(STATES):
        for opts in (False, True):
            o = ts(1000, 0) if opts else b""
            a = i | (0x10 if opts else 0)
            name = f"{st}{'_opts' if opts else ''}"
            # Data in order, out of order (a hole, then filled), a FIN.
            body = (rec_seg(tcp(0, 0, ACK, payload=b"a" * 100, opts=o)) +
                    rec_seg(tcp(300, 0, ACK, payload=b"c" * 100, opts=o)) +
                    rec_seg(tcp(100, 0, ACK, payload=b"b" * 200, opts=o)) +
                    rec_seg(tcp(0, 0, FIN | ACK, opts=o)) + rec_time(40) + REC_DEADLINE)
            write("tcp_connection", f"{name}_data", bytes([a, 0]) + body)
            # The app sends; the peer acknowledges part, SACKs some, then all.
            body = (rec_app_offer(5000) + rec_seg(tcp(0, 1000, ACK, opts=o)) +
                    rec_seg(tcp(0, 0, ACK, opts=o + (sack((2000, 3000)) if opts else b""))) +
                    rec_seg(tcp(0, 0, ACK, opts=o)) + rec_seg(tcp(0, 0, ACK, opts=o)) +
                    rec_time(300) + REC_DEADLINE + rec_seg(tcp(0, 5000, ACK, opts=o)) + REC_APP_CLOSE +
                    rec_seg(tcp(0, 1, FIN | ACK, opts=o)))
            write("tcp_connection", f"{name}_send", bytes([a, 4]) + body)
        # A RST at rcv.nxt, a SYN in window, a zero window, a frame through Ethernet and IPv4.
        body = (rec_seg(tcp(0, 0, ACK, wnd=0)) + rec_app_offer(3000) + REC_DEADLINE + REC_SINK_FULL +
                rec_frame(eth_ipv4(tcp(0, 0, ACK, payload=b"x" * 50))) + REC_SINK_FREE + REC_POLL +
                rec_seg(tcp(5, 0, SYN)) + rec_seg(tcp(0, 0, RST)))
        write("tcp_connection", f"{st}_rst", bytes([i | 0x40, 0x81]) + body)
    # The handshake answered by hand, absolute numbers (ISS 1000).
    write("tcp_connection", "syn_sent_synack_abs",
          bytes([0, 0]) + rec_seg(tcp(7000, 1001, SYN | ACK, opts=b"\x02\x04\x05\xb4"), relative=False) +
          rec_frame(eth_ipv6(tcp(7001, 1001, ACK, payload=b"hello")), relative=False))


def frame_seeds():
    o = b"\x02\x04\x05\xb4" + b"\x04\x02" + ts(1, 0)[2:] + b"\x01\x03\x03\x07"
    write("frame_parse", "ipv4_syn_opts", eth_ipv4(tcp(1, 0, SYN, opts=o)))
    write("frame_parse", "ipv4_ack_sack", eth_ipv4(tcp(1, 2, ACK, opts=ts(5, 6) + sack((10, 20), (30, 40)),
                                                         payload=b"data")))
    write("frame_parse", "ipv6_data", eth_ipv6(tcp(1, 2, ACK | PSH, payload=b"GET / HTTP/1.1\r\n\r\n")))
    write("frame_parse", "ipv4_udp", eth_ipv4_udp(b"x" * 40))
    write("frame_parse", "ipv4_icmp_frag_needed",
          eth_ipv4_icmp(icmp_error(3, 4, struct.pack("!HH", 0, 1280), quoted_v4_tcp())))
    write("frame_parse", "ipv6_icmp_too_big", eth_ipv6(icmp_error(2, 0, struct.pack("!I", 1280), quoted_v6_tcp()), nh=58))
    write("frame_parse", "bare_tcp", tcp(3, 4, FIN | ACK, opts=sack((1, 2), (3, 4), (5, 6), (7, 8))))


# --- HTTP --------------------------------------------------------------
def http_seeds():
    responses = {
        "length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        "interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        "close": b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close",
        "pipelined": b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
        "bare_lf": b"\r\nHTTP/1.1 200\nContent-Length:3\n\nabc",
    }
    for i, (name, data) in enumerate(responses.items()):
        write("http", f"response_{name}", bytes([(i % 3) << 1, 7 * i + 1]) + data)
    requests = {
        "get": b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "post": b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody",
        "chunked": b"PUT /y HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "close": b"GET /a HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
        "http10": b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    }
    for i, (name, data) in enumerate(requests.items()):
        write("http", f"request_{name}", bytes([1, 3 * i + 2]) + data)


# --- programs ----------------------------------------------------------
SEND, RECV, UNTIL_CLOSE, RECV_HTTP, RECV_REQ, DELAY, CLOSE, RESET, LOOP, END = range(10)


def op_send(b):
    return bytes([SEND, len(b) << 1]) + b


def op_pattern(n, shift=0):
    return bytes([SEND, 1 | shift << 1]) + struct.pack("<H", n)


def op_recv(n, shift=0):
    return bytes([RECV, shift]) + struct.pack("<H", n)


def program(flags, ops, peer=b""):
    return bytes([flags, len(ops)]) + b"".join(ops) + peer


def peer_bytes(b):
    return bytes([0, len(b)]) + b


PEER_FIN = bytes([1])
PEER_WAIT = bytes([2 | 4])


def program_seeds():
    get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    write("program", "client_http", program(0, [bytes([LOOP, 3]), op_send(get), bytes([RECV_HTTP]),
                                                 bytes([DELAY, 5]), bytes([END]), bytes([CLOSE])],
                                            peer_bytes(resp) + PEER_WAIT + peer_bytes(resp * 2) + PEER_FIN))
    write("program", "server_forever", program(0, [bytes([LOOP, 0]), bytes([RECV_REQ]), op_send(resp),
                                                    op_pattern(300), bytes([END]), bytes([CLOSE])],
                                               peer_bytes(get) + peer_bytes(get[:10]) + peer_bytes(get[10:]) +
                                               PEER_FIN))
    write("program", "verify_recv", program(1, [op_pattern(1000), op_recv(500), bytes([UNTIL_CLOSE]),
                                                 bytes([CLOSE])], peer_bytes(bytes(range(200))) + PEER_FIN))
    write("program", "nested_loops", program(0, [bytes([LOOP, 2]), op_send(b"ab"), bytes([LOOP, 3]),
                                                  op_recv(1), op_pattern(7), bytes([END]), bytes([END]),
                                                  bytes([RESET])], peer_bytes(b"xyz")))
    write("program", "forever_bytes", program(0, [op_send(b"hello"), bytes([LOOP, 0]), op_recv(4),
                                                   op_send(b"pong"), bytes([END]), op_send(b"bye")],
                                              peer_bytes(b"pingping") + PEER_FIN))


def s(b):
    return bytes([len(b)]) + b


def quick_seeds():
    # client: flags, [send text], [...], g
    write("quick", "client_http", bytes([0, 64]) + s(b"/index.html") + s(b"example.org") + bytes([1]) +
          struct.pack("<H", 10) + b"")
    write("quick", "client_send_recv", bytes([0, 1 | 4 | 32]) + s(b"GET\\r\\n\\x41") + bytes([0]) +
          struct.pack("<H", 100) + bytes([2, 3]))
    write("quick", "server_http_pattern", bytes([1, 4 | 32]) + bytes([0]) + struct.pack("<H", 1000) + bytes([0]))
    write("quick", "server_http_text_close", bytes([1, 2 | 8 | 64 | 128]) + s(b"hello\\n") +
          struct.pack("<H", 404) + bytes([1]))
    write("quick", "server_raw", bytes([1, 1 | 16]) + bytes([0]) + struct.pack("<H", 5) + bytes([0]) +
          struct.pack("<H", 7) + bytes([0]))
    write("quick", "response_head", bytes([2]) + struct.pack("<H", 4) + struct.pack("<H", 12) + s(b"text/plain") +
          bytes([1]))
    write("quick", "escapes", bytes([3]) + s(b"a\\tb\\x7f\\0\\\\\\r\\n"))


def cli_seeds():
    for i, v in enumerate(["198.18.0.1", "fd00::1", "[fd00::1]:80", "10.0.0.1:443", "02:00:00:00:00:01",
                           "02-00-00-00-00-01", "1000-2000", "443", "198.18.0.10-198.18.0.20", "10.0.0.0/24",
                           "fd00::/112", "fd00::1-fd00::ffff", "::ffff:1.2.3.4", "10.1.2.3/31",
                           "delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42", "loss=0.0001%", "delay=1.5us"]):
        write("cli_values", f"value_{i:02d}", v.encode())


# --- connection records (binary) ---------------------------------------
RECORD = struct.Struct("<16s16sHHBBBBHHIIIQQQ9Q")  # src/records/record.hpp, 152 bytes


def records_header(names):
    h = b"XDPGREC\0" + struct.pack("<III", 1, RECORD.size, len(names))
    return h + b"".join(struct.pack("<H", len(n)) + n for n in names)


def record(worker, conn, v6, side, outcome, cause, template, times):
    local = (b"\xfd" + b"\x00" * 14 + b"\x01") if v6 else bytes([198, 18, 0, 1]) + b"\x00" * 12
    remote = (b"\xfd" + b"\x00" * 14 + b"\x02") if v6 else bytes([198, 18, 1, 2]) + b"\x00" * 12
    return RECORD.pack(local, remote, 40000 + conn, 80, v6, side, outcome, cause, template, worker, 1, 0, 0, conn,
                       100, 200, *times)


def records_seeds():
    assert RECORD.size == 152
    names = [b"home", b"api, \"quoted\""]
    recs = (record(0, 0, 0, 0, 0, 0, 1, [1000, 1001, 2000, 3000, 4000, 5000, 6000, 7000, 8000]) +
            record(1, 5, 1, 1, 1, 3, 0xFFFF, [10, 10, 0, 0, 0, 0, 0, 0, 20]))
    write("records", "empty_run", records_header([]))
    write("records", "two_records", records_header(names) + recs)
    write("records", "cut_in_a_record", (records_header(names) + recs)[:-40])


tcp_seeds()
frame_seeds()
http_seeds()
program_seeds()
quick_seeds()
cli_seeds()
records_seeds()
