// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// pcap2profile over a fuzzer-made capture file: reading it and reassembling
// its conversations never crash, and a profile made without data files
// parses back (what pcap2profile writes, xdpgen reads).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "cli/pcap2profile.hpp"
#include "cli/profile.hpp"
#include "fuzz_check.hpp"

using namespace xdpgen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // libpcap reads files: one per process, rewritten each run.
    static const std::string path = "/tmp/xdpgen-fuzz-pcap." + std::to_string(getpid()) + ".pcap";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
        return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    pcapconv::CaptureOptions opts;
    opts.limits.max_conversations = 64;  // small bounds: a run stays fast
    opts.limits.max_direction_bytes = 1 << 20;
    opts.limits.max_total_bytes = 4 << 20;
    auto cap = pcapconv::read_capture(path, opts);
    if (!cap)
        return 0;
    ProfileRenderOptions ro;
    ro.capture_name = "fuzz.pcap";
    ro.stem = "fuzz";
    const RenderedProfile r = render_profile(*cap, ro);
    if (r.files.empty() && !cap->conversations.empty()) {
        auto p = parse_profile(r.toml, "fuzz.toml");
        if (!p)
            std::fprintf(stderr, "%s\n%s\n", p.error().message().c_str(), r.toml.c_str());
        FUZZ_CHECK(p);
    }
    return 0;
}
