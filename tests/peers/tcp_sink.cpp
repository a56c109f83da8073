// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_tcp_sink: the kernel's TCP stack as the receiver of `xdpgen tcp` (the
// bulk sender), and the receiving side of its benchmark against iperf3. It
// accepts connections, reads each to its end in 256 KiB reads (as iperf3
// does) and discards the data, after checking that byte `off` of every
// stream is the stream pattern's (include/xdpgen/pattern.h) or, with --file,
// the file's byte `off` (the stream is the file once, no repetition; bytes
// past its end are wrong). After the sender's FIN it closes its side. One
// thread, one level-triggered epoll loop.
//
//   xg_tcp_sink (--listen ADDR:PORT | --connect ADDR:PORT) [--conns N] [--duration S] [--no-verify]
//               [--file PATH] [--rcvbuf BYTES] [--per-conn] [--json PATH]
//
// ADDR:PORT is 198.18.0.2:5201 or [fd00::2]:5201; `--listen ADDR PORT` (two
// words, a bare IPv6 address allowed) means the same. It stops once --conns
// connections have ended (FIN or error), after --duration seconds, or on
// SIGINT/SIGTERM, whichever comes first; without --conns and --duration only
// a signal stops it. With --connect it opens one connection itself (a kernel
// client of `xdpgen server`), reads that stream to its end and stops.
//
// Prints "ready" once listening; at the end, with --per-conn, one line per
// connection in the order they were accepted
//   conn peer=ADDR:PORT bytes=N end=eof|reset|open first_bad=OFF|-
// then one summary line
//   conns=N eof=N resets=N open=N bytes=N verify_errors=N min_bytes=N max_bytes=N seconds=F
// "eof" connections ended with the sender's FIN, "resets" with a read error
// (an RST mostly), "open" were still open at the end; "verify_errors" counts
// connections with at least one wrong byte (first_bad is the stream offset of
// the first); min/max_bytes are over all connections (0 when there were
// none); "seconds" runs from the first accept to the end of the last
// connection, or to the exit if one was still open. --json PATH writes the
// same as one JSON object:
//   {"conns":N,"eof":N,"resets":N,"open":N,"bytes":N,"verify_errors":N,
//    "min_bytes":N,"max_bytes":N,"seconds":F,
//    "per_conn":[{"peer":"ADDR:PORT","bytes":N,"end":"eof","first_bad":null|N},..]}
//
// Exits 0 when it ran, whatever it counted (the caller judges), 2 on a usage
// or setup error, 1 if the run itself failed (epoll, writing the JSON).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernel_peer.hpp"
#include "net/addr.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;

namespace {

constexpr size_t kReadSize = 256u << 10;
constexpr int kAcceptBatch = 64;
constexpr uint64_t kNoBad = UINT64_MAX;
// The pattern adds the number of the 64 KiB block to the byte (pattern.h).
constexpr unsigned kBlockShift = 16;
constexpr size_t kBlockSize = size_t{1} << kBlockShift;

struct Options {
    Endpoint listen;
    bool connect = false;  // `listen` is the server to connect to
    uint64_t conns = 0;  // 0 = no limit
    double duration = 0;  // 0 = until a signal
    bool verify = true;
    std::string file;  // empty = the pattern
    int rcvbuf = 0;  // 0 = the kernel's autotuning
    bool per_conn = false;
    std::string json;
};

using peer::now_ns;

void print_error(const Error& e)
{
    std::fprintf(stderr, "xg_tcp_sink: %s\n", e.message().c_str());
    if (!e.hint.empty())
        std::fprintf(stderr, "  hint: %s\n", e.hint.c_str());
}

// Many parallel streams need more descriptors than the usual soft limit.
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

// What every stream should carry, compared with memcmp so that one core
// checks several Gbit/s.
class Expected {
public:
    Expected() = default;
    Expected(const Expected&) = delete;
    Expected& operator=(const Expected&) = delete;
    ~Expected()
    {
        if (map_)
            munmap(map_, file_size_);
    }

    Status use_file(const std::string& path);
    // Compares the pattern's own bytes with what first_bad() expects, so a
    // change to pattern.h that the tables below miss is caught at start.
    Status self_test();
    // The stream offset of the first byte of data[0, len) -- stream offsets
    // [off, off + len) -- that is not the expected one, or kNoBad.
    uint64_t first_bad(uint64_t off, const uint8_t* data, size_t len);

private:
    uint64_t first_bad_pattern(uint64_t off, const uint8_t* data, size_t len);
    uint64_t first_bad_file(uint64_t off, const uint8_t* data, size_t len) const;
    const uint8_t* table(uint8_t block);

