// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What `xdpgen udp` sends through: live frames (UdpBlaster) or one AF_XDP
// socket per queue (UdpXskSender). Both put the same frames on the wire,
// share an exact packet budget and a total rate over their threads, and
// count only what the driver took.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/udp_frame.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct UdpBlastConfig {
    int ifindex = 0;
    std::string ifname;
    UdpFrameSpec frame;
    uint16_t port_count = 1;   // destination ports frame.dst_port .. +port_count-1
    unsigned threads = 1;
    uint64_t total_packets = 0;  // 0 = until stopped
    double rate_pps = 0;         // 0 = as fast as possible; total over all threads
    bool raw = false;            // benchmark baseline: unmodified frame, fixed port, no stamps
    uint32_t ts_every = 8;       // read the clock for the send stamp once per this many frames per thread
    unsigned tx_queues = 1;      // the interface's TX queues (the AF_XDP path uses one per thread)
};

struct BlastCounters {
    uint64_t repetitions = 0;  // frames written: program runs (live), TX descriptors (AF_XDP)
    bool xmit_known = false;   // the driver's verdict is known (else sent = repetitions)
    uint64_t sent = 0;         // frames the driver accepted: what really left
    uint64_t dropped = 0;      // frames it refused or that failed to redirect
};

enum class TxPath { Auto, Live, Xsk };
std::optional<TxPath> parse_tx_path(std::string_view s);
const char* tx_path_name(TxPath p);  // "auto", "live", "xsk"

class UdpSender {
public:
    virtual ~UdpSender() = default;
    virtual void start() = 0;
    virtual void request_stop() = 0;
    // True once every thread has finished (budget used, stopped, or failed).
    virtual bool done() const = 0;
    // Joins the threads; the first error any of them met.
    virtual Status wait() = 0;
    virtual BlastCounters counters() const = 0;
    virtual uint16_t run_id() const = 0;
    virtual TxPath path() const = 0;  // Live or Xsk
};

// A random id per sender run, carried in every stamp: a long-lived sink tells runs apart.
uint16_t new_run_id();

struct UdpSenderChoice {
    std::unique_ptr<UdpSender> sender;
    unsigned threads = 1;            // threads it runs (the AF_XDP path: at most one per TX queue)
    std::vector<std::string> notes;  // why the path or the thread count differs from what was asked
};

// Sets up the sender of the asked path. Auto takes live frames when a real
// live-frames run works at set-up, else the AF_XDP path (saying why in note).
Result<UdpSenderChoice> make_udp_sender(const UdpBlastConfig& cfg, TxPath want);

}  // namespace xdpgen
