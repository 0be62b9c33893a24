"""Learn the facts a project page needs, reading each file only once.

`learn_file` streams one file (conditional on the ETag it was seen with), hashes and inspects it,
and writes its `.metadata`; the first file of a release whose metadata is read also gives the
release's `ReleaseInfo` (kept in the facts cache) and writes its rendered description (one object
per release, `layout.description_key`); a file the inspection rejects is remembered with its reason
(logged once) and never listed. Files are read concurrently (`pyshelf.indexer.reading`), inspected
one at a time. `gather_facts` (the listing path: reindex, redeliveries) takes one listing of the
project's folder, reuses the facts cache entries whose ETag, size and `.metadata` ETag still match,
and learns only new or overwritten files, as many as the `Deadline` allows: the rest keep the entry
the cache had (if any) and are named in `Gathered.unread`.
"""

from __future__ import annotations

import codecs
import io
import logging
import tempfile
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from typing import IO

from packaging.utils import NormalizedName

from pyshelf.core import human, layout
from pyshelf.core.facts_cache import Entry, FactsCache, YankFacts
from pyshelf.core.facts_entries import Entries
from pyshelf.core.filenames import Distribution
from pyshelf.core.inspection import HashingWriter, Verdict, inspect, sha256_of
from pyshelf.core.page_model import FileFacts
from pyshelf.core.release_info import ReleaseInfo, read_release
from pyshelf.indexer.deadline import UNLIMITED, Deadline
from pyshelf.indexer.reading import read_all
from pyshelf.storage import NotFound, ObjectInfo, Storage
from pyshelf.storage.folder import ProjectFolder

log = logging.getLogger(__name__)
SPOOL_IN_MEMORY = 32 * 1024 * 1024
# Larger files are hashed as they stream past but not kept for inspection: the Lambda's /tmp
# (4 GiB in the stack) must hold what is inspected. They are listed without metadata.
MAX_INSPECTED_BYTES = 3 * 1024**3
# A yank record's reason is read up to this many bytes (UTF-8), the rest dropped with a warning.
MAX_YANK_BYTES = 1024

# One archive inspection at a time, however many files are read at once: its memory bound
# (tests/core/test_hostile_archives.py) then holds for the whole invocation.
_INSPECTING = threading.Lock()

MetadataWrites = dict[str, str | None]
"""`.metadata` key -> the ETag this invocation wrote there last (None: it deleted it)."""

Learned = dict[str, Entry]
"""Filename -> the entry this invocation learned, kept across attempts so that an attempt that
starts over does not read the file again (valid while its ETag, size and `.metadata` match)."""

_Row = tuple[ObjectInfo, Distribution]


@dataclass(slots=True)
class Gathered:
    facts_cache: FactsCache = field(default_factory=FactsCache)
    metadata_keys: set[str] = field(default_factory=set)
    wrote_metadata: bool = False  # some `.metadata` object was written
    unread: list[str] = field(default_factory=list)  # not read: the deadline came first

    @property
    def complete(self) -> bool:
        return not self.unread


def gather_facts(
    store: Storage,
    folder: ProjectFolder,
    facts_cache: FactsCache,
    *,
    deadline: Deadline = UNLIMITED,
    learned: Learned | None = None,
) -> Gathered:
    gathered = Gathered()
    learned = {} if learned is None else learned
    gathered.facts_cache.releases = facts_cache.releases.copy()  # `dumps` drops the gone
    releases = gathered.facts_cache.releases
    entries, unknown = _known(folder, facts_cache, learned)

    def learn(item: _Row) -> Entry:
        entry = learn_file(store, item[0].key, item[1], item[0].etag, releases=releases)
        learned[item[1].filename] = entry
        return entry

    outcome = read_all(unknown, lambda item: item[0].size, learn, deadline=deadline)
    for (_row, dist), entry in outcome.done:
        entries[dist.filename] = entry
        gathered.wrote_metadata |= entry.facts.metadata_sha256 is not None
    for row, dist in outcome.unstarted:  # left as the cache has it, for a continuation
        gathered.unread.append(row.key)
        if (old := facts_cache.files.get(dist.filename)) is not None:
            entries[dist.filename] = old
    for row, dist in folder.dists:
        if (kept := entries.get(dist.filename)) is None:
            continue
        gathered.facts_cache.files[dist.filename] = kept
        if kept.facts.metadata_sha256:
            gathered.metadata_keys.add(layout.metadata_key(row.key))
            _backfill_release(store, row.key, dist, releases)
    _gather_yanks(store, folder, facts_cache, gathered)
    return gathered


