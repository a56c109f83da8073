// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Test helper for local_net.sh: local mode's network set-up on its own.
//   local_net_check check   runs local_mode_check(): prints "ok", or the
//                           error and its hint (exit 1)
//   local_net_check hold [QUEUES [V4_RANGE [V6_RANGE]]]
//                           prints "host_address A=yes|no ..." (is_host_address
//                           of 127.0.0.5, ::1, 198.51.100.7 and 192.0.2.1),
//                           creates a LocalNet, prints
//                           "ready GEN_IF HOST_IF HOST_V4 HOST_V6 GEN_V4_FIRST",
//                           its describe() and "wire ::1=A 127.0.0.1=B",
//                           then waits for SIGTERM or SIGINT, deletes it, exit 0;
//                           on failure the error, its hint, and "restored yes"
//                           when the thread is back in its own namespaces

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "sys/local_net.hpp"

using namespace xdpgen;

namespace {

int fail(const Error& e)
{
    std::printf("error: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::printf("hint: %s\n", e.hint.c_str());
    return 1;
}

// The inodes of the calling thread's network and mount namespaces.
std::string ns_ids()
{
    std::string ids;
    for (const char* t : {"net", "mnt"}) {
        struct stat st{};
        if (stat((std::string("/proc/thread-self/ns/") + t).c_str(), &st) == 0)
            ids += std::to_string(st.st_ino) + " ";
    }
    return ids;
}

int check()
{
    auto s = local::local_mode_check();
    if (!s)
        return fail(s.error());
    std::printf("ok\n");
    return 0;
}

int hold(int argc, char** argv)
{
    // Blocked before anything: the signal waits for sigwait, even one sent
    // while the pair is being built.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);

    local::LocalNetConfig cfg;
    if (argc > 2)
        cfg.queues = static_cast<uint32_t>(std::stoul(argv[2]));
    if (argc > 3 && argv[3][0])
        cfg.v4_range = argv[3];
    if (argc > 4 && argv[4][0])
        cfg.v6_range = argv[4];
    std::printf("host_address");
    for (const char* a : {"127.0.0.5", "::1", "198.51.100.7", "192.0.2.1"})
        std::printf(" %s=%s", a, local::is_host_address(*parse_ip(a)) ? "yes" : "no");
    std::printf("\n");
    const std::string before = ns_ids();
    auto net = local::LocalNet::create(cfg);
    if (!net) {
        fail(net.error());
        std::printf("restored %s\n", ns_ids() == before ? "yes" : "no");
        return 1;
    }
    const auto& n = **net;
    std::printf("ready %s %s %s %s %s\n", n.gen_ifname().c_str(), n.host_ifname().c_str(), n.host_v4().str().c_str(),
                n.has_v6() ? n.host_v6().str().c_str() : "-", n.gen_v4_first().str().c_str());
    std::printf("%s\n", n.describe().c_str());
    std::printf("wire ::1=%s 127.0.0.1=%s\n", local::wire_target(n, *parse_ip("::1")).str().c_str(),
                local::wire_target(n, *parse_ip("127.0.0.1")).str().c_str());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    net->reset();
    std::printf("deleted after signal %d\n", sig);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "check")
        return check();
    if (mode == "hold")
        return hold(argc, argv);
    std::fprintf(stderr, "usage: local_net_check check | hold [QUEUES [V4_RANGE [V6_RANGE]]]\n");
    return 2;
}
