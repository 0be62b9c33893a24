"""The project summaries the human root shows (`_pyshelf/summaries.json`, docs/pages.md).

One JSON object `{project: summary}`, written only when a project's summary changes (a new latest
release says something else, or the project comes or goes), conditionally on the version read
(If-Match, If-None-Match when absent): several indexer invocations may change it at once, and a
write that lost is planned again from what is there then. The root is regenerated after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.errors import PyshelfError
from pyshelf.storage import Blob, PreconditionFailed, Storage

log = logging.getLogger(__name__)
ATTEMPTS = 8
CONTENT_TYPE = "application/json"


class SummariesContended(PyshelfError, RuntimeError):
    """Every attempt to update the summaries lost the race against another writer."""


def read_summaries(store: Storage) -> dict[str, str]:
    return _parse(store.get(layout.SUMMARIES_KEY))


def update_summaries(
    store: Storage, changes: Mapping[NormalizedName, str | None], *, replace: bool = False
) -> bool:
    """Set each project's summary (None: remove the project); with `replace`, the map becomes
    exactly `changes` (a full reindex). True if written."""
    for attempt in range(1, ATTEMPTS + 1):
        blob = store.get(layout.SUMMARIES_KEY)
        current = _parse(blob)
        wanted = {} if replace else dict(current)
        for project, summary in changes.items():
            if summary is None:
                wanted.pop(project, None)
            else:
                wanted[project] = summary
        if wanted == current and blob is not None:
            return False
        try:
            _write(store, wanted, blob)
            return True
        except PreconditionFailed:
            log.info("summaries changed during attempt %d; retrying", attempt)
    raise SummariesContended(f"the summaries kept changing during {ATTEMPTS} attempts")


def _write(store: Storage, summaries: Mapping[str, str], read: Blob | None) -> None:
    body = json.dumps(dict(sorted(summaries.items())), ensure_ascii=False, indent=0).encode()
    store.put(
        layout.SUMMARIES_KEY,
        body,
        content_type=CONTENT_TYPE,
        cache_control=layout.PRIVATE_CACHE_CONTROL,
        if_match=read.etag if read else None,
        if_none_match=read is None,
    )


def _parse(blob: Blob | None) -> dict[str, str]:
    """The map a blob holds; an unreadable one is empty (a reindex writes it again)."""
    if blob is None or not blob.body:
        return {}
    try:
        value = json.loads(blob.body)
    except ValueError:
        log.warning("%s is unreadable: the human root shows no summaries", layout.SUMMARIES_KEY)
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}
