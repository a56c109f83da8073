// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The one Catch2 main of xdpgen_unit; kept alone so the heavy Catch2
// implementation compiles once, not with every test file.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
