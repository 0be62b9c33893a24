"""Environment config: cdk.json environments, validation, clear errors at synth."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_support import REPO, cdk_environment

from infra.config import (
    LOG_RETENTION,
    MAX_GLOB_LENGTH,
    MAX_UPSTREAM_LENGTH,
    PRICE_CLASSES,
    REMOVAL_POLICIES,
    ConfigError,
    EnvironmentConfig,
    GithubPublisher,
    load_environment,
    parse_environment,
)
from pyshelf.core.edge_auth import EdgeSettings

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
GOOD = {"repository": "acme/lib", "ref": "refs/tags/v*"}
PYPI = "https://pypi.org/simple/"
BAD_EMAILS = (
    "ops",
    "ops@",
    "@example.com",
    "ops@example",
    "ops@@example.com",
    "o ps@example.com",
    "ops..team@example.com",
    "ops@example.com\n",
    "ops@example.com, dev@example.com",
    ["ops@example.com"],
    "o" * 65 + "@example.com",
    "ops@" + "a" * 250 + ".com",
    "ops@-example.com",
)
GOOD_EMAILS = ("ops@example.com", "Ops.Team+pyshelf@mail.Example.co.uk", "o'brien@example.org")


def test_cdk_json_declares_dev_and_prod(cdk_context: dict[str, Any]) -> None:
    dev = load_environment(cdk_context, "dev")
    prod = load_environment(cdk_context, "prod")
    assert (dev.stack_name, prod.stack_name) == ("pyshelf-dev", "pyshelf-prod")
    assert prod.removal is RemovalPolicy.RETAIN
    assert dev.removal is RemovalPolicy.DESTROY


def test_defaults_are_the_safe_choice() -> None:
    config = parse_environment("staging", {})
    assert config == EnvironmentConfig(name="staging")
    assert config.removal is RemovalPolicy.RETAIN
    assert config.encryption == "s3"
    assert config.domain_name is None
    assert config.access == "private"
    assert config.publisher_can_delete is False
    assert config.github_publishers == ()


def test_shipped_environments_are_private(cdk_context: dict[str, Any]) -> None:
    for env in ("dev", "prod"):
        assert load_environment(cdk_context, env).access == "private"
    assert load_environment(cdk_context, "prod").publisher_can_delete is False


def test_shipped_environments_do_not_fall_through(cdk_context: dict[str, Any]) -> None:
    for env in ("dev", "prod"):
        config = load_environment(cdk_context, env)
        assert (config.upstream, config.reserved) == (None, ())
        assert config.function_settings == {"access": "private"}


def test_every_camel_case_key_sets_its_field() -> None:
    raw = {
        "account": "123456789012",
        "region": "eu-west-1",
        "removalPolicy": "destroy",
        "encryption": "kms",
        "noncurrentVersionDays": 30,
        "logRetentionDays": 7,
        "priceClass": "PriceClass_All",
        "indexerMaxConcurrency": 10,
        "domainName": "pypi.example.com",
        "certificateArn": CERT,
        "access": "public",
        "publisherCanDelete": True,
        "githubPublishers": [{"repository": "acme/lib", "ref": "refs/tags/v*"}],
        "githubOidcProviderArn": PROVIDER,
        "upstream": PYPI,
        "reserved": ["acme-*", "internal-?"],
        "alarmEmail": "ops@example.com",
    }
    config = parse_environment("dev", raw)
    assert config == EnvironmentConfig(
        name="dev",
        account="123456789012",
        region="eu-west-1",
        removal=RemovalPolicy.DESTROY,
        encryption="kms",
        noncurrent_version_days=30,
        log_retention=logs.RetentionDays.ONE_WEEK,
        price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
        indexer_max_concurrency=10,
        domain_name="pypi.example.com",
        certificate_arn=CERT,
        access="public",
        publisher_can_delete=True,
        github_publishers=(GithubPublisher("acme/lib", "refs/tags/v*"),),
        github_oidc_provider_arn=PROVIDER,
        upstream=PYPI,
        reserved=("acme-*", "internal-?"),
        alarm_email="ops@example.com",
    )
    assert config.github_publishers[0].subject == "repo:acme/lib:ref:refs/tags/v*"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"removalPolicy": "keep"}, "removalPolicy = 'keep': must be one of retain, destroy"),
        ({"encryption": "aes"}, "encryption = 'aes'"),
        ({"noncurrentVersionDays": 0}, "noncurrentVersionDays = 0: must be an integer"),
        ({"noncurrentVersionDays": "30"}, "noncurrentVersionDays = '30'"),
        ({"noncurrentVersionDays": True}, "noncurrentVersionDays = True"),
        ({"logRetentionDays": 10}, "logRetentionDays = 10: must be one of 1, 3, 5, 7, 14"),
        ({"logRetentionDays": True}, "logRetentionDays = True"),
        ({"logRetentionDays": "14"}, "logRetentionDays = '14'"),
        ({"priceClass": "cheap"}, "priceClass = 'cheap'"),
        ({"indexerMaxConcurrency": 1}, "indexerMaxConcurrency = 1"),
        ({"account": "12345"}, "account = '12345': must be a 12-digit AWS account id"),
        ({"region": "Europe"}, "region = 'Europe'"),
        ({"domainName": "Pypi.Example.com", "certificateArn": CERT}, "domainName"),
        (
            {
                "domainName": "pypi.example.com",
                "certificateArn": CERT.replace("us-east-1", "eu-west-1"),
            },
            "must be an ACM certificate ARN in us-east-1",
        ),
        ({"domainName": "pypi.example.com"}, "set domainName and certificateArn together"),
        ({"certificateArn": CERT}, "set domainName and certificateArn together"),
        ({"bucketName": "x"}, "bucketName: unknown key"),
        ({"access": "open"}, "access = 'open': must be one of private, public"),
        ({"publisherCanDelete": "yes"}, "publisherCanDelete = 'yes': must be true or false"),
        ({"githubPublishers": []}, "githubPublishers = []: must be a non-empty list"),
        ({"githubPublishers": {"repository": "a/b"}}, "must be a non-empty list"),
        ({"githubPublishers": [{"repository": "acme/lib"}]}, "item 1 must have exactly the keys"),
        (
            {"githubPublishers": [{**GOOD, "branch": "main"}]},
            'item 1 must have exactly the keys "repository" and "ref"',
        ),
        ({"githubPublishers": [{**GOOD, "repository": "acme/*"}]}, "item 1: repository"),
        ({"githubPublishers": [{**GOOD, "repository": "acme"}]}, "item 1: repository"),
        ({"githubPublishers": [GOOD, {**GOOD, "ref": "main"}]}, "item 2: ref must be refs/heads"),
        ({"githubPublishers": [{**GOOD, "ref": "refs/pull/1/merge"}]}, "item 1: ref"),
        ({"githubPublishers": [{**GOOD, "ref": "refs/tags/v?"}]}, "item 1: ref"),
        ({"githubPublishers": [GOOD, GOOD]}, "lists a repository and ref twice"),
        (
            {"githubPublishers": [GOOD], "githubOidcProviderArn": PROVIDER.replace("token.", "")},
            "githubOidcProviderArn = ",
        ),
        ({"githubOidcProviderArn": PROVIDER}, "githubOidcProviderArn is only used with"),
        ({"upstream": "http://pypi.org/simple/"}, "upstream = 'http://pypi.org/simple/': must be"),
        ({"upstream": None}, "upstream = None: must be an https:// URL"),
        ({"upstream": "https://u:p@pypi.org/simple/"}, "must not carry user info"),
        ({"upstream": "https://pypi.org/simple/?x=1"}, "must have no query or fragment"),
        ({"upstream": "https://pypi.org/simple/#top"}, "must have no query or fragment"),
        ({"upstream": "https://pypi.org/simple"}, "must end with /"),
        ({"upstream": PYPI + "a/" * 100}, f"must be at most {MAX_UPSTREAM_LENGTH} characters"),
        ({"upstream": "https://pypi.org/sim ple/"}, "of URL-safe characters"),
        ({"upstream": PYPI, "reserved": "acme-*"}, "reserved = 'acme-*': must be a list"),
        (
            {"upstream": PYPI, "reserved": ["acme-*", "Acme_*"]},
            "item 2 ('Acme_*') is not normalized: write 'acme-*'",
        ),
        ({"upstream": PYPI, "reserved": ["acme/*"]}, "item 1 ('acme/*') must be at most"),
        ({"upstream": PYPI, "reserved": [7]}, "item 1 (7) must be a string"),
        ({"reserved": ["acme-*"]}, "reserved names only matter with an upstream"),
        *[({"alarmEmail": bad}, "alarmEmail = ") for bad in BAD_EMAILS],
    ],
)
def test_bad_values_are_rejected_with_the_key_named(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", raw)
    assert message in str(error.value)
    assert "environments.dev" in str(error.value)


@pytest.mark.parametrize("email", GOOD_EMAILS)
def test_good_alarm_emails_are_kept_as_written(email: str) -> None:
    assert parse_environment("dev", {"alarmEmail": email}).alarm_email == email


def test_shipped_environments_subscribe_no_email(cdk_context: dict[str, Any]) -> None:
    """An address in cdk.json would get mail: each deployment sets its own."""
    for env in ("dev", "prod"):
        assert load_environment(cdk_context, env).alarm_email is None


ABSENT = object()
# (upstream, reserved, accepted); ABSENT leaves the key out. Every value a cdk.json can hold for
# these keys, except `"upstream": null`: refused by the config (as every null is) while
# `from_mapping` reads it as "no upstream" (the function's CONFIG leaves unset keys out).
FALLTHROUGH_TABLE: list[tuple[object, object, bool]] = [
    (ABSENT, ABSENT, True),
    (PYPI, ABSENT, True),
    ("https://pypi-mirror.example.com:8443/repository/pypi-proxy/simple/", ABSENT, True),
    ("https://h/", ABSENT, True),
    ("https://10.0.0.1/simple/", ABSENT, True),
    ("https://example.com/~user/a@b/%7E/", ABSENT, True),
    ("https://example.com/" + "a" * (MAX_UPSTREAM_LENGTH - 21) + "/", ABSENT, True),
    ("https://example.com/" + "a" * (MAX_UPSTREAM_LENGTH - 20) + "/", ABSENT, False),
    ("http://pypi.org/simple/", ABSENT, False),
    ("HTTPS://pypi.org/simple/", ABSENT, False),
    ("pypi.org/simple/", ABSENT, False),
    ("", ABSENT, False),
    ("https://pypi.org/simple", ABSENT, False),
    ("https://pypi.org", ABSENT, False),
    ("https://__token__:secret@pypi.org/simple/", ABSENT, False),
    ("https://token@pypi.org/simple/", ABSENT, False),
    ("https://pypi.org/simple/?format=json", ABSENT, False),
    ("https://pypi.org/simple/?", ABSENT, False),
    ("https://pypi.org/simple/#", ABSENT, False),
    ("https://pypi.org/simple/\n", ABSENT, False),
    ("https://pypi.org/a\n/", ABSENT, False),
    ("https://pypi.org//", ABSENT, False),
    ("https://pypi.org/sim ple/", ABSENT, False),
    ("https://-pypi.org/simple/", ABSENT, False),
    ("https://pypi.org:123456/simple/", ABSENT, False),
    ("https://[::1]/simple/", ABSENT, False),
    ("https://pypi.org/simplé/", ABSENT, False),
    (42, ABSENT, False),
    ([PYPI], ABSENT, False),
    (True, ABSENT, False),
    (PYPI, [], True),
    (PYPI, ["acme-*"], True),
    (PYPI, ["acme-*", "internal-?-lib", "*", "a", "x" * MAX_GLOB_LENGTH], True),
    (PYPI, ["acme-*", "acme-*"], True),
    (PYPI, ["x" * (MAX_GLOB_LENGTH + 1)], False),
    (PYPI, ["Acme-*"], False),
    (PYPI, ["acme_*"], False),
    (PYPI, ["acme.*"], False),
    (PYPI, ["acme--*"], False),
    (PYPI, [" acme-*"], False),
    (PYPI, ["acme-*\n"], False),
    (PYPI, ["-acme"], False),
    (PYPI, ["acme-"], False),
    (PYPI, [""], False),
    (PYPI, ["acme/*"], False),
    (PYPI, ["acme-[ab]"], False),
    (PYPI, ["acme-*", 1], False),
    (PYPI, [None], False),
    (PYPI, "acme-*", False),
    (PYPI, {"acme-*": True}, False),
    (PYPI, None, False),
    (ABSENT, [], True),
    (ABSENT, ["acme-*"], False),
]


@pytest.mark.parametrize(("upstream", "reserved", "accepted"), FALLTHROUGH_TABLE)
@pytest.mark.parametrize("access", ["private", "public"])
def test_the_config_and_the_edge_accept_the_same_fallthrough_settings(
    upstream: object, reserved: object, accepted: bool, access: str
) -> None:
    """cdk.json's keys are the CONFIG keys `EdgeSettings.from_mapping` reads: the stack must
    refuse at synth exactly what the edge's twin would refuse."""
    settings: dict[str, object] = {"access": access}
    settings |= {} if upstream is ABSENT else {"upstream": upstream}
    settings |= {} if reserved is ABSENT else {"reserved": reserved}
    try:
        config = parse_environment("dev", settings)
    except ConfigError:
        config = None
    try:
        edge = EdgeSettings.from_mapping(settings)
    except ValueError:
        edge = None
    assert (config is not None, edge is not None) == (accepted, accepted)
    if config is not None and edge is not None:
        assert config.function_settings == edge.to_mapping()
        assert EdgeSettings.from_mapping(config.function_settings) == edge


