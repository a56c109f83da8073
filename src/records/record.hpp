// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// One connection's record (--records): who, when each TCP step happened,
// how much went each way and how it ended. Fixed size and plain, so that
// workers copy it into a ring and the binary file is these bytes as they
// are (little-endian hosts only, which the header says).

#include <cstdint>

namespace xdpgen::records {

enum class Side : uint8_t { Client = 0, Server = 1 };
enum class Outcome : uint8_t { Completed = 0, Failed = 1, Unfinished = 2 };
// Why a connection failed (Outcome::Failed); None otherwise.
enum class Cause : uint8_t {
    None = 0,
    Timeout,
    Refused,
    Reset,
    HttpStatus,
    HttpMalformed,
    Verify,
    ExpectMismatch,
    PeerClosed,
};

inline constexpr uint16_t kNoTemplate = 0xFFFF;

struct Record {
    uint8_t local_addr[16];   // IPv4 in the first 4 bytes
    uint8_t remote_addr[16];
    uint16_t local_port;
    uint16_t remote_port;
    uint8_t v6;               // 1: the addresses are IPv6
    Side side;
    Outcome outcome;
    Cause cause;
    uint16_t template_id;     // index into the file's template names, or kNoTemplate
    uint16_t worker;
    uint32_t retransmits;     // segments we sent again
    uint32_t impair_dropped;  // our segments --impair dropped
    uint32_t reserved;        // 0; keeps the layout free of padding
    uint64_t conn;            // the worker's connection number (0, 1, ...)
    uint64_t tx_bytes;        // payload we sent that the peer acknowledged
    uint64_t rx_bytes;        // payload received in order
    // Times in ns since the Unix epoch; 0 = it did not happen.
    uint64_t sched_ns;        // client: when the connection was due; server: = syn_ns
    uint64_t syn_ns;          // client: SYN sent; server: SYN received
    uint64_t established_ns;
    uint64_t first_tx_ns;     // first payload byte sent
    uint64_t first_rx_ns;     // first payload byte received
    uint64_t last_byte_ns;    // last payload byte sent or received, whichever was later
    uint64_t fin_tx_ns;
    uint64_t fin_rx_ns;
    uint64_t closed_ns;       // completed, failed, or reset at the end of the run
};
static_assert(sizeof(Record) == 152, "the binary format is these bytes");

}  // namespace xdpgen::records
