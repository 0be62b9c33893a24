"""The per-project facts cache (pure): what was learned from each file and yank record, and each
file's page fragments, so that pages are a join and no unchanged file is read or rendered again.

It is the conditional source of truth of the event hot path (docs/race-freedom.md): per filename
the ETag, size and upload time (LastModified) of the object it describes, its sha256,
Requires-Python, `.metadata` sha256 and `.metadata` ETag; per yank record its ETag and reason;
per release the short metadata the human pages show (`ReleaseInfo`: summary, author, links; the
long description is stored per release beside the human page, not here).

Stored gzip-compressed (deterministic: `mtime=0`). A project without files is stored as zero
bytes, not deleted (a delete cannot be made conditional): the root and the private set count
only non-empty caches.
"""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import human, layout, render
from pyshelf.core.filenames import NotADistribution, parse_distribution
from pyshelf.core.page_model import FileFacts, IndexedFile
from pyshelf.core.release_info import ReleaseInfo

# 3: entries remember rejected files (`FileFacts.rejected`); a schema 2 cache listed them.
SCHEMA = 3


@dataclass(frozen=True, slots=True)
class YankFacts:
    etag: str
    reason: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """A file's fragment, as rendered with fragment format `version` and yank state `yanked`."""

    version: int
    yanked: str | None
    html: str
    json: str
    human: str = ""  # the row of the human project page


@dataclass(frozen=True, slots=True)
class Entry:
    facts: FileFacts
    upload_time: datetime
    rendered: Rendered | None = None


@dataclass(slots=True)
class FactsCache:
    files: dict[str, Entry] = field(default_factory=dict)
    yanks: dict[str, YankFacts] = field(default_factory=dict)  # by yank record key
    releases: dict[str, ReleaseInfo] = field(default_factory=dict)  # by canonical version

    @property
    def empty(self) -> bool:
        """No listed files: no pages, not in the root (yank records alone, or rejected files
        alone, do not make a project)."""
        return not any(entry.facts.rejected is None for entry in self.files.values())

    @property
    def listed(self) -> int:
        """How many files the pages list."""
        return sum(entry.facts.rejected is None for entry in self.files.values())

    def copy(self) -> FactsCache:
        return FactsCache(dict(self.files), dict(self.yanks), dict(self.releases))

    def yanked(self) -> dict[Version, str]:
        versions = ((layout.version_of_yank(key), y.reason) for key, y in self.yanks.items())
        return {version: reason for version, reason in versions if version is not None}

    def refresh(self) -> int:
        """Render the fragment of every file whose remembered one is missing, of another format,
        or of another yank state; the number rendered."""
        yanked, count = self.yanked(), 0
        listed = {
            str(v) for n, e in self.files.items() if e.facts.rejected is None and (v := _version(n))
        }
        self.releases = {v: info for v, info in self.releases.items() if v in listed}
        for name, entry in self.files.items():
            indexed = indexed_file(name, entry, yanked)
            if indexed is None or entry.facts.rejected is not None:
                continue
            seen = entry.rendered
            if seen and seen.version == render.FRAGMENT_VERSION and seen.yanked == indexed.yanked:
                continue
            fragment = render.file_fragment(indexed)
            rendered = Rendered(
                render.FRAGMENT_VERSION,
                indexed.yanked,
                fragment.html,
                fragment.json,
                human.file_row(indexed),
            )
            self.files[name] = replace(entry, rendered=rendered)
            count += 1
        return count

    def pages(self, project: NormalizedName) -> tuple[bytes, bytes] | None:
        """(HTML, JSON) project pages: a join of the fragments (`refresh` first); None when the
        project has no files."""
        bodies = self.page_bodies(project)
        html_key, json_key = layout.page_keys(project)
        return (bodies[html_key], bodies[json_key]) if bodies else None

    def page_bodies(self, project: NormalizedName) -> dict[str, bytes]:
        """Every page of the project by key: the API pages (HTML, JSON) and the human page, a
        join of the fragments (`refresh` first); empty when the project has no files."""
        self.refresh()
        rows = self._rows()
        if not rows:
            return {}
        versions = [str(v) for v in sorted({row[0] for row in rows})]
        html_key, json_key = layout.page_keys(project)
        return {
            html_key: render.project_html_of(project, [row[3].html for row in rows]),
            json_key: render.project_json_of(project, [row[3].json for row in rows], versions),
            layout.human_page_key(project): self._human_page(project, rows),
        }

    def _rows(self) -> list[tuple[Version, str, datetime, Rendered]]:
        """(version, filename, upload time, fragments) of every listed file, in page order."""
        rows = []
        for name, entry in self.files.items():
            if entry.facts.rejected is not None or entry.rendered is None:
                continue
            if (version := _version(name)) is not None:
                rows.append((version, name, entry.upload_time, entry.rendered))
        rows.sort(key=lambda row: (row[0], row[1]))
        return rows

    def _human_page(
        self, project: NormalizedName, rows: list[tuple[Version, str, datetime, Rendered]]
    ) -> bytes:
        yanked = self.yanked()
        grouped: dict[Version, list[tuple[datetime, str]]] = {}
        for version, _name, uploaded, rendered in rows:
            grouped.setdefault(version, []).append((uploaded, rendered.human))
        releases = [
            human.ReleaseRows(v, yanked.get(v), max(t for t, _ in items), [r for _, r in items])
            for v, items in grouped.items()
        ]
        latest = latest_release(grouped, yanked)
        info = self.releases.get(str(latest)) if latest else None
        return human.project_page(project, releases, info, latest)

    @property
    def summary(self) -> str | None:
        """The summary of the latest release (None: no listed files)."""
        versions = {
            v for n, e in self.files.items() if e.facts.rejected is None and (v := _version(n))
        }
        latest = latest_release(versions, self.yanked())
        if latest is None:
            return None
        info = self.releases.get(str(latest))
        return info.summary if info else ""

    def dumps(self) -> bytes:
        """Deterministic bytes; zero bytes for a cache without listed files (so a project of
        rejected files alone keeps no record of them: a listing reads them again)."""
        if self.empty:
            return b""
        document = {
            "schema": SCHEMA,
            "files": {name: _entry_json(e) for name, e in sorted(self.files.items())},
            "yanks": {key: asdict(facts) for key, facts in sorted(self.yanks.items())},
        }
        if self.releases:
            document["releases"] = {v: r.to_json() for v, r in sorted(self.releases.items())}
        data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        return gzip.compress(data, compresslevel=6, mtime=0)

    @classmethod
    def parse(cls, data: bytes) -> FactsCache | None:
        """The cache `data` holds; None when it is unreadable or of another schema."""
        if not data:
            return cls()
        try:
            document: dict[str, Any] = json.loads(gzip.decompress(data))
            if document.get("schema") != SCHEMA:
                return None
            files = {name: _entry_of(value) for name, value in document["files"].items()}
            yanks = {key: YankFacts(**value) for key, value in document["yanks"].items()}
            releases = {
                version: ReleaseInfo.from_json(value)
                for version, value in document.get("releases", {}).items()
            }
        except (OSError, EOFError, zlib.error, ValueError, TypeError, KeyError, AttributeError):
            return None
        return cls(files, yanks, releases)

    @classmethod
    def loads(cls, data: bytes) -> FactsCache:
        """Parse a cache; anything unreadable is an empty cache (everything is learned again)."""
        return cls.parse(data) or cls()


