"""Uploads through the local CDN (`pyshelf serve`'s edge and upload handler in one process), over
the emulated S3: the status line carries the reason, a refused body is read so the client sees
the answer, and every other method than GET and HEAD elsewhere is refused as CloudFront does."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import os
import time
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from distbuild import wheel
from urllib3 import encode_multipart_formdata

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core.edge_auth import EdgeSettings
from pyshelf.core.tokens import TokenRecord, token_key
from pyshelf.core.upload_grant import BAD_TOKEN, MAX_UPLOAD_BYTES, TOO_LARGE, WEB_PAGE
from pyshelf.local.accesslog import AccessLog
from pyshelf.local.cdn import CDN, GET_OR_HEAD
from pyshelf.local.origin import FILE_CSP
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

TOKEN = "pyshelf_upload-test-token"
READER = "pyshelf_read-test-token"
WHEEL = wheel("foo", "1.0")
KEY = "foo/foo-1.0-py3-none-any.whl"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()}


@pytest.fixture(params=["public", "private"])
def cdn(request: pytest.FixtureRequest, s3: S3Client, bucket: str) -> Iterator[CDN]:
    now = int(time.time())
    tokens = MemoryKeyValueStore(
        {
            token_key(TOKEN): TokenRecord(name="up", created=now, scopes=("upload",)).encode(),
            token_key(READER): TokenRecord(name="rd", created=now).encode(),
        }
    )
    settings = EdgeSettings(request.param)
    server = CDN(
        s3, bucket, AccessLog(io.StringIO()), "127.0.0.1", 0, settings=settings, tokens=tokens
    )
    server.start()
    yield server
    server.stop()


def _form(data: bytes = WHEEL) -> tuple[dict[str, str], bytes]:
    fields: list[tuple[str, object]] = [
        (":action", "file_upload"),
        ("name", "foo"),
        ("version", "1.0"),
        ("sha256_digest", hashlib.sha256(data).hexdigest()),
        ("content", ("foo-1.0-py3-none-any.whl", data)),
    ]
    body, content_type = encode_multipart_formdata(fields)  # type: ignore[arg-type]
    return {"Content-Type": content_type}, body


def _send(
    server: CDN,
    path: str,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    *,
    chunked: bool = False,
) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = server.server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=30)
    try:
        if chunked:
            connection.request(method, path, body=iter([body or b""]), headers=headers or {})
        else:
            connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_an_upload_is_stored_and_answered_with_its_reason(
    cdn: CDN, s3: S3Client, bucket: str
) -> None:
    headers, body = _form()
    response, answer = _send(cdn, "/-/upload/", headers=headers | _auth(TOKEN), body=body)
    assert (response.status, response.reason) == (200, f"OK: {KEY.split('/')[1]} uploaded")
    assert answer == f"OK: {KEY.split('/')[1]} uploaded\n".encode()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == FILE_CSP
    head = S3Store(s3, bucket).head(KEY)
    assert head is not None
    assert head.sha256 == hashlib.sha256(WHEEL).hexdigest()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, BAD_TOKEN),
        (_auth("pyshelf_wrong"), BAD_TOKEN),
        (_auth(READER), BAD_TOKEN),
        (_auth(TOKEN) | {"Origin": "http://127.0.0.1:8080"}, WEB_PAGE),
    ],
    ids=["no token", "wrong token", "read token", "an Origin"],
)
def test_refusals_carry_their_reason_and_store_nothing(
    cdn: CDN, s3: S3Client, bucket: str, headers: dict[str, str], reason: str
) -> None:
    form_headers, body = _form()
    response, answer = _send(cdn, "/-/upload/", headers=form_headers | headers, body=body)
    assert (response.status, response.reason, answer) == (403, reason, f"{reason}\n".encode())
    assert S3Store(s3, bucket).head(KEY) is None


def test_a_body_over_the_limit_is_refused_and_the_client_reads_why(cdn: CDN) -> None:
    """The refusal comes before the body is read; the CDN reads (and drops) it, so the
    client, still sending, is not cut off before the answer."""
    headers, body = _form(b"x" * MAX_UPLOAD_BYTES)
    response, answer = _send(cdn, "/-/upload", headers=headers | _auth(TOKEN), body=body)
    assert (response.status, response.reason, answer) == (413, TOO_LARGE, f"{TOO_LARGE}\n".encode())


def _wheel_of_size(size: int) -> bytes:
    """A valid wheel of exactly `size` bytes (a stored member of random bytes fills it)."""
    filler = 0
    while True:
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(WHEEL)) as source, zipfile.ZipFile(buffer, "w") as out:
            for info in source.infolist():
                out.writestr(info, source.read(info))
            out.writestr("foo/blob.bin", os.urandom(filler))
        data = buffer.getvalue()
        if len(data) == size:
            return data
        filler += size - len(data)


def test_the_largest_file_is_the_limit_less_the_form(cdn: CDN, s3: S3Client, bucket: str) -> None:
    """A file 2,000 bytes under the limit fits with the form around it (about 500 bytes here;
    twine adds its metadata fields, the long description among them)."""
    data = _wheel_of_size(MAX_UPLOAD_BYTES - 2_000)
    headers, body = _form(data)
    assert len(body) <= MAX_UPLOAD_BYTES
    response, answer = _send(cdn, "/-/upload/", headers=headers | _auth(TOKEN), body=body)
    assert response.status == 200, answer
    blob = s3.get_object(Bucket=bucket, Key=KEY)["Body"].read()
    assert blob == data


def test_a_chunked_upload_is_read_up_to_the_limit(cdn: CDN, s3: S3Client, bucket: str) -> None:
    """No Content-Length for the edge to check: the body is read as the Lambda's payload
    limit would take it."""
    headers, body = _form()
    auth = headers | _auth(TOKEN)
    response, _ = _send(cdn, "/-/upload/", headers=auth, body=body, chunked=True)
    assert response.status == 200
    assert S3Store(s3, bucket).head(KEY) is not None
    headers, body = _form(b"x" * MAX_UPLOAD_BYTES)
    response, answer = _send(
        cdn, "/-/upload/", headers=headers | _auth(TOKEN), body=body, chunked=True
    )
    assert (response.status, answer) == (413, f"{TOO_LARGE}\n".encode())


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_the_upload_path_takes_only_post(cdn: CDN, method: str) -> None:
    response, answer = _send(cdn, "/-/upload/", method, _auth(TOKEN))
    assert (response.status, response.headers["Allow"]) == (405, "POST")
    assert answer == (b"" if method == "HEAD" else b"Upload with POST\n")


@pytest.mark.parametrize("path", ["/", "/foo/", "/simple/", "/foo/foo-1.0.tar.gz"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_elsewhere_are_refused_as_cloudfront_does(
    cdn: CDN, path: str, method: str
) -> None:
    response, answer = _send(cdn, path, method, _auth(TOKEN), body=b"ignored" * 1000)
    assert (response.status, response.reason) == (403, GET_OR_HEAD.reason)
    assert answer == f"{GET_OR_HEAD.reason}\n".encode()
