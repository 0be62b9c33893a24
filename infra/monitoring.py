"""Someone is told: an encrypted alarm topic, the alarms on the indexer and its queues, and a
one-page dashboard. docs/runbook.md says what each alarm means and what to do about it.

Every alarm looks at 5-minute periods and treats missing data as fine (no traffic, no alarm);
each notifies the topic when it fires and again when it clears. Thresholds:

- DeadLetters: any message on the dead-letter queue, i.e. an event the indexer failed
  MAX_RECEIVE_COUNT times (about MAX_RECEIVE_COUNT x VISIBILITY_TIMEOUT after its first try).
- IndexerErrors: a failed invocation (the handler raised or timed out) in 2 of 3 periods. A
  failed batch comes back after VISIBILITY_TIMEOUT, one period later, so this fires on the
  first retry that fails too, well before the dead letters; a blip the retry fixes stays quiet.
  Messages the handler reports as failed are no Lambda error: DeadLetters sees those.
- IndexerThrottles: a throttle in 2 of 3 periods. The event source's maximum concurrency keeps
  Lambda from throttling it, so a throttle means the account's concurrency is used up or the
  function's reserved concurrency was set to 0; each throttled receive uses up a receive.
- OldestEvent: an event waiting OLDEST_EVENT_THRESHOLD (3 visibility timeouts): nothing consumes
  the queue (event source disabled, function throttled to zero) or it is far behind. A failing
  message alone never gets there: it is retried every VISIBILITY_TIMEOUT, and SQS leaves a
  message received 3 times out of this metric. So this catches the stall DeadLetters cannot.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.indexer import MAX_RECEIVE_COUNT, TIMEOUT, VISIBILITY_TIMEOUT, Indexer

PERIOD = Duration.minutes(5)
OLDEST_EVENT_THRESHOLD = Duration.seconds(3 * VISIBILITY_TIMEOUT.to_seconds())
# Pinned, so the dashboard keeps its name (the stack's) through any refactor of the tree.
DASHBOARD_LOGICAL_ID = "OperationsDashboard"
RUNBOOK = "docs/runbook.md"
# CloudFront publishes its metrics in us-east-1 only, under the dimension Region=Global.
CLOUDFRONT_METRICS_REGION = "us-east-1"
CLOUDWATCH = iam.ServicePrincipal("cloudwatch.amazonaws.com")


class Monitoring(Construct):
    """`topic` (with `alarm_email` subscribed, if given), `alarms` by name, and `dashboard`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        indexer: Indexer,
        distribution: cloudfront.IDistribution,
        alarm_email: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack_name = Stack.of(self).stack_name
        self.topic = self._topic()
        if alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms = self._alarms(indexer)
        notify = actions.SnsAction(self.topic)
        for alarm in self.alarms.values():
            alarm.add_alarm_action(notify)
            alarm.add_ok_action(notify)
        self.dashboard = self._dashboard(indexer, distribution)

    def _topic(self) -> sns.Topic:
        # A customer managed key: CloudWatch cannot publish to a topic under the AWS managed
        # key (alias/aws/sns), whose policy nobody can extend. It protects alarm texts only, so
        # it goes with the stack whatever the removal policy.
        key = kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
            description=f"{self._stack_name}: the alarm topic",
        )
        topic = sns.Topic(
            self,
            "Topic",
            display_name=f"{self._stack_name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        from_alarms = self._from_this_accounts_alarms()
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsEncrypt",
                principals=[CLOUDWATCH],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=from_alarms,
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[CLOUDWATCH],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_alarms,
            )
        )
        return topic

    def _from_this_accounts_alarms(self) -> Mapping[str, Mapping[str, str]]:
        """Only alarms of this account and region may use the key and topic (confused deputy)."""
        alarms = Stack.of(self).format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": alarms},
        }

    def _alarms(self, indexer: Indexer) -> dict[str, cloudwatch.Alarm]:
        function = indexer.function
        return {
            "DeadLetters": self._alarm(
                "DeadLetters",
                indexer.dead_letters.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                threshold=1,
                what=f"bucket events the indexer failed {MAX_RECEIVE_COUNT} times are on the "
                "dead-letter queue",
                anchor="deadletters",
            ),
            "IndexerErrors": self._alarm(
                "IndexerErrors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=1,
                what="indexer invocations failed (raised or timed out) in 2 of 3 periods of 5 min",
                anchor="indexererrors",
                datapoints=2,
            ),
            "IndexerThrottles": self._alarm(
                "IndexerThrottles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=1,
                what="indexer invocations were throttled in 2 of 3 periods of 5 min",
                anchor="indexerthrottles",
                datapoints=2,
            ),
            "OldestEvent": self._alarm(
                "OldestEvent",
                indexer.queue.metric_approximate_age_of_oldest_message(
                    period=PERIOD, statistic="Maximum"
                ),
                threshold=OLDEST_EVENT_THRESHOLD.to_seconds(),
                what=f"a bucket event has waited {OLDEST_EVENT_THRESHOLD.to_minutes():.0f} "
                "minutes on the events queue: the index is stale",
                anchor="oldestevent",
            ),
        }

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        what: str,
        anchor: str,
        datapoints: int = 1,
    ) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=3 if datapoints > 1 else 1,
            datapoints_to_alarm=datapoints,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{self._stack_name}: {what}. What to do: {RUNBOOK}#{anchor}",
        )

    def _dashboard(
        self, indexer: Indexer, distribution: cloudfront.IDistribution
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self._stack_name,
            default_interval=Duration.hours(24),
        )
        cfn = dashboard.node.default_child
        if not isinstance(cfn, cloudwatch.CfnDashboard):
            raise TypeError("the dashboard has no CfnDashboard")
        cfn.override_logical_id(DASHBOARD_LOGICAL_ID)
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms (docs/runbook.md)", alarms=list(self.alarms.values()), width=24
            )
        )
        dashboard.add_widgets(*_indexer_widgets(indexer))
        dashboard.add_widgets(*_queue_widgets(indexer))
        dashboard.add_widgets(*_cdn_widgets(distribution))
        return dashboard


