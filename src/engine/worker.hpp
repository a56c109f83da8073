// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// One worker (client, server or bulk role): a thread that owns one AF_XDP socket (one queue) and
// everything about its flows — flow table, TCP control blocks, program
// states, timer wheel, local port pairs, counters. Nothing is shared with
// other workers on the fast path; counters are published a few times per
// second through a mailbox.
//
// Per-flow memory, by flow id (dense, from the flow table):
//   tcp::Connection 100 B + program::FlowState 12 B (+ HttpState 16 B when
//   the program parses HTTP) + FlowRecord 12 B + timer 12 B
//   (bytes_per_flow()) + flow table 21 B (key, free-stack entry, slots;
//   IPv6 remotes once each); a client's local pairs 4 B each; the bulk
//   role 12 B more.

#include <atomic>
#include <deque>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/bulk.hpp"
#include "engine/flow_log.hpp"
#include "engine/impair.hpp"
#include "engine/worker_stats.hpp"
#include "engine/flow_table.hpp"
#include "engine/handoff.hpp"
#include "engine/mac_table.hpp"
#include "engine/port_pool.hpp"
#include "engine/syn_cookie.hpp"
#include "engine/schedule.hpp"
#include "engine/timer_wheel.hpp"
#include "net/addr.hpp"
#include "net/tcp_frame.hpp"
#include "program/program.hpp"
#include "tcp/connection.hpp"
#include "util/result.hpp"
#include "xsk/umem.hpp"
#include "xsk/xsk_socket.hpp"

namespace xdpgen::engine {

enum class Role : uint8_t { Client, Server };

struct WorkerConfig {
    Role role = Role::Client;
    uint32_t index = 0;  // worker number, for messages
    uint32_t queue = 0;
    int cpu = -1;        // pin to this CPU; -1 = don't
    std::string ifname;
    ZeroCopy zero_copy = ZeroCopy::Auto;
    UmemConfig umem;

    MacAddr src_mac, dst_mac;
    std::vector<IpAddr> local_addrs;  // consecutive (steering matches a range), same family as remote
    IpAddr remote;
    uint16_t remote_port = 0;
    uint16_t port_lo = 0, port_hi = 0;  // local ports: of these, the worker owns port % workers == index
    uint32_t workers = 1;

    uint64_t connections = 0;     // this worker's share (may be 0) when `bounded`
    bool bounded = false;         // a --connections run; else until stopped
    double cps = 0;               // this worker's share; 0 = as fast as allowed
    // --rps: this worker's share of requests per second, sent on a fixed
    // schedule over its open connections (the program's Gate); 0 = none.
    double rps = 0;
    double ramp_up_s = 0;
    uint32_t concurrency = 1;     // most connections open at once (TIME-WAIT not counted)
    uint32_t max_flows = 0;       // flow table capacity (TIME-WAIT included); 0 = derived
    uint64_t connect_timeout_ns = 10'000'000'000;  // SYN sent → established, else a timeout
    uint64_t timeout_ns = 60'000'000'000;         // start → done, else a timeout
    uint64_t peer_time_wait_ns = 60'000'000'000;  // quarantine when the peer closed first
    uint64_t drain_ns = 2'000'000'000;            // after a stop: time for open connections to finish
    tcp::TcpConfig tcp;
    const program::Program* program = nullptr;
    // Client: programs to choose from per connection (--urls), all of one
    // shape (each parses HTTP or none does); `program` is the first.
    // Chosen in turn, or at random from `choice_seed`.
    const std::vector<program::Program>* programs = nullptr;
    bool random_choice = false;
    uint64_t choice_seed = 1;
    // Each program's share of the connections (empty: equal shares): in
    // turn by smooth weighted round-robin, or at random by weight.
    std::vector<uint32_t> weights;
    bool per_program_stats = false;  // WorkerStats::templates, one per program (profiles)
    // Profiles, by program: the port each connects to (client) or is served
    // on (server); 0 or empty = remote_port (client). A server picks a
    // flow's program by the port its SYN came to.
    std::vector<uint16_t> program_ports;
    // Profiles, by program: its TCP settings (empty = `tcp` for all). Kept
    // by the caller for the run: connections refer to them.
    const std::vector<tcp::TcpConfig>* program_tcp = nullptr;
    // Client, profiles, by program: this worker's share of a template's own
    // rate (conn/s), started on a schedule of its own; 0 = by weight on the
    // run's schedule (such programs have weight 0 in `weights`).
    std::vector<double> program_cps;
    // ... and the most of its connections open at once (this worker's
    // share); 0 = no cap of its own. A program with a cap and no rate
    // starts a connection whenever one of its own ends (a closed loop).
    std::vector<uint32_t> program_concurrency;
    tcp::CsumCheck rx_csum = tcp::CsumCheck::Auto;  // which received checksums are checked
    uint64_t seed = 0;  // ISNs and the flow table's hash
    Handoff* handoff = nullptr;  // with several workers: frames of other workers' flows go there

