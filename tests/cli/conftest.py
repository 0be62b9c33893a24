"""Fixtures of the CLI tests: a clean AWS environment and an in-process moto bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from click.testing import Result
from moto import mock_aws

from cli.helpers import BUCKET, REGION, Run, invoke
from pyshelf.local.provision import Queues, create_queues
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "PYSHELF_STACK",
    "PYSHELF_BUCKET",
    "PYSHELF_INDEX_URL",
    "PYSHELF_ENDPOINT_URL",
    "PYSHELF_PROFILE",
    "PYSHELF_REGION",
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, one region, no profile, no AWS config files, no PYSHELF_* targets."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def s3(aws_env: None) -> Iterator[object]:
    """An in-process moto S3 with a versioned bucket; yields the client."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


@pytest.fixture
def shelf(s3: object) -> S3Store:
    return S3Store(s3, BUCKET)  # type: ignore[arg-type]


@pytest.fixture
def run(s3: object) -> Run:
    """`pyshelf COMMAND --bucket BUCKET ARGS` against the moto bucket."""

    def run_command(command: str, *args: str, input: str | None = None) -> Result:
        return invoke(command, "--bucket", BUCKET, *args, input=input)

    return run_command


@pytest.fixture
def sqs(s3: object) -> SQSClient:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def queues(sqs: SQSClient) -> Queues:
    """`pyshelf serve`'s events queue (and its DLQ), in moto."""
    return create_queues(sqs, BUCKET)
