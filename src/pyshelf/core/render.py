"""Render pages (pure): PEP 503 HTML with jinja2 (autoescaped) and PEP 691 JSON.

Output is a deterministic function of the model, so unchanged pages are byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from pyshelf.core.page_model import IndexedFile, ProjectPage

API_VERSION = "1.1"

_env = Environment(
    loader=PackageLoader("pyshelf.core", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def project_html(page: ProjectPage) -> bytes:
    return _env.get_template("project.html.j2").render(page=page).encode()


def root_html(names: Iterable[str]) -> bytes:
    return _env.get_template("root.html.j2").render(names=sorted(names)).encode()


def project_json(page: ProjectPage) -> bytes:
    return _dump(
        {
            "meta": {"api-version": API_VERSION},
            "name": page.name,
            "files": [_file_json(f) for f in page.files],
            "versions": page.versions,
        }
    )


def root_json(names: Iterable[str]) -> bytes:
    projects = [{"name": name} for name in sorted(names)]
    return _dump({"meta": {"api-version": API_VERSION}, "projects": projects})


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


def _dump(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
