// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen client: real TCP connections from the AF_XDP engine against any
// TCP server, at a set rate and concurrency, each running a small program.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/engine_report.hpp"
#include "cli/find_max.hpp"
#include "cli/impair_options.hpp"
#include "cli/records_run.hpp"
#include "cli/profile.hpp"
#include "cli/profile_run.hpp"
#include "cli/common.hpp"
#include "cli/http_target.hpp"
#include "cli/latency_report.hpp"
#include "cli/link_guard.hpp"
#include "cli/local_target.hpp"
#include "cli/options.hpp"
#include "cli/rx_csum.hpp"
#include "cli/per_worker.hpp"
#include "cli/port_limit.hpp"
#include "cli/segment_plan.hpp"
#include "engine/engine.hpp"
#include "engine/port_pool.hpp"
#include "program/quick.hpp"
#include "stats/units.hpp"
#include "sys/cpus.hpp"
#include "sys/host_ports.hpp"
#include "sys/path.hpp"

namespace xdpgen {
namespace {

struct ClientOptions {
    std::string target, ifname, xdp_mode = "native", zero_copy = "auto", cores, src_addr, dst_mac;
    std::string src_ports = "10000-59999";
    uint32_t queues = 0;  // 0 = all of the interface's
    uint32_t concurrency = 100;
    double cps = 0, duration = 0, ramp_up = 0, interval = 1.0;
    double rps = 0;  // --rps: requests per second over the open connections
    std::string urls, urls_order = "round-robin";  // --urls FILE: a request per connection from its lines
    uint64_t seed = 1;                             // --seed: for --urls-order random
    LocalOptions local;  // no -i: local mode (--local-range, and -q for its queues)
    std::string profile;       // --profile FILE: templates chosen per connection by weight
    std::shared_ptr<const Profile> loaded_profile;  // read once, its [defaults] applied
    bool per_template = false; // --per-template: a live line per template
    // --find-max cps|rps: the highest rate meeting --slo, by short runs of --step-duration.
    std::string find_max, slo = "errors=0", plot;
    double find_max_start = 1000, step_duration = 3, find_max_precision = 0.05;
    uint64_t connections = 0;
    double hold = 0;  // --hold, seconds
    double connect_timeout = 10, timeout = 60, time_wait = 1, peer_time_wait = 60, drain = 2;
    uint16_t mss = 1460;
    program::QuickProgram prog;
    int64_t max_failures = -1;  // -1 = default: 0 for a --connections run, unlimited otherwise
    double min_cps = 0;
    OutputOptions out;
    LatencyDetail latency;
    RecordsOptions records;
    ImpairOptions impair;
    bool per_worker = false;
    std::string on_link_down = "fail";
    std::string rx_csum = "auto";
};

uint64_t to_ns(double s) { return static_cast<uint64_t>(s * 1e9); }

// --rps: what was due, what went out and the rate reached (the latencies
// from each request's due time follow with the others).
std::string rps_summary_line(double rps, const engine::WorkerCounters& c, double elapsed)
{
    const double sent_rate = elapsed > 0 ? static_cast<double>(c.requests_sent) / elapsed : 0;
    return fmt::format("requests: {} sent of {} due ({} req/s, asked {}){}", fmt_count(c.requests_sent),
                       fmt_count(c.requests_due), fmt_si(sent_rate, ""), fmt_si(rps, ""),
                       c.requests_due > c.requests_sent
                           ? fmt::format(": {} never sent (every connection was waiting for a response: "
                                         "raise -c, or the server is slower than the rate)",
                                         fmt_count(c.requests_due - c.requests_sent))
                           : "");
}

// "2.06 k", "500": a rate without fmt_si's padding for a missing prefix.
std::string rate_text(double r)
{
    std::string t = fmt_si(r, "");
    while (!t.empty() && t.back() == ' ')
        t.pop_back();
    return t;
}

std::string http_summary_line(const engine::WorkerCounters& c)
{
    std::string l = fmt::format("http: {} responses", fmt_count(c.http_responses));
    if (c.server_closed)
        l += fmt::format(", {} keep-alive connections closed by the server (their programs went on over new ones)",
                         fmt_count(c.server_closed));
    return l;
}

// Refusals after connections were established: nothing listens there any more.
std::string server_gone_hint(const engine::WorkerCounters& c, const std::string& target)
{
    if (!c.failed_refused || !c.established)
        return "";
    return fmt::format("the server at {} refused connections after it had accepted {}: did it stop, crash or restart "
                       "during the run?", target, fmt_count(c.established));
}

// HOST:PORT, or a URL: its path and Host header become the --http request's.
Result<Endpoint> client_target(ClientOptions& o)
{
    if (!looks_like_url(o.target)) {
        if (auto ep = parse_endpoint(o.target))
            return *ep;
        return make_error(fmt::format("'{}' is not HOST:PORT or a URL", o.target), 0,
                          "e.g. 198.18.0.2:80, [fd00:18::2]:80 or http://198.18.0.2:8080/index.html");
    }
    auto url = parse_http_url(o.target);
    if (!url)
        return url.error();
    if (!o.prog.http_get_path.empty())
        return make_error(fmt::format("--http {} and the URL {} both give the path: give one", o.prog.http_get_path,
                                      o.target));
    auto addr = resolve_host(url->host);
    if (!addr)
        return addr.error();
    o.prog.http_get_path = url->path;
    if (o.prog.http_host.empty())
        o.prog.http_host = url->host_header();
    return Endpoint{*addr, url->port};
}

// What a run measured, for a caller that runs several (--find-max).
struct ClientRunResult {
    engine::WorkerStats s;
    double elapsed = 0;
    std::string reason;
};

// --urls: one program per line of the file, each o.prog with that line's
// path (and Host); one is chosen per connection.
Result<std::vector<program::Program>> url_programs(const ClientOptions& o, const Endpoint& ep, bool url_target)
{
    if (!url_target && !o.prog.http_get_path.empty())
        return make_error("--urls gives the paths: --http does not apply");
    auto lines = load_url_list(o.urls, ep);
    if (!lines)
        return lines.error();
    std::vector<program::Program> progs;
    for (const auto& l : *lines) {
        program::QuickProgram q = o.prog;
        q.http_get_path = l.path;
        if (!l.host_header.empty())
            q.http_host = l.host_header;
        auto spec = program::build_quick_program(q);
        if (!spec)
            return spec.error().context("--urls " + l.path);
        auto prog = program::Program::compile(spec.value());
        if (!prog)
            return prog.error().context("--urls " + l.path);
        progs.push_back(std::move(prog.value()));
    }
    return progs;
}

// No -i: the target must be this host's, reached through local mode's pair.
Result<std::unique_ptr<local::LocalNet>> client_local_net(const ClientOptions& o, const IpAddr& target)
{
    if (!local::is_host_address(target))
        return make_error(fmt::format("{} is not an address of this host: give the interface that reaches it with -i",
                                      target.str()),
                          0, "without -i (local mode) xdpgen reaches servers on this host: 127.0.0.1, localhost, "
                             "[::1] or an address of one of its interfaces");
    LocalOptions lo = o.local;
    lo.queues = o.queues;
    return open_local_net(lo);
}

// net: local mode's pair made by the caller (--find-max makes it once for
// all its steps); null = make one if there is no -i.
// Whether any option that shapes the command line's own program was given
// (--profile brings its programs).
bool quick_program_given(const program::QuickProgram& q)
{
    return !q.send_text.empty() || !q.send_file.empty() || q.send_size || q.recv_bytes || q.recv_http ||
           q.recv_until_close || q.requests != 1 || q.delay_ms || q.verify || q.expect_status ||
           !q.http_get_path.empty() || !q.http_method.empty() || !q.http_headers.empty() || !q.http_body.empty() ||
           !q.http_body_file.empty();
}

// --profile: each template's client program (the quick options that shape
// the command line's own program do not apply). url_target: the target was
// a URL, whose path the templates replace and whose host is their Host
// unless they name one.
Result<ProfilePrograms> profile_programs(const ClientOptions& o, const std::string& default_host, bool url_target,
                                         bool v6)
{
    if (!o.urls.empty())
        return make_error("--profile and --urls both give the requests: give one");
    program::QuickProgram own = o.prog;
    if (url_target)
        own.http_get_path.clear();
    if (quick_program_given(own))
        return make_error("--profile gives each template's program: --send, --recv, --http, -H, --method, --body, "
                          "--requests-per-connection, --delay, --verify and --expect-status do not apply",
                          0, "put them in the profile's templates");
    auto prof = o.loaded_profile ? Result<Profile>(*o.loaded_profile) : load_profile(o.profile);
    if (!prof)
        return prof.error();
    return client_programs(*prof, {o.prog.http_host.empty() ? default_host : o.prog.http_host, o.prog.hold_ms,
                                   o.prog.on_schedule, v6});
}

int run_client(ClientOptions o, ClientRunResult* result = nullptr, const local::LocalNet* net = nullptr)
{
    Output out(o.out);
    const bool url_target = looks_like_url(o.target);
    auto ep = client_target(o);
    if (!ep)
        return fail_setup(ep.error());
    if (!o.local.ranges.empty() && !o.ifname.empty())
        return fail_setup(make_error("--local-range is for local mode: leave -i out"));
    std::unique_ptr<local::LocalNet> own_net;
    if (o.ifname.empty() && !net) {
        auto n = client_local_net(o, ep->addr);
        if (!n)
            return fail_setup(n.error());
        own_net = std::move(n.value());
        net = own_net.get();
    }
    std::optional<LocalClientPath> lpath;
    if (net) {
        auto lp = local_client_path(*net, ep->addr, o.src_addr);
        if (!lp)
            return fail_setup(lp.error());
        lpath = *lp;
        o.ifname = lp->ifname;
        out.line(net->describe());
    }
    std::optional<AddrRange> src_range;
    if (lpath) {
        src_range = lpath->src;
    } else if (!o.src_addr.empty()) {
        auto r = option_addr_range(o.src_addr, "--src-addr");
        if (!r)
            return fail_setup(r.error());
        if (r->first.v6 != ep->addr.v6)
            return fail_setup(make_error(fmt::format("--src-addr {} and the target {} are of different families",
                                                     o.src_addr, ep->str())));
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
    if (auto lf = prepare_latency_file(o.latency); !lf)
        return fail_setup(lf.error());
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
    if (!o.plot.empty())
        return fail_setup(make_error("--plot draws the steps of --find-max: give --find-max cps or rps"));
    if (o.rps > 0) {
        if (o.connections)
            return fail_setup(make_error("--rps runs for --duration: -n/--connections does not apply"));
        o.prog.on_schedule = true;
    }
    if (o.prog.http_host.empty())
        o.prog.http_host = ep->port == 80 ? ep->addr.str() : ep->str();
    o.prog.hold_ms = static_cast<uint64_t>(o.hold * 1000 + 0.5);
    std::vector<program::Program> variants;
    ProfilePrograms prof;
    if (!o.profile.empty()) {
        auto pp = profile_programs(o, ep->port == 80 ? ep->addr.str() : ep->str(), url_target, ep->addr.v6);
        if (!pp)
            return fail_setup(pp.error());
        prof = std::move(pp.value());
        variants = std::move(prof.programs);
        if (prof.any_own_rate() && o.rps > 0)
            return fail_setup(make_error("--rps schedules requests over open connections: a template's own cps or "
                                         "concurrency does not apply", 0, "drop them from the templates, or --rps"));
    } else if (!o.urls.empty()) {
        if (o.prog.http_host.empty())
            o.prog.http_host = ep->port == 80 ? ep->addr.str() : ep->str();
        auto v = url_programs(o, *ep, url_target);
        if (!v)
            return fail_setup(v.error());
        variants = std::move(v.value());
    } else if (o.urls_order != "round-robin") {
        return fail_setup(make_error("--urls-order chooses among the lines of --urls or the templates of --profile: "
                                     "give one"));
    }
    auto spec = program::build_quick_program(o.prog);
    if (!spec && variants.empty())
        return fail_setup(spec.error());
    auto prog = variants.empty() ? program::Program::compile(spec.value()) : Result<program::Program>(variants[0]);
    if (!prog)
        return fail_setup(prog.error());
    const auto program = std::make_shared<program::Program>(std::move(prog.value()));

    PathRequest req{o.ifname, lpath ? lpath->dst : ep->addr,
                    src_range ? std::optional<IpAddr>(src_range->first) : std::nullopt, std::nullopt,
                    lpath ? std::optional<MacAddr>(lpath->dst_mac) : dmac.value()};
    auto path = resolve_path(req);
    if (!path)
        return fail_setup(path.error());

    if (!o.connections && o.duration <= 0)
        o.duration = 10;
    const int64_t max_failures = o.max_failures >= 0 ? o.max_failures : (o.connections ? 0 : -1);
    const uint32_t queues = o.queues ? o.queues : path->dev.rx_queues;

    engine::EngineConfig cfg;
    cfg.ifname = path->dev.name;
    cfg.ifindex = path->dev.ifindex;
    cfg.mode = mode;
    cfg.queues = queues;
    cfg.dev_queues = std::max(path->dev.rx_queues, 1u);
    cfg.cpus = cpus;
    engine::WorkerConfig& w = cfg.worker;
    w.ifname = path->dev.name;
    w.zero_copy = *zc;
    w.src_mac = path->src_mac;
    w.dst_mac = path->dst_mac;
    w.local_addrs = {path->src};
    for (uint32_t i = 1; src_range && i < src_range->count; i++)
        w.local_addrs.push_back(src_range->at(i));
    w.remote = path->dst;
    w.remote_port = ep->port;
    w.port_lo = ports->lo;
    w.port_hi = ports->hi;
    w.connections = o.connections;
    w.cps = o.cps;
    w.rps = o.rps;
    w.ramp_up_s = o.ramp_up;
    w.concurrency = o.concurrency;
    w.connect_timeout_ns = to_ns(o.connect_timeout);
    // --hold is time the user asked for: it does not count against --timeout.
    // With --rps a connection serves requests for the whole run.
    w.timeout_ns = to_ns(o.timeout + std::max(o.hold, static_cast<double>(prof.max_hold_ms) / 1000) +
                         (o.rps > 0 ? o.duration + o.drain : 0));
    w.peer_time_wait_ns = to_ns(o.peer_time_wait);
    w.drain_ns = to_ns(o.drain);
    w.rx_csum = rx_csum_check(o.rx_csum);
    w.program = program.get();
    if (variants.size() > 1 || !prof.empty()) {
        w.programs = &variants;
        w.random_choice = o.urls_order == "random";
        w.choice_seed = o.seed;
    }
    const SegmentPlan seg = plan_segments(o.mss, path->dev.mtu, path->dst.v6);
    if (!seg.note.empty())
        out.line("note: " + seg.note);
    w.tcp.mss = seg.mss;
    w.umem.frame_size = seg.frame_size;
    w.tcp.default_peer_mss = path->dst.v6 ? 1220 : 536;
    w.tcp.time_wait = to_ns(o.time_wait);
    // HTTP is parsed in order; with a mix of templates, every flow gets it in order.
    w.tcp.deliver_out_of_order =
        std::none_of(variants.begin(), variants.end(), [](const auto& p) { return p.in_order(); }) &&
        !program->in_order();
    w.tcp.sack = true;
    w.ride_out_link_down = link_policy->wait;
    const std::vector<tcp::TcpConfig> template_tcp = prof.tcp_configs(w.tcp, seg.mss);
    if (!prof.empty())
        prof.configure(w, template_tcp);

    if (auto ir = apply_impair(o.impair, w); !ir)
        return fail_setup(ir.error());
    auto recs = RunRecords::open(o.records, cfg.queues, prof.names);
    if (!recs)
        return fail_setup(recs.error());
    cfg.records = recs->writer();
    auto eng = engine::Engine::create(cfg);
    if (!eng)
        return fail_setup(eng.error());
    auto& e = *eng.value();

    const std::string src_text =
        w.local_addrs.size() > 1 ? fmt::format("{}-{}", path->src.str(), w.local_addrs.back().str()) : path->src.str();
    out.line(fmt::format("client {} -> {} on {} ({} -> {}), {} worker{}{}, program: {}", src_text, ep->str(),
                         path->dev.name, path->src_mac.str(), path->dst_mac.str(), e.workers(), e.workers() == 1 ? "" : "s",
                         e.zero_copy() ? " (zero-copy)" : "",
                         !prof.names.empty() ? fmt::format("{} templates of {} by weight", prof.names.size(), o.profile)
                         : variants.size() > 1 ? fmt::format("{} (one of {} URLs per connection, {})", program->describe(),
                                                             variants.size(), o.urls_order)
                                               : program->describe()));
    out.line(fmt::format("load: {}{}, concurrency {}{}, local ports {}-{}",
                         o.connections ? fmt::format("{} connections", fmt_count(o.connections))
                                       : fmt::format("{} s", o.duration),
                         o.rps > 0 ? fmt::format(" at {} req/s", fmt_si(o.rps, ""))
                         : o.cps > 0 ? fmt::format(" at {} conn/s", fmt_si(o.cps, "")) : "", o.concurrency,
                         o.ramp_up > 0 ? fmt::format(", ramp-up {} s", o.ramp_up) : "", ports->lo, ports->hi));
    // In local mode the host's own connections never use the generator's addresses.
    if (auto n = lpath ? std::nullopt : host_port_notice(ports->lo, ports->hi, fmt::format("local ports {}-{}", ports->lo, ports->hi)))
        out.line(*n);

    IntervalLog intervals;  // streamed to a temporary file: constant memory
    engine::WorkerStats prev;
    // Filled when starts first wait for a local port (gauges of that moment).
    std::optional<PortLimit> port_lim;
    const auto port_use = [&](const engine::WorkerCounters& c) {
        return PortUse{w.local_addrs.size(), uint64_t(ports->hi - ports->lo + 1), o.time_wait, o.peer_time_wait,
                       c.time_wait, c.ports_resting, c.open};
    };
    PerWorkerReport per_worker(o.per_worker);
    bool threshold_hit = false;
    LinkGuard link(out, path->dev.name, path->dev.ifindex, link_policy.value());
    recs->start();
    e.start();
    const double elapsed = run_ticks(
        TickLoop{std::chrono::duration<double>(o.interval), std::chrono::duration<double>(o.duration)},
        [&] {
            if (link.check(e) || e.done())
                return true;
            if (max_failures >= 0 && !threshold_hit) {
                const auto s = e.stats();
                if (s.c.failed > uint64_t(max_failures)) {
                    threshold_hit = true;
                    e.request_stop(true);
                }
            }
            return false;
        },
        [&](double t, double dt) {
            const auto snap = e.per_worker();
            const engine::WorkerStats s = engine::sum(snap);
            const double cps = static_cast<double>(s.c.completed - prev.c.completed) / dt;
            const LatencyHistogram conn = s.connect.minus(prev.connect);
            const bool port_waits = s.c.ports_exhausted > prev.c.ports_exhausted;
            if (port_waits && !port_lim) {
                port_lim = port_limit(port_use(s.c));
                out.line("note: " + port_limit_note(*port_lim, s.c.ports_exhausted));
            }
            out.interval_line(fmt::format(
                "[{:6.1f}s] done {:>9}/s  est {:>9}/s  failed {:>7}  open {:>7}  retx {:>6}  rx {:>12}  connect p50 {:>8} p99 {:>8}{}",
                t, fmt_si(cps, ""), fmt_si(static_cast<double>(s.c.established - prev.c.established) / dt, ""),
                fmt_count(s.c.failed - prev.c.failed), fmt_count(s.c.open), fmt_count(s.c.retransmits - prev.c.retransmits),
                fmt_bps(static_cast<double>(s.c.rx_bytes - prev.c.rx_bytes) * 8 / dt),
                conn.count() ? fmt_ns(static_cast<double>(conn.quantile(0.5))) : "-",
                conn.count() ? fmt_ns(static_cast<double>(conn.quantile(0.99))) : "-",
                port_waits ? "  port-limited" : ""));
            nlohmann::json entry({{"t", t},
                                 {"completed_per_s", cps},
                                 {"established", s.c.established - prev.c.established},
                                 {"failed", s.c.failed - prev.c.failed},
                                 {"open", s.c.open},
                                 {"retransmitted_segments", s.c.retransmits - prev.c.retransmits},
                                 {"connect", latency_json(conn)}});
            if (auto pw = per_worker.interval(out, snap, dt); !pw.is_null())
                entry["per_worker"] = std::move(pw);
            if (o.per_template)
                for (const auto& l : template_interval_lines(prof, s, prev, dt, engine::Role::Client))
                    out.interval_line(l);
            intervals.add(entry);
            prev = s;
        });
    e.request_stop(threshold_hit || link.ended_run());
    auto run_error = link.run_error(e.wait());
    if (auto rf = recs->finish(); !rf && !run_error)
        run_error = rf.error();
    const auto end_snap = e.per_worker();
    const engine::WorkerStats s = engine::sum(end_snap);
    const auto steer = e.steering_counters();

    int rc = kExitOk;
    std::string reason = "ok";
    if (run_error) {
        print_error(*run_error);
        rc = kExitRunFailed;
        reason = run_error->message();
    }
    const double cps = elapsed > 0 ? static_cast<double>(s.c.completed) / elapsed : 0;
    out.line(fmt::format("summary: {} attempted, {} established, {} completed, {} failed{}{} in {:.2f} s: {} conn/s{}",
                         fmt_count(s.c.attempted), fmt_count(s.c.established), fmt_count(s.c.completed),
                         fmt_count(s.c.failed), s.c.failed ? fmt::format(" ({})", failure_causes(s.c)) : "",
                         s.c.unfinished ? fmt::format(", {} unfinished at the end", fmt_count(s.c.unfinished)) : "",
                         elapsed, rate_text(cps), stop_requested() ? " (interrupted)" : ""));
    out.line(traffic_line(s.c, engine::Role::Client));
    if (o.prog.recv_http || !o.prog.http_get_path.empty())
        out.line(http_summary_line(s.c));
    if (const std::string l = link.summary_line(); !l.empty())
        out.line(l);
    if (const std::string l = recs->summary_line(s.c); !l.empty())
        out.line(l);
    for (const auto& l : impair_lines(w, s.c))
        out.line(l);
    if (steer.kernel_owned || engine::PortPool::kernel_ports_skipped())
        out.line(fmt::format("host: {} segments of the kernel's own TCP connections passed to it, {} local ports left to it",
                             fmt_count(steer.kernel_owned), fmt_count(engine::PortPool::kernel_ports_skipped())));
    if (const std::string l = rx_csum_summary(s.c, rx_csum_check(o.rx_csum)); !l.empty())
        out.line(l);
    if (s.c.ports_exhausted && !port_lim)
        port_lim = port_limit(port_use(s.c));  // waited only between the last tick and the end
    if (port_lim)
        out.line("ports: " + port_limit_note(*port_lim, s.c.ports_exhausted));
    const auto lat_cols = latency_columns(s, engine::Role::Client, o.rps > 0);
    if (o.rps > 0)
        out.line(rps_summary_line(o.rps, s.c, elapsed));
    for (const auto& l : latency_lines(lat_cols))
        out.line(l);
    for (const auto& l : template_lines(prof, s, engine::Role::Client))
        out.line(l);
    const auto lat_written = report_latency(o.latency, lat_cols, [&](const std::string& l) { out.line(l); });
    per_worker.summary(out, end_snap);

    if (rc == kExitOk) {
        if (max_failures >= 0 && s.c.failed > uint64_t(max_failures)) {
            rc = kExitRunFailed;
            reason = fmt::format("{} connections failed ({}), more than --max-failures {}", fmt_count(s.c.failed),
                                 failure_causes(s.c), max_failures);
        } else if (o.min_cps > 0 && cps < o.min_cps) {
            rc = kExitRunFailed;
            reason = fmt::format("{} connections/s is below --min-cps {}", fmt_si(cps, ""), fmt_si(o.min_cps, ""));
        } else if (o.connections && s.c.completed + s.c.failed < o.connections && !stop_requested()) {
            rc = kExitRunFailed;
            reason = fmt::format("only {} of {} connections finished", fmt_count(s.c.completed + s.c.failed),
                                 fmt_count(o.connections));
        }
    }
    if (rc != kExitOk && !run_error) {
        out.line("FAILED: " + reason);
        if (const std::string h = server_gone_hint(s.c, ep->str()); !h.empty())
            out.line("  hint: " + h);
        if (lpath && ep->addr.v6 && !(lpath->dst == ep->addr) && s.c.failed_refused)
            out.line("  hint: " + local::loopback_v6_hint());
        if (lpath && !s.c.established && s.c.failed_timeout)
            out.line("  hint: nothing answered through local mode's pair: `xdpgen probe` tells whether a firewall "
                     "rule or rp_filter drops it, and is the server listening?");
    }

    if (result)
        *result = {s, elapsed, reason};
    nlohmann::json doc = {
        {"command", "client"},
        {"interface", path->dev.name},
        {"config",
         {{"target", ep->str()},
          {"src_addr", src_text},
          {"src_addrs", w.local_addrs.size()},
          {"src_mac", path->src_mac.str()},
          {"dst_mac", path->dst_mac.str()},
          {"src_ports", fmt::format("{}-{}", ports->lo, ports->hi)},
          {"workers", e.workers()},
          {"zero_copy", e.zero_copy()},
          {"connections", o.connections},
          {"duration_s", o.duration},
          {"cps", o.cps},
          {"rps", o.rps},
          {"concurrency", o.concurrency},
          {"ramp_up_s", o.ramp_up},
          {"program", program->describe()},
          {"max_failures", max_failures},
          {"min_cps", o.min_cps},
          {"on_link_down", link_policy->str()},
          {"rx_csum", o.rx_csum}}},
        {"duration_s", elapsed},
        {"interrupted", stop_requested()},
        {"connections_per_s", cps},
        {"counters", engine_counters_json(s.c, engine::Role::Client)},
        {"latency", latencies_json(lat_cols)},
        {"steering", steering_json(steer)},
        {"per_worker", PerWorkerReport::totals_json(end_snap)},
        {"link", link.json()},
        {"port_limit", port_lim ? port_limit_json(*port_lim, s.c.ports_exhausted) : nlohmann::json(nullptr)},
        {"result", rc == kExitOk ? "ok" : "failed"},
        {"reason", reason},
    };
    doc["steering"]["kernel_ports_skipped"] = engine::PortPool::kernel_ports_skipped();
    if (!prof.names.empty())
        doc["templates"] = templates_json(prof, s);
    if (recs->on())
        doc["records"] = recs->json(s.c);
    doc["impairment"] = impair_json(w, s.c);
    if (auto wj = out.write_json(doc, &intervals); !wj) {
        print_error(wj.error());
        return kExitRunFailed;
    }
    if (!lat_written) {
        print_error(lat_written.error());
        return kExitRunFailed;
    }
    return rc;
}

// One --find-max step: a silent run at `rate`, judged against the SLO.
StepRow find_max_step(const ClientOptions& o, const Slo& slo, double rate, const local::LocalNet* net, int& rc)
{
    ClientOptions step = o;
    step.find_max.clear();
    step.plot.clear();
    step.out = OutputOptions{};
    step.out.silent = true;
    step.latency = LatencyDetail{};
    step.per_worker = false;
    step.duration = o.step_duration;
    (o.find_max == "rps" ? step.rps : step.cps) = rate;
    ClientRunResult r;
    rc = run_client(step, &r, net);
    const bool rps = o.find_max == "rps";
    const auto& c = r.s.c;
    StepMeasure m;
    m.asked = rate;
    m.reached = r.elapsed > 0 ? static_cast<double>(rps ? c.requests_sent : c.completed) / r.elapsed : 0;
    m.failed = c.failed;
    m.latencies = {{"connect", &r.s.connect}, {"first_byte", &r.s.first_byte}, {"total", &r.s.total},
                   {"request", &r.s.request}};
    const LatencyHistogram& own = rps ? r.s.request : r.s.total;
    StepVerdict v = judge_step(slo, rps ? "request" : "total", m);
    if (rc != kExitOk && v.ok)
        v = {false, r.reason};  // the run itself failed (e.g. the link went down)
    return {rate, m.reached, m.failed, own.count() ? own.quantile(0.5) : 0, own.count() ? own.quantile(0.99) : 0,
            v.ok, v.why};
}

int run_find_max(const ClientOptions& o)
{
    Output out(o.out);
    if (o.find_max != "cps" && o.find_max != "rps")
        return fail_setup(make_error(fmt::format("--find-max '{}' is not cps or rps", o.find_max)));
    if (o.connections || o.cps > 0 || o.rps > 0)
        return fail_setup(make_error("--find-max sets the rate of each step itself: -n, --cps and --rps do not apply"));
    if (!o.records.path.empty())
        return fail_setup(make_error("--records keeps the connections of one run; --find-max makes many",
                                     0, "run the rate --find-max found with --cps and --records"));
    auto slo = parse_slo(o.slo);
    if (!slo)
        return fail_setup(slo.error());
    // Local mode: one pair for every step (a second would be made from inside the first's namespace).
    std::unique_ptr<local::LocalNet> net;
    if (o.ifname.empty()) {
        ClientOptions probe = o;
        auto ep = client_target(probe);
        if (!ep)
            return fail_setup(ep.error());
        auto n = client_local_net(o, ep->addr);
        if (!n)
            return fail_setup(n.error());
        net = std::move(n.value());
    }
    const char* unit = o.find_max == "rps" ? "req/s" : "conn/s";
    out.line(fmt::format("find-max: the highest {} meeting {}, {} s per step from {}/s", unit, slo->text(),
                         o.step_duration, rate_text(o.find_max_start)));
    RateSearch search(o.find_max_start, 2, o.find_max_precision);
    std::vector<StepRow> rows;
    while (auto rate = search.next()) {
        if (stop_requested())
            break;
        int rc = kExitOk;
        StepRow row = find_max_step(o, *slo, *rate, net.get(), rc);
        if (rc == kExitSetup)
            return rc;  // already said why
        search.record(*rate, row.ok);
        rows.push_back(row);
        out.line(fmt::format("step {}: {}/s: reached {}/s, p99 {}: {}", rows.size(), rate_text(*rate),
                             rate_text(row.reached), row.p99_ns ? fmt_ns(static_cast<double>(row.p99_ns)) : "-",
                             row.ok ? "ok" : "broke: " + row.why));
    }
    for (const auto& l : find_max_table(rows, unit))
        out.line(l);
    nlohmann::json fm = find_max_json(rows, *slo, search, unit);
    int rc = kExitOk;
    std::string reason;
    if (search.best_ok()) {
        reason = fmt::format("max: {} {} met {}", rate_text(*search.best_ok()), unit, slo->text());
        if (search.first_bad())
            reason += fmt::format("; {} {} broke it: {}", rate_text(*search.first_bad()), unit,
                                  fm["first_bad_why"].get<std::string>());
        out.line(reason);
    } else {
        rc = kExitRunFailed;
        reason = rows.empty() ? "interrupted before the first step"
                              : fmt::format("no rate met {}: the lowest tried, {} {}, broke it: {}", slo->text(),
                                            rate_text(rows.back().asked), unit, rows.back().why);
        out.line("FAILED: " + reason);
    }
    if (!o.plot.empty()) {
        if (auto p = plot_find_max(o.plot, rows, unit); !p) {
            print_error(p.error());
            rc = kExitRunFailed;
        } else {
            out.line("plot: " + o.plot);
        }
    }
    nlohmann::json doc = {{"command", "client"},
                          {"config", {{"target", o.target}, {"find_max", o.find_max}, {"slo", slo->text()},
                                      {"step_duration_s", o.step_duration}, {"concurrency", o.concurrency}}},
                          {"find_max", fm},
                          {"interrupted", stop_requested()},
                          {"result", rc == kExitOk ? "ok" : "failed"},
                          {"reason", reason}};
    if (auto wj = out.write_json(doc); !wj) {
        print_error(wj.error());
        return kExitRunFailed;
    }
    return rc;
}

}  // namespace

// A profile's [defaults], each unless the command line gave that option.
void apply_profile_defaults(ClientOptions& o, const ProfileDefaults& d, const std::function<bool(const char*)>& given)
{
    auto take = [&given](const char* opt, auto& field, const auto& value) {
        if (value && !given(opt))
            field = *value;
    };
    take("--cps", o.cps, d.cps);
    take("--rps", o.rps, d.rps);
    take("--duration", o.duration, d.duration);
    take("--concurrency", o.concurrency, d.concurrency);
    take("--connections", o.connections, d.connections);
    take("--seed", o.seed, d.seed);
    take("--urls-order", o.urls_order, d.order);
}

Command add_client_command(CLI::App& app)
{
    auto o = std::make_shared<ClientOptions>();
    CLI::App* sub = app.add_subcommand("client", "Open real TCP connections to a server from the AF_XDP engine, each running a small program");
    sub->add_option("target", o->target, "Server as HOST:PORT ([v6]:port for IPv6), or http://HOST[:PORT]/PATH (implies --http PATH)")->required();
    sub->add_option("-i,--interface", o->ifname,
                    "Interface to use; without it, the target must be this host's (local mode: a private veth pair)");

    auto* load = "Load";
    sub->add_option("-n,--connections", o->connections, "Open this many connections in total, then stop")->group(load);
    sub->add_option("-d,--duration", o->duration, "Run this many seconds (default 10 when --connections is not given)")
        ->check(CLI::NonNegativeNumber)->group(load);
    sub->add_option("-c,--concurrency", o->concurrency, "Most connections open at once")->capture_default_str()
        ->check(CLI::Range(1u, 10'000'000u))->group(load);
    sub->add_option("--cps", o->cps, "New connections per second, spread evenly (0 = as fast as concurrency allows)")
        ->check(CLI::NonNegativeNumber)->group(load);
    sub->add_option("--rps", o->rps,
                    "Requests per second in total, each sent when due over -c keep-alive connections (open loop, as wrk2 -R); "
                    "latency counts from when a request was due")
        ->check(CLI::PositiveNumber)
        ->group(load);
    sub->add_option("--ramp-up", o->ramp_up, "Seconds over which --cps (or --rps) grows from 0")->check(CLI::NonNegativeNumber)->group(load);

    auto* prog = "Program (what each connection does; nothing = connect and close)";
    sub->add_option("--send", o->prog.send_text, "Send this text (escapes: \\r \\n \\t \\\\ \\0 \\xHH)")->group(prog);
    sub->add_option("--send-file", o->prog.send_file, "Send the contents of FILE")->group(prog);
    sub->add_option("--send-size", o->prog.send_size, "Send N bytes of xdpgen's byte pattern")->group(prog);
    sub->add_option("--recv", o->prog.recv_bytes, "Then receive N bytes")->group(prog);
    sub->add_flag("--recv-http", o->prog.recv_http, "Then receive one HTTP/1.1 response")->group(prog);
    sub->add_flag("--recv-until-close", o->prog.recv_until_close, "Then receive until the server closes")->group(prog);
    sub->add_option("--http", o->prog.http_get_path, "Shortcut: GET PATH and receive the HTTP response")->group(prog);
    sub->add_option("--http-host", o->prog.http_host, "Host header for --http (default: the target)")->group(prog);
    sub->add_option("--method", o->prog.http_method, "HTTP method for --http or a URL (default GET; POST with a body)")->group(prog);
    sub->add_option("-H,--header", o->prog.http_headers, "Add this header to the HTTP request, as 'Name: value' (repeatable)")
        ->group(prog);
    sub->add_option("--body", o->prog.http_body, "HTTP request body (Content-Length is set)")->group(prog);
    sub->add_option("--body-file", o->prog.http_body_file, "HTTP request body: the contents of FILE")->group(prog);
    sub->add_option("--profile", o->profile,
                    "A TOML profile of templates (each a program and a weight): each connection runs one, chosen by "
                    "weight in turn (or at random: --urls-order random); counted per template")
        ->group(prog);
    sub->add_option("--urls", o->urls,
                    "Paths or URLs of the target, one per line: each connection requests one (implies --http)")
        ->group(prog);
    sub->add_option("--urls-order", o->urls_order, "Which line of --urls (or template of --profile) each connection takes: in turn (by weight) or at random (--seed)")
        ->capture_default_str()
        ->check(CLI::IsMember({"round-robin", "random"}))
        ->group(prog);
    sub->add_option("--seed", o->seed, "Seed of --urls-order random: the same seed, the same choices")
        ->capture_default_str()
        ->group(prog);
    sub->add_option("--requests-per-connection", o->prog.requests, "Repeat send+receive this many times per connection (keep-alive)")
        ->capture_default_str()->check(CLI::Range(1u, 1'000'000u))->group(prog);
    sub->add_option("--delay", o->prog.delay_ms, "Wait this many ms after each exchange")->group(prog);
    sub->add_option("--hold", o->hold, "Stay connected and idle this many seconds before closing (after the exchanges)")
        ->check(CLI::Range(0.0, 86400.0))->group(prog);
    sub->add_flag("--verify", o->prog.verify, "Check received bytes against xdpgen's byte pattern (for pattern servers)")->group(prog);
    sub->add_option("--expect-status", o->prog.expect_status, "HTTP status every response must have (default: any 2xx)")
        ->check(CLI::Range(100, 599))->group(prog);

    auto* net = "Network";
    sub->add_option("--src-addr", o->src_addr, "Local address, range A-B or subnet A/LEN (each address must be on the interface; "
                    "default: the kernel's source for the route)")->group(net);
    sub->add_option("--local-range", o->local.ranges,
                    "Local mode's private addresses: an IPv4 CIDR and/or an IPv6 /64 (default a free 198.19.N.0/24 "
                    "and fd00:19:N::/64)")
        ->group(net);
    sub->add_option("--src-port-range", o->src_ports, "Local ports to use, LO-HI")->capture_default_str()->group(net);
    sub->add_option("-m,--dst-mac", o->dst_mac, "Next-hop MAC (default: resolved from the neighbour table)")->group(net);
    sub->add_option("--mss", o->mss, "MSS to announce (capped by the MTU)")->capture_default_str()->check(CLI::Range(88, 9000))->group(net);
    sub->add_option("--xdp-mode", o->xdp_mode, "native or skb (generic) XDP")->capture_default_str()->group(net);
    sub->add_option("--zero-copy", o->zero_copy, "AF_XDP zero-copy: auto, on or off")->capture_default_str()->group(net);
    sub->add_option("-q,--queues", o->queues, "Workers, one per queue from queue 0 (default: all queues)")->group(net);
    sub->add_option("--cores", o->cores, "Pin workers to these CPUs, e.g. 0,1 or 2-3")->group(net);
    sub->add_option("--on-link-down", o->on_link_down,
                    "If the interface goes down mid-run: fail = end the run (exit 1); wait = start no connections until it is "
                    "up again, at most 10 s (wait:S: S seconds), then fail. A deleted interface always ends the run")
        ->capture_default_str()->group(net);
    sub->add_option("--rx-csum", o->rx_csum, kRxCsumHelp)
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->group(net);

    auto* tm = "Timers";
    sub->add_option("--connect-timeout", o->connect_timeout, "Seconds for the handshake before the connection counts as a timeout (at most 3600)")
        ->capture_default_str()->check(CLI::PositiveNumber & CLI::Range(0.0, 3600.0))->group(tm);
    sub->add_option("--timeout", o->timeout, "Seconds for a whole connection before it counts as a timeout (at most 43200: 12 hours)")
        ->capture_default_str()->check(CLI::PositiveNumber & CLI::Range(0.0, 43200.0))->group(tm);
    sub->add_option("--time-wait", o->time_wait, "Seconds our side keeps TIME-WAIT after closing first (at most 1800)")
        ->capture_default_str()->check(CLI::Range(0.0, 1800.0))->group(tm);
    sub->add_option("--peer-time-wait", o->peer_time_wait,
                    "Seconds a local port rests when the server closed first (it may hold TIME-WAIT that long)")
        ->capture_default_str()->check(CLI::NonNegativeNumber)->group(tm);
    sub->add_option("--drain", o->drain, "Seconds open connections get to finish at the end of a run")
        ->capture_default_str()->check(CLI::NonNegativeNumber)->group(tm);

    auto* out = "Output and thresholds";
    sub->add_option("--max-failures", o->max_failures, "Exit 1 (and stop at once) when more connections fail (default 0 with --connections)")
        ->check(CLI::NonNegativeNumber)->group(out);
    sub->add_option("--min-cps", o->min_cps, "Exit 1 when fewer connections per second completed")->check(CLI::NonNegativeNumber)->group(out);
    sub->add_option("-I,--interval", o->interval, "Seconds between stats lines")->capture_default_str()->check(CLI::Range(0.1, 3600.0))->group(out);
    sub->add_option("--json", o->out.json_path, "Write the report as JSON to FILE ('-' = stdout; lines then go to stderr)")->group(out);
    sub->add_flag("--quiet", o->out.quiet, "No per-interval lines, only the summary")->group(out);
    sub->add_flag("--per-worker", o->per_worker, "Also show each worker's counters, live and in the summary")->group(out);
    sub->add_flag("--per-template", o->per_template, "With --profile: a live line per template too")->group(out);
    add_records_options(sub, o->records, out);
    add_impair_options(sub, o->impair, "Impairment");
    add_latency_options(sub, o->latency, out);
    auto* fm = "Finding the limit";
    sub->add_option("--find-max", o->find_max,
                    "Find the highest cps or rps meeting --slo: short runs that double the rate, then bisect")
        ->check(CLI::IsMember({"cps", "rps"}))
        ->group(fm);
    sub->add_option("--slo", o->slo,
                    "What a step must meet, e.g. 'p99<10ms,errors=0' (also connect.p99<.., max<.., rate>=0.95)")
        ->capture_default_str()
        ->group(fm);
    sub->add_option("--find-max-start", o->find_max_start, "The first step's rate")
        ->capture_default_str()->check(CLI::PositiveNumber)->group(fm);
    sub->add_option("--step-duration", o->step_duration, "Seconds per step")
        ->capture_default_str()->check(CLI::Range(0.5, 3600.0))->group(fm);
    sub->add_option("--find-max-precision", o->find_max_precision,
                    "Stop bisecting when the rates that met and broke the SLO are this close (a share of the higher)")
        ->capture_default_str()->check(CLI::Range(0.001, 0.5))->group(fm);
    sub->add_option("--plot", o->plot, "With --find-max: draw latency (p50, p99) against rate into this PNG (gnuplot)")
        ->group(fm);
    return Command{sub, [o, sub] {
                       if (auto r = check_impair(o->impair); !r)
                           return fail_setup(r.error());
                       if (!o->profile.empty()) {
                           auto p = load_profile(o->profile);
                           if (!p)
                               return fail_setup(p.error());
                           apply_profile_defaults(*o, p->defaults, [sub](const char* opt) { return sub->count(opt) > 0; });
                           o->loaded_profile = std::make_shared<const Profile>(std::move(p.value()));
                       }
                       return o->find_max.empty() ? run_client(*o) : run_find_max(*o);
                   }};
}

}  // namespace xdpgen
