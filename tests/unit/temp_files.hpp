// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A test's own directory under /tmp, removed with it, and a file's bytes.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace xdpgen::test {

struct TempDir {
    std::string path;
    explicit TempDir(const std::string& what)
    {
        std::string t = "/tmp/xdpgen_unit_" + what + "_XXXXXX";
        REQUIRE(mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

inline std::string slurp(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace xdpgen::test
