"""Render pages (pure): PEP 503 HTML with jinja2 (autoescaped) and PEP 691 JSON.

Output is a deterministic function of the model, so unchanged pages are byte-identical. A project
page is a join of per-file fragments (`file_fragment`: the HTML anchor and the JSON entry), so
a fragment is rendered once, when its file is learned, and remembered (`core.facts_cache`).
`FRAGMENT_VERSION` names the fragment format: change it with the templates, and remembered
fragments are rendered again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pyshelf.core.page_model import IndexedFile, ProjectPage

API_VERSION = "1.1"
# 2: the human page's row was a fragment too; 3: it is not (rendered per process, remembered:
# `core.human.cached_file_row`), which keeps 2.4 of a 5,000-file cache's 8 MB out of it.
FRAGMENT_VERSION = 3

_env = Environment(
    loader=PackageLoader("pyshelf.core", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class Fragment:
    """One file as a project page shows it: its HTML anchor line and its JSON entry."""

    html: str
    json: str


def file_fragment(f: IndexedFile) -> Fragment:
    anchor = _env.get_template("anchor.html.j2").render(f=f)
    return Fragment(anchor, _dumps(_file_json(f)))


def project_html(page: ProjectPage) -> bytes:
    return project_html_of(page.name, [file_fragment(f).html for f in page.files])


def project_json(page: ProjectPage) -> bytes:
    return project_json_of(page.name, [file_fragment(f).json for f in page.files], page.versions)


def project_html_of(name: str, anchors: Iterable[str]) -> bytes:
    """The HTML page from the anchors of its files, in page order (already escaped: joined,
    they are one piece of markup for the template)."""
    template = _env.get_template("project.html.j2")
    return template.render(name=name, anchors=[Markup("".join(anchors))]).encode()


def project_json_of(name: str, entries: Iterable[str], versions: Sequence[str]) -> bytes:
    """The JSON page from the entries of its files, in page order: the bytes `json.dumps` gives
    for the whole document."""
    head = _dumps({"meta": {"api-version": API_VERSION}, "name": name})[:-1]
    tail = _dumps(list(versions))
    return f'{head},"files":[{",".join(entries)}],"versions":{tail}}}\n'.encode()


def root_html(names: Iterable[str]) -> bytes:
    return _env.get_template("root.html.j2").render(names=sorted(names)).encode()


def root_json(names: Iterable[str]) -> bytes:
    projects = [{"name": name} for name in sorted(names)]
    return (_dumps({"meta": {"api-version": API_VERSION}, "projects": projects}) + "\n").encode()


def _file_json(f: IndexedFile) -> dict[str, Any]:
    item: dict[str, Any] = {
        "filename": f.filename,
        "url": f.url,
        "hashes": {"sha256": f.sha256},
        "size": f.size,
        "upload-time": f.upload_time_text,
    }
    if f.requires_python:
        item["requires-python"] = f.requires_python
    item["core-metadata"] = {"sha256": f.metadata_sha256} if f.metadata_sha256 else False
    if f.yanked is not None:
        item["yanked"] = f.yanked or True
    return item


def _dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
