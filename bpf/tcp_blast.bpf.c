// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * `xdpgen tcp`: bulk TCP data through BPF_PROG_RUN with live frames.
 *
 * xg_tcp_tx runs once per repetition on the sending thread's CPU. It takes
 * the next flow of that CPU's slice (tcp_tx_slices[cpu], round robin, at
 * most XG_TCP_PICK_MAX looked at) that may send, and writes one segment of
 * it over the whole frame: Ethernet, IPv4 or IPv6, TCP with ACK (PSH only on
 * the stream's last segment: the receiver's GRO merges segments up to one
 * with PSH, as it does for the kernel's own bulk sends), the
 * flow's ack number and window, NOP NOP TS when timestamps were negotiated,
 * the payload (the byte pattern at its stream offsets) and both checksums.
 * Nothing is read from the page: live-frame pages are recycled without
 * being reset. The frame is then cut to the segment's size
 * (bpf_xdp_adjust_tail; the kernel restores the template's length for the
 * next repetition) and redirected out of out_ifindex. With no flow able to
 * send, the repetition is dropped (nothing leaves) and counted as no_room.
 *
 * What a flow may send, resends first:
 * - a resend request (the ACK program's, rexmit_gen; an RTO from userspace,
 *   rto_gen) sets the resend range; segments of at most mss are resent from
 *   max(rexmit_next, una_off) up to min(rexmit_end, nxt_off) while they
 *   start below una_off + max(cwnd, mss);
 * - new data from nxt_off up to min(una_off + min(cwnd, wnd), end_off), a
 *   segment of min(mss, room); a piece shorter than a full segment (and not
 *   the stream's last) waits until the room is at least half the window
 *   (sender-side silly window avoidance, RFC 9293 3.8.6.2.1).
 *
 * Payload and checksum. Byte `off` of a stream is xg_pattern_byte(off) =
 * (off % 251 + (off >> 16)) & 0xff. Inside one 64 KiB block the second term
 * is constant, so a segment's bytes are a slice of row (off >> 16) & 255 of
 * tcp_pattern (filled once by userspace, see XG_TCP_PATTERN_ROW) starting at
 * off % 251; a segment crossing a block boundary is two slices. Each slice
 * is copied with bpf_xdp_store_bytes and its sum is the difference of two
 * of the row's running sums (struct xg_tcp_pattern_row), so the TCP checksum
 * is a full one over header and payload, computed from the map and not from
 * the page, without a pass over the payload.
 *
 * With payload_file set the stream is a file's bytes instead (--payload
 * FILE): row k of tcp_file holds bytes [k * 64 KiB, k * 64 KiB + 64 KiB +
 * XG_TCP_MAX_PAYLOAD) of the file, so a segment is always one slice of the
 * row of its first byte, copied and summed from the row with bpf_csum_diff
 * (512-byte chunks, the helper's limit).
 */
#include "tcp_flow.bpf.h"
#include "csum.bpf.h"

const volatile __u32 out_ifindex = 0;
/* The TSval clock is read once per this many segments per CPU. */
const volatile __u32 ts_every = 16;
/*
 * The interface the program is also attached to, in generic mode, only so
 * that it stays in the kernel's XDP dispatcher: BPF_PROG_RUN adds a program
 * that is not there and removes it afterwards, each time waiting for an RCU
 * grace period (milliseconds) once another XDP program (steering) is in
 * use. Frames arriving there are passed untouched. 0 = none.
 */
const volatile __u32 pin_ifindex = 0;
/* The payload is the file in tcp_file, not the pattern. */
const volatile __u8 payload_file = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct xg_tcp_tx_slice);
} tcp_tx_slices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_TCP_PATTERN_ROWS);
	__type(key, __u32);
	__type(value, struct xg_tcp_pattern_row);
} tcp_pattern SEC(".maps");

struct xg_tcp_file_row {
	__u8 b[XG_TCP_FILE_ROW];
};

/* --payload FILE: one row per 64 KiB of the file; userspace sizes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_tcp_file_row);
} tcp_file SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_tcp_tx_counters);
} tcp_tx_counters SEC(".maps");

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define TCP_LEN 20
#define TCP_TS_LEN 32

struct seg_plan {
	__u64 start;	/* stream offset of the first payload byte */
	__u32 len;	/* payload bytes, 1 .. XG_TCP_MAX_PAYLOAD */
	__u32 resend;
};

static __always_inline __u64 min64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

static __always_inline __u16 fold64(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return csum_fold32((__u32)s);
}

/*
 * Decides the flow's next segment and commits it (nxt_off, rexmit_next), or
 * returns 0 when it has nothing it may send. max_payload: what the frame
 * holds after this flow's headers.
 */
