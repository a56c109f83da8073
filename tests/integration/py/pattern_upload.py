#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The kernel's TCP as a client that uploads xdpgen's byte pattern.

    pattern_upload.py HOST PORT BYTES COUNT

COUNT connections one after another: each sends BYTES bytes of the pattern
(include/xdpgen/pattern.h: byte `off` is (off % 251 + (off >> 16)) mod 256),
shuts down its sending side and reads until the server closes. Prints one
line, "uploaded=N failed=N", N counting connections; exits 0 when it ran.
"""
import socket
import sys


def pattern(n):
    return bytes(((off % 251) + (off >> 16)) & 0xFF for off in range(n))


def upload(host, port, data):
    with socket.create_connection((host, port), timeout=30) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass


def main():
    host, port, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    data = pattern(size)
    ok = failed = 0
    for _ in range(count):
        try:
            upload(host, port, data)
            ok += 1
        except OSError as e:
            print(f"connection failed: {e}", file=sys.stderr)
            failed += 1
    print(f"uploaded={ok} failed={failed}")


if __name__ == "__main__":
    main()
