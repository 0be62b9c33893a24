"""Race-freedom: after any interleaving of duplicated, reordered, concurrent events, every page
equals the bucket content (docs/race-freedom.md), and so does the private set
(docs/fallthrough.md)."""

from __future__ import annotations

import io
import os
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from distbuild import sdist, wheel
from eventjson import created, removed, sqs_event
from index_checks import (
    PROJECTS,
    assert_index_matches_bucket,
    assert_metadata_and_cache_exact,
    expected_state,
)
from kvs_contention import ContendedStore
from packaging.utils import canonicalize_name
from storage_reads import body, page, put

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core import layout
from pyshelf.core.inspection import wheel_metadata
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.regenerate import regenerate_project
from pyshelf.storage import Blob
from pyshelf.storage.memory import MemoryStore

# Seeded rounds of each threaded test: `make race` runs 20 (PYSHELF_RACE_SEEDS=20), `make test` 4.
ROUNDS = int(os.environ.get("PYSHELF_RACE_SEEDS", "4"))


class JitterStore(MemoryStore):
    """The same objects as `inner`, with a random pause before every request, so threads
    interleave."""

    def __init__(self, inner: MemoryStore, rng: random.Random) -> None:
        super().__init__(inner.bucket, inner.contents)
        self._rng = rng
        self._lock = threading.Lock()

    def _pause(self, stall_chance: float = 0.0) -> None:
        with self._lock:  # mostly short; sometimes a long stall, as a slow Lambda would
            stall = self._rng.random() < stall_chance
            delay = self._rng.uniform(0.3, 1.2) if stall else self._rng.random() * 0.002
        time.sleep(delay)

    def list(self, prefix: str) -> Iterator[Any]:
        self._pause()
        rows = list(super().list(prefix))
        self._pause(stall_chance=0.25)  # a stale listing held while others move on
        return iter(rows)

    def head(self, key: str) -> Any:
        self._pause()
        found = super().head(key)
        self._pause(stall_chance=0.05)  # a stale look held (the hot path's HEADs)
        return found

    def get(self, key: str) -> Any:
        self._pause()
        found = super().get(key)
        self._pause(stall_chance=0.05)  # a stale facts cache held
        return found

    def download(self, key: str, into: Any, *, if_match: str | None) -> Any:
        self._pause()
        return super().download(key, into, if_match=if_match)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self._pause()
        return super().put(key, body, **kwargs)

    def delete(self, key: str) -> None:
        self._pause()
        super().delete(key)


def random_change(rng: random.Random, store: MemoryStore, present: set[str]) -> dict[str, Any]:
    """Change the bucket like an uploader would and return the S3 notification for it."""
    project = rng.choice(PROJECTS)
    version = f"1.{rng.randrange(4)}"
    if rng.random() < 0.5:
        key, data = f"{project}/{project}-{version}-py3-none-any.whl", wheel(project, version)
    else:
        key, data = f"{project}/{project}-{version}.tar.gz", sdist(project, version)
    if key in present and rng.random() < 0.6:
        store.delete(key)
        present.discard(key)
        return removed(key)
    if rng.random() < 0.2:  # overwrite with different bytes (aws s3 cp can)
        data = wheel(project, version, f">={rng.randrange(6, 13)}") if key.endswith("whl") else data
    put(store, key, data)
    present.add(key)
    return created(key)


def assert_set_matches_bucket(store: MemoryStore, kvs: MemoryKeyValueStore) -> None:
    """Every project with files is live, every other one with a tombstone reserved."""
    with_files = set(expected_state(store))
    tombstones = {
        name
        for item in store.list(layout.TOMBSTONE_PREFIX)
        if (name := layout.project_of_tombstone(item.key))
    }
    expected = {f"project:{name}": "live" for name in with_files}
    expected |= {f"project:{name}": "reserved" for name in tombstones - with_files}
    assert kvs.list("project:") == expected