static __always_inline int plan_segment(struct xg_tcp_flow *f, __u32 max_payload, struct seg_plan *p)
{
	__u64 una, nxt, end, rn, re, lim, win, usable, want;
	__u32 gen, mss, cwnd, wnd;

	if (!(f->flags & XG_TCP_F_ACTIVE))
		return 0;
	una = *(volatile __u64 *)&f->una_off;
	nxt = f->nxt_off;
	cwnd = *(volatile __u32 *)&f->cwnd;
	wnd = *(volatile __u32 *)&f->wnd;
	mss = f->mss;
	if (mss > max_payload)
		mss = max_payload;
	if (mss == 0)
		return 0;

	gen = *(volatile __u32 *)&f->rexmit_gen;
	if (gen != f->rexmit_seen) {
		XG_BARRIER();
		f->rexmit_seen = gen;
		f->rexmit_next = f->rexmit_from;
		f->rexmit_end = f->rexmit_to;
	}
	gen = *(volatile __u32 *)&f->rto_gen;
	if (gen != f->rto_seen) {
		f->rto_seen = gen;
		f->rexmit_next = una;
		f->rexmit_end = nxt;
	}

	rn = f->rexmit_next;
	re = min64(f->rexmit_end, nxt);
	if (rn < una)
		rn = una;
	if (rn < re) {
		if (rn >= una + (cwnd > mss ? cwnd : mss))
			return 0; /* resends pending, but no room for them yet */
		p->start = rn;
		p->len = (__u32)min64(mss, re - rn);
		p->resend = 1;
		f->rexmit_next = rn + p->len;
		return 1;
	}

	end = f->end_off;
	if (nxt >= end)
		return 0;
	win = cwnd < wnd ? cwnd : wnd;
	lim = min64(una + win, end);
	if (lim <= nxt)
		return 0;
	usable = lim - nxt;
	want = min64(mss, end - nxt);
	if (usable < want && usable < win / 2)
		return 0;
	p->start = nxt;
	p->len = (__u32)min64(usable, want);
	p->resend = 0;
	f->nxt_off = nxt + p->len;
	return 1;
}

/*
 * Copies n bytes of a row (map value `row` of row_len bytes) from column s
 * to the payload at packet offset at, and returns their one's complement
 * sum in memory order as if the first of them were at an even position.
 * max_s: the largest column a slice may start at (so s + n stays in the row).
 */
static __always_inline __s64 copy_and_sum(struct xdp_md *ctx, __u32 at, __u8 *row, __u64 row_len, __u64 max_s,
					  __u64 s, __u64 n)
{
	__u64 sum = 0, done = 0, n4;
	__u32 i;

	XG_OPAQUE(s);
	if (s > max_s)
		return -1;
	XG_OPAQUE(n);
	if (n < 1 || n > XG_TCP_MAX_PAYLOAD)
		return -1;
	if (bpf_xdp_store_bytes(ctx, at, row + s, n))
		return -1;

	n4 = n & ~3ull;
	for (i = 0; i < XG_TCP_MAX_PAYLOAD / 512; i++) {
		__u64 c, off;
		__s64 r;

		if (done >= n4)
			break;
		c = n4 - done;
		if (c > 512)
			c = 512;
		off = s + done;
		if (off > max_s + XG_TCP_MAX_PAYLOAD)
			return -1;
		r = bpf_csum_diff(NULL, 0, (__be32 *)(row + off), c, 0);
		if (r < 0)
			return -1;
		sum += (__u32)r;
		done += c;
	}
	for (i = 0; i < 3; i++) {
		__u64 pos = n4 + i, col = s + pos;
		__u8 b;

		if (pos >= n || col >= row_len)
			break;
		b = row[col];
		sum += (pos & 1) ? (__u64)b << 8 : b;
	}
	return (__s64)((sum & 0xffffffff) + (sum >> 32));
}

/* n file bytes from stream offset off to packet offset at; see copy_and_sum. */
static __always_inline __s64 put_file_slice(struct xdp_md *ctx, __u32 at, __u64 off, __u64 n)
{
	struct xg_tcp_file_row *row;
	__u32 k = (__u32)(off >> 16);

	row = bpf_map_lookup_elem(&tcp_file, &k);
	if (!row)
		return -1;
	return copy_and_sum(ctx, at, row->b, XG_TCP_FILE_ROW, 0xffff, off & 0xffff, n);
}

/* Sum of a 16-bit-word-swapped partial sum: a slice that starts at an odd position. */
static __always_inline __u32 swap_sum(__u64 s)
{
	__u16 v = fold64(s);

	return (__u16)((v >> 8) | (v << 8));
}

