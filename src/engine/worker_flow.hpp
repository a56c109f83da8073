// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The worker's per-flow record and the adapters it hands the TCP core for
// one call into a flow; shared by the worker's .cpp files only.

#include <algorithm>
#include <array>

#include "util/ns_time48.hpp"

#include "engine/worker.hpp"

namespace xdpgen::engine {

// What the worker keeps per flow besides the TCB and the program state.
struct Worker::FlowRecord {
    // How late a start is kept: in units of 64 ms, rounded up, up to 65 s.
    static constexpr uint64_t kDelayUnitNs = 64'000'000;
    static constexpr uint16_t kMaxDelayUnits = 1023;

    // When the connection was due: latencies count from here. 48 bits of
    // ns reach 39 hours back; a flow lives less (--timeout plus --hold).
    util::NsTime48 sched;
    // How late the connection really started: timeouts count from then.
    uint16_t start_delay : 10 = 0;
    bool established : 1 = false;
    bool first_byte : 1 = false;
    bool done : 1 = false;               // completed or failed: counted, no longer active
    bool peer_closed_first : 1 = false;  // the peer holds TIME-WAIT: quarantine the pair
    bool half_open : 1 = false;          // server: counted in half_open_ until established or gone
    bool bulk : 1 = false;               // its stream is with the BulkHandover (cfg_.bulk)
    // Client: the local (address, port) pair from the pool. Server: the id
    // in macs_ of the MAC the SYN came from (clients behind different
    // routers, or a flood with made-up MACs, must not change where a flow's
    // answers go); a client's flows all go through cfg_.dst_mac.
    uint32_t pair_or_mac = 0;

    // A fresh record for a connection due at `due` that starts at `now`.
    static FlowRecord starting(uint64_t due, uint64_t now, uint32_t pair_or_mac)
    {
        FlowRecord r;
        r.sched = util::NsTime48(due);
        const uint64_t late = now > due ? now - due : 0;
        r.start_delay = static_cast<uint16_t>(std::min<uint64_t>((late + kDelayUnitNs - 1) / kDelayUnitNs, kMaxDelayUnits));
        r.pair_or_mac = pair_or_mac;
        return r;
    }
    uint64_t sched_ns(uint64_t now) const { return sched.ns(now); }
    uint64_t started_ns(uint64_t now) const { return sched_ns(now) + uint64_t(start_delay) * kDelayUnitNs; }
};

// What the worker learns from one call into a flow: events and bytes.
class Worker::AppEvents {
public:
    void note(tcp::TcpEvent ev, uint64_t value)
    {
        switch (ev) {
        case tcp::TcpEvent::Established: established = true; break;
        case tcp::TcpEvent::DataAcked: acked += value; break;
        case tcp::TcpEvent::PeerFin: peer_fin = true; break;
        case tcp::TcpEvent::Closed:
        case tcp::TcpEvent::Reset:
        case tcp::TcpEvent::Refused:
        case tcp::TcpEvent::Timeout:
            terminal = true;
            last = ev;
            break;
        }
    }

    uint64_t rx_bytes = 0, acked = 0;
    bool established = false, terminal = false, peer_fin = false;
    tcp::TcpEvent last = tcp::TcpEvent::Closed;
};

// The TCP app of one flow for the duration of one call: the program's runner,
// plus what the worker must learn from the call (events, bytes).
class Worker::FlowApp final : public tcp::TcpApp, public Worker::AppEvents {
public:
    explicit FlowApp(program::Runner& r) : r_(r) {}
    uint64_t tx_available(uint64_t off) override { return r_.tx_available(off); }
    void tx_fill(uint64_t off, std::span<uint8_t> dst) override { r_.tx_fill(off, dst); }
    void rx_data(uint64_t off, std::span<const uint8_t> data) override
    {
        rx_bytes += data.size();
        r_.rx_data(off, data);
    }
    bool close_on_peer_fin() override { return r_.close_on_peer_fin(); }
    void on_event(tcp::TcpEvent ev, uint64_t value) override
    {
        r_.on_event(ev, value);
        note(ev, value);
    }

    program::Runner& r_;
};

// The app of a flow whose stream is [0, end) of the BulkHandover's bytes:
// what the worker sends itself before handing over (nothing) and after
// taking the flow back (the rest, then the FIN).
class Worker::BulkApp final : public tcp::TcpApp, public Worker::AppEvents {
public:
    BulkApp(const BulkHandover& h, uint64_t end) : h_(h), end_(end) {}
    uint64_t tx_available(uint64_t off) override { return end_ > off ? end_ - off : 0; }
    void tx_fill(uint64_t off, std::span<uint8_t> dst) override { h_.fill(off, dst); }
    void rx_data(uint64_t, std::span<const uint8_t> data) override { rx_bytes += data.size(); }
    void on_event(tcp::TcpEvent ev, uint64_t value) override { note(ev, value); }

private:
    const BulkHandover& h_;
    uint64_t end_;
};

class Worker::FlowSink final : public tcp::TcpSink {
public:
    FlowSink(Worker& w, uint32_t id, tcp::TcpApp& app) : w_(w), id_(id), app_(app) {}
    bool emit(const tcp::OutSegment& s) override { return w_.emit(id_, s, app_); }

private:
    Worker& w_;
    uint32_t id_;
    tcp::TcpApp& app_;
};

}  // namespace xdpgen::engine
