// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// HttpParser reading requests (a server program): request lines, each way
// a request body ends, a keep-alive sequence fed in every kind of split
// (each request must complete exactly at its last byte), what is refused,
// and which requests ask to close the connection.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "program/http_parser.hpp"

using namespace xdpgen::program;

namespace {

std::span<const uint8_t> bytes(const std::string& s)
{
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Fed {
    uint32_t completed = 0;
    HttpVerdict verdict = HttpVerdict::Ok;
};

Fed feed(HttpParser& p, const std::string& s)
{
    HttpProgress r = p.feed_request(bytes(s));
    return {r.completed, r.verdict};
}

Fed feed_bytes(HttpParser& p, const std::string& s)
{
    Fed f;
    for (char c : s) {
        HttpProgress r = p.feed_request(bytes(std::string(1, c)));
        f.completed += r.completed;
        if (r.verdict != HttpVerdict::Ok)
            return {f.completed, r.verdict};
    }
    return f;
}

// Whole and byte at a time must agree, in the outcome and in what the
// parser is left knowing.
Fed parse(const std::string& s, bool* close = nullptr)
{
    HttpParser p;
    Fed whole = feed(p, s);
    HttpParser q;
    Fed one = feed_bytes(q, s);
    CHECK(whole.completed == one.completed);
    CHECK(whole.verdict == one.verdict);
    CHECK(p.idle() == q.idle());
    CHECK(p.closes() == q.closes());
    if (close)
        *close = p.closes();
    return whole;
}

bool malformed(const std::string& s) { return parse(s).verdict == HttpVerdict::Malformed; }

// One complete request; asks to close or not.
bool asks_close(const std::string& s)
{
    bool close = false;
    Fed f = parse(s, &close);
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::Ok);
    return close;
}

struct Rng {
    uint64_t s;
    uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

const std::string kGet = "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: xdpgen\r\n\r\n";

}  // namespace

TEST_CASE("a request without a body ends at the empty line", "[program][http][request]")
{
    HttpParser p;
    CHECK(p.idle());
    Fed f = feed(p, kGet.substr(0, kGet.size() - 1));
    CHECK(f.completed == 0);
    CHECK_FALSE(p.idle());
    f = feed(p, kGet.substr(kGet.size() - 1));
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::Ok);
    CHECK(p.idle());
    CHECK_FALSE(p.closes());
    CHECK(p.status() == 0);  // requests have none

    // Any token is a method; any visible bytes are a target; bare LF;
    // HTTP/1.0 and other minor versions; CRs ignored at the line end.
    CHECK(parse("OPTIONS * HTTP/1.1\r\n\r\n").completed == 1);
    CHECK(parse("M-SEARCH! http://h:1/p?q=%20&x#f HTTP/1.1\n\n").completed == 1);
    CHECK(parse("CONNECT h:443 HTTP/1.1\r\r\nHost: h\r\n\r\n").completed == 1);
    CHECK(parse("GET /\xc3\xa9t\xc3\xa9 HTTP/1.9\r\n\r\n").completed == 1);
    // Empty lines before a request line are skipped (RFC 9112 §2.2).
    CHECK(parse("\r\n\r\n\n" + kGet).completed == 1);
    // No body without Content-Length or Transfer-Encoding, whatever the method.
    CHECK(parse("POST /form HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n").completed == 1);
}

