// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_xsk_pingpong: an independent reference for xdpgen's AF_XDP packet rate.
//
// A raw AF_XDP ping-pong pair written directly against libxdp's xsk API
// (<xdp/xsk.h>: xsk_umem__create, xsk_socket__create, the ring helpers) and
// libbpf's low-level syscall wrappers (a map, a program of a dozen raw BPF
// instructions, a bpf_link). It shares no code with xdpgen: nothing from
// src/, no xdpgen_core; keep it that way, or it stops being a reference.
//
// Two copy-mode AF_XDP sockets, one on each end of a veth pair (each end may
// sit in its own network namespace: each thread setns()es into its own), one
// thread each, pinned to its CPU. The ping side sends --inflight 64-byte UDP
// frames; the pong side swaps the MAC addresses of every frame it receives and
// sends it back; the ping side counts each frame that comes back as a round
// trip, swaps the MACs again and sends it once more. Both sides busy-poll
// their RX ring in batches of up to 64, recycle completed TX frames into the
// fill ring, and kick TX with sendto(MSG_DONTWAIT) when the kernel asks for it
// (need_wakeup; in copy mode it always does, and one sendto moves at most 32
// frames).
//
// XDP: each end gets its own program, attached in driver mode through a
// bpf_link (the kernel detaches it when the process exits, however it exits):
// IPv4/UDP frames to --port go to the XSKMAP entry of the queue they arrived
// on, everything else to the kernel. libxdp's own program loading is not used
// (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD): on some kernels its dispatcher falls
// back to a plain attach that outlives the process.
//
//   xg_xsk_pingpong [--prefix P | --ping-ns NS --ping-if IF --pong-ns NS --pong-if IF]
//                   [-d SECONDS] [--inflight N] [--cpu PING,PONG] [--size BYTES]
//                   [--port N] [--queue Q]
//
// --prefix P is tools/testbed's layout: ping on P0 in Pgen, pong on P1 in Ppeer.
// Prints one JSON line:
//   {"reference":"xg_xsk_pingpong",...,"round_trips":N,"packets":2N,"seconds":S,
//    "pps":..,"cpu_s":..,"packets_per_cpu_s":..,"ping":{...},"pong":{...}}
// "packets" counts each packet once (sent by one side, received by the
// other): 2 per round trip. "cpu_s" is the user+system time of the two
// threads over the measured interval (getrusage RUSAGE_THREAD), which
// includes the kernel's copy-mode work done inside their syscalls. "ping" and
// "pong" hold each side's frames sent and received, its CPU time, and its
// interface's rx_packets/tx_packets moved during the run (read through
// netlink, getifaddrs, in its namespace) to check the count against.
//
// --tx-only: the raw copy-mode *transmit* limit, nothing answered.
//
//   xg_xsk_pingpong --tx-only [--threads T] [--cpus C0,C1,..] [--prefix P | ...]
//                   [-d SECONDS] [--size BYTES] [--port N]
//
// T TX-only sockets (each its own UMEM, no RX ring, no XDP program on that
// end) on queues 0..T-1 of the ping interface, one thread each pinned to its
// CPU of --cpus (exactly T numbers; default 0,1,.. modulo the CPUs online).
// Every UMEM frame holds the same prebuilt UDP frame, so a thread only writes
// descriptors: batches of 64 onto the TX ring, a sendto(MSG_DONTWAIT) kick
// whenever need_wakeup asks (always, in copy mode; the kernel moves at most
// 32 frames per kick), completions recycled into the free list. The pong
// interface gets a bare XDP_DROP program (bpf_link, driver mode), so the
// frames die there and nothing comes back; when it has an XDP program
// already (a benchmark's own counting drop), that one is kept and takes the
// frames ("pong":{"xdp":"existing","xdp_prog_id":N}, and a note on stderr;
// otherwise "xdp":"drop"). --inflight, --cpu and --queue
// belong to the ping-pong and are refused here (exit 2).
// Prints one JSON line:
//   {"reference":"xg_xsk_pingpong",...,"mode":"tx-only","threads":T,"packets":N,"seconds":S,"pps":..,
//    "cpu_s":..,"packets_per_cpu_s":..,"driver_drops":..,"per_thread":[{"queue","cpu","packets","pps",
//    "seconds","cpu_s","submitted","kicks","eagain","ebusy","late_completions"},..],"ping":{..},"pong":{..},
//    "peer_counter":"rx_packets","peer_rx_packets":N,"peer_rx_dropped":0,"interrupted":false}
// "packets" counts completions: frames the kernel took during the run and
// handed back, read until the last of them came back after the stop
// ("late_completions"). "seconds" is the send loop's time. "driver_drops"
// (sendto -> EBUSY, "ebusy") counts frames the driver dropped: they complete
// too but never left; 0 on veth. "peer_rx_packets" is the pong interface's
// rx_packets moved during the run, read in its namespace after every sender
// stopped, drained its completions and closed its socket: veth counts every
// frame its XDP program saw (dropped ones too) in rx_packets (ethtool -S:
// rx_queue_N_xdp_packets and _xdp_drops), so on a quiet link it equals
// "packets" exactly. "cpu_s" sums the senders' user+system time (the peer's
// receive work, run inside their sendto calls, included).
//
// Exit 0; 1 on a set-up error; 2 on a usage error; 130 when interrupted
// (SIGINT/SIGTERM: the JSON line is still printed, with "interrupted":true).

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
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

bool link_counters(const std::string& ifname, uint64_t& rx, uint64_t& tx)
{
    rtnl_link_stats st{};
    if (!link_stats(ifname, st))
        return false;
    rx = st.rx_packets, tx = st.tx_packets;
    return true;
}

