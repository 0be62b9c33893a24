"""S3 requests and bytes of one event, up to N = 50,000 files in one project (issue 11).

The same measurement as bench/requests_per_upload.py, on the in-memory store instead of moto, so
that a project of 50,000 files builds in minutes: every request the handler makes is counted by a
`Storage` decorator (tests/counting_store.py) with S3's units (one LIST per page of 1,000 keys;
a GET's body received, a PUT's body sent). The figures come from the deployed path:
`pyshelf.indexer.batch.handle_event` gets the SQS message whose body is the S3 `ObjectCreated:Put`
notification of one new wheel (the uploader's PUT not counted).

Rows per N (the project `big`, in a bucket of M projects, built and indexed by the real indexer):
  add          one new file
  duplicate    the same S3 record again, in a new SQS message
  redelivery   the same SQS message again (ApproximateReceiveCount 2: the listing path)
  add+edge     one more new file, with edge invalidation configured as the stack always does
               (DISTRIBUTION_ID: the handler reads the facts cache before and after, to see
               which files were replaced or removed)

Exits 1 when an invariant breaks (as bench/requests_per_upload.py): an add, add+edge or
duplicate LISTs, an add or add+edge makes more than 16 requests, a duplicate or redelivery
writes, a file is read again.
"ms" is the handler's time on the memory store (no network): CPU, not S3 latency.

    python bench/requests_per_event.py                 # N = 1, 100, 5000, 50000; M = 1000
    python bench/requests_per_event.py --n 1 100 --m 1
    python bench/requests_per_event.py --trace         # every request of every row
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from counting_store import CountingStore, Request, Requests
from distbuild import wheel
from requests_per_upload import (
    HEADER,
    MAX_HOT_PATH_REQUESTS,
    Call,
    Row,
    check,
    format_row,
    format_trace,
    notification,
    sqs_event,
)

from pyshelf.core import layout
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.invalidation import Invalidator, RecordingInvalidator
from pyshelf.indexer.regenerate import regenerate_project, regenerate_root, reindex
from pyshelf.storage.memory import MemoryStore

BIG = canonicalize_name("big")
NS = (1, 100, 5000, 50000)
M = 1000


def as_calls(requests: list[Request]) -> list[Call]:
    """The bench/requests_per_upload.py form: one body size per request."""
    return [Call(r.kind, r.key, r.received or r.sent) for r in requests]


class Bucket:
    """A bucket of M projects (`big` and M - 1 one-wheel ones), indexed by the real indexer."""

    def __init__(self, m: int) -> None:
        self.m = m
        self.memory = MemoryStore(f"bench-m{m}")
        self.requests = Requests()
        self.store = CountingStore(self.memory, self.requests)
        others = [canonicalize_name(f"other-{i:04d}") for i in range(1, m)]
        for project in others:
            self.put(project, "1.0")
        self.put(BIG, "1.0")
        self.files = 1
        reindex(self.memory, [*others, BIG])

    def put(self, project: NormalizedName, version: str) -> tuple[str, int, str]:
        data = wheel(project, version)
        key = layout.distribution_key(
            project, f"{project.replace('-', '_')}-{version}-py3-none-any.whl"
        )
        etag = self.memory.put(key, data, content_type="binary/octet-stream")
        return key, len(data), etag

    def grow(self, n: int) -> None:
        """Bring `big` to n files and index it from a listing, as a batch would."""
        if n <= self.files:
            return
        for i in range(self.files, n):
            self.put(BIG, f"1.{i}")
        self.files = n
        if regenerate_project(self.memory, BIG).root_affected:
            regenerate_root(self.memory)

    def upload(self, version: str) -> tuple[str, dict[str, Any]]:
        key, size, etag = self.put(BIG, version)
        self.files += 1
        return key, notification(self.memory.bucket, key, size, etag)

    def run(
        self,
        scenario: str,
        n: int,
        key: str,
        event: dict[str, Any],
        invalidator: Invalidator | None = None,
    ) -> tuple[Row, float]:
        self.requests.take()
        started = time.perf_counter()
        response = handle_event(event, self.store, None, invalidator)
        elapsed = time.perf_counter() - started
        if response["batchItemFailures"]:
            raise RuntimeError(f"{scenario} N={n} M={self.m}: handler reported {response}")
        return Row(scenario, n, self.m, as_calls(self.requests.take()), key), elapsed


def measure(bucket: Bucket, n: int, trace: bool) -> list[Row]:
    started = time.monotonic()
    bucket.grow(n)
    print(f"# N = {n}: built in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    key, body = bucket.upload(f"2.{n}")
    first = str(uuid.uuid4())
    events = (
        ("add", sqs_event(body, first)),
        ("duplicate", sqs_event(body, str(uuid.uuid4()))),
        ("redelivery", sqs_event(body, first, receive_count=2)),
    )
    rows = [bucket.run(scenario, n, key, event) for scenario, event in events]
    key, body = bucket.upload(f"3.{n}")
    rows.append(bucket.run("add+edge", n, key, sqs_event(body, "edge"), RecordingInvalidator()))
    for row, elapsed in rows:
        print(f"{format_row(row)} {elapsed * 1000:>8.0f}", flush=True)
        if trace:
            print(format_trace(row))
    return [row for row, _ in rows]


def check_edge(rows: list[Row]) -> list[str]:
    return [
        f"add+edge N={row.n}: {row.counts['LIST']} LIST, {row.total} requests"
        for row in rows
        if row.scenario == "add+edge" and (row.counts["LIST"] or row.total > MAX_HOT_PATH_REQUESTS)
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=list(NS), help="project sizes")
    parser.add_argument("--m", type=int, default=M, help="projects in the bucket")
    parser.add_argument("--trace", action="store_true", help="print every request of every row")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    bucket = Bucket(args.m)
    print(f"{HEADER} {'ms':>8}", flush=True)
    rows = [row for n in sorted(set(args.n)) for row in measure(bucket, n, args.trace)]
    problems = check(rows) + check_edge(rows)
    print(f"\nfiles read again: {sum(row.reread for row in rows)}")
    for row in rows:
        if row.scenario in ("add", "add+edge"):
            get, put = row.moved("GET"), row.moved("PUT")
            print(
                f"{row.scenario} N={row.n}: {row.counts['LIST']} LIST, {row.total} requests, "
                f"{get / 1024:.1f} KiB in, {put / 1024:.1f} KiB out "
                f"({(get + put) / max(row.n + 1, 1):.0f} bytes per file)"
            )
    print(f"elapsed: {time.monotonic() - started:.0f}s", file=sys.stderr)
    for problem in problems:
        print(f"INVARIANT BROKEN: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
