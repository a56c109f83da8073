// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A SYN flood for the server tests: N TCP SYNs from spoofed source
// addresses (a /24 walked in turn) and random ports, written to an
// interface through an AF_PACKET socket, as fast as it takes them. The
// answers go nowhere (the addresses belong to nobody), like a real flood's.
//
// Usage: xg_syn_flood IFNAME DST_MAC SRC_NET(/24, e.g. 198.18.2.0) DST_ADDR DST_PORT COUNT
// Prints "sent=N" at the end.

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "net/addr.hpp"
#include "net/tcp_frame.hpp"

using namespace xdpgen;

int main(int argc, char** argv)
{
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s IFNAME DST_MAC SRC_NET DST_ADDR DST_PORT COUNT\n", argv[0]);
        return 2;
    }
    const unsigned ifindex = if_nametoindex(argv[1]);
    auto dmac = parse_mac(argv[2]);
    auto net = parse_ip(argv[3]);
    auto dst = parse_ip(argv[4]);
    const auto port = static_cast<uint16_t>(std::stoul(argv[5]));
    const uint64_t count = std::stoull(argv[6]);
    if (!ifindex || !dmac || !net || !dst || net->v6 || dst->v6) {
        std::fprintf(stderr, "bad interface, MAC or IPv4 addresses\n");
        return 2;
    }
    const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        std::perror("socket(AF_PACKET)");
        return 1;
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = static_cast<int>(ifindex);
    sll.sll_halen = 6;
    std::memcpy(sll.sll_addr, dmac->b.data(), 6);

    std::mt19937 rng(12345);
    std::vector<uint8_t> frame(256);
    uint64_t sent = 0, waits = 0;
    for (uint64_t i = 0; i < count; i++) {
        TcpFrameEnds e;
        e.src_mac = *parse_mac("02:00:c6:12:ff:01");
        e.dst_mac = *dmac;
        e.src = *net;
        e.src.b[3] = static_cast<uint8_t>(1 + i % 254);
        e.dst = *dst;
        e.src_port = static_cast<uint16_t>(1024 + rng() % 60000);
        e.dst_port = port;
        tcp::Segment syn;
        syn.seq = tcp::SeqNum(static_cast<uint32_t>(rng()));
        syn.flags = tcp::kSyn;
        syn.window = 65535;
        syn.opt.mss = 1460;
        TcpFrameLayout lay;
        if (!write_tcp_frame_headers(frame, e, syn, static_cast<uint16_t>(i), lay))
            return 1;
        tcp_frame_finish(frame, e, lay);
        if (sendto(fd, frame.data(), lay.size, 0, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) < 0) {
            if ((errno == ENOBUFS || errno == EAGAIN) && waits++ < 100000) {
                usleep(100);  // the device queue is full: wait, bounded
                i--;
                continue;
            }
            std::perror("sendto");
            return 1;
        }
        sent++;
    }
    close(fd);
    std::printf("sent=%llu\n", static_cast<unsigned long long>(sent));
    return 0;
}
