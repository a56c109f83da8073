// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/profile.hpp"

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "util/read_file.hpp"

namespace xdpgen {

namespace {

std::string where(const std::string& file, const toml::source_region& r)
{
    return fmt::format("{}:{}:{}", file, r.begin.line, r.begin.column);
}

// A key itself is wrong: its own place, not its value's.
Error at_key(const std::string& file, const toml::key& k, const std::string& what, std::string hint = {})
{
    return make_error(fmt::format("{}: {}", where(file, k.source()), what), 0, std::move(hint));
}

std::string join(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& k : v)
        s += (s.empty() ? "" : ", ") + k;
    return s;
}

const std::vector<std::string> kTemplateKeys = {
    "name", "weight", "cps", "concurrency", "port", "client", "server", "tcp", "fields", "impair", "http", "host", "method", "headers", "body", "body_file",
    "send", "send_file", "send_size", "recv", "recv_http", "recv_until_close", "requests_per_connection",
    "delay_ms", "hold_ms", "expect_status", "verify"};
const std::vector<std::string> kStepKeys = {"send",       "send_file",         "send_size",        "recv",
                                            "expect",     "expect_file",       "recv_http",        "recv_http_request",
                                            "recv_until_close", "delay_ms",    "close",            "reset",
                                            "repeat"};
const std::vector<std::string> kServerKeys = {"recv", "recv_http", "http", "send", "send_size", "status",
                                              "body_size", "body_file", "close", "verify"};
const std::vector<std::string> kTcpKeys = {"mss", "rcv_wnd", "wscale", "sack", "timestamps", "initial_cwnd",
                                           "delayed_ack_ms", "time_wait_ms"};
const std::vector<std::string> kDefaultKeys = {"cps", "rps", "duration", "concurrency", "connections", "seed",
                                               "order"};

// Typed reads of one value, each error at the value's place.
class Values {
public:
    Values(const std::string& file, std::string dir) : file_(file), dir_(std::move(dir)) {}

    Error at(const toml::node& n, const std::string& what, std::string hint = {}) const
    {
        return make_error(fmt::format("{}: {}", where(file_, n.source()), what), 0, std::move(hint));
    }
    Status text(const toml::node& n, const std::string& key, std::string& out) const
    {
        const auto* v = n.as_string();
        if (!v)
            return at(n, fmt::format("'{}' must be a string", key));
        out = v->get();
        return {};
    }
    // A file name, relative to the profile's directory.
    Status path(const toml::node& n, const std::string& key, std::string& out) const
    {
        if (auto st = text(n, key, out); !st)
            return st;
        if (out.empty())
            return at(n, fmt::format("'{}' must name a file", key));
        return relative(out);
    }
    // A path as seen from the profile's directory.
    Status relative(std::string& path) const
    {
        if (!path.empty() && path[0] != '/' && !dir_.empty())
            path = dir_ + "/" + path;
        return {};
    }
    Status flag(const toml::node& n, const std::string& key, bool& out) const
    {
        const auto* v = n.as_boolean();
        if (!v)
            return at(n, fmt::format("'{}' must be true or false", key));
        out = v->get();
        return {};
    }
    // A flag that can only be true: `close = true`.
    Status yes(const toml::node& n, const std::string& key) const
    {
        bool b = false;
        if (auto st = flag(n, key, b); !st)
            return st;
        return b ? Status{} : at(n, fmt::format("'{}' can only be true (leave the step out instead)", key));
    }
    Status count(const toml::node& n, const std::string& key, uint64_t& out, uint64_t lo, uint64_t hi) const
    {
        const auto* v = n.as_integer();
        if (!v || v->get() < 0 || uint64_t(v->get()) < lo || uint64_t(v->get()) > hi)
            return at(n, fmt::format("'{}' must be an integer from {} to {}", key, lo, hi));
        out = uint64_t(v->get());
        return {};
    }
    template <class T>
    Status count_as(const toml::node& n, const std::string& key, T& out, uint64_t lo, uint64_t hi) const
    {
        uint64_t v = 0;
        if (auto st = count(n, key, v, lo, hi); !st)
            return st;
        out = static_cast<T>(v);
        return {};
    }
    Status number(const toml::node& n, const std::string& key, double& out, double lo, double hi) const
    {
        double v = 0;
        if (const auto* i = n.as_integer())
            v = double(i->get());
        else if (const auto* f = n.as_floating_point())
            v = f->get();
        else
            return at(n, fmt::format("'{}' must be a number", key));
        if (v < lo || v > hi)
            return at(n, fmt::format("'{}' must be from {} to {}", key, lo, hi));
        out = v;
        return {};
    }
    const std::string& file() const { return file_; }

private:
    const std::string& file_;
    std::string dir_;
};

// Each key of `tbl` must be one of `known`.
Status known_keys(const Values& v, const toml::table& tbl, const std::vector<std::string>& known, const char* where_)
{
    for (const auto& [k, n] : tbl)
        if (std::find(known.begin(), known.end(), std::string(k.str())) == known.end())
            return at_key(v.file(), k, fmt::format("unknown key '{}' in {}", k.str(), where_), "known: " + join(known));
    return {};
}

// client = [...] / server = [...]: steps into ops.
class StepsReader {
public:
    explicit StepsReader(const Values& v) : v_(v) {}