bool link_rx_counters(const std::string& ifname, uint64_t& rx_packets, uint64_t& rx_dropped)
{
    rtnl_link_stats st{};
    if (!link_stats(ifname, st))
        return false;
    rx_packets = st.rx_packets, rx_dropped = st.rx_dropped;
    return true;
}

constexpr uint32_t kFrameSize = 2048;
constexpr uint32_t kNumFrames = 4096;  // 8 MiB of UMEM per side
constexpr uint32_t kRingSize = 2048;   // fill, completion, RX and TX rings
constexpr uint32_t kBatch = 64;
constexpr uint32_t kMaxInflight = 1024;

struct Options {
    std::string ns[2], ifname[2] = {"xg0", "xg1"};
    int cpu[2] = {0, 1};
    double seconds = 5;
    uint32_t inflight = 256;
    uint32_t size = 64;
    uint16_t port = 9000;
    uint32_t queue = 0;
    // --tx-only
    bool tx_only = false;
    uint32_t threads = 1;
    std::vector<int> cpus;  // one per thread
};

// What one side reports; written by its thread, read by main after the join.
struct Side {
    const char* role = "";
    int index = 0;
    std::string error;
    uint8_t mac[ETH_ALEN]{};
    uint64_t rx = 0, tx = 0, kicks = 0;
    double cpu_s = 0, seconds = 0;
    bool have_stats = false;
    uint64_t if_rx = 0, if_tx = 0;  // the interface's counters moved during the run
};

std::atomic<int> g_ready{0};  // sides set up (a failed side counts too: it sets g_stop)
std::atomic<bool> g_go{false};
std::atomic<int> g_done{0};  // sides that stopped sending: the interfaces' counters move no more after both
Side g_side[2];

// ---- a tiny BPF assembler: just what the redirect program needs ----
// XDP: IPv4 (no options) UDP to `port` -> bpf_redirect_map(xskmap, rx_queue_index, XDP_PASS); else XDP_PASS.
std::vector<bpf_insn> redirect_program(int map_fd, uint16_t port)
{
    std::vector<bpf_insn> p;
    std::vector<size_t> to_pass;
    auto jne_pass = [&](uint8_t reg, int32_t imm) {
        to_pass.push_back(p.size());
        p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, reg, 0, 0, imm));
    };
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));                  // r6 = ctx
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));                    // r2 = ctx->data
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 4, 0));                    // r3 = ctx->data_end
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0));                  // r4 = data
    p.push_back(insn(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 14 + 20 + 8));        // r4 += eth+ip+udp
    to_pass.push_back(p.size());
    p.push_back(insn(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 0, 0));                    // if r4 > data_end: pass
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 12, 0));                   // ethertype
    jne_pass(5, htons(ETH_P_IP));
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_B, 5, 2, 14, 0));                   // version, IHL
    jne_pass(5, 0x45);
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_B, 5, 2, 14 + 9, 0));               // protocol
    jne_pass(5, IPPROTO_UDP);
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 14 + 20 + 2, 0));          // UDP destination port
    jne_pass(5, htons(port));
    p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 2, 6, 16, 0));                   // r2 = ctx->rx_queue_index
    p.push_back(insn(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd)); // r1 = map
    p.push_back(insn(0, 0, 0, 0, 0));
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS));           // no socket: pass
    p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    const size_t pass = p.size();
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : to_pass) p[j].off = static_cast<int16_t>(pass - (j + 1));
    return p;
}

uint16_t ip_checksum(const uint8_t* h, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// Ethernet + IPv4 198.18.0.1 -> 198.18.0.2 + UDP port -> port, zero UDP checksum, pattern payload.
void build_frame(uint8_t* f, uint32_t size, const uint8_t* src_mac, const uint8_t* dst_mac, uint16_t port)
{
    std::memset(f, 0, size);
    std::memcpy(f, dst_mac, ETH_ALEN);
    std::memcpy(f + 6, src_mac, ETH_ALEN);
    f[12] = 0x08, f[13] = 0x00;
    uint8_t* ip = f + 14;
    const uint16_t ip_len = static_cast<uint16_t>(size - 14);
    ip[0] = 0x45;
    ip[2] = static_cast<uint8_t>(ip_len >> 8), ip[3] = static_cast<uint8_t>(ip_len);
    ip[6] = 0x40;  // DF
    ip[8] = 64;
    ip[9] = IPPROTO_UDP;
    const uint8_t src[4] = {198, 18, 0, 1}, dst[4] = {198, 18, 0, 2};
    std::memcpy(ip + 12, src, 4);
    std::memcpy(ip + 16, dst, 4);
    const uint16_t c = ip_checksum(ip, 20);
    ip[10] = static_cast<uint8_t>(c >> 8), ip[11] = static_cast<uint8_t>(c);
    uint8_t* udp = ip + 20;
    const uint16_t udp_len = static_cast<uint16_t>(ip_len - 20);
    udp[0] = udp[2] = static_cast<uint8_t>(port >> 8);
    udp[1] = udp[3] = static_cast<uint8_t>(port);
    udp[4] = static_cast<uint8_t>(udp_len >> 8), udp[5] = static_cast<uint8_t>(udp_len);
    for (uint32_t i = 14 + 20 + 8; i < size; i++) f[i] = static_cast<uint8_t>(i);
}

inline void swap_macs(uint8_t* f)
{
    uint8_t t[ETH_ALEN];
    std::memcpy(t, f, ETH_ALEN);
    std::memcpy(f, f + ETH_ALEN, ETH_ALEN);
    std::memcpy(f + ETH_ALEN, t, ETH_ALEN);
}

// Everything one side owns; the destructor releases it (the link last but
// one: the program comes off the interface when its fd closes).
struct Resources {
    int map_fd = -1, prog_fd = -1, link_fd = -1;
    void* umem_area = MAP_FAILED;
    size_t umem_bytes = 0;
    xsk_umem* umem = nullptr;
    xsk_socket* xsk = nullptr;
    xsk_ring_prod fq{}, tx{};
    xsk_ring_cons cq{}, rx{};
    ~Resources()
    {
        if (xsk != nullptr) xsk_socket__delete(xsk);
        if (umem != nullptr) xsk_umem__delete(umem);
        if (umem_area != MAP_FAILED) munmap(umem_area, umem_bytes);
        if (link_fd >= 0) close(link_fd);
        if (prog_fd >= 0) close(prog_fd);
        if (map_fd >= 0) close(map_fd);
    }
};

std::string errstr(int e) { return std::strerror(e < 0 ? -e : e); }

// The calling thread moves into network namespace `ns` (none: stays).
bool enter_netns(const std::string& ns, std::string& err)
{
    if (ns.empty()) return true;
    const std::string path = "/var/run/netns/" + ns;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err = "open " + path + ": " + errstr(errno); return false; }
    const int rc = setns(fd, CLONE_NEWNET);
    const int e = errno;
    close(fd);
    if (rc != 0) { err = "setns " + ns + ": " + errstr(e); return false; }
    return true;
}

