// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What the kernel-socket test peers (pattern, close, delay servers, tcp sink,
// epoll client) share: the monotonic clock and a listening TCP socket. The
// independent AF_XDP references keep to raw_peer.hpp and link nothing of
// xdpgen's; these peers use xdpgen_core's addresses and errors.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "net/addr.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace xdpgen::peer {

inline uint64_t now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

inline socklen_t to_sockaddr(const Endpoint& ep, sockaddr_storage& ss)
{
    ss = {};
    if (ep.addr.v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(ep.port);
        std::memcpy(&s6->sin6_addr, ep.addr.b.data(), 16);
        return sizeof(*s6);
    }
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(ep.port);
    s4->sin_addr.s_addr = ep.addr.v4_be();
    return sizeof(*s4);
}

// A non-blocking listening socket on ep (SO_REUSEADDR; SO_REUSEPORT when
// asked, for one listener per thread). The kernel caps the backlog at
// net.core.somaxconn.
inline Result<Fd> listen_tcp(const Endpoint& ep, int backlog, bool reuseport = false)
{
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(ep, ss);
    Fd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return sys_error("cannot create the listening socket");
    const int one = 1;
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        (reuseport && setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))))
        return sys_error("cannot set SO_REUSEADDR / SO_REUSEPORT");
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len))
        return sys_error(fmt::format("cannot bind to {}", ep.str()), errno,
                         errno == EADDRNOTAVAIL ? "is the address configured on an interface of this namespace?"
                         : errno == EADDRINUSE  ? "another server listens there"
                                                : "");
    if (::listen(fd.get(), backlog))
        return sys_error(fmt::format("cannot listen on {}", ep.str()));
    return fd;
}

}  // namespace xdpgen::peer
