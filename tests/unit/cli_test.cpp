// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The errors a user sees, through the real binary: parse errors and option
// values refused before anything is loaded or sent. Every input here fails
// before the engine touches BPF or a socket (or names an interface that does
// not exist), so the tests need no root and send nothing.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

struct Run {
    int status = -1;  // exit status; -1 if killed or not run
    std::string out, err;
};

std::string slurp(const std::string& path)
{
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::vector<std::string> lines(const std::string& s)
{
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        v.push_back(l);
    return v;
}

// Runs XDPGEN_BIN with args, stdout and stderr each captured to a temp file.
// A run that takes over 10 s is killed: none of these inputs should get far
// enough to wait for anything.
Run run_xdpgen(const std::vector<std::string>& args)
{
    char out_path[] = "/tmp/xdpgen_unit_out_XXXXXX";
    char err_path[] = "/tmp/xdpgen_unit_err_XXXXXX";
    const int out_fd = mkstemp(out_path);
    const int err_fd = mkstemp(err_path);
    REQUIRE(out_fd >= 0);
    REQUIRE(err_fd >= 0);

    std::vector<std::string> argv_s = {XDPGEN_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_fd);
    close(err_fd);
    REQUIRE(rc == 0);

    Run r;
    int ws = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const pid_t w = waitpid(pid, &ws, WNOHANG);
        if (w == pid)
            break;
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &ws, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    unlink(out_path);
    unlink(err_path);
    return r;
}

// A setup error as main prints it: exit status 2, nothing on stdout, one
// sentence on stderr holding every fragment, printed once, followed at most
// by one line that is a hint or CLI11's pointer to --help.
void check_one_error(const Run& r, const std::vector<std::string>& fragments)
{
    INFO("stderr:\n" << r.err << "stdout:\n" << r.out);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    const auto l = lines(r.err);
    REQUIRE(!l.empty());
    REQUIRE(l.size() <= 2);
    for (const auto& f : fragments)
        CHECK_THAT(l[0], Catch::Contains(f));
    if (l.size() == 2)
        CHECK((l[1] == "Run with --help for more information." || l[1].rfind("  hint: ", 0) == 0));
    CHECK_THAT(r.err, !Catch::Contains("terminate called") && !Catch::Contains("what()"));
}

}  // namespace

TEST_CASE("cli: unknown subcommand is a usage error", "[cli]")
{
    check_one_error(run_xdpgen({"frobnicate", "lo"}), {});
}

// The word the user mistyped must be named (CLI11's require_subcommand(1)
// would report only "A subcommand is required").
TEST_CASE("cli: unknown subcommand is named in the error", "[cli]")
{
    const Run r = run_xdpgen({"frobnicate", "lo"});
    INFO("stderr:\n" << r.err);
    CHECK_THAT(r.err, Catch::Contains("frobnicate"));
}

TEST_CASE("cli: missing required interface", "[cli]")
{
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2"}), {"--interface", "required"});
    check_one_error(run_xdpgen({"sink"}), {"--interface", "required"});
    // probe without one checks local mode (root, namespaces): tested in probe.sh.
}

TEST_CASE("cli: the interface as -i or as the last argument, not both", "[cli]")
{
    // Both forms reach the interface check (no such interface), not a usage error.
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "-i", "nosuch0"}), {"nosuch0", "does not exist"});
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "nosuch0"}), {"nosuch0", "does not exist"});
    check_one_error(run_xdpgen({"sink", "-i", "nosuch0"}), {"nosuch0", "does not exist"});
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "-i", "a0", "b0"}), {"excludes"});
}

TEST_CASE("cli: bad destination address", "[cli]")
{
    check_one_error(run_xdpgen({"udp", "-a", "not-an-ip", "lo"}), {"xdpgen: ", "--dst-addr", "not-an-ip"});
}

TEST_CASE("cli: bad destination MAC", "[cli]")
{
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "-m", "zz:zz", "lo"}), {"xdpgen: ", "--dst-mac", "zz:zz"});
}

TEST_CASE("cli: interface that does not exist", "[cli]")
{
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "no-such-if0"}), {"xdpgen: ", "no-such-if0", "not exist"});
}

TEST_CASE("cli: sink port out of range", "[cli]")
{
    check_one_error(run_xdpgen({"sink", "-p", "70000", "lo"}), {"xdpgen: ", "--dst-port", "70000"});
}

