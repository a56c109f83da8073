// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/impair.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "engine/hash_mix.hpp"

namespace xdpgen::engine {
namespace {

constexpr std::string_view kHint =
    "keys: delay=<duration>, jitter=<duration>, loss=<rate>, reorder=<rate>, seed=<whole number>, "
    "comma separated, each at most once; a duration is a number with ns, us, ms or s (at most 60s, "
    "to the ns), a rate a number with % (0-100%, to 0.0001%); "
    "e.g. delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42";

enum class Key { Delay, Jitter, Loss, Reorder, Seed };
struct KeyInfo {
    std::string_view name;
    Key key;
    std::string_view example;
};
constexpr std::array<KeyInfo, 5> kKeys{{
    {"delay", Key::Delay, "delay=20ms"},
    {"jitter", Key::Jitter, "jitter=5ms"},
    {"loss", Key::Loss, "loss=1%"},
    {"reorder", Key::Reorder, "reorder=0.5%"},
    {"seed", Key::Seed, "seed=42"},
}};

const KeyInfo* find_key(std::string_view name)
{
    for (const KeyInfo& k : kKeys)
        if (k.name == name)
            return &k;
    return nullptr;
}

constexpr uint64_t pow10(unsigned n)
{
    uint64_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

bool is_digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trim(std::string_view s)
{
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "INT" or "INT.FRAC", digits on both sides of the dot.
bool is_decimal(std::string_view s)
{
    const size_t dot = s.find('.');
    return is_digits(s.substr(0, dot)) && (dot == std::string_view::npos || is_digits(s.substr(dot + 1)));
}

enum class Num { Ok, TooFine, TooLarge };

// A decimal (is_decimal) times 10^scale, exactly: FRAC digits past `scale`
// must be 0.
Num parse_fixed(std::string_view s, unsigned scale, uint64_t limit, uint64_t& out)
{
    const size_t dot = s.find('.');
    const std::string_view ip = s.substr(0, dot);
    const std::string_view fp = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    uint64_t whole = 0;
    const auto [p, ec] = std::from_chars(ip.data(), ip.data() + ip.size(), whole);
    if (ec != std::errc() || whole > limit / pow10(scale))
        return Num::TooLarge;
    uint64_t frac = 0;
    bool too_fine = false;
    for (size_t i = 0; i < fp.size(); ++i) {
        if (i < scale)
            frac += uint64_t(fp[i] - '0') * pow10(scale - 1 - unsigned(i));
        else
            too_fine |= fp[i] != '0';
    }
    out = whole * pow10(scale) + frac;
    if (out > limit)
        return Num::TooLarge;
    return too_fine ? Num::TooFine : Num::Ok;
}

// The leading "digits and dots" of a value, the number; the rest, its unit.
std::pair<std::string_view, std::string_view> split_number(std::string_view v)
{
    const size_t end = v.find_first_not_of("0123456789.");
    if (end == std::string_view::npos)
        return {v, {}};
    return {v.substr(0, end), v.substr(end)};
}

// Parses one item's value into the spec; an error sentence (without the
// option's name) when it is not one.
class ItemParser {
public:
    ItemParser(std::string_view item, const KeyInfo& key, std::string_view value)
        : item_(item), key_(key), value_(value)
    {
    }

    // Empty on success.
    std::string into(ImpairSpec& s) const
    {
        switch (key_.key) {
        case Key::Delay: return duration(s.delay_ns);
        case Key::Jitter: return duration(s.jitter_ns);
        case Key::Loss: return rate(s.loss_ppm);
        case Key::Reorder: return rate(s.reorder_ppm);
        case Key::Seed: s.seed_given = true; return seed(s.seed);
        }
        return "cannot happen";
    }

private:
    std::string fail(std::string_view why) const { return fmt::format("'{}' {}", item_, why); }
    std::string example() const { return fmt::format("e.g. {}", key_.example); }

    // Errors every kind of value shares (`num`: its leading number); empty
    // if none.
    std::string common(std::string_view num) const
    {
        if (value_.empty())
            return fail(fmt::format("needs a value, {}", example()));
        if (value_[0] == '-')
            return fail("is negative");
        if (!is_decimal(num))
            return fail(fmt::format("is not a number, {}", example()));
        return {};
    }

    std::string number(Num r, std::string_view limit, std::string_view resolution) const
    {
        switch (r) {
        case Num::Ok: return {};
        case Num::TooLarge: return fail(fmt::format("is more than {}", limit));
        case Num::TooFine: return fail(fmt::format("is finer than {}", resolution));
        }
        return "cannot happen";
    }

    std::string duration(uint64_t& out) const
    {
        const auto [num, unit] = split_number(value_);
        if (auto e = common(num); !e.empty())
            return e;
        static constexpr std::array<std::pair<std::string_view, unsigned>, 4> kUnits{
            {{"ns", 0}, {"us", 3}, {"ms", 6}, {"s", 9}}};
        if (unit.empty())
            return fail(fmt::format("needs a unit (ns, us, ms or s), e.g. {}={}ms", key_.name, num));
        for (const auto& [name, scale] : kUnits)
            if (unit == name)
                return number(parse_fixed(num, scale, kImpairMaxDurationNs, out), "60s", "1ns");
        return fail(fmt::format("has an unknown unit '{}': use ns, us, ms or s, {}", unit, example()));
    }

    std::string rate(uint32_t& out) const
    {
        const auto [num, rest] = split_number(value_);
        if (auto e = common(num); !e.empty())
            return e;
        if (rest.empty())
            return fail(fmt::format("needs a percent sign, e.g. {}={}%", key_.name, num));
        if (rest[0] != '%')
            return fail(fmt::format("needs a percent sign right after the number, {}", example()));
        if (rest.size() > 1)
            return fail(fmt::format("has '{}' after the percent sign", rest.substr(1)));
        uint64_t ppm = 0;
        auto e = number(parse_fixed(num, 4, kImpairPpm, ppm), "100%", "0.0001%");
        out = uint32_t(ppm);
        return e;
    }

    std::string seed(uint64_t& out) const
    {
        if (auto e = common(split_number(value_).first); !e.empty())
            return e;
        const auto [p, ec] = std::from_chars(value_.data(), value_.data() + value_.size(), out);
        if (ec == std::errc::result_out_of_range)
            return fail("is more than a 64-bit seed holds");
        if (ec != std::errc() || p != value_.data() + value_.size())
            return fail(fmt::format("is not a whole number, {}", example()));
        return {};
    }

    std::string_view item_;
    const KeyInfo& key_;
    std::string_view value_;
};

// One "key=value" item into the spec; `seen` marks the keys already given.
std::string parse_item(std::string_view item, ImpairSpec& s, std::array<bool, 5>& seen)
{
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const KeyInfo* key = find_key(name);
    if (!key)
        return fmt::format("'{}' has an unknown key '{}'", item, name);
    if (eq == std::string_view::npos)
        return fmt::format("'{}' needs a value, e.g. {}", item, key->example);
    bool& was = seen[size_t(key->key)];
    if (was)
        return fmt::format("'{}' repeats {}, each key at most once", item, name);
    was = true;
    return ItemParser(item, *key, item.substr(eq + 1)).into(s);
}

// v / 10^scale with the fraction's trailing zeros cut: "1.5", "20".
std::string fixed_text(uint64_t v, unsigned scale)
{
    const uint64_t p = pow10(scale), frac = v % p;
    if (frac == 0)
        return fmt::format("{}", v / p);
    std::string s = fmt::format("{}.{:0{}}", v / p, frac, scale);
    return s.substr(0, s.find_last_not_of('0') + 1);
}

// The largest unit the duration reaches: 1.5ms, 20ms, 250us, 7ns.
std::string duration_text(uint64_t ns)
{
    if (ns >= 1'000'000'000)
        return fixed_text(ns, 9) + "s";
    if (ns >= 1'000'000)
        return fixed_text(ns, 6) + "ms";
    if (ns >= 1'000)
        return fixed_text(ns, 3) + "us";
    return fmt::format("{}ns", ns);
}

}  // namespace

bool ImpairSpec::any() const
{
    return delay_ns || jitter_ns || loss_ppm || reorder_ppm;
}

std::string ImpairSpec::describe() const
{
    std::string s;
    if (delay_ns)
        s += "delay=" + duration_text(delay_ns) + ",";
    if (jitter_ns)
        s += "jitter=" + duration_text(jitter_ns) + ",";
    if (loss_ppm)
        s += "loss=" + fixed_text(loss_ppm, 4) + "%,";
    if (reorder_ppm)
        s += "reorder=" + fixed_text(reorder_ppm, 4) + "%,";
    return s + fmt::format("seed={}", seed);
}

Result<ImpairSpec> parse_impair(std::string_view text, std::string_view what)
{
    if (trim(text).empty())
        return make_error(fmt::format("{}: the impairment is empty, e.g. delay=20ms,loss=1%", what), 0,
                          std::string(kHint));
    ImpairSpec s;
    std::array<bool, 5> seen{};
    for (size_t pos = 0; pos <= text.size();) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        const std::string_view item = trim(text.substr(pos, comma - pos));
        const std::string e = item.empty()
                                  ? fmt::format("'{}' has an empty item (two commas, or one at an end)", text)
                                  : parse_item(item, s, seen);
        if (!e.empty())
            return make_error(fmt::format("{}: {}", what, e), 0, std::string(kHint));
        pos = comma + 1;
    }
    return s;
}

// --- ImpairDecider ---

namespace {

// splitmix64's finaliser: a bijection that spreads every input bit over the
// output (its sequence passes BigCrush).
uint64_t fmix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;
enum Draw { kDrawDrop, kDrawReorder, kDrawJitter };

// r scaled into [0, n) by a 64x64 -> 128 multiply (bias below n / 2^64).
uint64_t scale_below(uint64_t r, uint64_t n)
{
    return uint64_t((u128(r) * n) >> 64);
}

}  // namespace

ImpairDecider::ImpairDecider(const ImpairSpec& s) : spec_(s)
{
    // A key per draw: the draws of one identity are unrelated to each other
    // and to those under another seed.
    for (uint64_t d = 0; d < 3; ++d)
        key_[d] = fmix64(fmix64(s.seed ^ kMixP0) + (d + 1) * kGolden);
    lo_ns_ = s.delay_ns > s.jitter_ns ? s.delay_ns - s.jitter_ns : 0;
    span_ns_ = s.delay_ns + s.jitter_ns - lo_ns_;
}

ImpairDecision ImpairDecider::decide(uint64_t identity) const
{
    // Two rounds keyed by the draw's key: one round of a bijection keeps
    // identities that differ in few bits apart, the second decorrelates keys.
    const auto draw = [&](Draw d) { return fmix64(fmix64(identity ^ key_[d]) + key_[d]); };
    ImpairDecision r;
    r.drop = spec_.loss_ppm && scale_below(draw(kDrawDrop), kImpairPpm) < spec_.loss_ppm;
    r.reorder = spec_.reorder_ppm && scale_below(draw(kDrawReorder), kImpairPpm) < spec_.reorder_ppm;
    r.delay_ns = lo_ns_ + (span_ns_ ? scale_below(draw(kDrawJitter), span_ns_ + 1) : 0);
    return r;
}

uint64_t impair_mix(uint64_t h, uint64_t v)
{
    // v goes through its own round (offset so that 0 is not a fixed point)
    // before meeting h: mix(mix(h, a), b) != mix(mix(h, b), a).
    return fmix64(h ^ fmix64(v + kGolden));
}

// --- FrameStore ---

FrameStore::FrameStore(size_t cap, size_t frame_size)
    : cap_(std::min<size_t>(cap, UINT32_MAX - 1)), frame_size_(std::min<size_t>(frame_size, UINT32_MAX - 1))
{
}

uint8_t* FrameStore::data(uint32_t slot) const
{
    return chunks_[slot / kChunkFrames].get() + size_t(slot % kChunkFrames) * frame_size_;
}

// A released slot, or the next new one (its chunk made when it is the
// chunk's first; the last chunk only as large as the cap needs).
uint32_t FrameStore::take_slot()
{
    if (!free_.empty()) {
        const uint32_t slot = free_.back();
        free_.pop_back();
        return slot;
    }
    const uint32_t slot = uint32_t(len_.size());
    if (slot % kChunkFrames == 0) {
        const size_t frames = std::min<size_t>(kChunkFrames, cap_ - slot);
        chunks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(frames * frame_size_));
    }
    len_.push_back(kFree);
    return slot;
}

uint32_t FrameStore::put(std::span<const uint8_t> frame)
{
    if (held_ >= cap_ || frame.size() > frame_size_)
        return UINT32_MAX;
    const uint32_t slot = take_slot();
    if (!frame.empty())
        std::memcpy(data(slot), frame.data(), frame.size());
    len_[slot] = uint32_t(frame.size());
    ++held_;
    return slot;
}

std::span<const uint8_t> FrameStore::get(uint32_t slot) const
{
    assert(slot < len_.size() && len_[slot] != kFree);
    return {data(slot), len_[slot]};
}

void FrameStore::release(uint32_t slot)
{
    assert(slot < len_.size() && len_[slot] != kFree);
    len_[slot] = kFree;
    free_.push_back(slot);
    --held_;
}

}  // namespace xdpgen::engine
