// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "util/result.hpp"

#include <cstring>

namespace xdpgen {

std::string Error::message() const
{
    if (err == 0)
        return what;
    return what + ": " + std::strerror(err);
}

Error Error::context(const std::string& ctx) const&
{
    Error e = *this;
    e.what = ctx + ": " + what;
    return e;
}

Error make_error(std::string what, int err, std::string hint)
{
    return Error{std::move(what), err, std::move(hint)};
}

Error sys_error(std::string what, int neg_or_errno, std::string hint)
{
    int e = neg_or_errno < 0 ? -neg_or_errno : neg_or_errno;
    return Error{std::move(what), e, std::move(hint)};
}

}  // namespace xdpgen
