// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "program/fields.hpp"

#include "util/read_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace xdpgen::program {

namespace {

constexpr std::string_view kBuiltins[] = {"conn",        "request",     "local_addr", "local_port",
                                          "remote_addr", "remote_port", "time",       "random"};
constexpr const char* kSpecHint =
    "one of: counter [START], request, random LO HI, list A|B|C, list-random A|B|C, file PATH, file-random PATH, "
    "local_addr, local_port, remote_addr, remote_port, time; text fields may end with pad=C";
constexpr size_t kV4Width = 15;  // "255.255.255.255"
constexpr size_t kV6Width = 39;  // 8 groups of 4 hex digits and 7 colons

// The splitmix64 finaliser: every input bit flips about half the output bits.
uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

// FNV-1a, then mixed: a field's key from its name.
uint64_t hash_name(std::string_view s)
{
    uint64_t h = 0xcbf29ce484222325;
    for (unsigned char c : s)
        h = (h ^ c) * 0x100000001b3;
    return mix64(h);
}

// One 64-bit draw per (seed, conn, request, key), each input mixed in turn.
uint64_t draw(const FieldContext& ctx, uint64_t key)
{
    return mix64(mix64(mix64(ctx.seed ^ key) ^ ctx.conn) ^ ctx.request);
}

// h scaled onto [0, n): multiply-shift, bias at most n / 2^64.
uint64_t scale(uint64_t h, uint64_t n) { return uint64_t((unsigned __int128)h * n >> 64); }

size_t decimal_digits(uint64_t v)
{
    size_t n = 1;
    for (; v >= 10; v /= 10)
        ++n;
    return n;
}

// 10^w, or 0 when it does not fit 64 bits (then a value never wraps).
uint64_t pow10_or_0(size_t w)
{
    uint64_t p = 1;
    for (size_t i = 0; i < w; ++i) {
        if (p > UINT64_MAX / 10)
            return 0;
        p *= 10;
    }
    return p;
}

std::string_view trim(std::string_view s)
{
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool is_identifier(std::string_view s)
{
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (s.empty() || !alpha(s[0]))
        return false;
    return std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

Error spec_error(std::string_view spec, const std::string& why, std::string hint = kSpecHint)
{
    return make_error("field '" + std::string(spec) + "': " + why, 0, std::move(hint));
}

Result<uint64_t> parse_number(std::string_view spec, std::string_view s)
{
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > FieldDef::kMaxNumber)
        return spec_error(spec, std::string(1, '\'').append(s).append("' is not a number in 0..2^63"));
    return v;
}

// An item as a list or file gives it: what goes on the wire must not end a
// line early, and one item must not make a text huge.
Status check_item(std::string_view spec, std::string_view item, const std::string& where)
{
    if (item.empty())
        return spec_error(spec, "an empty item" + where, "remove the extra '|'");
    if (item.find_first_of("\r\n") != std::string_view::npos)
        return spec_error(spec, "an item holds a line break" + where, "");
    if (item.size() > FieldDef::kMaxItemBytes)
        return spec_error(spec, "an item is longer than 4 KiB" + where, "");
    return {};
}

Result<FieldDef> list_def(std::string_view spec, std::string_view args, ListOrder order)
{
    if (args.empty())
        return spec_error(spec, "a list needs items", "e.g. list a|b|c");
    auto items = std::make_shared<std::vector<std::string>>();
    for (size_t at = 0; at <= args.size();) {
        const size_t bar = std::min(args.find('|', at), args.size());
        const std::string_view item = trim(args.substr(at, bar - at));
        if (auto ok = check_item(spec, item, " (item " + std::to_string(items->size() + 1) + ")"); !ok)
            return ok.error();
        items->emplace_back(item);
        at = bar + 1;
    }
    if (items->size() > FieldDef::kMaxItems)
        return spec_error(spec, "more than 1000000 items", "");
    FieldDef d;
    d.kind = FieldKind::List;
    d.items = std::move(items);
    d.order = order;
    return d;
}

Result<std::string> read_whole(std::string_view spec, const std::string& path)
{
    return read_whole_file("field '" + std::string(spec) + "'", path);
}

// One item per non-empty line, trimmed; lines end in LF or CR LF.
Result<FieldDef> file_def(std::string_view spec, std::string_view path, ListOrder order)
{
    if (path.empty())
        return spec_error(spec, "file needs a path");
    auto data = read_whole(spec, std::string(path));
    if (!data)
        return data.error();
    const std::string_view all = data.value();
    auto items = std::make_shared<std::vector<std::string>>();
    size_t line_no = 0;
    for (size_t at = 0; at < all.size();) {
        const size_t nl = std::min(all.find('\n', at), all.size());
        std::string_view line = all.substr(at, nl - at);
        at = nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        line = trim(line);
        if (line.empty())
            continue;
        if (auto ok = check_item(spec, line, " (line " + std::to_string(line_no) + ")"); !ok)
            return ok.error();
        if (items->size() == FieldDef::kMaxItems)
            return spec_error(spec, "more than 1000000 items", "");
        items->emplace_back(line);
    }
    if (items->empty())
        return spec_error(spec, "the file has no items (no non-empty line)", "");
    FieldDef d;
    d.kind = FieldKind::List;
    d.items = std::move(items);
    d.order = order;
    return d;
}

Result<FieldDef> random_def(std::string_view spec, std::string_view args)
{
    const auto sp = args.find(' ');
    if (sp == std::string_view::npos)
        return spec_error(spec, "random needs LO and HI", "e.g. random 1 1000");
    auto lo = parse_number(spec, args.substr(0, sp));
    auto hi = parse_number(spec, trim(args.substr(sp + 1)));
    if (!lo)
        return lo.error();
    if (!hi)
        return hi.error();
    if (lo.value() > hi.value())
        return spec_error(spec, "LO is greater than HI", "e.g. random 1 1000");
    FieldDef d;
    d.kind = FieldKind::Random;
    d.lo = lo.value();
    d.hi = hi.value();
    return d;
}

// Kinds that take no arguments, by keyword.
bool plain_kind(std::string_view word, FieldKind& kind)
{
    static constexpr std::pair<std::string_view, FieldKind> kPlain[] = {
        {"request", FieldKind::Request},         {"local_addr", FieldKind::LocalAddr},
        {"local_port", FieldKind::LocalPort},    {"remote_addr", FieldKind::RemoteAddr},
        {"remote_port", FieldKind::RemotePort},  {"time", FieldKind::Time},
        {"conn", FieldKind::Conn},
    };
    for (const auto& [w, k] : kPlain)
        if (w == word) {
            kind = k;
            return true;
        }
    return false;
}

Result<FieldDef> def_from(std::string_view spec, std::string_view word, std::string_view args)
{
    if (word == "counter") {
        FieldDef d;
        if (!args.empty()) {
            auto start = parse_number(spec, args);
            if (!start)
                return start.error();
            d.lo = start.value();
        }
        return d;
    }
    if (word == "random")
        return random_def(spec, args);
    if (word == "list" || word == "list-random")
        return list_def(spec, args, word == "list" ? ListOrder::RoundRobin : ListOrder::Random);
    if (word == "file" || word == "file-random")
        return file_def(spec, args, word == "file" ? ListOrder::RoundRobin : ListOrder::Random);
    FieldDef d;
    if (!plain_kind(word, d.kind))
        return spec_error(spec, "unknown kind '" + std::string(word) + "'");
    if (!args.empty())
        return spec_error(spec, std::string(word) + " takes no arguments");
    return d;
}

// Dotted decimal (IPv4) or the full 39-character form (IPv6) into buf.
std::string_view format_addr(const IpAddr& a, char* buf)
{
    char* p = buf;
    if (!a.v6) {
        for (int i = 0; i < 4; ++i) {
            if (i)
                *p++ = '.';
            p = std::to_chars(p, buf + kV4Width, a.b[i]).ptr;
        }
        return {buf, size_t(p - buf)};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
        if (i && i % 2 == 0)
            *p++ = ':';
        *p++ = kHex[a.b[i] >> 4];
        *p++ = kHex[a.b[i] & 15];
    }
    return {buf, size_t(p - buf)};
}

// Bytes [from, from + n) of `text` padded to `width` with `pad`, on the left
// or the right. A text wider than `width` (only an address of the other
// family) is cut.
void copy_padded(std::string_view text, size_t width, bool left, char pad, size_t from, uint8_t* dst, size_t n)
{
    text = text.substr(0, width);
    const size_t text_at = left ? width - text.size() : 0;
    for (size_t i = 0; i < n; ++i) {
        const size_t pos = from + i;
        dst[i] = pos >= text_at && pos - text_at < text.size() ? uint8_t(text[pos - text_at]) : uint8_t(pad);
    }
}

}  // namespace

bool FieldDef::is_number() const
{
    return kind != FieldKind::List && kind != FieldKind::LocalAddr && kind != FieldKind::RemoteAddr;
}

size_t FieldDef::width(uint32_t max_requests, bool v6) const
{
    switch (kind) {
    case FieldKind::Conn: return std::max<size_t>(10, decimal_digits(lo));
    case FieldKind::Request: return max_requests == 0 ? 10 : decimal_digits(max_requests - 1);
    case FieldKind::Random: return decimal_digits(hi);
    case FieldKind::LocalPort:
    case FieldKind::RemotePort: return 5;
    case FieldKind::Time: return 16;
    case FieldKind::LocalAddr:
    case FieldKind::RemoteAddr: return v6 ? kV6Width : kV4Width;
    case FieldKind::List: {
        size_t w = 0;
        for (const auto& s : *items)
            w = std::max(w, s.size());
        return w;
    }
    }
    return 0;
}

Result<FieldDef> parse_field_def(std::string_view spec)
{
    std::string_view body = spec;
    char pad = ' ';
    const auto p = spec.rfind(" pad=");
    if (p != std::string_view::npos) {
        const std::string_view c = spec.substr(p + 5);
        if (c.size() != 1 || c[0] < 0x20 || c[0] > 0x7e)
            return spec_error(spec, "pad= takes one printable character", "e.g. pad=_ or pad=.");
        pad = c[0];
        body = spec.substr(0, p);
    }
    body = trim(body);
    const auto sp = body.find(' ');
    const std::string_view word = body.substr(0, sp);
    const std::string_view args = sp == std::string_view::npos ? std::string_view() : trim(body.substr(sp + 1));
    auto def = def_from(spec, word, args);
    if (!def)
        return def;
    if (p != std::string_view::npos && def->is_number())
        return spec_error(spec, "pad= is for text fields (lists, files, addresses): numbers are zero-padded", "");
    def->pad = pad;
    return def;
}

bool FieldDefs::is_builtin(std::string_view name)
{
    return std::find(std::begin(kBuiltins), std::end(kBuiltins), name) != std::end(kBuiltins);
}

Status FieldDefs::add(std::string_view name, FieldDef def)
{
    const std::string n(name);
    if (!is_identifier(name))
        return make_error("field name '" + n + "' is not a name", 0, "letters, digits and _, not a digit first");
    if (is_builtin(name))
        return make_error("field name '" + n + "' is built in", 0, "choose another name");
    // A definition made by hand, not by parse_field_def, must still render.
    if (def.kind == FieldKind::List && (!def.items || def.items->empty()))
        return make_error("field '" + n + "' is a list without items");
    if (def.kind == FieldKind::Random && (def.lo > def.hi || def.hi > FieldDef::kMaxNumber))
        return make_error("field '" + n + "': random needs LO <= HI <= 2^63");
    if (!defs_.emplace(n, std::move(def)).second)
        return make_error("field '" + n + "' is defined twice");
    return {};
}

const FieldDef* FieldDefs::find(std::string_view name) const
{
    const auto it = defs_.find(name);
    return it == defs_.end() ? nullptr : &it->second;
}

namespace {

// What ${inner} at byte `at` of a text stands for: a definition and the key
// its draws hash. `index`: the field's index in the text.
Result<std::pair<FieldDef, uint64_t>> resolve(std::string_view inner, size_t at, size_t index,
                                              const FieldDefs& defs)
{
    const std::string where = " at byte " + std::to_string(at);
    if (inner.empty())
        return make_error("empty field name '${}'" + where, 0, "write $$ for a literal '$'");
    if (inner.starts_with("random ")) {
        auto d = parse_field_def(inner);
        if (!d)
            return d.error().context("inline field" + where);
        return std::pair{std::move(d.value()), mix64(hash_name("${random}") ^ index)};
    }
    if (const FieldDef* d = defs.find(inner))
        return std::pair{*d, hash_name(inner)};
    if (inner == "random")
        return make_error("'${random}'" + where + " needs LO and HI", 0, "e.g. ${random 1 1000}");
    FieldDef d;
    if (plain_kind(inner, d.kind))
        return std::pair{d, hash_name(inner)};
    // "${list a|b}": a spec where a name belongs.
    if (inner.find(' ') != std::string_view::npos && inner[0] != ' ')
        return make_error("'${" + std::string(inner) + "}'" + where + ": only random LO HI can be inline", 0,
                          "define the field by name in the template's fields");
    return make_error("unknown field '" + std::string(inner) + "'" + where, 0,
                      "define it in the template's fields, or use a built-in: conn, request, local_addr, local_port, "
                      "remote_addr, remote_port, time, random LO HI");
}

}  // namespace

void FieldText::add_literal(std::string_view bytes)
{
    if (bytes.empty())
        return;
    pieces_.push_back(Piece{size_, uint32_t(bytes.size()), uint32_t(literal_.size()), false});
    literal_ += bytes;
    size_ += bytes.size();
}

void FieldText::add_field(Field f)
{
    pieces_.push_back(Piece{size_, f.width, uint32_t(fields_.size()), true});
    size_ += f.width;
    fields_.push_back(std::move(f));
}

Result<FieldText> FieldText::parse(std::string_view text, const FieldDefs& defs, uint32_t max_requests, bool v6)
{
    // Even if every byte were "$$", the rendering would pass the limit.
    if (text.size() > 2 * kMaxBytes)
        return make_error("the text renders to more than 1 MiB");
    FieldText t;
    std::string lit;
    for (size_t i = 0; i < text.size();) {
        const bool dollar = text[i] == '$' && i + 1 < text.size();
        if (dollar && text[i + 1] == '$') {
            lit += '$';
            i += 2;
            continue;
        }
        if (!dollar || text[i + 1] != '{') {
            lit += text[i++];
            continue;
        }
        // A field ends on its line: a brace further on is not its end.
        const size_t close = text.find_first_of("}\r\n", i + 2);
        if (close == std::string_view::npos || text[close] != '}')
            return make_error("unclosed '${' at byte " + std::to_string(i), 0, "close it with '}', or write $$ for a '$'");
        auto r = resolve(text.substr(i + 2, close - i - 2), i, t.fields_.size(), defs);
        if (!r)
            return r.error();
        auto& [def, key] = r.value();
        const size_t width = def.width(max_requests, v6);
        t.add_literal(lit);
        lit.clear();
        t.add_field(Field{std::move(def), key, uint32_t(width)});
        i = close + 1;
    }
    t.add_literal(lit);
    if (t.size_ > kMaxBytes)
        return make_error("the text renders to " + std::to_string(t.size_) + " bytes, more than 1 MiB", 0,
                          "use fewer or shorter fields, or a shorter text");
    return t;
}

void FieldText::render_field(const Field& f, const FieldContext& ctx, size_t from, uint8_t* dst, size_t n) const
{
    const FieldDef& d = f.def;
    char buf[kV6Width + 1];
    switch (d.kind) {
    case FieldKind::List: {
        const auto& items = *d.items;
        const uint64_t k = d.order == ListOrder::Random ? scale(draw(ctx, f.key), items.size())
                                                        : (ctx.conn + ctx.request) % items.size();
        copy_padded(items[k], f.width, false, d.pad, from, dst, n);
        return;
    }
    case FieldKind::LocalAddr:
    case FieldKind::RemoteAddr: {
        const IpAddr& a = d.kind == FieldKind::LocalAddr ? ctx.local_addr : ctx.remote_addr;
        copy_padded(format_addr(a, buf), f.width, false, d.pad, from, dst, n);
        return;
    }
    default: break;
    }
    uint64_t v = 0;
    switch (d.kind) {
    case FieldKind::Conn: v = d.lo + ctx.conn; break;
    case FieldKind::Request: v = ctx.request; break;
    case FieldKind::Random: v = d.lo + scale(draw(ctx, f.key), d.hi - d.lo + 1); break;
    case FieldKind::LocalPort: v = ctx.local_port; break;
    case FieldKind::RemotePort: v = ctx.remote_port; break;
    case FieldKind::Time: v = ctx.start_unix_us; break;
    default: break;
    }
    // A value past its width keeps its last digits: the width never changes.
    if (const uint64_t wrap = pow10_or_0(f.width))
        v %= wrap;
    const char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
    copy_padded({buf, size_t(end - buf)}, f.width, true, '0', from, dst, n);
}

void FieldText::render(const FieldContext& ctx, uint64_t off, std::span<uint8_t> dst) const
{
    size_t done = 0;
    if (off < size_) {
        // The last piece starting at or before off.
        auto it = std::upper_bound(pieces_.begin(), pieces_.end(), off,
                                   [](uint64_t o, const Piece& p) { return o < p.at; }) - 1;
        for (; done < dst.size() && it != pieces_.end(); ++it) {
            const size_t from = off + done - it->at;
            const size_t n = std::min<size_t>(it->len - from, dst.size() - done);
            if (it->is_field)
                render_field(fields_[it->index], ctx, from, dst.data() + done, n);
            else
                std::memcpy(dst.data() + done, literal_.data() + it->index + from, n);
            done += n;
        }
    }
    // Past the rendering: a caller's bug, made visible as zeros.
    std::fill(dst.begin() + done, dst.end(), 0);
}

std::string FieldText::render_all(const FieldContext& ctx) const
{
    std::string s(size_, '\0');
    render(ctx, 0, {reinterpret_cast<uint8_t*>(s.data()), s.size()});
    return s;
}

std::string escape_fields(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    for (char c : bytes) {
        out += c;
        if (c == '$')
            out += '$';
    }
    return out;
}

}  // namespace xdpgen::program
