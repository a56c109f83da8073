// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// pcap2profile: captures written here frame by frame (pcap_open_dead and
// pcap_dump), read back into conversations and rendered as profiles; and
// the committed real capture of curl and nginx.

#include <catch2/catch.hpp>

#include <pcap/pcap.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "temp_files.hpp"
#include "cli/pcap2profile.hpp"
#include "cli/pcap_conversations.hpp"

using namespace xdpgen;
using namespace xdpgen::pcapconv;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

using test::slurp;
using TempDirBase = test::TempDir;
struct TempDir : TempDirBase {
    TempDir() : TempDirBase("pcap") {}
};

void put16(std::string& b, uint16_t v)
{
    b += static_cast<char>(v >> 8);
    b += static_cast<char>(v & 0xff);
}

void put32(std::string& b, uint32_t v)
{
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v & 0xffff));
}

uint32_t sum16(const std::string& b, uint32_t acc = 0)
{
    for (size_t i = 0; i < b.size(); i += 2)
        acc += static_cast<uint8_t>(b[i]) << 8 | (i + 1 < b.size() ? static_cast<uint8_t>(b[i + 1]) : 0);
    return acc;
}

uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(~acc);
}

// The SYN options Linux sends: MSS 1460, SACK-permitted, timestamps, window scale 7.
std::string linux_syn_options()
{
    return std::string("\x02\x04\x05\xb4\x04\x02\x08\x0a", 8) + std::string(8, '\0') + std::string("\x01\x03\x03\x07", 4);
}

struct Seg {
    uint32_t seq = 0, ack = 0;
    uint8_t flags = kAck;
    std::string options, payload;
};

struct Addr {
    std::string ip;  // 4 or 16 bytes
    uint16_t port = 0;
};

std::string v4(uint8_t last) { return std::string("\xc6\x12\x00", 3) + static_cast<char>(last); }  // 198.18.0.last
std::string v6(uint8_t last) { return std::string("\xfd\x00", 2) + std::string(13, '\0') + static_cast<char>(last); }

std::string tcp_bytes(const Addr& src, const Addr& dst, const Seg& s)
{
    std::string t;
    put16(t, src.port);
    put16(t, dst.port);
    put32(t, s.seq);
    put32(t, s.ack);
    t += static_cast<char>((20 + s.options.size()) / 4 << 4);
    t += static_cast<char>(s.flags);
    put16(t, 65535);
    put32(t, 0);  // checksum, urgent pointer
    t += s.options + s.payload;
    std::string pseudo = src.ip + dst.ip;
    put16(pseudo, 6);
    put16(pseudo, static_cast<uint16_t>(t.size()));
    const uint16_t c = fold(sum16(t, sum16(pseudo)));
    t[16] = static_cast<char>(c >> 8);
    t[17] = static_cast<char>(c & 0xff);
    return t;
}

std::string ipv4_packet(const Addr& src, const Addr& dst, const Seg& s)
{
    const std::string tcp = tcp_bytes(src, dst, s);
    std::string h = "\x45";
    h += '\0';
    put16(h, static_cast<uint16_t>(20 + tcp.size()));
    put32(h, 0x00004000);  // id 0, DF
    h += "\x40\x06";       // TTL 64, TCP
    put16(h, 0);
    h += src.ip + dst.ip;
    const uint16_t c = fold(sum16(h));
    h[10] = static_cast<char>(c >> 8);
    h[11] = static_cast<char>(c & 0xff);
    return h + tcp;
}

// With a hop-by-hop options header (padding only) before TCP: the walk is tested too.
std::string ipv6_packet(const Addr& src, const Addr& dst, const Seg& s)
{
    const std::string tcp = tcp_bytes(src, dst, s);
    const std::string hop = std::string("\x06\x00\x01\x04\x00\x00\x00\x00", 8);  // next TCP, PadN of 4
    std::string h = std::string("\x60\x00\x00\x00", 4);
    put16(h, static_cast<uint16_t>(hop.size() + tcp.size()));
    h += '\0';    // next: hop-by-hop
    h += '\x40';  // hop limit
    return h + src.ip + dst.ip + hop + tcp;
}

