// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A client target given as a URL, as wrk and curl take it:
// http://HOST[:PORT][/PATH[?QUERY]]. HOST is an IPv4 address, [IPv6] or a
// name the resolver knows (/etc/hosts, DNS); the port defaults to 80 and the
// path to "/". https:// is named as not supported yet.

#include <string>
#include <string_view>

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

// The URL's host as an address: a literal as is, a name through the resolver
// (the first address it gives).
Result<IpAddr> resolve_host(const std::string& host);

}  // namespace xdpgen
