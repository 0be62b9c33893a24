"""Read the published index (the PEP 691 JSON pages) from the bucket or over HTTP.

The pages are the published truth: what pip and uv see. `pyshelf list` and `pyshelf upload --wait`
read them; nothing here writes. Over HTTP, a token in `PYSHELF_TOKEN` is sent as pip sends it
(HTTP Basic, user `__token__`), so that `--wait` reads a private index.

Both readers take the page gzipped, as pip and uv do: over HTTP with `Accept-Encoding: gzip` (the
body is decoded by its Content-Encoding), in the bucket from the page's gzip variant (the plain
page when there is no variant yet: an index the indexer has not rewritten since).
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import layout
from pyshelf.core.encoding import UndecodableBody, decoded
from pyshelf.core.errors import PyshelfError
from pyshelf.core.facts_cache import FactsCache
from pyshelf.core.filenames import NotADistribution, parse_distribution
from pyshelf.storage import Storage

JSON_ACCEPT = layout.JSON_TYPE
ACCEPT_ENCODING = "gzip"
HTTP_TIMEOUT_SECONDS = 10
TOKEN_VARIABLE = "PYSHELF_TOKEN"
TOKEN_USER = "__token__"


class IndexUnreadable(PyshelfError, RuntimeError):
    """The index could not be read (HTTP error, bad JSON); the message says why."""


class IndexRefused(IndexUnreadable):
    """HTTP 401 without a token: the index is private, and waiting will not change that."""


class NotAnIndex(IndexUnreadable):
    """The index URL cannot be reached, or something other than a package index answers there
    (the S3 endpoint given as the index URL): waiting will not change that either."""


# What an index root answers with (PEP 691 JSON, PEP 691/503 HTML).
_INDEX_TYPES = {JSON_ACCEPT, "application/vnd.pypi.simple.v1+html", "text/html"}
INDEX_URL_HINT = "check --index-url (PYSHELF_INDEX_URL)"


@dataclass(frozen=True, slots=True)
class PublishedFile:
    filename: str
    version: Version | None
    sha256: str | None
    size: int | None
    yanked: str | None  # None: not yanked; otherwise the reason ("" when none given)
    upload_time: str | None = None  # as the page says it (ISO 8601, UTC)
    requires_python: str | None = None


@dataclass(frozen=True, slots=True)
class PublishedProject:
    name: str
    files: tuple[PublishedFile, ...]

    def hashes(self) -> dict[str, str | None]:
        return {f.filename: f.sha256 for f in self.files}

    @property
    def versions(self) -> list[Version]:
        return sorted({f.version for f in self.files if f.version is not None})

    @property
    def latest(self) -> Version | None:
        """The highest version with a file that is not yanked (else the highest)."""
        live = [f.version for f in self.files if f.version is not None and f.yanked is None]
        candidates = live or self.versions
        return max(candidates) if candidates else None


class Index(Protocol):
    def project(self, name: NormalizedName) -> PublishedProject | None: ...


def parse_project(data: bytes) -> PublishedProject:
    document = _load(data)
    files = tuple(_file(item) for item in document.get("files", []))
    return PublishedProject(str(document.get("name", "")), files)


def parse_root(data: bytes) -> list[str]:
    document = _load(data)
    return sorted(str(item["name"]) for item in document.get("projects", []))


def _load(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise IndexUnreadable(f"not a JSON index page: {exc}") from None
    if not isinstance(document, dict):
        raise IndexUnreadable("not a JSON index page")
    return document


def _file(item: dict[str, Any]) -> PublishedFile:
    filename = str(item["filename"])
    try:
        version: Version | None = parse_distribution(filename).version
    except NotADistribution:
        version = None
    yanked = item.get("yanked", False)
    reason = None if yanked is False else ("" if yanked is True else str(yanked))
    upload_time, requires_python = item.get("upload-time"), item.get("requires-python")
    return PublishedFile(
        filename,
        version,
        item.get("hashes", {}).get("sha256"),
        item.get("size"),
        reason,
        str(upload_time) if upload_time else None,
        str(requires_python) if requires_python else None,
    )


class BucketIndex:
    """The JSON pages as stored in the bucket."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    def project(self, name: NormalizedName) -> PublishedProject | None:
        body = self._page(layout.page_keys(name)[1])
        return parse_project(body) if body is not None else None

    def rejected(self, name: NormalizedName) -> dict[str, str]:
        """The project's files the indexer rejected (filename -> why), from its facts cache:
        no page lists them. Empty when the cache is missing or unreadable."""
        blob = self.store.get(layout.facts_cache_key(name))
        cache = FactsCache.parse(blob.body) if blob else None
        if cache is None:
            return {}
        files = cache.files.items()
        return {f: e.facts.rejected for f, e in files if e.facts.rejected is not None}

    def projects(self) -> list[str] | None:
        """The projects of the root page, or None if there is no root page yet."""
        body = self._page(layout.page_keys(None)[1])
        return parse_root(body) if body is not None else None

    def _page(self, key: str) -> bytes | None:
        """The JSON page's body, from its gzip variant (fewer bytes), else the page itself."""
        variant = layout.gzip_variant_key(key)
        blob = self.store.get(variant) if variant else None
        if blob is not None and variant is not None:
            return _decoded(blob.body, layout.content_encoding_of(variant), variant)
        blob = self.store.get(key)
        return blob.body if blob else None


