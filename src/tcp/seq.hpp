// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// SeqNum: a TCP sequence number, a 32-bit value compared modulo 2^32.
//
// RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be
// performed modulo 2^32" and comparisons are made on the signed distance, so
// a < b means "b is at most 2^31-1 ahead of a". A strong type keeps raw
// integer comparisons (which break at the wrap) from compiling by accident.

#include <cstdint>

namespace xdpgen::tcp {

class SeqNum {
public:
    constexpr SeqNum() = default;
    constexpr explicit SeqNum(uint32_t v) : v_(v) {}

    constexpr uint32_t raw() const { return v_; }

    // Adding or removing a size moves along the circle.
    constexpr SeqNum operator+(uint32_t n) const { return SeqNum(v_ + n); }
    constexpr SeqNum operator-(uint32_t n) const { return SeqNum(v_ - n); }
    constexpr SeqNum& operator+=(uint32_t n) { v_ += n; return *this; }
    constexpr SeqNum& operator-=(uint32_t n) { v_ -= n; return *this; }

    // Signed distance this - o (RFC 9293 §3.4 comparison basis).
    constexpr int32_t operator-(SeqNum o) const { return static_cast<int32_t>(v_ - o.v_); }

    constexpr bool operator==(const SeqNum&) const = default;
    constexpr bool operator<(SeqNum o) const { return (*this - o) < 0; }
    constexpr bool operator<=(SeqNum o) const { return (*this - o) <= 0; }
    // Mirrors of < and <= (Linux's after()): at a distance of exactly 2^31
    // both a < b and b < a hold, and a > b must then agree with b < a, or an
    // ACK 2^31 ahead of snd.max would pass as not too new.
    constexpr bool operator>(SeqNum o) const { return o < *this; }
    constexpr bool operator>=(SeqNum o) const { return o <= *this; }

private:
    uint32_t v_ = 0;
};

// Unsigned distance hi - lo; the caller knows lo <= hi.
constexpr uint32_t seq_len(SeqNum lo, SeqNum hi) { return hi.raw() - lo.raw(); }
constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }
// lo <= s < hi on the circle.
constexpr bool seq_in(SeqNum s, SeqNum lo, SeqNum hi) { return lo <= s && s < hi; }

static_assert(SeqNum(0xffffffffu) < SeqNum(0));
static_assert(SeqNum(0xffffff00u) + 0x200 == SeqNum(0x100));
static_assert(SeqNum(5) - SeqNum(0xfffffffbu) == 10);
static_assert(SeqNum(0x80000000u) > SeqNum(0) && SeqNum(0) < SeqNum(0x80000000u));

}  // namespace xdpgen::tcp
