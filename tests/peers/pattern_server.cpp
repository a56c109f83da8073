// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_pattern_server: the kernel's TCP stack as the peer of xdpgen's TCP
// client. Per connection it optionally reads the client's first N bytes and
// checks them against the stream pattern (include/xdpgen/pattern.h), writes
// N bytes of the pattern, and closes in one of two orders:
//   --close-first (default)  FIN first (shutdown), close once the client's FIN came
//   --wait-close             close only after the client's FIN
// One thread and one edge-triggered epoll loop serve thousands of connections.
//
//   xg_pattern_server --listen ADDR:PORT --bytes N [--read N]
//                     [--close-first|--wait-close] [--duration S]
//
// Prints "ready" once listening; on SIGINT/SIGTERM or after --duration one line
//   accepted=N completed=N verify_errors=N bytes_in=N bytes_out=N resets=N open=N
// and exits 0. "completed" connections went through every step and were
// closed after the client's FIN; "verify_errors" counts connections whose
// first --read bytes were wrong or cut short by the client's FIN; "resets"
// counts connections that ended in an error (RST); "open" those still open.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "kernel_peer.hpp"
#include "net/addr.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;

namespace {

struct Options {
    Endpoint listen;
    uint64_t bytes = 0;
    uint64_t read = 0;
    bool wait_close = false;
    double duration = 0;  // 0 = until a signal
};

// How long a connection that sent its FIN may wait for the client's: a client
// that never closes must not hold the server's accounting open forever.
constexpr uint64_t kDrainTimeoutNs = 10'000'000'000;
// The first bytes of the pattern, made once: most responses are served from here.
constexpr size_t kPrecomputed = 4u << 20;
constexpr size_t kChunk = 256u << 10;
constexpr int kAcceptBatch = 64;

using peer::now_ns;

void print_error(const Error& e)
{
    std::fprintf(stderr, "xg_pattern_server: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
}

// Thousands of connections need more descriptors than the usual soft limit.
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

enum class Phase : uint8_t {
    Reading,   // the client's first --read bytes
    Writing,   // --bytes of the pattern
    Draining,  // close-first: our FIN is out, reading (and discarding) until the client's
    AwaitFin,  // wait-close: everything written, reading until the client's FIN
};

struct Conn {
    Fd fd;
    Phase phase = Phase::Reading;
    uint64_t in = 0;   // bytes read: the offset in the client's stream
    uint64_t out = 0;  // bytes written: the offset in ours
    uint64_t drain_deadline_ns = 0;
    bool peer_fin = false;
    bool bad = false;  // counted in verify_errors
};

struct Stats {
    uint64_t accepted = 0, completed = 0, verify_errors = 0, bytes_in = 0, bytes_out = 0, resets = 0;
};

class Server {
public:
    explicit Server(const Options& o) : o_(o), rbuf_(64u << 10), wbuf_(kChunk)
    {
        pattern_.resize(std::min<uint64_t>(o.bytes, kPrecomputed));
        for (size_t i = 0; i < pattern_.size(); i++)
            pattern_[i] = xg_pattern_byte(i);
    }

    Status setup();
    Status run();
    void report() const;

private:
    // Epoll keys: the listener and the signalfd sit above every slot index.
    static constexpr uint64_t kListenKey = ~0ull;
    static constexpr uint64_t kSignalKey = ~0ull - 1;

    void accept_some();
    // Moves a connection on as far as the socket allows; the epoll is
    // edge-triggered, so every phase starts by trying its syscall.
    void progress(size_t slot);
    void finish(size_t slot, bool completed);
    void reset(size_t slot)
    {
        stats_.resets++;
        finish(slot, false);
    }
    void expire(uint64_t now);
    const uint8_t* pattern_at(uint64_t off, size_t len);
    size_t open_count() const { return conns_.size() - free_.size(); }

    Options o_;
    Fd listen_, epoll_, signal_;
    std::vector<std::unique_ptr<Conn>> conns_;  // by slot; null = free
    std::vector<size_t> free_;
    std::vector<uint8_t> pattern_, rbuf_, wbuf_;
    Stats stats_;
    bool accept_warned_ = false;
};

Status Server::setup()
{
    auto l = peer::listen_tcp(o_.listen, 65535);
    if (!l)
        return l.error();
    listen_ = std::move(l.value());

    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid())
        return sys_error("cannot create an epoll instance");
    epoll_event ev{};
    // Level-triggered: when accept() fails for want of descriptors, the
    // pending connections are offered again on the next wait.
    ev.events = EPOLLIN;
    ev.data.u64 = kListenKey;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev))
        return sys_error("cannot add the listening socket to epoll");

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (int e = pthread_sigmask(SIG_BLOCK, &stop, nullptr))
        return sys_error("cannot block SIGINT and SIGTERM", e);
    signal_ = Fd(signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_.valid())
        return sys_error("cannot create a signalfd");
    ev.events = EPOLLIN;
    ev.data.u64 = kSignalKey;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, signal_.get(), &ev))
        return sys_error("cannot add the signalfd to epoll");
    return {};
}

