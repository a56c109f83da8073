// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "prog_run.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace xdpgen::test {

ProgRun run_prog(int prog_fd, std::span<const uint8_t> frame)
{
    // A page: more than any XDP test frame can be (the kernel caps the input
    // at a page minus headroom), so the output is never cut short (ENOSPC).
    ProgRun r;
    r.out.resize(4096);
    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.data_out = r.out.data();
    opts.data_size_out = static_cast<uint32_t>(r.out.size());
    opts.repeat = 1;
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
        const int err = errno;
        FAIL(fmt::format("BPF_PROG_RUN of a {}-byte frame failed: {}", frame.size(), std::strerror(err)));
    }
    r.retval = opts.retval;
    r.out.resize(opts.data_size_out);
    return r;
}

uint64_t monotonic_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

CpuPin::CpuPin(int cpu) : cpu_(cpu)
{
    CPU_ZERO(&old_);
    REQUIRE(sched_getaffinity(0, sizeof(old_), &old_) == 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0);
}

CpuPin::~CpuPin() { sched_setaffinity(0, sizeof(old_), &old_); }

int highest_allowed_cpu()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(0, sizeof(set), &set) == 0);
    for (int c = CPU_SETSIZE - 1; c >= 0; c--)
        if (CPU_ISSET(c, &set))
            return c;
    return 0;
}

int possible_cpus() { return std::max(libbpf_num_possible_cpus(), 1); }

void percpu_lookup(int map_fd, uint32_t key, void* out)
{
    if (bpf_map_lookup_elem(map_fd, &key, out) != 0) {
        const int err = errno;
        FAIL(fmt::format("lookup of key {} failed: {}", key, std::strerror(err)));
    }
}

}  // namespace xdpgen::test
