"""`Storage` in memory, with the semantics S3Store has on S3 (tests/storage/test_contract.py).

For tests: fast, and thread-safe (one lock), so race tests can run many threads against it. Not
shipped in the Lambda: nothing the handler imports may import this module.

Like S3: an ETag is the quoted hex MD5 of a single write and `"<md5 of the parts' MD5s>-<n>"`
of a multipart one; LastModified has whole seconds; listings are in key order; user metadata
keys are lower case; conditions are checked and the write made in one step; If-Match on a
missing key is NotFound. Only the current version of each key is kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from pyshelf.storage.base import (
    SHA256_META,
    Blob,
    Head,
    NotFound,
    ObjectInfo,
    PreconditionFailed,
    numbered_parts,
)


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object as stored, with the headers a test may want to look at."""

    body: bytes
    etag: str
    last_modified: datetime
    content_type: str
    cache_control: str | None
    metadata: Mapping[str, str]
    content_encoding: str | None = None

    def info(self, key: str) -> ObjectInfo:
        return ObjectInfo(key, self.etag, len(self.body), self.last_modified)


@dataclass
class MemoryBucket:
    """The objects of one bucket, shared by every MemoryStore built over it."""

    objects: dict[str, StoredObject] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class MemoryStore:
    def __init__(self, bucket: str = "memory", contents: MemoryBucket | None = None) -> None:
        """A store over `contents` (a new, empty bucket if None). Two stores built over the same
        contents see the same objects, as two S3Stores over one bucket do."""
        self.bucket = bucket
        self.contents = contents if contents is not None else MemoryBucket()

    def stored(self, key: str) -> StoredObject | None:
        """The object at key as stored (body and headers), for assertions."""
        with self.contents.lock:
            return self.contents.objects.get(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        with self.contents.lock:
            rows = [
                stored.info(key)
                for key, stored in self.contents.objects.items()
                if key.startswith(prefix)
            ]
        # Code point order is the order of the UTF-8 bytes, which S3 lists in.
        return iter(sorted(rows, key=lambda row: row.key))

    def head(self, key: str) -> Head | None:
        stored = self.stored(key)
        if stored is None:
            return None
        return Head(stored.etag, stored.metadata.get(SHA256_META), len(stored.body))

    def get(self, key: str) -> Blob | None:
        stored = self.stored(key)
        return Blob(stored.body, stored.etag) if stored else None

    def get_unless(self, key: str, etag: str | None) -> Blob | None:
        blob = self.get(key)
        if blob is not None and etag is not None and blob.etag == etag:
            return Blob(b"", etag, unchanged=True)
        return blob

    def download(self, key: str, into: IO[bytes], *, if_match: str | None) -> ObjectInfo:
        with self.contents.lock:
            stored = self._check(key, if_match=if_match, if_none_match=False)
        if stored is None:
            raise NotFound(key)
        into.write(stored.body)
        return stored.info(key)

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
        etag = _quoted(hashlib.md5(body, usedforsecurity=False).hexdigest())
        stored = _stored(
            body, etag, content_type, cache_control, metadata, content_encoding=content_encoding
        )
        return self._write(key, stored, if_match=if_match, if_none_match=if_none_match)

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
        taken = [bytes(part) for _number, part in numbered_parts(key, parts)]
        digests = b"".join(hashlib.md5(part, usedforsecurity=False).digest() for part in taken)
        etag = _quoted(f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(taken)}")
        stored = _stored(
            b"".join(taken),
            etag,
            content_type,
            cache_control,
            metadata,
            content_encoding=content_encoding,
        )
        return self._write(key, stored, if_match=if_match, if_none_match=if_none_match)

    def copy(self, source: str, target: str) -> str:
        with self.contents.lock:
            original = self.contents.objects.get(source)
            if original is None:
                raise NotFound(source)
            if target in self.contents.objects:
                raise PreconditionFailed(target)
            etag = _quoted(hashlib.md5(original.body, usedforsecurity=False).hexdigest())
            self.contents.objects[target] = StoredObject(
                original.body,
                etag,
                _now(),
                original.content_type,
                original.cache_control,
                original.metadata,
                original.content_encoding,
            )
        return etag

    def delete(self, key: str) -> None:
        with self.contents.lock:
            self.contents.objects.pop(key, None)

    def _write(
        self, key: str, stored: StoredObject, *, if_match: str | None, if_none_match: bool
    ) -> str:
        with self.contents.lock:
            self._check(key, if_match=if_match, if_none_match=if_none_match)
            self.contents.objects[key] = stored
        return stored.etag

    def _check(self, key: str, *, if_match: str | None, if_none_match: bool) -> StoredObject | None:
        """The current object at key once the conditions hold (call with the lock held)."""
        current = self.contents.objects.get(key)
        if if_match is not None:
            if current is None:
                raise NotFound(key)
            if current.etag.strip('"') != if_match.strip('"'):
                raise PreconditionFailed(key)
        if if_none_match and current is not None:
            raise PreconditionFailed(key)
        return current


def _stored(
    body: bytes,
    etag: str,
    content_type: str,
    cache_control: str | None,
    metadata: Mapping[str, str] | None,
    *,
    content_encoding: str | None,
) -> StoredObject:
    lowered = {name.lower(): value for name, value in (metadata or {}).items()}
    return StoredObject(
        body, etag, _now(), content_type, cache_control or None, lowered, content_encoding or None
    )


def _quoted(etag: str) -> str:
    return f'"{etag}"'


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