    // Server role: the local addresses and ports served (local_addrs and
    // port_lo/hi then describe what steering sends here), and the most
    // half-open connections kept before SYN cookies take over.
    std::vector<Endpoint> listen;
    uint32_t syn_backlog = 4096;
    bool dst_mac_fixed = false;  // server: answer via dst_mac, not the MAC each flow's SYN came from

    // Client role without a program (`xdpgen tcp`): each connection's stream
    // is sent by this data path once established (see engine/bulk.hpp); the
    // worker opens, watches and closes the connections.
    BulkHandover* bulk = nullptr;

    // --on-link-down wait: a transmit refused because the interface is down
    // is not an error; the frames wait in the ring for it to come back.
    bool ride_out_link_down = false;

    // --impair: what happens to the segments we send (delay, jitter, loss,
    // reordering), and --impair-rx: to the frames we receive, at most
    // impair_rx_cap of them held at once. Nothing when !any().
    ImpairSpec impair_tx, impair_rx;
    uint32_t impair_rx_cap = 65536;
    // Profiles, by program: a template's own impairment of what its flows
    // send (!any(): impair_tx). Empty = impair_tx for all.
    std::vector<ImpairSpec> program_impair;

    // --records: this worker's ring of the writer; nullptr = no records.
    records::RecordRing* records = nullptr;

    // Tests only (XDPGEN_FAULT, engine/fault.hpp): fail this long after the
    // start; 0 = never.
    uint64_t fail_after_ns = 0;
};

class Worker : private program::FieldContextSource {
public:
    // Creates the UMEM and the socket (so steering can map it before start).
    static Result<std::unique_ptr<Worker>> create(const WorkerConfig& cfg);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    int xsk_fd() const { return xsk_->fd(); }
    uint32_t queue() const { return cfg_.queue; }
    bool zero_copy() const { return xsk_->zero_copy(); }

    void start(uint64_t start_ns);
    // Stop starting connections; those open get drain_ns to finish, then
    // are reset. abort_now: reset them at once (a failure threshold was hit).
    void request_stop(bool abort_now = false);
    bool done() const { return done_.load(std::memory_order_acquire); }
    // Ended by an error (its result is written before done_ is set).
    bool failed() const { return done() && !result_; }
    // While the link is down (--on-link-down wait): no new connections, and
    // no transmit kicks that can only be refused.
    void pause(bool on) { paused_.store(on, std::memory_order_relaxed); }
    // Joins the thread; the error that ended it early, if any.
    Status wait();
    WorkerStats stats() const { return mailbox_.read(); }

    // The per-flow arrays of a worker without the bulk role, flow table
    // apart; http: its program parses HTTP.
    static size_t bytes_per_flow(bool http = false);

private:
    struct FlowRecord;
    class FlowApp;
    class FlowSink;
    class RawSink;
    class AppEvents;
    class BulkApp;

