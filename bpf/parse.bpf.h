/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one header walk of every XDP and tc program (steer, tcp_flow, udp_sink,
 * loss), so that they agree on what a frame is: Ethernet with up to two VLAN
 * tags (802.1Q, 802.1ad), IPv4 with options, IPv6 with extension headers,
 * and fragments told apart (a first fragment carries the L4 header, a later
 * one does not).
 *
 * The walk checks the IP header and every extension header it crosses
 * against the frame; the L4 header is the caller's to check, since each
 * reads a different amount of it. Everything is inline and every loop has a
 * constant bound, as the verifier wants.
 */
#ifndef XDPGEN_PARSE_BPF_H
#define XDPGEN_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Tags walked before the IP header: one, or an 802.1ad outer and a 802.1Q inner. */
#ifndef XG_PARSE_MAX_VLANS
#define XG_PARSE_MAX_VLANS 2
#endif
/*
 * IPv6 extension headers walked before giving up. RFC 8200 §4.1 orders at
 * most hop-by-hop, destination, routing, fragment, AH, destination: six.
 */
#ifndef XG_PARSE_MAX_EXT
#define XG_PARSE_MAX_EXT 6
#endif

/* The largest IPv6 header chain walked, and the largest MAC header. */
#define XG_PARSE_MAX_L3 (sizeof(struct ipv6hdr) + XG_PARSE_MAX_EXT * 2048)
#define XG_PARSE_MAX_L2 (sizeof(struct ethhdr) + XG_PARSE_MAX_VLANS * sizeof(struct xg_vlan_hdr))

/* IPv4 frag_off bits (RFC 791); the kernel's names live in a non-UAPI header. */
#define XG_IP_MF 0x2000
#define XG_IP_OFFSET 0x1fff
/* IPv6 fragment header (RFC 8200 §4.5): offset in the high 13 bits, M the lowest. */
#define XG_IP6_OFFSET 0xfff8
#define XG_IP6_MF 0x0001

enum xg_frag {
	XG_FRAG_NONE,	/* a whole datagram (an atomic IPv6 fragment too) */
	XG_FRAG_FIRST,	/* offset 0 with more to come: carries the L4 header */
	XG_FRAG_LATER,	/* offset > 0: no L4 header, l4 is NULL */
};

enum xg_parse_status {
	XG_PARSE_OK,
	XG_PARSE_NOT_IP,	/* ARP, another ethertype, more tags than walked */
	XG_PARSE_BAD,		/* cut short, inconsistent lengths, too many extension headers */
};

struct xg_pkt {
	void *l3;		/* the IPv4 or IPv6 header */
	void *l4;		/* the L4 header (not checked against the frame); NULL if XG_FRAG_LATER */
	void *saddr;		/* in the IP header: 4 bytes (IPv4) or 16 (IPv6) */
	void *daddr;
	__u32 l4_len;		/* L4 bytes of this datagram or fragment, as the IP header says */
	__u16 l3_proto;		/* ETH_P_IP or ETH_P_IPV6, host order */
	__u8 l4_proto;		/* IPv6: after the extension headers */
	__u8 frag;		/* enum xg_frag */
};

/* The generic shape of an IPv6 extension header; a fragment header is 8 bytes too. */
struct xg_ip6_ext {
	__u8 nexthdr;
	__u8 len;
	__be16 frag_off;	/* fragment header only */
	__be32 word;
};

struct xg_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Hides a value from the compiler, so that it cannot undo what follows. */
#ifndef XG_OPAQUE
#define XG_OPAQUE(x) asm volatile("" : "+r"(x))
#endif

/*
 * The same pointer as pos, rebuilt as data + a bounded offset. The verifier
 * tracks every frame shape (tag count, extension header chain) as a state
 * of its own and verifies the rest of the program once per state; after
 * this it knows only the bound, and the shapes go on as one. Subtracting
 * packet pointers needs CAP_PERFMON, which the loaders have (root).
 */
static __always_inline void *xg_pkt_rebase(void *data, void *pos, __u32 max)
{
	__u64 off = pos - data;

	XG_OPAQUE(off);
	if (off > max)
		return NULL;
	return data + off;
}

/* Skips the MAC header and its VLAN tags: the ethertype in *proto, network order. */
static __always_inline void *xg_parse_eth(void *data, void *data_end, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct xg_vlan_hdr *vh;
	void *pos;
	__be16 h;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	h = eth->h_proto;
	pos = eth + 1;
#pragma unroll
	for (int i = 0; i < XG_PARSE_MAX_VLANS; i++) {
		if (h != bpf_htons(ETH_P_8021Q) && h != bpf_htons(ETH_P_8021AD))
			break;
		vh = pos;
		if ((void *)(vh + 1) > data_end)
			return NULL;
		h = vh->proto;
		pos = vh + 1;
	}
	*proto = h;
	return pos;
}

