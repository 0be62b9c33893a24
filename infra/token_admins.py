"""Who may write the token store: principals given the `TokenAdminPolicyArn` managed policy.

The stack attaches it to nobody; attach it to the people (or roles) who run `pyshelf token`.
Publishers never get it. With an upstream the indexer writes the same store (its `project:`
keys, infra/indexer.py), through its own role.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from constructs import Construct

# The KeyValueStore data-plane API (`pyshelf token create/list/revoke`), spelt out, no wildcard.
STORE_ACTIONS = tuple(
    f"cloudfront-keyvaluestore:{action}"
    for action in (
        "DescribeKeyValueStore",
        "GetKey",
        "ListKeys",
        "PutKey",
        "DeleteKey",
        "UpdateKeys",
    )
)


class TokenAdminPolicy(Construct):
    """Read and write this stack's token store, and find it from the stack's outputs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, store: cloudfront.IKeyValueStore
    ) -> None:
        super().__init__(scope, construct_id)
        arn = store.key_value_store_arn
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="pyshelf token admin: read and write the read tokens of this index",
            statements=[
                iam.PolicyStatement(sid="EditTokens", actions=list(STORE_ACTIONS), resources=[arn]),
                iam.PolicyStatement(
                    sid="DescribeTheStore",
                    actions=["cloudfront:DescribeKeyValueStore"],
                    resources=[arn],
                ),
                iam.PolicyStatement(
                    sid="FindTheStack",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[Stack.of(self).stack_id],
                ),
            ],
        )
