// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "program/program.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "stats/units.hpp"
#include "xdpgen/pattern.h"

namespace xdpgen::program {

namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

uint64_t sat_add(uint64_t a, uint64_t b) { return a > kU64Max - b ? kU64Max : a + b; }
uint64_t sat_mul(uint64_t a, uint64_t b) { return b && a > kU64Max / b ? kU64Max : a * b; }

uint64_t send_size(const SendSource& s)
{
    switch (s.kind) {
    case SendSource::Kind::Bytes: return s.bytes.size();
    case SendSource::Kind::Pattern: return s.size;
    case SendSource::Kind::Fields: return s.fields ? s.fields->size() : 0;
    }
    return 0;
}

bool is_recv(OpKind k)
{
    return k == OpKind::Recv || k == OpKind::RecvUntilClose || k == OpKind::RecvHttp || k == OpKind::RecvHttpRequest;
}

// xg_pattern_byte over a run, without a division per byte.
void pattern_fill(uint64_t off, uint8_t* d, size_t n)
{
    uint32_t r = uint32_t(off % XG_PATTERN_CYCLE);
    while (n) {
        size_t run = std::min<uint64_t>(n, 65536 - (off & 0xffff));
        uint8_t hi = uint8_t(off >> 16);
        for (size_t k = 0; k < run; ++k) {
            d[k] = uint8_t(r + hi);
            if (++r == XG_PATTERN_CYCLE)
                r = 0;
        }
        d += run;
        off += run;
        n -= run;
    }
}

// Offset of the first byte in [off, off + n) that is not the pattern, or n.
size_t pattern_mismatch(uint64_t off, const uint8_t* d, size_t n)
{
    uint32_t r = uint32_t(off % XG_PATTERN_CYCLE);
    size_t i = 0;
    while (i < n) {
        size_t run = std::min<uint64_t>(n - i, 65536 - (off & 0xffff));
        uint8_t hi = uint8_t(off >> 16);
        for (size_t k = 0; k < run; ++k, ++i) {
            if (d[i] != uint8_t(r + hi))
                return i;
            if (++r == XG_PATTERN_CYCLE)
                r = 0;
        }
        off += run;
    }
    return n;
}

std::string op_label(size_t i, const Op& op) { return "op " + std::to_string(i + 1) + " (" + op_name(op.kind) + ")"; }

std::string describe_op(const Op& op)
{
    switch (op.kind) {
    case OpKind::Send:
        return "send " + fmt_count(send_size(op.send)) + " B" +
               (op.send.kind == SendSource::Kind::Pattern  ? " pattern"
                : op.send.kind == SendSource::Kind::Fields ? " with fields"
                                                           : "");
    case OpKind::Recv: return (op.send.bytes.empty() ? "recv " : "expect ") + fmt_count(op.count) + " B";
    case OpKind::RecvUntilClose: return "recv until close";
    case OpKind::RecvHttp: return "recv http";
    case OpKind::RecvHttpRequest: return "recv http request";
    case OpKind::Delay: return "delay " + fmt_count(op.count) + " ms";
    case OpKind::Close: return "close";
    case OpKind::Reset: return "reset";
    case OpKind::Gate: return "on schedule";
    default: return op_name(op.kind);
    }
}

// ops[i, end) at one nesting level; i is left after the level's EndLoop.
// A loop that opens the whole program reads "a, b, x10": the count closes
// everything before it. Elsewhere the body is bracketed: "a, [b, c] x10".
// A loop until the peer closes reads "until the peer closes" for "x10"
// ("until the run ends" when a gate begins it).
std::string describe_level(const std::vector<Op>& ops, size_t& i, bool top)
{
    std::string out;
    auto add = [&out](const std::string& s) {
        if (!out.empty())
            out += ", ";
        out += s;
    };
    while (i < ops.size() && ops[i].kind != OpKind::EndLoop) {
        const Op& op = ops[i++];
        if (op.kind != OpKind::Loop) {
            add(describe_op(op));
            continue;
        }
        bool bare = top && out.empty();
        const bool gated = i < ops.size() && ops[i].kind == OpKind::Gate;
        std::string body = describe_level(ops, i, false);
        ++i;  // the EndLoop
        std::string times = op.count ? fmt_count(op.count) : std::string();
        times.insert(0, op.count ? "x" : gated ? "until the run ends" : "until the peer closes");
        if (bare)
            add(body + ", " + times);
        else
            add("[" + body + "] " + times);
    }
    return out;
}

}  // namespace

