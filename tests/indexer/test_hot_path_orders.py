"""The event hot path under every order of changes to ONE key (docs/race-freedom.md): for every
permutation of create / overwrite / delete / re-create, invocation A handles the first change's
event and is held before each of its store requests in turn; meanwhile the remaining changes
happen and B handles their events (in order, or in reverse: reordered delivery); then A goes on.
No further event comes, so the index must already equal the bucket."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from distbuild import sdist, wheel
from eventjson import created, removed, sqs_event
from index_checks import assert_index_matches_bucket
from packaging.utils import canonicalize_name
from storage_reads import body, put

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.recent import RECENT
from pyshelf.storage.memory import MemoryStore

KEY = "alpha/alpha-1.0-py3-none-any.whl"
OTHER = "alpha/alpha-0.1.tar.gz"
OPS = ("create", "overwrite", "delete", "recreate")


@cache
def wheel_bytes(requires: str) -> bytes:
    return wheel("alpha", "1.0", requires)


def apply(store: MemoryStore, op: str) -> dict[str, Any]:
    """Change KEY in the bucket; the S3 notification of that change."""
    if op == "delete":
        store.delete(KEY)
        return removed(KEY)
    requires = {"create": ">=3.8", "overwrite": ">=3.12", "recreate": ">=3.10"}[op]
    put(store, KEY, wheel_bytes(requires))
    return created(KEY)


class HeldAt(MemoryStore):
    """Runs `meanwhile` once, just before the `at`-th request (0-based) made through it."""

    def __init__(self, inner: MemoryStore, at: int, meanwhile: Callable[[], None]) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.at, self.meanwhile, self.count, self.held = at, meanwhile, 0, False

    def _tick(self) -> None:
        if self.count == self.at and not self.held:
            self.held = True
            self.meanwhile()
        self.count += 1

    def list(self, prefix: str) -> Any:
        self._tick()
        return super().list(prefix)

    def head(self, key: str) -> Any:
        self._tick()
        return super().head(key)

    def get(self, key: str) -> Any:
        self._tick()
        return super().get(key)

    def download(self, key: str, into: Any, *, if_match: str | None) -> Any:
        self._tick()
        return super().download(key, into, if_match=if_match)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self._tick()
        return super().put(key, body, **kwargs)

    def delete(self, key: str) -> None:
        self._tick()
        super().delete(key)


def run(order: tuple[str, ...], at: int, with_other: bool, reverse: bool) -> bool:
    """One scenario; False when A made fewer than `at` + 1 requests (nothing was held)."""
    store = MemoryStore("pyshelf-test")
    if with_other:
        put(store, OTHER, sdist("alpha", "0.1"))
        handle_event(sqs_event(created(OTHER)), store)
    first = apply(store, order[0])

    def meanwhile() -> None:
        events = [apply(store, op) for op in order[1:]]
        for event in reversed(events) if reverse else events:
            assert handle_event(sqs_event(event), store) == {"batchItemFailures": []}

    a = HeldAt(store, at, meanwhile)
    assert handle_event(sqs_event(first), a) == {"batchItemFailures": []}
    if not a.held:
        return False
    assert_index_matches_bucket(store)
    return True


@pytest.mark.parametrize("with_other", [False, True], ids=["alone", "with-other-file"])
@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reordered"])
@pytest.mark.parametrize("order", list(itertools.permutations(OPS)), ids="-".join)
def test_every_order_of_changes_to_one_key(
    order: tuple[str, ...], with_other: bool, reverse: bool
) -> None:
    for at in itertools.count():
        try:
            if not run(order, at, with_other, reverse):
                break
        except AssertionError as exc:
            raise AssertionError(f"A held before its request #{at}: {exc}") from exc
    assert at >= 4  # A was held before each of its requests (4 at least: pages, cache, key)


def test_a_remembered_cache_is_used_only_while_it_is_the_current_version(
    store: MemoryStore,
) -> None:
    """A warm process remembers the cache version it wrote last; another writer's newer version
    (another container) is read and parsed, never mistaken for the remembered one."""
    put(store, "alpha/alpha-1.0.tar.gz", sdist("alpha", "1.0"))
    assert handle_event(sqs_event(created("alpha/alpha-1.0.tar.gz")), store) == {
        "batchItemFailures": []
    }
    blob, cache = RECENT.read(store, canonicalize_name("alpha"))
    assert blob is not None and cache is not None and cache.listed == 1
    other = MemoryStore(store.bucket, store.contents)  # another container, same bucket
    put(other, "alpha/alpha-2.0.tar.gz", sdist("alpha", "2.0"))
    key = layout.facts_cache_key(canonicalize_name("alpha"))
    newer = FactsCache.loads(body(other, key)).copy()
    newer.files["alpha-2.0.tar.gz"] = newer.files["alpha-1.0.tar.gz"]
    store.put(key, newer.dumps(), content_type="application/gzip")  # not through RECENT
    again_blob, again = RECENT.read(store, canonicalize_name("alpha"))
    assert again_blob is not None and again is not None
    assert again_blob.etag != blob.etag and again.listed == 2
