"""Write derived objects only when their bytes change, and never over a newer version.

A `Derived` pairs what was read before listing (`current`: ETag and body hash) with what should be
there now (`body`, None for "should not exist"). Writes are conditional on `current`.

A JSON page also has a gzip variant (`<page>.gz`, docs/layout.md), read with it and brought to
the same state: written (before the page, so that a crash between the two leaves the page to be
written again) whenever it is missing or holds another page, deleted with the page. Its
`x-amz-meta-sha256` is the sha256 of the page it holds *decoded*, so one HEAD tells whether it
matches the page without compressing anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyshelf.core import layout
from pyshelf.core.encoding import UndecodableBody, decoded, gzip_body
from pyshelf.core.inspection import sha256_of
from pyshelf.storage import SHA256_META, Head, Storage


@dataclass(frozen=True, slots=True)
class Variant:
    """A page's gzip variant as read: `current.sha256` is the sha256 of its decoded body."""

    key: str
    current: Head | None


@dataclass(slots=True)
class Derived:
    key: str
    current: Head | None
    body: bytes | None = None
    variant: Variant | None = None
    """A JSON page's gzip variant as read with it (None: not read; `write_derived` reads it)."""
    blind: bool = False
    """Not read: written (or deleted) without a condition, as the event hot path does with the
    human project page (its writer then checks the cache and follows a newer version)."""

    @classmethod
    def read(cls, store: Storage, key: str, check_bytes: bool = False) -> Derived:
        """The object's current state: from a HEAD and the sha256 recorded in its metadata, or
        with `check_bytes` from its body, so that a body a writer forged (with a copied
        `x-amz-meta-sha256`) does not pass for the right one. A JSON page's variant likewise."""
        variant_key = layout.gzip_variant_key(key)
        variant = None
        if variant_key:
            variant = Variant(variant_key, _read(store, variant_key, check_bytes))
        return cls(key, _read(store, key, check_bytes), variant=variant)

    @property
    def headers(self) -> tuple[str, str | None]:
        return layout.headers_of(self.key)


def _read(store: Storage, key: str, check_bytes: bool) -> Head | None:
    if not check_bytes:
        return store.head(key)
    blob = store.get(key)
    if blob is None:
        return None
    try:
        body = decoded(blob.body, layout.content_encoding_of(key))
    except UndecodableBody:
        return Head(blob.etag, None)  # not what it should be: rewritten
    return Head(blob.etag, sha256_of(body))


def write_all(store: Storage, pages: Iterable[Derived]) -> bool:
    """Bring each page to its wanted state; True if anything was written or deleted."""
    changed = False
    for page in pages:
        changed |= write_derived(store, page)
    return changed


def write_derived(store: Storage, page: Derived) -> bool:
    """Bring the object (a JSON page: its gzip variant first) to its wanted state; True if
    anything was written or deleted."""
    variant = page.variant
    if variant is None and (variant_key := layout.gzip_variant_key(page.key)):
        variant = Variant(variant_key, store.head(variant_key))
    digest = None if page.body is None else sha256_of(page.body)
    changed = False
    if variant is not None and _stale(variant.current, digest):
        coded = None if page.body is None else gzip_body(page.body)
        _bring(store, variant.key, variant.current, coded, digest)
        changed = True
    if page.blind or _stale(page.current, digest):
        _bring(store, page.key, page.current, page.body, digest, blind=page.blind)
        changed = True
    return changed


def _stale(current: Head | None, digest: str | None) -> bool:
    """Not as wanted: there but unwanted (digest None), missing, or holding another page."""
    if digest is None:
        return current is not None
    return current is None or current.sha256 != digest


def _bring(
    store: Storage,
    key: str,
    current: Head | None,
    body: bytes | None,
    digest: str | None,
    *,
    blind: bool = False,
) -> None:
    """Delete the object (body None) or write it, conditionally on `current` (not `blind`)."""
    if body is None or digest is None:
        store.delete(key)
        return
    content_type, cache_control = layout.headers_of(key)
    store.put(
        key,
        body,
        content_type=content_type,
        cache_control=cache_control,
        content_encoding=layout.content_encoding_of(key),
        metadata={SHA256_META: digest},
        if_match=current.etag if current else None,
        if_none_match=current is None and not blind,
    )