    bool file_ = false;
    void* map_ = nullptr;  // null for an empty file
    size_t file_size_ = 0;
    // Inside one 64 KiB block the pattern is (off % 251 + block) & 0xff, so
    // the block's bytes from `off` on are table[block & 0xff] + off % 251,
    // where table[b][j] = (j % 251 + b) & 0xff. Made when first needed: at
    // most 256 of 64 KiB + 251 bytes.
    std::array<std::unique_ptr<uint8_t[]>, 256> tables_;
};

Status Expected::use_file(const std::string& path)
{
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return sys_error(fmt::format("cannot open {}", path));
    struct stat st;
    if (fstat(fd.get(), &st))
        return sys_error(fmt::format("cannot stat {}", path));
    if (!S_ISREG(st.st_mode))
        return make_error(fmt::format("{} is not a regular file", path));
    file_ = true;
    file_size_ = static_cast<size_t>(st.st_size);
    if (file_size_ == 0)
        return {};  // mmap refuses an empty mapping; every byte is then wrong
    // Populated now, so that page faults do not slow the first streams.
    void* p = mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
    if (p == MAP_FAILED)
        return sys_error(fmt::format("cannot map {}", path));
    map_ = p;
    return {};
}

Status Expected::self_test()
{
    if (file_)
        return {};
    // Blocks 0 and 1, and 255 to 257 where the block number wraps in a byte.
    for (uint64_t block : {0u, 1u, 255u, 256u, 257u}) {
        std::vector<uint8_t> bytes(kBlockSize + 1000);
        const uint64_t start = (block << kBlockShift) - (block ? 500 : 0);
        for (size_t i = 0; i < bytes.size(); i++)
            bytes[i] = xg_pattern_byte(start + i);
        if (uint64_t bad = first_bad(start, bytes.data(), bytes.size()); bad != kNoBad)
            return make_error(fmt::format("internal error: the check disagrees with xg_pattern_byte() at offset {}", bad),
                              0, "was include/xdpgen/pattern.h changed? tests/peers/tcp_sink.cpp must follow");
    }
    return {};
}

uint64_t Expected::first_bad(uint64_t off, const uint8_t* data, size_t len)
{
    return file_ ? first_bad_file(off, data, len) : first_bad_pattern(off, data, len);
}

const uint8_t* Expected::table(uint8_t block)
{
    auto& t = tables_[block];
    if (!t) {
        t = std::make_unique<uint8_t[]>(kBlockSize + XG_PATTERN_CYCLE);
        for (size_t j = 0; j < kBlockSize + XG_PATTERN_CYCLE; j++)
            t[j] = static_cast<uint8_t>(j % XG_PATTERN_CYCLE + block);
    }
    return t.get();
}

uint64_t Expected::first_bad_pattern(uint64_t off, const uint8_t* data, size_t len)
{
    while (len) {
        const size_t n = std::min<size_t>(len, kBlockSize - (off & (kBlockSize - 1)));
        const uint8_t* want = table(static_cast<uint8_t>(off >> kBlockShift)) + off % XG_PATTERN_CYCLE;
        if (std::memcmp(data, want, n))
            return off + static_cast<uint64_t>(std::mismatch(data, data + n, want).first - data);
        off += n;
        data += n;
        len -= n;
    }
    return kNoBad;
}

uint64_t Expected::first_bad_file(uint64_t off, const uint8_t* data, size_t len) const
{
    if (off >= file_size_)
        return off;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, file_size_ - off));
    const auto* want = static_cast<const uint8_t*>(map_) + off;
    if (std::memcmp(data, want, n))
        return off + static_cast<uint64_t>(std::mismatch(data, data + n, want).first - data);
    return n < len ? off + n : kNoBad;  // the stream goes on past the file's end
}

enum class End : uint8_t { Open, Eof, Reset };

const char* end_name(End e)
{
    switch (e) {
    case End::Eof:
        return "eof";
    case End::Reset:
        return "reset";
    case End::Open:
        break;
    }
    return "open";
}

struct Conn {
    Fd fd;  // invalid once the connection ended
    Endpoint peer;
    uint64_t bytes = 0;  // also the stream offset of the next byte
    uint64_t first_bad = kNoBad;
    End end = End::Open;
};

class Sink {
public:
    explicit Sink(const Options& o) : o_(o), buf_(std::make_unique<uint8_t[]>(kReadSize)) {}

    Status setup();
    Status run();
    void report() const;
    Status write_json();

private:
    // Epoll keys: the listener and the signalfd sit above every connection index.
    static constexpr uint64_t kListenKey = ~0ull;
    static constexpr uint64_t kSignalKey = ~0ull - 1;

