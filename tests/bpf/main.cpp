// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Catch2's own main: this tier has no options of its own.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
