// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/tcp_blaster.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstring>

#include <fmt/format.h>

#include "bpf/live_frames.hpp"
#include "bpf/skel.hpp"
#include "bpf/xmit_stats.hpp"
#include "bpf/xdp_link.hpp"
#include "sys/cpus.hpp"
#include "tcp_blast.skel.h"
#include "xdpgen/pattern.h"

namespace xdpgen {
namespace {

// Repetitions per run: from a few when the windows are full to ~1 ms of sending.
constexpr uint32_t kChunkMin = 32;
constexpr uint32_t kChunkMax = 4096;
constexpr uint32_t kKernelBatch = 64;
constexpr uint64_t kCheckEveryNs = 2'000'000;
// A flow with data in flight and no ACK for this long sends a loss probe.
constexpr uint64_t kProbeNs = 10'000'000;
constexpr uint64_t kRtoMinNs = 200'000'000;      // as the engine's (Linux's) minimum
constexpr uint64_t kRtoInitialNs = 1'000'000'000; // RFC 6298 2.1
constexpr uint64_t kRtoMaxNs = 60'000'000'000;
constexpr uint8_t kMaxBackoff = 15;  // RTOs in a row without progress before giving up (RFC 1122 R2)
// A --duration run's streams are "endless": more than a run ever sends.
constexpr uint64_t kEndless = uint64_t{1} << 62;

template <typename T>
uint64_t load(const T& v)
{
    return __atomic_load_n(&v, __ATOMIC_ACQUIRE);
}
template <typename T, typename U>
void store(T& v, U x)
{
    __atomic_store_n(&v, static_cast<T>(x), __ATOMIC_RELEASE);
}

// The loopback device of a network namespace made for it: ifindex 1.
constexpr uint32_t kPinIfindex = 1;

}  // namespace

struct TcpBlaster::Impl {
    SkelPtr<xg_tcp_blast> skel;
    int prog_fd = -1;
    void* flows = nullptr;  // the mmapped tcp_flows array
    size_t flows_len = 0;
    std::vector<uint8_t> frame;  // the live frame: its content is rewritten whole each time
    // xg_tcp_tx attached (generic mode) to the loopback of a namespace of
    // its own, so it stays in the XDP dispatcher (see pin_ifindex in
    // bpf/tcp_blast.bpf.c). Nothing else lives there; the namespace goes
    // with its last reference, the link with the process.
    Fd pin_netns;
    XdpLink pin;
    SkelPtr<xg_xmit_stats> xmit;  // the driver's verdict; null without the tracepoints
    ~Impl()
    {
        pin.detach();
        if (flows)
            munmap(flows, flows_len);
    }
};

TcpBlaster::TcpBlaster(const TcpBlastConfig& cfg)
    : cfg_(cfg), impl_(std::make_unique<Impl>()), run_epochs_(cfg.threads)
{
}

TcpBlaster::~TcpBlaster() = default;  // threads_ stops and joins first: declared last

Result<std::unique_ptr<TcpBlaster>> TcpBlaster::create(const TcpBlastConfig& cfg)
{
    auto cpus = cfg.cpus.empty() ? allowed_cpus() : cfg.cpus;
    if (cfg.threads == 0 || cfg.threads > cpus.size())
        return make_error(fmt::format("--threads {}: xdpgen runs one sending thread per CPU, and {} CPU{} can be used",
                                      cfg.threads, cpus.size(), cpus.size() == 1 ? "" : "s"));
    if (cfg.flows == 0 || cfg.flows > (1u << 20))
        return make_error(fmt::format("--flows {}: between 1 and {}", cfg.flows, 1u << 20));
    if (cfg.frame_size < 128 || cfg.frame_size > 14 + 60 + 32 + XG_TCP_MAX_PAYLOAD)
        return make_error(fmt::format("frame size {} is not supported by the TCP sender (MTU up to {})", cfg.frame_size,
                                      60 + 32 + XG_TCP_MAX_PAYLOAD));

    std::unique_ptr<TcpBlaster> b(new TcpBlaster(cfg));
    b->cfg_.cpus.assign(cpus.begin(), cpus.begin() + cfg.threads);
    auto payload = StreamPayload::load(cfg.payload_file, cfg.bytes);
    if (!payload)
        return payload.error();
    b->payload_ = std::move(payload.value());
    b->end_bytes_ = b->payload_.stream_bytes() ? b->payload_.stream_bytes() : kEndless;
    const std::vector<uint8_t>& file = b->payload_.file();
    b->timers_.resize(cfg.flows);

    const char* what = "cannot load the TCP sender program";
    auto skel = skel_open<xg_tcp_blast>(what);
    if (!skel)
        return skel.error();
    auto& s = skel.value();
    s->rodata->out_ifindex = static_cast<uint32_t>(cfg.ifindex);
    s->rodata->pin_ifindex = kPinIfindex;
    s->rodata->payload_file = !file.empty();
    const uint32_t file_rows = static_cast<uint32_t>((file.size() + 0xffff) >> 16);
    int r;
    if ((r = bpf_map__set_max_entries(s->maps.tcp_flows, cfg.flows)) ||
        (r = bpf_map__set_max_entries(s->maps.tcp_flow_ids, cfg.flows)) ||
        (file_rows && (r = bpf_map__set_max_entries(s->maps.tcp_file, file_rows))))
        return sys_error(fmt::format("{}: cannot size the flow maps for {} flows", what, cfg.flows), r);
    if (auto st = skel_load(s, what); !st)
        return st.error();
    b->impl_->prog_fd = bpf_program__fd(s->progs.xg_tcp_tx);
    b->pin_in_dispatcher();

    const long page = sysconf(_SC_PAGESIZE);
    const size_t len = (sizeof(xg_tcp_flow) * cfg.flows + page - 1) / page * page;
    void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(s->maps.tcp_flows), 0);
    if (m == MAP_FAILED)
        return sys_error("cannot map the TCP sender's flow table", errno, "xdpgen needs BPF_F_MMAPABLE arrays (Linux 5.5)");
    b->impl_->flows = m;
    b->impl_->flows_len = len;

