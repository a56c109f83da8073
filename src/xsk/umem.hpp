// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The memory an AF_XDP socket receives into and sends from: N frames of 2048
// or 4096 bytes, mapped once and registered with the kernel, with its fill
// and completion rings and a stack of the frames userspace currently owns.
// Nothing on the packet path allocates: frames move between the stack and the
// rings as 64-bit offsets.

#include <xdp/xsk.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace xdpgen {

struct UmemConfig {
    uint32_t frame_count = 4096;
    uint32_t frame_size = 2048;  // 2048 or 4096: the kernel's chunk sizes in aligned mode
    uint32_t fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;  // powers of two
    uint32_t comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
};

class Umem {
public:
    // Heap-allocated and pinned: libxdp keeps pointers to the rings inside.
    // `where` names the interface and queue in errors ("veth0 queue 1").
    static Result<std::unique_ptr<Umem>> create(const UmemConfig& cfg, const std::string& where);
    ~Umem();
    Umem(const Umem&) = delete;
    Umem& operator=(const Umem&) = delete;

    xsk_umem* handle() const { return umem_; }
    xsk_ring_prod* fill_ring() { return &fill_; }
    xsk_ring_cons* comp_ring() { return &comp_; }
    const UmemConfig& config() const { return cfg_; }

    uint8_t* data(uint64_t addr) const { return area_ + addr; }

    // The free-frame stack: frames neither in a ring nor held by the caller.
    size_t free_frames() const { return free_.size(); }
    // Pops up to out.size() frames; returns how many.
    size_t alloc(std::span<uint64_t> out);
    void free(uint64_t addr) { free_.push_back(addr & ~uint64_t(cfg_.frame_size - 1)); }

    // Moves up to `max` free frames into the fill ring (for the kernel to
    // receive into); returns how many went.
    uint32_t refill(uint32_t max);
    // Takes sent frames back from the completion ring onto the free stack.
    uint32_t reap_completions();

private:
    Umem() = default;

    UmemConfig cfg_;
    uint8_t* area_ = nullptr;
    size_t area_size_ = 0;
    xsk_umem* umem_ = nullptr;
    xsk_ring_prod fill_{};
    xsk_ring_cons comp_{};
    std::vector<uint64_t> free_;  // reserved to frame_count: push_back never allocates
};

}  // namespace xdpgen
