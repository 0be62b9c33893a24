"""Write derived objects only when their bytes change, and never over a newer version.

A `Derived` pairs what was read before listing (`current`: ETag and body hash) with what should be
there now (`body`, None for "should not exist"). Writes are conditional on `current`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyshelf.core import layout
from pyshelf.core.inspection import sha256_of
from pyshelf.storage import SHA256_META, Head, Storage


@dataclass(slots=True)
class Derived:
    key: str
    current: Head | None
    body: bytes | None = None

    @classmethod
    def read(cls, store: Storage, key: str, check_bytes: bool = False) -> Derived:
        """The object's current state: from a HEAD and the sha256 recorded in its metadata, or
        with `check_bytes` from its body, so that a body a writer forged (with a copied
        `x-amz-meta-sha256`) does not pass for the right one."""
        if not check_bytes:
            return cls(key, store.head(key))
        blob = store.get(key)
        return cls(key, Head(blob.etag, sha256_of(blob.body)) if blob else None)

    @property
    def headers(self) -> tuple[str, str | None]:
        return layout.headers_of(self.key)


def write_all(store: Storage, pages: Iterable[Derived]) -> bool:
    """Bring each page to its wanted state; True if anything was written or deleted."""
    changed = False
    for page in pages:
        changed |= write_derived(store, page)
    return changed


def write_derived(store: Storage, page: Derived) -> bool:
    if page.body is None:
        if page.current is None:
            return False
        store.delete(page.key)
        return True
    digest = sha256_of(page.body)
    if page.current is not None and page.current.sha256 == digest:
        return False
    content_type, cache_control = page.headers
    store.put(
        page.key,
        page.body,
        content_type=content_type,
        cache_control=cache_control,
        metadata={SHA256_META: digest},
        if_match=page.current.etag if page.current else None,
        if_none_match=page.current is None,
    )
    return True