    // The payload pattern, one 64 KiB block value per row (see XG_TCP_PATTERN_ROW).
    auto row = std::make_unique<xg_tcp_pattern_row>();
    for (uint32_t k = 0; k < XG_TCP_PATTERN_ROWS; k++) {
        xg_tcp_pattern_row_fill(k, row.get());
        if (bpf_map_update_elem(bpf_map__fd(s->maps.tcp_pattern), &k, row.get(), BPF_ANY))
            return sys_error("cannot fill the TCP sender's payload table", errno);
    }
    // The file, one 64 KiB row each, every row running on into the next (see XG_TCP_FILE_ROW).
    std::vector<uint8_t> frow;
    for (uint32_t k = 0; k < file_rows; k++) {
        frow.assign(XG_TCP_FILE_ROW, 0);
        const size_t from = size_t{k} << 16;
        const size_t n = std::min<size_t>(XG_TCP_FILE_ROW, file.size() - from);
        std::memcpy(frow.data(), file.data() + from, n);
        if (bpf_map_update_elem(bpf_map__fd(s->maps.tcp_file), &k, frow.data(), BPF_ANY))
            return sys_error("cannot fill the TCP sender's file table", errno);
    }
    // Sending thread i sends flows [i * flows / threads, (i + 1) * flows / threads).
    for (unsigned i = 0; i < cfg.threads; i++) {
        xg_tcp_tx_slice sl{};
        sl.first = static_cast<uint32_t>(uint64_t{cfg.flows} * i / cfg.threads);
        sl.count = static_cast<uint32_t>(uint64_t{cfg.flows} * (i + 1) / cfg.threads) - sl.first;
        uint32_t cpu = static_cast<uint32_t>(b->cfg_.cpus[i]) & (XG_MAX_CPUS - 1);
        if (bpf_map_update_elem(bpf_map__fd(s->maps.tcp_tx_slices), &cpu, &sl, BPF_ANY))
            return sys_error("cannot set the TCP sender's per-CPU flow slices", errno);
    }
    b->impl_->xmit = open_xmit_stats(cfg.ifindex);
    b->impl_->frame.assign(cfg.frame_size, 0);
    b->impl_->skel = std::move(s);
    return b;
}

