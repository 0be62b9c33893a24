"""S3 requests the indexer makes for one uploaded file (issue 2, "Must show").

For each bucket of M projects, one project ("big") is grown to N files through the real indexer,
then one new wheel is put into it and `pyshelf.indexer.batch.handle_event` receives the SQS
message whose body is the S3 ObjectCreated notification of that key (the deployed path). Every S3
API call the indexer makes is counted by type through a botocore event hook on the client that
`S3Store` wraps.

Rows:
  add          one new file in an existing project of N files
  duplicate    the same S3 record again in a new SQS message (duplicate notification)
  redelivery   the same SQS message again (ApproximateReceiveCount 2: the listing path, and
               the root is re-checked)
  new project  one file that creates a project (the project set changes: the root is rewritten)

"re-read" counts GETs of distribution files other than the one just uploaded.

Exits 1 when an invariant breaks: the "add" or "duplicate" counts differ between two values of M
for the same N, an "add" or "duplicate" lists anything or an "add" makes more than 16 requests
(the event hot path), a duplicate or redelivery writes anything, or an existing distribution was
read again. Runs from a checkout without installing pyshelf (it puts `src/` and `tests/` on the
path).
See docs/requests.md for the recorded table.

    python bench/requests_per_upload.py            # N = 1, 100, 5000; M = 1, 1000
    python bench/requests_per_upload.py --quick    # N = 1, 100, 1200; M = 1, 200
    python bench/requests_per_upload.py --trace    # also print each request of every row
    python bench/requests_per_upload.py --n 1 10 --m 1 50 --jobs 1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
from moto import mock_aws
from packaging.utils import NormalizedName, canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from distbuild import wheel

from pyshelf.core import layout
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.regenerate import regenerate_project, regenerate_root, reindex
from pyshelf.storage.s3 import S3Store

REGION = "us-east-1"
BIG = canonicalize_name("big")
TYPES = {
    "ListObjectsV2": "LIST",
    "GetObject": "GET",
    "HeadObject": "HEAD",
    "PutObject": "PUT",
    "DeleteObject": "DELETE",
    "CopyObject": "COPY",
}
COLUMNS = ("LIST", "GET", "HEAD", "PUT", "DELETE", "COPY")
WRITES = ("PUT", "DELETE", "COPY")
MAX_HOT_PATH_REQUESTS = 16
FULL = ((1, 100, 5000), (1, 1000))
QUICK = ((1, 100, 1200), (1, 200))


@dataclass
class Call:
    kind: str
    key: str
    nbytes: int = 0


class RequestCounter:
    """Counts the S3 API calls made through one boto3 client, with the key each one names and
    the body bytes it moved (GET: received, PUT: sent)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[Call] = []
        events = client.meta.events
        events.register("provide-client-params.s3", self._remember)
        events.register("before-call.s3", self._count)
        events.register("after-call.s3", self._measure)

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_key"] = params.get("Key") or params.get("Prefix", "") + "*"
        body = params.get("Body")
        context["bench_sent"] = len(body) if isinstance(body, bytes) else 0

    def _count(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        kind = TYPES.get(model.name, model.name)
        context["bench_call"] = call = Call(kind, context.get("bench_key", ""))
        call.nbytes = context.get("bench_sent", 0)
        self.calls.append(call)

    @staticmethod
    def _measure(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call = context.get("bench_call")
        if call is not None and call.kind == "GET":
            call.nbytes = int(parsed.get("ContentLength") or 0)

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls


@dataclass
class Row:
    scenario: str
    n: int
    m: int
    calls: list[Call]
    new_key: str
    counts: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = Counter(call.kind for call in self.calls)

    @property
    def total(self) -> int:
        return len(self.calls)

    @property
    def writes(self) -> int:
        return sum(self.counts[kind] for kind in WRITES)

    def moved(self, kind: str) -> int:
        return sum(call.nbytes for call in self.calls if call.kind == kind)

    @property
    def reread(self) -> int:
        """GETs of distributions other than the one just uploaded."""
        return sum(
            1
            for call in self.calls
            if call.kind == "GET"
            and call.key != self.new_key
            and isinstance(layout.classify(call.key), layout.DistributionKey)
        )

    def signature(self) -> tuple[int, ...]:
        return tuple(self.counts[kind] for kind in COLUMNS)


def notification(bucket: str, key: str, size: int, etag: str) -> dict[str, Any]:
    """An S3 ObjectCreated:Put event notification, as S3 sends it (key URL-encoded)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "192.0.2.1"},
                "responseElements": {
                    "x-amz-request-id": "EXAMPLE123456789",
                    "x-amz-id-2": "EXAMPLE123/abcdefghijklmnopqrstuvwxyz",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "indexer",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag.strip('"'),
                        "sequencer": "0065A1B2C3D4E5F601",
                    },
                },
            }
        ]
    }


def sqs_event(body: dict[str, Any], message_id: str, receive_count: int = 1) -> dict[str, Any]:
    """The Lambda event for one SQS message carrying `body`."""
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"handle-{message_id}",
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": "1767225600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1767225600001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:pyshelf-events",
                "awsRegion": REGION,
            }
        ]
    }


class Bucket:
    """A bucket of M projects: `big` plus M - 1 one-file projects, indexed by the real core."""

    def __init__(self, client: Any, m: int) -> None:
        self.client = client
        self.m = m
        self.name = f"bench-m{m}"
        client.create_bucket(Bucket=self.name)
        self.store = S3Store(client, self.name)
        self.files = 0
        others = [canonicalize_name(f"other-{i:04d}") for i in range(1, m)]
        for project in others:
            self._put(project, "1.0")
        self._put(BIG, "1.0")
        self.files = 1
        reindex(self.store, [*others, BIG])

    def _put(self, project: NormalizedName, version: str) -> tuple[str, int, str]:
        data = wheel(project, version)
        key = layout.distribution_key(
            project, f"{project.replace('-', '_')}-{version}-py3-none-any.whl"
        )
        etag = self.client.put_object(Bucket=self.name, Key=key, Body=data)["ETag"]
        return key, len(data), etag

    def grow(self, n: int) -> None:
        """Bring `big` to n files and index it (through the core, like any batch would)."""
        if n <= self.files:
            return
        for i in range(self.files, n):
            self._put(BIG, f"1.{i}")
        self.files = n
        if regenerate_project(self.store, BIG).root_affected:
            regenerate_root(self.store)

    def upload(self, project: NormalizedName, version: str) -> tuple[str, dict[str, Any]]:
        """Put one wheel as an uploader would; return its key and its S3 notification."""
        key, size, etag = self._put(project, version)
        if project == BIG:
            self.files += 1
        return key, notification(self.name, key, size, etag)


def measure(m: int, ns: Sequence[int]) -> list[Row]:
    """Build a bucket of m projects and measure every row of it (in a fresh moto)."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        counter = RequestCounter(client)
        bucket = Bucket(client, m)
        rows: list[Row] = []

        def run(scenario: str, n: int, key: str, event: dict[str, Any]) -> None:
            counter.take()
            response = handle_event(event, bucket.store)
            if response["batchItemFailures"]:
                raise RuntimeError(f"{scenario} N={n} M={m}: handler reported {response}")
            rows.append(Row(scenario, n, m, counter.take(), key))

        for n in ns:
            bucket.grow(n)
            key, body = bucket.upload(BIG, f"2.{n}")
            first = str(uuid.uuid4())
            run("add", n, key, sqs_event(body, first))
            run("duplicate", n, key, sqs_event(body, str(uuid.uuid4())))
            run("redelivery", n, key, sqs_event(body, first, receive_count=2))
        key, body = bucket.upload(canonicalize_name(f"fresh-m{m}"), "1.0")
        run("new project", 0, key, sqs_event(body, str(uuid.uuid4())))
        return rows


HEADER = (
    f"{'scenario':<12} {'N':>5} {'M':>5} "
    + " ".join(f"{c:>6}" for c in COLUMNS)
    + f" {'total':>6} {'re-read':>7} {'GET KiB':>8} {'PUT KiB':>8}"
)


def format_row(row: Row) -> str:
    cells = " ".join(f"{row.counts[c]:>6}" for c in COLUMNS)
    return (
        f"{row.scenario:<12} {row.n:>5} {row.m:>5} {cells} {row.total:>6} {row.reread:>7}"
        f" {row.moved('GET') / 1024:>8.1f} {row.moved('PUT') / 1024:>8.1f}"
    )


def format_trace(row: Row) -> str:
    return "\n".join(f"    {call.kind:<6} {call.nbytes:>9}  {call.key}" for call in row.calls)


def check(rows: Iterable[Row]) -> list[str]:
    """Invariant violations, as messages."""
    problems: list[str] = []
    by_case: dict[tuple[str, int], dict[int, Row]] = {}
    for row in rows:
        if row.reread:
            problems.append(f"{row.scenario} N={row.n} M={row.m}: {row.reread} files read again")
        if row.scenario in ("duplicate", "redelivery") and row.writes:
            problems.append(f"{row.scenario} N={row.n} M={row.m}: {row.writes} writes")
        if row.scenario in ("add", "duplicate") and row.counts["LIST"]:
            problems.append(f"{row.scenario} N={row.n} M={row.m}: {row.counts['LIST']} LISTs")
        if row.scenario == "add" and row.total > MAX_HOT_PATH_REQUESTS:
            problems.append(f"add N={row.n} M={row.m}: {row.total} requests")
        if row.scenario in ("add", "duplicate"):
            by_case.setdefault((row.scenario, row.n), {})[row.m] = row
    for (scenario, n), per_m in sorted(by_case.items()):
        signatures = {row.signature() for row in per_m.values()}
        if len(signatures) > 1:
            problems.append(f"{scenario} N={n}: counts differ between M={sorted(per_m)}")
    return problems


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 1, 100, 1200; M = 1, 200")
    parser.add_argument("--n", type=int, nargs="+", help="project sizes (overrides the default)")
    parser.add_argument("--m", type=int, nargs="+", help="bucket sizes (overrides the default)")
    parser.add_argument("--trace", action="store_true", help="print every request of every row")
    parser.add_argument(
        "--jobs", type=int, default=2, help="buckets measured in parallel processes (default 2)"
    )
    return parser.parse_args(argv)


def measure_all(ms: Sequence[int], ns: Sequence[int], jobs: int) -> Iterator[list[Row]]:
    """Rows of each bucket size, in order; each bucket lives in its own process and moto."""
    if jobs <= 1 or len(ms) == 1:
        yield from (measure(m, ns) for m in ms)
        return
    with ProcessPoolExecutor(max_workers=min(jobs, len(ms))) as pool:
        yield from pool.map(measure, ms, [ns] * len(ms))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    ns, ms = sorted(set(args.n or sizes[0])), sorted(set(args.m or sizes[1]))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = REGION
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    rows: list[Row] = []
    print(HEADER, flush=True)
    for bucket_rows in measure_all(ms, ns, args.jobs):
        for row in bucket_rows:
            print(format_row(row))
            if args.trace:
                print(format_trace(row))
        sys.stdout.flush()
        rows += bucket_rows
    problems = check(rows)
    print(f"\nfiles read again: {sum(row.reread for row in rows)}")
    print(f"elapsed: {time.monotonic() - started:.0f}s", file=sys.stderr)
    for problem in problems:
        print(f"INVARIANT BROKEN: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
