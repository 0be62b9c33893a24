"""Refiling never trusts the `x-amz-meta-sha256` a writer recorded: bytes decide."""

from __future__ import annotations

from dataclasses import replace

from distbuild import wheel
from storage_reads import body, put, sha256

from pyshelf.core.filenames import normalize_project
from pyshelf.indexer.refile import refile
from pyshelf.storage import SHA256_META
from pyshelf.storage.memory import MemoryStore

FILED = "foo/foo-1.0-py3-none-any.whl"
MISPLACED = "Foo/foo-1.0-py3-none-any.whl"


def test_a_stale_recorded_sha256_on_the_target_does_not_make_it_a_duplicate() -> None:
    store = MemoryStore()
    theirs, ours = wheel("foo", "1.0", ">=3.10"), wheel("foo", "1.0", ">=3.11")
    forged = {SHA256_META: sha256(ours)}  # the target claims to hold our bytes
    store.put(FILED, theirs, content_type="application/zip", metadata=forged)
    store.put(MISPLACED, ours, content_type="application/zip", metadata=forged)
    assert refile(store, MISPLACED, normalize_project("foo")) is None
    assert (body(store, FILED), body(store, MISPLACED)) == (theirs, ours)


def test_identical_bytes_under_different_etags_are_a_duplicate() -> None:
    store = MemoryStore()
    data = wheel("foo", "1.0")
    put(store, FILED, data)
    put(store, MISPLACED, data)
    stored = store.contents.objects[FILED]  # as a multipart upload's ETag would differ
    store.contents.objects[FILED] = replace(stored, etag='"0123-2"')
    assert refile(store, MISPLACED, normalize_project("foo")) == FILED
    assert body(store, FILED) == data
    assert store.head(MISPLACED) is None
