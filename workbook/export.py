"""The notebooks as a static HTML site that reads offline, for a projector or a USB stick.

One page per chapter and an index. Pages use nbconvert's ``lab`` template with
its CSS inlined, minus every script it would fetch from the internet
(require.js, MathJax, mermaid, the widget renderer): the workbook's notebooks
need none of them, and a workshop room may have no network. Links between
chapters (``chapters/02_environment.ipynb``) become links between pages, and
every page links to the previous chapter, the index and the next one.

The instructor's site shows the solutions with their outputs; ``learner=True``
renders the learner notebooks as the build generates them from the solutions
(not the files in chapters/, which may hold a learner's answers).
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

from .build import chapter_states, read_notebook
from .chapters import Chapter, all_chapters
from .errors import WorkbookError
from .titlecell import TitleCell, parse_title_cell

WORKBOOK = "FastAPI Mastery Workbook"
INDEX = "index.html"
# The index carries this tag, so that export only ever replaces a folder it wrote.
GENERATOR = '<meta name="generator" content="workbook export">'

_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block extra_css %}<style>{{ resources.workbook_css }}</style>{% endblock extra_css %}
{% block body_header %}{{ super() }}{{ resources.workbook_nav }}{% endblock body_header %}
{% block body_footer %}{{ resources.workbook_nav }}{{ super() }}{% endblock body_footer %}
"""
_CSS = """
.workbook-nav { display: flex; justify-content: space-between; gap: 1em;
  max-width: 1100px; margin: 1em auto; padding: 0.5em 1em; font-family: sans-serif; }
.workbook-nav a { text-decoration: none; }
"""
_INDEX_CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
  line-height: 1.5; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.8em; text-align: left; }
