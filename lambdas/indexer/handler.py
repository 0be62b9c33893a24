"""Lambda entry point of the indexer: a thin shell over `pyshelf.batch.handle_event`."""

from __future__ import annotations

import os
from typing import Any

import boto3

from pyshelf import logs
from pyshelf.batch import handle_event
from pyshelf.s3store import S3Store

logs.configure()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """SQS batch (or plain S3 notification) in, SQS partial batch response out."""
    bucket = os.environ["PACKAGES_BUCKET"]
    return handle_event(event, S3Store(boto3.client("s3"), bucket))
