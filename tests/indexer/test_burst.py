"""A burst of 1,000 uploads to one project within 10 s, delivered as the stack's SQS event source
delivers it (batch size, batching window, maximum concurrency and receive count of
`pyshelf.constants`), converges with no dead letter: the index equals the bucket
(tests/sqs_burst.py). One seed, in time scaled down; bench/burst.py (`make burst`) runs 10 in
real time with S3's latency."""

from __future__ import annotations

import os

import pytest
from index_checks import assert_index_matches_bucket
from sqs_burst import Burst, EventSource, run_burst, summary

from pyshelf.storage.memory import MemoryStore

SEEDS = int(os.environ.get("PYSHELF_BURST_SEEDS", "1"))


@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_burst_to_one_project_converges_without_dead_letters(
    store: MemoryStore, seed: int
) -> None:
    source = EventSource()
    outcome = run_burst(store, seed, source=source, burst=Burst(), scale=0.1, latency=0.005)
    print(f"seed {seed}: {summary(outcome)}")
    assert outcome.dead == []
    assert_index_matches_bucket(store)
    # the burst was batched as configured, and concurrent invocations did meet
    assert max(outcome.batch_sizes) <= source.batch_size
    assert outcome.invocations < 1000 // 4
    assert outcome.page_writes >= 3
