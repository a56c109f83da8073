// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The server's next-hop MAC table: one entry per distinct MAC, shared by
// reference, gone with its last flow, ids reused.

#include <catch2/catch.hpp>

#include "engine/mac_table.hpp"

using xdpgen::MacAddr;
using xdpgen::engine::MacTable;

namespace {

MacAddr mac(uint8_t last)
{
    MacAddr m;
    m.b = {0x02, 0, 0, 0, 0, last};
    return m;
}

}  // namespace

TEST_CASE("mac table: equal MACs share an id, entries go with their last reference", "[mac]")
{
    MacTable t;
    const uint32_t a = t.acquire(mac(1));
    const uint32_t a2 = t.acquire(mac(1));
    const uint32_t b = t.acquire(mac(2));
    CHECK(a == a2);
    CHECK(a != b);
    CHECK(t.size() == 2);
    CHECK(t[a] == mac(1));
    CHECK(t[b] == mac(2));

    t.release(a);
    CHECK(t.size() == 2);  // one flow still uses it
    CHECK(t[a] == mac(1));
    t.release(a2);
    CHECK(t.size() == 1);

    // The freed id is reused for the next new MAC; the old MAC is new again.
    const uint32_t c = t.acquire(mac(3));
    CHECK(c == a);
    CHECK(t[c] == mac(3));
    const uint32_t d = t.acquire(mac(1));
    CHECK(d != a);
    CHECK(t[d] == mac(1));
    CHECK(t.size() == 3);
}

TEST_CASE("mac table: many made-up MACs leave nothing behind once their flows are gone", "[mac]")
{
    MacTable t;
    for (int round = 0; round < 3; round++) {
        std::vector<uint32_t> ids;
        for (int i = 0; i < 1000; i++) {
            MacAddr m;
            m.b = {0x02, uint8_t(round), 0, 0, uint8_t(i >> 8), uint8_t(i)};
            ids.push_back(t.acquire(m));
        }
        CHECK(t.size() == 1000);
        for (uint32_t id : ids)
            CHECK(id < 1000);  // ids are reused, not grown, from round to round
        for (uint32_t id : ids)
            t.release(id);
        CHECK(t.size() == 0);
    }
}
