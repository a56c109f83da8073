// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_probe_pass / xg_probe_drop (bpf/probe.bpf.c): fixed verdicts whatever the
// frame, which 'xdpgen probe' relies on to test attach and live frames safely.

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <catch2/catch.hpp>

#include "frame_builder.hpp"
#include "prog_run.hpp"
#include "programs.hpp"

using namespace xdpgen;
using namespace xdpgen::test;

TEST_CASE("probe programs return their fixed verdict and leave the frame alone", "[probe]")
{
    auto skel = load_probe();
    const std::vector<Bytes> frames = {
        Bytes(64, 0),  // what check_live_frames hands the drop program
        arp_request(ip("10.0.0.1"), ip("10.0.0.2")),
        ipv6_frame({ip("fd00::1"), ip("fd00::2")}, udp_segment(1, 2, Bytes(30, 0xab))),
    };
    const struct {
        const char* name;
        bpf_program* prog;
        uint32_t verdict;
    } progs[] = {
        {"xg_probe_pass", skel->progs.xg_probe_pass, XDP_PASS},
        {"xg_probe_drop", skel->progs.xg_probe_drop, XDP_DROP},
    };
    for (const auto& p : progs) {
        DYNAMIC_SECTION(p.name)
        {
            for (const auto& f : frames) {
                const ProgRun r = run_prog(bpf_program__fd(p.prog), f);
                CHECK(r.retval == p.verdict);
                CHECK(r.out == f);
            }
        }
    }
}
