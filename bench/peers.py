"""pyshelf, s3pypi and dumb-pypi side by side: the time of "+1 file" in a project of N files, in an
index of M projects, everything warm (issue "Benchmarks in the repo").

* pyshelf: `pyshelf.indexer.batch.handle_event` (the Lambda handler) with an `S3Store` over a
  boto3 client, timed on the SQS event of ONE uploaded wheel (the uploader's PUT not counted).
  Its S3 calls are counted by type on the handler's client (botocore hook, as in
  bench/requests_per_upload.py).
* s3pypi: `s3pypi.core.upload_packages` (the code behind `s3pypi upload`) in a warm process,
  without and with `--put-root-index`; and the `s3pypi upload` CLI as a whole process.
* dumb-pypi: a partial rebuild (`--previous-package-list-json`) of the same index on local disk;
  publishing its output to S3 is not part of it (no S3 calls).

pyshelf and s3pypi talk to the same moto server (ThreadedMotoServer on 127.0.0.1, started here,
gone when this script exits), so each pays real HTTP. Calls of the peers are counted from that
server's request log. The peers run in a subprocess of the bench virtualenv (bench/peers_worker.py
in `.venv-bench`, made by `make bench-peers`); pyshelf runs here, in `.venv`.

    make bench-peers                                   # N = 1, 100, 5000; M = 1000
    .venv/bin/python bench/peers.py --n 1 100 --m 50   # quicker
    .venv/bin/python bench/peers.py --plot docs/perf.png
    .venv/bin/python bench/peers.py --pyshelf-n 50000  # also pyshelf alone at N = 50,000

The fixture is written directly (small wheels, PUT in parallel), pyshelf's derived state built by
its own `reindex`, s3pypi's index pages by s3pypi's own `S3Storage.put_index`, dumb-pypi's input as
a JSON package list. See docs/requests.md ("Peers").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from packaging.utils import NormalizedName, canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from distbuild import wheel
from requests_per_upload import REGION, RequestCounter, notification, sqs_event

from pyshelf.core import layout
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.regenerate import reindex
from pyshelf.storage.s3 import S3Store

ROOT = Path(__file__).resolve().parent.parent
BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
WORKER = Path(__file__).resolve().parent / "peers_worker.py"
BIG = canonicalize_name("big")
REPS = 5
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ---------------------------------------------------------------- the server and its request log


class RequestLog(logging.Handler):
    """Every request line the moto server logs (werkzeug's request log), by kind."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            with self.guard:
                self.lines.append(ANSI.sub("", args[0]))

    def take(self) -> Counter[str]:
        with self.guard:
            lines, self.lines = self.lines, []
        return Counter(kind_of(line) for line in lines)


def kind_of(request_line: str) -> str:
    method, target = request_line.split(" ")[:2]
    if method == "POST" and target.split("?")[0] == "/":
        return "DDB"  # the AWS JSON protocol: here, only s3pypi's lock-table lookup
    if method == "GET" and re.search(r"[?&](list-type|delimiter|prefix)=", target):
        return "LIST"
    return method


@contextmanager
def moto_server() -> Iterator[tuple[str, RequestLog]]:
    log = RequestLog()
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.addHandler(log)
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}", log
    finally:
        server.stop()


def isolate_environment(endpoint: str) -> None:
    """Fake credentials, no profile files, every AWS endpoint on the loopback server, and any
    other destination refused (a dead proxy): nothing here can reach AWS."""
    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ENDPOINT_URL": endpoint,
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    os.environ.update(fake)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)


# ---------------------------------------------------------------- the peers' worker


