"""workbook: the FastAPI Mastery Workbook from a shell.

learners:     lab [OPTIONS], check NN, status, hint NN[.k], solution NN.k, reset NN, jump NN,
              diff A [B], serve [NN]
instructors:  build [--check], execute NN, verify [--latest], export [--learner] [--out DIR], doctor

Chapters are named 3, 03 or 03_project_structure. Problems are reported in
one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from . import forkserver, links, paths
from .chapters import START, all_chapters, checkpoint_before, resolve
from .check import run_check
from .errors import WorkbookError
from .postgres import DEFAULT_SERVER as POSTGRES_SERVER
from .workspace import Workspace

# nbformat and nbclient take a second to import: the commands that need them
# (hint, build, execute) import them when they run, so `check` starts fast.

Handler = Callable[[argparse.Namespace], int]


def _workspace(args: argparse.Namespace) -> Path:
    return Path(args.workspace).resolve() if args.workspace else paths.workspace()


def _workspace_option(args: argparse.Namespace) -> str:
    """` --workspace DIR` when the user gave one, so a printed suggestion keeps it."""
    given = getattr(args, "workspace", None)
    return f" --workspace {shlex.quote(str(_workspace(args)))}" if given else ""


def _require_workspace(args: argparse.Namespace) -> Path:
    return (
        Workspace(_workspace(args)).require(reset=f"workbook reset 1{_workspace_option(args)}").root
    )


def lab_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of JupyterLab: this Python's bin/ (the venv's) first on PATH,
    so that its terminals find `workbook`, `ruff` and `mypy`."""
    bin_dir = str(Path(sys.executable).parent)  # not resolved: the venv's bin/, not /usr/bin
    rest = [part for part in environ.get("PATH", "").split(os.pathsep) if part and part != bin_dir]
    return {**environ, "PATH": os.pathsep.join([bin_dir, *rest])}


def cmd_lab(args: argparse.Namespace) -> int:
    """Open the workbook in JupyterLab at the chapters (JupyterLab's own options pass through)."""
    command = lab_command(args.jupyter_args, is_root=hasattr(os, "geteuid") and os.geteuid() == 0)
    # Its own session, stopped as a whole: SIGTERM to `workbook lab` must not
    # leave a Jupyter server (and its kernels) running without a parent.
    return run_in_own_group(command, cwd=paths.ROOT, env=lab_environment(os.environ))


def lab_command(options: Sequence[str], is_root: bool) -> list[str]:
    """`jupyter lab` at the chapters, then the user's options (`--no-browser --port 8890`):
    given last, they win over the defaults here."""
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={paths.ROOT}",
        "--LabApp.default_url=/lab/tree/chapters",
    ]
    if is_root and "--allow-root" not in options:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses it
    return [*command, *options]


def cmd_check(args: argparse.Namespace) -> int:
    """Run the tests of chapter NN (and the chapters before it) on the workspace."""
    chapter = resolve(args.chapter)
    folder = _require_workspace(args)
    print(f"workspace: {folder}")
    forkserver.daemon()  # warm for this check and the next ones (workbook/forkserver.py)
    report = run_check(chapter, folder, postgres=args.postgres)
    print(report.table())
    return 0 if report.ok else 1


def cmd_status(args: argparse.Namespace) -> int:
    """Every chapter at a glance: how many of its tests the workspace passes."""
    chapters = all_chapters()
    folder = _require_workspace(args)
    report = run_check(chapters[-1], folder, slow="none")
    print(f"workspace: {folder}")
    counts = {
        c.number: (
            sum(r.outcome == "passed" for r in report.results if r.chapter == c.number),
            sum(r.chapter == c.number for r in report.results),
        )
        for c in chapters
    }
    current = current_chapter(counts)
    for chapter in chapters:
        passed, total = counts[chapter.number]
        state = status_word(chapter.number, counts, current)
        print(f"  {chapter.name:<28} {passed:>3}/{total:<3} {state}")
    print(_status_advice(counts, current, _workspace_option(args)))
    return 0


def _status_advice(counts: Mapping[int, tuple[int, int]], current: int | None, option: str) -> str:
    """The one line after the table: which check to run next."""
    if current is None:
        return f"no chapter passes half its tests yet: `workbook check 1{option}` says what to fix"
    finished = {n for n, (passed, total) in counts.items() if total and passed == total}
    if current not in finished or any(n < current and n not in finished for n in counts):
        check = f"workbook check {current}{option}"
        return f"your current chapter: {current:02d}; `{check}` shows what to fix"
    later = [n for n in counts if n > current]
    if later:
        check = f"workbook check {later[0]}{option}"
        return f"chapter {current:02d} is done; go on with chapter {later[0]:02d}: `{check}`"
    return f"all {len(counts)} chapters are done"


