"""`pyshelf list`: what the index publishes, read from the JSON pages in the bucket."""

from __future__ import annotations

from collections.abc import Sequence

import click
from packaging.utils import NormalizedName

from pyshelf.cli.errors import CliError
from pyshelf.cli.run.connection import connect
from pyshelf.cli.target import TargetOptions
from pyshelf.publish.index_reader import BucketIndex, IndexUnreadable, PublishedProject


def run_list(target: TargetOptions, project: NormalizedName | None) -> None:
    connection = connect(target)
    index = BucketIndex(connection.store)
    with connection.errors():
        try:
            text = _project_table(index, project) if project else _root_table(index)
        except IndexUnreadable as exc:
            raise CliError(f"the published index is unreadable: {exc}") from None
    click.echo(text)


def _root_table(index: BucketIndex) -> str:
    names = index.projects()
    if not names:
        return "no projects published yet (after manual edits, run `pyshelf reindex --all`)"
    rows = []
    for name in names:
        page = index.project(NormalizedName(name))
        latest = page.latest if page else None
        count = len(page.files) if page else 0
        rows.append([name, str(latest or "-"), str(count)])
    return table(["PROJECT", "LATEST", "FILES"], rows)


def _project_table(index: BucketIndex, project: NormalizedName) -> str:
    page = index.project(project)
    if page is None:
        raise CliError(f"project {project} is not in the index")
    return table(["VERSION", "FILE", "SIZE", "SHA256", "YANKED"], _file_rows(page))


def _file_rows(page: PublishedProject) -> list[list[str]]:
    rows = []
    ordered = sorted(page.files, key=lambda f: (f.version is None, f.version or 0, f.filename))
    for f in ordered:
        yanked = "-" if f.yanked is None else f"yes{': ' + f.yanked if f.yanked else ''}"
        size = "-" if f.size is None else str(f.size)
        sha = (f.sha256 or "-")[:12]
        rows.append([str(f.version or "?"), f.filename, size, sha, yanked])
    return rows


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, no trailing spaces."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)
