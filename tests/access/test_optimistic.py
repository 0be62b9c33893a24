"""The optimistic-write loop (pyshelf.access.optimistic) the token registry and the indexer's
private set share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.access.optimistic import (
    BACKOFF_SECONDS,
    MAX_BACKOFF_SECONDS,
    Writes,
    pause,
    write_planned,
)


class Losing(MemoryKeyValueStore):
    """Loses the first `losses` updates to another writer (which changes the store)."""

    def __init__(self, losses: int) -> None:
        super().__init__()
        self.losses = losses
        self.updates = 0

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        self.updates += 1
        if self.losses:
            self.losses -= 1
            super().update(puts={f"other:{self.losses}": "x"}, if_match=self.etag())
        return super().update(puts=puts, deletes=deletes, if_match=if_match)


def test_a_lost_race_is_planned_again_after_a_growing_random_pause() -> None:
    store = Losing(losses=3)
    pauses: list[float] = []
    plans: list[object] = []

    def plan() -> Writes:
        plans.append(len(store.list()))
        return Writes({"k": "v"})

    assert write_planned(store, plan, sleep=pauses.append) == Writes({"k": "v"})
    assert plans == [0, 1, 2, 3]  # each plan sees what the winner wrote
    assert len(pauses) == 3
    assert all(0 <= p <= BACKOFF_SECONDS * 2**n for n, p in enumerate(pauses, start=1))
    assert store.get("k") == "v"


def test_every_attempt_lost_gives_none() -> None:
    store = Losing(losses=10)
    assert (
        write_planned(store, lambda: Writes({"k": "v"}), attempts=4, sleep=lambda _: None) is None
    )
    assert store.updates == 4 and store.get("k") is None


def test_an_empty_plan_writes_nothing() -> None:
    store = Losing(losses=0)
    etag = store.etag()
    assert not write_planned(store, Writes)
    assert store.updates == 0 and store.etag() == etag


def test_a_refusal_in_the_plan_propagates() -> None:
    def refuse() -> Writes:
        raise LookupError("no")

    with pytest.raises(LookupError):
        write_planned(MemoryKeyValueStore(), refuse)


def test_pauses_are_bounded() -> None:
    assert pause(0) == 0
    assert all(0 <= pause(n) <= MAX_BACKOFF_SECONDS for n in range(1, 30))


def test_batches_keep_every_change_once() -> None:
    writes = Writes({f"p{i}": "v" for i in range(60)}, tuple(f"d{i}" for i in range(45)))
    parts = list(writes.batches(50))
    assert [len(p.puts) + len(p.deletes) for p in parts] == [50, 50, 5]
    assert {k for p in parts for k in p.puts} == set(writes.puts)
    assert [k for p in parts for k in p.deletes] == list(writes.deletes)
