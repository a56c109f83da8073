// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "xsk/umem.hpp"

#include <sys/mman.h>

#include <algorithm>

#include <fmt/format.h>

namespace xdpgen {
namespace {

bool pow2(uint32_t v) { return v && !(v & (v - 1)); }

}  // namespace

Result<std::unique_ptr<Umem>> Umem::create(const UmemConfig& cfg, const std::string& where)
{
    if (cfg.frame_size != 2048 && cfg.frame_size != 4096)
        return make_error(fmt::format("{}: UMEM frame size {} is not supported", where, cfg.frame_size), 0,
                          "use 2048 or 4096");
    if (cfg.frame_count == 0 || !pow2(cfg.fill_size) || !pow2(cfg.comp_size))
        return make_error(fmt::format("{}: UMEM needs frames and power-of-two ring sizes", where));

    std::unique_ptr<Umem> u(new Umem());
    u->cfg_ = cfg;
    u->area_size_ = size_t(cfg.frame_count) * cfg.frame_size;
    void* area = mmap(nullptr, u->area_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return sys_error(fmt::format("{}: cannot map {} bytes for the UMEM", where, u->area_size_), errno,
                         "use fewer or smaller frames");
    u->area_ = static_cast<uint8_t*>(area);

    xsk_umem_config ucfg{};
    ucfg.fill_size = cfg.fill_size;
    ucfg.comp_size = cfg.comp_size;
    ucfg.frame_size = cfg.frame_size;
    ucfg.frame_headroom = 0;
    ucfg.flags = 0;
    int r = xsk_umem__create(&u->umem_, u->area_, u->area_size_, &u->fill_, &u->comp_, &ucfg);
    if (r) {
        u->umem_ = nullptr;
        return sys_error(fmt::format("{}: cannot register the UMEM ({} frames of {} bytes)", where, cfg.frame_count,
                                     cfg.frame_size),
                         r,
                         r == -ENOMEM || r == -EPERM ? "the UMEM is pinned memory: run as root (CAP_IPC_LOCK) or use fewer frames"
                                                     : "");
    }
    u->free_.reserve(cfg.frame_count);
    // Pushed in reverse so the first frames are handed out first.
    for (uint32_t i = cfg.frame_count; i-- > 0;)
        u->free_.push_back(uint64_t(i) * cfg.frame_size);
    return u;
}

Umem::~Umem()
{
    if (umem_)
        xsk_umem__delete(umem_);
    if (area_)
        munmap(area_, area_size_);
}

size_t Umem::alloc(std::span<uint64_t> out)
{
    size_t n = std::min(out.size(), free_.size());
    for (size_t i = 0; i < n; i++) {
        out[i] = free_.back();
        free_.pop_back();
    }
    return n;
}

uint32_t Umem::refill(uint32_t max)
{
    uint32_t n = std::min<uint64_t>(max, free_.size());
    if (n == 0)
        return 0;
    uint32_t idx = 0;
    n = xsk_ring_prod__reserve(&fill_, n, &idx);
    for (uint32_t i = 0; i < n; i++) {
        *xsk_ring_prod__fill_addr(&fill_, idx + i) = free_.back();
        free_.pop_back();
    }
    if (n)
        xsk_ring_prod__submit(&fill_, n);
    return n;
}

uint32_t Umem::reap_completions()
{
    uint32_t idx = 0;
    uint32_t n = xsk_ring_cons__peek(&comp_, cfg_.comp_size, &idx);
    for (uint32_t i = 0; i < n; i++)
        free(*xsk_ring_cons__comp_addr(&comp_, idx + i));
    if (n)
        xsk_ring_cons__release(&comp_, n);
    return n;
}

}  // namespace xdpgen