class CaptureFile {
public:
    CaptureFile(const std::string& path, int dlt = DLT_EN10MB) : dlt_(dlt)
    {
        dead_ = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
        REQUIRE(dead_);
        dumper_ = pcap_dump_open(dead_, path.c_str());
        REQUIRE(dumper_);
    }
    ~CaptureFile() { close(); }

    bool vlan = false;  // Ethernet frames with two 802.1Q tags

    void add(const std::string& ip_packet, uint64_t ns)
    {
        const bool is_v6 = (static_cast<uint8_t>(ip_packet[0]) >> 4) == 6;
        const std::string type = is_v6 ? std::string("\x86\xdd", 2) : std::string("\x08\x00", 2);
        std::string frame = ip_packet;
        if (dlt_ == DLT_EN10MB) {
            const std::string tags = vlan ? std::string("\x88\xa8\x00\x07\x81\x00\x00\x2a", 8) : "";
            frame = std::string("\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12) + tags + type + ip_packet;
        } else if (dlt_ == DLT_LINUX_SLL) {  // type, ARPHRD, address length and 8 bytes, protocol
            frame = std::string("\x00\x04\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00", 14) + type + ip_packet;
        } else if (dlt_ == DLT_LINUX_SLL2) {  // protocol, reserved, ifindex, ARPHRD, type, address
            frame = type + std::string("\x00\x00\x00\x00\x00\x02\x00\x01\x04\x06\x02\x00\x00\x00\x00\x01\x00\x00", 18) +
                    ip_packet;
        }
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        h.ts.tv_usec = static_cast<suseconds_t>(ns % 1'000'000'000);
        h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
        pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, reinterpret_cast<const u_char*>(frame.data()));
    }

    void close()
    {
        if (dumper_)
            pcap_dump_close(dumper_);
        if (dead_)
            pcap_close(dead_);
        dumper_ = nullptr;
        dead_ = nullptr;
    }

private:
    int dlt_;
    pcap_t* dead_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
};

// One TCP connection's packets, written as they are made; 1 ms apart
// unless told otherwise.
class Conn {
public:
    Conn(CaptureFile& f, uint16_t client_port, uint16_t server_port = 80, bool ipv6 = false, uint32_t client_isn = 1000,
         uint32_t server_isn = 500000)
        : f_(f), ipv6_(ipv6), client_isn_(client_isn), server_isn_(server_isn)
    {
        c_ = Addr{ipv6 ? v6(1) : v4(1), client_port};
        s_ = Addr{ipv6 ? v6(2) : v4(2), server_port};
        cseq_ = client_isn + 1;
        sseq_ = server_isn + 1;
    }

    static uint64_t& clock()
    {
        static uint64_t t = 1'700'000'000'000'000'000ull;
        return t;
    }

    void handshake()
    {
        client(Seg{client_isn_, 0, kSyn, linux_syn_options(), ""});
        server(Seg{server_isn_, cseq_, kSyn | kAck, linux_syn_options(), ""});
        client(Seg{cseq_, sseq_, kAck, "", ""});
    }

    void client_send(const std::string& data)
    {
        client(Seg{cseq_, sseq_, kAck | kPsh, "", data});
        cseq_ += static_cast<uint32_t>(data.size());
        server(Seg{sseq_, cseq_, kAck, "", ""});
    }

    void server_send(const std::string& data)
    {
        server(Seg{sseq_, cseq_, kAck | kPsh, "", data});
        sseq_ += static_cast<uint32_t>(data.size());
        client(Seg{cseq_, sseq_, kAck, "", ""});
    }

    // Data at an offset of the client's stream, the sequence kept as it was.
    void client_at(uint32_t offset, const std::string& data) { client(Seg{client_isn_ + 1 + offset, sseq_, kAck, "", data}); }
    void server_at(uint32_t offset, const std::string& data) { server(Seg{server_isn_ + 1 + offset, cseq_, kAck, "", data}); }
    void client_advance(uint32_t n) { cseq_ += n; }
    void server_advance(uint32_t n) { sseq_ += n; }

