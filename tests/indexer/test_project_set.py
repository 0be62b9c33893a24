"""The private set's KeyValueStore side (pyshelf.indexer.project_set): only differences are
written, always with If-Match on the ETag read first, and concurrent writers converge."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest
from kvs_contention import ContendedStore
from packaging.utils import NormalizedName, canonicalize_name

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core.private_names import LIVE, RESERVED
from pyshelf.indexer.project_set import NameInUse, ProjectSet


def contended(inner: MemoryKeyValueStore, seed: int = 0) -> ContendedStore:
    return ContendedStore(inner, random.Random(seed))


def name(text: str) -> NormalizedName:
    return canonicalize_name(text)


def test_only_differences_are_written() -> None:
    store = contended(MemoryKeyValueStore({"project:foo": "reserved", "token:x": "{}"}))
    projects = ProjectSet(store)
    assert projects.ensure(name("Foo")) is True
    assert projects.ensure(name("foo")) is False
    assert projects.retire(name("bar")) is True
    assert projects.retire(name("bar")) is False
    assert projects.release(name("nope"), check=lambda: None) is False
    assert store.landed == [({"project:foo": LIVE}, ()), ({"project:bar": RESERVED}, ())]
    assert projects.snapshot() == {"bar": RESERVED, "foo": LIVE}
    assert store.inner.get("token:x") == "{}"


def test_a_refused_release_writes_nothing() -> None:
    store = MemoryKeyValueStore({"project:foo": "reserved"})

    def refuse() -> None:
        raise NameInUse("foo has files")

    with pytest.raises(NameInUse):
        ProjectSet(store).release(name("foo"), check=refuse)
    assert store.list() == {"project:foo": "reserved"}


def test_a_large_rebuild_is_written_in_update_batches() -> None:
    stale = {f"project:old{i}": "live" for i in range(70)}
    store = contended(MemoryKeyValueStore(stale))
    wanted = {name(f"new{i}"): LIVE for i in range(40)}
    changed = ProjectSet(store).rebuild(lambda _held: wanted)
    assert changed == 110
    assert [len(puts) + len(deletes) for puts, deletes in store.landed] == [50, 50, 10]
    assert store.inner.list() == {f"project:new{i}": "live" for i in range(40)}


def test_a_rebuild_interrupted_between_batches_is_planned_again() -> None:
    """Another writer lands between two batches: the next batch fails, and the plan is made
    again from what is there then (the other writer's key is kept if wanted)."""
    inner = MemoryKeyValueStore({f"project:old{i}": "live" for i in range(60)})
    calls = 0

    class Interrupted(ContendedStore):
        def update(
            self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str
        ) -> str:
            nonlocal calls
            calls += 1
            etag = super().update(puts=puts, deletes=deletes, if_match=if_match)
            if calls == 1:
                inner.put("project:late", "live", if_match=inner.etag())
            return etag

    store = Interrupted(inner, random.Random(0))
    wanted = {name("late"): LIVE, name("old59"): LIVE}
    ProjectSet(store, sleep=lambda _: None).rebuild(lambda _held: wanted)
    assert store.conflicts == 1
    assert inner.list() == {"project:late": "live", "project:old59": "live"}


def test_concurrent_writers_converge() -> None:
    """Five invocations at once, all adding the same shared names and each its own, retiring
    some of its own, all racing on the one store ETag: every change lands exactly once (a
    shared name is written by one of them only), none is lost."""
    store = contended(MemoryKeyValueStore({"token:x": "{}"}), seed=7)

    def invocation(worker: int) -> None:
        projects = ProjectSet(store)
        for i in range(6):
            projects.ensure(name(f"shared-{i}"))
            projects.ensure(name(f"p{worker}-{i}"))
        for i in range(0, 6, 2):
            projects.retire(name(f"p{worker}-{i}"))

    with ThreadPoolExecutor(max_workers=5) as pool:
        for future in [pool.submit(invocation, worker) for worker in range(5)]:
            future.result()
    expected = {
        f"project:p{w}-{i}": RESERVED if i % 2 == 0 else LIVE for w in range(5) for i in range(6)
    }
    expected |= {f"project:shared-{i}": LIVE for i in range(6)}
    assert store.inner.list() == {**expected, "token:x": "{}"}
    assert len(store.landed) == 6 + 5 * (6 + 3)
    assert store.conflicts > 0
