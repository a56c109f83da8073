// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/rx_csum.hpp"

#include <fmt/format.h>

#include "stats/units.hpp"

namespace xdpgen {

tcp::CsumCheck rx_csum_check(const std::string& value)
{
    if (value == "on")
        return tcp::CsumCheck::On;
    if (value == "off")
        return tcp::CsumCheck::Off;
    return tcp::CsumCheck::Auto;
}

std::string rx_csum_summary(const engine::WorkerCounters& c, tcp::CsumCheck check)
{
    if (!c.rx_bad_csum)
        return "";
    std::string s = fmt::format("checksums: {} received segments had a wrong TCP checksum and were dropped",
                                fmt_count(c.rx_bad_csum));
    if (check == tcp::CsumCheck::On && c.rx_csum_offloaded)
        s += fmt::format("; {} of them carried a checksum the peer's kernel left to an offload (a veth peer with tx "
                         "checksumming on): use --rx-csum auto, or turn it off on the peer (ethtool -K IFNAME tx off)",
                         fmt_count(c.rx_csum_offloaded));
    return s;
}

}  // namespace xdpgen
