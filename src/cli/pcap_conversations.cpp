// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/pcap_conversations.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

namespace xdpgen::pcapconv {
namespace {

using Bytes = std::basic_string_view<uint8_t>;

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// "64 MiB", or in bytes when not whole MiB.
std::string size_text(uint64_t n) { return n % (1u << 20) == 0 ? fmt::format("{} MiB", n >> 20) : fmt::format("{} bytes", n); }

// ---- one packet, down to its TCP segment ----

struct Segment {
    Endpoint src, dst;
    uint32_t seq = 0, ack = 0;
    uint8_t flags = 0;
    Bytes payload;
    bool cut_short = false;  // the capture kept less than the packet carried
    SynOptions opts;         // parsed only for SYNs
};

// Either a segment or why the packet is no part of a conversation.
struct Parsed {
    std::optional<Segment> seg;
    const char* left_out = nullptr;
};

Parsed left_out(const char* why) { return Parsed{std::nullopt, why}; }

SynOptions parse_syn_options(Bytes o)
{
    SynOptions s;
    size_t i = 0;
    while (i < o.size() && o[i] != 0) {
        if (o[i] == 1) {  // NOP
            ++i;
            continue;
        }
        if (i + 1 >= o.size() || o[i + 1] < 2 || i + o[i + 1] > o.size())
            break;  // malformed: keep what was read
        const uint8_t kind = o[i], len = o[i + 1];
        if (kind == 2 && len == 4)
            s.mss = be16(&o[i + 2]);
        else if (kind == 3 && len == 3)
            s.wscale = o[i + 2];
        else if (kind == 4 && len == 2)
            s.sack = true;
        else if (kind == 8 && len == 10)
            s.timestamps = true;
        i += len;
    }
    return s;
}

// `claimed`: the TCP length the IP header gives; the capture may hold less.
Parsed parse_tcp(Bytes b, size_t claimed, const IpAddr& src, const IpAddr& dst)
{
    if (b.size() < 20 || claimed < 20)
        return left_out("cut-short headers");
    const size_t hlen = (b[12] >> 4) * 4u;
    if (hlen < 20 || hlen > b.size() || hlen > claimed)
        return left_out("bad TCP header");
    Segment s;
    s.src = Endpoint{src, be16(&b[0])};
    s.dst = Endpoint{dst, be16(&b[2])};
    s.seq = be32(&b[4]);
    s.ack = be32(&b[8]);
    s.flags = b[13];
    const size_t avail = std::min(b.size(), claimed);
    s.payload = b.substr(hlen, avail - hlen);
    s.cut_short = avail < claimed;
    if (s.flags & kSyn)
        s.opts = parse_syn_options(b.substr(20, hlen - 20));
    return Parsed{s, nullptr};
}

Parsed parse_ipv4(Bytes b)
{
    if (b.size() < 20)
        return left_out("cut-short headers");
    const size_t ihl = (b[0] & 0x0f) * 4u;
    const size_t total = be16(&b[2]);
    if (ihl < 20 || b.size() < ihl)
        return left_out("bad IP header");
    if ((be16(&b[6]) & 0x3fff) != 0)  // more-fragments or an offset
        return left_out("IP fragment");
    if (b[9] != 6)
        return left_out("not TCP");
    // 0: a segment the NIC was to split (TSO), captured before it was.
    const size_t claimed = total == 0 ? b.size() : total;
    if (claimed < ihl)
        return left_out("bad IP header");
    IpAddr src, dst;
    std::memcpy(src.b.data(), &b[12], 4);
    std::memcpy(dst.b.data(), &b[16], 4);
    return parse_tcp(b.substr(ihl), claimed - ihl, src, dst);
}

Parsed parse_ipv6(Bytes b)
{
    if (b.size() < 40)
        return left_out("cut-short headers");
    IpAddr src, dst;
    src.v6 = dst.v6 = true;
    std::memcpy(src.b.data(), &b[8], 16);
    std::memcpy(dst.b.data(), &b[24], 16);
    const size_t plen = be16(&b[4]);  // 0: a jumbogram or TSO; take what is there
    size_t claimed = plen == 0 ? b.size() - 40 : plen;
    uint8_t next = b[6];
    size_t at = 40;
    while (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
        if (b.size() < at + 8)
            return left_out("cut-short headers");
        const size_t len = (b[at + 1] + 1u) * 8u;
        if (claimed < len)
            return left_out("bad IP header");
        next = b[at];
        at += len;
        claimed -= len;
    }
    if (next == 44)
        return left_out("IP fragment");
    if (next != 6)
        return left_out("not TCP");
    if (b.size() < at)
        return left_out("cut-short headers");
    return parse_tcp(b.substr(at), claimed, src, dst);
}

Parsed parse_ip(Bytes b)
{
    if (b.empty())
        return left_out("cut-short headers");
    switch (b[0] >> 4) {
    case 4: return parse_ipv4(b);
    case 6: return parse_ipv6(b);
    default: return left_out("not IP");
    }
}

Parsed parse_ethertype(uint16_t type, Bytes rest)
{
    if (type == 0x0800 || type == 0x86dd)
        return parse_ip(rest);
    return left_out("not IP");
}

Parsed parse_ethernet(Bytes b)
{
    size_t at = 12;
    while (b.size() >= at + 2 && (be16(&b[at]) == 0x8100 || be16(&b[at]) == 0x88a8))
        at += 4;  // an 802.1Q (or 802.1ad) tag
    if (b.size() < at + 2)
        return left_out("cut-short headers");
    return parse_ethertype(be16(&b[at]), b.substr(at + 2));
}

Parsed parse_frame(int dlt, Bytes b)
{
    switch (dlt) {
    case DLT_EN10MB: return parse_ethernet(b);
    case DLT_LINUX_SLL:  // 16 bytes, the protocol last
        return b.size() < 16 ? left_out("cut-short headers") : parse_ethertype(be16(&b[14]), b.substr(16));
    case DLT_LINUX_SLL2:  // 20 bytes, the protocol first
        return b.size() < 20 ? left_out("cut-short headers") : parse_ethertype(be16(&b[0]), b.substr(20));
    default: return parse_ip(b);  // DLT_RAW, DLT_IPV4, DLT_IPV6 (checked when opened)
    }
}

bool link_type_known(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 || dlt == DLT_RAW ||
           dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

// ---- one direction's bytes, put back in order ----

struct Piece {
    std::string data;
    uint64_t packet = 0;  // index in the capture of the segment that first carried it
    uint64_t ns = 0;
};

// A direction's stream: pieces by offset from ISN+1, no two overlapping.
class Stream {
public:
    // The 64-bit offset of a 32-bit sequence number, taken nearest to the
    // furthest offset seen so far (so a wrap past 2^32 goes forwards).
    int64_t offset_of(uint32_t seq) const
    {
        const uint32_t rel = seq - (isn + 1);
        const int64_t base = static_cast<int64_t>(furthest & ~0xffffffffull);
        int64_t best = base + rel;
        for (const int64_t c : {best - (1ll << 32), best + (1ll << 32)})
            if (std::llabs(c - static_cast<int64_t>(furthest)) < std::llabs(best - static_cast<int64_t>(furthest)))
                best = c;
        return best;
    }

    // Adds the bytes of `data` not yet held (the first copy wins); returns
    // how many bytes that was.
    uint64_t add(uint64_t off, Bytes data, uint64_t packet, uint64_t ns)
    {
        const uint64_t end = off + data.size();
        furthest = std::max(furthest, end);
        uint64_t pos = off;
        if (auto it = pieces_.upper_bound(pos); it != pieces_.begin()) {
            const auto& [start, p] = *std::prev(it);
            pos = std::max(pos, start + p.data.size());
        }
        uint64_t added = 0;
        while (pos < end) {
            const auto next = pieces_.lower_bound(pos);
            const uint64_t stop = next == pieces_.end() ? end : std::min(end, next->first);
            if (stop > pos) {
                const auto part = data.substr(pos - off, stop - pos);
                pieces_.emplace(pos, Piece{std::string(part.begin(), part.end()), packet, ns});
                added += part.size();
            }
            if (next == pieces_.end())
                break;
            pos = std::max(stop, next->first + next->second.data.size());
        }
        held_ += added;
        return added;
    }

    // The first byte never seen, if any byte at or after it was (or should
    // have been: up to `expected_end`).
    std::optional<uint64_t> gap(uint64_t expected_end) const
    {
        uint64_t at = 0;
        for (const auto& [start, p] : pieces_) {
            if (start != at)
                return at;
            at += p.data.size();
        }
        if (at < expected_end)
            return at;
        return std::nullopt;
    }

    void clear()
    {
        pieces_.clear();
        held_ = 0;
    }
    uint64_t held() const { return held_; }
    const std::map<uint64_t, Piece>& pieces() const { return pieces_; }

    uint32_t isn = 0;
    uint64_t furthest = 0;  // the end of the furthest data seen
private:
    std::map<uint64_t, Piece> pieces_;
    uint64_t held_ = 0;
};

// ---- a conversation while the capture is read ----

struct Side {
    Endpoint ep;
    bool syn_seen = false;  // (a SYN-ACK for the server)
    SynOptions opts;
    Stream stream;
    std::optional<uint64_t> fin_offset;
    std::optional<uint64_t> fin_packet;
    uint64_t acked = 0;  // the furthest offset of this side's stream the peer acknowledged
    bool cut_short = false;
    bool data_without_isn = false;
};

struct Flow {
    Side client, server;
    bool handshake = false;  // the client's SYN was seen
    bool reset = false;
    std::string dead;  // why, once it can no longer be used; its data is dropped then
};

// The unordered 4-tuple: both directions find the same flow.
struct FlowKey {
    std::array<uint8_t, 16> a{}, b{};
    uint16_t pa = 0, pb = 0;
    bool v6 = false;
    auto operator<=>(const FlowKey&) const = default;
};

FlowKey key_of(const Segment& s)
{
    auto lo = s.src, hi = s.dst;
    if (std::tie(hi.addr.b, hi.port) < std::tie(lo.addr.b, lo.port))
        std::swap(lo, hi);
    return FlowKey{lo.addr.b, hi.addr.b, lo.port, hi.port, s.src.addr.v6};
}

bool same(const Endpoint& a, const Endpoint& b) { return a.addr == b.addr && a.port == b.port; }

// ---- turns: both directions' bytes in the order they were first sent ----

struct Run {
    Dir dir;
    const Piece* piece;
    uint64_t order;  // a piece is not sent before the bytes ahead of it in its stream
};

std::vector<Run> runs_of(const Stream& s, Dir d)
{
    std::vector<Run> runs;
    uint64_t order = 0;
    for (const auto& [start, p] : s.pieces()) {
        order = std::max(order, p.packet);
        runs.push_back(Run{d, &p, order});
    }
    return runs;
}

std::vector<Run> interleave(const std::vector<Run>& a, const std::vector<Run>& b)
{
    std::vector<Run> all;
    all.reserve(a.size() + b.size());
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(all),
               [](const Run& x, const Run& y) { return x.order < y.order; });
    return all;
}

std::vector<Turn> turns_of(const Stream& client, const Stream& server)
{
    std::vector<Turn> turns;
    for (const Run& r : interleave(runs_of(client, Dir::ClientToServer), runs_of(server, Dir::ServerToClient))) {
        if (turns.empty() || turns.back().dir != r.dir)
            turns.push_back(Turn{r.dir, {}, r.piece->ns, r.piece->ns});
        Turn& t = turns.back();
        t.bytes += r.piece->data;
        t.last_ns = std::max(t.last_ns, r.piece->ns);
    }
    return turns;
}

// ---- the capture, packet by packet ----

class Reader {
public:
    explicit Reader(const CaptureLimits& limits) : limits_(limits) {}

