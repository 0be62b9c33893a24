"""The event hot path: index the keys a batch names, from the facts cache, without listing the
project's folder (docs/race-freedom.md).

One attempt: HEAD both pages, GET the facts cache (ETag e), THEN look at each event key (HEAD a
distribution, GET a yank record), so that every state written is newer than the version it
updates. New or overwritten files are read (If-Match on the ETag seen) and their `.metadata`
written; gone ones are dropped and their `.metadata` deleted. The cache is written with If-Match e
(If-None-Match when absent), then each event key is looked at again: a key that changed since
means start over. Then the pages follow the version written (`pyshelf.indexer.follow`). Any 412
starts over; after `MAX_ATTEMPTS` the caller's messages fail and SQS delivers them again (a
redelivery takes the listing path).
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Collection
from dataclasses import dataclass

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.errors import PyshelfError
from pyshelf.core.facts_cache import FactsCache, YankFacts
from pyshelf.core.filenames import Distribution
from pyshelf.indexer.derived import Derived
from pyshelf.indexer.file_facts import MetadataWrites, learn_file, read_yank
from pyshelf.indexer.follow import CacheVersion, Human, follow, read_pages
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.regenerate import (
    MAX_ATTEMPTS,
    ProjectResult,
    StillChanging,
    keep_private,
    write_cache,
)
from pyshelf.storage import NotFound, PreconditionFailed, Storage

log = logging.getLogger(__name__)


class NeedsListing(PyshelfError):
    """The facts cache cannot be read (damaged, or written by an older pyshelf): the project
    must be regenerated from a listing."""


class _Changed(PyshelfError):
    pass


@dataclass(frozen=True, slots=True)
class _Seen:
    """An event key as looked at after the cache read: its ETag, None if absent."""

    key: str
    etag: str | None
    dist: Distribution | None  # None: a yank record
    yank: YankFacts | None = None  # a yank record's content, read with it


def apply_events(
    store: Storage,
    project: NormalizedName,
    keys: Collection[str],
    *,
    project_set: ProjectSet | None = None,
) -> ProjectResult:
    """Bring the project's facts cache and pages up to date for `keys` (filed distributions
    and yank records of `project`). `NeedsListing` when the cache is unreadable."""
    result = ProjectResult(project)
    written: MetadataWrites = {}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            _attempt(store, result, sorted(keys), written, project_set)
            return result
        except (PreconditionFailed, NotFound, _Changed) as exc:
            log.info("project %s changed during attempt %d (%s); retrying", project, attempt, exc)
    raise StillChanging(f"{project}: still changing after {MAX_ATTEMPTS} attempts")


def _attempt(
    store: Storage,
    result: ProjectResult,
    keys: list[str],
    written: MetadataWrites,
    project_set: ProjectSet | None,
) -> None:
    project = result.project
    pages = read_pages(store, project, check_bytes=False, human=Human.SKIP)
    blob = store.get(layout.facts_cache_key(project))
    cache = FactsCache.parse(blob.body) if blob else FactsCache()
    if cache is None:
        raise NeedsListing(f"{project}: the facts cache is unreadable")
    seen = [_look(store, key) for key in keys]  # after the cache read: never older than it
    new = cache.copy()
    present = set(new.files) | {s.dist.filename for s in seen if s.dist and s.etag}
    gone = {s.dist.filename for s in seen if s.dist and s.etag is None}
    keep_private(store, project_set, result, not cache.empty, bool(present - gone))
    for item in seen:
        _apply(store, new, item, written)
    new.refresh()
    body = new.dumps()
    etag = blob.etag if blob else None
    human = Human.SKIP
    if body != (blob.body if blob else b""):
        etag = write_cache(store, project, body, blob)
        result.changed = True
        result.root_affected |= cache.empty != new.empty
        _verify(store, seen)
        human = Human.BLIND
        pages.append(Derived(layout.human_page_key(project), None, blind=True))
    result.note_summary(None if cache.empty else cache.summary, new.summary)
    result.changed |= follow(store, project, CacheVersion(etag, new), pages, human=human)
    result.files = new.listed


def _look(store: Storage, key: str) -> _Seen:
    match layout.classify(key):
        case layout.DistributionKey(dist=dist):
            head = store.head(key)
            return _Seen(key, head.etag if head else None, dist)
        case _:
            yank = read_yank(store, key)
            return _Seen(key, yank.etag if yank else None, None, yank)


def _apply(store: Storage, cache: FactsCache, seen: _Seen, written: MetadataWrites) -> None:
    if seen.dist is None:
        _apply_yank(cache, seen)
        return
    name, metadata_key = seen.dist.filename, layout.metadata_key(seen.key)
    entry = cache.files.get(name)
    if seen.etag is None:
        cache.files.pop(name, None)
        if (entry and entry.facts.metadata_etag) or written.get(metadata_key):
            store.delete(metadata_key)
            written[metadata_key] = None
        return
    ours = written.get(metadata_key, entry.facts.metadata_etag if entry else None)
    if entry is None or entry.facts.etag != seen.etag or ours != entry.facts.metadata_etag:
        # new, overwritten, or its `.metadata` was overwritten by this invocation's own stale
        # write (or deleted by it) in an attempt that lost: learn it (again)
        cache.files[name] = learn_file(
            store, seen.key, seen.dist, seen.etag, written, releases=cache.releases
        )


def _apply_yank(cache: FactsCache, seen: _Seen) -> None:
    if seen.yank is not None:
        cache.yanks[seen.key] = seen.yank
    else:
        cache.yanks.pop(seen.key, None)


def _verify(store: Storage, seen: list[_Seen]) -> None:
    """After the cache write: every event key must still be as it was looked at, else a change
    may have been missed by an invocation that read an older version (start over)."""
    for item in seen:
        head = store.head(item.key)
        if (head.etag if head else None) != item.etag:
            raise _Changed(f"{posixpath.basename(item.key)} changed while the cache was written")