    Status listen_on(const Endpoint& ep);
    Status connect_to(const Endpoint& ep);
    void accept_some();
    void add_conn(int fd, const sockaddr_storage& peer);
    // One read per readiness: the epoll is level-triggered, so a connection
    // with more data comes back in the next wait, after the others had theirs.
    void progress(size_t idx);
    void finish(Conn& c, End how);
    bool enough() const { return o_.conns && eof_ + resets_ >= o_.conns; }

    struct Totals {
        uint64_t open = 0, verify_errors = 0, min_bytes = 0, max_bytes = 0;
        double seconds = 0;
    };
    Totals totals() const;

    const Options& o_;
    Fd listen_, epoll_, signal_;
    std::unique_ptr<uint8_t[]> buf_;
    Expected expected_;
    std::unique_ptr<FILE, decltype(&fclose)> json_{nullptr, &fclose};
    std::vector<Conn> conns_;  // every connection accepted, by accept order
    uint64_t eof_ = 0, resets_ = 0, bytes_ = 0;
    uint64_t first_accept_ns_ = 0, last_end_ns_ = 0, exit_ns_ = 0;
    bool accept_warned_ = false;
};

using peer::to_sockaddr;

Status Sink::connect_to(const Endpoint& ep)
{
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(ep, ss);
    Fd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return sys_error("cannot create a socket");
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len))
        return sys_error(fmt::format("cannot connect to {}", ep.str()));
    if (fcntl(fd.get(), F_SETFL, O_NONBLOCK))
        return sys_error("cannot make the socket non-blocking");
    add_conn(fd.release(), ss);
    return {};
}

Status Sink::listen_on(const Endpoint& ep)
{
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(ep, ss);

    listen_ = Fd(socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listen_.valid())
        return sys_error("cannot create the listening socket");
    const int one = 1;
    if (setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
        return sys_error("cannot set SO_REUSEADDR");
    if (o_.rcvbuf) {
        // Set on the listener so that accepted sockets inherit it before the
        // handshake: the window scale is chosen from the buffer at SYN time.
        if (setsockopt(listen_.get(), SOL_SOCKET, SO_RCVBUF, &o_.rcvbuf, sizeof(o_.rcvbuf)))
            return sys_error(fmt::format("cannot set SO_RCVBUF to {}", o_.rcvbuf));
        int got = 0;
        socklen_t got_len = sizeof(got);
        if (getsockopt(listen_.get(), SOL_SOCKET, SO_RCVBUF, &got, &got_len))
            return sys_error("cannot read SO_RCVBUF back");
        // The kernel doubles the request for its bookkeeping and caps it at
        // net.core.rmem_max without an error.
        if (got / 2 < o_.rcvbuf)
            std::fprintf(stderr,
                         "xg_tcp_sink: warning: SO_RCVBUF is %d bytes, not %d (capped by net.core.rmem_max)\n",
                         got / 2, o_.rcvbuf);
    }
    if (bind(listen_.get(), reinterpret_cast<sockaddr*>(&ss), len))
        return sys_error(fmt::format("cannot bind to {}", ep.str()), errno,
                         errno == EADDRNOTAVAIL ? "is the address configured on an interface of this namespace?" : "");
    if (::listen(listen_.get(), 1024))
        return sys_error(fmt::format("cannot listen on {}", ep.str()));
    return {};
}

Status Sink::setup()
{
    if (!o_.file.empty()) {
        if (auto st = expected_.use_file(o_.file); !st)
            return st;
    }
    if (o_.verify) {
        if (auto st = expected_.self_test(); !st)
            return st;
    }
    // Opened now so that an unwritable path stops us before "ready".
    if (!o_.json.empty()) {
        json_.reset(std::fopen(o_.json.c_str(), "w"));
        if (!json_)
            return sys_error(fmt::format("cannot create {}", o_.json));
    }
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid())
        return sys_error("cannot create an epoll instance");
    epoll_event ev{};
    if (o_.connect) {
        if (auto st = connect_to(o_.listen); !st)
            return st;
    } else {
        if (auto st = listen_on(o_.listen); !st)
            return st;
        // Level-triggered: when accept() fails for want of descriptors, the
        // pending connections are offered again on the next wait.
        ev.events = EPOLLIN;
        ev.data.u64 = kListenKey;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev))
            return sys_error("cannot add the listening socket to epoll");
    }

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