def current_chapter(counts: Mapping[int, tuple[int, int]]) -> int | None:
    """The chapter being worked on: the latest one that passes at least half its tests.

    A later chapter's tests often pass a few at an earlier state (a route that
    exists already), so a few passes alone do not make a chapter current.
    """
    reached = [n for n, (passed, total) in counts.items() if total and 2 * passed >= total]
    return max(reached, default=None)


def status_word(number: int, counts: Mapping[int, tuple[int, int]], current: int | None) -> str:
    """done, started, to do, or broken by later changes; the current chapter is marked."""
    passed, total = counts[number]
    done = bool(total) and passed == total
    if number == current:
        return f"{'done' if done else 'started'} (your current chapter)"
    if done:
        return "done"
    if current is not None and number < current:
        return "broken by later changes"
    if current is None and passed:
        return "started"
    return "to do"


def cmd_hint(args: argparse.Namespace) -> int:
    """The next hint of exercise NN.k (--all: every one); NN: the chapter's hints seen so far."""
    from . import hints

    if "." in args.exercise:
        shown, after = hints.next_hints(args.exercise, everything=args.all)
        print(f"{hints.format_hints(shown)}\n\n({after})")
    else:
        print(hints.chapter_hints(resolve(args.exercise), everything=args.all))
    return 0


def cmd_solution(args: argparse.Namespace) -> int:
    """The reference answer of exercise NN.k, and where it goes (only when asked for)."""
    from . import hints

    print(hints.solution_text(hints.reference(args.exercise), notebook=False))
    return 0


def _set_workspace(args: argparse.Namespace, checkpoint: Path, what: str) -> int:
    backup = Workspace(_workspace(args)).set_to(checkpoint)
    if backup:
        print(f"your previous files are kept in {backup}")
    print(f"workspace {_workspace(args)} now holds {what} ({checkpoint.name})")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """Start chapter NN again: the workspace is set to the state before it."""
    chapter = resolve(args.chapter)
    return _set_workspace(args, checkpoint_before(chapter), f"the start of chapter {chapter.name}")


def cmd_jump(args: argparse.Namespace) -> int:
    """Skip to the end of chapter NN: the workspace is set to its reference state."""
    chapter = resolve(args.chapter)
    return _set_workspace(args, chapter.checkpoint, f"the end of chapter {chapter.name}")


def _checkpoint(text: str) -> Path:
    if text.strip() in ("0", "00", START, "start"):
        return paths.CHECKPOINTS / START
    return resolve(text).checkpoint


