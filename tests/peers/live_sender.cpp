// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_live_sender: an independent reference for xdpgen's live-frames UDP rate.
//
// The standalone live-frames sender, written against libbpf's syscall
// wrappers alone (no xdpgen code, nothing from src/, no xdpgen BPF object;
// keep it that way, or it stops being a reference). A four-instruction XDP
// program loaded from raw BPF instructions returns bpf_redirect(IFACE, 0);
// BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs it on one prebuilt
// UDP frame --batch times per call, and the kernel sends each copy out of
// IFACE. Each of --threads threads, pinned to its CPU of --cpus, loops such
// calls until -d seconds have passed (the call under way is finished, not cut).
//
//   xg_live_sender -i IFACE -m DST_MAC -a DST_ADDR [-s SIZE] [-d SECONDS] [-t THREADS]
//                  [--cpus C0,C1,..] [--batch N] [--kernel-batch N] [--port N] [--src ADDR]
//
// The kernel's rules for live frames (net/bpf/test_run.c): the context is an
// xdp_md with data = data_meta = 0, data_end = the frame's size and
// ingress_ifindex = IFACE (looked up in the caller's network namespace: run
// it where IFACE is); data_in is the frame, no data_out nor ctx_out; the
// frame fits a page with the kernel's head- and tailroom; batch_size (the
// frames sent per flush inside a call, --kernel-batch) is at most 256, 64 when
// unset. One call costs a fixed ~0.7 ms, so --batch (repetitions per call,
// default 1048576) decides the rate.
//
// Prints one JSON line:
//   {"reference":"xg_live_sender","packets":calls*batch,"calls":..,"seconds":..,"pps":..,"threads":..,
//    "batch":..,"kernel_batch":..,"cpu_s":..,"frame_bytes":..,"ifname":..,"if_tx_packets":..,
//    "per_thread":[{"cpu","calls","packets","seconds","cpu_s"},..],"interrupted":false}
// "packets" counts the program's runs (each returned XDP_REDIRECT): the kernel
// does not tell the caller about a redirect that failed (a veth whose peer has
// neither an XDP program nor GRO drops every frame), so count at the receiver.
// "if_tx_packets" is IFACE's tx_packets moved during the run, for a second
// look from this side (on veth it moves with what the peer received).
// "seconds" runs from the start to the end of the last call; "cpu_s" sums the
// threads' user+system time (the kernel's sending is inside their calls).
//
// Exit 0; 1 on a set-up error; 2 on a usage error; 3 when this kernel refuses
// live frames (one line on stderr says so; no JSON); 130 on SIGINT/SIGTERM
// (the calls under way are finished and counted, the JSON line is printed
// with "interrupted":true).

#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <netinet/in.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "raw_peer.hpp"

