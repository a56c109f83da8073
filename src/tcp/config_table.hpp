// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The TCP configurations connections refer to, by a 16-bit id instead of an
// 8-byte pointer in each TCB (a million flows: 6 MB saved). A process has a
// handful (one per worker and template, one for SYN-cookie rebuilds); the
// table holds up to kMaxConfigs addresses, found or added at each open.
// A config must outlive the connections that use it, as with a pointer.

#include <cstdint>

namespace xdpgen::tcp {

struct TcpConfig;

inline constexpr uint32_t kMaxConfigs = 65536;

// The id of `cfg`'s address, added on first use. Thread-safe. Aborts with a
// message past kMaxConfigs distinct addresses (a program creating configs in
// a loop; nothing a run's input can cause).
uint16_t config_id(const TcpConfig& cfg);

// The config with that id (from config_id: always present).
const TcpConfig& config_by_id(uint16_t id);

}  // namespace xdpgen::tcp
