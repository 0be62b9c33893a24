"""The two template checkers and the findings we accept, each with its reason.

cdk-nag (v3, CDK policy validation) runs its AWS Solutions checks on every synth; acknowledged
findings are also written into the template metadata (`cdk_nag.rules_to_suppress`) as an audit
trail. checkov runs on the synthesized templates in the tests (tests/infra/test_checkov.py); it
reads the checks to skip, with their reasons, from each resource's `checkov.skip` metadata.
"""

from __future__ import annotations

from aws_cdk import (
    Acknowledgment,
    App,
    CfnResource,
    CustomResourceProviderBase,
    Stack,
    Validations,
)
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

# A reason says why the finding does not apply or is accepted, not just that it is.
MIN_REASON_LENGTH = 30

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


def skip_checkov(scope: IConstruct, check: str, reason: str) -> None:
    """Skip checkov's `check` (e.g. `CKV_AWS_117`) on the resource `scope` (a CfnResource or
    an L2 construct with one), saying why: `Metadata: checkov: skip: [{id, comment}]`."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"{check} on {scope.node.path}: say why it is skipped, in a sentence")
    resource = _cfn_resource(scope)
    existing = resource.get_metadata("checkov") or {}
    skips = [*existing.get("skip", []), {"id": check, "comment": reason}]
    resource.add_metadata("checkov", {**existing, "skip": skips})


def _cfn_resource(scope: IConstruct) -> CfnResource:
    if isinstance(scope, CfnResource):
        return scope
    child = scope.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{scope.node.path} is no CloudFormation resource")
    return child


# CDK's own Lambdas (custom resource providers): not ours to place in a VPC or give a DLQ.
CDK_LAMBDA_SKIPS = {
    "CKV_AWS_115": "CDK's provider Lambda runs only during deployments, one invocation at a "
    "time per resource; reserving concurrency for it would only withhold it from the account.",
    "CKV_AWS_116": "CloudFormation invokes CDK's provider Lambda and itself reports a failed "
    "invocation as a failed deployment; a dead-letter queue would hold nothing to act on.",
    "CKV_AWS_117": "CDK's provider Lambda only calls AWS APIs during deployments; a VPC would "
    "need NAT or endpoints and protect nothing.",
}


def skip_cdk_lambda_checks(handler: IConstruct) -> None:
    for check, reason in CDK_LAMBDA_SKIPS.items():
        skip_checkov(handler, check, reason)


def acknowledge_cdk_internals(stack: Stack) -> None:
    """CDK's own singleton Lambdas: the S3 notifications handler (it configures the bucket's
    notifications at deploy time) and the custom resource providers (with removalPolicy
    destroy, the one that empties the buckets); their runtime and role are not ours to shape."""
    for child in stack.node.children:
        if isinstance(child, CustomResourceProviderBase):
            skip_cdk_lambda_checks(child.node.find_child("Handler"))
    handler = stack.node.try_find_child(NOTIFICATIONS_HANDLER)
    if handler is None:
        return
    skip_cdk_lambda_checks(handler)
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
