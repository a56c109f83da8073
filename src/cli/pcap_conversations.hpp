// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A capture's TCP conversations, reassembled: what `xdpgen pcap2profile`
// turns into templates. A pure model (no output, no command line).
//
// A conversation is the 4-tuple of a SYN; its client sent the SYN without
// ACK. Each direction is put back together by sequence number (64-bit
// offsets from ISN+1, so streams past 4 GiB of sequence space stay in
// order). Where copies of a byte overlap (retransmissions, reordering,
// repacketised retransmits) the first copy in the capture wins; later
// copies are not compared. A conversation that cannot be replayed as it
// was (no handshake, a byte never seen, no data, too big) is kept aside
// with the reason.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/addr.hpp"
#include "util/result.hpp"

namespace xdpgen::pcapconv {

// The options one side's SYN (or SYN-ACK) carried.
struct SynOptions {
    std::optional<uint16_t> mss;
    std::optional<uint8_t> wscale;  // the shift
    bool sack = false;              // SACK-permitted
    bool timestamps = false;
};

enum class Dir : uint8_t { ClientToServer, ServerToClient };

// Consecutive data in one direction, in the order it was first sent.
struct Turn {
    Dir dir = Dir::ClientToServer;
    std::string bytes;
    uint64_t first_ns = 0;  // capture time of the segment that first carried its first byte
    uint64_t last_ns = 0;   // ... and of the latest segment that first carried one of its bytes
};

// Who sent the first FIN; None: no FIN seen (a reset, or the capture ended).
enum class Closer : uint8_t { Client, Server, None };

struct Conversation {
    Endpoint client, server;
    SynOptions client_syn, server_syn;
    std::vector<Turn> turns;
    Closer closer = Closer::None;
    bool reset = false;  // an RST was seen
};

struct SkippedConversation {
    Endpoint client, server;  // as well as they could be told apart
    std::string reason;
};

struct Capture {
    std::vector<Conversation> conversations;  // in order of their SYN
    std::vector<SkippedConversation> skipped;  // in order of their first packet
    // Packets that were no part of any conversation, by why: "IP fragment", ...
    std::map<std::string, uint64_t> packets_left_out;
    uint64_t packets = 0;
};

// Bounds that keep a hostile or huge capture from exhausting memory.
struct CaptureLimits {
    size_t max_conversations = 100'000;      // more: an error (narrow it with --filter)
    uint64_t max_direction_bytes = 64ull << 20;  // more in one direction: that conversation is skipped
    uint64_t max_segments = 4'000'000;       // kept data segments across the capture: more is an error
    uint64_t max_total_bytes = 1ull << 30;   // kept data across the capture: more is an error
};

struct CaptureOptions {
    std::string filter;  // a pcap filter expression, "" = every packet
    CaptureLimits limits;
};

// Reads a libpcap or pcapng file. Errors: the file cannot be read, its link
// type is not Ethernet, Linux cooked (v1/v2) or raw IP, the filter does not
// compile, or a limit of the capture as a whole is passed.
Result<Capture> read_capture(const std::string& file, const CaptureOptions& opts = {});

// "client" or "server", for reasons and comments.
const char* side_name(Dir d);

}  // namespace xdpgen::pcapconv
