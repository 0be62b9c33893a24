"""The versions a versioned bucket keeps of each key (what `pyshelf restore` brings back):
listed per key, newest first, with the delete markers; one version read into a file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from pyshelf.storage.base import SHA256_META
from pyshelf.storage.s3 import raise_expected

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 1024 * 1024


class Sink(Protocol):
    def write(self, chunk: bytes, /) -> int: ...


@dataclass(frozen=True, slots=True)
class Version:
    key: str
    version_id: str
    etag: str
    size: int
    last_modified: datetime


@dataclass(slots=True)
class History:
    """One key's versions and delete markers, newest first; `current` is the live version."""

    key: str
    versions: list[Version] = field(default_factory=list)
    deletions: list[datetime] = field(default_factory=list)  # when delete markers were put
    current: Version | None = None

    @property
    def deleted(self) -> bool:
        """No live version, but an older one is kept: the key was deleted."""
        return self.current is None and bool(self.versions)

    @property
    def deleted_at(self) -> datetime | None:
        return self.deletions[0] if self.deletions else None

    @property
    def previous(self) -> Version | None:
        """The newest version that is not the live one: what a restore brings back."""
        return next((v for v in self.versions if v is not self.current), None)


def histories(client: S3Client, bucket: str, prefix: str) -> dict[str, History]:
    """Every key under prefix with its versions (S3 lists them newest first per key)."""
    found: dict[str, History] = {}
    for page in _pages(client, bucket, prefix):
        for item in page.get("Versions", []):
            history = found.setdefault(item["Key"], History(item["Key"]))
            version = Version(
                item["Key"], item["VersionId"], item["ETag"], item["Size"], item["LastModified"]
            )
            history.versions.append(version)
            if item["IsLatest"]:
                history.current = version
        for marker in page.get("DeleteMarkers", []):
            history = found.setdefault(marker["Key"], History(marker["Key"]))
            history.deletions.append(marker["LastModified"])
    for history in found.values():
        history.versions.sort(key=lambda v: v.last_modified, reverse=True)
        history.deletions.sort(reverse=True)
    return found


def _pages(client: S3Client, bucket: str, prefix: str) -> Iterator[Any]:
    paginator = client.get_paginator("list_object_versions")
    yield from paginator.paginate(Bucket=bucket, Prefix=prefix)


def read_version(client: S3Client, bucket: str, version: Version, into: Sink) -> str | None:
    """Write one version's bytes into `into`; return its recorded sha256 metadata, if any."""
    try:
        response = client.get_object(Bucket=bucket, Key=version.key, VersionId=version.version_id)
    except ClientError as exc:
        raise_expected(exc, version.key)
        raise
    body = response["Body"]
    for chunk in iter(lambda: body.read(CHUNK), b""):
        into.write(chunk)
    return response.get("Metadata", {}).get(SHA256_META)


def recorded_sha256(client: S3Client, bucket: str, version: Version) -> str | None:
    """The `x-amz-meta-sha256` a version was stored with (None when it has none)."""
    try:
        head = client.head_object(Bucket=bucket, Key=version.key, VersionId=version.version_id)
    except ClientError as exc:
        raise_expected(exc, version.key)
        raise
    return head.get("Metadata", {}).get(SHA256_META)