TEST_CASE("request bodies by Content-Length and chunked", "[program][http][request]")
{
    const std::string body = "name=value&x=1";
    const std::string post = "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\n\r\n" + body;
    HttpParser p;
    CHECK(feed(p, post.substr(0, post.size() - 1)).completed == 0);
    CHECK_FALSE(p.idle());
    CHECK(feed(p, post.substr(post.size() - 1)).completed == 1);
    CHECK(p.idle());
    CHECK(parse("PUT /x HTTP/1.1\r\ncontent-length:\t0 \r\n\r\n").completed == 1);
    // A body that looks like a request is still the body.
    CHECK(parse("POST / HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n").completed == 1);

    const std::string chunked = "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5\r\nhello\r\n"
                                "1A;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                                "0\r\nX-Checksum: 1\r\n\r\n";
    CHECK(parse(chunked).completed == 1);
    HttpParser q;
    CHECK(feed(q, chunked.substr(0, chunked.size() - 2)).completed == 0);
    CHECK(feed(q, chunked.substr(chunked.size() - 2)).completed == 1);
    // Chunked must be the final coding; it overrides a Content-Length.
    CHECK(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n").completed == 1);
    CHECK(parse("POST / HTTP/1.1\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").completed == 1);
}

TEST_CASE("a keep-alive request sequence completes each request at its last byte in every split",
          "[program][http][request]")
{
    std::vector<std::string> rs = {
        kGet,
        "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: x\r\n\r\n",
        "\r\n" + kGet,
        "DELETE /c HTTP/1.1\nConnection: keep-alive\nContent-Length: 0\n\n",
        "PUT /d HTTP/1.1\r\nX-Long: " + std::string(3000, 'h') + "\r\nContent-Length: 4000\r\n\r\n" +
            std::string(4000, 'b'),
        "GET /e HTTP/1.1\r\nConnection: upgrade\r\nCookie: a=b; c=d\r\n\r\n",
        "HEAD /f HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        "POST /g HTTP/1.1\r\ntransfer-encoding: CHUNKED\r\n\r\n1\r\n\n\r\n0\r\n\r\n",
        "GET /last HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    std::string stream;
    std::vector<size_t> ends;
    for (auto& r : rs) {
        stream += r;
        ends.push_back(stream.size());
    }
    auto expected_at = [&](size_t off) {
        return uint32_t(std::count_if(ends.begin(), ends.end(), [off](size_t e) { return e <= off; }));
    };
    // Idle: nothing but empty lines since the last complete request.
    auto idle_at = [&](size_t off) {
        size_t n = expected_at(off);
        size_t from = n ? ends[n - 1] : 0;
        return stream.find_first_not_of("\r\n", from) >= off;
    };
    auto run = [&](const std::vector<size_t>& cuts) {
        HttpParser p;
        uint32_t total = 0;
        size_t prev = 0;
        for (size_t c : cuts) {
            HttpProgress r = p.feed_request(bytes(stream.substr(prev, c - prev)));
            REQUIRE(r.verdict == HttpVerdict::Ok);
            total += r.completed;
            INFO("after byte " << c);
            REQUIRE(total == expected_at(c));
            REQUIRE(p.idle() == idle_at(c));
            prev = c;
        }
        CHECK(total == rs.size());
        CHECK(p.idle());
        CHECK_FALSE(p.closes());
    };

    SECTION("whole") { run({stream.size()}); }
    SECTION("byte at a time")
    {
        std::vector<size_t> cuts;
        for (size_t i = 1; i <= stream.size(); ++i)
            cuts.push_back(i);
        run(cuts);
    }
    SECTION("random cut points")
    {
        auto seed = GENERATE(0x9e3779b97f4a7c15ull, 0x2545f4914f6cdd1dull, 12345ull);
        Rng rng{seed};
        for (int round = 0; round < 100; ++round) {
            std::vector<size_t> cuts;
            size_t at = 0;
            while (at < stream.size()) {
                at = std::min(stream.size(), at + 1 + size_t(rng.next() % (round % 2 ? 30 : 1500)));
                cuts.push_back(at);
            }
            run(cuts);
        }
    }
    SECTION("cut exactly at each request end and one byte either side")
    {
        std::vector<size_t> cuts;
        for (size_t e : ends) {
            if (e > 1 && (cuts.empty() || cuts.back() < e - 1))
                cuts.push_back(e - 1);
            cuts.push_back(e);
            if (e + 1 < stream.size())
                cuts.push_back(e + 1);
        }
        if (cuts.back() != stream.size())
            cuts.push_back(stream.size());
        run(cuts);
    }
}

TEST_CASE("malformed requests are refused and stay refused", "[program][http][request]")
{
    CHECK(malformed("GET  / HTTP/1.1\r\n\r\n"));          // two SPs
    CHECK(malformed("GET /  HTTP/1.1\r\n\r\n"));
    CHECK(malformed(" GET / HTTP/1.1\r\n\r\n"));          // leading SP
    CHECK(malformed("GET / HTTP/1.1 \r\n\r\n"));          // trailing SP
    CHECK(malformed("GET\t/ HTTP/1.1\r\n\r\n"));
    CHECK(malformed("GE(T / HTTP/1.1\r\n\r\n"));          // not a token
    CHECK(malformed("GET /\r\n\r\n"));                    // HTTP/0.9
    CHECK(malformed("GET / \r\n\r\n"));
    CHECK(malformed("GET / http/1.1\r\n\r\n"));           // HTTP-name is case-sensitive
    CHECK(malformed("GET / HTTP/2.0\r\n\r\n"));
    CHECK(malformed("GET / HTTP/1.\r\n\r\n"));
    CHECK(malformed("GET / HTTP/1.11\r\n\r\n"));
    CHECK(malformed("GET /a\x01 HTTP/1.1\r\n\r\n"));      // control byte in the target
    CHECK(malformed("HTTP/1.1 200 OK\r\n\r\n"));          // a response
    CHECK(malformed("SSH-2.0-OpenSSH_9.2\r\n"));
    CHECK(malformed("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"));  // a TLS ClientHello
    CHECK(malformed("GET / HTTP/1.1\r\nNo colon\r\n\r\n"));
    CHECK(malformed("GET / HTTP/1.1\r\nHost : h\r\n\r\n"));
    CHECK(malformed("GET / HTTP/1.1\r\n: empty\r\n\r\n"));
    CHECK(malformed("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"));
    CHECK(malformed("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"));
    CHECK(malformed("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc"));
    CHECK(malformed("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"));
    CHECK(malformed("POST / HTTP/1.1\r\nContent-Length: 281474976710656\r\n\r\n"));
    // A Transfer-Encoding without chunked last leaves the end of the body
    // unknown: a server answers 400 (RFC 9112 §6.3 rule 4), not a close-delimited body.
    CHECK(malformed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc"));
    CHECK(malformed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"));
    CHECK(malformed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"));
    CHECK(malformed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"));
    // A head without end.
    HttpParser big;
    Fed f = feed(big, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 100 && f.verdict == HttpVerdict::Ok; ++i)
        f = feed(big, "X-Endless: " + std::string(1000, 'e') + "\r\n");
    CHECK(f.verdict == HttpVerdict::Malformed);
    HttpParser target;
    CHECK(feed(target, "GET /" + std::string(70'000, 'a')).verdict == HttpVerdict::Malformed);

    // Refused once, refused for good.
    HttpParser p;
    CHECK(feed(p, "GET / HTTP/3\r\n").verdict == HttpVerdict::Malformed);
    CHECK(p.failed());
    f = feed(p, kGet);
    CHECK(f.verdict == HttpVerdict::Malformed);
    CHECK(f.completed == 0);
    // The requests before the bad one still count.
    HttpParser q;
    f = feed(q, kGet + kGet + "BAD REQUEST\r\n");
    CHECK(f.completed == 2);
    CHECK(f.verdict == HttpVerdict::Malformed);
}

TEST_CASE("requests that ask to close the connection", "[program][http][request]")
{
    CHECK_FALSE(asks_close(kGet));
    CHECK(asks_close("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    CHECK(asks_close("GET / HTTP/1.1\r\ncOnNeCtIoN:   CLOSE  \r\n\r\n"));
    CHECK(asks_close("GET / HTTP/1.1\nConnection:close\n\n"));
    CHECK(asks_close("GET / HTTP/1.1\r\nConnection: TE, close\r\nTE: trailers\r\n\r\n"));
    CHECK(asks_close("GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"));  // options add up
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nConnection: clos\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nConnection: upgrade, x-close\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nConnections: close\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nConn: close\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.1\r\nContent-Type: close\r\n\r\n"));
    CHECK_FALSE(asks_close("GET /close HTTP/1.1\r\nX: Connection: close\r\n\r\n"));
    // HTTP/1.0 persists only when asked (RFC 9112 §9.3).
    CHECK(asks_close("GET / HTTP/1.0\r\n\r\n"));
    CHECK(asks_close("GET / HTTP/1.0\r\nConnection: upgrade\r\n\r\n"));
    CHECK_FALSE(asks_close("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    CHECK(asks_close("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
    // A name that shares "con" with Content-Length still frames the body.
    CHECK(asks_close("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"));
    CHECK_FALSE(asks_close("POST / HTTP/1.1\r\nContent-Length: 3\r\nConnect: close\r\n\r\nabc"));

    SECTION("it takes effect when the request is complete; nothing after it is read")
    {
        const std::string last = "POST / HTTP/1.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "2\r\nab\r\n0\r\n\r\n";
        const std::string stream = kGet + last + kGet + "garbage that is not HTTP\r\n";
        auto split = GENERATE(1ul, 7ul, 1000ul);
        HttpParser p;
        uint32_t total = 0;
        for (size_t at = 0; at < stream.size(); at += split) {
            HttpProgress r = p.feed_request(bytes(stream.substr(at, split)));
            REQUIRE(r.verdict == HttpVerdict::Ok);
            total += r.completed;
            size_t end = std::min(stream.size(), at + split);
            CHECK(p.closes() == (end >= kGet.size() + last.size()));
        }
        CHECK(total == 2);
        CHECK(p.idle());
        CHECK_FALSE(p.failed());
    }
}
