// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_loss: random packet loss on one interface, for tests on a machine
// without netem. bpf/loss.bpf.c does the dropping: its XDP program on
// ingress (a bpf_link, so the kernel removes it if this process dies) and its
// tc program on the clsact egress hook (libbpf 1.1 has no tcx links, so that
// one is removed here on SIGINT/SIGTERM; after SIGKILL it stays until the
// interface goes).
//
//   xg_loss IFNAME PERMILLE [--ingress] [--egress] [--tcp-only] [--port P] [--corrupt PERMILLE]
//
// With --corrupt (ingress), received TCP segments with payload that were not
// dropped get their first payload byte inverted, checksum unchanged.
// Prints "ready" once attached, then waits for SIGINT/SIGTERM, detaches and
// prints one line: seen_in=N dropped_in=N seen_out=N dropped_out=N
// corrupted_in=N ("seen" counts the packets that matched the filter, the ones
// subject to loss).

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bpf/skel.hpp"
#include "bpf/xdp_link.hpp"
#include "loss.skel.h"
#include "util/result.hpp"

using namespace xdpgen;

namespace {

struct Options {
    std::string ifname;
    uint32_t permille = 0;
    bool ingress = false;
    bool egress = false;
    bool tcp_only = false;
    uint16_t port = 0;
    uint32_t corrupt_permille = 0;
    bool verbose = false;
};

void print_error(const Error& e)
{
    std::fprintf(stderr, "xg_loss: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
}

// A BPF program on the clsact egress hook of an interface, removed again by
// detach() or the destructor. The clsact qdisc is removed with it only if
// this object created it: another tool's filters may hang on an existing one.
class TcEgress {
public:
    TcEgress() = default;
    TcEgress(const TcEgress&) = delete;
    TcEgress& operator=(const TcEgress&) = delete;
    ~TcEgress()
    {
        if (auto st = detach(); !st)
            print_error(st.error());
    }

    Status attach(int prog_fd, int ifindex, const std::string& ifname)
    {
        ifname_ = ifname;
        hook_ = {};
        hook_.sz = sizeof(hook_);
        hook_.ifindex = ifindex;
        hook_.attach_point = BPF_TC_EGRESS;
        int r = bpf_tc_hook_create(&hook_);
        if (r && r != -EEXIST)
            return sys_error(fmt::format("cannot add a clsact qdisc to {}", ifname), r,
                             fmt::format("see 'tc qdisc show dev {}'", ifname));
        created_hook_ = r == 0;

        // Handle and priority 0: the kernel picks free ones, and libbpf
        // reports them back for the detach.
        opts_ = {};
        opts_.sz = sizeof(opts_);
        opts_.prog_fd = prog_fd;
        r = bpf_tc_attach(&hook_, &opts_);
        if (r) {
            Error e = sys_error(fmt::format("cannot attach the tc egress program to {}", ifname), r);
            if (auto d = destroy_hook(); !d)
                print_error(d.error());
            return e;
        }
        attached_ = true;
        return {};
    }

    Status detach()
    {
        Status st;
        if (attached_) {
            // bpf_tc_detach wants the filter named by handle and priority only.
            bpf_tc_opts del{};
            del.sz = sizeof(del);
            del.handle = opts_.handle;
            del.priority = opts_.priority;
            attached_ = false;
            if (int r = bpf_tc_detach(&hook_, &del))
                st = sys_error(fmt::format("cannot remove the tc egress filter (handle {:#x}, priority {}) from {}",
                                           opts_.handle, opts_.priority, ifname_),
                               r, fmt::format("remove it with 'tc filter del dev {} egress'", ifname_));
        }
        if (auto d = destroy_hook(); !d && st)
            st = d;
        return st;
    }

private:
    Status destroy_hook()
    {
        if (!created_hook_)
            return {};
        created_hook_ = false;
        // Both attach points at once is how libbpf is told to delete the qdisc itself.
        bpf_tc_hook all = hook_;
        all.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
        if (int r = bpf_tc_hook_destroy(&all))
            return sys_error(fmt::format("cannot remove the clsact qdisc from {}", ifname_), r,
                             fmt::format("remove it with 'tc qdisc del dev {} clsact'", ifname_));
        return {};
    }

    bpf_tc_hook hook_{};
    bpf_tc_opts opts_{};
    std::string ifname_;
    bool created_hook_ = false;
    bool attached_ = false;
};

int run(const Options& o)
{
    bpf_set_verbose(o.verbose);
    const unsigned ifindex = if_nametoindex(o.ifname.c_str());
    if (!ifindex) {
        print_error(sys_error(fmt::format("no interface {}", o.ifname), errno, "see 'ip link show'"));
        return 2;
    }

    auto skel = skel_open<xg_loss>("cannot open the loss programs");
    if (!skel) {
        print_error(skel.error());
        return 2;
    }
    auto& r = *skel.value()->rodata;
    r.permille = o.permille;
    r.tcp_only = o.tcp_only;
    r.port = o.port;
    r.corrupt_permille = o.corrupt_permille;
    // A direction not asked for is not loaded, so a failure cannot come from it.
    if (!o.ingress)
        bpf_program__set_autoload(skel.value()->progs.xg_loss_in, false);
    if (!o.egress)
        bpf_program__set_autoload(skel.value()->progs.xg_loss_out, false);
    if (auto st = skel_load(skel.value(), "cannot load the loss programs"); !st) {
        print_error(st.error());
        return 2;
    }

    // Blocked before anything is attached, and taken with sigwait: a signal
    // that comes early is not lost, and none can interrupt the detach.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (int e = pthread_sigmask(SIG_BLOCK, &stop, nullptr)) {
        print_error(sys_error("cannot block SIGINT and SIGTERM", e));
        return 2;
    }

    XdpLink xdp;
    if (o.ingress) {
        auto l = xdp_attach(bpf_program__fd(skel.value()->progs.xg_loss_in), static_cast<int>(ifindex), o.ifname,
                            XdpMode::Native);
        if (!l) {
            print_error(l.error());
            return 2;
        }
        xdp = std::move(l.value());
    }
    TcEgress tc;
    if (o.egress) {
        if (auto st = tc.attach(bpf_program__fd(skel.value()->progs.xg_loss_out), static_cast<int>(ifindex), o.ifname);
            !st) {
            print_error(st.error());
            return 2;
        }
    }

    std::printf("ready\n");
    std::fflush(stdout);
    int sig = 0;
    if (int e = sigwait(&stop, &sig)) {
        print_error(sys_error("cannot wait for a signal", e));
        return 2;
    }

    xdp.detach();
    int rc = 0;
    if (auto st = tc.detach(); !st) {
        print_error(st.error());
        rc = 1;
    }
    const auto& c = *skel.value()->bss;
    std::printf("seen_in=%llu dropped_in=%llu seen_out=%llu dropped_out=%llu corrupted_in=%llu\n",
                (unsigned long long)c.seen_in, (unsigned long long)c.dropped_in, (unsigned long long)c.seen_out,
                (unsigned long long)c.dropped_out, (unsigned long long)c.corrupted_in);
    std::fflush(stdout);
    return rc;
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    CLI::App app{"Drop packets at random on an interface: XDP on ingress, tc clsact on egress", "xg_loss"};
    app.add_option("IFNAME", o.ifname, "Interface")->required();
    app.add_option("PERMILLE", o.permille, "Drop probability in 1/1000 (0..1000)")->required()->check(CLI::Range(0, 1000));
    app.add_flag("--ingress", o.ingress, "Drop received packets (XDP); without --ingress and --egress: both");
    app.add_flag("--egress", o.egress, "Drop sent packets (tc clsact)");
    app.add_flag("--tcp-only", o.tcp_only, "Drop only TCP: ARP, neighbour discovery and UDP pass");
    app.add_option("--port", o.port, "Drop only TCP/UDP packets with this source or destination port")
        ->check(CLI::Range(1, 65535));
    app.add_option("--corrupt", o.corrupt_permille,
                   "Invert the first payload byte of this many received TCP segments in 1000, checksum unchanged "
                   "(needs --ingress)")
        ->check(CLI::Range(0, 1000));
    app.add_flag("-v,--verbose", o.verbose, "Show libbpf's log (the verifier's on a load failure)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) ? 2 : 0;
    }
    if (!o.ingress && !o.egress)
        o.ingress = o.egress = true;
    return run(o);
}
