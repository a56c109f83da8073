// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_live_frames_check: whether this kernel runs XDP programs with
// BPF_F_TEST_XDP_LIVE_FRAMES, asked without any of xdpgen's code: a
// two-instruction program (return XDP_DROP) loaded from raw instructions
// and run once on a 64-byte frame "received" on the loopback. An
// independent answer for tests that check `xdpgen probe`'s verdict.
//
//   xg_live_frames_check      prints "yes" or "no <errno text>", exits 0
//                             (2 when even loading the program fails)

#include <linux/bpf.h>
#include <net/if.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main()
{
    const bpf_insn prog[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "live_check", "GPL", prog, 2, nullptr);
    if (fd < 0) {
        std::printf("cannot load an XDP program: %s\n", std::strerror(errno));
        return 2;
    }
    unsigned char frame[64] = {};
    frame[12] = 0x08;  // IPv4 ethertype, not that a dropping program looks
    xdp_md ctx{};
    ctx.data_end = sizeof(frame);
    ctx.ingress_ifindex = if_nametoindex("lo");
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
    if (bpf_prog_test_run_opts(fd, &opts) == 0)
        std::printf("yes\n");
    else
        std::printf("no %s\n", std::strerror(errno));
    return 0;
}
