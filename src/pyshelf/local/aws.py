"""Clients for the emulator: fixed dummy credentials, one region, path-style S3 addressing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
ACCESS_KEY_ID = "pyshelf-local"
# Dummies: the emulator accepts any credentials.
SECRET_ACCESS_KEY = "pyshelf-local-secret"

_CONFIG = Config(
    s3={"addressing_style": "path"},
    retries={"max_attempts": 2, "mode": "standard"},
    max_pool_connections=32,
)


def client_environment() -> dict[str, str]:
    """What a shell must export so awscli (and boto3) talk to the emulator."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=REGION,
    )


def s3_client(endpoint: str) -> S3Client:
    return _session().client("s3", endpoint_url=endpoint, config=_CONFIG)


def sqs_client(endpoint: str) -> SQSClient:
    return _session().client("sqs", endpoint_url=endpoint, config=_CONFIG)
