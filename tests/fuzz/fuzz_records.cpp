// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// read_binary over a fuzzer-made records file: it never crashes, what it
// accepts is exactly a header and whole records (re-encoded, the same
// bytes), and each record prints as a CSV line of 23 fields and a JSON
// object that parses back.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "records/binary_format.hpp"
#include "records/format.hpp"
#include "records/reader.hpp"

using namespace xdpgen::records;

namespace {

// Fields of an RFC 4180 line: commas outside quotes, plus one.
size_t csv_fields(const std::string& line)
{
    size_t fields = 1;
    bool quoted = false;
    for (char c : line) {
        if (c == '"')
            quoted = !quoted;
        else if (c == ',' && !quoted)
            fields++;
    }
    return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // read_binary takes a path: one file per process, rewritten each run.
    static const std::string path = "/tmp/xdpgen-fuzz-records." + std::to_string(getpid()) + ".bin";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
        return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);

    std::vector<std::string> names;
    size_t offset = 0;
    auto on_header = [&](const BinaryHeader& h) {
        names = h.template_names;
        offset = encode_header(names).size();
    };
    auto on_record = [&](const Record& r) {
        FUZZ_CHECK(offset + sizeof(r) <= size && std::memcmp(&r, data + offset, sizeof(r)) == 0);
        offset += sizeof(r);
        FUZZ_CHECK(csv_fields(to_csv(r, names)) == 23);
        const auto j = nlohmann::json::parse(to_jsonl(r, names), nullptr, false);
        FUZZ_CHECK(!j.is_discarded() && j.size() == 23);
    };
    auto h = read_binary(path, on_header, on_record);
    if (!h)
        return 0;
    FUZZ_CHECK(h.value().version == kBinaryVersion && h.value().record_size == kRecordSize);
    FUZZ_CHECK(offset == size);  // every byte was the header or a whole record
    return 0;
}
