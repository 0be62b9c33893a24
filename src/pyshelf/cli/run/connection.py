"""A command's target resolved: the stack's outputs read, the bucket checked, the clients built."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import click
from botocore.config import Config
from botocore.exceptions import ClientError, InvalidRegionError

from pyshelf.cli.errors import CliError, UsageProblem
from pyshelf.cli.run.aws_errors import aws_errors
from pyshelf.cli.target import TargetOptions
from pyshelf.storage.s3 import S3Store, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

BUCKET_OUTPUT = "BucketName"
INDEX_URL_OUTPUT = "IndexUrl"
QUEUE_URL_OUTPUT = "QueueUrl"
_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10)
_PATH_STYLE = Config(s3={"addressing_style": "path"})
# `pyshelf serve` names its events queue after the bucket (pyshelf.local.provision).
LOCAL_QUEUE_SUFFIX = "-events"
_NO_QUEUE = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
# A queue URL's host names its region: sqs.REGION.amazonaws.com (or legacy REGION.queue...).
_QUEUE_HOST = re.compile(r"^(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com")
_DIRECT_HINT = "or --direct to rebuild with your own credentials"
NO_TARGET = (
    "no target: pass --target NAME (a pyshelf.toml target), --stack NAME, or --bucket NAME "
    "(with --endpoint-url URL for `pyshelf serve` or another S3-compatible store); or set "
    "PYSHELF_TARGET, PYSHELF_STACK or PYSHELF_BUCKET (and PYSHELF_ENDPOINT_URL)"
)


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target: the bucket to work on and, if known, the public index URL and the
    events queue (the stack's `QueueUrl` output, when the stack was read for it)."""

    bucket: str
    index_url: str | None
    endpoint_url: str | None
    profile: str | None
    region: str | None
    stack: str | None = None
    queue_url: str | None = None


def session_of(options: TargetOptions) -> boto3.Session:
    with aws_errors():
        return boto3.Session(profile_name=options.profile, region_name=options.region)


def resolve(options: TargetOptions, session: boto3.Session, *, queue: bool = False) -> Target:
    """The target: explicit options, completed from the stack's outputs when --stack is given
    (`queue`: the events queue is wanted too, so read the stack even if both are given)."""
    overridden = bool(options.bucket and options.index_url) and not queue  # nothing left to read
    outputs = stack_outputs(session, options.stack) if options.stack and not overridden else {}
    bucket = options.bucket or outputs.get(BUCKET_OUTPUT)
    if not bucket:
        if options.stack:
            raise CliError(f"stack {options.stack!r} has no {BUCKET_OUTPUT} output")
        raise UsageProblem(NO_TARGET)
    index_url = options.index_url or outputs.get(INDEX_URL_OUTPUT)
    return Target(
        bucket=bucket.removeprefix("s3://").strip("/"),
        index_url=index_url.rstrip("/") + "/" if index_url else None,
        endpoint_url=options.endpoint_url,
        profile=options.profile,
        region=options.region,
        stack=options.stack,
        queue_url=outputs.get(QUEUE_URL_OUTPUT),
    )


def stack_outputs(session: boto3.Session, stack: str) -> dict[str, str]:
    """The outputs of a deployed CloudFormation stack, by output key."""
    with aws_errors():
        client = session.client("cloudformation", config=_CLIENT_CONFIG)
        try:
            stacks = client.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
                region = client.meta.region_name
                raise CliError(f"unknown stack {stack!r} in region {region}") from None
            raise
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


@dataclass(frozen=True, slots=True)
class Connection:
    """A resolved target with its S3 client and the core's storage adapter over it."""

    target: Target
    s3: S3Client
    store: S3Store
    session: boto3.Session

    def errors(self) -> AbstractContextManager[None]:
        """Context manager mapping AWS failures on this target to one-line errors."""
        return aws_errors(bucket=self.target.bucket, endpoint=self.target.endpoint_url)

    def url_of(self, key: str) -> str:
        return f"s3://{self.target.bucket}/{key}"


def connect(options: TargetOptions, *, queue: bool = False) -> Connection:
    """Resolve the target (reading the stack if asked) and build its clients; `queue`: read the
    stack's events queue too (see `resolve`)."""
    session = session_of(options)
    target = resolve(options, session, queue=queue)
    config = _CLIENT_CONFIG.merge(_PATH_STYLE) if target.endpoint_url else _CLIENT_CONFIG
    with aws_errors(endpoint=target.endpoint_url):
        try:
            s3 = session.client("s3", endpoint_url=target.endpoint_url, config=config)
        except InvalidRegionError as exc:
            raise click.UsageError(f"--region: {exc}") from None
        except ValueError as exc:  # botocore: "Invalid endpoint: ..."
            raise click.UsageError(f"--endpoint-url: {exc}") from None
    connection = Connection(target, s3, S3Store(s3, target.bucket), session)
    _check_bucket(connection)
    return connection


def _check_bucket(connection: Connection) -> None:
    """One HEAD of the bucket, so a missing bucket is said as such (a HEAD of a key in a missing
    bucket is a bare 404, which would read as "no such file")."""
    with connection.errors():
        connection.s3.head_bucket(Bucket=connection.target.bucket)


@dataclass(frozen=True, slots=True)
class EventsQueue:
    """The indexer's events queue, where `pyshelf reindex` puts its requests."""

    url: str
    sqs: SQSClient

    def send(self, body: str) -> None:
        try:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=body)
        except ClientError as exc:
            if error_code(exc) in _NO_QUEUE:
                raise CliError(f"no queue at {self.url} (check --queue-url/--stack)") from None
            raise


def events_queue(connection: Connection, given: str | None) -> EventsQueue:
    """The events queue: `given` (--queue-url), else the stack's `QueueUrl` output, else, with
    --endpoint-url (`pyshelf serve`), the queue named `<bucket>-events` there."""
    target = connection.target
    url = given or target.queue_url
    if url:
        return EventsQueue(url, _sqs_client(connection, _region_of(url)))
    if target.endpoint_url:
        sqs = _sqs_client(connection, None)
        return EventsQueue(_local_queue_url(sqs, target), sqs)
    if target.stack:
        raise CliError(
            f"stack {target.stack!r} has no {QUEUE_URL_OUTPUT} output: pass --queue-url URL "
            f"(PYSHELF_QUEUE_URL), {_DIRECT_HINT}"
        )
    raise CliError(
        f"no events queue: pass --stack NAME or --queue-url URL (PYSHELF_QUEUE_URL), {_DIRECT_HINT}"
    )


def _local_queue_url(sqs: SQSClient, target: Target) -> str:
    name = target.bucket + LOCAL_QUEUE_SUFFIX
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        raise CliError(
            f"no queue {name!r} at {target.endpoint_url} ({error_code(exc) or exc}): pass "
            f"--queue-url URL (PYSHELF_QUEUE_URL), {_DIRECT_HINT}"
        ) from None


def _sqs_client(connection: Connection, region: str | None) -> SQSClient:
    """An SQS client of the connection's session, on its endpoint, or else in the queue's
    region (SQS is regional: a queue URL names its region, which may not be the session's)."""
    endpoint = connection.target.endpoint_url
    with connection.errors():
        return connection.session.client(
            "sqs",
            endpoint_url=endpoint,
            region_name=None if endpoint else region,
            config=_CLIENT_CONFIG,
        )


def _region_of(queue_url: str) -> str | None:
    """The region in an AWS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)."""
    host = queue_url.split("://", 1)[-1]
    found = _QUEUE_HOST.match(host)
    return (found.group(1) or found.group(2)) if found else None
