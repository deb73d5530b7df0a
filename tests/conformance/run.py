#!/usr/bin/python3
"""Runs the conformance suite against the switchboard binary.

  run.py --server build/x/app/switchboard [-k 5.19,6.4]
         [--write-doc docs/conformance.md | --check-doc docs/conformance.md]

One server instance per configuration (not per case), each on a free loopback port. Prints
one line per case and finally exactly "N passed, N failed"; exits 1 on any failure.

docs/conformance.md is this run's report: --write-doc (re)writes it, --check-doc (what ctest
runs) fails when the file differs from the report of this run, so the committed document is
always the suite's own current result. The report holds only what a run determines (cases,
outcomes, notes); timings and dates stay on the console.
"""

import argparse
import difflib
import fnmatch
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # keep the source tree clean when run from CTest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases_1_framing  # noqa: E402
import cases_2_pingpong  # noqa: E402
import cases_3_reserved_bits  # noqa: E402
import cases_4_opcodes  # noqa: E402
import cases_5_fragmentation  # noqa: E402
import cases_6_utf8  # noqa: E402
import cases_7_close  # noqa: E402
import cases_9_limits  # noqa: E402
import cases_12_deflate  # noqa: E402
from harness import HOST, CaseFailure, Context  # noqa: E402

MODULES = [cases_1_framing, cases_2_pingpong, cases_3_reserved_bits, cases_4_opcodes,
           cases_5_fragmentation, cases_6_utf8, cases_7_close, cases_9_limits, cases_12_deflate]

BASE_FLAGS = ["--bind-address", HOST, "--log-level", "warn", "--drain-period", "0"]
# The outbound queue limit is raised with the message size: a 16 MiB echo is queued whole (a
# message alone would go anyway; a few of them back to back must not cut the client).
CONFIGS = {
    "echo": ["--echo", "--max-message-size", "16777216", "--outbound-queue-limit", "67108864"],
    "limits": ["--echo"],
    "deflate": ["--echo", "--deflate", "--max-message-size", "16777216",
                "--outbound-queue-limit", "67108864"],
}
CONFIG_NOTES = {
    "echo": "sections 1-7, 9.1-9.8, 9.10, 10",
    "limits": "9.9.x (default --max-message-size 8KiB)",
    "deflate": "sections 12, 13",
}

SECTION_TITLES = {
    1: "Framing", 2: "Pings and pongs", 3: "Reserved bits", 4: "Opcodes", 5: "Fragmentation",
    6: "UTF-8 handling", 7: "Close handling", 9: "Limits and large messages",
    10: "Miscellaneous", 12: "permessage-deflate: compressed traffic",
    13: "permessage-deflate: negotiation",
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http_get_status(port, path, timeout=1.0):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                   % (path, HOST, port)).encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ", 2)[1])


class Server:
    def __init__(self, binary, config):
        self.binary, self.config = binary, config
        self.port = free_port()
        self.args = [binary, "--port", str(self.port)] + BASE_FLAGS + CONFIGS[config]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return "server exited with %d at startup" % self.proc.returncode
            try:
                if http_get_status(self.port, "/health") == 200:
                    return None
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.05)
        return "/health did not answer 200 within %.0f s" % timeout

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, n=2000):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-n:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def select_cases(patterns):
    cases = [c for m in MODULES for c in m.CASES]
    if not patterns:
        return cases
    pats = [p.strip() for p in patterns.split(",") if p.strip()]

    def match(cid):
        return any(cid == p or cid.startswith(p + ".") or fnmatch.fnmatchcase(cid, p)
                   for p in pats)
    return [c for c in cases if match(c.cid)]


def run_config(binary, config, cases, results, verbose):
    server = Server(binary, config)
    err = server.wait_ready()
    if err:
        tail = server.log_tail()
        server.stop()
        for c in cases:
            results.append((c, False, "%s: %s" % (err, tail.strip()[-300:]), 0.0))
            print("FAIL %-10s %s" % (c.cid, err), flush=True)
        return
    try:
        for c in cases:
            t0 = time.monotonic()
            try:
                note = c.fn(Context(server.port))
                ok, msg = True, note or ""
            except CaseFailure as e:
                ok, msg = False, str(e)
            except Exception as e:  # a client-side surprise (refused, reset, bad handshake)
                ok, msg = False, "%s: %s" % (type(e).__name__, e)
                if verbose:
                    traceback.print_exc()
            dt = time.monotonic() - t0
            if not server.alive():
                ok = False
                msg = (msg + "; " if msg else "") + "server died (exit %s)" % server.proc.returncode
            results.append((c, ok, msg, dt))
            print("%s %-10s %6.0f ms  %s" % ("PASS" if ok else "FAIL", c.cid, dt * 1000,
                                           msg), flush=True)
            if not server.alive():
                print("server log tail:\n" + server.log_tail(), flush=True)
                server.stop()
                server = Server(binary, config)  # keep going with a fresh instance
                err = server.wait_ready()
                if err:
                    raise RuntimeError("restart failed: " + err)
    finally:
        rc = server.stop()
        if rc not in (0, None):
            print("note: %s server exited with %s after SIGTERM" % (config, rc), flush=True)


