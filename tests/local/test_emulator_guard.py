"""The emulator's guard (`pyshelf.local.emulator.LocalOnly`): what a web page could send to a
running `pyshelf serve` (cross-origin requests, moto's own API, unsigned forms and bulk deletes)
is refused before moto sees it; AWS clients' signed requests go through."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
import pytest
from botocore.config import Config

from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.local import aws
from pyshelf.local.emulator import Emulator, LocalOnly

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

EVIL = "http://evil.example"
SIGNED = "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/s3/aws4_request, Signature=0"
PRESIGNED_V4 = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=ab"


def _raw(
    emulator: Emulator,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, Any]:
    request = urllib.request.Request(
        emulator.endpoint + path, method=method, data=body, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


def _keys(s3: S3Client, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.mark.parametrize("path", ["/moto-api/reset", "/moto-api/", "/moto-api", "/moto-api/seed"])
def test_motos_own_api_is_not_served(
    emulator: Emulator, s3: S3Client, bucket: str, path: str
) -> None:
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    status, body, _ = _raw(emulator, "POST", path, b"", {"Authorization": SIGNED})
    assert (status, body) == (404, "pyshelf serve: moto's own API (/moto-api/) is not served\n")
    assert _keys(s3, bucket) == ["kept"]  # no reset happened


def test_a_cross_origin_form_upload_is_refused(
    emulator: Emulator, s3: S3Client, bucket: str
) -> None:
    """What a page's <form method=post enctype=multipart/form-data> sends (no preflight)."""
    form = (
        b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nplanted.whl\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nevil\r\n--b--\r\n'
    )
    status, body, headers = _raw(
        emulator,
        "POST",
        f"/{bucket}",
        form,
        {"Origin": EVIL, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert status == 403
    assert f"a request from the web page of {EVIL} is refused" in body
    assert "Access-Control-Allow-Origin" not in headers
    assert _keys(s3, bucket) == []


def test_the_same_form_without_an_origin_is_refused_unsigned(
    emulator: Emulator, s3: S3Client, bucket: str
) -> None:
    form = (
        b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nplanted.whl\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nevil\r\n--b--\r\n'
    )
    content_type = {"Content-Type": "multipart/form-data; boundary=b"}
    status, body, _ = _raw(emulator, "POST", f"/{bucket}", form, content_type)
    assert status == 403
    assert "an unsigned request is refused" in body
    assert _keys(s3, bucket) == []


def test_an_unsigned_bulk_delete_is_refused(emulator: Emulator, s3: S3Client, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.whl", Body=b"x")
    delete = b"<Delete><Object><Key>a.whl</Key></Object></Delete>"
    status, _, _ = _raw(emulator, "POST", f"/{bucket}?delete", delete)
    assert status == 403
    assert _keys(s3, bucket) == ["a.whl"]


def test_unsigned_sqs_is_refused(emulator: Emulator, sqs: SQSClient) -> None:
    url = sqs.create_queue(QueueName="guarded")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    body = f"Action=PurgeQueue&QueueUrl={quote(url, safe='')}".encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _raw(emulator, "POST", "/", body, form)[0] == 403
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_a_preflight_from_another_origin_is_refused(emulator: Emulator, bucket: str) -> None:
    status, _, headers = _raw(
        emulator,
        "OPTIONS",
        f"/{bucket}/x",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"},
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


def _with_origin(client: Any, origin: str) -> Any:
    def add(request: Any, **_: Any) -> None:
        request.headers["Origin"] = origin

    client.meta.events.register("before-sign", add)
    return client


def test_a_signed_request_from_another_origin_is_refused(emulator: Emulator, bucket: str) -> None:
    """A page cannot sign without a preflight; if it could, its Origin still gives it away."""
    client = _with_origin(aws.s3_client(emulator.endpoint), EVIL)
    with pytest.raises(Exception, match="403"):
        client.put_object(Bucket=bucket, Key="x", Body=b"x")


def test_the_emulators_own_origin_is_let_through(
    emulator: Emulator, s3: S3Client, bucket: str
) -> None:
    client = _with_origin(aws.s3_client(emulator.endpoint), emulator.endpoint)
    client.put_object(Bucket=bucket, Key="x", Body=b"x")
    assert _keys(s3, bucket) == ["x"]


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_presigned_urls_work(emulator: Emulator, s3: S3Client, bucket: str, version: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.whl", Body=b"wheel")
    client = boto3.client(
        "s3",
        endpoint_url=emulator.endpoint,
        config=Config(signature_version=version, s3={"addressing_style": "path"}),
        region_name=aws.REGION,
        aws_access_key_id=aws.ACCESS_KEY_ID,
        aws_secret_access_key=aws.SECRET_ACCESS_KEY,
    )
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.whl"})
    assert ("X-Amz-Signature=" in url) is (version == "s3v4")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"wheel"
    assert _raw(emulator, "GET", f"/{bucket}/a.whl")[0] == 403  # the same, unsigned


def test_the_key_value_store_api_answers_unsigned_calls(emulator: Emulator) -> None:
    """Its writes need If-Match, so no page can send one without a preflight (and an Origin)."""
    path = f"/key-value-stores/{quote(LOCAL_KVS_ARN, safe='')}"
    assert _raw(emulator, "GET", path)[0] == 200
    assert _raw(emulator, "GET", path, headers={"Origin": EVIL})[0] == 403


@pytest.mark.parametrize(
    ("environ", "refused"),
    [
        ({"PATH_INFO": "/b/k", "HTTP_AUTHORIZATION": SIGNED}, None),
        ({"PATH_INFO": "/b/k", "HTTP_AUTHORIZATION": "AWS4-ECDSA-P256-SHA256 Credential=x"}, None),
        ({"PATH_INFO": "/b/k", "HTTP_AUTHORIZATION": "AWS x:y"}, "403 Forbidden"),
        ({"PATH_INFO": "/b/k", "HTTP_AUTHORIZATION": "Basic eDp5"}, "403 Forbidden"),
        ({"PATH_INFO": "/b/k", "QUERY_STRING": PRESIGNED_V4}, None),
        ({"PATH_INFO": "/b/k", "QUERY_STRING": "AWSAccessKeyId=a&Signature=b&Expires=1"}, None),
        ({"PATH_INFO": "/b/k", "QUERY_STRING": "X-Amz-Signature=ab"}, "403 Forbidden"),
        ({"PATH_INFO": "/b/k", "QUERY_STRING": "Signature=b&Expires=1"}, "403 Forbidden"),
        ({"PATH_INFO": "/moto-apix", "HTTP_AUTHORIZATION": SIGNED}, "404 Not Found"),
        (
            {"PATH_INFO": "/b/k", "HTTP_AUTHORIZATION": SIGNED, "HTTP_ORIGIN": "null"},
            "403 Forbidden",
        ),
        (
            {
                "PATH_INFO": "/b/k",
                "HTTP_AUTHORIZATION": SIGNED,
                "HTTP_ORIGIN": "http://localhost:9000",
            },
            None,
        ),
        (
            {
                "PATH_INFO": "/b/k",
                "HTTP_AUTHORIZATION": SIGNED,
                "HTTP_ORIGIN": "http://127.0.0.1:9001",
            },
            "403 Forbidden",
        ),
        *(
            ({"PATH_INFO": "/b/k", "HTTP_AUTHORIZATION": SIGNED, "HTTP_HOST": host}, refused)
            for host, refused in [
                ("127.0.0.1:9000", None),
                ("localhost:9000", None),
                ("[::1]:9000", None),
                ("bucket.localhost:9000", None),
                ("000000000000.127.0.0.1:9000", None),  # the KeyValueStore API's
                ("evil.example:9000", "403 Forbidden"),
                ("127.0.0.1.evil.example:9000", "403 Forbidden"),
                ("localhost.evil.example", "403 Forbidden"),
            ]
        ),
    ],
)
def test_what_is_refused(environ: dict[str, str], refused: str | None) -> None:
    guard = LocalOnly(lambda environ, start: [], "127.0.0.1")
    guard.listening(9000)
    refusal = guard.refusal(environ)
    assert (refusal[0] if refusal else None) == refused
