/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * `xdpgen tcp`: the flow state shared by the live-frames sender (xg_tcp_tx)
 * and the ACK processing, and the ACK processing itself as one inline
 * function, so the steering program can run it on ingress later (include
 * this header, reuse the maps' fds) exactly as xg_tcp_ack does now.
 *
 * Field ownership and the concurrency rules: struct xg_tcp_flow in
 * include/xdpgen/abi.h.
 */
#ifndef XDPGEN_TCP_FLOW_BPF_H
#define XDPGEN_TCP_FLOW_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdpgen/abi.h"
#include "parse.bpf.h"

#ifndef XG_TCP_MAX_FLOWS
#define XG_TCP_MAX_FLOWS 65536	/* default; userspace may resize before load */
#endif

/*
 * Flow id -> state. Userspace fills a flow, then sets XG_TCP_F_ACTIVE. It
 * maps the array (BPF_F_MMAPABLE) to read the progress and run the
 * retransmission timer without a system call per flow.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XG_TCP_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct xg_tcp_flow);
} tcp_flows SEC(".maps");

/* The peer's segments -> flow id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XG_TCP_MAX_FLOWS);
	__type(key, struct xg_tcp_flow_key);
	__type(value, __u32);
} tcp_flow_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_tcp_ack_counters);
} tcp_ack_counters SEC(".maps");

/* XG_OPAQUE, which keeps a bound check the compiler "knows" for the verifier, is parse.bpf.h's. */
#define XG_BARRIER() asm volatile("" ::: "memory")

/* Posts a resend of [from, to) to the TX program (ACK program side). */
static __always_inline void xg_tcp_post_resend(struct xg_tcp_flow *f, __u64 from, __u64 to)
{
	f->rexmit_from = from;
	f->rexmit_to = to;
	XG_BARRIER();
	f->rexmit_gen++;
}

/*
 * The TSval of a TCP timestamps option (RFC 7323), or -1 without one. The
 * option is looked for in the layout RFC 7323 Appendix A recommends and
 * every stack we know sends outside SYNs: NOP NOP TS on a 4-byte boundary of
 * the option area (Linux, the BSDs, Windows; SACK blocks follow it). A
 * general option walk costs the verifier a state per option length and
 * position; an unaligned TS is treated as absent (TSecr then stays as it was).
 */
static __always_inline long xg_tcp_find_tsval(struct tcphdr *tcp, __u32 doff, void *data_end)
{
	__u32 *w = (__u32 *)(tcp + 1);
	__u32 i;

#pragma unroll
	for (i = 0; i < 8; i++) {
		if (sizeof(*tcp) + 4 * i + 12 > doff || (void *)(w + i + 3) > data_end)
			return -1;
		if (w[i] == bpf_htonl(0x0101080a))
			return bpf_ntohl(w[i + 1]);
	}
	return -1;
}

/*
 * One block at b: folds its left edge into *lowest and its right edge into
 * *highest if it counts; -1 if cut short.
 */
static __always_inline int xg_tcp_sack_block(__u32 *b, void *data_end, __u32 ackn, __u64 limit, __u32 *lowest,
					     __u32 *highest)
{
	__s32 l, r;

	if ((void *)(b + 2) > data_end)
		return -1;
	l = (__s32)(bpf_ntohl(b[0]) - ackn);
	r = (__s32)(bpf_ntohl(b[1]) - ackn);
	if (l > 0 && r > l && (__u64)(__u32)r <= limit) {
		if (!*lowest || (__u32)l < *lowest)
			*lowest = (__u32)l;
		if ((__u32)r > *highest)
			*highest = (__u32)r;
	}
	return 0;
}

/*
 * The SACK blocks of an ACK (RFC 2018 section 3): returns how far above the
 * ack number the lowest left edge is, i.e. the length of the hole the
 * receiver reports at the ACK's una, or 0 without a usable block.
 *
 * The option is looked for where Linux puts it outside SYNs: NOP NOP SACK as
 * the first word of the option area, or right after NOP NOP TS (words
 * 0x0101080a tsval tsecr, then 0x010105 len). Any other layout (MD5 first,
 * SACK unaligned, a length not 2 + 8n, an option past the data offset or a
 * frame cut short inside it) counts as no SACK: the caller then resends one
 * segment, as without SACK. At most the first 3 blocks are read (all that fit
 * beside timestamps); a 4th, possible only without timestamps, is not. If it
 * held the lowest edge, the hole looks longer (SACKed bytes resent) or, with
 * none of the 3 usable, is one segment (the rest follows on partial ACKs).
 *
 * A block counts only inside (ack, ack + limit], limit = nxt_off - una after
 * this ACK: a D-SACK (RFC 2883, below the ACK), an inverted block or one past
 * what was sent is ignored. Edges are taken as signed 32-bit distances from
 * the ack number, so sequence wrap-around does not matter.
 */
static __always_inline __u32 xg_tcp_sack_hole(struct tcphdr *tcp, __u32 doff, void *data_end, __u32 ackn,
					      __u64 limit, __u32 *highest)
{
	__u32 *s = (__u32 *)(tcp + 1);
	__u32 base = 0, hdr, len, lowest = 0;

	if ((void *)(s + 1) > data_end)
		return 0;
	if (s[0] == bpf_htonl(0x0101080a)) {
		base = 12;
		s += 3;
		if ((void *)(s + 1) > data_end)
			return 0;
	}
	hdr = bpf_ntohl(s[0]);
	if ((hdr >> 8) != 0x010105)
		return 0;
	len = hdr & 0xff;
	if (len < 10 || (len - 2) % 8 || sizeof(*tcp) + base + 2 + len > doff)
		return 0;
	/* Unrolled by hand: blocks 1..3, each behind its own bound check. */
	if (xg_tcp_sack_block(s + 1, data_end, ackn, limit, &lowest, highest))
		return 0;
	if (len >= 18 && xg_tcp_sack_block(s + 3, data_end, ackn, limit, &lowest, highest))
		return 0;
	if (len >= 26 && xg_tcp_sack_block(s + 5, data_end, ackn, limit, &lowest, highest))
		return 0;
	return lowest;
}

/*
 * The end of the resend request for the hole at una: the SACK hole's end
 * (hole bytes above una, 0 = no SACK) capped at XG_TCP_RESEND_MAX, or one
 * segment without SACK; never past nxt.
 */
static __always_inline __u64 xg_tcp_hole_end(__u64 una, __u64 nxt, __u32 mss, __u32 hole)
{
	__u64 len = hole ? (hole < XG_TCP_RESEND_MAX ? hole : XG_TCP_RESEND_MAX) : mss;

	return len < nxt - una ? una + len : nxt;
}

/* Posts [from, to) and counts what SACK added beyond the one segment of old. */
static __always_inline void xg_tcp_post_hole(struct xg_tcp_flow *f, struct xg_tcp_ack_counters *cnt, __u64 from,
					     __u64 to, __u32 mss, __u32 hole)
{
	xg_tcp_post_resend(f, from, to);
	if (hole && to - from > mss)
		cnt->sack_resend_bytes += to - from - mss;
}

/*
 * The ACK processing for the blaster's flows. Returns -1 when the frame
 * belongs to no blaster flow (the caller goes on as if this did not exist),
 * else the verdict: XDP_DROP for a pure ACK consumed here (ours, nothing
 * else in it), XDP_PASS for a segment of ours the engine must see too (data,
 * FIN, SYN, RST, an ACK beyond what was sent, a flow that is not active).
 *
 * For an ACK of an active flow (ack in [una_off, nxt_off]):
 * - new ACK: una_off advances, dupacks cleared, window taken; reno grows
 *   cwnd (slow start by min(acked, 2 MSS), congestion avoidance by
 *   MSS * acked / cwnd); in recovery a full ACK ends it (cwnd = ssthresh),
 *   a partial one resends the hole at the new una_off (NewReno, RFC 6582);
 * - duplicate ACK (same ack, no data, same window, data outstanding): the
 *   third posts a resend of the hole at una_off and, with reno, sets
 *   ssthresh = max(flight / 2, 2 MSS), cwnd = ssthresh + 3 MSS; further ones
 *   in recovery inflate cwnd by one MSS and post nothing;
 * - an ack below una_off is old: ignored (window and TSval untouched).
 * ts_recent takes the TSval of every acceptable ACK that is not older.
 *
 * The hole at una (RFC 2018, RFC 6675's "first hole" without a scoreboard):
 * with SACK blocks (xg_tcp_sack_hole) it is [una, lowest left edge above
 * una), capped at nxt_off and una + XG_TCP_RESEND_MAX; without them one
 * segment, as before SACK was read. No resend storms:
 * - further duplicate ACKs in recovery never post: while una stands still
 *   the hole only shrinks (data arriving inside it), so the request made on
 *   the third covers it; a lower edge seen later needs nothing, a higher one
 *   only means a block fell out of the 3 the receiver reports (resending up
 *   to it would repeat SACKed data). A resend lost again is the RTO's;
 * - a partial ACK posts only what the TX has not resent yet: from
 *   max(new una, the TX's progress on the previous request), see
 *   struct xg_tcp_flow. A partial ACK that lands inside a hole already
 *   resent in full (the receiver got the first of its resent segments)
 *   posts nothing; one past it posts the next hole.
 * The SACK edges only ever narrow a request inside [una, nxt_off), and the
 * TX regenerates bytes from their offset: a stale or lying block costs a
 * duplicate segment or, for a hole it hides, the next partial ACK (or the
 * RTO) resends it; never a wrong byte.
 */
/*
 * --rx-csum for the ACKs consumed here, as the engine checks its segments
 * (tcp::CsumCheck): XG_RX_CSUM_AUTO also takes a checksum that a local
 * kernel left to an offload (the pseudo header's sum alone). A segment that
 * fails goes on to the engine, which counts and drops it.
 */
#define XG_RX_CSUM_AUTO 0
#define XG_RX_CSUM_ON 1
#define XG_RX_CSUM_OFF 2
const volatile __u8 rx_csum = XG_RX_CSUM_AUTO;

static __always_inline __u16 xg_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)((sum & 0xffff) + (sum >> 16));
}

