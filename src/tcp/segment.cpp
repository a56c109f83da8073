// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tcp/segment.hpp"

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"

namespace xdpgen::tcp {

namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v)
{
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

enum : uint8_t { kOptEnd = 0, kOptNop = 1, kOptMss = 2, kOptWs = 3, kOptSackOk = 4, kOptSack = 5, kOptTs = 8 };

// Bytes of each option group as write_tcp_header lays them out; every group
// is a multiple of 4 so no trailing padding is needed.
struct OptLayout {
    size_t fixed = 0;      // everything but SACK blocks
    size_t sack_blocks = 0;
    size_t total() const { return fixed + (sack_blocks ? 4 + 8 * sack_blocks : 0); }
};

OptLayout layout(const TcpOptions& o)
{
    OptLayout l;
    if (o.mss)
        l.fixed += 4;
    if (o.has_ts)
        l.fixed += 12;  // SACK-permitted rides in the TS group's two pad bytes
    else if (o.sack_permitted)
        l.fixed += 4;
    if (o.wscale >= 0)
        l.fixed += 4;
    // SACK blocks that fit in what is left of the 40 bytes (RFC 2018 §3:
    // "at most 3 SACK blocks" alongside timestamps).
    size_t room = kTcpMaxOpt > l.fixed + 4 ? (kTcpMaxOpt - l.fixed - 4) / 8 : 0;
    l.sack_blocks = std::min<size_t>({o.sack_count, room, kMaxSackBlocks});
    return l;
}

}  // namespace

uint32_t tcp_pseudo_sum(const IpAddr& src, const IpAddr& dst, uint32_t tcp_len)
{
    return csum_pseudo_header(src, dst, kIpProtoTcp, tcp_len);
}

CsumVerdict tcp_csum_verdict(std::span<const uint8_t> l4, uint32_t pseudo_sum)
{
    if (l4.size() < kTcpHdr)
        return CsumVerdict::Bad;
    if (csum_fold(uint64_t(csum_partial(l4.data(), l4.size(), 0)) + pseudo_sum) == 0xffff)
        return CsumVerdict::Valid;
    uint16_t field;
    std::memcpy(&field, &l4[16], 2);  // memory order, as the sums
    return field == csum_fold(pseudo_sum) ? CsumVerdict::Offloaded : CsumVerdict::Bad;
}

ParsedTcp parse_tcp(std::span<const uint8_t> l4, bool verify_csum, uint32_t pseudo_sum)
{
    ParsedTcp r;
    if (l4.size() < kTcpHdr)
        return r;
    const uint8_t* p = l4.data();
    size_t hlen = size_t(p[12] >> 4) * 4;
    if (hlen < kTcpHdr) {
        r.status = ParseStatus::BadOffset;
        return r;
    }
    if (hlen > l4.size())
        return r;
    if (verify_csum && csum_fold(uint64_t(csum_partial(p, l4.size(), 0)) + pseudo_sum) != 0xffff) {
        r.status = ParseStatus::BadChecksum;
        return r;
    }
    Segment& s = r.seg;
    s.src_port = get16(p);
    s.dst_port = get16(p + 2);
    s.seq = SeqNum(get32(p + 4));
    s.ack = SeqNum(get32(p + 8));
    s.flags = p[13];
    s.window = get16(p + 14);
    s.urgent = get16(p + 18);
    s.payload_len = static_cast<uint32_t>(l4.size() - hlen);
    r.payload = l4.subspan(hlen);

    const uint8_t* o = p + kTcpHdr;
    const uint8_t* end = p + hlen;
    while (o < end) {
        uint8_t kind = o[0];
        if (kind == kOptEnd)
            break;
        if (kind == kOptNop) {
            ++o;
            continue;
        }
        if (end - o < 2 || o[1] < 2 || o[1] > end - o) {
            r.status = ParseStatus::BadOption;
            return r;
        }
        uint8_t len = o[1];
        switch (kind) {
        case kOptMss:
            if (len == 4)
                s.opt.mss = get16(o + 2);
            break;
        case kOptWs:
            // RFC 7323 §2.3: a shift above 14 is used as 14.
            if (len == 3)
                s.opt.wscale = static_cast<int8_t>(std::min<uint8_t>(o[2], 14));
            break;
        case kOptSackOk:
            if (len == 2)
                s.opt.sack_permitted = true;
            break;
        case kOptTs:
            if (len == 10) {
                s.opt.has_ts = true;
                s.opt.ts_val = get32(o + 2);
                s.opt.ts_ecr = get32(o + 6);
            }
            break;
        case kOptSack:
            if ((len - 2) % 8 == 0) {
                for (size_t i = 0; i < size_t(len - 2) / 8 && s.opt.sack_count < kMaxSackBlocks; ++i)
                    s.opt.sack[s.opt.sack_count++] = {SeqNum(get32(o + 2 + 8 * i)), SeqNum(get32(o + 6 + 8 * i))};
            }
            break;
        default:
            break;  // unknown options are skipped by their length
        }
        o += len;
    }
    r.status = ParseStatus::Ok;
    return r;
}

