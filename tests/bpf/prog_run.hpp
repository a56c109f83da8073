// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Running an XDP program on one frame through plain BPF_PROG_RUN: no live
// frames, so nothing is transmitted whatever the verdict; the kernel hands back
// the verdict and the frame as the program left it.

#include <sched.h>

#include <cstdint>
#include <span>
#include <vector>

namespace xdpgen::test {

using Bytes = std::vector<uint8_t>;

struct ProgRun {
    uint32_t retval = 0;  // the XDP verdict (enum xdp_action)
    Bytes out;            // the frame after the program
};

// One run (repeat = 1); a failed syscall fails the test with the errno.
ProgRun run_prog(int prog_fd, std::span<const uint8_t> frame);

// CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads.
uint64_t monotonic_ns();

// How far a program's bpf_ktime_get_ns() may be from monotonic_ns() read just
// before or after the run: the helper reads the NMI-safe fast timekeeper,
// clock_gettime() the regular one, and the two can differ by a little.
inline constexpr uint64_t kClockSlackNs = 1'000'000;

// Per-CPU program state (the blaster's sequence, the stamp's stream) is one
// stream only while every run happens on the same CPU: pin the calling thread
// for the lifetime of the object, then give it back its previous mask.
class CpuPin {
public:
    explicit CpuPin(int cpu);
    ~CpuPin();
    CpuPin(const CpuPin&) = delete;
    CpuPin& operator=(const CpuPin&) = delete;
    int cpu() const { return cpu_; }

private:
    cpu_set_t old_;
    int cpu_;
};

// The highest CPU this thread may run on: a non-zero stream id when the
// machine has several CPUs, so "stream == CPU" is not satisfied by a zero.
int highest_allowed_cpu();

int possible_cpus();
// Reads the values of a per-CPU map at key into out (one value per possible CPU).
void percpu_lookup(int map_fd, uint32_t key, void* out);

// The values of a per-CPU map at key, one per possible CPU. The kernel lays
// them out 8-byte aligned, hence the size rule.
template <typename T>
std::vector<T> percpu_values(int map_fd, uint32_t key)
{
    static_assert(sizeof(T) % 8 == 0, "per-CPU values are padded to 8 bytes");
    std::vector<T> v(static_cast<size_t>(possible_cpus()));
    percpu_lookup(map_fd, key, v.data());
    return v;
}

}  // namespace xdpgen::test