Status Sink::run()
{
    const uint64_t start = now_ns();
    const uint64_t stop_at = o_.duration > 0 ? start + static_cast<uint64_t>(o_.duration * 1e9) : UINT64_MAX;
    std::vector<epoll_event> events(1024);
    while (!enough()) {
        const uint64_t now = now_ns();
        if (now >= stop_at)
            break;
        const int timeout_ms =
            stop_at == UINT64_MAX ? -1 : static_cast<int>(std::min<uint64_t>((stop_at - now + 999'999) / 1'000'000, INT_MAX));
        const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            exit_ns_ = now_ns();
            return sys_error("epoll_wait failed");
        }
        bool signalled = false;
        for (int i = 0; i < n; i++) {
            const uint64_t key = events[i].data.u64;
            if (key == kSignalKey)
                signalled = true;
            else if (key == kListenKey)
                accept_some();
            else if (key < conns_.size() && conns_[key].fd.valid())
                progress(key);
        }
        if (signalled)
            break;
    }
    exit_ns_ = now_ns();
    return {};
}

void Sink::accept_some()
{
    // Bounded, so that many connecting senders cannot starve the reads of
    // those already connected; the listener is level-triggered and comes back.
    for (int i = 0; i < kAcceptBatch; i++) {
        sockaddr_storage ss{};
        socklen_t len = sizeof(ss);
        int fd = accept4(listen_.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            if (!accept_warned_) {  // EMFILE and the like: say it once, keep serving the others
                std::fprintf(stderr, "xg_tcp_sink: accept failed: %s\n", std::strerror(errno));
                accept_warned_ = true;
            }
            return;
        }
        add_conn(fd, ss);
    }
}

void Sink::add_conn(int fd, const sockaddr_storage& ss)
{
    Conn c;
    c.fd = Fd(fd);
    if (ss.ss_family == AF_INET6) {
        const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        c.peer.addr.v6 = true;
        std::memcpy(c.peer.addr.b.data(), &s6->sin6_addr, 16);
        c.peer.port = ntohs(s6->sin6_port);
    } else {
        const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
        c.peer.addr = IpAddr::from_v4(s4->sin_addr.s_addr);
        c.peer.port = ntohs(s4->sin_port);
    }
    if (conns_.empty())
        first_accept_ns_ = now_ns();
    const size_t idx = conns_.size();
    conns_.push_back(std::move(c));

    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = idx;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev)) {
        // Cannot be read, so cannot be counted as anything but broken.
        std::fprintf(stderr, "xg_tcp_sink: cannot add a connection to epoll: %s\n", std::strerror(errno));
        finish(conns_[idx], End::Reset);
    }
}

void Sink::progress(size_t idx)
{
    Conn& c = conns_[idx];
    ssize_t n;
    do
        n = ::read(c.fd.get(), buf_.get(), kReadSize);
    while (n < 0 && errno == EINTR);

    if (n > 0) {
        if (o_.verify && c.first_bad == kNoBad)
            c.first_bad = expected_.first_bad(c.bytes, buf_.get(), static_cast<size_t>(n));
        c.bytes += static_cast<uint64_t>(n);
        bytes_ += static_cast<uint64_t>(n);
    } else if (n == 0) {
        finish(c, End::Eof);
    } else if (errno != EAGAIN) {
        finish(c, End::Reset);
    }
}

void Sink::finish(Conn& c, End how)
{
    c.end = how;
    (how == End::Eof ? eof_ : resets_)++;
    c.fd.reset();  // our FIN; closing also takes the socket out of the epoll set
    last_end_ns_ = now_ns();
}

Sink::Totals Sink::totals() const
{
    Totals t;
    t.open = conns_.size() - eof_ - resets_;
    if (conns_.empty())
        return t;
    t.min_bytes = UINT64_MAX;
    for (const Conn& c : conns_) {
        t.verify_errors += c.first_bad != kNoBad;
        t.min_bytes = std::min(t.min_bytes, c.bytes);
        t.max_bytes = std::max(t.max_bytes, c.bytes);
    }
    t.seconds = static_cast<double>((t.open ? exit_ns_ : last_end_ns_) - first_accept_ns_) / 1e9;
    return t;
}

void Sink::report() const
{
    if (o_.per_conn)
        for (const Conn& c : conns_)
            fmt::print("conn peer={} bytes={} end={} first_bad={}\n", c.peer.str(), c.bytes, end_name(c.end),
                       c.first_bad == kNoBad ? std::string("-") : std::to_string(c.first_bad));
    const Totals t = totals();
    fmt::print("conns={} eof={} resets={} open={} bytes={} verify_errors={} min_bytes={} max_bytes={} seconds={:.6f}\n",
               conns_.size(), eof_, resets_, t.open, bytes_, t.verify_errors, t.min_bytes, t.max_bytes, t.seconds);
    std::fflush(stdout);
}

