// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_xsk_tx: the raw AF_XDP transmit limit of an interface, the ceiling
// tools/bench-cps holds xdpgen's packet rate against. One thread per queue
// (from queue 0), each with its own UMEM and AF_XDP socket built from the
// engine's own classes (src/xsk: Umem, XskSocket, the same ring sizes and
// need_wakeup kicks as an engine worker), sends one prebuilt UDP frame over
// and over, as fast as the kernel takes it: no per-packet work at all, only
// descriptors. The peer needs something receiving (on veth: an XDP program,
// e.g. an XDP_DROP; without one the peer's kernel stack takes the frames).
//
//   xg_xsk_tx -i IFACE -d SECONDS [-t THREADS] [--cpus LIST]
//             [-m DST_MAC] [-a DST_ADDR] [-s FRAME_SIZE] [--zero-copy auto|on|off]
//
// Prints one JSON line:
//   {"packets":N,"seconds":..,"pps":..,"threads":T,"cpu_s":..,"zero_copy":false,
//    "per_thread":[{"queue":0,"packets":N},...]}
// "packets" are the frames the kernel completed (took from the TX ring and
// handed to the driver) within the run; "cpu_s" is the process's user+system
// time (softirq work the kick triggers may be accounted elsewhere).

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/addr.hpp"
#include "net/checksum.hpp"
#include "net/udp_frame.hpp"
#include "sys/cpus.hpp"
#include "sys/netdev.hpp"
#include "util/result.hpp"
#include "xsk/umem.hpp"
#include "xsk/xsk_socket.hpp"

using namespace xdpgen;

