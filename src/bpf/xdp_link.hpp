// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// An XDP program attached to an interface as a bpf_link owned by this
// process: the kernel detaches it when the process exits, however it exits.

#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"
#include "util/result.hpp"

namespace xdpgen {

enum class XdpMode { Native, Skb };

std::optional<XdpMode> parse_xdp_mode(std::string_view s);
const char* xdp_mode_name(XdpMode m);

class XdpLink {
public:
    XdpLink() = default;
    XdpLink(Fd fd, std::string ifname, XdpMode mode) : fd_(std::move(fd)), ifname_(std::move(ifname)), mode_(mode) {}

    bool attached() const { return fd_.valid(); }
    XdpMode mode() const { return mode_; }
    void detach() { fd_.reset(); }

private:
    Fd fd_;
    std::string ifname_;
    XdpMode mode_ = XdpMode::Native;
};

Result<XdpLink> xdp_attach(int prog_fd, int ifindex, const std::string& ifname, XdpMode mode);

}  // namespace xdpgen
