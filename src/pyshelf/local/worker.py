"""The indexer worker: what the Lambda event source mapping does, in a thread.

Long-polls the queue, hands each batch to the indexer's handler as an SQS event, deletes the
messages it did not report as failed, and leaves the failed ones to reappear after the visibility
timeout (the queue's redrive policy moves them to the DLQ after `maxReceiveCount` receives).
A handler that raises fails the whole batch, as in Lambda. `on_receive` sees every received
message first (`serve --data` mirrors the keys they name to disk).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from pyshelf.local.sqs_events import failed_ids, lambda_event

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageTypeDef,
    )

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]
Observer = Callable[[list["MessageTypeDef"]], None]
BATCH_SIZE = 10
POLL_SECONDS = 1  # also bounds how long stop() waits
ERROR_BACKOFF_SECONDS = 0.5


class Worker:
    def __init__(
        self,
        sqs: SQSClient,
        *,
        queue_url: str,
        queue_arn: str,
        region: str,
        handler: Handler,
        on_receive: Observer | None = None,
        retry_delay: int | None = None,
    ) -> None:
        """retry_delay: make failed messages visible again after this many seconds instead of
        the queue's visibility timeout (tests use 0)."""
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = region
        self.handler = handler
        self.on_receive = on_receive
        self.retry_delay = retry_delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pyshelf-indexer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (BotoCoreError, ClientError) as exc:
                log.warning("queue poll failed: %s", exc)
                self._stop.wait(ERROR_BACKOFF_SECONDS)

    def poll_once(self, wait_seconds: int = POLL_SECONDS) -> int:
        """Receive and process one batch; return how many messages succeeded."""
        messages = self._receive(wait_seconds)
        if not messages:
            return 0
        self._observe(messages)
        failed = self._invoke(messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(done)
        if failed:
            log.warning(
                "%d of %d messages failed; they will be retried", len(failed), len(messages)
            )
            self._delay([m for m in messages if m["MessageId"] in failed])
        return len(done)

    def _observe(self, messages: list[MessageTypeDef]) -> None:
        """Let `on_receive` see every received message before the indexer runs."""
        if self.on_receive is None:
            return
        try:
            self.on_receive(messages)
        except Exception:
            log.exception("on_receive failed; indexing goes on")

    def _receive(self, wait_seconds: int) -> list[MessageTypeDef]:
        """A batch: the first long poll, then whatever else is already waiting (up to 10)."""
        batch: dict[str, MessageTypeDef] = {}
        wait = wait_seconds
        while len(batch) < BATCH_SIZE:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=BATCH_SIZE - len(batch),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
            )
            new = [m for m in response.get("Messages", []) if m["MessageId"] not in batch]
            if not new:
                break
            batch.update((m["MessageId"], m) for m in new)
            wait = 0
        return list(batch.values())

    def _invoke(self, messages: list[MessageTypeDef]) -> set[str]:
        event = lambda_event(messages, queue_arn=self.queue_arn, region=self.region)
        try:
            return failed_ids(self.handler(event))
        except Exception:
            log.exception("the indexer raised; the whole batch will be retried")
            return {m["MessageId"] for m in messages}

    def _delay(self, messages: list[MessageTypeDef]) -> None:
        if self.retry_delay is None:
            return
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {
                "Id": str(i),
                "ReceiptHandle": m["ReceiptHandle"],
                "VisibilityTimeout": self.retry_delay,
            }
            for i, m in enumerate(messages)
        ]
        self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)

    def _delete(self, messages: list[MessageTypeDef]) -> None:
        if not messages:
            return
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        response = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        for failure in response.get("Failed", []):
            log.warning("could not delete message %s: %s", failure["Id"], failure.get("Message"))
