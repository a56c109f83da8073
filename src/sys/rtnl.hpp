// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// rtnetlink for the few things xdpgen asks the kernel's routing side:
// routes and neighbours (sys/neigh), links and addresses (sys/local_net).
// Requests are built with libmnl; the answer's error carries the kernel's
// own words (extended ACK) when it gives them.

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>

#include "net/addr.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace xdpgen {

// One rtnetlink socket, bound to the netns of the thread that opened it
// (for good: it keeps talking to that netns wherever the thread goes).
class Rtnl {
public:
    explicit Rtnl(Fd fd) : fd_(std::move(fd)) {}
    static Result<Rtnl> open();
    Fd release() { return std::move(fd_); }

    // The kernel's answer: 0 or a negative errno, and its extended-ack message if any.
    struct Answer {
        int err = 0;
        std::string msg;
        explicit operator bool() const { return err == 0; }
    };

    // Sends req and waits for its ACK (or, for a dump, its end), calling
    // on_msg for every other message of the answer.
    Answer talk(nlmsghdr* req, const std::function<void(const nlmsghdr*)>& on_msg = {});

private:
    static Answer error_answer(const nlmsghdr* m);

    Fd fd_;
    uint32_t seq_ = 0;
};

// "what (kernel: its message): strerror", with hint.
Error nl_error(const std::string& what, const Rtnl::Answer& a, std::string hint = {});

// A request in a buffer of its own.
struct RtnlRequest {
    alignas(nlmsghdr) char buf[4096];
    nlmsghdr* nlh;

    RtnlRequest(uint16_t type, uint16_t flags) : buf{}, nlh(mnl_nlmsg_put_header(buf))
    {
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
    }
    template <typename T>
    T* extra()
    {
        return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh, sizeof(T)));
    }
};

// Each attribute after a message's fixed header of hdr_len bytes (libmnl's
// mnl_attr_for_each relies on C's implicit void* conversion).
template <typename F>
void for_each_attr(const nlmsghdr* m, size_t hdr_len, F&& f)
{
    auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, hdr_len));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
    for (; mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
        f(a);
}

// An address attribute (RTA_DST, IFA_LOCAL, NDA_DST, ...).
IpAddr addr_from_attr(const nlattr* a, bool v6);

}  // namespace xdpgen