def basic_authorization(token: str) -> str:
    """The Authorization header pip sends for `https://__token__:TOKEN@host/`."""
    credentials = f"{TOKEN_USER}:{token}".encode()
    return "Basic " + base64.b64encode(credentials).decode("ascii")


class HttpIndex:
    """The JSON pages as served at the index URL (CloudFront or `pyshelf serve`). `token`
    (default: `PYSHELF_TOKEN`, when set and not empty) is sent as HTTP Basic authentication."""

    def __init__(self, index_url: str, token: str | None = None) -> None:
        self.index_url = index_url.rstrip("/") + "/"
        token = token if token is not None else os.environ.get(TOKEN_VARIABLE)
        self._headers = {
            "Accept": JSON_ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Cache-Control": "no-cache",
        }
        if token:
            self._headers["Authorization"] = basic_authorization(token)

    def project(self, name: NormalizedName) -> PublishedProject | None:
        """The project's page, or None when the index does not list it (404, 403, or a redirect:
        an index with fall-through sends a name it does not hold yet to its upstream, and the
        token must never follow it there)."""
        url = f"{self.index_url}{name}/"
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with _NO_REDIRECTS.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                coding = response.headers.get("Content-Encoding")
                return parse_project(_decoded(response.read(), coding, url))
        except urllib.error.HTTPError as exc:
            if exc.code in (403, 404) or 300 <= exc.code < 400:
                return None
            if exc.code == 401:
                refused = IndexUnreadable if "Authorization" in self._headers else IndexRefused
                raise refused(f"{url}: HTTP 401 ({self._refused()})") from None
            raise IndexUnreadable(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise IndexUnreadable(f"{url}: {reason}") from None

    def check_root(self) -> None:
        """Fail at once unless the index URL answers as a package index: unreachable, an error
        status, a redirect, or another content type (e.g. the S3 endpoint given as the index)."""
        request = urllib.request.Request(self.index_url, headers=self._headers)
        try:
            with _NO_REDIRECTS.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                answer = f"{response.status}, {response.headers.get_content_type()}"
                if response.headers.get_content_type() in _INDEX_TYPES:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                refused = IndexUnreadable if "Authorization" in self._headers else IndexRefused
                raise refused(f"{self.index_url}: HTTP 401 ({self._refused()})") from None
            answer = f"{exc.code}, {exc.headers.get_content_type()}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            reason = getattr(reason, "strerror", None) or reason
            raise NotAnIndex(
                f"cannot reach the index at {self.index_url} ({reason}): {INDEX_URL_HINT}"
            ) from None
        raise NotAnIndex(
            f"{self.index_url} does not answer as a package index (HTTP {answer}): "
            f"{INDEX_URL_HINT}; it is the index URL, not the S3 endpoint"
        )

    def _refused(self) -> str:
        if "Authorization" in self._headers:
            return f"the token in {TOKEN_VARIABLE} was refused"
        return f"a private index: set {TOKEN_VARIABLE} to a read token"


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    """Answer a redirect as itself (an HTTPError with its 3xx status), never following it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_Unfollowed)


def _decoded(body: bytes, content_encoding: str | None, where: str) -> bytes:
    try:
        return decoded(body, content_encoding)
    except UndecodableBody as exc:
        raise IndexUnreadable(f"{where}: {exc}") from None


def missing_from(index: Index, expected: Mapping[str, str], project: NormalizedName) -> set[str]:
    """The expected files (filename → sha256) the project's page does not list with that hash."""
    page = index.project(project)
    listed = page.hashes() if page else {}
    return {name for name, sha256 in expected.items() if listed.get(name) != sha256}


@dataclass(frozen=True, slots=True)
class WaitResult:
    missing: frozenset[str]  # filenames not (yet) listed with their hash
    problem: str | None = None  # the last error reading the index, if any


def wait_until_listed(
    index: Index,
    expected: Mapping[NormalizedName, Mapping[str, str]],
    *,
    timeout: float,
    interval: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WaitResult:
    """Poll until every expected file is listed with its hash, or the timeout runs out.
    Read errors count as "not listed yet" (the index may be briefly unavailable, a new token
    may not have reached every edge yet); `IndexRefused` (a private index, no token) is raised
    at once."""
    deadline = clock() + timeout
    while True:
        result = _check(index, expected)
        if not result.missing or clock() >= deadline:
            return result
        sleep(min(interval, max(deadline - clock(), 0.0)))


def _check(index: Index, expected: Mapping[NormalizedName, Mapping[str, str]]) -> WaitResult:
    missing: set[str] = set()
    problem = None
    for project, files in expected.items():
        try:
            missing |= missing_from(index, files, project)
        except IndexRefused:
            raise
        except IndexUnreadable as exc:
            missing |= set(files)
            problem = str(exc)
    return WaitResult(frozenset(missing), problem)
