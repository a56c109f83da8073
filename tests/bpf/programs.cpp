// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "programs.hpp"

#include <bpf/libbpf.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>

#include <catch2/catch.hpp>

#include "prog_run.hpp"

namespace xdpgen::test {
namespace {

template <typename Skel>
SkelPtr<Skel> open_skel(const char* what)
{
    auto s = skel_open<Skel>(what);
    if (!s)
        FAIL(s.error().message() + "; " + s.error().hint);
    return std::move(s.value());
}

template <typename Skel>
void load_skel(SkelPtr<Skel>& s, const char* what)
{
    if (auto st = skel_load(s, what); !st)
        FAIL(st.error().message() + "; " + st.error().hint);
}

}  // namespace

int loopback_ifindex()
{
    const unsigned idx = if_nametoindex("lo");
    return idx ? static_cast<int>(idx) : 1;
}

LoadedBlast load_blast(const UdpFrameSpec& spec, uint16_t port_count, uint16_t run_id, int out_ifindex,
                       uint32_t ts_every)
{
    LoadedBlast b;
    auto tmpl = build_udp_template(spec);
    if (!tmpl)
        FAIL(tmpl.error().message());
    b.tmpl = std::move(tmpl.value());

    b.skel = open_skel<xg_udp_blast>("cannot open the UDP blaster program");
    auto& r = *b.skel->rodata;
    r.out_ifindex = static_cast<uint32_t>(out_ifindex);
    r.is_ipv6 = spec.dst.v6;
    r.port_base = spec.dst_port;
    r.port_count = port_count;
    r.run_id = run_id;
    r.udp_csum_base = b.tmpl.udp_csum_base;
    r.ip_csum_base = b.tmpl.ip_csum_base;
    r.ts_every = std::max<uint32_t>(ts_every, 1);
    load_skel(b.skel, "cannot load the UDP blaster program");
    return b;
}

SkelPtr<xg_udp_sink> load_sink(const UdpSinkConfig& cfg)
{
    auto s = open_skel<xg_udp_sink>("cannot open the UDP sink program");
    auto& r = *s->rodata;
    r.want_family = static_cast<uint8_t>(cfg.family);
    if (cfg.dst) {
        if (cfg.dst->v6) {
            std::memcpy(const_cast<uint8_t*>(r.dst_v6), cfg.dst->b.data(), 16);
            r.dst_v6_set = 1;
        } else {
            r.dst_v4 = cfg.dst->v4_be();
        }
    }
    r.dst_port_lo = cfg.port_lo;
    r.dst_port_hi = cfg.port_hi;
    r.pass_matched = cfg.pass;
    load_skel(s, "cannot load the UDP sink program");
    return s;
}

SkelPtr<xg_probe> load_probe()
{
    auto s = open_skel<xg_probe>("cannot open the probe programs");
    load_skel(s, "cannot load the probe programs");
    return s;
}

xg_sink_counters sink_counters(const xg_udp_sink& s)
{
    xg_sink_counters sum{};
    for (const auto& c : percpu_values<xg_sink_counters>(bpf_map__fd(s.maps.sink_counters), 0)) {
        sum.packets += c.packets;
        sum.bytes += c.bytes;
        sum.stamped += c.stamped;
        sum.reordered += c.reordered;
        if (c.first_ns && (!sum.first_ns || c.first_ns < sum.first_ns))
            sum.first_ns = c.first_ns;
        sum.last_ns = std::max<uint64_t>(sum.last_ns, c.last_ns);
    }
    return sum;
}

std::vector<uint64_t> sink_latency(const xg_udp_sink& s)
{
    std::vector<uint64_t> buckets(XG_LAT_BUCKETS, 0);
    const int fd = bpf_map__fd(s.maps.sink_latency);
    for (uint32_t b = 0; b < XG_LAT_BUCKETS; b++)
        for (uint64_t v : percpu_values<uint64_t>(fd, b))
            buckets[b] += v;
    return buckets;
}

uint64_t stream_lost(const xg_sink_stream& st)
{
    const uint64_t span = st.next - st.first;
    return span > st.received ? span - st.received : 0;
}

}  // namespace xdpgen::test
