// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "bpf/skel.hpp"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>

namespace xdpgen {
namespace {

bool g_verbose = false;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args)
{
    (void)level;
    if (!g_verbose)  // failures become one sentence of ours; the raw log only on request
        return 0;
    return vfprintf(stderr, fmt, args);
}

}  // namespace

void bpf_set_verbose(bool verbose)
{
    g_verbose = verbose;
    libbpf_set_print(libbpf_print);
}

Error bpf_load_error(const std::string& what, int err)
{
    err = err < 0 ? -err : err;
    if (err == EPERM || err == EACCES)
        return sys_error(what, err, "run xdpgen as root (it needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)");
    return sys_error(what, err, "run with --verbose to see the kernel's verifier log");
}

}  // namespace xdpgen
