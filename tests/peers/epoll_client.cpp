// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_epoll_client: the best connection-rate client the kernel stack offers,
// the baseline xdpgen's client is measured against. Each thread runs its own
// edge-triggered epoll loop and keeps its share of --concurrency connections
// in flight: non-blocking connect, send the request, read until the server
// closes (HTTP "Connection: close"), close, start the next one.
//
//   xg_epoll_client --connect ADDR:PORT --request TEXT --concurrency C
//                   (--duration S | --connections N) [--threads T] [--cpus LIST]
//                   [--timeout S]
//
// TEXT knows the escapes \r \n \t \\ and \xHH. Prints one JSON line:
//   {"connections":N,"failed":N,"duration_s":..,"cps":..,
//    "connect_us":{"p50":..,"p90":..,"p99":..,"p999":..,"max":..},"total_us":{...},
//    "bytes_in":N,"failures":{"refused":N,"reset":N,"timeout":N,"other":N}}
// "connections" counts the connections that completed (EOF after the
// request), "failed" those refused, reset, or not finished within --timeout
// (5 s; a test with heavy loss gives TCP's backoff more).
// Latencies run from the connection's socket() to writable (connect) and to
// EOF (total); percentiles are the upper edges of log-linear buckets (at most
// 12.5% high, as everywhere in xdpgen), max is exact. Connections still in
// flight when --duration ends are neither completed nor failed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernel_peer.hpp"
#include "net/addr.hpp"
#include "program/quick.hpp"
#include "stats/latency.hpp"
#include "sys/cpus.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

using namespace xdpgen;

