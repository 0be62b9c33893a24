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

import gzip
import json
import zlib
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import human, layout, render
from pyshelf.core.facts_entries import (
    Entries,
    Entry,
    RawEntry,
    Releases,
    Rendered,
    digests_of,
    fragment_state,
    fragments,
    rejected_of,
    release_key,
    rendered_of,
    row_facts_of,
    version_of,
    version_text,
)
from pyshelf.core.page_model import IndexedFile

__all__ = ["Entry", "FactsCache", "Rendered", "YankFacts", "indexed_file"]

# 3: entries remember rejected files (`FileFacts.rejected`); a schema 2 cache listed them.
SCHEMA = 3
# The files of a cache that says `"order": "page"` are stored in page order; older writers
# stored them by name (read: sorted once). `"fresh": FRAGMENT_VERSION` says every fragment was
# rendered in that format for the cache's own yanks, so a reader has none to look at again.
PAGE_ORDER = "page"
# zlib's fast levels (1-3) take a third of the time of its default 6 on a cache or a JSON
# page, for 5 to 8 % more bytes: every event compresses both, and the cache never leaves S3.
CACHE_GZIP_LEVEL = 3
_REQUIRED = frozenset({"etag", "size", "sha256", "uploaded"})
_FRAGMENT_KEYS = frozenset({"version", "yanked", "html", "json"})


@dataclass(frozen=True, slots=True)
class YankFacts:
    etag: str
    reason: str


