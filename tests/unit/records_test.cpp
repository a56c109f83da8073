// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Connection records: the ring between a worker and the writer thread, the
// three file forms the writer makes, the binary reader and its errors, and
// the conversion `xdpgen records` runs.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "temp_files.hpp"
#include "engine/flow_log.hpp"
#include "net/addr.hpp"
#include "records/format.hpp"
#include "records/reader.hpp"
#include "records/ring.hpp"
#include "records/writer.hpp"

using namespace xdpgen;
using namespace xdpgen::records;
using Catch::Matchers::Contains;

namespace {

using test::slurp;
using TempDirBase = test::TempDir;
struct TempDir : TempDirBase {
    TempDir() : TempDirBase("records") {}
};

void spit(const std::string& path, const std::string& bytes)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

Record numbered(uint16_t worker, uint64_t conn)
{
    Record r{};
    r.worker = worker;
    r.conn = conn;
    r.template_id = kNoTemplate;
    return r;
}

}  // namespace

TEST_CASE("records: the ring's capacity is a power of two, at least 2", "[records]")
{
    CHECK(RecordRing(0).capacity() == 2);
    CHECK(RecordRing(1).capacity() == 2);
    CHECK(RecordRing(2).capacity() == 2);
    CHECK(RecordRing(3).capacity() == 4);
    CHECK(RecordRing(1000).capacity() == 1024);
    CHECK(RecordRing(1024).capacity() == 1024);
}

TEST_CASE("records: a full ring refuses a push; pop gives the oldest first", "[records]")
{
    RecordRing ring(4);
    for (uint64_t i = 0; i < 4; i++)
        REQUIRE(ring.try_push(numbered(0, i)));
    CHECK_FALSE(ring.try_push(numbered(0, 4)));

    Record out[8];
    REQUIRE(ring.pop(out, 3) == 3);
    for (uint64_t i = 0; i < 3; i++)
        CHECK(out[i].conn == i);
    // Room again; the indexes wrap past the end of the slots.
    REQUIRE(ring.try_push(numbered(0, 4)));
    REQUIRE(ring.try_push(numbered(0, 5)));
    REQUIRE(ring.try_push(numbered(0, 6)));
    CHECK_FALSE(ring.try_push(numbered(0, 7)));
    REQUIRE(ring.pop(out, 8) == 4);
    for (uint64_t i = 0; i < 4; i++)
        CHECK(out[i].conn == 3 + i);
    CHECK(ring.pop(out, 8) == 0);
}

TEST_CASE("records: a million records cross the ring between two threads once each, in order", "[records]")
{
    constexpr uint64_t kCount = 1'000'000;
    RecordRing ring(1024);
    std::thread producer([&ring] {
        for (uint64_t i = 0; i < kCount; i++) {
            Record r = numbered(0, i);
            r.tx_bytes = ~i;  // a second field: a torn copy shows
            while (!ring.try_push(r))
                std::this_thread::yield();
        }
    });
    uint64_t next = 0, bad = 0;
    std::vector<Record> out(300);
    while (next < kCount) {
        const size_t n = ring.pop(out.data(), out.size());
        for (size_t i = 0; i < n; i++, next++)
            bad += out[i].conn != next || out[i].tx_bytes != ~next;
        if (n == 0)
            std::this_thread::yield();
    }
    producer.join();
    CHECK(bad == 0);
    CHECK(next == kCount);
    CHECK(ring.pop(out.data(), out.size()) == 0);  // nothing more than was pushed
}

