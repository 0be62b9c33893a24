"""The files of a facts cache (pure), kept in page order and as read until looked at.

An event at N files reads, changes and writes a cache of N entries, but looks at only a few of
them: turning every entry into objects and back, and sorting N versions for the page, was most of
an event's work. So `Entries` keeps each entry as the JSON object it was read as (a `RawEntry`)
until it is looked up, writes untouched entries back as they were, and keeps the files in page
order ((version, filename)), so that a new file is placed with a binary search instead of a sort
of the whole project.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from packaging.utils import canonicalize_version
from packaging.version import Version

from pyshelf.core.filenames import NotADistribution, parse_distribution
from pyshelf.core.page_model import FileFacts
from pyshelf.core.release_info import ReleaseInfo

RawEntry = dict[str, Any]
# More new files than this in one go are placed by sorting everything, not one by one.
_INSERT_LIMIT = 64


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


class Entries(MutableMapping[str, Entry]):
    """filename -> Entry, in page order once `in_order` was called."""

    __slots__ = ("_items", "_rejected", "_texts", "_unplaced", "generation", "touched")

    def __init__(
        self, items: Mapping[str, Entry | RawEntry] | None = None, *, ordered: bool = False
    ):
        self._items: dict[str, Entry | RawEntry] = dict(items or {})
        self._unplaced: set[str] = set() if ordered else set(self._items)
        self._rejected = sum(rejected_of(value) is not None for value in self._items.values())
        self.touched: set[str] = set(self._items)
        """Names set since the owner last cleared it (`FactsCache.refresh`)."""
        self.generation = 0  # counts changes (for what is derived from all entries)
        self._texts: dict[str, str] = {}  # name -> `"name":{entry}` as last written

    def __getitem__(self, name: str) -> Entry:
        value = self._items[name]
        if isinstance(value, dict):
            value = self._items[name] = entry_of(value)
        return value

    def raw(self, name: str) -> Entry | RawEntry:
        """The entry as it is held (a `RawEntry` until looked up)."""
        return self._items[name]

    def raw_or_none(self, name: str) -> Entry | RawEntry | None:
        return self._items.get(name)

    def __setitem__(self, name: str, entry: Entry) -> None:
        old = self._items.get(name)
        if old is None:
            self._unplaced.add(name)
        else:
            self._rejected -= rejected_of(old) is not None
        self._rejected += entry.facts.rejected is not None
        self._items[name] = entry
        self.touched.add(name)
        self.generation += 1
        self._texts.pop(name, None)

    def __delitem__(self, name: str) -> None:
        self._rejected -= rejected_of(self._items.pop(name)) is not None
        self._unplaced.discard(name)
        self.touched.discard(name)
        self.generation += 1
        self._texts.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Entries({len(self._items)} files)"

    @property
    def listed(self) -> int:
        """How many entries are not rejected files."""
        return len(self._items) - self._rejected

    def copy(self) -> Entries:
        twin = Entries.__new__(Entries)
        twin._items = dict(self._items)
        twin._unplaced = set(self._unplaced)
        twin._rejected = self._rejected
        twin.touched = set(self.touched)
        twin.generation = self.generation
        twin._texts = dict(self._texts)
        return twin

    def texts(self) -> list[str]:
        """Each entry as its `"filename":{...}` JSON member, in page order: serialised once
        per entry and kept (an event changes one entry of thousands)."""
        texts = self._texts
        out = []
        for name, value in self.in_order():
            if (text := texts.get(name)) is None:
                text = texts[name] = f"{_dumps(name)}:{_dumps(raw_of(value))}"
            out.append(text)
        return out

    def in_order(self) -> list[tuple[str, Entry | RawEntry]]:
        """Every (filename, entry or raw entry), in page order."""
        if self._unplaced:
            self._place()
        return list(self._items.items())

    def _place(self) -> None:
        if len(self._unplaced) > _INSERT_LIMIT:
            names = sorted(self._items, key=page_order)
        else:
            names = [name for name in self._items if name not in self._unplaced]
            for name in sorted(self._unplaced, key=page_order):
                bisect.insort(names, name, key=page_order)
        self._items = {name: self._items[name] for name in names}
        self._unplaced.clear()


class Releases(MutableMapping[str, ReleaseInfo]):
    """canonical version -> ReleaseInfo, each kept as read (a JSON object) until looked up: an
    event looks at one or two of a project's releases and writes the rest back as they were."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, ReleaseInfo | RawEntry] | None = None) -> None:
        self._items: dict[str, ReleaseInfo | RawEntry] = dict(items or {})

    def __getitem__(self, version: str) -> ReleaseInfo:
        value = self._items[version]
        if isinstance(value, dict):
            value = self._items[version] = ReleaseInfo.from_json(value)
        return value

    def __setitem__(self, version: str, info: ReleaseInfo) -> None:
        self._items[version] = info

    def __delitem__(self, version: str) -> None:
        del self._items[version]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Releases({len(self._items)} releases)"

    def copy(self) -> Releases:
        return Releases(self._items)

    def raw(self, version: str) -> RawEntry:
        """The JSON object of a release (as read, or as its `ReleaseInfo` writes it)."""
        value = self._items[version]
        return value if isinstance(value, dict) else value.to_json()


