"""What only MemoryStore needs: one lock makes each conditional write atomic across threads, and
stores built over the same contents (as the race tests' wrappers are) share the objects."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from pyshelf.storage import PreconditionFailed
from pyshelf.storage.memory import MemoryStore

THREADS = 8


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Switch threads as often as possible, so an unlocked check-then-write would be caught."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _run(target: object, count: int = THREADS) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_if_match_loses_no_update_under_contention(busy_switching: None) -> None:
    store = MemoryStore()
    store.put("counter", b"0", content_type="text/plain")

    def increment_many() -> None:
        for _ in range(200):
            while True:
                blob = store.get("counter")
                assert blob is not None
                value = int(blob.body) + 1
                try:
                    store.put("counter", str(value).encode(), content_type="text/plain",
                              if_match=blob.etag)  # fmt: skip
                    break
                except PreconditionFailed:
                    continue

    _run(increment_many)
    blob = store.get("counter")
    assert blob is not None
    assert int(blob.body) == THREADS * 200


def _race_to_create(store: MemoryStore) -> list[bytes]:
    """Every thread tries to create the same key; the bodies of those who succeeded."""
    winners: list[bytes] = []

    def create() -> None:
        body = str(threading.get_ident()).encode()
        try:
            store.put("k", body, content_type="text/plain", if_none_match=True)
        except PreconditionFailed:
            return
        winners.append(body)

    _run(create)
    return winners


def test_if_none_match_lets_exactly_one_writer_create(busy_switching: None) -> None:
    for _round in range(50):
        store = MemoryStore()
        winners = _race_to_create(store)
        blob = store.get("k")
        assert blob is not None
        assert winners == [blob.body]


def test_stores_over_the_same_contents_see_the_same_objects() -> None:
    store = MemoryStore("b")
    view = MemoryStore("b", store.contents)
    view.put("k", b"x", content_type="text/plain")
    assert store.get("k") == view.get("k")
    store.delete("k")
    assert view.head("k") is None
    assert MemoryStore("b").head("k") is None  # a new store starts empty
