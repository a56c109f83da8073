// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "util/read_file.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

namespace xdpgen {

Result<std::string> read_whole_file(const std::string& what, const std::string& path)
{
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f)
        return sys_error(what + ": cannot open " + path, errno);
    std::string data;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0)
        data.append(buf, n);
    if (std::ferror(f.get()))
        return sys_error(what + ": cannot read " + path, errno ? errno : EIO);
    return data;
}

}  // namespace xdpgen
