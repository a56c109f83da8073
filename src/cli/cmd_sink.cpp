// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen sink: count, check and drop the UDP packets sent to an interface.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/latency_report.hpp"
#include "cli/options.hpp"
#include "sink/udp_sink.hpp"
#include "stats/units.hpp"
#include "sys/host_ports.hpp"
#include "sys/path.hpp"

namespace xdpgen {
namespace {

struct SinkOptions {
    std::string ifname;
    std::string dst_addr, ports, xdp_mode = "native";
    int family = 0;
    bool pass = false;
    uint64_t num_packets = 0;
    double interval = 1.0, duration = 0, idle_timeout = 0;
    OutputOptions out;
    LatencyDetail latency;
};

int run_sink(const SinkOptions& o)
{
    Output out(o.out);
    auto dst = option_ip_opt(o.dst_addr, "--dst-addr");
    if (!dst)
        return fail_setup(dst.error());
    if (auto lf = prepare_latency_file(o.latency); !lf)
        return fail_setup(lf.error());
    PortRange ports;
    if (!o.ports.empty()) {
        auto r = option_port_range(o.ports, "--dst-port");
        if (!r)
            return fail_setup(r.error());
        ports = r.value();
    }
    auto mode = parse_xdp_mode(o.xdp_mode);
    if (!mode)
        return fail_setup(make_error(fmt::format("--xdp-mode: '{}' is not native or skb", o.xdp_mode)));
    if (dst.value() && o.family && (dst.value()->v6 ? 6 : 4) != o.family)
        return fail_setup(make_error("--family contradicts the family of --dst-addr"));
    auto dev = netdev_require_up(o.ifname);
    if (!dev)
        return fail_setup(dev.error());

    UdpSinkConfig cfg;
    cfg.ifindex = dev->ifindex;
    cfg.ifname = dev->name;
    cfg.mode = *mode;
    cfg.family = o.family;
    cfg.dst = dst.value();
    cfg.port_lo = ports.lo;
    cfg.port_hi = ports.hi;
    cfg.pass = o.pass;
    auto sink = UdpSink::create(cfg);
    if (!sink)
        return fail_setup(sink.error());
    auto& k = *sink.value();

    out.line(fmt::format("sink on {} ({} XDP): UDP to {} port {}{}", dev->name, xdp_mode_name(k.mode()),
                         cfg.dst ? cfg.dst->str() : "any address",
                         ports.hi ? (ports.lo == ports.hi ? std::to_string(ports.lo) : fmt::format("{}-{}", ports.lo, ports.hi)) : "any",
                         o.pass ? ", passed on to the kernel" : ", dropped"));
    // The sink has no socket lookup (it would cost a fair share of the
    // per-packet budget at its rates): the host's own UDP it matches is dropped too.
    if (!o.pass) {
        const uint16_t lo = ports.hi ? ports.lo : 1, hi = ports.hi ? ports.hi : 65535;
        if (auto h = read_host_ports(); !h)
            out.line(fmt::format("note: whether the sink's ports meet the kernel's own is unknown: {}", h.error().message()));
        else if (lo <= h->ephemeral_hi && hi >= h->ephemeral_lo)
            out.line(fmt::format("note: the sink drops the host's own UDP too where it matches (answers to the kernel's "
                                 "ephemeral ports {}-{}, e.g. DNS{}): narrow it with --dst-port{}, or --pass",
                                 h->ephemeral_lo, h->ephemeral_hi, cfg.dst ? "" : ", on any address",
                                 cfg.dst ? "" : " and --dst-addr"));
    }

    SinkSnapshot prev;
    double idle_s = 0;
    IntervalLog intervals;  // streamed to a temporary file: constant memory
    const double elapsed = run_ticks(
        TickLoop{std::chrono::duration<double>(o.interval), std::chrono::duration<double>(o.duration)},
        [&] {
            if (o.num_packets && k.packets() >= o.num_packets)
                return true;
            return o.idle_timeout > 0 && prev.packets > 0 && idle_s >= o.idle_timeout;
        },
        [&](double t, double dt) {
            SinkSnapshot s = k.snapshot();
            const uint64_t pk = s.packets - prev.packets;
            idle_s = pk ? 0 : idle_s + dt;
            const double pps = static_cast<double>(pk) / dt;
            const double bps = static_cast<double>(s.bytes - prev.bytes) * 8 / dt;
            const LatencyHistogram lat = s.latency.minus(prev.latency);
            out.interval_line(fmt::format("[{:6.1f}s] rx {:>12}  {:>14}  total {:>13}  lost {}  reord {}{}", t, fmt_pps(pps),
                                          fmt_bps(bps), fmt_count(s.packets), fmt_count(s.lost), fmt_count(s.reordered),
                                          lat.count() ? fmt::format("  lat p50 {} p99 {}", fmt_ns(static_cast<double>(lat.quantile(0.5))),
                                                                    fmt_ns(static_cast<double>(lat.quantile(0.99))))
                                                      : ""));
            intervals.add({{"t", t}, {"pps", pps}, {"bits_per_second", bps}, {"lost", s.lost - prev.lost}});
            prev = std::move(s);
        });
    const SinkSnapshot s = k.snapshot();
    const uint32_t nports = k.ports_seen();
    k.detach();

    int rc = kExitOk;
    std::string reason = "ok";
    if (o.num_packets && s.packets < o.num_packets) {
        rc = kExitRunFailed;
        reason = fmt::format("received {} of the {} packets expected", fmt_count(s.packets), fmt_count(o.num_packets));
    }
    const double pps = elapsed > 0 ? static_cast<double>(s.packets) / elapsed : 0;
    const double active = s.active_pps();
    out.line(fmt::format("summary: {} packets ({} bytes) in {:.2f} s{}, lost {}, reordered {}, {} destination port{}",
                         fmt_count(s.packets), fmt_count(s.bytes), elapsed,
                         active > 0 ? fmt::format(", {} while packets arrived ({:.3f} s)", fmt_pps(active),
                                                  static_cast<double>(s.last_ns - s.first_ns) / 1e9)
                                    : fmt::format(", {}", fmt_pps(pps)),
                         fmt_count(s.lost), fmt_count(s.reordered), nports, nports == 1 ? "" : "s"));
    if (s.latency.count())
        out.line(fmt::format("latency: p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} samples)",
                             fmt_ns(static_cast<double>(s.latency.quantile(0.5))), fmt_ns(static_cast<double>(s.latency.quantile(0.9))),
                             fmt_ns(static_cast<double>(s.latency.quantile(0.99))), fmt_ns(static_cast<double>(s.latency.quantile(0.999))),
                             fmt_ns(static_cast<double>(s.latency.max())), fmt_count(s.latency.count())));
    const auto lat_written =
        report_latency(o.latency, {{"latency", &s.latency}}, [&](const std::string& l) { out.line(l); });
    if (rc != kExitOk)
        print_error(make_error(reason));

    nlohmann::json doc = {
        {"command", "sink"},
        {"interface", dev->name},
        {"config",
         {{"dst_addr", cfg.dst ? nlohmann::json(cfg.dst->str()) : nlohmann::json(nullptr)},
          {"dst_port_lo", ports.lo},
          {"dst_port_hi", ports.hi},
          {"xdp_mode", xdp_mode_name(k.mode())},
          {"pass", o.pass}}},
        {"duration_s", elapsed},
        {"interrupted", stop_requested()},
        {"rx",
         {{"packets", s.packets},
          {"bytes", s.bytes},
          {"pps", pps},
          {"bits_per_second", elapsed > 0 ? static_cast<double>(s.bytes) * 8 / elapsed : 0.0},
          {"active_s", s.last_ns > s.first_ns ? static_cast<double>(s.last_ns - s.first_ns) / 1e9 : 0.0},
          {"active_pps", active},
          {"stamped", s.stamped},
          {"lost", s.lost},
          {"reordered", s.reordered},
          {"streams", s.streams},
          {"dst_ports", nports}}},
        {"latency", latency_json(s.latency)},
        {"result", rc == kExitOk ? "ok" : "failed"},
        {"reason", reason},
    };
    if (auto w = out.write_json(doc, &intervals); !w) {
        print_error(w.error());
        return kExitRunFailed;
    }
    if (!lat_written) {
        print_error(lat_written.error());
        return kExitRunFailed;
    }
    return rc;
}

}  // namespace

Command add_sink_command(CLI::App& app)
{
    auto o = std::make_shared<SinkOptions>();
    CLI::App* sub = app.add_subcommand("sink", "Count and drop the UDP packets arriving on an interface (loss, reordering, latency)");
    add_interface_args(sub, o->ifname, "Interface to receive on");
    sub->add_option("-a,--dst-addr", o->dst_addr, "Count only packets to this address (default: any)");
    sub->add_option("-p,--dst-port", o->ports, "Count only packets to this port or port range, like 9 or 9-16 (default: any)");
    sub->add_option("--family", o->family, "Count only IPv4 (4) or IPv6 (6) packets")->check(CLI::IsMember({4, 6}));
    sub->add_flag("--pass", o->pass, "Pass the counted packets on to the kernel instead of dropping them");
    sub->add_option("--xdp-mode", o->xdp_mode, "native or skb (generic)")->capture_default_str();
    sub->add_option("-n,--num-packets", o->num_packets, "Stop once this many packets arrived; exit 1 if fewer did");
    sub->add_option("-I,--interval", o->interval, "Seconds between stats lines")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    sub->add_option("-d,--duration", o->duration, "Stop after this many seconds (0 = until Ctrl-C)")->check(CLI::NonNegativeNumber);
    sub->add_option("--idle-timeout", o->idle_timeout, "Stop when nothing arrived for this many seconds, after the first packet")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--json", o->out.json_path, "Write the report as JSON to FILE ('-' = stdout; lines then go to stderr)");
    sub->add_flag("--quiet", o->out.quiet, "No per-interval lines, only the summary");
    add_latency_options(sub, o->latency, "Options");
    return Command{sub, [o] { return run_sink(*o); }};
}

}  // namespace xdpgen
