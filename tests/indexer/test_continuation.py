"""Time limits: an invocation whose time runs short starts no more projects (or file reads),
checkpoints what it learned, and hands the rest on in one continuation message instead of
failing its messages; the continuation finishes the index (docs/reliability.md)."""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, Any

import pytest
from distbuild import wheel
from eventjson import created, sqs_event
from index_checks import assert_index_matches_bucket, expected_state
from packaging.utils import NormalizedName
from storage_reads import files_of, put, root_names

from pyshelf.core import layout
from pyshelf.core.continuation import (
    Continuation,
    ContinuedProject,
    bodies,
    parse_continuation,
)
from pyshelf.core.events import messages_of
from pyshelf.core.facts_cache import FactsCache
from pyshelf.core.reindex_request import ReindexReport
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.deadline import Deadline
from pyshelf.storage import ObjectInfo
from pyshelf.storage.memory import MemoryStore

NAMES = ["p0", "p1", "p2", "p3", "p4", "p5"]
PLENTY, SHORT = 100.0, 5.0  # seconds left: more than any reserve, less than every reserve


class FakeClock:
    """Seconds left: PLENTY until `expire()`, then SHORT."""

    def __init__(self) -> None:
        self.left = PLENTY

    def __call__(self) -> float:
        return self.left

    def expire(self) -> None:
        self.left = SHORT


class TickingStore(MemoryStore):
    """The same objects as `inner`; the clock expires once `after` facts caches were written,
    or once `reads_before_expiry` distribution files were read. Reads are counted per key."""

    def __init__(
        self,
        inner: MemoryStore,
        clock: FakeClock,
        *,
        caches_before_expiry: int | None = None,
        reads_before_expiry: int | None = None,
    ) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.clock = clock
        self.caches_left = caches_before_expiry
        self.reads_left = reads_before_expiry
        self.reads: Counter[str] = Counter()

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        etag = super().put(key, body, **kwargs)
        if key.startswith(layout.PRIVATE_PREFIX + "projects/") and self.caches_left is not None:
            self.caches_left -= 1
            if self.caches_left == 0:
                self.clock.expire()
        return etag

    def download(self, key: str, into: IO[bytes], *, if_match: str | None) -> ObjectInfo:
        info = super().download(key, into, if_match=if_match)
        if isinstance(layout.classify(key), layout.DistributionKey):
            with self.contents.lock:
                self.reads[key] += 1
                if self.reads_left is not None:
                    self.reads_left -= 1
                    if self.reads_left == 0:
                        self.clock.expire()
        return info


def queued_event(sent: list[str]) -> dict[str, Any]:
    """An SQS batch of the sent continuation bodies (new messages: receive count 1)."""
    return sqs_event(*(json.loads(body) for body in sent))


def upload_projects(store: MemoryStore) -> dict[str, Any]:
    keys = [f"{name}/{name}-1.0-py3-none-any.whl" for name in NAMES]
    for key in keys:
        put(store, key, wheel(key.split("/")[0], "1.0"))
    return sqs_event(*(created(key) for key in keys))


