"""Per-environment settings: `cdk.json` context `environments.<name>`, validated at synth.

`cdk deploy -c env=prod` picks `environments.prod`. Keys are camelCase in `cdk.json` and every one
is optional except where noted; an unknown environment, an unknown key or a bad value stops the
synth with a `ConfigError` that names the environment and the key.

Each setting with a fixed set of values has one table here (the value in `cdk.json` → what the
CDK gets); validation and the stack both read that table, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from aws_cdk import RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs

from pyshelf.constants import INDEXER_MAX_CONCURRENCY

Encryption = Literal["s3", "kms"]
Access = Literal["private", "public"]
"""`private`: the edge asks every reader for a token; `public`: anyone may read."""

REMOVAL_POLICIES: Mapping[str, RemovalPolicy] = {
    "retain": RemovalPolicy.RETAIN,
    "destroy": RemovalPolicy.DESTROY,
}
PRICE_CLASSES: Mapping[str, cloudfront.PriceClass] = {
    "PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
    "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
    "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL,
}
_DAYS = logs.RetentionDays
# The retention periods CloudWatch Logs offers (up to ten years), by their number of days.
LOG_RETENTION: Mapping[int, logs.RetentionDays] = {
    1: _DAYS.ONE_DAY,
    3: _DAYS.THREE_DAYS,
    5: _DAYS.FIVE_DAYS,
    7: _DAYS.ONE_WEEK,
    14: _DAYS.TWO_WEEKS,
    30: _DAYS.ONE_MONTH,
    60: _DAYS.TWO_MONTHS,
    90: _DAYS.THREE_MONTHS,
    120: _DAYS.FOUR_MONTHS,
    150: _DAYS.FIVE_MONTHS,
    180: _DAYS.SIX_MONTHS,
    365: _DAYS.ONE_YEAR,
    400: _DAYS.THIRTEEN_MONTHS,
    545: _DAYS.EIGHTEEN_MONTHS,
    731: _DAYS.TWO_YEARS,
    1096: _DAYS.THREE_YEARS,
    1827: _DAYS.FIVE_YEARS,
    3653: _DAYS.TEN_YEARS,
}

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# CloudFront only accepts certificates issued in us-east-1.
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
ACCOUNT = re.compile(r"^\d{12}$")
# One address for the alarm topic's email subscription: a dot-atom local part (RFC 5322, no
# quoted forms) @ a DNS name; at most 254 characters in all, as SMTP allows.
EMAIL = re.compile(
    r"^(?=.{3,254}\Z)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_PROVIDER_ARN = re.compile(
    rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$"
)
# OWNER/NAME exactly (no wildcards: the trust names one repository).
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
# A branch or tag ref; `*` is the only wildcard (IAM StringLike), pull requests never match.
GITHUB_REF = re.compile(r"^refs/(heads|tags)/[A-Za-z0-9._/*+-]{1,200}$")
# Fall-through (docs/fallthrough.md): the same rules as `pyshelf.core.edge_auth.EdgeSettings`,
# which infra may not import; tests/infra/test_cdk_config.py runs one table through both.
# https, a host name (no user info), an optional port, a path of URL-safe segments ending in /.
UPSTREAM = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
    r"/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+/)*"
)
MAX_UPSTREAM_LENGTH = 200
# A normalized project glob (`pyshelf.core.tokens.GLOB`, and no run of `-`): `*`, `?` wildcards.
RESERVED_GLOB = re.compile(r"[a-z0-9*?](?:[a-z0-9*?-]*[a-z0-9*?])?")
MAX_GLOB_LENGTH = 100


class ConfigError(ValueError):
    """The environment configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True, slots=True)
