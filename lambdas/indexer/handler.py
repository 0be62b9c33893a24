"""Lambda entry point of the indexer: a thin shell over `pyshelf.indexer.batch.handle_event`."""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3

from pyshelf.core import logs
from pyshelf.indexer.batch import handle_event
from pyshelf.storage.s3 import S3Store

logs.configure()


@functools.cache
def _store(bucket: str) -> S3Store:
    """One S3 client per warm container (built on first use, not at import)."""
    return S3Store(boto3.client("s3"), bucket)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """SQS batch (or plain S3 notification) in, SQS partial batch response out."""
    return handle_event(event, _store(os.environ["PACKAGES_BUCKET"]))
