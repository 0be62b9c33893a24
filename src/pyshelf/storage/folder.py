"""One listing of a project's folder, split by kind of key (`pyshelf.core.layout`)."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import layout
from pyshelf.core.filenames import Distribution
from pyshelf.storage.base import ObjectInfo, Storage


@dataclass(frozen=True, slots=True)
class ProjectFolder:
    """One listing of `<project>/`: the inputs (filed distributions, yank records) and the
    `.metadata` objects present (key → ETag)."""

    dists: tuple[tuple[ObjectInfo, Distribution], ...]
    yanks: tuple[tuple[ObjectInfo, Version], ...]
    metadata: dict[str, str]

    @property
    def inputs(self) -> frozenset[tuple[str, str, int]]:
        rows = [row for row, _ in self.dists] + [row for row, _ in self.yanks]
        return frozenset((row.key, row.etag, row.size) for row in rows)

    @classmethod
    def take(cls, store: Storage, project: NormalizedName) -> ProjectFolder:
        dists: list[tuple[ObjectInfo, Distribution]] = []
        yanks: list[tuple[ObjectInfo, Version]] = []
        metadata: dict[str, str] = {}
        for row in store.list(layout.project_prefix(project)):
            match layout.classify(row.key):
                case layout.DistributionKey(filed=True, dist=dist):
                    dists.append((row, dist))
                case layout.YankKey(version=version):
                    yanks.append((row, version))
                case layout.MetadataKey():
                    metadata[row.key] = row.etag
        return cls(tuple(dists), tuple(yanks), metadata)