class Worker:
    """bench/peers_worker.py in the bench virtualenv, one JSON request and answer per line."""

    def __init__(self) -> None:
        if not BENCH_PYTHON.exists():
            raise SystemExit(f"{BENCH_PYTHON} is missing: run `make bench-peers`")
        self.process = subprocess.Popen(
            [str(BENCH_PYTHON), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )

    def call(self, op: str, **request: Any) -> float:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"peers worker exited during {op}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise SystemExit(f"peers worker, {op}: {answer['error']}")
        return float(answer["seconds"])

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


# ---------------------------------------------------------------- the fixture


def filename_of(project: NormalizedName, version: str) -> str:
    return f"{project.replace('-', '_')}-{version}-py3-none-any.whl"


@dataclass
class Dist:
    project: NormalizedName
    version: str
    data: bytes = field(repr=False)

    @property
    def filename(self) -> str:
        return filename_of(self.project, self.version)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def make_dist(project: NormalizedName, version: str) -> Dist:
    return Dist(project, version, wheel(project, version))


class Index:
    """The same index for the three systems: M - 1 one-wheel projects and `big`."""

    def __init__(self, endpoint: str, worker: Worker, workdir: Path, m: int) -> None:
        self.endpoint = endpoint
        self.worker = worker
        self.workdir = workdir
        self.client = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        self.shelf = "pyshelf-bench"
        self.s3pypi = "s3pypi-bench"
        for bucket in (self.shelf, self.s3pypi):
            self.client.create_bucket(Bucket=bucket)
        self.dists: list[Dist] = []
        self.big = 0
        self.listing = 0
        others = [canonicalize_name(f"other-{i:04d}") for i in range(1, m)]
        self._add([make_dist(project, "1.0") for project in others] + [make_dist(BIG, "1.0")])
        reindex(S3Store(self.client, self.shelf), [*others, BIG])
        pages: dict[str, list[tuple[str, str]]] = {}
        for dist in self.dists:
            pages.setdefault(dist.project, []).append((dist.filename, dist.sha256))
        worker.call("s3pypi_index", endpoint=endpoint, bucket=self.s3pypi, pages=pages, root=True)
        self.dumb_previous: str | None = None
        self.dumb_output = str(workdir / "dumb-pypi")

    def _add(self, dists: list[Dist]) -> None:
        """Write the files into both buckets directly in the server's backend (this process
        runs the server): the fixture, not measured, without an HTTP request per file."""
        backend = get_backend("s3")[DEFAULT_ACCOUNT_ID]["aws"]
        for dist in dists:
            for bucket in (self.shelf, self.s3pypi):
                key = layout.distribution_key(dist.project, dist.filename)
                backend.put_object(bucket, key, dist.data)
        self.dists += dists
        self.big += sum(1 for dist in dists if dist.project == BIG)

    def grow(self, n: int) -> None:
        """Bring `big` to n files in all three (pyshelf through its reindex)."""
        if n <= self.big:
            return
        self._add([make_dist(BIG, f"1.{i}") for i in range(self.big, n)])
        reindex(S3Store(self.client, self.shelf), [BIG])
        files = [(d.filename, d.sha256) for d in self.dists if d.project == BIG]
        self.worker.call(
            "s3pypi_index",
            endpoint=self.endpoint,
            bucket=self.s3pypi,
            pages={BIG: files},
            root=False,
        )

    def upload(self, bucket: str, dist: Dist) -> dict[str, Any]:
        """The uploader's PUT (not measured); the S3 notification of it."""
        key = layout.distribution_key(dist.project, dist.filename)
        etag = self.client.put_object(Bucket=bucket, Key=key, Body=dist.data)["ETag"]
        self.dists.append(dist)
        self.big += 1
        return notification(bucket, key, len(dist.data), etag)

    def dumb_list(self) -> str:
        """The package list dumb-pypi reads (JSON lines), as of now."""
        self.listing += 1
        path = self.workdir / f"packages-{self.listing}.json"
        with path.open("w") as out:
            for stamp, dist in enumerate(self.dists):
                entry = {
                    "filename": dist.filename,
                    "hash": f"sha256={dist.sha256}",
                    "upload_timestamp": 1_700_000_000 + stamp,
                }
                out.write(json.dumps(entry) + "\n")
        return str(path)


# ---------------------------------------------------------------- the measurements


@dataclass
class Sample:
    seconds: float
    calls: Counter[str]


@dataclass
class Result:
    system: str
    n: int
    samples: list[Sample]

    @property
    def median_ms(self) -> float:
        return statistics.median(s.seconds for s in self.samples) * 1000

    @property
    def calls(self) -> Counter[str] | None:
        """The calls of the last sample (None when the system makes no S3 calls)."""
        return self.samples[-1].calls if self.samples[-1].calls else None


class Runs:
    def __init__(self, index: Index, log: RequestLog, reps: int) -> None:
        self.index = index
        self.log = log
        self.reps = reps
        self.tag = 0
        self.store_client = boto3.client("s3", region_name=REGION, endpoint_url=index.endpoint)
        self.counter = RequestCounter(self.store_client)
        self.store = S3Store(self.store_client, index.shelf)

    def next_dist(self) -> Dist:
        self.tag += 1
        return make_dist(BIG, f"9.{self.tag}")

    def repeat(self, system: str, n: int, once: Any) -> Result:
        once()  # warm
        return Result(system, n, [once() for _ in range(self.reps)])

    def pyshelf(self, n: int) -> list[Result]:
        """The handler as deployed (it has a queue to send follow-ups on): the event of the
        upload, then, timed apart, the follow-up that writes the page for people."""
        follow_ups: list[Sample] = []

        def once() -> Sample:
            body = self.index.upload(self.index.shelf, self.next_dist())
            sent: list[str] = []
            sample = self._handled(n, sqs_event(body, str(uuid.uuid4())), sent)
            if len(sent) != 1:
                raise SystemExit(f"pyshelf N={n}: expected one follow-up, sent {sent}")
            follow_ups.append(self._handled(n, sqs_event(json.loads(sent[0]), "follow"), []))
            return sample

        event = self.repeat("pyshelf", n, once)
        return [event, Result("pyshelf follow-up (people)", n, follow_ups[1:])]

    def _handled(self, n: int, event: dict[str, Any], sent: list[str]) -> Sample:
        self.counter.take()
        self.log.take()
        started = time.perf_counter()
        response = handle_event(event, self.store, requeue=sent.append)
        seconds = time.perf_counter() - started
        if response["batchItemFailures"]:
            raise SystemExit(f"pyshelf N={n}: handler reported {response}")
        calls = Counter(call.kind for call in self.counter.take())
        seen = self.log.take()
        if sum(seen.values()) != sum(calls.values()):
            raise SystemExit(f"pyshelf N={n}: client counted {calls}, server saw {seen}")
        return Sample(seconds, calls)

    def _wheel_file(self) -> tuple[Dist, Path]:
        dist = self.next_dist()
        path = self.index.workdir / dist.filename
        path.write_bytes(dist.data)
        return dist, path

    def s3pypi(self, n: int, root: bool) -> Result:
        def once() -> Sample:
            dist, path = self._wheel_file()
            self.log.take()
            seconds = self.index.worker.call(
                "s3pypi_upload",
                endpoint=self.index.endpoint,
                bucket=self.index.s3pypi,
                path=str(path),
                root=root,
            )
            self.index.dists.append(dist)
            self.index.big += 1
            return Sample(seconds, self.log.take())

        return self.repeat("s3pypi --put-root-index" if root else "s3pypi", n, once)

    def s3pypi_cli(self, n: int) -> Result:
        command = [str(BENCH_PYTHON), "-m", "s3pypi", "upload", "--bucket", self.index.s3pypi]
        command += ["--s3-endpoint-url", self.index.endpoint, "--region", REGION]

        def once() -> Sample:
            dist, path = self._wheel_file()
            self.log.take()
            started = time.perf_counter()
            subprocess.run([*command, str(path)], check=True, capture_output=True)
            seconds = time.perf_counter() - started
            self.index.dists.append(dist)
            self.index.big += 1
            return Sample(seconds, self.log.take())

        return self.repeat("s3pypi CLI (process)", n, once)

    def dumb_pypi(self, n: int) -> Result:
        index = self.index
        if index.dumb_previous is None or not Path(index.dumb_output).exists():
            index.dumb_previous = index.dumb_list()
            index.worker.call(
                "dumb", packages=index.dumb_previous, previous=None, output=index.dumb_output
            )

        def once() -> Sample:
            index.dists.append(self.next_dist())
            index.big += 1
            current = index.dumb_list()
            seconds = index.worker.call(
                "dumb", packages=current, previous=index.dumb_previous, output=index.dumb_output
            )
            index.dumb_previous = current
            return Sample(seconds, Counter())

        return self.repeat("dumb-pypi (partial, disk)", n, once)


# ---------------------------------------------------------------- the report

CALL_ORDER = ("LIST", "GET", "HEAD", "PUT", "DELETE", "DDB")


def format_calls(calls: Counter[str] | None) -> str:
    if calls is None:
        return "none (local disk)"
    parts = [f"{calls[k]} {k}" for k in CALL_ORDER if calls[k]]
    parts += [f"{v} {k}" for k, v in sorted(calls.items()) if k not in CALL_ORDER]
    return f"{sum(calls.values())}: " + ", ".join(parts)


def report(results: list[Result], m: int, reps: int) -> str:
    lines = [
        f"+1 file into a project of N files, M = {m} projects; median of {reps}, warm",
        f"{'system':<26} {'N':>6} {'+1 ms':>9} {'x pyshelf':>9}  calls (by type)",
    ]
    shelf = {r.n: r.median_ms for r in results if r.system == "pyshelf"}
    for result in results:
        base = shelf.get(result.n)
        ratio = f"{result.median_ms / base:>9.2f}" if base else f"{'':>9}"
        lines.append(
            f"{result.system:<26} {result.n:>6} {result.median_ms:>9.1f} {ratio}  "
            f"{format_calls(result.calls)}"
        )
    return "\n".join(lines)


def plot(worker: Worker, results: list[Result], m: int, path: Path) -> None:
    series: dict[str, dict[str, list[float]]] = {}
    for result in results:
        entry = series.setdefault(result.system, {"n": [], "ms": []})
        entry["n"].append(result.n)
        entry["ms"].append(result.median_ms)
    worker.call(
        "plot",
        title=f"+1 file into a project of N files (M = {m} projects)",
        results=[{"label": label, **data} for label, data in series.items()],
        path=str(path.resolve()),
    )


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 100, 5000], help="project sizes")
    parser.add_argument("--m", type=int, default=1000, help="projects in the index")
    parser.add_argument("--pyshelf-n", type=int, nargs="*", default=[], help="pyshelf alone")
    parser.add_argument("--reps", type=int, default=REPS, help="timed runs (after one warm-up)")
    parser.add_argument("--plot", type=Path, help="also draw this PNG (matplotlib, bench venv)")
    parser.add_argument("--timeout", type=float, default=900, help="stop after this many seconds")
    return parser.parse_args(argv)


