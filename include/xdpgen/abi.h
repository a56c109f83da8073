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
 * XSKMAP falls back to the kernel and is counted as no_socket, not steered;
 * one of the host's own TCP connections is counted as kernel_owned.
 * Every frame lands in exactly one of the first seven counters; the three
 * after them count a part of one of those.
 */
struct xg_steer_counters {
	__u64 steered;      /* ours, redirected to the AF_XDP socket of its queue */
	__u64 no_socket;    /* ours, but no socket on that queue: passed to the kernel */
	__u64 passed;       /* not ours (ARP, ICMP, other addresses/ports, later fragments) */
	__u64 arp_replies;  /* ARP requests for our addresses, answered */
	__u64 na_replies;   /* neighbour solicitations for them, answered */
	__u64 bulk_acks;    /* pure ACKs of `xdpgen tcp` flows, consumed by the ACK processing */
	__u64 kernel_owned; /* TCP in our ranges whose connection the kernel owns: passed to it */
	__u64 icmp_errors;  /* of steered + no_socket: ICMP errors quoting a packet we sent */
	__u64 fragments;    /* of passed: later fragments to our addresses (they carry no ports) */
	__u64 malformed;    /* of passed: IP headers cut short or with inconsistent lengths */
	__u64 pad[6];       /* two whole cache lines per CPU */
};

#ifndef XG_MAX_QUEUES
#define XG_MAX_QUEUES 64
#endif

/*
 * Latency histogram buckets, log-linear as HdrHistogram's: values below
 * 256 ns get a bucket each, above that every power of two is split into 128
 * sub-buckets, so a bucket is at most 1/128 (0.78%) of its lower edge wide
 * and a percentile read at its bucket's upper edge is within 1% of the
 * truth. 256 + 128 * (40 - 8) buckets reach 2^40 ns (18 min).
 */
#define XG_LAT_SUB_BITS 7
#define XG_LAT_MIN_POW (XG_LAT_SUB_BITS + 1)
#define XG_LAT_LINEAR (1 << XG_LAT_MIN_POW)
#define XG_LAT_MAX_POW 40
#define XG_LAT_BUCKETS (XG_LAT_LINEAR + (1 << XG_LAT_SUB_BITS) * (XG_LAT_MAX_POW - XG_LAT_MIN_POW))

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
	idx = XG_LAT_LINEAR + (msb - XG_LAT_MIN_POW) * (1 << XG_LAT_SUB_BITS) +
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
	pow = idx / (1 << XG_LAT_SUB_BITS) + XG_LAT_MIN_POW;
	sub = idx % (1 << XG_LAT_SUB_BITS);
	return ((__u64)1 << pow) | ((__u64)sub << (pow - XG_LAT_SUB_BITS));
}

/*
 * `xdpgen tcp`: bulk TCP streams sent by the live-frames program xg_tcp_tx
 * and acknowledged through xg_tcp_ack (bpf/tcp_blast.bpf.c, bpf/tcp_flow.bpf.h).
 *
 * Positions in a stream are 64-bit stream offsets (byte 0 = the first byte
 * after the SYN), never bare sequence numbers: a flow may send more than
 * 4 GiB, and the payload pattern is a function of the offset. The sequence
 * number of offset o is seq0 + (__u32)o.
 *
 * Ownership and concurrency. One flow's TX runs on one CPU at a time (the
 * flows are split into per-CPU slices, each sending thread is pinned); its
 * ACKs arrive on one receive queue, served by one NAPI context at a time, on
 * any CPU. Every field has a single writer once the flow is active:
 *   line 0  userspace, before setting XG_TCP_F_ACTIVE (rcv_nxt: also later)
 *   line 1  TX program (tx fields), userspace (end_off, flags, rto_gen)
 *   line 2  ACK program (userspace: before activation, and on an RTO)
 * Cross-CPU hand-offs are generation counters: the writer fills the request
 * (rexmit_from/rexmit_to), then bumps the generation; the reader compares it
 * with the generation it consumed last. A stale read can only resend a range
 * inside [una, nxt), whose bytes are regenerated from the offset, so a race
 * costs a duplicate segment, never a wrong byte. 64-bit offsets are aligned
 * and read/written whole.
 *
 * Resend requests (ACK program, xg_tcp_ack_process): the third duplicate
 * ACK and a NewReno partial ACK request the hole at una: [una, lowest SACK
 * left edge above una) when the ACK carries SACK blocks (RFC 2018), capped
 * at nxt_off and una + XG_TCP_RESEND_MAX, else one segment. A partial ACK
 * requests only what the TX has not resent yet of that hole: it starts at
 * the TX's progress on the previous request (rexmit_next once rexmit_seen
 * shows it was taken, read as a hint: a stale value lags, which costs a
 * duplicate segment); a hole already resent in full is not requested again,
 * nor is anything on further duplicate ACKs (no resend storms; a resend lost
 * again is the RTO's).
 */