@dataclass(slots=True)
class FactsCache:
    files: Entries = field(default_factory=Entries)
    yanks: dict[str, YankFacts] = field(default_factory=dict)  # by yank record key
    releases: Releases = field(default_factory=Releases)  # by canonical version
    _fresh: tuple[int, list[tuple[Version, str]]] | None = field(
        default=None, compare=False, repr=False
    )
    _versions: tuple[int, list[Version]] | None = field(default=None, compare=False, repr=False)
    """(`files.generation`, `_listed_versions()`) as last computed."""
    """(fragment format, yanks) of the last full `refresh`: then only touched files are due."""

    @property
    def empty(self) -> bool:
        """No listed files: no pages, not in the root (yank records alone, or rejected files
        alone, do not make a project)."""
        return self.listed == 0

    @property
    def listed(self) -> int:
        """How many files the pages list."""
        return self.files.listed

    def copy(self) -> FactsCache:
        return FactsCache(self.files.copy(), dict(self.yanks), self.releases.copy(), self._fresh)

    def yanked(self) -> dict[Version, str]:
        versions = ((layout.version_of_yank(key), y.reason) for key, y in self.yanks.items())
        return {version: reason for version, reason in versions if version is not None}

    def digests(self) -> dict[str, tuple[str, str | None]]:
        """filename -> (file sha256, `.metadata` sha256), rejected files included."""
        return {name: digests_of(value) for name, value in self.files.in_order()}

    def replaced_since(self, before: FactsCache) -> set[str]:
        """The files of `before` that this cache no longer has, or has with other bytes or
        another `.metadata` (their sha256s differ)."""
        return {
            name
            for name, value in before.files.in_order()
            if (now := self.files.raw_or_none(name)) is not value
            and (now is None or digests_of(now) != digests_of(value))
        }

    def refresh(self) -> int:
        """Render the fragment of every file whose remembered one is missing, of another format,
        or of another yank state; the number rendered."""
        yanked, count = self.yanked(), 0
        fresh = self._state(yanked)
        due = self.files.touched if fresh == self._fresh else self.files
        for name in list(due):
            value = self.files.raw(name)
            if rejected_of(value) is not None or (version := version_of(name)) is None:
                continue
            seen = rendered_of(value)
            state = (render.FRAGMENT_VERSION, yanked.get(version) if yanked else None)
            if seen is not None and fragment_state(seen) == state:
                continue
            entry = self.files[name]
            fragment = render.file_fragment(_indexed(name, version, entry, state[1]))
            rendered = Rendered(state[0], state[1], fragment.html, fragment.json)
            self.files[name] = Entry(entry.facts, entry.upload_time, rendered)
            count += 1
        self._fresh = fresh
        self.files.touched.clear()
        return count

    def _state(self, yanked: dict[Version, str]) -> tuple[int, list[tuple[Version, str]]]:
        return (render.FRAGMENT_VERSION, sorted(yanked.items()))

    @property
    def fresh(self) -> bool:
        """Every fragment is rendered in the current format for the current yanks."""
        return not self.files.touched and self._fresh == self._state(self.yanked())

    def pages(self, project: NormalizedName) -> tuple[bytes, bytes] | None:
        """(HTML, JSON) API pages (`page_bodies`); None when the project has no files."""
        html_key, json_key = layout.page_keys(project)
        bodies = self.page_bodies(project, (html_key, json_key))
        return (bodies[html_key], bodies[json_key]) if bodies else None

    def page_bodies(
        self, project: NormalizedName, wanted: Collection[str] | None = None
    ) -> dict[str, bytes]:
        """The pages of the project by key (`wanted` of them; None: all): the API pages (HTML,
        JSON) and the human page, a join of the fragments (`refresh` first); empty when the
        project has no files. A page not wanted is not rendered (the event path leaves the
        human page to a follow-up, which wants nothing else)."""
        self.refresh()
        rows = self._rows()
        if rows is None:  # a cache that said "fresh" wrongly: render what it lacks
            self._fresh = None
            return self.page_bodies(project, wanted)
        if not rows:
            return {}
        releases = _by_release(rows)
        html_key, json_key = layout.page_keys(project)
        human_key = layout.human_page_key(project)
        keys = {html_key, json_key, human_key} if wanted is None else set(wanted)
        bodies: dict[str, bytes] = {}
        if html_key in keys or json_key in keys:
            pairs = [fragments(rendered) for _name, rendered in rows]
            bodies[html_key] = render.project_html_of(project, [html for html, _ in pairs])
            versions = [version_text(n) for n, _, _ in releases]
            bodies[json_key] = render.project_json_of(project, [e for _, e in pairs], versions)
        if human_key in keys:
            bodies[human_key] = self._human_page(project, releases)
        return bodies

    def _rows(self) -> list[tuple[str, Rendered | RawEntry]] | None:
        """(filename, fragments) of every listed file, in page order; None when a listed file
        has no fragment."""
        rows = []
        for name, value in self.files.in_order():
            if rejected_of(value) is not None or version_of(name) is None:
                continue
            if (rendered := rendered_of(value)) is None:
                return None
            rows.append((name, rendered))
        return rows

    def _human_page(self, project: NormalizedName, releases: list[_Release]) -> bytes:
        yanked = self.yanked()
        shown = []
        for first, names, _rendered in releases:
            version = version_of(first)
            assert version is not None  # `_rows` keeps only distributions
            facts = [row_facts_of(self.files.raw(name)) for name in names]
            uploaded = max(f[2] for f in facts)
            reason = yanked.get(version) if yanked else None
            rows = [human.cached_file_row(n, *f) for n, f in zip(names, facts, strict=True)]
            shown.append(human.ReleaseRows(version, reason, uploaded, rows, version_text(first)))
        latest = latest_release([r.version for r in shown], yanked)
        info = self.releases.get(str(latest)) if latest else None
        return human.project_page(project, shown, info, latest)

    def _listed_versions(self) -> list[Version]:
        """The versions of the listed files, ascending (page order), each once."""
        if self._versions is not None and self._versions[0] == self.files.generation:
            return self._versions[1]
        versions: list[Version] = []
        for name, value in self.files.in_order():
            version = version_of(name) if rejected_of(value) is None else None
            if version is not None and (not versions or versions[-1] != version):
                versions.append(version)
        self._versions = (self.files.generation, versions)
        return versions

    @property
    def summary(self) -> str | None:
        """The summary of the latest release (None: no listed files)."""
        latest = latest_release(self._listed_versions(), self.yanked())
        if latest is None:
            return None
        info = self.releases.get(str(latest))
        return info.summary if info else ""

    def dumps(self, *, keep_rejected: bool = False) -> bytes:
        """Deterministic bytes; zero bytes for a cache without listed files (the rejected files
        of such a project are kept apart, `keep_rejected` dumps them: `layout.rejected_key`)."""
        if self.empty and not (keep_rejected and self.files):
            return b""
        self.refresh()  # fragments are stored with the facts
        rest: dict[str, Any] = {
            "fresh": render.FRAGMENT_VERSION if self.fresh else None,
            "order": PAGE_ORDER,
            "schema": SCHEMA,
            "yanks": {key: asdict(facts) for key, facts in sorted(self.yanks.items())},
        }
        listed = {str(v) for v in self._listed_versions()}
        for gone in [v for v in self.releases if v not in listed]:  # releases of gone files go
            del self.releases[gone]
        releases = {v: self.releases.raw(v) for v in sorted(self.releases)}
        if releases:
            rest["releases"] = releases
        # {"files":{...},<rest>}: the files' members as `Entries.texts` keeps them
        tail = json.dumps(rest, separators=(",", ":"))[1:]
        data = '{"files":{' + ",".join(self.files.texts()) + "}," + tail
        return gzip.compress(data.encode(), compresslevel=CACHE_GZIP_LEVEL, mtime=0)

    @classmethod
    def parse(cls, data: bytes) -> FactsCache | None:
        """The cache `data` holds; None when it is unreadable or of another schema."""
        if not data:
            return cls()
        try:
            document: dict[str, Any] = json.loads(gzip.decompress(data))
            if document.get("schema") != SCHEMA:
                return None
            files: dict[str, RawEntry] = document["files"]
            if not all(map(_readable, files.values())):
                return None
            yanks = {key: YankFacts(**value) for key, value in document["yanks"].items()}
            raw_releases = document.get("releases", {})
            if not all(isinstance(value, dict) for value in raw_releases.values()):
                return None
            releases = Releases(raw_releases)
        except (OSError, EOFError, zlib.error, ValueError, TypeError, KeyError, AttributeError):
            return None
        entries = Entries(files, ordered=document.get("order") == PAGE_ORDER)
        cache = cls(entries, yanks, releases)
        if document.get("fresh") == render.FRAGMENT_VERSION:  # no file is due for `refresh`
            cache._fresh = cache._state(cache.yanked())
            cache.files.touched.clear()
        return cache

    @classmethod
    def loads(cls, data: bytes) -> FactsCache:
        """Parse a cache; anything unreadable is an empty cache (everything is learned again)."""
        return cls.parse(data) or cls()