namespace {

void set_v4(uint8_t* a, const char* text) { REQUIRE(inet_pton(AF_INET, text, a) == 1); }
void set_v6(uint8_t* a, const char* text) { REQUIRE(inet_pton(AF_INET6, text, a) == 1); }

// Four records from three workers, each field set to something that shows
// when it lands in the wrong column.
std::vector<Record> sample_records()
{
    Record a = numbered(0, 7);
    set_v4(a.local_addr, "198.18.0.1");
    set_v4(a.remote_addr, "198.18.1.2");
    a.local_port = 40007;
    a.remote_port = 80;
    a.outcome = Outcome::Completed;
    a.template_id = 1;
    a.retransmits = 1;
    a.impair_dropped = 2;
    a.tx_bytes = 100;
    a.rx_bytes = 200;
    a.sched_ns = 1000;
    a.syn_ns = 1001;
    a.established_ns = 2000;
    a.first_tx_ns = 3000;
    a.first_rx_ns = 4000;
    a.last_byte_ns = 5000;
    a.fin_tx_ns = 6000;
    a.fin_rx_ns = 7000;
    a.closed_ns = 8000;

    Record b = a;  // the same worker's next: unfinished, no FIN yet
    b.conn = 8;
    b.local_port = 40008;
    b.template_id = 0;
    b.outcome = Outcome::Unfinished;
    b.fin_tx_ns = b.fin_rx_ns = b.closed_ns = 0;

    Record c = numbered(1, 0);  // a server's, over IPv6, reset
    c.v6 = 1;
    c.side = Side::Server;
    set_v6(c.local_addr, "fd00::1");
    set_v6(c.remote_addr, "fd00::2:3");
    c.local_port = 443;
    c.remote_port = 50000;
    c.outcome = Outcome::Failed;
    c.cause = Cause::Reset;
    c.sched_ns = c.syn_ns = 10;
    c.closed_ns = 1'700'000'000'123'456'789;
    c.retransmits = 3;

    Record d = numbered(2, 3);  // refused: only the SYN
    set_v4(d.local_addr, "10.0.0.2");
    set_v4(d.remote_addr, "10.0.0.1");
    d.local_port = 1024;
    d.remote_port = 8080;
    d.outcome = Outcome::Failed;
    d.cause = Cause::Refused;
    d.template_id = 0;
    d.sched_ns = 50;
    d.syn_ns = 60;
    d.closed_ns = 70;
    return {a, b, c, d};
}

const std::vector<std::string> kNames = {"home", "api"};

const char* const kHeader =
    "worker,conn,side,template,local_addr,local_port,remote_addr,remote_port,outcome,cause,sched_ns,syn_ns,"
    "established_ns,first_tx_ns,first_rx_ns,last_byte_ns,fin_tx_ns,fin_rx_ns,closed_ns,tx_bytes,rx_bytes,"
    "retransmits,impair_dropped";

// sample_records() as CSV, by hand.
const std::vector<std::string> kCsvLines = {
    "0,7,client,api,198.18.0.1,40007,198.18.1.2,80,completed,,1000,1001,2000,3000,4000,5000,6000,7000,8000,100,200,1,2",
    "0,8,client,home,198.18.0.1,40008,198.18.1.2,80,unfinished,,1000,1001,2000,3000,4000,5000,,,,100,200,1,2",
    "1,0,server,,fd00::1,443,fd00::2:3,50000,failed,reset,10,10,,,,,,,1700000000123456789,0,0,3,0",
    "2,3,client,home,10.0.0.2,1024,10.0.0.1,8080,failed,refused,50,60,,,,,,,70,0,0,0,0",
};

// Pushes the samples into their workers' rings (3), then runs the writer.
std::string write_samples(const std::string& path, Format f)
{
    auto w = RecordWriter::open(WriterConfig{path, f, 3, kNames, 16});
    REQUIRE(w);
    for (const Record& r : sample_records())
        REQUIRE((*w)->ring(r.worker).try_push(r));
    (*w)->start();
    REQUIRE((*w)->finish());
    CHECK((*w)->written() == 4);
    return slurp(path);
}

std::string header_bytes(const std::vector<std::string>& names, uint32_t version = 1, uint32_t record_size = 152)
{
    std::string h("XDPGREC\0", 8);
    auto put = [&h](const void* p, size_t n) { h.append(static_cast<const char*>(p), n); };
    const uint32_t count = static_cast<uint32_t>(names.size());
    put(&version, 4);
    put(&record_size, 4);
    put(&count, 4);
    for (const auto& n : names) {
        const uint16_t len = static_cast<uint16_t>(n.size());
        put(&len, 2);
        put(n.data(), n.size());
    }
    return h;
}

std::string record_bytes(const Record& r) { return std::string(reinterpret_cast<const char*>(&r), sizeof(r)); }

struct ReadBack {
    Result<BinaryHeader> header = make_error("not read");
    std::vector<Record> records;
};

ReadBack read_back(const std::string& path)
{
    ReadBack rb;
    rb.header = read_binary(path, [&rb](const Record& r) { rb.records.push_back(r); });
    return rb;
}

}  // namespace