class Round:
    """Uploaders changing the bucket, and the notifications they leave for the invocations."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.present: set[str] = set()
        self.notifications: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def uploader(self, count: int, own_seed: int) -> None:
        own = random.Random(own_seed)
        for _ in range(count):
            with self.lock:
                note = random_change(own, self.store, self.present)
                self.notifications.append(note)
            time.sleep(own.random() * 0.25)  # keep changing while invocations run

    def emptier(self, uploads: list[Future[None]], project: str) -> None:
        """Once the uploads are over, add a file to `project`, wait until it is indexed, then
        delete every file of it at once."""
        for upload in uploads:
            upload.result()
        key = f"{project}/{project}-9.0.tar.gz"
        with self.lock:
            put(self.store, key, sdist(project, "9.0"))
            self.present.add(key)
            self.notifications.append(created(key))
        deadline = time.monotonic() + 20
        cache_key = layout.facts_cache_key(canonicalize_name(project))
        while not (self.store.get(cache_key) or Blob(b"", "")).body:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with self.lock:
            for gone in sorted(k for k in self.present if k.startswith(f"{project}/")):
                self.store.delete(gone)
                self.present.discard(gone)
                self.notifications.append(removed(gone))

    def take(self) -> list[dict[str, Any]]:
        with self.lock:
            taken = self.notifications[:]
            self.notifications.clear()
        return taken


def run_round(store: MemoryStore, seed: int, kvs: MemoryKeyValueStore | None = None) -> int:
    """Returns how many KeyValueStore writes lost a race. With a private set, the first project
    is indexed again once the uploads are over, then emptied at once (so it ends reserved)."""
    rng = random.Random(seed)
    jitter = JitterStore(store, random.Random(seed + 1))
    kvs_rng = random.Random(seed + 2)
    jitter_kvs = None if kvs is None else ContendedStore(kvs, kvs_rng, max_pause=0.01)
    project_set = None if jitter_kvs is None else ProjectSet(jitter_kvs)
    changes = Round(store)

    def worker(batch: list[dict[str, Any]]) -> dict[str, Any]:
        return handle_event(sqs_event(*batch), jitter, project_set)

    with ThreadPoolExecutor(max_workers=40) as pool:  # every batch starts at once
        uploads = [pool.submit(changes.uploader, 6, seed * 10 + i) for i in range(2)]
        if kvs is not None:
            uploads.append(pool.submit(changes.emptier, uploads[:], PROJECTS[0]))
        futures: list[Future[Any]] = []
        while not all(u.done() for u in uploads) or changes.notifications:
            taken = changes.take()
            if taken:
                deliveries = taken + rng.sample(taken, k=len(taken) // 2)  # duplicates
                rng.shuffle(deliveries)  # reordered
                for start in range(0, len(deliveries), 3):
                    futures.append(pool.submit(worker, deliveries[start : start + 3]))
            time.sleep(0.002)
        for future in [*uploads, *futures]:
            assert future.result() in (None, {"batchItemFailures": []})
    assert_index_matches_bucket(store)
    if kvs is None or jitter_kvs is None:
        return 0
    assert_set_matches_bucket(store, kvs)
    return jitter_kvs.conflicts


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_concurrent_interleaved_events_leave_an_exact_index(store: MemoryStore, seed: int) -> None:
    run_round(store, seed)


@pytest.mark.parametrize("seed", range(100, 100 + max(1, ROUNDS // 2)))
def test_concurrent_events_leave_an_exact_private_set(store: MemoryStore, seed: int) -> None:
    kvs = MemoryKeyValueStore({"token:abc": "{}"})
    conflicts = run_round(store, seed, kvs)
    assert kvs.get("token:abc") == "{}"
    assert kvs.get(f"project:{PROJECTS[0]}") == "reserved"
    print(f"seed {seed}: {conflicts} conflict(s)")


def test_stale_writer_cannot_leave_a_stale_page(store: MemoryStore) -> None:
    """The interleaving the conditional write alone cannot catch: A reads the page and lists the
    folder (with 2.0), learns 2.0's facts, and stalls before writing. 2.0 is deleted; B lists,
    finds the page already right and writes nothing. A's If-Match still holds, so its stale page
    lands, but A's second listing sees the change and A starts over: the final page is exact."""
    alpha = canonicalize_name("alpha")
    put(store, "alpha/alpha-1.0.tar.gz", sdist("alpha", "1.0"))
    regenerate_project(store, alpha)
    put(store, "alpha/alpha-2.0.tar.gz", sdist("alpha", "2.0"))

    stalled, resume = threading.Event(), threading.Event()
    a_store = StallBeforeFirstPut(store, stalled, resume)
    a = threading.Thread(target=regenerate_project, args=(a_store, alpha))
    a.start()
    assert stalled.wait(5)
    store.delete("alpha/alpha-2.0.tar.gz")
    assert regenerate_project(store, alpha).changed is False  # B: nothing to write
    resume.set()
    a.join(10)
    assert a_store.puts_landed >= 1  # A's stale write did land...
    assert a_store.lists >= 3  # ...and A listed, looked again, and started over
    files = [f["filename"] for f in page(store, "alpha/index.json")["files"]]
    assert files == ["alpha-1.0.tar.gz"]


