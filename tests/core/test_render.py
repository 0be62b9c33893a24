"""Pages: golden files, and parse-back of every page with pypi-simple (HTML and JSON)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pypi_simple
import pytest
from packaging.version import Version

from pyshelf.core import render
from pyshelf.core.encoding import decoded, gzip_body
from pyshelf.core.filenames import parse_distribution
from pyshelf.core.page_model import FileFacts, Listed, ProjectPage, build_project_page

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
BASE = "https://index.example/foo/"
T0 = datetime(2026, 11, 27, 16, 0, 0, 123000, tzinfo=UTC)


def _listed(filename: str, sha: str, *, rp: str | None = None, meta: str | None = None) -> Listed:
    facts = FileFacts('"etag"', len(filename) * 100, sha * 64, rp, meta and meta * 64, None)
    return Listed(parse_distribution(filename), facts, T0)


def sample_page() -> ProjectPage:
    listed = [
        _listed("foo-2.0+local.1-py3-none-any.whl", "c", rp=">=3.9", meta="d"),
        _listed("foo-1.0.tar.gz", "a", rp="<4,>=3.8"),
        _listed("foo-1.0-py3-none-any.whl", "b", rp="<4,>=3.8", meta="e"),
        _listed("foo-1.1.zip", "f"),
    ]
    yanks = {Version("1.0"): 'broken "build" <see #12> & more', Version("1.1"): ""}
    return build_project_page(parse_distribution("foo-1.0.tar.gz").project, listed, yanks)


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("PYSHELF_UPDATE_GOLDEN"):
        path.write_bytes(data)
        pytest.fail(f"{name}: golden file rewritten; review the diff, then run without the flag")
    assert data == path.read_bytes(), f"{name} differs from its golden file"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("project.html", lambda: render.project_html(sample_page())),
        ("project.json", lambda: render.project_json(sample_page())),
        ("root.html", lambda: render.root_html(["foo-bar", "foo", "a"])),
        ("root.json", lambda: render.root_json(["foo-bar", "foo", "a"])),
    ],
)
def test_golden(name: str, make: object) -> None:
    check_golden(name, make())  # type: ignore[operator]


def test_files_sorted_by_version_then_filename() -> None:
    names = [f.filename for f in sample_page().files]
    assert names == [
        "foo-1.0-py3-none-any.whl",
        "foo-1.0.tar.gz",
        "foo-1.1.zip",
        "foo-2.0+local.1-py3-none-any.whl",
    ]


def _check_packages(packages: list[pypi_simple.DistributionPackage]) -> None:
    by_name = {p.filename: p for p in packages}
    wheel = by_name["foo-1.0-py3-none-any.whl"]
    assert wheel.digests == {"sha256": "b" * 64}
    assert wheel.requires_python == "<4,>=3.8"
    assert wheel.has_metadata is True
    assert wheel.metadata_digests == {"sha256": "e" * 64}
    assert wheel.is_yanked and wheel.yanked_reason == 'broken "build" <see #12> & more'
    assert by_name["foo-1.1.zip"].is_yanked and not by_name["foo-1.1.zip"].yanked_reason
    assert by_name["foo-1.0.tar.gz"].has_metadata in (False, None)
    local = by_name["foo-2.0+local.1-py3-none-any.whl"]
    assert local.url == BASE + "foo-2.0%2Blocal.1-py3-none-any.whl"
    assert not local.is_yanked
    assert local.version == "2.0+local.1"


def test_html_parses_back_with_pypi_simple() -> None:
    page = pypi_simple.ProjectPage.from_html("foo", render.project_html(sample_page()), BASE)
    assert page.repository_version == "1.1"
    assert len(page.packages) == 4
    _check_packages(page.packages)


def test_the_json_pages_gzip_variants_parse_back_with_pypi_simple() -> None:
    """What a gzip-accepting client gets (docs/layout.md), decoded as it decodes it."""
    project = decoded(gzip_body(render.project_json(sample_page())), "gzip")
    page = pypi_simple.ProjectPage.from_json_data(json.loads(project), BASE)
    _check_packages(page.packages)
    root = decoded(gzip_body(render.root_json(["bar", "foo"])), "gzip")
    assert pypi_simple.IndexPage.from_json_data(json.loads(root)).projects == ["bar", "foo"]


def test_json_parses_back_with_pypi_simple() -> None:
    data = json.loads(render.project_json(sample_page()))
    page = pypi_simple.ProjectPage.from_json_data(data, BASE)
    assert page.repository_version == "1.1"
    assert page.versions == ["1.0", "1.1", "2.0+local.1"]
    _check_packages(page.packages)
    by_name = {p.filename: p for p in page.packages}
    assert by_name["foo-1.0.tar.gz"].upload_time == T0
    assert by_name["foo-1.0.tar.gz"].size == len("foo-1.0.tar.gz") * 100


def test_json_fields_follow_pep_691_and_700() -> None:
    data = json.loads(render.project_json(sample_page()))
    assert data["meta"] == {"api-version": "1.1"}
    assert data["name"] == "foo"
    for item in data["files"]:
        assert "dist-info-metadata" not in item
        assert item["upload-time"] == "2026-11-27T16:00:00.123000Z"
        assert set(item) >= {"filename", "url", "hashes", "size", "upload-time", "core-metadata"}
    sdist = next(f for f in data["files"] if f["filename"] == "foo-1.0.tar.gz")
    assert sdist["core-metadata"] is False
    assert next(f for f in data["files"] if f["filename"] == "foo-1.1.zip")["yanked"] is True


def test_html_has_one_anchor_per_file_and_escapes_attributes() -> None:
    html = render.project_html(sample_page()).decode()
    assert html.count("<a ") == 4
    assert 'data-requires-python="&lt;4,&gt;=3.8"' in html
    assert 'data-yanked="broken &#34;build&#34; &lt;see #12&gt; &amp; more"' in html
    assert 'data-yanked=""' in html
    assert html.count('data-dist-info-metadata="sha256=') == 2
    assert '<meta name="pypi:repository-version" content="1.1">' in html


def test_root_parses_back() -> None:
    names = ["foo-bar", "foo", "a"]
    html_page = pypi_simple.IndexPage.from_html(render.root_html(names))
    json_page = pypi_simple.IndexPage.from_json_data(json.loads(render.root_json(names)))
    assert html_page.projects == json_page.projects == ["a", "foo", "foo-bar"]


def test_empty_root() -> None:
    assert json.loads(render.root_json([]))["projects"] == []
    assert "<a " not in render.root_html([]).decode()
