// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Numbers with units for humans: "3.51 Mpps", "1.80 Gbit/s", "12.3 us".

#include <cstdint>
#include <string>

namespace xdpgen {

std::string fmt_si(double v, const char* unit);  // 3510000, "pps" -> "3.51 Mpps"
std::string fmt_pps(double pps);
std::string fmt_bps(double bits_per_s);           // "1.80 Gbit/s"
std::string fmt_ns(double ns);                    // "850 ns", "12.3 us", "4.10 ms", "1.20 s"
std::string fmt_count(uint64_t n);                // "1000000" -> "1,000,000"

}  // namespace xdpgen
