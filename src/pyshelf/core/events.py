"""Typed views of the events the indexer receives (pure): SQS batches whose bodies are S3
notifications (the deployed path), reindex requests (`pyshelf reindex`), release requests
(`pyshelf release-name`) or continuations (work an invocation handed on), or plain S3
notifications (direct invocation)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from pyshelf.core.continuation import Continuation, is_continuation, parse_continuation
from pyshelf.core.reindex_request import ReindexRequest, is_reindex_request, parse_request
from pyshelf.core.release_request import ReleaseRequest, is_release_request, parse_release


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    bucket: str
    key: str  # decoded: S3 sends keys URL-encoded with '+' for space
    name: str  # e.g. "ObjectCreated:Put"

    @property
    def removed(self) -> bool:
        return self.name.startswith("ObjectRemoved")


# The message id of a plain (non-SQS) S3 event: it is retried as a whole.
PLAIN_S3_EVENT = "s3-event"


@dataclass(frozen=True, slots=True)
class Message:
    """One unit of retry: an SQS message, or the whole plain S3 event."""

    message_id: str
    receive_count: int
    events: tuple[ObjectEvent, ...]
    problem: str | None = None  # set when the body could not be read
    reindex: ReindexRequest | None = None  # a `pyshelf reindex` request instead of events
    release: ReleaseRequest | None = None  # a `pyshelf release-name` request instead of events
    continuation: Continuation | None = None  # work an earlier invocation handed on


def messages_of(event: Mapping[str, Any]) -> list[Message]:
    records = event.get("Records") or []
    if records and all(r.get("eventSource") == "aws:sqs" for r in records):
        return [_sqs_message(record) for record in records]
    return [Message(PLAIN_S3_EVENT, 1, parse_notification(event))]


def parse_notification(document: Mapping[str, Any]) -> tuple[ObjectEvent, ...]:
    """Object events of one S3 notification; `s3:TestEvent` and non-S3 records give none."""
    if document.get("Event") == "s3:TestEvent":
        return ()
    events = []
    for record in document.get("Records") or []:
        if record.get("eventSource") != "aws:s3":
            continue
        s3 = record["s3"]
        key = unquote_plus(s3["object"]["key"])
        events.append(ObjectEvent(s3["bucket"]["name"], key, record["eventName"]))
    return tuple(events)


def _sqs_message(record: Mapping[str, Any]) -> Message:
    message_id = str(record["messageId"])
    count = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        body = json.loads(record["body"])
        if isinstance(body, dict) and is_reindex_request(body):
            return Message(message_id, count, (), reindex=parse_request(body))
        if isinstance(body, dict) and is_release_request(body):
            return Message(message_id, count, (), release=parse_release(body))
        if isinstance(body, dict) and is_continuation(body):
            return Message(message_id, count, (), continuation=parse_continuation(body))
        return Message(message_id, count, parse_notification(body))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Message(message_id, count, (), f"unreadable message body: {exc!r}")
