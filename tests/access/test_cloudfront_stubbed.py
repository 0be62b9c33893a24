"""The boto3 adapter's requests, checked against botocore's service model with a Stubber (no
network): the exact parameters of each operation and how its errors are read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from pyshelf.access.cloudfront import PAGE_SIZE, CloudFrontKeyValueStore, client_for
from pyshelf.access.store import ETagMismatch, InvalidWrite, KeyNotFound, StoreNotFound

ARN = "arn:aws:cloudfront::123456789012:key-value-store/0123abcd-0123-4567-89ab-0123456789ab"
COUNTS = {"ItemCount": 1, "TotalSizeInBytes": 10}


@pytest.fixture
def stubbed() -> Iterator[tuple[CloudFrontKeyValueStore, Stubber]]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y")
    client = client_for(session)
    with Stubber(client) as stubber:
        yield CloudFrontKeyValueStore(client, ARN), stubber
        stubber.assert_no_pending_responses()


def test_etag_is_describe_key_value_stores(
    stubbed: tuple[CloudFrontKeyValueStore, Stubber],
) -> None:
    store, stubber = stubbed
    response = {**COUNTS, "KvsARN": ARN, "Created": datetime.now(UTC), "ETag": "E1"}
    stubber.add_response("describe_key_value_store", response, {"KvsARN": ARN})
    assert store.etag() == "E1"


def test_get_and_a_missing_key(stubbed: tuple[CloudFrontKeyValueStore, Stubber]) -> None:
    store, stubber = stubbed
    params = {"KvsARN": ARN, "Key": "token:aa"}
    stubber.add_response("get_key", {"Key": "token:aa", "Value": "{}", **COUNTS}, params)
    stubber.add_client_error("get_key", "ResourceNotFoundException", http_status_code=404)
    assert store.get("token:aa") == "{}"
    assert store.get("token:bb") is None


def test_list_pages_with_next_token(stubbed: tuple[CloudFrontKeyValueStore, Stubber]) -> None:
    store, stubber = stubbed
    first = {
        "Items": [{"Key": "token:b", "Value": "2"}, {"Key": "x", "Value": "0"}],
        "NextToken": "n1",
    }
    second = {"Items": [{"Key": "token:a", "Value": "1"}]}
    stubber.add_response("list_keys", first, {"KvsARN": ARN, "MaxResults": PAGE_SIZE})
    stubber.add_response(
        "list_keys", second, {"KvsARN": ARN, "MaxResults": PAGE_SIZE, "NextToken": "n1"}
    )
    assert list(store.list("token:").items()) == [("token:a", "1"), ("token:b", "2")]


def test_writes_send_if_match_and_return_the_new_etag(
    stubbed: tuple[CloudFrontKeyValueStore, Stubber],
) -> None:
    store, stubber = stubbed
    written = {**COUNTS, "ETag": "E2"}
    stubber.add_response(
        "put_key", written, {"KvsARN": ARN, "Key": "k", "Value": "v", "IfMatch": "E1"}
    )
    stubber.add_response("delete_key", written, {"KvsARN": ARN, "Key": "k", "IfMatch": "E1"})
    stubber.add_response(
        "update_keys",
        written,
        {
            "KvsARN": ARN,
            "IfMatch": "E1",
            "Puts": [{"Key": "a", "Value": "1"}],
            "Deletes": [{"Key": "b"}],
        },
    )
    assert store.put("k", "v", if_match="E1") == "E2"
    assert store.delete("k", if_match="E1") == "E2"
    assert store.update(puts={"a": "1"}, deletes=["b"], if_match="E1") == "E2"


@pytest.mark.parametrize(
    ("operation", "code", "status", "error"),
    [
        ("put_key", "ConflictException", 409, ETagMismatch),
        ("put_key", "ValidationException", 400, InvalidWrite),
        ("put_key", "ResourceNotFoundException", 404, StoreNotFound),
        ("delete_key", "ResourceNotFoundException", 404, KeyNotFound),
        ("update_keys", "ConflictException", 409, ETagMismatch),
    ],
)
def test_error_codes_become_store_errors(
    stubbed: tuple[CloudFrontKeyValueStore, Stubber],
    operation: str,
    code: str,
    status: int,
    error: type[Exception],
) -> None:
    store, stubber = stubbed
    stubber.add_client_error(operation, code, http_status_code=status)
    with pytest.raises(error):
        if operation == "put_key":
            store.put("k", "v", if_match="E1")
        elif operation == "delete_key":
            store.delete("k", if_match="E1")
        else:
            store.update(puts={"k": "v"}, if_match="E1")


def test_other_errors_stay_client_errors(stubbed: tuple[CloudFrontKeyValueStore, Stubber]) -> None:
    """Access denied is the CLI's to explain (`aws_errors`), like every other AWS error."""
    store, stubber = stubbed
    stubber.add_client_error("describe_key_value_store", "AccessDeniedException", "denied", 403)
    stubber.add_client_error("get_key", "AccessDeniedException", "denied", 403)
    with pytest.raises(ClientError, match="AccessDenied"):
        store.etag()
    with pytest.raises(ClientError, match="AccessDenied"):
        store.get("k")


class _Sent(Exception):
    pass


def _first_request(client: Any) -> Any:
    """The request botocore would send (signed), caught before it leaves."""
    sent = []

    def capture(request: Any, **_: Any) -> None:
        sent.append(request)
        raise _Sent

    client.meta.events.register("before-send.cloudfront-keyvaluestore", capture)
    with pytest.raises(_Sent):
        client.describe_key_value_store(KvsARN=ARN)
    return sent[0]


def _header(request: Any, name: str) -> str:
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else str(value)


def test_the_api_is_global_and_signed_with_sigv4a(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No region configured: the client still exists (us-east-1), requests go to the account's
    global endpoint, signed with SigV4A (which needs awscrt)."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    client = client_for(boto3.Session(aws_access_key_id="x", aws_secret_access_key="y"))
    request = _first_request(client)
    assert urlsplit(request.url).netloc == "123456789012.cloudfront-kvs.global.api.aws"
    assert _header(request, "Authorization").startswith("AWS4-ECDSA-P256-SHA256 ")
    assert _header(request, "X-Amz-Region-Set") == "*"


def test_a_local_endpoint_is_reached_as_given() -> None:
    """botocore prefixes the endpoint's host with the account; the adapter connects to the
    endpoint itself and keeps the signed Host header."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y")
    request = _first_request(client_for(session, "http://127.0.0.1:9000"))
    assert urlsplit(request.url).netloc == "127.0.0.1:9000"
    assert urlsplit(request.url).path.startswith("/key-value-stores/arn%3Aaws%3Acloudfront")
    assert _header(request, "host") == "123456789012.127.0.0.1:9000"