    explicit Worker(const WorkerConfig& cfg);
    void run();
    void loop_once(uint64_t now, bool& busy);
    size_t receive(uint64_t now);
    // checked: another worker took the frame off its ring and checked its checksum.
    void handle_frame(uint64_t now, std::span<const uint8_t> frame, bool checked = false);
    bool checksum_ok(const TcpFrameView& v);
    bool handle_icmp(uint64_t now, std::span<const uint8_t> frame, bool checked);
    void lower_mss(uint32_t id, uint64_t now, uint16_t mss, uint32_t quoted_seq);
    // worker_server.cpp: the server role's passive opens.
    bool listening(const IpAddr& addr, uint16_t port) const;
    void server_syn(uint64_t now, const TcpFrameView& v, const tcp::ParsedTcp& p, tcp::SeqNum iss);
    bool server_reopen(uint64_t now, uint32_t id, const TcpFrameView& v, const tcp::ParsedTcp& p);
    bool server_cookie_ack(uint64_t now, const TcpFrameView& v, const tcp::ParsedTcp& p);
    uint32_t new_flow(uint64_t now, const FlowKey& key, const MacAddr& peer_mac);
    // The program of flow `id` for one call, and its state reset for a new flow.
    program::Runner runner(uint32_t id);
    // The TCP settings of flow id's program (its variant's, or the run's).
    const tcp::TcpConfig& tcp_of(uint32_t id) const
    {
        return cfg_.program_tcp && !variant_.empty() ? (*cfg_.program_tcp)[variant_[id]] : cfg_.tcp;
    }
    // Server with profiles: the program served on `port`.
    uint16_t variant_of_port(uint16_t port) const;
    program::HttpState* http_state(uint32_t id) { return http_.empty() ? nullptr : &http_[id]; }
    void reset_program(uint32_t id);

    bool start_connections(uint64_t now);
    // resume_pc: 0 for a new program; else the step where a program goes on
    // after the server closed its connection (program::Runner::server_closed).
    static constexpr uint16_t kChooseVariant = UINT16_MAX;
    // variant: kChooseVariant = by weight (on the run's schedule); else that
    // program (a continuation's, or one with its own rate).
    void start_one(uint64_t now, uint64_t sched, uint32_t pair, uint32_t resume_pc = 0,
                   uint16_t variant = kChooseVariant);
    // Programs with their own rate (WorkerConfig::program_cps): their due starts.
    uint32_t start_own_rates(uint64_t now, uint32_t n);
    // The earliest due start of those schedules (UINT64_MAX: none).
    uint64_t own_rates_next_due() const;
    bool may_start() const { return active_ < cfg_.concurrency && (!cfg_.bounded || started_ < cfg_.connections); }
    uint32_t start_continuations(uint64_t now);
    void fire(uint32_t id, uint64_t now);
    void after_call(uint32_t id, uint64_t now, FlowApp& app, FlowSink& sink,
                    program::Gate gate = program::Gate::Wait);
    // worker_rps.cpp: requests on a schedule (cfg_.rps) over the flows
    // waiting at their program's Gate.
    void rps_reached_gate(uint32_t id, uint64_t now, bool waits);
    bool rps_issue(uint64_t now);
    void rps_end_gates(uint64_t now);
    uint64_t rps_next_due() const;
    uint64_t rps_scheduled_by(uint64_t now) const;
    void rps_forget(uint32_t id);
    void finish(uint32_t id, uint64_t now, bool completed, program::Failure pf, tcp::TcpEvent ev);
    void free_flow(uint32_t id, uint64_t now, bool quarantine);
    void abort_all(uint64_t now);

    // worker_bulk.cpp: flows whose stream a BulkHandover sends.
    void bulk_segment(uint32_t id, uint64_t now, const tcp::ParsedTcp& p);
    void bulk_fire(uint32_t id, uint64_t now);
    void bulk_after_call(uint32_t id, uint64_t now, BulkApp& app);
    void bulk_take_back(uint32_t id, uint64_t now);
    void bulk_poll(uint64_t now);

