"""The one storage seam of pyshelf: a small Protocol the indexer, CLI and local mode use.

`pyshelf.storage.s3.S3Store` implements it over boto3; nothing else in the core knows about S3.
`pyshelf.storage.memory.MemoryStore` implements the same semantics in memory, for tests (never
shipped in the Lambda). tests/storage/test_contract.py holds both to one contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Protocol

from pyshelf.core.errors import PyshelfError

# User metadata key holding the sha256 of a derived object's body (x-amz-meta-sha256).
SHA256_META = "sha256"
# S3's multipart limits: every part but the last at least 5 MiB, at most 10,000 parts.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10_000


class StorageError(PyshelfError):
    """Base class for expected storage failures."""


class PreconditionFailed(StorageError):
    """A conditional read or write did not hold (the object changed under us)."""


class NotFound(StorageError):
    """The object does not exist."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One row of a listing."""

    key: str
    etag: str
    size: int
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class Head:
    """What a HEAD tells: the ETag and our own `sha256` metadata, if present, and the size
    (None where a store did not say; not compared: the ETag says which bytes)."""

    etag: str
    sha256: str | None
    size: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Blob:
    body: bytes
    etag: str
    unchanged: bool = False  # `get_unless`: still the version named (no body was sent)


class Storage(Protocol):
    bucket: str

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object under prefix, in key order."""
        ...

    def head(self, key: str) -> Head | None:
        """The object's ETag and `sha256` metadata; None if it does not exist."""
        ...

    def get(self, key: str) -> Blob | None:
        """The whole object; None if it does not exist."""
        ...

    def get_unless(self, key: str, etag: str | None) -> Blob | None:
        """`get`, unless the object's ETag is still `etag`: then an empty Blob marked
        `unchanged` (S3 answers such a conditional GET with 304 and no body)."""
        ...

    def download(self, key: str, into: IO[bytes], *, if_match: str | None) -> ObjectInfo:
        """Stream the object into a file and return what was read (ETag, size, LastModified).
        PreconditionFailed if its ETag is no longer if_match (None: any version), NotFound if
        it is gone."""
        ...

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
        """Write an object and return its ETag (the quoted hex MD5 of body). if_match: only
        replace that version (NotFound if there is none); if_none_match: only create.
        PreconditionFailed otherwise. content_encoding: stored as the object's Content-Encoding
        (body is already in that coding; S3 serves it as it is)."""
        ...

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
        """Write an object from parts in one multipart upload and return its ETag (not an MD5:
        `"<md5 of the parts' MD5s>-<number of parts>"`). Parts are taken one at a time, each
        stored before the next is read. The completion carries the condition, as for `put`.
        Every part but the last must hold MIN_PART_SIZE bytes; no parts, or a smaller part, is
        a ValueError. On any failure nothing is written and no part is left behind."""
        ...

    def copy(self, source: str, target: str) -> str:
        """Copy within the bucket, only if `target` does not exist (PreconditionFailed else).
        Beyond 5 GiB S3 copies in parts, without that condition."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is not there."""
        ...


def numbered_parts(key: str, parts: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Number the parts of a multipart write from 1, checking S3's limits as they come:
    ValueError for a part under MIN_PART_SIZE that is not the last, too many parts, or none."""
    previous: int | None = None
    for number, part in enumerate(parts, 1):
        if previous is not None and previous < MIN_PART_SIZE:
            raise ValueError(
                f"{key}: part {number - 1} has {previous} bytes; every part but the last needs "
                f"at least {MIN_PART_SIZE}"
            )
        if number > MAX_PARTS:
            raise ValueError(f"{key}: more than {MAX_PARTS} parts")
        yield number, part
        previous = len(part)
    if previous is None:
        raise ValueError(f"{key}: no parts to write")