    Status packet(int dlt, Bytes frame, uint64_t ns)
    {
        const uint64_t index = out_.packets++;
        const Parsed p = parse_frame(dlt, frame);
        if (!p.seg) {
            ++out_.packets_left_out[p.left_out];
            return {};
        }
        auto f = flow_for(*p.seg);
        if (!f)
            return f.error();
        on_segment(*f.value(), *p.seg, index, ns);
        return within_limits();
    }

    Capture finish()
    {
        for (const auto& f : flows_)
            conclude(*f);
        return std::move(out_);
    }

private:
    static bool client_syn(const Segment& s) { return (s.flags & kSyn) && !(s.flags & kAck); }

    // A new flow for a new 4-tuple, and for a SYN that opens a connection
    // again on a 4-tuple seen before (another ISN or the other way round).
    bool starts_new(const Flow& f, const Segment& s) const
    {
        if (!client_syn(s))
            return false;
        return !f.handshake || !same(s.src, f.client.ep) || f.client.stream.isn != s.seq;
    }

    Result<Flow*> flow_for(const Segment& s)
    {
        const FlowKey key = key_of(s);
        if (auto it = active_.find(key); it != active_.end() && !starts_new(*flows_[it->second], s))
            return flows_[it->second].get();
        if (flows_.size() >= limits_.max_conversations)
            return make_error(fmt::format("more than {} TCP conversations", limits_.max_conversations), 0,
                              "narrow the capture with --filter, e.g. --filter 'tcp port 80'");
        auto f = std::make_unique<Flow>();
        // Without a SYN, the SYN-ACK's receiver or else the first sender plays the client.
        const bool reversed = (s.flags & kSyn) && (s.flags & kAck);
        f->client.ep = reversed ? s.dst : s.src;
        f->server.ep = reversed ? s.src : s.dst;
        active_[key] = flows_.size();
        flows_.push_back(std::move(f));
        return flows_.back().get();
    }

