// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A capture's conversations as a traffic profile: one template per TCP
// conversation, the client's and the server's side of it as lists of
// steps, each turn's bytes inline when short and printable, else in a
// data file beside the profile. Same capture, same text and files.

#include <string>
#include <string_view>
#include <vector>

#include "cli/pcap_conversations.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct ProfileRenderOptions {
    std::string capture_name;  // named in the first comment
    std::string stem;          // data files are "<stem>.<conv>.<c|s><n>.bin"
    bool delays = false;       // the client's pauses before its turns, as delay_ms
    size_t inline_max = 256;   // longer turns go to files
};

struct DataFile {
    std::string name;  // bare: relative to the profile's directory
    std::string bytes;
};

struct RenderedProfile {
    std::string toml;
    std::vector<DataFile> files;
};

RenderedProfile render_profile(const pcapconv::Capture& cap, const ProfileRenderOptions& o);

// A TOML basic string, quoted: \r \n \t \" \\ and \uXXXX for other control bytes.
std::string toml_quote(std::string_view s);
// Short enough and only printable ASCII, \r, \n or \t.
bool fits_inline(std::string_view s, size_t max);
// "A -> B: reason", as the comments and the command print a skipped conversation.
std::string skipped_line(const pcapconv::SkippedConversation& s);

// The profile at `path` ("-": stdout) and the data files in `data_dir`.
Status write_profile(const RenderedProfile& r, const std::string& path, const std::string& data_dir);

// "dir/x.pcapng" -> "x.toml": the capture's name, in the current directory.
std::string default_profile_path(const std::string& capture);
// "dir/x.toml" -> "x": what the data files' names begin with.
std::string file_stem(const std::string& path);

}  // namespace xdpgen
