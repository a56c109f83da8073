// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "net/checksum.hpp"

#include <cstring>

namespace xdpgen {

uint32_t csum_partial(const void* data, size_t len, uint32_t sum)
{
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t acc = sum;
    // Eight bytes at a time: as 16-bit words fold (2^16 = 1 modulo 2^16 - 1),
    // two 32-bit halves add up to the same sum, in fewer steps. This runs
    // over every received segment (--rx-csum).
    while (len >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        acc += (w & 0xffffffffu) + (w >> 32);
        p += 8;
        len -= 8;
    }
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

uint32_t csum_pseudo_header(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint32_t l4_len)
{
    const size_t alen = src.v6 ? 16 : 4;
    uint32_t sum = csum_partial(src.b.data(), alen);
    sum = csum_partial(dst.b.data(), alen, sum);
    // Zero, protocol and length as big-endian words. IPv4 has a 16-bit length
    // and IPv6 a 32-bit one; as 16-bit words summed, both come to the same.
    const uint8_t tail[8] = {0, 0, static_cast<uint8_t>(l4_len >> 24), static_cast<uint8_t>(l4_len >> 16),
                             static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len), 0, proto};
    return csum_partial(tail, sizeof tail, sum);
}

uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

}  // namespace xdpgen
