"""Target selection and the one-line errors for every way a target can fail."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from cli.helpers import BUCKET, REGION, invoke, publish, write_wheel
from pyshelf.cli.run.connection import NO_TARGET
from pyshelf.storage.s3 import S3Store

UNREACHABLE_INDEX = "http://127.0.0.1:1/"
STACK_TEMPLATE = {
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {
        "BucketName": {"Value": {"Ref": "Bucket"}},
        "IndexUrl": {"Value": UNREACHABLE_INDEX},
    },
}


@pytest.fixture
def stack_bucket(aws_env: None) -> Iterator[str]:
    """A real (moto) CloudFormation stack `pyshelf-dev` with the outputs the CDK stack has."""
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName="pyshelf-dev", TemplateBody=json.dumps(STACK_TEMPLATE))
        outputs = cfn.describe_stacks(StackName="pyshelf-dev")["Stacks"][0]["Outputs"]
        yield next(o["OutputValue"] for o in outputs if o["OutputKey"] == "BucketName")


def _assert_one_line_error(result: Any, code: int, text: str) -> None:
    assert result.exit_code == code, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {text}")


def test_stack_outputs_give_the_bucket(stack_bucket: str, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = invoke("upload", "--stack", "pyshelf-dev", str(whl))
    assert result.exit_code == 0, result.output
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.head_object(Bucket=stack_bucket, Key=f"demo/{whl.name}")["ContentLength"] > 0


def test_wait_reads_the_index_url_of_the_stack(stack_bucket: str, tmp_path: Path) -> None:
    """The stack's IndexUrl output is the index --wait reads (here nothing listens there, which
    --wait says at once, before uploading)."""
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = invoke("upload", "--stack", "pyshelf-dev", "--wait", str(whl))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot reach the index at {UNREACHABLE_INDEX} (Connection refused): "
        "check --index-url (PYSHELF_INDEX_URL)\n",
    )
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.list_objects_v2(Bucket=stack_bucket).get("KeyCount") == 0


def test_env_variables_select_the_target(
    stack_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYSHELF_STACK", "pyshelf-dev")
    publish(S3Store(boto3.client("s3", region_name=REGION), stack_bucket))
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert "no projects published yet" in result.stdout


def test_unknown_stack(stack_bucket: str) -> None:
    result = invoke("list", "--stack", "pyshelf-nope")
    _assert_one_line_error(result, 1, f"unknown stack 'pyshelf-nope' in region {REGION}")


def test_no_target_is_a_usage_error(aws_env: None) -> None:
    result = invoke("list")
    assert (result.exit_code, result.stderr) == (2, f"Error: {NO_TARGET}\n")
    for way in ("--target", "--stack", "--bucket", "--endpoint-url", "PYSHELF_TARGET"):
        assert way in NO_TARGET


def test_unknown_bucket(s3: object, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = invoke("upload", "--bucket", "no-such-bucket-here", str(whl))
    _assert_one_line_error(result, 1, "bucket 'no-such-bucket-here' does not exist")


def test_no_credentials(s3: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = invoke("list", "--bucket", BUCKET)
    _assert_one_line_error(result, 1, "no AWS credentials found")


def test_unknown_profile(s3: object) -> None:
    result = invoke("list", "--bucket", BUCKET, "--profile", "nobody")
    _assert_one_line_error(result, 1, "AWS profile 'nobody' is not configured")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_endpoint_unreachable(aws_env: None, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = invoke("upload", "--endpoint-url", endpoint, "--bucket", BUCKET, str(whl))
    _assert_one_line_error(result, 1, f"cannot reach {endpoint}")


@set_initial_no_auth_action_count(4)
def test_access_denied(aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto enforces IAM policies after the first 4 requests: an identity that may only list the
    bucket is denied the upload."""
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="reader")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="reader", PolicyName="list", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        whl = write_wheel(tmp_path, "demo", "1.0")
        result = invoke("upload", "--bucket", BUCKET, str(whl))
    _assert_one_line_error(result, 1, f"access denied to bucket '{BUCKET}'")


def test_options_win_over_stack_outputs(stack_bucket: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="explicit-bucket")
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = invoke("upload", "--stack", "pyshelf-dev", "--bucket", "explicit-bucket", str(whl))
    assert result.exit_code == 0, result.output
    assert s3.list_objects_v2(Bucket="explicit-bucket")["KeyCount"] == 1
    assert s3.list_objects_v2(Bucket=stack_bucket)["KeyCount"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("upload", "--dry-run"),  # reads only: a HEAD of a key in a missing bucket is a bare 404
        ("unyank", "demo", "1.0"),
        ("list",),
    ],
)
def test_unknown_bucket_for_read_only_commands(
    s3: object, tmp_path: Path, args: tuple[str, ...]
) -> None:
    extra = [str(write_wheel(tmp_path, "demo", "1.0"))] if args[0] == "upload" else []
    result = invoke(*args, "--bucket", "no-such-bucket-here", *extra)
    _assert_one_line_error(result, 1, "bucket 'no-such-bucket-here' does not exist")


@pytest.mark.parametrize(
    ("option", "value", "text"),
    [
        ("--bucket", "bad bucket", "invalid bucket name 'bad bucket': S3 bucket names are"),
        ("--endpoint-url", "notaurl", "--endpoint-url: Invalid endpoint"),
        ("--region", "bad!region", "--region: Provided region_name"),
    ],
)
def test_malformed_target_options_are_usage_errors(
    s3: object, option: str, value: str, text: str
) -> None:
    args = ["list", option, value]
    if option != "--bucket":
        args += ["--bucket", BUCKET]
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: {text}")
