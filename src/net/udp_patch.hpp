// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Per-packet patching of a UDP template frame in userspace: what
// bpf/udp_blast.bpf.c does per repetition, for senders that build frames
// themselves (the AF_XDP path of `xdpgen udp`).
//
// A frame is a copy of UdpTemplate::frame, written once; each packet then
// rewrites only what varies (destination port, IPv4 id, the stamp) and both
// checksums, which are the template's base sums plus the words written. The
// frame may hold an earlier packet's values (UMEM frames are reused as they
// come back from the completion ring): every varied field is written in full
// and no checksum is read from the frame.

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "net/checksum.hpp"
#include "net/udp_frame.hpp"
#include "xdpgen/abi.h"

namespace xdpgen {

// One sending stream's state: sequence, port cursor, cached clock reading.
class UdpStamper {
public:
    UdpStamper(const UdpTemplate& t, bool v6, uint16_t port_base, uint16_t port_count, uint8_t stream,
               uint16_t run_id, uint32_t ts_every)
        : udp_base_(t.udp_csum_base),
          ip_base_(t.ip_csum_base),
          v6_(v6),
          udp_off_(kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr)),
          port_base_(port_base),
          port_count_(port_count ? port_count : 1),
          ts_every_(ts_every ? ts_every : 1)
    {
        const xg_stamp h{XG_STAMP_MAGIC, stream, run_id, 0, 0};
        std::memcpy(&head_, &h, sizeof(head_));
    }

    uint64_t next_seq() const { return seq_; }

    // Writes the next packet into frame. now() gives CLOCK_MONOTONIC ns; it is
    // called once per ts_every packets.
    template <typename Clock>
    void stamp(uint8_t* frame, Clock&& now)
    {
        if (ts_left_ == 0) {
            ts_ = now();
            ts_left_ = ts_every_;
        }
        ts_left_--;
        const uint16_t port = static_cast<uint16_t>(port_base_ + cursor_);
        if (++cursor_ >= port_count_)
            cursor_ = 0;
        write(frame, port, static_cast<uint32_t>(seq_++), ts_);
    }

    // The fields of one packet, as bpf/udp_blast.bpf.c writes them.
    void write(uint8_t* frame, uint16_t port, uint32_t seq, uint64_t ts) const
    {
        uint8_t* udp = frame + udp_off_;
        if (!v6_) {
            uint8_t* ip = frame + kEthHdr;
            const uint16_t id = htons(static_cast<uint16_t>(seq));
            std::memcpy(ip + 4, &id, 2);
            const uint16_t check = static_cast<uint16_t>(~fold(uint64_t{ip_base_} + id));
            std::memcpy(ip + 10, &check, 2);
        }
        const uint16_t dport = htons(port);
        std::memcpy(udp + 2, &dport, 2);
        uint8_t* st = udp + kUdpHdr;
        std::memcpy(st, &head_, 4);
        std::memcpy(st + 4, &seq, 4);
        std::memcpy(st + 8, &ts, 8);
        // The one's complement sum of the written words, in 32-bit words
        // (RFC 1071: any word size whose carries are folded back; the stamp
        // is 4-byte aligned relative to the UDP header).
        const uint64_t sum = uint64_t{udp_base_} + dport + head_ + seq + static_cast<uint32_t>(ts) +
                             static_cast<uint32_t>(ts >> 32);
        uint16_t check = static_cast<uint16_t>(~fold(sum));
        if (check == 0)
            check = 0xffff;  // RFC 768: zero means "no checksum"
        std::memcpy(udp + 6, &check, 2);
    }

private:
    static uint16_t fold(uint64_t s)
    {
        s = (s & 0xffffffff) + (s >> 32);
        s = (s & 0xffffffff) + (s >> 32);
        s = (s & 0xffff) + (s >> 16);
        s = (s & 0xffff) + (s >> 16);
        return static_cast<uint16_t>(s);
    }

    uint32_t udp_base_, ip_base_;
    bool v6_;
    size_t udp_off_;
    uint16_t port_base_, port_count_;
    uint32_t ts_every_;
    uint32_t head_ = 0;
    uint64_t seq_ = 0;
    uint64_t ts_ = 0;
    uint32_t ts_left_ = 0;
    uint32_t cursor_ = 0;
};

// The benchmark baseline (--raw): the template made a complete frame once,
// destination port spec.dst_port, IPv4 id and stamp zero, valid checksums.
inline void udp_finish_static_frame(std::vector<uint8_t>& frame, const UdpTemplate& t, const UdpFrameSpec& spec)
{
    uint8_t* l3 = frame.data() + kEthHdr;
    uint8_t* udp = l3 + (spec.dst.v6 ? kIpv6Hdr : kIpv4Hdr);
    const uint16_t port = htons(spec.dst_port);
    std::memcpy(udp + 2, &port, 2);
    if (!spec.dst.v6) {
        const uint16_t c = csum_finish(t.ip_csum_base);
        std::memcpy(l3 + 10, &c, 2);
    }
    uint16_t c = csum_finish(uint64_t{t.udp_csum_base} + port);
    if (c == 0)
        c = 0xffff;
    std::memcpy(udp + 6, &c, 2);
}

}  // namespace xdpgen
