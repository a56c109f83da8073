// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The Internet checksum (RFC 1071), as partial sums that can be combined.

#include <cstddef>
#include <cstdint>

#include "net/addr.hpp"

namespace xdpgen {

// One's complement sum of the bytes, as 16-bit words in memory order, added
// to sum. Unfolded: combine partial sums, then fold once. len may be odd only
// for the last chunk.
uint32_t csum_partial(const void* data, size_t len, uint32_t sum = 0);
// Fold to 16 bits (not complemented).
uint16_t csum_fold(uint64_t sum);
// The checksum field value: ~fold(sum).
inline uint16_t csum_finish(uint64_t sum) { return static_cast<uint16_t>(~csum_fold(sum)); }

// The pseudo header of a UDP/TCP segment of l4_len bytes (RFC 768, RFC 9293
// §3.1, RFC 8200 §8.1) as a partial sum.
uint32_t csum_pseudo_header(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint32_t l4_len);

}  // namespace xdpgen
