// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// --records on the worker's side: each open flow's times and byte counts,
// and the record it becomes when the connection ends, handed to the
// writer's ring (never waiting: a full ring is counted, see dropped()).
// Empty, and every call a no-op, when the run keeps no records.

#include <cstdint>
#include <vector>

#include "net/addr.hpp"
#include "program/program.hpp"
#include "records/record.hpp"
#include "tcp/connection.hpp"

namespace xdpgen::records {
class RecordRing;
}

namespace xdpgen::engine {

struct FlowKey;

class FlowLog {
public:
    // Times are monotonic ns; wall_minus_mono_ns turns them into Unix time.
    void init(records::RecordRing* ring, uint32_t capacity, uint16_t worker, records::Side side);
    void set_wall_offset(int64_t wall_minus_mono_ns) { wall_minus_mono_ns_ = wall_minus_mono_ns; }
    bool on() const { return ring_ != nullptr; }

    void begin(uint32_t id, uint64_t now, uint64_t sched);
    void sent(uint32_t id, uint64_t now, const tcp::OutSegment& s);
    void impair_dropped(uint32_t id)
    {
        if (on())
            flows_[id].impair_dropped++;
    }
    // `xdpgen tcp`'s live-frames data path sends a handed-over stream:
    // its first byte leaves at the handover, its last by the take-back
    // (the record's bound: the data path keeps no per-segment times).
    void handed_over(uint32_t id, uint64_t now);
    void taken_back(uint32_t id, uint64_t now, bool data_sent);
    // After a call into the flow: what it brought.
    void progress(uint32_t id, uint64_t now, bool established, uint64_t rx_bytes, uint64_t acked, bool peer_fin);
    // Where and what the connection was, for its record.
    struct Ends {
        const IpAddr* local;
        IpAddr remote;
        uint16_t local_port, remote_port;
        uint16_t template_id;
    };
    // The connection ended: its record goes to the ring. Once per flow.
    void end(uint32_t id, uint64_t now, const Ends& ends, records::Outcome outcome, records::Cause cause);
    // A flow that never became a connection (an accept refused): no record.
    void discard(uint32_t id)
    {
        if (on())
            flows_[id].open = false;
    }
    uint64_t dropped() const { return dropped_; }
    uint64_t pushed() const { return pushed_; }

    static records::Cause cause_of(program::Failure pf, tcp::TcpEvent ev);

private:
    struct Times {
        uint64_t sched, syn, established, first_tx, first_rx, last_byte, fin_tx, fin_rx;
        uint64_t tx_bytes, rx_bytes;
        uint64_t conn;
        uint32_t retransmits, impair_dropped;
        bool open;
    };
    uint64_t wall(uint64_t mono) const { return mono ? uint64_t(int64_t(mono) + wall_minus_mono_ns_) : 0; }

    records::RecordRing* ring_ = nullptr;
    std::vector<Times> flows_;
    uint16_t worker_ = 0;
    records::Side side_ = records::Side::Client;
    int64_t wall_minus_mono_ns_ = 0;
    uint64_t next_conn_ = 0;
    uint64_t dropped_ = 0, pushed_ = 0;
};

}  // namespace xdpgen::engine
