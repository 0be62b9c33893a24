"""The KeyValueStore contract, over the memory store and over the boto3 adapter talking to the
local emulator: one ETag per store, every write conditional on it, all-or-nothing updates."""

from __future__ import annotations

import threading

import pytest

from pyshelf.access.store import (
    ETagMismatch,
    InvalidWrite,
    KeyNotFound,
    KeyValueStore,
)


def test_an_empty_store(kvs: KeyValueStore) -> None:
    assert kvs.get("token:abc") is None
    assert kvs.list() == {}
    assert kvs.etag()


def test_put_changes_the_etag_and_reads_back(kvs: KeyValueStore) -> None:
    first = kvs.etag()
    second = kvs.put("b", "2", if_match=first)
    assert second != first
    assert kvs.etag() == second
    third = kvs.put("a", "1", if_match=second)
    assert kvs.get("a") == "1"
    assert kvs.put("a", "one", if_match=third) != third
    assert kvs.get("a") == "one"


def test_list_filters_by_prefix_in_key_order(kvs: KeyValueStore) -> None:
    kvs.update(puts={"t:b": "2", "t:a": "1", "u:c": "3"}, if_match=kvs.etag())
    assert list(kvs.list("t:").items()) == [("t:a", "1"), ("t:b", "2")]
    assert list(kvs.list()) == ["t:a", "t:b", "u:c"]


def test_list_reads_every_page(kvs: KeyValueStore) -> None:
    """ListKeys pages hold at most 50 items (the emulator's default page is 10)."""
    for start in range(0, 120, 50):
        batch = {f"k{i:03}": str(i) for i in range(start, min(start + 50, 120))}
        kvs.update(puts=batch, if_match=kvs.etag())
    listed = kvs.list("k")
    assert list(listed) == [f"k{i:03}" for i in range(120)]
    assert listed["k119"] == "119"


def test_a_stale_etag_changes_nothing(kvs: KeyValueStore) -> None:
    stale = kvs.etag()
    current = kvs.put("a", "1", if_match=stale)
    with pytest.raises(ETagMismatch):
        kvs.put("a", "2", if_match=stale)
    with pytest.raises(ETagMismatch):
        kvs.delete("a", if_match=stale)
    with pytest.raises(ETagMismatch):
        kvs.update(puts={"b": "1"}, deletes=["a"], if_match=stale)
    assert kvs.list() == {"a": "1"}
    assert kvs.etag() == current


def test_delete_needs_an_existing_key(kvs: KeyValueStore) -> None:
    etag = kvs.put("a", "1", if_match=kvs.etag())
    etag = kvs.delete("a", if_match=etag)
    assert kvs.get("a") is None
    with pytest.raises(KeyNotFound):
        kvs.delete("a", if_match=etag)


def test_update_puts_and_deletes_together(kvs: KeyValueStore) -> None:
    etag = kvs.update(puts={"a": "1", "b": "2"}, if_match=kvs.etag())
    new = kvs.update(puts={"c": "3"}, deletes=["a"], if_match=etag)
    assert new != etag
    assert kvs.list() == {"b": "2", "c": "3"}


def test_keys_and_values_round_trip(kvs: KeyValueStore) -> None:
    """The ARN and keys travel percent-encoded in the path and may hold `/`, `:`, spaces."""
    keys = ["token:ab/cd", "a b", "100%", "ünï/cödé?x=1#y", "token-name:ci.bot_1"]
    etag = kvs.etag()
    for key in keys:
        etag = kvs.put(key, f'{{"k":"{key}"}}', if_match=etag)
    assert {key: kvs.get(key) for key in keys} == {key: f'{{"k":"{key}"}}' for key in keys}


def test_values_up_to_1_kb(kvs: KeyValueStore) -> None:
    etag = kvs.put("big", "é" * 512, if_match=kvs.etag())  # 1024 bytes in UTF-8
    with pytest.raises(InvalidWrite):
        kvs.put("bigger", "é" * 512 + "x", if_match=etag)
    assert kvs.get("bigger") is None
    assert kvs.etag() == etag


def test_concurrent_writers_never_lose_an_update(kvs: KeyValueStore) -> None:
    """Read ETag, read, write with If-Match, retry on a mismatch: no increment is lost."""
    kvs.put("count", "0", if_match=kvs.etag())
    conflicts = []

    def increment(times: int) -> None:
        for _ in range(times):
            while True:
                etag = kvs.etag()
                value = int(kvs.get("count") or "0")
                try:
                    kvs.put("count", str(value + 1), if_match=etag)
                    break
                except ETagMismatch:
                    conflicts.append(1)

    threads = [threading.Thread(target=increment, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert kvs.get("count") == "60"
