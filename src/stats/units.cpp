// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "stats/units.hpp"

#include <cmath>

#include <fmt/format.h>

namespace xdpgen {

std::string fmt_si(double v, const char* unit)
{
    static constexpr const char* kPrefix[] = {"", "k", "M", "G", "T"};
    int i = 0;
    while (std::fabs(v) >= 999.995 && i < 4) {
        v /= 1000.0;
        i++;
    }
    return fmt::format("{:.2f} {}{}", v, kPrefix[i], unit);
}

std::string fmt_pps(double pps) { return fmt_si(pps, "pps"); }
std::string fmt_bps(double bps) { return fmt_si(bps, "bit/s"); }

std::string fmt_ns(double ns)
{
    // Thresholds sit where rounding would print 1000 of the smaller unit.
    if (ns < 999.5)
        return fmt::format("{:.0f} ns", ns);
    if (ns < 999.95e3)
        return fmt::format("{:.1f} us", ns / 1e3);
    if (ns < 999.995e6)
        return fmt::format("{:.2f} ms", ns / 1e6);
    return fmt::format("{:.2f} s", ns / 1e9);
}

std::string fmt_count(uint64_t n)
{
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace xdpgen
