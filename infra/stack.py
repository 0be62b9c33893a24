"""One pyshelf environment: composes storage, indexer, CDN and the publishing principals, wires
events and grants."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.bundling import IndexerSources
from infra.cdn import PackageCdn
from infra.config import EnvironmentConfig
from infra.github import GithubPublishers
from infra.indexer import Indexer
from infra.monitoring import Monitoring
from infra.nag import acknowledge, acknowledge_cdk_internals
from infra.publishers import PublisherPolicy
from infra.storage import PackageStorage
from infra.token_admins import TokenAdminPolicy
from infra.upload import UploadEndpoint
from pyshelf.constants import EVENT_SUFFIXES

# The CLI reads these output keys from the stack `pyshelf-<env>` (operators the last two:
# docs/runbook.md).
OUTPUT_KEYS = (
    "BucketName",
    "DistributionDomainName",
    "IndexUrl",
    "QueueUrl",
    "FunctionName",
    "KeyValueStoreArn",
    "PublisherPolicyArn",
    "TokenAdminPolicyArn",
    "AlarmTopicArn",
    "IndexerLogGroupName",
    "UploadUrl",
)
# With githubPublishers: one role per entry, numbered from 1 in cdk.json's order.
GITHUB_ROLE_OUTPUT = "GithubPublisherRole{number}Arn"
GITHUB_PROVIDER_OUTPUT = "GithubOidcProviderArn"


class PyshelfStack(Stack):
    """Bucket → SQS → indexer Lambda, CloudFront in front of the bucket, and who may publish."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        code_sources: IndexerSources | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = PackageStorage(
            self,
            "Storage",
            removal=config.removal,
            encryption=config.encryption,
            noncurrent_version_days=config.noncurrent_version_days,
        )
        indexer = Indexer(
            self,
            "Indexer",
            bucket=storage.bucket,
            max_concurrency=config.indexer_max_concurrency,
            log_retention=config.log_retention,
            removal=config.removal,
            code_sources=code_sources,
        )
        cdn = PackageCdn(
            self,
            "Cdn",
            bucket=storage.bucket,
            logs_bucket=storage.logs_bucket,
            price_class=config.price_class,
            function_settings=config.function_settings,
            domain_name=config.domain_name,
            certificate_arn=config.certificate_arn,
        )
        upload = UploadEndpoint(
            self,
            "Upload",
            bucket=storage.bucket,
            key=storage.key,
            log_retention=config.log_retention,
            removal=config.removal,
        )
        cdn.route_uploads(upload.url, upload.origin_secret)
        if config.reconcile_hours:
            indexer.reconcile_every(config.reconcile_hours)
        # The indexer's role names the distribution, which names nothing of the indexer.
        indexer.invalidate(cdn.distribution)
        if config.upstream is not None:
            indexer.keep_private_names(cdn.tokens)
        # The indexer's own writes (.metadata, index.*, _pyshelf/...) match none of these.
        storage.notify(indexer.queue, suffixes=EVENT_SUFFIXES)
        storage.grant_indexer(indexer.role)
        storage.reserve_derived_keys(indexer.role)
        publishers = PublisherPolicy(
            self,
            "Publishers",
            bucket=storage.bucket,
            key=storage.key,
            can_delete=config.publisher_can_delete,
        )
        token_admins = TokenAdminPolicy(self, "TokenAdmins", store=cdn.tokens)
        monitoring = Monitoring(
            self,
            "Monitoring",
            indexer=indexer,
            distribution=cdn.distribution,
            alarm_email=config.alarm_email,
        )
        self._acknowledge(storage)
        self._outputs(
            {
                "BucketName": storage.bucket.bucket_name,
                "DistributionDomainName": cdn.distribution.distribution_domain_name,
                "IndexUrl": f"https://{cdn.domain_name}/",
                "QueueUrl": indexer.queue.queue_url,
                "FunctionName": indexer.function.function_name,
                "KeyValueStoreArn": cdn.tokens.key_value_store_arn,
                "PublisherPolicyArn": publishers.policy.managed_policy_arn,
                "TokenAdminPolicyArn": token_admins.policy.managed_policy_arn,
                "AlarmTopicArn": monitoring.topic.topic_arn,
                "IndexerLogGroupName": indexer.log_group.log_group_name,
                "UploadUrl": f"https://{cdn.domain_name}/-/upload/",
            }
        )
        if config.github_publishers:
            self._github(config, publishers)

    def _github(self, config: EnvironmentConfig, publishers: PublisherPolicy) -> None:
        github = GithubPublishers(
            self,
            "Github",
            publishers=config.github_publishers,
            provider_arn=config.github_oidc_provider_arn,
            policy=publishers.policy,
        )
        for number, (publisher, role) in enumerate(github.roles.items(), start=1):
            CfnOutput(
                self,
                GITHUB_ROLE_OUTPUT.format(number=number),
                value=role.role_arn,
                description=f"publisher role of {publisher.repository} on {publisher.ref}",
            )
        if github.created_provider:
            CfnOutput(self, GITHUB_PROVIDER_OUTPUT, value=github.provider_arn)

    def _acknowledge(self, storage: PackageStorage) -> None:
        if storage.key:
            acknowledge(
                storage,
                "Annotation::@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac",
                "The key serves this bucket only; naming the distribution in its policy would "
                "be a circular dependency, so the condition admits this account's distributions.",
            )
        acknowledge_cdk_internals(self)

    def _outputs(self, values: dict[str, str]) -> None:
        for key in OUTPUT_KEYS:
            CfnOutput(self, key, value=values[key])
