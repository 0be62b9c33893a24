"""Fault injection: a store failing 10% of requests at random (S3's 500 InternalError, 503
SlowDown, connection reset; before or after the request took effect) during a burst of 200
uploads and 50 deletes fed to `handle_event` in concurrent batches. Failed messages are
delivered again (receive count > 1) until they succeed; then the index equals the bucket."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError
from distbuild import sdist, wheel
from eventjson import created, removed, sqs_event
from index_checks import PROJECTS, assert_index_matches_bucket
from storage_reads import put

from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.invalidation import RecordingInvalidator, edge_paths
from pyshelf.storage.memory import MemoryStore

T = TypeVar("T")


def _fault(rng: random.Random) -> Exception:
    kind = rng.randrange(3)
    if kind == 2:
        return ConnectionResetError(104, "Connection reset by peer")
    code, status = (("InternalError", 500), ("SlowDown", 503))[kind]
    error = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(error, "S3")  # type: ignore[arg-type]


class FaultyStore(MemoryStore):
    """The same objects as `inner`; each request fails with probability `rate`, half of the
    failed writes after taking effect (the reply was lost)."""

    def __init__(self, inner: MemoryStore, rng: random.Random, rate: float = 0.1) -> None:
        super().__init__(inner.bucket, inner.contents)
        self._rng, self._rate, self._lock = rng, rate, threading.Lock()
        self.calls = self.faults = 0

    def _call(self, action: Callable[[], T], *, write: bool = False) -> T:
        with self._lock:
            self.calls += 1
            fails = self._rng.random() < self._rate
            late = write and self._rng.random() < 0.5
            fault = _fault(self._rng)
            self.faults += fails
        if fails and not late:
            raise fault
        result = action()
        if fails:
            raise fault
        return result

    def list(self, prefix: str) -> Iterator[Any]:
        return self._call(lambda: iter(list(super(FaultyStore, self).list(prefix))))

    def head(self, key: str) -> Any:
        return self._call(lambda: super(FaultyStore, self).head(key))

    def get(self, key: str) -> Any:
        return self._call(lambda: super(FaultyStore, self).get(key))

    def download(self, key: str, into: Any, *, if_match: str | None) -> Any:
        return self._call(lambda: super(FaultyStore, self).download(key, into, if_match=if_match))

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        return self._call(lambda: super(FaultyStore, self).put(key, body, **kwargs), write=True)

    def copy(self, source: str, target: str) -> str:
        return self._call(lambda: super(FaultyStore, self).copy(source, target), write=True)

    def delete(self, key: str) -> None:
        self._call(lambda: super(FaultyStore, self).delete(key), write=True)


def burst(store: MemoryStore, rng: random.Random) -> tuple[list[dict[str, Any]], set[str]]:
    """200 uploads (some overwriting with other bytes) then 50 deletes; their notifications
    and the keys removed (an overwrite before any indexing was never served: not stale)."""
    notes, present, stale = [], set(), set()
    for _ in range(200):
        project, version = rng.choice(PROJECTS), f"1.{rng.randrange(12)}"
        wheel_file = rng.random() < 0.5
        if wheel_file:
            key = f"{project}/{project}-{version}-py3-none-any.whl"
            data = wheel(project, version, f">={rng.randrange(6, 13)}")
        else:
            key, data = f"{project}/{project}-{version}.tar.gz", sdist(project, version)
        put(store, key, data)
        present.add(key)
        notes.append(created(key))
    for key in rng.sample(sorted(present), 50):
        store.delete(key)
        stale.add(key)
        notes.append(removed(key))
    return notes, stale


def deliver(
    faulty: FaultyStore, notes: list[dict[str, Any]], rng: random.Random, edge: RecordingInvalidator
) -> int:
    """Concurrent batches of up to 10; failed messages go back on the queue with their receive
    count raised, until none is left. Returns the number of redeliveries."""
    queue = [(note, 1) for note in notes]
    rng.shuffle(queue)
    redeliveries = 0

    def run(batch: list[tuple[dict[str, Any], int]]) -> list[tuple[dict[str, Any], int]]:
        event = sqs_event(*(note for note, _ in batch))
        for record, (_, count) in zip(event["Records"], batch, strict=True):
            record["attributes"]["ApproximateReceiveCount"] = str(count)
        failed = {
            f["itemIdentifier"]
            for f in handle_event(event, faulty, None, edge)["batchItemFailures"]
        }
        return [(n, c + 1) for i, (n, c) in enumerate(batch) if f"message-{i}" in failed]

    with ThreadPoolExecutor(max_workers=8) as pool:
        while queue:
            batches = [queue[i : i + 10] for i in range(0, len(queue), 10)]
            queue = [again for done in pool.map(run, batches) for again in done]
            redeliveries += len(queue)
            assert all(count < 50 for _, count in queue), "a message never succeeds"
    return redeliveries


@pytest.mark.parametrize("seed", range(int(os.environ.get("PYSHELF_RACE_SEEDS", "4"))))
def test_failing_store_burst_ends_with_an_exact_index(store: MemoryStore, seed: int) -> None:
    rng = random.Random(seed)
    notes, stale = burst(store, rng)
    faulty = FaultyStore(store, random.Random(seed + 1000))
    edge = RecordingInvalidator()
    started = time.monotonic()
    redeliveries = deliver(faulty, notes, rng, edge)
    elapsed = time.monotonic() - started
    assert_index_matches_bucket(store)
    invalidated = {path for batch in edge.batches for path in batch}
    for key in stale:
        project, filename = key.split("/")
        paths = edge_paths(project, filename)  # type: ignore[arg-type]
        wildcard = f"/{project}/*"
        assert wildcard in invalidated or set(paths) <= invalidated, key
    assert faulty.faults > 0 and redeliveries > 0
    print(
        f"seed {seed}: {faulty.calls} calls, {faulty.faults} faults, {redeliveries} "
        f"redeliveries, {len(edge.batches)} invalidations, {elapsed:.2f}s"
    )
