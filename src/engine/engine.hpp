// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The client engine: one worker per queue, the steering program that hands
// each queue's share of the generator's flows to its worker, and the split
// of the load (connections, rate, concurrency, local ports) between them.

#include <memory>
#include <optional>
#include <vector>

#include "bpf/xdp_link.hpp"
#include "engine/worker.hpp"
#include "records/writer.hpp"
#include "xsk/steering.hpp"

namespace xdpgen::engine {

struct EngineConfig {
    std::string ifname;
    int ifindex = 0;
    XdpMode mode = XdpMode::Native;
    uint32_t queues = 1;     // workers: queues 0 .. queues-1
    uint32_t dev_queues = 1; // the interface's RX queues (socket map size)
    std::vector<int> cpus;   // worker i pinned to cpus[i % size]; empty = not pinned
    // The per-worker settings; connections, cps, concurrency and the port
    // range are totals, split between the workers.
    WorkerConfig worker;
    // --records: the writer whose ring i worker i fills (it outlives the engine).
    records::RecordWriter* records = nullptr;
    // With worker.bulk (`xdpgen tcp`): its flow maps, shared with steering.
    std::optional<TcpBulkMaps> bulk_maps;
};

// One worker's published statistics, for --per-worker.
struct WorkerSnapshot {
    uint32_t index = 0;
    uint32_t queue = 0;
    WorkerStats stats;
};

WorkerStats sum(const std::vector<WorkerSnapshot>& per_worker);

class Engine {
public:
    static Result<std::unique_ptr<Engine>> create(const EngineConfig& cfg);
    ~Engine();

    void start();
    // abort_now, or a worker failed: open connections are reset at once.
    void request_stop(bool abort_now = false);
    // Every worker is done, or one failed: the run is over either way (the
    // others would wait for its flows, or run on without its queue).
    bool done() const;
    bool failed() const;
    // --on-link-down wait: no new connections while the link is down.
    void pause(bool on);
    Status wait();
    WorkerStats stats() const { return sum(per_worker()); }
    // Each worker's copy, read once: summing these gives stats().
    std::vector<WorkerSnapshot> per_worker() const;
    xg_steer_counters steering_counters() const { return steering_->counters(); }
    uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }
    bool zero_copy() const { return !workers_.empty() && workers_[0]->zero_copy(); }

private:
    Engine() = default;
    std::unique_ptr<Handoff> handoff_;  // before the workers: outlives them
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<Steering> steering_;  // after the workers: detached first
};

}  // namespace xdpgen::engine
