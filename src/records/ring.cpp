// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "records/ring.hpp"

#include <bit>
#include <limits>
#include <stdexcept>

namespace xdpgen::records {
namespace {

size_t ring_size(size_t capacity)
{
    constexpr size_t kLargest = size_t{1} << (std::numeric_limits<size_t>::digits - 1);
    if (capacity > kLargest)  // bit_ceil would not fit
        throw std::length_error("RecordRing: capacity too large");
    return std::bit_ceil(std::max<size_t>(capacity, 2));
}

}  // namespace

RecordRing::RecordRing(size_t capacity)
    : capacity_(ring_size(capacity)), mask_(capacity_ - 1), slots_(std::make_unique<Record[]>(capacity_))
{
}

}  // namespace xdpgen::records
