"""Move a distribution stored in the wrong place to `<normalized-name>/<filename>`."""

from __future__ import annotations

import logging
import posixpath

from packaging.utils import NormalizedName

from pyshelf import keys
from pyshelf.storage import NotFound, PreconditionFailed, Storage

log = logging.getLogger(__name__)


def refile(store: Storage, key: str, project: NormalizedName) -> str | None:
    """Copy `key` to its project folder (never over a different file), then delete it.

    Returns the new key, or None when the file stays where it is (a different file already holds
    that name) or is already gone (another invocation moved it)."""
    target = keys.distribution_key(project, posixpath.basename(key))
    try:
        store.copy(key, target, if_none_match=True)
    except NotFound:
        log.info("%s: already moved or deleted", key)
        return None
    except PreconditionFailed:
        source, existing = store.head(key), store.head(target)
        if source is None:
            return None
        if existing is None or existing.etag != source.etag:
            log.error("%s: not moved: %s already holds a different file", key, target)
            return None
    store.delete(key)
    log.info("%s: moved to %s", key, target)
    return target
