"""Bring deleted distributions back from a versioned bucket (`pyshelf restore`).

A deleted file is a key with no live version and an older one kept (noncurrent, until the
bucket's lifecycle expires it). Restoring writes the newest kept version back as a new object,
on the upload's rules: only where the name is free (`If-None-Match: *`), with its sha256 as
`x-amz-meta-sha256`; the indexer hears of it as of any upload. A name that a different file now
holds is refused, never replaced. The yank record `delete` removed with a release (deleted at or
after the release's files) is written back first, so the release returns yanked as it was.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version as PepVersion

from pyshelf.core import layout
from pyshelf.core.errors import Exit, PyshelfError
from pyshelf.core.filenames import Distribution
from pyshelf.core.inspection import HashingWriter
from pyshelf.storage import SHA256_META, PreconditionFailed, Storage
from pyshelf.storage.files import put_file
from pyshelf.storage.versions import History, Version, histories, read_version, recorded_sha256

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class NameTaken(PyshelfError):
    """A different file now holds the name of the file to restore: nothing was replaced."""

    exit_code = Exit.CONFLICT


@dataclass(frozen=True, slots=True)
class Deleted:
    """A deleted distribution or yank record, and the kept version a restore brings back."""

    key: str
    previous: Version
    deleted_at: datetime | None
    dist: Distribution | None = None  # a distribution
    release: PepVersion | None = None  # a yank record: its release

    @property
    def version(self) -> PepVersion:
        if self.dist is not None:
            return self.dist.version
        assert self.release is not None
        return self.release


@dataclass(frozen=True, slots=True)
class Live:
    """A distribution's name that has a live version and an older one kept (overwritten, or
    uploaded again after a delete)."""

    dist: Distribution
    history: History


@dataclass(frozen=True, slots=True)
class Survey:
    files: list[Deleted]
    yanks: list[Deleted]
    live: list[Live]


class Versions:
    """The kept versions of one bucket, read with an S3 client; writes go through `store`."""

    def __init__(self, client: S3Client, store: Storage) -> None:
        self.client = client
        self.store = store
        self.bucket = store.bucket

    def survey(self, project: NormalizedName) -> Survey:
        files: list[Deleted] = []
        yanks: list[Deleted] = []
        live: list[Live] = []
        for key, history in sorted(histories(self.client, self.bucket, f"{project}/").items()):
            previous = history.previous
            if previous is None:
                continue
            match layout.classify(key):
                case layout.DistributionKey(filed=True, dist=dist) if history.deleted:
                    files.append(Deleted(key, previous, history.deleted_at, dist=dist))
                case layout.DistributionKey(filed=True, dist=dist):
                    live.append(Live(dist, history))
                case layout.YankKey(version=release) if history.deleted:
                    yanks.append(Deleted(key, previous, history.deleted_at, release=release))
        files.sort(key=lambda d: (d.version, d.key))
        return Survey(files, yanks, live)

    def same_bytes(self, history: History) -> bool:
        """Whether the live version holds the same bytes as the newest kept one."""
        current, previous = history.current, history.previous
        assert current is not None and previous is not None
        mine = recorded_sha256(self.client, self.bucket, current)
        theirs = recorded_sha256(self.client, self.bucket, previous)
        if mine and theirs:
            return mine == theirs
        return current.etag == previous.etag

    def restore_file(self, deleted: Deleted) -> str:
        """Write the kept version back where the name is free; return its sha256."""
        assert deleted.dist is not None
        with tempfile.TemporaryDirectory(prefix="pyshelf-restore-") as folder:
            path = Path(folder) / deleted.dist.filename
            with path.open("wb") as handle:
                digest = HashingWriter(handle)
                read_version(self.client, self.bucket, deleted.previous, digest)
            self._put(deleted.key, path, digest.sha256)
        return digest.sha256

    def _put(self, key: str, path: Path, sha256: str) -> None:
        try:
            put_file(
                self.store,
                key,
                path,
                content_type=layout.distribution_content_type(key),
                cache_control=layout.IMMUTABLE_CACHE_CONTROL,
                metadata={SHA256_META: sha256},
                if_none_match=True,
            )
        except PreconditionFailed:
            raise NameTaken(
                f"{key} was uploaded again while restoring: not replaced ({REFUSAL_HINT})"
            ) from None

    def restore_yank(self, deleted: Deleted) -> str:
        """Write a yank record back (its reason) where there is none; return the reason."""
        holder = io.BytesIO()
        read_version(self.client, self.bucket, deleted.previous, holder)
        content_type, cache_control = layout.headers_of(deleted.key)
        with contextlib.suppress(PreconditionFailed):  # yanked again meanwhile: that one stands
            self.store.put(
                deleted.key,
                holder.getvalue(),
                content_type=content_type,
                cache_control=cache_control,
                if_none_match=True,
            )
        return holder.getvalue().decode("utf-8", "replace")


REFUSAL_HINT = "delete it first to restore the old file, or publish a new version"


def chosen(survey: Survey, wanted: PepVersion | str) -> tuple[list[Deleted], list[Live]]:
    """The deleted files a restore of `wanted` (a version, or a filename) brings back, and the
    names asked for that a live file holds."""

    def matches(dist: Distribution) -> bool:
        if isinstance(wanted, str):
            return dist.filename == wanted
        return dist.version == wanted

    files = [d for d in survey.files if d.dist is not None and matches(d.dist)]
    live = [entry for entry in survey.live if matches(entry.dist)]
    return files, live


def yanks_with(survey: Survey, files: Iterable[Deleted]) -> list[Deleted]:
    """The deleted yank records of the releases of `files` that went with them: deleted at or
    after the first of the release's files (`delete` removes the record last; a record removed
    earlier was an unyank, which stands)."""
    first: dict[PepVersion, datetime] = {}
    for deleted in files:
        if deleted.deleted_at is not None:
            seen = first.get(deleted.version)
            first[deleted.version] = min(seen, deleted.deleted_at) if seen else deleted.deleted_at
    return [
        y
        for y in survey.yanks
        if y.version in first and y.deleted_at is not None and y.deleted_at >= first[y.version]
    ]
