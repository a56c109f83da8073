// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The per-connection program: what a connection says and waits for, on
// either side (a client's requests, a server's answers).
//
// How the engine uses it
// ----------------------
//   Program prog = Program::compile(spec).value();   // once, shared read-only
//   cfg.deliver_out_of_order = !prog.in_order();
//   FlowState st{};                                  // per flow, 32 bytes
//   // the same for a client (c.connect) and a server (c.accept): the
//   // program starts at the Established event. For every call into the
//   // flow's Connection c:
//   Runner r(prog, st);
//   c.on_segment(now, seg, payload, r, sink);        // r is the TcpApp
//   Next n = r.advance(now, c.tcb().rcv_nxt_off, have_rcvd_fin(c.state()));
//   if (n.action == Action::Close) c.close(now, r, sink);
//   else if (n.action == Action::Reset) c.abort(now, sink);
//   else if (n.tx_grew) c.poll(now, r, sink);
//   arm the flow's timer for min(c.next_deadline(now), n.wake_at)
//
// Why this shape
// --------------
// - Lazy TX: a flow holds no send buffer.
//   The send stream is the concatenation of the program's Send steps, so any
//   byte of it is a function of its stream offset (Program::fill), and a
//   retransmission regenerates the same bytes.
// - Compiled once, flat: loops are unrolled into a step list that carries
//   precomputed prefix sums (send bytes released before each step, the
//   cumulative receive target of each Recv), so a flow's whole position is
//   one step index and advancing never sums or searches.
// - One loop may run until the peer closes (count 0: a server answering
//   requests, however many come). It cannot be unrolled, so its body is
//   unrolled once and the flow counts its iterations: every quantity of the
//   body grows by a fixed period per iteration (its Sends have fixed sizes),
//   so iteration i's send bytes start at i * period and fill() maps a stream
//   offset back into the body modulo the period. Hence the rules on such a
//   loop (compile() explains each): at the top level, only one, beginning
//   with a receive step, without close, reset or recv-until-close, and
//   nothing received after it.
// - A flow's state is a few plain bytes (FlowState, trivially copyable,
//   zero = not started) that the engine keeps in an array next to its
//   Connection; Runner is a view built on the stack for one call.
// - The runner never calls the Connection (TcpApp callbacks must not): it
//   tells the engine what to do in Next, and each Close/Reset only once.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "program/fields.hpp"
#include "program/http_parser.hpp"
#include "tcp/connection.hpp"
#include "util/result.hpp"

namespace xdpgen::program {

// RecvHttp reads one HTTP response (a client); RecvHttpRequest one HTTP
// request (a server). A program reads one or the other, never both.
enum class OpKind : uint8_t {
    Send,
    Recv,
    RecvUntilClose,
    RecvHttp,
    RecvHttpRequest,
    Delay,
    Close,
    Reset,
    Loop,
    EndLoop,
    // Waits for the engine's go (a request due on a schedule: --rps). Only
    // at the head of the loop until the peer closes: the engine's "end"
    // there ends the loop.
    Gate,
};
const char* op_name(OpKind k);

struct SendSource {
    enum class Kind : uint8_t { Bytes, Pattern, Fields } kind = Kind::Bytes;
    std::string bytes;  // Bytes: the bytes sent
    uint64_t size = 0;  // Pattern: how many bytes of xg_pattern_byte (by send-stream offset)
    // Fields: a text whose fields are filled per connection and request
    // (a FieldContext), every rendering the same size.
    std::shared_ptr<const FieldText> fields;
    bool literal = false;  // Bytes from a file or a capture: never read for fields
};

// Turns each Send of text with ${...} fields into a Fields source (the
// others stay as they are). max_requests: for the width of ${request}; v6:
// the family of ${local_addr} and ${remote_addr}.
Status apply_fields(struct ProgramSpec& spec, const FieldDefs& defs, uint32_t max_requests, bool v6);

// Recv: bytes; with `send` holding bytes, they are what must arrive (a
// profile's expect): any other byte fails the flow (Failure::ExpectMismatch).
// Delay: ms; Loop: iterations (Loop .. EndLoop brackets,
// nestable), 0 = until the peer closes: the loop ends when the peer's FIN
// (or, reading HTTP requests, a request asking to close) comes while the
// loop waits at the receive step that begins an iteration, with nothing of
// that iteration received yet; the program goes on after its EndLoop.
struct Op {
    OpKind kind;
    SendSource send;  // Send: what is sent; Recv: the bytes expected (none = any)
    uint64_t count = 0;
};

struct ProgramSpec {
    std::vector<Op> ops;
    bool verify = false;         // check received bytes against the pattern by stream offset
    uint16_t expect_status = 0;  // RecvHttp: 0 = any 2xx, else exactly this status
};

class Program {
public:
    static constexpr size_t kMaxSteps = 1'000'000;
    // fill(): the loop until the peer closes has not ended (or there is none).
    static constexpr uint64_t kLoopRunning = UINT64_MAX;

