"""The CDN's origin: one bucket key fetched from the emulated S3, with the headers the edge
returns (as the deployment does: the object's own Content-Type and Cache-Control, immutable
caching for files that carry none, `Vary: Accept` on negotiated pages), and the security headers
of the deployment's response headers policies (`security_headers`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pyshelf.constants import (
    DISTRIBUTION_SUFFIXES,
    METADATA_SUFFIX,
    PRIVATE_FILE_CACHE_CONTROL,
    PRIVATE_PAGE_CACHE_CONTROL,
)
from pyshelf.core.errors import PyshelfError
from pyshelf.core.layout import IMMUTABLE_CACHE_CONTROL, PAGE_CACHE_CONTROL, PAGE_NAMES
from pyshelf.storage.s3 import error_code, is_missing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 256 * 1024
_FORWARDED_CONDITIONS = {
    "range": "Range",
    "if-none-match": "IfNoneMatch",
    "if-match": "IfMatch",
    "if-modified-since": "IfModifiedSince",
}


class OriginError(PyshelfError):
    """S3 answered with an error; `status` is what the edge returns."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code


FILE_SUFFIXES = (*DISTRIBUTION_SUFFIXES, METADATA_SUFFIX)
# The Content-Security-Policy of infra/cdn/distribution.py's two behaviours (a test holds them
# equal): pages (HTML with inline styles), and files (distributions, `.metadata`).
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
FILE_CSP = "default-src 'none'"


def security_headers(path: str) -> list[tuple[str, str]]:
    """What the deployment's response headers policy adds to every answer for a viewer path:
    the files behaviour's (`*.whl`, ..., `*.metadata`) or the pages behaviour's (the rest).
    Strict-Transport-Security is left out: the local CDN speaks plain HTTP."""
    return [
        ("Content-Security-Policy", FILE_CSP if path.endswith(FILE_SUFFIXES) else PAGE_CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]


@dataclass(slots=True)
class OriginResponse:
    status: int
    headers: list[tuple[str, str]]
    chunks: Iterator[bytes]


def fetch(
    s3: S3Client,
    bucket: str,
    key: str,
    *,
    head: bool,
    negotiated: bool,
    request_headers: Mapping[str, str],
    private: bool = False,
) -> OriginResponse:
    """GET or HEAD `key`; raise OriginError for 304/404/412/416/other S3 errors."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    for header, param in _FORWARDED_CONDITIONS.items():
        if header in request_headers and not (head and header == "range"):
            params[param] = request_headers[header]
    try:
        response: Mapping[str, Any] = s3.head_object(**params) if head else s3.get_object(**params)
    except ClientError as exc:
        raise _origin_error(exc) from None
    status = int(response["ResponseMetadata"]["HTTPStatusCode"])
    headers = edge_headers(response, negotiated=negotiated, page=negotiated or _is_page(key))
    if private:
        headers = viewer_private(headers, key)
    chunks: Iterator[bytes] = iter(()) if head else response["Body"].iter_chunks(CHUNK)
    return OriginResponse(status, headers, chunks)


def edge_headers(
    response: Mapping[str, Any], *, negotiated: bool, page: bool
) -> list[tuple[str, str]]:
    """Response headers from an S3 GetObject/HeadObject response (pure)."""
    default_cache = PAGE_CACHE_CONTROL if page else IMMUTABLE_CACHE_CONTROL
    headers = [
        ("Content-Type", response.get("ContentType") or "binary/octet-stream"),
        ("Content-Length", str(response.get("ContentLength", 0))),
        ("Cache-Control", response.get("CacheControl") or default_cache),
        ("Accept-Ranges", "bytes"),
    ]
    if response.get("ETag"):
        headers.append(("ETag", response["ETag"]))
    if response.get("LastModified"):
        headers.append(("Last-Modified", _http_date(response["LastModified"])))
    if response.get("ContentRange"):
        headers.append(("Content-Range", response["ContentRange"]))
    if response.get("ContentEncoding"):
        headers.append(("Content-Encoding", response["ContentEncoding"]))
    if negotiated:
        headers.append(("Vary", "Accept"))
    return headers


def viewer_private(headers: list[tuple[str, str]], key: str) -> list[tuple[str, str]]:
    """A private index's Cache-Control toward viewers, as the stack's response headers policies
    set it: the files behaviour (distributions, `.metadata`) and the pages behaviour (the rest)."""
    private = (
        PRIVATE_FILE_CACHE_CONTROL if key.endswith(FILE_SUFFIXES) else PRIVATE_PAGE_CACHE_CONTROL
    )
    return [(n, private if n == "Cache-Control" else v) for n, v in headers]


def _http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _is_page(key: str) -> bool:
    return key.rpartition("/")[2] in PAGE_NAMES


def _origin_error(exc: ClientError) -> OriginError:
    code = error_code(exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if is_missing(exc) or status == 404:
        return OriginError(404, code or "NotFound")
    if status in (304, 412, 416):
        return OriginError(status, code)
    return OriginError(502, code or "OriginError")
