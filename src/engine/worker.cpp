// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/worker.hpp"
#include "engine/worker_flow.hpp"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "net/icmp_frame.hpp"
#include "sys/cpus.hpp"

namespace xdpgen::engine {

using tcp::TcpEvent;
using tcp::TcpState;

namespace {

constexpr size_t kBatch = 64;
constexpr uint64_t kPublishEveryNs = 50'000'000;
constexpr uint32_t kStartsPerLoop = 64;  // so a burst of starts never starves RX
constexpr uint32_t kServerDefaultFlows = 1u << 17;

uint32_t derive_capacity(const WorkerConfig& c, size_t pairs)
{
    if (c.max_flows)
        return static_cast<uint32_t>(std::min<size_t>(c.max_flows, pairs));
    // Open connections plus those in our TIME-WAIT: at a set rate about
    // rate * time_wait of them. Without a rate it depends on the rate
    // reached; each flow takes one local pair, so with one address the
    // pairs themselves are the natural bound.
    const double tw = c.cps > 0 ? c.cps * (static_cast<double>(c.tcp.time_wait) / 1e9) * 1.5 : 0;
    double want = std::max(c.concurrency + tw + 1024, 65536.0);
    want = std::min(want, 4.0 * 1024 * 1024);
    // A bounded run never has more flows than it makes.
    if (c.bounded)
        want = std::min(want, std::max(static_cast<double>(c.connections), 1.0));
    return static_cast<uint32_t>(std::min<double>(want, static_cast<double>(pairs)));
}

// Some program has fields: flows are numbered (their FieldContext).
bool any_fields(const program::Program* program, const std::vector<program::Program>* programs)
{
    if (program && program->has_fields())
        return true;
    if (programs)
        for (const auto& p : *programs)
            if (p.has_fields())
                return true;
    return false;
}

// Programs of a profile may mix HTTP (parsed in order) with raw byte counts.
bool any_in_order(const std::vector<program::Program>* programs)
{
    if (programs)
        for (const auto& p : *programs)
            if (p.in_order())
                return true;
    return false;
}

}  // namespace

Worker::Worker(const WorkerConfig& cfg)
    : cfg_(cfg),
      table_(cfg.role == Role::Server
                 ? (cfg.max_flows ? cfg.max_flows : kServerDefaultFlows)
                 : derive_capacity(cfg, size_t(cfg.local_addrs.size()) * ((cfg.port_hi - cfg.port_lo + 1u) / cfg.workers + 1)),
             0.9, cfg.seed ^ 0x5bd1e995u),
      wheel_(table_.capacity(), 0),
      pool_(cfg.role == Role::Client ? static_cast<uint32_t>(cfg.local_addrs.size()) : 0, cfg.port_lo, cfg.port_hi,
            cfg.peer_time_wait_ns, cfg.seed >> 16, cfg.workers, cfg.index),
      conns_(table_.capacity()),
      progs_(table_.capacity()),
      recs_(table_.capacity()),
      rng_(cfg.seed),
      cookies_(cfg.seed * 0x9e3779b97f4a7c15ull + 1),
      cookie_tcp_(cfg.tcp),
      tx_(kBatch),
      rx_(kBatch)
{
    static_assert(sizeof(FlowRecord) <= 16, "per-flow memory: the record stays 16 bytes");
    log_.init(cfg.records, table_.capacity(), static_cast<uint16_t>(cfg.index),
              cfg.role == Role::Client ? records::Side::Client : records::Side::Server);
    // A connection rebuilt from a SYN cookie can only have what the cookie
    // holds: its SYN-ACK offers nothing else.
    cookie_tcp_.wscale = -1;
    cookie_tcp_.sack = false;
    cookie_tcp_.timestamps = false;
    // Only flows of a program that parses HTTP keep a parser.
    if (cfg.program && (cfg.program->in_order() || any_in_order(cfg.programs)))
        http_.resize(table_.capacity());
    if (cfg.programs && (cfg.programs->size() > 1 || cfg.per_program_stats)) {
        variant_.assign(table_.capacity(), 0);
        choice_rng_.seed(cfg.choice_seed * 0x9e3779b97f4a7c15ull + cfg.index);
        swrr_.assign(cfg.programs->size(), 0);
        for (uint32_t w : cfg.weights)
            weight_sum_ += w;
    }
    if (cfg.programs && cfg.per_program_stats)
        st_.templates.resize(cfg.programs->size());
    if (any_fields(cfg.program, cfg.programs)) {
        conn_no_.assign(table_.capacity(), 0);
        start_us_.assign(table_.capacity(), 0);
    }
    if (cfg.rps > 0) {
        req_due_.assign(table_.capacity(), 0);
        gate_queued_.assign(table_.capacity(), 0);
    }
    if (cfg.bulk) {
        bulk_slot_.assign(table_.capacity(), BulkHandover::kNoSlot);
        bulk_end_.assign(table_.capacity(), 0);
    }
    impair_init();
}

Worker::~Worker()
{
    request_stop(true);
    if (thread_.joinable())
        thread_.join();
}

Result<std::unique_ptr<Worker>> Worker::create(const WorkerConfig& cfg)
{
    if (cfg.local_addrs.empty() || cfg.port_hi < cfg.port_lo || (!cfg.program && !cfg.bulk) ||
        (cfg.bulk && cfg.role != Role::Client))
        return make_error(fmt::format("worker {}: no local addresses, ports or program", cfg.index));
    std::unique_ptr<Worker> w(new Worker(cfg));
    const std::string where = fmt::format("{} queue {}", cfg.ifname, cfg.queue);
    auto u = Umem::create(cfg.umem, where);
    if (!u)
        return u.error();
    w->umem_ = std::move(u.value());
    auto s = XskSocket::create(*w->umem_, {.ifname = cfg.ifname, .queue = cfg.queue, .zero_copy = cfg.zero_copy});
    if (!s)
        return s.error();
    w->xsk_ = std::move(s.value());
    return w;
}

size_t Worker::bytes_per_flow(bool http)
{
    static_assert(sizeof(FlowRecord) == 12, "one per flow: see the README's memory per flow");
    return sizeof(tcp::Connection) + sizeof(program::FlowState) + (http ? sizeof(program::HttpState) : 0) +
           sizeof(FlowRecord) + TimerWheel::kBytesPerFlow;
}

program::Runner Worker::runner(uint32_t id)
{
    return program::Runner(program_of(id), progs_[id], http_state(id), this, id);
}

void Worker::number_flow(uint32_t id, uint64_t start_ns)
{
    if (conn_no_.empty())
        return;
    // Numbers interleave across workers: 0, 1, 2, ... over the whole run.
    conn_no_[id] = static_cast<uint32_t>(numbered_++ * cfg_.workers + cfg_.index);
    start_us_[id] = static_cast<uint64_t>(static_cast<int64_t>(start_ns / 1000) + wall_minus_mono_us_);
}

void Worker::field_context(uint32_t flow, program::FieldContext& out) const
{
    const FlowKey k = table_.key(flow);
    out.conn = conn_no_.empty() ? 0 : conn_no_[flow];
    out.start_unix_us = start_us_.empty() ? 0 : start_us_[flow];
    out.seed = cfg_.choice_seed;
    out.local_addr = cfg_.local_addrs[k.local];
    out.local_port = k.local_port;
    out.remote_addr.v6 = k.v6 != 0;
    out.remote_addr.b = k.remote;
    out.remote_port = k.remote_port;
}

uint16_t Worker::variant_of_port(uint16_t port) const
{
    const auto& ports = cfg_.program_ports;
    for (size_t i = 0; i < ports.size(); i++)
        if (ports[i] == port)
            return static_cast<uint16_t>(i);
    return 0;
}

uint16_t Worker::choose_variant()
{
    const uint64_t n = cfg_.programs->size();
    if (!cfg_.weights.empty())
        return weighted_choice();
    return static_cast<uint16_t>(cfg_.random_choice ? choice_rng_() % n : chosen_++ % n);
}

uint16_t Worker::weighted_choice()
{
    const auto& w = cfg_.weights;
    if (cfg_.random_choice) {
        int64_t r = static_cast<int64_t>(choice_rng_() % static_cast<uint64_t>(weight_sum_));
        for (size_t i = 0; i < w.size(); i++)
            if ((r -= w[i]) < 0)
                return static_cast<uint16_t>(i);
        return static_cast<uint16_t>(w.size() - 1);
    }
    // nginx's smooth weighted round-robin: exact shares over every cycle of
    // weight_sum_ choices, and each program's turns spread through it.
    // A program of weight 0 (it has its own rate) is never chosen.
    size_t best = w.size();
    for (size_t i = 0; i < w.size(); i++) {
        swrr_[i] += w[i];
        if (w[i] && (best == w.size() || swrr_[i] > swrr_[best]))
            best = i;
    }
    swrr_[best] -= weight_sum_;
    return static_cast<uint16_t>(best);
}

void Worker::reset_program(uint32_t id)
{
    progs_[id] = program::FlowState{};
    if (!http_.empty())
        http_[id] = program::HttpState{};
}

void Worker::publish()
{
    st_.c.open = active_;
    st_.c.records_dropped = log_.dropped();
    st_.c.time_wait = table_.size() - std::min<uint64_t>(table_.size(), active_);
    if (cfg_.role == Role::Client)
        st_.c.ports_resting = pool_.quarantined();
    if (req_started_)  // up to the last look before the stop: the drain schedules nothing
        st_.c.requests_due = std::max(req_issued_, rps_scheduled_by(req_looked_at_));
    mailbox_.publish(st_);
}

uint64_t Worker::now_ns() const
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

void Worker::start(uint64_t start_ns)
{
    start_ns_ = start_ns;
    timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    const uint64_t mono = now_ns();
    wall_minus_mono_us_ = (int64_t(wall.tv_sec) * 1'000'000 + wall.tv_nsec / 1000) - int64_t(mono / 1000);
    log_.set_wall_offset(int64_t(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec - int64_t(mono));
    sched_ = ConnectSchedule(cfg_.cps, cfg_.ramp_up_s, start_ns);
    own_sched_.clear();
    const size_t programs = std::max(cfg_.program_cps.size(), cfg_.program_concurrency.size());
    for (size_t v = 0; v < programs; v++)
        own_sched_.emplace_back(v < cfg_.program_cps.size() ? cfg_.program_cps[v] : 0, cfg_.ramp_up_s, start_ns);
    own_started_.assign(programs, 0);
    own_open_.assign(programs, 0);
    wheel_ = TimerWheel(table_.capacity(), start_ns);
    thread_ = std::thread([this] { run(); });
}

void Worker::request_stop(bool abort_now)
{
    if (abort_now)
        abort_.store(true, std::memory_order_relaxed);
    stop_.store(true, std::memory_order_release);
}

Status Worker::wait()
{
    if (thread_.joinable())
        thread_.join();
    return result_;
}

void Worker::run()
{
    if (cfg_.cpu >= 0)
        pin_this_thread(cfg_.cpu);
    for (;;) {
        const uint64_t now = now_ns();
        if (stop_.load(std::memory_order_acquire) && !stopping_) {
            stopping_ = true;
            stop_at_ = now;
        }
        bool busy = false;
        loop_once(now, busy);
        if (!result_) {
            // Its flows end here (reset if the socket still sends), and the
            // others must not wait for them.
            abort_all(now);
            if (cfg_.handoff && !own_done_) {
                own_done_ = true;
                cfg_.handoff->own_work_done();
            }
            break;
        }
        const bool budget_done = cfg_.bounded && started_ >= cfg_.connections;
        // Delayed segments of ended flows (final ACKs) still leave first.
        if ((budget_done || stopping_) && active_ == 0 && tx_pending() == 0) {
            if (!cfg_.handoff)
                break;
            if (!own_done_) {
                own_done_ = true;
                cfg_.handoff->own_work_done();
            }
            if (cfg_.handoff->all_done())
                break;
        }
        if (stopping_ && (abort_.load(std::memory_order_relaxed) || now - stop_at_ >= cfg_.drain_ns)) {
            abort_all(now);
            break;
        }
        if (now - last_publish_ >= kPublishEveryNs) {
            publish();
            last_publish_ = now;
        }
        if (!busy)
            idle_wait(now);
    }
    // The last segments (RSTs of an abort, final ACKs) leave before the
    // socket goes: bounded wait for their completions.
    if (auto r = flush_tx(); !r && result_)
        result_ = r;
    for (int i = 0; i < 200 && tx_inflight_; i++) {
        tx_inflight_ -= std::min<uint64_t>(tx_inflight_, xsk_->tx_complete());
        if (tx_inflight_) {
            (void)xsk_->kick_tx();
            timespec ts{0, 1'000'000};
            nanosleep(&ts, nullptr);
        }
    }
    publish();
    done_.store(true, std::memory_order_release);
}

void Worker::loop_once(uint64_t now, bool& busy)
{
    now_ = now;
    tx_inflight_ -= std::min<uint64_t>(tx_inflight_, xsk_->tx_complete());
    busy |= receive(now) > 0;
    if (cfg_.handoff)
        busy |= cfg_.handoff->receive(cfg_.index, kBatch, [&](std::span<const uint8_t> f) { handle_frame(now, f, true); }) > 0;
    if (!imp_flows_.empty() || imp_rx_)
        busy |= impair_due(now) > 0;
    busy |= wheel_.advance(now, [&](uint32_t id) { fire(id, now); }) > 0;
    if (cfg_.bulk)
        bulk_poll(now);
    if (!stopping_ && cfg_.role == Role::Client && !paused_.load(std::memory_order_relaxed))
        busy |= start_connections(now);
    if (cfg_.rps > 0 && !stopping_)
        req_looked_at_ = now;
    if (cfg_.rps > 0 && !gate_q_.empty()) {
        if (stopping_)
            rps_end_gates(now);
        else if (!paused_.load(std::memory_order_relaxed))
            busy |= rps_issue(now);
    }
    if (auto r = flush_tx(); !r && result_)
        result_ = r.error();
    if (cfg_.fail_after_ns && now - start_ns_ >= cfg_.fail_after_ns && result_)
        result_ = make_error(fmt::format("worker {} ({} queue {}): injected fault after {} ms", cfg_.index, cfg_.ifname,
                                         cfg_.queue, cfg_.fail_after_ns / 1'000'000),
                             0, "XDPGEN_FAULT is set: it is for tests only; unset it");
}

size_t Worker::receive(uint64_t now)
{
    const size_t n = xsk_->rx_batch(rx_);
    for (size_t i = 0; i < n; i++) {
        const std::span<const uint8_t> frame{umem_->data(rx_[i].addr), rx_[i].len};
        if (!imp_rx_ || !impair_rx(now, frame))
            handle_frame(now, frame);
    }
    xsk_->rx_release(std::span<const XskDesc>(rx_.data(), n));
    if (n == 0)
        if (auto r = xsk_->rx_wakeup(); !r && result_)
            result_ = r.error();
    return n;
}

bool Worker::checksum_ok(const TcpFrameView& v)
{
    if (cfg_.rx_csum == tcp::CsumCheck::Off)
        return true;
    const uint32_t pseudo = tcp::tcp_pseudo_sum(v.src, v.dst, static_cast<uint32_t>(v.l4.size()));
    const tcp::CsumVerdict verdict = tcp::tcp_csum_verdict(v.l4, pseudo);
    if (verdict == tcp::CsumVerdict::Valid)
        return true;
    if (verdict == tcp::CsumVerdict::Offloaded) {
        st_.c.rx_csum_offloaded++;
        if (cfg_.rx_csum == tcp::CsumCheck::Auto)
            return true;
    }
    st_.c.rx_bad_csum++;
    return false;
}

void Worker::lower_mss(uint32_t id, uint64_t now, uint16_t mss, uint32_t quoted_seq)
{
    bool lowered;
    if (cfg_.bulk) {
        bulk_take_back(id, now);  // the live-frames sender keeps its MSS: the engine sends the rest
        BulkApp app(*cfg_.bulk, bulk_end_[id]);
        FlowSink sink(*this, id, app);
        lowered = conns_[id].path_mss_reduced(now, mss, tcp::SeqNum(quoted_seq), app, sink);
        bulk_after_call(id, now, app);
    } else {
        program::Runner r = runner(id);
        FlowApp app(r);
        FlowSink sink(*this, id, app);
        lowered = conns_[id].path_mss_reduced(now, mss, tcp::SeqNum(quoted_seq), app, sink);
        after_call(id, now, app, sink);
    }
    if (lowered)
        st_.c.rx_icmp_mss_lowered++;
}

// An ICMP error about a segment of ours (steering passes no other ICMP to
// the socket). "Too big" lowers the flow's MSS; the others are soft errors
// that do not end a connection (RFC 5461 §4, RFC 9293 §3.10.7.1 note).
// False if the frame is not such an error.
bool Worker::handle_icmp(uint64_t now, std::span<const uint8_t> frame, bool checked)
{
    const auto e = parse_icmp_tcp_error(frame);
    if (!e)
        return false;
    if (!checked && !e->csum_ok && cfg_.rx_csum != tcp::CsumCheck::Off) {
        st_.c.rx_bad_csum++;
        return false;
    }
    TcpFrameView v;
    v.src = e->remote;
    v.dst = e->local;
    tcp::Segment seg;
    seg.src_port = e->remote_port;
    seg.dst_port = e->local_port;
    FlowKey key;
    if (!key_of(v, seg, key))
        return false;
    const uint32_t id = table_.find(key);
    const uint16_t owner_port = cfg_.role == Role::Client ? e->local_port : e->remote_port;
    if (id == FlowTable::kNone && cfg_.handoff && cfg_.handoff->owner(owner_port) != cfg_.index) {
        if (cfg_.handoff->send(cfg_.index, cfg_.handoff->owner(owner_port), frame))
            st_.c.rx_handed_off++;
        else
            st_.c.handoff_dropped++;
        return true;
    }
    st_.c.rx_icmp++;
    if (id != FlowTable::kNone && e->too_big)
        lower_mss(id, now, mss_for_path_mtu(e->mtu, e->local.v6), e->seq);
    return true;
}

void Worker::handle_frame(uint64_t now, std::span<const uint8_t> frame, bool checked)
{
    auto v = parse_tcp_frame(frame);
    if (!v) {
        if (!handle_icmp(now, frame, checked))
            st_.c.rx_invalid++;
        return;
    }
    if (!checked && !checksum_ok(*v)) {
        st_.c.rx_invalid++;
        return;
    }
    tcp::ParsedTcp p = tcp::parse_tcp(v->l4);
    if (p.status != tcp::ParseStatus::Ok) {
        st_.c.rx_invalid++;
        return;
    }
    FlowKey key;
    if (!key_of(*v, p.seg, key)) {
        st_.c.rx_invalid++;  // steering sends only our addresses: a frame of someone else's
        return;
    }
    st_.c.rx_packets++;
    const uint32_t id = table_.find(key);
    // The port that names the owner: ours as a client, the client's as a server.
    const uint16_t owner_port = cfg_.role == Role::Client ? p.seg.dst_port : p.seg.src_port;
    if (id == FlowTable::kNone && cfg_.handoff && cfg_.handoff->owner(owner_port) != cfg_.index) {
        if (cfg_.handoff->send(cfg_.index, cfg_.handoff->owner(owner_port), frame))
            st_.c.rx_handed_off++;
        else
            st_.c.handoff_dropped++;
        st_.c.rx_packets--;  // counted by the owner
        return;
    }
    if (id == FlowTable::kNone && cfg_.role == Role::Server && listening(v->dst, p.seg.dst_port)) {
        const uint8_t f = p.seg.flags & (tcp::kSyn | tcp::kAck | tcp::kRst | tcp::kFin);
        if (f == tcp::kSyn) {
            server_syn(now, *v, p, tcp::SeqNum(static_cast<uint32_t>(rng_())));
            return;
        }
        if ((f & tcp::kAck) && !(f & (tcp::kSyn | tcp::kRst)) && server_cookie_ack(now, *v, p))
            return;
    }
    if (id != FlowTable::kNone && cfg_.role == Role::Server && server_reopen(now, id, *v, p))
        return;
    if (id == FlowTable::kNone) {
        // Ours by address and port, but no flow: a segment of a connection
        // that has ended (RFC 9293 §3.10.7.1 answers it with RST).
        st_.c.rx_no_flow++;
        tcp::Segment rst;
        if (tcp::tcp_reset_for(p.seg, rst)) {
            TcpFrameEnds e{cfg_.src_mac, v->src_mac, v->dst, v->src, p.seg.dst_port, p.seg.src_port};
            emit_frame(e, rst, nullptr, 0);
        }
        return;
    }
    if (cfg_.bulk) {
        bulk_segment(id, now, p);
        return;
    }
    program::Runner r = runner(id);
    FlowApp app(r);
    FlowSink sink(*this, id, app);
    conns_[id].on_segment(now, p.seg, p.payload, app, sink);
    after_call(id, now, app, sink);
}

uint32_t Worker::start_own_rates(uint64_t now, uint32_t n)
{
    for (size_t v = 0; v < own_sched_.size(); v++) {
        if (!own_load(v))
            continue;
        while (n < kStartsPerLoop && may_start() && own_may_start(v)) {
            const uint64_t due = own_sched_[v].unlimited() ? now : own_sched_[v].due(own_started_[v]);
            if (due > now)
                break;
            uint32_t pair;
            if (table_.size() >= table_.capacity() || !pool_.acquire(now, pair)) {
                st_.c.ports_exhausted++;
                return n;
            }
            start_one(now, due, pair, 0, static_cast<uint16_t>(v));
            n++;
        }
    }
    return n;
}

uint64_t Worker::own_rates_next_due() const
{
    uint64_t next = UINT64_MAX;
    for (size_t v = 0; v < own_sched_.size(); v++)
        if (own_load(v) && own_may_start(v))
            next = std::min(next, own_sched_[v].unlimited() ? 0 : own_sched_[v].due(own_started_[v]));
    return next;
}

uint32_t Worker::start_continuations(uint64_t now)
{
    uint32_t n = 0;
    while (!continuations_.empty() && n < kStartsPerLoop) {
        uint32_t pair;
        if (table_.size() >= table_.capacity() || !pool_.acquire(now, pair)) {
            st_.c.ports_exhausted++;
            break;
        }
        const Continuation k = continuations_.back();
        continuations_.pop_back();
        start_one(now, now, pair, k.pc, k.variant);
        n++;
    }
    return n;
}

bool Worker::start_connections(uint64_t now)
{
    // Programs already running come first: they hold their place in -c.
    uint32_t n = start_continuations(now);
    if (!continuations_.empty())
        return n > 0;
    n = start_own_rates(now, n);
    // Every program has its own rate: the run's schedule starts none.
    const bool by_weight = own_sched_.empty() || weight_sum_ > 0;
    while (by_weight && n < kStartsPerLoop) {
        if (!may_start())
            break;
        const uint64_t due = sched_.unlimited() ? now : sched_.due(weighted_started_);
        if (due > now)
            break;
        uint32_t pair;
        if (table_.size() >= table_.capacity() || !pool_.acquire(now, pair)) {
            st_.c.ports_exhausted++;
            break;
        }
        start_one(now, due, pair);
        n++;
    }
    return n > 0;
}

void Worker::start_one(uint64_t now, uint64_t sched, uint32_t pair, uint32_t resume_pc, uint16_t variant)
{
    const auto local = static_cast<uint16_t>(PortPool::addr_of(pair));  // pool addresses are local_addrs indices
    const uint16_t v = variant_.empty() ? 0 : variant != kChooseVariant ? variant : choose_variant();
    const uint16_t port = v < cfg_.program_ports.size() && cfg_.program_ports[v] ? cfg_.program_ports[v]
                                                                                 : cfg_.remote_port;
    const FlowKey key = FlowKey::make(local, PortPool::port_of(pair), cfg_.remote, port);
    const auto ins = table_.insert(key);
    if (!ins.inserted) {
        // Cannot happen while pairs are unique per worker; never lose the pair.
        pool_.release(pair, now, false);
        st_.c.ports_exhausted++;
        return;
    }
    const uint32_t id = ins.id;
    conns_[id] = tcp::Connection{};
    recs_[id] = FlowRecord::starting(sched, now, pair);
    log_.begin(id, now, sched);
    impair_begin(id, key);
    number_flow(id, sched);
    if (!variant_.empty())
        variant_[id] = v;
    if (resume_pc) {
        // A program that goes on: counted when it started.
        program::Runner::prepare_resume(program_of(id), resume_pc, progs_[id], http_[id]);
    } else {
        reset_program(id);
        started_++;
        if (variant == kChooseVariant)
            weighted_started_++;
        else if (v < own_started_.size())
            own_started_[v]++;
        if (v < own_open_.size())
            own_open_[v]++;
        active_++;
        st_.c.attempted++;
        if (auto* t = template_of(id))
            t->attempted++;
    }
    const tcp::SeqNum iss(static_cast<uint32_t>(rng_()));
    if (cfg_.bulk) {
        bulk_slot_[id] = BulkHandover::kNoSlot;
        bulk_end_[id] = 0;  // nothing of the stream before the handover is decided
        BulkApp app(*cfg_.bulk, 0);
        FlowSink sink(*this, id, app);
        conns_[id].connect(tcp_of(id), now, iss, sink);
        bulk_after_call(id, now, app);
        return;
    }
    program::Runner r = runner(id);
    FlowApp app(r);
    FlowSink sink(*this, id, app);
    conns_[id].connect(tcp_of(id), now, iss, sink);
    after_call(id, now, app, sink);
}

void Worker::fire(uint32_t id, uint64_t now)
{
    if (cfg_.bulk) {
        bulk_fire(id, now);
        return;
    }
    FlowRecord& rec = recs_[id];
    program::Runner r = runner(id);
    FlowApp app(r);
    FlowSink sink(*this, id, app);
    tcp::Connection& c = conns_[id];
    if (!rec.done) {
        const uint64_t started = rec.started_ns(now);
        const bool handshaking = c.state() == TcpState::SynSent || c.state() == TcpState::SynReceived;
        const bool connect_late = handshaking && now >= started + cfg_.connect_timeout_ns;
        if (connect_late || now >= started + cfg_.timeout_ns) {
            c.abort(now, sink);
            finish(id, now, false, program::Failure::None, TcpEvent::Timeout);
            free_flow(id, now, false);
            return;
        }
    }
    c.poll(now, app, sink);
    after_call(id, now, app, sink);
}

void Worker::after_call(uint32_t id, uint64_t now, FlowApp& app, FlowSink& sink, program::Gate gate)
{
    tcp::Connection& c = conns_[id];
    FlowRecord& rec = recs_[id];
    program::Runner& r = app.r_;

    uint64_t wake = tcp::kNever;
    bool program_reset = false;
    bool reached_gate = false, waits_at_gate = false;
    // A stopping run sends no more requests: gates end their loops.
    if (stopping_)
        gate = program::Gate::End;
    // The program reacts to what the call changed; what it asks for may
    // change the connection again (a close, newly released bytes), hence
    // the loop. Bounded: each round either acts once or ends it.
    for (int round = 0; round < 4 && !app.terminal && c.state() != TcpState::Closed; round++) {
        const program::Next n = r.advance(now, c.tcb().rcv_nxt_off, tcp::have_rcvd_fin(c.state()), gate);
        if (gate == program::Gate::Open)
            gate = program::Gate::Wait;  // one go per call
        reached_gate |= n.reached_gate;
        waits_at_gate = n.waits_at_gate;
        wake = n.wake_at;
        if (n.action == program::Action::Reset) {
            c.abort(now, sink);
            program_reset = true;
            break;
        }
        if (n.action == program::Action::Close)
            c.close(now, app, sink);
        else if (n.tx_grew)
            c.poll(now, app, sink);
        else
            break;
    }

    if (reached_gate && cfg_.rps > 0)
        rps_reached_gate(id, now, waits_at_gate);

    if (app.established && !rec.established) {
        rec.established = true;
        if (rec.half_open) {
            rec.half_open = false;
            half_open_--;
        }
        st_.c.established++;
        st_.connect.add(now - rec.sched_ns(now));
    }
    if (app.rx_bytes && !rec.first_byte) {
        rec.first_byte = true;
        st_.first_byte.add(now - rec.sched_ns(now));
    }
    log_.progress(id, now, app.established, app.rx_bytes, app.acked, app.peer_fin);
    st_.c.rx_bytes += app.rx_bytes;
    st_.c.tx_bytes += app.acked;
    app.rx_bytes = app.acked = 0;
    app.established = app.peer_fin = false;

    const TcpState s = c.state();
    if (s == TcpState::CloseWait || s == TcpState::LastAck)
        rec.peer_closed_first = true;

    if (!rec.done) {
        const program::Failure pf = r.failure();
        if (program_reset)
            finish(id, now, pf == program::Failure::None && r.finished(), pf, TcpEvent::Reset);
        else if (app.terminal)
            finish(id, now, app.last == TcpEvent::Closed && r.finished(), pf, app.last);
        else if (s == TcpState::TimeWait)
            finish(id, now, r.finished(), pf, TcpEvent::Closed);
    }
    if (s == TcpState::Closed) {
        // A clean close where the peer closed first leaves it in TIME-WAIT.
        const bool quarantine = rec.peer_closed_first && app.terminal && app.last == TcpEvent::Closed;
        free_flow(id, now, quarantine);
        return;
    }
    uint64_t deadline = std::min(c.next_deadline(now), wake);
    if (!rec.done) {
        const uint64_t started = rec.started_ns(now);
        const bool handshaking = s == TcpState::SynSent || s == TcpState::SynReceived;
        deadline = std::min(deadline, started + (handshaking ? cfg_.connect_timeout_ns : cfg_.timeout_ns));
    }
    wheel_.arm(id, deadline);
}

void Worker::finish(uint32_t id, uint64_t now, bool completed, program::Failure pf, TcpEvent ev)
{
    FlowRecord& rec = recs_[id];
    if (rec.done)
        return;
    rec.done = true;
    if (!http_.empty()) {  // a client's responses; a server's requests count per template only
        const uint64_t got = runner(id).http_messages_here();
        if (cfg_.role == Role::Client)
            st_.c.http_responses += got;
        if (auto* t = template_of(id))
            t->http_responses += got;
    }
    if (log_.on()) {
        const bool goes_on = progs_[id].server_closed && pf == program::Failure::None;
        log_.end(id, now, log_ends(id), completed || goes_on ? records::Outcome::Completed : records::Outcome::Failed,
                 completed || goes_on ? records::Cause::None : FlowLog::cause_of(pf, ev));
    }
    if (progs_[id].server_closed && pf == program::Failure::None) {
        // Not done, not failed: the program goes on over a new connection,
        // whatever ended this one after the response that closed it.
        st_.c.server_closed++;
        continuations_.push_back({progs_[id].pc, variant_.empty() ? uint16_t(0) : variant_[id]});
        return;
    }
    active_--;
    if (!variant_.empty() && variant_[id] < own_open_.size())
        own_open_[variant_[id]]--;
    if (rec.half_open) {
        rec.half_open = false;
        half_open_--;
    }
    TemplateCounters* t = template_of(id);
    if (completed) {
        st_.c.completed++;
        st_.total.add(now - rec.sched_ns(now));
        if (t) {
            t->completed++;
            t->total.add(now - rec.sched_ns(now));
        }
        return;
    }
    st_.c.failed++;
    if (t)
        t->failed++;
    // The same cause as the connection's record (a clean close before the
    // program was done counts as the peer's).
    using records::Cause;
    switch (FlowLog::cause_of(pf, ev)) {
    case Cause::HttpStatus: st_.c.failed_http_status++; break;
    case Cause::HttpMalformed: st_.c.failed_http_malformed++; break;
    case Cause::Verify: st_.c.failed_verify++; break;
    case Cause::ExpectMismatch: st_.c.failed_expect++; break;
    case Cause::Timeout: st_.c.failed_timeout++; break;
    case Cause::Refused: st_.c.failed_refused++; break;
    case Cause::Reset: st_.c.failed_reset++; break;
    case Cause::PeerClosed:
    case Cause::None: st_.c.failed_peer_closed++; break;
    }
}

void Worker::free_flow(uint32_t id, uint64_t now, bool quarantine)
{
    wheel_.cancel(id);
    if (cfg_.rps > 0)
        rps_forget(id);
    conns_[id].release_ooo();  // a flow dropped while holes were open
    impair_end(id);
    if (cfg_.role == Role::Client)
        pool_.release(recs_[id].pair_or_mac, now, quarantine);
    else
        macs_.release(recs_[id].pair_or_mac);
    table_.erase_id(id);
}

void Worker::abort_all(uint64_t now)
{
    now_ = now;
    impair_off_ = true;  // the run ends now: its RSTs must not wait
    active_ -= std::min<uint64_t>(active_, continuations_.size());
    st_.c.unfinished += continuations_.size();
    continuations_.clear();
    for (uint32_t id = 0; id < table_.capacity(); id++) {
        if (conns_[id].state() == TcpState::Closed)
            continue;
        if (!recs_[id].done) {
            recs_[id].done = true;
            active_--;
            st_.c.unfinished++;
            log_.end(id, now, log_ends(id), records::Outcome::Unfinished, records::Cause::None);
        }
        if (cfg_.bulk && recs_[id].bulk)
            bulk_take_back(id, now);
        tcp::TcpApp* app = nullptr;
        std::optional<program::Runner> r;
        std::optional<FlowApp> flow_app;
        std::optional<BulkApp> bulk_app;
        if (cfg_.bulk) {
            app = &bulk_app.emplace(*cfg_.bulk, bulk_end_[id]);
        } else {
            r.emplace(program_of(id), progs_[id], http_state(id));
            app = &flow_app.emplace(*r);
        }
        FlowSink sink(*this, id, *app);
        if (conns_[id].state() != TcpState::TimeWait)
            conns_[id].abort(now, sink);
        conns_[id] = tcp::Connection{};
        free_flow(id, now, false);
    }
}

bool Worker::key_of(const TcpFrameView& v, const tcp::Segment& seg, FlowKey& key) const
{
    const auto& locals = cfg_.local_addrs;
    size_t i = locals.size();
    if (cfg_.role == Role::Server || locals.size() <= 8) {
        // A server's listening addresses (one per family), or a short client range.
        for (i = 0; i < locals.size() && !(locals[i] == v.dst); i++) {
        }
    } else {
        // A client's range: consecutive addresses, one family, differing
        // in the last 32 bits (see AddrRange).
        auto last32 = [](const IpAddr& a) {
            const size_t o = a.v6 ? 12 : 0;
            return uint32_t(a.b[o]) << 24 | uint32_t(a.b[o + 1]) << 16 | uint32_t(a.b[o + 2]) << 8 | a.b[o + 3];
        };
        const uint32_t off = last32(v.dst) - last32(locals.front());
        if (off < locals.size() && locals[off] == v.dst)
            i = off;
    }
    if (i >= locals.size())
        return false;
    key = FlowKey::make(static_cast<uint16_t>(i), seg.dst_port, v.src, seg.src_port);
    return true;
}

TcpFrameEnds Worker::ends_of(uint32_t id) const
{
    const FlowKey k = table_.key(id);
    TcpFrameEnds e;
    e.src_mac = cfg_.src_mac;
    e.dst_mac = cfg_.role == Role::Server ? macs_[recs_[id].pair_or_mac] : cfg_.dst_mac;
    e.src = cfg_.local_addrs[k.local];
    e.dst.v6 = k.v6 != 0;
    e.dst.b = k.remote;
    e.src_port = k.local_port;
    e.dst_port = k.remote_port;
    return e;
}

bool Worker::emit(uint32_t id, const tcp::OutSegment& s, tcp::TcpApp& app)
{
    if (!imp_flows_.empty() && !impair_off_ && impair_tx(id, s)) {
        // Lost or on its way later: sent, as far as the connection knows.
        st_.c.retransmits += s.retransmit;
        log_.sent(id, now_, s);
        return true;
    }
    if (!emit_frame(ends_of(id), s.seg, &app, s.payload_offset))
        return false;
    st_.c.retransmits += s.retransmit;
    log_.sent(id, now_, s);
    return true;
}

FlowLog::Ends Worker::log_ends(uint32_t id) const
{
    const FlowKey k = table_.key(id);
    FlowLog::Ends e{&cfg_.local_addrs[k.local], {}, k.local_port, k.remote_port, records::kNoTemplate};
    e.remote.v6 = k.v6 != 0;
    e.remote.b = k.remote;
    if (!variant_.empty() && cfg_.per_program_stats)
        e.template_id = variant_[id];
    return e;
}

uint8_t* Worker::tx_frame(XskDesc*& desc)
{
    if (tx_used_ == tx_reserved_) {
        if (auto r = flush_tx(); !r) {
            if (result_)  // the first error is the one reported
                result_ = r.error();
            return nullptr;
        }
        tx_reserved_ = xsk_->tx_reserve(tx_);
        if (tx_reserved_ == 0) {
            // Ring or frames used up by what is queued: copy mode sends only
            // when kicked, a bounded batch each time. Without this kick a
            // loop kept busy by timers that cannot emit never reaches
            // idle_wait's kick, and TX stops for good (1M hold timers
            // ending together did that: a billion failed reserves, no
            // syscall).
            (void)xsk_->kick_tx();
            tx_inflight_ -= std::min<uint64_t>(tx_inflight_, xsk_->tx_complete());
            tx_reserved_ = xsk_->tx_reserve(tx_);
        }
        if (tx_reserved_ == 0)
            return nullptr;
    }
    desc = &tx_[tx_used_++];
    return umem_->data(desc->addr);
}

bool Worker::emit_frame(const TcpFrameEnds& ends, const tcp::Segment& seg, tcp::TcpApp* app, uint64_t payload_off)
{
    XskDesc* d = nullptr;
    uint8_t* f = tx_frame(d);
    if (!f) {
        st_.c.tx_ring_full++;
        return false;
    }
    std::span<uint8_t> frame(f, umem_->config().frame_size);
    TcpFrameLayout lay;
    if (!write_tcp_frame_headers(frame, ends, seg, ip_id_++, lay)) {
        d->len = 0;  // cancelled at submit; cannot happen while the MSS fits the frame
        st_.c.tx_oversize++;
        return false;
    }
    if (seg.payload_len && app)
        app->tx_fill(payload_off, frame.subspan(lay.payload_off, seg.payload_len));
    tcp_frame_finish(frame, ends, lay);
    d->len = static_cast<uint32_t>(lay.size);
    st_.c.tx_packets++;
    st_.c.tx_frame_bytes += lay.size;
    st_.c.tx_payload_bytes += seg.payload_len;
    return true;
}

Status Worker::flush_tx()
{
    if (tx_reserved_ == 0)
        return {};
    const size_t used = tx_used_;
    auto r = xsk_->tx_submit(std::span<const XskDesc>(tx_.data(), tx_reserved_));
    tx_reserved_ = tx_used_ = 0;
    tx_inflight_ += used;
    return link_filter(std::move(r));
}

Status Worker::link_filter(Status r) const
{
    // The kernel refuses a kick on a down interface before it takes any
    // frame (ENETDOWN): they leave once it is up again.
    if (!r && r.error().err == ENETDOWN && cfg_.ride_out_link_down)
        return {};
    return r;
}

void Worker::idle_wait(uint64_t now)
{
    // Frames still queued: copy-mode AF_XDP sends a bounded batch per kick,
    // so kick again rather than sleep (unless the link is down: no spinning).
    const bool paused = paused_.load(std::memory_order_relaxed);
    // A copy-mode kick sends before it returns: what it took is complete by
    // now, so only frames not yet taken need another kick (not a syscall
    // after every batch).
    tx_inflight_ -= std::min<uint64_t>(tx_inflight_, xsk_->tx_complete());
    if (tx_inflight_ && !paused) {
        (void)xsk_->kick_tx();
        return;
    }
    uint64_t wait = 1'000'000;  // the timer wheel's tick
    if (const uint64_t due = impair_next_due(); due != UINT64_MAX)
        wait = due > now ? std::min(wait, due - now) : 0;
    if (cfg_.rps > 0 && !gate_q_.empty() && !paused) {
        const uint64_t due = rps_next_due();
        wait = due > now ? std::min(wait, due - now) : 0;
    }
    if (!stopping_ && !paused && may_start()) {
        const bool by_weight = own_sched_.empty() || weight_sum_ > 0;
        const uint64_t weighted = by_weight && !sched_.unlimited() ? sched_.due(weighted_started_) : UINT64_MAX;
        const uint64_t due = std::min(weighted, own_rates_next_due());
        if (due != UINT64_MAX)
            wait = due > now ? std::min(wait, due - now) : 0;
    }
    if (wait < 20'000)
        return;  // sooner than a wake-up costs: spin
    pollfd p[2] = {{xsk_->fd(), POLLIN, 0}, {-1, POLLIN, 0}};
    timespec ts{0, static_cast<long>(wait)};
    if (!cfg_.handoff) {
        ppoll(p, 1, &ts, nullptr);
        return;
    }
    Handoff& h = *cfg_.handoff;
    h.set_sleeping(cfg_.index, true);
    if (!h.pending(cfg_.index)) {
        p[1].fd = h.wake_fd(cfg_.index);
        ppoll(p, 2, &ts, nullptr);
        h.clear_wake(cfg_.index);
    }
    h.set_sleeping(cfg_.index, false);
}

}  // namespace xdpgen::engine
