// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * UDP blaster, run through BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES.
 *
 * Userspace hands the kernel one template frame; this program stamps each
 * repetition (destination port, IPv4 id, sequence number, send time) and redirects
 * it out of the interface. Live-frame pages are recycled without being reset,
 * so every field that varies is written in full and the checksums are computed
 * from a baseline userspace summed over the template with those fields at
 * zero, never from what is in the page.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdpgen/abi.h"
#include "csum.bpf.h"

const volatile __u32 out_ifindex = 0;
const volatile __u8 is_ipv6 = 0;
const volatile __u16 port_base = 0;	/* host order */
const volatile __u16 port_count = 1;	/* destination ports port_base .. +count-1 (xdp-trafficgen's -d) */
const volatile __u16 run_id = 0;
const volatile __u32 udp_csum_base = 0;	/* pseudo header + UDP header + payload, varied fields zero */
const volatile __u32 ip_csum_base = 0;	/* IPv4 header with id and check zero */
/*
 * The clock is read once per ts_every frames per CPU: a read costs about as
 * much as the rest of this program, and the kernel hands frames to the driver
 * in batches of 64 at flush time, so a per-frame read is no closer to the wire.
 */
const volatile __u32 ts_every = 1;

struct blast_cpu_state {
	__u64 seq;
	__u64 ts;		/* the last clock read */
	__u32 port_cursor;
	__u32 ts_left;		/* frames still to stamp with ts */
	__u32 head;		/* the stamp's first word (magic, stream, run), 0 = not yet made */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct blast_cpu_state);
} blast_state SEC(".maps");

SEC("xdp")
int xg_udp_blast(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct blast_cpu_state *st;
	struct udphdr *udp;
	struct xg_stamp *stamp;
	__u32 zero = 0;
	__u16 port, check;
	__u64 wide;
	__u64 seq;

	st = bpf_map_lookup_elem(&blast_state, &zero);
	if (!st)
		return XDP_ABORTED;
	seq = st->seq++;
	port = port_base + (__u16)st->port_cursor;
	if (++st->port_cursor >= port_count)
		st->port_cursor = 0;

	if (is_ipv6) {
		udp = data + sizeof(struct ethhdr) + sizeof(struct ipv6hdr);
	} else {
		struct iphdr *ip = data + sizeof(struct ethhdr);

		if ((void *)(ip + 1) > data_end)
			return XDP_ABORTED;
		ip->id = bpf_htons((__u16)seq);
		ip->check = ~csum_fold32(ip_csum_base + ip->id);
		udp = (void *)(ip + 1);
	}
	stamp = (void *)(udp + 1);
	if ((void *)(stamp + 1) > data_end)
		return XDP_ABORTED;

	/* Constant per CPU: made once instead of a helper call per frame. */
	if (!st->head) {
		struct xg_stamp h = {
			.magic = XG_STAMP_MAGIC,
			.stream = (__u8)bpf_get_smp_processor_id(),
			.run = run_id,
		};

		st->head = *(__u32 *)&h;
	}
	if (st->ts_left == 0) {
		st->ts = bpf_ktime_get_ns();
		st->ts_left = ts_every;
	}
	st->ts_left--;

	udp->dest = bpf_htons(port);
	*(__u32 *)stamp = st->head;
	stamp->seq = (__u32)seq;
	stamp->tx_ns = st->ts;

	/*
	 * One's complement sum of the varied fields from registers, in 32-bit
	 * words (RFC 1071 allows any word size whose carries are folded back);
	 * the stamp is 4-byte aligned relative to the UDP header.
	 */
	wide = (__u64)udp_csum_base + udp->dest + st->head + (__u32)seq + (__u32)st->ts + (__u32)(st->ts >> 32);
	wide = (wide & 0xffffffff) + (wide >> 32);
	wide = (wide & 0xffffffff) + (wide >> 32);
	check = ~csum_fold32((__u32)wide);
	udp->check = check ? check : 0xffff; /* RFC 768: zero means "no checksum" */

	return bpf_redirect(out_ifindex, 0);
}

/* The raw limit of the path, for tools/bench-udp: the frame goes out unmodified. */
SEC("xdp")
int xg_raw_redirect(struct xdp_md *ctx)
{
	return bpf_redirect(out_ifindex, 0);
}

/*
 * Set-up check: one live-frames run of this program tells whether the kernel
 * allows live frames (some refuse them: older than 5.18, locked down, or
 * EPERM by policy), without sending anything.
 */
SEC("xdp")
int xg_live_check(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
