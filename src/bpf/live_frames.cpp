// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "bpf/live_frames.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

namespace xdpgen {

Status live_frames_run(int prog_fd, std::span<const uint8_t> frame, int ifindex, uint32_t repeat, uint32_t batch)
{
    // The frame "arrives" on the interface it is redirected out of, so the
    // program's ingress_ifindex is meaningful and the page pool is that device's.
    xdp_md ctx{};
    ctx.ingress_ifindex = static_cast<uint32_t>(ifindex);
    ctx.data_end = static_cast<uint32_t>(frame.size());  // the kernel insists on it

    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof(ctx);
    opts.repeat = static_cast<int>(repeat);
    opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
    opts.batch_size = batch;
    int r = bpf_prog_test_run_opts(prog_fd, &opts);
    if (r == 0)
        return {};
    int err = errno;
    if (err == EINVAL || err == EOPNOTSUPP)
        return sys_error("the kernel refused to run the program in live-frames mode", err,
                         "xdpgen needs Linux 5.18 or later (BPF_F_TEST_XDP_LIVE_FRAMES); 'xdpgen probe' tells what this kernel supports");
    return sys_error("live-frames run failed", err);
}

}  // namespace xdpgen