const char* op_name(OpKind k)
{
    switch (k) {
    case OpKind::Send: return "send";
    case OpKind::Recv: return "recv";
    case OpKind::RecvUntilClose: return "recv-until-close";
    case OpKind::RecvHttp: return "recv-http";
    case OpKind::RecvHttpRequest: return "recv-http-request";
    case OpKind::Delay: return "delay";
    case OpKind::Close: return "close";
    case OpKind::Reset: return "reset";
    case OpKind::Loop: return "loop";
    case OpKind::EndLoop: return "end-loop";
    case OpKind::Gate: return "gate";
    }
    return "?";
}

const char* failure_name(Failure f)
{
    switch (f) {
    case Failure::None: return "none";
    case Failure::HttpStatus: return "http_status";
    case Failure::HttpMalformed: return "http_malformed";
    case Failure::VerifyMismatch: return "verify_mismatch";
    case Failure::PeerClosedEarly: return "peer_closed_early";
    case Failure::ExpectMismatch: return "expect_mismatch";
    }
    return "?";
}

Result<Program> Program::compile(const ProgramSpec& spec)
{
    const std::vector<Op>& ops = spec.ops;
    static const std::string kForever = "a loop until the peer closes (count 0)";

    // Shape: brackets, counts and sizes, each op on its own. The step count
    // after unrolling saturates, so a absurd loop count is reported, not
    // wrapped.
    std::vector<size_t> open;        // indices of the Loops not yet closed
    std::vector<uint64_t> body{0};   // steps in the body of each open level so far
    size_t forever_at = SIZE_MAX;    // the loop until the peer closes, once seen
    bool in_forever = false, after_forever = false, forever_first = false;
    bool has_close = false, has_reset = false, has_http = false, has_http_request = false, has_bytes_recv = false;
    for (size_t i = 0; i < ops.size(); ++i) {
        const Op& op = ops[i];
        switch (op.kind) {
        case OpKind::Loop:
            if (op.count == 0) {
                // One periodic stretch of the send stream, entered once:
                // fill() maps offsets into it by one division.
                if (forever_at != SIZE_MAX)
                    return make_error(op_label(i, op) + ": only one loop per program can run until the peer "
                                                        "closes (count 0); op " +
                                      std::to_string(forever_at + 1) + " is one already");
                if (!open.empty())
                    return make_error(op_label(i, op) + ": " + kForever +
                                      " must be at the top level, not inside another loop: it ends only when "
                                      "the peer stops, so nothing could repeat it");
                forever_at = i;
                in_forever = true;
                forever_first = true;
            }
            open.push_back(i);
            body.push_back(0);
            continue;
        case OpKind::EndLoop:
            if (open.empty())
                return make_error(op_label(i, op) + ": end-loop without a loop");
            if (body.back() == 0)
                return make_error(op_label(open.back(), ops[open.back()]) + ": the loop is empty");
            if (open.back() == forever_at) {
                in_forever = false;
                after_forever = true;
            }
            open.pop_back();
            body.pop_back();
            ++body.back();
            continue;
        case OpKind::Send:
            if (send_size(op.send) == 0)
                return make_error(op_label(i, op) + ": nothing to send (0 bytes)");
            break;
        case OpKind::Recv:
            if (op.count == 0)
                return make_error(op_label(i, op) + ": receiving 0 bytes waits for nothing");
            if (!op.send.bytes.empty() && op.send.bytes.size() != op.count)
                return make_error(op_label(i, op) + ": expects " + std::to_string(op.send.bytes.size()) +
                                  " bytes but receives " + std::to_string(op.count));
            has_bytes_recv = true;
            break;
        case OpKind::RecvUntilClose: has_bytes_recv = true; break;
        case OpKind::RecvHttp: has_http = true; break;
        case OpKind::RecvHttpRequest: has_http_request = true; break;
        case OpKind::Close: has_close = true; break;
        case OpKind::Reset: has_reset = true; break;
        case OpKind::Delay:
            if (op.count > kU64Max / tcp::kMs)
                return make_error(op_label(i, op) + ": delay of " + std::to_string(op.count) + " ms is too long");
            break;
        case OpKind::Gate:
            if (!in_forever || !forever_first)
                return make_error(op_label(i, op) + ": a gate can only begin " + kForever +
                                  ": the engine ends that loop there when the run ends");
            break;
        }
        if (in_forever) {
            // The loop's end is decided at the step that begins an
            // iteration: the peer closing there is the normal way out.
            if (forever_first && !is_recv(op.kind) && op.kind != OpKind::Gate)
                return make_error(op_label(forever_at, ops[forever_at]) + ": " + kForever +
                                  " must begin with a receive step or a gate: the peer closing while it waits "
                                  "there ends the loop (op " + std::to_string(i + 1) + " is a " + op_name(op.kind) +
                                  ")");
            forever_first = false;
            if (op.kind == OpKind::Close || op.kind == OpKind::Reset || op.kind == OpKind::RecvUntilClose)
                return make_error(op_label(i, op) + " cannot be inside " + kForever +
                                  ": the loop runs until the peer closes; put it after the loop");
        }
        if (after_forever && is_recv(op.kind))
            return make_error(op_label(i, op) + " comes after " + kForever +
                              ": the loop ends when the peer has nothing more to send");
        ++body.back();
    }
    if (!open.empty())
        return make_error(op_label(open.back(), ops[open.back()]) + ": loop without end-loop");
    if (has_http && has_http_request)
        return make_error("recv-http and recv-http-request cannot be mixed in one program: the receive stream "
                          "is either responses (a client) or requests (a server)");
    if ((has_http || has_http_request) && has_bytes_recv)
        return make_error(std::string(has_http ? "recv-http" : "recv-http-request") +
                          " cannot be mixed with recv or recv-until-close in one program: the HTTP parser reads "
                          "the whole receive stream as " + (has_http ? "responses" : "requests"));
    if ((has_http || has_http_request) && spec.verify)
        return make_error(std::string("verify checks received bytes against the pattern and cannot be used with ") +
                          (has_http ? "recv-http" : "recv-http-request"));
    if (has_http_request && spec.expect_status)
        return make_error("expect status checks HTTP responses (recv-http); this program reads requests");

    // The unrolled size, saturating (the loop until the peer closes once).
    uint64_t steps = 0;
    {
        std::vector<uint64_t> m{1};
        for (const Op& op : ops) {
            if (op.kind == OpKind::Loop)
                m.push_back(sat_mul(m.back(), op.count ? op.count : 1));
            else if (op.kind == OpKind::EndLoop)
                m.pop_back();
            else
                steps = sat_add(steps, m.back());
        }
    }
    bool implicit_close = !has_close && !has_reset;
    steps = sat_add(steps, implicit_close);
    if (steps > kMaxSteps)
        return make_error("program too long: " + std::to_string(steps) + " steps after expanding loops (at most " +
                          std::to_string(kMaxSteps) + ")");

    Program p;
    p.verify_ = spec.verify;
    p.expect_status_ = spec.expect_status;
    p.http_ = has_http ? Http::Responses : has_http_request ? Http::Requests : Http::None;
    p.steps_.reserve(steps);
    std::vector<uint32_t> source_of(ops.size(), 0);
    for (size_t i = 0; i < ops.size(); ++i) {
        if (ops[i].kind == OpKind::Send) {
            source_of[i] = uint32_t(p.sources_.size());
            p.sources_.push_back(ops[i].send);
            p.has_fields_ |= ops[i].send.kind == SendSource::Kind::Fields;
        } else if (ops[i].kind == OpKind::Recv && !ops[i].send.bytes.empty()) {
            p.expected_.push_back(ops[i].send.bytes);
            source_of[i] = uint32_t(p.expected_.size());
        }
    }

    // Unroll, checking the order rules on the real sequence of steps (a
    // rule can break only on a loop's second pass: "loop { send; close }").
    // The loop until the peer closes is unrolled once; the steps after it
    // count from where it began, as if it ran 0 times.
    struct Frame {
        size_t begin;    // first op of the body
        uint64_t left;   // iterations still to run after this one
        bool forever;
    };
    std::vector<Frame> loops;
    std::vector<uint32_t> copies(ops.size(), 0);  // each op's copies unrolled so far
    uint64_t tx = 0, rx = 0, http = 0, http_at_loop = 0;
    bool closed = false, reset = false, until_close = false;
    for (size_t i = 0; i < ops.size(); ++i) {
        const Op& op = ops[i];
        if (op.kind == OpKind::Loop) {
            if (op.count == 0) {
                p.loop_begin_ = p.steps_.size();
                p.loop_tx_ = tx;
                p.loop_rx_ = rx;
                http_at_loop = http;
            }
            loops.push_back({i + 1, op.count ? op.count - 1 : 0, op.count == 0});
            continue;
        }
        if (op.kind == OpKind::EndLoop) {
            if (loops.back().left) {
                --loops.back().left;
                i = loops.back().begin - 1;
                continue;
            }
            bool forever = loops.back().forever;
            loops.pop_back();
            if (forever) {
                p.loop_end_ = p.steps_.size();
                p.period_tx_ = tx - p.loop_tx_;
                p.period_rx_ = rx - p.loop_rx_;
                if (http - http_at_loop > UINT32_MAX)
                    return make_error("the loop until the peer closes reads too many HTTP messages per iteration");
                p.period_http_ = uint32_t(http - http_at_loop);
                tx = p.loop_tx_;
                rx = p.loop_rx_;
                http = http_at_loop;
            }
            continue;
        }
        if (reset)
            return make_error(op_label(i, op) + " comes after a reset: the connection is gone by then");
        if (closed && op.kind == OpKind::Send)
            return make_error(op_label(i, op) + " comes after a close: nothing can be sent after our FIN");
        if (until_close && is_recv(op.kind))
            return make_error(op_label(i, op) + " comes after recv-until-close: nothing arrives after the peer's FIN");

        Step s;
        s.kind = op.kind;
        s.tx_before = tx;
        s.copy = copies[i]++;
        switch (op.kind) {
        case OpKind::Send:
            s.arg = send_size(op.send);
            s.source = source_of[i];
            if (tx > kU64Max - s.arg)
                return make_error("the program sends more than 2^64 bytes");
            tx += s.arg;
            break;
        case OpKind::Recv:
            if (rx > kU64Max - op.count)
                return make_error("the program receives more than 2^64 bytes");
            s.source = source_of[i];
            if (s.source)
                p.rx_checks_.push_back({rx, rx + op.count, s.source - 1});
            rx += op.count;
            s.arg = rx;
            break;
        case OpKind::RecvHttp:
        case OpKind::RecvHttpRequest: s.arg = ++http; break;
        case OpKind::RecvUntilClose: until_close = true; break;
        case OpKind::Delay: s.arg = op.count * tcp::kMs; break;
        case OpKind::Close: closed = true; break;
        case OpKind::Reset: reset = true; break;
        default: break;
        }
        p.steps_.push_back(s);
    }
    if (implicit_close) {
        Step s;
        s.kind = OpKind::Close;
        s.tx_before = tx;
        p.steps_.push_back(s);
    }
    p.tx_total_ = tx;
    for (size_t k = 0; k < p.steps_.size(); ++k)
        if (p.steps_[k].kind == OpKind::Send || is_recv(p.steps_[k].kind))
            p.last_exchange_ = k;

    if (p.forever()) {
        // Iterations stop where a count in the flow state or a stream
        // offset would wrap.
        uint64_t most = UINT32_MAX;
        if (p.period_tx_)
            most = std::min(most, (kU64Max - p.tx_total_) / p.period_tx_);
        if (p.period_rx_)
            most = std::min(most, (kU64Max - p.loop_rx_ - p.period_rx_) / p.period_rx_);
        if (most == 0)
            return make_error("the loop until the peer closes sends or receives too much per iteration");
        p.max_iterations_ = uint32_t(most);
    }

    size_t i = 0;
    p.describe_ = describe_level(ops, i, true);
    if (implicit_close)
        p.describe_ += p.describe_.empty() ? "close" : ", close";
    if (spec.verify)
        p.describe_ += ", verify";
    if (has_http && spec.expect_status)
        p.describe_ += ", expect status " + std::to_string(spec.expect_status);
    return p;
}