bool pin_to_cpu(int cpu, std::string& err)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set); e != 0)
        { err = "pin to CPU " + std::to_string(cpu) + ": " + errstr(e); return false; }
    return true;
}

bool fail(Side& s, const std::string& what)
{
    s.error = what;
    g_stop.store(true);
    g_ready.fetch_add(1);
    return false;
}

bool setup(Side& s, Resources& r, const Options& o, std::vector<uint64_t>& free_frames)
{
    const int i = s.index;
    std::string err;
    if (!enter_netns(o.ns[i], err) || !pin_to_cpu(o.cpu[i], err)) return fail(s, err);
    const std::string& ifn = o.ifname[i];
    const unsigned ifindex = if_nametoindex(ifn.c_str());
    if (ifindex == 0) return fail(s, "interface " + ifn + ": " + errstr(errno));
    if (!read_mac(ifn, s.mac, err)) return fail(s, err);

    r.map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "xg_pp_xsks", 4, 4, o.queue + 1, nullptr);
    if (r.map_fd < 0) return fail(s, "XSKMAP: " + errstr(r.map_fd));
    const std::vector<bpf_insn> prog = redirect_program(r.map_fd, o.port);
    static char log[4096];
    LIBBPF_OPTS(bpf_prog_load_opts, popts, .log_level = 1, .log_size = sizeof log, .log_buf = log);
    r.prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xg_pingpong", "Dual BSD/GPL", prog.data(), prog.size(), &popts);
    if (r.prog_fd < 0) return fail(s, "XDP program: " + errstr(r.prog_fd) + "\n" + log);
    LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);
    r.link_fd = bpf_link_create(r.prog_fd, static_cast<int>(ifindex), BPF_XDP, &lopts);
    if (r.link_fd < 0) return fail(s, "attach XDP (driver mode) to " + ifn + ": " + errstr(r.link_fd));

    r.umem_bytes = static_cast<size_t>(kNumFrames) * kFrameSize;
    r.umem_area = mmap(nullptr, r.umem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (r.umem_area == MAP_FAILED) return fail(s, "UMEM mmap: " + errstr(errno));
    xsk_umem_config ucfg{};
    ucfg.fill_size = kRingSize;
    ucfg.comp_size = kRingSize;
    ucfg.frame_size = kFrameSize;
    ucfg.frame_headroom = 0;
    ucfg.flags = 0;
    if (int rc = xsk_umem__create(&r.umem, r.umem_area, r.umem_bytes, &r.fq, &r.cq, &ucfg); rc != 0) {
        r.umem = nullptr;
        return fail(s, "xsk_umem__create: " + errstr(rc));
    }
    xsk_socket_config scfg{};
    scfg.rx_size = kRingSize;
    scfg.tx_size = kRingSize;
    scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    scfg.xdp_flags = XDP_FLAGS_DRV_MODE;
    scfg.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
    if (int rc = xsk_socket__create(&r.xsk, ifn.c_str(), o.queue, r.umem, &r.rx, &r.tx, &scfg); rc != 0) {
        r.xsk = nullptr;
        return fail(s, "xsk_socket__create on " + ifn + " queue " + std::to_string(o.queue) + ": " + errstr(rc));
    }
    const int xfd = xsk_socket__fd(r.xsk);
    const uint32_t key = o.queue;
    if (int rc = bpf_map_update_elem(r.map_fd, &key, &xfd, 0); rc != 0)
        return fail(s, "XSKMAP insert: " + errstr(rc));

    free_frames.clear();
    for (uint32_t f = kNumFrames; f-- > 0;) free_frames.push_back(static_cast<uint64_t>(f) * kFrameSize);
    // Fill ring: half the frames; the rest stay free for TX.
    uint32_t idx = 0;
    const uint32_t n = xsk_ring_prod__reserve(&r.fq, kRingSize, &idx);
    for (uint32_t k = 0; k < n; k++) {
        *xsk_ring_prod__fill_addr(&r.fq, idx + k) = free_frames.back();
        free_frames.pop_back();
    }
    xsk_ring_prod__submit(&r.fq, n);
    s.have_stats = link_counters(ifn, s.if_rx, s.if_tx);  // the "before" values
    g_ready.fetch_add(1);
    return true;
}

