"""`pyshelf list` reads the project pages at once, not one after the other (no 1 + N sequential
GETs): every project page's read waits here until all of them have started."""

from __future__ import annotations

import threading

import pytest
from distbuild import wheel

from pyshelf.cli.run import listing
from pyshelf.indexer.regenerate import reindex
from pyshelf.publish.index_reader import BucketIndex
from pyshelf.storage import Blob
from pyshelf.storage.memory import MemoryStore

PROJECTS = ["alpha", "beta", "gamma", "delta"]


class _Gathering(MemoryStore):
    """Reads of project pages block until every project's read has begun (a barrier): a
    listing that reads them in turn never gets past the first."""

    def __init__(self, contents: MemoryStore) -> None:
        super().__init__(contents=contents.contents)
        self.barrier = threading.Barrier(len(PROJECTS), timeout=5)

    def get(self, key: str) -> Blob | None:
        if key.count("/") == 1 and key.split("/", maxsplit=1)[0] in PROJECTS:
            self.barrier.wait()
        return super().get(key)


@pytest.fixture
def published() -> MemoryStore:
    store = MemoryStore()
    for name in PROJECTS:
        key = f"{name}/{name}-1.0-py3-none-any.whl"
        store.put(key, wheel(name, "1.0"), content_type="application/zip")
    reindex(store)
    return store


def test_the_root_listing_reads_the_project_pages_concurrently(published: MemoryStore) -> None:
    document = listing._root(BucketIndex(_Gathering(published)))
    assert [(p["name"], p["latest"], p["files"]) for p in document["projects"]] == [
        (name, "1.0", 1) for name in sorted(PROJECTS)
    ]


def test_one_worker_would_wait_forever(
    published: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The barrier does catch a listing that reads the pages in turn."""
    monkeypatch.setattr(listing, "WORKERS", 1)
    with pytest.raises(threading.BrokenBarrierError):
        listing._root(BucketIndex(_Gathering(published)))