namespace {

// How often slots are checked for timeouts and for a retry after a connect()
// that failed at once (no ports left, no route): a retry rate, not a spin.
constexpr uint64_t kScanNs = 100'000'000;
constexpr uint64_t kUnlimited = UINT64_MAX;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

using peer::now_ns;

void print_error(const Error& e)
{
    std::fprintf(stderr, "xg_epoll_client: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
}

struct Options {
    Endpoint target;
    std::string request;
    unsigned concurrency = 1;
    double duration = 0;  // 0 = no limit (then --connections bounds the run)
    unsigned threads = 1;
    std::vector<int> cpus;
    uint64_t connections = 0;  // 0 = no limit
    double timeout = 5;
};

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

struct Failures {
    uint64_t refused = 0, reset = 0, timeout = 0, other = 0;
    uint64_t total() const { return refused + reset + timeout + other; }
};

struct Latency {
    LatencyHistogram hist;
    uint64_t max_ns = 0;
    void add(uint64_t ns)
    {
        hist.add(ns);
        max_ns = std::max(max_ns, ns);
    }
    void merge(const Latency& o)
    {
        hist.merge(o.hist);
        max_ns = std::max(max_ns, o.max_ns);
    }
};

struct WorkerResult {
    uint64_t completed = 0, bytes_in = 0;
    Failures failed;
    Latency connect, total;
    std::optional<Error> error;     // set-up failed: nothing was measured
    std::optional<Error> last_err;  // the last "other" failure, for the user
};

class Worker {
public:
    Worker(const Options& o, const sockaddr_storage& addr, socklen_t addr_len, unsigned concurrency, uint64_t quota,
           uint64_t end_ns)
        : o_(o), addr_(addr), addr_len_(addr_len), slots_(concurrency), quota_(quota), end_ns_(end_ns)
    {
    }

    void run(std::optional<int> cpu);
    WorkerResult& result() { return r_; }

private:
    struct Slot {
        Fd fd;
        uint64_t start_ns = 0;
        size_t sent = 0;
        bool connected = false;
    };

    Status loop();
    void start(size_t i, uint64_t now);
    void on_event(size_t i, uint32_t ev);
    void fail(size_t i, int err, bool timeout = false);
    void complete(size_t i);

    const Options& o_;
    sockaddr_storage addr_;
    socklen_t addr_len_;
    std::vector<Slot> slots_;
    uint64_t quota_;
    uint64_t end_ns_;
    uint64_t timeout_ns_ = static_cast<uint64_t>(o_.timeout * 1e9);
    uint64_t launched_ = 0;
    uint64_t in_flight_ = 0;
    Fd epoll_;
    std::vector<uint8_t> buf_ = std::vector<uint8_t>(64u << 10);
    WorkerResult r_;
};

void Worker::run(std::optional<int> cpu)
{
    if (cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(*cpu, &set);
        if (int e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
            r_.error = sys_error(fmt::format("cannot pin a thread to CPU {}", *cpu), e, "see --cpus and 'nproc'");
            return;
        }
    }
    if (auto st = loop(); !st)
        r_.error = st.error();
}

Status Worker::loop()
{
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid())
        return sys_error("cannot create an epoll instance");
    uint64_t now = now_ns();
    for (size_t i = 0; i < slots_.size(); i++)
        start(i, now);
    uint64_t next_scan = now + kScanNs;
    std::vector<epoll_event> events(1024);
    for (;;) {
        now = now_ns();
        if (now >= end_ns_ || g_stop.load(std::memory_order_relaxed))
            break;
        if (launched_ >= quota_ && in_flight_ == 0)
            break;
        if (now >= next_scan) {
            for (size_t i = 0; i < slots_.size(); i++) {
                if (!slots_[i].fd.valid())
                    start(i, now);
                else if (now - slots_[i].start_ns >= timeout_ns_)
                    fail(i, ETIMEDOUT, true);
            }
            next_scan = now + kScanNs;
        }
        const uint64_t wake = std::min(next_scan, end_ns_);
        const int timeout_ms = wake > now ? static_cast<int>((wake - now + 999'999) / 1'000'000) : 0;
        const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_error("epoll_wait failed");
        }
        // Each socket appears at most once per batch, so a slot closed and
        // restarted by its own event cannot be confused with a later event.
        for (int e = 0; e < n; e++)
            on_event(static_cast<size_t>(events[e].data.u64), events[e].events);
    }
    // Connections still in flight are left unfinished, not counted.
    for (auto& s : slots_)
        s.fd.reset();
    return {};
}

void Worker::start(size_t i, uint64_t now)
{
    Slot& s = slots_[i];
    if (launched_ >= quota_ || now >= end_ns_ || g_stop.load(std::memory_order_relaxed))
        return;
    launched_++;
    s = Slot{};
    s.start_ns = now;
    s.fd = Fd(socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.fd.valid()) {
        // No descriptors left: a failure of this attempt, retried at the next scan.
        r_.failed.other++;
        r_.last_err = sys_error("cannot create a socket");
        return;
    }
    if (connect(s.fd.get(), reinterpret_cast<const sockaddr*>(&addr_), addr_len_) && errno != EINPROGRESS) {
        const int err = errno;
        s.fd.reset();
        if (err == ECONNREFUSED)
            r_.failed.refused++;
        else {
            r_.failed.other++;
            r_.last_err = sys_error("connect failed", err,
                                    err == EADDRNOTAVAIL ? "no local port left: lower --concurrency" : "");
        }
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = i;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s.fd.get(), &ev)) {
        r_.failed.other++;
        r_.last_err = sys_error("cannot add a socket to epoll");
        s.fd.reset();
        return;
    }
    in_flight_++;
}

void Worker::on_event(size_t i, uint32_t ev)
{
    Slot& s = slots_[i];
    if (!s.fd.valid())
        return;
    const int fd = s.fd.get();
    if (!s.connected) {
        if (ev & (EPOLLERR | EPOLLHUP)) {
            int err = 0;
            socklen_t len = sizeof(err);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
                err = errno;
            return fail(i, err ? err : ECONNRESET);
        }
        if (!(ev & EPOLLOUT))
            return;
        s.connected = true;
        r_.connect.add(now_ns() - s.start_ns);
    }
    if (s.sent < o_.request.size()) {
        while (s.sent < o_.request.size()) {
            const ssize_t n = ::send(fd, o_.request.data() + s.sent, o_.request.size() - s.sent, MSG_NOSIGNAL);
            if (n > 0)
                s.sent += static_cast<size_t>(n);
            else if (n < 0 && errno == EINTR)
                continue;
            else if (n < 0 && errno == EAGAIN)
                return;  // the next EPOLLOUT edge carries on
            else
                return fail(i, n < 0 ? errno : EPIPE);
        }
        // The event's mask was taken before the request went out: without
        // EPOLLIN in it, the answer comes with a later edge.
        if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            return;
    }
    for (;;) {
        const ssize_t n = ::read(fd, buf_.data(), buf_.size());
        if (n > 0) {
            r_.bytes_in += static_cast<uint64_t>(n);
        } else if (n == 0) {
            return complete(i);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            return;
        } else {
            return fail(i, errno);
        }
    }
}

void Worker::complete(size_t i)
{
    const uint64_t now = now_ns();
    r_.total.add(now - slots_[i].start_ns);
    r_.completed++;
    slots_[i].fd.reset();
    in_flight_--;
    start(i, now);
}

void Worker::fail(size_t i, int err, bool timeout)
{
    if (timeout || err == ETIMEDOUT)
        r_.failed.timeout++;
    else if (err == ECONNREFUSED)
        r_.failed.refused++;
    else if (err == ECONNRESET || err == EPIPE)
        r_.failed.reset++;
    else {
        r_.failed.other++;
        r_.last_err = sys_error("a connection failed", err);
    }
    slots_[i].fd.reset();
    in_flight_--;
    start(i, now_ns());
}

nlohmann::ordered_json latency_json(const Latency& l)
{
    auto us = [](uint64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10.0; };
    // A bucket's upper edge can lie above every sample in it.
    auto q = [&](double p) { return us(std::min(l.hist.quantile(p), l.max_ns)); };
    nlohmann::ordered_json j;
    j["p50"] = q(0.5);
    j["p90"] = q(0.9);
    j["p99"] = q(0.99);
    j["p999"] = q(0.999);
    j["max"] = us(l.max_ns);
    return j;
}

int run(const Options& o)
{
    sockaddr_storage ss{};
    socklen_t len;
    if (o.target.addr.v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(o.target.port);
        std::memcpy(&s6->sin6_addr, o.target.addr.b.data(), 16);
        len = sizeof(*s6);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(o.target.port);
        s4->sin_addr.s_addr = o.target.addr.v4_be();
        len = sizeof(*s4);
    }

    if (auto st = raise_fd_limit(); !st)
        std::fprintf(stderr, "xg_epoll_client: warning: %s\n", st.error().message().c_str());
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, nullptr) || sigaction(SIGTERM, &sa, nullptr)) {
        print_error(sys_error("cannot install the SIGINT/SIGTERM handler"));
        return 2;
    }

    // More threads than connections would leave some with nothing to do.
    const unsigned threads = std::min(o.threads, o.concurrency);
    const uint64_t start = now_ns();
    const uint64_t end = o.duration > 0 ? start + static_cast<uint64_t>(o.duration * 1e9) : UINT64_MAX;
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned t = 0; t < threads; t++) {
        const unsigned conc = o.concurrency / threads + (t < o.concurrency % threads ? 1 : 0);
        uint64_t quota = kUnlimited;
        if (o.connections)
            quota = o.connections / threads + (t < o.connections % threads ? 1 : 0);
        workers.push_back(std::make_unique<Worker>(o, ss, len, conc, quota, end));
    }
    std::vector<std::thread> running;
    for (unsigned t = 0; t < threads; t++) {
        std::optional<int> cpu;
        if (!o.cpus.empty())
            cpu = o.cpus[t % o.cpus.size()];
        running.emplace_back([w = workers[t].get(), cpu] { w->run(cpu); });
    }
    for (auto& th : running)
        th.join();
    const double elapsed = static_cast<double>(now_ns() - start) / 1e9;

    WorkerResult sum;
    for (auto& w : workers) {
        const WorkerResult& r = w->result();
        if (r.error) {
            print_error(*r.error);
            return 2;
        }
        sum.completed += r.completed;
        sum.bytes_in += r.bytes_in;
        sum.failed.refused += r.failed.refused;
        sum.failed.reset += r.failed.reset;
        sum.failed.timeout += r.failed.timeout;
        sum.failed.other += r.failed.other;
        sum.connect.merge(r.connect);
        sum.total.merge(r.total);
        if (r.last_err)
            sum.last_err = r.last_err;
    }
    if (sum.last_err)
        std::fprintf(stderr, "xg_epoll_client: %llu connection(s) failed for other reasons, the last one: %s%s%s\n",
                     (unsigned long long)sum.failed.other, sum.last_err->message().c_str(),
                     sum.last_err->hint.empty() ? "" : "; ", sum.last_err->hint.c_str());

    nlohmann::ordered_json j;
    j["connections"] = sum.completed;
    j["failed"] = sum.failed.total();
    j["duration_s"] = std::round(elapsed * 1000.0) / 1000.0;
    j["cps"] = static_cast<uint64_t>(elapsed > 0 ? std::llround(static_cast<double>(sum.completed) / elapsed) : 0);
    j["connect_us"] = latency_json(sum.connect);
    j["total_us"] = latency_json(sum.total);
    j["bytes_in"] = sum.bytes_in;
    j["failures"] = {{"refused", sum.failed.refused},
                     {"reset", sum.failed.reset},
                     {"timeout", sum.failed.timeout},
                     {"other", sum.failed.other}};
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    std::string target, request, cpus;
    CLI::App app{"Open TCP connections as fast as the kernel allows: connect, send a request, read until EOF",
                 "xg_epoll_client"};
    app.add_option("--connect", target, "ADDR:PORT or [V6ADDR]:PORT of the server")->required();
    app.add_option("--request", request, "Bytes sent on each connection; escapes \\r \\n \\t \\\\ \\xHH")->required();
    app.add_option("-c,--concurrency", o.concurrency, "Connections kept in flight over all threads")
        ->required()
        ->check(CLI::Range(1u, 1'000'000u));
    app.add_option("-d,--duration", o.duration, "Seconds to run (0 = until --connections are done)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("-t,--threads", o.threads, "Threads, each with its own epoll loop")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1024u));
    app.add_option("--cpus", cpus, "CPUs to pin the threads to, in turn: 0,2-3");
    app.add_option("-n,--connections", o.connections, "Connections to make in all (0 = until --duration ends)");
    app.add_option("--timeout", o.timeout, "Seconds after which an unfinished connection counts as failed")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3600.0));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) ? 2 : 0;
    }

    auto ep = parse_endpoint(target);
    if (!ep) {
        print_error(make_error(fmt::format("not an address and port: '{}'", target), 0,
                               "write 198.18.0.2:80 or [fd00:18::2]:80"));
        return 2;
    }
    o.target = *ep;
    auto req = program::decode_escapes(request);
    if (!req) {
        print_error(req.error().context("--request"));
        return 2;
    }
    o.request = std::move(*req);
    if (!cpus.empty()) {
        auto c = parse_cpu_list(cpus);
        if (!c) {
            print_error(make_error(fmt::format("--cpus: cannot read '{}'", cpus), 0, "write e.g. 0,2-3"));
            return 2;
        }
        o.cpus = std::move(*c);
    }
    if (o.duration <= 0 && o.connections == 0) {
        print_error(make_error("the run needs a bound", 0, "give --duration or --connections"));
        return 2;
    }
    return run(o);
}
