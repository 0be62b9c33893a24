"""The per-project facts cache (pure): what was learned from each file and yank record, and each
file's page fragments, so that pages are a join and no unchanged file is read or rendered again.

It is the conditional source of truth of the event hot path (docs/race-freedom.md): per filename
the ETag, size and upload time (LastModified) of the object it describes, its sha256,
Requires-Python, `.metadata` sha256 and `.metadata` ETag; per yank record its ETag and reason.

Stored gzip-compressed (deterministic: `mtime=0`). A project without files is stored as zero
bytes, not deleted (a delete cannot be made conditional): the root and the private set count
only non-empty caches.
"""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import layout, render
from pyshelf.core.filenames import NotADistribution, parse_distribution
from pyshelf.core.page_model import FileFacts, IndexedFile

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


@dataclass(frozen=True, slots=True)
class Entry:
    facts: FileFacts
    upload_time: datetime
    rendered: Rendered | None = None


@dataclass(slots=True)
class FactsCache:
    files: dict[str, Entry] = field(default_factory=dict)
    yanks: dict[str, YankFacts] = field(default_factory=dict)  # by yank record key

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
        return FactsCache(dict(self.files), dict(self.yanks))

    def yanked(self) -> dict[Version, str]:
        versions = ((layout.version_of_yank(key), y.reason) for key, y in self.yanks.items())
        return {version: reason for version, reason in versions if version is not None}

    def refresh(self) -> int:
        """Render the fragment of every file whose remembered one is missing, of another format,
        or of another yank state; the number rendered."""
        yanked, count = self.yanked(), 0
        for name, entry in self.files.items():
            indexed = indexed_file(name, entry, yanked)
            if indexed is None or entry.facts.rejected is not None:
                continue
            seen = entry.rendered
            if seen and seen.version == render.FRAGMENT_VERSION and seen.yanked == indexed.yanked:
                continue
            fragment = render.file_fragment(indexed)
            rendered = Rendered(
                render.FRAGMENT_VERSION, indexed.yanked, fragment.html, fragment.json
            )
            self.files[name] = replace(entry, rendered=rendered)
            count += 1
        return count

    def pages(self, project: NormalizedName) -> tuple[bytes, bytes] | None:
        """(HTML, JSON) project pages: a join of the fragments (`refresh` first); None when the
        project has no files."""
        self.refresh()
        rows = []
        for name, entry in self.files.items():
            if entry.facts.rejected is not None or entry.rendered is None:
                continue
            if (version := _version(name)) is not None:
                rows.append((version, name, entry.rendered))
        if not rows:
            return None
        rows.sort(key=lambda row: (row[0], row[1]))
        versions = [str(v) for v in sorted({row[0] for row in rows})]
        html = render.project_html_of(project, [row[2].html for row in rows])
        json_page = render.project_json_of(project, [row[2].json for row in rows], versions)
        return html, json_page

    def dumps(self, *, keep_rejected: bool = False) -> bytes:
        """Deterministic bytes; zero bytes for a cache without listed files (the rejected files
        of such a project are kept apart, `keep_rejected` dumps them: `layout.rejected_key`)."""
        if self.empty and not (keep_rejected and self.files):
            return b""
        document = {
            "schema": SCHEMA,
            "files": {name: _entry_json(e) for name, e in sorted(self.files.items())},
            "yanks": {key: asdict(facts) for key, facts in sorted(self.yanks.items())},
        }
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
        except (OSError, EOFError, zlib.error, ValueError, TypeError, KeyError, AttributeError):
            return None
        return cls(files, yanks)

    @classmethod
    def loads(cls, data: bytes) -> FactsCache:
        """Parse a cache; anything unreadable is an empty cache (everything is learned again)."""
        return cls.parse(data) or cls()


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