def _readable(value: Any) -> bool:
    """An entry as written: the facts it must have (checked without building objects)."""
    if not isinstance(value, dict) or not value.keys() >= _REQUIRED:
        return False
    rendered = value.get("rendered")
    return rendered is None or (isinstance(rendered, dict) and rendered.keys() >= _FRAGMENT_KEYS)


_Release = tuple[str, list[str], list["Rendered | RawEntry"]]
"""A release of a page: its first filename, its filenames and their fragments."""


def _by_release(rows: list[tuple[str, Rendered | RawEntry]]) -> list[_Release]:
    """The rows (in page order, so a release's files are adjacent) grouped by release."""
    releases: list[_Release] = []
    last = None
    for name, rendered in rows:
        key = release_key(name)
        if key != last:
            releases.append((name, [], []))
            last = key
        releases[-1][1].append(name)
        releases[-1][2].append(rendered)
    return releases


def latest_release(ascending: list[Version], yanked: Mapping[Version, str]) -> Version | None:
    """The release a project page leads with: the highest final release not yanked, else the
    highest not yanked, else the highest (`ascending`: sorted, as a page orders them)."""
    newest_first = ascending[::-1]
    for candidates in (
        (v for v in newest_first if v not in yanked and not v.is_prerelease),
        (v for v in newest_first if v not in yanked),
        iter(newest_first),
    ):
        if (found := next(candidates, None)) is not None:
            return found
    return None


def indexed_file(name: str, entry: Entry, yanked: dict[Version, str]) -> IndexedFile | None:
    version = version_of(name)
    if version is None:
        return None
    return _indexed(name, version, entry, yanked.get(version))


def _indexed(name: str, version: Version, entry: Entry, yanked: str | None) -> IndexedFile:
    facts = entry.facts
    return IndexedFile(
        filename=name,
        version=version,
        sha256=facts.sha256,
        size=facts.size,
        upload_time=entry.upload_time,
        requires_python=facts.requires_python,
        metadata_sha256=facts.metadata_sha256,
        yanked=yanked,
    )
