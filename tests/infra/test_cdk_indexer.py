"""Queue + Lambda: fitting timeouts, partial batch replies, bounded concurrency, least privilege;
with an upstream (the variant), the private names in the KeyValueStore."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_support import Synth
from iam_eval import Request, allowed, render

from pyshelf.constants import INDEXER_TIMEOUT_SECONDS, QUEUE_VISIBILITY_TIMEOUT_SECONDS
from pyshelf.core.events import messages_of
from pyshelf.local import provision

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
    assert props["Timeout"] == 120
    assert props["MemorySize"] == 1024
    assert props["EphemeralStorage"] == {"Size": 4096}
    assert "ReservedConcurrentExecutions" not in props


def test_function_is_told_its_bucket_distribution_and_queue(each_env: Synth) -> None:
    _, props = function(each_env)
    distribution_id, _ = each_env.one("AWS::CloudFront::Distribution")
    queue_id, _ = queue(each_env, "Events")
    assert props["Environment"]["Variables"] == {
        "PACKAGES_BUCKET": {"Ref": "PackagesBucket"},
        "DISTRIBUTION_ID": {"Ref": distribution_id},
        "QUEUE_URL": {"Ref": queue_id},
    }


def test_indexer_may_send_to_its_events_queue_only(each_env: Synth) -> None:
    """It hands work it has no time for on to its own queue (docs/reliability.md)."""
    queue_id, _ = queue(each_env, "Events")
    sends = {
        (action, json.dumps(resource, sort_keys=True))
        for statement in role_statements(each_env)
        for action in as_list(statement["Action"])
        if action == "sqs:SendMessage"
        for resource in as_list(statement["Resource"])
    }
    assert sends == {("sqs:SendMessage", json.dumps({"Fn::GetAtt": [queue_id, "Arn"]}))}


def test_a_received_message_stays_hidden_while_its_batch_can_run(each_env: Synth) -> None:
    """Lambda refuses an event source whose queue hides a message for less than the function
    may run; a batch also waits up to the batching window before its invocation starts."""
    _, props = function(each_env)
    _, events = queue(each_env, "Events")
    _, mapping = each_env.one("AWS::Lambda::EventSourceMapping")
    ready = props["Timeout"] + mapping["MaximumBatchingWindowInSeconds"]
    assert events["VisibilityTimeout"] >= ready
    # Room for Lambda to retry a throttled invocation within the same receive.
    assert events["VisibilityTimeout"] >= 2 * props["Timeout"]


def test_recovery_in_minutes(each_env: Synth) -> None:
    """A failed message is tried again within 5 minutes, and one that keeps failing reaches
    the dead-letter queue (and its alarm) within half an hour (docs/deploy.md)."""
    _, props = function(each_env)
    _, events = queue(each_env, "Events")
    receives = events["RedrivePolicy"]["maxReceiveCount"]
    assert props["Timeout"] == INDEXER_TIMEOUT_SECONDS == 120
    assert events["VisibilityTimeout"] == QUEUE_VISIBILITY_TIMEOUT_SECONDS == 300
    assert receives * events["VisibilityTimeout"] <= 30 * 60
    assert receives >= 3, "a retry or two must not be the last"


def test_serve_builds_its_queue_from_the_same_constants(each_env: Synth) -> None:
    _, dlq = queue(each_env, "DeadLetters")
    _, events = queue(each_env, "Events")
    assert events["RedrivePolicy"]["maxReceiveCount"] == provision.MAX_RECEIVE_COUNT
    assert events["MessageRetentionPeriod"] == provision.RETENTION_SECONDS
    assert dlq["MessageRetentionPeriod"] == provision.RETENTION_SECONDS
    # serve has no Lambda timeout to outlast: its failed records come back within seconds.
    assert events["VisibilityTimeout"] > provision.VISIBILITY_TIMEOUT_SECONDS


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
    # Race-free indexer: concurrency is only bounded, not serialised; 2 (cdk.json) because
    # concurrent invocations of one project contend (docs/requests.md, "Bursts").
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}


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


def test_indexer_has_no_wildcard_actions_and_only_invalidates_in_cloudfront(
    each_env: Synth,
) -> None:
    actions = [a for s in role_statements(each_env) for a in as_list(s["Action"])]
    assert actions, "the role has policies"
    assert not [a for a in actions if "*" in a]
    assert {a for a in actions if a.startswith("cloudfront")} == {"cloudfront:CreateInvalidation"}
    services = {a.split(":")[0] for a in actions}
    assert services == {"s3", "sqs", "logs", "cloudfront"}


STORE_ACTIONS = {
    "cloudfront-keyvaluestore:DescribeKeyValueStore",
    "cloudfront-keyvaluestore:GetKey",
    "cloudfront-keyvaluestore:ListKeys",
    "cloudfront-keyvaluestore:PutKey",
    "cloudfront-keyvaluestore:DeleteKey",
    "cloudfront-keyvaluestore:UpdateKeys",
}


def store_and_distribution_arns(synth: Synth) -> tuple[dict[str, Any], dict[str, Any]]:
    store_id, _ = synth.one("AWS::CloudFront::KeyValueStore")
    return {"Fn::GetAtt": [store_id, "Arn"]}, distribution_arn_of(synth)


def distribution_arn_of(synth: Synth) -> dict[str, Any]:
    distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":cloudfront::",
                {"Ref": "AWS::AccountId"},
                ":distribution/",
                {"Ref": distribution_id},
            ],
        ]
    }


def cloudfront_grants(synth: Synth) -> set[tuple[str, str]]:
    """(action, resource) of every cloudfront* action the indexer's role is given."""
    grants = set()
    for statement in role_statements(synth):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            if action.startswith("cloudfront"):
                assert "Condition" not in statement
                grants |= {
                    (action, json.dumps(resource, sort_keys=True))
                    for resource in as_list(statement["Resource"])
                }
    return grants


