"""Helpers of the CLI tests: the test bucket, a runner that fails on tracebacks, distribution
files on disk, the indexer run the Lambda would do, and a page forged by hand."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner, Result
from distbuild import sdist, wheel

from pyshelf.cli import main
from pyshelf.core import layout
from pyshelf.indexer.regenerate import reindex
from pyshelf.storage import SHA256_META, Storage
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from pyshelf.local.worker import Worker

BUCKET = "shelf-cli"
REGION = "us-east-1"
Run = Callable[..., Result]


def invoke(*args: str, input: str | None = None) -> Result:
    """Run `pyshelf ARGS`; an uncaught exception (a traceback for the user) fails the test."""
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def write_wheel(folder: Path, name: str, version: str, **kwargs: object) -> Path:
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    path.write_bytes(wheel(name, version, **kwargs))  # type: ignore[arg-type]
    return path


def write_sdist(folder: Path, name: str, version: str) -> Path:
    path = folder / f"{name.replace('-', '_')}-{version}.tar.gz"
    path.write_bytes(sdist(name, version))
    return path


def publish(store: S3Store) -> None:
    """What the indexer Lambda does after the uploads: rebuild every page."""
    reindex(store)


@contextmanager
def indexing(store: S3Store, every: float = 0.1) -> Iterator[None]:
    """An indexer running in the background (as the Lambda would after each upload)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            publish(store)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


FORGED = b'<a href="https://evil.example/foo-1.0-py3-none-any.whl">foo-1.0</a>'


def forge(store: Storage, key: str) -> bytes:
    """Overwrite a page with other bytes, copying its recorded `x-amz-meta-sha256` (so only a
    comparison of the stored bytes finds it out); return the real body."""
    real, recorded = store.get(key), store.head(key)
    assert real is not None and recorded is not None and recorded.sha256
    content_type, cache_control = layout.headers_of(key)
    metadata = {SHA256_META: recorded.sha256}
    store.put(
        key, FORGED, content_type=content_type, cache_control=cache_control, metadata=metadata
    )
    return real.body


@contextmanager
def running(worker: Worker, after: float = 0.0) -> Iterator[None]:
    """The worker (the indexer) polling the queue in a thread, from `after` seconds on."""
    starting = threading.Timer(after, worker.start)
    starting.start()
    try:
        yield
    finally:
        starting.join()
        worker.stop()


def queued(sqs: SQSClient, url: str) -> list[dict[str, Any]]:
    """The bodies of the messages waiting on a queue."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]
