"""The distributions and yank records of a project in the bucket: select what to delete, write
and remove yank records (`<project>/<version>.yank`, body = the reason). The indexer hears of
every change and regenerates the project's pages."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf import keys
from pyshelf.distributions import Distribution
from pyshelf.storage import Storage


@dataclass(frozen=True, slots=True)
class Stored:
    """A distribution filed in its project's folder."""

    key: str
    dist: Distribution
    size: int


def stored_distributions(store: Storage, project: NormalizedName) -> list[Stored]:
    found = []
    for row in store.list(keys.project_prefix(project)):
        info = keys.classify(row.key)
        if info.dist and info.filed:
            found.append(Stored(row.key, info.dist, row.size))
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


def yank(store: Storage, project: NormalizedName, version: Version, reason: str) -> str:
    """Write the yank record of a release (replacing any reason it had); return its key."""
    key = keys.yank_key(project, str(version))
    content_type, cache_control = keys.headers_of(key)
    store.put(key, reason.encode("utf-8"), content_type=content_type, cache_control=cache_control)
    return key


def unyank(store: Storage, project: NormalizedName, version: Version) -> bool:
    """Remove the yank record of a release; False if it was not yanked."""
    key = keys.yank_key(project, str(version))
    if store.head(key) is None:
        return False
    store.delete(key)
    return True


def yank_reason(store: Storage, project: NormalizedName, version: Version) -> str | None:
    blob = store.get(keys.yank_key(project, str(version)))
    return None if blob is None else blob.body.decode("utf-8", errors="replace")
