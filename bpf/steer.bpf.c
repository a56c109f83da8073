// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Steering: sends the generator's own packets (to its local address, TCP
 * and/or UDP, destination port in its range) to the AF_XDP socket of the
 * queue they arrived on, and everything else to the kernel, so ARP, ping,
 * neighbour discovery, ssh and other traffic on the interface keep working.
 * Frames are read by bpf/parse.bpf.h: VLAN-tagged ones, IPv4 with options,
 * IPv6 with extension headers and first fragments are steered by their
 * ports like any other; ICMP errors quoting a packet we sent are steered
 * too (icmp_verdict).
 *
 * The socket is looked up by ctx->rx_queue_index because the kernel drops a
 * redirect to a socket bound to another queue (xsk_rcv_check). The fallback
 * action of bpf_redirect_map is XDP_PASS: a queue without a socket hands its
 * frames to the kernel instead of dropping them.
 *
 * The host's own TCP. The kernel may hold connections whose local port lies
 * in the generator's range: its ephemeral ports (32768-60999 by default)
 * overlap the client's default range, an explicit bind or a kernel server
 * can sit anywhere. Before a TCP segment in the range goes to the engine,
 * the kernel is asked whether it owns the 4-tuple (bpf_skc_lookup_tcp: a
 * full socket in any state but LISTEN, a request socket, a TIME-WAIT
 * socket); if it does, the segment is passed to it (counted kernel_owned).
 * A listener owns only a pure SYN, and only in the client role: the engine
 * never receives one there, while a server's SYNs are its own.
 *
 * With answer_neigh set, the program also answers ARP requests and IPv6
 * neighbour solicitations for the generator's addresses itself, out of the
 * interface they came in on: addresses the interface does not carry have no
 * kernel to answer for them, yet a peer with an on-link route to them must
 * resolve them.
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
#include "parse.bpf.h"
#include "tcp_flow.bpf.h"

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
/*
 * Server role: only these ports of port_lo..port_hi are steered (bit p of
 * listen_ports), so a kernel server on a port between two listening ports
 * keeps its traffic.
 */
const volatile __u8 exact_ports = 0;
const volatile __u64 listen_ports[65536 / 64] = {};
/* TCP to these ports (host order, inclusive) is checked with the kernel first. */
const volatile __u16 lookup_lo = 1;
const volatile __u16 lookup_hi = 0;
const volatile __u8 steer_tcp = 0;
const volatile __u8 steer_udp = 0;
/* Answer ARP / neighbour solicitation for the ranges above, as local_mac. */
const volatile __u8 answer_neigh = 0;
const volatile __u8 local_mac[ETH_ALEN] = {};
/*
 * Send answers with a redirect to the interface itself instead of XDP_TX.
 * On a veth, XDP_TX frames wait in the peer's ring until the peer's NAPI
 * runs, which only an XDP program on the peer makes happen (veth_xdp_flush);
 * a redirect flushes the peer's ring (XDP_XMIT_FLUSH), and is accepted as
 * soon as the peer has GRO on.
 */
const volatile __u8 answer_redirect = 0;
/*
 * `xdpgen tcp`: the pure ACKs of the flows the live-frames sender owns are
 * read and consumed here (bpf/tcp_flow.bpf.h, maps shared with the sender);
 * the rest of their segments go to the engine as usual.
 */
const volatile __u8 tcp_bulk = 0;

/*
 * Local ports the kernel was seen to own a connection on (bit p), sticky for
 * the run: the engine's port pools read them (the skeleton maps .bss) and
 * open no connection of their own from such a port, whose 4-tuple the kernel
 * may hold. Userspace seeds it with the kernel's sockets at start.
 */
__u64 kernel_ports[65536 / 64];

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

/* Unsigned: addresses below the first wrap to large values. */
static __always_inline int v4_in_range(__be32 addr)
{
	return local_v4 && bpf_ntohl(addr) - bpf_ntohl(local_v4) < local_v4_count;
}

