// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tcp/congestion.hpp"

#include <algorithm>
#include <limits>

namespace xdpgen::tcp {

namespace {

constexpr uint32_t kCwndCap = 1u << 30;  // beyond any window the peer can offer (RFC 7323: 2^30)

// RFC 5681 §3.1 equation (4): ssthresh = max(FlightSize / 2, 2*SMSS).
uint32_t half_flight(const AckSample& a) { return std::max(a.flight / 2, 2 * a.mss); }

class NewReno final : public CongestionControl {
public:
    const char* name() const override { return "newreno"; }

    void init(CcState& s, uint32_t mss, uint32_t iw_segments, SeqNum iss) const override
    {
        s.cwnd = std::max<uint32_t>(iw_segments, 1) * mss;
        // RFC 5681 §3.1: "the initial value of ssthresh SHOULD be set
        // arbitrarily high".
        s.ssthresh = std::numeric_limits<uint32_t>::max();
        // RFC 6582 §3.2 step 1: recover starts at the initial send sequence.
        s.recover = iss;
        s.dupacks = 0;
        s.in_recovery = false;
    }

    CcAction on_ack(CcState& s, const AckSample& a) const override
    {
        s.dupacks = 0;
        if (s.in_recovery) {
            if (a.ack >= s.recover) {
                // RFC 6582 §3.2 step 3, full acknowledgment, option (1):
                // cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), where
                // FlightSize is what is still outstanding after this ACK.
                uint32_t left = a.flight - a.acked;
                s.cwnd = std::min(s.ssthresh, std::max(left, a.mss) + a.mss);
                s.in_recovery = false;
                return CcAction::None;
            }
            // Partial acknowledgment (RFC 6582 §3.2 step 3): retransmit the
            // first unacknowledged segment, deflate cwnd by the amount
            // acknowledged and add back one SMSS if at least one SMSS was
            // acknowledged, stay in recovery.
            s.cwnd = s.cwnd > a.acked ? s.cwnd - a.acked : 0;
            if (a.acked >= a.mss)
                s.cwnd += a.mss;
            s.cwnd = std::max(s.cwnd, a.mss);
            return CcAction::RetransmitFirst;
        }
        if (s.cwnd < s.ssthresh) {
            // Slow start, RFC 5681 §3.1 equation (2): cwnd += min(N, SMSS).
            s.cwnd += std::min(a.acked, a.mss);
        } else {
            // Congestion avoidance, equation (3): cwnd += SMSS*SMSS/cwnd,
            // at least 1 byte.
            s.cwnd += std::max<uint32_t>(1, uint32_t(uint64_t(a.mss) * a.mss / s.cwnd));
        }
        s.cwnd = std::min(s.cwnd, kCwndCap);
        return CcAction::None;
    }

    CcAction on_dupack(CcState& s, const AckSample& a) const override
    {
        if (s.in_recovery) {
            // RFC 6582 §3.2 step 4 (RFC 5681 §3.2 step 4): each further
            // duplicate inflates cwnd by one SMSS.
            s.cwnd = std::min(s.cwnd + a.mss, kCwndCap);
            return CcAction::None;
        }
        if (s.dupacks < 255)
            ++s.dupacks;
        if (s.dupacks != 3)
            return CcAction::None;
        // RFC 6582 §3.2 step 2: only enter fast retransmit when the ACK
        // covers more than recover, so that one loss event does not cause
        // several reductions. recover is stored one past the highest byte
        // sent, so "covers more than recover" is ack > recover.
        if (!(a.ack > s.recover))
            return CcAction::None;
        // Step 3 / RFC 5681 §3.2 steps 2-3.
        s.recover = a.snd_max;
        s.ssthresh = half_flight(a);
        s.cwnd = s.ssthresh + 3 * a.mss;
        s.in_recovery = true;
        return CcAction::RetransmitFirst;
    }

    void on_timeout(CcState& s, const AckSample& a) const override
    {
        // RFC 5681 §3.1: ssthresh by equation (4), cwnd to the loss window
        // of one SMSS. RFC 6582 §3.2 step 6 (after a timeout, record the
        // highest sequence number transmitted in recover).
        s.ssthresh = half_flight(a);
        s.cwnd = a.mss;
        s.recover = a.snd_max;
        s.dupacks = 0;
        s.in_recovery = false;
    }
};

const NewReno kNewReno;

}  // namespace

const CongestionControl& new_reno() { return kNewReno; }

}  // namespace xdpgen::tcp
