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

/* Only the field we read; CO-RE finds its offset in the running kernel's BTF. */
struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

const volatile int watch_ifindex = 0;

struct xmit_counters {
	__u64 sent;
	__u64 drops;
	__u64 redirect_err;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xmit_counters);
} xmit_counters SEC(".maps");

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(xg_devmap_xmit, const struct net_device *from_dev, const struct net_device *to_dev,
	     int sent, int drops, int err)
{
	struct xmit_counters *c;
	__u32 zero = 0;

	if (to_dev->ifindex != watch_ifindex)
		return 0;
	c = bpf_map_lookup_elem(&xmit_counters, &zero);
	if (c) {
		c->sent += sent;
		c->drops += drops;
	}
	return 0;
}

/* The frames are redirected out of the interface they "arrived" on, so dev is ours. */
SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(xg_redirect_err, const struct net_device *dev)
{
	struct xmit_counters *c;
	__u32 zero = 0;

	if (dev->ifindex != watch_ifindex)
		return 0;
	c = bpf_map_lookup_elem(&xmit_counters, &zero);
	if (c)
		c->redirect_err++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