def cmd_diff(args: argparse.Namespace) -> int:
    """What changes between checkpoints A and B; `diff 3` alone is what chapter 3 changes."""
    if args.b is None:
        after = resolve(args.a)
        before = checkpoint_before(after)
        after_dir = after.checkpoint
    else:
        before, after_dir = _checkpoint(args.a), _checkpoint(args.b)
    old, new = paths.tree_files(before), paths.tree_files(after_dir)
    for name in sorted(old.keys() | new.keys()):
        a = old.get(name, b"").decode().splitlines(keepends=True)
        b = new.get(name, b"").decode().splitlines(keepends=True)
        sys.stdout.writelines(
            difflib.unified_diff(
                a,
                b,
                f"{before.name}/{name}" if name in old else "/dev/null",
                f"{after_dir.name}/{name}" if name in new else "/dev/null",
            )
        )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the workspace's app (or checkpoint NN's) under uvicorn, reloading on change."""
    if not args.chapter:
        return _serve(args, _require_workspace(args), "")
    checkpoint = resolve(args.chapter).checkpoint
    with tempfile.TemporaryDirectory(prefix="workbook-serve-") as tmp:
        # The app writes app.db next to app/: a copy keeps checkpoints/ clean.
        folder = Path(tmp) / checkpoint.name
        shutil.copytree(
            checkpoint,
            folder,
            ignore=lambda _, names: [n for n in names if paths.is_ignored(Path(n))],
        )
        note = f"a temporary copy of {checkpoint} (its app.db is deleted when it stops)"
        return _serve(args, folder, note)


def _serve(args: argparse.Namespace, folder: Path, note: str) -> int:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--app-dir",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--reload",
        "--reload-dir",
        str(folder),
    ]
    if (folder / "logging.json").is_file():  # the app's log configuration (chapter 04 on)
        command += ["--log-config", str(folder / "logging.json")]
    proxy = links.detect()  # a terminal of a JupyterHub: the browser is elsewhere
    docs = f"http://127.0.0.1:{args.port}/docs"
    if proxy is not None and links.proxy_installed():
        command += ["--root-path", proxy.root_path(args.port)]
        docs = f"{proxy.link(args.port, '/docs')} (through the Jupyter server)"
    print(f"serving {note or folder} at {docs} (Ctrl-C stops)")
    return run_in_own_group(command, cwd=folder)


def run_in_own_group(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> int:
    """Run a command in a session of its own; SIGTERM or Ctrl-C stops all of it.

    uvicorn --reload is a reloader and a worker: stopping only the first
    would leave the worker holding the port.
    """
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        _stop_group(process)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL after five seconds; wait for the leader."""
    for sig, seconds in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; its worker may still be stopping: give it the same time.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def cmd_build(args: argparse.Namespace) -> int:
    """Regenerate chapters/ and checkpoints/ from solutions/ (--check: only compare)."""
    from .build import build, differences

    if args.check:
        _, changed = differences()
        for relative in changed:
            print(f"out of date: {relative}")
        if changed:
            print(f"{len(changed)} generated file(s) differ from solutions/: run `workbook build`")
            return 1
        print("chapters/ and checkpoints/ are in sync with solutions/")
        return 0
    lines = build()
    print("\n".join(lines) if lines else "nothing to do: everything is in sync")
    return 0