    Status read(const toml::node& n, const std::string& key, std::vector<program::Op>& ops, int depth = 0)
    {
        const auto* arr = n.as_array();
        if (!arr || arr->empty())
            return v_.at(n, fmt::format("'{}' must be an array of steps", key),
                         "e.g. [ { send = \"hi\\n\" }, { recv = 3 } ]");
        for (const auto& s : *arr)
            if (auto st = step(s, ops, depth); !st)
                return st;
        return {};
    }

private:
    Status step(const toml::node& n, std::vector<program::Op>& ops, int depth)
    {
        const auto* t = n.as_table();
        if (!t)
            return v_.at(n, "a step must be a table with one key", "e.g. { send = \"hi\\n\" }");
        if (auto st = known_keys(v_, *t, with_steps(), "a step"); !st)
            return st;
        if (t->contains("repeat"))
            return repeat(*t, ops, depth);
        if (t->size() != 1)
            return v_.at(n, "a step must have exactly one key", "write each step as its own { ... }");
        for (const auto& [k, val] : *t)  // the one key
            return one(std::string(k.str()), val, ops);
        return {};
    }

    std::vector<std::string> with_steps() const
    {
        auto keys = kStepKeys;
        keys.push_back("steps");
        return keys;
    }

    Status repeat(const toml::table& t, std::vector<program::Op>& ops, int depth)
    {
        const toml::node* body = t.get("steps");
        if (!body || t.size() != 2)
            return v_.at(t, "a repeat step holds exactly 'repeat' and 'steps'",
                         "e.g. { repeat = 10, steps = [ { send = \"a\" }, { recv = 1 } ] }");
        if (depth >= 8)
            return v_.at(t, "repeats nest at most 8 deep");
        uint64_t times = 0;
        if (auto st = v_.count(*t.get("repeat"), "repeat", times, 0, 1'000'000); !st)
            return st;
        ops.push_back(program::Op{program::OpKind::Loop, {}, times});
        if (auto st = read(*body, "steps", ops, depth + 1); !st)
            return st;
        ops.push_back(program::Op{program::OpKind::EndLoop});
        return {};
    }

    Status one(const std::string& key, const toml::node& n, std::vector<program::Op>& ops)
    {
        using program::OpKind;
        program::Op op{OpKind::Send};
        std::string s;
        if (key == "send" || key == "send_file" || key == "expect" || key == "expect_file") {
            auto st = key.ends_with("_file") ? v_.path(n, key, s) : v_.text(n, key, s);
            if (!st)
                return st;
            if (key.ends_with("_file")) {
                auto bytes = read_whole_file(v_.at(n, key).message(), s);
                if (!bytes)
                    return bytes.error();
                s = std::move(bytes.value());
            }
            if (s.empty())
                return v_.at(n, fmt::format("'{}' gives no bytes", key));
            op.send.bytes = std::move(s);
            op.send.literal = key == "send_file";  // a file's bytes go as they are
            if (key.starts_with("expect")) {
                op.kind = OpKind::Recv;
                op.count = op.send.bytes.size();
            }
        } else if (key == "send_size") {
            op.send.kind = program::SendSource::Kind::Pattern;
            if (auto st = v_.count(n, key, op.send.size, 1, UINT64_MAX >> 1); !st)
                return st;
        } else if (key == "recv") {
            op.kind = OpKind::Recv;
            if (auto st = v_.count(n, key, op.count, 1, UINT64_MAX >> 1); !st)
                return st;
        } else if (key == "delay_ms") {
            op.kind = OpKind::Delay;
            if (auto st = v_.count(n, key, op.count, 0, 86'400'000); !st)
                return st;
        } else {
            static const std::pair<const char*, OpKind> kFlags[] = {
                {"recv_http", OpKind::RecvHttp}, {"recv_http_request", OpKind::RecvHttpRequest},
                {"recv_until_close", OpKind::RecvUntilClose}, {"close", OpKind::Close}, {"reset", OpKind::Reset}};
            for (const auto& [name, kind] : kFlags)
                if (key == name)
                    op.kind = kind;
            if (auto st = v_.yes(n, key); !st)
                return st;
        }
        ops.push_back(std::move(op));
        return {};
    }