#define XG_TCP_F_ACTIVE 0x01   /* the blaster owns the flow: TX sends, ACK consumes */
#define XG_TCP_F_IPV6   0x02
#define XG_TCP_F_TS     0x04   /* timestamps negotiated: TX writes NOP NOP TS */
#define XG_TCP_F_RENO   0x08   /* --cc reno; clear: --cc none (window-limited) */

/* The most payload one segment can carry: a live frame lives in one page. */
#define XG_TCP_MAX_PAYLOAD 3584u
/*
 * Payload pattern rows (map tcp_pattern): row k (0..255) holds
 * byte j = (j % 251 + k) & 0xff, which is xg_pattern_byte(off) for the
 * offsets of 64 KiB block k (mod 256) starting at j = off % 251. Rows are
 * longer than 251 + XG_TCP_MAX_PAYLOAD so checksum chunks may read past a
 * segment's end without leaving the row.
 */
#define XG_TCP_PATTERN_ROWS 256u
#define XG_TCP_PATTERN_ROW 4352u
/*
 * --payload FILE (map tcp_file): row k holds the file's bytes from k * 64 KiB
 * on, 64 KiB plus what one more segment and a checksum chunk may read (zeros
 * past the file's end), so a segment never leaves the row of its first byte.
 */
#define XG_TCP_FILE_ROW (65536u + XG_TCP_MAX_PAYLOAD + 512u)

static __always_inline __u8 xg_tcp_pattern_row_byte(__u32 row, __u32 j)
{
	return (__u8)(j % 251u + row);
}

/*
 * A row of tcp_pattern: its bytes, and their running one's complement sums
 * so the sender checksums a segment's payload with one subtraction: sum[j]
 * adds bytes 0 .. j-1 as 16-bit words in memory order from the row's start
 * (even positions the low byte on little-endian, as a native load reads
 * them), unfolded (at most 4352 * 255 * 257, well inside 32 bits).
 */
struct xg_tcp_pattern_row {
	__u8 b[XG_TCP_PATTERN_ROW];
	__u32 sum[XG_TCP_PATTERN_ROW + 1];
};

/* Userspace: row k as the sender reads it. */
static inline void xg_tcp_pattern_row_fill(__u32 k, struct xg_tcp_pattern_row *r)
{
	__u32 j, acc = 0;

	for (j = 0; j < XG_TCP_PATTERN_ROW; j++) {
		__u8 v = xg_tcp_pattern_row_byte(k, j);
		const __u16 one = 1;

		r->b[j] = v;
		r->sum[j] = acc;
		/* Position j's byte in a native 16-bit load of its word. */
		if ((j & 1) == (*(const __u8 *)&one == 1 ? 0u : 1u))
			acc += v;
		else
			acc += (__u32)v << 8;
	}
	r->sum[XG_TCP_PATTERN_ROW] = acc;
}

/* Most flows examined per TX repetition looking for one with room. */
#define XG_TCP_PICK_MAX 64u

/*
 * Most bytes one resend request derived from SACK blocks covers (the hole
 * [una, lowest SACK left edge) is cut here); a longer hole goes on with the
 * next partial ACK. Without SACK a request is one segment.
 */
#define XG_TCP_RESEND_MAX (256u * 1024)