def cmd_execute(args: argparse.Namespace) -> int:
    """Run solutions NN [MM ...] on their previous checkpoints and store their outputs.

    A new test in chapter k changes the stored check output of every chapter
    from k on: `workbook execute 3 4 5` refreshes them in order.
    """
    from .execute import record_outputs

    for chapter in [resolve(name) for name in args.chapters]:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"running {chapter.solution.relative_to(paths.ROOT)} ...", flush=True)
            record_outputs(chapter, Path(tmp) / "workspace")
        print(f"stored the outputs in {chapter.solution.relative_to(paths.ROOT)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Render the notebooks as an offline HTML site in site/ (--learner: the learner edition)."""
    from .export import check_site, export_site

    out = Path(args.out).resolve() if args.out else paths.ROOT / "site"
    files = export_site(out, learner=args.learner)
    edition = "learner notebooks" if args.learner else "solutions"
    print(f"wrote {len(files)} pages of the {edition} to {out}; open {out / 'index.html'}")
    problems = check_site(out)
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check this machine for a workshop: Python, packages, a port, a kernel, the workspace."""
    from .doctor import checks, run

    ok = run(checks(_workspace(args)))
    again = f"workbook doctor{_workspace_option(args)}"
    print("ready for the workshop" if ok else f"fix each FAIL above, then run `{again}` again")
    return 0 if ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    """Everything CI runs: build check, lint and type gates, the whole test suite."""
    if args.latest:
        from .latest import run

        reports = Path(args.reports).resolve() if args.reports else paths.ROOT / "reports"
        return run(str(args.jobs), reports)
    python = sys.executable
    # The test suite also times each chapter's work (workbook/timing_plugin.py).
    reports = Path(args.reports).resolve() if args.reports else paths.ROOT / "reports"
    timings = ["-p", "workbook.timing_plugin", f"--workbook-timings={reports}"]
    table = reports / "timings.md"
    steps: list[tuple[str, list[str]]] = [
        ("generated files in sync", [python, "-m", "workbook", "build", "--check"]),
        ("lint", [python, "-m", "ruff", "check", "workbook", "tests", "benchmarks"]),
        ("format", [python, "-m", "ruff", "format", "--check", "workbook", "tests", "benchmarks"]),
        ("types", [python, "-m", "mypy"]),
        (
            "test suite",
            # -rs: each skipped test and why (no Chromium, no PostgreSQL), in the log.
            [
                python,
                "-m",
                "pytest",
                "-n",
                str(args.jobs),
                "-q",
                "-rs",
                *timings,
                *args.pytest_args,
            ],
        ),
    ]
    _print_retired_tests()
    reports.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}  # per step, for benchmarks/verify_stages.py
    results: list[dict[str, object]] = []  # per step with its exit status, for --latest
    failed = []
    for number, (title, command) in enumerate(steps, 1):
        print(f"[{number}/{len(steps)}] {title}: {' '.join(command[2:])}", flush=True)
        timed = title == "test suite"
        if timed:
            table.unlink(missing_ok=True)  # never show the timings of an earlier run
        started = time.perf_counter()
        status = subprocess.call(command, cwd=paths.ROOT)
        seconds[title] = round(time.perf_counter() - started, 2)
        results.append({"title": title, "status": status, "seconds": seconds[title]})
        (reports / "stages.json").write_text(json.dumps(seconds, indent=1) + "\n")
        (reports / "steps.json").write_text(json.dumps(results, indent=1) + "\n")
        if timed and table.is_file():
            print(f"{table.read_text()}(in {table}, and as JSON in timings.json)", flush=True)
        if status != 0:
            print(f"verify failed at step {number}: {title}", flush=True)
            failed.append(title)
            if not args.keep_going:
                return 1
    if failed:
        print(f"verify failed: {', '.join(failed)}")
        return 1
    print("verify: all good")
    return 0


def _print_retired_tests() -> None:
    """What each `until` marker retires, so that a dropped test is seen, not silent."""
    from .retired import retirement_lines, until_markers

    lines = retirement_lines(until_markers(paths.CHAPTER_TESTS))
    print(f"chapter tests retired by a later chapter (@pytest.mark.until): {len(lines)}")
    for line in lines:
        print(f"  {line}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="workbook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Handler, *arguments: str, workspace: bool = False
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=(handler.__doc__ or "").strip().splitlines()[0])
        for argument in arguments:  # "name", "name?" (optional) or "names+" (one or more)
            nargs = {"?": "?", "+": "+"}.get(argument[-1])
            command.add_argument(argument.rstrip("?+"), nargs=nargs)
        if workspace:
            command.add_argument("--workspace", help="the workspace folder (default: workspace/)")
        command.set_defaults(handler=handler)
        return command

    add(
        "lab", cmd_lab
    ).epilog = (
        "Any other option goes to JupyterLab: workbook lab --no-browser --port 8890 --ip 0.0.0.0"
    )
    add("check", cmd_check, "chapter", workspace=True).add_argument(
        "--postgres",
        nargs="?",
        const=POSTGRES_SERVER,
        metavar="URL",
        help=f"run the tests on a new PostgreSQL database (server: {POSTGRES_SERVER})",
    )
    add("status", cmd_status, workspace=True)
    add("hint", cmd_hint, "exercise").add_argument(
        "--all", action="store_true", help="every hint at once, not only the next one"
    )
    add("solution", cmd_solution, "exercise")
    add("reset", cmd_reset, "chapter", workspace=True)
    add("jump", cmd_jump, "chapter", workspace=True)
    add("diff", cmd_diff, "a", "b?")
    add("serve", cmd_serve, "chapter?", workspace=True).add_argument(
        "--port", type=int, default=8000
    )
    add("build", cmd_build).add_argument("--check", action="store_true", help="only compare")
    add("execute", cmd_execute, "chapters+")
    export = add("export", cmd_export)
    export.add_argument("--learner", action="store_true", help="the learner notebooks")
    export.add_argument("--out", metavar="DIR", help="where to write the site (default: site/)")
    add("doctor", cmd_doctor, workspace=True)
    verify = add("verify", cmd_verify)
    verify.add_argument("--jobs", "-j", default="auto", help="parallel pytest workers")
    verify.add_argument(
        "--latest",
        action="store_true",
        help="in a throwaway environment with the newest release of every dependency; "
        "writes reports/latest.md (minutes)",
    )
    verify.add_argument(
        "--keep-going", action="store_true", help="run every step even after one fails"
    )
    verify.add_argument("--reports", metavar="DIR", help="where reports go (default: reports/)")
    verify.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    # `workbook lab` hands every option it does not know to JupyterLab; any
    # other command refuses them (argparse's usage error, exit 2).
    args, unknown = top.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = unknown
    elif unknown:
        top.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        status = int(args.handler(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit, where it cannot be caught
        return status
    except BrokenPipeError:
        # `workbook diff 13 14 | head -1`: the reader has gone; stop quietly, and let
        # the flush at exit write to /dev/null instead of failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE, as a shell reports it
    except WorkbookError as error:
        print(f"workbook: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
