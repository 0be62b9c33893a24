"""Perform a reindex request from the queue (`pyshelf reindex`) and write its report."""

from __future__ import annotations

import logging

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.reindex_request import ProjectOutcome, ReindexReport, ReindexRequest
from pyshelf.indexer.regenerate import (
    StillChanging,
    discover_projects,
    regenerate_project,
    regenerate_root,
)
from pyshelf.storage import Storage

log = logging.getLogger(__name__)
REPORT_TYPE = "application/json"


def perform(store: Storage, request: ReindexRequest) -> ReindexReport:
    """Rebuild the requested projects (comparing stored bytes, so forged pages are repaired),
    then the root, and write the report where the CLI waits for it."""
    names = request.projects if request.projects is not None else discover_projects(store)
    report = ReindexReport(request.request_id, tuple(_one(store, name) for name in names))
    regenerate_root(store, check_bytes=True)
    store.put(
        request.report_key,
        report.dumps(),
        content_type=REPORT_TYPE,
        cache_control=layout.PRIVATE_CACHE_CONTROL,
    )
    log.info("reindex %s: %d project(s)", request.request_id, len(report.projects))
    return report


def _one(store: Storage, project: NormalizedName) -> ProjectOutcome:
    if not _exists(store, project):
        return ProjectOutcome(project, "unknown")
    try:
        result = regenerate_project(store, project, check_bytes=True)
    except StillChanging:
        return ProjectOutcome(project, "still-changing")
    return ProjectOutcome(project, "rebuilt" if result.changed else "unchanged", result.files)


def _exists(store: Storage, project: NormalizedName) -> bool:
    """Anything in the project's folder, or a facts cache (its files may all be gone)."""
    if store.head(layout.facts_cache_key(project)) is not None:
        return True
    return next(iter(store.list(layout.project_prefix(project))), None) is not None