size_t Program::fill_steps(size_t first, size_t last, uint64_t at, const FillAt& where, uint8_t* d, size_t n) const
{
    const uint64_t off = where.off;
    // The last step released at or before `at`: the Send holding it (Sends
    // are never empty, so no other step shares its start and lies after it).
    auto b = steps_.begin() + long(first), e = steps_.begin() + long(last);
    auto it = std::upper_bound(b, e, at, [](uint64_t v, const Step& s) { return v < s.tx_before; });
    if (it == b)
        return 0;
    size_t done = 0;
    for (size_t i = size_t(it - steps_.begin()) - 1; done < n && i < last; ++i) {
        const Step& s = steps_[i];
        if (s.kind != OpKind::Send)
            continue;
        uint64_t in = at - s.tx_before;
        size_t k = std::min<uint64_t>(s.arg - in, n - done);
        const SendSource& src = sources_[s.source];
        if (src.kind == SendSource::Kind::Bytes) {
            std::memcpy(d + done, src.bytes.data() + in, k);
        } else if (src.kind == SendSource::Kind::Pattern) {
            pattern_fill(off + done, d + done, k);  // by stream offset, whatever the iteration
        } else {
            FieldContext ctx = where.ctx ? *where.ctx : FieldContext{};
            ctx.request = i >= loop_begin_ && i < loop_end_ ? where.iteration : s.copy;
            src.fields->render(ctx, in, std::span<uint8_t>(d + done, k));
        }
        done += k;
        at += k;
    }
    return done;
}

