// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Steering: sends the generator's own packets (to its local address, TCP
 * and/or UDP, destination port in its range) to the AF_XDP socket of the
 * queue they arrived on, and everything else to the kernel, so ARP, ping,
 * neighbour discovery, ssh and other traffic on the interface keep working.
 *
 * The socket is looked up by ctx->rx_queue_index because the kernel drops a
 * redirect to a socket bound to another queue (xsk_rcv_check). The fallback
 * action of bpf_redirect_map is XDP_PASS: a queue without a socket hands its
 * frames to the kernel instead of dropping them.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdpgen/abi.h"

/* Set at load time by Steering (src/xsk/steering.cpp). */
const volatile __u32 local_v4 = 0;	/* network order; 0 = no IPv4 address */
const volatile __u8 local_v6[16] = {};
const volatile __u8 local_v6_set = 0;
/*
 * How many consecutive addresses from local_v4 / local_v6 (the last 32 bits
 * counting up) are the generator's: --src-addr ranges go past the 64k
 * connections one address allows.
 */
const volatile __u32 local_v4_count = 1;
const volatile __u32 local_v6_count = 1;
const volatile __u16 port_lo = 0;	/* host order, inclusive */
const volatile __u16 port_hi = 0;
const volatile __u8 steer_tcp = 0;
const volatile __u8 steer_udp = 0;

/* Queue id -> AF_XDP socket; userspace sizes it to the interface's queues. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XG_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_steer_counters);
} steer_counters SEC(".maps");

static __always_inline int proto_wanted(__u8 proto)
{
	return (proto == IPPROTO_TCP && steer_tcp) || (proto == IPPROTO_UDP && steer_udp);
}

static __always_inline int v6_is_local(const struct ipv6hdr *ip6)
{
	const __u32 *a = (const __u32 *)&ip6->daddr;
	const volatile __u32 *b = (const volatile __u32 *)local_v6;

	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] &&
	       bpf_ntohl(a[3]) - bpf_ntohl(b[3]) < local_v6_count;
}

/*
 * Returns the L4 header of a packet that is ours, or NULL. TCP and UDP both
 * carry the destination port at offset 2, so one read serves both.
 */
static __always_inline void *ours(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *l4;
	__u16 port;

	if ((void *)(eth + 1) > data_end)
		return NULL;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if (!local_v4 || (void *)(ip + 1) > data_end)
			return NULL;
		/* Unsigned: addresses below the first wrap to large values. */
		if (bpf_ntohl(ip->daddr) - bpf_ntohl(local_v4) >= local_v4_count ||
		    !proto_wanted(ip->protocol))
			return NULL;
		/*
		 * Fragments go to the kernel, which reassembles them. A non-first
		 * fragment has no L4 header, so its port cannot be matched; and
		 * steering a first fragment would split the datagram between the
		 * socket and the kernel. The generator never fragments its own
		 * frames, so this costs nothing on its traffic.
		 */
		if (ip->frag_off & bpf_htons(0x3fff)) /* MF or offset */
			return NULL;
		if (ip->ihl < 5)
			return NULL;
		/* Options are allowed: the L4 header starts after ihl words. */
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if (!local_v6_set || (void *)(ip6 + 1) > data_end)
			return NULL;
		/*
		 * Only TCP/UDP right after the fixed header: the generator sends no
		 * extension headers, and ICMPv6 (neighbour discovery) must reach
		 * the kernel anyway.
		 */
		if (!proto_wanted(ip6->nexthdr) || !v6_is_local(ip6))
			return NULL;
		l4 = (void *)(ip6 + 1);
	} else {
		return NULL; /* ARP, VLAN-tagged, anything else */
	}

	/* The ports' four bytes must be there for both TCP and UDP. */
	if (l4 + sizeof(struct udphdr) > data_end)
		return NULL;
	port = bpf_ntohs(((struct udphdr *)l4)->dest);
	if (port < port_lo || port > port_hi)
		return NULL;
	return l4;
}

SEC("xdp")
int xg_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xg_steer_counters *cnt;
	__u32 zero = 0;
	long act;

	cnt = bpf_map_lookup_elem(&steer_counters, &zero);
	if (!ours(data, data_end)) {
		if (cnt)
			cnt->passed++;
		return XDP_PASS;
	}
	act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (cnt) {
		if (act == XDP_REDIRECT)
			cnt->steered++;
		else
			cnt->no_socket++;
	}
	return act;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
