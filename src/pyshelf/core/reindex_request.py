"""Reindex requests (pure): what `pyshelf reindex` puts on the events queue for the indexer to
perform, and the report the indexer writes back under `_pyshelf/reindex/`.

An operator never writes pages with their own credentials: only the indexer's role may write
derived objects (the bucket policy says so). The request is an SQS message body beside the S3
notifications:

    {"pyshelf": "reindex", "request": ID, "projects": [NAME, ...] or null (every project)}

An indexer whose time runs short hands the rest of a request on as the same request with
`"after": NAME` (only the projects after NAME are left; docs/reliability.md, "Time limits"),
keeping the rows done so far at `_pyshelf/reindex/<ID>.partial.json` (a report) until the
last part writes the report, `_pyshelf/reindex/<ID>.json`:

    {"request": ID, "projects": [{"name": NAME, "outcome": OUTCOME, "files": N}, ...]}

with OUTCOME one of `rebuilt` (something was rewritten), `unchanged`, `unknown` (no such
project in the bucket), `still-changing` (it kept changing under every attempt: run again) or
`failed` (any other error; the row's `reason` says which, the indexer's log has the rest).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from packaging.utils import NormalizedName, canonicalize_name

from pyshelf.core.layout import PRIVATE_PREFIX

REPORT_PREFIX = PRIVATE_PREFIX + "reindex/"
REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
MARKER = "reindex"
Outcome = Literal["rebuilt", "unchanged", "unknown", "still-changing", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("rebuilt", "unchanged", "unknown", "still-changing", "failed")


@dataclass(frozen=True, slots=True)
class ReindexRequest:
    request_id: str
    projects: tuple[NormalizedName, ...] | None  # None: every project in the bucket
    after: NormalizedName | None = None  # a continuation: the projects up to this one are done

    def dumps(self) -> str:
        projects = None if self.projects is None else list(self.projects)
        document = {"pyshelf": MARKER, "request": self.request_id, "projects": projects}
        if self.after is not None:
            document["after"] = self.after
        return json.dumps(document)

    @property
    def report_key(self) -> str:
        return report_key(self.request_id)

    @property
    def partial_key(self) -> str:
        """Where a continued request keeps the rows of the projects done so far."""
        return f"{REPORT_PREFIX}{self.request_id}.partial.json"

    def left(self, names: Iterable[NormalizedName]) -> list[NormalizedName]:
        """The names still to do, in order."""
        return sorted(name for name in names if self.after is None or name > self.after)


def report_key(request_id: str) -> str:
    return f"{REPORT_PREFIX}{request_id}.json"


def is_reindex_request(document: Mapping[str, Any]) -> bool:
    return document.get("pyshelf") == MARKER


def request_id_of(document: Mapping[str, Any], what: str) -> str:
    """The `request` id of a message body (reindex and release requests alike); ValueError
    when it is not 1-64 letters, digits or '-' (it names a report key)."""
    request_id = document.get("request")
    if not isinstance(request_id, str) or not REQUEST_ID.fullmatch(request_id):
        raise ValueError(f"{what} request id {request_id!r} is not 1-64 letters, digits or '-'")
    return request_id


def parse_request(document: Mapping[str, Any]) -> ReindexRequest:
    """The request in a message body; ValueError says what is wrong with a malformed one."""
    request_id = request_id_of(document, "reindex")
    after = _after(document.get("after"))
    projects = document.get("projects")
    if projects is None:
        return ReindexRequest(request_id, None, after)
    if not isinstance(projects, list) or not all(isinstance(p, str) for p in projects):
        raise ValueError("reindex request: projects must be a list of names or null")
    names = tuple(sorted({canonicalize_name(p, validate=True) for p in projects}))
    return ReindexRequest(request_id, names, after)


def _after(value: object) -> NormalizedName | None:
    if value is None:
        return None
    if not isinstance(value, str) or canonicalize_name(value, validate=True) != value:
        raise ValueError(f"reindex request: after must be a normalized project name, not {value!r}")
    return canonicalize_name(value)


@dataclass(frozen=True, slots=True)
class ProjectOutcome:
    name: str
    outcome: Outcome
    files: int = 0
    reason: str = ""  # why, for `failed`

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name, "outcome": self.outcome, "files": self.files}
        if self.reason:
            row["reason"] = self.reason
        return row


@dataclass(frozen=True, slots=True)
class ReindexReport:
    request_id: str
    projects: tuple[ProjectOutcome, ...]

    def dumps(self) -> bytes:
        rows = [p.row() for p in self.projects]
        document = {"request": self.request_id, "projects": rows}
        return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> ReindexReport:
        """Parse a report; ValueError for anything malformed."""
        try:
            document = json.loads(data)
            rows = tuple(
                ProjectOutcome(
                    str(row["name"]),
                    _outcome(row["outcome"]),
                    int(row["files"]),
                    str(row.get("reason", "")),
                )
                for row in document["projects"]
            )
            return cls(str(document["request"]), rows)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed reindex report: {exc!r}") from None


def _outcome(value: object) -> Outcome:
    for outcome in OUTCOMES:
        if value == outcome:
            return outcome
    raise ValueError(f"unknown reindex outcome {value!r}")