def rejected_of(value: Entry | RawEntry) -> str | None:
    if isinstance(value, dict):
        return value.get("rejected")
    return value.facts.rejected


def rendered_of(value: Entry | RawEntry) -> Rendered | RawEntry | None:
    if isinstance(value, dict):
        return value.get("rendered")
    return value.rendered


def fragment_state(rendered: Rendered | RawEntry) -> tuple[int, str | None]:
    """(fragment format, yank state) of a remembered fragment."""
    if isinstance(rendered, dict):
        return rendered["version"], rendered["yanked"]
    return rendered.version, rendered.yanked


def fragments(rendered: Rendered | RawEntry) -> tuple[str, str]:
    """(HTML anchor, JSON entry) of a remembered fragment."""
    if isinstance(rendered, dict):
        return rendered["html"], rendered["json"]
    return rendered.html, rendered.json


def row_facts_of(value: Entry | RawEntry) -> tuple[str, int, datetime, str | None]:
    """(sha256, size, upload time, Requires-Python): what a human page's row shows of a file."""
    if isinstance(value, dict):
        uploaded = datetime.fromisoformat(value["uploaded"])
        return value["sha256"], value["size"], uploaded, value.get("requires_python")
    facts = value.facts
    return facts.sha256, facts.size, value.upload_time, facts.requires_python


def digests_of(value: Entry | RawEntry) -> tuple[str, str | None]:
    """(file sha256, `.metadata` sha256)."""
    if isinstance(value, dict):
        return value["sha256"], value.get("metadata_sha256")
    return value.facts.sha256, value.facts.metadata_sha256


@functools.lru_cache(maxsize=1 << 17)
def version_of(filename: str) -> Version | None:
    """The version a filename carries (parsed once per filename and process)."""
    try:
        return parse_distribution(filename).version
    except NotADistribution:
        return None


@functools.lru_cache(maxsize=1 << 17)
def release_key(filename: str) -> str:
    """The version a filename carries, canonical: equal for equal versions (`1.0`, `1.0.0`)."""
    version = version_of(filename)
    return canonicalize_version(version) if version is not None else ""


@functools.lru_cache(maxsize=1 << 17)
def version_text(filename: str) -> str:
    return str(version_of(filename))


_NO_VERSION = Version("0")


@functools.lru_cache(maxsize=1 << 17)
def page_order(filename: str) -> tuple[bool, Version, str]:
    """Sort key of page order: (version, filename); names without a version last."""
    version = version_of(filename)
    return (version is None, version or _NO_VERSION, filename)


def raw_of(value: Entry | RawEntry) -> RawEntry:
    """The JSON object of an entry (keys sorted, so that the same entry gives the same bytes)."""
    if isinstance(value, dict):
        return value
    item = _flat(value.facts)
    if item["rejected"] is None:
        del item["rejected"]
    item["uploaded"] = value.upload_time.isoformat()
    if value.rendered is not None:
        item["rendered"] = _flat(value.rendered)
    return dict(sorted(item.items()))


def entry_of(value: RawEntry) -> Entry:
    value = dict(value)
    uploaded = datetime.fromisoformat(value.pop("uploaded"))
    rendered = value.pop("rendered", None)
    if rendered is not None:  # a fragment of format 2 also held the human row: left out
        rendered = Rendered(*(rendered[name] for name in ("version", "yanked", "html", "json")))
    return Entry(FileFacts(**value), uploaded, rendered)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _flat(record: FileFacts | Rendered) -> dict[str, Any]:
    """A dataclass of plain values as a dict with sorted keys (`asdict` also deep-copies)."""
    return {name: getattr(record, name) for name in sorted(f.name for f in fields(record))}