@pytest.mark.parametrize("receive_count", [1, 2])
def test_projects_not_started_in_time_are_handed_on_once_and_finish(receive_count: int) -> None:
    """Time runs out after project k = 2: the other four are re-enqueued in one message, none
    of the six messages fails (so no receive is used up), and the continuation finishes."""
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    event = upload_projects(bucket)
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    store = TickingStore(bucket, clock, caches_before_expiry=2)
    sent: list[str] = []

    response = handle_event(event, store, deadline=Deadline(clock), requeue=sent.append)

    assert response == {"batchItemFailures": []}
    assert len(sent) == 1
    (message,) = messages_of(queued_event(sent))
    assert message.continuation is not None
    rows = message.continuation.projects
    handed = {p.name: p for p in rows if p.keys}
    assert sorted(handed) == NAMES[2:]
    assert all(p.listing == (receive_count > 1) for p in handed.values())
    assert all(p.keys == {f"{n}/{n}-1.0-py3-none-any.whl"} for n, p in handed.items())
    # the two indexed on the event path left their pages for people to a follow-up (a
    # redelivery takes the listing path, which writes them with the other pages)
    deferred = NAMES[:2] if receive_count == 1 else []
    assert sorted(p.name for p in rows if p.people and not p.keys) == deferred
    assert root_names(bucket) == NAMES[:2]  # the root follows what was done
    assert not any(
        key.startswith("p2/") and key.endswith(".json") for key in bucket.contents.objects
    )

    more: list[str] = []
    fresh = Deadline(FakeClock())
    assert handle_event(queued_event(sent), store, deadline=fresh, requeue=more.append) == {
        "batchItemFailures": []
    }
    if receive_count > 1:
        assert more == []
    else:
        (follow_up,) = messages_of(queued_event(more))  # the pages for people of the four
        assert follow_up.continuation is not None
        assert sorted(p.name for p in follow_up.continuation.projects if p.people) == NAMES[2:]
        assert handle_event(queued_event(more), store, requeue=more.append) == {
            "batchItemFailures": []
        }
        assert len(more) == 1  # a follow-up sends nothing further
    assert root_names(bucket) == NAMES
    for name in NAMES:
        assert set(files_of(bucket, name)) == {f"{name}-1.0-py3-none-any.whl"}
    assert all(count == 1 for count in store.reads.values()), store.reads
    assert len(store.reads) == len(NAMES)


def test_work_that_cannot_be_handed_on_fails_its_messages() -> None:
    """The partial batch response names only genuinely failed messages: here the ones whose
    continuation could not be sent (or with no queue to send it to)."""
    for requeue in (None, _refuse):
        bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
        event = upload_projects(bucket)
        store = TickingStore(bucket, clock, caches_before_expiry=2)
        response = handle_event(event, store, deadline=Deadline(clock), requeue=requeue)
        failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
        assert failed == [f"message-{i}" for i in range(2, len(NAMES))]


def _refuse(body: str) -> None:
    raise ConnectionResetError(104, "Connection reset by peer")


def test_the_first_project_always_starts() -> None:
    """A continuation makes progress even when it is received with little time left."""
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    event = upload_projects(bucket)
    clock.expire()
    sent: list[str] = []
    handle_event(event, bucket, deadline=Deadline(clock), requeue=sent.append)
    assert root_names(bucket) == NAMES[:1]
    (message,) = messages_of(queued_event(sent))
    assert message.continuation is not None
    assert [p.name for p in message.continuation.projects if p.keys] == NAMES[1:]


def test_a_big_first_index_is_checkpointed_and_continued_reading_each_file_once() -> None:
    """2,000 new files in one project, found by a listing (a redelivery): the clock expires after
    700 reads; what was read is in the facts cache and on the pages, one continuation lists the
    folder again, and the second run reads only the rest."""
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    count = 2000
    for i in range(count):
        put(bucket, f"big/big-1.{i}-py3-none-any.whl", wheel("big", f"1.{i}"))
    store = TickingStore(bucket, clock, reads_before_expiry=700)
    event = sqs_event(created("big/big-1.0-py3-none-any.whl"), receive_count=2)
    sent: list[str] = []

    assert handle_event(event, store, deadline=Deadline(clock), requeue=sent.append) == {
        "batchItemFailures": []
    }

    checkpoint = FactsCache.loads(bucket.contents.objects["_pyshelf/projects/big.json"].body)
    assert 700 <= len(checkpoint.files) < count  # reads in flight when it expired ended
    assert len(checkpoint.files) == sum(store.reads.values())
    assert len(files_of(bucket, "big")) == len(checkpoint.files)  # the pages follow it
    assert root_names(bucket) == ["big"]
    (message,) = messages_of(queued_event(sent))
    assert message.continuation == Continuation(
        (
            ContinuedProject(
                NormalizedName("big"), frozenset({"big/big-1.0-py3-none-any.whl"}), listing=True
            ),
        )
    )

    more: list[str] = []
    fresh = Deadline(FakeClock())
    assert handle_event(queued_event(sent), store, deadline=fresh, requeue=more.append) == {
        "batchItemFailures": []
    }
    assert more == []
    assert len(store.reads) == count
    assert set(store.reads.values()) == {1}  # nothing read twice
    assert set(files_of(bucket, "big")) == set(expected_state(bucket)["big"])
    assert_metadata_exact(bucket, "big")


