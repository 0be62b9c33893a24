"""Creating, listing and revoking tokens (pyshelf.access.registry): two keys per token written
and removed together, unique names, and every change retried when another writer got first."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping

import pytest

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.access.registry import Contended, TokenExists, TokenRegistry, UnknownToken
from pyshelf.access.store import KeyValueStore
from pyshelf.core.tokens import InvalidTokenRecord, TokenRecord

NOW = 1_800_000_000


def registry(store: KeyValueStore, **kwargs: object) -> TokenRegistry:
    return TokenRegistry(store, clock=lambda: NOW, sleep=lambda _: None, **kwargs)  # type: ignore[arg-type]


def test_create_writes_the_record_under_the_hash_and_the_name_index() -> None:
    store = MemoryKeyValueStore()
    issued = registry(store).create("ci", lifetime=3600, projects=["Acme_Tools", "acme-*"])
    digest = hashlib.sha256(issued.token.encode()).hexdigest()
    assert store.list() == {
        "token-name:ci": digest,
        f"token:{digest}": issued.record.encode(),
    }
    record = TokenRecord.decode(store.get(f"token:{digest}") or "")
    assert record == issued.record
    assert record.expires == NOW + 3600 and record.created == NOW
    assert record.scopes == ("read",)
    assert record.projects == ("acme-tools", "acme-*")


def test_tokens_are_long_random_and_prefixed() -> None:
    store = MemoryKeyValueStore()
    tokens = {registry(store).create(f"t{i}", lifetime=None).token for i in range(20)}
    assert len(tokens) == 20
    assert all(t.startswith("pyshelf_") and len(t) >= 8 + 43 for t in tokens)


def test_a_taken_name_is_refused_and_nothing_changes() -> None:
    store = MemoryKeyValueStore()
    registry(store).create("ci", lifetime=None)
    before, etag = store.list(), store.etag()
    with pytest.raises(TokenExists, match="'ci' exists"):
        registry(store).create("ci", lifetime=60, scopes=["upload"])
    assert store.list() == before and store.etag() == etag


class Recording:
    """A store that records the operations made on it."""

    def __init__(self, inner: KeyValueStore) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def etag(self) -> str:
        self.calls.append("etag")
        return self.inner.etag()

    def get(self, key: str) -> str | None:
        self.calls.append(f"get {key}")
        return self.inner.get(key)

    def list(self, prefix: str = "") -> dict[str, str]:
        self.calls.append(f"list {prefix}")
        return self.inner.list(prefix)

    def put(self, key: str, value: str, *, if_match: str) -> str:
        self.calls.append(f"put {key}")
        return self.inner.put(key, value, if_match=if_match)

    def delete(self, key: str, *, if_match: str) -> str:
        self.calls.append(f"delete {key}")
        return self.inner.delete(key, if_match=if_match)

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        self.calls.append("update")
        return self.inner.update(puts=puts, deletes=deletes, if_match=if_match)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("bad name", {}),
        ("ci", {"projects": ["no/slash"]}),
        ("ci", {"projects": [f"p{i:03}-*" for i in range(200)]}),  # over the 1 KB value
    ],
)
def test_invalid_tokens_never_reach_the_store(name: str, kwargs: dict[str, object]) -> None:
    store = Recording(MemoryKeyValueStore())
    with pytest.raises(InvalidTokenRecord):
        registry(store).create(name, lifetime=None, **kwargs)  # type: ignore[arg-type]
    assert store.calls == []


def test_revoke_removes_both_keys_and_unknown_names_are_errors() -> None:
    store = MemoryKeyValueStore()
    registry(store).create("keep", lifetime=None)
    registry(store).create("ci", lifetime=None)
    registry(store).revoke("ci")
    assert sorted(store.list()) == ["token-name:keep", f"token:{store.get('token-name:keep')}"]
    with pytest.raises(UnknownToken, match="no token named 'ci'"):
        registry(store).revoke("ci")


def test_revoke_of_a_dangling_name_removes_the_name() -> None:
    store = MemoryKeyValueStore({"token-name:ci": "00" * 32})
    registry(store).revoke("ci")
    assert store.list() == {}


def test_list_is_by_name_and_counts_unreadable_records() -> None:
    store = MemoryKeyValueStore({"token:ff": "not json", "token:ee": '{"v":2}'})
    registry(store).create("zeta", lifetime=None)
    registry(store).create("alpha", lifetime=60, scopes=["read", "upload"])
    listing = registry(store).list()
    assert [r.name for r in listing.records] == ["alpha", "zeta"]
    assert listing.unreadable == 2


class Interfering:
    """A store where another writer changes a key between every ETag read and the write that
    follows, `times` times (the writes of `change`)."""

    def __init__(self, inner: MemoryKeyValueStore, times: int, change: Callable[[], object]):
        self.inner, self.times, self.change = inner, times, change
        self.updates = 0

    def etag(self) -> str:
        return self.inner.etag()

    def get(self, key: str) -> str | None:
        value = self.inner.get(key)
        if self.times > 0:
            self.times -= 1
            self.change()
        return value

    def list(self, prefix: str = "") -> dict[str, str]:
        return self.inner.list(prefix)

    def put(self, key: str, value: str, *, if_match: str) -> str:
        raise AssertionError("the registry writes with update")

    def delete(self, key: str, *, if_match: str) -> str:
        raise AssertionError("the registry writes with update")

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        self.updates += 1
        return self.inner.update(puts=puts, deletes=deletes, if_match=if_match)


def test_a_lost_race_is_read_again_and_retried() -> None:
    inner = MemoryKeyValueStore()
    other = iter(range(100))

    def unrelated_write() -> None:
        inner.put(f"other:{next(other)}", "x", if_match=inner.etag())

    store = Interfering(inner, times=2, change=unrelated_write)
    registry(store).create("ci", lifetime=None)
    assert store.updates == 3  # two ETag mismatches, then the write
    assert inner.get("token-name:ci") is not None
    assert len(inner.list("other:")) == 2


def test_the_retry_sees_the_name_another_writer_took() -> None:
    """Two creates of one name: the one that lost the race re-reads and finds the name."""
    inner = MemoryKeyValueStore()
    rival = registry(inner)
    store = Interfering(inner, times=1, change=lambda: rival.create("ci", lifetime=None))
    with pytest.raises(TokenExists):
        registry(store).create("ci", lifetime=None)
    assert len(inner.list("token:")) == 1


def test_endless_contention_gives_up_after_the_attempts() -> None:
    inner = MemoryKeyValueStore()
    counter = iter(range(100))

    def write() -> None:
        inner.put(f"other:{next(counter)}", "x", if_match=inner.etag())

    store = Interfering(inner, times=100, change=write)
    with pytest.raises(Contended):
        registry(store, attempts=4).create("ci", lifetime=None)
    assert store.updates == 4
    assert inner.list("token") == {}


def test_concurrent_creates_of_one_name_make_one_token(kvs: KeyValueStore) -> None:
    """Over both stores: eight threads create the same name; exactly one wins, and one record
    exists; eight other names created at the same time all exist."""
    results: list[str] = []

    def create(name: str) -> None:
        try:
            TokenRegistry(kvs, attempts=50).create(name, lifetime=None)
            results.append(name)
        except TokenExists:
            results.append("exists")

    names = ["same"] * 8 + [f"own{i}" for i in range(8)]
    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted(["same"] + ["exists"] * 7 + [f"own{i}" for i in range(8)])
    assert len(kvs.list("token:")) == 9
    assert len(kvs.list("token-name:")) == 9


def test_retries_pause_a_little_and_never_long() -> None:
    inner = MemoryKeyValueStore()
    counter = iter(range(100))
    store = Interfering(
        inner, times=100, change=lambda: inner.put(f"o:{next(counter)}", "x", if_match=inner.etag())
    )
    pauses: list[float] = []
    with pytest.raises(Contended):
        TokenRegistry(store, attempts=12, sleep=pauses.append).create("ci", lifetime=None)
    assert len(pauses) == 11
    assert all(0 <= pause <= 1.0 for pause in pauses)
    assert max(pauses) > 0
