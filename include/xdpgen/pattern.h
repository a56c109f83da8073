/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef XDPGEN_PATTERN_H
#define XDPGEN_PATTERN_H
/*
 * The byte pattern xdpgen sends (--send-size, `xdpgen tcp --payload pattern`)
 * and checks (--verify), and that the test peers serve: byte `off` of a
 * stream is a function of its stream offset alone, so any byte can be made
 * again for a retransmission and checked wherever it lands.
 *
 * A 251-byte cycle (a prime: it never lines up with power-of-two segment or
 * buffer sizes) plus the 64 KiB block number, so a segment placed at the
 * wrong offset, or a whole block repeated, reads wrong. Shared by BPF
 * programs, the engine and the test peers, hence plain C.
 */
#include <linux/types.h>

#define XG_PATTERN_CYCLE 251u

static inline __u8 xg_pattern_byte(__u64 off)
{
	return (__u8)((off % XG_PATTERN_CYCLE) + (off >> 16));
}

#endif /* XDPGEN_PATTERN_H */
