"""The indexer: bucket events → SQS (with a DLQ) → the indexer Lambda (its alarms: monitoring.py).

Concurrency: the indexer is race-free by itself (conditional writes with If-Match/If-None-Match
plus re-listing, see the indexer docs), so it needs no reserved concurrency of 1. The SQS event
source's `max_concurrency` only bounds how many invocations run at once (to spare S3 request
rates and Lambda concurrency in the account); any value from 2 up is correct.

Fall-through (an environment with `upstream`, docs/fallthrough.md): the indexer keeps the private
names in the edge's KeyValueStore (`KVS_ARN` tells it which; without it, it writes no store).

Retries (docs/deploy.md, "Failures and retries"): a message that fails (reported in the partial
batch response, or its whole batch when the function raises or times out) becomes visible again
VISIBILITY_TIMEOUT after it was received, and moves to the dead-letter queue after
MAX_RECEIVE_COUNT receives. Lambda's SQS guidance asks for a visibility timeout of 6 x the
function timeout, mainly so that an invocation Lambda retries after a throttle still ends inside
the visibility timeout; the event source's maximum concurrency already keeps it from throttling
itself, so 2.5 x (with a function timeout that lets go of a stuck batch after 2 minutes) buys
a first retry within 5 minutes instead of 30. A receive lost to a rare account-level
throttle costs one of the MAX_RECEIVE_COUNT receives, and the indexer is idempotent.

Time limits (docs/reliability.md): the function stops starting work when its remaining time runs
short and sends what is left to its own events queue (`QUEUE_URL`, send only), as a new
message: handing work on uses up no receive.
"""

from __future__ import annotations

from aws_cdk import AssetHashType, BundlingOptions, Duration, RemovalPolicy, Size
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import IndexerSources, LocalPythonBundling, asset_hash
from infra.nag import acknowledge, skip_checkov
from infra.token_admins import STORE_ACTIONS
from pyshelf.constants import (
    INDEXER_BATCH_SIZE,
    INDEXER_BATCHING_WINDOW_SECONDS,
    INDEXER_TIMEOUT_SECONDS,
    QUEUE_MAX_RECEIVE_COUNT,
    QUEUE_RETENTION_DAYS,
    QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    RECONCILE_MESSAGE,
)