/* whole: the datagram's total length must fit the frame (xg_parse_whole). */
static __always_inline int xg_parse_ipv4(struct xg_pkt *p, void *data_end, int whole)
{
	struct iphdr *ip = p->l3;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
		return XG_PARSE_BAD;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen || (void *)ip + hlen > data_end)
		return XG_PARSE_BAD;
	if (whole && (void *)ip + tot > data_end)
		return XG_PARSE_BAD;
	p->saddr = &ip->saddr;
	p->daddr = &ip->daddr;
	p->l4_proto = ip->protocol;
	p->l4_len = tot - hlen;
	if (ip->frag_off & bpf_htons(XG_IP_OFFSET)) {
		p->frag = XG_FRAG_LATER;
		p->l4 = NULL;
	} else {
		p->frag = (ip->frag_off & bpf_htons(XG_IP_MF)) ? XG_FRAG_FIRST : XG_FRAG_NONE;
		p->l4 = (void *)ip + hlen;
	}
	return XG_PARSE_OK;
}

/* The extension headers walked (RFC 8200 §4.3-4.6, RFC 4302 for AH). */
static __always_inline int xg_ip6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

/* The length of extension header h of type nh. */
static __always_inline __u32 xg_ip6_ext_len(__u8 nh, const struct xg_ip6_ext *h)
{
	if (nh == IPPROTO_FRAGMENT)
		return sizeof(*h);	/* its second byte is reserved */
	if (nh == IPPROTO_AH)
		return ((__u32)h->len + 2) * 4;
	return ((__u32)h->len + 1) * 8;
}

/* max_ext: extension headers walked at most (a compile-time constant). */
static __always_inline int xg_parse_ipv6(struct xg_pkt *p, void *data_end, int whole, int max_ext)
{
	struct ipv6hdr *ip6 = p->l3;
	struct xg_ip6_ext *h;
	__u32 plen, ext = 0, len;
	void *pos;
	__u8 nh;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return XG_PARSE_BAD;
	plen = bpf_ntohs(ip6->payload_len);
	if (whole && (void *)(ip6 + 1) + plen > data_end)
		return XG_PARSE_BAD;
	p->saddr = &ip6->saddr;
	p->daddr = &ip6->daddr;
	p->frag = XG_FRAG_NONE;
	nh = ip6->nexthdr;
	pos = ip6 + 1;
#pragma unroll
	for (int i = 0; i < max_ext; i++) {
		if (!xg_ip6_is_ext(nh))
			break;
		h = pos;
		if ((void *)(h + 1) > data_end)
			return XG_PARSE_BAD;
		if (nh == IPPROTO_FRAGMENT) {
			if (h->frag_off & bpf_htons(XG_IP6_OFFSET)) {
				/* What follows is the middle of a datagram, not a header. */
				p->frag = XG_FRAG_LATER;
				p->l4 = NULL;
				p->l4_proto = h->nexthdr;
				ext += sizeof(*h);
				p->l4_len = plen > ext ? plen - ext : 0;
				return ext > plen ? XG_PARSE_BAD : XG_PARSE_OK;
			}
			if (h->frag_off & bpf_htons(XG_IP6_MF))
				p->frag = XG_FRAG_FIRST;
		}
		len = xg_ip6_ext_len(nh, h);
		ext += len;
		nh = h->nexthdr;
		pos += len;
	}
	/* Deeper chains are left to the kernel; so are headers past the payload. */
	if (xg_ip6_is_ext(nh) || ext > plen)
		return XG_PARSE_BAD;
	p->l4 = xg_pkt_rebase(p->l3, pos, XG_PARSE_MAX_L3);
	if (!p->l4)
		return XG_PARSE_BAD;
	p->l4_proto = nh;
	p->l4_len = plen - ext;
	return XG_PARSE_OK;
}

static __always_inline int xg_parse_frame(void *data, void *data_end, struct xg_pkt *p, int whole)
{
	__be16 proto;

	p->l3 = xg_parse_eth(data, data_end, &proto);
	if (p->l3)
		p->l3 = xg_pkt_rebase(data, p->l3, XG_PARSE_MAX_L2);
	if (!p->l3)
		return XG_PARSE_BAD;
	if (proto == bpf_htons(ETH_P_IP)) {
		p->l3_proto = ETH_P_IP;
		return xg_parse_ipv4(p, data_end, whole);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		p->l3_proto = ETH_P_IPV6;
		return xg_parse_ipv6(p, data_end, whole, XG_PARSE_MAX_EXT);
	}
	return XG_PARSE_NOT_IP;
}

/*
 * The headers must be in [data, data_end) and agree with each other; the
 * datagram may go on past data_end (an skb's linear part, or a frame cut
 * short whose L4 reads the caller bounds itself).
 */
static __always_inline int xg_parse(void *data, void *data_end, struct xg_pkt *p)
{
	return xg_parse_frame(data, data_end, p, 0);
}

/* As xg_parse, and the datagram's length as the IP header says must fit the frame. */
static __always_inline int xg_parse_whole(void *data, void *data_end, struct xg_pkt *p)
{
	return xg_parse_frame(data, data_end, p, 1);
}

#endif /* XDPGEN_PARSE_BPF_H */