void Program::fill(uint64_t off, std::span<uint8_t> dst, uint64_t iterations, const FieldContext* ctx) const
{
    uint8_t* d = dst.data();
    size_t left = dst.size();
    while (left) {
        // Which steps hold `off`, and where it lies in their tx_before
        // coordinates: before the loop, in one of its iterations (modulo
        // the period), or after it.
        size_t first = 0, last = steps_.size();
        uint64_t at = off, end = tx_total_, iteration = 0;
        if (forever()) {
            if (off < loop_tx_) {
                last = loop_begin_;
                end = loop_tx_;
            } else {
                uint64_t rel = off - loop_tx_;
                if (period_tx_ && rel / period_tx_ < iterations) {
                    first = loop_begin_;
                    last = loop_end_;
                    iteration = rel / period_tx_;
                    at = loop_tx_ + rel % period_tx_;
                    end = loop_tx_ + period_tx_;
                } else if (iterations != kLoopRunning) {
                    first = loop_end_;
                    at = off - iterations * period_tx_;
                } else {
                    break;
                }
            }
        }
        if (at >= end)
            break;
        size_t n = fill_steps(first, last, at, FillAt{off, iteration, ctx}, d, size_t(std::min<uint64_t>(left, end - at)));
        if (n == 0)
            break;
        d += n;
        off += n;
        left -= n;
    }
    if (left)
        std::memset(d, 0, left);
}

