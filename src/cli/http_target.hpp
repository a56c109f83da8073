// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A client target given as a URL, as wrk and curl take it:
// http://HOST[:PORT][/PATH[?QUERY]]. HOST is an IPv4 address, [IPv6] or a
// name the resolver knows (/etc/hosts, DNS); the port defaults to 80 and the
// path to "/". https:// is named as not supported yet.

#include <string>
#include <string_view>
#include <vector>

#include "net/addr.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct HttpUrl {
    std::string host;  // as written, IPv6 without its brackets
    uint16_t port = 80;
    std::string path = "/";
    // The Host header: the host as written ([v6] bracketed), ":port" unless 80.
    std::string host_header() const;
};

// True when `s` names a scheme ("...://"), i.e. is meant as a URL.
bool looks_like_url(std::string_view s);

Result<HttpUrl> parse_http_url(std::string_view s);

// --urls FILE: one path ("/a?b") or URL per line; blank lines and lines
// starting with '#' are skipped. A URL must name the target (same address
// and port: xdpgen sends to one server); its host as written becomes that
// request's Host header (host_header here, "" for a bare path). At most
// kMaxUrls; an error names the line.
struct UrlLine {
    std::string path;
    std::string host_header;
};
inline constexpr size_t kMaxUrls = 65535;
Result<std::vector<UrlLine>> load_url_list(const std::string& file, const Endpoint& target);

// The URL's host as an address: a literal as is, a name through the resolver
// (the first address it gives).
Result<IpAddr> resolve_host(const std::string& host);

}  // namespace xdpgen
