// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/rtnl.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace xdpgen {

Result<Rtnl> Rtnl::open()
{
    Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd.valid())
        return sys_error("cannot open an rtnetlink socket");
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
        return sys_error("cannot bind an rtnetlink socket");
    // Errors come back without the request (capped) but with the kernel's own words.
    int one = 1;
    ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    return Rtnl(std::move(fd));
}

Rtnl::Answer Rtnl::talk(nlmsghdr* req, const std::function<void(const nlmsghdr*)>& on_msg)
{
    const bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    req->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
    req->nlmsg_seq = ++seq_;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_.get(), req, req->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0)
        return {-errno, {}};
    std::vector<char> buf(32768);  // a dump's messages come in batches of up to 32 KiB
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return {-errno, {}};
        }
        int len = static_cast<int>(n);
        for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, len);
             m = mnl_nlmsg_next(m, &len)) {
            if (m->nlmsg_seq != seq_)
                continue;  // a late answer to an earlier request
            if (m->nlmsg_type == NLMSG_ERROR)
                return error_answer(m);
            if (m->nlmsg_type == NLMSG_DONE)
                return {};
            if (on_msg)
                on_msg(m);
        }
    }
}

Rtnl::Answer Rtnl::error_answer(const nlmsghdr* m)
{
    const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
    Answer a{e->error, {}};
    if (a.err == 0 || !(m->nlmsg_flags & NLM_F_ACK_TLVS))
        return a;
    size_t off = sizeof(nlmsgerr);
    if (!(m->nlmsg_flags & NLM_F_CAPPED))
        off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(nlmsghdr));
    auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, off));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
    for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr))
        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
            a.msg = mnl_attr_get_str(attr);
    return a;
}

Error nl_error(const std::string& what, const Rtnl::Answer& a, std::string hint)
{
    return sys_error(a.msg.empty() ? what : fmt::format("{} (kernel: {})", what, a.msg), a.err, std::move(hint));
}

IpAddr addr_from_attr(const nlattr* a, bool v6)
{
    IpAddr ip;
    ip.v6 = v6;
    const size_t len = v6 ? 16 : 4;
    if (mnl_attr_get_payload_len(a) >= len)
        std::memcpy(ip.b.data(), mnl_attr_get_payload(a), len);
    return ip;
}

}  // namespace xdpgen
