// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <catch2/catch.hpp>

#include "cli/segment_plan.hpp"

using namespace xdpgen;

TEST_CASE("segment plan: the usual MTU fits 2048-byte frames", "[segment-plan]")
{
    const SegmentPlan p = plan_segments(1460, 1500, false);
    CHECK(p.mss == 1460);
    CHECK(p.frame_size == 2048);
    CHECK(p.note.empty());
    CHECK(plan_segments(1460, 1500, true).mss == 1440);  // capped by the MTU, quietly
}

TEST_CASE("segment plan: a 3000 MTU takes 4096-byte frames", "[segment-plan]")
{
    const SegmentPlan p = plan_segments(2960, 3000, false);
    CHECK(p.mss == 2960);
    CHECK(p.frame_size == 4096);
    CHECK(p.note.empty());
    // Received: 14 + 20 + 20 + 2960 bytes after 256 of headroom, in 4096.
    CHECK(14 + 20 + 20 + p.mss + 256 <= 4096);
}

TEST_CASE("segment plan: a jumbo MSS is lowered to what one frame holds, with a note", "[segment-plan]")
{
    const SegmentPlan p4 = plan_segments(8960, 9000, false);
    CHECK(p4.frame_size == 4096);
    CHECK(p4.mss == 4096 - 256 - 54);
    CHECK(p4.note.find("--mss 8960 lowered to 3786") == 0);
    const SegmentPlan p6 = plan_segments(8940, 9000, true);
    CHECK(p6.mss == 4096 - 256 - 74);
}
