"""Helpers for reading synthesized templates."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

REPO = Path(__file__).resolve().parents[2]
VARIANT_DOMAIN = "pypi.example.com"
VARIANT_CERTIFICATE = (
    "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"
)
# A test-only environment: what dev and prod leave out (KMS, a custom domain, a public index,
# GitHub publishers with a provider the stack creates, fall-through with reserved names, an
# alarm email).
VARIANT_UPSTREAM = "https://pypi.org/simple/"
VARIANT_RESERVED = ("acme-*", "internal-?-lib")
VARIANT_GITHUB_PUBLISHERS = (
    {"repository": "acme/lib", "ref": "refs/tags/v*"},
    {"repository": "acme/tools", "ref": "refs/heads/main"},
)
VARIANT_ALARM_EMAIL = "pyshelf-alarms@example.com"
VARIANT_ENVIRONMENT: dict[str, Any] = {
    "encryption": "kms",
    "domainName": VARIANT_DOMAIN,
    "certificateArn": VARIANT_CERTIFICATE,
    "priceClass": "PriceClass_200",
    "access": "public",
    "githubPublishers": [dict(publisher) for publisher in VARIANT_GITHUB_PUBLISHERS],
    "upstream": VARIANT_UPSTREAM,
    "reserved": list(VARIANT_RESERVED),
    "alarmEmail": VARIANT_ALARM_EMAIL,
}


def cdk_environment() -> dict[str, str]:
    """Environment for an offline `cdk synth` that runs this interpreter's `python3`."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="1",
        CDK_DISABLE_VERSION_CHECK="1",
        CDK_DISABLE_CLI_TELEMETRY="true",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@dataclass
class Synth:
    """One synthesized stack: its cloud assembly directory and template."""

    outdir: Path
    stack_name: str
    output: str
    json: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, outdir: Path, stack_name: str, output: str) -> Synth:
        data = json.loads((outdir / f"{stack_name}.template.json").read_text())
        return cls(outdir, stack_name, output, data)

    @property
    def template(self) -> Template:
        return Template.from_json(self.json)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.json["Resources"].items()
            if resource["Type"] == kind
        }

    def one(self, kind: str) -> tuple[str, dict[str, Any]]:
        """The only resource of `kind`: (logical id, properties)."""
        found = self.resources(kind)
        assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
        logical_id, resource = next(iter(found.items()))
        return logical_id, resource.get("Properties", {})

    def logical_id(self, kind: str, path_part: str) -> str:
        """The logical id of the resource of `kind` whose construct path contains `path_part`."""
        matches = [
            logical_id
            for logical_id, resource in self.resources(kind).items()
            if path_part in resource.get("Metadata", {}).get("aws:cdk:path", "")
        ]
        assert len(matches) == 1, f"{kind} at {path_part}: {matches}"
        return matches[0]

    def props(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.json["Resources"][logical_id].get("Properties", {})
        return props

    def bucket_policy(self, bucket_logical_id: str) -> list[dict[str, Any]]:
        """The statements of the bucket policy of `bucket_logical_id`."""
        (policy,) = [
            resource["Properties"]["PolicyDocument"]["Statement"]
            for resource in self.resources("AWS::S3::BucketPolicy").values()
            if resource["Properties"]["Bucket"] == {"Ref": bucket_logical_id}
        ]
        statements: list[dict[str, Any]] = policy
        return statements

    def policy_statements(self, logical_id: str) -> list[dict[str, Any]]:
        """The statements of the (managed) policy `logical_id`."""
        statements: list[dict[str, Any]] = self.props(logical_id)["PolicyDocument"]["Statement"]
        return statements
