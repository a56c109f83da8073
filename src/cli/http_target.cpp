// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/http_target.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace xdpgen {

namespace {

bool valid_path_char(unsigned char c) { return c > ' ' && c != 0x7f; }

Result<uint16_t> parse_port(std::string_view url, std::string_view p)
{
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535)
        return make_error(fmt::format("'{}': the port '{}' is not 1-65535", url, p));
    return static_cast<uint16_t>(v);
}

}  // namespace

std::string HttpUrl::host_header() const
{
    const bool v6 = host.find(':') != std::string::npos;
    const std::string h = v6 ? "[" + host + "]" : host;
    return port == 80 ? h : fmt::format("{}:{}", h, port);
}

bool looks_like_url(std::string_view s) { return s.find("://") != std::string_view::npos; }

Result<HttpUrl> parse_http_url(std::string_view s)
{
    const auto scheme_end = s.find("://");
    const std::string_view scheme = s.substr(0, scheme_end);
    if (scheme == "https")
        return make_error(fmt::format("'{}': https is not supported yet", s), 0,
                          "give the server's plain-HTTP port, e.g. http://HOST:80/");
    if (scheme != "http")
        return make_error(fmt::format("'{}': only http:// URLs are taken", s), 0, "e.g. http://198.18.0.2:8080/");
    std::string_view rest = s.substr(scheme_end + 3);
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    HttpUrl u;
    if (slash != std::string_view::npos)
        u.path = (rest[slash] == '?' ? "/" : "") + std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos)
        return make_error(fmt::format("'{}': user information in a URL is not taken", s), 0,
                          "send an Authorization header with -H instead");
    std::string_view port_text;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return make_error(fmt::format("'{}': an IPv6 host needs its closing ']'", s));
        u.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':')
            return make_error(fmt::format("'{}': unexpected '{}' after the IPv6 host", s, after));
        if (!after.empty())
            port_text = after.substr(1);
        if (after == ":")
            port_text = ":";  // empty port: refused below
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
        if (colon != std::string_view::npos && port_text.empty())
            port_text = ":";
    }
    if (u.host.empty())
        return make_error(fmt::format("'{}' names no host", s), 0, "e.g. http://198.18.0.2:8080/");
    if (authority[0] != '[' && u.host.find(':') != std::string::npos)
        return make_error(fmt::format("'{}': an IPv6 host goes in brackets", s), 0, "e.g. http://[fd00:18::2]:8080/");
    if (!port_text.empty()) {
        auto p = parse_port(s, port_text == ":" ? std::string_view{} : port_text);
        if (!p)
            return p.error();
        u.port = p.value();
    }
    for (unsigned char c : u.path)
        if (!valid_path_char(c))
            return make_error(fmt::format("'{}': the path has a space or control character", s), 0,
                              "percent-encode it (%20 for a space)");
    if (const auto hash = u.path.find('#'); hash != std::string::npos)
        u.path.resize(hash);  // a fragment is never sent
    return u;
}

Result<IpAddr> resolve_host(const std::string& host)
{
    if (auto a = parse_ip(host))
        return *a;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res)
        return make_error(fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc)), 0,
                          "give the server's address instead of its name");
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> hold(res, freeaddrinfo);
    char text[64] = {};
    if (getnameinfo(res->ai_addr, res->ai_addrlen, text, sizeof(text), nullptr, 0, NI_NUMERICHOST) != 0)
        return make_error(fmt::format("cannot resolve '{}'", host));
    if (auto a = parse_ip(text))
        return *a;
    return make_error(fmt::format("'{}' resolves to '{}', which is not an address here", host, text));
}

}  // namespace xdpgen

namespace xdpgen {

namespace {

Result<UrlLine> url_line(const std::string& line, const Endpoint& target)
{
    if (!looks_like_url(line)) {
        for (unsigned char c : line)
            if (!valid_path_char(c))
                return make_error("a path cannot hold spaces or control characters");
        if (line[0] != '/')
            return make_error(fmt::format("'{}' is neither a path (/...) nor a URL", line));
        return UrlLine{line, ""};
    }
    auto url = parse_http_url(line);
    if (!url)
        return url.error();
    auto addr = resolve_host(url->host);
    if (!addr)
        return addr.error();
    if (!(*addr == target.addr) || url->port != target.port)
        return make_error(fmt::format("{} is not the target {}: xdpgen sends every request to one server", line,
                                      target.str()));
    return UrlLine{url->path, url->host_header()};
}

}  // namespace

Result<std::vector<UrlLine>> load_url_list(const std::string& file, const Endpoint& target)
{
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "r"), std::fclose);
    if (!f)
        return sys_error("--urls: cannot open " + file, errno);
    std::vector<UrlLine> out;
    char* buf = nullptr;
    size_t cap = 0;
    ssize_t n;
    for (size_t no = 1; (n = getline(&buf, &cap, f.get())) >= 0; no++) {
        std::string line(buf, size_t(n));
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#')
            continue;
        auto u = url_line(line.substr(first), target);
        if (!u) {
            std::free(buf);
            return make_error(fmt::format("--urls {} line {}: {}", file, no, u.error().message()), 0, u.error().hint);
        }
        if (out.size() == kMaxUrls) {
            std::free(buf);
            return make_error(fmt::format("--urls {}: more than {} URLs", file, kMaxUrls));
        }
        out.push_back(std::move(*u));
    }
    std::free(buf);
    if (out.empty())
        return make_error(fmt::format("--urls {}: no path or URL in it", file), 0, "one per line, e.g. /index.html");
    return out;
}

}  // namespace xdpgen