bool Program::rx_matches_once(uint64_t off, const uint8_t* d, size_t n) const
{
    auto it = std::upper_bound(rx_checks_.begin(), rx_checks_.end(), off,
                               [](uint64_t v, const RxCheck& c) { return v < c.end; });
    for (; n && it != rx_checks_.end(); ++it) {
        if (it->begin >= off + n)
            break;
        const uint64_t from = std::max(off, it->begin), to = std::min(off + n, it->end);
        const std::string& want = expected_[it->expect];
        if (std::memcmp(d + (from - off), want.data() + (from - it->begin), to - from) != 0)
            return false;
    }
    return true;
}

bool Program::rx_matches(uint64_t off, std::span<const uint8_t> data) const
{
    const uint8_t* d = data.data();
    size_t n = data.size();
    while (n) {
        // Map into the first iteration, one period's stretch at a time.
        uint64_t at = off, room = n;
        if (forever() && period_rx_ && off >= loop_rx_) {
            const uint64_t in = (off - loop_rx_) % period_rx_;
            at = loop_rx_ + in;
            room = period_rx_ - in;
        }
        const size_t k = size_t(std::min<uint64_t>(room, n));
        if (!rx_matches_once(at, d, k))
            return false;
        d += k;
        off += k;
        n -= k;
    }
    return true;
}