TEST_CASE("cli: sink XDP mode not native or skb", "[cli]")
{
    check_one_error(run_xdpgen({"sink", "--xdp-mode", "bogus", "lo"}), {"xdpgen: ", "--xdp-mode", "bogus"});
}

TEST_CASE("cli: zero threads", "[cli]")
{
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "-t", "0", "lo"}), {"--threads", "0"});
}

TEST_CASE("cli: --help lists the subcommands", "[cli]")
{
    const Run r = run_xdpgen({"--help"});
    INFO("stderr:\n" << r.err);
    CHECK(r.status == 0);
    for (const char* sub : {"udp", "sink", "probe", "client", "server", "tcp"}) {
        bool listed = false;  // a line of the Subcommands section starts with it
        for (const auto& l : lines(r.out))
            if (l.rfind(std::string("  ") + sub + " ", 0) == 0)
                listed = true;
        INFO(sub << " in:\n" << r.out);
        CHECK(listed);
    }
}

TEST_CASE("cli: udp --help lists its options", "[cli]")
{
    const Run r = run_xdpgen({"udp", "--help"});
    INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("--dst-addr") && Catch::Contains("--dyn-ports") &&
                          Catch::Contains("--num-packets") && Catch::Contains("--tx-path"));
}

TEST_CASE("cli: udp --tx-path is auto, live or xsk", "[cli]")
{
    check_one_error(run_xdpgen({"udp", "-a", "198.18.0.2", "--tx-path", "dpdk", "lo"}), {"--tx-path", "dpdk"});
}

TEST_CASE("cli: client target that is not HOST:PORT", "[cli]")
{
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2"}), {"xdpgen: ", "198.18.0.2", "HOST:PORT"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "fd00::1:80"}), {"xdpgen: ", "HOST:PORT"});
}

TEST_CASE("cli: client needs an interface", "[cli]")
{
    // Without -i only this host's servers (local mode): another address needs -i.
    check_one_error(run_xdpgen({"client", "198.18.0.2:80"}), {"198.18.0.2 is not an address of this host", "-i"});
}

TEST_CASE("cli: client program options that exclude each other", "[cli]")
{
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--send", "x", "--send-size", "3"}),
                    {"xdpgen: ", "--send"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--recv", "3", "--recv-http"}),
                    {"xdpgen: ", "--recv"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--http", "/", "--send", "x"}),
                    {"xdpgen: ", "--http"});
}

TEST_CASE("cli: client bad escape, port range, CPU list, zero-copy mode", "[cli]")
{
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--send", "\\xZZ"}), {"xdpgen: "});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--src-port-range", "9-3"}),
                    {"xdpgen: ", "--src-port-range"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--cores", "a-b"}), {"xdpgen: ", "--cores"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--zero-copy", "maybe"}),
                    {"xdpgen: ", "--zero-copy"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--send-file", "/nonexistent/file"}),
                    {"xdpgen: ", "/nonexistent/file"});
}

// The per-flow deadlines and start times are compact (README: timers): the
// waits that feed them are bounded, the same bound in every command.
TEST_CASE("cli: timers beyond what a flow can hold are refused", "[cli]")
{
    for (const char* cmd : {"client", "server"}) {
        const std::string target = "198.18.0.2:80";  // the client's target, the server's address
        INFO(cmd);
        check_one_error(run_xdpgen({cmd, "-i", "lo", target, "--time-wait", "1801"}), {"--time-wait", "1801"});
        check_one_error(run_xdpgen({cmd, "-i", "lo", target, "--timeout", "43201"}), {"--timeout", "43201"});
        check_one_error(run_xdpgen({cmd, "-i", "lo", target, "--connect-timeout", "3601"}),
                        {"--connect-timeout", "3601"});
    }
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--connect-timeout", "3601"}),
                    {"--connect-timeout", "3601"});
}

TEST_CASE("cli: client on an interface that does not exist", "[cli]")
{
    check_one_error(run_xdpgen({"client", "-i", "no-such-if0", "198.18.0.2:80"}), {"xdpgen: ", "no-such-if0"});
}

TEST_CASE("cli: tcp option values out of range", "[cli]")
{
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--cc", "cubic"}), {"--cc", "cubic"});
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--bytes", "0"}), {"--bytes 0"});
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--flows", "0"}), {"--flows", "0"});
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--bytes", "12Q"}), {"--bytes", "12Q"});
}

