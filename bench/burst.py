"""A burst of 1,000 uploads to one project within 10 s, delivered as the stack's SQS event source
delivers it, over 10 seeds (issue 11, "Bursts coalesce"): it must converge with no dead letter,
the index equal to the bucket. Prints what each run cost (invocations, page writes, S3 requests
and bytes) and exits 1 if any run left a dead letter or an index unlike the bucket.

The simulation (tests/sqs_burst.py): threads stand in for concurrent invocations of
`pyshelf.indexer.batch.handle_event`, batches form as the event source forms them (batch size,
batching window, maximum concurrency from `pyshelf.constants`), failed messages come back after
the visibility timeout until the receive count sends them to the dead-letter queue. The store is
the in-memory one with a simulated S3 latency per request, counted in S3's units.

    python bench/burst.py                           # 10 seeds, the configured event source
    python bench/burst.py --seeds 3 --batch-size 10 --window 0 --concurrency 5
    python bench/burst.py --latency 0 --scale 0.2   # no S3 latency, time 5 x faster
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from eventjson import BUCKET
from index_checks import assert_index_matches_bucket
from sqs_burst import Burst, EventSource, Outcome, run_burst, summary

from pyshelf.storage.memory import MemoryStore


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    default = EventSource()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="runs, seeded 0.. (default 10)")
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="the uploads' spread")
    parser.add_argument("--batch-size", type=int, default=default.batch_size)
    parser.add_argument("--window", type=float, default=default.window, help="seconds")
    parser.add_argument("--concurrency", type=int, default=default.concurrency)
    parser.add_argument(
        "--latency", type=float, default=0.02, help="simulated S3 seconds per request"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="real seconds per simulated second"
    )
    return parser.parse_args(argv)


def one_run(args: argparse.Namespace, source: EventSource, seed: int) -> tuple[Outcome, bool]:
    store = MemoryStore(BUCKET)
    started = time.monotonic()
    outcome = run_burst(
        store,
        seed,
        source=source,
        burst=Burst(args.uploads, args.seconds),
        scale=args.scale,
        latency=args.latency,
    )
    exact = True
    try:
        assert_index_matches_bucket(store)
    except AssertionError as exc:
        exact = False
        print(f"seed {seed}: INDEX UNLIKE THE BUCKET: {exc}")
    real = time.monotonic() - started
    print(f"seed {seed}: {summary(outcome)}; {real:.0f} s real", flush=True)
    return outcome, exact


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    source = EventSource(
        batch_size=args.batch_size, window=args.window, concurrency=args.concurrency
    )
    print(
        f"{args.uploads} uploads within {args.seconds:g} s; {source}; "
        f"S3 latency {args.latency * 1000:g} ms per request",
        flush=True,
    )
    runs = [one_run(args, source, seed) for seed in range(args.seeds)]
    outcomes = [outcome for outcome, _ in runs]
    broken = sum(1 for outcome, exact in runs if outcome.dead or not exact)

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} (min {min(values):.0f}, max {max(values):.0f})"

    print(
        f"\nmedian over {len(runs)} runs: invocations {median([o.invocations for o in outcomes])}"
        f", page writes {median([o.page_writes for o in outcomes])}, S3 requests "
        f"{median([sum(o.counts.values()) for o in outcomes])}, LIST "
        f"{median([o.counts['LIST'] for o in outcomes])}, redeliveries "
        f"{median([o.redeliveries for o in outcomes])}, MiB out "
        f"{median([o.moved()[1] / 2**20 for o in outcomes])}, drained at (s) "
        f"{median([o.drained for o in outcomes])}"
    )
    print(f"dead letters: {sum(len(o.dead) for o in outcomes)}; runs not converged: {broken}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