namespace {

constexpr size_t kBatch = 64;  // the engine's batch

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

uint64_t now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void print_error(const Error& e)
{
    std::fprintf(stderr, "xg_xsk_tx: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
}

struct Options {
    std::string ifname;
    double duration = 0;
    unsigned threads = 1;
    std::vector<int> cpus;
    MacAddr dst_mac;
    IpAddr dst;
    size_t frame_size = 64;
    ZeroCopy zero_copy = ZeroCopy::Auto;
};

// A complete UDP frame (port 9 to port 9), both checksums set.
Result<std::vector<uint8_t>> make_frame(const Options& o, const NetDev& dev)
{
    UdpFrameSpec spec;
    spec.src_mac = dev.mac;
    spec.dst_mac = o.dst_mac;
    auto src = dev.first_addr(o.dst.v6);
    if (!src)
        return make_error(fmt::format("{} has no {} address", dev.name, o.dst.v6 ? "IPv6" : "IPv4"));
    spec.src = *src;
    spec.dst = o.dst;
    spec.src_port = 9;
    spec.dst_port = 9;
    spec.frame_size = o.frame_size;
    auto t = build_udp_template(spec);
    if (!t)
        return t.error();
    std::vector<uint8_t> f = std::move(t->frame);
    const size_t ip_len = o.dst.v6 ? kIpv6Hdr : kIpv4Hdr;
    uint8_t* ip = f.data() + kEthHdr;
    uint8_t* udp = ip + ip_len;
    const uint16_t port = htons(9);
    std::memcpy(udp + 2, &port, 2);
    std::memset(udp + 6, 0, 2);
    const size_t udp_len = f.size() - kEthHdr - ip_len;
    if (!o.dst.v6) {
        std::memset(ip + 10, 0, 2);
        const uint16_t c = csum_finish(csum_partial(ip, kIpv4Hdr));
        std::memcpy(ip + 10, &c, 2);
    }
    const uint16_t uc = csum_finish(
        csum_partial(udp, udp_len, csum_pseudo_header(spec.src, spec.dst, IPPROTO_UDP, static_cast<uint32_t>(udp_len))));
    std::memcpy(udp + 6, &uc, 2);
    return f;
}

struct Sender {
    std::unique_ptr<Umem> umem;  // before the socket: it must outlive it
    std::unique_ptr<XskSocket> xsk;
    uint32_t queue = 0;
    uint64_t completed = 0;
    std::optional<Error> error;
};

Status setup(Sender& s, const Options& o, uint32_t queue, const std::vector<uint8_t>& frame)
{
    s.queue = queue;
    auto u = Umem::create(UmemConfig{}, fmt::format("{} queue {}", o.ifname, queue));
    if (!u)
        return u.error();
    s.umem = std::move(*u);
    // Every frame of the UMEM holds the template: sending is only descriptors.
    const UmemConfig& uc = s.umem->config();
    for (uint32_t i = 0; i < uc.frame_count; i++)
        std::memcpy(s.umem->data(uint64_t(i) * uc.frame_size), frame.data(), frame.size());
    auto x = XskSocket::create(*s.umem, {.ifname = o.ifname, .queue = queue, .zero_copy = o.zero_copy});
    if (!x)
        return x.error();
    s.xsk = std::move(*x);
    return {};
}

void send_loop(Sender& s, uint32_t len, uint64_t end_ns)
{
    std::vector<XskDesc> descs(kBatch);
    uint64_t submitted = 0;
    while (!g_stop.load(std::memory_order_relaxed) && now_ns() < end_ns) {
        s.completed += s.xsk->tx_complete();
        const size_t n = s.xsk->tx_reserve(descs);
        if (n == 0) {
            // Ring full: copy mode sends a bounded batch per kick.
            if (auto r = s.xsk->kick_tx(); !r) {
                s.error = r.error();
                return;
            }
            continue;
        }
        for (size_t i = 0; i < n; i++)
            descs[i].len = len;
        if (auto r = s.xsk->tx_submit(std::span<const XskDesc>(descs.data(), n)); !r) {
            s.error = r.error();
            return;
        }
        submitted += n;
    }
    // What was submitted still leaves; bounded (about 100 ms) so the count
    // is the run's, not the drain's.
    for (int i = 0; i < 100 && s.completed < submitted; i++) {
        (void)s.xsk->kick_tx();
        s.completed += s.xsk->tx_complete();
        if (s.completed < submitted) {
            timespec ts{0, 1'000'000};
            nanosleep(&ts, nullptr);
        }
    }
}

int run(const Options& o)
{
    auto dev = netdev_lookup(o.ifname);
    if (!dev) {
        print_error(dev.error());
        return 2;
    }
    if (o.threads > dev->tx_queues) {
        print_error(make_error(fmt::format("{} has {} TX queue(s), fewer than --threads {}", o.ifname, dev->tx_queues,
                                           o.threads)));
        return 2;
    }
    auto frame = make_frame(o, *dev);
    if (!frame) {
        print_error(frame.error());
        return 2;
    }
    std::vector<Sender> senders(o.threads);
    for (unsigned t = 0; t < o.threads; t++)
        if (auto st = setup(senders[t], o, t, *frame); !st) {
            print_error(st.error());
            return 2;
        }
    rusage ru0{}, ru1{};
    getrusage(RUSAGE_SELF, &ru0);
    const uint64_t start = now_ns();
    const uint64_t end = start + static_cast<uint64_t>(o.duration * 1e9);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < o.threads; t++)
        threads.emplace_back([&, t] {
            if (!o.cpus.empty())
                pin_this_thread(o.cpus[t % o.cpus.size()]);
            send_loop(senders[t], static_cast<uint32_t>(frame->size()), end);
        });
    for (auto& th : threads)
        th.join();
    // The run ends at the deadline; the drain's few completions count, its time does not.
    const double elapsed = static_cast<double>(std::min(now_ns(), end) - start) / 1e9;
    getrusage(RUSAGE_SELF, &ru1);
    auto secs = [](const timeval& a, const timeval& b) {
        return static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_usec - a.tv_usec) / 1e6;
    };
    const double cpu = secs(ru0.ru_utime, ru1.ru_utime) + secs(ru0.ru_stime, ru1.ru_stime);
    uint64_t total = 0;
    nlohmann::ordered_json per = nlohmann::ordered_json::array();
    int rc = 0;
    for (const Sender& s : senders) {
        total += s.completed;
        per.push_back({{"queue", s.queue}, {"packets", s.completed}});
        if (s.error) {
            print_error(*s.error);
            rc = 1;
        }
    }
    nlohmann::ordered_json j;
    j["packets"] = total;
    j["seconds"] = std::round(elapsed * 1e6) / 1e6;
    j["pps"] = elapsed > 0 ? std::round(static_cast<double>(total) / elapsed) : 0.0;
    j["threads"] = o.threads;
    j["frame_size"] = frame->size();
    j["cpu_s"] = std::round(cpu * 1000.0) / 1000.0;
    j["zero_copy"] = senders[0].xsk->zero_copy();
    j["per_thread"] = per;
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
    return rc;
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    std::string cpus, mac = "02:00:c6:12:00:02", dst = "198.18.0.2", zc = "auto";
    CLI::App app{"Send one prebuilt frame through AF_XDP sockets as fast as the kernel takes it", "xg_xsk_tx"};
    app.add_option("-i,--interface", o.ifname, "Interface to send on")->required();
    app.add_option("-d,--duration", o.duration, "Seconds to send")->required()->check(CLI::Range(0.001, 3600.0));
    app.add_option("-t,--threads", o.threads, "Threads, one per queue from queue 0")
        ->capture_default_str()
        ->check(CLI::Range(1u, 256u));
    app.add_option("--cpus", cpus, "CPUs to pin the threads to, in turn: 0,2-3");
    app.add_option("-m,--dst-mac", mac, "Destination MAC")->capture_default_str();
    app.add_option("-a,--dst-addr", dst, "Destination IPv4 or IPv6 address")->capture_default_str();
    app.add_option("-s,--frame-size", o.frame_size, "Frame size, Ethernet header to end of payload")
        ->capture_default_str()
        ->check(CLI::Range(size_t{64}, size_t{2048}));
    app.add_option("--zero-copy", zc, "AF_XDP zero-copy: auto, on or off")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) ? 2 : 0;
    }
    auto m = parse_mac(mac);
    auto a = parse_ip(dst);
    auto z = parse_zero_copy(zc);
    if (!m || !a || !z) {
        print_error(make_error(!m ? fmt::format("not a MAC address: '{}'", mac)
                               : !a ? fmt::format("not an IP address: '{}'", dst)
                                    : fmt::format("--zero-copy: auto, on or off, not '{}'", zc)));
        return 2;
    }
    o.dst_mac = *m;
    o.dst = *a;
    o.zero_copy = *z;
    if (!cpus.empty()) {
        auto c = parse_cpu_list(cpus);
        if (!c) {
            print_error(make_error(fmt::format("--cpus: cannot read '{}'", cpus), 0, "write e.g. 0,2-3"));
            return 2;
        }
        o.cpus = std::move(*c);
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return run(o);
}
