"""The facts caches this process read or wrote last, kept parsed (a warm Lambda container's
memory), so that the next event of the same project asks S3 for its cache conditionally
(`Storage.get_unless`) and, when it is still the version remembered, neither downloads nor parses
it again.

Keyed by project and the ETag of the version: S3 is strongly consistent, so a version that still
has the ETag remembered is the bytes remembered. Only the version an event itself read or wrote
is remembered, as `FactsCache.parse` of its bytes would give it; what is remembered is a copy,
and a reader gets a copy, so no event changes it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.storage import Blob, Storage

MAX_PROJECTS = 16  # caches of 50,000 files are about 80 MB parsed: a few are enough


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a project's facts cache: its ETag, bytes and parsed content."""

    etag: str
    body: bytes
    cache: FactsCache


class Recent:
    def __init__(self, size: int = MAX_PROJECTS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._versions: OrderedDict[tuple[str, NormalizedName], Version] = OrderedDict()

    def read(
        self, store: Storage, project: NormalizedName
    ) -> tuple[Blob | None, FactsCache | None]:
        """The current version of the project's cache (None: there is none) and its content
        (None: unreadable), parsed only if it is not the version remembered."""
        slot = (store.bucket, project)
        with self._lock:
            known = self._versions.get(slot)
        blob = store.get_unless(layout.facts_cache_key(project), known.etag if known else None)
        if blob is None:
            return None, FactsCache()
        if blob.unchanged and known is not None:
            return Blob(known.body, known.etag), known.cache.copy()
        cache = FactsCache.parse(blob.body)
        if cache is not None:
            self.remember(store, project, blob.etag, blob.body, cache.copy())
        return blob, cache

    def remember(
        self, store: Storage, project: NormalizedName, etag: str, body: bytes, cache: FactsCache
    ) -> None:
        """Remember a version this process read or wrote (`cache` must not change after)."""
        slot = (store.bucket, project)
        with self._lock:
            self._versions[slot] = Version(etag, body, cache)
            self._versions.move_to_end(slot)
            while len(self._versions) > self._size:
                self._versions.popitem(last=False)


RECENT = Recent()
