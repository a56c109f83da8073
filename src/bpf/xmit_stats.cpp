// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "bpf/xmit_stats.hpp"

#include <sys/stat.h>

namespace xdpgen {

SkelPtr<xg_xmit_stats> open_xmit_stats(int ifindex)
{
    SkelPtr<xg_xmit_stats> x(xg_xmit_stats::open());
    if (!x)
        return nullptr;
    x->rodata->watch_ifindex = ifindex;
    // The namespace's inode is what the kernel's ns.inum holds; without it
    // (no procfs) any namespace's interface of that ifindex is counted.
    struct stat st{};
    if (stat("/proc/thread-self/ns/net", &st) == 0)
        x->rodata->watch_netns_ino = static_cast<__u32>(st.st_ino);
    if (xg_xmit_stats::load(x.get()) || xg_xmit_stats::attach(x.get()))
        return nullptr;
    return x;
}

}  // namespace xdpgen