    const Values& v_;
};

// server = { ... }: `xdpgen server`'s options.
Status read_server_quick(const Values& v, const toml::table& t, program::ServerQuick& q)
{
    if (auto st = known_keys(v, t, kServerKeys, "a template's server"); !st)
        return st;
    for (const auto& [k, n] : t) {
        const std::string key(k.str());
        Status st;
        if (key == "recv")
            st = v.count(n, key, q.recv_bytes, 1, UINT64_MAX >> 1);
        else if (key == "recv_http" || key == "http")
            st = v.flag(n, key, q.recv_http);
        else if (key == "send")
            st = v.text(n, key, q.send_text);
        else if (key == "send_size")
            st = v.count(n, key, q.send_size, 1, UINT64_MAX >> 1);
        else if (key == "status")
            st = v.count_as(n, key, q.http_status, 100, 599);
        else if (key == "body_size")
            st = v.count(n, key, q.http_body_size, 0, UINT64_MAX >> 1);
        else if (key == "body_file")
            st = v.path(n, key, q.http_body_file);
        else if (key == "close")
            st = v.flag(n, key, q.close_after);
        else if (key == "verify")
            st = v.flag(n, key, q.verify);
        if (!st)
            return st;
    }
    q.send_literal = true;  // TOML's escapes already made the bytes
    return {};
}

Status read_tcp(const Values& v, const toml::node& node, ProfileTcp& tcp)
{
    const auto* t = node.as_table();
    if (!t)
        return v.at(node, "'tcp' must be a table", "e.g. tcp = { mss = 1400, sack = false }");
    if (auto st = known_keys(v, *t, kTcpKeys, "a template's tcp"); !st)
        return st;
    for (const auto& [k, n] : *t) {
        const std::string key(k.str());
        Status st;
        bool b = false;
        if (key == "mss")
            st = v.count_as(n, key, tcp.mss.emplace(), 88, 65535);  // the run's --mss caps it
        else if (key == "rcv_wnd")
            st = v.count_as(n, key, tcp.rcv_wnd.emplace(), 1024, 1u << 30);
        else if (key == "initial_cwnd")
            st = v.count_as(n, key, tcp.initial_cwnd.emplace(), 1, 1000);
        else if (key == "delayed_ack_ms")
            st = v.count(n, key, tcp.delayed_ack_ms.emplace(), 0, 500);
        else if (key == "time_wait_ms")
            st = v.count(n, key, tcp.time_wait_ms.emplace(), 0, 1'800'000);
        else if (key == "wscale" && n.is_boolean())
            st = v.flag(n, key, b), tcp.wscale = b ? 7 : -1;
        else if (key == "wscale")
            st = v.count_as(n, key, tcp.wscale.emplace(), 0, 14);
        else if (key == "sack")
            st = v.flag(n, key, tcp.sack.emplace());
        else if (key == "timestamps")
            st = v.flag(n, key, tcp.timestamps.emplace());
        if (!st)
            return st;
    }
    return {};
}

// Reads one template's keys into t; each key's type is checked where it stands.
class TemplateReader {
public:
    TemplateReader(const Values& v, const toml::table& tbl, ProfileTemplate& t) : v_(v), tbl_(tbl), t_(t) {}

