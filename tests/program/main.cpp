// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The one Catch2 main of xdpgen_program_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
