"""The S3 requests of one event, counted in S3's units on the handler's store (issue 11: "0 LIST,
at most 16 requests"); bench/requests_per_event.py measures the same up to N = 50,000."""

from __future__ import annotations

import pytest
from counting_store import CountingStore, Requests, by_kind
from distbuild import wheel
from eventjson import created, sqs_event
from packaging.utils import canonicalize_name
from storage_reads import files_of, put, sha256

from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.invalidation import RecordingInvalidator
from pyshelf.indexer.regenerate import regenerate_project, regenerate_root
from pyshelf.storage.memory import MemoryStore

N = 1200  # more files than one LIST page holds, with their `.metadata`: 3 pages of `big/`
MAX_REQUESTS = 16
WRITES = ("PUT", "MULTIPART", "COPY", "DELETE")


@pytest.fixture(scope="module")
def grown() -> MemoryStore:
    """A project `big` of N wheels, indexed from a listing as a batch would."""
    store = MemoryStore("pyshelf-test")
    for i in range(N):
        put(store, f"big/big-1.{i}-py3-none-any.whl", wheel("big", f"1.{i}"))
    regenerate_project(store, canonicalize_name("big"))
    regenerate_root(store)
    return store


def counted(grown: MemoryStore) -> tuple[MemoryStore, CountingStore]:
    """A copy of the grown bucket (each test changes it) and the handler's counting store."""
    store = MemoryStore(grown.bucket)
    store.contents.objects.update(grown.contents.objects)
    return store, CountingStore(store, Requests())


def test_an_added_file_costs_no_list_and_at_most_16_requests(grown: MemoryStore) -> None:
    store, counting = counted(grown)
    data = wheel("big", "2.0")
    put(store, "big/big-2.0-py3-none-any.whl", data)
    event = sqs_event(created("big/big-2.0-py3-none-any.whl"))
    assert handle_event(event, counting) == {"batchItemFailures": []}
    calls = counting.requests.take()
    kinds = by_kind(calls)
    assert kinds["LIST"] == 0, calls
    assert len(calls) <= MAX_REQUESTS, kinds
    files = files_of(store, "big")
    assert len(files) == N + 1
    assert files["big-2.0-py3-none-any.whl"]["hashes"]["sha256"] == sha256(data)
    reads = [c.key for c in calls if c.kind == "GET" and c.key.endswith(".whl")]
    assert reads == ["big/big-2.0-py3-none-any.whl"]  # no other file read again
    # the pages are written whole: bytes out grow with N, requests do not
    assert sum(c.sent for c in calls) > N * 500


def test_with_edge_invalidation_as_deployed_still_no_list_and_at_most_16(
    grown: MemoryStore,
) -> None:
    """The stack always sets DISTRIBUTION_ID: what to invalidate comes from the cache writes
    the event makes anyway, so invalidation costs no request (docs/deploy.md)."""
    store, counting = counted(grown)
    put(store, "big/big-2.0-py3-none-any.whl", wheel("big", "2.0"))
    event = sqs_event(created("big/big-2.0-py3-none-any.whl"))
    edge = RecordingInvalidator()
    assert handle_event(event, counting, None, edge) == {"batchItemFailures": []}
    calls = counting.requests.take()
    assert by_kind(calls)["LIST"] == 0, calls
    assert len(calls) <= MAX_REQUESTS, by_kind(calls)
    put(store, "big/big-3.0-py3-none-any.whl", wheel("big", "3.0"))
    assert handle_event(sqs_event(created("big/big-3.0-py3-none-any.whl")), counting) == {
        "batchItemFailures": []
    }
    assert len(counting.requests.take()) == len(calls)  # the same requests as without it
    assert "big-2.0-py3-none-any.whl" in files_of(store, "big")
    assert edge.batches == []  # a new file: nothing to invalidate


def test_a_duplicate_notification_lists_and_writes_nothing(grown: MemoryStore) -> None:
    _store, counting = counted(grown)
    event = sqs_event(created("big/big-1.7-py3-none-any.whl"))
    assert handle_event(event, counting) == {"batchItemFailures": []}
    kinds = by_kind(counting.requests.take())
    assert kinds["LIST"] == 0
    assert not any(kinds[kind] for kind in WRITES), kinds


def test_a_redelivery_takes_the_listing_in_pages_of_1000(grown: MemoryStore) -> None:
    """The counter's LIST is S3's: `big/` holds 2N + 3 keys (files, `.metadata`, 3 pages)."""
    _store, counting = counted(grown)
    event = sqs_event(created("big/big-1.7-py3-none-any.whl"), receive_count=2)
    assert handle_event(event, counting) == {"batchItemFailures": []}
    lists = [c.key for c in counting.requests.take() if c.kind == "LIST"]
    assert lists.count("big/*") == -(-(2 * N + 3) // 1000)