    void client_fin()
    {
        client(Seg{cseq_++, sseq_, kFin | kAck, "", ""});
        server(Seg{sseq_, cseq_, kAck, "", ""});
    }

    void server_fin()
    {
        server(Seg{sseq_++, cseq_, kFin | kAck, "", ""});
        client(Seg{cseq_, sseq_, kAck, "", ""});
    }

    void client_rst() { client(Seg{cseq_, 0, kRst, "", ""}); }

    void client(const Seg& s) { write(c_, s_, s); }
    void server(const Seg& s) { write(s_, c_, s); }
    void pause_ms(uint64_t ms) { clock() += ms * 1'000'000; }

private:
    void write(const Addr& from, const Addr& to, const Seg& s)
    {
        clock() += 1'000'000;
        f_.add(ipv6_ ? ipv6_packet(from, to, s) : ipv4_packet(from, to, s), clock());
    }

    CaptureFile& f_;
    bool ipv6_;
    uint32_t client_isn_, server_isn_, cseq_, sseq_;
    Addr c_, s_;
};

Capture read_ok(const std::string& path, const std::string& filter = "")
{
    auto cap = read_capture(path, CaptureOptions{filter, {}});
    INFO((cap ? "" : cap.error().message()));
    REQUIRE(cap);
    return std::move(cap.value());
}

ProfileRenderOptions render_opts(const std::string& stem, size_t inline_max = 256)
{
    ProfileRenderOptions o;
    o.capture_name = stem + ".pcap";
    o.stem = stem;
    o.inline_max = inline_max;
    return o;
}

const std::string kRequest = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
// An answer with a byte that is not text: always a file.
const std::string kResponse = std::string("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\x01\x02\x03\x04", 42);

}  // namespace

TEST_CASE("an HTTP-like exchange: the profile's exact text and its data file", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("http.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.client_send(kRequest);
        c.server_send(kResponse);
        c.client_fin();
        c.server_fin();
    }
    const Capture cap = read_ok(d.file("http.pcap"));
    REQUIRE(cap.conversations.size() == 1);
    const RenderedProfile r = render_profile(cap, render_opts("http"));
    CHECK(r.toml == "# made by xdpgen pcap2profile from http.pcap: 1 conversation, 0 skipped\n"
                    "\n"
                    "[[template]]\n"
                    "name = \"conv1\"\n"
                    "port = 80\n"
                    "# captured 198.18.0.1:40000 -> 198.18.0.2:80, 2 turns, client closed first\n"
                    "tcp = { mss = 1460, wscale = 7, sack = true, timestamps = true }\n"
                    "client = [\n"
                    "  { send = \"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\" },\n"
                    "  { recv = 42 },\n"
                    "  { close = true },\n"
                    "]\n"
                    "server = [\n"
                    "  { expect = \"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\" },\n"
                    "  { send_file = \"http.conv1.s1.bin\" },\n"
                    "  { recv_until_close = true },\n"
                    "]\n");
    // TOML, and the strings in it read back as the bytes sent.
    const toml::table doc = toml::parse(r.toml);
    CHECK(doc["template"][0]["client"][0]["send"].value<std::string>() == kRequest);
    CHECK(doc["template"][0]["tcp"]["wscale"].value<int>() == 7);
    REQUIRE(r.files.size() == 1);
    CHECK(r.files[0].name == "http.conv1.s1.bin");
    CHECK(r.files[0].bytes == kResponse);

    // Written: the profile and the file beside it, byte for byte; twice the same.
    REQUIRE(write_profile(r, d.file("out.toml"), d.path));
    CHECK(slurp(d.file("out.toml")) == r.toml);
    CHECK(slurp(d.file("http.conv1.s1.bin")) == kResponse);
    CHECK(render_profile(read_ok(d.file("http.pcap")), render_opts("http")).toml == r.toml);
}

