"""`pyshelf list`: what the index publishes, read from the JSON pages in the bucket (and, for
the files the indexer rejected, which no page lists, from the project's facts cache).

The root listing reads the root page, then every project's page at once (`WORKERS` at a time),
never one after the other."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import click
from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.cli.errors import CliError
from pyshelf.cli.run.connection import connect
from pyshelf.cli.target import TargetOptions
from pyshelf.core.filenames import NotADistribution, parse_distribution
from pyshelf.publish.index_reader import BucketIndex, IndexUnreadable, PublishedProject

WORKERS = 16
NO_PROJECTS = "no projects published yet (after manual edits, run `pyshelf reindex --all`)"


def run_list(target: TargetOptions, project: NormalizedName | None, *, as_json: bool) -> None:
    connection = connect(target)
    index = BucketIndex(connection.store)
    with connection.errors():
        try:
            document = _project(index, project) if project else _root(index)
        except IndexUnreadable as exc:
            raise CliError(f"the published index is unreadable: {exc}") from None
    if as_json:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif project:
        click.echo(_project_table(document))
    else:
        click.echo(_root_table(document))


def _root(index: BucketIndex) -> dict[str, Any]:
    names = index.projects() or []
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pages = list(pool.map(lambda name: index.project(NormalizedName(name)), names))
    return {"projects": [_summary(name, page) for name, page in zip(names, pages, strict=True)]}


def _summary(name: str, page: PublishedProject | None) -> dict[str, Any]:
    files = page.files if page else ()
    uploads = [f.upload_time for f in files if f.upload_time]
    latest = page.latest if page else None
    return {
        "name": name,
        "latest": str(latest) if latest else None,
        "files": len(files),
        "last-upload": max(uploads) if uploads else None,
    }


def _project(index: BucketIndex, project: NormalizedName) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        page_future = pool.submit(index.project, project)
        rejected_future = pool.submit(index.rejected, project)
        page, rejected = page_future.result(), rejected_future.result()
    if page is None and not rejected:
        raise CliError(f"project {project} is not in the index")
    files: list[dict[str, Any]] = [
        {
            "filename": f.filename,
            "version": str(f.version) if f.version else None,
            "size": f.size,
            "sha256": f.sha256,
            "upload-time": f.upload_time,
            "requires-python": f.requires_python,
            "yanked": f.yanked,
            "rejected": None,
        }
        for f in (page.files if page else ())
    ]
    files += [_rejected(filename, why) for filename, why in sorted(rejected.items())]
    files.sort(key=lambda f: (f["version"] is None, _version_key(f["version"]), f["filename"]))
    return {"name": project, "files": files}


def _rejected(filename: str, why: str) -> dict[str, Any]:
    try:
        version: str | None = str(parse_distribution(filename).version)
    except NotADistribution:
        version = None
    return {
        "filename": filename,
        "version": version,
        "size": None,
        "sha256": None,
        "upload-time": None,
        "requires-python": None,
        "yanked": None,
        "rejected": why,
    }


def _version_key(version: str | None) -> Version:
    return Version(version) if version else Version("0")


def _root_table(document: dict[str, Any]) -> str:
    projects = document["projects"]
    if not projects:
        return NO_PROJECTS
    rows = [
        [p["name"], p["latest"] or "-", str(p["files"]), _when(p["last-upload"])] for p in projects
    ]
    return table(["PROJECT", "LATEST", "FILES", "LAST UPLOAD"], rows)


def _project_table(document: dict[str, Any]) -> str:
    rows = []
    for f in document["files"]:
        if f["rejected"] is not None:
            status = f"rejected: {f['rejected']}"
        elif f["yanked"] is not None:
            status = f"yanked{': ' + f['yanked'] if f['yanked'] else ''}"
        else:
            status = "-"
        size = "-" if f["size"] is None else str(f["size"])
        rows.append(
            [
                f["version"] or "?",
                f["filename"],
                size,
                _when(f["upload-time"]),
                f["requires-python"] or "-",
                (f["sha256"] or "-")[:12],
                status,
            ]
        )
    headers = ["VERSION", "FILE", "SIZE", "UPLOADED", "REQUIRES-PYTHON", "SHA256", "STATUS"]
    return table(headers, rows)


def _when(upload_time: str | None) -> str:
    """`2026-11-27 16:00` (UTC) from the page's ISO 8601 upload time."""
    if not upload_time:
        return "-"
    return upload_time[:16].replace("T", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, no trailing spaces."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)