def latest_release(versions: Iterable[Version], yanked: Mapping[Version, str]) -> Version | None:
    """The release a project page leads with: the highest final release not yanked, else the
    highest not yanked, else the highest."""
    ordered = sorted(versions, reverse=True)
    for candidates in (
        [v for v in ordered if v not in yanked and not v.is_prerelease],
        [v for v in ordered if v not in yanked],
        ordered,
    ):
        if candidates:
            return candidates[0]
    return None


def indexed_file(name: str, entry: Entry, yanked: dict[Version, str]) -> IndexedFile | None:
    version = _version(name)
    if version is None:
        return None
    facts = entry.facts
    return IndexedFile(
        filename=name,
        version=version,
        sha256=facts.sha256,
        size=facts.size,
        upload_time=entry.upload_time,
        requires_python=facts.requires_python,
        metadata_sha256=facts.metadata_sha256,
        yanked=yanked.get(version),
    )


@functools.lru_cache(maxsize=1 << 17)
def _version(filename: str) -> Version | None:
    """The version a filename carries (parsed once per filename: every event joins every entry
    of the project, and parsing is most of that work)."""
    try:
        return parse_distribution(filename).version
    except NotADistribution:
        return None


def _flat(record: FileFacts | Rendered) -> dict[str, Any]:
    """A dataclass of plain values as a dict (`asdict` also deep-copies, at a cost per entry)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _entry_json(entry: Entry) -> dict[str, Any]:
    item = _flat(entry.facts)
    if item["rejected"] is None:
        del item["rejected"]
    item["uploaded"] = entry.upload_time.isoformat()
    if entry.rendered is not None:
        item["rendered"] = _flat(entry.rendered)
    return item


def _entry_of(value: dict[str, Any]) -> Entry:
    value = dict(value)
    uploaded = datetime.fromisoformat(value.pop("uploaded"))
    rendered = value.pop("rendered", None)
    return Entry(
        FileFacts(**value), uploaded, Rendered(**rendered) if rendered is not None else None
    )
