// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Fields: parts of a profile's payload text that vary per connection or per
// request, e.g. a path "/item/${id}" or a header "User-Agent: ${ua}".
//
// Why fixed widths
// ----------------
// A program's send stream is generated lazily by stream offset, with the
// byte offsets of its steps compiled once for every connection. So every
// rendering of a text has the same size: each field renders to a width fixed
// for the whole run.
//   - Numbers are zero-padded on the left and keep their last `width`
//     digits (a value past its width wraps, it never widens the text):
//       conn, counter [START]   10 digits (more if START has more): START + conn
//       request                 digits of max_requests - 1 (at least 1);
//                               10 when max_requests is 0 (no limit)
//       random LO HI            digits of HI
//       local_port, remote_port 5 digits ("00080": RFC 3986 allows leading
//                               zeros, and a space would break a request line)
//       time                    16 digits: the connection's start, Unix microseconds
//   - Text is padded on the right with the field's pad character (default a
//     space: trailing spaces are not part of an HTTP header value, RFC 9110
//     §5.5, so put such a field at the end of a header value):
//       list, list-random, file, file-random   the longest item
//       local_addr, remote_addr  IPv4: dotted decimal, padded to 15;
//                                IPv6: all 8 groups of 4 hex digits, exactly
//                                39, never padded (valid in a URL's [host]).
//                                The family is the one the text was parsed for;
//                                an IPv6 address in an IPv4 text is cut at 15.
//
// What a value depends on
// -----------------------
// Only on the FieldContext: same context, same bytes (a retransmission
// regenerates them). Draws (random, list-random) hash (seed, conn, request,
// the field's key): a named field's key is its name, so ${id} twice in one
// text renders the same value (the id in the path and in a header agree);
// each inline ${random LO HI} has its own key, from its index in the text.
// list and file take item (conn + request) mod n: consecutive connections
// start one item apart, and a connection's requests rotate through the items.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/addr.hpp"
#include "util/result.hpp"

namespace xdpgen::program {

// What a field's value depends on.
struct FieldContext {
    uint64_t conn = 0;     // the connection's number in the run (0, 1, 2, ...)
    uint64_t request = 0;  // the request's number within the connection (0-based)
    uint64_t seed = 0;
    IpAddr local_addr, remote_addr;
    uint16_t local_port = 0, remote_port = 0;
    uint64_t start_unix_us = 0;  // the connection's start, wall clock, microseconds
};

enum class FieldKind : uint8_t { Conn, Request, Random, List, LocalAddr, LocalPort, RemoteAddr, RemotePort, Time };
enum class ListOrder : uint8_t { RoundRobin, Random };

// One field's definition (a profile's [template.fields] entry, or inline).
struct FieldDef {
    static constexpr uint64_t kMaxNumber = uint64_t(1) << 63;  // counter START, random LO and HI
    static constexpr size_t kMaxItemBytes = 4096;
    static constexpr size_t kMaxItems = 1'000'000;

    FieldKind kind = FieldKind::Conn;
    uint64_t lo = 0;  // Conn: START; Random: the lowest value
    uint64_t hi = 0;  // Random: the highest value
    // List: non-empty, without CR or LF, at most kMaxItemBytes each. Shared:
    // every text that uses the field points at the same items.
    std::shared_ptr<const std::vector<std::string>> items;
    ListOrder order = ListOrder::RoundRobin;
    char pad = ' ';  // text kinds (List, addresses): the right padding

    bool is_number() const;
    // The rendered width (see the header comment); the request count and
    // the address family are the text's.
    size_t width(uint32_t max_requests, bool v6) const;
};

// A field definition from its compact spec (a profile's
// `fields = { id = "counter", n = "random 1 1000", ua = "list curl/8.0|Mozilla/5.0 (X11)" }`):
//   "counter" | "counter START" | "request" | "random LO HI"
//   | "list A|B|C" | "list-random A|B|C"    items trimmed of spaces and tabs; none empty
//   | "file PATH" | "file-random PATH"      one item per non-empty line (trimmed, CR LF or LF),
//                                           read now; PATH as given (relative: to the cwd)
//   | "local_addr" | "local_port" | "remote_addr" | "remote_port" | "time"
// Text kinds (lists, files, addresses) take a trailing " pad=C": C one
// printable ASCII character (a space included).
Result<FieldDef> parse_field_def(std::string_view spec);

// The named definitions a template provides. Built-ins need none.
class FieldDefs {
public:
    // The built-in names (usable in ${...} without a definition, not as a
    // definition's name): conn, request, local_addr, local_port, remote_addr,
    // remote_port, time; and "random", which begins an inline draw.
    static bool is_builtin(std::string_view name);
    // name: [A-Za-z_][A-Za-z0-9_]*, not built-in, not defined before.
    Status add(std::string_view name, FieldDef def);
    // Null when not defined here (built-ins are not).
    const FieldDef* find(std::string_view name) const;
    size_t size() const { return defs_.size(); }

private:
    std::map<std::string, FieldDef, std::less<>> defs_;
};

// A text with ${name} fields. Every rendering has the same size().
class FieldText {
public:
    static constexpr size_t kMaxBytes = 1 << 20;  // a rendering's size

    // `${name}`: a built-in or a name in defs; `${random LO HI}`: an inline
    // draw; `$$`: a literal '$'; a '$' before anything else is itself.
    // Unknown name, unclosed `${`, empty name, bad inline spec: an error
    // naming it and its byte position in `text` (0-based).
    // max_requests: the requests of a connection (0: no limit), for
    // ${request}'s width; v6: the run's address family, for the addresses'.
    static Result<FieldText> parse(std::string_view text, const FieldDefs& defs, uint32_t max_requests,
                                   bool v6 = false);

    size_t size() const { return size_; }  // the fixed rendered length
    bool has_fields() const { return !fields_.empty(); }

    // Bytes [off, off + dst.size()) of the rendering for ctx; off +
    // dst.size() <= size(). Allocates nothing, renders only the pieces the
    // slice covers; safe from many threads.
    void render(const FieldContext& ctx, uint64_t off, std::span<uint8_t> dst) const;
    std::string render_all(const FieldContext& ctx) const;  // tests, diagnostics

private:
    // A resolved field: its definition, the width it renders to, and the
    // key its draws hash.
    struct Field {
        FieldDef def;
        uint64_t key = 0;
        uint32_t width = 0;
    };
    // A run of literal bytes or one field, starting at `at` in the rendering.
    struct Piece {
        uint64_t at = 0;
        uint32_t len = 0;
        uint32_t index = 0;  // literal: offset in literal_; field: index in fields_
        bool is_field = false;
    };

    void add_literal(std::string_view bytes);
    void add_field(Field f);
    void render_field(const Field& f, const FieldContext& ctx, size_t from, uint8_t* dst, size_t n) const;

    std::string literal_;  // the literal pieces' bytes, back to back
    std::vector<Piece> pieces_;
    std::vector<Field> fields_;
    uint64_t size_ = 0;
};

// Bytes that must go out as they are through a text parsed for fields
// (a file's, a capture's): each '$' doubled.
std::string escape_fields(std::string_view bytes);

}  // namespace xdpgen::program
