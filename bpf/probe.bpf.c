// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Trivial programs used to ask the kernel what an interface supports. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xg_probe_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xg_probe_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