def test_stale_metadata_from_a_slow_writer_is_repaired(store: MemoryStore) -> None:
    """A reads the old bytes of a wheel and stalls before writing its `.metadata`; the wheel is
    overwritten (new Requires-Python) and B indexes the new bytes. A's old `.metadata` then lands
    over B's. The facts cache records the ETag of the `.metadata` B wrote, so the mismatch shows in
    the listing and the `.metadata` is rebuilt from the new wheel."""
    alpha = canonicalize_name("alpha")
    key = "alpha/alpha-1.0-py3-none-any.whl"
    put(store, key, wheel("alpha", "1.0", ">=3.8"))

    stalled, resume = threading.Event(), threading.Event()
    a_store = StallBeforeFirstPut(store, stalled, resume)
    a = threading.Thread(target=regenerate_project, args=(a_store, alpha))
    a.start()
    assert stalled.wait(5)
    new = wheel("alpha", "1.0", ">=3.12")
    put(store, key, new)
    regenerate_project(store, alpha)  # B
    resume.set()
    a.join(10)
    assert a_store.first_put_key == key + ".metadata"  # A's stale write was the .metadata
    assert body(store, key + ".metadata") == wheel_metadata(io.BytesIO(new))
    entry = page(store, "alpha/index.json")["files"][0]
    assert entry["requires-python"] == ">=3.12"
    assert_metadata_and_cache_exact(store, "alpha", page(store, "alpha/index.json"))


class StallBeforeFirstPut(MemoryStore):
    def __init__(
        self, inner: MemoryStore, stalled: threading.Event, resume: threading.Event
    ) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.stalled, self.resume = stalled, resume
        self.lists = self.puts_landed = 0
        self.first_put_key = ""

    def list(self, prefix: str) -> Iterator[Any]:
        self.lists += 1
        return super().list(prefix)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        if not self.stalled.is_set():
            self.first_put_key = key
            self.stalled.set()
            self.resume.wait(5)
        etag = super().put(key, body, **kwargs)
        self.puts_landed += 1
        return etag


class StallAtHead(MemoryStore):
    """Stalls the first HEAD of `key` until `resume` is set."""

    def __init__(
        self, inner: MemoryStore, key: str, stalled: threading.Event, resume: threading.Event
    ) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.key, self.stalled, self.resume = key, stalled, resume

    def head(self, key: str) -> Any:
        found = super().head(key)
        if key == self.key and not self.stalled.is_set():
            self.stalled.set()
            self.resume.wait(5)
        return found


def test_a_stale_retirement_is_followed_by_the_cache(store: MemoryStore) -> None:
    """A handles the removal of alpha's only file before it was indexed: it reads no cache and
    finds the file gone, then stalls. B indexes a new upload: alpha joins the set (live) and its
    cache gets the file. A resumes, finds the name in the set without a tombstone, and retires
    it (reserved), though alpha has a file: A's look at the cache after its write to the set
    puts it back to live."""
    kvs = MemoryKeyValueStore()
    project_set = ProjectSet(kvs)
    gone, added = "alpha/alpha-1.0.tar.gz", "alpha/alpha-2.0.tar.gz"
    stalled, resume = threading.Event(), threading.Event()
    a_store = StallAtHead(store, gone, stalled, resume)
    a_event = sqs_event(removed(gone))
    with ThreadPoolExecutor(max_workers=1) as pool:
        a = pool.submit(handle_event, a_event, a_store, project_set)
        assert stalled.wait(5)
        put(store, added, sdist("alpha", "2.0"))
        assert handle_event(sqs_event(created(added)), store, project_set) == {
            "batchItemFailures": []
        }
        assert kvs.get("project:alpha") == "live"
        resume.set()
        assert a.result(10) == {"batchItemFailures": []}
    assert kvs.get("project:alpha") == "live"
    assert_index_matches_bucket(store)
    assert_set_matches_bucket(store, kvs)