RUNTIME = lambda_.Runtime.PYTHON_3_14
TIMEOUT = Duration.seconds(INDEXER_TIMEOUT_SECONDS)
VISIBILITY_TIMEOUT = Duration.seconds(QUEUE_VISIBILITY_TIMEOUT_SECONDS)
MEMORY_MB = 1024
# Large wheels are spooled to /tmp while they are hashed and their METADATA extracted.
EPHEMERAL_STORAGE = Size.gibibytes(4)
BATCH_SIZE = INDEXER_BATCH_SIZE
BATCHING_WINDOW = Duration.seconds(INDEXER_BATCHING_WINDOW_SECONDS)
MAX_RECEIVE_COUNT = QUEUE_MAX_RECEIVE_COUNT
RETENTION = Duration.days(QUEUE_RETENTION_DAYS)
# The environment variable that names the store of private names (lambdas/indexer/handler.py).
KVS_ARN_VARIABLE = "KVS_ARN"
# The events queue, where the indexer hands on work it has no time left for.
QUEUE_URL_VARIABLE = "QUEUE_URL"
DISTRIBUTION_ID_VARIABLE = "DISTRIBUTION_ID"
# The KeyValueStore data-plane API the indexer uses on that store: the token admins' list.
PRIVATE_NAMES_ACTIONS = STORE_ACTIONS


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
        _skip_sqs_kms(self.dead_letters)
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
        _skip_sqs_kms(self.queue)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.function = self._function(
            bucket, code_sources or IndexerSources(), log_retention, removal
        )
        self.function.add_environment(QUEUE_URL_VARIABLE, self.queue.queue_url)
        self.queue.grant_send_messages(self.role)
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCHING_WINDOW,
                report_batch_item_failures=True,
                max_concurrency=max_concurrency,
            )
        )
        self._skip_function_checks()

    def reconcile_every(self, hours: int) -> None:
        """A schedule that puts a reindex request of every project on the events queue, so that a
        change S3 sent no event for (or one that fell in the DLQ) is caught within `hours`."""
        events.Rule(
            self,
            "Reconcile",
            description="pyshelf: reindex every project (catches changes that raised no event)",
            schedule=events.Schedule.rate(Duration.hours(hours)),
            targets=[
                targets.SqsQueue(
                    self.queue, message=events.RuleTargetInput.from_object(RECONCILE_MESSAGE)
                )
            ],
        )

    def invalidate(self, distribution: cloudfront.IDistribution) -> None:
        """Let the indexer invalidate paths of `distribution` (files replaced or removed;
        nothing else in CloudFront) and tell it which one."""
        self.function.add_environment(DISTRIBUTION_ID_VARIABLE, distribution.distribution_id)
        distribution.grant_create_invalidation(self.role)

    def keep_private_names(self, store: cloudfront.IKeyValueStore) -> None:
        """Let the indexer write the private names (`project:` keys) into `store`."""
        arn = store.key_value_store_arn
        self.function.add_environment(KVS_ARN_VARIABLE, arn)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(PRIVATE_NAMES_ACTIONS), resources=[arn])
        )

    def _function(
        self,
        bucket: s3.IBucket,
        code_sources: IndexerSources,
        log_retention: logs.RetentionDays,
        removal: RemovalPolicy,
    ) -> lambda_.Function:
        self.log_group = log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            removal_policy=removal,
        )
        skip_checkov(
            log_group,
            "CKV_AWS_158",
            "CloudWatch Logs encrypts every log group at rest; the indexer logs keys, project "
            "names and errors, no secrets, so a customer managed key ($1/month) adds nothing.",
        )
        # An own role, so that only the log group below (no AWS managed policy) is writable.
        log_group.grant_write(self.role)
        return lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_code(code_sources),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            ephemeral_storage_size=EPHEMERAL_STORAGE,
            environment={"PACKAGES_BUCKET": bucket.bucket_name},
            role=self.role,
            log_group=log_group,
            description="pyshelf indexer: rewrites project pages from bucket events",
        )

    def _skip_function_checks(self) -> None:
        reasons = {
            "CKV_AWS_115": "The SQS event source caps concurrent invocations "
            "(indexerMaxConcurrency); reserved concurrency would make Lambda throttle the event "
            "source instead, and throttled receives count towards the dead-letter queue.",
            "CKV_AWS_116": "The SQS event source invokes the function synchronously; failed "
            "messages go to the events queue's own dead-letter queue. A function DLQ only "
            "serves asynchronous invocations.",
            "CKV_AWS_117": "The indexer talks only to S3, SQS and CloudFront's public APIs; a "
            "VPC would need a NAT gateway or endpoints and protects no private resource.",
            "CKV_AWS_173": "The environment holds the bucket name and the KeyValueStore ARN, no "
            "secrets; Lambda encrypts it at rest with an AWS managed key.",
        }
        for check, reason in reasons.items():
            skip_checkov(self.function, check, reason)


def _skip_sqs_kms(queue: sqs.Queue) -> None:
    skip_checkov(
        queue,
        "CKV_AWS_27",
        "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which checkov's check "
        "does not read; a KMS key would add a key policy for S3's notifications and KMS "
        "charges per message, for bucket event records that hold no secrets.",
    )


def lambda_code(code_sources: IndexerSources) -> lambda_.Code:
    """The bundled asset of a Lambda (the indexer's, the upload endpoint's)."""
    return lambda_.Code.from_asset(
        str(code_sources.handler.parent),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(code_sources),
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=LocalPythonBundling(code_sources),
        ),
    )