Status Server::run()
{
    const uint64_t start = now_ns();
    const uint64_t end = o_.duration > 0 ? start + static_cast<uint64_t>(o_.duration * 1e9) : UINT64_MAX;
    uint64_t next_expire = start + 500'000'000;
    std::vector<epoll_event> events(1024);
    for (;;) {
        uint64_t now = now_ns();
        if (now >= end)
            return {};
        if (now >= next_expire) {
            expire(now);
            next_expire = now + 500'000'000;
        }
        const uint64_t wake = std::min(end, next_expire);
        const int timeout_ms = static_cast<int>((wake - now + 999'999) / 1'000'000);
        const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_error("epoll_wait failed");
        }
        for (int i = 0; i < n; i++) {
            const uint64_t key = events[i].data.u64;
            if (key == kSignalKey)
                return {};
            if (key == kListenKey)
                accept_some();
            else if (key < conns_.size() && conns_[key])
                progress(key);
        }
    }
}

void Server::accept_some()
{
    // Bounded: a fast client reconnects as soon as it has its answer, so
    // accepting until EAGAIN could go on for ever while the FINs of the
    // answered connections wait, each holding a descriptor. The listener is
    // level-triggered and comes back in the next batch.
    for (int i = 0; i < kAcceptBatch; i++) {
        int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            if (!accept_warned_) {  // EMFILE and the like: say it once, keep serving the others
                std::fprintf(stderr, "xg_pattern_server: accept failed: %s\n", std::strerror(errno));
                accept_warned_ = true;
            }
            return;
        }
        stats_.accepted++;
        size_t slot;
        if (!free_.empty()) {
            slot = free_.back();
            free_.pop_back();
        } else {
            slot = conns_.size();
            conns_.emplace_back();
        }
        conns_[slot] = std::make_unique<Conn>();
        Conn& c = *conns_[slot];
        c.fd = Fd(fd);
        c.phase = o_.read ? Phase::Reading : Phase::Writing;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = slot;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev)) {
            std::fprintf(stderr, "xg_pattern_server: cannot add a connection to epoll: %s\n", std::strerror(errno));
            finish(slot, false);
            continue;
        }
        progress(slot);
    }
}

const uint8_t* Server::pattern_at(uint64_t off, size_t len)
{
    if (off + len <= pattern_.size())
        return pattern_.data() + off;
    for (size_t i = 0; i < len; i++)
        wbuf_[i] = xg_pattern_byte(off + i);
    return wbuf_.data();
}

