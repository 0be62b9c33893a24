"""`pyshelf reindex` asks the indexer: a request on the events queue, then the indexer's report.
In-process moto (S3 + SQS); the indexer is the local worker feeding the received messages to
`handle_event`, as the Lambda's event source mapping does. `--direct` rebuilds in the CLI."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from click.testing import Result
from distbuild import wheel
from moto import mock_aws

from cli.helpers import BUCKET, FORGED, REGION, Run, forge, invoke, publish, queued, running
from pyshelf.core.reindex_request import report_key
from pyshelf.indexer import requested
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.regenerate import StillChanging
from pyshelf.local.provision import Queues
from pyshelf.local.worker import Worker
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

FAST = ("--interval", "0.02")
NO_QUEUE_HINT = "or --direct to rebuild with your own credentials"


@pytest.fixture
def worker(sqs: SQSClient, queues: Queues, shelf: S3Store) -> Worker:
    """The indexer: what the Lambda does with each batch the queue delivers."""
    handler = functools.partial(handle_event, store=shelf)
    return Worker(sqs, queue_url=queues.url, queue_arn=queues.arn, region=REGION, handler=handler)


@pytest.fixture
def published(shelf: S3Store) -> S3Store:
    """foo 1.0 and bar 2.0 in the bucket, with their pages."""
    for name, version in (("foo", "1.0"), ("bar", "2.0")):
        key = f"{name}/{name}-{version}-py3-none-any.whl"
        shelf.put(key, wheel(name, version), content_type="application/zip")
    publish(shelf)
    return shelf


def page(store: S3Store, key: str) -> bytes:
    blob = store.get(key)
    assert blob is not None
    return blob.body


def reindex(run: Run, *args: str) -> Result:
    return run("reindex", *FAST, *args)


Ask = Callable[..., Result]


@pytest.fixture
def ask(run: Run, queues: Queues) -> Ask:
    """`pyshelf reindex --queue-url <the events queue> ARGS`."""
    return functools.partial(reindex, run, "--queue-url", queues.url)


def test_the_indexer_repairs_a_forged_page_and_the_cli_prints_its_report(
    ask: Ask, published: S3Store, worker: Worker
) -> None:
    real = forge(published, "foo/index.html")
    with running(worker, after=0.5):  # the CLI polls for the report a few times first
        result = ask("foo", "Bar")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "bar: unchanged, 1 file(s)",
        "foo: rebuilt, 1 file(s)",
        "reindexed 2 project(s) and the root",
    ]
    assert "waiting up to 300s for its report" in result.stderr
    assert page(published, "foo/index.html") == real


def test_no_wait_only_sends_the_request_and_the_indexer_performs_it(
    ask: Ask, published: S3Store, worker: Worker
) -> None:
    real = forge(published, "foo/index.html")
    result = ask("--no-wait", "--all")
    assert result.exit_code == 0, result.output
    [request_line, report_line] = result.stdout.splitlines()
    request_id = request_line.removeprefix("request: ")
    key = report_key(request_id)
    assert report_line == f"report: s3://{BUCKET}/{key}"
    # The CLI wrote nothing: the page is still forged and no report exists yet.
    assert page(published, "foo/index.html") == FORGED
    assert published.get(key) is None
    assert worker.poll_once(wait_seconds=0) == 1
    assert page(published, "foo/index.html") == real
    assert json.loads(page(published, key))["request"] == request_id


def test_the_request_on_the_queue(ask: Ask, sqs: SQSClient, queues: Queues) -> None:
    assert ask("--no-wait", "Foo", "bar", "foo").exit_code == 0
    [body] = queued(sqs, queues.url)
    assert body == {"pyshelf": "reindex", "request": body["request"], "projects": ["bar", "foo"]}


def test_an_unknown_project_is_an_error_after_the_report(
    ask: Ask, published: S3Store, worker: Worker
) -> None:
    with running(worker):
        result = ask("foo", "nope", "zilch")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "foo: unchanged, 1 file(s)",
        "nope: unknown",
        "zilch: unknown",
    ]
    assert result.stderr.splitlines()[-1] == (
        "Error: no such projects in the bucket: nope, zilch "
        "(`pyshelf list` shows the published projects)"
    )


def test_an_unknown_project_is_an_error_naming_the_closest_published_ones(
    ask: Ask, published: S3Store, worker: Worker
) -> None:
    with running(worker):
        result = ask("fooo", "baz")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["baz: unknown", "fooo: unknown"]
    assert result.stderr.splitlines()[-1] == (
        "Error: no such projects in the bucket: baz, fooo; did you mean: bar, foo?"
    )


def test_a_project_still_changing_asks_to_run_again(
    ask: Ask, published: S3Store, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: Any, **kwargs: Any) -> Any:
        raise StillChanging("foo: still changing after 8 attempts")

    monkeypatch.setattr(requested, "regenerate_project", busy)
    with running(worker):
        result = ask("foo")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["foo: still-changing"]
    assert result.stderr.splitlines()[-1] == (
        "Error: foo kept changing during the rebuild; run reindex again for it"
    )


def test_a_project_that_failed_is_named_with_its_reason(
    ask: Ask, published: S3Store, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("connection reset by peer")

    monkeypatch.setattr(requested, "regenerate_project", broken)
    with running(worker):
        result = ask("foo")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["foo: failed: OSError: connection reset by peer"]
    assert result.stderr.splitlines()[-1] == (
        "Error: foo failed (see the reason above and the indexer's log)"
    )


def test_no_report_in_time_is_a_timeout_naming_the_request(
    ask: Ask, sqs: SQSClient, queues: Queues
) -> None:
    result = ask("--timeout", "0.2", "foo")
    assert result.exit_code == 5
    [body] = queued(sqs, queues.url)
    request_id = body["request"]
    assert result.stderr.splitlines()[-1] == (
        f"Error: no report for reindex request {request_id} after 0.2s (is the indexer "
        f"running?); it will appear at s3://{BUCKET}/{report_key(request_id)}"
    )


# Where the queue comes from.


def test_no_queue_says_what_to_pass(run: Run) -> None:
    result = reindex(run, "foo")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no events queue: pass --stack NAME or --queue-url URL (PYSHELF_QUEUE_URL), "
        f"{NO_QUEUE_HINT}\n",
    )


def test_queue_url_option_and_variable(
    run: Run, sqs: SQSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = sqs.create_queue(QueueName="one")["QueueUrl"]
    two = sqs.create_queue(QueueName="two")["QueueUrl"]
    assert reindex(run, "--no-wait", "--queue-url", one, "foo").exit_code == 0
    monkeypatch.setenv("PYSHELF_QUEUE_URL", two)
    assert reindex(run, "--no-wait", "bar").exit_code == 0
    assert [b["projects"] for b in queued(sqs, one)] == [["foo"]]
    assert [b["projects"] for b in queued(sqs, two)] == [["bar"]]


def test_a_queue_in_another_region_is_reached_there(run: Run) -> None:
    """The session's region is us-east-1; the queue URL names its own."""
    elsewhere = boto3.client("sqs", region_name="eu-west-1")
    url = elsewhere.create_queue(QueueName="events")["QueueUrl"]
    assert ".eu-west-1." in url
    result = reindex(run, "--no-wait", "--queue-url", url, "foo")
    assert result.exit_code == 0, result.output
    assert [b["projects"] for b in queued(elsewhere, url)] == [["foo"]]


