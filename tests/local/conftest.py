from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pyshelf.local import aws
from pyshelf.local.emulator import Emulator

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_names = itertools.count()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One in-process moto server for the unit tests; each test uses its own bucket/queues."""
    with Emulator("127.0.0.1", 0) as running:
        yield running


@pytest.fixture(scope="session")
def s3(emulator: Emulator) -> S3Client:
    return aws.s3_client(emulator.endpoint)


@pytest.fixture(scope="session")
def sqs(emulator: Emulator) -> SQSClient:
    return aws.sqs_client(emulator.endpoint)


@pytest.fixture
def bucket(s3: S3Client) -> str:
    name = f"test-bucket-{next(_names)}"
    s3.create_bucket(Bucket=name)
    return name