    bool emit(uint32_t id, const tcp::OutSegment& s, tcp::TcpApp& app);
    bool emit_frame(const TcpFrameEnds& ends, const tcp::Segment& seg, tcp::TcpApp* app, uint64_t payload_off);
    uint8_t* tx_frame(XskDesc*& desc);
    Status flush_tx();
    Status link_filter(Status r) const;
    TcpFrameEnds ends_of(uint32_t id) const;
    // The flow key of a received frame; false when its destination is none
    // of our local addresses.
    bool key_of(const TcpFrameView& v, const tcp::Segment& seg, FlowKey& key) const;
    void idle_wait(uint64_t now);
    uint64_t now_ns() const;
    void publish();

    WorkerConfig cfg_;
    std::unique_ptr<Umem> umem_;
    std::unique_ptr<XskSocket> xsk_;

    FlowTable table_;
    TimerWheel wheel_;
    PortPool pool_;
    std::vector<tcp::Connection> conns_;
    std::vector<program::FlowState> progs_;
    std::vector<program::HttpState> http_;  // by flow id, when the program parses HTTP; else empty
    std::vector<FlowRecord> recs_;
    FlowLog log_;      // --records
    // worker_impair.cpp: --impair and --impair-rx. A delayed segment waits
    // as its header and where its payload lies in the stream (built when
    // due, from the flow's program); a delayed frame as a copy.
    struct DelayedSegment {
        TcpFrameEnds ends;
        tcp::Segment seg;
        uint64_t payload_off;
        uint32_t id, gen;  // the flow, while its gen is unchanged
    };
    struct ImpairFlow {
        uint64_t key = 0;   // the connection, the same in every run of the same load
        uint32_t gen = 0;   // bumped when the flow id is freed
        uint32_t last = 0;  // the last segment's identity, and how often it repeated
        uint32_t repeats = 0;
    };
    std::optional<ImpairDecider> imp_tx_, imp_rx_;
    // By program, with WorkerConfig::program_impair: its own, or none (the run's).
    std::vector<std::optional<ImpairDecider>> imp_program_;
    const ImpairDecider* tx_decider(uint32_t id) const;
    DueQueue<DelayedSegment> tx_due_;
    // One constant delay for every segment (no jitter, no reordering, no
    // template of its own): due times come in push order, so a FIFO
    // replaces the heap (its sifts cost 6% of a 100k conn/s client).
    bool tx_fifo_ = false;
    std::deque<std::pair<uint64_t, DelayedSegment>> tx_fifo_q_;
    size_t tx_pending() const { return tx_due_.size() + tx_fifo_q_.size(); }
    DueQueue<uint32_t> rx_due_;  // FrameStore slots
    std::unique_ptr<FrameStore> rx_store_;
    std::vector<ImpairFlow> imp_flows_;
    std::vector<DelayedSegment> tx_retry_;
    std::mt19937_64 rx_draws_;
    uint64_t imp_started_ = 0;
    bool impair_off_ = false;  // aborting: RSTs leave at once
    void impair_init();
    void impair_begin(uint32_t id, const FlowKey& key);
    void impair_end(uint32_t id);
    bool impair_tx(uint32_t id, const tcp::OutSegment& s);
    uint64_t tx_identity(uint32_t id, const tcp::OutSegment& s);
    bool impair_rx(uint64_t now, std::span<const uint8_t> frame);
    bool send_delayed(const DelayedSegment& d);
    size_t impair_due(uint64_t now);
    uint64_t impair_next_due() const;
    uint64_t now_ = 0; // this loop's time, for what emit() notes
    FlowLog::Ends log_ends(uint32_t id) const;
    // Programs the server's close cut, waiting for a local pair to go on
    // over a new connection: their resume steps. Still active_.
    struct Continuation {
        uint32_t pc;       // the step it goes on from
        uint16_t variant;  // of cfg_.programs
    };
    std::vector<Continuation> continuations_;
    // Programs with fields (profiles): each flow's connection number and
    // start (wall clock, us), from which its fields are filled. Else empty.
    std::vector<uint32_t> conn_no_;
    std::vector<uint64_t> start_us_;
    uint64_t numbered_ = 0;            // connections numbered by this worker
    int64_t wall_minus_mono_us_ = 0;   // the wall clock less the monotonic one, at the start
    void number_flow(uint32_t id, uint64_t start_ns);
    void field_context(uint32_t flow, program::FieldContext& out) const override;
    // With cfg_.programs, by flow id: which one the flow runs.
    std::vector<uint16_t> variant_;
    std::mt19937_64 choice_rng_;
    uint64_t chosen_ = 0;  // programs chosen in turn so far
    std::vector<int64_t> swrr_;  // smooth weighted round-robin: each program's current weight
    int64_t weight_sum_ = 0;
    uint16_t weighted_choice();
    TemplateCounters* template_of(uint32_t id)
    {
        return st_.templates.empty() || variant_.empty() ? nullptr : &st_.templates[variant_[id]];
    }
    const program::Program& program_of(uint32_t id) const
    {
        return variant_.empty() ? *cfg_.program : (*cfg_.programs)[variant_[id]];
    }
    uint16_t choose_variant();
    // --rps: flows waiting at their Gate, oldest first (an id may be stale:
    // gate_queued_ says whether it still waits); by flow id, when each
    // one's request was due (0: none outstanding) and whether it is queued.
    std::deque<uint32_t> gate_q_;
    std::vector<uint64_t> req_due_;
    std::vector<uint8_t> gate_queued_;
    ConnectSchedule req_sched_{0, 0, 0};
    bool req_started_ = false;  // the schedule starts when the first flow is ready
    uint64_t req_issued_ = 0;
    uint64_t req_looked_at_ = 0;  // the last loop before the stop: requests due by then count
    MacTable macs_;  // server: the flows' next-hop MACs
    // With cfg_.bulk, by flow id: the handover slot, and the stream length
    // the worker's own sending may reach (0 until the handover was decided).
    std::vector<uint32_t> bulk_slot_;
    std::vector<uint64_t> bulk_end_;
    bool bulk_stopped_ = false;  // the streams' stop was seen (bulk_poll)
    std::mt19937_64 rng_;
    SynCookies cookies_;
    tcp::TcpConfig cookie_tcp_;  // what a connection rebuilt from a cookie has: MSS only
    uint32_t half_open_ = 0;     // server: connections in SYN-RECEIVED

