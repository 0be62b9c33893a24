"""A `Storage` decorator that counts S3 requests the way S3 bills them, for benches and tests.

Wraps any store (usually a `MemoryStore`, so that big fixtures build in seconds) and records one
`Request` per S3 API call the wrapped call stands for: a listing is one LIST per page of up to
1,000 keys (as `ListObjectsV2` pages, counted as they are consumed), `get` and `download` a GET,
`head` a HEAD, `put` a PUT, `put_parts` a multipart upload (create, one part per part, complete:
counted as one MULTIPART request per part plus two), `copy` a COPY, `delete` a DELETE. Calls
that fail (404, 412) count too, as on S3. Bytes: GET bodies received, PUT bodies sent.
Thread-safe: one store may serve several threads, and several stores may share one `Requests`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from pyshelf.storage import Blob, Head, ObjectInfo, Storage

LIST_PAGE = 1000
KINDS = ("LIST", "GET", "HEAD", "PUT", "MULTIPART", "COPY", "DELETE")


@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    key: str
    received: int = 0  # body bytes of a GET
    sent: int = 0  # body bytes of a PUT


@dataclass
class Requests:
    """What one or more counting stores recorded, in order."""

    calls: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request) -> None:
        with self.lock:
            self.calls.append(request)

    def take(self) -> list[Request]:
        """The requests so far, forgetting them."""
        with self.lock:
            calls, self.calls = self.calls, []
        return calls


def by_kind(calls: Iterable[Request]) -> Counter[str]:
    return Counter(call.kind for call in calls)


class CountingStore:
    """`inner` with every request recorded in `requests`."""

    def __init__(self, inner: Storage, requests: Requests | None = None) -> None:
        self.inner = inner
        self.bucket = inner.bucket
        self.requests = requests if requests is not None else Requests()

    def _note(self, kind: str, key: str, *, received: int = 0, sent: int = 0) -> None:
        self.requests.add(Request(kind, key, received, sent))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self._pages(prefix, self.inner.list(prefix))

    def _pages(self, prefix: str, rows: Iterator[ObjectInfo]) -> Iterator[ObjectInfo]:
        self._note("LIST", f"{prefix}*")
        for count, row in enumerate(rows):
            if count and count % LIST_PAGE == 0:
                self._note("LIST", f"{prefix}*")
            yield row

    def head(self, key: str) -> Head | None:
        self._note("HEAD", key)
        return self.inner.head(key)

    def get(self, key: str) -> Blob | None:
        blob = None
        try:
            blob = self.inner.get(key)
        finally:
            self._note("GET", key, received=len(blob.body) if blob else 0)
        return blob

    def get_unless(self, key: str, etag: str | None) -> Blob | None:
        blob = None
        try:
            blob = self.inner.get_unless(key, etag)
        finally:
            self._note("GET", key, received=len(blob.body) if blob else 0)
        return blob

    def download(self, key: str, into: IO[bytes], *, if_match: str | None) -> ObjectInfo:
        info = None
        try:
            info = self.inner.download(key, into, if_match=if_match)
        finally:
            self._note("GET", key, received=info.size if info else 0)
        return info

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
        content_encoding: str | None = None,
    ) -> str:
        self._note("PUT", key, sent=len(body))
        return self.inner.put(
            key,
            body,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_match=if_match,
            if_none_match=if_none_match,
            content_encoding=content_encoding,
        )

    def put_parts(
        self,
        key: str,
        parts: Iterable[bytes],
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
        content_encoding: str | None = None,
    ) -> str:
        taken = list(parts)
        self._note("MULTIPART", key)  # create
        for part in taken:
            self._note("MULTIPART", key, sent=len(part))
        self._note("MULTIPART", key)  # complete
        return self.inner.put_parts(
            key,
            iter(taken),
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_match=if_match,
            if_none_match=if_none_match,
            content_encoding=content_encoding,
        )

    def copy(self, source: str, target: str) -> str:
        self._note("COPY", target)
        return self.inner.copy(source, target)

    def delete(self, key: str) -> None:
        self._note("DELETE", key)
        self.inner.delete(key)
