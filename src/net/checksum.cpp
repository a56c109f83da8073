// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "net/checksum.hpp"

#include <cstring>

namespace xdpgen {

uint32_t csum_partial(const void* data, size_t len, uint32_t sum)
{
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t acc = sum;
    while (len >= 2) {
        uint16_t w;
        std::memcpy(&w, p, 2);
        acc += w;
        p += 2;
        len -= 2;
    }
    if (len) {
        uint16_t w = 0;
        std::memcpy(&w, p, 1);  // the odd byte is the high-order byte of a zero-padded word
        acc += w;
    }
    return csum_fold(acc);
}

uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

}  // namespace xdpgen
