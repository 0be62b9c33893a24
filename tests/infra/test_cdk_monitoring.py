"""Someone is told: the alarm topic (encrypted, TLS only, an email subscription when configured),
the alarms with the topic as their action, and the one-page dashboard."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_support import REPO, VARIANT_ALARM_EMAIL, Synth
from iam_eval import render

from infra.monitoring import DASHBOARD_LOGICAL_ID

pytestmark = pytest.mark.cdk

# Any alarm of this account and region (the synth may know the region and partition or not).
ALARMS_OF_THIS_ACCOUNT = re.compile(
    r"arn:(aws|<AWS::Partition>):cloudwatch:([a-z0-9-]+|<AWS::Region>):<AWS::AccountId>:alarm:\*"
)
CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}


def topic(synth: Synth) -> str:
    logical_id, _ = synth.one("AWS::SNS::Topic")
    return logical_id


def alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    """The alarms by construct id (`Monitoring/<id>`)."""
    found = {}
    for resource in synth.resources("AWS::CloudWatch::Alarm").values():
        path = resource["Metadata"]["aws:cdk:path"]
        prefix = f"{synth.stack_name}/Monitoring/"
        assert path.startswith(prefix), path
        found[path.removeprefix(prefix).split("/")[0]] = resource["Properties"]
    return found


def test_topic_is_encrypted_with_its_own_rotating_key(each_env: Synth) -> None:
    key_id = each_env.logical_id("AWS::KMS::Key", "Monitoring/TopicKey")
    assert each_env.props(key_id)["EnableKeyRotation"] is True
    each_env.template.has_resource_properties(
        "AWS::SNS::Topic",
        {
            "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            "DisplayName": f"{each_env.stack_name} alarms",
        },
    )


def test_topic_refuses_requests_without_tls(each_env: Synth) -> None:
    each_env.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [{"Ref": topic(each_env)}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sns:Publish",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def topic_statements(synth: Synth) -> list[dict[str, Any]]:
    (policy,) = synth.resources("AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": topic(synth)}]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def assert_only_this_accounts_alarms(statement: dict[str, Any]) -> None:
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals", "ArnLike"}
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    (source,) = condition["ArnLike"].values()
    assert set(condition["ArnLike"]) == {"aws:SourceArn"}
    assert ALARMS_OF_THIS_ACCOUNT.fullmatch(render(source)), render(source)


def test_only_this_accounts_alarms_may_publish(each_env: Synth) -> None:
    allowed = [s for s in topic_statements(each_env) if s["Effect"] == "Allow"]
    assert len(allowed) == 1
    (publish,) = allowed
    assert publish["Principal"] == CLOUDWATCH
    assert (publish["Action"], publish["Resource"]) == ("sns:Publish", {"Ref": topic(each_env)})
    assert_only_this_accounts_alarms(publish)


def test_only_this_accounts_alarms_may_use_the_key(each_env: Synth) -> None:
    key_id = each_env.logical_id("AWS::KMS::Key", "Monitoring/TopicKey")
    statements = each_env.props(key_id)["KeyPolicy"]["Statement"]
    by_cloudwatch = [s for s in statements if s["Principal"] == CLOUDWATCH]
    assert len(by_cloudwatch) == 1
    (encrypt,) = by_cloudwatch
    assert encrypt["Effect"] == "Allow"
    assert encrypt["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert_only_this_accounts_alarms(encrypt)
    # Besides CloudWatch, only the account itself (its IAM policies) is named in the key policy.
    others = [s["Principal"] for s in statements if s is not encrypt]
    assert all(set(p) == {"AWS"} and ":root" in render(p["AWS"]) for p in others), others


def test_email_subscription_only_when_configured(dev: Synth, prod: Synth, variant: Synth) -> None:
    for synth in (dev, prod):
        synth.template.resource_count_is("AWS::SNS::Subscription", 0)
    variant.template.resource_count_is("AWS::SNS::Subscription", 1)
    variant.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": VARIANT_ALARM_EMAIL, "TopicArn": {"Ref": topic(variant)}},
    )


def test_every_alarm_tells_the_topic_when_it_fires_and_clears(each_env: Synth) -> None:
    found = alarms(each_env)
    assert set(found) == {"DeadLetters", "IndexerErrors", "IndexerThrottles", "OldestEvent"}
    notify = [{"Ref": topic(each_env)}]
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == notify, name
        assert alarm["OKActions"] == notify, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name
        assert alarm["Period"] == 300, name
        anchor = name.lower()
        assert alarm["AlarmDescription"].startswith(f"{each_env.stack_name}: "), name
        assert alarm["AlarmDescription"].endswith(f"docs/runbook.md#{anchor}"), name


def test_the_runbook_has_the_section_each_alarm_links(each_env: Synth) -> None:
    """GitHub's anchor of a heading is its text in lower case: `### DeadLetters` → #deadletters."""
    runbook = (REPO / "docs" / "runbook.md").read_text()
    anchors = {
        line.removeprefix("### ").strip().lower()
        for line in runbook.splitlines()
        if line.startswith("### ")
    }
    for name, alarm in alarms(each_env).items():
        link = alarm["AlarmDescription"].rsplit("#", 1)[1]
        assert link == name.lower() and link in anchors, name