def _known(
    folder: ProjectFolder, facts_cache: FactsCache, learned: Learned
) -> tuple[dict[str, Entry], list[_Row]]:
    """The entries still valid (from the cache, or learned by an earlier attempt), and the
    files to read."""
    entries: dict[str, Entry] = {}
    unknown: list[_Row] = []
    for row, dist in folder.dists:
        entry = facts_cache.files.get(dist.filename)
        if entry is not None and _still_valid(entry.facts, row, folder):
            if entry.upload_time != row.last_modified:  # the same bytes uploaded again
                entry = replace(entry, upload_time=row.last_modified, rendered=None)
            entries[dist.filename] = entry
        elif (mine := learned.get(dist.filename)) and _still_valid(mine.facts, row, folder):
            entries[dist.filename] = mine
        else:
            unknown.append((row, dist))
    return entries, unknown


def _gather_yanks(
    store: Storage, folder: ProjectFolder, facts_cache: FactsCache, gathered: Gathered
) -> None:
    for row, _version in folder.yanks:
        yank = facts_cache.yanks.get(row.key)
        if yank is None or yank.etag != row.etag:
            yank = read_yank(store, row.key)
            if yank is None:
                raise NotFound(row.key)
        gathered.facts_cache.yanks[row.key] = yank


def remembered_rejections(store: Storage, project: NormalizedName) -> dict[str, Entry]:
    """The rejected files remembered for a project without listed files (`layout.rejected_key`;
    each entry is used only while its ETag and size match the listing)."""
    blob = store.get(layout.rejected_key(project))
    cache = FactsCache.parse(blob.body) if blob else None
    if cache is None:
        return {}
    return {name: e for name, e in cache.files.items() if e.facts.rejected is not None}


def remember_rejections(
    store: Storage, project: NormalizedName, cache: FactsCache, known: dict[str, Entry]
) -> None:
    """Keep the rejected files of `cache` (a project without listed files) if they are not
    what `known` holds. Unconditional: a memo that a race leaves stale only costs a read."""
    rejected = {name: e for name, e in cache.files.items() if e.facts.rejected is not None}
    if not rejected or rejected == known:
        return
    store.put(
        layout.rejected_key(project),
        FactsCache(Entries(rejected)).dumps(keep_rejected=True),
        content_type=layout.FACTS_CACHE_TYPE,
        cache_control=layout.PRIVATE_CACHE_CONTROL,
    )


