"""`reindex`: rebuilds from the bucket alone, and one project that keeps changing does not stop
the others or the root."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from distbuild import sdist, wheel
from storage_reads import files_of, keys_in, put, root_names

from pyshelf.indexer.regenerate import MAX_ATTEMPTS, ReindexIncomplete, reindex
from pyshelf.storage.memory import MemoryStore


def test_reindex_builds_everything_from_the_bucket_alone(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"))
    put(store, "bar/bar-2.0.tar.gz", sdist("bar", "2.0"))
    results = reindex(store)
    assert sorted((r.project, r.files, r.changed) for r in results) == [
        ("bar", 1, True),
        ("foo", 1, True),
    ]
    assert root_names(store) == ["bar", "foo"]
    assert set(files_of(store, "foo")) == {"foo-1.0-py3-none-any.whl"}
    again = reindex(store)
    assert not any(r.changed for r in again)  # idempotent: nothing rewritten


def test_reindex_moves_misplaced_distributions_like_the_lambda(store: MemoryStore) -> None:
    data = wheel("Foo_Bar", "2.0")
    put(store, "Foo_Bar-2.0-py3-none-any.whl", data)
    reindex(store)
    assert "Foo_Bar-2.0-py3-none-any.whl" not in keys_in(store)
    assert set(files_of(store, "foo-bar")) == {"Foo_Bar-2.0-py3-none-any.whl"}
    assert root_names(store) == ["foo-bar"]


class ChurningStore(MemoryStore):
    """Every listing of `bad/` sees a freshly overwritten file: that project never settles."""

    def __init__(self, inner: MemoryStore) -> None:
        super().__init__(inner.bucket, inner.contents)
        self._counter = itertools.count()

    def list(self, prefix: str) -> Iterator[Any]:
        if prefix == "bad/":
            put(self, "bad/bad-1.0.tar.gz", sdist("bad", f"1.0.{next(self._counter)}"))
        return super().list(prefix)


def test_a_project_that_never_settles_does_not_stop_the_others(store: MemoryStore) -> None:
    put(store, "good/good-1.0.tar.gz", sdist("good", "1.0"))
    churning = ChurningStore(store)
    with pytest.raises(ReindexIncomplete) as caught:
        reindex(churning, ["bad", "good"])  # type: ignore[list-item]
    assert caught.value.failed == ["bad"]
    assert [r.project for r in caught.value.results] == ["good"]
    assert str(MAX_ATTEMPTS) in str(caught.value)
    assert "good" in root_names(store)
    assert "good/index.json" in keys_in(store)
