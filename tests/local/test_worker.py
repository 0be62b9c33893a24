"""The worker against a real (emulated) queue with the stack's redrive policy."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pytest

from pyshelf.local import provision
from pyshelf.local.worker import Worker

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_names = itertools.count()


@pytest.fixture
def queues(sqs: SQSClient) -> provision.Queues:
    return provision.create_queues(sqs, f"worker-{next(_names)}")


class Recorder:
    """A handler that fails the messages whose body says so, and remembers what it saw."""

    def __init__(self, *, raises: bool = False) -> None:
        self.events: list[Mapping[str, Any]] = []
        self.raises = raises

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        if self.raises:
            raise RuntimeError("boom")
        failures = [
            {"itemIdentifier": r["messageId"]}
            for r in event["Records"]
            if json.loads(r["body"]).get("fail")
        ]
        return {"batchItemFailures": failures}


def _worker(sqs: SQSClient, queues: provision.Queues, handler: Recorder, **kw: Any) -> Worker:
    # retry_delay=0: failed messages come back at once, so retries need no waiting.
    return Worker(
        sqs,
        queue_url=queues.url,
        queue_arn=queues.arn,
        region="us-east-1",
        handler=handler,
        retry_delay=0,
        **kw,
    )


def _send(sqs: SQSClient, queues: provision.Queues, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(body))


def _count(sqs: SQSClient, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_batch_collects_waiting_messages_as_one_sqs_event(
    sqs: SQSClient, queues: provision.Queues
) -> None:
    handler = Recorder()
    _send(sqs, queues, *({"n": n} for n in range(12)))
    assert _worker(sqs, queues, handler).poll_once() == 10
    [event] = handler.events
    assert len(event["Records"]) == 10
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queues.arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert _count(sqs, queues.url) == 2


def test_only_failed_messages_are_retried(sqs: SQSClient, queues: provision.Queues) -> None:
    handler = Recorder()
    worker = _worker(sqs, queues, handler)
    _send(sqs, queues, {"n": 1}, {"n": 2, "fail": True})
    assert worker.poll_once() == 1
    assert worker.poll_once() == 0
    retried = handler.events[1]["Records"]
    assert [json.loads(r["body"])["n"] for r in retried] == [2]
    assert retried[0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_message_failing_five_times_lands_in_the_dlq(
    sqs: SQSClient, queues: provision.Queues
) -> None:
    handler = Recorder()
    worker = _worker(sqs, queues, handler)
    _send(sqs, queues, {"fail": True})
    for _ in range(provision.MAX_RECEIVE_COUNT):
        assert worker.poll_once() == 0
    assert worker.poll_once(wait_seconds=0) == 0
    assert len(handler.events) == provision.MAX_RECEIVE_COUNT
    assert _count(sqs, queues.url) == 0
    assert _count(sqs, queues.dlq_url) == 1


def test_a_raising_handler_fails_the_whole_batch(sqs: SQSClient, queues: provision.Queues) -> None:
    _send(sqs, queues, {"n": 1}, {"n": 2})
    assert _worker(sqs, queues, Recorder(raises=True)).poll_once() == 0
    assert _count(sqs, queues.url) == 2


def test_on_receive_sees_every_message_before_the_handler(
    sqs: SQSClient, queues: provision.Queues
) -> None:
    seen: list[int] = []
    handler = Recorder()

    def observe(messages: list[Any]) -> None:
        assert not handler.events
        seen.extend(json.loads(m["Body"])["n"] for m in messages)

    _send(sqs, queues, {"n": 1}, {"n": 2, "fail": True})
    _worker(sqs, queues, handler, on_receive=observe).poll_once()
    assert sorted(seen) == [1, 2]


def test_thread_processes_messages_and_stops_promptly(
    sqs: SQSClient, queues: provision.Queues
) -> None:
    handler = Recorder()
    worker = _worker(sqs, queues, handler)
    worker.start()
    try:
        _send(sqs, queues, {"n": 1})
        deadline = time.monotonic() + 10
        while _count(sqs, queues.url) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _count(sqs, queues.url) == 0
    finally:
        started = time.monotonic()
        worker.stop()
    assert time.monotonic() - started < 3
    assert len(handler.events) == 1
