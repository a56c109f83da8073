// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Congestion control behind a small interface (as smoltcp does): the TCP
// tells it what the ACK stream did, it changes CcState and may ask for the
// first unacknowledged segment to be retransmitted. The object is stateless
// and shared; the per-flow state lives in the TCB to keep flows compact.

#include <cstdint>

#include "tcp/seq.hpp"
#include "tcp/tcb.hpp"

namespace xdpgen::tcp {

// What one ACK did, in the terms of RFC 5681 §2.
struct AckSample {
    SeqNum ack;          // SEG.ACK
    SeqNum snd_max;      // highest sequence sent + 1
    uint32_t acked = 0;  // bytes newly acknowledged (0 for a duplicate)
    uint32_t flight = 0; // FlightSize before this ACK: snd.max - snd.una
    uint32_t mss = 0;    // SMSS
};

enum class CcAction : uint8_t {
    None,
    RetransmitFirst,  // send the segment at snd.una now (fast retransmit, partial ACK)
};

class CongestionControl {
public:
    virtual ~CongestionControl() = default;
    virtual const char* name() const = 0;
    // At establishment: initial window and threshold.
    virtual void init(CcState& s, uint32_t mss, uint32_t iw_segments, SeqNum iss) const = 0;
    // An ACK moved snd.una forward.
    virtual CcAction on_ack(CcState& s, const AckSample& a) const = 0;
    // A duplicate ACK as defined by RFC 5681 §2.
    virtual CcAction on_dupack(CcState& s, const AckSample& a) const = 0;
    // The retransmission timer fired (a.acked is 0).
    virtual void on_timeout(CcState& s, const AckSample& a) const = 0;
};

// RFC 5681 slow start / congestion avoidance, fast retransmit on the third
// duplicate ACK, RFC 6582 NewReno fast recovery with partial ACKs.
const CongestionControl& new_reno();

}  // namespace xdpgen::tcp
