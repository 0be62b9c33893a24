"""`LocalIndex` wires the CDN to its access mode: public by default; private checks the tokens
that `pyshelf token` writes through the emulator's KeyValueStore API (in this process)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from local.served import basic_auth
from pyshelf.access.cloudfront import CloudFrontKeyValueStore, client_for
from pyshelf.access.registry import TokenRegistry
from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.local import aws
from pyshelf.local.accesslog import AccessLog
from pyshelf.local.runtime import LocalIndex, ServeConfig


def _status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers=basic_auth(token))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def private() -> Iterator[LocalIndex]:
    config = ServeConfig(port=0, s3_port=0, bucket="private-shelf", access="private")
    with LocalIndex(config, AccessLog(io.StringIO())) as index:
        yield index


def _registry(index: LocalIndex) -> TokenRegistry:
    """The registry as `pyshelf token --endpoint-url` builds it: over HTTP, not in memory."""
    session = boto3.Session(
        aws_access_key_id=aws.ACCESS_KEY_ID,
        aws_secret_access_key=aws.SECRET_ACCESS_KEY,
        region_name=aws.REGION,
    )
    client = client_for(session, index.emulator.endpoint)
    return TokenRegistry(CloudFrontKeyValueStore(client, LOCAL_KVS_ARN))


def test_serve_is_public_by_default() -> None:
    assert ServeConfig().access == "public"
    config = ServeConfig(port=0, s3_port=0, bucket="public-shelf")
    with LocalIndex(config, AccessLog(io.StringIO())) as index:
        assert index.endpoints.access == "public"
        assert _status(index.endpoints.index_url) == 200


def test_private_serve_answers_401_without_a_token(private: LocalIndex) -> None:
    assert private.endpoints.access == "private"
    assert _status(private.endpoints.index_url) == 401
    assert _status(private.endpoints.index_url, "pyshelf_unknown") == 401


def test_a_token_written_through_the_api_counts_from_the_next_request(
    private: LocalIndex,
) -> None:
    registry = _registry(private)
    token = registry.create("local", lifetime=3600).token
    assert _status(private.endpoints.index_url, token) == 200
    registry.revoke("local")
    assert _status(private.endpoints.index_url, token) == 401


def _cache_control(url: str, token: str | None = None) -> str:
    request = urllib.request.Request(url, headers=basic_auth(token))
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.headers["Cache-Control"])


def test_a_private_index_tells_viewers_its_answers_are_private(private: LocalIndex) -> None:
    """Shared caches on the way must not keep what was answered to one token (as the stack's
    response headers policies say); the viewer's own cache may."""
    registry = _registry(private)
    token = registry.create("caches", lifetime=3600).token
    s3 = aws.s3_client(private.emulator.endpoint)
    s3.put_object(
        Bucket="private-shelf",
        Key="foo/index.html",
        Body=b"<html></html>",
        CacheControl="public, max-age=10",
    )
    s3.put_object(
        Bucket="private-shelf",
        Key="foo/foo-1.0.tar.gz",
        Body=b"sdist",
        CacheControl="public, max-age=31536000, immutable",
    )
    index = private.endpoints.index_url
    assert _cache_control(f"{index}foo/", token) == "private, max-age=10"
    assert _cache_control(f"{index}foo/foo-1.0.tar.gz", token) == (
        "private, max-age=31536000, immutable"
    )
    registry.revoke("caches")