class GithubPublisher:
    """A GitHub Actions workflow that may publish: runs of `repository` on `ref`."""

    repository: str
    ref: str

    @property
    def subject(self) -> str:
        """The OIDC token's `sub` claim (an IAM StringLike pattern) of such a run."""
        return f"repo:{self.repository}:ref:{self.ref}"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentConfig:
    """Everything that differs between environments."""

    name: str
    account: str | None = None
    region: str | None = None
    removal: RemovalPolicy = RemovalPolicy.RETAIN
    """DESTROY deletes the buckets and all their objects with the stack (for throw-away envs)."""
    encryption: Encryption = "s3"
    noncurrent_version_days: int = 90
    log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS
    price_class: cloudfront.PriceClass = cloudfront.PriceClass.PRICE_CLASS_100
    indexer_max_concurrency: int = INDEXER_MAX_CONCURRENCY
    reconcile_hours: int = 24
    """Every how many hours the indexer compares the whole bucket with the index (0: never)."""
    domain_name: str | None = None
    certificate_arn: str | None = None
    access: Access = "private"
    publisher_can_delete: bool = False
    github_publishers: tuple[GithubPublisher, ...] = ()
    github_oidc_provider_arn: str | None = None
    """An existing provider (an account has one per URL); None creates one when needed."""
    upstream: str | None = None
    """Where project pages of names that are not private go (None: no fall-through)."""
    reserved: tuple[str, ...] = ()
    """Normalized globs of names that never fall through (only with `upstream`)."""
    alarm_email: str | None = None
    """Subscribed to the alarm topic (AWS asks the address to confirm); None: no subscription."""

    @property
    def stack_name(self) -> str:
        return f"pyshelf-{self.name}"

    @property
    def function_settings(self) -> dict[str, object]:
        """The CloudFront Function's `CONFIG` (`EdgeSettings.from_mapping` reads it): only the
        settings that are set."""
        settings: dict[str, object] = {"access": self.access}
        if self.upstream is not None:
            settings["upstream"] = self.upstream
        if self.reserved:
            settings["reserved"] = list(self.reserved)
        return settings


Check = Callable[[Any], str | None]
"""Returns an error message for a bad value, None for a good one."""


@dataclass(frozen=True, slots=True)
class _Field:
    attribute: str
    check: Check
    convert: Callable[[Any], Any] = lambda value: value


def _one_of(allowed: tuple[object, ...]) -> Check:
    def check(value: Any) -> str | None:
        # `type(...) is` so that true/false never pass for 1/0.
        ok = any(type(value) is type(choice) and value == choice for choice in allowed)
        return None if ok else f"must be one of {', '.join(map(str, allowed))}"

    return check


def _table(attribute: str, table: Mapping[Any, Any]) -> _Field:
    """A setting whose values are the keys of `table`; the config holds the table's value."""
    return _Field(attribute, _one_of(tuple(table)), table.__getitem__)


def _int_range(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be an integer from {low} to {high}"

    return check


def _matches(regex: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and regex.match(value) is not None


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(value: Any) -> str | None:
        return None if _matches(regex, value) else f"must be {what}"

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _github_publishers(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return 'must be a non-empty list of {"repository": "OWNER/NAME", "ref": "refs/..."}'
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) != {"repository", "ref"}:
            return f'item {number} must have exactly the keys "repository" and "ref"'
        if not _matches(GITHUB_REPOSITORY, item["repository"]):
            return f"item {number}: repository must be OWNER/NAME (no wildcards)"
        if not _matches(GITHUB_REF, item["ref"]):
            return f"item {number}: ref must be refs/heads/... or refs/tags/... (`*` allowed)"
    if len({(item["repository"], item["ref"]) for item in value}) != len(value):
        return "lists a repository and ref twice"
    return None


def _authority(url: str) -> str:
    return url.removeprefix("https://").split("/", 1)[0]


# An https URL ending in `/` without user info, query or fragment: the redirect's Location is
# `upstream + <normalized name> + "/"`, and every client sees it. The first rule broken is named.
_UPSTREAM_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda url: "@" not in _authority(url), "must not carry user info (every client sees it)"),
    (lambda url: "?" not in url and "#" not in url, "must have no query or fragment"),
    (lambda url: url.endswith("/"), "must end with / (the project name follows it)"),
    (
        lambda url: len(url) <= MAX_UPSTREAM_LENGTH,
        f"must be at most {MAX_UPSTREAM_LENGTH} characters",
    ),
    (
        lambda url: UPSTREAM.fullmatch(url) is not None,
        "must be https://HOST[:PORT]/PATH/ of URL-safe characters",
    ),
)


