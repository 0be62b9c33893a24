"""`pyshelf serve --data DIR`: the bucket's current objects, mirrored as plain files.

DIR holds one file per key at the path of the key (`foo/foo-1.0.tar.gz`). The worker mirrors
every key an S3 event names as soon as it receives the event (before indexing it), and a full
sync at shutdown writes everything else (pages, `.metadata`, the facts cache, any other key) and
removes files whose key is gone. On start, `load` puts every file back into the (empty) bucket.
A file's mtime is its object's LastModified (the index's upload-time), handed back through
`backdate` on load.
Only the latest version of each object is kept; keys that cannot be a relative path (an empty,
`.` or `..` segment, a segment over 255 bytes) are not persisted and are logged, and so are
keys under the two names DIR keeps for itself (`.pyshelf-partial`, `.pyshelf-kvs.json`).
All bucket access goes through the `Storage` seam (S3Store over the emulator).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyshelf.core import layout
from pyshelf.storage import NotFound, Storage
from pyshelf.storage.files import put_file

log = logging.getLogger(__name__)
PARTIAL_DIR = ".pyshelf-partial"  # temporary files, renamed into place when complete
KVS_FILE = ".pyshelf-kvs.json"  # the token store (`pyshelf.local.kvs_state`), not an object
MAX_SEGMENT_BYTES = 255
Backdate = Callable[[str, datetime], object]


@dataclass(frozen=True, slots=True)
class SyncResult:
    written: int
    removed: int
    skipped: int


def path_of(root: Path, key: str) -> Path | None:
    """Where a key lives under root, or None when it cannot be stored as a path."""
    segments = key.split("/")
    if segments[0] in (PARTIAL_DIR, KVS_FILE):
        return None
    for segment in segments:
        if segment in ("", ".", "..") or "\\" in segment or "\0" in segment:
            return None
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            return None
    return root.joinpath(*segments)


def key_of(root: Path, path: Path) -> str:
    return "/".join(path.relative_to(root).parts)


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._etags: dict[str, str] = {}  # what the files on disk hold, by key

    def files(self) -> Iterator[Path]:
        """Every stored object file, in key order."""
        for directory, subdirs, names in os.walk(self.root):
            subdirs[:] = sorted(d for d in subdirs if Path(directory, d) != self._partial)
            for name in sorted(names):
                if Path(directory, name) != self.root / KVS_FILE:
                    yield Path(directory, name)

    def load(self, store: Storage, backdate: Backdate | None = None) -> int:
        """Put every stored file into the bucket; return how many. `backdate(key, mtime)` may
        give each object its original LastModified."""
        self.root.mkdir(parents=True, exist_ok=True)
        count = 0
        for path in self.files():
            key = key_of(self.root, path)
            content_type, cache_control = layout.headers_of(key)
            self._etags[key] = put_file(
                store,
                key,
                path,
                content_type=content_type,
                cache_control=cache_control,
                content_encoding=layout.content_encoding_of(key),
            )
            if backdate is not None:
                backdate(key, datetime.fromtimestamp(path.stat().st_mtime, UTC))
            count += 1
        return count

    def mirror(self, store: Storage, keys: Iterable[str]) -> None:
        """Bring the files of these keys in line with the bucket (write or remove)."""
        for key in keys:
            path = path_of(self.root, key)
            if path is None:
                log.warning("%s: not persisted (the key cannot be a file path)", key)
                continue
            try:
                self._write(store, key, path)
            except NotFound:
                self._remove(key, path)

    def sync(self, store: Storage) -> SyncResult:
        """Make DIR equal the bucket's current objects."""
        listed, written, skipped = set(), 0, 0
        for row in store.list(""):
            key, path = row.key, path_of(self.root, row.key)
            if path is None:
                log.warning("%s: not persisted (the key cannot be a file path)", key)
                skipped += 1
                continue
            listed.add(key)
            if self._etags.get(key) != row.etag or not path.is_file():
                self.mirror(store, [key])
                stored = self._etags.get(key) == row.etag  # False: see _write's log
                written, skipped = written + stored, skipped + (not stored)
        removed = 0
        for path in list(self.files()):
            key = key_of(self.root, path)
            if key not in listed:
                self._remove(key, path)
                removed += 1
        return SyncResult(written, removed, skipped)

    @property
    def _partial(self) -> Path:
        return self.root / PARTIAL_DIR

    def _write(self, store: Storage, key: str, path: Path) -> None:
        self._partial.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._partial, delete=False) as partial:
            try:
                got = store.download(key, partial, if_match=None)
            except BaseException:
                partial.close()
                Path(partial.name).unlink(missing_ok=True)
                raise
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            stamp = got.last_modified.timestamp()
            os.utime(partial.name, (stamp, stamp))
            os.replace(partial.name, path)
        except OSError:
            Path(partial.name).unlink(missing_ok=True)
            log.exception("%s: not persisted", key)
            return
        self._etags[key] = got.etag

    def _remove(self, key: str, path: Path) -> None:
        self._etags.pop(key, None)
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == self.root or not parent.is_relative_to(self.root):
                break
            try:
                parent.rmdir()
            except OSError:
                break