namespace {

using namespace raw_peer;

bool tx_counters(const std::string& ifn, uint32_t& tx_packets)
{
    rtnl_link_stats st{};
    if (!link_stats(ifn, st))
        return false;
    tx_packets = st.tx_packets;
    return true;
}

constexpr int kExitSetup = 1, kExitUsage = 2, kExitRefused = 3, kExitInterrupted = 130;

std::atomic<bool> g_go{false};
std::atomic<int> g_ready{0};
struct Options {
    std::string ifname;
    uint8_t dst_mac[ETH_ALEN]{};
    bool have_mac = false;
    int family = 0;  // AF_INET or AF_INET6, from -a
    uint8_t dst_addr[16]{}, src_addr[16]{};
    bool have_src = false;
    uint32_t size = 64;
    double seconds = 5;
    uint32_t threads = 1;
    std::vector<int> cpus;
    uint32_t batch = 1048576;
    uint32_t kernel_batch = 64;
    uint16_t port = 9000;
};

// ---- the frame ----

uint32_t sum16(const uint8_t* p, size_t len, uint32_t sum = 0)
{
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += static_cast<uint32_t>(p[len - 1] << 8);
    return sum;
}

uint16_t fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

void put16(uint8_t* p, uint16_t v) { p[0] = static_cast<uint8_t>(v >> 8), p[1] = static_cast<uint8_t>(v); }

// Ethernet + IPv4 or IPv6 + UDP port -> port, checksums right, a counting payload.
std::vector<uint8_t> build_frame(const Options& o, const uint8_t* src_mac)
{
    std::vector<uint8_t> f(o.size, 0);
    std::memcpy(f.data(), o.dst_mac, ETH_ALEN);
    std::memcpy(f.data() + 6, src_mac, ETH_ALEN);
    const bool v6 = o.family == AF_INET6;
    put16(&f[12], v6 ? ETH_P_IPV6 : ETH_P_IP);
    const size_t ip_off = 14, ip_len = v6 ? 40 : 20, udp_off = ip_off + ip_len;
    const auto udp_len = static_cast<uint16_t>(o.size - udp_off);
    uint8_t* ip = &f[ip_off];
    uint32_t pseudo = 0;
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, udp_len);
        ip[6] = IPPROTO_UDP;
        ip[7] = 64;
        std::memcpy(ip + 8, o.src_addr, 16);
        std::memcpy(ip + 24, o.dst_addr, 16);
        pseudo = sum16(ip + 8, 32);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(o.size - ip_off));
        ip[6] = 0x40;  // DF
        ip[8] = 64;
        ip[9] = IPPROTO_UDP;
        std::memcpy(ip + 12, o.src_addr, 4);
        std::memcpy(ip + 16, o.dst_addr, 4);
        put16(ip + 10, fold(sum16(ip, 20)));
        pseudo = sum16(ip + 12, 8);
    }
    uint8_t* udp = &f[udp_off];
    put16(udp, o.port);
    put16(udp + 2, o.port);
    put16(udp + 4, udp_len);
    for (size_t i = udp_off + 8; i < f.size(); i++) f[i] = static_cast<uint8_t>(i);
    uint16_t c = fold(sum16(udp, udp_len, pseudo + IPPROTO_UDP + udp_len));
    put16(udp + 6, c == 0 ? 0xffff : c);
    return f;
}

// ---- the kernel side ----

// return bpf_redirect(ifindex, 0);
int load_redirect(int ifindex, std::string& err)
{
    const bpf_insn prog[] = {
        insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, ifindex),
        insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0),
        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect),
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    static char log[4096];
    LIBBPF_OPTS(bpf_prog_load_opts, popts, .log_level = 1, .log_size = sizeof log, .log_buf = log);
    const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xg_live_redir", "Dual BSD/GPL", prog, 4, &popts);
    if (fd < 0) err = std::string("load the XDP redirect program: ") + std::strerror(errno) + "\n" + log;
    return fd;
}

// One BPF_PROG_TEST_RUN call; 0 or the errno.
int test_run(int prog_fd, const std::vector<uint8_t>& frame, int ifindex, uint32_t repeat, uint32_t kernel_batch,
             bool live)
{
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(frame.size());
    ctx.ingress_ifindex = static_cast<uint32_t>(ifindex);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<uint32_t>(frame.size()),
                .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .repeat = static_cast<int>(repeat),
                .flags = live ? BPF_F_TEST_XDP_LIVE_FRAMES : 0u, .batch_size = live ? kernel_batch : 0u);
    return bpf_prog_test_run_opts(prog_fd, &opts) == 0 ? 0 : errno;
}

// Whether the kernel runs live frames at all, asked with a program that
// drops the frame (nothing leaves): 0, or the errno of the refusal (-1 when
// the question itself failed: err says why).
int live_frames_refused(int ifindex, const std::vector<uint8_t>& frame, std::string& err)
{
    const bpf_insn drop[] = {insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP),
                             insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
    const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xg_live_probe", "Dual BSD/GPL", drop, 2, nullptr);
    if (fd < 0) {
        err = std::string("load an XDP program: ") + std::strerror(errno);
        return -1;
    }
    int e = test_run(fd, frame, ifindex, 1, 1, true);
    if (e == EINVAL) {
        if (const int plain = test_run(fd, frame, ifindex, 1, 0, false); plain != 0) {
            // Not the live flag: the run itself is wrong.
            err = std::string("BPF_PROG_TEST_RUN (not live): ") + std::strerror(plain);
            e = -1;
        }
    }
    close(fd);
    return e;  // EPERM (refused), EINVAL (a kernel before 5.18), EOPNOTSUPP, ...
}

// ---- the interface ----

