// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What really left the interface. bpf_redirect() always "succeeds" for the
 * XDP program; the driver's ndo_xdp_xmit may still drop the frame (veth does
 * when its peer has neither an XDP program nor GRO, and no counter of either
 * end shows it). The xdp tracepoints report the driver's verdict.
 *
 * BTF-enabled tracepoints (tp_btf) need no tracefs, which `ip netns exec`
 * does not mount. Optional: userspace runs without them if they fail to load.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "xdpgen/abi.h"

/* Only the fields we read; CO-RE finds their offsets in the running kernel's BTF. */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct net_device {
	int ifindex;
	struct {
		struct net *net;
	} nd_net;
} __attribute__((preserve_access_index));

/*
 * The interface is named by ifindex and by the inode of its network
 * namespace: ifindexes are per namespace, so two senders on veths in two
 * namespaces often watch the same number (tests and CI jobs side by side)
 * and would count each other's frames. 0 = any namespace.
 */
const volatile int watch_ifindex = 0;
const volatile __u32 watch_netns_ino = 0;

static __always_inline int watched(const struct net_device *dev)
{
	if (dev->ifindex != watch_ifindex)
		return 0;
	return !watch_netns_ino || dev->nd_net.net->ns.inum == watch_netns_ino;
}

/*
 * One slot per CPU, in .bss so userspace reads it through the skeleton's mmap
 * without a syscall. The live-frames run flushes its frames before the syscall
 * returns, on the caller's CPU, so a sending thread pinned to a CPU reads its
 * own slot before and after each run to learn that run's verdict.
 */
struct xg_xmit_counters xmit_counters[XG_MAX_CPUS];

static __always_inline struct xg_xmit_counters *this_cpu_slot(void)
{
	return &xmit_counters[bpf_get_smp_processor_id() & (XG_MAX_CPUS - 1)];
}

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(xg_devmap_xmit, const struct net_device *from_dev, const struct net_device *to_dev,
	     int sent, int drops, int err)
{
	struct xg_xmit_counters *c;

	if (!watched(to_dev))
		return 0;
	c = this_cpu_slot();
	c->sent += sent;
	c->drops += drops;
	return 0;
}

/* The frames are redirected out of the interface they "arrived" on, so dev is ours. */
SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(xg_redirect_err, const struct net_device *dev)
{
	if (!watched(dev))
		return 0;
	this_cpu_slot()->redirect_err++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
