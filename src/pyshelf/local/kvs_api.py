"""The CloudFront KeyValueStore data-plane API in `pyshelf serve`'s emulator: a WSGI middleware
in front of moto that answers `/key-value-stores/{KvsARN}...` (botocore's rest-json shapes:
ETag and If-Match headers, JSON bodies, errors named in `x-amzn-ErrorType`) from an in-process
`MemoryKeyValueStore`, and passes every other request to moto.

Signatures are not checked (botocore signs this API with SigV4A), nor required (the emulator's
guard, `pyshelf.local.emulator.LocalOnly`, lets unsigned calls of this API through: none can come
from another origin's page). Paths are read raw (`RAW_URI`): the ARN and the keys are
percent-encoded and may contain `/`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.access.store import ETagMismatch, KeyNotFound, KeyValueStoreError
from pyshelf.core.errors import PyshelfError

PREFIX = "key-value-stores"
DEFAULT_PAGE, MAX_PAGE = 10, 50  # ListKeys' MaxResults
_STATUS = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ApiError(PyshelfError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _not_found(message: str) -> ApiError:
    return ApiError(404, "ResourceNotFoundException", message)


def _invalid(message: str) -> ApiError:
    return ApiError(400, "ValidationException", message)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    arn: str
    rest: tuple[str, ...]  # the decoded segments after the ARN: (), ("keys",), ("keys", KEY)
    query: dict[str, list[str]]
    if_match: str | None
    body: bytes


@dataclass(slots=True)
class Reply:
    document: dict[str, Any]
    etag: str | None = None
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)


class KeyValueStoreApi:
    """`app` with the KeyValueStore API of one store (`arn`) in front of it."""

    def __init__(self, app: WSGIApp, arn: str, store: MemoryKeyValueStore) -> None:
        self.app = app
        self.arn = arn
        self.store = store

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        call = _call_of(environ)
        if call is None:
            return self.app(environ, start_response)
        try:
            reply = self.answer(call)
        except ApiError as exc:
            reply = Reply({"Message": exc.message}, status=exc.status)
            reply.headers.append(("x-amzn-ErrorType", exc.code))
        body = json.dumps(reply.document).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if reply.etag:
            headers.append(("ETag", reply.etag))
        start_response(f"{reply.status} {_STATUS[reply.status]}", headers + reply.headers)
        return [body]

    def answer(self, call: Call) -> Reply:
        if call.arn != self.arn:
            raise _not_found(f"no key value store {call.arn}")
        try:
            return self._dispatch(call)
        except ETagMismatch as exc:
            raise ApiError(409, "ConflictException", str(exc)) from None
        except KeyNotFound as exc:
            raise _not_found(str(exc)) from None
        except KeyValueStoreError as exc:  # InvalidWrite
            raise _invalid(str(exc)) from None

    def _dispatch(self, call: Call) -> Reply:
        route = (call.method, len(call.rest))
        if call.rest[:1] not in ((), ("keys",)):
            raise _not_found(f"no such resource: {'/'.join(call.rest)}")
        if route == ("GET", 0):
            return self._describe()
        if route == ("GET", 1):
            return self._list(call.query)
        if route == ("POST", 1):
            return self._update(call)
        if route == ("GET", 2):
            return self._get(call.rest[1])
        if route == ("PUT", 2):
            value = _json(call.body).get("Value")
            if not isinstance(value, str):
                raise _invalid("Value: a string is required")
            return self._written(self.store.put(call.rest[1], value, if_match=_etag(call)))
        if route == ("DELETE", 2):
            return self._written(self.store.delete(call.rest[1], if_match=_etag(call)))
        raise _not_found(f"no operation {call.method} on {'/'.join(call.rest) or 'the store'}")

    def _counts(self) -> dict[str, Any]:
        count, size = self.store.stats()
        return {"ItemCount": count, "TotalSizeInBytes": size}

    def _describe(self) -> Reply:
        document = {
            **self._counts(),
            "KvsARN": self.arn,
            "Created": self.store.created,
            "LastModified": self.store.last_modified,
            "Status": "READY",
        }
        return Reply(document, self.store.etag())

    def _get(self, key: str) -> Reply:
        value = self.store.get(key)
        if value is None:
            raise _not_found(f"no key {key!r}")
        return Reply({"Key": key, "Value": value, **self._counts()})

    def _list(self, query: dict[str, list[str]]) -> Reply:
        size = _page_size(query.get("MaxResults", [str(DEFAULT_PAGE)])[-1])
        after = _after(query.get("NextToken", [""])[-1])
        keys = [(k, v) for k, v in self.store.list().items() if after is None or k > after]
        document: dict[str, Any] = {"Items": [{"Key": k, "Value": v} for k, v in keys[:size]]}
        if len(keys) > size:
            document["NextToken"] = base64.urlsafe_b64encode(keys[size - 1][0].encode()).decode()
        return Reply(document)

    def _update(self, call: Call) -> Reply:
        document = _json(call.body)
        try:
            puts = {item["Key"]: item["Value"] for item in document.get("Puts") or []}
            deletes = [item["Key"] for item in document.get("Deletes") or []]
        except (TypeError, KeyError):
            raise _invalid("Puts: [{Key, Value}], Deletes: [{Key}]") from None
        if not all(isinstance(x, str) for x in [*puts, *puts.values(), *deletes]):
            raise _invalid("keys and values must be strings")
        etag = self.store.update(puts=puts, deletes=deletes, if_match=_etag(call))
        return self._written(etag)

    def _written(self, etag: str) -> Reply:
        return Reply(self._counts(), etag)


def is_api_call(environ: dict[str, Any]) -> bool:
    """The request is for this API (not for moto)."""
    return _segments(environ) is not None


def _segments(environ: dict[str, Any]) -> list[str] | None:
    """The decoded path segments of a request for this API, or None."""
    url = urlsplit(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    segments = [unquote(segment) for segment in url.path.split("/")]
    if len(segments) < 3 or segments[:2] != ["", PREFIX] or not segments[2].startswith("arn:"):
        return None
    if "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
        return None  # S3, path style: a bucket named key-value-stores
    return segments


def _call_of(environ: dict[str, Any]) -> Call | None:
    """The API call of a request, or None when the request is not for this API."""
    segments = _segments(environ)
    if segments is None:
        return None
    url = urlsplit(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return Call(
        method=environ["REQUEST_METHOD"],
        arn=segments[2],
        rest=tuple(segments[3:]),
        query=parse_qs(url.query),
        if_match=environ.get("HTTP_IF_MATCH"),
        body=environ["wsgi.input"].read(length) if length else b"",
    )


def _etag(call: Call) -> str:
    if not call.if_match:
        raise _invalid("the If-Match header (the store's ETag) is required")
    return call.if_match


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise _invalid("the body is not JSON") from None
    if not isinstance(document, dict):
        raise _invalid("the body is not a JSON object")
    return document


def _page_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise _invalid(f"MaxResults: 1 to {MAX_PAGE}")
    return int(text)


def _after(token: str) -> str | None:
    if not token:
        return None
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid("NextToken: not a token this store gave") from None
