// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Option values a user types: addresses, endpoints, MACs, port and address
// ranges. Whatever parses must print back to a string that parses to the
// same value, and a range must hold what its own checks promise.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/options.hpp"
#include "engine/impair.hpp"
#include "fuzz_check.hpp"
#include "net/addr.hpp"

using namespace xdpgen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string s(reinterpret_cast<const char*>(data), size);

    if (auto ip = parse_ip(s)) {
        auto back = parse_ip(ip->str());
        FUZZ_CHECK(back && *back == *ip);
        auto opt = option_ip(s, "--dst");
        FUZZ_CHECK(opt && opt.value() == *ip);
    }
    if (auto mac = parse_mac(s)) {
        auto back = parse_mac(mac->str());
        FUZZ_CHECK(back && *back == *mac);
    }
    if (auto ep = parse_endpoint(s)) {
        FUZZ_CHECK(ep->port != 0);
        auto back = parse_endpoint(ep->str());
        FUZZ_CHECK(back && back->addr == ep->addr && back->port == ep->port);
    }
    if (auto pr = option_port_range(s, "--src-port")) {
        FUZZ_CHECK(pr.value().lo >= 1 && pr.value().lo <= pr.value().hi);
    } else {
        FUZZ_CHECK(!pr.error().what.empty());
    }
    if (auto ar = option_addr_range(s, "--src")) {
        const AddrRange& r = ar.value();
        FUZZ_CHECK(r.count >= 1 && r.count <= kMaxAddrRange);
        // Every address of the range is distinct and of the same family;
        // the last 32 bits never wrap.
        const IpAddr last = r.at(r.count - 1);
        FUZZ_CHECK(last.v6 == r.first.v6);
        const size_t o = r.first.v6 ? 12 : 0;
        auto low = [o](const IpAddr& a) {
            return uint32_t(a.b[o]) << 24 | uint32_t(a.b[o + 1]) << 16 | uint32_t(a.b[o + 2]) << 8 | a.b[o + 3];
        };
        FUZZ_CHECK(uint64_t(low(r.first)) + r.count - 1 == low(last));
    }
    // An impairment spec: what parses describes itself as text that parses
    // to the same spec, within its limits.
    if (auto sp = engine::parse_impair(s, "--impair")) {
        const engine::ImpairSpec& a = sp.value();
        FUZZ_CHECK(a.loss_ppm <= engine::kImpairPpm && a.reorder_ppm <= engine::kImpairPpm);
        FUZZ_CHECK(a.delay_ns <= engine::kImpairMaxDurationNs && a.jitter_ns <= engine::kImpairMaxDurationNs);
        auto back = engine::parse_impair(a.describe(), "--impair");
        FUZZ_CHECK(back && back->delay_ns == a.delay_ns && back->jitter_ns == a.jitter_ns &&
                   back->loss_ppm == a.loss_ppm && back->reorder_ppm == a.reorder_ppm && back->seed == a.seed);
    } else {
        FUZZ_CHECK(!sp.error().what.empty());
    }
    (void)option_ip_opt(s, "--src");
    (void)option_mac_opt(s, "--dst-mac");
    return 0;
}
