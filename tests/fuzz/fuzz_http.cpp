// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The HTTP/1.1 framing parser, responses and requests. Differential: the
// stream fed in one call and the same stream cut at fuzzer-chosen points
// (TCP may cut anywhere) must give the same messages, verdict and state;
// once failed the parser stays failed.
//
// Input: mode byte (bit 0: requests, bits 1-2: expected status 0 / 200 /
// 404 / 101+), a cut seed byte, then the stream.

#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "program/http_parser.hpp"

using namespace xdpgen::program;

namespace {

struct Outcome {
    uint64_t completed = 0;
    HttpVerdict verdict = HttpVerdict::Ok;
    uint16_t status = 0;
    bool idle = false, failed = false, close = false;
};

HttpProgress feed(HttpParser& p, std::span<const uint8_t> d, bool request, uint16_t expect)
{
    return request ? p.feed_request(d) : p.feed(d, expect);
}

Outcome run(std::span<const uint8_t> stream, bool request, uint16_t expect, uint8_t seed)
{
    HttpParser p;
    Outcome o;
    uint32_t rng = seed * 2654435761u + 1;
    size_t at = 0;
    while (at < stream.size()) {
        size_t n = stream.size() - at;
        if (seed) {
            // Cuts of 1..64 bytes from a small LCG: one byte at a time
            // included, mid-CRLF and mid-field.
            rng = rng * 1103515245u + 12345u;
            n = std::min<size_t>(n, 1 + (rng >> 16) % 64);
        }
        const bool was_failed = p.failed();
        const HttpVerdict before = o.verdict;
        HttpProgress pr = feed(p, stream.subspan(at, n), request, expect);
        if (was_failed) {
            FUZZ_CHECK(pr.completed == 0);
            FUZZ_CHECK(pr.verdict == before);
        }
        o.completed += pr.completed;
        if (pr.verdict != HttpVerdict::Ok)
            o.verdict = pr.verdict;
        FUZZ_CHECK((pr.verdict != HttpVerdict::Ok) == p.failed());
        if (p.closes())
            FUZZ_CHECK(p.idle());  // both directions: a closing message ends cleanly
        at += n;
    }
    if (!request) {
        HttpProgress pr = p.finish(expect);
        o.completed += pr.completed;
        if (pr.verdict != HttpVerdict::Ok)
            o.verdict = pr.verdict;
        // finish is idempotent.
        HttpProgress again = p.finish(expect);
        FUZZ_CHECK(again.completed == 0 && again.verdict == pr.verdict);
    }
    o.status = p.status();
    o.idle = p.idle();
    o.failed = p.failed();
    o.close = p.closes();
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const bool request = data[0] & 1;
    static constexpr uint16_t kExpect[] = {0, 200, 404, 101};
    const uint16_t expect = request ? 0 : kExpect[(data[0] >> 1) & 3];
    const uint8_t seed = data[1];
    const std::span<const uint8_t> stream(data + 2, size - 2);

    const Outcome whole = run(stream, request, expect, 0);
    const Outcome cut = run(stream, request, expect, seed ? seed : 1);
    FUZZ_CHECK(whole.completed == cut.completed);
    FUZZ_CHECK(whole.verdict == cut.verdict);
    FUZZ_CHECK(whole.status == cut.status);
    FUZZ_CHECK(whole.idle == cut.idle);
    FUZZ_CHECK(whole.failed == cut.failed);
    FUZZ_CHECK(whole.close == cut.close);
    return 0;
}