void run_side(Side& s, const Options& o)
{
    Resources r;
    std::vector<uint64_t> free_frames;
    free_frames.reserve(kNumFrames);
    if (!setup(s, r, o, free_frames)) return;
    while (!g_go.load(std::memory_order_acquire) && !g_stop.load(std::memory_order_relaxed)) {}
    if (g_stop.load()) return;

    const bool ping = s.index == 0;
    auto* area = static_cast<uint8_t*>(r.umem_area);
    const int fd = xsk_socket__fd(r.xsk);
    uint64_t rx = 0, tx = 0, kicks = 0;
    uint32_t tx_outstanding = 0;  // in the TX ring or not yet completed
    const double cpu0 = thread_cpu_s(), t0 = now_s();

    if (ping) {
        uint32_t idx = 0;
        const uint32_t n = xsk_ring_prod__reserve(&r.tx, o.inflight, &idx);
        for (uint32_t k = 0; k < n; k++) {
            const uint64_t a = free_frames.back();
            free_frames.pop_back();
            build_frame(area + a, o.size, s.mac, g_side[1].mac, o.port);
            xdp_desc* d = xsk_ring_prod__tx_desc(&r.tx, idx + k);
            d->addr = a;
            d->len = o.size;
            d->options = 0;
        }
        xsk_ring_prod__submit(&r.tx, n);
        tx += n;
        tx_outstanding += n;
    }

    while (!g_stop.load(std::memory_order_relaxed)) {
        uint32_t idx = 0;
        // Completions -> free frames -> fill ring.
        if (const uint32_t c = xsk_ring_cons__peek(&r.cq, kBatch, &idx); c > 0) {
            for (uint32_t k = 0; k < c; k++) free_frames.push_back(*xsk_ring_cons__comp_addr(&r.cq, idx + k));
            xsk_ring_cons__release(&r.cq, c);
            tx_outstanding -= c;
        }
        if (!free_frames.empty()) {
            const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(free_frames.size()), kBatch);
            if (const uint32_t f = xsk_ring_prod__reserve(&r.fq, want, &idx); f > 0) {
                for (uint32_t k = 0; k < f; k++) {
                    *xsk_ring_prod__fill_addr(&r.fq, idx + k) = free_frames.back();
                    free_frames.pop_back();
                }
                xsk_ring_prod__submit(&r.fq, f);
            }
        }
        if (xsk_ring_prod__needs_wakeup(&r.fq)) recvfrom(fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
        // RX -> swap MACs -> TX, the same frame.
        const uint32_t room = xsk_prod_nb_free(&r.tx, kBatch);
        if (const uint32_t n = xsk_ring_cons__peek(&r.rx, std::min(room, kBatch), &idx); n > 0) {
            uint32_t tidx = 0;
            xsk_ring_prod__reserve(&r.tx, n, &tidx);  // room was checked: all n
            for (uint32_t k = 0; k < n; k++) {
                const xdp_desc* in = xsk_ring_cons__rx_desc(&r.rx, idx + k);
                swap_macs(area + in->addr);
                xdp_desc* out = xsk_ring_prod__tx_desc(&r.tx, tidx + k);
                out->addr = in->addr;
                out->len = in->len;
                out->options = 0;
            }
            xsk_ring_cons__release(&r.rx, n);
            xsk_ring_prod__submit(&r.tx, n);
            rx += n, tx += n, tx_outstanding += n;
        }
        if (tx_outstanding > 0 && xsk_ring_prod__needs_wakeup(&r.tx)) {
            kicks++;
            if (sendto(fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN && errno != EBUSY &&
                errno != ENOBUFS && errno != EINTR) {
                s.error = std::string("sendto: ") + std::strerror(errno);
                g_stop.store(true);
                break;
            }
        }
    }
    s.seconds = now_s() - t0;
    s.cpu_s = thread_cpu_s() - cpu0;
    s.rx = rx, s.tx = tx, s.kicks = kicks;
    // Copy-mode TX happens inside sendto, so once both sides are out of
    // their loops the interfaces' counters are final: read them then.
    g_done.fetch_add(1);
    for (int spins = 0; g_done.load() < 2 && spins < 1000; spins++)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    uint64_t rx1 = 0, tx1 = 0;
    if (s.have_stats && link_counters(o.ifname[s.index], rx1, tx1)) {
        // 32-bit counters in rtnl_link_stats: a difference modulo 2^32 is right for any short run.
        s.if_rx = static_cast<uint32_t>(rx1 - s.if_rx);
        s.if_tx = static_cast<uint32_t>(tx1 - s.if_tx);
    } else {
        s.have_stats = false;
    }
}

// ---- --tx-only: the raw copy-mode transmit limit ----

// One sending thread: its socket (own UMEM) on queue `queue` of the ping
// interface. Written by its thread, read by main after the join.
struct TxWorker {
    uint32_t queue = 0;
    int cpu = 0;
    std::string error;
    uint64_t submitted = 0;  // descriptors put on the TX ring
    uint64_t completed = 0;  // completions read (the "packets")
    uint64_t kicks = 0;      // sendto calls
    uint64_t busy = 0;       // sendto -> EBUSY: the driver dropped one frame (it still completes)
    uint64_t again = 0;      // sendto -> EAGAIN: the copy-mode batch (32) is done, or the queue is full
    uint64_t late = 0;       // completions read after the stop (frames the kernel took before it)
    double seconds = 0, cpu_s = 0;
};

// The pong end: a bare XDP_DROP program, so nothing is answered, and its
// counters read around the run in its own namespace.
struct TxSink {
    std::string error;
    uint8_t mac[ETH_ALEN]{};
    bool have_stats = false;
    uint64_t rx_packets = 0, rx_dropped = 0;  // moved during the run
    uint32_t existing_prog_id = 0;            // an XDP program found attached (kept), or 0: ours
};

std::atomic<int> g_tx_ready{0};  // senders set up (a failed one counts too: it sets g_stop)
std::atomic<int> g_tx_done{0};   // senders that stopped, drained their completions and closed their socket
std::atomic<bool> g_sink_ready{false}, g_sink_failed{false};

void run_sink(TxSink& k, const Options& o, int nthreads)
{
    std::string err;
    int prog_fd = -1, link_fd = -1;
    auto failed = [&](const std::string& what) {
        k.error = what;
        g_stop.store(true);
        g_sink_failed.store(true);
        if (link_fd >= 0) close(link_fd);
        if (prog_fd >= 0) close(prog_fd);
    };
    const std::string& ifn = o.ifname[1];
    if (!enter_netns(o.ns[1], err)) return failed(err);
    const unsigned ifindex = if_nametoindex(ifn.c_str());
    if (ifindex == 0) return failed("interface " + ifn + ": " + errstr(errno));
    if (!read_mac(ifn, k.mac, err)) return failed(err);
    const bpf_insn drop[] = {insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_DROP), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
    prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xg_txonly_drop", "Dual BSD/GPL", drop, 2, nullptr);
    if (prog_fd < 0) return failed("XDP drop program: " + errstr(prog_fd));
    LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);
    link_fd = bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, &lopts);
    if (link_fd < 0) {
        // A caller (a benchmark counting with its own drop program) may have
        // attached one already: then that one takes the frames, and is kept.
        const int e = link_fd;
        __u32 id = 0;
        if ((e != -EBUSY && e != -EEXIST) || bpf_xdp_query_id(static_cast<int>(ifindex), XDP_FLAGS_DRV_MODE, &id) != 0 ||
            id == 0)
            return failed("attach XDP (driver mode) to " + ifn + ": " + errstr(e));
        k.existing_prog_id = id;
        std::fprintf(stderr, "xg_xsk_pingpong: %s already has an XDP program (id %u): kept, it takes the frames\n",
                     ifn.c_str(), id);
    }
    uint64_t rx0 = 0, drop0 = 0;
    k.have_stats = link_rx_counters(ifn, rx0, drop0);
    g_sink_ready.store(true);
    // Copy-mode TX runs inside the senders' syscalls, and the peer's receive
    // work (NAPI, the XDP drop, the counter) on their CPUs right after: once
    // every sender drained its completions and closed its socket, nothing
    // more arrives, and the counters are final.
    while (g_tx_done.load() < nthreads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    uint64_t rx1 = 0, drop1 = 0;
    if (k.have_stats && link_rx_counters(ifn, rx1, drop1)) {
        // 32-bit counters in rtnl_link_stats: a difference modulo 2^32 is right for any short run.
        k.rx_packets = static_cast<uint32_t>(rx1 - rx0);
        k.rx_dropped = static_cast<uint32_t>(drop1 - drop0);
    } else {
        k.have_stats = false;
    }
    if (link_fd >= 0) close(link_fd);
    close(prog_fd);
}

