"""The indexer: bucket events → SQS (with a DLQ and an alarm) → the indexer Lambda.

Concurrency: the indexer is race-free by itself (conditional writes with If-Match/If-None-Match
plus re-listing, see the indexer docs), so it needs no reserved concurrency of 1. The SQS event
source's `max_concurrency` only bounds how many invocations run at once (to spare S3 request
rates and Lambda concurrency in the account); any value from 2 up is correct.

Fall-through (an environment with `upstream`, docs/fallthrough.md): the indexer keeps the private
names in the edge's KeyValueStore (`KVS_ARN` tells it which; without it, it writes no store).
"""

from __future__ import annotations

from aws_cdk import AssetHashType, BundlingOptions, Duration, RemovalPolicy, Size
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import IndexerSources, LocalPythonBundling, asset_hash
from infra.nag import acknowledge
from pyshelf.constants import QUEUE_MAX_RECEIVE_COUNT, QUEUE_RETENTION_DAYS

RUNTIME = lambda_.Runtime.PYTHON_3_14
TIMEOUT = Duration.minutes(5)
# AWS guidance for SQS event sources: visibility timeout at least 6 x the function timeout.
VISIBILITY_TIMEOUT = Duration.seconds(6 * TIMEOUT.to_seconds())
MEMORY_MB = 1024
# Large wheels are spooled to /tmp while they are hashed and their METADATA extracted.
EPHEMERAL_STORAGE = Size.gibibytes(4)
BATCH_SIZE = 100
BATCHING_WINDOW = Duration.seconds(3)
MAX_RECEIVE_COUNT = QUEUE_MAX_RECEIVE_COUNT
RETENTION = Duration.days(QUEUE_RETENTION_DAYS)
# The environment variable that names the store of private names (lambdas/indexer/handler.py).
KVS_ARN_VARIABLE = "KVS_ARN"
# The KeyValueStore data-plane API the indexer uses on that store, spelt out, no wildcard.
PRIVATE_NAMES_ACTIONS = tuple(
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


class Indexer(Construct):
    """The queue the bucket notifies and the Lambda that rewrites the index from it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        max_concurrency: int,
        log_retention: logs.RetentionDays,
        removal: RemovalPolicy,
        code_sources: IndexerSources | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=RETENTION,
        )
        acknowledge(self.dead_letters, "AwsSolutions-SQS3", "This queue is the dead-letter queue.")
        self.queue = sqs.Queue(
            self,
            "Events",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )
        self.alarm = self._dead_letter_alarm()
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.function = self._function(
            bucket, code_sources or IndexerSources(), log_retention, removal
        )
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCHING_WINDOW,
                report_batch_item_failures=True,
                max_concurrency=max_concurrency,
            )
        )

    def keep_private_names(
        self, store: cloudfront.IKeyValueStore, distribution: cloudfront.IDistribution
    ) -> None:
        """Let the indexer write the private names (`project:` keys) into `store`, and
        invalidate paths of `distribution` (nothing else in CloudFront)."""
        arn = store.key_value_store_arn
        self.function.add_environment(KVS_ARN_VARIABLE, arn)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(PRIVATE_NAMES_ACTIONS), resources=[arn])
        )
        distribution.grant_create_invalidation(self.role)

    def _dead_letter_alarm(self) -> cloudwatch.Alarm:
        metric = self.dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"
        )
        return cloudwatch.Alarm(
            self,
            "DeadLettersAlarm",
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=(
                f"pyshelf: bucket events the indexer failed {MAX_RECEIVE_COUNT} times (see the DLQ)"
            ),
        )

    def _function(
        self,
        bucket: s3.IBucket,
        code_sources: IndexerSources,
        log_retention: logs.RetentionDays,
        removal: RemovalPolicy,
    ) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            removal_policy=removal,
        )
        # An own role, so that only the log group below (no AWS managed policy) is writable.
        log_group.grant_write(self.role)
        return lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=_code(code_sources),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            ephemeral_storage_size=EPHEMERAL_STORAGE,
            environment={"PACKAGES_BUCKET": bucket.bucket_name},
            role=self.role,
            log_group=log_group,
            description="pyshelf indexer: rewrites project pages from bucket events",
        )


def _code(code_sources: IndexerSources) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(code_sources.handler.parent),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(code_sources),
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=LocalPythonBundling(code_sources),
        ),
    )