def _upstream(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("https://"):
        return "must be an https:// URL such as https://pypi.org/simple/"
    return next((message for holds, message in _UPSTREAM_RULES if not holds(value)), None)


def _reserved(value: Any) -> str | None:
    if not isinstance(value, list):
        return 'must be a list of normalized project globs, e.g. ["acme-*"]'
    for number, glob in enumerate(value, start=1):
        problem = _reserved_glob(glob)
        if problem:
            return f"item {number} ({glob!r}) {problem}"
    return None


def _reserved_glob(glob: Any) -> str | None:
    if not isinstance(glob, str):
        return "must be a string"
    normalized = re.sub(r"[-_.]+", "-", glob.strip()).lower()
    shape = (
        f"must be at most {MAX_GLOB_LENGTH} characters of letters, digits, '-', '*' and '?', "
        "starting and ending with a letter, digit or wildcard"
    )
    if len(normalized) > MAX_GLOB_LENGTH or not RESERVED_GLOB.fullmatch(normalized):
        return shape
    if normalized != glob:
        return f"is not normalized: write {normalized!r}"
    return None


FIELDS: Mapping[str, _Field] = {
    "account": _Field("account", _pattern(ACCOUNT, "a 12-digit AWS account id")),
    "region": _Field("region", _pattern(REGION, "an AWS region such as eu-west-1")),
    "removalPolicy": _table("removal", REMOVAL_POLICIES),
    "encryption": _Field("encryption", _one_of(get_args(Encryption))),
    "noncurrentVersionDays": _Field("noncurrent_version_days", _int_range(1, 3650)),
    "logRetentionDays": _table("log_retention", LOG_RETENTION),
    "priceClass": _table("price_class", PRICE_CLASSES),
    "indexerMaxConcurrency": _Field("indexer_max_concurrency", _int_range(2, 1000)),
    "reconcileHours": _Field("reconcile_hours", _int_range(0, 168)),
    "domainName": _Field("domain_name", _pattern(DOMAIN, "a lower-case DNS name")),
    "certificateArn": _Field(
        "certificate_arn", _pattern(CERTIFICATE_ARN, "an ACM certificate ARN in us-east-1")
    ),
    "access": _Field("access", _one_of(get_args(Access))),
    "publisherCanDelete": _Field("publisher_can_delete", _boolean),
    "githubPublishers": _Field(
        "github_publishers",
        _github_publishers,
        lambda items: tuple(GithubPublisher(item["repository"], item["ref"]) for item in items),
    ),
    "githubOidcProviderArn": _Field(
        "github_oidc_provider_arn",
        _pattern(GITHUB_OIDC_PROVIDER_ARN, f"the ARN of the OIDC provider of {GITHUB_OIDC_HOST}"),
    ),
    "upstream": _Field("upstream", _upstream),
    "reserved": _Field("reserved", _reserved, tuple),
    "alarmEmail": _Field("alarm_email", _pattern(EMAIL, "one email address, name@example.com")),
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
        values[spec.attribute] = spec.convert(value)
    _check_pairs(name, values)
    return EnvironmentConfig(name=name, **values)


def _check_pairs(name: str, values: Mapping[str, Any]) -> None:
    if ("domain_name" in values) != ("certificate_arn" in values):
        raise ConfigError(f"environments.{name}: set domainName and certificateArn together")
    if "github_oidc_provider_arn" in values and "github_publishers" not in values:
        raise ConfigError(
            f"environments.{name}: githubOidcProviderArn is only used with githubPublishers"
        )
    if values.get("reserved") and "upstream" not in values:
        raise ConfigError(
            f"environments.{name}: reserved names only matter with an upstream: set upstream too"
        )
