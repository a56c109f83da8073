// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen udp: blast UDP through BPF_PROG_RUN live frames, or through AF_XDP
// sockets where the kernel refuses live frames (--tx-path).

#include <fmt/format.h>

#include <memory>

#include "blast/udp_sender.hpp"
#include "cli/impair_options.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/interval_log.hpp"
#include "cli/options.hpp"
#include "cli/rate_check.hpp"
#include "stats/units.hpp"
#include "sys/cpus.hpp"
#include "sys/path.hpp"

namespace xdpgen {
namespace {

struct UdpOptions {
    std::string ifname;
    std::string dst_mac, src_mac, dst_addr, src_addr;
    uint16_t dst_port = 9;  // discard
    uint16_t src_port = 9;
    uint16_t dyn_ports = 0;
    uint64_t num_packets = 0;
    size_t pkt_size = 0;  // 0 = the smallest frame of the family, at least 64
    unsigned threads = 1;
    double interval = 1.0, duration = 0, rate = 0;
    bool raw = false;
    uint32_t ts_every = 8;
    bool ts_every_given = false;
    std::string tx_path = "auto";
    OutputOptions out;
    std::string impair;  // refused: see refuse_impair
};

nlohmann::json counters_json(const BlastCounters& c, size_t frame_size, double secs)
{
    nlohmann::json j = {
        {"packets", c.sent},
        {"bytes", c.sent * frame_size},
        {"pps", secs > 0 ? static_cast<double>(c.sent) / secs : 0.0},
        {"bits_per_second", secs > 0 ? static_cast<double>(c.sent * frame_size) * 8 / secs : 0.0},
        {"program_runs", c.repetitions},
        // Unknown without the xdp tracepoints: then packets counts program runs.
        {"driver_dropped", c.xmit_known ? nlohmann::json(c.dropped) : nlohmann::json(nullptr)},
    };
    return j;
}

int run_udp(const UdpOptions& o)
{
    Output out(o.out);
    auto dst = option_ip(o.dst_addr, "--dst-addr");
    if (!dst)
        return fail_setup(dst.error());
    auto src = option_ip_opt(o.src_addr, "--src-addr");
    if (!src)
        return fail_setup(src.error());
    auto dmac = option_mac_opt(o.dst_mac, "--dst-mac");
    if (!dmac)
        return fail_setup(dmac.error());
    auto smac = option_mac_opt(o.src_mac, "--src-mac");
    if (!smac)
        return fail_setup(smac.error());

    PathRequest req{o.ifname, dst.value(), src.value(), smac.value(), dmac.value()};
    auto path = resolve_path(req);
    if (!path)
        return fail_setup(path.error());

    const bool v6 = path->dst.v6;
    const size_t frame_size = o.pkt_size ? o.pkt_size : std::max<size_t>(64, udp_frame_min_size(v6));
    if (path->dev.mtu && frame_size > path->dev.mtu + kEthHdr)
        return fail_setup(make_error(fmt::format("packet size {} exceeds the MTU of {} ({} + {} bytes of Ethernet header)",
                                                 frame_size, path->dev.name, path->dev.mtu, kEthHdr),
                                     0, "use a smaller --pkt-size or raise the MTU"));

    UdpBlastConfig cfg;
    cfg.ifindex = path->dev.ifindex;
    cfg.ifname = path->dev.name;
    cfg.frame = UdpFrameSpec{path->src_mac, path->dst_mac, path->src, path->dst, o.src_port, o.dst_port, frame_size};
    cfg.port_count = o.dyn_ports ? o.dyn_ports : 1;
    cfg.threads = o.threads;
    cfg.total_packets = o.num_packets;
    cfg.rate_pps = o.rate;
    cfg.raw = o.raw;
    // Rate-limited below 1 Mpps per thread the clock read is cheap next to the
    // wait, and a cached one would be up to ts_every-1 packet gaps stale.
    const bool slow = o.rate > 0 && o.rate / o.threads < 1e6;
    cfg.ts_every = slow && !o.ts_every_given ? 1 : o.ts_every;
    cfg.tx_queues = path->dev.tx_queues;
    const TxPath want = *parse_tx_path(o.tx_path);  // CLI11 checked the value
    auto choice = make_udp_sender(cfg, want);
    if (!choice)
        return fail_setup(choice.error().context(fmt::format("on {}", path->dev.name)));
    auto& b = *choice->sender;
    const unsigned threads = choice->threads;
    const bool xsk = b.path() == TxPath::Xsk;
    for (const auto& n : choice->notes)
        out.line(n);

    out.line(fmt::format("udp {} -> {} port {}{} on {} ({} -> {}), {} B frames, {} thread{}{}{}, {}", path->src.str(),
                         path->dst.str(), o.dst_port,
                         cfg.port_count > 1 ? fmt::format("-{}", o.dst_port + cfg.port_count - 1) : "",
                         path->dev.name, path->src_mac.str(), path->dst_mac.str(), frame_size, threads,
                         threads == 1 ? "" : "s", o.num_packets ? fmt::format(", {} packets", fmt_count(o.num_packets)) : "",
                         o.rate > 0 ? fmt::format(", at {}", fmt_pps(o.rate)) : "",
                         xsk ? "through AF_XDP" : "through live frames"));

    // Whether -t could add a thread: a CPU to pin it to, and for AF_XDP a TX queue.
    const bool more_threads = threads < allowed_cpus().size() && (!xsk || threads < path->dev.tx_queues);
    IntervalLog intervals;  // streamed to a temporary file: constant memory
    BlastCounters prev{};
    b.start();
    const double elapsed = run_ticks(
        TickLoop{std::chrono::duration<double>(o.interval), std::chrono::duration<double>(o.duration)},
        [&] { return b.done(); },
        [&](double t, double dt) {
            const BlastCounters c = b.counters();
            const double pps = static_cast<double>(c.sent - prev.sent) / dt;
            const uint64_t drops = c.dropped - prev.dropped;
            // A partial last interval says nothing about the rate.
            const bool below = dt >= o.interval * 0.5 && rate_shortfall(o.rate, pps, threads, more_threads, drops);
            out.interval_line(fmt::format("[{:6.1f}s] tx {:>12}  {:>14}  total {:>13}  driver drops {}{}", t, fmt_pps(pps),
                                          fmt_bps(pps * static_cast<double>(frame_size) * 8), fmt_count(c.sent),
                                          c.xmit_known ? fmt_count(drops) : std::string("n/a"),
                                          below ? "  below --rate" : ""));
            intervals.add({{"t", t}, {"pps", pps}, {"driver_dropped", drops}, {"below_rate", below}});
            prev = c;
        });
    b.request_stop();
    auto st = b.wait();
    const BlastCounters c = b.counters();

    int rc = kExitOk;
    std::string reason = "ok";
    if (!st) {
        Error e = st.error();
        if (c.sent == 0 && c.dropped > 0 && xsk)
            e.hint = fmt::format("the driver refused every frame before it left: is {} up at both ends (carrier)?",
                                 path->dev.name);
        else if (c.sent == 0 && c.dropped > 0 && path->dev.driver == "veth")
            e.hint = "a veth drops redirected frames unless its peer has an XDP program attached or GRO enabled: "
                     "run 'xdpgen sink' on the peer, or 'ethtool -K <peer> gro on'";
        print_error(e);
        rc = kExitRunFailed;
        reason = e.message();
    }
    const double pps = elapsed > 0 ? static_cast<double>(c.sent) / elapsed : 0;
    std::string drops = "driver drops n/a";
    if (c.xmit_known)
        drops = fmt::format("driver drops {}{}", fmt_count(c.dropped), c.dropped && o.num_packets ? " (sent again)" : "");
    out.line(fmt::format("summary: {} packets in {:.2f} s, {}, {}, {}{}", fmt_count(c.sent), elapsed, fmt_pps(pps),
                         fmt_bps(pps * static_cast<double>(frame_size) * 8), drops, stop_requested() ? " (interrupted)" : ""));
    // A run cut short by -n or Ctrl-C before its first second is too short to judge.
    const auto shortfall = elapsed >= 1.0 ? rate_shortfall(o.rate, pps, threads, more_threads, c.dropped) : std::nullopt;
    if (shortfall)
        out.line(rate_summary(*shortfall));

    nlohmann::json doc = {
        {"command", "udp"},
        {"interface", path->dev.name},
        {"tx_path", tx_path_name(b.path())},
        {"config",
         {{"src_addr", path->src.str()},
          {"dst_addr", path->dst.str()},
          {"src_mac", path->src_mac.str()},
          {"dst_mac", path->dst_mac.str()},
          {"src_port", o.src_port},
          {"dst_port", o.dst_port},
          {"dst_ports", cfg.port_count},
          {"frame_size", frame_size},
          {"threads", threads},
          {"threads_requested", o.threads},
          {"tx_path_requested", o.tx_path},
          {"num_packets", o.num_packets},
          {"rate_pps", o.rate},
          {"ts_every", cfg.ts_every},
          {"run_id", b.run_id()}}},
        {"duration_s", elapsed},
        {"interrupted", stop_requested()},
        {"tx", counters_json(c, frame_size, elapsed)},
        {"rate", o.rate > 0 ? rate_json(o.rate, pps, shortfall) : nlohmann::json(nullptr)},
        {"result", rc == kExitOk ? "ok" : "failed"},
        {"reason", reason},
    };
    if (auto w = out.write_json(doc, &intervals); !w) {
        print_error(w.error());
        return kExitRunFailed;
    }
    return rc;
}

}  // namespace

Command add_udp_command(CLI::App& app)
{
    auto o = std::make_shared<UdpOptions>();
    CLI::App* sub = app.add_subcommand("udp", "Blast UDP packets out of an interface (XDP live frames, or AF_XDP)");
    add_interface_args(sub, o->ifname, "Interface to send on");
    sub->add_option("-a,--dst-addr", o->dst_addr, "Destination IPv4 or IPv6 address")->required();
    sub->add_option("-A,--src-addr", o->src_addr, "Source address (default: the kernel's choice for the route)");
    sub->add_option("-m,--dst-mac", o->dst_mac, "Destination MAC (default: resolved from the neighbour table)");
    sub->add_option("-M,--src-mac", o->src_mac, "Source MAC (default: the interface's)");
    sub->add_option("-p,--dst-port", o->dst_port, "Destination port")->capture_default_str()->check(CLI::Range(1, 65535));
    sub->add_option("-P,--src-port", o->src_port, "Source port")->capture_default_str()->check(CLI::Range(1, 65535));
    sub->add_option("--dyn-ports", o->dyn_ports, "Vary the destination port over this many ports, from --dst-port")
        ->check(CLI::Range(1, 65535));
    sub->add_option("-n,--num-packets", o->num_packets, "Send exactly this many packets in total, then stop (0 = no limit)")
        ->capture_default_str();
    sub->add_option("-s,--pkt-size", o->pkt_size, "Frame size in bytes, Ethernet header included, FCS excluded (default 64; 78 for IPv6)");
    sub->add_option("-t,--threads", o->threads, "Sending threads, one per CPU")->capture_default_str()->check(CLI::Range(1, 256));
    sub->add_option("-I,--interval", o->interval, "Seconds between stats lines")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    sub->add_option("-d,--duration", o->duration, "Stop after this many seconds (0 = no limit)")->check(CLI::NonNegativeNumber);
    sub->add_option("--rate", o->rate, "Packets per second over all threads (0 = as fast as possible)")->check(CLI::NonNegativeNumber);
    sub->add_option_function<uint32_t>(
           "--ts-every",
           [o](const uint32_t& v) {
               o->ts_every = v;
               o->ts_every_given = true;
           },
           "Read the clock for the send timestamp once per N packets per CPU (default 8; 1 = every packet, slower; "
           "runs at --rate below 1 Mpps per thread default to 1)")
        ->check(CLI::Range(1, 4096));
    sub->add_option("--json", o->out.json_path, "Write the report as JSON to FILE ('-' = stdout; lines then go to stderr)");
    sub->add_flag("--quiet", o->out.quiet, "No per-interval lines, only the summary");
    sub->add_option("--tx-path", o->tx_path,
                    "How packets leave: live (BPF_PROG_RUN live frames, fastest), xsk (an AF_XDP socket per queue, "
                    "for kernels that refuse live frames), auto (live frames when a test run works, else xsk)")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "live", "xsk"}));
    add_impair_refusal(sub, o->impair, "");
    sub->add_flag("--raw", o->raw, "Benchmark baseline: send the frame unmodified (no stamps, fixed port)")->group("");
    return Command{sub, [o] {
                       if (auto r = refuse_impair(o->impair, "udp", "it sends through live frames or a TX ring, "
                                                  "datagram by datagram with no flow to delay them for");
                           !r)
                           return fail_setup(r.error());
                       return run_udp(*o);
                   }};
}

}  // namespace xdpgen