TEST_CASE("records: format names, and the format a path's extension chooses", "[records]")
{
    for (Format f : {Format::Csv, Format::Jsonl, Format::Binary}) {
        auto p = parse_format(format_name(f));
        REQUIRE(p);
        CHECK(p.value() == f);
    }
    auto bad = parse_format("xml");
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message(), Contains("'xml'"));
    CHECK_THAT(bad.error().hint, Contains("csv") && Contains("jsonl") && Contains("binary"));

    CHECK(format_for_path("conns.jsonl") == Format::Jsonl);
    CHECK(format_for_path("conns.json") == Format::Jsonl);
    CHECK(format_for_path("/tmp/x/conns.bin") == Format::Binary);
    CHECK(format_for_path("conns.xrec") == Format::Binary);
    CHECK(format_for_path("conns.csv") == Format::Csv);
    CHECK(format_for_path("conns") == Format::Csv);
    CHECK(format_for_path("bin") == Format::Csv);
}

TEST_CASE("records: the words for causes and outcomes", "[records]")
{
    CHECK(std::string(cause_name(Cause::None)).empty());
    CHECK(std::string(cause_name(Cause::Timeout)) == "timeout");
    CHECK(std::string(cause_name(Cause::Refused)) == "refused");
    CHECK(std::string(cause_name(Cause::Reset)) == "reset");
    CHECK(std::string(cause_name(Cause::HttpStatus)) == "http_status");
    CHECK(std::string(cause_name(Cause::HttpMalformed)) == "http_malformed");
    CHECK(std::string(cause_name(Cause::Verify)) == "verify");
    CHECK(std::string(cause_name(Cause::ExpectMismatch)) == "expect_mismatch");
    CHECK(std::string(cause_name(Cause::PeerClosed)) == "peer_closed");
    CHECK(std::string(outcome_name(Outcome::Completed)) == "completed");
    CHECK(std::string(outcome_name(Outcome::Failed)) == "failed");
    CHECK(std::string(outcome_name(Outcome::Unfinished)) == "unfinished");
}

TEST_CASE("records: a record as a CSV line and as JSON", "[records]")
{
    const auto recs = sample_records();
    CHECK(csv_header() == kHeader);
    for (size_t i = 0; i < recs.size(); i++)
        CHECK(to_csv(recs[i], kNames) == kCsvLines[i]);

    // The JSON keys are the CSV columns, in the same order.
    const auto j = nlohmann::ordered_json::parse(to_jsonl(recs[2], kNames));
    std::string keys;
    for (const auto& [k, v] : j.items())
        keys += (keys.empty() ? "" : ",") + k;
    CHECK(keys == kHeader);
    CHECK(j["side"] == "server");
    CHECK(j["template"].is_null());
    CHECK(j["local_addr"] == "fd00::1");
    CHECK(j["cause"] == "reset");
    CHECK(j["established_ns"].is_null());
    CHECK(j["closed_ns"] == 1'700'000'000'123'456'789ull);
    CHECK(j["retransmits"] == 3);

    // An id the names do not reach is shown, not hidden or thrown on.
    Record odd = recs[0];
    odd.template_id = 9;
    CHECK_THAT(to_csv(odd, kNames), Contains(",client,#9,"));
    CHECK(nlohmann::json::parse(to_jsonl(odd, {}))["template"] == "#9");
}