TEST_CASE("inline when short and printable, else a file", "[pcap2profile]")
{
    CHECK(fits_inline("GET /\r\n\t\"x\\", 256));
    CHECK_FALSE(fits_inline(std::string(257, 'a'), 256));
    CHECK(fits_inline(std::string(256, 'a'), 256));
    CHECK_FALSE(fits_inline("a\x01", 256));
    CHECK_FALSE(fits_inline("a\x7f", 256));
    CHECK_FALSE(fits_inline("\xc3\xa9", 256));  // UTF-8 is not ASCII
    CHECK(toml_quote("a\"b\\c\r\n\t\x01") == "\"a\\\"b\\\\c\\r\\n\\t\\u0001\"");

    TempDir d;
    const std::string long_request = "POST / HTTP/1.1\r\n\r\n" + std::string(300, 'x');
    {
        CaptureFile f(d.file("big.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.client_send(long_request);
        c.server_send("OK\n");
        c.client_fin();
        c.server_fin();
    }
    const Capture cap = read_ok(d.file("big.pcap"));
    const RenderedProfile as_file = render_profile(cap, render_opts("big"));
    CHECK_THAT(as_file.toml, Contains("  { send_file = \"big.conv1.c1.bin\" },\n  { recv = 3 },\n"));
    CHECK_THAT(as_file.toml, Contains("  { expect_file = \"big.conv1.c1.bin\" },\n  { send = \"OK\\n\" },\n"));
    REQUIRE(as_file.files.size() == 1);  // one file for the client's send and the server's expect
    CHECK(as_file.files[0].bytes == long_request);

    const RenderedProfile inlined = render_profile(cap, render_opts("big", 400));
    CHECK(inlined.files.empty());
    CHECK_THAT(inlined.toml, Contains("{ send = \"POST / HTTP/1.1\\r\\n\\r\\nxxx"));
}

TEST_CASE("an IPv6 conversation, past a hop-by-hop header, on raw IP", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("v6.pcap"), DLT_RAW);
        Conn c(f, 40000, 8080, true);
        c.handshake();
        c.client_send("ping\n");
        c.server_send("pong\n");
        c.client_fin();
        c.server_fin();
    }
    const Capture cap = read_ok(d.file("v6.pcap"));
    REQUIRE(cap.conversations.size() == 1);
    const Conversation& c = cap.conversations[0];
    CHECK(c.client.str() == "[fd00::1]:40000");
    CHECK(c.server.str() == "[fd00::2]:8080");
    REQUIRE(c.turns.size() == 2);
    CHECK(c.turns[0].bytes == "ping\n");
    CHECK(c.turns[1].bytes == "pong\n");
    CHECK_THAT(render_profile(cap, render_opts("v6")).toml, Contains("port = 8080\n"));
}

TEST_CASE("VLAN tags and Linux cooked captures (v1 and v2); IP fragments counted and left out", "[pcap2profile]")
{
    for (const int dlt : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2}) {
        INFO("link type " << dlt);
        TempDir d;
        {
            CaptureFile f(d.file("link.pcap"), dlt);
            f.vlan = dlt == DLT_EN10MB;
            Conn c(f, 40000);
            c.handshake();
            c.client_send("hello\n");
            std::string frag = ipv4_packet(Addr{v4(1), 40000}, Addr{v4(2), 80}, Seg{1007, 500001, kAck, "", "more"});
            frag[6] = static_cast<char>(frag[6] | 0x20);  // more fragments follow
            f.add(frag, Conn::clock() += 1'000'000);
            c.client_fin();
        }
        const Capture cap = read_ok(d.file("link.pcap"));
        REQUIRE(cap.conversations.size() == 1);
        CHECK(cap.conversations[0].turns[0].bytes == "hello\n");
        CHECK(cap.packets_left_out == std::map<std::string, uint64_t>{{"IP fragment", 1}});
        CHECK_THAT(render_profile(cap, render_opts("link")).toml, Contains("# packets in no conversation: 1 IP fragment\n"));
    }
}