/*
 * Whether the checksum of a segment without payload (header only, doff
 * bytes) is acceptable. 32-bit words summed into 64 bits fold to the same
 * one's complement sum as 16-bit words, in memory order.
 */
static __always_inline int xg_tcp_hdr_csum_ok(const struct xg_tcp_flow_key *key, struct tcphdr *tcp, __u32 doff,
					      void *data_end)
{
	const __u32 *a = (const __u32 *)key->local_addr, *b = (const __u32 *)key->peer_addr;
	__u64 pseudo = (__u32)bpf_htons(IPPROTO_TCP) + (__u32)bpf_htons((__u16)doff), sum;
	__u16 field;

	if (rx_csum == XG_RX_CSUM_OFF)
		return 1;
	pseudo += (__u64)a[0] + b[0];
	if (key->ipv6)
		pseudo += (__u64)a[1] + a[2] + a[3] + b[1] + b[2] + b[3];
	sum = pseudo;
#pragma unroll
	for (int i = 0; i < 15; i++) {
		__u32 *w = (__u32 *)((void *)tcp + i * 4);

		if ((__u32)i * 4 >= doff)
			break;
		if ((void *)(w + 1) > data_end)
			return 0;
		sum += *w;
	}
	if (xg_fold(sum) == 0xffff)
		return 1;
	field = tcp->check;
	return rx_csum == XG_RX_CSUM_AUTO && field == xg_fold(pseudo);
}

