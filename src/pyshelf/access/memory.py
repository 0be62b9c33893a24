"""A KeyValueStore in memory: the same semantics as CloudFront's (one ETag per store, every
write conditional on it), thread-safe. `pyshelf serve` keeps its tokens in one; tests use it."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from pyshelf.access.store import (
    MAX_UPDATE_ITEMS,
    ETagMismatch,
    InvalidWrite,
    KeyNotFound,
    check_key,
    check_value,
)

OnChange = Callable[[dict[str, str]], None]


class MemoryKeyValueStore:
    """`on_change(items)` runs after every write, under the store's lock, with a copy of every
    key and value (so that a file written from it follows the order of the writes)."""

    def __init__(
        self, items: Mapping[str, str] | None = None, *, on_change: OnChange | None = None
    ) -> None:
        self._items = dict(items or {})
        self._etag = _new_etag()
        self._lock = threading.Lock()
        self._on_change = on_change
        self.created = self.last_modified = time.time()

    def etag(self) -> str:
        with self._lock:
            return self._etag

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._items.get(key)

    def list(self, prefix: str = "") -> dict[str, str]:
        with self._lock:
            return {k: self._items[k] for k in sorted(self._items) if k.startswith(prefix)}

    def stats(self) -> tuple[int, int]:
        """How many keys, and their keys' and values' total size in bytes."""
        with self._lock:
            size = sum(len(k.encode()) + len(v.encode()) for k, v in self._items.items())
            return len(self._items), size

    def put(self, key: str, value: str, *, if_match: str) -> str:
        return self.update(puts={key: value}, if_match=if_match)

    def delete(self, key: str, *, if_match: str) -> str:
        check_key(key)
        with self._lock:
            self._check_etag(if_match)
            if key not in self._items:
                raise KeyNotFound(f"no key {key!r}")
            del self._items[key]
            return self._written()

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        """All or nothing. Deleting a key that is not there is no error (and not relied on:
        what CloudFront does then is not documented)."""
        deleted = list(deletes)
        _check_update(puts, deleted)
        with self._lock:
            self._check_etag(if_match)
            self._items.update(puts)
            for key in deleted:
                self._items.pop(key, None)
            return self._written()

    def _check_etag(self, if_match: str) -> None:
        if if_match != self._etag:
            raise ETagMismatch(f"the store changed: its ETag is no longer {if_match!r}")

    def _written(self) -> str:
        self._etag = _new_etag()
        self.last_modified = time.time()
        if self._on_change is not None:
            self._on_change(dict(self._items))
        return self._etag


def _check_update(puts: Mapping[str, str], deletes: list[str]) -> None:
    if not puts and not deletes:
        raise InvalidWrite("an update with nothing to put or delete")
    if len(puts) + len(deletes) > MAX_UPDATE_ITEMS:
        raise InvalidWrite(f"more than {MAX_UPDATE_ITEMS} keys in one update")
    if set(puts) & set(deletes):
        raise InvalidWrite("a key both put and deleted in one update")
    for key, value in puts.items():
        check_key(key)
        check_value(key, value)
    for key in deletes:
        check_key(key)


def _new_etag() -> str:
    return "KV" + secrets.token_hex(8).upper()
