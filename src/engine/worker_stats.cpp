// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/worker_stats.hpp"

namespace xdpgen::engine {

void WorkerCounters::add(const WorkerCounters& o)
{
    attempted += o.attempted;
    established += o.established;
    completed += o.completed;
    failed += o.failed;
    failed_timeout += o.failed_timeout;
    failed_refused += o.failed_refused;
    failed_reset += o.failed_reset;
    failed_http_status += o.failed_http_status;
    failed_http_malformed += o.failed_http_malformed;
    failed_verify += o.failed_verify;
    failed_expect += o.failed_expect;
    failed_peer_closed += o.failed_peer_closed;
    unfinished += o.unfinished;
    server_closed += o.server_closed;
    http_responses += o.http_responses;
    requests_sent += o.requests_sent;
    requests_due += o.requests_due;
    open += o.open;
    time_wait += o.time_wait;
    ports_resting += o.ports_resting;
    tx_oversize += o.tx_oversize;
    tx_packets += o.tx_packets;
    rx_packets += o.rx_packets;
    tx_bytes += o.tx_bytes;
    rx_bytes += o.rx_bytes;
    tx_frame_bytes += o.tx_frame_bytes;
    tx_payload_bytes += o.tx_payload_bytes;
    retransmits += o.retransmits;
    rx_no_flow += o.rx_no_flow;
    rx_handed_off += o.rx_handed_off;
    handoff_dropped += o.handoff_dropped;
    rx_invalid += o.rx_invalid;
    records_dropped += o.records_dropped;
    impair_tx_segments += o.impair_tx_segments;
    impair_tx_dropped += o.impair_tx_dropped;
    impair_tx_delayed += o.impair_tx_delayed;
    impair_tx_reordered += o.impair_tx_reordered;
    impair_tx_flow_gone += o.impair_tx_flow_gone;
    impair_rx_frames += o.impair_rx_frames;
    impair_rx_dropped += o.impair_rx_dropped;
    impair_rx_delayed += o.impair_rx_delayed;
    impair_rx_reordered += o.impair_rx_reordered;
    impair_rx_cap_dropped += o.impair_rx_cap_dropped;
    impair_rx_held_peak += o.impair_rx_held_peak;
    rx_bad_csum += o.rx_bad_csum;
    rx_csum_offloaded += o.rx_csum_offloaded;
    rx_icmp += o.rx_icmp;
    rx_icmp_mss_lowered += o.rx_icmp_mss_lowered;
    tx_ring_full += o.tx_ring_full;
    ports_exhausted += o.ports_exhausted;
    syn_cookies_sent += o.syn_cookies_sent;
    syn_cookies_accepted += o.syn_cookies_accepted;
    time_wait_reopened += o.time_wait_reopened;
    syn_dropped += o.syn_dropped;
}

void TemplateCounters::add(const TemplateCounters& o)
{
    attempted += o.attempted;
    completed += o.completed;
    failed += o.failed;
    http_responses += o.http_responses;
    total.merge(o.total);
}

void WorkerStats::add(const WorkerStats& o)
{
    c.add(o.c);
    if (templates.size() < o.templates.size())
        templates.resize(o.templates.size());
    for (size_t i = 0; i < o.templates.size(); i++)
        templates[i].add(o.templates[i]);
    connect.merge(o.connect);
    first_byte.merge(o.first_byte);
    total.merge(o.total);
    request.merge(o.request);
    send_lag.merge(o.send_lag);
}

}  // namespace xdpgen::engine
