"""The one storage seam of pyshelf: a small Protocol the indexer, CLI and local mode use.

`pyshelf.storage.s3.S3Store` implements it over boto3; nothing else in the core knows about S3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol

from pyshelf.core.errors import PyshelfError

# User metadata key holding the sha256 of a derived object's body (x-amz-meta-sha256).
SHA256_META = "sha256"


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
    """What a HEAD tells: the ETag and our own `sha256` metadata, if present."""

    etag: str
    sha256: str | None


@dataclass(frozen=True, slots=True)
class Blob:
    body: bytes
    etag: str


class Storage(Protocol):
    bucket: str

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object under prefix, in key order."""
        ...

    def head(self, key: str) -> Head | None: ...

    def get(self, key: str) -> Blob | None: ...

    def download(self, key: str, into: IO[bytes], *, if_match: str) -> None:
        """Stream the object into a file; PreconditionFailed if its ETag is no longer if_match,
        NotFound if it is gone."""
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
    ) -> str:
        """Write an object and return its ETag. if_match: only replace that version;
        if_none_match: only create. PreconditionFailed otherwise."""
        ...

    def copy(self, source: str, target: str) -> str:
        """Copy within the bucket, only if `target` does not exist (PreconditionFailed else).
        Beyond 5 GiB S3 copies in parts, without that condition."""
        ...

    def delete(self, key: str) -> None: ...
