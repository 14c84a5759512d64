from __future__ import annotations

import pytest

from workbook.markers import MarkerError, find_blocks, replace_blocks, stub_lines

SOURCE = """\
from fastapi import FastAPI
app = FastAPI()

@app.get("/")
def read_root() -> dict[str, str]:
    ### BEGIN SOLUTION return the welcome message
    return {"message": "Hello"}
    ### END SOLUTION

### BEGIN SOLUTION add the router
router = object()
### STUB router = None
### END SOLUTION
"""


def stub_all(source: str) -> str:
    blocks = find_blocks(source, "cell")
    return replace_blocks(
        source, blocks, {i: stub_lines(b, f"01.{i + 1}") for i, b in enumerate(blocks)}
    )


def test_indented_block_becomes_a_raise_that_still_imports() -> None:
    learner = stub_all(SOURCE)
    assert '    raise NotImplementedError("exercise 01.1")' in learner
    assert "    # TODO exercise 01.1: return the welcome message" in learner
    assert '"Hello"' not in learner
    compile(learner, "main.py", "exec")


def test_stub_lines_replace_the_default_stub() -> None:
    learner = stub_all(SOURCE)
    assert "router = None" in learner.splitlines()
    assert "router = object()" not in learner


def test_solution_keeps_code_and_drops_markers() -> None:
    solution = replace_blocks(SOURCE, find_blocks(SOURCE, "cell"), {})
    assert "###" not in solution
    assert 'return {"message": "Hello"}' in solution and "router = object()" in solution


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
            "line 2: BEGIN SOLUTION inside",
        ),
        ("x = 1\n### END SOLUTION\n", "line 2: END SOLUTION without a BEGIN"),
        ("### BEGIN SOLUTION\nx = 1\n", "line 1: BEGIN SOLUTION is never closed"),
        ("### STUB x = 1\n", "line 1: ### STUB outside a solution block"),
        ("### BEGIN SOLUTIONS\n", "line 1: malformed marker"),
    ],
)
def test_malformed_markers_name_the_cell_and_line(source: str, problem: str) -> None:
    with pytest.raises(MarkerError, match=problem) as error:
        find_blocks(source, "01_x.ipynb, cell 4")
    assert str(error.value).startswith("01_x.ipynb, cell 4, ")
