// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A worker's local (address, port) pairs towards one destination, handed out
// oldest-released first, with a quarantine for pairs the peer may still
// hold in TIME-WAIT.
//
// Why a quarantine: when the peer closes first it keeps the 4-tuple in
// TIME-WAIT (60 s on Linux) and a new SYN on that tuple could be taken for
// an old duplicate or refused. When we close first the TIME-WAIT is ours:
// the flow itself stays in the table until it ends, and the pair is free as
// soon as it is released. Releases into the quarantine come with the same
// delay, so a FIFO keeps them in time order.

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace xdpgen::engine {

class PortPool {
public:
    // Pairs are (address index, port) for addr_count addresses and the
    // ports of port_lo..port_hi with port % stride == offset (a worker's
    // share: see engine/handoff.hpp), packed as addr << 16 | port. The initial order
    // alternates addresses so that a run that needs only a few pairs still
    // uses every address. rotate: where in that order to begin, so that
    // back-to-back runs do not start on the pairs the last run just left in
    // the peer's TIME-WAIT.
    PortPool(uint32_t addr_count, uint16_t port_lo, uint16_t port_hi, uint64_t quarantine_ns, uint64_t rotate = 0,
             uint32_t stride = 1, uint32_t offset = 0);

    static uint32_t addr_of(uint32_t pair) { return pair >> 16; }
    static uint16_t port_of(uint32_t pair) { return static_cast<uint16_t>(pair); }

    // A pair usable at `now`, false if none.
    bool acquire(uint64_t now, uint32_t& pair);
    // Back into the pool; quarantined = the peer may hold it in TIME-WAIT.
    void release(uint32_t pair, uint64_t now, bool quarantined);

    // The local ports the host's kernel owns connections on (bit p of word
    // p / 64, written by the steering program as it sees them; see
    // Steering::kernel_ports): a pair on such a port is dropped from the pool
    // when its turn comes, so the engine does not open a connection on a
    // 4-tuple the kernel may hold. Process-wide, as the kernel's sockets
    // are: one engine sets it for its run and clears it (nullptr) after.
    static void set_kernel_ports(const uint64_t* bits);
    // Clears it if it is still `bits`.
    static void unset_kernel_ports(const uint64_t* bits);
    // Pairs dropped so, by every pool of the process.
    static uint64_t kernel_ports_skipped();

    size_t total() const { return total_; }
    size_t available(uint64_t now);
    size_t quarantined() const { return q_count_; }

private:
    void expire(uint64_t now);

    // 8 bytes: `until` in ms after base_ns_ (49 days of range). A pair
    // costs its free_ entry; the quarantine ring is left uninitialised, so
    // its pages become resident only as far as quarantines reach.
    struct Held {
        uint32_t pair;
        uint32_t until_ms;
    };
    uint64_t until_ns(const Held& h) const { return base_ns_ + uint64_t(h.until_ms) * 1'000'000; }

    std::vector<uint32_t> free_;  // ring, capacity total_
    size_t f_head_ = 0, f_count_ = 0;
    std::unique_ptr<Held[]> q_;   // ring, capacity total_, `until_ms` nondecreasing
    size_t q_head_ = 0, q_count_ = 0;
    size_t total_;
    uint64_t quarantine_ns_;
    uint64_t base_ns_ = 0;
    bool based_ = false;
};

}  // namespace xdpgen::engine
