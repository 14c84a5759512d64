"""`workbook export`: a site that reads offline, with working links between chapters."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from workbook import paths
from workbook.cli import main
from workbook.errors import WorkbookError
from workbook.export import check_site, export_site, rewrite_chapter_links
from workbook.titlecell import parse_title_cell, read_title_cell

from .conftest import CHAPTERS

# A <script src> or <link href> that reaches for another machine (http:, https:, //host).
REMOTE_ASSET = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:[a-z][a-z0-9+.-]*:)?//')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    export_site(out)
    return out


@pytest.fixture(scope="module")
def learner_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("learner-site")
    export_site(out, learner=True)
    return out


def _title_cell(number: int, title: str, extra: str = "") -> str:
    return (
        f"# {number:02d} · {title}\n\n**Guide**: section {number}\n\n"
        f"**Estimated time**: 20 min: 5 reading, 15 exercises\n{extra}"
    )


@pytest.fixture
def tiny_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three made-up chapters whose markdown links to each other, as authors write links."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    links = {
        1: "\nNext: [chapter 2](chapters/02_second.ipynb#Part-two).",
        2: "\nBack to [the start](../solutions/01_first.ipynb), on to [3](03_third.ipynb).",
        3: "",
    }
    for number, slug in ((1, "first"), (2, "second"), (3, "third")):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [
            nbformat.v4.new_markdown_cell(_title_cell(number, slug.title(), links[number])),
            nbformat.v4.new_markdown_cell("## Part two\n\nText."),
        ]
        nbformat.write(notebook, solutions / f"{number:02d}_{slug}.ipynb")
    monkeypatch.setattr(paths, "SOLUTIONS", solutions)
    return tmp_path


def test_every_chapter_has_a_page_and_the_index_lists_it(site: Path) -> None:
    index = (site / "index.html").read_text()
    for chapter in CHAPTERS:
        assert (site / f"{chapter.name}.html").is_file(), f"no page for {chapter.name}"
        card = read_title_cell(chapter.solution)
        assert f'href="{chapter.name}.html"' in index, f"index does not link {chapter.name}"
        for shown in (card.title, card.guide, str(card.estimate)):
            assert shown and shown.replace("&", "&amp;") in index, f"{chapter.name}: {shown!r}"


def test_every_local_link_resolves_and_nothing_loads_from_the_internet(site: Path) -> None:
    assert check_site(site) == []
    for page in site.glob("*.html"):
        assert not REMOTE_ASSET.findall(page.read_text()), f"{page.name} loads a remote asset"


def test_every_page_links_previous_index_and_next(site: Path) -> None:
    for position, chapter in enumerate(CHAPTERS):
        page = (site / f"{chapter.name}.html").read_text()
        assert page.count('href="index.html"') == 2, f"{chapter.name}: nav at top and bottom"
        if position > 0:
            assert f'href="{CHAPTERS[position - 1].name}.html" rel="prev"' in page
        if position + 1 < len(CHAPTERS):
            assert f'href="{CHAPTERS[position + 1].name}.html" rel="next"' in page


def test_learner_site_folds_hints_and_keeps_no_instructor_notes(learner_site: Path) -> None:
    assert check_site(learner_site) == []
    for chapter in CHAPTERS:
        page = (learner_site / f"{chapter.name}.html").read_text()
        solution = nbformat.read(chapter.solution, as_version=4)
        tags = [set(cell.metadata.get("tags", [])) for cell in solution.cells]
        hints = sum("hint" in t for t in tags)
        assert page.count("<summary>Hint") == hints, chapter.name
        assert not re.search(r"<summary>Hint[^<]*</summary>\s*</details>", page), "empty hint"
        for cell, cell_tags in zip(solution.cells, tags, strict=True):
            if "solution-only" in cell_tags:
                first = cell.source.strip().splitlines()[0].lstrip("# ")
                assert first not in page, f"{chapter.name}: instructor cell {first!r} shown"


def test_links_between_chapter_notebooks_become_links_between_pages(
    tiny_workbook: Path,
) -> None:
    out = tiny_workbook / "site"
    names = [p.name for p in export_site(out)]
    assert names == ["01_first.html", "02_second.html", "03_third.html", "index.html"]
    assert check_site(out) == []
    assert 'href="02_second.html#Part-two"' in (out / "01_first.html").read_text()
    second = (out / "02_second.html").read_text()
    assert 'href="01_first.html"' in second and 'href="03_third.html"' in second


@pytest.mark.parametrize(
    ("link", "page"),
    [
        ("chapters/02_environment.ipynb", "02_environment.html"),
        ("02_environment.ipynb#Step-1", "02_environment.html#Step-1"),
        ("../solutions/12_sqlalchemy.ipynb", "12_sqlalchemy.html"),
        ("https://example.org/02_environment.ipynb", "https://example.org/02_environment.ipynb"),
        ("notes.ipynb", "notes.ipynb"),
    ],
)
def test_rewrite_chapter_links(link: str, page: str) -> None:
    assert rewrite_chapter_links(f'<a href="{link}">x</a>') == f'<a href="{page}">x</a>'


def test_check_site_reports_dead_links_missing_anchors_and_remote_assets(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<h2 id="here">x</h2><a href="#here">ok</a><a href="b.html">dead</a>'
        '<a href="a.html#nowhere">anchor</a><a href="https://example.org">fine</a>'
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//cdn.example.org/x.css"><img src="data:image/png;base64,">'
    )
    assert check_site(tmp_path) == [
        "a.html loads https://cdn.example.org/x.js from outside the site",
        "a.html loads //cdn.example.org/x.css from outside the site",
        "a.html links to b.html, which is not a file of the site",
        "a.html links to a.html#nowhere, which has no such anchor",
    ]


def test_export_replaces_its_own_site_but_no_other_folder(tiny_workbook: Path) -> None:
    out = tiny_workbook / "site"
    export_site(out)
    (tiny_workbook / "solutions/03_third.ipynb").unlink()
    export_site(out)
    assert not (out / "03_third.html").exists(), "a removed chapter's page stays behind"
    precious = tiny_workbook / "thesis"
    precious.mkdir()
    (precious / "thesis.tex").write_text("precious")
    with pytest.raises(WorkbookError, match="holds no earlier export"):
        export_site(precious)
    assert (precious / "thesis.tex").read_text() == "precious"


def test_cli_export_learner(tiny_workbook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny_workbook / "learner"
    assert main(["export", "--learner", "--out", str(out)]) == 0
    assert "wrote 4 pages of the learner notebooks" in capsys.readouterr().out
    assert "(learner edition)" in (out / "index.html").read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 min: 10 reading, 15 exercises", "25 min (10 reading, 15 exercises)"),
        ("1 h 10 min (30 reading, 40 exercises)", "70 min (30 reading, 40 exercises)"),
        ("10 min reading + 15 min exercises", "25 min (10 reading, 15 exercises)"),
        ("45 minutes", "45 min"),
        ("to be decided", "None"),
    ],
)
def test_title_cell_estimate(text: str, expected: str) -> None:
    card = parse_title_cell(f"# 07 · Body\n\n**Guide**: section 7\n\n**Estimated time**: {text}")
    assert (card.title, card.guide, str(card.estimate)) == ("Body", "section 7", expected)
