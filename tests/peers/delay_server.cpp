// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_delay_server: an HTTP/1.1 server over the kernel's TCP that answers each
// request a fixed delay after it arrived, to within about 0.1 ms (epoll_pwait2
// with a nanosecond timeout, timer slack 1 ns): the known latency that the
// latency tests hold xdpgen and wrk against.
//
//   xg_delay_server --listen ADDR:PORT --delay-ms D [--duration S]
//
// Keep-alive unless a request says "Connection: close" (then it closes after
// the answer). The answer is a 5-byte body. Prints "ready" once listening; at
// the end (SIGINT/SIGTERM, --duration) one JSON line {"answered":N,...}.
// One thread: the delay is constant, so answers fall due in the order their
// requests came, and a FIFO holds them.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "kernel_peer.hpp"

using namespace xdpgen;

namespace {

constexpr char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
constexpr char kAnswerClose[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
constexpr uint64_t kStopCheckNs = 50'000'000;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

using peer::now_ns;

struct Due {
    uint64_t at;
    int fd;
    uint64_t gen;  // the connection's generation: a closed and reused fd is not answered
    bool close;
};

struct Conn {
    std::string in;  // bytes of a request not yet complete
    uint64_t gen = 0;
};

class Server {
public:
    Server(const Endpoint& ep, uint64_t delay_ns) : ep_(ep), delay_(delay_ns) {}
    Status setup();
    void run(uint64_t end_ns);
    std::string report() const
    {
        return fmt::format(R"({{"accepted":{},"answered":{},"errors":{}}})", accepted_, answered_, errors_);
    }

private:
    void accept_some(uint64_t now);
    void read_requests(int fd, uint64_t now);
    void answer_due(uint64_t now);
    void close_conn(int fd)
    {
        conns_.erase(fd);
        ::close(fd);
    }

    Endpoint ep_;
    uint64_t delay_;
    Fd listen_, epoll_;
    std::unordered_map<int, Conn> conns_;
    std::deque<Due> due_;
    uint64_t next_gen_ = 1, accepted_ = 0, answered_ = 0, errors_ = 0;
};

Status Server::setup()
{
    auto l = peer::listen_tcp(ep_, 4096);
    if (!l)
        return l.error();
    listen_ = std::move(l.value());
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid())
        return sys_error("cannot create an epoll instance");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = -1;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev))
        return sys_error("cannot add the listening socket to epoll");
    // Wake-ups on time: the default 50 µs of timer slack would add to every answer.
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0))
        return sys_error("cannot set the timer slack");
    return {};
}

void Server::run(uint64_t end_ns)
{
    std::vector<epoll_event> events(256);
    for (;;) {
        uint64_t now = now_ns();
        if (g_stop.load(std::memory_order_relaxed) || now >= end_ns)
            return;
        answer_due(now);
        uint64_t wait = kStopCheckNs;
        if (!due_.empty())
            wait = due_.front().at > now ? std::min(wait, due_.front().at - now) : 0;
        const timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
        const int n = epoll_pwait2(epoll_.get(), events.data(), static_cast<int>(events.size()), &ts, nullptr);
        now = now_ns();
        for (int i = 0; i < n; i++) {
            if (events[i].data.fd < 0)
                accept_some(now);
            else
                read_requests(events[i].data.fd, now);
        }
    }
}

void Server::accept_some(uint64_t now)
{
    for (int i = 0; i < 64; i++) {
        const int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        accepted_++;
        conns_[fd] = Conn{{}, next_gen_++};
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev)) {
            errors_++;
            close_conn(fd);
            continue;
        }
        read_requests(fd, now);  // the request often came with the handshake's last ACK
    }
}

void Server::read_requests(int fd, uint64_t now)
{
    auto it = conns_.find(fd);
    if (it == conns_.end())
        return;
    Conn& c = it->second;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
            c.in.append(buf, static_cast<size_t>(n));
            size_t end;
            while ((end = c.in.find("\r\n\r\n")) != std::string::npos) {
                std::string head = c.in.substr(0, end);
                for (char& ch : head)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                due_.push_back({now + delay_, fd, c.gen, head.find("connection: close") != std::string::npos});
                c.in.erase(0, end + 4);
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        // The peer closed or failed: answers still due to it are dropped.
        if (n < 0)
            errors_++;
        return close_conn(fd);
    }
}

void Server::answer_due(uint64_t now)
{
    while (!due_.empty() && due_.front().at <= now) {
        const Due d = due_.front();
        due_.pop_front();
        auto it = conns_.find(d.fd);
        if (it == conns_.end() || it->second.gen != d.gen)
            continue;
        const char* a = d.close ? kAnswerClose : kAnswer;
        const size_t len = std::strlen(a);
        if (::send(d.fd, a, len, MSG_NOSIGNAL) != static_cast<ssize_t>(len)) {
            errors_++;  // a 100-byte answer into an empty socket buffer: not expected to be short
            close_conn(d.fd);
            continue;
        }
        answered_++;
        if (d.close)
            close_conn(d.fd);
    }
}

}  // namespace

int main(int argc, char** argv)
{
    std::string listen;
    double delay_ms = 0, duration = 0;
    CLI::App app{"xg_delay_server: answers each HTTP request a fixed delay after it arrived"};
    app.add_option("--listen", listen, "ADDR:PORT")->required();
    app.add_option("--delay-ms", delay_ms, "The delay, ms")->required()->check(CLI::Range(0.0, 60000.0));
    app.add_option("--duration", duration, "Seconds to run (0 = until SIGINT/SIGTERM)")->check(CLI::NonNegativeNumber);
    CLI11_PARSE(app, argc, argv);
    const auto ep = parse_endpoint(listen);
    if (!ep) {
        std::fprintf(stderr, "xg_delay_server: '%s' is not ADDR:PORT\n", listen.c_str());
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    Server s(*ep, static_cast<uint64_t>(delay_ms * 1e6));
    if (auto st = s.setup(); !st) {
        std::fprintf(stderr, "xg_delay_server: %s\n", st.error().message().c_str());
        return 2;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    s.run(duration > 0 ? now_ns() + static_cast<uint64_t>(duration * 1e9) : UINT64_MAX);
    std::printf("%s\n", s.report().c_str());
    return 0;
}
