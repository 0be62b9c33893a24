"""Builders of real-shaped event JSON (from the fixtures in tests/fixtures/events): S3
notifications with keys encoded as S3 encodes them, and SQS batches around them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

FIXTURES = Path(__file__).parent / "fixtures"
BUCKET = "pyshelf-test"


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "events" / name).read_text())
    return data


def s3_notification(*changes: tuple[str, str], bucket: str = BUCKET) -> dict[str, Any]:
    """An S3 notification built from the real fixtures: (event name, raw key) pairs. Keys are
    URL-encoded the way S3 does it (spaces as '+')."""
    records = []
    for name, key in changes:
        fixture = "s3-delete.json" if name.startswith("ObjectRemoved") else "s3-put.json"
        record = copy.deepcopy(load_fixture(fixture)["Records"][0])
        record["eventName"] = name
        record["s3"]["object"]["key"] = quote_plus(key, safe="/")
        record["s3"]["bucket"]["name"] = bucket
        records.append(record)
    return {"Records": records}


def sqs_event(*bodies: dict[str, Any], receive_count: int = 1) -> dict[str, Any]:
    """An SQS batch (from the real fixture) with one message per notification body."""
    template = load_fixture("sqs-batch.json")["Records"][0]
    records = []
    for index, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["messageId"] = f"message-{index}"
        record["body"] = json.dumps(body)
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


def created(*keys: str) -> dict[str, Any]:
    return s3_notification(*(("ObjectCreated:Put", key) for key in keys))


def removed(*keys: str) -> dict[str, Any]:
    return s3_notification(*(("ObjectRemoved:Delete", key) for key in keys))