/*
 * n pattern bytes of row k from column s (s < 251) to packet offset at, and
 * their sum as copy_and_sum gives it, from the row's running sums (struct
 * xg_tcp_pattern_row): the payload is summed without reading it.
 */
static __always_inline __s64 put_slice(struct xdp_md *ctx, __u32 at, __u32 k, __u64 s, __u64 n)
{
	struct xg_tcp_pattern_row *row;
	__u32 d;

	k &= XG_TCP_PATTERN_ROWS - 1;
	row = bpf_map_lookup_elem(&tcp_pattern, &k);
	if (!row)
		return -1;
	XG_OPAQUE(s);
	if (s > 250)
		return -1;
	XG_OPAQUE(n);
	if (n < 1 || n > XG_TCP_MAX_PAYLOAD)
		return -1;
	if (bpf_xdp_store_bytes(ctx, at, &row->b[s], n))
		return -1;
	d = row->sum[s + n] - row->sum[s];
	/* The row's word parity starts at column 0; the slice's at its first byte. */
	return (s & 1) ? swap_sum(d) : d;
}

static __always_inline __u32 ts_now_ms(struct xg_tcp_tx_slice *sl)
{
	if (sl->ts_left == 0) {
		sl->ts_ms = bpf_ktime_get_ns() / 1000000;
		sl->ts_left = ts_every ? ts_every : 1;
	}
	sl->ts_left--;
	return (__u32)sl->ts_ms;
}

