"""A command's target resolved: the stack's outputs read, the bucket checked, the clients built."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import click
from botocore.config import Config
from botocore.exceptions import ClientError, InvalidRegionError

from pyshelf.cli.errors import CliError
from pyshelf.cli.run.aws_errors import aws_errors
from pyshelf.cli.target import TargetOptions
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET_OUTPUT = "BucketName"
INDEX_URL_OUTPUT = "IndexUrl"
_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10)
_PATH_STYLE = Config(s3={"addressing_style": "path"})


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target: the bucket to work on and, if known, the public index URL."""

    bucket: str
    index_url: str | None
    endpoint_url: str | None
    profile: str | None
    region: str | None


def session_of(options: TargetOptions) -> boto3.Session:
    with aws_errors():
        return boto3.Session(profile_name=options.profile, region_name=options.region)


def resolve(options: TargetOptions, session: boto3.Session) -> Target:
    """The target: explicit options, completed from the stack's outputs when --stack is given."""
    overridden = bool(options.bucket and options.index_url)  # nothing left to read
    outputs = stack_outputs(session, options.stack) if options.stack and not overridden else {}
    bucket = options.bucket or outputs.get(BUCKET_OUTPUT)
    if not bucket:
        if options.stack:
            raise CliError(f"stack {options.stack!r} has no {BUCKET_OUTPUT} output")
        raise click.UsageError(
            "no target: pass --stack NAME or --bucket NAME (or set PYSHELF_STACK/PYSHELF_BUCKET)"
        )
    index_url = options.index_url or outputs.get(INDEX_URL_OUTPUT)
    return Target(
        bucket=bucket.removeprefix("s3://").strip("/"),
        index_url=index_url.rstrip("/") + "/" if index_url else None,
        endpoint_url=options.endpoint_url,
        profile=options.profile,
        region=options.region,
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

    def errors(self) -> AbstractContextManager[None]:
        """Context manager mapping AWS failures on this target to one-line errors."""
        return aws_errors(bucket=self.target.bucket, endpoint=self.target.endpoint_url)

    def url_of(self, key: str) -> str:
        return f"s3://{self.target.bucket}/{key}"


def connect(options: TargetOptions) -> Connection:
    """Resolve the target (reading the stack if asked) and build its clients."""
    session = session_of(options)
    target = resolve(options, session)
    config = _CLIENT_CONFIG.merge(_PATH_STYLE) if target.endpoint_url else _CLIENT_CONFIG
    with aws_errors(endpoint=target.endpoint_url):
        try:
            s3 = session.client("s3", endpoint_url=target.endpoint_url, config=config)
        except InvalidRegionError as exc:
            raise click.UsageError(f"--region: {exc}") from None
        except ValueError as exc:  # botocore: "Invalid endpoint: ..."
            raise click.UsageError(f"--endpoint-url: {exc}") from None
    connection = Connection(target, s3, S3Store(s3, target.bucket))
    _check_bucket(connection)
    return connection


def _check_bucket(connection: Connection) -> None:
    """One HEAD of the bucket, so a missing bucket is said as such (a HEAD of a key in a missing
    bucket is a bare 404, which would read as "no such file")."""
    with connection.errors():
        connection.s3.head_bucket(Bucket=connection.target.bucket)
