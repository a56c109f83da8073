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

#include "parse.bpf.h"

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

/*
 * What the tc program pulls into the linear part when it is not there: two
 * VLAN tags, IPv6 and a few extension headers, the ports. Headers longer
 * than that are parsed as far as they are linear.
 */
#define HDR_PULL 128

/*
 * Whether the packet is one the filter makes subject to loss. Tags, IPv4
 * options and IPv6 extension headers are walked (bpf/parse.bpf.h); a
 * non-first fragment has no ports to match, so it never matches a port
 * filter (with tcp_only it still counts as TCP).
 */
static __always_inline int matches(const struct xg_pkt *p, int parsed, void *data_end)
{
	struct udphdr *uh = p->l4;

	if (!tcp_only && !port)
		return 1;
	if (parsed != XG_PARSE_OK)
		return 0;
	if (tcp_only && p->l4_proto != IPPROTO_TCP)
		return 0;
	if (!port)
		return 1;
	if (p->l4_proto != IPPROTO_TCP && p->l4_proto != IPPROTO_UDP)
		return 0;
	/* TCP and UDP both start with the two ports. */
	if (!uh || (void *)uh + 4 > data_end)
		return 0;
	return uh->source == bpf_htons(port) || uh->dest == bpf_htons(port);
}

/* Returns 1 to drop the packet. */
static __always_inline int lose(const struct xg_pkt *p, int parsed, void *data_end, __u64 *seen,
				__u64 *dropped)
{
	if (!matches(p, parsed, data_end))
		return 0;
	__sync_fetch_and_add(seen, 1);
	if (!permille || bpf_get_prandom_u32() % 1000 >= permille)
		return 0;
	__sync_fetch_and_add(dropped, 1);
	return 1;
}

/* The first payload byte of a whole TCP segment (not a fragment), or NULL. */
static __always_inline __u8 *tcp_payload(const struct xg_pkt *p, int parsed, void *data_end)
{
	struct tcphdr *th = p->l4;
	__u32 doff;

	if (parsed != XG_PARSE_OK || p->l4_proto != IPPROTO_TCP || p->frag != XG_FRAG_NONE || !th)
		return NULL;
	if ((void *)(th + 1) > data_end)
		return NULL;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || p->l4_len <= doff)
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
	struct xg_pkt p = {};
	int parsed = xg_parse(data, data_end, &p);
	__u8 *b;

	if (lose(&p, parsed, data_end, &seen_in, &dropped_in))
		return XDP_DROP;
	if (corrupt_permille && matches(&p, parsed, data_end) &&
	    bpf_get_prandom_u32() % 1000 < corrupt_permille) {
		b = tcp_payload(&p, parsed, data_end);
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
	 * in when they are not there, asking for no more than the packet has.
	 */
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct xg_pkt p = {};
	int parsed;

	if (data + HDR_PULL > data_end && (tcp_only || port)) {
		bpf_skb_pull_data(skb, skb->len < HDR_PULL ? skb->len : HDR_PULL);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	parsed = xg_parse(data, data_end, &p);

	/*
	 * STOLEN, not SHOT: the sender must see a loss on the wire, not a local
	 * error. A SHOT makes dev_queue_xmit report NET_XMIT_DROP, and Linux
	 * drops a half-open connection whose SYN-ACK retransmission fails so
	 * (reqsk_timer_handler): with its client's ACK lost too, the client
	 * waits for ever on a connection the server forgot.
	 */
	return lose(&p, parsed, data_end, &seen_out, &dropped_out) ? TC_ACT_STOLEN : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