// Refused before the interface is looked at: no root needed, nothing probed or sent.
TEST_CASE("cli: tcp --data-path value that is not auto, live or engine", "[cli]")
{
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--data-path", "xdp"}),
                    {"xdpgen: ", "--data-path", "'xdp'", "auto, live or engine"});
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--data-path", ""}), {"--data-path", "auto, live or engine"});
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--data-path"}), {"--data-path"});
}

TEST_CASE("cli: tcp --help lists its options", "[cli]")
{
    const Run r = run_xdpgen({"tcp", "--help"});
    INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("--flows") && Catch::Contains("--payload") && Catch::Contains("--cc") &&
                          Catch::Contains("--bytes") && Catch::Contains("--duration") &&
                          Catch::Contains("--data-path"));
}

TEST_CASE("cli: a wrong --on-link-down is named in the error", "[cli]")
{
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "--on-link-down", "retry"}),
                    {"--on-link-down", "retry"});
    check_one_error(run_xdpgen({"server", "-i", "lo", "198.18.0.2:80", "--on-link-down", "wait:0"}),
                    {"--on-link-down", "wait:0"});
    check_one_error(run_xdpgen({"tcp", "-i", "lo", "198.18.0.2", "--on-link-down", "wait:x"}),
                    {"--on-link-down", "wait:x"});
}

// The README names the option: `--name` not followed by more of a longer
// option's name (--latency is not found in --latency-file).
bool mentions(const std::string& readme, const std::string& opt)
{
    for (size_t at = readme.find(opt); at != std::string::npos; at = readme.find(opt, at + 1)) {
        const size_t end = at + opt.size();
        const char next = end < readme.size() ? readme[end] : ' ';
        if (!std::isalnum(static_cast<unsigned char>(next)) && next != '-')
            return true;
    }
    return false;
}

// The long option an indented --help line starts with ("  -n,--connections
// UINT ...", "  --cps FLOAT ..."), or "".
std::string help_option(const std::string& line)
{
    size_t i = line.find_first_not_of(' ');
    if (i == 0 || i == std::string::npos)
        return {};
    if (line.compare(i, 1, "-") == 0 && i + 2 < line.size() && std::isalpha(static_cast<unsigned char>(line[i + 1])) &&
        line[i + 2] == ',')
        i += 3;
    if (line.compare(i, 2, "--") != 0)
        return {};
    size_t end = i + 2;
    while (end < line.size() && (std::islower(static_cast<unsigned char>(line[end])) ||
                                 std::isdigit(static_cast<unsigned char>(line[end])) || line[end] == '-'))
        end++;
    return end > i + 2 ? line.substr(i, end - i) : std::string{};
}

// Each command's options, as its --help lists them, are explained in the
// README under the same name: a new or renamed flag without its text fails here.
TEST_CASE("cli: every option in each command's --help is in the README", "[cli]")
{
    const std::string readme = slurp(XDPGEN_README);
    REQUIRE(readme.size() > 10000);

    for (const char* cmd : {"udp", "sink", "probe", "client", "server", "tcp", "pcap2profile", "records"}) {
        const Run r = run_xdpgen({cmd, "--help"});
        REQUIRE(r.status == 0);
        int seen = 0;
        for (const auto& l : lines(r.out)) {
            const std::string o = help_option(l);
            if (o.empty() || o == "--help")
                continue;
            seen++;
            INFO(cmd << " " << o);
            CHECK(mentions(readme, o));
        }
        INFO(cmd);
        CHECK(seen > 0);
    }
}

TEST_CASE("cli: client URL targets and HTTP request options, refused with their reason", "[cli]")
{
    check_one_error(run_xdpgen({"client", "-i", "lo", "https://198.18.0.2/"}), {"https is not supported yet"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "http://198.18.0.2/a", "--http", "/b"}),
                    {"--http /b", "both give the path"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "http://198.18.0.2:99999/"}), {"is not 1-65535"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "198.18.0.2:80", "-H", "A: b"}), {"give --http PATH or a URL"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "http://198.18.0.2/", "--method", "HEAD"}),
                    {"--method HEAD is not supported"});
    check_one_error(run_xdpgen({"client", "-i", "lo", "http://198.18.0.2/", "-H", "X: a\r\nY: b"}),
                    {"cannot hold a line break"});
}
