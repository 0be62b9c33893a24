"""A page or root forged by a writer, with the `x-amz-meta-sha256` of the real one copied onto
it, is repaired by `reindex`, which compares stored bytes rather than metadata a writer sets."""

from __future__ import annotations

import pytest
from distbuild import wheel

from pyshelf.core import layout
from pyshelf.core.filenames import normalize_project
from pyshelf.indexer.regenerate import regenerate_project, reindex
from pyshelf.storage import SHA256_META, Storage


def forge(store: Storage, key: str) -> bytes:
    """Overwrite a page with other bytes, keeping its recorded sha256; return the real body."""
    real = store.get(key)
    recorded = store.head(key)
    assert real is not None and recorded is not None and recorded.sha256
    content_type, cache_control = layout.headers_of(key)
    forged = b'<a href="https://evil.example/foo-1.0-py3-none-any.whl">evil</a>'
    store.put(
        key,
        forged,
        content_type=content_type,
        cache_control=cache_control,
        metadata={SHA256_META: recorded.sha256},
    )
    return real.body


@pytest.mark.parametrize("key", ["foo/index.html", "foo/index.json", "index.html", "index.json"])
def test_reindex_repairs_a_forged_page(store: Storage, key: str) -> None:
    store.put("foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"), content_type="application/zip")
    reindex(store)
    real = forge(store, key)
    # The event path trusts the recorded sha256 (the bucket policy keeps writers off pages):
    regenerate_project(store, normalize_project("foo"))
    blob = store.get(key)
    assert blob is not None and blob.body != real
    reindex(store, [normalize_project("foo")])
    repaired = store.get(key)
    assert repaired is not None and repaired.body == real
