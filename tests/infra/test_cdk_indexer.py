"""Queue + Lambda: fitting timeouts, partial batch replies, bounded concurrency, least privilege."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_support import Synth

pytestmark = pytest.mark.cdk


def function(synth: Synth) -> tuple[str, dict[str, Any]]:
    logical_id = synth.logical_id("AWS::Lambda::Function", "Indexer/Function")
    return logical_id, synth.props(logical_id)


def queue(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    logical_id = synth.logical_id("AWS::SQS::Queue", f"Indexer/{name}")
    return logical_id, synth.props(logical_id)


def test_function_runtime_and_size(each_env: Synth) -> None:
    _, props = function(each_env)
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.handler"
    assert props["Timeout"] == 300
    assert props["MemorySize"] == 1024
    assert props["EphemeralStorage"] == {"Size": 4096}
    assert "ReservedConcurrentExecutions" not in props


def test_function_is_told_its_bucket(each_env: Synth) -> None:
    _, props = function(each_env)
    assert props["Environment"]["Variables"] == {"PACKAGES_BUCKET": {"Ref": "PackagesBucket"}}


def test_visibility_timeout_is_at_least_six_function_timeouts(each_env: Synth) -> None:
    _, props = function(each_env)
    _, events = queue(each_env, "Events")
    assert events["VisibilityTimeout"] >= 6 * props["Timeout"]


def test_queues_are_encrypted_and_failures_go_to_the_dead_letter_queue(each_env: Synth) -> None:
    dlq_id, dlq = queue(each_env, "DeadLetters")
    _, events = queue(each_env, "Events")
    assert events["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert events["SqsManagedSseEnabled"] is True
    assert dlq["SqsManagedSseEnabled"] is True


def test_event_source_batches_and_reports_item_failures(each_env: Synth) -> None:
    fn_id, _ = function(each_env)
    queue_id, _ = queue(each_env, "Events")
    _, mapping = each_env.one("AWS::Lambda::EventSourceMapping")
    assert mapping["FunctionName"] == {"Ref": fn_id}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 100
    assert 1 <= mapping["MaximumBatchingWindowInSeconds"] <= 10
    # Race-free indexer: concurrency is only bounded, not serialised.
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}


def test_alarm_on_dead_letter_depth(each_env: Synth) -> None:
    dlq_id, _ = queue(each_env, "DeadLetters")
    _, alarm = each_env.one("AWS::CloudWatch::Alarm")
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1


def test_alarm_text_states_the_queues_receive_count(each_env: Synth) -> None:
    _, events = queue(each_env, "Events")
    _, alarm = each_env.one("AWS::CloudWatch::Alarm")
    receives = events["RedrivePolicy"]["maxReceiveCount"]
    assert f"the indexer failed {receives} times" in alarm["AlarmDescription"]


@pytest.mark.parametrize(("env", "days"), [("dev", 14), ("prod", 365)])
def test_log_retention(synths: dict[str, Synth], env: str, days: int) -> None:
    _, props = function(synths[env])
    log_id = synths[env].logical_id("AWS::Logs::LogGroup", "Indexer/Logs")
    assert synths[env].props(log_id)["RetentionInDays"] == days
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": log_id}


@pytest.mark.parametrize(("env", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_log_group_follows_the_removal_policy(
    synths: dict[str, Synth], env: str, policy: str
) -> None:
    log_id = synths[env].logical_id("AWS::Logs::LogGroup", "Indexer/Logs")
    assert synths[env].json["Resources"][log_id]["DeletionPolicy"] == policy


def role_statements(synth: Synth) -> list[dict[str, Any]]:
    _, props = function(synth)
    role = props["Role"]["Fn::GetAtt"][0]
    role_props = synth.props(role)
    assert "ManagedPolicyArns" not in role_props
    statements = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_indexer_may_only_touch_its_own_bucket(each_env: Synth) -> None:
    s3 = [s for s in role_statements(each_env) if as_list(s["Action"])[0].startswith("s3:")]
    granted = {
        (action, str(resource))
        for statement in s3
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    bucket_arn = {"Fn::GetAtt": ["PackagesBucket", "Arn"]}
    objects = {"Fn::Join": ["", [bucket_arn, "/*"]]}
    assert granted == {
        ("s3:ListBucket", str(bucket_arn)),
        ("s3:GetObject", str(objects)),
        ("s3:PutObject", str(objects)),
        ("s3:DeleteObject", str(objects)),
    }
    assert all(s["Effect"] == "Allow" for s in s3)


def test_indexer_has_no_wildcard_actions_and_no_invalidation(each_env: Synth) -> None:
    actions = [a for s in role_statements(each_env) for a in as_list(s["Action"])]
    assert actions, "the role has policies"
    assert not [a for a in actions if "*" in a]
    assert not [a for a in actions if a.startswith("cloudfront:")]
    services = {a.split(":")[0] for a in actions}
    assert services == {"s3", "sqs", "logs"}


def test_kms_variant_grants_the_key_to_the_indexer(variant: Synth) -> None:
    key_id, _ = variant.one("AWS::KMS::Key")
    kms = [s for s in role_statements(variant) if as_list(s["Action"])[0].startswith("kms:")]
    assert kms
    assert all(s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]} for s in kms)