TEST_CASE("retransmitted, reordered and overlapping segments give back the bytes sent", "[pcap2profile]")
{
    const std::string request = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const std::string answer = "abcdefghijklmnopqrstuvwxyz";
    TempDir d;
    {
        CaptureFile f(d.file("mess.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.client_at(20, request.substr(20, 10));  // ahead of a lost segment
        c.client_at(0, request.substr(0, 8));
        c.client_at(5, request.substr(5, 20));    // overlaps both sides
        c.client_at(0, request.substr(0, 8));     // retransmitted
        c.client_at(28, request.substr(28));      // overlaps the first
        c.client_advance(static_cast<uint32_t>(request.size()));
        c.server_at(10, answer.substr(10));
        c.server_at(0, answer.substr(0, 12));
        c.server_advance(static_cast<uint32_t>(answer.size()));
        c.client_fin();
        c.server_fin();
    }
    const Capture cap = read_ok(d.file("mess.pcap"));
    REQUIRE(cap.skipped.empty());
    REQUIRE(cap.conversations.size() == 1);
    const auto& turns = cap.conversations[0].turns;
    REQUIRE(turns.size() == 2);
    CHECK(turns[0].dir == Dir::ClientToServer);
    CHECK(turns[0].bytes == request);
    CHECK(turns[1].dir == Dir::ServerToClient);
    CHECK(turns[1].bytes == answer);
}

TEST_CASE("the first copy of a byte wins", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("twice.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.client_at(0, "hello");
        c.client_at(0, "HELLO");
        c.client_advance(5);
        c.server_send("ok");
        c.client_fin();
    }
    const Capture cap = read_ok(d.file("twice.pcap"));
    REQUIRE(cap.conversations.size() == 1);
    CHECK(cap.conversations[0].turns[0].bytes == "hello");
}

TEST_CASE("a gap in the data skips the conversation with the byte", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("gap.pcap"));
        Conn c(f, 40001);  // a hole in the middle
        c.handshake();
        c.client_at(0, "01234");
        c.client_at(1448, "later");
        c.client_advance(1453);
        c.client_fin();
        Conn t(f, 40002);  // the server's last segment never captured, but acknowledged
        t.handshake();
        t.client_send("GET\n");
        t.server_at(0, "0123456789");
        t.server_advance(20);
        t.client(Seg{1005, 500021, kAck, "", ""});
        t.client_fin();
    }
    const Capture cap = read_ok(d.file("gap.pcap"));
    CHECK(cap.conversations.empty());
    REQUIRE(cap.skipped.size() == 2);
    CHECK(cap.skipped[0].reason == "gap in the client's data at byte 5");
    CHECK(skipped_line(cap.skipped[0]) == "198.18.0.1:40001 -> 198.18.0.2:80: gap in the client's data at byte 5");
    CHECK(cap.skipped[1].reason == "gap in the server's data at byte 10");
}

TEST_CASE("no SYN seen, or no data: skipped with the reason", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("partial.pcap"));
        Conn late(f, 40001);  // the capture began after its handshake
        late.client_send("GET\n");
        late.server_send("OK\n");
        late.client_fin();
        Conn empty(f, 40002);
        empty.handshake();
        empty.client_fin();
        empty.server_fin();
        Conn good(f, 40003);
        good.handshake();
        good.client_send("GET\n");
        good.client_fin();
    }
    const Capture cap = read_ok(d.file("partial.pcap"));
    REQUIRE(cap.skipped.size() == 2);
    CHECK(cap.skipped[0].client.port == 40001);
    CHECK(cap.skipped[0].reason == "no handshake seen (capture started mid-connection)");
    CHECK(cap.skipped[1].client.port == 40002);
    CHECK(cap.skipped[1].reason == "no data");
    REQUIRE(cap.conversations.size() == 1);
    CHECK(cap.conversations[0].client.port == 40003);
    const std::string toml = render_profile(cap, render_opts("partial")).toml;
    CHECK_THAT(toml, StartsWith("# made by xdpgen pcap2profile from partial.pcap: 3 conversations, 2 skipped\n"
                                "# skipped 198.18.0.1:40001 -> 198.18.0.2:80: no handshake seen (capture started "
                                "mid-connection)\n"
                                "# skipped 198.18.0.1:40002 -> 198.18.0.2:80: no data\n"));
}