Status apply_fields(ProgramSpec& spec, const FieldDefs& defs, uint32_t max_requests, bool v6)
{
    for (size_t i = 0; i < spec.ops.size(); i++) {
        SendSource& src = spec.ops[i].send;
        if (spec.ops[i].kind != OpKind::Send || src.kind != SendSource::Kind::Bytes || src.literal ||
            src.bytes.find('$') == std::string::npos)
            continue;
        auto text = FieldText::parse(src.bytes, defs, max_requests, v6);
        if (!text)
            return text.error().context("op " + std::to_string(i + 1) + " (send)");
        if (!text->has_fields() && text->size() == src.bytes.size())
            continue;  // only '$' that are no fields: the bytes as they are
        src.kind = SendSource::Kind::Fields;
        src.fields = std::make_shared<const FieldText>(std::move(text.value()));
        src.bytes.clear();
    }
    return {};
}

// --- Runner ---

uint64_t Runner::tx_available(uint64_t offset)
{
    if (!s_.started)
        return 0;
    uint64_t released = p_.tx_released(s_.pc, s_.iterations) - tx_base();
    return released > offset ? released - offset : 0;
}

void Runner::tx_fill(uint64_t offset, std::span<uint8_t> dst)
{
    // Until the loop has ended its body repeats without end; after, the
    // steps that follow it start where its last iteration stopped.
    bool ended = p_.forever() && s_.pc >= p_.loop_end();
    FieldContext ctx;
    if (p_.has_fields() && fields_)
        fields_->field_context(flow_, ctx);
    p_.fill(tx_base() + offset, dst, ended ? s_.iterations : Program::kLoopRunning, p_.has_fields() ? &ctx : nullptr);
}

uint64_t Runner::http_messages_here() const
{
    const uint64_t before = s_.resume_pc && !p_.forever() ? p_.step(s_.resume_pc - 1).arg : 0;
    return http_responses() - std::min(before, http_responses());
}

void Runner::prepare_resume(const Program& p, uint32_t pc, FlowState& s, HttpState& h)
{
    s = FlowState{};
    h = HttpState{};
    s.pc = pc;
    s.resume_pc = pc;
    h.responses = uint32_t(p.step(pc - 1).arg);
}