    void on_segment(Flow& f, const Segment& s, uint64_t index, uint64_t ns)
    {
        if (!f.dead.empty())
            return;
        const bool from_client = same(s.src, f.client.ep);
        Side& from = from_client ? f.client : f.server;
        Side& to = from_client ? f.server : f.client;
        if (s.flags & kRst) {
            f.reset = true;
            return;  // a reset's payload (a diagnostic) is no part of the stream
        }
        if (s.flags & kSyn)
            on_syn(f, from, from_client, s);
        if ((s.flags & kAck) && to.syn_seen)
            to.acked = std::max<int64_t>(static_cast<int64_t>(to.acked), to.stream.offset_of(s.ack));
        if (s.payload.empty() && !(s.flags & kFin))
            return;
        if (!from.syn_seen) {
            from.data_without_isn = from.data_without_isn || !s.payload.empty();
            return;
        }
        on_data(f, from, from_client ? Dir::ClientToServer : Dir::ServerToClient, s, index, ns);
    }

    void on_syn(Flow& f, Side& from, bool from_client, const Segment& s)
    {
        const bool is_client_syn = client_syn(s);
        if (from.syn_seen || is_client_syn != from_client)
            return;  // a retransmitted SYN, or a simultaneous open (not replayed)
        from.syn_seen = true;
        from.stream.isn = s.seq;
        from.opts = s.opts;
        f.handshake = f.handshake || is_client_syn;
    }

