"""Create what the CDK stack creates: a versioned bucket, an event queue with a dead-letter queue,
and the bucket's event notifications (one rule per suffix in `keys.EVENT_SUFFIXES`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyshelf.constants import EVENT_SUFFIXES, QUEUE_MAX_RECEIVE_COUNT, QUEUE_RETENTION_DAYS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import EventType
    from mypy_boto3_s3.type_defs import QueueConfigurationTypeDef
    from mypy_boto3_sqs import SQSClient

MAX_RECEIVE_COUNT = QUEUE_MAX_RECEIVE_COUNT
# Short, so that a failed record is retried within seconds locally. The stack's is
# QUEUE_VISIBILITY_TIMEOUT_SECONDS: it must outlast the Lambda timeout, which serve does not have.
VISIBILITY_TIMEOUT_SECONDS = 5
RETENTION_SECONDS = QUEUE_RETENTION_DAYS * 24 * 3600
EVENTS: list[EventType] = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


@dataclass(frozen=True, slots=True)
class Queues:
    url: str
    arn: str
    dlq_url: str


def create_bucket(s3: S3Client, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def create_queues(sqs: SQSClient, bucket: str) -> Queues:
    dlq_url = sqs.create_queue(
        QueueName=f"{bucket}-events-dlq",
        Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS)},
    )["QueueUrl"]
    redrive = {"deadLetterTargetArn": _arn(sqs, dlq_url), "maxReceiveCount": MAX_RECEIVE_COUNT}
    url = sqs.create_queue(
        QueueName=f"{bucket}-events",
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
            "MessageRetentionPeriod": str(RETENTION_SECONDS),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return Queues(url=url, arn=_arn(sqs, url), dlq_url=dlq_url)


def queue_configurations(queue_arn: str) -> list[QueueConfigurationTypeDef]:
    """One configuration per suffix: S3 allows a single suffix rule per configuration."""
    return [
        {
            "Id": f"pyshelf-indexer{suffix}",
            "QueueArn": queue_arn,
            "Events": list(EVENTS),
            "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": suffix}]}},
        }
        for suffix in EVENT_SUFFIXES
    ]


def configure_notifications(s3: S3Client, bucket: str, queue_arn: str) -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": queue_configurations(queue_arn)},
    )


def _arn(sqs: SQSClient, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]