static __always_inline int v6_in_range(const void *addr)
{
	const __u32 *a = addr;
	const volatile __u32 *b = (const volatile __u32 *)local_v6;

	return local_v6_set && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] &&
	       bpf_ntohl(a[3]) - bpf_ntohl(b[3]) < local_v6_count;
}

/* A local port of ours: in the range and, for a server, one it listens on. */
static __always_inline int port_ours(__u16 port)
{
	if (port < port_lo || port > port_hi)
		return 0;
	return !exact_ports || (listen_ports[port / 64] & (1ULL << (port % 64)));
}

static __always_inline int addr_ours(const struct xg_pkt *p, const void *addr)
{
	return p->l3_proto == ETH_P_IP ? v4_in_range(*(const __be32 *)addr) : v6_in_range(addr);
}

enum kernel_sock { NO_SOCK, LISTENER, CONNECTION };

/*
 * The kernel's socket for a TCP segment from peer:peer_port to
 * local:local_port (see the top of the file): a full socket in any state,
 * a request socket or a TIME-WAIT socket is a CONNECTION.
 */
static __always_inline int kernel_sock(struct xdp_md *ctx, __u16 l3_proto, const void *peer,
				       const void *local, __be16 peer_port, __be16 local_port)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 len;
	int r;

	if (l3_proto == ETH_P_IP) {
		__builtin_memcpy(&t.ipv4.saddr, peer, 4);
		__builtin_memcpy(&t.ipv4.daddr, local, 4);
		t.ipv4.sport = peer_port;
		t.ipv4.dport = local_port;
		len = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, peer, 16);
		__builtin_memcpy(t.ipv6.daddr, local, 16);
		t.ipv6.sport = peer_port;
		t.ipv6.dport = local_port;
		len = sizeof(t.ipv6);
	}
	sk = bpf_skc_lookup_tcp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return NO_SOCK;
	r = sk->state == BPF_TCP_LISTEN ? LISTENER : CONNECTION;
	bpf_sk_release(sk);
	return r;
}

static __always_inline int lookup_port(__u16 port)
{
	return port >= lookup_lo && port <= lookup_hi;
}

/* What steering does with a frame, and why (each reason has its counter). */
enum verdict { NOT_OURS, MALFORMED, LATER_FRAGMENT, KERNEL_OWNS, ENGINE, ICMP_ERROR };

/*
 * TCP or UDP to one of our addresses. A first fragment carries the ports
 * and goes by them like a whole datagram; the engine counts and drops what
 * it cannot use. A later fragment has no ports and goes to the kernel:
 * without the first fragment the kernel never completes the datagram, so
 * it never answers for our flow (no RST, no ICMP time exceeded, which
 * RFC 792 sends only when the first fragment arrived).
 */
static __always_inline int l4_verdict(struct xdp_md *ctx, const struct xg_pkt *p, void *data_end,
				      __u16 *port)
{
	struct tcphdr *th = p->l4;
	int sk;

	if (p->frag == XG_FRAG_LATER)
		return LATER_FRAGMENT;
	/*
	 * TCP and UDP both carry the ports in their first four bytes; the
	 * datagram must hold a UDP header's worth, not the frame's padding.
	 */
	if (p->l4_len < sizeof(struct udphdr) || (void *)th + sizeof(struct udphdr) > data_end)
		return MALFORMED;
	*port = bpf_ntohs(th->dest);
	if (!port_ours(*port))
		return NOT_OURS;
	/* Too short for TCP: the engine counts it as invalid. */
	if (p->l4_proto != IPPROTO_TCP || !lookup_port(*port) || (void *)(th + 1) > data_end)
		return ENGINE;
	sk = kernel_sock(ctx, p->l3_proto, p->saddr, p->daddr, th->source, th->dest);
	/*
	 * A listener owns only a pure SYN, and only in the client role: the
	 * engine never receives one there, while a server's SYNs are its own.
	 */
	if (sk == CONNECTION || (sk == LISTENER && !exact_ports && th->syn && !th->ack))
		return KERNEL_OWNS;
	return ENGINE;
}

