"""A real `pyshelf reindex` subprocess against a real `pyshelf serve`: the request goes on serve's
events queue (found by name from --endpoint-url), serve's indexer performs it and the command
prints the indexer's report."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from cli.helpers import FORGED, forge
from distbuild import wheel

from local import served
from pyshelf.core.reindex_request import report_key
from pyshelf.local import aws
from pyshelf.storage.s3 import S3Store

pytestmark = pytest.mark.e2e
WHEEL = "foo/foo-1.0-py3-none-any.whl"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Served]:
    yield from served.serving(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return served.client_env(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def store(server: served.Served) -> S3Store:
    """serve's bucket, with foo 1.0 indexed."""
    bucket = S3Store(aws.s3_client(server.s3_endpoint), server.bucket)
    bucket.put(WHEEL, wheel("foo", "1.0"), content_type="application/zip")
    server.wait_listed("foo", {WHEEL.split("/")[1]})
    return bucket


def reindex(
    server: served.Served, env: dict[str, str], *args: str, bucket: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pyshelf.cli", "reindex", *args]
    command += ["--endpoint-url", server.s3_endpoint, "--bucket", bucket or server.bucket]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def body_of(store: S3Store, key: str) -> bytes:
    blob = store.get(key)
    assert blob is not None
    return blob.body


def test_the_indexer_repairs_a_forged_page(
    server: served.Served, env: dict[str, str], store: S3Store
) -> None:
    real = forge(store, "foo/index.html")
    assert body_of(store, "foo/index.html") == FORGED
    done = reindex(server, env, "foo", "--timeout", "60")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "foo: rebuilt, 1 file(s)\nreindexed 1 project(s) and the root\n"
    assert body_of(store, "foo/index.html") == real


def test_an_unknown_project_exits_1_naming_it(
    server: served.Served, env: dict[str, str], store: S3Store
) -> None:
    done = reindex(server, env, "foo", "nope", "--timeout", "60")
    assert done.returncode == 1, done.stderr
    assert done.stdout == "foo: unchanged, 1 file(s)\nnope: unknown\n"
    assert done.stderr.splitlines()[-1] == (
        "Error: no such project in the bucket: nope (`pyshelf list` shows the published projects)"
    )


def test_no_wait_prints_the_request_and_the_indexer_performs_it(
    server: served.Served, env: dict[str, str], store: S3Store
) -> None:
    done = reindex(server, env, "--all", "--no-wait")
    assert done.returncode == 0, done.stderr
    [request_line, report_line] = done.stdout.splitlines()
    request_id = request_line.removeprefix("request: ")
    key = report_key(request_id)
    assert report_line == f"report: s3://{server.bucket}/{key}"
    deadline = time.monotonic() + served.VISIBLE_TIMEOUT
    while (blob := store.get(key)) is None:
        assert time.monotonic() < deadline, f"no report {key}"
        time.sleep(0.1)
    report = json.loads(blob.body)
    assert report["request"] == request_id
    assert [(p["name"], p["outcome"]) for p in report["projects"]] == [("foo", "unchanged")]


def test_a_bucket_without_an_events_queue(server: served.Served, env: dict[str, str]) -> None:
    aws.s3_client(server.s3_endpoint).create_bucket(Bucket="no-indexer")
    done = reindex(server, env, "foo", bucket="no-indexer")
    assert (done.returncode, done.stderr) == (
        1,
        f"Error: no queue 'no-indexer-events' at {server.s3_endpoint} "
        "(AWS.SimpleQueueService.NonExistentQueue): pass --queue-url URL (PYSHELF_QUEUE_URL), "
        "or --direct to rebuild with your own credentials\n",
    )
    direct = reindex(server, env, "foo", "--direct", bucket="no-indexer")
    assert (direct.returncode, direct.stdout) == (1, "foo: unknown\n")
