# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What xdpgen's benchmarks (tools/bench-*) share: arguments, checks, the test
bed and its cleanup, processes in a namespace, polling, CPU accounting,
medians, the machine's description and the report (Markdown, JSON, PNG).

Standard library only (Debian's /usr/bin/python3). Errors a benchmark cannot
go on from are raised as Fail(message, code): code 2 for usage and set-up
errors, 1 for a limit missed; main() turns them into one line on stderr and
the exit status, after the cleanup (every process we started ended by its
pid, every test bed taken down, no XDP program left on its interfaces).
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTBED = os.path.join(ROOT, "tools", "testbed")
HZ = os.sysconf("SC_CLK_TCK")
GEN_ADDR, PEER_ADDR = "198.18.0.1", "198.18.0.2"
PEER_MAC = "02:00:c6:12:00:02"  # tools/testbed's fixed MAC of the peer's end

EXIT_OK, EXIT_LIMIT, EXIT_SETUP, EXIT_INTERRUPTED = 0, 1, 2, 130


class Fail(Exception):
    """Ends the benchmark: message on stderr, exit with code (2 set-up/usage, 1 limit missed)."""

    def __init__(self, msg, code=EXIT_SETUP):
        super().__init__(msg)
        self.code = code


class Interrupted(Exception):
    pass


# ---- arguments ----

def int_in(lo, hi):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{s}' is not a whole number")
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is not in {lo}..{hi}")
        return v
    return parse


def float_in(lo, hi, lo_open=False):
    def parse(s):
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{s}' is not a number")
        if v > hi or v < lo or (lo_open and v == lo):
            raise argparse.ArgumentTypeError(f"{s} is not in {'(' if lo_open else '['}{lo:g}, {hi:g}]")
        return v
    return parse


def int_list(lo, hi):
    def parse(s):
        if not re.fullmatch(r"\d+(,\d+)*", s):
            raise argparse.ArgumentTypeError(f"'{s}' is not a list like 1,4")
        v = [int(x) for x in s.split(",")]
        if any(not lo <= x <= hi for x in v):
            raise argparse.ArgumentTypeError(f"'{s}': each must be in {lo}..{hi}")
        return v
    return parse


def cpu_list(s):
    """A CPU list for taskset/--cores: 0,1 or 0-1."""
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", s):
        raise argparse.ArgumentTypeError(f"a CPU list looks like 0,1 or 0-1, not '{s}'")
    return s


def prefix_arg(s):
    if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", s):
        raise argparse.ArgumentTypeError("a test bed prefix is 1-10 lower-case letters/digits")
    return s


class Parser(argparse.ArgumentParser):
    """argparse whose errors exit 2 with the program's name, as the old scripts did."""

    def __init__(self, prog, doc, **kw):
        super().__init__(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter, **kw)

    def add_common(self, prefix, out=True, build=True):
        self.add_argument("--prefix", type=prefix_arg, default=prefix, help=f"test bed prefix (default {prefix})")
        if build:
            self.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                              help="where xdpgen and tests/peers are built (default build)")
            self.add_argument("--no-build", action="store_true", help="use the binaries there as they are")
        if out:
            self.add_argument("--out", metavar="DIR",
                              help="report, JSON, plot and raw outputs (default bench-results/<name>-<date>)")
        self.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")


# ---- checks, building, binaries ----

def require_root():
    if os.geteuid() != 0:
        raise Fail("needs root (network namespaces, XDP)")


def require_tools(*names):
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise Fail(f"missing {', '.join(missing)} (tools/setup-deps --bench installs them)")