TEST_CASE("who closes first decides where close and recv_until_close go", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("close.pcap"));
        Conn s(f, 40001);
        s.handshake();
        s.client_send("GET\n");
        s.server_send("OK\n");
        s.server_fin();
        s.client_fin();
        Conn r(f, 40002);
        r.handshake();
        r.client_send("GET\n");
        r.client_rst();
    }
    const Capture cap = read_ok(d.file("close.pcap"));
    REQUIRE(cap.conversations.size() == 2);
    CHECK(cap.conversations[0].closer == Closer::Server);
    CHECK(cap.conversations[1].closer == Closer::None);
    CHECK(cap.conversations[1].reset);
    const std::string toml = render_profile(cap, render_opts("close")).toml;
    CHECK_THAT(toml, Contains("server closed first\n"));
    CHECK_THAT(toml, Contains("client = [\n  { send = \"GET\\n\" },\n  { recv = 3 },\n  { recv_until_close = true },\n]\n"
                              "server = [\n  { expect = \"GET\\n\" },\n  { send = \"OK\\n\" },\n  { close = true },\n]\n"));
    // Neither FIN: the client closes.
    CHECK_THAT(toml, Contains("1 turn, no FIN seen (reset)\n"));
    CHECK_THAT(toml, Contains("client = [\n  { send = \"GET\\n\" },\n  { close = true },\n]\n"
                              "server = [\n  { expect = \"GET\\n\" },\n  { recv_until_close = true },\n]\n"));
}

TEST_CASE("--filter keeps one of two conversations; a bad one is an error", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("two.pcap"));
        Conn a(f, 40001, 80);
        a.handshake();
        a.client_send("to 80\n");
        a.client_fin();
        Conn b(f, 40002, 8080);
        b.handshake();
        b.client_send("to 8080\n");
        b.client_fin();
    }
    CHECK(read_ok(d.file("two.pcap")).conversations.size() == 2);
    const Capture cap = read_ok(d.file("two.pcap"), "tcp port 8080");
    REQUIRE(cap.conversations.size() == 1);
    CHECK(cap.conversations[0].server.port == 8080);
    CHECK(cap.conversations[0].turns[0].bytes == "to 8080\n");

    auto bad = read_capture(d.file("two.pcap"), CaptureOptions{"tcp port eighty", {}});
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message(), Contains("--filter 'tcp port eighty'"));
}

