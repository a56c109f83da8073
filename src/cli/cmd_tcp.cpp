// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen tcp: bulk TCP streams. The engine (AF_XDP) opens each connection
// with full option negotiation; the data path sends its stream: the
// live-frames sender (its ACKs read by the steering program) where the
// kernel allows live frames, else the engine's own TCP; the engine closes
// each connection with a FIN after its stream.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "blast/tcp_blaster.hpp"
#include "blast/tcp_engine_path.hpp"
#include "cli/impair_options.hpp"
#include "cli/records_run.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/interval_log.hpp"
#include "cli/link_guard.hpp"
#include "cli/options.hpp"
#include "cli/rx_csum.hpp"
#include "engine/engine.hpp"
#include "engine/port_pool.hpp"
#include "stats/units.hpp"
#include "sys/cpus.hpp"
#include "sys/host_ports.hpp"
#include "sys/path.hpp"
#include "sys/probe.hpp"

namespace xdpgen {
namespace {

struct TcpOptions {
    std::string host, ifname, dst_mac, src_addr, bytes, payload = "pattern", cc = "reno", data_path = "auto";
    std::string xdp_mode = "native", zero_copy = "auto", cores;
    std::string src_ports = "10000-59999";
    uint16_t dst_port = 5201;
    uint32_t flows = 1;
    unsigned threads = 1;
    uint32_t queues = 0;
    uint64_t num_packets = 0;
    double duration = 0, interval = 1.0, connect_timeout = 10, drain = 5;
    uint16_t mss = 1460;
    double min_goodput = 0;  // bit/s
    OutputOptions out;
    RecordsOptions records;
    std::string impair;  // refused: see refuse_impair
    std::string on_link_down = "fail";
    std::string rx_csum = "auto";
};

uint64_t to_ns(double s) { return static_cast<uint64_t>(s * 1e9); }

// Frames refused with none accepted: the path is dead, not congested.
constexpr uint64_t kDeadDriverFrames = 10;  // a first window

// "N", or N with K, M, G or T (powers of 1024), e.g. 64K, 1G.
Result<uint64_t> option_bytes(const std::string& v, const char* option)
{
    const auto bad = [&] {
        return make_error(fmt::format("{} '{}' is not a byte count", option, v), 0, "e.g. 1000000, 64K, 100M or 2G");
    };
    size_t pos = 0;
    uint64_t n = 0;
    try {
        n = std::stoull(v, &pos);
    } catch (...) {
        return bad();
    }
    if (v.empty() || v[0] == '-')
        return bad();
    int shift = 0;
    if (pos + 1 == v.size()) {
        switch (v[pos]) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        default: return bad();
        }
    } else if (pos != v.size()) {
        return bad();
    }
    if (shift && n > (UINT64_MAX >> shift))
        return bad();
    return n << shift;
}

struct FlowSpread {
    double min = 0, max = 0;
};

FlowSpread spread(const std::vector<double>& v)
{
    if (v.empty())
        return {};
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return {*lo, *hi};
}

int run_tcp(TcpOptions o)
{
    Output out(o.out);
    auto dst = option_ip(o.host, "host");
    if (!dst)
        return fail_setup(dst.error());
    std::optional<AddrRange> src_range;
    if (!o.src_addr.empty()) {
        auto r = option_addr_range(o.src_addr, "--src-addr");
        if (!r)
            return fail_setup(r.error());
        if (r->first.v6 != dst->v6)
            return fail_setup(make_error(fmt::format("--src-addr {} and {} are of different families", o.src_addr, o.host)));
        src_range = *r;
    }
    auto dmac = option_mac_opt(o.dst_mac, "--dst-mac");
    if (!dmac)
        return fail_setup(dmac.error());
    auto ports = option_port_range(o.src_ports, "--src-port-range");
    if (!ports)
        return fail_setup(ports.error());
    auto link_policy = option_on_link_down(o.on_link_down);
    if (!link_policy)
        return fail_setup(link_policy.error());
    uint64_t bytes = 0;
    if (!o.bytes.empty()) {
        auto b = option_bytes(o.bytes, "--bytes");
        if (!b)
            return fail_setup(b.error());
        if (*b == 0)
            return fail_setup(make_error("--bytes 0: a stream needs at least one byte", 0, "leave --bytes out to send until --duration ends"));
        bytes = *b;
    }
    const std::string payload_file = o.payload == "pattern" ? "" : o.payload;
    TcpCc cc;
    if (o.cc == "reno")
        cc = TcpCc::Reno;
    else if (o.cc == "none")
        cc = TcpCc::None;
    else
        return fail_setup(make_error(fmt::format("--cc '{}' is not reno or none", o.cc)));
    if (o.data_path != "auto" && o.data_path != "live" && o.data_path != "engine")
        return fail_setup(make_error(fmt::format("--data-path '{}' is not auto, live or engine", o.data_path), 0,
                                     "auto sends through live frames where the kernel allows them, else through the engine"));
    const auto mode = o.xdp_mode == "skb" ? XdpMode::Skb : XdpMode::Native;
    if (o.xdp_mode != "skb" && o.xdp_mode != "native")
        return fail_setup(make_error(fmt::format("--xdp-mode '{}' is not native or skb", o.xdp_mode)));
    auto zc = parse_zero_copy(o.zero_copy);
    if (!zc)
        return fail_setup(make_error(fmt::format("--zero-copy '{}' is not auto, on or off", o.zero_copy)));
    std::vector<int> cpus;
    if (!o.cores.empty()) {
        auto c = parse_cpu_list(o.cores);
        if (!c)
            return fail_setup(make_error(fmt::format("--cores '{}' is not a CPU list", o.cores), 0, "e.g. 0,1 or 2-3"));
        cpus = *c;
    }
    if (bytes == 0 && payload_file.empty() && o.duration <= 0 && o.num_packets == 0)
        o.duration = 10;
    const uint32_t port_span = ports->hi - ports->lo + 1u;
    if (o.flows > uint64_t{port_span} * (src_range ? src_range->count : 1))
        return fail_setup(make_error(fmt::format("--flows {} needs as many local ports; --src-port-range {} has {}", o.flows,
                                                 o.src_ports, port_span)));

    PathRequest req{o.ifname, *dst, src_range ? std::optional<IpAddr>(src_range->first) : std::nullopt, std::nullopt,
                    dmac.value()};
    auto path = resolve_path(req);
    if (!path)
        return fail_setup(path.error());
    const uint32_t mtu = path->dev.mtu ? path->dev.mtu : 1500;

    // The data path, decided before anything is opened: live frames where
    // a real live-frames run works (or as asked), else the engine's TCP.
    bool live = o.data_path != "engine";
    std::string note;
    if (live) {
        if (auto lf = live_frames_usable(path->dev); !lf) {
            if (o.data_path == "live")
                return fail_setup(make_error(
                    fmt::format("--data-path live: the kernel refuses live frames on {} ({})", path->dev.name,
                                lf.error().message()),
                    0, "use --data-path engine (or auto): the AF_XDP engine then sends the streams itself"));
            live = false;
            note = fmt::format("live frames are refused here ({}): the AF_XDP engine sends the streams (--data-path engine)",
                               lf.error().message());
        }
    }
    std::unique_ptr<TcpBlaster> blaster;
    std::unique_ptr<TcpEnginePath> engine_path;
    if (live) {
        TcpBlastConfig bc;
        bc.ifindex = path->dev.ifindex;
        bc.ifname = path->dev.name;
        bc.flows = o.flows;
        bc.threads = o.threads;
        bc.bytes = bytes;
        bc.payload_file = payload_file;
        bc.cc = cc;
        bc.frame_size = 14 + mtu;
        auto b = TcpBlaster::create(bc);
        if (!b)
            return fail_setup(b.error());
        blaster = std::move(b.value());
    } else {
        auto payload = StreamPayload::load(payload_file, bytes);
        if (!payload)
            return fail_setup(payload.error());
        engine_path = std::make_unique<TcpEnginePath>(std::move(payload.value()), o.flows);
    }
    TcpDataPath& dp = blaster ? static_cast<TcpDataPath&>(*blaster) : *engine_path;
    if (!note.empty())
        out.line("note: " + note);
    if (blaster && !blaster->warning().empty())
        out.line("warning: " + blaster->warning());
    if (!blaster && o.threads != 1)
        out.line(fmt::format("note: --threads {} is for the live-frames sender; on the engine path each engine worker "
                             "(one per queue, -q) sends its flows", o.threads));

    engine::EngineConfig cfg;
    cfg.ifname = path->dev.name;
    cfg.ifindex = path->dev.ifindex;
    cfg.mode = mode;
    cfg.queues = o.queues ? o.queues : path->dev.rx_queues;
    cfg.dev_queues = std::max(path->dev.rx_queues, 1u);
    cfg.cpus = cpus;
    if (blaster)
        cfg.bulk_maps = blaster->maps();
    engine::WorkerConfig& w = cfg.worker;
    w.ifname = path->dev.name;
    w.zero_copy = *zc;
    w.src_mac = path->src_mac;
    w.dst_mac = path->dst_mac;
    w.local_addrs = {path->src};
    for (uint32_t i = 1; src_range && i < src_range->count; i++)
        w.local_addrs.push_back(src_range->at(i));
    w.remote = path->dst;
    w.remote_port = o.dst_port;
    w.port_lo = ports->lo;
    w.port_hi = ports->hi;
    w.connections = o.flows;
    w.concurrency = o.flows;
    w.connect_timeout_ns = to_ns(o.connect_timeout);
    w.timeout_ns = UINT64_MAX / 4;  // a stream takes what it takes; the data path gives up on a dead peer
    w.drain_ns = to_ns(o.drain);
    w.rx_csum = rx_csum_check(o.rx_csum);
    w.bulk = &dp;
    w.tcp.mss = std::min<uint32_t>(o.mss, mtu - (path->dst.v6 ? 60 : 40));
    w.tcp.default_peer_mss = path->dst.v6 ? 1220 : 536;
    w.tcp.time_wait = to_ns(1);
    w.tcp.sack = true;
    w.ride_out_link_down = link_policy->wait;
    // The engine's own TCP sends on the engine path: --cc none is the peer's window alone.
    if (!blaster && cc == TcpCc::None)
        w.tcp.cc = &window_limited_cc();

    auto recs = RunRecords::open(o.records, cfg.queues, {});
    if (!recs)
        return fail_setup(recs.error());
    cfg.records = recs->writer();
    auto eng = engine::Engine::create(cfg);
    if (!eng)
        return fail_setup(eng.error());
    auto& e = *eng.value();

    const std::string target = path->dst.v6 ? fmt::format("[{}]:{}", path->dst.str(), o.dst_port)
                                            : fmt::format("{}:{}", path->dst.str(), o.dst_port);
    const std::string data_path = blaster ? "live" : "engine";
    out.line(fmt::format("tcp {} -> {} on {} ({} -> {}), {} flow{}, data path {} ({}), {} worker{}, cc {}", path->src.str(),
                         target, path->dev.name, path->src_mac.str(), path->dst_mac.str(), o.flows, o.flows == 1 ? "" : "s",
                         data_path,
                         blaster ? fmt::format("live frames, {} sending thread{}", o.threads, o.threads == 1 ? "" : "s")
                                 : std::string(cc == TcpCc::Reno ? "the AF_XDP engine's TCP, NewReno"
                                                                 : "the AF_XDP engine's TCP, window-limited"),
                         e.workers(), e.workers() == 1 ? "" : "s", o.cc));
    const uint64_t stream = dp.stream_bytes() < (uint64_t{1} << 62) ? dp.stream_bytes() : 0;
    out.line(fmt::format("stream: {} per flow{}, MTU {}{}", stream ? fmt::format("{} B", fmt_count(stream)) : "until stopped",
                         payload_file.empty() ? "" : fmt::format(" of {}", payload_file), mtu,
                         o.duration > 0 ? fmt::format(", at most {} s", o.duration) : ""));
    if (auto n = host_port_notice(ports->lo, ports->hi, fmt::format("local ports {}-{}", ports->lo, ports->hi)))
        out.line(*n);

    // What was sent, whichever path sent it: the live-frames sender's
    // counters (plus the engine's retransmissions), or the engine's own.
    struct Sent {
        uint64_t segments = 0, bytes = 0, retx = 0, acked = 0;
    };
    const auto sent_now = [&](const engine::WorkerStats& s) {
        if (!blaster)
            return Sent{s.c.tx_packets, s.c.tx_frame_bytes, s.c.retransmits, s.c.tx_bytes};
        const TcpBlastCounters c = blaster->counters();
        return Sent{c.tx.packets, c.tx.bytes, c.tx.resent + s.c.retransmits, c.acked_bytes};
    };
    IntervalLog intervals;  // streamed to a temporary file: constant memory
    Sent prev;
    std::vector<uint64_t> prev_flow;
    bool streams_stopped = false;
    bool dead_driver = false;
    bool live_failed = false;
    const auto stop_streams = [&] {
        if (!streams_stopped) {
            streams_stopped = true;
            dp.stop_streams();
        }
    };
    LinkGuard link(out, path->dev.name, path->dev.ifindex, link_policy.value());
    recs->start();
    e.start();
    if (blaster)
        blaster->start();
    const double elapsed = run_ticks(
        TickLoop{std::chrono::duration<double>(o.interval), std::chrono::duration<double>(o.duration)},
        [&] {
            if (o.num_packets && sent_now(e.stats()).segments >= o.num_packets)
                stop_streams();
            if (blaster) {
                // The sender stopped on an error: no flow will progress, end now.
                if (blaster->failed()) {
                    live_failed = true;
                    return true;
                }
                // A driver that takes none of the frames will not start to: say so now, not after the RTOs.
                if (const auto v = blaster->driver_verdict(); v && v->sent == 0 && v->dropped >= kDeadDriverFrames) {
                    dead_driver = true;
                    return true;
                }
            }
            return link.check(e) || e.done();
        },
        [&](double t, double dt) {
            const auto s = e.stats();
            const Sent c = sent_now(s);
            const double pps = static_cast<double>(c.segments - prev.segments) / dt;
            const double bps = static_cast<double>(c.bytes - prev.bytes) * 8 / dt;
            const double goodput = static_cast<double>(c.acked - prev.acked) * 8 / dt;
            const uint64_t retx = c.retx - prev.retx;
            // Per-flow goodput over the interval, among the flows still sending.
            const std::vector<uint64_t> now_flow = dp.flow_acked();
            std::vector<double> rates;
            for (size_t i = 0; i < now_flow.size(); i++) {
                const uint64_t before = i < prev_flow.size() ? prev_flow[i] : 0;
                if (now_flow[i] != before || i >= prev_flow.size())
                    rates.push_back(static_cast<double>(now_flow[i] - before) * 8 / dt);
            }
            const FlowSpread fs = spread(rates);
            out.interval_line(fmt::format("[{:6.1f}s] tx {:>10} {:>13}  goodput {:>13}  retx {:>6}  flows {:>4} open  per flow {} .. {}",
                                          t, fmt_pps(pps), fmt_bps(bps), fmt_bps(goodput), fmt_count(retx),
                                          fmt_count(s.c.open), fmt_bps(fs.min), fmt_bps(fs.max)));
            intervals.add({{"t", t},
                                 {"tx_pps", pps},
                                 {"tx_bits_per_second", bps},
                                 {"goodput_bits_per_second", goodput},
                                 {"retransmitted_segments", retx},
                                 {"open_flows", s.c.open},
                                 {"flow_goodput_min", fs.min},
                                 {"flow_goodput_max", fs.max}});
            prev = c;
            prev_flow = now_flow;
        });
    // The end of a --duration run (or a signal): the streams end where they
    // are, each flow closes once that is acknowledged.
    stop_streams();
    e.request_stop(dead_driver || live_failed || link.ended_run());
    const Status st = e.wait();
    const Status bst = blaster ? blaster->wait() : Status{};
    std::optional<Error> run_error = link.run_error(!st ? st : bst);
    if (auto rf = recs->finish(); !rf && !run_error)
        run_error = rf.error();
    const double total_s = elapsed;

    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t now = uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
    const TcpBlastCounters c = blaster ? blaster->counters() : TcpBlastCounters{};
    const auto s = e.stats();
    const Sent sent = sent_now(s);
    const auto steer = e.steering_counters();
    const FlowSpread fs = spread(dp.flow_goodput(now));
    const double goodput = total_s > 0 ? static_cast<double>(s.c.tx_bytes) * 8 / total_s : 0;
    const uint64_t retx = sent.retx;

    int rc = kExitOk;
    std::string reason = "ok";
    if (!run_error && dead_driver) {
        run_error = make_error(fmt::format("the driver of {} refused every frame the TCP sender sent", path->dev.name));
        if (path->dev.driver == "veth")
            run_error->hint = "a veth drops redirected frames unless its peer has an XDP program attached or GRO "
                              "enabled: 'ethtool -K <peer> gro on'";
    }
    if (run_error) {
        if (!bst && run_error->hint.empty())
            run_error->hint = "--data-path engine sends the streams through the AF_XDP engine instead of live frames";
        print_error(*run_error);
        rc = kExitRunFailed;
        reason = run_error->message();
    }
    out.line(fmt::format("summary: {} flows, {} completed, {} failed{}{} in {:.2f} s{}", fmt_count(s.c.attempted),
                         fmt_count(s.c.completed), fmt_count(s.c.failed),
                         s.c.failed ? fmt::format(" ({} timeout, {} reset, {} refused, {} peer closed early)", s.c.failed_timeout,
                                                  s.c.failed_reset, s.c.failed_refused, s.c.failed_peer_closed)
                                    : "",
                         s.c.unfinished ? fmt::format(", {} unfinished", fmt_count(s.c.unfinished)) : "", total_s,
                         stop_requested() ? " (interrupted)" : ""));
    out.line(fmt::format("goodput: {} ({} B acknowledged), per flow {} .. {}", fmt_bps(goodput), fmt_count(s.c.tx_bytes),
                         fmt_bps(fs.min), fmt_bps(fs.max)));
    const double tx_pps = total_s > 0 ? static_cast<double>(sent.segments) / total_s : 0;
    const double tx_bps = total_s > 0 ? static_cast<double>(sent.bytes) * 8 / total_s : 0;
    if (blaster) {
        // The causes are recoveries (each resends one hole or more), not segments.
        out.line(fmt::format("sent: {} segments, {} ({}), {} retransmitted (recoveries: {} fast, {} loss probes, {} timeouts), {} dup ACKs",
                             fmt_count(sent.segments), fmt_pps(tx_pps), fmt_bps(tx_bps), fmt_count(retx),
                             fmt_count(c.ack.fast_rexmits + c.ack.partial_acks), fmt_count(c.probes), fmt_count(c.rtos),
                             fmt_count(c.ack.dup_acks)));
    } else {
        // Every segment of the flows, handshakes and closes included, from the engine's counters.
        out.line(fmt::format("sent: {} segments, {} ({}), {} retransmitted, by the engine's TCP", fmt_count(sent.segments),
                             fmt_pps(tx_pps), fmt_bps(tx_bps), fmt_count(retx)));
    }
    if (s.connect.count())
        out.line("connect: " + latency_line(s.connect));
    if (const std::string l = rx_csum_summary(s.c, rx_csum_check(o.rx_csum)); !l.empty())
        out.line(l);
    if (const std::string l = link.summary_line(); !l.empty())
        out.line(l);
    if (const std::string l = recs->summary_line(s.c); !l.empty())
        out.line(l);

    if (rc == kExitOk) {
        if (s.c.failed) {
            rc = kExitRunFailed;
            reason = fmt::format("{} flows failed", fmt_count(s.c.failed));
        } else if (s.c.completed < o.flows && !stop_requested()) {
            rc = kExitRunFailed;
            reason = fmt::format("only {} of {} flows completed", fmt_count(s.c.completed), fmt_count(o.flows));
        } else if (o.min_goodput > 0 && goodput < o.min_goodput) {
            rc = kExitRunFailed;
            reason = fmt::format("goodput {} is below --min-goodput {}", fmt_bps(goodput), fmt_bps(o.min_goodput));
        }
    }
    if (rc != kExitOk && !run_error)
        out.line("FAILED: " + reason);

    // Figures the engine path has no counter for are null there.
    const auto live_only = [&](uint64_t v) { return blaster ? nlohmann::json(v) : nlohmann::json(nullptr); };
    nlohmann::json doc = {
        {"command", "tcp"},
        {"interface", path->dev.name},
        {"data_path", data_path},
        {"data_path_note", note},
        {"config",
         {{"target", target},
          {"src_addr", path->src.str()},
          {"src_mac", path->src_mac.str()},
          {"dst_mac", path->dst_mac.str()},
          {"flows", o.flows},
          {"threads", o.threads},
          {"workers", e.workers()},
          {"bytes_per_flow", stream},
          {"duration_s", o.duration},
          {"cc", o.cc},
          {"data_path", o.data_path},
          {"payload", o.payload},
          {"mtu", mtu},
          {"on_link_down", link_policy->str()},
          {"rx_csum", o.rx_csum}}},
        {"duration_s", total_s},
        {"interrupted", stop_requested()},
        {"flows",
         {{"attempted", s.c.attempted},
          {"established", s.c.established},
          {"completed", s.c.completed},
          {"failed", s.c.failed},
          {"failed_by_cause",
           {{"timeout", s.c.failed_timeout},
            {"refused", s.c.failed_refused},
            {"reset", s.c.failed_reset},
            {"peer_closed_early", s.c.failed_peer_closed}}},
          {"unfinished", s.c.unfinished}}},
        {"goodput_bits_per_second", goodput},
        {"acked_bytes", s.c.tx_bytes},
        {"flow_goodput_min", fs.min},
        {"flow_goodput_max", fs.max},
        {"tx",
         {{"segments", sent.segments},
          {"bytes", sent.bytes},
          {"payload_bytes", blaster ? c.tx.payload_bytes : s.c.tx_payload_bytes},
          {"pps", tx_pps},
          {"bits_per_second", tx_bps},
          {"no_room", blaster ? c.tx.no_room : s.c.tx_ring_full},
          {"errors", c.tx.errors}}},
        {"retransmitted_segments", retx},
        {"retransmits",
         {{"data_path", c.tx.resent},
          {"data_path_bytes", c.tx.resent_bytes},
          {"engine", s.c.retransmits},
          {"fast", live_only(c.ack.fast_rexmits)},
          {"partial_ack", live_only(c.ack.partial_acks)},
          {"timeouts", live_only(c.rtos)},
          {"loss_probes", live_only(c.probes)}}},
        {"acks",
         {{"seen", blaster ? c.ack.acks : s.c.rx_packets},
          {"new", live_only(c.ack.new_acks)},
          {"duplicate", live_only(c.ack.dup_acks)},
          {"old", live_only(c.ack.old_acks)},
          {"ahead", live_only(c.ack.ahead_acks)},
          {"passed", live_only(c.ack.passed)},
          {"with_sack", live_only(c.ack.sack_acks)},
          {"sack_resend_bytes", live_only(c.ack.sack_resend_bytes)}}},
        {"engine", {{"tx_packets", s.c.tx_packets}, {"rx_packets", s.c.rx_packets}, {"rx_invalid", s.c.rx_invalid},
                    {"rx_bad_csum", s.c.rx_bad_csum}, {"rx_csum_offloaded", s.c.rx_csum_offloaded},
                    {"rx_icmp", s.c.rx_icmp}, {"rx_icmp_mss_lowered", s.c.rx_icmp_mss_lowered}}},
        {"steering", {{"steered", steer.steered}, {"passed", steer.passed}, {"acks_consumed", steer.bulk_acks}, {"kernel_owned", steer.kernel_owned}, {"kernel_ports_skipped", engine::PortPool::kernel_ports_skipped()}}},
        {"latency", {{"connect", latency_json(s.connect)}}},
        {"link", link.json()},
        {"result", rc == kExitOk ? "ok" : "failed"},
        {"reason", reason},
    };
    if (recs->on())
        doc["records"] = recs->json(s.c);
    if (auto wj = out.write_json(doc, &intervals); !wj) {
        print_error(wj.error());
        return kExitRunFailed;
    }
    return rc;
}

}  // namespace