def setup_deps():
    r = subprocess.run([os.path.join(ROOT, "tools", "setup-deps"), "--bench"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Fail(f"tools/setup-deps --bench: {r.stderr.strip()}")


def build(build_dir, targets, no_build, optional=()):
    """Builds the targets (nice, a new build directory is Release) unless no_build. An optional
    target may not exist (a peer not in this tree yet): its failure is left to the caller's check."""
    if no_build:
        return
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release"], timeout=600)
    cmd = ["nice", "-n", "10", "cmake", "--build", build_dir, f"-j{os.cpu_count()}", "--target"]
    run(cmd + list(targets), timeout=3600)
    for t in optional:
        run(cmd + [t], timeout=3600, check=False)


def private_copies(build_dir, rel_paths, tmp, optional=()):
    """{name: path}: copies of the binaries in tmp, so that a rebuild during the runs changes nothing.
    A missing required one is a set-up error; a missing optional one maps to None."""
    out = {}
    for rel in list(rel_paths) + list(optional):
        src = os.path.join(build_dir, rel)
        name = os.path.basename(rel)
        if not os.access(src, os.R_OK):
            if rel in optional:
                out[name] = None
                continue
            raise Fail(f"no {rel} in {build_dir}: build first")
        out[name] = os.path.join(tmp, name)
        shutil.copy2(src, out[name])
    return out


# ---- processes ----

def run(cmd, timeout=60, check=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise Fail(f"{' '.join(cmd)}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[-500:]}")
    return r


def poll(pred, timeout, what, interval=0.05):
    """pred() until it returns something true, at most timeout seconds; Fail(what) after."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Fail(f"{what} (waited {timeout:g} s)")
        time.sleep(interval)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def first_line(text, limit=160):
    """The first non-empty line of a tool's error output (its sentence), cut to limit characters."""
    line = next((l.strip() for l in text.splitlines() if l.strip()), "")
    return line if len(line) <= limit else line[:limit - 1] + "…"


def tail(path, n=5):
    return "\n".join(read_text(path).strip().splitlines()[-n:])


def read_json(path):
    """An xdpgen --json report (or any JSON file); None when missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def last_json_line(text):
    """The last line of text that parses as a JSON object (the peers print one)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


class Child:
    """A process we started, in a session of its own: waited for with wait4 (its CPU time,
    children included once reaped), stopped by its pid only."""

    def __init__(self, cmd, out_path, stdout_path=None):
        self.cmd = cmd
        self.out_path = out_path
        self.out = open(out_path, "w")
        self.stdout = open(stdout_path, "w") if stdout_path else self.out
        self.p = subprocess.Popen(cmd, stdout=self.stdout, stderr=self.out if stdout_path else subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.p.pid
        self.rc = None
        self.cpu_s = None  # user+system, from wait4 once it has ended
        self.user_s = None
        self.started = time.monotonic()
        self.wall_s = None

    def poll(self):
        if self.rc is None:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.rc = os.waitstatus_to_exitcode(status)
                self.cpu_s = ru.ru_utime + ru.ru_stime
                self.user_s = ru.ru_utime
                self.wall_s = time.monotonic() - self.started
                self.p.returncode = self.rc  # reaped already: keep Popen from waiting again
        return self.rc

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
        return self.rc

    def send(self, sig):
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        """Signals it, waits at most grace seconds, then SIGKILL. Returns the exit code."""
        if self.poll() is None:
            self.send(sig)
            if self.wait(grace) is None:
                self.send(signal.SIGKILL)
                self.wait(5)
        for f in {self.out, self.stdout}:
            if not f.closed:
                f.close()
        return self.rc

    def text(self):
        return read_text(self.out_path)


# ---- CPU accounting ----

def proc_cpu_s(pid):
    """utime+stime of a running process (all its threads), seconds; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / HZ
    except (OSError, IndexError, ValueError):
        return None


def proc_times(pid):
    """(utime, stime) of a running process (all its threads), seconds; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / HZ, int(fields[12]) / HZ
    except (OSError, IndexError, ValueError):
        return None


def proc_children(pid):
    """The pids of a process's children (all its threads')."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        out += [int(x) for x in read_text(f"/proc/{pid}/task/{tid}/children").split()]
    return out


def proc_rss_bytes(pid):
    m = re.search(r"^VmRSS:\s+(\d+) kB", read_text(f"/proc/{pid}/status"), re.M)
    return int(m.group(1)) * 1024 if m else 0


class MachineTicks:
    """A snapshot of /proc/stat's first line. busy: all but idle and iowait; task: busy without irq
    and softirq (no process is charged for those; on veth they are mostly our own packets'); user."""

    def __init__(self):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
        self.t = time.monotonic()
        self.busy = sum(v) - v[3] - v[4]
        self.task = self.busy - v[5] - v[6]
        self.user = v[0] + v[1]

    def since(self, before):
        """{wall_s, busy_cpu_s, task_cpu_s, user_cpu_s} between two snapshots."""
        return {"wall_s": self.t - before.t, "busy_cpu_s": (self.busy - before.busy) / HZ,
                "task_cpu_s": (self.task - before.task) / HZ, "user_cpu_s": (self.user - before.user) / HZ}


def busy_pct(seconds=1.0):
    """The machine's busy time over the next `seconds`, in % of one CPU."""
    m0 = MachineTicks()
    time.sleep(seconds)
    d = MachineTicks().since(m0)
    return 100 * d["busy_cpu_s"] / d["wall_s"]


def wait_quiet(max_pct, timeout=60):
    """Waits (at most timeout s) until the machine is busy below max_pct % of one CPU; the last figure."""
    deadline = time.monotonic() + timeout
    while True:
        b = busy_pct()
        if b <= max_pct or time.monotonic() > deadline:
            return b


# ---- statistics ----

def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def spread(values):
    """(median, min, max) of the values that are not None; Nones when there are none."""
    v = [x for x in values if x is not None]
    return (statistics.median(v), min(v), max(v)) if v else (None, None, None)


def ratio(a, b):
    return a / b if a is not None and b else None


def rotate(items, k):
    """items rotated by k: interleaved rounds start each with another tool."""
    k %= len(items)
    return items[k:] + items[:k]


# ---- the test bed ----

class Testbed:
    """tools/testbed's two namespaces joined by a veth. Taken down by down() or by the Session,
    which first checks that no XDP program is left and detaches whatever is."""

    def __init__(self, session, prefix, queues=1, gro=False):
        self.session, self.prefix, self.queues, self.gro = session, prefix, queues, gro
        self.ns = {"gen": f"{prefix}gen", "peer": f"{prefix}peer"}
        self.ifname = {"gen": f"{prefix}0", "peer": f"{prefix}1"}
        self.is_up = False
        self.own_xdp = set()  # sides where a run put an XDP program on purpose (a peer XDP_DROP)

    def up(self):
        names = run(["ip", "netns", "list"]).stdout.split()
        if self.ns["gen"] in names or self.ns["peer"] in names:
            raise Fail(f"test bed '{self.prefix}' exists already (another run? if not: "
                       f"tools/testbed --prefix {self.prefix} down)")
        self.is_up = True
        self.session.beds.append(self)
        cmd = [TESTBED, "--prefix", self.prefix, "--queues", str(self.queues)] + (["--gro"] if self.gro else [])
        run(cmd + ["up"])
        run(self.exec("gen", ["ping", "-c1", "-W2", PEER_ADDR]), timeout=10)
        return self

    def exec(self, side, cmd):
        """The command line that runs cmd in the side's namespace."""
        return [TESTBED, "--prefix", self.prefix, "exec", side] + list(cmd)

    def sh(self, side, cmd, timeout=30, check=True):
        return run(["ip", "netns", "exec", self.ns[side]] + list(cmd), timeout=timeout, check=check)

    def listening(self, side, port):
        """Whether a TCP socket listens on port in the side's namespace."""
        return bool(self.sh(side, ["ss", "-Htln", f"sport = :{port}"], check=False).stdout.strip())

    def counters(self, side):
        """The side's interface counters (/sys/class/net/IF/statistics), read in its namespace."""
        d = f"/sys/class/net/{self.ifname[side]}/statistics"
        names = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_dropped", "tx_dropped"]
        r = self.sh(side, ["sh", "-c", "cat " + " ".join(f"{d}/{n}" for n in names)])
        return dict(zip(names, (int(x) for x in r.stdout.split())))

    def ethtool_stats(self, side):
        """ethtool -S of the side's interface as {name: value} (veth: per-queue XDP counters)."""
        r = self.sh(side, ["ethtool", "-S", self.ifname[side]], check=False)
        out = {}
        for line in r.stdout.splitlines():
            k, _, v = line.strip().partition(":")
            if v.strip().isdigit():
                out[k.strip()] = int(v)
        return out

    def peer_xdp_counts(self):
        """(XDP_DROP verdicts, full-ring drops) summed over the peer's veth queues."""
        s = self.ethtool_stats("peer")
        xdp = sum(v for k, v in s.items() if re.fullmatch(r"rx_queue_\d+_xdp_drops", k))
        ring = sum(v for k, v in s.items() if re.fullmatch(r"rx_queue_\d+_drops", k))
        return xdp, ring

    def xdp_attached(self, side):
        r = run(["ip", "-n", self.ns[side], "link", "show", self.ifname[side]], check=False)
        return re.search(r"\bxdp", r.stdout) is not None

    def attach_drop(self, obj):
        """A bare XDP_DROP (xdpgen's probe object, program xg_probe_drop) on the peer's end."""
        run(["ip", "-n", self.ns["peer"], "link", "set", "dev", self.ifname["peer"], "xdpdrv", "object", obj,
             "program", "xg_probe_drop"])
        self.own_xdp.add("peer")

    def detach(self, side):
        run(["ip", "-n", self.ns[side], "link", "set", "dev", self.ifname[side], "xdp", "off"], check=False)

    def check_no_xdp(self, after, expected=()):
        """Warns (and remembers, for the exit status) when an XDP program is still attached."""
        for side in ("gen", "peer"):
            if side not in expected and side not in self.own_xdp and self.xdp_attached(side):
                self.session.warn(f"WARNING: an XDP program is still attached to {self.ifname[side]} after {after}")
                self.session.xdp_left = True
                self.detach(side)

    def down(self):
        if not self.is_up:
            return
        self.session.stop_children()
        self.check_no_xdp("the runs")
        for side in ("gen", "peer"):  # also what the runs put on on purpose (a peer XDP_DROP)
            if self.xdp_attached(side):
                self.detach(side)
        subprocess.run([TESTBED, "--prefix", self.prefix, "down"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        self.is_up = False
        if self in self.session.beds:
            self.session.beds.remove(self)


# ---- the machine ----

def machine():
    """CPUs, model, memory, kernel, and the commit (git describe --always --dirty) of the sources."""
    model = next((l.split(":", 1)[1].strip() for l in read_text("/proc/cpuinfo").splitlines()
                  if l.startswith("model name")), "?")
    m = re.search(r"^MemTotal:\s+(\d+) kB", read_text("/proc/meminfo"), re.M)
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(int(m.group(1)) / 2**20, 1) if m else None,
            "kernel": os.uname().release, "commit": r.stdout.strip() if r.returncode == 0 else "unknown"}


def machine_line(m):
    return (f"{m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']:g} GiB, kernel {m['kernel']}; "
            f"sources at {m['commit']}")


# ---- formatting and the report ----

def fmt_int(v):
    return "–" if v is None else f"{v:,.0f}"


def fmt_f(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def fmt_range(lo, hi, digits=2):
    return "–" if lo is None else f"{lo:.{digits}f}–{hi:.{digits}f}"


def md_table(header, rows, align=None):
    """A Markdown table; align: one of 'l'/'r' per column (default: first left, the rest right)."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def gnuplot_terminal():
    """pngcairo when this gnuplot has it (gnuplot-nox may not), else png; None without gnuplot."""
    if shutil.which("gnuplot") is None:
        return None
    r = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return "pngcairo" if r.returncode == 0 else "png"


def gp_str(s):
    """A gnuplot string: double-quoted, so that a newline can be written as \\n."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def plot_bars(png, title, ylabel, categories, series, note=""):
    """Grouped bars: one group per category, one bar per series (name, medians, mins, maxs), error
    bars min-max. Returns png, or None (with a warning) when gnuplot is missing or fails."""
    term = gnuplot_terminal()
    if term is None:
        print("bench: no gnuplot (tools/setup-deps --bench installs gnuplot-nox): no plot", file=sys.stderr)
        return None
    series = [x for x in series if any(m is not None for m in x[1])]
    if not series:
        print("bench: nothing measured to plot: no plot", file=sys.stderr)
        return None
    base = os.path.splitext(png)[0]
    with open(base + ".dat", "w") as f:
        for i, cat in enumerate(categories):
            cols = []
            for _, med, lo, hi in series:
                m = med[i]
                cols += ["NaN", "NaN", "NaN"] if m is None else [f"{m:g}", f"{(lo[i] if lo[i] is not None else m):g}",
                                                               f"{(hi[i] if hi[i] is not None else m):g}"]
            f.write(json.dumps(cat) + " " + " ".join(cols) + "\n")
    plots = []
    for k, (name, *_rest) in enumerate(series):
        c = 2 + 3 * k
        plots.append(f"{gp_str(base + '.dat')} using {c}:{c + 1}:{c + 2}:xtic(1) title {gp_str(name)}")
    script = "\n".join([
        f"set terminal {term} size 1000,640",
        f"set output {gp_str(png)}",
        f"set title {gp_str(title + (chr(10) + note if note else ''))} noenhanced",
        f"set ylabel {gp_str(ylabel)} noenhanced",
        "set style data histogram",
        "set style histogram errorbars gap 1 lw 1",
        "set style fill solid 0.6 border -1",
        "set boxwidth 0.9",
        "set yrange [0:*]",
        "set grid ytics",
        "set xtics noenhanced",
        "set key outside below noenhanced",
        "plot " + ", ".join(plots),
    ])
    with open(base + ".gp", "w") as f:
        f.write(script + "\n")
    r = subprocess.run(["gnuplot", base + ".gp"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or not os.path.exists(png):
        print(f"bench: gnuplot failed: {r.stdout.strip()[-300:]}; no plot", file=sys.stderr)
        return None
    return png


def write_report(out_dir, name, markdown, doc, json_copy=None, json_name=None):
    """The report: Markdown on stdout and in out_dir/name.md, the JSON in out_dir/(json_name or
    name).json (and in json_copy when given)."""
    print(markdown)
    with open(os.path.join(out_dir, name + ".md"), "w") as f:
        f.write(markdown + "\n")
    text = json.dumps(doc, indent=1, default=str) + "\n"
    with open(os.path.join(out_dir, (json_name or name) + ".json"), "w") as f:
        f.write(text)
    if json_copy:
        with open(json_copy, "w") as f:
            f.write(text)


def out_dir_for(name, out):
    d = os.path.abspath(out or os.path.join(ROOT, "bench-results", f"{name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"))
    os.makedirs(d, exist_ok=True)
    return d


# ---- the session: signals, children, test beds, cleanup ----

class Session:
    """Owns what a benchmark starts. SIGINT/SIGTERM raise Interrupted; on leaving (normally, on an
    error or interrupted) every child still running is stopped by its pid, every test bed taken down,
    and the temporary directory removed (kept, and named, when the run failed)."""

    def __init__(self, prog):
        self.prog = prog
        self.children = []
        self.beds = []
        self.xdp_left = False
        self.tmp = tempfile.mkdtemp(prefix=f"{prog}.")
        self.failed = False

    def warn(self, msg):
        print(f"{self.prog}: {msg}", file=sys.stderr)

    def start(self, cmd, out_path, stdout_path=None):
        c = Child(cmd, out_path, stdout_path)
        self.children.append(c)
        return c

    def finish(self, child, sig=signal.SIGTERM, grace=5.0):
        rc = child.stop(sig, grace)
        if child in self.children:
            self.children.remove(child)
        return rc

    def stop_children(self):
        for c in list(self.children):
            self.finish(c, signal.SIGKILL, 1)

    def bed(self, prefix, queues=1, gro=False):
        return Testbed(self, prefix, queues, gro).up()

    def cleanup(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        self.stop_children()
        for b in list(self.beds):
            b.down()
        if self.failed and os.listdir(self.tmp):
            print(f"{self.prog}: temporary files kept in {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main(prog, body):
    """Runs body(session) -> exit code, with the cleanup and the exit status the benchmarks share:
    0 ok, 1 a limit missed (or an XDP program left behind), 2 usage or set-up error, 130 interrupted."""
    def on_signal(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    s = Session(prog)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    rc = None  # stays None on an unexpected exception: the temporary files are then kept
    try:
        rc = body(s) or EXIT_OK
    except Interrupted as e:
        print(f"{prog}: interrupted ({e})", file=sys.stderr)
        rc = EXIT_INTERRUPTED
    except Fail as e:
        print(f"{prog}: {e}", file=sys.stderr)
        rc = e.code
    except subprocess.TimeoutExpired as e:
        print(f"{prog}: timed out: {' '.join(map(str, e.cmd))}", file=sys.stderr)
        rc = EXIT_SETUP
    finally:
        s.failed = rc not in (EXIT_OK, EXIT_LIMIT)
        s.cleanup()
    if s.xdp_left and rc == EXIT_OK:
        rc = EXIT_LIMIT
    sys.exit(rc)