void TcpBlaster::pin_in_dispatcher()
{
    // unshare() moves only the calling thread: a short-lived one does it.
    std::string why;
    std::thread([&] {
        if (unshare(CLONE_NEWNET)) {
            why = fmt::format("cannot create a network namespace: {}", std::strerror(errno));
            return;
        }
        Fd ns(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!ns.valid()) {
            why = fmt::format("cannot open the new network namespace: {}", std::strerror(errno));
            return;
        }
        auto link = xdp_attach(impl_->prog_fd, static_cast<int>(kPinIfindex), "lo", XdpMode::Skb);
        if (!link) {
            why = link.error().message();
            return;
        }
        impl_->pin = std::move(link.value());
        impl_->pin_netns = std::move(ns);
    }).join();
    if (!why.empty())
        pin_warning_ = fmt::format("the TCP sender runs without its place in the XDP dispatcher ({}): each run of it "
                                   "waits for an RCU grace period, expect a lower rate", why);
}

TcpBulkMaps TcpBlaster::maps() const
{
    const auto& m = impl_->skel->maps;
    return {bpf_map__fd(m.tcp_flows), bpf_map__fd(m.tcp_flow_ids), bpf_map__fd(m.tcp_ack_counters), cfg_.flows};
}

xg_tcp_flow& TcpBlaster::flow(uint32_t slot) const { return static_cast<xg_tcp_flow*>(impl_->flows)[slot]; }

void TcpBlaster::fill(uint64_t off, std::span<uint8_t> dst) const { payload_.fill(off, dst); }

uint32_t TcpBlaster::adopt(uint64_t now, const TcpFrameEnds& ends, const tcp::Tcb& tcb, uint64_t rto_ns)
{
    const uint32_t slot = next_slot_.fetch_add(1, std::memory_order_relaxed);
    if (slot >= cfg_.flows)
        return kNoSlot;
    xg_tcp_flow& f = flow(slot);
    std::memset(&f, 0, sizeof(f));
    std::memcpy(f.dst_mac, ends.dst_mac.b.data(), 6);
    std::memcpy(f.src_mac, ends.src_mac.b.data(), 6);
    f.src_port = htons(ends.src_port);
    f.dst_port = htons(ends.dst_port);
    std::memcpy(f.src_addr, ends.src.b.data(), ends.src.v6 ? 16 : 4);
    std::memcpy(f.dst_addr, ends.dst.b.data(), ends.dst.v6 ? 16 : 4);
    f.seq0 = tcb.data_start().raw();
    f.rcv_nxt = tcb.rcv.nxt.raw();
    f.ts_off = tcb.config().ts_offset;
    // Segments carry NOP NOP TS when timestamps were agreed: 12 bytes of the MSS.
    const uint32_t mss = tcb.ts_ok ? (tcb.snd.mss > 12u ? tcb.snd.mss - 12u : 1u) : tcb.snd.mss;
    f.mss = static_cast<uint16_t>(std::min<uint32_t>(mss, XG_TCP_MAX_PAYLOAD));
    f.adv_win = static_cast<uint16_t>(std::min<uint32_t>(tcb.rcv_wnd() >> tcb.rcv.wscale, 0xffff));
    f.end_off = end_bytes_.load(std::memory_order_relaxed);
    f.wnd = tcb.snd.wnd;
    f.last_wnd_raw = static_cast<uint16_t>(std::min<uint32_t>(tcb.snd.wnd >> tcb.snd.wscale, 0xffff));
    f.snd_wscale = tcb.snd.wscale;
    f.cwnd = cfg_.cc == TcpCc::Reno ? cfg_.initial_cwnd_segments * f.mss : UINT32_MAX;
    f.ssthresh = UINT32_MAX;
    f.ts_recent = tcb.rcv.ts_recent;

    xg_tcp_flow_key key{};
    std::memcpy(key.local_addr, f.src_addr, 16);
    std::memcpy(key.peer_addr, f.dst_addr, 16);
    key.local_port = f.src_port;
    key.peer_port = f.dst_port;
    key.ipv6 = ends.src.v6 ? 1 : 0;
    if (bpf_map_update_elem(bpf_map__fd(impl_->skel->maps.tcp_flow_ids), &key, &slot, BPF_ANY))
        return kNoSlot;  // the worker sends this one itself

    SlotTimer& t = timers_[slot];
    t = SlotTimer{};
    t.last_progress_ns = t.adopted_ns = now;
    // The data path takes no RTT samples of its own: the handshake's RTO,
    // at most RFC 6298's initial 1 s. A lost SYN leaves the connection at
    // 3 s (RFC 6298 5.7) until a sample, which would then be for life.
    t.rto_ns = std::clamp<uint64_t>(rto_ns, kRtoMinNs, kRtoInitialNs);
    const uint8_t flags = XG_TCP_F_ACTIVE | (ends.src.v6 ? XG_TCP_F_IPV6 : 0) | (tcb.ts_ok ? XG_TCP_F_TS : 0) |
                          (cfg_.cc == TcpCc::Reno ? XG_TCP_F_RENO : 0);
    store(f.flags, flags);  // last: the programs see a complete flow
    return slot;
}

