"""Race-free changes to a KeyValueStore: read the store's ETag, plan the writes from what is
there now, write them with If-Match on that ETag. When another writer got there first
(`ETagMismatch`), pause for a random time (jitter, growing with each attempt) and plan again,
at most `attempts` times.

A plan with more changes than one UpdateKeys call takes is written in several calls, each
conditional on the ETag the previous one returned: a write by anyone else in between fails the
next call, and the whole plan is made again from what is there then.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from pyshelf.access.store import MAX_UPDATE_ITEMS, ETagMismatch, KeyValueStore

ATTEMPTS = 5
BACKOFF_SECONDS = 0.05  # before retry n: a random pause of up to 0.05 s * 2**n, at most 1 s
MAX_BACKOFF_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Writes:
    puts: Mapping[str, str] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)

    def batches(self, size: int = MAX_UPDATE_ITEMS) -> Iterator[Writes]:
        """The same changes in parts of at most `size` keys (puts first)."""
        items = [(key, value) for key, value in self.puts.items()]
        changes: list[tuple[str, str | None]] = [*items, *((key, None) for key in self.deletes)]
        for start in range(0, len(changes), size):
            part = changes[start : start + size]
            puts = {key: value for key, value in part if value is not None}
            yield Writes(puts, tuple(key for key, value in part if value is None))


def pause(attempt: int) -> float:
    """The random pause before attempt `attempt` (0 for the first)."""
    if not attempt:
        return 0.0
    return random.uniform(0, min(BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS))


def write_planned(
    store: KeyValueStore,
    plan: Callable[[], Writes],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Writes | None:
    """Plan and write until a plan is written whole; return it (empty when there was nothing
    to change, and then nothing is written), or None when every attempt lost the race.
    Exceptions raised by `plan` (a refusal) propagate."""
    for attempt in range(attempts):
        if attempt:
            sleep(pause(attempt))
        etag = store.etag()
        writes = plan()
        try:
            for part in writes.batches():
                etag = store.update(puts=part.puts, deletes=part.deletes, if_match=etag)
        except ETagMismatch:
            continue
        return writes
    return None
