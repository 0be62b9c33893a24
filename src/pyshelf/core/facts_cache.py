"""The per-project facts cache (pure): what was gathered from each file and yank record, so a
regeneration never reads an unchanged file again. Entries are keyed by filename and are only
trusted while the listed ETag and size still match (an overwritten key is read again)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pyshelf.core.page_model import FileFacts

SCHEMA = 1


@dataclass(frozen=True, slots=True)
class YankFacts:
    etag: str
    reason: str


@dataclass(slots=True)
class FactsCache:
    files: dict[str, FileFacts] = field(default_factory=dict)
    yanks: dict[str, YankFacts] = field(default_factory=dict)

    def dumps(self) -> bytes:
        document = {
            "schema": SCHEMA,
            "files": {name: asdict(facts) for name, facts in sorted(self.files.items())},
            "yanks": {key: asdict(facts) for key, facts in sorted(self.yanks.items())},
        }
        return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> FactsCache:
        """Parse a facts_cache; anything unreadable or of another schema is an empty cache."""
        try:
            document: dict[str, Any] = json.loads(data)
            if document.get("schema") != SCHEMA:
                return cls()
            files = {name: FileFacts(**value) for name, value in document["files"].items()}
            yanks = {key: YankFacts(**value) for key, value in document["yanks"].items()}
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()
        return cls(files, yanks)