Command add_tcp_command(CLI::App& app)
{
    auto o = std::make_shared<TcpOptions>();
    CLI::App* sub = app.add_subcommand(
        "tcp", "Send bulk TCP streams: connections opened by the AF_XDP engine, data sent through live frames "
               "(or by the engine where the kernel refuses them)");
    sub->add_option("host", o->host, "Receiver's address (IPv4 or IPv6)")->required();
    sub->add_option("-i,--interface", o->ifname, "Interface to send on")->required();
    sub->add_option("-p,--dst-port", o->dst_port, "Receiver's TCP port")->capture_default_str();

    auto* load = "Load";
    sub->add_option("--flows", o->flows, "Connections, each one stream")->capture_default_str()
        ->check(CLI::Range(1u, 1u << 20))->group(load);
    sub->add_option("--bytes", o->bytes, "Bytes per stream (K, M, G, T: powers of 1024); each flow closes once they are acknowledged")
        ->group(load);
    sub->add_option("-d,--duration", o->duration, "Seconds to send (default 10 without --bytes or -n); the streams then end and close")
        ->check(CLI::NonNegativeNumber)->group(load);
    sub->add_option("-n,--num-packets", o->num_packets, "End the streams after this many data segments were sent")->group(load);
    sub->add_option("-t,--threads", o->threads, "Sending threads, one per CPU")->capture_default_str()->group(load);
    sub->add_option("--cc", o->cc, "Congestion control: reno (slow start, congestion avoidance, halving on loss) "
                    "or none (window-limited: the peer's window alone)")->capture_default_str()->group(load);
    sub->add_option("--data-path", o->data_path, "Who sends the streams: live (an XDP program through live frames), "
                    "engine (the AF_XDP engine's TCP) or auto (live where the kernel allows it, else engine)")
        ->capture_default_str()->group(load);
    sub->add_option("--payload", o->payload, "What the streams carry: pattern (xdpgen's byte pattern by stream offset) "
                    "or FILE (its bytes, once: --bytes defaults to its size)")
        ->capture_default_str()->group(load);

    auto* net = "Network";
    sub->add_option("--src-addr", o->src_addr, "Local address or range (default: the kernel's source for the route)")->group(net);
    sub->add_option("--src-port-range", o->src_ports, "Local ports to use, LO-HI")->capture_default_str()->group(net);
    sub->add_option("-m,--dst-mac", o->dst_mac, "Next-hop MAC (default: resolved from the neighbour table)")->group(net);
    sub->add_option("--mss", o->mss, "MSS to announce (capped by the MTU)")->capture_default_str()->check(CLI::Range(88, 9000))->group(net);
    sub->add_option("--xdp-mode", o->xdp_mode, "native or skb (generic) XDP for the steering program")->capture_default_str()->group(net);
    sub->add_option("--zero-copy", o->zero_copy, "AF_XDP zero-copy: auto, on or off")->capture_default_str()->group(net);
    sub->add_option("-q,--queues", o->queues, "Engine workers, one per queue (default: all queues)")->group(net);
    sub->add_option("--cores", o->cores, "Pin the engine's workers to these CPUs")->group(net);
    sub->add_option("--on-link-down", o->on_link_down,
                    "If the interface goes down mid-run: fail = end the run (exit 1); wait = ride it out until it is "
                    "up again, at most 10 s (wait:S: S seconds), then fail. A deleted interface always ends the run")
        ->capture_default_str()->group(net);
    sub->add_option("--rx-csum", o->rx_csum, kRxCsumHelp)
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->group(net);
    sub->add_option("--connect-timeout", o->connect_timeout, "Seconds for a handshake (at most 3600)")->capture_default_str()
        ->check(CLI::PositiveNumber & CLI::Range(0.0, 3600.0))->group(net);
    sub->add_option("--drain", o->drain, "Seconds the flows get to close at the end")->capture_default_str()
        ->check(CLI::NonNegativeNumber)->group(net);

    auto* out = "Output and thresholds";
    sub->add_option("--min-goodput", o->min_goodput, "Exit 1 when the goodput (bit/s) is lower")->check(CLI::NonNegativeNumber)->group(out);
    sub->add_option("-I,--interval", o->interval, "Seconds between stats lines")->capture_default_str()->check(CLI::Range(0.1, 3600.0))->group(out);
    sub->add_option("--json", o->out.json_path, "Write the report as JSON to FILE ('-' = stdout; lines then go to stderr)")->group(out);
    sub->add_flag("--quiet", o->out.quiet, "No per-interval lines, only the summary")->group(out);
    add_records_options(sub, o->records, out);
    add_impair_refusal(sub, o->impair, "");
    return Command{sub, [o] {
                       if (auto r = refuse_impair(o->impair, "tcp", "its streams leave through the bulk data path, "
                                                  "not one segment at a time through a worker");
                           !r)
                           return fail_setup(r.error());
                       return run_tcp(*o);
                   }};
}

}  // namespace xdpgen
