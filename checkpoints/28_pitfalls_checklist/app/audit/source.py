"""Audits of the app's source, read with `ast` (never imported): pitfalls you can see in the code.

Each check takes one parsed module and the path to name in its findings, and returns the
findings: one line each, "app/x.py, line 12: what is wrong (how to fix it)". No finding: the
module passes. scan() runs a check on every module of a folder.
"""

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

Check = Callable[[ast.Module, str], list[str]]

# Calls that block the thread they run on: on the event loop (an `async def`), every other
# request waits for them. Full dotted names, after the module's imports are followed.
BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "open",
        "input",
        "os.system",
        "os.popen",
        "urllib.request.urlopen",
        "socket.create_connection",
        # httpx's functions are its synchronous API: httpx.AsyncClient is the async one.
        "httpx.get",
        "httpx.post",
        "httpx.put",
        "httpx.patch",
        "httpx.delete",
        "httpx.request",
    }
)
# Every call into these modules blocks (requests, subprocess, smtplib: their whole API).
BLOCKING_MODULES = ("requests", "subprocess", "smtplib")
# bcrypt on purpose takes a CPU for a while: app/core/passwords.py runs it in the thread pool
# (password_matches, new_hash); calling the plain functions from async code stops the loop.
BLOCKING_NAMES = frozenset({"hash_password", "verify_password", "hashpw", "checkpw"})
# Methods of a file or a Path that read or write the disk.
BLOCKING_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})
# An AsyncSession's methods are coroutines: called without await, a query never runs (or it is
# a sync Session's, which blocks). The session is the app's `db` or `session`, self.db included.
SESSION_METHODS = frozenset({"execute", "scalar", "scalars", "commit", "refresh", "flush", "get"})
SESSION_NAMES = re.compile(r"^(db|session|\w+_session)$")


