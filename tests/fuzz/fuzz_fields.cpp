// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A profile's texts with ${...} fields, from fuzzer-chosen bytes: parsing
// never crashes, and a text that parses renders to exactly its size for any
// connection, every slice equal to the same bytes of the whole (what lazy
// TX relies on: a retransmission regenerates the same bytes).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_check.hpp"
#include "program/fields.hpp"

using namespace xdpgen;
using namespace xdpgen::program;

namespace {

const FieldDefs& defs()
{
    static const FieldDefs d = [] {
        FieldDefs x;
        (void)x.add("id", parse_field_def("counter 7").value());
        (void)x.add("ua", parse_field_def("list a|bbb|cc pad=_").value());
        (void)x.add("r", parse_field_def("random 5 123456").value());
        (void)x.add("pick", parse_field_def("list-random x|yy").value());
        return x;
    }();
    return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const uint32_t max_requests = data[0];
    const bool v6 = data[1] & 1;
    const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
    auto t = FieldText::parse(text, defs(), max_requests, v6);
    if (!t)
        return 0;
    for (uint64_t conn : {uint64_t(0), uint64_t(41), uint64_t(9'999'999'999)}) {
        FieldContext c;
        c.conn = conn;
        c.request = conn % 5;
        c.seed = size;
        c.local_port = static_cast<uint16_t>(conn);
        c.local_addr.v6 = v6;
        c.remote_addr.v6 = !v6;
        const std::string all = t->render_all(c);
        FUZZ_CHECK(all.size() == t->size());
        for (size_t off = 0; off < all.size(); off += 1 + off / 3) {
            std::string part(std::min<size_t>(7, all.size() - off), '\0');
            t->render(c, off, {reinterpret_cast<uint8_t*>(part.data()), part.size()});
            FUZZ_CHECK(part == all.substr(off, part.size()));
        }
    }
    return 0;
}
