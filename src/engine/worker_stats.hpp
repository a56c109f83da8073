// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What a client worker counts. Each worker writes its own WorkerStats with
// no sharing on the fast path and publishes a copy a few times per second
// (and at the end); the main thread sums the copies for the live lines,
// summary and JSON.

#include <cstdint>
#include <mutex>
#include <vector>

#include "stats/latency.hpp"

namespace xdpgen::engine {

struct WorkerCounters {
    uint64_t attempted = 0;    // SYNs sent for new connections
    uint64_t established = 0;
    uint64_t completed = 0;    // program done and the connection closed cleanly
    uint64_t failed = 0;       // sum of the causes below
    uint64_t failed_timeout = 0;
    uint64_t failed_refused = 0;
    uint64_t failed_reset = 0;       // reset by the peer
    uint64_t failed_http_status = 0;
    uint64_t failed_http_malformed = 0;
    uint64_t failed_verify = 0;
    uint64_t failed_expect = 0;  // received bytes other than a profile's expect
    uint64_t failed_peer_closed = 0; // the peer closed before the program had what it waited for
    uint64_t unfinished = 0;   // still open when the run ended (reset by us then)
    uint64_t server_closed = 0;  // connections a response closed before the program's end: it went on over a new one
    uint64_t http_responses = 0; // client: HTTP responses received complete
    uint64_t requests_sent = 0;  // --rps: requests sent on their schedule (each may be late: send_lag)
    uint64_t requests_due = 0;   // --rps: gauge, requests the schedule had made due by now
    uint64_t open = 0;         // gauge: connections started and not yet completed or failed
    uint64_t time_wait = 0;    // gauge: flows kept only for our TIME-WAIT
    uint64_t ports_resting = 0;  // gauge (client): local pairs resting while the peer may hold their TIME-WAIT
    uint64_t tx_packets = 0, rx_packets = 0;
    uint64_t tx_bytes = 0, rx_bytes = 0;  // TCP payload each way (sent: acknowledged)
    uint64_t tx_frame_bytes = 0;   // frames sent, Ethernet header included
    uint64_t tx_payload_bytes = 0; // TCP payload sent, retransmissions included
    uint64_t retransmits = 0;  // segments carrying sequence space sent before
    uint64_t rx_no_flow = 0;   // segments for no flow of ours (answered with RST)
    uint64_t rx_handed_off = 0;   // frames for a flow of another worker, passed to it
    uint64_t handoff_dropped = 0; // ... dropped because its ring was full (TCP sends them again)
    uint64_t rx_invalid = 0;   // frames steered to us that are not TCP we can parse (bad checksums included)
    uint64_t rx_bad_csum = 0;  // ... of which the TCP checksum was wrong (--rx-csum)
    uint64_t rx_icmp = 0;             // ICMP errors about our segments (unreachable, too big)
    uint64_t rx_icmp_mss_lowered = 0;  // ... "too big" that lowered a flow's MSS (RFC 1191, RFC 8201)
    uint64_t rx_csum_offloaded = 0;  // checksum left to an offload: taken unchecked (auto), bad (on)
    uint64_t tx_ring_full = 0; // emits refused for want of a frame (sent later)
    uint64_t tx_oversize = 0;  // segments that did not fit a UMEM frame (never sent: a bug if not 0)
    uint64_t ports_exhausted = 0;  // starts delayed: every local pair busy or quarantined
    uint64_t syn_cookies_sent = 0;      // server: SYN-ACKs with a cookie (backlog full)
    uint64_t syn_cookies_accepted = 0;  // server: connections rebuilt from a valid cookie
    uint64_t syn_dropped = 0;           // server: SYNs ignored because the flow table was full
    uint64_t time_wait_reopened = 0;    // server: SYNs that ended our TIME-WAIT of their 4-tuple (RFC 6191)
    uint64_t records_dropped = 0;       // --records: records the writer's ring had no room for
    // --impair: our segments it saw, dropped, delayed, held back to be
    // overtaken, and delayed ones whose flow ended first (payload not built).
    uint64_t impair_tx_segments = 0, impair_tx_dropped = 0, impair_tx_delayed = 0, impair_tx_reordered = 0;
    uint64_t impair_tx_flow_gone = 0;
    // --impair-rx: frames it saw, dropped, delayed, held back, dropped
    // because its cap of held frames was reached; the most held at once.
    uint64_t impair_rx_frames = 0, impair_rx_dropped = 0, impair_rx_delayed = 0, impair_rx_reordered = 0;
    uint64_t impair_rx_cap_dropped = 0, impair_rx_held_peak = 0;

    void add(const WorkerCounters& o);
};

// One template's (one program of WorkerConfig::programs) own share.
struct TemplateCounters {
    uint64_t attempted = 0, completed = 0, failed = 0, http_responses = 0;
    LatencyHistogram total;  // scheduled start → closed, of its completed connections

    void add(const TemplateCounters& o);
};

struct WorkerStats {
    WorkerCounters c;
    std::vector<TemplateCounters> templates;  // by program index, with WorkerConfig::per_program_stats
    LatencyHistogram connect;     // scheduled start → handshake done
    LatencyHistogram first_byte;  // scheduled start → first byte received
    LatencyHistogram total;       // scheduled start → closed (or TIME-WAIT entered)
    LatencyHistogram request;     // --rps: a request's scheduled time → its response complete
    LatencyHistogram send_lag;    // --rps: a request's scheduled time → sent (no idle connection, or a busy worker)

    void add(const WorkerStats& o);
};

// The worker's published copy.
class StatsMailbox {
public:
    void publish(const WorkerStats& s)
    {
        std::lock_guard lk(mu_);
        copy_ = s;
    }
    WorkerStats read() const
    {
        std::lock_guard lk(mu_);
        return copy_;
    }

private:
    mutable std::mutex mu_;
    WorkerStats copy_;
};

}  // namespace xdpgen::engine