    // One unrolled step. Public so tests and the engine's diagnostics can
    // look; a Program is the only thing that makes them. Inside a loop until
    // the peer closes the values are those of its first iteration (index 0);
    // after it, those of a loop that ran 0 times.
    struct Step {
        uint64_t tx_before = 0;  // send-stream bytes released by the steps before this one
        uint64_t arg = 0;        // Recv: cumulative receive target; RecvHttp(Request): ordinal (1 =
                                 // first message); Delay: ns; Send: its byte count
        uint32_t source = 0;     // Send: index into the program's sources; Recv: 1 + index of its
                             // expected bytes, 0 = any bytes
        uint32_t copy = 0;       // which unrolled copy of its op (the request number of a field)
        OpKind kind = OpKind::Close;
    };

    static Result<Program> compile(const ProgramSpec& spec);

    // The program parses HTTP: the engine sets TcpConfig::deliver_out_of_order = false.
    bool in_order() const { return http_ != Http::None; }
    // It parses requests (RecvHttpRequest), not responses.
    bool reads_requests() const { return http_ == Http::Requests; }
    bool verify() const { return verify_; }
    // Some Send has fields: fill() needs the flow's FieldContext.
    bool has_fields() const { return has_fields_; }
    // Some Recv step expects given bytes.
    bool expects() const { return !rx_checks_.empty(); }
    uint16_t expect_status() const { return expect_status_; }
    // Length of the send stream (with a loop until the peer closes: when it
    // ran 0 times; see tx_released).
    uint64_t tx_total() const { return tx_total_; }
    size_t step_count() const { return steps_.size(); }
    const Step& step(size_t i) const { return steps_[i]; }
    // Send bytes released once the first `pc` steps ran (pc <= step_count()),
    // the loop until the peer closes (if any) not counted.
    uint64_t tx_before(size_t pc) const { return pc < steps_.size() ? steps_[pc].tx_before : tx_total_; }
    // The same at `iterations` of that loop: its current iteration while
    // pc is in its body, the number it ran once pc is past it.
    uint64_t tx_released(size_t pc, uint64_t iterations) const
    {
        uint64_t t = tx_before(pc);
        return forever() && pc >= loop_begin_ ? t + iterations * period_tx_ : t;
    }
    // One line for the run banner, e.g. "send 78 B, recv http, x10, close".
    std::string describe() const { return describe_; }

    // The loop until the peer closes: its body is steps [loop_begin(),
    // loop_end()); each iteration sends period_tx() bytes, receives
    // period_rx() bytes (Recv steps) and period_http() HTTP messages. It ends
    // by itself after max_iterations() (2^32 - 1 unless the stream would
    // pass 2^64 bytes first), as an HTTP server ends a connection after its
    // keep-alive maximum.
    bool forever() const { return loop_end_ > loop_begin_; }
    size_t loop_begin() const { return loop_begin_; }
    size_t loop_end() const { return loop_end_; }
    uint64_t loop_tx() const { return loop_tx_; }  // send bytes before the loop
    uint64_t loop_rx() const { return loop_rx_; }  // Recv bytes before the loop
    uint64_t period_tx() const { return period_tx_; }
    uint64_t period_rx() const { return period_rx_; }
    uint32_t period_http() const { return period_http_; }
    uint32_t max_iterations() const { return max_iterations_; }

    // A client's HTTP program (no loop until the peer closes) can go on over
    // a new connection from step `pc`: the steps from there send or receive
    // something. The first step of such a connection's program is pc, its
    // stream starts at tx_before(pc), and its responses count on from the
    // ordinal of the RecvHttp before pc.
    bool can_resume_at(size_t pc) const
    {
        return http_ == Http::Responses && !forever() && pc > 0 && pc <= last_exchange_ &&
               steps_[pc - 1].kind == OpKind::RecvHttp;
    }

    // Bytes of the send stream at [off, off + dst.size()): copies of a
    // Bytes source, or xg_pattern_byte(stream offset) for a Pattern. With a
    // loop until the peer closes, `iterations` is how many it ran once it
    // has ended (the steps after it follow them in the stream), or
    // kLoopRunning while it runs (its body repeats without end). Bytes past
    // the stream (a caller's bug) are zero. Safe from many threads.
    // `ctx`: the flow's, for a program with fields (none: all zero); its
    // request is set here, from the step (or the loop's iteration).
    void fill(uint64_t off, std::span<uint8_t> dst, uint64_t iterations = kLoopRunning,
              const FieldContext* ctx = nullptr) const;

