"""cdk-nag (v3, CDK policy validation): the AWS Solutions checks and our acknowledgments.

Every acknowledged finding carries its reason; the acknowledgments are also written into the
template metadata (`cdk_nag.rules_to_suppress`) as an audit trail.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
BASIC_EXECUTION_ROLE = (
    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept finding `rule` (e.g. `AwsSolutions-IAM5[Resource::*]`) on `scope`, saying why."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_cdk_internals(stack: Stack) -> None:
    """The S3 notifications handler is CDK's own singleton Lambda (it configures the bucket's
    notifications at deploy time); its runtime and role are not ours to shape."""
    handler = stack.node.try_find_child(NOTIFICATIONS_HANDLER)
    if handler is None:
        return
    acknowledge(
        handler,
        f"AwsSolutions-IAM4[{BASIC_EXECUTION_ROLE}]",
        "CDK's notifications handler writes its logs with AWSLambdaBasicExecutionRole.",
    )
    acknowledge(
        handler,
        "AwsSolutions-IAM5[Resource::*]",
        "CDK's notifications handler calls s3:PutBucketNotification on the stack's buckets; "
        "CDK does not scope it.",
    )
