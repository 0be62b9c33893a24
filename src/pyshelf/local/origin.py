"""The CDN's origin: one bucket key fetched from the emulated S3, with the headers the edge
returns (as the deployment does: the object's own Content-Type, Cache-Control and
Content-Encoding, immutable caching for files that carry none, `Vary: Accept, Accept-Encoding` on
negotiated pages). Like CloudFront, the edge gzips text (HTML pages, `.metadata`) of 1,000 to
10,000,000 bytes for a viewer that accepts gzip, and weakens its ETag; a stored gzip variant
(`Content-Encoding: gzip`) is served as it is. It adds the security headers of the deployment's
response headers policies (`security_headers`)."""

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
    PAGE_VARY,
    PRIVATE_FILE_CACHE_CONTROL,
    PRIVATE_PAGE_CACHE_CONTROL,
    UPLOAD_URI,
)
from pyshelf.core.encoding import gzip_body
from pyshelf.core.errors import PyshelfError
from pyshelf.core.layout import IMMUTABLE_CACHE_CONTROL, PAGE_CACHE_CONTROL, PAGE_NAMES
from pyshelf.core.routing import accepts_gzip
from pyshelf.storage.s3 import error_code, is_missing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 256 * 1024
# What CloudFront compresses of what pyshelf serves, and the sizes it compresses.
EDGE_COMPRESSED_TYPES = ("text/html", "text/plain")
EDGE_COMPRESSED_SIZES = range(1_000, 10_000_001)
_FORWARDED_CONDITIONS = {
    "range": "Range",
    "if-none-match": "IfNoneMatch",
    "if-match": "IfMatch",
    "if-modified-since": "IfModifiedSince",
}
_ETAG_CONDITIONS = ("if-none-match", "if-match")


class OriginError(PyshelfError):
    """S3 answered with an error; `status` is what the edge returns."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code


FILE_SUFFIXES = (*DISTRIBUTION_SUFFIXES, METADATA_SUFFIX)
UPLOAD_PATH_PREFIX = UPLOAD_URI.rstrip("/")  # the upload behaviour's (`/-/upload*`)
# The Content-Security-Policy of infra/cdn/distribution.py's two behaviours (a test holds them
# equal): pages (HTML with inline styles), and files (distributions, `.metadata`).
# Pages: the human pages load their style sheet and script from the index itself (`/-/`) and
# fetch a release's description from it; nothing inline, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
FILE_CSP = "default-src 'none'"


def security_headers(path: str) -> list[tuple[str, str]]:
    """What the deployment's response headers policy adds to every answer for a viewer path:
    the files behaviour's (`*.whl`, ..., `*.metadata`) and the upload behaviour's (`/-/upload*`,
    the same), or the pages behaviour's (the rest).
    Strict-Transport-Security is left out: the local CDN speaks plain HTTP."""
    files = path.endswith(FILE_SUFFIXES) or path.startswith(UPLOAD_PATH_PREFIX)
    return [
        ("Content-Security-Policy", FILE_CSP if files else PAGE_CSP),
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
            value = request_headers[header]
            params[param] = _strong(value) if header in _ETAG_CONDITIONS else value
    try:
        response: Mapping[str, Any] = s3.head_object(**params) if head else s3.get_object(**params)
    except ClientError as exc:
        raise _origin_error(exc) from None
    status = int(response["ResponseMetadata"]["HTTPStatusCode"])
    headers = edge_headers(response, negotiated=negotiated, page=negotiated or _is_page(key))
    if private:
        headers = viewer_private(headers, key)
    if head:
        return OriginResponse(status, headers, iter(()))
    if status == 200 and edge_compresses(headers, request_headers):
        headers, body = edge_compressed(headers, response["Body"].read())
        return OriginResponse(status, headers, iter((body,)))
    return OriginResponse(status, headers, response["Body"].iter_chunks(CHUNK))


def edge_compresses(headers: list[tuple[str, str]], request_headers: Mapping[str, str]) -> bool:
    """CloudFront would compress this 200 response: the viewer accepts gzip, the type is text,
    the size within CloudFront's bounds, and it is not encoded already."""
    found = {name.lower(): value for name, value in headers}
    media_type = found.get("content-type", "").partition(";")[0].strip().lower()
    return (
        accepts_gzip(request_headers.get("accept-encoding", ""))
        and media_type in EDGE_COMPRESSED_TYPES
        and int(found.get("content-length", "0")) in EDGE_COMPRESSED_SIZES
        and "content-encoding" not in found
    )


def edge_compressed(
    headers: list[tuple[str, str]], body: bytes
) -> tuple[list[tuple[str, str]], bytes]:
    """The response gzipped as the edge sends it: new length, weak ETag, Vary on the coding."""
    coded = gzip_body(body)
    changed = {"content-length": str(len(coded))}
    result = []
    for name, value in headers:
        lowered = name.lower()
        weak = lowered == "etag" and not value.startswith("W/")
        result.append((name, changed.get(lowered, "W/" + value if weak else value)))
    result.append(("Content-Encoding", "gzip"))
    if not any(name.lower() == "vary" for name, _ in headers):
        result.append(("Vary", "Accept-Encoding"))
    return result, coded


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
        headers.append(("Vary", PAGE_VARY))
    return headers


def viewer_private(headers: list[tuple[str, str]], key: str) -> list[tuple[str, str]]:
    """A private index's Cache-Control toward viewers, as the stack's response headers policies
    set it: the files behaviour (distributions, `.metadata`) and the pages behaviour (the rest)."""
    private = (
        PRIVATE_FILE_CACHE_CONTROL if key.endswith(FILE_SUFFIXES) else PRIVATE_PAGE_CACHE_CONTROL
    )
    return [(n, private if n == "Cache-Control" else v) for n, v in headers]


def _strong(condition: str) -> str:
    """A condition's entity tags without `W/`: the edge weakens the ETag of what it compresses,
    and S3 compares the tags of its objects."""
    return ", ".join(tag.strip().removeprefix("W/") for tag in condition.split(","))


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
