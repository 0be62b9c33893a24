"""Race-freedom: after any interleaving of duplicated, reordered, concurrent events, every page
equals the bucket content (docs/race-freedom.md)."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pypi_simple
import pytest
from distbuild import sdist, wheel
from eventjson import created, removed, sqs_event
from packaging.utils import canonicalize_name
from storage_reads import body, keys_in, page, put, sha256

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.core.inspection import wheel_metadata
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.regenerate import regenerate_project
from pyshelf.storage.memory import MemoryStore

ROUNDS = 12
PROJECTS = ["alpha", "beta", "gamma"]


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
        return super().head(key)

    def get(self, key: str) -> Any:
        self._pause()
        return super().get(key)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self._pause()
        return super().put(key, body, **kwargs)

    def delete(self, key: str) -> None:
        self._pause()
        super().delete(key)


def expected_state(store: MemoryStore) -> dict[str, dict[str, str]]:
    """project -> {filename: sha256} from the bucket's real content."""
    state: dict[str, dict[str, str]] = {}
    for item in store.list(""):
        info = layout.classify(item.key)
        if isinstance(info, layout.DistributionKey) and info.filed:
            name = item.key.split("/", 1)[1]
            state.setdefault(str(info.project), {})[name] = sha256(body(store, item.key))
    return state


def assert_index_matches_bucket(store: MemoryStore) -> None:
    state = expected_state(store)
    listed = [p["name"] for p in page(store, "index.json")["projects"]] if state else []
    assert listed == sorted(state)
    if state:
        html_root = pypi_simple.IndexPage.from_html(body(store, "index.html"))
        assert html_root.projects == sorted(state)
    for project in PROJECTS:
        if project not in state:
            assert not ({f"{project}/index.html", f"{project}/index.json"} & keys_in(store))
            assert layout.facts_cache_key(canonicalize_name(project)) not in keys_in(store)
            continue
        files = {
            f["filename"]: f["hashes"]["sha256"]
            for f in page(store, f"{project}/index.json")["files"]
        }
        assert files == state[project], project
        html = pypi_simple.ProjectPage.from_html(project, body(store, f"{project}/index.html"))
        assert {p.filename: p.digests["sha256"] for p in html.packages} == state[project]
        assert_metadata_and_cache_exact(store, project, page(store, f"{project}/index.json"))


def assert_metadata_and_cache_exact(
    store: MemoryStore, project: str, index: dict[str, Any]
) -> None:
    """Every `.metadata` is its wheel's METADATA byte for byte, with the hash the page gives, and
    the facts cache agrees with the page."""
    files = {f["filename"]: f for f in index["files"]}
    wanted = {f"{project}/{name}.metadata" for name in files if name.endswith(".whl")}
    present = {k for k in keys_in(store, f"{project}/") if k.endswith(".metadata")}
    assert present == wanted
    for key in present:
        wheel_bytes = body(store, key[: -len(".metadata")])
        expected = wheel_metadata(io.BytesIO(wheel_bytes))
        assert body(store, key) == expected, key
        entry = files[key.rsplit("/", 1)[1][: -len(".metadata")]]
        assert entry["core-metadata"] == {"sha256": sha256(expected)}
    cache = FactsCache.loads(body(store, layout.facts_cache_key(canonicalize_name(project))))
    assert {name: facts.sha256 for name, facts in cache.files.items()} == {
        name: f["hashes"]["sha256"] for name, f in files.items()
    }


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


def run_round(store: MemoryStore, seed: int) -> None:
    rng = random.Random(seed)
    jitter = JitterStore(store, random.Random(seed + 1))
    present: set[str] = set()
    notifications: list[dict[str, Any]] = []
    lock = threading.Lock()

    def uploader(count: int, own_seed: int) -> None:
        own = random.Random(own_seed)
        for _ in range(count):
            with lock:
                note = random_change(own, store, present)
                notifications.append(note)
            time.sleep(own.random() * 0.25)  # keep changing while invocations run

    def worker(batch: list[dict[str, Any]]) -> dict[str, Any]:
        return handle_event(sqs_event(*batch), jitter)

    with ThreadPoolExecutor(max_workers=40) as pool:  # every batch starts at once
        uploads = [pool.submit(uploader, 6, seed * 10 + i) for i in range(2)]
        futures = []
        while not all(u.done() for u in uploads) or notifications:
            with lock:
                taken = notifications[:]
                notifications.clear()
            if taken:
                deliveries = taken + rng.sample(taken, k=len(taken) // 2)  # duplicates
                rng.shuffle(deliveries)  # reordered
                for start in range(0, len(deliveries), 3):
                    futures.append(pool.submit(worker, deliveries[start : start + 3]))
            time.sleep(0.002)
        for future in futures:
            assert future.result() == {"batchItemFailures": []}
    assert_index_matches_bucket(store)


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_concurrent_interleaved_events_leave_an_exact_index(store: MemoryStore, seed: int) -> None:
    run_round(store, seed)


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
