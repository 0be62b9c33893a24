"""`reindex`: rebuilds from the bucket alone, and one project that keeps changing does not stop
the others or the root."""

from __future__ import annotations

import itertools
import logging
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


class BrokenStore(MemoryStore):
    """Any read of `bad/`'s facts cache fails as a store error would (throttling, a 500)."""

    def get(self, key: str) -> Any:
        if key == "_pyshelf/projects/bad.json":
            raise OSError("connection reset by peer")
        return super().get(key)


def test_any_error_in_one_project_does_not_stop_the_others(
    store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    put(store, "bad/bad-1.0.tar.gz", sdist("bad", "1.0"))
    put(store, "good/good-1.0.tar.gz", sdist("good", "1.0"))
    with pytest.raises(ReindexIncomplete) as caught:
        reindex(BrokenStore(store.bucket, store.contents))
    assert caught.value.failed == ["bad"]
    assert caught.value.reasons == {"bad": "OSError: connection reset by peer"}
    assert "bad: OSError: connection reset by peer" in str(caught.value)
    assert [r.project for r in caught.value.results] == ["good"]
    assert root_names(store) == ["good"]
    assert "bad: not rebuilt" in caplog.text


def test_keys_the_layout_cannot_hold_are_left_alone(
    store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    """An empty segment, a deeper folder, an invalid name, a `.metadata` key over 1,024 bytes:
    not listed, not moved, and reindex --all goes on to the rest."""
    long_name = "a" * 497  # key: 1,016 bytes; its .metadata key would be 1,025
    refused = [
        "foo//foo-1.1-py3-none-any.whl",
        "foo/sub/foo-1.2-py3-none-any.whl",
        "Foo Bar<x>-1.0.tar.gz",
        "..-1.0.tar.gz",
        "\uff46\uff4f\uff4f-1.0.tar.gz",
        f"{long_name}/{long_name}-1.0-py3-none-any.whl",
    ]
    put(store, "foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"))
    for key in refused:
        put(store, key, wheel("foo", "1.1"))
    results = reindex(store)
    assert [(r.project, r.files) for r in results] == [("foo", 1)]
    assert set(files_of(store, "foo")) == {"foo-1.0-py3-none-any.whl"}
    assert root_names(store) == ["foo"]
    assert set(refused) <= keys_in(store)  # each one where it was
    metadata = {key for key in keys_in(store) if key.endswith(".metadata")}
    assert metadata == {"foo/foo-1.0-py3-none-any.whl.metadata"}
    for key in refused:  # one reason each
        assert sum(r.getMessage().startswith(f"{key}: ignored: ") for r in caplog.records) == 1