    Status read()
    {
        if (auto st = known_keys(v_, tbl_, kTemplateKeys, "a template"); !st)
            return st;
        for (const auto& [key, node] : tbl_) {
            if (auto st = one(std::string(key.str()), node); !st)
                return st;
        }
        if (t_.name.empty())
            return v_.at(tbl_, "a template without a name", "add name = \"...\"");
        if ((tbl_.contains("cps") || tbl_.contains("concurrency")) && tbl_.contains("weight"))
            return v_.at(*tbl_.get("weight"), "a template has a weight (a share of the run's load) or a load of its "
                                              "own (cps, concurrency), not both");
        if (t_.client && quick_given_)
            return v_.at(*tbl_.get("client"), "a template gives its client as steps or by the quick keys "
                                              "(http, send, recv, ...), not both");
        return {};
    }

private:
    Status one(const std::string& key, const toml::node& n)
    {
        auto& q = t_.prog;
        if (key == "name")
            return v_.text(n, key, t_.name);
        if (key == "weight")
            return v_.count_as(n, key, t_.weight, 1, kMaxWeight);
        if (key == "port")
            return v_.count_as(n, key, t_.port, 1, 65535);
        if (key == "cps")
            return v_.number(n, key, t_.cps, 0.001, 1e9);
        if (key == "concurrency")
            return v_.count_as(n, key, t_.concurrency, 1, 1u << 30);
        if (key == "client")
            return StepsReader(v_).read(n, key, t_.client.emplace().ops);
        if (key == "server")
            return server(n);
        if (key == "tcp")
            return read_tcp(v_, n, t_.tcp);
        if (key == "fields")
            return fields(n);
        if (key == "impair")
            return impair(n);
        quick_given_ = true;
        if (key == "http")
            return v_.text(n, key, q.http_get_path);
        if (key == "host")
            return v_.text(n, key, q.http_host);
        if (key == "method")
            return v_.text(n, key, q.http_method);
        if (key == "body")
            return v_.text(n, key, q.http_body);
        if (key == "body_file")
            return v_.path(n, key, q.http_body_file);
        if (key == "send") {
            q.send_literal = true;  // TOML's escapes already made the bytes
            return v_.text(n, key, q.send_text);
        }
        if (key == "send_file")
            return v_.path(n, key, q.send_file);
        if (key == "send_size")
            return v_.count(n, key, q.send_size, 1, UINT64_MAX >> 1);
        if (key == "recv")
            return v_.count(n, key, q.recv_bytes, 1, UINT64_MAX >> 1);
        if (key == "recv_http")
            return v_.flag(n, key, q.recv_http);
        if (key == "recv_until_close")
            return v_.flag(n, key, q.recv_until_close);
        if (key == "verify")
            return v_.flag(n, key, q.verify);
        if (key == "delay_ms")
            return v_.count(n, key, q.delay_ms, 0, 86'400'000);
        if (key == "hold_ms")  // stay connected and idle before closing: slow clients
            return v_.count(n, key, q.hold_ms, 0, 3'600'000);
        if (key == "requests_per_connection")
            return v_.count_as(n, key, q.requests, 1, 100'000);
        if (key == "expect_status")
            return v_.count_as(n, key, q.expect_status, 100, 599);
        return headers(n);  // known_keys() let only "headers" through
    }

    // impair = "delay=20ms,loss=1%": as --impair, for this template's flows.
    Status impair(const toml::node& n)
    {
        std::string spec;
        if (auto st = v_.text(n, "impair", spec); !st)
            return st;
        auto s = engine::parse_impair(spec, "impair");
        if (!s)
            return v_.at(n, s.error().message(), s.error().hint);
        t_.impair = s.value();
        return {};
    }

    // fields = { name = "spec" }: a file's path is relative to the profile.
    Status fields(const toml::node& n)
    {
        const auto* t = n.as_table();
        if (!t)
            return v_.at(n, "'fields' must be a table of name = \"spec\"", "e.g. fields = { id = \"counter\" }");
        for (const auto& [k, val] : *t) {
            std::string spec;
            if (auto st = v_.text(val, std::string(k.str()), spec); !st)
                return st;
            for (const char* kind : {"file ", "file-random "})
                if (spec.starts_with(kind)) {
                    std::string path = spec.substr(std::strlen(kind));
                    if (auto st = v_.relative(path); st)
                        spec = kind + path;
                }
            auto def = program::parse_field_def(spec);
            if (!def)
                return v_.at(val, fmt::format("field '{}': {}", k.str(), def.error().message()));
            if (auto st = t_.fields.add(k.str(), std::move(def.value())); !st)
                return at_key(v_.file(), k, st.error().message());
        }
        return {};
    }

    Status server(const toml::node& n)
    {
        if (const auto* t = n.as_table())
            return read_server_quick(v_, *t, t_.server_quick.emplace());
        if (n.is_array())
            return StepsReader(v_).read(n, "server", t_.server.emplace().ops);
        return v_.at(n, "'server' must be a table of server options or an array of steps",
                     "e.g. server = { http = true, body_size = 512 }");
    }

    Status headers(const toml::node& n)
    {
        const auto* arr = n.as_array();
        if (!arr)
            return v_.at(n, "'headers' must be an array of strings", "e.g. headers = [\"Accept: */*\"]");
        for (const auto& h : *arr) {
            const auto* s = h.as_string();
            if (!s)
                return v_.at(h, "'headers' must hold strings like \"Name: value\"");
            t_.prog.http_headers.push_back(s->get());
        }
        return {};
    }

    const Values& v_;
    const toml::table& tbl_;
    ProfileTemplate& t_;
    bool quick_given_ = false;
};

Status read_defaults(const Values& v, const toml::node& node, ProfileDefaults& d)
{
    const auto* t = node.as_table();
    if (!t)
        return v.at(node, "'defaults' must be a table", "e.g. [defaults] concurrency = 50");
    if (auto st = known_keys(v, *t, kDefaultKeys, "[defaults]"); !st)
        return st;
    for (const auto& [k, n] : *t) {
        const std::string key(k.str());
        Status st;
        if (key == "cps")
            st = v.number(n, key, d.cps.emplace(), 0, 1e9);
        else if (key == "rps")
            st = v.number(n, key, d.rps.emplace(), 0, 1e9);
        else if (key == "duration")
            st = v.number(n, key, d.duration.emplace(), 0, 1e7);
        else if (key == "concurrency")
            st = v.count_as(n, key, d.concurrency.emplace(), 1, 1u << 30);
        else if (key == "connections")
            st = v.count(n, key, d.connections.emplace(), 0, UINT64_MAX >> 1);
        else if (key == "seed")
            st = v.count(n, key, d.seed.emplace(), 0, UINT64_MAX >> 1);
        else if (key == "order") {
            st = v.text(n, key, d.order.emplace());
            if (st && *d.order != "round-robin" && *d.order != "random")
                st = v.at(n, "'order' must be \"round-robin\" or \"random\"");
        }
        if (!st)
            return st;
    }
    return {};
}

std::string dir_of(const std::string& file)
{
    const auto slash = file.rfind('/');
    return slash == std::string::npos ? "" : slash == 0 ? "/" : file.substr(0, slash);
}

}  // namespace

tcp::TcpConfig ProfileTcp::apply(tcp::TcpConfig c, uint16_t mss_cap) const
{
    if (mss)
        c.mss = std::min(*mss, mss_cap);
    if (rcv_wnd)
        c.rcv_wnd = *rcv_wnd;
    if (initial_cwnd)
        c.initial_cwnd_segments = *initial_cwnd;
    if (wscale)
        c.wscale = *wscale;
    if (sack)
        c.sack = *sack && c.deliver_out_of_order;  // in-order delivery offers no SACK
    if (timestamps)
        c.timestamps = *timestamps;
    if (delayed_ack_ms)
        c.delack = *delayed_ack_ms * tcp::kMs;
    if (time_wait_ms)
        c.time_wait = *time_wait_ms * tcp::kMs;
    return c;
}

Result<Profile> parse_profile(const std::string& text, const std::string& file)
{
    toml::table doc;
    try {
        doc = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        return make_error(fmt::format("{}: {}", where(file, e.source()), e.description()));
    }
    Profile p;
    p.file = file;
    const Values v(p.file, dir_of(file));
    for (const auto& [key, node] : doc) {
        if (key.str() == "defaults") {
            if (auto st = read_defaults(v, node, p.defaults); !st)
                return st.error();
        } else if (key.str() != "template") {
            return at_key(file, key, fmt::format("unknown table or key '{}'", key.str()),
                          "a profile holds [defaults] and [[template]] entries");
        }
    }
    const toml::node* tn = doc.get("template");
    const toml::array* arr = tn ? tn->as_array() : nullptr;
    if (!arr || arr->empty())
        return make_error(fmt::format("{}: no [[template]] in the profile", file), 0,
                          "e.g. [[template]] name = \"page\" http = \"/\"");
    std::set<std::string> names;
    for (const auto& entry : *arr) {
        const auto* tbl = entry.as_table();
        if (!tbl)
            return v.at(entry, "a template must be a table ([[template]])");
        if (p.templates.size() == kMaxTemplates)
            return v.at(entry, fmt::format("more than {} templates", kMaxTemplates));
        ProfileTemplate t;
        if (auto st = TemplateReader(v, *tbl, t).read(); !st)
            return st.error();
        if (!names.insert(t.name).second)
            return v.at(*tbl, fmt::format("a second template named '{}'", t.name), "names must be unique");
        p.templates.push_back(std::move(t));
    }
    return p;
}

Result<Profile> load_profile(const std::string& file)
{
    auto text = read_whole_file("--profile", file);
    if (!text)
        return text.error();
    return parse_profile(text.value(), file);
}

}  // namespace xdpgen
