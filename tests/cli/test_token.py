"""`pyshelf token create/list/revoke`: over the memory store (the CLI's store swapped in), over
`pyshelf serve`'s emulator with the real boto3 client, and how the store is found."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.auth
import botocore.regions
import pytest
from click.testing import Result
from moto import mock_aws

from cli.helpers import REGION, invoke
from pyshelf.access import cloudfront
from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core.tokens import TokenRecord
from pyshelf.local.emulator import Emulator

token_cli = importlib.import_module("pyshelf.cli.run.token")
ARN = "arn:aws:cloudfront::123456789012:key-value-store/0123abcd-0123-4567-89ab-0123456789ab"
INDEX = "https://pkgs.example.com/"


@pytest.fixture
def memory(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> MemoryKeyValueStore:
    """The CLI works on this store whatever the target options say."""
    store = MemoryKeyValueStore()
    monkeypatch.setattr(token_cli, "_store", lambda *args: store)
    return store


@pytest.fixture
def emulator(aws_env: None) -> Iterator[Emulator]:
    with Emulator("127.0.0.1", 0) as running:
        yield running


def token_of(result: Result) -> str:
    [line] = [line for line in result.output.splitlines() if line.startswith("  pyshelf_")]
    return line.strip()


def one_line_error(result: Result, code: int, text: str) -> None:
    assert result.exit_code == code, result.output
    [line] = result.stderr.strip().splitlines()
    assert line == f"Error: {text}"


def test_create_prints_the_token_with_pip_and_uv_settings(memory: MemoryKeyValueStore) -> None:
    result = invoke("token", "create", "ci", "--index-url", INDEX, "--project", "Acme_*")
    assert result.exit_code == 0, result.output
    token = token_of(result)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert memory.get("token-name:ci") == digest
    record = TokenRecord.decode(memory.get(f"token:{digest}") or "")
    assert record is not None and record.projects == ("acme-*",) and record.scopes == ("read",)
    assert record.expires is not None and record.expires - record.created == 90 * 86400
    authed = f"https://__token__:{token}@pkgs.example.com/"
    assert f"pip install --index-url {authed} PACKAGE" in result.output
    assert f"export PIP_INDEX_URL={authed}" in result.output
    assert f"export UV_INDEX_URL={authed}" in result.output
    assert f"index-url = {authed}" in result.output
    assert f'url = "{INDEX}"' in result.output
    assert f"UV_INDEX_PYSHELF_PASSWORD={token}" in result.output


def test_an_upload_token_prints_publishing_settings_and_no_read_settings(
    memory: MemoryKeyValueStore,
) -> None:
    result = invoke("token", "create", "release", "--scope", "upload", "--index-url", INDEX)
    assert result.exit_code == 0, result.output
    token = token_of(result)
    upload = "https://pkgs.example.com/-/upload/"
    assert f"twine upload --repository-url {upload} -u __token__ -p {token} dist/*" in (
        result.output
    )
    assert f"uv publish --publish-url {upload} --token {token}" in result.output
    assert f"poetry config repositories.pyshelf {upload}" in result.output
    assert f"poetry config http-basic.pyshelf __token__ {token}" in result.output
    assert "pip install" not in result.output
    both = invoke(
        "token", "create", "both", "--scope", "read", "--scope", "upload", "--index-url", INDEX
    )
    assert "pip install" in both.output
    assert "twine upload" in both.output


def test_create_options(memory: MemoryKeyValueStore) -> None:
    result = invoke(
        "token", "create", "forever", "--expires", "never", "--scope", "read", "--scope", "upload"
    )
    assert result.exit_code == 0, result.output
    assert "pass --index-url or --stack" in result.output
    [value] = memory.list("token:").values()
    record = TokenRecord.decode(value)
    assert record is not None
    assert (record.expires, record.scopes, record.projects) == (None, ("read", "upload"), None)
    assert invoke("token", "create", "short", "--expires", "12h").exit_code == 0
    short = TokenRecord.decode(memory.get(f"token:{memory.get('token-name:short')}") or "")
    assert short is not None and short.expires == short.created + 12 * 3600


def test_list_shows_names_scopes_and_expiry_never_secrets(memory: MemoryKeyValueStore) -> None:
    created = invoke("token", "create", "ci", "--project", "foo", "--project", "bar-*")
    token = token_of(created)
    expired = TokenRecord(name="old", created=1_000_000_000, expires=1_000_086_400)
    memory.update(
        puts={"token:" + "ab" * 32: expired.encode(), "token-name:old": "ab" * 32},
        if_match=memory.etag(),
    )
    result = invoke("token", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "SCOPES", "PROJECTS", "CREATED", "EXPIRES"]
    assert lines[1].split()[:3] == ["ci", "read", "foo,bar-*"]
    assert lines[2].split() == [
        "old", "read", "*", "2001-09-09", "01:46", "UTC", "2001-09-10", "01:46", "UTC", "(expired)"
    ]  # fmt: skip
    for secret in [token, *memory.list("token-name:").values()]:
        assert secret not in result.output


def test_list_without_tokens(memory: MemoryKeyValueStore) -> None:
    result = invoke("token", "list")
    assert (result.exit_code, result.output) == (0, "no tokens\n")


def test_revoke_removes_the_record(memory: MemoryKeyValueStore) -> None:
    invoke("token", "create", "keep")
    token = token_of(invoke("token", "create", "ci"))
    result = invoke("token", "revoke", "ci")
    assert result.exit_code == 0, result.output
    assert memory.get("token:" + hashlib.sha256(token.encode()).hexdigest()) is None
    assert memory.get("token-name:ci") is None
    assert memory.get("token-name:keep") is not None


def test_a_taken_name_and_an_unknown_name_are_one_line_errors(
    memory: MemoryKeyValueStore,
) -> None:
    invoke("token", "create", "ci")
    one_line_error(
        invoke("token", "create", "ci"),
        1,
        "a token named 'ci' exists (revoke it or pick a new name)",
    )
    one_line_error(invoke("token", "revoke", "nope"), 1, "no token named 'nope'")
    assert len(memory.list("token:")) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires", "30"], "Invalid value for --expires: '30': a number of days or hours"),
        (["--expires", "0d"], "Invalid value for --expires: '0d'"),
        (["--scope", "admin"], "Invalid value for '--scope'"),
        (["--project", "a/b"], "project glob 'a/b'"),
    ],
)
def test_bad_options_are_usage_errors(
    memory: MemoryKeyValueStore, args: list[str], message: str
) -> None:
    result = invoke("token", "create", "ci", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert memory.list() == {}


def test_no_store_is_a_usage_error(aws_env: None) -> None:
    result = invoke("token", "list")
    assert result.exit_code == 2
    assert "Error: no token store: pass --kvs-arn ARN or --stack NAME" in result.stderr


@pytest.fixture
def stacks(aws_env: None) -> Iterator[None]:
    """Two (moto) stacks: one with the KeyValueStoreArn and IndexUrl outputs, one without."""
    outputs = {"KeyValueStoreArn": {"Value": ARN}, "IndexUrl": {"Value": INDEX}}
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        for name, extra in (("private", outputs), ("public", {})):
            template = {
                "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
                "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}, **extra},
            }
            cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
        yield


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ARNs the CLI opens (each on a fresh memory store)."""
    arns: list[str] = []

    def open_store(client: Any, arn: str) -> MemoryKeyValueStore:
        arns.append(arn)
        return MemoryKeyValueStore()

    monkeypatch.setattr(cloudfront, "CloudFrontKeyValueStore", open_store)
    return arns