def learn_file(
    store: Storage,
    key: str,
    dist: Distribution,
    etag: str,
    written: MetadataWrites | None = None,
    *,
    releases: MutableMapping[str, ReleaseInfo] | None = None,
) -> Entry:
    """Stream the file once, only if its ETag is still `etag` (`PreconditionFailed` if not,
    `NotFound` if it is gone): hash it, inspect it, and write its `.metadata` (wheels), noting
    that write's ETag in `written`. A release not yet in `releases` gets its entry there (and
    its description written) from this file's core metadata."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        kept = _Capped(spool, MAX_INSPECTED_BYTES)
        writer = HashingWriter(kept)  # type: ignore[arg-type]
        info = store.download(key, writer, if_match=etag)  # type: ignore[arg-type]
        if kept.over:
            log.warning("%s: indexed without metadata: larger than %d bytes", key, kept.cap)
            return Entry(FileFacts(etag, writer.size, writer.sha256), info.last_modified)
        with _INSPECTING:
            found = inspect(dist, spool, writer.sha256, writer.size)
    if found.verdict is Verdict.REJECTED:
        log.warning("%s: not listed: %s", key, found.problem)
        facts = FileFacts(etag, found.size, found.sha256, rejected=found.problem or "rejected")
        return Entry(facts, info.last_modified)
    if found.problem:
        log.warning("%s: indexed without metadata: %s", key, found.problem)
    if releases is not None and found.core_metadata is not None:
        learn_release(store, dist, found.core_metadata, releases)
    facts = FileFacts(etag, found.size, found.sha256, found.requires_python)
    if found.metadata is not None:
        metadata_etag = store.put(
            layout.metadata_key(key),
            found.metadata,
            content_type=layout.METADATA_TYPE,
            cache_control=layout.IMMUTABLE_CACHE_CONTROL,
        )
        if written is not None:
            written[layout.metadata_key(key)] = metadata_etag
        facts = replace(
            facts, metadata_sha256=sha256_of(found.metadata), metadata_etag=metadata_etag
        )
    return Entry(facts, info.last_modified)


def _backfill_release(
    store: Storage, key: str, dist: Distribution, releases: MutableMapping[str, ReleaseInfo]
) -> None:
    """A release indexed before pyshelf kept release metadata (no entry yet) gets it from its
    wheel's `.metadata` object (one GET, once: the listing path only, never the hot path)."""
    if str(dist.version) in releases:
        return
    blob = store.get(layout.metadata_key(key))
    if blob is not None:
        learn_release(store, dist, blob.body, releases)


def learn_release(
    store: Storage,
    dist: Distribution,
    core_metadata: bytes,
    releases: MutableMapping[str, ReleaseInfo],
) -> None:
    """The release's page metadata, once: from its first file whose metadata is read. Its long
    description, rendered and sanitised, is written beside the human page (not conditional:
    every file of a release writes what its own metadata says, and only the first is used)."""
    version = str(dist.version)
    if version in releases:
        return
    try:
        read = read_release(core_metadata)
    except Exception:  # a renderer failure must not stop indexing: the page shows no description
        log.exception("%s %s: metadata not read for the project page", dist.project, version)
        return
    if read.description_html is not None:
        key = layout.description_key(dist.project, dist.version)
        content_type, cache_control = layout.headers_of(key)
        body = human.description_document(read.description_html)
        store.put(key, body, content_type=content_type, cache_control=cache_control)
    releases[version] = read.info


def read_yank(store: Storage, key: str) -> YankFacts | None:
    """The yank record's ETag and reason (its first `MAX_YANK_BYTES`); None if it is gone."""
    body = io.BytesIO()
    kept = _Capped(body, MAX_YANK_BYTES)
    try:
        info = store.download(key, kept, if_match=None)  # type: ignore[arg-type]
    except NotFound:
        return None
    if kept.over:
        log.warning("%s: yank reason cut to its first %d bytes", key, MAX_YANK_BYTES)
    # not final when cut: a character cut in two at the end is dropped, not replaced
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    reason = decoder.decode(body.getvalue(), final=not kept.over)
    return YankFacts(info.etag, reason.strip())


class _Capped:
    """Keeps what is written into `sink` up to `cap` bytes; beyond that keeps nothing more and
    says so (`over`): the file is then hashed but not inspected."""

    def __init__(self, sink: IO[bytes], cap: int) -> None:
        self.sink, self.cap = sink, cap
        self.kept = 0
        self.over = False

    def write(self, chunk: bytes) -> int:
        if not self.over and self.kept + len(chunk) <= self.cap:
            self.kept += len(chunk)
            return self.sink.write(chunk)
        if not self.over:  # keep what fits
            self.sink.write(chunk[: self.cap - self.kept])
            self.kept = self.cap
        self.over = True
        return len(chunk)


def _still_valid(facts: FileFacts, row: ObjectInfo, folder: ProjectFolder) -> bool:
    if not facts.describes(row.etag, row.size):
        return False
    if facts.metadata_sha256 is None:
        return True
    return folder.metadata.get(layout.metadata_key(row.key)) == facts.metadata_etag
