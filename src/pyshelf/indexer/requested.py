"""Perform a request from the queue and write its report where the CLI waits for it: a
reindex (`pyshelf reindex`) or the release of a reserved name (`pyshelf release-name`)."""

from __future__ import annotations

import logging

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.reindex_request import ProjectOutcome, ReindexReport, ReindexRequest
from pyshelf.core.release_request import ReleaseReport, ReleaseRequest
from pyshelf.indexer.private_set import release_name
from pyshelf.indexer.project_set import Contended, ProjectSet
from pyshelf.indexer.regenerate import (
    StillChanging,
    discover_projects,
    failure_reason,
    rebuild_private_set,
    regenerate_project,
    regenerate_root,
)
from pyshelf.storage import Storage

log = logging.getLogger(__name__)
REPORT_TYPE = "application/json"


def perform(
    store: Storage, request: ReindexRequest, project_set: ProjectSet | None = None
) -> ReindexReport:
    """Rebuild the requested projects (comparing stored bytes, so forged pages are repaired),
    then the root and the private set (all of it, or the requested names), and write the
    report. A private set that keeps changing raises `StillChanging`: the message is retried."""
    names = request.projects if request.projects is not None else discover_projects(store)
    rows = tuple(_one(store, name, project_set) for name in names)
    report = ReindexReport(request.request_id, rows)
    regenerate_root(store, check_bytes=True)
    if project_set is not None:
        rebuild_private_set(store, project_set, request.projects)
    _write_report(store, request.report_key, report.dumps())
    log.info("reindex %s: %d project(s)", request.request_id, len(report.projects))
    return report


def perform_release(
    store: Storage, request: ReleaseRequest, project_set: ProjectSet | None = None
) -> ReleaseReport:
    """Free a reserved name (refused while the project has files) and write the report."""
    outcome = release_name(store, project_set, request.project)
    report = ReleaseReport(request.request_id, request.project, outcome)
    _write_report(store, request.report_key, report.dumps())
    log.info("release-name %s: %s %s", request.request_id, request.project, outcome)
    return report


def _write_report(store: Storage, key: str, body: bytes) -> None:
    store.put(key, body, content_type=REPORT_TYPE, cache_control=layout.PRIVATE_CACHE_CONTROL)


def _one(store: Storage, project: NormalizedName, project_set: ProjectSet | None) -> ProjectOutcome:
    """The project's outcome; any error is its own `failed` outcome, never the request's."""
    try:
        if not _exists(store, project):
            return ProjectOutcome(project, "unknown")
        result = regenerate_project(store, project, check_bytes=True, project_set=project_set)
    except (StillChanging, Contended):
        return ProjectOutcome(project, "still-changing")
    except Exception as exc:  # one project's failure is reported, not fatal
        return ProjectOutcome(project, "failed", reason=failure_reason(project, exc))
    return ProjectOutcome(project, "rebuilt" if result.changed else "unchanged", result.files)


def _exists(store: Storage, project: NormalizedName) -> bool:
    """Anything in the project's folder, or a facts cache (its files may all be gone)."""
    if store.head(layout.facts_cache_key(project)) is not None:
        return True
    return next(iter(store.list(layout.project_prefix(project))), None) is not None
