// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The server role of a worker: passive opens (RFC 9293 §3.10.7.2) from SYNs
// to the addresses and ports it serves, a cap on half-open connections, and
// SYN cookies beyond it, so a SYN flood costs bounded memory.

#include "engine/worker.hpp"
#include "engine/worker_flow.hpp"

namespace xdpgen::engine {

using tcp::TcpState;

// Emits one segment to the ends of a frame that has no flow (a cookie
// SYN-ACK), or nothing at all (the SYN-ACK a rebuilt connection would send).
class Worker::RawSink final : public tcp::TcpSink {
public:
    RawSink(Worker& w, const TcpFrameEnds* ends) : w_(w), ends_(ends) {}
    bool emit(const tcp::OutSegment& s) override { return !ends_ || w_.emit_frame(*ends_, s.seg, nullptr, 0); }

private:
    Worker& w_;
    const TcpFrameEnds* ends_;
};

bool Worker::listening(const IpAddr& addr, uint16_t port) const
{
    for (const Endpoint& e : cfg_.listen)
        if (e.port == port && e.addr == addr)
            return true;
    return false;
}

uint32_t Worker::new_flow(uint64_t now, const FlowKey& key, const MacAddr& peer_mac)
{
    if (table_.size() >= table_.capacity())
        return FlowTable::kNone;
    const auto ins = table_.insert(key);
    if (!ins.inserted)
        return FlowTable::kNone;
    const uint32_t id = ins.id;
    conns_[id] = tcp::Connection{};
    if (!variant_.empty())
        variant_[id] = variant_of_port(key.local_port);
    reset_program(id);
    // A server's latencies count from the SYN.
    recs_[id] = FlowRecord::starting(now, now, macs_.acquire(cfg_.dst_mac_fixed ? cfg_.dst_mac : peer_mac));
    log_.begin(id, now, now);
    impair_begin(id, key);
    number_flow(id, now);
    started_++;
    active_++;
    st_.c.attempted++;
    if (auto* t = template_of(id))
        t->attempted++;
    return id;
}

void Worker::server_syn(uint64_t now, const TcpFrameView& v, const tcp::ParsedTcp& p, tcp::SeqNum iss)
{
    FlowKey key;
    if (!key_of(v, p.seg, key))
        return;
    if (half_open_ >= cfg_.syn_backlog || table_.size() >= table_.capacity()) {
        // Backlog full: answer with a cookie and keep nothing.
        uint16_t mss = 0;
        const uint32_t iss = cookies_.make(key, p.seg.seq.raw(), p.seg.opt.mss, now, mss);
        tcp::Segment syn = p.seg;
        syn.opt = tcp::TcpOptions{};
        syn.opt.mss = mss;
        syn.payload_len = 0;
        const TcpFrameEnds ends{cfg_.src_mac, v.src_mac, v.dst, v.src, p.seg.dst_port, p.seg.src_port};
        RawSink out(*this, &ends);
        tcp::Connection tmp;
        if (tmp.accept(cookie_tcp_, syn, now, tcp::SeqNum(iss), out))
            st_.c.syn_cookies_sent++;
        return;
    }
    const uint32_t id = new_flow(now, key, v.src_mac);
    if (id == FlowTable::kNone) {
        st_.c.syn_dropped++;
        return;
    }
    program::Runner r = runner(id);
    FlowApp app(r);
    FlowSink sink(*this, id, app);
    if (!conns_[id].accept(tcp_of(id), p.seg, now, iss, sink)) {
        recs_[id].done = true;
        active_--;
        log_.discard(id);
        free_flow(id, now, false);
        return;
    }
    recs_[id].half_open = true;
    half_open_++;
    after_call(id, now, app, sink);
}

bool Worker::server_reopen(uint64_t now, uint32_t id, const TcpFrameView& v, const tcp::ParsedTcp& p)
{
    if (!conns_[id].time_wait_reopens(p.seg))
        return false;
    // The new incarnation starts past the old one's sequence space, as
    // Linux does (snd_nxt + 65535 + 2), so none of its segments fit the new.
    const tcp::SeqNum iss = conns_[id].tcb().snd.max + 65535 + 2;
    conns_[id] = tcp::Connection{};
    free_flow(id, now, false);
    st_.c.time_wait_reopened++;
    server_syn(now, v, p, iss);
    return true;
}

bool Worker::server_cookie_ack(uint64_t now, const TcpFrameView& v, const tcp::ParsedTcp& p)
{
    FlowKey key;
    if (!key_of(v, p.seg, key))
        return false;
    const uint16_t mss = cookies_.check(key, p.seg.seq.raw(), p.seg.ack.raw(), now);
    if (!mss)
        return false;  // not a cookie of ours: the caller answers with RST
    const uint32_t id = new_flow(now, key, v.src_mac);
    if (id == FlowTable::kNone) {
        st_.c.syn_dropped++;
        return true;  // the client sends it again; perhaps there is room then
    }
    st_.c.syn_cookies_accepted++;
    // Rebuild what the SYN was, accept it as if the SYN-ACK had just gone
    // out (it did: with this very ISN), then take the ACK.
    tcp::Segment syn;
    syn.src_port = p.seg.src_port;
    syn.dst_port = p.seg.dst_port;
    syn.seq = p.seg.seq - 1;
    syn.flags = tcp::kSyn;
    syn.window = p.seg.window;
    syn.opt.mss = mss;
    RawSink nowhere(*this, nullptr);
    conns_[id].accept(cookie_tcp_, syn, now, p.seg.ack - 1, nowhere);
    program::Runner r = runner(id);
    FlowApp app(r);
    FlowSink sink(*this, id, app);
    conns_[id].on_segment(now, p.seg, p.payload, app, sink);
    after_call(id, now, app, sink);
    return true;
}

}  // namespace xdpgen::engine
