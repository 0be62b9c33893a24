"""Per-environment settings: `cdk.json` context `environments.<name>`, validated at synth.

`cdk deploy -c env=prod` picks `environments.prod`. Keys are camelCase in `cdk.json` and every one
is optional except where noted; an unknown environment, an unknown key or a bad value stops the
synth with a `ConfigError` that names the environment and the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Encryption = Literal["s3", "kms"]
Removal = Literal["retain", "destroy"]
PriceClassName = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# CloudFront only accepts certificates issued in us-east-1.
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
# The retention periods CloudWatch Logs offers (up to ten years).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    3653,
)


class ConfigError(ValueError):
    """The environment configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentConfig:
    """Everything that differs between environments."""

    name: str
    account: str | None = None
    region: str | None = None
    removal: Removal = "retain"
    """`destroy` deletes the buckets and all their objects with the stack (for throw-away envs)."""
    encryption: Encryption = "s3"
    noncurrent_version_days: int = 90
    log_retention_days: int = 90
    price_class: PriceClassName = "PriceClass_100"
    indexer_max_concurrency: int = 5
    domain_name: str | None = None
    certificate_arn: str | None = None

    @property
    def stack_name(self) -> str:
        return f"pyshelf-{self.name}"


@dataclass(frozen=True, slots=True)
class _Field:
    attribute: str
    check: Callable[[Any], str | None]
    """Returns an error message for a bad value, None for a good one."""


def _choice(*allowed: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def _int_range(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be an integer from {low} to {high}"

    return check


def _one_of_ints(allowed: tuple[int, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {allowed}"

    return check


def _pattern(regex: re.Pattern[str], what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if isinstance(value, str) and regex.match(value) else f"must be {what}"

    return check


FIELDS: Mapping[str, _Field] = {
    "account": _Field("account", _pattern(ACCOUNT, "a 12-digit AWS account id")),
    "region": _Field("region", _pattern(REGION, "an AWS region such as eu-west-1")),
    "removalPolicy": _Field("removal", _choice("retain", "destroy")),
    "encryption": _Field("encryption", _choice("s3", "kms")),
    "noncurrentVersionDays": _Field("noncurrent_version_days", _int_range(1, 3650)),
    "logRetentionDays": _Field("log_retention_days", _one_of_ints(LOG_RETENTION_DAYS)),
    "priceClass": _Field(
        "price_class", _choice("PriceClass_100", "PriceClass_200", "PriceClass_All")
    ),
    "indexerMaxConcurrency": _Field("indexer_max_concurrency", _int_range(2, 1000)),
    "domainName": _Field("domain_name", _pattern(DOMAIN, "a lower-case DNS name")),
    "certificateArn": _Field(
        "certificate_arn", _pattern(CERTIFICATE_ARN, "an ACM certificate ARN in us-east-1")
    ),
}


def load_environment(context: Mapping[str, Any], env: str | None) -> EnvironmentConfig:
    """The validated config of environment `env` from the app's context."""
    environments = context.get("environments")
    if not isinstance(environments, dict) or not environments:
        raise ConfigError('cdk.json context has no "environments" object')
    choices = ", ".join(sorted(environments))
    if not env:
        raise ConfigError(f"choose an environment with -c env=NAME (one of: {choices})")
    if env not in environments:
        raise ConfigError(f"unknown environment {env!r} (-c env=NAME, one of: {choices})")
    return parse_environment(env, environments[env])


def parse_environment(name: str, raw: Any) -> EnvironmentConfig:
    """Validate one environment's settings."""
    if not ENV_NAME.match(name):
        raise ConfigError(f"environment name {name!r} must match {ENV_NAME.pattern}")
    if not isinstance(raw, dict):
        raise ConfigError(f"environments.{name} must be an object")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = FIELDS.get(key)
        if spec is None:
            raise ConfigError(
                f"environments.{name}.{key}: unknown key (known: {', '.join(sorted(FIELDS))})"
            )
        problem = spec.check(value)
        if problem:
            raise ConfigError(f"environments.{name}.{key} = {value!r}: {problem}")
        values[spec.attribute] = value
    if ("domain_name" in values) != ("certificate_arn" in values):
        raise ConfigError(f"environments.{name}: set domainName and certificateArn together")
    return EnvironmentConfig(name=name, **values)