def test_a_missing_queue_is_one_line(run: Run, queues: Queues) -> None:
    gone = queues.url.rsplit("/", 1)[0] + "/gone"
    result = reindex(run, "--queue-url", gone, "foo")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: no queue at {gone} (check --queue-url/--stack)\n",
    )


def _stack(outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}},
            "Queue": {"Type": "AWS::SQS::Queue"},
        },
        "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}, **outputs},
    }


@pytest.fixture
def stack(aws_env: None) -> Iterator[str]:
    """A (moto) stack `pyshelf-dev` whose outputs name its bucket and its queue."""
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        body = _stack({"QueueUrl": {"Value": {"Ref": "Queue"}}})
        cfn.create_stack(StackName="pyshelf-dev", TemplateBody=json.dumps(body))
        outputs = cfn.describe_stacks(StackName="pyshelf-dev")["Stacks"][0]["Outputs"]
        yield next(o["OutputValue"] for o in outputs if o["OutputKey"] == "QueueUrl")


@pytest.mark.parametrize(
    "given",
    [[], ["--bucket", BUCKET, "--index-url", "https://example.invalid/"]],
    ids=["stack", "stack-with-bucket-and-index-url"],
)
def test_the_stack_output_gives_the_queue(stack: str, given: list[str]) -> None:
    result = invoke("reindex", "--stack", "pyshelf-dev", *given, "--no-wait", "foo")
    assert result.exit_code == 0, result.output
    sqs = boto3.client("sqs", region_name=REGION)
    assert [b["projects"] for b in queued(sqs, stack)] == [["foo"]]


def test_a_given_queue_url_needs_no_stack_read(ask: Ask, sqs: SQSClient, queues: Queues) -> None:
    """With --bucket and --index-url given too, nothing is left to read from the stack."""
    given = ("--stack", "never-deployed", "--index-url", "https://example.invalid/")
    result = ask(*given, "--no-wait", "foo")
    assert result.exit_code == 0, result.output
    assert [b["projects"] for b in queued(sqs, queues.url)] == [["foo"]]


def test_a_stack_without_the_queue_output(aws_env: None) -> None:
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName="pyshelf-old", TemplateBody=json.dumps(_stack({})))
        result = invoke("reindex", "--stack", "pyshelf-old", "foo")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: stack 'pyshelf-old' has no QueueUrl output: pass --queue-url URL "
        f"(PYSHELF_QUEUE_URL), {NO_QUEUE_HINT}\n",
    )


# --direct: the same report, written with the operator's own credentials.


def test_direct_repairs_a_forged_page_without_a_queue(run: Run, published: S3Store) -> None:
    real = forge(published, "foo/index.html")
    result = reindex(run, "--direct", "foo", "bar")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "bar: unchanged, 1 file(s)",
        "foo: rebuilt, 1 file(s)",
        "reindexed 2 project(s) and the root",
    ]
    assert page(published, "foo/index.html") == real


def test_direct_unknown_project(run: Run, published: S3Store) -> None:
    result = reindex(run, "--direct", "nope")
    assert (result.exit_code, result.stdout) == (1, "nope: unknown\n")
    assert result.stderr == (
        "Error: no such project in the bucket: nope (`pyshelf list` shows the published projects)\n"
    )
    result = reindex(run, "--direct", "fo")
    assert (result.exit_code, result.stdout) == (1, "fo: unknown\n")
    assert result.stderr == "Error: no such project in the bucket: fo; did you mean: foo?\n"


def test_direct_does_not_take_no_wait(run: Run) -> None:
    result = reindex(run, "--direct", "--no-wait", "foo")
    assert result.exit_code == 2
    assert "--no-wait applies to a request to the indexer, not to --direct" in result.stderr