size_t tcp_header_len(const TcpOptions& opt) { return kTcpHdr + layout(opt).total(); }

size_t write_tcp_header(std::span<uint8_t> dst, const Segment& seg)
{
    const TcpOptions& o = seg.opt;
    OptLayout l = layout(o);
    size_t hlen = kTcpHdr + l.total();
    if (dst.size() < hlen)
        return 0;
    uint8_t* p = dst.data();
    put16(p, seg.src_port);
    put16(p + 2, seg.dst_port);
    put32(p + 4, seg.seq.raw());
    put32(p + 8, seg.ack.raw());
    p[12] = static_cast<uint8_t>((hlen / 4) << 4);
    p[13] = seg.flags;
    put16(p + 14, seg.window);
    put16(p + 16, 0);
    put16(p + 18, seg.urgent);

    uint8_t* q = p + kTcpHdr;
    if (o.mss) {
        q[0] = kOptMss, q[1] = 4;
        put16(q + 2, o.mss);
        q += 4;
    }
    if (o.has_ts) {
        if (o.sack_permitted)
            q[0] = kOptSackOk, q[1] = 2;
        else
            q[0] = kOptNop, q[1] = kOptNop;
        q[2] = kOptTs, q[3] = 10;
        put32(q + 4, o.ts_val);
        put32(q + 8, o.ts_ecr);
        q += 12;
    } else if (o.sack_permitted) {
        q[0] = kOptNop, q[1] = kOptNop, q[2] = kOptSackOk, q[3] = 2;
        q += 4;
    }
    if (o.wscale >= 0) {
        q[0] = kOptNop, q[1] = kOptWs, q[2] = 3, q[3] = static_cast<uint8_t>(o.wscale);
        q += 4;
    }
    if (l.sack_blocks) {
        q[0] = kOptNop, q[1] = kOptNop, q[2] = kOptSack, q[3] = static_cast<uint8_t>(2 + 8 * l.sack_blocks);
        q += 4;
        for (size_t i = 0; i < l.sack_blocks; ++i, q += 8) {
            put32(q, o.sack[i].left.raw());
            put32(q + 4, o.sack[i].right.raw());
        }
    }
    return hlen;
}

void tcp_finish_checksum(std::span<uint8_t> l4, uint32_t pseudo_sum)
{
    l4[16] = l4[17] = 0;
    uint16_t c = csum_finish(uint64_t(csum_partial(l4.data(), l4.size(), 0)) + pseudo_sum);
    std::memcpy(&l4[16], &c, 2);  // csum_partial sums in memory order, so store as is
}

size_t write_tcp(std::span<uint8_t> dst, const Segment& seg, std::span<const uint8_t> payload,
                 uint32_t pseudo_sum)
{
    size_t hlen = write_tcp_header(dst, seg);
    if (!hlen || dst.size() < hlen + payload.size())
        return 0;
    if (!payload.empty())
        std::memcpy(dst.data() + hlen, payload.data(), payload.size());
    size_t total = hlen + payload.size();
    tcp_finish_checksum(dst.first(total), pseudo_sum);
    return total;
}

}  // namespace xdpgen::tcp
