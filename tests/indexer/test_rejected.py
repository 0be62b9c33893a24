"""Files the inspection rejects are not listed, and are read once per ETag; yank reasons are
bounded."""

from __future__ import annotations

import functools
import logging

import pytest
from distbuild import sdist, wheel
from eventjson import BUCKET, created, sqs_event
from packaging.utils import canonicalize_name
from storage_reads import RecordingStore, body, files_of, keys_in, put, root_names

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.core.inspection import Limits, inspect
from pyshelf.indexer import file_facts
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.regenerate import reindex
from pyshelf.storage.memory import MemoryStore

GOOD = "foo/foo-1.0.tar.gz"
WHEEL = "foo/foo-2.0-py3-none-any.whl"
SDIST = "foo/foo-2.0.tar.gz"
FOO = canonicalize_name("foo")
RANDOM_500 = bytes((i * 97 + 13) % 256 for i in range(500))

REJECTED = {
    "500 random bytes named .whl": (WHEEL, RANDOM_500),
    "0-byte .tar.gz": (SDIST, b""),
    "truncated wheel": (WHEEL, wheel("foo", "2.0")[:-100]),
}


def _store_with_good() -> MemoryStore:
    store = MemoryStore(BUCKET)
    put(store, GOOD, sdist("foo", "1.0"))
    assert handle_event(sqs_event(created(GOOD)), store) == {"batchItemFailures": []}
    return store


def _cache(store: MemoryStore) -> FactsCache:
    return FactsCache.loads(body(store, layout.facts_cache_key(FOO)))


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_rejected_file_is_not_listed(case: str, caplog: pytest.LogCaptureFixture) -> None:
    key, data = REJECTED[case]
    store = _store_with_good()
    put(store, key, data)
    put(store, "bar/bar-1.0.tar.gz", sdist("bar", "1.0"))
    caplog.set_level(logging.WARNING)
    event = sqs_event(created(key, "bar/bar-1.0.tar.gz"))
    assert handle_event(event, store) == {"batchItemFailures": []}
    assert set(files_of(store, "foo")) == {"foo-1.0.tar.gz"}
    name = key.rsplit("/", 1)[1]
    assert name.encode() not in body(store, "foo/index.html")
    assert name.encode() not in body(store, "foo/index.json")
    assert f"{key}.metadata" not in keys_in(store)
    assert [r.message for r in caplog.records if name in r.message] == [
        f"{key}: not listed: {_cache(store).files[name].facts.rejected}"
    ]
    assert set(files_of(store, "bar")) == {"bar-1.0.tar.gz"}  # the batch's others
    assert root_names(store) == ["bar", "foo"]


def test_the_rejected_outcome_is_remembered_not_read_again() -> None:
    store = _store_with_good()
    put(store, WHEEL, RANDOM_500)
    handle_event(sqs_event(created(WHEEL)), store)
    recording = RecordingStore(store)
    handle_event(sqs_event(created(WHEEL)), recording)  # a later event, same ETag
    handle_event(sqs_event(created(WHEEL), receive_count=2), recording)  # a redelivery
    reindex(recording, [FOO])  # a listing
    assert [c for c in recording.calls if c.startswith("download")] == []
    assert set(files_of(store, "foo")) == {"foo-1.0.tar.gz"}


def test_a_good_upload_over_a_rejected_file_is_listed() -> None:
    store = _store_with_good()
    put(store, WHEEL, RANDOM_500)
    handle_event(sqs_event(created(WHEEL)), store)
    put(store, WHEEL, wheel("foo", "2.0"))
    recording = RecordingStore(store)
    handle_event(sqs_event(created(WHEEL)), recording)
    assert recording.calls.count(f"download {WHEEL}") == 1
    assert set(files_of(store, "foo")) == {"foo-1.0.tar.gz", "foo-2.0-py3-none-any.whl"}
    assert f"{WHEEL}.metadata" in keys_in(store)
    assert _cache(store).files["foo-2.0-py3-none-any.whl"].facts.rejected is None


def test_a_project_of_rejected_files_alone_has_no_pages_and_is_not_in_the_root() -> None:
    store = _store_with_good()
    put(store, "bar/bar-1.0.tar.gz", b"")
    handle_event(sqs_event(created("bar/bar-1.0.tar.gz")), store)
    assert root_names(store) == ["foo"]
    assert not keys_in(store, "bar/index")


def test_a_limited_file_is_listed_without_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with_good()
    limited = functools.partial(inspect, limits=Limits(members=1))
    monkeypatch.setattr(file_facts, "inspect", limited)
    put(store, WHEEL, wheel("foo", "2.0", ">=3.9"))
    handle_event(sqs_event(created(WHEEL)), store)
    listed = files_of(store, "foo")["foo-2.0-py3-none-any.whl"]
    assert listed.get("core-metadata", False) is False and "requires-python" not in listed
    assert b"data-core-metadata" not in body(store, "foo/index.html")
    assert f"{WHEEL}.metadata" not in keys_in(store)


@pytest.mark.parametrize("path", ["event", "listing"])
def test_a_huge_yank_record_gives_a_bounded_reason(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store_with_good()
    put(store, "foo/1.0.yank", "é".encode() * (2 * 1024 * 1024))  # 4 MiB
    caplog.set_level(logging.WARNING)
    if path == "event":
        handle_event(sqs_event(created("foo/1.0.yank")), store)
    else:
        reindex(store, [FOO])
    reason = files_of(store, "foo")["foo-1.0.tar.gz"]["yanked"]
    assert reason == "é" * (file_facts.MAX_YANK_BYTES // 2)
    assert len(body(store, "foo/index.html")) < 4096
    assert "foo/1.0.yank: yank reason cut to its first 1024 bytes" in caplog.messages


def test_a_yank_reason_cut_inside_a_character_drops_it() -> None:
    store = _store_with_good()
    put(store, "foo/1.0.yank", b"x" + "é".encode() * 1024)
    handle_event(sqs_event(created("foo/1.0.yank")), store)
    assert files_of(store, "foo")["foo-1.0.tar.gz"]["yanked"] == "x" + "é" * 511


def test_a_project_of_rejected_files_alone_is_not_read_again_by_a_listing() -> None:
    """Its facts cache stays zero bytes (no pages, not in the root), yet a reindex, a
    redelivery or the reconcile does not read its files again; a good file added later is
    listed beside them without reading them either."""
    store = _store_with_good()
    junk = ["bar/bar-1.0.tar.gz", "bar/bar-2.0-py3-none-any.whl"]
    put(store, junk[0], b"")
    put(store, junk[1], RANDOM_500)
    bar = canonicalize_name("bar")
    reindex(store, [bar])
    recording = RecordingStore(store)
    reindex(recording, [bar])
    handle_event(sqs_event(created(junk[0]), receive_count=2), recording)
    assert [c for c in recording.calls if c.startswith("download")] == []
    cache = store.get(layout.facts_cache_key(bar))
    assert cache is None or cache.body == b""  # not a project with files
    assert root_names(store) == ["foo"]
    put(store, "bar/bar-3.0.tar.gz", sdist("bar", "3.0"))
    recording = RecordingStore(store)
    reindex(recording, [bar])
    assert [c for c in recording.calls if c.startswith("download")] == [
        "download bar/bar-3.0.tar.gz"
    ]
    assert set(files_of(store, "bar")) == {"bar-3.0.tar.gz"}
    assert root_names(store) == ["bar", "foo"]
