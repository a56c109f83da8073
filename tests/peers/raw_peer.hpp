// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What the independent references (xg_xsk_pingpong, xg_live_sender) share:
// stop flags and their signal handler, clocks, raw BPF instructions, an
// interface's MAC, number parsing. Syscalls and libc only: nothing of
// xdpgen's (they stop being references if they include src/).

#include <linux/bpf.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace raw_peer {

inline std::atomic<bool> g_stop{false};         // the run ends
inline std::atomic<bool> g_interrupted{false};  // by SIGINT / SIGTERM

inline void on_signal(int)
{
    g_interrupted.store(true, std::memory_order_relaxed);
    g_stop.store(true, std::memory_order_relaxed);
}

inline double now_s()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// User + system time of the calling thread.
inline double thread_cpu_s()
{
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

inline bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

inline bool read_mac(const std::string& ifn, uint8_t* mac, std::string& err)
{
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifn.c_str());
    const int rc = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
    const int e = errno;
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        err = "MAC address of " + ifn + ": " + std::strerror(e);
        return false;
    }
    std::memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
    return true;
}

// A decimal in [lo, hi], nothing else (no sign, no trailing bytes).
inline bool parse_uint(const char* s, unsigned long lo, unsigned long hi, unsigned long& out)
{
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi || *s == '-')
        return false;
    out = v;
    return true;
}

// "0,1,3": CPU numbers, each below CPU_SETSIZE.
inline bool parse_cpu_list(const char* arg, std::vector<int>& cpus)
{
    cpus.clear();
    const std::string s = arg;
    for (size_t at = 0;;) {
        const size_t comma = s.find(',', at);
        const std::string item = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        unsigned long v;
        if (!parse_uint(item.c_str(), 0, CPU_SETSIZE - 1, v))
            return false;
        cpus.push_back(static_cast<int>(v));
        if (comma == std::string::npos)
            return true;
        at = comma + 1;
    }
}

// The interface's counters, as the kernel keeps them (netlink through
// getifaddrs), in the calling thread's network namespace.
inline bool link_stats(const std::string& ifname, rtnl_link_stats& out)
{
    ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) != 0)
        return false;
    bool found = false;
    for (ifaddrs* a = ifa; a != nullptr && !found; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_PACKET || a->ifa_data == nullptr ||
            ifname != a->ifa_name)
            continue;
        out = *static_cast<const rtnl_link_stats*>(a->ifa_data);
        found = true;
    }
    freeifaddrs(ifa);
    return found;
}

}  // namespace raw_peer
