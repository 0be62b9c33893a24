"""The emulated bucket notifies the queue exactly for the keys the stack's filters select."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from pyshelf.local import provision

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


def _drain(sqs: SQSClient, url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_one_rule_per_event_suffix() -> None:
    configurations = provision.queue_configurations("arn:aws:sqs:us-east-1:1:q")
    suffixes = [c["Filter"]["Key"]["FilterRules"][0]["Value"] for c in configurations]
    assert suffixes == [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".yank"]
    assert all(c["Events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"] for c in configurations)


def test_bucket_versioned_and_queue_redrives(s3: S3Client, sqs: SQSClient) -> None:
    provision.create_bucket(s3, "prov-versioned")
    assert s3.get_bucket_versioning(Bucket="prov-versioned")["Status"] == "Enabled"
    queues = provision.create_queues(sqs, "prov-versioned")
    attributes = sqs.get_queue_attributes(QueueUrl=queues.url, AttributeNames=["RedrivePolicy"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 5
    assert redrive["deadLetterTargetArn"].endswith(":prov-versioned-events-dlq")


def test_deleting_twice_sends_one_delete_marker_event(s3: S3Client, sqs: SQSClient) -> None:
    bucket = "prov-deletes"
    provision.create_bucket(s3, bucket)
    queues = provision.create_queues(sqs, bucket)
    s3.put_object(Bucket=bucket, Key="foo/foo-1.0.tar.gz", Body=b"x")
    provision.configure_notifications(s3, bucket, queues.arn)
    _drain(sqs, queues.url)
    s3.delete_object(Bucket=bucket, Key="foo/foo-1.0.tar.gz")
    s3.delete_object(Bucket=bucket, Key="foo/foo-1.0.tar.gz")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "foo/absent.tar.gz"}]})
    names = [r["eventName"] for b in _drain(sqs, queues.url) for r in b["Records"]]
    assert names == ["ObjectRemoved:DeleteMarkerCreated"]


def test_notifications_cover_distributions_and_yanks_only(s3: S3Client, sqs: SQSClient) -> None:
    bucket = "prov-events"
    provision.create_bucket(s3, bucket)
    queues = provision.create_queues(sqs, bucket)
    provision.configure_notifications(s3, bucket, queues.arn)
    assert [b.get("Event") for b in _drain(sqs, queues.url)] == ["s3:TestEvent"]
    for key in ("foo/foo-1.0-py3-none-any.whl", "foo/foo-1.0.tar.gz", "foo/1.0.yank"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    for key in ("foo/index.html", "foo/foo-1.0-py3-none-any.whl.metadata", "_pyshelf/x.json"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.delete_object(Bucket=bucket, Key="foo/foo-1.0.tar.gz")
    events = [
        (r["eventName"], unquote_plus(r["s3"]["object"]["key"]))
        for b in _drain(sqs, queues.url)
        for r in b["Records"]
    ]
    assert sorted(events) == [
        ("ObjectCreated:Put", "foo/1.0.yank"),
        ("ObjectCreated:Put", "foo/foo-1.0-py3-none-any.whl"),
        ("ObjectCreated:Put", "foo/foo-1.0.tar.gz"),
        ("ObjectRemoved:DeleteMarkerCreated", "foo/foo-1.0.tar.gz"),
    ]