// The interface's first address of the family (IPv6: not link-local).
bool first_address(const std::string& ifn, int family, uint8_t* out)
{
    ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) != 0) return false;
    bool found = false;
    for (ifaddrs* a = ifa; a != nullptr && !found; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != family || ifn != a->ifa_name) continue;
        if (family == AF_INET) {
            std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, 4);
            found = true;
        } else {
            const auto& in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr;
            if (IN6_IS_ADDR_LINKLOCAL(&in6)) continue;
            std::memcpy(out, &in6, 16);
            found = true;
        }
    }
    freeifaddrs(ifa);
    return found;
}

// ---- the senders ----

struct Worker {
    int cpu = 0;
    uint64_t calls = 0;
    double seconds = 0, cpu_s = 0;
    int error = 0;  // errno of a failed call
};

void run_worker(Worker& w, const Options& o, int prog_fd, const std::vector<uint8_t>& frame, int ifindex)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w.cpu, &set);
    if (int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set); e != 0) {
        w.error = e;
        g_stop.store(true);
    }
    g_ready.fetch_add(1);
    while (!g_go.load(std::memory_order_acquire) && !g_stop.load(std::memory_order_relaxed))
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (w.error != 0 || !g_go.load()) return;
    const double cpu0 = thread_cpu_s(), t0 = now_s();
    while (!g_stop.load(std::memory_order_relaxed)) {
        if (int e = test_run(prog_fd, frame, ifindex, o.batch, o.kernel_batch, true); e != 0) {
            w.error = e;  // the call's frames are not counted: how many left is unknown
            g_stop.store(true);
            break;
        }
        w.calls++;
    }
    w.seconds = now_s() - t0;
    w.cpu_s = thread_cpu_s() - cpu0;
}

// ---- the command line ----

[[noreturn]] void usage(int rc)
{
    std::fprintf(rc == 0 ? stdout : stderr,
                 "usage: xg_live_sender -i IFACE -m DST_MAC -a DST_ADDR [-s SIZE] [-d SECONDS] [-t THREADS]\n"
                 "                      [--cpus C0,C1,..] [--batch N] [--kernel-batch N] [--port N] [--src ADDR]\n"
                 "Sends one prebuilt UDP frame out of IFACE with BPF_PROG_TEST_RUN live frames (libbpf only).\n"
                 "  -i IFACE          the interface: ingress of the test run and target of bpf_redirect\n"
                 "  -m DST_MAC        destination MAC (aa:bb:cc:dd:ee:ff)\n"
                 "  -a DST_ADDR       destination IPv4 or IPv6 address\n"
                 "  -s SIZE           frame size without FCS, 60..3000 (default 64; 62 at least for IPv6)\n"
                 "  -d SECONDS        how long to send (default 5); the call under way is finished\n"
                 "  -t THREADS        sending threads, each its own loop of calls, 1..64 (default 1)\n"
                 "  --cpus LIST       CPU of each thread, THREADS comma-separated numbers (default 0,1,..)\n"
                 "  --batch N         repetitions per call, 1..%d (default 1048576)\n"
                 "  --kernel-batch N  the kernel's batch_size (frames per flush in a call), 1..256 (default 64)\n"
                 "  --port N          UDP source and destination port (default 9000)\n"
                 "  --src ADDR        source address (default: IFACE's first address of the family)\n"
                 "Exit 0; 1 set-up error; 2 usage error; 3 this kernel refuses live frames; 130 interrupted.\n",
                 INT_MAX);
    std::exit(rc);
}

[[noreturn]] void bad(const char* what, const char* value)
{
    std::fprintf(stderr, "xg_live_sender: bad %s '%s'\n", what, value);
    usage(kExitUsage);
}

bool parse_mac(const char* s, uint8_t* mac)
{
    unsigned b[ETH_ALEN];
    char tail = 0;
    if (std::sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) return false;
    for (int i = 0; i < ETH_ALEN; i++) mac[i] = static_cast<uint8_t>(b[i]);
    return true;
}

int parse_addr(const char* s, uint8_t* out)
{
    if (inet_pton(AF_INET, s, out) == 1) return AF_INET;
    if (inet_pton(AF_INET6, s, out) == 1) return AF_INET6;
    return 0;
}

