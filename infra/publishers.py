"""What a publisher may do, as one customer managed policy (`PublisherPolicyArn`).

Publishers put distributions and yank records into project folders and read what `pyshelf
upload`, `yank`, `unyank` and `list` read; they never write pages, `.metadata` or `_pyshelf/`
(no Allow here matches those keys, and the bucket policy denies them to all but the indexer),
and never touch the token store.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge
from infra.storage import BUCKET_LOGICAL_ID
from pyshelf.constants import DISTRIBUTION_SUFFIXES, YANK_SUFFIX

# `<project>/<file>`; the bucket policy stops the `_pyshelf/` folder that `*` would also match.
DISTRIBUTION_KEYS = tuple(f"*/*{suffix}" for suffix in DISTRIBUTION_SUFFIXES)
YANK_KEYS = (f"*/*{YANK_SUFFIX}",)
# s3:PutObject covers PutObject and CreateMultipartUpload/UploadPart/CompleteMultipartUpload.
PUT_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")


class PublisherPolicy(Construct):
    """The managed policy to attach to publishers (people, CI roles)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey | None,
        can_delete: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="pyshelf publisher: put distributions and yank records, read the index",
            statements=_statements(bucket, key, can_delete=can_delete),
        )
        for pattern in ("*", *DISTRIBUTION_KEYS, *YANK_KEYS):
            acknowledge(
                self.policy,
                f"AwsSolutions-IAM5[Resource::<{BUCKET_LOGICAL_ID}.Arn>/{pattern}]",
                "Publishers read and write keys of any project folder of this one bucket; the "
                "wildcard is limited to its objects and, for writes, to distribution and "
                "yank-record suffixes.",
            )


def _statements(
    bucket: s3.IBucket, key: kms.IKey | None, *, can_delete: bool
) -> list[iam.PolicyStatement]:
    def objects(patterns: tuple[str, ...]) -> list[str]:
        return [bucket.arn_for_objects(pattern) for pattern in patterns]

    statements = [
        # List folders (`pyshelf list`, upload's checks); GetObject is also what HEAD needs.
        _allow("ListProjects", ["s3:ListBucket"], [bucket.bucket_arn]),
        _allow("ReadObjects", ["s3:GetObject"], objects(("*",))),
        _allow("PutDistributions", PUT_ACTIONS, objects(DISTRIBUTION_KEYS + YANK_KEYS)),
        # `yank` replaces a release's record, `unyank` deletes it.
        _allow("ReplaceYankRecords", ["s3:DeleteObject"], objects(YANK_KEYS)),
        # `--stack NAME` reads the stack's outputs.
        _allow("FindTheStack", ["cloudformation:DescribeStacks"], [Stack.of(bucket).stack_id]),
    ]
    if can_delete:
        statements += [
            _allow("DeleteDistributions", ["s3:DeleteObject"], objects(DISTRIBUTION_KEYS)),
            # `pyshelf delete` says whether a deleted file stays recoverable.
            _allow("ReadVersioning", ["s3:GetBucketVersioning"], [bucket.bucket_arn]),
        ]
    if key is not None:
        statements.append(
            _allow("UseTheBucketKey", ["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn])
        )
    return statements


def _allow(sid: str, actions: Sequence[str], resources: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=list(actions), resources=resources)