TEST_CASE("records: CSV quotes a template name with a comma, a quote or a newline; JSON escapes it", "[records]")
{
    const std::vector<std::string> names = {"get, \"big\"", "two\nlines", "plain"};
    Record r = sample_records()[0];
    r.template_id = 0;
    CHECK_THAT(to_csv(r, names), Contains(",client,\"get, \"\"big\"\"\",198.18.0.1,"));
    r.template_id = 1;
    CHECK_THAT(to_csv(r, names), Contains(",client,\"two\nlines\",198.18.0.1,"));
    r.template_id = 2;
    CHECK_THAT(to_csv(r, names), Contains(",client,plain,198.18.0.1,"));
    for (uint16_t id = 0; id < names.size(); id++) {
        r.template_id = id;
        const std::string line = to_jsonl(r, names);
        CHECK(line.find('\n') == std::string::npos);
        CHECK(nlohmann::json::parse(line)["template"] == names[id]);
    }
    // Bytes that are not UTF-8 (a damaged file) are replaced, not thrown on.
    CHECK_NOTHROW(nlohmann::json::parse(to_jsonl(r, {"\xff\xfe", "", "x"})));
}

TEST_CASE("records: the writer's CSV file is the header line, then each ring's records in turn", "[records]")
{
    TempDir dir;
    const auto lines = lines_of(write_samples(dir.file("r.csv"), Format::Csv));
    std::vector<std::string> expected = {kHeader};
    expected.insert(expected.end(), kCsvLines.begin(), kCsvLines.end());
    CHECK(lines == expected);
}

TEST_CASE("records: the writer's JSON lines parse back to the records", "[records]")
{
    TempDir dir;
    const std::string text = write_samples(dir.file("r.jsonl"), Format::Jsonl);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 4);
    CHECK(text.back() == '\n');
    const auto recs = sample_records();
    for (size_t i = 0; i < lines.size(); i++) {
        const auto j = nlohmann::json::parse(lines[i]);
        CHECK(j.size() == 23);
        CHECK(j["worker"] == recs[i].worker);
        CHECK(j["conn"] == recs[i].conn);
        CHECK(j["local_port"] == recs[i].local_port);
        CHECK(j["tx_bytes"] == recs[i].tx_bytes);
        CHECK(j["outcome"] == outcome_name(recs[i].outcome));
    }
    const auto a = nlohmann::json::parse(lines[0]);
    CHECK(a["template"] == "api");
    CHECK(a["cause"].is_null());
    CHECK(a["sched_ns"] == 1000);
    CHECK(a["closed_ns"] == 8000);
    CHECK(a["impair_dropped"] == 2);
    const auto b = nlohmann::json::parse(lines[1]);
    CHECK(b["template"] == "home");
    CHECK(b["fin_tx_ns"].is_null());
    CHECK(b["closed_ns"].is_null());
    const auto d = nlohmann::json::parse(lines[3]);
    CHECK(d["cause"] == "refused");
    CHECK(d["remote_addr"] == "10.0.0.1");
}

TEST_CASE("records: the writer's binary file is the header and the records' bytes, read back the same", "[records]")
{
    TempDir dir;
    const auto recs = sample_records();
    const std::string bytes = write_samples(dir.file("r.bin"), Format::Binary);
    std::string expected = header_bytes(kNames);
    for (const auto& r : recs)
        expected += record_bytes(r);
    CHECK(bytes == expected);

    const auto rb = read_back(dir.file("r.bin"));
    REQUIRE(rb.header);
    CHECK(rb.header.value().version == 1);
    CHECK(rb.header.value().record_size == 152);
    CHECK(rb.header.value().template_names == kNames);
    REQUIRE(rb.records.size() == recs.size());
    for (size_t i = 0; i < recs.size(); i++)
        CHECK(std::memcmp(&rb.records[i], &recs[i], sizeof(Record)) == 0);
}