engine::BulkHandover::Check TcpBlaster::check(uint32_t slot, uint64_t now)
{
    xg_tcp_flow& f = flow(slot);
    SlotTimer& t = timers_[slot];
    Check c;
    const uint64_t una = load(f.una_off), nxt = load(f.nxt_off), end = load(f.end_off);
    c.newly_acked = una - std::min(una, t.una_seen);
    if (una > t.una_seen) {
        t.una_seen = una;
        t.last_progress_ns = now;
        t.backoff = 0;
        t.probed = false;
    }
    if (nxt > end)
        store(f.end_off, nxt);  // stop_streams() raced a segment: the stream ends after it
    if (una >= std::max(end, nxt)) {
        c.complete = true;
        if (!t.done_ns)
            __atomic_store_n(&t.done_ns, now, __ATOMIC_RELAXED);
        return c;
    }
    const uint64_t rto = std::min(t.rto_ns << t.backoff, kRtoMaxNs);
    if (nxt > una && !t.probed && now - t.last_progress_ns >= kProbeNs && kProbeNs < rto) {
        // A tail loss probe (after RFC 8985 7): the last segments of a burst
        // can be lost with nothing after them to draw duplicate ACKs, above
        // all when the driver's ring was full and dropped them on the way
        // out. What is in flight is sent again, cwnd untouched; the
        // receiver's SACKs then lead to the holes, long before an RTO.
        store(f.rto_gen, f.rto_gen + 1);
        t.probed = true;
        probes_.fetch_add(1, std::memory_order_relaxed);
    }
    if (now - t.last_progress_ns >= rto) {
        if (t.backoff >= kMaxBackoff) {
            c.gave_up = true;
            return c;
        }
        if (nxt == una) {
            // Nothing in flight yet nothing acknowledged: the peer's window
            // is closed (or its opening got lost). One byte beyond it asks
            // for the window again (RFC 9293 §3.8.6.1).
            if (load(f.wnd) == 0)
                store(f.wnd, 1u);
        } else {
            // RFC 5681 §3.1 / RFC 6298 §5: on a timeout, one segment of
            // window and everything outstanding resent from una.
            if (cfg_.cc == TcpCc::Reno) {
                const uint32_t mss = std::max<uint32_t>(f.mss, 1);
                store(f.ssthresh, std::max<uint32_t>(static_cast<uint32_t>(std::min<uint64_t>((nxt - una) / 2, 1u << 30)), 2 * mss));
                store(f.cwnd, mss);
            }
            store(f.in_recovery, uint8_t{0});
            store(f.dupacks, uint16_t{0});
            store(f.rto_gen, f.rto_gen + 1);
        }
        rtos_.fetch_add(1, std::memory_order_relaxed);
        t.backoff++;
        t.last_progress_ns = now;
    }
    c.next_ns = now + std::min(kCheckEveryNs, std::min(t.rto_ns << t.backoff, kRtoMaxNs));
    return c;
}

