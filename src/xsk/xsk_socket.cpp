// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "xsk/xsk_socket.hpp"

#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

namespace xdpgen {
namespace {

int bind_once(xsk_socket** xsk, Umem& umem, const XskConfig& cfg, xsk_ring_cons* rx, xsk_ring_prod* tx, bool zc)
{
    xsk_socket_config sc{};
    sc.rx_size = cfg.rx_size;
    sc.tx_size = cfg.tx_size;
    // Our own program steers (libxdp's dispatcher fails to load here).
    sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    // need_wakeup: the kernel tells us when a syscall is needed, so a busy
    // queue runs without one per batch.
    sc.bind_flags = static_cast<uint16_t>((zc ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP);
    // The kernel frees a closed socket's hold on its queue in deferred work:
    // a socket closed just before (a previous run, a test) can keep the
    // queue busy for a moment. Retry EBUSY for up to half a second.
    int r = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        *xsk = nullptr;
        r = xsk_socket__create(xsk, cfg.ifname.c_str(), cfg.queue, umem.handle(), rx, tx, &sc);
        if (r != -EBUSY)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return r;
}

}  // namespace

std::optional<ZeroCopy> parse_zero_copy(std::string_view s)
{
    if (s == "auto")
        return ZeroCopy::Auto;
    if (s == "on")
        return ZeroCopy::On;
    if (s == "off")
        return ZeroCopy::Off;
    return std::nullopt;
}

Result<std::unique_ptr<XskSocket>> XskSocket::create(Umem& umem, const XskConfig& cfg)
{
    const std::string where = fmt::format("{} queue {}", cfg.ifname, cfg.queue);
    std::unique_ptr<XskSocket> s(new XskSocket(umem, cfg));

    int r = -EOPNOTSUPP;
    if (cfg.zero_copy != ZeroCopy::Off) {
        r = bind_once(&s->xsk_, umem, cfg, &s->rx_, &s->tx_, true);
        s->zero_copy_ = r == 0;
        if (r && cfg.zero_copy == ZeroCopy::On) {
            s->xsk_ = nullptr;
            if (r == -EOPNOTSUPP || r == -EINVAL)
                return sys_error(fmt::format("{}: cannot bind an AF_XDP socket in zero-copy mode", where), r,
                                 "the veth driver has no AF_XDP zero-copy; use --zero-copy off/auto");
            return sys_error(fmt::format("{}: cannot bind an AF_XDP socket in zero-copy mode", where), r);
        }
    }
    if (r) {
        s->xsk_ = nullptr;
        r = bind_once(&s->xsk_, umem, cfg, &s->rx_, &s->tx_, false);
        if (r) {
            s->xsk_ = nullptr;
            std::string hint;
            if (r == -EBUSY)
                hint = fmt::format("another AF_XDP socket is bound to {}", where);
            else if (r == -EINVAL)
                hint = fmt::format("does {} have a queue {}? see 'ethtool -l {}'", cfg.ifname, cfg.queue, cfg.ifname);
            else if (r == -ENODEV)
                hint = fmt::format("no interface named {}", cfg.ifname);
            else if (r == -EPERM)
                hint = "run xdpgen as root";
            return sys_error(fmt::format("{}: cannot bind an AF_XDP socket in copy mode", where), r, hint);
        }
    }
    // Half the frames wait in the fill ring for the kernel to receive into;
    // the rest stay on the free stack for sending.
    umem.refill(std::min(umem.config().fill_size, static_cast<uint32_t>(umem.free_frames() / 2)));
    return s;
}

XskSocket::~XskSocket()
{
    if (xsk_)
        xsk_socket__delete(xsk_);
}

size_t XskSocket::rx_batch(std::span<XskDesc> out)
{
    uint32_t idx = 0;
    uint32_t n = xsk_ring_cons__peek(&rx_, static_cast<uint32_t>(out.size()), &idx);
    for (uint32_t i = 0; i < n; i++) {
        const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + i);
        out[i] = {d->addr, d->len};
    }
    return n;
}

void XskSocket::rx_release(std::span<const XskDesc> frames)
{
    if (frames.empty())
        return;
    xsk_ring_cons__release(&rx_, static_cast<uint32_t>(frames.size()));
    for (const XskDesc& d : frames)
        umem_.free(d.addr);
    umem_.refill(static_cast<uint32_t>(frames.size()));
}

Status XskSocket::rx_wakeup()
{
    if (!xsk_ring_prod__needs_wakeup(umem_.fill_ring()))
        return {};
    // A zero-timeout poll is how the kernel is asked to run RX for us.
    pollfd p{fd(), POLLIN, 0};
    if (poll(&p, 1, 0) < 0 && errno != EINTR)
        return sys_error(fmt::format("{} queue {}: poll on the AF_XDP socket", cfg_.ifname, cfg_.queue), errno);
    return {};
}

size_t XskSocket::tx_reserve(std::span<XskDesc> frames)
{
    size_t want = std::min(frames.size(), umem_.free_frames());
    if (want == 0)
        return 0;
    uint32_t n = xsk_ring_prod__reserve(&tx_, static_cast<uint32_t>(want), &tx_reserved_idx_);
    uint64_t addr = 0;
    for (uint32_t i = 0; i < n; i++) {
        umem_.alloc(std::span<uint64_t>(&addr, 1));  // cannot fail: n <= free frames
        frames[i] = {addr, 0};
    }
    return n;
}

Status XskSocket::tx_submit(std::span<const XskDesc> frames)
{
    if (tx_publish(frames) == 0)
        return {};
    return kick_tx();
}

uint32_t XskSocket::tx_publish(std::span<const XskDesc> frames)
{
    // Frames left at len 0 were not needed: their slots are cancelled (the
    // reserve only moved our cached producer index) and the frames go back.
    uint32_t used = 0;
    for (const XskDesc& f : frames) {
        if (f.len == 0) {
            umem_.free(f.addr);
            continue;
        }
        xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, tx_reserved_idx_ + used++);
        d->addr = f.addr;
        d->len = f.len;
        d->options = 0;
    }
    tx_.cached_prod -= static_cast<uint32_t>(frames.size()) - used;
    if (used)
        xsk_ring_prod__submit(&tx_, used);
    return used;
}