    // Received bytes [off, off + data.size()) against the expected bytes of
    // the Recv steps they fall in (bytes of other steps pass): false at the
    // first that differs. Offsets in the loop until the peer closes repeat
    // by its period.
    bool rx_matches(uint64_t off, std::span<const uint8_t> data) const;

private:
    enum class Http : uint8_t { None, Responses, Requests };

    // The receive-stream range of a Recv step that expects given bytes, in
    // the coordinates of the loop's first iteration.
    struct RxCheck {
        uint64_t begin = 0, end = 0;
        uint32_t expect = 0;  // index into expected_
    };
    bool rx_matches_once(uint64_t off, const uint8_t* d, size_t n) const;

    struct FillAt {
        uint64_t off;         // the stream offset of d[0]
        uint64_t iteration;   // of the loop until the peer closes, when filling its body
        const FieldContext* ctx;
    };
    size_t fill_steps(size_t first, size_t last, uint64_t at, const FillAt& where, uint8_t* d, size_t n) const;

    std::vector<Step> steps_;
    std::vector<SendSource> sources_;  // one per Send op of the spec, shared by its unrolled copies
    std::vector<std::string> expected_;  // one per Recv op with expected bytes
    std::vector<RxCheck> rx_checks_;     // by receive offset, without overlaps
    std::string describe_;
    uint64_t tx_total_ = 0;
    size_t loop_begin_ = 0, loop_end_ = 0;
    uint64_t loop_tx_ = 0, loop_rx_ = 0;
    uint64_t period_tx_ = 0, period_rx_ = 0;
    uint32_t period_http_ = 0;
    uint32_t max_iterations_ = 0;
    size_t last_exchange_ = 0;  // the last Send or receive step (0 if none)
    uint16_t expect_status_ = 0;
    bool verify_ = false;
    bool has_fields_ = false;
    Http http_ = Http::None;
};

// Why a flow's program failed; the engine counts them per name.
enum class Failure : uint8_t { None, HttpStatus, HttpMalformed, VerifyMismatch, PeerClosedEarly, ExpectMismatch };
// "none", "http_status", "http_malformed", "verify_mismatch", "peer_closed_early",
// "expect_mismatch" (JSON keys).
const char* failure_name(Failure f);

// One flow's place in its program. Value-initialised = not started.
struct FlowState {
    // When the current Delay ends (valid with delay_armed): the ms clock,
    // now / 1 ms, mod 2^32, rounded up. Compared by signed difference, so
    // the clock's wrap does not matter for delays under 24 days.
    uint32_t wake_ms = 0;
    union {
        // A program with a loop until the peer closes: its iterations completed.
        uint32_t iterations = 0;
        // Any other program: the step it started at. Not 0 on a connection
        // that continues a program after the server closed the one before
        // (Program::resume_at): its stream begins at tx_before(resume_pc).
        uint32_t resume_pc;
    };
    uint32_t pc : 21 = 0;     // the step to run next; step_count() = the program completed
    uint32_t failure : 3 = 0; // a Failure
    uint32_t started : 1 = 0;       // Established seen: the program runs
    uint32_t peer_fin : 1 = 0;      // the peer's FIN came: the receive stream is complete
    uint32_t delay_armed : 1 = 0;   // the Delay at pc has its wake_at
    uint32_t close_handed : 1 = 0;  // Action::Close was reported
    uint32_t reset_handed : 1 = 0;  // Action::Reset was reported
    uint32_t early_tx : 1 = 0;      // sends released at establishment, not yet reported as tx_grew
    // A response ended the connection (HttpParser::closes) while the
    // program had more to exchange: it stops at pc, which is where a new
    // connection goes on (Runner::server_closed).
    uint32_t server_closed : 1 = 0;
};
static_assert(sizeof(FlowState) <= 12, "the engine holds one per flow, millions of them");

// What a flow whose program parses HTTP (Program::in_order) keeps besides:
// a separate array, so flows of other programs do not pay its 16 bytes.
struct HttpState {
    HttpParser http;  // the receive stream
    // HTTP messages completed (saturating); in a loop until the peer closes,
    // those not taken by the iterations it completed.
    uint32_t responses = 0;
};
static_assert(sizeof(HttpState) <= 16, "one per flow of an HTTP program");
static_assert(Program::kMaxSteps < (1u << 21), "FlowState::pc must hold every step index and the end");

enum class Action : uint8_t { None, Close, Reset };

// What the engine tells a program at a Gate step: nothing yet, go (one
// pass), or the run is ending (the loop the gate begins ends).
enum class Gate : uint8_t { Wait, Open, End };

struct Next {
    bool tx_grew = false;          // new send bytes were released: poll the connection so they go out
    Action action = Action::None;  // each reported once per flow: Close -> Connection::close, Reset -> abort
    uint64_t wake_at = tcp::kNever;  // a Delay ends then (ns): call advance() again at that time
    bool reached_gate = false;     // the program came to its Gate: the exchange before it is complete
    bool waits_at_gate = false;    // ... and waits there: call advance() with Gate::Open or Gate::End
};

// Who knows a flow's FieldContext (the engine): asked only when a program
// with fields fills bytes.
class FieldContextSource {
public:
    virtual void field_context(uint32_t flow, FieldContext& out) const = 0;

protected:
    ~FieldContextSource() = default;
};

// The program of one flow as the TCP core's application. Built on the stack
// for one call (three references, nothing allocated). `h` is required when
// the program parses HTTP (p.in_order()), may be null otherwise.
class Runner final : public tcp::TcpApp {
public:
    Runner(const Program& p, FlowState& s, HttpState* h, const FieldContextSource* fields = nullptr,
           uint32_t flow = 0)
        : p_(p), s_(s), h_(h), fields_(fields), flow_(flow)
    {
    }

