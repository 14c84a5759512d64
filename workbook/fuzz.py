"""Schemathesis against an app served over HTTP: the command, and its findings in a few lines.

The fuzz test (tests/workbook/test_fuzz_latest_checkpoint.py) and its benchmark
(benchmarks/fuzz_speed.py) run the schemathesis CLI in a process of its own, on
the URL of a LiveServer. The CLI's own report runs to hundreds of lines and its
JSON report leaves the requests out; `findings` keeps, for each failing case, the
operation, the checks it broke, the answer, and the curl command that repeats it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# What the fuzz test asks of every answer: no 5xx; a body that matches its documented
# schema; a request the schema allows is not refused (no 400 or 422 for it); and only
# documented status codes. Other schemathesis checks probe what the course does not
# teach yet (e.g. the Allow header of a 405).
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "positive_data_acceptance",
    "status_code_conformance",
)
# Cases per operation and phase; with the coverage and stateful phases, about
# 1,200 test cases for the 25 operations of chapter 14: 25-90 s on 2 cores.
MAX_EXAMPLES = 20
# A hard stop, for a run that hangs (a server that stopped answering): a run of
# 25 operations takes about a minute; a busy machine (verify) may double it.
TIMEOUT_SECONDS = 300
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
# Failures are shown with the address `uvicorn app.main:app` serves on, the same in every run.
SHOWN_URL = "http://127.0.0.1:8000"
SHOWN_CASES = 12
SHOWN_CHARS = 600  # a multipart request's curl fits; longer ones end in "..."


@dataclass(frozen=True)
class FuzzRun:
    """One schemathesis run: its exit status, everything it printed, and how long it took."""

    returncode: int
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def command(url: str, max_examples: int = MAX_EXAMPLES) -> list[str]:
    """The schemathesis CLI, deterministic: no seed, no example database carried between runs."""
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(max_examples),
        "--generation-deterministic",  # implies no example database
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--no-color",
        # Show generated passwords as they were sent: the curl of a failure must repeat it.
        "--output-sanitize",
        "false",
    ]


def run(url: str, max_examples: int = MAX_EXAMPLES, timeout: float = TIMEOUT_SECONDS) -> FuzzRun:
    """Fuzz the app at url; the login hook (workbook/fuzz_hooks.py) learns the url too."""
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "WORKBOOK_FUZZ_URL": url,
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    started = time.perf_counter()
    # A folder of its own: schemathesis reads a schemathesis.toml from where it runs.
    with tempfile.TemporaryDirectory(prefix="workbook-fuzz-") as folder:
        try:
            done = subprocess.run(
                command(url, max_examples),
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as expired:
            printed = expired.stdout or ""
            text = printed.decode(errors="replace") if isinstance(printed, bytes) else printed
            note = f"\n(schemathesis stopped: still running after {timeout:.0f} s)"
            return FuzzRun(-1, text + note, time.perf_counter() - started)
    return FuzzRun(done.returncode, done.stdout + done.stderr, time.perf_counter() - started)


_SECTION = re.compile(r"^=+ ([A-Z][A-Z ]+) =+$")
_OPERATION = re.compile(r"^_+ (.+?) _+$")
_CASE = re.compile(r"^\d+\. Test Case ID: ")
_CHECK = re.compile(r"^- (ST\d+ .+)$")
_STATUS = re.compile(r"^\[(\d{3})\] (.+):$")


def _short(text: str, base_url: str) -> str:
    if base_url:
        text = text.replace(base_url, SHOWN_URL)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def findings(output: str, base_url: str) -> list[str]:
    """Each failing case in three or four lines: operation and checks, the answer, curl."""
    cases: list[list[str]] = []
    section = operation = ""
    state = ""
    for raw in output.splitlines():
        line = raw.strip()
        heading = _SECTION.match(raw)
        if heading:
            section = heading[1]
            continue
        if section != "FAILURES":
            continue
        if _OPERATION.match(raw):
            operation = _OPERATION.match(raw)[1]  # type: ignore[index]
        elif _CASE.match(line):
            cases.append([operation])
            state = ""
        elif not cases:
            continue
        elif _CHECK.match(line):
            checks = _CHECK.match(line)[1]  # type: ignore[index]
            first = cases[-1][0]
            cases[-1][0] = f"{first}: {checks}" if ": ST" not in first else f"{first}; {checks}"
        elif _STATUS.match(line):
            cases[-1].append(f"  -> {line.rstrip(':')}")
            state = "body"
        elif state == "body" and line:
            cases[-1][-1] += " " + _short(line.strip("`"), base_url)
            state = ""
        elif line.startswith("curl "):
            cases[-1].append("  $ " + _short(line, base_url))
    return ["\n".join(case) for case in cases]


_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.*)$")


def server_exceptions(log: str) -> list[str]:
    """The distinct exceptions in a server log, with how often each was raised."""
    counts = Counter(
        _short(f"{m[1]}: {m[2]}", "")[:160] for m in map(_EXCEPTION.match, log.splitlines()) if m
    )
    return [f"{text} (x{count})" for text, count in counts.most_common(8)]


_WARNING_ITEM = re.compile(r"^  - ([A-Z]+ /\S*)$")


def logged_out_only(output: str) -> list[str]:
    """The operations that answered nothing but 401 or 403: the login hook did not reach them."""
    operations: list[str] = []
    section = ""
    collecting = False  # inside the warning, which ends with its hint (a line not indented)
    for raw in output.splitlines():
        heading = _SECTION.match(raw)
        if heading:
            section, collecting = heading[1], False
        elif section == "WARNINGS" and raw.startswith("Authentication failed"):
            collecting = True
        elif collecting and _WARNING_ITEM.match(raw):
            operations.append(_WARNING_ITEM.match(raw)[1])  # type: ignore[index]
        elif collecting and raw and not raw[0].isdigit() and not raw.startswith(" "):
            collecting = False
    return operations


def verdict(
    fuzzed: FuzzRun, base_url: str, server_log: str, database: str, saved: Path | None = None
) -> str | None:
    """None when the run found nothing and reached every operation; else what to fix.

    saved: where the whole output of schemathesis was written, for the cases cut short here.
    """
    problems = [] if fuzzed.ok else [report(fuzzed, base_url, server_log, database)]
    unreached = logged_out_only(fuzzed.output)
    if unreached:
        problems.append(
            f"on {database}, {len(unreached)} operation(s) answered only 401 or 403, so their "
            f"code was never fuzzed: {', '.join(unreached)}. Teach the login hook "
            f"({HOOKS.relative_to(HOOKS.parents[1])}) how the app logs in now."
        )
    if problems and saved is not None:
        problems.append(f"schemathesis's whole output: {saved}")
    return "\n".join(problems) or None


def report(fuzzed: FuzzRun, base_url: str, server_log: str, database: str) -> str:
    """Why the run failed, in a few lines per case; the whole output only when none parse."""
    cases = findings(fuzzed.output, base_url)
    took = f"exit {fuzzed.returncode}, {fuzzed.seconds:.0f} s"
    if cases:
        lines = [
            f"schemathesis found {len(cases)} failing case(s) on {database} ({took}); each "
            "repeats with curl against `uvicorn app.main:app` serving the latest checkpoint:"
        ]
        lines += cases[:SHOWN_CASES]
        if len(cases) > SHOWN_CASES:
            lines.append(f"... and {len(cases) - SHOWN_CASES} more")
    else:  # not a check that failed: a schema it could not load, a hook, a timeout
        lines = [f"schemathesis did not finish its run on {database} ({took}):"]
        lines.append("\n".join(fuzzed.output.strip().splitlines()[-30:]))
    exceptions = server_exceptions(server_log)
    if exceptions:
        lines.append("the server raised: " + "; ".join(exceptions))
    return "\n".join(lines)
