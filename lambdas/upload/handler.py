"""Lambda entry point of the legacy upload API (twine, uv publish, poetry publish): a thin shell
over `pyshelf.publish.legacy_upload.receive`, behind CloudFront only (docs/publish.md).

Its function URL takes no IAM auth (CloudFront's OAC would need clients to sign the body's
SHA-256, which they do not), so it refuses every request that does not carry the origin secret
CloudFront adds (`ORIGIN_SECRET`, compared in constant time): nobody can call it around the CDN,
and so nobody can forge the grant header the CloudFront Function wrote after checking the token.
It answers in plain text; a function URL cannot set a reason phrase, so clients show the reason
from the body (twine with `--verbose`)."""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import logging
import os
from typing import Any

import boto3

from pyshelf.constants import UPLOAD_SECRET_HEADER
from pyshelf.core import logs
from pyshelf.core.upload_grant import GRANT_HEADER, UploadGrant, is_upload_path
from pyshelf.publish.legacy_upload import Reply, receive
from pyshelf.storage.s3 import S3Store

SECRET_HEADER = UPLOAD_SECRET_HEADER
logs.configure()
log = logging.getLogger("pyshelf.upload")


@functools.cache
def _store(bucket: str) -> S3Store:
    """One S3 client per warm container (built on first use, not at import)."""
    return S3Store(boto3.client("s3"), bucket)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """A function URL request (payload format 2.0) in, a plain-text answer out."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    reply = _refusal(event, headers)
    if reply is None:
        grant = UploadGrant.decode(headers.get(GRANT_HEADER))
        body = _body(event)
        if grant is None or body is None:
            reply = Reply(400 if grant else 403, "Invalid request from the edge")
        else:
            store = _store(os.environ["PACKAGES_BUCKET"])
            reply = receive(store, grant, headers.get("content-type"), body)
    return {
        "statusCode": reply.status,
        "headers": {"content-type": "text/plain; charset=utf-8", "cache-control": "no-store"},
        "body": reply.body.decode(),
    }


def _refusal(event: dict[str, Any], headers: dict[str, str]) -> Reply | None:
    """Why a request is refused before its body is read, or None."""
    secret = os.environ["ORIGIN_SECRET"].encode()
    if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode(), secret):
        log.warning("refused a request without the origin secret (not through the CDN)")
        return Reply(403, "Forbidden: upload through the index's own URL")
    http = event.get("requestContext", {}).get("http", {})
    if http.get("method") != "POST":
        return Reply(405, "Upload with POST")
    if not is_upload_path(event.get("rawPath", "")):
        return Reply(404, "Not Found")
    return None


def _body(event: dict[str, Any]) -> bytes | None:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8") if isinstance(body, str) else None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
