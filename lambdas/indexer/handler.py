"""Lambda entry point of the indexer: a thin shell over `pyshelf.indexer.batch.handle_event`.

With `KVS_ARN` set (an index that falls through to PyPI) the indexer keeps the private set in
that CloudFront KeyValueStore; without it no KeyValueStore client is built or imported. With
`DISTRIBUTION_ID` set it invalidates the edge paths of files replaced or removed on that
distribution (`pyshelf.indexer.invalidation`); without it, none.

The bundle keeps awscrt (SigV4A, needed only by the KeyValueStore API) in its `kvs/` folder
(infra/bundling.py): botocore imports awscrt at load whenever it can find it, so the folder goes
on the path, before boto3 is imported, only when KVS_ARN is set.

The invocation's remaining time (`context.get_remaining_time_in_millis()`) is its deadline: work
it cannot finish in time is handed on as a continuation message on `QUEUE_URL` (the events
queue; `pyshelf.indexer.deadline`). Without `QUEUE_URL` that work's messages fail (retried)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

KVS_ONLY_PATH = Path(__file__).with_name("kvs")
if os.environ.get("KVS_ARN"):
    sys.path.insert(0, str(KVS_ONLY_PATH))

import boto3  # noqa: E402

from pyshelf.core import logs  # noqa: E402
from pyshelf.indexer.batch import Requeue, handle_event  # noqa: E402
from pyshelf.indexer.deadline import Clock, Deadline  # noqa: E402
from pyshelf.indexer.invalidation import CloudFrontInvalidator  # noqa: E402
from pyshelf.indexer.project_set import ProjectSet  # noqa: E402
from pyshelf.storage.s3 import S3Store  # noqa: E402

logs.configure()


@functools.cache
def _store(bucket: str) -> S3Store:
    """One S3 client per warm container (built on first use, not at import)."""
    return S3Store(boto3.client("s3"), bucket)


@functools.cache
def _project_set(arn: str) -> ProjectSet:
    """One KeyValueStore client per warm container; its module is imported only here, so a
    cold start without `KVS_ARN` does not load it."""
    from pyshelf.access.cloudfront import (  # noqa: PLC0415
        CloudFrontKeyValueStore,
        client_for,
    )

    return ProjectSet(CloudFrontKeyValueStore(client_for(boto3.Session()), arn))


@functools.cache
def _invalidator(distribution_id: str) -> CloudFrontInvalidator:
    """One CloudFront client per warm container."""
    return CloudFrontInvalidator(boto3.client("cloudfront"), distribution_id)


@functools.cache
def _requeue(queue_url: str) -> Requeue:
    """Sends a message body to the events queue; one SQS client per warm container."""
    client = boto3.client("sqs")

    def send(body: str) -> None:
        client.send_message(QueueUrl=queue_url, MessageBody=body)

    return send


def _clock(context: object) -> Clock | None:
    """Seconds left in this invocation, from the Lambda context (None: no context)."""
    remaining: Callable[[], int] | None = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return lambda: remaining() / 1000


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """SQS batch (or plain S3 notification) in, SQS partial batch response out."""
    arn = os.environ.get("KVS_ARN")
    project_set = _project_set(arn) if arn else None
    distribution_id = os.environ.get("DISTRIBUTION_ID")
    invalidator = _invalidator(distribution_id) if distribution_id else None
    queue_url = os.environ.get("QUEUE_URL")
    return handle_event(
        event,
        _store(os.environ["PACKAGES_BUCKET"]),
        project_set,
        invalidator,
        deadline=Deadline(_clock(context)),
        requeue=_requeue(queue_url) if queue_url else None,
    )
