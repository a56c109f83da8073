// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_close_server: the kernel's fastest "read a request, close" server, the
// kernel side of the 7-packet exchange that tools/bench-cps measures
// `xdpgen server --recv N --close` against: per connection it reads --read
// bytes and closes (its FIN goes first; the kernel finishes the close and
// keeps TIME-WAIT). Nothing is written. Each thread has its own listening
// socket (SO_REUSEPORT: the kernel spreads the connections over them) and
// its own epoll loop, so the threads share nothing.
//
//   xg_close_server --listen ADDR:PORT --read N [--threads T] [--cpus LIST]
//                   [--duration S]
//
// Prints "ready" once every thread listens; on SIGINT/SIGTERM or after
// --duration one JSON line:
//   {"accepted":N,"completed":N,"short":N,"errors":N,"open":N,"duration_s":..}
// "completed" connections had their N bytes read and were closed; "short"
// ones sent their FIN before N bytes; "errors" ended in a socket error (RST);
// "open" were still waiting for bytes at the end. A client that sends more
// than N bytes before the close makes the kernel answer with a RST.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernel_peer.hpp"
#include "net/addr.hpp"
#include "sys/cpus.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

using namespace xdpgen;

namespace {

constexpr int kAcceptBatch = 64;
constexpr int kWaitMs = 50;  // how soon a stop request or the end of --duration is seen

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

using peer::now_ns;

void print_error(const Error& e)
{
    std::fprintf(stderr, "xg_close_server: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
}

Status raise_fd_limit()
{
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return sys_error("cannot read RLIMIT_NOFILE");
    if (rl.rlim_cur == rl.rlim_max)
        return {};
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        return sys_error("cannot raise RLIMIT_NOFILE");
    return {};
}

struct Options {
    Endpoint listen;
    uint32_t read = 0;
    unsigned threads = 1;
    std::vector<int> cpus;
    double duration = 0;  // 0 = until a signal
};

struct Counts {
    uint64_t accepted = 0, completed = 0, short_ = 0, errors = 0, open = 0;
};

class Loop {
public:
    explicit Loop(const Options& o) : o_(o) {}

    Status setup();
    void run(uint64_t end_ns);
    const Counts& counts() const { return c_; }

private:
    void accept_some();
    // Reads what the connection has; closes it once --read bytes came.
    void progress(int fd);
    void close_conn(int fd)
    {
        got_[static_cast<size_t>(fd)] = 0;
        ::close(fd);  // also takes it out of the epoll set
        c_.open--;
    }

    const Options& o_;
    Fd listen_, epoll_;
    std::vector<uint32_t> got_;  // bytes read, by descriptor
    char buf_[4096];
    Counts c_;
};

Status Loop::setup()
{
    auto l = peer::listen_tcp(o_.listen, 65535, true);
    if (!l)
        return l.error();
    listen_ = std::move(l.value());
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid())
        return sys_error("cannot create an epoll instance");
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: a bounded accept batch comes back on the next wait
    ev.data.fd = -1;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev))
        return sys_error("cannot add the listening socket to epoll");
    return {};
}

void Loop::run(uint64_t end_ns)
{
    std::vector<epoll_event> events(1024);
    while (!g_stop.load(std::memory_order_relaxed) && now_ns() < end_ns) {
        const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), kWaitMs);
        for (int i = 0; i < n; i++) {
            if (events[i].data.fd < 0)
                accept_some();
            else
                progress(events[i].data.fd);
        }
    }
}

void Loop::accept_some()
{
    for (int i = 0; i < kAcceptBatch; i++) {
        const int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;  // EAGAIN, or EMFILE and the like: the listener is level-triggered, it comes back
        c_.accepted++;
        c_.open++;
        if (static_cast<size_t>(fd) >= got_.size())
            got_.resize(std::max<size_t>(static_cast<size_t>(fd) + 1, got_.size() * 2), 0);
        got_[static_cast<size_t>(fd)] = 0;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev)) {
            c_.errors++;
            close_conn(fd);
            continue;
        }
        progress(fd);  // the request often came with the handshake's last ACK
    }
}

void Loop::progress(int fd)
{
    uint32_t& got = got_[static_cast<size_t>(fd)];
    for (;;) {
        const size_t want = std::min<size_t>(sizeof(buf_), o_.read - got);
        const ssize_t n = want ? ::read(fd, buf_, want) : 0;
        if (want == 0 || n > 0) {
            got += static_cast<uint32_t>(std::max<ssize_t>(n, 0));
            if (got >= o_.read) {
                c_.completed++;
                return close_conn(fd);
            }
        } else if (n == 0) {
            c_.short_++;
            return close_conn(fd);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            return;
        } else {
            c_.errors++;
            return close_conn(fd);
        }
    }
}

int run(const Options& o)
{
    std::vector<std::unique_ptr<Loop>> loops;
    for (unsigned t = 0; t < o.threads; t++) {
        loops.push_back(std::make_unique<Loop>(o));
        if (auto st = loops.back()->setup(); !st) {
            print_error(st.error());
            return 2;
        }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    const uint64_t start = now_ns();
    const uint64_t end = o.duration > 0 ? start + static_cast<uint64_t>(o.duration * 1e9) : UINT64_MAX;
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < o.threads; t++)
        threads.emplace_back([&, t] {
            if (!o.cpus.empty())
                pin_this_thread(o.cpus[t % o.cpus.size()]);
            loops[t]->run(end);
        });
    for (auto& th : threads)
        th.join();
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    Counts sum;
    for (const auto& l : loops) {
        sum.accepted += l->counts().accepted;
        sum.completed += l->counts().completed;
        sum.short_ += l->counts().short_;
        sum.errors += l->counts().errors;
        sum.open += l->counts().open;
    }
    nlohmann::ordered_json j;
    j["accepted"] = sum.accepted;
    j["completed"] = sum.completed;
    j["short"] = sum.short_;
    j["errors"] = sum.errors;
    j["open"] = sum.open;
    j["duration_s"] = std::round(elapsed * 1000.0) / 1000.0;
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    std::string listen, cpus;
    CLI::App app{"Read N bytes from each TCP connection, then close it (a kernel peer for the benchmark)",
                 "xg_close_server"};
    app.add_option("--listen", listen, "ADDR:PORT or [V6ADDR]:PORT to listen on")->required();
    app.add_option("--read", o.read, "Bytes to read from each connection before closing it")
        ->required()
        ->check(CLI::Range(0u, 1u << 30));
    app.add_option("-t,--threads", o.threads, "Threads, each with its own listening socket and epoll loop")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1024u));
    app.add_option("--cpus", cpus, "CPUs to pin the threads to, in turn: 0,2-3");
    app.add_option("--duration", o.duration, "Stop after this many seconds (0 = until SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) ? 2 : 0;
    }
    auto ep = parse_endpoint(listen);
    if (!ep) {
        print_error(make_error(fmt::format("not an address and port: '{}'", listen), 0,
                               "write 198.18.0.2:7000 or [fd00:18::2]:7000"));
        return 2;
    }
    o.listen = *ep;
    if (!cpus.empty()) {
        auto c = parse_cpu_list(cpus);
        if (!c) {
            print_error(make_error(fmt::format("--cpus: cannot read '{}'", cpus), 0, "write e.g. 0,2-3"));
            return 2;
        }
        o.cpus = std::move(*c);
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    if (auto st = raise_fd_limit(); !st)
        std::fprintf(stderr, "xg_close_server: warning: %s\n", st.error().message().c_str());
    return run(o);
}