Options parse(int argc, char** argv)
{
    Options o;
    enum { kCpus = 256, kBatch, kKernelBatch, kPort, kSrc };
    static const option longopts[] = {
        {"interface", required_argument, nullptr, 'i'},  {"dst-mac", required_argument, nullptr, 'm'},
        {"dst-addr", required_argument, nullptr, 'a'},   {"size", required_argument, nullptr, 's'},
        {"duration", required_argument, nullptr, 'd'},   {"threads", required_argument, nullptr, 't'},
        {"cpus", required_argument, nullptr, kCpus},     {"batch", required_argument, nullptr, kBatch},
        {"kernel-batch", required_argument, nullptr, kKernelBatch},
        {"port", required_argument, nullptr, kPort},     {"src", required_argument, nullptr, kSrc},
        {"help", no_argument, nullptr, 'h'},             {nullptr, 0, nullptr, 0}};
    const char* src = nullptr;
    int c;
    unsigned long v = 0;
    while ((c = getopt_long(argc, argv, "i:m:a:s:d:t:h", longopts, nullptr)) != -1) {
        switch (c) {
        case 'i':
            if (*optarg == '\0' || std::strlen(optarg) >= IFNAMSIZ) bad("interface", optarg);
            o.ifname = optarg;
            break;
        case 'm':
            if (!parse_mac(optarg, o.dst_mac)) bad("MAC address", optarg);
            o.have_mac = true;
            break;
        case 'a':
            o.family = parse_addr(optarg, o.dst_addr);
            if (o.family == 0) bad("address", optarg);
            break;
        case 's':
            if (!parse_uint(optarg, 60, 3000, v)) bad("size", optarg);
            o.size = static_cast<uint32_t>(v);
            break;
        case 'd': {
            char* end = nullptr;
            o.seconds = std::strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(o.seconds > 0 && o.seconds <= 3600)) bad("duration", optarg);
            break;
        }
        case 't':
            if (!parse_uint(optarg, 1, 64, v)) bad("threads", optarg);
            o.threads = static_cast<uint32_t>(v);
            break;
        case kCpus:
            if (!parse_cpu_list(optarg, o.cpus)) bad("--cpus (comma-separated CPU numbers)", optarg);
            break;
        case kBatch:
            if (!parse_uint(optarg, 1, INT_MAX, v)) bad("--batch", optarg);
            o.batch = static_cast<uint32_t>(v);
            break;
        case kKernelBatch:
            if (!parse_uint(optarg, 1, 256, v)) bad("--kernel-batch", optarg);
            o.kernel_batch = static_cast<uint32_t>(v);
            break;
        case kPort:
            if (!parse_uint(optarg, 1, 65535, v)) bad("--port", optarg);
            o.port = static_cast<uint16_t>(v);
            break;
        case kSrc: src = optarg; break;
        case 'h': usage(0);
        default: usage(kExitUsage);
        }
    }
    if (optind != argc) bad("argument", argv[optind]);
    if (o.ifname.empty() || !o.have_mac || o.family == 0) {
        std::fprintf(stderr, "xg_live_sender: -i IFACE, -m DST_MAC and -a DST_ADDR are required\n");
        usage(kExitUsage);
    }
    if (src != nullptr) {
        if (parse_addr(src, o.src_addr) != o.family) bad("--src (not an address of -a's family)", src);
        o.have_src = true;
    }
    if (o.family == AF_INET6 && o.size < 14 + 40 + 8) bad("size (IPv6 needs 62 bytes at least)", std::to_string(o.size).c_str());
    if (o.cpus.empty()) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (uint32_t i = 0; i < o.threads; i++) o.cpus.push_back(static_cast<int>(i % static_cast<uint32_t>(n > 0 ? n : 1)));
    } else if (o.cpus.size() != o.threads) {
        std::fprintf(stderr, "xg_live_sender: --cpus lists %zu CPU(s) for %u thread(s)\n", o.cpus.size(), o.threads);
        usage(kExitUsage);
    }
    return o;
}

int refused_exit(int e)
{
    std::fprintf(stderr,
                 "xg_live_sender: this kernel refuses live frames (BPF_PROG_TEST_RUN: %s); "
                 "BPF_F_TEST_XDP_LIVE_FRAMES needs Linux 5.18 or later and a kernel that allows it: "
                 "measure with an AF_XDP reference instead (xg_xsk_pingpong --tx-only)\n",
                 std::strerror(e));
    return kExitRefused;
}

}  // namespace