struct xg_tcp_flow {
	/* --- line 0: userspace, constant while active (rcv_nxt: userspace only) --- */
	__u8 dst_mac[6];       /* peer (next hop) */
	__u8 src_mac[6];       /* ours */
	__u16 src_port;        /* ours, network order */
	__u16 dst_port;        /* peer's, network order */
	__u8 src_addr[16];     /* ours; IPv4 in the first 4 bytes, rest zero */
	__u8 dst_addr[16];     /* peer's */
	__u32 seq0;            /* sequence number of stream offset 0 (ISS + 1) */
	__u32 rcv_nxt;         /* the ack number we send (IRS + 1 + data received) */
	__u32 ts_off;          /* TSval = bpf_ktime_get_ns() / 1e6 + ts_off */
	__u16 mss;             /* payload bytes per segment, options excluded (MSS - 12 with TS) */
	__u16 adv_win;         /* window field we send, already shifted by our scale */
	/* --- line 1: TX program, and userspace for end_off/flags/rto_gen --- */
	__u64 end_off;         /* userspace: stream length; nothing at or past it is sent */
	__u64 nxt_off;         /* TX: next new byte (= SND.MAX; resends use rexmit_*) */
	__u64 rexmit_next;     /* TX: next byte to resend */
	__u64 rexmit_end;      /* TX: resend up to here (exclusive) */
	__u32 rexmit_seen;     /* TX: last rexmit_gen taken */
	__u32 rto_seen;        /* TX: last rto_gen taken */
	__u32 rto_gen;         /* userspace: bump on an RTO: resend from una up to nxt_off */
	__u8 flags;            /* userspace: XG_TCP_F_*; ACTIVE set last, cleared before a FIN */
	__u8 snd_wscale;       /* userspace: the peer's window shift (RFC 7323) */
	__u16 ip_id;           /* TX: IPv4 identification, per flow */
	__u64 tx_segments;     /* TX: segments sent, resends included */
	__u64 tx_resent;       /* TX: segments resent */
	/* --- line 2: ACK program (userspace before activation and on an RTO) --- */
	__u64 una_off;         /* SND.UNA: all before it is acknowledged */
	__u64 recover;         /* NewReno recovery point (nxt_off when loss was detected) */
	__u64 rexmit_from;     /* resend request: [from, to), posted with rexmit_gen */
	__u64 rexmit_to;
	__u32 wnd;             /* the peer's window in bytes (scale applied) */
	__u32 cwnd;            /* bytes; ~0 with --cc none */
	__u32 ssthresh;        /* bytes */
	__u32 ts_recent;       /* the peer's latest TSval, echoed as TSecr */
	__u32 rexmit_gen;      /* bumped after rexmit_from/to are written */
	__u16 dupacks;         /* duplicate ACKs in a row */
	__u16 last_wnd_raw;    /* window field of the last acceptable ACK (dup-ACK test) */
	__u8 in_recovery;      /* fast recovery until una_off >= recover */
	__u8 pad2[7];
};

/* Peer -> flow id (map tcp_flow_ids): as the peer's segments carry them. */
struct xg_tcp_flow_key {
	__u8 local_addr[16];   /* IPv4 in the first 4 bytes, rest zero */
	__u8 peer_addr[16];
	__u16 local_port;      /* network order */
	__u16 peer_port;       /* network order */
	__u32 ipv6;            /* 0 or 1 */
};

/* Per sending CPU (map tcp_tx_slices, indexed by CPU): the flows it sends. */
struct xg_tcp_tx_slice {
	__u32 first;           /* userspace: flow ids first .. first+count-1 */
	__u32 count;
	__u32 cursor;          /* TX: round-robin position inside the slice */
	__u32 ts_left;         /* TX: repetitions before the clock is read again */
	__u64 ts_ms;           /* TX: last clock reading, ms */
	__u8 pad[40];
};

/* Per-CPU counters of xg_tcp_tx. */
struct xg_tcp_tx_counters {
	__u64 packets;         /* segments redirected */
	__u64 bytes;           /* their frame bytes */
	__u64 payload_bytes;   /* their payload bytes, resends included */
	__u64 resent;          /* segments that were resends */
	__u64 resent_bytes;
	__u64 no_room;         /* repetitions with no flow able to send (XDP_DROP) */
	__u64 errors;          /* frame too small, missing map entry (XDP_ABORTED) */
	__u64 pad;
};

/* Per-CPU counters of the ACK processing. */
struct xg_tcp_ack_counters {
	__u64 acks;            /* segments of an active flow examined */
	__u64 new_acks;        /* advanced una_off */
	__u64 dup_acks;
	__u64 fast_rexmits;    /* third duplicate ACK: resend request posted */
	__u64 partial_acks;    /* NewReno partial ACK: resend request posted */
	__u64 old_acks;        /* ack below una_off: ignored */
	__u64 ahead_acks;      /* ack beyond nxt_off: passed on */
	__u64 passed;          /* ours, handed on: data, FIN, SYN, RST, flow not active */
	__u64 sack_acks;       /* acceptable ACKs with a SACK block inside (ack, nxt_off] */
	__u64 sack_resend_bytes; /* resend bytes posted past the first segment, as SACK showed the hole */
};

#endif /* XDPGEN_ABI_H */
