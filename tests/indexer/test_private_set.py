"""The indexer keeps the private set (docs/fallthrough.md) exact: a project joins before its
first page, stays reserved when its last file goes, leaves only on `release-name`, and reindex
rebuilds the set from the bucket. On the memory stores (S3 and KeyValueStore)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from distbuild import sdist, wheel
from eventjson import created, removed, sqs_event
from packaging.utils import canonicalize_name
from storage_reads import RecordingStore, body, files_of, keys_in, put, root_names

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.access.store import ETagMismatch, KeyValueStore
from pyshelf.core import layout
from pyshelf.core.reindex_request import ReindexRequest, report_key
from pyshelf.core.release_request import ReleaseReport, ReleaseRequest
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.private_set import rebuild_set
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.regenerate import regenerate_project, reindex
from pyshelf.storage.memory import MemoryStore

FOO = "foo/foo-1.0.tar.gz"
BAR = "bar/bar-1.0-py3-none-any.whl"
EMPTY_CACHE = "_pyshelf/projects/foo.json"
# the root lists no project; the human root beside it, with its shared files and the summaries
ROOT_PAGES: tuple[str, ...] = ("index.html", "index.json", "index.json.gz", "-/index.html")
ROOT_PAGES += ("-/404.html", "-/pyshelf.css", "-/pyshelf.js", "_pyshelf/summaries.json")


class RecordingKVS:
    """A KeyValueStore that records its requests into `calls` (shared with a RecordingStore,
    so the order of S3 and KeyValueStore writes can be read off one list)."""

    def __init__(self, inner: KeyValueStore, calls: list[str]) -> None:
        self.inner = inner
        self.calls = calls

    def etag(self) -> str:
        self.calls.append("kvs etag")
        return self.inner.etag()

    def get(self, key: str) -> str | None:
        self.calls.append(f"kvs get {key}")
        return self.inner.get(key)

    def list(self, prefix: str = "") -> dict[str, str]:
        self.calls.append(f"kvs list {prefix}")
        return self.inner.list(prefix)

    def put(self, key: str, value: str, *, if_match: str) -> str:
        self.calls.append(f"kvs put {key}={value}")
        return self.inner.put(key, value, if_match=if_match)

    def delete(self, key: str, *, if_match: str) -> str:
        self.calls.append(f"kvs delete {key}")
        return self.inner.delete(key, if_match=if_match)

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        deleted = list(deletes)
        changes = [f"{k}={v}" for k, v in puts.items()] + [f"-{k}" for k in deleted]
        self.calls.append(f"kvs update {' '.join(changes)}")
        return self.inner.update(puts=puts, deletes=deleted, if_match=if_match)


def kvs_set(kvs: KeyValueStore) -> ProjectSet:
    return ProjectSet(kvs, sleep=lambda _: None)


def writes(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith(("put", "delete", "copy", "kvs update"))]


def upload(store: MemoryStore, kvs: KeyValueStore, key: str, data: bytes) -> dict[str, Any]:
    put(store, key, data)
    return handle_event(sqs_event(created(key)), store, kvs_set(kvs))


def delete(store: MemoryStore, kvs: KeyValueStore, key: str) -> dict[str, Any]:
    store.delete(key)
    return handle_event(sqs_event(removed(key)), store, kvs_set(kvs))


def request(body: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = sqs_event({})
    event["Records"][0]["body"] = json.dumps(body)
    return event


def release(store: MemoryStore, kvs: KeyValueStore | None, name: str) -> str:
    message = ReleaseRequest("rel-1", canonicalize_name(name)).dumps()
    project_set = None if kvs is None else kvs_set(kvs)
    assert handle_event(request(json.loads(message)), store, project_set) == {
        "batchItemFailures": []
    }
    blob = store.get(report_key("rel-1"))
    assert blob is not None
    report = ReleaseReport.loads(blob.body)
    assert (report.request_id, report.project) == ("rel-1", canonicalize_name(name))
    return report.outcome


def test_a_new_project_joins_the_set_before_anything_is_written(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore({"token:abc": "{}"})
    put(store, BAR, wheel("bar", "1.0"))
    recording = RecordingStore(store)
    recorder = RecordingKVS(kvs, recording.calls)
    assert handle_event(sqs_event(created(BAR)), recording, kvs_set(recorder)) == {
        "batchItemFailures": []
    }
    written = writes(recording.calls)
    assert written[0] == "kvs update project:bar=live"
    assert (
        "put bar/index.html" in written and "put bar/bar-1.0-py3-none-any.whl.metadata" in written
    )
    assert kvs.list() == {"project:bar": "live", "token:abc": "{}"}
    assert root_names(store) == ["bar"]


def test_an_event_on_a_project_in_the_root_makes_no_store_request(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    put(store, "foo/foo-2.0.tar.gz", sdist("foo", "2.0"))
    recorder = RecordingKVS(kvs, [])
    handle_event(sqs_event(created("foo/foo-2.0.tar.gz")), store, kvs_set(recorder))
    assert recorder.calls == []
    assert set(files_of(store, "foo")) == {"foo-1.0.tar.gz", "foo-2.0.tar.gz"}


def test_the_last_file_deleted_leaves_a_tombstone_and_a_reserved_name(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    upload(store, kvs, BAR, wheel("bar", "1.0"))
    recording = RecordingStore(store)
    store.delete(FOO)
    handle_event(sqs_event(removed(FOO)), recording, kvs_set(RecordingKVS(kvs, recording.calls)))
    assert writes(recording.calls) == [
        "put _pyshelf/tombstones/foo",
        "kvs update project:foo=reserved",
        "put _pyshelf/projects/foo.json",  # zero bytes: no files (never deleted)
        "delete foo/index.html",
        "delete foo/index.json.gz",
        "delete foo/index.json",
        "delete -/project/foo/index.html",
        "put _pyshelf/summaries.json",
        "put index.html",
        "put index.json.gz",
        "put index.json",
        "put -/index.html",
    ]
    assert kvs.list() == {"project:bar": "live", "project:foo": "reserved"}
    assert root_names(store) == ["bar"]
    tombstone = store.head("_pyshelf/tombstones/foo")
    assert tombstone is not None
    assert layout.headers_of("_pyshelf/tombstones/foo") == ("text/plain; charset=utf-8", "no-store")


def test_a_tombstone_is_written_without_a_set_too(store: MemoryStore) -> None:
    """So that an index which turns fall-through on later reserves the names it once had."""
    put(store, FOO, sdist("foo", "1.0"))
    handle_event(sqs_event(created(FOO)), store)
    store.delete(FOO)
    handle_event(sqs_event(removed(FOO)), store)
    assert keys_in(store) == {EMPTY_CACHE, "_pyshelf/tombstones/foo", *ROOT_PAGES}
    assert body(store, EMPTY_CACHE) == b""


def test_a_re_upload_makes_the_name_live_again(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    delete(store, kvs, FOO)
    assert kvs.list() == {"project:foo": "reserved"}
    upload(store, kvs, "foo/foo-2.0.tar.gz", sdist("foo", "2.0"))
    assert kvs.list() == {"project:foo": "live"}
    assert root_names(store) == ["foo"]


def test_release_is_refused_while_the_project_has_files(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    assert release(store, kvs, "Foo") == "has-files"
    assert kvs.list() == {"project:foo": "live"}


def test_release_is_refused_for_files_the_indexer_has_not_seen_yet(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    delete(store, kvs, FOO)
    put(store, "foo/foo-3.0.tar.gz", sdist("foo", "3.0"))  # its event is still queued
    assert release(store, kvs, "foo") == "has-files"
    assert kvs.list() == {"project:foo": "reserved"}
    assert "_pyshelf/tombstones/foo" in keys_in(store)


def test_release_frees_a_name_without_files(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    upload(store, kvs, BAR, wheel("bar", "1.0"))
    delete(store, kvs, FOO)
    assert release(store, kvs, "foo") == "released"
    assert kvs.list() == {"project:bar": "live"}
    assert not keys_in(store, layout.TOMBSTONE_PREFIX)
    assert release(store, kvs, "foo") == "not-reserved"


def test_release_without_a_set_removes_the_tombstone(store: MemoryStore) -> None:
    put(store, FOO, sdist("foo", "1.0"))
    handle_event(sqs_event(created(FOO)), store)
    store.delete(FOO)
    handle_event(sqs_event(removed(FOO)), store)
    assert release(store, None, "foo") == "released"
    assert not keys_in(store, layout.TOMBSTONE_PREFIX)


@pytest.mark.parametrize(
    "body",
    [
        {"pyshelf": "release-name", "request": "../x", "project": "foo"},  # not a filesystem path
        {"pyshelf": "release-name", "request": "ok", "project": None},
        {"pyshelf": "release-name", "request": "ok", "project": ["foo"]},
        {"pyshelf": "release-name", "request": "ok", "project": "not a name!"},
        {"pyshelf": "release-name", "request": "ok"},
    ],
)
def test_a_malformed_release_request_is_logged_and_dropped(
    store: MemoryStore, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    kvs = MemoryKeyValueStore({"project:foo": "reserved"})
    with caplog.at_level(logging.ERROR):
        assert handle_event(request(body), store, kvs_set(kvs)) == {"batchItemFailures": []}
    assert "unreadable message body" in caplog.text
    assert not keys_in(store)
    assert kvs.list() == {"project:foo": "reserved"}


def stale_bucket_and_set(store: MemoryStore) -> MemoryKeyValueStore:
    """foo and bar have files (bar never made it into the set), old has only a tombstone;
    gone has a key and nothing else, and one key is not a normalized name."""
    put(store, FOO, sdist("foo", "1.0"))
    put(store, BAR, wheel("bar", "1.0"))
    put(store, "_pyshelf/tombstones/old", b"")
    return MemoryKeyValueStore(
        {
            "project:foo": "reserved",
            "project:gone": "live",
            "project:Bad_Name": "live",
            "token:abc": "{}",
        }
    )


def test_reindex_all_rebuilds_an_exact_set(store: MemoryStore) -> None:
    kvs = stale_bucket_and_set(store)
    reindex(store, project_set=kvs_set(kvs))
    assert kvs.list() == {
        "project:bar": "live",
        "project:foo": "live",
        "project:old": "reserved",
        "token:abc": "{}",
    }
    assert root_names(store) == ["bar", "foo"]


def test_a_reindex_request_for_everything_rebuilds_the_set(store: MemoryStore) -> None:
    kvs = stale_bucket_and_set(store)
    body = json.loads(ReindexRequest("all-1", None).dumps())
    assert handle_event(request(body), store, kvs_set(kvs)) == {"batchItemFailures": []}
    assert kvs.list() == {
        "project:bar": "live",
        "project:foo": "live",
        "project:old": "reserved",
        "token:abc": "{}",
    }


def test_a_named_reindex_fixes_only_the_named_keys(store: MemoryStore) -> None:
    kvs = stale_bucket_and_set(store)
    names = (canonicalize_name("foo"), canonicalize_name("gone"), canonicalize_name("old"))
    body = json.loads(ReindexRequest("some-1", names).dumps())
    assert handle_event(request(body), store, kvs_set(kvs)) == {"batchItemFailures": []}
    assert kvs.list() == {
        "project:Bad_Name": "live",
        "project:foo": "live",
        "project:old": "reserved",
        "token:abc": "{}",
    }


def test_the_rebuild_keeps_a_name_being_indexed_right_now(store: MemoryStore) -> None:
    """A concurrent invocation added `new` (its files are uploaded) but has not written its
    facts cache yet: the rebuild must not remove it, or its pages would fall through."""
    put(store, "new/new-1.0.tar.gz", sdist("new", "1.0"))
    kvs = MemoryKeyValueStore({"project:new": "live", "project:gone": "live"})
    assert rebuild_set(store, kvs_set(kvs)) == 1
    assert kvs.list() == {"project:new": "live"}


class AlwaysBehind:
    """A store another writer always changes between the ETag read and the write."""

    def __init__(self, inner: MemoryKeyValueStore) -> None:
        self.inner = inner
        self.updates = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        self.updates += 1
        raise ETagMismatch("someone else wrote first")


def test_a_project_the_set_cannot_take_is_not_published(store: MemoryStore) -> None:
    """If the set cannot be written, no page may appear (it would fall through): the message
    is retried and nothing is written."""
    kvs = AlwaysBehind(MemoryKeyValueStore())
    put(store, FOO, sdist("foo", "1.0"))
    project_set = ProjectSet(kvs, attempts=3, sleep=lambda _: None)
    assert handle_event(sqs_event(created(FOO)), store, project_set) == {
        "batchItemFailures": [{"itemIdentifier": "message-0"}]
    }
    assert kvs.updates == 3
    assert keys_in(store) == {FOO}


def test_a_name_that_joined_but_lost_its_files_unpublished_is_reserved(
    store: MemoryStore,
) -> None:
    """An invocation added foo, then died before foo's facts cache; foo's file is deleted
    meanwhile. The retry finds neither files nor facts cache, but the set holds foo (its pages
    may have been seen): foo is reserved, with a tombstone."""
    kvs = MemoryKeyValueStore({"project:foo": "live"})
    handle_event(sqs_event(removed(FOO)), store, kvs_set(kvs))
    assert kvs.list() == {"project:foo": "reserved"}
    assert keys_in(store, layout.TOMBSTONE_PREFIX) == {"_pyshelf/tombstones/foo"}


def test_an_event_for_a_name_never_private_reads_one_key_and_writes_nothing(
    store: MemoryStore,
) -> None:
    recorder = RecordingKVS(MemoryKeyValueStore(), [])
    handle_event(sqs_event(removed(FOO)), store, kvs_set(recorder))
    assert recorder.calls == ["kvs get project:foo"]
    assert not keys_in(store)


def test_events_after_a_project_was_retired_make_no_store_request(store: MemoryStore) -> None:
    kvs = MemoryKeyValueStore()
    upload(store, kvs, FOO, sdist("foo", "1.0"))
    delete(store, kvs, FOO)
    recorder = RecordingKVS(kvs, [])
    handle_event(sqs_event(removed("foo/foo-0.9.tar.gz")), store, kvs_set(recorder))
    assert recorder.calls == []


class StaleFirstLook(MemoryStore):
    """The live objects of `inner`, except that the first read of each of `keys` (and the first
    listing of `folder`) answers what was there when this store was made: an invocation whose
    first look was taken long before it acted."""

    def __init__(self, inner: MemoryStore, keys: Iterable[str], folder: str) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.stale_reads = {key: inner.get(key) for key in keys}
        self.stale_listing = (folder, list(inner.list(folder)))

    def get(self, key: str) -> Any:
        if key in self.stale_reads:
            return self.stale_reads.pop(key)
        return super().get(key)

    def head(self, key: str) -> Any:
        if key in self.stale_reads:
            blob = self.stale_reads.pop(key)
            return None if blob is None else super().head(key)
        return super().head(key)

    def list(self, prefix: str) -> Any:
        folder, rows = self.stale_listing
        if prefix == folder and rows is not None:
            self.stale_listing = (folder, None)  # type: ignore[assignment]
            return iter(rows)
        return super().list(prefix)


def test_a_stale_invocation_that_added_a_retired_name_retires_it_again(
    store: MemoryStore,
) -> None:
    """B looks at foo before its first page (no facts cache, one file) and stalls. foo is
    published, its file deleted and foo retired. B wakes up and adds foo (live again), then
    fails to read the file and starts over: it finds no file, no facts cache and a tombstone,
    and must retire the name it added, or foo would stay live with nothing behind it."""
    kvs = MemoryKeyValueStore()
    put(store, FOO, sdist("foo", "1.0"))
    b_view = StaleFirstLook(
        store,
        [
            layout.facts_cache_key(canonicalize_name("foo")),
            *layout.page_keys(canonicalize_name("foo")),
        ],
        "foo/",
    )
    handle_event(sqs_event(created(FOO)), store, kvs_set(kvs))  # published
    delete(store, kvs, FOO)  # retired
    assert kvs.list() == {"project:foo": "reserved"}
    regenerate_project(b_view, canonicalize_name("foo"), project_set=kvs_set(kvs))
    assert kvs.list() == {"project:foo": "reserved"}
    assert keys_in(store) == {EMPTY_CACHE, "_pyshelf/tombstones/foo", *ROOT_PAGES}
    assert body(store, EMPTY_CACHE) == b""
