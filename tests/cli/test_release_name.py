"""`pyshelf release-name` asks the indexer to free a reserved name, as `pyshelf reindex` asks for
a rebuild: a request on the events queue, then the indexer's report. In-process moto (S3 +
SQS); the indexer is the local worker, keeping the private set in a store in memory."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest
from click.testing import Result
from distbuild import wheel
from packaging.utils import NormalizedName

from cli.helpers import BUCKET, REGION, Run, publish, queued, running
from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core import layout
from pyshelf.core.private_names import project_key
from pyshelf.core.reindex_request import report_key
from pyshelf.indexer import requested
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.private_set import write_tombstone
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.local.provision import Queues
from pyshelf.local.worker import Worker
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

FAST = ("--interval", "0.02")
OLD, FOO = NormalizedName("old-tool"), NormalizedName("foo")


@pytest.fixture
def names() -> MemoryKeyValueStore:
    return MemoryKeyValueStore()


@pytest.fixture
def worker(sqs: SQSClient, queues: Queues, shelf: S3Store, names: MemoryKeyValueStore) -> Worker:
    handler = functools.partial(handle_event, store=shelf, project_set=ProjectSet(names))
    return Worker(sqs, queue_url=queues.url, queue_arn=queues.arn, region=REGION, handler=handler)


def release(run: Run, queues: Queues, *args: str) -> Result:
    return run("release-name", *FAST, "--queue-url", queues.url, *args)


def _reserve(shelf: S3Store, names: MemoryKeyValueStore, project: NormalizedName) -> None:
    """What the indexer leaves when a project's last file goes: a tombstone and `reserved`."""
    write_tombstone(shelf, project)
    ProjectSet(names).retire(project)


def test_a_reserved_name_is_released(
    run: Run, queues: Queues, shelf: S3Store, names: MemoryKeyValueStore, worker: Worker
) -> None:
    _reserve(shelf, names, OLD)
    with running(worker):
        result = release(run, queues, "Old_Tool")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("released old-tool: no longer private here;")
    assert "sent release-name request " in result.stderr
    assert names.get(project_key(OLD)) is None
    assert shelf.head(layout.tombstone_key(OLD)) is None


def test_a_project_with_files_is_refused_in_one_line(
    run: Run, queues: Queues, shelf: S3Store, names: MemoryKeyValueStore, worker: Worker
) -> None:
    shelf.put("foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"), content_type="application/zip")
    publish(shelf)
    names.put(project_key(FOO), "live", if_match=names.etag())
    with running(worker):
        result = release(run, queues, "foo")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[-1] == (
        "Error: foo still has files here: delete them first (pyshelf delete foo)"
    )
    assert names.get(project_key(FOO)) == "live"


def test_a_name_that_is_not_reserved_is_an_error(run: Run, queues: Queues, worker: Worker) -> None:
    with running(worker):
        result = release(run, queues, "nope")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[-1] == (
        "Error: nope is not reserved here (no tombstone, no private-set key)"
    )


def test_a_set_that_kept_changing_asks_to_run_again(
    run: Run, queues: Queues, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requested, "release_name", lambda *args: "still-changing")
    with running(worker):
        result = release(run, queues, "busy")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: the private set kept changing while busy was released; run again"
    )


def test_no_wait_sends_the_normalized_request_only(
    run: Run, queues: Queues, sqs: SQSClient
) -> None:
    result = release(run, queues, "--no-wait", "Old.Tool")
    assert result.exit_code == 0, result.output
    [body] = queued(sqs, queues.url)
    assert body == {"pyshelf": "release-name", "request": body["request"], "project": "old-tool"}
    assert result.stdout.splitlines() == [
        f"request: {body['request']}",
        f"report: s3://{BUCKET}/{report_key(body['request'])}",
    ]


def test_no_report_in_time_is_a_timeout_naming_the_request(
    run: Run, queues: Queues, sqs: SQSClient
) -> None:
    result = release(run, queues, "--timeout", "0.2", "old-tool")
    assert result.exit_code == 5
    [body] = queued(sqs, queues.url)
    assert result.stderr.splitlines()[-1] == (
        f"Error: no report for release-name request {body['request']} after 0.2s (is the "
        f"indexer running?); it will appear at s3://{BUCKET}/{report_key(body['request'])}"
    )


def test_an_invalid_name_is_a_usage_error(run: Run) -> None:
    result = run("release-name", "not a name")
    assert result.exit_code == 2
    assert "'not a name' is not a valid project name" in result.stderr