int main(int argc, char** argv)
{
    Options o = parse(argc, argv);
    auto setup_error = [](const std::string& what) {
        std::fprintf(stderr, "xg_live_sender: %s\n", what.c_str());
        return kExitSetup;
    };
    const int ifindex = static_cast<int>(if_nametoindex(o.ifname.c_str()));
    if (ifindex == 0) return setup_error("interface " + o.ifname + ": " + std::strerror(errno));
    uint8_t src_mac[ETH_ALEN];
    std::string err;
    if (!read_mac(o.ifname, src_mac, err)) return setup_error(err);
    if (!o.have_src && !first_address(o.ifname, o.family, o.src_addr))
        return setup_error(o.ifname + " has no " + (o.family == AF_INET ? "IPv4" : "IPv6") + " address: give --src");
    const std::vector<uint8_t> frame = build_frame(o, src_mac);

    const int refused = live_frames_refused(ifindex, frame, err);
    if (refused < 0) return setup_error(err);
    if (refused > 0) return refused_exit(refused);
    const int prog_fd = load_redirect(ifindex, err);
    if (prog_fd < 0) return setup_error(err);

    // The workers never see SIGINT/SIGTERM (blocked before they start), so no
    // call is cut short: every call counted sent all its --batch frames.
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    std::vector<Worker> workers(o.threads);
    std::vector<std::thread> threads;
    for (uint32_t i = 0; i < o.threads; i++) {
        workers[i].cpu = o.cpus[i];
        threads.emplace_back(run_worker, std::ref(workers[i]), std::cref(o), prog_fd, std::cref(frame), ifindex);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    while (g_ready.load() < static_cast<int>(o.threads)) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    uint32_t tx0 = 0, tx1 = 0;
    const bool have_tx = tx_counters(o.ifname, tx0);
    if (!g_stop.load()) {
        g_go.store(true, std::memory_order_release);
        const double end = now_s() + o.seconds;
        while (!g_stop.load() && now_s() < end) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    g_stop.store(true);
    for (std::thread& t : threads) t.join();
    const bool have_tx1 = have_tx && tx_counters(o.ifname, tx1);
    close(prog_fd);

    for (const Worker& w : workers) {
        if (w.error == EPERM || w.error == EOPNOTSUPP) return refused_exit(w.error);
        if (w.error != 0) return setup_error(std::string("thread on CPU ") + std::to_string(w.cpu) + ": " +
                                             std::strerror(w.error));
    }
    uint64_t calls = 0;
    double seconds = 0, cpu = 0;
    for (const Worker& w : workers) calls += w.calls, seconds = std::max(seconds, w.seconds), cpu += w.cpu_s;
    const uint64_t packets = calls * o.batch;
    std::printf("{\"reference\":\"xg_live_sender\",\"api\":\"libbpf BPF_PROG_TEST_RUN live frames, no xdpgen code\","
                "\"packets\":%" PRIu64 ",\"calls\":%" PRIu64 ",\"seconds\":%.6f,\"pps\":%.1f,\"threads\":%u,"
                "\"batch\":%u,\"kernel_batch\":%u,\"cpu_s\":%.6f,\"frame_bytes\":%u,\"ifname\":\"%s\",",
                packets, calls, seconds, seconds > 0 ? static_cast<double>(packets) / seconds : 0.0, o.threads,
                o.batch, o.kernel_batch, cpu, o.size, o.ifname.c_str());
    if (have_tx1)
        // 32-bit counters in rtnl_link_stats: a difference modulo 2^32 (a run under 4G frames).
        std::printf("\"if_tx_packets\":%" PRIu32 ",", static_cast<uint32_t>(tx1 - tx0));
    else
        std::printf("\"if_tx_packets\":null,");
    std::printf("\"per_thread\":[");
    for (size_t i = 0; i < workers.size(); i++) {
        const Worker& w = workers[i];
        std::printf("%s{\"cpu\":%d,\"calls\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"seconds\":%.6f,\"cpu_s\":%.6f}",
                    i == 0 ? "" : ",", w.cpu, w.calls, w.calls * o.batch, w.seconds, w.cpu_s);
    }
    std::printf("],\"interrupted\":%s}\n", g_interrupted.load() ? "true" : "false");
    std::fflush(stdout);
    return g_interrupted.load() ? kExitInterrupted : 0;
}