def escape_md(s):
    return s.replace("|", "\\|").replace("\n", " ")


def render_doc(results):
    """The Markdown report of a run: the same text for the same outcomes (no timings)."""
    passed = sum(1 for _, ok, _, _ in results if ok)
    failed = len(results) - passed
    lines = ["# WebSocket conformance (RFC 6455 / RFC 7692)", "",
             "Generated by `tests/conformance/run.py` from the suite's own results; do not edit "
             "by hand. `ctest -L conformance` runs the suite and fails when this file differs "
             "from its report.", "",
             "- Result: **%d passed, %d failed** (%d cases)" % (passed, failed, len(results)),
             "- Regenerate: `/usr/bin/python3 tests/conformance/run.py --server "
             "build/<dir>/app/switchboard --write-doc docs/conformance.md`",
             "  (`-k 6.4,7.9` runs a subset, without a report)", "",
             "Server instances (common flags: `--port <free> %s`):" % " ".join(BASE_FLAGS), ""]
    for name, flags in CONFIGS.items():
        lines.append("- `%s`: `%s` — %s" % (name, " ".join(flags), CONFIG_NOTES[name]))
    lines += ["",
              "The cases mirror the sections of Autobahn|Testsuite (same case numbers and the same "
              "bytes where Autobahn defines them); cases marked *(ours)* or with a letter suffix "
              "(`c`: chopped writes, `f`: one frame per byte) are additions. Close codes asserted "
              "are the ones the server documents: 1002 protocol error, 1007 invalid UTF-8 or "
              "invalid deflate data, 1009 message too big; a client close is echoed.", ""]
    by_section = {}
    for r in results:
        by_section.setdefault(r[0].section, []).append(r)
    for sec in sorted(by_section):
        rows = by_section[sec]
        sp = sum(1 for _, ok, _, _ in rows if ok)
        lines += ["## %d. %s (%d/%d passed)" % (sec, SECTION_TITLES.get(sec, ""), sp, len(rows)), "",
                  "| Case | Sent | Expected | Result |", "|---|---|---|---|"]
        for c, ok, msg, _ in rows:
            if ok:
                res = "pass" + (" (%s)" % escape_md(msg) if msg else "")
            else:
                res = "**fail**: " + escape_md(msg)[:200]
            lines.append("| %s | %s | %s | %s |" % (c.cid, escape_md(c.sent), escape_md(c.expected), res))
        lines.append("")
    return "\n".join(lines)


def write_doc(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def check_doc(path, text):
    """True when `path` holds exactly `text`; otherwise prints how it differs."""
    try:
        with open(path) as f:
            committed = f.read()
    except OSError as e:
        print("cannot read %s: %s" % (path, e))
        return False
    if committed == text:
        return True
    diff = list(difflib.unified_diff(committed.splitlines(), text.splitlines(),
                                     path, "this run's report", lineterm="", n=1))
    print("%s differs from this run's report (%d diff lines; first 80):" % (path, len(diff)))
    print("\n".join(diff[:80]))
    print("Regenerate it: /usr/bin/python3 tests/conformance/run.py --server <binary> "
          "--write-doc %s" % path)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--server", required=True, help="path to the switchboard binary")
    ap.add_argument("-k", dest="pattern",
                    help="case ids: '5.19', '6.4' (prefix), '6.*f' (glob), comma-separated")
    doc = ap.add_mutually_exclusive_group()
    doc.add_argument("--write-doc", help="(re)write this Markdown report")
    doc.add_argument("--check-doc", help="fail when this Markdown report differs from the run's")
    ap.add_argument("-v", "--verbose", action="store_true", help="tracebacks for failures")
    args = ap.parse_args()
    if not os.access(args.server, os.X_OK):
        print("server binary not executable: %s" % args.server)
        print("0 passed, 1 failed")
        return 1
    if args.pattern and (args.write_doc or args.check_doc):
        print("a report covers the whole suite: -k cannot be combined with --write-doc/--check-doc")
        print("0 passed, 1 failed")
        return 1
    cases = select_cases(args.pattern)
    results = []
    for config in CONFIGS:
        subset = [c for c in cases if c.config == config]
        if subset:
            run_config(args.server, config, subset, results, args.verbose)
    order = {c.cid: i for i, c in enumerate(cases)}
    results.sort(key=lambda r: order[r[0].cid])
    passed = sum(1 for _, ok, _, _ in results if ok)
    failed = len(results) - passed
    doc_ok = True
    if args.write_doc:
        write_doc(args.write_doc, render_doc(results))
    elif args.check_doc:
        doc_ok = check_doc(args.check_doc, render_doc(results))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and results and doc_ok else 1


if __name__ == "__main__":
    sys.exit(main())