static __always_inline int xg_tcp_ack_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xg_tcp_flow_key key = {};
	struct xg_pkt p = {};
	struct xg_tcp_ack_counters *cnt;
	struct xg_tcp_flow *f;
	struct tcphdr *tcp;
	__u32 zero = 0, *id, l4_len, doff, payload, ackn, mss;
	__u64 una, nxt, d;
	__u32 hole, fin, sack_top = 0;
	__u16 raw;
	__s32 delta;
	long tsval;

	/* Fragments are the engine's: a first one is not a pure ACK of ours. */
	if (xg_parse(data, data_end, &p) != XG_PARSE_OK || p.l4_proto != IPPROTO_TCP ||
	    p.frag != XG_FRAG_NONE)
		return -1;
	l4_len = p.l4_len;
	tcp = p.l4;
	if (p.l3_proto == ETH_P_IP) {
		__builtin_memcpy(key.local_addr, p.daddr, 4);
		__builtin_memcpy(key.peer_addr, p.saddr, 4);
	} else {
		__builtin_memcpy(key.local_addr, p.daddr, 16);
		__builtin_memcpy(key.peer_addr, p.saddr, 16);
		key.ipv6 = 1;
	}
	if ((void *)(tcp + 1) > data_end)
		return -1;
	key.local_port = tcp->dest;
	key.peer_port = tcp->source;
	id = bpf_map_lookup_elem(&tcp_flow_ids, &key);
	if (!id)
		return -1;
	f = bpf_map_lookup_elem(&tcp_flows, id);
	cnt = bpf_map_lookup_elem(&tcp_ack_counters, &zero);
	if (!f || !cnt)
		return -1;

	doff = tcp->doff * 4;
	if (doff < sizeof(*tcp) || l4_len < doff || !(f->flags & XG_TCP_F_ACTIVE) || tcp->syn || tcp->rst ||
	    !tcp->ack) {
		cnt->passed++;
		return XDP_PASS;
	}
	payload = l4_len - doff;
	/*
	 * Only a header's checksum is summed here: a segment with data is the
	 * engine's whole (it takes the flow back on data anyway).
	 */
	if (payload || !xg_tcp_hdr_csum_ok(&key, tcp, doff, data_end)) {
		cnt->passed++;
		return XDP_PASS;
	}
	fin = tcp->fin;
	cnt->acks++;

	una = f->una_off;
	nxt = *(volatile __u64 *)&f->nxt_off;
	ackn = bpf_ntohl(tcp->ack_seq);
	delta = (__s32)(ackn - (f->seq0 + (__u32)una));
	if (delta < 0) {
		cnt->old_acks++;
		goto done;
	}
	d = (__u32)delta;
	if (d > nxt - una) {
		cnt->ahead_acks++;
		return XDP_PASS;
	}

	raw = bpf_ntohs(tcp->window);
	if (f->flags & XG_TCP_F_TS) {
		tsval = xg_tcp_find_tsval(tcp, doff, data_end);
		if (tsval >= 0 && (__s32)((__u32)tsval - f->ts_recent) > 0)
			f->ts_recent = (__u32)tsval;
	}
	mss = f->mss ? f->mss : 1;
	hole = xg_tcp_sack_hole(tcp, doff, data_end, ackn, nxt - una - d, &sack_top);
	if (hole)
		cnt->sack_acks++;

	if (d > 0) {
		__u64 new_una = una + d;
		__u32 acked = d > 0x7fffffff ? 0x7fffffff : (__u32)d;
		int reno = f->flags & XG_TCP_F_RENO;

		cnt->new_acks++;
		if (f->in_recovery) {
			if (new_una >= f->recover) {
				f->in_recovery = 0;
				if (reno)
					f->cwnd = f->ssthresh;
			} else {
				/*
				 * Partial ACK: the next hole starts at the new una,
				 * minus what the TX already resent of the last request.
				 */
				__u64 to = xg_tcp_hole_end(new_una, nxt, mss, hole), from = new_una, p;

				if (*(volatile __u32 *)&f->rexmit_seen == f->rexmit_gen)
					p = *(volatile __u64 *)&f->rexmit_next;
				else
					p = f->rexmit_from;
				if (p > from)
					from = p;
				if (from < to) {
					xg_tcp_post_hole(f, cnt, from, to, mss, hole);
					cnt->partial_acks++;
				}
				if (reno) {
					__u32 c = f->cwnd;

					c = c > acked ? c - acked : 0;
					if (acked >= mss)
						c += mss;
					f->cwnd = c > mss ? c : mss;
				}
			}
		} else if (reno) {
			__u32 c = f->cwnd, inc;

			if (c < f->ssthresh) {
				inc = acked < 2 * mss ? acked : 2 * mss;
			} else {
				__u64 ca = (__u64)mss * acked / (c ? c : 1);

				inc = ca ? (ca > mss ? mss : (__u32)ca) : 1;
			}
			f->cwnd = c + inc < c || c + inc > (1u << 30) ? (1u << 30) : c + inc;
		}
		f->dupacks = 0;
		f->wnd = (__u32)raw << (f->snd_wscale & 15);
		f->last_wnd_raw = raw;
		XG_BARRIER();
		f->una_off = new_una;
		goto done;
	}

	/*
	 * ack == una: a duplicate ACK when nothing else changed (RFC 5681), or
	 * when SACK reports data above a hole whatever the window says (RFC
	 * 6675): a receiver's window moves as its application reads, and
	 * Linux's does on nearly every ACK of a bulk stream.
	 */
	if (payload == 0 && !fin && una < nxt && (raw == f->last_wnd_raw || hole)) {
		__u16 n = f->dupacks;

		if (raw != f->last_wnd_raw) {
			f->wnd = (__u32)raw << (f->snd_wscale & 15);
			f->last_wnd_raw = raw;
		}

		cnt->dup_acks++;
		if (n < 0xffff)
			n++;
		f->dupacks = n;
		/*
		 * Loss: the third duplicate, or (RFC 6675 section 4, without a
		 * scoreboard) SACK showing the receiver holds more than
		 * DupThresh - 1 segments above the hole. A receiver's GRO merges
		 * the segments after a loss, so it may send fewer than three
		 * duplicates for a whole window.
		 */
		if (!f->in_recovery && (n >= 3 || (hole && sack_top - hole > 2 * mss))) {
			__u64 to = xg_tcp_hole_end(una, nxt, mss, hole);

			if (f->flags & XG_TCP_F_RENO) {
				__u64 half = (nxt - una) / 2;
				__u32 ss = half < 2 * mss ? 2 * mss : (half > (1u << 30) ? (1u << 30) : (__u32)half);

				f->ssthresh = ss;
				f->cwnd = ss + 3 * mss;
			}
			f->in_recovery = 1;
			f->recover = nxt;
			xg_tcp_post_hole(f, cnt, una, to, mss, hole);
			cnt->fast_rexmits++;
		} else if (n > 3 && f->in_recovery && (f->flags & XG_TCP_F_RENO)) {
			__u32 c = f->cwnd + mss;

			if (c < (1u << 30))
				f->cwnd = c;
		}
	} else {
		/* A window update (or an ACK riding on data): not a duplicate. */
		f->wnd = (__u32)raw << (f->snd_wscale & 15);
		f->last_wnd_raw = raw;
	}
done:
	if (payload || fin) {
		cnt->passed++;
		return XDP_PASS;
	}
	return XDP_DROP;
}

#endif /* XDPGEN_TCP_FLOW_BPF_H */