    // TX batch: reserved descriptors, the first tx_used_ written.
    std::vector<XskDesc> tx_;
    size_t tx_reserved_ = 0, tx_used_ = 0;
    uint64_t tx_inflight_ = 0;  // submitted, not yet completed
    uint16_t ip_id_ = 0;
    std::vector<XskDesc> rx_;

    uint64_t started_ = 0;   // connections started
    uint64_t weighted_started_ = 0;  // ... of them on the run's schedule (not a program's own rate)
    std::vector<ConnectSchedule> own_sched_;  // by program, with WorkerConfig::program_cps
    std::vector<uint64_t> own_started_;
    std::vector<uint32_t> own_open_;  // by program: its connections open (not done)
    bool own_load(size_t v) const
    {
        return (v < cfg_.program_cps.size() && cfg_.program_cps[v] > 0) ||
               (v < cfg_.program_concurrency.size() && cfg_.program_concurrency[v] > 0);
    }
    bool own_may_start(size_t v) const
    {
        return v >= cfg_.program_concurrency.size() || !cfg_.program_concurrency[v] ||
               own_open_[v] < cfg_.program_concurrency[v];
    }
    uint64_t active_ = 0;    // started and not yet completed or failed
    ConnectSchedule sched_{0, 0, 0};
    uint64_t start_ns_ = 0;
    uint64_t stop_at_ = 0;
    bool stopping_ = false;
    bool own_done_ = false;  // own flows done; still serving the queue for the others
    uint64_t last_publish_ = 0;

    WorkerStats st_;
    StatsMailbox mailbox_;
    std::atomic<bool> stop_{false}, abort_{false}, done_{false}, paused_{false};
    std::thread thread_;
    Status result_;
};

}  // namespace xdpgen::engine