def test_the_stack_gives_the_store_and_the_index_url(stacks: None, opened: list[str]) -> None:
    result = invoke("token", "create", "ci", "--stack", "private")
    assert result.exit_code == 0, result.output
    assert opened == [ARN]
    assert f"https://__token__:{token_of(result)}@pkgs.example.com/" in result.output


def test_a_stack_without_a_store_is_a_one_line_error(stacks: None, opened: list[str]) -> None:
    one_line_error(
        invoke("token", "list", "--stack", "public"),
        1,
        "stack 'public' has no KeyValueStoreArn output (deployed without a token store?): "
        "pass --kvs-arn",
    )


def test_the_arn_option_wins_and_has_a_variable(
    opened: list[str], aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("token", "list", "--kvs-arn", ARN + "-option").exit_code == 0
    monkeypatch.setenv("PYSHELF_KVS_ARN", ARN + "-variable")
    assert invoke("token", "list").exit_code == 0
    assert opened == [ARN + "-option", ARN + "-variable"]


def test_against_serve_with_the_real_client(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """create, list, revoke through botocore and HTTP; the token is in no log line, even
    botocore's debug log of the requests."""
    caplog.set_level(logging.DEBUG)
    local = ("--endpoint-url", emulator.endpoint)
    created = invoke("token", "create", "ci", *local)
    assert created.exit_code == 0, created.output
    token = token_of(created)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert emulator.key_value_store.get("token-name:ci") == digest
    assert "UpdateKeys" in caplog.text or "update_keys" in caplog.text
    assert token not in caplog.text
    listed = invoke("token", "list", *local)
    assert listed.output.splitlines()[1].split()[:3] == ["ci", "read", "*"]
    assert token not in listed.output and digest not in listed.output
    assert invoke("token", "revoke", "ci", *local).exit_code == 0
    assert emulator.key_value_store.list() == {}
    one_line_error(invoke("token", "revoke", "ci", *local), 1, "no token named 'ci'")


def test_an_unreachable_store_is_a_one_line_error(aws_env: None) -> None:
    one_line_error(
        invoke("token", "list", "--endpoint-url", "http://127.0.0.1:1"),
        1,
        "cannot reach http://127.0.0.1:1 (--endpoint-url): is it running? "
        "(`pyshelf serve` prints its S3 endpoint)",
    )


def test_without_awscrt_the_error_says_what_to_install(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(botocore.regions, "HAS_CRT", False)
    for name in ("v4a", "s3v4a", "s3v4a-query"):
        monkeypatch.delitem(botocore.auth.AUTH_TYPE_MAPS, name)
    one_line_error(
        invoke("token", "list", "--endpoint-url", emulator.endpoint),
        1,
        "the KeyValueStore API is signed with SigV4A, which needs awscrt: "
        "pip install 'botocore[crt]'",
    )
