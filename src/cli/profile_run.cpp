// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/profile_run.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/common.hpp"
#include "program/quick.hpp"
#include "stats/units.hpp"

namespace xdpgen {

namespace {

// max_requests: the width of ${request} (0 = not known).
Result<program::Program> compile_for(const ProfilePrograms& pp, const ProfileTemplate& t,
                                     Result<program::ProgramSpec> spec, const char* side, uint32_t max_requests,
                                     bool v6)
{
    const std::string where = fmt::format("{}: template '{}' ({})", pp.file, t.name, side);
    if (!spec)
        return spec.error().context(where);
    if (auto st = program::apply_fields(spec.value(), t.fields, max_requests, v6); !st)
        return st.error().context(where);
    auto prog = program::Program::compile(spec.value());
    if (!prog)
        return prog.error().context(where);
    return prog;
}

void add(ProfilePrograms& pp, const ProfileTemplate& t, program::Program prog)
{
    pp.programs.push_back(std::move(prog));
    pp.names.push_back(t.name);
    pp.weights.push_back(t.weight);
    pp.ports.push_back(t.port);
    pp.cps.push_back(t.cps);
    pp.concurrency.push_back(t.concurrency);
    if (t.cps > 0 || t.concurrency)
        pp.weights.back() = 0;  // started on its own, never by weight
    pp.tcp.push_back(t.tcp);
    pp.impair.push_back(t.impair);
}

Result<program::ProgramSpec> client_spec(const ProfileTemplate& t, const ClientTemplateBase& base, uint64_t& hold)
{
    if (t.client) {
        if (base.on_schedule)
            return make_error("--rps sends each template's request on a schedule: give the template by its quick "
                              "keys (http, or send with recv), not as client steps");
        return *t.client;
    }
    if (t.prog.http_body.find("${") != std::string::npos)
        return make_error("fields in a request body are not supported (its Content-Length is fixed first)", 0,
                          "put them in the path or a header");
    program::QuickProgram q = t.prog;
    q.fields = true;
    q.on_schedule = base.on_schedule;
    if (!q.hold_ms)
        q.hold_ms = base.hold_ms;
    hold = q.hold_ms;
    if (q.http_host.empty())
        q.http_host = base.host;
    return program::build_quick_program(q);
}

}  // namespace

std::vector<tcp::TcpConfig> ProfilePrograms::tcp_configs(const tcp::TcpConfig& base, uint16_t mss_cap) const
{
    if (std::none_of(tcp.begin(), tcp.end(), [](const ProfileTcp& t) { return t.any(); }))
        return {};
    std::vector<tcp::TcpConfig> out;
    for (const auto& t : tcp)
        out.push_back(t.apply(base, mss_cap));
    return out;
}

bool ProfilePrograms::any_own_rate() const
{
    return std::any_of(cps.begin(), cps.end(), [](double c) { return c > 0; }) ||
           std::any_of(concurrency.begin(), concurrency.end(), [](uint32_t c) { return c > 0; });
}

void ProfilePrograms::configure(engine::WorkerConfig& w, const std::vector<tcp::TcpConfig>& tcp_cfgs) const
{
    w.weights = weights;
    if (any_own_rate()) {
        w.program_cps = cps;
        w.program_concurrency = concurrency;
    }
    w.per_program_stats = true;
    w.program_ports = ports;
    w.program_tcp = tcp_cfgs.empty() ? nullptr : &tcp_cfgs;
    if (std::any_of(impair.begin(), impair.end(), [](const auto& s) { return s.any(); }))
        w.program_impair = impair;
}

Result<ProfilePrograms> client_programs(const Profile& p, const ClientTemplateBase& base)
{
    ProfilePrograms pp;
    pp.file = p.file;
    for (const auto& t : p.templates) {
        uint64_t hold = 0;
        auto prog = compile_for(pp, t, client_spec(t, base, hold), "client", t.client ? 0 : t.prog.requests, base.v6);
        if (!prog)
            return prog.error();
        pp.max_hold_ms = std::max(pp.max_hold_ms, hold);
        add(pp, t, std::move(prog.value()));
    }
    return pp;
}

Result<ProfilePrograms> server_programs(const Profile& p, uint16_t default_port, bool v6)
{
    ProfilePrograms pp;
    pp.file = p.file;
    for (const auto& t : p.templates) {
        if (!t.server && !t.server_quick)
            return make_error(fmt::format("{}: template '{}' has no server side", p.file, t.name), 0,
                              "add server = { http = true } or server = [ steps ]");
        const uint16_t port = t.port ? t.port : default_port;
        if (!port)
            return make_error(fmt::format("{}: template '{}' has no port to serve on", p.file, t.name), 0,
                              "add port = N (each template its own)");
        if (std::find(pp.ports.begin(), pp.ports.end(), port) != pp.ports.end())
            return make_error(fmt::format("{}: template '{}' is on port {}, as another template is", p.file, t.name,
                                          port),
                              0, "a server tells templates apart by port: give each its own");
        auto spec = t.server ? Result<program::ProgramSpec>(*t.server) : program::build_server_program(*t.server_quick);
        auto prog = compile_for(pp, t, std::move(spec), "server", 0, v6);
        if (!prog)
            return prog.error();
        add(pp, t, std::move(prog.value()));
        pp.ports.back() = port;
    }
    return pp;
}

std::vector<std::string> template_lines(const ProfilePrograms& pp, const engine::WorkerStats& s, engine::Role role)
{
    std::vector<std::string> out;
    for (size_t i = 0; i < pp.names.size() && i < s.templates.size(); i++) {
        const auto& t = s.templates[i];
        const std::string port = pp.ports[i] ? fmt::format(", port {}", pp.ports[i]) : "";
        std::string share = pp.cps[i] > 0 ? fmt::format("{} conn/s", pp.cps[i]) : "";
        if (pp.concurrency[i])
            share += fmt::format("{}concurrency {}", share.empty() ? "" : ", ", pp.concurrency[i]);
        if (share.empty())
            share = fmt::format("weight {}", pp.weights[i]);
        out.push_back(fmt::format("template {} ({}{}): {} attempted, {} completed, {} failed, {} {}{}",
                                  pp.names[i], share, port, fmt_count(t.attempted), fmt_count(t.completed),
                                  fmt_count(t.failed), fmt_count(t.http_responses),
                                  role == engine::Role::Client ? "responses" : "requests", t.total.count() ? "; total " + latency_line(t.total) : ""));
    }
    return out;
}

std::vector<std::string> template_interval_lines(const ProfilePrograms& pp, const engine::WorkerStats& s,
                                                 const engine::WorkerStats& prev, double dt, engine::Role role)
{
    std::vector<std::string> out;
    for (size_t i = 0; i < pp.names.size() && i < s.templates.size(); i++) {
        const engine::TemplateCounters& now = s.templates[i];
        const engine::TemplateCounters before = i < prev.templates.size() ? prev.templates[i] : engine::TemplateCounters{};
        out.push_back(fmt::format("         {:<16} done {:>9}/s  failed {:>7}  {} {:>9}/s", pp.names[i],
                                  fmt_si(static_cast<double>(now.completed - before.completed) / dt, ""),
                                  fmt_count(now.failed - before.failed),
                                  role == engine::Role::Client ? "responses" : "requests",
                                  fmt_si(static_cast<double>(now.http_responses - before.http_responses) / dt, "")));
    }
    return out;
}

nlohmann::json templates_json(const ProfilePrograms& pp, const engine::WorkerStats& s)
{
    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < pp.names.size() && i < s.templates.size(); i++) {
        const auto& t = s.templates[i];
        arr.push_back({{"name", pp.names[i]},
                       {"weight", pp.weights[i]},
                       {"cps", pp.cps[i]},
                       {"concurrency", pp.concurrency[i]},
                       {"port", pp.ports[i]},
                       {"attempted", t.attempted},
                       {"completed", t.completed},
                       {"failed", t.failed},
                       {"http_responses", t.http_responses},
                       {"impair", i < pp.impair.size() && pp.impair[i].any() ? nlohmann::json(pp.impair[i].describe())
                                                                             : nlohmann::json(nullptr)},
                       {"latency", {{"total", latency_json(t.total)}}}});
    }
    return arr;
}

}  // namespace xdpgen