SEC("xdp")
int xg_tcp_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xg_tcp_tx_counters *cnt;
	struct xg_tcp_tx_slice *sl;
	struct xg_tcp_flow *f = NULL;
	struct seg_plan p = {};
	__u32 cpu, zero = 0, i, count, frame_len, hdr_len, ip_len, tcp_len, payload_off, seg_len;
	__u32 k1, s1, n1, seq;
	__u64 sum;
	__s64 part;
	struct tcphdr *tcp;
	int v6, ts;

	if (pin_ifindex && ctx->ingress_ifindex == pin_ifindex)
		return XDP_PASS;
	cnt = bpf_map_lookup_elem(&tcp_tx_counters, &zero);
	if (!cnt)
		return XDP_ABORTED;
	cpu = bpf_get_smp_processor_id() & (XG_MAX_CPUS - 1);
	sl = bpf_map_lookup_elem(&tcp_tx_slices, &cpu);
	if (!sl) {
		cnt->errors++;
		return XDP_ABORTED;
	}
	frame_len = (__u32)(data_end - data);

	count = sl->count;
	for (i = 0; i < XG_TCP_PICK_MAX; i++) {
		struct xg_tcp_flow *c;
		__u32 id, hl, room;

		if (i >= count)
			break;
		if (sl->cursor >= count)
			sl->cursor = 0;
		id = sl->first + sl->cursor;
		sl->cursor++;
		c = bpf_map_lookup_elem(&tcp_flows, &id);
		if (!c)
			continue;
		hl = ETH_LEN + ((c->flags & XG_TCP_F_IPV6) ? IP6_LEN : IP4_LEN) +
		     ((c->flags & XG_TCP_F_TS) ? TCP_TS_LEN : TCP_LEN);
		room = frame_len > hl ? frame_len - hl : 0;
		if (room > XG_TCP_MAX_PAYLOAD)
			room = XG_TCP_MAX_PAYLOAD;
		if (plan_segment(c, room, &p)) {
			f = c;
			break;
		}
	}
	if (!f) {
		cnt->no_room++;
		return XDP_DROP;
	}

	v6 = !!(f->flags & XG_TCP_F_IPV6);
	ts = !!(f->flags & XG_TCP_F_TS);
	ip_len = v6 ? IP6_LEN : IP4_LEN;
	tcp_len = ts ? TCP_TS_LEN : TCP_LEN;
	hdr_len = ETH_LEN + ip_len + tcp_len;
	seg_len = p.len;
	if (seg_len < 1 || seg_len > XG_TCP_MAX_PAYLOAD)
		goto error;
	if (hdr_len + seg_len < frame_len &&
	    bpf_xdp_adjust_tail(ctx, (int)(hdr_len + seg_len) - (int)frame_len))
		goto error;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	/* Ethernet */
	{
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end)
			goto error;
		__builtin_memcpy(eth->h_dest, f->dst_mac, 6);
		__builtin_memcpy(eth->h_source, f->src_mac, 6);
		eth->h_proto = v6 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
	}

	/* IP, and the pseudo header's part of the TCP sum */
	if (v6) {
		struct ipv6hdr *ip6 = data + ETH_LEN;

		tcp = data + ETH_LEN + IP6_LEN;
		if ((void *)(tcp + 1) > data_end)
			goto error;
		*(__u32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(tcp_len + seg_len);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, f->src_addr, 16);
		__builtin_memcpy(&ip6->daddr, f->dst_addr, 16);
		part = bpf_csum_diff(NULL, 0, (__be32 *)&ip6->saddr, 32, 0);
	} else {
		struct iphdr *ip = data + ETH_LEN;
		__u16 id = f->ip_id++;

		tcp = data + ETH_LEN + IP4_LEN;
		if ((void *)(tcp + 1) > data_end)
			goto error;
		*(__u16 *)ip = bpf_htons(0x4500);
		ip->tot_len = bpf_htons(ip_len + tcp_len + seg_len);
		ip->id = bpf_htons(id);
		ip->frag_off = bpf_htons(0x4000); /* DF */
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->check = 0;
		__builtin_memcpy(&ip->saddr, f->src_addr, 4);
		__builtin_memcpy(&ip->daddr, f->dst_addr, 4);
		part = bpf_csum_diff(NULL, 0, (__be32 *)ip, IP4_LEN, 0);
		if (part < 0)
			goto error;
		ip->check = ~fold64((__u32)part);
		part = bpf_csum_diff(NULL, 0, (__be32 *)&ip->saddr, 8, 0);
	}
	if (part < 0)
		goto error;
	sum = (__u32)part + bpf_htons(IPPROTO_TCP) + bpf_htons(tcp_len + seg_len);

	/* TCP */
	seq = f->seq0 + (__u32)p.start;
	tcp->source = f->src_port;
	tcp->dest = f->dst_port;
	tcp->seq = bpf_htonl(seq);
	tcp->ack_seq = bpf_htonl(f->rcv_nxt);
	/* doff; ACK, and PSH on the stream's last segment */
	*((__u16 *)tcp + 6) = bpf_htons(((tcp_len / 4) << 12) | (p.start + seg_len >= f->end_off ? 0x18 : 0x10));
	tcp->window = bpf_htons(f->adv_win);
	tcp->check = 0;
	tcp->urg_ptr = 0;
	if (ts) {
		__u32 *opt = (void *)(tcp + 1);

		if ((void *)(opt + 3) > data_end)
			goto error;
		opt[0] = bpf_htonl(0x0101080a); /* NOP NOP TS len 10 */
		opt[1] = bpf_htonl(ts_now_ms(sl) + f->ts_off);
		opt[2] = bpf_htonl(f->ts_recent);
		part = bpf_csum_diff(NULL, 0, (__be32 *)tcp, TCP_TS_LEN, 0);
	} else {
		part = bpf_csum_diff(NULL, 0, (__be32 *)tcp, TCP_LEN, 0);
	}
	if (part < 0)
		goto error;
	sum += (__u32)part;

	payload_off = hdr_len;
	if (payload_file) {
		part = put_file_slice(ctx, payload_off, p.start, seg_len);
		if (part < 0)
			goto error;
		sum += (__u64)part;
		goto payload_done;
	}
	/* Payload: one slice per 64 KiB block it touches (one or two). */
	k1 = (__u32)(p.start >> 16);
	s1 = (__u32)(p.start % 251);
	n1 = 0x10000 - (__u32)(p.start & 0xffff);
	if (n1 > seg_len)
		n1 = seg_len;
	part = put_slice(ctx, payload_off, k1, s1, n1);
	if (part < 0)
		goto error;
	sum += (__u64)part;
	if (n1 < seg_len) {
		__u64 at2 = p.start + n1;

		part = put_slice(ctx, payload_off + n1, k1 + 1, (__u32)(at2 % 251), seg_len - n1);
		if (part < 0)
			goto error;
		sum += (n1 & 1) ? swap_sum((__u64)part) : (__u64)part;
	}

payload_done:
	/* The page may have moved nothing, but the verifier wants the pointer anew. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	tcp = data + ETH_LEN + ip_len;
	if ((void *)(tcp + 1) > data_end)
		goto error;
	tcp->check = ~fold64(sum);

	f->tx_segments++;
	cnt->packets++;
	cnt->bytes += hdr_len + seg_len;
	cnt->payload_bytes += seg_len;
	if (p.resend) {
		f->tx_resent++;
		cnt->resent++;
		cnt->resent_bytes += seg_len;
	}
	return bpf_redirect(out_ifindex, 0);

error:
	/* The segment was committed but not sent: the peer's ACKs or an RTO bring it back. */
	cnt->errors++;
	return XDP_ABORTED;
}

/* The ACK processing on its own, until steering runs it on ingress. */
SEC("xdp")
int xg_tcp_ack(struct xdp_md *ctx)
{
	int r = xg_tcp_ack_process(ctx);

	return r < 0 ? XDP_PASS : r;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
