"""Read many files at once, bounded in count and in bytes (docs/reliability.md, "Time limits").

A first index of a project with tens of thousands of new files reads them concurrently: at most
`MAX_READS` at once, and at most `MAX_BYTES_IN_FLIGHT` of their sizes together, since each is
spooled (to /tmp beyond 32 MiB) while it is hashed and inspected. A file larger than that bound
is read alone. Reads start in the order given, and only while the `Deadline` allows; what was not
started is returned, for the caller to checkpoint and hand on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pyshelf.indexer.deadline import UNLIMITED, Deadline

# 8 GETs overlap well on a 1 GiB Lambda (the network, not the CPU, bounds a read); the archive
# inspection itself runs one at a time (`pyshelf.indexer.file_facts`), so memory stays that of
# one inspection. 1 GiB in flight leaves the 4 GiB /tmp room for one file of up to 3 GiB kept
# for inspection (`file_facts.MAX_INSPECTED_BYTES`) read alone.
MAX_READS = 8
MAX_BYTES_IN_FLIGHT = 1024**3

Job = TypeVar("Job")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Bounds:
    reads: int = MAX_READS
    bytes_in_flight: int = MAX_BYTES_IN_FLIGHT


@dataclass(slots=True)
class Outcome(Generic[Job, Result]):
    done: list[tuple[Job, Result]] = field(default_factory=list)
    unstarted: list[Job] = field(default_factory=list)


class _Gate:
    """Counts the reads and bytes in flight; `enter` waits until a read of `size` fits."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.reads = 0
        self.bytes = 0
        self.failed = False
        self._cond = threading.Condition()

    def enter(self, size: int, deadline: Deadline) -> bool:
        """Wait for room; False (nothing entered) if a read failed or the deadline says stop."""
        with self._cond:
            self._cond.wait_for(self._room(size))
            if self.failed or not deadline.start_read(size, self.bytes):
                return False
            self.reads += 1
            self.bytes += size
            return True

    def leave(self, size: int, failed: bool) -> None:
        with self._cond:
            self.reads -= 1
            self.bytes -= size
            self.failed |= failed
            self._cond.notify_all()

    def _room(self, size: int) -> Callable[[], bool]:
        def fits() -> bool:
            if self.failed or self.reads == 0:
                return True
            return (
                self.reads < self.bounds.reads and self.bytes + size <= self.bounds.bytes_in_flight
            )

        return fits


def read_all(
    jobs: Sequence[Job],
    size_of: Callable[[Job], int],
    read: Callable[[Job], Result],
    *,
    deadline: Deadline = UNLIMITED,
    bounds: Bounds = Bounds(),
) -> Outcome[Job, Result]:
    """`read` each job, concurrently within `bounds`, in order, while `deadline` allows. The
    first exception of a read is raised once the reads in flight have ended (none starts after
    it); results of the reads that ended are in `done` of the outcome otherwise."""
    outcome: Outcome[Job, Result] = Outcome()
    if len(jobs) == 1:  # the usual event: no thread
        if deadline.start_read(size_of(jobs[0])):
            outcome.done.append((jobs[0], read(jobs[0])))
        else:
            outcome.unstarted = list(jobs)
        return outcome
    if not jobs:
        return outcome
    gate = _Gate(bounds)
    futures: list[tuple[Job, Future[Result]]] = []
    with ThreadPoolExecutor(max_workers=min(bounds.reads, len(jobs))) as pool:
        for index, job in enumerate(jobs):
            size = size_of(job)
            if not gate.enter(size, deadline):
                outcome.unstarted = list(jobs[index:])
                break
            futures.append((job, pool.submit(_guarded, gate, size, read, job)))
    for job, future in futures:
        outcome.done.append((job, future.result()))  # raises the first failure in order
    return outcome


def _guarded(gate: _Gate, size: int, read: Callable[[Job], Result], job: Job) -> Result:
    failed = True
    try:
        result = read(job)
        failed = False
        return result
    finally:
        gate.leave(size, failed)
