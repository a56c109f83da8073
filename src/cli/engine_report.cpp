// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/engine_report.hpp"

#include <fmt/format.h>

#include "cli/common.hpp"
#include "stats/units.hpp"

namespace xdpgen {

using engine::Role;

nlohmann::json engine_counters_json(const engine::WorkerCounters& c, Role role)
{
    const bool client = role == Role::Client;
    nlohmann::json j = {
        {client ? "attempted" : "accepted", c.attempted},
        {"established", c.established},
        {"completed", c.completed},
        {"failed", c.failed},
        {"failed_by_cause",
         {{"timeout", c.failed_timeout},
          {"refused", c.failed_refused},
          {"reset", c.failed_reset},
          {"http_status", c.failed_http_status},
          {"http_malformed", c.failed_http_malformed},
          {"verify_mismatch", c.failed_verify},
          {"expect_mismatch", c.failed_expect},
          {"peer_closed_early", c.failed_peer_closed}}},
        {"unfinished", c.unfinished},
        {"open_at_end", c.open},
        {"time_wait_at_end", c.time_wait},
        {"retransmitted_segments", c.retransmits},
        {"tx_bytes", c.tx_bytes},
        {"rx_bytes", c.rx_bytes},
        {"tx_packets", c.tx_packets},
        {"rx_packets", c.rx_packets},
        {"rx_no_flow", c.rx_no_flow},
        {"rx_invalid", c.rx_invalid},
        {"rx_bad_csum", c.rx_bad_csum},
        {"rx_csum_offloaded", c.rx_csum_offloaded},
        {"rx_icmp", c.rx_icmp},
        {"rx_icmp_mss_lowered", c.rx_icmp_mss_lowered},
        {"rx_handed_off", c.rx_handed_off},
        {"handoff_dropped", c.handoff_dropped},
        {"tx_ring_full", c.tx_ring_full},
        {"tx_oversize", c.tx_oversize},
    };
    if (client) {
        j["requests_sent"] = c.requests_sent;
        j["requests_due"] = c.requests_due;
        j["server_closed"] = c.server_closed;
        j["http_responses"] = c.http_responses;
        j["ports_exhausted"] = c.ports_exhausted;
        j["ports_resting_at_end"] = c.ports_resting;
    } else {
        j["syn_cookies_sent"] = c.syn_cookies_sent;
        j["syn_cookies_accepted"] = c.syn_cookies_accepted;
        j["syn_dropped"] = c.syn_dropped;
        j["time_wait_reopened"] = c.time_wait_reopened;
    }
    return j;
}

std::string failure_causes(const engine::WorkerCounters& c)
{
    std::string s;
    auto add = [&](const char* name, uint64_t n) {
        if (n)
            s += fmt::format("{}{} {}", s.empty() ? "" : ", ", fmt_count(n), name);
    };
    add("timeout", c.failed_timeout);
    add("refused", c.failed_refused);
    add("reset by peer", c.failed_reset);
    add("HTTP status", c.failed_http_status);
    add("malformed HTTP", c.failed_http_malformed);
    add("verify mismatch", c.failed_verify);
    add("expect mismatch", c.failed_expect);
    add("peer closed early", c.failed_peer_closed);
    return s;
}

nlohmann::json steering_json(const xg_steer_counters& s)
{
    return {{"steered", s.steered},         {"passed", s.passed},           {"no_socket", s.no_socket},
            {"arp_replies", s.arp_replies}, {"na_replies", s.na_replies}, {"kernel_owned", s.kernel_owned}};
}

std::string traffic_line(const engine::WorkerCounters& c, Role role)
{
    std::string l = fmt::format("traffic: sent {} B, received {} B, {} packets out, {} in, {} retransmitted segments",
                                fmt_count(c.tx_bytes), fmt_count(c.rx_bytes), fmt_count(c.tx_packets),
                                fmt_count(c.rx_packets), fmt_count(c.retransmits));
    if (role == Role::Server)
        l += fmt::format(", {} SYN cookies sent, {} accepted", fmt_count(c.syn_cookies_sent),
                         fmt_count(c.syn_cookies_accepted));
    return l;
}

std::vector<LatencyColumn> latency_columns(const engine::WorkerStats& s, Role role, bool rps)
{
    // A server reads no response: no first byte of one.
    std::vector<LatencyColumn> cols = {{"connect", &s.connect}};
    if (role == Role::Client)
        cols.push_back({"first byte", &s.first_byte});
    cols.push_back({"total", &s.total});
    if (rps) {
        cols.push_back({"request", &s.request});
        cols.push_back({"send lag", &s.send_lag});
    }
    return cols;
}

std::vector<std::string> latency_lines(const std::vector<LatencyColumn>& cols)
{
    std::vector<std::string> out;
    for (const auto& c : cols)
        if (c.h->count())
            out.push_back(fmt::format("{:<12}{}", c.name + ":", latency_line(*c.h)));
    return out;
}

nlohmann::json latencies_json(const std::vector<LatencyColumn>& cols)
{
    nlohmann::json j = nlohmann::json::object();
    for (const auto& c : cols) {
        std::string key = c.name;
        for (char& ch : key)
            if (ch == ' ')
                ch = '_';
        j[key] = latency_json(*c.h);
    }
    return j;
}

}  // namespace xdpgen
