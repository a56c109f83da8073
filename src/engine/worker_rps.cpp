// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// --rps: requests on a fixed schedule over the worker's open connections,
// as wrk2's -R (an open loop). A flow whose program reaches its Gate (its
// previous exchange complete) waits in gate_q_; each request, when due,
// goes to the flow that has waited longest. A request due while no flow
// waits is sent late, and its latency counts from when it was due, so a
// stalled server shows in the percentiles (coordinated omission corrected).
#include "engine/worker.hpp"
#include "engine/worker_flow.hpp"

namespace xdpgen::engine {

namespace {
constexpr uint32_t kIssuesPerLoop = 64;  // so a burst of due requests never starves RX
}

void Worker::rps_reached_gate(uint32_t id, uint64_t now, bool waits)
{
    if (req_due_[id]) {
        st_.request.add(now - req_due_[id]);
        req_due_[id] = 0;
    }
    if (!req_started_) {
        // From the first connection ready: the handshakes are not the server's lag.
        req_started_ = true;
        req_sched_ = ConnectSchedule(cfg_.rps, cfg_.ramp_up_s, now);
    }
    if (waits && !gate_queued_[id]) {
        gate_queued_[id] = 1;
        gate_q_.push_back(id);
    }
}

uint64_t Worker::rps_next_due() const { return req_sched_.due(req_issued_); }

bool Worker::rps_issue(uint64_t now)
{
    uint32_t n = 0;
    while (!gate_q_.empty() && n < kIssuesPerLoop) {
        const uint64_t due = rps_next_due();
        if (due > now)
            break;
        const uint32_t id = gate_q_.front();
        gate_q_.pop_front();
        if (!gate_queued_[id])
            continue;  // freed since (and maybe reused)
        gate_queued_[id] = 0;
        program::Runner r = runner(id);
        if (!r.at_gate())
            continue;  // closed by its peer while it waited
        req_issued_++;
        req_due_[id] = due;
        st_.c.requests_sent++;
        st_.send_lag.add(now - due);
        FlowApp app(r);
        FlowSink sink(*this, id, app);
        after_call(id, now, app, sink, program::Gate::Open);
        n++;
    }
    return n > 0;
}

uint64_t Worker::rps_scheduled_by(uint64_t now) const
{
    // The schedule is monotonic: count the due times up to now by bisection.
    uint64_t lo = req_issued_, hi = std::max<uint64_t>(req_issued_ * 2, 1024);
    while (req_sched_.due(hi) <= now)
        hi *= 2;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (req_sched_.due(mid) <= now)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void Worker::rps_end_gates(uint64_t now)
{
    while (!gate_q_.empty()) {
        const uint32_t id = gate_q_.front();
        gate_q_.pop_front();
        if (!gate_queued_[id])
            continue;
        gate_queued_[id] = 0;
        program::Runner r = runner(id);
        FlowApp app(r);
        FlowSink sink(*this, id, app);
        after_call(id, now, app, sink, program::Gate::End);
    }
}

void Worker::rps_forget(uint32_t id)
{
    gate_queued_[id] = 0;
    req_due_[id] = 0;
}

}  // namespace xdpgen::engine
