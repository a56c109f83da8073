// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Test helper for xsk_steering.sh: opens one AF_XDP socket per RX queue of
// an interface, steers UDP for an address and port range to them, and counts
// what arrives until the duration ends or SIGINT/SIGTERM. Prints "ready" once
// steering is attached, then one line of results:
//   received=N valid=N per_queue=a,b,... steered=N no_socket=N passed=N
// "valid" frames are IPv4/UDP to the address and a port in the range: the
// test checks the program steered only what it should.
//
// With ECHO=echo, every valid frame is also sent back out of the queue it
// came on, addresses and ports swapped and the UDP checksum computed afresh
// (the peer's veth leaves it partial: checksum offload), which exercises the
// TX batch path:
//   ... echoed=N tx_completed=N
//
// Usage: xsk_rx_probe IFNAME ADDR PORT_LO PORT_HI SECONDS [ZERO_COPY=off|auto|on] [echo]

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/if.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "net/addr.hpp"
#include "net/checksum.hpp"
#include "xsk/steering.hpp"
#include "xsk/umem.hpp"
#include "xsk/xsk_socket.hpp"

using namespace xdpgen;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

uint32_t rx_queue_count(const std::string& ifname)
{
    uint32_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + ifname + "/queues", ec))
        if (e.path().filename().string().rfind("rx-", 0) == 0)
            n++;
    return n ? n : 1;
}

int fail(const Error& e)
{
    std::fprintf(stderr, "error: %s%s%s\n", e.message().c_str(), e.hint.empty() ? "" : "; ", e.hint.c_str());
    return 1;
}

// Also guarantees that the IP and UDP headers and the UDP length lie
// within the frame, which build_echo relies on.
bool valid(const uint8_t* p, uint32_t len, uint32_t addr_be, uint16_t lo, uint16_t hi)
{
    if (len < sizeof(ethhdr) + sizeof(iphdr) + sizeof(udphdr))
        return false;
    const auto* eth = reinterpret_cast<const ethhdr*>(p);
    const auto* ip = reinterpret_cast<const iphdr*>(p + sizeof(ethhdr));
    if (eth->h_proto != htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP || ip->daddr != addr_be || ip->ihl < 5)
        return false;
    const uint32_t l4 = sizeof(ethhdr) + ip->ihl * 4u;
    if (l4 + sizeof(udphdr) > len)
        return false;
    const auto* udp = reinterpret_cast<const udphdr*>(p + l4);
    if (ntohs(udp->len) < sizeof(udphdr) || l4 + ntohs(udp->len) > len)
        return false;
    uint16_t port = ntohs(udp->dest);
    return port >= lo && port <= hi;
}

// Builds the reply in place in the TX frame: a copy with both ends swapped.
void build_echo(uint8_t* out, const uint8_t* in, uint32_t len)
{
    std::memcpy(out, in, len);  // valid() checked the headers are within len
    auto* eth = reinterpret_cast<ethhdr*>(out);
    auto* ip = reinterpret_cast<iphdr*>(out + sizeof(ethhdr));
    auto* udp = reinterpret_cast<udphdr*>(out + sizeof(ethhdr) + ip->ihl * 4u);
    std::swap(eth->h_source, eth->h_dest);
    std::swap(ip->saddr, ip->daddr);
    std::swap(udp->source, udp->dest);
    // The IPv4 header checksum survives the swap (the sum does not depend on
    // word order); the UDP one is recomputed over pseudo-header and datagram.
    const uint16_t udp_len = ntohs(udp->len);
    const uint16_t proto_len[2] = {htons(IPPROTO_UDP), htons(udp_len)};
    udp->check = 0;
    uint32_t sum = csum_partial(&ip->saddr, 8);
    sum = csum_partial(proto_len, sizeof(proto_len), sum);
    sum = csum_partial(udp, udp_len, sum);
    udp->check = csum_finish(sum);
    if (udp->check == 0)
        udp->check = 0xffff;  // RFC 768: zero means "no checksum"
}

