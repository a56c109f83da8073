// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Ownership of bpftool-generated skeletons, and loading them with errors a user can act on.

#include <memory>
#include <string>

#include "util/result.hpp"

namespace xdpgen {

template <typename Skel>
struct SkelDeleter {
    void operator()(Skel* s) const { Skel::destroy(s); }
};
template <typename Skel>
using SkelPtr = std::unique_ptr<Skel, SkelDeleter<Skel>>;

// Routes libbpf's own log to stderr only with --verbose.
void bpf_set_verbose(bool verbose);

// The error for a failed skeleton load (what = "cannot load the UDP blaster").
Error bpf_load_error(const std::string& what, int err);

template <typename Skel>
Result<SkelPtr<Skel>> skel_open(const char* what)
{
    SkelPtr<Skel> s(Skel::open());
    if (!s)
        return bpf_load_error(what, errno);
    return s;
}

template <typename Skel>
Status skel_load(SkelPtr<Skel>& s, const char* what)
{
    int r = Skel::load(s.get());
    if (r)
        return bpf_load_error(what, r);
    return {};
}

}  // namespace xdpgen
