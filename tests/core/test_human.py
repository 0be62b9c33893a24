"""The human pages: every metadata field shown renders inert (an XSS table), the page's content,
and the pages for people never change what pip, uv and pypi-simple get."""

from __future__ import annotations

import html.parser
from datetime import UTC, datetime

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from pyshelf.core import human, layout, render
from pyshelf.core.facts_cache import Entry, FactsCache, YankFacts, indexed_file, latest_release
from pyshelf.core.facts_entries import Entries, Releases
from pyshelf.core.page_model import FileFacts, IndexedFile
from pyshelf.core.release_info import read_release, render_description

FOO = canonicalize_name("foo")
T0 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'
ACTIVE_TAGS = ("script", "iframe", "object", "embed", "style", "base", "meta")


class _Scan(html.parser.HTMLParser):
    """What a browser would run or load: script elements, event handler attributes, and
    URLs of href/src/action that are not http(s), relative or fragment links."""

    def __init__(self) -> None:
        super().__init__()
        self.active: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        ours = tag == "script" and found.get("src") == "/-/pyshelf.js"
        plain_meta = tag == "meta" and not found.get("http-equiv")
        if tag in ACTIVE_TAGS and not ours and not plain_meta:
            self.active.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.active.append(f"{tag} {name}")
            if name in ("href", "src", "action", "formaction", "srcset") and value:
                scheme = value.split(":", 1)[0].lower() if ":" in value.split("/")[0] else ""
                if scheme not in ("", "http", "https"):
                    self.active.append(f"{tag} {name}={value}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def scan(page: bytes) -> _Scan:
    parser = _Scan()
    parser.feed(page.decode())
    return parser


def hostile_metadata(description: str, content_type: str) -> bytes:
    lines = [
        "Metadata-Version: 2.1",
        "Name: foo",
        "Version: 1.0",
        f"Summary: {PAYLOAD}",
        f"Author: {PAYLOAD}",
        f"License: {PAYLOAD}",
        "Home-page: javascript:alert(3)",
        "Project-URL: Docs, javascript:alert(4)",
        "Project-URL: Data, data:text/html,<script>alert(5)</script>",
        f'Project-URL: {PAYLOAD}, https://example.com/"><script>alert(6)</script>',
        "Project-URL: Spaced,  JaVaScRiPt:alert(7)",
        f"Classifier: {PAYLOAD}",
        f"Description-Content-Type: {content_type}",
    ]
    return ("\n".join(lines) + "\n\n" + description).encode()


MARKDOWN = f"""# Title
{PAYLOAD}
[link](javascript:alert(8)) [data](data:text/html;base64,PHNjcmlwdD4=)
<a href="javascript:alert(9)">raw</a> <iframe src="https://evil.example/"></iframe>
<div onclick="alert(10)">div</div> <style>body{{display:none}}</style>
![img](x" onerror="alert(11))
"""
RST = f"""Title
=====

{PAYLOAD}

`link <javascript:alert(12)>`_

.. raw:: html

   <script>alert(13)</script>

.. image:: javascript:alert(14)
"""
PLAIN = PAYLOAD + "\nplain"


def _project_page(metadata: bytes, yank_reason: str) -> tuple[bytes, bytes]:
    """(the human project page, the stored description) of foo 1.0 with this metadata."""
    read = read_release(metadata)
    cache = FactsCache(
        files=Entries({"foo-1.0.tar.gz": Entry(FileFacts('"e"', 10, "a" * 64, ">=3.8"), T0)}),
        yanks={"foo/1.0.yank": YankFacts('"y"', yank_reason)},
        releases=Releases({"1.0": read.info}),
    )
    page = cache.page_bodies(FOO)[layout.human_page_key(FOO)]
    return page, human.description_document(read.description_html or "")


@pytest.mark.parametrize(
    ("description", "content_type"),
    [
        (MARKDOWN, "text/markdown"),
        (MARKDOWN, "text/markdown; variant=CommonMark"),
        (RST, "text/x-rst"),
        (RST, ""),  # no type: reStructuredText, as PyPI
        ("Title\n=\n\n:bad-role:`x` " + PAYLOAD, "text/x-rst"),  # invalid rst: plain text
        (PLAIN, "text/plain"),
    ],
)
def test_every_metadata_field_shown_renders_inert(description: str, content_type: str) -> None:
    page, stored = _project_page(hostile_metadata(description, content_type), PAYLOAD)
    for document in (page, stored):
        found = scan(document)
        assert found.active == [], found.active
    text = "".join(scan(page).text)
    assert PAYLOAD in text  # shown as text: summary, author, license, classifier, yank reason
    assert text.count(PAYLOAD) >= 5
    assert b"javascript:" not in page.lower()
    assert b"data:text" not in page.lower()


def test_only_http_project_urls_are_links() -> None:
    info = read_release(hostile_metadata("", "")).info
    assert info.links == (
        (PAYLOAD, 'https://example.com/"><script>alert(6)</script>'),
    )  # shown, escaped, as an https link
    page, _ = _project_page(hostile_metadata("", ""), "")
    assert b'href="https://example.com/&#34;&gt;&lt;script&gt;alert(6)&lt;/script&gt;"' in page


def test_no_description_no_description_object() -> None:
    assert render_description("  \n", "text/markdown") is None
    read = read_release(hostile_metadata("", "text/markdown"))
    assert read.description_html is None and read.info.description is False


def test_the_project_page_shows_releases_newest_first_with_their_files() -> None:
    cache = FactsCache(
        files=Entries(
            {
                "foo-1.0.tar.gz": Entry(FileFacts('"a"', 2048, "a" * 64), T0),
                "foo-2.0-cp311-abi3-manylinux_2_17_x86_64.whl": Entry(
                    FileFacts('"b"', 5 * 1024 * 1024, "b" * 64, ">=3.11"), T0
                ),
                "foo-3.0rc1.tar.gz": Entry(FileFacts('"c"', 1, "c" * 64), T0),
                "foo-0.1.tar.gz": Entry(FileFacts('"d"', 1, "d" * 64, rejected="bad archive"), T0),
            }
        ),
        yanks={"foo/1.0.yank": YankFacts('"y"', "broken on Windows")},
    )
    page = cache.page_bodies(FOO)[layout.human_page_key(FOO)].decode()
    assert page.index('id="v3.0rc1"') < page.index('id="v2.0"') < page.index('id="v1.0"')
    assert "foo-0.1.tar.gz" not in page  # rejected files are not listed
    assert '<h1>foo <span class="version">2.0</span>' in page  # the latest final release
    assert "cp311 · abi3 · manylinux_2_17_x86_64" in page
    assert "5.0 MiB" in page and "2.0 KiB" in page
    assert ">=3.11" in page.replace("&gt;", ">")
    assert 'href="/foo/foo-2.0-cp311-abi3-manylinux_2_17_x86_64.whl"' in page
    assert '<span class="badge">yanked</span> <span class="why">broken on Windows</span>' in page
    assert "b" * 64 in page


@pytest.mark.parametrize(
    ("versions", "yanked", "latest"),
    [
        (["1.0", "2.0", "3.0rc1"], [], "2.0"),
        (["1.0", "2.0"], ["2.0"], "1.0"),
        (["1.0rc1", "1.0rc2"], [], "1.0rc2"),
        (["1.0"], ["1.0"], "1.0"),
    ],
)
def test_the_latest_release(versions: list[str], yanked: list[str], latest: str) -> None:
    yanks = {Version(v): "" for v in yanked}
    assert latest_release([Version(v) for v in versions], yanks) == Version(latest)


def test_the_api_fragments_do_not_change_with_the_human_row() -> None:
    """The API pages are joins of the same fragments as before the human pages (goldens in
    test_render.py hold their bytes)."""
    cache = FactsCache(files=Entries({"foo-1.0.tar.gz": Entry(FileFacts('"a"', 1, "a" * 64), T0)}))
    bodies = cache.page_bodies(FOO)
    assert bodies["foo/index.html"] == render.project_html_of(
        FOO, [render.file_fragment(_only(cache)).html]
    )


def _only(cache: FactsCache) -> IndexedFile:
    ((name, entry),) = cache.files.items()
    indexed = indexed_file(name, entry, {})
    assert indexed is not None
    return indexed


def test_the_root_lists_projects_with_summaries_and_filters_in_a_script_file() -> None:
    page = human.root_page({"foo": "Foo <things>"}, ["foo", "bar"]).decode()
    assert page.index('href="/-/project/bar/"') < page.index('href="/-/project/foo/"')
    assert "Foo &lt;things&gt;" in page
    assert '<script src="/-/pyshelf.js" defer></script>' in page
    assert scan(page.encode()).active == []
    assert "<script>" not in page and " style=" not in page  # the CSP allows neither inline
