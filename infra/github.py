"""GitHub Actions publishers: one IAM role per configured repository and ref, assumed through
GitHub's OIDC provider (no long-lived keys), carrying the publisher policy.

An account has one OIDC provider per URL: `githubOidcProviderArn` imports an existing one;
without it the stack creates one and keeps it when the stack is deleted (other stacks of the
account may trust it too).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import GITHUB_OIDC_HOST, GithubPublisher

# The audience GitHub's aws-actions/configure-aws-credentials asks for.
STS_AUDIENCE = "sts.amazonaws.com"
SESSION = Duration.hours(1)


class GithubPublishers(Construct):
    """Roles that workflow runs of the configured repositories and refs may assume."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publishers: Sequence[GithubPublisher],
        provider_arn: str | None,
        policy: iam.IManagedPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.created_provider: iam.OidcProviderNative | None = None
        if provider_arn is None:
            self.created_provider = self._provider()
            provider_arn = self.created_provider.oidc_provider_arn
        self.provider_arn = provider_arn
        self.roles = {
            publisher: self._role(number, publisher, policy)
            for number, publisher in enumerate(publishers, start=1)
        }

    def _provider(self) -> iam.OidcProviderNative:
        return iam.OidcProviderNative(
            self,
            "Provider",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_ids=[STS_AUDIENCE],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _role(
        self, number: int, publisher: GithubPublisher, policy: iam.IManagedPolicy
    ) -> iam.Role:
        trust = iam.WebIdentityPrincipal(
            self.provider_arn,
            conditions={
                "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE},
                "StringLike": {f"{GITHUB_OIDC_HOST}:sub": publisher.subject},
            },
        )
        return iam.Role(
            self,
            f"Publisher{number}",
            assumed_by=trust,
            managed_policies=[policy],
            max_session_duration=SESSION,
            description=(
                f"pyshelf publisher: GitHub Actions runs of {publisher.repository} "
                f"on {publisher.ref}"
            ),
        )