tfoot td { font-weight: bold; border-bottom: none; }
a { text-decoration: none; }
"""
# A link to a chapter notebook, from any folder: chapters/02_x.ipynb, ../solutions/02_x.ipynb.
_CHAPTER_LINK = re.compile(
    r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)(?:[^"#?]*/)?(\d\d_[a-z0-9_]+)\.ipynb(#[^"]*)?"'
)


@dataclass(frozen=True)
class Page:
    chapter: Chapter
    card: TitleCell
    notebook: nbformat.NotebookNode

    @property
    def file(self) -> str:
        return f"{self.chapter.name}.html"

    @property
    def label(self) -> str:
        return f"{self.chapter.number:02d} · {self.card.title or self.chapter.slug}"


def _pages(*, learner: bool) -> list[Page]:
    pages = []
    learners = (
        {chapter.name: notebook for chapter, notebook, _ in chapter_states()} if learner else {}
    )
    for chapter in all_chapters():
        notebook = learners.get(chapter.name) or read_notebook(chapter.solution)
        first = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
        pages.append(Page(chapter, parse_title_cell(first), notebook))
    return pages


def rewrite_chapter_links(page: str) -> str:
    """``href="chapters/02_environment.ipynb#x"`` becomes ``href="02_environment.html#x"``."""
    return _CHAPTER_LINK.sub(lambda m: f'href="{m[1]}.html{m[2] or ""}"', page)


def nav(pages: list[Page], position: int) -> str:
    """Previous chapter, index, next chapter: the bar at the top and bottom of a page."""

    def link(target: Page | None, rel: str, text: str) -> str:
        if target is None:
            return "<span></span>"
        return f'<a href="{target.file}" rel="{rel}">{html.escape(text)}</a>'

    before = pages[position - 1] if position > 0 else None
    after = pages[position + 1] if position + 1 < len(pages) else None
    return (
        '<nav class="workbook-nav">'
        + link(before, "prev", f"← {before.label}" if before else "")
        + f'<a href="{INDEX}">Contents</a>'
        + link(after, "next", f"{after.label} →" if after else "")
        + "</nav>"
    )


class _Headings(HTMLParser):
    """The ``<h2 id=...>`` sections of a rendered page, without their ¶ anchors."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._id: str | None = None
        self._text: list[str] = []
        self._in_anchor = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._id, self._text = dict(attrs).get("id"), []
        elif tag == "a" and self._id is not None:
            self._in_anchor = "anchor-link" in (dict(attrs).get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_anchor = False
        elif tag == "h2" and self._id is not None:
            self.found.append((self._id, "".join(self._text).strip()))
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._id is not None and not self._in_anchor:
            self._text.append(data)


def headings(page: str) -> list[tuple[str, str]]:
    """``(id, text)`` of each section heading of a rendered page."""
    parser = _Headings()
    parser.feed(page)
    return parser.found


def _minutes(total: int) -> str:
    hours, minutes = divmod(total, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def index_page(pages: list[Page], sections: dict[str, list[tuple[str, str]]], title: str) -> str:
    """The chapter table (number, title, guide section, estimated time) and the contents."""
    esc = html.escape
    rows = [
        f"<tr><td>{p.chapter.number:02d}</td>"
        f'<td><a href="{p.file}">{esc(p.card.title or p.chapter.slug)}</a></td>'
        f"<td>{esc(p.card.guide)}</td><td>{esc(str(p.card.estimate or '?'))}</td></tr>"
        for p in pages
    ]
    estimated = sum(p.card.estimate.total for p in pages if p.card.estimate)
    contents = []
    for page in pages:
        items = "".join(
            f'<li><a href="{page.file}#{esc(anchor)}">{esc(text)}</a></li>'
            for anchor, text in sections.get(page.file, [])
        )
        contents.append(
            f'<li><a href="{page.file}">{esc(page.label)}</a>'
            + (f"<ul>{items}</ul>" if items else "")
            + "</li>"
        )
    return "\n".join(
        [
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            GENERATOR,
            f"<title>{esc(title)}</title>\n<style>{_INDEX_CSS}</style>\n</head>\n<body>",
            f"<h1>{esc(title)}</h1>",
            f"<p>{len(pages)} chapters, about {_minutes(estimated)} of reading and exercises.</p>",
            "<h2>Chapters</h2>",
            "<table>\n<thead><tr><th>NN</th><th>chapter</th><th>guide</th>"
            "<th>estimated time</th></tr></thead>\n<tbody>",
            *rows,
            f"</tbody>\n<tfoot><tr><td></td><td>total</td><td></td>"
            f"<td>{_minutes(estimated)}</td></tr></tfoot>\n</table>",
            "<h2>Contents</h2>",
            f"<ol>{''.join(contents)}</ol>",
            "</body>\n</html>\n",
        ]
    )


def _exporter() -> HTMLExporter:
    # embed_images stays off: with it, nbconvert 7 re-parses each raw HTML
    # block on its own and closes the <details> of a folded hint before its text.
    return HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab",
        extra_loaders=[DictLoader({"workbook.html.j2": _TEMPLATE})],
        template_file="workbook.html.j2",
    )


def render_site(*, learner: bool = False) -> dict[str, str]:
    """Every file of the site, by name, computed in memory."""
    pages = _pages(learner=learner)
    if not pages:
        raise WorkbookError("no chapters to export: solutions/ has no NN_slug.ipynb notebooks")
    title = WORKBOOK + (" (learner edition)" if learner else " (solutions)")
    exporter = _exporter()
    files: dict[str, str] = {}
    for position, page in enumerate(pages):
        body, _ = exporter.from_notebook_node(
            page.notebook,
            resources={
                "metadata": {"name": f"{page.label} · {title}"},
                "workbook_nav": nav(pages, position),
                "workbook_css": _CSS,
            },
        )
        files[page.file] = rewrite_chapter_links(body)
    sections = {name: headings(text) for name, text in files.items()}
    files[INDEX] = index_page(pages, sections, title)
    return files


def _claim(out: Path) -> None:
    """Empty ``out`` if it holds an earlier export; refuse any other non-empty folder."""
    if not out.exists():
        return
    if not out.is_dir():
        raise WorkbookError(f"{out} is a file; choose a folder for the site")
    index = out / INDEX
    if index.is_file() and GENERATOR in index.read_text(encoding="utf-8", errors="replace"):
        shutil.rmtree(out)
    elif any(out.iterdir()):
        raise WorkbookError(
            f"{out} is not empty and holds no earlier export; choose an empty or new folder"
        )


def export_site(out: Path, *, learner: bool = False) -> list[Path]:
    """Write the site into ``out`` (replacing an earlier export there); return its files."""
    files = render_site(learner=learner)  # everything is rendered before anything is removed
    _claim(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written


class _Links(HTMLParser):
    """The ids of a page, the places it links to, and what it would load from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        for name in ("href", "src"):
            if name in values:
                self.links.append(values[name])
        if "src" in values or (tag == "link" and "href" in values):
            self.loads.append(values.get("src") or values["href"])


def _is_remote(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def check_site(site: Path) -> list[str]:
    """Problems of a rendered site, one line each: dead local links, resources from elsewhere."""
    parsed: dict[Path, _Links] = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page.resolve()] = parser
    problems = []
    for page, parser in parsed.items():
        name = page.relative_to(site.resolve()).as_posix()
        for url in parser.loads:
            if _is_remote(url) and not url.startswith("data:"):
                problems.append(f"{name} loads {url} from outside the site")
        for url in parser.links:
            if _is_remote(url):
                continue
            parts = urlsplit(url)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_relative_to(site.resolve()) or not target.is_file():
                problems.append(f"{name} links to {url}, which is not a file of the site")
            elif parts.fragment and target in parsed:
                ids = parsed[target].ids
                if parts.fragment not in ids and unquote(parts.fragment) not in ids:
                    problems.append(f"{name} links to {url}, which has no such anchor")
    return problems
