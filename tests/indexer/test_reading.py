"""The read pool: bounded in count and in bytes, in order, stopping at the deadline."""

from __future__ import annotations

import threading
import time

import pytest

from pyshelf.indexer.deadline import Deadline
from pyshelf.indexer.reading import Bounds, read_all


class InFlight:
    """Records the most reads in flight at once, the most bytes in flight when more than one
    read was, and the most reads in flight while each job ran."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reads = self.bytes = 0
        self.most_reads = self.most_bytes = 0
        self.company: dict[int, int] = {}  # job -> most reads in flight while it ran

    def read(self, job: tuple[int, int]) -> int:
        index, size = job
        with self.lock:
            self.reads += 1
            self.bytes += size
            self.most_reads = max(self.most_reads, self.reads)
            if self.reads > 1:
                self.most_bytes = max(self.most_bytes, self.bytes)
            self.company[index] = self.reads
        time.sleep(0.005)
        with self.lock:
            self.company[index] = max(self.company[index], self.reads)
            self.reads -= 1
            self.bytes -= size
        return index


def test_bytes_in_flight_stay_under_the_bound_and_a_larger_file_runs_alone() -> None:
    bounds = Bounds(reads=4, bytes_in_flight=100)
    sizes = [30, 30, 30, 30, 250, 10, 10, 10, 10, 10, 60, 50, 40, 101, 5, 5] * 3
    jobs = list(enumerate(sizes))
    seen = InFlight()
    outcomes = []
    runner = threading.Thread(
        target=lambda: outcomes.append(
            read_all(jobs, lambda job: job[1], seen.read, bounds=bounds)
        ),
        daemon=True,
    )
    runner.start()
    runner.join(timeout=30)
    assert outcomes, "a file larger than the bound must still be read (alone)"
    (outcome,) = outcomes
    assert [result for _, result in outcome.done] == list(range(len(jobs)))
    assert not outcome.unstarted
    assert 60 < seen.most_bytes <= 100
    assert seen.most_reads == 4  # the pool does run reads at once
    for index, size in jobs:
        if size > 100:
            assert seen.company[index] == 1, (index, size)


def test_a_read_count_bound_of_one_reads_one_at_a_time() -> None:
    seen = InFlight()
    read_all(list(enumerate([1] * 10)), lambda job: job[1], seen.read, bounds=Bounds(reads=1))
    assert seen.most_reads == 1


def test_reads_stop_at_the_deadline_in_order() -> None:
    left = [100.0]
    seen = InFlight()

    def read(job: tuple[int, int]) -> int:
        if job[0] == 4:
            left[0] = 1.0  # the clock runs out during the fifth read
        return seen.read(job)

    jobs = list(enumerate([10] * 20))
    outcome = read_all(
        jobs, lambda job: job[1], read, deadline=Deadline(lambda: left[0]), bounds=Bounds(reads=1)
    )
    assert [job for job, _ in outcome.done] == jobs[:5]
    assert outcome.unstarted == jobs[5:]


def test_a_failed_read_stops_the_rest_and_is_raised() -> None:
    started: list[int] = []

    def read(job: int) -> int:
        started.append(job)
        if job == 2:
            raise ConnectionResetError(104, "reset")
        return job

    with pytest.raises(ConnectionResetError):
        read_all(list(range(50)), lambda job: 1, read, bounds=Bounds(reads=1))
    assert started == [0, 1, 2]


def test_only_the_first_project_of_an_invocation_may_read_past_the_deadline() -> None:
    """Progress: a continuation received late still reads one file of its first project; a
    later project reads nothing once time is short."""
    left = [5.0]
    late = Deadline(lambda: left[0])
    assert late.start_project()
    assert late.start_read(1 << 30)  # its first read
    assert not late.start_read(1)
    busy = Deadline(lambda: left[0])
    left[0] = 100.0
    assert busy.start_project() and busy.start_project()
    left[0] = 5.0
    assert not busy.start_read(1)
    assert not busy.start_project()
