// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A profile's text from fuzzer-chosen bytes: a bad one is one error with its
// place (never a crash), and the steps of a good one compile or are refused.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/profile.hpp"
#include "fuzz_check.hpp"

using namespace xdpgen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto p = parse_profile(text, "/nonexistent/fuzz.toml");
    if (!p) {
        FUZZ_CHECK(!p.error().message().empty());
        return 0;
    }
    FUZZ_CHECK(!p->templates.empty() && p->templates.size() <= kMaxTemplates);
    for (const auto& t : p->templates) {
        FUZZ_CHECK(!t.name.empty());
        for (const auto* spec : {t.client ? &*t.client : nullptr, t.server ? &*t.server : nullptr}) {
            if (!spec)
                continue;
            program::ProgramSpec s = *spec;
            if (program::apply_fields(s, t.fields, 4, false))
                (void)program::Program::compile(s);
        }
    }
    return 0;
}