TEST_CASE("records: a run without records leaves a valid file in each form", "[records]")
{
    TempDir dir;
    for (Format f : {Format::Csv, Format::Jsonl, Format::Binary}) {
        const std::string path = dir.file(std::string("empty.") + format_name(f));
        auto w = RecordWriter::open(WriterConfig{path, f, 2, {}, 8});
        REQUIRE(w);
        // The header is in the file from open() on, before any record.
        CHECK(slurp(path) == (f == Format::Csv ? std::string(kHeader) + "\n" : f == Format::Binary ? header_bytes({}) : ""));
        REQUIRE((*w)->finish());
        CHECK((*w)->written() == 0);
    }
    const auto rb = read_back(dir.file("empty.binary"));
    REQUIRE(rb.header);
    CHECK(rb.header.value().template_names.empty());
    CHECK(rb.records.empty());
}

TEST_CASE("records: three workers push while the writer runs; written() reaches the count; each record lands once, in its worker's order",
          "[records]")
{
    constexpr uint64_t kPerWorker = 20'000;
    TempDir dir;
    const std::string path = dir.file("many.bin");
    auto w = RecordWriter::open(WriterConfig{path, Format::Binary, 3, {}, 64});
    REQUIRE(w);
    RecordWriter& writer = **w;
    writer.start();
    std::vector<std::thread> workers;
    for (uint16_t id = 0; id < 3; id++)
        workers.emplace_back([&writer, id] {
            for (uint64_t i = 0; i < kPerWorker; i++)
                while (!writer.ring(id).try_push(numbered(id, i)))
                    std::this_thread::yield();
        });
    for (auto& t : workers)
        t.join();
    // The writer flushes when the rings run dry; written() is read from here.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (writer.written() < 3 * kPerWorker && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    CHECK(writer.written() == 3 * kPerWorker);
    REQUIRE(writer.finish());
    CHECK(writer.written() == 3 * kPerWorker);

    std::map<uint16_t, uint64_t> next;
    uint64_t out_of_order = 0;
    const auto h = read_binary(path, [&](const Record& r) { out_of_order += r.conn != next[r.worker]++; });
    REQUIRE(h);
    CHECK(out_of_order == 0);
    CHECK(next == std::map<uint16_t, uint64_t>{{0, kPerWorker}, {1, kPerWorker}, {2, kPerWorker}});
}

TEST_CASE("records: the writer's thread is joined when finish() is not called", "[records]")
{
    TempDir dir;
    {
        auto w = RecordWriter::open(WriterConfig{dir.file("r.csv"), Format::Csv, 1, {}, 8});
        REQUIRE(w);
        (*w)->start();
        REQUIRE((*w)->ring(0).try_push(sample_records()[0]));
    }  // a std::thread destroyed while joinable would call std::terminate
    CHECK(lines_of(slurp(dir.file("r.csv"))).size() == 2);
}

TEST_CASE("records: open() refuses stdout and names a path it cannot create", "[records]")
{
    auto dash = RecordWriter::open(WriterConfig{"-", Format::Csv});
    REQUIRE_FALSE(dash);
    CHECK_THAT(dash.error().message(), Contains("stdout"));
    CHECK_THAT(dash.error().hint, Contains("file name"));

    auto missing = RecordWriter::open(WriterConfig{"/nonexistent-xdpgen-dir/r.csv", Format::Csv});
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message(), Contains("/nonexistent-xdpgen-dir/r.csv") && Contains("No such file"));
    CHECK_THAT(missing.error().hint, Contains("directory"));

    std::vector<std::string> many(4097, "t");
    auto names = RecordWriter::open(WriterConfig{"/tmp/unused", Format::Binary, 1, many});
    REQUIRE_FALSE(names);
    CHECK_THAT(names.error().message(), Contains("4097 template names"));
}

TEST_CASE("records: a full disk shows at open(), naming the file", "[records]")
{
    if (!std::filesystem::exists("/dev/full")) {
        WARN("no /dev/full here: not checked");
        return;
    }
    auto w = RecordWriter::open(WriterConfig{"/dev/full", Format::Binary});
    REQUIRE_FALSE(w);
    CHECK_THAT(w.error().message(), Contains("/dev/full") && Contains("No space left on device"));
}