def queue_name(synth: Synth, name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [synth.logical_id("AWS::SQS::Queue", f"Indexer/{name}"), "QueueName"]}


def test_alarm_metrics_and_thresholds(each_env: Synth) -> None:
    found = alarms(each_env)
    function = {"Ref": each_env.logical_id("AWS::Lambda::Function", "Indexer/Function")}
    expected = {
        # name: (namespace, metric, statistic, dimension, threshold, datapoints of periods)
        "DeadLetters": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            {"Name": "QueueName", "Value": queue_name(each_env, "DeadLetters")},
            1,
            (1, 1),
        ),
        "IndexerErrors": (
            "AWS/Lambda",
            "Errors",
            "Sum",
            {"Name": "FunctionName", "Value": function},
            1,
            (2, 3),
        ),
        "IndexerThrottles": (
            "AWS/Lambda",
            "Throttles",
            "Sum",
            {"Name": "FunctionName", "Value": function},
            1,
            (2, 3),
        ),
        # Three visibility timeouts: a retried message alone never gets there.
        "OldestEvent": (
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "Maximum",
            {"Name": "QueueName", "Value": queue_name(each_env, "Events")},
            900,
            (1, 1),
        ),
    }
    for name, (namespace, metric, statistic, dimension, threshold, periods) in expected.items():
        alarm = found[name]
        assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric), name
        assert alarm["Statistic"] == statistic, name
        assert alarm["Dimensions"] == [dimension], name
        assert alarm["Threshold"] == threshold, name
        assert (alarm.get("DatapointsToAlarm", 1), alarm["EvaluationPeriods"]) == periods, name


def test_the_dead_letter_alarm_states_the_queues_receive_count(each_env: Synth) -> None:
    events = each_env.props(each_env.logical_id("AWS::SQS::Queue", "Indexer/Events"))
    receives = events["RedrivePolicy"]["maxReceiveCount"]
    description = alarms(each_env)["DeadLetters"]["AlarmDescription"]
    assert f"the indexer failed {receives} times" in description


def dashboard_metrics(body: dict[str, Any]) -> dict[str, set[tuple[str, ...]]]:
    """Per widget title: (region, namespace, metric, dimension name/value...) of its metrics."""
    found = {}
    for widget in body["widgets"]:
        properties = widget["properties"]
        if widget["type"] != "metric":
            continue
        rows = set()
        for metric in properties["metrics"]:
            *names, options = metric
            region = options.get("region", properties["region"])
            rows.add((region, *names))
        found[properties["title"]] = rows
    return found


def test_dashboard_shows_indexer_queues_and_cdn_on_one_page(each_env: Synth) -> None:
    dashboard = each_env.json["Resources"][DASHBOARD_LOGICAL_ID]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    assert dashboard["Properties"]["DashboardName"] == each_env.stack_name
    body = json.loads(render(dashboard["Properties"]["DashboardBody"]))
    shown = set().union(*dashboard_metrics(body).values())
    here = "<AWS::Region>"
    function = (
        "FunctionName",
        f"<{each_env.logical_id('AWS::Lambda::Function', 'Indexer/Function')}>",
    )
    lambda_metrics = {
        (here, "AWS/Lambda", name, *function)
        for name in ("Invocations", "Errors", "Duration", "Throttles")
    }
    events = ("QueueName", render(queue_name(each_env, "Events")))
    dead_letters = ("QueueName", render(queue_name(each_env, "DeadLetters")))
    queue_metrics = {
        (here, "AWS/SQS", "ApproximateNumberOfMessagesVisible", *events),
        (here, "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", *events),
        (here, "AWS/SQS", "ApproximateAgeOfOldestMessage", *events),
        (here, "AWS/SQS", "ApproximateNumberOfMessagesVisible", *dead_letters),
    }
    distribution, _ = each_env.one("AWS::CloudFront::Distribution")
    # CloudFront's metrics exist in us-east-1 only, with Region=Global, wherever the stack is.
    cdn = ("DistributionId", f"<{distribution}>", "Region", "Global")
    cdn_metrics = {
        ("us-east-1", "AWS/CloudFront", name, *cdn)
        for name in ("Requests", "4xxErrorRate", "5xxErrorRate")
    }
    assert lambda_metrics | queue_metrics | cdn_metrics <= shown
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    alarm_ids = set(each_env.resources("AWS::CloudWatch::Alarm"))
    assert set(alarm_widget["properties"]["alarms"]) == {f"<{a}.Arn>" for a in alarm_ids}


def test_dashboard_fits_on_one_page(each_env: Synth) -> None:
    body = json.loads(
        render(each_env.json["Resources"][DASHBOARD_LOGICAL_ID]["Properties"]["DashboardBody"])
    )
    bottom = max(widget["y"] + widget["height"] for widget in body["widgets"])
    assert bottom <= 24, "more than about one screen of widgets"
    assert all(widget["x"] + widget["width"] <= 24 for widget in body["widgets"])
