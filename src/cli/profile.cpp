// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/profile.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace xdpgen {

namespace {

std::string where(const std::string& file, const toml::source_region& r)
{
    return fmt::format("{}:{}:{}", file, r.begin.line, r.begin.column);
}

Error at(const std::string& file, const toml::node& n, const std::string& what, std::string hint = {})
{
    return make_error(fmt::format("{}: {}", where(file, n.source()), what), 0, std::move(hint));
}

// A key itself is wrong: its own place, not its value's.
Error at_key(const std::string& file, const toml::key& k, const std::string& what, std::string hint = {})
{
    return make_error(fmt::format("{}: {}", where(file, k.source()), what), 0, std::move(hint));
}

const char* kKeys[] = {"name",          "weight",   "http",     "host",        "method",     "headers",
                       "body",          "body_file", "send",    "send_file",   "send_size",  "recv",
                       "recv_http",     "recv_until_close",      "requests_per_connection", "delay_ms", "hold_ms",
                       "expect_status", "verify"};

std::string known_keys()
{
    std::string s;
    for (const char* k : kKeys)
        s += (s.empty() ? "" : ", ") + std::string(k);
    return s;
}

// Reads one template's keys into t; each key's type is checked where it stands.
class TemplateReader {
public:
    TemplateReader(const std::string& file, const toml::table& tbl, ProfileTemplate& t) : file_(file), tbl_(tbl), t_(t) {}

    Status read()
    {
        for (const auto& [key, node] : tbl_) {
            if (auto st = one(key, node); !st)
                return st;
        }
        if (t_.name.empty())
            return at(file_, tbl_, "a template without a name", "add name = \"...\"");
        return {};
    }

private:
    Status one(const toml::key& k, const toml::node& n)
    {
        const std::string key(k.str());
        auto& q = t_.prog;
        if (key == "name")
            return text(n, key, t_.name);
        if (key == "weight") {
            uint64_t w = 0;
            if (auto st = count(n, key, w, 1, kMaxWeight); !st)
                return st;
            t_.weight = static_cast<uint32_t>(w);
            return {};
        }
        if (key == "http")
            return text(n, key, q.http_get_path);
        if (key == "host")
            return text(n, key, q.http_host);
        if (key == "method")
            return text(n, key, q.http_method);
        if (key == "body")
            return text(n, key, q.http_body);
        if (key == "body_file")
            return text(n, key, q.http_body_file);
        if (key == "send") {
            q.send_literal = true;  // TOML's escapes already made the bytes
            return text(n, key, q.send_text);
        }
        if (key == "send_file")
            return text(n, key, q.send_file);
        if (key == "send_size")
            return count(n, key, q.send_size, 1, UINT64_MAX >> 1);
        if (key == "recv")
            return count(n, key, q.recv_bytes, 1, UINT64_MAX >> 1);
        if (key == "recv_http")
            return flag(n, key, q.recv_http);
        if (key == "recv_until_close")
            return flag(n, key, q.recv_until_close);
        if (key == "verify")
            return flag(n, key, q.verify);
        if (key == "delay_ms")
            return count(n, key, q.delay_ms, 0, 86'400'000);
        if (key == "hold_ms")  // stay connected and idle before closing: slow clients
            return count(n, key, q.hold_ms, 0, 3'600'000);
        if (key == "requests_per_connection") {
            uint64_t r = 0;
            if (auto st = count(n, key, r, 1, 100'000); !st)
                return st;
            q.requests = static_cast<uint32_t>(r);
            return {};
        }
        if (key == "expect_status") {
            uint64_t s = 0;
            if (auto st = count(n, key, s, 100, 599); !st)
                return st;
            q.expect_status = static_cast<uint16_t>(s);
            return {};
        }
        if (key == "headers")
            return headers(n);
        return at_key(file_, k, fmt::format("unknown key '{}' in a template", key), "known: " + known_keys());
    }

    Status text(const toml::node& n, const std::string& key, std::string& out)
    {
        const auto* v = n.as_string();
        if (!v)
            return at(file_, n, fmt::format("'{}' must be a string", key));
        out = v->get();
        return {};
    }

    Status flag(const toml::node& n, const std::string& key, bool& out)
    {
        const auto* v = n.as_boolean();
        if (!v)
            return at(file_, n, fmt::format("'{}' must be true or false", key));
        out = v->get();
        return {};
    }

    Status count(const toml::node& n, const std::string& key, uint64_t& out, uint64_t lo, uint64_t hi)
    {
        const auto* v = n.as_integer();
        if (!v || v->get() < 0 || uint64_t(v->get()) < lo || uint64_t(v->get()) > hi)
            return at(file_, n, fmt::format("'{}' must be an integer from {} to {}", key, lo, hi));
        out = uint64_t(v->get());
        return {};
    }

    Status headers(const toml::node& n)
    {
        const auto* arr = n.as_array();
        if (!arr)
            return at(file_, n, "'headers' must be an array of strings", "e.g. headers = [\"Accept: */*\"]");
        for (const auto& h : *arr) {
            const auto* v = h.as_string();
            if (!v)
                return at(file_, h, "'headers' must hold strings like \"Name: value\"");
            t_.prog.http_headers.push_back(v->get());
        }
        return {};
    }

    const std::string& file_;
    const toml::table& tbl_;
    ProfileTemplate& t_;
};

}  // namespace

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
    for (const auto& [key, node] : doc)
        if (key.str() != "template")
            return at_key(file, key, fmt::format("unknown table or key '{}'", key.str()),
                      "a profile holds [[template]] entries");
    const toml::node* tn = doc.get("template");
    const toml::array* arr = tn ? tn->as_array() : nullptr;
    if (!arr || arr->empty())
        return make_error(fmt::format("{}: no [[template]] in the profile", file), 0,
                          "e.g. [[template]] name = \"page\" http = \"/\"");
    std::set<std::string> names;
    for (const auto& entry : *arr) {
        const auto* tbl = entry.as_table();
        if (!tbl)
            return at(file, entry, "a template must be a table ([[template]])");
        if (p.templates.size() == kMaxTemplates)
            return at(file, entry, fmt::format("more than {} templates", kMaxTemplates));
        ProfileTemplate t;
        if (auto st = TemplateReader(file, *tbl, t).read(); !st)
            return st.error();
        if (!names.insert(t.name).second)
            return at(file, *tbl, fmt::format("a second template named '{}'", t.name), "names must be unique");
        p.templates.push_back(std::move(t));
    }
    return p;
}

Result<Profile> load_profile(const std::string& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return sys_error("--profile: cannot open " + file, errno);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        return sys_error("--profile: cannot read " + file, errno);
    return parse_profile(ss.str(), file);
}

}  // namespace xdpgen
