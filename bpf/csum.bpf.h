/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internet checksum helpers for XDP programs (RFC 1071, incremental per RFC 1624). */
#ifndef XDPGEN_CSUM_BPF_H
#define XDPGEN_CSUM_BPF_H

#include <linux/types.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

#endif