    void on_data(Flow& f, Side& from, Dir d, const Segment& s, uint64_t index, uint64_t ns)
    {
        // The SYN's own sequence number comes before the data's first byte.
        const int64_t off = from.stream.offset_of(s.seq) + ((s.flags & kSyn) ? 1 : 0);
        Bytes data = s.payload;
        if (off < 0)  // bytes from before ISN+1 are no part of the stream
            data.remove_prefix(std::min(data.size(), static_cast<size_t>(-off)));
        const uint64_t start = static_cast<uint64_t>(std::max<int64_t>(off, 0));
        if (start + data.size() > limits_.max_direction_bytes) {
            drop(f, fmt::format("more than {} from the {}", size_text(limits_.max_direction_bytes), side_name(d)));
            return;
        }
        from.cut_short = from.cut_short || s.cut_short;
        const size_t pieces_before = from.stream.pieces().size();
        bytes_ += from.stream.add(start, data, index, ns);
        segments_ += from.stream.pieces().size() - pieces_before;
        if ((s.flags & kFin) && !from.fin_offset) {
            from.fin_offset = start + data.size();
            from.fin_packet = index;
        }
    }

    void drop(Flow& f, std::string why)
    {
        f.dead = std::move(why);
        for (Side* side : {&f.client, &f.server}) {
            segments_ -= side->stream.pieces().size();
            bytes_ -= side->stream.held();
            side->stream.clear();
        }
    }

    Status within_limits() const
    {
        if (segments_ > limits_.max_segments)
            return make_error(fmt::format("more than {} TCP segments with data to keep", limits_.max_segments), 0,
                              "narrow the capture with --filter");
        if (bytes_ > limits_.max_total_bytes)
            return make_error(fmt::format("more than {} of TCP data to keep", size_text(limits_.max_total_bytes)), 0,
                              "narrow the capture with --filter");
        return {};
    }

    // Why a side's data cannot be replayed, or "".
    static std::string side_problem(const Side& s, Dir d)
    {
        if (s.data_without_isn)
            return fmt::format("data from the {} before its {} was seen", side_name(d),
                               d == Dir::ClientToServer ? "SYN" : "SYN-ACK");
        const uint64_t expected_end = std::max(s.fin_offset.value_or(0), s.acked > 0 ? s.acked - 1 : 0);
        if (const auto gap = s.stream.gap(expected_end))
            return fmt::format("gap in the {}'s data at byte {}{}", side_name(d), *gap,
                               s.cut_short ? " (packets cut short by the capture's snap length: capture with -s 0)" : "");
        return {};
    }