// Waits until each run that was in the kernel when this was called has
// returned; runs that start later see what was stored before. A run lasts
// microseconds to a few milliseconds; the bound only guards against a
// thread that hangs in the kernel.
void TcpBlaster::wait_for_runs_in_flight() const
{
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (const auto& epoch : run_epochs_) {
        const uint64_t e = epoch.load(std::memory_order_seq_cst);
        if (!(e & 1))
            continue;
        while (epoch.load(std::memory_order_acquire) == e && std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
    }
}

engine::BulkHandover::Progress TcpBlaster::release(uint32_t slot, uint64_t now)
{
    xg_tcp_flow& f = flow(slot);
    store(f.flags, static_cast<uint8_t>(load(f.flags) & ~XG_TCP_F_ACTIVE));
    wait_for_runs_in_flight();
    xg_tcp_flow_key key{};
    std::memcpy(key.local_addr, f.src_addr, 16);
    std::memcpy(key.peer_addr, f.dst_addr, 16);
    key.local_port = f.src_port;
    key.peer_port = f.dst_port;
    key.ipv6 = (f.flags & XG_TCP_F_IPV6) ? 1 : 0;
    (void)bpf_map_delete_elem(bpf_map__fd(impl_->skel->maps.tcp_flow_ids), &key);  // gone already is fine
    Progress p;
    p.una_off = load(f.una_off);
    p.nxt_off = std::max(load(f.nxt_off), p.una_off);
    p.end_off = std::max(load(f.end_off), p.nxt_off);
    p.wnd = load(f.wnd);
    p.ts_recent = load(f.ts_recent);
    SlotTimer& t = timers_[slot];
    if (!t.done_ns)
        __atomic_store_n(&t.done_ns, now, __ATOMIC_RELAXED);
    return p;
}

void TcpBlaster::stop_streams()
{
    const uint32_t n = std::min(next_slot_.load(std::memory_order_relaxed), cfg_.flows);
    for (uint32_t i = 0; i < n; i++) {
        xg_tcp_flow& f = flow(i);
        store(f.end_off, std::min(load(f.end_off), load(f.nxt_off)));
    }
    // Flows not handed over yet send nothing more of their own either.
    end_bytes_.store(0, std::memory_order_relaxed);
}

void TcpBlaster::start()
{
    threads_.start(cfg_.threads, [this](unsigned i) { thread_main(i, cfg_.cpus[i]); });
}

void TcpBlaster::thread_main(unsigned idx, int cpu)
{
    // The program sends the flows of the slice of the CPU it runs on.
    if (!pin_this_thread(cpu)) {
        threads_.fail(make_error(fmt::format("cannot pin the TCP sending thread to CPU {}", cpu)));
        return;
    }
    const int cnt_fd = bpf_map__fd(impl_->skel->maps.tcp_tx_counters);
    const int ncpu = libbpf_num_possible_cpus();
    std::vector<xg_tcp_tx_counters> per_cpu(static_cast<size_t>(std::max(ncpu, 1)));
    uint32_t zero = 0;
    uint64_t last_packets = 0;
    uint32_t chunk = kChunkMin, idle_us = 0;
    while (!threads_.stopping()) {
        run_epochs_[idx].fetch_add(1, std::memory_order_seq_cst);
        auto st = live_frames_run(impl_->prog_fd, impl_->frame, cfg_.ifindex, chunk, kKernelBatch);
        run_epochs_[idx].fetch_add(1, std::memory_order_release);
        if (!st) {
            threads_.fail(st.error().context(fmt::format("sending on {}", cfg_.ifname)));
            return;
        }
        // A repetition that finds no flow with room in its window costs CPU
        // the receiver and the ACK processing need: the run length follows
        // what was sent, and a run that sent nothing is followed by a pause.
        uint64_t packets = last_packets;
        if (bpf_map_lookup_elem(cnt_fd, &zero, per_cpu.data()) == 0 && cpu < ncpu)
            packets = per_cpu[static_cast<size_t>(cpu)].packets;
        const uint64_t sent = packets - last_packets;
        last_packets = packets;
        if (sent * 4 >= uint64_t{chunk} * 3)
            chunk = std::min(chunk * 2, kChunkMax);
        else if (sent * 2 < chunk)
            chunk = std::max(chunk / 2, kChunkMin);
        if (sent) {
            idle_us = 0;
            continue;
        }
        idle_us = std::min<uint32_t>(idle_us ? idle_us * 2 : 5, 500);
        std::this_thread::sleep_for(std::chrono::microseconds(idle_us));
    }
}

Status TcpBlaster::wait()
{
    request_stop();
    return threads_.join();
}

TcpBlastCounters TcpBlaster::counters() const
{
    TcpBlastCounters c;
    const int ncpu = libbpf_num_possible_cpus();
    uint32_t zero = 0;
    if (ncpu > 0) {
        std::vector<xg_tcp_tx_counters> tx(static_cast<size_t>(ncpu));
        if (bpf_map_lookup_elem(bpf_map__fd(impl_->skel->maps.tcp_tx_counters), &zero, tx.data()) == 0)
            for (const auto& x : tx) {
                c.tx.packets += x.packets;
                c.tx.bytes += x.bytes;
                c.tx.payload_bytes += x.payload_bytes;
                c.tx.resent += x.resent;
                c.tx.resent_bytes += x.resent_bytes;
                c.tx.no_room += x.no_room;
                c.tx.errors += x.errors;
            }
        std::vector<xg_tcp_ack_counters> ack(static_cast<size_t>(ncpu));
        if (bpf_map_lookup_elem(bpf_map__fd(impl_->skel->maps.tcp_ack_counters), &zero, ack.data()) == 0)
            for (const auto& a : ack) {
                c.ack.acks += a.acks;
                c.ack.new_acks += a.new_acks;
                c.ack.dup_acks += a.dup_acks;
                c.ack.fast_rexmits += a.fast_rexmits;
                c.ack.partial_acks += a.partial_acks;
                c.ack.old_acks += a.old_acks;
                c.ack.ahead_acks += a.ahead_acks;
                c.ack.passed += a.passed;
                c.ack.sack_acks += a.sack_acks;
                c.ack.sack_resend_bytes += a.sack_resend_bytes;
            }
    }
    c.adopted = std::min(next_slot_.load(std::memory_order_relaxed), cfg_.flows);
    for (uint32_t i = 0; i < c.adopted; i++)
        c.acked_bytes += load(flow(i).una_off);
    c.rtos = rtos_.load(std::memory_order_relaxed);
    c.probes = probes_.load(std::memory_order_relaxed);
    return c;
}

std::optional<TcpBlaster::DriverVerdict> TcpBlaster::driver_verdict() const
{
    if (!impl_->xmit)
        return std::nullopt;
    DriverVerdict v;
    for (const auto& c : impl_->xmit->bss->xmit_counters) {
        const auto* p = const_cast<const volatile xg_xmit_counters*>(&c);
        v.sent += p->sent;
        v.dropped += p->drops + p->redirect_err;
    }
    return v;
}

std::vector<uint64_t> TcpBlaster::flow_acked() const
{
    const uint32_t n = std::min(next_slot_.load(std::memory_order_relaxed), cfg_.flows);
    std::vector<uint64_t> v(n);
    for (uint32_t i = 0; i < n; i++)
        v[i] = load(flow(i).una_off);
    return v;
}

std::vector<double> TcpBlaster::flow_goodput(uint64_t now_ns) const
{
    const uint32_t n = std::min(next_slot_.load(std::memory_order_relaxed), cfg_.flows);
    std::vector<double> v(n);
    for (uint32_t i = 0; i < n; i++) {
        const SlotTimer& t = timers_[i];
        const uint64_t done = __atomic_load_n(&t.done_ns, __ATOMIC_RELAXED);
        const uint64_t end = done ? done : now_ns;
        const double secs = end > t.adopted_ns ? static_cast<double>(end - t.adopted_ns) / 1e9 : 0;
        v[i] = secs > 0 ? static_cast<double>(load(flow(i).una_off)) * 8 / secs : 0;
    }
    return v;
}

}  // namespace xdpgen