def test_the_fallthrough_table_holds_both_answers_for_each_key() -> None:
    for column in (0, 1):
        answers = {row[2] for row in FALLTHROUGH_TABLE if row[column] is not ABSENT}
        assert answers == {True, False}


@pytest.mark.parametrize(
    ("context", "env", "message"),
    [
        ({}, "dev", 'no "environments" object'),
        ({"environments": {"dev": {}}}, None, "choose an environment with -c env=NAME"),
        ({"environments": {"dev": {}, "prod": {}}}, "qa", "unknown environment 'qa'"),
        ({"environments": {"dev": []}}, "dev", "environments.dev must be an object"),
        ({"environments": {"Dev!": {}}}, "Dev!", "environment name 'Dev!'"),
    ],
)
def test_environment_selection_errors(
    context: dict[str, Any], env: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_environment(context, env)


def synthesize(build: Callable[[Stack], object]) -> dict[str, Any]:
    """The template of a small stack (no app checks, no assets): fast."""
    stack = Stack(App(), "Tables")
    build(stack)
    return dict(Template.from_stack(stack).to_json())


def test_every_allowed_log_retention_is_that_many_days_in_cloudwatch() -> None:
    def build(stack: Stack) -> None:
        for days in LOG_RETENTION:
            config = parse_environment("dev", {"logRetentionDays": days})
            logs.LogGroup(stack, f"Days{days}", retention=config.log_retention)

    resources = synthesize(build)["Resources"]
    synthesized = {
        int(logical_id.removeprefix("Days")[:-8]): resource["Properties"]["RetentionInDays"]
        for logical_id, resource in resources.items()
    }
    assert synthesized == {days: days for days in LOG_RETENTION}


def test_every_price_class_reaches_cloudfront_under_its_cdk_json_name() -> None:
    def build(stack: Stack) -> None:
        for number, name in enumerate(PRICE_CLASSES):
            config = parse_environment("dev", {"priceClass": name})
            cloudfront.Distribution(
                stack,
                f"Cdn{number}",
                comment=name,
                price_class=config.price_class,
                default_behavior=cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin("origin.example.com")
                ),
            )

    resources = synthesize(build)["Resources"].values()
    synthesized = {
        r["Properties"]["DistributionConfig"]["Comment"]: r["Properties"]["DistributionConfig"]
        for r in resources
    }
    assert {name: cfg["PriceClass"] for name, cfg in synthesized.items()} == {
        name: name for name in PRICE_CLASSES
    }