namespace {

// A file size limit for this process, for as long as it lives: writes past
// it fail with EFBIG (SIGXFSZ ignored) as they would on a full disk.
struct FileSizeLimit {
    rlimit old{};
    struct sigaction old_sa {};
    explicit FileSizeLimit(rlim_t bytes)
    {
        REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        sigaction(SIGXFSZ, &ign, &old_sa);
        rlimit lim = old;
        lim.rlim_cur = bytes;
        REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    }
    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &old);
        sigaction(SIGXFSZ, &old_sa, nullptr);
    }
};

}  // namespace

TEST_CASE("records: finish() gives the first write error, naming the file", "[records]")
{
    TempDir dir;
    const std::string path = dir.file("short.bin");
    Status st;
    uint64_t written = 0;
    {
        FileSizeLimit limit(4096);  // the header fits, the records do not
        auto w = RecordWriter::open(WriterConfig{path, Format::Binary, 1, {}, 64});
        REQUIRE(w);
        for (uint64_t i = 0; i < 60; i++)
            REQUIRE((*w)->ring(0).try_push(numbered(0, i)));
        st = (*w)->finish();
        written = (*w)->written();
    }
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().message(), Contains(path) && Contains("File too large"));
    CHECK(written == 0);
}

TEST_CASE("records: the reader's errors say what is wrong and where", "[records]")
{
    TempDir dir;
    const std::string path = dir.file("bad.bin");
    auto error_of = [&](const std::string& bytes) {
        spit(path, bytes);
        auto rb = read_back(path);
        REQUIRE_FALSE(rb.header);
        return rb.header.error();
    };
    const std::string one = record_bytes(sample_records()[0]);

    SECTION("not a records file")
    {
        const Error e = error_of("\x89PNG\r\n\x1a\n and more");
        CHECK_THAT(e.message(), Contains(path) && Contains("is not a binary records file"));
        CHECK_THAT(e.hint, Contains("--records FILE.bin"));
        CHECK_THAT(error_of(std::string(kHeader) + "\n").hint, Contains("as text already"));
        CHECK_THAT(error_of("XDPGRE").message(), Contains("cut short"));  // the magic's start: a short file
        CHECK_THAT(error_of("XDPGRX").message(), Contains("is not a binary records file"));
    }
    SECTION("another version or record size")
    {
        CHECK_THAT(error_of(header_bytes({}, 2)).message(), Contains("records format version 2 (at byte 8)"));
        CHECK_THAT(error_of(header_bytes({}, 1, 144) + one).message(),
                   Contains("records of 144 bytes (at byte 12)") && Contains("152"));
    }
    SECTION("a truncated header")
    {
        CHECK_THAT(error_of("").message(), Contains("ends at byte 0, in the magic"));
        CHECK_THAT(error_of(header_bytes({}).substr(0, 14)).message(),
                   Contains("cut short: the file ends at byte 14, in the record size"));
        const std::string two = header_bytes({"home", "api"});
        CHECK_THAT(error_of(two.substr(0, two.size() - 4)).message(), Contains("in the length of template name 1"));
        CHECK_THAT(error_of(two.substr(0, two.size() - 1)).message(),
                   Contains("ends at byte " + std::to_string(two.size() - 1) + ", in template name 1"));
    }
    SECTION("too many template names")
    {
        std::string h = header_bytes({});
        const uint32_t count = 5000;
        std::memcpy(&h[16], &count, 4);
        CHECK_THAT(error_of(h).message(), Contains("5000 template names (at byte 16): at most 4096"));
    }
    SECTION("a partial record at the end, after the whole ones")
    {
        const std::string h = header_bytes({"home"});
        spit(path, h + one + one.substr(0, 100));
        auto rb = read_back(path);
        REQUIRE_FALSE(rb.header);
        CHECK_THAT(rb.header.error().message(),
                   Contains(fmt::format("a partial record at byte {} (100 of 152 bytes), after 1 whole record",
                                        h.size() + 152)));
        CHECK(rb.records.size() == 1);
    }
    SECTION("a file that cannot be read")
    {
        auto rb = read_back(dir.file("missing.bin"));
        REQUIRE_FALSE(rb.header);
        CHECK_THAT(rb.header.error().message(), Contains("missing.bin") && Contains("No such file"));
        rb = read_back(dir.path);
        REQUIRE_FALSE(rb.header);
        CHECK_THAT(rb.header.error().message(), Contains("Is a directory"));
    }
}

