"""The page model (pure): what a project page and the root page say, built from a listing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core.filenames import Distribution


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What pyshelf gathered by reading a distribution once. Valid while the object's ETag and
    size are unchanged; `metadata_etag` is the ETag of the `.metadata` object written from it.
    `rejected` is the inspection's reason when it rejected the file: remembered, not listed."""

    etag: str
    size: int
    sha256: str
    requires_python: str | None = None
    metadata_sha256: str | None = None
    metadata_etag: str | None = None
    rejected: str | None = None

    def describes(self, etag: str, size: int) -> bool:
        return self.etag == etag and self.size == size


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """One file as a page shows it. `yanked` is None when not yanked, else the reason ("")."""

    filename: str
    version: Version
    sha256: str
    size: int
    upload_time: datetime
    requires_python: str | None
    metadata_sha256: str | None
    yanked: str | None

    @property
    def url(self) -> str:
        """Relative URL of the file: every reserved character escaped (`+` becomes `%2B`)."""
        return quote(self.filename, safe="")

    @property
    def upload_time_text(self) -> str:
        return self.upload_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def sort_key(self) -> tuple[Version, str]:
        return (self.version, self.filename)


@dataclass(frozen=True, slots=True)
class ProjectPage:
    name: NormalizedName
    files: tuple[IndexedFile, ...]

    @property
    def versions(self) -> list[str]:
        return [str(v) for v in sorted({f.version for f in self.files})]


@dataclass(frozen=True, slots=True)
class Listed:
    """A distribution present in the listing, with its facts and upload time."""

    dist: Distribution
    facts: FileFacts
    upload_time: datetime


def build_project_page(
    name: NormalizedName, listed: Iterable[Listed], yanks: Mapping[Version, str]
) -> ProjectPage:
    """The page for `name`: files sorted by (version, filename); yanked per release; rejected
    files left out."""
    files = [
        IndexedFile(
            filename=item.dist.filename,
            version=item.dist.version,
            sha256=item.facts.sha256,
            size=item.facts.size,
            upload_time=item.upload_time,
            requires_python=item.facts.requires_python,
            metadata_sha256=item.facts.metadata_sha256,
            yanked=yanks.get(item.dist.version),
        )
        for item in listed
        if item.facts.rejected is None
    ]
    files.sort(key=lambda f: f.sort_key)
    return ProjectPage(name, tuple(files))
