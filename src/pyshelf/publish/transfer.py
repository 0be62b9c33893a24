"""Upload checked distributions to the bucket without ever overwriting by accident.

`plan` decides per file (HEAD, and the remote sha256 when the key exists): upload, skip (same
bytes), conflict (other bytes) or overwrite (other bytes, forced). `Uploader.send` writes with
`If-None-Match: *` (or `If-Match: <etag seen>` when overwriting), in one PUT or, for large files,
a multipart upload whose completion carries the same condition (`pyshelf.storage.files.put_file`).
Every object gets its sha256 as `x-amz-meta-sha256`, so a later upload can compare without
reading it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.publish.checks import LocalDistribution
from pyshelf.publish.index_reader import BucketIndex, IndexUnreadable
from pyshelf.storage import SHA256_META, Head, NotFound, PreconditionFailed, Storage
from pyshelf.storage.files import MULTIPART_THRESHOLD, PART_SIZE, Advance, put_file
from pyshelf.storage.hashing import hash_object

SEND_ATTEMPTS = 3


class Action(Enum):
    UPLOAD = "upload"
    SKIP = "skip"  # the same bytes are already there
    CONFLICT = "conflict"  # other bytes are there and --overwrite was not given
    OVERWRITE = "overwrite"  # other bytes are there, replaced because of --overwrite


@dataclass(frozen=True, slots=True)
class Planned:
    local: LocalDistribution
    action: Action
    remote: Head | None = None
    remote_sha256: str | None = None


class Uploader:
    def __init__(
        self,
        store: Storage,
        *,
        part_size: int = PART_SIZE,
        multipart_threshold: int = MULTIPART_THRESHOLD,
    ) -> None:
        self.store = store
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        self._pages = BucketIndex(store)
        self._hashes: dict[NormalizedName, dict[str, str | None]] = {}

    def plan(self, files: Iterable[LocalDistribution], *, overwrite: bool) -> list[Planned]:
        return [self.plan_one(local, overwrite=overwrite) for local in files]

    def plan_one(self, local: LocalDistribution, *, overwrite: bool) -> Planned:
        head = self.store.head(local.key)
        if head is None:
            return Planned(local, Action.UPLOAD)
        remote_sha256 = self.remote_sha256(local, head)
        if remote_sha256 == local.sha256:
            return Planned(local, Action.SKIP, head, remote_sha256)
        action = Action.OVERWRITE if overwrite else Action.CONFLICT
        return Planned(local, action, head, remote_sha256)

    def remote_sha256(self, local: LocalDistribution, head: Head) -> str:
        """The sha256 of the stored object: our upload metadata, else the published page's,
        else (uploaded by other means and not indexed yet) by reading it."""
        if head.sha256:
            return head.sha256
        published = self._published(local.project).get(local.filename)
        if published:
            return published
        return hash_object(self.store, local.key, head.etag).sha256

    def _published(self, project: NormalizedName) -> dict[str, str | None]:
        """The hashes on a project's published page, read once per upload run."""
        if project not in self._hashes:
            try:
                page = self._pages.project(project)
            except IndexUnreadable:
                page = None
            self._hashes[project] = page.hashes() if page else {}
        return self._hashes[project]

    def send(self, planned: Planned, advance: Advance) -> Planned:
        """Carry out an UPLOAD or OVERWRITE. If the object changed in between (another upload
        won the race, or it was deleted), plan the file again without forcing and retry."""
        for _attempt in range(SEND_ATTEMPTS):
            if planned.action not in (Action.UPLOAD, Action.OVERWRITE):
                return planned
            if_match = planned.remote.etag if planned.remote else None
            try:
                self._write(planned.local, if_match, advance)
            except (PreconditionFailed, NotFound):
                planned = self.plan_one(planned.local, overwrite=False)
                continue
            return planned
        raise PreconditionFailed(f"{planned.local.key} keeps changing; try again")

    def _write(self, local: LocalDistribution, if_match: str | None, advance: Advance) -> None:
        put_file(
            self.store,
            local.key,
            local.path,
            content_type=layout.distribution_content_type(local.filename),
            cache_control=layout.IMMUTABLE_CACHE_CONTROL,
            metadata={SHA256_META: local.sha256},
            if_match=if_match,
            if_none_match=if_match is None,
            part_size=self.part_size,
            multipart_threshold=self.multipart_threshold,
            advance=advance,
        )
