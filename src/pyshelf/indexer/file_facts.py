"""Gather the facts a project page needs, reading each file only once.

`gather_facts` takes one listing of the project's folder (`pyshelf.storage.folder`), reuses the
facts cache entries whose ETag and size still match, and reads (streams) only new or overwritten
files, writing their `.metadata` as it goes.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace

from packaging.version import Version

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache, YankFacts
from pyshelf.core.filenames import Distribution
from pyshelf.core.inspection import HashingWriter, inspect, sha256_of
from pyshelf.core.page_model import FileFacts, Listed
from pyshelf.storage import NotFound, ObjectInfo, Storage
from pyshelf.storage.folder import ProjectFolder
from pyshelf.storage.hashing import hash_object

log = logging.getLogger(__name__)
SPOOL_IN_MEMORY = 32 * 1024 * 1024
# Larger files are hashed as they stream past but not kept for inspection: the Lambda's /tmp
# (4 GiB in the stack) must hold what is inspected. They are listed without metadata.
MAX_INSPECTED_BYTES = 3 * 1024**3


@dataclass(slots=True)
class Gathered:
    listed: list[Listed] = field(default_factory=list)
    yanks: dict[Version, str] = field(default_factory=dict)
    facts_cache: FactsCache = field(default_factory=FactsCache)
    metadata_keys: set[str] = field(default_factory=set)
    wrote_metadata: bool = False  # some `.metadata` object was written


def gather_facts(store: Storage, folder: ProjectFolder, facts_cache: FactsCache) -> Gathered:
    gathered = Gathered()
    for row, dist in folder.dists:
        facts = facts_cache.files.get(dist.filename)
        if facts is None or not _still_valid(facts, row, folder):
            facts = read_facts(store, row, dist)
            gathered.wrote_metadata |= facts.metadata_sha256 is not None
        gathered.facts_cache.files[dist.filename] = facts
        gathered.listed.append(Listed(dist, facts, row.last_modified))
        if facts.metadata_sha256:
            gathered.metadata_keys.add(layout.metadata_key(row.key))
    for row, version in folder.yanks:
        yank = facts_cache.yanks.get(row.key)
        if yank is None or yank.etag != row.etag:
            yank = read_yank(store, row)
        gathered.facts_cache.yanks[row.key] = yank
        gathered.yanks[version] = yank.reason
    return gathered


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


def _still_valid(facts: FileFacts, row: ObjectInfo, folder: ProjectFolder) -> bool:
    if not facts.describes(row.etag, row.size):
        return False
    if facts.metadata_sha256 is None:
        return True
    return folder.metadata.get(layout.metadata_key(row.key)) == facts.metadata_etag
