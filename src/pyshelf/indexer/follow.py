"""Make a project's pages follow its facts cache (docs/race-freedom.md, "Pages follow the cache").

The writer of a cache version renders the pages from it and writes them conditionally on the
ETags it read before that version existed. A write that loses (412) looks at the cache: still the
same version, it reads the pages again and retries; a newer version exists, its writer is
responsible and this one stops. A write that lands looks at the cache again afterwards: if a newer
version appeared meanwhile, the write may have covered that version's pages (which its writer may
have found already right and left alone), so this writer now follows the newer version.


The human project page (docs/pages.md) follows with them. On the listing path it is read and
written like the API pages; on the event hot path it is not read (`Human.BLIND`: the +1-file
budget allows one PUT for it and no HEAD) and written without a condition whenever the cache was
written. The writer checks the cache after every write that lands, so a stale blind write is
followed by this writer's own write of the newer version.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.errors import PyshelfError
from pyshelf.core.facts_cache import FactsCache
from pyshelf.indexer.derived import Derived, write_all
from pyshelf.storage import NotFound, PreconditionFailed, Storage

log = logging.getLogger(__name__)
MAX_ROUNDS = 8


class PagesStillChanging(PyshelfError, RuntimeError):
    """The cache kept changing while its pages were written; the caller should retry later."""


@dataclass(slots=True)
class CacheVersion:
    """One version of a project's facts cache: its ETag (None: no cache object) and content."""

    etag: str | None
    cache: FactsCache


class Human(enum.Enum):
    """How the human project page is handled with the API pages."""

    READ = "read"  # read (HEAD, or its bytes) and written conditionally, like the API pages
    BLIND = "blind"  # written or deleted without reading it (the hot path, cache written)
    SKIP = "skip"  # left alone (the hot path, cache unchanged)


def read_pages(
    store: Storage, project: NormalizedName, check_bytes: bool, human: Human = Human.READ
) -> list[Derived]:
    pages = [Derived.read(store, key, check_bytes) for key in layout.page_keys(project)]
    key = layout.human_page_key(project)
    if human is Human.READ:
        pages.append(Derived.read(store, key, check_bytes))
    elif human is Human.BLIND:
        pages.append(Derived(key, None, blind=True))
    return pages


def follow(
    store: Storage,
    project: NormalizedName,
    version: CacheVersion,
    pages: list[Derived],
    *,
    check_bytes: bool = False,
    human: Human = Human.READ,
) -> bool:
    """Bring the pages to what `version` renders; `pages` must have been read before `version`
    was read or written (`human`: how they hold the human page). True if a page was written or
    deleted."""
    changed = False
    for _ in range(MAX_ROUNDS):
        bodies = version.cache.page_bodies(project, [page.key for page in pages])
        for page in pages:
            page.body = bodies.get(page.key)
        try:
            if not write_all(store, pages):
                return changed
        except (PreconditionFailed, NotFound):
            if _cache_etag(store, project) != version.etag:
                return changed  # a newer version exists: its writer makes the pages follow it
            pages = read_pages(store, project, check_bytes, human)
            continue
        changed = True
        if _cache_etag(store, project) == version.etag:
            return changed
        version = read_version(store, project)
        pages = read_pages(store, project, check_bytes, human)
        log.info("%s: the cache changed while its pages were written; following it", project)
    raise PagesStillChanging(f"{project}: the cache kept changing during {MAX_ROUNDS} rounds")


def read_version(store: Storage, project: NormalizedName) -> CacheVersion:
    """The current cache version; `PagesStillChanging` if it cannot be read (a listing
    regeneration, on the retry, rewrites it)."""
    blob = store.get(layout.facts_cache_key(project))
    if blob is None:
        return CacheVersion(None, FactsCache())
    cache = FactsCache.parse(blob.body)
    if cache is None:
        raise PagesStillChanging(f"{project}: the facts cache is unreadable")
    return CacheVersion(blob.etag, cache)


def _cache_etag(store: Storage, project: NormalizedName) -> str | None:
    head = store.head(layout.facts_cache_key(project))
    return head.etag if head else None
