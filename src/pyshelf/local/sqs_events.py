"""SQS messages as the Lambda service hands them to a function (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pyshelf.core.events import messages_of

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef


def lambda_event(
    messages: Iterable[MessageTypeDef], *, queue_arn: str, region: str
) -> dict[str, Any]:
    """The event an SQS event source mapping would pass to the indexer Lambda."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def failed_ids(response: Mapping[str, Any] | None) -> set[str]:
    """Message IDs a partial batch response reports as failed."""
    items = (response or {}).get("batchItemFailures") or []
    return {str(item["itemIdentifier"]) for item in items}


def keys_named(messages: Iterable[MessageTypeDef], bucket: str) -> list[str]:
    """The object keys (decoded) that the S3 notifications in these messages name."""
    event = lambda_event(messages, queue_arn="", region="")
    return [e.key for message in messages_of(event) for e in message.events if e.bucket == bucket]