def _indexer_widgets(indexer: Indexer) -> list[cloudwatch.IWidget]:
    function = indexer.function
    duration = [
        function.metric_duration(period=PERIOD, statistic=statistic, label=statistic)
        for statistic in ("Average", "p99", "Maximum")
    ]
    return [
        cloudwatch.GraphWidget(
            title="Indexer invocations, errors, throttles (sum per 5 min)",
            left=[
                function.metric_invocations(period=PERIOD, statistic="Sum"),
                function.metric_errors(period=PERIOD, statistic="Sum"),
                function.metric_throttles(period=PERIOD, statistic="Sum"),
            ],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="Indexer duration (ms)",
            left=duration,
            left_annotations=[
                cloudwatch.HorizontalAnnotation(
                    value=TIMEOUT.to_milliseconds(), label="timeout", color=cloudwatch.Color.RED
                )
            ],
            width=12,
        ),
    ]


def _queue_widgets(indexer: Indexer) -> list[cloudwatch.IWidget]:
    queue = indexer.queue
    return [
        cloudwatch.GraphWidget(
            title="Events queue: messages waiting and in flight",
            left=[
                queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum", label="waiting"
                ),
                queue.metric_approximate_number_of_messages_not_visible(
                    period=PERIOD, statistic="Maximum", label="in flight"
                ),
            ],
            width=8,
        ),
        cloudwatch.GraphWidget(
            title="Events queue: age of the oldest message (s)",
            left=[
                queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
            ],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(
                    value=OLDEST_EVENT_THRESHOLD.to_seconds(), label="alarm"
                )
            ],
            width=8,
        ),
        cloudwatch.GraphWidget(
            title="Dead-letter queue: messages",
            left=[
                indexer.dead_letters.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                )
            ],
            width=8,
        ),
    ]


def _cdn_metric(
    distribution: cloudfront.IDistribution, name: str, statistic: str, label: str
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name=name,
        dimensions_map={"DistributionId": distribution.distribution_id, "Region": "Global"},
        region=CLOUDFRONT_METRICS_REGION,
        period=PERIOD,
        statistic=statistic,
        label=label,
    )


def _cdn_widgets(distribution: cloudfront.IDistribution) -> list[cloudwatch.IWidget]:
    return [
        cloudwatch.GraphWidget(
            title="CloudFront requests (sum per 5 min)",
            left=[_cdn_metric(distribution, "Requests", "Sum", "requests")],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="CloudFront error rates (% of requests)",
            left=[
                _cdn_metric(distribution, "4xxErrorRate", "Average", "4xx"),
                _cdn_metric(distribution, "5xxErrorRate", "Average", "5xx"),
            ],
            width=12,
        ),
    ]