def test_the_hot_path_hands_on_the_keys_it_had_no_time_to_read() -> None:
    """Event keys whose files were not read in time are handed on as keys (no listing); the
    ones read are written, verified and on the pages."""
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    keys = [f"alpha/alpha-1.{i}-py3-none-any.whl" for i in range(40)]
    for key in keys:
        put(bucket, key, wheel("alpha", key.split("-")[1]))
    store = TickingStore(bucket, clock, reads_before_expiry=10)
    sent: list[str] = []
    event = sqs_event(*(created(key) for key in keys))

    assert handle_event(event, store, deadline=Deadline(clock), requeue=sent.append) == {
        "batchItemFailures": []
    }
    listed = len(files_of(bucket, "alpha"))
    (message,) = messages_of(queued_event(sent))
    assert message.continuation is not None
    (part,) = message.continuation.projects
    assert not part.listing
    assert len(part.keys) == len(keys) - listed
    assert 10 <= listed < len(keys)

    assert part.people  # the page for people, left by the part done, goes with the rest
    handle_event(queued_event(sent), store, deadline=Deadline(FakeClock()), requeue=sent.append)
    assert set(store.reads.values()) == {1} and len(store.reads) == len(keys)
    assert len(sent) == 1  # the continuation wrote the page for people itself
    assert_index_matches_bucket(bucket)


def assert_metadata_exact(store: MemoryStore, project: str) -> None:
    wheels = {
        k for k in store.contents.objects if k.startswith(f"{project}/") and k.endswith(".whl")
    }
    metadata = {k for k in store.contents.objects if k.endswith(".metadata")}
    assert metadata == {f"{key}.metadata" for key in wheels}


def test_continuations_round_trip_and_split_under_the_message_limit() -> None:
    keys = frozenset(f"big/big-1.{i}-py3-none-any.whl" for i in range(3000))
    project = ContinuedProject(
        NormalizedName("big"), keys, listing=True, gone=frozenset({"big-0.1.tar.gz"})
    )
    small = ContinuedProject(NormalizedName("alpha"), frozenset({"alpha/1.0.yank"}))
    sent = bodies([project, small], limit=20_000)
    assert len(sent) > 1
    assert all(len(body) <= 20_000 for body in sent)
    parts = [p for body in sent for p in parse_continuation(json.loads(body)).projects]
    assert frozenset().union(*(p.keys for p in parts if p.name == "big")) == keys
    assert [p.gone for p in parts if p.gone] == [project.gone]
    assert all(p.listing for p in parts if p.name == "big")
    assert small in parts


@pytest.mark.parametrize(
    "body",
    [
        {"pyshelf": "continue", "projects": []},
        {"pyshelf": "continue", "projects": [{"name": "Foo", "keys": []}]},
        {"pyshelf": "continue", "projects": [{"name": "foo", "keys": ["bar/bar-1.0.tar.gz"]}]},
        {"pyshelf": "continue", "projects": [{"name": "foo", "keys": ["foo/notes.txt"]}]},
        {"pyshelf": "continue", "projects": [{"name": "foo", "keys": "foo/foo-1.0.tar.gz"}]},
    ],
)
def test_a_malformed_continuation_is_logged_and_dropped(body: dict[str, Any]) -> None:
    (message,) = messages_of(sqs_event(body))
    assert message.problem and "continuation" in message.problem
    store = MemoryStore("pyshelf-test")
    assert handle_event(sqs_event(body), store) == {"batchItemFailures": []}
    assert not store.contents.objects


