"""Nothing stale at the edge: files and `.metadata` are cached for a year as immutable, so when
the indexer sees a distribution replaced or removed, or its `.metadata` rewritten with new bytes, it
invalidates every path that reaches it: `/<project>/<file>`, `/simple/<project>/<file>` and their
`.metadata`. Paths are gathered per invocation and sent as one invalidation; more than
`MAX_PATHS` become the wildcards `/<project>/*` and `/simple/<project>/*` per project
(CloudFront bills invalidation paths past the first 1,000 a month, a wildcard counting as one).

Where it learns: each write of a project's facts cache notes the files it replaced or removed
(`ProjectResult.replaced`: their sha256 or `.metadata` sha256 changed, or they went), so an event
costs no extra request; a removal event of a filed distribution counts too, and so does every
event key of a redelivered message (its first delivery may have updated the cache and then
failed before invalidating). A reindex request (`EdgeChanges.snapshot` and `compare`) reads each
project's cache before and after instead."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import quote

from packaging.utils import NormalizedName

from pyshelf.constants import METADATA_SUFFIX
from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.storage import Storage

log = logging.getLogger(__name__)

MAX_PATHS = 1000
Snapshot = dict[str, tuple[str, str | None]] | None
"""filename -> (file sha256, `.metadata` sha256) of a facts cache; None: unreadable."""


class Invalidator(Protocol):
    def invalidate(self, paths: Sequence[str]) -> None:
        """Drop `paths` from the edge caches (one request)."""


class CloudFrontInvalidator:
    """`cloudfront.create_invalidation` on one distribution."""

    def __init__(self, client: Any, distribution_id: str) -> None:
        self._client = client
        self._distribution_id = distribution_id

    def invalidate(self, paths: Sequence[str]) -> None:
        self._client.create_invalidation(
            DistributionId=self._distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": list(paths)},
                "CallerReference": f"pyshelf-{uuid.uuid4()}",
            },
        )


class RecordingInvalidator:
    """Keeps each batch of paths (tests, and `pyshelf serve`'s CDN has no cache to drop)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def invalidate(self, paths: Sequence[str]) -> None:
        self.batches.append(list(paths))


def edge_paths(project: NormalizedName, filename: str) -> list[str]:
    """Every URI the CDN serves this file and its `.metadata` at (quoted as pages link it)."""
    name = quote(filename, safe="")
    return [
        f"{prefix}/{project}/{name}{suffix}"
        for prefix in ("", "/simple")
        for suffix in ("", METADATA_SUFFIX)
    ]


def wildcards(project: NormalizedName) -> list[str]:
    return [f"/{project}/*", f"/simple/{project}/*"]


def bounded(paths: dict[NormalizedName, set[str]]) -> list[str]:
    """All paths, or a wildcard pair per project when there are more than `MAX_PATHS`."""
    flat = sorted(p for project_paths in paths.values() for p in project_paths)
    if len(flat) <= MAX_PATHS:
        return flat
    return [p for project in sorted(paths) if paths[project] for p in wildcards(project)]


class EdgeChanges:
    """The edge paths one invocation must invalidate; `flush` sends them as one batch."""

    def __init__(self, store: Storage, invalidator: Invalidator | None) -> None:
        self._store = store
        self._invalidator = invalidator
        self.paths: dict[NormalizedName, set[str]] = {}

    @property
    def enabled(self) -> bool:
        return self._invalidator is not None

    def snapshot(self, project: NormalizedName) -> Snapshot:
        if not self.enabled:
            return None
        blob = self._store.get(layout.facts_cache_key(project))
        cache = FactsCache.parse(blob.body) if blob else FactsCache()
        if cache is None:
            return None
        return cache.digests()

    def compare(self, project: NormalizedName, before: Snapshot) -> None:
        """Add the paths of every file replaced, removed or re-described since `before`."""
        if not self.enabled:
            return
        after = self.snapshot(project)
        if before is None or after is None:
            self.paths.setdefault(project, set()).update(wildcards(project))
            return
        self.add(project, (n for n, facts in before.items() if after.get(n) != facts))

    def add_everything(self, project: NormalizedName) -> None:
        """The wildcards of the project (what its files were is not known)."""
        if self.enabled:
            self.paths.setdefault(project, set()).update(wildcards(project))

    def add(self, project: NormalizedName, filenames: Iterable[str]) -> None:
        if self.enabled:
            target = self.paths.setdefault(project, set())
            for filename in filenames:
                target.update(edge_paths(project, filename))

    def flush(self) -> None:
        """One invalidation of everything gathered (nothing when none or not configured)."""
        paths = bounded(self.paths)
        if self._invalidator is None or not paths:
            return
        self._invalidator.invalidate(paths)
        log.info("invalidated %d edge path(s)", len(paths))
        self.paths.clear()
