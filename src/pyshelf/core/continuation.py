"""Continuations (pure): the work an indexer invocation hands on when its time runs short
(docs/reliability.md, "Time limits"), as an SQS message body beside the S3 notifications:

    {"pyshelf": "continue",
     "projects": [{"name": NAME, "keys": [KEY, ...], "listing": BOOL, "gone": [FILENAME, ...]}]}

Per project: the event keys still to look at, whether it must be regenerated from a listing
(a redelivery, or a listing cut short: its folder is listed again), the filenames removed
by its events (their edge paths are invalidated when it is indexed), and `"people": true` when
its page for people is due (the event path writes pip's pages and leaves that page to a
follow-up, one per burst: docs/pages.md). The message is new to SQS,
so its receive count starts again at 1: handing work on uses up no retry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from pyshelf.core import layout

MARKER = "continue"


@dataclass(frozen=True, slots=True)
class ContinuedProject:
    name: NormalizedName
    keys: frozenset[str]
    listing: bool = False
    gone: frozenset[str] = frozenset()
    people: bool = False  # the project's page for people is due

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": self.name,
            "keys": sorted(self.keys),
            "listing": self.listing,
            "gone": sorted(self.gone),
        }
        if self.people:
            row["people"] = True
        return row


@dataclass(frozen=True, slots=True)
class Continuation:
    projects: tuple[ContinuedProject, ...]

    def dumps(self) -> str:
        rows = [p.row() for p in sorted(self.projects, key=lambda p: p.name)]
        return json.dumps({"pyshelf": MARKER, "projects": rows}, separators=(",", ":"))


def is_continuation(document: Mapping[str, Any]) -> bool:
    return document.get("pyshelf") == MARKER


def parse_continuation(document: Mapping[str, Any]) -> Continuation:
    """The continuation in a message body; ValueError says what is wrong with a malformed one
    (a project name `packaging` refuses, a key outside that project's folder)."""
    rows = document.get("projects")
    if not isinstance(rows, list) or not rows:
        raise ValueError("continuation: projects must be a non-empty list")
    return Continuation(tuple(_project(row) for row in rows))


def _project(row: Any) -> ContinuedProject:
    if not isinstance(row, dict) or not isinstance(row.get("name"), str):
        raise ValueError(f"continuation: malformed project {row!r}")
    name = canonicalize_name(row["name"], validate=True)
    if name != row["name"]:
        raise ValueError(f"continuation: {row['name']!r} is not a normalized name")
    keys = frozenset(_strings(row.get("keys"), "keys"))
    for key in keys:
        if _project_of(key) != name:
            raise ValueError(f"continuation: {key!r} is not an input of project {name}")
    gone = frozenset(_strings(row.get("gone", []), "gone"))
    people = row.get("people", False)
    if not isinstance(people, bool):
        raise ValueError(f"continuation: people must be true or false, not {people!r}")
    return ContinuedProject(name, keys, bool(row.get("listing", False)), gone, people)


def _strings(value: Any, what: str) -> Iterable[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"continuation: {what} must be a list of strings")
    return value


def _project_of(key: str) -> NormalizedName | None:
    match layout.classify(key):
        case layout.DistributionKey(filed=True, dist=dist):
            return dist.project
        case layout.YankKey(project=project):
            return project
    return None


# SQS takes bodies of up to 256 KiB (1 MiB since 2025): a continuation larger than this is
# split into several messages (keys of one project too: each part is looked at on its own).
MAX_BODY_CHARS = 200 * 1024


def bodies(projects: Iterable[ContinuedProject], limit: int = MAX_BODY_CHARS) -> list[str]:
    """Message bodies holding `projects`, each at most `limit` characters (ASCII: JSON escapes
    the rest), a project's keys split over several bodies when they do not fit in one."""
    out: list[str] = []
    batch: list[ContinuedProject] = []
    size = _OVERHEAD
    for part in (
        p for project in sorted(projects, key=lambda p: p.name) for p in _parts(project, limit)
    ):
        length = len(json.dumps(part.row(), separators=(",", ":"))) + 1
        if batch and size + length > limit:
            out.append(Continuation(tuple(batch)).dumps())
            batch, size = [], _OVERHEAD
        batch.append(part)
        size += length
    if batch:
        out.append(Continuation(tuple(batch)).dumps())
    return out


_OVERHEAD = len(Continuation(()).dumps())


def _parts(project: ContinuedProject, limit: int) -> Iterable[ContinuedProject]:
    """The project, its keys cut into parts whose rows stay under `limit` (the first carries
    `gone`, which is at most as long as the keys it came from)."""
    budget = limit - _OVERHEAD - 2 * len(project.name) - 200
    chunk: list[str] = []
    used = sum(_encoded(name) for name in project.gone)
    gone = project.gone
    for key in sorted(project.keys):
        if chunk and used + _encoded(key) > budget:
            yield ContinuedProject(
                project.name, frozenset(chunk), project.listing, gone, project.people
            )
            chunk, used, gone = [], 0, frozenset()
        chunk.append(key)
        used += _encoded(key)
    yield ContinuedProject(project.name, frozenset(chunk), project.listing, gone, project.people)


def _encoded(text: str) -> int:
    """Characters `text` takes in a JSON list, quotes and comma included."""
    return len(json.dumps(text)) + 1