def imported_names(tree: ast.Module) -> dict[str, str]:
    """What each imported name stands for: {"sleep": "time.sleep", "t": "time", ...}."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def dotted_name(node: ast.expr, imports: dict[str, str]) -> str | None:
    """`t.sleep` as "time.sleep" (imports followed); None for what has no name (a call's result)."""
    if isinstance(node, ast.Name):
        return imports.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        owner = dotted_name(node.value, imports)
        return f"{owner}.{node.attr}" if owner else None
    return None


def is_blocking(name: str) -> bool:
    """Whether a call of this (dotted, imports followed) name blocks its thread."""
    return (
        name in BLOCKING_CALLS
        or name.startswith(tuple(f"{module}." for module in BLOCKING_MODULES))
        or name.rsplit(".", 1)[-1] in BLOCKING_NAMES
    )


def is_session(node: ast.expr) -> bool:
    """Whether an expression names the request's session: `db`, `session`, `self.db`."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return bool(SESSION_NAMES.match(name))


def calls_on_the_loop(function: ast.AsyncFunctionDef) -> Iterator[tuple[ast.Call, bool]]:
    """Every call an `async def` makes on the event loop, and whether it is awaited.

    The bodies of a nested `def`, `lambda` or `class` are not walked: they run when someone
    calls them, often in the thread pool (run_in_threadpool(work)).
    """
    awaited = {id(node.value) for node in ast.walk(function) if isinstance(node, ast.Await)}
    calls: list[ast.Call] = []
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        pending.extend(ast.iter_child_nodes(node))
    for call in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
        yield call, id(call) in awaited


def blocking_calls(tree: ast.Module, where: str) -> list[str]:
    """Calls that block the event loop, in the `async def` functions of a module.

    A blocking call (time.sleep, open, requests, subprocess, bcrypt) anywhere on the loop,
    followed through the module's imports (`from time import sleep`); a session method
    called without await; a file read or written through a Path.
    """
    imports = imported_names(tree)
    found: list[str] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        for call, awaited in calls_on_the_loop(function):
            name = dotted_name(call.func, imports)
            problem = None
            if name and is_blocking(name):
                problem = f"{name}() blocks the event loop"
            elif isinstance(call.func, ast.Attribute) and not awaited:
                method = call.func.attr
                if method in BLOCKING_METHODS:
                    problem = f".{method}() reads or writes the disk on the event loop"
                elif method in SESSION_METHODS and is_session(call.func.value):
                    problem = f"session .{method}() is not awaited"
            if problem:
                found.append(
                    f"{where}, line {call.lineno}: {problem} in async def {function.name} "
                    "(await the async form, or run it with run_in_threadpool)"
                )
    return found


def scan(folder: Path, check: Check) -> list[str]:
    """Run a check on every module under folder/app; findings name app/... paths."""
    found: list[str] = []
    for path in sorted((folder / "app").rglob("*.py")):
        where = path.relative_to(folder).as_posix()
        found += check(ast.parse(path.read_text(encoding="utf-8"), filename=where), where)
    return found


# Names that hold a secret: a literal given to one is a secret in the code, in git, in every copy.
SECRET_NAMES = re.compile(r"secret|passw(or)?d|api_?key|private_?key", re.IGNORECASE)
PLACEHOLDERS = re.compile(r"redact|mask|hidden|removed", re.IGNORECASE)


def literal(value: ast.expr | None) -> str:
    """The text a value writes into the code: "x", SecretStr("x"), Field(default="x"); else ""."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Call):
        given = [kw.value for kw in value.keywords if kw.arg == "default"] + value.args[:1]
        wrapper = value.func.id if isinstance(value.func, ast.Name) else ""
        if wrapper in {"SecretStr", "Field", "DatabaseURL"}:
            return next((text for text in map(literal, given) if text), "")
    return ""


def named_values(node: ast.AST) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, value) pairs a node gives: assignments, keyword arguments, defaults, dict entries."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name | ast.Attribute):
                yield (target.id if isinstance(target, ast.Name) else target.attr), node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, node.value
    elif isinstance(node, ast.keyword) and node.arg:
        yield node.arg, node.value
    elif isinstance(node, ast.arguments):
        positional = node.posonlyargs + node.args
        yield from zip(
            [a.arg for a in positional[len(positional) - len(node.defaults) :]],
            node.defaults,
            strict=True,
        )
        yield from ((a.arg, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True))
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value, value


def is_placeholder(text: str) -> bool:
    """ "", "***" or "[redacted]": what a log writes in place of a secret, not a secret."""
    return not text.strip("* ") or bool(PLACEHOLDERS.search(text))


def secret_literals(tree: ast.Module, where: str) -> list[str]:
    """Secrets written in the code: SECRET_KEY = "...", password="...", a default of one."""
    found: list[str] = []
    for node in ast.walk(tree):
        for name, value in named_values(node):
            if SECRET_NAMES.search(name) and not is_placeholder(literal(value)):
                line = getattr(value, "lineno", getattr(node, "lineno", 0))
                found.append(
                    f"{where}, line {line}: {name} is given a literal: read it from the "
                    "environment (a setting of app/core/config.py, no default)"
                )
    return found


# The modules that build queries: a route that imports them queries the database itself.
QUERY_MODULES = ("sqlalchemy", "sqlmodel")


def queries_in_routes(tree: ast.Module, where: str) -> list[str]:
    """A route module that builds or runs queries itself, instead of calling a service."""
    found: list[str] = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        for module in modules:
            if module.split(".")[0] in QUERY_MODULES:
                found.append(
                    f"{where}, line {getattr(node, 'lineno', 0)}: a route module imports {module}: "
                    "move the query into a repository (app/repositories/) behind a service"
                )
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_METHODS | {"add", "delete"}
            and is_session(node.func.value)
        ):
            found.append(
                f"{where}, line {node.lineno}: a route calls the session's "
                f".{node.func.attr}(): move it into a repository (app/repositories/)"
            )
    return found