void Runner::set_failure(Failure f)
{
    if (!s_.failure)
        s_.failure = uint32_t(f);
}

void Runner::add_messages(uint32_t n)
{
    h_->responses = uint32_t(std::min<uint64_t>(uint64_t(h_->responses) + n, UINT32_MAX));
}

void Runner::rx_data(uint64_t offset, std::span<const uint8_t> data)
{
    // Bytes after the program completed (or failed) change nothing.
    if (stopped())
        return;
    if (p_.expects() && !p_.rx_matches(offset, data)) {
        set_failure(Failure::ExpectMismatch);
        return;
    }
    if (p_.verify()) {
        if (pattern_mismatch(offset, data.data(), data.size()) != data.size())
            set_failure(Failure::VerifyMismatch);
        return;
    }
    if (p_.in_order()) {
        HttpProgress pr = p_.reads_requests() ? h_->http.feed_request(data) : h_->http.feed(data, p_.expect_status());
        add_messages(pr.completed);
        if (pr.verdict == HttpVerdict::BadStatus)
            set_failure(Failure::HttpStatus);
        else if (pr.verdict == HttpVerdict::Malformed)
            set_failure(Failure::HttpMalformed);
    }
}

void Runner::on_event(tcp::TcpEvent ev, uint64_t)
{
    if (ev == tcp::TcpEvent::Established) {
        s_.started = 1;
        // Leading sends need nothing but the connection: released here,
        // during the handshake's last step, their first bytes leave with
        // its ACK instead of in a packet of their own.
        while (s_.pc < p_.step_count() && p_.step(s_.pc).kind == OpKind::Send &&
               !(p_.forever() && s_.pc >= p_.loop_begin())) {
            ++s_.pc;
            s_.early_tx = 1;
        }
    } else if (ev == tcp::TcpEvent::PeerFin)
        s_.peer_fin = 1;
}

bool Runner::close_on_peer_fin()
{
    const uint32_t pc = s_.pc;
    if (!s_.started || s_.failure || s_.close_handed || s_.reset_handed || pc + 2 != p_.step_count() ||
        p_.step(pc).kind != OpKind::RecvUntilClose || p_.step(pc + 1).kind != OpKind::Close ||
        (p_.forever() && pc + 1 >= p_.loop_begin()))
        return false;
    s_.peer_fin = 1;
    s_.close_handed = 1;
    s_.pc = pc + 2;
    return true;
}

