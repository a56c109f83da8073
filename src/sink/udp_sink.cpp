// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sink/udp_sink.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf/skel.hpp"
#include "udp_sink.skel.h"

namespace xdpgen {

struct UdpSink::Impl {
    SkelPtr<xg_udp_sink> skel;
    XdpLink link;  // declared after the skeleton: detached before it is destroyed
    int ncpu = 1;
};

double SinkSnapshot::active_pps() const
{
    if (stamped < 2 || last_ns <= first_ns)
        return 0;
    return static_cast<double>(stamped - 1) * 1e9 / static_cast<double>(last_ns - first_ns);
}

UdpSink::UdpSink() : impl_(std::make_unique<Impl>()) {}
UdpSink::~UdpSink() = default;

Result<std::unique_ptr<UdpSink>> UdpSink::create(const UdpSinkConfig& cfg)
{
    std::unique_ptr<UdpSink> sink(new UdpSink());
    auto skel = skel_open<xg_udp_sink>("cannot open the UDP sink program");
    if (!skel)
        return skel.error();
    auto& s = skel.value();
    s->rodata->want_family = static_cast<uint8_t>(cfg.family);
    if (cfg.dst) {
        if (cfg.dst->v6) {
            std::memcpy(const_cast<uint8_t*>(s->rodata->dst_v6), cfg.dst->b.data(), 16);
            s->rodata->dst_v6_set = 1;
        } else {
            s->rodata->dst_v4 = cfg.dst->v4_be();
        }
    }
    s->rodata->dst_port_lo = cfg.port_lo;
    s->rodata->dst_port_hi = cfg.port_hi;
    s->rodata->pass_matched = cfg.pass;
    if (auto st = skel_load(s, "cannot load the UDP sink program"); !st)
        return st.error();

    auto link = xdp_attach(bpf_program__fd(s->progs.xg_udp_sink), cfg.ifindex, cfg.ifname, cfg.mode);
    if (!link)
        return link.error();
    sink->impl_->skel = std::move(s);
    sink->impl_->link = std::move(link.value());
    sink->impl_->ncpu = std::max(libbpf_num_possible_cpus(), 1);
    return sink;
}

namespace {

// The per-CPU latency buckets summed: in one batch call (4352 buckets), or
// bucket by bucket where the kernel has no batch lookup for the map.
void read_latency(int fd, size_t ncpu, LatencyHistogram& out)
{
    std::vector<uint32_t> keys(XG_LAT_BUCKETS);
    std::vector<uint64_t> vals(size_t(XG_LAT_BUCKETS) * ncpu);
    uint32_t count = XG_LAT_BUCKETS, next = 0;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int r = bpf_map_lookup_batch(fd, nullptr, &next, keys.data(), vals.data(), &count, &opts);
    if (r == 0 || errno == ENOENT) {  // ENOENT: the last batch, `count` entries returned
        for (uint32_t i = 0; i < count; i++) {
            uint64_t n = 0;
            for (size_t c = 0; c < ncpu; c++)
                n += vals[size_t(i) * ncpu + c];
            if (n)
                out.add_bucket(keys[i], n);
        }
        return;
    }
    std::vector<uint64_t> lat(ncpu);
    for (uint32_t b = 0; b < XG_LAT_BUCKETS; b++) {
        if (bpf_map_lookup_elem(fd, &b, lat.data()) != 0)
            continue;
        uint64_t n = 0;
        for (auto v : lat)
            n += v;
        if (n)
            out.add_bucket(b, n);
    }
}

}  // namespace

SinkSnapshot UdpSink::snapshot() const
{
    SinkSnapshot snap;
    const auto& s = impl_->skel;
    const size_t ncpu = static_cast<size_t>(impl_->ncpu);

    std::vector<xg_sink_counters> cnt(ncpu);
    uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(s->maps.sink_counters), &key, cnt.data()) == 0)
        for (const auto& c : cnt) {
            snap.packets += c.packets;
            snap.bytes += c.bytes;
            snap.stamped += c.stamped;
            snap.reordered += c.reordered;
            if (c.first_ns && (!snap.first_ns || c.first_ns < snap.first_ns))
                snap.first_ns = c.first_ns;
            snap.last_ns = std::max<uint64_t>(snap.last_ns, c.last_ns);
        }

    read_latency(bpf_map__fd(s->maps.sink_latency), ncpu, snap.latency);

    for (const auto& st : s->bss->sink_streams) {
        if (!st.run)
            continue;
        snap.streams++;
        const uint64_t span = st.next - st.first;
        if (span > st.received)
            snap.lost += span - st.received;
    }
    return snap;
}

uint64_t UdpSink::packets() const
{
    std::vector<xg_sink_counters> cnt(static_cast<size_t>(impl_->ncpu));
    uint32_t key = 0;
    uint64_t n = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(impl_->skel->maps.sink_counters), &key, cnt.data()) == 0)
        for (const auto& c : cnt)
            n += c.packets;
    return n;
}

uint32_t UdpSink::ports_seen() const
{
    uint32_t n = 0;
    for (auto v : impl_->skel->bss->sink_dst_ports)
        n += v != 0;
    return n;
}

XdpMode UdpSink::mode() const { return impl_->link.mode(); }

void UdpSink::detach() { impl_->link.detach(); }

}  // namespace xdpgen