def reindex_message(body: dict[str, Any]) -> dict[str, Any]:
    return sqs_event(body)


def test_a_reindex_request_is_continued_after_the_last_project_done() -> None:
    """`pyshelf reindex --all` (or the scheduled reconcile) over six unindexed projects: the
    clock runs out after two; the same request goes back on the queue `after` the second, the
    rows done wait in the partial report, and the last part writes the whole report."""
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    upload_projects(bucket)
    store = TickingStore(bucket, clock, caches_before_expiry=2)
    request = {"pyshelf": "reindex", "request": "r-1", "projects": None}
    sent: list[str] = []

    assert handle_event(
        reindex_message(request), store, deadline=Deadline(clock), requeue=sent.append
    ) == {"batchItemFailures": []}

    assert [json.loads(body) for body in sent] == [{**request, "after": "p1"}]
    assert "_pyshelf/reindex/r-1.json" not in bucket.contents.objects
    partial = ReindexReport.loads(bucket.contents.objects["_pyshelf/reindex/r-1.partial.json"].body)
    assert [row.name for row in partial.projects] == NAMES[:2]

    more: list[str] = []
    fresh = Deadline(FakeClock())
    handle_event(queued_event(sent), store, deadline=fresh, requeue=more.append)
    assert more == []
    report = ReindexReport.loads(bucket.contents.objects["_pyshelf/reindex/r-1.json"].body)
    assert [(row.name, row.outcome, row.files) for row in report.projects] == [
        (name, "rebuilt", 1) for name in NAMES
    ]
    assert "_pyshelf/reindex/r-1.partial.json" not in bucket.contents.objects
    assert root_names(bucket) == NAMES
    assert set(store.reads.values()) == {1} and len(store.reads) == len(NAMES)


def test_a_reindex_of_a_big_project_is_checkpointed_and_continued() -> None:
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    for i in range(300):
        put(bucket, f"big/big-1.{i}-py3-none-any.whl", wheel("big", f"1.{i}"))
    store = TickingStore(bucket, clock, reads_before_expiry=100)
    request = {"pyshelf": "reindex", "request": "r-2", "projects": ["big"]}
    sent: list[str] = []
    handle_event(reindex_message(request), store, deadline=Deadline(clock), requeue=sent.append)
    assert [json.loads(body) for body in sent] == [request]  # nothing done: the same request
    assert 100 <= len(files_of(bucket, "big")) < 300

    handle_event(queued_event(sent), store, deadline=Deadline(FakeClock()))
    report = ReindexReport.loads(bucket.contents.objects["_pyshelf/reindex/r-2.json"].body)
    assert [(row.name, row.outcome, row.files) for row in report.projects] == [
        ("big", "rebuilt", 300)
    ]
    assert set(store.reads.values()) == {1} and len(store.reads) == 300


def test_a_page_for_people_left_by_an_unfinished_event_is_handed_on() -> None:
    """Time runs out after 10 reads: the cache was written and the page for people left; the
    continuation carries it, so it is written even when the rest turns out to be gone."""
    bucket, clock = MemoryStore("pyshelf-test"), FakeClock()
    keys = [f"alpha/alpha-1.{i}-py3-none-any.whl" for i in range(40)]
    for key in keys:
        put(bucket, key, wheel("alpha", key.split("-")[1]))
    store = TickingStore(bucket, clock, reads_before_expiry=10)
    sent: list[str] = []
    event = sqs_event(*(created(key) for key in keys))
    handle_event(event, store, deadline=Deadline(clock), requeue=sent.append)
    (message,) = messages_of(queued_event(sent))
    assert message.continuation is not None
    (part,) = message.continuation.projects
    assert part.people
    for key in part.keys:  # the files not read yet go before the continuation runs
        bucket.delete(key)
    assert handle_event(queued_event(sent), bucket, requeue=sent.append) == {
        "batchItemFailures": []
    }
    assert bucket.head(layout.human_page_key(NormalizedName("alpha"))) is not None
    assert_index_matches_bucket(bucket)