@pytest.mark.parametrize(("name", "policy"), [("retain", "Retain"), ("destroy", "Delete")])
def test_removal_policy_names_reach_cloudformation(name: str, policy: str) -> None:
    assert set(REMOVAL_POLICIES) == {"retain", "destroy"}
    config = parse_environment("dev", {"removalPolicy": name})
    template = synthesize(lambda stack: s3.Bucket(stack, "Bucket", removal_policy=config.removal))
    (bucket,) = template["Resources"].values()
    assert bucket["DeletionPolicy"] == policy


def test_unknown_environment_stops_the_synth_with_a_clear_message(
    cdk_context: dict[str, Any],
) -> None:
    """What `cdk synth -c env=qa` runs: app.py with the CLI's context, and no traceback."""
    env = cdk_environment()
    env["CDK_CONTEXT_JSON"] = json.dumps({**cdk_context, "env": "qa"})
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "pyshelf: unknown environment 'qa' (-c env=NAME, one of: dev, prod)" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_reconcile_schedule_is_daily_by_default_and_can_be_turned_off() -> None:
    assert parse_environment("dev", {}).reconcile_hours == 24
    assert parse_environment("dev", {"reconcileHours": 0}).reconcile_hours == 0
    with pytest.raises(ConfigError, match="reconcileHours"):
        parse_environment("dev", {"reconcileHours": 169})
