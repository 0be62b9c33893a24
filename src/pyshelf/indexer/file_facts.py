"""Learn the facts a project page needs, reading each file only once.

`Snapshot` is one listing of a project's folder, split by kind. `learn` reuses cached facts whose
ETag and size still match and reads (streams) only new or overwritten files, writing their
`.metadata` as it goes.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace

from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.core import layout
from pyshelf.core.facts_cache import Manifest, YankFacts
from pyshelf.core.filenames import Distribution
from pyshelf.core.inspection import HashingWriter, inspect, sha256_of
from pyshelf.core.page_model import FileFacts, Listed
from pyshelf.storage import NotFound, ObjectInfo, Storage

log = logging.getLogger(__name__)
SPOOL_IN_MEMORY = 32 * 1024 * 1024
# Larger files are hashed as they stream past but not kept for inspection: the Lambda's /tmp
# (4 GiB in the stack) must hold what is inspected. They are listed without metadata.
MAX_INSPECTED_BYTES = 3 * 1024**3


@dataclass(frozen=True, slots=True)
class Snapshot:
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
    def take(cls, store: Storage, project: NormalizedName) -> Snapshot:
        dists: list[tuple[ObjectInfo, Distribution]] = []
        yanks: list[tuple[ObjectInfo, Version]] = []
        metadata: dict[str, str] = {}
        for row in store.list(layout.project_prefix(project)):
            info = layout.classify(row.key)
            if info.dist and info.filed:
                dists.append((row, info.dist))
            elif info.version:
                yanks.append((row, info.version))
            elif info.kind == "metadata":
                metadata[row.key] = row.etag
        return cls(tuple(dists), tuple(yanks), metadata)


@dataclass(slots=True)
class Learned:
    listed: list[Listed] = field(default_factory=list)
    yanks: dict[Version, str] = field(default_factory=dict)
    cache: Manifest = field(default_factory=Manifest)
    metadata_keys: set[str] = field(default_factory=set)
    wrote_metadata: bool = False  # some `.metadata` object was written


def learn(store: Storage, snapshot: Snapshot, manifest: Manifest) -> Learned:
    learned = Learned()
    for row, dist in snapshot.dists:
        facts = manifest.files.get(dist.filename)
        if facts is None or not _still_valid(facts, row, snapshot):
            facts = read_facts(store, row, dist)
            learned.wrote_metadata |= facts.metadata_sha256 is not None
        learned.cache.files[dist.filename] = facts
        learned.listed.append(Listed(dist, facts, row.last_modified))
        if facts.metadata_sha256:
            learned.metadata_keys.add(layout.metadata_key(row.key))
    for row, version in snapshot.yanks:
        yank = manifest.yanks.get(row.key)
        if yank is None or yank.etag != row.etag:
            yank = read_yank(store, row)
        learned.cache.yanks[row.key] = yank
        learned.yanks[version] = yank.reason
    return learned


def hash_object(store: Storage, key: str, etag: str) -> HashingWriter:
    """Stream a stored object through sha256 without keeping it (`.sha256`, `.size`)."""
    digest = HashingWriter()
    store.download(key, digest, if_match=etag)  # type: ignore[arg-type]
    return digest


def read_facts(store: Storage, row: ObjectInfo, dist: Distribution) -> FileFacts:
    """Stream the file once: hash it, inspect it, and write its `.metadata` (wheels)."""
    if row.size > MAX_INSPECTED_BYTES:
        digest = hash_object(store, row.key, row.etag)
        log.warning("%s: indexed without metadata: larger than %d bytes", row.key, row.size)
        return FileFacts(row.etag, digest.size, digest.sha256)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        writer = HashingWriter(spool)
        store.download(row.key, writer, if_match=row.etag)  # type: ignore[arg-type]
        found = inspect(dist, spool, writer.sha256, writer.size)
    if found.problem:
        log.warning("%s: indexed without metadata: %s", row.key, found.problem)
    facts = FileFacts(row.etag, found.size, found.sha256, found.requires_python)
    if found.metadata is None:
        return facts
    etag = store.put(
        layout.metadata_key(row.key),
        found.metadata,
        content_type=layout.METADATA_TYPE,
        cache_control=layout.IMMUTABLE_CACHE_CONTROL,
    )
    return replace(facts, metadata_sha256=sha256_of(found.metadata), metadata_etag=etag)


def read_yank(store: Storage, row: ObjectInfo) -> YankFacts:
    blob = store.get(row.key)
    if blob is None:
        raise NotFound(row.key)
    return YankFacts(blob.etag, blob.body.decode("utf-8", errors="replace").strip())


def _still_valid(facts: FileFacts, row: ObjectInfo, snapshot: Snapshot) -> bool:
    if not facts.describes(row.etag, row.size):
        return False
    if facts.metadata_sha256 is None:
        return True
    return snapshot.metadata.get(layout.metadata_key(row.key)) == facts.metadata_etag
