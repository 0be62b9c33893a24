"""Render the pages for people (pure): the human root, a human project page, the 404 page, and
the style sheet and script they load (docs/pages.md). jinja2, autoescaped; no inline script or
style, no third-party asset (the CSP allows only `'self'`).

A project page is a join: each file's table row (`file_row`) and each release's section are
rendered once per process and remembered (`cached_file_row`, `_release_section`); the page adds
per project the latest release's metadata (`ReleaseInfo`).
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from packaging.version import Version

from pyshelf.core import layout
from pyshelf.core.filenames import parse_distribution
from pyshelf.core.page_model import IndexedFile
from pyshelf.core.release_info import ReleaseInfo

_env = Environment(
    loader=PackageLoader("pyshelf.core", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


@dataclass(frozen=True, slots=True)
class ReleaseRows:
    """One release of a project page: its files' rows (already rendered) in page order."""

    version: Version
    yanked: str | None
    uploaded: datetime  # the latest upload among its files
    rows: Sequence[str]
    text: str = ""  # the version as its first file names it (default: `str(version)`)

    @property
    def uploaded_text(self) -> str:
        return self.uploaded.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def uploaded_day(self) -> str:
        return self.uploaded.astimezone(UTC).strftime("%Y-%m-%d")


def file_row(f: IndexedFile) -> str:
    """A file's table row on the human project page (escaped HTML)."""
    dist = parse_distribution(f.filename)
    return _env.get_template("human/file_row.html.j2").render(
        f=f,
        project=dist.project,
        size=human_size(f.size),
        uploaded=f.upload_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        tags=wheel_tags(f.filename) if dist.kind == "wheel" else "source",
    )


@functools.lru_cache(maxsize=1 << 17)
def cached_file_row(
    filename: str, sha256: str, size: int, uploaded: datetime, requires_python: str | None
) -> str:
    """`file_row`, remembered per process: a page shows every file of the project, and an
    event changes one."""
    version = parse_distribution(filename).version
    shown = IndexedFile(filename, version, sha256, size, uploaded, requires_python, None, None)
    return file_row(shown)


def project_page(
    name: str, releases: Sequence[ReleaseRows], info: ReleaseInfo | None, latest: Version | None
) -> bytes:
    """The human project page: releases newest first, the newest open, older ones collapsed
    (`releases` in page order: oldest first)."""
    ordered = reversed(releases)
    sections = Markup("".join(_section(r, first=i == 0) for i, r in enumerate(ordered)))
    description = None
    if info is not None and info.description and latest is not None:
        description = "/" + quote(layout.description_key(name, latest))  # type: ignore[arg-type]
    return (
        _env.get_template("human/project.html.j2")
        .render(
            name=name,
            releases=sections,
            info=info or ReleaseInfo(),
            latest=str(latest) if latest else None,
            description=description,
        )
        .encode()
    )


_TABLE_HEAD = (
    '<div class="files"><table>\n<thead><tr><th>File</th><th>Size</th>'
    "<th>Uploaded</th><th>Requires-Python</th>"
    "<th>Tags (python, abi, platform)</th><th>SHA256</th></tr></thead>"
    "\n<tbody>\n"
)


def _section(r: ReleaseRows, *, first: bool) -> str:
    """A release's section, remembered: an event changes one release of a project, so the
    sections of the others are reused (per warm Lambda container, keyed by all they show)."""
    return _release_section(r.text or str(r.version), r.yanked, r.uploaded, tuple(r.rows), first)


@functools.lru_cache(maxsize=1 << 15)
def _release_section(
    version: str, yanked: str | None, uploaded: datetime, rows: tuple[str, ...], first: bool
) -> str:
    return _release(ReleaseRows(Version(version), yanked, uploaded, rows), first=first)


def _release(r: ReleaseRows, *, first: bool) -> str:
    """One release's section: a `<details>` (the newest open) with its files' table. Built
    without the template engine: a page of 5,000 releases renders in a fraction of the time."""
    version, count = escape(str(r.version)), len(r.rows)
    classes, badge, reason = "release", "", ""
    if r.yanked is not None:
        classes += " yanked"
        badge = ' <span class="badge">yanked</span>'
        if r.yanked:
            badge += f' <span class="why">{escape(r.yanked)}</span>'
        said = f"Yanked: {escape(r.yanked)}" if r.yanked else "Yanked (no reason given)."
        reason = f'<p class="reason">{said}</p>\n'
    files = f"{count} file{'' if count == 1 else 's'}"
    summary = (
        f'<summary><span class="version">{version}</span>{badge} <time datetime='
        f'"{r.uploaded_text}">{r.uploaded_day}</time> <span class="files">{files}</span></summary>'
    )
    head = f'<details class="{classes}" id="v{version}"{" open" if first else ""}>'
    rows = "".join(r.rows)
    return f"{head}\n{summary}\n{reason}{_TABLE_HEAD}{rows}</tbody></table></div>\n</details>\n"


def root_page(summaries: Mapping[str, str], names: Iterable[str]) -> bytes:
    """The human root: every project with its summary, sorted by name."""
    projects = [(name, summaries.get(name, "")) for name in sorted(names)]
    return _env.get_template("human/root.html.j2").render(projects=projects).encode()


def not_found_page() -> bytes:
    return _env.get_template("human/404.html.j2").render().encode()


def description_document(fragment: str) -> bytes:
    """The stored description of a release: sanitised HTML (readme_renderer's output) in a
    minimal document, readable on its own and loaded into the project page by its script."""
    head = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Description</title>'
    head += '<link rel="stylesheet" href="/-/pyshelf.css"></head><body><main class="readme">\n'
    return (head + fragment + "\n</main></body></html>\n").encode()


def static_files() -> dict[str, bytes]:
    """The style sheet and script every human page loads, by bucket key."""
    folder = importlib.resources.files("pyshelf.core") / "templates" / "human"
    return {
        layout.STYLE_SHEET: (folder / "pyshelf.css").read_bytes(),
        layout.SCRIPT: (folder / "pyshelf.js").read_bytes(),
    }


def human_size(size: int) -> str:
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def wheel_tags(filename: str) -> str:
    """`python · abi · platform` from a wheel's filename (compressed tag sets kept as they are,
    `.` between their parts)."""
    python, abi, platform = filename[: -len(".whl")].split("-")[-3:]
    return f"{python} · {abi} · {platform}"
