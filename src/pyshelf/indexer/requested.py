"""Perform a request from the queue and write its report where the CLI waits for it: a
reindex (`pyshelf reindex`) or the release of a reserved name (`pyshelf release-name`).

A reindex stops starting projects when the `Deadline` says so (and a project cut short keeps
what it learned): the rows done so far go to the request's partial report and the rest is
returned as the same request continued `after` the last project done, for the caller to put
on the queue. The last part writes the whole report."""

from __future__ import annotations

import logging
from dataclasses import replace

from packaging.utils import NormalizedName, canonicalize_name

from pyshelf.core import layout
from pyshelf.core.reindex_request import ProjectOutcome, ReindexReport, ReindexRequest
from pyshelf.core.release_request import ReleaseReport, ReleaseRequest
from pyshelf.indexer.deadline import UNLIMITED, Deadline
from pyshelf.indexer.private_set import release_name
from pyshelf.indexer.project_set import Contended, ProjectSet
from pyshelf.indexer.regenerate import (
    StillChanging,
    Unfinished,
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
    report = perform_until(store, request, project_set)
    assert isinstance(report, ReindexReport)  # no deadline: never continued
    return report


def perform_until(
    store: Storage,
    request: ReindexRequest,
    project_set: ProjectSet | None = None,
    deadline: Deadline = UNLIMITED,
) -> ReindexReport | ReindexRequest:
    """`perform`, or as much of it as `deadline` allows: then the rest, as a request to send."""
    names = request.projects if request.projects is not None else discover_projects(store)
    rows: list[ProjectOutcome] = []
    for name in request.left(names):
        if not deadline.start_project():
            return _continued(store, request, rows)
        try:
            rows.append(_one(store, name, project_set, deadline))
        except Unfinished as exc:
            log.warning("reindex %s: %s", request.request_id, exc)
            return _continued(store, request, rows)
    report = ReindexReport(request.request_id, _all_rows(store, request, rows))
    regenerate_root(store, check_bytes=True)
    if project_set is not None:
        rebuild_private_set(store, project_set, request.projects)
    _write_report(store, request.report_key, report.dumps())
    if request.after is not None:
        store.delete(request.partial_key)
    log.info("reindex %s: %d project(s)", request.request_id, len(report.projects))
    return report


def _continued(
    store: Storage, request: ReindexRequest, rows: list[ProjectOutcome]
) -> ReindexRequest:
    """Keep the rows done so far in the partial report; the request for the rest."""
    if not rows:
        return request
    partial = ReindexReport(request.request_id, _all_rows(store, request, rows))
    _write_report(store, request.partial_key, partial.dumps())
    rest = replace(request, after=canonicalize_name(rows[-1].name))
    log.info("reindex %s: continued after %s", request.request_id, rest.after)
    return rest


def _all_rows(
    store: Storage, request: ReindexRequest, rows: list[ProjectOutcome]
) -> tuple[ProjectOutcome, ...]:
    """The rows of earlier parts (from the partial report) and `rows`, one per project, in
    name order (a part delivered twice writes its rows twice: the later ones count)."""
    earlier: tuple[ProjectOutcome, ...] = ()
    if request.after is not None and (blob := store.get(request.partial_key)) is not None:
        earlier = ReindexReport.loads(blob.body).projects
    merged = {row.name: row for row in (*earlier, *rows)}
    return tuple(merged[name] for name in sorted(merged))


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


def _one(
    store: Storage, project: NormalizedName, project_set: ProjectSet | None, deadline: Deadline
) -> ProjectOutcome:
    """The project's outcome; any error is its own `failed` outcome, never the request's
    (`Unfinished` is not an error: the project goes on in the continuation)."""
    try:
        if not _exists(store, project):
            return ProjectOutcome(project, "unknown")
        result = regenerate_project(
            store, project, check_bytes=True, project_set=project_set, deadline=deadline
        )
    except Unfinished:
        raise
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