Status Sink::write_json()
{
    if (!json_)
        return {};
    const Totals t = totals();
    nlohmann::ordered_json j;
    j["conns"] = conns_.size();
    j["eof"] = eof_;
    j["resets"] = resets_;
    j["open"] = t.open;
    j["bytes"] = bytes_;
    j["verify_errors"] = t.verify_errors;
    j["min_bytes"] = t.min_bytes;
    j["max_bytes"] = t.max_bytes;
    j["seconds"] = t.seconds;
    auto& per_conn = j["per_conn"] = nlohmann::ordered_json::array();
    for (const Conn& c : conns_) {
        nlohmann::ordered_json pc;
        pc["peer"] = c.peer.str();
        pc["bytes"] = c.bytes;
        pc["end"] = end_name(c.end);
        pc["first_bad"] = nullptr;
        if (c.first_bad != kNoBad)
            pc["first_bad"] = c.first_bad;
        per_conn.push_back(std::move(pc));
    }

    const std::string text = j.dump() + "\n";
    const bool written = std::fwrite(text.data(), 1, text.size(), json_.get()) == text.size();
    // fclose reports the write errors that buffering deferred.
    const bool closed = std::fclose(json_.release()) == 0;
    if (!written || !closed)
        return sys_error(fmt::format("cannot write {}", o_.json));
    return {};
}

// "ADDR:PORT", "[V6]:PORT", or the two words "ADDR PORT" (ADDR may then be a
// bare IPv6 address).
std::optional<Endpoint> parse_listen(const std::vector<std::string>& words)
{
    if (words.size() == 1)
        return parse_endpoint(words[0]);
    std::string host = words[0];
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return parse_endpoint(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, words[1])
                                                              : fmt::format("{}:{}", host, words[1]));
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    std::vector<std::string> listen;
    bool no_verify = false;
    CLI::App app{"Receive TCP streams, check them against the xdpgen pattern or a file, and count them "
                 "(a kernel peer for tests)",
                 "xg_tcp_sink"};
    std::string connect;
    auto* lis = app.add_option("--listen", listen, "ADDR:PORT or [V6ADDR]:PORT to listen on (or the two words ADDR PORT)")
                    ->expected(1, 2);
    auto* con = app.add_option("--connect", connect, "ADDR:PORT of a server to read one stream from, instead of listening");
    lis->excludes(con);
    app.add_option("--conns", o.conns, "Stop once this many connections have ended (0 = no limit)");
    app.add_option("--duration", o.duration, "Stop after this many seconds (0 = no limit)")
        ->check(CLI::NonNegativeNumber);
    auto* nv = app.add_flag("--no-verify", no_verify, "Do not check the bytes received");
    auto* file = app.add_option("--file", o.file, "Check each stream against this file's bytes instead of the pattern");
    nv->excludes(file);
    app.add_option("--rcvbuf", o.rcvbuf, "SO_RCVBUF in bytes (turns off the kernel's receive autotuning, as iperf3 -w)")
        ->check(CLI::Range(1, INT_MAX));
    app.add_flag("--per-conn", o.per_conn, "Print one line per connection before the summary");
    app.add_option("--json", o.json, "Also write the results as JSON to this file");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) ? 2 : 0;
    }
    o.verify = !no_verify;
    if (listen.empty() && connect.empty()) {
        print_error(make_error("either --listen or --connect is needed", 0, "e.g. --listen 198.18.0.2:5201"));
        return 2;
    }
    o.connect = !connect.empty();
    if (o.connect) {
        listen = {connect};
        o.conns = 1;
    }
    auto ep = parse_listen(listen);
    if (!ep) {
        print_error(make_error(fmt::format("not an address and port: '{}'", listen.size() == 1 ? listen[0] : listen[0] + " " + listen[1]), 0,
                               "write 198.18.0.2:5201, [fd00::2]:5201 or fd00::2 5201"));
        return 2;
    }
    o.listen = *ep;

    if (auto st = raise_fd_limit(); !st)
        std::fprintf(stderr, "xg_tcp_sink: warning: %s\n", st.error().message().c_str());
    Sink sink(o);
    if (auto st = sink.setup(); !st) {
        print_error(st.error());
        return 2;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    const Status ran = sink.run();
    if (!ran)
        print_error(ran.error());
    sink.report();
    if (auto st = sink.write_json(); !st) {
        print_error(st.error());
        return 1;
    }
    return ran ? 0 : 1;
}