/*
 * The ICMP errors the engine needs for its flows (path MTU, unreachable
 * peers): IPv4 destination unreachable (RFC 792; code 4 is fragmentation
 * needed, RFC 1191) and ICMPv6 destination unreachable and packet too big
 * (RFC 4443 §3.1, §3.2). Everything else (echo, neighbour discovery) is the
 * kernel's.
 */
#define ICMP_DEST_UNREACH 3
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMP_HDR_LEN 8

static __always_inline int icmp_error(const struct xg_pkt *p, const __u8 *icmp)
{
	if (p->l3_proto == ETH_P_IP)
		return p->l4_proto == IPPROTO_ICMP && icmp[0] == ICMP_DEST_UNREACH;
	return p->l4_proto == IPPROTO_ICMPV6 &&
	       (icmp[0] == ICMPV6_DEST_UNREACH || icmp[0] == ICMPV6_PKT_TOOBIG);
}

/*
 * An ICMP error is ours when the packet it quotes (its IP header and at
 * least 8 bytes of L4: the ports) is one we sent: from our address and a
 * source port of ours, over a protocol we steer, and for TCP on a 4-tuple
 * the kernel has no connection on (the kernel's own errors stay its own).
 */
static __always_inline int icmp_verdict(struct xdp_md *ctx, const struct xg_pkt *p, void *data_end,
					__u16 *port)
{
	__u8 *icmp = p->l4;
	struct xg_pkt q = {};
	struct udphdr *uh;
	int r;

	if (p->frag != XG_FRAG_NONE || (void *)(icmp + ICMP_HDR_LEN) > data_end)
		return NOT_OURS;
	if (!icmp_error(p, icmp))
		return NOT_OURS;
	/*
	 * The quote is cut wherever the sender chose (whole = 0). We send no
	 * IPv6 extension headers, so a quote with one is not ours.
	 */
	q.l3 = icmp + ICMP_HDR_LEN;
	r = p->l3_proto == ETH_P_IP ? xg_parse_ipv4(&q, data_end, 0) : xg_parse_ipv6(&q, data_end, 0, 0);
	if (r != XG_PARSE_OK || q.frag == XG_FRAG_LATER)
		return NOT_OURS;
	uh = q.l4;
	if ((void *)(uh + 1) > data_end)
		return NOT_OURS;
	q.l3_proto = p->l3_proto;
	*port = bpf_ntohs(uh->source);
	if (!proto_wanted(q.l4_proto) || !addr_ours(&q, q.saddr) || !port_ours(*port))
		return NOT_OURS;
	/* The kernel's errors for its TCP go to its established socket only (tcp_v4_err). */
	if (q.l4_proto == IPPROTO_TCP && lookup_port(*port) &&
	    kernel_sock(ctx, q.l3_proto, q.daddr, q.saddr, uh->dest, uh->source) == CONNECTION)
		return KERNEL_OWNS;
	return ICMP_ERROR;
}

/* The verdict on a frame; *port is the local port it names, if any. */
static __always_inline int steer_verdict(struct xdp_md *ctx, __u16 *port)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xg_pkt p = {};
	int r;

	/* A datagram cut short is the kernel's to drop, whatever its ports. */
	r = xg_parse_whole(data, data_end, &p);
	if (r != XG_PARSE_OK)
		return r == XG_PARSE_BAD ? MALFORMED : NOT_OURS;
	if (!addr_ours(&p, p.daddr))
		return NOT_OURS;
	if (proto_wanted(p.l4_proto))
		return l4_verdict(ctx, &p, data_end, port);
	if (p.l4)
		return icmp_verdict(ctx, &p, data_end, port);
	return NOT_OURS;
}

/*
 * Neighbour answers. Only what a host must check before answering is
 * checked; everything not answered goes on unchanged, so the kernel still
 * sees every question it could answer itself.
 */

/*
 * RFC 826 for Ethernet and IPv4. Spelled out rather than taken from
 * <linux/if_arp.h>, which pulls in libc headers a BPF target lacks.
 */
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