Next Runner::advance(uint64_t now, uint64_t rx_contiguous, bool peer_fin, Gate gate)
{
    Next n;
    if (!s_.started)
        return n;
    if (peer_fin)
        s_.peer_fin = 1;
    if (s_.early_tx) {
        n.tx_grew = true;
        s_.early_tx = 0;
    }

    // Hands an action to the engine, once per Next: a second one in the same
    // call waits for the engine to come back (now) after acting on the first.
    auto hand = [&n, now](Action a) {
        if (n.action != Action::None) {
            n.wake_at = now;
            return false;
        }
        n.action = a;
        return true;
    };
    auto fail = [&](Failure f) {
        set_failure(f);
        if (!s_.reset_handed && hand(Action::Reset))
            s_.reset_handed = 1;
        return n;
    };

    if (s_.failure)
        return fail(Failure(s_.failure));
    if (s_.reset_handed || finished())
        return n;
    if (s_.server_closed) {
        // The rest goes over a new connection: this one only closes.
        if (!s_.close_handed && hand(Action::Close))
            s_.close_handed = 1;
        return n;
    }

    if (p_.in_order() && !p_.reads_requests() && s_.peer_fin) {
        // The end of the stream ends a close-delimited body.
        HttpProgress pr = h_->http.finish(p_.expect_status());
        add_messages(pr.completed);
        if (pr.verdict == HttpVerdict::BadStatus)
            return fail(Failure::HttpStatus);
    }

    while (s_.pc < p_.step_count()) {
        const Program::Step& st = p_.step(s_.pc);
        // The step that begins an iteration of the loop until the peer
        // closes (always a receive step): where the loop may end.
        const bool loop_head = p_.forever() && s_.pc == p_.loop_begin();
        switch (st.kind) {
        case OpKind::Send:
            n.tx_grew = true;  // never waits for ACKs: the TCP core paces the stream
            break;
        case OpKind::Recv: {
            uint64_t shift = in_loop_body() ? uint64_t(s_.iterations) * p_.period_rx() : 0;
            if (rx_contiguous < st.arg + shift) {
                if (loop_head && s_.peer_fin && rx_contiguous == p_.loop_rx() + shift) {
                    s_.pc = uint32_t(p_.loop_end());
                    continue;
                }
                return s_.peer_fin ? fail(Failure::PeerClosedEarly) : n;
            }
            break;
        }
        case OpKind::RecvUntilClose:
            if (!s_.peer_fin)
                return n;
            break;
        case OpKind::RecvHttp:
        case OpKind::RecvHttpRequest:
            // In the loop, responses counts from the iteration's start: the
            // ordinal of the first iteration applies to every one.
            if (h_->responses < st.arg) {
                // Nothing of a next message, and none will come.
                bool over = h_->http.idle() && (s_.peer_fin || h_->http.closes());
                if (loop_head && over) {
                    s_.pc = uint32_t(p_.loop_end());
                    continue;
                }
                return s_.peer_fin ? fail(Failure::PeerClosedEarly) : n;
            }
            // This response ended the connection with more of the program
            // to come: as wrk, go on over a new one (the worker opens it).
            if (h_->http.closes() && h_->responses == st.arg && p_.can_resume_at(s_.pc + 1)) {
                ++s_.pc;
                s_.server_closed = 1;
                if (!s_.close_handed && hand(Action::Close))
                    s_.close_handed = 1;
                return n;
            }
            break;
        case OpKind::Gate: {
            // Always the head of the loop until the peer closes. A go finds
            // the program already there (its arrival was reported).
            n.reached_gate = gate != Gate::Open;
            const bool closed = s_.peer_fin || (p_.in_order() && h_->http.closes());
            if (gate == Gate::End || closed) {
                s_.pc = uint32_t(p_.loop_end());
                continue;
            }
            if (gate != Gate::Open) {
                n.waits_at_gate = true;
                return n;
            }
            gate = Gate::Wait;  // one go, one pass
            break;
        }
        case OpKind::Delay:
            if (!s_.delay_armed) {
                s_.wake_ms = static_cast<uint32_t>((sat_add(now, st.arg) + tcp::kMs - 1) / tcp::kMs);
                s_.delay_armed = 1;
            }
            if (const auto left = static_cast<int32_t>(s_.wake_ms - static_cast<uint32_t>(now / tcp::kMs)); left > 0) {
                n.wake_at = now - now % tcp::kMs + uint64_t(left) * tcp::kMs;
                return n;
            }
            s_.delay_armed = 0;
            break;
        case OpKind::Close:
            // A second Close (from a loop) has nothing left to close.
            if (!s_.close_handed) {
                if (!hand(Action::Close))
                    return n;
                s_.close_handed = 1;
            }
            break;
        case OpKind::Reset:
            if (!hand(Action::Reset))
                return n;
            s_.reset_handed = 1;
            ++s_.pc;
            return n;
        default:
            break;
        }
        ++s_.pc;
        if (p_.forever() && s_.pc == p_.loop_end()) {
            // An iteration is over: the next starts at the body's first
            // step, its messages counted afresh; at the limit the loop ends.
            if (p_.in_order())
                h_->responses -= p_.period_http();
            if (++s_.iterations < p_.max_iterations())
                s_.pc = uint32_t(p_.loop_begin());
        }
    }
    return n;
}

}  // namespace xdpgen::program
