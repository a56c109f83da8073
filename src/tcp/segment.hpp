// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A TCP segment as the engine sees it: header fields and options as values,
// the payload only as a length. parse_tcp reads one from the wire, the
// write_* helpers build one in a caller's buffer (a UMEM frame), so the
// payload can be filled in place and never copied.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addr.hpp"
#include "tcp/seq.hpp"

namespace xdpgen::tcp {

inline constexpr size_t kTcpHdr = 20;      // without options
inline constexpr size_t kTcpMaxOpt = 40;   // RFC 9293 §3.1: data offset is 4 bits of 32-bit words
inline constexpr uint8_t kIpProtoTcp = 6;

// Header flag bits as on the wire (RFC 9293 §3.1, RFC 3168 for ECE/CWR).
enum TcpFlag : uint8_t {
    kFin = 0x01,
    kSyn = 0x02,
    kRst = 0x04,
    kPsh = 0x08,
    kAck = 0x10,
    kUrg = 0x20,
    kEce = 0x40,
    kCwr = 0x80,
};

// One SACK block (RFC 2018 §3): bytes [left, right) held by the receiver.
struct SackBlock {
    SeqNum left, right;
    bool operator==(const SackBlock&) const = default;
};

inline constexpr size_t kMaxSackBlocks = 4;  // 2 + 4*8 = 34 bytes: the most that fits in 40

struct TcpOptions {
    uint16_t mss = 0;          // RFC 9293 §3.2 kind 2; 0 = absent (only on SYNs)
    int8_t wscale = -1;        // RFC 7323 §2 kind 3: shift count; -1 = absent
    bool sack_permitted = false;  // RFC 2018 §2 kind 4 (SYNs only)
    bool has_ts = false;       // RFC 7323 §3 kind 8
    uint8_t sack_count = 0;    // RFC 2018 §3 kind 5: blocks in sack[]
    uint32_t ts_val = 0;       // TSval: the sender's timestamp clock
    uint32_t ts_ecr = 0;       // TSecr: the TSval echoed back
    std::array<SackBlock, kMaxSackBlocks> sack{};

    bool operator==(const TcpOptions&) const = default;
};

struct Segment {
    uint16_t src_port = 0, dst_port = 0;
    SeqNum seq;              // SEG.SEQ
    SeqNum ack;              // SEG.ACK (meaningful with kAck)
    uint8_t flags = 0;       // TcpFlag bits
    uint16_t window = 0;     // SEG.WND as on the wire, before window scaling
    uint16_t urgent = 0;     // urgent pointer; the engine never sets URG
    uint32_t payload_len = 0;
    TcpOptions opt;

    bool has(uint8_t f) const { return (flags & f) != 0; }
    // SEG.LEN (RFC 9293 §3.4): payload plus one for SYN and one for FIN.
    uint32_t seg_len() const { return payload_len + has(kSyn) + has(kFin); }
    bool operator==(const Segment&) const = default;
};

// Why a segment was refused; the engine counts these per cause.
enum class ParseStatus : uint8_t {
    Ok,
    Truncated,    // shorter than 20 bytes or than its data offset
    BadOffset,    // data offset < 5 words
    BadOption,    // an option runs past the header or has an invalid length
    BadChecksum,
};

struct ParsedTcp {
    ParseStatus status = ParseStatus::Truncated;
    Segment seg;
    std::span<const uint8_t> payload;  // inside l4
};

// One's complement sum of the IPv4 (RFC 9293 §3.1) or IPv6 (RFC 8200 §8.1)
// pseudo header for a TCP segment of tcp_len bytes. Unfolded is fine: it is
// added to csum_partial's result.
uint32_t tcp_pseudo_sum(const IpAddr& src, const IpAddr& dst, uint32_t tcp_len);

// Parses l4 (TCP header to end of payload as bounded by the IP length). With
// verify_csum, pseudo_sum is tcp_pseudo_sum(src, dst, l4.size()) and a
// segment whose checksum is wrong comes back as BadChecksum. Unknown options
// are skipped (RFC 9293 §3.2 "must be prepared to handle an illegal option
// length" is the only failure); SACK blocks beyond the fourth are dropped.
// Never allocates: this runs once per received packet.
ParsedTcp parse_tcp(std::span<const uint8_t> l4, bool verify_csum = false, uint32_t pseudo_sum = 0);

// What a received segment's checksum says. Offloaded: wrong as a checksum,
// but the field holds just the pseudo header's sum, as a local kernel leaves
// it for an offload that on veth (or generic XDP) never runs
// (CHECKSUM_PARTIAL); its bytes cannot be verified.
enum class CsumVerdict : uint8_t { Valid, Offloaded, Bad };
CsumVerdict tcp_csum_verdict(std::span<const uint8_t> l4, uint32_t pseudo_sum);

// Which received checksums are checked (--rx-csum). On: every one must be
// valid. Auto: as On, but an Offloaded one is taken unverified. Off: none.
enum class CsumCheck : uint8_t { Auto, On, Off };

// Header length (20 + options, padded to 4) write_tcp_header will produce.
size_t tcp_header_len(const TcpOptions& opt);

// Writes the header with the checksum field zero into dst and returns its
// length, or 0 if dst is too small. Options are laid out as Linux does (MSS,
// SACK-permitted+TS, NOP+WS on SYNs; NOP NOP TS, NOP NOP SACK otherwise) so
// captures look familiar.
size_t write_tcp_header(std::span<uint8_t> dst, const Segment& seg);

// Fills the checksum of the segment in l4 (header + payload, already in
// place) over the pseudo header sum.
void tcp_finish_checksum(std::span<uint8_t> l4, uint32_t pseudo_sum);

// Header + copy of payload + checksum; returns total length or 0 if dst is
// too small. For tests and slow paths; the engine fills payload in place.
size_t write_tcp(std::span<uint8_t> dst, const Segment& seg, std::span<const uint8_t> payload,
                 uint32_t pseudo_sum);

}  // namespace xdpgen::tcp