void Server::progress(size_t slot)
{
    Conn& c = *conns_[slot];
    const int fd = c.fd.get();
    for (;;) {
        switch (c.phase) {
        case Phase::Reading:
            while (c.in < o_.read) {
                const size_t want = static_cast<size_t>(std::min<uint64_t>(rbuf_.size(), o_.read - c.in));
                const ssize_t n = ::read(fd, rbuf_.data(), want);
                if (n > 0) {
                    for (ssize_t i = 0; i < n && !c.bad; i++)
                        if (rbuf_[i] != xg_pattern_byte(c.in + i)) {
                            c.bad = true;
                            stats_.verify_errors++;
                        }
                    c.in += n;
                    stats_.bytes_in += n;
                } else if (n == 0) {
                    // The client finished before sending all we wait for: a
                    // short request is as wrong as a bad one. Answer anyway.
                    c.peer_fin = true;
                    if (!c.bad) {
                        c.bad = true;
                        stats_.verify_errors++;
                    }
                    break;
                } else if (errno == EINTR) {
                    continue;
                } else if (errno == EAGAIN) {
                    return;
                } else {
                    return reset(slot);
                }
            }
            c.phase = Phase::Writing;
            break;

        case Phase::Writing:
            while (c.out < o_.bytes) {
                const size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, o_.bytes - c.out));
                const ssize_t n = ::send(fd, pattern_at(c.out, len), len, MSG_NOSIGNAL);
                if (n > 0) {
                    c.out += n;
                    stats_.bytes_out += n;
                } else if (n < 0 && errno == EINTR) {
                    continue;
                } else if (n < 0 && errno == EAGAIN) {
                    return;
                } else {
                    return reset(slot);
                }
            }
            if (o_.wait_close) {
                c.phase = Phase::AwaitFin;
            } else {
                if (shutdown(fd, SHUT_WR))
                    return reset(slot);
                c.phase = Phase::Draining;
                c.drain_deadline_ns = now_ns() + kDrainTimeoutNs;
            }
            break;

        case Phase::Draining:
        case Phase::AwaitFin:
            // Whatever the client still sends is read, so the close below
            // finds an empty receive queue and sends no RST.
            while (!c.peer_fin) {
                const ssize_t n = ::read(fd, rbuf_.data(), rbuf_.size());
                if (n > 0) {
                    stats_.bytes_in += n;
                } else if (n == 0) {
                    c.peer_fin = true;
                } else if (errno == EINTR) {
                    continue;
                } else if (errno == EAGAIN) {
                    return;
                } else {
                    return reset(slot);
                }
            }
            return finish(slot, true);
        }
    }
}

void Server::finish(size_t slot, bool completed)
{
    if (completed)
        stats_.completed++;
    conns_[slot].reset();  // closing the socket also takes it out of the epoll set
    free_.push_back(slot);
}

void Server::expire(uint64_t now)
{
    for (size_t s = 0; s < conns_.size(); s++)
        if (conns_[s] && conns_[s]->phase == Phase::Draining && now >= conns_[s]->drain_deadline_ns)
            finish(s, false);
}

void Server::report() const
{
    std::printf("accepted=%llu completed=%llu verify_errors=%llu bytes_in=%llu bytes_out=%llu resets=%llu open=%zu\n",
                (unsigned long long)stats_.accepted, (unsigned long long)stats_.completed,
                (unsigned long long)stats_.verify_errors, (unsigned long long)stats_.bytes_in,
                (unsigned long long)stats_.bytes_out, (unsigned long long)stats_.resets, open_count());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    std::string listen;
    bool close_first = false;
    CLI::App app{"Serve the xdpgen stream pattern to every TCP connection (a kernel peer for tests)",
                 "xg_pattern_server"};
    app.add_option("--listen", listen, "ADDR:PORT or [V6ADDR]:PORT to listen on")->required();
    app.add_option("--bytes", o.bytes, "Bytes of the pattern to write to each connection")->required();
    app.add_option("--read", o.read, "First read this many bytes from the client and check them against the pattern");
    auto* cf = app.add_flag("--close-first", close_first, "Send our FIN first, close after the client's (default)");
    auto* wc = app.add_flag("--wait-close", o.wait_close, "Wait for the client's FIN, then close");
    cf->excludes(wc);
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
                               "write 198.18.0.2:8080 or [fd00:18::2]:8080"));
        return 2;
    }
    o.listen = *ep;

    if (auto st = raise_fd_limit(); !st)
        std::fprintf(stderr, "xg_pattern_server: warning: %s\n", st.error().message().c_str());
    Server server(o);
    if (auto st = server.setup(); !st) {
        print_error(st.error());
        return 2;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    if (auto st = server.run(); !st) {
        print_error(st.error());
        server.report();
        return 1;
    }
    server.report();
    return 0;
}
