"""The distributions and yank records of a project in the bucket, from one listing
(`pyshelf.storage.folder.ProjectFolder`): select what to delete, write and remove yank records
(`<project>/<version>.yank`, body = the reason). Versions compare as PEP 440 versions, as the
indexer does (`1.0` and `1.0.0` are one release). The indexer hears of every change and
regenerates the project's pages."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import layout
from pyshelf.core.filenames import Distribution
from pyshelf.storage import Storage
from pyshelf.storage.folder import ProjectFolder


@dataclass(frozen=True, slots=True)
class Stored:
    """A distribution filed in its project's folder."""

    key: str
    dist: Distribution
    size: int


def stored_distributions(folder: ProjectFolder) -> list[Stored]:
    found = [Stored(row.key, dist, row.size) for row, dist in folder.dists]
    return sorted(found, key=lambda s: (s.dist.version, s.dist.filename))


def select(
    stored: list[Stored], *, version: Version | None = None, filename: str | None = None
) -> list[Stored]:
    """The files of one version and/or one filename (all files when neither is given)."""
    return [
        s
        for s in stored
        if (version is None or s.dist.version == version)
        and (filename is None or s.dist.filename == filename)
    ]


def emptied_versions(stored: list[Stored], deleted: list[Stored]) -> set[Version]:
    """Versions that have no file left once `deleted` is gone from `stored`."""
    left = {s.dist.version for s in stored if s not in deleted}
    return {s.dist.version for s in deleted} - left


def yank_records(folder: ProjectFolder, version: Version) -> list[str]:
    """Keys of the yank records of a release, however its version was spelt."""
    return sorted(row.key for row, yanked in folder.yanks if yanked == version)


def yank(
    store: Storage, folder: ProjectFolder, project: NormalizedName, version: Version, reason: str
) -> str:
    """Write the yank record of a release (replacing any reason it had); return its key."""
    key, *others = yank_records(folder, version) or [layout.yank_key(project, version)]
    content_type, cache_control = layout.headers_of(key)
    store.put(key, reason.encode("utf-8"), content_type=content_type, cache_control=cache_control)
    for other in others:  # one release, one record
        store.delete(other)
    return key


def unyank(store: Storage, folder: ProjectFolder, version: Version) -> bool:
    """Remove the yank records of a release; False if it was not yanked."""
    found = yank_records(folder, version)
    for key in found:
        store.delete(key)
    return bool(found)
