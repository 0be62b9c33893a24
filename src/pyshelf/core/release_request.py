"""Release requests (pure): how an operator frees a reserved project name (`pyshelf
release-name`), so that it falls through to PyPI again. Like a reindex request it is an SQS
message body on the events queue, performed by the indexer (the only writer of the private
set):

    {"pyshelf": "release-name", "request": ID, "project": NAME}

and the indexer answers with a report beside the reindex reports,
`_pyshelf/reindex/<ID>.json`:

    {"request": ID, "project": NAME, "outcome": OUTCOME}

with OUTCOME one of `released` (the tombstone and the store key are gone), `not-reserved`
(there was neither: nothing to do), `has-files` (refused: the project has files; delete them
first) or `still-changing` (the store kept changing under every attempt: run again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from packaging.utils import NormalizedName, canonicalize_name

from pyshelf.core.reindex_request import report_key, request_id_of

MARKER = "release-name"
Outcome = Literal["released", "not-reserved", "has-files", "still-changing"]
OUTCOMES: tuple[Outcome, ...] = ("released", "not-reserved", "has-files", "still-changing")


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    request_id: str
    project: NormalizedName

    def dumps(self) -> str:
        return json.dumps({"pyshelf": MARKER, "request": self.request_id, "project": self.project})

    @property
    def report_key(self) -> str:
        return report_key(self.request_id)


def is_release_request(document: Mapping[str, Any]) -> bool:
    return document.get("pyshelf") == MARKER


def parse_release(document: Mapping[str, Any]) -> ReleaseRequest:
    """The request in a message body; ValueError says what is wrong with a malformed one."""
    request_id = request_id_of(document, "release")
    project = document.get("project")
    if not isinstance(project, str):
        raise ValueError(f"release request: project {project!r} is not a name")
    return ReleaseRequest(request_id, canonicalize_name(project, validate=True))


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    request_id: str
    project: str
    outcome: Outcome

    def dumps(self) -> bytes:
        document = {"request": self.request_id, "project": self.project, "outcome": self.outcome}
        return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> ReleaseReport:
        """Parse a report; ValueError for anything malformed."""
        try:
            document = json.loads(data)
            return cls(str(document["request"]), str(document["project"]), _outcome(document))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed release report: {exc!r}") from None


def _outcome(document: Mapping[str, Any]) -> Outcome:
    value = document["outcome"]
    for outcome in OUTCOMES:
        if value == outcome:
            return outcome
    raise ValueError(f"unknown release outcome {value!r}")
