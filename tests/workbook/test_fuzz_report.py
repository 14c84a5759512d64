"""The fuzz test's report: schemathesis's output cut down to the request and the answer.

The sample is the output of schemathesis 4.32.5 on checkpoint 14 (shortened); a new
schemathesis that prints differently fails here first, not in a fuzz run an hour later.
"""

from __future__ import annotations

from pathlib import Path

from workbook import fuzz

URL = "http://127.0.0.1:51615"
OUTPUT = f"""\
Schemathesis v4.32.5
━━━━━━━━━━━━━━━━━━━━

=================================== FAILURES ===================================
______________________________ GET /api/v1/users _______________________________
1. Test Case ID: q7zHBj

- ST101 Server error

[500] Internal Server Error:

    `{{"error":{{"code":"internal_error","message":"Internal server error","details":null}}}}`

Reproduce with:

    curl -X GET '{URL}/api/v1/users?page=43790448832129691287552&size=10'

    st replay q7zHBj

________________________ PATCH /api/v1/users/{{user_id}} _________________________
1. Test Case ID: df7VJm

- ST202 Schema-valid request rejected

    Valid data should have been accepted
    Expected: 2xx, 3xx, 401, 403, 404, 409, 429, 5xx

[422] Unprocessable Content:

    `{{"error":{{"code":"validation_error","message":"Request validation failed"}}}}`

Reproduce with:

    curl -X PATCH -H 'Content-Type: application/json' -d '{{"email": null}}' {URL}/api/v1/users/2

    st replay df7VJm

________________________________ Stateful tests ________________________________
1. Test Case ID: bmvuKv

- ST101 Server error

[500] Internal Server Error:

    `{{"error":{{"code":"internal_error"}}}}`

Reproduce with:

    curl -X GET '{URL}/api/v1/users?page=787&size=73'
    curl -X DELETE {URL}/api/v1/users/23911660326687280521132638208

    st replay bmvuKv

=================================== WARNINGS ===================================

Authentication failed: 2 operations returned only 401/403 responses

401 Unauthorized (2 operations):
  - GET /api/v1/session/me
  - GET /api/v1/system/status

💡 Ensure valid authentication credentials are set via `--auth` or `-H`

=================================== SUMMARY ====================================

Failures:
  ❌ ST101 Server error: 2
"""


def test_each_failing_case_is_its_operation_checks_answer_and_curl() -> None:
    cases = fuzz.findings(OUTPUT, URL)
    assert cases[0].splitlines() == [
        "GET /api/v1/users: ST101 Server error",
        '  -> [500] Internal Server Error {"error":{"code":"internal_error",'
        '"message":"Internal server error","details":null}}',
        "  $ curl -X GET 'http://127.0.0.1:8000/api/v1/users?page=43790448832129691287552&size=10'",
    ]
    assert cases[1].splitlines()[0] == (
        "PATCH /api/v1/users/{user_id}: ST202 Schema-valid request rejected"
    )


def test_a_stateful_case_shows_every_request_of_its_sequence() -> None:
    stateful = fuzz.findings(OUTPUT, URL)[2].splitlines()
    assert stateful[0] == "Stateful tests: ST101 Server error"
    assert [line.split()[3] for line in stateful[2:]] == ["GET", "DELETE"]
    assert len(fuzz.findings(OUTPUT, URL)) == 3


def test_operations_that_only_answered_401_are_named() -> None:
    assert fuzz.logged_out_only(OUTPUT) == ["GET /api/v1/session/me", "GET /api/v1/system/status"]


def test_a_clean_run_that_reached_every_operation_has_no_verdict() -> None:
    clean = OUTPUT.split("=== FAILURES ===")[0]
    assert fuzz.verdict(fuzz.FuzzRun(0, clean, 30.0), URL, "", "SQLite") is None
    warnings = OUTPUT[OUTPUT.index("=" * 35 + " WARNINGS") :]
    logged_out = fuzz.verdict(fuzz.FuzzRun(0, clean + warnings, 30.0), URL, "", "SQLite")
    assert logged_out is not None and "workbook/fuzz_hooks.py" in logged_out


def test_a_failing_run_reports_its_cases_the_server_exceptions_and_the_logged_out() -> None:
    log = "ERROR: Exception in ASGI application\nOverflowError: Python int too large\n" * 3
    saved = Path("/tmp/pytest-of-me/schemathesis.txt")
    text = fuzz.verdict(fuzz.FuzzRun(1, OUTPUT, 42.0), URL, log, "SQLite", saved) or ""
    assert text.startswith("schemathesis found 3 failing case(s) on SQLite (exit 1, 42 s)")
    assert "OverflowError: Python int too large (x3)" in text
    assert "answered only 401 or 403" in text and URL not in text
    assert text.splitlines()[-1] == f"schemathesis's whole output: {saved}"
    assert len(text.splitlines()) < 20


def test_a_run_that_found_no_case_shows_the_end_of_its_output() -> None:
    broken = "Usage: schemathesis run\nError: no such option: --frobnicate\n"
    text = fuzz.verdict(fuzz.FuzzRun(2, broken, 1.0), URL, "", "PostgreSQL") or ""
    assert (
        text.splitlines()[0] == "schemathesis did not finish its run on PostgreSQL (exit 2, 1 s):"
    )
    assert "no such option" in text
