// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The program compiler and runner. Ops decoded from the input go through
// Program::compile; a program it accepts must
// - send, through fill(), exactly the stream a slow expansion of its ops
//   gives (loops run out one by one, a loop until the peer closes any
//   number of times), at any offset and length;
// - run under a Runner fed the rest of the input as the peer's bytes, FIN
//   and the passing of time, never taking back bytes it offered (lazy TX
//   regenerates them from their offset) and handing Close and Reset once.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "program/program.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::program;

namespace {

struct Reader {
    std::span<const uint8_t> d;
    bool empty() const { return d.empty(); }
    uint8_t u8()
    {
        if (d.empty())
            return 0;
        uint8_t v = d[0];
        d = d.subspan(1);
        return v;
    }
    uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
    std::span<const uint8_t> bytes(size_t n)
    {
        n = std::min(n, d.size());
        auto r = d.first(n);
        d = d.subspan(n);
        return r;
    }
};

constexpr size_t kRefCap = 1 << 16;  // reference streams longer than this are not built

// Op list: a count byte, then per op a kind byte (mod 11) and its argument.
// Loop counts are small (0 = until the peer closes) but may nest; a Recv
// or a pattern Send may be large (u16 << shift).
ProgramSpec decode(Reader& r)
{
    ProgramSpec s;
    const uint8_t flags = r.u8();
    s.verify = flags & 1;
    static constexpr uint16_t kStatus[] = {0, 200, 204, 404};
    s.expect_status = kStatus[(flags >> 1) & 3];
    const size_t n = r.u8() % 32;
    for (size_t i = 0; i < n && !r.empty(); ++i) {
        Op op{OpKind(r.u8() % 11), {}, 0};
        switch (op.kind) {
        case OpKind::Send: {
            const uint8_t m = r.u8();
            if (m & 1) {
                op.send.kind = SendSource::Kind::Pattern;
                op.send.size = uint64_t(r.u16()) << (m >> 1 & 31);
            } else {
                auto b = r.bytes(m >> 1);
                op.send.bytes.assign(b.begin(), b.end());
            }
            break;
        }
        case OpKind::Recv: {
            const uint8_t m = r.u8();
            op.count = uint64_t(r.u16()) << (m & 63);
            break;
        }
        case OpKind::Delay:
        case OpKind::Loop:
            op.count = r.u8();
            if (op.kind == OpKind::Loop && op.count > 200)
                op.count = uint64_t(op.count) << 12;  // large counts too: the step limit
            break;
        default:
            break;
        }
        s.ops.push_back(std::move(op));
    }
    return s;
}

// The EndLoop matching the Loop whose body starts at i.
size_t skip_body(const std::vector<Op>& ops, size_t i)
{
    for (int depth = 0; i < ops.size(); ++i) {
        if (ops[i].kind == OpKind::Loop)
            ++depth;
        else if (ops[i].kind == OpKind::EndLoop && depth-- == 0)
            break;
    }
    return i;
}

// The send stream the slow way: every loop run out, the one until the peer
// closes `k` times. False when it would pass kRefCap or take too long.
bool expand(const std::vector<Op>& ops, size_t& i, uint64_t k, std::string& out, size_t& budget)
{
    while (i < ops.size() && ops[i].kind != OpKind::EndLoop) {
        const Op& op = ops[i++];
        if (budget-- == 0)
            return false;
        if (op.kind == OpKind::Loop) {
            const size_t body = i;
            const uint64_t times = op.count ? op.count : k;
            for (uint64_t t = 0; t < times; ++t) {
                i = body;
                if (!expand(ops, i, k, out, budget))
                    return false;
            }
            if (times == 0)
                i = skip_body(ops, body);
            ++i;  // EndLoop
            continue;
        }
        if (op.kind != OpKind::Send)
            continue;
        if (op.send.kind == SendSource::Kind::Bytes) {
            if (out.size() + op.send.bytes.size() > kRefCap)
                return false;
            out += op.send.bytes;
        } else {
            if (op.send.size > kRefCap - out.size())
                return false;
            for (uint64_t b = 0; b < op.send.size; ++b)
                out.push_back(char(xg_pattern_byte(out.size())));
        }
    }
    return true;
}

void check_fill(const Program& p, const std::string& ref, uint64_t iterations, Reader& r)
{
    std::vector<uint8_t> buf(ref.size());
    p.fill(0, buf, iterations);
    FUZZ_CHECK(buf.empty() || std::memcmp(buf.data(), ref.data(), buf.size()) == 0);
    // Slices at fuzzer-chosen places, also past the end (zeros there).
    for (int n = 0; n < 4 && !ref.empty(); ++n) {
        const uint64_t off = r.u16() % (ref.size() + 8);
        std::vector<uint8_t> s(r.u8());
        p.fill(off, s, iterations);
        for (size_t i = 0; i < s.size(); ++i)
            FUZZ_CHECK(s[i] == (off + i < ref.size() ? uint8_t(ref[off + i]) : 0));
    }
}

void check_steps(const Program& p)
{
    FUZZ_CHECK(p.step_count() <= Program::kMaxSteps);
    uint64_t tx = 0;
    for (size_t i = 0; i < p.step_count(); ++i) {
        const Program::Step& s = p.step(i);
        if (p.forever() && i == p.loop_end())
            tx = p.loop_tx();  // the steps after it count as if it ran 0 times
        FUZZ_CHECK(s.tx_before == tx);
        if (s.kind == OpKind::Send) {
            FUZZ_CHECK(s.arg > 0);
            tx += s.arg;
        }
    }
    if (p.forever()) {
        FUZZ_CHECK(p.loop_begin() < p.loop_end() && p.loop_end() <= p.step_count());
        FUZZ_CHECK(p.max_iterations() > 0);
    }
    FUZZ_CHECK(tx == p.tx_total());
}

// The peer as records: 0 bytes arrive (u8 length), 1 FIN, 2 time passes;
// the engine's go or end at a gate with 3 (and bit 3 for end).
void run(const Program& p, Reader& r)
{
    FlowState st{};
    HttpState http{};
    Runner run(p, st, &http);
    run.on_event(tcp::TcpEvent::Established, 0);
    uint64_t now = tcp::kMs, rx = 0, released = 0;
    bool fin = false, closed = false, reset = false;
    std::vector<uint8_t> first;  // the first bytes of the send stream as first offered
    Gate gate = Gate::Wait;
    for (int steps = 0; steps < 256; ++steps) {
        const Next n = run.advance(now, rx, fin, gate);
        gate = Gate::Wait;
        FUZZ_CHECK(!n.waits_at_gate || (n.reached_gate && run.at_gate()));
        FUZZ_CHECK(!(n.action == Action::Close && closed));
        FUZZ_CHECK(!(n.action == Action::Reset && reset));
        closed |= n.action == Action::Close;
        reset |= n.action == Action::Reset;
        FUZZ_CHECK(n.wake_at == tcp::kNever || n.wake_at >= now);
        const uint64_t avail = run.tx_available(0);
        FUZZ_CHECK(avail >= released);  // offered bytes are never taken back
        released = avail;
        // Bytes once offered read the same ever after.
        std::vector<uint8_t> now_bytes(std::min<uint64_t>(avail, 4096));
        run.tx_fill(0, now_bytes);
        for (size_t i = 0; i < std::min(first.size(), now_bytes.size()); ++i)
            FUZZ_CHECK(first[i] == now_bytes[i]);
        if (now_bytes.size() > first.size())
            first = now_bytes;
        if (r.empty() || reset)
            break;
        const uint8_t op = r.u8();
        switch (op % 4) {
        case 0: {
            if (fin)
                break;
            auto b = r.bytes(r.u8());
            if (!b.empty()) {
                run.rx_data(rx, b);
                rx += b.size();
            }
            break;
        }
        case 1:
            if (!fin) {
                fin = true;
                run.on_event(tcp::TcpEvent::PeerFin, rx);
            }
            break;
        case 2:
            now = n.wake_at != tcp::kNever && (op & 4) ? n.wake_at : now + uint64_t(r.u8()) * tcp::kMs;
            break;
        case 3:
            gate = (op & 8) ? Gate::End : Gate::Open;
            break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader r{{data, size}};
    const ProgramSpec spec = decode(r);
    auto compiled = Program::compile(spec);
    if (!compiled) {
        FUZZ_CHECK(!compiled.error().what.empty());
        return 0;
    }
    const Program& p = compiled.value();
    FUZZ_CHECK(!p.describe().empty());
    check_steps(p);

    // fill() against the slow expansion: 0 iterations, one, and a few of
    // the loop until the peer closes (ended), and while it still runs.
    for (uint64_t k : {0u, 1u, 3u}) {
        if (!p.forever() && k)
            break;
        if (p.forever() && k > p.max_iterations())
            break;
        std::string ref;
        size_t i = 0, budget = 1 << 16;
        if (!expand(spec.ops, i, k, ref, budget))
            break;
        if (!p.forever()) {
            FUZZ_CHECK(ref.size() == p.tx_total());
            check_fill(p, ref, Program::kLoopRunning, r);
        } else {
            FUZZ_CHECK(ref.size() == p.tx_total() + k * p.period_tx());
            check_fill(p, ref, k, r);
            // While the loop runs, the stream up to its k-th iteration's end
            // is the same.
            std::string running = ref.substr(0, p.loop_tx() + k * p.period_tx());
            std::vector<uint8_t> buf(running.size());
            p.fill(0, buf, Program::kLoopRunning);
            FUZZ_CHECK(buf.empty() || std::memcmp(buf.data(), running.data(), buf.size()) == 0);
        }
    }
    run(p, r);
    return 0;
}
