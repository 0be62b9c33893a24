"""One pyshelf environment: composes storage, indexer and CDN, wires events and grants."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.bundling import IndexerSources
from infra.cdn import PackageCdn
from infra.config import EnvironmentConfig
from infra.indexer import Indexer
from infra.nag import acknowledge, acknowledge_cdk_internals
from infra.storage import PackageStorage
from pyshelf.constants import EVENT_SUFFIXES

# The CLI reads these output keys from the stack `pyshelf-<env>`.
OUTPUT_KEYS = ("BucketName", "DistributionDomainName", "IndexUrl", "QueueUrl", "FunctionName")


class PyshelfStack(Stack):
    """Bucket → SQS → indexer Lambda, and CloudFront in front of the bucket."""

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
            domain_name=config.domain_name,
            certificate_arn=config.certificate_arn,
        )
        # The indexer's own writes (.metadata, index.*, _pyshelf/...) match none of these.
        storage.notify(indexer.queue, suffixes=EVENT_SUFFIXES)
        storage.grant_indexer(indexer.role)
        self._acknowledge(storage)
        self._outputs(storage, indexer, cdn)

    def _acknowledge(self, storage: PackageStorage) -> None:
        if storage.key:
            acknowledge(
                storage,
                "Annotation::@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac",
                "The key serves this bucket only; naming the distribution in its policy would "
                "be a circular dependency, so the condition admits this account's distributions.",
            )
        acknowledge_cdk_internals(self)

    def _outputs(self, storage: PackageStorage, indexer: Indexer, cdn: PackageCdn) -> None:
        values = {
            "BucketName": storage.bucket.bucket_name,
            "DistributionDomainName": cdn.distribution.distribution_domain_name,
            "IndexUrl": f"https://{cdn.domain_name}/",
            "QueueUrl": indexer.queue.queue_url,
            "FunctionName": indexer.function.function_name,
        }
        for key in OUTPUT_KEYS:
            CfnOutput(self, key, value=values[key])
