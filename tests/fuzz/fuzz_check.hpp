// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The fuzz targets' assertion: a broken invariant must crash (libFuzzer then
// keeps the input), with a line saying which one, also in release builds.

#include <cstdio>

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            __builtin_trap();                                                              \
        }                                                                                  \
    } while (0)