TEST_CASE("a missing, garbage or truncated file, or another link type, is one clear error", "[pcap2profile]")
{
    TempDir d;
    auto missing = read_capture(d.file("none.pcap"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message() == "cannot read " + d.file("none.pcap") + ": No such file or directory");

    std::ofstream(d.file("garbage.pcap")) << "this is not a capture at all, not even close";
    auto garbage = read_capture(d.file("garbage.pcap"));
    REQUIRE_FALSE(garbage);
    CHECK_THAT(garbage.error().message(), Contains("cannot read"));

    {
        CaptureFile f(d.file("whole.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.client_send(kRequest);
    }
    const std::string whole = slurp(d.file("whole.pcap"));
    std::ofstream(d.file("cut.pcap"), std::ios::binary) << whole.substr(0, whole.size() - 10);
    REQUIRE(read_capture(d.file("whole.pcap")));
    auto cut = read_capture(d.file("cut.pcap"));
    REQUIRE_FALSE(cut);
    CHECK_THAT(cut.error().message(), Contains("cannot read " + d.file("cut.pcap")));

    {
        pcap_t* dead = pcap_open_dead(DLT_PPP, 65535);
        pcap_dumper_t* dumper = pcap_dump_open(dead, d.file("ppp.pcap").c_str());
        pcap_dump_close(dumper);
        pcap_close(dead);
    }
    auto ppp = read_capture(d.file("ppp.pcap"));
    REQUIRE_FALSE(ppp);
    CHECK_THAT(ppp.error().message(), Contains("link type PPP (9)"));
}

TEST_CASE("--delays: the client's pauses before its turns", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("slow.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.pause_ms(300);  // before the first turn: not kept
        c.client_send("one\n");
        c.server_send("1\n");
        c.pause_ms(48);   // the ACK 1 ms after the answer, then this, then the request 1 ms later: 50 ms
        c.client_send("two\n");
        c.server_send("2\n");
        c.client_fin();
    }
    const Capture cap = read_ok(d.file("slow.pcap"));
    ProfileRenderOptions o = render_opts("slow");
    CHECK_THAT(render_profile(cap, o).toml, !Contains("delay_ms"));
    o.delays = true;
    CHECK_THAT(render_profile(cap, o).toml,
               Contains("client = [\n  { send = \"one\\n\" },\n  { recv = 2 },\n  { delay_ms = 50 },\n"
                        "  { send = \"two\\n\" },\n  { recv = 2 },\n  { close = true },\n]\n"));
}

TEST_CASE("several turns, in order, numbered per side", "[pcap2profile]")
{
    TempDir d;
    const std::string bin1 = std::string("\x00\x01\x02", 3), bin2 = std::string("\xff\xfe", 2);
    {
        CaptureFile f(d.file("turns.pcap"));
        Conn c(f, 40000);
        c.handshake();
        c.client_send("req1\n");
        c.server_send(bin1);
        c.client_send("req2a\n");
        c.client_send("req2b\n");  // the same turn
        c.server_send(bin2);
        c.client_fin();
        c.server_fin();
    }
    const Capture cap = read_ok(d.file("turns.pcap"));
    REQUIRE(cap.conversations.size() == 1);
    const auto& turns = cap.conversations[0].turns;
    REQUIRE(turns.size() == 4);
    CHECK(turns[0].bytes == "req1\n");
    CHECK(turns[1].bytes == bin1);
    CHECK(turns[2].bytes == "req2a\nreq2b\n");
    CHECK(turns[3].bytes == bin2);
    CHECK(turns[2].last_ns > turns[2].first_ns);
    const RenderedProfile r = render_profile(cap, render_opts("t"));
    CHECK_THAT(r.toml, Contains("server = [\n  { expect = \"req1\\n\" },\n  { send_file = \"t.conv1.s1.bin\" },\n"
                                "  { expect = \"req2a\\nreq2b\\n\" },\n  { send_file = \"t.conv1.s2.bin\" },\n"));
    REQUIRE(r.files.size() == 2);
    CHECK(r.files[1].bytes == bin2);
}

TEST_CASE("a stream across the 2^32 wrap of sequence numbers", "[pcap2profile]")
{
    std::string data;
    for (int i = 0; i < 300; ++i)
        data += static_cast<char>('a' + i % 26);
    TempDir d;
    {
        CaptureFile f(d.file("wrap.pcap"));
        Conn c(f, 40000, 80, false, 0xffffffffu - 100, 0xffffffffu - 10);
        c.handshake();
        c.client_at(200, data.substr(200));  // past the wrap, first
        c.client_at(0, data.substr(0, 120));
        c.client_at(120, data.substr(120, 80));  // across it
        c.client_advance(300);
        c.server_send("thanks");
        c.client_fin();
    }
    const Capture cap = read_ok(d.file("wrap.pcap"));
    REQUIRE(cap.skipped.empty());
    REQUIRE(cap.conversations.size() == 1);
    CHECK(cap.conversations[0].turns[0].bytes == data);
    CHECK(cap.conversations[0].turns[1].bytes == "thanks");
}

TEST_CASE("limits: too many conversations, too much data in one direction", "[pcap2profile]")
{
    TempDir d;
    {
        CaptureFile f(d.file("lim.pcap"));
        for (uint16_t port : {40001, 40002}) {
            Conn c(f, port);
            c.handshake();
            c.client_send(std::string(100, 'x'));
            c.client_fin();
        }
    }
    CaptureOptions few;
    few.limits.max_conversations = 1;
    auto many = read_capture(d.file("lim.pcap"), few);
    REQUIRE_FALSE(many);
    CHECK_THAT(many.error().message(), Contains("more than 1 TCP conversations"));

    CaptureOptions small;
    small.limits.max_direction_bytes = 99;
    auto cap = read_capture(d.file("lim.pcap"), small);
    REQUIRE(cap);
    CHECK(cap->conversations.empty());
    REQUIRE(cap->skipped.size() == 2);
    CHECK_THAT(cap->skipped[0].reason, StartsWith("more than 99 bytes from the client"));
}

TEST_CASE("the real capture: curl fetching a small file from nginx", "[pcap2profile]")
{
    const Capture cap = read_ok(XDPGEN_TEST_DATA "/curl-nginx.pcap");
    REQUIRE(cap.skipped.empty());
    REQUIRE(cap.conversations.size() == 1);
    const Conversation& c = cap.conversations[0];
    CHECK(c.server.port == 80);
    CHECK(c.closer == Closer::Client);
    REQUIRE(c.turns.size() == 2);
    CHECK_THAT(c.turns[0].bytes, StartsWith("GET /small.txt HTTP/1.1\r\n"));
    // The response: its head, then as many body bytes as Content-Length says.
    const std::string& resp = c.turns[1].bytes;
    const auto head_end = resp.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    const auto cl = resp.find("Content-Length: ");
    REQUIRE(cl != std::string::npos);
    CHECK(resp.size() == head_end + 4 + std::stoul(resp.substr(cl + 16)));

    const RenderedProfile r = render_profile(cap, render_opts("curl-nginx"));
    CHECK_THAT(r.toml, StartsWith("# made by xdpgen pcap2profile from curl-nginx.pcap: 1 conversation, 0 skipped\n"));
    CHECK_THAT(r.toml, Contains("port = 80\n"));
    CHECK_THAT(r.toml, Contains(fmt::format("  {{ recv = {} }},\n", resp.size())));
    CHECK_THAT(r.toml, Contains("{ send = \"GET /small.txt HTTP/1.1\\r\\n"));
}

TEST_CASE("the command: the profile and its files, the summary, exit codes", "[pcap2profile]")
{
    TempDir d;
    const auto run = [&](const std::string& args) {
        const std::string cmd = std::string(XDPGEN_BIN) + " pcap2profile " + args + " >" + d.file("out") + " 2>" +
                                d.file("err");
        const int ws = std::system(cmd.c_str());
        return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    };
    const std::string profile = d.file("web.toml");
    CHECK(run(std::string(XDPGEN_TEST_DATA "/curl-nginx.pcap") + " -o " + profile + " --inline-max 16") == 0);
    CHECK(slurp(d.file("out")) == "pcap2profile: 1 conversation -> " + profile + " (1 template, 0 skipped)\n");
    CHECK_THAT(slurp(profile), Contains("{ send_file = \"web.conv1.c1.bin\" }"));
    CHECK_THAT(slurp(d.file("web.conv1.c1.bin")), StartsWith("GET /small.txt HTTP/1.1\r\n"));
    CHECK(std::filesystem::exists(d.file("web.conv1.s1.bin")));

    std::ofstream(d.file("junk.pcap")) << "junk";
    CHECK(run(d.file("junk.pcap")) == 2);
    CHECK_THAT(slurp(d.file("err")), StartsWith("xdpgen: cannot read " + d.file("junk.pcap")));
    CHECK(run(std::string(XDPGEN_TEST_DATA "/curl-nginx.pcap --filter 'bogus!'")) == 2);
    CHECK(run(std::string(XDPGEN_TEST_DATA "/curl-nginx.pcap -o - --filter 'port 81'")) == 1);
    CHECK_THAT(slurp(d.file("err")), Contains("no TCP conversation in"));

    // More conversations than a profile holds: refused, not a profile that cannot be loaded.
    {
        CaptureFile f(d.file("many.pcap"));
        for (uint16_t port = 40001; port <= 40065; port++) {
            Conn c(f, port);
            c.handshake();
            c.client_send("x");
            c.client_fin();
        }
    }
    CHECK(run(d.file("many.pcap") + " -o " + d.file("many.toml")) == 2);
    CHECK_THAT(slurp(d.file("err")), Contains("65 usable conversations in"));
    CHECK_THAT(slurp(d.file("err")), Contains("at most 64 templates"));
    CHECK_FALSE(std::filesystem::exists(d.file("many.toml")));
}
