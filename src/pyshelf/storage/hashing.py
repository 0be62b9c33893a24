"""Hash a stored object as it streams past, without keeping it."""

from __future__ import annotations

from pyshelf.core.inspection import HashingWriter
from pyshelf.storage.base import Storage


def hash_object(store: Storage, key: str, etag: str) -> HashingWriter:
    """Stream a stored object through sha256 without keeping it (`.sha256`, `.size`)."""
    digest = HashingWriter()
    store.download(key, digest, if_match=etag)  # type: ignore[arg-type]
    return digest
