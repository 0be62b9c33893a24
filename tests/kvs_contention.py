"""A KeyValueStore for contention tests: the memory store with a random pause before every
request (so that writers planned from the same ETag collide), counting the updates that lost
and recording those that landed. The indexer writes with UpdateKeys only."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Mapping

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.access.store import ETagMismatch


class ContendedStore:
    def __init__(
        self, inner: MemoryKeyValueStore, rng: random.Random, max_pause: float = 0.004
    ) -> None:
        self.inner = inner
        self.rng = rng
        self.max_pause = max_pause
        self.lock = threading.Lock()
        self.landed: list[tuple[dict[str, str], tuple[str, ...]]] = []
        self.conflicts = 0

    def _pause(self) -> None:
        with self.lock:
            delay = self.rng.random() * self.max_pause
        time.sleep(delay)

    def etag(self) -> str:
        self._pause()
        return self.inner.etag()

    def get(self, key: str) -> str | None:
        self._pause()
        return self.inner.get(key)

    def list(self, prefix: str = "") -> dict[str, str]:
        self._pause()
        return self.inner.list(prefix)

    def put(self, key: str, value: str, *, if_match: str) -> str:
        raise AssertionError("the indexer writes with UpdateKeys only")

    def delete(self, key: str, *, if_match: str) -> str:
        raise AssertionError("the indexer writes with UpdateKeys only")

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        deleted = tuple(deletes)
        self._pause()
        try:
            etag = self.inner.update(puts=puts, deletes=deleted, if_match=if_match)
        except ETagMismatch:
            with self.lock:
                self.conflicts += 1
            raise
        with self.lock:
            self.landed.append((dict(puts), deleted))
        return etag
