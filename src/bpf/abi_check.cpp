// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The layouts shared with the BPF programs, checked at compile time: clang
// -target bpf and g++ must agree on every size and offset in xdpgen/abi.h.

#include <cstdint>
#include <cstddef>

#include "xdpgen/abi.h"

static_assert(sizeof(xg_stamp) == 16);
static_assert(offsetof(xg_stamp, magic) == 0);
static_assert(offsetof(xg_stamp, stream) == 1);
static_assert(offsetof(xg_stamp, run) == 2);
static_assert(offsetof(xg_stamp, seq) == 4);
static_assert(offsetof(xg_stamp, tx_ns) == 8);

static_assert(sizeof(xg_xmit_counters) == 64, "one cache line per CPU slot");
static_assert(offsetof(xg_xmit_counters, sent) == 0);
static_assert(offsetof(xg_xmit_counters, drops) == 8);
static_assert(offsetof(xg_xmit_counters, redirect_err) == 16);

static_assert(sizeof(xg_sink_counters) == 48);
static_assert(offsetof(xg_sink_counters, packets) == 0);
static_assert(offsetof(xg_sink_counters, bytes) == 8);
static_assert(offsetof(xg_sink_counters, stamped) == 16);
static_assert(offsetof(xg_sink_counters, reordered) == 24);
static_assert(offsetof(xg_sink_counters, first_ns) == 32);
static_assert(offsetof(xg_sink_counters, last_ns) == 40);

static_assert(sizeof(xg_sink_stream) == 32);
static_assert(offsetof(xg_sink_stream, first) == 0);
static_assert(offsetof(xg_sink_stream, next) == 8);
static_assert(offsetof(xg_sink_stream, received) == 16);
static_assert(offsetof(xg_sink_stream, run) == 24);

static_assert((XG_MAX_STREAMS & (XG_MAX_STREAMS - 1)) == 0, "indexed with a mask");
static_assert((XG_MAX_CPUS & (XG_MAX_CPUS - 1)) == 0, "indexed with a mask");
static_assert(XG_LAT_BUCKETS == 4352);

static_assert(sizeof(xg_steer_counters) == 128, "two whole cache lines per CPU slot");
static_assert(offsetof(xg_steer_counters, steered) == 0);
static_assert(offsetof(xg_steer_counters, no_socket) == 8);
static_assert(offsetof(xg_steer_counters, passed) == 16);
static_assert(offsetof(xg_steer_counters, arp_replies) == 24);
static_assert(offsetof(xg_steer_counters, na_replies) == 32);
static_assert(offsetof(xg_steer_counters, bulk_acks) == 40);
static_assert(offsetof(xg_steer_counters, kernel_owned) == 48);
static_assert(offsetof(xg_steer_counters, icmp_errors) == 56);
static_assert(offsetof(xg_steer_counters, fragments) == 64);
static_assert(offsetof(xg_steer_counters, malformed) == 72);

static_assert(sizeof(xg_tcp_flow) == 192, "three cache lines: userspace, TX, ACK");
static_assert(offsetof(xg_tcp_flow, dst_mac) == 0);
static_assert(offsetof(xg_tcp_flow, src_mac) == 6);
static_assert(offsetof(xg_tcp_flow, src_port) == 12);
static_assert(offsetof(xg_tcp_flow, dst_port) == 14);
static_assert(offsetof(xg_tcp_flow, src_addr) == 16);
static_assert(offsetof(xg_tcp_flow, dst_addr) == 32);
static_assert(offsetof(xg_tcp_flow, seq0) == 48);
static_assert(offsetof(xg_tcp_flow, rcv_nxt) == 52);
static_assert(offsetof(xg_tcp_flow, ts_off) == 56);
static_assert(offsetof(xg_tcp_flow, mss) == 60);
static_assert(offsetof(xg_tcp_flow, adv_win) == 62);
static_assert(offsetof(xg_tcp_flow, end_off) == 64, "line 1: TX");
static_assert(offsetof(xg_tcp_flow, nxt_off) == 72);
static_assert(offsetof(xg_tcp_flow, rexmit_next) == 80);
static_assert(offsetof(xg_tcp_flow, rexmit_end) == 88);
static_assert(offsetof(xg_tcp_flow, rexmit_seen) == 96);
static_assert(offsetof(xg_tcp_flow, rto_seen) == 100);
static_assert(offsetof(xg_tcp_flow, rto_gen) == 104);
static_assert(offsetof(xg_tcp_flow, flags) == 108);
static_assert(offsetof(xg_tcp_flow, snd_wscale) == 109);
static_assert(offsetof(xg_tcp_flow, ip_id) == 110);
static_assert(offsetof(xg_tcp_flow, tx_segments) == 112);
static_assert(offsetof(xg_tcp_flow, tx_resent) == 120);
static_assert(offsetof(xg_tcp_flow, una_off) == 128, "line 2: ACK");
static_assert(offsetof(xg_tcp_flow, recover) == 136);
static_assert(offsetof(xg_tcp_flow, rexmit_from) == 144);
static_assert(offsetof(xg_tcp_flow, rexmit_to) == 152);
static_assert(offsetof(xg_tcp_flow, wnd) == 160);
static_assert(offsetof(xg_tcp_flow, cwnd) == 164);
static_assert(offsetof(xg_tcp_flow, ssthresh) == 168);
static_assert(offsetof(xg_tcp_flow, ts_recent) == 172);
static_assert(offsetof(xg_tcp_flow, rexmit_gen) == 176);
static_assert(offsetof(xg_tcp_flow, dupacks) == 180);
static_assert(offsetof(xg_tcp_flow, last_wnd_raw) == 182);
static_assert(offsetof(xg_tcp_flow, in_recovery) == 184);

static_assert(sizeof(xg_tcp_flow_key) == 40);
static_assert(offsetof(xg_tcp_flow_key, peer_addr) == 16);
static_assert(offsetof(xg_tcp_flow_key, local_port) == 32);
static_assert(offsetof(xg_tcp_flow_key, peer_port) == 34);
static_assert(offsetof(xg_tcp_flow_key, ipv6) == 36);

static_assert(sizeof(xg_tcp_tx_slice) == 64, "one cache line per CPU");
static_assert(offsetof(xg_tcp_tx_slice, ts_ms) == 16);
static_assert(sizeof(xg_tcp_tx_counters) == 64, "one cache line per CPU slot");
static_assert(sizeof(xg_tcp_ack_counters) == 80, "per-CPU values: no sharing to pad against");
static_assert(offsetof(xg_tcp_ack_counters, passed) == 56);
static_assert(offsetof(xg_tcp_ack_counters, sack_acks) == 64);
static_assert(offsetof(xg_tcp_ack_counters, sack_resend_bytes) == 72);
static_assert(XG_TCP_PATTERN_ROW >= 251 + XG_TCP_MAX_PAYLOAD, "a slice stays inside its row");
static_assert(uint64_t{XG_TCP_PATTERN_ROW} * 255 * 257 < (uint64_t{1} << 32), "running sums fit 32 bits");
static_assert(XG_TCP_FILE_ROW >= 65536 + XG_TCP_MAX_PAYLOAD + 512, "file checksum chunks stay inside a row");
