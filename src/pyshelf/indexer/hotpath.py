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

New files are read concurrently (`pyshelf.indexer.reading`) while the `Deadline` allows; keys
whose file was not read are left out of the attempt (their entries stay as the cache has them)
and `Unfinished` names them, for the caller to hand on after the pages followed.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Collection
from dataclasses import dataclass

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.errors import PyshelfError
from pyshelf.core.facts_cache import Entry, FactsCache, YankFacts
from pyshelf.core.filenames import Distribution
from pyshelf.indexer.deadline import UNLIMITED, Deadline
from pyshelf.indexer.derived import Derived
from pyshelf.indexer.file_facts import MetadataWrites, learn_file, read_yank
from pyshelf.indexer.follow import CacheVersion, Human, follow, read_pages
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.reading import read_all
from pyshelf.indexer.recent import RECENT
from pyshelf.indexer.regenerate import (
    MAX_ATTEMPTS,
    ProjectResult,
    StillChanging,
    Unfinished,
    keep_private,
    private_state_follows,
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
    size: int = 0


def apply_events(
    store: Storage,
    project: NormalizedName,
    keys: Collection[str],
    *,
    project_set: ProjectSet | None = None,
    deadline: Deadline = UNLIMITED,
    result: ProjectResult | None = None,
    defer_people: bool = False,
) -> ProjectResult:
    """Bring the project's facts cache and pages up to date for `keys` (filed distributions
    and yank records of `project`). `NeedsListing` when the cache is unreadable; `Unfinished`
    when the deadline left some new files unread (the others are written)."""
    result = result or ProjectResult(project)
    written: MetadataWrites = {}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            left = _attempt(
                store,
                result,
                sorted(keys),
                written,
                project_set,
                deadline=deadline,
                defer_people=defer_people,
            )
            if left:
                raise Unfinished(result, left)
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
    *,
    deadline: Deadline,
    defer_people: bool,
) -> frozenset[str]:
    """One attempt; the keys left for later (their files were not read in time). With
    `defer_people` the page for people is left to a follow-up (`result.people_due`)."""
    project = result.project
    pages = read_pages(store, project, check_bytes=False, human=Human.SKIP)
    blob, cache = RECENT.read(store, project)  # parsed again only if it is not the one remembered
    if cache is None:
        raise NeedsListing(f"{project}: the facts cache is unreadable")
    seen = [_look(store, key) for key in keys]  # after the cache read: never older than it
    new = cache.copy()
    present = set(new.files) | {s.dist.filename for s in seen if s.dist and s.etag}
    gone = {s.dist.filename for s in seen if s.dist and s.etag is None}
    keep_private(store, project_set, result, not cache.empty, bool(present - gone))
    learned, left = _learn(store, new, seen, written, deadline)
    seen = [item for item in seen if item.key not in left]
    for item in seen:
        _apply(store, new, item, written, learned)
    new.refresh()
    body = new.dumps()
    etag = blob.etag if blob else None
    human = Human.SKIP
    if body != (blob.body if blob else b""):
        etag = write_cache(store, project, body, blob)
        RECENT.remember(store, project, etag, body, new.copy() if body else FactsCache())
        result.replaced |= new.replaced_since(cache)
        result.changed = True
        result.root_affected |= cache.empty != new.empty
        _verify(store, seen)
        if defer_people:
            result.people_due = True
        else:
            human = Human.BLIND
            pages.append(Derived(layout.human_page_key(project), None, blind=True))
    result.note_summary(None if cache.empty else cache.summary, new.summary)
    result.changed |= follow(store, project, CacheVersion(etag, new), pages, human=human)
    private_state_follows(store, project_set, result)
    result.files = new.listed
    return left


def _look(store: Storage, key: str) -> _Seen:
    match layout.classify(key):
        case layout.DistributionKey(dist=dist):
            head = store.head(key)
            if head is None:
                return _Seen(key, None, dist)
            return _Seen(key, head.etag, dist, size=head.size or 0)
        case _:
            yank = read_yank(store, key)
            return _Seen(key, yank.etag if yank else None, None, yank)


def _learn(
    store: Storage,
    cache: FactsCache,
    seen: list[_Seen],
    written: MetadataWrites,
    deadline: Deadline,
) -> tuple[dict[str, Entry], frozenset[str]]:
    """Read the files that must be learned, concurrently: (key -> entry, keys not read)."""
    wanted = [item for item in seen if _must_learn(cache, item, written)]

    def read(item: _Seen) -> Entry:
        assert item.dist is not None and item.etag is not None  # `_must_learn` says so
        return learn_file(store, item.key, item.dist, item.etag, written, releases=cache.releases)

    outcome = read_all(wanted, lambda item: item.size, read, deadline=deadline)
    learned = {item.key: entry for item, entry in outcome.done}
    return learned, frozenset(item.key for item in outcome.unstarted)


def _must_learn(cache: FactsCache, seen: _Seen, written: MetadataWrites) -> bool:
    """New, overwritten, or its `.metadata` was overwritten by this invocation's own stale
    write (or deleted by it) in an attempt that lost: learn it (again)."""
    if seen.dist is None or seen.etag is None:
        return False
    entry = cache.files.get(seen.dist.filename)
    if entry is None or entry.facts.etag != seen.etag:
        return True
    ours = written.get(layout.metadata_key(seen.key), entry.facts.metadata_etag)
    return ours != entry.facts.metadata_etag


def _apply(
    store: Storage,
    cache: FactsCache,
    seen: _Seen,
    written: MetadataWrites,
    learned: dict[str, Entry],
) -> None:
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
    if seen.key in learned:
        cache.files[name] = learned[seen.key]


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


def write_people_page(store: Storage, project: NormalizedName) -> bool:
    """The follow-up of events that left the page for people (`defer_people`): bring it to the
    facts cache version now current, conditionally, as the pages follow the cache. True if it
    was written or deleted."""
    pages = [Derived.read(store, layout.human_page_key(project))]
    blob, cache = RECENT.read(store, project)
    if cache is None:
        raise NeedsListing(f"{project}: the facts cache is unreadable")
    version = CacheVersion(blob.etag if blob else None, cache)
    return follow(store, project, version, pages, human=Human.READ)