TEST_CASE("records: convert_records prints a binary file as CSV or JSON lines", "[records]")
{
    TempDir dir;
    const std::string path = dir.file("r.bin");
    write_samples(path, Format::Binary);

    std::ostringstream csv;
    REQUIRE(convert_records(path, Format::Csv, csv));
    std::vector<std::string> expected = {kHeader};
    expected.insert(expected.end(), kCsvLines.begin(), kCsvLines.end());
    CHECK(lines_of(csv.str()) == expected);

    std::ostringstream jsonl;
    REQUIRE(convert_records(path, Format::Jsonl, jsonl));
    const auto lines = lines_of(jsonl.str());
    const auto recs = sample_records();
    REQUIRE(lines.size() == recs.size());
    for (size_t i = 0; i < lines.size(); i++)
        CHECK(lines[i] == to_jsonl(recs[i], kNames));

    std::ostringstream none;
    CHECK_FALSE(convert_records(path, Format::Binary, none));
}

TEST_CASE("records: convert_records on a bad file gives the reader's error and no header line", "[records]")
{
    TempDir dir;
    const std::string path = dir.file("bad.bin");
    spit(path, "not records at all");
    std::ostringstream out;
    const Status st = convert_records(path, Format::Csv, out);
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().message(), Contains("is not a binary records file"));
    CHECK(out.str().empty());
}

// The worker's side: a stream handed to the live-frames data path keeps its
// first byte sent (the handover), its bytes and its last byte (the take-back).
TEST_CASE("flow log: a handed-over stream's times and bytes", "[records]")
{
    RecordRing ring(4);
    engine::FlowLog log;
    log.init(&ring, 2, 3, Side::Client);
    log.set_wall_offset(1'000);
    log.begin(1, 100, 90);
    log.progress(1, 200, true, 0, 0, false);
    log.handed_over(1, 200);
    log.progress(1, 5'000, true, 0, 65'536, false);
    log.taken_back(1, 9'000, true);
    log.progress(1, 9'100, true, 0, 34'464, true);
    const IpAddr local = *parse_ip("198.18.0.1");
    log.end(1, 9'500, {&local, *parse_ip("198.18.0.2"), 40000, 5201, 0}, Outcome::Completed, Cause::None);

    Record r{};
    REQUIRE(ring.pop(&r, 1) == 1);
    CHECK(r.worker == 3);
    CHECK(r.established_ns == 1'200);
    CHECK(r.first_tx_ns == 1'200);
    CHECK(r.last_byte_ns == 10'000);
    CHECK(r.fin_rx_ns == 10'100);
    CHECK(r.closed_ns == 10'500);
    CHECK(r.tx_bytes == 100'000);
    CHECK(r.rx_bytes == 0);
    CHECK(r.local_port == 40000);
    CHECK(r.remote_port == 5201);

    // Taken back before any byte left: no last byte.
    log.begin(0, 100, 100);
    log.handed_over(0, 150);
    log.taken_back(0, 400, false);
    log.end(0, 500, {&local, *parse_ip("198.18.0.2"), 40001, 5201, 0}, Outcome::Failed, Cause::Reset);
    REQUIRE(ring.pop(&r, 1) == 1);
    CHECK(r.first_tx_ns == 1'150);
    CHECK(r.last_byte_ns == 0);
    CHECK(r.cause == Cause::Reset);
}
