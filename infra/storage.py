"""The package bucket (and its access-log bucket): private, versioned, encrypted, TLS only."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import CustomResourceProviderBase, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import Encryption
from infra.nag import acknowledge, skip_checkov
from pyshelf.constants import METADATA_SUFFIX

# Pinned so a refactor of the construct tree can never replace the bucket (and its packages).
BUCKET_LOGICAL_ID = "PackagesBucket"
LOGS_BUCKET_LOGICAL_ID = "AccessLogsBucket"
INDEXER_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
INDEXER_BUCKET_ACTIONS = ("s3:ListBucket",)
# Keys only the indexer writes (docs/layout.md): the root and project pages, core metadata, and
# its private state. In an S3 ARN `*` also matches `/`, so `*/index.html` covers every folder.
DERIVED_KEYS = (
    "index.html",
    "index.json",
    "*/index.html",
    "*/index.json",
    f"*{METADATA_SUFFIX}",
    "_pyshelf/*",
)
DERIVED_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion")
# CDK's auto-delete-objects provider: a singleton of the stack under this construct id; its role
# (logical id CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092) gets a name that
# CloudFormation generates, so it is named here by its ARN (Fn::GetAtt), not by a name pattern.
AUTO_DELETE_PROVIDER_ID = "Custom::S3AutoDeleteObjectsCustomResourceProvider"
ACCESS_LOG_DAYS = 365
S3_LOG_PREFIX = "s3/"


class PackageStorage(Construct):
    """The bucket that holds distributions and the pages the indexer renders."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal: RemovalPolicy,
        encryption: Encryption,
        noncurrent_version_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        destroy = removal is RemovalPolicy.DESTROY
        self.logs_bucket = self._logs_bucket(removal)
        self.key = (
            kms.Key(
                self,
                "Key",
                enable_key_rotation=True,
                removal_policy=removal,
                description="pyshelf package bucket",
            )
            if encryption == "kms"
            else None
        )
        self._auto_delete = destroy
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.KMS if self.key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=self.key,
            bucket_key_enabled=self.key is not None,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix=S3_LOG_PREFIX,
            removal_policy=removal,
            auto_delete_objects=destroy,
        )
        _pin_logical_id(self.bucket, BUCKET_LOGICAL_ID)

    def _logs_bucket(self, removal: RemovalPolicy) -> s3.Bucket:
        # CloudFront standard logs are delivered with ACLs, hence OBJECT_WRITER ownership here.
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
            removal_policy=removal,
            auto_delete_objects=removal is RemovalPolicy.DESTROY,
        )
        _pin_logical_id(bucket, LOGS_BUCKET_LOGICAL_ID)
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This is the access-log bucket itself; logging it into itself would loop.",
        )
        skip_checkov(
            bucket,
            "CKV_AWS_18",
            "This is the access-log bucket itself; logging it into itself would loop.",
        )
        skip_checkov(
            bucket,
            "CKV_AWS_21",
            "Log delivery writes each access log once under a new key and never overwrites it; "
            "the logs expire after ACCESS_LOG_DAYS, so versions would only keep expired copies.",
        )
        return bucket

    def notify(self, queue: sqs.IQueue, *, suffixes: Iterable[str]) -> None:
        """Send created/removed events of keys ending in `suffixes` to `queue` (one rule each:
        S3 filters take one suffix per rule)."""
        destination = s3n.SqsDestination(queue)
        for suffix in suffixes:
            for event in (s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED):
                self.bucket.add_event_notification(
                    event, destination, s3.NotificationKeyFilter(suffix=suffix)
                )

    def grant_indexer(self, role: iam.Role) -> None:
        """What the indexer does: list, read, write and delete objects of this bucket only.
        (A copy is a GetObject plus a PutObject; a HEAD is a GetObject.)"""
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(INDEXER_BUCKET_ACTIONS), resources=[self.bucket.bucket_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(INDEXER_OBJECT_ACTIONS),
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{BUCKET_LOGICAL_ID}.Arn>/*]",
            "The indexer reads and writes keys of every project folder of its own bucket; "
            "the wildcard is limited to that bucket's objects.",
        )
        if self.key:
            # What SSE-KMS needs for GetObject and PutObject; nothing else (no wildcards).
            self.key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")

    def reserve_derived_keys(self, writer: iam.IRole) -> None:
        """Deny writing and deleting DERIVED_KEYS to every principal but `writer` (the indexer),
        whatever its own policies allow. With auto-delete (removalPolicy destroy), CDK's
        auto-delete role is excepted too: on `cdk destroy` it deletes every object version, and
        the bucket cannot be deleted until it is empty."""
        writers = [writer.role_arn]
        if self._auto_delete:
            writers.append(self._auto_delete_role_arn())
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheIndexerWritesDerivedKeys",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(DERIVED_WRITE_ACTIONS),
                resources=[self.bucket.arn_for_objects(key) for key in DERIVED_KEYS],
                conditions={"StringNotLike": {"aws:PrincipalArn": writers}},
            )
        )

    def _auto_delete_role_arn(self) -> str:
        provider = Stack.of(self).node.try_find_child(AUTO_DELETE_PROVIDER_ID)
        if not isinstance(provider, CustomResourceProviderBase):
            raise TypeError(f"no {AUTO_DELETE_PROVIDER_ID} in the stack: did CDK rename it?")
        return provider.role_arn


def _pin_logical_id(bucket: s3.Bucket, logical_id: str) -> None:
    cfn = bucket.node.default_child
    if not isinstance(cfn, s3.CfnBucket):
        raise TypeError(f"{bucket.node.path} has no CfnBucket")
    cfn.override_logical_id(logical_id)
