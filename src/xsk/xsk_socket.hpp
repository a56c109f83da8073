// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// One AF_XDP socket bound to one queue of an interface, receiving into and
// sending from its own Umem. The socket loads no XDP program
// (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD): Steering attaches ours and puts the
// socket into its XSKMAP. Batch APIs only; nothing allocates per packet.

#include <xdp/xsk.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"
#include "xsk/umem.hpp"

namespace xdpgen {

enum class ZeroCopy { Auto, On, Off };

std::optional<ZeroCopy> parse_zero_copy(std::string_view s);

struct XskConfig {
    std::string ifname;
    uint32_t queue = 0;
    ZeroCopy zero_copy = ZeroCopy::Auto;
    uint32_t rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;  // powers of two
    uint32_t tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;
};

// A received frame, or one to send: an offset into the Umem and a length.
struct XskDesc {
    uint64_t addr = 0;
    uint32_t len = 0;
};

class XskSocket {
public:
    // umem must outlive the socket (declare it before the socket).
    static Result<std::unique_ptr<XskSocket>> create(Umem& umem, const XskConfig& cfg);
    ~XskSocket();
    XskSocket(const XskSocket&) = delete;
    XskSocket& operator=(const XskSocket&) = delete;

    int fd() const { return xsk_socket__fd(xsk_); }
    uint32_t queue() const { return cfg_.queue; }
    bool zero_copy() const { return zero_copy_; }
    Umem& umem() { return umem_; }

    // --- receive ---
    // Copies up to out.size() received descriptors; the frames stay owned by
    // the caller until rx_release(). Returns how many.
    size_t rx_batch(std::span<XskDesc> out);
    // Gives back the n frames of the last rx_batch: their ring slots to the
    // kernel, the frames to the fill ring (through the free stack).
    void rx_release(std::span<const XskDesc> frames);

    // --- send ---
    // Reserves up to frames.size() TX slots and as many free frames; fills
    // frames[i].addr; the caller writes each frame in place at
    // umem().data(addr) and sets len. Returns how many were reserved.
    size_t tx_reserve(std::span<XskDesc> frames);
    // Publishes the frames of the last tx_reserve (all of them, in order);
    // those left at len 0 are cancelled and go back to the free stack. Kicks
    // the kernel only if it asked for it (need_wakeup).
    Status tx_submit(std::span<const XskDesc> frames);
    // Asks the kernel to send what is in the TX ring, if it wants asking
    // (need_wakeup). Copy mode sends a bounded batch per kick: kick again
    // while frames are outstanding.
    Status kick_tx();
    // As tx_submit, without the kick (the caller kicks with
    // tx_kick_counted). Returns how many frames were published.
    uint32_t tx_publish(std::span<const XskDesc> frames);
    // What one transmit kick did.
    enum class TxKick {
        Idle,     // the kernel did not ask for a kick (need_wakeup clear)
        Done,     // it sent what was in the ring
        Again,    // it stopped early (batch budget, full completion ring, busy queue): kick again
        Dropped,  // copy mode: the driver dropped one frame (NET_XMIT_DROP); it still completes
    };
    // One kick when the kernel asks for it (need_wakeup), with its outcome,
    // for senders that count what the driver refused.
    Result<TxKick> tx_kick_counted();
    // Frames the kernel has sent go back to the free stack. Returns how many.
    uint32_t tx_complete() { return umem_.reap_completions(); }

    // Wakes the kernel's RX processing if it asked for it (need_wakeup on
    // the fill ring); call when rx_batch finds nothing.
    Status rx_wakeup();

private:
    XskSocket(Umem& umem, const XskConfig& cfg) : umem_(umem), cfg_(cfg) {}

    Umem& umem_;
    XskConfig cfg_;
    xsk_socket* xsk_ = nullptr;
    xsk_ring_cons rx_{};
    xsk_ring_prod tx_{};
    uint32_t tx_reserved_idx_ = 0;
    bool zero_copy_ = false;
};

}  // namespace xdpgen
