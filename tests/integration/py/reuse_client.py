# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A kernel TCP client that opens N connections one after another from the
same local address and port (so each reuses the 4-tuple of the one before),
reads each answer to its end and closes. Prints the slowest connect:
    connections=N bytes=N worst_connect_ms=N
Usage: reuse_client.py LOCAL_ADDR LOCAL_PORT SERVER_ADDR SERVER_PORT N"""
import errno
import socket
import sys
import time

local, lport, server, sport, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
family = socket.AF_INET6 if ":" in server else socket.AF_INET
worst = 0.0
total = 0
for i in range(n):
    # The previous incarnation may linger a moment in LAST-ACK: the same
    # 4-tuple cannot connect until it is gone (bounded wait, not timed).
    deadline = time.monotonic() + 5
    while True:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(10)
        s.bind((local, lport))
        start = time.monotonic()
        try:
            s.connect((server, sport))
            break
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRNOTAVAIL or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    worst = max(worst, time.monotonic() - start)
    while True:
        d = s.recv(65536)
        if not d:
            break
        total += len(d)
    s.close()
print(f"connections={n} bytes={total} worst_connect_ms={worst * 1000:.0f}", flush=True)
