"""Shared fixtures: the in-memory store and an in-process moto S3 bucket. Event JSON builders
are in `eventjson.py` (import them from there: every conftest is a module named `conftest`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).parent))

from eventjson import BUCKET

from pyshelf.storage.memory import MemoryStore
from pyshelf.storage.s3 import S3Store

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture
def store() -> MemoryStore:
    """The in-memory `Storage`, held to S3's semantics by tests/storage: for logic tests."""
    return MemoryStore(BUCKET)


@pytest.fixture
def s3_store() -> Iterator[S3Store]:
    """S3Store over a versioned bucket of in-process moto: for what only S3 can show."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield S3Store(client, BUCKET)
