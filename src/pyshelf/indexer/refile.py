"""Move a distribution stored in the wrong place to `<normalized-name>/<filename>`."""

from __future__ import annotations

import logging
import posixpath

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.storage import Head, NotFound, PreconditionFailed, Storage
from pyshelf.storage.hashing import hash_object

log = logging.getLogger(__name__)


def refile(store: Storage, key: str, project: NormalizedName) -> str | None:
    """Copy `key` to its project folder (never over a different file), then delete it.

    Returns the new key, or None when the file stays where it is (a different file already holds
    that name) or is already gone (another invocation moved it)."""
    target = layout.distribution_key(project, posixpath.basename(key))
    try:
        if _target_taken(store, key, target):
            return None
        store.copy(key, target)
    except NotFound:
        log.info("%s: already moved or deleted", key)
        return None
    except PreconditionFailed:  # created between our look and the copy
        if _target_taken(store, key, target):
            return None
    store.delete(key)
    log.info("%s: moved to %s", key, target)
    return target


def _target_taken(store: Storage, key: str, target: str) -> bool:
    """True when `target` holds a different file (a conflict, logged). The copy is also
    conditional, but emulators do not all honour If-None-Match on copies, so look first."""
    existing = store.head(target)
    if existing is None:
        return False
    source = store.head(key)
    if source is None:
        raise NotFound(key)
    if _same_bytes(store, (key, source), (target, existing)):
        return False
    log.error("%s: not moved: %s already holds a different file", key, target)
    return True


def _same_bytes(store: Storage, one: tuple[str, Head], other: tuple[str, Head]) -> bool:
    """Equal ETags mean equal bytes; different ones may not (SSE-KMS, multipart copies), so
    then hash both objects. Never the recorded `x-amz-meta-sha256`: any writer can set it, so a
    stale or forged one would let a different file be deleted as a duplicate."""
    (key, head), (other_key, other_head) = one, other
    if head.etag == other_head.etag:
        return True
    return (
        hash_object(store, key, head.etag).sha256
        == hash_object(store, other_key, other_head.etag).sha256
    )