void run_sender(TxWorker& w, const Options& o, const uint8_t* dst_mac)
{
    std::string err;
    Resources r;
    auto failed = [&](const std::string& what) {
        w.error = what;
        g_stop.store(true);
        g_tx_ready.fetch_add(1);
        g_tx_done.fetch_add(1);
    };
    if (!enter_netns(o.ns[0], err) || !pin_to_cpu(w.cpu, err)) return failed(err);
    {
        const std::string& ifn = o.ifname[0];
        uint8_t src_mac[ETH_ALEN];
        if (!read_mac(ifn, src_mac, err)) return failed(err);
        r.umem_bytes = static_cast<size_t>(kNumFrames) * kFrameSize;
        r.umem_area =
            mmap(nullptr, r.umem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (r.umem_area == MAP_FAILED) return failed("UMEM mmap: " + errstr(errno));
        // Every frame of the UMEM holds the same prebuilt frame: the loop only writes descriptors.
        auto* area = static_cast<uint8_t*>(r.umem_area);
        build_frame(area, o.size, src_mac, dst_mac, o.port);
        for (uint32_t f = 1; f < kNumFrames; f++) std::memcpy(area + static_cast<size_t>(f) * kFrameSize, area, o.size);
        xsk_umem_config ucfg{};
        ucfg.fill_size = kRingSize;
        ucfg.comp_size = kRingSize;
        ucfg.frame_size = kFrameSize;
        if (int rc = xsk_umem__create(&r.umem, r.umem_area, r.umem_bytes, &r.fq, &r.cq, &ucfg); rc != 0) {
            r.umem = nullptr;
            return failed("xsk_umem__create: " + errstr(rc));
        }
        xsk_socket_config scfg{};
        scfg.tx_size = kRingSize;
        scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
        scfg.xdp_flags = XDP_FLAGS_DRV_MODE;
        scfg.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
        // TX only: no RX ring, nothing in the fill ring, no XDP program on this end.
        if (int rc = xsk_socket__create(&r.xsk, ifn.c_str(), w.queue, r.umem, nullptr, &r.tx, &scfg); rc != 0) {
            r.xsk = nullptr;
            return failed("xsk_socket__create on " + ifn + " queue " + std::to_string(w.queue) + ": " + errstr(rc));
        }
    }
    std::vector<uint64_t> free_frames;
    free_frames.reserve(kNumFrames);
    for (uint32_t f = kNumFrames; f-- > 0;) free_frames.push_back(static_cast<uint64_t>(f) * kFrameSize);
    g_tx_ready.fetch_add(1);
    while (!g_go.load(std::memory_order_acquire) && !g_stop.load(std::memory_order_relaxed)) {}

    const int fd = xsk_socket__fd(r.xsk);
    uint64_t submitted = 0, completed = 0, kicks = 0, busy = 0, again = 0;
    auto reap = [&] {
        uint32_t idx = 0;
        const uint32_t c = xsk_ring_cons__peek(&r.cq, kRingSize, &idx);
        for (uint32_t k = 0; k < c; k++) free_frames.push_back(*xsk_ring_cons__comp_addr(&r.cq, idx + k));
        if (c > 0) xsk_ring_cons__release(&r.cq, c);
        completed += c;
        return c;
    };
    const double cpu0 = thread_cpu_s(), t0 = now_s();
    while (g_go.load(std::memory_order_acquire) && !g_stop.load(std::memory_order_relaxed)) {
        reap();
        uint32_t idx = 0;
        const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(free_frames.size()), kBatch);
        if (const uint32_t n = want > 0 ? xsk_ring_prod__reserve(&r.tx, want, &idx) : 0; n > 0) {
            for (uint32_t k = 0; k < n; k++) {
                xdp_desc* d = xsk_ring_prod__tx_desc(&r.tx, idx + k);
                d->addr = free_frames.back();
                d->len = o.size;
                d->options = 0;
                free_frames.pop_back();
            }
            xsk_ring_prod__submit(&r.tx, n);
            submitted += n;
        }
        if (submitted > completed && xsk_ring_prod__needs_wakeup(&r.tx)) {
            kicks++;
            if (sendto(fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
                if (errno == EBUSY)
                    busy++;
                else if (errno == EAGAIN || errno == ENOBUFS)
                    again++;
                else if (errno != EINTR) {
                    w.error = std::string("sendto: ") + std::strerror(errno);
                    g_stop.store(true);
                    break;
                }
            }
        }
    }
    w.seconds = now_s() - t0;
    w.cpu_s = thread_cpu_s() - cpu0;
    // No more sendto, so the kernel takes no more descriptors; the frames it
    // took complete when their skbs are freed (the peer's receive work, which
    // may lag a little in softirq context). Read completions until the kernel's
    // consumer index is matched and nothing more came for 20 ms (1 s at most).
    const uint64_t at_stop = completed;
    const double deadline = now_s() + 1.0;
    double last_progress = now_s();
    for (;;) {
        if (reap() > 0) last_progress = now_s();
        const uint32_t consumed = *r.tx.consumer;  // descriptors the kernel took, since the ring started at 0
        const double t = now_s();
        if ((completed >= consumed && t - last_progress > 0.02) || t > deadline) break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    w.late = completed - at_stop;
    w.submitted = submitted, w.completed = completed, w.kicks = kicks, w.busy = busy, w.again = again;
    // Close the socket (and its UMEM) before reporting done, so the sink reads its counters after it.
    if (r.xsk != nullptr) xsk_socket__delete(r.xsk), r.xsk = nullptr;
    if (r.umem != nullptr) xsk_umem__delete(r.umem), r.umem = nullptr;
    g_tx_done.fetch_add(1);
}

int run_tx_only(const Options& o)
{
    const int n = static_cast<int>(o.threads);
    TxSink sink;
    std::vector<TxWorker> workers(o.threads);
    std::thread sink_thread(run_sink, std::ref(sink), std::cref(o), n);
    while (!g_sink_ready.load() && !g_sink_failed.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::vector<std::thread> threads;
    if (!g_sink_failed.load()) {
        for (int i = 0; i < n; i++) {
            workers[i].queue = static_cast<uint32_t>(i), workers[i].cpu = o.cpus[i];
            threads.emplace_back(run_sender, std::ref(workers[i]), std::cref(o), sink.mac);
        }
        while (g_tx_ready.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
        g_tx_done.store(n);
    }
    double seconds = 0;
    if (!g_stop.load()) {
        g_go.store(true, std::memory_order_release);
        const double t0 = now_s(), end = t0 + o.seconds;
        while (!g_stop.load() && now_s() < end) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        seconds = now_s() - t0;
    }
    g_stop.store(true);
    for (std::thread& t : threads) t.join();
    sink_thread.join();

    int rc = 0;
    if (!sink.error.empty()) std::fprintf(stderr, "xg_xsk_pingpong: pong (XDP drop): %s\n", sink.error.c_str()), rc = 1;
    for (const TxWorker& w : workers)
        if (!w.error.empty())
            std::fprintf(stderr, "xg_xsk_pingpong: sender on queue %u: %s\n", w.queue, w.error.c_str()), rc = 1;
    if (rc != 0) return rc;

    uint64_t packets = 0, busy = 0;
    double cpu = 0;
    for (const TxWorker& w : workers) packets += w.completed, busy += w.busy, cpu += w.cpu_s;
    for (const TxWorker& w : workers) seconds = std::max(seconds, w.seconds);
    std::printf("{\"reference\":\"xg_xsk_pingpong\",\"api\":\"%s\",\"mode\":\"tx-only\",\"bind\":\"copy\","
                "\"threads\":%u,\"frame_bytes\":%u,\"batch\":%u,\"packets\":%" PRIu64 ",\"seconds\":%.6f,"
                "\"pps\":%.1f,\"cpu_s\":%.6f,\"packets_per_cpu_s\":%.1f,\"driver_drops\":%" PRIu64 ",",
                "libxdp xsk + libbpf, no xdpgen code", o.threads, o.size, kBatch, packets, seconds,
                seconds > 0 ? static_cast<double>(packets) / seconds : 0.0, cpu,
                cpu > 0 ? static_cast<double>(packets) / cpu : 0.0, busy);
    std::printf("\"per_thread\":[");
    for (size_t i = 0; i < workers.size(); i++) {
        const TxWorker& w = workers[i];
        std::printf("%s{\"queue\":%u,\"cpu\":%d,\"packets\":%" PRIu64 ",\"pps\":%.1f,\"seconds\":%.6f,\"cpu_s\":%.6f,"
                    "\"submitted\":%" PRIu64 ",\"kicks\":%" PRIu64 ",\"eagain\":%" PRIu64 ",\"ebusy\":%" PRIu64
                    ",\"late_completions\":%" PRIu64 "}",
                    i == 0 ? "" : ",", w.queue, w.cpu, w.completed,
                    w.seconds > 0 ? static_cast<double>(w.completed) / w.seconds : 0.0, w.seconds, w.cpu_s,
                    w.submitted, w.kicks, w.again, w.busy, w.late);
    }
    std::printf("],\"ping\":{\"ns\":\"%s\",\"ifname\":\"%s\"},\"pong\":{\"ns\":\"%s\",\"ifname\":\"%s\",",
                o.ns[0].c_str(), o.ifname[0].c_str(), o.ns[1].c_str(), o.ifname[1].c_str());
    if (sink.existing_prog_id != 0)
        std::printf("\"xdp\":\"existing\",\"xdp_prog_id\":%u},", sink.existing_prog_id);
    else
        std::printf("\"xdp\":\"drop\"},");
    if (sink.have_stats)
        std::printf("\"peer_counter\":\"rx_packets\",\"peer_rx_packets\":%" PRIu64 ",\"peer_rx_dropped\":%" PRIu64 ",",
                    sink.rx_packets, sink.rx_dropped);
    else
        std::printf("\"peer_counter\":\"rx_packets\",\"peer_rx_packets\":null,\"peer_rx_dropped\":null,");
    std::printf("\"interrupted\":%s}\n", g_interrupted.load() ? "true" : "false");
    std::fflush(stdout);
    return g_interrupted.load() ? 130 : 0;
}

[[noreturn]] void usage(int rc)
{
    std::fprintf(rc == 0 ? stdout : stderr,
                 "usage: xg_xsk_pingpong [--prefix P | --ping-ns NS --ping-if IF --pong-ns NS --pong-if IF]\n"
                 "                       [-d SECONDS] [--inflight N] [--cpu PING,PONG] [--size BYTES] [--port N]\n"
                 "                       [--queue Q]\n"
                 "       xg_xsk_pingpong --tx-only [--threads T] [--cpus LIST] [--prefix P | ...] [-d SECONDS]\n"
                 "                       [--size BYTES] [--port N]\n"
                 "A raw AF_XDP (copy mode) ping-pong over a veth pair, built on libxdp's xsk API only;\n"
                 "with --tx-only, the raw copy-mode transmit limit: the ping end sends, the pong end drops (XDP).\n"
                 "  --prefix P      tools/testbed's namespaces: ping on P0 in Pgen, pong on P1 in Ppeer\n"
                 "  -d SECONDS      measured time (default 5)\n"
                 "  --inflight N    frames bouncing at once, 1..%u (default 256)\n"
                 "  --cpu A,B       CPUs of the ping and the pong thread (default 0,1)\n"
                 "  --size BYTES    frame size without FCS, 60..1500 (default 64)\n"
                 "  --port N        UDP port of the frames, which the XDP programs take (default 9000)\n"
                 "  --queue Q       queue of both sockets (default 0)\n"
                 "  --tx-only       send only: T sockets on queues 0..T-1 of the ping interface, one prebuilt\n"
                 "                  frame sent over and over; the pong interface drops everything (XDP_DROP)\n"
                 "  --threads T     --tx-only senders, 1..64 (default 1)\n"
                 "  --cpus LIST     --tx-only: CPU of each sender, T comma-separated numbers (default 0,1,..)\n",
                 kMaxInflight);
    std::exit(rc);
}

[[noreturn]] void bad(const char* what, const char* value)
{
    std::fprintf(stderr, "xg_xsk_pingpong: bad %s '%s'\n", what, value);
    usage(2);
}

Options parse(int argc, char** argv)
{
    Options o;
    enum { kPrefix = 256, kPingNs, kPongNs, kPingIf, kPongIf, kInflight, kCpu, kSize, kPort, kQueue, kTxOnly, kThreads, kCpus };
    bool pingpong_only = false, tx_only_only = false;  // options given that belong to one mode
    const char* pingpong_opt = nullptr;
    const char* tx_only_opt = nullptr;
    static const option longopts[] = {
        {"prefix", required_argument, nullptr, kPrefix},     {"ping-ns", required_argument, nullptr, kPingNs},
        {"pong-ns", required_argument, nullptr, kPongNs},    {"ping-if", required_argument, nullptr, kPingIf},
        {"pong-if", required_argument, nullptr, kPongIf},    {"duration", required_argument, nullptr, 'd'},
        {"inflight", required_argument, nullptr, kInflight}, {"cpu", required_argument, nullptr, kCpu},
        {"size", required_argument, nullptr, kSize},         {"port", required_argument, nullptr, kPort},
        {"queue", required_argument, nullptr, kQueue},       {"help", no_argument, nullptr, 'h'},
        {"tx-only", no_argument, nullptr, kTxOnly},          {"threads", required_argument, nullptr, kThreads},
        {"cpus", required_argument, nullptr, kCpus},
        {nullptr, 0, nullptr, 0}};
    int c;
    unsigned long v = 0;
    int li = 0;
    while ((c = getopt_long(argc, argv, "d:h", longopts, &li)) != -1) {
        if (c == kInflight || c == kCpu || c == kQueue) pingpong_only = true, pingpong_opt = longopts[li].name;
        if (c == kThreads || c == kCpus) tx_only_only = true, tx_only_opt = longopts[li].name;
        switch (c) {
        case kTxOnly: o.tx_only = true; break;
        case kThreads:
            if (!parse_uint(optarg, 1, 64, v)) bad("--threads", optarg);
            o.threads = static_cast<uint32_t>(v);
            break;
        case kCpus:
            if (!parse_cpu_list(optarg, o.cpus)) bad("--cpus (comma-separated CPU numbers)", optarg);
            break;
        case kPrefix:
            o.ns[0] = std::string(optarg) + "gen", o.ns[1] = std::string(optarg) + "peer";
            o.ifname[0] = std::string(optarg) + "0", o.ifname[1] = std::string(optarg) + "1";
            break;
        case kPingNs: o.ns[0] = optarg; break;
        case kPongNs: o.ns[1] = optarg; break;
        case kPingIf: o.ifname[0] = optarg; break;
        case kPongIf: o.ifname[1] = optarg; break;
        case 'd': {
            char* end = nullptr;
            o.seconds = std::strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(o.seconds > 0 && o.seconds <= 3600)) bad("duration", optarg);
            break;
        }
        case kInflight:
            if (!parse_uint(optarg, 1, kMaxInflight, v)) bad("--inflight", optarg);
            o.inflight = static_cast<uint32_t>(v);
            break;
        case kCpu: {
            unsigned long a = 0, b = 0;
            const std::string s = optarg;
            const size_t comma = s.find(',');
            if (comma == std::string::npos || !parse_uint(s.substr(0, comma).c_str(), 0, CPU_SETSIZE - 1, a) ||
                !parse_uint(s.substr(comma + 1).c_str(), 0, CPU_SETSIZE - 1, b))
                bad("--cpu (PING,PONG)", optarg);
            o.cpu[0] = static_cast<int>(a), o.cpu[1] = static_cast<int>(b);
            break;
        }
        case kSize:
            if (!parse_uint(optarg, 60, 1500, v)) bad("--size", optarg);
            o.size = static_cast<uint32_t>(v);
            break;
        case kPort:
            if (!parse_uint(optarg, 1, 65535, v)) bad("--port", optarg);
            o.port = static_cast<uint16_t>(v);
            break;
        case kQueue:
            if (!parse_uint(optarg, 0, 255, v)) bad("--queue", optarg);
            o.queue = static_cast<uint32_t>(v);
            break;
        case 'h': usage(0);
        default: usage(2);
        }
    }
    if (optind != argc) bad("argument", argv[optind]);
    if (o.tx_only && pingpong_only) bad("option with --tx-only (it belongs to the ping-pong)", pingpong_opt);
    if (!o.tx_only && tx_only_only) bad("option without --tx-only", tx_only_opt);
    if (o.tx_only) {
        if (o.cpus.empty()) {
            const long n = sysconf(_SC_NPROCESSORS_ONLN);
            for (uint32_t i = 0; i < o.threads; i++) o.cpus.push_back(static_cast<int>(i % static_cast<uint32_t>(n > 0 ? n : 1)));
        } else if (o.cpus.size() != o.threads) {
            std::fprintf(stderr, "xg_xsk_pingpong: --cpus lists %zu CPU(s) for %u thread(s)\n", o.cpus.size(), o.threads);
            usage(2);
        }
    }
    return o;
}

void print_side(const char* name, const Side& s, const Options& o, bool last)
{
    std::printf("\"%s\":{\"ns\":\"%s\",\"ifname\":\"%s\",\"cpu\":%d,\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
                ",\"kicks\":%" PRIu64 ",\"cpu_s\":%.6f,",
                name, o.ns[s.index].c_str(), o.ifname[s.index].c_str(), o.cpu[s.index], s.rx, s.tx, s.kicks, s.cpu_s);
    if (s.have_stats)
        std::printf("\"if_rx_packets\":%" PRIu64 ",\"if_tx_packets\":%" PRIu64 "}", s.if_rx, s.if_tx);
    else
        std::printf("\"if_rx_packets\":null,\"if_tx_packets\":null}");
    std::printf(last ? "" : ",");
}

}  // namespace

int main(int argc, char** argv)
{
    const Options o = parse(argc, argv);
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    if (o.tx_only) return run_tx_only(o);

    g_side[0].role = "ping", g_side[0].index = 0;
    g_side[1].role = "pong", g_side[1].index = 1;
    // The pong side first, so its MAC is known and its socket listens before the first frame.
    std::thread pong(run_side, std::ref(g_side[1]), std::cref(o));
    while (g_ready.load() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::thread ping;
    if (!g_stop.load()) {
        ping = std::thread(run_side, std::ref(g_side[0]), std::cref(o));
        while (g_ready.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!g_stop.load()) {
        g_go.store(true, std::memory_order_release);
        const double end = now_s() + o.seconds;
        while (!g_stop.load() && now_s() < end) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    g_stop.store(true);
    if (ping.joinable()) ping.join();
    pong.join();

    for (const Side& s : g_side)
        if (!s.error.empty()) {
            std::fprintf(stderr, "xg_xsk_pingpong: %s: %s\n", s.role, s.error.c_str());
            return 1;
        }
    const Side &pi = g_side[0], &po = g_side[1];
    const uint64_t round_trips = pi.rx, packets = 2 * round_trips;
    const double secs = pi.seconds, cpu = pi.cpu_s + po.cpu_s;
    std::printf("{\"reference\":\"xg_xsk_pingpong\",\"api\":\"%s\",\"mode\":\"copy\","
                "\"inflight\":%u,\"frame_bytes\":%u,\"batch\":%u,\"round_trips\":%" PRIu64 ",\"packets\":%" PRIu64
                ",\"seconds\":%.6f,\"pps\":%.1f,\"cpu_s\":%.6f,\"packets_per_cpu_s\":%.1f,",
                "libxdp xsk + libbpf, no xdpgen code", o.inflight, o.size, kBatch, round_trips, packets, secs,
                secs > 0 ? static_cast<double>(packets) / secs : 0.0, cpu,
                cpu > 0 ? static_cast<double>(packets) / cpu : 0.0);
    print_side("ping", pi, o, false);
    print_side("pong", po, o, false);
    std::printf("\"interrupted\":%s}\n", g_interrupted.load() ? "true" : "false");
    std::fflush(stdout);
    return g_interrupted.load() ? 130 : 0;
}
