"""Environment config: cdk.json environments, validation, clear errors at synth."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from typing import Any

import pytest
from cdk_support import REPO, cdk_environment

from infra.config import (
    LOG_RETENTION_DAYS,
    ConfigError,
    EnvironmentConfig,
    load_environment,
    parse_environment,
)
from infra.indexer import LOG_RETENTION

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"


def test_cdk_json_declares_dev_and_prod(cdk_context: dict[str, Any]) -> None:
    dev = load_environment(cdk_context, "dev")
    prod = load_environment(cdk_context, "prod")
    assert (dev.stack_name, prod.stack_name) == ("pyshelf-dev", "pyshelf-prod")
    assert prod.removal == "retain"
    assert dev.removal == "destroy"


def test_defaults_are_the_safe_choice() -> None:
    config = parse_environment("staging", {})
    assert config == EnvironmentConfig(name="staging")
    assert config.removal == "retain"
    assert config.encryption == "s3"
    assert config.domain_name is None


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_environment("dev", {}).removal = "destroy"  # type: ignore[misc]


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
    }
    config = parse_environment("dev", raw)
    assert config == EnvironmentConfig(
        name="dev",
        account="123456789012",
        region="eu-west-1",
        removal="destroy",
        encryption="kms",
        noncurrent_version_days=30,
        log_retention_days=7,
        price_class="PriceClass_All",
        indexer_max_concurrency=10,
        domain_name="pypi.example.com",
        certificate_arn=CERT,
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"removalPolicy": "keep"}, "removalPolicy = 'keep': must be one of retain, destroy"),
        ({"encryption": "aes"}, "encryption = 'aes'"),
        ({"noncurrentVersionDays": 0}, "noncurrentVersionDays = 0: must be an integer"),
        ({"noncurrentVersionDays": "30"}, "noncurrentVersionDays = '30'"),
        ({"noncurrentVersionDays": True}, "noncurrentVersionDays = True"),
        ({"logRetentionDays": 10}, "logRetentionDays = 10"),
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
    ],
)
def test_bad_values_are_rejected_with_the_key_named(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", raw)
    assert message in str(error.value)
    assert "environments.dev" in str(error.value)


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


def test_every_allowed_log_retention_maps_to_cloudwatch() -> None:
    assert set(LOG_RETENTION) == set(LOG_RETENTION_DAYS)


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
