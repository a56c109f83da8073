// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen server: the server side of the same TCP engine, on one or more
// addresses and ports, answering each connection with a small program.

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "cli/impair_options.hpp"
#include "cli/records_run.hpp"
#include "cli/commands.hpp"
#include "cli/local_target.hpp"
#include "cli/engine_report.hpp"
#include "cli/common.hpp"
#include "cli/latency_report.hpp"
#include "cli/link_guard.hpp"
#include "cli/options.hpp"
#include "cli/rx_csum.hpp"
#include "cli/per_worker.hpp"
#include "cli/profile_run.hpp"
#include "cli/segment_plan.hpp"
#include "engine/engine.hpp"
#include "program/quick.hpp"
#include "stats/units.hpp"
#include "sys/cpus.hpp"
#include "sys/host_ports.hpp"
#include "sys/path.hpp"

namespace xdpgen {
namespace {

struct ServerOptions {
    std::vector<std::string> listen;
    std::string ifname, xdp_mode = "native", zero_copy = "auto", cores, dst_mac;
    uint32_t queues = 0;
    double duration = 0, interval = 1.0;
    // 60 s, like Linux's SYN-ACK retries: a server that gives up on
    // SYN-RECEIVED sooner resets clients whose handshake ACKs were lost
    // while they already count themselves established.
    double connect_timeout = 60, timeout = 60, time_wait = 1, drain = 2;
    uint32_t max_flows = 1u << 17, syn_backlog = 4096;
    uint16_t mss = 1460;
    program::ServerQuick prog;
    std::string local;   // --local [ADDR]:PORT: serve this host through local mode's pair
    LocalOptions local_net;
    OutputOptions out;
    RecordsOptions records;
    ImpairOptions impair;
    LatencyDetail latency;
    bool per_worker = false;
    std::string profile;        // --profile FILE: each template's server program on its port
    bool per_template = false;  // --per-template: a live line per template
    std::string on_link_down = "fail";
    std::string rx_csum = "auto";
};

uint64_t to_ns(double s) { return static_cast<uint64_t>(s * 1e9); }

// --local: the pair, and the generator's addresses to listen on.
// ports: with --profile, its templates' (--local then gives the address
// only: ADDR, [V6ADDR] or ':' for the first of each family).
Result<std::unique_ptr<local::LocalNet>> server_local(ServerOptions& o, std::vector<Endpoint>& listen,
                                                      const std::vector<uint16_t>& ports)
{
    if (!o.ifname.empty() || !o.listen.empty())
        return make_error("--local serves through local mode's own interface and addresses: leave -i and the "
                          "listening addresses out");
    LocalOptions lo = o.local_net;
    lo.queues = o.queues;
    auto net = open_local_net(lo);
    if (!net)
        return net.error();
    std::vector<std::string> specs{o.local};
    if (!ports.empty()) {
        const std::string addr = o.local.ends_with(":") ? o.local.substr(0, o.local.size() - 1) : o.local;
        specs.clear();
        for (uint16_t p : ports)
            specs.push_back(addr + ":" + std::to_string(p));
    }
    for (const auto& spec : specs) {
        auto eps = local_listen(**net, spec);
        if (!eps)
            return ports.empty() ? eps.error()
                                 : eps.error().context("--local with --profile takes an address only (ADDR, [V6ADDR] "
                                                       "or ':')");
        listen.insert(listen.end(), eps->begin(), eps->end());
    }
    o.ifname = (*net)->gen_ifname();
    return net;
}

bool quick_server_given(const program::ServerQuick& q)
{
    const program::ServerQuick none;
    return q.recv_bytes || q.recv_http || !q.send_text.empty() || q.send_size || q.http || q.http_body_size ||
           !q.http_body_file.empty() || q.http_status != none.http_status || q.close_after || q.verify;
}

// --profile: the templates' server programs; `listen` gets each address
// given (without a port) on each template's port.
Result<ProfilePrograms> profile_listen(const ServerOptions& o, std::vector<Endpoint>& listen)
{
    if (quick_server_given(o.prog))
        return make_error("--profile gives each template's server program: --recv, --recv-http, --send, "
                          "--send-size, --http-body-size, --http-body, --http-status, --verify and --close do not "
                          "apply", 0, "put them in the templates' server = { ... }");
    auto p = load_profile(o.profile);
    if (!p)
        return p.error();
    const bool v6 = !o.listen.empty() && std::all_of(o.listen.begin(), o.listen.end(), [](const std::string& l) {
        auto a = parse_ip(l);
        return a && a->v6;
    });
    auto pp = server_programs(*p, 0, v6);
    if (!pp)
        return pp.error();
    for (const auto& l : o.listen) {
        auto addr = parse_ip(l);
        if (!addr)
            return make_error(fmt::format("'{}': with --profile, give addresses only (the templates give the ports)", l),
                              0, "e.g. xdpgen server -i veth0 198.18.0.2 --profile web.toml");
        for (uint16_t port : pp->ports)
            listen.push_back(Endpoint{*addr, port});
    }
    return pp;
}

int run_server(ServerOptions o)
{
    Output out(o.out);
    std::vector<Endpoint> listen;
    std::unique_ptr<local::LocalNet> net;
    ProfilePrograms prof;
    if (!o.profile.empty()) {
        auto pp = profile_listen(o, listen);
        if (!pp)
            return fail_setup(pp.error());
        prof = std::move(pp.value());
    }
    if (!o.local.empty()) {
        auto n = server_local(o, listen, prof.ports);
        if (!n)
            return fail_setup(n.error());
        net = std::move(n.value());
        out.line(net->describe());
    } else if (o.ifname.empty() || o.listen.empty()) {
        return fail_setup(make_error("give -i IFACE and the addresses to serve, or --local [ADDR]:PORT", 0,
                                     "e.g. xdpgen server -i veth0 198.18.0.2:80, or xdpgen server --local :8080"));
    } else if (!o.local_net.ranges.empty()) {
        return fail_setup(make_error("--local-range is for --local"));
    }
    for (const auto& l : prof.empty() ? o.listen : std::vector<std::string>{}) {
        auto ep = parse_endpoint(l);
        if (!ep)
            return fail_setup(make_error(fmt::format("'{}' is not ADDR:PORT", l), 0, "e.g. 198.18.0.2:80 or [fd00:18::2]:80"));
        listen.push_back(*ep);
    }
    uint16_t port_lo = 65535, port_hi = 0;
    for (const auto& ep : listen) {
        port_lo = std::min(port_lo, ep.port);
        port_hi = std::max(port_hi, ep.port);
    }
    auto dmac = option_mac_opt(o.dst_mac, "--dst-mac");
    if (!dmac)
        return fail_setup(dmac.error());
    const auto mode = o.xdp_mode == "skb" ? XdpMode::Skb : XdpMode::Native;
    if (o.xdp_mode != "skb" && o.xdp_mode != "native")
        return fail_setup(make_error(fmt::format("--xdp-mode '{}' is not native or skb", o.xdp_mode)));
    auto zc = parse_zero_copy(o.zero_copy);
    if (!zc)
        return fail_setup(make_error(fmt::format("--zero-copy '{}' is not auto, on or off", o.zero_copy)));
    auto link_policy = option_on_link_down(o.on_link_down);
    if (!link_policy)
        return fail_setup(link_policy.error());
    if (auto lf = prepare_latency_file(o.latency); !lf)
        return fail_setup(lf.error());
    std::vector<int> cpus;
    if (!o.cores.empty()) {
        auto c = parse_cpu_list(o.cores);
        if (!c)
            return fail_setup(make_error(fmt::format("--cores '{}' is not a CPU list", o.cores), 0, "e.g. 0,1 or 2-3"));
        cpus = *c;
    }
    auto spec = prof.empty() ? program::build_server_program(o.prog) : Result<program::ProgramSpec>(program::ProgramSpec{});
    if (!spec)
        return fail_setup(spec.error());
    auto prog = prof.empty() ? program::Program::compile(spec.value()) : Result<program::Program>(prof.programs[0]);
    if (!prog)
        return fail_setup(prog.error());
    const auto program = std::make_shared<program::Program>(std::move(prog.value()));
    const bool in_order = program->in_order() ||
                          std::any_of(prof.programs.begin(), prof.programs.end(), [](const auto& p) { return p.in_order(); });

    auto dev = netdev_require_up(o.ifname);
    if (!dev)
        return fail_setup(dev.error());

    engine::EngineConfig cfg;
    cfg.ifname = dev->name;
    cfg.ifindex = dev->ifindex;
    cfg.mode = mode;
    cfg.dev_queues = std::max(dev->rx_queues, 1u);
    cfg.queues = o.queues ? o.queues : cfg.dev_queues;
    cfg.cpus = cpus;
    engine::WorkerConfig& w = cfg.worker;
    w.role = engine::Role::Server;
    w.listen = listen;
    for (const Endpoint& ep : listen)  // each address once: flows name it by index
        if (std::find(w.local_addrs.begin(), w.local_addrs.end(), ep.addr) == w.local_addrs.end())
            w.local_addrs.push_back(ep.addr);
    w.port_lo = port_lo;
    w.port_hi = port_hi;
    w.ifname = dev->name;
    w.zero_copy = *zc;
    w.src_mac = dev->mac;
    w.dst_mac = dmac.value() ? *dmac.value() : MacAddr{};
    w.dst_mac_fixed = dmac.value().has_value();
    if (net) {  // every client is behind the host end
        w.dst_mac = net->host_mac();
        w.dst_mac_fixed = true;
    }
    w.max_flows = o.max_flows;
    w.syn_backlog = o.syn_backlog;
    w.connect_timeout_ns = to_ns(o.connect_timeout);
    w.timeout_ns = to_ns(o.timeout);
    w.drain_ns = to_ns(o.drain);
    w.rx_csum = rx_csum_check(o.rx_csum);
    w.program = program.get();
    const bool v6_only = std::all_of(listen.begin(), listen.end(), [](const Endpoint& e) { return e.addr.v6; });
    const SegmentPlan seg = plan_segments(o.mss, dev->mtu, v6_only);
    if (!seg.note.empty())
        out.line("note: " + seg.note);
    w.tcp.mss = seg.mss;
    w.umem.frame_size = seg.frame_size;
    w.tcp.time_wait = to_ns(o.time_wait);
    w.tcp.deliver_out_of_order = !in_order;
    w.ride_out_link_down = link_policy->wait;
    const std::vector<tcp::TcpConfig> template_tcp = prof.tcp_configs(w.tcp, seg.mss);
    if (!prof.empty()) {
        w.programs = &prof.programs;
        prof.configure(w, template_tcp);
    }

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

    std::string where;
    for (const auto& ep : listen)
        where += (where.empty() ? "" : ", ") + ep.str();
    out.line(fmt::format("server on {} ({}), listening on {}, {} worker{}{}, program: {}", dev->name, dev->mac.str(), where,
                         e.workers(), e.workers() == 1 ? "" : "s", e.zero_copy() ? " (zero-copy)" : "",
                         prof.empty() ? program->describe()
                                      : fmt::format("{} templates of {}, by port", prof.names.size(), o.profile)));
    for (const auto& ep : net ? listen : std::vector<Endpoint>{})
        out.line(fmt::format("reachable from this host at http://{}/", ep.str()));
    if (!net) {
        std::vector<uint16_t> lports;
        for (const auto& ep : listen)
            if (std::find(lports.begin(), lports.end(), ep.port) == lports.end())
                lports.push_back(ep.port);
        if (auto n = host_port_notice(port_lo, port_hi, "listening ports", lports))
            out.line(*n);
    }

    IntervalLog intervals;  // streamed to a temporary file: constant memory
    engine::WorkerStats prev;
    PerWorkerReport per_worker(o.per_worker);
    LinkGuard link(out, dev->name, dev->ifindex, link_policy.value());
    recs->start();
    e.start();
    const double elapsed = run_ticks(
        TickLoop{std::chrono::duration<double>(o.interval), std::chrono::duration<double>(o.duration)},
        [&] { return link.check(e) || e.done(); },
        [&](double t, double dt) {
            const auto snap = e.per_worker();
            const engine::WorkerStats s = engine::sum(snap);
            const double acc = static_cast<double>(s.c.attempted - prev.c.attempted) / dt;
            const double done = static_cast<double>(s.c.completed - prev.c.completed) / dt;
            out.interval_line(fmt::format(
                "[{:6.1f}s] accepted {:>9}/s  done {:>9}/s  failed {:>7}  open {:>8}  cookies {:>7}  retx {:>6}  tx {:>12}",
                t, fmt_si(acc, ""), fmt_si(done, ""), fmt_count(s.c.failed - prev.c.failed), fmt_count(s.c.open),
                fmt_count(s.c.syn_cookies_sent - prev.c.syn_cookies_sent),
                fmt_count(s.c.retransmits - prev.c.retransmits),
                fmt_bps(static_cast<double>(s.c.tx_bytes - prev.c.tx_bytes) * 8 / dt)));
            nlohmann::json entry({{"t", t},
                                 {"accepted_per_s", acc},
                                 {"completed_per_s", done},
                                 {"failed", s.c.failed - prev.c.failed},
                                 {"open", s.c.open},
                                 {"syn_cookies_sent", s.c.syn_cookies_sent - prev.c.syn_cookies_sent}});
            if (auto pw = per_worker.interval(out, snap, dt); !pw.is_null())
                entry["per_worker"] = std::move(pw);
            if (o.per_template)
                for (const auto& l : template_interval_lines(prof, s, prev, dt, engine::Role::Server))
                    out.interval_line(l);
            intervals.add(entry);
            prev = s;
        });
    e.request_stop(link.ended_run());
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
    out.line(fmt::format("summary: {} accepted, {} established, {} completed, {} failed{}, {} unfinished at the end in {:.2f} s{}",
                         fmt_count(s.c.attempted), fmt_count(s.c.established), fmt_count(s.c.completed),
                         fmt_count(s.c.failed), s.c.failed ? fmt::format(" ({})", failure_causes(s.c)) : "",
                         fmt_count(s.c.unfinished), elapsed, stop_requested() ? " (interrupted)" : ""));
    out.line(traffic_line(s.c, engine::Role::Server));
    if (const std::string l = link.summary_line(); !l.empty())
        out.line(l);
    if (const std::string l = recs->summary_line(s.c); !l.empty())
        out.line(l);
    for (const auto& l : impair_lines(w, s.c))
        out.line(l);
    if (steer.kernel_owned)
        out.line(fmt::format("host: {} segments of the kernel's own TCP connections passed to it",
                             fmt_count(steer.kernel_owned)));
    if (const std::string l = rx_csum_summary(s.c, rx_csum_check(o.rx_csum)); !l.empty())
        out.line(l);
    const auto lat_cols = latency_columns(s, engine::Role::Server);
    for (const auto& l : latency_lines(lat_cols))
        out.line(l);
    for (const auto& l : template_lines(prof, s, engine::Role::Server))
        out.line(l);
    const auto lat_written = report_latency(o.latency, lat_cols, [&](const std::string& l) { out.line(l); });
    per_worker.summary(out, end_snap);

    nlohmann::json doc = {
        {"command", "server"},
        {"interface", dev->name},
        {"config",
         {{"listen", o.listen},
          {"src_mac", dev->mac.str()},
          {"workers", e.workers()},
          {"zero_copy", e.zero_copy()},
          {"program", program->describe()},
          {"max_flows", o.max_flows},
          {"syn_backlog", o.syn_backlog},
          {"on_link_down", link_policy->str()},
          {"rx_csum", o.rx_csum}}},
        {"duration_s", elapsed},
        {"interrupted", stop_requested()},
        {"counters", engine_counters_json(s.c, engine::Role::Server)},
        {"latency", latencies_json(lat_cols)},
        {"steering", steering_json(steer)},
        {"per_worker", PerWorkerReport::totals_json(end_snap)},
        {"link", link.json()},
        {"result", rc == kExitOk ? "ok" : "failed"},
        {"reason", reason},
    };
    if (!prof.empty())
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

}  // namespace

Command add_server_command(CLI::App& app)
{
    auto o = std::make_shared<ServerOptions>();
    CLI::App* sub = app.add_subcommand("server", "Serve TCP connections from the AF_XDP engine, each running a small program");
    sub->add_option("listen", o->listen, "Addresses and ports to serve, ADDR:PORT ([v6]:port for IPv6)");
    sub->add_option("-i,--interface", o->ifname, "Interface to use");
    sub->add_option("--local", o->local,
                    "Serve this host instead, through a private veth pair: [ADDR]:PORT (':PORT' = the first "
                    "local-mode address of each family); curl, wrk or a browser on the host reach it");
    sub->add_option("--local-range", o->local_net.ranges,
                    "With --local: its private addresses, an IPv4 CIDR and/or an IPv6 /64 (default a free "
                    "198.19.N.0/24 and fd00:19:N::/64)");
    sub->add_option("-d,--duration", o->duration, "Run this many seconds (0 = until Ctrl-C / SIGTERM)")
        ->check(CLI::NonNegativeNumber);

    auto* prog = "Program (what each connection does)";
    sub->add_option("--profile", o->profile,
                    "A TOML profile of templates: each template's server program is served on its port (give "
                    "addresses only to listen on)")->group(prog);
    sub->add_option("--recv", o->prog.recv_bytes, "Receive N bytes, then answer")->group(prog);
    sub->add_flag("--recv-http", o->prog.recv_http, "Receive one HTTP/1.1 request, answer with an HTTP response (keep-alive)")
        ->group(prog);
    sub->add_option("--send", o->prog.send_text, "Answer with this text (escapes: \\r \\n \\t \\\\ \\0 \\xHH)")->group(prog);
    sub->add_option("--send-size", o->prog.send_size, "Answer with N bytes of xdpgen's byte pattern")->group(prog);
    sub->add_option("--http-body-size", o->prog.http_body_size, "HTTP response body: N bytes of the byte pattern")->group(prog);
    sub->add_option("--http-body", o->prog.http_body_file, "HTTP response body: the contents of FILE")->group(prog);
    sub->add_option("--http-status", o->prog.http_status, "HTTP response status")->capture_default_str()
        ->check(CLI::Range(100, 599))->group(prog);
    sub->add_flag("--verify", o->prog.verify, "Check received bytes against xdpgen's byte pattern (for pattern clients)")
        ->group(prog);
    sub->add_flag("--close", o->prog.close_after, "Close after answering (default: wait for the client to close)")->group(prog);

    auto* net = "Network";
    sub->add_option("-m,--dst-mac", o->dst_mac, "Answer through this next-hop MAC (default: the MAC each SYN came from)")->group(net);
    sub->add_option("--mss", o->mss, "MSS to announce (capped by the MTU)")->capture_default_str()->check(CLI::Range(88, 9000))->group(net);
    sub->add_option("--xdp-mode", o->xdp_mode, "native or skb (generic) XDP")->capture_default_str()->group(net);
    sub->add_option("--zero-copy", o->zero_copy, "AF_XDP zero-copy: auto, on or off")->capture_default_str()->group(net);
    sub->add_option("-q,--queues", o->queues, "Workers, one per queue (default: all queues)")->group(net);
    sub->add_option("--cores", o->cores, "Pin workers to these CPUs, e.g. 0,1 or 2-3")->group(net);
    sub->add_option("--on-link-down", o->on_link_down,
                    "If the interface goes down mid-run: fail = end the run (exit 1); wait = ride it out until it is "
                    "up again, at most 10 s (wait:S: S seconds), then fail. A deleted interface always ends the run")
        ->capture_default_str()->group(net);
    sub->add_option("--rx-csum", o->rx_csum, kRxCsumHelp)
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->group(net);

    auto* lim = "Limits and timers";
    sub->add_option("--max-flows", o->max_flows, "Flow table size per worker (open connections and TIME-WAIT)")
        ->capture_default_str()->check(CLI::Range(16u, 1u << 30))->group(lim);
    sub->add_option("--syn-backlog", o->syn_backlog, "Half-open connections per worker before SYN cookies answer")
        ->capture_default_str()->group(lim);
    sub->add_option("--connect-timeout", o->connect_timeout, "Seconds a half-open connection may wait for the handshake's ACK (at most 3600)")
        ->capture_default_str()->check(CLI::PositiveNumber & CLI::Range(0.0, 3600.0))->group(lim);
    sub->add_option("--timeout", o->timeout, "Seconds for a whole connection before it counts as a timeout (at most 43200: 12 hours)")
        ->capture_default_str()->check(CLI::PositiveNumber & CLI::Range(0.0, 43200.0))->group(lim);
    sub->add_option("--time-wait", o->time_wait, "Seconds our side keeps TIME-WAIT after closing first (at most 1800)")
        ->capture_default_str()->check(CLI::Range(0.0, 1800.0))->group(lim);
    sub->add_option("--drain", o->drain, "Seconds open connections get to finish when the run ends")
        ->capture_default_str()->check(CLI::NonNegativeNumber)->group(lim);

    auto* out = "Output";
    sub->add_option("-I,--interval", o->interval, "Seconds between stats lines")->capture_default_str()->check(CLI::Range(0.1, 3600.0))->group(out);
    sub->add_option("--json", o->out.json_path, "Write the report as JSON to FILE ('-' = stdout; lines then go to stderr)")->group(out);
    sub->add_flag("--quiet", o->out.quiet, "No per-interval lines, only the summary")->group(out);
    sub->add_flag("--per-template", o->per_template, "With --profile: a live line per template too")->group(out);
    sub->add_flag("--per-worker", o->per_worker, "Also show each worker's counters, live and in the summary")->group(out);
    add_records_options(sub, o->records, out);
    add_impair_options(sub, o->impair, "Impairment");
    add_latency_options(sub, o->latency, out);
    return Command{sub, [o] {
                       if (auto r = check_impair(o->impair); !r)
                           return fail_setup(r.error());
                       return run_server(*o);
                   }};
}

}  // namespace xdpgen
