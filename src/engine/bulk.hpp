// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The data path a client worker hands its established connections to when
// it only opens and closes them (`xdpgen tcp`: the live-frames sender sends
// the stream, the steering program reads the ACKs). The worker keeps the
// handshake, the close, the flow's timer and every segment that is not a
// pure ACK; it checks each handed-over flow on its timer and takes it back
// when its stream is acknowledged, when the peer sends something other than
// an ACK, or when the data path gives up.
//
// A slot is one handed-over flow; a slot belongs to the worker that took it
// (check/release are called by that worker's thread only).
//
// A data path may also send nothing itself (sends_streams() false: `xdpgen
// tcp --data-path engine`): adopt() then only numbers the flow, the worker
// sends the stream through its own TCP and reports what was acknowledged
// with acked(); check() and release() are never called.

#include <cstdint>
#include <span>

#include "net/tcp_frame.hpp"
#include "tcp/tcb.hpp"

namespace xdpgen::engine {

class BulkHandover {
public:
    static constexpr uint32_t kNoSlot = UINT32_MAX;

    virtual ~BulkHandover() = default;

    // Takes an ESTABLISHED connection (its handshake negotiated in `tcb`,
    // its retransmission timeout `rto_ns`); kNoSlot when there is no room
    // (the worker then sends the stream itself).
    virtual uint32_t adopt(uint64_t now, const TcpFrameEnds& ends, const tcp::Tcb& tcb, uint64_t rto_ns) = 0;

    struct Check {
        uint64_t newly_acked = 0;  // stream bytes acknowledged since the last check
        bool complete = false;     // the whole stream is acknowledged: release and close
        bool gave_up = false;      // no progress through every retransmission: release and reset
        uint64_t next_ns = 0;      // when to check again
    };
    // Runs the retransmission timer and looks at the progress.
    virtual Check check(uint32_t slot, uint64_t now) = 0;

    struct Progress {
        uint64_t una_off = 0;  // acknowledged up to here
        uint64_t nxt_off = 0;  // sent up to here
        uint64_t end_off = 0;  // the stream's length as it stands now (>= nxt_off)
        uint32_t wnd = 0;      // the peer's window, bytes
        uint32_t ts_recent = 0;
    };
    // Stops the data path for the slot and tells where it stood; the
    // connection goes on from there. The slot is free afterwards.
    virtual Progress release(uint32_t slot, uint64_t now) = 0;

    // Stream length of a flow the worker sends itself (before adoption, or
    // without a slot): the configured byte count; 0 once the streams were
    // stopped (a --duration run's end): the worker's own streams then end
    // where they stand, and their FIN follows what was sent.
    virtual uint64_t stream_bytes() const = 0;
    // The stream's bytes at [off, off + dst.size()).
    virtual void fill(uint64_t off, std::span<uint8_t> dst) const = 0;

    // See above: false when the worker sends every stream itself.
    virtual bool sends_streams() const { return true; }
    // With sends_streams() false: `bytes` more of the stream of `slot` were
    // acknowledged (called by the worker that adopted it).
    virtual void acked(uint32_t slot, uint64_t bytes, uint64_t now) { (void)slot, (void)bytes, (void)now; }
};

}  // namespace xdpgen::engine
