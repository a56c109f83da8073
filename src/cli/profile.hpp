// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Traffic profiles (issue 14): a TOML file of templates, each a client
// program and a server program telling the same story, a share of the
// load, a port and TCP settings. `xdpgen client --profile FILE` chooses a
// template per connection by weight; `xdpgen server --profile FILE` serves
// each template on its port; both count each template on its own.
//
//   [defaults]                 # the run's options; the command line's win
//   concurrency = 50           # also cps, rps, duration, connections, seed, order
//
//   [[template]]
//   name = "page"            # required, unique
//   weight = 3               # share of the connections (default 1)
//   cps = 200                # or a rate of its own, besides the run's (client)
//   concurrency = 10         # and/or its own most open at once (alone: always that many)
//   port = 8080              # the server's port for this template (default: the target's)
//   http = "/index.html"     # the client, in the command line's terms: send / send_file /
//                            # send_size with recv / recv_http / recv_until_close, method,
//                            # headers, body, body_file, host, requests_per_connection,
//                            # delay_ms, hold_ms, expect_status, verify
//   client = [ { send = "hi\n" }, { recv = 3 } ]   # or the client as steps (see below)
//   server = { http = true, body_size = 512 }      # the server in `xdpgen server`'s terms
//   server = [ { expect = "hi\n" }, { send = "yo\n" } ]   # or as steps
//   fields = { id = "counter", ua = "list curl/8.0|Mozilla/5.0" }   # then "/item/${id}", "User-Agent: ${ua}"
//   tcp = { mss = 1400, wscale = 7, sack = true, timestamps = false, rcv_wnd = 65535,
//           initial_cwnd = 10, delayed_ack_ms = 40, time_wait_ms = 1000 }
//
// Steps, one key each: send, send_file, send_size, recv (a byte count),
// expect / expect_file (receive exactly these bytes), recv_http,
// recv_http_request, recv_until_close, delay_ms, close, reset; and
// { repeat = N, steps = [...] } (N = 0: until the peer closes). The end of
// the steps closes the connection.
//
// Files named in a profile are relative to its directory. A bad profile
// names the file, line and column and what was expected.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/impair.hpp"
#include "program/program.hpp"
#include "program/quick.hpp"
#include "tcp/tcb.hpp"
#include "util/result.hpp"

namespace xdpgen {

// A template's TCP settings: each given one replaces the run's.
struct ProfileTcp {
    std::optional<uint16_t> mss;
    std::optional<uint32_t> rcv_wnd, initial_cwnd;
    std::optional<int8_t> wscale;  // -1 = not offered
    std::optional<bool> sack, timestamps;
    std::optional<uint64_t> delayed_ack_ms, time_wait_ms;

    bool any() const
    {
        return mss || rcv_wnd || initial_cwnd || wscale || sack || timestamps || delayed_ack_ms || time_wait_ms;
    }
    // The run's settings with this template's on top; mss stays within `mss_cap` (the link's).
    tcp::TcpConfig apply(tcp::TcpConfig base, uint16_t mss_cap) const;
};

struct ProfileTemplate {
    std::string name;
    uint32_t weight = 1;
    double cps = 0;     // its own rate, conn/s, instead of a share by weight (client)
    uint32_t concurrency = 0;  // its own most open at once (client); alone: a closed loop of that many
    uint16_t port = 0;  // 0 = the target's (client); a server needs one per template
    program::QuickProgram prog;                     // the client in the quick options' terms...
    std::optional<program::ProgramSpec> client;     // ... or as steps
    std::optional<program::ServerQuick> server_quick;  // the server in `xdpgen server`'s terms...
    std::optional<program::ProgramSpec> server;        // ... or as steps
    ProfileTcp tcp;
    program::FieldDefs fields;  // ${name} in its texts (built-ins need none)
    engine::ImpairSpec impair;  // impair = "delay=...": its flows' segments (none: the run's --impair)
};

// [defaults]: the run's options, each unless the command line gives it.
struct ProfileDefaults {
    std::optional<double> cps, rps, duration;
    std::optional<uint32_t> concurrency;
    std::optional<uint64_t> connections, seed;
    std::optional<std::string> order;
};

struct Profile {
    std::string file;
    ProfileDefaults defaults;
    std::vector<ProfileTemplate> templates;
};

inline constexpr size_t kMaxTemplates = 64;  // each has its own latency histogram (35 KiB)
inline constexpr uint32_t kMaxWeight = 1'000'000;

Result<Profile> load_profile(const std::string& file);
// The same from text (tests); `file` names it in errors, and its directory
// is where the files it names are.
Result<Profile> parse_profile(const std::string& text, const std::string& file);

}  // namespace xdpgen