// Declared so the link goes first, then the sockets, then their UMEMs.
struct Queues {
    std::vector<std::unique_ptr<Umem>> umems;
    std::vector<std::unique_ptr<XskSocket>> socks;
    std::unique_ptr<Steering> steering;
};

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 6) {
        std::fprintf(stderr, "usage: %s IFNAME ADDR PORT_LO PORT_HI SECONDS [off|auto|on]\n", argv[0]);
        return 2;
    }
    const std::string ifname = argv[1];
    auto addr = parse_ip(argv[2]);
    const auto lo = static_cast<uint16_t>(std::stoul(argv[3]));
    const auto hi = static_cast<uint16_t>(std::stoul(argv[4]));
    const double seconds = std::stod(argv[5]);
    auto zc = parse_zero_copy(argc > 6 ? argv[6] : "off");
    const bool echo = argc > 7 && std::string(argv[7]) == "echo";
    if (!addr || addr->v6 || !zc) {
        std::fprintf(stderr, "bad address or zero-copy setting\n");
        return 2;
    }
    const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (!ifindex)
        return fail(sys_error("no interface " + ifname, errno));
    const uint32_t nq = rx_queue_count(ifname);

    Queues q;
    for (uint32_t i = 0; i < nq; i++) {
        auto u = Umem::create({}, ifname + " queue " + std::to_string(i));
        if (!u)
            return fail(u.error());
        auto s = XskSocket::create(*u.value(), {.ifname = ifname, .queue = i, .zero_copy = *zc});
        if (!s)
            return fail(s.error());
        q.umems.push_back(std::move(u.value()));
        q.socks.push_back(std::move(s.value()));
    }
    auto st = Steering::load({.ifname = ifname, .ifindex = ifindex, .mode = XdpMode::Native, .local_v4 = *addr,
                              .port_lo = lo, .port_hi = hi, .udp = true, .queues = nq});
    if (!st)
        return fail(st.error());
    q.steering = std::make_unique<Steering>(std::move(st.value()));
    for (const auto& s : q.socks)
        if (auto r = q.steering->add_socket(s->queue(), s->fd()); !r)
            return fail(r.error());
    if (auto r = q.steering->attach(); !r)
        return fail(r.error());

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("ready queues=%u zero_copy=%d\n", nq, q.socks[0]->zero_copy() ? 1 : 0);
    std::fflush(stdout);

    std::vector<uint64_t> per_queue(nq, 0);
    uint64_t received = 0, good = 0, echoed = 0, completed = 0;
    std::vector<XskDesc> batch(64), tx(64);
    std::vector<pollfd> pfds;
    for (const auto& s : q.socks)
        pfds.push_back({s->fd(), POLLIN, 0});
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!g_stop && std::chrono::steady_clock::now() < end) {
        bool any = false;
        for (uint32_t i = 0; i < nq; i++) {
            XskSocket& s = *q.socks[i];
            completed += s.tx_complete();
            size_t n = s.rx_batch(batch);
            size_t ntx = echo ? s.tx_reserve(std::span<XskDesc>(tx.data(), n)) : 0;
            size_t used = 0;
            for (size_t k = 0; k < n; k++) {
                const uint8_t* p = s.umem().data(batch[k].addr);
                bool ok = valid(p, batch[k].len, addr->v4_be(), lo, hi);
                good += ok;
                if (ok && used < ntx) {  // the others stay at len 0: cancelled
                    build_echo(s.umem().data(tx[used].addr), p, batch[k].len);
                    tx[used++].len = batch[k].len;
                }
            }
            if (auto r = s.tx_submit(std::span<const XskDesc>(tx.data(), ntx)); !r)
                return fail(r.error());
            echoed += used;
            s.rx_release(std::span<const XskDesc>(batch.data(), n));
            received += n;
            per_queue[i] += n;
            any = any || n;
            if (!n)
                if (auto r = s.rx_wakeup(); !r)
                    return fail(r.error());
        }
        if (!any)
            poll(pfds.data(), pfds.size(), 50);  // EINTR on a signal is fine: the loop checks g_stop
    }

    // The last replies' completions: bounded wait.
    for (int i = 0; echo && completed < echoed && i < 100; i++) {
        for (auto& s : q.socks)
            completed += s->tx_complete();
        if (completed < echoed)
            poll(nullptr, 0, 10);
    }

    xg_steer_counters c = q.steering->counters();
    std::string pq;
    for (uint32_t i = 0; i < nq; i++)
        pq += (i ? "," : "") + std::to_string(per_queue[i]);
    std::printf("received=%llu valid=%llu per_queue=%s steered=%llu no_socket=%llu passed=%llu echoed=%llu "
                "tx_completed=%llu\n",
                (unsigned long long)received, (unsigned long long)good, pq.c_str(), (unsigned long long)c.steered,
                (unsigned long long)c.no_socket, (unsigned long long)c.passed, (unsigned long long)echoed,
                (unsigned long long)completed);
    return 0;
}
