"""The upload Lambda (lambdas/upload/handler.py) on function URL events and moto S3: only
requests that carry CloudFront's origin secret reach the upload, with the edge's grant."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from distbuild import wheel
from eventjson import BUCKET
from urllib3 import encode_multipart_formdata

from pyshelf.core.upload_grant import GRANT_HEADER, UploadGrant
from pyshelf.storage.s3 import S3Store

HANDLER = Path(__file__).parents[2] / "lambdas" / "upload" / "handler.py"
SECRET = "s3cr3t-0f-the-origin-8c1f0a6e"
WHEEL = wheel("foo", "1.0")
KEY = "foo/foo-1.0-py3-none-any.whl"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("upload_handler", HANDLER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lambda_handler(s3_store: S3Store, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("PACKAGES_BUCKET", BUCKET)
    monkeypatch.setenv("ORIGIN_SECRET", SECRET)
    return _load()  # a fresh module: its S3 client is one of this test's mocked S3


def _event(
    *,
    secret: str | None = SECRET,
    grant: str | None = UploadGrant("ci").header(),
    method: str = "POST",
    path: str = "/-/upload/",
    data: bytes = WHEEL,
) -> dict[str, Any]:
    fields: list[tuple[str, object]] = [
        (":action", "file_upload"),
        ("name", "foo"),
        ("version", "1.0"),
        ("sha256_digest", hashlib.sha256(data).hexdigest()),
        ("content", ("foo-1.0-py3-none-any.whl", data)),
    ]
    body, content_type = encode_multipart_formdata(fields)  # type: ignore[arg-type]
    headers = {"content-type": content_type, "content-length": str(len(body))}
    if secret is not None:
        headers["x-pyshelf-origin-secret"] = secret
    if grant is not None:
        headers[GRANT_HEADER] = grant
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": path}},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _stored(s3_store: S3Store) -> bool:
    return s3_store.head(KEY) is not None


def test_an_upload_through_the_edge_is_stored(
    lambda_handler: ModuleType, s3_store: S3Store
) -> None:
    answer = lambda_handler.handler(_event(), None)
    assert answer == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain; charset=utf-8", "cache-control": "no-store"},
        "body": "OK: foo-1.0-py3-none-any.whl uploaded\n",
    }
    head = s3_store.head(KEY)
    assert head is not None
    assert head.sha256 == hashlib.sha256(WHEEL).hexdigest()
    again = lambda_handler.handler(_event(), None)
    assert (again["statusCode"], again["body"]) == (
        200,
        "OK: foo-1.0-py3-none-any.whl was already uploaded with the same content\n",
    )


@pytest.mark.parametrize(
    "secret", [None, "", SECRET[:-1] + "x", SECRET + "x"], ids=["none", "empty", "wrong", "longer"]
)
def test_a_request_around_the_cdn_is_refused(
    lambda_handler: ModuleType, s3_store: S3Store, secret: str | None
) -> None:
    answer = lambda_handler.handler(_event(secret=secret), None)
    assert (answer["statusCode"], answer["body"]) == (
        403,
        "Forbidden: upload through the index's own URL\n",
    )
    assert not _stored(s3_store)


@pytest.mark.parametrize(
    ("change", "status", "body"),
    [
        ({"method": "GET"}, 405, "Upload with POST\n"),
        ({"method": "PUT"}, 405, "Upload with POST\n"),
        ({"path": "/foo/"}, 404, "Not Found\n"),
        ({"grant": None}, 403, "Invalid request from the edge\n"),
        ({"grant": '{"n":"ci","p":[]}'}, 403, "Invalid request from the edge\n"),
        (
            {"grant": UploadGrant("acme", ("acme-*",)).header()},
            403,
            "Token 'acme' may not upload to project 'foo'\n",
        ),
    ],
)
def test_what_the_handler_refuses(
    lambda_handler: ModuleType,
    s3_store: S3Store,
    change: dict[str, Any],
    status: int,
    body: str,
) -> None:
    answer = lambda_handler.handler(_event(**change), None)
    assert (answer["statusCode"], answer["body"]) == (status, body)
    assert not _stored(s3_store)


def test_a_body_that_is_not_base64_is_refused(
    lambda_handler: ModuleType, s3_store: S3Store
) -> None:
    event = _event()
    event["body"] = "not base64!"
    answer = lambda_handler.handler(event, None)
    assert (answer["statusCode"], answer["body"]) == (400, "Invalid request from the edge\n")
    assert not _stored(s3_store)
