/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one header shared by the BPF programs (bpf/) and the C++ engine (src/).
 * UAPI types only, so both compilers see the same layout; src/bpf/abi_check.cpp
 * static_asserts every size and offset.
 */
#ifndef XDPGEN_ABI_H
#define XDPGEN_ABI_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * The stamp the UDP blaster writes at the start of every payload. It lets a
 * sink count loss and reordering per sending CPU and measure one-way latency
 * when sender and sink share CLOCK_MONOTONIC (same host). Stored in host byte
 * order: sender and sink run on the same machine, or on machines of the same
 * endianness.
 */
#define XG_STAMP_MAGIC 0xA7

struct xg_stamp {
	__u8 magic;   /* XG_STAMP_MAGIC */
	__u8 stream;  /* sending CPU: sequence numbers count per stream */
	__u16 run;    /* random per sender run: a long-lived sink tells runs apart */
	__u32 seq;    /* per stream, from 0 */
	__u64 tx_ns;  /* bpf_ktime_get_ns() when the frame was written */
};

#ifndef XG_MAX_STREAMS
#define XG_MAX_STREAMS 256
#endif

#ifndef XG_MAX_CPUS
#define XG_MAX_CPUS 256
#endif

/* The driver's verdict on redirected frames, per CPU (bpf/xmit_stats.bpf.c). */
struct xg_xmit_counters {
	__u64 sent;          /* frames ndo_xdp_xmit accepted */
	__u64 drops;         /* frames it refused (ring full, peer not ready) */
	__u64 redirect_err;  /* redirects that failed before reaching the driver */
	__u64 pad[5];        /* one cache line per CPU */
};

/* Sink: per-CPU counters, summed by userspace. */
struct xg_sink_counters {
	__u64 packets;   /* matched the address/port filter */
	__u64 bytes;     /* frame bytes of those packets */
	__u64 stamped;   /* carried a valid stamp */
	__u64 reordered; /* stamp sequence below the highest already seen */
	__u64 first_ns;  /* arrival of the first stamped packet, 0 = none yet */
	__u64 last_ns;   /* arrival of the last stamped packet */
};

/*
 * Sink: per-stream sequence tracking. Frames of one sending CPU arrive on one
 * receive queue, which one NAPI context serves at a time, so a stream slot has
 * a single writer at any moment.
 */
struct xg_sink_stream {
	__u64 first;     /* extended sequence of the first frame seen of this run */
	__u64 next;      /* highest extended sequence seen + 1 */
	__u64 received;  /* frames of this run seen */
	__u32 run;       /* 0x10000 | run id of the sender; 0 = unused */
	__u32 pad;
};

/*
 * Steering (bpf/steer.bpf.c): per-CPU counters of its decisions, summed by
 * userspace. A frame for the generator whose queue has no socket in the
 * XSKMAP falls back to the kernel and is counted as no_socket, not steered.
 * Every frame lands in exactly one of the counters.
 */
struct xg_steer_counters {
	__u64 steered;      /* ours, redirected to the AF_XDP socket of its queue */
	__u64 no_socket;    /* ours, but no socket on that queue: passed to the kernel */
	__u64 passed;       /* not ours (ARP, ICMP, other addresses/ports, fragments) */
	__u64 arp_replies;  /* ARP requests for our addresses, answered */
	__u64 na_replies;   /* neighbour solicitations for them, answered */
	__u64 pad[3];       /* one cache line per CPU */
};

#ifndef XG_MAX_QUEUES
#define XG_MAX_QUEUES 64
#endif

/*
 * Latency histogram buckets, log-linear: values below 16 ns get a bucket
 * each, above that every power of two is split into 8 sub-buckets (worst
 * relative error 12.5%). 16 + 8 * (40 - 4) buckets reach 2^40 ns (18 min).
 */
#define XG_LAT_SUB_BITS 3
#define XG_LAT_LINEAR 16
#define XG_LAT_MAX_POW 40
#define XG_LAT_BUCKETS (XG_LAT_LINEAR + (1 << XG_LAT_SUB_BITS) * (XG_LAT_MAX_POW - 4))

static __always_inline __u32 xg_msb64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r;
}

static __always_inline __u32 xg_lat_bucket(__u64 ns)
{
	__u32 msb, idx;

	if (ns < XG_LAT_LINEAR)
		return (__u32)ns;
	msb = xg_msb64(ns);
	if (msb >= XG_LAT_MAX_POW)
		return XG_LAT_BUCKETS - 1;
	idx = XG_LAT_LINEAR + (msb - 4) * (1 << XG_LAT_SUB_BITS) +
	      (__u32)((ns >> (msb - XG_LAT_SUB_BITS)) & ((1 << XG_LAT_SUB_BITS) - 1));
	return idx;
}

/* Lowest value that falls into bucket idx (inverse of xg_lat_bucket). */
static __always_inline __u64 xg_lat_bucket_floor(__u32 idx)
{
	__u32 pow, sub;

	if (idx < XG_LAT_LINEAR)
		return idx;
	idx -= XG_LAT_LINEAR;
	pow = idx / (1 << XG_LAT_SUB_BITS) + 4;
	sub = idx % (1 << XG_LAT_SUB_BITS);
	return ((__u64)1 << pow) | ((__u64)sub << (pow - XG_LAT_SUB_BITS));
}

#endif /* XDPGEN_ABI_H */