def watchdog(seconds: float) -> None:
    def expire() -> None:
        print(f"peers.py: still running after {seconds:.0f}s; stopping", file=sys.stderr)
        os._exit(2)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def measure(
    args: argparse.Namespace, endpoint: str, log: RequestLog, workdir: Path
) -> list[Result]:
    worker = Worker()
    try:
        started = time.monotonic()
        index = Index(endpoint, worker, workdir, args.m)
        runs = Runs(index, log, args.reps)
        results: list[Result] = []
        for n in sorted(set(args.n)):
            index.grow(n)
            print(f"  N={n}: fixture ready at {time.monotonic() - started:.0f}s", file=sys.stderr)
            results += [
                *runs.pyshelf(n),
                runs.s3pypi(n, root=False),
                runs.s3pypi(n, root=True),
                runs.s3pypi_cli(n),
                runs.dumb_pypi(n),
            ]
        for n in sorted(set(args.pyshelf_n)):
            index.grow(n)
            print(f"  N={n}: fixture ready at {time.monotonic() - started:.0f}s", file=sys.stderr)
            results += runs.pyshelf(n)
        if args.plot:
            plot(worker, results, args.m, args.plot)
        return results
    finally:
        worker.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    watchdog(args.timeout)
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    with moto_server() as (endpoint, log), tempfile.TemporaryDirectory() as tmp:
        isolate_environment(endpoint)
        results = measure(args, endpoint, log, Path(tmp))
    print(report(results, args.m, args.reps))
    print(f"wall time: {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
