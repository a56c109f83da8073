// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * UDP sink: counts the UDP packets addressed to the configured address/port
 * (VLAN-tagged, with IPv4 options or IPv6 extension headers too),
 * tracks the blaster's stamps (loss and reordering per stream, one-way
 * latency) and drops the packets, or passes them on with pass_matched.
 * Everything else goes to the kernel untouched.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdpgen/abi.h"
#include "parse.bpf.h"

/* Filter, set at load time. Zero fields match anything; an address also
 * limits the filter to its family. */
const volatile __u8 want_family = 0;	/* 4, 6 or 0 for both */
const volatile __u32 dst_v4 = 0;	/* network order */
const volatile __u8 dst_v6[16] = {};
const volatile __u8 dst_v6_set = 0;
const volatile __u16 dst_port_lo = 0;	/* host order; 0 and 0 match any port */
const volatile __u16 dst_port_hi = 0;
const volatile __u8 pass_matched = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_sink_counters);
} sink_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_LAT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} sink_latency SEC(".maps");

/* Read by userspace through the skeleton's mmap of .bss. */
struct xg_sink_stream sink_streams[XG_MAX_STREAMS];
__u64 sink_dst_ports[65536];

static __always_inline int match_v6(const void *daddr)
{
	const __u32 *a = daddr;
	const volatile __u32 *b = (const volatile __u32 *)dst_v6;

	if (!dst_v6_set)
		return 1;
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Widen a 32-bit sequence number to the 64-bit one nearest to ref. */
static __always_inline __u64 seq_extend(__u64 ref, __u32 seq)
{
	__u64 cand = (ref & ~0xffffffffULL) | seq;

	if (cand + 0x80000000ULL < ref)
		cand += 0x100000000ULL;
	else if (cand > ref + 0x80000000ULL && cand >= 0x100000000ULL)
		cand -= 0x100000000ULL;
	return cand;
}

static __always_inline void track_stamp(struct xg_sink_counters *cnt,
					const struct xg_stamp *s)
{
	struct xg_sink_stream *st;
	__u32 tag = 0x10000u | s->run; /* zero (fresh .bss) means unused */
	__u64 ext, now;
	__u32 key;

	cnt->stamped++;
	st = &sink_streams[s->stream & (XG_MAX_STREAMS - 1)];
	if (st->run != tag) {
		st->run = tag;
		st->first = s->seq;
		st->next = s->seq;
		st->received = 0;
	}
	ext = seq_extend(st->next, s->seq);
	if (ext >= st->next)
		st->next = ext + 1;
	else
		cnt->reordered++;
	st->received++;

	/* The clock is read for the latency anyway: the active span comes free. */
	now = bpf_ktime_get_ns();
	if (!cnt->first_ns)
		cnt->first_ns = now;
	cnt->last_ns = now;
	if (now >= s->tx_ns) {
		__u64 *slot;

		key = xg_lat_bucket(now - s->tx_ns);
		slot = bpf_map_lookup_elem(&sink_latency, &key);
		if (slot)
			(*slot)++;
	}
}

SEC("xdp")
int xg_udp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xg_sink_counters *cnt;
	struct xg_pkt p = {};
	struct udphdr *udp;
	__u32 zero = 0;

	/*
	 * Tags, IPv4 options and IPv6 extension headers are walked; fragments
	 * are the kernel's, which reassembles them (a stamp is in the first one
	 * only, and a later one has no ports to filter on).
	 */
	if (xg_parse(data, data_end, &p) != XG_PARSE_OK || p.l4_proto != IPPROTO_UDP ||
	    p.frag != XG_FRAG_NONE)
		return XDP_PASS;
	if (p.l3_proto == ETH_P_IP) {
		if (want_family == 6 || dst_v6_set)
			return XDP_PASS;
		if (dst_v4 && *(__be32 *)p.daddr != dst_v4)
			return XDP_PASS;
	} else {
		if (want_family == 4 || dst_v4 || !match_v6(p.daddr))
			return XDP_PASS;
	}
	udp = p.l4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (dst_port_hi) {
		__u16 port = bpf_ntohs(udp->dest);

		if (port < dst_port_lo || port > dst_port_hi)
			return XDP_PASS;
	}

	cnt = bpf_map_lookup_elem(&sink_counters, &zero);
	if (!cnt)
		return XDP_PASS;
	cnt->packets++;
	cnt->bytes += data_end - data;
	__sync_fetch_and_add(&sink_dst_ports[bpf_ntohs(udp->dest)], 1);

	{
		struct xg_stamp *s = (void *)(udp + 1);

		if ((void *)(s + 1) <= data_end && s->magic == XG_STAMP_MAGIC)
			track_stamp(cnt, s);
	}
	return pass_matched ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
