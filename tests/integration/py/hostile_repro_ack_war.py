# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Repro (found by hostile_peer.sh): one spoofed SYN starts an ACK war
between xdpgen client and xdpgen server that runs at full speed until the
client's TIME-WAIT ends.

The SYN carries the 4-tuple of a connection the client holds in TIME-WAIT
(it closed first) and the server has already forgotten. The server takes it
as a new connection: SYN-RECEIVED, SYN-ACK to the client. The client, in
TIME-WAIT, finds the SYN-ACK unacceptable and ACKs it (RFC 9293 §3.10.7.4
first check); the server, in SYN-RECEIVED, finds that ACK's sequence number
unacceptable and ACKs it; and so on, each side answering the other's ACK
with one of its own, with no rate limit (Linux limits these to one per
500 ms per socket: net.ipv4.tcp_invalid_ratelimit, RFC 5961 §10), until the
client's TIME-WAIT (--time-wait) or the server's --connect-timeout ends it.

Set-up (from the repository root, as root):
  tools/testbed --prefix hr up
  tools/testbed --prefix hr exec peer build/xdpgen server -i hr1 198.18.0.2:8080 --recv-http \\
      --http-body-size 100 --json /tmp/hr-srv.json &
  # One local port: the first connection completes at once and holds the
  # port in TIME-WAIT for 20 s; the second waits for it (the client stays up).
  tools/testbed --prefix hr exec gen build/xdpgen client -i hr0 198.18.0.2:8080 --http / \\
      --src-port-range 20000-20000 -n 2 --time-wait 20 --quiet &
  sleep 2
  tools/testbed --prefix hr exec gen /usr/bin/python3 tests/integration/py/hostile_repro_ack_war.py --iface hr0
  # then: kill -INT the server; its JSON's rx_packets / tx_packets hold the war's packets.
  tools/testbed --prefix hr down

It sends the one SYN (from the generator's side, 198.18.0.1:20000 ->
198.18.0.2:8080) and counts the frames the interface receives in the
second before and the second after. Prints
    before=N after=N
and exits 1 when more than 1,000 frames arrived in the second after (an ACK
war), 0 otherwise (a fixed engine: a handful of frames).
"""
import argparse
import random
import sys
import time

from scapy.all import IP, TCP, Ether, sendp


def rx_frames(iface):
    with open(f"/sys/class/net/{iface}/statistics/rx_packets") as f:
        return int(f.read())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface", required=True, help="the generator's end of the veth (the client's interface)")
    p.add_argument("--sport", type=int, default=20000, help="the client's local port held in TIME-WAIT")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)

    r0 = rx_frames(a.iface)
    time.sleep(1)
    r1 = rx_frames(a.iface)
    syn = (Ether(src="02:00:c6:12:00:01", dst="02:00:c6:12:00:02") /
           IP(src="198.18.0.1", dst="198.18.0.2") /
           TCP(sport=a.sport, dport=8080, flags="S", seq=rng.getrandbits(32), window=65535))
    sendp(syn, iface=a.iface, verbose=False)
    time.sleep(1)
    r2 = rx_frames(a.iface)
    print(f"before={r1 - r0} after={r2 - r1}", flush=True)
    return 1 if r2 - r1 > 1000 else 0


if __name__ == "__main__":
    sys.exit(main())