    static std::string problem(const Flow& f)
    {
        if (!f.dead.empty())
            return f.dead;
        if (!f.handshake)
            return "no handshake seen (capture started mid-connection)";
        if (auto p = side_problem(f.client, Dir::ClientToServer); !p.empty())
            return p;
        return side_problem(f.server, Dir::ServerToClient);
    }

    static Closer closer_of(const Flow& f)
    {
        const auto c = f.client.fin_packet, s = f.server.fin_packet;
        if (c && (!s || *c < *s))
            return Closer::Client;
        return s ? Closer::Server : Closer::None;
    }

    void conclude(const Flow& f)
    {
        std::string why = problem(f);
        std::vector<Turn> turns;
        if (why.empty()) {
            turns = turns_of(f.client.stream, f.server.stream);
            if (turns.empty())
                why = "no data";
        }
        if (!why.empty()) {
            out_.skipped.push_back(SkippedConversation{f.client.ep, f.server.ep, std::move(why)});
            return;
        }
        out_.conversations.push_back(Conversation{f.client.ep, f.server.ep, f.client.opts, f.server.opts,
                                                  std::move(turns), closer_of(f), f.reset});
    }

    CaptureLimits limits_;
    std::vector<std::unique_ptr<Flow>> flows_;  // in the order they began
    std::map<FlowKey, size_t> active_;         // the latest flow of each 4-tuple
    Capture out_;
    uint64_t segments_ = 0, bytes_ = 0;
};

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// libpcap's message without the file's name when it begins with it (we name it first).
std::string_view pcap_message(const std::string& file, std::string_view err)
{
    if (err.substr(0, file.size()) == file && err.substr(file.size(), 2) == ": ")
        err.remove_prefix(file.size() + 2);
    return err;
}

Result<PcapHandle> open_capture(const std::string& file)
{
    char err[PCAP_ERRBUF_SIZE] = {};
    PcapHandle p(pcap_open_offline_with_tstamp_precision(file.c_str(), PCAP_TSTAMP_PRECISION_NANO, err));
    if (!p)
        return make_error(fmt::format("cannot read {}: {}", file, pcap_message(file, err)), 0,
                          "give a libpcap or pcapng capture, e.g. from tcpdump -w FILE");
    const int dlt = pcap_datalink(p.get());
    if (!link_type_known(dlt)) {
        const char* name = pcap_datalink_val_to_name(dlt);
        return make_error(fmt::format("{}: link type {} ({}) is not Ethernet, Linux cooked or raw IP", file,
                                      name ? name : "unknown", dlt),
                          0, "capture on an Ethernet interface or with tcpdump -i any");
    }
    return p;
}

Status apply_filter(pcap_t* p, const std::string& filter)
{
    if (filter.empty())
        return {};
    bpf_program prog{};
    if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        return make_error(fmt::format("--filter '{}': {}", filter, pcap_geterr(p)), 0,
                          "a tcpdump filter expression, e.g. 'tcp port 80'");
    const int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return make_error(fmt::format("--filter '{}': {}", filter, pcap_geterr(p)));
    return {};
}

}  // namespace

const char* side_name(Dir d) { return d == Dir::ClientToServer ? "client" : "server"; }

Result<Capture> read_capture(const std::string& file, const CaptureOptions& opts)
{
    auto p = open_capture(file);
    if (!p)
        return p.error();
    pcap_t* pc = p.value().get();
    if (auto st = apply_filter(pc, opts.filter); !st)
        return st.error();
    const int dlt = pcap_datalink(pc);
    Reader reader(opts.limits);
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
        const uint64_t ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(hdr->ts.tv_usec);
        if (auto st = reader.packet(dlt, Bytes(data, hdr->caplen), ns); !st)
            return st.error().context(file);
    }
    if (rc != PCAP_ERROR_BREAK)
        return make_error(fmt::format("cannot read {}: {}", file, pcap_geterr(pc)), 0,
                          "the file ends early or is damaged; tcpdump writes its last packets when it is stopped");
    return reader.finish();
}

}  // namespace xdpgen::pcapconv
