from __future__ import annotations

import json
from typing import Any

from pyshelf.local.sqs_events import failed_ids, keys_named, lambda_event


def _message(body: dict[str, Any] | str, message_id: str = "m1") -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "MessageId": message_id,
        "ReceiptHandle": "rh-" + message_id,
        "Body": text,
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "2"},
    }


def _s3_event(key: str, bucket: str = "pyshelf", name: str = "ObjectCreated:Put") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": name,
                "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
            }
        ]
    }


def test_lambda_event_is_sqs_shaped() -> None:
    event = lambda_event([_message("{}")], queue_arn="arn:q", region="us-east-1")
    [record] = event["Records"]
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "rh-m1"
    assert record["body"] == "{}"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:q"
    assert record["attributes"]["ApproximateReceiveCount"] == "2"


def test_failed_ids() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}
    assert failed_ids(response) == {"a", "b"}
    assert failed_ids({"batchItemFailures": []}) == set()
    assert failed_ids(None) == set()


def test_keys_named_decodes_and_filters_by_bucket() -> None:
    messages = [
        _message(_s3_event("foo/foo-1.0%2Blocal-py3-none-any.whl"), "a"),
        _message(_s3_event("foo/a+b.whl"), "b"),
        _message(_s3_event("x.whl", bucket="other"), "c"),
        _message({"Service": "Amazon S3", "Event": "s3:TestEvent"}, "d"),
        _message("not json", "e"),
    ]
    assert keys_named(messages, "pyshelf") == ["foo/foo-1.0+local-py3-none-any.whl", "foo/a b.whl"]