def test_without_an_upstream_the_indexer_has_no_store_but_invalidates(each_env: Synth) -> None:
    """Every index invalidates the paths of files replaced or removed (docs/deploy.md)."""
    _, props = function(each_env)
    distribution_id, _ = each_env.one("AWS::CloudFront::Distribution")
    assert "KVS_ARN" not in props["Environment"]["Variables"]
    assert props["Environment"]["Variables"]["DISTRIBUTION_ID"] == {"Ref": distribution_id}
    ((action, resource),) = cloudfront_grants(each_env)
    assert action == "cloudfront:CreateInvalidation"
    assert resource.endswith(f'":distribution/", {{"Ref": "{distribution_id}"}}]]}}')


def test_with_an_upstream_the_indexer_is_told_its_store(variant: Synth) -> None:
    store_arn, _ = store_and_distribution_arns(variant)
    variant.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "handler.handler",
            "Environment": {
                "Variables": Match.object_like(
                    {"PACKAGES_BUCKET": {"Ref": "PackagesBucket"}, "KVS_ARN": store_arn}
                )
            },
        },
    )


def test_with_an_upstream_the_indexer_writes_this_store_and_invalidates_this_distribution(
    variant: Synth,
) -> None:
    store_arn, distribution_arn = store_and_distribution_arns(variant)
    store, distribution = (json.dumps(arn, sort_keys=True) for arn in (store_arn, distribution_arn))
    assert cloudfront_grants(variant) == {(action, store) for action in STORE_ACTIONS} | {
        ("cloudfront:CreateInvalidation", distribution)
    }
    role_id = function(variant)[1]["Role"]["Fn::GetAtt"][0]
    variant.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_equals(
                            {
                                "Action": "cloudfront:CreateInvalidation",
                                "Effect": "Allow",
                                "Resource": distribution_arn,
                            }
                        )
                    ]
                )
            },
        },
    )


def test_with_an_upstream_the_indexer_may_not_touch_another_store(variant: Synth) -> None:
    store_arn, distribution_arn = store_and_distribution_arns(variant)
    statements = role_statements(variant)
    role = render({"Fn::GetAtt": [function(variant)[1]["Role"]["Fn::GetAtt"][0], "Arn"]})
    other_store = "arn:aws:cloudfront::123456789012:key-value-store/other"
    for action in STORE_ACTIONS:
        assert allowed([statements], Request(role, action, render(store_arn)))
        assert not allowed([statements], Request(role, action, other_store))
    invalidate = "cloudfront:CreateInvalidation"
    assert allowed([statements], Request(role, invalidate, render(distribution_arn)))
    other_distribution = "arn:aws:cloudfront::123456789012:distribution/EOTHER"
    assert not allowed([statements], Request(role, invalidate, other_distribution))
    for action in ("cloudfront:GetDistribution", "cloudfront:UpdateFunction"):
        assert not allowed([statements], Request(role, action, render(distribution_arn)))


def test_kms_variant_grants_the_key_to_the_indexer(variant: Synth) -> None:
    key_id = variant.logical_id("AWS::KMS::Key", "Storage/Key")
    kms = [s for s in role_statements(variant) if as_list(s["Action"])[0].startswith("kms:")]
    assert kms
    assert all(s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]} for s in kms)


def test_a_daily_reconcile_asks_the_indexer_for_every_project(each_env: Synth) -> None:
    """The schedule puts a reindex request of every project on the events queue: the indexer
    then compares the whole bucket with the index (changes S3 sent no event for)."""
    (rule,) = each_env.resources("AWS::Events::Rule").values()
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(1 day)"
    (target,) = props["Targets"]
    queue_id, _ = queue(each_env, "Events")
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    record = {"eventSource": "aws:sqs", "messageId": "m", "body": target["Input"]}
    (message,) = messages_of({"Records": [record]})
    assert message.reindex is not None
    assert (message.reindex.request_id, message.reindex.projects) == ("scheduled-reconcile", None)
