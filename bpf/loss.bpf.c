// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Loss injection for the test bed, which has no netem: an XDP program drops
 * received packets and a tc clsact program drops sent ones, each with the
 * probability permille / 1000, independently per packet.
 *
 * Only packets that pass the filter can be dropped and are counted as seen:
 * with tcp_only, ARP and neighbour discovery survive so the peers stay
 * reachable while TCP suffers; with port, only the connections of one service
 * are hit (the port may be the source or the destination, so both directions
 * of a connection match).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Set at load time by xg_loss (tests/peers/loss_injector.cpp). */
const volatile __u32 permille = 0;	/* 0..1000 */
const volatile __u8 tcp_only = 0;
const volatile __u16 port = 0;		/* host order; 0 = any port */
/*
 * Received TCP segments with payload that survive the loss get their first
 * payload byte inverted with this probability (/1000), the checksum left as
 * it was: what a bad link or memory does, for the receiver's check to catch.
 */
const volatile __u32 corrupt_permille = 0;

/*
 * Shared by all CPUs, so added atomically. A loss injector sees test traffic
 * only, well below the rate where the contended cache line would matter, and
 * plain globals are read through the skeleton without a layout to keep in
 * sync by hand.
 */
__u64 seen_in, dropped_in, seen_out, dropped_out, corrupted_in;

/* Ethernet + IPv6 + the TCP/UDP ports: all the filter reads. */
#define HDR_MAX (sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + 4)

/*
 * Whether the packet is one the filter makes subject to loss. Only an L4
 * header directly after the IP header is looked at: IPv6 extension headers
 * and IPv4 non-first fragments have no ports to match, so they never match a
 * port filter (with tcp_only they still count as TCP).
 */
static __always_inline int matches(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	__u8 proto;
	void *l4;

	if (!tcp_only && !port)
		return 1;
	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return 0;
		proto = ip->protocol;
		l4 = (ip->frag_off & bpf_htons(0x1fff)) ? NULL : (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return 0;
	}

	if (tcp_only && proto != IPPROTO_TCP)
		return 0;
	if (!port)
		return 1;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	/* TCP and UDP both start with the two ports. */
	if (!l4 || l4 + sizeof(struct udphdr) > data_end)
		return 0;
	return ((struct udphdr *)l4)->source == bpf_htons(port) ||
	       ((struct udphdr *)l4)->dest == bpf_htons(port);
}

/* Returns 1 to drop the packet. */
static __always_inline int lose(void *data, void *data_end, __u64 *seen, __u64 *dropped)
{
	if (!matches(data, data_end))
		return 0;
	__sync_fetch_and_add(seen, 1);
	if (!permille || bpf_get_prandom_u32() % 1000 >= permille)
		return 0;
	__sync_fetch_and_add(dropped, 1);
	return 1;
}

/* The first payload byte of a TCP segment (no fragments, no IPv6 extension headers), or NULL. */
static __always_inline __u8 *tcp_payload(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 l4_len, doff;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP || ip->ihl < 5 ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return NULL;
		if (bpf_ntohs(ip->tot_len) < ip->ihl * 4)
			return NULL;
		l4_len = bpf_ntohs(ip->tot_len) - ip->ihl * 4;
		th = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return NULL;
		l4_len = bpf_ntohs(ip6->payload_len);
		th = (void *)(ip6 + 1);
	} else {
		return NULL;
	}
	if ((void *)(th + 1) > data_end)
		return NULL;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || l4_len <= doff || doff > 60)
		return NULL;
	if ((void *)th + doff + 1 > data_end)
		return NULL;
	return (__u8 *)th + doff;
}

SEC("xdp")
int xg_loss_in(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *b;

	if (lose(data, data_end, &seen_in, &dropped_in))
		return XDP_DROP;
	if (corrupt_permille && matches(data, data_end) &&
	    bpf_get_prandom_u32() % 1000 < corrupt_permille) {
		b = tcp_payload(data, data_end);
		if (b) {
			*b = ~*b;
			__sync_fetch_and_add(&corrupted_in, 1);
		}
	}
	return XDP_PASS;
}

SEC("tc")
int xg_loss_out(struct __sk_buff *skb)
{
	/*
	 * The stack builds the headers of what it sends in the linear part, but
	 * a forwarded or tunnelled packet may have them in fragments: pull them
	 * in when they are not there. A packet shorter than HDR_MAX fails the
	 * pull and is parsed as it is.
	 */
	if (skb->data + HDR_MAX > skb->data_end && (tcp_only || port))
		bpf_skb_pull_data(skb, HDR_MAX);

	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return lose(data, data_end, &seen_out, &dropped_out) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
