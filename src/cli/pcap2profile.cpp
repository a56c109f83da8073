// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/pcap2profile.hpp"

#include "program/fields.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace xdpgen {
namespace {

using pcapconv::Capture;
using pcapconv::Closer;
using pcapconv::Conversation;
using pcapconv::Dir;
using pcapconv::Turn;

std::string plural(size_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

std::string header(const Capture& cap, const ProfileRenderOptions& o)
{
    const size_t total = cap.conversations.size() + cap.skipped.size();
    std::string s = fmt::format("# made by xdpgen pcap2profile from {}: {}, {} skipped\n", o.capture_name,
                                plural(total, "conversation", "conversations"), cap.skipped.size());
    for (const auto& sk : cap.skipped)
        s += fmt::format("# skipped {}\n", skipped_line(sk));
    std::string left;
    for (const auto& [why, n] : cap.packets_left_out)
        left += fmt::format("{}{} {}", left.empty() ? "" : ", ", n, why);
    if (!left.empty())
        s += fmt::format("# packets in no conversation: {}\n", left);
    return s;
}

std::string closer_text(const Conversation& c)
{
    switch (c.closer) {
    case Closer::Client: return "client closed first";
    case Closer::Server: return "server closed first";
    case Closer::None: break;
    }
    return c.reset ? "no FIN seen (reset)" : "no FIN seen";
}

std::string tcp_line(const pcapconv::SynOptions& o)
{
    std::string s = "tcp = { ";
    // Within what a profile takes: a shift past 14 counts as 14 (RFC 7323
    // §2.3), an MSS under 88 as 88 (a capture on lo shows 65495).
    if (o.mss)
        s += fmt::format("mss = {}, ", std::max<unsigned>(*o.mss, 88));
    if (o.wscale)
        s += fmt::format("wscale = {}, ", std::min<unsigned>(*o.wscale, 14));
    return s + fmt::format("sack = {}, timestamps = {} }}\n", o.sack, o.timestamps);
}

// One template's steps, built turn by turn for both sides at once.
class TemplateWriter {
public:
    TemplateWriter(const Conversation& c, std::string conv, const ProfileRenderOptions& o,
                   std::vector<DataFile>& files)
        : c_(c), conv_(std::move(conv)), o_(o), files_(files)
    {
    }

    std::string text()
    {
        for (size_t i = 0; i < c_.turns.size(); ++i)
            turn(i);
        const bool server_closes = c_.closer == Closer::Server;
        step(client_, server_closes ? "recv_until_close = true" : "close = true");
        step(server_, server_closes ? "close = true" : "recv_until_close = true");
        // Port 0 is no port a profile takes: the template then goes to the target's.
        return fmt::format("[[template]]\nname = {}\n{}# captured {} -> {}, {}, {}\n{}client = [\n{}]\nserver = [\n{}]\n",
                           toml_quote(conv_), c_.server.port ? fmt::format("port = {}\n", c_.server.port) : "", c_.client.str(), c_.server.str(),
                           plural(c_.turns.size(), "turn", "turns"), closer_text(c_), tcp_line(c_.client_syn),
                           client_, server_);
    }

private:
    static void step(std::string& list, const std::string& s) { list += fmt::format("  {{ {} }},\n", s); }

    void turn(size_t i)
    {
        const Turn& t = c_.turns[i];
        if (t.dir == Dir::ServerToClient) {
            const std::string bytes = bytes_key("send", 's', ++server_turns_, t.bytes);
            step(client_, fmt::format("recv = {}", t.bytes.size()));
            step(server_, bytes);
            return;
        }
        if (o_.delays && i > 0)
            delay(c_.turns[i - 1].last_ns, t.first_ns);
        const std::string name = bytes_name('c', ++client_turns_);
        step(client_, bytes_key("send", t.bytes, name));
        step(server_, bytes_key("expect", t.bytes, name));
    }

    void delay(uint64_t from_ns, uint64_t to_ns)
    {
        const uint64_t ms = to_ns > from_ns ? (to_ns - from_ns + 500'000) / 1'000'000 : 0;
        if (ms >= 1)
            step(client_, fmt::format("delay_ms = {}", std::min<uint64_t>(ms, 86'400'000)));  // a profile's longest
    }

    std::string bytes_name(char side, size_t n) const { return fmt::format("{}.{}.{}{}.bin", o_.stem, conv_, side, n); }

    std::string bytes_key(const char* key, char side, size_t n, const std::string& bytes)
    {
        return bytes_key(key, bytes, bytes_name(side, n));
    }

    // `key = "text"` inline, or `key_file = "name"` and the file kept once.
    std::string bytes_key(const char* key, const std::string& bytes, const std::string& name)
    {
        if (fits_inline(bytes, o_.inline_max))  // a send's text may hold fields: its '$' doubled
            return fmt::format("{} = {}", key, toml_quote(std::string_view(key) == "send" ? program::escape_fields(bytes) : bytes));
        if (files_.empty() || files_.back().name != name)
            files_.push_back(DataFile{name, bytes});
        return fmt::format("{}_file = {}", key, toml_quote(name));
    }

    const Conversation& c_;
    std::string conv_;
    const ProfileRenderOptions& o_;
    std::vector<DataFile>& files_;
    std::string client_, server_;
    size_t client_turns_ = 0, server_turns_ = 0;
};

Status write_file(const std::string& path, const std::string& bytes)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f)
        return sys_error(fmt::format("cannot create {}", path), errno);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f)
        return sys_error(fmt::format("cannot write {}", path), errno);
    return {};
}

}  // namespace

std::string toml_quote(std::string_view s)
{
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default:
            if (c < 0x20 || c == 0x7f)
                out += fmt::format("\\u{:04X}", c);
            else
                out += ch;
        }
    }
    return out + "\"";
}

bool fits_inline(std::string_view s, size_t max)
{
    if (s.size() > max)
        return false;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' && c != '\t')
            return false;
    }
    return true;
}

std::string skipped_line(const pcapconv::SkippedConversation& s)
{
    return fmt::format("{} -> {}: {}", s.client.str(), s.server.str(), s.reason);
}

RenderedProfile render_profile(const Capture& cap, const ProfileRenderOptions& o)
{
    RenderedProfile r;
    r.toml = header(cap, o);
    for (size_t i = 0; i < cap.conversations.size(); ++i) {
        TemplateWriter w(cap.conversations[i], fmt::format("conv{}", i + 1), o, r.files);
        r.toml += fmt::format("\n{}", w.text());
    }
    return r;
}

Status write_profile(const RenderedProfile& r, const std::string& path, const std::string& data_dir)
{
    for (const DataFile& f : r.files) {
        const std::string p = data_dir.empty() ? f.name : (std::filesystem::path(data_dir) / f.name).string();
        if (auto st = write_file(p, f.bytes); !st)
            return st;
    }
    if (path != "-")
        return write_file(path, r.toml);
    if (std::fwrite(r.toml.data(), 1, r.toml.size(), stdout) != r.toml.size() || std::fflush(stdout) != 0)
        return sys_error("cannot write the profile to stdout", errno);
    return {};
}

std::string default_profile_path(const std::string& capture)
{
    std::filesystem::path p = std::filesystem::path(capture).filename();
    const std::string ext = p.extension().string();
    if (ext == ".pcap" || ext == ".pcapng" || ext == ".cap")
        p.replace_extension();
    return p.string() + ".toml";
}

std::string file_stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

}  // namespace xdpgen