    uint64_t tx_available(uint64_t offset) override;
    void tx_fill(uint64_t offset, std::span<uint8_t> dst) override;
    void rx_data(uint64_t offset, std::span<const uint8_t> data) override;
    void on_event(tcp::TcpEvent ev, uint64_t value) override;
    // True when the program, at the peer's FIN, has nothing left but to
    // close (recv-until-close, close): it moves past both.
    bool close_on_peer_fin() override;

    // Runs the program from its step as far as it can at `now`. Call after
    // every call into the Connection. rx_contiguous = Tcb::rcv_nxt_off;
    // peer_fin = the peer's FIN has been received.
    // `gate` is for a program waiting at a Gate (Next::waits_at_gate).
    Next advance(uint64_t now, uint64_t rx_contiguous, bool peer_fin, Gate gate = Gate::Wait);
    // The program waits at its Gate (what the last advance() reported).
    bool at_gate() const
    {
        return s_.started && !stopped() && !s_.server_closed && s_.pc < p_.step_count() &&
               p_.step(s_.pc).kind == OpKind::Gate;
    }

    bool started() const { return s_.started; }
    bool finished() const { return s_.started && s_.pc >= p_.step_count(); }
    Failure failure() const { return Failure(s_.failure); }
    // HTTP messages completed: responses for a client, requests for a server.
    uint64_t http_responses() const
    {
        return (p_.in_order() ? h_->responses : 0) + uint64_t(iterations()) * p_.period_http();
    }
    uint64_t http_requests() const { return http_responses(); }
    // ... on this connection only: without those of the connections before
    // it in a program that the server's closes split (resume_pc).
    uint64_t http_messages_here() const;
    // Iterations the loop until the peer closes completed (0 without one).
    uint32_t iterations() const { return p_.forever() ? s_.iterations : 0; }
    // A response ended the connection before the program's last exchange:
    // the program is neither done nor failed; it goes on from resume_at()
    // over a new connection (FlowState::server_closed).
    bool server_closed() const { return s_.server_closed; }
    uint32_t resume_at() const { return s_.pc; }
    // Sets up `s` and `h` for a connection that goes on with the program at
    // step pc (Program::can_resume_at(pc)).
    static void prepare_resume(const Program& p, uint32_t pc, FlowState& s, HttpState& h);
    // Reading requests: the last one asked to close the connection (the loop
    // until the peer closes ends at its next iteration).
    bool peer_asked_close() const { return p_.reads_requests() && h_->http.closes(); }

private:
    bool stopped() const { return !s_.started || s_.failure || s_.reset_handed || finished(); }
    bool in_loop_body() const { return s_.pc >= p_.loop_begin() && s_.pc < p_.loop_end(); }
    // Where this connection's stream begins in the program's send stream.
    uint64_t tx_base() const { return p_.forever() ? 0 : p_.tx_before(s_.resume_pc); }
    void set_failure(Failure f);
    void add_messages(uint32_t n);

    const Program& p_;
    FlowState& s_;
    HttpState* h_;
    const FieldContextSource* fields_;
    uint32_t flow_;
};

}  // namespace xdpgen::program