struct arp_eth_ip {
	struct {
		__be16 ar_hrd;
		__be16 ar_pro;
		__u8 ar_hln;
		__u8 ar_pln;
		__be16 ar_op;
	} hdr;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

/* Neighbour solicitation and advertisement share this (RFC 4861 §4.3, §4.4). */
struct nd_msg {
	__u8 type;
	__u8 code;
	__sum16 csum;
	__be32 flags;	/* NA: R, S, O; NS: reserved */
	__u8 target[16];
};

struct nd_opt_lla {
	__u8 type;
	__u8 len;	/* in 8-byte units */
	__u8 mac[ETH_ALEN];
};

#define ND_NEIGHBOUR_SOLICITATION 135
#define ND_NEIGHBOUR_ADVERTISEMENT 136
#define ND_OPT_SOURCE_LL_ADDR 1
#define ND_OPT_TARGET_LL_ADDR 2
#define ND_NA_SOLICITED 0x40000000
#define ND_NA_OVERRIDE 0x20000000
/*
 * Bounds the checksum and option loops. A solicitation carries a source
 * link-layer address and perhaps a nonce (RFC 7527): 40 bytes; longer ones
 * are left to the kernel.
 */
#define NS_MAX_LEN 256
#define NA_LEN (sizeof(struct nd_msg) + sizeof(struct nd_opt_lla))
#define NOT_ASKED (-1)

static __always_inline int is_local_mac(const __u8 *m)
{
	return m[0] == local_mac[0] && m[1] == local_mac[1] && m[2] == local_mac[2] &&
	       m[3] == local_mac[3] && m[4] == local_mac[4] && m[5] == local_mac[5];
}

static __always_inline void put_local_mac(__u8 *m)
{
#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++)
		m[i] = local_mac[i];
}

/* Frames to a group address or to us; promiscuous capture may show others'. */
static __always_inline int addressed_to_us(const struct ethhdr *eth)
{
	return (eth->h_dest[0] & 1) || is_local_mac(eth->h_dest);
}

/* 16-bit words in memory order: the sum is then in network order too. */
static __always_inline __u32 csum_words(__u32 sum, const void *p, int words)
{
	const __u16 *w = p;

#pragma unroll
	for (int i = 0; i < words; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Turns an ARP request for one of our addresses into its reply, in place. */
static __always_inline long arp_answer(struct ethhdr *eth, void *data_end)
{
	struct arp_eth_ip *arp = (void *)(eth + 1);
	__be32 spa, tpa;

	if ((void *)(arp + 1) > data_end)
		return NOT_ASKED;
	if (arp->hdr.ar_hrd != bpf_htons(ARPHRD_ETHER) || arp->hdr.ar_pro != bpf_htons(ETH_P_IP) ||
	    arp->hdr.ar_hln != ETH_ALEN || arp->hdr.ar_pln != 4 ||
	    arp->hdr.ar_op != bpf_htons(ARPOP_REQUEST))
		return NOT_ASKED;
	if (!addressed_to_us(eth) || (arp->sha[0] & 1))
		return NOT_ASKED;
	__builtin_memcpy(&spa, arp->spa, 4);
	__builtin_memcpy(&tpa, arp->tpa, 4);
	/*
	 * A gratuitous request announces the sender's own address: no question,
	 * and if it is one of ours the kernel may want to log the conflict. A
	 * probe (sender 0.0.0.0, RFC 5227) is answered, as Linux does, so that
	 * the prober sees the address is taken.
	 */
	if (spa == tpa || !v4_in_range(tpa))
		return NOT_ASKED;

	arp->hdr.ar_op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	__builtin_memcpy(arp->tpa, &spa, 4);
	put_local_mac(arp->sha);
	__builtin_memcpy(arp->spa, &tpa, 4);
	/* To the asker's hardware address, as RFC 826 says, not the frame's. */
	__builtin_memcpy(eth->h_dest, arp->tha, ETH_ALEN);
	put_local_mac(eth->h_source);
	return XDP_TX;
}

/*
 * Turns a valid neighbour solicitation (RFC 4861 §7.1.1) for one of our
 * addresses into the advertisement that answers it (§7.2.4).
 */
static __always_inline long ns_answer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct nd_msg *ns = (void *)(ip6 + 1);
	struct nd_opt_lla *tlla;
	__u8 peer_mac[ETH_ALEN], peer_ip[16], target[16];
	const __u32 *s, *d, *t;
	__u32 len, off, sum, i;
	int dad, solicited_node;
	long delta;

	if ((void *)(ns + 1) > data_end)
		return NOT_ASKED;
	/* Hop limit 255: the solicitation cannot have crossed a router. */
	if (ip6->version != 6 || ip6->nexthdr != IPPROTO_ICMPV6 || ip6->hop_limit != 255 ||
	    ns->type != ND_NEIGHBOUR_SOLICITATION || ns->code != 0)
		return NOT_ASKED;
	/* Options come in 8-byte units: any other length cuts one short. */
	len = bpf_ntohs(ip6->payload_len);
	if (len < sizeof(*ns) || len > NS_MAX_LEN || len % 8)
		return NOT_ASKED;
	if (!v6_in_range(ns->target) || ns->target[0] == 0xff)
		return NOT_ASKED;

	s = (const __u32 *)&ip6->saddr;
	d = (const __u32 *)&ip6->daddr;
	t = (const __u32 *)ns->target;
	dad = !(s[0] | s[1] | s[2] | s[3]);
	solicited_node = d[0] == bpf_htonl(0xff020000) && d[1] == 0 && d[2] == bpf_htonl(1) &&
			 d[3] == ((t[3] & bpf_htonl(0x00ffffff)) | bpf_htonl(0xff000000));
	/* Unicast (a peer re-checking its entry) must be to the target itself. */
	if (!solicited_node &&
	    (dad || d[0] != t[0] || d[1] != t[1] || d[2] != t[2] || d[3] != t[3]))
		return NOT_ASKED;
	if (!addressed_to_us(eth))
		return NOT_ASKED;

	/*
	 * Every option at least 8 bytes and inside the message; during DAD the
	 * sender has no address its link-layer address could belong to.
	 */
	off = sizeof(*ns);
	for (i = 0; i < (NS_MAX_LEN - sizeof(*ns)) / 8; i++) {
		__u8 *opt = (void *)ns + off;

		if (off >= len || off > NS_MAX_LEN)
			break;
		if ((void *)(opt + 2) > data_end)
			return NOT_ASKED;
		if (opt[1] == 0 || (dad && opt[0] == ND_OPT_SOURCE_LL_ADDR))
			return NOT_ASKED;
		off += opt[1] * 8;
	}
	if (off != len)
		return NOT_ASKED;

	/* RFC 8200 §8.1 pseudo-header, then the message: all sums to 0xffff. */
	sum = csum_words(0, &ip6->saddr, 16);
	sum += bpf_htons(len) + bpf_htons(IPPROTO_ICMPV6);
	for (i = 0; i < NS_MAX_LEN / 2; i++) {
		__u16 *w = (void *)ns + i * 2;

		if (i >= len / 2)
			break;
		if ((void *)(w + 1) > data_end)
			return NOT_ASKED;
		sum += *w;
	}
	if (csum_fold(sum) != 0xffff)
		return NOT_ASKED;

	/* The frame is about to change length: keep what the answer needs. */
	__builtin_memcpy(target, ns->target, 16);
	if (dad) {
		/* ff02::1 and its multicast MAC 33:33:00:00:00:01 */
		__builtin_memset(peer_ip, 0, 16);
		peer_ip[0] = 0xff, peer_ip[1] = 0x02, peer_ip[15] = 1;
		__builtin_memset(peer_mac, 0, ETH_ALEN);
		peer_mac[0] = 0x33, peer_mac[1] = 0x33, peer_mac[5] = 1;
	} else {
		__builtin_memcpy(peer_ip, &ip6->saddr, 16);
		__builtin_memcpy(peer_mac, eth->h_source, ETH_ALEN);
	}
	delta = (long)(sizeof(*eth) + sizeof(*ip6) + NA_LEN) - (long)(data_end - data);
	if (delta && bpf_xdp_adjust_tail(ctx, (int)delta))
		return NOT_ASKED; /* unchanged; nothing to answer with */

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip6 = (void *)(eth + 1);
	ns = (void *)(ip6 + 1);
	tlla = (void *)(ns + 1);
	if ((void *)(tlla + 1) > data_end)
		return XDP_ABORTED; /* cannot happen: the length was just set */

	__builtin_memcpy(eth->h_dest, peer_mac, ETH_ALEN);
	put_local_mac(eth->h_source);
	eth->h_proto = bpf_htons(ETH_P_IPV6);
	/* Version 6, no traffic class, no flow label. */
	__builtin_memset(ip6, 0, 4);
	ip6->version = 6;
	ip6->payload_len = bpf_htons(NA_LEN);
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = 255;
	__builtin_memcpy(&ip6->saddr, target, 16);
	__builtin_memcpy(&ip6->daddr, peer_ip, 16);
	ns->type = ND_NEIGHBOUR_ADVERTISEMENT;
	ns->code = 0;
	ns->csum = 0;
	/* §7.2.4: an answer to DAD is not "solicited" (nobody asked by address). */
	ns->flags = bpf_htonl(dad ? ND_NA_OVERRIDE : ND_NA_SOLICITED | ND_NA_OVERRIDE);
	__builtin_memcpy(ns->target, target, 16);
	tlla->type = ND_OPT_TARGET_LL_ADDR;
	tlla->len = 1;
	put_local_mac(tlla->mac);

	sum = csum_words(0, &ip6->saddr, 16);
	sum += bpf_htons(NA_LEN) + bpf_htons(IPPROTO_ICMPV6);
	sum = csum_words(sum, ns, NA_LEN / 2);
	ns->csum = (__sum16)~csum_fold(sum);
	return XDP_TX;
}

/* XDP_TX with the answer in the frame, or NOT_ASKED with the frame unchanged. */
static __always_inline long neigh_answer(struct xdp_md *ctx, struct xg_steer_counters *cnt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	long act;

	if ((void *)(eth + 1) > data_end)
		return NOT_ASKED;
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		act = arp_answer(eth, data_end);
		if (act == XDP_TX && cnt)
			cnt->arp_replies++;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		act = ns_answer(ctx);
		if (act == XDP_TX && cnt)
			cnt->na_replies++;
	} else {
		act = NOT_ASKED;
	}
	return act;
}

SEC("xdp")
int xg_steer(struct xdp_md *ctx)
{
	struct xg_steer_counters *cnt;
	__u32 zero = 0;
	__u16 port = 0;
	long act;
	int v;

	cnt = bpf_map_lookup_elem(&steer_counters, &zero);
	if (answer_neigh) {
		act = neigh_answer(ctx, cnt);
		if (act == XDP_TX && answer_redirect)
			return bpf_redirect(ctx->ingress_ifindex, 0);
		if (act != NOT_ASKED)
			return act;
	}
	if (tcp_bulk && xg_tcp_ack_process(ctx) == XDP_DROP) {
		if (cnt)
			cnt->bulk_acks++;
		return XDP_DROP;
	}
	/* After neigh_answer the verifier holds no packet pointer valid: parse afresh. */
	v = steer_verdict(ctx, &port);
	if (v == KERNEL_OWNS) {
		__u64 bit = 1ULL << (port % 64);

		/*
		 * Read first, so the kernel's bulk traffic does not bounce the
		 * line between CPUs; two CPUs marking one word at once may lose
		 * a bit, which the port's next segment sets again.
		 */
		if (!(kernel_ports[port / 64] & bit))
			kernel_ports[port / 64] |= bit;
		if (cnt)
			cnt->kernel_owned++;
		return XDP_PASS;
	}
	if (v != ENGINE && v != ICMP_ERROR) {
		if (cnt) {
			cnt->passed++;
			cnt->fragments += v == LATER_FRAGMENT;
			cnt->malformed += v == MALFORMED;
		}
		return XDP_PASS;
	}
	act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (cnt) {
		if (act == XDP_REDIRECT)
			cnt->steered++;
		else
			cnt->no_socket++;
		cnt->icmp_errors += v == ICMP_ERROR;
	}
	return act;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