Result<XskSocket::TxKick> XskSocket::tx_kick_counted()
{
    if (!xsk_ring_prod__needs_wakeup(&tx_))
        return TxKick::Idle;
    if (sendto(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0)
        return TxKick::Done;
    const int err = errno;
    // Copy mode (net/xdp/xsk.c): EBUSY after the driver returned
    // NET_XMIT_DROP for one frame, which was completed but not sent, and the
    // kick stopped there. In zero-copy EBUSY is only a busy driver.
    if (err == EBUSY)
        return zero_copy_ ? TxKick::Again : TxKick::Dropped;
    if (err == EAGAIN || err == ENOBUFS || err == EINTR)
        return TxKick::Again;
    return sys_error(fmt::format("{} queue {}: AF_XDP transmit kick", cfg_.ifname, cfg_.queue), err,
                     err == ENETDOWN ? "the interface is down" : "");
}

Status XskSocket::kick_tx()
{
    // With need_wakeup the kernel sets the flag only when its TX processing
    // stopped; a sendto() otherwise would be a wasted syscall per batch.
    if (!xsk_ring_prod__needs_wakeup(&tx_))
        return {};
    if (sendto(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0)
        return {};
    // The kernel is busy or out of completion space: it keeps the frames in
    // the ring and sends them on the next kick.
    if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR)
        return {};
    return sys_error(fmt::format("{} queue {}: AF_XDP transmit kick", cfg_.ifname, cfg_.queue), errno,
                     errno == ENETDOWN ? "the interface is down" : "");
}

}  // namespace xdpgen
